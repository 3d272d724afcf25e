/*
 * What the day-two commands (cache, verify, gc, and pull's free-space
 * check) share above box/: a host reached with this cnorch's payload on
 * it, and the agent's cache commands run there with each JSON line
 * handed over.
 */
#ifndef CN_DAYTWO_H
#define CN_DAYTWO_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cacheops.h"
#include "facts.h"

struct host;
struct render;
struct session;

/*
 * Connect to h, learn its facts and put the payload there when it is
 * missing (upload_payload(), as provision does); a failure is noted on
 * rd.  Returns CN_OK with *s and *f filled (the caller destroys and
 * releases them in any case), or the host's CN_ERR_* code.
 */
int	daytwo_prepare(struct render *rd, const struct host *h,
	    bool interactive, struct session **s, struct box_facts *f);

/*
 * cacheops_run() of cmd with args on a prepared box, each JSON line to
 * cb.  Returns CN_OK with *status the agent's exit status, or the code
 * of a failure noted on rd.
 */
int	daytwo_agent(struct render *rd, const struct host *h,
	    struct session *s, const struct box_facts *f,
	    enum cacheops_cmd cmd, const char *const *args, size_t nargs,
	    cacheops_line_cb cb, void *arg, int *status);

/*
 * What `gc --revisions --incomplete` would free on the box (a dry run),
 * into *bytes; -1 when it cannot be told.  Never notes anything.
 */
void	daytwo_gc_bytes(const struct host *h, struct session *s,
	    const struct box_facts *f, int64_t *bytes);

/* Members of the agent's JSON lines, read the one way the day-two
 * commands all read them: a missing string is "", a missing number 0. */
const char *daytwo_jstr(json_t *o, const char *k);
double	daytwo_jnum(json_t *o, const char *k);

/* REPO as the command line gives it: CN_OK, or CN_ERR_USAGE with a
 * malloc'd *msg naming it (validate_repo_id()), or CN_ERR_NOMEM. */
int	daytwo_check_repo(const char *repo, char **msg);

/*
 * Before a pull: does it fit on the data disk?  The plan's size (what the
 * agent's `plan` says less what the cache holds, doctor_pull_bytes())
 * against the free space the facts measured.  A plan that does not fit
 * is noted on rd with the numbers and, when gc could free enough, the
 * `cnorch gc` command that would (else what gc could free).  Returns
 * CN_OK (it fits, or it cannot be told) or CN_ERR_NOSPACE.
 */
struct pull_spec;
int	daytwo_fits(struct render *rd, const struct host *h,
	    struct session *s, const struct box_facts *f,
	    const struct pull_spec *ps, size_t nps);

#endif

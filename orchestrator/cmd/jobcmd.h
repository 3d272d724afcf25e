/*
 * What the job commands (provision, pull, resume, logs, status, stop)
 * share above box/: connect and list with the failure shown, error notes,
 * and box/'s reattaching follower glued to the renderer.
 */
#ifndef CN_JOBCMD_H
#define CN_JOBCMD_H

#include <stdbool.h>
#include <stddef.h>

#include "follow.h"

struct host;
struct host_jobs;
struct render;
struct session;

/*
 * Connect to h, noting a failure on rd: CN_OK with *s set, or the
 * failure as cmd_connect_err() maps it.  The connect step every command
 * above box/ starts with, once.
 */
int	jobcmd_connect(struct render *rd, const struct host *h,
	    bool interactive, struct session **s);

/*
 * Connect to h and list its jobs, noting a failure on rd.  Returns CN_OK
 * with *s and *hj filled (the caller destroys and releases them in any
 * case), or the host's CN_ERR_* code.
 */
int	jobcmd_connect_list(struct render *rd, const struct host *h,
	    bool interactive, struct session **s, struct host_jobs *hj);

/* The job named what (jobs_find) or NULL, noted on rd as no such job. */
struct job_info *jobcmd_find(struct render *rd, const char *name,
	    struct host_jobs *hj, const char *what);

/* Each line of msg as an error note about name ({"event": "error"} in
 * JSON); the renderer says the host's name. */
void	jobcmd_note_error(struct render *rd, const char *name,
	    const char *msg);

/*
 * follow_reattach() (follow.h) with each event drawn by rd (label: the
 * job id), then passed to also (may be NULL) with also_arg, Ctrl-C
 * (cmd_interrupted) detaching, and each reconnect said on one line:
 * "NAME: connection lost; reconnecting (attempt N)".
 */
int	jobcmd_follow(struct render *rd, struct session **sp,
	    const struct host *h, struct follow_job *jobs, size_t n,
	    follow_event_cb also, void *also_arg, char **msg);

/*
 * jobcmd_follow() as the job commands use it: the jobs' live rows are
 * gone afterwards and a failure (not a detach) is noted on rd.  Returns
 * what jobcmd_follow() did.
 */
int	jobcmd_follow_to_end(struct render *rd, struct session **sp,
	    const struct host *h, struct follow_job *jobs, size_t n,
	    follow_event_cb also, void *also_arg);

/*
 * Command-line values checked as the inventory checks its pulls
 * (validate.h), before any host is contacted: CN_OK, or CN_ERR_USAGE with
 * the validator's one-line *msg naming the value (CN_ERR_NOMEM).
 */
int	jobcmd_check_pull(const char *repo, const char *revision,
	    const char *const *include, size_t ninclude,
	    const char *const *exclude, size_t nexclude, char **msg);

/* A JOB argument: a job id, or the repo "org/name[@revision]" it pulls. */
int	jobcmd_check_job(const char *what, char **msg);

#endif

/*
 * The planner: turn "repo X at revision R from source S" into a plan
 * (plan.h) by asking the hub's listing APIs.  Hugging Face API at an
 * endpoint (hf-mirror by default) in hub_hf.c, ModelScope in
 * hub_modelscope.c; --source auto tries HF first and falls back to
 * ModelScope when the repo is missing there or the mirror keeps failing.
 *
 * Everything listed is checked before the plan is returned: repo id and
 * revision (pathsafe.h), every file path (an unsafe one fails the whole
 * plan with CN_ERR_UNSAFE_PATH), hashes are hex, sizes fit uint64.
 * Include/exclude globs (glob.h) are applied last.
 */
#ifndef CN_PLANNER_H
#define CN_PLANNER_H

#include <stddef.h>
#include <jansson.h>

#include "http.h"
#include "plan.h"

#define PLANNER_HF_ENDPOINT	"https://hf-mirror.com"
#define PLANNER_MS_ENDPOINT	"https://www.modelscope.cn"
/* Connect (and resolve) timeout of auto's ModelScope fallback, which is
 * tried once for an unreachable host: "not found" within seconds. */
#define PLANNER_PROBE_CONNECT_S	3

struct planner_opts {
	enum hub_source source;		/* HF, MODELSCOPE or AUTO */
	enum repo_type	repo_type;
	const char	*repo;		/* "org/name" */
	const char	*revision;	/* NULL: "main" for HF, "master" for
					 * ModelScope */
	const char	*hf_endpoint;	/* NULL: $HF_ENDPOINT or hf-mirror */
	const char	*ms_endpoint;	/* NULL: $MODELSCOPE_ENDPOINT or
					 * www.modelscope.cn */
	const struct http_conf *http;
	uint64_t	 max_files;	/* listing caps (plan.h); 0: default */
	uint64_t	 max_bytes;
	const char *const *include;
	size_t		 ninclude;
	const char *const *exclude;
	size_t		 nexclude;
	/*
	 * Events while planning (may be NULL): "retry" {reason, attempt,
	 * delay_s, url} before an API call is retried, "source" {from, to,
	 * reason} when auto falls back to ModelScope.  fields is borrowed.
	 */
	void		(*on_event)(void *arg, const char *event,
			    json_t *fields);
	void		*arg;
};

/*
 * Build the plan.  On success *out is a new plan (plan_destroy() frees
 * it); on failure *msg is a one-line message naming the repo or the URL at
 * fault (caller frees; no "error:" prefix).  Both are NULL on entry and
 * set only on their outcome.
 *
 * plan->revision is the revision as asked, or "main" when none was given,
 * also for ModelScope (whose branch "master" is what the query uses): it
 * names refs/<revision> in the HF cache, and "main" is what
 * from_pretrained() looks for.
 *
 * Returns CN_OK, CN_ERR_INVALID (bad repo id), CN_ERR_UNSAFE_PATH,
 * CN_ERR_NOT_FOUND (repo or revision missing), CN_ERR_ACCESS (gated or
 * private), CN_ERR_PARSE (garbage reply), CN_ERR_UNSUPPORTED (ModelScope
 * dataset), CN_ERR_RETRIES / CN_ERR_CURL / CN_ERR_CONNECT / CN_ERR_HTTP
 * (network; with auto, a repo the mirror does not have and a ModelScope
 * that cannot be reached is CN_ERR_NOT_FOUND naming both), CN_ERR_PROTOCOL
 * (also a listing over a cap: the message
 * names the cap and its option; auto does not fall back then),
 * CN_ERR_NOMEM.
 */
int	planner_build(const struct planner_opts *o, struct plan **out,
	    char **msg);

/* "hf", "modelscope", "auto"; NULL for an unknown value. */
const char *planner_source_name(enum hub_source s);
/* The reverse; returns CN_OK or CN_ERR_INVALID. */
int	planner_source_parse(const char *name, enum hub_source *out);

#endif

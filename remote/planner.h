/*
 * The planner: turn "repo X at revision R from source S" into a plan
 * (plan.h) by asking the hub's listing APIs.  Hugging Face API at an
 * endpoint (hf-mirror by default) in hub_hf.c, ModelScope in
 * hub_modelscope.c.  --source auto lists both: files with the same sha256
 * on both get both sources (the engine fetches from both at once); a repo
 * the mirror lacks comes from ModelScope; one that neither has comes from
 * huggingface.co through a proxy when one was given (upstream_http), else
 * fails with CN_ERR_NOT_FOUND and a message naming --proxy and cnorch's
 * --via-laptop-proxy.
 *
 * Everything listed is checked before the plan is returned: repo id and
 * revision (pathsafe.h), every file path (an unsafe one fails the whole
 * plan with CN_ERR_UNSAFE_PATH), hashes are hex, sizes fit uint64.
 * Include/exclude globs (glob.h) are applied last.
 */
#ifndef CN_PLANNER_H
#define CN_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "http.h"
#include "plan.h"

#define PLANNER_HF_ENDPOINT	"https://hf-mirror.com"
#define PLANNER_MS_ENDPOINT	"https://www.modelscope.cn"
#define PLANNER_UPSTREAM_ENDPOINT "https://huggingface.co"

struct planner_opts {
	enum hub_source source;		/* HF, MODELSCOPE or AUTO */
	enum repo_type	repo_type;
	const char	*repo;		/* "org/name" */
	const char	*revision;	/* NULL: "main" for HF, "master" for
					 * ModelScope */
	const char	*hf_endpoint;	/* NULL: $HF_ENDPOINT or hf-mirror */
	const char	*ms_endpoint;	/* NULL: $MODELSCOPE_ENDPOINT or
					 * www.modelscope.cn */
	const char	*ms_repo;	/* the id on ModelScope when it
					 * differs from repo (NULL: repo) */
	const char	*upstream_endpoint;	/* the last rung; NULL:
					 * https://huggingface.co */
	/* The last rung's requests (its proxy); NULL: no proxy was lent
	 * or configured, so auto never climbs there. */
	const struct http_conf *upstream_http;
	const struct http_conf *http;
	const char *const *include;
	size_t		 ninclude;
	const char *const *exclude;
	size_t		 nexclude;
	/*
	 * Events while planning (may be NULL): "retry" {reason, attempt,
	 * delay_s, url} before an API call is retried, "source" {from, to,
	 * reason[, files, path]} for every choice auto makes (falls back,
	 * pairs sources, climbs to huggingface.co).  fields is borrowed.
	 */
	void		(*on_event)(void *arg, const char *event,
			    json_t *fields);
	void		*arg;
};

/*
 * --source auto's pairing: give every file of p whose sha256 equals that
 * of the same path in other (both non-empty) other's URL as a further
 * source (plan_file_add_source, named for other->source).  Counts: files
 * paired, files whose hashes differ or are unknown on one side, files of
 * p that other lacks (each may be NULL).  Returns CN_OK or CN_ERR_NOMEM.
 */
int	planner_pair(struct plan *p, const struct plan *other, size_t *paired,
	    size_t *differ, size_t *missing);

/*
 * The ladder, one file at a time: a plan of the files of p whose ok[i]
 * is false, fetched from the rung to (SOURCE_MODELSCOPE: the file's
 * "modelscope" source, files without one are left out;
 * SOURCE_HUGGINGFACE: {upstream}[/datasets]/{repo}/resolve/{commit}/
 * {path}, since the mirror mirrors it commit for commit).  Blob names,
 * hashes, commit and revision are kept, so the files land where p's
 * would.  *out is NULL when no file can climb.  Returns CN_OK or
 * CN_ERR_NOMEM.
 */
int	planner_rung(const struct plan *p, const bool *ok, enum hub_source to,
	    const char *upstream, struct plan **out);

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
 * (network), CN_ERR_PROTOCOL, CN_ERR_NOMEM.
 */
int	planner_build(const struct planner_opts *o, struct plan **out,
	    char **msg);

/* "hf", "modelscope", "auto", "huggingface"; NULL for an unknown value. */
const char *planner_source_name(enum hub_source s);
/* The reverse; returns CN_OK or CN_ERR_INVALID. */
int	planner_source_parse(const char *name, enum hub_source *out);

#endif

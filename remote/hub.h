/*
 * Internal interface of the two hub back-ends (hub_hf.c,
 * hub_modelscope.c): planner.c calls them, they build plans with plan.c
 * and never call back into the planner.  Not for the engine: use
 * planner.h.
 *
 * The JSON -> plan conversions (hf_parse_*, ms_parse_files) are pure
 * functions so the unit tests feed them JSON strings without HTTP.
 */
#ifndef CN_HUB_H
#define CN_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "http.h"
#include "plan.h"

/* What one listing needs; every string borrowed. */
struct hub_query {
	const struct http_conf *http;	/* NULL only in the parse tests */
	const char	*endpoint;	/* base URL without trailing '/' */
	enum repo_type	 repo_type;
	const char	*repo;		/* validated "org/name" */
	const char	*revision;	/* the revision sent to the hub */
	struct plan_caps *caps;		/* listing caps (plan.h), or NULL
					 * for the defaults; plan_push
					 * records which one was hit */
};

/* --- plan.c: listing helpers (plan_create and friends: plan.h) --- */

/* Replace *msg with a formatted one (msg may be NULL). */
void	hub_msg(char **msg, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A copy of s fit for one message line: controls become '?'. */
char	*hub_printable(const char *s, size_t len);
/* Copy hex of exactly n digits, lowercased, into out[n+1]; 0 if not hex. */
bool	hub_hex(const char *s, size_t n, char *out);
/* "models" / "datasets" */
const char *hub_type_plural(enum repo_type t);
/* Check one listed path (json string); CN_ERR_UNSAFE_PATH message names
 * it and the URL. */
int	hub_check_path(json_t *jpath, const char *url, const char **path,
	    char **msg);

/* --- hub_hf.c --- */

/*
 * List q->repo at q->revision on the HF API at q->endpoint.  commit (41
 * bytes) receives the resolved commit as soon as the revision API answers,
 * also when the listing fails later ("" before).
 */
int	hf_plan(const struct hub_query *q, char *commit, struct plan **out,
	    char **msg);
/* The "sha" of a /revision/ reply, as 40 lowercase hex. */
int	hf_parse_commit(json_t *info, const char *url, char *commit,
	    char **msg);
/* Add the "file" entries of one /tree/ page to p. */
int	hf_parse_tree(json_t *page, const struct hub_query *q,
	    const char *commit, const char *url, struct plan *p, size_t *cap,
	    char **msg);
/*
 * The URL of the next page: link resolved against cur; when it names
 * another scheme, host or port than endpoint (hf-mirror passes
 * huggingface.co's Link through), only its path and query are kept, on
 * the endpoint.  malloc'd, NULL on a bad URL.
 */
char	*hf_next_url(const char *endpoint, const char *cur, const char *link);
/*
 * One-line message and code for a failed HF API call: r and resp from
 * http_get_json, detail its message.  Maps 401/403 to "gated or private",
 * RepoNotFound/RevisionNotFound to not found.
 */
int	hf_error(int r, const struct http_resp *resp, const struct hub_query *q,
	    bool have_token, const char *detail, char **msg);

/* --- hub_modelscope.c --- */

/*
 * List q->repo (a model: repo/files; a dataset: the paged repo/tree) at
 * q->revision on ModelScope at q->endpoint.  commit_hint: a commit
 * already resolved by HF or NULL; else the commit is the revision when
 * it is 40 hex, else derived with ms_commit_id().  Each file keeps the
 * listing's "Revision" (plan_file.ms_revision).
 */
int	ms_plan(const struct hub_query *q, const char *commit_hint,
	    struct plan **out, char **msg);
/* Add the blobs of a repo/files (or one repo/tree page) reply to p;
 * download URLs under /api/v1/{models|datasets}/. */
int	ms_parse_files(json_t *j, const struct hub_query *q, const char *url,
	    struct plan *p, size_t *cap, char **msg);
/*
 * A stable 40-hex id for a ModelScope listing, which has no commit for a
 * branch: sha1 over "path\0size\0sha256\n" of every file in path order
 * (p must be plan_finish()ed).  Same files, same id.
 */
int	ms_commit_id(const struct plan *p, char *out);

#endif

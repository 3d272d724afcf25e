/*
 * A download plan: what one pull must fetch, as listed by a hub API.
 * Built by the hub listings (hub_hf.c, hub_modelscope.c) with the
 * helpers below, chosen and filtered by the planner (planner.c),
 * consumed by the transfer engine (transfer.c) and the cache writer
 * (cache.c).  Implemented in plan.c.
 *
 * Who frees: plan_destroy() frees the plan and everything in it (accepts
 * NULL).  All strings are owned by the plan.
 */
#ifndef CN_PLAN_H
#define CN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hub_source {
	SOURCE_HF = 0,		/* Hugging Face API at an endpoint (hf-mirror) */
	SOURCE_MODELSCOPE,
	SOURCE_AUTO,		/* the ladder: mirror, ModelScope,
				 * huggingface.co through a proxy */
	SOURCE_HUGGINGFACE,	/* the last rung: the HF API at the
				 * upstream endpoint (huggingface.co),
				 * through --proxy when one is given */
};

enum repo_type {
	REPO_MODEL = 0,
	REPO_DATASET,
};

/*
 * One more place a file's bytes can be fetched from (a mirror and
 * ModelScope serving the same sha256).  The transfer engine fetches the
 * file's segments from its url and every alternative at once, each with
 * its own connection budget, and verifies the whole file as usual.
 */
struct plan_source {
	char		*name;		/* "hf", "modelscope": names it in
					 * source/file_done/done events */
	char		*url;		/* absolute download URL */
	char	       **headers;	/* extra request headers, "Name: value",
					 * NULL-terminated; NULL for none
					 * (e.g. ModelScope's m_session_id
					 * cookie) */
	int		 max_conns;	/* connections to it for this file;
					 * 0: the pull's -x */
	/* Xet bridge identity from the resolve hop (X-Xet-Hash,
	 * X-Linked-Etag); NULL when the file is not Xet-backed. */
	char		*xet_hash;
	char		*linked_etag;
};

struct plan_file {
	char		*path;		/* repo-relative, validated safe */
	uint64_t	 size;
	bool		 lfs;
	char		 sha256[65];	/* lowercase hex; "" if unknown */
	char		 git_sha1[41];	/* git blob sha1; "" if unknown */
	/* Cache blob name (lowercase hex).  HF: sha256 for LFS files, git
	 * sha1 otherwise (as huggingface_hub names blobs).  ModelScope:
	 * the sha256 for every file.  "" when the hub gave neither (a
	 * ModelScope file without Sha256, an HF entry without oid): the
	 * engine then hashes the download and names the blob by its
	 * sha256. */
	char		 etag[65];
	char		*url;		/* absolute download URL (the plan's
					 * own hub: plan->source) */
	/* Optional further sources of the same bytes (plan_file_add_source);
	 * only offered when their sha256 equals the file's. */
	struct plan_source *alts;
	size_t		 nalts;
	/* Budget for url itself (0: the pull's -x) and its Xet identity
	 * (as in struct plan_source). */
	int		 max_conns;
	char		*xet_hash;
	char		*linked_etag;
};

struct plan {
	enum hub_source	 source;	/* the one actually used: HF or MODELSCOPE */
	enum repo_type	 repo_type;
	char		*repo;		/* "org/name" */
	char		*revision;	/* as asked: "main", a tag, a sha;
					 * "main" when none was asked, also
					 * for ModelScope (names refs/) */
	char		*commit;	/* resolved commit sha (HF); for
					 * ModelScope a stable id derived
					 * from the file list (see hub_modelscope.c) */
	char		*endpoint;	/* base URL the plan was listed from */
	struct plan_file *files;
	size_t		 nfiles;
	uint64_t	 bytes_total;
};

struct hub_query;

void	plan_destroy(struct plan *p);
/* A new empty plan for q and source (files added with plan_push). */
int	plan_create(const struct hub_query *q, enum hub_source source,
	    struct plan **out);
/*
 * Append a file: path is copied, url is taken over (freed on failure
 * too).  *cap is the caller's capacity counter, 0 at first.
 */
int	plan_push(struct plan *p, size_t *cap, const char *path,
	    uint64_t size, bool lfs, const char *sha256, const char *git_sha1,
	    char *url);
/*
 * Give f another source: name and url are copied, headers (may be NULL)
 * deep-copied.  CN_OK or CN_ERR_NOMEM.
 */
int	plan_file_add_source(struct plan_file *f, const char *name,
	    const char *url, const char *const *headers, int max_conns);
/* Name of a plan's own source in events: "hf", "modelscope" or
 * "huggingface" (the upstream rung). */
const char *plan_source_name(enum hub_source s);
/*
 * Sort by path, refuse duplicates and a path that is both a file and a
 * directory (CN_ERR_UNSAFE_PATH), sum bytes_total.  url names the
 * listing in the message.
 */
int	plan_finish(struct plan *p, const char *url, char **msg);
/* Drop the files the globs (pathglob.h) leave out; recount bytes_total. */
void	plan_filter(struct plan *p, const char *const *include,
	    size_t ninclude, const char *const *exclude, size_t nexclude);

#endif

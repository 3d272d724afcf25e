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
	SOURCE_AUTO,		/* HF first, ModelScope on failure */
};

enum repo_type {
	REPO_MODEL = 0,
	REPO_DATASET,
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
	char		*url;		/* absolute download URL */
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
 * Sort by path, refuse duplicates and a path that is both a file and a
 * directory (CN_ERR_UNSAFE_PATH), sum bytes_total.  url names the
 * listing in the message.
 */
int	plan_finish(struct plan *p, const char *url, char **msg);
/* Drop the files the globs (pathglob.h) leave out; recount bytes_total. */
void	plan_filter(struct plan *p, const char *const *include,
	    size_t ninclude, const char *const *exclude, size_t nexclude);

#endif

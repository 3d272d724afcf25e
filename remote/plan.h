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
	/* ModelScope's "Revision" of the file in its listing (the key its
	 * own cache, .msc, stores), or NULL when ModelScope did not list
	 * it; for --modelscope-layout. */
	char		*ms_revision;
};

/*
 * Listing caps: a hostile mirror's listing must not grow the agent
 * without bound, so plan_push() refuses the entry that would pass either
 * cap, while the pages are still arriving.  The defaults are far above
 * any real repository (the largest public ones list ~10^5 files and a
 * few TiB) and are overridden by pull's --max-files / --max-bytes.
 */
#define PLAN_MAX_FILES_DEFAULT	1000000ULL
#define PLAN_MAX_BYTES_DEFAULT	(64ULL << 40)	/* 64 TiB */

enum plan_cap_hit {
	PLAN_CAP_NONE = 0,
	PLAN_CAP_FILES,
	PLAN_CAP_BYTES,
};

struct plan_caps {
	uint64_t	 max_files;	/* 0: PLAN_MAX_FILES_DEFAULT */
	uint64_t	 max_bytes;	/* 0: PLAN_MAX_BYTES_DEFAULT */
	enum plan_cap_hit hit;		/* set by plan_push on refusal */
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
	uint64_t	 bytes_total;	/* while listing: the running sum
					 * the byte cap is checked on */
	struct plan_caps *caps;		/* borrowed while listing, or NULL
					 * (the defaults) */
};

struct hub_query;

void	plan_destroy(struct plan *p);
/* A new empty plan for q and source (files added with plan_push). */
int	plan_create(const struct hub_query *q, enum hub_source source,
	    struct plan **out);
/*
 * Append a file: path is copied, url is taken over (freed on failure
 * too).  *cap is the caller's capacity counter, 0 at first.  Returns
 * CN_ERR_PROTOCOL (and sets p->caps->hit) when the entry would pass a
 * listing cap (struct plan_caps), before anything is allocated for it.
 */
int	plan_push(struct plan *p, size_t *cap, const char *path,
	    uint64_t size, bool lfs, const char *sha256, const char *git_sha1,
	    char *url);
/* "listing of 'repo' at ENDPOINT has more than N files (--max-files N)"
 * or the bytes one, for the cap p->caps says was hit; malloc'd. */
char	*plan_cap_message(const struct plan_caps *caps, const char *repo,
	    const char *endpoint);
/*
 * Give f another source: name and url are copied, headers (may be NULL)
 * deep-copied.  CN_OK or CN_ERR_NOMEM.
 */
int	plan_file_add_source(struct plan_file *f, const char *name,
	    const char *url, const char *const *headers, int max_conns);
/*
 * Where the engine asks again when a signed download URL it was sent to
 * expires (an S3-style 403 from a CDN or a Xet bridge): the URL of f on
 * the source named name ("hf", "modelscope", "huggingface"; NULL or the
 * plan's own source, own: f->url, the /resolve/ URL whose redirect is
 * signed anew each time; else that source's url).  NULL when f has no
 * such source.  Borrowed from f.
 */
const char *plan_file_refresh_url(const struct plan_file *f,
	    enum hub_source own, const char *name);
/* Name of a plan's own source in events: "hf", "modelscope" or
 * "huggingface" (the upstream rung). */
const char *plan_source_name(enum hub_source s);
/*
 * Sort by path, refuse duplicates and a path that is both a file and a
 * directory (CN_ERR_UNSAFE_PATH), sum bytes_total, and give every file
 * the hub published no hash for (etag "") its own etag: the sha256 of
 * "cnorch-unhashed", repo, path and size, so each such file has its own
 * partial file and blob, stable across runs (it is verified by size).
 * url names the listing in the message.
 */
int	plan_finish(struct plan *p, const char *url, char **msg);
/* Drop the files the globs (pathglob.h) leave out; recount bytes_total. */
void	plan_filter(struct plan *p, const char *const *include,
	    size_t ninclude, const char *const *exclude, size_t nexclude);

#endif

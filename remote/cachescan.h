/*
 * What is in the caches on this box, read without changing anything: the
 * Hugging Face hub cache (cache.h layout) repo by repo, ModelScope's own
 * cache (MODELSCOPE_CACHE/models/org/name, partials under ._____temp/),
 * the last pull job of each repo (job.h) and the disks.  `cache`,
 * `verify` and `gc` all start from one scan.
 *
 * Sizes are apparent bytes (st_size) of files counted once per inode, so
 * a blob linked from two snapshots, or hard-linked twice, counts once.
 *
 * Who frees: cachescan_destroy() (accepts NULL) frees the scan and
 * everything in it; all strings are owned by the scan.
 */
#ifndef CN_CACHESCAN_H
#define CN_CACHESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

/* One symlink snapshots/<commit>/<path> -> ../blobs/<blob>. */
struct cache_link {
	char		*path;		/* repo-relative */
	char		*blob;		/* blob file name; "" for a plain file */
};

/* One snapshots/<commit>/ directory. */
struct cache_rev {
	char		*commit;
	char		**refs;		/* refs/<name> holding commit */
	size_t		 nrefs;		/* 0: detached */
	struct cache_link *links;
	size_t		 nlinks;
};

struct cache_blob {
	char		*name;		/* etag: sha256 or git sha1 hex */
	uint64_t	 size;
	dev_t		 dev;
	ino_t		 ino;
	nlink_t		 nlink;
};

/* blobs/<etag>.incomplete and its control file, or a ModelScope temp. */
struct cache_partial {
	char		*path;		/* the .incomplete (or the control file
					 * when it is alone) */
	char		*ctl;		/* <etag>.incomplete.cnorch or NULL */
	char		*etag;		/* "" when not known */
	uint64_t	 size;		/* both files */
	double		 age_s;		/* since the newer mtime of the two */
};

struct cache_job {
	char		*id;		/* job directory name */
	char		 state[16];	/* as recorded; "dead" when it claims
					 * to run but its process is gone */
	double		 started;
	double		 ended;		/* 0 while running */
	bool		 running;	/* queued/running and alive */
};

struct cache_repo {
	char		*id;		/* "org/name" */
	enum repo_type	 type;
	bool		 modelscope;	/* ModelScope's own layout */
	char		*dir;		/* the repo directory */
	char		*folder;	/* models--org--name (HF only) */
	struct cache_rev *revs;
	size_t		 nrevs;
	char		**dangling;	/* refs naming no snapshot on disk */
	size_t		 ndangling;
	struct cache_blob *blobs;	/* HF: blobs/ minus partials */
	size_t		 nblobs;
	struct cache_partial *partials;
	size_t		 npartials;
	uint64_t	 size;		/* every file once by inode, partials
					 * excluded */
	unsigned	 files;		/* distinct files counted in size */
	char		*ms_revision;	/* ModelScope: .mv content or NULL */
	struct cache_job last_job;	/* id NULL when none */
	bool		 job_running;	/* any job on this repo still alive */
};

struct cache_scan {
	char		*cache_dir;	/* HF hub cache, or NULL */
	struct cache_repo *repos;
	size_t		 nrepos;
};

struct cache_disk {
	uint64_t	 total, used, free;	/* free: for unprivileged users */
	unsigned long	 fsid;
};

/*
 * Scan cache_dir (the HF hub cache) and ms_dir (MODELSCOPE_CACHE or its
 * models/ directory); either may be NULL and a missing directory is an
 * empty cache.  now is the clock partial ages are taken against.  With
 * jobs_dir, each repo gets the last pull job that wrote it.  *msg names
 * what could not be read (caller frees).
 */
int	cachescan_create(const char *cache_dir, const char *ms_dir,
	    const char *jobs_dir, double now, struct cache_scan **out,
	    char **msg);
void	cachescan_destroy(struct cache_scan *s);

/* The repo id/type in s, or NULL. */
struct cache_repo *cachescan_find(struct cache_scan *s, const char *id,
	    enum repo_type type);

/* The blob called name in r, or NULL. */
const struct cache_blob *cachescan_blob(const struct cache_repo *r,
	    const char *name);

/* Is name (a blob) linked from a revision other than those skipped
 * (skip[i] true)?  skip may be NULL. */
bool	cachescan_blob_used(const struct cache_repo *r, const char *name,
	    const bool *skip);

/* statvfs of path. */
int	cachescan_disk(const char *path, struct cache_disk *d);

/* "model" or "dataset". */
const char *cachescan_type_name(enum repo_type t);

#endif

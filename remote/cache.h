/*
 * Where a pull's bytes go: the Hugging Face cache layout
 *   <cache-dir>/models--org--name/blobs/<etag>
 *   <cache-dir>/models--org--name/snapshots/<commit>/<path> -> ../../blobs/<etag>
 *   <cache-dir>/models--org--name/refs/<revision>   (holds <commit>)
 * (datasets--org--name for datasets), or with --local-dir a plain tree
 * DIR/<path> with partial data under DIR/.cache/cnorch/.
 *
 * Partial data is always <partdir>/<etag>.incomplete plus its control
 * file <etag>.incomplete.cnorch (segment.h).  Only verified files are
 * made visible: renamed to blobs/<etag> (or DIR/<path>) and linked by a
 * tmp symlink + rename, so snapshots/ and the local dir never show a
 * byte that was not checked.
 *
 * The repo directory is locked (flock on .locks/cnorch.lock, or
 * DIR/.cache/cnorch/cnorch.lock) for as long as the cache is open, so
 * two agents never write the same blobs.
 *
 * Who frees: cache_destroy() (accepts NULL) releases the lock; strings
 * returned by cache_*_path() are malloc'd for the caller.
 */
#ifndef CN_CACHE_H
#define CN_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

struct cache;

/*
 * Open (creating directories) and lock the target for repo: cache_dir is
 * the HF hub cache (HF_HUB_CACHE) unless local is true, when it is the
 * plain --local-dir.  CN_ERR_LOCKED when another agent holds the lock,
 * CN_ERR_UNSAFE_PATH for a repo id that is not "org/name" or "name".
 * *msg gets a one-line reason on failure (caller frees).
 */
int	cache_open(const char *dir, bool local, enum repo_type type,
	    const char *repo, struct cache **out, char **msg);
void	cache_destroy(struct cache *c);

/*
 * Take the lock cache_open() holds on the HF repo directory repo_dir
 * (repo_dir/.locks/cnorch.lock), without waiting, for those who change
 * a cache without pulling (gc, verify --repair): CN_OK with *fd (close
 * it to release), CN_ERR_LOCKED when a pull holds it, CN_ERR_SYSTEM
 * (errno tells).  create false (a dry run) never creates the lock file:
 * a missing one is not held, and *fd is then -1.
 */
int	cache_lock_repo(const char *repo_dir, bool create, int *fd);

/* The repo directory (models--org--name or the local dir). */
const char *cache_repo_dir(const struct cache *c);

/* "models--org--name" for repo, or NULL when repo is not a safe id. */
char	*cache_repo_folder(enum repo_type type, const char *repo);

/*
 * Relative symlink target from snapshots/<commit>/<path> to
 * blobs/<etag>: "../../blobs/<etag>" plus one "../" per directory in
 * path.
 */
char	*cache_link_target(const char *path, const char *etag);

char	*cache_part_path(const struct cache *c, const char *etag);
char	*cache_ctl_path(const struct cache *c, const char *etag);

/*
 * Is f already complete on disk?  HF layout: blobs/<etag> exists with
 * f's size (then only the snapshot link may be missing).  Local dir:
 * DIR/<path> has f's size and the marker written at commit names the
 * same etag.
 */
bool	cache_have(const struct cache *c, const struct plan_file *f);

/*
 * Make a verified partial file visible: rename part to blobs/<etag> and
 * link snapshots/<commit>/<path> (or rename into DIR/<path>).  With part
 * NULL only (re)create the link / marker for an existing blob.
 */
int	cache_commit(struct cache *c, const struct plan_file *f,
	    const char *commit, const char *part, char **msg);

/* refs/<revision> = commit, atomically; nothing for --local-dir or when
 * revision is the commit itself. */
int	cache_write_ref(struct cache *c, const char *revision,
	    const char *commit, char **msg);

/* Bytes available to an unprivileged writer in the repo directory. */
int	cache_free_bytes(const struct cache *c, uint64_t *out);

/* Where snapshots/<commit>/<path> (or DIR/<path>) is: for verify. */
char	*cache_visible_path(const struct cache *c, const char *commit,
	    const char *path);

#endif

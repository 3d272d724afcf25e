/*
 * Giving disk back from the HF hub cache: which detached revisions,
 * unreferenced blobs and stale partials of one scanned repo
 * (cachescan.h) can go, how many bytes that frees exactly, and removing
 * them.  Whether a repo may be touched at all (its lock, a running job)
 * is the caller's question: cache_lock_repo() (cache.h) answers the first.
 *
 * Who frees: cachegc_plan_destroy() (accepts NULL) frees the plan.
 */
#ifndef CN_CACHEGC_H
#define CN_CACHEGC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cachescan.h"

enum gc_what {
	GC_REVISION,		/* snapshots/<commit>/, no ref points to it */
	GC_BLOB,		/* blobs/<etag>, no remaining snapshot links it */
	GC_PARTIAL,		/* blobs/<etag>.incomplete (+ .cnorch) */
};

struct gc_item {
	enum gc_what	 what;
	char		*path;
	char		*path2;		/* the partial's control file or NULL */
	char		*name;		/* commit, etag or file name */
	uint64_t	 bytes;		/* freed by removing it: an inode's size
					 * counts once, and only when its last
					 * link goes */
	double		 age_s;		/* partials */
};

struct gc_plan {
	struct gc_item	*items;
	size_t		 nitems;
	uint64_t	 bytes;		/* sum of the items' bytes */
	unsigned	 kept_fresh;	/* partials younger than older_than */
	unsigned	 kept_busy;	/* blobs/partials huggingface_hub holds
					 * (.locks/<folder>/<etag>.lock) */
};

struct gc_opts {
	bool		 revisions;
	bool		 incomplete;
	double		 older_than_s;	/* partials at least this old */
	const char	*cache_dir;	/* for huggingface_hub's own locks */
};

/*
 * "30m", "2h", "3d", "45s": digits then one unit, nothing else.
 * CN_ERR_INVALID for anything else (empty, no unit, "1.5h", "2hours",
 * overflow).
 */
int	cachegc_parse_age(const char *s, double *out);

/* What gc would remove from r (HF layout only; ModelScope repos get an
 * empty plan). */
int	cachegc_plan(const struct cache_repo *r, const struct gc_opts *o,
	    struct gc_plan **out);
void	cachegc_plan_destroy(struct gc_plan *p);

/*
 * Remove every item of p, revisions first so no snapshot ever links a
 * removed blob.  Goes on past a failure; returns the first one with *msg
 * naming the path (caller frees).  *freed gets the bytes of the items
 * actually removed.
 */
int	cachegc_run(const struct gc_plan *p, uint64_t *freed, char **msg);

#endif

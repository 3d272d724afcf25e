/*
 * --modelscope-layout: a pulled model also in ModelScope's own cache, so
 * modelscope's snapshot_download() finds it without a download
 * (modelscope hub/utils/caching.py ModelFileSystemCache,
 * hub/file_download.py create_temporary_directory_and_cache):
 *   <root>/models/<org>/<name, '.' -> '___'>/<path>   the files
 *   .../.mdl   pickle {"id": "<org>/<name as stored>"}
 *   .../.msc   pickle [{"Path": path, "Revision": rev}, ...]
 *   .../.mv    "Revision:<revision>" (what it last pulled)
 * where <root> is $MODELSCOPE_CACHE, else ~/.cache/modelscope/hub.  The
 * files are hard links to the HF cache's blobs (no second copy; a copy
 * when the two are on different filesystems).
 *
 * modelscope trusts a cached file when its .msc Revision is a prefix of
 * the listing's (or the reverse) and its sha256 is the listed Sha256:
 * files ModelScope listed carry its Revision; others (a model from the
 * mirror only) carry the HF commit, which modelscope does not match, so
 * it would fetch those again.  Models only: ModelScope datasets cache
 * differently.  Implemented in ms_layout.c.
 */
#ifndef CN_MS_LAYOUT_H
#define CN_MS_LAYOUT_H

#include <stdbool.h>

#include "cache.h"
#include "plan.h"

/*
 * Mirror the files of p that ok[] marks committed (all when ok is NULL)
 * from the HF cache c into ModelScope's layout under root (NULL: the
 * default above).  repo names the directory (ModelScope's id).  *dir_out
 * (may be NULL) gets the model directory (caller frees).  Returns CN_OK,
 * CN_ERR_UNSUPPORTED (a dataset), CN_ERR_SYSTEM / CN_ERR_IO with *msg,
 * CN_ERR_NOMEM.
 */
int	ms_layout_write(const struct plan *p, const bool *ok, struct cache *c,
	    const char *root, const char *repo, char **dir_out, char **msg);

/*
 * The bytes of a pickle (protocol 2) of a list of {"Path": paths[i],
 * "Revision": revs[i]} dicts, malloc'd into *out / *len; for the tests.
 */
int	ms_layout_pickle_msc(const char *const *paths,
	    const char *const *revs, size_t n, unsigned char **out,
	    size_t *len);

#endif

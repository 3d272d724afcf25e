/*
 * Small file-system helpers shared by both binaries: mkdir -p, and the
 * one way a file is replaced so a reader (or a crash) sees the old or
 * the new content, never a torn one.
 */
#ifndef CN_FSUTIL_H
#define CN_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* mkdir -p with mode 0755; directories that exist are fine. */
int	fs_mkdirs(const char *path);
/* fs_mkdirs() of the directory holding path ("a/b/c" -> "a/b"). */
int	fs_mkparent(const char *path);

/*
 * Replace path with the len bytes of data (mode 0644): written to a
 * temporary ".<name>.tmp<pid>" next to it, then renamed over path.  With
 * durable, the temporary is fsync'd before the rename and the directory
 * after it, so the new content survives a power loss; without, a crash
 * of the process still never leaves a torn file.  The temporary is
 * removed on failure.  Returns CN_OK, CN_ERR_NOMEM or CN_ERR_SYSTEM
 * (errno tells).
 */
int	fs_write_atomic(const char *path, const void *data, size_t len,
	    bool durable);
/* Point the symlink link at target, replacing what is there (temporary
 * symlink + rename).  Same returns. */
int	fs_symlink_atomic(const char *target, const char *link);
/* fsync the directory holding path (makes a rename in it durable). */
void	fs_sync_parent(const char *path);

#endif

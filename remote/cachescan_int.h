/*
 * Internal to cachescan.c and cachescan_ms.c: the helpers both layouts'
 * scanners share.  Not an API for anything else.
 */
#ifndef CN_CACHESCAN_INT_H
#define CN_CACHESCAN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cachescan.h"

/* Every file seen, to count each inode once at the end. */
struct ino_ent {
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 size;
};

struct ino_acc {
	struct ino_ent	*v;
	size_t		 n;
};

/* Remember st's inode and size. */
int	scan_acc_add(struct ino_acc *a, const struct stat *st);
/* Sum of sizes, each (dev, ino) once; sorts a. */
void	scan_acc_total(struct ino_acc *a, uint64_t *bytes, unsigned *files);
/* "a/b" (just b when a is ""), malloc'd. */
char	*scan_join(const char *a, const char *b);
/* Entry names of dir, sorted; none for a missing dir. */
int	scan_list_dir(const char *dir, char ***out, size_t *n);
void	scan_free_names(char **v, size_t n);
/* First line of a small file, malloc'd, or NULL. */
char	*scan_read_line(const char *path);
/* A zeroed repo appended to s, or NULL. */
struct cache_repo *scan_new_repo(struct cache_scan *s);
int	scan_add_partial(struct cache_repo *rp, const char *path,
	    const char *ctl, const char *etag, uint64_t size, double age);

/* cachescan_ms.c: ModelScope's own cache under ms_dir into s. */
int	scan_ms(struct cache_scan *s, const char *ms_dir, double now);

#endif

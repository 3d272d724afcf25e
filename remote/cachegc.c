/*
 * gc planning and removal for one HF cache repo (cachegc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cachegc.h"
#include "error.h"

int
cachegc_parse_age(const char *s, double *out)
{
	unsigned long long v = 0, mult;
	const char *p = s;

	*out = 0;
	if (*p < '0' || *p > '9')
		return CN_ERR_INVALID;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return CN_ERR_INVALID;
		v = v * 10 + (unsigned)(*p - '0');
	}
	switch (*p) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return CN_ERR_INVALID;
	}
	/* Ten years is more than any cache has lived; beyond is a typo. */
	if (p[1] != '\0' || v > 3650ULL * 86400 / mult)
		return CN_ERR_INVALID;
	*out = (double)(v * mult);
	return CN_OK;
}

static int
add_item(struct gc_plan *p, enum gc_what what, const char *path,
    const char *path2, const char *name, uint64_t bytes)
{
	struct gc_item *v, *it;

	if ((v = reallocarray(p->items, p->nitems + 1, sizeof(*v))) == NULL)
		return CN_ERR_NOMEM;
	p->items = v;
	it = &v[p->nitems++];
	memset(it, 0, sizeof(*it));
	it->what = what;
	it->bytes = bytes;
	it->path = strdup(path);
	it->path2 = path2 ? strdup(path2) : NULL;
	it->name = strdup(name);
	if (it->path == NULL || it->name == NULL || (path2 && !it->path2))
		return CN_ERR_NOMEM;
	p->bytes += bytes;
	return CN_OK;
}

/* Bytes of plain files (copies, not links) in a snapshot that go with
 * it: only those whose last link is there. */
static uint64_t
snapshot_own_bytes(const struct cache_repo *r, const struct cache_rev *rev)
{
	struct stat st;
	uint64_t n = 0;
	size_t i;
	char *p;

	for (i = 0; i < rev->nlinks; i++) {
		if (rev->links[i].blob[0] != '\0')
			continue;
		if (asprintf(&p, "%s/snapshots/%s/%s", r->dir, rev->commit,
		    rev->links[i].path) < 0)
			continue;
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_nlink == 1)
			n += (uint64_t)st.st_size;
		free(p);
	}
	return n;
}

/* Does huggingface_hub hold <cache>/.locks/<folder>/<etag>.lock now? */
static bool
hf_blob_locked(const char *cache_dir, const struct cache_repo *r,
    const char *etag)
{
	char *p = NULL;
	bool held = false;
	int fd;

	if (cache_dir == NULL || r->folder == NULL || etag[0] == '\0' ||
	    asprintf(&p, "%s/.locks/%s/%s.lock", cache_dir, r->folder,
	    etag) < 0)
		return false;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0) {
		held = flock(fd, LOCK_SH | LOCK_NB) != 0 &&
		    errno == EWOULDBLOCK;
		close(fd);
	}
	free(p);
	return held;
}

static int
plan_revisions(const struct cache_repo *r, const struct gc_opts *o,
    struct gc_plan *p)
{
	bool *gone = NULL;
	size_t i, j, k, links;
	const struct cache_blob *b;
	char *path = NULL;
	int r_ = CN_OK;

	if (r->nrevs == 0 && r->nblobs == 0)
		return CN_OK;
	if ((gone = calloc(r->nrevs + 1, sizeof(*gone))) == NULL)
		return CN_ERR_NOMEM;
	for (i = 0; i < r->nrevs && r_ == CN_OK; i++) {
		if (r->revs[i].nrefs > 0)
			continue;
		gone[i] = true;
		free(path);
		if (asprintf(&path, "%s/snapshots/%s", r->dir,
		    r->revs[i].commit) < 0) {
			path = NULL;
			r_ = CN_ERR_NOMEM;
			break;
		}
		r_ = add_item(p, GC_REVISION, path, NULL, r->revs[i].commit,
		    snapshot_own_bytes(r, &r->revs[i]));
	}
	for (i = 0; i < r->nblobs && r_ == CN_OK; i++) {
		b = &r->blobs[i];
		if (cachescan_blob_used(r, b->name, gone))
			continue;
		/* huggingface_hub moves a blob in, then links it, under its
		 * own per-blob lock: not garbage yet. */
		if (hf_blob_locked(o->cache_dir, r, b->name)) {
			p->kept_busy++;
			continue;
		}
		/* Freed only with the inode's last link; two names of one
		 * inode both going count once. */
		links = 0;
		for (k = 0; k < r->nblobs; k++)
			if (r->blobs[k].dev == b->dev &&
			    r->blobs[k].ino == b->ino &&
			    !cachescan_blob_used(r, r->blobs[k].name, gone))
				links++;
		for (j = 0; j < i; j++)
			if (r->blobs[j].dev == b->dev &&
			    r->blobs[j].ino == b->ino &&
			    !cachescan_blob_used(r, r->blobs[j].name, gone))
				break;
		free(path);
		if (asprintf(&path, "%s/blobs/%s", r->dir, b->name) < 0) {
			path = NULL;
			r_ = CN_ERR_NOMEM;
			break;
		}
		r_ = add_item(p, GC_BLOB, path, NULL, b->name,
		    j == i && links >= b->nlink ? b->size : 0);
	}
	free(path);
	free(gone);
	return r_;
}

static int
plan_partials(const struct cache_repo *r, const struct gc_opts *o,
    struct gc_plan *p)
{
	const struct cache_partial *pt;
	const char *name;
	size_t i;
	int r_ = CN_OK;

	for (i = 0; i < r->npartials && r_ == CN_OK; i++) {
		pt = &r->partials[i];
		if (pt->age_s < o->older_than_s) {
			p->kept_fresh++;
			continue;
		}
		if (hf_blob_locked(o->cache_dir, r, pt->etag)) {
			p->kept_busy++;
			continue;
		}
		name = strrchr(pt->path, '/');
		r_ = add_item(p, GC_PARTIAL, pt->path, pt->ctl,
		    name ? name + 1 : pt->path, pt->size);
		if (r_ == CN_OK)
			p->items[p->nitems - 1].age_s = pt->age_s;
	}
	return r_;
}

int
cachegc_plan(const struct cache_repo *r, const struct gc_opts *o,
    struct gc_plan **out)
{
	struct gc_plan *p;
	int r_ = CN_OK;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CN_ERR_NOMEM;
	if (!r->modelscope) {
		if (o->revisions)
			r_ = plan_revisions(r, o, p);
		if (r_ == CN_OK && o->incomplete)
			r_ = plan_partials(r, o, p);
	}
	if (r_ != CN_OK) {
		cachegc_plan_destroy(p);
		return r_;
	}
	*out = p;
	return CN_OK;
}

void
cachegc_plan_destroy(struct gc_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nitems; i++) {
		free(p->items[i].path);
		free(p->items[i].path2);
		free(p->items[i].name);
	}
	free(p->items);
	free(p);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path) == 0 ? 0 : -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

static int
remove_item(const struct gc_item *it)
{
	if (it->what == GC_REVISION)
		return nftw(it->path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ?
		    CN_OK : CN_ERR_SYSTEM;
	if (unlink(it->path) != 0 && errno != ENOENT)
		return CN_ERR_SYSTEM;
	if (it->path2 != NULL && unlink(it->path2) != 0 && errno != ENOENT)
		return CN_ERR_SYSTEM;
	return CN_OK;
}

int
cachegc_run(const struct gc_plan *p, uint64_t *freed, char **msg)
{
	enum gc_what order[] = { GC_REVISION, GC_BLOB, GC_PARTIAL };
	size_t i, k;
	int r, first = CN_OK;

	*freed = 0;
	*msg = NULL;
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = 0; i < p->nitems; i++) {
			if (p->items[i].what != order[k])
				continue;
			if ((r = remove_item(&p->items[i])) == CN_OK) {
				*freed += p->items[i].bytes;
				continue;
			}
			if (first == CN_OK) {
				first = r;
				if (asprintf(msg, "cannot remove '%s': %s",
				    p->items[i].path, strerror(errno)) < 0)
					*msg = NULL;
			}
		}
	return first;
}

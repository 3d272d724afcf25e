/* The engine's partial files on disk: open or resume one from its control
 * file, save that control file, and the disk space a plan still needs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "transfer_int.h"

/* Save the control file; with durable, the data first. */
void
xfer_save_ctl(struct xfile *f, bool durable, double now)
{
	if (f->map == NULL || f->ctl == NULL)
		return;
	if (segmap_checkpoint(f->map, f->pf->etag, f->ctl, f->fd,
	    durable) == CN_OK) {
		f->dirty = false;
		f->saved_at = now;
		if (durable)
			f->durable_at = now;
	}
}

/* Mark [0, len) written in a fresh map: an .incomplete without control
 * file was written sequentially (by huggingface_hub, or by us before the
 * first save). */
static void
mark_prefix(struct segmap *m, uint64_t len)
{
	size_t i;

	for (i = 0; i < m->nsegs; i++) {
		struct seg *s = &m->segs[i];

		if (s->end <= len)
			s->done = s->end - s->start;
		else if (s->start < len)
			s->done = len - s->start;
	}
}

int
xfer_file_open(struct engine *e, struct xfile *f, char **msg)
{
	const struct plan_file *pf = f->pf;
	struct stat st;
	uint64_t len;
	int r;

	*msg = NULL;
	if (f->part == NULL &&
	    ((f->part = cache_part_path(e->o->cache, pf->etag)) == NULL ||
	    (f->ctl = cache_ctl_path(e->o->cache, pf->etag)) == NULL))
		return CN_ERR_NOMEM;
	if ((f->fd = open(f->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    fstat(f->fd, &st) != 0) {
		if (asprintf(msg, "cannot open '%s': %s", f->part,
		    strerror(errno)) < 0)
			*msg = NULL;
		return CN_ERR_SYSTEM;
	}
	len = (uint64_t)st.st_size;
	r = segmap_load(f->ctl, pf->size, pf->etag, len, &f->map);
	if (r == CN_ERR_NOMEM)
		return r;
	if (r != CN_OK) {
		if (len > pf->size) {
			(void)ftruncate(f->fd, 0);
			len = 0;
		}
		/* One segment: connections carve pieces off it in file order
		 * (segmap_split), so the digest, which must read the file
		 * front to back, follows close behind the downloads. */
		if ((r = segmap_create(pf->size, 1, e->o->min_seg,
		    &f->map)) != CN_OK)
			return r;
		mark_prefix(f->map, len);
		xfer_save_ctl(f, false, mono());
	}
	/* Reserve the blocks up front (no ENOSPC halfway, less
	 * fragmentation) without changing the length, which must keep
	 * meaning "bytes written".  Unsupported filesystems just skip it. */
	if (pf->size > 0)
		(void)fallocate(f->fd, FALLOC_FL_KEEP_SIZE, 0,
		    (off_t)pf->size);
	f->kind = hash_kind_for(pf);
	if ((r = hasher_create(f->kind, pf->size, &f->hash)) != CN_OK)
		return r;
	hash_pool_attach(e->hpool, &f->hj, f->fd, f->hash);
	f->allow = 0;
	f->ramp_later = false;
	f->piece_rate = 0;
	f->saved_at = f->durable_at = mono();
	f->active = true;
	e->nactive++;
	return CN_OK;
}

uint64_t
transfer_space_needed(const struct plan *p, struct cache *c)
{
	uint64_t need = 0, have;
	struct stat st;
	char *part;
	size_t i;

	for (i = 0; i < p->nfiles; i++) {
		const struct plan_file *f = &p->files[i];

		if (cache_have(c, f))
			continue;
		have = 0;
		if ((part = cache_part_path(c, f->etag)) != NULL &&
		    stat(part, &st) == 0)
			have = (uint64_t)st.st_blocks * 512;
		free(part);
		need += have >= f->size ? 0 : f->size - have;
	}
	return need;
}

/* Byte-range segments of a download and their control file (segment.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "segment.h"

static int
reserve(struct segmap *m, size_t n)
{
	struct seg *s;
	size_t cap;

	if (n <= m->cap)
		return CN_OK;
	cap = m->cap ? m->cap * 2 : 8;
	while (cap < n)
		cap *= 2;
	if ((s = realloc(m->segs, cap * sizeof(*s))) == NULL)
		return CN_ERR_NOMEM;
	m->segs = s;
	m->cap = cap;
	return CN_OK;
}

int
segmap_create(uint64_t size, unsigned max_conns, uint64_t min_seg,
    struct segmap **out)
{
	struct segmap *m = NULL;
	uint64_t n, each, start;
	size_t i;
	int r;

	*out = NULL;
	if (min_seg == 0)
		min_seg = 1;
	if (max_conns == 0)
		max_conns = 1;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return CN_ERR_NOMEM;
	m->size = size;
	n = size / min_seg;
	if (n > max_conns)
		n = max_conns;
	if (n < 1 || size < 2 * min_seg)
		n = 1;
	if ((r = reserve(m, (size_t)n)) != CN_OK)
		goto out;
	each = size / n;
	start = 0;
	for (i = 0; i < n; i++) {
		m->segs[i].start = start;
		m->segs[i].end = i + 1 == n ? size : start + each;
		m->segs[i].done = 0;
		m->segs[i].busy = 0;
		m->segs[i].reserved = 0;
		start = m->segs[i].end;
	}
	m->nsegs = (size_t)n;
	*out = m;
	m = NULL;
	r = CN_OK;
 out:
	segmap_destroy(m);
	return r;
}

void
segmap_destroy(struct segmap *m)
{
	if (m == NULL)
		return;
	free(m->segs);
	free(m);
}

uint64_t
segmap_done(const struct segmap *m)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < m->nsegs; i++)
		t += m->segs[i].done;
	return t;
}

uint64_t
segmap_prefix(const struct segmap *m)
{
	size_t i;

	for (i = 0; i < m->nsegs; i++)
		if (seg_left(&m->segs[i]) > 0)
			return seg_pos(&m->segs[i]);
	return m->size;
}

bool
segmap_complete(const struct segmap *m)
{
	return segmap_prefix(m) == m->size;
}

long
segmap_next_idle(const struct segmap *m)
{
	long best = -1;
	size_t i;

	for (i = 0; i < m->nsegs; i++) {
		if (m->segs[i].busy || seg_left(&m->segs[i]) == 0)
			continue;
		/* Earliest first: the hash follows the prefix, so filling
		 * holes in file order keeps the read-back short. */
		best = (long)i;
		break;
	}
	return best;
}

int
segmap_split(struct segmap *m, uint64_t min_seg, size_t *idx)
{
	size_t i, best = (size_t)-1;
	uint64_t from, avail, best_avail = 0, mid;
	struct seg *s;
	int r;

	for (i = 0; i < m->nsegs; i++) {
		s = &m->segs[i];
		if (!s->busy || seg_left(s) == 0)
			continue;
		from = s->reserved > seg_pos(s) ? s->reserved : seg_pos(s);
		avail = from < s->end ? s->end - from : 0;
		if (avail > best_avail) {
			best_avail = avail;
			best = i;
		}
	}
	if (best == (size_t)-1)
		return CN_ERR_NOT_FOUND;
	s = &m->segs[best];
	/* Right after the piece in flight, so pieces are handed out in file
	 * order and the hashed prefix keeps up; half of what is left when
	 * nothing is in flight (waiting to retry). */
	mid = s->reserved > seg_pos(s) ? s->reserved :
	    seg_pos(s) + seg_left(s) / 2;
	if (mid >= s->end || s->end - mid < min_seg)
		return CN_ERR_NOT_FOUND;
	if ((r = reserve(m, m->nsegs + 1)) != CN_OK)
		return r;
	s = &m->segs[best];
	memmove(&m->segs[best + 2], &m->segs[best + 1],
	    (m->nsegs - best - 1) * sizeof(*s));
	m->segs[best + 1].start = mid;
	m->segs[best + 1].end = s->end;
	m->segs[best + 1].done = 0;
	m->segs[best + 1].busy = 0;
	m->segs[best + 1].reserved = 0;
	s->end = mid;
	m->nsegs++;
	*idx = best + 1;
	return CN_OK;
}

int
segmap_cut(struct segmap *m, size_t i, uint64_t at, size_t *idx)
{
	struct seg *s;
	int r;

	if (i >= m->nsegs)
		return CN_ERR_INVALID;
	s = &m->segs[i];
	if (at <= seg_pos(s) || at >= s->end)
		return CN_ERR_NOT_FOUND;
	if ((r = reserve(m, m->nsegs + 1)) != CN_OK)
		return r;
	s = &m->segs[i];
	memmove(&m->segs[i + 2], &m->segs[i + 1],
	    (m->nsegs - i - 1) * sizeof(*s));
	m->segs[i + 1].start = at;
	m->segs[i + 1].end = s->end;
	m->segs[i + 1].done = 0;
	m->segs[i + 1].busy = 0;
	m->segs[i + 1].reserved = 0;
	s->end = at;
	m->nsegs++;
	*idx = i + 1;
	return CN_OK;
}

void
segmap_compact(struct segmap *m)
{
	size_t i = 0;

	while (i + 1 < m->nsegs) {
		struct seg *a = &m->segs[i], *b = &m->segs[i + 1];

		/* a full: b continues it, so done simply adds. */
		if (!a->busy && !b->busy && seg_left(a) == 0) {
			b->done += a->end - a->start;
			b->start = a->start;
			memmove(a, b, (m->nsegs - i - 1) * sizeof(*a));
			m->nsegs--;
			continue;
		}
		i++;
	}
}

void
segmap_collapse(struct segmap *m)
{
	uint64_t p = segmap_prefix(m);

	m->segs[0].start = 0;
	m->segs[0].end = m->size;
	m->segs[0].done = p;
	m->segs[0].busy = 0;
	m->segs[0].reserved = 0;
	m->nsegs = 1;
}

long
segmap_find(const struct segmap *m, uint64_t start)
{
	size_t lo = 0, hi = m->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->segs[mid].start == start)
			return (long)mid;
		if (m->segs[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void
segmap_clamp(struct segmap *m, uint64_t len)
{
	size_t i;

	for (i = 0; i < m->nsegs; i++) {
		struct seg *s = &m->segs[i];

		if (s->start >= len)
			s->done = 0;
		else if (seg_pos(s) > len)
			s->done = len - s->start;
	}
}

char *
segmap_encode(const struct segmap *m, const char *etag)
{
	json_t *o = NULL, *a = NULL;
	char *s = NULL;
	size_t i;

	if ((o = json_object()) == NULL || (a = json_array()) == NULL)
		goto out;
	for (i = 0; i < m->nsegs; i++) {
		json_t *e = json_pack("[III]", (json_int_t)m->segs[i].start,
		    (json_int_t)m->segs[i].end, (json_int_t)m->segs[i].done);

		if (e == NULL || json_array_append_new(a, e) != 0)
			goto out;
	}
	if (json_object_set_new(o, "v", json_integer(1)) != 0 ||
	    json_object_set_new(o, "size", json_integer((json_int_t)m->size))
	    != 0 ||
	    json_object_set_new(o, "etag", json_string(etag ? etag : "")) != 0)
		goto out;
	if (json_object_set(o, "segs", a) != 0)
		goto out;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
 out:
	json_decref(a);
	json_decref(o);
	return s;
}

int
segmap_decode(const char *buf, size_t len, uint64_t size, const char *etag,
    struct segmap **out)
{
	json_t *o = NULL, *a, *e;
	struct segmap *m = NULL;
	json_int_t v = 0, sz = 0, st, en, dn;
	const char *et = NULL;
	uint64_t expect = 0;
	size_t i;
	int r = CN_ERR_PARSE;

	*out = NULL;
	if ((o = json_loadb(buf, len, 0, NULL)) == NULL)
		goto out;
	if (json_unpack(o, "{s:I,s:I,s:s,s:o}", "v", &v, "size", &sz,
	    "etag", &et, "segs", &a) != 0 || v != 1 || !json_is_array(a))
		goto out;
	/* A control file for another file or size is not ours to trust. */
	if ((uint64_t)sz != size || sz < 0 || strcmp(et, etag ? etag : "") != 0)
		goto out;
	if (json_array_size(a) == 0 || json_array_size(a) > 1 << 16)
		goto out;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	m->size = size;
	if (reserve(m, json_array_size(a)) != CN_OK) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	json_array_foreach(a, i, e) {
		if (json_unpack(e, "[III]", &st, &en, &dn) != 0)
			goto out;
		/* Segments must tile [0, size) in order. */
		if (st < 0 || en < st || dn < 0 || (uint64_t)st != expect ||
		    dn > en - st || (uint64_t)en > size)
			goto out;
		m->segs[i].start = (uint64_t)st;
		m->segs[i].end = (uint64_t)en;
		m->segs[i].done = (uint64_t)dn;
		m->segs[i].busy = 0;
		m->segs[i].reserved = 0;
		expect = (uint64_t)en;
	}
	m->nsegs = json_array_size(a);
	if (expect != size)
		goto out;
	*out = m;
	m = NULL;
	r = CN_OK;
 out:
	segmap_destroy(m);
	json_decref(o);
	return r;
}

int
segmap_save(const struct segmap *m, const char *etag, const char *path,
    bool durable)
{
	char *body;
	int r;

	if ((body = segmap_encode(m, etag)) == NULL)
		return CN_ERR_NOMEM;
	r = fs_write_atomic(path, body, strlen(body), durable);
	free(body);
	return r;
}

int
segmap_checkpoint(struct segmap *m, const char *etag, const char *path,
    int data_fd, bool durable)
{
	if (durable && data_fd >= 0)
		(void)fdatasync(data_fd);
	segmap_compact(m);
	return segmap_save(m, etag, path, durable);
}

int
segmap_load(const char *path, uint64_t size, const char *etag,
    uint64_t data_len, struct segmap **out)
{
	char buf[1 << 16];
	size_t len = 0, cap = sizeof(buf);
	ssize_t n;
	int fd, r;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? CN_ERR_NOT_FOUND : CN_ERR_SYSTEM;
	/* 64 KiB is plenty (up to a few thousand segments); more is a
	 * broken file. */
	for (;;) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap)
			break;
	}
	close(fd);
	if (n < 0)
		return CN_ERR_SYSTEM;
	if (len == cap)
		return CN_ERR_PARSE;
	if ((r = segmap_decode(buf, len, size, etag, out)) != CN_OK)
		return r;
	segmap_clamp(*out, data_len);
	return CN_OK;
}

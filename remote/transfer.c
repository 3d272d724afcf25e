#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "error.h"
#include "hash.h"
#include "segment.h"
#include "transfer.h"

#define POLL_MS			250	/* every wait in the loop is this short */
#define SAVE_EVERY_S		0.5	/* control files, page cache only: a
					 * kill -9 loses at most this much */
#define DURABLE_EVERY_S		30.0	/* ... with fdatasync + fsync (power
					 * loss; the hash is the backstop) */
#define PROGRESS_EVERY_S	0.5
#define CATCHUP_PER_TURN	(8u << 20)	/* inline hashing per turn (no
						 * thread) */
#define READBUF			(1u << 20)
#define HASH_STEP		(4u << 20)	/* hashing thread, per lock */
#define ERRBODY_MAX		(64u << 10)
/* One request asks for at most this much (or 2 segments if larger), then
 * the connection (kept alive) asks for the next piece.  Work stealing
 * splits only beyond the piece in flight, so no request is ever cut
 * short and no byte in flight is thrown away. */
#define REQ_CHUNK		(16ULL << 20)
#define REQ_MIN			(2ULL << 20)	/* smallest piece */
/* A file starts on one connection; after RAMP_S (and every second after)
 * it opens the rest unless that one already moves FAST_BPS: a stream that
 * fast gains nothing from more connections, which only cost the server.
 * Throttled mirrors (a few MB/s per connection) get all of them at once
 * after the first RAMP_S. */
#define RAMP_S			0.1
#define PIECE_S			2.0
#define FAST_BPS		(128.0 * 1024 * 1024)
#define RETRY_AFTER_MAX_S	300.0

/* Why a callback stopped a transfer (returned a short count). */
enum stop_why {
	STOP_NONE = 0,
	STOP_CUT,		/* segment full (it was split): success */
	STOP_NORANGE,		/* 200 to a Range request */
	STOP_PROTO,		/* wrong length / Content-Range: retry */
	STOP_WRITE,		/* pwrite failed: fail the file */
	STOP_ERRBODY,		/* error body too long: status decides */
};

struct xfile;
struct engine;

struct conn {
	struct engine	*e;
	struct xfile	*f;
	struct conn	*next;
	CURL		*h;
	struct curl_slist *hdrs;
	uint64_t	 seg_start;	/* key of its segment (segmap_find) */
	uint64_t	 req_off;	/* file offset the request starts at */
	uint64_t	 req_end;	/* exclusive end the server will send */
	uint64_t	 skip;		/* body bytes to discard (no Range) */
	uint64_t	 got;		/* body bytes of this request */
	bool		 ranged;
	bool		 running;	/* added to the multi handle */
	bool		 checked;	/* response validated */
	bool		 via_cdn;	/* requested f->cdn_url directly */
	enum stop_why	 why;
	int		 werrno;
	char		 proto_msg[160];
	long		 status;
	int64_t		 cr_start, cr_end, cr_total, clen;
	long		 retry_after;
	double		 last_byte;
	double		 req_t0;	/* when this request started */
	double		 win_start;
	uint64_t	 win_bytes;
	int		 fails;		/* in a row without a new byte */
	double		 wake_at;	/* > 0: waiting to retry */
	char		 errbuf[CURL_ERROR_SIZE];
};

struct xfile {
	const struct plan_file *pf;
	size_t		 idx;
	bool		 active;
	bool		 skip;		/* nothing to fetch (cached) */
	bool		 started;	/* opened (or linked) once */
	char		*part;
	char		*ctl;
	int		 fd;
	struct segmap	*map;
	enum hash_kind	 kind;
	struct hasher	*hash;
	/* Hashing state, shared with the hashing thread under e->hmu:
	 * while h_enabled, only that thread touches hash and reads fd. */
	uint64_t	 hashed;	/* digest covers [0, hashed) */
	uint64_t	 h_target;	/* contiguous prefix on disk */
	bool		 h_enabled;
	bool		 h_active;	/* the thread is inside a step */
	bool		 h_error;	/* pread or digest failed */
	bool		 h_wake;	/* the loop waits for the digest */
	bool		 no_range;
	char		*cdn_url;	/* last redirect target, reused */
	int		 verify_tries;
	int		 nconns;
	struct conn	*conns;
	uint64_t	 fetched;	/* body bytes received for it */
	double		 piece_rate;	/* bytes/s of one connection (EWMA
					 * over finished pieces) */
	int		 allow;		/* connections allowed now (ramp) */
	double		 ramp_t0;
	uint64_t	 ramp_bytes;
	bool		 ramp_later;
	bool		 dirty;
	double		 saved_at;
	double		 durable_at;
};

struct engine {
	const struct plan *p;
	const struct transfer_opts *o;
	struct transfer_stats *st;
	CURLM		*multi;
	struct xfile	*files;
	size_t		 next_file;
	int		 nactive;
	unsigned char	*buf;
	uint64_t	 committed;	/* bytes of committed files */
	double		 last_progress;
	uint64_t	 fetched_then;
	double		 rate;
	unsigned	 total_fails;
	int		 abort_code;	/* stop everything with this */
	bool		 catchup_pending;
	/* The hashing thread (one for all files). */
	bool		 threaded;
	bool		 hquit;
	pthread_t	 hthread;
	pthread_mutex_t	 hmu;
	pthread_cond_t	 hwork;		/* main -> thread: new bytes */
	pthread_cond_t	 hstep;		/* thread -> main: a step ended */
	unsigned char	*hbuf;
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
transfer_opts_init(struct transfer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_files = 4;
	o->max_conns = 8;
	o->min_seg = SEG_MIN_DEFAULT;
	o->stall_timeout_s = 30;
	o->retries = 10;
	o->backoff_base_s = 0.5;
	o->backoff_max_s = 30;
}

void
transfer_stats_release(struct transfer_stats *st)
{
	if (st == NULL)
		return;
	free(st->message);
	free(st->file_ok);
	st->message = NULL;
	st->file_ok = NULL;
}

static void
emit(struct engine *e, const char *event, json_t *fields)
{
	if (e->o->emit != NULL)
		e->o->emit(e->o->emit_arg, event, fields);
	else
		json_decref(fields);
}

/* Exponential backoff with jitter in [d/2, d]. */
static double
backoff(const struct transfer_opts *o, int attempt)
{
	double d = o->backoff_base_s;
	int i;

	for (i = 1; i < attempt && d < o->backoff_max_s; i++)
		d *= 2;
	if (d > o->backoff_max_s)
		d = o->backoff_max_s;
	return d / 2 + d / 2 * ((double)random() / (double)RAND_MAX);
}

/* -------------------------------------------------------------- files */

static void
record_failure(struct engine *e, int code, const char *msg)
{
	if (e->st->first_error == CN_OK) {
		e->st->first_error = code;
		free(e->st->message);
		e->st->message = msg ? strdup(msg) : NULL;
	}
}

/*
 * Hashing.  The digest follows each file's contiguous prefix, read back
 * with pread from the page cache (the bytes were written moments ago),
 * on a thread of its own so SHA-256 never slows the network loop; the
 * thread also starts writeback of the hashed prefix (sync_file_range),
 * so the fdatasync before commit has little left to do.  Without the
 * thread (pthread_create failed) the loop hashes a bounded amount per
 * turn itself.
 */

/* Hash [hashed, min(target, hashed + max)) of f; bytes hashed or -1. */
static ssize_t
hash_step(struct xfile *f, unsigned char *buf, uint64_t from, uint64_t to)
{
	uint64_t at = from;
	size_t want;
	ssize_t n;

	while (at < to) {
		want = to - at > READBUF ? READBUF : (size_t)(to - at);
		n = pread(f->fd, buf, want, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (hasher_update(f->hash, buf, (size_t)n) != CN_OK)
			return -1;
		at += (uint64_t)n;
	}
	return (ssize_t)(at - from);
}

static void *
hash_thread(void *arg)
{
	struct engine *e = arg;
	struct xfile *f;
	uint64_t from, to;
	ssize_t n;
	size_t i;

	pthread_mutex_lock(&e->hmu);
	while (!e->hquit) {
		f = NULL;
		for (i = 0; i < e->p->nfiles; i++)
			if (e->files[i].h_enabled && !e->files[i].h_error &&
			    e->files[i].hashed < e->files[i].h_target) {
				f = &e->files[i];
				break;
			}
		if (f == NULL) {
			pthread_cond_wait(&e->hwork, &e->hmu);
			continue;
		}
		from = f->hashed;
		to = f->h_target - from > HASH_STEP ? from + HASH_STEP :
		    f->h_target;
		f->h_active = true;
		pthread_mutex_unlock(&e->hmu);
		n = hash_step(f, e->hbuf, from, to);
		if (n > 0)
			(void)sync_file_range(f->fd, (off_t)from, (off_t)n,
			    SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&e->hmu);
		if (n < 0)
			f->h_error = true;
		else
			f->hashed += (uint64_t)n;
		f->h_active = false;
		pthread_cond_broadcast(&e->hstep);
		/* Caught up with a file the loop waits to finish. */
		if (f->h_wake && (f->hashed == f->h_target || f->h_error))
			curl_multi_wakeup(e->multi);
	}
	pthread_mutex_unlock(&e->hmu);
	return NULL;
}

static void
hash_attach(struct engine *e, struct xfile *f)
{
	if (e->threaded)
		pthread_mutex_lock(&e->hmu);
	f->hashed = 0;
	f->h_target = 0;
	f->h_error = false;
	f->h_wake = false;
	f->h_enabled = true;
	if (e->threaded)
		pthread_mutex_unlock(&e->hmu);
}

/* Take f back from the thread: it is not hashing f when this returns. */
static void
hash_detach(struct engine *e, struct xfile *f)
{
	if (!e->threaded) {
		f->h_enabled = false;
		return;
	}
	pthread_mutex_lock(&e->hmu);
	f->h_enabled = false;
	while (f->h_active)
		pthread_cond_wait(&e->hstep, &e->hmu);
	pthread_mutex_unlock(&e->hmu);
}

/*
 * Tell the hasher how far f's prefix reaches; returns how far the digest
 * is, or -1 after a read error.  budget bounds inline hashing.
 */
static int64_t
hash_feed(struct engine *e, struct xfile *f, size_t *budget)
{
	uint64_t prefix = segmap_prefix(f->map), to;
	int64_t done;
	ssize_t n;

	if (e->threaded) {
		pthread_mutex_lock(&e->hmu);
		f->h_wake = prefix == f->pf->size && f->nconns == 0;
		if (prefix > f->h_target) {
			f->h_target = prefix;
			pthread_cond_signal(&e->hwork);
		}
		done = f->h_error ? -1 : (int64_t)f->hashed;
		pthread_mutex_unlock(&e->hmu);
		return done;
	}
	f->h_target = prefix;
	if (f->hashed < prefix && *budget > 0) {
		to = prefix - f->hashed > *budget ? f->hashed + *budget :
		    prefix;
		if ((n = hash_step(f, e->buf, f->hashed, to)) < 0)
			return -1;
		f->hashed += (uint64_t)n;
		*budget -= (size_t)n;
	}
	if (f->hashed < prefix)
		e->catchup_pending = true;
	return (int64_t)f->hashed;
}

/* Save the control file; with durable, the data first. */
static void
save_ctl(struct xfile *f, bool durable, double now)
{
	if (f->map == NULL || f->ctl == NULL)
		return;
	if (durable && f->fd >= 0)
		(void)fdatasync(f->fd);
	/* Finished neighbours merge, so the file stays a few lines long. */
	segmap_compact(f->map);
	if (segmap_save(f->map, f->pf->etag, f->ctl, durable) == CN_OK) {
		f->dirty = false;
		f->saved_at = now;
		if (durable)
			f->durable_at = now;
	}
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->h != NULL) {
		if (c->running)
			curl_multi_remove_handle(c->e->multi, c->h);
		curl_easy_cleanup(c->h);
	}
	curl_slist_free_all(c->hdrs);
	free(c);
}

/* Drop c from its file, releasing its segment. */
static void
conn_release(struct conn *c)
{
	struct xfile *f = c->f;
	struct conn **pp;
	long i;

	if (f->map != NULL && (i = segmap_find(f->map, c->seg_start)) >= 0)
		f->map->segs[i].busy = 0;
	for (pp = &f->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	f->nconns--;
	conn_free(c);
}

static void
file_close(struct engine *e, struct xfile *f, bool keep_data)
{
	double now = mono();

	hash_detach(e, f);
	while (f->conns != NULL)
		conn_release(f->conns);
	if (keep_data && f->map != NULL)
		save_ctl(f, true, now);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	segmap_destroy(f->map);
	f->map = NULL;
	hasher_destroy(f->hash);
	f->hash = NULL;
	free(f->cdn_url);
	f->cdn_url = NULL;
	if (f->active) {
		f->active = false;
		e->nactive--;
	}
}

static void
file_fail(struct engine *e, struct xfile *f, int code, const char *msg)
{
	file_close(e, f, true);
	e->st->files_failed++;
	record_failure(e, code, msg);
	emit(e, "error", json_pack("{s:s,s:s,s:s}", "path", f->pf->path,
	    "message", msg, "code", cn_strerror(code)));
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

static int
file_open(struct engine *e, struct xfile *f, char **msg)
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
		save_ctl(f, false, mono());
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
	hash_attach(e, f);
	f->allow = 0;
	f->ramp_later = false;
	f->piece_rate = 0;
	f->saved_at = f->durable_at = mono();
	f->active = true;
	e->nactive++;
	return CN_OK;
}

/* ---------------------------------------------------------- callbacks */

static int64_t
parse_i64(const char *s, const char **end)
{
	char *e;
	long long v;

	errno = 0;
	v = strtoll(s, &e, 10);
	if (e == s || errno != 0 || v < 0) {
		*end = s;
		return -1;
	}
	*end = e;
	return v;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct conn *c = arg;
	size_t n = size * nmemb;
	char line[256];
	const char *p, *q;

	if (n >= sizeof(line))
		return n;	/* not a header we read */
	memcpy(line, data, n);
	line[n] = '\0';
	/* Each response of a redirect chain starts anew. */
	if (strncmp(line, "HTTP/", 5) == 0) {
		c->cr_start = c->cr_end = c->cr_total = c->clen = -1;
		c->retry_after = -1;
		return n;
	}
	if (strncasecmp(line, "Content-Range:", 14) == 0) {
		p = line + 14;
		while (*p == ' ')
			p++;
		if (strncasecmp(p, "bytes ", 6) != 0)
			return n;
		p += 6;
		c->cr_start = parse_i64(p, &q);
		if (*q != '-')
			return n;
		c->cr_end = parse_i64(q + 1, &q);
		if (*q != '/')
			return n;
		c->cr_total = q[1] == '*' ? -1 : parse_i64(q + 1, &q);
	} else if (strncasecmp(line, "Content-Length:", 15) == 0) {
		c->clen = parse_i64(line + 15 + strspn(line + 15, " "), &q);
	} else if (strncasecmp(line, "Retry-After:", 12) == 0) {
		c->retry_after = http_parse_retry_after(line + 12 +
		    strspn(line + 12, " "));
	}
	return n;
}

/* Accept or refuse the response the first body byte belongs to. */
static bool
check_response(struct conn *c)
{
	struct xfile *f = c->f;
	uint64_t size = f->pf->size;
	long redirects = 0;
	char *eff = NULL;

	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->status < 200 || c->status >= 300)
		return true;	/* error body: discarded, status decides */
	if (c->status == 200) {
		if (c->ranged) {
			c->why = STOP_NORANGE;
			return false;
		}
		if (c->clen >= 0 && (uint64_t)c->clen != size) {
			snprintf(c->proto_msg, sizeof(c->proto_msg),
			    "wrong content length %" PRId64 " (expected %"
			    PRIu64 ")", c->clen, size);
			c->why = STOP_PROTO;
			return false;
		}
		c->req_end = size;
	} else if (c->status == 206 && c->ranged) {
		if (c->cr_start < 0 || (uint64_t)c->cr_start != c->req_off ||
		    c->cr_end < c->cr_start || (uint64_t)c->cr_end >= size ||
		    (c->cr_total >= 0 && (uint64_t)c->cr_total != size) ||
		    (c->clen >= 0 && c->clen != c->cr_end - c->cr_start + 1)) {
			snprintf(c->proto_msg, sizeof(c->proto_msg),
			    "wrong Content-Range %" PRId64 "-%" PRId64 "/%"
			    PRId64 " (length %" PRId64 ") for offset %" PRIu64
			    " of %" PRIu64, c->cr_start, c->cr_end,
			    c->cr_total, c->clen, c->req_off, size);
			c->why = STOP_PROTO;
			return false;
		}
		c->req_end = (uint64_t)c->cr_end + 1;
	} else {
		snprintf(c->proto_msg, sizeof(c->proto_msg),
		    "unexpected HTTP %ld", c->status);
		c->why = STOP_PROTO;
		return false;
	}
	/* Reuse the redirect target (the CDN) for the other segments:
	 * fewer requests against the mirror's budget. */
	curl_easy_getinfo(c->h, CURLINFO_REDIRECT_COUNT, &redirects);
	if (redirects > 0 && f->cdn_url == NULL &&
	    curl_easy_getinfo(c->h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK &&
	    eff != NULL)
		f->cdn_url = strdup(eff);
	return true;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct conn *c = arg;
	struct xfile *f = c->f;
	struct engine *e = c->e;
	size_t n = size * nmemb, total = n, m, w;
	struct seg *s;
	uint64_t pos;
	ssize_t k;
	long i;

	if (!c->checked) {
		if (!check_response(c))
			return 0;
		c->checked = true;
	}
	if (c->status < 200 || c->status >= 300) {
		c->got += n;
		if (c->got > ERRBODY_MAX) {
			c->why = STOP_ERRBODY;
			return 0;
		}
		return n;
	}
	c->last_byte = mono();
	c->win_bytes += n;
	c->got += n;
	f->fetched += n;
	e->st->bytes_fetched += n;
	if (c->skip > 0) {
		m = c->skip < n ? (size_t)c->skip : n;
		c->skip -= m;
		data += m;
		n -= m;
		if (n == 0)
			return total;
	}
	if ((i = segmap_find(f->map, c->seg_start)) < 0)
		return 0;
	s = &f->map->segs[i];
	pos = seg_pos(s);
	m = seg_left(s) < n ? (size_t)seg_left(s) : n;
	if (!f->no_range && c->req_end > pos && c->req_end - pos < m)
		m = (size_t)(c->req_end - pos);
	for (w = 0; w < m; w += (size_t)k) {
		k = pwrite(f->fd, data + w, m - w, (off_t)(pos + w));
		if (k < 0 && errno == EINTR) {
			k = 0;
			continue;
		}
		if (k <= 0) {
			c->werrno = k < 0 ? errno : EIO;
			c->why = STOP_WRITE;
			return 0;
		}
	}
	/* Only now is the byte counted: it is in the file. */
	s->done += m;
	f->dirty = true;
	if (m > 0)
		c->fails = 0;
	if (seg_left(s) == 0 && (m < n || c->req_end > s->end)) {
		/* Our segment was split and the rest belongs to another
		 * connection. */
		c->why = STOP_CUT;
		return 0;
	}
	if (m < n) {
		snprintf(c->proto_msg, sizeof(c->proto_msg),
		    "server sent more than the %" PRIu64 " bytes asked",
		    c->req_end - c->req_off);
		c->why = STOP_PROTO;
		return 0;
	}
	return total;
}

/* --------------------------------------------------------- connections */

/* Bytes of the file no request has claimed yet. */
static uint64_t
unclaimed(const struct segmap *m)
{
	uint64_t t = 0, from;
	size_t i;

	for (i = 0; i < m->nsegs; i++) {
		from = seg_pos(&m->segs[i]);
		if (m->segs[i].reserved > from)
			from = m->segs[i].reserved;
		if (from < m->segs[i].end)
			t += m->segs[i].end - from;
	}
	return t;
}

static int
conn_start(struct engine *e, struct conn *c)
{
	struct xfile *f = c->f;
	const char *url = f->cdn_url ? f->cdn_url : f->pf->url;
	struct seg *s;
	char range[64];
	double now = mono();
	uint64_t chunk, piece;
	long i;
	int r;

	if ((i = segmap_find(f->map, c->seg_start)) < 0)
		return CN_ERR_INVALID;
	s = &f->map->segs[i];
	if (c->h != NULL) {
		curl_easy_cleanup(c->h);
		c->h = NULL;
	}
	curl_slist_free_all(c->hdrs);
	c->hdrs = NULL;
	if ((c->h = curl_easy_init()) == NULL)
		return CN_ERR_NOMEM;
	if ((r = http_setup(c->h, e->o->http, url, &c->hdrs)) != CN_OK)
		return r;
	c->via_cdn = f->cdn_url != NULL;
	curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c->h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->h, CURLOPT_BUFFERSIZE, 256L * 1024);
	/* Compressed bodies would break Range offsets. */
	curl_easy_setopt(c->h, CURLOPT_ACCEPT_ENCODING, NULL);
	c->errbuf[0] = '\0';
	c->req_off = seg_pos(s);
	c->req_end = s->end;
	/* Pieces of about PIECE_S seconds at this connection's pace: fast
	 * connections make few requests, and a split waits at most that
	 * long for the piece in flight. */
	chunk = 2 * e->o->min_seg > REQ_CHUNK ? 2 * e->o->min_seg : REQ_CHUNK;
	if (f->piece_rate * PIECE_S > (double)chunk)
		chunk = (uint64_t)(f->piece_rate * PIECE_S);
	/* With several connections, pieces shrink towards the end of the
	 * file to a fair share of what nobody has asked for yet, so the
	 * connections finish together instead of idling behind one long
	 * last request. */
	/* While a large file is still on its first connection, pieces are
	 * a share of the file, so the others find work when they come. */
	if (!f->no_range && f->allow <= 1 && e->o->max_conns > 1 &&
	    f->pf->size >= 2 * e->o->min_seg) {
		piece = f->pf->size / (uint64_t)e->o->max_conns;
		if (piece < REQ_MIN)
			piece = REQ_MIN;
		if (piece < chunk)
			chunk = piece;
	}
	if (!f->no_range && f->allow > 1) {
		piece = unclaimed(f->map) / (uint64_t)f->allow;
		if (piece < REQ_MIN)
			piece = REQ_MIN;
		if (piece < chunk)
			chunk = piece;
	}
	if (!f->no_range && c->req_end - c->req_off > chunk)
		c->req_end = c->req_off + chunk;
	c->skip = 0;
	c->ranged = false;
	if (f->no_range) {
		/* Only "from 0" works: read and drop what we have. */
		c->skip = c->req_off;
		c->req_off = 0;
		c->req_end = f->pf->size;
	} else if (c->req_off != 0 || c->req_end != f->pf->size) {
		snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64,
		    c->req_off, c->req_end - 1);
		curl_easy_setopt(c->h, CURLOPT_RANGE, range);
		c->ranged = true;
	}
	c->got = 0;
	c->checked = false;
	c->why = STOP_NONE;
	c->status = 0;
	c->cr_start = c->cr_end = c->cr_total = c->clen = -1;
	c->retry_after = -1;
	c->last_byte = c->win_start = c->req_t0 = now;
	c->win_bytes = 0;
	c->wake_at = 0;
	s->reserved = c->req_end;
	if (curl_multi_add_handle(e->multi, c->h) != CURLM_OK)
		return CN_ERR_CURL;
	c->running = true;
	return CN_OK;
}

static int
conn_new(struct engine *e, struct xfile *f, size_t segi)
{
	struct conn *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CN_ERR_NOMEM;
	c->e = e;
	c->f = f;
	c->seg_start = f->map->segs[segi].start;
	f->map->segs[segi].busy = 1;
	c->next = f->conns;
	f->conns = c;
	f->nconns++;
	if ((r = conn_start(e, c)) != CN_OK)
		conn_release(c);
	return r;
}

/* Stop the handle (keep c and its segment) so it can be restarted. */
static void
conn_stop(struct conn *c)
{
	long i;

	if (c->f->map != NULL &&
	    (i = segmap_find(c->f->map, c->seg_start)) >= 0)
		c->f->map->segs[i].reserved = 0;
	if (c->h != NULL && c->running)
		curl_multi_remove_handle(c->e->multi, c->h);
	c->running = false;
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	c->h = NULL;
	curl_slist_free_all(c->hdrs);
	c->hdrs = NULL;
}

/* Where c's segment continues. */
static uint64_t
conn_offset(const struct conn *c)
{
	long i = segmap_find(c->f->map, c->seg_start);

	return i >= 0 ? seg_pos(&c->f->map->segs[i]) : c->seg_start;
}

/*
 * Schedule c again after a failure, or fail its file when the segment
 * has failed too often in a row.  Returns false when the file failed
 * (c is gone then).
 */
static bool
conn_retry(struct engine *e, struct conn *c, const char *reason,
    double min_delay, bool counts)
{
	struct xfile *f = c->f;
	double delay;
	char *msg = NULL;

	conn_stop(c);
	if (counts) {
		c->fails++;
		e->total_fails++;
		e->st->retries++;
	}
	if (c->fails > e->o->retries) {
		if (asprintf(&msg, "giving up on '%s' after %d attempts: %s",
		    f->pf->path, c->fails, reason) < 0)
			msg = NULL;
		file_fail(e, f, CN_ERR_RETRIES, msg ? msg : reason);
		free(msg);
		return false;
	}
	delay = counts ? backoff(e->o, c->fails) : 0;
	if (min_delay > delay)
		delay = min_delay > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S :
		    min_delay;
	c->wake_at = mono() + delay;
	if (counts)
		emit(e, "retry", json_pack("{s:s,s:s,s:i,s:f,s:I}", "path",
		    f->pf->path, "reason", reason, "attempt", c->fails,
		    "delay_s", delay, "offset", (json_int_t)conn_offset(c)));
	if (e->o->source_budget > 0 &&
	    e->total_fails >= (unsigned)e->o->source_budget &&
	    e->abort_code == CN_OK) {
		e->abort_code = CN_ERR_RETRIES;
		record_failure(e, CN_ERR_RETRIES, "source keeps failing");
	}
	return true;
}

/* A 200 to a Range request: single connection from the prefix. */
static void
file_no_range(struct engine *e, struct xfile *f)
{
	while (f->conns != NULL)
		conn_release(f->conns);
	f->no_range = true;
	segmap_collapse(f->map);
	f->dirty = true;
	emit(e, "retry", json_pack("{s:s,s:s,s:i,s:f}", "path", f->pf->path,
	    "reason", "server ignores Range: one connection, from the "
	    "start", "attempt", 1, "delay_s", 0.0));
}

/* A piece arrived whole: learn the pace of one connection. */
static void
piece_done(struct xfile *f, const struct conn *c)
{
	double dt = mono() - c->req_t0, r;

	if (dt <= 0 || c->got < REQ_MIN)
		return;
	r = (double)c->got / dt;
	f->piece_rate = f->piece_rate == 0 ? r : 0.7 * f->piece_rate + 0.3 * r;
}

static void
conn_done(struct engine *e, struct conn *c, CURLcode cc)
{
	struct xfile *f = c->f;
	char reason[CURL_ERROR_SIZE + 64];
	const char *path = f->pf->path;
	char *msg = NULL;
	long i, redirects = 0;
	struct seg *s;
	int r;

	if (c->h != NULL)
		curl_easy_getinfo(c->h, CURLINFO_REDIRECT_COUNT, &redirects);
	if (c->status == 0 && c->h != NULL)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	conn_stop(c);
	i = segmap_find(f->map, c->seg_start);
	s = i >= 0 ? &f->map->segs[i] : NULL;
	switch (c->why) {
	case STOP_NORANGE:
		file_no_range(e, f);
		return;
	case STOP_WRITE:
		if (asprintf(&msg, "cannot write '%s': %s", f->part,
		    strerror(c->werrno)) < 0)
			msg = NULL;
		file_fail(e, f, c->werrno == ENOSPC ? CN_ERR_NOSPACE :
		    CN_ERR_IO, msg ? msg : "write error");
		free(msg);
		return;
	case STOP_CUT:
		conn_release(c);
		return;
	case STOP_PROTO:
		snprintf(reason, sizeof(reason), "%s", c->proto_msg);
		conn_retry(e, c, reason, 0, true);
		return;
	default:
		break;
	}
	if (s != NULL && seg_left(s) == 0 && c->status >= 200 &&
	    c->status < 300) {
		piece_done(f, c);
		conn_release(c);
		return;
	}
	if (s != NULL && c->status >= 200 && c->status < 300 &&
	    cc == CURLE_OK && seg_pos(s) == c->req_end) {
		/* Piece done, the segment goes on: next request, same
		 * (kept-alive) connection. */
		piece_done(f, c);
		if ((r = conn_start(e, c)) != CN_OK) {
			if (asprintf(&msg, "cannot continue download of '%s': "
			    "%s", path, cn_strerror(r)) < 0)
				msg = NULL;
			file_fail(e, f, r, msg ? msg : "cannot continue");
			free(msg);
		}
		return;
	}
	if (c->status >= 200 && c->status < 300) {
		if (cc == CURLE_OK) {
			/* A clean but short answer: ask for the rest. */
			snprintf(reason, sizeof(reason),
			    "short response (%" PRIu64 " bytes)", c->got);
			conn_retry(e, c, reason, 0, c->got == 0);
		} else {
			snprintf(reason, sizeof(reason), "%s",
			    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
			conn_retry(e, c, reason, 0, true);
		}
		return;
	}
	if (c->status == 0) {
		snprintf(reason, sizeof(reason), "%s",
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
		conn_retry(e, c, reason, 0, true);
		return;
	}
	if ((c->status == 403 || c->status == 410) &&
	    (redirects > 0 || c->via_cdn)) {
		/* A signed CDN URL expired: a fresh one from /resolve/,
		 * keeping the bytes. */
		free(f->cdn_url);
		f->cdn_url = NULL;
		snprintf(reason, sizeof(reason),
		    "download URL expired (HTTP %ld), asking for a new one",
		    c->status);
		conn_retry(e, c, reason, 0, true);
		return;
	}
	if (c->status == 401 || c->status == 403) {
		if (asprintf(&msg, "access denied to '%s' (HTTP %ld): a gated "
		    "or private repo needs a token (HF_TOKEN or "
		    "--token-file)", path, c->status) < 0)
			msg = NULL;
		file_fail(e, f, CN_ERR_ACCESS, msg ? msg : "access denied");
		free(msg);
		return;
	}
	if (c->status == 404) {
		if (asprintf(&msg, "'%s' not found on the server (HTTP 404)",
		    path) < 0)
			msg = NULL;
		file_fail(e, f, CN_ERR_NOT_FOUND, msg ? msg : "not found");
		free(msg);
		return;
	}
	snprintf(reason, sizeof(reason), "HTTP %ld", c->status);
	if (c->status == 429 || c->status == 408 || c->status == 416 ||
	    c->status >= 500) {
		conn_retry(e, c, reason, c->status == 429 &&
		    c->retry_after > 0 ? (double)c->retry_after : 0, true);
		return;
	}
	if (asprintf(&msg, "cannot download '%s': HTTP %ld", path,
	    c->status) < 0)
		msg = NULL;
	file_fail(e, f, CN_ERR_HTTP, msg ? msg : reason);
	free(msg);
}

/* ---------------------------------------------------------------- loop */

/* How many connections f may have now (see RAMP_S). */
static int
allowed(struct engine *e, struct xfile *f, double now)
{
	int max = f->no_range ? 1 : e->o->max_conns;
	double rate;

	if (max <= 1 || f->allow >= max)
		return max;
	if (f->allow == 0) {
		f->allow = 1;
		f->ramp_t0 = now;
		f->ramp_bytes = f->fetched;
	} else if (now - f->ramp_t0 >= (f->ramp_later ? 1.0 : RAMP_S)) {
		rate = (double)(f->fetched - f->ramp_bytes) /
		    (now - f->ramp_t0);
		if (rate < FAST_BPS)
			f->allow = max;
		f->ramp_t0 = now;
		f->ramp_bytes = f->fetched;
		f->ramp_later = true;
	}
	return f->allow;
}

static void
schedule(struct engine *e, struct xfile *f)
{
	int max = allowed(e, f, mono());
	size_t idx;
	long i;
	char *msg = NULL;
	int r;

	while (f->active && f->nconns < max) {
		if ((i = segmap_next_idle(f->map)) >= 0)
			idx = (size_t)i;
		else if (f->no_range ||
		    segmap_split(f->map, e->o->min_seg, &idx) != CN_OK)
			break;
		if ((r = conn_new(e, f, idx)) != CN_OK) {
			if (asprintf(&msg, "cannot start download of '%s': %s",
			    f->pf->path, cn_strerror(r)) < 0)
				msg = NULL;
			file_fail(e, f, r, msg ? msg : "cannot start");
			free(msg);
			return;
		}
	}
}

static void
wake_due(struct engine *e, struct xfile *f, double now)
{
	struct conn *c, *next;
	char *msg = NULL;
	int r;

	for (c = f->conns; c != NULL && f->active; c = next) {
		next = c->next;
		if (c->running || c->wake_at == 0 || c->wake_at > now)
			continue;
		if ((r = conn_start(e, c)) != CN_OK) {
			if (asprintf(&msg, "cannot restart download of '%s': "
			    "%s", f->pf->path, cn_strerror(r)) < 0)
				msg = NULL;
			file_fail(e, f, r, msg ? msg : "cannot restart");
			free(msg);
			return;
		}
	}
}

static void
check_stalls(struct engine *e, struct xfile *f, double now)
{
	const struct transfer_opts *o = e->o;
	struct conn *c, *next;
	bool stalled;
	double span;
	long i;
	uint64_t off;

	for (c = f->conns; c != NULL && f->active; c = next) {
		next = c->next;
		if (!c->running)
			continue;
		stalled = now - c->last_byte > o->stall_timeout_s;
		span = now - c->win_start;
		if (!stalled && span >= o->stall_timeout_s) {
			if (o->min_rate_bps > 0 &&
			    (double)c->win_bytes / span <
			    (double)o->min_rate_bps)
				stalled = true;
			c->win_start = now;
			c->win_bytes = 0;
		}
		if (!stalled)
			continue;
		i = segmap_find(f->map, c->seg_start);
		off = i >= 0 ? seg_pos(&f->map->segs[i]) : c->seg_start;
		e->st->stalls++;
		emit(e, "stall", json_pack("{s:s,s:I,s:i}", "path",
		    f->pf->path, "offset", (json_int_t)off, "attempt",
		    c->fails + 1));
		conn_retry(e, c, "stall", 0, true);
	}
}

static void
file_finish(struct engine *e, struct xfile *f)
{
	const struct plan_file *pf = f->pf;
	const char *expect = hash_expected(pf, f->kind);
	char hex[65], *msg = NULL, *cmsg = NULL;
	int r;

	hash_detach(e, f);
	if (hasher_final(f->hash, hex) != CN_OK) {
		file_fail(e, f, CN_ERR_NOMEM, "out of memory");
		return;
	}
	if (f->kind != HASH_NONE && strcmp(hex, expect) != 0) {
		/* Bad data is never kept: it would be resumed as good. */
		file_close(e, f, false);
		(void)unlink(f->part);
		(void)unlink(f->ctl);
		if (++f->verify_tries < 2) {
			e->st->retries++;
			emit(e, "retry", json_pack("{s:s,s:s,s:i,s:f}", "path",
			    pf->path, "reason", f->kind == HASH_SHA256 ?
			    "sha256 mismatch" : "git sha1 mismatch",
			    "attempt", 1, "delay_s", 0.0));
			if ((r = file_open(e, f, &msg)) != CN_OK) {
				file_fail(e, f, r, msg ? msg : cn_strerror(r));
				free(msg);
			}
			return;
		}
		if (asprintf(&msg, "%s mismatch for '%s': expected %s, got %s "
		    "(downloaded twice; bad data deleted)", hash_name(f->kind),
		    pf->path, expect, hex) < 0)
			msg = NULL;
		e->st->files_failed++;
		record_failure(e, CN_ERR_VERIFY, msg);
		emit(e, "error", json_pack("{s:s,s:s,s:s}", "path", pf->path,
		    "message", msg ? msg : "hash mismatch", "code",
		    cn_strerror(CN_ERR_VERIFY)));
		free(msg);
		return;
	}
	/* The blob must be on disk before a link can point at it. */
	if (fdatasync(f->fd) != 0 && errno != EINVAL) {
		if (asprintf(&msg, "cannot sync '%s': %s", f->part,
		    strerror(errno)) < 0)
			msg = NULL;
		file_fail(e, f, CN_ERR_IO, msg ? msg : "sync failed");
		free(msg);
		return;
	}
	if ((r = cache_commit(e->o->cache, pf, e->p->commit, f->part,
	    &cmsg)) != CN_OK) {
		file_fail(e, f, r, cmsg ? cmsg : cn_strerror(r));
		free(cmsg);
		return;
	}
	(void)unlink(f->ctl);
	file_close(e, f, false);
	e->committed += pf->size;
	e->st->files_done++;
	e->st->file_ok[f->idx] = true;
	emit(e, "file_done", json_pack("{s:s,s:I,s:s,s:s}", "path", pf->path,
	    "size", (json_int_t)pf->size, "sha256",
	    pf->sha256[0] ? pf->sha256 : (f->kind == HASH_SHA256 ? hex : ""),
	    "verified", hash_name(f->kind)));
}

static uint64_t
bytes_done(struct engine *e)
{
	uint64_t t = e->committed;
	size_t i;

	for (i = 0; i < e->p->nfiles; i++)
		if (e->files[i].active && e->files[i].map != NULL)
			t += segmap_done(e->files[i].map);
	return t;
}

static void
progress(struct engine *e, double now, bool force)
{
	double dt = now - e->last_progress;
	double inst;

	if (!force && dt < PROGRESS_EVERY_S)
		return;
	if (dt > 0) {
		inst = (double)(e->st->bytes_fetched - e->fetched_then) / dt;
		e->rate = e->rate == 0 ? inst : 0.5 * e->rate + 0.5 * inst;
	}
	e->fetched_then = e->st->bytes_fetched;
	e->last_progress = now;
	e->st->bytes_done = bytes_done(e);
	emit(e, "progress", json_pack("{s:I,s:I,s:I,s:i}", "bytes_done",
	    (json_int_t)e->st->bytes_done, "bytes_total",
	    (json_int_t)e->p->bytes_total, "rate_bps", (json_int_t)e->rate,
	    "files_done", (int)e->st->files_done));
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

/* Is a file with f's etag being downloaded?  Twins share the partial
 * file, so the second waits and then only links the first's blob. */
static bool
twin_active(const struct engine *e, const struct xfile *f)
{
	size_t i;

	for (i = 0; i < e->p->nfiles; i++)
		if (e->files[i].active && &e->files[i] != f &&
		    strcmp(e->files[i].pf->etag, f->pf->etag) == 0)
			return true;
	return false;
}

/* f's blob is already verified and in place: link it, no download. */
static void
link_cached(struct engine *e, struct xfile *f)
{
	char *cmsg = NULL;
	int r;

	if ((r = cache_commit(e->o->cache, f->pf, e->p->commit, NULL,
	    &cmsg)) != CN_OK) {
		e->st->files_failed++;
		record_failure(e, r, cmsg);
		emit(e, "error", json_pack("{s:s,s:s}", "path", f->pf->path,
		    "message", cmsg ? cmsg : cn_strerror(r)));
		free(cmsg);
		f->skip = true;
		return;
	}
	e->st->file_ok[f->idx] = true;
	e->st->files_done++;
	e->committed += f->pf->size;
	emit(e, "file_done", json_pack("{s:s,s:I,s:s,s:b}", "path",
	    f->pf->path, "size", (json_int_t)f->pf->size, "sha256",
	    f->pf->sha256, "cached", 1));
}

/* Start files up to max_files; returns how many are still to start. */
static size_t
open_more(struct engine *e)
{
	struct xfile *f;
	char *msg = NULL;
	size_t i, waiting = 0;
	int r;

	for (i = e->next_file; i < e->p->nfiles; i++) {
		f = &e->files[i];
		if (f->started || e->st->file_ok[f->idx] || f->skip) {
			if (i == e->next_file)
				e->next_file++;
			continue;
		}
		if (e->nactive >= e->o->max_files || e->abort_code != CN_OK ||
		    twin_active(e, f)) {
			waiting++;
			continue;
		}
		f->started = true;
		if (cache_have(e->o->cache, f->pf)) {
			link_cached(e, f);
			continue;
		}
		if ((r = file_open(e, f, &msg)) != CN_OK) {
			file_close(e, f, false);
			e->st->files_failed++;
			record_failure(e, r, msg ? msg : cn_strerror(r));
			emit(e, "error", json_pack("{s:s,s:s}", "path",
			    f->pf->path, "message", msg ? msg :
			    cn_strerror(r)));
			free(msg);
			msg = NULL;
		}
	}
	return waiting;
}

int
transfer_run(const struct plan *p, const bool *skip,
    const struct transfer_opts *o, struct transfer_stats *st)
{
	struct engine e = { .p = p, .o = o, .st = st };
	struct xfile *f;
	CURLMsg *m;
	struct conn *c;
	double now;
	char *cmsg = NULL;
	size_t i, budget, pending = 0;
	int64_t hashed;
	int running, left, r;

	memset(st, 0, sizeof(*st));
	st->bytes_total = p->bytes_total;
	r = CN_ERR_NOMEM;
	if ((st->file_ok = calloc(p->nfiles + 1, sizeof(bool))) == NULL ||
	    (e.files = calloc(p->nfiles + 1, sizeof(*e.files))) == NULL ||
	    (e.buf = malloc(READBUF)) == NULL ||
	    (e.multi = curl_multi_init()) == NULL)
		goto out;
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	for (i = 0; i < p->nfiles; i++) {
		f = &e.files[i];
		f->pf = &p->files[i];
		f->idx = i;
		f->fd = -1;
		if (skip != NULL && skip[i]) {
			st->file_ok[i] = true;
			st->files_done++;
			e.committed += f->pf->size;
			continue;
		}
		/* Blob already verified and in place: link it only. */
		if (cache_have(o->cache, f->pf)) {
			f->started = true;
			link_cached(&e, f);
		}
	}
	/* The hashing thread; without it the loop hashes inline. */
	if (pthread_mutex_init(&e.hmu, NULL) == 0) {
		if (pthread_cond_init(&e.hwork, NULL) == 0) {
			if (pthread_cond_init(&e.hstep, NULL) == 0) {
				if ((e.hbuf = malloc(READBUF)) != NULL &&
				    pthread_create(&e.hthread, NULL,
				    hash_thread, &e) == 0)
					e.threaded = true;
				if (!e.threaded)
					pthread_cond_destroy(&e.hstep);
			}
			if (!e.threaded)
				pthread_cond_destroy(&e.hwork);
		}
		if (!e.threaded)
			pthread_mutex_destroy(&e.hmu);
	}
	e.last_progress = mono();
	for (;;) {
		if (o->stop != NULL && *o->stop) {
			e.abort_code = CN_ERR_INTERRUPTED;
			break;
		}
		if (e.abort_code != CN_OK)
			break;
		pending = open_more(&e);
		now = mono();
		for (i = 0; i < p->nfiles; i++) {
			f = &e.files[i];
			if (!f->active)
				continue;
			wake_due(&e, f, now);
			if (f->active)
				schedule(&e, f);
		}
		curl_multi_perform(e.multi, &running);
		while ((m = curl_multi_info_read(e.multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			c = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&c);
			if (c != NULL)
				conn_done(&e, c, m->data.result);
		}
		now = mono();
		e.catchup_pending = false;
		budget = CATCHUP_PER_TURN;
		for (i = 0; i < p->nfiles; i++) {
			f = &e.files[i];
			if (!f->active)
				continue;
			check_stalls(&e, f, now);
			if (!f->active)
				continue;
			if ((hashed = hash_feed(&e, f, &budget)) < 0) {
				if (asprintf(&cmsg, "cannot read back '%s' to "
				    "hash it: %s", f->part, strerror(errno)) < 0)
					cmsg = NULL;
				file_fail(&e, f, CN_ERR_IO, cmsg ? cmsg :
				    "read error");
				free(cmsg);
				cmsg = NULL;
			} else if (f->nconns == 0 && segmap_complete(f->map) &&
			    (uint64_t)hashed == f->pf->size)
				file_finish(&e, f);
			else if (f->dirty && now - f->saved_at >= SAVE_EVERY_S)
				save_ctl(f, now - f->durable_at >=
				    DURABLE_EVERY_S, now);
		}
		progress(&e, now, false);
		if (e.nactive == 0 && pending == 0 && e.next_file >= p->nfiles)
			break;
		curl_multi_poll(e.multi, NULL, 0,
		    e.catchup_pending ? 0 : POLL_MS, NULL);
	}
	for (i = 0; i < p->nfiles; i++)
		if (e.files[i].active)
			file_close(&e, &e.files[i], true);
	progress(&e, mono(), true);
	if (e.abort_code == CN_ERR_INTERRUPTED) {
		r = CN_ERR_INTERRUPTED;
		goto out;
	}
	if (e.abort_code != CN_OK) {
		r = e.abort_code;
		goto out;
	}
	r = st->files_failed > 0 ? (st->first_error != CN_OK ?
	    st->first_error : CN_ERR_IO) : CN_OK;
 out:
	st->bytes_done = e.committed;
	if (e.files != NULL)
		for (i = 0; i < p->nfiles; i++) {
			if (e.files[i].active)
				file_close(&e, &e.files[i], true);
		}
	if (e.threaded) {
		pthread_mutex_lock(&e.hmu);
		e.hquit = true;
		pthread_cond_signal(&e.hwork);
		pthread_mutex_unlock(&e.hmu);
		pthread_join(e.hthread, NULL);
		pthread_cond_destroy(&e.hstep);
		pthread_cond_destroy(&e.hwork);
		pthread_mutex_destroy(&e.hmu);
	}
	if (e.files != NULL)
		for (i = 0; i < p->nfiles; i++) {
			free(e.files[i].part);
			free(e.files[i].ctl);
		}
	free(e.files);
	free(e.buf);
	free(e.hbuf);
	if (e.multi != NULL)
		curl_multi_cleanup(e.multi);
	return r;
}

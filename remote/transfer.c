/* The transfer engine: files, connections and their scheduling (work
 * stealing, ramp-up, retries) on one libcurl multi handle; the callbacks
 * are in transfer_cb.c, the hashing thread in hash.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "error.h"
#include "hash.h"
#include "retry.h"
#include "segment.h"
#include "transfer.h"
#include "transfer_int.h"


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

	hash_pool_detach(e->hpool, &f->hj);
	while (f->conns != NULL)
		conn_release(f->conns);
	if (keep_data && f->map != NULL)
		xfer_save_ctl(f, true, now);
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
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, xfer_on_body);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, xfer_on_header);
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
    long retry_after_s, bool counts)
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
	delay = counts ? retry_wait(e->o->backoff_base_s, e->o->backoff_max_s,
	    c->fails, retry_after_s, RETRY_AFTER_MAX_S) : 0;
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
	enum http_class cls;
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
		conn_retry(e, c, reason, -1, true);
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
			conn_retry(e, c, reason, -1, c->got == 0);
		} else {
			snprintf(reason, sizeof(reason), "%s",
			    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
			conn_retry(e, c, reason, -1, true);
		}
		return;
	}
	if (c->status == 0) {
		snprintf(reason, sizeof(reason), "%s",
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
		conn_retry(e, c, reason, -1, true);
		return;
	}
	cls = http_status_class(c->status);
	if ((cls == HTTP_CLASS_DENIED || c->status == 410) &&
	    c->status != 401 && (redirects > 0 || c->via_cdn)) {
		/* A signed CDN URL expired: a fresh one from /resolve/,
		 * keeping the bytes. */
		free(f->cdn_url);
		f->cdn_url = NULL;
		snprintf(reason, sizeof(reason),
		    "download URL expired (HTTP %ld), asking for a new one",
		    c->status);
		conn_retry(e, c, reason, -1, true);
		return;
	}
	snprintf(reason, sizeof(reason), "HTTP %ld", c->status);
	if (http_class_retryable(cls)) {
		conn_retry(e, c, reason, c->retry_after > 0 ? c->retry_after :
		    -1, true);
		return;
	}
	if (cls == HTTP_CLASS_DENIED)
		r = asprintf(&msg, "access denied to '%s' (HTTP %ld): a gated "
		    "or private repo needs a token (HF_TOKEN or "
		    "--token-file)", path, c->status);
	else if (cls == HTTP_CLASS_NOT_FOUND)
		r = asprintf(&msg, "'%s' not found on the server (HTTP 404)",
		    path);
	else
		r = asprintf(&msg, "cannot download '%s': HTTP %ld", path,
		    c->status);
	if (r < 0)
		msg = NULL;
	file_fail(e, f, http_class_err(cls), msg ? msg : reason);
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
		conn_retry(e, c, "stall", -1, true);
	}
}

static void
file_finish(struct engine *e, struct xfile *f)
{
	const struct plan_file *pf = f->pf;
	const char *expect = hash_expected(pf, f->kind);
	char hex[65], *msg = NULL, *cmsg = NULL;
	struct stat st;
	int r;

	hash_pool_detach(e->hpool, &f->hj);
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
			if ((r = xfer_file_open(e, f, &msg)) != CN_OK) {
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
	/* No hash published (verified "size"): the length is the check. */
	if (f->kind == HASH_NONE && (fstat(f->fd, &st) != 0 ||
	    (uint64_t)st.st_size != pf->size)) {
		if (asprintf(&msg, "size mismatch for '%s': expected %" PRIu64
		    " bytes", pf->path, pf->size) < 0)
			msg = NULL;
		file_fail(e, f, CN_ERR_VERIFY, msg ? msg : "size mismatch");
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
		if ((r = xfer_file_open(e, f, &msg)) != CN_OK) {
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

/* The hashing thread caught up with a file the loop waits for. */
static void
wake_loop(void *arg)
{
	struct engine *e = arg;

	curl_multi_wakeup(e->multi);
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
	    (e.multi = curl_multi_init()) == NULL)
		goto out;
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
	if ((r = hash_pool_create(wake_loop, &e, &e.hpool)) != CN_OK)
		goto out;
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
			hashed = hash_pool_feed(e.hpool, &f->hj,
			    segmap_prefix(f->map), segmap_prefix(f->map) ==
			    f->pf->size && f->nconns == 0, &budget,
			    &e.catchup_pending);
			if (hashed < 0) {
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
				xfer_save_ctl(f, now - f->durable_at >=
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
	hash_pool_destroy(e.hpool);
	if (e.files != NULL)
		for (i = 0; i < p->nfiles; i++) {
			free(e.files[i].part);
			free(e.files[i].ctl);
		}
	free(e.files);
	if (e.multi != NULL)
		curl_multi_cleanup(e.multi);
	return r;
}

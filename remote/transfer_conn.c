/* One connection's requests: starting, stopping and retrying them, and
 * what a finished request means for its segment, source and origin. */
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
	struct xsrc *src = &f->src[c->src];
	const char *url = src->cdn_url ? src->cdn_url : src->url;
	struct curl_slist *nl;
	char *const *hp;
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
	/* The source's own headers (ModelScope's session cookie), only
	 * to its own URL, never to a redirect target. */
	if (src->headers != NULL && src->cdn_url == NULL) {
		for (hp = src->headers; *hp != NULL; hp++) {
			if ((nl = curl_slist_append(c->hdrs, *hp)) == NULL)
				return CN_ERR_NOMEM;
			c->hdrs = nl;
		}
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
	}
	c->via_cdn = src->cdn_url != NULL;
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
	if (src->rate * PIECE_S > (double)chunk)
		chunk = (uint64_t)(src->rate * PIECE_S);
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
	c->linked_size = -1;
	c->linked_etag[0] = '\0';
	c->retry_after = -1;
	c->rl_reset = c->rl_window = -1;
	c->last_byte = c->win_start = c->req_t0 = now;
	c->win_bytes = 0;
	c->wake_at = 0;
	s->reserved = c->req_end;
	if (curl_multi_add_handle(e->multi, c->h) != CURLM_OK)
		return CN_ERR_CURL;
	c->running = true;
	return CN_OK;
}

int
xfer_conn_new(struct engine *e, struct xfile *f, size_t segi, int src)
{
	struct conn *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CN_ERR_NOMEM;
	c->e = e;
	c->f = f;
	c->src = src;
	c->seg_start = f->map->segs[segi].start;
	f->map->segs[segi].busy = 1;
	c->next = f->conns;
	f->conns = c;
	f->nconns++;
	f->src[src].nconns++;
	if (f->src[src].origin != NULL)
		f->src[src].origin->nconns++;
	if ((r = conn_start(e, c)) != CN_OK)
		xfer_conn_release(c);
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
/* Is there a source of f besides k that may still be used? */
static int
other_source(const struct xfile *f, int k)
{
	int i;

	for (i = 0; i < f->nsrc; i++)
		if (i != k && !f->src[i].drained &&
		    (f->only_src < 0 || f->only_src == i))
			return i;
	return -1;
}

/* Stop using source k for f: its connections are released by
 * xfer_reap_drained() and their segments go to the others. */
static void
src_drain(struct engine *e, struct xfile *f, int k, const char *reason)
{
	int o = other_source(f, k);

	f->src[k].drained = true;
	xfer_emit(e, "source", json_pack("{s:s,s:s,s:s,s:s,s:o}", "path",
	    f->pf->path, "from", f->src[k].name, "to", o >= 0 ?
	    f->src[o].name : "", "reason", reason, "sources", xfer_src_json(f)));
}

void
xfer_reap_drained(struct xfile *f)
{
	struct conn *c, *next;

	for (c = f->conns; c != NULL; c = next) {
		next = c->next;
		if (f->src[c->src].drained)
			xfer_conn_release(c);
	}
}

/* Is c's origin holding more connections than it now allows? */
static bool
origin_over(const struct conn *c)
{
	const struct origin *o = c->f->src[c->src].origin;

	return o != NULL && o->limit > 0 && o->nconns > o->limit;
}

bool
xfer_conn_retry(struct engine *e, struct conn *c, const char *reason,
    long retry_after_s, bool counts)
{
	struct xfile *f = c->f;
	struct xsrc *src = &f->src[c->src];
	double delay, now;
	char *msg = NULL;

	conn_stop(c);
	if (counts) {
		c->fails++;
		/* The auto fallback's budget counts failures no other source
		 * of the file can absorb. */
		if (other_source(f, c->src) < 0)
			e->total_fails++;
		e->st->retries++;
		/* A source that keeps failing hands its work to another. */
		if (++src->fails >= SRC_DRAIN_FAILS && !src->drained &&
		    other_source(f, c->src) >= 0) {
			src_drain(e, f, c->src, reason);
			xfer_conn_release(c);
			return true;
		}
	}
	if (c->fails > e->o->retries) {
		if (asprintf(&msg, "giving up on '%s' after %d attempts: %s",
		    f->pf->path, c->fails, reason) < 0)
			msg = NULL;
		xfer_file_fail(e, f, CN_ERR_RETRIES, msg ? msg : reason);
		free(msg);
		return false;
	}
	now = mono();
	delay = counts ? retry_wait(e->o->backoff_base_s, e->o->backoff_max_s,
	    c->fails, retry_after_s, RETRY_AFTER_MAX_S) : 0;
	/* The whole origin may be paused (429): nobody asks before. */
	if (src->origin != NULL && src->origin->paused_until > now + delay)
		delay = src->origin->paused_until - now;
	c->wake_at = now + delay;
	if (counts)
		xfer_emit(e, "retry", json_pack("{s:s,s:s,s:i,s:f,s:I,s:s,s:s}",
		    "path", f->pf->path, "reason", reason, "attempt", c->fails,
		    "delay_s", delay, "offset", (json_int_t)conn_offset(c),
		    "source", src->name, "origin", src->origin != NULL ?
		    src->origin->key : ""));
	/* Fewer connections to an origin that keeps answering 429: this
	 * one's segment goes back to the pool. */
	if (origin_over(c)) {
		xfer_conn_release(c);
		return true;
	}
	if (e->o->source_budget > 0 &&
	    e->total_fails >= (unsigned)e->o->source_budget &&
	    e->abort_code == CN_OK) {
		e->abort_code = CN_ERR_RETRIES;
		xfer_record_failure(e, CN_ERR_RETRIES, "source keeps failing");
	}
	return true;
}

/* A 200 to a Range request: single connection from the prefix. */
static void
file_no_range(struct engine *e, struct xfile *f)
{
	while (f->conns != NULL)
		xfer_conn_release(f->conns);
	f->no_range = true;
	segmap_collapse(f->map);
	f->dirty = true;
	xfer_emit(e, "retry", json_pack("{s:s,s:s,s:i,s:f}", "path", f->pf->path,
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
	f->src[c->src].rate = f->src[c->src].rate == 0 ? r :
	    0.7 * f->src[c->src].rate + 0.3 * r;
}

/* A good answer from c's origin: learn its time to first byte. */
static void
origin_good(struct conn *c)
{
	struct origin *o = c->f->src[c->src].origin;
	curl_off_t us = 0;

	if (o == NULL)
		return;
	origin_ok(o);
	if (c->h != NULL && curl_easy_getinfo(c->h,
	    CURLINFO_STARTTRANSFER_TIME_T, &us) == CURLE_OK && us > 0)
		o->ttfb = o->ttfb == 0 ? (double)us / 1e6 :
		    0.8 * o->ttfb + 0.2 * (double)us / 1e6;
}

/*
 * Start c's next request now, or when its origin allows: paused by a
 * 429 it waits; over the origin's lowered cap it is released (its
 * segment goes to another connection).  c may be gone afterwards.
 */
int
xfer_conn_go(struct engine *e, struct conn *c)
{
	struct origin *o = c->f->src[c->src].origin;
	double now = mono();

	if (origin_over(c)) {
		xfer_conn_release(c);
		return CN_OK;
	}
	if (o != NULL && o->paused_until > now) {
		c->wake_at = o->paused_until;
		return CN_OK;
	}
	return conn_start(e, c);
}

void
xfer_conn_done(struct engine *e, struct conn *c, CURLcode cc)
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
	if (c->status >= 200 && c->status < 300)
		origin_good(c);
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
		xfer_file_fail(e, f, c->werrno == ENOSPC ? CN_ERR_NOSPACE :
		    CN_ERR_IO, msg ? msg : "write error");
		free(msg);
		return;
	case STOP_CUT:
		xfer_conn_release(c);
		return;
	case STOP_PROTO:
		snprintf(reason, sizeof(reason), "%s", c->proto_msg);
		xfer_conn_retry(e, c, reason, -1, true);
		return;
	default:
		break;
	}
	if (s != NULL && seg_left(s) == 0 && c->status >= 200 &&
	    c->status < 300) {
		piece_done(f, c);
		xfer_conn_release(c);
		return;
	}
	if (s != NULL && c->status >= 200 && c->status < 300 &&
	    cc == CURLE_OK && seg_pos(s) == c->req_end) {
		/* Piece done, the segment goes on: next request, same
		 * (kept-alive) connection. */
		piece_done(f, c);
		if ((r = xfer_conn_go(e, c)) != CN_OK) {
			if (asprintf(&msg, "cannot continue download of '%s': "
			    "%s", path, cn_strerror(r)) < 0)
				msg = NULL;
			xfer_file_fail(e, f, r, msg ? msg : "cannot continue");
			free(msg);
		}
		return;
	}
	if (c->status >= 200 && c->status < 300) {
		if (cc == CURLE_OK) {
			/* A clean but short answer: ask for the rest. */
			snprintf(reason, sizeof(reason),
			    "short response (%" PRIu64 " bytes)", c->got);
			xfer_conn_retry(e, c, reason, -1, c->got == 0);
		} else {
			snprintf(reason, sizeof(reason), "%s",
			    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
			xfer_conn_retry(e, c, reason, -1, true);
		}
		return;
	}
	if (c->status == 0) {
		snprintf(reason, sizeof(reason), "%s",
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
		xfer_conn_retry(e, c, reason, -1, true);
		return;
	}
	cls = http_status_class(c->status);
	if ((cls == HTTP_CLASS_DENIED || c->status == 410) &&
	    c->status != 401 && (redirects > 0 || c->via_cdn)) {
		/* A signed CDN URL expired: a fresh one from /resolve/,
		 * keeping the bytes. */
		free(f->src[c->src].cdn_url);
		f->src[c->src].cdn_url = NULL;
		snprintf(reason, sizeof(reason),
		    "download URL expired (HTTP %ld), asking for a new one",
		    c->status);
		xfer_conn_retry(e, c, reason, -1, true);
		return;
	}
	if (cls == HTTP_CLASS_RATE_LIMITED &&
	    f->src[c->src].origin != NULL) {
		/* The server's wait (Retry-After, else RateLimit's reset)
		 * pauses every connection to this origin, not just this
		 * one; without either, the usual backoff. */
		double wait = c->retry_after > 0 ? (double)c->retry_after :
		    c->rl_reset > 0 ? (double)c->rl_reset :
		    retry_wait(e->o->backoff_base_s, e->o->backoff_max_s,
		    c->fails + 1, -1, RETRY_AFTER_MAX_S);

		if (wait > RETRY_AFTER_MAX_S)
			wait = RETRY_AFTER_MAX_S;
		origin_rate_limited(f->src[c->src].origin, wait, mono());
		xfer_conn_retry(e, c, "HTTP 429", (long)wait, true);
		return;
	}
	snprintf(reason, sizeof(reason), "HTTP %ld", c->status);
	if (http_class_retryable(cls)) {
		xfer_conn_retry(e, c, reason, c->retry_after > 0 ? c->retry_after :
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
	xfer_file_fail(e, f, http_class_err(cls), msg ? msg : reason);
	free(msg);
}

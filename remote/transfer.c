/* The transfer engine: files, connections and their scheduling (work
 * stealing, ramp-up, retries) on one libcurl multi handle; each
 * connection's requests are in transfer_conn.c, the callbacks in
 * transfer_cb.c, the hashing thread in hash.c. */
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
	json_decref(st->sources);
	st->message = NULL;
	st->file_ok = NULL;
	st->sources = NULL;
}

void
xfer_emit(struct engine *e, const char *event, json_t *fields)
{
	if (e->o->emit != NULL)
		e->o->emit(e->o->emit_arg, event, fields);
	else
		json_decref(fields);
}

/* -------------------------------------------------------------- files */

void
xfer_record_failure(struct engine *e, int code, const char *msg)
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
void
xfer_conn_release(struct conn *c)
{
	struct xfile *f = c->f;
	struct conn **pp;
	long i;

	if (f->map != NULL && (i = segmap_find(f->map, c->seg_start)) >= 0)
		f->map->segs[i].busy = 0;
	f->src[c->src].nconns--;
	if (f->src[c->src].origin != NULL)
		f->src[c->src].origin->nconns--;
	for (pp = &f->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	f->nconns--;
	conn_free(c);
}

/* Move the bytes src carried this attempt into the run's totals. */
static void
src_account(struct engine *e, struct xsrc *src)
{
	json_t *v;
	json_int_t had;

	if (src->bytes == 0)
		return;
	src->total += src->bytes;
	if (e->src_bytes != NULL) {
		v = json_object_get(e->src_bytes, src->name);
		had = v != NULL ? json_integer_value(v) : 0;
		json_object_set_new(e->src_bytes, src->name,
		    json_integer(had + (json_int_t)src->bytes));
	}
	src->bytes = 0;
}

/* {"hf": N, "modelscope": M}: what each source carried for f. */
json_t *
xfer_src_json(const struct xfile *f)
{
	json_t *o = json_object();
	int i;

	for (i = 0; o != NULL && i < f->nsrc; i++)
		json_object_set_new(o, f->src[i].name, json_integer(
		    (json_int_t)(f->src[i].total + f->src[i].bytes)));
	return o;
}

static void
file_close(struct engine *e, struct xfile *f, bool keep_data)
{
	double now = mono();
	int i;

	hash_pool_detach(e->hpool, &f->hj);
	while (f->conns != NULL)
		xfer_conn_release(f->conns);
	if (keep_data && f->map != NULL)
		xfer_save_ctl(f, true, now);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	segmap_destroy(f->map);
	f->map = NULL;
	hasher_destroy(f->hash);
	f->hash = NULL;
	for (i = 0; i < f->nsrc; i++) {
		free(f->src[i].cdn_url);
		f->src[i].cdn_url = NULL;
		src_account(e, &f->src[i]);
	}
	if (f->active) {
		f->active = false;
		e->nactive--;
	}
}

void
xfer_file_fail(struct engine *e, struct xfile *f, int code, const char *msg)
{
	file_close(e, f, true);
	e->st->files_failed++;
	xfer_record_failure(e, code, msg);
	xfer_emit(e, "error", json_pack("{s:s,s:s,s:s}", "path", f->pf->path,
	    "message", msg, "code", cn_strerror(code)));
}


/* ---------------------------------------------------------------- loop */

/* How many connections f may have now (see RAMP_S). */
/* May f open connections to source k? */
static bool
src_usable(const struct xfile *f, int k)
{
	return !f->src[k].drained && (f->only_src < 0 || f->only_src == k);
}

/* f's own connection budget: its usable sources' (one without Range). */
static int
file_budget(const struct xfile *f)
{
	int max = 0, k;

	for (k = 0; k < f->nsrc; k++)
		if (src_usable(f, k))
			max += f->src[k].budget;
	return f->no_range && max > 1 ? 1 : max;
}

/*
 * Connections of the pull's budget (-x times the files running at once)
 * that no file holds: once no file waits to start, the files still
 * running share the connections of those that finished.
 */
static int
spare_conns(const struct engine *e)
{
	const struct xfile *f;
	int used = 0, b;
	size_t i;

	if (e->waiting > 0)
		return 0;
	for (i = 0; i < e->p->nfiles; i++) {
		f = &e->files[i];
		if (!f->active)
			continue;
		b = file_budget(f);
		used += f->nconns > b ? f->nconns : b;
	}
	return e->pool > used ? e->pool - used : 0;
}

static int
allowed(struct engine *e, struct xfile *f, double now)
{
	int max = file_budget(f);
	double rate;

	if (max <= 1)
		return max;
	/* Two sources are there to be used at once: no ramp. */
	if (f->nsrc > 1 && f->allow == 0)
		f->allow = max;
	if (f->allow >= max)
		return f->no_range ? max : max + spare_conns(e);
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

/* The source a new connection of f goes to: the usable one with the
 * most room under its budget whose origin takes requests now, or -1. */
static int
pick_source(const struct xfile *f, double now, int spare)
{
	double fill, best_fill = 1e9;
	int k, best = -1;

	for (k = 0; k < f->nsrc; k++) {
		const struct xsrc *x = &f->src[k];

		if (!src_usable(f, k) || x->nconns >= x->budget + spare ||
		    !origin_open(x->origin, now))
			continue;
		fill = (double)x->nconns / (double)x->budget;
		if (fill < best_fill) {
			best_fill = fill;
			best = k;
		}
	}
	return best;
}

/* Bytes/s c moves now: its request's pace, else its source's. */
static double
conn_rate(const struct conn *c, double now)
{
	double dt = now - c->req_t0;

	if (c->running && dt >= 0.5 && c->got > 0)
		return (double)c->got / dt;
	return c->f->src[c->src].rate;
}

/*
 * The endgame (aria2c's, with a price on the cut): a free connection on
 * source k takes the end of the segment that would finish last, cut so
 * both end at the same moment given their paces and k's time to first
 * byte.  Only when the part taken is worth a request (CUT_GRAIN) and
 * the file ends sooner by more than CUT_WORTH_S, plus the owner's
 * reconnect when the cut lands inside its request in flight.
 */
static int
endgame_cut(struct xfile *f, int k, double now, size_t *idx)
{
	const struct origin *ko = f->src[k].origin, *oo;
	struct conn *c, *best = NULL;
	double r1, r2, t, best_t = 0, ttfb, keep, saved, cost;
	uint64_t left, at;
	struct seg *s;
	long i, bi = -1;

	r2 = f->src[k].rate;
	for (c = f->conns; c != NULL; c = c->next) {
		if (!c->running || (i = segmap_find(f->map, c->seg_start)) < 0)
			continue;
		left = seg_left(&f->map->segs[i]);
		if (left < 2 * CUT_GRAIN)
			continue;
		r1 = conn_rate(c, now);
		t = (double)left / (r1 > 0 ? r1 : r2 > 0 ? r2 : 1.0);
		if (t > best_t) {
			best_t = t;
			best = c;
			bi = i;
		}
	}
	if (best == NULL)
		return CN_ERR_NOT_FOUND;
	s = &f->map->segs[bi];
	left = seg_left(s);
	r1 = conn_rate(best, now);
	if (r1 <= 0)
		r1 = r2 > 0 ? r2 : 1.0;
	if (r2 <= 0)
		r2 = r1;
	ttfb = ko != NULL ? ko->ttfb : 0;
	/* keep / r1 == ttfb + (left - keep) / r2 */
	keep = (ttfb + (double)left / r2) / (1.0 / r1 + 1.0 / r2);
	if (keep < 16384)
		keep = 16384;
	if (keep >= (double)left || (double)left - keep < (double)CUT_GRAIN)
		return CN_ERR_NOT_FOUND;
	at = seg_pos(s) + (uint64_t)keep;
	saved = ((double)left - keep) / r1 - ttfb;
	oo = f->src[best->src].origin;
	cost = CUT_WORTH_S + (at < s->reserved && oo != NULL ? oo->ttfb : 0);
	if (saved < cost)
		return CN_ERR_NOT_FOUND;
	return segmap_cut(f->map, (size_t)bi, at, idx);
}

static void
schedule(struct engine *e, struct xfile *f)
{
	double now = mono();
	int max = allowed(e, f, now), base = file_budget(f), k;
	size_t idx;
	long i;
	char *msg = NULL;
	int r;

	while (f->active && f->nconns < max) {
		if ((k = pick_source(f, now, max > base ? max - base : 0)) < 0)
			break;
		if ((i = segmap_next_idle(f->map)) >= 0)
			idx = (size_t)i;
		else if (f->no_range)
			break;
		else if (segmap_split(f->map, e->o->min_seg, &idx) != CN_OK &&
		    endgame_cut(f, k, now, &idx) != CN_OK)
			break;
		if ((r = xfer_conn_new(e, f, idx, k)) != CN_OK) {
			if (asprintf(&msg, "cannot start download of '%s': %s",
			    f->pf->path, cn_strerror(r)) < 0)
				msg = NULL;
			xfer_file_fail(e, f, r, msg ? msg : "cannot start");
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
		if ((r = xfer_conn_go(e, c)) != CN_OK) {
			if (asprintf(&msg, "cannot restart download of '%s': "
			    "%s", f->pf->path, cn_strerror(r)) < 0)
				msg = NULL;
			xfer_file_fail(e, f, r, msg ? msg : "cannot restart");
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
		xfer_emit(e, "stall", json_pack("{s:s,s:I,s:i}", "path",
		    f->pf->path, "offset", (json_int_t)off, "attempt",
		    c->fails + 1));
		xfer_conn_retry(e, c, "stall", -1, true);
	}
}

static void
file_finish(struct engine *e, struct xfile *f)
{
	const struct plan_file *pf = f->pf;
	const char *expect = hash_expected(pf, f->kind);
	char hex[65], *msg = NULL, *cmsg = NULL, reason[160];
	const char *bad = NULL;
	struct stat st;
	int r, k, nused = 0, next = -1;

	hash_pool_detach(e->hpool, &f->hj);
	if (hasher_final(f->hash, hex) != CN_OK) {
		xfer_file_fail(e, f, CN_ERR_NOMEM, "out of memory");
		return;
	}
	for (k = 0; k < f->nsrc; k++)
		if (f->src[k].bytes > 0)
			nused++;
	if (f->kind != HASH_NONE && strcmp(hex, expect) != 0 &&
	    f->nsrc > 1 && (nused > 1 || f->only_src >= 0)) {
		/* Several sources: fetch again from one alone, then the
		 * next, until one verifies; the others served bad bytes. */
		if (f->only_src >= 0)
			f->tried_alone |= 1u << f->only_src;
		for (k = 0; k < f->nsrc && next < 0; k++)
			if (!(f->tried_alone & (1u << k)) &&
			    (!f->src[k].drained || f->only_src >= 0))
				next = k;
		if (next >= 0) {
			snprintf(reason, sizeof(reason), "%s mismatch with "
			    "bytes from %d source%s: fetching again from %s "
			    "alone", hash_name(f->kind), nused, nused == 1 ?
			    "" : "s", f->src[next].name);
			file_close(e, f, false);
			(void)unlink(f->part);
			(void)unlink(f->ctl);
			f->only_src = next;
			f->pinning = true;
			for (k = 0; k < f->nsrc; k++) {
				f->src[k].drained = false;
				f->src[k].fails = 0;
			}
			e->st->retries++;
			xfer_emit(e, "retry", json_pack("{s:s,s:s,s:i,s:f,s:s}",
			    "path", pf->path, "reason", reason, "attempt",
			    f->verify_tries + 1, "delay_s", 0.0, "source",
			    f->src[next].name));
			f->verify_tries++;
			if ((r = xfer_file_open(e, f, &msg)) != CN_OK) {
				xfer_file_fail(e, f, r, msg ? msg : cn_strerror(r));
				free(msg);
			}
			return;
		}
	}
	if (f->kind != HASH_NONE && strcmp(hex, expect) != 0) {
		/* Bad data is never kept: it would be resumed as good. */
		file_close(e, f, false);
		(void)unlink(f->part);
		(void)unlink(f->ctl);
		if (++f->verify_tries < 2) {
			e->st->retries++;
			xfer_emit(e, "retry", json_pack("{s:s,s:s,s:i,s:f}", "path",
			    pf->path, "reason", f->kind == HASH_SHA256 ?
			    "sha256 mismatch" : "git sha1 mismatch",
			    "attempt", 1, "delay_s", 0.0));
			if ((r = xfer_file_open(e, f, &msg)) != CN_OK) {
				xfer_file_fail(e, f, r, msg ? msg : cn_strerror(r));
				free(msg);
			}
			return;
		}
		if (asprintf(&msg, "%s mismatch for '%s': expected %s, got %s "
		    "(downloaded twice; bad data deleted)", hash_name(f->kind),
		    pf->path, expect, hex) < 0)
			msg = NULL;
		e->st->files_failed++;
		xfer_record_failure(e, CN_ERR_VERIFY, msg);
		xfer_emit(e, "error", json_pack("{s:s,s:s,s:s}", "path", pf->path,
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
		xfer_file_fail(e, f, CN_ERR_VERIFY, msg ? msg : "size mismatch");
		free(msg);
		return;
	}
	/* The blob must be on disk before a link can point at it. */
	if (fdatasync(f->fd) != 0 && errno != EINVAL) {
		if (asprintf(&msg, "cannot sync '%s': %s", f->part,
		    strerror(errno)) < 0)
			msg = NULL;
		xfer_file_fail(e, f, CN_ERR_IO, msg ? msg : "sync failed");
		free(msg);
		return;
	}
	if ((r = cache_commit(e->o->cache, pf, e->p->commit, f->part,
	    &cmsg)) != CN_OK) {
		xfer_file_fail(e, f, r, cmsg ? cmsg : cn_strerror(r));
		free(cmsg);
		return;
	}
	(void)unlink(f->ctl);
	/* Verified from one source alone after a mismatch with several:
	 * the others served bad bytes. */
	if (f->pinning && f->only_src >= 0) {
		for (k = 0; k < f->nsrc; k++)
			if (k != f->only_src && f->src[k].total > 0)
				bad = f->src[k].name;
		if (bad != NULL) {
			snprintf(reason, sizeof(reason), "%s served bad bytes: "
			    "'%s' verified from %s alone", bad, pf->path,
			    f->src[f->only_src].name);
			xfer_emit(e, "source", json_pack("{s:s,s:s,s:s,s:s,s:s}",
			    "path", pf->path, "from", bad, "to",
			    f->src[f->only_src].name, "reason", reason,
			    "bad_source", bad));
		}
	}
	file_close(e, f, false);
	e->committed += pf->size;
	e->st->files_done++;
	e->st->file_ok[f->idx] = true;
	if (f->nsrc > 1)
		xfer_emit(e, "source", json_pack("{s:s,s:o}", "path", pf->path,
		    "sources", xfer_src_json(f)));
	xfer_emit(e, "file_done", json_pack("{s:s,s:I,s:s,s:s,s:o,s:s?}", "path",
	    pf->path, "size", (json_int_t)pf->size, "sha256",
	    pf->sha256[0] ? pf->sha256 : (f->kind == HASH_SHA256 ? hex : ""),
	    "verified", hash_name(f->kind), "sources", xfer_src_json(f),
	    "bad_source", bad));
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

/* Bytes per source so far, open files included (for cnorch status);
 * NULL while the plan has one source only. */
static json_t *
live_sources(const struct engine *e)
{
	const struct xfile *f;
	json_t *o, *v;
	size_t i;
	int k;
	bool multi = false;

	for (i = 0; i < e->p->nfiles && !multi; i++)
		multi = e->files[i].nsrc > 1;
	if (!multi || (o = json_deep_copy(e->src_bytes)) == NULL)
		return NULL;
	for (i = 0; i < e->p->nfiles; i++) {
		f = &e->files[i];
		for (k = 0; f->active && k < f->nsrc; k++) {
			if (f->src[k].bytes == 0)
				continue;
			v = json_object_get(o, f->src[k].name);
			json_object_set_new(o, f->src[k].name, json_integer(
			    (v ? json_integer_value(v) : 0) +
			    (json_int_t)f->src[k].bytes));
		}
	}
	return o;
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
	xfer_emit(e, "progress", json_pack("{s:I,s:I,s:I,s:i,s:o?}", "bytes_done",
	    (json_int_t)e->st->bytes_done, "bytes_total",
	    (json_int_t)e->p->bytes_total, "rate_bps", (json_int_t)e->rate,
	    "files_done", (int)e->st->files_done, "sources",
	    live_sources(e)));
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
		xfer_record_failure(e, r, cmsg);
		xfer_emit(e, "error", json_pack("{s:s,s:s}", "path", f->pf->path,
		    "message", cmsg ? cmsg : cn_strerror(r)));
		free(cmsg);
		f->skip = true;
		return;
	}
	e->st->file_ok[f->idx] = true;
	e->st->files_done++;
	e->committed += f->pf->size;
	xfer_emit(e, "file_done", json_pack("{s:s,s:I,s:s,s:b}", "path",
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
			xfer_record_failure(e, r, msg ? msg : cn_strerror(r));
			xfer_emit(e, "error", json_pack("{s:s,s:s}", "path",
			    f->pf->path, "message", msg ? msg :
			    cn_strerror(r)));
			free(msg);
			msg = NULL;
		}
	}
	return waiting;
}

/* f's sources: the plan's url (source 0), then its alternatives. */
static int
sources_init(struct engine *e, struct xfile *f, const struct plan *p)
{
	const struct plan_file *pf = f->pf;
	struct xsrc *x;
	size_t a;

	f->only_src = -1;
	f->nsrc = 0;
	for (a = 0; a <= pf->nalts && f->nsrc < MAX_SRC; a++) {
		x = &f->src[f->nsrc];
		memset(x, 0, sizeof(*x));
		if (a == 0) {
			x->name = plan_source_name(p->source);
			x->url = pf->url;
			x->budget = pf->max_conns;
		} else {
			x->name = pf->alts[a - 1].name;
			x->url = pf->alts[a - 1].url;
			x->headers = pf->alts[a - 1].headers;
			x->budget = pf->alts[a - 1].max_conns;
		}
		if (x->url == NULL)
			continue;
		if (x->budget <= 0)
			x->budget = e->o->max_conns;
		if ((x->origin = origin_get(&e->origins, x->url)) == NULL)
			return CN_ERR_NOMEM;
		f->nsrc++;
	}
	return CN_OK;
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
	size_t i, budget, pending = 0, nfetch;
	int64_t hashed;
	int running, left, r, k;

	memset(st, 0, sizeof(*st));
	st->bytes_total = p->bytes_total;
	r = CN_ERR_NOMEM;
	if ((st->file_ok = calloc(p->nfiles + 1, sizeof(bool))) == NULL ||
	    (e.files = calloc(p->nfiles + 1, sizeof(*e.files))) == NULL ||
	    (e.multi = curl_multi_init()) == NULL)
		goto out;
	if ((e.src_bytes = json_object()) == NULL)
		goto out;
	for (i = 0; i < p->nfiles; i++) {
		f = &e.files[i];
		f->pf = &p->files[i];
		f->idx = i;
		f->fd = -1;
		if ((r = sources_init(&e, f, p)) != CN_OK)
			goto out;
		r = CN_ERR_NOMEM;
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
	/* The pull's connection budget, shared once no file waits. */
	for (i = 0, nfetch = 0; i < p->nfiles; i++)
		if (!st->file_ok[i] && !e.files[i].started)
			nfetch++;
	e.pool = o->max_conns * (int)(nfetch < (size_t)o->max_files ? nfetch :
	    (size_t)o->max_files);
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
		e.waiting = pending;
		now = mono();
		for (i = 0; i < p->nfiles; i++) {
			f = &e.files[i];
			if (!f->active)
				continue;
			xfer_reap_drained(f);
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
				xfer_conn_done(&e, c, m->data.result);
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
				xfer_file_fail(&e, f, CN_ERR_IO, cmsg ? cmsg :
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
		for (i = 0; i < p->nfiles; i++)
			for (k = 0; k < e.files[i].nsrc; k++)
				src_account(&e, &e.files[i].src[k]);
	st->sources = e.src_bytes;
	e.src_bytes = NULL;
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
	origin_list_free(e.origins);
	return r;
}

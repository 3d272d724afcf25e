/*
 * The planner (planner.h): endpoints, source choice and the auto
 * fallback; it asks the hubs for a listing and applies include/exclude
 * (the plan helpers themselves are in plan.c).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pathglob.h"
#include "hub.h"
#include "pathsafe.h"
#include "planner.h"
#include "source_measure.h"

const char *
planner_source_name(enum hub_source s)
{
	switch (s) {
	case SOURCE_HF:		return "hf";
	case SOURCE_MODELSCOPE:	return "modelscope";
	case SOURCE_AUTO:	return "auto";
	case SOURCE_HUGGINGFACE: return "huggingface";
	}
	return NULL;
}

int
planner_source_parse(const char *name, enum hub_source *out)
{
	if (strcmp(name, "hf") == 0)
		*out = SOURCE_HF;
	else if (strcmp(name, "modelscope") == 0 || strcmp(name, "ms") == 0)
		*out = SOURCE_MODELSCOPE;
	else if (strcmp(name, "auto") == 0)
		*out = SOURCE_AUTO;
	else if (strcmp(name, "huggingface") == 0)
		*out = SOURCE_HUGGINGFACE;
	else
		return CN_ERR_INVALID;
	return CN_OK;
}

/* ---------------------------------------------------------------- build */

/* Listings run on two threads at once (auto): one event at a time. */
static pthread_mutex_t emit_lock = PTHREAD_MUTEX_INITIALIZER;

static void
emit(const struct planner_opts *o, const char *event, json_t *fields)
{
	pthread_mutex_lock(&emit_lock);
	if (o->on_event != NULL && fields != NULL)
		o->on_event(o->arg, event, fields);
	pthread_mutex_unlock(&emit_lock);
	json_decref(fields);
}

/* ModelScope's listing beside the mirror's, on a thread of its own. */
struct ms_listing {
	struct hub_query q;
	struct plan	*p;
	char		*msg;
	int		 r;
};

static void *
ms_listing_run(void *arg)
{
	struct ms_listing *l = arg;

	l->r = ms_plan(&l->q, NULL, &l->p, &l->msg);
	return NULL;
}

static void
on_retry(void *arg, const char *url, const char *reason, int attempt,
    double delay_s)
{
	const struct planner_opts *o = arg;

	emit(o, "retry", json_pack("{s:s, s:i, s:f, s:s}", "reason", reason,
	    "attempt", attempt, "delay_s", delay_s, "url", url));
}

/* Endpoint with trailing slashes cut, malloc'd. */
static char *
endpoint_of(const char *opt, const char *env, const char *def)
{
	const char *e = opt;
	size_t n;

	if (e == NULL || *e == '\0')
		e = getenv(env);
	if (e == NULL || *e == '\0')
		e = def;
	n = strlen(e);
	while (n > 0 && e[n - 1] == '/')
		n--;
	return strndup(e, n);
}

/* ModelScope could not be asked at all (resolve, connect, timeouts). */
static bool
unreachable(int r)
{
	return r == CN_ERR_CONNECT || r == CN_ERR_TIMEOUT ||
	    r == CN_ERR_RETRIES || r == CN_ERR_CURL;
}

/* Failures of HF after which auto tries ModelScope. */
static bool
fallback_ok(int r)
{
	switch (r) {
	case CN_ERR_NOT_FOUND:
	case CN_ERR_RETRIES:
	case CN_ERR_CURL:
	case CN_ERR_CONNECT:
	case CN_ERR_TIMEOUT:
	case CN_ERR_HTTP:
	case CN_ERR_PARSE:
	case CN_ERR_PROTOCOL:
		return true;
	default:
		return false;
	}
}

static int
path_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct plan_file *)elem)->path);
}

int
planner_pair(struct plan *p, const struct plan *other, size_t *paired,
    size_t *differ, size_t *missing)
{
	const struct plan_file *o;
	size_t i, np = 0, nd = 0, nm = 0;
	int r;

	for (i = 0; i < p->nfiles; i++) {
		struct plan_file *f = &p->files[i];

		/* other is plan_finish()ed: sorted by path */
		o = other->nfiles == 0 ? NULL : bsearch(f->path, other->files,
		    other->nfiles, sizeof(*other->files), path_cmp);
		if (o == NULL) {
			nm++;
			continue;
		}
		if (f->sha256[0] == '\0' || strcmp(f->sha256, o->sha256) != 0 ||
		    f->size != o->size) {
			nd++;
			continue;
		}
		if ((r = plan_file_add_source(f, plan_source_name(
		    other->source), o->url, NULL, 0)) != CN_OK)
			return r;
		if (o->ms_revision != NULL && f->ms_revision == NULL &&
		    (f->ms_revision = strdup(o->ms_revision)) == NULL)
			return CN_ERR_NOMEM;
		np++;
	}
	if (paired != NULL)
		*paired = np;
	if (differ != NULL)
		*differ = nd;
	if (missing != NULL)
		*missing = nm;
	return CN_OK;
}

/* The URL of f on the HF API at endpoint, at p's commit. */
static char *
upstream_url(const struct plan *p, const struct plan_file *f,
    const char *endpoint)
{
	char *url = NULL, *e, *t, *seg;
	const char *s = f->path, *slash;

	/* A ModelScope plan's commit is no HF commit: the revision then. */
	if (asprintf(&url, "%s%s/%s/resolve/%s", endpoint,
	    p->repo_type == REPO_DATASET ? "/datasets" : "", p->repo,
	    p->source == SOURCE_MODELSCOPE ? p->revision : p->commit) < 0)
		return NULL;
	for (;;) {
		slash = strchr(s, '/');
		if ((seg = strndup(s, slash ? (size_t)(slash - s) :
		    strlen(s))) == NULL)
			goto fail;
		e = http_escape(seg);
		free(seg);
		if (e == NULL || asprintf(&t, "%s/%s", url, e) < 0) {
			free(e);
			goto fail;
		}
		free(e);
		free(url);
		url = t;
		if (slash == NULL)
			return url;
		s = slash + 1;
	}
 fail:
	free(url);
	return NULL;
}

int
planner_rung(const struct plan *p, const bool *ok, enum hub_source to,
    const char *upstream, struct plan **out)
{
	struct plan *q = NULL;
	const struct plan_file *f;
	const char *alt;
	char *url;
	size_t i, k, cap = 0;
	int r = CN_ERR_NOMEM;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return CN_ERR_NOMEM;
	q->source = to;
	q->repo_type = p->repo_type;
	if ((q->repo = strdup(p->repo)) == NULL ||
	    (q->revision = strdup(p->revision)) == NULL ||
	    (q->commit = strdup(p->commit)) == NULL ||
	    (q->endpoint = strdup(to == SOURCE_HUGGINGFACE ? upstream :
	    p->endpoint)) == NULL)
		goto out;
	for (i = 0; i < p->nfiles; i++) {
		f = &p->files[i];
		if (ok != NULL && ok[i])
			continue;
		url = NULL;
		if (to == SOURCE_HUGGINGFACE) {
			if ((url = upstream_url(p, f, upstream)) == NULL)
				goto out;
		} else {
			for (alt = NULL, k = 0; k < f->nalts; k++)
				if (strcmp(f->alts[k].name,
				    plan_source_name(to)) == 0)
					alt = f->alts[k].url;
			if (alt == NULL)
				continue;
			if ((url = strdup(alt)) == NULL)
				goto out;
		}
		if ((r = plan_push(q, &cap, f->path, f->size, f->lfs, f->sha256,
		    f->git_sha1, url)) != CN_OK)
			goto out;
		memcpy(q->files[q->nfiles - 1].etag, f->etag, sizeof(f->etag));
	}
	if (q->nfiles > 0) {
		*out = q;
		q = NULL;
	}
	r = CN_OK;
 out:
	plan_destroy(q);
	return r;
}

/* "main" is HF's default branch; ModelScope's is "master". */
static const char *
ms_revision(const struct planner_opts *o)
{
	if (o->revision == NULL || strcmp(o->revision, "main") == 0)
		return "master";
	return o->revision;
}

/* The pairing of --source auto, reported. */
static int
pair_and_report(const struct planner_opts *o, struct plan *p,
    const struct plan *other)
{
	size_t paired, differ, missing;
	int r;

	if ((r = planner_pair(p, other, &paired, &differ, &missing)) != CN_OK)
		return r;
	if (paired > 0)
		emit(o, "source", json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}",
		    "from", plan_source_name(p->source), "to", "hf+modelscope",
		    "reason", "same sha256 on both hubs: fetched from both",
		    "files", (json_int_t)paired, "also",
		    plan_source_name(other->source), "endpoint",
		    other->endpoint));
	if (differ > 0)
		emit(o, "source", json_pack("{s:s, s:s, s:s, s:I}", "from",
		    plan_source_name(other->source), "to",
		    plan_source_name(p->source), "reason", "sha256 differs or "
		    "is unknown on one hub: one source", "files",
		    (json_int_t)differ));
	if (missing > 0)
		emit(o, "source", json_pack("{s:s, s:s, s:s, s:I}", "from",
		    plan_source_name(other->source), "to",
		    plan_source_name(p->source), "reason", "not on the other "
		    "hub: one source", "files", (json_int_t)missing));
	return CN_OK;
}

int
planner_build(const struct planner_opts *o, struct plan **out, char **msg)
{
	struct http_conf conf, upconf, msconf;
	struct plan_caps caps = { .max_files = o->max_files,
	    .max_bytes = o->max_bytes };
	struct plan_caps ms_caps;
	struct hub_query q = { 0 };
	struct plan *p = NULL, *ms = NULL;
	char *hf_ep = NULL, *ms_ep = NULL, *up_ep = NULL, *hf_msg = NULL;
	char *ms_msg = NULL, *up_msg = NULL, *why = NULL;
	char commit[41] = "";
	struct ms_listing msl = { .r = CN_ERR_NOT_FOUND };
	pthread_t tid;
	bool listing = false;
	const char *want, *ms_id;
	int r, hf_r = CN_OK, ms_r = CN_OK;

	*out = NULL;
	*msg = NULL;
	if (o->repo == NULL || pathsafe_repo_id(o->repo) != 0) {
		hub_msg(msg, "invalid repo id '%s': expected org/name made of "
		    "letters, digits, '.', '_' and '-'",
		    o->repo ? o->repo : "");
		r = CN_ERR_INVALID;
		goto out;
	}
	if (o->ms_repo != NULL && pathsafe_repo_id(o->ms_repo) != 0) {
		hub_msg(msg, "invalid ModelScope repo id '%s': expected "
		    "org/name made of letters, digits, '.', '_' and '-'",
		    o->ms_repo);
		r = CN_ERR_INVALID;
		goto out;
	}
	if (o->revision != NULL && pathsafe_revision(o->revision) != 0) {
		hub_msg(msg, "invalid revision '%s'", o->revision);
		r = CN_ERR_UNSAFE_PATH;
		goto out;
	}
	ms_id = o->ms_repo != NULL ? o->ms_repo : o->repo;
	hf_ep = endpoint_of(o->hf_endpoint, "HF_ENDPOINT", PLANNER_HF_ENDPOINT);
	ms_ep = endpoint_of(o->ms_endpoint, "MODELSCOPE_ENDPOINT",
	    PLANNER_MS_ENDPOINT);
	up_ep = endpoint_of(o->upstream_endpoint, "CNORCH_UPSTREAM_ENDPOINT",
	    PLANNER_UPSTREAM_ENDPOINT);
	if (hf_ep == NULL || ms_ep == NULL || up_ep == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	conf = *o->http;		/* shallow: never released */
	conf.on_retry = on_retry;
	conf.on_retry_arg = (void *)o;
	upconf = o->upstream_http != NULL ? *o->upstream_http : *o->http;
	upconf.on_retry = on_retry;
	upconf.on_retry_arg = (void *)o;

	q.http = &conf;
	q.caps = &caps;
	q.repo_type = o->repo_type;
	q.repo = o->repo;

	/* --- the last rung, forced --- */
	if (o->source == SOURCE_HUGGINGFACE) {
		q.http = &upconf;
		q.endpoint = up_ep;
		q.revision = o->revision ? o->revision : "main";
		if ((r = hf_plan(&q, commit, &p, msg)) == CN_OK)
			p->source = SOURCE_HUGGINGFACE;
		goto filter;
	}
	/* --- ModelScope alone --- */
	if (o->source == SOURCE_MODELSCOPE) {
		q.endpoint = ms_ep;
		q.repo = ms_id;
		q.revision = o->revision ? o->revision : "master";
		r = ms_plan(&q, NULL, &p, msg);
		goto filter;
	}
	/* --- the mirror --- */
	/* Measured failing or much slower (source_measure.h): ModelScope
	 * alone, without waiting out the mirror's retries. */
	if (o->source == SOURCE_AUTO && o->repo_type == REPO_MODEL &&
	    source_measure_prefers_ms(&conf, hf_ep, ms_ep, ms_id,
	    o->revision, &why)) {
		q.endpoint = ms_ep;
		q.repo = ms_id;
		q.revision = ms_revision(o);
		if ((r = ms_plan(&q, NULL, &p, &ms_msg)) == CN_OK) {
			emit(o, "source", json_pack("{s:s, s:s, s:s}", "from",
			    "hf", "to", "modelscope", "reason",
			    why != NULL ? why : ""));
			goto filter;
		}
		if (caps.hit != PLAN_CAP_NONE) {
			*msg = plan_cap_message(&caps, o->repo, ms_ep);
			goto filter;
		}
		/* Not on ModelScope after all: the usual way. */
		free(ms_msg);
		ms_msg = NULL;
		q.repo = o->repo;
	}
	/* --- auto: ModelScope listed at the same time (a second source
	 * for the files with the same sha256, or the fallback) --- */
	if (o->source == SOURCE_AUTO) {
		/* Optional when the mirror answers: shorter waits between
		 * its tries, so an unreachable ModelScope costs seconds. */
		msconf = conf;
		msconf.retry_base_ms = conf.retry_base_ms / 4;
		/* ... and a host that cannot be reached is told in
		 * seconds, not after the full retry budget. */
		msconf.connect_tries = 1;
		if (msconf.connect_timeout_s > PLANNER_PROBE_CONNECT_S)
			msconf.connect_timeout_s = PLANNER_PROBE_CONNECT_S;
		/* Its own caps: the thread must not share the mirror's. */
		ms_caps = caps;
		msl.q = q;
		msl.q.caps = &ms_caps;
		msl.q.http = &msconf;
		msl.q.endpoint = ms_ep;
		msl.q.repo = ms_id;
		msl.q.revision = ms_revision(o);
		listing = pthread_create(&tid, NULL, ms_listing_run, &msl) == 0;
	}
	q.endpoint = hf_ep;
	q.revision = o->revision ? o->revision : "main";
	hf_r = hf_plan(&q, commit, &p, &hf_msg);
	if (hf_r != CN_OK && caps.hit != PLAN_CAP_NONE) {
		/* A cap is the user's limit, not a mirror fault another
		 * source would cure. */
		free(hf_msg);
		hf_msg = plan_cap_message(&caps, o->repo, hf_ep);
	}
	if (listing) {
		pthread_join(tid, NULL);
		listing = false;
	} else if (o->source == SOURCE_AUTO && (hf_r == CN_OK ||
	    fallback_ok(hf_r)))
		ms_listing_run(&msl);
	ms = msl.p;
	msl.p = NULL;
	ms_r = msl.r;
	ms_msg = msl.msg;
	msl.msg = NULL;
	if (ms_r != CN_OK && o->source == SOURCE_AUTO &&
	    ms_caps.hit != PLAN_CAP_NONE) {
		free(ms_msg);
		ms_msg = plan_cap_message(&ms_caps, ms_id, ms_ep);
	}
	if (o->source == SOURCE_HF || (hf_r != CN_OK && (!fallback_ok(hf_r) ||
	    caps.hit != PLAN_CAP_NONE))) {
		r = hf_r;
		*msg = hf_msg;
		hf_msg = NULL;
		goto filter;
	}
	/* The mirror resolved the commit even if its tree failed: the
	 * snapshot is named by it (huggingface_hub finds it so). */
	if (ms_r == CN_OK && commit[0] != '\0' &&
	    strcmp(ms->commit, commit) != 0) {
		free(ms->commit);
		if ((ms->commit = strdup(commit)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	if (hf_r == CN_OK && ms_r == CN_OK) {
		r = pair_and_report(o, p, ms);
		goto filter;
	}
	if (hf_r == CN_OK) {
		r = CN_OK;
		goto filter;
	}
	if (ms_r == CN_OK) {
		emit(o, "source", json_pack("{s:s, s:s, s:s}", "from", "hf",
		    "to", "modelscope", "reason", hf_msg ? hf_msg : ""));
		plan_destroy(p);
		p = ms;
		ms = NULL;
		r = CN_OK;
		goto filter;
	}
	/* --- neither: the last rung, only through a proxy --- */
	if (o->upstream_http == NULL) {
		hub_msg(msg, "%s; ModelScope fallback: %s; if %s '%s' is "
		    "only on %s, pull it through a proxy: --proxy URL (from "
		    "the laptop: cnorch pull --via-laptop-proxy)",
		    hf_msg ? hf_msg : cn_strerror(hf_r),
		    ms_msg ? ms_msg : cn_strerror(ms_r),
		    o->repo_type == REPO_DATASET ? "dataset" : "repo",
		    o->repo, up_ep);
		/* Not on ModelScope, or not at the mirror and ModelScope
		 * cannot be asked: "not found" is what is known (exit 3);
		 * else the failure of the hub that did not say "absent". */
		if (ms_r == CN_ERR_NOT_FOUND || (hf_r == CN_ERR_NOT_FOUND &&
		    unreachable(ms_r)))
			r = CN_ERR_NOT_FOUND;
		else
			r = hf_r == CN_ERR_NOT_FOUND ? ms_r : hf_r;
		goto out;
	}
	q.http = &upconf;
	q.endpoint = up_ep;
	q.revision = o->revision ? o->revision : "main";
	if ((r = hf_plan(&q, commit, &p, &up_msg)) != CN_OK) {
		hub_msg(msg, "%s; ModelScope: %s; %s: %s", hf_msg ? hf_msg :
		    cn_strerror(hf_r), ms_msg ? ms_msg : cn_strerror(ms_r),
		    up_ep, up_msg ? up_msg : cn_strerror(r));
		goto out;
	}
	p->source = SOURCE_HUGGINGFACE;
	emit(o, "source", json_pack("{s:s, s:s, s:s}", "from", "modelscope",
	    "to", "huggingface", "reason", "on neither the mirror nor "
	    "ModelScope: through the proxy"));
 filter:
	if (r != CN_OK)
		goto out;
	/* Events and the cache name the repo as asked, not ModelScope's id. */
	if (strcmp(p->repo, o->repo) != 0) {
		free(p->repo);
		if ((p->repo = strdup(o->repo)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	/* The HF cache ref: as asked, "main" when nothing was asked. */
	want = o->revision ? o->revision : "main";
	if (strcmp(p->revision, want) != 0) {
		free(p->revision);
		if ((p->revision = strdup(want)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	plan_filter(p, o->include, o->ninclude, o->exclude, o->nexclude);
	*out = p;
	p = NULL;
	r = CN_OK;
 out:
	if (r != CN_OK && *msg == NULL)
		hub_msg(msg, "repo '%s': %s", o->repo ? o->repo : "",
		    cn_strerror(r));
	plan_destroy(p);
	plan_destroy(ms);
	plan_destroy(msl.p);
	free(msl.msg);
	free(hf_ep);
	free(ms_ep);
	free(up_ep);
	free(hf_msg);
	free(ms_msg);
	free(up_msg);
	free(why);
	return r;
}

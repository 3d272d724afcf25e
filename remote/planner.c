/*
 * The planner (planner.h): endpoints, source choice and the auto
 * fallback; it asks the hubs for a listing and applies include/exclude
 * (the plan helpers themselves are in plan.c).
 */
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

static void
emit(const struct planner_opts *o, const char *event, json_t *fields)
{
	if (o->on_event != NULL && fields != NULL)
		o->on_event(o->arg, event, fields);
	json_decref(fields);
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
		q->bytes_total += f->size;
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

/*
 * Swap each paired file's own URL with its source named name: the
 * measured-faster hub goes first (the engine starts there).
 */
static int
prefer_alts(struct plan *p, const char *name)
{
	struct plan_file *f;
	char *t;
	size_t i, k;

	for (i = 0; i < p->nfiles; i++) {
		f = &p->files[i];
		for (k = 0; k < f->nalts; k++) {
			if (strcmp(f->alts[k].name, name) != 0)
				continue;
			t = f->url;
			f->url = f->alts[k].url;
			f->alts[k].url = t;
			free(f->alts[k].name);
			if ((f->alts[k].name = strdup(plan_source_name(
			    p->source))) == NULL)
				return CN_ERR_NOMEM;
		}
	}
	return CN_OK;
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
		emit(o, "source", json_pack("{s:s, s:s, s:s, s:I}", "from",
		    plan_source_name(p->source), "to", "hf+modelscope",
		    "reason", "same sha256 on both hubs: fetched from both",
		    "files", (json_int_t)paired));
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
	struct http_conf conf, upconf;
	struct hub_query q;
	struct plan *p = NULL, *ms = NULL;
	char *hf_ep = NULL, *ms_ep = NULL, *up_ep = NULL, *hf_msg = NULL;
	char *ms_msg = NULL, *up_msg = NULL, *why = NULL;
	char commit[41] = "";
	const char *want, *ms_id;
	bool prefer_ms = false;
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
	if (o->source == SOURCE_AUTO && o->repo_type == REPO_MODEL &&
	    source_measure_prefers_ms(&conf, hf_ep, ms_ep, ms_id,
	    o->revision, &why))
		prefer_ms = true;
	q.endpoint = hf_ep;
	q.revision = o->revision ? o->revision : "main";
	hf_r = hf_plan(&q, commit, &p, &hf_msg);
	if (o->source == SOURCE_HF || (hf_r != CN_OK && !fallback_ok(hf_r))) {
		r = hf_r;
		*msg = hf_msg;
		hf_msg = NULL;
		goto filter;
	}
	/* --- auto: ModelScope too (a second source, or the fallback) --- */
	q.endpoint = ms_ep;
	q.repo = ms_id;
	q.revision = ms_revision(o);
	ms_r = ms_plan(&q, commit[0] ? commit : NULL, &ms, &ms_msg);
	q.repo = o->repo;
	if (hf_r == CN_OK && ms_r == CN_OK) {
		if (prefer_ms) {
			/* measured faster: its URLs first, same blobs */
			emit(o, "source", json_pack("{s:s, s:s, s:s}", "from",
			    "hf", "to", "modelscope", "reason",
			    why != NULL ? why : ""));
		}
		r = pair_and_report(o, p, ms);
		if (r == CN_OK && prefer_ms)
			r = prefer_alts(p, "modelscope");
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
		hub_msg(msg, "%s '%s' is on neither the mirror (%s) nor "
		    "ModelScope (%s); if it is only on %s, pull it through "
		    "a proxy: --proxy URL (from the laptop: cnorch pull "
		    "--via-laptop-proxy)", o->repo_type == REPO_DATASET ?
		    "dataset" : "repo", o->repo,
		    hf_msg ? hf_msg : cn_strerror(hf_r),
		    ms_msg ? ms_msg : cn_strerror(ms_r), up_ep);
		r = hf_r == CN_ERR_NOT_FOUND || ms_r == CN_ERR_NOT_FOUND ?
		    CN_ERR_NOT_FOUND : hf_r;
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
	free(hf_ep);
	free(ms_ep);
	free(up_ep);
	free(hf_msg);
	free(ms_msg);
	free(up_msg);
	free(why);
	return r;
}

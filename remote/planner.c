/*
 * The planner (planner.h): endpoints, source choice and the auto
 * fallback, include/exclude, and the plan helpers shared by the hubs.
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

/* ---------------------------------------------------------------- helpers */

void
hub_msg(char **msg, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (msg == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(*msg);
	*msg = s;
}

char *
hub_printable(const char *s, size_t len)
{
	char *o;
	size_t i;

	if ((o = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		o[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ?
		    '?' : s[i];
	o[len] = '\0';
	return o;
}

bool
hub_hex(const char *s, size_t n, char *out)
{
	size_t i;

	if (s == NULL || strlen(s) != n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[n] = '\0';
	return true;
}

const char *
hub_type_plural(enum repo_type t)
{
	return t == REPO_DATASET ? "datasets" : "models";
}

int
hub_check_path(json_t *jpath, const char *url, const char **path, char **msg)
{
	char *pr;

	*path = NULL;
	if (!json_is_string(jpath)) {
		hub_msg(msg, "listing from '%s': an entry has no path", url);
		return CN_ERR_PARSE;
	}
	if (pathsafe_rel(json_string_value(jpath), json_string_length(jpath))
	    != 0) {
		pr = hub_printable(json_string_value(jpath),
		    json_string_length(jpath));
		hub_msg(msg, "listing from '%s' has an unsafe path '%s'", url,
		    pr ? pr : "?");
		free(pr);
		return CN_ERR_UNSAFE_PATH;
	}
	*path = json_string_value(jpath);
	return CN_OK;
}

const char *
planner_source_name(enum hub_source s)
{
	switch (s) {
	case SOURCE_HF:		return "hf";
	case SOURCE_MODELSCOPE:	return "modelscope";
	case SOURCE_AUTO:	return "auto";
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
	else
		return CN_ERR_INVALID;
	return CN_OK;
}

/* ---------------------------------------------------------------- plans */

void
plan_destroy(struct plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfiles; i++) {
		free(p->files[i].path);
		free(p->files[i].url);
	}
	free(p->files);
	free(p->repo);
	free(p->revision);
	free(p->commit);
	free(p->endpoint);
	free(p);
}

int
plan_create(const struct hub_query *q, enum hub_source source,
    struct plan **out)
{
	struct plan *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CN_ERR_NOMEM;
	p->source = source;
	p->repo_type = q->repo_type;
	if ((p->repo = strdup(q->repo)) == NULL ||
	    (p->revision = strdup(q->revision)) == NULL ||
	    (p->endpoint = strdup(q->endpoint)) == NULL) {
		plan_destroy(p);
		return CN_ERR_NOMEM;
	}
	*out = p;
	return CN_OK;
}

int
plan_push(struct plan *p, size_t *cap, const char *path, uint64_t size,
    bool lfs, const char *sha256, const char *git_sha1, char *url)
{
	struct plan_file *f, *nf;
	size_t ncap;

	if (p->nfiles == *cap) {
		ncap = *cap ? *cap * 2 : 64;
		if ((nf = reallocarray(p->files, ncap, sizeof(*nf))) == NULL) {
			free(url);
			return CN_ERR_NOMEM;
		}
		p->files = nf;
		*cap = ncap;
	}
	f = &p->files[p->nfiles];
	memset(f, 0, sizeof(*f));
	if ((f->path = strdup(path)) == NULL) {
		free(url);
		return CN_ERR_NOMEM;
	}
	f->url = url;
	f->size = size;
	f->lfs = lfs;
	snprintf(f->sha256, sizeof(f->sha256), "%s", sha256 ? sha256 : "");
	snprintf(f->git_sha1, sizeof(f->git_sha1), "%s",
	    git_sha1 ? git_sha1 : "");
	p->nfiles++;
	return CN_OK;
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plan_file *)a)->path,
	    ((const struct plan_file *)b)->path);
}

static int
path_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct plan_file *)elem)->path);
}

int
plan_finish(struct plan *p, const char *url, char **msg)
{
	char *dir;
	size_t i;
	int r = CN_OK;

	if (p->nfiles > 0)
		qsort(p->files, p->nfiles, sizeof(*p->files), file_cmp);
	p->bytes_total = 0;
	for (i = 0; i < p->nfiles; i++) {
		const char *path = p->files[i].path, *s;

		if (i > 0 && strcmp(p->files[i - 1].path, path) == 0) {
			hub_msg(msg, "listing from '%s' names '%s' twice",
			    url, path);
			return CN_ERR_PROTOCOL;
		}
		/* "a" and "a/b" cannot both be files */
		for (s = strchr(path, '/'); s != NULL; s = strchr(s + 1, '/')) {
			if ((dir = strndup(path, (size_t)(s - path))) == NULL)
				return CN_ERR_NOMEM;
			if (bsearch(dir, p->files, p->nfiles, sizeof(*p->files),
			    path_key_cmp) != NULL) {
				hub_msg(msg, "listing from '%s' has '%s' both "
				    "as a file and a directory", url, dir);
				r = CN_ERR_UNSAFE_PATH;
			}
			free(dir);
			if (r != CN_OK)
				return r;
		}
		if (p->files[i].size > UINT64_MAX - p->bytes_total) {
			hub_msg(msg, "listing from '%s': sizes overflow", url);
			return CN_ERR_PARSE;
		}
		p->bytes_total += p->files[i].size;
	}
	return CN_OK;
}

/* Drop the files the globs leave out; recount bytes_total. */
static void
plan_filter(struct plan *p, const struct planner_opts *o)
{
	size_t i, k = 0;

	if (o->ninclude == 0 && o->nexclude == 0)
		return;
	p->bytes_total = 0;
	for (i = 0; i < p->nfiles; i++) {
		if (!glob_keep(p->files[i].path, o->include, o->ninclude,
		    o->exclude, o->nexclude)) {
			free(p->files[i].path);
			free(p->files[i].url);
			continue;
		}
		p->files[k++] = p->files[i];
		p->bytes_total += p->files[i].size;
	}
	p->nfiles = k;
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

int
planner_build(const struct planner_opts *o, struct plan **out, char **msg)
{
	struct http_conf conf;
	struct hub_query q;
	struct plan *p = NULL;
	char *hf_ep = NULL, *ms_ep = NULL, *hf_msg = NULL, *ms_msg = NULL;
	char *why = NULL;
	char commit[41] = "";
	const char *ms_rev, *want;
	int r;

	*out = NULL;
	*msg = NULL;
	if (o->repo == NULL || pathsafe_repo_id(o->repo) != 0) {
		hub_msg(msg, "invalid repo id '%s': expected org/name made of "
		    "letters, digits, '.', '_' and '-'",
		    o->repo ? o->repo : "");
		r = CN_ERR_INVALID;
		goto out;
	}
	if (o->revision != NULL && pathsafe_revision(o->revision) != 0) {
		hub_msg(msg, "invalid revision '%s'", o->revision);
		r = CN_ERR_UNSAFE_PATH;
		goto out;
	}
	if (o->source == SOURCE_MODELSCOPE && o->repo_type == REPO_DATASET) {
		hub_msg(msg, "dataset '%s': ModelScope datasets are not "
		    "supported, use --source hf", o->repo);
		r = CN_ERR_UNSUPPORTED;
		goto out;
	}
	hf_ep = endpoint_of(o->hf_endpoint, "HF_ENDPOINT", PLANNER_HF_ENDPOINT);
	ms_ep = endpoint_of(o->ms_endpoint, "MODELSCOPE_ENDPOINT",
	    PLANNER_MS_ENDPOINT);
	if (hf_ep == NULL || ms_ep == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	conf = *o->http;		/* shallow: never released */
	conf.on_retry = on_retry;
	conf.on_retry_arg = (void *)o;

	q.http = &conf;
	q.repo_type = o->repo_type;
	q.repo = o->repo;
	/* --- auto: measured preference (source_measure.c) --- */
	if (o->source == SOURCE_AUTO && o->repo_type == REPO_MODEL &&
	    source_measure_prefers_ms(&conf, hf_ep, ms_ep, o->repo,
	    o->revision, &why)) {
		q.endpoint = ms_ep;
		q.revision = o->revision == NULL ||
		    strcmp(o->revision, "main") == 0 ? "master" : o->revision;
		if ((r = ms_plan(&q, NULL, &p, &ms_msg)) == CN_OK) {
			emit(o, "source", json_pack("{s:s, s:s, s:s}", "from",
			    "hf", "to", "modelscope", "reason",
			    why != NULL ? why : ""));
			free(why);
			goto filter;
		}
		/* Not on ModelScope after all: the usual way. */
		free(ms_msg);
		ms_msg = NULL;
	}
	free(why);
	/* --- end measured preference --- */
	if (o->source != SOURCE_MODELSCOPE) {
		q.endpoint = hf_ep;
		q.revision = o->revision ? o->revision : "main";
		r = hf_plan(&q, commit, &p, &hf_msg);
		if (r == CN_OK || o->source == SOURCE_HF || !fallback_ok(r) ||
		    o->repo_type == REPO_DATASET) {
			*msg = hf_msg;
			hf_msg = NULL;
			goto filter;
		}
		emit(o, "source", json_pack("{s:s, s:s, s:s}", "from", "hf",
		    "to", "modelscope", "reason", hf_msg ? hf_msg : ""));
	}
	/* "main" is HF's default branch; ModelScope's is "master". */
	ms_rev = o->revision;
	if (ms_rev == NULL || (o->source == SOURCE_AUTO &&
	    strcmp(ms_rev, "main") == 0))
		ms_rev = "master";
	q.endpoint = ms_ep;
	q.revision = ms_rev;
	r = ms_plan(&q, commit[0] ? commit : NULL, &p, &ms_msg);
	if (r != CN_OK) {
		if (hf_msg != NULL)
			hub_msg(msg, "%s; ModelScope fallback: %s", hf_msg,
			    ms_msg ? ms_msg : cn_strerror(r));
		else {
			*msg = ms_msg;
			ms_msg = NULL;
		}
	}
 filter:
	if (r != CN_OK)
		goto out;
	/* The HF cache ref: as asked, "main" when nothing was asked. */
	want = o->revision ? o->revision : "main";
	if (strcmp(p->revision, want) != 0) {
		free(p->revision);
		if ((p->revision = strdup(want)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	plan_filter(p, o);
	*out = p;
	p = NULL;
	r = CN_OK;
 out:
	if (r != CN_OK && *msg == NULL)
		hub_msg(msg, "repo '%s': %s", o->repo ? o->repo : "",
		    cn_strerror(r));
	plan_destroy(p);
	free(hf_ep);
	free(ms_ep);
	free(hf_msg);
	free(ms_msg);
	return r;
}

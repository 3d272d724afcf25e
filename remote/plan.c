/*
 * Plans (plan.h) and the helpers the hub listings build them with
 * (hub.h): create, add a file, finish (sort, checks, totals), filter;
 * message and hex helpers for the listings.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hub.h"
#include "pathglob.h"
#include "pathsafe.h"
#include "plan.h"

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

/* ---------------------------------------------------------------- plans */

static void
source_release(struct plan_source *s)
{
	char **h;

	free(s->name);
	free(s->url);
	if (s->headers != NULL)
		for (h = s->headers; *h != NULL; h++)
			free(*h);
	free(s->headers);
	free(s->xet_hash);
	free(s->linked_etag);
	memset(s, 0, sizeof(*s));
}

static void
file_release(struct plan_file *f)
{
	size_t i;

	free(f->path);
	free(f->url);
	for (i = 0; i < f->nalts; i++)
		source_release(&f->alts[i]);
	free(f->alts);
	free(f->xet_hash);
	free(f->linked_etag);
}

const char *
plan_source_name(enum hub_source s)
{
	switch (s) {
	case SOURCE_MODELSCOPE:
		return "modelscope";
	case SOURCE_HUGGINGFACE:
		return "huggingface";
	default:
		return "hf";
	}
}

int
plan_file_add_source(struct plan_file *f, const char *name, const char *url,
    const char *const *headers, int max_conns)
{
	struct plan_source *na, *s;
	size_t n = 0, i;

	if ((na = reallocarray(f->alts, f->nalts + 1, sizeof(*na))) == NULL)
		return CN_ERR_NOMEM;
	f->alts = na;
	s = &f->alts[f->nalts];
	memset(s, 0, sizeof(*s));
	s->max_conns = max_conns;
	if ((s->name = strdup(name)) == NULL || (s->url = strdup(url)) == NULL)
		goto nomem;
	if (headers != NULL) {
		while (headers[n] != NULL)
			n++;
		if ((s->headers = calloc(n + 1, sizeof(char *))) == NULL)
			goto nomem;
		for (i = 0; i < n; i++)
			if ((s->headers[i] = strdup(headers[i])) == NULL)
				goto nomem;
	}
	f->nalts++;
	return CN_OK;
 nomem:
	source_release(s);
	return CN_ERR_NOMEM;
}

void
plan_destroy(struct plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfiles; i++)
		file_release(&p->files[i]);
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

void
plan_filter(struct plan *p, const char *const *include, size_t ninclude,
    const char *const *exclude, size_t nexclude)
{
	size_t i, k = 0;

	if (ninclude == 0 && nexclude == 0)
		return;
	p->bytes_total = 0;
	for (i = 0; i < p->nfiles; i++) {
		if (!glob_keep(p->files[i].path, include, ninclude,
		    exclude, nexclude)) {
			file_release(&p->files[i]);
			continue;
		}
		p->files[k++] = p->files[i];
		p->bytes_total += p->files[i].size;
	}
	p->nfiles = k;
}

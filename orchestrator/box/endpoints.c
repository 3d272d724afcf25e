/*
 * endpoints: build probe URLs, run `cnorch-agent probe` on the box and
 * read its JSON lines back (see endpoints.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "endpoints.h"
#include "error.h"
#include "fmt.h"
#include "payload.h"
#include "script.h"
#include "session.h"

/* Section 1 of the China network reference. */
static const char *const wk_pypi[] = {
	"tuna", "https://pypi.tuna.tsinghua.edu.cn/simple",
	"aliyun", "https://mirrors.aliyun.com/pypi/simple",
	"ustc", "https://pypi.mirrors.ustc.edu.cn/simple",
	NULL
};
static const char *const wk_conda[] = {
	"tuna", "https://mirrors.tuna.tsinghua.edu.cn/anaconda",
	NULL
};
static const char *const wk_hf[] = {
	"hf-mirror", "https://hf-mirror.com",
	NULL
};
static const char *const wk_ms[] = {
	"modelscope", "https://www.modelscope.cn",
	NULL
};

const char *const *
endpoint_well_known(const char *kind)
{
	if (kind == NULL)
		return NULL;
	if (strcmp(kind, "pypi") == 0)
		return wk_pypi;
	if (strcmp(kind, "conda") == 0)
		return wk_conda;
	if (strcmp(kind, "hf") == 0)
		return wk_hf;
	if (strcmp(kind, "modelscope") == 0)
		return wk_ms;
	return NULL;
}

static bool
is_http(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 ||
	    strncasecmp(u, "https://", 8) == 0;
}

char *
endpoint_probe_url(const char *kind, const char *base, const char *repo,
    const char *rev)
{
	char *b = NULL, *u = NULL;
	size_t n;
	int k;

	if (kind == NULL || base == NULL || !is_http(base) ||
	    strpbrk(base, " \t\r\n\"'\\") != NULL)
		return NULL;
	if ((b = strdup(base)) == NULL)
		return NULL;
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	if (strcmp(kind, "pypi") == 0)
		k = asprintf(&u, "%s/pip/", b);
	else if (strcmp(kind, "conda") == 0)
		k = asprintf(&u, "%s/pkgs/main/noarch/repodata.json", b);
	else if (strcmp(kind, "hf") == 0)
		k = asprintf(&u, "%s/api/models/%s/revision/%s", b,
		    repo != NULL ? repo : ENDPOINT_HF_REPO,
		    rev != NULL ? rev : "main");
	else if (strcmp(kind, "modelscope") == 0)
		k = asprintf(&u, "%s/api/v1/models/%s/revisions", b,
		    repo != NULL ? repo : ENDPOINT_MS_REPO);
	else
		k = -1;
	if (k < 0)
		u = NULL;
	free(b);
	return u;
}

static void
endpoint_release(struct endpoint *e)
{
	free(e->kind);
	free(e->base);
	free(e->url);
	free(e->label);
	free(e->error);
	memset(e, 0, sizeof(*e));
}

void
endpoint_list_release(struct endpoint_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		endpoint_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Same base modulo trailing slashes and the case of scheme and host. */
static bool
same_base(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	while (na > 0 && a[na - 1] == '/')
		na--;
	while (nb > 0 && b[nb - 1] == '/')
		nb--;
	return na == nb && strncasecmp(a, b, na) == 0;
}

int
endpoint_add(struct endpoint_list *l, const char *kind, const char *base,
    const char *label, bool configured, const char *repo, const char *rev)
{
	struct endpoint *v, e = { 0 };
	size_t i;

	if (endpoint_well_known(kind) == NULL || base == NULL ||
	    !is_http(base))
		return CN_ERR_INVALID;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].kind, kind) == 0 &&
		    same_base(l->v[i].base, base)) {
			l->v[i].configured |= configured;
			return CN_OK;
		}
	/* NULL here: quotes or spaces in base (or out of memory). */
	if ((e.url = endpoint_probe_url(kind, base, repo, rev)) == NULL)
		return CN_ERR_INVALID;
	if ((e.kind = strdup(kind)) == NULL ||
	    (e.base = strdup(base)) == NULL ||
	    (e.label = strdup(label != NULL ? label : "")) == NULL ||
	    (v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		endpoint_release(&e);
		return CN_ERR_NOMEM;
	}
	e.configured = configured;
	l->v = v;
	l->v[l->n++] = e;
	return CN_OK;
}

static double
num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : -1;
}

int
endpoint_apply_line(struct endpoint_list *l, const char *line)
{
	json_t *o, *err;
	const char *url;
	size_t i;
	int hit = 0;

	if (line[0] != '{' || (o = json_loads(line, 0, NULL)) == NULL)
		return 0;
	if ((url = json_string_value(json_object_get(o, "url"))) == NULL ||
	    !json_is_boolean(json_object_get(o, "ok"))) {
		json_decref(o);
		return 0;
	}
	err = json_object_get(o, "error");
	for (i = 0; i < l->n; i++) {
		struct endpoint *e = &l->v[i];

		if (strcmp(e->url, url) != 0)
			continue;
		e->measured = true;
		e->ok = json_is_true(json_object_get(o, "ok"));
		e->status = (long)num(o, "status");
		e->dns_ms = num(o, "dns_ms");
		e->connect_ms = num(o, "connect_ms");
		e->tls_ms = num(o, "tls_ms");
		e->ttfb_ms = num(o, "ttfb_ms");
		e->total_ms = num(o, "total_ms");
		e->rate_bps = num(o, "rate_bps");
		e->bytes = num(o, "bytes") > 0 ? (uint64_t)num(o, "bytes") : 0;
		e->rank = (int)num(o, "rank");
		free(e->error);
		e->error = json_is_string(err) ?
		    strdup(json_string_value(err)) : NULL;
		hit = 1;
	}
	json_decref(o);
	return hit;
}

char *
endpoints_script(const char *payload_id, const struct endpoint_list *l,
    double timeout_s, uint64_t sample_bytes)
{
	struct script *s;
	char num[32];
	size_t i, j;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "A=");
	script_payload_path(s, payload_id, "cnorch-agent");
	snprintf(num, sizeof(num), "%.1f", timeout_s);
	script_code(s, "\nexec \"$A\" probe --timeout");
	script_arg(s, num);
	if (sample_bytes > 0) {
		script_code(s, " --sample-bytes ");
		script_int(s, (long long)sample_bytes);
	}
	script_code(s, " --");
	for (i = 0; i < l->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(l->v[j].url, l->v[i].url) == 0)
				break;
		if (j < i)
			continue;	/* measured once, applied to both */
		script_arg(s, l->v[i].url);
	}
	script_code(s, " </dev/null\n");
	return script_finish(s);
}

int
endpoints_measure(struct session *s, struct endpoint_list *l,
    double timeout_s, uint64_t sample_bytes, char **msg)
{
	struct buf out = { 0 }, err = { 0 };
	char *script = NULL, *line, *nl, *last_err = NULL;
	int r = CN_ERR_NOMEM, status = -1;

	*msg = NULL;
	if (l->n == 0)
		return CN_OK;
	if ((script = endpoints_script(payload_id(), l, timeout_s,
	    sample_bytes)) == NULL)
		goto out;
	/* The agent ends within timeout_s; the slack covers the exec. */
	if ((r = script_exec(s, "sh -s", script, &out, &err, &status,
	    (int)timeout_s + 20, msg)) != CN_OK)
		goto out;
	for (line = out.data; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		(void)endpoint_apply_line(l, line);
	}
	if (status != 0) {
		for (line = err.data; line != NULL && *line != '\0';
		    line = nl) {
			if ((nl = strchr(line, '\n')) != NULL)
				*nl++ = '\0';
			if (*line != '\0')
				last_err = line;
		}
		r = CN_ERR_REMOTE;
		cn_msg(msg, "cnorch-agent probe failed (exit %d)%s"
		    "%.200s", status, last_err != NULL ? ": " : "",
		    last_err != NULL ? last_err : "");
		goto out;
	}
	r = CN_OK;
 out:
	free(script);
	buf_release(&out);
	buf_release(&err);
	return r;
}

bool
endpoint_reachable(const struct endpoint *e)
{
	if (!e->measured)
		return false;
	if (e->ok)
		return true;
	return (strcmp(e->kind, "hf") == 0 ||
	    strcmp(e->kind, "modelscope") == 0) &&
	    (e->status == 401 || e->status == 403 || e->status == 404);
}

int
endpoint_best(const struct endpoint_list *l, const char *kind,
    unsigned flags)
{
	size_t i;
	int best = -1;
	bool usable;

	for (i = 0; i < l->n; i++) {
		const struct endpoint *e = &l->v[i];

		usable = flags & ENDPOINT_BEST_REACHABLE ?
		    endpoint_reachable(e) : e->measured && e->ok;
		if (strcmp(e->kind, kind) != 0 || !usable ||
		    ((flags & ENDPOINT_BEST_CONFIGURED) && !e->configured))
			continue;
		if (best < 0 || e->rank < l->v[best].rank)
			best = (int)i;
	}
	return best;
}

char *
endpoint_summary(const struct endpoint *e)
{
	char rate[32], *s;

	if (!e->measured)
		return strdup("not measured");
	if (!e->ok) {
		if (asprintf(&s, "%s", e->error != NULL ? e->error :
		    "failed") < 0)
			return NULL;
		return s;
	}
	fmt_rate(rate, sizeof(rate), e->rate_bps > 0 ? e->rate_bps : 0);
	if (asprintf(&s, "%s, ttfb %.0f ms", rate,
	    e->ttfb_ms > 0 ? e->ttfb_ms : 0) < 0)
		return NULL;
	return s;
}

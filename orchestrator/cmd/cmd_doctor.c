/*
 * cnorch doctor TARGET [--no-well-known] [--timeout S] [--json]
 *                      [--via-laptop-proxy[=URL]]
 *
 * From each box: which mirrors work and which is fastest, and what in its
 * network set-up will make a big pull fail.  Per host: connect, make sure
 * the agent payload is there (probe + upload, as provision does), measure
 * every configured mirror (and, unless --no-well-known, the well-known
 * ones of the China network reference) with `cnorch-agent probe`, size
 * the configured pulls (`cnorch-agent plan`), and run the box-side checks
 * (doctor-checks.sh: proxy/no_proxy, hf_transfer, caches on the system
 * disk, HF_ENDPOINT over ssh, free space, mirrored pytorch-nightly).
 *
 * The ladder's last rung: whether huggingface.co (mirrors.huggingface)
 * answers from the box through the box's proxy, or through this laptop's
 * with --via-laptop-proxy (lend.h), and which of the host's pulls need
 * it (on neither the mirror nor ModelScope).
 *
 * Prints per host a table (best first), the findings with their fixes
 * and a recommendation; --json prints one object per line instead
 * ("event": endpoint, check, recommend, unreachable, error, summary).
 * --no-well-known measures only what the inventory names (for "auto",
 * only candidates the inventory or $CNORCH_*_CANDIDATES give).
 *
 * Exit: 0 no failed finding and every configured mirror reachable, 1 a
 * finding failed or a configured mirror is unreachable, 3 a host could
 * not be reached (3 wins), 2 usage.  Time is bounded: the measurements by
 * --timeout (default 8 s), every box-side command by `timeout`.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "connect.h"
#include "doctor.h"
#include "endpoints.h"
#include "error.h"
#include "facts.h"
#include "fleet.h"
#include "inventory.h"
#include "lend.h"
#include "mirror_auto.h"
#include "payload.h"
#include "rung.h"
#include "render.h"
#include "runlog.h"
#include "session.h"
#include "upload.h"

#define DOCTOR_TIMEOUT_S	8.0
#define DOCTOR_SAMPLE		(128 * 1024)
#define CHECKS_TIMEOUT_S	90
/* ModelScope is preferred when hf is failing or this many times slower,
 * rates compared only on samples this big (a tiny reply's rate is noise;
 * remote/source_measure.h decides the same way for --source auto). */
#define HUB_SLOWER_FACTOR	4.0
#define HUB_MIN_SAMPLE		(64 * 1024)

struct doctor_opts {
	double		 timeout_s;
	bool		 no_well_known;
	const char	*via_laptop_proxy;	/* "": the laptop's own */
};

struct doctor {
	struct render	*rd;
	double		 timeout_s;
	bool		 well_known;
	bool		 interactive;
	int		 verbosity;
};

static void
note_error(struct doctor *d, const char *name, const char *step,
    const char *msg)
{
	const char *m = msg != NULL ? msg : "unknown error";

	render_note(d->rd, name, true, json_pack("{s:s, s:s, s:s}", "event",
	    "error", "step", step, "message", m), "error: %s", m);
}

/* The first pull's repo for the hub probes, or NULL (built-in repo). */
static const struct pull_spec *
probe_pull(const struct host *h)
{
	size_t i;

	for (i = 0; i < h->npulls; i++)
		if (h->pulls[i].repo_type == NULL ||
		    strcmp(h->pulls[i].repo_type, "model") == 0)
			return &h->pulls[i];
	return NULL;
}

static bool
is_auto(const char *v)
{
	return v == NULL || v[0] == '\0' || strcmp(v, "auto") == 0;
}

/* The connection went (as opposed to a step failing on the box). */
static bool
lost(int r)
{
	return r == CN_ERR_SSH || r == CN_ERR_CONNECT || r == CN_ERR_IO ||
	    r == CN_ERR_SYSTEM;
}

static int
build_list(struct doctor *d, const struct host *h, struct endpoint_list *l,
    char **msg)
{
	const struct pull_spec *pp = probe_pull(h);
	const char *repo = pp != NULL ? pp->repo : NULL;
	const char *rev = pp != NULL ? pp->revision : NULL;
	static const char *const kinds[] = { "pypi", "conda", "hf",
	    "modelscope", NULL };
	const char *const *wk;
	const char *v;
	size_t k;
	int r;

	*msg = NULL;
	for (k = 0; kinds[k] != NULL; k++) {
		if (strcmp(kinds[k], "pypi") == 0)
			v = h->mirrors.pypi;
		else if (strcmp(kinds[k], "conda") == 0)
			v = h->mirrors.conda;
		else if (strcmp(kinds[k], "hf") == 0)
			v = h->mirrors.hf;
		else
			v = h->mirrors.modelscope;
		if (is_auto(v) && (strcmp(kinds[k], "pypi") == 0 ||
		    strcmp(kinds[k], "conda") == 0)) {
			/* The built-in candidates are well-known ones. */
			if (!d->well_known &&
			    !mirror_candidates_custom(h, kinds[k]))
				continue;
			r = mirror_candidates(h, kinds[k], l, true, msg);
		}
		else if (v != NULL)
			r = endpoint_add(l, kinds[k], v, "configured", true,
			    repo, rev);
		else
			r = CN_OK;
		if (r == CN_ERR_INVALID && *msg == NULL &&
		    asprintf(msg, "mirrors.%s '%s' is not an http:// or "
		    "https:// URL", kinds[k], v != NULL ? v : "") < 0)
			*msg = NULL;
		if (r != CN_OK)
			return r;
	}
	if (!d->well_known)
		return CN_OK;
	for (k = 0; kinds[k] != NULL; k++)
		for (wk = endpoint_well_known(kinds[k]); wk[0] != NULL;
		    wk += 2)
			if ((r = endpoint_add(l, kinds[k], wk[1], wk[0], false,
			    repo, rev)) != CN_OK)
				return r;
	return CN_OK;
}

/* Hosts of the configured endpoints, space-separated (malloc'd). */
static char *
mirror_hosts(const struct endpoint_list *l)
{
	char *s = NULL, *auth, *host, *c;
	const char *a;
	size_t n = 0, i;
	bool first = true;
	FILE *fp;

	if ((fp = open_memstream(&s, &n)) == NULL)
		return NULL;
	for (i = 0; i < l->n; i++) {
		if (!l->v[i].configured)
			continue;
		a = strstr(l->v[i].base, "://");
		a = a != NULL ? a + 3 : l->v[i].base;
		if ((auth = strndup(a, strcspn(a, "/?#"))) == NULL)
			continue;
		/* Drop credentials and the port, and [v6] brackets. */
		host = strrchr(auth, '@') != NULL ? strrchr(auth, '@') + 1 :
		    auth;
		if (host[0] == '[') {
			host++;
			if ((c = strchr(host, ']')) != NULL)
				*c = '\0';
		} else if ((c = strchr(host, ':')) != NULL)
			*c = '\0';
		fprintf(fp, "%s%s", first ? "" : " ", host);
		first = false;
		free(auth);
	}
	if (fclose(fp) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void
fmt_ms(char *buf, size_t n, double ms)
{
	if (!(ms > 0))
		snprintf(buf, n, "-");
	else if (ms < 10)
		snprintf(buf, n, "%.1fms", ms);
	else
		snprintf(buf, n, "%.0fms", ms);
}

/* "URL" or "URL (label)" for the table. */
static void
endpoint_name(const struct endpoint *e, char *buf, size_t n)
{
	if (e->label[0] == '\0' || strcmp(e->label, "configured") == 0)
		snprintf(buf, n, "%s", e->base);
	else
		snprintf(buf, n, "%s (%s)", e->base, e->label);
}

static void
print_table(struct doctor *d, const struct host *h,
    const struct endpoint_list *l)
{
	const struct endpoint *e;
	size_t *order, i, j, k, w = 8;
	char dns[16], con[16], tls[16], ttfb[16], rate[32], st[160];
	char what[512];

	if ((order = calloc(l->n ? l->n : 1, sizeof(*order))) == NULL)
		return;
	/* Best first: the agent's rank; unmeasured at the end. */
	for (i = 0; i < l->n; i++)
		order[i] = i;
	for (i = 1; i < l->n; i++)
		for (j = i; j > 0; j--) {
			const struct endpoint *a = &l->v[order[j - 1]];
			const struct endpoint *b = &l->v[order[j]];
			int ra = a->rank > 0 ? a->rank : 1 << 30;
			int rb = b->rank > 0 ? b->rank : 1 << 30;

			if (ra <= rb)
				break;
			k = order[j];
			order[j] = order[j - 1];
			order[j - 1] = k;
		}
	for (i = 0; i < l->n; i++) {
		endpoint_name(&l->v[i], what, sizeof(what));
		if (strlen(what) > w)
			w = strlen(what);
	}
	if (w > 60)
		w = 60;
	if (render_mode(d->rd) != RENDER_JSON)
		render_note(d->rd, h->name, false, NULL, "%-4s %-10s %-*s %7s "
		    "%8s %7s %7s %12s  %s", "rank", "kind", (int)w, "endpoint",
		    "DNS", "connect", "TLS", "TTFB", "rate", "status");
	for (i = 0; i < l->n; i++) {
		e = &l->v[order[i]];
		fmt_ms(dns, sizeof(dns), e->dns_ms);
		fmt_ms(con, sizeof(con), e->connect_ms);
		fmt_ms(tls, sizeof(tls), e->tls_ms);
		fmt_ms(ttfb, sizeof(ttfb), e->ttfb_ms);
		if (e->measured && e->ok && e->rate_bps > 0)
			fmt_rate(rate, sizeof(rate), e->rate_bps);
		else
			snprintf(rate, sizeof(rate), "-");
		if (!e->measured)
			snprintf(st, sizeof(st), "not measured");
		else if (e->ok)
			snprintf(st, sizeof(st), "ok (HTTP %ld)", e->status);
		else if (endpoint_reachable(e))
			snprintf(st, sizeof(st), "answers (HTTP %ld: repo not "
			    "there or needs a token)", e->status);
		else
			snprintf(st, sizeof(st), "FAILED: %s",
			    e->error != NULL ? e->error : "no answer");
		endpoint_name(e, what, sizeof(what));
		{
			char rk[16];

			if (e->rank > 0)
				snprintf(rk, sizeof(rk), "%d", e->rank);
			else
				snprintf(rk, sizeof(rk), "-");
			render_note(d->rd, h->name, false, json_pack(
			    "{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:i, "
			    "s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:s?}",
			    "event", "endpoint", "kind", e->kind, "endpoint",
			    e->base, "url", e->url, "label", e->label,
			    "configured", e->configured, "ok", e->ok,
			    "reachable", endpoint_reachable(e), "rank", e->rank,
			    "status", (int)e->status, "dns_ms", e->dns_ms,
			    "connect_ms", e->connect_ms, "tls_ms", e->tls_ms,
			    "ttfb_ms", e->ttfb_ms, "total_ms", e->total_ms,
			    "rate_bps", e->rate_bps,
			    "bytes", (json_int_t)e->bytes, "error", e->error),
			    "%-4s %-10s %-*s %7s %8s %7s %7s %12s  %s", rk,
			    e->kind, (int)w, what, dns, con, tls, ttfb, rate,
			    st);
		}
	}
	free(order);
}

/* The recommendation: fastest reachable PyPI; HF mirror or ModelScope. */
static void
recommend(struct doctor *d, const struct host *h,
    const struct endpoint_list *l)
{
	int pypi = endpoint_best(l, "pypi", 0);
	int hf = endpoint_best(l, "hf", ENDPOINT_BEST_REACHABLE);
	int ms = endpoint_best(l, "modelscope", ENDPOINT_BEST_REACHABLE);
	char *ps = NULL, *hs = NULL, *mss = NULL, *hub = NULL, *text = NULL;
	const char *prefer = NULL;
	bool hf_ok, ms_ok;

	if (pypi >= 0)
		ps = endpoint_summary(&l->v[pypi]);
	if (hf >= 0)
		hs = endpoint_summary(&l->v[hf]);
	if (ms >= 0)
		mss = endpoint_summary(&l->v[ms]);
	hf_ok = hf >= 0 && l->v[hf].ok;
	ms_ok = ms >= 0 && l->v[ms].ok;
	if (hf_ok && ms_ok) {
		/* Section 5: the HF mirror first, unless much slower. */
		prefer = l->v[hf].bytes >= HUB_MIN_SAMPLE &&
		    l->v[ms].bytes >= HUB_MIN_SAMPLE &&
		    l->v[hf].rate_bps * HUB_SLOWER_FACTOR < l->v[ms].rate_bps ?
		    "modelscope" : "hf";
		if (asprintf(&hub, "models: HF mirror %s (%s) vs ModelScope "
		    "%s (%s): use %s", l->v[hf].base, hs ? hs : "?",
		    l->v[ms].base, mss ? mss : "?", prefer[0] == 'h' ?
		    "the HF mirror (source auto does)" : "ModelScope, the "
		    "HF mirror is much slower (source auto or modelscope)") < 0)
			hub = NULL;
	} else if (hf_ok) {
		prefer = "hf";
		if (asprintf(&hub, "models: use the HF mirror %s (%s); "
		    "ModelScope %s", l->v[hf].base, hs ? hs : "?",
		    ms >= 0 ? "answers but not for this repo" :
		    "is not reachable") < 0)
			hub = NULL;
	} else if (ms_ok) {
		prefer = "modelscope";
		if (asprintf(&hub, "models: use ModelScope %s (%s) with source "
		    "auto or modelscope; the HF mirror %s", l->v[ms].base,
		    mss ? mss : "?", hf >= 0 ? "answers but not for this "
		    "repo" : "is not reachable") < 0)
			hub = NULL;
	} else if (asprintf(&hub, "models: %s", hf >= 0 || ms >= 0 ?
	    "the hubs answer but not for the probed repo (missing or "
	    "needs a token)" : "neither an HF mirror nor ModelScope is "
	    "reachable") < 0)
		hub = NULL;
	if (asprintf(&text, "recommend: pypi %s%s%s%s; %s",
	    pypi >= 0 ? l->v[pypi].base : "(none reachable)",
	    pypi >= 0 ? " (" : "", pypi >= 0 && ps ? ps : "",
	    pypi >= 0 ? ")" : "", hub ? hub : "models: ?") < 0)
		text = NULL;
	render_note(d->rd, h->name, false, json_pack("{s:s, s:s?, s:s?, "
	    "s:s?}", "event", "recommend", "pypi", pypi >= 0 ?
	    l->v[pypi].base : NULL, "hub", prefer, "message", text),
	    "%s", text != NULL ? text : "recommend: (out of memory)");
	free(ps);
	free(hs);
	free(mss);
	free(hub);
	free(text);
}

static void
print_findings(struct doctor *d, const struct host *h,
    const struct doctor_result *res)
{
	const struct finding *f;
	size_t i;

	for (i = 0; i < res->n; i++) {
		f = &res->v[i];
		if (f->level == FINDING_OK && d->verbosity < 0 &&
		    render_mode(d->rd) != RENDER_JSON)
			continue;
		render_note(d->rd, h->name, false, json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s?}", "event", "check", "id", f->id, "level",
		    finding_level_name(f->level), "message", f->message, "fix",
		    f->fix), "%-4s %s: %s", f->level == FINDING_OK ? "ok" :
		    f->level == FINDING_WARN ? "warn" : "FAIL", f->id,
		    f->message);
		if (f->fix != NULL && f->level != FINDING_OK &&
		    render_mode(d->rd) != RENDER_JSON)
			render_note(d->rd, h->name, false, NULL, "     fix %s: "
			    "%s", f->id, f->fix);
	}
}

/* One check line, as print_findings() shows the box's. */
static void
rung_note(struct doctor *d, const struct host *h, const char *id,
    enum finding_level lv, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
rung_note(struct doctor *d, const struct host *h, const char *id,
    enum finding_level lv, const char *fix, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (m == NULL)
		return;
	if (lv != FINDING_OK || d->verbosity >= 0 ||
	    render_mode(d->rd) == RENDER_JSON)
		render_note(d->rd, h->name, false, json_pack("{s:s, s:s, "
		    "s:s, s:s, s:s?}", "event", "check", "id", id, "level",
		    finding_level_name(lv), "message", m, "fix", fix),
		    "%-4s %s: %s", lv == FINDING_OK ? "ok" : lv ==
		    FINDING_WARN ? "warn" : "FAIL", id, m);
	if (fix != NULL && lv != FINDING_OK &&
	    render_mode(d->rd) != RENDER_JSON)
		render_note(d->rd, h->name, false, NULL, "     fix %s: %s", id,
		    fix);
	free(m);
}

/*
 * The ladder's last rung from the box: through the laptop's proxy (lent
 * for this check when lend_url is not NULL), else the box's own proxy.
 * upstream_only: the pulls that need the rung ("a, b"), or NULL.
 */
static int
check_rung(struct doctor *d, const struct host *h, struct session *s,
    const char *lend_url, const char *upstream_only, size_t *nwarn)
{
	struct rung_result rr;
	struct lend *lend = NULL;
	const char *ep = lend_upstream(h), *proxy = NULL, *via;
	char *msg = NULL, *fix = NULL;
	int r = CN_OK;

	if (lend_url != NULL) {
		if ((r = lend_open(h, d->interactive, lend_url, &lend,
		    &msg)) != CN_OK) {
			rung_note(d, h, "upstream", FINDING_WARN, NULL,
			    "cannot lend this laptop's proxy: %s", msg != NULL ?
			    msg : cn_strerror(r));
			(*nwarn)++;
			r = CN_OK;
			goto needs;
		}
		proxy = lend_box_proxy(lend);
		via = "this laptop's proxy (--via-laptop-proxy)";
	} else if (h->proxy != NULL) {
		proxy = h->proxy;
		via = "the box's proxy (inventory proxy)";
	}
	if (proxy == NULL) {
		rung_note(d, h, "upstream", upstream_only != NULL ?
		    FINDING_WARN : FINDING_OK, upstream_only != NULL ?
		    "cnorch pull HOST REPO --via-laptop-proxy (or an inventory "
		    "proxy)" : NULL, "%s is not reachable: no proxy on the box "
		    "for the huggingface.co rung%s", ep, upstream_only != NULL ?
		    "" : " (needed only for models on neither the mirror nor "
		    "ModelScope)");
		if (upstream_only != NULL)
			(*nwarn)++;
		goto needs;
	}
	if ((r = rung_check(s, ep, proxy, (int)d->timeout_s, &rr, &msg)) !=
	    CN_OK) {
		note_error(d, h->name, "upstream", msg);
		goto out;
	}
	if (!rr.have_curl)
		rung_note(d, h, "upstream", FINDING_WARN, NULL, "%s through %s: "
		    "not checked (no curl on the box)", ep, via);
	else if (rr.reachable)
		rung_note(d, h, "upstream", FINDING_OK, NULL, "%s reachable "
		    "through %s (HTTP %d in %.2fs)", ep, via, rr.http_code,
		    rr.seconds);
	else
		rung_note(d, h, "upstream", FINDING_WARN, "check the proxy "
		    "and mirrors.huggingface", "%s not reachable through %s "
		    "(no answer in %.0fs)", ep, via, d->timeout_s);
	if (!rr.reachable)
		(*nwarn)++;
 needs:
	if (upstream_only != NULL) {
		if (asprintf(&fix, "cnorch pull %s REPO --via-laptop-proxy",
		    h->name) < 0)
			fix = NULL;
		rung_note(d, h, "upstream_pulls", FINDING_WARN, fix, "on "
		    "neither the mirror nor ModelScope, only huggingface.co "
		    "through a proxy gives: %s", upstream_only);
		(*nwarn)++;
	}
 out:
	lend_close(lend);
	free(fix);
	free(msg);
	return r;
}

static int
doctor_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct doctor_opts *opts = run->opts;
	struct doctor dd = { run->rd, opts->timeout_s, !opts->no_well_known,
	    run->interactive, run->ctx->verbosity }, *d = &dd;
	struct session *s = NULL;
	struct box_facts pr = { 0 };
	struct endpoint_list l = { 0 };
	struct doctor_result res = { 0 };
	struct doctor_inputs in = { 0 };
	char *msg = NULL, *hosts = NULL, *unknown = NULL, *upstream = NULL;
	bool changed = false, agent = false, bad = false;
	int64_t pull_bytes = -1;
	size_t i, nfail = 0, nwarn = 0, nunreach = 0;
	int r, ret = CN_ERR_REMOTE, code;

	(void)o;
	if ((r = host_connect(h, d->interactive, &s, &msg)) != CN_OK) {
		note_error(d, h->name, "connect", msg != NULL ? msg :
		    cn_strerror(r));
		ret = cmd_connect_err(r);
		goto summary;
	}
	free(msg);
	msg = NULL;
	if ((r = box_facts_run(s, h->data_dir != NULL ? h->data_dir :
	    "~", payload_id(), &pr, &msg)) != CN_OK) {
		note_error(d, h->name, "probe", msg);
		ret = r;
		goto summary;
	}

	/* The agent measures: make sure this cnorch's payload is there. */
	free(msg);
	msg = NULL;
	if (strcmp(pr.arch, "x86_64") != 0)
		note_error(d, h->name, "payload", "unsupported architecture; "
		    "cnorch-agent is x86_64 only: endpoints not measured");
	else if (!pr.have_sha256sum)
		note_error(d, h->name, "payload", "sha256sum not found on the "
		    "box (coreutils): endpoints not measured");
	else if ((r = upload_payload(s, pr.home, pr.payload_present,
	    &changed, &msg)) != CN_OK) {
		note_error(d, h->name, "upload", msg);
		if (lost(r)) {
			ret = r;
			goto summary;
		}
	} else
		agent = true;
	if (!agent)
		bad = true;

	free(msg);
	msg = NULL;
	if ((r = build_list(d, h, &l, &msg)) != CN_OK) {
		note_error(d, h->name, "mirrors", msg != NULL ? msg :
		    cn_strerror(r));
		bad = true;
	}
	if (agent && l.n > 0) {
		free(msg);
		msg = NULL;
		if ((r = endpoints_measure(s, &l, d->timeout_s,
		    DOCTOR_SAMPLE, &msg)) != CN_OK) {
			note_error(d, h->name, "measure", msg);
			if (lost(r)) {
				ret = r;
				goto summary;
			}
			bad = true;
		}
	}
	if (agent && h->npulls > 0) {
		free(msg);
		msg = NULL;
		if ((r = doctor_pull_bytes(s, h, pr.data_dir,
		    (int)(2 * d->timeout_s), &pull_bytes, &unknown, &upstream,
		    &msg)) !=
		    CN_OK) {
			note_error(d, h->name, "pulls", msg);
			if (lost(r)) {
				ret = r;
				goto summary;
			}
		} else if (pull_bytes < 0)
			render_note(d->rd, h->name, false, json_pack("{s:s, "
			    "s:s}", "event", "pulls", "message", unknown ?
			    unknown : "?"), "note: size of the pulls unknown "
			    "(%s): free space checked without it", unknown ?
			    unknown : "?");
	}

	hosts = mirror_hosts(&l);
	in.data_dir = pr.data_dir;
	in.hf_endpoint = h->mirrors.hf;
	in.mirror_hosts = hosts != NULL && hosts[0] != '\0' ? hosts : NULL;
	in.pull_bytes = pull_bytes;
	in.check_timeout_s = 5;
	free(msg);
	msg = NULL;
	if ((r = doctor_run(s, &in, CHECKS_TIMEOUT_S, &res, &msg)) !=
	    CN_OK) {
		note_error(d, h->name, "checks", msg);
		if (lost(r)) {
			ret = r;
			goto summary;
		}
		bad = true;
	} else if (!res.complete) {
		note_error(d, h->name, "checks", msg);
		bad = true;
	}

	if (l.n > 0 && agent)
		print_table(d, h, &l);
	print_findings(d, h, &res);
	if ((r = check_rung(d, h, s, opts->via_laptop_proxy, upstream,
	    &nwarn)) != CN_OK && lost(r)) {
		ret = r;
		goto summary;
	}
	if (agent && l.n > 0)
		recommend(d, h, &l);

	for (i = 0; i < res.n; i++) {
		if (res.v[i].level == FINDING_FAIL)
			nfail++;
		else if (res.v[i].level == FINDING_WARN)
			nwarn++;
	}
	/* "auto" kinds need one reachable candidate, the others each
	 * (nothing measured without the agent: that failed already). */
	for (i = 0; agent && i < l.n; i++) {
		const struct endpoint *e = &l.v[i];
		bool autok = (strcmp(e->kind, "pypi") == 0 &&
		    is_auto(h->mirrors.pypi)) ||
		    (strcmp(e->kind, "conda") == 0 &&
		    is_auto(h->mirrors.conda));

		if (!e->configured || endpoint_reachable(e))
			continue;
		if (autok && endpoint_best(&l, e->kind, ENDPOINT_BEST_CONFIGURED) >= 0)
			continue;
		nunreach++;
		render_note(d->rd, h->name, false, json_pack("{s:s, s:s, s:s, "
		    "s:s}", "event", "unreachable", "kind", e->kind,
		    "endpoint", e->base, "message", e->error != NULL ?
		    e->error : "no answer"), "FAIL mirrors.%s %s is not "
		    "reachable from this box: %s", e->kind, e->base,
		    e->error != NULL ? e->error : "no answer");
	}
	ret = nfail > 0 || nunreach > 0 || bad ? CN_ERR_REMOTE : CN_OK;

 summary:
	code = exit_from_err(ret);
	render_note(d->rd, h->name, false, json_pack("{s:s, s:s, s:i, s:i, "
	    "s:i, s:i}", "event", "summary", "status", code == EXIT_OK ? "ok" :
	    code == EXIT_UNREACHABLE ? "unreachable" : "failed", "exit", code,
	    "fail", (int)nfail, "warn", (int)nwarn, "unreachable_mirrors",
	    (int)nunreach), "%s: %zu failed, %zu warnings, %zu configured "
	    "mirror%s unreachable", code == EXIT_OK ? "ok" : code ==
	    EXIT_UNREACHABLE ? "unreachable" : "problems found", nfail, nwarn,
	    nunreach, nunreach == 1 ? "" : "s");
	doctor_release(&res);
	endpoint_list_release(&l);
	box_facts_release(&pr);
	free(hosts);
	free(unknown);
	free(upstream);
	free(msg);
	session_destroy(s);
	return ret;
}

static void
doctor_init(void *p)
{
	((struct doctor_opts *)p)->timeout_s = DOCTOR_TIMEOUT_S;
}

static const struct cmd_opt doctor_opts_table[] = {
	{ .name = "no-well-known", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct doctor_opts, no_well_known),
	  .help = "measure only the configured endpoints" },
	{ .name = "timeout", .kind = CMD_OPT_NUMBER, .arg = "S",
	  .off = offsetof(struct doctor_opts, timeout_s), .min = 1,
	  .max = 60, .unit = "seconds",
	  .help = "per measurement (default 8)" },
	{ .name = "json", .kind = CMD_OPT_JSON,
	  .help = "one JSON object per line" },
	{ .name = "via-laptop-proxy", .kind = CMD_OPT_OPTSTRING, .arg = "URL",
	  .off = offsetof(struct doctor_opts, via_laptop_proxy),
	  .help = "check huggingface.co through this laptop's proxy" },
	{ .name = NULL }
};

const struct cmd_entry cmd_doctor_entry = {
	.name = "doctor",
	.synopsis = "doctor TARGET [--no-well-known] [--timeout S] [--json] "
	    "[--via-laptop-proxy[=URL]]",
	.summary = "Check each box and measure its mirrors from the box.",
	.opts = doctor_opts_table,
	.opts_size = sizeof(struct doctor_opts),
	.opts_init = doctor_init,
	.target = CMD_TARGET_REQUIRED,
	.flags = CMD_PER_HOST | CMD_RENDER | CMD_KEEP_LOG | CMD_SAVE_FAILED,
	.host = doctor_host,
};

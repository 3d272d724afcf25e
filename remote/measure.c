/* Endpoint measurement for 'cnorch-agent probe' (measure.h): parallel timed requests and ranking. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "http.h"
#include "measure.h"

struct probe {
	CURL			*h;
	struct curl_slist	*hdrs;
	struct measure		*m;
	uint64_t		 cap;		/* stop after this many bytes */
	bool			 capped;	/* stopped on purpose at cap */
};

static size_t
on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct probe *pr = arg;
	size_t n = sz * nm;

	(void)p;
	pr->m->bytes += n;
	/* A server that ignores Range sends everything: stop at the cap. */
	if (pr->m->bytes >= pr->cap) {
		pr->capped = true;
		return 0;
	}
	return n;
}

static double
info_ms(CURL *h, CURLINFO what)
{
	curl_off_t us = 0;

	if (curl_easy_getinfo(h, what, &us) != CURLE_OK)
		return -1;
	return (double)us / 1000.0;
}

static void
finish(struct probe *pr, CURLcode cc)
{
	struct measure *m = pr->m;
	double xfer;

	curl_easy_getinfo(pr->h, CURLINFO_RESPONSE_CODE, &m->status);
	m->dns_ms = info_ms(pr->h, CURLINFO_NAMELOOKUP_TIME_T);
	m->connect_ms = info_ms(pr->h, CURLINFO_CONNECT_TIME_T);
	m->tls_ms = info_ms(pr->h, CURLINFO_APPCONNECT_TIME_T);
	m->ttfb_ms = info_ms(pr->h, CURLINFO_STARTTRANSFER_TIME_T);
	m->total_ms = info_ms(pr->h, CURLINFO_TOTAL_TIME_T);
	xfer = m->total_ms - m->ttfb_ms;
	if (xfer > 0 && m->bytes > 0)
		m->rate_bps = (double)m->bytes / (xfer / 1000.0);
	else if (m->total_ms > 0)
		m->rate_bps = (double)m->bytes / (m->total_ms / 1000.0);
	if (cc == CURLE_WRITE_ERROR && pr->capped)
		cc = CURLE_OK;
	if (cc != CURLE_OK) {
		m->error = strdup(curl_easy_strerror(cc));
		m->ok = false;
	} else if (m->status >= 400) {
		if (asprintf(&m->error, "HTTP %ld", m->status) < 0)
			m->error = NULL;
		m->ok = false;
	} else {
		m->ok = true;
	}
}

int
measure_run(const struct http_conf *c, const char *const *urls, size_t n,
    uint64_t sample_bytes, long timeout_ms, struct measure **out)
{
	struct measure *ms = NULL;
	struct probe *prs = NULL;
	CURLM *multi = NULL;
	CURLMsg *msg;
	char range[64];
	size_t i;
	int running, left, r = CN_ERR_NOMEM;

	*out = NULL;
	if ((ms = calloc(n ? n : 1, sizeof(*ms))) == NULL ||
	    (prs = calloc(n ? n : 1, sizeof(*prs))) == NULL ||
	    (multi = curl_multi_init()) == NULL)
		goto out;
	if (sample_bytes == 0)
		sample_bytes = 1;
	snprintf(range, sizeof(range), "0-%llu",
	    (unsigned long long)(sample_bytes - 1));
	for (i = 0; i < n; i++) {
		prs[i].m = &ms[i];
		prs[i].cap = sample_bytes;
		if ((ms[i].url = strdup(urls[i])) == NULL ||
		    (prs[i].h = curl_easy_init()) == NULL)
			goto out;
		if ((r = http_setup(prs[i].h, c, urls[i], &prs[i].hdrs)) != CN_OK)
			goto out;
		r = CN_ERR_NOMEM;
		curl_easy_setopt(prs[i].h, CURLOPT_URL, urls[i]);
		curl_easy_setopt(prs[i].h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(prs[i].h, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(prs[i].h, CURLOPT_RANGE, range);
		curl_easy_setopt(prs[i].h, CURLOPT_TIMEOUT_MS, timeout_ms);
		curl_easy_setopt(prs[i].h, CURLOPT_CONNECTTIMEOUT_MS,
		    timeout_ms);
		/* Measure a fresh connection per endpoint, like a first use. */
		curl_easy_setopt(prs[i].h, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(prs[i].h, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(prs[i].h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(prs[i].h, CURLOPT_WRITEDATA, &prs[i]);
		curl_easy_setopt(prs[i].h, CURLOPT_PRIVATE, &prs[i]);
		if (curl_multi_add_handle(multi, prs[i].h) != CURLM_OK)
			goto out;
	}
	/* Every handle carries CURLOPT_TIMEOUT_MS, so this loop is bounded. */
	do {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct probe *pr;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&pr);
			finish(pr, msg->data.result);
		}
		if (running > 0 &&
		    curl_multi_poll(multi, NULL, 0, 200, NULL) != CURLM_OK)
			break;
	} while (running > 0);
	*out = ms;
	ms = NULL;
	r = CN_OK;
 out:
	for (i = 0; prs != NULL && i < n; i++) {
		if (prs[i].h != NULL) {
			curl_multi_remove_handle(multi, prs[i].h);
			curl_easy_cleanup(prs[i].h);
		}
		curl_slist_free_all(prs[i].hdrs);
	}
	curl_multi_cleanup(multi);
	free(prs);
	if (ms != NULL) {
		for (i = 0; i < n; i++)
			measure_release(&ms[i]);
		free(ms);
	}
	return r;
}

void
measure_release(struct measure *m)
{
	if (m == NULL)
		return;
	free(m->url);
	free(m->error);
	memset(m, 0, sizeof(*m));
}

json_t *
measure_json(const struct measure *m)
{
	json_t *o;

	o = json_pack("{s:s,s:b,s:I,s:f,s:f,s:f,s:f,s:f,s:I,s:f}",
	    "url", m->url, "ok", m->ok, "status", (json_int_t)m->status,
	    "dns_ms", m->dns_ms, "connect_ms", m->connect_ms,
	    "tls_ms", m->tls_ms, "ttfb_ms", m->ttfb_ms,
	    "total_ms", m->total_ms, "bytes", (json_int_t)m->bytes,
	    "rate_bps", m->rate_bps);
	if (o != NULL && m->error != NULL)
		json_object_set_new(o, "error", json_string(m->error));
	return o;
}

static const struct measure *rank_base;

static int
rank_cmp(const void *a, const void *b)
{
	const struct measure *x = &rank_base[*(const size_t *)a];
	const struct measure *y = &rank_base[*(const size_t *)b];

	if (x->ok != y->ok)
		return x->ok ? -1 : 1;
	if (x->rate_bps != y->rate_bps)
		return x->rate_bps > y->rate_bps ? -1 : 1;
	if (x->ttfb_ms != y->ttfb_ms)
		return x->ttfb_ms < y->ttfb_ms ? -1 : 1;
	return 0;
}

void
measure_rank(const struct measure *m, size_t n, size_t *order)
{
	size_t i;

	for (i = 0; i < n; i++)
		order[i] = i;
	/* The agent is single-threaded; qsort has no context argument. */
	rank_base = m;
	qsort(order, n, sizeof(*order), rank_cmp);
	rank_base = NULL;
}

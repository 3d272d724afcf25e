/* Per-origin state of the transfer engine (scheme://host:port): the
 * pause a 429 asks for, the connection cap lowered when an origin keeps
 * answering 429, and the RateLimit header parser. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "transfer_int.h"

/* scheme://host:port of url, or a copy of url when curl cannot parse it
 * (then it is its own origin). */
static char *
origin_key(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *k = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK) {
		if (asprintf(&k, "%s://%s:%s", scheme, host, port) < 0)
			k = NULL;
	} else
		k = strdup(url);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return k;
}

struct origin *
origin_get(struct origin **list, const char *url)
{
	struct origin *o;
	char *k;

	if ((k = origin_key(url)) == NULL)
		return NULL;
	for (o = *list; o != NULL; o = o->next)
		if (strcmp(o->key, k) == 0) {
			free(k);
			return o;
		}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		free(k);
		return NULL;
	}
	o->key = k;
	o->next = *list;
	*list = o;
	return o;
}

void
origin_list_free(struct origin *l)
{
	struct origin *n;

	for (; l != NULL; l = n) {
		n = l->next;
		free(l->key);
		free(l);
	}
}

bool
origin_open(const struct origin *o, double now)
{
	if (o == NULL)
		return true;
	return o->paused_until <= now &&
	    (o->limit == 0 || o->nconns < o->limit);
}

double
origin_rate_limited(struct origin *o, double wait_s, double now)
{
	int n;

	/* The second 429 since the last good answer: fewer connections. */
	if (o->n429++ >= 1) {
		n = o->limit > 0 && o->limit < o->nconns ? o->limit : o->nconns;
		n /= 2;
		o->limit = n < 1 ? 1 : n;
	}
	if (now + wait_s > o->paused_until)
		o->paused_until = now + wait_s;
	return o->paused_until - now;
}

void
origin_ok(struct origin *o)
{
	if (o != NULL)
		o->n429 = 0;
}

/*
 * A parameter of a structured header item (draft-ietf-httpapi-ratelimit-
 * headers: `RateLimit: "api";r=0;t=55`, `RateLimit-Policy: "fixed
 * window";"api";q=500;w=300`): the integer after ";name=", or -1.
 */
long
ratelimit_param(const char *v, const char *name)
{
	size_t n = strlen(name);
	const char *p;
	char *end;
	long x;

	for (p = strchr(v, ';'); p != NULL; p = strchr(p + 1, ';')) {
		const char *q = p + 1;

		while (*q == ' ')
			q++;
		if (strncmp(q, name, n) != 0 || q[n] != '=' ||
		    !isdigit((unsigned char)q[n + 1]))
			continue;
		x = strtol(q + n + 1, &end, 10);
		return x < 0 ? -1 : x;
	}
	return -1;
}

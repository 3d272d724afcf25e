/* Whether the last rung's proxy answers a TCP connect (upstream.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "error.h"
#include "upstream.h"

int
upstream_proxy_alive(const char *proxy_url, long timeout_s)
{
	CURLU *u = NULL;
	CURL *h = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL, *probe = NULL;
	const char *defport;
	CURLcode cc;
	int r;

	if ((u = curl_url()) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, proxy_url,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		r = CN_ERR_INVALID;
		goto out;
	}
	if (strncasecmp(scheme, "socks", 5) == 0)
		defport = "1080";
	else if (strcasecmp(scheme, "https") == 0)
		defport = "443";
	else
		defport = "80";
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	/* Only a connect: host and port, never the credentials. */
	if (asprintf(&probe, "http://%s:%s/", host, port ? port : defport) <
	    0) {
		probe = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((h = curl_easy_init()) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, probe);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s);
	cc = curl_easy_perform(h);
	r = cc == CURLE_OK ? CN_OK : CN_ERR_CONNECT;
 out:
	curl_easy_cleanup(h);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	free(probe);
	curl_url_cleanup(u);
	return r;
}

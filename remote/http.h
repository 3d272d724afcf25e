/*
 * Shared libcurl set-up for the agent: CA bundle, user agent, no Referer,
 * proxies from the environment (libcurl's own http_proxy/https_proxy/
 * no_proxy handling), the bearer token sent only to the endpoint's host,
 * and the one place libcurl codes become CN_ERR_* (cn_err_from_curl).
 *
 * Implemented in http.c.  Who frees: http_conf_release() frees what
 * http_conf_init() allocated; http_get_json()'s *out is a new reference.
 */
#ifndef CN_HTTP_H
#define CN_HTTP_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>

struct http_conf {
	char	*cacert;	/* CA bundle path (probed or --cacert) */
	char	*token;		/* bearer token or NULL; never logged */
	char	*token_host;	/* host the token may be sent to */
	long	 connect_timeout_s;	/* default 15 */
	long	 request_timeout_s;	/* for API calls, default 60 */
};

/*
 * Fill c: cacert from cacert_opt, else the first existing of the usual
 * bundle paths (Debian/Ubuntu, RHEL, Alpine, SUSE); token from the
 * HF_TOKEN environment variable or token_file (which must be mode 0600
 * or stricter), bound to the host of endpoint.  msg gets a one-line
 * error on failure (caller frees).
 */
int	http_conf_init(struct http_conf *c, const char *cacert_opt,
	    const char *token_file, const char *endpoint, char **msg);
void	http_conf_release(struct http_conf *c);

/*
 * Apply the common options to an easy handle for url: CAINFO, user agent
 * "cnorch-agent/VERSION", AUTOREFERER off and no Referer, TCP keepalive,
 * connect timeout, and "Authorization: Bearer" only when url's host is
 * c->token_host.  *headers receives the slist to free after the
 * transfer (curl_slist_free_all); may be set to NULL.
 */
int	http_setup(CURL *h, const struct http_conf *c, const char *url,
	    struct curl_slist **headers);

/* Result metadata of a GET. */
struct http_resp {
	long	 status;
	char	*error_code;	/* X-Error-Code header, or NULL */
	char	*next_link;	/* Link rel="next" URL, or NULL */
	long	 retry_after_s;	/* Retry-After, or -1 */
};
void	http_resp_release(struct http_resp *r);

/*
 * GET url and parse the body as JSON (body size bounded).  Retries 429
 * (honouring Retry-After), 5xx and transport errors with exponential
 * backoff and jitter, a bounded number of times.  Returns CN_OK,
 * CN_ERR_NOT_FOUND (404 / RepoNotFound), CN_ERR_ACCESS (401/403),
 * CN_ERR_PARSE (not JSON), CN_ERR_HTTP, CN_ERR_CURL, CN_ERR_RETRIES.
 * resp (may be NULL) receives the final status and headers.
 */
int	http_get_json(const struct http_conf *c, const char *url,
	    json_t **out, struct http_resp *resp, char **msg);

/* The host part of url (malloc'd), or NULL. */
char	*http_url_host(const char *url);

/* libcurl's codes in the project's range: the only translation point. */
int	cn_err_from_curl(CURLcode cc);

#endif

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
	char	*token_origin;	/* scheme://host:port of the endpoint: the
				 * token goes only there (no https ->
				 * http downgrade, no other port) */
	/* ModelScope: $MODELSCOPE_API_TOKEN, sent as the cookie
	 * m_session_id (modelscope_hub's legacy API) only to
	 * ms_token_origin; see http_conf_set_modelscope(). */
	char	*ms_token;
	char	*ms_token_origin;
	/* CURLOPT_PROXY of every request made with this conf (borrowed,
	 * never freed here): the huggingface.co rung's proxy.  NULL: no
	 * proxy at all, not even one from http_proxy/https_proxy in the
	 * environment, so an inherited proxy never carries mirror or
	 * ModelScope traffic overseas. */
	const char *proxy;
	long	 connect_timeout_s;	/* default 15 */
	long	 request_timeout_s;	/* for API calls, default 60 */
	long	 retry_base_ms;		/* first backoff step of http_get_json,
					 * default 1000 (tests lower it with
					 * $CNORCH_HTTP_RETRY_BASE_MS) */
	/* Called by http_get_json before each retry wait (may be NULL):
	 * reason is one line ("HTTP 503", "timed out"), attempt counts
	 * from 1.  Set after http_conf_init(); never freed. */
	void	(*on_retry)(void *arg, const char *url, const char *reason,
		    int attempt, double delay_s);
	void	*on_retry_arg;
};

/*
 * Fill c: cacert from cacert_opt, else the first existing of the usual
 * bundle paths (Debian/Ubuntu, RHEL, Alpine, SUSE); token from the
 * HF_TOKEN environment variable or token_file (which must be mode 0600
 * or stricter), bound to the host of endpoint.  msg gets a one-line
 * error on failure (caller frees).  No bundle found is an error only for
 * an https:// (or NULL) endpoint; c->cacert stays NULL for http://.
 * Returns CN_OK, CN_ERR_NOT_FOUND (no CA bundle; the message names the
 * paths tried), CN_ERR_INVALID (unreadable --cacert, empty or malformed
 * token), CN_ERR_ACCESS (token file readable by others, named with its
 * mode), CN_ERR_SYSTEM, CN_ERR_NOMEM.  An explicit token_file wins over
 * $HF_TOKEN.
 */
int	http_conf_init(struct http_conf *c, const char *cacert_opt,
	    const char *token_file, const char *endpoint, char **msg);
void	http_conf_release(struct http_conf *c);
/*
 * Bind $MODELSCOPE_API_TOKEN (if set) to the origin of ms_endpoint: it
 * goes as "Cookie: m_session_id=<token>" on requests to that origin
 * only.  Returns CN_OK, CN_ERR_INVALID (malformed token or endpoint),
 * CN_ERR_NOMEM.
 */
int	http_conf_set_modelscope(struct http_conf *c, const char *ms_endpoint,
	    char **msg);

/*
 * Apply the common options to an easy handle for url: CAINFO, user agent
 * "cnorch-agent/VERSION", AUTOREFERER off and no Referer, TCP keepalive,
 * the proxy (c->proxy with an empty no-proxy list, or explicitly none),
 * ModelScope's cookie for its origin,
 * connect timeout, and "Authorization: Bearer" only when url's scheme,
 * host and port are the endpoint's (c->token_origin).  *headers receives the slist to free after the
 * transfer (curl_slist_free_all); may be set to NULL.
 *
 * Redirects: http_setup leaves CURLOPT_FOLLOWLOCATION off.  The safe way
 * is to follow by hand: read CURLINFO_REDIRECT_URL and call http_setup
 * again for the new URL, which attaches the token only if that URL's
 * host is the token host (http_get_json does this).  A caller that turns
 * FOLLOWLOCATION on still does not leak the token: libcurl drops custom
 * Authorization headers when host, scheme or port change (since 7.58 /
 * 7.83.1) because CURLOPT_UNRESTRICTED_AUTH is set to 0 here.
 * Returns CN_OK, CN_ERR_NOMEM, or CN_ERR_INVALID for an https URL when
 * no CA bundle was found (c->cacert NULL).
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
 * Also CN_ERR_PROTOCOL (body over 64 MiB, too many redirects),
 * CN_ERR_INVALID (https:// without a CA bundle, bad URL), and other
 * cn_err_from_curl() codes for transport errors not worth a retry.
 * Limits: 5 tries; one wait at most 60 s (a longer Retry-After gives up
 * at once with CN_ERR_RETRIES); all waits at most 180 s; each try is
 * bounded by c->request_timeout_s.  *resp must be zeroed or released
 * before the call.
 * resp (may be NULL) receives the final status and headers, also on
 * failure: release it with http_resp_release().
 * Redirects (at most 5) are followed by hand; the token goes only to the
 * token host.  Error messages never contain the token.
 */
int	http_get_json(const struct http_conf *c, const char *url,
	    json_t **out, struct http_resp *resp, char **msg);

/* The host part of url (malloc'd), or NULL. */
char	*http_url_host(const char *url);
/* "scheme://host:port" of url, lowercase, port always given (malloc'd),
 * or NULL. */
char	*http_url_origin(const char *url);

/* s percent-encoded (all but A-Z a-z 0-9 - . _ ~), malloc'd, or NULL. */
char	*http_escape(const char *s);

/*
 * Helpers of http_get_json, exposed for the unit tests.
 * http_parse_link_next: the URL of the rel="next" entry of one Link
 * header value, malloc'd, or NULL.  http_parse_retry_after: a
 * Retry-After value (delta seconds or HTTP date) in seconds from now,
 * or -1 when unparsable.
 */
char	*http_parse_link_next(const char *value);
long	 http_parse_retry_after(const char *value);

/* libcurl's codes in the project's range: the only translation point. */
int	cn_err_from_curl(CURLcode cc);

#endif

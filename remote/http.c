/*
 * Shared libcurl set-up and the JSON GET with retries used by the planner.
 * See http.h for the contract.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "error.h"
#include "http.h"
#include "retry.h"

#define HTTP_BODY_MAX		(64u * 1024 * 1024)
#define HTTP_MAX_TRIES		5
#define HTTP_MAX_REDIRECTS	5
#define HTTP_WAIT_CAP_S		60.0	/* one wait, Retry-After included */
#define HTTP_RETRY_BUDGET_S	180.0	/* all waits of one http_get_json */
#define TOKEN_MAX		4096

static const char *const ca_paths[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Arch */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* RHEL, CentOS, Fedora */
	"/etc/ssl/ca-bundle.pem",		/* openSUSE */
	"/etc/pki/tls/cacert.pem",		/* OpenELEC */
	"/etc/ssl/cert.pem",			/* Alpine, macOS */
	NULL,
};

static void
set_msg(char **msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "a, b, c" of the CA paths probed, for messages (static buffer). */
static const char *
ca_tried(void)
{
	static char buf[512];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; ca_paths[i] != NULL && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i ? ", " : "", ca_paths[i]);
	return buf;
}

static void
set_msg(char **msg, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (msg == NULL)
		return;
	free(*msg);
	*msg = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	*msg = s;
}

int
cn_err_from_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
		return CN_OK;
	case CURLE_OUT_OF_MEMORY:
		return CN_ERR_NOMEM;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return CN_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return CN_ERR_TIMEOUT;
	case CURLE_WRITE_ERROR:
	case CURLE_READ_ERROR:
		return CN_ERR_IO;
	case CURLE_ABORTED_BY_CALLBACK:
		return CN_ERR_INTERRUPTED;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
		return CN_ERR_INVALID;
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_RANGE_ERROR:
	case CURLE_BAD_CONTENT_ENCODING:
		return CN_ERR_PROTOCOL;
	default:
		return CN_ERR_CURL;
	}
}

/* Transport failures worth another try. */
static int
curl_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------- conf */

static int
read_token_file(const char *path, char **out, char **msg)
{
	struct stat st;
	char buf[TOKEN_MAX + 1];
	ssize_t n;
	size_t len = 0, i;
	int fd = -1, r;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		set_msg(msg, "cannot open token file '%s': %s", path,
		    strerror(errno));
		r = CN_ERR_SYSTEM;
		goto out;
	}
	/* fstat on the open file: no window between the check and the read. */
	if (fstat(fd, &st) == -1) {
		set_msg(msg, "cannot stat token file '%s': %s", path,
		    strerror(errno));
		r = CN_ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		set_msg(msg, "token file '%s' is not a regular file", path);
		r = CN_ERR_ACCESS;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		set_msg(msg, "token file '%s' has mode %04o: it must not be "
		    "readable by others (chmod 600 '%s')", path,
		    (unsigned)(st.st_mode & 07777), path);
		r = CN_ERR_ACCESS;
		goto out;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			set_msg(msg, "cannot read token file '%s': %s", path,
			    strerror(errno));
			r = CN_ERR_SYSTEM;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len >= TOKEN_MAX) {
		set_msg(msg, "token file '%s' is too large", path);
		r = CN_ERR_INVALID;
		goto out;
	}
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	buf[len] = '\0';
	if (i == len) {
		set_msg(msg, "token file '%s' is empty", path);
		r = CN_ERR_INVALID;
		goto out;
	}
	if ((*out = strdup(buf + i)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	r = CN_OK;
 out:
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return r;
}

/* A token goes into a header line (and a cookie): printable ASCII
 * without spaces, ';' or ',' only. */
static int
token_ok(const char *t)
{
	for (; *t != '\0'; t++)
		if (*t < 0x21 || *t > 0x7e || *t == ';' || *t == ',')
			return 0;
	return 1;
}

static int
is_http_url(const char *url)
{
	return url != NULL && strncasecmp(url, "http://", 7) == 0;
}

int
http_conf_init(struct http_conf *c, const char *cacert_opt,
    const char *token_file, const char *endpoint, char **msg)
{
	const char *env;
	size_t i;
	int r;

	memset(c, 0, sizeof(*c));
	c->connect_timeout_s = 15;
	c->request_timeout_s = 60;
	c->retry_base_ms = 1000;
	if ((env = getenv("CNORCH_HTTP_RETRY_BASE_MS")) != NULL && *env != '\0')
		c->retry_base_ms = strtol(env, NULL, 10);
	if (c->retry_base_ms < 0)
		c->retry_base_ms = 0;

	if (cacert_opt != NULL) {
		if (access(cacert_opt, R_OK) != 0) {
			set_msg(msg, "cannot read CA bundle '%s': %s",
			    cacert_opt, strerror(errno));
			r = CN_ERR_INVALID;
			goto out;
		}
		if ((c->cacert = strdup(cacert_opt)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	} else {
		for (i = 0; ca_paths[i] != NULL; i++) {
			if (access(ca_paths[i], R_OK) == 0)
				break;
		}
		if (ca_paths[i] != NULL) {
			if ((c->cacert = strdup(ca_paths[i])) == NULL) {
				r = CN_ERR_NOMEM;
				goto out;
			}
		} else if (!is_http_url(endpoint)) {
			/* Plain http:// endpoints work without a bundle. */
			set_msg(msg, "no CA bundle found (tried %s): "
			    "pass one with --cacert", ca_tried());
			r = CN_ERR_NOT_FOUND;
			goto out;
		}
	}

	if (token_file != NULL) {
		if ((r = read_token_file(token_file, &c->token, msg)) != 0)
			goto out;
	} else if ((env = getenv("HF_TOKEN")) != NULL && *env != '\0') {
		if ((c->token = strdup(env)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	if (c->token != NULL && !token_ok(c->token)) {
		set_msg(msg, "token from %s contains spaces or control "
		    "characters", token_file ? token_file : "HF_TOKEN");
		r = CN_ERR_INVALID;
		goto out;
	}
	if (c->token != NULL && endpoint != NULL &&
	    ((c->token_host = http_url_host(endpoint)) == NULL ||
	    (c->token_origin = http_url_origin(endpoint)) == NULL)) {
		set_msg(msg, "cannot parse endpoint '%s'", endpoint);
		r = CN_ERR_INVALID;
		goto out;
	}
	if ((env = getenv("CNORCH_ALLOW_HTTP_TOKEN")) != NULL &&
	    strcmp(env, "1") == 0)
		c->allow_http_token = true;
	if (c->token != NULL && http_protect_secrets() != CN_OK) {
		set_msg(msg, "cannot disable core dumps: %s", strerror(errno));
		r = CN_ERR_SYSTEM;
		goto out;
	}
	r = CN_OK;
 out:
	if (r != CN_OK)
		http_conf_release(c);
	return r;
}

int
http_protect_secrets(void)
{
	struct rlimit rl = { 0, 0 };

	/* A core file or a ptrace by another process of the same user
	 * would show the token; undumpable also hides /proc/PID/environ. */
	if (setrlimit(RLIMIT_CORE, &rl) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return CN_ERR_SYSTEM;
	return CN_OK;
}

int
http_conf_modelscope(struct http_conf *c, const char *ms_endpoint,
    char **msg)
{
	const char *env = getenv("MODELSCOPE_API_TOKEN");

	if (env == NULL || *env == '\0' || ms_endpoint == NULL)
		return CN_OK;
	if (!token_ok(env)) {
		set_msg(msg, "token from MODELSCOPE_API_TOKEN contains spaces, "
		    "';' or control characters");
		return CN_ERR_INVALID;
	}
	free(c->ms_token_origin);
	c->ms_token_origin = NULL;
	if ((c->ms_token_origin = http_url_origin(ms_endpoint)) == NULL) {
		set_msg(msg, "cannot parse endpoint '%s'", ms_endpoint);
		return CN_ERR_INVALID;
	}
	if (c->ms_token == NULL && (c->ms_token = strdup(env)) == NULL)
		return CN_ERR_NOMEM;
	if (http_protect_secrets() != CN_OK) {
		set_msg(msg, "cannot disable core dumps: %s", strerror(errno));
		return CN_ERR_SYSTEM;
	}
	return CN_OK;
}

char *
http_token_warning(const struct http_conf *c)
{
	char *s = NULL;
	const char *which = NULL, *origin = NULL;

	if (c->allow_http_token)
		return NULL;
	if (c->token != NULL && c->token_origin != NULL &&
	    is_http_url(c->token_origin)) {
		which = "HF token";
		origin = c->token_origin;
	} else if (c->ms_token != NULL && c->ms_token_origin != NULL &&
	    is_http_url(c->ms_token_origin)) {
		which = "ModelScope token";
		origin = c->ms_token_origin;
	}
	if (which == NULL)
		return NULL;
	if (asprintf(&s, "not sending the %s to %s: plain http (pass "
	    "--allow-http-token for a local test hub)", which, origin) < 0)
		s = NULL;
	return s;
}

static void
free_secret(char **p)
{
	if (*p != NULL) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void
http_conf_release(struct http_conf *c)
{
	if (c == NULL)
		return;
	free(c->cacert);
	free_secret(&c->token);
	free_secret(&c->ms_token);
	free(c->ms_token_origin);
	free(c->token_host);
	free(c->token_origin);
	memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- urls */

char *
http_url_host(const char *url)
{
	CURLU *u;
	char *host = NULL, *ret = NULL;

	if (url == NULL || (u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	ret = strdup(host);
 out:
	curl_free(host);
	curl_url_cleanup(u);
	return ret;
}

char *
http_url_origin(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *ret = NULL, *q;

	if (url == NULL || (u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	if (asprintf(&ret, "%s://%s:%s", scheme, host, port) < 0) {
		ret = NULL;
		goto out;
	}
	for (q = ret; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
 out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

char *
http_escape(const char *s)
{
	char *e, *ret;

	/* libcurl ignores the handle since 7.82; a NULL one is fine. */
	if ((e = curl_easy_escape(NULL, s, (int)strlen(s))) == NULL)
		return NULL;
	ret = strdup(e);
	curl_free(e);
	return ret;
}

bool
http_token_for(const struct http_conf *c, const char *url, bool ms)
{
	const char *tok = ms ? c->ms_token : c->token;
	const char *want = ms ? c->ms_token_origin : c->token_origin;
	char *origin;
	bool ok;

	if (tok == NULL || want == NULL || url == NULL)
		return false;
	if ((origin = http_url_origin(url)) == NULL)
		return false;
	ok = strcmp(origin, want) == 0 &&
	    (strncmp(origin, "https://", 8) == 0 || c->allow_http_token);
	free(origin);
	return ok;
}

bool
http_host_reserved(const char *url)
{
	char *host = http_url_host(url);
	size_t n;
	bool yes;

	if (host == NULL)
		return false;
	n = strlen(host);
	while (n > 0 && host[n - 1] == '.')
		n--;
	host[n] = '\0';
	yes = strcasecmp(host, "invalid") == 0 || (n > 8 &&
	    strcasecmp(host + n - 8, ".invalid") == 0);
	free(host);
	return yes;
}

int
http_setup(CURL *h, const struct http_conf *c, const char *url,
    struct curl_slist **headers)
{
	struct curl_slist *l = NULL, *n;
	char *auth = NULL;
	int r;

	*headers = NULL;
	/* RFC 6761: resolvers should answer ".invalid" negatively at once;
	 * glibc and c-ares would ask the network's DNS server. */
	if (http_host_reserved(url))
		return CN_ERR_CONNECT;
	if (!is_http_url(url) && c->cacert == NULL)
		return CN_ERR_INVALID;
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "cnorch-agent/" CN_VERSION);
	curl_easy_setopt(h, CURLOPT_AUTOREFERER, 0L);
	curl_easy_setopt(h, CURLOPT_REFERER, NULL);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s);
	/* "" is "no proxy", also over http_proxy & co in the environment;
	 * a proxied conf gets an empty no-proxy list, so an inherited
	 * no_proxy cannot send the overseas hub around its proxy. */
	curl_easy_setopt(h, CURLOPT_PROXY, c->proxy != NULL ? c->proxy : "");
	if (c->proxy != NULL) {
		curl_easy_setopt(h, CURLOPT_NOPROXY, "");
		/* Tunnel http too: a proxy lent by the laptop (cnorch
		 * --via-laptop-proxy) serves CONNECT only. */
		curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
	} else
		curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 0L);
	/* libcurl's own Bearer auth: it is never sent to another host,
	 * scheme or port on a redirect.  Set (or cleared) every time: the
	 * engine reuses handles across URLs. */
	if (http_token_for(c, url, false)) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, c->token);
	} else {
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, NULL);
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	if (http_token_for(c, url, true)) {
		if (asprintf(&auth, "Cookie: m_session_id=%s",
		    c->ms_token) < 0) {
			auth = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
		if ((n = curl_slist_append(l, auth)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		l = n;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	*headers = l;
	l = NULL;
	r = CN_OK;
 out:
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	curl_slist_free_all(l);
	return r;
}

/* ---------------------------------------------------------------- parsing */

/* Whether the parameters of one Link entry (after '>') say rel="next". */
static int
rel_is_next(const char *params)
{
	const char *p = params, *v;
	size_t l;

	while ((p = strcasestr(p, "rel=")) != NULL) {
		if (p != params && p[-1] != ';' && p[-1] != ' ') {
			p += 4;
			continue;
		}
		v = p + 4;
		if (*v == '"')
			v++;
		/* rel may list several space-separated types */
		while (*v != '\0' && *v != '"' && *v != ';' && *v != ',') {
			l = strcspn(v, " \";,");
			if (l == 4 && strncasecmp(v, "next", 4) == 0)
				return 1;
			v += l;
			while (*v == ' ')
				v++;
		}
		p = v;
	}
	return 0;
}

char *
http_parse_link_next(const char *value)
{
	const char *p = value, *lt, *gt, *end;
	char *params;
	int next;

	if (value == NULL)
		return NULL;
	/* <url>; rel="next", <url>; rel="prev": '<' cannot occur in a URL */
	while ((lt = strchr(p, '<')) != NULL) {
		if ((gt = strchr(lt, '>')) == NULL)
			return NULL;
		if ((end = strchr(gt, '<')) == NULL)
			end = gt + strlen(gt);
		if ((params = strndup(gt + 1, (size_t)(end - gt - 1))) == NULL)
			return NULL;
		next = rel_is_next(params);
		free(params);
		if (next)
			return strndup(lt + 1, (size_t)(gt - lt - 1));
		p = end;
	}
	return NULL;
}

long
http_parse_retry_after(const char *value)
{
	char *end;
	long v;
	time_t t;

	if (value == NULL)
		return -1;
	while (isspace((unsigned char)*value))
		value++;
	if (isdigit((unsigned char)*value)) {
		errno = 0;
		v = strtol(value, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (errno != 0 || *end != '\0' || v < 0)
			return -1;
		return v;
	}
	if ((t = curl_getdate(value, NULL)) == -1)
		return -1;
	t -= time(NULL);
	return t < 0 ? 0 : (long)t;
}

/* ---------------------------------------------------------------- GET */

void
http_resp_release(struct http_resp *r)
{
	if (r == NULL)
		return;
	free(r->error_code);
	free(r->next_link);
	r->error_code = NULL;
	r->next_link = NULL;
	r->status = 0;
	r->retry_after_s = -1;
}

struct body {
	char	*data;
	size_t	 len, cap;
	int	 too_big;
};

static size_t
body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb, cap;
	char *d;

	if (n > HTTP_BODY_MAX - b->len) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 16384;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static char *
header_dup(CURL *h, const char *name)
{
	struct curl_header *hd;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
		return NULL;
	return strdup(hd->value);
}

static char *
link_next(CURL *h)
{
	struct curl_header *hd;
	size_t i, amount = 1;
	char *next;

	for (i = 0; i < amount; i++) {
		if (curl_easy_header(h, "Link", i, CURLH_HEADER, -1, &hd) !=
		    CURLHE_OK)
			return NULL;
		amount = hd->amount;
		if ((next = http_parse_link_next(hd->value)) != NULL)
			return next;
	}
	return NULL;
}

static void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* Wait before try attempt+1 (retry.c's policy), Retry-After included. */
static double
backoff_s(const struct http_conf *c, int attempt, long retry_after_s)
{
	return retry_wait((double)c->retry_base_ms / 1000.0, HTTP_WAIT_CAP_S,
	    attempt, retry_after_s, HTTP_WAIT_CAP_S);
}

/* One request, no retries.  *cc gets the transport result. */
static int
get_once(CURL *h, const struct http_conf *c, const char *url,
    struct body *b, struct http_resp *resp, char **location,
    CURLcode *cc, char *errbuf)
{
	struct curl_slist *hdrs = NULL;
	char *loc = NULL, *ra;
	int r;

	*location = NULL;
	curl_easy_reset(h);
	if ((r = http_setup(h, c, url, &hdrs)) != 0)
		return r;
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->request_timeout_s);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	errbuf[0] = '\0';
	b->len = 0;
	b->too_big = 0;
	*cc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	http_resp_release(resp);
	if (*cc != CURLE_OK)
		return CN_OK;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->error_code = header_dup(h, "X-Error-Code");
	resp->next_link = link_next(h);
	if ((ra = header_dup(h, "Retry-After")) != NULL) {
		resp->retry_after_s = http_parse_retry_after(ra);
		free(ra);
	}
	if (resp->status >= 300 && resp->status < 400 &&
	    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK &&
	    loc != NULL && (*location = strdup(loc)) == NULL)
		return CN_ERR_NOMEM;
	return CN_OK;
}

static int
not_found_code(const char *ec)
{
	return ec != NULL && (strcmp(ec, "RepoNotFound") == 0 ||
	    strcmp(ec, "RevisionNotFound") == 0 ||
	    strcmp(ec, "EntryNotFound") == 0);
}

int
http_get_json(const struct http_conf *c, const char *url, json_t **out,
    struct http_resp *resp, char **msg)
{
	struct http_resp local = { 0 };
	struct body b = { 0 };
	char errbuf[CURL_ERROR_SIZE], reason[CURL_ERROR_SIZE + 64];
	char *cur = NULL, *location = NULL;
	json_t *j = NULL;
	json_error_t jerr;
	CURL *h = NULL;
	CURLcode cc;
	double waited = 0, wait;
	enum http_class cls;
	int attempt = 1, redirects = 0, r;

	*out = NULL;
	if (resp == NULL)
		resp = &local;
	memset(resp, 0, sizeof(*resp));
	resp->retry_after_s = -1;
	if ((cur = strdup(url)) == NULL || (h = curl_easy_init()) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		free(location);
		location = NULL;
		r = get_once(h, c, cur, &b, resp, &location, &cc, errbuf);
		if (r == CN_ERR_INVALID) {
			set_msg(msg, "cannot fetch '%s': no CA bundle found "
			    "(tried %s): pass one with --cacert", cur,
			    ca_tried());
			goto out;
		}
		if (r == CN_ERR_CONNECT) {
			set_msg(msg, "cannot fetch '%s': cannot resolve its "
			    "host (a name under .invalid never resolves)",
			    cur);
			goto out;
		}
		if (r != CN_OK)
			goto out;
		if (cc == CURLE_WRITE_ERROR && b.too_big) {
			set_msg(msg, "reply from '%s' is larger than %u MiB",
			    cur, HTTP_BODY_MAX >> 20);
			r = CN_ERR_PROTOCOL;
			goto out;
		}
		if (cc != CURLE_OK) {
			snprintf(reason, sizeof(reason), "%s",
			    errbuf[0] ? errbuf : curl_easy_strerror(cc));
			if (!curl_retryable(cc) || (c->connect_tries > 0 &&
			    attempt >= c->connect_tries &&
			    (cc == CURLE_COULDNT_RESOLVE_HOST ||
			    cc == CURLE_COULDNT_RESOLVE_PROXY ||
			    cc == CURLE_COULDNT_CONNECT))) {
				set_msg(msg, "cannot fetch '%s': %s", cur,
				    reason);
				r = cn_err_from_curl(cc);
				goto out;
			}
			wait = backoff_s(c, attempt, -1);
		} else if (resp->status >= 300 && resp->status < 400 &&
		    location != NULL) {
			/* By hand, so http_setup decides on the token anew. */
			if (++redirects > HTTP_MAX_REDIRECTS) {
				set_msg(msg, "too many redirects from '%s'",
				    url);
				r = CN_ERR_PROTOCOL;
				goto out;
			}
			if (strncasecmp(location, "http://", 7) != 0 &&
			    strncasecmp(location, "https://", 8) != 0) {
				set_msg(msg, "'%s' redirects to a non-HTTP "
				    "URL", cur);
				r = CN_ERR_PROTOCOL;
				goto out;
			}
			free(cur);
			cur = location;
			location = NULL;
			continue;
		} else if (http_class_retryable(
		    http_status_class(resp->status))) {
			snprintf(reason, sizeof(reason), "HTTP %ld",
			    resp->status);
			if ((double)resp->retry_after_s > HTTP_WAIT_CAP_S) {
				set_msg(msg, "cannot fetch '%s': HTTP %ld, "
				    "retry after %ld s", cur, resp->status,
				    resp->retry_after_s);
				r = CN_ERR_RETRIES;
				goto out;
			}
			wait = backoff_s(c, attempt, resp->retry_after_s);
		} else
			break;

		if (attempt >= HTTP_MAX_TRIES ||
		    waited + wait > HTTP_RETRY_BUDGET_S) {
			set_msg(msg, "cannot fetch '%s': %s (gave up after "
			    "%d tries)", cur, reason, attempt);
			r = CN_ERR_RETRIES;
			goto out;
		}
		if (c->on_retry != NULL)
			c->on_retry(c->on_retry_arg, cur, reason, attempt, wait);
		sleep_s(wait);
		waited += wait;
		attempt++;
	}

	cls = not_found_code(resp->error_code) ? HTTP_CLASS_NOT_FOUND :
	    http_status_class(resp->status);
	if (cls == HTTP_CLASS_NOT_FOUND || cls == HTTP_CLASS_DENIED) {
		set_msg(msg, "'%s': HTTP %ld%s%s%s", cur, resp->status,
		    resp->error_code ? " (" : "",
		    resp->error_code ? resp->error_code : "",
		    resp->error_code ? ")" : "");
		r = http_class_err(cls);
		goto out;
	}
	if (cls != HTTP_CLASS_OK) {
		set_msg(msg, "cannot fetch '%s': HTTP %ld", cur, resp->status);
		r = CN_ERR_HTTP;
		goto out;
	}
	if ((j = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		set_msg(msg, "reply from '%s' is not JSON: %s", cur, jerr.text);
		r = CN_ERR_PARSE;
		goto out;
	}
	*out = j;
	j = NULL;
	r = CN_OK;
 out:
	json_decref(j);
	free(b.data);
	free(cur);
	free(location);
	curl_easy_cleanup(h);
	http_resp_release(&local);
	return r;
}

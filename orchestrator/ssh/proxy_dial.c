/* proxy_dial: tunnels through the laptop's proxy, handshakes by libcurl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "error.h"
#include "proxy_dial.h"

/* How long one proxy handshake may take. */
#define DIAL_TIMEOUT_S	30

struct proxy_tunnel {
	CURL		*h;
	enum proxy_tunnel_state state;
	char		 err[CURL_ERROR_SIZE];
	curl_socket_t	 fd;
	struct proxy_tunnel *next;
};

struct proxy_dialer {
	CURLM		*multi;
	char		*url;
	struct proxy_tunnel *tunnels;
};

static bool
scheme_ok(const char *url)
{
	static const char *const ok[] = { "http://", "socks5://",
	    "socks5h://", NULL };
	size_t i;

	for (i = 0; ok[i] != NULL; i++)
		if (strncasecmp(url, ok[i], strlen(ok[i])) == 0)
			return true;
	return false;
}

char *
proxy_url_public(const char *url)
{
	const char *p, *at, *slash;
	char *out;

	if (url == NULL)
		return NULL;
	if ((p = strstr(url, "://")) == NULL)
		return strdup(url);
	p += 3;
	slash = p + strcspn(p, "/?#");
	/* The last '@' of the authority: a password may hold one. */
	at = memrchr(p, '@', (size_t)(slash - p));
	if (at == NULL)
		return strdup(url);
	if (asprintf(&out, "%.*s%s", (int)(p - url), url, at + 1) < 0)
		return NULL;
	return out;
}

int
proxy_url_pick(const char *url, char **out, char **msg)
{
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY",
	    "all_proxy", "ALL_PROXY", NULL };
	const char *from = NULL;
	char *pub = NULL;
	size_t i;
	int r;

	*out = NULL;
	*msg = NULL;
	for (i = 0; (url == NULL || *url == '\0') && vars[i] != NULL; i++)
		if ((url = getenv(vars[i])) != NULL && *url != '\0')
			from = vars[i];
		else
			url = NULL;
	if (url == NULL || *url == '\0') {
		r = CN_ERR_NOT_FOUND;
		if ((*msg = strdup("--via-laptop-proxy: no proxy given and "
		    "none in https_proxy or all_proxy on this laptop")) ==
		    NULL)
			r = CN_ERR_NOMEM;
		return r;
	}
	if (!scheme_ok(url)) {
		pub = proxy_url_public(url);
		if (asprintf(msg, "--via-laptop-proxy: '%s'%s%s: expected an "
		    "http://, socks5:// or socks5h:// proxy",
		    pub != NULL ? pub : "?", from != NULL ? " from " : "",
		    from != NULL ? from : "") < 0)
			*msg = NULL;
		free(pub);
		return CN_ERR_UNSUPPORTED;
	}
	if ((*out = strdup(url)) == NULL)
		return CN_ERR_NOMEM;
	return CN_OK;
}

int
proxy_dialer_create(const char *proxy_url, struct proxy_dialer **out)
{
	struct proxy_dialer *d;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return CN_ERR_CURL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto fail;
	if ((d->url = strdup(proxy_url)) == NULL ||
	    (d->multi = curl_multi_init()) == NULL)
		goto fail;
	*out = d;
	return CN_OK;
 fail:
	proxy_dialer_destroy(d);
	return CN_ERR_NOMEM;
}

static void
tunnel_free(struct proxy_dialer *d, struct proxy_tunnel *t)
{
	if (t == NULL)
		return;
	if (t->h != NULL) {
		curl_multi_remove_handle(d->multi, t->h);
		curl_easy_cleanup(t->h);
	}
	free(t);
}

void
proxy_dialer_destroy(struct proxy_dialer *d)
{
	struct proxy_tunnel *t, *next;

	if (d == NULL)
		return;
	for (t = d->tunnels; t != NULL; t = next) {
		next = t->next;
		tunnel_free(d, t);
	}
	if (d->multi != NULL)
		curl_multi_cleanup(d->multi);
	free(d->url);
	free(d);
	curl_global_cleanup();
}

int
proxy_tunnel_open(struct proxy_dialer *d, const char *host, int port,
    struct proxy_tunnel **out)
{
	struct proxy_tunnel *t;
	char *url = NULL;
	int r = CN_ERR_NOMEM;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CN_ERR_NOMEM;
	t->fd = CURL_SOCKET_BAD;
	/* Only the authority matters: CONNECT_ONLY stops after the
	 * handshake.  An IPv6 literal needs its brackets back. */
	if (asprintf(&url, strchr(host, ':') != NULL ? "http://[%s]:%d/" :
	    "http://%s:%d/", host, port) < 0) {
		url = NULL;
		goto fail;
	}
	if ((t->h = curl_easy_init()) == NULL)
		goto fail;
	curl_easy_setopt(t->h, CURLOPT_URL, url);
	curl_easy_setopt(t->h, CURLOPT_PROXY, d->url);
	/* The proxy is the laptop's own: nothing may route around it. */
	curl_easy_setopt(t->h, CURLOPT_NOPROXY, "");
	curl_easy_setopt(t->h, CURLOPT_HTTPPROXYTUNNEL, 1L);
	curl_easy_setopt(t->h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(t->h, CURLOPT_CONNECTTIMEOUT, (long)DIAL_TIMEOUT_S);
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, t->err);
	curl_easy_setopt(t->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
	if (curl_multi_add_handle(d->multi, t->h) != CURLM_OK) {
		r = CN_ERR_CURL;
		goto fail;
	}
	t->state = TUNNEL_DIALING;
	t->next = d->tunnels;
	d->tunnels = t;
	*out = t;
	free(url);
	return CN_OK;
 fail:
	free(url);
	if (t->h != NULL)
		curl_easy_cleanup(t->h);
	free(t);
	return r;
}

void
proxy_tunnel_close(struct proxy_dialer *d, struct proxy_tunnel *t)
{
	struct proxy_tunnel **pp;

	if (t == NULL)
		return;
	for (pp = &d->tunnels; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	tunnel_free(d, t);
}

enum proxy_tunnel_state
proxy_tunnel_state(const struct proxy_tunnel *t)
{
	return t->state;
}

const char *
proxy_tunnel_error(const struct proxy_tunnel *t)
{
	return t->err[0] != '\0' ? t->err : "cannot open a tunnel";
}

int
proxy_tunnel_fd(const struct proxy_tunnel *t)
{
	return t->state == TUNNEL_OPEN ? (int)t->fd : -1;
}

ssize_t
proxy_tunnel_recv(struct proxy_tunnel *t, void *buf, size_t n, bool *eof)
{
	size_t got = 0;
	CURLcode rc;

	*eof = false;
	rc = curl_easy_recv(t->h, buf, n, &got);
	if (rc == CURLE_AGAIN)
		return -1;
	if (rc != CURLE_OK)
		return -2;
	if (got == 0)
		*eof = true;
	return (ssize_t)got;
}

ssize_t
proxy_tunnel_send(struct proxy_tunnel *t, const void *buf, size_t n)
{
	size_t sent = 0;
	CURLcode rc;

	rc = curl_easy_send(t->h, buf, n, &sent);
	if (rc == CURLE_AGAIN)
		return -1;
	if (rc != CURLE_OK)
		return -2;
	return (ssize_t)sent;
}

void
proxy_tunnel_shutdown(struct proxy_tunnel *t)
{
	/* http and socks proxies carry the bytes as they are (no TLS of
	 * ours on the socket), so a half close is the socket's own. */
	if (t->state == TUNNEL_OPEN && t->fd != CURL_SOCKET_BAD)
		shutdown(t->fd, SHUT_WR);
}

int
proxy_dialer_wait(struct proxy_dialer *d, struct pollfd *fds,
    unsigned nfds, int timeout_ms)
{
	struct curl_waitfd stack[64], *wfd = stack;
	struct proxy_tunnel *t;
	CURLMsg *m;
	curl_socket_t s;
	int running, left, r = CN_OK;
	unsigned i;

	if (nfds > sizeof(stack) / sizeof(stack[0]) &&
	    (wfd = calloc(nfds, sizeof(*wfd))) == NULL)
		return CN_ERR_NOMEM;
	for (i = 0; i < nfds; i++) {
		wfd[i].fd = fds[i].fd;
		wfd[i].events = (short)((fds[i].events & POLLIN ?
		    CURL_WAIT_POLLIN : 0) | (fds[i].events & POLLOUT ?
		    CURL_WAIT_POLLOUT : 0));
		wfd[i].revents = 0;
	}
	if (curl_multi_wait(d->multi, wfd, nfds, timeout_ms, NULL) !=
	    CURLM_OK ||
	    curl_multi_perform(d->multi, &running) != CURLM_OK) {
		r = CN_ERR_CURL;
		goto out;
	}
	for (i = 0; i < nfds; i++)
		fds[i].revents = (short)((wfd[i].revents & CURL_WAIT_POLLIN ?
		    POLLIN : 0) | (wfd[i].revents & CURL_WAIT_POLLOUT ?
		    POLLOUT : 0) | (wfd[i].revents & CURL_WAIT_POLLPRI ?
		    POLLPRI : 0));
	while ((m = curl_multi_info_read(d->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		t = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
		if (t == NULL)
			continue;
		/* The handle stays in the multi (its connection with it)
		 * until the tunnel is closed. */
		if (m->data.result == CURLE_OK &&
		    curl_easy_getinfo(t->h, CURLINFO_ACTIVESOCKET, &s) ==
		    CURLE_OK && s != CURL_SOCKET_BAD) {
			t->fd = s;
			t->state = TUNNEL_OPEN;
		} else {
			if (t->err[0] == '\0')
				snprintf(t->err, sizeof(t->err), "%s",
				    curl_easy_strerror(m->data.result));
			t->state = TUNNEL_FAILED;
		}
	}
 out:
	if (wfd != stack)
		free(wfd);
	return r;
}

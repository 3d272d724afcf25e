/*
 * proxy_dial: the laptop end of a lent proxy (cnorch --via-laptop-proxy).
 * Opens TCP tunnels to host:port through the laptop's own proxy with
 * libcurl (CURLOPT_CONNECT_ONLY: curl does the HTTP CONNECT or SOCKS5
 * handshake, credentials from the URL included), many at once from one
 * curl multi handle, so ssh/forward.c can drive every tunnel and every
 * SSH channel from one loop.
 *
 * The proxy URL, and so its credentials, stays on the laptop: the box
 * only ever sees a plain HTTP CONNECT proxy on 127.0.0.1 (forward.c).
 *
 * Who frees: proxy_dialer_destroy() (accepts NULL) frees the dialer and
 * every tunnel still open; proxy_tunnel_close() one tunnel; messages
 * through char **msg are malloc'd for the caller.
 */
#ifndef CN_PROXY_DIAL_H
#define CN_PROXY_DIAL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct proxy_dialer;
struct proxy_tunnel;

enum proxy_tunnel_state {
	TUNNEL_DIALING,		/* connect + proxy handshake under way */
	TUNNEL_OPEN,		/* bytes may flow */
	TUNNEL_FAILED,		/* see proxy_tunnel_error() */
};

/*
 * The laptop's proxy for a lend: url when given, else https_proxy,
 * HTTPS_PROXY, all_proxy, ALL_PROXY from the environment.  Returns a
 * malloc'd copy in *out, or CN_ERR_NOT_FOUND (none set) /
 * CN_ERR_UNSUPPORTED (a scheme other than http, socks5, socks5h) with a
 * one-line *msg that never repeats credentials.
 */
int	proxy_url_pick(const char *url, char **out, char **msg);

/* The URL without its user:password, for messages; malloc'd. */
char	*proxy_url_public(const char *url);

int	proxy_dialer_create(const char *proxy_url,
	    struct proxy_dialer **out);
void	proxy_dialer_destroy(struct proxy_dialer *d);

/* Start a tunnel to host:port (host a name or address, no brackets). */
int	proxy_tunnel_open(struct proxy_dialer *d, const char *host, int port,
	    struct proxy_tunnel **out);
void	proxy_tunnel_close(struct proxy_dialer *d, struct proxy_tunnel *t);

enum proxy_tunnel_state proxy_tunnel_state(const struct proxy_tunnel *t);
const char *proxy_tunnel_error(const struct proxy_tunnel *t);
/* The tunnel's socket once open (for poll), else -1. */
int	proxy_tunnel_fd(const struct proxy_tunnel *t);

/* Bytes moved, or 0 with *eof, or -1 would block, or -2 failed. */
ssize_t	proxy_tunnel_recv(struct proxy_tunnel *t, void *buf, size_t n,
	    bool *eof);
ssize_t	proxy_tunnel_send(struct proxy_tunnel *t, const void *buf,
	    size_t n);
/* No more bytes toward the far end (half close). */
void	proxy_tunnel_shutdown(struct proxy_tunnel *t);

/*
 * Move the handshakes on, then wait at most timeout_ms for them or for
 * one of fds (the caller's own: their revents are filled).  Returns
 * CN_OK or CN_ERR_CURL.
 */
int	proxy_dialer_wait(struct proxy_dialer *d, struct pollfd *fds,
	    unsigned nfds, int timeout_ms);

#endif

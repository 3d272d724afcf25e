/*
 * forward: lend the laptop's proxy to a box over SSH (cnorch
 * --via-laptop-proxy).  A remote port forward listens on the box's
 * 127.0.0.1 on a port the box picks (libssh2_channel_forward_listen_ex,
 * port 0); each connection a box program makes to it arrives here as its
 * own SSH channel and is bridged to a fresh tunnel through the laptop's
 * proxy (proxy_dial.h).
 *
 * To the box the forward is a plain HTTP CONNECT proxy
 * (http://127.0.0.1:<port>): the laptop reads each CONNECT host:port,
 * lets libcurl do the handshake with the laptop's proxy (http CONNECT,
 * socks5 or socks5h, credentials from its URL), answers 200 and then
 * moves bytes both ways.  So the laptop proxy's URL and credentials never
 * reach the box.  Only CONNECT is served (the agent tunnels every request
 * through a proxy, http included).
 *
 * The forward owns an SSH session of its own, driven non-blocking by one
 * thread: every channel, the listener, keepalives and the handshakes are
 * moved from one poll loop (a libssh2 session is not thread-safe, and one
 * loop cannot let one connection stall the others).  forward_destroy()
 * closes the listener, the channels and the session: the port is gone
 * from the box when the pull ends or cnorch exits (the box's sshd drops
 * it with the connection).
 *
 * Who frees: forward_destroy() (accepts NULL); *msg malloc'd for the
 * caller.
 */
#ifndef CN_FORWARD_H
#define CN_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

struct session;
struct forward;

/*
 * Take over s (it is destroyed with the forward, also on failure) and
 * start lending proxy_url: on CN_OK *port is the box's 127.0.0.1 port.
 */
int	forward_start(struct session *s, const char *proxy_url,
	    struct forward **out, int *port, char **msg);

/* The box's port of the forward. */
int	forward_port(const struct forward *f);

/* False once the session died or the listener failed. */
bool	forward_alive(const struct forward *f);

/* Connections bridged so far, and bytes box -> laptop and laptop -> box. */
void	forward_stats(const struct forward *f, uint64_t *conns,
	    uint64_t *up, uint64_t *down);

void	forward_destroy(struct forward *f);

/*
 * The CONNECT request head in p[0..n) (up to and including its empty
 * line): host (no brackets, at most hostsz-1 bytes) and port.  CN_OK,
 * CN_ERR_AGAIN (no empty line yet), CN_ERR_UNSUPPORTED (another method)
 * or CN_ERR_PARSE.
 */
int	forward_parse_connect(const char *p, size_t n, char *host,
	    size_t hostsz, int *port);

#endif

/*
 * The ladder's last rung (huggingface.co through a proxy lent from the
 * laptop or configured on the box): whether that proxy is there at all.
 * A pull whose upstream files fail asks this to tell "the laptop went
 * away, wait for it" from a real failure.  Implemented in upstream.c.
 */
#ifndef CN_UPSTREAM_H
#define CN_UPSTREAM_H

/*
 * CN_OK when a TCP connection to proxy_url's host and port opens within
 * timeout_s (the scheme's default port when none is given: 1080 for
 * socks5/socks5h, 80/443 for http/https); CN_ERR_CONNECT when it does
 * not; CN_ERR_INVALID for a URL it cannot parse; CN_ERR_NOMEM.  Nothing
 * is sent: the proxy's credentials, if any, stay in the URL.
 */
int	upstream_proxy_alive(const char *proxy_url, long timeout_s);

#endif

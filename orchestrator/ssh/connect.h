/*
 * Open an SSH session to an inventory host: session_opts built from
 * struct host (password from the environment variable the host names,
 * HostKeyAlias from ssh_config,
 * known_hosts_policy string to enum hostkey_policy).
 *
 * Who frees: *out with session_destroy(); *msg (malloc'd, no host prefix,
 * possibly two lines) by the caller.
 */
#ifndef CN_CONNECT_H
#define CN_CONNECT_H

#include <stdbool.h>

struct host;
struct session;

/* "accept-new" -> HOSTKEY_ACCEPT_NEW; anything else (NULL, "strict"):
 * HOSTKEY_STRICT, the safe side. */
int	hostkey_policy_parse(const char *s);

/*
 * The part of session_opts that names h's address and host key (name,
 * hostname, port, user, known_hosts, HostKeyAlias, connect timeout), with
 * ssh's defaults; o is zeroed first.  Shared by host_connect() and
 * `cnorch add`'s host-key probe so both look the host up the same way.
 */
struct session_opts;
void	host_session_opts(const struct host *h, struct session_opts *o);

/*
 * Connect and authenticate to h.  interactive: may prompt on /dev/tty
 * for a passphrase or password.  Returns CN_OK or session_open()'s code
 * (CN_ERR_CONNECT, CN_ERR_HOSTKEY_UNKNOWN, CN_ERR_HOSTKEY_CHANGED,
 * CN_ERR_AUTH, ...).
 */
int	host_connect(const struct host *h, bool interactive,
	    struct session **out, char **msg);

#endif

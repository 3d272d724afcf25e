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
 * Connect and authenticate to h.  interactive: may prompt on /dev/tty
 * for a passphrase or password.  Returns CN_OK or session_open()'s code
 * (CN_ERR_CONNECT, CN_ERR_HOSTKEY_UNKNOWN, CN_ERR_HOSTKEY_CHANGED,
 * CN_ERR_AUTH, ...).
 */
int	host_connect(const struct host *h, bool interactive,
	    struct session **out, char **msg);

#endif

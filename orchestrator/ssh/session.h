/*
 * One SSH connection to one box, with libssh2 (blocking API; the fleet
 * runner gives each connected host its own worker thread, see fleet.h).
 *
 * session_open() does, in order: TCP connect with a timeout, handshake,
 * host key check against known_hosts (policy strict / accept-new), then
 * auth: ssh-agent (only the identity asked for), key file (passphrase
 * prompt on a terminal), keyboard-interactive, password.  On failure it
 * returns a CN_ERR_* code and a message that names the step, e.g. "host
 * key for [region-9.autodl.com]:41234 changed"; messages never start with
 * the host's name (the renderer adds that prefix to each line).  Nothing
 * is run on a box whose host key did not verify.
 *
 * The rooms: session.c (TCP connect, handshake, host key check, the
 * object), auth.c + prompt.c + keyfile.c (authentication), exec.c (commands),
 * scp.c (upload), known_hosts.c (OpenSSH's known_hosts rules),
 * ssh_error.c (libssh2 codes).
 *
 * Who frees: session_destroy() frees the session (accepts NULL); messages
 * returned through char **msg are malloc'd and the caller frees them.
 */
#ifndef CN_SESSION_H
#define CN_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum hostkey_policy {
	HOSTKEY_STRICT = 0,	/* unknown host: refuse, print how to accept */
	HOSTKEY_ACCEPT_NEW,	/* unknown host: record it; changed: refuse */
};

struct session_opts {
	const char	*name;		/* inventory name (prompts, session_name) */
	const char	*hostname;
	int		 port;
	const char	*user;
	const char	*identity_file;	/* NULL: ~/.ssh/id_ed25519, id_ecdsa, id_rsa */
	const char	*password;	/* NULL: none (may prompt if interactive) */
	const char	*known_hosts;	/* NULL: ~/.ssh/known_hosts */
	const char	*host_key_alias; /* ssh_config HostKeyAlias: the name
					    looked up in known_hosts instead
					    of [hostname]:port; NULL: none */
	enum hostkey_policy policy;
	int		 connect_timeout_s;	/* 0: 10 */
	int		 keepalive_s;		/* 0: 15 */
	int		 dead_peer_s;		/* no answer this long: fail; 0: 60 */
	bool		 interactive;	/* may prompt on the terminal */
	size_t		 collect_cap;	/* session_exec: most bytes kept per
					   stream; 0: SESSION_COLLECT_CAP */
};

/* What session_exec() collects per stream, at most, unless told. */
#define SESSION_COLLECT_CAP	((size_t)16 << 20)

struct session;

int	session_open(const struct session_opts *opts, struct session **out,
	    char **msg);
void	session_destroy(struct session *s);

/*
 * Run cmd through the remote user's shell.  stdin_data (may be NULL) is
 * written to the command's stdin, then EOF: use it for anything secret so
 * it never shows in the box's `ps`.  Output is collected into out/err
 * (either may be NULL to discard), at most collect_cap bytes each (see
 * session_opts): a command that writes more ends with CN_ERR_PROTOCOL and
 * a message naming the cap.  *exit_status gets the remote exit
 * status (or 255 when killed by a signal).  timeout_s > 0 bounds the whole
 * command; on timeout returns CN_ERR_TIMEOUT.
 *
 * A timeout only closes the channel: libssh2 1.10 cannot signal a remote
 * process and sshd signals none without a pty, so the command may keep
 * running on the box.  When it must end, wrap it on the box, e.g.
 * `timeout -k 5 S sh -c '...'` (GNU timeout signals its whole process
 * group), as cmd_exec.c does for --timeout.  A box that stops answering
 * (no packet, keepalive replies included, for dead_peer_s) also ends the
 * call with CN_ERR_TIMEOUT.
 */
int	session_exec(struct session *s, const char *cmd,
	    const void *stdin_data, size_t stdin_len,
	    struct buf *out, struct buf *err, int *exit_status, int timeout_s);

/*
 * Like session_exec but streams: on_data is called for every chunk read
 * (up to 256 KiB, cut anywhere: chunks, not lines), with stream 1
 * (stdout) or 2 (stderr).  Nothing is kept here.  Returning non-zero from on_data
 * stops the command (channel closed) and session_exec_stream returns
 * that value.
 */
typedef int (*session_data_cb)(void *arg, int stream, const char *p,
    size_t n);
int	session_exec_stream(struct session *s, const char *cmd,
	    const void *stdin_data, size_t stdin_len,
	    session_data_cb on_data, void *arg, int *exit_status, int timeout_s);

/*
 * Upload data to remote_path over SCP with the given mode.  The caller
 * picks a temporary name and renames atomically (see upload.h).
 */
int	session_scp_put(struct session *s, const char *remote_path,
	    const void *data, size_t len, int mode);

/* What the server showed on first contact (session_hostkey_probe). */
struct session_hostkey {
	char		 name[1100];	/* looked up / recorded as */
	char		 type[16];	/* "ED25519" */
	char		 keyscan_type[16];	/* "ed25519" */
	char		 fingerprint[64];	/* "SHA256:..." */
	int		 result;	/* enum known_hosts_result */
	unsigned long	 line;		/* the known_hosts line matched */
	bool		 recorded;	/* record was asked and it was new */
};

/*
 * First contact, as `cnorch add` makes it: connect and handshake only
 * (nothing authenticated, nothing run), fill *hk with the key the server
 * offers and what the known hosts file (opts->known_hosts) says of it;
 * with record, a key not known yet is written there (known_hosts_append)
 * as accept-new would.  A key known with another value is never written.
 * Returns CN_OK, or CN_ERR_* with a malloc'd *msg.
 */
int	session_hostkey_probe(const struct session_opts *opts, bool record,
	    struct session_hostkey *hk, char **msg);

/* Last error message from this session (no host prefix), never NULL. */
const char *session_errmsg(const struct session *s);

/* The host's name, as given in opts. */
const char *session_name(const struct session *s);

#endif

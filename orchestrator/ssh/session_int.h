/*
 * Inside one SSH session: the struct and the helpers the ssh/ files share
 * (session.c, auth.c, exec.c, scp.c).  Not for use outside orchestrator/ssh/.
 */
#ifndef CN_SESSION_INT_H
#define CN_SESSION_INT_H

#include <libssh2.h>

#include "session.h"

struct session {
	LIBSSH2_SESSION	*ssh;
	int		 sock;
	char		*name;
	char		*errmsg;
	int		 keepalive_s;
	int		 dead_peer_s;
	size_t		 collect_cap;
	/* Only set during authentication, wiped right after. */
	const char	*kbd_password;
};

/* Replace the session's message (no host prefix: the renderer adds it). */
void	session_set_err(struct session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* libssh2's last error text for s, never NULL. */
const char *session_lasterr(struct session *s);

/* Seconds on the monotonic clock. */
double	session_now(void);

/* "~/x" to "$HOME/x"; anything else copied.  Caller frees; NULL on
 * NULL or no memory. */
char	*session_expand_home(const char *path);

/* auth.c: ssh-agent, key files, keyboard-interactive, password. */
int	session_authenticate(struct session *s, const struct session_opts *o);

#endif

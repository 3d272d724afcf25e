/*
 * The login lines rental platforms show ("ssh -p 41234 root@region-9.
 * autodl.com", "ssh root@host -p 2222", "ssh://user@host:port") parsed
 * into what an inventory host needs, for `cnorch add NAME LOGIN`; and the
 * platform a host name belongs to.
 */
#ifndef CN_LOGIN_LINE_H
#define CN_LOGIN_LINE_H

/* Strings are malloc'd; NULL / 0 where the line does not say. */
struct login {
	char	*user;
	char	*host;
	int	 port;
	char	*identity_file;	/* -i KEY, as written */
};

/*
 * Parse line: an optional leading "ssh", ssh(1) options among -p PORT,
 * -l USER, -i KEY, -o Port=/User=/IdentityFile= (attached forms like
 * -p2222 too), flags without arguments (-4 -6 -A -C -N -T -g -q -t -v and
 * bundles like -CNg) and forwards whose arguments are skipped (-L -R -D
 * -J -F -o ...), then one destination: [user@]host or
 * ssh://[user@]host[:port].  Quotes as in a shell.  Fills *out (release
 * with login_release(), also after a failure).  Returns CN_OK, or
 * CN_ERR_INVALID with a malloc'd one-line *msg naming the part at fault
 * ("login line: unknown option '-X'", "login line: invalid port 'x'").
 */
int	login_parse(const char *line, struct login *out, char **msg);

/* Free the strings in l and zero it; accepts NULL. */
void	login_release(struct login *l);

/*
 * The built-in platform profile a host name belongs to ("autodl" for
 * region-9.autodl.com or *.seetacloud.com, "featurize", "gpushare",
 * "matpool"), or NULL when the name says nothing.
 */
const char *platform_guess(const char *hostname);

#endif

/*
 * connect: inventory host -> SSH session (see connect.h).
 */
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "error.h"
#include "inventory.h"
#include "session.h"

int
hostkey_policy_parse(const char *s)
{
	if (s != NULL && strcmp(s, "accept-new") == 0)
		return HOSTKEY_ACCEPT_NEW;
	return HOSTKEY_STRICT;
}

void
host_session_opts(const struct host *h, struct session_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->name = h->name;
	o->hostname = h->hostname != NULL ? h->hostname : h->name;
	o->port = h->port > 0 ? h->port : 22;
	o->user = h->user != NULL ? h->user : "root";
	o->known_hosts = h->known_hosts;
	o->host_key_alias = h->host_key_alias;
	o->connect_timeout_s = h->connect_timeout;
}

int
host_connect(const struct host *h, bool interactive, struct session **out,
    char **msg)
{
	struct session_opts o;
	const char *pw = NULL;

	if (out != NULL)
		*out = NULL;
	if (msg != NULL)
		*msg = NULL;
	if (h == NULL || out == NULL)
		return CN_ERR_INVALID;
	/* The password stays where the user put it (the environment); the
	 * session reads it during authentication only. */
	if (h->password_env != NULL && *h->password_env != '\0')
		pw = getenv(h->password_env);
	host_session_opts(h, &o);
	o.identity_file = h->identity_file;
	o.password = pw;
	o.policy = (enum hostkey_policy)hostkey_policy_parse(
	    h->known_hosts_policy);
	o.interactive = interactive;
	return session_open(&o, out, msg);
}

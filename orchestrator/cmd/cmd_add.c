/*
 * cnorch add NAME LOGIN [--platform P] [--password-env VAR] [--group G]
 *            [--accept-new]
 * cnorch rm-host NAME
 *
 * add writes a host into the inventory (-i, $CNORCH_INVENTORY or the
 * default path; inventory_edit.h: atomic, the rest of the file kept, 0600
 * when new) from the login line a rental platform shows (LOGIN: several
 * words, `ssh -p 41234 root@region-9.autodl.com`, or one quoted string;
 * login_line.h), says which platform the host name suggests, then makes
 * first contact as ssh does: it shows the host key's SHA256 fingerprint
 * and, with --accept-new, records it in known_hosts ([host]:port); without
 * it, prints the command that does.  `cnorch add NAME --accept-new` for a
 * host already in the inventory makes that first contact only.
 *
 * LOGIN keeps ssh's own options (-p, -i), so add's options end at NAME
 * (CMD_OPTS_FIRST) and its long options are also taken from among the
 * LOGIN words: ssh has none.
 *
 * Exit code: 0; 2 usage, a bad login line or a duplicate name (named);
 * 3 the host key could not be fetched, or it differs from the known one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "connect.h"
#include "error.h"
#include "inventory.h"
#include "inventory_edit.h"
#include "known_hosts.h"
#include "login_line.h"
#include "session.h"

struct add_opts {
	const char	*platform, *password_env, *group;
	bool		 accept_new;
};

/* Append w to b as one shell word. */
static int
quote_word(struct buf *b, const char *w)
{
	const char *p;
	int r;

	if (w[0] != '\0' && strpbrk(w, " \t\n'\"\\$`;&|<>()*?[]#~") == NULL)
		return buf_append(b, w, strlen(w));
	if ((r = buf_append(b, "'", 1)) != CN_OK)
		return r;
	for (p = w; *p != '\0'; p++)
		if ((r = *p == '\'' ? buf_append(b, "'\\''", 4) :
		    buf_append(b, p, 1)) != CN_OK)
			return r;
	return buf_append(b, "'", 1);
}

/* Where add's long option w (maybe "--opt=value") goes, or NULL. */
static const char **
long_opt(struct add_opts *o, const char *w)
{
	size_t len = strcspn(w, "=");

	if (len == 10 && strncmp(w, "--platform", len) == 0)
		return &o->platform;
	if (len == 14 && strncmp(w, "--password-env", len) == 0)
		return &o->password_env;
	if (len == 7 && strncmp(w, "--group", len) == 0)
		return &o->group;
	return NULL;
}

/*
 * add's long options among the LOGIN words taken out; the rest joined
 * into one line (one word as it is, several each quoted).
 */
static int
split_login(struct cmd_run *run, struct add_opts *o, char **line,
    char **msg)
{
	struct buf b = { 0 };
	const char **v, **slot;
	char *w, *val;
	int i, n = 0, r = CN_ERR_NOMEM;

	*line = NULL;
	if ((v = calloc((size_t)run->nargs + 1, sizeof(*v))) == NULL)
		return CN_ERR_NOMEM;
	for (i = 1; i < run->nargs; i++) {
		w = run->args[i];
		val = NULL;
		if (strcmp(w, "--") == 0)
			continue;
		if (strncmp(w, "--", 2) != 0) {
			v[n++] = w;
			continue;
		}
		if (strcmp(w, "--accept-new") == 0) {
			o->accept_new = true;
			continue;
		}
		/* --opt VALUE or --opt=VALUE */
		if ((val = strchr(w, '=')) != NULL)
			val++;
		else if (i + 1 < run->nargs)
			val = run->args[i + 1];
		if ((slot = long_opt(o, w)) == NULL) {
			r = asprintf(msg, "unknown option '%s'", w) < 0 ?
			    CN_ERR_NOMEM : CN_ERR_USAGE;
			goto out;
		}
		if (val == NULL) {
			r = asprintf(msg, "'%s' needs a value", w) < 0 ?
			    CN_ERR_NOMEM : CN_ERR_USAGE;
			goto out;
		}
		if (strchr(w, '=') == NULL)
			i++;
		*slot = val;
	}
	r = CN_OK;
	for (i = 0; i < n && r == CN_OK; i++) {
		if (i > 0)
			r = buf_append(&b, " ", 1);
		if (r == CN_OK)
			r = n == 1 ? buf_append(&b, v[i], strlen(v[i])) :
			    quote_word(&b, v[i]);
	}
	if (r != CN_OK)
		goto out;
	*line = b.data;
	b.data = NULL;
	r = CN_OK;
 out:
	buf_release(&b);
	free(v);
	return r;
}

/* First contact with h: show the key, record it when asked. */
static int
first_contact(const struct host *h, bool accept_new)
{
	struct session_opts so;
	struct session_hostkey hk;
	char *msg = NULL;
	const char *kh = h->known_hosts != NULL ? h->known_hosts :
	    "~/.ssh/known_hosts";
	int r;

	host_session_opts(h, &so);
	if ((r = session_hostkey_probe(&so, accept_new, &hk, &msg)) !=
	    CN_OK) {
		fprintf(stderr, "error: %s: cannot fetch the host key: %s\n",
		    h->name, msg != NULL ? msg : cn_strerror(r));
		r = r == CN_ERR_NOMEM ? r : CN_ERR_CONNECT;
		goto out;
	}
	printf("%s: host key %s %s\n", h->name, hk.type, hk.fingerprint);
	switch (hk.result) {
	case KNOWN_HOSTS_MATCH:
		printf("%s: already known as %s ('%s' line %lu)\n", h->name,
		    hk.name, kh, hk.line);
		break;
	case KNOWN_HOSTS_NOTFOUND:
		if (hk.recorded) {
			printf("%s: recorded in '%s' as %s\n", h->name, kh,
			    hk.name);
			break;
		}
		printf("%s: the authenticity of host '%s' can't be "
		    "established\n%s: check the fingerprint above, then "
		    "accept it with:\n    cnorch add %s --accept-new\n",
		    h->name, hk.name, h->name, h->name);
		break;
	default:
		fprintf(stderr, "error: %s: host key for %s %s ('%s' line %lu "
		    "has another key); not recorded\n", h->name, hk.name,
		    hk.result == KNOWN_HOSTS_REVOKED ? "is revoked" :
		    "changed", kh, hk.line);
		r = CN_ERR_HOSTKEY_CHANGED;
		goto out;
	}
	r = CN_OK;
 out:
	free(msg);
	return r;
}

/* The inventory at path, and name in it (NULL when absent). */
static int
load_host(const char *path, const char *name, struct inventory **inv,
    const struct host **h)
{
	char *msg = NULL;
	int r;

	*h = NULL;
	if ((r = inventory_load(path, NULL, inv, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		free(msg);
		return r == CN_ERR_NOMEM ? r : CN_ERR_USAGE;
	}
	*h = inventory_find(*inv, name);
	return CN_OK;
}

static int
add_exec(struct cmd_run *run)
{
	struct add_opts *o = run->opts;
	const char *name = run->args[0], *guess = NULL;
	struct login l = { 0 };
	struct host_entry e = { 0 };
	struct inventory *inv = NULL;
	const struct host *h;
	char *path = NULL, *line = NULL, *msg = NULL;
	int r;

	if ((path = inventory_default_path(run->ctx->inventory_path)) ==
	    NULL || (r = split_login(run, o, &line, &msg)) == CN_ERR_NOMEM) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (r != CN_OK) {
		r = cmd_usage_error(run->e, msg) == EXIT_USAGE ? CN_ERR_USAGE :
		    r;
		goto out;
	}
	if (line == NULL || line[0] == '\0') {
		/* `add NAME --accept-new`: first contact for a known host. */
		if (!o->accept_new) {
			cmd_usage_error(run->e, "add needs a NAME and a LOGIN");
			r = CN_ERR_USAGE;
			goto out;
		}
		if ((r = load_host(path, name, &inv, &h)) != CN_OK)
			goto out;
		if (h == NULL) {
			fprintf(stderr, "error: no host '%s' in '%s'; give its "
			    "LOGIN to add it\n", name, path);
			r = CN_ERR_USAGE;
			goto out;
		}
		r = first_contact(h, true);
		goto out;
	}
	if ((r = login_parse(line, &l, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s: %s\n", name, msg != NULL ? msg :
		    cn_strerror(r));
		r = r == CN_ERR_NOMEM ? r : CN_ERR_USAGE;
		goto out;
	}
	if (l.host == NULL) {
		fprintf(stderr, "error: %s: login line: no host in '%s'\n",
		    name, line);
		r = CN_ERR_USAGE;
		goto out;
	}
	if (o->platform == NULL)
		guess = platform_guess(l.host);
	e.name = name;
	e.host = l.host;
	e.port = l.port;
	e.user = l.user;
	e.identity_file = l.identity_file;
	e.password_env = o->password_env;
	e.platform = o->platform != NULL ? o->platform : guess;
	e.group = o->group;
	if ((r = inventory_add_host(path, &e, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		r = r == CN_ERR_NOMEM ? r : CN_ERR_USAGE;
		goto out;
	}
	printf("%s: added %s@%s port %d to '%s'%s%s\n", name,
	    l.user != NULL ? l.user : "root", l.host, l.port > 0 ? l.port : 22,
	    path, o->group != NULL ? " in group " : "",
	    o->group != NULL ? o->group : "");
	if (guess != NULL)
		printf("%s: platform %s (guessed from %s; --platform to "
		    "say otherwise)\n", name, guess, l.host);
	else if (o->platform == NULL)
		printf("%s: platform not guessed from %s (--platform P to "
		    "name one)\n", name, l.host);
	fflush(stdout);
	if ((r = load_host(path, name, &inv, &h)) != CN_OK)
		goto out;
	r = h != NULL ? first_contact(h, o->accept_new) : CN_ERR_INVALID;
 out:
	fflush(stdout);
	inventory_destroy(inv);
	login_release(&l);
	free(line);
	free(path);
	free(msg);
	return r;
}

static int
rm_host_exec(struct cmd_run *run)
{
	const char *name = run->args[0];
	char *path = NULL, *msg = NULL;
	int r;

	if ((path = inventory_default_path(run->ctx->inventory_path)) ==
	    NULL)
		return CN_ERR_NOMEM;
	if ((r = inventory_remove_host(path, name, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		r = r == CN_ERR_NOMEM ? r : CN_ERR_USAGE;
		goto out;
	}
	printf("%s: removed from '%s'\n", name, path);
	r = CN_OK;
 out:
	free(path);
	free(msg);
	return r;
}

static const struct cmd_opt add_opts_table[] = {
	{ .name = "platform", .kind = CMD_OPT_STRING, .arg = "P",
	  .off = offsetof(struct add_opts, platform),
	  .help = "platform profile (default: guessed from the host name)" },
	{ .name = "password-env", .kind = CMD_OPT_STRING, .arg = "VAR",
	  .off = offsetof(struct add_opts, password_env),
	  .help = "environment variable holding the password" },
	{ .name = "group", .kind = CMD_OPT_STRING, .arg = "G",
	  .off = offsetof(struct add_opts, group),
	  .help = "also put the host in group G" },
	{ .name = "accept-new", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct add_opts, accept_new),
	  .help = "record the host key in known_hosts" },
	{ .name = NULL }
};

const struct cmd_entry cmd_add_entry = {
	.name = "add",
	.synopsis = "add NAME LOGIN [--platform P] [--password-env VAR] "
	    "[--group G] [--accept-new]",
	.summary = "Add a host from its login line and show its host key.",
	.opts = add_opts_table,
	.opts_size = sizeof(struct add_opts),
	.target = CMD_TARGET_NONE,
	.nargs_min = 1,
	.nargs_max = -1,
	.args_name = "a NAME and a LOGIN",
	.flags = CMD_OPTS_FIRST,
	.exec = add_exec,
};

const struct cmd_entry cmd_rm_host_entry = {
	.name = "rm-host",
	.synopsis = "rm-host NAME",
	.summary = "Take a host out of the inventory.",
	.target = CMD_TARGET_NONE,
	.nargs_min = 1,
	.nargs_max = 1,
	.args_name = "a NAME",
	.exec = rm_host_exec,
};

/*
 * cnorch hosts [--json | --ansible] [TARGET] | hosts --names
 *
 * Loads and validates the inventory, resolves TARGET (default: all) and
 * prints one line per host, in inventory order:
 *
 *	NAME  USER@HOSTNAME:PORT  PLATFORM  DATA_DIR  pulls=N
 *
 * columns padded to line up ("-" for no platform), or with --json (global
 * or after the subcommand) one JSON object per line with every resolved
 * field, or with --ansible the selected hosts (with the groups that hold
 * them and the defaults) as an Ansible YAML inventory that both
 * ansible-playbook and `cnorch -i` read back.  Connects to nothing: it is the quick check that an inventory
 * says what its author meant.  Exit 0, or 2 for an unreadable or invalid
 * inventory or a target that names nothing.
 *
 * --names prints the words a TARGET may be (host names, group names,
 * "all"), one a line, for shell completion: an unreadable inventory
 * prints nothing, says nothing and exits 0, so a completion never
 * spills an error onto the user's command line.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "inventory.h"
#include "runlog.h"
#include "url.h"

struct hosts_opts {
	bool	ansible;
	bool	names;
};

/* Host names, group names and "all": the words a TARGET may be. */
static int
print_names(const char *path)
{
	struct inventory *inv = NULL;
	char *msg = NULL;
	size_t i;

	if (inventory_load(path, NULL, &inv, &msg) == CN_OK) {
		for (i = 0; i < inventory_count(inv); i++)
			printf("%s\n", inventory_get(inv, i)->name);
		for (i = 0; i < inventory_group_count(inv); i++)
			printf("%s\n", inventory_group_name(inv, i));
		printf("all\n");
	}
	inventory_destroy(inv);
	free(msg);
	return fflush(stdout) == 0 ? CN_OK : CN_ERR_USAGE;
}


static json_t *
strings_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
host_json(const struct host *h)
{
	json_t *o = NULL, *pulls;
	const struct pull_spec *p;
	/* URLs may carry "user:pass@": shown redacted (url.h). */
	char *u[5] = { NULL };
	const char *in[5] = { h->mirrors.hf, h->mirrors.modelscope,
	    h->mirrors.pypi, h->mirrors.conda, h->proxy };
	size_t i;

	for (i = 0; i < 5; i++)
		if (in[i] != NULL && (u[i] = url_redact(in[i])) == NULL)
			goto out;

	if ((pulls = json_array()) == NULL)
		goto out;
	for (i = 0; i < h->npulls; i++) {
		p = &h->pulls[i];
		json_array_append_new(pulls, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}",
		    "repo", p->repo, "revision", p->revision,
		    "source", p->source, "repo_type", p->repo_type,
		    "include", strings_json(p->include, p->ninclude),
		    "exclude", strings_json(p->exclude, p->nexclude)));
	}
	/* Never a password: only the name of the variable that holds it. */
	o = json_pack("{s:s,s:s,s:i,s:s,s:s?,s:s?,s:s,s:s,s:s?,s:s,"
	    "s:{s:s,s:s,s:s,s:s},s:s?,s:o,s:i,s:b}",
	    "name", h->name, "hostname", h->hostname, "port", h->port,
	    "user", h->user, "identity_file", h->identity_file,
	    "password_env", h->password_env, "known_hosts", h->known_hosts,
	    "known_hosts_policy", h->known_hosts_policy,
	    "platform", h->platform, "data_dir", h->data_dir,
	    "mirrors", "hf", u[0], "modelscope", u[1], "pypi", u[2],
	    "conda", u[3], "proxy", u[4], "pulls", pulls,
	    "connect_timeout", h->connect_timeout,
	    "from_ssh_config", (int)h->from_ssh_config);
 out:
	for (i = 0; i < 5; i++)
		free(u[i]);
	return o;
}

/* "user@host:port", with brackets around an IPv6 address. */
static char *
address(const struct host *h)
{
	char *s;
	int v6 = strchr(h->hostname, ':') != NULL;

	if (asprintf(&s, "%s@%s%s%s:%d", h->user, v6 ? "[" : "", h->hostname,
	    v6 ? "]" : "", h->port) < 0)
		return NULL;
	return s;
}

static int
print_text(const struct host *const *hosts, size_t n)
{
	char **addr;
	size_t i, l, wname = 0, waddr = 0, wplat = 1, wdir = 0;
	int ret = CN_OK;

	if ((addr = calloc(n, sizeof(*addr))) == NULL)
		return CN_ERR_USAGE;
	for (i = 0; i < n; i++) {
		if ((addr[i] = address(hosts[i])) == NULL) {
			ret = CN_ERR_USAGE;
			goto out;
		}
		if ((l = strlen(hosts[i]->name)) > wname)
			wname = l;
		if ((l = strlen(addr[i])) > waddr)
			waddr = l;
		if (hosts[i]->platform != NULL &&
		    (l = strlen(hosts[i]->platform)) > wplat)
			wplat = l;
		if ((l = strlen(hosts[i]->data_dir)) > wdir)
			wdir = l;
	}
	for (i = 0; i < n; i++)
		printf("%-*s  %-*s  %-*s  %-*s  pulls=%zu\n", (int)wname,
		    hosts[i]->name, (int)waddr, addr[i], (int)wplat,
		    hosts[i]->platform != NULL ? hosts[i]->platform : "-",
		    (int)wdir, hosts[i]->data_dir, hosts[i]->npulls);
 out:
	for (i = 0; i < n; i++)
		free(addr[i]);
	free(addr);
	if (ret != CN_OK)
		fprintf(stderr, "error: out of memory\n");
	return ret;
}

static int
print_json(const struct host *const *hosts, size_t n)
{
	json_t *o;
	char *s;
	size_t i;

	for (i = 0; i < n; i++) {
		s = (o = host_json(hosts[i])) != NULL ?
		    json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (s == NULL) {
			fprintf(stderr, "error: out of memory\n");
			return CN_ERR_USAGE;
		}
		printf("%s\n", s);
		free(s);
	}
	return CN_OK;
}

/* The selected hosts as Ansible YAML, in the file's order. */
static int
print_ansible(const struct inventory *inv, const struct host *const *hosts,
    size_t n)
{
	const char **names;
	char *msg = NULL;
	size_t i;
	int r;

	if ((names = calloc(n + 1, sizeof(*names))) == NULL) {
		fprintf(stderr, "error: out of memory\n");
		return CN_ERR_USAGE;
	}
	for (i = 0; i < n; i++) {
		names[i] = hosts[i]->name;
		/* Only the file's hosts can be written: say which are not. */
		if (inventory_find(inv, hosts[i]->name) == NULL ||
		    hosts[i]->from_ssh_config)
			fprintf(stderr, "warning: host '%s' comes from "
			    "~/.ssh/config, not the inventory; not written\n",
			    hosts[i]->name);
	}
	if ((r = inventory_write_ansible_hosts(inv, names, n, stdout,
	    &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		r = CN_ERR_USAGE;
	}
	free(msg);
	free(names);
	return r;
}

static int
hosts_exec(struct cmd_run *run)
{
	struct hosts_opts *opts = run->opts;
	struct inventory *inv = NULL;
	const struct host **hosts = NULL;
	const char *target = run->target;
	char *path = NULL, *msg = NULL, **failed = NULL;
	size_t nhosts = 0, nfailed = 0;
	int r, ret = CN_ERR_USAGE;

	if ((path = inventory_default_path(run->ctx->inventory_path)) ==
	    NULL) {
		fprintf(stderr, "error: out of memory\n");
		goto out;
	}
	if (opts->names) {
		ret = print_names(path);
		goto out;
	}
	if ((r = inventory_load(path, NULL, &inv, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		goto out;
	}
	if (target == NULL && inventory_count(inv) == 0) {
		/* Valid, and empty: an empty Ansible inventory says so. */
		ret = opts->ansible ? print_ansible(inv, NULL, 0) : CN_OK;
		goto out;
	}
	if (target != NULL && strstr(target, "@failed") != NULL &&
	    failed_load(&failed, &nfailed) != CN_OK) {
		failed = NULL;
		nfailed = 0;
	}
	if ((r = inventory_select(inv, target, (const char *const *)failed,
	    nfailed, &hosts, &nhosts, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		goto out;
	}
	if (opts->ansible)
		ret = print_ansible(inv, hosts, nhosts);
	else if (run->json)
		ret = print_json(hosts, nhosts);
	else
		ret = print_text(hosts, nhosts);
	if (fflush(stdout) != 0)
		ret = CN_ERR_USAGE;
 out:
	free(hosts);
	failed_free(failed, nfailed);
	inventory_destroy(inv);
	free(msg);
	free(path);
	return ret;
}

static const struct cmd_opt hosts_opts[] = {
	{ .name = "json", .kind = CMD_OPT_JSON,
	  .help = "one JSON object per host" },
	{ .name = "ansible", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct hosts_opts, ansible),
	  .help = "write the hosts as an Ansible YAML inventory" },
	{ .name = "names", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct hosts_opts, names),
	  .help = "host and group names, one a line (shell completion)" },
	{ .name = NULL }
};

static int
hosts_check(struct cmd_run *run, char **msg)
{
	struct hosts_opts *opts = run->opts;

	if (opts->ansible && run->json) {
		if ((*msg = strdup("--ansible and --json do not go "
		    "together")) == NULL)
			return CN_ERR_NOMEM;
		return CN_ERR_USAGE;
	}
	if (opts->names && (opts->ansible || run->json ||
	    run->target != NULL)) {
		if ((*msg = strdup("--names takes no TARGET, --json or "
		    "--ansible")) == NULL)
			return CN_ERR_NOMEM;
		return CN_ERR_USAGE;
	}
	return CN_OK;
}

const struct cmd_entry cmd_hosts_entry = {
	.name = "hosts",
	.synopsis = "hosts [--json | --ansible] [TARGET] | hosts --names",
	.summary = "List the hosts of the inventory (or of TARGET), resolved.",
	.opts = hosts_opts,
	.opts_size = sizeof(struct hosts_opts),
	.check = hosts_check,
	.target = CMD_TARGET_OPTIONAL,
	.exec = hosts_exec,
};

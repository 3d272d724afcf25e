/*
 * The inventory: which boxes cnorch talks to and what to put on them
 * (DESIGN.md, "Inventory").  A JSON file with "defaults", "groups" and
 * "hosts"; every field is type-checked on load and every error names the
 * file and the JSON path at fault:
 *
 *   inventory 'x.json': hosts.autodl-01.port: expected an integer 1-65535
 *   inventory 'x.json': hosts.autodl-01.prot: unknown key (did you mean 'port'?)
 *   inventory 'x.json': line 3 column 5: <jansson's text>
 *   cannot read inventory 'x.json': No such file or directory
 *
 * Where a host's values come from, first found wins:
 *
 *   hostname, port, identity_file:  host > defaults > ssh_config > built-in
 *   user:                           host > defaults > platform > ssh_config
 *                                   > built-in ("root")
 *   everything else:                host > defaults > platform > built-in
 *
 * ssh_config (see ssh_config.h) is asked about the host's "host" if the
 * inventory gives one, else about its name, as `ssh NAME` would.  It fills
 * only what the inventory file leaves out: when the file says something,
 * the user said it for cnorch.  A platform profile's login user (featurize
 * logs in as "featurize") beats ssh_config's User because a "Host *" line
 * usually speaks of the user's other machines; set "user" on the host to
 * override both.  Profiles never carry hostname, port or identity_file.
 *
 * "pulls" in a host replaces the defaults' list (no merging); "mirrors" and
 * "mirror_candidates" ({"pypi": [URL...], "conda": [URL...]}: what mirrors
 * "auto" chooses from, see orchestrator/box/mirror_auto.h) are merged key by
 * key.  A JSON null for identity_file, password_env,
 * platform or proxy means "none" and stops the lookup (so a host can drop
 * a password_env or platform set in defaults).  ~ in identity_file and
 * known_hosts is expanded here (laptop paths); data_dir is a path on the
 * box and keeps ~ and $HOME for the box's shell.
 *
 * hf_token_env and modelscope_token_env name environment variables, like
 * password_env (host or defaults only, null drops one).  mirrors.huggingface
 * is the upstream hub for the proxied rung (default https://huggingface.co).
 * No mirror URL may carry user:password@ (refused with the reason); proxy
 * may, so show it through url_redact() (url.h).  proxy_in_shells (default
 * false) asks for the proxy in every box shell.  A pull's via_laptop_proxy
 * is true or a proxy URL; modelscope_repo is the repo's id on ModelScope.
 * Command-line values are checked with validate.h's rules, the same ones.
 *
 * Platform profiles (inventory/profiles/NAME.json) are compiled in.
 *
 * Who frees: inventory_destroy() frees the inventory and every host in it;
 * hosts and their strings live until then.  Messages returned through
 * char **msg are malloc'd one-liners the caller frees; *msg is NULL on
 * success.
 */
#ifndef CN_INVENTORY_H
#define CN_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * proxy "platform": the proxy the platform provides on the box (AutoDL's
 * academic acceleration, /etc/network_turbo), read at launch for the
 * huggingface.co rung only; never with proxy_in_shells.
 */
#define PROXY_PLATFORM	"platform"

struct mirrors {
	char	*hf;
	char	*modelscope;
	char	*pypi;		/* URL or "auto" */
	char	*conda;		/* URL or "auto" */
	char	*huggingface;	/* the upstream hub, reached only through a
				 * proxy; default https://huggingface.co */
};

/* mirrors "auto" candidates (mirror_candidates in the inventory, merged
 * key by key like mirrors); empty: cnorch's own list. */
struct mirror_candidates {
	char	**pypi;		/* http(s) URLs */
	size_t	 npypi;
	char	**conda;
	size_t	 nconda;
};

struct pull_spec {
	char	*repo;		/* "org/name" */
	char	*revision;	/* default "main" */
	char	*source;	/* "hf" | "modelscope" | "auto" (default) */
	char	*repo_type;	/* "model" (default) | "dataset" */
	char	**include;	/* globs, may be empty */
	size_t	 ninclude;
	char	**exclude;
	size_t	 nexclude;
	/* Lend the laptop's proxy to this pull (issue 13); the URL is NULL
	 * for "true" (the laptop's https_proxy/all_proxy then). */
	bool	 via_laptop_proxy;
	char	*laptop_proxy;
	char	*modelscope_repo; /* its id on ModelScope if not repo, or NULL */
};

struct host {
	char		*name;		/* inventory key (or ssh_config alias) */
	char		*hostname;	/* to connect to */
	int		 port;		/* default 22 */
	char		*user;		/* default "root" */
	char		*identity_file;	/* ~ expanded, may be NULL */
	char		*password_env;	/* env var holding the password, may be NULL */
	char		*hf_token_env;	/* env var holding the HF token, may be NULL */
	char		*modelscope_token_env; /* same for ModelScope, or NULL */
	char		*known_hosts;	/* ~ expanded; default ~/.ssh/known_hosts */
	char		*known_hosts_policy; /* "strict" (default) | "accept-new" */
	char		*host_key_alias; /* ssh_config HostKeyAlias, may be NULL */
	char		*platform;	/* profile name, may be NULL */
	char		*data_dir;	/* REMOTE path: ~ and $HOME left for the box */
	struct mirrors	 mirrors;	/* defaults: hf-mirror.com, modelscope.cn, tuna */
	char		*proxy;		/* NULL = none; may carry user:pass@;
					 * PROXY_PLATFORM: the platform's */
	bool		 proxy_in_shells; /* write proxy into env.sh; default no */
	struct pull_spec *pulls;
	size_t		 npulls;
	int		 connect_timeout; /* seconds, default 10 */
	bool		 from_ssh_config; /* came only from ~/.ssh/config */
	struct mirror_candidates mirror_candidates;
};

struct inventory_opts {
	const char	*home;		/* for ~ expansion; NULL = $HOME */
	const char	*ssh_config;	/* NULL = <home>/.ssh/config; "" = none */
};

struct inventory;

/*
 * Load and validate the inventory at path (opts may be NULL): JSON, or an
 * Ansible INI or YAML inventory (by extension, else by content; see
 * ansible.h), converted to the same document and checked the same way.
 * On success *out is a new inventory (free with inventory_destroy()).
 * Returns CN_OK; CN_ERR_NOT_FOUND (file missing) or CN_ERR_IO
 * (unreadable); CN_ERR_PARSE for malformed JSON, INI or YAML or a
 * malformed ssh_config; CN_ERR_INVALID for an inventory that breaks the
 * schema; CN_ERR_NOMEM.
 */
int	inventory_load(const char *path, const struct inventory_opts *opts,
	    struct inventory **out, char **msg);

/* The same from a string; origin names it in messages ("x.json"). */
int	inventory_load_string(const char *json, const char *origin,
	    const struct inventory_opts *opts, struct inventory **out,
	    char **msg);

/* Free inv and all its hosts; accepts NULL. */
void	inventory_destroy(struct inventory *inv);

/* Hosts in inventory order (file order, then hosts added by select). */
size_t	inventory_count(const struct inventory *inv);
const struct host *inventory_get(const struct inventory *inv, size_t i);
/* Group names in file order (for `cnorch hosts --names`). */
size_t	inventory_group_count(const struct inventory *inv);
const char *inventory_group_name(const struct inventory *inv, size_t i);
/* The host named name, or NULL; never consults ssh_config. */
const struct host *inventory_find(const struct inventory *inv,
	    const char *name);

/*
 * Resolve TARGET, a comma list of terms (spaces around commas ignored):
 *   NAME     a host, or a group (its member hosts)
 *   all      every host of the inventory file (NULL target = "all")
 *   GLOB     '*', '?', '[...]' against host names (not group names)
 *   !TERM    exclude a host, group, glob, all or @failed; a target made
 *            only of exclusions starts from all
 *   @failed  the hosts named in failed[] (names no longer known are
 *            skipped: they failed in a run of an older inventory)
 * A NAME that is neither a host nor a group but is named on a concrete
 * `Host` line of the ssh_config becomes a host (from_ssh_config = true,
 * the inventory's defaults and built-in defaults applied), appended to inv.
 *
 * *out gets a malloc'd array of pointers into inv, in inventory order
 * without duplicates; the caller frees the array only.  Returns CN_OK;
 * CN_ERR_NOT_FOUND for an unknown name ("unknown host or group 'x' (did
 * you mean 'y'?)") or an empty result ("target 'x' matches no hosts");
 * CN_ERR_INVALID for an empty term; CN_ERR_PARSE if the ssh_config is
 * malformed; CN_ERR_NOMEM.
 */
int	inventory_select(struct inventory *inv, const char *target,
	    const char *const *failed, size_t nfailed,
	    const struct host ***out, size_t *nout, char **msg);

/*
 * Write the inventory file's hosts, groups and defaults (not hosts added
 * from ssh_config) to fp as an Ansible YAML inventory (see ansible.h):
 * `cnorch hosts --ansible`.  Returns CN_OK; CN_ERR_IO or CN_ERR_NOMEM with
 * *msg set.
 */
int	inventory_write_ansible(const struct inventory *inv, FILE *fp,
	    char **msg);

/*
 * The same for the hosts named names[0..n) only (names NULL: all), in
 * file order; groups keep their members among them, and a group left
 * with none is not written.  Names that are not hosts of the file (from
 * ssh_config) are skipped.
 */
int	inventory_write_ansible_hosts(const struct inventory *inv,
	    const char *const *names, size_t n, FILE *fp, char **msg);

/*
 * The inventory path: flag_path (-i) if not NULL, else $CNORCH_INVENTORY if
 * set and not empty, else $HOME/.config/cnorch/inventory.json.  Malloc'd,
 * NULL when out of memory.
 */
char	*inventory_default_path(const char *flag_path);

#endif

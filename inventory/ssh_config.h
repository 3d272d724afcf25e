/*
 * Just enough of ~/.ssh/config (ssh_config(5)) for the inventory: what
 * OpenSSH would use for HostName, Port, User, IdentityFile and
 * HostKeyAlias when asked to connect to an alias.
 *
 * Understood as OpenSSH does (readconf.c): keywords case-insensitive,
 * "key value" and "key=value", "double" and 'single' quoted values,
 * unquoted '#' starting a comment; Host lines with several patterns, '*'
 * and '?' globs and !negation, matched case-insensitively; lines before
 * the first Host apply to every host; the first value obtained wins;
 * Include (relative paths are relative to ~/.ssh, globs via glob(3),
 * no match is fine, nested at most 16 deep), which inside a Host block
 * includes conditionally.  Match blocks are skipped (treated as not
 * matching): we cannot evaluate exec/canonical/final here.  Other
 * keywords are ignored.  HostName expands %h (the alias) and %%;
 * IdentityFile expands ~, %d (home), %h (the resolved host name), %n
 * (the alias) and %%; other % tokens are left as written.
 */
#ifndef CN_SSH_CONFIG_H
#define CN_SSH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* Values found for one alias; NULL / 0 when the config does not say. */
struct ssh_config_entry {
	char	*hostname;
	int	 port;
	char	*user;
	char	*identity_file;	/* the first IdentityFile, expanded */
	char	*host_key_alias; /* HostKeyAlias, as written */
	/*
	 * The alias is named literally (no '*' or '?') and not negated on a
	 * Host line that matches it: the user declared this very host, as
	 * opposed to a catch-all like "Host *" that matches any name.
	 */
	bool	 concrete;
};

/*
 * Look alias up in the config file at path (NULL or "" = no config; a
 * missing file is an empty config).  home is used for ~ and the Include
 * base (NULL = $HOME).  Fills *out, which the caller releases with
 * ssh_config_entry_release() (also after a failure).  Returns CN_OK;
 * CN_ERR_PARSE with a malloc'd one-line *msg naming file and line for a
 * malformed line (bad quoting, bad Port, Include nesting too deep);
 * CN_ERR_IO when a file exists but cannot be read; CN_ERR_NOMEM.
 */
int	ssh_config_lookup(const char *path, const char *home,
	    const char *alias, struct ssh_config_entry *out, char **msg);

/* Free the strings in e and zero it; accepts NULL. */
void	ssh_config_entry_release(struct ssh_config_entry *e);

/*
 * The names written on Host lines without '*', '?' or '!' (the hosts the
 * user declared), in file order without duplicates, Include files
 * followed: for did-you-mean.  *names is a malloc'd array of malloc'd
 * strings, freed with ssh_config_names_free() (accepts NULL).  Errors as
 * for ssh_config_lookup().
 */
int	ssh_config_names(const char *path, const char *home, char ***names,
	    size_t *n, char **msg);
void	ssh_config_names_free(char **names, size_t n);

#endif

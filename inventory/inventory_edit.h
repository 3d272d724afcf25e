/*
 * Editing an inventory file for `cnorch add` and `cnorch rm-host`: one
 * host in or out, everything else in the file kept (keys in their order,
 * values as they were; the JSON is rewritten with two-space indentation).
 * The result must pass the same checks as `inventory_load()` or nothing
 * is written; writing is atomic (a temporary file, fsync, rename, fsync of
 * the directory), so a crash leaves the old file or the new one.  A new
 * file (and its missing directory) is created with mode 0600 (0700); an
 * existing file keeps its mode.  Only JSON inventories are edited: an
 * Ansible inventory is refused (CN_ERR_UNSUPPORTED) with a pointer to
 * Ansible's own tools.
 */
#ifndef CN_INVENTORY_EDIT_H
#define CN_INVENTORY_EDIT_H

/* What `cnorch add` writes; NULL / 0 fields are left out of the file. */
struct host_entry {
	const char	*name;
	const char	*host;		/* "host": address to connect to */
	int		 port;
	const char	*user;
	const char	*identity_file;
	const char	*password_env;
	const char	*platform;
	const char	*group;		/* also put it in this group (made if
					 * missing) */
};

/*
 * Add e as hosts.NAME to the inventory at path (created if missing).
 * Returns CN_OK; CN_ERR_EXISTS if a host or group already has the name;
 * CN_ERR_INVALID if a value breaks the schema (the message as
 * inventory_load() gives it); CN_ERR_PARSE for a malformed file;
 * CN_ERR_UNSUPPORTED for an Ansible inventory; CN_ERR_IO; CN_ERR_NOMEM.
 * *msg is a malloc'd one-liner on failure, NULL on success.
 */
int	inventory_add_host(const char *path, const struct host_entry *e,
	    char **msg);

/*
 * Take host name out of the inventory at path, and out of every group
 * that lists it (the groups stay, maybe empty).  CN_ERR_NOT_FOUND if the
 * file has no such host; otherwise as inventory_add_host().
 */
int	inventory_remove_host(const char *path, const char *name, char **msg);

#endif

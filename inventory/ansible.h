/*
 * Ansible inventories in and out (issue 12): an INI or YAML inventory is
 * read as Ansible reads it and turned into the same JSON document an
 * inventory.json holds, so every schema check applies; and cnorch's own
 * inventory can be written as Ansible YAML.
 *
 * What is understood: groups, "children", "all:vars" / "vars" (all's go
 * to "defaults"), group vars (parents before children, then by name, as
 * Ansible orders them) and host vars (last word); "name:port" and
 * "name[01:04]" ranges on INI host lines and YAML host keys; ansible_host,
 * ansible_port, ansible_user, ansible_ssh_private_key_file (and their
 * older ansible_ssh_* spellings); cnorch's own keys as cnorch_KEY vars
 * (cnorch_data_dir, cnorch_platform, cnorch_pulls as JSON text or YAML).
 * ansible_password / ansible_ssh_pass are refused: cnorch never keeps a
 * password in a file (use cnorch_password_env).  Other vars are Ansible's
 * business and ignored.
 */
#ifndef CN_ANSIBLE_H
#define CN_ANSIBLE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

enum inventory_format {
	INVENTORY_JSON,
	INVENTORY_INI,
	INVENTORY_YAML,
};

/*
 * The format of an inventory: by path's extension (.json, .ini, .yml,
 * .yaml), else by its text (a '{' first: JSON; a "[group]" line: INI; a
 * "key:" line or "---": YAML; else INI).  path may be NULL.
 */
enum inventory_format inventory_format_guess(const char *path,
	    const char *text, size_t len);

/*
 * Convert an Ansible inventory's text to cnorch's inventory document.
 * origin names it in messages ("hosts.ini").  On success *out is a new
 * JSON object the caller json_decref()s.  Returns CN_OK; CN_ERR_PARSE for
 * malformed INI/YAML (the message names the line); CN_ERR_INVALID for a
 * refused var (ansible_password) or a bad structure; CN_ERR_NOMEM.  *msg
 * as in inventory.h.
 */
int	ansible_to_json(enum inventory_format fmt, const char *text,
	    size_t len, const char *origin, json_t **out, char **msg);

#endif

/*
 * Inside the Ansible readers: the model both parsers fill (groups with
 * their hosts, children and vars; hosts with their vars, in file order)
 * and that ansible.c turns into cnorch's inventory document.
 */
#ifndef CN_ANSIBLE_INT_H
#define CN_ANSIBLE_INT_H

#include <stddef.h>

#include <jansson.h>

/*
 * groups: NAME -> {"hosts": [NAME...], "children": [NAME...], "vars": {}}
 * hosts:  NAME -> {vars}
 * Both keep insertion order (jansson objects do).
 */
struct amodel {
	json_t	*groups;
	json_t	*hosts;
};

int	am_init(struct amodel *m);
void	am_release(struct amodel *m);
/* Get or create; NULL when out of memory. */
json_t	*am_group(struct amodel *m, const char *name);
json_t	*am_host(struct amodel *m, const char *name);
/* Put host in group (once), creating both. */
int	am_member(struct amodel *m, const char *group, const char *host);
/* Make child a child group of parent (once), creating both. */
int	am_child(struct amodel *m, const char *parent, const char *child);

/*
 * Expand Ansible's host ranges: "web[01:03]" -> web01 web02 web03,
 * "db-[a:c]" -> db-a db-b db-c, with an optional stride ("[1:9:2]");
 * several ranges multiply.  A name without '[' is itself.  *names is a
 * json array of strings the caller decrefs.  CN_ERR_INVALID (with *why) for
 * a malformed range.
 */
int	am_expand(const char *pattern, json_t **names, const char **why);

/* The text of one INI / YAML inventory into m; prefix starts messages. */
int	ansible_ini_parse(const char *text, size_t len, const char *prefix,
	    struct amodel *m, char **msg);
int	ansible_yaml_parse(const char *text, size_t len, const char *prefix,
	    struct amodel *m, char **msg);

/* Would s, written as a plain YAML scalar, read back as text? */
int	ay_plain_is_string(const char *s);

#endif

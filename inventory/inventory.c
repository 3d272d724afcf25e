/*
 * The inventory object: loading a file or string (schema check, then each
 * host resolved), its groups, lookups by name, and freeing it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ansible.h"
#include "error.h"
#include "inventory_int.h"
#include "validate.h"

int
inv_add_host(struct inventory *inv, struct host *h)
{
	struct host **n;

	if ((n = reallocarray(inv->hosts, inv->nhosts + 1,
	    sizeof(*n))) == NULL)
		return CN_ERR_NOMEM;
	inv->hosts = n;
	inv->hosts[inv->nhosts++] = h;
	return CN_OK;
}

int
inv_host_index(const struct inventory *inv, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < inv->nhosts; i++)
		if (strcmp(inv->hosts[i]->name, name) == 0) {
			*idx = i;
			return 1;
		}
	return 0;
}

const struct group *
inv_find_group(const struct inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->ngroups; i++)
		if (strcmp(inv->groups[i].name, name) == 0)
			return &inv->groups[i];
	return NULL;
}

static int
load_hosts(struct inventory *inv, const struct vctx *c, json_t *hosts)
{
	char path[PATHBUF];
	struct host *h;
	const char *name;
	json_t *v;
	int r;

	if (!json_is_object(hosts))
		return inv_verr(c, CN_ERR_INVALID, "hosts", "expected an object");
	json_object_foreach(hosts, name, v) {
		inv_join_key(path, "hosts", name);
		if (strcmp(name, "all") == 0)
			return inv_verr(c, CN_ERR_INVALID, path, "'all' is reserved "
			    "(it selects every host)");
		if (!valid_host_name(name))
			return inv_verr(c, CN_ERR_INVALID, path, "invalid host name "
			    "(use letters, digits, '.', '_', '-')");
		if ((r = inv_check_fields(c, path, v, IN_HOST)) != CN_OK)
			return r;
		if ((r = inv_resolve_host(inv, name, v, &h, c->msg)) != CN_OK)
			return r;
		/* The layers together: a profile's "platform" proxy with
		 * the host's proxy_in_shells. */
		if ((r = inv_check_platform_proxy(c, path, h->proxy,
		    h->proxy_in_shells)) != CN_OK) {
			inv_host_free(h);
			return r;
		}
		if ((r = inv_add_host(inv, h)) != CN_OK) {
			inv_host_free(h);
			return r;
		}
	}
	inv->nfile = inv->nhosts;
	return CN_OK;
}

static int
load_groups(struct inventory *inv, const struct vctx *c, json_t *groups)
{
	char path[PATHBUF], ipath[PATHBUF];
	struct suggest s;
	struct group *g;
	const char *name, *m;
	json_t *v, *e;
	size_t i, k, idx;

	if (!json_is_object(groups))
		return inv_verr(c, CN_ERR_INVALID, "groups", "expected an object");
	if ((inv->groups = calloc(json_object_size(groups) + 1,
	    sizeof(*inv->groups))) == NULL)
		return CN_ERR_NOMEM;
	json_object_foreach(groups, name, v) {
		inv_join_key(path, "groups", name);
		if (strcmp(name, "all") == 0)
			return inv_verr(c, CN_ERR_INVALID, path, "'all' is reserved "
			    "(it selects every host)");
		if (!valid_host_name(name))
			return inv_verr(c, CN_ERR_INVALID, path, "invalid group name "
			    "(use letters, digits, '.', '_', '-')");
		if (inv_host_index(inv, name, &idx))
			return inv_verr(c, CN_ERR_INVALID, path,
			    "a host has the same name");
		if (!json_is_array(v))
			return inv_verr(c, CN_ERR_INVALID, path,
			    "expected an array of host names");
		g = &inv->groups[inv->ngroups++];
		if ((g->name = strdup(name)) == NULL)
			return CN_ERR_NOMEM;
		if (json_array_size(v) > 0 && (g->members = calloc(
		    json_array_size(v), sizeof(*g->members))) == NULL)
			return CN_ERR_NOMEM;
		json_array_foreach(v, i, e) {
			inv_join_index(ipath, path, i);
			if ((m = inv_jstr(e)) == NULL)
				return inv_verr(c, CN_ERR_INVALID, ipath,
				    "expected a host name");
			if (!inv_host_index(inv, m, &idx)) {
				inv_suggest_init(&s, m);
				for (k = 0; k < inv->nhosts; k++)
					inv_suggest_add(&s, inv->hosts[k]->name);
				if (s.best != NULL)
					return inv_verr(c, CN_ERR_INVALID, ipath,
					    "unknown host '%s' (did you mean "
					    "'%s'?)", m, s.best);
				return inv_verr(c, CN_ERR_INVALID, ipath,
				    "unknown host '%s'", m);
			}
			g->members[g->nmembers++] = idx;
		}
	}
	return CN_OK;
}

/* Takes a reference to root. */
int
inv_load_root(json_t *root, const char *origin,
    const struct inventory_opts *opts,
    struct inventory **out, char **msg)
{
	struct inventory *inv = NULL;
	struct vctx c;
	char *prefix = NULL;
	json_t *v;
	int r;

	if (asprintf(&prefix, "inventory '%s'", origin) < 0) {
		prefix = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	c.prefix = prefix;
	c.msg = msg;
	if ((inv = calloc(1, sizeof(*inv))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	inv->root = json_incref(root);
	if ((inv->origin = strdup(origin)) == NULL ||
	    (inv->home = opts != NULL && opts->home != NULL ?
	    strdup(opts->home) : inv_get_home()) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (opts == NULL || opts->ssh_config == NULL) {
		if (asprintf(&inv->ssh_config, "%s/.ssh/config",
		    inv->home) < 0) {
			inv->ssh_config = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
	} else if (*opts->ssh_config != '\0' &&
	    (inv->ssh_config = strdup(opts->ssh_config)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = inv_load_profiles(inv, msg)) != CN_OK)
		goto out;

	if ((r = inv_check_top(&c, root)) != CN_OK)
		goto out;
	if ((v = json_object_get(root, "defaults")) != NULL) {
		if ((r = inv_check_fields(&c, "defaults", v, IN_HOST)) != CN_OK)
			goto out;
		inv->defaults = v;
	}
	if ((v = json_object_get(root, "hosts")) != NULL &&
	    (r = load_hosts(inv, &c, v)) != CN_OK)
		goto out;
	if ((v = json_object_get(root, "groups")) != NULL &&
	    (r = load_groups(inv, &c, v)) != CN_OK)
		goto out;
	*out = inv;
	inv = NULL;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM)
		inv_set_msg(msg, "%s: %s", prefix != NULL ? prefix : "inventory",
		    cn_strerror(r));
	inventory_destroy(inv);
	free(prefix);
	return r;
}

int
inventory_load_string(const char *json, const char *origin,
    const struct inventory_opts *opts, struct inventory **out, char **msg)
{
	json_error_t jerr;
	json_t *root;
	int r;

	*out = NULL;
	if (msg != NULL)
		*msg = NULL;
	if ((root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		inv_set_msg(msg, "inventory '%s': line %d column %d: %s", origin,
		    jerr.line, jerr.column, jerr.text);
		return CN_ERR_PARSE;
	}
	r = inv_load_root(root, origin, opts, out, msg);
	json_decref(root);
	return r;
}

int
inv_read_all(FILE *fp, char **buf, size_t *len)
{
	size_t cap = 8192, n = 0, got;
	char *b = NULL, *nb;

	*buf = NULL;
	*len = 0;
	for (;;) {
		if ((nb = realloc(b, cap + 1)) == NULL) {
			free(b);
			return CN_ERR_NOMEM;
		}
		b = nb;
		got = fread(b + n, 1, cap - n, fp);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
	}
	if (ferror(fp)) {
		free(b);
		return CN_ERR_IO;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return CN_OK;
}

int
inventory_load(const char *path, const struct inventory_opts *opts,
    struct inventory **out, char **msg)
{
	json_error_t jerr;
	json_t *root = NULL;
	char *text = NULL;
	size_t len;
	FILE *fp;
	int r, e;

	*out = NULL;
	if (msg != NULL)
		*msg = NULL;
	/* Open it ourselves: jansson's open error has no errno to name. */
	if ((fp = fopen(path, "r")) == NULL) {
		e = errno;
		inv_set_msg(msg, "cannot read inventory '%s': %s", path,
		    strerror(e));
		return e == ENOENT ? CN_ERR_NOT_FOUND : CN_ERR_IO;
	}
	r = inv_read_all(fp, &text, &len);
	e = errno;
	fclose(fp);
	if (r != CN_OK) {
		inv_set_msg(msg, "cannot read inventory '%s': %s", path,
		    r == CN_ERR_IO ? strerror(e) : cn_strerror(r));
		return r;
	}
	switch (inventory_format_guess(path, text, len)) {
	case INVENTORY_JSON:
		root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		if (root == NULL) {
			inv_set_msg(msg, "inventory '%s': line %d column %d: %s",
			    path, jerr.line, jerr.column, jerr.text);
			r = CN_ERR_PARSE;
		}
		break;
	case INVENTORY_INI:
		r = ansible_to_json(INVENTORY_INI, text, len, path, &root, msg);
		break;
	case INVENTORY_YAML:
		r = ansible_to_json(INVENTORY_YAML, text, len, path, &root,
		    msg);
		break;
	}
	free(text);
	if (r != CN_OK)
		return r;
	r = inv_load_root(root, path, opts, out, msg);
	json_decref(root);
	return r;
}

void
inventory_destroy(struct inventory *inv)
{
	size_t i;

	if (inv == NULL)
		return;
	for (i = 0; i < inv->nhosts; i++)
		inv_host_free(inv->hosts[i]);
	free(inv->hosts);
	for (i = 0; i < inv->ngroups; i++) {
		free(inv->groups[i].name);
		free(inv->groups[i].members);
	}
	free(inv->groups);
	for (i = 0; i < inv->nprofiles; i++)
		json_decref(inv->profiles[i]);
	free(inv->profiles);
	json_decref(inv->root);
	free(inv->origin);
	free(inv->home);
	free(inv->ssh_config);
	free(inv);
}

size_t
inventory_count(const struct inventory *inv)
{
	return inv == NULL ? 0 : inv->nhosts;
}

const struct host *
inventory_get(const struct inventory *inv, size_t i)
{
	return inv == NULL || i >= inv->nhosts ? NULL : inv->hosts[i];
}

size_t
inventory_group_count(const struct inventory *inv)
{
	return inv == NULL ? 0 : inv->ngroups;
}

const char *
inventory_group_name(const struct inventory *inv, size_t i)
{
	return inv == NULL || i >= inv->ngroups ? NULL : inv->groups[i].name;
}

const struct host *
inventory_find(const struct inventory *inv, const char *name)
{
	size_t i;

	return inv != NULL && inv_host_index(inv, name, &i) ? inv->hosts[i] : NULL;
}

char *
inventory_default_path(const char *flag_path)
{
	const char *env = getenv("CNORCH_INVENTORY");
	char *home, *p;

	if (flag_path != NULL)
		return strdup(flag_path);
	if (env != NULL && *env != '\0')
		return strdup(env);
	if ((home = inv_get_home()) == NULL)
		return NULL;
	if (asprintf(&p, "%s/.config/cnorch/inventory.json", home) < 0)
		p = NULL;
	free(home);
	return p;
}

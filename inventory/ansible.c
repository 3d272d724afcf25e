/*
 * Ansible inventories to cnorch's inventory document (see ansible.h): the
 * model the INI and YAML parsers fill, host ranges, the format guess, and
 * the conversion that applies Ansible's variable precedence and maps
 * ansible_* and cnorch_* vars to cnorch's keys.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ansible.h"
#include "ansible_int.h"
#include "error.h"
#include "inventory_int.h"

#define MAX_DEPTH	64	/* children nesting; deeper is a cycle */
#define MAX_EXPAND	100000	/* hosts one range pattern may make */

int
am_init(struct amodel *m)
{
	m->groups = json_object();
	m->hosts = json_object();
	if (m->groups == NULL || m->hosts == NULL) {
		am_release(m);
		return CN_ERR_NOMEM;
	}
	return CN_OK;
}

void
am_release(struct amodel *m)
{
	if (m == NULL)
		return;
	json_decref(m->groups);
	json_decref(m->hosts);
	m->groups = m->hosts = NULL;
}

json_t *
am_group(struct amodel *m, const char *name)
{
	json_t *g = json_object_get(m->groups, name);

	if (g != NULL)
		return g;
	if ((g = json_pack("{s:[],s:[],s:{}}", "hosts", "children",
	    "vars")) == NULL || json_object_set_new(m->groups, name, g) != 0)
		return NULL;
	return g;
}

json_t *
am_host(struct amodel *m, const char *name)
{
	json_t *h = json_object_get(m->hosts, name);

	if (h != NULL)
		return h;
	if ((h = json_object()) == NULL ||
	    json_object_set_new(m->hosts, name, h) != 0)
		return NULL;
	return h;
}

/* Append s to the array arr unless it is there. */
static int
add_once(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return CN_OK;
	return json_array_append_new(arr, json_string(s)) == 0 ? CN_OK :
	    CN_ERR_NOMEM;
}

int
am_member(struct amodel *m, const char *group, const char *host)
{
	json_t *g;

	if (am_host(m, host) == NULL || (g = am_group(m, group)) == NULL)
		return CN_ERR_NOMEM;
	return add_once(json_object_get(g, "hosts"), host);
}

int
am_child(struct amodel *m, const char *parent, const char *child)
{
	json_t *g;

	if (am_group(m, child) == NULL || (g = am_group(m, parent)) == NULL)
		return CN_ERR_NOMEM;
	return add_once(json_object_get(g, "children"), child);
}

/* One "[a:b(:s)]" range at its '[': fills the bounds, returns its end. */
static const char *
parse_range(const char *p, char *lo, char *hi, long *step)
{
	const char *close = strchr(p, ']');
	char buf[64], *c1, *c2, *end;
	size_t n;

	if (close == NULL || (n = (size_t)(close - p - 1)) >= sizeof(buf))
		return NULL;
	memcpy(buf, p + 1, n);
	buf[n] = '\0';
	if ((c1 = strchr(buf, ':')) == NULL)
		return NULL;
	*c1++ = '\0';
	*step = 1;
	if ((c2 = strchr(c1, ':')) != NULL) {
		*c2++ = '\0';
		*step = strtol(c2, &end, 10);
		if (*c2 == '\0' || *end != '\0' || *step < 1)
			return NULL;
	}
	if (*buf == '\0' || *c1 == '\0' || strlen(buf) > 20 || strlen(c1) > 20)
		return NULL;
	strcpy(lo, buf);
	strcpy(hi, c1);
	return close + 1;
}

static int
all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
expand_into(const char *pattern, json_t *out, const char **why)
{
	const char *open = strchr(pattern, '['), *rest;
	char lo[24], hi[24], *buf = NULL, item[32];
	long a, b, step, i;
	size_t plen;
	int r = CN_OK, width;

	if (open == NULL)
		return json_array_append_new(out, json_string(pattern)) == 0 ?
		    CN_OK : CN_ERR_NOMEM;
	if ((rest = parse_range(open, lo, hi, &step)) == NULL) {
		*why = "malformed range (expected [01:09], [a:f] or [1:9:2])";
		return CN_ERR_INVALID;
	}
	if (all_digits(lo) && all_digits(hi)) {
		a = strtol(lo, NULL, 10);
		b = strtol(hi, NULL, 10);
		width = lo[0] == '0' && lo[1] != '\0' ? (int)strlen(lo) : 0;
	} else if (strlen(lo) == 1 && strlen(hi) == 1 &&
	    isalpha((unsigned char)lo[0]) && isalpha((unsigned char)hi[0])) {
		a = lo[0];
		b = hi[0];
		width = -1;
	} else {
		*why = "malformed range (expected [01:09], [a:f] or [1:9:2])";
		return CN_ERR_INVALID;
	}
	if (a > b || (b - a) / step >= MAX_EXPAND) {
		*why = "range start after its end, or too many hosts";
		return CN_ERR_INVALID;
	}
	plen = (size_t)(open - pattern);
	for (i = a; i <= b && r == CN_OK; i += step) {
		if (width < 0)
			snprintf(item, sizeof(item), "%c", (int)i);
		else
			snprintf(item, sizeof(item), "%0*ld", width, i);
		if (asprintf(&buf, "%.*s%s%s", (int)plen, pattern, item,
		    rest) < 0)
			return CN_ERR_NOMEM;
		r = expand_into(buf, out, why);
		free(buf);
		if (json_array_size(out) > MAX_EXPAND) {
			*why = "range start after its end, or too many hosts";
			return CN_ERR_INVALID;
		}
	}
	return r;
}

int
am_expand(const char *pattern, json_t **names, const char **why)
{
	json_t *out;
	int r;

	*names = NULL;
	*why = NULL;
	if ((out = json_array()) == NULL)
		return CN_ERR_NOMEM;
	if ((r = expand_into(pattern, out, why)) != CN_OK) {
		json_decref(out);
		return r;
	}
	*names = out;
	return CN_OK;
}

enum inventory_format
inventory_format_guess(const char *path, const char *text, size_t len)
{
	const char *ext = path != NULL ? strrchr(path, '.') : NULL;
	const char *p = text, *end = text + len, *eol, *q;

	if (ext != NULL && strchr(ext, '/') == NULL) {
		if (strcasecmp(ext, ".json") == 0)
			return INVENTORY_JSON;
		if (strcasecmp(ext, ".ini") == 0)
			return INVENTORY_INI;
		if (strcasecmp(ext, ".yml") == 0 || strcasecmp(ext, ".yaml") == 0)
			return INVENTORY_YAML;
	}
	/* The first line that is not blank or a comment decides. */
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		while (p < eol && isspace((unsigned char)*p))
			p++;
		if (p == eol || *p == '#' || *p == ';')
			continue;
		if (*p == '{')
			return INVENTORY_JSON;
		if (*p == '[') {
			for (q = eol; q > p && isspace((unsigned char)q[-1]); q--)
				;
			/* "[group]" is INI; "[1, 2]" or "[" is JSON. */
			return q[-1] == ']' && memchr(p, ',', (size_t)(q - p)) ==
			    NULL && q - p > 2 ? INVENTORY_INI : INVENTORY_JSON;
		}
		if (eol - p >= 3 && memcmp(p, "---", 3) == 0)
			return INVENTORY_YAML;
		for (q = p; q < eol && !isspace((unsigned char)*q) && *q != '=';
		    q++)
			if (*q == ':' && (q + 1 == eol ||
			    isspace((unsigned char)q[1])))
				return INVENTORY_YAML;
		return INVENTORY_INI;
	}
	return INVENTORY_JSON;
}

/* Ansible's connection vars and the cnorch key each stands for. */
static const struct {
	const char	*var;
	const char	*key;
} conn_vars[] = {
	{ "ansible_host",			"host" },
	{ "ansible_ssh_host",			"host" },
	{ "ansible_port",			"port" },
	{ "ansible_ssh_port",			"port" },
	{ "ansible_user",			"user" },
	{ "ansible_ssh_user",			"user" },
	{ "ansible_ssh_private_key_file",	"identity_file" },
	{ "ansible_private_key_file",		"identity_file" },
};

static const char *const password_vars[] = { "ansible_password",
    "ansible_ssh_pass", "ansible_ssh_password" };

/*
 * An INI value is text: "41234" must become a port, "true" a bool and
 * cnorch_pulls='[...]' a list.  Text that is JSON other than a string is
 * taken as that JSON; anything else stays text.
 */
static json_t *
typed(json_t *v)
{
	const char *s = json_string_value(v);
	json_t *j;

	if (s == NULL)
		return json_incref(v);
	if ((j = json_loads(s, JSON_DECODE_ANY, NULL)) != NULL) {
		if (!json_is_string(j))
			return j;
		json_decref(j);
	}
	if (strcmp(s, "True") == 0 || strcmp(s, "False") == 0)
		return json_boolean(s[0] == 'T');	/* Python's spelling */
	if (strcmp(s, "None") == 0)
		return json_null();
	return json_incref(v);
}

/*
 * Map one vars object (of host name, or of "all" when name is NULL) to
 * cnorch's keys in out.
 */
static int
map_vars(json_t *vars, const char *prefix, const char *name, json_t *out,
    char **msg)
{
	const char *var, *key;
	json_t *v, *t;
	size_t i;

	json_object_foreach(vars, var, v) {
		for (i = 0; i < sizeof(password_vars) /
		    sizeof(password_vars[0]); i++)
			if (strcmp(var, password_vars[i]) == 0) {
				inv_set_msg(msg, "%s: %s%s%s: %s: passwords are "
				    "never stored in the inventory: put it in "
				    "an environment variable and name that in "
				    "'cnorch_password_env'", prefix,
				    name != NULL ? "host '" : "all:vars",
				    name != NULL ? name : "",
				    name != NULL ? "'" : "", var);
				return CN_ERR_INVALID;
			}
		key = NULL;
		for (i = 0; i < sizeof(conn_vars) / sizeof(conn_vars[0]); i++)
			if (strcmp(var, conn_vars[i].var) == 0)
				key = conn_vars[i].key;
		if (key == NULL && strncmp(var, "cnorch_", 7) == 0)
			key = var + 7;
		if (key == NULL)
			continue;	/* Ansible's own business */
		/* A host or user is text even when it looks like a number. */
		if (strcmp(key, "host") == 0 || strcmp(key, "user") == 0)
			t = json_is_integer(v) ? json_sprintf("%"
			    JSON_INTEGER_FORMAT, json_integer_value(v)) :
			    json_incref(v);
		else
			t = typed(v);
		if (t == NULL || json_object_set_new(out, key, t) != 0)
			return CN_ERR_NOMEM;
	}
	return CN_OK;
}

/* Depth of each group below "all" (all = 0, its children 1, ...). */
static int
group_depths(struct amodel *m, json_t *depth, const char *prefix, char **msg)
{
	const char *name, *child;
	json_t *g, *c;
	size_t i;
	int changed = 1, rounds = 0;
	json_int_t d;

	json_object_foreach(m->groups, name, g)
		if (json_object_set_new(depth, name, json_integer(
		    strcmp(name, "all") == 0 ? 0 : 1)) != 0)
			return CN_ERR_NOMEM;
	/* Relax until stable: a child sits one below its deepest parent. */
	while (changed) {
		changed = 0;
		if (++rounds > MAX_DEPTH) {
			inv_set_msg(msg, "%s: groups nest too deep or form a cycle",
			    prefix);
			return CN_ERR_INVALID;
		}
		json_object_foreach(m->groups, name, g) {
			d = json_integer_value(json_object_get(depth, name));
			json_array_foreach(json_object_get(g, "children"), i,
			    c) {
				child = json_string_value(c);
				if (strcmp(child, "all") == 0) {
					inv_set_msg(msg, "%s: group '%s': 'all' "
					    "cannot be a child", prefix, name);
					return CN_ERR_INVALID;
				}
				if (json_integer_value(json_object_get(depth,
				    child)) < d + 1) {
					json_object_set_new(depth, child,
					    json_integer(d + 1));
					changed = 1;
				}
			}
		}
	}
	return CN_OK;
}

/* Does group (or a group below it) hold host?  Marks seen groups. */
static int
group_has(struct amodel *m, const char *group, const char *host, int level)
{
	json_t *g = json_object_get(m->groups, group), *v;
	size_t i;

	if (g == NULL || level > MAX_DEPTH)
		return 0;
	if (strcmp(group, "all") == 0)
		return 1;
	json_array_foreach(json_object_get(g, "hosts"), i, v)
		if (strcmp(json_string_value(v), host) == 0)
			return 1;
	json_array_foreach(json_object_get(g, "children"), i, v)
		if (group_has(m, json_string_value(v), host, level + 1))
			return 1;
	return 0;
}

struct gref {
	const char	*name;
	json_int_t	 depth;
};

/* Ansible's order: shallower groups first, then by name; later wins. */
static int
gref_cmp(const void *a, const void *b)
{
	const struct gref *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
convert_host(struct amodel *m, json_t *depth, const char *prefix,
    const char *host, json_t *hvars, json_t *hosts, char **msg)
{
	struct gref *refs = NULL;
	json_t *merged = NULL, *out = NULL, *g;
	const char *name;
	size_t n = 0, i;
	int r;

	if ((refs = calloc(json_object_size(m->groups) + 1,
	    sizeof(*refs))) == NULL || (merged = json_object()) == NULL ||
	    (out = json_object()) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	json_object_foreach(m->groups, name, g) {
		if (strcmp(name, "all") == 0 || !group_has(m, name, host, 0))
			continue;
		refs[n].name = name;
		refs[n++].depth = json_integer_value(json_object_get(depth,
		    name));
	}
	qsort(refs, n, sizeof(*refs), gref_cmp);
	for (i = 0; i < n; i++)
		if (json_object_update(merged, json_object_get(json_object_get(
		    m->groups, refs[i].name), "vars")) != 0) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	if (json_object_update(merged, hvars) != 0) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = map_vars(merged, prefix, host, out, msg)) != CN_OK)
		goto out;
	r = json_object_set(hosts, host, out) == 0 ? CN_OK : CN_ERR_NOMEM;
 out:
	json_decref(out);
	json_decref(merged);
	free(refs);
	return r;
}

/* cnorch's groups: every group but all, with the hosts below it. */
static int
convert_groups(struct amodel *m, json_t *groups)
{
	const char *name, *host;
	json_t *g, *members, *hv;

	json_object_foreach(m->groups, name, g) {
		if (strcmp(name, "all") == 0)
			continue;
		if ((members = json_array()) == NULL)
			return CN_ERR_NOMEM;
		json_object_foreach(m->hosts, host, hv)
			if (group_has(m, name, host, 0) &&
			    json_array_append_new(members,
			    json_string(host)) != 0) {
				json_decref(members);
				return CN_ERR_NOMEM;
			}
		/* Ansible's implicit group, only when someone is in it. */
		if (strcmp(name, "ungrouped") == 0 &&
		    json_array_size(members) == 0) {
			json_decref(members);
			continue;
		}
		if (json_object_set_new(groups, name, members) != 0)
			return CN_ERR_NOMEM;
	}
	return CN_OK;
}

static int
model_to_json(struct amodel *m, const char *prefix, json_t **out, char **msg)
{
	json_t *doc = NULL, *depth = NULL, *defaults, *hosts, *groups, *hv;
	const char *host;
	int r;

	*out = NULL;
	if ((doc = json_pack("{s:{},s:{},s:{}}", "defaults", "groups",
	    "hosts")) == NULL || (depth = json_object()) == NULL ||
	    am_group(m, "all") == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	defaults = json_object_get(doc, "defaults");
	groups = json_object_get(doc, "groups");
	hosts = json_object_get(doc, "hosts");
	if ((r = group_depths(m, depth, prefix, msg)) != CN_OK)
		goto out;
	if ((r = map_vars(json_object_get(json_object_get(m->groups, "all"),
	    "vars"), prefix, NULL, defaults, msg)) != CN_OK)
		goto out;
	json_object_foreach(m->hosts, host, hv)
		if ((r = convert_host(m, depth, prefix, host, hv, hosts,
		    msg)) != CN_OK)
			goto out;
	if ((r = convert_groups(m, groups)) != CN_OK)
		goto out;
	*out = doc;
	doc = NULL;
	r = CN_OK;
 out:
	json_decref(depth);
	json_decref(doc);
	return r;
}

int
ansible_to_json(enum inventory_format fmt, const char *text, size_t len,
    const char *origin, json_t **out, char **msg)
{
	struct amodel m;
	char *prefix = NULL;
	int r;

	*out = NULL;
	if (msg != NULL)
		*msg = NULL;
	if ((r = am_init(&m)) != CN_OK)
		return r;
	if (asprintf(&prefix, "inventory '%s'", origin) < 0) {
		prefix = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	r = fmt == INVENTORY_YAML ?
	    ansible_yaml_parse(text, len, prefix, &m, msg) :
	    ansible_ini_parse(text, len, prefix, &m, msg);
	if (r == CN_OK)
		r = model_to_json(&m, prefix, out, msg);
 out:
	if (r == CN_ERR_NOMEM)
		inv_set_msg(msg, "%s: %s", prefix != NULL ? prefix : "inventory",
		    cn_strerror(r));
	free(prefix);
	am_release(&m);
	return r;
}

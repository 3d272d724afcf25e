/*
 * Ansible's YAML inventory format into the Ansible model (ansible_int.h),
 * read with libyaml: top-level groups (usually "all"), each a mapping of
 * "hosts", "vars" and "children", scalars typed as PyYAML's YAML 1.1 does
 * (yes/no are booleans, 41234 an integer, ~ null).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "ansible_int.h"
#include "error.h"
#include "inventory_int.h"

#define MAX_NEST	64
#define MAX_NODES	1000000	/* aliases can multiply a small file */

struct ywalk {
	yaml_document_t	*doc;
	struct amodel	*m;
	const char	*prefix;
	char		**msg;
	size_t		 nodes;
	int		 bad_key;	/* a mapping key that is not a scalar */
};

static int
yerr(struct ywalk *w, int r, const char *path, const char *fmt, ...)
{
	char head[PATHBUF + 256];
	va_list ap;

	snprintf(head, sizeof(head), "%s: %s", w->prefix, path);
	va_start(ap, fmt);
	r = inv_vmsg(w->msg, r, head, fmt, ap);
	va_end(ap);
	return r;
}

static int
is_one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A plain scalar as YAML 1.1's core types (what PyYAML gives Ansible). */
static json_t *
plain_scalar(const char *s, size_t n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL",
	    NULL };
	static const char *const trues[] = { "true", "True", "TRUE", "yes",
	    "Yes", "YES", "on", "On", "ON", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", "no",
	    "No", "NO", "off", "Off", "OFF", NULL };
	const char *p = s;
	char *end;
	long long ll;
	double d;

	if (strlen(s) != n)
		return json_stringn(s, n);
	if (is_one_of(s, nulls))
		return json_null();
	if (is_one_of(s, trues))
		return json_true();
	if (is_one_of(s, falses))
		return json_false();
	if (*p == '-' || *p == '+')
		p++;
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '\0') {
			ll = strtoll(s, &end, 10);
			if (*end == '\0')
				return json_integer(ll);
		} else if (*p == '.') {
			d = strtod(s, &end);
			if (*end == '\0')
				return json_real(d);
		}
	}
	return json_stringn(s, n);
}

int
ay_plain_is_string(const char *s)
{
	json_t *v = plain_scalar(s, strlen(s));
	int r = json_is_string(v);

	json_decref(v);
	return r;
}

static json_t *
node_json(struct ywalk *w, yaml_node_t *node, int level)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *pair;
	yaml_node_t *k;
	json_t *out, *v;
	char *key;

	if (node == NULL || level > MAX_NEST || ++w->nodes > MAX_NODES)
		return NULL;
	switch (node->type) {
	case YAML_SCALAR_NODE:
		if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			return plain_scalar((const char *)node->data.scalar.value,
			    node->data.scalar.length);
		return json_stringn((const char *)node->data.scalar.value,
		    node->data.scalar.length);
	case YAML_SEQUENCE_NODE:
		if ((out = json_array()) == NULL)
			return NULL;
		for (it = node->data.sequence.items.start;
		    it < node->data.sequence.items.top; it++) {
			v = node_json(w, yaml_document_get_node(w->doc, *it),
			    level + 1);
			if (v == NULL || json_array_append_new(out, v) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	case YAML_MAPPING_NODE:
		if ((out = json_object()) == NULL)
			return NULL;
		for (pair = node->data.mapping.pairs.start;
		    pair < node->data.mapping.pairs.top; pair++) {
			k = yaml_document_get_node(w->doc, pair->key);
			if (k == NULL || k->type != YAML_SCALAR_NODE) {
				w->bad_key = 1;
				json_decref(out);
				return NULL;
			}
			key = (char *)k->data.scalar.value;
			v = node_json(w, yaml_document_get_node(w->doc,
			    pair->value), level + 1);
			if (v == NULL || json_object_set_new(out, key, v) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	default:
		return NULL;
	}
}

static int walk_group(struct ywalk *w, const char *name, json_t *g,
	    const char *path, int level);

static int
walk_hosts(struct ywalk *w, const char *group, json_t *hosts,
    const char *path)
{
	const char *pattern, *why;
	json_t *hv, *names = NULL, *n, *h;
	char *hpath = NULL;
	size_t i;
	int r = CN_OK;

	if (json_is_null(hosts))
		return CN_OK;
	if (!json_is_object(hosts))
		return yerr(w, CN_ERR_INVALID, path,
		    "expected a mapping of host names");
	json_object_foreach(hosts, pattern, hv) {
		if (asprintf(&hpath, "%s.%s", path, pattern) < 0)
			return CN_ERR_NOMEM;
		if (!json_is_null(hv) && !json_is_object(hv))
			r = yerr(w, CN_ERR_INVALID, hpath,
			    "expected a mapping of vars or nothing");
		else if ((r = am_expand(pattern, &names, &why)) ==
		    CN_ERR_INVALID)
			r = yerr(w, CN_ERR_INVALID, hpath, "%s", why);
		json_array_foreach(r == CN_OK ? names : NULL, i, n) {
			if ((r = am_member(w->m, group,
			    json_string_value(n))) != CN_OK)
				break;
			h = am_host(w->m, json_string_value(n));
			if (h == NULL || (json_is_object(hv) &&
			    json_object_update(h, hv) != 0)) {
				r = CN_ERR_NOMEM;
				break;
			}
		}
		json_decref(names);
		names = NULL;
		free(hpath);
		if (r != CN_OK)
			return r;
	}
	return CN_OK;
}

static int
walk_group(struct ywalk *w, const char *name, json_t *g, const char *path,
    int level)
{
	const char *key, *child;
	json_t *v, *c, *gm;
	char *kpath = NULL, *cpath = NULL;
	int r = CN_OK;

	if (level > MAX_NEST)
		return yerr(w, CN_ERR_INVALID, path, "groups nest too deep");
	if ((gm = am_group(w->m, name)) == NULL)
		return CN_ERR_NOMEM;
	if (json_is_null(g))
		return CN_OK;
	if (!json_is_object(g))
		return yerr(w, CN_ERR_INVALID, path, "expected a mapping with "
		    "'hosts', 'vars' or 'children'");
	json_object_foreach(g, key, v) {
		if (asprintf(&kpath, "%s.%s", path, key) < 0)
			return CN_ERR_NOMEM;
		if (strcmp(key, "hosts") == 0)
			r = walk_hosts(w, name, v, kpath);
		else if (strcmp(key, "vars") == 0) {
			if (json_is_object(v))
				r = json_object_update(json_object_get(gm,
				    "vars"), v) == 0 ? CN_OK : CN_ERR_NOMEM;
			else if (!json_is_null(v))
				r = yerr(w, CN_ERR_INVALID, kpath,
				    "expected a mapping of vars");
		} else if (strcmp(key, "children") == 0) {
			if (!json_is_null(v) && !json_is_object(v))
				r = yerr(w, CN_ERR_INVALID, kpath,
				    "expected a mapping of groups");
			json_object_foreach(json_is_object(v) && r == CN_OK ?
			    v : NULL, child, c) {
				if (strcmp(child, name) == 0 ||
				    strcmp(child, "all") == 0) {
					r = yerr(w, CN_ERR_INVALID, kpath,
					    "group '%s' cannot be a child here",
					    child);
					break;
				}
				if ((r = am_child(w->m, name, child)) != CN_OK)
					break;
				if (asprintf(&cpath, "%s.%s", kpath, child) < 0) {
					r = CN_ERR_NOMEM;
					break;
				}
				r = walk_group(w, child, c, cpath, level + 1);
				free(cpath);
				if (r != CN_OK)
					break;
			}
		} else
			r = yerr(w, CN_ERR_INVALID, kpath, "unknown key "
			    "(expected 'hosts', 'vars' or 'children')");
		free(kpath);
		if (r != CN_OK)
			return r;
	}
	return CN_OK;
}

int
ansible_yaml_parse(const char *text, size_t len, const char *prefix,
    struct amodel *m, char **msg)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ywalk w;
	yaml_node_t *rootn;
	json_t *root = NULL, *g;
	const char *name;
	int r, have_doc = 0;

	memset(&w, 0, sizeof(w));
	w.m = m;
	w.prefix = prefix;
	w.msg = msg;
	w.doc = &doc;
	if (!yaml_parser_initialize(&parser))
		return CN_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (msg != NULL && *msg == NULL && asprintf(msg, "%s: line %zu "
		    "column %zu: %s%s%s", prefix, parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1, parser.problem != NULL ?
		    parser.problem : "malformed YAML", parser.context != NULL ?
		    " " : "", parser.context != NULL ? parser.context : "") < 0)
			*msg = NULL;
		r = parser.error == YAML_MEMORY_ERROR ? CN_ERR_NOMEM :
		    CN_ERR_PARSE;
		goto out;
	}
	have_doc = 1;
	if ((rootn = yaml_document_get_root_node(&doc)) == NULL) {
		r = CN_OK;	/* an empty file: no hosts */
		goto out;
	}
	if ((root = node_json(&w, rootn, 0)) == NULL) {
		r = w.bad_key ? yerr(&w, CN_ERR_INVALID, "(top)", "a mapping "
		    "key that is not plain text") : w.nodes > MAX_NODES ?
		    yerr(&w, CN_ERR_INVALID, "(top)", "too many nodes "
		    "(aliases?)") : CN_ERR_NOMEM;
		goto out;
	}
	if (json_is_null(root)) {
		r = CN_OK;
		goto out;
	}
	if (!json_is_object(root)) {
		r = yerr(&w, CN_ERR_INVALID, "(top)",
		    "expected a mapping of groups (such as 'all:')");
		goto out;
	}
	json_object_foreach(root, name, g)
		if ((r = walk_group(&w, name, g, name, 0)) != CN_OK)
			goto out;
	r = CN_OK;
 out:
	json_decref(root);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

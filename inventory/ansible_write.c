/*
 * cnorch's inventory written as an Ansible YAML inventory (for `cnorch
 * hosts --ansible`), with libyaml's emitter: defaults become all's vars,
 * hosts all's hosts, groups all's children; host, port, user and
 * identity_file become ansible_* vars, every other key cnorch_KEY (lists
 * and objects as JSON text), so ansible.c reads it back to the same hosts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "ansible_int.h"
#include "error.h"
#include "inventory_int.h"

static const struct {
	const char	*key;
	const char	*var;
} to_ansible[] = {
	{ "host",		"ansible_host" },
	{ "port",		"ansible_port" },
	{ "user",		"ansible_user" },
	{ "identity_file",	"ansible_ssh_private_key_file" },
};

static int
scalar(yaml_emitter_t *e, const char *s, int quote)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)s, (int)strlen(s), 1, 1, quote ?
	    YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE))
		return 0;
	return yaml_emitter_emit(e, &ev);
}

/* Text: plain unless a reader would take it for a number, bool or null. */
static int
text(yaml_emitter_t *e, const char *s)
{
	return scalar(e, s, !ay_plain_is_string(s));
}

static int
map_start(yaml_emitter_t *e)
{
	yaml_event_t ev;

	return yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE) && yaml_emitter_emit(e, &ev);
}

static int
map_end(yaml_emitter_t *e)
{
	yaml_event_t ev;

	return yaml_mapping_end_event_initialize(&ev) &&
	    yaml_emitter_emit(e, &ev);
}

static int
value(yaml_emitter_t *e, json_t *v)
{
	char buf[64], *js;
	int ok;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return text(e, json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return scalar(e, buf, 0);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return scalar(e, buf, 0);
	case JSON_TRUE:
		return scalar(e, "true", 0);
	case JSON_FALSE:
		return scalar(e, "false", 0);
	case JSON_NULL:
		return scalar(e, "null", 0);
	default:
		if ((js = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
		    NULL)
			return 0;
		ok = scalar(e, js, 1);
		free(js);
		return ok;
	}
}

/* One host's (or the defaults') keys as Ansible vars. */
static int
vars(yaml_emitter_t *e, json_t *obj)
{
	const char *key, *var;
	char name[256];
	json_t *v;
	size_t i;

	if (!map_start(e))
		return 0;
	json_object_foreach(obj, key, v) {
		var = NULL;
		for (i = 0; i < sizeof(to_ansible) / sizeof(to_ansible[0]); i++)
			if (strcmp(key, to_ansible[i].key) == 0 &&
			    !json_is_null(v))
				var = to_ansible[i].var;
		if (var == NULL) {
			snprintf(name, sizeof(name), "cnorch_%s", key);
			var = name;
		}
		if (!scalar(e, var, 0) || !value(e, v))
			return 0;
	}
	return map_end(e);
}

/* name is among names[0..n), or names is NULL (everything). */
static int
chosen(const char *name, const char *const *names, size_t n)
{
	size_t i;

	if (names == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* How many of group g's members are chosen. */
static size_t
chosen_members(json_t *g, const char *const *names, size_t n)
{
	json_t *m;
	size_t i, k = 0;

	json_array_foreach(g, i, m)
		if (json_is_string(m) &&
		    chosen(json_string_value(m), names, n))
			k++;
	return k;
}

static int
emit_all(yaml_emitter_t *e, json_t *root, const char *const *names,
    size_t n)
{
	json_t *defaults = json_object_get(root, "defaults");
	json_t *hosts = json_object_get(root, "hosts");
	json_t *groups = json_object_get(root, "groups"), *h, *g, *m;
	const char *name;
	yaml_event_t ev;
	size_t i, nh = 0, ng = 0;

	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(e, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0) ||
	    !yaml_emitter_emit(e, &ev) || !map_start(e) ||
	    !scalar(e, "all", 0) || !map_start(e))
		return 0;
	if (json_object_size(defaults) > 0 &&
	    (!scalar(e, "vars", 0) || !vars(e, defaults)))
		return 0;
	json_object_foreach(hosts, name, h)
		nh += chosen(name, names, n);
	json_object_foreach(groups, name, g)
		ng += chosen_members(g, names, n) > 0;
	if (nh > 0) {
		if (!scalar(e, "hosts", 0) || !map_start(e))
			return 0;
		json_object_foreach(hosts, name, h)
			if (chosen(name, names, n) &&
			    (!text(e, name) || !vars(e, h)))
				return 0;
		if (!map_end(e))
			return 0;
	}
	/* A group keeps its chosen members; one with none is left out (an
	 * empty group would read back as "matches no hosts"). */
	if (ng > 0) {
		if (!scalar(e, "children", 0) || !map_start(e))
			return 0;
		json_object_foreach(groups, name, g) {
			if (chosen_members(g, names, n) == 0)
				continue;
			if (!text(e, name) || !map_start(e) ||
			    !scalar(e, "hosts", 0) || !map_start(e))
				return 0;
			json_array_foreach(g, i, m)
				if (chosen(json_string_value(m), names, n) &&
				    (!text(e, json_string_value(m)) ||
				    !scalar(e, "null", 0)))
					return 0;
			if (!map_end(e) || !map_end(e))
				return 0;
		}
		if (!map_end(e))
			return 0;
	}
	return map_end(e) && map_end(e) &&
	    yaml_document_end_event_initialize(&ev, 1) &&
	    yaml_emitter_emit(e, &ev) && yaml_stream_end_event_initialize(&ev) &&
	    yaml_emitter_emit(e, &ev);
}

int
inventory_write_ansible(const struct inventory *inv, FILE *fp, char **msg)
{
	return inventory_write_ansible_hosts(inv, NULL, 0, fp, msg);
}

int
inventory_write_ansible_hosts(const struct inventory *inv,
    const char *const *names, size_t n, FILE *fp, char **msg)
{
	yaml_emitter_t e;
	int ok;

	if (msg != NULL)
		*msg = NULL;
	if (!yaml_emitter_initialize(&e))
		return CN_ERR_NOMEM;
	yaml_emitter_set_output_file(&e, fp);
	yaml_emitter_set_unicode(&e, 1);
	ok = emit_all(&e, inv->root, names, n) && yaml_emitter_flush(&e);
	if (!ok)
		inv_set_msg(msg, "cannot write inventory '%s' as Ansible YAML: "
		    "%s", inv->origin, e.problem != NULL ? e.problem :
		    "write error");
	yaml_emitter_delete(&e);
	return ok ? CN_OK : e.error == YAML_MEMORY_ERROR ? CN_ERR_NOMEM :
	    CN_ERR_IO;
}

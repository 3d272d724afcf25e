/*
 * Ansible's INI inventory format into the Ansible model (ansible_int.h):
 * "[group]" host lines with key=value vars, "[group:vars]" and
 * "[group:children]" sections, hosts before any section in "ungrouped",
 * shell-like quoting on host lines, '#' and ';' comments.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ansible_int.h"
#include "error.h"
#include "inventory_int.h"

enum section { S_HOSTS, S_VARS, S_CHILDREN };

struct ini {
	struct amodel	*m;
	const char	*prefix;
	char		**msg;
	size_t		 lineno;
	char		 group[256];
	enum section	 kind;
};

static int
ierr(struct ini *p, const char *fmt, ...)
{
	char head[512];
	va_list ap;
	int r;

	snprintf(head, sizeof(head), "%s: line %zu", p->prefix, p->lineno);
	va_start(ap, fmt);
	r = inv_vmsg(p->msg, CN_ERR_PARSE, head, fmt, ap);
	va_end(ap);
	return r;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "[name]", "[name:vars]", "[name:children]". */
static int
section(struct ini *p, char *line)
{
	char *end = strrchr(line, ']'), *colon, *name;

	if (end == NULL || trim(end + 1)[0] != '\0')
		return ierr(p, "expected ']' to end the section name");
	*end = '\0';
	name = trim(line + 1);
	p->kind = S_HOSTS;
	if ((colon = strchr(name, ':')) != NULL) {
		*colon++ = '\0';
		if (strcmp(colon, "vars") == 0)
			p->kind = S_VARS;
		else if (strcmp(colon, "children") == 0)
			p->kind = S_CHILDREN;
		else
			return ierr(p, "unknown section kind ':%s' (expected "
			    "':vars' or ':children')", colon);
	}
	name = trim(name);
	if (*name == '\0' || strlen(name) >= sizeof(p->group))
		return ierr(p, "expected a group name between '[' and ']'");
	strcpy(p->group, name);
	return am_group(p->m, name) != NULL ? CN_OK : CN_ERR_NOMEM;
}

/* "key=value" into vars; the value's quotes removed. */
static int
set_var(struct ini *p, json_t *vars, const char *word)
{
	const char *eq = strchr(word, '=');
	char key[256];

	if (eq == NULL || eq == word || (size_t)(eq - word) >= sizeof(key))
		return ierr(p, "expected key=value, not '%s'", word);
	memcpy(key, word, (size_t)(eq - word));
	key[eq - word] = '\0';
	if (json_object_set_new(vars, trim(key), json_string(eq + 1)) != 0)
		return CN_ERR_NOMEM;
	return CN_OK;
}

/* The ':' of a "name:port" pattern, or NULL. */
static char *
port_colon(char *pattern)
{
	char *p, *colon = NULL;
	int depth = 0, n = 0;

	for (p = pattern; *p != '\0'; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		else if (*p == ':' && depth == 0) {
			colon = p;
			n++;
		}
	}
	if (n != 1 || colon[1] == '\0')
		return NULL;
	for (p = colon + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return NULL;
	return colon;
}

/* A host line: "pattern[:port] key=value...". */
static int
host_line(struct ini *p, char *line)
{
	char word[4096], pattern[1024], *colon;
	const char *s = line;
	json_t *names = NULL, *vars = NULL, *v, *h;
	const char *why;
	size_t i;
	int r, w;

	if ((w = inv_word(&s, pattern, sizeof(pattern), 1)) <= 0)
		return w < 0 ? ierr(p, "unterminated quote") : CN_OK;
	if ((vars = json_object()) == NULL)
		return CN_ERR_NOMEM;
	/* "host:2222": one ':' outside ranges (so not IPv6), digits after. */
	if ((colon = port_colon(pattern)) != NULL) {
		*colon++ = '\0';
		if (json_object_set_new(vars, "ansible_port",
		    json_string(colon)) != 0) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	while ((w = inv_word(&s, word, sizeof(word), 1)) > 0)
		if ((r = set_var(p, vars, word)) != CN_OK)
			goto out;
	if (w < 0) {
		r = ierr(p, "unterminated quote");
		goto out;
	}
	if ((r = am_expand(pattern, &names, &why)) != CN_OK) {
		if (r == CN_ERR_INVALID)
			r = ierr(p, "host '%s': %s", pattern, why);
		goto out;
	}
	json_array_foreach(names, i, v) {
		if ((r = am_member(p->m, p->group, json_string_value(v))) !=
		    CN_OK)
			goto out;
		h = am_host(p->m, json_string_value(v));
		if (h == NULL || json_object_update(h, vars) != 0) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	r = CN_OK;
 out:
	json_decref(names);
	json_decref(vars);
	return r;
}

/*
 * "key=value" in a [group:vars] section: the value is the rest of the
 * line, its surrounding quotes removed (Ansible reads these as text).
 */
static int
vars_line(struct ini *p, char *line)
{
	char *eq, *val;
	json_t *g;
	size_t n;

	if ((eq = strchr(line, '=')) == NULL || eq == line)
		return ierr(p, "expected key=value in [%s:vars]", p->group);
	*eq = '\0';
	val = trim(eq + 1);
	n = strlen(val);
	if (n >= 2 && (val[0] == '"' || val[0] == '\'') &&
	    val[n - 1] == val[0]) {
		val[n - 1] = '\0';
		val++;
	}
	if (*trim(line) == '\0')
		return ierr(p, "expected key=value in [%s:vars]", p->group);
	if ((g = am_group(p->m, p->group)) == NULL ||
	    json_object_set_new(json_object_get(g, "vars"), trim(line),
	    json_string(val)) != 0)
		return CN_ERR_NOMEM;
	return CN_OK;
}

static int
one_line(struct ini *p, char *line)
{

	line = trim(line);
	if (*line == '\0' || *line == '#' || *line == ';')
		return CN_OK;
	if (*line == '[')
		return section(p, line);
	switch (p->kind) {
	case S_VARS:
		return vars_line(p, line);
	case S_CHILDREN:
		if (strpbrk(line, " \t=") != NULL)
			return ierr(p, "expected a group name in [%s:children]",
			    p->group);
		if (strcmp(line, p->group) == 0)
			return ierr(p, "group '%s' cannot be its own child",
			    line);
		return am_child(p->m, p->group, line);
	case S_HOSTS:
		return host_line(p, line);
	}
	return CN_OK;
}

int
ansible_ini_parse(const char *text, size_t len, const char *prefix,
    struct amodel *m, char **msg)
{
	struct ini p;
	const char *s = text, *end = text + len, *eol;
	char *line;
	int r = CN_OK;

	memset(&p, 0, sizeof(p));
	p.m = m;
	p.prefix = prefix;
	p.msg = msg;
	strcpy(p.group, "ungrouped");
	p.kind = S_HOSTS;
	for (; s < end && r == CN_OK; s = eol + 1) {
		p.lineno++;
		if ((eol = memchr(s, '\n', (size_t)(end - s))) == NULL)
			eol = end;
		if (memchr(s, '\0', (size_t)(eol - s)) != NULL)
			return ierr(&p, "NUL byte");
		if ((line = strndup(s, (size_t)(eol - s))) == NULL)
			return CN_ERR_NOMEM;
		r = one_line(&p, line);
		free(line);
	}
	return r;
}

/*
 * script: the builder every box script is made with (see script.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "script.h"
#include "session.h"

struct script {
	char	*text;
	size_t	 len;
	FILE	*fp;
	bool	 bad;
};

struct script *
script_create(void)
{
	struct script *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->fp = open_memstream(&s->text, &s->len)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
script_destroy(struct script *s)
{
	if (s == NULL)
		return;
	if (s->fp != NULL)
		fclose(s->fp);
	free(s->text);
	free(s);
}

char *
script_finish(struct script *s)
{
	char *r;

	if (s == NULL)
		return NULL;
	if (fclose(s->fp) != 0)
		s->bad = true;
	s->fp = NULL;
	r = s->bad ? NULL : s->text;
	if (r != NULL)
		s->text = NULL;
	script_destroy(s);
	return r;
}

static void
put(struct script *s, const char *p, size_t n)
{
	if (s == NULL || s->bad)
		return;
	if (n > 0 && fwrite(p, 1, n, s->fp) != n)
		s->bad = true;
}

static void
puts_(struct script *s, const char *p)
{
	put(s, p, strlen(p));
}

void
script_code_literal(struct script *s, const char *literal)
{
	puts_(s, literal);
}

void
script_code_embedded(struct script *s, const char *text, size_t len)
{
	put(s, text, len);
}

void
script_word(struct script *s, const char *value)
{
	const char *p, *q;

	if (s == NULL)
		return;
	if (value == NULL) {
		s->bad = true;
		return;
	}
	put(s, "'", 1);
	for (p = value; (q = strchr(p, '\'')) != NULL; p = q + 1) {
		put(s, p, (size_t)(q - p));
		put(s, "'\\''", 4);
	}
	puts_(s, p);
	put(s, "'", 1);
}

void
script_arg(struct script *s, const char *value)
{
	put(s, " ", 1);
	script_word(s, value);
}

static bool
plain(const char *w, const char *extra)
{
	const char *p;

	if (w == NULL || w[0] == '\0')
		return false;
	for (p = w; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(extra, *p) != NULL))
			return false;
	return true;
}

static bool
identifier(const char *name)
{
	return plain(name, "_") && !(name[0] >= '0' && name[0] <= '9');
}

void
script_opt(struct script *s, const char *opt, const char *value)
{
	if (s == NULL || value == NULL || value[0] == '\0')
		return;
	if (!plain(opt, "-")) {
		s->bad = true;
		return;
	}
	put(s, " ", 1);
	puts_(s, opt);
	script_arg(s, value);
}

void
script_int(struct script *s, long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", v);
	puts_(s, num);
}

void
script_path(struct script *s, const char *path)
{
	const char *rest = NULL;

	if (s == NULL)
		return;
	if (path == NULL) {
		s->bad = true;
		return;
	}
	if (strcmp(path, "~") == 0 || strcmp(path, "$HOME") == 0) {
		puts_(s, "\"$HOME\"");
		return;
	}
	if (strncmp(path, "~/", 2) == 0)
		rest = path + 1;
	else if (strncmp(path, "$HOME/", 6) == 0)
		rest = path + 5;
	else if (strncmp(path, "${HOME}/", 8) == 0)
		rest = path + 7;
	if (rest == NULL) {
		script_word(s, path);
		return;
	}
	puts_(s, "\"$HOME\"");
	script_word(s, rest);
}

/* "$HOME/REL/"'name'[/'file']. */
static void
under(struct script *s, const char *rel, const char *name, const char *file)
{
	puts_(s, "\"$HOME/");
	puts_(s, rel);
	puts_(s, "/\"");
	script_word(s, name);
	if (file != NULL) {
		put(s, "/", 1);
		script_word(s, file);
	}
}

void
script_payload_path(struct script *s, const char *payload_id,
    const char *file)
{
	under(s, CNORCH_PAYLOAD_REL, payload_id, file);
}

void
script_job_path(struct script *s, const char *job_id, const char *file)
{
	under(s, CNORCH_JOBS_REL, job_id, file);
}

void
script_assign(struct script *s, const char *name)
{
	if (s == NULL)
		return;
	if (!identifier(name)) {
		s->bad = true;
		return;
	}
	puts_(s, name);
	put(s, "=", 1);
}

void
script_let(struct script *s, const char *name, const char *value)
{
	script_assign(s, name);
	script_word(s, value);
	put(s, "\n", 1);
}

void
script_let_int(struct script *s, const char *name, long long v)
{
	script_assign(s, name);
	script_int(s, v);
	put(s, "\n", 1);
}

void
script_export(struct script *s, const char *name, const char *value)
{
	if (s == NULL)
		return;
	if (!identifier(name)) {
		s->bad = true;
		return;
	}
	if (value == NULL) {
		puts_(s, "unset ");
		puts_(s, name);
		put(s, "\n", 1);
		return;
	}
	script_let(s, name, value);
	puts_(s, "export ");
	puts_(s, name);
	put(s, "\n", 1);
}

char *
script_with_timeout(const char *cmd, int timeout_s, int kill_after_s)
{
	struct script *s;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "timeout -k ");
	script_int(s, kill_after_s);
	script_code(s, " ");
	script_int(s, timeout_s);
	script_code(s, " \"${SHELL:-/bin/sh}\" -c");
	script_arg(s, cmd);
	return script_finish(s);
}

int
script_exec(struct session *s, const char *shell, const char *script,
    struct buf *out, struct buf *err, int *status, int timeout_s, char **msg)
{
	int r;

	r = session_exec(s, shell, script, strlen(script), out, err, status,
	    timeout_s);
	if (r != CN_OK && msg != NULL)
		cn_msg(msg, "%s", session_errmsg(s));
	return r;
}

int
script_run(struct session *s, const char *script, struct buf *out,
    int *status, int timeout_s, char **msg)
{
	struct buf err = { 0 };
	int r;

	r = script_exec(s, "sh -s", script, out, &err, status, timeout_s, msg);
	if (r == CN_OK && err.len > 0 && *status != 0)
		r = buf_append(out, err.data, err.len);
	buf_release(&err);
	return r;
}

char *
kv_get(const char *out, size_t len, const char *key)
{
	const char *p = out, *end = out + len, *nl, *val = NULL;
	size_t klen = strlen(key), vlen = 0;
	char *r;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > klen && memcmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			val = p + klen + 1;
			vlen = (size_t)(nl - val);
			if (vlen > 0 && val[vlen - 1] == '\r')
				vlen--;
		}
		p = nl + 1;
	}
	if (val == NULL)
		return NULL;
	if ((r = malloc(vlen + 1)) == NULL)
		return NULL;
	memcpy(r, val, vlen);
	r[vlen] = '\0';
	return r;
}

int
first_line_len(const char *data, size_t len)
{
	size_t i;

	if (data == NULL)
		return 0;
	for (i = 0; i < len && i < 300; i++)
		if (data[i] == '\n')
			break;
	return (int)i;
}

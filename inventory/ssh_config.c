/*
 * A small reader for ~/.ssh/config, following OpenSSH's readconf.c for the
 * four values the inventory takes from it (see ssh_config.h).
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "ssh_config.h"

#define MAX_INCLUDE_DEPTH	16	/* as READCONF_MAX_DEPTH in OpenSSH */

struct lookup {
	const char		*home;
	const char		*alias;
	struct ssh_config_entry	*e;
	char			*idfile;	/* first IdentityFile, raw */
	char			**msg;
	/* Listing mode (alias NULL): the concrete names seen. */
	char			**names;
	size_t			 nnames;
};

static int
fail(struct lookup *l, int r, const char *path, unsigned long line,
    const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (l->msg != NULL && *l->msg == NULL && text != NULL) {
		if (line > 0) {
			if (asprintf(l->msg, "ssh config '%s' line %lu: %s",
			    path, line, text) < 0)
				*l->msg = NULL;
		} else if (asprintf(l->msg, "%s", text) < 0)
			*l->msg = NULL;
	}
	free(text);
	return r;
}

/* ssh_config's patterns: '*' and '?' only, case-insensitive. */
static int
match_glob(const char *s, const char *p)
{
	for (;;) {
		if (*p == '\0')
			return *s == '\0';
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return 1;
			for (; *s != '\0'; s++)
				if (match_glob(s, p))
					return 1;
			return 0;
		}
		if (*s == '\0')
			return 0;
		if (*p != '?' && tolower((unsigned char)*p) !=
		    tolower((unsigned char)*s))
			return 0;
		s++;
		p++;
	}
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Split the next argument off *sp in place, as OpenSSH's argv_split():
 * quotes group, a backslash escapes a quote, a backslash or (unquoted) a
 * space, and an unquoted '#' starting an argument ends the line.  Returns
 * 1 with *tok set, 0 at the end, -1 for an unterminated quote.
 */
static int
next_arg(char **sp, char **tok)
{
	char *s = *sp, *d;
	char q = 0;

	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == '#') {
		*sp = s;
		return 0;
	}
	*tok = d = s;
	for (; *s != '\0'; s++) {
		if (q == 0 && is_space(*s))
			break;
		if (*s == '\\' && (s[1] == '\\' || s[1] == '"' ||
		    s[1] == '\'' || (q == 0 && s[1] == ' '))) {
			*d++ = *++s;
			continue;
		}
		if (q == 0 && (*s == '"' || *s == '\'')) {
			q = *s;
			continue;
		}
		if (q != 0 && *s == q) {
			q = 0;
			continue;
		}
		*d++ = *s;
	}
	if (q != 0)
		return -1;
	if (*s != '\0')
		s++;
	*d = '\0';
	*sp = s;
	return 1;
}

/*
 * Expand %-tokens: %h, %n (alias) and %d (home) when given, %% as %;
 * other tokens stay as written (we only need the common ones).  With
 * tilde, a leading ~ or ~/ becomes home.
 */
static char *
expand(const char *s, const char *h, const char *alias, const char *home,
    int tilde)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&out, &len)) == NULL)
		return NULL;
	if (tilde && s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		fputs(home, fp);
		s++;
	}
	for (; *s != '\0'; s++) {
		if (*s != '%' || s[1] == '\0') {
			fputc(*s, fp);
			continue;
		}
		s++;
		if (*s == '%')
			fputc('%', fp);
		else if (*s == 'h' && h != NULL)
			fputs(h, fp);
		else if (*s == 'n' && alias != NULL)
			fputs(alias, fp);
		else if (*s == 'd' && home != NULL)
			fputs(home, fp);
		else {
			fputc('%', fp);
			fputc(*s, fp);
		}
	}
	if (fclose(fp) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int	read_file(struct lookup *l, const char *path, int depth,
		    int *active, int nevermatch);

static int
include(struct lookup *l, const char *path, unsigned long line,
    const char *arg, int depth, int *active, int nevermatch)
{
	glob_t g;
	char *pat = NULL;
	size_t i;
	int oactive = *active, r, gr;

	if (depth + 1 > MAX_INCLUDE_DEPTH)
		return fail(l, CN_ERR_PARSE, path, line,
		    "includes nested too deeply");
	if (arg[0] == '~' && (arg[1] == '/' || arg[1] == '\0'))
		r = asprintf(&pat, "%s%s", l->home, arg + 1);
	else if (arg[0] == '/')
		r = asprintf(&pat, "%s", arg);
	else	/* the user's config: relative to ~/.ssh, as ssh does */
		r = asprintf(&pat, "%s/.ssh/%s", l->home, arg);
	if (r < 0)
		return CN_ERR_NOMEM;
	memset(&g, 0, sizeof(g));
	gr = glob(pat, 0, NULL, &g);
	free(pat);
	if (gr == GLOB_NOMATCH) {
		globfree(&g);
		return CN_OK;
	}
	if (gr != 0) {
		globfree(&g);
		return fail(l, gr == GLOB_NOSPACE ? CN_ERR_NOMEM : CN_ERR_IO,
		    path, line, "cannot expand include '%s'", arg);
	}
	r = CN_OK;
	for (i = 0; i < g.gl_pathc && r == CN_OK; i++) {
		/*
		 * An Include inside a Host block that does not match
		 * includes nothing: every Host line in it never matches.
		 */
		r = read_file(l, g.gl_pathv[i], depth + 1, active,
		    nevermatch || !oactive);
		*active = oactive;
	}
	globfree(&g);
	return r;
}

static int
add_name(struct lookup *l, const char *name)
{
	char **n;
	size_t i;

	for (i = 0; i < l->nnames; i++)
		if (strcasecmp(l->names[i], name) == 0)
			return CN_OK;
	if ((n = reallocarray(l->names, l->nnames + 1, sizeof(*n))) == NULL)
		return CN_ERR_NOMEM;
	l->names = n;
	if ((n[l->nnames] = strdup(name)) == NULL)
		return CN_ERR_NOMEM;
	l->nnames++;
	return CN_OK;
}

static int
host_line(struct lookup *l, const char *path, unsigned long line, char *s,
    int *active, int nevermatch)
{
	char *arg;
	int n = 0, matched = 0, negated = 0, concrete = 0, neg, a, r;

	while ((a = next_arg(&s, &arg)) == 1) {
		n++;
		neg = arg[0] == '!';
		if (l->alias == NULL) {
			if (!neg && strpbrk(arg, "*?") == NULL &&
			    (r = add_name(l, arg)) != CN_OK)
				return r;
			continue;
		}
		if (!match_glob(l->alias, arg + neg))
			continue;
		if (neg)
			negated = 1;
		else {
			matched = 1;
			if (strpbrk(arg, "*?") == NULL)
				concrete = 1;
		}
	}
	if (a < 0)
		return fail(l, CN_ERR_PARSE, path, line, "unterminated quote");
	if (n == 0)
		return fail(l, CN_ERR_PARSE, path, line,
		    "Host needs at least one pattern");
	*active = !nevermatch && matched && !negated;
	if (*active && concrete)
		l->e->concrete = true;
	return CN_OK;
}

static int
set_string(struct lookup *l, char **dst, const char *arg, int is_hostname)
{
	if (*dst != NULL)
		return CN_OK;		/* the first value obtained wins */
	*dst = is_hostname ? expand(arg, l->alias, NULL, NULL, 0) :
	    strdup(arg);
	return *dst == NULL ? CN_ERR_NOMEM : CN_OK;
}

static int
config_line(struct lookup *l, const char *path, unsigned long line,
    char *s, int depth, int *active, int nevermatch)
{
	char *kw, *arg, *end;
	long v;
	int a, r;

	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return CN_OK;
	/* "Keyword value", "Keyword=value" or "Keyword = value". */
	kw = s;
	s += strcspn(s, " \t\r\n=");
	if (*s == '=')
		*s++ = '\0';
	else if (*s != '\0') {
		*s++ = '\0';
		while (is_space(*s))
			s++;
		if (*s == '=')
			s++;
	}

	if (strcasecmp(kw, "host") == 0)
		return host_line(l, path, line, s, active, nevermatch);
	if (strcasecmp(kw, "match") == 0) {
		*active = 0;	/* cannot evaluate Match: skip the block */
		return CN_OK;
	}
	if (strcasecmp(kw, "include") == 0) {
		r = CN_OK;
		while (r == CN_OK && (a = next_arg(&s, &arg)) == 1)
			r = include(l, path, line, arg, depth, active,
			    nevermatch);
		if (r == CN_OK && a < 0)
			r = fail(l, CN_ERR_PARSE, path, line,
			    "unterminated quote");
		return r;
	}
	if (strcasecmp(kw, "hostname") != 0 && strcasecmp(kw, "port") != 0 &&
	    strcasecmp(kw, "user") != 0 && strcasecmp(kw, "identityfile") != 0 &&
	    strcasecmp(kw, "hostkeyalias") != 0)
		return CN_OK;		/* not ours */

	if ((a = next_arg(&s, &arg)) < 0)
		return fail(l, CN_ERR_PARSE, path, line, "unterminated quote");
	if (a == 0)
		return fail(l, CN_ERR_PARSE, path, line, "%s needs a value",
		    kw);
	if (strcasecmp(kw, "port") == 0) {
		/* OpenSSH rejects a bad Port even in a block not taken. */
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || *end != '\0' || end == arg || v < 1 ||
		    v > 65535)
			return fail(l, CN_ERR_PARSE, path, line,
			    "bad port '%s'", arg);
		if (*active && l->e->port == 0)
			l->e->port = (int)v;
		return CN_OK;
	}
	if (!*active)
		return CN_OK;
	if (strcasecmp(kw, "hostname") == 0)
		return set_string(l, &l->e->hostname, arg, 1);
	if (strcasecmp(kw, "user") == 0)
		return set_string(l, &l->e->user, arg, 0);
	if (strcasecmp(kw, "hostkeyalias") == 0)
		return set_string(l, &l->e->host_key_alias, arg, 0);
	return set_string(l, &l->idfile, arg, 0);
}

static int
read_file(struct lookup *l, const char *path, int depth, int *active,
    int nevermatch)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int r = CN_OK;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && depth == 0)
			return CN_OK;	/* no config is an empty config */
		return fail(l, CN_ERR_IO, path, 0,
		    "cannot read ssh config '%s': %s", path, strerror(errno));
	}
	while (r == CN_OK && getline(&line, &cap, fp) != -1) {
		lineno++;
		r = config_line(l, path, lineno, line, depth, active,
		    nevermatch);
	}
	if (r == CN_OK && ferror(fp))
		r = fail(l, CN_ERR_IO, path, 0,
		    "cannot read ssh config '%s': %s", path, strerror(errno));
	free(line);
	fclose(fp);
	return r;
}

int
ssh_config_lookup(const char *path, const char *home, const char *alias,
    struct ssh_config_entry *out, char **msg)
{
	struct lookup l;
	int active = 1, r;

	memset(out, 0, sizeof(*out));
	if (msg != NULL)
		*msg = NULL;
	if (path == NULL || *path == '\0')
		return CN_OK;
	if (home == NULL && (home = getenv("HOME")) == NULL)
		home = "";
	memset(&l, 0, sizeof(l));
	l.home = home;
	l.alias = alias;
	l.e = out;
	l.msg = msg;
	if ((r = read_file(&l, path, 0, &active, 0)) != CN_OK)
		goto out;
	if (l.idfile != NULL) {
		out->identity_file = expand(l.idfile, out->hostname != NULL ?
		    out->hostname : alias, alias, home, 1);
		if (out->identity_file == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	r = CN_OK;
 out:
	free(l.idfile);
	return r;
}

void
ssh_config_entry_release(struct ssh_config_entry *e)
{
	if (e == NULL)
		return;
	free(e->hostname);
	free(e->user);
	free(e->identity_file);
	free(e->host_key_alias);
	memset(e, 0, sizeof(*e));
}

int
ssh_config_names(const char *path, const char *home, char ***names,
    size_t *n, char **msg)
{
	struct ssh_config_entry e;
	struct lookup l;
	int active = 1, r;

	*names = NULL;
	*n = 0;
	if (msg != NULL)
		*msg = NULL;
	if (path == NULL || *path == '\0')
		return CN_OK;
	if (home == NULL && (home = getenv("HOME")) == NULL)
		home = "";
	memset(&e, 0, sizeof(e));
	memset(&l, 0, sizeof(l));
	l.home = home;
	l.e = &e;
	l.msg = msg;
	if ((r = read_file(&l, path, 0, &active, 0)) != CN_OK)
		goto out;
	*names = l.names;
	*n = l.nnames;
	l.names = NULL;
	l.nnames = 0;
	r = CN_OK;
 out:
	ssh_config_names_free(l.names, l.nnames);
	ssh_config_entry_release(&e);
	free(l.idfile);
	return r;
}

void
ssh_config_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

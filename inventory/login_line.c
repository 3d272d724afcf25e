/*
 * Login-line parsing for `cnorch add` and the platform guess from a host
 * name (see login_line.h).  Only what ssh(1) options mean for where and
 * as whom to connect is kept; the rest is skipped or refused by name.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "inventory_int.h"
#include "login_line.h"
#include "validate.h"

#define MAX_WORDS	64

/* ssh(1) flags that take no argument, and options whose argument we skip. */
static const char no_arg[] = "46AaCfGgKkMNnqsTtVvXxYy";
static const char skip_arg[] = "BbcDEeFIJLmOQRSWw";

static int
lerr(char **msg, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = inv_vmsg(msg, CN_ERR_INVALID, "login line", fmt, ap);
	va_end(ap);
	return r;
}

/* Split line into shell-like words; -1 on a bad quote or too many. */
static int
split(const char *line, char **words, size_t *n, char *buf)
{
	const char *s = line;
	size_t left = strlen(line) + MAX_WORDS + 1, len;
	int w;

	*n = 0;
	while ((w = inv_word(&s, buf, left, 0)) > 0) {
		if (*n == MAX_WORDS)
			return -1;
		words[(*n)++] = buf;
		len = strlen(buf) + 1;
		buf += len;
		left -= len;
	}
	return w;
}

static int
set_str(char **dst, const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		return CN_ERR_NOMEM;
	free(*dst);
	*dst = p;
	return CN_OK;
}

static int
set_port(struct login *out, const char *s, char **msg)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > 65535 ||
	    !isdigit((unsigned char)*s))
		return lerr(msg, "invalid port '%s' (expected 1-65535)", s);
	out->port = (int)v;
	return CN_OK;
}

/* -o Key=Value (or "Key Value"): only Port, User and IdentityFile matter. */
static int
option_o(struct login *out, const char *kv, char **msg)
{
	const char *v = kv + strcspn(kv, "= \t");
	size_t klen = (size_t)(v - kv);

	while (*v == '=' || *v == ' ' || *v == '\t')
		v++;
	if (klen == 4 && strncasecmp(kv, "Port", 4) == 0)
		return set_port(out, v, msg);
	if (klen == 4 && strncasecmp(kv, "User", 4) == 0)
		return set_str(&out->user, v);
	if (klen == 12 && strncasecmp(kv, "IdentityFile", 12) == 0)
		return set_str(&out->identity_file, v);
	return CN_OK;
}

/* One option word at words[*i] (its argument may be the next word). */
static int
option(struct login *out, char **words, size_t n, size_t *i, char **msg)
{
	const char *w = words[*i], *arg, *f;
	char c = w[1];

	if (strchr("pliO", c) != NULL || strchr(skip_arg, c) != NULL ||
	    c == 'o') {
		if (w[2] != '\0')
			arg = w + 2;
		else if (*i + 1 < n)
			arg = words[++*i];
		else
			return lerr(msg, "option '-%c' needs a value", c);
		switch (c) {
		case 'p':
			return set_port(out, arg, msg);
		case 'l':
			return set_str(&out->user, arg);
		case 'i':
			return set_str(&out->identity_file, arg);
		case 'o':
			return option_o(out, arg, msg);
		default:
			return CN_OK;	/* forwards, jump hosts: not ours */
		}
	}
	for (f = w + 1; *f != '\0'; f++)
		if (strchr(no_arg, *f) == NULL)
			return lerr(msg, "unknown option '%s'", w);
	return CN_OK;
}

/* "[user@]host" or "ssh://[user@]host[:port]" ("[v6]:port" too). */
static int
destination(struct login *out, const char *d, char **msg)
{
	char *copy = NULL, *at, *host, *port = NULL, *end;
	int url = strncasecmp(d, "ssh://", 6) == 0, r;

	if ((copy = strdup(url ? d + 6 : d)) == NULL)
		return CN_ERR_NOMEM;
	if (url && (end = strchr(copy, '/')) != NULL) {
		if (end[1] != '\0') {
			r = lerr(msg, "unexpected path in '%s'", d);
			goto out;
		}
		*end = '\0';
	}
	host = copy;
	if ((at = strrchr(copy, '@')) != NULL) {
		*at = '\0';
		if ((r = set_str(&out->user, copy)) != CN_OK)
			goto out;
		host = at + 1;
	}
	if (url && host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL) {
			r = lerr(msg, "unterminated '[' in '%s'", d);
			goto out;
		}
		*end = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			r = lerr(msg, "unexpected '%s' after ']'", end + 1);
			goto out;
		}
		host++;
	} else if (url && (end = strrchr(host, ':')) != NULL) {
		*end = '\0';
		port = end + 1;
	} else if (!url && strchr(host, ':') != NULL &&
	    strchr(strchr(host, ':') + 1, ':') == NULL) {
		r = lerr(msg, "'%s': ssh takes the port as -p PORT or "
		    "ssh://host:PORT", d);
		goto out;
	}
	if (port != NULL && (r = set_port(out, port, msg)) != CN_OK)
		goto out;
	if (!valid_address(host)) {
		r = lerr(msg, "invalid host '%s'", host);
		goto out;
	}
	if (out->user != NULL && !valid_user(out->user)) {
		r = lerr(msg, "invalid user '%s'", out->user);
		goto out;
	}
	r = set_str(&out->host, host);
 out:
	free(copy);
	return r;
}

int
login_parse(const char *line, struct login *out, char **msg)
{
	char *words[MAX_WORDS], *buf = NULL;
	size_t n, i;
	const char *dest = NULL;
	int r, opts = 1;

	memset(out, 0, sizeof(*out));
	if (msg != NULL)
		*msg = NULL;
	if ((buf = malloc(strlen(line) + MAX_WORDS + 1)) == NULL)
		return CN_ERR_NOMEM;
	if (split(line, words, &n, buf) < 0) {
		r = lerr(msg, "unterminated quote or too many words");
		goto out;
	}
	i = n > 0 && strcmp(words[0], "ssh") == 0 ? 1 : 0;
	for (; i < n; i++) {
		if (opts && strcmp(words[i], "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && words[i][0] == '-' && words[i][1] != '\0') {
			if ((r = option(out, words, n, &i, msg)) != CN_OK)
				goto out;
			continue;
		}
		if (dest != NULL) {
			r = lerr(msg, "unexpected '%s' after the destination "
			    "'%s' (a remote command?)", words[i], dest);
			goto out;
		}
		dest = words[i];
	}
	if (dest == NULL) {
		r = lerr(msg, "no destination (expected [user@]host or "
		    "ssh://user@host:port)");
		goto out;
	}
	r = destination(out, dest, msg);
 out:
	free(buf);
	return r;
}

void
login_release(struct login *l)
{
	if (l == NULL)
		return;
	free(l->user);
	free(l->host);
	free(l->identity_file);
	memset(l, 0, sizeof(*l));
}

/* The domains platforms give their boxes, and whose they are. */
static const struct {
	const char	*domain;
	const char	*platform;
} domains[] = {
	{ "autodl.com",		"autodl" },
	{ "autodl.art",		"autodl" },
	{ "seetacloud.com",	"autodl" },	/* AutoDL's connect.* hosts */
	{ "featurize.cn",	"featurize" },
	{ "gpushare.com",	"gpushare" },
	{ "matpool.com",	"matpool" },
	{ "matpool.net",	"matpool" },
};

const char *
platform_guess(const char *hostname)
{
	size_t i, hl, dl;

	if (hostname == NULL)
		return NULL;
	hl = strlen(hostname);
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		dl = strlen(domains[i].domain);
		if (strcasecmp(hostname, domains[i].domain) == 0 ||
		    (hl > dl && hostname[hl - dl - 1] == '.' &&
		    strcasecmp(hostname + hl - dl, domains[i].domain) == 0))
			return domains[i].platform;
	}
	if (strcasestr(hostname, "featurize") != NULL)
		return "featurize";
	return NULL;
}

#include <stdlib.h>
#include <string.h>

#include "shquote.h"

char *
sh_quote(const char *s)
{
	size_t n = 2, i;
	char *q, *p;

	for (i = 0; s[i] != '\0'; i++)
		n += s[i] == '\'' ? 4 : 1;
	if ((q = malloc(n + 1)) == NULL)
		return NULL;
	p = q;
	*p++ = '\'';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = s[i];
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

char *
sh_path(const char *path)
{
	const char *rest = NULL;
	char *q, *r;
	size_t n;

	if (strcmp(path, "~") == 0 || strcmp(path, "$HOME") == 0)
		return strdup("\"$HOME\"");
	if (strncmp(path, "~/", 2) == 0)
		rest = path + 1;
	else if (strncmp(path, "$HOME/", 6) == 0)
		rest = path + 5;
	else if (strncmp(path, "${HOME}/", 8) == 0)
		rest = path + 7;
	if (rest == NULL)
		return sh_quote(path);
	if ((q = sh_quote(rest)) == NULL)
		return NULL;
	n = strlen(q) + 8;
	if ((r = malloc(n)) != NULL) {
		memcpy(r, "\"$HOME\"", 7);
		memcpy(r + 7, q, strlen(q) + 1);
	}
	free(q);
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

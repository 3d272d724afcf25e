/* Credential redaction of URLs, alone or inside text (redact.h). */
#include <stdlib.h>
#include <string.h>

#include "redact.h"

/* Where a URL's authority ends; inside text also at a quote or space. */
#define AUTHORITY_END		"/?#"
#define AUTHORITY_END_TEXT	"/?#'\"<>` \t\r\n"

/*
 * From a (just after "://"): the length of the authority's userinfo
 * including its '@', or 0 if none.
 */
static size_t
userinfo_len(const char *a, const char *stop)
{
	size_t end = strcspn(a, stop), i, at = 0;

	/* The last '@' of the authority: a password may hold one
	 * unescaped. */
	for (i = 0; i < end; i++)
		if (a[i] == '@')
			at = i + 1;
	return at;
}

char *
cn_redact_text(const char *s)
{
	const char *p, *q;
	char *out, *o;
	size_t n;

	if (s == NULL)
		return NULL;
	/* "***@" is never longer than what it replaces plus 4 bytes per
	 * URL, and every URL needs at least 4 bytes ("://" and '@'). */
	if ((out = malloc(2 * strlen(s) + 1)) == NULL)
		return NULL;
	o = out;
	for (p = s; (q = strstr(p, "://")) != NULL; p = q) {
		q += 3;
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		if ((n = userinfo_len(q, AUTHORITY_END_TEXT)) > 0) {
			memcpy(o, "***@", 4);
			o += 4;
			q += n;
		}
	}
	strcpy(o, p);
	return out;
}

char *
cn_url_redact(const char *s)
{
	const char *a;
	char *out;
	size_t n, pre;

	if (s == NULL)
		return NULL;
	if ((a = strstr(s, "://")) == NULL)
		return strdup(s);
	a += 3;
	/* The whole of s is one URL: only '/', '?' and '#' end it. */
	if ((n = userinfo_len(a, AUTHORITY_END)) == 0)
		return strdup(s);
	pre = (size_t)(a - s);
	if ((out = malloc(pre + 4 + strlen(a + n) + 1)) == NULL)
		return NULL;
	memcpy(out, s, pre);
	memcpy(out + pre, "***@", 4);
	strcpy(out + pre + 4, a + n);
	return out;
}

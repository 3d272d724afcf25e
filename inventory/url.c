/*
 * URL syntax checks and credential redaction (see url.h).  Only the parts
 * the inventory cares about are looked at: the scheme, the authority's
 * userinfo and the characters a shell or a config file could trip on.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redact.h"
#include "url.h"

bool
url_ok(const char *s, const char *const *schemes, size_t nschemes)
{
	const char *rest = NULL;
	size_t i, n;

	if (s == NULL)
		return false;
	for (i = 0; i < nschemes && rest == NULL; i++) {
		n = strlen(schemes[i]);
		if (strncasecmp(s, schemes[i], n) == 0)
			rest = s + n;
	}
	if (rest == NULL || *rest == '\0' || *rest == '/')
		return false;
	for (; *rest != '\0'; rest++)
		if (!isgraph((unsigned char)*rest) ||
		    strchr("\"'`\\<>{}|^", *rest) != NULL)
			return false;
	return true;
}

bool
url_http_ok(const char *s)
{
	static const char *const http[] = { "http://", "https://" };

	return url_ok(s, http, 2);
}

/*
 * The authority after "scheme://": its start in *a and the offset of the
 * '@' that ends its userinfo, or 0 if none.
 */
static size_t
userinfo_end(const char *s, const char **a)
{
	const char *p = strstr(s, "://"), *end, *at;

	*a = NULL;
	if (p == NULL)
		return 0;
	*a = p + 3;
	end = *a + strcspn(*a, "/?#");
	/* The last '@' of the authority: a password may hold one unescaped. */
	for (at = NULL, p = *a; p < end; p++)
		if (*p == '@')
			at = p;
	return at != NULL ? (size_t)(at - *a) + 1 : 0;
}

bool
url_has_credentials(const char *s)
{
	const char *a;

	return s != NULL && userinfo_end(s, &a) > 0;
}

/* One redaction for both binaries: common/redact.c. */
char *
url_redact(const char *s)
{
	return cn_url_redact(s);
}

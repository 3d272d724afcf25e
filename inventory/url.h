/*
 * URL checks for the inventory's mirrors and proxies, and url_redact() for
 * showing a URL that may carry credentials (`hosts --json`, logs).
 */
#ifndef CN_URL_H
#define CN_URL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * s starts with one of the nschemes schemes ("https://", case-insensitive),
 * has something after it that does not start with '/', and contains only
 * printable characters other than "'`\<>{}|^ and space.
 */
bool	url_ok(const char *s, const char *const *schemes, size_t nschemes);

/* "http://" or "https://". */
bool	url_http_ok(const char *s);

/* s has a user or user:password part ("scheme://user:pass@host"). */
bool	url_has_credentials(const char *s);

/*
 * A malloc'd copy of s with its "user:pass@" (or "user@") part replaced by
 * "***@"; s itself when it carries none.  NULL for NULL or out of memory.
 * The caller frees.
 */
char	*url_redact(const char *s);

#endif

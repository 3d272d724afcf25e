/*
 * Building shell scripts for the box: quoting and key=value output.
 * Scripts are sent on stdin to `sh -s` so nothing secret lands in argv.
 *
 * Who frees: every returned string is malloc'd; the caller frees it.
 */
#ifndef CN_SHQUOTE_H
#define CN_SHQUOTE_H

#include <stddef.h>

/* s quoted for a POSIX shell: '...' with ' as '\''.  NULL on ENOMEM. */
char	*sh_quote(const char *s);

/*
 * A path as a shell word that the box's shell expands: a leading "~" or
 * "~/" or "$HOME" becomes "$HOME" (double-quoted), the rest is quoted
 * literally.  E.g. ~/autodl-tmp -> "$HOME"'/autodl-tmp'.
 */
char	*sh_path(const char *path);

/*
 * Find key in key=value lines of out[0..len); returns a malloc'd copy of
 * the value of its last occurrence, or NULL if absent (or ENOMEM).
 */
char	*kv_get(const char *out, size_t len, const char *key);

#endif

/*
 * Shell-like word splitting for Ansible INI host lines and ssh login
 * lines: one rule for quotes and backslashes in both (see inventory_int.h).
 */
#include <ctype.h>
#include <stddef.h>

#include "inventory_int.h"

int
inv_word(const char **sp, char *out, size_t outlen, int comments)
{
	const char *s = *sp;
	size_t n = 0;
	char q = 0;

	while (isspace((unsigned char)*s))
		s++;
	*sp = s;
	if (*s == '\0' || (comments && *s == '#'))
		return 0;
	for (; *s != '\0' && (q != 0 || !isspace((unsigned char)*s)); s++) {
		if (q == 0 && (*s == '"' || *s == '\''))
			q = *s;
		else if (q != 0 && *s == q)
			q = 0;
		else if (q != '\'' && *s == '\\' && s[1] != '\0') {
			if (n + 1 < outlen)
				out[n++] = *++s;
			else
				s++;
		} else if (n + 1 < outlen)
			out[n++] = *s;
	}
	if (outlen > 0)
		out[n] = '\0';
	*sp = s;
	return q != 0 ? -1 : 1;
}

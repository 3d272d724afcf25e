/*
 * Include/exclude globs (see glob.h).  fnmatch(3) without FNM_PATHNAME or
 * FNM_PERIOD is Python's fnmatch: '*' crosses '/', leading dots match;
 * FNM_NOESCAPE because Python has no escape character.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "pathglob.h"

bool
glob_match(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);
	char *p;
	bool m;

	if (n == 0 || pattern[n - 1] != '/')
		return fnmatch(pattern, path, FNM_NOESCAPE) == 0;
	/* a trailing slash means everything below (huggingface_hub
	 * _add_wildcard_to_directories appends a star) */
	if ((p = malloc(n + 2)) == NULL)
		return false;
	memcpy(p, pattern, n);
	p[n] = '*';
	p[n + 1] = '\0';
	m = fnmatch(p, path, FNM_NOESCAPE) == 0;
	free(p);
	return m;
}

bool
glob_keep(const char *path, const char *const *include, size_t ninclude,
    const char *const *exclude, size_t nexclude)
{
	size_t i;
	bool in = ninclude == 0;

	for (i = 0; !in && i < ninclude; i++)
		in = glob_match(include[i], path);
	if (!in)
		return false;
	for (i = 0; i < nexclude; i++)
		if (glob_match(exclude[i], path))
			return false;
	return true;
}

/*
 * Where the caches and the jobs are by default, for cmd_cache.c,
 * cmd_gc.c and cmd_cacheverify.c (cachecmd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cachecmd.h"

static char *
from_env(const char *given, const char *var, const char *sub)
{
	const char *v;
	char *s;

	if (given != NULL)
		return strdup(given);
	if ((v = getenv(var)) == NULL || *v == '\0')
		return NULL;
	if (sub == NULL)
		return strdup(v);
	if (asprintf(&s, "%s/%s", v, sub) < 0)
		return NULL;
	return s;
}

char *
cachecmd_hf_dir(const char *given)
{
	char *s = from_env(given, "HF_HUB_CACHE", NULL);

	return s != NULL ? s : from_env(NULL, "HF_HOME", "hub");
}

char *
cachecmd_ms_dir(const char *given)
{
	return from_env(given, "MODELSCOPE_CACHE", NULL);
}

char *
cachecmd_jobs_dir(const char *given)
{
	return from_env(given, "HOME", ".cnorch/jobs");
}

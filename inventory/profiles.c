/*
 * The compiled-in platform profiles (inventory/profiles/NAME.json, made
 * into profiles_gen.h at build time): their names and JSON text.
 */
#include <stdio.h>
#include <string.h>

#include "inventory_int.h"
#include "profiles_gen.h"

#define NPROFILES	(sizeof(builtin_profiles) / sizeof(builtin_profiles[0]))

size_t
inv_profile_count(void)
{
	return NPROFILES;
}

const char *
inv_profile_name(size_t i)
{
	return i < NPROFILES ? builtin_profiles[i].name : NULL;
}

const char *
inv_profile_json(size_t i)
{
	return i < NPROFILES ? builtin_profiles[i].json : NULL;
}

int
inv_profile_index(const char *name)
{
	size_t i;

	for (i = 0; i < NPROFILES; i++)
		if (strcmp(builtin_profiles[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "autodl, featurize, ..." for messages. */
void
inv_known_platforms(char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < NPROFILES && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i > 0 ? ", " : "", builtin_profiles[i].name);
}

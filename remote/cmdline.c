/*
 * What every cnorch-agent subcommand shares: exit code mapping and the
 * "no abbreviations" rule for long options.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "error.h"

int
agent_exit_code(int r)
{
	switch (r) {
	case CN_OK:
		return AGENT_EXIT_OK;
	case CN_ERR_USAGE:
	case CN_ERR_INVALID:
		return AGENT_EXIT_USAGE;
	case CN_ERR_NOT_FOUND:
	case CN_ERR_ACCESS:
		return AGENT_EXIT_NOTFOUND;
	case CN_ERR_NOSPACE:
		return AGENT_EXIT_NOSPACE;
	case CN_ERR_LOCKED:
		return AGENT_EXIT_LOCKED;
	case CN_ERR_PARSE:
	case CN_ERR_UNSAFE_PATH:
	case CN_ERR_PROTOCOL:
		return AGENT_EXIT_BADHUB;
	case CN_ERR_INTERRUPTED:
		return AGENT_EXIT_STOPPED;
	default:
		return AGENT_EXIT_FAIL;
	}
}

int
cmd_exact_options(int argc, char **argv, const struct option *longopts)
{
	const struct option *o;
	size_t n;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		n = strcspn(argv[i] + 2, "=");
		for (o = longopts; o->name != NULL; o++)
			if (strlen(o->name) == n &&
			    strncmp(o->name, argv[i] + 2, n) == 0)
				break;
		if (o->name == NULL) {
			fprintf(stderr, "error: unknown option '%.*s'\n",
			    (int)n + 2, argv[i]);
			return CN_ERR_USAGE;
		}
		/* The value of "--opt VALUE" is not an option. */
		if (o->has_arg == required_argument && argv[i][n + 2] == '\0')
			i++;
	}
	return CN_OK;
}

/*
 * cnorch-agent: the box side.  Subcommands: pull, status, stop, verify.
 */
#include <stdio.h>
#include <string.h>

#include "agent_version.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: cnorch-agent (pull|status|stop|verify) [options]\n"
	    "       cnorch-agent --version\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		agent_print_version(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

/*
 * cnorch: set up rented GPU boxes in China and pull model weights onto
 * them.  main() parses the global options and hands the command to
 * cmd_run() (cmd.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void
usage(FILE *fp)
{
	const struct cmd_entry *const *c;

	fprintf(fp, "usage: cnorch [-i INVENTORY] [--forks N] [--json] "
	    "[-q|-v] COMMAND [TARGET] [ARGS]\n\ncommands:\n");
	for (c = cmd_table; *c != NULL; c++)
		fprintf(fp, "   %s\n", (*c)->synopsis);
	fprintf(fp, "\n'cnorch COMMAND --help' says more about each.\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "inventory",	required_argument,	NULL, 'i' },
		{ "forks",	required_argument,	NULL, 'f' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	struct cmd_ctx ctx = { .forks = 0 };
	const struct cmd_entry *e;
	char *vargv[] = { (char *)"version", NULL };
	char *end;
	int ch;

	/* '+': stop at the subcommand so its own options stay its own. */
	while ((ch = getopt_long(argc, argv, "+i:qvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			ctx.inventory_path = optarg;
			break;
		case 'f':
			ctx.forks = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || ctx.forks < 1 || ctx.forks > 1024) {
				fprintf(stderr, "error: --forks: expected an "
				    "integer 1-1024, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'q':
			ctx.verbosity = -1;
			break;
		case 'v':
			ctx.verbosity++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			return cmd_run(cmd_find("version"), &ctx, 1, vargv);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((e = cmd_find(argv[0])) == NULL) {
		fprintf(stderr, "error: '%s' is not a cnorch command; see "
		    "'cnorch --help'\n", argv[0]);
		return EXIT_USAGE;
	}
	return cmd_run(e, &ctx, argc, argv);
}

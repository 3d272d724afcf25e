/*
 * Subcommands of cnorch: one file each (cmd_<name>.c) exporting a
 * struct cmd_entry; main.c keeps the table (after tmux's cmd-*.c).
 */
#ifndef CN_CMD_H
#define CN_CMD_H

#include <stdbool.h>

/* Exit codes (DESIGN.md): 3 wins over 1. */
#define EXIT_OK			0
#define EXIT_REMOTE		1	/* a remote step failed on some host */
#define EXIT_USAGE		2	/* usage error or invalid inventory */
#define EXIT_UNREACHABLE	3	/* connect, auth or host key failed */

#define CMD_NEEDS_INVENTORY	0x1	/* load the inventory before exec */

/* Global options, parsed by main.c before the subcommand. */
struct cmd_ctx {
	const char	*inventory_path;	/* resolved -i / env / default */
	int		 forks;
	bool		 json;
	int		 verbosity;		/* -1 quiet, 0 normal, 1+ verbose */
	struct inventory *inv;			/* when CMD_NEEDS_INVENTORY */
};

struct cmd_entry {
	const char	*name;
	const char	*usage;
	int		 flags;
	/* argv[0] is the subcommand name; returns an EXIT_* code. */
	int		(*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

#endif

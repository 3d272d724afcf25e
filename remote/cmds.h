/*
 * Subcommands of cnorch-agent, one file each (cmd_<name>.c); main.c
 * keeps the table.  Each takes its own argv (argv[0] is the subcommand
 * name), parses it with getopt from optind = 1, and returns an exit code.
 */
#ifndef CN_CMDS_H
#define CN_CMDS_H

#include <stdbool.h>

/*
 * Exit codes of cnorch-agent (also in its usage text).  The laptop maps
 * them back; keep the numbers stable.
 */
#define AGENT_EXIT_OK		0	/* everything asked for is done */
#define AGENT_EXIT_FAIL		1	/* a download or verification failed */
#define AGENT_EXIT_USAGE	2	/* bad command line */
#define AGENT_EXIT_NOTFOUND	3	/* repo/revision/file/job not found, or
					 * access denied (token needed) */
#define AGENT_EXIT_NOSPACE	4	/* not enough free space */
#define AGENT_EXIT_LOCKED	5	/* another agent holds the repo lock */
#define AGENT_EXIT_BADHUB	6	/* hub answered garbage or unsafe
					 * paths */
#define AGENT_EXIT_STOPPED	7	/* stopped by SIGTERM/SIGINT/stop */

int	cmd_pull(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_stop(int argc, char **argv);
int	cmd_verify(int argc, char **argv);
int	cmd_plan(int argc, char **argv);	/* cmd_plan.c (planner) */
int	cmd_probe(int argc, char **argv);	/* cmd_probe.c */
int	cmd_cache(int argc, char **argv);	/* cmd_cache.c */
int	cmd_gc(int argc, char **argv);		/* cmd_gc.c */
/* verify over whole caches (no --repo / --local-dir): cmd_cacheverify.c */
int	cmd_cacheverify(int argc, char **argv);
bool	cmd_cacheverify_wanted(int argc, char **argv);

struct option;

/* CN_ERR_* of a failed pull/verify as one of the exit codes above. */
int	agent_exit_code(int r);

/*
 * getopt_long accepts unambiguous prefixes ("--tok" for "--token-file");
 * commands that change the box take names exactly.  Call before getopt:
 * CN_ERR_USAGE (after printing why) for any long option not spelled out.
 */
int	cmd_exact_options(int argc, char **argv, const struct option *longopts);

#endif

/*
 * Subcommands of cnorch-agent, one file each (cmd_<name>.c).  A command
 * is a descriptor (struct agent_cmd: name, synopsis, option table) and a
 * run function; main.c keeps the list, parses nothing itself and turns
 * the run function's CN_ERR_* into the exit code (agent_exit_code), the
 * only place that does.  Options are parsed by agent_parse() from the
 * descriptor (long names exact, -h/--help everywhere, one usage line).
 */
#ifndef CN_CMDS_H
#define CN_CMDS_H

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

#include "plan.h"

struct option;
struct agent_cmd;

/*
 * A command's run function: argv[0] is the command name.  Returns CN_OK
 * or a CN_ERR_* (after printing the one-line error); CN_ERR_AGAIN means
 * "nothing more to do" (--help printed) and exits 0.
 */
typedef int	(*agent_run_fn)(const struct agent_cmd *self, int argc,
		    char **argv);

struct agent_cmd {
	const char	*name;
	const char	*summary;	/* one line for cnorch-agent --help */
	/* What follows "usage: cnorch-agent " (continuation lines start
	 * with spaces); printed on every usage error. */
	const char	*synopsis;
	const char	*help;		/* option notes for --help, or NULL */
	const char	*shortopts;	/* getopt's, e.g. "j:x:"; -h is added */
	const struct option *options;	/* long options; --help is added */
	agent_run_fn	 run;
};

extern const struct agent_cmd agent_cmd_pull, agent_cmd_status,
    agent_cmd_stop, agent_cmd_verify, agent_cmd_plan, agent_cmd_probe,
    agent_cmd_cache, agent_cmd_gc;

struct json_t;

/* One compact JSON line on stdout (what --json prints); o (may be NULL)
 * is stolen. */
void	agent_print_json(struct json_t *o);

/* CN_ERR_* as one of the exit codes above: the only mapping. */
int	agent_exit_code(int r);

/*
 * Called by agent_parse() for each option: ch is the option's val, v its
 * argument (NULL when it takes none).  Returns CN_OK, or the result of
 * agent_usage() for a bad value.
 */
typedef int	(*agent_opt_fn)(const struct agent_cmd *c, int ch,
		    const char *v, void *arg);

/*
 * Parse argv by c's option table: long options must be spelled out (no
 * prefixes: commands that change the box take names exactly), "--" ends
 * the options, -h/--help prints usage and help to stdout and returns
 * CN_ERR_AGAIN.  *first gets the index of the first operand.  Returns
 * CN_OK, CN_ERR_AGAIN, CN_ERR_USAGE (printed), CN_ERR_NOMEM, or what fn
 * returned.
 */
int	agent_parse(const struct agent_cmd *c, int argc, char **argv,
	    agent_opt_fn fn, void *arg, int *first);

/*
 * The one usage error: "error: <fmt>" (when fmt is not NULL) and
 * "usage: cnorch-agent <synopsis>" on stderr.  Returns CN_ERR_USAGE.
 */
int	agent_usage(const struct agent_cmd *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Values every repo command takes, checked as the laptop's inventory
 * checks them (same wording); a bad one is agent_usage().  revision and
 * v may be NULL (not given).
 */
int	agent_check_repo(const struct agent_cmd *c, const char *repo,
	    const char *revision);
int	agent_check_glob(const struct agent_cmd *c, const char *opt,
	    const char *v);
/*
 * One more --include/--exclude: v checked (agent_check_glob) and put at
 * list[*n], at most max of them (a usage error past that).
 */
int	agent_add_glob(const struct agent_cmd *c, const char *opt,
	    const char *v, const char **list, size_t *n, size_t max);
/* "--repo-type model|dataset" (also for --dataset: v "dataset"). */
int	agent_parse_repo_type(const struct agent_cmd *c, const char *v,
	    enum repo_type *out);

#endif

/*
 * The command framework of cnorch: each subcommand is a descriptor (struct
 * cmd_entry: name, synopsis, option table, target arity, flags) plus its
 * per-host function; cmd_run() does everything around it once for all
 * (after tmux's cmd_entry + cmd_parse and git's run_builtin).
 *
 * A per-host function returns CN_OK or a CN_ERR_* code for that host;
 * exit_from_err() is the one place a code becomes an exit code.
 */
#ifndef CN_CMD_H
#define CN_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes (DESIGN.md): 3 wins over 1. */
#define EXIT_OK			0
#define EXIT_REMOTE		1	/* a remote step failed on some host */
#define EXIT_USAGE		2	/* usage error or invalid inventory */
#define EXIT_UNREACHABLE	3	/* connect, auth or host key failed */

struct host;
struct launch_env;
struct hostout;
struct render;

/* Global options, parsed by main.c before the subcommand. */
struct cmd_ctx {
	const char	*inventory_path;	/* -i; NULL: env / default */
	int		 forks;			/* 0: 16 */
	bool		 json;
	int		 verbosity;		/* -1 quiet, 0 normal, 1+ verbose */
};

enum cmd_arity {
	CMD_TARGET_NONE,
	CMD_TARGET_OPTIONAL,	/* absent: every host */
	CMD_TARGET_REQUIRED,
};

enum cmd_opt_kind {
	CMD_OPT_FLAG,		/* bool at off */
	CMD_OPT_STRING,		/* const char * at off */
	CMD_OPT_STRINGS,	/* repeatable: struct cmd_strv at off */
	CMD_OPT_NUMBER,		/* double at off, within [min, max] */
	CMD_OPT_INT,		/* int at off, within [min, max] */
	CMD_OPT_CHOICE,		/* const char * at off, one of choices */
	CMD_OPT_JSON,		/* the same as the global --json */
	CMD_OPT_OPTSTRING,	/* --name or --name=V: const char * at off,
				   "" when given without a value */
};

/* Values of a repeatable option, in order (malloc'd by cmd_parse). */
struct cmd_strv {
	const char	**v;
	size_t		  n;
};

struct cmd_opt {
	const char	*name;		/* long name, without "--" */
	int		 short_name;	/* 0: none */
	enum cmd_opt_kind kind;
	size_t		 off;		/* in the command's option struct */
	const char	*arg;		/* the value's name in --help: "S" */
	double		 min, max;	/* CMD_OPT_NUMBER, CMD_OPT_INT */
	const char	*unit;		/* "seconds": for the error message */
	const char	*choices;	/* CMD_OPT_CHOICE: "hf|modelscope" */
	size_t		 max_count;	/* CMD_OPT_STRINGS: 0 no limit */
	const char	*help;		/* one line */
};

#define CMD_PER_HOST	0x01	/* run host() on every target host */
#define CMD_LIVE	0x02	/* live rows on a terminal (else lines) */
#define CMD_RENDER	0x04	/* output through a renderer (ui/render) */
#define CMD_KEEP_LOG	0x08	/* keep each host's output in a run log */
#define CMD_SAVE_FAILED	0x10	/* remember failed hosts for @failed */
#define CMD_DETACH	0x20	/* first Ctrl-C detaches (cmd_interrupted) */
#define CMD_OPTS_FIRST	0x40	/* options end at the first positional
				   (add: LOGIN carries ssh's own -p, -i) */
#define CMD_TOKENS	0x80	/* launches agents: says once when HF_TOKEN
				 * is set but no host asks for it */

struct cmd_entry;

/* One run of a command, filled by cmd_run() and seen by its functions. */
struct cmd_run {
	const struct cmd_entry *e;
	struct cmd_ctx	*ctx;
	void		*opts;		/* the command's option struct */
	const char	*target;	/* NULL when none given */
	char		**args;		/* positionals after TARGET */
	int		  nargs;
	bool		  help;		/* --help was asked */
	bool		  json;		/* --json, global or the command's */
	bool		  live;		/* CMD_LIVE, or what check() decided */
	bool		  interactive;	/* a terminal may answer prompts */
	struct render	*rd;		/* CMD_RENDER */
	const struct host *const *hosts;
	size_t		  nhosts;
	void		*host_state;	/* nhosts slots of host_state_size */
};

/* Per-host work: CN_OK or the host's CN_ERR_* code. */
typedef int (*cmd_host_fn)(struct cmd_run *run, const struct host *h,
    struct hostout *o);

struct cmd_entry {
	const char	*name;
	const char	*synopsis;	/* after "cnorch " */
	const char	*summary;	/* one line for help and the man page */
	const struct cmd_opt *opts;	/* terminated by a NULL name */
	size_t		 opts_size;	/* sizeof the option struct */
	void		(*opts_init)(void *opts);	/* defaults; NULL: 0 */
	enum cmd_arity	 target;
	int		 nargs_min;	/* positionals after TARGET */
	int		 nargs_max;	/* -1: any number */
	const char	*args_name;	/* "a REPO": what is missing */
	int		 flags;		/* CMD_* */
	/* Optional: more checks on the parsed arguments, before the
	 * inventory is read (return CN_ERR_USAGE with a one-line *msg). */
	int		(*check)(struct cmd_run *run, char **msg);
	/* Zeroed per-host memory for the command (cmd_host_state). */
	size_t		 host_state_size;
	cmd_host_fn	 host;		/* CMD_PER_HOST */
	/* Optional: after every host ran (the recap); may change the exit
	 * code it is given. */
	int		(*finish)(struct cmd_run *run, const int *status,
			    int exit_code);
	/* Optional: free what check() and the host functions left in
	 * opts and host_state (nhosts slots; called once, at the end). */
	void		(*release)(struct cmd_run *run);
	/* Commands not run per host: the whole work; returns CN_* . */
	int		(*exec)(struct cmd_run *run);
};

/* Every command, NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];

/* The command named exactly name, or NULL. */
const struct cmd_entry *cmd_find(const char *name);

/* Parse argv (argv[0] the command's name) into run; CN_OK (run->help
 * may be set), or CN_ERR_USAGE / CN_ERR_NOMEM with a one-line *msg. */
int	cmd_parse(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
	    char **argv, struct cmd_run *run, char **msg);

/* Free what cmd_parse and the command's check() allocated. */
void	cmd_run_release(struct cmd_run *run);

/* Run e with argv; returns the process's exit code. */
int	cmd_run(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
	    char **argv);

/* "usage: cnorch SYNOPSIS" and, long, the options and summary. */
void	cmd_usage(const struct cmd_entry *e, FILE *fp, bool full);

/* "error: MSG" then the usage line on stderr; returns EXIT_USAGE. */
int	cmd_usage_error(const struct cmd_entry *e, const char *msg);

/* The one mapping of CN_ERR_* codes to exit codes 0/1/2/3. */
int	exit_from_err(int r);

/* A failed connect's code for the host's status: r when it already says
 * the host could not be reached, else CN_ERR_CONNECT (not reached is not
 * reached, whatever the reason). */
int	cmd_connect_err(int r);

/* The worse of two exit codes: 3 wins over 2, 2 over 1, 1 over 0. */
int	exit_worst(int a, int b);

/* h's slot of run->host_state (host_state_size bytes, zeroed). */
void	*cmd_host_state(struct cmd_run *run, const struct host *h);

/*
 * The token a host's inventory asks for: the laptop's value of the
 * variable named by hf_token_env or modelscope_token_env (env_name, may be
 * NULL), or NULL when none is named or it is empty.  Never the ambient
 * HF_TOKEN alone: a token goes only to the boxes the inventory names.
 */
const char *cmd_host_token(const char *env_name);

/* CNORCH_ALLOW_HTTP_TOKEN=1 on the laptop: the agent may send tokens over
 * plain http (local test hubs only). */
bool	cmd_allow_http_token(void);

/*
 * Fill le for launching h's pulls into data_dir: payload, the host's
 * mirrors, its named tokens, its proxy, the http-token opt-in.  One place,
 * so every command that launches hands the agent the same environment
 * (a caller may then override the endpoints, as resume does from job.json).
 */
void	cmd_launch_env(struct launch_env *le, const struct host *h,
	    const char *data_dir);

/* Ctrl-C was pressed under CMD_DETACH (a follow_stop_cb too). */
int	cmd_interrupted(void *unused);

#endif

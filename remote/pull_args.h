/* Internal to cmd_pull.c and pull_args.c: what pull was asked to do. */
#ifndef CN_PULL_ARGS_H
#define CN_PULL_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "plan.h"

struct agent_cmd;

#define MAX_GLOBS	64

struct pull_args {
	const char	*repo;
	const char	*revision;
	enum repo_type	 repo_type;
	enum hub_source	 source;
	const char	*endpoint;
	const char	*ms_endpoint;
	const char	*ms_repo;	/* --modelscope-repo */
	const char	*upstream;	/* --upstream-endpoint */
	const char	*proxy;		/* --proxy: the last rung only */
	bool		 ms_layout;	/* --modelscope-layout */
	char		*cache_dir;
	char		*local_dir;
	const char	*include[MAX_GLOBS];
	size_t		 ninclude;
	const char	*exclude[MAX_GLOBS];
	size_t		 nexclude;
	int		 jobs;
	int		 conns;
	unsigned long long split;
	double		 stall_timeout;
	unsigned long long min_rate;
	int		 retries;
	unsigned long long max_files;	/* listing caps; 0: plan.h's */
	unsigned long long max_bytes;
	const char	*cacert;
	char		*token_file;
	bool		 allow_http_token;
	bool		 json;
	bool		 detach;
	char		*job_dir;
};

/* pull's long options, for agent_cmd_pull. */
extern const struct option pull_options[];

/* Parse and check pull's arguments into a (zeroed by the caller). */
int	pull_parse_args(const struct agent_cmd *self, int argc, char **argv,
	    struct pull_args *a);
/* Free what pull_parse_args() allocated in a. */
void	pull_args_release(struct pull_args *a);
/* What was asked, for job.json: no token, only where it came from. */
json_t	*pull_job_spec(const struct pull_args *a);

#endif

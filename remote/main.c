/*
 * cnorch-agent: the box side.  main() only finds the command's
 * descriptor (cmds.h), runs it, and turns its result into the exit code
 * through agent_exit_code(), the one mapping.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "agent_version.h"
#include "cmds.h"
#include "error.h"

/* Names must match exactly: no prefix guessing. */
static const struct agent_cmd *const cmd_table[] = {
	&agent_cmd_pull,
	&agent_cmd_status,
	&agent_cmd_stop,
	&agent_cmd_verify,
	&agent_cmd_plan,
	&agent_cmd_probe,
	&agent_cmd_cache,
	&agent_cmd_gc,
	NULL
};

static void
usage(FILE *fp)
{
	const struct agent_cmd *const *c;

	fprintf(fp, "usage: cnorch-agent COMMAND [options]   "
	    "(COMMAND --help for its options)\n"
	    "       cnorch-agent --version\n\ncommands:\n");
	for (c = cmd_table; *c != NULL; c++)
		fprintf(fp, "   %-8s %s\n", (*c)->name, (*c)->summary);
	fprintf(fp, "\nexit codes:\n"
	    "   0  ok\n"
	    "   1  a download or verification failed (partial data kept)\n"
	    "   2  usage error\n"
	    "   3  repo, revision, file or job not found, or access denied "
	    "(token)\n"
	    "   4  not enough free space\n"
	    "   5  another agent holds the repo lock or the job dir\n"
	    "   6  the hub answered garbage or unsafe paths\n"
	    "   7  stopped (SIGTERM, SIGINT, or cnorch-agent stop)\n");
}

int
main(int argc, char **argv)
{
	const struct agent_cmd *const *c;
	int r;

	if (argc < 2) {
		usage(stderr);
		return agent_exit_code(CN_ERR_USAGE);
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		agent_print_version(stdout);
		return agent_exit_code(CN_OK);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return agent_exit_code(CN_OK);
	}
	for (c = cmd_table; *c != NULL; c++)
		if (strcmp((*c)->name, argv[1]) == 0)
			break;
	if (*c == NULL) {
		fprintf(stderr, "error: '%s' is not a cnorch-agent command; "
		    "see 'cnorch-agent --help'\n", argv[1]);
		return agent_exit_code(CN_ERR_USAGE);
	}
	/* Once, before any handle, as libcurl asks of multi-threaded and
	 * daemonizing programs alike. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "error: cannot initialise libcurl\n");
		return agent_exit_code(CN_ERR_CURL);
	}
	r = (*c)->run(*c, argc - 1, argv + 1);
	curl_global_cleanup();
	return agent_exit_code(r);
}

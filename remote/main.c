/*
 * cnorch-agent: the box side.  main() only dispatches to cmd_*.c (one
 * file per subcommand) and maps nothing itself: each command returns its
 * exit code.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "agent_version.h"
#include "cmds.h"
#include "error.h"

struct agent_cmd {
	const char	*name;
	int		(*exec)(int argc, char **argv);
	const char	*summary;
};

/* Names must match exactly: no prefix guessing. */
static const struct agent_cmd cmd_table[] = {
	{ "pull",	cmd_pull,	"download a repo into the HF cache or a "
	    "local dir (resumable)" },
	{ "status",	cmd_status,	"show the state of job directories" },
	{ "stop",	cmd_stop,	"stop a detached job (its whole process "
	    "group)" },
	{ "verify",	cmd_verify,	"re-hash a snapshot, or every cached "
	    "repo against its blob names" },
	{ "plan",	cmd_plan,	"list what a pull would fetch" },
	{ "probe",	cmd_probe,	"measure endpoints from this box, best "
	    "first" },
	{ "cache",	cmd_cache,	"what the HF and ModelScope caches hold, "
	    "and the disks" },
	{ "gc",		cmd_gc,		"remove detached revisions and stale "
	    "partials" },
	{ NULL,		NULL,		NULL }
};

static void
usage(FILE *fp)
{
	const struct agent_cmd *c;

	fprintf(fp, "usage: cnorch-agent COMMAND [options]   "
	    "(COMMAND --help for its options)\n"
	    "       cnorch-agent --version\n\ncommands:\n");
	for (c = cmd_table; c->name != NULL; c++)
		fprintf(fp, "   %-8s %s\n", c->name, c->summary);
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
	const struct agent_cmd *c;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		agent_print_version(stdout);
		return AGENT_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return AGENT_EXIT_OK;
	}
	for (c = cmd_table; c->name != NULL; c++)
		if (strcmp(c->name, argv[1]) == 0)
			break;
	if (c->name == NULL) {
		fprintf(stderr, "error: '%s' is not a cnorch-agent command; "
		    "see 'cnorch-agent --help'\n", argv[1]);
		return AGENT_EXIT_USAGE;
	}
	/* Once, before any handle, as libcurl asks of multi-threaded and
	 * daemonizing programs alike. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "error: cannot initialise libcurl\n");
		return AGENT_EXIT_FAIL;
	}
	rc = c->exec(argc - 1, argv + 1);
	curl_global_cleanup();
	return rc;
}

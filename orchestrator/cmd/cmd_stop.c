/*
 * cnorch stop TARGET [JOB]
 *
 * Stops the running jobs of each host (or the one named: a job id, or the
 * repo "org/name[@revision]" it pulls) through `cnorch-agent stop DIR`,
 * which sends SIGTERM to the job's whole process group and SIGKILL after
 * 10 s; the partial data stays, so `cnorch resume` continues it.
 *
 * Exit code: 0 every job asked for is stopped (or was not running); 1 a
 * stop failed, JOB is unknown, or cnorch is not set up on a host; 3 a
 * host could not be reached; 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "connect.h"
#include "error.h"
#include "fleet.h"
#include "inventory.h"
#include "jobs.h"
#include "targets.h"
#include "payload.h"
#include "render.h"
#include "session.h"

#define STOP_TIMEOUT_S	10

struct stop_args {
	struct render	*rd;
	const char	*job;		/* NULL: every running job */
	bool		 interactive;
};

static int
stop_host(const struct host *h, void *arg, struct hostout *o)
{
	struct stop_args *a = arg;
	struct session *s = NULL;
	struct host_jobs hj = { 0 };
	struct job_info *j;
	const char **ids = NULL;
	char *msg = NULL;
	int *rc = NULL, r, ret;
	size_t i, n = 0;

	(void)o;
	if ((r = jobs_connect_list(a->rd, h, a->interactive, &s, &hj)) !=
	    EXIT_OK) {
		ret = r;
		goto out;
	}
	if ((ids = calloc(hj.njobs + 1, sizeof(*ids))) == NULL ||
	    (rc = calloc(hj.njobs + 1, sizeof(*rc))) == NULL) {
		jobs_note_error(a->rd, h->name, "out of memory");
		ret = EXIT_REMOTE;
		goto out;
	}
	if (a->job != NULL) {
		if ((j = jobs_find(&hj, a->job)) == NULL) {
			render_note(a->rd, h->name, true, json_pack(
			    "{s:s, s:s, s:s}", "event", "error", "job",
			    a->job, "message", "no such job"), "no job '%s' "
			    "(or more than one); see 'cnorch status %s'",
			    a->job, h->name);
			ret = EXIT_REMOTE;
			goto out;
		}
		if (!job_is_live(j)) {
			render_note(a->rd, h->name, false, json_pack(
			    "{s:s, s:s, s:s}", "event", "stop", "job", j->id,
			    "state", j->state), "%s not running (%s)", j->id,
			    j->state);
			ret = EXIT_OK;
			goto out;
		}
		ids[n++] = j->id;
	} else {
		for (i = 0; i < hj.njobs; i++)
			if (job_is_live(&hj.jobs[i]))
				ids[n++] = hj.jobs[i].id;
		if (n == 0) {
			render_note(a->rd, h->name, false, json_pack("{s:s}",
			    "event", "no_running_jobs"), "no running jobs");
			ret = EXIT_OK;
			goto out;
		}
	}
	if ((r = jobs_stop(s, payload_id(), ids, n, STOP_TIMEOUT_S, rc)) !=
	    CN_OK) {
		jobs_note_error(a->rd, h->name, session_errmsg(s));
		ret = r == CN_ERR_NOMEM ? EXIT_REMOTE : EXIT_UNREACHABLE;
		goto out;
	}
	ret = EXIT_OK;
	for (i = 0; i < n; i++) {
		if (rc[i] == 0) {
			render_note(a->rd, h->name, false, json_pack(
			    "{s:s, s:s, s:s}", "event", "stop", "job", ids[i],
			    "state", "stopped"), "%s stopped", ids[i]);
			continue;
		}
		render_note(a->rd, h->name, true, json_pack(
		    "{s:s, s:s, s:s, s:i}", "event", "error", "job", ids[i],
		    "message", "cannot stop", "agent_exit", rc[i]),
		    "%s: cannot stop (cnorch-agent stop exit %d)", ids[i],
		    rc[i]);
		ret = EXIT_REMOTE;
	}
 out:
	free(ids);
	free(rc);
	jobs_release(&hj);
	free(msg);
	session_destroy(s);
	return ret;
}

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: cnorch stop TARGET [JOB]\n");
	return EXIT_USAGE;
}

static int
cmd_stop_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct stop_args a = { NULL, NULL, false };
	struct inventory *own = NULL;
	const struct host **hosts = NULL;
	const char *target = NULL;
	char *msg = NULL;
	size_t nhosts = 0;
	int *status = NULL, ret, r, argi;

	for (argi = 1; argi < argc; argi++) {
		if (strcmp(argv[argi], "--") == 0)
			continue;
		if (argv[argi][0] == '-' && argv[argi][1] != '\0')
			return usage_error("unknown option '%s'", argv[argi]);
		if (target == NULL)
			target = argv[argi];
		else if (a.job == NULL)
			a.job = argv[argi];
		else
			return usage_error("unexpected argument '%s'",
			    argv[argi]);
	}
	if (target == NULL)
		return usage_error("stop needs a TARGET%s", "");
	if ((r = targets_select(ctx, target, &own, &hosts, &nhosts, &msg)) !=
	    CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		ret = EXIT_USAGE;
		goto out;
	}
	if ((status = calloc(nhosts, sizeof(*status))) == NULL ||
	    (a.rd = render_create(ctx->json ? RENDER_JSON : RENDER_LINES,
	    stdout, stderr, ctx->verbosity)) == NULL) {
		fprintf(stderr, "error: out of memory\n");
		ret = EXIT_USAGE;
		goto out;
	}
	(void)render_keep_log(a.rd, "stop");
	a.interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	ret = fleet_run((const struct host *const *)hosts, nhosts,
	    ctx->forks > 0 ? ctx->forks : 16, stop_host, &a, status);
	targets_save_failed((const struct host *const *)hosts, nhosts, status);
 out:
	render_destroy(a.rd);
	free(status);
	free(hosts);
	inventory_destroy(own);
	free(msg);
	return ret;
}

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.usage = "stop TARGET [JOB]",
	.flags = CMD_NEEDS_INVENTORY,
	.exec = cmd_stop_exec,
};

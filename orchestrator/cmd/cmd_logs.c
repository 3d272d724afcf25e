/*
 * cnorch logs TARGET [JOB] [-f|--follow]
 *
 * Replays the events of each host's jobs (or of the one named: a job id,
 * or the repo "org/name[@revision]" it pulls) from the start of their
 * events.jsonl, in one remote command per host; piped, progress is
 * thinned to one line every few seconds of the job's own time (-v: all).
 * With -f, it then follows the jobs still running from the byte offset
 * the replay reached until they end.  A connection that drops while
 * following is reopened with backoff (1, 2, 4 ... s) and the follow
 * resumes from the same offsets, so no event is shown twice or lost:
 * "NAME: connection lost; reconnecting (attempt N)".  Ctrl-C leaves:
 * the jobs keep running on the boxes.
 *
 * Exit code: 0 the events were shown (whatever the jobs' own outcome);
 * 1 JOB is unknown or cnorch is not set up on a host; 3 a host could not
 * be reached, or was lost while following and not regained; 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "connect.h"
#include "error.h"
#include "fleet.h"
#include "follow.h"
#include "inventory.h"
#include "jobs.h"
#include "targets.h"
#include "render.h"
#include "session.h"

struct logs_args {
	struct render	*rd;
	const char	*job;		/* NULL: every job */
	bool		 follow;
	bool		 interactive;
};

struct replay_ctx {
	struct render		*rd;
	const char		*host;
	struct follow_job	*jobs;
};

static int
on_replay(void *arg, size_t i, json_t *ev)
{
	struct replay_ctx *c = arg;

	render_event(c->rd, c->host, c->jobs[i].id, ev);
	return CN_OK;
}

static int
logs_host(const struct host *h, void *arg, struct hostout *o)
{
	struct logs_args *a = arg;
	struct session *s = NULL;
	struct host_jobs hj = { 0 };
	struct follow_job *fj = NULL;
	struct replay_ctx rc;
	struct job_info *j;
	char *msg = NULL;
	size_t i, n = 0, live = 0;
	int r, ret = EXIT_REMOTE;

	(void)o;
	if ((r = jobs_connect_list(a->rd, h, a->interactive, &s, &hj)) !=
	    EXIT_OK) {
		ret = r;
		goto out;
	}
	if ((fj = calloc(hj.njobs + 1, sizeof(*fj))) == NULL)
		goto nomem;
	if (a->job != NULL) {
		if ((j = jobs_find(&hj, a->job)) == NULL) {
			render_note(a->rd, h->name, true, json_pack(
			    "{s:s, s:s, s:s}", "event", "error", "job",
			    a->job, "message", "no such job"), "no job '%s' "
			    "(or more than one); see 'cnorch status %s'",
			    a->job, h->name);
			goto out;
		}
		if ((fj[n++].id = strdup(j->id)) == NULL)
			goto nomem;
	} else {
		for (i = 0; i < hj.njobs; i++)
			if ((fj[n++].id = strdup(hj.jobs[i].id)) == NULL)
				goto nomem;
	}
	if (n == 0) {
		render_note(a->rd, h->name, false, json_pack("{s:s}", "event",
		    "no_jobs"), "no jobs");
		ret = EXIT_OK;
		goto out;
	}

	rc.rd = a->rd;
	rc.host = h->name;
	rc.jobs = fj;
	if ((r = jobs_replay(s, fj, n, on_replay, &rc)) != CN_OK) {
		jobs_note_error(a->rd, h->name, r == CN_ERR_NOMEM ?
		    cn_strerror(r) : session_errmsg(s));
		ret = r == CN_ERR_NOMEM || r == CN_ERR_REMOTE ? EXIT_REMOTE :
		    EXIT_UNREACHABLE;
		goto out;
	}
	/* What has no agent any more will write nothing: do not wait. */
	for (i = 0; i < n; i++) {
		j = jobs_find(&hj, fj[i].id);
		if (j != NULL && !job_is_live(j))
			fj[i].done = true;
		if (fj[i].done)
			render_forget(a->rd, h->name, fj[i].id);
		else
			live++;
	}
	ret = EXIT_OK;
	if (!a->follow || live == 0)
		goto out;
	r = jobs_follow_render(a->rd, &s, h, fj, n, jobs_interrupted,
	    NULL, NULL, &msg);
	for (i = 0; i < n; i++)
		render_forget(a->rd, h->name, fj[i].id);
	if (r != CN_OK && r != CN_ERR_INTERRUPTED) {
		jobs_note_error(a->rd, h->name, msg != NULL ? msg :
		    s != NULL ? session_errmsg(s) : cn_strerror(r));
		ret = r == CN_ERR_NOMEM ? EXIT_REMOTE : EXIT_UNREACHABLE;
	}
	goto out;
 nomem:
	jobs_note_error(a->rd, h->name, "out of memory");
	ret = EXIT_REMOTE;
 out:
	if (fj != NULL)
		for (i = 0; i < n; i++)
			follow_release(&fj[i]);
	free(fj);
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
	fprintf(stderr, "\nusage: cnorch logs TARGET [JOB] [-f|--follow]\n");
	return EXIT_USAGE;
}

static int
cmd_logs_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct logs_args a = { NULL, NULL, false, false };
	struct inventory *own = NULL;
	const struct host **hosts = NULL;
	const char *target = NULL;
	char *msg = NULL;
	size_t nhosts = 0;
	int *status = NULL, ret, r, argi;
	enum render_mode mode;

	for (argi = 1; argi < argc; argi++) {
		if (strcmp(argv[argi], "-f") == 0 ||
		    strcmp(argv[argi], "--follow") == 0)
			a.follow = true;
		else if (strcmp(argv[argi], "--") == 0)
			continue;
		else if (argv[argi][0] == '-' && argv[argi][1] != '\0')
			return usage_error("unknown option '%s'", argv[argi]);
		else if (target == NULL)
			target = argv[argi];
		else if (a.job == NULL)
			a.job = argv[argi];
		else
			return usage_error("unexpected argument '%s'",
			    argv[argi]);
	}
	if (target == NULL)
		return usage_error("logs needs a TARGET%s", "");
	if ((r = targets_select(ctx, target, &own, &hosts, &nhosts, &msg)) !=
	    CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		ret = EXIT_USAGE;
		goto out;
	}
	mode = render_pick_mode(ctx->json, a.follow);
	if ((status = calloc(nhosts, sizeof(*status))) == NULL ||
	    (a.rd = render_create(mode, stdout, stderr, ctx->verbosity)) ==
	    NULL) {
		fprintf(stderr, "error: out of memory\n");
		ret = EXIT_USAGE;
		goto out;
	}
	a.interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	jobs_sigint_catch();
	ret = fleet_run((const struct host *const *)hosts, nhosts,
	    ctx->forks > 0 ? ctx->forks : 16, logs_host, &a, status);
	jobs_sigint_restore();
	render_finish(a.rd);
 out:
	render_destroy(a.rd);
	free(status);
	free(hosts);
	inventory_destroy(own);
	free(msg);
	return ret;
}

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.usage = "logs TARGET [JOB] [-f|--follow]",
	.flags = CMD_NEEDS_INVENTORY,
	.exec = cmd_logs_exec,
};

/*
 * cnorch logs TARGET [JOB] [-f|--follow] [--via-laptop-proxy[=URL]]
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
 * -f --via-laptop-proxy re-opens a lent proxy (lend.h) for the followed
 * jobs that were started with one (job.json "proxy"), e.g. a detached
 * pull whose laptop went away: they wait, then continue.
 *
 * Exit code: 0 the events were shown (whatever the jobs' own outcome);
 * 1 JOB is unknown or cnorch is not set up on a host; 3 a host could not
 * be reached, or was lost while following and not regained; 2 usage.
 */
#include <stddef.h>
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
#include "jobcmd.h"
#include "jobs.h"
#include "lend.h"
#include "render.h"
#include "session.h"

struct logs_opts {
	bool		 follow;
	const char	*via_laptop_proxy;	/* "": the laptop's own */
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
logs_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct logs_opts *opts = run->opts;
	struct render *rd = run->rd;
	/* JOB: NULL, every job. */
	const char *job = run->nargs > 0 ? run->args[0] : NULL;
	struct session *s = NULL;
	struct host_jobs hj = { 0 };
	struct follow_job *fj = NULL;
	struct replay_ctx rc;
	struct job_info *j;
	struct lend *lend = NULL;
	char *msg = NULL;
	size_t i, n = 0, live = 0;
	int r, ret = CN_ERR_REMOTE;

	(void)o;
	if ((r = jobcmd_connect_list(rd, h, run->interactive, &s, &hj)) !=
	    CN_OK) {
		ret = r;
		goto out;
	}
	if ((fj = calloc(hj.njobs + 1, sizeof(*fj))) == NULL)
		goto nomem;
	if (job != NULL) {
		if ((j = jobcmd_find(rd, h->name, &hj, job)) == NULL)
			goto out;
		if ((fj[n++].id = strdup(j->id)) == NULL)
			goto nomem;
	} else {
		for (i = 0; i < hj.njobs; i++)
			if ((fj[n++].id = strdup(hj.jobs[i].id)) == NULL)
				goto nomem;
	}
	if (n == 0) {
		render_note(rd, h->name, false, json_pack("{s:s}", "event",
		    "no_jobs"), "no jobs");
		ret = CN_OK;
		goto out;
	}

	rc.rd = rd;
	rc.host = h->name;
	rc.jobs = fj;
	if ((r = jobs_replay(s, fj, n, on_replay, &rc)) != CN_OK) {
		jobcmd_note_error(rd, h->name, r == CN_ERR_NOMEM ?
		    cn_strerror(r) : session_errmsg(s));
		ret = r;
		goto out;
	}
	/* What has no agent any more will write nothing: do not wait. */
	for (i = 0; i < n; i++) {
		j = jobs_find(&hj, fj[i].id);
		if (j != NULL && !job_is_live(j))
			fj[i].done = true;
		if (fj[i].done)
			render_forget(rd, h->name, fj[i].id);
		else
			live++;
	}
	ret = CN_OK;
	if (!opts->follow || live == 0)
		goto out;
	for (i = 0; opts->via_laptop_proxy != NULL && i < n; i++) {
		j = jobs_find(&hj, fj[i].id);
		if (fj[i].done || j == NULL ||
		    !json_is_true(json_object_get(j->spec, "proxy")))
			continue;
		if ((lend == NULL && (r = lend_open(h, run->interactive,
		    opts->via_laptop_proxy, &lend, &msg)) != CN_OK) ||
		    (r = lend_attach(lend, s, fj[i].id, &msg)) != CN_OK) {
			jobcmd_note_error(rd, h->name, msg != NULL ? msg :
			    cn_strerror(r));
			ret = r;
			goto out;
		}
	}
	r = jobcmd_follow_to_end(rd, &s, h, fj, n, NULL, NULL);
	if (r != CN_OK && r != CN_ERR_INTERRUPTED)
		ret = r;
	goto out;
 nomem:
	jobcmd_note_error(rd, h->name, "out of memory");
	ret = CN_ERR_NOMEM;
 out:
	lend_close(lend);
	free(msg);
	if (fj != NULL)
		for (i = 0; i < n; i++)
			follow_release(&fj[i]);
	free(fj);
	jobs_release(&hj);
	session_destroy(s);
	return ret;
}

/* Live rows only while following; JOB checked before any host. */
static int
logs_check(struct cmd_run *run, char **msg)
{
	struct logs_opts *opts = run->opts;
	int r;

	if (opts->via_laptop_proxy != NULL && !opts->follow) {
		if ((*msg = strdup("--via-laptop-proxy needs -f")) == NULL)
			return CN_ERR_NOMEM;
		return CN_ERR_USAGE;
	}
	run->live = opts->follow;
	if ((r = lend_check(opts->via_laptop_proxy, msg)) != CN_OK)
		return r;
	return run->nargs > 0 ? jobcmd_check_job(run->args[0], msg) : CN_OK;
}

static const struct cmd_opt logs_opts_table[] = {
	{ .name = "follow", .short_name = 'f', .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct logs_opts, follow),
	  .help = "then follow the running jobs until they end" },
	{ .name = "via-laptop-proxy", .kind = CMD_OPT_OPTSTRING, .arg = "URL",
	  .off = offsetof(struct logs_opts, via_laptop_proxy),
	  .help = "with -f: lend this laptop's proxy again to the jobs "
	  "started with one" },
	{ .name = NULL }
};

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.synopsis = "logs TARGET [JOB] [-f|--follow] [--via-laptop-proxy[=URL]]",
	.summary = "Replay the events of each host's jobs (or JOB); -f follows.",
	.opts = logs_opts_table,
	.opts_size = sizeof(struct logs_opts),
	.target = CMD_TARGET_REQUIRED,
	.nargs_max = 1,
	.flags = CMD_PER_HOST | CMD_RENDER | CMD_DETACH,
	.check = logs_check,
	.host = logs_host,
};

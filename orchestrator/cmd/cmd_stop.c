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
#include "jobcmd.h"
#include "jobs.h"
#include "payload.h"
#include "render.h"
#include "session.h"

#define STOP_TIMEOUT_S	10


static int
stop_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct render *rd = run->rd;
	/* JOB: NULL, every running job. */
	const char *job = run->nargs > 0 ? run->args[0] : NULL;
	struct session *s = NULL;
	struct host_jobs hj = { 0 };
	struct job_info *j;
	const char **ids = NULL;
	int *rc = NULL, r, ret;
	size_t i, n = 0;

	(void)o;
	if ((r = jobcmd_connect_list(rd, h, run->interactive, &s, &hj)) !=
	    CN_OK) {
		ret = r;
		goto out;
	}
	if ((ids = calloc(hj.njobs + 1, sizeof(*ids))) == NULL ||
	    (rc = calloc(hj.njobs + 1, sizeof(*rc))) == NULL) {
		jobcmd_note_error(rd, h->name, "out of memory");
		ret = CN_ERR_NOMEM;
		goto out;
	}
	if (job != NULL) {
		if ((j = jobcmd_find(rd, h->name, &hj, job)) == NULL) {
			ret = CN_ERR_REMOTE;
			goto out;
		}
		if (!job_is_live(j)) {
			render_note(rd, h->name, false, json_pack(
			    "{s:s, s:s, s:s}", "event", "stop", "job", j->id,
			    "state", j->state), "%s not running (%s)", j->id,
			    j->state);
			ret = CN_OK;
			goto out;
		}
		ids[n++] = j->id;
	} else {
		for (i = 0; i < hj.njobs; i++)
			if (job_is_live(&hj.jobs[i]))
				ids[n++] = hj.jobs[i].id;
		if (n == 0) {
			render_note(rd, h->name, false, json_pack("{s:s}",
			    "event", "no_running_jobs"), "no running jobs");
			ret = CN_OK;
			goto out;
		}
	}
	if ((r = jobs_stop(s, payload_id(), ids, n, STOP_TIMEOUT_S, rc)) !=
	    CN_OK) {
		jobcmd_note_error(rd, h->name, session_errmsg(s));
		ret = r;
		goto out;
	}
	ret = CN_OK;
	for (i = 0; i < n; i++) {
		if (rc[i] == 0) {
			render_note(rd, h->name, false, json_pack(
			    "{s:s, s:s, s:s}", "event", "stop", "job", ids[i],
			    "state", "stopped"), "%s stopped", ids[i]);
			continue;
		}
		render_note(rd, h->name, true, json_pack(
		    "{s:s, s:s, s:s, s:i}", "event", "error", "job", ids[i],
		    "message", "cannot stop", "agent_exit", rc[i]),
		    "%s: cannot stop (cnorch-agent stop exit %d)", ids[i],
		    rc[i]);
		ret = CN_ERR_REMOTE;
	}
 out:
	free(ids);
	free(rc);
	jobs_release(&hj);
	session_destroy(s);
	return ret;
}

/* JOB checked before any host is contacted. */
static int
stop_check(struct cmd_run *run, char **msg)
{
	return run->nargs > 0 ? jobcmd_check_job(run->args[0], msg) : CN_OK;
}

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.synopsis = "stop TARGET [JOB]",
	.summary = "Stop the running jobs of each host (or JOB); the data stays.",
	.target = CMD_TARGET_REQUIRED,
	.nargs_max = 1,
	.flags = CMD_PER_HOST | CMD_RENDER | CMD_KEEP_LOG | CMD_SAVE_FAILED,
	.check = stop_check,
	.host = stop_host,
};

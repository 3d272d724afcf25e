/*
 * cnorch resume TARGET [--stalled] [--stall-after S] [--no-wait]
 *                       [--via-laptop-proxy[=URL]]
 *
 * Restarts, on each host, the jobs that ended without finishing: failed,
 * stopped, and dead (the agent went without saying, e.g. the box
 * rebooted).  With --stalled also the running jobs whose last event or
 * last byte is older than --stall-after seconds (default 60): those are
 * stopped first (`cnorch-agent stop`, the whole process group).
 *
 * A job restarts with what its job.json says was asked (repo, revision,
 * source, repo type, include/exclude, endpoints) through launch_pull()
 * (launch.h), the same path provision and pull take, so the job keeps its
 * id and the agent continues from the bytes already on disk (partial
 * blobs are resumed by Range).  The tokens, never recorded, come as for
 * provision: only from the variables the host's inventory names
 * (hf_token_env, modelscope_token_env).  The restarted jobs are then
 * followed to their end (--no-wait: not).
 *
 * --via-laptop-proxy lends the laptop's proxy to the restarted jobs'
 * huggingface.co rung (lend.h) and also takes up the jobs waiting for a
 * lent proxy that went away: they are pointed at the new forward and
 * followed.
 *
 * Exit code: 0 every job resumed finished (or runs, with --no-wait or
 * after Ctrl-C) or there was nothing to resume; 1 a job could not be
 * restarted or failed again, or cnorch is not set up on a host; 3 a host
 * could not be reached; 2 usage.
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
#include "launch.h"
#include "lend.h"
#include "payload.h"
#include "render.h"
#include "session.h"

#define STOP_TIMEOUT_S	10
#define CACHE_SUFFIX	"/hf/hub"

struct resume_opts {
	double		 stall_after;
	bool		 stalled;
	bool		 no_wait;
	const char	*via_laptop_proxy;	/* "": the laptop's own */
};

/* A JSON array of strings as a borrowed const char * array. */
static const char **
strings(json_t *arr, size_t *n)
{
	const char **v;
	size_t i, k = 0;

	*n = 0;
	if ((v = calloc(json_array_size(arr) + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < json_array_size(arr); i++)
		if (json_is_string(json_array_get(arr, i)))
			v[k++] = json_string_value(json_array_get(arr, i));
	*n = k;
	return v;
}

static const char *
sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/*
 * Start job j on h again as job.json asked.  Returns CN_OK with *res, or a
 * code with a one-line *why.
 */
static int
relaunch(struct session *s, const struct host *h, const struct lend *lend,
    const struct job_info *j, enum launch_result *res, char **why)
{
	struct launch_pull lp;
	struct launch_env le;
	struct box_job_state js;
	const char **inc = NULL, **exc = NULL, *cache;
	char *data_dir = NULL, *id = NULL, *msg = NULL;
	size_t cl, sl = strlen(CACHE_SUFFIX);
	int r;

	*why = NULL;
	memset(&lp, 0, sizeof(lp));
	memset(&le, 0, sizeof(le));
	if (j->spec == NULL || sget(j->spec, "repo") == NULL) {
		*why = strdup("no job.json: cannot tell what was asked");
		r = CN_ERR_NOT_FOUND;
		goto out;
	}
	cache = sget(j->spec, "cache_dir");
	cl = cache != NULL ? strlen(cache) : 0;
	if (sget(j->spec, "local_dir") != NULL || cache == NULL || cl <= sl ||
	    strcmp(cache + cl - sl, CACHE_SUFFIX) != 0) {
		*why = strdup("not a cache pull started by cnorch; run its "
		    "cnorch-agent pull again by hand");
		r = CN_ERR_UNSUPPORTED;
		goto out;
	}
	if ((data_dir = strndup(cache, cl - sl)) == NULL ||
	    (inc = strings(json_object_get(j->spec, "include"),
	    &lp.ninclude)) == NULL ||
	    (exc = strings(json_object_get(j->spec, "exclude"),
	    &lp.nexclude)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	lp.repo = sget(j->spec, "repo");
	lp.revision = sget(j->spec, "revision");
	lp.source = sget(j->spec, "source");
	lp.repo_type = sget(j->spec, "repo_type");
	lp.include = inc;
	lp.exclude = exc;
	/* launch_pull() finds the job by the id its request makes. */
	if ((id = job_id(&lp)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (strcmp(id, j->id) != 0) {
		if (asprintf(why, "job.json asks for job '%s', not this one; "
		    "use 'cnorch pull'", id) < 0)
			*why = NULL;
		r = CN_ERR_INVALID;
		goto out;
	}
	/* The endpoints the job was started with, not today's inventory. */
	cmd_launch_env(&le, h, data_dir);
	le.hf_endpoint = sget(j->spec, "endpoint");
	le.modelscope_endpoint = sget(j->spec, "modelscope_endpoint");
	if (lend != NULL)
		le.lent_proxy = lend_box_proxy(lend);
	if ((r = launch_pull(s, &le, &lp, res, &js, &msg)) != CN_OK ||
	    (lend != NULL && *res != LAUNCH_DONE &&
	    (r = lend_attach(lend, s, j->id, &msg)) != CN_OK)) {
		*why = strdup(msg != NULL ? msg : cn_strerror(r));
		goto out;
	}
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM && *why == NULL)
		*why = strdup("out of memory");
	free(inc);
	free(exc);
	free(data_dir);
	free(id);
	free(msg);
	return r;
}

static bool
wanted(const struct resume_opts *a, const struct job_info *j)
{
	const char *st = job_display_state(j, a->stall_after);

	if (strcmp(st, "failed") == 0 || strcmp(st, "stopped") == 0 ||
	    strcmp(st, "dead") == 0)
		return true;
	/* Waiting for a lent proxy: only a new forward helps. */
	if (a->via_laptop_proxy != NULL && strcmp(st, "waiting") == 0)
		return true;
	return a->stalled && strcmp(st, "stalled") == 0;
}

static int
resume_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct resume_opts *a = run->opts;
	struct render *rd = run->rd;
	struct session *s = NULL;
	struct host_jobs hj = { 0 };
	struct follow_job *fj = NULL;
	struct job_info *j;
	enum launch_result res;
	const char **stop_ids = NULL;
	struct lend *lend = NULL;
	char *why = NULL;
	size_t i, k, n = 0, nstop = 0, nf = 0;
	int *rc = NULL, r, ret = CN_ERR_REMOTE;
	bool failed = false;

	(void)o;
	if ((r = jobcmd_connect_list(rd, h, run->interactive, &s, &hj)) !=
	    CN_OK) {
		ret = r;
		goto out;
	}
	if ((fj = calloc(hj.njobs + 1, sizeof(*fj))) == NULL ||
	    (stop_ids = calloc(hj.njobs + 1, sizeof(*stop_ids))) == NULL ||
	    (rc = calloc(hj.njobs + 1, sizeof(*rc))) == NULL) {
		jobcmd_note_error(rd, h->name, "out of memory");
		goto out;
	}
	for (i = 0; i < hj.njobs; i++) {
		if (!wanted(a, &hj.jobs[i]))
			continue;
		n++;
		if (job_is_live(&hj.jobs[i]) && !job_is_waiting(&hj.jobs[i]))
			stop_ids[nstop++] = hj.jobs[i].id;
	}
	if (n == 0) {
		render_note(rd, h->name, false, json_pack("{s:s}", "event",
		    "nothing_to_resume"), "nothing to resume");
		ret = CN_OK;
		goto out;
	}
	if (a->via_laptop_proxy != NULL && (r = lend_open(h,
	    run->interactive, a->via_laptop_proxy, &lend, &why)) != CN_OK) {
		jobcmd_note_error(rd, h->name, why != NULL ? why :
		    cn_strerror(r));
		goto out;
	}
	/* Stalled jobs: their agent goes first, process group and all. */
	if (nstop > 0 && (r = jobs_stop(s, payload_id(), stop_ids, nstop,
	    STOP_TIMEOUT_S, rc)) != CN_OK) {
		jobcmd_note_error(rd, h->name, session_errmsg(s));
		ret = r;
		goto out;
	}
	for (i = 0; i < hj.njobs; i++) {
		j = &hj.jobs[i];
		if (!wanted(a, j))
			continue;
		for (k = 0; k < nstop; k++)
			if (stop_ids[k] == j->id && rc[k] != 0)
				break;
		if (k < nstop) {
			render_note(rd, h->name, true, json_pack(
			    "{s:s, s:s, s:s}", "event", "error", "job", j->id,
			    "message", "cannot stop the stalled job"),
			    "%s: cannot stop the stalled job (cnorch-agent "
			    "stop exit %d)", j->id, rc[k]);
			failed = true;
			continue;
		}
		free(why);
		why = NULL;
		if ((r = relaunch(s, h, lend, j, &res, &why)) != CN_OK) {
			render_note(rd, h->name, true, json_pack(
			    "{s:s, s:s, s:s?}", "event", "error", "job",
			    j->id, "message", why), "%s: cannot resume: %s",
			    j->id, why != NULL ? why : cn_strerror(r));
			failed = true;
			/* The connection went: nothing more to do here. */
			if (exit_from_err(r) == EXIT_UNREACHABLE) {
				ret = r;
				goto out;
			}
			continue;
		}
		render_note(rd, h->name, false, json_pack(
		    "{s:s, s:s, s:s, s:s}", "event", "resume", "job", j->id,
		    "was", job_display_state(j, a->stall_after), "status",
		    res == LAUNCH_STARTED ? "started" : res == LAUNCH_RUNNING ?
		    "running" : "complete"), "%s %s (was %s)", j->id,
		    res == LAUNCH_STARTED ? "restarted" : res ==
		    LAUNCH_RUNNING ? "already running" : "complete already",
		    job_display_state(j, a->stall_after));
		if (res == LAUNCH_DONE)
			continue;
		if ((fj[nf].id = strdup(j->id)) == NULL) {
			jobcmd_note_error(rd, h->name, "out of memory");
			goto out;
		}
		nf++;
	}
	ret = failed ? CN_ERR_REMOTE : CN_OK;
	if (a->no_wait || nf == 0)
		goto out;
	r = jobcmd_follow_to_end(rd, &s, h, fj, nf, NULL, NULL);
	if (r == CN_ERR_INTERRUPTED) {
		render_note(rd, h->name, false, json_pack("{s:s}", "event",
		    "detached"), "detached; jobs keep running. reattach with: "
		    "cnorch logs %s -f", h->name);
		goto out;
	}
	if (r != CN_OK) {
		ret = r;
		goto out;
	}
	for (i = 0; i < nf; i++) {
		render_note(rd, h->name, !fj[i].ok, json_pack(
		    "{s:s, s:s, s:s}", "event", "resume", "job", fj[i].id,
		    "status", fj[i].ok ? "done" : "failed"), "%s %s", fj[i].id,
		    fj[i].ok ? "done" : "failed again; see 'cnorch logs'");
		if (!fj[i].ok)
			ret = CN_ERR_REMOTE;
	}
 out:
	lend_close(lend);
	if (fj != NULL)
		for (i = 0; i < nf; i++)
			follow_release(&fj[i]);
	free(fj);
	free(stop_ids);
	free(rc);
	free(why);
	jobs_release(&hj);
	session_destroy(s);
	return ret;
}

static void
resume_init(void *p)
{
	((struct resume_opts *)p)->stall_after = JOBS_STALL_AFTER_S;
}

static const struct cmd_opt resume_opts_table[] = {
	{ .name = "stalled", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct resume_opts, stalled),
	  .help = "also stop and restart the stalled running jobs" },
	{ .name = "stall-after", .kind = CMD_OPT_NUMBER,
	  .off = offsetof(struct resume_opts, stall_after), .arg = "S",
	  .min = 1, .max = 86400, .unit = "seconds",
	  .help = "a job with no event or byte for S seconds is stalled" },
	{ .name = "no-wait", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct resume_opts, no_wait),
	  .help = "return once the jobs are restarted" },
	{ .name = "via-laptop-proxy", .kind = CMD_OPT_OPTSTRING, .arg = "URL",
	  .off = offsetof(struct resume_opts, via_laptop_proxy),
	  .help = "lend this laptop's proxy to the jobs' huggingface.co rung "
	  "(also takes up jobs waiting for one)" },
	{ .name = NULL }
};

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.synopsis = "resume TARGET [--stalled] [--stall-after S] [--no-wait] "
	    "[--via-laptop-proxy[=URL]]",
	.summary = "Restart the jobs that ended unfinished and follow them.",
	.opts = resume_opts_table,
	.opts_size = sizeof(struct resume_opts),
	.opts_init = resume_init,
	.target = CMD_TARGET_REQUIRED,
	.flags = CMD_PER_HOST | CMD_LIVE | CMD_RENDER | CMD_KEEP_LOG |
	    CMD_SAVE_FAILED | CMD_DETACH | CMD_TOKENS,
	.host = resume_host,
};

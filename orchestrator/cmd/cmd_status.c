/*
 * cnorch status [TARGET] [--stall-after S]
 *
 * Per host, in one remote command (jobs.h): every agent job with its
 * state, bytes done/total, rate, ETA and the age of its last event, and
 * the free space on the data disk.  A running job whose last event, or
 * last byte, is older than --stall-after seconds (default 60) shows as
 * "stalled"; an agent that died without saying so shows as "dead".
 *
 *   autodl-01: disk /root/autodl-tmp: 180 GiB free of 200 GiB
 *   autodl-01: Qwen--Qwen2.5-7B@main running 42% 6.4 GiB/15 GiB
 *       35.1 MiB/s eta 4m12s (hf 4.0 GiB + ms 2.4 GiB), last event 0s ago
 *
 * The bytes per source (hf, ms) are shown when the agent's events carry
 * them (jobs.h: the done events' of a finished job, else its file_done
 * events'); "sources" in --json.
 *
 * --json: one object per line, {"host", "event": "job" | "disk" | ...}.
 * Exit code: 0 every host answered and no job needs attention; 1 a host
 * could not list its jobs (e.g. cnorch not set up) or has a failed, dead
 * or stalled job (so `cnorch status all || cnorch resume all` works); 3
 * a host could not be reached (3 wins over 1); 2 usage.
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
#include "inventory.h"
#include "jobcmd.h"
#include "jobs.h"
#include "render.h"
#include "session.h"

struct status_args {
	struct render	*rd;
	double		 stall_after;
};

struct status_opts {
	double		 stall_after;
};

static void
print_disk(struct status_args *a, const char *name,
    const struct host_jobs *hj)
{
	char fr[32], tot[32];
	const char *path = hj->data_dir != NULL ? hj->data_dir : "?";

	if (hj->disk_avail_kb < 0) {
		render_note(a->rd, name, false, json_pack("{s:s, s:s, s:n}",
		    "event", "disk", "path", path, "avail_bytes"),
		    "disk %s: free space unknown", path);
		return;
	}
	fmt_bytes(fr, sizeof(fr), (double)hj->disk_avail_kb * 1024);
	fmt_bytes(tot, sizeof(tot), (double)hj->disk_total_kb * 1024);
	render_note(a->rd, name, false, json_pack("{s:s, s:s, s:s?, s:I, "
	    "s:I}", "event", "disk", "path", path, "measured_at",
	    hj->df_path, "avail_bytes", (json_int_t)hj->disk_avail_kb * 1024,
	    "total_bytes", (json_int_t)hj->disk_total_kb * 1024),
	    "disk %s: %s free of %s", path, fr, tot);
}

static void
print_job(struct status_args *a, const char *name, const struct job_info *j)
{
	const char *st = job_display_state(j, a->stall_after);
	const char *repo = json_string_value(json_object_get(j->spec, "repo"));
	const char *rev = json_string_value(json_object_get(j->spec,
	    "revision"));
	bool live = job_is_live(j);
	char text[512], d[32], t[32], r[32], e[32], age[32], pa[32], src[128];
	double eta = -1, rate = live && j->rate_bps > 0 ? j->rate_bps : -1;
	size_t k = 0;
	json_t *f;

	if (strcmp(st, "stalled") == 0)
		rate = -1;
	if (strcmp(st, "waiting") == 0)	/* "waiting: laptop proxy gone" */
		k += (size_t)snprintf(text + k, sizeof(text) - k,
		    "%s waiting: %s", j->id, j->error == NULL ?
		    "for its source" : strncmp(j->error, JOB_WAITING_NOTE,
		    strlen(JOB_WAITING_NOTE)) == 0 ? j->error +
		    strlen(JOB_WAITING_NOTE) : j->error);
	else
		k += (size_t)snprintf(text + k, sizeof(text) - k, "%s %s",
		    j->id, st);
	if (j->bytes_total > 0) {
		fmt_bytes(d, sizeof(d), (double)(j->bytes_done > 0 ?
		    j->bytes_done : 0));
		fmt_bytes(t, sizeof(t), (double)j->bytes_total);
		k += (size_t)snprintf(text + k, sizeof(text) - k,
		    " %d%% %s/%s", j->bytes_done >= j->bytes_total ? 100 :
		    (int)((double)(j->bytes_done > 0 ? j->bytes_done : 0) *
		    100 / (double)j->bytes_total), d, t);
	} else if (j->bytes_done > 0 && k < sizeof(text)) {
		fmt_bytes(d, sizeof(d), (double)j->bytes_done);
		k += (size_t)snprintf(text + k, sizeof(text) - k, " %s", d);
	}
	if (rate > 0 && k < sizeof(text)) {
		fmt_rate(r, sizeof(r), rate);
		eta = eta_seconds((double)j->bytes_done,
		    (double)j->bytes_total, rate);
		fmt_duration(e, sizeof(e), eta);
		k += (size_t)snprintf(text + k, sizeof(text) - k, " %s eta %s",
		    r, eta < 0 ? "?" : e);
	}
	if (!live && j->ended > 0 && j->started > 0 && k < sizeof(text)) {
		fmt_duration(e, sizeof(e), j->ended - j->started);
		k += (size_t)snprintf(text + k, sizeof(text) - k, " in %s", e);
	}
	/* Which hub carried the bytes, when the agent's events say. */
	if (render_sources_text(src, sizeof(src), j->sources) > 0 &&
	    k < sizeof(text))
		k += (size_t)snprintf(text + k, sizeof(text) - k, " (%s)",
		    src);
	if (strcmp(st, "stalled") == 0 && j->progress_age_s >= 0 &&
	    k < sizeof(text)) {
		fmt_duration(pa, sizeof(pa), j->progress_age_s);
		k += (size_t)snprintf(text + k, sizeof(text) - k,
		    ", no progress for %s", pa);
	}
	if (j->event_age_s >= 0 && k < sizeof(text)) {
		fmt_duration(age, sizeof(age), j->event_age_s);
		k += (size_t)snprintf(text + k, sizeof(text) - k,
		    ", last event %s ago", age);
	}
	if (!live && j->error != NULL && strcmp(st, "done") != 0 &&
	    k < sizeof(text))
		k += (size_t)snprintf(text + k, sizeof(text) - k, ": %s",
		    j->error);
	if (strcmp(st, "dead") == 0 && k < sizeof(text))
		snprintf(text + k, sizeof(text) - k, " (the agent is gone; "
		    "'cnorch resume %s' continues it)", name);

	f = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:I, s:I, s:f, s:f, "
	    "s:f, s:f, s:s?, s:O?}", "event", "job", "job", j->id, "state", st,
	    "repo", repo, "revision", rev,
	    "bytes_done", (json_int_t)j->bytes_done,
	    "bytes_total", (json_int_t)j->bytes_total,
	    "rate_bps", rate > 0 ? rate : 0.0,
	    "eta_s", eta, "last_event_age_s", j->event_age_s,
	    "progress_age_s", j->progress_age_s,
	    "error", j->error, "sources", j->sources);
	render_note(a->rd, name, false, f, "%s", text);
}

static int
status_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct status_opts *opts = run->opts;
	struct status_args args = { run->rd, opts->stall_after }, *a = &args;
	struct session *s = NULL;
	struct host_jobs hj = { 0 };
	const char *st;
	size_t i;
	int r, ret;

	(void)o;
	if ((r = jobcmd_connect_list(a->rd, h, run->interactive, &s, &hj)) !=
	    CN_OK) {
		ret = r;
		goto out;
	}
	print_disk(a, h->name, &hj);
	ret = CN_OK;
	if (hj.njobs == 0)
		render_note(a->rd, h->name, false, json_pack("{s:s}",
		    "event", "no_jobs"), "no jobs");
	for (i = 0; i < hj.njobs; i++) {
		print_job(a, h->name, &hj.jobs[i]);
		st = job_display_state(&hj.jobs[i], a->stall_after);
		if (strcmp(st, "failed") == 0 || strcmp(st, "dead") == 0 ||
		    strcmp(st, "stalled") == 0)
			ret = CN_ERR_REMOTE;
	}
 out:
	jobs_release(&hj);
	session_destroy(s);
	return ret;
}

static void
status_init(void *p)
{
	((struct status_opts *)p)->stall_after = JOBS_STALL_AFTER_S;
}

static const struct cmd_opt status_opts_table[] = {
	{ .name = "stall-after", .kind = CMD_OPT_NUMBER,
	  .off = offsetof(struct status_opts, stall_after), .arg = "S",
	  .min = 1, .max = 86400, .unit = "seconds",
	  .help = "a job with no event or byte for S seconds is stalled" },
	{ .name = NULL }
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.synopsis = "status [TARGET] [--stall-after S]",
	.summary = "Show each host's jobs (state, bytes, rate, ETA) and disk.",
	.opts = status_opts_table,
	.opts_size = sizeof(struct status_opts),
	.opts_init = status_init,
	.target = CMD_TARGET_OPTIONAL,
	.flags = CMD_PER_HOST | CMD_RENDER | CMD_SAVE_FAILED,
	.host = status_host,
};

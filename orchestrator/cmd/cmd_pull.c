/*
 * cnorch pull TARGET REPO [--revision R] [--source hf|modelscope|auto]
 *             [--dataset] [--include G]... [--exclude G]... [--no-wait]
 *             [--via-laptop-proxy[=URL]]
 *
 * Starts one more agent job on each host, without running setup again
 * (cnorch provision must have put the payload there): launch_pull()
 * (launch.h) finds the job of an earlier identical pull and leaves it
 * alone when it runs or is complete, else starts it, the agent resuming
 * any partial blobs.  A pull that does not fit on the data disk (its
 * plan sized on the box, daytwo_fits()) is refused before that, with the
 * numbers and the `cnorch gc` that would make room.  The job then is
 * followed to its end as provision does (reconnecting if the connection
 * drops; Ctrl-C detaches and the job keeps running), unless --no-wait.
 *
 * --via-laptop-proxy (or "via_laptop_proxy" on the inventory's pull of
 * the same repo) lends the laptop's proxy to this pull only, for the
 * huggingface.co rung (lend.h): the forward lives while cnorch follows
 * the job; a job already running is pointed at the new forward, so a
 * second pull with the flag re-attaches a job left waiting for its proxy.
 *
 * Exit code: 0 the pull is complete (or running, with --no-wait or after
 * Ctrl-C); 1 it failed, did not fit, or cnorch is not set up on a host;
 * 3 a host could not be reached; 2 usage.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "connect.h"
#include "daytwo.h"
#include "error.h"
#include "facts.h"
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
#include "targets.h"

#define MAX_GLOBS	64

struct pull_opts {
	const char	*revision;
	const char	*source;
	bool		 dataset;
	struct cmd_strv	 include, exclude;
	bool		 no_wait;
	const char	*via_laptop_proxy;	/* "": the laptop's own */
};

/* The job's own words when it failed, from its events; the lent proxy
 * to bring back when its forward died while we follow. */
struct why_ctx {
	char		*why;
	double		 bytes;
	struct render	*rd;
	const char	*host;
	const char	*job;
	struct lend	*lend;
};

static int
on_event(void *arg, size_t i, json_t *ev)
{
	struct why_ctx *c = arg;
	const char *e = json_string_value(json_object_get(ev, "event"));
	char *m = NULL;
	json_t *v;

	(void)i;
	if (e != NULL && strcmp(e, "error") == 0 &&
	    json_is_string(v = json_object_get(ev, "message"))) {
		free(c->why);
		c->why = strdup(json_string_value(v));
	} else if (e != NULL && strcmp(e, "waiting") == 0 && c->lend != NULL) {
		/* The agent waits for its proxy, and we are still here: the
		 * forward's own connection went (the box's network blinked). */
		if (lend_revive(c->lend, c->job, &m) != CN_OK)
			render_note(c->rd, c->host, true, NULL, "cannot lend "
			    "the proxy again: %s", m != NULL ? m :
			    "out of memory");
		free(m);
	} else if (e != NULL && strcmp(e, "done") == 0) {
		if (json_is_number(v = json_object_get(ev, "bytes")))
			c->bytes = json_number_value(v);
		/* The agent's reason may come only with its end (a repo on
		 * neither mirror nor ModelScope names --via-laptop-proxy). */
		if (c->why == NULL &&
		    json_is_string(v = json_object_get(ev, "error")))
			c->why = strdup(json_string_value(v));
	}
	return CN_OK;
}

/* The inventory's word on lending for repo on h: "" (the laptop's own
 * proxy), a URL, or NULL when no pull of h asks for it. */
static const char *
inventory_lends(const struct host *h, const char *repo)
{
	size_t i;

	for (i = 0; i < h->npulls; i++)
		if (h->pulls[i].via_laptop_proxy &&
		    strcmp(h->pulls[i].repo, repo) == 0)
			return h->pulls[i].laptop_proxy != NULL ?
			    h->pulls[i].laptop_proxy : "";
	return NULL;
}

static int
pull_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct pull_opts *opts = run->opts;
	struct render *rd = run->rd;
	struct launch_pull lp = { run->args[0], opts->revision, opts->source,
	    opts->dataset ? "dataset" : NULL, opts->include.v,
	    opts->include.n, opts->exclude.v, opts->exclude.n };
	struct session *s = NULL;
	struct box_facts pr = { 0 };
	struct launch_env le = { 0 };
	struct box_job_state js;
	enum launch_result res;
	struct follow_job fj;
	struct why_ctx wc = { 0 };
	struct pull_spec ps = { 0 };
	struct lend *lend = NULL;
	const char *via;
	char *msg = NULL, *id = NULL, b[32];
	int r, ret = CN_ERR_REMOTE;

	(void)o;
	memset(&fj, 0, sizeof(fj));
	if ((r = host_connect(h, run->interactive, &s, &msg)) != CN_OK) {
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
		ret = cmd_connect_err(r);
		goto out;
	}
	if ((r = box_facts_run(s, h->data_dir != NULL ? h->data_dir :
	    "~", payload_id(), &pr, &msg)) != CN_OK) {
		jobcmd_note_error(rd, h->name, msg);
		ret = r;
		goto out;
	}
	if (!pr.payload_present) {
		render_note(rd, h->name, true, json_pack("{s:s, s:s}",
		    "event", "error", "message", "cnorch is not set up on this "
		    "box"), "cnorch is not set up on this box; run 'cnorch "
		    "provision %s'", h->name);
		goto out;
	}
	if (pr.data_dir == NULL || pr.data_dir[0] != '/') {
		render_note(rd, h->name, true, NULL, "data_dir '%s' is not "
		    "an absolute path on the box", pr.data_dir != NULL ?
		    pr.data_dir : "");
		goto out;
	}
	ps.repo = (char *)lp.repo;
	ps.revision = (char *)lp.revision;
	ps.source = (char *)lp.source;
	ps.repo_type = (char *)lp.repo_type;
	ps.include = (char **)lp.include;
	ps.ninclude = lp.ninclude;
	ps.exclude = (char **)lp.exclude;
	ps.nexclude = lp.nexclude;
	if ((r = daytwo_fits(rd, h, s, &pr, &ps, 1)) != CN_OK) {
		ret = r;
		goto out;
	}
	cmd_launch_env(&le, h, pr.data_dir);
	free(msg);
	msg = NULL;
	if ((via = opts->via_laptop_proxy) == NULL)
		via = inventory_lends(h, run->args[0]);
	if (via != NULL) {
		if ((r = lend_open(h, run->interactive, via,
		    &lend, &msg)) != CN_OK) {
			jobcmd_note_error(rd, h->name, msg != NULL ? msg :
			    cn_strerror(r));
			ret = r == CN_ERR_NOT_FOUND || r == CN_ERR_UNSUPPORTED ?
			    CN_ERR_REMOTE : r;
			goto out;
		}
		le.lent_proxy = lend_box_proxy(lend);
	}
	if ((r = launch_pull(s, &le, &lp, &res, &js, &msg)) !=
	    CN_OK) {
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
		ret = r;
		goto out;
	}
	if ((id = job_id(&lp)) == NULL) {
		jobcmd_note_error(rd, h->name, "out of memory");
		goto out;
	}
	if (lend != NULL && res != LAUNCH_DONE &&
	    (r = lend_attach(lend, s, id, &msg)) != CN_OK) {
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
		ret = r;
		goto out;
	}
	if (res == LAUNCH_DONE) {
		fmt_bytes(b, sizeof(b), (double)js.bytes_total);
		render_note(rd, h->name, false, json_pack("{s:s, s:s, "
		    "s:s, s:s}", "event", "pull", "job", id, "status", "ok",
		    "message", "complete already"), "%s complete already "
		    "(%s)", id, b);
		ret = CN_OK;
		goto out;
	}
	render_note(rd, h->name, false, json_pack("{s:s, s:s, s:s, s:s}",
	    "event", "pull", "job", id, "status", res == LAUNCH_STARTED ?
	    "started" : "running", "message", res == LAUNCH_STARTED ?
	    "started" : "already running"), "%s %s", id,
	    res == LAUNCH_STARTED ? "started" : "already running");
	if (opts->no_wait) {
		ret = CN_OK;
		goto out;
	}

	fj.id = id;
	id = NULL;
	wc.rd = rd;
	wc.host = h->name;
	wc.job = fj.id;
	wc.lend = lend;
	r = jobcmd_follow_to_end(rd, &s, h, &fj, 1, on_event, &wc);
	if (r == CN_ERR_INTERRUPTED) {
		render_note(rd, h->name, false, json_pack("{s:s, s:s}",
		    "event", "detached", "job", fj.id), "detached; the job "
		    "keeps running. reattach with: cnorch logs %s %s -f",
		    h->name, fj.id);
		ret = CN_OK;
		goto out;
	}
	if (r != CN_OK) {
		ret = r;
		goto out;
	}
	if (fj.ok) {
		fmt_bytes(b, sizeof(b), wc.bytes);
		render_note(rd, h->name, false, json_pack("{s:s, s:s, s:s}",
		    "event", "pull", "job", fj.id, "status", "done"),
		    "%s done (%s)", fj.id, b);
		ret = CN_OK;
	} else {
		render_note(rd, h->name, true, json_pack("{s:s, s:s, s:s, "
		    "s:s?}", "event", "pull", "job", fj.id, "status", "failed",
		    "message", wc.why), "%s failed: %s", fj.id,
		    wc.why != NULL ? wc.why : fj.end_state[0] != '\0' ?
		    fj.end_state : "see 'cnorch logs'");
		ret = CN_ERR_REMOTE;
	}
 out:
	lend_close(lend);
	follow_release(&fj);
	free(wc.why);
	free(id);
	box_facts_release(&pr);
	free(msg);
	session_destroy(s);
	return ret;
}

/*
 * Every value that reaches the box is checked as the inventory checks its
 * pulls (validate.h), in the same words, before any host is contacted.
 */
static int
pull_check(struct cmd_run *run, char **msg)
{
	struct pull_opts *opts = run->opts;
	int r;

	if ((r = lend_check(opts->via_laptop_proxy, msg)) != CN_OK)
		return r;
	return jobcmd_check_pull(run->args[0], opts->revision,
	    opts->include.v, opts->include.n, opts->exclude.v,
	    opts->exclude.n, msg);
}

static const struct cmd_opt pull_opts_table[] = {
	{ .name = "revision", .kind = CMD_OPT_STRING, .arg = "R",
	  .off = offsetof(struct pull_opts, revision),
	  .help = "branch, tag or commit (default: main)" },
	{ .name = "source", .kind = CMD_OPT_CHOICE,
	  .off = offsetof(struct pull_opts, source),
	  .choices = "hf|modelscope|auto|huggingface",
	  .help = "where to pull from (huggingface: the last rung only)" },
	{ .name = "dataset", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct pull_opts, dataset),
	  .help = "REPO is a dataset" },
	{ .name = "include", .kind = CMD_OPT_STRINGS, .arg = "G",
	  .off = offsetof(struct pull_opts, include), .max_count = MAX_GLOBS,
	  .help = "only files matching glob G (repeatable)" },
	{ .name = "exclude", .kind = CMD_OPT_STRINGS, .arg = "G",
	  .off = offsetof(struct pull_opts, exclude), .max_count = MAX_GLOBS,
	  .help = "no files matching glob G (repeatable)" },
	{ .name = "no-wait", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct pull_opts, no_wait),
	  .help = "return once the job is started" },
	{ .name = "via-laptop-proxy", .kind = CMD_OPT_OPTSTRING, .arg = "URL",
	  .off = offsetof(struct pull_opts, via_laptop_proxy),
	  .help = "lend this laptop's proxy (default https_proxy, all_proxy) "
	  "to the huggingface.co rung of this pull" },
	{ .name = NULL }
};

const struct cmd_entry cmd_pull_entry = {
	.name = "pull",
	.synopsis = "pull TARGET REPO [--revision R] "
	    "[--source hf|modelscope|auto|huggingface] "
	    "[--dataset] [--include G]... [--exclude G]... [--no-wait] "
	    "[--via-laptop-proxy[=URL]]",
	.summary = "Start one more pull on each host and follow it to its end.",
	.opts = pull_opts_table,
	.opts_size = sizeof(struct pull_opts),
	.target = CMD_TARGET_REQUIRED,
	.nargs_min = 1,
	.nargs_max = 1,
	.args_name = "a TARGET and a REPO",
	.flags = CMD_PER_HOST | CMD_LIVE | CMD_RENDER | CMD_KEEP_LOG |
	    CMD_SAVE_FAILED | CMD_DETACH | CMD_TOKENS,
	.check = pull_check,
	.host = pull_host,
};

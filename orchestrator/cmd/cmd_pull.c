/*
 * cnorch pull TARGET REPO [--revision R] [--source hf|modelscope|auto]
 *             [--dataset] [--include G]... [--exclude G]... [--no-wait]
 *
 * Starts one more agent job on each host, without running setup again
 * (cnorch provision must have put the payload there): launch_pull()
 * (launch.h) finds the job of an earlier identical pull and leaves it
 * alone when it runs or is complete, else starts it, the agent resuming
 * any partial blobs.  The job then is followed to its end as provision
 * does (reconnecting if the connection drops; Ctrl-C detaches and the
 * job keeps running), unless --no-wait.
 *
 * Exit code: 0 the pull is complete (or running, with --no-wait or after
 * Ctrl-C); 1 it failed, or cnorch is not set up on a host; 3 a host
 * could not be reached; 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "connect.h"
#include "error.h"
#include "facts.h"
#include "fleet.h"
#include "follow.h"
#include "inventory.h"
#include "jobs.h"
#include "launch.h"
#include "payload.h"
#include "render.h"
#include "session.h"
#include "targets.h"

#define MAX_GLOBS	64

struct pull_args {
	struct render	*rd;
	struct launch_pull lp;
	const char	*include[MAX_GLOBS];
	const char	*exclude[MAX_GLOBS];
	bool		 no_wait;
	bool		 interactive;
	const char	*hf_token;
};

/* The job's own words when it failed, from its events. */
struct why_ctx {
	char		*why;
	double		 bytes;
};

static int
on_event(void *arg, size_t i, json_t *ev)
{
	struct why_ctx *c = arg;
	const char *e = json_string_value(json_object_get(ev, "event"));
	json_t *v;

	(void)i;
	if (e != NULL && strcmp(e, "error") == 0 &&
	    json_is_string(v = json_object_get(ev, "message"))) {
		free(c->why);
		c->why = strdup(json_string_value(v));
	} else if (e != NULL && strcmp(e, "done") == 0 &&
	    json_is_number(v = json_object_get(ev, "bytes")))
		c->bytes = json_number_value(v);
	return CN_OK;
}

static int
pull_host(const struct host *h, void *arg, struct hostout *o)
{
	struct pull_args *a = arg;
	struct session *s = NULL;
	struct box_facts pr = { 0 };
	struct launch_env le = { 0 };
	struct box_job_state js;
	enum launch_result res;
	struct follow_job fj;
	struct why_ctx wc = { 0 };
	char *msg = NULL, *id = NULL, b[32];
	int r, ret = EXIT_REMOTE;

	(void)o;
	memset(&fj, 0, sizeof(fj));
	if ((r = host_connect(h, a->interactive, &s, &msg)) != CN_OK) {
		jobs_note_error(a->rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
		ret = EXIT_UNREACHABLE;
		goto out;
	}
	if ((r = box_facts_run(s, h->data_dir != NULL ? h->data_dir :
	    "~", payload_id(), &pr, &msg)) != CN_OK) {
		jobs_note_error(a->rd, h->name, msg);
		ret = r == CN_ERR_REMOTE || r == CN_ERR_NOMEM ? EXIT_REMOTE :
		    EXIT_UNREACHABLE;
		goto out;
	}
	if (!pr.payload_present) {
		render_note(a->rd, h->name, true, json_pack("{s:s, s:s}",
		    "event", "error", "message", "cnorch is not set up on this "
		    "box"), "cnorch is not set up on this box; run 'cnorch "
		    "provision %s'", h->name);
		goto out;
	}
	if (pr.data_dir == NULL || pr.data_dir[0] != '/') {
		render_note(a->rd, h->name, true, NULL, "data_dir '%s' is not "
		    "an absolute path on the box", pr.data_dir != NULL ?
		    pr.data_dir : "");
		goto out;
	}
	le.payload_id = payload_id();
	le.data_dir = pr.data_dir;
	le.hf_endpoint = h->mirrors.hf;
	le.modelscope_endpoint = h->mirrors.modelscope;
	le.hf_token = a->hf_token;
	free(msg);
	msg = NULL;
	if ((r = launch_pull(s, &le, &a->lp, &res, &js, &msg)) !=
	    CN_OK) {
		jobs_note_error(a->rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
		ret = r == CN_ERR_REMOTE || r == CN_ERR_NOMEM ? EXIT_REMOTE :
		    EXIT_UNREACHABLE;
		goto out;
	}
	if ((id = job_id(&a->lp)) == NULL) {
		jobs_note_error(a->rd, h->name, "out of memory");
		goto out;
	}
	if (res == LAUNCH_DONE) {
		fmt_bytes(b, sizeof(b), (double)js.bytes_total);
		render_note(a->rd, h->name, false, json_pack("{s:s, s:s, "
		    "s:s, s:s}", "event", "pull", "job", id, "status", "ok",
		    "message", "complete already"), "%s complete already "
		    "(%s)", id, b);
		ret = EXIT_OK;
		goto out;
	}
	render_note(a->rd, h->name, false, json_pack("{s:s, s:s, s:s, s:s}",
	    "event", "pull", "job", id, "status", res == LAUNCH_STARTED ?
	    "started" : "running", "message", res == LAUNCH_STARTED ?
	    "started" : "already running"), "%s %s", id,
	    res == LAUNCH_STARTED ? "started" : "already running");
	if (a->no_wait) {
		ret = EXIT_OK;
		goto out;
	}

	fj.id = id;
	id = NULL;
	r = jobs_follow_render(a->rd, &s, h, &fj, 1, jobs_interrupted,
	    on_event, &wc, &msg);
	render_forget(a->rd, h->name, fj.id);
	if (r == CN_ERR_INTERRUPTED) {
		render_note(a->rd, h->name, false, json_pack("{s:s, s:s}",
		    "event", "detached", "job", fj.id), "detached; the job "
		    "keeps running. reattach with: cnorch logs %s %s -f",
		    h->name, fj.id);
		ret = EXIT_OK;
		goto out;
	}
	if (r != CN_OK) {
		jobs_note_error(a->rd, h->name, msg != NULL ? msg :
		    s != NULL ? session_errmsg(s) : cn_strerror(r));
		ret = r == CN_ERR_NOMEM ? EXIT_REMOTE : EXIT_UNREACHABLE;
		goto out;
	}
	if (fj.ok) {
		fmt_bytes(b, sizeof(b), wc.bytes);
		render_note(a->rd, h->name, false, json_pack("{s:s, s:s, s:s}",
		    "event", "pull", "job", fj.id, "status", "done"),
		    "%s done (%s)", fj.id, b);
		ret = EXIT_OK;
	} else {
		render_note(a->rd, h->name, true, json_pack("{s:s, s:s, s:s, "
		    "s:s?}", "event", "pull", "job", fj.id, "status", "failed",
		    "message", wc.why), "%s failed: %s", fj.id,
		    wc.why != NULL ? wc.why : fj.end_state[0] != '\0' ?
		    fj.end_state : "see 'cnorch logs'");
		ret = EXIT_REMOTE;
	}
 out:
	follow_release(&fj);
	free(wc.why);
	free(id);
	box_facts_release(&pr);
	free(msg);
	session_destroy(s);
	return ret;
}

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: cnorch pull TARGET REPO [--revision R] "
	    "[--source hf|modelscope|auto] [--dataset]\n"
	    "           [--include G]... [--exclude G]... [--no-wait]\n");
	return EXIT_USAGE;
}

/* "--opt VALUE" or "--opt=VALUE": the value, or NULL if argv[*i] is not
 * this option. */
static const char *
opt_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t n = strlen(opt);

	if (strcmp(argv[*i], opt) == 0) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return NULL;
}

static int
cmd_pull_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct pull_args a;
	struct inventory *own = NULL;
	const struct host **hosts = NULL;
	const char *target = NULL, *v;
	char *msg = NULL;
	size_t nhosts = 0;
	int *status = NULL, ret, r, argi;
	bool missing = false;
	enum render_mode mode;

	memset(&a, 0, sizeof(a));
	for (argi = 1; argi < argc; argi++) {
		if ((v = opt_value(argc, argv, &argi, "--revision",
		    &missing)) != NULL)
			a.lp.revision = v;
		else if ((v = opt_value(argc, argv, &argi, "--source",
		    &missing)) != NULL) {
			if (strcmp(v, "hf") != 0 && strcmp(v, "modelscope") !=
			    0 && strcmp(v, "auto") != 0)
				return usage_error("--source: expected hf, "
				    "modelscope or auto, got '%s'", v);
			a.lp.source = v;
		} else if ((v = opt_value(argc, argv, &argi, "--include",
		    &missing)) != NULL) {
			if (a.lp.ninclude >= MAX_GLOBS)
				return usage_error("too many --include%s", "");
			a.include[a.lp.ninclude++] = v;
		} else if ((v = opt_value(argc, argv, &argi, "--exclude",
		    &missing)) != NULL) {
			if (a.lp.nexclude >= MAX_GLOBS)
				return usage_error("too many --exclude%s", "");
			a.exclude[a.lp.nexclude++] = v;
		} else if (missing)
			return usage_error("'%s' needs a value", argv[argi]);
		else if (strcmp(argv[argi], "--no-wait") == 0)
			a.no_wait = true;
		else if (strcmp(argv[argi], "--dataset") == 0)
			a.lp.repo_type = "dataset";
		else if (strcmp(argv[argi], "--") == 0)
			continue;
		else if (argv[argi][0] == '-' && argv[argi][1] != '\0')
			return usage_error("unknown option '%s'", argv[argi]);
		else if (target == NULL)
			target = argv[argi];
		else if (a.lp.repo == NULL)
			a.lp.repo = argv[argi];
		else
			return usage_error("unexpected argument '%s'",
			    argv[argi]);
	}
	if (target == NULL || a.lp.repo == NULL)
		return usage_error("pull needs a TARGET and a REPO%s", "");
	v = strchr(a.lp.repo, '/');
	if (v == NULL || v == a.lp.repo || v[1] == '\0' ||
	    strchr(v + 1, '/') != NULL)
		return usage_error("REPO: expected org/name, got '%s'",
		    a.lp.repo);
	a.lp.include = a.include;
	a.lp.exclude = a.exclude;
	if ((r = targets_select(ctx, target, &own, &hosts, &nhosts, &msg)) !=
	    CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		ret = EXIT_USAGE;
		goto out;
	}
	mode = render_pick_mode(ctx->json, true);
	if ((status = calloc(nhosts, sizeof(*status))) == NULL ||
	    (a.rd = render_create(mode, stdout, stderr, ctx->verbosity)) ==
	    NULL) {
		fprintf(stderr, "error: out of memory\n");
		ret = EXIT_USAGE;
		goto out;
	}
	(void)render_keep_log(a.rd, "pull");
	a.interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	if ((v = getenv("HF_TOKEN")) != NULL && v[0] != '\0')
		a.hf_token = v;
	jobs_sigint_catch();
	ret = fleet_run((const struct host *const *)hosts, nhosts,
	    ctx->forks > 0 ? ctx->forks : 16, pull_host, &a, status);
	jobs_sigint_restore();
	render_finish(a.rd);
	targets_save_failed((const struct host *const *)hosts, nhosts, status);
 out:
	render_destroy(a.rd);
	free(status);
	free(hosts);
	inventory_destroy(own);
	free(msg);
	return ret;
}

const struct cmd_entry cmd_pull_entry = {
	.name = "pull",
	.usage = "pull TARGET REPO [--revision R] [--source hf|modelscope|auto] "
	    "[--dataset] [--include G]... [--exclude G]... [--no-wait]",
	.flags = CMD_NEEDS_INVENTORY,
	.exec = cmd_pull_exec,
};

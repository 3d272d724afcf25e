/*
 * cnorch verify TARGET [REPO...] [--repair]
 *
 * Re-hashes every file of the named (or all) cached repos on each box
 * against the hash recorded at download (`cnorch-agent verify`, whole-
 * cache mode, over the HF cache under the host's data_dir), with progress
 * and one result line per box; a bad file is named with its repo and
 * path.  --repair: the agent removes the bad blobs and lists, per
 * revision, the exact paths to fetch again; each list becomes one pull
 * job (launch_pull() with those paths as --include, as `cnorch pull`
 * starts it) followed to its end.
 *
 * Exit code: 0 all sound (or repaired); 1 something bad and not repaired,
 * a named repo not cached, or the agent failed; 3 a host could not be
 * reached; 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "daytwo.h"
#include "error.h"
#include "event.h"
#include "fmt.h"
#include "inventory.h"
#include "jobcmd.h"
#include "jobs.h"
#include "launch.h"
#include "render.h"
#include "session.h"

#define PROGRESS_EVERY_S	5.0

struct verify_opts {
	bool		 repair;
};

struct verify_ctx {
	struct cmd_run	*run;
	const struct host *h;
	double		 last_progress;
	int		 bad, files;
	double		 bytes;
	json_t		*repull;	/* [{repo, type, revision, include}] */
};

static int
on_line(void *arg, json_t *o)
{
	struct verify_ctx *c = arg;
	struct render *rd = c->run->rd;
	const char *kind = daytwo_jstr(o, "kind"), *name = c->h->name;
	double now = event_now(), t;
	json_t *e;
	char a[32], b[32];
	size_t i;

	/* Ctrl-C: stop reading (the agent only reads, or removes bad
	 * blobs under the repo lock, so leaving it is safe). */
	if (cmd_interrupted(NULL))
		return CN_ERR_INTERRUPTED;
	if (c->run->json && strcmp(kind, "progress") != 0)
		render_note(rd, name, false, json_incref(o), "%s", "");
	if (strcmp(kind, "progress") == 0) {
		if (now - c->last_progress < PROGRESS_EVERY_S)
			return 0;
		c->last_progress = now;
		if (c->run->json) {
			render_note(rd, name, false, json_incref(o), "%s", "");
			return 0;
		}
		t = daytwo_jnum(o, "bytes_total");
		fmt_bytes(a, sizeof(a), daytwo_jnum(o, "bytes_done"));
		fmt_bytes(b, sizeof(b), t);
		render_note(rd, name, false, NULL, "verifying %s: %d%% %s/%s, "
		    "%d/%d files", daytwo_jstr(o, "repo"), t > 0 ? (int)(100 *
		    daytwo_jnum(o, "bytes_done") / t) : 0, a, b,
		    (int)daytwo_jnum(o, "files_done"),
		    (int)daytwo_jnum(o, "files_total"));
	} else if (strcmp(kind, "bad") == 0) {
		if (!c->run->json)
			render_note(rd, name, true, NULL, "%s %s: %s%s%.8s%s",
			    daytwo_jstr(o, "status"), daytwo_jstr(o, "repo"),
			    json_is_string(json_object_get(o, "path")) ?
			    daytwo_jstr(o, "path") : daytwo_jstr(o, "blob"),
			    json_is_string(json_object_get(o, "commit")) ?
			    " in " : "", daytwo_jstr(o, "commit"),
			    json_is_true(json_object_get(o, "removed")) ?
			    " (removed)" : "");
	} else if (strcmp(kind, "verify") == 0) {
		c->bad += (int)(daytwo_jnum(o, "bad") +
		    daytwo_jnum(o, "missing"));
		c->files += (int)(daytwo_jnum(o, "ok") + daytwo_jnum(o, "bad") +
		    daytwo_jnum(o, "missing"));
		c->bytes = daytwo_jnum(o, "bytes");
		json_array_foreach(json_object_get(o, "repull"), i, e)
			json_array_append_new(c->repull, json_pack("{s:s, "
			    "s:s, s:s, s:O}", "repo", daytwo_jstr(o, "repo"),
			    "type", daytwo_jstr(o, "type"), "revision",
			    daytwo_jstr(e, "revision"), "include",
			    json_object_get(e, "include")));
	}
	return 0;
}

/* One pull job fetching exactly e's paths again, followed to its end.
 * CN_OK when it completed. */
static int
repull(struct cmd_run *run, const struct host *h, struct session **s,
    const struct box_facts *f, json_t *e)
{
	struct render *rd = run->rd;
	json_t *inc = json_object_get(e, "include"), *v;
	const char **paths = NULL;
	struct launch_pull lp = { 0 };
	struct launch_env le = { 0 };
	struct box_job_state js;
	enum launch_result res;
	struct follow_job fj;
	char *msg = NULL, *id = NULL;
	size_t i, n = json_array_size(inc);
	int r = CN_ERR_NOMEM;

	memset(&fj, 0, sizeof(fj));
	if ((paths = calloc(n + 1, sizeof(*paths))) == NULL)
		goto out;
	json_array_foreach(inc, i, v)
		paths[i] = json_string_value(v);
	lp.repo = daytwo_jstr(e, "repo");
	lp.revision = daytwo_jstr(e, "revision");
	lp.repo_type = strcmp(daytwo_jstr(e, "type"), "dataset") == 0 ?
	    "dataset" : NULL;
	lp.include = paths;
	lp.ninclude = n;
	cmd_launch_env(&le, h, f->data_dir);
	if ((id = job_id(&lp)) == NULL)
		goto out;
	if ((r = launch_pull(*s, &le, &lp, &res, &js, &msg)) != CN_OK) {
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
		goto out;
	}
	render_note(rd, h->name, false, json_pack("{s:s, s:s, s:s, s:O}",
	    "event", "repair", "job", id, "repo", lp.repo, "include", inc),
	    "repairing %s: %zu file%s, job %s", lp.repo, n, n == 1 ? "" : "s",
	    id);
	if (res == LAUNCH_DONE) {
		r = CN_OK;
		goto out;
	}
	fj.id = id;
	id = NULL;
	if ((r = jobcmd_follow_to_end(rd, s, h, &fj, 1, NULL, NULL)) !=
	    CN_OK)
		goto out;
	r = fj.ok ? CN_OK : CN_ERR_REMOTE;
	if (!fj.ok)
		render_note(rd, h->name, true, NULL, "repair of %s failed: %s; "
		    "see 'cnorch logs %s %s'", lp.repo, fj.end_state[0] !=
		    '\0' ? fj.end_state : "failed", h->name, fj.id);
 out:
	follow_release(&fj);
	free(paths);
	free(id);
	free(msg);
	return r;
}

static int
verify_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct verify_opts *opts = run->opts;
	struct verify_ctx c = { run, h, 0, 0, 0, 0, NULL };
	struct session *s = NULL;
	struct box_facts f = { 0 };
	const char **args = NULL;
	json_t *e;
	char b[32];
	size_t n = 0, i;
	int r, status, fixed = 0;

	(void)o;
	/* The first progress line after PROGRESS_EVERY_S, not at 0%. */
	c.last_progress = event_now();
	if ((c.repull = json_array()) == NULL ||
	    (args = calloc((size_t)run->nargs + 2, sizeof(*args))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (opts->repair)
		args[n++] = "--repair";
	for (i = 0; i < (size_t)run->nargs; i++)
		args[n++] = run->args[i];
	if ((r = daytwo_prepare(run->rd, h, run->interactive, &s, &f)) !=
	    CN_OK)
		goto out;
	if ((r = daytwo_agent(run->rd, h, s, &f, CACHEOPS_VERIFY, args, n,
	    on_line, &c, &status)) != CN_OK)
		goto out;
	/* 0 sound, 1 something bad; anything else is the agent failing
	 * (its stderr was noted). */
	if (status != 0 && c.bad == 0) {
		r = CN_ERR_REMOTE;
		goto out;
	}
	fmt_bytes(b, sizeof(b), c.bytes);
	if (c.bad == 0) {
		render_note(run->rd, h->name, false, json_pack("{s:s, s:s, "
		    "s:i, s:f}", "event", "verify", "status", "ok", "files",
		    c.files, "bytes", c.bytes), "verify ok: %d file%s, %s",
		    c.files, c.files == 1 ? "" : "s", b);
		r = CN_OK;
		goto out;
	}
	if (!opts->repair) {
		render_note(run->rd, h->name, true, json_pack("{s:s, s:s, "
		    "s:i, s:i}", "event", "verify", "status", "bad", "bad",
		    c.bad, "files", c.files), "verify: %d bad of %d files; "
		    "'cnorch verify %s --repair' fetches them again", c.bad,
		    c.files, h->name);
		r = CN_ERR_VERIFY;
		goto out;
	}
	r = CN_OK;
	json_array_foreach(c.repull, i, e) {
		if (repull(run, h, &s, &f, e) == CN_OK)
			fixed += (int)json_array_size(json_object_get(e,
			    "include"));
		else
			r = CN_ERR_VERIFY;
	}
	if (json_array_size(c.repull) == 0)
		r = CN_ERR_VERIFY;
	render_note(run->rd, h->name, r != CN_OK, json_pack("{s:s, s:s, s:i, "
	    "s:i}", "event", "verify", "status", r == CN_OK ? "repaired" :
	    "bad", "bad", c.bad, "repaired", fixed), "verify: %d bad, %d "
	    "fetched again%s", c.bad, fixed, r == CN_OK ? "" :
	    "; not repaired");
 out:
	json_decref(c.repull);
	free(args);
	box_facts_release(&f);
	session_destroy(s);
	return r;
}

/* Each REPO is an HF-style org/name. */
static int
verify_check(struct cmd_run *run, char **msg)
{
	int i;

	for (i = 0; i < run->nargs; i++)
		if (daytwo_check_repo(run->args[i], msg) != CN_OK)
			return *msg == NULL ? CN_ERR_NOMEM : CN_ERR_USAGE;
	return CN_OK;
}

static const struct cmd_opt verify_opts_table[] = {
	{ .name = "repair", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct verify_opts, repair),
	  .help = "fetch the bad files (only those) again" },
	{ .name = "json", .kind = CMD_OPT_JSON,
	  .help = "the agent's JSON lines, each with \"host\"" },
	{ .name = NULL }
};

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.synopsis = "verify TARGET [REPO...] [--repair]",
	.summary = "Re-hash every cached file on each box; --repair fetches "
	    "bad ones again.",
	.opts = verify_opts_table,
	.opts_size = sizeof(struct verify_opts),
	.target = CMD_TARGET_REQUIRED,
	.nargs_min = 0,
	.nargs_max = -1,
	.flags = CMD_PER_HOST | CMD_LIVE | CMD_RENDER | CMD_KEEP_LOG |
	    CMD_SAVE_FAILED | CMD_DETACH,
	.check = verify_check,
	.host = verify_host,
};

/*
 * cnorch box-scripts HOST --home DIR
 *
 * Prints, as one JSON object, the box-side scripts `cnorch provision HOST`
 * would send to HOST, built by the same functions (box/facts.c,
 * upload.c, setup.c, launch.c), so another runner — the Ansible role in
 * contrib/ansible/ — does on the box exactly what cnorch does, and there
 * is one source of truth for the box side:
 *
 *   host, payload (the id), home, data_dir (expanded with DIR as the
 *   box's shell would), payload_dir, tmp (where to upload the files
 *   before the commit script checks and renames them), files (name and
 *   mode), facts, prepare, commit, setup (scripts for `sh -s`),
 *   setup_secret (the setup script carries a proxy URL), notes, and
 *   jobs: [{id, repo, job_dir, launch}] for the host's pulls.
 *
 * Each script is meant for `sh -s` on stdin, as cnorch sends them: a
 * value in one never reaches a process's argv.  No token is in them: the
 * runner exports HF_TOKEN ahead of a launch script itself when it has one.
 * A proxy URL, credentials and all, is in the setup script as provision
 * sends it (setup_secret says so): the output is for a runner that keeps
 * it out of logs (the role's tasks are no_log), unlike `hosts --json`,
 * which shows the proxy redacted.
 * DIR is the box's $HOME (the runner asks the box), needed because the
 * scripts take data_dir and the upload directory as absolute paths.
 * Mirrors "auto" are measured by provision only; here the setup script's
 * defaults apply, and a note says so.
 *
 * Connects to nothing.  Exit 0; 2 for a usage error, an invalid inventory
 * or a TARGET that is not exactly one host.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "facts.h"
#include "inventory.h"
#include "launch.h"
#include "payload.h"
#include "script.h"
#include "setup.h"
#include "upload.h"

struct box_scripts_opts {
	const char	*home;
};

/*
 * data_dir as the box's shell expands it in the facts script
 * (script_path(): a leading "~", "$HOME" or "${HOME}" is $HOME); a
 * relative path is relative to $HOME, where an SSH session starts.
 */
static char *
expand_home(const char *dir, const char *home)
{
	static const char *const pre[] = { "${HOME}", "$HOME", "~" };
	const char *rest = NULL;
	char *r;
	size_t i, l;

	if (dir[0] == '/')
		return strdup(dir);
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]) && rest == NULL; i++) {
		l = strlen(pre[i]);
		if (strncmp(dir, pre[i], l) == 0 &&
		    (dir[l] == '\0' || dir[l] == '/'))
			rest = dir + l;
	}
	if (rest == NULL) {
		if (asprintf(&r, "%s/%s", home, dir) < 0)
			return NULL;
		return r;
	}
	if (asprintf(&r, "%s%s", home, rest) < 0)
		return NULL;
	return r;
}

/* One host's pulls as job ids and launch scripts. */
static json_t *
jobs_json(const struct host *h, const struct launch_env *le,
    const char *home)
{
	json_t *a;
	struct launch_pull lp;
	const struct pull_spec *ps;
	char *id, *script, *dir;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < h->npulls; i++) {
		ps = &h->pulls[i];
		lp = launch_pull_of(ps);
		id = job_id(&lp);
		script = launch_script(le, &lp);
		dir = NULL;
		if (id != NULL && asprintf(&dir, "%s/" CNORCH_JOBS_REL "/%s",
		    home, id) < 0)
			dir = NULL;
		if (id == NULL || script == NULL || dir == NULL ||
		    json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
		    "id", id, "repo", ps->repo, "job_dir", dir, "launch",
		    script)) != 0) {
			free(id);
			free(script);
			free(dir);
			json_decref(a);
			return NULL;
		}
		free(id);
		free(script);
		free(dir);
	}
	return a;
}

/* Everything for h; NULL when out of memory. */
static json_t *
scripts_json(const struct host *h, const char *home)
{
	const struct payload_file *f;
	struct setup_opts so = { 0 };
	struct launch_env le = { 0 };
	const char *id = payload_id();
	unsigned char rnd[6] = { 0 };
	char *dd = NULL, *pdir = NULL, *tmp = NULL, *facts = NULL;
	char *prep = NULL, *commit = NULL, *setup = NULL, mode[8];
	json_t *o = NULL, *files, *notes, *jobs = NULL;
	size_t i, n;

	/* Two runs never share an upload directory (as upload.c). */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		goto out;
	if ((dd = expand_home(h->data_dir != NULL ? h->data_dir : "~",
	    home)) == NULL ||
	    asprintf(&pdir, "%s/" CNORCH_PAYLOAD_REL "/%s", home, id) < 0 ||
	    asprintf(&tmp, "%s/" CNORCH_PAYLOAD_REL "/.tmp-%s-"
	    "%02x%02x%02x%02x%02x%02x", home, id, rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5]) < 0) {
		pdir = tmp = NULL;
		goto out;
	}
	so.data_dir = dd;
	so.hf = h->mirrors.hf;
	so.modelscope = h->mirrors.modelscope;
	if (h->mirrors.pypi != NULL && strcmp(h->mirrors.pypi, "auto") != 0)
		so.pypi = h->mirrors.pypi;
	if (h->mirrors.conda != NULL && strcmp(h->mirrors.conda, "auto") != 0)
		so.conda = h->mirrors.conda;
	so.proxy = h->proxy;
	le.payload_id = id;
	le.data_dir = dd;
	le.hf_endpoint = h->mirrors.hf;
	le.modelscope_endpoint = h->mirrors.modelscope;
	if ((facts = box_facts_script(h->data_dir != NULL ? h->data_dir :
	    "~", id)) == NULL || (prep = upload_prepare_script(tmp)) == NULL ||
	    (commit = upload_commit_script(tmp, id)) == NULL ||
	    (setup = setup_script(id, &so)) == NULL ||
	    (jobs = jobs_json(h, &le, home)) == NULL)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[], s:s, s:s, s:s, "
	    "s:s, s:b, s:[], s:o}", "host", h->name, "payload", id, "home",
	    home, "data_dir", dd, "payload_dir", pdir, "tmp", tmp, "files",
	    "facts", facts, "prepare", prep, "commit", commit, "setup", setup,
	    "setup_secret", h->proxy != NULL, "notes", "jobs", jobs);
	jobs = NULL;
	if (o == NULL)
		goto out;
	files = json_object_get(o, "files");
	f = payload_files(&n);
	for (i = 0; i < n; i++) {
		snprintf(mode, sizeof(mode), "%04o", (unsigned)f[i].mode);
		if (json_array_append_new(files, json_pack("{s:s, s:s}",
		    "name", f[i].name, "mode", mode)) != 0)
			goto fail;
	}
	notes = json_object_get(o, "notes");
	for (i = 0; i < 2; i++) {
		const char *v = i == 0 ? h->mirrors.pypi : h->mirrors.conda;
		char *s;

		if (v == NULL || strcmp(v, "auto") != 0)
			continue;
		if (asprintf(&s, "%s mirror \"auto\" is measured by cnorch "
		    "provision only; the setup script's default is used",
		    i == 0 ? "pypi" : "conda") < 0 ||
		    json_array_append_new(notes, json_string(s)) != 0)
			goto fail;
		free(s);
	}
	goto out;
 fail:
	json_decref(o);
	o = NULL;
 out:
	json_decref(jobs);
	free(dd);
	free(pdir);
	free(tmp);
	free(facts);
	free(prep);
	free(commit);
	free(setup);
	return o;
}

static int
box_scripts_exec(struct cmd_run *run)
{
	struct box_scripts_opts *opts = run->opts;
	struct inventory *inv = NULL;
	const struct host **hosts = NULL;
	char *path = NULL, *msg = NULL, *s = NULL;
	size_t nhosts = 0;
	json_t *o = NULL;
	int r, ret = CN_ERR_USAGE;

	if ((path = inventory_default_path(run->ctx->inventory_path)) ==
	    NULL) {
		fprintf(stderr, "error: out of memory\n");
		goto out;
	}
	if ((r = inventory_load(path, NULL, &inv, &msg)) != CN_OK ||
	    (r = inventory_select(inv, run->target, NULL, 0, &hosts,
	    &nhosts, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		goto out;
	}
	if (nhosts != 1) {
		fprintf(stderr, "error: target '%s' is %zu hosts; box-scripts "
		    "takes one\n", run->target, nhosts);
		goto out;
	}
	if ((o = scripts_json(hosts[0], opts->home)) == NULL ||
	    (s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		fprintf(stderr, "error: out of memory\n");
		goto out;
	}
	printf("%s\n", s);
	ret = fflush(stdout) == 0 ? CN_OK : CN_ERR_USAGE;
 out:
	json_decref(o);
	free(s);
	free(hosts);
	inventory_destroy(inv);
	free(msg);
	free(path);
	return ret;
}

/* --home is the box's $HOME: absolute, one line. */
static int
box_scripts_check(struct cmd_run *run, char **msg)
{
	struct box_scripts_opts *opts = run->opts;
	const char *h = opts->home;

	if (h == NULL || h[0] != '/' || strpbrk(h, "\n\r") != NULL) {
		if (asprintf(msg, "--home: expected the box's $HOME, an "
		    "absolute path, got '%s'", h != NULL ? h : "") < 0)
			return CN_ERR_NOMEM;
		return CN_ERR_USAGE;
	}
	return CN_OK;
}

static const struct cmd_opt box_scripts_opts_table[] = {
	{ .name = "home", .kind = CMD_OPT_STRING, .arg = "DIR",
	  .off = offsetof(struct box_scripts_opts, home),
	  .help = "the box's $HOME (required)" },
	{ .name = NULL }
};

const struct cmd_entry cmd_box_scripts_entry = {
	.name = "box-scripts",
	.synopsis = "box-scripts HOST --home DIR",
	.summary = "Print the scripts provision would run on HOST, as JSON "
	    "(for the Ansible role).",
	.opts = box_scripts_opts_table,
	.opts_size = sizeof(struct box_scripts_opts),
	.target = CMD_TARGET_REQUIRED,
	.args_name = "a HOST",
	.check = box_scripts_check,
	.exec = box_scripts_exec,
};

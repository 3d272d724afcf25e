/*
 * cnorch resume TARGET [--stalled] [--stall-after S] [--no-wait]
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
 * blobs are resumed by Range).  The token, never recorded, comes from
 * HF_TOKEN on the laptop as for provision.  The restarted jobs are then
 * followed to their end (--no-wait: not).
 *
 * Exit code: 0 every job resumed finished (or runs, with --no-wait or
 * after Ctrl-C) or there was nothing to resume; 1 a job could not be
 * restarted or failed again, or cnorch is not set up on a host; 3 a host
 * could not be reached; 2 usage.
 */
#include <errno.h>
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
#include "launch.h"
#include "payload.h"
#include "render.h"
#include "session.h"

#define STOP_TIMEOUT_S	10
#define CACHE_SUFFIX	"/hf/hub"

struct resume_args {
	struct render	*rd;
	double		 stall_after;
	bool		 stalled;
	bool		 no_wait;
	bool		 interactive;
	const char	*hf_token;
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
 * Start job j again as job.json asked.  Returns CN_OK with *res, or a
 * code with a one-line *why.
 */
static int
relaunch(struct session *s, const char *name, const struct resume_args *a,
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
	le.payload_id = payload_id();
	le.data_dir = data_dir;
	le.hf_endpoint = sget(j->spec, "endpoint");
	le.modelscope_endpoint = sget(j->spec, "modelscope_endpoint");
	le.hf_token = a->hf_token;
	if ((r = launch_pull(s, &le, &lp, res, &js, &msg)) != CN_OK) {
		*why = strdup(msg != NULL ? jobs_unprefixed(name, msg) :
		    cn_strerror(r));
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
wanted(const struct resume_args *a, const struct job_info *j)
{
	const char *st = job_display_state(j, a->stall_after);

	if (strcmp(st, "failed") == 0 || strcmp(st, "stopped") == 0 ||
	    strcmp(st, "dead") == 0)
		return true;
	return a->stalled && strcmp(st, "stalled") == 0;
}

static int
resume_host(const struct host *h, void *arg, struct hostout *o)
{
	struct resume_args *a = arg;
	struct session *s = NULL;
	struct host_jobs hj = { 0 };
	struct follow_job *fj = NULL;
	struct job_info *j;
	enum launch_result res;
	const char **stop_ids = NULL;
	char *msg = NULL, *why = NULL;
	size_t i, k, n = 0, nstop = 0, nf = 0;
	int *rc = NULL, r, ret = EXIT_REMOTE;
	bool failed = false;

	(void)o;
	if ((r = jobs_connect_list(a->rd, h, a->interactive, &s, &hj)) !=
	    EXIT_OK) {
		ret = r;
		goto out;
	}
	if ((fj = calloc(hj.njobs + 1, sizeof(*fj))) == NULL ||
	    (stop_ids = calloc(hj.njobs + 1, sizeof(*stop_ids))) == NULL ||
	    (rc = calloc(hj.njobs + 1, sizeof(*rc))) == NULL) {
		jobs_note_error(a->rd, h->name, "out of memory");
		goto out;
	}
	for (i = 0; i < hj.njobs; i++) {
		if (!wanted(a, &hj.jobs[i]))
			continue;
		n++;
		if (job_is_live(&hj.jobs[i]))
			stop_ids[nstop++] = hj.jobs[i].id;
	}
	if (n == 0) {
		render_note(a->rd, h->name, false, json_pack("{s:s}", "event",
		    "nothing_to_resume"), "nothing to resume");
		ret = EXIT_OK;
		goto out;
	}
	/* Stalled jobs: their agent goes first, process group and all. */
	if (nstop > 0 && (r = jobs_stop(s, payload_id(), stop_ids, nstop,
	    STOP_TIMEOUT_S, rc)) != CN_OK) {
		jobs_note_error(a->rd, h->name, session_errmsg(s));
		ret = r == CN_ERR_NOMEM ? EXIT_REMOTE : EXIT_UNREACHABLE;
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
			render_note(a->rd, h->name, true, json_pack(
			    "{s:s, s:s, s:s}", "event", "error", "job", j->id,
			    "message", "cannot stop the stalled job"),
			    "%s: cannot stop the stalled job (cnorch-agent "
			    "stop exit %d)", j->id, rc[k]);
			failed = true;
			continue;
		}
		free(why);
		why = NULL;
		if ((r = relaunch(s, h->name, a, j, &res, &why)) != CN_OK) {
			render_note(a->rd, h->name, true, json_pack(
			    "{s:s, s:s, s:s?}", "event", "error", "job",
			    j->id, "message", why), "%s: cannot resume: %s",
			    j->id, why != NULL ? why : cn_strerror(r));
			failed = true;
			if (r != CN_ERR_REMOTE && r != CN_ERR_UNSUPPORTED &&
			    r != CN_ERR_INVALID && r != CN_ERR_NOT_FOUND &&
			    r != CN_ERR_NOMEM) {
				ret = EXIT_UNREACHABLE;
				goto out;
			}
			continue;
		}
		render_note(a->rd, h->name, false, json_pack(
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
			jobs_note_error(a->rd, h->name, "out of memory");
			goto out;
		}
		nf++;
	}
	ret = failed ? EXIT_REMOTE : EXIT_OK;
	if (a->no_wait || nf == 0)
		goto out;
	r = jobs_follow_render(a->rd, &s, h, fj, nf, jobs_interrupted, NULL,
	    NULL, &msg);
	for (i = 0; i < nf; i++)
		render_forget(a->rd, h->name, fj[i].id);
	if (r == CN_ERR_INTERRUPTED) {
		render_note(a->rd, h->name, false, json_pack("{s:s}", "event",
		    "detached"), "detached; jobs keep running. reattach with: "
		    "cnorch logs %s -f", h->name);
		goto out;
	}
	if (r != CN_OK) {
		jobs_note_error(a->rd, h->name, msg != NULL ? msg :
		    s != NULL ? session_errmsg(s) : cn_strerror(r));
		ret = r == CN_ERR_NOMEM ? EXIT_REMOTE : EXIT_UNREACHABLE;
		goto out;
	}
	for (i = 0; i < nf; i++) {
		render_note(a->rd, h->name, !fj[i].ok, json_pack(
		    "{s:s, s:s, s:s}", "event", "resume", "job", fj[i].id,
		    "status", fj[i].ok ? "done" : "failed"), "%s %s", fj[i].id,
		    fj[i].ok ? "done" : "failed again; see 'cnorch logs'");
		if (!fj[i].ok)
			ret = EXIT_REMOTE;
	}
 out:
	if (fj != NULL)
		for (i = 0; i < nf; i++)
			follow_release(&fj[i]);
	free(fj);
	free(stop_ids);
	free(rc);
	free(why);
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
	fprintf(stderr, "\nusage: cnorch resume TARGET [--stalled] "
	    "[--stall-after S] [--no-wait]\n");
	return EXIT_USAGE;
}

static int
cmd_resume_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct resume_args a;
	struct inventory *own = NULL;
	const struct host **hosts = NULL;
	const char *target = NULL, *sv = NULL, *v;
	char *msg = NULL, *end;
	size_t nhosts = 0;
	int *status = NULL, ret, r, argi;
	enum render_mode mode;

	memset(&a, 0, sizeof(a));
	a.stall_after = JOBS_STALL_AFTER_S;
	for (argi = 1; argi < argc; argi++) {
		if (strcmp(argv[argi], "--stalled") == 0)
			a.stalled = true;
		else if (strcmp(argv[argi], "--no-wait") == 0)
			a.no_wait = true;
		else if (strcmp(argv[argi], "--stall-after") == 0) {
			if (argi + 1 >= argc)
				return usage_error("--stall-after needs a "
				    "value%s", "");
			sv = argv[++argi];
		} else if (strncmp(argv[argi], "--stall-after=", 14) == 0)
			sv = argv[argi] + 14;
		else if (strcmp(argv[argi], "--") == 0)
			continue;
		else if (argv[argi][0] == '-' && argv[argi][1] != '\0')
			return usage_error("unknown option '%s'", argv[argi]);
		else if (target == NULL)
			target = argv[argi];
		else
			return usage_error("unexpected argument '%s'",
			    argv[argi]);
	}
	if (target == NULL)
		return usage_error("resume needs a TARGET%s", "");
	if (sv != NULL) {
		errno = 0;
		a.stall_after = strtod(sv, &end);
		if (errno != 0 || end == sv || *end != '\0' ||
		    !(a.stall_after >= 1 && a.stall_after <= 86400))
			return usage_error("--stall-after: expected seconds "
			    "(1-86400), got '%s'", sv);
	}
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
	(void)render_keep_log(a.rd, "resume");
	a.interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	if ((v = getenv("HF_TOKEN")) != NULL && v[0] != '\0')
		a.hf_token = v;
	jobs_sigint_catch();
	ret = fleet_run((const struct host *const *)hosts, nhosts,
	    ctx->forks > 0 ? ctx->forks : 16, resume_host, &a, status);
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

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.usage = "resume TARGET [--stalled] [--stall-after S] [--no-wait]",
	.flags = CMD_NEEDS_INVENTORY,
	.exec = cmd_resume_exec,
};

/*
 * cnorch-agent pull: plan a repo at a revision (planner.h), check the
 * disk, fetch and verify every file (transfer.h) into the HF cache
 * layout or a plain directory (cache.h), optionally as a detached job
 * (job.h) reporting into its job directory (report.h).  The options and
 * their checks live in pull_args.c.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cmds.h"
#include "error.h"
#include "fsutil.h"
#include "event.h"
#include "http.h"
#include "job.h"
#include "planner.h"
#include "pull_args.h"
#include "redact.h"
#include "report.h"
#include "transfer.h"
#include "ms_layout.h"
#include "upstream.h"

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* "error: <m>" on stderr, credentials in URLs redacted. */
static void
print_error(const char *m)
{
	char *s = cn_redact_text(m);

	fprintf(stderr, "error: %s\n", s ? s : "out of memory");
	free(s);
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : p;
}

static json_t *
plan_fields(const struct plan *p)
{
	return json_pack("{s:i,s:I,s:s,s:s,s:s,s:s,s:s}",
	    "files", (int)p->nfiles, "bytes_total", (json_int_t)p->bytes_total,
	    "repo", p->repo, "revision", p->revision, "commit", p->commit,
	    "source", planner_source_name(p->source),
	    "endpoint", p->endpoint ? p->endpoint : "");
}

struct pull_run {
	struct pull_args *a;
	struct report	*rep;
	struct http_conf http;
	struct http_conf uphttp;	/* http + the proxy: shallow, never
					 * released */
	struct cache	*cache;
	struct plan	*plan;
	struct transfer_stats st;
	unsigned	 retries;	/* over every rung */
	unsigned	 stalls;
	unsigned	 files_done;
	unsigned	 files_failed;
	uint64_t	 bytes_done;
	uint64_t	 fetched;
	char		*msg;		/* first failure */
};

static int
file_path_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plan_file *)a)->path,
	    ((const struct plan_file *)b)->path);
}

static void
set_msg(struct pull_run *pr, char *m)
{
	if (pr->msg == NULL)
		pr->msg = m;
	else
		free(m);
}

static int
make_plan(struct pull_run *pr, enum hub_source src)
{
	struct pull_args *a = pr->a;
	struct planner_opts po = {
		.source = src,
		.repo_type = a->repo_type,
		.repo = a->repo,
		.revision = a->revision,
		.hf_endpoint = a->endpoint,
		.ms_endpoint = a->ms_endpoint,
		.ms_repo = a->ms_repo,
		.upstream_endpoint = a->upstream,
		.upstream_http = a->proxy != NULL ? &pr->uphttp : NULL,
		.http = &pr->http,
		.max_files = a->max_files,
		.max_bytes = a->max_bytes,
		.include = a->include,
		.ninclude = a->ninclude,
		.exclude = a->exclude,
		.nexclude = a->nexclude,
		.on_event = report_emit_borrowed,
		.arg = pr->rep,
	};
	char *m = NULL;
	int r;

	plan_destroy(pr->plan);
	pr->plan = NULL;
	if ((r = planner_build(&po, &pr->plan, &m)) != CN_OK) {
		set_msg(pr, m ? m : strdup(cn_strerror(r)));
		return r;
	}
	report_emit(pr->rep, "plan", plan_fields(pr->plan));
	return CN_OK;
}

static int
check_space(struct pull_run *pr)
{
	uint64_t need, have;
	char a[32], b[32], *m = NULL;

	need = transfer_space_needed(pr->plan, pr->cache);
	if (cache_free_bytes(pr->cache, &have) != CN_OK)
		return CN_OK;	/* cannot tell: the writes will */
	if (need <= have)
		return CN_OK;
	if (asprintf(&m, "not enough space in '%s': need %s (%llu bytes) "
	    "more, %s (%llu bytes) free", cache_repo_dir(pr->cache),
	    report_bytes(need, a, sizeof(a)), (unsigned long long)need,
	    report_bytes(have, b, sizeof(b)), (unsigned long long)have) < 0)
		m = NULL;
	set_msg(pr, m ? m : strdup("not enough space"));
	return CN_ERR_NOSPACE;
}

/*
 * Fetch the files of plan p with conf (the plain one, or the last rung's
 * with its proxy).  Marks what was committed in ok[] of pr->plan (by
 * path), so the ladder knows what is left.
 */
static int
fetch(struct pull_run *pr, const struct plan *p, const struct http_conf *conf,
    int source_budget, int retries, bool *ok)
{
	struct pull_args *a = pr->a;
	struct transfer_opts to;
	struct plan_file key, *hit;
	size_t i;
	int r;

	transfer_opts_init(&to);
	to.http = conf;
	to.cache = pr->cache;
	to.max_files = a->jobs;
	to.max_conns = a->conns;
	to.min_seg = a->split;
	to.stall_timeout_s = a->stall_timeout;
	to.min_rate_bps = a->min_rate;
	to.retries = retries;
	to.source_budget = source_budget;
	to.stop = &stop_flag;
	to.emit = report_emit_cb;
	to.emit_arg = pr->rep;
	transfer_stats_release(&pr->st);
	r = transfer_run(p, NULL, &to, &pr->st);
	pr->retries += pr->st.retries;
	pr->stalls += pr->st.stalls;
	pr->fetched += pr->st.bytes_fetched;
	pr->files_done += pr->st.files_done;
	pr->bytes_done += pr->st.bytes_done;
	for (i = 0; pr->st.file_ok != NULL && i < p->nfiles; i++) {
		if (!pr->st.file_ok[i])
			continue;
		key.path = p->files[i].path;
		hit = bsearch(&key, pr->plan->files, pr->plan->nfiles,
		    sizeof(key), file_path_cmp);
		if (hit != NULL)
			ok[hit - pr->plan->files] = true;
	}
	if (r == CN_OK || r == CN_ERR_INTERRUPTED)
		return r;
	free(pr->msg);
	pr->msg = pr->st.message ? strdup(pr->st.message) :
	    strdup(cn_strerror(r));
	return r;
}

/* Files of the plan not yet committed. */
static size_t
left(const struct pull_run *pr, const bool *ok)
{
	size_t i, n = 0;

	for (i = 0; i < pr->plan->nfiles; i++)
		n += !ok[i];
	return n;
}

/* Sleep s seconds unless stopped first. */
static void
nap(double s)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	double t;

	for (t = 0; t < s && !stop_flag; t += 0.1)
		nanosleep(&ts, NULL);
}

/*
 * A proxy lent by the laptop gets a new port on the box when the laptop
 * comes back (cnorch re-opens its forward and writes the new URL to
 * <job_dir>/proxy): read it before each climb.
 */
static void
proxy_reread(struct pull_run *pr)
{
	static char url[512];
	char *path = NULL;
	FILE *fp = NULL;
	size_t n;

	if (pr->a->job_dir == NULL || pr->a->proxy == NULL ||
	    asprintf(&path, "%s/proxy", pr->a->job_dir) < 0)
		return;
	if ((fp = fopen(path, "r")) != NULL &&
	    fgets(url, sizeof(url), fp) != NULL) {
		n = strcspn(url, "\r\n");
		url[n] = '\0';
		if (n > 0 && (strncmp(url, "http://", 7) == 0 ||
		    strncmp(url, "socks5", 6) == 0)) {
			pr->a->proxy = url;
			pr->uphttp.proxy = url;
		}
	}
	if (fp != NULL)
		fclose(fp);
	free(path);
}

/*
 * The last rung, with its proxy.  While the proxy is gone (a laptop
 * that went away with its forward) the files wait in a visible state and
 * are tried again with a growing pause; the job lives until they are
 * done or it is stopped.
 */
static int
climb_upstream(struct pull_run *pr, bool *ok)
{
	struct pull_args *a = pr->a;
	struct plan *up = NULL;
	const char *ep = a->upstream ? a->upstream :
	    getenv("CNORCH_UPSTREAM_ENDPOINT");
	double wait = 1;
	int r, waits = 0;

	if (ep == NULL || *ep == '\0')
		ep = PLANNER_UPSTREAM_ENDPOINT;
	for (;;) {
		plan_destroy(up);
		proxy_reread(pr);
		if ((r = planner_rung(pr->plan, ok, SOURCE_HUGGINGFACE, ep,
		    &up)) != CN_OK)
			return r;
		if (up == NULL)
			return CN_OK;
		if (pr->plan->source != SOURCE_HUGGINGFACE)
			report_emit(pr->rep, "source", json_pack(
			    "{s:s,s:s,s:s,s:I}", "from", planner_source_name(
			    pr->plan->source), "to", "huggingface", "reason",
			    pr->msg ? pr->msg : "not fetched from the mirror "
			    "or ModelScope", "files", (json_int_t)up->nfiles));
		r = fetch(pr, up, &pr->uphttp, 0, a->retries < 3 ?
		    a->retries : 3, ok);
		if (r == CN_OK || r == CN_ERR_INTERRUPTED || stop_flag ||
		    a->proxy == NULL)
			break;
		if (upstream_proxy_alive(a->proxy, 5) == CN_OK) {
			/* The proxy is there: a real failure, unless it was
			 * only a blip (a few tries more). */
			if (++waits > 3)
				break;
		} else {
			report_emit(pr->rep, "waiting", json_pack(
			    "{s:s,s:I,s:f}", "reason", "laptop proxy gone",
			    "files", (json_int_t)up->nfiles, "delay_s", wait));
			/* "running": stop, status and the laptop know that
			 * state; the note is what status shows (issue 13) */
			report_state(pr->rep, "running",
			    "waiting: laptop proxy gone");
		}
		nap(wait);
		/* the note stays until the proxy answers again */
		if (upstream_proxy_alive(pr->a->proxy, 5) == CN_OK)
			report_state(pr->rep, "running", NULL);
		if (stop_flag) {
			r = CN_ERR_INTERRUPTED;
			break;
		}
		wait = wait * 2 > 30 ? 30 : wait * 2;
	}
	plan_destroy(up);
	return r;
}

/* --modelscope-layout: the model in ModelScope's own cache too. */
static int
ms_layout(struct pull_run *pr)
{
	char *dir = NULL, *m = NULL;
	int r;

	r = ms_layout_write(pr->plan, NULL, pr->cache,
	    getenv("MODELSCOPE_CACHE"), pr->a->ms_repo ? pr->a->ms_repo :
	    pr->a->repo, &dir, &m);
	if (r != CN_OK) {
		free(pr->msg);
		pr->msg = m ? m : strdup(cn_strerror(r));
		return r;
	}
	report_emit(pr->rep, "modelscope_layout", json_pack("{s:s,s:I}",
	    "dir", dir, "files", (json_int_t)pr->plan->nfiles));
	free(dir);
	return CN_OK;
}

/*
 * Plan; when listing failed on the network and a proxy was given that
 * does not answer (the laptop went away before the pull could list
 * huggingface.co), wait for it as the fetch does.
 */
static int
plan_waiting(struct pull_run *pr)
{
	double wait = 1;
	int r;

	for (;;) {
		r = make_plan(pr, pr->a->source);
		if (r == CN_OK || pr->a->proxy == NULL || stop_flag ||
		    (r != CN_ERR_RETRIES && r != CN_ERR_CONNECT &&
		    r != CN_ERR_TIMEOUT && r != CN_ERR_CURL) ||
		    upstream_proxy_alive(pr->a->proxy, 5) == CN_OK)
			return stop_flag ? CN_ERR_INTERRUPTED : r;
		report_emit(pr->rep, "waiting", json_pack("{s:s,s:s,s:f}",
		    "reason", "laptop proxy gone", "step", "plan", "delay_s",
		    wait));
		/* "running": stop, status and the laptop know that state;
		 * the note is what status shows (issue 13) */
		report_state(pr->rep, "running", "waiting: laptop proxy gone");
		nap(wait);
		/* the note stays until the proxy answers again */
		if (upstream_proxy_alive(pr->a->proxy, 5) == CN_OK)
			report_state(pr->rep, "running", NULL);
		free(pr->msg);
		pr->msg = NULL;
		wait = wait * 2 > 30 ? 30 : wait * 2;
	}
}

/*
 * Everything after the arguments: plan, space, fetch, then the ladder one
 * file at a time: what the mirror could not give goes to ModelScope when
 * ModelScope has the same bytes, then to huggingface.co when a proxy was
 * given.
 */
static int
run(struct pull_run *pr)
{
	struct pull_args *a = pr->a;
	struct plan *ms = NULL;
	bool *ok = NULL;
	char *m = NULL;
	int r, budget;

	if ((r = plan_waiting(pr)) != CN_OK)
		return r;
	if ((r = check_space(pr)) != CN_OK)
		return r;
	if ((ok = calloc(pr->plan->nfiles + 1, sizeof(*ok))) == NULL)
		return CN_ERR_NOMEM;
	/* With auto, a mirror that keeps failing is left for the next rung
	 * after a budget of failed attempts over all files. */
	if (pr->plan->source == SOURCE_HUGGINGFACE) {
		/* Listed upstream (forced, or on no other hub): every file
		 * is on the last rung, waiting for its proxy if need be. */
		if ((r = climb_upstream(pr, ok)) == CN_OK && left(pr, ok) > 0)
			r = CN_ERR_RETRIES;
		goto out;
	}
	budget = a->source == SOURCE_AUTO && pr->plan->source == SOURCE_HF ?
	    (a->retries > 0 ? 3 * a->retries : 1) : 0;
	r = fetch(pr, pr->plan, &pr->http, budget, a->retries, ok);
	if (r == CN_OK || r == CN_ERR_INTERRUPTED || a->source != SOURCE_AUTO)
		goto out;
	if (r != CN_ERR_RETRIES && r != CN_ERR_NOT_FOUND &&
	    r != CN_ERR_STALL && r != CN_ERR_ACCESS && r != CN_ERR_VERIFY)
		goto out;
	/* Rung 2: ModelScope, for the files it has with the same sha256. */
	if (pr->plan->source == SOURCE_HF) {
		if ((r = planner_rung(pr->plan, ok, SOURCE_MODELSCOPE, NULL,
		    &ms)) != CN_OK)
			goto out;
		if (ms != NULL) {
			report_emit(pr->rep, "source", json_pack(
			    "{s:s,s:s,s:s,s:I}", "from", "hf", "to",
			    "modelscope", "reason", pr->msg ? pr->msg :
			    "the mirror failed", "files",
			    (json_int_t)ms->nfiles));
			r = fetch(pr, ms, &pr->http, 0, a->retries, ok);
			if (r == CN_ERR_INTERRUPTED)
				goto out;
		}
	}
	if (left(pr, ok) == 0) {
		r = CN_OK;
		goto out;
	}
	/* Rung 3: huggingface.co, only through a proxy. */
	if (a->proxy == NULL) {
		if (asprintf(&m, "%s (%zu file%s not fetched; if the mirror "
		    "and ModelScope lack them, pull through a proxy: --proxy "
		    "URL, from the laptop cnorch pull --via-laptop-proxy)",
		    pr->msg ? pr->msg : cn_strerror(r), left(pr, ok),
		    left(pr, ok) == 1 ? "" : "s") >= 0) {
			free(pr->msg);
			pr->msg = m;
		}
		if (r == CN_OK)
			r = CN_ERR_RETRIES;
		goto out;
	}
	if ((r = climb_upstream(pr, ok)) == CN_OK && left(pr, ok) > 0)
		r = CN_ERR_RETRIES;
 out:
	if (r == CN_OK && (r = cache_write_ref(pr->cache, pr->plan->revision,
	    pr->plan->commit, &m)) != CN_OK) {
		free(pr->msg);
		pr->msg = m;
	}
	if (r == CN_OK && a->ms_layout)
		r = ms_layout(pr);
	if (r == CN_OK) {
		free(pr->msg);
		pr->msg = NULL;
	}
	if (pr->plan != NULL)
		pr->files_failed = (unsigned)left(pr, ok);
	plan_destroy(ms);
	free(ok);
	return r;
}

static void
summary(struct pull_run *pr, int r, double elapsed)
{
	char a[32], b[32];
	uint64_t done = pr->bytes_done;

	if (r == CN_OK && pr->plan != NULL) {
		printf("pulled %s@%s from %s: %u files, %s in %.1f s (%s/s), "
		    "%u retries, %u stalls\n", pr->plan->repo,
		    pr->plan->commit, planner_source_name(pr->plan->source),
		    pr->files_done, report_bytes(done, a, sizeof(a)),
		    elapsed, report_bytes(elapsed > 0 ?
		    (unsigned long long)((double)pr->fetched / elapsed) : 0,
		    b, sizeof(b)), pr->retries, pr->stalls);
		return;
	}
	if (r == CN_ERR_INTERRUPTED)
		fprintf(stderr, "stopped: partial data kept, run the same "
		    "command again to resume\n");
	else
		print_error(pr->msg ? pr->msg : cn_strerror(r));
}

static int
pull_run(const struct agent_cmd *self, int argc, char **argv)
{
	struct pull_args a = { 0 };
	struct pull_run pr = { .a = &a };
	struct report_opts ro = { 0 };
	struct job_state js;
	struct sigaction sa;
	json_t *spec = NULL;
	bool child = false;
	unsigned long generation = 1;
	pid_t pid;
	int ready = -1, r, rc;
	double t0 = event_now(), elapsed;
	char *m = NULL, *warn;
	const char *endpoint, *ms_endpoint;

	if ((rc = pull_parse_args(self, argc, argv, &a)) != CN_OK)
		goto out;
	if (a.job_dir != NULL) {
		if (fs_mkdirs(a.job_dir) != CN_OK) {
			fprintf(stderr, "error: cannot create job dir '%s': "
			    "%s\n", a.job_dir, strerror(errno));
			rc = CN_ERR_SYSTEM;
			goto out;
		}
		/* A relaunch of the same job: events.jsonl starts over
		 * for a follower, which tells by the generation. */
		r = job_state_read(a.job_dir, &js);
		if (r == CN_OK)
			generation = js.generation + 1;
		if (r == CN_OK && (strcmp(js.state, "running") == 0 ||
		    strcmp(js.state, "queued") == 0) &&
		    job_alive(js.pid, js.proc_start)) {
			fprintf(stderr, "error: job dir '%s' is in use by pid "
			    "%ld\n", a.job_dir, js.pid);
			job_state_release(&js);
			rc = CN_ERR_LOCKED;
			goto out;
		}
		job_state_release(&js);
		if ((spec = pull_job_spec(&a)) == NULL ||
		    job_write_spec(a.job_dir, spec) != CN_OK) {
			fprintf(stderr, "error: cannot write '%s/job.json'\n",
			    a.job_dir);
			rc = CN_ERR_IO;
			goto out;
		}
	}
	if (a.detach) {
		r = job_daemonize(a.job_dir, 60, &child, &pid, &ready, &m);
		if (!child) {
			if (r != CN_OK) {
				print_error(m ? m : cn_strerror(r));
				rc = r;
				goto out;
			}
			if (a.json)
				agent_print_json(json_pack("{s:s,s:I}",
				    "job_dir", a.job_dir, "pid",
				    (json_int_t)pid));
			else
				printf("started job %s (pid %ld)\n", a.job_dir,
				    (long)pid);
			rc = CN_OK;
			goto out;
		}
	}
	/* From here on this process is the pull (the daemon, if detached). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (a.detach)
		signal(SIGHUP, SIG_IGN);
	else
		sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ro.job = a.job_dir ? base_name(a.job_dir) : "";
	ro.json_out = a.json && !a.detach ? stdout : NULL;
	ro.job_dir = a.job_dir;
	ro.human = !a.json && !a.detach;
	ro.bar = ro.human && isatty(STDERR_FILENO);
	ro.generation = generation;
	if ((r = report_create(&ro, &pr.rep)) != CN_OK) {
		if (asprintf(&m, "cannot open '%s/events.jsonl': %s",
		    a.job_dir, strerror(errno)) < 0)
			m = NULL;
		goto fail_early;
	}
	endpoint = a.endpoint ? a.endpoint : getenv("HF_ENDPOINT");
	if (endpoint == NULL || *endpoint == '\0')
		endpoint = PLANNER_HF_ENDPOINT;
	if ((r = http_conf_init(&pr.http, a.cacert, a.token_file, endpoint,
	    &m)) != CN_OK)
		goto fail_early;
	ms_endpoint = a.ms_endpoint ? a.ms_endpoint :
	    getenv("MODELSCOPE_ENDPOINT");
	if (ms_endpoint == NULL || *ms_endpoint == '\0')
		ms_endpoint = PLANNER_MS_ENDPOINT;
	if ((r = http_conf_modelscope(&pr.http, ms_endpoint, &m)) != CN_OK)
		goto fail_early;
	if (a.allow_http_token)
		pr.http.allow_http_token = true;
	if ((warn = http_token_warning(&pr.http)) != NULL) {
		fprintf(stderr, "warning: %s\n", warn);
		report_emit(pr.rep, "warning", json_pack("{s:s}", "message",
		    warn));
		free(warn);
	}
	/* The last rung's requests: the same tokens and CA, its proxy. */
	pr.uphttp = pr.http;
	pr.uphttp.proxy = a.proxy;
	if ((r = cache_open(a.local_dir ? a.local_dir : a.cache_dir,
	    a.local_dir != NULL, a.repo_type, a.repo, &pr.cache, &m)) !=
	    CN_OK)
		goto fail_early;
	report_state(pr.rep, "running", NULL);
	job_ready(ready, CN_OK, NULL);
	ready = -1;

	r = run(&pr);

	elapsed = event_now() - t0;
	report_emit(pr.rep, "done", json_pack("{s:s,s:I,s:f,s:I,s:i,s:i,s:i,"
	    "s:i,s:s?,s:O?}", "status", r == CN_OK ? "ok" :
	    r == CN_ERR_INTERRUPTED ? "stopped" : "failed",
	    "bytes", (json_int_t)pr.bytes_done, "elapsed_s", elapsed,
	    "bytes_fetched", (json_int_t)pr.fetched,
	    "files_done", (int)pr.files_done,
	    "files_failed", (int)pr.files_failed,
	    "retries", (int)pr.retries, "stalls", (int)pr.stalls,
	    "error", r == CN_OK || r == CN_ERR_INTERRUPTED ? NULL :
	    (pr.msg ? pr.msg : cn_strerror(r)), "sources", pr.st.sources));
	report_state(pr.rep, r == CN_OK ? "done" : r == CN_ERR_INTERRUPTED ?
	    "stopped" : "failed", r == CN_OK ? NULL :
	    (pr.msg ? pr.msg : cn_strerror(r)));
	report_end_bar(pr.rep);
	if (!a.json && !a.detach)
		summary(&pr, r, elapsed);
	else if (a.detach && r != CN_OK)
		print_error(pr.msg ? pr.msg : cn_strerror(r));
	rc = r;
	goto out;

 fail_early:
	/* Could not even start: say so where the caller looks. */
	if (!(a.json && !a.detach) || pr.rep == NULL)
		print_error(m ? m : cn_strerror(r));
	if (pr.rep != NULL) {
		report_emit(pr.rep, "error", json_pack("{s:s}", "message",
		    m ? m : cn_strerror(r)));
		report_emit(pr.rep, "done", json_pack("{s:s,s:i,s:f}",
		    "status", "failed", "bytes", 0, "elapsed_s",
		    event_now() - t0));
		report_state(pr.rep, "failed", m ? m : cn_strerror(r));
	}
	job_ready(ready, r, m ? m : cn_strerror(r));
	ready = -1;
	rc = r;
 out:
	if (ready >= 0)
		job_ready(ready, CN_ERR_REMOTE, "internal error");
	json_decref(spec);
	free(m);
	free(pr.msg);
	transfer_stats_release(&pr.st);
	plan_destroy(pr.plan);
	cache_destroy(pr.cache);
	http_conf_release(&pr.http);
	report_destroy(pr.rep);
	pull_args_release(&a);
	return rc;
}

const struct agent_cmd agent_cmd_pull = {
	.name = "pull",
	.summary = "download a repo into the HF cache or a local dir "
	    "(resumable)",
	.synopsis = "pull --repo ID [--revision R] [--repo-type model|dataset]\n"
"           [--source hf|modelscope|auto|huggingface] [--endpoint URL]\n"
"           [--modelscope-endpoint URL] [--modelscope-repo ID]\n"
"           [--upstream-endpoint URL] [--proxy URL] [--modelscope-layout]\n"
"           (--cache-dir DIR | --local-dir DIR)\n"
"           [--include GLOB]... [--exclude GLOB]... [-j FILES] [-x CONNS]\n"
"           [-k SPLIT] [--stall-timeout S] [--min-rate BPS] [--retries N]\n"
"           [--max-files N] [--max-bytes SIZE]\n"
"           [--cacert FILE] [--token-file FILE] [--allow-http-token]\n"
"           [--json]\n"
"           [--job-dir DIR [--detach]]",
	.help = "\n"
"  --cache-dir DIR      Hugging Face hub cache (default $HF_HUB_CACHE or\n"
"                       $HF_HOME/hub)\n"
"  --local-dir DIR      a plain tree instead of the cache layout\n"
"  -j, --jobs N         files at once (default 4)\n"
"  -x, --connections N  Range connections per large file (default 8)\n"
"  -k, --split SIZE     smallest segment, e.g. 8M (default 8M)\n"
"  --stall-timeout S    reconnect after S seconds without a byte (30)\n"
"  --min-rate BPS       ... or below BPS bytes/s for that long (off)\n"
"  --retries N          failures in a row per connection (default 10)\n"
"  --max-files N        refuse a listing of more than N files (1000000)\n"
"  --max-bytes SIZE     ... or of more than SIZE bytes in all (64T)\n"
"  --token-file FILE    HF token (mode 0600); else $HF_TOKEN.  ModelScope's\n"
"                       is $MODELSCOPE_API_TOKEN.  Tokens go only over\n"
"                       https to their endpoint's scheme, host and port\n"
"  --allow-http-token   ... also over plain http (local test hubs only)\n"
"  --detach             run as a job in --job-dir and return at once\n"
"  --dataset            same as --repo-type dataset\n"
"  --ms-endpoint URL    same as --modelscope-endpoint URL\n"
"  --modelscope-repo ID the repo's id on ModelScope when it differs\n"
"  --source huggingface the last rung only: --upstream-endpoint\n"
"  --upstream-endpoint URL  the last rung (default https://huggingface.co)\n"
"  --proxy URL          http/https/socks5/socks5h proxy for the last rung's\n"
"                       requests only; every other request uses no proxy\n"
"  $MODELSCOPE_API_TOKEN  ModelScope token (cookie m_session_id)\n"
"  --modelscope-layout  also lay the model out in ModelScope's own cache\n"
"                       ($MODELSCOPE_CACHE/models/org/name, hard links)\n"
"\n"
"exit: 0 ok, 1 download/verify failed (partial data kept), 2 usage,\n"
"      3 not found / access denied, 4 no space, 5 locked, 6 bad hub reply,\n"
"      7 stopped\n",
	.shortopts = "j:x:k:",
	.options = pull_options,
	.run = pull_run,
};

/*
 * cnorch cache TARGET [--json]
 *
 * What each box's caches hold: `cnorch-agent cache --json` run on the box
 * (from the payload, uploaded when missing) over the HF cache under the
 * host's data_dir and the ModelScope cache beside it, so only the summary
 * crosses SSH.  Text: one fleet table, identical rows of several hosts
 * folded into one ("autodl-[01-04]  Qwen/Qwen2.5-7B-Instruct  15.2 GiB
 * main"), then each host's disks (folded the same way when equal) and
 * its partial downloads with their age and the repo's last pull job.
 * --json: the agent's lines, each with "host" first.
 *
 * Exit code: 0, 1 the agent failed on a host, 3 a host could not be
 * reached, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "daytwo.h"
#include "error.h"
#include "fmt.h"
#include "inventory.h"
#include "jobcmd.h"
#include "recap.h"
#include "render.h"
#include "session.h"

struct cache_host {
	json_t	*lines;		/* the agent's objects, in order */
};

struct cache_line_ctx {
	struct cmd_run	*run;
	const struct host *h;
	struct cache_host *ch;
};

static int
on_line(void *arg, json_t *o)
{
	struct cache_line_ctx *c = arg;

	if (c->run->json)
		render_note(c->run->rd, c->h->name, false, json_incref(o),
		    "%s", "");
	return json_array_append(c->ch->lines, o) == 0 ? 0 : CN_ERR_NOMEM;
}

static int
cache_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct cache_host *ch = cmd_host_state(run, h);
	struct cache_line_ctx c = { run, h, ch };
	struct session *s = NULL;
	struct box_facts f = { 0 };
	int r, status;

	(void)o;
	if (ch == NULL || (ch->lines = json_array()) == NULL)
		return CN_ERR_NOMEM;
	if ((r = daytwo_prepare(run->rd, h, run->interactive, &s, &f)) !=
	    CN_OK)
		goto out;
	if ((r = daytwo_agent(run->rd, h, s, &f, CACHEOPS_CACHE, NULL, 0,
	    on_line, &c, &status)) != CN_OK)
		goto out;
	r = status == 0 ? CN_OK : CN_ERR_REMOTE;
 out:
	box_facts_release(&f);
	session_destroy(s);
	return r;
}

/* "main, v1.0 +1 detached" for a repo line (the modelscope revision for
 * that layout). */
static void
revs_text(json_t *repo, char *buf, size_t n)
{
	json_t *refs = json_object_get(repo, "refs"), *v;
	size_t det = json_array_size(json_object_get(repo, "detached"));
	const char *k;
	size_t len = 0;

	buf[0] = '\0';
	if (strcmp(daytwo_jstr(repo, "layout"), "modelscope") == 0)
		len = (size_t)snprintf(buf, n, "modelscope %s",
		    daytwo_jstr(repo, "revision"));
	json_object_foreach(refs, k, v) {
		if (len >= n)
			break;
		len += (size_t)snprintf(buf + len, n - len, "%s%s",
		    len > 0 ? ", " : "", k);
	}
	if (det > 0 && len < n)
		snprintf(buf + len, n - len, "%s+%zu detached", len > 0 ?
		    " " : "", det);
}

/* One folded table row: text and the hosts showing it. */
struct row {
	char		*text;
	const char	**hosts;
	size_t		  nhosts;
};

struct rows {
	struct row	*v;
	size_t		 n;
};

static int
rows_add(struct rows *t, const char *text, const char *host)
{
	struct row *nv;
	const char **nh;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].text, text) == 0)
			break;
	if (i == t->n) {
		if ((nv = realloc(t->v, (t->n + 1) * sizeof(*nv))) == NULL)
			return CN_ERR_NOMEM;
		t->v = nv;
		memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
		if ((t->v[t->n].text = strdup(text)) == NULL)
			return CN_ERR_NOMEM;
		t->n++;
	}
	if ((nh = realloc(t->v[i].hosts, (t->v[i].nhosts + 1) *
	    sizeof(*nh))) == NULL)
		return CN_ERR_NOMEM;
	t->v[i].hosts = nh;
	nh[t->v[i].nhosts++] = host;
	return CN_OK;
}

static void
rows_print(const struct rows *t, const char *head)
{
	char **folded;
	size_t i, w = 5;

	if (t->n == 0)
		return;
	if ((folded = calloc(t->n, sizeof(*folded))) == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		folded[i] = hostlist_fold(t->v[i].hosts, t->v[i].nhosts);
		if (folded[i] != NULL && strlen(folded[i]) > w)
			w = strlen(folded[i]);
	}
	if (head != NULL)
		printf("%-*s  %s\n", (int)w, "HOSTS", head);
	for (i = 0; i < t->n; i++) {
		printf("%-*s  %s\n", (int)w, folded[i] != NULL ? folded[i] :
		    "?", t->v[i].text);
		free(folded[i]);
	}
	free(folded);
}

static void
rows_release(struct rows *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].text);
		free(t->v[i].hosts);
	}
	free(t->v);
}

static void
disks_text(json_t *o, char *buf, size_t n)
{
	json_t *d;
	size_t i, len = 0;
	char u[32], f[32];

	buf[0] = '\0';
	json_array_foreach(json_object_get(o, "disks"), i, d) {
		if (len >= n)
			break;
		fmt_bytes(u, sizeof(u), daytwo_jnum(d, "used"));
		fmt_bytes(f, sizeof(f), daytwo_jnum(d, "free"));
		len += (size_t)snprintf(buf + len, n - len, "%s%s disk %s: "
		    "%s used, %s free", len > 0 ? "; " : "",
		    strcmp(daytwo_jstr(d, "role"), "cache") == 0 ? "data" :
		    "system", daytwo_jstr(d, "path"), u, f);
	}
	if (json_is_true(json_object_get(o, "same_fs")) && len < n)
		snprintf(buf + len, n - len, " (one disk)");
}

/* The partials of one repo line of host name, with the last job. */
static void
partials_print(const char *name, json_t *repo)
{
	json_t *parts = json_object_get(repo, "partials"), *p, *job;
	double oldest = 0;
	char b[32], age[32];
	size_t i;

	if (json_array_size(parts) == 0)
		return;
	json_array_foreach(parts, i, p)
		if (daytwo_jnum(p, "age_s") > oldest)
			oldest = daytwo_jnum(p, "age_s");
	fmt_bytes(b, sizeof(b), daytwo_jnum(repo, "partial_bytes"));
	fmt_duration(age, sizeof(age), oldest);
	printf("%s: %s: %zu partial%s, %s, oldest %s old", name,
	    daytwo_jstr(repo, "repo"), json_array_size(parts),
	    json_array_size(parts) == 1 ? "" : "s", b, age);
	job = json_object_get(repo, "last_job");
	if (json_is_object(job))
		printf("; last pull job %s %s", daytwo_jstr(job, "id"),
		    json_is_true(json_object_get(repo, "job_running")) ?
		    "running" : daytwo_jstr(job, "state"));
	printf("\n");
}

static int
cache_finish(struct cmd_run *run, const int *status, int exit_code)
{
	struct rows repos = { 0 }, disks = { 0 };
	struct cache_host *ch;
	json_t *o;
	char text[1024], revs[512], sz[32];
	const char *kind;
	size_t i, k;
	bool any = false;

	(void)status;
	if (run->json)
		return exit_code;
	for (i = 0; i < run->nhosts; i++) {
		ch = (struct cache_host *)((char *)run->host_state +
		    i * sizeof(*ch));
		json_array_foreach(ch->lines, k, o) {
			kind = daytwo_jstr(o, "kind");
			if (strcmp(kind, "repo") == 0) {
				revs_text(o, revs, sizeof(revs));
				fmt_bytes(sz, sizeof(sz),
				    daytwo_jnum(o, "size"));
				snprintf(text, sizeof(text), "%-40s %-7s "
				    "%10s  %s", daytwo_jstr(o, "repo"),
				    daytwo_jstr(o, "type"), sz, revs);
				if (rows_add(&repos, text,
				    run->hosts[i]->name) != CN_OK)
					goto nomem;
			} else if (strcmp(kind, "disks") == 0) {
				disks_text(o, text, sizeof(text));
				if (rows_add(&disks, text,
				    run->hosts[i]->name) != CN_OK)
					goto nomem;
			}
		}
	}
	snprintf(text, sizeof(text), "%-40s %-7s %10s  %s", "REPO", "TYPE",
	    "SIZE", "REVISIONS");
	rows_print(&repos, text);
	if (repos.n > 0 && disks.n > 0)
		printf("\n");
	rows_print(&disks, NULL);
	for (i = 0; i < run->nhosts; i++) {
		ch = (struct cache_host *)((char *)run->host_state +
		    i * sizeof(*ch));
		json_array_foreach(ch->lines, k, o)
			if (strcmp(daytwo_jstr(o, "kind"), "repo") == 0 &&
			    json_array_size(json_object_get(o,
			    "partials")) > 0) {
				if (!any)
					printf("\n");
				any = true;
				partials_print(run->hosts[i]->name, o);
			}
	}
	goto out;
 nomem:
	fprintf(stderr, "error: out of memory\n");
	exit_code = exit_worst(exit_code, EXIT_REMOTE);
 out:
	fflush(stdout);
	rows_release(&repos);
	rows_release(&disks);
	return exit_code;
}

static void
cache_release(struct cmd_run *run)
{
	struct cache_host *ch = run->host_state;
	size_t i;

	for (i = 0; ch != NULL && i < run->nhosts; i++)
		json_decref(ch[i].lines);
}

static const struct cmd_opt cache_opts_table[] = {
	{ .name = "json", .kind = CMD_OPT_JSON,
	  .help = "one JSON object a line, each with \"host\"" },
	{ .name = NULL }
};

const struct cmd_entry cmd_cache_entry = {
	.name = "cache",
	.synopsis = "cache TARGET [--json]",
	.summary = "Show the models, datasets, partials and disks of each box.",
	.opts = cache_opts_table,
	.target = CMD_TARGET_REQUIRED,
	.flags = CMD_PER_HOST | CMD_RENDER,
	.host_state_size = sizeof(struct cache_host),
	.host = cache_host,
	.finish = cache_finish,
	.release = cache_release,
};

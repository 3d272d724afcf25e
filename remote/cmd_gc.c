/*
 * cnorch-agent gc [--cache-dir DIR] [--revisions] [--incomplete
 *     [--older-than D]] [--repo R [--repo-type T]] [--dry-run]
 *     [--jobs-dir DIR] [--json]
 *
 * Gives disk back from the HF hub cache: detached revisions and the
 * blobs no remaining snapshot links, partials older than D.  A repo a
 * pull is writing is never touched: its lock (.locks/cnorch.lock) is
 * taken without waiting and a held lock, or a live job on the repo in
 * the jobs dir, skips it with a line saying so.  The bytes printed are
 * those freed: an inode counts once, and only when its last link goes.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cachecmd.h"
#include "cachegc.h"
#include "cachescan.h"
#include "cmds.h"
#include "error.h"
#include "event.h"
#include "report.h"

struct gc_args {
	struct gc_opts	 o;
	const char	*cache_opt, *jobs_opt, *older;
	const char	*repo;
	enum repo_type	 type;
	bool		 dry_run;
	bool		 json;
	unsigned	 items;
	unsigned	 skipped;
	uint64_t	 bytes;
	bool		 failed;
};

static const char *const what_name[] = { "revision", "blob", "partial" };

static void
say_skip(const struct gc_args *a, const struct cache_repo *r,
    const char *reason)
{
	if (a->json)
		agent_print_json(json_pack("{s:s,s:s,s:s,s:s}", "kind", "skip",
		    "repo", r->id, "type", cachescan_type_name(r->type),
		    "reason", reason));
	else
		printf("%s: skipped: %s\n", r->id, reason);
}

static void
say_item(const struct gc_args *a, const struct cache_repo *r,
    const struct gc_item *it)
{
	char b[32];

	if (a->json) {
		agent_print_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b}",
		    "kind", "remove", "repo", r->id, "type",
		    cachescan_type_name(r->type), "what", what_name[it->what],
		    "name", it->name, "path", it->path, "bytes",
		    (json_int_t)it->bytes, "dry_run", a->dry_run));
		return;
	}
	printf("%s: %s %s %s (%s", r->id, a->dry_run ? "would remove" :
	    "remove", what_name[it->what], it->name,
	    report_bytes(it->bytes, b, sizeof(b)));
	if (it->what == GC_PARTIAL)
		printf(", %.0f s old", it->age_s);
	printf(")\n");
}

/* Plan and (unless dry run) remove what r holds; r is locked or the
 * run is dry. */
static void
gc_repo(struct gc_args *a, const struct cache_repo *r)
{
	struct gc_plan *p = NULL;
	uint64_t freed = 0;
	char *msg = NULL, b[32];
	size_t i;
	int rv;

	if ((rv = cachegc_plan(r, &a->o, &p)) != CN_OK) {
		fprintf(stderr, "error: %s: %s\n", r->id, cn_strerror(rv));
		a->failed = true;
		return;
	}
	for (i = 0; i < p->nitems; i++)
		say_item(a, r, &p->items[i]);
	freed = p->bytes;
	if (!a->dry_run && (rv = cachegc_run(p, &freed, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s: %s\n", r->id, msg ? msg :
		    cn_strerror(rv));
		a->failed = true;
	}
	a->items += (unsigned)p->nitems;
	a->bytes += freed;
	if (a->json)
		agent_print_json(json_pack("{s:s,s:s,s:s,s:i,s:I,s:i,s:i,s:b}",
		    "kind", "repo_gc", "repo", r->id, "type",
		    cachescan_type_name(r->type), "items", (int)p->nitems,
		    "bytes", (json_int_t)freed, "kept_fresh",
		    (int)p->kept_fresh, "kept_busy", (int)p->kept_busy,
		    "dry_run", a->dry_run));
	else if (p->nitems > 0 || p->kept_fresh > 0 || p->kept_busy > 0)
		printf("%s: %s %s in %zu items%s%s\n", r->id, a->dry_run ?
		    "would free" : "freed", report_bytes(freed, b, sizeof(b)),
		    p->nitems, p->kept_fresh ? "; kept partials younger "
		    "than --older-than" : "", p->kept_busy ? "; kept "
		    "files huggingface_hub is writing" : "");
	free(msg);
	cachegc_plan_destroy(p);
}

static const struct option gc_options[] = {
	{ "cache-dir",	required_argument, NULL, 'c' },
	{ "revisions",	no_argument,	   NULL, 'R' },
	{ "incomplete",	no_argument,	   NULL, 'I' },
	{ "older-than",	required_argument, NULL, 'o' },
	{ "repo",	required_argument, NULL, 'r' },
	{ "repo-type",	required_argument, NULL, 't' },
	{ "dry-run",	no_argument,	   NULL, 'n' },
	{ "jobs-dir",	required_argument, NULL, 'j' },
	{ "json",	no_argument,	   NULL, 'J' },
	{ NULL,		0,		   NULL, 0 }
};

static int
gc_opt(const struct agent_cmd *c, int ch, const char *v, void *arg)
{
	struct gc_args *a = arg;

	switch (ch) {
	case 'c':
		a->cache_opt = v;
		break;
	case 'R':
		a->o.revisions = true;
		break;
	case 'I':
		a->o.incomplete = true;
		break;
	case 'o':
		a->older = v;
		break;
	case 'r':
		a->repo = v;
		return agent_check_repo(c, v, NULL);
	case 't':
		return agent_parse_repo_type(c, v, &a->type);
	case 'n':
		a->dry_run = true;
		break;
	case 'j':
		a->jobs_opt = v;
		break;
	case 'J':
		a->json = true;
		break;
	}
	return CN_OK;
}

/* What the options ask must make sense together. */
static int
check_args(const struct agent_cmd *c, struct gc_args *a)
{
	if (!a->o.revisions && !a->o.incomplete)
		return agent_usage(c, "nothing to do: pass --revisions "
		    "and/or --incomplete");
	if (a->older != NULL && !a->o.incomplete)
		return agent_usage(c, "--older-than needs --incomplete");
	if (a->older != NULL && cachegc_parse_age(a->older,
	    &a->o.older_than_s) != CN_OK)
		return agent_usage(c, "--older-than: expected a whole number "
		    "and a unit s, m, h or d (30m, 2h, 3d), got '%s'",
		    a->older);
	return CN_OK;
}

static int
gc_run(const struct agent_cmd *self, int argc, char **argv)
{
	struct gc_args a = { .type = REPO_MODEL };
	struct cache_scan *first = NULL, *s = NULL;
	struct cache_repo *r;
	char *cache_dir = NULL, *jobs_dir = NULL, *msg = NULL, b[32];
	int *fds = NULL, rc, rv, opt_end;
	bool named_skipped = false;
	size_t i;

	if ((rc = agent_parse(self, argc, argv, gc_opt, &a, &opt_end)) !=
	    CN_OK)
		return rc;
	if (opt_end != argc)
		return agent_usage(self, "unexpected argument '%s'",
		    argv[opt_end]);
	if ((rc = check_args(self, &a)) != CN_OK)
		return rc;
	if ((cache_dir = cachecmd_hf_dir(a.cache_opt)) == NULL)
		return agent_usage(self, "no cache: pass --cache-dir (or set "
		    "HF_HUB_CACHE / HF_HOME)");
	rc = CN_ERR_NOMEM;
	a.o.cache_dir = cache_dir;
	jobs_dir = cachecmd_jobs_dir(a.jobs_opt);
	/* First pass: which repos, and lock them; the second scan, under
	 * the locks, is what gets planned. */
	if ((rv = cachescan_create(cache_dir, NULL, jobs_dir, event_now(),
	    &first, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(rv));
		rc = rv;
		goto out;
	}
	if (a.repo != NULL && cachescan_find(first, a.repo, a.type) == NULL) {
		fprintf(stderr, "error: no %s '%s' in '%s'\n",
		    cachescan_type_name(a.type), a.repo, cache_dir);
		rc = CN_ERR_NOT_FOUND;
		goto out;
	}
	if ((fds = calloc(first->nrepos + 1, sizeof(*fds))) == NULL)
		goto out;
	for (i = 0; i < first->nrepos; i++) {
		r = &first->repos[i];
		fds[i] = -2;		/* not ours to touch */
		if (a.repo != NULL && (r->type != a.type ||
		    strcmp(r->id, a.repo) != 0))
			continue;
		if (r->job_running) {
			say_skip(&a, r, "a pull job is running on it");
			a.skipped++;
			named_skipped = a.repo != NULL;
			continue;
		}
		rv = cache_lock_repo(r->dir, !a.dry_run, &fds[i]);
		if (rv == CN_ERR_LOCKED) {
			say_skip(&a, r, "locked by a running cnorch-agent");
			a.skipped++;
			named_skipped = a.repo != NULL;
			fds[i] = -2;
		} else if (rv != CN_OK) {
			fprintf(stderr, "error: %s: cannot lock '%s/.locks': "
			    "%s\n", r->id, r->dir, rv == CN_ERR_SYSTEM ?
			    strerror(errno) : cn_strerror(rv));
			a.failed = true;
			fds[i] = -2;
		}
	}
	if ((rv = cachescan_create(cache_dir, NULL, NULL, event_now(), &s,
	    &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(rv));
		rc = rv;
		goto out;
	}
	for (i = 0; i < first->nrepos; i++) {
		if (fds[i] == -2 || (r = cachescan_find(s, first->repos[i].id,
		    first->repos[i].type)) == NULL)
			continue;
		gc_repo(&a, r);
	}
	if (a.json)
		agent_print_json(json_pack("{s:s,s:i,s:I,s:i,s:b}", "kind",
		    "gc", "items", (int)a.items, "bytes", (json_int_t)a.bytes,
		    "skipped", (int)a.skipped, "dry_run", a.dry_run));
	else
		printf("%s %s in %u items%s\n", a.dry_run ? "would free" :
		    "freed", report_bytes(a.bytes, b, sizeof(b)), a.items,
		    a.skipped ? " (some repos skipped)" : "");
	/* A repo named and skipped is the lock's exit code (5): nothing
	 * asked for was done. */
	rc = a.failed ? CN_ERR_IO : named_skipped ? CN_ERR_LOCKED : CN_OK;
 out:
	if (fds != NULL && first != NULL)
		for (i = 0; i < first->nrepos; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	free(fds);
	cachescan_destroy(first);
	cachescan_destroy(s);
	free(cache_dir);
	free(jobs_dir);
	free(msg);
	return rc;
}

const struct agent_cmd agent_cmd_gc = {
	.name = "gc",
	.summary = "remove detached revisions and stale partials",
	.synopsis = "gc [--cache-dir DIR] [--revisions]\n"
	    "           [--incomplete [--older-than D]] [--repo R "
	    "[--repo-type T]]\n"
	    "           [--dry-run] [--jobs-dir DIR] [--json]",
	.help = "  --revisions   remove snapshots no ref points to, then "
	    "blobs no\n"
	    "                remaining snapshot links\n"
	    "  --incomplete  remove partial downloads (.incomplete + control "
	    "file)\n"
	    "  --older-than  only partials at least this old: 45s, 30m, 2h, "
	    "3d\n"
	    "  --dry-run     remove nothing, print the same\n",
	.options = gc_options,
	.run = gc_run,
};

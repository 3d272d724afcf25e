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
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cachecmd.h"
#include "cachegc.h"
#include "cachescan.h"
#include "cmds.h"
#include "error.h"
#include "report.h"

static const char gc_usage[] =
"usage: cnorch-agent gc [--cache-dir DIR] [--revisions]\n"
"           [--incomplete [--older-than D]] [--repo R [--repo-type T]]\n"
"           [--dry-run] [--jobs-dir DIR] [--json]\n"
"  --revisions   remove snapshots no ref points to, then blobs no\n"
"                remaining snapshot links\n"
"  --incomplete  remove partial downloads (.incomplete + control file)\n"
"  --older-than  only partials at least this old: 45s, 30m, 2h, 3d\n"
"  --dry-run     remove nothing, print the same\n";

struct gc_args {
	struct gc_opts	 o;
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
		cachecmd_print(json_pack("{s:s,s:s,s:s,s:s}", "kind", "skip",
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
		cachecmd_print(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b}",
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
		cachecmd_print(json_pack("{s:s,s:s,s:s,s:i,s:I,s:i,s:i,s:b}",
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

static int
parse_args(struct gc_args *a, int argc, char **argv, const char **cache,
    const char **jobs)
{
	static const struct option longopts[] = {
		{ "cache-dir",	required_argument, NULL, 'c' },
		{ "revisions",	no_argument,	   NULL, 'R' },
		{ "incomplete",	no_argument,	   NULL, 'I' },
		{ "older-than",	required_argument, NULL, 'o' },
		{ "repo",	required_argument, NULL, 'r' },
		{ "repo-type",	required_argument, NULL, 't' },
		{ "dry-run",	no_argument,	   NULL, 'n' },
		{ "jobs-dir",	required_argument, NULL, 'j' },
		{ "json",	no_argument,	   NULL, 'J' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	const char *older = NULL;
	int ch;

	if (cmd_exact_options(argc, argv, longopts) != CN_OK)
		return AGENT_EXIT_USAGE;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*cache = optarg;
			break;
		case 'R':
			a->o.revisions = true;
			break;
		case 'I':
			a->o.incomplete = true;
			break;
		case 'o':
			older = optarg;
			break;
		case 'r':
			a->repo = optarg;
			break;
		case 't':
			if (strcmp(optarg, "dataset") == 0)
				a->type = REPO_DATASET;
			else if (strcmp(optarg, "model") != 0) {
				fprintf(stderr, "error: --repo-type: expected "
				    "model or dataset, got '%s'\n", optarg);
				return AGENT_EXIT_USAGE;
			}
			break;
		case 'n':
			a->dry_run = true;
			break;
		case 'j':
			*jobs = optarg;
			break;
		case 'J':
			a->json = true;
			break;
		case 'h':
			fputs(gc_usage, stdout);
			return AGENT_EXIT_OK;
		default:
			fputs(gc_usage, stderr);
			return AGENT_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n%s",
		    argv[optind], gc_usage);
		return AGENT_EXIT_USAGE;
	}
	if (!a->o.revisions && !a->o.incomplete) {
		fprintf(stderr, "error: nothing to do: pass --revisions "
		    "and/or --incomplete\n%s", gc_usage);
		return AGENT_EXIT_USAGE;
	}
	if (older != NULL && !a->o.incomplete) {
		fprintf(stderr, "error: --older-than needs --incomplete\n");
		return AGENT_EXIT_USAGE;
	}
	if (older != NULL && cachegc_parse_age(older,
	    &a->o.older_than_s) != CN_OK) {
		fprintf(stderr, "error: --older-than: expected a whole number "
		    "and a unit s, m, h or d (30m, 2h, 3d), got '%s'\n",
		    older);
		return AGENT_EXIT_USAGE;
	}
	return -1;
}

int
cmd_gc(int argc, char **argv)
{
	struct gc_args a = { 0 };
	struct cache_scan *first = NULL, *s = NULL;
	struct cache_repo *r;
	const char *c_opt = NULL, *j_opt = NULL;
	char *cache_dir = NULL, *jobs_dir = NULL, *msg = NULL, b[32];
	int *fds = NULL, rc, rv;
	bool named_skipped = false;
	size_t i;

	if ((rc = parse_args(&a, argc, argv, &c_opt, &j_opt)) >= 0)
		return rc;
	rc = AGENT_EXIT_FAIL;
	if ((cache_dir = cachecmd_hf_dir(c_opt)) == NULL) {
		fprintf(stderr, "error: no cache: pass --cache-dir (or set "
		    "HF_HUB_CACHE / HF_HOME)\n");
		rc = AGENT_EXIT_USAGE;
		goto out;
	}
	a.o.cache_dir = cache_dir;
	jobs_dir = cachecmd_jobs_dir(j_opt);
	/* First pass: which repos, and lock them; the second scan, under
	 * the locks, is what gets planned. */
	if ((rv = cachescan_create(cache_dir, NULL, jobs_dir, cachecmd_now(),
	    &first, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(rv));
		goto out;
	}
	if (a.repo != NULL && cachescan_find(first, a.repo, a.type) == NULL) {
		fprintf(stderr, "error: no %s '%s' in '%s'\n",
		    cachescan_type_name(a.type), a.repo, cache_dir);
		rc = AGENT_EXIT_NOTFOUND;
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
		rv = cachegc_lock(r, !a.dry_run, &fds[i]);
		if (rv == CN_ERR_LOCKED) {
			say_skip(&a, r, "locked by a running cnorch-agent");
			a.skipped++;
			named_skipped = a.repo != NULL;
			fds[i] = -2;
		} else if (rv != CN_OK) {
			fprintf(stderr, "error: %s: cannot lock '%s/.locks': "
			    "%s\n", r->id, r->dir, cn_strerror(rv));
			a.failed = true;
			fds[i] = -2;
		}
	}
	if ((rv = cachescan_create(cache_dir, NULL, NULL, cachecmd_now(), &s,
	    &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(rv));
		goto out;
	}
	for (i = 0; i < first->nrepos; i++) {
		if (fds[i] == -2 || (r = cachescan_find(s, first->repos[i].id,
		    first->repos[i].type)) == NULL)
			continue;
		gc_repo(&a, r);
	}
	if (a.json)
		cachecmd_print(json_pack("{s:s,s:i,s:I,s:i,s:b}", "kind", "gc",
		    "items", (int)a.items, "bytes", (json_int_t)a.bytes,
		    "skipped", (int)a.skipped, "dry_run", a.dry_run));
	else
		printf("%s %s in %u items%s\n", a.dry_run ? "would free" :
		    "freed", report_bytes(a.bytes, b, sizeof(b)), a.items,
		    a.skipped ? " (some repos skipped)" : "");
	rc = a.failed ? AGENT_EXIT_FAIL : named_skipped ? AGENT_EXIT_LOCKED :
	    AGENT_EXIT_OK;
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

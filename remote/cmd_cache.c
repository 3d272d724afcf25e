/*
 * cnorch-agent cache [--cache-dir DIR] [--modelscope-dir DIR]
 *     [--jobs-dir DIR] [--json]
 *
 * What the caches on this box hold, computed here so only the summary
 * crosses SSH: per repo its revisions (refs and detached snapshots), size
 * (blobs once), files, partials with their age and the last pull job;
 * then the cache's and the system disk's used/free.  --json: one object
 * a line, "kind":"repo" per repo and one "kind":"disks".
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cachecmd.h"
#include "cachescan.h"
#include "cmds.h"
#include "error.h"
#include "event.h"
#include "report.h"

static json_t *
repo_json(const struct cache_repo *r)
{
	json_t *o, *revs, *det, *refs, *parts, *job, *a;
	uint64_t pbytes = 0;
	size_t i, j;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:i}", "kind", "repo",
	    "repo", r->id, "type", cachescan_type_name(r->type), "layout",
	    r->modelscope ? "modelscope" : "hf", "dir", r->dir, "size",
	    (json_int_t)r->size, "files", (int)r->files);
	revs = json_array();
	det = json_array();
	refs = json_object();
	parts = json_array();
	if (o == NULL || revs == NULL || det == NULL || refs == NULL ||
	    parts == NULL)
		goto fail;
	for (i = 0; i < r->nrevs; i++) {
		const struct cache_rev *v = &r->revs[i];

		if ((a = json_array()) == NULL)
			goto fail;
		for (j = 0; j < v->nrefs; j++) {
			json_array_append_new(a, json_string(v->refs[j]));
			json_object_set_new(refs, v->refs[j],
			    json_string(v->commit));
		}
		json_array_append_new(revs, json_pack("{s:s,s:o,s:i,s:b}",
		    "commit", v->commit, "refs", a, "files", (int)v->nlinks,
		    "detached", v->nrefs == 0));
		if (v->nrefs == 0)
			json_array_append_new(det, json_string(v->commit));
	}
	if (r->modelscope && r->ms_revision != NULL)
		json_object_set_new(o, "revision", json_string(r->ms_revision));
	for (i = 0; i < r->npartials; i++) {
		const char *n = strrchr(r->partials[i].path, '/');

		pbytes += r->partials[i].size;
		json_array_append_new(parts, json_pack("{s:s,s:I,s:i}", "file",
		    n ? n + 1 : r->partials[i].path, "size",
		    (json_int_t)r->partials[i].size, "age_s",
		    (int)r->partials[i].age_s));
	}
	json_object_set_new(o, "refs", refs);
	json_object_set_new(o, "revisions", revs);
	json_object_set_new(o, "detached", det);
	if (r->ndangling > 0) {
		if ((a = json_array()) != NULL)
			for (i = 0; i < r->ndangling; i++)
				json_array_append_new(a,
				    json_string(r->dangling[i]));
		json_object_set_new(o, "dangling_refs", a);
	}
	json_object_set_new(o, "partials", parts);
	json_object_set_new(o, "partial_bytes", json_integer(
	    (json_int_t)pbytes));
	job = json_null();
	if (r->last_job.id != NULL)
		job = json_pack("{s:s,s:s,s:f,s:o}", "id", r->last_job.id,
		    "state", r->last_job.state, "started", r->last_job.started,
		    "ended", r->last_job.ended > 0 ?
		    json_real(r->last_job.ended) : json_null());
	json_object_set_new(o, "last_job", job);
	json_object_set_new(o, "job_running", json_boolean(r->job_running));
	return o;
 fail:
	json_decref(o);
	json_decref(revs);
	json_decref(det);
	json_decref(refs);
	json_decref(parts);
	return NULL;
}

static void
repo_human(const struct cache_repo *r)
{
	char sz[32], pb[32];
	uint64_t pbytes = 0;
	const char *sep = "";
	size_t i, j;

	printf("%-40s %-7s %10s %5u  ", r->id, cachescan_type_name(r->type),
	    report_bytes(r->size, sz, sizeof(sz)), r->files);
	if (r->modelscope)
		printf("modelscope %s", r->ms_revision ? r->ms_revision : "");
	for (i = 0; i < r->nrevs; i++) {
		const struct cache_rev *v = &r->revs[i];

		printf("%s", sep);
		sep = ", ";
		if (v->nrefs == 0)
			printf("detached %.8s", v->commit);
		for (j = 0; j < v->nrefs; j++)
			printf("%s%s", j ? "," : "", v->refs[j]);
		if (v->nrefs > 0)
			printf(" (%.8s)", v->commit);
	}
	for (i = 0; i < r->npartials; i++)
		pbytes += r->partials[i].size;
	if (r->npartials > 0)
		printf("  [%zu partial, %s]", r->npartials,
		    report_bytes(pbytes, pb, sizeof(pb)));
	if (r->last_job.id != NULL)
		printf("  job %s %s", r->last_job.id, r->last_job.state);
	printf("\n");
}

static json_t *
disk_json(const char *role, const char *path, const struct cache_disk *d)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I}", "role", role, "path", path,
	    "total", (json_int_t)d->total, "used", (json_int_t)d->used,
	    "free", (json_int_t)d->free);
}

static void
disk_human(const char *role, const char *path, const struct cache_disk *d)
{
	char u[32], f[32], t[32];

	printf("disk %-6s %s: %s used, %s free of %s\n", role, path,
	    report_bytes(d->used, u, sizeof(u)),
	    report_bytes(d->free, f, sizeof(f)),
	    report_bytes(d->total, t, sizeof(t)));
}

/* The cache's disk (when the dir exists) and /. */
static void
print_disks(const char *cache_dir, bool json)
{
	struct cache_disk cd, rd;
	json_t *o, *a;
	bool have_c;

	have_c = cache_dir != NULL && cachescan_disk(cache_dir, &cd) == CN_OK;
	if (cachescan_disk("/", &rd) != CN_OK)
		memset(&rd, 0, sizeof(rd));
	if (!json) {
		if (have_c)
			disk_human("cache", cache_dir, &cd);
		disk_human("system", "/", &rd);
		return;
	}
	if ((a = json_array()) == NULL)
		return;
	if (have_c)
		json_array_append_new(a, disk_json("cache", cache_dir, &cd));
	json_array_append_new(a, disk_json("system", "/", &rd));
	o = json_pack("{s:s,s:o,s:b}", "kind", "disks", "disks", a,
	    "same_fs", have_c && cd.fsid == rd.fsid && cd.total == rd.total);
	agent_print_json(o);
}

struct cache_args {
	const char	*cache_dir, *ms_dir, *jobs_dir;
	bool		 json;
};

static const struct option cache_options[] = {
	{ "cache-dir",		required_argument, NULL, 'c' },
	{ "modelscope-dir",	required_argument, NULL, 'm' },
	{ "jobs-dir",		required_argument, NULL, 'j' },
	{ "json",		no_argument,	   NULL, 'J' },
	{ NULL,			0,		   NULL, 0 }
};

static int
cache_opt(const struct agent_cmd *c, int ch, const char *v, void *arg)
{
	struct cache_args *a = arg;

	(void)c;
	switch (ch) {
	case 'c':
		a->cache_dir = v;
		break;
	case 'm':
		a->ms_dir = v;
		break;
	case 'j':
		a->jobs_dir = v;
		break;
	case 'J':
		a->json = true;
		break;
	}
	return CN_OK;
}

static int
cache_run(const struct agent_cmd *self, int argc, char **argv)
{
	struct cache_args a = { 0 };
	char *cache_dir = NULL, *ms_dir = NULL, *jobs_dir = NULL, *msg = NULL;
	struct cache_scan *s = NULL;
	size_t i;
	int first, r;

	if ((r = agent_parse(self, argc, argv, cache_opt, &a, &first)) !=
	    CN_OK)
		return r;
	if (first != argc)
		return agent_usage(self, "unexpected argument '%s'",
		    argv[first]);
	cache_dir = cachecmd_hf_dir(a.cache_dir);
	ms_dir = cachecmd_ms_dir(a.ms_dir);
	jobs_dir = cachecmd_jobs_dir(a.jobs_dir);
	if (cache_dir == NULL && ms_dir == NULL) {
		r = agent_usage(self, "no cache: pass --cache-dir or "
		    "--modelscope-dir (or set HF_HUB_CACHE / HF_HOME)");
		goto out;
	}
	if ((r = cachescan_create(cache_dir, ms_dir, jobs_dir, event_now(),
	    &s, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(r));
		goto out;
	}
	if (!a.json && s->nrepos > 0)
		printf("%-40s %-7s %10s %5s  %s\n", "REPO", "TYPE", "SIZE",
		    "FILES", "REVISIONS");
	for (i = 0; i < s->nrepos; i++) {
		if (a.json)
			agent_print_json(repo_json(&s->repos[i]));
		else
			repo_human(&s->repos[i]);
	}
	print_disks(cache_dir != NULL ? cache_dir : ms_dir, a.json);
	r = CN_OK;
 out:
	cachescan_destroy(s);
	free(cache_dir);
	free(ms_dir);
	free(jobs_dir);
	free(msg);
	return r;
}

const struct agent_cmd agent_cmd_cache = {
	.name = "cache",
	.summary = "what the HF and ModelScope caches hold, and the disks",
	.synopsis = "cache [--cache-dir DIR] [--modelscope-dir DIR]\n"
	    "           [--jobs-dir DIR] [--json]",
	.help = "  --cache-dir       the HF hub cache (default $HF_HUB_CACHE, "
	    "$HF_HOME/hub)\n"
	    "  --modelscope-dir  ModelScope's cache (default "
	    "$MODELSCOPE_CACHE)\n"
	    "  --jobs-dir        pull jobs, for each repo's last one "
	    "(default ~/.cnorch/jobs)\n",
	.options = cache_options,
	.run = cache_run,
};

/*
 * Unit tests for the cache scan (remote/cachescan.c, cachescan_ms.c),
 * gc (cachegc.c, cmd_gc.c) and verify over whole caches
 * (cmd_cacheverify.c), on a fake HF cache built in a temp dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cachegc.h"
#include "cachescan.h"
#include "cmds.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "job.h"

#define C1	"1111111111111111111111111111111111111111"	/* main */
#define C2	"2222222222222222222222222222222222222222"	/* detached */

/*
 * The fake cache: models--org--m with
 *   c1 (refs/main): config.json -> shared small blob, w.bin -> blob A
 *   c2 (detached):  config.json -> shared small blob, w.bin -> blob B,
 *                   extra.bin -> blob C
 * blob A corrupted when asked, a stale partial (3 h old, with its
 * control file) and a fresh one.
 */
struct fake {
	char	 root[64];
	char	 hub[128];
	char	 repo[192];
	char	 jobs[128];
	char	 shared[65], a[65], b[65], c[65];
	char	 stale[65], fresh[65];
	uint64_t size_shared, size_a, size_b, size_c;
};

static void
put(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void
putf(const char *fmt, const char *a, const char *b, const void *data,
    size_t n)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, a, b);
	put(path, data, n);
}

static void
mkdirf(const char *fmt, const char *a, const char *b)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, a, b);
	assert_int_equal(fs_mkdirs(path), CN_OK);
}

/* A blob named by its hash (sha256, or the git blob sha1 when git). */
static void
blob(struct fake *f, const void *data, size_t n, bool git, char name[65])
{
	char tmp[512], path[512];

	snprintf(tmp, sizeof(tmp), "%s/blobs/tmp", f->repo);
	put(tmp, data, n);
	assert_int_equal(hash_file(tmp, git ? HASH_GIT_SHA1 : HASH_SHA256, n,
	    name), CN_OK);
	snprintf(path, sizeof(path), "%s/blobs/%s", f->repo, name);
	assert_int_equal(rename(tmp, path), 0);
}

static void
link_to(struct fake *f, const char *commit, const char *path,
    const char *name)
{
	char target[256], link[512];

	snprintf(target, sizeof(target), "../../blobs/%s", name);
	snprintf(link, sizeof(link), "%s/snapshots/%s/%s", f->repo, commit,
	    path);
	assert_int_equal(symlink(target, link), 0);
}

static void
age(const char *path, double secs)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= (time_t)secs;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
fake_build(struct fake *f)
{
	static char big_a[3000], big_b[5000], big_c[700];
	char p[512];

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/cn-cachescan.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->hub, sizeof(f->hub), "%s/hub", f->root);
	snprintf(f->jobs, sizeof(f->jobs), "%s/jobs", f->root);
	snprintf(f->repo, sizeof(f->repo), "%s/models--org--m", f->hub);
	mkdirf("%s/blobs%s", f->repo, "");
	mkdirf("%s/refs%s", f->repo, "");
	mkdirf("%s/snapshots/%s", f->repo, C1);
	mkdirf("%s/snapshots/%s", f->repo, C2);
	mkdirf("%s%s", f->jobs, "");
	memset(big_a, 'a', sizeof(big_a));
	memset(big_b, 'b', sizeof(big_b));
	memset(big_c, 'c', sizeof(big_c));
	blob(f, "{\"x\":1}\n", 8, true, f->shared);
	blob(f, big_a, sizeof(big_a), false, f->a);
	blob(f, big_b, sizeof(big_b), false, f->b);
	blob(f, big_c, sizeof(big_c), false, f->c);
	f->size_shared = 8;
	f->size_a = sizeof(big_a);
	f->size_b = sizeof(big_b);
	f->size_c = sizeof(big_c);
	link_to(f, C1, "config.json", f->shared);
	link_to(f, C1, "w.bin", f->a);
	link_to(f, C2, "config.json", f->shared);
	link_to(f, C2, "w.bin", f->b);
	link_to(f, C2, "extra.bin", f->c);
	putf("%s/refs/main%s", f->repo, "", C1, 40);
	/* partials: etags of files not yet there */
	memset(f->stale, 'd', 64);
	memset(f->fresh, 'e', 64);
	putf("%s/blobs/%s.incomplete", f->repo, f->stale, big_a, 1000);
	putf("%s/blobs/%s.incomplete.cnorch", f->repo, f->stale, "ctl", 3);
	snprintf(p, sizeof(p), "%s/blobs/%s.incomplete", f->repo, f->stale);
	age(p, 3 * 3600);
	snprintf(p, sizeof(p), "%s/blobs/%s.incomplete.cnorch", f->repo,
	    f->stale);
	age(p, 3 * 3600);
	putf("%s/blobs/%s.incomplete", f->repo, f->fresh, big_b, 200);
}

static void
fake_destroy(struct fake *f)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
}

static bool
exists(const char *fmt, const char *a, const char *b)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), fmt, a, b);
	return lstat(path, &st) == 0;
}

static struct cache_scan *
scan(struct fake *f)
{
	struct cache_scan *s = NULL;
	char *msg = NULL;

	assert_int_equal(cachescan_create(f->hub, NULL, f->jobs,
	    (double)time(NULL), &s, &msg), CN_OK);
	assert_null(msg);
	return s;
}

/* Run a cnorch-agent command with stdout into out (malloc'd); its exit
 * code as main() would turn it. */
static int
run(const struct agent_cmd *c, char **argv, char **out)
{
	char path[] = "/tmp/cn-cachescan-out.XXXXXX";
	int fd, saved, rc, argc = 0;
	struct stat st;

	while (argv[argc] != NULL)
		argc++;
	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	rc = agent_exit_code(c->run(c, argc, argv));
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	assert_int_equal(fstat(fd, &st), 0);
	*out = calloc(1, (size_t)st.st_size + 1);
	assert_int_equal(pread(fd, *out, (size_t)st.st_size, 0),
	    st.st_size);
	close(fd);
	unlink(path);
	return rc;
}

static void
test_scan_repo(void **state)
{
	struct cache_scan *s;
	struct cache_repo *r;
	struct fake f;
	size_t i;
	bool saw_stale = false, saw_fresh = false;
	char p[512], q[512];

	(void)state;
	fake_build(&f);
	/* a hard link to blob A must not count twice */
	snprintf(p, sizeof(p), "%s/blobs/%s", f.repo, f.a);
	snprintf(q, sizeof(q), "%s/blobs/%064d", f.repo, 7);
	assert_int_equal(link(p, q), 0);
	s = scan(&f);
	assert_int_equal(s->nrepos, 1);
	r = cachescan_find(s, "org/m", REPO_MODEL);
	assert_non_null(r);
	assert_null(cachescan_find(s, "org/m", REPO_DATASET));
	assert_int_equal(r->size, f.size_shared + f.size_a + f.size_b +
	    f.size_c);
	assert_int_equal(r->files, 4);
	assert_int_equal(r->nblobs, 5);
	assert_int_equal(r->nrevs, 2);
	for (i = 0; i < r->nrevs; i++) {
		if (strcmp(r->revs[i].commit, C1) == 0) {
			assert_int_equal(r->revs[i].nrefs, 1);
			assert_string_equal(r->revs[i].refs[0], "main");
			assert_int_equal(r->revs[i].nlinks, 2);
		} else {
			assert_string_equal(r->revs[i].commit, C2);
			assert_int_equal(r->revs[i].nrefs, 0);
			assert_int_equal(r->revs[i].nlinks, 3);
		}
	}
	assert_int_equal(r->npartials, 2);
	for (i = 0; i < r->npartials; i++) {
		if (strcmp(r->partials[i].etag, f.stale) == 0) {
			saw_stale = true;
			assert_int_equal(r->partials[i].size, 1003);
			assert_non_null(r->partials[i].ctl);
			assert_true(r->partials[i].age_s > 3 * 3600 - 60 &&
			    r->partials[i].age_s < 3 * 3600 + 60);
		} else {
			saw_fresh = strcmp(r->partials[i].etag, f.fresh) == 0;
			assert_int_equal(r->partials[i].size, 200);
			assert_null(r->partials[i].ctl);
			assert_true(r->partials[i].age_s < 60);
		}
	}
	assert_true(saw_stale && saw_fresh);
	assert_null(r->last_job.id);
	cachescan_destroy(s);
	fake_destroy(&f);
}

static void
test_parse_age(void **state)
{
	static const struct {
		const char	*in;
		int		 r;
		double		 want;
	} cases[] = {
		{ "30m", CN_OK, 1800 }, { "2h", CN_OK, 7200 },
		{ "3d", CN_OK, 259200 }, { "45s", CN_OK, 45 },
		{ "0m", CN_OK, 0 }, { "", CN_ERR_INVALID, 0 },
		{ "h", CN_ERR_INVALID, 0 }, { "30", CN_ERR_INVALID, 0 },
		{ "1.5h", CN_ERR_INVALID, 0 }, { "2hours", CN_ERR_INVALID, 0 },
		{ "-1d", CN_ERR_INVALID, 0 }, { " 2h", CN_ERR_INVALID, 0 },
		{ "2H", CN_ERR_INVALID, 0 }, { "99999999999999999999d",
		    CN_ERR_INVALID, 0 }, { "99999d", CN_ERR_INVALID, 0 },
	};
	size_t i;
	double v;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cachegc_parse_age(cases[i].in, &v),
		    cases[i].r);
		if (cases[i].r == CN_OK)
			assert_true(v == cases[i].want);
	}
}

/* gc --revisions frees exactly blobs B and C (only c2 links them). */
static void
test_gc_revisions_exact(void **state)
{
	struct gc_opts o = { .revisions = true };
	struct cache_scan *s;
	struct gc_plan *p;
	struct fake f;
	uint64_t freed;
	char *msg = NULL;

	(void)state;
	fake_build(&f);
	s = scan(&f);
	assert_int_equal(cachegc_plan(&s->repos[0], &o, &p), CN_OK);
	assert_int_equal(p->nitems, 3);		/* c2, B, C */
	assert_int_equal(p->bytes, f.size_b + f.size_c);
	assert_int_equal(cachegc_run(p, &freed, &msg), CN_OK);
	assert_int_equal(freed, f.size_b + f.size_c);
	assert_false(exists("%s/snapshots/%s", f.repo, C2));
	assert_false(exists("%s/blobs/%s", f.repo, f.b));
	assert_false(exists("%s/blobs/%s", f.repo, f.c));
	assert_true(exists("%s/blobs/%s", f.repo, f.a));
	assert_true(exists("%s/blobs/%s", f.repo, f.shared));
	assert_true(exists("%s/snapshots/%s/w.bin", f.repo, C1));
	/* partials are not --revisions' business */
	assert_true(exists("%s/blobs/%s.incomplete", f.repo, f.stale));
	cachegc_plan_destroy(p);
	cachescan_destroy(s);
	s = scan(&f);
	assert_int_equal(s->repos[0].size, f.size_shared + f.size_a);
	assert_int_equal(s->repos[0].nrevs, 1);
	cachescan_destroy(s);
	fake_destroy(&f);
}

/* A blob hard-linked outside what gc removes frees nothing. */
static void
test_gc_hardlink_frees_nothing(void **state)
{
	struct gc_opts o = { .revisions = true };
	struct cache_scan *s;
	struct gc_plan *p;
	struct fake f;
	char a[512], b[512];

	(void)state;
	fake_build(&f);
	snprintf(a, sizeof(a), "%s/blobs/%s", f.repo, f.b);
	snprintf(b, sizeof(b), "%s/elsewhere", f.root);
	assert_int_equal(link(a, b), 0);
	s = scan(&f);
	assert_int_equal(cachegc_plan(&s->repos[0], &o, &p), CN_OK);
	assert_int_equal(p->bytes, f.size_c);
	cachegc_plan_destroy(p);
	cachescan_destroy(s);
	fake_destroy(&f);
}

/* What huggingface_hub is writing (its .locks/<folder>/<etag>.lock
 * held) is neither garbage nor stale. */
static void
test_gc_keeps_hf_locked(void **state)
{
	struct gc_opts o = { .revisions = true, .incomplete = true };
	struct cache_scan *s;
	struct gc_plan *p;
	struct fake f;
	char path[512];
	int fd1, fd2;

	(void)state;
	fake_build(&f);
	o.cache_dir = f.hub;
	mkdirf("%s/.locks/models--org--m%s", f.hub, "");
	snprintf(path, sizeof(path), "%s/.locks/models--org--m/%s.lock", f.hub,
	    f.b);
	assert_true((fd1 = open(path, O_RDWR | O_CREAT, 0644)) >= 0);
	assert_int_equal(flock(fd1, LOCK_EX | LOCK_NB), 0);
	snprintf(path, sizeof(path), "%s/.locks/models--org--m/%s.lock", f.hub,
	    f.stale);
	assert_true((fd2 = open(path, O_RDWR | O_CREAT, 0644)) >= 0);
	assert_int_equal(flock(fd2, LOCK_EX | LOCK_NB), 0);
	s = scan(&f);
	assert_int_equal(cachegc_plan(&s->repos[0], &o, &p), CN_OK);
	/* c2, blob C, the fresh partial (older_than 0); not B, not stale */
	assert_int_equal(p->nitems, 3);
	assert_int_equal(p->kept_busy, 2);
	assert_int_equal(p->bytes, f.size_c + 200);
	cachegc_plan_destroy(p);
	close(fd1);
	close(fd2);
	assert_int_equal(cachegc_plan(&s->repos[0], &o, &p), CN_OK);
	assert_int_equal(p->bytes, f.size_b + f.size_c + 1003 + 200);
	cachegc_plan_destroy(p);
	cachescan_destroy(s);
	fake_destroy(&f);
}

static void
test_gc_cmd_dry_run_and_incomplete(void **state)
{
	struct fake f;
	char *out = NULL, want[64];
	json_t *o;
	char *line;

	(void)state;
	fake_build(&f);
	{
		char *argv[] = { "gc", "--cache-dir", f.hub, "--revisions",
		    "--incomplete", "--older-than", "1h", "--dry-run",
		    "--json", "--jobs-dir", f.jobs, NULL };

		assert_int_equal(run(&agent_cmd_gc, argv, &out), AGENT_EXIT_OK);
	}
	/* nothing removed, not even the lock file created */
	assert_true(exists("%s/snapshots/%s", f.repo, C2));
	assert_true(exists("%s/blobs/%s", f.repo, f.b));
	assert_true(exists("%s/blobs/%s.incomplete", f.repo, f.stale));
	assert_false(exists("%s/.locks%s", f.repo, ""));
	line = strstr(out, "{\"kind\":\"gc\"");
	assert_non_null(line);
	assert_non_null(o = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL));
	assert_int_equal(json_integer_value(json_object_get(o, "bytes")),
	    f.size_b + f.size_c + 1003);
	assert_true(json_is_true(json_object_get(o, "dry_run")));
	json_decref(o);
	snprintf(want, sizeof(want), "\"name\":\"%.20s", f.fresh);
	assert_null(strstr(out, want));		/* fresh one kept */
	free(out);
	{
		char *argv[] = { "gc", "--cache-dir", f.hub, "--incomplete",
		    "--older-than", "1h", "--jobs-dir", f.jobs, NULL };

		assert_int_equal(run(&agent_cmd_gc, argv, &out), AGENT_EXIT_OK);
	}
	assert_false(exists("%s/blobs/%s.incomplete", f.repo, f.stale));
	assert_false(exists("%s/blobs/%s.incomplete.cnorch", f.repo,
	    f.stale));
	assert_true(exists("%s/blobs/%s.incomplete", f.repo, f.fresh));
	assert_true(exists("%s/snapshots/%s", f.repo, C2));
	assert_non_null(strstr(out, "freed 1003 B in 1 items"));
	free(out);
	{
		char *argv[] = { "gc", "--cache-dir", f.hub, "--incomplete",
		    "--older-than", "1 h", NULL };

		assert_int_equal(run(&agent_cmd_gc, argv, &out),
		    AGENT_EXIT_USAGE);
	}
	free(out);
	fake_destroy(&f);
}

/* A repo whose lock a pull holds, or with a live job, is not touched. */
static void
test_gc_skips_busy_repo(void **state)
{
	struct fake f;
	char *out = NULL, lock[512], jd[512];
	struct job_state st = { .state = "running" };
	struct cache_scan *s;
	json_t *spec;
	int fd;

	(void)state;
	fake_build(&f);
	mkdirf("%s/.locks%s", f.repo, "");
	snprintf(lock, sizeof(lock), "%s/.locks/cnorch.lock", f.repo);
	assert_true((fd = open(lock, O_RDWR | O_CREAT, 0644)) >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	{
		char *argv[] = { "gc", "--cache-dir", f.hub, "--revisions",
		    "--incomplete", "--repo", "org/m", "--jobs-dir", f.jobs,
		    NULL };

		assert_int_equal(run(&agent_cmd_gc, argv, &out),
		    AGENT_EXIT_LOCKED);
	}
	assert_non_null(strstr(out, "org/m: skipped: locked"));
	assert_true(exists("%s/snapshots/%s", f.repo, C2));
	assert_true(exists("%s/blobs/%s.incomplete", f.repo, f.stale));
	free(out);
	close(fd);

	/* unlocked, but a live job (this process) pulls into it */
	snprintf(jd, sizeof(jd), "%s/j1", f.jobs);
	assert_int_equal(fs_mkdirs(jd), CN_OK);
	spec = json_pack("{s:s,s:s,s:s}", "repo", "org/m", "repo_type",
	    "model", "cache_dir", f.hub);
	assert_int_equal(job_write_spec(jd, spec), CN_OK);
	json_decref(spec);
	st.pid = (long)getpid();
	st.proc_start = job_proc_start(st.pid);
	st.started = 100;
	assert_int_equal(job_state_write(jd, &st, false), CN_OK);
	s = scan(&f);
	assert_true(s->repos[0].job_running);
	assert_string_equal(s->repos[0].last_job.id, "j1");
	assert_string_equal(s->repos[0].last_job.state, "running");
	cachescan_destroy(s);
	{
		char *argv[] = { "gc", "--cache-dir", f.hub, "--revisions",
		    "--jobs-dir", f.jobs, NULL };

		assert_int_equal(run(&agent_cmd_gc, argv, &out), AGENT_EXIT_OK);
	}
	assert_non_null(strstr(out, "org/m: skipped: a pull job"));
	assert_true(exists("%s/snapshots/%s", f.repo, C2));
	free(out);

	/* the job died without saying so: "dead", and gc goes ahead */
	st.pid = 999999999;
	assert_int_equal(job_state_write(jd, &st, false), CN_OK);
	s = scan(&f);
	assert_false(s->repos[0].job_running);
	assert_string_equal(s->repos[0].last_job.state, "dead");
	cachescan_destroy(s);
	fake_destroy(&f);
}

static void
test_verify_names_bad_file(void **state)
{
	struct fake f;
	char *out = NULL, p[512], want[256];
	json_t *o;
	char *line;

	(void)state;
	fake_build(&f);
	{
		char *argv[] = { "verify", "--cache-dir", f.hub, NULL };

		assert_int_equal(run(&agent_cmd_verify, argv, &out),
		    AGENT_EXIT_OK);
	}
	assert_non_null(strstr(out, "org/m: 4 ok, 0 bad"));
	free(out);
	snprintf(p, sizeof(p), "%s/blobs/%s", f.repo, f.a);
	put(p, "corrupt", 7);
	{
		char *argv[] = { "verify", "--cache-dir", f.hub, "--json",
		    "--repair", "org/m", NULL };

		assert_int_equal(run(&agent_cmd_verify, argv, &out),
		    AGENT_EXIT_FAIL);
	}
	line = strstr(out, "{\"kind\":\"bad\"");
	assert_non_null(line);
	assert_non_null(o = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL));
	assert_string_equal(json_string_value(json_object_get(o, "path")),
	    "w.bin");
	assert_string_equal(json_string_value(json_object_get(o, "commit")),
	    C1);
	assert_string_equal(json_string_value(json_object_get(o, "expected")),
	    f.a);
	assert_true(json_is_true(json_object_get(o, "removed")));
	json_decref(o);
	/* the bad blob is gone so a pull fetches it again; the laptop is
	 * told exactly which path of which revision */
	assert_false(exists("%s/blobs/%s", f.repo, f.a));
	snprintf(want, sizeof(want), "\"repull\":[{\"revision\":\"main\","
	    "\"commit\":\"%s\",\"include\":[\"w.bin\"]}]", C1);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\"kind\":\"progress\""));
	free(out);
	{
		char *argv[] = { "verify", "--cache-dir", f.hub, "no/such",
		    NULL };

		assert_int_equal(run(&agent_cmd_verify, argv, &out),
		    AGENT_EXIT_NOTFOUND);
	}
	free(out);
	fake_destroy(&f);
}

static void
test_modelscope_layout(void **state)
{
	struct cache_scan *s = NULL;
	struct cache_repo *r;
	char *msg = NULL;
	struct fake f;

	(void)state;
	fake_build(&f);
	mkdirf("%s/ms/models/Qwen/Qwen2___5-0___5B%s", f.root, "");
	mkdirf("%s/ms/models/._____temp/Qwen/Qwen2___5-0___5B%s", f.root, "");
	putf("%s/ms/models/Qwen/Qwen2___5-0___5B/%s", f.root, "config.json",
	    "{}\n", 3);
	putf("%s/ms/models/Qwen/Qwen2___5-0___5B/%s", f.root, "w.bin",
	    "0123456789", 10);
	putf("%s/ms/models/Qwen/Qwen2___5-0___5B/%s", f.root, ".mv",
	    "Revision:master\n", 16);
	putf("%s/ms/models/._____temp/Qwen/Qwen2___5-0___5B/%s", f.root,
	    "big.bin", "01234", 5);
	{
		char ms[256];

		snprintf(ms, sizeof(ms), "%s/ms", f.root);
		assert_int_equal(cachescan_create(NULL, ms, NULL,
		    (double)time(NULL), &s, &msg), CN_OK);
	}
	assert_int_equal(s->nrepos, 1);
	r = &s->repos[0];
	assert_true(r->modelscope);
	assert_string_equal(r->id, "Qwen/Qwen2.5-0.5B");
	assert_int_equal(r->size, 13);
	assert_int_equal(r->files, 2);
	assert_string_equal(r->ms_revision, "Revision:master");
	assert_int_equal(r->npartials, 1);
	assert_int_equal(r->partials[0].size, 5);
	cachescan_destroy(s);
	fake_destroy(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_repo),
		cmocka_unit_test(test_parse_age),
		cmocka_unit_test(test_gc_revisions_exact),
		cmocka_unit_test(test_gc_hardlink_frees_nothing),
		cmocka_unit_test(test_gc_keeps_hf_locked),
		cmocka_unit_test(test_gc_cmd_dry_run_and_incomplete),
		cmocka_unit_test(test_gc_skips_busy_repo),
		cmocka_unit_test(test_verify_names_bad_file),
		cmocka_unit_test(test_modelscope_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

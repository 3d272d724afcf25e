/* Unit tests for the cache writer (remote/cache.c) and hashes (hash.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "hash.h"

static void
test_repo_folder(void **state)
{
	static const struct {
		enum repo_type	 type;
		const char	*repo, *want;
	} cases[] = {
		{ REPO_MODEL, "org/name", "models--org--name" },
		{ REPO_DATASET, "org/name", "datasets--org--name" },
		{ REPO_MODEL, "gpt2", "models--gpt2" },
		{ REPO_MODEL, "Qwen/Qwen2.5-7B-Instruct",
		    "models--Qwen--Qwen2.5-7B-Instruct" },
		{ REPO_MODEL, "../etc", NULL },
		{ REPO_MODEL, "org/..", NULL },
		{ REPO_MODEL, "org/a/b", NULL },
		{ REPO_MODEL, "/abs", NULL },
		{ REPO_MODEL, "org/", NULL },
		{ REPO_MODEL, "", NULL },
		{ REPO_MODEL, "a\\b/c", NULL },
		{ REPO_MODEL, "org/na me", NULL },
	};
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = cache_repo_folder(cases[i].type, cases[i].repo);
		if (cases[i].want == NULL)
			assert_null(s);
		else
			assert_string_equal(s, cases[i].want);
		free(s);
	}
}

static void
test_link_target(void **state)
{
	static const struct {
		const char	*path, *want;
	} cases[] = {
		{ "config.json", "../../blobs/abc" },
		{ "sub/x.bin", "../../../blobs/abc" },
		{ "a/b/c/d.txt", "../../../../../blobs/abc" },
	};
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(s = cache_link_target(cases[i].path, "abc"));
		assert_string_equal(s, cases[i].want);
		free(s);
	}
}

static void
write_file(const char *path, const char *body)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(body, fp);
	fclose(fp);
}

static void
test_commit_layout(void **state)
{
	char dir[] = "/tmp/test_cache.XXXXXX", buf[256], *part, *msg = NULL;
	struct cache *c = NULL, *c2 = NULL;
	struct plan_file f = { 0 };
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(cache_open(dir, false, REPO_MODEL, "org/name", &c,
	    &msg), CN_OK);
	assert_null(msg);
	/* A second agent on the same repo is told so. */
	assert_int_equal(cache_open(dir, false, REPO_MODEL, "org/name", &c2,
	    &msg), CN_ERR_LOCKED);
	assert_null(c2);
	assert_non_null(strstr(msg, "locked"));
	free(msg);
	msg = NULL;

	f.path = "sub/dir/w.bin";
	f.size = 5;
	strcpy(f.etag, "0123456789abcdef0123456789abcdef01234567");
	assert_false(cache_have(c, &f));
	assert_non_null(part = cache_part_path(c, f.etag));
	assert_non_null(strstr(part, "/models--org--name/blobs/"));
	assert_non_null(strstr(part, ".incomplete"));
	write_file(part, "hello");
	assert_int_equal(cache_commit(c, &f, "c0ffee", part, &msg), CN_OK);
	assert_true(cache_have(c, &f));
	snprintf(buf, sizeof(buf), "%s/models--org--name/snapshots/c0ffee/"
	    "sub/dir/w.bin", dir);
	{
		char target[256];

		n = readlink(buf, target, sizeof(target) - 1);
		assert_true(n > 0);
		target[n] = '\0';
		assert_string_equal(target, "../../../../blobs/"
		    "0123456789abcdef0123456789abcdef01234567");
	}
	assert_int_equal(access(buf, R_OK), 0);	/* resolves */
	/* Re-linking an existing blob is fine (replace, not EEXIST). */
	assert_int_equal(cache_commit(c, &f, "c0ffee", NULL, &msg), CN_OK);

	assert_int_equal(cache_write_ref(c, "main", "c0ffee", &msg), CN_OK);
	snprintf(buf, sizeof(buf), "%s/models--org--name/refs/main", dir);
	{
		char ref[64];
		int fd = open(buf, O_RDONLY);

		assert_true(fd >= 0);
		n = read(fd, ref, sizeof(ref) - 1);
		close(fd);
		ref[n] = '\0';
		assert_string_equal(ref, "c0ffee");
	}
	/* Unsafe paths never reach the disk. */
	f.path = "../escape";
	assert_int_equal(cache_commit(c, &f, "c0ffee", NULL, &msg),
	    CN_ERR_UNSAFE_PATH);
	free(msg);
	msg = NULL;
	f.path = "ok";
	assert_int_equal(cache_commit(c, &f, "../x", NULL, &msg),
	    CN_ERR_UNSAFE_PATH);
	free(msg);
	msg = NULL;
	assert_int_equal(cache_write_ref(c, "../x", "c0ffee", &msg),
	    CN_ERR_UNSAFE_PATH);
	free(msg);
	free(part);
	cache_destroy(c);
	cache_destroy(NULL);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", dir);
	assert_int_equal(system(buf), 0);
}

static void
test_local_dir(void **state)
{
	char dir[] = "/tmp/test_cache.XXXXXX", buf[256], *part, *msg = NULL;
	struct cache *c = NULL;
	struct plan_file f = { 0 };
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(cache_open(dir, true, REPO_MODEL, "org/name", &c,
	    &msg), CN_OK);
	f.path = "a/b.txt";
	f.size = 2;
	strcpy(f.etag, "aa");
	assert_non_null(part = cache_part_path(c, f.etag));
	assert_non_null(strstr(part, "/.cache/cnorch/"));
	write_file(part, "hi");
	assert_false(cache_have(c, &f));
	assert_int_equal(cache_commit(c, &f, NULL, part, &msg), CN_OK);
	snprintf(buf, sizeof(buf), "%s/a/b.txt", dir);
	assert_int_equal(lstat(buf, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(cache_have(c, &f));
	/* Another etag at the same path is not "had". */
	strcpy(f.etag, "bb");
	assert_false(cache_have(c, &f));
	free(part);
	cache_destroy(c);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", dir);
	assert_int_equal(system(buf), 0);
}

static void
test_hashes(void **state)
{
	struct hasher *h;
	char hex[65];
	struct plan_file f = { 0 };

	(void)state;
	/* git hash-object of "hello\n" */
	assert_int_equal(hasher_create(HASH_GIT_SHA1, 6, &h), CN_OK);
	assert_int_equal(hasher_update(h, "hel", 3), CN_OK);
	assert_int_equal(hasher_update(h, "lo\n", 3), CN_OK);
	assert_int_equal(hasher_final(h, hex), CN_OK);
	assert_string_equal(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	hasher_destroy(h);
	assert_int_equal(hasher_create(HASH_SHA256, 0, &h), CN_OK);
	assert_int_equal(hasher_final(h, hex), CN_OK);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
	    "649b934ca495991b7852b855");
	hasher_destroy(h);
	hasher_destroy(NULL);

	assert_int_equal(hash_kind_for(&f), HASH_NONE);
	strcpy(f.git_sha1, "ce013625030ba8dba906f756967f9e9ca394464a");
	assert_int_equal(hash_kind_for(&f), HASH_GIT_SHA1);
	strcpy(f.sha256, "e3b0");
	assert_int_equal(hash_kind_for(&f), HASH_SHA256);
	assert_string_equal(hash_expected(&f, HASH_SHA256), "e3b0");
}

static int wakes;

static void
count_wake(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&wakes, 1, __ATOMIC_SEQ_CST);
}

/* The hashing pool follows a file as it grows and ends with the digest
 * of the whole file, the same as hashing it afterwards. */
static void
test_hash_pool(void **state)
{
	char path[] = "/tmp/test_hashpool.XXXXXX", hex[65], want[65];
	static unsigned char chunk[3 << 20];
	const uint64_t size = 4 * sizeof(chunk) + 12345;
	struct hash_pool *pool = NULL;
	struct hash_job j = { 0 };
	struct hasher *h = NULL;
	struct timespec ts = { 0, 1000 * 1000 };
	uint64_t written = 0;
	size_t budget, i, n;
	int64_t done = 0;
	bool behind = false;
	int fd, tries;

	(void)state;
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (unsigned char)(i * 7 + (i >> 11));
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(hash_pool_create(count_wake, NULL, &pool), CN_OK);
	assert_int_equal(hasher_create(HASH_SHA256, size, &h), CN_OK);
	hash_pool_attach(pool, &j, fd, h);
	while (written < size) {
		n = size - written < sizeof(chunk) ? (size_t)(size - written) :
		    sizeof(chunk);
		assert_int_equal(pwrite(fd, chunk, n, (off_t)written),
		    (ssize_t)n);
		written += n;
		budget = 1 << 20;
		done = hash_pool_feed(pool, &j, written, written == size,
		    &budget, &behind);
		assert_true(done >= 0 && (uint64_t)done <= written);
	}
	/* Bounded wait for the digest to catch up (inline: more feeds). */
	for (tries = 0; tries < 20000 && (uint64_t)done < size; tries++) {
		budget = 1 << 20;
		done = hash_pool_feed(pool, &j, size, true, &budget, &behind);
		if ((uint64_t)done < size)
			nanosleep(&ts, NULL);
	}
	assert_int_equal(done, (int64_t)size);
	hash_pool_detach(pool, &j);
	/* The thread told the owner, who waited for the last bytes. */
	assert_true(__atomic_load_n(&wakes, __ATOMIC_SEQ_CST) >= 1);
	assert_int_equal(hasher_final(h, hex), CN_OK);
	assert_int_equal(hash_file(path, HASH_SHA256, size, want), CN_OK);
	assert_string_equal(hex, want);
	/* A detached job is not touched again; attach resets it. */
	hasher_destroy(h);
	assert_int_equal(hasher_create(HASH_SHA256, 0, &h), CN_OK);
	hash_pool_attach(pool, &j, fd, h);
	assert_int_equal(j.hashed, 0);
	hash_pool_detach(pool, &j);
	hasher_destroy(h);
	hash_pool_destroy(pool);
	hash_pool_destroy(NULL);
	close(fd);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repo_folder),
		cmocka_unit_test(test_link_target),
		cmocka_unit_test(test_commit_layout),
		cmocka_unit_test(test_local_dir),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_hash_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

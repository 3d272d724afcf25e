/* Unit tests for mkdir -p and atomic file replacement (common/fsutil.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"

static char root[] = "/tmp/test_fsutil.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/test_fsutil.XXXXXX");
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static bool
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *
slurp(const char *path)
{
	static char buf[256];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* How many entries dir holds (besides . and ..). */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_mkdirs(void **state)
{
	char p[PATH_MAX], f[PATH_MAX];

	(void)state;
	snprintf(p, sizeof(p), "%s/a/b/c", root);
	assert_int_equal(fs_mkdirs(p), CN_OK);
	assert_true(is_dir(p));
	/* Again: existing directories are fine. */
	assert_int_equal(fs_mkdirs(p), CN_OK);
	/* Trailing slash. */
	snprintf(p, sizeof(p), "%s/d/e/", root);
	assert_int_equal(fs_mkdirs(p), CN_OK);
	snprintf(p, sizeof(p), "%s/d/e", root);
	assert_true(is_dir(p));
	/* A file in the way is an error. */
	snprintf(f, sizeof(f), "%s/file", root);
	assert_int_equal(fs_write_atomic(f, "x", 1, false), CN_OK);
	snprintf(p, sizeof(p), "%s/file/sub", root);
	assert_int_equal(fs_mkdirs(p), CN_ERR_SYSTEM);
	/* mkparent makes the directory holding a path, not the path. */
	snprintf(p, sizeof(p), "%s/g/h/refs/main", root);
	assert_int_equal(fs_mkparent(p), CN_OK);
	snprintf(f, sizeof(f), "%s/g/h/refs", root);
	assert_true(is_dir(f));
	assert_false(is_dir(p));
	assert_int_not_equal(access(p, F_OK), 0);
}

static void
test_write_atomic(void **state)
{
	char p[PATH_MAX], d[PATH_MAX];
	struct stat st;
	bool durable;

	(void)state;
	snprintf(d, sizeof(d), "%s/w", root);
	assert_int_equal(fs_mkdirs(d), CN_OK);
	snprintf(p, sizeof(p), "%s/w/state.json", root);
	for (durable = false; ; durable = true) {
		assert_int_equal(fs_write_atomic(p, "{\"a\":1}", 7, durable),
		    CN_OK);
		assert_string_equal(slurp(p), "{\"a\":1}");
		/* Replaced whole, shorter content leaves no tail. */
		assert_int_equal(fs_write_atomic(p, "{}", 2, durable), CN_OK);
		assert_string_equal(slurp(p), "{}");
		/* Nothing but the file: no temporary left behind. */
		assert_int_equal(entries(d), 1);
		if (durable)
			break;
	}
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644 & ~umask(022));
	/* Empty content. */
	assert_int_equal(fs_write_atomic(p, "", 0, true), CN_OK);
	assert_string_equal(slurp(p), "");
	/* Into a missing directory: fails and says why. */
	snprintf(p, sizeof(p), "%s/missing/x", root);
	assert_int_equal(fs_write_atomic(p, "x", 1, true), CN_ERR_SYSTEM);
	assert_int_equal(errno, ENOENT);
}

/* A failed rename (the target is a non-empty directory) keeps the old
 * target and removes the temporary. */
static void
test_write_atomic_failure_cleans_up(void **state)
{
	char d[PATH_MAX], p[PATH_MAX], in[PATH_MAX];

	(void)state;
	snprintf(d, sizeof(d), "%s/f", root);
	snprintf(p, sizeof(p), "%s/f/target", root);
	snprintf(in, sizeof(in), "%s/f/target/keep", root);
	assert_int_equal(fs_mkdirs(p), CN_OK);
	assert_int_equal(fs_write_atomic(in, "k", 1, false), CN_OK);
	assert_int_equal(fs_write_atomic(p, "x", 1, true), CN_ERR_SYSTEM);
	assert_true(is_dir(p));
	assert_string_equal(slurp(in), "k");
	assert_int_equal(entries(d), 1);
}

static void
test_symlink_atomic(void **state)
{
	char l[PATH_MAX], d[PATH_MAX], t[64];
	ssize_t n;

	(void)state;
	snprintf(d, sizeof(d), "%s/s", root);
	assert_int_equal(fs_mkdirs(d), CN_OK);
	snprintf(l, sizeof(l), "%s/s/config.json", root);
	assert_int_equal(fs_symlink_atomic("../../blobs/aa", l), CN_OK);
	n = readlink(l, t, sizeof(t) - 1);
	assert_true(n > 0);
	t[n] = '\0';
	assert_string_equal(t, "../../blobs/aa");
	/* Replaces an existing link (and a file). */
	assert_int_equal(fs_symlink_atomic("../../blobs/bb", l), CN_OK);
	n = readlink(l, t, sizeof(t) - 1);
	t[n] = '\0';
	assert_string_equal(t, "../../blobs/bb");
	assert_int_equal(entries(d), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_write_atomic_failure_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_atomic, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for run logs and the remembered failed hosts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "runlog.h"

static char tmpdir[] = "/tmp/cnorch-test-runlog.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	setenv("XDG_STATE_HOME", tmpdir, 1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_failed_round_trip(void **state)
{
	const char *in[] = { "autodl-02", "featurize-1" };
	char **out;
	size_t n;
	struct stat st;
	char path[512];

	(void)state;
	assert_int_equal(failed_load(&out, &n), 0);	/* missing: empty */
	assert_int_equal(n, 0);
	failed_free(out, n);

	assert_int_equal(failed_save(in, 2), 0);
	snprintf(path, sizeof(path), "%s/cnorch/failed", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(failed_load(&out, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "autodl-02");
	assert_string_equal(out[1], "featurize-1");
	failed_free(out, n);

	assert_int_equal(failed_save(NULL, 0), 0);	/* a clean run clears */
	assert_int_equal(failed_load(&out, &n), 0);
	assert_int_equal(n, 0);
	failed_free(out, n);
}

static void
test_runlog_keeps_each_host(void **state)
{
	struct runlog *rl;
	char *msg, path[1024], buf[256];
	FILE *fp;
	struct stat st;
	size_t got;

	(void)state;
	assert_int_equal(runlog_create("provision", &rl, &msg), 0);
	assert_null(msg);
	assert_int_equal(stat(runlog_dir(rl), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	runlog_line(rl, "box1", "first");
	runlog_line(rl, "box1", "second\n");
	runlog_line(rl, "box2", "other");
	runlog_line(rl, "../escape", "nope");
	snprintf(path, sizeof(path), "%s/box1.log", runlog_dir(rl));
	assert_non_null(fp = fopen(path, "r"));
	got = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[got] = '\0';
	fclose(fp);
	assert_string_equal(buf, "first\nsecond\n");
	snprintf(path, sizeof(path), "%s/../escape.log", runlog_dir(rl));
	assert_int_not_equal(access(path, F_OK), 0);
	runlog_destroy(rl);
	runlog_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_round_trip),
		cmocka_unit_test(test_runlog_keeps_each_host),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests for repo id, revision and listed path checks
 * (remote/pathsafe.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "pathsafe.h"

static const struct {
	const char	*id;
	int		 ok;
} repo_ids[] = {
	{ "Qwen/Qwen2.5-7B-Instruct", 1 },
	{ "test-org/tiny-model", 1 },
	{ "a/b", 1 },
	{ "org_1/name.v2", 1 },
	{ "meta-llama/Llama-3.1-8B", 1 },
	{ "org/na..me", 0 },
	{ "../etc", 0 },
	{ "org/..", 0 },
	{ "org/.hidden", 0 },
	{ ".org/name", 0 },
	{ "-org/name", 0 },
	{ "org/-name", 0 },
	{ "org", 0 },
	{ "/name", 0 },
	{ "org/", 0 },
	{ "org/name/extra", 0 },
	{ "org/na me", 0 },
	{ "org/na\\me", 0 },
	{ "org/na\nme", 0 },
	{ "org/naïve", 0 },
	{ "", 0 },
	{ "org/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
};

static void
test_repo_ids(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(repo_ids) / sizeof(repo_ids[0]); i++) {
		int r = pathsafe_repo_id(repo_ids[i].id);

		if ((r == CN_OK) != repo_ids[i].ok)
			fail_msg("pathsafe_repo_id('%s') = %d", repo_ids[i].id,
			    r);
		if (r != CN_OK && r != CN_ERR_INVALID)
			fail_msg("unexpected code %d", r);
	}
	assert_int_equal(pathsafe_repo_id(NULL), CN_ERR_INVALID);
}

static const struct {
	const char	*path;
	size_t		 len;		/* 0: strlen */
	int		 ok;
} paths[] = {
	{ "config.json", 0, 1 },
	{ "sub/dir/extra.txt", 0, 1 },
	{ ".gitattributes", 0, 1 },
	{ "a/.hidden/b", 0, 1 },
	{ "a..b/c...d", 0, 1 },
	{ "模型/权重.bin", 0, 1 },		/* UTF-8 is fine */
	{ "with space.txt", 0, 1 },
	{ "../../etc/evil", 0, 0 },
	{ "a/../b", 0, 0 },
	{ "a/..", 0, 0 },
	{ "..", 0, 0 },
	{ "./a", 0, 0 },
	{ "a/./b", 0, 0 },
	{ ".", 0, 0 },
	{ "/abs/path", 0, 0 },
	{ "a\\b", 0, 0 },
	{ "..\\..\\x", 0, 0 },
	{ "a//b", 0, 0 },
	{ "a/", 0, 0 },
	{ "", 0, 0 },
	{ "a\nb", 0, 0 },
	{ "a\tb", 0, 0 },
	{ "a\x7f", 0, 0 },
	{ "a\x1b[31m", 0, 0 },
	{ "a\0b", 3, 0 },			/* embedded NUL */
};

static void
test_paths(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int r;

		len = paths[i].len ? paths[i].len : strlen(paths[i].path);
		r = pathsafe_rel(paths[i].path, len);
		if ((r == CN_OK) != paths[i].ok)
			fail_msg("pathsafe_rel(case %zu '%s') = %d", i,
			    paths[i].path, r);
		if (r != CN_OK && r != CN_ERR_UNSAFE_PATH)
			fail_msg("unexpected code %d", r);
	}
}

static void
test_lengths(void **state)
{
	char buf[5000];

	(void)state;
	memset(buf, 'a', sizeof(buf));
	/* a component of 255 is fine, 256 is not */
	assert_int_equal(pathsafe_rel(buf, 255), CN_OK);
	assert_int_equal(pathsafe_rel(buf, 256), CN_ERR_UNSAFE_PATH);
	/* the whole path at most 4096 */
	for (size_t i = 100; i < sizeof(buf); i += 101)
		buf[i] = '/';
	assert_int_equal(pathsafe_rel(buf, 4096), CN_OK);
	assert_int_equal(pathsafe_rel(buf, 4097), CN_ERR_UNSAFE_PATH);
}

static void
test_revisions(void **state)
{
	(void)state;
	assert_int_equal(pathsafe_revision("main"), CN_OK);
	assert_int_equal(pathsafe_revision("v1.0"), CN_OK);
	assert_int_equal(pathsafe_revision("refs/pr/1"), CN_OK);
	assert_int_equal(pathsafe_revision(
	    "4e8afb6f1e55d20c6a9fd92a2ce91f95ec0dcbf1"), CN_OK);
	assert_int_equal(pathsafe_revision("../main"), CN_ERR_UNSAFE_PATH);
	assert_int_equal(pathsafe_revision("/main"), CN_ERR_UNSAFE_PATH);
	assert_int_equal(pathsafe_revision(""), CN_ERR_UNSAFE_PATH);
	assert_int_equal(pathsafe_revision("a\nb"), CN_ERR_UNSAFE_PATH);
	assert_int_equal(pathsafe_revision(NULL), CN_ERR_UNSAFE_PATH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repo_ids),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_revisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

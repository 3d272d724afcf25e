/* Unit tests for --include/--exclude matching (remote/glob.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pathglob.h"

static const struct {
	const char	*pattern, *path;
	bool		 match;
} cases[] = {
	/* Python fnmatch: '*' crosses '/' */
	{ "*.safetensors", "model.safetensors", true },
	{ "*.safetensors", "sub/dir/model.safetensors", true },
	{ "*.json", "config.json", true },
	{ "*.json", "config.jsonl", false },
	{ "model-*", "model-00001-of-00002.safetensors", true },
	{ "model-*", "sub/model-1", false },
	{ "*model-*", "sub/model-1", true },
	{ "?.txt", "a.txt", true },
	{ "?.txt", "ab.txt", false },
	{ "a?b", "a/b", true },
	{ "[ab].bin", "a.bin", true },
	{ "[!ab].bin", "c.bin", true },
	{ "[!ab].bin", "a.bin", false },
	{ "*", ".gitattributes", true },		/* no FNM_PERIOD */
	{ "*.md", "README.md", true },
	{ "*.MD", "README.md", false },			/* case-sensitive */
	/* a trailing slash is the directory prefix */
	{ "sub/", "sub/dir/extra.txt", true },
	{ "sub/", "sub", false },
	{ "sub/", "subway/x", false },
	{ "sub/dir/", "sub/dir/extra.txt", true },
	{ "original/", "original/consolidated.00.pth", true },
	/* no backslash escape in Python's fnmatch */
	{ "a\\*", "a\\b", true },
	{ "", "x", false },
	{ "exact.txt", "exact.txt", true },
	{ "exact.txt", "dir/exact.txt", false },
	{ "[", "[", true },				/* unmatched '[' is literal */
};

static void
test_match_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (glob_match(cases[i].pattern, cases[i].path) !=
		    cases[i].match)
			fail_msg("glob_match('%s', '%s') != %d",
			    cases[i].pattern, cases[i].path, cases[i].match);
	}
}

static void
test_keep(void **state)
{
	const char *inc[] = { "*.json", "*.safetensors" };
	const char *exc[] = { "tokenizer*", "sub/" };

	(void)state;
	/* no patterns: everything */
	assert_true(glob_keep("anything", NULL, 0, NULL, 0));
	/* include only */
	assert_true(glob_keep("config.json", inc, 2, NULL, 0));
	assert_true(glob_keep("m.safetensors", inc, 2, NULL, 0));
	assert_false(glob_keep("README.md", inc, 2, NULL, 0));
	/* exclude only */
	assert_false(glob_keep("tokenizer.json", NULL, 0, exc, 2));
	assert_false(glob_keep("sub/x.json", NULL, 0, exc, 2));
	assert_true(glob_keep("README.md", NULL, 0, exc, 2));
	/* exclude wins over include */
	assert_false(glob_keep("tokenizer.json", inc, 2, exc, 2));
	assert_false(glob_keep("sub/a.safetensors", inc, 2, exc, 2));
	assert_true(glob_keep("config.json", inc, 2, exc, 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_keep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

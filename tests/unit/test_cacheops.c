/* cacheops_script(): the agent's cache commands as the box runs them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cacheops.h"

static void
test_cache_both_caches(void **state)
{
	char *s;

	(void)state;
	s = cacheops_script(CACHEOPS_CACHE, "abc123", "/root/autodl-tmp",
	    NULL, 0);
	assert_non_null(s);
	assert_non_null(strstr(s, "D='/root/autodl-tmp'"));
	assert_non_null(strstr(s, "\"$HOME/.cnorch/payload/\"'abc123'"));
	assert_non_null(strstr(s, "\"$A\" cache --modelscope-dir "
	    "\"$D/modelscope\" --cache-dir \"$D/hf/hub\" --json"));
	free(s);
}

static void
test_args_quoted(void **state)
{
	const char *args[] = { "--repair", "org/x'; rm -rf ~; '" };
	char *s;

	(void)state;
	s = cacheops_script(CACHEOPS_VERIFY, "p", "/d", args, 2);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"$A\" verify --cache-dir \"$D/hf/hub\" "
	    "--json '--repair' 'org/x'\\''; rm -rf ~; '\\'''"));
	free(s);
}

static void
test_gc_data_dir_quoted(void **state)
{
	const char *args[] = { "--revisions", "--dry-run" };
	char *s;

	(void)state;
	s = cacheops_script(CACHEOPS_GC, "p", "/data/it's here", args, 2);
	assert_non_null(s);
	assert_non_null(strstr(s, "D='/data/it'\\''s here'"));
	assert_non_null(strstr(s, "\"$A\" gc --cache-dir \"$D/hf/hub\" "
	    "--json '--revisions' '--dry-run'"));
	assert_null(strstr(s, "--modelscope-dir"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_both_caches),
		cmocka_unit_test(test_args_quoted),
		cmocka_unit_test(test_gc_data_dir_quoted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

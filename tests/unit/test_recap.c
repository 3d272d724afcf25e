/* Unit tests for host list folding and the grouped recap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recap.h"

static void
test_fold_table(void **state)
{
	static const struct {
		const char *in[8];
		size_t n;
		const char *want;
	} cases[] = {
		{ { NULL }, 0, "" },
		{ { "autodl-01" }, 1, "autodl-01" },
		{ { "autodl-01", "autodl-02", "autodl-03", "autodl-05" }, 4,
		    "autodl-[01-03,05]" },
		{ { "autodl-05", "autodl-01", "autodl-02" }, 3,
		    "autodl-[01-02,05]" },
		{ { "a1", "b2", "a2", "web" }, 4, "a[1-2],b2,web" },
		/* Different widths are different families. */
		{ { "n1", "n01", "n2" }, 3, "n[1-2],n01" },
		{ { "box", "box" }, 2, "box,box" },
		{ { "x9", "x10" }, 2, "x9,x10" },
		{ { "gpu-3", "gpu-1", "gpu-2", "gpu-3" }, 4, "gpu-[1-3]" },
	};
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = hostlist_fold(cases[i].in, cases[i].n);
		assert_non_null(s);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
}

static void
test_recap_groups_identical_results(void **state)
{
	struct recap *r;
	char buf[1024] = "";
	FILE *fp;

	(void)state;
	assert_non_null(r = recap_create());
	assert_int_equal(recap_add(r, "autodl-01", "ok"), 0);
	assert_int_equal(recap_add(r, "autodl-02", "unreachable"), 0);
	assert_int_equal(recap_add(r, "autodl-03", "ok"), 0);
	assert_int_equal(recap_add(r, "autodl-04", "ok"), 0);
	fp = fmemopen(buf, sizeof(buf), "w");
	recap_print(r, fp);
	fclose(fp);
	assert_string_equal(buf, "autodl-[01,03-04]: ok\nautodl-02: unreachable\n");
	recap_destroy(r);
	recap_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_table),
		cmocka_unit_test(test_recap_groups_identical_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

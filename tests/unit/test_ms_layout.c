/*
 * Unit tests for remote/ms_layout.c: the .msc pickle bytes (protocol 2)
 * that modelscope's ModelFileSystemCache unpickles.  The integration test
 * (test_agent_hubs.sh) loads the written files with Python's pickle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "ms_layout.h"

static void
test_msc_bytes(void **state)
{
	static const struct {
		size_t n;
		const char *paths[2], *revs[2];
		const char *want;
		size_t wantlen;
	} cases[] = {
		/* PROTO 2, EMPTY_LIST, STOP */
		{ 0, { NULL, NULL }, { NULL, NULL }, "\x80\x02].", 4 },
		/* [{"Path": "a", "Revision": "r1"}] */
		{ 1, { "a", NULL }, { "r1", NULL },
		  "\x80\x02]}"
		  "X\x04\0\0\0Path" "X\x01\0\0\0a" "s"
		  "X\x08\0\0\0Revision" "X\x02\0\0\0r1" "s"
		  "a.", 4 + 9 + 6 + 1 + 13 + 7 + 1 + 2 },
	};
	unsigned char *out;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ms_layout_pickle_msc(cases[i].paths,
		    cases[i].revs, cases[i].n, &out, &len), CN_OK);
		assert_int_equal(len, cases[i].wantlen);
		assert_memory_equal(out, cases[i].want, len);
		free(out);
	}
}

static void
test_msc_utf8_length(void **state)
{
	/* BINUNICODE counts bytes, not characters */
	const char *paths[] = { "\xe6\xa8\xa1\xe5\x9e\x8b.bin" };
	const char *revs[] = { "master" };
	unsigned char *out;
	size_t len;

	(void)state;
	assert_int_equal(ms_layout_pickle_msc(paths, revs, 1, &out, &len),
	    CN_OK);
	/* after PROTO, ']', '}', "Path" (9 bytes): 'X' + length 10 */
	assert_int_equal(out[4 + 9], 'X');
	assert_int_equal(out[4 + 9 + 1], 10);
	assert_int_equal(out[4 + 9 + 2], 0);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msc_bytes),
		cmocka_unit_test(test_msc_utf8_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

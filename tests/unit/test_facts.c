/* Unit tests for the box facts script and its output parsing (the
 * quoting tests moved to test_script.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "facts.h"

static void
test_parse_full(void **state)
{
	const char *out = "Welcome to AutoDL!\n"
	    "arch=x86_64\nhome=/root\ndata_dir=/root/autodl-tmp\n"
	    "data_dir_exists=0\ndf_path=/root\navail_kb=524288\n"
	    "have_sha256sum=1\npayload=present\nfuture_key=1\nprobe=done\n";
	struct box_facts p;

	(void)state;
	assert_int_equal(box_facts_parse(out, strlen(out), &p), CN_OK);
	assert_string_equal(p.arch, "x86_64");
	assert_string_equal(p.home, "/root");
	assert_string_equal(p.data_dir, "/root/autodl-tmp");
	assert_string_equal(p.df_path, "/root");
	assert_false(p.data_dir_exists);
	assert_int_equal(p.avail_kb, 524288);
	assert_true(p.have_sha256sum);
	assert_true(p.payload_present);
	assert_false(p.payload_partial);
	box_facts_release(&p);
	box_facts_release(NULL);
}

static void
test_parse_odd(void **state)
{
	struct box_facts p;
	const char *cut = "arch=x86_64\nhome=/root\n";
	const char *crlf = "arch=aarch64\r\nhome=/home/u\r\ndata_dir=/d\r\n"
	    "df_path=/\r\navail_kb=\r\npayload=partial\r\nprobe=done\r\n";

	(void)state;
	/* No "probe=done": the script did not finish. */
	assert_int_equal(box_facts_parse(cut, strlen(cut), &p), CN_ERR_PARSE);
	assert_null(p.arch);
	assert_int_equal(box_facts_parse(crlf, strlen(crlf), &p), CN_OK);
	assert_string_equal(p.arch, "aarch64");
	assert_string_equal(p.home, "/home/u");
	assert_int_equal(p.avail_kb, -1);
	assert_false(p.have_sha256sum);
	assert_false(p.payload_present);
	assert_true(p.payload_partial);
	box_facts_release(&p);
}

static void
test_script(void **state)
{
	char *s;

	(void)state;
	s = box_facts_script("~/data dir", "abc123");
	assert_non_null(s);
	assert_non_null(strstr(s, "d=\"$HOME\"'/data dir'\n"));
	assert_non_null(strstr(s, "pd=\"$HOME/.cnorch/payload/\"'abc123'\n"));
	assert_non_null(strstr(s, "echo probe=done"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_odd),
		cmocka_unit_test(test_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

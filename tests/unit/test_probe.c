/* Unit tests for the probe's output parsing and the shell quoting the
 * provisioning scripts are built with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "probe.h"
#include "shquote.h"

static void
test_parse_full(void **state)
{
	const char *out = "Welcome to AutoDL!\n"
	    "arch=x86_64\nhome=/root\ndata_dir=/root/autodl-tmp\n"
	    "data_dir_exists=0\ndf_path=/root\navail_kb=524288\n"
	    "have_sha256sum=1\npayload=present\nfuture_key=1\nprobe=done\n";
	struct probe p;

	(void)state;
	assert_int_equal(probe_parse(out, strlen(out), &p), CN_OK);
	assert_string_equal(p.arch, "x86_64");
	assert_string_equal(p.home, "/root");
	assert_string_equal(p.data_dir, "/root/autodl-tmp");
	assert_string_equal(p.df_path, "/root");
	assert_false(p.data_dir_exists);
	assert_int_equal(p.avail_kb, 524288);
	assert_true(p.have_sha256sum);
	assert_true(p.payload_present);
	assert_false(p.payload_partial);
	probe_release(&p);
	probe_release(NULL);
}

static void
test_parse_odd(void **state)
{
	struct probe p;
	const char *cut = "arch=x86_64\nhome=/root\n";
	const char *crlf = "arch=aarch64\r\nhome=/home/u\r\ndata_dir=/d\r\n"
	    "df_path=/\r\navail_kb=\r\npayload=partial\r\nprobe=done\r\n";

	(void)state;
	/* No "probe=done": the script did not finish. */
	assert_int_equal(probe_parse(cut, strlen(cut), &p), CN_ERR_PARSE);
	assert_null(p.arch);
	assert_int_equal(probe_parse(crlf, strlen(crlf), &p), CN_OK);
	assert_string_equal(p.arch, "aarch64");
	assert_string_equal(p.home, "/home/u");
	assert_int_equal(p.avail_kb, -1);
	assert_false(p.have_sha256sum);
	assert_false(p.payload_present);
	assert_true(p.payload_partial);
	probe_release(&p);
}

static void
test_script(void **state)
{
	char *s;

	(void)state;
	s = probe_script("~/data dir", "abc123");
	assert_non_null(s);
	assert_non_null(strstr(s, "d=\"$HOME\"'/data dir'\n"));
	assert_non_null(strstr(s, "/.cnorch/payload/abc123\""));
	assert_non_null(strstr(s, "echo probe=done"));
	free(s);
}

static void
test_quote(void **state)
{
	static const struct {
		const char *in, *want;
	} q[] = {
		{ "", "''" },
		{ "abc", "'abc'" },
		{ "it's", "'it'\\''s'" },
		{ "$(rm -rf /) `x` \"y\"", "'$(rm -rf /) `x` \"y\"'" },
	}, path[] = {
		{ "/root/autodl-tmp", "'/root/autodl-tmp'" },
		{ "~", "\"$HOME\"" },
		{ "~/x y", "\"$HOME\"'/x y'" },
		{ "$HOME/a", "\"$HOME\"'/a'" },
		{ "${HOME}/a", "\"$HOME\"'/a'" },
		{ "~other/a", "'~other/a'" },
		{ "/a/$HOME", "'/a/$HOME'" },
	};
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		s = sh_quote(q[i].in);
		assert_string_equal(s, q[i].want);
		free(s);
	}
	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		s = sh_path(path[i].in);
		assert_string_equal(s, path[i].want);
		free(s);
	}
}

static void
test_kv(void **state)
{
	const char *out = "a=1\nab=2\nb=\nb2\na=3";
	char *v;

	(void)state;
	v = kv_get(out, strlen(out), "a");
	assert_string_equal(v, "3");	/* the last one wins */
	free(v);
	v = kv_get(out, strlen(out), "b");
	assert_string_equal(v, "");
	free(v);
	assert_null(kv_get(out, strlen(out), "c"));
	assert_null(kv_get(out, 0, "a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_odd),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_kv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

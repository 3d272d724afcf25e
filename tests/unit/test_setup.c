/* Unit tests for the setup step: the stdin script and the report lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inventory.h"
#include "setup.h"

static void
test_lines(void **state)
{
	static const struct {
		const char *line;
		int kind;
		enum setup_status st;
		const char *item, *msg;
	} cases[] = {
		{ "ok pip", 1, SETUP_OK, "pip", "" },
		{ "changed env", 1, SETUP_CHANGED, "env", "" },
		{ "warn hf_endpoint set later in ~/.bashrc", 1, SETUP_WARN,
		  "hf_endpoint", "set later in ~/.bashrc" },
		{ "error data_dir cannot create\r", 1, SETUP_ERROR,
		  "data_dir", "cannot create" },
		{ "ok", 0, SETUP_OK, NULL, NULL },
		{ "ok ", 0, SETUP_OK, NULL, NULL },
		{ "okay pip", 0, SETUP_OK, NULL, NULL },
		{ "", 0, SETUP_OK, NULL, NULL },
	};
	struct setup_result res = { 0 };
	enum setup_status st;
	const char *item, *msg;
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].line);
		assert_int_equal(setup_parse_line(buf, &st, &item, &msg,
		    &res), cases[i].kind);
		if (cases[i].kind != 1)
			continue;
		assert_int_equal(st, cases[i].st);
		assert_string_equal(item, cases[i].item);
		assert_string_equal(msg, cases[i].msg);
	}
	snprintf(buf, sizeof(buf), "summary ok=5 changed=2 failed=1");
	assert_int_equal(setup_parse_line(buf, &st, &item, &msg, &res), 2);
	assert_true(res.summary_seen);
	assert_int_equal(res.ok, 5);
	assert_int_equal(res.changed, 2);
	assert_int_equal(res.failed, 1);
	res.summary_seen = false;
	snprintf(buf, sizeof(buf), "summary ok=x");
	assert_int_equal(setup_parse_line(buf, &st, &item, &msg, &res), 0);
	assert_false(res.summary_seen);
}

static void
test_script(void **state)
{
	struct setup_opts o = { .data_dir = "/root/autodl-tmp",
	    .hf = "http://127.0.0.1:8080",
	    .proxy = "http://user:p'w@proxy:3128" };
	char *s;

	(void)state;
	s = setup_script("abc", &o);
	assert_non_null(s);
	assert_non_null(strstr(s, "CNORCH_DATA_DIR='/root/autodl-tmp'\n"
	    "export CNORCH_DATA_DIR\n"));
	assert_non_null(strstr(s, "CNORCH_HF_ENDPOINT='http://127.0.0.1:8080'"));
	/* Unset ones fall back to the script's defaults. */
	assert_non_null(strstr(s, "unset CNORCH_PYPI_MIRROR\n"));
	assert_non_null(strstr(s, "CNORCH_PROXY='http://user:p'\\''w@proxy:3128'"));
	assert_non_null(strstr(s, "exec bash \"$HOME/.cnorch/payload/\"'abc'/"
	    "'setup-china-mirrors.sh' </dev/null"));
	/* A proxy stays out of the shells unless proxy_in_shells asks. */
	assert_non_null(strstr(s, "CNORCH_PROXY_IN_SHELLS='0'"));
	free(s);
	o.proxy_in_shells = true;
	s = setup_script("abc", &o);
	assert_non_null(strstr(s, "CNORCH_PROXY_IN_SHELLS='1'"));
	free(s);
	/* No proxy: empty, so a block from before is removed. */
	o.proxy = NULL;
	s = setup_script("abc", &o);
	assert_non_null(strstr(s, "CNORCH_PROXY=''\n"));
	free(s);
	/* The platform's proxy is read at launch only: none for the shells,
	 * even if proxy_in_shells slipped through. */
	o.proxy = PROXY_PLATFORM;
	s = setup_script("abc", &o);
	assert_non_null(strstr(s, "CNORCH_PROXY=''\n"));
	assert_non_null(strstr(s, "CNORCH_PROXY_IN_SHELLS='0'"));
	assert_null(strstr(s, "platform"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

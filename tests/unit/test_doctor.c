/* Unit tests for orchestrator/box/doctor.c (the checks' output and stdin
 * preamble) and mirror_auto.c's candidate list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "doctor.h"
#include "endpoints.h"
#include "error.h"
#include "inventory.h"
#include "mirror_auto.h"

static void
test_parse(void **state)
{
	struct doctor_result res;
	const char *out =
	    "motd noise\n"
	    "check proxy ok no proxy set\n"
	    "check hf_transfer fail HF_HUB_ENABLE_HF_TRANSFER=1 in shells\r\n"
	    "fix hf_transfer remove the line\n"
	    "fix hf_transfer a second fix is ignored\n"
	    "fix nosuch orphan fix\n"
	    "check cache_hf warn cannot tell\n"
	    "check odd maybe unknown levels are skipped\n"
	    "check disk_space fail low\n"
	    "fix disk_space free some\n"
	    "end\n";

	(void)state;
	assert_int_equal(doctor_parse(out, &res), CN_OK);
	assert_true(res.complete);
	assert_int_equal(res.n, 4);
	assert_string_equal(res.v[0].id, "proxy");
	assert_int_equal(res.v[0].level, FINDING_OK);
	assert_string_equal(res.v[0].message, "no proxy set");
	assert_null(res.v[0].fix);
	assert_string_equal(res.v[1].id, "hf_transfer");
	assert_int_equal(res.v[1].level, FINDING_FAIL);
	assert_string_equal(res.v[1].message,
	    "HF_HUB_ENABLE_HF_TRANSFER=1 in shells");
	assert_string_equal(res.v[1].fix, "remove the line");
	assert_int_equal(res.v[2].level, FINDING_WARN);
	assert_null(res.v[2].fix);
	assert_string_equal(res.v[3].fix, "free some");
	assert_string_equal(finding_level_name(res.v[3].level), "fail");
	doctor_release(&res);
	doctor_release(&res);

	/* Cut short: no "end". */
	assert_int_equal(doctor_parse("check proxy ok x\n", &res), CN_OK);
	assert_false(res.complete);
	assert_int_equal(res.n, 1);
	doctor_release(&res);
	assert_int_equal(doctor_parse(NULL, &res), CN_OK);
	assert_int_equal(res.n, 0);
}

static void
test_script(void **state)
{
	struct doctor_inputs in = { .data_dir = "/root/it's data",
	    .hf_endpoint = "https://hf-mirror.com", .pull_bytes = 123,
	    .mirror_hosts = "127.0.0.1 hf-mirror.com" };
	char *s;

	(void)state;
	assert_non_null(s = doctor_script(&in));
	assert_non_null(strstr(s, "CNORCH_DATA_DIR='/root/it'\\''s data'\n"
	    "export CNORCH_DATA_DIR\n"));
	assert_non_null(strstr(s, "CNORCH_PULL_BYTES='123'\n"));
	assert_non_null(strstr(s, "CNORCH_HF_ENDPOINT='https://hf-mirror"
	    ".com'\n"));
	assert_non_null(strstr(s, "CNORCH_CHECK_TIMEOUT='5'\n"));
	/* The embedded script follows the preamble, whole. */
	assert_int_equal(strlen(doctor_checks_sh), doctor_checks_sh_len);
	assert_non_null(strstr(s, doctor_checks_sh));
	assert_non_null(strstr(doctor_checks_sh, "set -u\n"));
	free(s);

	in.pull_bytes = -1;
	in.hf_endpoint = NULL;
	assert_non_null(s = doctor_script(&in));
	assert_non_null(strstr(s, "unset CNORCH_PULL_BYTES\n"));
	assert_non_null(strstr(s, "unset CNORCH_HF_ENDPOINT\n"));
	free(s);
}

static void
test_candidates(void **state)
{
	struct host h = { .name = "box" };
	struct endpoint_list l = { 0 };
	char *msg = NULL;

	(void)state;
	unsetenv("CNORCH_PYPI_CANDIDATES");
	assert_int_equal(mirror_candidates(&h, "pypi", &l, true, &msg), CN_OK);
	assert_int_equal(l.n, 3);	/* TUNA, Aliyun, USTC */
	assert_true(l.v[0].configured);
	endpoint_list_release(&l);

	setenv("CNORCH_PYPI_CANDIDATES", "http://127.0.0.1:1/simple, "
	    "http://127.0.0.1:2/simple,,http://127.0.0.1:1/simple/", 1);
	assert_int_equal(mirror_candidates(&h, "pypi", &l, false, &msg), CN_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].base, "http://127.0.0.1:2/simple");
	assert_string_equal(l.v[1].label, "candidate 2");
	assert_false(l.v[1].configured);
	endpoint_list_release(&l);

	/* The inventory's list beats the environment. */
	{
		char *inv[] = { (char *)"http://127.0.0.1:9/simple" };

		h.mirror_candidates.pypi = inv;
		h.mirror_candidates.npypi = 1;
		assert_int_equal(mirror_candidates(&h, "pypi", &l, true, &msg),
		    CN_OK);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.v[0].base, "http://127.0.0.1:9/simple");
		assert_string_equal(l.v[0].label, "candidate 1");
		endpoint_list_release(&l);
		h.mirror_candidates.pypi = NULL;
		h.mirror_candidates.npypi = 0;
	}

	setenv("CNORCH_PYPI_CANDIDATES", "http://ok/simple,not-a-url", 1);
	assert_int_equal(mirror_candidates(&h, "pypi", &l, true, &msg),
	    CN_ERR_INVALID);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "'not-a-url'"));
	free(msg);
	endpoint_list_release(&l);
	unsetenv("CNORCH_PYPI_CANDIDATES");

	/* conda has its own variable. */
	setenv("CNORCH_PYPI_CANDIDATES", "http://127.0.0.1:1/simple", 1);
	msg = NULL;
	assert_int_equal(mirror_candidates(&h, "conda", &l, true, &msg),
	    CN_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].label, "tuna");
	endpoint_list_release(&l);
	unsetenv("CNORCH_PYPI_CANDIDATES");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_candidates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for the shared byte/rate/duration formatter (common/fmt.c)
 * and the agent's report_bytes, which must print the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fmt.h"
#include "report.h"

static const struct {
	double		 in;
	const char	*want;
} byte_cases[] = {
	{ 0, "0 B" },
	{ 1, "1 B" },
	{ 512, "512 B" },
	{ 1023, "1023 B" },
	{ 1024, "1.0 KiB" },
	{ 1536, "1.5 KiB" },
	{ 5.0 * 1024 * 1024, "5.0 MiB" },
	{ 99.94 * 1024 * 1024, "99.9 MiB" },
	{ 100.0 * 1024 * 1024, "100 MiB" },
	{ 512.0 * 1024 * 1024, "512 MiB" },
	{ 1.2 * 1024 * 1024 * 1024, "1.2 GiB" },
	{ 14.2 * 1024 * 1024 * 1024, "14.2 GiB" },
	{ 1024.0 * 1024 * 1024 * 1024, "1.0 TiB" },
	/* Just below a unit: not "1024.0 KiB" nor "1024 KiB". */
	{ 1024.0 * 1024 - 1, "1.0 MiB" },
	{ 1024.0 * 1024 * 1024 - 1, "1.0 GiB" },
	{ -5, "0 B" },
	{ 1.0 / 0.0, "0 B" },
	{ 0.0 / 0.0, "0 B" },
};

static void
test_fmt_bytes(void **state)
{
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(byte_cases) / sizeof(byte_cases[0]); i++) {
		fmt_bytes(buf, sizeof(buf), byte_cases[i].in);
		if (strcmp(buf, byte_cases[i].want) != 0)
			fail_msg("fmt_bytes(%g) = '%s', want '%s'",
			    byte_cases[i].in, buf, byte_cases[i].want);
	}
}

/* The agent's progress and summary lines print what the laptop prints. */
static void
test_report_bytes_agrees(void **state)
{
	char a[32], b[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(byte_cases) / sizeof(byte_cases[0]); i++) {
		if (!(byte_cases[i].in >= 0) || byte_cases[i].in > 1e300)
			continue;
		fmt_bytes(a, sizeof(a), byte_cases[i].in);
		assert_ptr_equal(report_bytes((unsigned long long)
		    byte_cases[i].in, b, sizeof(b)), b);
		assert_string_equal(a, b);
	}
	/* What the old report_bytes printed as "512.0 MiB". */
	assert_string_equal(report_bytes(512ULL << 20, b, sizeof(b)),
	    "512 MiB");
}

static void
test_fmt_rate(void **state)
{
	char buf[32];

	(void)state;
	fmt_rate(buf, sizeof(buf), 35.1 * 1024 * 1024);
	assert_string_equal(buf, "35.1 MiB/s");
	fmt_rate(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0 B/s");
	fmt_rate(buf, sizeof(buf), 300.0 * 1024);
	assert_string_equal(buf, "300 KiB/s");
}

static void
test_fmt_duration(void **state)
{
	static const struct {
		double in;
		const char *want;
	} cases[] = {
		{ 0, "0s" },
		{ 0.4, "0s" },
		{ 48, "48s" },
		{ 59.6, "1m00s" },
		{ 312, "5m12s" },
		{ 3600, "1h00m" },
		{ 7380, "2h03m" },
		{ 86400 + 4 * 3600, "1d04h" },
		{ -1, "?" },
		{ 0.0 / 0.0, "?" },
		{ 1e13, "?" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_duration(buf, sizeof(buf), cases[i].in);
		assert_string_equal(buf, cases[i].want);
	}
}

/* A short buffer truncates, never overflows. */
static void
test_fmt_truncates(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	fmt_rate(buf, 5, 35.1 * 1024 * 1024);
	assert_string_equal(buf, "35.1");
	assert_int_equal(buf[5], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_report_bytes_agrees),
		cmocka_unit_test(test_fmt_rate),
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_fmt_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

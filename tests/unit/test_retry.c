/* Unit tests for the agent's HTTP status classes and retry waits
 * (remote/retry.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "retry.h"

static const struct {
	long		 status;
	enum http_class	 cls;
	int		 err;
} statuses[] = {
	{ 200, HTTP_CLASS_OK, CN_OK },
	{ 206, HTTP_CLASS_OK, CN_OK },
	{ 302, HTTP_CLASS_FATAL, CN_ERR_HTTP },
	{ 400, HTTP_CLASS_FATAL, CN_ERR_HTTP },
	{ 401, HTTP_CLASS_DENIED, CN_ERR_ACCESS },
	{ 403, HTTP_CLASS_DENIED, CN_ERR_ACCESS },
	{ 404, HTTP_CLASS_NOT_FOUND, CN_ERR_NOT_FOUND },
	{ 408, HTTP_CLASS_RETRY, CN_ERR_RETRIES },
	{ 410, HTTP_CLASS_FATAL, CN_ERR_HTTP },
	{ 416, HTTP_CLASS_RETRY, CN_ERR_RETRIES },
	{ 429, HTTP_CLASS_RATE_LIMITED, CN_ERR_RETRIES },
	{ 500, HTTP_CLASS_RETRY, CN_ERR_RETRIES },
	{ 502, HTTP_CLASS_RETRY, CN_ERR_RETRIES },
	{ 503, HTTP_CLASS_RETRY, CN_ERR_RETRIES },
	{ 599, HTTP_CLASS_RETRY, CN_ERR_RETRIES },
	{ 600, HTTP_CLASS_FATAL, CN_ERR_HTTP },
	{ 0, HTTP_CLASS_FATAL, CN_ERR_HTTP },
};

static void
test_status_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		enum http_class k = http_status_class(statuses[i].status);

		if (k != statuses[i].cls)
			fail_msg("HTTP %ld: class %d, want %d",
			    statuses[i].status, (int)k, (int)statuses[i].cls);
		assert_int_equal(http_class_err(k), statuses[i].err);
		assert_int_equal(http_class_retryable(k),
		    k == HTTP_CLASS_RETRY || k == HTTP_CLASS_RATE_LIMITED);
	}
}

/* attempt n waits in [d/2, d], d = base * 2^(n-1) capped at max. */
static void
test_backoff_doubles_and_caps(void **state)
{
	double d, want;
	int n, k;

	(void)state;
	for (n = 1; n <= 12; n++) {
		want = 0.5 * (double)(1 << (n - 1));
		if (want > 30)
			want = 30;
		for (k = 0; k < 50; k++) {
			d = retry_wait(0.5, 30, n, -1, 300);
			if (d < want / 2 || d > want)
				fail_msg("attempt %d waited %.3f s, want "
				    "[%.3f, %.3f]", n, d, want / 2, want);
		}
	}
}

static void
test_backoff_jitters(void **state)
{
	double first = retry_wait(1, 60, 3, -1, 60), d;
	int k, differs = 0;

	(void)state;
	for (k = 0; k < 20; k++) {
		d = retry_wait(1, 60, 3, -1, 60);
		if (d != first)
			differs = 1;
	}
	assert_true(differs);
}

static void
test_retry_after_is_a_minimum(void **state)
{
	double d;

	(void)state;
	/* Longer than the backoff: the server's wait wins. */
	d = retry_wait(0.02, 30, 1, 7, 300);
	assert_true(d >= 7.0 && d <= 7.0);
	/* Shorter: the backoff still applies. */
	d = retry_wait(8, 30, 1, 1, 300);
	assert_true(d >= 4.0 && d <= 8.0);
	/* Capped. */
	d = retry_wait(0.02, 30, 1, 3600, 300);
	assert_true(d >= 300.0 && d <= 300.0);
	/* 0 means "now": only the backoff. */
	d = retry_wait(0.02, 30, 1, 0, 300);
	assert_true(d <= 0.02);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_backoff_doubles_and_caps),
		cmocka_unit_test(test_backoff_jitters),
		cmocka_unit_test(test_retry_after_is_a_minimum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for endpoint ranking (remote/measure.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "measure.h"

static void
test_rank_table(void **state)
{
	struct measure m[] = {
		{ .url = "slow", .ok = true, .rate_bps = 1e5, .ttfb_ms = 20 },
		{ .url = "dead", .ok = false, .rate_bps = 0, .ttfb_ms = 0 },
		{ .url = "fast", .ok = true, .rate_bps = 5e7, .ttfb_ms = 90 },
		{ .url = "fast-near", .ok = true, .rate_bps = 5e7, .ttfb_ms = 10 },
		/* A fast failure must not beat a slow success. */
		{ .url = "err-fast", .ok = false, .rate_bps = 9e9, .ttfb_ms = 1 },
	};
	size_t order[5];

	(void)state;
	measure_rank(m, 5, order);
	assert_string_equal(m[order[0]].url, "fast-near");
	assert_string_equal(m[order[1]].url, "fast");
	assert_string_equal(m[order[2]].url, "slow");
	assert_false(m[order[3]].ok);
	assert_false(m[order[4]].ok);
	assert_string_equal(m[order[3]].url, "err-fast");
}

static void
test_json_shape(void **state)
{
	struct measure m = { .url = "http://127.0.0.1:1/x", .ok = false,
	    .status = 503, .bytes = 12, .error = "HTTP 503" };
	json_t *o;

	(void)state;
	assert_non_null(o = measure_json(&m));
	assert_string_equal(json_string_value(json_object_get(o, "url")),
	    "http://127.0.0.1:1/x");
	assert_true(json_is_false(json_object_get(o, "ok")));
	assert_int_equal(json_integer_value(json_object_get(o, "status")), 503);
	assert_string_equal(json_string_value(json_object_get(o, "error")),
	    "HTTP 503");
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_table),
		cmocka_unit_test(test_json_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

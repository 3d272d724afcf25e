/* Unit tests for remote/source_measure.c: when --source auto measures
 * ModelScope first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "measure.h"
#include "source_measure.h"

static void
test_decide(void **state)
{
	static const struct {
		struct measure hf, ms;
		bool want;
		const char *why;
	} t[] = {
		/* HF failing, ModelScope answers. */
		{ { .ok = false, .status = 503, .error = "HTTP 503" },
		  { .ok = true, .status = 200, .rate_bps = 2e6, .bytes = 900 },
		  true, "failing (HTTP 503)" },
		{ { .ok = false, .status = 0, .error = "Timeout was reached" },
		  { .ok = true, .status = 200, .bytes = 10 }, true, "failing" },
		{ { .ok = false, .status = 429 },
		  { .ok = true, .status = 200 }, true, "no answer" },
		/* ModelScope failing too, or not carrying the repo. */
		{ { .ok = false, .status = 503 },
		  { .ok = false, .status = 503 }, false, NULL },
		{ { .ok = false, .status = 503 },
		  { .ok = false, .status = 404 }, false, NULL },
		/* An answer about the repo (gated, missing): the planner's. */
		{ { .ok = false, .status = 401 },
		  { .ok = true, .status = 200 }, false, NULL },
		{ { .ok = false, .status = 404 },
		  { .ok = true, .status = 200 }, false, NULL },
		/* Much slower, with samples big enough to tell. */
		{ { .ok = true, .rate_bps = 1e5, .bytes = 262144 },
		  { .ok = true, .rate_bps = 1e6, .bytes = 262144 },
		  true, "much slower" },
		{ { .ok = true, .rate_bps = 3e5, .bytes = 262144 },
		  { .ok = true, .rate_bps = 1e6, .bytes = 262144 },
		  false, NULL },
		/* Tiny replies: their rates are noise. */
		{ { .ok = true, .rate_bps = 1e3, .bytes = 2000 },
		  { .ok = true, .rate_bps = 1e9, .bytes = 2000 }, false, NULL },
	};
	size_t i;
	char *why;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(source_measure_decide(&t[i].hf, &t[i].ms,
		    &why), t[i].want);
		if (t[i].why == NULL)
			assert_null(why);
		else {
			assert_non_null(why);
			assert_non_null(strstr(why, t[i].why));
			assert_non_null(strstr(why, "measured: "));
		}
		free(why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

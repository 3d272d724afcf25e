/* Unit tests for the event line format (common/event.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "event.h"

static void
test_encode_then_parse(void **state)
{
	json_t *f, *o;
	char *line;

	(void)state;
	f = json_pack("{s:I,s:I,s:s}", "bytes_done", (json_int_t)1234,
	    "bytes_total", (json_int_t)5000000000LL, "job", "spoof");
	line = event_encode(1700000000.25, "j1", "progress", f);
	assert_non_null(line);
	/* One line, ending in a newline, no embedded newline. */
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	assert_int_equal(event_parse(line, strlen(line), &o), CN_OK);
	assert_string_equal(json_string_value(json_object_get(o, "job")), "j1");
	assert_string_equal(json_string_value(json_object_get(o, "event")),
	    "progress");
	assert_true(json_number_value(json_object_get(o, "ts")) == 1700000000.25);
	assert_int_equal(json_integer_value(json_object_get(o, "bytes_total")),
	    5000000000LL);
	json_decref(o);
	json_decref(f);
	free(line);
}

static void
test_parse_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"not json",
		"[1,2]",
		"{\"ts\":1,\"job\":\"a\"}",
		"{\"ts\":\"1\",\"job\":\"a\",\"event\":\"done\"}",
		"{\"ts\":1,\"job\":\"a\",\"event\":\"done\"",
		"{\"ts\":1,\"ts\":2,\"job\":\"a\",\"event\":\"done\"}",
	};
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(event_parse(bad[i], strlen(bad[i]), &o),
		    CN_ERR_PARSE);
		assert_null(o);
	}
}

static void
test_parse_ignores_unknown_fields(void **state)
{
	const char *l = "{\"ts\":2.5,\"job\":\"x\",\"event\":\"done\","
	    "\"future\":{\"a\":1}}\r\n";
	json_t *o;

	(void)state;
	assert_int_equal(event_parse(l, strlen(l), &o), CN_OK);
	assert_string_equal(json_string_value(json_object_get(o, "event")),
	    "done");
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_then_parse),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_ignores_unknown_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

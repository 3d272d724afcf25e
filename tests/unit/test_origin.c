/* Unit tests for the transfer engine's per-origin state and RateLimit
 * parsing (remote/origin.c) and a plan file's extra sources (plan.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "plan.h"
#include "transfer_int.h"

/* The forms huggingface_hub's parse_ratelimit_headers reads. */
static void
test_ratelimit_param(void **state)
{
	(void)state;
	assert_int_equal(ratelimit_param(" \"api\";r=0;t=55", "r"), 0);
	assert_int_equal(ratelimit_param(" \"api\";r=0;t=55", "t"), 55);
	assert_int_equal(ratelimit_param(" \"fixed window\";\"api\";q=500;w=300",
	    "w"), 300);
	assert_int_equal(ratelimit_param(" \"api\"; r=12; t=3", "r"), 12);
	assert_int_equal(ratelimit_param(" \"api\";r=0", "t"), -1);
	assert_int_equal(ratelimit_param(" \"api\";t=x", "t"), -1);
	assert_int_equal(ratelimit_param(" \"api\";tt=4", "t"), -1);
	assert_int_equal(ratelimit_param("", "t"), -1);
}

/* One origin per scheme://host:port, whatever the path or query. */
static void
test_origin_key(void **state)
{
	struct origin *l = NULL, *a, *b, *c, *d;

	(void)state;

	a = origin_get(&l, "http://127.0.0.1:8080/org/x/resolve/main/a");
	b = origin_get(&l, "http://127.0.0.1:8080/api/v1/models/x/repo?F=b");
	c = origin_get(&l, "http://127.0.0.2:8080/org/x/resolve/main/a");
	d = origin_get(&l, "https://hf-mirror.com/org/x/resolve/main/a");
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_string_equal(a->key, "http://127.0.0.1:8080");
	assert_string_equal(d->key, "https://hf-mirror.com:443");
	origin_list_free(l);
}

/* A 429 pauses the origin (the longest wait wins); the second in a row
 * halves its connections; a good answer ends the streak. */
static void
test_origin_pause_and_cap(void **state)
{
	struct origin *l = NULL, *o;

	(void)state;

	o = origin_get(&l, "http://127.0.0.1:1/x");
	assert_non_null(o);
	o->nconns = 8;
	assert_true(origin_open(o, 100.0));
	assert_true(origin_rate_limited(o, 5.0, 100.0) == 5.0);
	assert_int_equal(o->limit, 0);
	assert_false(origin_open(o, 104.9));
	assert_true(origin_open(o, 105.0));
	/* a shorter wait does not shorten the pause */
	assert_true(origin_rate_limited(o, 1.0, 101.0) == 4.0);
	assert_int_equal(o->limit, 4);
	assert_false(origin_open(o, 106.0));	/* 8 connections, cap 4 */
	o->nconns = 3;
	assert_true(origin_open(o, 106.0));
	origin_rate_limited(o, 1.0, 110.0);
	assert_int_equal(o->limit, 1);
	origin_ok(o);
	assert_int_equal(o->n429, 0);
	origin_list_free(l);
}

static void
test_plan_add_source(void **state)
{
	struct plan_file f;
	const char *hdrs[] = { "Cookie: m_session_id=x", NULL };

	(void)state;

	memset(&f, 0, sizeof(f));
	assert_int_equal(plan_file_add_source(&f, "modelscope",
	    "http://127.0.0.2/api/v1/models/a/b/repo?FilePath=x", hdrs, 4),
	    CN_OK);
	assert_int_equal(plan_file_add_source(&f, "hf", "http://h/x", NULL, 0),
	    CN_OK);
	assert_int_equal(f.nalts, 2);
	assert_string_equal(f.alts[0].name, "modelscope");
	assert_string_equal(f.alts[0].headers[0], hdrs[0]);
	assert_null(f.alts[0].headers[1]);
	assert_int_equal(f.alts[0].max_conns, 4);
	assert_null(f.alts[1].headers);
	assert_string_equal(plan_source_name(SOURCE_MODELSCOPE), "modelscope");
	assert_string_equal(plan_source_name(SOURCE_HF), "hf");
	free(f.alts[0].name);
	free(f.alts[0].url);
	free(f.alts[0].headers[0]);
	free(f.alts[0].headers);
	free(f.alts[1].name);
	free(f.alts[1].url);
	free(f.alts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_param),
		cmocka_unit_test(test_origin_key),
		cmocka_unit_test(test_origin_pause_and_cap),
		cmocka_unit_test(test_plan_add_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

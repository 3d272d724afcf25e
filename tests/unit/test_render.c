/* Unit tests for the renderer's pure formatting: bytes, rates, durations,
 * ETA, bars, event lines, JSON lines, live rows and the piped mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render.h"

static void
test_fmt_bytes(void **state)
{
	static const struct {
		double in;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 512, "512 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 5.0 * 1024 * 1024, "5.0 MiB" },
		{ 512.0 * 1024 * 1024, "512 MiB" },
		{ 1.2 * 1024 * 1024 * 1024, "1.2 GiB" },
		{ 14.2 * 1024 * 1024 * 1024, "14.2 GiB" },
		{ 1024.0 * 1024 * 1024 * 1024, "1.0 TiB" },
		/* Just below a unit: not "1024.0 KiB". */
		{ 1024.0 * 1024 - 1, "1.0 MiB" },
		{ -5, "0 B" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_bytes(buf, sizeof(buf), cases[i].in);
		assert_string_equal(buf, cases[i].want);
	}
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
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_duration(buf, sizeof(buf), cases[i].in);
		assert_string_equal(buf, cases[i].want);
	}
}

static void
test_eta(void **state)
{
	(void)state;
	assert_true(eta_seconds(50, 100, 10) == 5);
	assert_true(eta_seconds(100, 100, 10) == 0);
	assert_true(eta_seconds(50, 100, 0) < 0);
	assert_true(eta_seconds(50, -1, 10) < 0);
	assert_true(eta_seconds(150, 100, 10) < 0);
}

static void
test_fmt_bar(void **state)
{
	char buf[64];

	(void)state;
	fmt_bar(buf, sizeof(buf), 0, 12);
	assert_string_equal(buf, "[          ]");
	fmt_bar(buf, sizeof(buf), 0.5, 12);
	assert_string_equal(buf, "[=====>    ]");
	fmt_bar(buf, sizeof(buf), 1, 12);
	assert_string_equal(buf, "[==========]");
	fmt_bar(buf, sizeof(buf), 7, 6);
	assert_string_equal(buf, "[====]");
	/* Too small a buffer: nothing rather than a torn bar. */
	fmt_bar(buf, 5, 0.5, 12);
	assert_string_equal(buf, "");
}

static json_t *
ev(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

static void
test_event_text(void **state)
{
	static const struct {
		const char *ev;
		const char *want;
	} cases[] = {
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"progress\","
		  "\"bytes_done\":1288490189,\"bytes_total\":3113851290,"
		  "\"rate_bps\":36805018}",
		  "Qwen--Qwen2.5-7B@main progress 41% 1.2 GiB/2.9 GiB "
		  "35.1 MiB/s eta 50s" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"progress\","
		  "\"bytes_done\":10,\"bytes_total\":100}",
		  "Qwen--Qwen2.5-7B@main progress 10% 10 B/100 B" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"progress\","
		  "\"bytes_done\":2048}",
		  "Qwen--Qwen2.5-7B@main progress 2.0 KiB" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"plan\",\"files\":12,"
		  "\"bytes_total\":15247133900}",
		  "Qwen--Qwen2.5-7B@main plan 12 files 14.2 GiB" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"file_done\","
		  "\"path\":\"config.json\",\"size\":1229}",
		  "Qwen--Qwen2.5-7B@main file_done config.json 1.2 KiB" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"stall\",\"path\":\"a\","
		  "\"offset\":1048576,\"attempt\":2}",
		  "Qwen--Qwen2.5-7B@main stall a at 1.0 MiB (attempt 2)" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"retry\",\"reason\":"
		  "\"http 503\",\"attempt\":3,\"delay_s\":4}",
		  "Qwen--Qwen2.5-7B@main retry http 503 (attempt 3, in 4s)" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"source\",\"from\":\"hf\","
		  "\"to\":\"modelscope\"}",
		  "Qwen--Qwen2.5-7B@main source hf -> modelscope" },
		/* The box's text never breaks our one line. */
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"error\",\"message\":"
		  "\"bad\\nthing\"}",
		  "Qwen--Qwen2.5-7B@main error bad thing" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"done\",\"status\":\"ok\","
		  "\"bytes\":5242880,\"elapsed_s\":312}",
		  "Qwen--Qwen2.5-7B@main done ok 5.0 MiB in 5m12s" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"newthing\"}",
		  "Qwen--Qwen2.5-7B@main newthing" },
	};
	char buf[256];
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = ev(cases[i].ev);
		render_event_text(buf, sizeof(buf), "Qwen--Qwen2.5-7B@main",
		    j);
		assert_string_equal(buf, cases[i].want);
		json_decref(j);
	}
}

static void
test_event_json(void **state)
{
	json_t *j, *back;
	char *s;

	(void)state;
	j = ev("{\"ts\":1.5,\"job\":\"x@main\",\"event\":\"plan\","
	    "\"files\":3,\"host\":\"evil\"}");
	s = render_event_json("autodl-01", j);
	assert_non_null(s);
	assert_null(strchr(s, '\n'));
	/* host first, and ours: the event cannot claim another. */
	assert_int_equal(strncmp(s, "{\"host\":\"autodl-01\",", 20), 0);
	back = json_loads(s, 0, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "host")),
	    "autodl-01");
	assert_string_equal(json_string_value(json_object_get(back,
	    "event")), "plan");
	assert_int_equal(json_integer_value(json_object_get(back, "files")),
	    3);
	json_decref(back);
	json_decref(j);
	free(s);
}

static void
test_row_text(void **state)
{
	struct render_row r = { .host = "autodl-01",
	    .label = "Qwen--Qwen2.5-7B@main" };
	char buf[512];

	(void)state;
	r.total = -1;
	render_row_text(buf, sizeof(buf), &r, 100);
	assert_string_equal(buf, "autodl-01: Qwen--Qwen2.5-7B@main planning");

	r.total = 100.0 * 1024 * 1024;
	r.done = 50.0 * 1024 * 1024;
	r.rate = 10.0 * 1024 * 1024;
	render_row_text(buf, sizeof(buf), &r, 100);
	assert_non_null(strstr(buf, " 50% 50.0 MiB/100 MiB 10.0 MiB/s eta 5s"));
	assert_non_null(strstr(buf, "[====="));
	assert_true(strlen(buf) < 100);

	/* Narrow terminal: no bar, cut to width - 1 so it never wraps. */
	render_row_text(buf, sizeof(buf), &r, 40);
	assert_null(strchr(buf, '['));
	assert_int_equal(strlen(buf), 39);

	/* Unknown rate: no ETA. */
	r.rate = 0;
	render_row_text(buf, sizeof(buf), &r, 120);
	assert_non_null(strstr(buf, " - eta ?"));
}

static void
test_progress_due(void **state)
{
	(void)state;
	assert_true(render_progress_due(-1, 100, 5, 0, 10));
	assert_false(render_progress_due(100, 102, 5, 1, 10));
	assert_true(render_progress_due(100, 105, 5, 1, 10));
}

static void
test_piped_lines(void **state)
{
	struct render *r;
	char *buf = NULL, *ebuf = NULL;
	size_t n = 0, en = 0;
	FILE *out, *err;
	json_t *j;
	int i;

	(void)state;
	out = open_memstream(&buf, &n);
	err = open_memstream(&ebuf, &en);
	r = render_create(RENDER_LINES, out, err, 0);
	assert_non_null(r);
	j = ev("{\"ts\":100,\"job\":\"j\",\"event\":\"plan\",\"files\":1,"
	    "\"bytes_total\":1024}");
	render_event(r, "box", "j@main", j);
	json_decref(j);
	/* Ten progress events in two seconds: one line. */
	for (i = 0; i < 10; i++) {
		char t[200];

		snprintf(t, sizeof(t), "{\"ts\":%f,\"job\":\"j\",\"event\":"
		    "\"progress\",\"bytes_done\":%d,\"bytes_total\":1024}",
		    100 + i * 0.2, i * 10);
		j = ev(t);
		render_event(r, "box", "j@main", j);
		json_decref(j);
	}
	render_note(r, "box", true, NULL, "oops %d", 1);
	render_destroy(r);
	fclose(out);
	fclose(err);
	assert_string_equal(buf, "box: j@main plan 1 files 1.0 KiB\n"
	    "box: j@main progress 0% 0 B/1.0 KiB\n");
	assert_string_equal(ebuf, "box: oops 1\n");
	free(buf);
	free(ebuf);
	render_destroy(NULL);
}

static void
test_json_mode(void **state)
{
	struct render *r;
	char *buf = NULL, *line, *save = NULL;
	size_t n = 0;
	FILE *out;
	json_t *j;
	int lines = 0;

	(void)state;
	out = open_memstream(&buf, &n);
	r = render_create(RENDER_JSON, out, out, 0);
	j = ev("{\"ts\":1,\"job\":\"j\",\"event\":\"progress\","
	    "\"bytes_done\":1}");
	render_event(r, "box", "j", j);
	json_decref(j);
	render_note(r, "box", true, NULL, "bad \"thing\"");
	render_note(r, "box", false, json_pack("{s:s, s:i}", "event", "recap",
	    "ok", 3), "ok=3");
	render_destroy(r);
	fclose(out);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		j = json_loads(line, 0, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j,
		    "host")), "box");
		json_decref(j);
		lines++;
	}
	assert_int_equal(lines, 3);
	free(buf);
}

/* Only the renderer says the host: a message that still starts with
 * "NAME: " does not get it twice (moved here from test_jobs' check of
 * jobs_unprefixed, which is gone). */
static void
test_prefix_once(void **state)
{
	struct render *r;
	char *buf = NULL;
	size_t n = 0;
	FILE *out;
	json_t *j;

	(void)state;
	out = open_memstream(&buf, &n);
	r = render_create(RENDER_LINES, out, out, 0);
	render_note(r, "h", true, NULL, "h: x");
	render_note(r, "h", true, NULL, "hx: x");
	render_note(r, "h", false, NULL, "x");
	render_destroy(r);
	fclose(out);
	assert_string_equal(buf, "h: x\nh: hx: x\nh: x\n");
	free(buf);

	buf = NULL;
	out = open_memstream(&buf, &n);
	r = render_create(RENDER_JSON, out, out, 0);
	render_note(r, "h", true, json_pack("{s:s, s:s}", "event", "error",
	    "message", "h: x"), "h: x");
	render_destroy(r);
	fclose(out);
	j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
	    "x");
	json_decref(j);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_fmt_rate),
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_eta),
		cmocka_unit_test(test_fmt_bar),
		cmocka_unit_test(test_event_text),
		cmocka_unit_test(test_event_json),
		cmocka_unit_test(test_row_text),
		cmocka_unit_test(test_progress_due),
		cmocka_unit_test(test_piped_lines),
		cmocka_unit_test(test_json_mode),
		cmocka_unit_test(test_prefix_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

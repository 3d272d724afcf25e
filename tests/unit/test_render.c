/* Unit tests for the renderer's pure formatting: bytes, rates, durations,
 * ETA, bars, event lines, JSON lines, live rows and the piped mode. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render.h"

/* fmt_bytes, fmt_rate and fmt_duration live in common/fmt.c: their
 * table is tests/unit/test_fmt.c. */

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
		/* Per-source bytes (issue 11): said when the agent says. */
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"file_done\","
		  "\"path\":\"m.safetensors\",\"size\":2147483648,"
		  "\"sources\":{\"hf\":1288490189,\"modelscope\":858993459}}",
		  "Qwen--Qwen2.5-7B@main file_done m.safetensors 2.0 GiB "
		  "(hf 1.2 GiB + ms 819 MiB)" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"done\",\"status\":\"ok\","
		  "\"bytes\":5242880,\"elapsed_s\":3,"
		  "\"sources\":{\"hf\":5242880,\"modelscope\":0}}",
		  "Qwen--Qwen2.5-7B@main done ok 5.0 MiB in 3s (hf 5.0 MiB)" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"done\",\"status\":\"ok\","
		  "\"bytes\":5,\"elapsed_s\":3,\"sources\":{}}",
		  "Qwen--Qwen2.5-7B@main done ok 5 B in 3s" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"source\",\"from\":\"hf\","
		  "\"to\":\"modelscope\",\"reason\":\"stalled\"}",
		  "Qwen--Qwen2.5-7B@main source hf -> modelscope (stalled)" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"source\",\"also\":"
		  "\"modelscope\",\"files\":4}",
		  "Qwen--Qwen2.5-7B@main source also modelscope (4 files)" },
		{ "{\"ts\":1,\"job\":\"j\",\"event\":\"source\",\"path\":\"a\","
		  "\"sources\":{\"modelscope\":1024,\"hf\":2048}}",
		  "Qwen--Qwen2.5-7B@main source a: hf 2.0 KiB + ms 1.0 KiB" },
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
test_sources_text(void **state)
{
	static const struct {
		const char *src;	/* JSON; NULL: absent */
		const char *want;
	} cases[] = {
		{ NULL, "" },
		{ "{}", "" },
		{ "[1, 2]", "" },
		{ "\"hf\"", "" },
		{ "{\"hf\": 0}", "" },
		{ "{\"hf\": 1288490189}", "hf 1.2 GiB" },
		{ "{\"hf\": 1288490189, \"modelscope\": 858993459}",
		  "hf 1.2 GiB + ms 819 MiB" },
		/* hf, ms, then the rest in the event's order; a zero or a
		 * non-number left out. */
		{ "{\"upstream\": 2048.0, \"modelscope\": 1024, \"hf\": 0, "
		  "\"x\": \"y\", \"proxy\": 1}",
		  "ms 1.0 KiB + upstream 2.0 KiB + proxy 1 B" },
		{ "{\"modelscope\": 1024, \"hf\": 2048}",
		  "hf 2.0 KiB + ms 1.0 KiB" },
		/* A box's name cannot break the line. */
		{ "{\"a\\nb\": 1}", "a b 1 B" },
	};
	char buf[96];
	json_t *j;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = cases[i].src != NULL ? json_loads(cases[i].src,
		    JSON_DECODE_ANY, NULL) : NULL;
		k = render_sources_text(buf, sizeof(buf), j);
		assert_string_equal(buf, cases[i].want);
		assert_int_equal(k, (int)strlen(cases[i].want));
		json_decref(j);
	}
	/* Too small a buffer: whole sources only. */
	j = json_loads("{\"hf\": 1024, \"modelscope\": 2048}", 0, NULL);
	render_sources_text(buf, 14, j);
	assert_string_equal(buf, "hf 1.0 KiB");
	json_decref(j);
}

static void
test_fleet_wanted(void **state)
{
	static const struct {
		bool tty;
		size_t n;
		int verbosity, rows;
		bool want;
	} cases[] = {
		{ true, 1, 0, 24, false },	/* one host: its lines */
		{ true, 1, 0, 5, false },
		{ true, 3, 0, 50, false },	/* three fit */
		{ true, 3, 0, 24, true },	/* three, 30 lines: no */
		{ true, 2, 0, 24, false },
		{ true, 4, 0, 200, true },	/* more than a few */
		{ true, 20, 0, 30, true },
		{ true, 20, -1, 30, true },	/* -q too */
		{ true, 20, 1, 30, false },	/* -v: every line */
		{ false, 20, 0, 30, false },	/* a pipe: lines */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_true(render_fleet_wanted(cases[i].tty, cases[i].n,
		    cases[i].verbosity, cases[i].rows) == cases[i].want);
}

static void
test_host_row_text(void **state)
{
	static const struct {
		struct render_host_row r;
		int width;
		const char *want;
	} cases[] = {
		{ { .host = "autodl-01", .phase = RENDER_WAITING,
		    .total = -1 }, 80,
		  "autodl-01    waiting" },
		{ { .host = "autodl-01", .phase = RENDER_SETUP,
		    .items = "setup 6 changed", .total = -1 }, 80,
		  "autodl-01    setup     setup 6 changed" },
		{ { .host = "autodl-01", .phase = RENDER_PULLING,
		    .total = -1 }, 80,
		  "autodl-01    pulling   planning" },
		{ { .host = "autodl-01", .phase = RENDER_PULLING,
		    .done = 50.0 * 1024 * 1024, .total = 100.0 * 1024 * 1024,
		    .rate = 10.0 * 1024 * 1024, .files_done = 3, .files = 7,
		    .file = "model-00002-of-00004.safetensors",
		    .sources = "hf 30.0 MiB + ms 20.0 MiB" }, 160,
		  "autodl-01    pulling   [=========>        ]  50% "
		  "50.0 MiB/100 MiB 10.0 MiB/s eta 5s  hf 30.0 MiB + ms "
		  "20.0 MiB  3/7 model-00002-of-00004.safetensors" },
		/* Narrower: the sources go before the file is cut, the
		 * bar is shorter, the name keeps both ends. */
		{ { .host = "autodl-01", .phase = RENDER_PULLING,
		    .done = 50.0 * 1024 * 1024, .total = 100.0 * 1024 * 1024,
		    .rate = 10.0 * 1024 * 1024, .files_done = 3, .files = 7,
		    .file = "model-00002-of-00004.safetensors",
		    .sources = "hf 30.0 MiB + ms 20.0 MiB" }, 100,
		  "autodl-01    pulling   [=========>        ]  50% 50.0 "
		  "MiB/100 MiB 10.0 MiB/s eta 5s  3/7 mod...sors" },
		/* Narrower still: no bar, no file, cut to width - 1. */
		{ { .host = "autodl-01", .phase = RENDER_PULLING,
		    .done = 50.0 * 1024 * 1024, .total = 100.0 * 1024 * 1024,
		    .rate = 0, .file = "x.bin" }, 40,
		  "autodl-01    pulling   50% 50.0 MiB/100" },
		{ { .host = "autodl-01", .phase = RENDER_DONE,
		    .done = 5242880, .total = 5242880,
		    .sources = "hf 5.0 MiB", .items = "setup 6 changed" }, 80,
		  "autodl-01    done      5.0 MiB (hf 5.0 MiB)  setup 6 "
		  "changed" },
		{ { .host = "autodl-01", .phase = RENDER_FAILED,
		    .why = "not enough space on /root/autodl-tmp: 1.0 GiB "
		    "free, 15 GiB needed", .total = -1 }, 60,
		  "autodl-01    failed    not enough space on "
		  "/root/autodl-tmp" },
		{ { .host = "autodl-01", .phase = RENDER_UNREACHABLE,
		    .why = "cannot connect", .total = -1 }, 80,
		  "autodl-01    unreachable  cannot connect" },
		/* A box's file name with a newline stays on its row; the
		 * bar's width is the same for every row of a width. */
		{ { .host = "b", .phase = RENDER_PULLING, .done = 1,
		    .total = 2, .file = "a\nb" }, 100,
		  "b            pulling   [=========>        ]  50% 1 B/2 B - "
		  "eta ?  a b" },
	};
	char buf[512];
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = render_host_row_text(buf, sizeof(buf), &cases[i].r, 11,
		    cases[i].width);
		assert_string_equal(buf, cases[i].want);
		assert_int_equal(k, (int)strlen(buf));
		assert_true(k <= cases[i].width - 1);
	}
}

/* A file name cut in the middle never splits a UTF-8 character and
 * never makes the row wider than width - 1, at any width. */
static void
test_host_row_utf8(void **state)
{
	struct render_host_row r = { .host = "h", .phase = RENDER_PULLING,
	    .done = 1, .total = 4,
	    .file = "\xe6\xa8\xa1\xe5\x9e\x8b/\xe6\x9d\x83\xe9\x87\x8d-"
	    "00001-of-00002.safetensors" };
	char buf[512];
	const unsigned char *p;
	int w, k, cont;

	(void)state;
	for (w = 2; w <= 140; w++) {
		k = render_host_row_text(buf, sizeof(buf), &r, 1, w);
		assert_true(k <= w - 1);
		/* Every lead byte has its continuation bytes. */
		for (p = (const unsigned char *)buf; *p != '\0'; p++) {
			if (*p < 0x80)
				continue;
			assert_true((*p & 0xc0) == 0xc0);
			cont = (*p & 0xf0) == 0xe0 ? 2 : 1;
			while (cont-- > 0)
				assert_true((*++p & 0xc0) == 0x80);
		}
	}
}

/*
 * A terminal as the fleet view needs one: \r, \n, ESC[nA, ESC[nB, ESC[K,
 * ESC[J on rows x cols; returns the screen's lines (trailing blanks off).
 */
#define SCR_ROWS	40
#define SCR_COLS	200
struct screen {
	char	 cell[SCR_ROWS][SCR_COLS + 1];
	int	 y, x, top;	/* cursor; lines scrolled off */
	int	 widest;	/* the longest line ever written */
};

static void
scr_newline(struct screen *s)
{
	int i;

	if (s->y + 1 < SCR_ROWS) {
		s->y++;
		return;
	}
	for (i = 1; i < SCR_ROWS; i++)
		memcpy(s->cell[i - 1], s->cell[i], sizeof(s->cell[i]));
	memset(s->cell[SCR_ROWS - 1], 0, sizeof(s->cell[0]));
	s->top++;
}

static void
scr_feed(struct screen *s, const char *p)
{
	int n, i;

	for (; *p != '\0'; p++) {
		if (*p == '\r')
			s->x = 0;
		else if (*p == '\n') {
			s->x = 0;
			scr_newline(s);
		} else if (*p == '\033' && p[1] == '[') {
			p += 2;
			n = 0;
			while (*p >= '0' && *p <= '9')
				n = n * 10 + (*p++ - '0');
			if (*p == 'A')
				s->y -= n > 0 ? n : 1;
			else if (*p == 'B')
				s->y += n > 0 ? n : 1;
			else if (*p == 'K')
				memset(s->cell[s->y] + s->x, 0,
				    (size_t)(SCR_COLS - s->x));
			else if (*p == 'J') {
				memset(s->cell[s->y] + s->x, 0,
				    (size_t)(SCR_COLS - s->x));
				for (i = s->y + 1; i < SCR_ROWS; i++)
					memset(s->cell[i], 0,
					    sizeof(s->cell[i]));
			} else
				fail_msg("unexpected escape '%c'", *p);
			assert_true(s->y >= 0 && s->y < SCR_ROWS);
		} else {
			assert_true(s->x < SCR_COLS);
			s->cell[s->y][s->x++] = *p;
			if (s->x > s->widest)
				s->widest = s->x;
		}
	}
}

/* Lines of the screen starting with prefix. */
static int
scr_count(struct screen *s, const char *prefix)
{
	int i, n = 0;

	for (i = 0; i < SCR_ROWS; i++)
		if (strncmp(s->cell[i], prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

static void
test_fleet_view(void **state)
{
	static const char *const names[] = { "autodl-01", "autodl-02",
	    "autodl-03", "autodl-04", "autodl-05" };
	struct screen scr;
	struct render *r;
	char *buf = NULL, t[256];
	size_t n = 0, i;
	FILE *out;
	json_t *j;

	(void)state;
	memset(&scr, 0, sizeof(scr));
	out = open_memstream(&buf, &n);
	/* A memstream is not a terminal: no ticker, drawn by flush. */
	r = render_create(RENDER_TTY, out, out, 0);
	render_hosts(r, names, 5);
	assert_true(render_fleet(r));
	for (i = 0; i < 5; i++) {
		render_phase(r, names[i], RENDER_SETUP);
		render_item(r, names[i], "setup", "changed", NULL,
		    "setup changed pip: %s", "tuna");
		render_item(r, names[i], "setup", "ok", NULL, "setup ok x");
	}
	/* A warning and an error stay as lines above the rows. */
	render_item(r, "autodl-02", "mirror", "warn", NULL,
	    "mirror warn pypi: slow");
	render_note(r, "autodl-03", true, NULL, "not enough space");
	render_phase(r, "autodl-03", RENDER_FAILED);
	render_phase(r, "autodl-01", RENDER_PULLING);
	j = json_loads("{\"ts\":1,\"job\":\"j\",\"event\":\"plan\","
	    "\"files\":2,\"bytes_total\":2048}", 0, NULL);
	render_event(r, "autodl-01", "j@main", j);
	json_decref(j);
	snprintf(t, sizeof(t), "{\"ts\":2,\"job\":\"j\",\"event\":"
	    "\"file_done\",\"path\":\"w.bin\",\"size\":1024,\"sources\":"
	    "{\"hf\":512,\"modelscope\":512}}");
	j = json_loads(t, 0, NULL);
	render_event(r, "autodl-01", "j@main", j);
	json_decref(j);
	j = json_loads("{\"ts\":3,\"job\":\"j\",\"event\":\"progress\","
	    "\"bytes_done\":1024,\"bytes_total\":2048,\"rate_bps\":512}",
	    0, NULL);
	render_event(r, "autodl-01", "j@main", j);
	json_decref(j);
	render_flush(r);
	/* A phase going back from a final one does not. */
	render_phase(r, "autodl-03", RENDER_PULLING);
	render_flush(r);
	fflush(out);
	scr_feed(&scr, buf);

	for (i = 0; i < 5; i++) {
		snprintf(t, sizeof(t), "%s ", names[i]);
		assert_int_equal(scr_count(&scr, t), 1);
	}
	assert_int_equal(scr_count(&scr, "autodl-02: mirror warn pypi: slow"),
	    1);
	assert_int_equal(scr_count(&scr, "autodl-03: not enough space"), 1);
	assert_int_equal(scr_count(&scr, "autodl-0"), 7);
	/* Folded, not printed. */
	assert_int_equal(scr_count(&scr, "autodl-01: setup"), 0);
	/* Every host in its place. */
	assert_non_null(strstr(scr.cell[2], "autodl-01  pulling   ["));
	assert_non_null(strstr(scr.cell[2], " 50% 1.0 KiB/2.0 KiB "
	    "512 B/s eta 2s  1/2 w.bin"));
	assert_string_equal(scr.cell[3], "autodl-02  setup     setup 1 "
	    "changed 1 ok");
	assert_string_equal(scr.cell[4], "autodl-03  failed    not enough "
	    "space");

	/* Done: the bytes and the split of the file_done events. */
	j = json_loads("{\"ts\":4,\"job\":\"j\",\"event\":\"done\","
	    "\"status\":\"ok\",\"bytes\":2048}", 0, NULL);
	render_event(r, "autodl-01", "j@main", j);
	json_decref(j);
	render_phase(r, "autodl-01", RENDER_DONE);
	render_flush(r);
	fflush(out);
	memset(&scr, 0, sizeof(scr));
	scr_feed(&scr, buf);
	assert_int_equal(scr_count(&scr, "autodl-01 "), 1);
	assert_string_equal(scr.cell[2], "autodl-01  done      2.0 KiB (hf "
	    "512 B + ms 512 B)  setup 1 changed 1 ok");
	/* The default width (not a terminal) is 100. */
	assert_true(scr.widest <= 99);

	/* The end: the rows go, the lines stay. */
	render_finish(r);
	assert_false(render_fleet(r));
	fflush(out);
	memset(&scr, 0, sizeof(scr));
	scr_feed(&scr, buf);
	assert_int_equal(scr_count(&scr, "autodl-0"), 2);
	assert_int_equal(scr_count(&scr, "autodl-01 "), 0);
	render_destroy(r);
	fclose(out);
	free(buf);
}

/* More hosts than lines: the unfinished first, the rest counted. */
static void
test_fleet_view_tall(void **state)
{
	const char *names[60];
	char name[60][16], *buf = NULL;
	struct screen scr;
	struct render *r;
	size_t n = 0, i;
	FILE *out;

	(void)state;
	memset(&scr, 0, sizeof(scr));
	for (i = 0; i < 60; i++) {
		snprintf(name[i], sizeof(name[i]), "b%02zu", i);
		names[i] = name[i];
	}
	out = open_memstream(&buf, &n);
	r = render_create(RENDER_TTY, out, out, 0);
	render_hosts(r, names, 60);
	for (i = 0; i < 50; i++)
		render_phase(r, names[i], RENDER_DONE);
	render_flush(r);
	fflush(out);
	scr_feed(&scr, buf);
	/* 24 lines (not a terminal): 22 rows and the count, one free. */
	assert_int_equal(scr.top, 0);
	assert_non_null(strstr(scr.cell[0], "b50 "));
	assert_non_null(strstr(scr.cell[9], "b59 "));
	assert_non_null(strstr(scr.cell[10], "b00 "));
	assert_string_equal(scr.cell[22], "... 38 more: 38 done");
	assert_string_equal(scr.cell[23], "");
	render_destroy(r);
	fclose(out);
	free(buf);
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
		cmocka_unit_test(test_eta),
		cmocka_unit_test(test_fmt_bar),
		cmocka_unit_test(test_event_text),
		cmocka_unit_test(test_event_json),
		cmocka_unit_test(test_row_text),
		cmocka_unit_test(test_sources_text),
		cmocka_unit_test(test_fleet_wanted),
		cmocka_unit_test(test_host_row_text),
		cmocka_unit_test(test_host_row_utf8),
		cmocka_unit_test(test_fleet_view),
		cmocka_unit_test(test_fleet_view_tall),
		cmocka_unit_test(test_progress_due),
		cmocka_unit_test(test_piped_lines),
		cmocka_unit_test(test_json_mode),
		cmocka_unit_test(test_prefix_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

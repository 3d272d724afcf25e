/* Unit tests for the follow stream parser: frames, whole-line offsets,
 * done events, ended agents, chunking anywhere, bad frames; and the box
 * loop itself, run here with sh, following a relaunched job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "error.h"
#include "follow.h"

struct seen {
	char	 events[16][32];
	size_t	 job[16];
	int	 n;
	int	 stop_at;	/* return CN_ERR_NOSPACE at this event, or -1 */
};

static int
cb(void *arg, size_t i, json_t *ev)
{
	struct seen *s = arg;

	if (s->n < 16) {
		snprintf(s->events[s->n], sizeof(s->events[0]), "%s",
		    json_string_value(json_object_get(ev, "event")));
		s->job[s->n] = i;
	}
	s->n++;
	if (s->stop_at >= 0 && s->n - 1 == s->stop_at)
		return CN_ERR_NOSPACE;
	return CN_OK;
}

#define L1 "{\"ts\":1,\"job\":\"a\",\"event\":\"plan\",\"files\":1}\n"
#define L2 "{\"ts\":2,\"job\":\"a\",\"event\":\"done\",\"status\":\"ok\"}\n"
#define L3 "{\"ts\":3,\"job\":\"b\",\"event\":\"progress\"}\n"

static char *
stream(void)
{
	char *s = NULL;

	/* job 1 gets L1 in two frames (split mid-line), job 2 gets L3,
	 * heartbeats and noise between, then L2 and the end. */
	if (asprintf(&s, "H\nF 1 10\n%.10sH\nF 1 %zu\n%s"
	    "F 2 %zu\n%s\nnoise from a profile\nF 1 %zu\n%sX 1 done\n"
	    "X 2 failed\nE\n", L1, strlen(L1) - 10, L1 + 10, strlen(L3), L3,
	    strlen(L2), L2) < 0)
		return NULL;
	return s;
}

static void
run_chunked(size_t chunk)
{
	struct follow_job jobs[2];
	struct follow_parser fp;
	struct seen s = { .stop_at = -1 };
	char *in = stream();
	size_t off, len = strlen(in), k;

	memset(jobs, 0, sizeof(jobs));
	jobs[0].offset = 100;	/* resumed: offsets add up from there */
	follow_parser_init(&fp, jobs, 2, cb, &s);
	for (off = 0; off < len; off += k) {
		k = len - off < chunk ? len - off : chunk;
		assert_int_equal(follow_parser_feed(&fp, in + off, k), CN_OK);
	}
	assert_int_equal(s.n, 3);
	assert_string_equal(s.events[0], "plan");
	assert_int_equal(s.job[0], 0);
	assert_string_equal(s.events[1], "progress");
	assert_int_equal(s.job[1], 1);
	assert_string_equal(s.events[2], "done");
	assert_int_equal(jobs[0].offset, 100 + strlen(L1) + strlen(L2));
	assert_int_equal(jobs[1].offset, strlen(L3));
	assert_true(jobs[0].done);
	assert_true(jobs[0].ok);
	/* No done event, agent gone with state failed. */
	assert_true(jobs[1].done);
	assert_false(jobs[1].ok);
	assert_string_equal(jobs[1].end_state, "failed");
	assert_true(fp.ended);
	free(in);
	follow_release(&jobs[0]);
	follow_release(&jobs[1]);
}

static void
test_stream_any_chunking(void **state)
{
	size_t c;

	(void)state;
	for (c = 1; c < 64; c++)
		run_chunked(c);
	run_chunked(100000);
}

static void
test_partial_line_not_counted(void **state)
{
	struct follow_job job;
	struct follow_parser fp;
	struct seen s = { .stop_at = -1 };
	const char *in = "F 1 18\n{\"ts\":1,\"job\":\"a\",";

	(void)state;
	memset(&job, 0, sizeof(job));
	follow_parser_init(&fp, &job, 1, cb, &s);
	assert_int_equal(follow_parser_feed(&fp, in, strlen(in)), CN_OK);
	assert_int_equal(job.offset, 0);
	assert_int_equal(s.n, 0);
	/* The agent died mid-line: X drops the torn line, not ok. */
	assert_int_equal(follow_parser_feed(&fp, "X 1 running\n", 12), CN_OK);
	assert_true(job.done);
	assert_false(job.ok);
	assert_int_equal(job.offset, 0);
	follow_release(&job);
}

static void
test_done_failed_and_torn_json(void **state)
{
	struct follow_job job;
	struct follow_parser fp;
	struct seen s = { .stop_at = -1 };
	char in[256];
	const char *l = "not json\n{\"ts\":1,\"job\":\"a\",\"event\":\"done\","
	    "\"status\":\"failed\"}\n";

	(void)state;
	memset(&job, 0, sizeof(job));
	snprintf(in, sizeof(in), "F 1 %zu\n%s", strlen(l), l);
	follow_parser_init(&fp, &job, 1, cb, &s);
	assert_int_equal(follow_parser_feed(&fp, in, strlen(in)), CN_OK);
	/* The bad line is skipped but its bytes are consumed. */
	assert_int_equal(job.offset, strlen(l));
	assert_int_equal(s.n, 1);
	assert_true(job.done);
	assert_false(job.ok);
	follow_release(&job);
}

static void
test_bad_frames(void **state)
{
	struct follow_job job;
	struct follow_parser fp;
	char big[100];

	(void)state;
	memset(&job, 0, sizeof(job));
	follow_parser_init(&fp, &job, 1, NULL, NULL);
	assert_int_equal(follow_parser_feed(&fp, "F 2 5\n", 6),
	    CN_ERR_PROTOCOL);
	/* Sticky. */
	assert_int_equal(follow_parser_feed(&fp, "H\n", 2), CN_ERR_PROTOCOL);
	follow_parser_init(&fp, &job, 1, NULL, NULL);
	memset(big, 'x', sizeof(big));
	assert_int_equal(follow_parser_feed(&fp, big, sizeof(big)),
	    CN_ERR_PROTOCOL);
	follow_release(&job);
}

static void
test_callback_stops(void **state)
{
	struct follow_job job;
	struct follow_parser fp;
	struct seen s = { .stop_at = 0 };
	char in[256];

	(void)state;
	memset(&job, 0, sizeof(job));
	snprintf(in, sizeof(in), "F 1 %zu\n%s", strlen(L1) + strlen(L2),
	    L1 L2);
	follow_parser_init(&fp, &job, 1, cb, &s);
	assert_int_equal(follow_parser_feed(&fp, in, strlen(in)),
	    CN_ERR_NOSPACE);
	assert_int_equal(s.n, 1);
	follow_release(&job);
}

static void
test_script(void **state)
{
	struct follow_job jobs[2];
	char *s;

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	jobs[0].id = strdup("test-org--tiny-model@main");
	jobs[0].offset = 1234;
	jobs[1].id = strdup("it's");
	jobs[1].done = true;
	s = follow_script(jobs, 2);
	assert_non_null(s);
	assert_non_null(strstr(s, "n=2\n"));
	assert_non_null(strstr(s,
	    "f1=\"$HOME/.cnorch/jobs/\"'test-org--tiny-model@main'\n"
	    "o1=1234\nx1=0\n"));
	assert_non_null(strstr(s, "f2=\"$HOME/.cnorch/jobs/\"'it'\\''s'\n"
	    "o2=0\nx2=1\n"));
	free(s);
	follow_release(&jobs[0]);
	follow_release(&jobs[1]);
	follow_release(NULL);
}

/*
 * Run the box loop for one job with sh in a temporary HOME holding its
 * events.jsonl and state.json (the agent gone, so the loop ends after one
 * pass), and feed what it prints to the parser.
 */
static void
follow_here(struct follow_job *job, const char *events, const char *state,
    struct seen *seen)
{
	char home[] = "/tmp/cn-follow.XXXXXX", path[512], cmd[1200];
	char *script, buf[4096];
	struct follow_parser fp;
	FILE *f;
	size_t n;

	assert_non_null(mkdtemp(home));
	snprintf(path, sizeof(path), "%s/.cnorch", home);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.cnorch/jobs", home);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.cnorch/jobs/%s", home, job->id);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.cnorch/jobs/%s/events.jsonl", home,
	    job->id);
	assert_non_null(f = fopen(path, "w"));
	fputs(events, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/.cnorch/jobs/%s/state.json", home,
	    job->id);
	assert_non_null(f = fopen(path, "w"));
	fputs(state, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/follow.sh", home);
	assert_non_null(script = follow_script(job, 1));
	assert_non_null(f = fopen(path, "w"));
	fputs(script, f);
	fclose(f);
	free(script);
	snprintf(cmd, sizeof(cmd), "HOME='%s' sh '%s'", home, path);
	follow_parser_init(&fp, job, 1, cb, seen);
	assert_non_null(f = popen(cmd, "r"));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(follow_parser_feed(&fp, buf, n), CN_OK);
	assert_int_equal(pclose(f), 0);
	assert_true(fp.ended);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	assert_int_equal(system(cmd), 0);
}

/* A relaunch left events.jsonl shorter than our offset: from 0 again. */
static void
test_relaunch_shorter(void **state)
{
	struct follow_job job;
	struct seen s = { .stop_at = -1 };

	(void)state;
	memset(&job, 0, sizeof(job));
	job.id = strdup("test-org--tiny-model@main");
	job.offset = 5000;	/* where the old run's events ended */
	follow_here(&job, L1 L2, "{\"state\": \"done\", \"pid\": 0}\n",
	    &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.events[0], "restarted");
	assert_string_equal(s.events[1], "plan");
	assert_string_equal(s.events[2], "done");
	assert_int_equal(job.offset, strlen(L1) + strlen(L2));
	assert_true(job.ok);
	follow_release(&job);
}

/* A new generation in state.json: from 0 again, though longer. */
static void
test_relaunch_generation(void **state)
{
	struct follow_job job;
	struct seen s = { .stop_at = -1 };

	(void)state;
	memset(&job, 0, sizeof(job));
	job.id = strdup("j1");
	job.offset = strlen(L1);
	job.generation = 1;
	job.have_generation = true;
	follow_here(&job, L1 L3 L2, "{\"state\": \"done\", \"pid\": 0, "
	    "\"generation\": 2}\n", &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.events[0], "restarted");
	assert_string_equal(s.events[1], "plan");
	assert_string_equal(s.events[2], "progress");
	assert_int_equal(job.offset, strlen(L1) + strlen(L3) + strlen(L2));
	assert_true(job.have_generation);
	assert_int_equal(job.generation, 2);
	follow_release(&job);

	/* The same generation: on from the offset, nothing said. */
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	memset(&job, 0, sizeof(job));
	job.id = strdup("j1");
	job.offset = strlen(L1);
	job.generation = 2;
	job.have_generation = true;
	follow_here(&job, L1 L3 L2, "{\"state\": \"done\", \"pid\": 0, "
	    "\"generation\": 2}\n", &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.events[0], "progress");
	follow_release(&job);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_any_chunking),
		cmocka_unit_test(test_partial_line_not_counted),
		cmocka_unit_test(test_done_failed_and_torn_json),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_relaunch_shorter),
		cmocka_unit_test(test_relaunch_generation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * cnorch-agent status [--json] DIR...: what each job directory's
 * state.json says, with one correction: a job that claims to be
 * queued/running but whose process is gone is reported "dead".
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "error.h"
#include "event.h"
#include "job.h"
#include "report.h"


/* The state to show: "dead" for a running job without a process. */
static const char *
effective_state(const struct job_state *s, bool *alive)
{
	bool live = strcmp(s->state, "running") == 0 ||
	    strcmp(s->state, "queued") == 0;

	*alive = job_alive(s->pid, s->proc_start);
	if (live && !*alive)
		return "dead";
	return s->state;
}

static void
print_human(const char *dir, const struct job_state *s, const char *state)
{
	char a[32], b[32];
	double pct = s->bytes_total ? 100.0 * (double)s->bytes_done /
	    (double)s->bytes_total : 0;
	double now = event_now();

	printf("%s: %s", dir, state);
	if (s->bytes_total > 0)
		printf(" %.1f%% (%s of %s)", pct,
		    report_bytes(s->bytes_done, a, sizeof(a)),
		    report_bytes(s->bytes_total, b, sizeof(b)));
	if (strcmp(state, "running") == 0 || strcmp(state, "queued") == 0)
		printf(", pid %ld, last event %.0fs ago", s->pid,
		    s->last_event_ts > 0 ? now - s->last_event_ts : 0);
	else if (s->ended > 0 && s->started > 0)
		printf(", took %.0fs", s->ended - s->started);
	if (s->error != NULL)
		printf(": %s", s->error);
	putchar('\n');
}

static void
print_json(const char *dir, const struct job_state *s, const char *state,
    bool alive)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:f,s:o,"
	    "s:f,s:o}", "dir", dir, "state", state, "recorded_state", s->state,
	    "bytes_done", (json_int_t)s->bytes_done,
	    "bytes_total", (json_int_t)s->bytes_total,
	    "pid", (json_int_t)s->pid, "pgid", (json_int_t)s->pgid,
	    "alive", alive, "started", s->started,
	    "ended", s->ended > 0 ? json_real(s->ended) : json_null(),
	    "last_event_ts", s->last_event_ts,
	    "error", s->error ? json_string(s->error) : json_null());
	char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(16)) : NULL;

	if (line != NULL)
		printf("%s\n", line);
	free(line);
	json_decref(o);
}

static void
print_missing(const char *dir, const char *state)
{
	json_t *o = json_pack("{s:s,s:s}", "dir", dir, "state", state);
	char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) :
	    NULL;

	if (line != NULL)
		printf("%s\n", line);
	free(line);
	json_decref(o);
}

static const struct option status_options[] = {
	{ "json",	no_argument,	NULL, 'J' },
	{ NULL,		0,		NULL, 0 }
};

static int
status_opt(const struct agent_cmd *c, int ch, const char *v, void *arg)
{
	(void)c;
	(void)v;
	if (ch == 'J')
		*(bool *)arg = true;
	return CN_OK;
}

static int
status_run(const struct agent_cmd *self, int argc, char **argv)
{
	struct job_state s;
	const char *state;
	bool json = false, alive;
	int first, i, r, ret = CN_OK;

	if ((r = agent_parse(self, argc, argv, status_opt, &json, &first)) !=
	    CN_OK)
		return r;
	if (first >= argc)
		return agent_usage(self, "no job directory given");
	for (i = first; i < argc; i++) {
		if ((r = job_state_read(argv[i], &s)) != CN_OK) {
			if (json)
				print_missing(argv[i], r == CN_ERR_NOT_FOUND ?
				    "unknown" : "unreadable");
			fprintf(stderr, "error: %s: %s\n", argv[i],
			    r == CN_ERR_NOT_FOUND ? "no job here (no "
			    "state.json)" : "cannot read state.json");
			ret = CN_ERR_NOT_FOUND;
			continue;
		}
		state = effective_state(&s, &alive);
		if (json)
			print_json(argv[i], &s, state, alive);
		else
			print_human(argv[i], &s, state);
		job_state_release(&s);
	}
	fflush(stdout);
	return ret;
}

const struct agent_cmd agent_cmd_status = {
	.name = "status",
	.summary = "show the state of job directories",
	.synopsis = "status [--json] JOBDIR...",
	.options = status_options,
	.run = status_run,
};

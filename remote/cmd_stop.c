/*
 * cnorch-agent stop [--timeout S] JOBDIR: end a job.  SIGTERM to the
 * job's whole process group (the pull flushes its control files and
 * records "stopped"), SIGKILL after the timeout, and if the job could not
 * record it, state.json is marked stopped here.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "error.h"
#include "event.h"
#include "job.h"


/* Wait up to timeout_s for the job's process to go. */
static bool
wait_gone(const struct job_state *s, double timeout_s)
{
	double end = event_now() + timeout_s;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	while (job_alive(s->pid, s->proc_start)) {
		if (event_now() >= end)
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

static void
signal_job(const struct job_state *s, int sig)
{
	/* Never our own group, never init's. */
	if (s->pgid > 1 && s->pgid != (long)getpgrp() &&
	    kill(-(pid_t)s->pgid, sig) == 0)
		return;
	if (s->pid > 1)
		(void)kill((pid_t)s->pid, sig);
}

static const struct option stop_options[] = {
	{ "timeout",	required_argument, NULL, 't' },
	{ NULL,		0,		   NULL, 0 }
};

static int
stop_opt(const struct agent_cmd *c, int ch, const char *v, void *arg)
{
	double *timeout = arg;
	char *end;

	if (ch == 't') {
		*timeout = strtod(v, &end);
		if (end == v || *end != '\0' || *timeout < 0 ||
		    *timeout > 3600)
			return agent_usage(c, "--timeout: expected seconds, "
			    "got '%s'", v);
	}
	return CN_OK;
}

static int
stop_run(const struct agent_cmd *self, int argc, char **argv)
{
	struct job_state s = { 0 }, now;
	const char *dir;
	double timeout = 10;
	int first, r, rc;

	if ((r = agent_parse(self, argc, argv, stop_opt, &timeout, &first)) !=
	    CN_OK)
		return r;
	if (first + 1 != argc)
		return agent_usage(self, first >= argc ? "no job directory "
		    "given" : "one job directory at a time");
	dir = argv[first];
	if ((r = job_state_read(dir, &s)) != CN_OK) {
		fprintf(stderr, "error: %s: %s\n", dir, r == CN_ERR_NOT_FOUND ?
		    "no job here (no state.json)" : "cannot read state.json");
		return CN_ERR_NOT_FOUND;
	}
	if (strcmp(s.state, "running") != 0 && strcmp(s.state, "queued") != 0) {
		printf("%s: not running (%s)\n", dir, s.state);
		rc = CN_OK;
		goto out;
	}
	if (job_alive(s.pid, s.proc_start)) {
		signal_job(&s, SIGTERM);
		if (!wait_gone(&s, timeout)) {
			fprintf(stderr, "warning: %s: pid %ld ignored SIGTERM "
			    "for %.0fs, killing its process group\n", dir,
			    s.pid, timeout);
			signal_job(&s, SIGKILL);
			if (!wait_gone(&s, 5)) {
				fprintf(stderr, "error: %s: pid %ld is still "
				    "there\n", dir, s.pid);
				rc = CN_ERR_TIMEOUT;
				goto out;
			}
		}
	}
	/* The job records "stopped" itself on SIGTERM; if it could not
	 * (killed, or already dead), record it here. */
	if (job_state_read(dir, &now) == CN_OK) {
		if (strcmp(now.state, "running") == 0 ||
		    strcmp(now.state, "queued") == 0) {
			snprintf(now.state, sizeof(now.state), "stopped");
			now.ended = event_now();
			if (now.error == NULL)
				now.error = strdup("stopped by cnorch-agent "
				    "stop (process killed)");
			(void)job_state_write(dir, &now, true);
		}
		job_state_release(&now);
	}
	printf("%s: stopped (pid %ld)\n", dir, s.pid);
	rc = CN_OK;
 out:
	job_state_release(&s);
	return rc;
}

const struct agent_cmd agent_cmd_stop = {
	.name = "stop",
	.summary = "stop a detached job (its whole process group)",
	.synopsis = "stop [--timeout S] JOBDIR",
	.options = stop_options,
	.run = stop_run,
};

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

static const char stop_usage[] =
    "usage: cnorch-agent stop [--timeout S] JOBDIR\n";

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

int
cmd_stop(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout",	required_argument, NULL, 't' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct job_state s = { 0 }, now;
	const char *dir;
	double timeout = 10;
	char *end;
	int ch, r, rc;

	if (cmd_exact_options(argc, argv, longopts) != CN_OK)
		return AGENT_EXIT_USAGE;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			timeout = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || timeout < 0 ||
			    timeout > 3600) {
				fprintf(stderr, "error: --timeout: expected "
				    "seconds, got '%s'\n", optarg);
				return AGENT_EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(stop_usage, stdout);
			return AGENT_EXIT_OK;
		default:
			fputs(stop_usage, stderr);
			return AGENT_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(stop_usage, stderr);
		return AGENT_EXIT_USAGE;
	}
	dir = argv[optind];
	if ((r = job_state_read(dir, &s)) != CN_OK) {
		fprintf(stderr, "error: %s: %s\n", dir, r == CN_ERR_NOT_FOUND ?
		    "no job here (no state.json)" : "cannot read state.json");
		return AGENT_EXIT_NOTFOUND;
	}
	if (strcmp(s.state, "running") != 0 && strcmp(s.state, "queued") != 0) {
		printf("%s: not running (%s)\n", dir, s.state);
		rc = AGENT_EXIT_OK;
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
				rc = AGENT_EXIT_FAIL;
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
			(void)job_state_write(dir, &now);
		}
		job_state_release(&now);
	}
	printf("%s: stopped (pid %ld)\n", dir, s.pid);
	rc = AGENT_EXIT_OK;
 out:
	job_state_release(&s);
	return rc;
}

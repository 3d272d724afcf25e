/*
 * Where a pull's events go (DESIGN.md, "Events"): JSON lines on stdout
 * (--json), appended to the job's events.jsonl, mirrored into the job's
 * state.json (bytes, last event; at most about once a second), and as a
 * one-line progress bar plus warnings on a terminal.
 *
 * Who frees: report_destroy() (accepts NULL).
 */
#ifndef CN_REPORT_H
#define CN_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "job.h"

struct report_opts {
	const char	*job;		/* the "job" field; "" when none */
	FILE		*json_out;	/* events as JSON lines, or NULL */
	const char	*job_dir;	/* events.jsonl + state.json, or NULL */
	bool		 human;		/* warnings and summary on stderr */
	bool		 bar;		/* progress bar on stderr (a TTY) */
	unsigned long	 generation;	/* state.json's generation (job.h) */
};

struct report;

int	report_create(const struct report_opts *o, struct report **out);
void	report_destroy(struct report *r);

/* Emit one event; fields (may be NULL) is stolen.  Every string in it
 * has URL credentials redacted (redact.h) before it is written or shown. */
void	report_emit(struct report *r, const char *event, json_t *fields);
/* The same with fields borrowed (for the planner's callback). */
void	report_emit_borrowed(void *r, const char *event, json_t *fields);
/* transfer_opts.emit-compatible wrapper of report_emit. */
void	report_emit_cb(void *r, const char *event, json_t *fields);

/*
 * Set the job state (queued|running|done|failed|stopped) and error
 * (may be NULL, redacted like events) and write state.json now, durably
 * (fsync of file and directory) for a final state.
 */
void	report_state(struct report *r, const char *state, const char *error);
/* The job's state as last written (for tests and the final summary). */
const struct job_state *report_job_state(const struct report *r);

/* End the progress bar line (before printing anything else). */
void	report_end_bar(struct report *r);

/* fmt_bytes() of n into buf ("1.5 GiB", "512 MiB"), for use in printf. */
const char *report_bytes(unsigned long long n, char *buf, size_t len);

#endif

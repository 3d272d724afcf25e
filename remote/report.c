/* What a pull reports (report.h): events.jsonl, state.json, human lines and the progress bar. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fmt.h"
#include "event.h"
#include "report.h"

#define STATE_EVERY_S	1.0

struct report {
	struct report_opts o;
	char		*job;
	char		*job_dir;
	int		 events_fd;
	struct job_state st;
	double		 state_at;
	bool		 bar_shown;
};

const char *
report_bytes(unsigned long long n, char *buf, size_t len)
{
	fmt_bytes(buf, len, (double)n);
	return buf;
}

int
report_create(const struct report_opts *o, struct report **out)
{
	struct report *r;
	char *path = NULL;
	int rc = CN_ERR_NOMEM;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return CN_ERR_NOMEM;
	r->o = *o;
	r->events_fd = -1;
	if ((r->job = strdup(o->job ? o->job : "")) == NULL)
		goto out;
	r->o.job = r->job;
	if (o->job_dir != NULL) {
		if ((r->job_dir = strdup(o->job_dir)) == NULL ||
		    asprintf(&path, "%s/events.jsonl", o->job_dir) < 0) {
			path = NULL;
			goto out;
		}
		r->o.job_dir = r->job_dir;
		if ((r->events_fd = open(path, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0644)) < 0) {
			rc = CN_ERR_SYSTEM;
			goto out;
		}
	}
	snprintf(r->st.state, sizeof(r->st.state), "queued");
	r->st.pid = (long)getpid();
	r->st.pgid = (long)getpgrp();
	r->st.proc_start = job_proc_start(r->st.pid);
	r->st.started = event_now();
	*out = r;
	r = NULL;
	rc = CN_OK;
 out:
	free(path);
	report_destroy(r);
	return rc;
}

void
report_destroy(struct report *r)
{
	if (r == NULL)
		return;
	if (r->bar_shown)
		fputc('\n', stderr);
	if (r->events_fd >= 0)
		close(r->events_fd);
	job_state_release(&r->st);
	free(r->job);
	free(r->job_dir);
	free(r);
}

static void
write_state(struct report *r, double now)
{
	if (r->job_dir == NULL)
		return;
	(void)job_state_write(r->job_dir, &r->st);
	r->state_at = now;
}

static void
clear_bar(struct report *r)
{
	if (r->bar_shown) {
		fputs("\r\033[K", stderr);
		r->bar_shown = false;
	}
}

static void
draw_bar(struct report *r, json_t *f)
{
	unsigned long long done, total, rate;
	char a[32], b[32], c[32], bar[31];
	double pct;
	int i, fill;

	done = (unsigned long long)json_integer_value(json_object_get(f,
	    "bytes_done"));
	total = (unsigned long long)json_integer_value(json_object_get(f,
	    "bytes_total"));
	rate = (unsigned long long)json_integer_value(json_object_get(f,
	    "rate_bps"));
	pct = total ? 100.0 * (double)done / (double)total : 100.0;
	fill = (int)(pct * 30 / 100);
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r\033[K[%s] %5.1f%% %s / %s  %s/s  %d files", bar,
	    pct, report_bytes(done, a, sizeof(a)),
	    report_bytes(total, b, sizeof(b)),
	    report_bytes(rate, c, sizeof(c)),
	    (int)json_integer_value(json_object_get(f, "files_done")));
	fflush(stderr);
	r->bar_shown = true;
}

static void
human(struct report *r, const char *event, json_t *f)
{
	const char *path = json_string_value(json_object_get(f, "path"));
	char a[32];

	if (strcmp(event, "progress") == 0) {
		if (r->o.bar)
			draw_bar(r, f);
		return;
	}
	if (strcmp(event, "stall") == 0) {
		clear_bar(r);
		fprintf(stderr, "warning: '%s' stalled at offset %lld, "
		    "reconnecting (attempt %d)\n", path ? path : "",
		    (long long)json_integer_value(json_object_get(f,
		    "offset")),
		    (int)json_integer_value(json_object_get(f, "attempt")));
	} else if (strcmp(event, "retry") == 0) {
		clear_bar(r);
		fprintf(stderr, "warning: %s%s%s%s (attempt %d, retrying in "
		    "%.1fs)\n", path ? "'" : "", path ? path : "",
		    path ? "': " : "",
		    json_string_value(json_object_get(f, "reason")),
		    (int)json_integer_value(json_object_get(f, "attempt")),
		    json_number_value(json_object_get(f, "delay_s")));
	} else if (strcmp(event, "error") == 0) {
		clear_bar(r);
		fprintf(stderr, "error: %s\n",
		    json_string_value(json_object_get(f, "message")));
	} else if (strcmp(event, "source") == 0) {
		clear_bar(r);
		fprintf(stderr, "switching from %s to %s: %s\n",
		    json_string_value(json_object_get(f, "from")),
		    json_string_value(json_object_get(f, "to")),
		    json_string_value(json_object_get(f, "reason")));
	} else if (strcmp(event, "plan") == 0) {
		clear_bar(r);
		fprintf(stderr, "pulling %s@%s from %s: %d files, %s\n",
		    json_string_value(json_object_get(f, "repo")),
		    json_string_value(json_object_get(f, "commit")),
		    json_string_value(json_object_get(f, "source")),
		    (int)json_integer_value(json_object_get(f, "files")),
		    report_bytes((unsigned long long)json_integer_value(
		    json_object_get(f, "bytes_total")), a, sizeof(a)));
	}
}

void
report_emit(struct report *r, const char *event, json_t *fields)
{
	double now = event_now();
	char *line;
	size_t n, off = 0;
	ssize_t w;
	json_t *v;

	if (r == NULL) {
		json_decref(fields);
		return;
	}
	if ((line = event_encode(now, r->job, event, fields)) != NULL) {
		n = strlen(line);
		if (r->o.json_out != NULL) {
			fputs(line, r->o.json_out);
			fflush(r->o.json_out);
		}
		/* One write per line: O_APPEND keeps lines whole for a
		 * reader tailing the file. */
		while (r->events_fd >= 0 && off < n) {
			if ((w = write(r->events_fd, line + off, n - off)) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			off += (size_t)w;
		}
		free(line);
	}
	r->st.last_event_ts = now;
	if (fields != NULL) {
		if ((v = json_object_get(fields, "bytes_total")) != NULL &&
		    json_is_integer(v))
			r->st.bytes_total = (uint64_t)json_integer_value(v);
		if (strcmp(event, "progress") == 0 &&
		    (v = json_object_get(fields, "bytes_done")) != NULL)
			r->st.bytes_done = (uint64_t)json_integer_value(v);
	}
	if (r->o.human && fields != NULL)
		human(r, event, fields);
	if (strcmp(event, "progress") != 0 || now - r->state_at >=
	    STATE_EVERY_S)
		write_state(r, now);
	json_decref(fields);
}

void
report_emit_borrowed(void *arg, const char *event, json_t *fields)
{
	report_emit(arg, event, json_incref(fields));
}

void
report_emit_cb(void *arg, const char *event, json_t *fields)
{
	report_emit(arg, event, fields);
}

void
report_state(struct report *r, const char *state, const char *error)
{
	if (r == NULL)
		return;
	snprintf(r->st.state, sizeof(r->st.state), "%s", state);
	free(r->st.error);
	r->st.error = error ? strdup(error) : NULL;
	if (strcmp(state, "queued") != 0 && strcmp(state, "running") != 0 &&
	    strcmp(state, "waiting") != 0)
		r->st.ended = event_now();
	write_state(r, event_now());
}

void
report_end_bar(struct report *r)
{
	if (r != NULL && r->bar_shown) {
		fputc('\n', stderr);
		r->bar_shown = false;
	}
}

const struct job_state *
report_job_state(const struct report *r)
{
	return &r->st;
}

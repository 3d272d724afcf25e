/* render: the struct render and its output: lines, live rows, JSON, notes. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "render.h"
#include "render_int.h"
#include "runlog.h"

enum render_mode
render_pick_mode(bool json, bool live)
{
	const char *term;

	if (json)
		return RENDER_JSON;
	if (live && isatty(STDOUT_FILENO) && (term = getenv("TERM")) != NULL &&
	    strcmp(term, "dumb") != 0)
		return RENDER_TTY;
	return RENDER_LINES;
}

struct render *
render_create(enum render_mode mode, FILE *out, FILE *err, int verbosity)
{
	struct render *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->tick, NULL);
	r->mode = mode;
	r->out = out;
	r->err = err;
	r->verbosity = verbosity;
	return r;
}

enum render_mode
render_mode(const struct render *r)
{
	return r->mode;
}

bool
render_fleet(const struct render *r)
{
	return r != NULL && r->fleet;
}

static void
erase(struct render *r)
{
	if (r->mode == RENDER_TTY && r->drawn > 0) {
		fprintf(r->out, "\033[%dA\033[J", r->drawn);
		r->drawn = 0;
	}
}

/* The terminal's columns (rows: false) or rows, or def when it does not
 * say: one ioctl for both. */
static int
term_size(FILE *fp, bool rows, int def)
{
	struct winsize ws;
	int v;

	if (ioctl(fileno(fp), TIOCGWINSZ, &ws) != 0)
		return def;
	v = rows ? ws.ws_row : ws.ws_col;
	return v > 0 ? v : def;
}

int
render_term_width(FILE *fp)
{
	return term_size(fp, false, 100);
}

int
render_term_rows(FILE *fp)
{
	return term_size(fp, true, 24);
}

static void
draw(struct render *r)
{
	char line[512];
	int w;
	size_t i;

	if (r->mode != RENDER_TTY || r->fleet)
		return;
	w = render_term_width(r->out);
	if (w > (int)sizeof(line))
		w = sizeof(line);
	for (i = 0; i < r->nrows; i++) {
		if (!r->rows[i].r.active)
			continue;
		render_row_text(line, sizeof(line), &r->rows[i].r, w);
		fprintf(r->out, "%s\n", line);
		r->drawn++;
	}
	fflush(r->out);
}

void
render_destroy(struct render *r)
{
	size_t i;

	if (r == NULL)
		return;
	render_finish(r);	/* the screen left as a finished run leaves it */
	pthread_cond_destroy(&r->tick);
	pthread_mutex_destroy(&r->lock);
	runlog_destroy(r->log);
	for (i = 0; i < r->nhosts; i++)
		json_decref(r->hosts[i].sources);
	free(r->hosts);
	free(r->shown);
	free(r->rows);
	free(r);
}

int
render_keep_log(struct render *r, const char *command)
{
	char *msg = NULL;
	int ret;

	if ((ret = runlog_create(command, &r->log, &msg)) != CN_OK)
		fprintf(r->err, "warning: %s\n", msg != NULL ? msg :
		    cn_strerror(ret));
	free(msg);
	return ret;
}

const char *
render_log_dir(const struct render *r)
{
	return r->log != NULL ? runlog_dir(r->log) : NULL;
}

/* Print one whole line (text or JSON) with the live rows kept below. */
static void
put_line(struct render *r, bool is_err, const char *line)
{
	FILE *fp = is_err && r->mode != RENDER_JSON ? r->err : r->out;

	if (r->fleet) {
		/* The line takes the first row's place, the rows move one
		 * down, each overwritten, none blanked first. */
		if (r->fdrawn > 0)
			fprintf(r->out, "\033[%dA\r%s", r->fdrawn,
			    fp != r->out ? "\033[K" : "");
		r->fdrawn = 0;
		fflush(r->out);
		fprintf(fp, "%s%s\n", line, fp == r->out ? "\033[K" : "");
		fflush(fp);
		fleet_draw(r, true);
		return;
	}
	erase(r);
	fflush(r->out);
	fprintf(fp, "%s\n", line);
	fflush(fp);
	draw(r);
}

/* s without a leading "host: ": the renderer alone says which host, and
 * a message that still names it must not say it twice. */
static const char *
strip_host(const char *host, const char *s)
{
	size_t n = strlen(host);

	if (strncmp(s, host, n) == 0 && s[n] == ':' && s[n + 1] == ' ')
		return s + n + 2;
	return s;
}

/* Folded into a fleet row rather than printed: what went as wanted. */
static bool
foldable(const char *status)
{
	return status != NULL && (strcmp(status, "ok") == 0 ||
	    strcmp(status, "changed") == 0 || strcmp(status, "running") == 0);
}

/* render_note() and render_item() (step and status NULL for a note). */
static void
note(struct render *r, const char *host, bool is_err, json_t *fields,
    const char *step, const char *status, const char *fmt, va_list ap)
{
	char *text = NULL, *line = NULL, *js;
	const char *m, *body;
	struct hostrow *h;
	json_t *o;

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	if (text == NULL) {
		json_decref(fields);
		return;
	}
	if ((m = json_string_value(json_object_get(fields, "message"))) !=
	    NULL && strip_host(host, m) != m)
		json_object_set_new(fields, "message",
		    json_string(strip_host(host, m)));
	body = strip_host(host, text);
	pthread_mutex_lock(&r->lock);
	if (r->mode == RENDER_JSON) {
		if ((o = json_object()) != NULL) {
			json_object_set_new(o, "host", json_string(host));
			if (fields != NULL)
				json_object_update(o, fields);
			else {
				json_object_set_new(o, "event",
				    json_string(is_err ? "error" : "message"));
				json_object_set_new(o, "message",
				    json_string(body));
			}
			js = json_dumps(o, JSON_COMPACT |
			    JSON_PRESERVE_ORDER);
			if (js != NULL)
				put_line(r, is_err, js);
			free(js);
			json_decref(o);
		}
	} else {
		one_line(text);
		h = r->fleet ? fleet_find_host(r, host) : NULL;
		if (h != NULL && step != NULL && foldable(status)) {
			if (strcmp(step, "setup") == 0) {
				if (strcmp(status, "changed") == 0)
					h->setup_changed++;
				else
					h->setup_ok++;
			}
		} else {
			if (h != NULL && is_err)
				snprintf(h->why, sizeof(h->why), "%s", body);
			if (asprintf(&line, "%s: %s", host, body) >= 0)
				put_line(r, is_err, line);
		}
		free(line);
	}
	if (r->log != NULL) {
		one_line(text);
		runlog_line(r->log, host, body);
	}
	pthread_mutex_unlock(&r->lock);
	json_decref(fields);
	free(text);
}

void
render_note(struct render *r, const char *host, bool is_err, json_t *fields,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(r, host, is_err, fields, NULL, NULL, fmt, ap);
	va_end(ap);
}

void
render_item(struct render *r, const char *host, const char *step,
    const char *status, json_t *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(r, host, status != NULL && strcmp(status, "error") == 0, fields,
	    step, status, fmt, ap);
	va_end(ap);
}

static struct row *
find_row(struct render *r, const char *host, const char *label, bool add)
{
	struct row *nr;
	size_t i;

	for (i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].r.host, host) == 0 &&
		    strcmp(r->rows[i].r.label, label) == 0)
			return &r->rows[i];
	if (!add)
		return NULL;
	if (r->nrows == r->caprows) {
		i = r->caprows ? r->caprows * 2 : 8;
		if ((nr = realloc(r->rows, i * sizeof(*nr))) == NULL)
			return NULL;
		r->rows = nr;
		r->caprows = i;
	}
	nr = &r->rows[r->nrows++];
	memset(nr, 0, sizeof(*nr));
	snprintf(nr->r.host, sizeof(nr->r.host), "%s", host);
	snprintf(nr->r.label, sizeof(nr->r.label), "%s", label);
	nr->r.total = -1;
	nr->last_print = -1;
	return nr;
}

void
render_event(struct render *r, const char *host, const char *label,
    json_t *ev)
{
	const char *e = str(ev, "event", "");
	char text[1024], *line = NULL, *js;
	struct row *row;
	bool show;
	double now = num(ev, "ts", 0);

	pthread_mutex_lock(&r->lock);
	/* The run log keeps every event whole, whatever is shown. */
	if ((r->mode == RENDER_JSON || r->log != NULL) &&
	    (js = render_event_json(host, ev)) != NULL) {
		if (r->log != NULL)
			runlog_line(r->log, host, js);
		if (r->mode == RENDER_JSON)
			put_line(r, false, js);
		free(js);
	}
	if (r->mode == RENDER_JSON)
		goto out;
	row = find_row(r, host, label, true);
	if (row != NULL) {
		if (strcmp(e, "plan") == 0) {
			row->r.total = num(ev, "bytes_total", -1);
			row->r.files = (int)num(ev, "files", 0);
			row->r.active = true;
		} else if (strcmp(e, "progress") == 0) {
			row->r.done = num(ev, "bytes_done", row->r.done);
			row->r.total = num(ev, "bytes_total", row->r.total);
			row->r.rate = num(ev, "rate_bps", 0);
			row->r.files_done = (int)num(ev, "files_done",
			    row->r.files_done);
			row->r.active = true;
		} else if (strcmp(e, "file_done") == 0 && r->fleet) {
			row->r.files_done++;
		} else if (strcmp(e, "done") == 0) {
			row->r.active = false;
			row->r.rate = 0;
			row->r.done = num(ev, "bytes", row->r.done);
		}
	}
	if (r->fleet)
		show = fleet_event(r, host, e, ev);
	else if (strcmp(e, "progress") == 0) {
		/* The TTY shows progress in the live row only. */
		show = r->mode == RENDER_LINES && r->verbosity >= 0 &&
		    (row == NULL || render_progress_due(row->last_print, now,
		    PIPE_PROGRESS_INTERVAL, row->r.done, row->r.total));
		if (show && row != NULL)
			row->last_print = now;
	} else if (strcmp(e, "file_done") == 0)
		show = r->mode == RENDER_LINES ? r->verbosity >= 0 :
		    r->verbosity > 0;
	else
		show = true;
	if (show) {
		render_event_text(text, sizeof(text), label, ev);
		if (asprintf(&line, "%s: %s", host, text) >= 0)
			put_line(r, false, line);
		free(line);
	} else if (r->mode == RENDER_TTY && !r->fleet) {
		erase(r);
		draw(r);
	}
 out:
	pthread_mutex_unlock(&r->lock);
}

void
render_forget(struct render *r, const char *host, const char *label)
{
	struct row *row;

	pthread_mutex_lock(&r->lock);
	if ((row = find_row(r, host, label, false)) != NULL &&
	    row->r.active) {
		row->r.active = false;
		row->r.rate = 0;
		erase(r);
		draw(r);
	}
	pthread_mutex_unlock(&r->lock);
}

void
render_finish(struct render *r)
{
	size_t i;

	if (r == NULL)
		return;
	fleet_stop_ticker(r);
	pthread_mutex_lock(&r->lock);
	erase(r);
	fleet_end(r);
	for (i = 0; i < r->nrows; i++)
		r->rows[i].r.active = false;
	fflush(r->out);
	pthread_mutex_unlock(&r->lock);
}

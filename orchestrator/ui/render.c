/* render: what the user sees of events and notes: lines, live rows, JSON. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "error.h"
#include "render.h"
#include "runlog.h"

#define PIPE_PROGRESS_INTERVAL	5.0	/* seconds between piped progress */

double
eta_seconds(double done, double total, double rate)
{
	if (!(rate > 0) || !(total > 0) || !(done >= 0) || done > total)
		return -1;
	return (total - done) / rate;
}

void
fmt_bar(char *buf, size_t n, double frac, int width)
{
	int inner = width - 2, fill, i;
	size_t k = 0;

	if (n == 0)
		return;
	if (inner < 1 || (size_t)width + 1 > n) {
		buf[0] = '\0';
		return;
	}
	if (!(frac >= 0))
		frac = 0;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * inner);
	buf[k++] = '[';
	for (i = 0; i < inner; i++) {
		if (i < fill)
			buf[k++] = '=';
		else if (i == fill && fill < inner && frac > 0)
			buf[k++] = '>';
		else
			buf[k++] = ' ';
	}
	buf[k++] = ']';
	buf[k] = '\0';
}

static double
num(json_t *o, const char *key, double def)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

static const char *
str(json_t *o, const char *key, const char *def)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

/* One line on the screen whatever the box sent. */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static int
progress_text(char *buf, size_t n, const char *label, double done,
    double total, double rate)
{
	char d[32], t[32], r[32], e[32];
	double eta = eta_seconds(done, total, rate);
	int pct;

	fmt_bytes(d, sizeof(d), done);
	if (!(total > 0)) {
		if (rate > 0) {
			fmt_rate(r, sizeof(r), rate);
			return snprintf(buf, n, "%s progress %s %s", label,
			    d, r);
		}
		return snprintf(buf, n, "%s progress %s", label, d);
	}
	fmt_bytes(t, sizeof(t), total);
	pct = done >= total ? 100 : (int)(done * 100 / total);
	if (!(rate > 0))
		return snprintf(buf, n, "%s progress %d%% %s/%s", label, pct,
		    d, t);
	fmt_rate(r, sizeof(r), rate);
	if (eta < 0)
		return snprintf(buf, n, "%s progress %d%% %s/%s %s", label,
		    pct, d, t, r);
	fmt_duration(e, sizeof(e), eta);
	return snprintf(buf, n, "%s progress %d%% %s/%s %s eta %s", label,
	    pct, d, t, r, e);
}

int
render_event_text(char *buf, size_t n, const char *label, json_t *ev)
{
	const char *e = str(ev, "event", "?");
	char a[32], b[32];
	int k;

	if (strcmp(e, "progress") == 0)
		k = progress_text(buf, n, label, num(ev, "bytes_done", 0),
		    num(ev, "bytes_total", -1), num(ev, "rate_bps", -1));
	else if (strcmp(e, "plan") == 0) {
		fmt_bytes(a, sizeof(a), num(ev, "bytes_total", 0));
		k = snprintf(buf, n, "%s plan %.0f files %s", label,
		    num(ev, "files", 0), a);
	} else if (strcmp(e, "file_done") == 0) {
		fmt_bytes(a, sizeof(a), num(ev, "size", 0));
		k = snprintf(buf, n, "%s file_done %s %s", label,
		    str(ev, "path", "?"), a);
	} else if (strcmp(e, "stall") == 0) {
		fmt_bytes(a, sizeof(a), num(ev, "offset", 0));
		k = snprintf(buf, n, "%s stall %s at %s (attempt %.0f)",
		    label, str(ev, "path", "?"), a, num(ev, "attempt", 0));
	} else if (strcmp(e, "retry") == 0) {
		fmt_duration(a, sizeof(a), num(ev, "delay_s", -1));
		k = snprintf(buf, n, "%s retry %s (attempt %.0f, in %s)",
		    label, str(ev, "reason", "?"), num(ev, "attempt", 0), a);
	} else if (strcmp(e, "source") == 0)
		k = snprintf(buf, n, "%s source %s -> %s", label,
		    str(ev, "from", "?"), str(ev, "to", "?"));
	else if (strcmp(e, "restarted") == 0)
		k = snprintf(buf, n, "%s relaunched; following it from its "
		    "start", label);
	else if (strcmp(e, "error") == 0)
		k = snprintf(buf, n, "%s error %s", label,
		    str(ev, "message", "?"));
	else if (strcmp(e, "done") == 0) {
		fmt_bytes(a, sizeof(a), num(ev, "bytes", 0));
		fmt_duration(b, sizeof(b), num(ev, "elapsed_s", -1));
		k = snprintf(buf, n, "%s done %s %s in %s", label,
		    str(ev, "status", "?"), a, b);
	} else
		k = snprintf(buf, n, "%s %s", label, e);
	if (n > 0)
		one_line(buf);
	return k;
}

char *
render_event_json(const char *host, json_t *ev)
{
	json_t *o;
	const char *k;
	json_t *v;
	char *s = NULL;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "host", json_string(host)) != 0)
		goto out;
	json_object_foreach(ev, k, v) {
		if (strcmp(k, "host") == 0)
			continue;
		if (json_object_set(o, k, v) != 0)
			goto out;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(16));
 out:
	json_decref(o);
	return s;
}

int
render_row_text(char *buf, size_t n, const struct render_row *r, int width)
{
	char d[32], t[32], rt[32], e[32], bar[64], tail[160];
	double eta;
	int k, bw;

	if (n == 0)
		return 0;
	if (!(r->total >= 0)) {
		k = snprintf(buf, n, "%s: %s planning", r->host, r->label);
		goto fit;
	}
	fmt_bytes(d, sizeof(d), r->done);
	fmt_bytes(t, sizeof(t), r->total);
	eta = eta_seconds(r->done, r->total, r->rate);
	if (r->rate > 0)
		fmt_rate(rt, sizeof(rt), r->rate);
	else
		snprintf(rt, sizeof(rt), "-");
	fmt_duration(e, sizeof(e), eta);
	snprintf(tail, sizeof(tail), "%3d%% %s/%s %s eta %s",
	    r->total > 0 ? (r->done >= r->total ? 100 :
	    (int)(r->done * 100 / r->total)) : 100, d, t, rt,
	    eta < 0 ? "?" : e);
	/* The bar gets what the words leave, 10 to 32 cells. */
	bw = width - 1 - (int)(strlen(r->host) + 2 + strlen(r->label) + 1 +
	    strlen(tail) + 1);
	if (bw > 32)
		bw = 32;
	if (bw >= 10) {
		fmt_bar(bar, sizeof(bar), r->total > 0 ? r->done / r->total :
		    1, bw);
		k = snprintf(buf, n, "%s: %s %s %s", r->host, r->label, bar,
		    tail);
	} else
		k = snprintf(buf, n, "%s: %s %s", r->host, r->label, tail);
 fit:
	one_line(buf);
	if (width > 1 && k >= width && (size_t)width <= n) {
		buf[width - 1] = '\0';
		k = width - 1;
	}
	return k;
}

bool
render_progress_due(double last, double now, double interval, double done,
    double total)
{
	(void)done;
	(void)total;
	return last < 0 || now - last >= interval;
}

struct row {
	struct render_row r;
	double	 last_print;	/* piped: when its progress last printed */
};

struct render {
	pthread_mutex_t	 lock;
	enum render_mode mode;
	FILE		*out, *err;
	int		 verbosity;
	struct row	*rows;
	size_t		 nrows, caprows;
	int		 drawn;	/* live rows on the screen now */
	struct runlog	*log;	/* every host's full output, or NULL */
};

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

static void
erase(struct render *r)
{
	if (r->mode == RENDER_TTY && r->drawn > 0) {
		fprintf(r->out, "\033[%dA\033[J", r->drawn);
		r->drawn = 0;
	}
}

static int
term_width(FILE *fp)
{
	struct winsize ws;

	if (ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 100;
}

static void
draw(struct render *r)
{
	char line[512];
	int w;
	size_t i;

	if (r->mode != RENDER_TTY)
		return;
	w = term_width(r->out);
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
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	erase(r);
	fflush(r->out);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_destroy(&r->lock);
	runlog_destroy(r->log);
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

void
render_note(struct render *r, const char *host, bool is_err, json_t *fields,
    const char *fmt, ...)
{
	va_list ap;
	char *text = NULL, *line = NULL, *js;
	const char *m, *body;
	json_t *o;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
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
		if (asprintf(&line, "%s: %s", host, body) >= 0)
			put_line(r, is_err, line);
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
		} else if (strcmp(e, "done") == 0)
			row->r.active = false;
	}
	if (strcmp(e, "progress") == 0) {
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
	} else if (r->mode == RENDER_TTY) {
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
	pthread_mutex_lock(&r->lock);
	erase(r);
	for (i = 0; i < r->nrows; i++)
		r->rows[i].r.active = false;
	fflush(r->out);
	pthread_mutex_unlock(&r->lock);
}

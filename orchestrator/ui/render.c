/* render: what the user sees of events and notes: lines, live rows, JSON. */
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
#include "runlog.h"

#define PIPE_PROGRESS_INTERVAL	5.0	/* seconds between piped progress */
#define FLEET_MIN_HOSTS		3	/* more hosts than this: fleet view */
/* What one host prints in the per-line form of a provision: payload,
 * about six setup items, the pull, its plan and done. */
#define LINES_PER_HOST		10
#define FLEET_TICK_MS		200	/* fleet rows redrawn at most 5/s */
#define NAME_WIDTH_MAX		24	/* names pad to at most this */
#define BAR_MAX			20	/* cells of a fleet row's bar */
#define NUMS_ROOM		32	/* " 48% 7.3 GiB/15.2 GiB 61.2 MiB/s" */
#define FILE_ROOM		16	/* "3/7 mode...sors" */
#define TEXT_MAX		512	/* one row's text */

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

/* Append one source's "name bytes" to buf; false when it does not fit. */
static bool
add_source(char *buf, size_t n, size_t *k, const char *key, json_t *v)
{
	char b[32], nm[20];
	const char *name;
	int w;

	if (!json_is_number(v) || !(json_number_value(v) > 0))
		return true;
	/* Short enough for a row; "ms" as the README says it. */
	name = strcmp(key, "modelscope") == 0 ? "ms" :
	    strcmp(key, "huggingface") == 0 ? "hf" : key;
	snprintf(nm, sizeof(nm), "%s", name);
	one_line(nm);
	fmt_bytes(b, sizeof(b), json_number_value(v));
	w = snprintf(buf + *k, n - *k, "%s%s %s", *k > 0 ? " + " : "", nm, b);
	if (w < 0 || (size_t)w >= n - *k) {
		/* Cut at a whole source, never mid-number. */
		buf[*k] = '\0';
		return false;
	}
	*k += (size_t)w;
	return true;
}

int
render_sources_text(char *buf, size_t n, json_t *sources)
{
	static const char *const first[] = { "hf", "modelscope" };
	const char *key;
	json_t *v;
	size_t k = 0, i;

	if (n == 0)
		return 0;
	buf[0] = '\0';
	if (!json_is_object(sources))
		return 0;
	/* The hubs in the ladder's order, whatever order the box said. */
	for (i = 0; i < 2; i++)
		if (!add_source(buf, n, &k, first[i], json_object_get(sources,
		    first[i])))
			return (int)k;
	json_object_foreach(sources, key, v) {
		if (strcmp(key, first[0]) == 0 || strcmp(key, first[1]) == 0)
			continue;
		if (!add_source(buf, n, &k, key, v))
			break;
	}
	return (int)k;
}

/* " (hf 1.2 GiB + ms 800 MiB)" for an event that says, else "". */
static const char *
src_suffix(char *buf, size_t n, json_t *ev)
{
	char t[96];

	if (render_sources_text(t, sizeof(t), json_object_get(ev,
	    "sources")) == 0) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, n, " (%s)", t);
	return buf;
}

/*
 * A source event is one of three (README): a switch (from, to, reason),
 * another hub listing the same files (also, files), or a file's final
 * tally over its sources (path, sources).
 */
static int
source_text(char *buf, size_t n, const char *label, json_t *ev)
{
	const char *reason = str(ev, "reason", NULL);
	char t[96];

	if (json_is_string(json_object_get(ev, "also")))
		return snprintf(buf, n, "%s source also %s (%.0f files)",
		    label, str(ev, "also", "?"), num(ev, "files", 0));
	if (json_object_get(ev, "from") == NULL &&
	    json_object_get(ev, "to") == NULL &&
	    render_sources_text(t, sizeof(t), json_object_get(ev,
	    "sources")) > 0)
		return snprintf(buf, n, "%s source %s: %s", label,
		    str(ev, "path", "?"), t);
	return snprintf(buf, n, "%s source %s -> %s%s%s%s", label,
	    str(ev, "from", "?"), str(ev, "to", "?"), reason != NULL ?
	    " (" : "", reason != NULL ? reason : "", reason != NULL ? ")" :
	    "");
}

int
render_event_text(char *buf, size_t n, const char *label, json_t *ev)
{
	const char *e = str(ev, "event", "?");
	char a[32], b[32], src[128];
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
		k = snprintf(buf, n, "%s file_done %s %s%s", label,
		    str(ev, "path", "?"), a, src_suffix(src, sizeof(src),
		    ev));
	} else if (strcmp(e, "stall") == 0) {
		fmt_bytes(a, sizeof(a), num(ev, "offset", 0));
		k = snprintf(buf, n, "%s stall %s at %s (attempt %.0f)",
		    label, str(ev, "path", "?"), a, num(ev, "attempt", 0));
	} else if (strcmp(e, "retry") == 0) {
		fmt_duration(a, sizeof(a), num(ev, "delay_s", -1));
		k = snprintf(buf, n, "%s retry %s (attempt %.0f, in %s)",
		    label, str(ev, "reason", "?"), num(ev, "attempt", 0), a);
	} else if (strcmp(e, "source") == 0)
		k = source_text(buf, n, label, ev);
	else if (strcmp(e, "restarted") == 0)
		k = snprintf(buf, n, "%s relaunched; following it from its "
		    "start", label);
	else if (strcmp(e, "error") == 0)
		k = snprintf(buf, n, "%s error %s", label,
		    str(ev, "message", "?"));
	else if (strcmp(e, "done") == 0) {
		fmt_bytes(a, sizeof(a), num(ev, "bytes", 0));
		fmt_duration(b, sizeof(b), num(ev, "elapsed_s", -1));
		k = snprintf(buf, n, "%s done %s %s in %s%s", label,
		    str(ev, "status", "?"), a, b, src_suffix(src, sizeof(src),
		    ev));
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

const char *
render_phase_name(enum render_phase ph)
{
	static const char *const names[] = { "waiting", "connect", "upload",
	    "setup", "launch", "pulling", "done", "failed", "unreachable",
	    "detached" };

	if ((int)ph < 0 || (size_t)ph >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[ph];
}

/* The length of s cut to at most max bytes at a character boundary (a
 * UTF-8 continuation byte is never the first one left out). */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/*
 * src into at most max bytes (max < n), the middle given up for "..." so
 * both the start and the end of a file's name stay.  Bytes count at
 * least the columns they take, so the result is never wider than max.
 */
static void
cut_middle(char *dst, size_t n, const char *src, size_t max)
{
	size_t len = strlen(src), head, tail, t;

	if (max >= n)
		max = n - 1;
	if (len <= max) {
		memcpy(dst, src, len + 1);
		return;
	}
	if (max < 5) {
		dst[0] = '\0';
		return;
	}
	head = utf8_cut(src, len, (max - 3) / 2);
	tail = max - 3 - (max - 3) / 2;
	t = len - tail;
	while (t < len && ((unsigned char)src[t] & 0xc0) == 0x80)
		t++;
	memcpy(dst, src, head);
	memcpy(dst + head, "...", 3);
	memcpy(dst + head + 3, src + t, len - t + 1);
}

/* Append to buf (k bytes used of n) as snprintf would; k stays <= n - 1. */
static void __attribute__((format(printf, 4, 5)))
add(char *buf, size_t n, size_t *k, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*k + 1 >= n)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *k, n - *k, fmt, ap);
	va_end(ap);
	if (w < 0)
		buf[*k] = '\0';
	else
		*k += (size_t)w < n - *k ? (size_t)w : n - *k - 1;
}

int
render_host_row_text(char *buf, size_t n, const struct render_host_row *r,
    int name_width, int width)
{
	char d[32], t[32], rt[32], e[32], bar[BAR_MAX + 2], nums[160];
	char file[sizeof(r->file)], tail[TEXT_MAX], cnt[32] = "";
	size_t k = 0, room, fk = 0, fl;
	double eta;
	int bw, pct;

	if (n == 0)
		return 0;
	buf[0] = '\0';
	if (width < 2)
		width = 2;
	if (name_width > NAME_WIDTH_MAX)
		name_width = NAME_WIDTH_MAX;
	add(buf, n, &k, "%-*s  %-8s", name_width, r->host,
	    render_phase_name(r->phase));
	tail[0] = '\0';
	if (r->phase == RENDER_PULLING && r->total >= 0) {
		fmt_bytes(d, sizeof(d), r->done);
		fmt_bytes(t, sizeof(t), r->total);
		if (r->rate > 0)
			fmt_rate(rt, sizeof(rt), r->rate);
		else
			snprintf(rt, sizeof(rt), "-");
		eta = eta_seconds(r->done, r->total, r->rate);
		fmt_duration(e, sizeof(e), eta);
		pct = r->total > 0 ? (r->done >= r->total ? 100 :
		    (int)(r->done * 100 / r->total)) : 100;
		snprintf(nums, sizeof(nums), "%3d%% %s/%s %s eta %s", pct, d,
		    t, rt, eta < 0 ? "?" : e);
		if (r->files > 0)
			snprintf(cnt, sizeof(cnt), "%d/%d ", r->files_done,
			    r->files);
		/*
		 * The bar gets what typical numbers and some of a file's
		 * name leave, 8 to BAR_MAX cells: the same for every row
		 * of a width, so bars do not jitter as the numbers change.
		 */
		bw = width - 1 - (int)k - 2 - NUMS_ROOM - 1 - FILE_ROOM;
		if (bw > BAR_MAX)
			bw = BAR_MAX;
		if (bw >= 8) {
			fmt_bar(bar, sizeof(bar), r->total > 0 ?
			    r->done / r->total : 1, bw);
			add(buf, n, &k, "  %s", bar);
		}
		add(buf, n, &k, " %s", nums);
		if (r->sources[0] != '\0')
			add(tail, sizeof(tail), &fk, "  %s", r->sources);
	} else if (r->phase == RENDER_PULLING) {
		add(buf, n, &k, "  planning");
	} else if (r->phase == RENDER_FAILED || r->phase ==
	    RENDER_UNREACHABLE) {
		if (r->why[0] != '\0')
			add(buf, n, &k, "  %s", r->why);
	} else {
		if (r->phase == RENDER_DONE && r->done > 0) {
			fmt_bytes(d, sizeof(d), r->done);
			add(buf, n, &k, "  %s", d);
			if (r->sources[0] != '\0')
				add(buf, n, &k, " (%s)", r->sources);
		}
		if (r->items[0] != '\0')
			add(buf, n, &k, "  %s", r->items);
	}
	/*
	 * Then, in what is left: the sources only if the file's whole name
	 * fits after them; the file's name, cut in the middle if it must.
	 */
	room = (size_t)width - 1 > k ? (size_t)width - 1 - k : 0;
	file[0] = '\0';
	if (r->phase == RENDER_PULLING && r->total >= 0 && r->file[0] != '\0')
		fl = 2 + strlen(cnt) + strlen(r->file);
	else
		fl = 0;
	if (fk > 0 && fk + fl <= room) {
		add(buf, n, &k, "%s", tail);
		room -= fk;
	}
	/* At least 8 bytes of the name, or no name at all. */
	if (fl > 0 && room >= 2 + strlen(cnt) + 8) {
		cut_middle(file, sizeof(file), r->file, room - 2 -
		    strlen(cnt));
		add(buf, n, &k, "  %s%s", cnt, file);
	}
	one_line(buf);
	/* Never wider than the terminal: a wrapped row breaks the view. */
	if ((size_t)width - 1 < k) {
		k = utf8_cut(buf, k, (size_t)width - 1);
		buf[k] = '\0';
	}
	while (k > 0 && buf[k - 1] == ' ')
		buf[--k] = '\0';
	return (int)k;
}

bool
render_fleet_wanted(bool tty, size_t nhosts, int verbosity, int term_rows)
{
	if (!tty || verbosity > 0 || nhosts < 2)
		return false;
	return nhosts > FLEET_MIN_HOSTS ||
	    (double)nhosts * LINES_PER_HOST > (double)term_rows;
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

/* A host of the fleet view. */
struct hostrow {
	char		 name[64];
	enum render_phase phase;
	int		 setup_ok, setup_changed;	/* folded items */
	char		 file[160];
	char		 why[160];
	json_t		*sources;	/* summed over its file_done events */
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
	/* The fleet view (render_hosts). */
	bool		 fleet;
	struct hostrow	*hosts;
	size_t		 nhosts;
	int		 name_width;
	char		(*shown)[TEXT_MAX];	/* what each screen line has */
	int		 fdrawn;	/* fleet lines on the screen now */
	int		 fwidth;	/* the width they were drawn for */
	pthread_t	 ticker;
	pthread_cond_t	 tick;
	bool		 ticking, stop;
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

static int
term_width(FILE *fp)
{
	return term_size(fp, false, 100);
}

static int
term_rows(FILE *fp)
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

/* ------------------------------------------------------------ fleet view */

static struct hostrow *
find_host(struct render *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nhosts; i++)
		if (strcmp(r->hosts[i].name, name) == 0)
			return &r->hosts[i];
	return NULL;
}

static bool
final(enum render_phase ph)
{
	return ph >= RENDER_DONE;
}

/* The row of host i as it should look now: its jobs summed. */
static void
compose(struct render *r, size_t i, struct render_host_row *out)
{
	struct hostrow *h = &r->hosts[i];
	struct row *j;
	size_t k;
	bool planned = false;

	memset(out, 0, sizeof(*out));
	snprintf(out->host, sizeof(out->host), "%s", h->name);
	out->phase = h->phase;
	snprintf(out->file, sizeof(out->file), "%s", h->file);
	snprintf(out->why, sizeof(out->why), "%s", h->why);
	render_sources_text(out->sources, sizeof(out->sources), h->sources);
	if (h->setup_changed > 0 && h->setup_ok > 0)
		snprintf(out->items, sizeof(out->items), "setup %d changed %d "
		    "ok", h->setup_changed, h->setup_ok);
	else if (h->setup_changed > 0 || h->setup_ok > 0)
		snprintf(out->items, sizeof(out->items), "setup %d %s",
		    h->setup_changed > 0 ? h->setup_changed : h->setup_ok,
		    h->setup_changed > 0 ? "changed" : "ok");
	for (k = 0; k < r->nrows; k++) {
		j = &r->rows[k];
		if (strcmp(j->r.host, h->name) != 0)
			continue;
		out->done += j->r.done;
		out->rate += j->r.active && j->r.rate > 0 ? j->r.rate : 0;
		out->files_done += j->r.files_done;
		out->files += j->r.files;
		if (j->r.total >= 0) {
			out->total += j->r.total;
			planned = true;
		}
	}
	if (!planned)
		out->total = -1;
}

/* Which hosts get a line when not all fit: the unfinished ones first, in
 * their order, then the finished; the rest are counted on a last line. */
static size_t
pick(struct render *r, size_t *idx, size_t budget)
{
	size_t i, m = 0;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < r->nhosts && m < budget; i++)
			if (final(r->hosts[i].phase) == (pass == 1))
				idx[m++] = i;
	return m;
}

/* The last line when not every host has one: "... 12 more: 3 pulling,
 * 9 done". */
static void
summary(struct render *r, const size_t *idx, size_t m, char *text,
    size_t n, int width)
{
	size_t hidden[RENDER_DETACHED + 1], i, q, k = 0;
	bool shown;
	int ph;

	memset(hidden, 0, sizeof(hidden));
	for (i = 0; i < r->nhosts; i++) {
		shown = false;
		for (q = 0; q < m && !shown; q++)
			shown = idx[q] == i;
		if (!shown)
			hidden[r->hosts[i].phase]++;
	}
	add(text, n, &k, "... %zu more:", r->nhosts - m);
	for (ph = 0; ph <= RENDER_DETACHED; ph++)
		if (hidden[ph] > 0)
			add(text, n, &k, " %zu %s,", hidden[ph],
			    render_phase_name((enum render_phase)ph));
	if (k > 0 && text[k - 1] == ',')
		text[--k] = '\0';
	if (width > 1 && k > (size_t)width - 1)
		text[width - 1] = '\0';
}

/*
 * Bring the fleet rows on the screen up to date.  The cursor sits at the
 * start of the line below them.  all: write every line (they moved or the
 * width changed); else only the lines whose text changed, each in place,
 * overwritten and cleared to its end: no blank frame, no flicker.
 */
static void
fleet_draw(struct render *r, bool all)
{
	struct render_host_row hr;
	char text[TEXT_MAX];
	size_t *idx = NULL, m, i;
	int w, rows, budget, nl, up;

	if (!r->fleet || r->nhosts == 0)
		return;
	w = term_width(r->out);
	if (w > TEXT_MAX)
		w = TEXT_MAX;
	rows = term_rows(r->out);
	if (w != r->fwidth && r->fdrawn > 0) {
		/* A resize reflows what is there: start afresh. */
		fprintf(r->out, "\033[%dA\r\033[J", r->fdrawn);
		r->fdrawn = 0;
		all = true;
	}
	r->fwidth = w;
	/* One line stays for the cursor, so no row scrolls away. */
	budget = rows - 1 < 2 ? 2 : rows - 1;
	if ((idx = calloc(r->nhosts, sizeof(*idx))) == NULL)
		return;
	/* All fit: each keeps its place, in the inventory's order. */
	if (r->nhosts <= (size_t)budget)
		for (m = 0; m < r->nhosts; m++)
			idx[m] = m;
	else
		m = pick(r, idx, (size_t)budget - 1);
	nl = (int)m + (m < r->nhosts ? 1 : 0);
	if (nl != r->fdrawn)
		all = true;
	if (all && r->fdrawn > 0)
		fprintf(r->out, "\033[%dA\r", r->fdrawn);
	for (i = 0; i < (size_t)nl; i++) {
		if (i < m) {
			compose(r, idx[i], &hr);
			render_host_row_text(text, sizeof(text), &hr,
			    r->name_width, w);
		} else
			summary(r, idx, m, text, sizeof(text), w);
		if (all) {
			fprintf(r->out, "%s\033[K\n", text);
		} else if (strcmp(text, r->shown[i]) != 0) {
			up = r->fdrawn - (int)i;
			fprintf(r->out, "\033[%dA\r%s\033[K\033[%dB\r", up,
			    text, up);
		}
		snprintf(r->shown[i], TEXT_MAX, "%s", text);
	}
	if (all) {
		/* Fewer lines than before: the old ones go. */
		fprintf(r->out, "\033[J");
		r->fdrawn = nl;
	}
	fflush(r->out);
	free(idx);
}

static void *
ticker(void *arg)
{
	struct render *r = arg;
	struct timespec ts;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		fleet_draw(r, false);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += FLEET_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!r->stop && pthread_cond_timedwait(&r->tick, &r->lock,
		    &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

void
render_hosts(struct render *r, const char *const *names, size_t n)
{
	size_t i, len;

	if (r == NULL || n == 0 || r->hosts != NULL)
		return;
	if (r->mode != RENDER_TTY || !render_fleet_wanted(true, n,
	    r->verbosity, term_rows(r->out)))
		return;
	if ((r->hosts = calloc(n, sizeof(*r->hosts))) == NULL ||
	    (r->shown = calloc(n + 1, sizeof(*r->shown))) == NULL) {
		/* No fleet view then: the lines still tell everything. */
		free(r->hosts);
		r->hosts = NULL;
		return;
	}
	pthread_mutex_lock(&r->lock);
	r->nhosts = n;
	for (i = 0; i < n; i++) {
		snprintf(r->hosts[i].name, sizeof(r->hosts[i].name), "%s",
		    names[i]);
		len = strlen(r->hosts[i].name);
		if ((int)len > r->name_width)
			r->name_width = (int)len;
	}
	if (r->name_width > NAME_WIDTH_MAX)
		r->name_width = NAME_WIDTH_MAX;
	r->fleet = true;
	fleet_draw(r, true);
	/* Only a real terminal gets redrawn by time; tests flush. */
	if (isatty(fileno(r->out)) && pthread_create(&r->ticker, NULL,
	    ticker, r) == 0)
		r->ticking = true;
	pthread_mutex_unlock(&r->lock);
}

void
render_flush(struct render *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	fleet_draw(r, false);
	pthread_mutex_unlock(&r->lock);
}

void
render_phase(struct render *r, const char *host, enum render_phase ph)
{
	struct hostrow *h;

	if (r == NULL || !r->fleet)
		return;
	pthread_mutex_lock(&r->lock);
	if ((h = find_host(r, host)) != NULL && h->phase !=
	    RENDER_DETACHED && (!final(h->phase) || final(ph)))
		h->phase = ph;
	pthread_mutex_unlock(&r->lock);
}

/* Stop the ticker (the lock not held). */
static void
stop_ticker(struct render *r)
{
	bool join;

	pthread_mutex_lock(&r->lock);
	r->stop = true;
	join = r->ticking;
	r->ticking = false;
	pthread_cond_broadcast(&r->tick);
	pthread_mutex_unlock(&r->lock);
	if (join)
		pthread_join(r->ticker, NULL);
}

/* The fleet rows off the screen, the view over. */
static void
fleet_end(struct render *r)
{
	int i;

	/* Line by line rather than ESC[J from the top: a terminal may take
	 * a screen cleared from its top as a "clear" and scroll it away
	 * (tmux's scroll-on-clear), taking the lines above with it. */
	if (r->fleet && r->fdrawn > 0) {
		fprintf(r->out, "\033[%dA\r", r->fdrawn);
		for (i = 0; i < r->fdrawn; i++)
			fputs("\033[K\n", r->out);
		fprintf(r->out, "\033[%dA\r", r->fdrawn);
	}
	r->fdrawn = 0;
	r->fleet = false;
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
		h = r->fleet ? find_host(r, host) : NULL;
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

/* Add an event's per-source bytes into a host's sum. */
static void
add_sources(struct hostrow *h, json_t *src)
{
	const char *k;
	json_t *v, *have;

	if (!json_is_object(src))
		return;
	if (h->sources == NULL && (h->sources = json_object()) == NULL)
		return;
	json_object_foreach(src, k, v) {
		if (!json_is_number(v))
			continue;
		have = json_object_get(h->sources, k);
		json_object_set_new(h->sources, k, json_real(
		    json_number_value(v) + (json_is_number(have) ?
		    json_number_value(have) : 0)));
	}
}

/*
 * What the fleet view makes of a job event: the row moves on, and only
 * what must not be missed (errors, stalls, retries, a switch of source,
 * a job that did not end ok) is printed as a line.  Returns whether to
 * print it.
 */
static bool
fleet_event(struct render *r, const char *host, const char *e, json_t *ev)
{
	struct hostrow *h;
	const char *path = str(ev, "path", NULL);

	if ((h = find_host(r, host)) == NULL)
		return true;
	if (!final(h->phase) && (strcmp(e, "plan") == 0 ||
	    strcmp(e, "progress") == 0 || strcmp(e, "file_done") == 0))
		h->phase = RENDER_PULLING;
	/* The file at work when the agent says; else the last one done. */
	if (path != NULL && (strcmp(e, "progress") == 0 ||
	    strcmp(e, "file_done") == 0 || strcmp(e, "stall") == 0 ||
	    strcmp(e, "retry") == 0))
		snprintf(h->file, sizeof(h->file), "%s", path);
	if (strcmp(e, "file_done") == 0)
		add_sources(h, json_object_get(ev, "sources"));
	if (strcmp(e, "error") == 0) {
		snprintf(h->why, sizeof(h->why), "%s", str(ev, "message",
		    "error"));
		one_line(h->why);
		return true;
	}
	if (strcmp(e, "done") == 0)
		return strcmp(str(ev, "status", "?"), "ok") != 0;
	if (strcmp(e, "source") == 0)
		return json_object_get(ev, "from") != NULL ||
		    json_object_get(ev, "to") != NULL;
	return strcmp(e, "stall") == 0 || strcmp(e, "retry") == 0;
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
	stop_ticker(r);
	pthread_mutex_lock(&r->lock);
	erase(r);
	fleet_end(r);
	for (i = 0; i < r->nrows; i++)
		r->rows[i].r.active = false;
	fflush(r->out);
	pthread_mutex_unlock(&r->lock);
}

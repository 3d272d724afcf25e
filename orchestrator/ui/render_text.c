/* render_text: pure formatting: event lines, rows, bars, phase names. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_int.h"

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

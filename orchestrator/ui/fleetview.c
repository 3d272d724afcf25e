/* fleetview: the fleet view, one row per host redrawn in place by a ticker. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "render.h"
#include "render_int.h"

struct hostrow *
fleet_find_host(struct render *r, const char *name)
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
void
fleet_draw(struct render *r, bool all)
{
	struct render_host_row hr;
	char text[TEXT_MAX];
	size_t *idx = NULL, m, i;
	int w, rows, budget, nl, up;

	if (!r->fleet || r->nhosts == 0)
		return;
	w = render_term_width(r->out);
	if (w > TEXT_MAX)
		w = TEXT_MAX;
	rows = render_term_rows(r->out);
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
	    r->verbosity, render_term_rows(r->out)))
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
	if ((h = fleet_find_host(r, host)) != NULL && h->phase !=
	    RENDER_DETACHED && (!final(h->phase) || final(ph)))
		h->phase = ph;
	pthread_mutex_unlock(&r->lock);
}

/* Stop the ticker (the lock not held). */
void
fleet_stop_ticker(struct render *r)
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
void
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
bool
fleet_event(struct render *r, const char *host, const char *e, json_t *ev)
{
	struct hostrow *h;
	const char *path = str(ev, "path", NULL);

	if ((h = fleet_find_host(r, host)) == NULL)
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

/* follow: stream job events from a box, and reattach when it drops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connect.h"
#include "error.h"
#include "event.h"
#include "follow.h"
#include "inventory.h"
#include "script.h"
#include "session.h"

/* Internal code: every job is done, stop the channel (maps to CN_OK). */
#define ALL_DONE	1

void
follow_release(struct follow_job *j)
{
	if (j == NULL)
		return;
	free(j->id);
	free(j->line);
	j->id = NULL;
	j->line = NULL;
	j->len = j->cap = 0;
}

void
follow_parser_init(struct follow_parser *fp, struct follow_job *jobs,
    size_t n, follow_event_cb cb, void *arg)
{
	memset(fp, 0, sizeof(*fp));
	fp->jobs = jobs;
	fp->njobs = n;
	fp->on_event = cb;
	fp->arg = arg;
}

static int
one_line(struct follow_parser *fp, struct follow_job *j, size_t i)
{
	json_t *ev = NULL, *st;
	const char *name;
	int r = CN_OK;

	if (event_parse(j->line, j->len, &ev) != CN_OK)
		return CN_OK;	/* a torn or foreign line: skip it */
	name = json_string_value(json_object_get(ev, "event"));
	if (strcmp(name, "done") == 0) {
		st = json_object_get(ev, "status");
		j->done = true;
		j->ok = json_is_string(st) &&
		    strcmp(json_string_value(st), "ok") == 0;
	}
	if (fp->on_event != NULL)
		r = fp->on_event(fp->arg, i, ev);
	json_decref(ev);
	return r;
}

/* Job data: whole lines advance the offset and go to the callback. */
static int
job_bytes(struct follow_parser *fp, size_t i, const char *p, size_t n)
{
	struct follow_job *j = &fp->jobs[i];
	const char *nl;
	size_t take, ncap;
	char *nb;
	int r;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (j->len + take + 1 > j->cap) {
			ncap = j->cap ? j->cap : 256;
			while (ncap < j->len + take + 1)
				ncap *= 2;
			if ((nb = realloc(j->line, ncap)) == NULL)
				return CN_ERR_NOMEM;
			j->line = nb;
			j->cap = ncap;
		}
		memcpy(j->line + j->len, p, take);
		j->len += take;
		j->line[j->len] = '\0';
		p += take;
		n -= take;
		if (nl == NULL)
			break;
		j->offset += (int64_t)j->len;
		r = one_line(fp, j, i);
		j->len = 0;
		if (r != CN_OK)
			return r;
	}
	return CN_OK;
}

/* Job i was relaunched: follow it from its new start, and say so. */
static int
restarted(struct follow_parser *fp, size_t i, const char *gen)
{
	struct follow_job *j = &fp->jobs[i];
	json_t *ev;
	char *end;
	long long g;
	int r = CN_OK;

	j->offset = 0;
	j->len = 0;
	g = strtoll(gen, &end, 10);
	if (end != gen && *end == '\0' && g >= 0) {
		j->generation = g;
		j->have_generation = true;
	}
	if (fp->on_event == NULL)
		return CN_OK;
	if ((ev = json_pack("{s:s, s:s}", "event", "restarted", "message",
	    "relaunched; following it from its start")) == NULL)
		return CN_ERR_NOMEM;
	if (j->have_generation)
		json_object_set_new(ev, "generation", json_integer(g));
	r = fp->on_event(fp->arg, i, ev);
	json_decref(ev);
	return r;
}

static int
header(struct follow_parser *fp, char *h)
{
	unsigned long i;
	long long len;
	char st[32];
	struct follow_job *j;

	if (strcmp(h, "H") == 0 || h[0] == '\0')
		return CN_OK;
	if (strcmp(h, "E") == 0) {
		fp->ended = true;
		return CN_OK;
	}
	if (sscanf(h, "F %lu %lld", &i, &len) == 2) {
		if (i < 1 || i > fp->njobs || len < 0)
			return CN_ERR_PROTOCOL;
		fp->cur = i - 1;
		fp->remain = len;
		return CN_OK;
	}
	if (sscanf(h, "R %lu %31s", &i, st) == 2) {
		if (i < 1 || i > fp->njobs)
			return CN_ERR_PROTOCOL;
		return restarted(fp, i - 1, st);
	}
	if (sscanf(h, "X %lu %31s", &i, st) == 2) {
		if (i < 1 || i > fp->njobs)
			return CN_ERR_PROTOCOL;
		j = &fp->jobs[i - 1];
		st[sizeof(j->end_state) - 1] = '\0';
		memcpy(j->end_state, st, sizeof(j->end_state));
		/* A torn last line of a dead agent is dropped. */
		j->len = 0;
		if (!j->done) {
			j->done = true;
			j->ok = strcmp(st, "done") == 0;
		}
		return CN_OK;
	}
	return CN_OK;	/* shell noise: not ours */
}

int
follow_parser_feed(struct follow_parser *fp, const char *p, size_t n)
{
	size_t take;
	int r;

	if (fp->rc != CN_OK)
		return fp->rc;
	while (n > 0) {
		if (fp->remain > 0) {
			take = (int64_t)n < fp->remain ? n : (size_t)fp->remain;
			r = job_bytes(fp, fp->cur, p, take);
			p += take;
			n -= take;
			fp->remain -= (int64_t)take;
			if (r != CN_OK)
				return fp->rc = r;
			continue;
		}
		if (*p == '\n') {
			fp->hdr[fp->hlen] = '\0';
			fp->hlen = 0;
			p++;
			n--;
			if ((r = header(fp, fp->hdr)) != CN_OK)
				return fp->rc = r;
			continue;
		}
		if (fp->hlen + 1 >= sizeof(fp->hdr))
			return fp->rc = CN_ERR_PROTOCOL;
		fp->hdr[fp->hlen++] = *p++;
		n--;
	}
	return CN_OK;
}

#define FOLLOW_LOOP \
    "q=0\n" \
    "while :; do\n" \
    "\tlive=0\n" \
    "\ti=1\n" \
    "\twhile [ \"$i\" -le \"$n\" ]; do\n" \
    "\t\teval \"d=\\$f$i o=\\$o$i x=\\$x$i w=\\$w$i\"\n" \
    "\t\tif [ \"$x\" = 0 ]; then\n" \
    /* Liveness first: what a dead agent wrote is all there to read. */ \
    "\t\t\tst=$(sed -n 's/.*\"state\" *: *\"\\([a-z]*\\)\".*/\\1/p' " \
    "\"$d/state.json\" 2>/dev/null | head -n 1)\n" \
    "\t\t\tpid=$(sed -n 's/.*\"pid\" *: *\\([0-9][0-9]*\\).*/\\1/p' " \
    "\"$d/state.json\" 2>/dev/null | head -n 1)\n" \
    "\t\t\talive=0\n" \
    "\t\t\tif [ -z \"$st\" ]; then\n" \
    "\t\t\t\tw=$((w + 1))\n" \
    "\t\t\t\teval \"w$i=\\$w\"\n" \
    "\t\t\t\t[ \"$w\" -lt 120 ] && alive=1\n" \
    "\t\t\telif { [ \"$st\" = running ] || [ \"$st\" = queued ] || " \
    "[ \"$st\" = waiting ]; } " \
    "&& [ -n \"$pid\" ] && kill -0 \"$pid\" 2>/dev/null; then\n" \
    "\t\t\t\talive=1\n" \
    "\t\t\tfi\n" \
    /* A relaunch: a new generation, or a shorter events.jsonl. */ \
    "\t\t\teval \"g=\\$g$i\"\n" \
    "\t\t\tgen=$(sed -n 's/.*\"generation\" *: *\\([0-9][0-9]*\\).*/\\1/p' " \
    "\"$d/state.json\" 2>/dev/null | head -n 1)\n" \
    "\t\t\tre=0\n" \
    "\t\t\tif [ -n \"$gen\" ]; then\n" \
    "\t\t\t\tif [ -n \"$g\" ] && [ \"$gen\" != \"$g\" ]; then re=1; fi\n" \
    "\t\t\t\teval \"g$i=\\$gen\"\n" \
    "\t\t\tfi\n" \
    "\t\t\tif [ -f \"$d/events.jsonl\" ] && " \
    "[ $(($(wc -c < \"$d/events.jsonl\"))) -lt \"$o\" ]; then re=1; fi\n" \
    "\t\t\tif [ \"$re\" = 1 ]; then\n" \
    "\t\t\t\tprintf 'R %d %s\\n' \"$i\" \"${gen:--}\"\n" \
    "\t\t\t\to=0\n" \
    "\t\t\t\teval \"o$i=0\"\n" \
    "\t\t\t\tq=0\n" \
    "\t\t\tfi\n" \
    "\t\t\tif [ -f \"$d/events.jsonl\" ]; then\n" \
    "\t\t\t\ts=$(($(wc -c < \"$d/events.jsonl\")))\n" \
    "\t\t\t\tif [ \"$s\" -gt \"$o\" ]; then\n" \
    "\t\t\t\t\tprintf 'F %d %d\\n' \"$i\" $((s - o))\n" \
    "\t\t\t\t\ttail -c +$((o + 1)) \"$d/events.jsonl\" | " \
    "head -c $((s - o))\n" \
    "\t\t\t\t\teval \"o$i=\\$s\"\n" \
    "\t\t\t\t\tq=0\n" \
    "\t\t\t\tfi\n" \
    "\t\t\tfi\n" \
    "\t\t\tif [ \"$alive\" = 1 ]; then\n" \
    "\t\t\t\tlive=$((live + 1))\n" \
    "\t\t\telse\n" \
    "\t\t\t\tprintf 'X %d %s\\n' \"$i\" \"${st:-none}\"\n" \
    "\t\t\t\teval \"x$i=1\"\n" \
    "\t\t\tfi\n" \
    "\t\tfi\n" \
    "\t\ti=$((i + 1))\n" \
    "\tdone\n" \
    "\tif [ \"$live\" = 0 ]; then echo E; exit 0; fi\n" \
    "\tq=$((q + 1))\n" \
    "\tif [ \"$q\" -ge 2 ]; then echo H; q=0; fi\n" \
    "\tsleep 0.5\n" \
    "done\n"

char *
follow_script(const struct follow_job *jobs, size_t n)
{
	struct script *s;
	char name[32];
	size_t i;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "set -u\n");
	script_let_int(s, "n", (long long)n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%zu", i + 1);
		script_assign(s, name);
		script_job_path(s, jobs[i].id, NULL);
		script_code(s, "\n");
		snprintf(name, sizeof(name), "o%zu", i + 1);
		script_let_int(s, name, (long long)jobs[i].offset);
		snprintf(name, sizeof(name), "x%zu", i + 1);
		script_let_int(s, name, jobs[i].done ? 1 : 0);
		snprintf(name, sizeof(name), "w%zu", i + 1);
		script_let_int(s, name, 0);
		snprintf(name, sizeof(name), "g%zu", i + 1);
		if (jobs[i].have_generation)
			script_let_int(s, name, jobs[i].generation);
		else
			script_let(s, name, "");
	}
	script_code(s, FOLLOW_LOOP);
	return script_finish(s);
}

struct run_ctx {
	struct follow_parser p;
	follow_stop_cb	 stop;
	void		*arg;
	int		 why;		/* our reason for stopping, or 0 */
};

static bool
all_done(const struct follow_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!jobs[i].done)
			return false;
	return true;
}

static int
on_data(void *arg, int stream, const char *p, size_t n)
{
	struct run_ctx *c = arg;
	int r;

	if (stream == 1 && (r = follow_parser_feed(&c->p, p, n)) != CN_OK) {
		c->why = r;
		return 1;
	}
	if (c->stop != NULL && c->stop(c->arg)) {
		c->why = CN_ERR_INTERRUPTED;
		return 1;
	}
	if (all_done(c->p.jobs, c->p.njobs)) {
		c->why = ALL_DONE;
		return 1;
	}
	return 0;
}

int
follow_run(struct session *s, struct follow_job *jobs, size_t n,
    follow_event_cb on_event, follow_stop_cb stop, void *arg)
{
	struct run_ctx c;
	char *script;
	size_t i;
	int r, status = -1;

	if (all_done(jobs, n))
		return CN_OK;
	/* A partial line from a dropped connection is sent again. */
	for (i = 0; i < n; i++)
		jobs[i].len = 0;
	memset(&c, 0, sizeof(c));
	follow_parser_init(&c.p, jobs, n, on_event, arg);
	c.stop = stop;
	c.arg = arg;
	if ((script = follow_script(jobs, n)) == NULL)
		return CN_ERR_NOMEM;
	r = session_exec_stream(s, "sh -s", script, strlen(script), on_data,
	    &c, &status, 0);
	free(script);
	if (c.why == ALL_DONE)
		return CN_OK;
	if (c.why != 0)
		return c.why;
	if (r != CN_OK)
		return r;
	return all_done(jobs, n) ? CN_OK : CN_ERR_REMOTE;
}

/* Sleep up to s seconds, waking when stop asks. */
static bool
nap(double s, follow_stop_cb stop, void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	double t;

	for (t = 0; t < s; t += 0.1) {
		if (stop != NULL && stop(arg))
			return false;
		nanosleep(&ts, NULL);
	}
	return stop == NULL || !stop(arg);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The connection went (rather than the follow ending for a reason). */
static bool
connection_lost(int r)
{
	return r == CN_ERR_REMOTE || r == CN_ERR_IO || r == CN_ERR_TIMEOUT ||
	    r == CN_ERR_CONNECT || r == CN_ERR_SSH || r == CN_ERR_SYSTEM ||
	    r == CN_ERR_AGAIN;
}

int
follow_reattach(struct session **sp, const struct host *h,
    struct follow_job *jobs, size_t n, const struct follow_opts *o,
    char **msg)
{
	int attempts = o->attempts > 0 ? o->attempts : 8;
	int cap = o->max_delay_s > 0 ? o->max_delay_s : 30;
	int attempt = 0, r = CN_ERR_CONNECT, delay;
	char *why = NULL, *cmsg = NULL;
	double t0;

	*msg = NULL;
	for (;;) {
		if (*sp != NULL) {
			t0 = mono();
			r = follow_run(*sp, jobs, n, o->on_event, o->stop,
			    o->arg);
			if (!connection_lost(r))
				break;	/* done, detached, or a callback's */
			if (all_done(jobs, n)) {
				r = CN_OK;
				break;
			}
			/* A long good stretch earns a fresh budget. */
			if (mono() - t0 > 30)
				attempt = 0;
			free(why);
			if ((why = strdup(session_errmsg(*sp))) == NULL) {
				r = CN_ERR_NOMEM;
				break;
			}
			session_destroy(*sp);
			*sp = NULL;
		}
		if (++attempt > attempts) {
			cn_msg(msg, "connection lost; gave up after %d "
			    "attempts: %s", attempts, why != NULL ? why :
			    "cannot reconnect");
			r = CN_ERR_CONNECT;
			break;
		}
		if (o->on_retry != NULL)
			o->on_retry(o->arg, attempt, attempts, why);
		delay = attempt > 6 ? cap : 1 << (attempt - 1);
		if (delay > cap)
			delay = cap;
		if (!nap(delay, o->stop, o->arg)) {
			r = CN_ERR_INTERRUPTED;
			break;
		}
		free(cmsg);
		cmsg = NULL;
		if (host_connect(h, false, sp, &cmsg) != CN_OK) {
			*sp = NULL;
			free(why);
			why = strdup(cmsg != NULL ? cmsg : "cannot connect");
		}
	}
	free(why);
	free(cmsg);
	return r;
}

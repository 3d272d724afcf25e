/*
 * fleet: run one function per host on a pool of min(forks, n) threads,
 * and the hostout lines they print (see fleet.h).  Workers pull the next
 * host index from a shared counter, so a slow host never holds up the
 * queue behind it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fleet.h"
#include "inventory.h"
#include "runlog.h"
#include "session.h"

/* Batched output is written once it grows past this. */
#define HOSTOUT_BATCH	(256 * 1024)

struct hostout {
	const struct host	*h;
	struct buf		 part[2];	/* unfinished line per stream */
	struct buf		 out[2];	/* prefixed lines, not written */
	struct buf		 log;		/* the same lines, for the log */
};

struct pool {
	const struct host *const *hosts;
	size_t		 n;
	size_t		 next;		/* under lock */
	pthread_mutex_t	 lock;
	fleet_fn	 fn;
	void		*arg;
	int		*status;
};

/* Whole lines from every worker go through here, one batch at a time. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
/* Where hostout lines are also kept (fleet_keep_log), or NULL. */
static struct runlog *out_log;

static void
run_one(struct pool *p, size_t i)
{
	struct hostout o;

	memset(&o, 0, sizeof(o));
	o.h = p->hosts[i];
	p->status[i] = p->fn(p->hosts[i], p->arg, &o);
	hostout_end(&o);
	buf_release(&o.part[0]);
	buf_release(&o.part[1]);
	buf_release(&o.out[0]);
	buf_release(&o.out[1]);
	buf_release(&o.log);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			break;
		run_one(p, i);
	}
	return NULL;
}

void
fleet_run(const struct host *const *hosts, size_t n, int forks,
    fleet_fn fn, void *arg, int *status)
{
	struct pool p;
	pthread_t *tids = NULL;
	size_t nthreads, started = 0, i;

	if (n == 0)
		return;
	p.hosts = hosts;
	p.n = n;
	p.next = 0;
	p.fn = fn;
	p.arg = arg;
	p.status = status;
	pthread_mutex_init(&p.lock, NULL);
	nthreads = forks < 1 ? 1 : (size_t)forks;
	if (nthreads > n)
		nthreads = n;
	/* One host needs no thread. */
	if (nthreads > 1 && (tids = calloc(nthreads, sizeof(*tids))) != NULL)
		for (started = 0; started < nthreads; started++)
			if (pthread_create(&tids[started], NULL, worker,
			    &p) != 0)
				break;
	/* Whatever threads could not start, this one makes up for. */
	if (started == 0)
		worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	pthread_mutex_destroy(&p.lock);
}

void
fleet_keep_log(struct runlog *rl)
{
	pthread_mutex_lock(&out_lock);
	out_log = rl;
	pthread_mutex_unlock(&out_lock);
}

/* Write out o's batches; out_lock held. */
static void
flush_locked(struct hostout *o)
{
	if (o->out[0].len > 0)
		fwrite(o->out[0].data, 1, o->out[0].len, stdout);
	if (o->out[1].len > 0) {
		fflush(stdout);
		fwrite(o->out[1].data, 1, o->out[1].len, stderr);
	}
	if (o->log.len > 0 && out_log != NULL)
		runlog_write(out_log, o->h->name, o->log.data, o->log.len);
	fflush(stdout);
	fflush(stderr);
	o->out[0].len = o->out[1].len = o->log.len = 0;
}

void
hostout_flush(struct hostout *o)
{
	if (o->out[0].len == 0 && o->out[1].len == 0 && o->log.len == 0)
		return;
	pthread_mutex_lock(&out_lock);
	flush_locked(o);
	pthread_mutex_unlock(&out_lock);
}

/* One line, a then b (either may be empty), into the batches. */
static int
put(struct hostout *o, int is_err, const char *a, size_t na, const char *b,
    size_t nb)
{
	struct buf *ob = &o->out[is_err != 0];

	if (buf_append(ob, o->h->name, strlen(o->h->name)) != CN_OK ||
	    buf_append(ob, ": ", 2) != CN_OK ||
	    buf_append(ob, a, na) != CN_OK || buf_append(ob, b, nb) != CN_OK ||
	    buf_append(ob, "\n", 1) != CN_OK)
		return CN_ERR_NOMEM;
	if (out_log != NULL && (buf_append(&o->log, a, na) != CN_OK ||
	    buf_append(&o->log, b, nb) != CN_OK ||
	    buf_append(&o->log, "\n", 1) != CN_OK))
		return CN_ERR_NOMEM;
	if (ob->len + o->log.len >= HOSTOUT_BATCH)
		hostout_flush(o);
	return CN_OK;
}

int
hostout_write(struct hostout *o, int is_err, const char *p, size_t n)
{
	struct buf *part = &o->part[is_err != 0];
	const char *end = p + n, *nl;
	size_t take;
	int r;

	while (p < end) {
		/* Only the new bytes are searched, and at most what still
		 * fits the line. */
		take = HOSTOUT_LINE_MAX - part->len;
		if (take > (size_t)(end - p))
			take = (size_t)(end - p);
		nl = memchr(p, '\n', take);
		if (nl == NULL && part->len + take < HOSTOUT_LINE_MAX) {
			if (buf_append(part, p, take) != CN_OK)
				return CN_ERR_NOMEM;
			p += take;
			continue;
		}
		/* A whole line, or one cut at HOSTOUT_LINE_MAX. */
		if (nl != NULL)
			take = (size_t)(nl - p);
		if ((r = put(o, is_err, part->data != NULL ? part->data : "",
		    part->len, p, take)) != CN_OK)
			return r;
		part->len = 0;
		p += take + (nl != NULL);
	}
	return CN_OK;
}

void
hostout_end(struct hostout *o)
{
	int i;

	for (i = 0; i < 2; i++)
		if (o->part[i].len > 0) {
			(void)put(o, i, o->part[i].data, o->part[i].len, "", 0);
			o->part[i].len = 0;
		}
	hostout_flush(o);
}

void
hostout_line(struct hostout *o, int is_err, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	FILE *fp = is_err ? stderr : stdout;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&out_lock);
	/* What this host streamed before comes first. */
	flush_locked(o);
	if (n >= 0 && out_log != NULL)
		runlog_line(out_log, o->h->name, line);
	if (n >= 0)
		fprintf(fp, "%s: %s\n", o->h->name, line);
	else
		fprintf(fp, "%s: (out of memory formatting a line)\n",
		    o->h->name);
	fflush(fp);
	pthread_mutex_unlock(&out_lock);
	free(line);
}

void
hostout_message(struct hostout *o, int is_err, const char *msg)
{
	const char *line = msg, *nl, *name = o->h->name;
	size_t plen = strlen(name);
	int len;

	while (line != NULL && *line != '\0') {
		nl = strchr(line, '\n');
		len = nl != NULL ? (int)(nl - line) : (int)strlen(line);
		/* A message may still carry "name: ": not twice. */
		if ((size_t)len > plen + 1 && strncmp(line, name, plen) == 0 &&
		    line[plen] == ':' && line[plen + 1] == ' ')
			hostout_line(o, is_err, "%.*s", len - (int)plen - 2,
			    line + plen + 2);
		else
			hostout_line(o, is_err, "%.*s", len, line);
		line = nl != NULL ? nl + 1 : NULL;
	}
}

const struct host *
hostout_host(const struct hostout *o)
{
	return o->h;
}

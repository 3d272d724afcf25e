/*
 * fleet: run one function per host on a pool of min(forks, n) threads
 * (see fleet.h).  Workers pull the next host index from a shared counter,
 * so a slow host never holds up the queue behind it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "fleet.h"
#include "runlog.h"
#include "inventory.h"

struct hostout {
	const struct host	*h;
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

/* Whole lines from every worker go through here, one at a time. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
/* Where hostout lines are also kept (fleet_keep_log), or NULL. */
static struct runlog *out_log;

static void
run_one(struct pool *p, size_t i)
{
	struct hostout o = { p->hosts[i] };

	p->status[i] = p->fn(p->hosts[i], p->arg, &o);
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

int
fleet_run(const struct host *const *hosts, size_t n, int forks,
    fleet_fn fn, void *arg, int *status)
{
	struct pool p;
	pthread_t *tids = NULL;
	size_t nthreads, started = 0, i;
	int agg = EXIT_OK;

	if (n == 0)
		return EXIT_OK;
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

	for (i = 0; i < n; i++) {
		if (status[i] == EXIT_UNREACHABLE)
			agg = EXIT_UNREACHABLE;
		else if (status[i] != EXIT_OK && agg == EXIT_OK)
			agg = EXIT_REMOTE;
	}
	return agg;
}

void
fleet_keep_log(struct runlog *rl)
{
	pthread_mutex_lock(&out_lock);
	out_log = rl;
	pthread_mutex_unlock(&out_lock);
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

const struct host *
hostout_host(const struct hostout *o)
{
	return o->h;
}

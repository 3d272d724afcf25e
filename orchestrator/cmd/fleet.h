/*
 * The fleet runner: run one function per host, at most `forks` hosts at
 * once, each in its own worker thread (blocking libssh2 sessions; the
 * bytes of one host never wait on another).  One host's failure never
 * stops the others: every host runs to its end and gets its own status.
 *
 * Output: a hostout is one host's way to the terminal.  Every line gets
 * the host's name in front ("autodl-01: ..."), here and nowhere else, and
 * lines from many hosts never interleave mid-line.  Streamed output
 * (hostout_write) is cut into lines without rescanning, a line longer
 * than HOSTOUT_LINE_MAX is cut there (the rest follows on its own
 * prefixed line), and lines are written in batches, not one write each.
 */
#ifndef CN_FLEET_H
#define CN_FLEET_H

#include <stddef.h>
#include <stdio.h>

#define HOSTOUT_LINE_MAX	(64 * 1024)

struct host;
struct hostout;
struct runlog;

/* Per-host work: CN_OK or the host's CN_ERR_* code. */
typedef int (*fleet_fn)(const struct host *h, void *arg, struct hostout *o);

/* Run fn for every host; status[i] receives host i's code. */
void	fleet_run(const struct host *const *hosts, size_t n, int forks,
	    fleet_fn fn, void *arg, int *status);

/* Also keep every hostout line in rl's per-host logs (NULL: stop). */
void	fleet_keep_log(struct runlog *rl);

/* One host-prefixed line to stdout (or stderr for is_err). */
void	hostout_line(struct hostout *o, int is_err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Each line of msg, host-prefixed once (a message that already starts
 * with "NAME: " does not get it twice). */
void	hostout_message(struct hostout *o, int is_err, const char *msg);

/* Streamed bytes of a command's stdout (is_err 0) or stderr (1); whole
 * lines go out in batches.  Returns CN_OK or CN_ERR_NOMEM. */
int	hostout_write(struct hostout *o, int is_err, const char *p, size_t n);

/* Write out what hostout_write batched (whole lines only). */
void	hostout_flush(struct hostout *o);

/* The stream ended: its unfinished last lines go out too. */
void	hostout_end(struct hostout *o);

/* The host this output belongs to. */
const struct host *hostout_host(const struct hostout *o);

#endif

/*
 * The fleet runner: run one function per host, at most `forks` hosts at
 * once, each in its own worker thread (blocking libssh2 sessions; the
 * bytes of one host never wait on another).  One host's failure never
 * stops the others: every host runs to its end and gets its own status.
 *
 * Output: hostout_line() writes one whole line prefixed with the host
 * name ("autodl-01: ..."), under a lock, so lines from many hosts never
 * interleave mid-line.
 */
#ifndef CN_FLEET_H
#define CN_FLEET_H

#include <stddef.h>
#include <stdio.h>

struct host;
struct hostout;

/* Per-host work: returns EXIT_OK, EXIT_REMOTE or EXIT_UNREACHABLE. */
typedef int (*fleet_fn)(const struct host *h, void *arg, struct hostout *o);

/*
 * Run fn for every host.  status[i] receives host i's exit code.  Returns
 * the aggregate exit code: EXIT_UNREACHABLE if any host was unreachable,
 * else EXIT_REMOTE if any failed, else EXIT_OK.
 */
int	fleet_run(const struct host *const *hosts, size_t n, int forks,
	    fleet_fn fn, void *arg, int *status);

struct runlog;

/* Also keep every hostout line in rl's per-host logs (NULL: stop). */
void	fleet_keep_log(struct runlog *rl);

/* One host-prefixed line to stdout (or stderr for is_err). */
void	hostout_line(struct hostout *o, int is_err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* The host this output belongs to. */
const struct host *hostout_host(const struct hostout *o);

#endif

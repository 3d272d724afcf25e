/*
 * follow: stream the events of a host's jobs (~/.cnorch/jobs/<id>/
 * events.jsonl) to the laptop over one SSH channel, each from a byte
 * offset, until every job has ended.
 *
 * The box runs a small polling loop (sh -s, script on stdin) that frames
 * what it sends:
 *   "F <i> <n>\n" followed by n bytes of job i's events.jsonl,
 *   "X <i> <state>\n" job i's agent is no longer running (after its last
 *                     bytes were sent), state from its state.json,
 *   "H\n" heartbeat while nothing happens (so a dead laptop ends the loop
 *         with SIGPIPE, and the laptop gets to check for Ctrl-C),
 *   "E\n" no job left running: the loop exits,
 *   "R <i> <gen>\n" job i was relaunched (its events.jsonl is shorter
 *                     than the offset, or state.json's "generation"
 *                     changed; gen is the new one or "-"): its offset
 *                     goes back to 0 and its new events follow.
 * The laptop counts only whole lines into each job's offset, so following
 * again after a dropped connection resumes exactly where it stopped; a
 * relaunch is said to on_event as {"event": "restarted", "generation"}.
 *
 * Who frees: follow_release() frees what a struct follow_job holds.
 */
#ifndef CN_FOLLOW_H
#define CN_FOLLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session;

struct follow_job {
	char		*id;		/* job id (malloc'd, freed by release) */
	int64_t		 offset;	/* bytes of whole lines consumed */
	bool		 done;		/* saw the done event, or it ended */
	bool		 ok;		/* done with status ok */
	char		 end_state[16];	/* from "X": state.json's state */
	/* state.json's "generation" when known (the agent writes it), so
	 * a reattach notices a relaunch made while away. */
	long long	 generation;
	bool		 have_generation;
	/* Partial line being assembled. */
	char		*line;
	size_t		 len, cap;
};

/*
 * Called for every event of job i (ev borrowed).  Return CN_OK to go on,
 * anything else to stop following: follow_run() returns that value.
 */
typedef int (*follow_event_cb)(void *arg, size_t i, json_t *ev);
/* Polled at least once a second: non-zero detaches (follow_run returns
 * CN_ERR_INTERRUPTED). */
typedef int (*follow_stop_cb)(void *arg);

/* Parser of the framed stream; exposed for the unit tests. */
struct follow_parser {
	struct follow_job *jobs;
	size_t		 njobs;
	follow_event_cb	 on_event;
	void		*arg;
	char		 hdr[64];
	size_t		 hlen;
	size_t		 cur;		/* job of the current F frame */
	int64_t		 remain;	/* bytes left in it; 0: reading headers */
	bool		 ended;		/* saw "E" */
	int		 rc;		/* first non-OK from on_event or parse */
};

void	follow_parser_init(struct follow_parser *fp, struct follow_job *jobs,
	    size_t n, follow_event_cb cb, void *arg);
/* Feed bytes; returns CN_OK, CN_ERR_PROTOCOL or the callback's code. */
int	follow_parser_feed(struct follow_parser *fp, const char *p, size_t n);

/* The box-side loop for these jobs from their offsets; malloc'd. */
char	*follow_script(const struct follow_job *jobs, size_t n);

/*
 * Follow until every job is done (CN_OK), stop_cb asks to detach
 * (CN_ERR_INTERRUPTED), on_event stops it (its code), or the session
 * fails (CN_ERR_*; follow again on a new session to resume).
 */
int	follow_run(struct session *s, struct follow_job *jobs, size_t n,
	    follow_event_cb on_event, follow_stop_cb stop, void *arg);

void	follow_release(struct follow_job *j);

struct host;

/* How follow_reattach() behaves; zeroed fields take the defaults. */
struct follow_opts {
	follow_event_cb	 on_event;
	follow_stop_cb	 stop;		/* also polled while waiting */
	void		*arg;		/* of all three callbacks */
	/* Before reconnect attempt n of max; why is the error. */
	void		(*on_retry)(void *arg, int attempt, int max,
			    const char *why);
	int		 attempts;	/* 0: 8 */
	int		 max_delay_s;	/* 0: 30 */
};

/*
 * The one reattaching follower: follow_run() on *sp until the jobs are
 * all done; when the connection fails, reconnect to h (non-interactively)
 * with backoff (1, 2, 4 ... s, capped; a long good stretch resets the
 * count) and go on from the offsets reached.  *sp is replaced (NULL on
 * return after a failed reconnect).  Returns CN_OK, CN_ERR_INTERRUPTED
 * (stop asked), on_event's code, CN_ERR_NOMEM / CN_ERR_PROTOCOL, or
 * CN_ERR_CONNECT once the attempts ran out, with a one-line *msg.
 */
int	follow_reattach(struct session **sp, const struct host *h,
	    struct follow_job *jobs, size_t n, const struct follow_opts *o,
	    char **msg);

#endif

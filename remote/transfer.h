/*
 * The transfer engine: fetch every file of a plan into the cache on one
 * libcurl multi handle (curl's parallel_transfers() shape), up to
 * max_files files at once and up to max_conns Range connections per
 * large file, then verify and commit each file (cache.h).
 *
 * Robustness, per connection: no byte for stall_timeout_s (or less than
 * min_rate_bps over that long) abandons it and reopens it at its offset;
 * what retry.h classes as worth another try (5xx, 408, 416, 429; a
 * Retry-After is honoured), dropped connections and wrong lengths are
 * retried the same way, with retry_wait()'s backoff and jitter.  A
 * segment that fails `retries` times in a row without a new byte fails
 * its file.  A 403/410 after a redirect (an expired signed CDN URL) goes
 * back to the /resolve/ URL for a fresh one; the bytes on disk stay.  A
 * server that answers a Range request with 200 makes the file single
 * connection from the contiguous prefix (the bytes before it are read
 * and discarded, never appended).
 *
 * Connections: a file starts on one connection and opens the others
 * after 50 ms unless that one already moves 128 MiB/s.  Each
 * request asks for a piece (16 MiB, or about 2 s at the connection's
 * pace, less towards the end) and the kept-alive connection asks for the
 * next; a free connection takes what lies beyond the piece in flight.
 * In the endgame a free connection cuts the segment that would finish
 * last, at the point where both end together, when that saves more than
 * the reconnect costs (aria2c's trade-off), so the tail of every file
 * runs on all its connections.  Once no file waits to start, the files
 * still running share the connections of those that finished (the
 * pull's budget is -x times the files it runs at once).
 *
 * Sources: a plan file with alternatives (plan.h) is fetched from all of
 * them at once, each with its own connection budget; a source that keeps
 * failing or stalls is drained and its segments go to the others.  On a
 * hash mismatch with bytes from several sources the file is fetched
 * again from one alone; the event names the source that served bad
 * bytes.  Origins (scheme://host:port, origin.c): a 429 pauses every new
 * request to the origin for its Retry-After (or RateLimit reset), and a
 * second 429 in a row halves the connections it gets.
 *
 * Hashing: each file's digest follows its contiguous prefix on a thread
 * of its own, reading the bytes back with pread from the page cache
 * moments after they were written (and starting their writeback), so a
 * finished file needs no second pass and SHA-256 never slows the network
 * loop.  Only a resumed file re-reads what it had (the digest state is
 * not saved).
 *
 * Who frees: transfer_stats_release() frees what transfer_run() put in
 * the stats.
 */
#ifndef CN_TRANSFER_H
#define CN_TRANSFER_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "http.h"
#include "plan.h"

/* Event sink: event name and its fields (a reference is stolen). */
typedef void (*emit_fn)(void *arg, const char *event, json_t *fields);

struct transfer_opts {
	const struct http_conf *http;
	struct cache	*cache;
	int		 max_files;	/* -j, default 4 */
	int		 max_conns;	/* -x, default 8 */
	uint64_t	 min_seg;	/* default SEG_MIN_DEFAULT */
	double		 stall_timeout_s;	/* default 30 */
	uint64_t	 min_rate_bps;	/* 0: only "no byte" stalls */
	int		 retries;	/* failures in a row per segment */
	/* Give up on the whole source after this many failed attempts in
	 * total (for --source auto); 0 for no limit. */
	int		 source_budget;
	double		 backoff_base_s;	/* default 0.5 */
	double		 backoff_max_s;		/* default 30 */
	volatile sig_atomic_t *stop;	/* set by a signal handler */
	emit_fn		 emit;
	void		*emit_arg;
};

struct transfer_stats {
	uint64_t	 bytes_total;	/* plan bytes */
	uint64_t	 bytes_done;	/* verified + on disk */
	uint64_t	 bytes_fetched;	/* body bytes received */
	unsigned	 files_done;
	unsigned	 files_failed;
	unsigned	 retries;
	unsigned	 stalls;
	int		 first_error;	/* CN_ERR_* of the first failed file */
	char		*message;	/* its one-line message, or NULL */
	bool		*file_ok;	/* per plan file: committed */
	json_t		*sources;	/* source name ("hf", "modelscope") ->
					 * body bytes it carried, all files */
};

void	transfer_opts_init(struct transfer_opts *o);

/*
 * Bytes the plan still needs on the target filesystem: the sizes of
 * files not complete, minus what their partial files already occupy.
 */
uint64_t transfer_space_needed(const struct plan *p, struct cache *c);

/*
 * Fetch, verify and commit the files of p whose skip[i] is false (skip
 * may be NULL).  Returns CN_OK when every file is committed; otherwise
 * the first failure (CN_ERR_VERIFY, CN_ERR_RETRIES, CN_ERR_ACCESS,
 * CN_ERR_NOT_FOUND, CN_ERR_NOSPACE, CN_ERR_PROTOCOL...) with a message in
 * st->message, or CN_ERR_INTERRUPTED when *stop was set (control files
 * flushed), or CN_ERR_RETRIES when source_budget ran out.  Partial data
 * always stays on disk for the next run.
 */
int	transfer_run(const struct plan *p, const bool *skip,
	    const struct transfer_opts *o, struct transfer_stats *st);
void	transfer_stats_release(struct transfer_stats *st);

#endif

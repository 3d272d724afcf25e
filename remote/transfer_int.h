/* Internals of the transfer engine shared by transfer.c, transfer_conn.c,
 * transfer_cb.c and transfer_file.c. */
#ifndef CN_TRANSFER_INT_H
#define CN_TRANSFER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "hash.h"
#include "segment.h"
#include "transfer.h"

#define POLL_MS			250	/* every wait in the loop is this short */
#define SAVE_EVERY_S		0.5	/* control files, page cache only: a
					 * kill -9 loses at most this much */
#define DURABLE_EVERY_S		30.0	/* ... with fdatasync + fsync (power
					 * loss; the hash is the backstop) */
#define PROGRESS_EVERY_S	0.5
#define CATCHUP_PER_TURN	(8u << 20)	/* inline hashing per turn (no
						 * thread) */
#define ERRBODY_MAX		(64u << 10)
/* One request asks for at most this much (or 2 segments if larger), then
 * the connection (kept alive) asks for the next piece.  Work stealing
 * splits beyond the piece in flight; only the endgame's cut (below)
 * stops a request short, and no byte already received is thrown away. */
#define REQ_CHUNK		(16ULL << 20)
#define REQ_MIN			(2ULL << 20)	/* smallest piece */
/* A file starts on one connection; after RAMP_S (and every second after)
 * it opens the rest unless that one already moves FAST_BPS: a stream that
 * fast gains nothing from more connections, which only cost the server.
 * Throttled mirrors (a few MB/s per connection) get all of them at once
 * after the first RAMP_S. */
#define RAMP_S			0.05
#define PIECE_S			2.0
#define FAST_BPS		(128.0 * 1024 * 1024)
#define RETRY_AFTER_MAX_S	300.0
/* The endgame: a free connection cuts the segment that would finish
 * last so both end together, when the part it takes is at least
 * CUT_GRAIN and the file ends sooner by more than CUT_WORTH_S after the
 * new request's time to first byte, and after the owner's reconnect too
 * when the cut lands inside its request in flight (aria2c's trade-off:
 * a cut costs a connection, a single-stream tail costs seconds). */
#define CUT_GRAIN		(128ULL << 10)
#define CUT_WORTH_S		0.03
/* A source of a multi-source file that failed this often in a row with
 * no byte is drained: its segments go to the others. */
#define SRC_DRAIN_FAILS		3
#define MAX_SRC			4

/* Why a callback stopped a transfer (returned a short count). */
enum stop_why {
	STOP_NONE = 0,
	STOP_CUT,		/* segment full (it was split): success */
	STOP_NORANGE,		/* 200 to a Range request */
	STOP_PROTO,		/* wrong length / Content-Range: retry */
	STOP_WRITE,		/* pwrite failed: fail the file */
	STOP_ERRBODY,		/* error body too long: status decides */
};

struct xfile;
struct engine;

/* One origin (scheme://host:port) shared by every file (origin.c). */
struct origin {
	struct origin	*next;
	char		*key;
	int		 nconns;	/* connections holding a segment */
	int		 limit;		/* 0: none; lowered on repeated 429 */
	int		 n429;		/* 429s since the last good answer */
	double		 paused_until;	/* no new request before this */
	double		 ttfb;		/* EWMA time to first byte, s */
};

/* One source of one file: the plan's url or an alternative. */
struct xsrc {
	const char	*name;		/* "hf", "modelscope" */
	const char	*url;
	char *const	*headers;	/* NULL-terminated or NULL */
	struct origin	*origin;
	char		*cdn_url;	/* last redirect target, reused */
	int		 budget;	/* connections allowed */
	int		 nconns;
	uint64_t	 bytes;		/* body bytes written from it, this
					 * attempt */
	uint64_t	 total;		/* ... earlier attempts */
	int		 fails;		/* in a row without a byte */
	bool		 drained;
	double		 rate;		/* bytes/s of one connection (EWMA) */
};

struct origin *origin_get(struct origin **list, const char *url);
void	origin_list_free(struct origin *l);
/* May a new request go to o now (not paused, under its cap)? */
bool	origin_open(const struct origin *o, double now);
/* A 429: pause o for wait_s (the longest pause wins), and halve its
 * connections when it keeps answering 429.  Returns the pause left. */
double	origin_rate_limited(struct origin *o, double wait_s, double now);
void	origin_ok(struct origin *o);
/* Integer parameter `name` of a RateLimit/RateLimit-Policy value, or -1. */
long	ratelimit_param(const char *v, const char *name);

struct conn {
	struct engine	*e;
	struct xfile	*f;
	struct conn	*next;
	CURL		*h;
	struct curl_slist *hdrs;
	int		 src;		/* index in f->src */
	uint64_t	 seg_start;	/* key of its segment (segmap_find) */
	uint64_t	 req_off;	/* file offset the request starts at */
	uint64_t	 req_end;	/* exclusive end the server will send */
	uint64_t	 skip;		/* body bytes to discard (no Range) */
	uint64_t	 got;		/* body bytes of this request */
	bool		 ranged;
	bool		 running;	/* added to the multi handle */
	bool		 checked;	/* response validated */
	bool		 via_cdn;	/* requested f->cdn_url directly */
	enum stop_why	 why;
	int		 werrno;
	char		 proto_msg[160];
	long		 status;
	int64_t		 cr_start, cr_end, cr_total, clen;
	/* The resolve hop's identity of the file (X-Linked-Size,
	 * X-Linked-Etag; a Xet bridge's 302 carries them): checked against
	 * the plan before the first byte is kept.  -1 / "" when absent. */
	int64_t		 linked_size;
	char		 linked_etag[65];
	long		 retry_after;
	long		 rl_reset;	/* RateLimit t= (s), or -1 */
	long		 rl_window;	/* RateLimit-Policy w= (s), or -1 */
	double		 last_byte;
	double		 req_t0;	/* when this request started */
	double		 win_start;
	uint64_t	 win_bytes;
	int		 fails;		/* in a row without a new byte */
	double		 wake_at;	/* > 0: waiting to retry */
	char		 errbuf[CURL_ERROR_SIZE];
};

struct xfile {
	const struct plan_file *pf;
	size_t		 idx;
	bool		 active;
	bool		 skip;		/* nothing to fetch (cached) */
	bool		 started;	/* opened (or linked) once */
	char		*part;
	char		*ctl;
	int		 fd;
	struct segmap	*map;
	enum hash_kind	 kind;
	struct hasher	*hash;
	struct hash_job	 hj;		/* the hashing pool's view of it */
	bool		 no_range;
	struct xsrc	 src[MAX_SRC];
	int		 nsrc;
	int		 only_src;	/* >= 0: fetch from this one only (a
					 * hash failure being pinned down) */
	bool		 pinning;	/* ... after a mismatch with several */
	unsigned	 tried_alone;	/* bit k: source k alone failed too */
	int		 verify_tries;
	int		 nconns;
	struct conn	*conns;
	uint64_t	 fetched;	/* body bytes received for it */
	double		 piece_rate;	/* bytes/s of one connection (EWMA
					 * over finished pieces) */
	int		 allow;		/* connections allowed now (ramp) */
	double		 ramp_t0;
	uint64_t	 ramp_bytes;
	bool		 ramp_later;
	bool		 dirty;
	double		 saved_at;
	double		 durable_at;
};

struct engine {
	const struct plan *p;
	const struct transfer_opts *o;
	struct transfer_stats *st;
	CURLM		*multi;
	struct xfile	*files;
	size_t		 next_file;
	int		 nactive;
	uint64_t	 committed;	/* bytes of committed files */
	double		 last_progress;
	uint64_t	 fetched_then;
	double		 rate;
	unsigned	 total_fails;
	int		 abort_code;	/* stop everything with this */
	bool		 catchup_pending;
	struct hash_pool *hpool;	/* one hashing thread for all files */
	struct origin	*origins;
	json_t		*src_bytes;	/* source name -> bytes, all files */
	int		 pool;		/* -x times the files run at once */
	size_t		 waiting;	/* files not started yet */
};


static inline double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Events, failures and files (transfer.c). */
void	xfer_emit(struct engine *e, const char *event, json_t *fields);
void	xfer_record_failure(struct engine *e, int code, const char *msg);
/* Drop c from its file, releasing its segment. */
void	xfer_conn_release(struct conn *c);
/* {"hf": N, "modelscope": M}: what each source carried for f. */
json_t	*xfer_src_json(const struct xfile *f);
void	xfer_file_fail(struct engine *e, struct xfile *f, int code,
	    const char *msg);

/* Connections and their requests (transfer_conn.c). */
int	xfer_conn_new(struct engine *e, struct xfile *f, size_t segi, int src);
/* Start c's next request now, or when its origin allows; c may be gone
 * afterwards. */
int	xfer_conn_go(struct engine *e, struct conn *c);
/* Schedule c again after a failure, or fail its file; false when the
 * file failed (c is gone then). */
bool	xfer_conn_retry(struct engine *e, struct conn *c, const char *reason,
	    long retry_after_s, bool counts);
/* Release f's connections to drained sources. */
void	xfer_reap_drained(struct xfile *f);
/* c's request ended with cc: account for it and go on, retry or fail. */
void	xfer_conn_done(struct engine *e, struct conn *c, CURLcode cc);

/* libcurl callbacks (transfer_cb.c); arg is the struct conn. */
size_t	xfer_on_header(char *data, size_t size, size_t nmemb, void *arg);
size_t	xfer_on_body(char *data, size_t size, size_t nmemb, void *arg);

/* Partial files (transfer_file.c). */
int	xfer_file_open(struct engine *e, struct xfile *f, char **msg);
/* Save f's control file; with durable, the data first. */
void	xfer_save_ctl(struct xfile *f, bool durable, double now);

#endif

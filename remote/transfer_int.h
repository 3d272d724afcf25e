/* Internals of the transfer engine shared by transfer.c and transfer_cb.c. */
#ifndef CN_TRANSFER_INT_H
#define CN_TRANSFER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

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
 * splits only beyond the piece in flight, so no request is ever cut
 * short and no byte in flight is thrown away. */
#define REQ_CHUNK		(16ULL << 20)
#define REQ_MIN			(2ULL << 20)	/* smallest piece */
/* A file starts on one connection; after RAMP_S (and every second after)
 * it opens the rest unless that one already moves FAST_BPS: a stream that
 * fast gains nothing from more connections, which only cost the server.
 * Throttled mirrors (a few MB/s per connection) get all of them at once
 * after the first RAMP_S. */
#define RAMP_S			0.1
#define PIECE_S			2.0
#define FAST_BPS		(128.0 * 1024 * 1024)
#define RETRY_AFTER_MAX_S	300.0

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

struct conn {
	struct engine	*e;
	struct xfile	*f;
	struct conn	*next;
	CURL		*h;
	struct curl_slist *hdrs;
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
	long		 retry_after;
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
	char		*cdn_url;	/* last redirect target, reused */
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
};


static inline double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* libcurl callbacks (transfer_cb.c); arg is the struct conn. */
size_t	xfer_on_header(char *data, size_t size, size_t nmemb, void *arg);
size_t	xfer_on_body(char *data, size_t size, size_t nmemb, void *arg);

/* Partial files (transfer_file.c). */
int	xfer_file_open(struct engine *e, struct xfile *f, char **msg);
/* Save f's control file; with durable, the data first. */
void	xfer_save_ctl(struct xfile *f, bool durable, double now);

#endif

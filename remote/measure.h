/*
 * Endpoint measurement, from the box: DNS, connect, TLS, time to first
 * byte and a short ranged throughput sample for each URL, all at once on
 * one libcurl multi handle, within one overall time bound.  Used by
 * `cnorch-agent probe` (cnorch doctor and mirrors "auto") and by the
 * planner's --source auto.
 *
 * Who frees: measure_run() fills an array the caller owns; release each
 * entry with measure_release() and then free the array.
 */
#ifndef CN_MEASURE_H
#define CN_MEASURE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "http.h"

struct measure {
	char		*url;
	bool		 ok;		/* answered 2xx/3xx within bounds */
	long		 status;	/* HTTP status, 0 if none */
	double		 dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms;
	uint64_t	 bytes;		/* body bytes received */
	double		 rate_bps;	/* body bytes / transfer time */
	char		*error;		/* why not ok, or NULL */
};

/*
 * Measure every URL in parallel, asking for at most sample_bytes of each
 * (Range request) and giving up on all of them after timeout_ms.
 * *out receives an array of n entries in the order of urls.
 */
int	measure_run(const struct http_conf *c, const char *const *urls,
	    size_t n, uint64_t sample_bytes, long timeout_ms,
	    struct measure **out);
void	measure_release(struct measure *m);

/* One entry as a JSON object (new reference), NULL on allocation failure. */
json_t	*measure_json(const struct measure *m);

/*
 * Rank entries: ok before failed, then by rate (higher first), then by
 * time to first byte (lower first).  Fills order[0..n) with indices.
 */
void	measure_rank(const struct measure *m, size_t n, size_t *order);

#endif

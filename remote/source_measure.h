/*
 * The measured part of --source auto: before planning, measure the HF
 * endpoint and ModelScope for the repo (measure.h, both at once, a short
 * time bound) and say whether ModelScope should be tried first.
 *
 * ModelScope goes first when the HF endpoint is failing (no answer,
 * transport error, 429 or 5xx; a 401/403/404 is an answer about the repo
 * and is left to the planner's usual handling) or measured much slower
 * (below 1/SOURCE_SLOWER_FACTOR of ModelScope's rate, judged only when
 * both samples are at least SOURCE_MIN_SAMPLE bytes: the rate of a tiny
 * reply is noise), and ModelScope answered for the repo.  The caller
 * still plans from ModelScope and goes back to the HF path if that
 * fails (the repo is not there after all).
 *
 * Who frees: *why is malloc'd; the caller frees it.
 */
#ifndef CN_SOURCE_MEASURE_H
#define CN_SOURCE_MEASURE_H

#include <stdbool.h>

#include "http.h"

#define SOURCE_MEASURE_MS	3000
#define SOURCE_SLOWER_FACTOR	4.0
#define SOURCE_MIN_SAMPLE	(64 * 1024)

/*
 * hf_ep and ms_ep without trailing slashes; rev NULL means "main".
 * Returns true with *why set ("measured: hf-mirror failing (HTTP 503);
 * ModelScope 2.1 MiB/s") when ModelScope should be tried first, else
 * false with *why NULL.
 */
bool	source_measure_prefers_ms(const struct http_conf *c,
	    const char *hf_ep, const char *ms_ep, const char *repo,
	    const char *rev, char **why);

/*
 * The decision alone, from two measurements (for the unit tests).
 */
struct measure;
bool	source_measure_decide(const struct measure *hf,
	    const struct measure *ms, char **why);

#endif

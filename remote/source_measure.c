/*
 * The measured preference of --source auto (see source_measure.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "measure.h"
#include "source_measure.h"

static bool
failing(const struct measure *m)
{
	if (m->ok)
		return false;
	/* An answer about the repo is not a failing mirror. */
	return !(m->status == 401 || m->status == 403 || m->status == 404);
}

static void
fmt_rate(char *buf, size_t n, double bps)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB" };
	size_t i = 0;

	while (bps >= 1024 && i < 3) {
		bps /= 1024;
		i++;
	}
	snprintf(buf, n, i == 0 ? "%.0f %s/s" : "%.1f %s/s", bps, u[i]);
}

bool
source_measure_decide(const struct measure *hf, const struct measure *ms,
    char **why)
{
	char a[32], b[32];
	int k;

	*why = NULL;
	if (!ms->ok)
		return false;
	fmt_rate(b, sizeof(b), ms->rate_bps);
	if (failing(hf))
		k = asprintf(why, "measured: the HF endpoint is failing (%s), "
		    "ModelScope answers (%s)", hf->error != NULL ? hf->error :
		    "no answer", b);
	else if (hf->ok && hf->bytes >= SOURCE_MIN_SAMPLE &&
	    ms->bytes >= SOURCE_MIN_SAMPLE &&
	    hf->rate_bps * SOURCE_SLOWER_FACTOR < ms->rate_bps) {
		fmt_rate(a, sizeof(a), hf->rate_bps);
		k = asprintf(why, "measured: the HF endpoint is much slower "
		    "(%s) than ModelScope (%s)", a, b);
	} else
		return false;
	if (k < 0)
		*why = NULL;
	return true;
}

bool
source_measure_prefers_ms(const struct http_conf *c, const char *hf_ep,
    const char *ms_ep, const char *repo, const char *rev, char **why)
{
	struct measure *m = NULL;
	char *urls[2] = { NULL, NULL };
	bool yes = false;

	*why = NULL;
	if (asprintf(&urls[0], "%s/api/models/%s/revision/%s", hf_ep, repo,
	    rev != NULL ? rev : "main") < 0)
		urls[0] = NULL;
	if (asprintf(&urls[1], "%s/api/v1/models/%s/revisions", ms_ep,
	    repo) < 0)
		urls[1] = NULL;
	if (urls[0] == NULL || urls[1] == NULL ||
	    measure_run(c, (const char *const *)urls, 2, 256 * 1024,
	    SOURCE_MEASURE_MS, &m) != CN_OK)
		goto out;
	yes = source_measure_decide(&m[0], &m[1], why);
 out:
	if (m != NULL) {
		measure_release(&m[0]);
		measure_release(&m[1]);
		free(m);
	}
	free(urls[0]);
	free(urls[1]);
	return yes;
}

/* The one HTTP status classification and retry wait of the agent. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "retry.h"

enum http_class
http_status_class(long status)
{
	if (status >= 200 && status < 300)
		return HTTP_CLASS_OK;
	if (status == 429)
		return HTTP_CLASS_RATE_LIMITED;
	/* 416: a range past the end usually means the file changed under
	 * a CDN cache; a new request sorts it out or the retries run out. */
	if (status == 408 || status == 416 || (status >= 500 && status < 600))
		return HTTP_CLASS_RETRY;
	if (status == 404)
		return HTTP_CLASS_NOT_FOUND;
	if (status == 401 || status == 403)
		return HTTP_CLASS_DENIED;
	return HTTP_CLASS_FATAL;
}

int
http_class_retryable(enum http_class k)
{
	return k == HTTP_CLASS_RETRY || k == HTTP_CLASS_RATE_LIMITED;
}

int
http_class_err(enum http_class k)
{
	switch (k) {
	case HTTP_CLASS_OK:
		return CN_OK;
	case HTTP_CLASS_NOT_FOUND:
		return CN_ERR_NOT_FOUND;
	case HTTP_CLASS_DENIED:
		return CN_ERR_ACCESS;
	case HTTP_CLASS_RETRY:
	case HTTP_CLASS_RATE_LIMITED:
		return CN_ERR_RETRIES;
	case HTTP_CLASS_FATAL:
		break;
	}
	return CN_ERR_HTTP;
}

double
retry_wait(double base_s, double max_s, int attempt, long retry_after_s,
    double retry_after_max_s)
{
	static int seeded;
	double d = base_s, ra;
	int i;

	if (!seeded) {
		srandom((unsigned)time(NULL) ^ (unsigned)getpid());
		seeded = 1;
	}
	for (i = 1; i < attempt && d < max_s; i++)
		d *= 2;
	if (d > max_s)
		d = max_s;
	d = d / 2 + d / 2 * ((double)random() / (double)RAND_MAX);
	if (retry_after_s >= 0) {
		ra = (double)retry_after_s;
		if (ra > retry_after_max_s)
			ra = retry_after_max_s;
		if (ra > d)
			d = ra;
	}
	return d;
}

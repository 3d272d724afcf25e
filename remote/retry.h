/*
 * The agent's one HTTP retry policy, shared by http_get_json() (API
 * calls) and the transfer engine (file bodies): what a status means, and
 * how long to wait before the next try (exponential backoff with jitter,
 * capped; a Retry-After is honoured as the minimum wait).
 */
#ifndef CN_RETRY_H
#define CN_RETRY_H

enum http_class {
	HTTP_CLASS_OK,			/* 2xx */
	HTTP_CLASS_RETRY,		/* 408, 416, 5xx: try again later */
	HTTP_CLASS_RATE_LIMITED,	/* 429: wait Retry-After if given */
	HTTP_CLASS_NOT_FOUND,		/* 404 */
	HTTP_CLASS_DENIED,		/* 401, 403: a token is needed */
	HTTP_CLASS_FATAL,		/* anything else: give up */
};

enum http_class http_status_class(long status);
/* Is a response of class k worth another try? */
int	http_class_retryable(enum http_class k);
/*
 * The CN_ERR_* a final response of class k means: CN_OK,
 * CN_ERR_NOT_FOUND, CN_ERR_ACCESS, CN_ERR_RETRIES (retries spent) or
 * CN_ERR_HTTP.
 */
int	http_class_err(enum http_class k);

/*
 * Wait before try attempt+1 (attempt counts from 1): d = base_s *
 * 2^(attempt-1), capped at max_s, then jittered into [d/2, d] so clients
 * that failed together do not come back together.  A retry_after_s >= 0
 * (the server's Retry-After) is the minimum wait; it is itself capped at
 * retry_after_max_s.
 */
double	retry_wait(double base_s, double max_s, int attempt,
	    long retry_after_s, double retry_after_max_s);

#endif

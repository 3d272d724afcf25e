/*
 * One error range for the whole project (after OpenSSH's ssherr.h).
 * CN_OK is 0, failures are negative CN_ERR_* values; CN_ERR_SYSTEM means
 * "look at errno".  Library codes are translated in exactly one place each:
 * cn_err_from_libssh2() (orchestrator/) and cn_err_from_curl() (remote/).
 */
#ifndef CN_ERROR_H
#define CN_ERROR_H

#define CN_OK				0
#define CN_ERR_SYSTEM			-1	/* see errno */
#define CN_ERR_NOMEM			-2
#define CN_ERR_INVALID			-3	/* bad argument or input */
#define CN_ERR_PARSE			-4	/* malformed JSON, config, reply */
#define CN_ERR_NOT_FOUND		-5
#define CN_ERR_EXISTS			-6
#define CN_ERR_IO			-7
#define CN_ERR_TIMEOUT			-8
#define CN_ERR_CONNECT			-9	/* TCP connect or resolve failed */
#define CN_ERR_HOSTKEY_UNKNOWN		-10
#define CN_ERR_HOSTKEY_CHANGED		-11
#define CN_ERR_AUTH			-12	/* SSH authentication failed */
#define CN_ERR_SSH			-13	/* other SSH protocol failure */
#define CN_ERR_REMOTE			-14	/* a remote command failed */
#define CN_ERR_HTTP			-15	/* unexpected HTTP status */
#define CN_ERR_CURL			-16	/* transport failure in libcurl */
#define CN_ERR_VERIFY			-17	/* hash or size mismatch */
#define CN_ERR_NOSPACE			-18
#define CN_ERR_UNSAFE_PATH		-19
#define CN_ERR_LOCKED			-20
#define CN_ERR_ACCESS			-21	/* 401/403: token needed */
#define CN_ERR_STALL			-22
#define CN_ERR_RETRIES			-23	/* retry budget exhausted */
#define CN_ERR_AGAIN			-24	/* would block: not a failure */
#define CN_ERR_INTERRUPTED		-25
#define CN_ERR_UNSUPPORTED		-26
#define CN_ERR_USAGE			-27
#define CN_ERR_PROTOCOL			-28	/* peer broke the contract */
#define CN_ERR_MIN			-28

/* Static string for r; never NULL, also for unknown codes. */
const char *cn_strerror(int r);

/*
 * Set the message out-parameter *msg to a malloc'd printf of fmt (the
 * caller frees), or NULL when memory runs out: the one spelling of the
 * `if (asprintf(msg, …) < 0) *msg = NULL;` every step used to copy.
 */
void cn_msg(char **msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

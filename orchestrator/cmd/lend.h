/*
 * lend: the commands' glue for --via-laptop-proxy[=URL] (pull, provision,
 * resume).  lend_open() picks the laptop's proxy (the URL given, else
 * https_proxy, all_proxy), opens a second SSH session to the host for the
 * forward alone (ssh/forward.h drives it from its own thread, so the
 * follow's session is never shared) and says what the agent gets:
 * --upstream-endpoint <mirrors.huggingface> --proxy http://127.0.0.1:PORT.
 * lend_close() ends the forward: the port is gone from the box.
 *
 * Who frees: lend_close() (accepts NULL); *msg malloc'd for the caller.
 */
#ifndef CN_CMD_LEND_H
#define CN_CMD_LEND_H

#include <stdbool.h>

struct host;
struct lend;
struct session;

/* Before connecting anywhere: is there a usable laptop proxy for url
 * (NULL: nothing asked)?  CN_OK, or CN_ERR_USAGE with a one-line *msg. */
int	lend_check(const char *url, char **msg);

/* url: NULL or "" for the laptop's environment. */
int	lend_open(const struct host *h, bool interactive, const char *url,
	    struct lend **out, char **msg);

/* What the agent is given as --proxy (the box's side of the forward). */
const char *lend_box_proxy(const struct lend *l);

/* The last rung's endpoint for h (mirrors.huggingface or the default). */
const char *lend_upstream(const struct host *h);

/* Point a job at this forward (box/jobproxy.h). */
int	lend_attach(const struct lend *l, struct session *s,
	    const char *job_id, char **msg);

/*
 * While following job_id: when the forward died with its SSH connection
 * (the laptop is still here), open a new one and point the job at it,
 * over connections of its own.  CN_OK also when nothing was to do.
 */
int	lend_revive(struct lend *l, const char *job_id, char **msg);

void	lend_close(struct lend *l);

#endif

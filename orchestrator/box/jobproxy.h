/*
 * jobproxy: the box's half of a proxy lent by the laptop (cnorch
 * --via-laptop-proxy).  The forward's port on the box changes whenever
 * the laptop comes back, so cnorch writes the job's proxy URL
 * (http://127.0.0.1:<port>, never the laptop proxy's own URL) to
 * ~/.cnorch/jobs/<id>/proxy, which the agent re-reads before each try of
 * the huggingface.co rung.  Nothing goes into env.sh or any dotfile.
 *
 * Who frees: *msg is malloc'd for the caller.
 */
#ifndef CN_JOBPROXY_H
#define CN_JOBPROXY_H

struct session;

/* The name of the file in the job's directory. */
#define LEND_JOB_FILE	"proxy"

/* Write proxy_url to the job's proxy file, atomically, if the job's
 * directory exists (CN_OK either way). */
int	lend_tell_job(struct session *s, const char *job_id,
	    const char *proxy_url, char **msg);

/* The script lend_tell_job() runs (sh -s), malloc'd; NULL on ENOMEM. */
char	*lend_tell_script(const char *job_id, const char *proxy_url);

#endif

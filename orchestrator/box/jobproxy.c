/* jobproxy: tell a job on the box where its lent proxy listens now. */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "error.h"
#include "jobproxy.h"
#include "script.h"
#include "session.h"

char *
lend_tell_script(const char *job_id, const char *proxy_url)
{
	struct script *s;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "set -u\numask 077\nj=");
	script_job_path(s, job_id, NULL);
	script_code(s, "\n");
	script_let(s, "u", proxy_url);
	/* A job not started yet gets --proxy on its command line. */
	script_code(s, "[ -d \"$j\" ] || exit 0\n"
	    "printf '%s\\n' \"$u\" > \"$j/.proxy.tmp\" &&\n"
	    "mv -f \"$j/.proxy.tmp\" \"$j/" LEND_JOB_FILE "\"\n");
	return script_finish(s);
}

int
lend_tell_job(struct session *s, const char *job_id, const char *proxy_url,
    char **msg)
{
	struct buf out = { 0 };
	char *script, *why = NULL;
	int r, status = -1;

	*msg = NULL;
	if ((script = lend_tell_script(job_id, proxy_url)) == NULL)
		return CN_ERR_NOMEM;
	if ((r = script_run(s, script, &out, &status, 60, &why)) != CN_OK)
		cn_msg(msg, "%s: cannot tell the job its proxy: %s", job_id,
		    why != NULL ? why : cn_strerror(r));
	else if (status != 0) {
		r = CN_ERR_REMOTE;
		cn_msg(msg, "%s: cannot write the job's proxy file (exit %d)",
		    job_id, status);
	}
	free(why);
	free(script);
	buf_release(&out);
	return r;
}

/* jobcmd: connect, connect-and-list, error notes and the rendered follower. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "connect.h"
#include "error.h"
#include "inventory.h"
#include "jobcmd.h"
#include "jobs.h"
#include "render.h"
#include "session.h"
#include "validate.h"

int
jobcmd_connect(struct render *rd, const struct host *h, bool interactive,
    struct session **s)
{
	char *msg = NULL;
	int r;

	if ((r = host_connect(h, interactive, s, &msg)) != CN_OK) {
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
		r = cmd_connect_err(r);
	}
	free(msg);
	return r;
}

int
jobcmd_connect_list(struct render *rd, const struct host *h,
    bool interactive, struct session **s, struct host_jobs *hj)
{
	char *msg = NULL;
	int r;

	if ((r = jobcmd_connect(rd, h, interactive, s)) != CN_OK)
		goto out;
	if ((r = jobs_list(*s, h->name, h->data_dir, hj, &msg)) != CN_OK)
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
 out:
	free(msg);
	return r;
}

struct job_info *
jobcmd_find(struct render *rd, const char *name, struct host_jobs *hj,
    const char *what)
{
	struct job_info *j;

	if ((j = jobs_find(hj, what)) == NULL)
		render_note(rd, name, true, json_pack("{s:s, s:s, s:s}",
		    "event", "error", "job", what, "message", "no such job"),
		    "no job '%s' (or more than one); see 'cnorch status %s'",
		    what, name);
	return j;
}

void
jobcmd_note_error(struct render *rd, const char *name, const char *msg)
{
	char *copy, *line, *nl;

	if ((copy = strdup(msg != NULL ? msg : "unknown error")) == NULL)
		return;
	for (line = copy; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		render_note(rd, name, true, json_pack("{s:s, s:s}", "event",
		    "error", "message", line), "%s", line);
	}
	free(copy);
}

struct glue {
	struct render		*rd;
	const struct host	*h;
	struct follow_job	*jobs;
	follow_event_cb		 also;
	void			*also_arg;
};

static int
on_event(void *arg, size_t i, json_t *ev)
{
	struct glue *c = arg;

	render_event(c->rd, c->h->name, c->jobs[i].id, ev);
	return c->also != NULL ? c->also(c->also_arg, i, ev) : CN_OK;
}

static void
on_retry(void *arg, int attempt, int max, const char *why)
{
	struct glue *c = arg;

	(void)max;
	render_note(c->rd, c->h->name, true, json_pack("{s:s, s:i, s:s?}",
	    "event", "reconnecting", "attempt", attempt, "why", why),
	    "connection lost; reconnecting (attempt %d)", attempt);
}

int
jobcmd_follow(struct render *rd, struct session **sp, const struct host *h,
    struct follow_job *jobs, size_t n, follow_event_cb also, void *also_arg,
    char **msg)
{
	struct glue c = { rd, h, jobs, also, also_arg };
	struct follow_opts o;

	memset(&o, 0, sizeof(o));
	o.on_event = on_event;
	o.stop = cmd_interrupted;
	o.arg = &c;
	o.on_retry = on_retry;
	return follow_reattach(sp, h, jobs, n, &o, msg);
}

int
jobcmd_follow_to_end(struct render *rd, struct session **sp,
    const struct host *h, struct follow_job *jobs, size_t n,
    follow_event_cb also, void *also_arg)
{
	char *msg = NULL;
	size_t i;
	int r;

	r = jobcmd_follow(rd, sp, h, jobs, n, also, also_arg, &msg);
	for (i = 0; i < n; i++)
		render_forget(rd, h->name, jobs[i].id);
	if (r != CN_OK && r != CN_ERR_INTERRUPTED)
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    *sp != NULL ? session_errmsg(*sp) : cn_strerror(r));
	free(msg);
	return r;
}

/* A validator's refusal as a usage error (2); out of memory stays. */
static int
usage(int r, char **msg)
{
	if (r == CN_OK)
		return CN_OK;
	return r == CN_ERR_INVALID && *msg != NULL ? CN_ERR_USAGE :
	    r == CN_ERR_INVALID ? CN_ERR_NOMEM : r;
}

int
jobcmd_check_pull(const char *repo, const char *revision,
    const char *const *include, size_t ninclude,
    const char *const *exclude, size_t nexclude, char **msg)
{
	size_t i;
	int r;

	*msg = NULL;
	if ((r = validate_repo_id(repo, msg)) != CN_OK)
		return usage(r, msg);
	if (revision != NULL && (r = validate_revision(revision, msg)) !=
	    CN_OK)
		return usage(r, msg);
	for (i = 0; i < ninclude; i++)
		if ((r = validate_glob(include[i], msg)) != CN_OK)
			return usage(r, msg);
	for (i = 0; i < nexclude; i++)
		if ((r = validate_glob(exclude[i], msg)) != CN_OK)
			return usage(r, msg);
	return CN_OK;
}

int
jobcmd_check_job(const char *what, char **msg)
{
	const char *at;
	char *repo;
	int r;

	*msg = NULL;
	if (strchr(what, '/') == NULL)
		return usage(validate_job_id(what, msg), msg);
	/* org/name[@revision]: each part as a pull's. */
	if ((at = strchr(what, '@')) == NULL)
		return usage(validate_repo_id(what, msg), msg);
	if ((repo = strndup(what, (size_t)(at - what))) == NULL)
		return CN_ERR_NOMEM;
	if ((r = validate_repo_id(repo, msg)) == CN_OK)
		r = validate_revision(at + 1, msg);
	free(repo);
	return usage(r, msg);
}

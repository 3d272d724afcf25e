/* daytwo: a host ready for the agent's cache commands, and running them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "doctor.h"
#include "fmt.h"
#include "daytwo.h"
#include "error.h"
#include "inventory.h"
#include "jobcmd.h"
#include "launch.h"
#include "payload.h"
#include "render.h"
#include "session.h"
#include "upload.h"
#include "validate.h"

/* Sizing a plan lists the repo on the hub: a hub that does not answer
 * within this much is the pull's own business. */
#define PLAN_TIMEOUT_S	30

/* A whole-cache verify reads every byte: bounded generously. */
#define AGENT_TIMEOUT_S	(6 * 3600)

int
daytwo_prepare(struct render *rd, const struct host *h, bool interactive,
    struct session **s, struct box_facts *f)
{
	char *msg = NULL;
	bool changed = false;
	int r;

	if ((r = jobcmd_connect(rd, h, interactive, s)) != CN_OK)
		goto out;
	if ((r = box_facts_run(*s, h->data_dir != NULL ? h->data_dir : "~",
	    payload_id(), f, &msg)) != CN_OK) {
		jobcmd_note_error(rd, h->name, msg);
		goto out;
	}
	r = CN_ERR_REMOTE;
	if (f->arch == NULL || strcmp(f->arch, "x86_64") != 0) {
		free(msg);
		if (asprintf(&msg, "unsupported architecture '%s' "
		    "(cnorch-agent is x86_64 only)", f->arch != NULL ?
		    f->arch : "") < 0)
			msg = NULL;
		jobcmd_note_error(rd, h->name, msg);
		goto out;
	}
	if (f->data_dir == NULL || f->data_dir[0] != '/') {
		free(msg);
		if (asprintf(&msg, "data_dir '%s' is not an absolute path on "
		    "the box", f->data_dir != NULL ? f->data_dir : "") < 0)
			msg = NULL;
		jobcmd_note_error(rd, h->name, msg);
		goto out;
	}
	if (!f->payload_present && !f->have_sha256sum) {
		jobcmd_note_error(rd, h->name, "sha256sum not found on the "
		    "box (coreutils)");
		goto out;
	}
	free(msg);
	msg = NULL;
	if ((r = upload_payload(*s, f->home, f->payload_present, &changed,
	    &msg)) != CN_OK) {
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
		goto out;
	}
	if (changed)
		render_note(rd, h->name, false, json_pack("{s:s, s:s}",
		    "event", "upload", "payload", payload_id()),
		    "payload %s uploaded", payload_id());
	r = CN_OK;
 out:
	free(msg);
	return r;
}

int
daytwo_agent(struct render *rd, const struct host *h, struct session *s,
    const struct box_facts *f, enum cacheops_cmd cmd,
    const char *const *args, size_t nargs, cacheops_line_cb cb, void *arg,
    int *status)
{
	char *script, *msg = NULL;
	int r;

	if ((script = cacheops_script(cmd, payload_id(), f->data_dir, args,
	    nargs)) == NULL) {
		jobcmd_note_error(rd, h->name, "out of memory");
		return CN_ERR_NOMEM;
	}
	r = cacheops_run(s, script, cb, arg, status, AGENT_TIMEOUT_S, &msg);
	if (r != CN_OK)
		jobcmd_note_error(rd, h->name, msg != NULL ? msg :
		    cn_strerror(r));
	else if (msg != NULL)
		jobcmd_note_error(rd, h->name, msg);
	free(script);
	free(msg);
	return r;
}

static int
on_gc(void *arg, json_t *o)
{
	int64_t *bytes = arg;
	const char *k = json_string_value(json_object_get(o, "kind"));

	if (k != NULL && strcmp(k, "gc") == 0 &&
	    json_is_integer(json_object_get(o, "bytes")))
		*bytes = json_integer_value(json_object_get(o, "bytes"));
	return 0;
}

void
daytwo_gc_bytes(const struct host *h, struct session *s,
    const struct box_facts *f, int64_t *bytes)
{
	static const char *const args[] = { "--revisions", "--incomplete",
	    "--dry-run" };
	char *script, *msg = NULL;
	int status;

	(void)h;
	*bytes = -1;
	if ((script = cacheops_script(CACHEOPS_GC, payload_id(), f->data_dir,
	    args, 3)) == NULL)
		return;
	if (cacheops_run(s, script, on_gc, bytes, &status, 120, &msg) !=
	    CN_OK || status != 0)
		*bytes = -1;
	free(script);
	free(msg);
}

int
daytwo_fits(struct render *rd, const struct host *h, struct session *s,
    const struct box_facts *f, const struct pull_spec *ps, size_t nps)
{
	struct host th = *h;
	struct launch_env le = { 0 };
	struct launch_pull lp;
	struct pull_spec *todo = NULL;
	enum launch_result res;
	char *unknown = NULL, *upstream = NULL, *msg = NULL, a[32], b[32], g[32];
	int64_t need = -1, avail, gcb;
	size_t i, n = 0;
	int r = CN_OK;

	if (f->avail_kb < 0 || nps == 0)
		return CN_OK;
	avail = f->avail_kb * 1024;
	/* Only pulls a launch would start need room: sizing the others
	 * would ask the hub for plans of what is complete or running. */
	if ((todo = calloc(nps, sizeof(*todo))) == NULL)
		return CN_ERR_NOMEM;
	le.payload_id = payload_id();
	le.data_dir = f->data_dir;
	for (i = 0; i < nps; i++) {
		lp = launch_pull_of(&ps[i]);
		free(msg);
		msg = NULL;
		if (launch_check(s, &le, &lp, &res, &msg) != CN_OK ||
		    res == LAUNCH_STARTED)
			todo[n++] = ps[i];
	}
	free(msg);
	msg = NULL;
	if (n == 0)
		goto out;
	th.pulls = todo;
	th.npulls = n;
	/* Sizes that cannot be told (hub down, gated) are the pull's own
	 * business: it says so better. */
	/* A repo only huggingface.co has (upstream) is left out of need:
	 * its plan needs the proxy its pull is given. */
	if (doctor_pull_bytes(s, &th, f->data_dir, PLAN_TIMEOUT_S, &need,
	    &unknown, &upstream, &msg) != CN_OK || need < 0 || need <= avail)
		goto out;
	daytwo_gc_bytes(h, s, f, &gcb);
	fmt_bytes(a, sizeof(a), (double)avail);
	fmt_bytes(b, sizeof(b), (double)need);
	fmt_bytes(g, sizeof(g), gcb > 0 ? (double)gcb : 0);
	render_note(rd, h->name, true, json_pack("{s:s, s:s, s:s, s:I, s:I}",
	    "event", "error", "message", "not enough space", "dir",
	    f->data_dir, "free", (json_int_t)avail, "needed",
	    (json_int_t)need), "not enough space on %s: %s free, %s needed",
	    f->data_dir, a, b);
	if (gcb > 0 && avail + gcb >= need)
		render_note(rd, h->name, true, json_pack("{s:s, s:s, s:I}",
		    "event", "hint", "command", "cnorch gc --revisions "
		    "--incomplete", "gc_bytes", (json_int_t)gcb), "'cnorch gc "
		    "%s --revisions --incomplete' would free %s, enough for "
		    "it", h->name, g);
	else if (gcb > 0)
		render_note(rd, h->name, true, json_pack("{s:s, s:I}",
		    "event", "hint", "gc_bytes", (json_int_t)gcb), "'cnorch gc "
		    "%s --revisions --incomplete' would free only %s", h->name,
		    g);
	else
		render_note(rd, h->name, true, json_pack("{s:s, s:I}",
		    "event", "hint", "gc_bytes", (json_int_t)0), "nothing for "
		    "'cnorch gc' to free");
	r = CN_ERR_NOSPACE;
 out:
	free(todo);
	free(unknown);
	free(upstream);
	free(msg);
	return r;
}

int
daytwo_check_repo(const char *repo, char **msg)
{
	if (validate_repo_id(repo, msg) == CN_OK)
		return CN_OK;
	return *msg == NULL ? CN_ERR_NOMEM : CN_ERR_USAGE;
}

const char *
daytwo_jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

double
daytwo_jnum(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : 0;
}

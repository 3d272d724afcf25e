/*
 * cnorch provision TARGET [--no-wait] [--via-laptop-proxy[=URL]]
 *
 * Per host, in order: connect, probe (architecture, $HOME, data_dir and
 * its free space, payload present?), upload the payload if it is new, run
 * setup-china-mirrors.sh with the host's settings, check that the pulls
 * fit on the data disk (daytwo_fits(): else refused with the numbers and
 * the gc hint), start one agent job per pull that is neither complete nor
 * running, and follow the jobs' events until they end (--no-wait: return
 * once launched).  Ctrl-C while following detaches: the jobs keep running
 * on the box.
 *
 * Pulls with "via_laptop_proxy" in the inventory, or every pull with
 * --via-laptop-proxy, get the laptop's proxy for their huggingface.co rung
 * (lend.h): one forward per host, from the flag's URL, else the first such
 * pull's, else https_proxy/all_proxy; it lives while cnorch follows.
 *
 * Recap per host: "NAME: ok=N changed=N failed=N" counting the payload,
 * each setup item and each pull, then one line per pull.  Exit code: 0
 * all hosts ok, 1 a remote step failed, 2 usage or inventory, 3 a host
 * could not be reached, authenticated or its host key verified.
 */
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "connect.h"
#include "daytwo.h"
#include "error.h"
#include "facts.h"
#include "fleet.h"
#include "follow.h"
#include "inventory.h"
#include "jobcmd.h"
#include "lend.h"
#include "jobs.h"
#include "launch.h"
#include "mirror_auto.h"
#include "payload.h"
#include "recap.h"
#include "render.h"
#include "session.h"
#include "setup.h"
#include "upload.h"

/* Below this much free space on data_dir nothing is launched. */
#define SPACE_FLOOR		(1024.0 * 1024 * 1024)

enum pull_outcome {
	PULL_NOT_STARTED,	/* an earlier step failed */
	PULL_ALREADY,		/* complete before this run */
	PULL_LEFT_RUNNING,	/* --no-wait or detached */
	PULL_DONE,		/* finished ok while we followed */
	PULL_FAILED,
};

struct pull_run {
	char		*label;		/* repo@revision */
	char		*job;		/* job id */
	bool		 started;	/* we launched it this run */
	bool		 was_running;	/* it was already running */
	enum pull_outcome outcome;
	double		 bytes;		/* from done / plan */
	double		 planned;	/* plan bytes still to fetch, -1 */
	char		*why;		/* failure, one line */
};

struct host_run {
	int		 ok, changed, failed;
	bool		 unreachable, detached;
	struct pull_run	*pulls;
	size_t		 npulls;
	char		*data_dir;	/* expanded */
	double		 avail;		/* bytes free on data_dir, -1 */
	char		*auto_url[2];	/* mirrors "auto": pypi, conda */
	char		*auto_why[2];	/* ... and why, for the recap */
};

struct provision_opts {
	bool		 no_wait;
	const char	*via_laptop_proxy;	/* "": the laptop's own */
};

/* One run, for the functions below (cmd_run's run, spelled out). */
struct prov {
	const struct host *const *hosts;
	size_t		 nhosts;
	struct host_run	*runs;
	struct render	*rd;
	bool		 no_wait;
	bool		 interactive;
	int		 verbosity;	/* -v shows the setup's ok items */
	const char	*via_laptop_proxy;	/* --via-laptop-proxy, or NULL */
};

static void
note_error(struct prov *p, const char *name, const char *step,
    const char *msg)
{
	json_t *f;
	char *line, *nl;

	if ((line = strdup(msg != NULL ? msg : step)) == NULL)
		return;
	/* One line: a second line (e.g. how to accept a host key) follows
	 * as its own note. */
	if ((nl = strchr(line, '\n')) != NULL)
		*nl++ = '\0';
	f = json_pack("{s:s, s:s, s:s}", "event", "error", "step", step,
	    "message", line);
	render_note(p->rd, name, true, f, "%s", line);
	while (nl != NULL && *nl != '\0') {
		char *next = strchr(nl, '\n');

		if (next != NULL)
			*next++ = '\0';
		f = json_pack("{s:s, s:s, s:s}", "event", "error", "step",
		    step, "message", nl);
		render_note(p->rd, name, true, f, "%s", nl);
		nl = next;
	}
	free(line);
}

/* A step's item: a line, or folded into the host's fleet row. */
static void
note_item(struct prov *p, const char *name, const char *step,
    const char *status, const char *item, const char *msg, bool quiet)
{
	json_t *f;

	if (quiet && render_mode(p->rd) != RENDER_JSON)
		return;
	f = json_pack("{s:s, s:s, s:s, s:s}", "event", step, "status", status,
	    "item", item, "message", msg != NULL ? msg : "");
	/* A payload id reads well enough in 12 hex digits. */
	if (msg != NULL && msg[0] != '\0')
		render_item(p->rd, name, step, status, f, "%s %s %.*s: %s",
		    step, status, strcmp(step, "payload") == 0 ? 12 : 1000,
		    item, msg);
	else
		render_item(p->rd, name, step, status, f, "%s %s %.*s", step,
		    status, strcmp(step, "payload") == 0 ? 12 : 1000, item);
}

struct setup_ctx {
	struct prov	*p;
	const char	*name;
	int		 verbosity;
};

static void
on_setup_item(void *arg, enum setup_status st, const char *item,
    const char *msg)
{
	struct setup_ctx *c = arg;
	static const char *const names[] = { "ok", "changed", "warn",
	    "error" };

	/* Quiet ok items still count in the fleet row. */
	note_item(c->p, c->name, "setup", names[st], item, msg,
	    st == SETUP_OK && c->verbosity <= 0 && !render_fleet(c->p->rd));
}

struct follow_ctx {
	struct prov	*p;
	const struct host *h;
	struct host_run	*hr;
	size_t		*map;		/* follow index -> pull index */
	char		*nospace;	/* message when plans do not fit */
};

static double
jnum(json_t *o, const char *k, double def)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : def;
}

static int
on_event(void *arg, size_t i, json_t *ev)
{
	struct follow_ctx *c = arg;
	struct pull_run *pr = &c->hr->pulls[c->map[i]];
	const char *e = json_string_value(json_object_get(ev, "event"));
	char a[32], b[32];
	double need = 0, total;
	size_t k;

	/* jobcmd_follow() drew the event already. */
	if (e == NULL)
		return CN_OK;
	if (strcmp(e, "plan") == 0) {
		total = jnum(ev, "bytes_total", -1);
		/* What is still to come: the agent may say, else all. */
		pr->planned = jnum(ev, "bytes_needed", total >= 0 ?
		    total - jnum(ev, "bytes_done", 0) : -1);
		if (!pr->started || c->hr->avail < 0)
			return CN_OK;
		for (k = 0; k < c->hr->npulls; k++)
			if (c->hr->pulls[k].started &&
			    c->hr->pulls[k].planned > 0)
				need += c->hr->pulls[k].planned;
		if (need > c->hr->avail) {
			fmt_bytes(a, sizeof(a), c->hr->avail);
			fmt_bytes(b, sizeof(b), need);
			if (asprintf(&c->nospace, "not enough space on %s: "
			    "%s free, %s needed", c->hr->data_dir, a, b) < 0)
				c->nospace = NULL;
			return CN_ERR_NOSPACE;
		}
	} else if (strcmp(e, "done") == 0) {
		pr->bytes = jnum(ev, "bytes", pr->bytes);
	} else if (strcmp(e, "error") == 0) {
		free(pr->why);
		pr->why = json_is_string(json_object_get(ev, "message")) ?
		    strdup(json_string_value(json_object_get(ev,
		    "message"))) : NULL;
	}
	return CN_OK;
}

/* The URL of h's first pull with "via_laptop_proxy": "URL", or NULL. */
static const char *
first_lent_url(const struct host *h)
{
	size_t i;

	for (i = 0; i < h->npulls; i++)
		if (h->pulls[i].via_laptop_proxy &&
		    h->pulls[i].laptop_proxy != NULL)
			return h->pulls[i].laptop_proxy;
	return NULL;
}

static void
pull_label(const struct pull_spec *ps, char **out)
{
	if (asprintf(out, "%s@%s", ps->repo, ps->revision != NULL ?
	    ps->revision : "main") < 0)
		*out = NULL;
}

static int
do_follow(struct prov *p, const struct host *h, struct host_run *hr,
    struct session **sp)
{
	struct follow_job *jobs = NULL;
	struct follow_ctx c = { p, h, hr, NULL, NULL };
	const char **ids = NULL;
	char *msg = NULL;
	size_t n = 0, i, k;
	int r, ret = CN_OK;

	if ((jobs = calloc(hr->npulls, sizeof(*jobs))) == NULL ||
	    (c.map = calloc(hr->npulls, sizeof(*c.map))) == NULL ||
	    (ids = calloc(hr->npulls, sizeof(*ids))) == NULL) {
		ret = CN_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < hr->npulls; i++) {
		if (!hr->pulls[i].started && !hr->pulls[i].was_running)
			continue;
		if ((jobs[n].id = strdup(hr->pulls[i].job)) == NULL) {
			ret = CN_ERR_NOMEM;
			goto out;
		}
		c.map[n++] = i;
	}
	if (n == 0)
		goto out;
	r = jobcmd_follow(p->rd, sp, h, jobs, n, on_event, &c, &msg);
	/* Ctrl-C while the connection was down is a detach too. */
	if (cmd_interrupted(NULL) && r != CN_OK && r != CN_ERR_NOSPACE)
		r = CN_ERR_INTERRUPTED;
	if (r == CN_ERR_INTERRUPTED) {
		hr->detached = true;
		for (k = 0; k < n; k++)
			if (!jobs[k].done) {
				hr->pulls[c.map[k]].outcome =
				    PULL_LEFT_RUNNING;
				render_forget(p->rd, h->name, jobs[k].id);
			}
	}
	if (r == CN_ERR_NOSPACE) {
		/* Plans do not fit the disk: stop what we started. */
		size_t ns = 0;

		for (k = 0; k < n; k++)
			if (hr->pulls[c.map[k]].started)
				ids[ns++] = jobs[k].id;
		if (*sp != NULL)
			(void)jobs_stop(*sp, payload_id(), ids, ns, 0, NULL);
		note_error(p, h->name, "space", c.nospace);
		for (k = 0; k < n; k++) {
			struct pull_run *pr = &hr->pulls[c.map[k]];

			render_forget(p->rd, h->name, jobs[k].id);
			if (!pr->started)
				continue;
			pr->outcome = PULL_FAILED;
			free(pr->why);
			pr->why = strdup("stopped: not enough space");
		}
		ret = CN_ERR_REMOTE;
		goto count;
	}
	if (r != CN_OK && r != CN_ERR_INTERRUPTED) {
		if (r == CN_ERR_PROTOCOL)
			note_error(p, h->name, "follow", "lost track of the "
			    "jobs' events (the follower on the box ended)");
		else
			note_error(p, h->name, "follow", msg != NULL ? msg :
			    *sp != NULL ? session_errmsg(*sp) :
			    cn_strerror(r));
		render_note(p->rd, h->name, true, json_pack("{s:s, s:s}",
		    "event", "error", "message", "jobs keep running"),
		    "jobs keep running; reattach with: cnorch logs %s -f",
		    h->name);
		for (k = 0; k < n; k++)
			if (!jobs[k].done)
				hr->pulls[c.map[k]].outcome =
				    PULL_LEFT_RUNNING;
		ret = r;
	}
	for (k = 0; k < n; k++) {
		struct pull_run *pr = &hr->pulls[c.map[k]];

		if (!jobs[k].done)
			continue;
		if (jobs[k].ok)
			pr->outcome = PULL_DONE;
		else {
			pr->outcome = PULL_FAILED;
			if (pr->why == NULL && asprintf(&pr->why, "job ended "
			    "%s", jobs[k].end_state[0] != '\0' ?
			    jobs[k].end_state : "failed") < 0)
				pr->why = NULL;
		}
	}
 count:
	for (k = 0; k < n; k++) {
		struct pull_run *pr = &hr->pulls[c.map[k]];

		if (pr->outcome == PULL_FAILED)
			hr->failed++;
		else if (pr->started)
			hr->changed++;
		else
			hr->ok++;
	}
 out:
	if (jobs != NULL)
		for (i = 0; i < n; i++)
			follow_release(&jobs[i]);
	free(jobs);
	free(c.map);
	free(ids);
	free(c.nospace);
	free(msg);
	return ret;
}

static int
provision_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct provision_opts *opts = run->opts;
	struct prov pv = { run->hosts, run->nhosts, run->host_state, run->rd,
	    opts->no_wait, run->interactive, run->ctx->verbosity,
	    opts->via_laptop_proxy }, *p = &pv;
	struct host_run *hr = cmd_host_state(run, h);
	struct session *s = NULL;
	struct box_facts pr = { 0 };
	struct setup_opts so = { 0 };
	struct setup_result sres;
	struct setup_ctx sc;
	struct launch_env le = { 0 };
	struct launch_pull lp;
	struct box_job_state js;
	enum launch_result lres;
	struct lend *lend = NULL;
	const char *lend_url;
	char *msg = NULL, a[32], b[32];
	bool changed = false;
	size_t i;
	int r, ret = CN_ERR_REMOTE;

	(void)o;
	if (hr == NULL)
		return CN_ERR_INVALID;
	hr->avail = -1;
	if ((hr->pulls = calloc(h->npulls + 1, sizeof(*hr->pulls))) == NULL)
		goto out;
	hr->npulls = h->npulls;
	for (i = 0; i < h->npulls; i++) {
		pull_label(&h->pulls[i], &hr->pulls[i].label);
		lp = launch_pull_of(&h->pulls[i]);
		hr->pulls[i].job = job_id(&lp);
		hr->pulls[i].planned = -1;
		if (hr->pulls[i].label == NULL || hr->pulls[i].job == NULL)
			goto out;
	}

	/* connect */
	if ((r = host_connect(h, p->interactive, &s, &msg)) != CN_OK) {
		note_error(p, h->name, "connect", msg != NULL ? msg :
		    cn_strerror(r));
		hr->unreachable = true;
		ret = cmd_connect_err(r);
		goto out;
	}

	/* probe */
	if ((r = box_facts_run(s, h->data_dir != NULL ? h->data_dir :
	    "~", payload_id(), &pr, &msg)) != CN_OK) {
		note_error(p, h->name, "probe", msg);
		hr->failed++;
		ret = r;
		goto out;
	}
	if (strcmp(pr.arch, "x86_64") != 0) {
		free(msg);
		if (asprintf(&msg, "unsupported architecture '%s' "
		    "(cnorch-agent is x86_64 only)", pr.arch) < 0)
			msg = NULL;
		note_error(p, h->name, "probe", msg);
		hr->failed++;
		goto out;
	}
	if (pr.data_dir[0] != '/') {
		free(msg);
		if (asprintf(&msg, "data_dir '%s' is not an absolute path on "
		    "the box", pr.data_dir) < 0)
			msg = NULL;
		note_error(p, h->name, "probe", msg);
		hr->failed++;
		goto out;
	}
	if (!pr.have_sha256sum) {
		note_error(p, h->name, "probe", "sha256sum not found on the "
		    "box (coreutils)");
		hr->failed++;
		goto out;
	}
	if ((hr->data_dir = strdup(pr.data_dir)) == NULL)
		goto out;
	if (pr.avail_kb >= 0)
		hr->avail = (double)pr.avail_kb * 1024;
	if (h->npulls > 0 && hr->avail >= 0 && hr->avail < SPACE_FLOOR) {
		fmt_bytes(a, sizeof(a), hr->avail);
		fmt_bytes(b, sizeof(b), SPACE_FLOOR);
		free(msg);
		if (asprintf(&msg, "not enough space on %s: %s free, %s "
		    "needed", pr.data_dir, a, b) < 0)
			msg = NULL;
		note_error(p, h->name, "space", msg);
		hr->failed++;
		goto out;
	}
	if (cmd_interrupted(NULL))
		goto interrupted;

	/* upload */
	render_phase(p->rd, h->name, RENDER_UPLOAD);
	free(msg);
	msg = NULL;
	if ((r = upload_payload(s, pr.home, pr.payload_present,
	    &changed, &msg)) != CN_OK) {
		note_error(p, h->name, "upload", msg);
		hr->failed++;
		ret = r;
		goto out;
	}
	if (changed)
		hr->changed++;
	else
		hr->ok++;
	note_item(p, h->name, "payload", changed ? "changed" : "ok",
	    payload_id(), changed ? "uploaded" : "present", false);
	if (cmd_interrupted(NULL))
		goto interrupted;

	/* setup */
	render_phase(p->rd, h->name, RENDER_SETUP);
	so.data_dir = pr.data_dir;
	so.hf = h->mirrors.hf;
	so.modelscope = h->mirrors.modelscope;
	/* An explicit mirror as given; "auto" is measured below. */
	if (h->mirrors.pypi != NULL && strcmp(h->mirrors.pypi, "auto") != 0)
		so.pypi = h->mirrors.pypi;
	if (h->mirrors.conda != NULL && strcmp(h->mirrors.conda, "auto") != 0)
		so.conda = h->mirrors.conda;
	/* --- mirrors "auto" (mirror_auto.c): measured from the box --- */
	for (i = 0; i < 2; i++) {
		const char *kind = i == 0 ? "pypi" : "conda";
		const char *v = i == 0 ? h->mirrors.pypi : h->mirrors.conda;

		if (v == NULL || strcmp(v, "auto") != 0)
			continue;
		if (mirror_auto_pick(s, h, kind, &hr->auto_url[i],
		    &hr->auto_why[i]) != CN_OK)
			note_error(p, h->name, "mirror", hr->auto_why[i]);
		else
			note_item(p, h->name, "mirror", hr->auto_url[i] ?
			    "changed" : "warn", kind, hr->auto_why[i], false);
	}
	if (hr->auto_url[0] != NULL)
		so.pypi = hr->auto_url[0];
	if (hr->auto_url[1] != NULL)
		so.conda = hr->auto_url[1];
	/* --- end mirrors "auto" --- */
	so.proxy = h->proxy;
	so.proxy_in_shells = h->proxy_in_shells;
	sc.p = p;
	sc.name = h->name;
	sc.verbosity = p->verbosity;
	free(msg);
	msg = NULL;
	if ((r = setup_run(s, payload_id(), &so, on_setup_item, &sc,
	    &sres, &msg)) != CN_OK) {
		note_error(p, h->name, "setup", msg);
		hr->failed++;
		ret = r;
		goto out;
	}
	hr->ok += sres.ok;
	hr->changed += sres.changed;
	hr->failed += sres.failed;
	if (sres.failed > 0) {
		render_note(p->rd, h->name, true, json_pack("{s:s, s:s}",
		    "event", "error", "message", "setup failed; no pulls "
		    "launched"), "setup failed; no pulls launched");
		goto out;
	}
	if (cmd_interrupted(NULL))
		goto interrupted;

	/* Before anything is launched: do the pulls fit on the data disk?
	 * (The plan events below still stop a job that turns out bigger.) */
	if (h->npulls > 0 && daytwo_fits(p->rd, h, s, &pr, h->pulls,
	    h->npulls) == CN_ERR_NOSPACE) {
		hr->failed++;
		goto out;
	}

	/* launch */
	render_phase(p->rd, h->name, RENDER_LAUNCH);
	cmd_launch_env(&le, h, pr.data_dir);
	for (i = 0; i < h->npulls; i++) {
		struct pull_run *pu = &hr->pulls[i];
		bool lent = p->via_laptop_proxy != NULL ||
		    h->pulls[i].via_laptop_proxy;

		lp = launch_pull_of(&h->pulls[i]);
		free(msg);
		msg = NULL;
		if (lent && lend == NULL) {
			lend_url = p->via_laptop_proxy;
			if ((lend_url == NULL || *lend_url == '\0'))
				lend_url = first_lent_url(h);
			if ((r = lend_open(h, p->interactive, lend_url, &lend,
			    &msg)) != CN_OK) {
				note_error(p, h->name, "launch", msg);
				pu->outcome = PULL_FAILED;
				pu->why = strdup("not started");
				hr->failed++;
				continue;
			}
		}
		le.lent_proxy = lent ? lend_box_proxy(lend) : NULL;
		if ((r = launch_pull(s, &le, &lp, &lres, &js,
		    &msg)) == CN_OK && lent && lres != LAUNCH_DONE)
			r = lend_attach(lend, s, pu->job, &msg);
		if (r != CN_OK) {
			note_error(p, h->name, "launch", msg);
			pu->outcome = PULL_FAILED;
			pu->why = strdup("not started");
			hr->failed++;
			if (r != CN_ERR_REMOTE)
				goto out;
			continue;
		}
		switch (lres) {
		case LAUNCH_DONE:
			pu->outcome = PULL_ALREADY;
			pu->bytes = (double)js.bytes_total;
			hr->ok++;
			note_item(p, h->name, "pull", "ok", pu->job,
			    "complete", false);
			break;
		case LAUNCH_RUNNING:
			pu->was_running = true;
			pu->outcome = PULL_LEFT_RUNNING;
			note_item(p, h->name, "pull", "running", pu->job,
			    "already running", false);
			break;
		case LAUNCH_STARTED:
			pu->started = true;
			pu->outcome = PULL_LEFT_RUNNING;
			note_item(p, h->name, "pull", "changed", pu->job,
			    "started", false);
			break;
		}
	}

	/* follow */
	if (p->no_wait) {
		for (i = 0; i < h->npulls; i++) {
			if (hr->pulls[i].started)
				hr->changed++;
			else if (hr->pulls[i].was_running)
				hr->ok++;
		}
		ret = hr->failed > 0 ? CN_ERR_REMOTE : CN_OK;
		goto out;
	}
	render_phase(p->rd, h->name, RENDER_PULLING);
	r = do_follow(p, h, hr, &s);
	if (hr->detached) {
		render_phase(p->rd, h->name, RENDER_DETACHED);
		free(msg);
		if (asprintf(&msg, "cnorch logs %s -f", h->name) < 0)
			msg = NULL;
		render_note(p->rd, h->name, false, json_pack("{s:s, s:s?}",
		    "event", "detached", "reattach", msg),
		    "detached; jobs keep running. reattach with: %s",
		    msg != NULL ? msg : "cnorch logs");
	}
	if (exit_from_err(r) == EXIT_UNREACHABLE)
		ret = r;
	else
		ret = hr->failed > 0 ? CN_ERR_REMOTE : CN_OK;
	goto out;

 interrupted:
	render_note(p->rd, h->name, true, NULL, "interrupted before the "
	    "pulls were launched");
	hr->failed++;
	ret = CN_ERR_REMOTE;
 out:
	lend_close(lend);
	box_facts_release(&pr);
	free(msg);
	session_destroy(s);
	return ret;
}

/* One word per host, so identical hosts fold into one line. */
static const char *
host_result(const struct host_run *hr)
{
	size_t k;

	if (hr->unreachable)
		return "unreachable";
	if (hr->failed > 0)
		return "failed";
	for (k = 0; k < hr->npulls; k++)
		if (hr->pulls[k].outcome == PULL_FAILED ||
		    hr->pulls[k].outcome == PULL_NOT_STARTED)
			return "failed";
	if (hr->detached)
		return "detached";
	return hr->changed > 0 ? "changed" : "ok";
}

/* The fleet at a glance, as clush -b does: "autodl-[01-03,05]: ok". */
static void
recap_grouped(struct prov *p)
{
	struct recap *rc;
	size_t i;

	if ((rc = recap_create()) == NULL)
		return;
	for (i = 0; i < p->nhosts; i++)
		if (recap_add(rc, p->hosts[i]->name,
		    host_result(&p->runs[i])) != 0)
			goto out;
	recap_print(rc, stdout);
	fflush(stdout);
 out:
	recap_destroy(rc);
}

static int
provision_finish(struct cmd_run *run, const int *status, int exit_code)
{
	struct prov pv = { run->hosts, run->nhosts, run->host_state, run->rd,
	    false, false, 0, NULL }, *p = &pv;
	const struct host *h;
	struct host_run *hr;
	struct pull_run *pu;
	const char *what;
	char bytes[32], text[512];
	size_t i, k;

	(void)status;
	for (i = 0; i < p->nhosts; i++) {
		h = p->hosts[i];
		hr = &p->runs[i];
		if (hr->unreachable) {
			render_note(p->rd, h->name, false, json_pack(
			    "{s:s, s:b}", "event", "recap", "unreachable", 1),
			    "unreachable");
			continue;
		}
		render_note(p->rd, h->name, false, json_pack(
		    "{s:s, s:i, s:i, s:i}", "event", "recap", "ok", hr->ok,
		    "changed", hr->changed, "failed", hr->failed),
		    "ok=%d changed=%d failed=%d", hr->ok, hr->changed,
		    hr->failed);
		/* mirrors "auto": which and why (mirror_auto.c) */
		for (k = 0; k < 2; k++)
			if (hr->auto_why[k] != NULL)
				render_note(p->rd, h->name, false, json_pack(
				    "{s:s, s:s, s:s?, s:s}", "event", "mirror",
				    "kind", k == 0 ? "pypi" : "conda", "url",
				    hr->auto_url[k], "message",
				    hr->auto_why[k]), "%s", hr->auto_why[k]);
		for (k = 0; k < hr->npulls; k++) {
			pu = &hr->pulls[k];
			fmt_bytes(bytes, sizeof(bytes), pu->bytes);
			switch (pu->outcome) {
			case PULL_NOT_STARTED:
				what = "not started";
				snprintf(text, sizeof(text), "%s", what);
				break;
			case PULL_ALREADY:
				what = "ok";
				snprintf(text, sizeof(text), "complete "
				    "already");
				break;
			case PULL_LEFT_RUNNING:
				what = "running";
				snprintf(text, sizeof(text), "running on the "
				    "box (job %s)", pu->job);
				break;
			case PULL_DONE:
				what = "done";
				snprintf(text, sizeof(text), "done (%s)",
				    bytes);
				break;
			default:
				what = "failed";
				snprintf(text, sizeof(text), "failed: %s",
				    pu->why != NULL ? pu->why : "see the job's "
				    "events");
				break;
			}
			render_note(p->rd, h->name, false, json_pack(
			    "{s:s, s:s, s:s, s:s, s:s}", "event", "pull",
			    "repo", pu->label, "job", pu->job, "status",
			    what, "message", text),
			    "%s %s", pu->label, text);
		}
	}
	if (render_mode(p->rd) != RENDER_JSON && p->nhosts > 1)
		recap_grouped(p);
	return exit_code;
}

static void
provision_release(struct cmd_run *run)
{
	struct host_run *runs = run->host_state;
	size_t i, k;

	for (i = 0; runs != NULL && i < run->nhosts; i++) {
		for (k = 0; k < runs[i].npulls; k++) {
			free(runs[i].pulls[k].label);
			free(runs[i].pulls[k].job);
			free(runs[i].pulls[k].why);
		}
		free(runs[i].pulls);
		free(runs[i].data_dir);
		for (k = 0; k < 2; k++) {
			free(runs[i].auto_url[k]);
			free(runs[i].auto_why[k]);
		}
	}
}

static const struct cmd_opt provision_opts_table[] = {
	{ .name = "no-wait", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct provision_opts, no_wait),
	  .help = "return once the pulls are launched" },
	{ .name = "via-laptop-proxy", .kind = CMD_OPT_OPTSTRING, .arg = "URL",
	  .off = offsetof(struct provision_opts, via_laptop_proxy),
	  .help = "lend this laptop's proxy (default https_proxy, all_proxy) "
	  "to the huggingface.co rung of every pull" },
	{ .name = NULL }
};

const struct cmd_entry cmd_provision_entry = {
	.name = "provision",
	.synopsis = "provision TARGET [--no-wait] [--via-laptop-proxy[=URL]]",
	.summary = "Set up each box (payload, mirrors) and run its pulls.",
	.opts = provision_opts_table,
	.opts_size = sizeof(struct provision_opts),
	.target = CMD_TARGET_REQUIRED,
	.host_state_size = sizeof(struct host_run),
	.flags = CMD_PER_HOST | CMD_LIVE | CMD_RENDER | CMD_KEEP_LOG |
	    CMD_SAVE_FAILED | CMD_DETACH | CMD_TOKENS,
	.host = provision_host,
	.finish = provision_finish,
	.release = provision_release,
};

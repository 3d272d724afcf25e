/*
 * The planner (planner.h): endpoints, source choice and the auto
 * fallback; it asks the hubs for a listing and applies include/exclude
 * (the plan helpers themselves are in plan.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pathglob.h"
#include "hub.h"
#include "pathsafe.h"
#include "planner.h"
#include "source_measure.h"

const char *
planner_source_name(enum hub_source s)
{
	switch (s) {
	case SOURCE_HF:		return "hf";
	case SOURCE_MODELSCOPE:	return "modelscope";
	case SOURCE_AUTO:	return "auto";
	}
	return NULL;
}

int
planner_source_parse(const char *name, enum hub_source *out)
{
	if (strcmp(name, "hf") == 0)
		*out = SOURCE_HF;
	else if (strcmp(name, "modelscope") == 0 || strcmp(name, "ms") == 0)
		*out = SOURCE_MODELSCOPE;
	else if (strcmp(name, "auto") == 0)
		*out = SOURCE_AUTO;
	else
		return CN_ERR_INVALID;
	return CN_OK;
}

/* ---------------------------------------------------------------- build */

static void
emit(const struct planner_opts *o, const char *event, json_t *fields)
{
	if (o->on_event != NULL && fields != NULL)
		o->on_event(o->arg, event, fields);
	json_decref(fields);
}

static void
on_retry(void *arg, const char *url, const char *reason, int attempt,
    double delay_s)
{
	const struct planner_opts *o = arg;

	emit(o, "retry", json_pack("{s:s, s:i, s:f, s:s}", "reason", reason,
	    "attempt", attempt, "delay_s", delay_s, "url", url));
}

/* Endpoint with trailing slashes cut, malloc'd. */
static char *
endpoint_of(const char *opt, const char *env, const char *def)
{
	const char *e = opt;
	size_t n;

	if (e == NULL || *e == '\0')
		e = getenv(env);
	if (e == NULL || *e == '\0')
		e = def;
	n = strlen(e);
	while (n > 0 && e[n - 1] == '/')
		n--;
	return strndup(e, n);
}

/* ModelScope could not be asked at all (resolve, connect, timeouts). */
static bool
unreachable(int r)
{
	return r == CN_ERR_CONNECT || r == CN_ERR_TIMEOUT ||
	    r == CN_ERR_RETRIES || r == CN_ERR_CURL;
}

/* Failures of HF after which auto tries ModelScope. */
static bool
fallback_ok(int r)
{
	switch (r) {
	case CN_ERR_NOT_FOUND:
	case CN_ERR_RETRIES:
	case CN_ERR_CURL:
	case CN_ERR_CONNECT:
	case CN_ERR_TIMEOUT:
	case CN_ERR_HTTP:
	case CN_ERR_PARSE:
	case CN_ERR_PROTOCOL:
		return true;
	default:
		return false;
	}
}

/*
 * auto, planned from the mirror: ModelScope's listing of the same repo
 * gives each file whose path, size and sha256 match a second source, so the transfer engine fetches
 * it from both at once.  Quietly nothing when the other hub does not
 * have the repo.
 */
static void
add_twin_sources(const struct planner_opts *o, struct hub_query *q,
    struct plan *p, const char *ms_ep)
{
	struct plan *t = NULL;
	char *m = NULL;
	const char *rev = q->revision;
	size_t i, j = 0;
	int r, n = 0;

	q->endpoint = ms_ep;
	q->revision = o->revision == NULL ||
	    strcmp(o->revision, "main") == 0 ? "master" : o->revision;
	r = ms_plan(q, NULL, &t, &m);
	q->revision = rev;
	free(m);
	if (r != CN_OK)
		return;
	/* Both sorted by path (plan_finish). */
	for (i = 0; i < p->nfiles; i++) {
		struct plan_file *f = &p->files[i];

		while (j < t->nfiles && strcmp(t->files[j].path, f->path) < 0)
			j++;
		if (j >= t->nfiles || strcmp(t->files[j].path, f->path) != 0 ||
		    f->sha256[0] == '\0' ||
		    strcmp(t->files[j].sha256, f->sha256) != 0 ||
		    t->files[j].size != f->size)
			continue;
		if (plan_file_add_source(f, plan_source_name(t->source),
		    t->files[j].url, NULL, 0) == CN_OK)
			n++;
	}
	if (n > 0)
		emit(o, "source", json_pack("{s:s,s:s,s:i}", "also",
		    plan_source_name(t->source), "endpoint", q->endpoint,
		    "files", n));
	plan_destroy(t);
}

int
planner_build(const struct planner_opts *o, struct plan **out, char **msg)
{
	struct http_conf conf;
	struct plan_caps caps = { .max_files = o->max_files,
	    .max_bytes = o->max_bytes };
	struct hub_query q = { 0 };
	struct plan *p = NULL;
	char *hf_ep = NULL, *ms_ep = NULL, *hf_msg = NULL, *ms_msg = NULL;
	char *why = NULL;
	char commit[41] = "";
	const char *ms_rev, *want;
	int r, hf_r = CN_OK;

	*out = NULL;
	*msg = NULL;
	if (o->repo == NULL || pathsafe_repo_id(o->repo) != 0) {
		hub_msg(msg, "invalid repo id '%s': expected org/name made of "
		    "letters, digits, '.', '_' and '-'",
		    o->repo ? o->repo : "");
		r = CN_ERR_INVALID;
		goto out;
	}
	if (o->revision != NULL && pathsafe_revision(o->revision) != 0) {
		hub_msg(msg, "invalid revision '%s'", o->revision);
		r = CN_ERR_UNSAFE_PATH;
		goto out;
	}
	if (o->source == SOURCE_MODELSCOPE && o->repo_type == REPO_DATASET) {
		hub_msg(msg, "dataset '%s': ModelScope datasets are not "
		    "supported, use --source hf", o->repo);
		r = CN_ERR_UNSUPPORTED;
		goto out;
	}
	hf_ep = endpoint_of(o->hf_endpoint, "HF_ENDPOINT", PLANNER_HF_ENDPOINT);
	ms_ep = endpoint_of(o->ms_endpoint, "MODELSCOPE_ENDPOINT",
	    PLANNER_MS_ENDPOINT);
	if (hf_ep == NULL || ms_ep == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	conf = *o->http;		/* shallow: never released */
	conf.on_retry = on_retry;
	conf.on_retry_arg = (void *)o;

	q.http = &conf;
	q.caps = &caps;
	q.repo_type = o->repo_type;
	q.repo = o->repo;
	/* --- auto: measured preference (source_measure.c) --- */
	if (o->source == SOURCE_AUTO && o->repo_type == REPO_MODEL &&
	    source_measure_prefers_ms(&conf, hf_ep, ms_ep, o->repo,
	    o->revision, &why)) {
		q.endpoint = ms_ep;
		q.revision = o->revision == NULL ||
		    strcmp(o->revision, "main") == 0 ? "master" : o->revision;
		if ((r = ms_plan(&q, NULL, &p, &ms_msg)) == CN_OK) {
			emit(o, "source", json_pack("{s:s, s:s, s:s}", "from",
			    "hf", "to", "modelscope", "reason",
			    why != NULL ? why : ""));
			free(why);
			goto filter;
		}
		if (caps.hit != PLAN_CAP_NONE) {
			free(why);
			*msg = plan_cap_message(&caps, o->repo, ms_ep);
			goto filter;
		}
		/* Not on ModelScope after all: the usual way. */
		free(ms_msg);
		ms_msg = NULL;
	}
	free(why);
	/* --- end measured preference --- */
	if (o->source != SOURCE_MODELSCOPE) {
		q.endpoint = hf_ep;
		q.revision = o->revision ? o->revision : "main";
		r = hf_plan(&q, commit, &p, &hf_msg);
		hf_r = r;
		if (r != CN_OK && caps.hit != PLAN_CAP_NONE) {
			/* A cap is the user's limit, not a mirror fault
			 * another source would cure. */
			free(hf_msg);
			hf_msg = plan_cap_message(&caps, o->repo, hf_ep);
		}
		if (r == CN_OK || o->source == SOURCE_HF || !fallback_ok(r) ||
		    caps.hit != PLAN_CAP_NONE ||
		    o->repo_type == REPO_DATASET) {
			*msg = hf_msg;
			hf_msg = NULL;
			goto filter;
		}
		emit(o, "source", json_pack("{s:s, s:s, s:s}", "from", "hf",
		    "to", "modelscope", "reason", hf_msg ? hf_msg : ""));
	}
	/* A fallback after the mirror failed: an unreachable ModelScope is
	 * told in seconds, not after the full retry budget. */
	if (o->source == SOURCE_AUTO) {
		conf.connect_tries = 1;
		if (conf.connect_timeout_s > PLANNER_PROBE_CONNECT_S)
			conf.connect_timeout_s = PLANNER_PROBE_CONNECT_S;
	}
	/* "main" is HF's default branch; ModelScope's is "master". */
	ms_rev = o->revision;
	if (ms_rev == NULL || (o->source == SOURCE_AUTO &&
	    strcmp(ms_rev, "main") == 0))
		ms_rev = "master";
	q.endpoint = ms_ep;
	q.revision = ms_rev;
	r = ms_plan(&q, commit[0] ? commit : NULL, &p, &ms_msg);
	if (r != CN_OK && caps.hit != PLAN_CAP_NONE) {
		free(ms_msg);
		ms_msg = plan_cap_message(&caps, o->repo, ms_ep);
	}
	/* Not at the mirror, and ModelScope cannot be asked: "not found"
	 * is what is known, with both reasons. */
	if (r != CN_OK && hf_r == CN_ERR_NOT_FOUND && unreachable(r))
		r = CN_ERR_NOT_FOUND;
	if (r != CN_OK) {
		if (hf_msg != NULL)
			hub_msg(msg, "%s; ModelScope fallback: %s", hf_msg,
			    ms_msg ? ms_msg : cn_strerror(r));
		else {
			*msg = ms_msg;
			ms_msg = NULL;
		}
	}
 filter:
	if (r != CN_OK)
		goto out;
	/* The HF cache ref: as asked, "main" when nothing was asked. */
	want = o->revision ? o->revision : "main";
	if (strcmp(p->revision, want) != 0) {
		free(p->revision);
		if ((p->revision = strdup(want)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	plan_filter(p, o->include, o->ninclude, o->exclude, o->nexclude);
	/* Only beside the mirror: when ModelScope was chosen, the mirror
	 * was measured failing or slow, or lacks the repo. */
	if (o->source == SOURCE_AUTO && o->repo_type == REPO_MODEL &&
	    p->source == SOURCE_HF && p->nfiles > 0)
		add_twin_sources(o, &q, p, ms_ep);
	*out = p;
	p = NULL;
	r = CN_OK;
 out:
	if (r != CN_OK && *msg == NULL)
		hub_msg(msg, "repo '%s': %s", o->repo ? o->repo : "",
		    cn_strerror(r));
	plan_destroy(p);
	free(hf_ep);
	free(ms_ep);
	free(hf_msg);
	free(ms_msg);
	return r;
}

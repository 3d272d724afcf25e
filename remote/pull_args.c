/* cnorch-agent pull's option table, argument checks and job.json spec. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_version.h"
#include "cmds.h"
#include "error.h"
#include "event.h"
#include "planner.h"
#include "pull_args.h"
#include "redact.h"
#include "segment.h"

/* "8M", "512k", "1G" or plain bytes. */
static int
parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	const char *units = "kmgt", *u;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno != 0 || *s == '-')
		return CN_ERR_INVALID;
	if (*end != '\0' && (u = strchr(units, (char)(*end | 0x20))) !=
	    NULL) {
		shift = 10 * (unsigned)(u - units + 1);
		if (v > (~0ULL >> shift))
			return CN_ERR_INVALID;
		v <<= shift;
		end++;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end != '\0')
		return CN_ERR_INVALID;
	*out = v;
	return CN_OK;
}

static int
parse_int(const struct agent_cmd *c, const char *opt, const char *s, int lo,
    int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi)
		return agent_usage(c, "%s: expected an integer %d-%d, got "
		    "'%s'", opt, lo, hi, s);
	*out = (int)v;
	return CN_OK;
}

/* Absolute path of p (which may not exist yet), malloc'd. */
static char *
absolute(const char *p)
{
	char cwd[PATH_MAX], *s;

	if (p[0] == '/')
		return strdup(p);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&s, "%s/%s", cwd, p) < 0)
		return NULL;
	return s;
}

void
pull_args_release(struct pull_args *a)
{
	free(a->cache_dir);
	free(a->local_dir);
	free(a->job_dir);
	free(a->token_file);
}

const struct option pull_options[] = {
	{ "repo",		required_argument, NULL, 'r' },
	{ "revision",		required_argument, NULL, 'R' },
	{ "repo-type",		required_argument, NULL, 't' },
	{ "dataset",		no_argument,	   NULL, 'y' },
	{ "source",		required_argument, NULL, 's' },
	{ "endpoint",		required_argument, NULL, 'e' },
	{ "modelscope-endpoint", required_argument, NULL, 'm' },
	{ "ms-endpoint",	required_argument, NULL, 'm' },
	{ "modelscope-repo",	required_argument, NULL, 'g' },
	{ "upstream-endpoint",	required_argument, NULL, 'u' },
	{ "proxy",		required_argument, NULL, 'P' },
	{ "modelscope-layout",	no_argument,	   NULL, 'L' },
	{ "cache-dir",		required_argument, NULL, 'c' },
	{ "local-dir",		required_argument, NULL, 'l' },
	{ "include",		required_argument, NULL, 'I' },
	{ "exclude",		required_argument, NULL, 'X' },
	{ "jobs",		required_argument, NULL, 'j' },
	{ "connections",	required_argument, NULL, 'x' },
	{ "split",		required_argument, NULL, 'k' },
	{ "stall-timeout",	required_argument, NULL, 'S' },
	{ "min-rate",		required_argument, NULL, 'M' },
	{ "retries",		required_argument, NULL, 'N' },
	{ "max-files",		required_argument, NULL, 'F' },
	{ "max-bytes",		required_argument, NULL, 'B' },
	{ "cacert",		required_argument, NULL, 'C' },
	{ "token-file",		required_argument, NULL, 'T' },
	{ "allow-http-token",	no_argument,	   NULL, 'A' },
	{ "json",		no_argument,	   NULL, 'J' },
	{ "detach",		no_argument,	   NULL, 'D' },
	{ "job-dir",		required_argument, NULL, 'd' },
	{ NULL,			0,		   NULL, 0 }
};

/* A proxy URL the last rung can use: http(s) CONNECT or SOCKS5. */
static bool
proxy_url_ok(const char *v)
{
	return strncmp(v, "http://", 7) == 0 ||
	    strncmp(v, "https://", 8) == 0 ||
	    strncmp(v, "socks5://", 9) == 0 ||
	    strncmp(v, "socks5h://", 10) == 0;
}

static int
pull_opt(const struct agent_cmd *c, int ch, const char *v, void *arg)
{
	struct pull_args *a = arg;
	char *end;
	int n, r;

	switch (ch) {
	case 'r':
		a->repo = v;
		break;
	case 'R':
		a->revision = v;
		break;
	case 't':
		return agent_parse_repo_type(c, v, &a->repo_type);
	case 'y':
		a->repo_type = REPO_DATASET;
		break;
	case 's':
		if (planner_source_parse(v, &a->source) != CN_OK)
			return agent_usage(c, "--source: expected hf, huggingface, "
			    "modelscope or auto, got '%s'", v);
		break;
	case 'e':
		a->endpoint = v;
		break;
	case 'm':
		a->ms_endpoint = v;
		break;
	case 'g':
		a->ms_repo = v;
		break;
	case 'u':
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return agent_usage(c, "--upstream-endpoint: expected an "
			    "http:// or https:// URL, got '%s'", v);
		a->upstream = v;
		break;
	case 'P':
		if (!proxy_url_ok(v))
			return agent_usage(c, "--proxy: expected an http://, "
			    "https://, socks5:// or socks5h:// URL");
		a->proxy = v;
		break;
	case 'L':
		a->ms_layout = true;
		break;
	case 'c':
		free(a->cache_dir);
		if ((a->cache_dir = absolute(v)) == NULL)
			return CN_ERR_NOMEM;
		break;
	case 'l':
		free(a->local_dir);
		if ((a->local_dir = absolute(v)) == NULL)
			return CN_ERR_NOMEM;
		break;
	case 'I':
	case 'X':
		return ch == 'I' ?
		    agent_add_glob(c, "--include", v, a->include,
		    &a->ninclude, MAX_GLOBS) :
		    agent_add_glob(c, "--exclude", v, a->exclude,
		    &a->nexclude, MAX_GLOBS);
	case 'j':
		return parse_int(c, "-j", v, 1, 64, &a->jobs);
	case 'x':
		return parse_int(c, "-x", v, 1, 32, &a->conns);
	case 'k':
		if (parse_size(v, &a->split) != CN_OK || a->split < 64 * 1024)
			return agent_usage(c, "--split: expected a size of at "
			    "least 64K, got '%s'", v);
		break;
	case 'S':
		a->stall_timeout = strtod(v, &end);
		if (end == v || *end != '\0' || a->stall_timeout < 0.5 ||
		    a->stall_timeout > 3600)
			return agent_usage(c, "--stall-timeout: expected "
			    "seconds 0.5-3600, got '%s'", v);
		break;
	case 'M':
		if (parse_size(v, &a->min_rate) != CN_OK)
			return agent_usage(c, "--min-rate: expected bytes per "
			    "second, got '%s'", v);
		break;
	case 'N':
		if ((r = parse_int(c, "--retries", v, 0, 1000, &n)) != CN_OK)
			return r;
		a->retries = n;
		break;
	case 'F':
		if (parse_size(v, &a->max_files) != CN_OK || a->max_files == 0)
			return agent_usage(c, "--max-files: expected a "
			    "positive number of files, got '%s'", v);
		break;
	case 'B':
		if (parse_size(v, &a->max_bytes) != CN_OK || a->max_bytes == 0)
			return agent_usage(c, "--max-bytes: expected a "
			    "positive size (e.g. 64T), got '%s'", v);
		break;
	case 'C':
		a->cacert = v;
		break;
	case 'T':
		free(a->token_file);
		if ((a->token_file = absolute(v)) == NULL)
			return CN_ERR_NOMEM;
		break;
	case 'A':
		a->allow_http_token = true;
		break;
	case 'J':
		a->json = true;
		break;
	case 'D':
		a->detach = true;
		break;
	case 'd':
		free(a->job_dir);
		if ((a->job_dir = absolute(v)) == NULL)
			return CN_ERR_NOMEM;
		break;
	}
	return CN_OK;
}

int
pull_parse_args(const struct agent_cmd *self, int argc, char **argv,
    struct pull_args *a)
{
	const char *env;
	int first, r;

	a->jobs = 4;
	a->conns = 8;
	a->split = SEG_MIN_DEFAULT;
	a->stall_timeout = 30;
	a->retries = 10;
	a->source = SOURCE_AUTO;
	if ((r = agent_parse(self, argc, argv, pull_opt, a, &first)) != CN_OK)
		return r;
	if (first != argc)
		return agent_usage(self, "unexpected argument '%s'",
		    argv[first]);
	if ((r = agent_check_repo(self, a->repo, a->revision)) != CN_OK)
		return r;
	/* The box's own proxy (the inventory's, or the platform's) comes in
	 * the environment, so its credentials never show in ps; a --proxy
	 * (the laptop's lent one) wins. */
	if (a->proxy == NULL && (env = getenv("CNORCH_UPSTREAM_PROXY")) !=
	    NULL && *env != '\0') {
		if (!proxy_url_ok(env))
			return agent_usage(self, "CNORCH_UPSTREAM_PROXY: "
			    "expected an http://, https://, socks5:// or "
			    "socks5h:// URL");
		a->proxy = env;
	}
	if (a->cache_dir != NULL && a->local_dir != NULL)
		return agent_usage(self, "--cache-dir and --local-dir exclude "
		    "each other");
	if (a->cache_dir == NULL && a->local_dir == NULL) {
		if ((env = getenv("HF_HUB_CACHE")) != NULL && *env != '\0')
			a->cache_dir = absolute(env);
		else if ((env = getenv("HF_HOME")) != NULL && *env != '\0') {
			if (asprintf(&a->cache_dir, "%s/hub", env) < 0)
				a->cache_dir = NULL;
		}
		if (a->cache_dir == NULL)
			return agent_usage(self, "no target: pass --cache-dir "
			    "or --local-dir (or set HF_HUB_CACHE / HF_HOME)");
	}
	if (a->detach && a->job_dir == NULL)
		return agent_usage(self, "--detach needs --job-dir");
	if (a->ms_layout && a->local_dir != NULL)
		return agent_usage(self, "--modelscope-layout needs the cache "
		    "layout, not --local-dir");
	if (a->ms_repo != NULL && agent_check_repo(self, a->ms_repo, NULL) !=
	    CN_OK)
		return CN_ERR_USAGE;
	return CN_OK;
}

/* What was asked, for job.json: no token, only where it came from. */
json_t *
pull_job_spec(const struct pull_args *a)
{
	json_t *o, *inc, *exc;
	char *ep = cn_url_redact(a->endpoint);
	char *ms = cn_url_redact(a->ms_endpoint);
	char *up = cn_url_redact(a->upstream);
	size_t i;

	inc = json_array();
	exc = json_array();
	for (i = 0; i < a->ninclude; i++)
		json_array_append_new(inc, json_string(a->include[i]));
	for (i = 0; i < a->nexclude; i++)
		json_array_append_new(exc, json_string(a->exclude[i]));
	o = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:o,s:o,"
	    "s:i,s:i,s:I,s:f,s:I,s:i,s:b,s:b,s:b,s:s,s:f,s:s?,s:s?,s:b}",
	    "command", "pull",
	    "repo", a->repo,
	    "revision", a->revision,
	    "repo_type", a->repo_type == REPO_DATASET ? "dataset" : "model",
	    "source", planner_source_name(a->source),
	    "endpoint", ep,
	    "modelscope_endpoint", ms,
	    "cache_dir", a->cache_dir,
	    "local_dir", a->local_dir,
	    "include", inc, "exclude", exc,
	    "jobs", a->jobs, "connections", a->conns,
	    "split", (json_int_t)a->split,
	    "stall_timeout_s", a->stall_timeout,
	    "min_rate_bps", (json_int_t)a->min_rate,
	    "retries", a->retries,
	    "token", a->token_file != NULL || getenv("HF_TOKEN") != NULL,
	    "modelscope_token", getenv("MODELSCOPE_API_TOKEN") != NULL,
	    "allow_http_token", a->allow_http_token,
	    "agent_version", CN_VERSION,
	    "created", event_now(),
	    "modelscope_repo", a->ms_repo,
	    "upstream_endpoint", up,
	    "proxy", a->proxy != NULL);
	free(ep);
	free(ms);
	free(up);
	return o;
}

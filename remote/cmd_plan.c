/*
 * cnorch-agent plan: list what a pull would fetch, without fetching
 * (dry run).  Prints one line per file, or the whole plan as JSON with
 * --json.  Events of the planner (retry, source) go to stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmds.h"
#include "error.h"
#include "http.h"
#include "planner.h"

#define PLAN_MAX_GLOBS	256


static void
print_event(void *arg, const char *event, json_t *fields)
{
	char *s;

	(void)arg;
	if (strcmp(event, "retry") == 0)
		fprintf(stderr, "retrying %s: %s (attempt %lld, in %.1f s)\n",
		    json_string_value(json_object_get(fields, "url")),
		    json_string_value(json_object_get(fields, "reason")),
		    json_integer_value(json_object_get(fields, "attempt")),
		    json_real_value(json_object_get(fields, "delay_s")));
	else if (strcmp(event, "source") == 0 &&
	    json_object_get(fields, "reason") != NULL)
		fprintf(stderr, "falling back to ModelScope: %s\n",
		    json_string_value(json_object_get(fields, "reason")));
	else if ((s = json_dumps(fields, JSON_COMPACT)) != NULL) {
		fprintf(stderr, "%s: %s\n", event, s);
		free(s);
	}
}

static json_t *
plan_json(const struct plan *p)
{
	json_t *o, *files, *f, *also;
	size_t i, k;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "source", plan_source_name(p->source),
	    "repo_type", p->repo_type == REPO_DATASET ? "dataset" : "model",
	    "repo", p->repo, "revision", p->revision, "commit", p->commit,
	    "endpoint", p->endpoint, "files_total", (json_int_t)p->nfiles,
	    "bytes_total", (json_int_t)p->bytes_total);
	if (o == NULL || (files = json_array()) == NULL ||
	    json_object_set_new(o, "files", files) != 0) {
		json_decref(o);
		return NULL;
	}
	for (i = 0; i < p->nfiles; i++) {
		const struct plan_file *pf = &p->files[i];

		f = json_pack("{s:s, s:I, s:b, s:s, s:s, s:s, s:s}",
		    "path", pf->path, "size", (json_int_t)pf->size,
		    "lfs", pf->lfs, "sha256", pf->sha256,
		    "git_sha1", pf->git_sha1, "etag", pf->etag,
		    "url", pf->url);
		if (f == NULL || json_array_append_new(files, f) != 0) {
			json_decref(o);
			return NULL;
		}
		/* Further sources of the same bytes (--source auto). */
		if (pf->nalts > 0 && (also = json_array()) != NULL &&
		    json_object_set_new(f, "also", also) == 0)
			for (k = 0; k < pf->nalts; k++)
				json_array_append_new(also, json_pack(
				    "{s:s,s:s}", "name", pf->alts[k].name,
				    "url", pf->alts[k].url));
	}
	return o;
}

struct plan_args {
	struct planner_opts o;
	const char	*include[PLAN_MAX_GLOBS];
	const char	*exclude[PLAN_MAX_GLOBS];
	const char	*cacert;
	const char	*token_file;
	const char	*proxy;
	bool		 allow_http_token;
	bool		 json;
};

static const struct option plan_options[] = {
	{ "repo",		required_argument, NULL, 'r' },
	{ "revision",		required_argument, NULL, 'R' },
	{ "repo-type",		required_argument, NULL, 'T' },
	{ "dataset",		no_argument,	   NULL, 'd' },
	{ "source",		required_argument, NULL, 's' },
	{ "endpoint",		required_argument, NULL, 'e' },
	{ "modelscope-endpoint", required_argument, NULL, 'm' },
	{ "ms-endpoint",	required_argument, NULL, 'm' },
	{ "modelscope-repo",	required_argument, NULL, 'g' },
	{ "upstream-endpoint",	required_argument, NULL, 'u' },
	{ "proxy",		required_argument, NULL, 'P' },
	{ "include",		required_argument, NULL, 'i' },
	{ "exclude",		required_argument, NULL, 'x' },
	{ "cacert",		required_argument, NULL, 'c' },
	{ "token-file",		required_argument, NULL, 't' },
	{ "allow-http-token",	no_argument,	   NULL, 'A' },
	{ "json",		no_argument,	   NULL, 'J' },
	{ NULL,			0,		   NULL, 0 },
};

static int
plan_opt(const struct agent_cmd *c, int ch, const char *v, void *arg)
{
	struct plan_args *a = arg;
	struct planner_opts *o = &a->o;
	int r;

	switch (ch) {
	case 'r':
		o->repo = v;
		break;
	case 'R':
		o->revision = v;
		break;
	case 'T':
		return agent_parse_repo_type(c, v, &o->repo_type);
	case 'd':
		o->repo_type = REPO_DATASET;
		break;
	case 's':
		if (planner_source_parse(v, &o->source) != CN_OK)
			return agent_usage(c, "unknown source '%s': expected "
			    "hf, modelscope, auto or huggingface", v);
		break;
	case 'e':
		o->hf_endpoint = v;
		break;
	case 'm':
		o->ms_endpoint = v;
		break;
	case 'g':
		if ((r = agent_check_repo(c, v, NULL)) != CN_OK)
			return r;
		o->ms_repo = v;
		break;
	case 'u':
		o->upstream_endpoint = v;
		break;
	case 'P':
		a->proxy = v;
		break;
	case 'i':
	case 'x':
		return ch == 'i' ?
		    agent_add_glob(c, "--include", v, a->include,
		    &o->ninclude, PLAN_MAX_GLOBS) :
		    agent_add_glob(c, "--exclude", v, a->exclude,
		    &o->nexclude, PLAN_MAX_GLOBS);
	case 'c':
		a->cacert = v;
		break;
	case 't':
		a->token_file = v;
		break;
	case 'A':
		a->allow_http_token = true;
		break;
	case 'J':
		a->json = true;
		break;
	}
	return CN_OK;
}

static int
plan_run(const struct agent_cmd *self, int argc, char **argv)
{
	struct plan_args a;
	struct planner_opts *o = &a.o;
	const char *endpoint;
	struct http_conf conf, upconf;
	struct plan *p = NULL;
	json_t *j = NULL;
	char *msg = NULL, *warn;
	int first, r, ret, have_conf = 0;
	size_t i;

	memset(&a, 0, sizeof(a));
	memset(&conf, 0, sizeof(conf));
	o->source = SOURCE_HF;
	o->include = a.include;
	o->exclude = a.exclude;
	o->on_event = print_event;
	if ((r = agent_parse(self, argc, argv, plan_opt, &a, &first)) != CN_OK)
		return r;
	if (first != argc)
		return agent_usage(self, "unexpected argument '%s'",
		    argv[first]);
	if ((r = agent_check_repo(self, o->repo, o->revision)) != CN_OK)
		return r;
	/* The token is bound to the HF endpoint's host; the CA bundle is
	 * needed unless the endpoint asked is plain http://. */
	if (o->source == SOURCE_MODELSCOPE)
		endpoint = o->ms_endpoint ? o->ms_endpoint :
		    getenv("MODELSCOPE_ENDPOINT") ?
		    getenv("MODELSCOPE_ENDPOINT") : PLANNER_MS_ENDPOINT;
	else
		endpoint = o->hf_endpoint ? o->hf_endpoint :
		    getenv("HF_ENDPOINT") ? getenv("HF_ENDPOINT") :
		    PLANNER_HF_ENDPOINT;
	if ((r = http_conf_init(&conf, a.cacert, a.token_file, endpoint,
	    &msg)) != 0) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(r));
		/* no CA bundle is not "repo not found" */
		ret = r == CN_ERR_NOT_FOUND ? CN_ERR_IO : r;
		goto out;
	}
	have_conf = 1;
	if ((r = http_conf_modelscope(&conf, o->ms_endpoint ? o->ms_endpoint :
	    getenv("MODELSCOPE_ENDPOINT") ? getenv("MODELSCOPE_ENDPOINT") :
	    PLANNER_MS_ENDPOINT, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(r));
		ret = r;
		goto out;
	}
	conf.allow_http_token |= a.allow_http_token;
	if ((warn = http_token_warning(&conf)) != NULL)
		fprintf(stderr, "warning: %s\n", warn);
	free(warn);
	o->http = &conf;
	upconf = conf;		/* shallow: released with conf */
	upconf.proxy = a.proxy;
	if (a.proxy != NULL)
		o->upstream_http = &upconf;
	if ((r = planner_build(o, &p, &msg)) != 0) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(r));
		ret = r;
		goto out;
	}
	if (a.json) {
		if ((j = plan_json(p)) == NULL ||
		    json_dumpf(j, stdout, JSON_INDENT(1)) != 0) {
			fprintf(stderr, "error: out of memory\n");
			ret = CN_ERR_NOMEM;
			goto out;
		}
		putchar('\n');
	} else {
		for (i = 0; i < p->nfiles; i++)
			printf("%12llu  %s\n",
			    (unsigned long long)p->files[i].size,
			    p->files[i].path);
		printf("%zu files, %llu bytes, %s '%s' at commit %s from %s\n",
		    p->nfiles, (unsigned long long)p->bytes_total,
		    p->repo_type == REPO_DATASET ? "dataset" : "repo",
		    p->repo, p->commit, p->endpoint);
	}
	ret = fflush(stdout) == 0 ? CN_OK : CN_ERR_IO;
 out:
	json_decref(j);
	plan_destroy(p);
	free(msg);
	if (have_conf)
		http_conf_release(&conf);
	return ret;
}

const struct agent_cmd agent_cmd_plan = {
	.name = "plan",
	.summary = "list what a pull would fetch",
	.synopsis = "plan --repo ORG/NAME [--revision REV]\n"
	    "           [--repo-type model|dataset]\n"
	    "           [--source hf|modelscope|auto|huggingface]\n"
	    "           [--endpoint URL] [--modelscope-endpoint URL]\n"
	    "           [--modelscope-repo ID] [--upstream-endpoint URL]\n"
	    "           [--proxy URL]\n"
	    "           [--include GLOB]... [--exclude GLOB]... [--cacert FILE]\n"
	    "           [--token-file FILE] [--allow-http-token] [--json]",
	.help = "\n"
	    "  --dataset            same as --repo-type dataset\n"
	    "  --ms-endpoint URL    same as --modelscope-endpoint URL\n",
	.options = plan_options,
	.run = plan_run,
};

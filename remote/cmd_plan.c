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

static const char plan_usage[] =
    "usage: cnorch-agent plan --repo ORG/NAME [--revision REV]\n"
    "           [--source hf|modelscope|auto] [--dataset]\n"
    "           [--endpoint URL] [--ms-endpoint URL] [--include GLOB]...\n"
    "           [--exclude GLOB]... [--cacert FILE] [--token-file FILE]\n"
    "           [--json]\n";

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
	else if (strcmp(event, "source") == 0)
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
	json_t *o, *files, *f;
	size_t i;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "source", p->source == SOURCE_MODELSCOPE ? "modelscope" : "hf",
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
	}
	return o;
}

int
cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repo",	required_argument, NULL, 'r' },
		{ "revision",	required_argument, NULL, 'R' },
		{ "source",	required_argument, NULL, 's' },
		{ "dataset",	no_argument,	   NULL, 'd' },
		{ "endpoint",	required_argument, NULL, 'e' },
		{ "ms-endpoint", required_argument, NULL, 'm' },
		{ "include",	required_argument, NULL, 'i' },
		{ "exclude",	required_argument, NULL, 'x' },
		{ "cacert",	required_argument, NULL, 'c' },
		{ "token-file",	required_argument, NULL, 't' },
		{ "json",	no_argument,	   NULL, 'J' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *include[PLAN_MAX_GLOBS], *exclude[PLAN_MAX_GLOBS];
	const char *cacert = NULL, *token_file = NULL, *endpoint;
	struct planner_opts o;
	struct http_conf conf;
	struct plan *p = NULL;
	json_t *j = NULL;
	char *msg = NULL;
	int c, json = 0, r, ret, have_conf = 0;
	size_t i;

	memset(&o, 0, sizeof(o));
	memset(&conf, 0, sizeof(conf));
	o.source = SOURCE_HF;
	o.include = include;
	o.exclude = exclude;
	o.on_event = print_event;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.repo = optarg;
			break;
		case 'R':
			o.revision = optarg;
			break;
		case 's':
			if (planner_source_parse(optarg, &o.source) != 0) {
				fprintf(stderr, "error: unknown source '%s': "
				    "expected hf, modelscope or auto\n",
				    optarg);
				return AGENT_EXIT_USAGE;
			}
			break;
		case 'd':
			o.repo_type = REPO_DATASET;
			break;
		case 'e':
			o.hf_endpoint = optarg;
			break;
		case 'm':
			o.ms_endpoint = optarg;
			break;
		case 'i':
		case 'x':
			if ((c == 'i' ? o.ninclude : o.nexclude) ==
			    PLAN_MAX_GLOBS) {
				fprintf(stderr, "error: too many patterns\n");
				return AGENT_EXIT_USAGE;
			}
			if (c == 'i')
				include[o.ninclude++] = optarg;
			else
				exclude[o.nexclude++] = optarg;
			break;
		case 'c':
			cacert = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			fputs(plan_usage, stdout);
			return AGENT_EXIT_OK;
		default:
			fputs(plan_usage, stderr);
			return AGENT_EXIT_USAGE;
		}
	}
	if (optind != argc || o.repo == NULL) {
		fputs(plan_usage, stderr);
		return AGENT_EXIT_USAGE;
	}
	/* The token is bound to the HF endpoint's host; the CA bundle is
	 * needed unless the endpoint asked is plain http://. */
	if (o.source == SOURCE_MODELSCOPE)
		endpoint = o.ms_endpoint ? o.ms_endpoint :
		    getenv("MODELSCOPE_ENDPOINT") ?
		    getenv("MODELSCOPE_ENDPOINT") : PLANNER_MS_ENDPOINT;
	else
		endpoint = o.hf_endpoint ? o.hf_endpoint :
		    getenv("HF_ENDPOINT") ? getenv("HF_ENDPOINT") :
		    PLANNER_HF_ENDPOINT;
	if ((r = http_conf_init(&conf, cacert, token_file, endpoint,
	    &msg)) != 0) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(r));
		/* no CA bundle is not "repo not found" */
		ret = r == CN_ERR_NOT_FOUND ? AGENT_EXIT_FAIL :
		    agent_exit_code(r);
		goto out;
	}
	have_conf = 1;
	o.http = &conf;
	if ((r = planner_build(&o, &p, &msg)) != 0) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(r));
		ret = agent_exit_code(r);
		goto out;
	}
	if (json) {
		if ((j = plan_json(p)) == NULL ||
		    json_dumpf(j, stdout, JSON_INDENT(1)) != 0) {
			fprintf(stderr, "error: out of memory\n");
			ret = AGENT_EXIT_FAIL;
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
	ret = fflush(stdout) == 0 ? AGENT_EXIT_OK : AGENT_EXIT_FAIL;
 out:
	json_decref(j);
	plan_destroy(p);
	free(msg);
	if (have_conf)
		http_conf_release(&conf);
	return ret;
}

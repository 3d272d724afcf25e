/*
 * cnorch-agent probe [--timeout S] [--sample-bytes N] [--cacert F] URL...
 *
 * Measures each URL from the box (DNS, connect, TLS, first byte, a short
 * ranged throughput sample), all in parallel within --timeout, and prints
 * one JSON object per URL, best first, each with its "rank".  cnorch
 * doctor and the mirrors' "auto" choice read this.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "error.h"
#include "http.h"
#include "measure.h"

struct probe_args {
	const char	*cacert;
	double		 timeout_s;
	unsigned long long sample;
};

static const struct option probe_options[] = {
	{ "timeout",		required_argument, NULL, 't' },
	{ "sample-bytes",	required_argument, NULL, 'b' },
	{ "cacert",		required_argument, NULL, 'c' },
	{ NULL,			0,		   NULL, 0 }
};

static int
probe_opt(const struct agent_cmd *c, int ch, const char *v, void *arg)
{
	struct probe_args *a = arg;
	char *end;

	switch (ch) {
	case 't':
		a->timeout_s = strtod(v, &end);
		if (end == v || *end != '\0' || a->timeout_s <= 0 ||
		    a->timeout_s > 120)
			return agent_usage(c, "--timeout: expected seconds in "
			    "(0, 120], got '%s'", v);
		break;
	case 'b':
		a->sample = strtoull(v, &end, 10);
		if (end == v || *end != '\0' || a->sample == 0)
			return agent_usage(c, "--sample-bytes: expected a "
			    "positive integer, got '%s'", v);
		break;
	case 'c':
		a->cacert = v;
		break;
	}
	return CN_OK;
}

static int
probe_run(const struct agent_cmd *self, int argc, char **argv)
{
	struct probe_args a = { .timeout_s = 8, .sample = 256 * 1024 };
	struct http_conf conf = { 0 };
	struct measure *ms = NULL;
	size_t *order = NULL, i, n = 0;
	char *msg = NULL, *s;
	json_t *o;
	int first, r;

	if ((r = agent_parse(self, argc, argv, probe_opt, &a, &first)) !=
	    CN_OK)
		return r;
	n = (size_t)(argc - first);
	if (n == 0)
		return agent_usage(self, "probe: no URL given");
	/* No token: probes never carry credentials. */
	if ((r = http_conf_init(&conf, a.cacert, NULL, NULL, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(r));
		/* A bad --cacert or no bundle: the command line must change. */
		r = CN_ERR_USAGE;
		n = 0;
		goto out;
	}
	free(conf.token);
	conf.token = NULL;
	if ((r = measure_run(&conf, (const char *const *)argv + first, n,
	    a.sample, (long)(a.timeout_s * 1000), &ms)) != CN_OK) {
		fprintf(stderr, "error: probe: %s\n", cn_strerror(r));
		goto out;
	}
	r = CN_ERR_NOMEM;
	if ((order = calloc(n, sizeof(*order))) == NULL)
		goto out;
	measure_rank(ms, n, order);
	for (i = 0; i < n; i++) {
		if ((o = measure_json(&ms[order[i]])) == NULL)
			goto out;
		json_object_set_new(o, "rank", json_integer((json_int_t)i + 1));
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (s == NULL)
			goto out;
		printf("%s\n", s);
		free(s);
	}
	r = CN_OK;
 out:
	if (ms != NULL)
		for (i = 0; i < n; i++)
			measure_release(&ms[i]);
	free(ms);
	free(order);
	free(msg);
	http_conf_release(&conf);
	return r;
}

const struct agent_cmd agent_cmd_probe = {
	.name = "probe",
	.summary = "measure endpoints from this box, best first",
	.synopsis = "probe [--timeout S] [--sample-bytes N] [--cacert F] URL...",
	.options = probe_options,
	.run = probe_run,
};

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

int
cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout",		required_argument, NULL, 't' },
		{ "sample-bytes",	required_argument, NULL, 'b' },
		{ "cacert",		required_argument, NULL, 'c' },
		{ NULL,			0,		   NULL, 0 }
	};
	struct http_conf conf = { 0 };
	struct measure *ms = NULL;
	size_t *order = NULL, i, n;
	const char *cacert = NULL;
	double timeout_s = 8;
	unsigned long long sample = 256 * 1024;
	char *msg = NULL, *end, *s;
	json_t *o;
	int ch, rc = 2, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			timeout_s = strtod(optarg, &end);
			if (*end != '\0' || timeout_s <= 0 || timeout_s > 120) {
				fprintf(stderr, "error: --timeout: expected "
				    "seconds in (0, 120], got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'b':
			sample = strtoull(optarg, &end, 10);
			if (*end != '\0' || sample == 0) {
				fprintf(stderr, "error: --sample-bytes: expected "
				    "a positive integer, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'c':
			cacert = optarg;
			break;
		default:
			fprintf(stderr, "usage: cnorch-agent probe [--timeout S] "
			    "[--sample-bytes N] [--cacert F] URL...\n");
			return 2;
		}
	}
	n = (size_t)(argc - optind);
	if (n == 0) {
		fprintf(stderr, "error: probe: no URL given\n");
		return 2;
	}
	/* No token: probes never carry credentials. */
	if ((r = http_conf_init(&conf, cacert, NULL, NULL, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(r));
		goto out;
	}
	free(conf.token);
	conf.token = NULL;
	rc = 1;
	if ((r = measure_run(&conf, (const char *const *)argv + optind, n,
	    sample, (long)(timeout_s * 1000), &ms)) != CN_OK) {
		fprintf(stderr, "error: probe: %s\n", cn_strerror(r));
		goto out;
	}
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
	rc = 0;
 out:
	if (ms != NULL)
		for (i = 0; i < n; i++)
			measure_release(&ms[i]);
	free(ms);
	free(order);
	free(msg);
	http_conf_release(&conf);
	return rc;
}

/*
 * What every cnorch-agent subcommand shares: option parsing from the
 * descriptor, the one usage error, the checks of repo values, the one
 * JSON-line printer, and the one CN_ERR -> exit code mapping.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "error.h"
#include "pathsafe.h"
#include "plan.h"

int
agent_exit_code(int r)
{
	switch (r) {
	case CN_OK:
	case CN_ERR_AGAIN:	/* --help: nothing failed */
		return AGENT_EXIT_OK;
	case CN_ERR_USAGE:
	case CN_ERR_INVALID:
		return AGENT_EXIT_USAGE;
	case CN_ERR_NOT_FOUND:
	case CN_ERR_ACCESS:
		return AGENT_EXIT_NOTFOUND;
	case CN_ERR_NOSPACE:
		return AGENT_EXIT_NOSPACE;
	case CN_ERR_LOCKED:
		return AGENT_EXIT_LOCKED;
	case CN_ERR_PARSE:
	case CN_ERR_UNSAFE_PATH:
	case CN_ERR_PROTOCOL:
		return AGENT_EXIT_BADHUB;
	case CN_ERR_INTERRUPTED:
		return AGENT_EXIT_STOPPED;
	default:
		return AGENT_EXIT_FAIL;
	}
}

void
agent_print_json(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

static void
print_usage(const struct agent_cmd *c, FILE *fp)
{
	fprintf(fp, "usage: cnorch-agent %s\n", c->synopsis);
}

int
agent_usage(const struct agent_cmd *c, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fputs("error: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	print_usage(c, stderr);
	return CN_ERR_USAGE;
}

/* getopt_long takes unambiguous prefixes ("--tok" for "--token-file"):
 * refuse any long option not spelled out. */
static int
exact_options(const struct agent_cmd *c, int argc, char **argv,
    const struct option *longopts)
{
	const struct option *o;
	size_t n;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		n = strcspn(argv[i] + 2, "=");
		for (o = longopts; o->name != NULL; o++)
			if (strlen(o->name) == n &&
			    strncmp(o->name, argv[i] + 2, n) == 0)
				break;
		if (o->name == NULL)
			return agent_usage(c, "unknown option '%.*s'",
			    (int)n + 2, argv[i]);
		/* The value of "--opt VALUE" is not an option. */
		if (o->has_arg == required_argument && argv[i][n + 2] == '\0')
			i++;
	}
	return CN_OK;
}

int
agent_parse(const struct agent_cmd *c, int argc, char **argv,
    agent_opt_fn fn, void *arg, int *first)
{
	static const struct option help = { "help", no_argument, NULL, 'h' };
	struct option *longopts = NULL;
	char *shortopts = NULL;
	size_t n = 0;
	int ch, r;

	*first = argc;
	while (c->options != NULL && c->options[n].name != NULL)
		n++;
	if ((longopts = calloc(n + 2, sizeof(*longopts))) == NULL ||
	    asprintf(&shortopts, ":h%s", c->shortopts ? c->shortopts : "") <
	    0) {
		shortopts = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (n > 0)
		memcpy(longopts, c->options, n * sizeof(*longopts));
	longopts[n] = help;
	if ((r = exact_options(c, argc, argv, longopts)) != CN_OK)
		goto out;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	    -1) {
		if (ch == 'h') {
			print_usage(c, stdout);
			if (c->help != NULL)
				fputs(c->help, stdout);
			r = CN_ERR_AGAIN;
			goto out;
		}
		if (ch == ':') {
			r = agent_usage(c, "option '%s' needs a value",
			    argv[optind - 1]);
			goto out;
		}
		if (ch == '?') {
			if (optopt != 0)
				r = agent_usage(c, "unknown option '-%c'",
				    optopt);
			else
				r = agent_usage(c, "unknown option '%s'",
				    argv[optind - 1]);
			goto out;
		}
		if ((r = fn(c, ch, optarg, arg)) != CN_OK)
			goto out;
	}
	*first = optind;
	r = CN_OK;
 out:
	free(longopts);
	free(shortopts);
	return r;
}

/* A value fit for one line of a message: controls become '?'. */
static void
printable(char *out, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < n && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
		    '?' : s[i];
	out[i] = '\0';
}

/* Letters, digits and the characters in extra. */
static int
chars_ok(const char *s, const char *extra)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

int
agent_check_repo(const struct agent_cmd *c, const char *repo,
    const char *revision)
{
	char p[128];
	size_t n;

	if (repo == NULL)
		return agent_usage(c, "--repo is required");
	if (pathsafe_repo_id(repo) != CN_OK) {
		printable(p, sizeof(p), repo);
		return agent_usage(c, "--repo '%s': expected 'org/name' "
		    "(letters, digits, '.', '_', '-')", p);
	}
	if (revision == NULL)
		return CN_OK;
	n = strlen(revision);
	if (n == 0 || n > 255 || revision[0] == '-' || revision[0] == '/' ||
	    strstr(revision, "..") != NULL || !chars_ok(revision, "._-/") ||
	    pathsafe_revision(revision) != CN_OK) {
		printable(p, sizeof(p), revision);
		return agent_usage(c, "--revision '%s': expected a branch, "
		    "tag or commit (letters, digits, '.', '_', '-', '/')", p);
	}
	return CN_OK;
}

int
agent_check_glob(const struct agent_cmd *c, const char *opt, const char *v)
{
	char p[128];
	const char *s;

	for (s = v; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			break;
	if (*v == '\0' || *s != '\0') {
		printable(p, sizeof(p), v);
		return agent_usage(c, "%s '%s': expected a non-empty glob "
		    "without control characters", opt, p);
	}
	return CN_OK;
}

int
agent_add_glob(const struct agent_cmd *c, const char *opt, const char *v,
    const char **list, size_t *n, size_t max)
{
	int r;

	if ((r = agent_check_glob(c, opt, v)) != CN_OK)
		return r;
	if (*n >= max)
		return agent_usage(c, "at most %zu --include and %zu "
		    "--exclude", max, max);
	list[(*n)++] = v;
	return CN_OK;
}

int
agent_parse_repo_type(const struct agent_cmd *c, const char *v,
    enum repo_type *out)
{
	char p[64];

	if (strcmp(v, "model") == 0)
		*out = REPO_MODEL;
	else if (strcmp(v, "dataset") == 0)
		*out = REPO_DATASET;
	else {
		printable(p, sizeof(p), v);
		return agent_usage(c, "--repo-type: expected model or "
		    "dataset, got '%s'", p);
	}
	return CN_OK;
}

/* cmd: the command table, option parsing, usage and the one cmd_run(). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "error.h"
#include "fleet.h"
#include "inventory.h"
#include "launch.h"
#include "lend.h"
#include "payload.h"
#include "render.h"
#include "runlog.h"
#include "targets.h"

#define DEFAULT_FORKS	16

extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_exec_entry;
extern const struct cmd_entry cmd_hosts_entry;
extern const struct cmd_entry cmd_provision_entry;
extern const struct cmd_entry cmd_doctor_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_pull_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_add_entry;
extern const struct cmd_entry cmd_rm_host_entry;
extern const struct cmd_entry cmd_cache_entry;
extern const struct cmd_entry cmd_verify_entry;
extern const struct cmd_entry cmd_gc_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_completion_entry;
extern const struct cmd_entry cmd_payload_entry;
extern const struct cmd_entry cmd_box_scripts_entry;

/* Names must match exactly: no prefix guessing for commands that change
 * remote machines. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_version_entry,
	&cmd_exec_entry,
	&cmd_hosts_entry,
	&cmd_provision_entry,
	&cmd_doctor_entry,
	&cmd_status_entry,
	&cmd_logs_entry,
	&cmd_pull_entry,
	&cmd_stop_entry,
	&cmd_resume_entry,
	&cmd_add_entry,
	&cmd_rm_host_entry,
	&cmd_cache_entry,
	&cmd_verify_entry,
	&cmd_gc_entry,
	&cmd_help_entry,
	&cmd_completion_entry,
	&cmd_payload_entry,
	&cmd_box_scripts_entry,
	NULL
};

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *const *c;

	for (c = cmd_table; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

int
exit_from_err(int r)
{
	switch (r) {
	case CN_OK:
		return EXIT_OK;
	case CN_ERR_USAGE:
		return EXIT_USAGE;
	/* The host could not be reached, trusted or kept. */
	case CN_ERR_SYSTEM:
	case CN_ERR_IO:
	case CN_ERR_TIMEOUT:
	case CN_ERR_CONNECT:
	case CN_ERR_HOSTKEY_UNKNOWN:
	case CN_ERR_HOSTKEY_CHANGED:
	case CN_ERR_AUTH:
	case CN_ERR_SSH:
	case CN_ERR_AGAIN:
		return EXIT_UNREACHABLE;
	default:
		return EXIT_REMOTE;
	}
}

int
cmd_connect_err(int r)
{
	return exit_from_err(r) == EXIT_UNREACHABLE ? r : CN_ERR_CONNECT;
}

int
exit_worst(int a, int b)
{
	/* The codes are numbered by weight: 3 > 2 > 1 > 0. */
	return a > b ? a : b;
}

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

int
cmd_interrupted(void *unused)
{
	(void)unused;
	return interrupted != 0;
}

static const char *
opt_value_name(const struct cmd_opt *o)
{
	if (o->arg != NULL)
		return o->arg;
	return o->kind == CMD_OPT_CHOICE ? o->choices : "VALUE";
}

void
cmd_usage(const struct cmd_entry *e, FILE *fp, bool full)
{
	const struct cmd_opt *o;
	char lhs[128];
	size_t k;

	fprintf(fp, "usage: cnorch %s\n", e->synopsis);
	if (!full)
		return;
	if (e->summary != NULL)
		fprintf(fp, "\n%s\n", e->summary);
	fprintf(fp, "\noptions:\n");
	for (o = e->opts; o != NULL && o->name != NULL; o++) {
		k = 0;
		if (o->short_name != 0)
			k = (size_t)snprintf(lhs, sizeof(lhs), "-%c, ",
			    o->short_name);
		if (o->kind == CMD_OPT_FLAG || o->kind == CMD_OPT_JSON)
			snprintf(lhs + k, sizeof(lhs) - k, "--%s", o->name);
		else if (o->kind == CMD_OPT_OPTSTRING)
			snprintf(lhs + k, sizeof(lhs) - k, "--%s[=%s]",
			    o->name, opt_value_name(o));
		else
			snprintf(lhs + k, sizeof(lhs) - k, "--%s %s", o->name,
			    opt_value_name(o));
		fprintf(fp, "   %-28s %s\n", lhs, o->help != NULL ? o->help :
		    "");
	}
	fprintf(fp, "   %-28s %s\n", "-h, --help", "show this help");
}

int
cmd_usage_error(const struct cmd_entry *e, const char *msg)
{
	fprintf(stderr, "error: %s\n", msg != NULL ? msg : "out of memory");
	cmd_usage(e, stderr, false);
	return EXIT_USAGE;
}

static int __attribute__((format(printf, 2, 3)))
fail(char **msg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(msg, fmt, ap) < 0)
		*msg = NULL;
	va_end(ap);
	return *msg != NULL ? CN_ERR_USAGE : CN_ERR_NOMEM;
}

/* Store one option's value into run->opts. */
static int
take_opt(struct cmd_run *run, const struct cmd_opt *o, char *v, char **msg)
{
	char *base = run->opts, *end, *copy, *c;
	struct cmd_strv *sv;
	const char **nv;
	double d;
	bool ok;

	switch (o->kind) {
	case CMD_OPT_FLAG:
		*(bool *)(void *)(base + o->off) = true;
		return CN_OK;
	case CMD_OPT_JSON:
		run->json = true;
		return CN_OK;
	case CMD_OPT_STRING:
		*(const char **)(void *)(base + o->off) = v;
		return CN_OK;
	case CMD_OPT_OPTSTRING:
		*(const char **)(void *)(base + o->off) = v != NULL ? v : "";
		return CN_OK;
	case CMD_OPT_CHOICE:
		if ((copy = strdup(o->choices)) == NULL)
			return CN_ERR_NOMEM;
		ok = false;
		for (c = strtok(copy, "|"); c != NULL && !ok;
		    c = strtok(NULL, "|"))
			ok = strcmp(c, v) == 0;
		free(copy);
		if (!ok)
			return fail(msg, "--%s: expected %s, got '%s'",
			    o->name, o->choices, v);
		*(const char **)(void *)(base + o->off) = v;
		return CN_OK;
	case CMD_OPT_STRINGS:
		sv = (struct cmd_strv *)(void *)(base + o->off);
		if (o->max_count > 0 && sv->n >= o->max_count)
			return fail(msg, "too many --%s", o->name);
		if ((nv = realloc(sv->v, (sv->n + 2) * sizeof(*nv))) == NULL)
			return CN_ERR_NOMEM;
		sv->v = nv;
		sv->v[sv->n++] = v;
		sv->v[sv->n] = NULL;
		return CN_OK;
	case CMD_OPT_NUMBER:
	case CMD_OPT_INT:
		errno = 0;
		d = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' || !(d >= o->min &&
		    d <= o->max) || (o->kind == CMD_OPT_INT &&
		    d != (double)(long)d))
			return fail(msg, "--%s: expected %s %g-%g, got '%s'",
			    o->name, o->unit != NULL ? o->unit : "a number",
			    o->min, o->max, v);
		if (o->kind == CMD_OPT_INT)
			*(int *)(void *)(base + o->off) = (int)d;
		else
			*(double *)(void *)(base + o->off) = d;
		return CN_OK;
	}
	return CN_ERR_INVALID;
}

#define VAL_HELP	1000
#define VAL_BASE	1001	/* + index of a long-only option */

int
cmd_parse(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
    char **argv, struct cmd_run *run, char **msg)
{
	struct option *lo = NULL;
	const struct cmd_opt *o;
	char shorts[64];
	size_t nopts = 0, i, k = 0;
	int ch, r = CN_OK, npos;
	char **pos;

	*msg = NULL;
	memset(run, 0, sizeof(*run));
	run->e = e;
	run->ctx = ctx;
	run->json = ctx->json;
	if (e->opts_size > 0 && (run->opts = calloc(1, e->opts_size)) ==
	    NULL)
		return CN_ERR_NOMEM;
	if (e->opts_init != NULL)
		e->opts_init(run->opts);
	for (o = e->opts; o != NULL && o->name != NULL; o++)
		nopts++;
	if ((lo = calloc(nopts + 2, sizeof(*lo))) == NULL)
		return CN_ERR_NOMEM;
	if (e->flags & CMD_OPTS_FIRST)
		shorts[k++] = '+';
	/* ':' first: a missing value is told apart from an unknown option. */
	shorts[k++] = ':';
	shorts[k++] = 'h';
	for (i = 0; i < nopts; i++) {
		o = &e->opts[i];
		lo[i].name = o->name;
		lo[i].has_arg = o->kind == CMD_OPT_FLAG ||
		    o->kind == CMD_OPT_JSON ? no_argument :
		    o->kind == CMD_OPT_OPTSTRING ? optional_argument :
		    required_argument;
		lo[i].val = o->short_name != 0 ? o->short_name :
		    VAL_BASE + (int)i;
		if (o->short_name != 0 && k + 3 < sizeof(shorts)) {
			shorts[k++] = (char)o->short_name;
			if (lo[i].has_arg == required_argument)
				shorts[k++] = ':';
		}
	}
	shorts[k] = '\0';
	lo[nopts].name = "help";
	lo[nopts].val = VAL_HELP;

	optind = 0;	/* glibc: start afresh, argv[0] is the name */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (ch == 'h' || ch == VAL_HELP) {
			run->help = true;
			goto out;
		}
		if (ch == '?') {
			if (optopt != 0 && optopt < VAL_HELP)
				r = fail(msg, "unknown option '-%c'", optopt);
			else
				r = fail(msg, "unknown option '%s'",
				    argv[optind - 1]);
			goto out;
		}
		if (ch == ':') {
			r = fail(msg, "'%s' needs a value", argv[optind - 1]);
			goto out;
		}
		for (i = 0; i < nopts; i++)
			if (lo[i].val == ch)
				break;
		if (i == nopts) {
			r = fail(msg, "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
		if ((r = take_opt(run, &e->opts[i], optarg, msg)) != CN_OK)
			goto out;
	}
	pos = argv + optind;
	npos = argc - optind;
	if (e->target != CMD_TARGET_NONE && npos > 0) {
		run->target = pos[0];
		pos++;
		npos--;
	} else if (e->target == CMD_TARGET_REQUIRED) {
		r = fail(msg, "%s needs a TARGET", e->name);
		goto out;
	}
	if (npos < e->nargs_min) {
		r = fail(msg, "%s needs %s", e->name, e->args_name != NULL ?
		    e->args_name : "more arguments");
		goto out;
	}
	if (e->nargs_max >= 0 && npos > e->nargs_max) {
		r = fail(msg, "unexpected argument '%s'", pos[e->nargs_max]);
		goto out;
	}
	run->args = pos;
	run->nargs = npos;
 out:
	free(lo);
	return r;
}

void
cmd_run_release(struct cmd_run *run)
{
	const struct cmd_opt *o;

	if (run->e != NULL && run->e->release != NULL)
		run->e->release(run);
	free(run->host_state);
	run->host_state = NULL;
	if (run->opts != NULL)
		for (o = run->e->opts; o != NULL && o->name != NULL; o++)
			if (o->kind == CMD_OPT_STRINGS)
				free(((struct cmd_strv *)(void *)
				    ((char *)run->opts + o->off))->v);
	free(run->opts);
	run->opts = NULL;
}

static int
run_host(const struct host *h, void *arg, struct hostout *o)
{
	struct cmd_run *run = arg;
	int r;

	/* The fleet view's row (render.h); nothing in the other views. */
	render_phase(run->rd, h->name, RENDER_CONNECT);
	r = run->e->host(run, h, o);
	render_phase(run->rd, h->name, r == CN_OK ? RENDER_DONE :
	    exit_from_err(r) == EXIT_UNREACHABLE ? RENDER_UNREACHABLE :
	    RENDER_FAILED);
	return r;
}

const char *
cmd_host_token(const char *env_name)
{
	const char *v;

	if (env_name == NULL || env_name[0] == '\0' ||
	    (v = getenv(env_name)) == NULL || v[0] == '\0')
		return NULL;
	return v;
}

bool
cmd_allow_http_token(void)
{
	const char *v = getenv("CNORCH_ALLOW_HTTP_TOKEN");

	return v != NULL && strcmp(v, "1") == 0;
}

void
cmd_launch_env(struct launch_env *le, const struct host *h,
    const char *data_dir)
{
	memset(le, 0, sizeof(*le));
	le->payload_id = payload_id();
	le->data_dir = data_dir;
	le->hf_endpoint = h->mirrors.hf;
	le->modelscope_endpoint = h->mirrors.modelscope;
	le->hf_token = cmd_host_token(h->hf_token_env);
	le->modelscope_token = cmd_host_token(h->modelscope_token_env);
	le->proxy = h->proxy;
	le->upstream_endpoint = lend_upstream(h);
	le->allow_http_token = cmd_allow_http_token();
}

/*
 * HF_TOKEN set on the laptop reaches no box by itself (issue 10): say so
 * once when a target host does not ask for it, with the way to send it.
 */
static void
note_unsent_token(const struct host *const *hosts, size_t n)
{
	const char *v = getenv("HF_TOKEN");
	size_t i;

	if (v == NULL || v[0] == '\0')
		return;
	for (i = 0; i < n; i++)
		if (hosts[i]->hf_token_env == NULL)
			break;
	if (i == n)
		return;
	fprintf(stderr, "note: HF_TOKEN is set here but is not sent to %s%s; "
	    "to send it, add \"hf_token_env\": \"HF_TOKEN\" to the host "
	    "(or to \"defaults\") in the inventory\n", hosts[i]->name,
	    n > 1 ? " (nor to other hosts without hf_token_env)" : "");
}

/* Every target host through e->host; returns the exit code. */
static int
run_fleet(struct cmd_run *run)
{
	const struct cmd_entry *e = run->e;
	struct inventory *own = NULL;
	const struct host **hosts = NULL;
	const char **names = NULL;
	struct runlog *rl = NULL;
	struct sigaction sa, old_int;
	char *msg = NULL;
	size_t n = 0, i;
	int *status = NULL, r, ret = EXIT_OK;
	bool sig_set = false;

	if ((r = targets_select(run->ctx->inventory_path, run->target, &own,
	    &hosts, &n, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		ret = EXIT_USAGE;
		goto out;
	}
	run->hosts = (const struct host *const *)hosts;
	run->nhosts = n;
	if (e->flags & CMD_TOKENS)
		note_unsent_token(run->hosts, n);
	if ((status = calloc(n + 1, sizeof(*status))) == NULL ||
	    (e->host_state_size > 0 && (run->host_state = calloc(n + 1,
	    e->host_state_size)) == NULL))
		goto nomem;
	if (e->flags & CMD_RENDER) {
		if ((run->rd = render_create(render_pick_mode(run->json,
		    run->live), stdout, stderr, run->ctx->verbosity)) == NULL)
			goto nomem;
		if (e->flags & CMD_KEEP_LOG)
			(void)render_keep_log(run->rd, e->name);
		if ((names = calloc(n + 1, sizeof(*names))) == NULL)
			goto nomem;
		for (i = 0; i < n; i++)
			names[i] = hosts[i]->name;
		render_hosts(run->rd, names, n);
	} else if (e->flags & CMD_KEEP_LOG) {
		/* Each host's output also stays on the laptop (best
		 * effort). */
		if (runlog_create(e->name, &rl, &msg) != CN_OK)
			fprintf(stderr, "warning: %s\n", msg != NULL ? msg :
			    "cannot keep run logs");
		fleet_keep_log(rl);
	}
	if (e->flags & CMD_DETACH) {
		/* Ctrl-C detaches (once; a second one kills as usual). */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigint;
		sa.sa_flags = SA_RESTART | SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		interrupted = 0;
		sig_set = sigaction(SIGINT, &sa, &old_int) == 0;
	}
	fleet_run(run->hosts, n, run->ctx->forks > 0 ? run->ctx->forks :
	    DEFAULT_FORKS, run_host, run, status);
	if (sig_set)
		sigaction(SIGINT, &old_int, NULL);
	fleet_keep_log(NULL);
	for (i = 0; i < n; i++)
		ret = exit_worst(ret, exit_from_err(status[i]));
	if (run->rd != NULL)
		render_finish(run->rd);
	if (e->finish != NULL)
		ret = e->finish(run, status, ret);
	if (e->flags & CMD_SAVE_FAILED)
		targets_save_failed(run->hosts, n, status);
	goto out;
 nomem:
	fprintf(stderr, "error: out of memory\n");
	ret = EXIT_USAGE;
 out:
	runlog_destroy(rl);
	render_destroy(run->rd);
	run->rd = NULL;
	free(status);
	free(names);
	free(hosts);
	run->hosts = NULL;	/* host_state and nhosts stay for release */
	inventory_destroy(own);
	free(msg);
	return ret;
}

int
cmd_run(const struct cmd_entry *e, struct cmd_ctx *ctx, int argc,
    char **argv)
{
	struct cmd_run run;
	char *msg = NULL;
	int r, ret;

	if ((r = cmd_parse(e, ctx, argc, argv, &run, &msg)) != CN_OK) {
		if (r == CN_ERR_USAGE)
			ret = cmd_usage_error(e, msg);
		else {
			fprintf(stderr, "error: %s\n", cn_strerror(r));
			ret = EXIT_USAGE;
		}
		goto out;
	}
	if (run.help) {
		cmd_usage(e, stdout, true);
		ret = fflush(stdout) == 0 ? EXIT_OK : EXIT_REMOTE;
		goto out;
	}
	run.live = (e->flags & CMD_LIVE) != 0;
	run.interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	if (e->check != NULL && (r = e->check(&run, &msg)) != CN_OK) {
		if (r == CN_ERR_USAGE)
			ret = cmd_usage_error(e, msg);
		else {
			fprintf(stderr, "error: %s\n", msg != NULL ? msg :
			    cn_strerror(r));
			ret = exit_from_err(r);
		}
		goto out;
	}
	if (e->flags & CMD_PER_HOST) {
		ret = run_fleet(&run);
		goto out;
	}
	ret = exit_from_err(e->exec(&run));
 out:
	cmd_run_release(&run);
	free(msg);
	return ret;
}

void *
cmd_host_state(struct cmd_run *run, const struct host *h)
{
	size_t i;

	for (i = 0; i < run->nhosts; i++)
		if (run->hosts[i] == h)
			return (char *)run->host_state + i *
			    run->e->host_state_size;
	return NULL;
}

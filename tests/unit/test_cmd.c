/* Unit tests for the command framework: parsing, usage, --help, arity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd.h"
#include "error.h"

/* Parse argv (NULL-terminated) for command name. */
static int
parse(const char *name, struct cmd_run *run, char **msg, ...)
{
	static char *argv[32];
	static struct cmd_ctx ctx;
	const struct cmd_entry *e = cmd_find(name);
	va_list ap;
	int argc = 0;

	assert_non_null(e);
	memset(&ctx, 0, sizeof(ctx));
	argv[argc++] = (char *)name;
	va_start(ap, msg);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return cmd_parse(e, &ctx, argc, argv, run, msg);
}

/* Run fn with fd (1 or 2) going to a file; returns what was written. */
static char *
capture(int fd, int (*fn)(void *), void *arg, int *rc)
{
	FILE *tmp = tmpfile();
	char *buf;
	long n;
	int saved;

	assert_non_null(tmp);
	fflush(fd == 1 ? stdout : stderr);
	saved = dup(fd);
	dup2(fileno(tmp), fd);
	*rc = fn(arg);
	fflush(fd == 1 ? stdout : stderr);
	dup2(saved, fd);
	close(saved);
	n = lseek(fileno(tmp), 0, SEEK_END);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fileno(tmp), buf, (size_t)n, 0), n);
	fclose(tmp);
	return buf;
}

struct call {
	const struct cmd_entry *e;
	int	 argc;
	char	*argv[8];
};

static int
do_run(void *arg)
{
	struct call *c = arg;
	struct cmd_ctx ctx = { 0 };

	return cmd_run(c->e, &ctx, c->argc, c->argv);
}

static void
test_dashdash(void **state)
{
	struct cmd_run run;
	char *msg = NULL;

	(void)state;
	/* exec: options before "--", the remote command after it, even
	 * when it looks like options. */
	assert_int_equal(parse("exec", &run, &msg, "box", "--timeout", "5",
	    "--", "ls", "-l", "--all", NULL), CN_OK);
	assert_string_equal(run.target, "box");
	assert_int_equal(run.nargs, 3);
	assert_string_equal(run.args[0], "ls");
	assert_string_equal(run.args[1], "-l");
	assert_string_equal(run.args[2], "--all");
	cmd_run_release(&run);
	/* "--" only ends options: a TARGET after it is still the TARGET. */
	assert_int_equal(parse("provision", &run, &msg, "--", "-web", NULL),
	    CN_OK);
	assert_string_equal(run.target, "-web");
	assert_int_equal(run.nargs, 0);
	cmd_run_release(&run);
	assert_int_equal(parse("logs", &run, &msg, "--", "box", "job1", NULL),
	    CN_OK);
	assert_string_equal(run.target, "box");
	assert_string_equal(run.args[0], "job1");
	cmd_run_release(&run);
	/* An option after the positionals is still an option. */
	assert_int_equal(parse("logs", &run, &msg, "box", "-f", NULL), CN_OK);
	assert_true(run.live == false);	/* decided by cmd_run */
	cmd_run_release(&run);
	/* Without "--", exec's command words that look like options are
	 * options: an error, not a silent guess. */
	assert_int_equal(parse("exec", &run, &msg, "box", "ls", "-l", NULL),
	    CN_ERR_USAGE);
	assert_string_equal(msg, "unknown option '-l'");
	free(msg);
	cmd_run_release(&run);
}

static void
test_unknown_option(void **state)
{
	struct cmd_run run;
	struct call c = { cmd_find("resume"), 3,
	    { (char *)"resume", (char *)"box", (char *)"--bogus", NULL } };
	char *msg = NULL, *err, want[512];
	int rc;

	(void)state;
	assert_int_equal(parse("resume", &run, &msg, "box", "--bogus", NULL),
	    CN_ERR_USAGE);
	assert_string_equal(msg, "unknown option '--bogus'");
	free(msg);
	cmd_run_release(&run);
	err = capture(2, do_run, &c, &rc);
	assert_int_equal(rc, EXIT_USAGE);
	snprintf(want, sizeof(want), "error: unknown option '--bogus'\n"
	    "usage: cnorch %s\n", c.e->synopsis);
	assert_string_equal(err, want);
	free(err);
}

static void
test_option_values(void **state)
{
	struct cmd_run run;
	char *msg = NULL;

	(void)state;
	assert_int_equal(parse("resume", &run, &msg, "box", "--stall-after",
	    "0", NULL), CN_ERR_USAGE);
	assert_string_equal(msg, "--stall-after: expected seconds 1-86400, "
	    "got '0'");
	free(msg);
	cmd_run_release(&run);
	assert_int_equal(parse("exec", &run, &msg, "box", "--timeout=1.5",
	    "--", "true", NULL), CN_ERR_USAGE);
	free(msg);
	cmd_run_release(&run);
	assert_int_equal(parse("exec", &run, &msg, "box", "--timeout", NULL),
	    CN_ERR_USAGE);
	assert_string_equal(msg, "'--timeout' needs a value");
	free(msg);
	cmd_run_release(&run);
	assert_int_equal(parse("pull", &run, &msg, "box", "org/m", "--source",
	    "ftp", NULL), CN_ERR_USAGE);
	assert_string_equal(msg, "--source: expected "
	    "hf|modelscope|auto|huggingface, got 'ftp'");
	free(msg);
	cmd_run_release(&run);
	/* Repeatable options keep every value. */
	assert_int_equal(parse("pull", &run, &msg, "box", "org/m",
	    "--include", "*.json", "--include=*.safetensors", "--dataset",
	    NULL), CN_OK);
	assert_int_equal(run.nargs, 1);
	cmd_run_release(&run);
	/* --json of a command is the global --json. */
	assert_int_equal(parse("doctor", &run, &msg, "box", "--json", NULL),
	    CN_OK);
	assert_true(run.json);
	cmd_run_release(&run);
}

/* The value an option left in run->opts, found by its descriptor. */
static const char *
opt_string(const struct cmd_run *run, const char *name)
{
	const struct cmd_opt *o;

	for (o = run->e->opts; o != NULL && o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return *(const char *const *)(const void *)
			    ((const char *)run->opts + o->off);
	fail_msg("no option '%s'", name);
	return NULL;
}

/* --via-laptop-proxy[=URL]: absent NULL, bare "", =URL the URL; a word
 * after it is a positional, never its value. */
static void
test_optional_value(void **state)
{
	static const char *const cmds[] = { "pull", "provision", "resume",
	    "doctor" };
	struct cmd_run run;
	char *msg = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(parse(cmds[i], &run, &msg, "box", i == 0 ?
		    "org/m" : NULL, NULL), CN_OK);
		assert_null(opt_string(&run, "via-laptop-proxy"));
		cmd_run_release(&run);
		assert_int_equal(parse(cmds[i], &run, &msg, "box",
		    "--via-laptop-proxy", i == 0 ? "org/m" : NULL, NULL),
		    CN_OK);
		assert_string_equal(opt_string(&run, "via-laptop-proxy"), "");
		cmd_run_release(&run);
		assert_int_equal(parse(cmds[i], &run, &msg, "box",
		    "--via-laptop-proxy=socks5h://127.0.0.1:7891", i == 0 ?
		    "org/m" : NULL, NULL), CN_OK);
		assert_string_equal(opt_string(&run, "via-laptop-proxy"),
		    "socks5h://127.0.0.1:7891");
		cmd_run_release(&run);
	}
	assert_int_equal(parse("pull", &run, &msg, "box", "--via-laptop-proxy",
	    "org/m", NULL), CN_OK);
	assert_string_equal(run.args[0], "org/m");
	cmd_run_release(&run);
	/* logs: only with -f */
	assert_int_equal(parse("logs", &run, &msg, "box", "-f",
	    "--via-laptop-proxy", NULL), CN_OK);
	cmd_run_release(&run);
}

static void
test_arity(void **state)
{
	struct cmd_run run;
	char *msg = NULL;

	(void)state;
	assert_int_equal(parse("provision", &run, &msg, NULL), CN_ERR_USAGE);
	assert_string_equal(msg, "provision needs a TARGET");
	free(msg);
	cmd_run_release(&run);
	assert_int_equal(parse("pull", &run, &msg, "box", NULL), CN_ERR_USAGE);
	assert_string_equal(msg, "pull needs a TARGET and a REPO");
	free(msg);
	cmd_run_release(&run);
	assert_int_equal(parse("exec", &run, &msg, "box", NULL), CN_ERR_USAGE);
	assert_string_equal(msg, "exec needs a command after '--'");
	free(msg);
	cmd_run_release(&run);
	assert_int_equal(parse("stop", &run, &msg, "a", "b", "c", NULL),
	    CN_ERR_USAGE);
	assert_string_equal(msg, "unexpected argument 'c'");
	free(msg);
	cmd_run_release(&run);
	assert_int_equal(parse("version", &run, &msg, "x", NULL),
	    CN_ERR_USAGE);
	assert_string_equal(msg, "unexpected argument 'x'");
	free(msg);
	cmd_run_release(&run);
	/* Optional TARGET: none is every host. */
	assert_int_equal(parse("status", &run, &msg, NULL), CN_OK);
	assert_null(run.target);
	cmd_run_release(&run);
	assert_int_equal(parse("status", &run, &msg, "web", NULL), CN_OK);
	assert_string_equal(run.target, "web");
	cmd_run_release(&run);
	/* --help needs nothing else. */
	assert_int_equal(parse("pull", &run, &msg, "--help", NULL), CN_OK);
	assert_true(run.help);
	cmd_run_release(&run);
}

/* Every command in the table answers --help on stdout with exit 0. */
static void
test_help_every_command(void **state)
{
	const struct cmd_entry *const *e;
	struct call c;
	char *out, want[512];
	int rc, n = 0;

	(void)state;
	for (e = cmd_table; *e != NULL; e++, n++) {
		memset(&c, 0, sizeof(c));
		c.e = *e;
		c.argc = 2;
		c.argv[0] = (char *)(*e)->name;
		c.argv[1] = (char *)"--help";
		out = capture(1, do_run, &c, &rc);
		assert_int_equal(rc, EXIT_OK);
		snprintf(want, sizeof(want), "usage: cnorch %s\n",
		    (*e)->synopsis);
		assert_memory_equal(out, want, strlen(want));
		assert_non_null(strstr(out, "-h, --help"));
		free(out);
		/* The synopsis starts with the command's name. */
		assert_int_equal(strncmp((*e)->synopsis, (*e)->name,
		    strlen((*e)->name)), 0);
		assert_ptr_equal(cmd_find((*e)->name), *e);
	}
	assert_true(n >= 10);
	assert_null(cmd_find("prov"));	/* no prefix guessing */
}

static void
test_exit_from_err(void **state)
{
	(void)state;
	assert_int_equal(exit_from_err(CN_OK), 0);
	assert_int_equal(exit_from_err(CN_ERR_REMOTE), 1);
	assert_int_equal(exit_from_err(CN_ERR_NOMEM), 1);
	assert_int_equal(exit_from_err(CN_ERR_NOT_FOUND), 1);
	assert_int_equal(exit_from_err(CN_ERR_USAGE), 2);
	assert_int_equal(exit_from_err(CN_ERR_CONNECT), 3);
	assert_int_equal(exit_from_err(CN_ERR_AUTH), 3);
	assert_int_equal(exit_from_err(CN_ERR_HOSTKEY_CHANGED), 3);
	assert_int_equal(exit_from_err(CN_ERR_HOSTKEY_UNKNOWN), 3);
	assert_int_equal(exit_from_err(CN_ERR_SSH), 3);
	/* 3 wins over 1, whichever comes first. */
	assert_int_equal(exit_worst(1, 3), 3);
	assert_int_equal(exit_worst(3, 1), 3);
	assert_int_equal(exit_worst(0, 1), 1);
	assert_int_equal(exit_worst(0, 0), 0);
}

/* CMD_OPTS_FIRST (add): options before NAME are add's, everything after
 * NAME is LOGIN, ssh's own -p and -i included. */
static void
test_opts_first(void **state)
{
	struct cmd_run run;
	char *msg = NULL;

	(void)state;
	assert_int_equal(parse("add", &run, &msg, "--accept-new", "box1",
	    "ssh", "-p", "41234", "-i", "k", "root@h", NULL), CN_OK);
	assert_null(msg);
	assert_int_equal(run.nargs, 7);
	assert_string_equal(run.args[0], "box1");
	assert_string_equal(run.args[2], "-p");
	assert_string_equal(run.args[4], "-i");
	assert_string_equal(cmd_find("add")->opts[3].name, "accept-new");
	assert_true(*(bool *)((char *)run.opts +
	    cmd_find("add")->opts[3].off));
	cmd_run_release(&run);
	/* Without the flag the same words are options and fail. */
	assert_int_equal(parse("pull", &run, &msg, "t", "org/x", "-p", "1",
	    NULL), CN_ERR_USAGE);
	assert_non_null(msg);
	free(msg);
	cmd_run_release(&run);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dashdash),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_arity),
		cmocka_unit_test(test_optional_value),
		cmocka_unit_test(test_help_every_command),
		cmocka_unit_test(test_exit_from_err),
		cmocka_unit_test(test_opts_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

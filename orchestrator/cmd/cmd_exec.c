/*
 * cnorch exec TARGET [--timeout S] -- CMD...
 *
 * Runs CMD (its words joined with spaces: it is the user's shell line,
 * quoted by nothing further) through each host's login shell, all hosts
 * at once up to --forks.  Output comes back as host-prefixed lines, stdout
 * to stdout and stderr to stderr; a host whose command failed ends with
 * "NAME: exit N".  Exit code: 0 all ok, 1 a command failed, 3 a host could
 * not be reached, authenticated or its host key verified, 2 usage.
 *
 * --timeout S runs the line on the box as
 *	timeout -k 5 S "${SHELL:-/bin/sh}" -c 'CMD'
 * GNU timeout puts itself in its own process group and, on expiry,
 * signals the whole group (TERM, then KILL 5 s later), so whatever CMD
 * started ends with it; only coreutils are needed on the box.  Closing
 * the channel alone would not do it: sshd does not signal a command
 * without a pty.  The laptop gives up 15 s after S in case the box
 * stopped answering.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "connect.h"
#include "error.h"
#include "fleet.h"
#include "inventory.h"
#include "runlog.h"
#include "session.h"
#include "script.h"
#include "targets.h"

#define KILL_AFTER_S	5
#define LOCAL_SLACK_S	15
#define TIMEOUT_MAX_S	(7 * 24 * 3600)

extern const struct cmd_entry cmd_exec_entry;

struct exec_args {
	const char	*cmd;		/* what runs on the box */
	int		 timeout_s;	/* --timeout, 0 none */
	bool		 interactive;
};

/* Output of one stream of one host, cut into lines. */
struct line_buf {
	struct hostout	*o;
	int		 is_err;
	struct buf	 b;
};

static void
emit_lines(struct line_buf *lb, bool flush)
{
	char *start = lb->b.data, *nl;
	size_t rest;

	if (start == NULL)
		return;
	while ((nl = memchr(start, '\n', lb->b.len -
	    (size_t)(start - lb->b.data))) != NULL) {
		hostout_line(lb->o, lb->is_err, "%.*s", (int)(nl - start),
		    start);
		start = nl + 1;
	}
	rest = lb->b.len - (size_t)(start - lb->b.data);
	if (flush && rest > 0) {
		hostout_line(lb->o, lb->is_err, "%.*s", (int)rest, start);
		rest = 0;
	}
	memmove(lb->b.data, start, rest);
	lb->b.len = rest;
	lb->b.data[rest] = '\0';
}

static int
on_data(void *arg, int stream, const char *p, size_t n)
{
	struct line_buf *lb = arg;
	int r;

	lb += stream == 2 ? 1 : 0;
	if ((r = buf_append(&lb->b, p, n)) != CN_OK)
		return r;
	emit_lines(lb, false);
	return 0;
}

/* Each line of a (possibly multi-line) host-prefixed message. */
static void
print_msg(struct hostout *o, const char *name, const char *msg)
{
	const char *line = msg, *nl;
	size_t plen = strlen(name);
	int len;

	while (line != NULL && *line != '\0') {
		nl = strchr(line, '\n');
		len = nl != NULL ? (int)(nl - line) : (int)strlen(line);
		/* Messages already carry "name: ": do not say it twice. */
		if ((size_t)len > plen + 1 && strncmp(line, name, plen) == 0 &&
		    line[plen] == ':' && line[plen + 1] == ' ')
			hostout_line(o, 1, "%.*s", len - (int)plen - 2,
			    line + plen + 2);
		else
			hostout_line(o, 1, "%.*s", len, line);
		line = nl != NULL ? nl + 1 : NULL;
	}
}

static int
exec_host(const struct host *h, void *arg, struct hostout *o)
{
	struct exec_args *a = arg;
	struct session *s = NULL;
	struct line_buf lb[2];
	char *msg = NULL;
	int r, status = -1, ret;

	memset(lb, 0, sizeof(lb));
	lb[0].o = lb[1].o = o;
	lb[1].is_err = 1;
	if ((r = host_connect(h, a->interactive, &s, &msg)) != CN_OK) {
		print_msg(o, h->name, msg != NULL ? msg : cn_strerror(r));
		ret = EXIT_UNREACHABLE;
		goto out;
	}
	r = session_exec_stream(s, a->cmd, NULL, 0, on_data, lb, &status,
	    a->timeout_s > 0 ? a->timeout_s + KILL_AFTER_S + LOCAL_SLACK_S :
	    0);
	emit_lines(&lb[0], true);
	emit_lines(&lb[1], true);
	if (r == CN_ERR_TIMEOUT) {
		print_msg(o, h->name, session_errmsg(s));
		ret = EXIT_REMOTE;
		goto out;
	}
	if (r != CN_OK) {
		print_msg(o, h->name, r == CN_ERR_NOMEM ? cn_strerror(r) :
		    session_errmsg(s));
		ret = r == CN_ERR_NOMEM ? EXIT_REMOTE : EXIT_UNREACHABLE;
		goto out;
	}
	if (status == 0) {
		ret = EXIT_OK;
		goto out;
	}
	/* timeout(1): 124 after TERM, 137 when KILL was needed. */
	if (a->timeout_s > 0 && (status == 124 || status == 137))
		hostout_line(o, 1, "timed out after %d s (exit %d)",
		    a->timeout_s, status);
	else
		hostout_line(o, 1, "exit %d", status);
	ret = EXIT_REMOTE;
 out:
	buf_release(&lb[0].b);
	buf_release(&lb[1].b);
	free(msg);
	session_destroy(s);
	return ret;
}

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: cnorch %s\n", cmd_exec_entry.usage);
	return EXIT_USAGE;
}

static int
cmd_exec_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct exec_args a = { NULL, 0, false };
	struct inventory *own_inv = NULL;
	struct runlog *rl = NULL;
	const struct host **hosts = NULL;
	const char *target = NULL, *tv = NULL;
	char *msg = NULL, *wrapped = NULL;
	char *end;
	struct buf cmd = { NULL, 0, 0 };
	size_t nhosts = 0;
	int *status = NULL, ret, r, argi;
	long v;

	for (argi = 1; argi < argc; argi++) {
		if (strcmp(argv[argi], "--") == 0) {
			argi++;
			break;
		}
		if (strcmp(argv[argi], "--timeout") == 0) {
			if (argi + 1 >= argc)
				return usage_error("--timeout needs a value");
			tv = argv[++argi];
		} else if (strncmp(argv[argi], "--timeout=", 10) == 0) {
			tv = argv[argi] + 10;
		} else if (argv[argi][0] == '-' && argv[argi][1] != '\0') {
			return usage_error("unknown option '%s'", argv[argi]);
		} else if (target == NULL) {
			target = argv[argi];
		} else {
			/* No "--": the rest is the command. */
			break;
		}
	}
	if (target == NULL)
		return usage_error("exec needs a TARGET");
	if (argi >= argc)
		return usage_error("exec needs a command after '--'");
	if (tv != NULL) {
		errno = 0;
		v = strtol(tv, &end, 10);
		if (errno != 0 || *end != '\0' || end == tv || v < 1 ||
		    v > TIMEOUT_MAX_S)
			return usage_error("--timeout: expected seconds "
			    "(1-604800), got '%s'", tv);
		a.timeout_s = (int)v;
	}
	for (; argi < argc; argi++) {
		if ((cmd.len > 0 && buf_append(&cmd, " ", 1) != CN_OK) ||
		    buf_append(&cmd, argv[argi], strlen(argv[argi])) != CN_OK) {
			fprintf(stderr, "error: out of memory\n");
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (cmd.data == NULL || cmd.len == 0) {
		ret = usage_error("empty command");
		goto out;
	}
	a.cmd = cmd.data;
	if (a.timeout_s > 0) {
		if ((wrapped = script_with_timeout(cmd.data, a.timeout_s,
		    KILL_AFTER_S)) == NULL) {
			fprintf(stderr, "error: out of memory\n");
			ret = EXIT_USAGE;
			goto out;
		}
		a.cmd = wrapped;
	}

	if ((r = targets_select(ctx, target, &own_inv, &hosts, &nhosts,
	    &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		ret = EXIT_USAGE;
		goto out;
	}
	if ((status = calloc(nhosts, sizeof(*status))) == NULL) {
		fprintf(stderr, "error: out of memory\n");
		ret = EXIT_USAGE;
		goto out;
	}
	a.interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	/* Each host's output also stays on the laptop (best effort). */
	if (runlog_create("exec", &rl, &msg) != CN_OK)
		fprintf(stderr, "warning: %s\n", msg != NULL ? msg :
		    "cannot keep run logs");
	free(msg);
	msg = NULL;
	fleet_keep_log(rl);
	ret = fleet_run((const struct host *const *)hosts, nhosts,
	    ctx->forks > 0 ? ctx->forks : 16, exec_host, &a, status);
	fleet_keep_log(NULL);

	targets_save_failed(hosts, nhosts, status);
 out:
	runlog_destroy(rl);
	free(status);
	free(hosts);
	inventory_destroy(own_inv);
	free(msg);
	free(wrapped);
	buf_release(&cmd);
	return ret;
}

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.usage = "exec TARGET [--timeout S] -- CMD...",
	.flags = CMD_NEEDS_INVENTORY,
	.exec = cmd_exec_exec,
};

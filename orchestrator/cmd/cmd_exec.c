/*
 * cnorch exec TARGET [--timeout S] -- CMD...
 *
 * Runs CMD (its words joined with spaces: it is the user's shell line,
 * quoted by nothing further) through each host's login shell, all hosts
 * at once up to --forks.  Output comes back as host-prefixed lines, stdout
 * to stdout and stderr to stderr, streamed through hostout_write (fleet.h:
 * batched writes, lines cut at 64 KiB, so neither a huge line nor many
 * short ones cost more than the bytes); a host whose command failed ends with
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
#include <stddef.h>
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
#include "session.h"
#include "script.h"

#define KILL_AFTER_S	5
#define LOCAL_SLACK_S	15
#define TIMEOUT_MAX_S	(7 * 24 * 3600)


struct exec_opts {
	int		 timeout_s;	/* --timeout, 0 none */
	char		*cmd;		/* what runs on the box (check()) */
};

static int
on_data(void *arg, int stream, const char *p, size_t n)
{
	struct hostout *o = arg;
	int r;

	if ((r = hostout_write(o, stream == 2, p, n)) != CN_OK)
		return r;
	/* One batch per read: the next may be a while. */
	hostout_flush(o);
	return 0;
}

static int
exec_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct exec_opts *a = run->opts;
	struct session *s = NULL;
	char *msg = NULL;
	int r, status = -1, ret;

	if ((r = host_connect(h, run->interactive, &s, &msg)) != CN_OK) {
		hostout_message(o, 1, msg != NULL ? msg : cn_strerror(r));
		ret = cmd_connect_err(r);
		goto out;
	}
	r = session_exec_stream(s, a->cmd, NULL, 0, on_data, o, &status,
	    a->timeout_s > 0 ? a->timeout_s + KILL_AFTER_S + LOCAL_SLACK_S :
	    0);
	hostout_end(o);
	if (r == CN_ERR_TIMEOUT) {
		/* The box stopped answering within the slack: the command
		 * failed, the host was reached. */
		hostout_message(o, 1, session_errmsg(s));
		ret = CN_ERR_REMOTE;
		goto out;
	}
	if (r != CN_OK) {
		hostout_message(o, 1, r == CN_ERR_NOMEM ? cn_strerror(r) :
		    session_errmsg(s));
		ret = r == CN_ERR_NOMEM || exit_from_err(r) ==
		    EXIT_UNREACHABLE ? r : CN_ERR_SSH;
		goto out;
	}
	if (status == 0) {
		ret = CN_OK;
		goto out;
	}
	/* timeout(1): 124 after TERM, 137 when KILL was needed. */
	if (a->timeout_s > 0 && (status == 124 || status == 137))
		hostout_line(o, 1, "timed out after %d s (exit %d)",
		    a->timeout_s, status);
	else
		hostout_line(o, 1, "exit %d", status);
	ret = CN_ERR_REMOTE;
 out:
	free(msg);
	session_destroy(s);
	return ret;
}

/* The command's words joined with spaces; with --timeout, wrapped. */
static int
exec_check(struct cmd_run *run, char **msg)
{
	struct exec_opts *a = run->opts;
	struct buf cmd = { NULL, 0, 0 };
	int i, r = CN_ERR_NOMEM;

	for (i = 0; i < run->nargs; i++)
		if ((cmd.len > 0 && buf_append(&cmd, " ", 1) != CN_OK) ||
		    buf_append(&cmd, run->args[i], strlen(run->args[i])) !=
		    CN_OK)
			goto out;
	if (cmd.data == NULL || cmd.len == 0) {
		*msg = strdup("empty command");
		r = *msg != NULL ? CN_ERR_USAGE : CN_ERR_NOMEM;
		goto out;
	}
	if (a->timeout_s == 0) {
		a->cmd = cmd.data;
		cmd.data = NULL;
		r = CN_OK;
		goto out;
	}
	if ((a->cmd = script_with_timeout(cmd.data, a->timeout_s,
	    KILL_AFTER_S)) == NULL)
		goto out;
	r = CN_OK;
 out:
	buf_release(&cmd);
	return r;
}

static void
exec_release(struct cmd_run *run)
{
	struct exec_opts *a = run->opts;

	if (a != NULL) {
		free(a->cmd);
		a->cmd = NULL;
	}
}

static const struct cmd_opt exec_opts_table[] = {
	{ .name = "timeout", .kind = CMD_OPT_INT, .arg = "S",
	  .off = offsetof(struct exec_opts, timeout_s), .min = 1,
	  .max = TIMEOUT_MAX_S, .unit = "seconds",
	  .help = "end CMD (and what it started) after S seconds" },
	{ .name = NULL }
};

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.synopsis = "exec TARGET [--timeout S] -- CMD...",
	.summary = "Run a shell line on every host, output host-prefixed.",
	.opts = exec_opts_table,
	.opts_size = sizeof(struct exec_opts),
	.target = CMD_TARGET_REQUIRED,
	.nargs_min = 1,
	.nargs_max = -1,
	.args_name = "a command after '--'",
	.flags = CMD_PER_HOST | CMD_KEEP_LOG | CMD_SAVE_FAILED,
	.check = exec_check,
	.host = exec_host,
	.release = exec_release,
};

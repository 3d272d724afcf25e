/*
 * cnorch gc TARGET [--revisions] [--incomplete [--older-than D]]
 *           [--repo R] [--dry-run] [--yes]
 *
 * Gives disk back on each box: `cnorch-agent gc` over the HF cache under
 * the host's data_dir removes detached revisions (and the blobs no
 * remaining snapshot links) and partial downloads (older than D), never
 * those of a repo a pull is writing.  Per host it prints what went and
 * the bytes freed.  On a terminal, without --yes or --dry-run, it first
 * runs the same as a dry run everywhere, shows what and how much would
 * come back, and asks; piped, it does what it is told.
 *
 * Exit code: 0; 1 gc failed (or skipped a named repo) on a host; 3 a host
 * could not be reached; 2 usage.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "daytwo.h"
#include "error.h"
#include "fmt.h"
#include "inventory.h"
#include "render.h"
#include "session.h"

struct gc_opts {
	bool		 revisions, incomplete, dry_run, yes;
	const char	*older_than, *repo;
};

/* What one fleet run freed (or would free), for the question. */
struct gc_host {
	double		 bytes;
	int		 items;
};

struct gc_line_ctx {
	struct cmd_run	*run;
	const struct host *h;
	struct gc_host	*gh;
};

static int
on_line(void *arg, json_t *o)
{
	struct gc_line_ctx *c = arg;
	struct gc_opts *opts = c->run->opts;
	const char *kind = daytwo_jstr(o, "kind"), *name = c->h->name;
	json_t *v;
	char b[32];

	if (c->run->json) {
		render_note(c->run->rd, name, false, json_incref(o), "%s", "");
	} else if (strcmp(kind, "remove") == 0) {
		fmt_bytes(b, sizeof(b), json_number_value(json_object_get(o,
		    "bytes")));
		render_note(c->run->rd, name, false, NULL, "%s: %s %s %s (%s)",
		    daytwo_jstr(o, "repo"), opts->dry_run ? "would remove" :
		    "removed", daytwo_jstr(o, "what"), daytwo_jstr(o, "name"),
		    b);
	} else if (strcmp(kind, "skip") == 0)
		render_note(c->run->rd, name, true, NULL, "%s: skipped: %s",
		    daytwo_jstr(o, "repo"), daytwo_jstr(o, "reason"));
	if (strcmp(kind, "gc") == 0) {
		if (json_is_number(v = json_object_get(o, "bytes")))
			c->gh->bytes = json_number_value(v);
		if (json_is_integer(v = json_object_get(o, "items")))
			c->gh->items = (int)json_integer_value(v);
		if (!c->run->json) {
			fmt_bytes(b, sizeof(b), c->gh->bytes);
			render_note(c->run->rd, name, false, NULL, "%s %s in "
			    "%d item%s", opts->dry_run ? "would free" :
			    "freed", b, c->gh->items, c->gh->items == 1 ?
			    "" : "s");
		}
	}
	return 0;
}

static int
gc_host(struct cmd_run *run, const struct host *h, struct hostout *o)
{
	struct gc_opts *opts = run->opts;
	struct gc_host *gh = cmd_host_state(run, h);
	struct gc_line_ctx c = { run, h, gh };
	struct session *s = NULL;
	struct box_facts f = { 0 };
	const char *args[8];
	size_t n = 0;
	int r, status;

	(void)o;
	if (gh == NULL)
		return CN_ERR_INVALID;
	if (opts->revisions)
		args[n++] = "--revisions";
	if (opts->incomplete)
		args[n++] = "--incomplete";
	if (opts->older_than != NULL) {
		args[n++] = "--older-than";
		args[n++] = opts->older_than;
	}
	if (opts->repo != NULL) {
		args[n++] = "--repo";
		args[n++] = opts->repo;
	}
	if (opts->dry_run)
		args[n++] = "--dry-run";
	if ((r = daytwo_prepare(run->rd, h, run->interactive, &s, &f)) !=
	    CN_OK)
		goto out;
	if ((r = daytwo_agent(run->rd, h, s, &f, CACHEOPS_GC, args, n,
	    on_line, &c, &status)) != CN_OK)
		goto out;
	r = status == 0 ? CN_OK : CN_ERR_REMOTE;
 out:
	box_facts_release(&f);
	session_destroy(s);
	return r;
}

/* The totals of the last fleet run, for gc_exec's question. */
static struct {
	double	 bytes;
	int	 items;
	int	 failed;
} last_run;

static int
gc_fleet_finish(struct cmd_run *run, const int *status, int exit_code)
{
	struct gc_host *gh = run->host_state;
	char b[32];
	size_t i;

	memset(&last_run, 0, sizeof(last_run));
	for (i = 0; gh != NULL && i < run->nhosts; i++) {
		last_run.bytes += gh[i].bytes;
		last_run.items += gh[i].items;
		if (status[i] != CN_OK)
			last_run.failed++;
	}
	if (!run->json && run->nhosts > 1) {
		fmt_bytes(b, sizeof(b), last_run.bytes);
		printf("%s %s in %d item%s on %zu hosts\n",
		    ((struct gc_opts *)run->opts)->dry_run ? "would free" :
		    "freed", b, last_run.items, last_run.items == 1 ? "" :
		    "s", run->nhosts);
		fflush(stdout);
	}
	return exit_code;
}

/* "3d", "30m", "2h", "45s": as the agent reads it. */
static bool
age_ok(const char *s)
{
	size_t i;

	for (i = 0; isdigit((unsigned char)s[i]); i++)
		;
	return i > 0 && i < 10 && strchr("smhd", s[i]) != NULL &&
	    s[i] != '\0' && s[i + 1] == '\0';
}

static int
gc_check(struct cmd_run *run, char **msg)
{
	struct gc_opts *opts = run->opts;
	int n = 0;

	if (!opts->revisions && !opts->incomplete)
		*msg = strdup("nothing to do: pass --revisions and/or "
		    "--incomplete");
	else if (opts->older_than != NULL && !opts->incomplete)
		*msg = strdup("--older-than needs --incomplete");
	else if (opts->older_than != NULL && !age_ok(opts->older_than))
		n = asprintf(msg, "--older-than: expected a duration like "
		    "45s, 30m, 2h or 3d, got '%s'", opts->older_than);
	else if (opts->repo != NULL)
		return daytwo_check_repo(opts->repo, msg);
	else
		return CN_OK;
	return n < 0 || *msg == NULL ? CN_ERR_NOMEM : CN_ERR_USAGE;
}

static const struct cmd_opt gc_opts_table[] = {
	{ .name = "revisions", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct gc_opts, revisions),
	  .help = "remove detached revisions and the blobs only they use" },
	{ .name = "incomplete", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct gc_opts, incomplete),
	  .help = "remove partial downloads (never a running pull's)" },
	{ .name = "older-than", .kind = CMD_OPT_STRING, .arg = "D",
	  .off = offsetof(struct gc_opts, older_than),
	  .help = "only partials at least D old: 30m, 2h, 3d" },
	{ .name = "repo", .kind = CMD_OPT_STRING, .arg = "R",
	  .off = offsetof(struct gc_opts, repo),
	  .help = "only repo R (org/name)" },
	{ .name = "dry-run", .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct gc_opts, dry_run),
	  .help = "remove nothing, print the same" },
	{ .name = "yes", .short_name = 'y', .kind = CMD_OPT_FLAG,
	  .off = offsetof(struct gc_opts, yes),
	  .help = "do not ask on a terminal" },
	{ .name = "json", .kind = CMD_OPT_JSON,
	  .help = "the agent's JSON lines, each with \"host\"" },
	{ .name = NULL }
};

#define GC_SYNOPSIS "gc TARGET [--revisions] [--incomplete [--older-than " \
	"D]] [--repo R] [--dry-run] [--yes]"

/* The fleet run itself (not in the command table). */
static const struct cmd_entry gc_fleet_entry = {
	.name = "gc",
	.synopsis = GC_SYNOPSIS,
	.opts = gc_opts_table,
	.opts_size = sizeof(struct gc_opts),
	.target = CMD_TARGET_REQUIRED,
	.flags = CMD_PER_HOST | CMD_RENDER | CMD_KEEP_LOG | CMD_SAVE_FAILED,
	.check = gc_check,
	.host_state_size = sizeof(struct gc_host),
	.host = gc_host,
	.finish = gc_fleet_finish,
};

/* argv for gc_fleet_entry from the parsed options. */
static int
fleet(struct cmd_run *run, bool dry_run)
{
	struct gc_opts *opts = run->opts;
	char *argv[16];
	int argc = 0;

	argv[argc++] = (char *)"gc";
	if (opts->revisions)
		argv[argc++] = (char *)"--revisions";
	if (opts->incomplete)
		argv[argc++] = (char *)"--incomplete";
	if (opts->older_than != NULL) {
		argv[argc++] = (char *)"--older-than";
		argv[argc++] = (char *)opts->older_than;
	}
	if (opts->repo != NULL) {
		argv[argc++] = (char *)"--repo";
		argv[argc++] = (char *)opts->repo;
	}
	if (dry_run)
		argv[argc++] = (char *)"--dry-run";
	if (run->json)
		argv[argc++] = (char *)"--json";
	argv[argc++] = (char *)"--";
	argv[argc++] = (char *)run->target;
	argv[argc] = NULL;
	return cmd_run(&gc_fleet_entry, run->ctx, argc, argv);
}

/* An exit code as the code exit_from_err() maps back to it. */
static int
err_of_exit(int code)
{
	switch (code) {
	case EXIT_OK:
		return CN_OK;
	case EXIT_USAGE:
		return CN_ERR_USAGE;
	case EXIT_UNREACHABLE:
		return CN_ERR_CONNECT;
	default:
		return CN_ERR_REMOTE;
	}
}

/* y or yes from the terminal. */
static bool
confirm(const char *question)
{
	char line[32];
	FILE *tty;
	bool yes = false;

	if ((tty = fopen("/dev/tty", "r+")) == NULL)
		return false;
	fprintf(tty, "%s [y/N] ", question);
	fflush(tty);
	if (fgets(line, sizeof(line), tty) != NULL)
		yes = strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0 ||
		    strcmp(line, "Y\n") == 0;
	fclose(tty);
	return yes;
}

static int
gc_exec(struct cmd_run *run)
{
	struct gc_opts *opts = run->opts;
	char b[32], q[128];
	int code;

	if (opts->dry_run || opts->yes || run->json || !run->interactive ||
	    !isatty(STDOUT_FILENO))
		return err_of_exit(fleet(run, opts->dry_run));
	code = fleet(run, true);
	if (last_run.items == 0) {
		printf("nothing to remove\n");
		return err_of_exit(code);
	}
	fmt_bytes(b, sizeof(b), last_run.bytes);
	snprintf(q, sizeof(q), "remove these %d item%s (%s)%s?",
	    last_run.items, last_run.items == 1 ? "" : "s", b,
	    last_run.failed > 0 ? " on the hosts that answered" : "");
	if (!confirm(q)) {
		printf("nothing removed\n");
		return err_of_exit(code);
	}
	return err_of_exit(exit_worst(code, fleet(run, false)));
}

const struct cmd_entry cmd_gc_entry = {
	.name = "gc",
	.synopsis = GC_SYNOPSIS,
	.summary = "Remove detached revisions and stale partials on each "
	    "box; asks first on a terminal.",
	.opts = gc_opts_table,
	.opts_size = sizeof(struct gc_opts),
	.target = CMD_TARGET_REQUIRED,
	.check = gc_check,
	.exec = gc_exec,
};

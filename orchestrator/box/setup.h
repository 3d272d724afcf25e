/*
 * setup: run the payload's setup-china-mirrors.sh on the box with the
 * host's settings.  Settings travel as CNORCH_* environment variables
 * exported by a small script sent on stdin to `sh -s`, never in argv (a
 * proxy URL may carry credentials).  The script's report lines
 * ("ok ITEM", "changed ITEM", "warn ITEM MSG", "error ITEM MSG", then
 * "summary ok=N changed=N failed=N") are parsed into counters and handed
 * to a callback one by one.
 *
 * Who frees: messages through char **msg are malloc'd; the caller frees.
 */
#ifndef CN_SETUP_H
#define CN_SETUP_H

#include <stdbool.h>
#include <stddef.h>

struct session;

struct setup_opts {
	const char	*data_dir;	/* absolute, as the box expanded it */
	const char	*hf;		/* NULL: the script's default */
	const char	*modelscope;
	const char	*pypi;
	const char	*conda;
	const char	*proxy;		/* NULL: no proxy (block removed) */
	bool		 proxy_in_shells; /* the proxy in env.sh too */
};

enum setup_status { SETUP_OK, SETUP_CHANGED, SETUP_WARN, SETUP_ERROR };

struct setup_result {
	int	ok, changed, failed, warned;
	bool	summary_seen;	/* the script reached its end */
};

/* Called for every report line: item and msg (msg may be ""). */
typedef void (*setup_item_cb)(void *arg, enum setup_status st,
    const char *item, const char *msg);

/* The stdin script: exports and the exec of the setup.  Malloc'd. */
char	*setup_script(const char *payload_id, const struct setup_opts *o);

/*
 * Parse one report line (no newline; split in place) into st, item and
 * msg (pointers into line; msg may be "").  Returns 1 for an item line,
 * 2 for the summary (its counts into res), 0 for anything else.
 */
int	setup_parse_line(char *line, enum setup_status *st,
	    const char **item, const char **msg, struct setup_result *res);

/*
 * Run it.  Returns CN_OK when the script ran (look at res->failed), or
 * CN_ERR_* with an unprefixed message when it could not be run or
 * ended without its summary.
 */
int	setup_run(struct session *s, const char *payload_id,
	    const struct setup_opts *o, setup_item_cb cb, void *arg,
	    struct setup_result *res, char **msg);

#endif

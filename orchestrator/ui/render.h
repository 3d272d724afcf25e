/*
 * render: what the user sees of a provision (and of a follow).
 *   RENDER_LINES  piped: one host-prefixed line per event, progress lines
 *                 at most one per job every few seconds;
 *   RENDER_TTY    a terminal: the same permanent lines, plus one live row
 *                 per running job (bar, bytes, %, rate, ETA) redrawn in
 *                 place below them;
 *   RENDER_JSON   --json: one JSON object per line, {"host": ..., "event":
 *                 ..., fields...}, for everything, recap included.
 * A struct render is shared by all host threads and locks itself.
 *
 * The formatting is done by pure functions (fmt_*, render_event_text,
 * render_row, render_event_json) that the unit tests drive.
 *
 * Who frees: render_destroy() (accepts NULL); render_event_json() returns
 * a malloc'd string the caller frees.
 */
#ifndef CN_RENDER_H
#define CN_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fmt.h"

enum render_mode { RENDER_LINES, RENDER_TTY, RENDER_JSON };

/* Seconds left at rate, or -1 when it cannot be told. */
double	eta_seconds(double done, double total, double rate);
/* "[=====>    ]" of width cells (brackets included) for frac 0..1. */
void	fmt_bar(char *buf, size_t n, double frac, int width);

/*
 * The text after "host: " for one event of job label, e.g.
 * "Qwen--Qwen2.5-7B@main progress 42% 1.2 GiB/2.9 GiB 35.1 MiB/s eta 48s".
 * Returns the length written (snprintf-style, truncated to n).
 */
int	render_event_text(char *buf, size_t n, const char *label, json_t *ev);

/* The JSON line (no newline) for one event: host first, then the event's
 * fields.  NULL on allocation failure. */
char	*render_event_json(const char *host, json_t *ev);

/* A live row: state of one job as the TTY shows it. */
struct render_row {
	char	 host[64];
	char	 label[160];
	double	 done, total;	/* bytes; total < 0: not planned yet */
	double	 rate;		/* bytes/s */
	int	 files_done, files;
	bool	 active;
};

/* One live row fitted into width columns (no newline). */
int	render_row_text(char *buf, size_t n, const struct render_row *r,
	    int width);

/* Piped progress: print this one?  (last < 0: never printed). */
bool	render_progress_due(double last, double now, double interval,
	    double done, double total);

/*
 * The mode for output going to stdout: JSON when asked, live rows when
 * stdout is a terminal that can redraw (and live is wanted), else lines.
 */
enum render_mode render_pick_mode(bool json, bool live);

struct render;

struct render *render_create(enum render_mode mode, FILE *out, FILE *err,
	    int verbosity);
void	render_destroy(struct render *r);
enum render_mode render_mode(const struct render *r);

/*
 * A permanent line about host: text modes print "host: <text>" (to err
 * when is_err), JSON prints {"host": host, fields...}.  fields is stolen
 * (may be NULL: then {"host", "event": "message", "message": text}).
 */
void	render_note(struct render *r, const char *host, bool is_err,
	    json_t *fields, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* One job event (ev borrowed): lines, bar update or JSON. */
void	render_event(struct render *r, const char *host, const char *label,
	    json_t *ev);

/* Drop the live row of host/label (job ended or detached). */
void	render_forget(struct render *r, const char *host, const char *label);

/*
 * Also keep every host's lines and events in
 * $XDG_STATE_HOME/cnorch/runs/<run-id>/<host>.log (runlog.h).  Best
 * effort: on failure a warning is printed and the run goes on.
 */
int	render_keep_log(struct render *r, const char *command);
/* That run directory, or NULL. */
const char *render_log_dir(const struct render *r);

/* Erase the live rows (before the recap and exit). */
void	render_finish(struct render *r);

#endif

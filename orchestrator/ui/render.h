/*
 * render: what the user sees of a provision (and of a follow).
 *   RENDER_LINES  piped: one host-prefixed line per event, progress lines
 *                 at most one per job every few seconds;
 *   RENDER_TTY    a terminal: the same permanent lines, plus one live row
 *                 per running job (bar, bytes, %, rate, ETA) redrawn in
 *                 place below them; with more hosts than fit (render_hosts:
 *                 more than a few, or their lines taller than the
 *                 terminal) and without -v, the fleet view instead: ONE
 *                 row per host (phase, progress, rate, ETA, per-source
 *                 bytes, file), step items folded into it, only warnings
 *                 and errors printed as lines above the rows, changed rows
 *                 redrawn a few times a second;
 *   RENDER_JSON   --json: one JSON object per line, {"host": ..., "event":
 *                 ..., fields...}, for everything, recap included.
 * A struct render is shared by all host threads and locks itself.
 *
 * The formatting is done by pure functions (fmt_*, render_event_text,
 * render_row, render_event_json; render_text.c) that the unit tests
 * drive; the fleet view lives in fleetview.c, the rest in render.c.
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

/*
 * Per-source bytes of an event ({"hf": N, "modelscope": M}, file_done and
 * done) as "hf 1.2 GiB + ms 800 MiB": hf, modelscope, then any other in
 * the event's order, zero and non-numeric ones left out, "modelscope" said
 * "ms".  "" (returns 0)
 * when sources is absent, not an object or all zero.
 */
int	render_sources_text(char *buf, size_t n, json_t *sources);

/* Where a host is in a run, for its fleet row. */
enum render_phase {
	RENDER_WAITING,		/* not started (--forks) */
	RENDER_CONNECT,
	RENDER_UPLOAD,
	RENDER_SETUP,
	RENDER_LAUNCH,
	RENDER_PULLING,		/* following its jobs */
	RENDER_DONE,		/* final phases from here on */
	RENDER_FAILED,
	RENDER_UNREACHABLE,
	RENDER_DETACHED,
};

const char *render_phase_name(enum render_phase ph);

/* A host's fleet row: the state of one host as the fleet view shows it. */
struct render_host_row {
	char	 host[64];
	enum render_phase phase;
	char	 items[64];	/* folded step items: "setup 6 changed" */
	char	 file[160];	/* the file being (or last) fetched */
	char	 sources[96];	/* render_sources_text() */
	char	 why[160];	/* failed: the last error, one line */
	double	 done, total;	/* bytes over its jobs; total < 0: none */
	double	 rate;		/* bytes/s */
	int	 files_done, files;
};

/*
 * A fleet row fitted into width columns (never more than width - 1, so it
 * never wraps): the name padded to name_width, the phase, then for a
 * pulling host bar, %, bytes, rate, ETA, sources and the file (the file's
 * name cut in the middle to what is left); for others the folded items or
 * the failure.
 */
int	render_host_row_text(char *buf, size_t n,
	    const struct render_host_row *r, int name_width, int width);

/*
 * The fleet view, or lines?  On a terminal (tty), without -v, with more
 * than a few hosts, or with more than one whose lines would not fit
 * term_rows.
 */
bool	render_fleet_wanted(bool tty, size_t nhosts, int verbosity,
	    int term_rows);

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

/*
 * The hosts of this run, in order: picks the fleet view when
 * render_fleet_wanted() (RENDER_TTY only), each host starting WAITING.
 * Call once, before any host runs.
 */
void	render_hosts(struct render *r, const char *const *names, size_t n);

/* True when the fleet view is on. */
bool	render_fleet(const struct render *r);

/* host has moved to phase ph (the fleet row; nothing in other views).  A
 * detached host stays detached; a final phase is not left for a running
 * one. */
void	render_phase(struct render *r, const char *host,
	    enum render_phase ph);

/*
 * One item of a step (payload, setup, mirror, pull) with its status (ok,
 * changed, warn, error, running...): render_note() in every view but the
 * fleet view, which folds ok/changed items into the host's row ("setup 6
 * changed 1 ok") and prints the others as lines.  The run log and JSON
 * keep every item.  fields is stolen as for render_note().
 */
void	render_item(struct render *r, const char *host, const char *step,
	    const char *status, json_t *fields, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/* Draw the fleet rows that changed now (a ticker does it a few times a
 * second on a terminal; tests call it). */
void	render_flush(struct render *r);

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

/* Erase the live rows (before the recap and exit); the fleet view ends. */
void	render_finish(struct render *r);

#endif

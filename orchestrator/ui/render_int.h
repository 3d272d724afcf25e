/* render_int.h: what render.c, render_text.c and fleetview.c share. */
#ifndef CN_RENDER_INT_H
#define CN_RENDER_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "render.h"

#define PIPE_PROGRESS_INTERVAL	5.0	/* seconds between piped progress */
#define FLEET_MIN_HOSTS		3	/* more hosts than this: fleet view */
/* What one host prints in the per-line form of a provision: payload,
 * about six setup items, the pull, its plan and done. */
#define LINES_PER_HOST		10
#define FLEET_TICK_MS		200	/* fleet rows redrawn at most 5/s */
#define NAME_WIDTH_MAX		24	/* names pad to at most this */
#define BAR_MAX			20	/* cells of a fleet row's bar */
#define NUMS_ROOM		32	/* " 48% 7.3 GiB/15.2 GiB 61.2 MiB/s" */
#define FILE_ROOM		16	/* "3/7 mode...sors" */
#define TEXT_MAX		512	/* one row's text */

static inline double
num(json_t *o, const char *key, double def)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

static inline const char *
str(json_t *o, const char *key, const char *def)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

/* One line on the screen whatever the box sent. */
static inline void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* Append to buf (k bytes used of n) as snprintf would; k stays <= n - 1. */
static inline void __attribute__((format(printf, 4, 5)))
add(char *buf, size_t n, size_t *k, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*k + 1 >= n)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *k, n - *k, fmt, ap);
	va_end(ap);
	if (w < 0)
		buf[*k] = '\0';
	else
		*k += (size_t)w < n - *k ? (size_t)w : n - *k - 1;
}


struct row {
	struct render_row r;
	double	 last_print;	/* piped: when its progress last printed */
};

/* A host of the fleet view. */
struct hostrow {
	char		 name[64];
	enum render_phase phase;
	int		 setup_ok, setup_changed;	/* folded items */
	char		 file[160];
	char		 why[160];
	json_t		*sources;	/* summed over its file_done events */
};

struct render {
	pthread_mutex_t	 lock;
	enum render_mode mode;
	FILE		*out, *err;
	int		 verbosity;
	struct row	*rows;
	size_t		 nrows, caprows;
	int		 drawn;	/* live rows on the screen now */
	struct runlog	*log;	/* every host's full output, or NULL */
	/* The fleet view (render_hosts). */
	bool		 fleet;
	struct hostrow	*hosts;
	size_t		 nhosts;
	int		 name_width;
	char		(*shown)[TEXT_MAX];	/* what each screen line has */
	int		 fdrawn;	/* fleet lines on the screen now */
	int		 fwidth;	/* the width they were drawn for */
	pthread_t	 ticker;
	pthread_cond_t	 tick;
	bool		 ticking, stop;
};

/* render.c */
int	render_term_width(FILE *fp);
int	render_term_rows(FILE *fp);

/* fleetview.c (the lock held unless said) */
struct hostrow *fleet_find_host(struct render *r, const char *name);
void	fleet_draw(struct render *r, bool all);
bool	fleet_event(struct render *r, const char *host, const char *e,
	    json_t *ev);
void	fleet_stop_ticker(struct render *r);	/* the lock not held */
void	fleet_end(struct render *r);

#endif

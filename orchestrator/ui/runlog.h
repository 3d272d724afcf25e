/*
 * What a run leaves on the laptop: each host's full output in
 * $XDG_STATE_HOME/cnorch/runs/<run-id>/<host>.log (default
 * ~/.local/state), and the names of the hosts that failed, read back by
 * the "@failed" target.
 *
 * Who frees: runlog_destroy() (accepts NULL); failed_load()'s array and
 * strings are freed with failed_free().
 */
#ifndef CN_RUNLOG_H
#define CN_RUNLOG_H

#include <stddef.h>

struct runlog;

/* Create the run directory (0700).  command names the run in its id. */
int	runlog_create(const char *command, struct runlog **out, char **msg);
void	runlog_destroy(struct runlog *rl);

/* Append one line to host's log; thread-safe, best effort. */
void	runlog_line(struct runlog *rl, const char *host, const char *line);
/* n bytes of whole lines (each ending in "\n") to host's log at once. */
void	runlog_write(struct runlog *rl, const char *host, const char *p,
	    size_t n);

/* The run directory. */
const char *runlog_dir(const struct runlog *rl);

/* The state directory: $XDG_STATE_HOME/cnorch (malloc'd), or NULL. */
char	*state_dir(void);

/* Replace the remembered failed hosts (atomically; empty list clears). */
int	failed_save(const char *const *names, size_t n);
/* Read them back; a missing file is an empty list. */
int	failed_load(char ***names, size_t *n);
void	failed_free(char **names, size_t n);

#endif

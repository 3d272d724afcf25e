/*
 * The hosts a command runs on: its TARGET resolved against the inventory
 * (loaded here), "@failed" read from the last run,
 * and the hosts that failed this time remembered for the next one.
 * Shared by every cmd_*.c that takes a TARGET.
 */
#ifndef CN_TARGETS_H
#define CN_TARGETS_H

#include <stddef.h>

struct host;
struct inventory;

/*
 * The hosts of a command's TARGET (NULL: every host) in the inventory at
 * inventory_path (NULL: $CNORCH_INVENTORY or the default), loaded into
 * *own, which the caller destroys, and @failed.  *hosts is
 * malloc'd (the caller frees the array).  Returns CN_OK or a code with a
 * one-line *msg.
 */
int	targets_select(const char *inventory_path, const char *target,
	    struct inventory **own, const struct host ***hosts, size_t *n,
	    char **msg);

/* Remember the hosts whose status is not CN_OK for "@failed" (best effort). */
void	targets_save_failed(const struct host *const *hosts, size_t n,
	    const int *status);

#endif

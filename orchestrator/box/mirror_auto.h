/*
 * mirror_auto: mirrors.pypi / mirrors.conda "auto".  provision measures
 * the candidate mirrors from the box (endpoints.h) and gives the fastest
 * reachable one to the setup script; the choice and its reason go to the
 * recap.
 *
 * Candidates for a kind, first found wins:
 *   the host's mirror_candidates.pypi / .conda in the inventory,
 *   $CNORCH_PYPI_CANDIDATES / $CNORCH_CONDA_CANDIDATES (comma list, for a
 *   one-off run), the well-known mirrors of China network reference
 *   section 1 (endpoint_well_known()).
 *
 * Who frees: *url and *why are malloc'd; the caller frees them.
 */
#ifndef CN_MIRROR_AUTO_H
#define CN_MIRROR_AUTO_H

#include <stdbool.h>

struct endpoint_list;
struct host;
struct session;

/* Probe bound of the choice, seconds. */
#define MIRROR_AUTO_TIMEOUT_S	8.0
/* Bytes sampled per candidate. */
#define MIRROR_AUTO_SAMPLE	(128 * 1024)

/*
 * Add kind's candidates for h to l (as configured = configured).
 * Returns CN_OK, CN_ERR_INVALID (a candidate is not an http(s) URL; *msg
 * says which) or CN_ERR_NOMEM.
 */
int	mirror_candidates(const struct host *h, const char *kind,
	    struct endpoint_list *l, bool configured, char **msg);

/* True when h or the environment names kind's candidates (not the
 * built-in list). */
bool	mirror_candidates_custom(const struct host *h, const char *kind);

/*
 * Measure kind's candidates from the box over s and pick the fastest
 * reachable one.  On CN_OK, *why is one line for the recap
 * ("pypi mirror auto → URL (12.3 MiB/s, ttfb 35 ms; 2 others
 * slower/failed)") and *url the choice, or NULL when no candidate was
 * reachable (the setup script's default stays; *why says so).  Else
 * CN_ERR_* with *why an unprefixed message and *url NULL.
 */
int	mirror_auto_pick(struct session *s, const struct host *h,
	    const char *kind, char **url, char **why);

#endif

/*
 * What `cache`, `verify` (all repos) and `gc` share on the command line:
 * where the caches and jobs are by default, one JSON line out, the clock.
 *
 * Who frees: the caller frees every returned string.
 */
#ifndef CN_CACHECMD_H
#define CN_CACHECMD_H

#include <jansson.h>

/* given, else $HF_HUB_CACHE, else $HF_HOME/hub, else NULL. */
char	*cachecmd_hf_dir(const char *given);
/* given, else $MODELSCOPE_CACHE, else NULL. */
char	*cachecmd_ms_dir(const char *given);
/* given, else $HOME/.cnorch/jobs (where `pull --detach` jobs live). */
char	*cachecmd_jobs_dir(const char *given);

/* One compact JSON line on stdout; o (may be NULL) is stolen. */
void	cachecmd_print(json_t *o);

/* Wall clock, unix seconds. */
double	cachecmd_now(void);

#endif

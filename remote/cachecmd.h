/*
 * What `cache`, `verify` (all repos) and `gc` share on the command line:
 * where the caches and jobs are by default, and the whole-cache verify.
 *
 * Who frees: the caller frees every returned string.
 */
#ifndef CN_CACHECMD_H
#define CN_CACHECMD_H

#include <stdbool.h>

#include "plan.h"

struct agent_cmd;

/* given, else $HF_HUB_CACHE, else $HF_HOME/hub, else NULL. */
char	*cachecmd_hf_dir(const char *given);
/* given, else $MODELSCOPE_CACHE, else NULL. */
char	*cachecmd_ms_dir(const char *given);
/* given, else $HOME/.cnorch/jobs (where `pull --detach` jobs live). */
char	*cachecmd_jobs_dir(const char *given);

/*
 * `verify` over whole caches (cmd_cacheverify.c): the repos named in
 * repos[0..nrepos) (all when nrepos is 0) in the HF hub cache at
 * cache_dir (NULL: the default) re-hashed against their blob names.
 * agent_cmd_verify runs it, after its one parse, when no --repo,
 * --local-dir or --revision was given.  Returns CN_OK, CN_ERR_VERIFY
 * (something bad or missing), CN_ERR_NOT_FOUND (a named repo is not
 * cached), CN_ERR_USAGE (no cache) or another CN_ERR_*.
 */
int	cachecmd_verify(const struct agent_cmd *self, const char *cache_dir,
	    enum repo_type type, bool repair, bool json, int nrepos,
	    char **repos);

#endif

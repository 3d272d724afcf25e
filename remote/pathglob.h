/*
 * --include/--exclude patterns, matched the way `hf download` does
 * (huggingface_hub filter_repo_objects): Python fnmatch semantics, so `*`
 * and `?` also match '/', `[seq]` and `[!seq]` work, there is no
 * backslash escape, and a pattern ending in '/' matches everything below
 * that directory.  Matching is case-sensitive.
 */
#ifndef CN_PATHGLOB_H
#define CN_PATHGLOB_H

#include <stdbool.h>
#include <stddef.h>

/* Whether path matches pattern. */
bool	glob_match(const char *pattern, const char *path);

/*
 * Whether path is kept: it matches one of include (or include is empty)
 * and none of exclude.  Exclude wins.
 */
bool	glob_keep(const char *path, const char *const *include,
	    size_t ninclude, const char *const *exclude, size_t nexclude);

#endif

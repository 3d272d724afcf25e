/*
 * Path safety for names that come from the command line or a hub listing
 * and end up as file names under the cache: repo ids, revisions, listed
 * file paths.  Everything here is pure (no file system access).
 */
#ifndef CN_PATHSAFE_H
#define CN_PATHSAFE_H

#include <stddef.h>

/*
 * A repo id "org/name": two non-empty parts of [A-Za-z0-9._-], at most 96
 * characters each, neither starting with '.' or '-' nor containing "..".
 * Returns CN_OK or CN_ERR_INVALID.
 */
int	pathsafe_repo_id(const char *id);

/*
 * A repo-relative path of len bytes (len, not strlen, so an embedded NUL
 * is caught): not empty, not absolute, no backslash, NUL, control
 * character (< 0x20, 0x7f), no empty, "." or ".." component, at most 4096
 * bytes and 255 bytes per component.  Returns CN_OK or CN_ERR_UNSAFE_PATH.
 */
int	pathsafe_rel(const char *path, size_t len);

/*
 * A revision (branch, tag, sha, "refs/pr/1"): written as refs/<rev> in
 * the cache, so pathsafe_rel() rules and at most 255 bytes.  Returns
 * CN_OK or CN_ERR_UNSAFE_PATH.
 */
int	pathsafe_revision(const char *rev);

#endif

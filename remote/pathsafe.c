/*
 * Path safety checks (see pathsafe.h).  A hub listing is untrusted input:
 * a path like "../../.bashrc" or "/etc/x" in it must never become a file
 * name, so the planner refuses the whole plan.
 */
#include <string.h>

#include "error.h"
#include "pathsafe.h"

#define REPO_PART_MAX	96
#define PATH_MAX_LEN	4096
#define COMPONENT_MAX	255
#define REVISION_MAX	255

static int
repo_part_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > REPO_PART_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
		if (c == '.' && i + 1 < n && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

int
pathsafe_repo_id(const char *id)
{
	const char *slash;

	if (id == NULL || (slash = strchr(id, '/')) == NULL)
		return CN_ERR_INVALID;
	if (!repo_part_ok(id, (size_t)(slash - id)) ||
	    !repo_part_ok(slash + 1, strlen(slash + 1)))
		return CN_ERR_INVALID;
	return CN_OK;
}

int
pathsafe_rel(const char *path, size_t len)
{
	size_t i, start = 0;

	if (path == NULL || len == 0 || len > PATH_MAX_LEN || path[0] == '/')
		return CN_ERR_UNSAFE_PATH;
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)path[i] : '/';

		if (c < 0x20 || c == 0x7f || c == '\\')
			return CN_ERR_UNSAFE_PATH;
		if (c != '/')
			continue;
		/* component path[start, i) */
		if (i == start || i - start > COMPONENT_MAX)
			return CN_ERR_UNSAFE_PATH;
		if (path[start] == '.' && (i - start == 1 ||
		    (i - start == 2 && path[start + 1] == '.')))
			return CN_ERR_UNSAFE_PATH;
		start = i + 1;
	}
	return CN_OK;
}

int
pathsafe_revision(const char *rev)
{
	size_t n;

	if (rev == NULL || (n = strlen(rev)) > REVISION_MAX)
		return CN_ERR_UNSAFE_PATH;
	return pathsafe_rel(rev, n);
}

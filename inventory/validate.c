/*
 * Value validators for inventory fields and command-line arguments (see
 * validate.h): one rule per kind of value, used by both.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "validate.h"

/* Every character alphanumeric or in extra. */
static bool
chars_ok(const char *s, const char *extra)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return false;
	return true;
}

static bool
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* One part of a repo id: n bytes at s. */
static bool
repo_part_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > REPO_ID_MAX || !word_char(s[0]) ||
	    !word_char(s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!word_char(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

bool
valid_repo_id(const char *s)
{
	const char *slash;
	size_t n;

	if (s == NULL || (slash = strchr(s, '/')) == NULL ||
	    strchr(slash + 1, '/') != NULL)
		return false;
	n = strlen(s);
	if (strstr(s, "--") != NULL || strstr(s, "..") != NULL ||
	    (n >= 4 && strcmp(s + n - 4, ".git") == 0))
		return false;
	return repo_part_ok(s, (size_t)(slash - s)) &&
	    repo_part_ok(slash + 1, strlen(slash + 1));
}

bool
valid_revision(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	return n > 0 && n <= REVISION_MAX && s[0] != '-' && s[0] != '/' &&
	    s[n - 1] != '/' && strstr(s, "..") == NULL &&
	    strstr(s, "//") == NULL && chars_ok(s, "._-/");
}

bool
valid_glob(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (iscntrl((unsigned char)s[n]))
			return false;
	return n > 0 && n <= GLOB_MAX;
}

bool
valid_job_id(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	return n > 0 && n <= JOB_ID_MAX && s[0] != '.' && s[0] != '-' &&
	    chars_ok(s, "._-@");
}

bool
valid_env_name(const char *s)
{
	return s != NULL && (isalpha((unsigned char)s[0]) || s[0] == '_') &&
	    strlen(s) <= ENV_NAME_MAX && chars_ok(s, "_");
}

bool
valid_host_name(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	return n > 0 && n <= INV_NAME_MAX && s[0] != '-' && s[0] != '.' &&
	    chars_ok(s, "._-");
}

bool
valid_address(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	/* DNS names, IPv4, bare IPv6 (with ':'). */
	return n > 0 && n <= 253 && s[0] != '-' && chars_ok(s, ".-_:");
}

bool
valid_user(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	return n > 0 && n <= 64 && s[0] != '-' && chars_ok(s, "._-");
}

/*
 * data_dir goes into the box's shell unexpanded (the shell expands ~ and
 * $HOME), so allow only those prefixes and quiet characters after them.
 */
bool
valid_data_dir(const char *s)
{
	static const char *const prefixes[] = { "${HOME}", "$HOME", "~", "/" };
	const char *rest = NULL;
	size_t i, n;

	if (s == NULL)
		return false;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(s, prefixes[i], n) != 0)
			continue;
		rest = s + n;
		if (prefixes[i][0] != '/' && *rest != '\0' && *rest != '/')
			rest = NULL;	/* "~bob", "$HOMEX" */
		break;
	}
	return rest != NULL && strlen(s) < 4096 && chars_ok(rest, "/._-+@,:");
}

/*
 * "invalid WHAT 'VALUE': EXPECTED", the value cut at 200 bytes and its
 * control characters shown as '?' so a message stays one line.
 */
static int
refuse(char **msg, const char *what, const char *s, const char *expected)
{
	char shown[204];
	size_t i;

	if (msg == NULL)
		return CN_ERR_INVALID;
	*msg = NULL;
	if (s == NULL)
		s = "";
	for (i = 0; s[i] != '\0' && i < 200; i++)
		shown[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	if (s[i] != '\0') {
		memcpy(shown + i, "...", 3);
		i += 3;
	}
	shown[i] = '\0';
	if (asprintf(msg, "invalid %s '%s': %s", what, shown, expected) < 0)
		*msg = NULL;
	return CN_ERR_INVALID;
}

static int
check(bool ok, char **msg, const char *what, const char *s,
    const char *expected)
{
	if (msg != NULL)
		*msg = NULL;
	return ok ? CN_OK : refuse(msg, what, s, expected);
}

int
validate_repo_id(const char *s, char **msg)
{
	return check(valid_repo_id(s), msg, "repo id", s, REPO_ID_EXPECTED);
}

int
validate_revision(const char *s, char **msg)
{
	return check(valid_revision(s), msg, "revision", s,
	    REVISION_EXPECTED);
}

int
validate_glob(const char *s, char **msg)
{
	return check(valid_glob(s), msg, "glob", s, GLOB_EXPECTED);
}

int
validate_job_id(const char *s, char **msg)
{
	return check(valid_job_id(s), msg, "job id", s, JOB_ID_EXPECTED);
}

int
validate_env_name(const char *s, char **msg)
{
	return check(valid_env_name(s), msg, "environment variable name", s,
	    ENV_NAME_EXPECTED);
}

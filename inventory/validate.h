/*
 * Value validators shared by the inventory's schema checks and the command
 * line, so `cnorch pull box REPO --revision R` refuses exactly what an
 * inventory file would, in the same words.  Every value that may end up
 * in a box script or an agent's argv passes one of these first; the
 * script builder quotes anyway, so a validator is the second fence.
 *
 * valid_*() are pure predicates.  validate_*() wrap one for the command
 * line: CN_OK, or CN_ERR_INVALID with a malloc'd one-line *msg the caller
 * frees, naming the value with control characters shown as '?':
 *
 *   invalid repo id 'org/x;id>/tmp/p;#': expected 'org/name' (letters,
 *   digits, '.', '_', '-')
 *
 * The caller decides the exit code (2 for a usage error).
 */
#ifndef CN_VALIDATE_H
#define CN_VALIDATE_H

#include <stdbool.h>

#define REPO_ID_MAX	96	/* per part, as huggingface_hub's regex */
#define REVISION_MAX	255
#define GLOB_MAX	1024
#define JOB_ID_MAX	200	/* what box/launch.c job_id() makes at most */
#define ENV_NAME_MAX	128
#define INV_NAME_MAX	128	/* inventory host and group names */

/* What a good value looks like, for messages ("expected ..."). */
#define REPO_ID_EXPECTED	"expected 'org/name' (letters, digits, " \
	"'.', '_', '-')"
#define REVISION_EXPECTED	"expected a branch, tag or commit " \
	"(letters, digits, '.', '_', '-', '/')"
#define GLOB_EXPECTED		"expected a non-empty glob without control " \
	"characters (at most 1024 bytes)"
#define JOB_ID_EXPECTED		"expected a job id (letters, digits, '.', " \
	"'_', '-', '@')"
#define ENV_NAME_EXPECTED	"expected the name of an environment " \
	"variable (letters, digits, '_')"
#define HOST_NAME_EXPECTED	"use letters, digits, '.', '_', '-'"

/*
 * HF-style "org/name" as huggingface_hub's validate_repo_id(): exactly one
 * '/', each part 1-96 of [A-Za-z0-9._-] beginning and ending with a
 * letter, digit or '_', no "--" or ".." anywhere (the cache folder spells
 * '/' as "--"), not ending in ".git".
 */
bool	valid_repo_id(const char *s);

/*
 * A branch, tag or commit: 1-255 of [A-Za-z0-9._-/], not starting with '-'
 * or '/', not ending with '/', no "..", "//" (git check-ref-format's rules
 * on top of a quiet character set: no whitespace or control characters).
 */
bool	valid_revision(const char *s);

/* An include/exclude glob: 1-1024 bytes, no control characters. */
bool	valid_glob(const char *s);

/*
 * A job id as orchestrator/box/launch.c's job_id() makes them:
 * [A-Za-z0-9._@-], 1-512 bytes, not starting with '.' or '-'.
 */
bool	valid_job_id(const char *s);

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*, at most 128. */
bool	valid_env_name(const char *s);

/* Inventory host/group names: must not clash with TARGET syntax. */
bool	valid_host_name(const char *s);

/* A DNS name, IPv4 or bare IPv6 address to connect to. */
bool	valid_address(const char *s);

/*
 * A data_dir: absolute, or "~", "$HOME", "${HOME}" then '/'..., of quiet
 * characters (it reaches the box's shell unexpanded).
 */
bool	valid_data_dir(const char *s);

/* A login user name. */
bool	valid_user(const char *s);

int	validate_repo_id(const char *s, char **msg);
int	validate_revision(const char *s, char **msg);
int	validate_glob(const char *s, char **msg);
int	validate_job_id(const char *s, char **msg);
int	validate_env_name(const char *s, char **msg);

#endif

/*
 * script: the one way a shell script for the box is built.  Every script
 * cnorch sends (on stdin to `sh -s`, so nothing secret lands in argv) is
 * made here, and a value can enter it only quoted: typed calls append a
 * value as one shell word ('...' with ' as '\''), a path the box's shell
 * expands ("$HOME"'/rest'), a number, or an export.  Code enters only as
 * a string literal: script_code() is a macro that concatenates its
 * argument with "", so passing a variable does not compile.
 *
 * The payload and job directories on the box are spelled here and only
 * here (SCRIPT_PAYLOAD_DIR, SCRIPT_JOBS_DIR, script_payload_path(),
 * script_job_path()).
 *
 * Errors (out of memory, a bad variable name) are remembered and reported
 * once by script_finish(), so callers append without checking each call.
 *
 * Who frees: script_finish() returns a malloc'd string the caller frees
 * and destroys the builder; script_destroy() accepts NULL.
 */
#ifndef CN_SCRIPT_H
#define CN_SCRIPT_H

#include <stddef.h>

struct buf;
struct session;

/* Relative to $HOME on the box. */
#define CNORCH_DIR_REL		".cnorch"
#define CNORCH_PAYLOAD_REL	CNORCH_DIR_REL "/payload"
#define CNORCH_JOBS_REL		CNORCH_DIR_REL "/jobs"

/* As shell words, for literal code. */
#define SCRIPT_CNORCH_DIR	"\"$HOME/" CNORCH_DIR_REL "\""
#define SCRIPT_PAYLOAD_DIR	"\"$HOME/" CNORCH_PAYLOAD_REL "\""
#define SCRIPT_JOBS_DIR		"\"$HOME/" CNORCH_JOBS_REL "\""

struct script;

struct script	*script_create(void);
void		 script_destroy(struct script *s);

/*
 * The script text, malloc'd, and the builder destroyed; NULL when any
 * call failed (then nothing partial is ever sent).
 */
char		*script_finish(struct script *s);

/* Literal code.  Only a string literal compiles here. */
#define script_code(s, literal)	script_code_literal((s), "" literal "")
void		 script_code_literal(struct script *s, const char *literal);

/* Code compiled into cnorch from a file of the source tree (doctor's
 * checks): text of len bytes, never data. */
void		 script_code_embedded(struct script *s, const char *text,
		    size_t len);

/* value as one quoted word, with nothing before it. */
void		 script_word(struct script *s, const char *value);

/* " " and value as one quoted word. */
void		 script_arg(struct script *s, const char *value);

/* " OPT 'value'"; nothing when value is NULL or empty.  opt must be a
 * plain option name ([-A-Za-z0-9]). */
void		 script_opt(struct script *s, const char *opt,
		    const char *value);

/* A decimal number (no quoting needed, none possible to abuse). */
void		 script_int(struct script *s, long long v);

/*
 * A path as one word the box's shell expands: a leading "~", "~/",
 * "$HOME/" or "${HOME}/" becomes "$HOME", the rest is quoted literally.
 */
void		 script_path(struct script *s, const char *path);

/* "$HOME/.cnorch/payload/"'<payload_id>'[/'<file>'] as one word. */
void		 script_payload_path(struct script *s, const char *payload_id,
		    const char *file);

/* "$HOME/.cnorch/jobs/"'<job_id>'[/'<file>'] as one word. */
void		 script_job_path(struct script *s, const char *job_id,
		    const char *file);

/* NAME=value (one line; value quoted).  NAME must be a shell identifier
 * or the script fails. */
void		 script_let(struct script *s, const char *name,
		    const char *value);

/* "NAME=" alone, for a value made by the calls above. */
void		 script_assign(struct script *s, const char *name);

/* NAME=number. */
void		 script_let_int(struct script *s, const char *name,
		    long long v);

/* NAME=value and export NAME; value NULL: unset NAME. */
void		 script_export(struct script *s, const char *name,
		    const char *value);

/*
 * `cmd` run by the user's shell under timeout(1) (`cnorch exec
 * --timeout`): timeout -k KILL N "${SHELL:-/bin/sh}" -c 'cmd'.  Malloc'd,
 * NULL on ENOMEM.
 */
char		*script_with_timeout(const char *cmd, int timeout_s,
		    int kill_after_s);

/*
 * session_exec(s, shell, script, ...) for a box step: when the exec itself
 * fails, *msg (when msg is not NULL) is session_errmsg(s), malloc'd, so
 * that no step copies that branch.  err may be NULL.
 */
int		 script_exec(struct session *s, const char *shell,
		    const char *script, struct buf *out, struct buf *err,
		    int *status, int timeout_s, char **msg);

/*
 * Run script with `sh -s` over s, bounded by timeout_s (0: none): its
 * stdout into out and, when it exits non-zero, its stderr after it (so
 * a message can quote the first line of either).  Returns as
 * session_exec(); *msg as script_exec().
 */
int		 script_run(struct session *s, const char *script,
		    struct buf *out, int *status, int timeout_s, char **msg);

/*
 * Find key in key=value lines of out[0..len); returns a malloc'd copy of
 * the value of its last occurrence, or NULL if absent (or ENOMEM).
 */
char		*kv_get(const char *out, size_t len, const char *key);

/* Length of the first line of b's data[0..len), at most 300, for
 * one-line messages. */
int		 first_line_len(const char *data, size_t len);

#endif

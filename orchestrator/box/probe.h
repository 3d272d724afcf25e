/*
 * probe: one remote command that tells cnorch what it needs to know about
 * a box before touching it: the machine architecture, $HOME, the data
 * directory as the box's shell expands it, the free space under it, and
 * whether this cnorch's payload is already there and complete.
 *
 * The remote side prints key=value lines; probe_parse() reads them and
 * ignores anything it does not know (motd noise, future keys).
 *
 * Who frees: probe_release() frees the strings inside a struct probe the
 * caller owns (and accepts a zeroed one); messages through char **msg are
 * malloc'd and the caller frees them.
 */
#ifndef CN_PROBE_H
#define CN_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct session;

struct probe {
	char		*arch;		/* uname -m */
	char		*home;		/* $HOME on the box */
	char		*data_dir;	/* data_dir expanded by the box's shell */
	bool		 data_dir_exists;
	char		*df_path;	/* where the free space was measured */
	int64_t		 avail_kb;	/* -1: unknown */
	bool		 payload_present;	/* dir exists and sha256 checks */
	bool		 payload_partial;	/* dir exists but does not check */
	bool		 have_sha256sum;
};

/*
 * Build the shell script run on the box (sh -s, script on stdin) for
 * data_dir (may start with ~ or $HOME) and payload_id.  Returns a malloc'd
 * string, NULL on allocation failure.
 */
char	*probe_script(const char *data_dir, const char *payload_id);

/* Parse the script's key=value output into p (zeroed first). */
int	probe_parse(const char *out, size_t len, struct probe *p);

void	probe_release(struct probe *p);

/*
 * Run the probe over s.  On failure returns CN_ERR_* and a host-prefixed
 * message.  Architecture and space checks are the caller's business.
 */
int	probe_run(struct session *s, const char *name, const char *data_dir,
	    const char *payload_id, struct probe *p, char **msg);

#endif

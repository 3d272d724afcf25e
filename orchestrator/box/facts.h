/*
 * facts: one remote command that tells cnorch what it needs to know about
 * a box before touching it: the machine architecture, $HOME, the data
 * directory as the box's shell expands it, the free space under it, and
 * whether this cnorch's payload is already there and complete.
 *
 * The remote side prints key=value lines; box_facts_parse() reads them and
 * ignores anything it does not know (motd noise, future keys).
 *
 * Who frees: box_facts_release() frees the strings inside a struct
 * box_facts the caller owns (and accepts a zeroed one); messages through
 * char **msg are malloc'd and the caller frees them.
 */
#ifndef CN_FACTS_H
#define CN_FACTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct session;

struct box_facts {
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
char	*box_facts_script(const char *data_dir, const char *payload_id);

/* Parse the script's key=value output into p (zeroed first). */
int	box_facts_parse(const char *out, size_t len, struct box_facts *p);

void	box_facts_release(struct box_facts *p);

/*
 * Learn the facts over s.  On failure returns CN_ERR_* and a message
 * (no host name: the renderer adds it).  Architecture and space checks
 * are the caller's business.
 */
int	box_facts_run(struct session *s, const char *data_dir,
	    const char *payload_id, struct box_facts *p, char **msg);

#endif

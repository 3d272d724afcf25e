/*
 * cacheops: the agent's cache commands on a box (`cnorch-agent cache`,
 * whole-cache `verify`, `gc`), run from the uploaded payload against the
 * caches under the host's data_dir (data_dir/hf/hub, where setup points
 * HF_HUB_CACHE, and data_dir/modelscope for MODELSCOPE_CACHE), their JSON
 * lines handed over one at a time as they come.
 *
 * Who frees: cacheops_script() returns a malloc'd string; *msg is
 * malloc'd; the caller frees both.  Each json_t given to the callback is
 * the callback's to keep (json_incref) or leave: it is freed after.
 */
#ifndef CN_CACHEOPS_H
#define CN_CACHEOPS_H

#include <stddef.h>

#include <jansson.h>

struct session;

enum cacheops_cmd {
	CACHEOPS_CACHE,		/* cache --json */
	CACHEOPS_VERIFY,	/* verify --json [args: --repair, REPO...] */
	CACHEOPS_GC,		/* gc --json [args: --revisions ...] */
};

/*
 * The box script (sh -s): the agent at payload_id's path run as cmd
 * with the caches under data_dir (absolute, as the box expanded it), then
 * args[0..nargs) each as one quoted word.  NULL on ENOMEM.
 */
char	*cacheops_script(enum cacheops_cmd cmd, const char *payload_id,
	    const char *data_dir, const char *const *args, size_t nargs);

/* One JSON object line of the agent's stdout. */
typedef int (*cacheops_line_cb)(void *arg, json_t *line);

/*
 * Run the script over s (bounded by timeout_s, 0: none), each JSON line
 * to cb (a non-zero return stops the run and is returned).  *status gets
 * the agent's exit status.  A status other than 0, or lines that are not
 * JSON, leave the last line of stderr (or the text) in *msg.  Returns
 * CN_OK (look at *status) or a session error with *msg.
 */
int	cacheops_run(struct session *s, const char *script,
	    cacheops_line_cb cb, void *arg, int *status, int timeout_s,
	    char **msg);

#endif

/*
 * launch: one cnorch-agent job per pull on the box, started only when it
 * is needed.  A pull's job id is deterministic (job_id()), so a second
 * provision finds the job of the first in ~/.cnorch/jobs/<id>/ and
 *   - running with a live pid: leaves it alone (LAUNCH_RUNNING),
 *   - done and its snapshot present in the cache: nothing to do
 *     (LAUNCH_DONE),
 *   - otherwise (never run, failed, stopped, died, files gone): moves the
 *     old job directory to jobs/.old/<id> and starts a new one
 *     (LAUNCH_STARTED); the agent resumes partial blobs from the cache.
 * All three in one script holding jobs/.locks/<id>.
 * The agent starts with ~/.cnorch/env.sh sourced (the user's settings),
 * then gets what it needs directly in its environment, so a box whose
 * dotfiles could not be written (or env.sh sourced) still pulls into the
 * data disk: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, MODELSCOPE_CACHE,
 * HF_HUB_ENABLE_HF_TRANSFER=0, the inventory's proxy with the no_proxy
 * allowlist (only when there is one; env.sh has it only with
 * proxy_in_shells), and the tokens (HF_TOKEN, MODELSCOPE_API_TOKEN).
 * A box proxy (the inventory's URL, or "platform": the one a platform
 * file such as AutoDL's /etc/network_turbo exports, read in a subshell at
 * launch) is also the huggingface.co rung's: CNORCH_UPSTREAM_PROXY and
 * CNORCH_UPSTREAM_ENDPOINT (the host's mirrors.huggingface).  The
 * environment, not --proxy, because the URL may carry user:password and
 * argv is public on the box (ps); not a file in the job directory either,
 * because the password would then rest on the box's disk.
 * All of it in the script sent on stdin, never in argv.
 *
 * Who frees: job_id() and messages through char **msg are malloc'd; the
 * caller frees them.
 */
#ifndef CN_LAUNCH_H
#define CN_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "validate.h"	/* JOB_ID_MAX: ids made here pass its check */

struct session;

struct launch_pull {
	const char	*repo;		/* org/name */
	const char	*revision;	/* NULL: main */
	const char	*source;	/* hf | modelscope | auto; NULL: auto */
	const char	*repo_type;	/* model | dataset; NULL: model */
	const char *const *include;
	size_t		 ninclude;
	const char *const *exclude;
	size_t		 nexclude;
};

struct launch_env {
	const char	*payload_id;
	const char	*data_dir;	/* absolute, expanded on the box */
	const char	*hf_endpoint;	/* NULL: agent default */
	const char	*modelscope_endpoint;
	const char	*hf_token;	/* NULL: none */
	const char	*modelscope_token;	/* NULL: none */
	const char	*proxy;		/* the inventory's: a URL, "platform"
					 * (PROXY_PLATFORM) or NULL */
	/* The huggingface.co rung's hub (the host's mirrors.huggingface),
	 * for a box proxy (environment) or a lent one (--upstream-endpoint);
	 * NULL: the agent's default. */
	const char	*upstream_endpoint;
	/* proxy "platform": the file exporting it; NULL: the test-only
	 * CNORCH_NETWORK_TURBO of the laptop's environment, else
	 * LAUNCH_PLATFORM_PROXY_FILE. */
	const char	*platform_proxy_file;
	bool		 allow_http_token; /* tokens over http (test hubs) */
	/* The huggingface.co rung (cnorch --via-laptop-proxy): the agent's
	 * --proxy (the laptop's proxy lent over a forward, not the
	 * inventory's above; it wins over it), and no_proxy/NO_PROXY set
	 * to LAUNCH_NO_PROXY for it alone when the inventory names no
	 * proxy.  NULL: none. */
	const char	*lent_proxy;
};

/* AutoDL's academic acceleration: exports http_proxy/https_proxy for one
 * shell that sources it (and prints a notice). */
#define LAUNCH_PLATFORM_PROXY_FILE	"/etc/network_turbo"

/* The field guide's domestic hosts (china-network.md section 4) and
 * loopback: never through a proxy. */
#define LAUNCH_NO_PROXY	"127.0.0.1,localhost,.tuna.tsinghua.edu.cn," \
	".aliyun.com,.aliyuncs.com,.ustc.edu.cn,.modelscope.cn," \
	".tencentyun.com,.hf-mirror.com"

enum launch_result {
	LAUNCH_STARTED,		/* a new agent is running */
	LAUNCH_RUNNING,		/* one was already running: left alone */
	LAUNCH_DONE,		/* complete before we came */
};

/* What the box knows about a job before launching. */
struct box_job_state {
	char		 state[16];	/* running|done|failed|stopped|"" */
	int		 alive;		/* its pid answers kill -0 */
	int		 files_ok;	/* snapshot present, no dangling links */
	int64_t		 bytes_done, bytes_total;	/* -1: unknown */
};

/* The longest job id (a file name on the box) is JOB_ID_MAX. */

/*
 * "<org>--<name>@<revision>[-<source>][-<8 hex of the filters>]" with
 * "datasets--" in front for datasets; characters outside [A-Za-z0-9._-@]
 * become '_'.  One longer than JOB_ID_MAX keeps its first bytes and ends
 * in "-" and 8 hex of the whole.  NULL on allocation failure.
 */
char	*job_id(const struct launch_pull *p);

/* The Hugging Face cache folder name: models--org--name. */
char	*repo_folder(const struct launch_pull *p);

/* Parse the check script's key=value output. */
int	box_job_state_parse(const char *out, size_t len,
	    struct box_job_state *st);

/*
 * Look at the job and start it if needed, in one remote script under a
 * lock on the job (flock(1), or a mkdir lock where it is missing): the
 * check, moving an old job directory aside and starting the agent are one
 * step, so concurrent runs never disturb a running job.  *st receives
 * what was found.  Returns CN_OK, or CN_ERR_* with a host-prefixed
 * message.
 */
int	launch_pull(struct session *s, const struct launch_env *env,
	    const struct launch_pull *p, enum launch_result *res,
	    struct box_job_state *st, char **msg);

struct script;

/*
 * Append to s the exports an agent needs (tokens, HF_ENDPOINT, HF_HOME,
 * HF_HUB_CACHE, MODELSCOPE_CACHE, HF_HUB_ENABLE_HF_TRANSFER=0, the proxy
 * with no_proxy when env->proxy or env->lent_proxy is set), as the launch
 * gives them; for other agent runs (doctor's plans).  CN_OK or
 * CN_ERR_NOMEM.
 */
int	launch_exports(struct script *s, const struct launch_env *env);

/* The one launch step's box script (sh -s), malloc'd; NULL on ENOMEM. */
char	*launch_script(const struct launch_env *env,
	    const struct launch_pull *p);

/*
 * What launch_pull() would find, without starting anything or taking the
 * lock: LAUNCH_RUNNING, LAUNCH_DONE (complete, snapshot present) or
 * LAUNCH_STARTED (a launch would start a job).  So callers can skip work
 * (sizing a plan at the hub) for pulls that are complete already.
 * CN_OK, or CN_ERR_* with a message (caller frees).
 */
int	launch_check(struct session *s, const struct launch_env *env,
	    const struct launch_pull *p, enum launch_result *res, char **msg);
char	*launch_check_script(const struct launch_env *env,
	    const struct launch_pull *p);

struct pull_spec;

/* An inventory pull as a launch request (pointers into ps). */
struct launch_pull launch_pull_of(const struct pull_spec *ps);

#endif

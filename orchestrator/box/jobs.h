/*
 * jobs: what the job control commands (status, logs, pull, resume, stop)
 * share about a box's agent jobs.
 *
 * jobs_list() reads every ~/.cnorch/jobs/<id>/ of a box in ONE remote
 * command: the agent's own view (`cnorch-agent status --json DIR...`,
 * which also tells a dead agent from a live one), job.json (what was
 * asked), how long ago events.jsonl last changed (its mtime), and when the
 * bytes last moved (the tail of events.jsonl), plus `df -Pk` of the data
 * dir.  Every age is computed with the box's clock, so a laptop whose
 * clock is off does not make jobs look stalled.
 *
 * Why two ages: the agent writes a progress event about twice a second
 * even when no byte arrives (rate 0), so the age of the last line alone
 * only catches a hung or frozen agent; a job whose bytes have not moved
 * for the threshold is stalled too.
 *
 * Who frees: jobs_release() frees what a struct host_jobs holds (accepts
 * a zeroed one); messages through char **msg are malloc'd, without the
 * host's name (the renderer adds it), and the caller frees them.
 */
#ifndef CN_JOBS_H
#define CN_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "follow.h"

struct host;
struct inventory;
struct session;

#define JOBS_STALL_AFTER_S	60	/* default --stall-after */

struct job_info {
	char		*id;		/* the job directory's name */
	char		 state[16];	/* the agent's: running, queued, done,
					 * failed, stopped, dead, unknown */
	int64_t		 bytes_done;	/* -1: unknown */
	int64_t		 bytes_total;	/* -1: unknown */
	double		 rate_bps;	/* last progress event; -1: none */
	double		 event_age_s;	/* since events.jsonl changed; -1 */
	double		 progress_age_s; /* since the bytes last moved; -1 */
	double		 started, ended;	/* unix seconds; 0: unknown */
	long		 pid;
	int64_t		 events_size;	/* bytes in events.jsonl */
	char		*error;		/* the agent's one line, or NULL */
	json_t		*spec;		/* job.json, or NULL */
	json_t		*sources;	/* {"hf": N, ...} bytes per source
					 * (jobs.c says which), or NULL */
};

struct host_jobs {
	bool		 agent_present;	/* this cnorch's payload is there */
	char		*home;		/* $HOME on the box */
	char		*data_dir;	/* expanded by the box's shell */
	char		*df_path;	/* where the space was measured */
	int64_t		 disk_total_kb;	/* -1: unknown */
	int64_t		 disk_avail_kb;	/* -1: unknown */
	struct job_info	*jobs;
	size_t		 njobs;
};

/* The box-side script (sh -s) for data_dir and payload_id; malloc'd. */
char	*jobs_script(const char *data_dir, const char *payload_id);

/* Parse its output into hj (zeroed first).  CN_ERR_PARSE when the script
 * did not run to its end. */
int	jobs_parse(const char *out, size_t len, struct host_jobs *hj);

void	jobs_release(struct host_jobs *hj);

/*
 * List the jobs of the box on s.  name is for the hint in messages;
 * data_dir is the inventory's (NULL: "~").  Returns CN_OK;
 * CN_ERR_NOT_FOUND when this cnorch's payload is not on the box ("cnorch
 * is not set up on this box; run 'cnorch provision NAME'");
 * CN_ERR_REMOTE when the script failed; the session's code when the
 * connection did.
 */
int	jobs_list(struct session *s, const char *name, const char *data_dir,
	    struct host_jobs *hj, char **msg);

/* The agent's state, or "stalled" for a running or queued job whose last
 * event or last byte is older than stall_after_s. */
const char *job_display_state(const struct job_info *j,
	    double stall_after_s);

/* Still has an agent process: running, queued (stalled included). */
bool	job_is_live(const struct job_info *j);
/* The prefix of state.json's error while a live job waits for its lent
 * proxy ("waiting: laptop proxy gone"). */
#define JOB_WAITING_NOTE	"waiting: "
/* A live job waiting for its lent proxy to come back. */
bool	job_is_waiting(const struct job_info *j);

/*
 * The job named by what: its id, or the repo of its job.json ("org/name"
 * or "org/name@revision") when exactly one job has it.  NULL when none
 * (or several) match.
 */
struct job_info *jobs_find(struct host_jobs *hj, const char *what);

/*
 * Stop jobs with `cnorch-agent stop` (SIGTERM to the job's process group,
 * SIGKILL after timeout_s; 0: the agent's default).  rc[i] gets the
 * agent's exit code for ids[i] (-1 when it did not say); rc may be NULL
 * (best effort, as for an abort).  One remote command for all.
 */
char	*jobs_stop_script(const char *payload_id, const char *const *ids,
	    size_t n, int timeout_s);
int	jobs_stop(struct session *s, const char *payload_id,
	    const char *const *ids, size_t n, int timeout_s, int *rc);

/*
 * Replay: every whole line of each job's events.jsonl from its offset,
 * to on_event, in one remote command, without waiting for more.  The
 * offsets move on as with follow_run().
 */
int	jobs_replay(struct session *s, struct follow_job *jobs, size_t n,
	    follow_event_cb on_event, void *arg);
char	*jobs_replay_script(const struct follow_job *jobs, size_t n);

#endif

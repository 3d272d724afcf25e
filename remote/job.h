/*
 * Jobs on the box (DESIGN.md, "On the box"): a detached pull lives in its
 * job directory
 *   job.json       what was asked (no secrets), written once
 *   state.json     state, bytes, pid/pgid, times; replaced atomically
 *   events.jsonl   one event a line, append-only (O_APPEND, one write
 *                  per line, so readers never see half a line)
 *   agent.log      the daemon's stdout/stderr
 * and `status`, `stop` read them back.
 *
 * Who frees: job_state_release() frees what job_state_read() filled.
 */
#ifndef CN_JOB_H
#define CN_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct job_state {
	char		 state[16];	/* queued|running|done|failed|stopped */
	uint64_t	 bytes_done;
	uint64_t	 bytes_total;
	long		 pid;
	long		 pgid;
	unsigned long long proc_start;	/* /proc/<pid>/stat starttime: tells
					 * our pid from a reused one */
	double		 started;
	double		 ended;		/* 0 while running */
	double		 last_event_ts;
	unsigned long	 generation;	/* 1 for a job's first run, +1 for
					 * each relaunch of the same job dir:
					 * events.jsonl restarted, so a
					 * follower's offset is void */
	char		*error;		/* one line or NULL */
};

/*
 * Write dir/state.json atomically (tmp + rename); with durable, the file
 * and the directory are fsync'd too (the final state of a run: a few ms
 * on a disk, which the once-a-second progress saves do not pay).
 */
int	job_state_write(const char *dir, const struct job_state *s,
	    bool durable);
/* Read dir/state.json; CN_ERR_NOT_FOUND when there is none. */
int	job_state_read(const char *dir, struct job_state *s);
void	job_state_release(struct job_state *s);

/* Write dir/job.json (spec is borrowed) atomically. */
int	job_write_spec(const char *dir, json_t *spec);

/* starttime of pid from /proc (0 when unknown). */
unsigned long long job_proc_start(long pid);

/*
 * Is the job's process still there?  False for a gone pid, a zombie, or
 * a pid reused by another process (proc_start differs).
 */
bool	job_alive(long pid, unsigned long long proc_start);

/*
 * Detach: double fork with setsid in between, so the job has its own
 * session and process group and no controlling terminal, ignores SIGHUP,
 * reads /dev/null and writes dir/agent.log.  The intermediate child
 * _exits at once (it is no part of the program's flow).
 *
 * Returns in two processes.  In the caller (*is_child false) after the
 * daemon reported with job_ready(), with *pid the daemon's pid: CN_OK,
 * or the daemon's CN_ERR_* code with its *msg (caller frees),
 * CN_ERR_REMOTE when it died first, CN_ERR_TIMEOUT after timeout_s.  In
 * the daemon (*is_child true), CN_OK and *ready_fd for job_ready().
 */
int	job_daemonize(const char *dir, double timeout_s, bool *is_child,
	    pid_t *pid, int *ready_fd, char **msg);

/*
 * From the daemon, once state.json exists: tell the waiting parent "ok"
 * (code CN_OK) or why not (a CN_ERR_* code and one-line msg).  Closes
 * ready_fd.
 */
void	job_ready(int ready_fd, int code, const char *msg);

#endif

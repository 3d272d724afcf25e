/* Detached jobs (job.h): job directories, state.json and job.json, daemonizing, liveness. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "job.h"

/* dir/name replaced by body (fs_write_atomic). */
static int
write_file_atomic(const char *dir, const char *name, const char *body,
    bool durable)
{
	char *path = NULL;
	int r;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return CN_ERR_NOMEM;
	r = fs_write_atomic(path, body, strlen(body), durable);
	free(path);
	return r;
}

int
job_state_write(const char *dir, const struct job_state *s, bool durable)
{
	json_t *o;
	char *body = NULL;
	int r = CN_ERR_NOMEM;

	o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:f,s:o}",
	    "state", s->state,
	    "generation", (json_int_t)s->generation,
	    "bytes_done", (json_int_t)s->bytes_done,
	    "bytes_total", (json_int_t)s->bytes_total,
	    "pid", (json_int_t)s->pid,
	    "pgid", (json_int_t)s->pgid,
	    "proc_start", (json_int_t)s->proc_start,
	    "started", s->started,
	    "ended", s->ended > 0 ? json_real(s->ended) : json_null(),
	    "last_event_ts", s->last_event_ts,
	    "error", s->error ? json_string(s->error) : json_null());
	if (o == NULL)
		return r;
	if ((body = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(1) |
	    JSON_REAL_PRECISION(16))) == NULL)
		goto out;
	r = write_file_atomic(dir, "state.json", body, durable);
 out:
	free(body);
	json_decref(o);
	return r;
}

int
job_state_read(const char *dir, struct job_state *s)
{
	json_t *o = NULL, *v;
	char *path = NULL;
	const char *st;
	int r;

	memset(s, 0, sizeof(*s));
	if (asprintf(&path, "%s/state.json", dir) < 0)
		return CN_ERR_NOMEM;
	if (access(path, F_OK) != 0) {
		r = errno == ENOENT ? CN_ERR_NOT_FOUND : CN_ERR_SYSTEM;
		goto out;
	}
	r = CN_ERR_PARSE;
	if ((o = json_load_file(path, 0, NULL)) == NULL || !json_is_object(o))
		goto out;
	if ((st = json_string_value(json_object_get(o, "state"))) == NULL)
		goto out;
	snprintf(s->state, sizeof(s->state), "%s", st);
	s->bytes_done = (uint64_t)json_integer_value(json_object_get(o,
	    "bytes_done"));
	s->bytes_total = (uint64_t)json_integer_value(json_object_get(o,
	    "bytes_total"));
	s->pid = (long)json_integer_value(json_object_get(o, "pid"));
	s->pgid = (long)json_integer_value(json_object_get(o, "pgid"));
	s->proc_start = (unsigned long long)json_integer_value(
	    json_object_get(o, "proc_start"));
	s->started = json_number_value(json_object_get(o, "started"));
	s->ended = json_number_value(json_object_get(o, "ended"));
	s->last_event_ts = json_number_value(json_object_get(o,
	    "last_event_ts"));
	/* Older agents wrote no generation: their run was the first. */
	v = json_object_get(o, "generation");
	s->generation = json_is_integer(v) && json_integer_value(v) > 0 ?
	    (unsigned long)json_integer_value(v) : 1;
	if ((v = json_object_get(o, "error")) != NULL && json_is_string(v) &&
	    (s->error = strdup(json_string_value(v))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	r = CN_OK;
 out:
	json_decref(o);
	free(path);
	return r;
}

void
job_state_release(struct job_state *s)
{
	if (s == NULL)
		return;
	free(s->error);
	s->error = NULL;
}

int
job_write_spec(const char *dir, json_t *spec)
{
	char *body;
	int r;

	if ((body = json_dumps(spec, JSON_PRESERVE_ORDER | JSON_INDENT(1))) ==
	    NULL)
		return CN_ERR_NOMEM;
	r = write_file_atomic(dir, "job.json", body, true);
	free(body);
	return r;
}

/* Field 3 (state) and 22 (starttime) of /proc/<pid>/stat. */
static int
proc_stat(long pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: start after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return -1;
	p += 2;
	*state = *p;
	for (field = 3; field < 22 && p != NULL; field++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p != NULL)
		v = strtoull(p, NULL, 10);
	*start = v;
	return 0;
}

unsigned long long
job_proc_start(long pid)
{
	unsigned long long v = 0;
	char st;

	if (proc_stat(pid, &st, &v) != 0)
		return 0;
	return v;
}

bool
job_alive(long pid, unsigned long long proc_start)
{
	unsigned long long v;
	char st;

	if (pid <= 0)
		return false;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return false;
	if (proc_stat(pid, &st, &v) != 0)
		return access("/proc/self/stat", F_OK) != 0; /* no /proc */
	if (st == 'Z' || st == 'X')
		return false;
	return proc_start == 0 || v == proc_start;
}

void
job_ready(int ready_fd, int code, const char *msg)
{
	char buf[512];

	if (ready_fd < 0)
		return;
	if (code == CN_OK)
		snprintf(buf, sizeof(buf), "ok %ld", (long)getpid());
	else
		snprintf(buf, sizeof(buf), "err %d %s", code,
		    msg ? msg : cn_strerror(code));
	(void)!write(ready_fd, buf, strlen(buf));
	close(ready_fd);
}

int
job_daemonize(const char *dir, double timeout_s, bool *is_child,
    pid_t *pid, int *ready_fd, char **msg)
{
	int p[2] = { -1, -1 }, fd, r, st;
	char *log = NULL, buf[512], *end;
	size_t len = 0;
	ssize_t n;
	pid_t child, inner;
	struct pollfd pf;
	struct timespec t0, t1;
	double left;

	*is_child = false;
	*pid = -1;
	*ready_fd = -1;
	*msg = NULL;
	if (asprintf(&log, "%s/agent.log", dir) < 0)
		return CN_ERR_NOMEM;
	/* The daemon reports "ready" (or why not) and its pid through p. */
	if (pipe2(p, O_CLOEXEC) != 0) {
		free(log);
		return CN_ERR_SYSTEM;
	}
	fflush(NULL);
	if ((child = fork()) < 0) {
		r = CN_ERR_SYSTEM;
		goto out;
	}
	if (child == 0) {
		close(p[0]);
		if (setsid() < 0)
			_exit(1);
		signal(SIGHUP, SIG_IGN);
		if ((inner = fork()) < 0)
			_exit(1);
		if (inner > 0)
			_exit(0);	/* the daemon is reparented to init */
		/* In the daemon: no terminal, a log instead. */
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, STDIN_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		if (chdir("/") != 0) {
			/* paths were made absolute; "/" always exists */
		}
		free(log);
		*is_child = true;
		*pid = getpid();
		*ready_fd = p[1];
		return CN_OK;
	}
	close(p[1]);
	p[1] = -1;
	/* The intermediate child exits at once. */
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout_s - ((double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (left <= 0) {
			r = CN_ERR_TIMEOUT;
			goto out;
		}
		pf.fd = p[0];
		pf.events = POLLIN;
		if (poll(&pf, 1, (int)(left * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			r = CN_ERR_SYSTEM;
			goto out;
		}
		if (pf.revents == 0)
			continue;
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	if (strncmp(buf, "err ", 4) == 0) {
		r = (int)strtol(buf + 4, &end, 10);
		if (r >= 0 || r < CN_ERR_MIN)
			r = CN_ERR_REMOTE;
		*msg = strdup(*end == ' ' ? end + 1 : end);
		goto out;
	}
	if (strncmp(buf, "ok ", 3) != 0) {
		*msg = strdup("the job exited before it started (see "
		    "agent.log)");
		r = CN_ERR_REMOTE;
		goto out;
	}
	*pid = (pid_t)strtol(buf + 3, NULL, 10);
	r = CN_OK;
 out:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	free(log);
	return r;
}

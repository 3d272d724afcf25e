/* runlog: each run's per-host logs on the laptop, and @failed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "runlog.h"

struct runlog {
	char		*dir;
	pthread_mutex_t	 lock;
};

/* mkdir -p with mode for every created component. */
static int
mkdirs(const char *path, mode_t mode)
{
	char *p, *s;
	int r = CN_ERR_NOMEM;

	if ((p = strdup(path)) == NULL)
		return r;
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			r = CN_ERR_SYSTEM;
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	r = CN_OK;
 out:
	free(p);
	return r;
}

char *
state_dir(void)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *d = NULL;

	if (x != NULL && *x == '/') {
		if (asprintf(&d, "%s/cnorch", x) < 0)
			d = NULL;
	} else if (home != NULL && *home != '\0') {
		if (asprintf(&d, "%s/.local/state/cnorch", home) < 0)
			d = NULL;
	}
	return d;
}

int
runlog_create(const char *command, struct runlog **out, char **msg)
{
	struct runlog *rl = NULL;
	char *sd = NULL, stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int r = CN_ERR_NOMEM;

	*out = NULL;
	*msg = NULL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		goto out;
	pthread_mutex_init(&rl->lock, NULL);
	if ((sd = state_dir()) == NULL) {
		r = CN_ERR_INVALID;
		if (asprintf(msg, "cannot keep run logs: neither "
		    "XDG_STATE_HOME nor HOME is set") < 0)
			*msg = NULL;
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&rl->dir, "%s/runs/%s-%s-%ld", sd, stamp, command,
	    (long)getpid()) < 0) {
		rl->dir = NULL;
		goto out;
	}
	if ((r = mkdirs(rl->dir, 0700)) != CN_OK) {
		if (asprintf(msg, "cannot create run log directory '%s': %s",
		    rl->dir, strerror(errno)) < 0)
			*msg = NULL;
		goto out;
	}
	*out = rl;
	rl = NULL;
	r = CN_OK;
 out:
	free(sd);
	runlog_destroy(rl);
	return r;
}

void
runlog_destroy(struct runlog *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->dir);
	free(rl);
}

const char *
runlog_dir(const struct runlog *rl)
{
	return rl->dir;
}

/* Append a then b to host's log; best effort: a full laptop disk must
 * not stop a run. */
static void
append(struct runlog *rl, const char *host, const char *a, size_t na,
    const char *b, size_t nb)
{
	char *path = NULL;
	ssize_t w;
	int fd;

	if (rl == NULL || strchr(host, '/') != NULL)
		return;
	if (asprintf(&path, "%s/%s.log", rl->dir, host) < 0)
		return;
	pthread_mutex_lock(&rl->lock);
	/* Opened per write: a run touches few lines per second per host (a
	 * stream comes in batches) and this keeps no descriptor per host
	 * open in large fleets. */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	while (fd >= 0 && na > 0 && (w = write(fd, a, na)) > 0) {
		a += w;
		na -= (size_t)w;
	}
	while (fd >= 0 && na == 0 && nb > 0 && (w = write(fd, b, nb)) > 0) {
		b += w;
		nb -= (size_t)w;
	}
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&rl->lock);
	free(path);
}

void
runlog_line(struct runlog *rl, const char *host, const char *line)
{
	size_t n = strlen(line);

	append(rl, host, line, n, "\n", n == 0 || line[n - 1] != '\n');
}

void
runlog_write(struct runlog *rl, const char *host, const char *p, size_t n)
{
	append(rl, host, p, n, "", 0);
}

int
failed_save(const char *const *names, size_t n)
{
	char *sd = NULL, *path = NULL, *tmp = NULL;
	FILE *fp = NULL;
	size_t i;
	int r = CN_ERR_NOMEM, fd;

	if ((sd = state_dir()) == NULL)
		return CN_ERR_INVALID;
	if (asprintf(&path, "%s/failed", sd) < 0 ||
	    asprintf(&tmp, "%s/.failed.%ld", sd, (long)getpid()) < 0)
		goto out;
	if ((r = mkdirs(sd, 0700)) != CN_OK)
		goto out;
	r = CN_ERR_SYSTEM;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		goto out;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto out;
	}
	for (i = 0; i < n; i++)
		fprintf(fp, "%s\n", names[i]);
	if (fflush(fp) != 0 || ferror(fp))
		goto out;
	if (fclose(fp) != 0) {
		fp = NULL;
		goto out;
	}
	fp = NULL;
	if (rename(tmp, path) != 0)
		goto out;
	r = CN_OK;
 out:
	if (fp != NULL)
		fclose(fp);
	if (r != CN_OK && tmp != NULL)
		unlink(tmp);
	free(sd);
	free(path);
	free(tmp);
	return r;
}

void
failed_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
failed_load(char ***names, size_t *n)
{
	char *sd = NULL, *path = NULL, *line = NULL, **v = NULL, **nv;
	size_t cap = 0, len = 0, lcap = 0;
	ssize_t got;
	FILE *fp = NULL;
	int r = CN_ERR_NOMEM;

	*names = NULL;
	*n = 0;
	if ((sd = state_dir()) == NULL)
		return CN_ERR_INVALID;
	if (asprintf(&path, "%s/failed", sd) < 0)
		goto out;
	if ((fp = fopen(path, "re")) == NULL) {
		r = errno == ENOENT ? CN_OK : CN_ERR_SYSTEM;
		goto out;
	}
	while ((got = getline(&line, &lcap, fp)) > 0) {
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		if (got == 0)
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto out;
			v = nv;
		}
		if ((v[len] = strdup(line)) == NULL)
			goto out;
		len++;
	}
	*names = v;
	*n = len;
	v = NULL;
	len = 0;
	r = CN_OK;
 out:
	if (fp != NULL)
		fclose(fp);
	failed_free(v, len);
	free(line);
	free(sd);
	free(path);
	return r;
}

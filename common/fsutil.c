/* mkdir -p and atomic file replacement (fsutil.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"

int
fs_mkdirs(const char *path)
{
	char *p, *s;
	int r = CN_OK;

	if ((p = strdup(path)) == NULL)
		return CN_ERR_NOMEM;
	for (s = p + 1; ; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			r = CN_ERR_SYSTEM;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return r;
}

int
fs_mkparent(const char *path)
{
	char *d, *slash;
	int r = CN_OK;

	if ((d = strdup(path)) == NULL)
		return CN_ERR_NOMEM;
	if ((slash = strrchr(d, '/')) != NULL && slash != d) {
		*slash = '\0';
		r = fs_mkdirs(d);
	}
	free(d);
	return r;
}

void
fs_sync_parent(const char *path)
{
	char *d = strdup(path);
	int fd;

	if (d == NULL)
		return;
	if ((fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(d);
}

/* "dir/.name.tmp<pid>" for path "dir/name" (malloc'd), or NULL. */
static char *
tmp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *t;

	if (slash == NULL) {
		if (asprintf(&t, ".%s.tmp%ld", path, (long)getpid()) < 0)
			return NULL;
	} else if (asprintf(&t, "%.*s/.%s.tmp%ld", (int)(slash - path), path,
	    slash + 1, (long)getpid()) < 0)
		return NULL;
	return t;
}

int
fs_write_atomic(const char *path, const void *data, size_t len, bool durable)
{
	const char *p = data;
	char *tmp;
	size_t off = 0;
	ssize_t w;
	int fd = -1, r = CN_ERR_SYSTEM, saved;

	if ((tmp = tmp_name(path)) == NULL)
		return CN_ERR_NOMEM;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		goto out;
	while (off < len) {
		if ((w = write(fd, p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)w;
	}
	if (durable && fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	if (durable)
		fs_sync_parent(path);
	r = CN_OK;
 out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (r != CN_OK)
		(void)unlink(tmp);
	free(tmp);
	errno = saved;
	return r;
}

int
fs_symlink_atomic(const char *target, const char *link)
{
	char *tmp;
	int r = CN_ERR_SYSTEM, saved;

	if ((tmp = tmp_name(link)) == NULL)
		return CN_ERR_NOMEM;
	(void)unlink(tmp);
	if (symlink(target, tmp) != 0)
		goto out;
	if (rename(tmp, link) != 0) {
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		goto out;
	}
	r = CN_OK;
 out:
	free(tmp);
	return r;
}

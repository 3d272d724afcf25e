/* The cache writer (cache.h): HF hub cache layout or a plain directory, locks, commits, refs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "fsutil.h"

struct cache {
	bool	 local;
	char	*repo_dir;	/* models--org--name or the local dir */
	char	*part_dir;	/* blobs/ or DIR/.cache/cnorch */
	int	 lock_fd;
};

static bool
safe_component(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.'))
			return false;
	}
	return true;
}

/* A repo-relative path from the plan: relative, no "." or "..", no
 * backslash (the planner checks too; this is the last line). */
static bool
safe_path(const char *p)
{
	const char *s = p, *e;

	if (*p == '\0' || *p == '/' || strchr(p, '\\') != NULL)
		return false;
	for (;;) {
		e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0 || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (e == NULL)
			return true;
		s = e + 1;
	}
}

static bool
safe_etag(const char *e)
{
	size_t n = strlen(e), i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!((e[i] >= '0' && e[i] <= '9') ||
		    (e[i] >= 'a' && e[i] <= 'f')))
			return false;
	return true;
}

char *
cache_repo_folder(enum repo_type type, const char *repo)
{
	const char *slash = strchr(repo, '/');
	char *s = NULL;
	const char *kind = type == REPO_DATASET ? "datasets" : "models";

	if (slash == NULL) {
		if (!safe_component(repo, strlen(repo)))
			return NULL;
		if (asprintf(&s, "%s--%s", kind, repo) < 0)
			return NULL;
		return s;
	}
	if (strchr(slash + 1, '/') != NULL ||
	    !safe_component(repo, (size_t)(slash - repo)) ||
	    !safe_component(slash + 1, strlen(slash + 1)))
		return NULL;
	if (asprintf(&s, "%s--%.*s--%s", kind, (int)(slash - repo), repo,
	    slash + 1) < 0)
		return NULL;
	return s;
}

char *
cache_link_target(const char *path, const char *etag)
{
	size_t depth = 0, i;
	const char *p;
	char *s;

	for (p = path; *p != '\0'; p++)
		if (*p == '/')
			depth++;
	/* "../" * (2 + depth) + "blobs/" + etag */
	if ((s = malloc(3 * (2 + depth) + 6 + strlen(etag) + 1)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < 2 + depth; i++)
		strcat(s, "../");
	strcat(s, "blobs/");
	strcat(s, etag);
	return s;
}

static char *
msgf(const char *fmt, const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, fmt, a, b) < 0)
		return NULL;
	return s;
}

/* Lock lockdir/cnorch.lock without waiting (cache_lock_repo()). */
static int
lock_at(const char *lockdir, bool create, int *fd)
{
	char *path = NULL;
	int f = -1, r, e;

	*fd = -1;
	if (asprintf(&path, "%s/cnorch.lock", lockdir) < 0)
		return CN_ERR_NOMEM;
	if (create && (r = fs_mkdirs(lockdir)) != CN_OK)
		goto out;
	if ((f = open(path, (create ? O_RDWR | O_CREAT : O_RDONLY) |
	    O_CLOEXEC, 0644)) < 0) {
		r = !create && errno == ENOENT ? CN_OK : CN_ERR_SYSTEM;
		goto out;
	}
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		r = errno == EWOULDBLOCK ? CN_ERR_LOCKED : CN_ERR_SYSTEM;
		goto out;
	}
	*fd = f;
	f = -1;
	r = CN_OK;
 out:
	e = errno;		/* CN_ERR_SYSTEM: the caller reads it */
	if (f >= 0)
		close(f);
	free(path);
	errno = e;
	return r;
}

int
cache_lock_repo(const char *repo_dir, bool create, int *fd)
{
	char *lockdir = NULL;
	int r;

	*fd = -1;
	if (asprintf(&lockdir, "%s/.locks", repo_dir) < 0)
		return CN_ERR_NOMEM;
	r = lock_at(lockdir, create, fd);
	free(lockdir);
	return r;
}

int
cache_open(const char *dir, bool local, enum repo_type type,
    const char *repo, struct cache **out, char **msg)
{
	struct cache *c = NULL;
	char *folder = NULL, *lockdir = NULL, *lock = NULL;
	int r;

	*out = NULL;
	*msg = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CN_ERR_NOMEM;
	c->lock_fd = -1;
	c->local = local;
	if ((folder = cache_repo_folder(type, repo)) == NULL) {
		*msg = msgf("invalid repo id '%s'%s", repo, "");
		r = CN_ERR_UNSAFE_PATH;
		goto out;
	}
	r = CN_ERR_NOMEM;
	if (local) {
		if ((c->repo_dir = strdup(dir)) == NULL ||
		    asprintf(&c->part_dir, "%s/.cache/cnorch", dir) < 0 ||
		    (lockdir = strdup(c->part_dir)) == NULL)
			goto out;
	} else {
		if (asprintf(&c->repo_dir, "%s/%s", dir, folder) < 0 ||
		    asprintf(&c->part_dir, "%s/blobs", c->repo_dir) < 0 ||
		    asprintf(&lockdir, "%s/.locks", c->repo_dir) < 0)
			goto out;
	}
	if (asprintf(&lock, "%s/cnorch.lock", lockdir) < 0)
		goto out;
	if ((r = fs_mkdirs(c->part_dir)) != CN_OK ||
	    (r = fs_mkdirs(lockdir)) != CN_OK) {
		*msg = msgf("cannot create '%s': %s", c->part_dir,
		    strerror(errno));
		goto out;
	}
	if ((r = lock_at(lockdir, true, &c->lock_fd)) == CN_ERR_LOCKED)
		*msg = msgf("'%s' is locked by another cnorch-agent "
		    "(lock file '%s')", c->repo_dir, lock);
	else if (r != CN_OK)
		*msg = msgf("cannot lock '%s': %s", lock, r == CN_ERR_SYSTEM ?
		    strerror(errno) : cn_strerror(r));
	if (r != CN_OK)
		goto out;
	*out = c;
	c = NULL;
	r = CN_OK;
 out:
	cache_destroy(c);
	free(folder);
	free(lockdir);
	free(lock);
	return r;
}

void
cache_destroy(struct cache *c)
{
	if (c == NULL)
		return;
	if (c->lock_fd >= 0)
		close(c->lock_fd);	/* drops the flock */
	free(c->repo_dir);
	free(c->part_dir);
	free(c);
}

const char *
cache_repo_dir(const struct cache *c)
{
	return c->repo_dir;
}

char *
cache_part_path(const struct cache *c, const char *etag)
{
	char *s;

	if (asprintf(&s, "%s/%s.incomplete", c->part_dir, etag) < 0)
		return NULL;
	return s;
}

char *
cache_ctl_path(const struct cache *c, const char *etag)
{
	char *s;

	if (asprintf(&s, "%s/%s.incomplete.cnorch", c->part_dir, etag) < 0)
		return NULL;
	return s;
}

static char *
blob_path(const struct cache *c, const char *etag)
{
	char *s;

	if (asprintf(&s, "%s/blobs/%s", c->repo_dir, etag) < 0)
		return NULL;
	return s;
}

/* Local dir: DIR/.cache/cnorch/meta/<path> holds the etag committed. */
static char *
marker_path(const struct cache *c, const char *path)
{
	char *s;

	if (asprintf(&s, "%s/meta/%s", c->part_dir, path) < 0)
		return NULL;
	return s;
}

char *
cache_visible_path(const struct cache *c, const char *commit,
    const char *path)
{
	char *s;
	int n;

	if (c->local)
		n = asprintf(&s, "%s/%s", c->repo_dir, path);
	else
		n = asprintf(&s, "%s/snapshots/%s/%s", c->repo_dir, commit,
		    path);
	return n < 0 ? NULL : s;
}

static bool
size_is(const char *p, uint64_t size)
{
	struct stat st;

	return p != NULL && stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == size;
}

bool
cache_have(const struct cache *c, const struct plan_file *f)
{
	char *p = NULL, *m = NULL, buf[80];
	bool ok = false;
	ssize_t n;
	int fd;

	if (!safe_etag(f->etag) || !safe_path(f->path))
		return false;
	if (!c->local) {
		p = blob_path(c, f->etag);
		ok = size_is(p, f->size);
		free(p);
		return ok;
	}
	if ((p = cache_visible_path(c, NULL, f->path)) == NULL ||
	    (m = marker_path(c, f->path)) == NULL || !size_is(p, f->size))
		goto out;
	if ((fd = open(m, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		ok = strcmp(buf, f->etag) == 0;
	}
 out:
	free(p);
	free(m);
	return ok;
}

int
cache_commit(struct cache *c, const struct plan_file *f, const char *commit,
    const char *part, char **msg)
{
	char *dst = NULL, *link = NULL, *target = NULL, *mark = NULL;
	const char *what;
	int r = CN_ERR_NOMEM;

	*msg = NULL;
	if (!safe_etag(f->etag) || !safe_path(f->path) ||
	    (!c->local && (commit == NULL || strchr(commit, '/') != NULL ||
	    commit[0] == '.' || commit[0] == '\0'))) {
		*msg = msgf("refusing unsafe path '%s'%s", f->path, "");
		return CN_ERR_UNSAFE_PATH;
	}
	if (c->local) {
		if ((dst = cache_visible_path(c, NULL, f->path)) == NULL ||
		    (mark = marker_path(c, f->path)) == NULL)
			goto out;
		what = dst;
		if ((r = fs_mkparent(dst)) != CN_OK ||
		    (r = fs_mkparent(mark)) != CN_OK)
			goto fail;
		if (part != NULL && rename(part, dst) != 0) {
			r = CN_ERR_SYSTEM;
			goto fail;
		}
		what = mark;
		if ((r = fs_write_atomic(mark, f->etag, strlen(f->etag), true)) != CN_OK)
			goto fail;
		r = CN_OK;
		goto out;
	}
	if ((dst = blob_path(c, f->etag)) == NULL ||
	    (link = cache_visible_path(c, commit, f->path)) == NULL ||
	    (target = cache_link_target(f->path, f->etag)) == NULL)
		goto out;
	what = dst;
	if (part != NULL && rename(part, dst) != 0) {
		r = CN_ERR_SYSTEM;
		goto fail;
	}
	what = link;
	if ((r = fs_mkparent(link)) != CN_OK ||
	    (r = fs_symlink_atomic(target, link)) != CN_OK)
		goto fail;
	r = CN_OK;
	goto out;
 fail:
	*msg = msgf("cannot write '%s': %s", what, strerror(errno));
 out:
	free(dst);
	free(link);
	free(target);
	free(mark);
	return r;
}

int
cache_write_ref(struct cache *c, const char *revision, const char *commit,
    char **msg)
{
	char *p = NULL, *body = NULL;
	int r = CN_ERR_NOMEM;

	*msg = NULL;
	if (c->local || revision == NULL || commit == NULL ||
	    strcmp(revision, commit) == 0)
		return CN_OK;
	/* Branch names may hold '/' (refs/pr/1 style) but never "..". */
	if (!safe_path(revision)) {
		*msg = msgf("refusing unsafe revision '%s'%s", revision, "");
		return CN_ERR_UNSAFE_PATH;
	}
	if (asprintf(&p, "%s/refs/%s", c->repo_dir, revision) < 0) {
		p = NULL;
		goto out;
	}
	/* huggingface_hub writes the bare sha, no newline. */
	if ((body = strdup(commit)) == NULL)
		goto out;
	if ((r = fs_mkparent(p)) != CN_OK || (r = fs_write_atomic(p, body, strlen(body), true)) != CN_OK)
		*msg = msgf("cannot write '%s': %s", p, strerror(errno));
 out:
	free(p);
	free(body);
	return r;
}

int
cache_free_bytes(const struct cache *c, uint64_t *out)
{
	struct statvfs sv;

	*out = 0;
	if (statvfs(c->part_dir, &sv) != 0)
		return CN_ERR_SYSTEM;
	*out = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return CN_OK;
}

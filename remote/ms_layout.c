/* ModelScope's own cache layout for a pulled model (ms_layout.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "error.h"
#include "fsutil.h"
#include "ms_layout.h"

/* A growing byte buffer for the pickles. */
struct buf {
	unsigned char	*d;
	size_t		 len, cap;
	bool		 oom;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	unsigned char *nd;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		if ((nd = realloc(b->d, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->d = nd;
		b->cap = cap;
	}
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void
put1(struct buf *b, unsigned char c)
{
	put(b, &c, 1);
}

/* BINUNICODE: 'X', little-endian u32 length, UTF-8 bytes. */
static void
put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	unsigned char l[4] = { (unsigned char)n, (unsigned char)(n >> 8),
	    (unsigned char)(n >> 16), (unsigned char)(n >> 24) };

	put1(b, 'X');
	put(b, l, 4);
	put(b, s, n);
}

int
ms_layout_pickle_msc(const char *const *paths, const char *const *revs,
    size_t n, unsigned char **out, size_t *len)
{
	struct buf b = { 0 };
	size_t i;

	*out = NULL;
	put(&b, "\x80\x02", 2);		/* PROTO 2 */
	put1(&b, ']');			/* EMPTY_LIST */
	for (i = 0; i < n; i++) {
		put1(&b, '}');		/* EMPTY_DICT */
		put_str(&b, "Path");
		put_str(&b, paths[i]);
		put1(&b, 's');		/* SETITEM */
		put_str(&b, "Revision");
		put_str(&b, revs[i]);
		put1(&b, 's');
		put1(&b, 'a');		/* APPEND */
	}
	put1(&b, '.');			/* STOP */
	if (b.oom) {
		free(b.d);
		return CN_ERR_NOMEM;
	}
	*out = b.d;
	*len = b.len;
	return CN_OK;
}

/* Write data to path atomically (tmp + rename). */
static int
write_file(const char *path, const void *data, size_t len, char **msg)
{
	char *tmp = NULL;
	int fd = -1, r = CN_ERR_IO;

	if (asprintf(&tmp, "%s.cnorch-tmp", path) < 0)
		return CN_ERR_NOMEM;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	    0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
	    close(fd) != 0) {
		if (asprintf(msg, "cannot write '%s': %s", path,
		    strerror(errno)) < 0)
			*msg = NULL;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		if (asprintf(msg, "cannot rename '%s': %s", tmp,
		    strerror(errno)) < 0)
			*msg = NULL;
		unlink(tmp);
		goto out;
	}
	r = CN_OK;
 out:
	free(tmp);
	return r;
}

/* dst (a real file) = src, by hard link, else by copy. */
static int
link_or_copy(const char *src, const char *dst, char **msg)
{
	char buf[1 << 16], *tmp = NULL;
	ssize_t n;
	int in = -1, outfd = -1, r = CN_ERR_IO;

	if (asprintf(&tmp, "%s.cnorch-tmp", dst) < 0)
		return CN_ERR_NOMEM;
	unlink(tmp);
	/* AT_SYMLINK_FOLLOW: src is the snapshot's symlink into blobs/ */
	if (linkat(AT_FDCWD, src, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
		goto done;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (outfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		goto fail;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(outfd, buf, (size_t)n) != n)
			goto fail;
	if (n < 0 || fsync(outfd) != 0)
		goto fail;
	close(outfd);
	outfd = -1;
 done:
	if (rename(tmp, dst) != 0)
		goto fail;
	r = CN_OK;
	goto out;
 fail:
	if (asprintf(msg, "cannot place '%s' in the ModelScope cache: %s",
	    dst, strerror(errno)) < 0)
		*msg = NULL;
	unlink(tmp);
 out:
	if (in >= 0)
		close(in);
	if (outfd >= 0)
		close(outfd);
	free(tmp);
	return r;
}

/* "<root>/models/<org>/<name with '.' -> '___'>", malloc'd. */
static char *
model_dir(const char *root, const char *repo, char **stored_id)
{
	const char *slash = strchr(repo, '/'), *s;
	char *name, *o, *dir = NULL;

	*stored_id = NULL;
	if (slash == NULL || (name = malloc(3 * strlen(slash) + 1)) == NULL)
		return NULL;
	for (o = name, s = slash + 1; *s != '\0'; s++) {
		if (*s == '.') {
			memcpy(o, "___", 3);
			o += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
	if (asprintf(&dir, "%s/models/%.*s/%s", root, (int)(slash - repo),
	    repo, name) < 0 ||
	    asprintf(stored_id, "%.*s/%s", (int)(slash - repo), repo, name) <
	    0) {
		free(dir);
		*stored_id = NULL;
		dir = NULL;
	}
	free(name);
	return dir;
}

int
ms_layout_write(const struct plan *p, const bool *ok, struct cache *c,
    const char *root, const char *repo, char **dir_out, char **msg)
{
	const char **paths = NULL, **revs = NULL;
	char *dir = NULL, *id = NULL, *src = NULL, *dst = NULL, *slash;
	char *defroot = NULL, *mv = NULL;
	unsigned char *pk = NULL;
	struct buf b = { 0 };
	const char *home;
	size_t i, n = 0, len;
	int r;

	*msg = NULL;
	if (dir_out != NULL)
		*dir_out = NULL;
	if (p->repo_type != REPO_MODEL) {
		if (asprintf(msg, "--modelscope-layout: only models, not "
		    "dataset '%s'", p->repo) < 0)
			*msg = NULL;
		return CN_ERR_UNSUPPORTED;
	}
	if (root == NULL || *root == '\0') {
		if ((home = getenv("HOME")) == NULL || *home == '\0')
			home = "/root";
		if (asprintf(&defroot, "%s/.cache/modelscope/hub", home) < 0) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		root = defroot;
	}
	if ((dir = model_dir(root, repo, &id)) == NULL ||
	    (paths = calloc(p->nfiles + 1, sizeof(*paths))) == NULL ||
	    (revs = calloc(p->nfiles + 1, sizeof(*revs))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (fs_mkdirs(dir) != CN_OK) {
		if (asprintf(msg, "cannot create '%s': %s", dir,
		    strerror(errno)) < 0)
			*msg = NULL;
		r = CN_ERR_SYSTEM;
		goto out;
	}
	for (i = 0; i < p->nfiles; i++) {
		const struct plan_file *f = &p->files[i];

		if (ok != NULL && !ok[i])
			continue;
		free(src);
		free(dst);
		if (asprintf(&src, "%s/snapshots/%s/%s", cache_repo_dir(c),
		    p->commit, f->path) < 0 ||
		    asprintf(&dst, "%s/%s", dir, f->path) < 0) {
			src = dst = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
		if ((slash = strrchr(dst, '/')) != NULL) {
			*slash = '\0';
			r = fs_mkdirs(dst);
			*slash = '/';
			if (r != CN_OK) {
				if (asprintf(msg, "cannot create the directory "
				    "of '%s': %s", dst, strerror(errno)) < 0)
					*msg = NULL;
				r = CN_ERR_SYSTEM;
				goto out;
			}
		}
		if ((r = link_or_copy(src, dst, msg)) != CN_OK)
			goto out;
		paths[n] = f->path;
		revs[n] = f->ms_revision != NULL ? f->ms_revision : p->commit;
		n++;
	}
	if ((r = ms_layout_pickle_msc(paths, revs, n, &pk, &len)) != CN_OK)
		goto out;
	free(dst);
	if (asprintf(&dst, "%s/.msc", dir) < 0) {
		dst = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = write_file(dst, pk, len, msg)) != CN_OK)
		goto out;
	/* .mdl: {"id": "<org>/<name as stored>"} */
	put(&b, "\x80\x02", 2);
	put1(&b, '}');
	put_str(&b, "id");
	put_str(&b, id);
	put1(&b, 's');
	put1(&b, '.');
	free(dst);
	if (b.oom || asprintf(&dst, "%s/.mdl", dir) < 0) {
		dst = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = write_file(dst, b.d, b.len, msg)) != CN_OK)
		goto out;
	free(dst);
	if (asprintf(&dst, "%s/.mv", dir) < 0 ||
	    asprintf(&mv, "Revision:%s", p->revision) < 0) {
		dst = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = write_file(dst, mv, strlen(mv), msg)) != CN_OK)
		goto out;
	if (dir_out != NULL) {
		*dir_out = dir;
		dir = NULL;
	}
	r = CN_OK;
 out:
	free(paths);
	free(revs);
	free(dir);
	free(id);
	free(src);
	free(dst);
	free(defroot);
	free(mv);
	free(pk);
	free(b.d);
	return r;
}

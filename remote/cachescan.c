/*
 * Scanning the HF hub cache and ModelScope's cache into struct
 * cache_scan (cachescan.h): refs, snapshots, blobs once by inode,
 * partials with their age, the last pull job per repo, and statvfs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cachescan.h"
#include "cachescan_int.h"
#include "error.h"
#include "job.h"

int
scan_acc_add(struct ino_acc *a, const struct stat *st)
{
	struct ino_ent *v;

	if ((v = reallocarray(a->v, a->n + 1, sizeof(*v))) == NULL)
		return CN_ERR_NOMEM;
	a->v = v;
	v[a->n].dev = st->st_dev;
	v[a->n].ino = st->st_ino;
	v[a->n].size = (uint64_t)st->st_size;
	a->n++;
	return CN_OK;
}

static int
ino_cmp(const void *a, const void *b)
{
	const struct ino_ent *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* Sum of sizes, each (dev, ino) once. */
void
scan_acc_total(struct ino_acc *a, uint64_t *bytes, unsigned *files)
{
	size_t i;

	*bytes = 0;
	*files = 0;
	if (a->n == 0)
		return;
	qsort(a->v, a->n, sizeof(*a->v), ino_cmp);
	for (i = 0; i < a->n; i++) {
		if (i > 0 && ino_cmp(&a->v[i - 1], &a->v[i]) == 0)
			continue;
		*bytes += a->v[i].size;
		(*files)++;
	}
}

char *
scan_join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s%s%s", a, *a && *b ? "/" : "", b) < 0)
		return NULL;
	return s;
}

static bool
is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * One directory's entries, "." and ".." skipped, each with its paths and
 * lstat: the open/read/join/lstat loop that read_refs, walk_snapshot,
 * read_snapshots and read_blobs all walk, written once.
 */
struct scan_dir {
	DIR		*dp;	/* NULL: absent, nothing to walk */
	const char	*rel;
	char		*dir;	/* root/rel */
	char		*full;	/* dir/name of the current entry */
	char		*sub;	/* rel/name of the current entry */
	const char	*name;	/* the current entry's name */
	struct stat	 st;	/* its lstat, when have_st */
	bool		 have_st;
};

/* CN_OK (an absent directory is an empty one) or CN_ERR_NOMEM; close sd
 * in any case. */
static int
scan_dir_open(struct scan_dir *sd, const char *root, const char *rel)
{
	memset(sd, 0, sizeof(*sd));
	sd->rel = rel;
	if ((sd->dir = scan_join(root, rel)) == NULL)
		return CN_ERR_NOMEM;
	sd->dp = opendir(sd->dir);
	return CN_OK;
}

/* 1 with the next entry in sd (a caller may take sd->sub, setting it
 * NULL), 0 at the end, or CN_ERR_NOMEM. */
static int
scan_dir_next(struct scan_dir *sd)
{
	struct dirent *d;

	free(sd->full);
	free(sd->sub);
	sd->full = sd->sub = NULL;
	do {
		if (sd->dp == NULL || (d = readdir(sd->dp)) == NULL)
			return 0;
	} while (is_dot(d->d_name));
	sd->name = d->d_name;
	if ((sd->full = scan_join(sd->dir, d->d_name)) == NULL ||
	    (sd->sub = scan_join(sd->rel, d->d_name)) == NULL)
		return CN_ERR_NOMEM;
	sd->have_st = lstat(sd->full, &sd->st) == 0;
	return 1;
}

static void
scan_dir_close(struct scan_dir *sd)
{
	if (sd->dp != NULL)
		closedir(sd->dp);
	free(sd->dir);
	free(sd->full);
	free(sd->sub);
}

/* First line of a small file, or NULL. */
char *
scan_read_line(const char *path)
{
	char buf[256];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? strdup(buf) : NULL;
}

const char *
cachescan_type_name(enum repo_type t)
{
	return t == REPO_DATASET ? "dataset" : "model";
}

/* --- Hugging Face layout -------------------------------------------- */

struct ref_ent {
	char	*name;
	char	*commit;
};

struct ref_list {
	struct ref_ent	*v;
	size_t		 n;
};

/* refs/ may nest (refs/pr/1); each file holds a commit. */
static int
read_refs(const char *root, const char *rel, struct ref_list *l)
{
	struct scan_dir sd;
	char *commit;
	struct ref_ent *v;
	int r;

	/* no refs/ yet: nothing to read */
	if ((r = scan_dir_open(&sd, root, rel)) != CN_OK)
		goto out;
	while ((r = scan_dir_next(&sd)) == 1) {
		if (!sd.have_st)
			continue;
		if (S_ISDIR(sd.st.st_mode)) {
			if ((r = read_refs(root, sd.sub, l)) != CN_OK)
				goto out;
			continue;
		}
		if (!S_ISREG(sd.st.st_mode) ||
		    (commit = scan_read_line(sd.full)) == NULL)
			continue;
		if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL) {
			free(commit);
			r = CN_ERR_NOMEM;
			goto out;
		}
		l->v = v;
		v[l->n].name = sd.sub;
		v[l->n].commit = commit;
		l->n++;
		sd.sub = NULL;
	}
 out:
	scan_dir_close(&sd);
	return r;
}

static int
add_link(struct cache_rev *rev, const char *path, const char *blob)
{
	struct cache_link *v;

	if ((v = reallocarray(rev->links, rev->nlinks + 1, sizeof(*v))) ==
	    NULL)
		return CN_ERR_NOMEM;
	rev->links = v;
	v[rev->nlinks].path = strdup(path);
	v[rev->nlinks].blob = strdup(blob);
	if (v[rev->nlinks].path == NULL || v[rev->nlinks].blob == NULL) {
		free(v[rev->nlinks].path);
		free(v[rev->nlinks].blob);
		return CN_ERR_NOMEM;
	}
	rev->nlinks++;
	return CN_OK;
}

/* Every entry under snapshots/<commit>/: links name their blob, plain
 * files (copies, not links) count in the size by themselves. */
static int
walk_snapshot(const char *root, const char *rel, struct cache_rev *rev,
    struct ino_acc *acc)
{
	struct scan_dir sd;
	char target[PATH_MAX];
	const char *name;
	ssize_t n;
	int r;

	if ((r = scan_dir_open(&sd, root, rel)) != CN_OK)
		goto out;
	while ((r = scan_dir_next(&sd)) == 1) {
		if (!sd.have_st)
			continue;
		r = CN_OK;	/* other kinds of entries are passed over */
		if (S_ISDIR(sd.st.st_mode))
			r = walk_snapshot(root, sd.sub, rev, acc);
		else if (S_ISLNK(sd.st.st_mode)) {
			if ((n = readlink(sd.full, target,
			    sizeof(target) - 1)) <= 0)
				continue;
			target[n] = '\0';
			name = strrchr(target, '/');
			r = add_link(rev, sd.sub, name ? name + 1 : target);
		} else if (S_ISREG(sd.st.st_mode)) {
			if ((r = add_link(rev, sd.sub, "")) == CN_OK)
				r = scan_acc_add(acc, &sd.st);
		}
		if (r != CN_OK)
			goto out;
	}
 out:
	scan_dir_close(&sd);
	return r;
}

static int
read_snapshots(struct cache_repo *rp, struct ino_acc *acc)
{
	struct scan_dir sd;
	struct cache_rev *v;
	int r;

	if ((r = scan_dir_open(&sd, rp->dir, "snapshots")) != CN_OK)
		goto out;
	while ((r = scan_dir_next(&sd)) == 1) {
		if (!sd.have_st || !S_ISDIR(sd.st.st_mode))
			continue;
		if ((v = reallocarray(rp->revs, rp->nrevs + 1, sizeof(*v))) ==
		    NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		rp->revs = v;
		memset(&v[rp->nrevs], 0, sizeof(*v));
		if ((v[rp->nrevs].commit = strdup(sd.name)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		rp->nrevs++;
		if ((r = walk_snapshot(sd.full, "", &v[rp->nrevs - 1],
		    acc)) != CN_OK)
			goto out;
	}
 out:
	scan_dir_close(&sd);
	return r;
}

/* Hand each ref to its snapshot; the rest are dangling. */
static int
attach_refs(struct cache_repo *rp, struct ref_list *l)
{
	struct cache_rev *rev;
	char **v;
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		rev = NULL;
		for (j = 0; j < rp->nrevs; j++)
			if (strcmp(rp->revs[j].commit, l->v[i].commit) == 0)
				rev = &rp->revs[j];
		if (rev != NULL) {
			if ((v = reallocarray(rev->refs, rev->nrefs + 1,
			    sizeof(*v))) == NULL)
				return CN_ERR_NOMEM;
			rev->refs = v;
			v[rev->nrefs++] = l->v[i].name;
		} else {
			if ((v = reallocarray(rp->dangling, rp->ndangling + 1,
			    sizeof(*v))) == NULL)
				return CN_ERR_NOMEM;
			rp->dangling = v;
			v[rp->ndangling++] = l->v[i].name;
		}
		l->v[i].name = NULL;
	}
	return CN_OK;
}

int
scan_add_partial(struct cache_repo *rp, const char *path, const char *ctl,
    const char *etag, uint64_t size, double age)
{
	struct cache_partial *v, *p;

	if ((v = reallocarray(rp->partials, rp->npartials + 1,
	    sizeof(*v))) == NULL)
		return CN_ERR_NOMEM;
	rp->partials = v;
	p = &v[rp->npartials];
	memset(p, 0, sizeof(*p));
	p->path = strdup(path);
	p->ctl = ctl ? strdup(ctl) : NULL;
	p->etag = strdup(etag);
	p->size = size;
	p->age_s = age < 0 ? 0 : age;
	rp->npartials++;
	if (p->path == NULL || p->etag == NULL || (ctl && p->ctl == NULL))
		return CN_ERR_NOMEM;
	return CN_OK;
}

/* A partial: the .incomplete, its control file, or both. */
static int
blob_partial(struct cache_repo *rp, const char *bdir, const char *name,
    double now)
{
	char *etag = NULL, *part = NULL, *ctl = NULL;
	struct stat ps, cs;
	bool have_p, have_c;
	double mtime = 0;
	uint64_t size = 0;
	int r = CN_ERR_NOMEM;

	if ((etag = strndup(name, strcspn(name, "."))) == NULL ||
	    asprintf(&part, "%s/%s.incomplete", bdir, etag) < 0 ||
	    asprintf(&ctl, "%s/%s.incomplete.cnorch", bdir, etag) < 0) {
		part = ctl = NULL;
		goto out;
	}
	have_p = lstat(part, &ps) == 0 && S_ISREG(ps.st_mode);
	have_c = lstat(ctl, &cs) == 0 && S_ISREG(cs.st_mode);
	/* Counted once: from the .incomplete when there is one. */
	if (ends_with(name, ".cnorch") && have_p) {
		r = CN_OK;
		goto out;
	}
	if (have_p) {
		size += (uint64_t)ps.st_size;
		mtime = (double)ps.st_mtim.tv_sec + ps.st_mtim.tv_nsec / 1e9;
	}
	if (have_c) {
		size += (uint64_t)cs.st_size;
		if ((double)cs.st_mtim.tv_sec + cs.st_mtim.tv_nsec / 1e9 >
		    mtime)
			mtime = (double)cs.st_mtim.tv_sec +
			    cs.st_mtim.tv_nsec / 1e9;
	}
	if (!have_p && !have_c) {
		r = CN_OK;
		goto out;
	}
	r = scan_add_partial(rp, have_p ? part : ctl, have_p && have_c ? ctl : NULL,
	    etag, size, now - mtime);
 out:
	free(etag);
	free(part);
	free(ctl);
	return r;
}

static int
read_blobs(struct cache_repo *rp, struct ino_acc *acc, double now)
{
	struct scan_dir sd;
	struct cache_blob *v;
	int r;

	if ((r = scan_dir_open(&sd, rp->dir, "blobs")) != CN_OK)
		goto out;
	while ((r = scan_dir_next(&sd)) == 1) {
		if (ends_with(sd.name, ".incomplete") ||
		    ends_with(sd.name, ".incomplete.cnorch")) {
			if ((r = blob_partial(rp, sd.dir, sd.name, now)) !=
			    CN_OK)
				goto out;
			continue;
		}
		/* tmp files of an atomic write are nobody's blob */
		if (strchr(sd.name, '.') != NULL || !sd.have_st ||
		    !S_ISREG(sd.st.st_mode))
			continue;
		if ((v = reallocarray(rp->blobs, rp->nblobs + 1,
		    sizeof(*v))) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		rp->blobs = v;
		if ((v[rp->nblobs].name = strdup(sd.name)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		v[rp->nblobs].size = (uint64_t)sd.st.st_size;
		v[rp->nblobs].dev = sd.st.st_dev;
		v[rp->nblobs].ino = sd.st.st_ino;
		v[rp->nblobs].nlink = sd.st.st_nlink;
		rp->nblobs++;
		if ((r = scan_acc_add(acc, &sd.st)) != CN_OK)
			goto out;
	}
 out:
	scan_dir_close(&sd);
	return r;
}

/* "models--org--name" -> type and "org/name"; false for other folders. */
static bool
parse_folder(const char *folder, enum repo_type *type, char **id)
{
	const char *rest;
	char *s, *p;

	if (strncmp(folder, "models--", 8) == 0) {
		*type = REPO_MODEL;
		rest = folder + 8;
	} else if (strncmp(folder, "datasets--", 10) == 0) {
		*type = REPO_DATASET;
		rest = folder + 10;
	} else
		return false;
	if (*rest == '\0' || (s = strdup(rest)) == NULL)
		return false;
	/* huggingface_hub: "/".scan_join(folder.split("--")[1:]) */
	while ((p = strstr(s, "--")) != NULL) {
		*p = '/';
		memmove(p + 1, p + 2, strlen(p + 2) + 1);
	}
	*id = s;
	return true;
}

static void
repo_release(struct cache_repo *rp)
{
	size_t i, j;

	free(rp->id);
	free(rp->dir);
	free(rp->folder);
	for (i = 0; i < rp->nrevs; i++) {
		free(rp->revs[i].commit);
		for (j = 0; j < rp->revs[i].nrefs; j++)
			free(rp->revs[i].refs[j]);
		free(rp->revs[i].refs);
		for (j = 0; j < rp->revs[i].nlinks; j++) {
			free(rp->revs[i].links[j].path);
			free(rp->revs[i].links[j].blob);
		}
		free(rp->revs[i].links);
	}
	free(rp->revs);
	for (i = 0; i < rp->ndangling; i++)
		free(rp->dangling[i]);
	free(rp->dangling);
	for (i = 0; i < rp->nblobs; i++)
		free(rp->blobs[i].name);
	free(rp->blobs);
	for (i = 0; i < rp->npartials; i++) {
		free(rp->partials[i].path);
		free(rp->partials[i].ctl);
		free(rp->partials[i].etag);
	}
	free(rp->partials);
	free(rp->ms_revision);
	free(rp->last_job.id);
}

struct cache_repo *
scan_new_repo(struct cache_scan *s)
{
	struct cache_repo *v;

	if ((v = reallocarray(s->repos, s->nrepos + 1, sizeof(*v))) == NULL)
		return NULL;
	s->repos = v;
	memset(&v[s->nrepos], 0, sizeof(*v));
	return &v[s->nrepos++];
}

static int
scan_hf_repo(struct cache_scan *s, const char *folder, double now)
{
	struct ref_list refs = { 0 };
	struct ino_acc acc = { 0 };
	struct cache_repo *rp;
	enum repo_type type;
	char *id = NULL, *rdir = NULL;
	size_t i;
	int r = CN_ERR_NOMEM;

	if (!parse_folder(folder, &type, &id))
		return CN_OK;
	if ((rp = scan_new_repo(s)) == NULL)
		goto out;
	rp->id = id;
	id = NULL;
	rp->type = type;
	if ((rp->folder = strdup(folder)) == NULL ||
	    (rp->dir = scan_join(s->cache_dir, folder)) == NULL ||
	    (rdir = scan_join(rp->dir, "refs")) == NULL)
		goto out;
	if ((r = read_refs(rdir, "", &refs)) != CN_OK ||
	    (r = read_snapshots(rp, &acc)) != CN_OK ||
	    (r = attach_refs(rp, &refs)) != CN_OK ||
	    (r = read_blobs(rp, &acc, now)) != CN_OK)
		goto out;
	scan_acc_total(&acc, &rp->size, &rp->files);
 out:
	for (i = 0; i < refs.n; i++) {
		free(refs.v[i].name);
		free(refs.v[i].commit);
	}
	free(refs.v);
	free(acc.v);
	free(id);
	free(rdir);
	return r;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entry names of dir (no "." ".."), sorted; *n 0 for a missing dir. */
int
scan_list_dir(const char *dir, char ***out, size_t *n)
{
	struct dirent *d;
	char **v = NULL, **nv;
	DIR *dp;
	size_t i;

	*out = NULL;
	*n = 0;
	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT || errno == ENOTDIR ? CN_OK :
		    CN_ERR_SYSTEM;
	while ((d = readdir(dp)) != NULL) {
		if (is_dot(d->d_name))
			continue;
		if ((nv = reallocarray(v, *n + 1, sizeof(*v))) == NULL ||
		    (nv[*n] = strdup(d->d_name)) == NULL) {
			if (nv != NULL)
				v = nv;
			for (i = 0; i < *n; i++)
				free(v[i]);
			free(v);
			*n = 0;
			closedir(dp);
			return CN_ERR_NOMEM;
		}
		v = nv;
		(*n)++;
	}
	closedir(dp);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), name_cmp);
	*out = v;
	return CN_OK;
}

void
scan_free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* --- jobs ----------------------------------------------------------- */

static bool
same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (realpath(a, ra) == NULL || realpath(b, rb) == NULL)
		return strcmp(a, b) == 0;
	return strcmp(ra, rb) == 0;
}

/* The job in jobs_dir/name, if it pulled into this scan's HF cache. */
static int
one_job(struct cache_scan *s, const char *jobs_dir, const char *name)
{
	struct cache_repo *rp;
	struct job_state st;
	struct cache_job *lj;
	const char *repo, *type, *cdir;
	json_t *spec = NULL;
	char *dir = NULL, *path = NULL;
	bool live, alive;
	int r = CN_OK;

	if ((dir = scan_join(jobs_dir, name)) == NULL ||
	    asprintf(&path, "%s/job.json", dir) < 0) {
		path = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((spec = json_load_file(path, 0, NULL)) == NULL)
		goto out;
	repo = json_string_value(json_object_get(spec, "repo"));
	type = json_string_value(json_object_get(spec, "repo_type"));
	cdir = json_string_value(json_object_get(spec, "cache_dir"));
	if (repo == NULL || cdir == NULL || !same_dir(cdir, s->cache_dir))
		goto out;
	rp = cachescan_find(s, repo, type != NULL && strcmp(type, "dataset") ==
	    0 ? REPO_DATASET : REPO_MODEL);
	if (rp == NULL || job_state_read(dir, &st) != CN_OK)
		goto out;
	live = strcmp(st.state, "running") == 0 ||
	    strcmp(st.state, "queued") == 0;
	alive = live && job_alive(st.pid, st.proc_start);
	if (alive)
		rp->job_running = true;
	lj = &rp->last_job;
	if (lj->id == NULL || st.started > lj->started) {
		free(lj->id);
		if ((lj->id = strdup(name)) == NULL)
			r = CN_ERR_NOMEM;
		snprintf(lj->state, sizeof(lj->state), "%s",
		    live && !alive ? "dead" : st.state);
		lj->started = st.started;
		lj->ended = st.ended;
		lj->running = alive;
	}
	job_state_release(&st);
 out:
	json_decref(spec);
	free(dir);
	free(path);
	return r;
}

static int
scan_jobs(struct cache_scan *s, const char *jobs_dir)
{
	char **names = NULL;
	size_t n = 0, i;
	int r;

	if (s->cache_dir == NULL)
		return CN_OK;
	if ((r = scan_list_dir(jobs_dir, &names, &n)) != CN_OK)
		return r;
	for (i = 0; i < n && r == CN_OK; i++)
		if (names[i][0] != '.')
			r = one_job(s, jobs_dir, names[i]);
	scan_free_names(names, n);
	return r;
}

/* --- the scan ------------------------------------------------------- */

int
cachescan_create(const char *cache_dir, const char *ms_dir,
    const char *jobs_dir, double now, struct cache_scan **out, char **msg)
{
	struct cache_scan *s = NULL;
	char **names = NULL;
	const char *what = cache_dir;
	size_t n = 0, i;
	int r = CN_ERR_NOMEM;

	*out = NULL;
	*msg = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CN_ERR_NOMEM;
	if (cache_dir != NULL) {
		if ((s->cache_dir = strdup(cache_dir)) == NULL)
			goto out;
		if ((r = scan_list_dir(cache_dir, &names, &n)) != CN_OK)
			goto fail;
		for (i = 0; i < n && r == CN_OK; i++)
			r = scan_hf_repo(s, names[i], now);
		if (r != CN_OK)
			goto fail;
	}
	what = ms_dir;
	if (ms_dir != NULL && (r = scan_ms(s, ms_dir, now)) != CN_OK)
		goto fail;
	what = jobs_dir;
	if (jobs_dir != NULL && (r = scan_jobs(s, jobs_dir)) != CN_OK)
		goto fail;
	*out = s;
	s = NULL;
	r = CN_OK;
	goto out;
 fail:
	if (asprintf(msg, "cannot read '%s': %s", what, r == CN_ERR_SYSTEM ?
	    strerror(errno) : cn_strerror(r)) < 0)
		*msg = NULL;
 out:
	scan_free_names(names, n);
	cachescan_destroy(s);
	return r;
}

void
cachescan_destroy(struct cache_scan *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrepos; i++)
		repo_release(&s->repos[i]);
	free(s->repos);
	free(s->cache_dir);
	free(s);
}

struct cache_repo *
cachescan_find(struct cache_scan *s, const char *id, enum repo_type type)
{
	size_t i;

	for (i = 0; i < s->nrepos; i++)
		if (!s->repos[i].modelscope && s->repos[i].type == type &&
		    strcmp(s->repos[i].id, id) == 0)
			return &s->repos[i];
	return NULL;
}

const struct cache_blob *
cachescan_blob(const struct cache_repo *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nblobs; i++)
		if (strcmp(r->blobs[i].name, name) == 0)
			return &r->blobs[i];
	return NULL;
}

bool
cachescan_blob_used(const struct cache_repo *r, const char *name,
    const bool *skip)
{
	size_t i, j;

	for (i = 0; i < r->nrevs; i++) {
		if (skip != NULL && skip[i])
			continue;
		for (j = 0; j < r->revs[i].nlinks; j++)
			if (strcmp(r->revs[i].links[j].blob, name) == 0)
				return true;
	}
	return false;
}

int
cachescan_disk(const char *path, struct cache_disk *d)
{
	struct statvfs sv;

	memset(d, 0, sizeof(*d));
	if (statvfs(path, &sv) != 0)
		return CN_ERR_SYSTEM;
	d->total = (uint64_t)sv.f_blocks * sv.f_frsize;
	d->used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	d->free = (uint64_t)sv.f_bavail * sv.f_frsize;
	d->fsid = sv.f_fsid;
	return CN_OK;
}

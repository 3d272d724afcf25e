/*
 * cnorch-agent verify --repo ID (--cache-dir DIR | --local-dir DIR)
 *     [--revision R] [--repo-type T] [--json]
 * cnorch-agent verify [--cache-dir DIR] [--repo-type T] [--repair]
 *     [--json] [REPO...]
 *
 * One command, one option table, parsed once: without --repo,
 * --local-dir or --revision it is the whole-cache verify
 * (cachecmd_verify() in cmd_cacheverify.c).
 *
 * The single snapshot: re-hash what is on disk, offline.  HF layout:
 * every file of snapshots/<commit>/ (commit from refs/<revision>)
 * against the name of the blob it links to: sha256 for 64-hex names
 * (LFS), the git blob sha1 for 40-hex names, as `hf cache verify` does.  Local dir: every file
 * against the etag recorded when it was committed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cachecmd.h"
#include "cmds.h"
#include "error.h"
#include "hash.h"


struct vctx {
	bool		 json;
	unsigned	 ok, bad, missing, unchecked;
};

static void
report_file(struct vctx *v, const char *path, const char *status,
    enum hash_kind kind, const char *expect, const char *got)
{
	json_t *o;
	char *s;

	if (v->json) {
		o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "path", path, "status",
		    status, "hash", hash_name(kind), "expected", expect,
		    "got", got);
		if (o != NULL && (s = json_dumps(o, JSON_COMPACT |
		    JSON_PRESERVE_ORDER)) != NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(o);
		return;
	}
	if (strcmp(status, "bad") == 0)
		printf("BAD       %s: %s expected %s, got %s\n", path,
		    hash_name(kind), expect, got);
	else if (strcmp(status, "missing") == 0)
		printf("MISSING   %s\n", path);
	else if (strcmp(status, "unchecked") == 0)
		printf("UNCHECKED %s (no hash in the blob name)\n", path);
	else
		printf("ok        %s\n", path);
}

/* Hash file (size from stat) against expect (hex, named by kind). */
static void
check_one(struct vctx *v, const char *rel, const char *file,
    enum hash_kind kind, const char *expect)
{
	struct stat st;
	char got[65] = "";

	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
		v->missing++;
		report_file(v, rel, "missing", kind, expect, "");
		return;
	}
	if (kind == HASH_NONE) {
		v->unchecked++;
		report_file(v, rel, "unchecked", kind, expect, "");
		return;
	}
	if (hash_file(file, kind, (uint64_t)st.st_size, got) != CN_OK ||
	    strcmp(got, expect) != 0) {
		v->bad++;
		report_file(v, rel, "bad", kind, expect, got);
		return;
	}
	v->ok++;
	report_file(v, rel, "ok", kind, expect, got);
}

/*
 * Walk root/rel.  snap: entries are links into blobs/ (HF layout);
 * otherwise root is the local dir's meta/ tree whose files hold etags.
 */
static int
walk(struct vctx *v, const char *root, const char *rel, bool snap,
    const char *local_dir)
{
	char *dir = NULL, *sub = NULL, *full = NULL, *file = NULL;
	char target[PATH_MAX], etag[80];
	struct dirent *d;
	struct stat st;
	const char *name;
	DIR *dp = NULL;
	ssize_t n;
	int fd, r = CN_OK;

	if (asprintf(&dir, "%s%s%s", root, *rel ? "/" : "", rel) < 0)
		return CN_ERR_NOMEM;
	if ((dp = opendir(dir)) == NULL) {
		r = CN_ERR_SYSTEM;
		goto out;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		free(sub);
		free(full);
		free(file);
		sub = full = file = NULL;
		if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "",
		    d->d_name) < 0 || asprintf(&full, "%s/%s", dir,
		    d->d_name) < 0) {
			sub = full = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
		if (lstat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if ((r = walk(v, root, sub, snap, local_dir)) != CN_OK)
				goto out;
			continue;
		}
		if (snap) {
			if (!S_ISLNK(st.st_mode)) {
				v->unchecked++;
				report_file(v, sub, "unchecked", HASH_NONE, "",
				    "");
				continue;
			}
			n = readlink(full, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			name = strrchr(target, '/');
			name = name ? name + 1 : target;
			check_one(v, sub, full, hash_kind_of_name(name), name);
			continue;
		}
		if ((fd = open(full, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, etag, sizeof(etag) - 1);
		close(fd);
		if (n <= 0)
			continue;
		etag[n] = '\0';
		etag[strcspn(etag, "\n")] = '\0';
		if (asprintf(&file, "%s/%s", local_dir, sub) < 0) {
			file = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
		check_one(v, sub, file, hash_kind_of_name(etag), etag);
	}
 out:
	if (dp != NULL)
		closedir(dp);
	free(dir);
	free(sub);
	free(full);
	free(file);
	return r;
}

/* refs/<rev> holds the commit; a commit sha names its snapshot itself. */
static char *
resolve_commit(const char *repo_dir, const char *rev)
{
	char *p = NULL, buf[128], *c = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	if (asprintf(&p, "%s/refs/%s", repo_dir, rev) < 0)
		return NULL;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\r\n")] = '\0';
			c = strdup(buf);
		}
	}
	free(p);
	if (c != NULL && strchr(c, '/') == NULL && c[0] != '.')
		return c;
	free(c);
	if (asprintf(&p, "%s/snapshots/%s", repo_dir, rev) < 0)
		return NULL;
	c = stat(p, &st) == 0 && S_ISDIR(st.st_mode) && strchr(rev, '/') ==
	    NULL && rev[0] != '.' ? strdup(rev) : NULL;
	free(p);
	return c;
}

struct verify_args {
	const char	*repo;
	const char	*rev;
	const char	*cache_dir;
	const char	*local_dir;
	enum repo_type	 type;
	bool		 json;
	bool		 repair;
};

static const struct option verify_options[] = {
	{ "repo",	required_argument, NULL, 'r' },
	{ "revision",	required_argument, NULL, 'R' },
	{ "repo-type",	required_argument, NULL, 't' },
	{ "dataset",	no_argument,	   NULL, 'd' },	/* --repo-type dataset */
	{ "cache-dir",	required_argument, NULL, 'c' },
	{ "local-dir",	required_argument, NULL, 'l' },
	{ "json",	no_argument,	   NULL, 'J' },
	{ "repair",	no_argument,	   NULL, 'P' },
	{ NULL,		0,		   NULL, 0 }
};

static int
verify_opt(const struct agent_cmd *c, int ch, const char *v, void *arg)
{
	struct verify_args *a = arg;

	switch (ch) {
	case 'r':
		a->repo = v;
		break;
	case 'R':
		a->rev = v;
		break;
	case 't':
		return agent_parse_repo_type(c, v, &a->type);
	case 'd':
		a->type = REPO_DATASET;
		break;
	case 'c':
		a->cache_dir = v;
		break;
	case 'l':
		a->local_dir = v;
		break;
	case 'J':
		a->json = true;
		break;
	case 'P':
		a->repair = true;
		break;
	}
	return CN_OK;
}

static int
verify_run(const struct agent_cmd *self, int argc, char **argv)
{
	struct verify_args a = { .type = REPO_MODEL };
	struct vctx v = { 0 };
	char *folder = NULL, *repo_dir = NULL, *commit = NULL, *root = NULL;
	int first, r, rc = CN_ERR_NOMEM;

	if ((r = agent_parse(self, argc, argv, verify_opt, &a, &first)) !=
	    CN_OK)
		return r;
	/* Nothing names a single snapshot: the whole cache. */
	if (a.repo == NULL && a.local_dir == NULL && a.rev == NULL)
		return cachecmd_verify(self, a.cache_dir, a.type, a.repair,
		    a.json, argc - first, argv + first);
	if (first != argc)
		return agent_usage(self, "unexpected argument '%s'",
		    argv[first]);
	if (a.repair)
		return agent_usage(self, "--repair works on whole caches "
		    "(verify without --repo, --local-dir, --revision)");
	if (a.rev == NULL)
		a.rev = "main";
	if ((r = agent_check_repo(self, a.repo, a.rev)) != CN_OK)
		return r;
	if ((a.cache_dir == NULL) == (a.local_dir == NULL))
		return agent_usage(self, "give one of --cache-dir and "
		    "--local-dir");
	v.json = a.json;
	if ((folder = cache_repo_folder(a.type, a.repo)) == NULL)
		return agent_usage(self, "--repo '%s': expected 'org/name'",
		    a.repo);
	if (a.local_dir != NULL) {
		if (asprintf(&root, "%s/.cache/cnorch/meta", a.local_dir) < 0) {
			root = NULL;
			goto out;
		}
		r = walk(&v, root, "", false, a.local_dir);
	} else {
		if (asprintf(&repo_dir, "%s/%s", a.cache_dir, folder) < 0) {
			repo_dir = NULL;
			goto out;
		}
		if ((commit = resolve_commit(repo_dir, a.rev)) == NULL) {
			fprintf(stderr, "error: no snapshot of '%s' at '%s' in "
			    "'%s'\n", a.repo, a.rev, a.cache_dir);
			rc = CN_ERR_NOT_FOUND;
			goto out;
		}
		if (asprintf(&root, "%s/snapshots/%s", repo_dir, commit) < 0) {
			root = NULL;
			goto out;
		}
		r = walk(&v, root, "", true, NULL);
	}
	if (r != CN_OK) {
		fprintf(stderr, "error: cannot read '%s': %s\n", root,
		    r == CN_ERR_SYSTEM ? strerror(errno) : cn_strerror(r));
		rc = r == CN_ERR_SYSTEM && errno == ENOENT ?
		    CN_ERR_NOT_FOUND : CN_ERR_IO;
		goto out;
	}
	if (!v.json)
		printf("%u ok, %u bad, %u missing, %u unchecked\n", v.ok,
		    v.bad, v.missing, v.unchecked);
	rc = v.bad > 0 || v.missing > 0 ? CN_ERR_VERIFY : CN_OK;
 out:
	free(folder);
	free(repo_dir);
	free(commit);
	free(root);
	return rc;
}

const struct agent_cmd agent_cmd_verify = {
	.name = "verify",
	.summary = "re-hash a snapshot, or every cached repo against its "
	    "blob names",
	.synopsis = "verify [--cache-dir DIR] [--repo-type model|dataset]\n"
	    "           [--repair] [--json] [REPO...]     (all repos when "
	    "none named)\n"
	    "       cnorch-agent verify --repo ID (--cache-dir DIR | "
	    "--local-dir DIR)\n"
	    "           [--revision R] [--repo-type model|dataset] [--json]",
	.help = "  --repair  remove bad blobs so a pull fetches them again; "
	    "the paths to\n"
	    "            re-pull are listed per revision\n",
	.options = verify_options,
	.run = verify_run,
};

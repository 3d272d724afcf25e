/*
 * ModelScope's own cache, as its hub code lays it out:
 * MODELSCOPE_CACHE/models/<org>/<name>/ holding plain files (a name's
 * dots stored as "___"), its .msc/.mdl/.mv bookkeeping, and partial
 * downloads under models/._____temp/<org>/<name>/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cachescan.h"
#include "cachescan_int.h"
#include "error.h"

/* Regular files under dir; skip_meta drops ModelScope's own .msc, .mdl
 * and .mv bookkeeping at the top. */
static int
walk_files(const char *dir, bool skip_meta, struct ino_acc *acc,
    struct cache_repo *partials_of, double now)
{
	char **names = NULL, *full = NULL;
	size_t n = 0, i;
	struct stat st;
	int r;

	if ((r = scan_list_dir(dir, &names, &n)) != CN_OK)
		return r;
	for (i = 0; i < n && r == CN_OK; i++) {
		if (skip_meta && (strcmp(names[i], ".msc") == 0 ||
		    strcmp(names[i], ".mdl") == 0 ||
		    strcmp(names[i], ".mv") == 0))
			continue;
		free(full);
		if ((full = scan_join(dir, names[i])) == NULL) {
			r = CN_ERR_NOMEM;
			break;
		}
		if (lstat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = walk_files(full, false, acc, partials_of, now);
		else if (S_ISREG(st.st_mode) && partials_of != NULL)
			r = scan_add_partial(partials_of, full, NULL, "",
			    (uint64_t)st.st_size, now -
			    ((double)st.st_mtim.tv_sec +
			    st.st_mtim.tv_nsec / 1e9));
		else if (S_ISREG(st.st_mode))
			r = scan_acc_add(acc, &st);
	}
	free(full);
	scan_free_names(names, n);
	return r;
}

/* MODELSCOPE_CACHE may be given as the cache, its hub/ or its models/. */
static char *
ms_root(const char *ms_dir)
{
	static const char *const subs[] = { "models", "hub/models" };
	struct stat st;
	size_t i;
	char *p;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if ((p = scan_join(ms_dir, subs[i])) == NULL)
			return NULL;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			return p;
		free(p);
	}
	return strdup(ms_dir);
}

static int
scan_ms_repo(struct cache_scan *s, const char *root, const char *org,
    const char *name, double now)
{
	struct ino_acc acc = { 0 };
	struct cache_repo *rp;
	char *mv = NULL, *tmp = NULL, *p;
	int r = CN_ERR_NOMEM;

	if ((rp = scan_new_repo(s)) == NULL)
		return CN_ERR_NOMEM;
	rp->modelscope = true;
	rp->type = REPO_MODEL;
	if (asprintf(&rp->id, "%s/%s", org, name) < 0) {
		rp->id = NULL;
		goto out;
	}
	/* ModelScope stores "Qwen2.5" as "Qwen2___5" on disk. */
	while ((p = strstr(rp->id, "___")) != NULL) {
		*p = '.';
		memmove(p + 1, p + 3, strlen(p + 3) + 1);
	}
	if (asprintf(&rp->dir, "%s/%s/%s", root, org, name) < 0) {
		rp->dir = NULL;
		goto out;
	}
	if (asprintf(&mv, "%s/.mv", rp->dir) < 0) {
		mv = NULL;
		goto out;
	}
	if (asprintf(&tmp, "%s/._____temp/%s/%s", root, org, name) < 0) {
		tmp = NULL;
		goto out;
	}
	rp->ms_revision = scan_read_line(mv);
	if ((r = walk_files(rp->dir, true, &acc, NULL, now)) != CN_OK ||
	    (r = walk_files(tmp, false, NULL, rp, now)) != CN_OK)
		goto out;
	scan_acc_total(&acc, &rp->size, &rp->files);
 out:
	free(acc.v);
	free(mv);
	free(tmp);
	return r;
}

int
scan_ms(struct cache_scan *s, const char *ms_dir, double now)
{
	char *root = NULL, *odir = NULL, **orgs = NULL, **names = NULL;
	size_t norgs = 0, nnames = 0, i, j;
	struct stat st;
	int r;

	if ((root = ms_root(ms_dir)) == NULL)
		return CN_ERR_NOMEM;
	if ((r = scan_list_dir(root, &orgs, &norgs)) != CN_OK)
		goto out;
	for (i = 0; i < norgs && r == CN_OK; i++) {
		if (orgs[i][0] == '.')
			continue;
		free(odir);
		scan_free_names(names, nnames);
		names = NULL;
		nnames = 0;
		if ((odir = scan_join(root, orgs[i])) == NULL) {
			r = CN_ERR_NOMEM;
			break;
		}
		if (lstat(odir, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    (r = scan_list_dir(odir, &names, &nnames)) != CN_OK)
			continue;
		for (j = 0; j < nnames && r == CN_OK; j++) {
			char *rd = scan_join(odir, names[j]);

			if (rd == NULL)
				r = CN_ERR_NOMEM;
			else if (names[j][0] != '.' && lstat(rd, &st) == 0 &&
			    S_ISDIR(st.st_mode))
				r = scan_ms_repo(s, root, orgs[i], names[j],
				    now);
			free(rd);
		}
	}
 out:
	free(root);
	free(odir);
	scan_free_names(orgs, norgs);
	scan_free_names(names, nnames);
	return r;
}


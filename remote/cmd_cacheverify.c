/*
 * cnorch-agent verify [--cache-dir DIR] [--repo-type T] [--repair]
 *     [--json] [REPO...]
 *
 * `verify` over whole caches, what `cnorch verify` runs: every blob of
 * the named (or all) repos in the HF hub cache re-hashed once against
 * its name (the hash recorded at download: sha256 for 64 hex, git blob
 * sha1 for 40 hex), and every snapshot link checked to reach a blob.
 * A bad blob is named by each snapshot path linking it.  --repair
 * removes bad blobs under the repo lock, so a pull fetches them again,
 * and lists per revision the exact paths to re-pull (`pull --revision R
 * --include PATH...`).  One `verify` command (cmd_verify.c) parses the
 * line and calls cachecmd_verify() when no --repo, --local-dir or
 * --revision names a single snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cachecmd.h"
#include "cachegc.h"
#include "cachescan.h"
#include "cmds.h"
#include "error.h"
#include "event.h"
#include "hash.h"

struct vstate {
	bool		 json;
	bool		 repair;
	double		 last_progress;
	uint64_t	 bytes_done, bytes_total;
	unsigned	 files_done, files_total;
	unsigned	 bad_total;
};

struct vcount {
	unsigned	 ok, bad, missing, unchecked;
	json_t		*repull;	/* commit -> {revision, include[]} */
};

static void
progress(struct vstate *v, const struct cache_repo *r, bool force)
{
	double now = event_now();

	if (!v->json || (!force && now - v->last_progress < 0.5))
		return;
	v->last_progress = now;
	agent_print_json(json_pack("{s:s,s:s,s:I,s:I,s:i,s:i}", "kind",
	    "progress", "repo", r->id, "bytes_done",
	    (json_int_t)v->bytes_done, "bytes_total",
	    (json_int_t)v->bytes_total, "files_done", (int)v->files_done,
	    "files_total", (int)v->files_total));
}

/* Hash path's size bytes as kind, with progress at most twice a second. */
static int
hash_blob(struct vstate *v, const struct cache_repo *r, const char *path,
    enum hash_kind kind, uint64_t size, char got[65])
{
	static unsigned char buf[1 << 20];
	struct hasher *h = NULL;
	uint64_t left = size;
	ssize_t n;
	int fd, rv;

	got[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return CN_ERR_SYSTEM;
	if ((rv = hasher_create(kind, size, &h)) != CN_OK)
		goto out;
	while (left > 0) {
		n = read(fd, buf, left < sizeof(buf) ? (size_t)left :
		    sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rv = n == 0 ? CN_ERR_VERIFY : CN_ERR_SYSTEM;
			goto out;
		}
		if ((rv = hasher_update(h, buf, (size_t)n)) != CN_OK)
			goto out;
		left -= (uint64_t)n;
		v->bytes_done += (uint64_t)n;
		progress(v, r, false);
	}
	rv = hasher_final(h, got);
 out:
	hasher_destroy(h);
	close(fd);
	return rv;
}

/* Remember rev's path for the laptop's `pull --include`. */
static void
add_repull(struct vcount *c, const struct cache_rev *rev, const char *path)
{
	json_t *e = json_object_get(c->repull, rev->commit);

	if (e == NULL) {
		e = json_pack("{s:s,s:s,s:[]}", "revision", rev->nrefs > 0 ?
		    rev->refs[0] : rev->commit, "commit", rev->commit,
		    "include");
		if (e == NULL || json_object_set_new(c->repull, rev->commit,
		    e) != 0)
			return;
	}
	json_array_append_new(json_object_get(e, "include"),
	    json_string(path));
}

static void
say_bad(struct vstate *v, const struct cache_repo *r,
    const struct cache_rev *rev, const char *path, const char *blob,
    const char *status, enum hash_kind kind, const char *got, bool removed)
{
	json_t *refs = json_array();
	size_t i;

	if (!v->json) {
		if (strcmp(status, "missing") == 0)
			printf("MISSING %s %s (blob %s)\n", r->id, path, blob);
		else
			printf("BAD     %s %s%s%.8s: %s expected %s, got %s%s\n",
			    r->id, path ? path : blob, rev ? " in " : "",
			    rev ? rev->commit : "", hash_name(kind), blob,
			    got[0] ? got : "(unreadable)",
			    removed ? " (removed)" : "");
		json_decref(refs);
		return;
	}
	for (i = 0; rev != NULL && refs != NULL && i < rev->nrefs; i++)
		json_array_append_new(refs, json_string(rev->refs[i]));
	agent_print_json(json_pack("{s:s,s:s,s:s,s:s,s:s?,s:o,s:s?,s:s,s:s,"
	    "s:s,s:s,s:b}", "kind", "bad", "status", status, "repo", r->id,
	    "type", cachescan_type_name(r->type), "commit",
	    rev ? rev->commit : NULL, "refs", refs ? refs : json_array(),
	    "path", path, "blob", blob, "hash", hash_name(kind), "expected",
	    blob, "got", got, "removed", removed));
}

/* Check one blob; on a bad one, name every link to it. */
static void
check_blob(struct vstate *v, const struct cache_repo *r,
    const struct cache_blob *b, int lock_fd, struct vcount *c)
{
	enum hash_kind kind = hash_kind_of_name(b->name);
	bool removed = false, named = false;
	char got[65] = "", *path = NULL;
	size_t i, j;

	if (kind == HASH_NONE) {
		c->unchecked++;
		return;
	}
	if (asprintf(&path, "%s/blobs/%s", r->dir, b->name) < 0)
		return;
	if (hash_blob(v, r, path, kind, b->size, got) == CN_OK &&
	    strcmp(got, b->name) == 0) {
		c->ok++;
		free(path);
		return;
	}
	c->bad++;
	v->bad_total++;
	if (v->repair && lock_fd >= 0)
		removed = unlink(path) == 0 || errno == ENOENT;
	for (i = 0; i < r->nrevs; i++)
		for (j = 0; j < r->revs[i].nlinks; j++) {
			if (strcmp(r->revs[i].links[j].blob, b->name) != 0)
				continue;
			named = true;
			say_bad(v, r, &r->revs[i], r->revs[i].links[j].path,
			    b->name, "bad", kind, got, removed);
			add_repull(c, &r->revs[i], r->revs[i].links[j].path);
		}
	if (!named)
		say_bad(v, r, NULL, NULL, b->name, "bad", kind, got, removed);
	free(path);
}

static void
verify_repo(struct vstate *v, const struct cache_repo *r)
{
	struct vcount c = { 0 };
	json_t *list;
	const char *k;
	json_t *e;
	size_t i, j;
	int fd = -1, lr = CN_OK;

	if ((c.repull = json_object()) == NULL)
		return;
	if (v->repair && (lr = cache_lock_repo(r->dir, true, &fd)) != CN_OK)
		fprintf(stderr, "warning: %s: %s: verifying without "
		    "repair\n", r->id, lr == CN_ERR_LOCKED ? "a pull holds "
		    "its lock" : "cannot take its lock");
	v->bytes_done = v->bytes_total = 0;
	v->files_done = 0;
	v->files_total = (unsigned)r->nblobs;
	for (i = 0; i < r->nblobs; i++)
		v->bytes_total += r->blobs[i].size;
	progress(v, r, true);
	for (i = 0; i < r->nblobs; i++) {
		check_blob(v, r, &r->blobs[i], fd, &c);
		v->files_done++;
	}
	progress(v, r, true);
	for (i = 0; i < r->nrevs; i++)
		for (j = 0; j < r->revs[i].nlinks; j++) {
			const struct cache_link *l = &r->revs[i].links[j];

			if (l->blob[0] == '\0') {
				c.unchecked++;
				continue;
			}
			if (cachescan_blob(r, l->blob) != NULL)
				continue;
			c.missing++;
			v->bad_total++;
			say_bad(v, r, &r->revs[i], l->path, l->blob, "missing",
			    hash_kind_of_name(l->blob), "", false);
			add_repull(&c, &r->revs[i], l->path);
		}
	if (v->json) {
		if ((list = json_array()) != NULL)
			json_object_foreach(c.repull, k, e)
				json_array_append(list, e);
		agent_print_json(json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:I,"
		    "s:b,s:o}", "kind", "verify", "repo", r->id, "type",
		    cachescan_type_name(r->type), "ok", (int)c.ok, "bad",
		    (int)c.bad, "missing", (int)c.missing, "unchecked",
		    (int)c.unchecked, "bytes", (json_int_t)v->bytes_total,
		    "repaired", v->repair && fd >= 0 && c.bad > 0, "repull",
		    list ? list : json_array()));
	} else
		printf("%s: %u ok, %u bad, %u missing, %u unchecked\n", r->id,
		    c.ok, c.bad, c.missing, c.unchecked);
	if (fd >= 0)
		close(fd);
	json_decref(c.repull);
}

int
cachecmd_verify(const struct agent_cmd *self, const char *cache_dir_opt,
    enum repo_type type, bool repair, bool json, int nrepos, char **repos)
{
	struct vstate v = { .repair = repair, .json = json };
	struct cache_scan *s = NULL;
	struct cache_repo *r;
	char *cache_dir = NULL, *msg = NULL;
	int rc, i;
	size_t k;

	if ((cache_dir = cachecmd_hf_dir(cache_dir_opt)) == NULL)
		return agent_usage(self, "no cache: pass --cache-dir (or set "
		    "HF_HUB_CACHE / HF_HOME)");
	if ((rc = cachescan_create(cache_dir, NULL, NULL, event_now(), &s,
	    &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(rc));
		goto out;
	}
	/* Every named repo must be there before anything is hashed. */
	for (i = 0; i < nrepos; i++)
		if (cachescan_find(s, repos[i], type) == NULL) {
			fprintf(stderr, "error: no %s '%s' in '%s'\n",
			    cachescan_type_name(type), repos[i], cache_dir);
			rc = CN_ERR_NOT_FOUND;
			goto out;
		}
	if (nrepos == 0)
		for (k = 0; k < s->nrepos; k++)
			verify_repo(&v, &s->repos[k]);
	for (i = 0; i < nrepos; i++)
		if ((r = cachescan_find(s, repos[i], type)) != NULL)
			verify_repo(&v, r);
	rc = v.bad_total > 0 ? CN_ERR_VERIFY : CN_OK;
 out:
	cachescan_destroy(s);
	free(cache_dir);
	free(msg);
	return rc;
}

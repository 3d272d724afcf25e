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
 * --include PATH...`).  The single-snapshot form `verify --repo ID` is
 * cmd_verify.c; cmd_cacheverify_wanted() tells the two apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cachecmd.h"
#include "cachegc.h"
#include "cachescan.h"
#include "cmds.h"
#include "error.h"
#include "hash.h"

static const char cacheverify_usage[] =
"usage: cnorch-agent verify [--cache-dir DIR] [--repo-type model|dataset]\n"
"           [--repair] [--json] [REPO...]     (all repos when none named)\n"
"       cnorch-agent verify --repo ID (--cache-dir DIR | --local-dir DIR)\n"
"           [--revision R] [--repo-type model|dataset] [--json]\n"
"  --repair  remove bad blobs so a pull fetches them again; the paths to\n"
"            re-pull are listed per revision\n";

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

bool
cmd_cacheverify_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "--repo", 6) == 0 &&
		    (argv[i][6] == '\0' || argv[i][6] == '='))
			return false;
		if (strncmp(argv[i], "--local-dir", 11) == 0 ||
		    strncmp(argv[i], "--revision", 10) == 0)
			return false;
	}
	return true;
}

static void
progress(struct vstate *v, const struct cache_repo *r, bool force)
{
	double now = cachecmd_now();

	if (!v->json || (!force && now - v->last_progress < 0.5))
		return;
	v->last_progress = now;
	cachecmd_print(json_pack("{s:s,s:s,s:I,s:I,s:i,s:i}", "kind",
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
	cachecmd_print(json_pack("{s:s,s:s,s:s,s:s,s:s?,s:o,s:s?,s:s,s:s,"
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
	enum hash_kind kind = cachescan_blob_kind(b->name);
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
	if (v->repair && (lr = cachegc_lock(r, true, &fd)) != CN_OK)
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
			    cachescan_blob_kind(l->blob), "", false);
			add_repull(&c, &r->revs[i], l->path);
		}
	if (v->json) {
		if ((list = json_array()) != NULL)
			json_object_foreach(c.repull, k, e)
				json_array_append(list, e);
		cachecmd_print(json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:I,"
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
cmd_cacheverify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cache-dir",	required_argument, NULL, 'c' },
		{ "repo-type",	required_argument, NULL, 't' },
		{ "repair",	no_argument,	   NULL, 'R' },
		{ "json",	no_argument,	   NULL, 'J' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct vstate v = { 0 };
	enum repo_type type = REPO_MODEL;
	struct cache_scan *s = NULL;
	struct cache_repo *r;
	const char *c_opt = NULL;
	char *cache_dir = NULL, *msg = NULL;
	int ch, rv, rc = AGENT_EXIT_FAIL, i;
	size_t k;

	if (cmd_exact_options(argc, argv, longopts) != CN_OK)
		return AGENT_EXIT_USAGE;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c_opt = optarg;
			break;
		case 't':
			if (strcmp(optarg, "dataset") == 0)
				type = REPO_DATASET;
			else if (strcmp(optarg, "model") != 0) {
				fprintf(stderr, "error: --repo-type: expected "
				    "model or dataset, got '%s'\n", optarg);
				return AGENT_EXIT_USAGE;
			}
			break;
		case 'R':
			v.repair = true;
			break;
		case 'J':
			v.json = true;
			break;
		case 'h':
			fputs(cacheverify_usage, stdout);
			return AGENT_EXIT_OK;
		default:
			fputs(cacheverify_usage, stderr);
			return AGENT_EXIT_USAGE;
		}
	}
	if ((cache_dir = cachecmd_hf_dir(c_opt)) == NULL) {
		fprintf(stderr, "error: no cache: pass --cache-dir (or set "
		    "HF_HUB_CACHE / HF_HOME)\n");
		return AGENT_EXIT_USAGE;
	}
	if ((rv = cachescan_create(cache_dir, NULL, NULL, cachecmd_now(), &s,
	    &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg ? msg : cn_strerror(rv));
		goto out;
	}
	/* Every named repo must be there before anything is hashed. */
	for (i = optind; i < argc; i++)
		if (cachescan_find(s, argv[i], type) == NULL) {
			fprintf(stderr, "error: no %s '%s' in '%s'\n",
			    cachescan_type_name(type), argv[i], cache_dir);
			rc = AGENT_EXIT_NOTFOUND;
			goto out;
		}
	if (optind == argc)
		for (k = 0; k < s->nrepos; k++)
			verify_repo(&v, &s->repos[k]);
	for (i = optind; i < argc; i++)
		if ((r = cachescan_find(s, argv[i], type)) != NULL)
			verify_repo(&v, r);
	rc = v.bad_total > 0 ? AGENT_EXIT_FAIL : AGENT_EXIT_OK;
 out:
	cachescan_destroy(s);
	free(cache_dir);
	free(msg);
	return rc;
}

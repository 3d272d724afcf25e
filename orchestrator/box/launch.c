#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "launch.h"
#include "session.h"
#include "shquote.h"

static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-@", *s) == NULL)
			*s = '_';
}

static const char *
or_default(const char *s, const char *def)
{
	return s != NULL && s[0] != '\0' ? s : def;
}

static int
is_dataset(const struct launch_pull *p)
{
	return p->repo_type != NULL && strcmp(p->repo_type, "dataset") == 0;
}

/* org/name -> org--name (what huggingface_hub's repo_folder_name does). */
static char *
dashed(const char *repo)
{
	char *r, *q;
	const char *s;
	size_t n = 0;

	for (s = repo; *s != '\0'; s++)
		n += *s == '/' ? 2 : 1;
	if ((r = malloc(n + 1)) == NULL)
		return NULL;
	for (s = repo, q = r; *s != '\0'; s++) {
		if (*s == '/') {
			*q++ = '-';
			*q++ = '-';
		} else
			*q++ = *s;
	}
	*q = '\0';
	return r;
}

char *
repo_folder(const struct launch_pull *p)
{
	char *d, *r = NULL;

	if ((d = dashed(p->repo)) == NULL)
		return NULL;
	if (asprintf(&r, "%s--%s", is_dataset(p) ? "datasets" : "models",
	    d) < 0)
		r = NULL;
	free(d);
	return r;
}

char *
job_id(const struct launch_pull *p)
{
	const char *src = or_default(p->source, "auto");
	char *d = NULL, *r = NULL, filt[16] = "", *fb = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t i, fn = 0;
	FILE *fp;

	if ((d = dashed(p->repo)) == NULL)
		return NULL;
	if (p->ninclude > 0 || p->nexclude > 0) {
		/* Two pulls of one repo with other filters are two jobs. */
		if ((fp = open_memstream(&fb, &fn)) == NULL) {
			free(d);
			return NULL;
		}
		for (i = 0; i < p->ninclude; i++)
			fprintf(fp, "+%s%c", p->include[i], '\0');
		for (i = 0; i < p->nexclude; i++)
			fprintf(fp, "-%s%c", p->exclude[i], '\0');
		if (fclose(fp) != 0 ||
		    EVP_Digest(fb, fn, md, NULL, EVP_sha256(), NULL) != 1) {
			free(fb);
			free(d);
			return NULL;
		}
		free(fb);
		snprintf(filt, sizeof(filt), "-%02x%02x%02x%02x", md[0],
		    md[1], md[2], md[3]);
	}
	if (asprintf(&r, "%s%s@%s%s%s%s", is_dataset(p) ? "datasets--" : "",
	    d, or_default(p->revision, "main"),
	    strcmp(src, "auto") != 0 ? "-" : "",
	    strcmp(src, "auto") != 0 ? src : "", filt) < 0)
		r = NULL;
	free(d);
	if (r != NULL) {
		sanitize(r);
		/* Never "." or ".." or hidden. */
		if (r[0] == '.')
			r[0] = '_';
	}
	return r;
}

static int64_t
int_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return -1;
}

/* The first object in j (an object, or an array of them) with "state". */
static json_t *
find_state(json_t *j)
{
	size_t i;
	json_t *v, *r;
	const char *k;

	if (json_is_object(j)) {
		if (json_is_string(json_object_get(j, "state")))
			return j;
		json_object_foreach(j, k, v)
			if ((json_is_object(v) || json_is_array(v)) &&
			    (r = find_state(v)) != NULL)
				return r;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if ((r = find_state(v)) != NULL)
				return r;
	}
	return NULL;
}

static void
take_state(struct job_state *st, const char *text, int *alive)
{
	json_t *j, *o, *a;

	if (text == NULL || text[0] == '\0' || st->state[0] != '\0')
		return;
	if ((j = json_loads(text, 0, NULL)) == NULL)
		return;
	if ((o = find_state(j)) != NULL) {
		snprintf(st->state, sizeof(st->state), "%s",
		    json_string_value(json_object_get(o, "state")));
		st->bytes_done = int_field(o, "bytes_done");
		st->bytes_total = int_field(o, "bytes_total");
		/* The agent tells its pid from a reused one. */
		if (json_is_boolean(a = json_object_get(o, "alive")))
			*alive = json_is_true(a);
	}
	json_decref(j);
}

int
job_state_parse(const char *out, size_t len, struct job_state *st)
{
	char *v;
	int alive = -1;

	memset(st, 0, sizeof(*st));
	st->bytes_done = st->bytes_total = -1;
	if ((v = kv_get(out, len, "check")) == NULL)
		return CN_ERR_PARSE;
	free(v);
	/* The agent's word first, the raw state file if it had none. */
	v = kv_get(out, len, "status_json");
	take_state(st, v, &alive);
	free(v);
	v = kv_get(out, len, "state_json");
	take_state(st, v, &alive);
	free(v);
	if ((v = kv_get(out, len, "alive")) != NULL)
		st->alive = strcmp(v, "1") == 0;
	free(v);
	if (alive >= 0)
		st->alive = alive;
	if ((v = kv_get(out, len, "files_ok")) != NULL)
		st->files_ok = strcmp(v, "1") == 0;
	free(v);
	return CN_OK;
}

static int
exec_script(struct session *s, const char *script, struct buf *out,
    int *status)
{
	struct buf err = { 0 };
	int r;

	r = session_exec(s, "sh -s", script, strlen(script), out, &err,
	    status, 120);
	if (r == CN_OK && err.len > 0 && *status != 0)
		buf_append(out, err.data, err.len);
	buf_release(&err);
	return r;
}

static int
add_arg(FILE *fp, const char *opt, const char *val)
{
	char *q;

	if (val == NULL || val[0] == '\0')
		return 0;
	if ((q = sh_quote(val)) == NULL)
		return -1;
	fprintf(fp, " %s %s", opt, q);
	free(q);
	return 0;
}

static char *
check_script(const struct launch_env *env, const struct launch_pull *p,
    const char *id, const char *folder)
{
	char *qcache = NULL, *qrev = NULL, *qid = NULL, *s = NULL;

	qcache = sh_quote(env->data_dir);
	qrev = sh_quote(or_default(p->revision, "main"));
	qid = sh_quote(id);
	if (qcache == NULL || qrev == NULL || qid == NULL)
		goto out;
	if (asprintf(&s,
	    "set -u\n"
	    "j=\"$HOME/.cnorch/jobs/\"%s\n"
	    "A=\"$HOME/.cnorch/payload/%s/cnorch-agent\"\n"
	    "c=%s/hf/hub/%s\n"
	    "rev=%s\n"
	    "if [ -f \"$j/state.json\" ]; then\n"
	    "\techo \"status_json=$(\"$A\" status --json \"$j\" 2>/dev/null"
	    " | tr -d '\\n')\"\n"
	    "\techo \"state_json=$(tr -d '\\n' < \"$j/state.json\")\"\n"
	    "\tpid=$(sed -n 's/.*\"pid\" *: *\\([0-9][0-9]*\\).*/\\1/p' "
	    "\"$j/state.json\" | head -n 1)\n"
	    "\tif [ -n \"$pid\" ] && kill -0 \"$pid\" 2>/dev/null; then "
	    "echo alive=1; else echo alive=0; fi\n"
	    "fi\n"
	    "if [ -f \"$c/refs/$rev\" ]; then commit=$(cat \"$c/refs/$rev\");"
	    " else commit=$rev; fi\n"
	    "sd=\"$c/snapshots/$commit\"\n"
	    "if [ -n \"$commit\" ] && [ -d \"$sd\" ] && "
	    "[ -n \"$(ls -A \"$sd\" 2>/dev/null)\" ] && "
	    "[ -z \"$(find -L \"$sd\" -type l 2>/dev/null | head -n 1)\" ];"
	    " then echo files_ok=1; else echo files_ok=0; fi\n"
	    "echo check=done\n",
	    qid, env->payload_id, qcache, folder, qrev) < 0)
		s = NULL;
 out:
	free(qcache);
	free(qrev);
	free(qid);
	return s;
}

static char *
launch_script(const struct launch_env *env, const struct launch_pull *p,
    const char *id)
{
	char *s = NULL, *q = NULL, *cache = NULL;
	size_t n = 0, i;
	FILE *fp;
	int bad = 0;

	if ((fp = open_memstream(&s, &n)) == NULL)
		return NULL;
	if ((q = sh_quote(id)) == NULL)
		bad = 1;
	fprintf(fp,
	    "set -u\n"
	    "um=$(umask)\n"
	    "umask 077\n"
	    "j=\"$HOME/.cnorch/jobs/\"%s\n"
	    "A=\"$HOME/.cnorch/payload/%s/cnorch-agent\"\n"
	    "mkdir -p \"$HOME/.cnorch/jobs/.old\" || exit 1\n"
	    "chmod 700 \"$HOME/.cnorch\" \"$HOME/.cnorch/jobs\" 2>/dev/null\n"
	    "if [ -e \"$j\" ]; then rm -rf \"$HOME/.cnorch/jobs/.old/\"%s; "
	    "mv \"$j\" \"$HOME/.cnorch/jobs/.old/\"%s || exit 1; fi\n"
	    /* The user's proxy and no_proxy, as every shell has them. */
	    "set +u\n"
	    "[ -f \"$HOME/.cnorch/env.sh\" ] && . \"$HOME/.cnorch/env.sh\"\n"
	    "set -u\n",
	    q ? q : "", env->payload_id, q ? q : "", q ? q : "");
	free(q);
	q = NULL;
	if (env->hf_token != NULL && env->hf_token[0] != '\0') {
		if ((q = sh_quote(env->hf_token)) == NULL)
			bad = 1;
		else
			fprintf(fp, "HF_TOKEN=%s\nexport HF_TOKEN\n", q);
		free(q);
		q = NULL;
		/* The agent sends a token over plain http only when told
		 * (local test hubs); the laptop's own opt-in passes on. */
		if (getenv("CNORCH_ALLOW_HTTP_TOKEN") != NULL &&
		    strcmp(getenv("CNORCH_ALLOW_HTTP_TOKEN"), "1") == 0)
			fprintf(fp, "CNORCH_ALLOW_HTTP_TOKEN=1\n"
			    "export CNORCH_ALLOW_HTTP_TOKEN\n");
	}
	if (env->hf_endpoint != NULL) {
		if ((q = sh_quote(env->hf_endpoint)) == NULL)
			bad = 1;
		else
			fprintf(fp, "HF_ENDPOINT=%s\nexport HF_ENDPOINT\n", q);
		free(q);
		q = NULL;
	}
	if (asprintf(&cache, "%s/hf/hub", env->data_dir) < 0) {
		cache = NULL;
		bad = 1;
	}
	/* The weights get the user's usual modes, not our private ones. */
	fprintf(fp, "l=\"$HOME/.cnorch/jobs/.launch-$$.log\"\n"
	    ": > \"$l\"\n"
	    "umask \"$um\"\n"
	    "\"$A\" pull");
	bad |= add_arg(fp, "--repo", p->repo);
	bad |= add_arg(fp, "--revision", p->revision);
	bad |= add_arg(fp, "--repo-type", p->repo_type);
	bad |= add_arg(fp, "--source", p->source);
	bad |= add_arg(fp, "--endpoint", env->hf_endpoint);
	bad |= add_arg(fp, "--modelscope-endpoint", env->modelscope_endpoint);
	bad |= add_arg(fp, "--cache-dir", cache);
	for (i = 0; i < p->ninclude; i++)
		bad |= add_arg(fp, "--include", p->include[i]);
	for (i = 0; i < p->nexclude; i++)
		bad |= add_arg(fp, "--exclude", p->exclude[i]);
	/* The daemon must not hold the channel open: its output goes to a
	 * file we show and remove. */
	fprintf(fp, " --detach --job-dir \"$j\" </dev/null >\"$l\" 2>&1\n"
	    "rc=$?\n"
	    "cat \"$l\"\n"
	    "rm -f \"$l\"\n"
	    "exit $rc\n");
	free(cache);
	if (fclose(fp) != 0 || bad) {
		free(s);
		return NULL;
	}
	return s;
}

static int
first_line_len(const struct buf *b)
{
	size_t i;

	if (b->data == NULL)
		return 0;
	for (i = 0; i < b->len && i < 300; i++)
		if (b->data[i] == '\n')
			break;
	return (int)i;
}

int
launch_pull(struct session *s, const char *name,
    const struct launch_env *env, const struct launch_pull *p,
    enum launch_result *res, struct job_state *st, char **msg)
{
	struct buf out = { 0 };
	char *id = NULL, *folder = NULL, *script = NULL;
	int r, status = -1;

	*msg = NULL;
	memset(st, 0, sizeof(*st));
	st->bytes_done = st->bytes_total = -1;
	if ((id = job_id(p)) == NULL || (folder = repo_folder(p)) == NULL ||
	    (script = check_script(env, p, id, folder)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = exec_script(s, script, &out, &status)) != CN_OK) {
		if (asprintf(msg, "%s", session_errmsg(s)) < 0)
			*msg = NULL;
		goto out;
	}
	if (out.data == NULL ||
	    job_state_parse(out.data, out.len, st) != CN_OK) {
		r = CN_ERR_REMOTE;
		if (asprintf(msg, "%s: %s: cannot read the job's state "
		    "(exit %d)", name, id, status) < 0)
			*msg = NULL;
		goto out;
	}
	if ((strcmp(st->state, "running") == 0 ||
	    strcmp(st->state, "queued") == 0) && st->alive) {
		*res = LAUNCH_RUNNING;
		r = CN_OK;
		goto out;
	}
	if (strcmp(st->state, "done") == 0 && st->files_ok) {
		*res = LAUNCH_DONE;
		r = CN_OK;
		goto out;
	}

	free(script);
	buf_release(&out);
	memset(&out, 0, sizeof(out));
	if ((script = launch_script(env, p, id)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = exec_script(s, script, &out, &status)) != CN_OK) {
		if (asprintf(msg, "%s", session_errmsg(s)) < 0)
			*msg = NULL;
		goto out;
	}
	if (status != 0) {
		r = CN_ERR_REMOTE;
		if (asprintf(msg, "%s: %s: cnorch-agent pull failed to start "
		    "(exit %d)%s%.*s", name, id, status,
		    out.len > 0 ? ": " : "", first_line_len(&out),
		    out.data ? out.data : "") < 0)
			*msg = NULL;
		goto out;
	}
	*res = LAUNCH_STARTED;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM && *msg == NULL &&
	    asprintf(msg, "%s: out of memory", name) < 0)
		*msg = NULL;
	free(id);
	free(folder);
	free(script);
	buf_release(&out);
	return r;
}

int
launch_stop(struct session *s, const char *payload_id,
    const char *const *job_ids, size_t n)
{
	struct buf out = { 0 };
	char *script = NULL, *q;
	size_t len = 0, i;
	FILE *fp;
	int r, status;

	if ((fp = open_memstream(&script, &len)) == NULL)
		return CN_ERR_NOMEM;
	fprintf(fp, "A=\"$HOME/.cnorch/payload/%s/cnorch-agent\"\n",
	    payload_id);
	for (i = 0; i < n; i++) {
		if ((q = sh_quote(job_ids[i])) == NULL)
			continue;
		fprintf(fp, "\"$A\" stop \"$HOME/.cnorch/jobs/\"%s "
		    ">/dev/null 2>&1\n", q);
		free(q);
	}
	if (fclose(fp) != 0) {
		free(script);
		return CN_ERR_NOMEM;
	}
	r = exec_script(s, script, &out, &status);
	free(script);
	buf_release(&out);
	return r;
}

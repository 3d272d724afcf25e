/*
 * launch: job ids and the one launch step on the box (see launch.h).
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "inventory.h"
#include "launch.h"
#include "script.h"
#include "session.h"

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
	if (r != NULL && strlen(r) > JOB_ID_MAX) {
		/* A file name has 255 bytes: a long id keeps its start and a
		 * hash of the whole, still one per pull. */
		if (EVP_Digest(r, strlen(r), md, NULL, EVP_sha256(), NULL) !=
		    1) {
			free(r);
			return NULL;
		}
		snprintf(r + JOB_ID_MAX - 9, 10, "-%02x%02x%02x%02x", md[0],
		    md[1], md[2], md[3]);
	}
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
take_state(struct box_job_state *st, const char *text, int *alive)
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
box_job_state_parse(const char *out, size_t len, struct box_job_state *st)
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

/*
 * The one launch step, run under a lock on the job (flock(1) on
 * jobs/.locks/<id>, or a mkdir lock where flock is missing), so two cnorch
 * runs starting the same pull cannot both move the job directory: the
 * second finds the first's agent running.  Output: the check's key=value
 * lines (box_job_state_parse()), then launch=running|done, or
 * launch_rc=N followed by what the agent said.
 */
#define LAUNCH_LOCK \
    "mkdir -p \"$J/.old\" \"$J/.locks\" || exit 1\n" \
    "chmod 700 " SCRIPT_CNORCH_DIR " \"$J\" 2>/dev/null\n" \
    "lk=\"$J/.locks/$id\"\n" \
    "if command -v flock >/dev/null 2>&1; then\n" \
    "\texec 9>\"$lk\" || exit 1\n" \
    "\tif ! flock -w 90 9; then\n" \
    "\t\techo \"another cnorch is starting this job (lock $lk)\" >&2\n" \
    "\t\texit 75\n" \
    "\tfi\n" \
    "else\n" \
    "\tn=0\n" \
    "\tuntil mkdir \"$lk.d\" 2>/dev/null; do\n" \
    /* A killed run's lock: no launch holds it ten minutes. */ \
    "\t\tif [ -n \"$(find \"$lk.d\" -maxdepth 0 -mmin +10 " \
    "2>/dev/null)\" ]; then rmdir \"$lk.d\" 2>/dev/null; continue; fi\n" \
    "\t\tn=$((n + 1))\n" \
    "\t\tif [ \"$n\" -ge 900 ]; then\n" \
    "\t\t\techo \"another cnorch is starting this job (lock $lk.d;" \
    " remove it if none is)\" >&2\n" \
    "\t\t\texit 75\n" \
    "\t\tfi\n" \
    "\t\tsleep 0.1\n" \
    "\tdone\n" \
    "\ttrap 'rmdir \"$lk.d\" 2>/dev/null' EXIT\n" \
    "fi\n"

/* The agent's word on state and liveness first, the raw file if none. */
#define LAUNCH_CHECK \
    "st=\n" \
    "alive=0\n" \
    "if [ -f \"$j/state.json\" ]; then\n" \
    "\tsj=$(\"$A\" status --json \"$j\" 2>/dev/null | tr -d '\\n')\n" \
    "\trj=$(tr -d '\\n' < \"$j/state.json\")\n" \
    "\techo \"status_json=$sj\"\n" \
    "\techo \"state_json=$rj\"\n" \
    "\tpid=$(sed -n 's/.*\"pid\" *: *\\([0-9][0-9]*\\).*/\\1/p' " \
    "\"$j/state.json\" | head -n 1)\n" \
    "\tif [ -n \"$pid\" ] && kill -0 \"$pid\" 2>/dev/null; then " \
    "alive=1; fi\n" \
    "\techo \"alive=$alive\"\n" \
    "\tst=$(printf '%s\\n' \"$sj\" | sed -n " \
    "'s/.*[{,] *\"state\" *: *\"\\([a-z]*\\)\".*/\\1/p')\n" \
    "\tif [ -n \"$st\" ]; then\n" \
    "\t\tcase $sj in\n" \
    "\t\t*'\"alive\":true'*) alive=1 ;;\n" \
    "\t\t*'\"alive\":false'*) alive=0 ;;\n" \
    "\t\tesac\n" \
    "\telse\n" \
    "\t\tst=$(printf '%s\\n' \"$rj\" | sed -n " \
    "'s/.*[{,] *\"state\" *: *\"\\([a-z]*\\)\".*/\\1/p')\n" \
    "\tfi\n" \
    "fi\n" \
    "if [ -f \"$c/refs/$rev\" ]; then commit=$(cat \"$c/refs/$rev\");" \
    " else commit=$rev; fi\n" \
    "sd=\"$c/snapshots/$commit\"\n" \
    "fok=0\n" \
    "if [ -n \"$commit\" ] && [ -d \"$sd\" ] && " \
    "[ -n \"$(ls -A \"$sd\" 2>/dev/null)\" ] && " \
    "[ -z \"$(find -L \"$sd\" -type l 2>/dev/null | head -n 1)\" ];" \
    " then fok=1; fi\n" \
    "echo \"files_ok=$fok\"\n" \
    "echo check=done\n" \
    "case $st in\n" \
    "running|queued|waiting) if [ \"$alive\" = 1 ]; then " \
    "echo launch=running; " \
    "exit 0; fi ;;\n" \
    "done) if [ \"$fok\" = 1 ]; then echo launch=done; exit 0; fi ;;\n" \
    "esac\n"

/* Never run, failed, stopped, died or files gone: start anew. */
#define LAUNCH_RENEW \
    "if [ -e \"$j\" ]; then rm -rf \"$J/.old/$id\"; " \
    "mv \"$j\" \"$J/.old/$id\" || exit 1; fi\n" \
    /* The user's settings; what the agent needs is exported after. */ \
    "set +u\n" \
    "[ -f " SCRIPT_CNORCH_DIR "/env.sh ] && . " SCRIPT_CNORCH_DIR \
    "/env.sh\n" \
    "set -u\n"

/* The no_proxy list starts from LAUNCH_NO_PROXY (launch.h): the guide's
 * domestic hosts (china-network.md section 4, as setup-china-mirrors.sh's
 * DOMESTIC), loopback first. */
/*
 * Append ",HOST" of url to the no_proxy list *np unless already covered
 * (as the setup script's covered(): equal, or under a leading-dot entry),
 * or it is Hugging Face itself, the one host the proxy is there for.
 */
static int
no_proxy_add(char **np, const char *url)
{
	const char *a, *e, *at;
	char *host = NULL, *tok, *save, *copy = NULL, *n;
	size_t hl, el;
	int covered = 0;

	if (url == NULL || (a = strstr(url, "://")) == NULL)
		return CN_OK;
	a += 3;
	e = a + strcspn(a, "/?#");
	if ((at = memchr(a, '@', (size_t)(e - a))) != NULL)
		a = at + 1;
	if (*a == '[') {
		if ((at = memchr(a, ']', (size_t)(e - a))) == NULL)
			return CN_OK;
		a++;
		e = at;
	} else if ((at = memchr(a, ':', (size_t)(e - a))) != NULL)
		e = at;
	if (e == a)
		return CN_OK;
	if ((host = strndup(a, (size_t)(e - a))) == NULL ||
	    (copy = strdup(*np)) == NULL)
		goto nomem;
	hl = strlen(host);
	covered = strcasecmp(host, "huggingface.co") == 0 ||
	    (hl > 15 && strcasecmp(host + hl - 15, ".huggingface.co") == 0);
	for (tok = strtok_r(copy, ",", &save); tok != NULL && !covered;
	    tok = strtok_r(NULL, ",", &save)) {
		el = strlen(tok);
		covered = strcasecmp(tok, host) == 0 || (tok[0] == '.' &&
		    hl > el && strcasecmp(host + hl - el, tok) == 0);
	}
	if (!covered) {
		if (asprintf(&n, "%s,%s", *np, host) < 0)
			goto nomem;
		free(*np);
		*np = n;
	}
	free(copy);
	free(host);
	return CN_OK;
 nomem:
	free(copy);
	free(host);
	return CN_ERR_NOMEM;
}

int
launch_exports(struct script *s, const struct launch_env *env)
{
	const char *pv[] = { "http_proxy", "https_proxy", "HTTP_PROXY",
	    "HTTPS_PROXY" };
	const char *file;
	char *v = NULL;
	size_t i;
	bool box;

	/* Tokens travel only here, in the script on stdin: the agent reads
	 * them from its environment, never from argv. */
	if (env->hf_token != NULL && env->hf_token[0] != '\0')
		script_export(s, "HF_TOKEN", env->hf_token);
	if (env->modelscope_token != NULL && env->modelscope_token[0] != '\0')
		script_export(s, "MODELSCOPE_API_TOKEN", env->modelscope_token);
	/* The agent sends a token over plain http only when told (local
	 * test hubs); the laptop's own opt-in passes on. */
	if (env->allow_http_token)
		script_export(s, "CNORCH_ALLOW_HTTP_TOKEN", "1");
	if (env->hf_endpoint != NULL)
		script_export(s, "HF_ENDPOINT", env->hf_endpoint);
	/* The data disk, whether or not a dotfile sourced env.sh. */
	if (asprintf(&v, "%s/hf", env->data_dir) < 0)
		return CN_ERR_NOMEM;
	script_export(s, "HF_HOME", v);
	free(v);
	if (asprintf(&v, "%s/hf/hub", env->data_dir) < 0)
		return CN_ERR_NOMEM;
	script_export(s, "HF_HUB_CACHE", v);
	free(v);
	if (asprintf(&v, "%s/modelscope", env->data_dir) < 0)
		return CN_ERR_NOMEM;
	script_export(s, "MODELSCOPE_CACHE", v);
	free(v);
	script_export(s, "HF_HUB_ENABLE_HF_TRANSFER", "0");
	box = env->proxy != NULL && env->proxy[0] != '\0';
	if (!box && env->lent_proxy == NULL)
		return CN_OK;
	/* A lent proxy is the agent's --proxy (launch_script); a box proxy
	 * comes in the environment.  Either way this pull's no_proxy. */
	if (box && strcmp(env->proxy, PROXY_PLATFORM) == 0) {
		/* The platform's proxy: what its file exports, read in a
		 * subshell (its notice and its variables die there), for the
		 * huggingface.co rung alone.  No file, or nothing in it: no
		 * proxy, and the agent says the rung needs one. */
		if ((file = env->platform_proxy_file) == NULL &&
		    ((file = getenv("CNORCH_NETWORK_TURBO")) == NULL ||
		    file[0] == '\0'))
			file = LAUNCH_PLATFORM_PROXY_FILE;
		script_let(s, "turbo", file);
		script_code(s, "v=$(set +u; . \"$turbo\" >/dev/null 2>&1; "
		    "printf '%s' \"${https_proxy:-${http_proxy:-}}\") || v=\n"
		    "if [ -n \"$v\" ]; then export CNORCH_UPSTREAM_PROXY=\"$v\"; "
		    "fi\n"
		    "unset v turbo\n");
	} else if (box) {
		/* The inventory's proxy for this pull only (the agent's
		 * children too), domestic hosts and the configured mirrors on
		 * the direct route; and the huggingface.co rung's. */
		for (i = 0; i < sizeof(pv) / sizeof(pv[0]); i++)
			script_export(s, pv[i], env->proxy);
		script_export(s, "CNORCH_UPSTREAM_PROXY", env->proxy);
	}
	if (box && env->upstream_endpoint != NULL &&
	    env->upstream_endpoint[0] != '\0')
		script_export(s, "CNORCH_UPSTREAM_ENDPOINT",
		    env->upstream_endpoint);
	if ((v = strdup(LAUNCH_NO_PROXY)) == NULL ||
	    no_proxy_add(&v, env->hf_endpoint) != CN_OK ||
	    no_proxy_add(&v, env->modelscope_endpoint) != CN_OK) {
		free(v);
		return CN_ERR_NOMEM;
	}
	script_export(s, "no_proxy", v);
	script_export(s, "NO_PROXY", v);
	free(v);
	return CN_OK;
}

/* The variables LAUNCH_CHECK reads: the job, the agent, the cache, rev. */
static int
script_job_vars(struct script *s, const struct launch_env *env,
    const struct launch_pull *p)
{
	char *id = NULL, *folder = NULL;

	if ((id = job_id(p)) == NULL || (folder = repo_folder(p)) == NULL) {
		free(id);
		return CN_ERR_NOMEM;
	}
	script_code(s, "set -u\n"
	    "um=$(umask)\n"
	    "umask 077\n"
	    "J=" SCRIPT_JOBS_DIR "\n");
	script_let(s, "id", id);
	script_code(s, "j=");
	script_job_path(s, id, NULL);
	script_code(s, "\nA=");
	script_payload_path(s, env->payload_id, "cnorch-agent");
	script_code(s, "\nc=");
	script_word(s, env->data_dir);
	script_code(s, "/hf/hub/");
	script_word(s, folder);
	script_code(s, "\n");
	script_let(s, "rev", or_default(p->revision, "main"));
	free(id);
	free(folder);
	return CN_OK;
}

char *
launch_check_script(const struct launch_env *env,
    const struct launch_pull *p)
{
	struct script *s;

	if ((s = script_create()) == NULL ||
	    script_job_vars(s, env, p) != CN_OK) {
		script_destroy(s);
		return NULL;
	}
	script_code(s, LAUNCH_CHECK "echo launch=start\n");
	return script_finish(s);
}

char *
launch_script(const struct launch_env *env, const struct launch_pull *p)
{
	struct script *s;
	size_t i;

	if ((s = script_create()) == NULL ||
	    script_job_vars(s, env, p) != CN_OK)
		goto fail;
	script_code(s, LAUNCH_LOCK LAUNCH_CHECK LAUNCH_RENEW);
	if (launch_exports(s, env) != CN_OK)
		goto fail;
	/* A lent proxy is the agent's own for the last rung (--proxy);
	 * launch_exports() above set this pull's no_proxy already. */
	/* The weights get the user's usual modes, not our private ones. */
	script_code(s, "l=\"$J/.launch-$$.log\"\n"
	    ": > \"$l\"\n"
	    "umask \"$um\"\n"
	    "\"$A\" pull");
	script_opt(s, "--repo", p->repo);
	script_opt(s, "--revision", p->revision);
	script_opt(s, "--repo-type", p->repo_type);
	script_opt(s, "--source", p->source);
	script_opt(s, "--endpoint", env->hf_endpoint);
	script_opt(s, "--modelscope-endpoint", env->modelscope_endpoint);
	if (env->lent_proxy != NULL) {
		script_opt(s, "--upstream-endpoint", env->upstream_endpoint);
		script_opt(s, "--proxy", env->lent_proxy);
	}
	script_code(s, " --cache-dir ");
	script_word(s, env->data_dir);
	script_code(s, "/hf/hub");
	for (i = 0; i < p->ninclude; i++)
		script_opt(s, "--include", p->include[i]);
	for (i = 0; i < p->nexclude; i++)
		script_opt(s, "--exclude", p->exclude[i]);
	/* The daemon must not hold the channel open (its output goes to a
	 * file we show and remove) nor the lock (fd 9). */
	script_code(s, " --detach --job-dir \"$j\" </dev/null >\"$l\" 2>&1"
	    " 9>&-\n"
	    "rc=$?\n"
	    "echo \"launch_rc=$rc\"\n"
	    "cat \"$l\"\n"
	    "rm -f \"$l\"\n"
	    "exit $rc\n");
	return script_finish(s);
 fail:
	script_destroy(s);
	return NULL;
}

/* What the agent said after "launch_rc=N\n", for the message. */
static const char *
agent_said(const struct buf *out, size_t *len)
{
	const char *p = NULL, *q;

	*len = 0;
	if (out->data == NULL)
		return "";
	for (q = out->data; (q = strstr(q, "launch_rc=")) != NULL; q++)
		if (q == out->data || q[-1] == '\n')
			p = q;
	if (p == NULL || (q = strchr(p, '\n')) == NULL)
		p = out->data;
	else
		p = q + 1;
	*len = out->len - (size_t)(p - out->data);
	return p;
}

/* "ID: WHAT (exit N): the agent's first line", for both ways a launch
 * fails after the script ran. */
static void
said_msg(char **msg, const char *id, const char *what, int status,
    const char *said, size_t saidlen)
{
	cn_msg(msg, "%s: %s (exit %d)%s%.*s", id, what, status,
	    saidlen > 0 ? ": " : "", first_line_len(said, saidlen), said);
}

int
launch_pull(struct session *s, const struct launch_env *env,
    const struct launch_pull *p, enum launch_result *res,
    struct box_job_state *st, char **msg)
{
	struct buf out = { 0 };
	char *id = NULL, *script = NULL, *launch = NULL;
	const char *said;
	size_t saidlen;
	int r, status = -1;

	*msg = NULL;
	memset(st, 0, sizeof(*st));
	st->bytes_done = st->bytes_total = -1;
	if ((id = job_id(p)) == NULL ||
	    (script = launch_script(env, p)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	/* The agent's start waits up to 60 s for the job to be ready; the
	 * lock may wait for another cnorch's start as long. */
	if ((r = script_run(s, script, &out, &status, 240, msg)) != CN_OK)
		goto out;
	said = agent_said(&out, &saidlen);
	if (out.data == NULL ||
	    box_job_state_parse(out.data, out.len, st) != CN_OK) {
		r = CN_ERR_REMOTE;
		said_msg(msg, id, "cannot read the job's state", status,
		    said, saidlen);
		goto out;
	}
	launch = kv_get(out.data, out.len, "launch");
	if (launch != NULL && strcmp(launch, "running") == 0) {
		*res = LAUNCH_RUNNING;
		r = CN_OK;
		goto out;
	}
	if (launch != NULL && strcmp(launch, "done") == 0) {
		*res = LAUNCH_DONE;
		r = CN_OK;
		goto out;
	}
	if (status != 0) {
		r = CN_ERR_REMOTE;
		said_msg(msg, id, "cnorch-agent pull failed to start",
		    status, said, saidlen);
		goto out;
	}
	*res = LAUNCH_STARTED;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM && *msg == NULL &&
	    (*msg = strdup("out of memory")) == NULL)
		*msg = NULL;
	free(id);
	free(script);
	free(launch);
	buf_release(&out);
	return r;
}

int
launch_check(struct session *s, const struct launch_env *env,
    const struct launch_pull *p, enum launch_result *res, char **msg)
{
	struct buf out = { 0 };
	char *script = NULL, *launch = NULL;
	int r, status = -1;

	*msg = NULL;
	if ((script = launch_check_script(env, p)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = script_run(s, script, &out, &status, 60, msg)) != CN_OK)
		goto out;
	if (out.data == NULL || status != 0 ||
	    (launch = kv_get(out.data, out.len, "launch")) == NULL) {
		r = CN_ERR_REMOTE;
		cn_msg(msg, "cannot check the job of %s (exit %d)", p->repo,
		    status);
		goto out;
	}
	*res = strcmp(launch, "running") == 0 ? LAUNCH_RUNNING :
	    strcmp(launch, "done") == 0 ? LAUNCH_DONE : LAUNCH_STARTED;
	r = CN_OK;
 out:
	free(launch);
	free(script);
	buf_release(&out);
	return r;
}

struct launch_pull
launch_pull_of(const struct pull_spec *ps)
{
	return (struct launch_pull){ ps->repo, ps->revision, ps->source,
	    ps->repo_type, (const char *const *)ps->include, ps->ninclude,
	    (const char *const *)ps->exclude, ps->nexclude };
}

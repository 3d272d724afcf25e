/*
 * jobs: list, stop, replay and follow a box's agent jobs (see jobs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connect.h"
#include "error.h"
#include "follow.h"
#include "inventory.h"
#include "jobs.h"
#include "payload.h"
#include "script.h"
#include "session.h"

#define LIST_TIMEOUT_S		60
#define TAIL_BYTES		65536	/* of events.jsonl, for the ages */

/*
 * Output, one record a line:
 *   key=value            home, data_dir, df_path, df ("TOTAL AVAIL" KiB),
 *                        agent (present|absent), jobs=done at the end
 *   I <id>               a job directory; the lines below are about it
 *   E <event_age> <progress_age> <rate> <size>
 *   Q <job.json on one line>
 *   S <agent status --json line>   (its "dir" names the job)
 *   V <{"source": bytes, ...}>     per-source bytes, when events carry them
 * The awk reads the tail of events.jsonl: the last progress event's rate,
 * and since when bytes_done has not changed (a plan, file_done, source or
 * done event counts as movement; stall and retry events do not).
 */

/*
 * Per-source bytes over the whole events.jsonl (the agent's "sources"
 * maps, issue 11): the done events' summed when a done came last (every
 * byte each source carried, in every run), else the file_done events'
 * summed (the files finished so far, of a running job).  Names are kept
 * to [A-Za-z0-9_.-]; no V line when no event has a map.
 */
#define SOURCES_AWK \
    "function take(line, a,   s, n, i, kv, k, v) {\n" \
    "  if (!match(line, /\"sources\": *[{][^}]*[}]/)) return 0\n" \
    "  s = substr(line, RSTART, RLENGTH)\n" \
    "  sub(/^\"sources\": *[{]/, \"\", s); sub(/[}]$/, \"\", s)\n" \
    "  n = split(s, kv, \",\")\n" \
    "  for (i = 1; i <= n; i++)\n" \
    "    if (kv[i] ~ /^ *\"[A-Za-z0-9_.-]+\": *[0-9]+(\\.[0-9]*)? *$/) {\n" \
    "      k = kv[i]; sub(/^ *\"/, \"\", k); sub(/\".*$/, \"\", k)\n" \
    "      v = kv[i]; sub(/^[^:]*: */, \"\", v); a[k] += v + 0\n" \
    "    }\n" \
    "  return 1\n" \
    "}\n" \
    "/\"event\": *\"file_done\"/ { if (take($0, F)) last = \"f\" }\n" \
    "/\"event\": *\"done\"/ { if (take($0, D)) last = \"d\" }\n" \
    "END { if (last == \"\") exit\n" \
    "  o = \"\"\n" \
    "  if (last == \"d\") { for (k in D) o = o (o == \"\" ? \"\" : \",\") " \
    "\"\\\"\" k \"\\\":\" sprintf(\"%.0f\", D[k]) }\n" \
    "  else { for (k in F) o = o (o == \"\" ? \"\" : \",\") " \
    "\"\\\"\" k \"\\\":\" sprintf(\"%.0f\", F[k]) }\n" \
    "  print \"V {\" o \"}\" }"
#define LIST_BODY \
    "echo \"home=$HOME\"\n" \
    "echo \"data_dir=$d\"\n" \
    "p=$d\n" \
    "while [ ! -d \"$p\" ]; do p=$(dirname -- \"$p\"); done\n" \
    "echo \"df_path=$p\"\n" \
    "df -Pk -- \"$p\" 2>/dev/null | awk 'NR==2{print \"df=\" $2 \" \" $4}'\n" \
    "if [ ! -x \"$A\" ]; then echo agent=absent; echo jobs=done; exit 0; fi\n" \
    "echo agent=present\n" \
    "now=$(date +%s)\n" \
    "set --\n" \
    "for j in " SCRIPT_JOBS_DIR "/*/; do\n" \
    "\t[ -d \"$j\" ] || continue\n" \
    "\tset -- \"$@\" \"${j%/}\"\n" \
    "done\n" \
    "for j in \"$@\"; do\n" \
    "\techo \"I ${j##*/}\"\n" \
    "\te=\"$j/events.jsonl\"\n" \
    "\tif [ -f \"$e\" ]; then\n" \
    "\t\tmt=$(stat -c %Y -- \"$e\" 2>/dev/null || echo \"$now\")\n" \
    "\t\tsz=$(($(wc -c < \"$e\")))\n" \
    "\t\ttail -c \"$T\" -- \"$e\" | awk -v now=\"$now\" -v mt=\"$mt\" " \
    "-v sz=\"$sz\" '\n" \
    "{ if (!match($0, /\"ts\":[0-9.]+/)) next\n" \
    "  ts = substr($0, RSTART + 5, RLENGTH - 5) + 0\n" \
    "  if ($0 ~ /\"event\":\"progress\"/) {\n" \
    "    b = \"\"\n" \
    "    if (match($0, /\"bytes_done\":[0-9]+/))\n" \
    "      b = substr($0, RSTART + 13, RLENGTH - 13)\n" \
    "    if (match($0, /\"rate_bps\":[0-9.]+/))\n" \
    "      rate = substr($0, RSTART + 11, RLENGTH - 11)\n" \
    "    if (b != lastb || since == \"\") { since = ts; lastb = b }\n" \
    "  } else if ($0 ~ /\"event\":\"(plan|file_done|source|done)\"/)\n" \
    "    since = ts\n" \
    "  else if (since == \"\")\n" \
    "    since = ts\n" \
    "}\n" \
    "END { printf \"E %d %d %s %d\\n\", now - mt, " \
    "since == \"\" ? -1 : now - since, rate == \"\" ? -1 : rate, sz }'\n" \
    "\t\tgrep -F '\"sources\"' -- \"$e\" | awk '" SOURCES_AWK "'\n" \
    "\tfi\n" \
    "\tif [ -f \"$j/job.json\" ]; then\n" \
    "\t\tprintf 'Q '; tr -d '\\n' < \"$j/job.json\"; echo\n" \
    "\tfi\n" \
    "done\n" \
    "if [ $# -gt 0 ]; then\n" \
    "\t\"$A\" status --json \"$@\" 2>/dev/null | sed 's/^/S /'\n" \
    "fi\n" \
    "echo jobs=done\n"

char *
jobs_script(const char *data_dir, const char *payload_id)
{
	struct script *s;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "set -u\nd=");
	script_path(s, data_dir != NULL ? data_dir : "~");
	script_code(s, "\nA=");
	script_payload_path(s, payload_id, "cnorch-agent");
	script_code(s, "\n");
	script_let_int(s, "T", TAIL_BYTES);
	script_code(s, LIST_BODY);
	return script_finish(s);
}

void
jobs_release(struct host_jobs *hj)
{
	size_t i;

	if (hj == NULL)
		return;
	for (i = 0; i < hj->njobs; i++) {
		free(hj->jobs[i].id);
		free(hj->jobs[i].error);
		json_decref(hj->jobs[i].spec);
		json_decref(hj->jobs[i].sources);
	}
	free(hj->jobs);
	free(hj->home);
	free(hj->data_dir);
	free(hj->df_path);
	memset(hj, 0, sizeof(*hj));
	hj->disk_total_kb = hj->disk_avail_kb = -1;
}

static int64_t
jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return -1;
}

static double
jreal(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : 0;
}

static struct job_info *
add_job(struct host_jobs *hj, const char *id)
{
	struct job_info *nj, *j;

	if ((nj = realloc(hj->jobs, (hj->njobs + 1) * sizeof(*nj))) == NULL)
		return NULL;
	hj->jobs = nj;
	j = &hj->jobs[hj->njobs];
	memset(j, 0, sizeof(*j));
	if ((j->id = strdup(id)) == NULL)
		return NULL;
	hj->njobs++;
	snprintf(j->state, sizeof(j->state), "unknown");
	j->bytes_done = j->bytes_total = -1;
	j->rate_bps = j->event_age_s = j->progress_age_s = -1;
	return j;
}

static struct job_info *
find_id(struct host_jobs *hj, const char *id)
{
	size_t i;

	for (i = 0; i < hj->njobs; i++)
		if (strcmp(hj->jobs[i].id, id) == 0)
			return &hj->jobs[i];
	return NULL;
}

/* One "S" line: the agent's status of one job directory. */
static int
take_status(struct host_jobs *hj, const char *line)
{
	struct job_info *j;
	const char *dir, *base, *st, *err;
	json_t *o;

	if ((o = json_loads(line, 0, NULL)) == NULL)
		return CN_OK;	/* not ours */
	dir = json_string_value(json_object_get(o, "dir"));
	if (dir == NULL) {
		json_decref(o);
		return CN_OK;
	}
	base = strrchr(dir, '/');
	base = base != NULL ? base + 1 : dir;
	if ((j = find_id(hj, base)) == NULL) {
		json_decref(o);
		return CN_OK;
	}
	if ((st = json_string_value(json_object_get(o, "state"))) != NULL)
		snprintf(j->state, sizeof(j->state), "%s", st);
	if (json_object_get(o, "bytes_done") != NULL)
		j->bytes_done = jint(o, "bytes_done");
	if (json_object_get(o, "bytes_total") != NULL)
		j->bytes_total = jint(o, "bytes_total");
	j->pid = (long)jint(o, "pid");
	j->started = jreal(o, "started");
	j->ended = jreal(o, "ended");
	if ((err = json_string_value(json_object_get(o, "error"))) != NULL) {
		free(j->error);
		if ((j->error = strdup(err)) == NULL) {
			json_decref(o);
			return CN_ERR_NOMEM;
		}
	}
	json_decref(o);
	return CN_OK;
}

int
jobs_parse(const char *out, size_t len, struct host_jobs *hj)
{
	const char *p = out, *end = out + len, *nl;
	struct job_info *cur = NULL;
	char *line = NULL, *v;
	long long a, b, sz;
	double rate;
	size_t n;
	bool done = false;
	int r = CN_OK;

	memset(hj, 0, sizeof(*hj));
	hj->disk_total_kb = hj->disk_avail_kb = -1;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		free(line);
		if ((line = malloc(n + 1)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		p = nl + 1;
		if (strncmp(line, "I ", 2) == 0) {
			if ((cur = add_job(hj, line + 2)) == NULL) {
				r = CN_ERR_NOMEM;
				goto out;
			}
		} else if (strncmp(line, "E ", 2) == 0 && cur != NULL) {
			if (sscanf(line + 2, "%lld %lld %lf %lld", &a, &b,
			    &rate, &sz) == 4) {
				cur->event_age_s = a < 0 ? 0 : (double)a;
				cur->progress_age_s = b < 0 && b != -1 ? 0 :
				    (double)b;
				cur->rate_bps = rate;
				cur->events_size = sz;
			}
		} else if (strncmp(line, "V ", 2) == 0 && cur != NULL) {
			json_decref(cur->sources);
			cur->sources = json_loads(line + 2, 0, NULL);
			if (!json_is_object(cur->sources)) {
				json_decref(cur->sources);
				cur->sources = NULL;
			}
		} else if (strncmp(line, "Q ", 2) == 0 && cur != NULL) {
			json_decref(cur->spec);
			cur->spec = json_loads(line + 2, 0, NULL);
		} else if (strncmp(line, "S ", 2) == 0) {
			if ((r = take_status(hj, line + 2)) != CN_OK)
				goto out;
		} else if (strcmp(line, "jobs=done") == 0) {
			done = true;
		} else if (strncmp(line, "df=", 3) == 0) {
			if (sscanf(line + 3, "%lld %lld", &a, &b) == 2) {
				hj->disk_total_kb = a;
				hj->disk_avail_kb = b;
			}
		} else if (strcmp(line, "agent=present") == 0) {
			hj->agent_present = true;
		} else if (strncmp(line, "home=", 5) == 0 ||
		    strncmp(line, "data_dir=", 9) == 0 ||
		    strncmp(line, "df_path=", 8) == 0) {
			v = strchr(line, '=') + 1;
			if ((v = strdup(v)) == NULL) {
				r = CN_ERR_NOMEM;
				goto out;
			}
			if (line[0] == 'h') {
				free(hj->home);
				hj->home = v;
			} else if (line[1] == 'a') {
				free(hj->data_dir);
				hj->data_dir = v;
			} else {
				free(hj->df_path);
				hj->df_path = v;
			}
		}
		/* Anything else: noise from the box's profile. */
	}
	if (!done)
		r = CN_ERR_PARSE;
 out:
	free(line);
	if (r != CN_OK)
		jobs_release(hj);
	return r;
}

int
jobs_list(struct session *s, const char *name, const char *data_dir,
    struct host_jobs *hj, char **msg)
{
	struct buf out = { 0 }, err = { 0 };
	char *script = NULL;
	int r, status = -1;

	*msg = NULL;
	memset(hj, 0, sizeof(*hj));
	hj->disk_total_kb = hj->disk_avail_kb = -1;
	if ((script = jobs_script(data_dir, payload_id())) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = script_exec(s, "sh -s", script, &out, &err, &status,
	    LIST_TIMEOUT_S, msg)) != CN_OK)
		goto out;
	if (out.data == NULL ||
	    (r = jobs_parse(out.data, out.len, hj)) != CN_OK) {
		r = r == CN_ERR_NOMEM ? r : CN_ERR_REMOTE;
		cn_msg(msg, "cannot list jobs (exit %d)%s%.200s",
		    status, err.len > 0 ? ": " : "",
		    err.data != NULL ? err.data : "");
		goto out;
	}
	if (!hj->agent_present) {
		jobs_release(hj);
		r = CN_ERR_NOT_FOUND;
		cn_msg(msg, "cnorch is not set up on this box; run "
		    "'cnorch provision %s'", name);
		goto out;
	}
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM && *msg == NULL &&
	    (*msg = strdup("out of memory")) == NULL)
		*msg = NULL;
	free(script);
	buf_release(&out);
	buf_release(&err);
	return r;
}

bool
job_is_live(const struct job_info *j)
{
	return strcmp(j->state, "running") == 0 ||
	    strcmp(j->state, "queued") == 0 ||
	    strcmp(j->state, "waiting") == 0;
}

bool
job_is_waiting(const struct job_info *j)
{
	/* The agent keeps such a job "running" with the note "waiting:
	 * laptop proxy gone" in state.json's error (an older one said the
	 * state "waiting"). */
	return strcmp(j->state, "waiting") == 0 || (job_is_live(j) &&
	    j->error != NULL && strncmp(j->error, JOB_WAITING_NOTE,
	    strlen(JOB_WAITING_NOTE)) == 0);
}

const char *
job_display_state(const struct job_info *j, double stall_after_s)
{
	/* A job waiting for its lent proxy says so, not "stalled". */
	if (job_is_waiting(j))
		return "waiting";
	if (job_is_live(j) && stall_after_s > 0 &&
	    (j->event_age_s > stall_after_s ||
	    j->progress_age_s > stall_after_s))
		return "stalled";
	return j->state;
}

struct job_info *
jobs_find(struct host_jobs *hj, const char *what)
{
	struct job_info *found = NULL;
	const char *repo, *rev;
	char *both;
	size_t i;
	bool hit;

	if (what == NULL)
		return NULL;
	if ((found = find_id(hj, what)) != NULL)
		return found;
	for (i = 0; i < hj->njobs; i++) {
		repo = json_string_value(json_object_get(hj->jobs[i].spec,
		    "repo"));
		rev = json_string_value(json_object_get(hj->jobs[i].spec,
		    "revision"));
		if (repo == NULL)
			continue;
		hit = strcmp(repo, what) == 0;
		if (!hit && asprintf(&both, "%s@%s", repo, rev != NULL ? rev :
		    "main") >= 0) {
			hit = strcmp(both, what) == 0;
			free(both);
		}
		if (!hit)
			continue;
		if (found != NULL)
			return NULL;	/* ambiguous */
		found = &hj->jobs[i];
	}
	return found;
}

char *
jobs_stop_script(const char *payload_id, const char *const *ids, size_t n,
    int timeout_s)
{
	struct script *s;
	size_t i;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "A=");
	script_payload_path(s, payload_id, "cnorch-agent");
	script_code(s, "\n");
	for (i = 0; i < n; i++) {
		script_code(s, "\"$A\" stop");
		if (timeout_s > 0) {
			script_code(s, " --timeout ");
			script_int(s, timeout_s);
		}
		script_code(s, " ");
		script_job_path(s, ids[i], NULL);
		script_code(s, " >/dev/null 2>&1\necho \"R ");
		script_int(s, (long long)i);
		script_code(s, " $?\"\n");
	}
	return script_finish(s);
}

int
jobs_stop(struct session *s, const char *payload_id,
    const char *const *ids, size_t n, int timeout_s, int *rc)
{
	struct buf out = { 0 };
	char *script, *line, *save = NULL;
	size_t i;
	unsigned long k;
	int r, status = -1, code;

	for (i = 0; rc != NULL && i < n; i++)
		rc[i] = -1;
	if ((script = jobs_stop_script(payload_id, ids, n, timeout_s)) ==
	    NULL)
		return CN_ERR_NOMEM;
	/* Each stop may wait timeout_s (the agent's default 10 s), then 5 s
	 * more after SIGKILL. */
	r = script_run(s, script, &out, &status,
	    ((timeout_s > 0 ? timeout_s : 10) + 5) * (int)(n > 0 ? n : 1) +
	    60, NULL);
	if (r == CN_OK && out.data != NULL && rc != NULL)
		for (line = strtok_r(out.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (sscanf(line, "R %lu %d", &k, &code) == 2 && k < n)
				rc[k] = code;
	free(script);
	buf_release(&out);
	return r;
}

/*
 * wc then head -c: the frame says exactly what follows, however the file
 * grows meanwhile.
 */
#define REPLAY_ONE \
    "if [ -f \"$e\" ]; then s=$(($(wc -c < \"$e\"))); " \
    "if [ \"$s\" -gt \"$o\" ]; then " \
    "printf 'F %d %d\\n' \"$k\" $((s - o)); " \
    "tail -c +$((o + 1)) \"$e\" | head -c $((s - o)); fi; fi\n"

char *
jobs_replay_script(const struct follow_job *jobs, size_t n)
{
	struct script *s;
	size_t i;

	if ((s = script_create()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		script_code(s, "e=");
		script_job_path(s, jobs[i].id, "events.jsonl");
		script_code(s, "\n");
		script_let_int(s, "o", (long long)jobs[i].offset);
		script_let_int(s, "k", (long long)(i + 1));
		script_code(s, REPLAY_ONE);
	}
	script_code(s, "echo E\n");
	return script_finish(s);
}

int
jobs_replay(struct session *s, struct follow_job *jobs, size_t n,
    follow_event_cb on_event, void *arg)
{
	struct follow_parser fp;
	struct buf out = { 0 };
	char *script;
	size_t i;
	int r, status = -1;

	if ((script = jobs_replay_script(jobs, n)) == NULL)
		return CN_ERR_NOMEM;
	r = session_exec(s, "sh -s", script, strlen(script), &out, NULL,
	    &status, 300);
	if (r != CN_OK)
		goto out;
	/* An unfinished last line is read again by the next follow. */
	for (i = 0; i < n; i++)
		jobs[i].len = 0;
	follow_parser_init(&fp, jobs, n, on_event, arg);
	if (out.data != NULL &&
	    (r = follow_parser_feed(&fp, out.data, out.len)) != CN_OK)
		goto out;
	for (i = 0; i < n; i++)
		jobs[i].len = 0;
	r = fp.ended ? CN_OK : CN_ERR_REMOTE;
 out:
	free(script);
	buf_release(&out);
	return r;
}

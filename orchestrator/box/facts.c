/*
 * facts: learn a box's facts in one remote command (see facts.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "facts.h"
#include "script.h"
#include "session.h"

/*
 * The box may greet with noise on stdout (a chatty .bashrc is not read by
 * `sh -s`, but /etc/profile.d may be); only key=value lines we know count,
 * and "probe=done" proves the script ran to its end.
 */
#define FACTS_BODY \
    "echo \"arch=$(uname -m)\"\n" \
    "echo \"home=$HOME\"\n" \
    "echo \"data_dir=$d\"\n" \
    "if [ -d \"$d\" ]; then echo data_dir_exists=1; " \
    "else echo data_dir_exists=0; fi\n" \
    /* The data disk may not exist yet: measure its nearest parent. */ \
    "p=$d\n" \
    "while [ ! -d \"$p\" ]; do p=$(dirname -- \"$p\"); done\n" \
    "echo \"df_path=$p\"\n" \
    "a=$(df -Pk -- \"$p\" 2>/dev/null | awk 'NR==2{print $4}')\n" \
    "echo \"avail_kb=${a:-}\"\n" \
    "if command -v sha256sum >/dev/null 2>&1; then " \
    "echo have_sha256sum=1; fi\n" \
    "if [ -d \"$pd\" ]; then\n" \
    "\tif (cd \"$pd\" && sha256sum -c --quiet SHA256SUMS) " \
    ">/dev/null 2>&1; then echo payload=present; " \
    "else echo payload=partial; fi\n" \
    "else echo payload=absent; fi\n" \
    "echo probe=done\n"

char *
box_facts_script(const char *data_dir, const char *payload_id)
{
	struct script *s;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "set -u\nd=");
	script_path(s, data_dir);
	script_code(s, "\npd=");
	script_payload_path(s, payload_id, NULL);
	script_code(s, "\n" FACTS_BODY);
	return script_finish(s);
}

void
box_facts_release(struct box_facts *p)
{
	if (p == NULL)
		return;
	free(p->arch);
	free(p->home);
	free(p->data_dir);
	free(p->df_path);
	memset(p, 0, sizeof(*p));
	p->avail_kb = -1;
}

static bool
kv_flag(const char *out, size_t len, const char *key)
{
	char *v = kv_get(out, len, key);
	bool r = v != NULL && strcmp(v, "1") == 0;

	free(v);
	return r;
}

int
box_facts_parse(const char *out, size_t len, struct box_facts *p)
{
	char *v = NULL, *end;
	long long kb;
	int r = CN_ERR_PARSE;

	memset(p, 0, sizeof(*p));
	p->avail_kb = -1;
	if ((v = kv_get(out, len, "probe")) == NULL || strcmp(v, "done") != 0)
		goto out;
	free(v);
	v = NULL;
	p->arch = kv_get(out, len, "arch");
	p->home = kv_get(out, len, "home");
	p->data_dir = kv_get(out, len, "data_dir");
	p->df_path = kv_get(out, len, "df_path");
	if (p->arch == NULL || p->home == NULL || p->data_dir == NULL ||
	    p->df_path == NULL || p->home[0] == '\0')
		goto out;
	p->data_dir_exists = kv_flag(out, len, "data_dir_exists");
	p->have_sha256sum = kv_flag(out, len, "have_sha256sum");
	if ((v = kv_get(out, len, "avail_kb")) != NULL && v[0] != '\0') {
		errno = 0;
		kb = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && kb >= 0)
			p->avail_kb = kb;
	}
	free(v);
	if ((v = kv_get(out, len, "payload")) != NULL) {
		p->payload_present = strcmp(v, "present") == 0;
		p->payload_partial = strcmp(v, "partial") == 0;
	}
	r = CN_OK;
 out:
	free(v);
	if (r != CN_OK)
		box_facts_release(p);
	return r;
}

int
box_facts_run(struct session *s, const char *data_dir,
    const char *payload_id, struct box_facts *p, char **msg)
{
	struct buf out = { 0 }, err = { 0 };
	char *script = NULL;
	int r, status = -1;

	*msg = NULL;
	memset(p, 0, sizeof(*p));
	p->avail_kb = -1;
	if ((script = box_facts_script(data_dir, payload_id)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = script_exec(s, "sh -s", script, &out, &err, &status, 60, msg))
	    != CN_OK)
		goto out;
	if (out.data == NULL ||
	    (r = box_facts_parse(out.data, out.len, p)) != CN_OK) {
		r = CN_ERR_REMOTE;
		cn_msg(msg, "cannot learn the box's facts (exit "
		    "%d)%s%.200s", status, err.len > 0 ? ": " : "",
		    err.data != NULL ? err.data : "");
		goto out;
	}
	r = CN_OK;
 out:
	free(script);
	buf_release(&out);
	buf_release(&err);
	return r;
}

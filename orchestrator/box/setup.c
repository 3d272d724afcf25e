/*
 * setup: run setup-china-mirrors.sh on the box and read its report (see
 * setup.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inventory.h"	/* PROXY_PLATFORM */
#include "script.h"
#include "session.h"
#include "setup.h"

char *
setup_script(const char *payload_id, const struct setup_opts *o)
{
	const char *proxy = o->proxy;
	struct script *s;

	if ((s = script_create()) == NULL)
		return NULL;
	script_export(s, "CNORCH_DATA_DIR", o->data_dir);
	script_export(s, "CNORCH_HF_ENDPOINT", o->hf);
	script_export(s, "CNORCH_MODELSCOPE_ENDPOINT", o->modelscope);
	script_export(s, "CNORCH_PYPI_MIRROR", o->pypi);
	script_export(s, "CNORCH_CONDA_MIRROR", o->conda);
	/* Empty, not unset: "no proxy" removes a block written earlier.  A
	 * platform's proxy ("platform") is never a shell's: its file is
	 * read at launch only (launch.c), so it counts as none here. */
	if (o->proxy != NULL && strcmp(o->proxy, PROXY_PLATFORM) == 0)
		proxy = NULL;
	script_export(s, "CNORCH_PROXY", proxy ? proxy : "");
	/* The inventory's proxy_in_shells: the agent gets the proxy in its
	 * launch environment (launch.c), so shells have it only on request. */
	script_export(s, "CNORCH_PROXY_IN_SHELLS",
	    proxy != NULL && o->proxy_in_shells ? "1" : "0");
	script_code(s, "exec bash ");
	script_payload_path(s, payload_id, "setup-china-mirrors.sh");
	script_code(s, " </dev/null 2>&1\n");
	return script_finish(s);
}

static int
count(const char *s, const char *key, int *out)
{
	const char *p = strstr(s, key);
	char *end;
	long v;

	if (p == NULL)
		return -1;
	v = strtol(p + strlen(key), &end, 10);
	if (end == p + strlen(key) || v < 0)
		return -1;
	*out = (int)v;
	return 0;
}

int
setup_parse_line(char *line, enum setup_status *st, const char **item,
    const char **msg, struct setup_result *res)
{
	char *sp, *it;
	size_t n = strlen(line);

	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	if (strncmp(line, "summary ", 8) == 0) {
		if (count(line, "ok=", &res->ok) != 0 ||
		    count(line, "changed=", &res->changed) != 0 ||
		    count(line, "failed=", &res->failed) != 0)
			return 0;
		res->summary_seen = true;
		return 2;
	}
	if ((sp = strchr(line, ' ')) == NULL)
		return 0;
	*sp = '\0';
	if (strcmp(line, "ok") == 0)
		*st = SETUP_OK;
	else if (strcmp(line, "changed") == 0)
		*st = SETUP_CHANGED;
	else if (strcmp(line, "warn") == 0)
		*st = SETUP_WARN;
	else if (strcmp(line, "error") == 0)
		*st = SETUP_ERROR;
	else {
		*sp = ' ';
		return 0;
	}
	it = sp + 1;
	while (*it == ' ')
		it++;
	if (*it == '\0') {
		*sp = ' ';
		return 0;
	}
	*item = it;
	if ((sp = strchr(it, ' ')) != NULL) {
		*sp = '\0';
		*msg = sp + 1;
	} else
		*msg = "";
	return 1;
}

int
setup_run(struct session *s, const char *payload_id,
    const struct setup_opts *o, setup_item_cb cb, void *arg,
    struct setup_result *res, char **msg)
{
	struct buf out = { 0 };
	char *script = NULL, *line, *nl, *lastline = NULL;
	const char *item, *m;
	enum setup_status st;
	struct setup_result counted = { 0 };
	int r, status = -1, k;

	*msg = NULL;
	memset(res, 0, sizeof(*res));
	if ((script = setup_script(payload_id, o)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = script_exec(s, "sh -s", script, &out, NULL, &status, 600,
	    msg)) != CN_OK)
		goto out;
	for (line = out.data; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (*line != '\0')
			lastline = line;
		k = setup_parse_line(line, &st, &item, &m, res);
		if (k != 1)
			continue;
		switch (st) {
		case SETUP_OK:
			counted.ok++;
			break;
		case SETUP_CHANGED:
			counted.changed++;
			break;
		case SETUP_WARN:
			counted.warned++;
			break;
		case SETUP_ERROR:
			counted.failed++;
			break;
		}
		if (cb != NULL)
			cb(arg, st, item, m);
	}
	if (!res->summary_seen) {
		r = CN_ERR_REMOTE;
		cn_msg(msg, "setup-china-mirrors.sh ended without "
		    "its summary (exit %d)%s%.200s", status,
		    lastline ? ": " : "", lastline ? lastline : "");
		goto out;
	}
	/* Our own count of the lines is what we show; keep the larger
	 * failure count so an error the script only summed is not lost. */
	if (counted.failed > res->failed)
		res->failed = counted.failed;
	res->ok = counted.ok;
	res->changed = counted.changed;
	res->warned = counted.warned;
	if (status != 0 && res->failed == 0)
		res->failed = 1;
	r = CN_OK;
 out:
	free(script);
	buf_release(&out);
	return r;
}

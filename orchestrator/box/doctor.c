/*
 * doctor: run the embedded box-side checks and size the pulls (see
 * doctor.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "doctor.h"
#include "error.h"
#include "inventory.h"
#include "launch.h"
#include "payload.h"
#include "script.h"
#include "session.h"

char *
doctor_script(const struct doctor_inputs *in)
{
	struct script *s;
	char num[32];

	if ((s = script_create()) == NULL)
		return NULL;
	/* The preamble only sets inputs: the script's environment must stay
	 * the one sshd gave this shell, which is what it checks. */
	script_export(s, "CNORCH_DATA_DIR", in->data_dir);
	script_export(s, "CNORCH_HF_ENDPOINT", in->hf_endpoint);
	script_export(s, "CNORCH_MIRROR_HOSTS", in->mirror_hosts);
	if (in->pull_bytes >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)in->pull_bytes);
		script_export(s, "CNORCH_PULL_BYTES", num);
	} else
		script_export(s, "CNORCH_PULL_BYTES", NULL);
	snprintf(num, sizeof(num), "%d", in->check_timeout_s > 0 ?
	    in->check_timeout_s : 5);
	script_export(s, "CNORCH_CHECK_TIMEOUT", num);
	script_code_embedded(s, doctor_checks_sh, doctor_checks_sh_len);
	return script_finish(s);
}

const char *
finding_level_name(enum finding_level l)
{
	switch (l) {
	case FINDING_OK:
		return "ok";
	case FINDING_WARN:
		return "warn";
	default:
		return "fail";
	}
}

void
doctor_release(struct doctor_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->n; i++) {
		free(res->v[i].id);
		free(res->v[i].message);
		free(res->v[i].fix);
	}
	free(res->v);
	memset(res, 0, sizeof(*res));
}

/* "WORD REST" -> word in *w (NUL-terminated in place), rest returned. */
static char *
split_word(char *s, char **w)
{
	char *sp;

	*w = s;
	if ((sp = strchr(s, ' ')) == NULL)
		return s + strlen(s);
	*sp++ = '\0';
	return sp;
}

static int
parse_line(char *line, struct doctor_result *res)
{
	struct finding *v, f = { 0 };
	char *id, *lvl, *rest;
	size_t i;

	if (strncmp(line, "fix ", 4) == 0) {
		rest = split_word(line + 4, &id);
		/* It belongs to the last finding of that id. */
		for (i = res->n; i > 0; i--) {
			if (strcmp(res->v[i - 1].id, id) != 0)
				continue;
			if (res->v[i - 1].fix != NULL)
				break;
			if ((res->v[i - 1].fix = strdup(rest)) == NULL)
				return CN_ERR_NOMEM;
			break;
		}
		return CN_OK;
	}
	if (strncmp(line, "check ", 6) != 0)
		return CN_OK;
	rest = split_word(line + 6, &id);
	rest = split_word(rest, &lvl);
	if (*id == '\0')
		return CN_OK;
	if (strcmp(lvl, "ok") == 0)
		f.level = FINDING_OK;
	else if (strcmp(lvl, "warn") == 0)
		f.level = FINDING_WARN;
	else if (strcmp(lvl, "fail") == 0)
		f.level = FINDING_FAIL;
	else
		return CN_OK;
	if ((f.id = strdup(id)) == NULL ||
	    (f.message = strdup(rest)) == NULL ||
	    (v = realloc(res->v, (res->n + 1) * sizeof(*v))) == NULL) {
		free(f.id);
		free(f.message);
		return CN_ERR_NOMEM;
	}
	res->v = v;
	res->v[res->n++] = f;
	return CN_OK;
}

int
doctor_parse(const char *out, struct doctor_result *res)
{
	char *copy, *line, *nl;
	size_t n;
	int r = CN_OK;

	memset(res, 0, sizeof(*res));
	if (out == NULL)
		return CN_OK;
	if ((copy = strdup(out)) == NULL)
		return CN_ERR_NOMEM;
	for (line = copy; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (strcmp(line, "end") == 0) {
			res->complete = true;
			continue;
		}
		if ((r = parse_line(line, res)) != CN_OK)
			break;
	}
	free(copy);
	if (r != CN_OK)
		doctor_release(res);
	return r;
}

int
doctor_run(struct session *s, const struct doctor_inputs *in,
    int timeout_s, struct doctor_result *res, char **msg)
{
	struct buf out = { 0 };
	char *script = NULL;
	int r, status = -1;

	*msg = NULL;
	memset(res, 0, sizeof(*res));
	if ((script = doctor_script(in)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	/* bash, not sh: the checks use bash arrays. */
	if ((r = script_exec(s, "bash -s", script, &out, NULL, &status,
	    timeout_s, msg)) != CN_OK)
		goto out;
	if ((r = doctor_parse(out.data, res)) != CN_OK)
		goto out;
	if (!res->complete && asprintf(msg, "the checks ended early "
	    "(exit %d)", status) < 0)
		*msg = NULL;
	r = CN_OK;
 out:
	free(script);
	buf_release(&out);
	return r;
}

/* ---------------------------------------------------------- pull sizes */

char *
doctor_pulls_script(const struct host *h, const char *data_dir,
    int timeout_s)
{
	const struct pull_spec *p;
	struct launch_pull lp;
	struct launch_env le = { 0 };
	struct script *s;
	char *folder;
	size_t i, k;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "A=");
	script_payload_path(s, payload_id(), "cnorch-agent");
	script_code(s, "\n"
	    /* The user's settings, then what a pull's agent gets (launch.c):
	     * the inventory's proxy is not in env.sh without proxy_in_shells. */
	    "[ -f " SCRIPT_CNORCH_DIR "/env.sh ] && . " SCRIPT_CNORCH_DIR
	    "/env.sh\n"
	    "T=$(mktemp -d 2>/dev/null) || { echo '=fail mktemp'; exit 1; }\n"
	    "trap 'rm -rf \"$T\"' EXIT\n");
	le.data_dir = data_dir;
	le.hf_endpoint = h->mirrors.hf;
	le.modelscope_endpoint = h->mirrors.modelscope;
	le.proxy = h->proxy;
	le.upstream_endpoint = h->mirrors.huggingface;
	if (launch_exports(s, &le) != CN_OK) {
		script_destroy(s);
		return NULL;
	}
	script_let(s, "D", data_dir);
	script_let_int(s, "W", timeout_s);
	for (i = 0; i < h->npulls; i++) {
		p = &h->pulls[i];
		script_let_int(s, "i", (long long)i);
		script_code(s, "( timeout \"$W\" \"$A\" plan");
		script_opt(s, "--repo", p->repo);
		script_opt(s, "--revision", p->revision);
		/* A pull's default is the ladder (auto), the plan's the
		 * mirror alone: ask what the pull would do. */
		script_opt(s, "--source", p->source != NULL ? p->source :
		    "auto");
		if (p->repo_type != NULL && strcmp(p->repo_type, "dataset") ==
		    0)
			script_code(s, " --dataset");
		script_opt(s, "--endpoint", h->mirrors.hf);
		script_opt(s, "--ms-endpoint", h->mirrors.modelscope);
		for (k = 0; k < p->ninclude; k++)
			script_opt(s, "--include", p->include[k]);
		for (k = 0; k < p->nexclude; k++)
			script_opt(s, "--exclude", p->exclude[k]);
		script_code(s, " --json </dev/null >\"$T/$i\" "
		    "2>\"$T/$i.err\"; echo $? >\"$T/$i.rc\" ) &\n");
	}
	script_code(s, "wait\n");
	for (i = 0; i < h->npulls; i++) {
		p = &h->pulls[i];
		lp = (struct launch_pull){ .repo = p->repo,
		    .repo_type = p->repo_type };
		script_let_int(s, "i", (long long)i);
		if ((folder = repo_folder(&lp)) == NULL) {
			script_destroy(s);
			return NULL;
		}
		script_let(s, "F", folder);
		free(folder);
		script_code(s, "echo \"=plan $i $(cat \"$T/$i.rc\" "
		    "2>/dev/null)\"\ncat \"$T/$i\" 2>/dev/null; echo\n"
		    "echo \"=du $i $(timeout \"$W\" du -sk -- \"$D/hf/hub/$F\" "
		    "</dev/null 2>/dev/null | cut -f1)\"\n"
		    "echo \"=err $i $(tail -n 1 \"$T/$i.err\" 2>/dev/null | "
		    "cut -c1-1000)\"\n");
	}
	script_code(s, "echo =end\n");
	return script_finish(s);
}

int
doctor_pull_bytes(struct session *s, const struct host *h,
    const char *data_dir, int timeout_s, int64_t *bytes, char **unknown,
    char **upstream_only, char **msg)
{
	struct buf out = { 0 }, plan = { 0 };
	json_t *o, *t;
	char *script = NULL, *line, *nl, *end;
	const char *err;
	int64_t total = 0, size = -1, have;
	size_t idx = 0;
	long rc = -1;
	char *more;
	bool all_known = true, ended = false, in_plan = false;
	int r, status = -1;

	*bytes = -1;
	*unknown = NULL;
	*upstream_only = NULL;
	*msg = NULL;
	if (h->npulls == 0) {
		*bytes = 0;
		return CN_OK;
	}
	if ((script = doctor_pulls_script(h, data_dir, timeout_s)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = script_exec(s, "sh -s", script, &out, NULL, &status,
	    2 * timeout_s + 15, msg)) != CN_OK)
		goto out;
	for (line = out.data; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (strncmp(line, "=plan ", 6) == 0) {
			idx = strtoul(line + 6, &end, 10);
			rc = strtol(end, NULL, 10);
			size = -1;
			in_plan = true;
			buf_release(&plan);
		} else if (strncmp(line, "=du ", 4) == 0) {
			/* The plan (indented JSON) ended above. */
			if (in_plan && plan.data != NULL &&
			    (o = json_loads(plan.data, 0, NULL)) != NULL) {
				t = json_object_get(o, "bytes_total");
				if (json_is_integer(t))
					size = json_integer_value(t);
				json_decref(o);
			}
			in_plan = false;
			(void)strtoul(line + 4, &end, 10);
			have = strtoll(end, NULL, 10) * 1024;
			/* du counts blocks: never below zero. */
			if (size >= 0)
				total += size > have ? size - have : 0;
		} else if (strncmp(line, "=err ", 5) == 0) {
			(void)strtoul(line + 5, &end, 10);
			err = *end == ' ' ? end + 1 : end;
			/* Exit 3 naming the proxy flag: only upstream. */
			if (size < 0 && idx < h->npulls && rc == 3 &&
			    (strstr(err, "via-laptop-proxy") != NULL ||
			    strstr(err, "neither the mirror") != NULL)) {
				if (asprintf(&more, "%s%s%s", *upstream_only ?
				    *upstream_only : "", *upstream_only ?
				    ", " : "", h->pulls[idx].repo) < 0) {
					r = CN_ERR_NOMEM;
					goto out;
				}
				free(*upstream_only);
				*upstream_only = more;
			} else if (size < 0 && idx < h->npulls) {
				all_known = false;
				if (*unknown == NULL && asprintf(unknown,
				    "%s%s%s", h->pulls[idx].repo,
				    *err != '\0' ? ": " : "", err) < 0)
					*unknown = NULL;
			}
		} else if (strcmp(line, "=end") == 0)
			ended = true;
		else if (in_plan && (buf_append(&plan, line, strlen(line)) !=
		    CN_OK || buf_append(&plan, "\n", 1) != CN_OK)) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	if (!ended) {
		r = CN_ERR_REMOTE;
		cn_msg(msg, "sizing the pulls failed (exit %d)",
		    status);
		goto out;
	}
	*bytes = all_known ? total : -1;
	r = CN_OK;
 out:
	free(script);
	buf_release(&out);
	buf_release(&plan);
	return r;
}

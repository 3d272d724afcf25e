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
#include "session.h"
#include "shquote.h"

static int
put_export(FILE *fp, const char *key, const char *val)
{
	char *q;

	if (val == NULL)
		return fprintf(fp, "unset %s\n", key) < 0 ? -1 : 0;
	if ((q = sh_quote(val)) == NULL)
		return -1;
	fprintf(fp, "%s=%s\nexport %s\n", key, q, key);
	free(q);
	return 0;
}

char *
doctor_script(const struct doctor_inputs *in)
{
	char *s = NULL, num[32];
	size_t n = 0;
	FILE *fp;
	int bad = 0;

	if ((fp = open_memstream(&s, &n)) == NULL)
		return NULL;
	/* The preamble only sets inputs: the script's environment must stay
	 * the one sshd gave this shell, which is what it checks. */
	bad |= put_export(fp, "CNORCH_DATA_DIR", in->data_dir);
	bad |= put_export(fp, "CNORCH_HF_ENDPOINT", in->hf_endpoint);
	bad |= put_export(fp, "CNORCH_MIRROR_HOSTS", in->mirror_hosts);
	if (in->pull_bytes >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)in->pull_bytes);
		bad |= put_export(fp, "CNORCH_PULL_BYTES", num);
	} else
		bad |= put_export(fp, "CNORCH_PULL_BYTES", NULL);
	snprintf(num, sizeof(num), "%d", in->check_timeout_s > 0 ?
	    in->check_timeout_s : 5);
	bad |= put_export(fp, "CNORCH_CHECK_TIMEOUT", num);
	fwrite(doctor_checks_sh, 1, doctor_checks_sh_len, fp);
	if (fclose(fp) != 0 || bad) {
		free(s);
		return NULL;
	}
	return s;
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
doctor_run(struct session *s, const char *name,
    const struct doctor_inputs *in, int timeout_s,
    struct doctor_result *res, char **msg)
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
	if ((r = session_exec(s, "bash -s", script, strlen(script), &out,
	    NULL, &status, timeout_s)) != CN_OK) {
		if (asprintf(msg, "%s", session_errmsg(s)) < 0)
			*msg = NULL;
		goto out;
	}
	if ((r = doctor_parse(out.data, res)) != CN_OK)
		goto out;
	if (!res->complete && asprintf(msg, "%s: the checks ended early "
	    "(exit %d)", name, status) < 0)
		*msg = NULL;
	r = CN_OK;
 out:
	free(script);
	buf_release(&out);
	return r;
}

/* ---------------------------------------------------------- pull sizes */

static int
add_opt(FILE *fp, const char *opt, const char *val)
{
	char *q;

	if (val == NULL)
		return 0;
	if ((q = sh_quote(val)) == NULL)
		return -1;
	fprintf(fp, " %s %s", opt, q);
	free(q);
	return 0;
}

static char *
pulls_script(const struct host *h, const char *data_dir, int timeout_s)
{
	const struct pull_spec *p;
	struct launch_pull lp;
	char *s = NULL, *folder, *q;
	size_t n = 0, i, k;
	FILE *fp;
	int bad = 0;

	if ((fp = open_memstream(&s, &n)) == NULL)
		return NULL;
	fprintf(fp, "A=\"$HOME/.cnorch/payload/%s/cnorch-agent\"\n"
	    /* The proxy settings every shell has (see launch.c). */
	    "[ -f \"$HOME/.cnorch/env.sh\" ] && . \"$HOME/.cnorch/env.sh\"\n"
	    "T=$(mktemp -d 2>/dev/null) || { echo '=fail mktemp'; exit 1; }\n"
	    "trap 'rm -rf \"$T\"' EXIT\n", payload_id());
	if ((q = sh_quote(data_dir)) == NULL)
		bad = 1;
	fprintf(fp, "D=%s\n", q != NULL ? q : "''");
	free(q);
	for (i = 0; i < h->npulls; i++) {
		p = &h->pulls[i];
		fprintf(fp, "( timeout %d \"$A\" plan", timeout_s);
		bad |= add_opt(fp, "--repo", p->repo);
		bad |= add_opt(fp, "--revision", p->revision);
		bad |= add_opt(fp, "--source", p->source);
		if (p->repo_type != NULL && strcmp(p->repo_type, "dataset") ==
		    0)
			fprintf(fp, " --dataset");
		bad |= add_opt(fp, "--endpoint", h->mirrors.hf);
		bad |= add_opt(fp, "--ms-endpoint", h->mirrors.modelscope);
		for (k = 0; k < p->ninclude; k++)
			bad |= add_opt(fp, "--include", p->include[k]);
		for (k = 0; k < p->nexclude; k++)
			bad |= add_opt(fp, "--exclude", p->exclude[k]);
		fprintf(fp, " --json </dev/null >\"$T/%zu\" 2>\"$T/%zu.err\";"
		    " echo $? >\"$T/%zu.rc\" ) &\n", i, i, i);
	}
	fprintf(fp, "wait\n");
	for (i = 0; i < h->npulls; i++) {
		p = &h->pulls[i];
		lp = (struct launch_pull){ .repo = p->repo,
		    .repo_type = p->repo_type };
		if ((folder = repo_folder(&lp)) == NULL ||
		    (q = sh_quote(folder)) == NULL) {
			free(folder);
			bad = 1;
			break;
		}
		fprintf(fp, "echo \"=plan %zu $(cat \"$T/%zu.rc\" "
		    "2>/dev/null)\"\ncat \"$T/%zu\" 2>/dev/null; echo\n"
		    "echo \"=du %zu $(timeout %d du -sk -- \"$D/hf/hub/\"%s "
		    "</dev/null 2>/dev/null | cut -f1)\"\n"
		    "echo \"=err %zu $(tail -n 1 \"$T/%zu.err\" 2>/dev/null | "
		    "cut -c1-200)\"\n", i, i, i, i, timeout_s, q, i, i);
		free(folder);
		free(q);
	}
	fprintf(fp, "echo =end\n");
	if (fclose(fp) != 0 || bad) {
		free(s);
		return NULL;
	}
	return s;
}

int
doctor_pull_bytes(struct session *s, const struct host *h,
    const char *data_dir, int timeout_s, int64_t *bytes, char **unknown,
    char **msg)
{
	struct buf out = { 0 }, plan = { 0 };
	json_t *o, *t;
	char *script = NULL, *line, *nl, *end;
	const char *err;
	int64_t total = 0, size = -1, have;
	size_t idx = 0;
	bool all_known = true, ended = false, in_plan = false;
	int r, status = -1;

	*bytes = -1;
	*unknown = NULL;
	*msg = NULL;
	if (h->npulls == 0) {
		*bytes = 0;
		return CN_OK;
	}
	if ((script = pulls_script(h, data_dir, timeout_s)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = session_exec(s, "sh -s", script, strlen(script), &out, NULL,
	    &status, 2 * timeout_s + 15)) != CN_OK) {
		if (asprintf(msg, "%s", session_errmsg(s)) < 0)
			*msg = NULL;
		goto out;
	}
	for (line = out.data; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (strncmp(line, "=plan ", 6) == 0) {
			idx = strtoul(line + 6, &end, 10);
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
			if (size < 0 && idx < h->npulls) {
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
		if (asprintf(msg, "%s: sizing the pulls failed (exit %d)",
		    h->name, status) < 0)
			*msg = NULL;
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

/*
 * cnorch payload --out DIR [--json]
 *
 * Writes the exact payload cnorch uploads to a box (cnorch-agent,
 * setup-china-mirrors.sh, SHA256SUMS, with the modes they get on the box)
 * into DIR/<payload-id>/, the same name it has under ~/.cnorch/payload/ on
 * a box, so payloads of several cnorch versions can sit side by side and
 * `sha256sum -c SHA256SUMS` checks the copy.  Other tools (the Ansible
 * role in contrib/ansible/) upload it from there.
 *
 * The files go into a temporary DIR/.tmp-<id>-<pid> that is renamed into
 * place, so DIR/<id> is whole or absent; one that is there with the same
 * bytes is left alone, one that differs is replaced.  Prints the
 * directory's path (or with --json {"id", "dir", "written", "files"}).
 * Exit 0, or 1 when it cannot be written.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "error.h"
#include "fsutil.h"
#include "payload.h"

/* What exec returns when the payload cannot be written: exit 1, as for a
 * failed step (CN_ERR_SYSTEM would say "unreachable", exit 3). */
#define WRITE_FAILED	CN_ERR_INVALID

struct payload_opts {
	const char	*out;
};

/* dir holds exactly the payload's bytes and modes. */
static bool
same_payload(const char *dir)
{
	const struct payload_file *f;
	struct stat st;
	char *p = NULL, *buf = NULL;
	size_t i, n;
	FILE *fp;
	bool same = false;

	f = payload_files(&n);
	for (i = 0; i < n; i++) {
		free(p);
		free(buf);
		buf = NULL;
		if (asprintf(&p, "%s/%s", dir, f[i].name) < 0) {
			p = NULL;
			goto out;
		}
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (size_t)st.st_size != f[i].size ||
		    (st.st_mode & 07777) != (mode_t)f[i].mode)
			goto out;
		if ((buf = malloc(f[i].size + 1)) == NULL ||
		    (fp = fopen(p, "rb")) == NULL)
			goto out;
		if (fread(buf, 1, f[i].size, fp) != f[i].size) {
			fclose(fp);
			goto out;
		}
		fclose(fp);
		if (memcmp(buf, f[i].data, f[i].size) != 0)
			goto out;
	}
	same = true;
 out:
	free(p);
	free(buf);
	return same;
}

static int
write_file(const char *path, const struct payload_file *f)
{
	FILE *fp;
	int r = CN_ERR_SYSTEM;

	if ((fp = fopen(path, "wbx")) == NULL)
		return CN_ERR_SYSTEM;
	if (fwrite(f->data, 1, f->size, fp) == f->size && fflush(fp) == 0 &&
	    fchmod(fileno(fp), (mode_t)f->mode) == 0)
		r = CN_OK;
	if (fclose(fp) != 0)
		r = CN_ERR_SYSTEM;
	return r;
}

/* Remove tmp and the payload's files in it (nothing else is there). */
static void
remove_dir(const char *dir)
{
	const struct payload_file *f;
	char *p;
	size_t i, n;

	f = payload_files(&n);
	for (i = 0; i < n; i++)
		if (asprintf(&p, "%s/%s", dir, f[i].name) >= 0) {
			unlink(p);
			free(p);
		}
	rmdir(dir);
}

/* Write the payload into out/<id>; *written says whether files were. */
static int
write_payload(const char *out, char **dir, bool *written, char **msg)
{
	const struct payload_file *f;
	char *tmp = NULL, *p = NULL;
	size_t i, n;
	int r;

	*dir = NULL;
	*written = false;
	if (asprintf(dir, "%s/%s", out, payload_id()) < 0 ||
	    asprintf(&tmp, "%s/.tmp-%s-%ld", out, payload_id(),
	    (long)getpid()) < 0) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (fs_mkdirs(out) != CN_OK) {
		r = CN_ERR_SYSTEM;
		if (asprintf(msg, "cannot create directory '%s': %s", out,
		    strerror(errno)) < 0)
			*msg = NULL;
		goto out;
	}
	if (same_payload(*dir)) {
		r = CN_OK;
		goto out;
	}
	remove_dir(tmp);	/* a killed run with our pid */
	if (mkdir(tmp, 0700) != 0) {
		r = CN_ERR_SYSTEM;
		if (asprintf(msg, "cannot create directory '%s': %s", tmp,
		    strerror(errno)) < 0)
			*msg = NULL;
		goto out;
	}
	f = payload_files(&n);
	for (i = 0; i < n; i++) {
		free(p);
		if (asprintf(&p, "%s/%s", tmp, f[i].name) < 0) {
			p = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
		if ((r = write_file(p, &f[i])) != CN_OK) {
			if (asprintf(msg, "cannot write '%s': %s", p,
			    strerror(errno)) < 0)
				*msg = NULL;
			goto out;
		}
	}
	/* The box's mode, so the copy can be uploaded as it is. */
	if (chmod(tmp, 0700) != 0) {
		r = CN_ERR_SYSTEM;
		goto out;
	}
	/* A copy that differs (an older build, a hand edit) goes. */
	remove_dir(*dir);
	if (rename(tmp, *dir) != 0) {
		r = CN_ERR_SYSTEM;
		if (asprintf(msg, "cannot rename '%s' to '%s': %s", tmp, *dir,
		    strerror(errno)) < 0)
			*msg = NULL;
		goto out;
	}
	fs_sync_parent(*dir);
	*written = true;
	r = CN_OK;
 out:
	if (r != CN_OK) {
		if (tmp != NULL)
			remove_dir(tmp);
		free(*dir);
		*dir = NULL;
		if (*msg == NULL)
			*msg = strdup(r == CN_ERR_NOMEM ? "out of memory" :
			    strerror(errno));
	}
	free(p);
	free(tmp);
	return r;
}

static int
payload_exec(struct cmd_run *run)
{
	struct payload_opts *opts = run->opts;
	const struct payload_file *f;
	json_t *o = NULL, *files;
	char *dir = NULL, *msg = NULL, *s = NULL;
	size_t i, n;
	bool written;
	int r;

	if ((r = write_payload(opts->out, &dir, &written, &msg)) != CN_OK) {
		fprintf(stderr, "error: %s\n", msg != NULL ? msg :
		    cn_strerror(r));
		r = WRITE_FAILED;
		goto out;
	}
	if (!run->json) {
		printf("%s\n", dir);
		r = CN_OK;
		goto out;
	}
	f = payload_files(&n);
	if ((o = json_pack("{s:s, s:s, s:b, s:[]}", "id", payload_id(),
	    "dir", dir, "written", written, "files")) == NULL)
		goto nomem;
	files = json_object_get(o, "files");
	for (i = 0; i < n; i++) {
		char mode[8];

		snprintf(mode, sizeof(mode), "%04o", (unsigned)f[i].mode);
		if (json_array_append_new(files, json_pack("{s:s, s:s, s:I}",
		    "name", f[i].name, "mode", mode, "size",
		    (json_int_t)f[i].size)) != 0)
			goto nomem;
	}
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		goto nomem;
	printf("%s\n", s);
	r = CN_OK;
	goto out;
 nomem:
	fprintf(stderr, "error: out of memory\n");
	r = WRITE_FAILED;
 out:
	if (fflush(stdout) != 0 && r == CN_OK) {
		fprintf(stderr, "error: cannot write to stdout: %s\n",
		    strerror(errno));
		r = WRITE_FAILED;
	}
	json_decref(o);
	free(s);
	free(msg);
	free(dir);
	return r;
}

static int
payload_check(struct cmd_run *run, char **msg)
{
	struct payload_opts *opts = run->opts;

	if (opts->out == NULL || opts->out[0] == '\0') {
		if ((*msg = strdup("--out DIR is required")) == NULL)
			return CN_ERR_NOMEM;
		return CN_ERR_USAGE;
	}
	return CN_OK;
}

static const struct cmd_opt payload_opts_table[] = {
	{ .name = "out", .kind = CMD_OPT_STRING, .arg = "DIR",
	  .off = offsetof(struct payload_opts, out),
	  .help = "write the payload into DIR/<payload-id>/" },
	{ .name = "json", .kind = CMD_OPT_JSON,
	  .help = "print {id, dir, written, files} as JSON" },
	{ .name = NULL }
};

const struct cmd_entry cmd_payload_entry = {
	.name = "payload",
	.synopsis = "payload --out DIR [--json]",
	.summary = "Write the payload cnorch uploads to boxes into "
	    "DIR/<payload-id>/.",
	.opts = payload_opts_table,
	.opts_size = sizeof(struct payload_opts),
	.target = CMD_TARGET_NONE,
	.check = payload_check,
	.exec = payload_exec,
};

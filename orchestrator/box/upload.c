#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "error.h"
#include "payload.h"
#include "session.h"
#include "shquote.h"
#include "upload.h"

/* First line of s, at most 300 bytes, for one-line messages. */
static int
first_line(const struct buf *b)
{
	size_t i;

	if (b->data == NULL)
		return 0;
	for (i = 0; i < b->len && i < 300; i++)
		if (b->data[i] == '\n')
			break;
	return (int)i;
}

static int
run(struct session *s, const char *name, const char *what,
    const char *script, char **msg)
{
	struct buf out = { 0 }, err = { 0 };
	int r, status = -1;

	r = session_exec(s, "sh -s", script, strlen(script), &out, &err,
	    &status, 120);
	if (r != CN_OK) {
		if (asprintf(msg, "%s", session_errmsg(s)) < 0)
			*msg = NULL;
		goto out;
	}
	if (status != 0) {
		const struct buf *b = err.len > 0 ? &err : &out;

		r = CN_ERR_REMOTE;
		if (asprintf(msg, "%s: %s failed (exit %d)%s%.*s", name, what,
		    status, b->len > 0 ? ": " : "", first_line(b),
		    b->data != NULL ? b->data : "") < 0)
			*msg = NULL;
		goto out;
	}
	r = CN_OK;
 out:
	buf_release(&out);
	buf_release(&err);
	return r;
}

int
upload_payload(struct session *s, const char *name, const char *home,
    bool present, bool *changed, char **msg)
{
	const struct payload_file *f;
	const char *id = payload_id();
	unsigned char rnd[6];
	char tmp[512], *qtmp = NULL, *qdst = NULL, *script = NULL, *rp = NULL;
	size_t i, n;
	int r;

	*msg = NULL;
	*changed = false;
	if (present)
		return CN_OK;
	if (home == NULL || home[0] != '/') {
		if (asprintf(msg, "%s: $HOME on the box is not an absolute "
		    "path", name) < 0)
			*msg = NULL;
		return CN_ERR_INVALID;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		if (asprintf(msg, "%s: cannot get random bytes", name) < 0)
			*msg = NULL;
		return CN_ERR_SYSTEM;
	}
	snprintf(tmp, sizeof(tmp), "%s/.cnorch/payload/.tmp-%s-"
	    "%02x%02x%02x%02x%02x%02x", home, id, rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5]);
	if ((qtmp = sh_quote(tmp)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}

	/* Private dirs; old temporaries from killed runs go. */
	if (asprintf(&script,
	    "set -e\n"
	    "umask 077\n"
	    "mkdir -p \"$HOME/.cnorch/payload\"\n"
	    "chmod 700 \"$HOME/.cnorch\" \"$HOME/.cnorch/payload\"\n"
	    "find \"$HOME/.cnorch/payload\" -mindepth 1 -maxdepth 1 "
	    "-name '.tmp-*' -mmin +10 -exec rm -rf {} + 2>/dev/null || :\n"
	    "mkdir -m 700 %s\n", qtmp) < 0) {
		script = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = run(s, name, "preparing the payload directory", script,
	    msg)) != CN_OK)
		goto out;
	free(script);
	script = NULL;

	f = payload_files(&n);
	for (i = 0; i < n; i++) {
		free(rp);
		if (asprintf(&rp, "%s/%s", tmp, f[i].name) < 0) {
			rp = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
		if ((r = session_scp_put(s, rp, f[i].data, f[i].size,
		    f[i].mode)) != CN_OK) {
			if (asprintf(msg, "%s: cannot upload %s: %s", name,
			    f[i].name, session_errmsg(s)) < 0)
				*msg = NULL;
			goto out;
		}
	}

	/*
	 * Check on the box, then rename into place.  Another cnorch may have
	 * won the race: then its complete copy stays and ours goes.
	 */
	if (asprintf(&qdst, "\"$HOME/.cnorch/payload/%s\"", id) < 0) {
		qdst = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (asprintf(&script,
	    "t=%s\n"
	    "if ! out=$(cd \"$t\" && sha256sum -c --quiet SHA256SUMS 2>&1); "
	    "then\n"
	    "\trm -rf \"$t\"\n"
	    "\techo \"sha256 mismatch: $(echo \"$out\" | tr '\\n' ' ')\" >&2\n"
	    "\texit 1\n"
	    "fi\n"
	    "chmod 700 \"$t\"\n"
	    /* A copy that does not check (a killed rm, a hand edit) goes. */
	    "if [ -d %s ] && ! (cd %s && sha256sum -c --quiet SHA256SUMS) "
	    ">/dev/null 2>&1; then rm -rf %s; fi\n"
	    "if ! mv -T \"$t\" %s 2>/dev/null; then\n"
	    "\trm -rf \"$t\"\n"
	    "\t[ -d %s ] || { echo 'cannot rename into place' >&2; exit 1; }\n"
	    "fi\n", qtmp, qdst, qdst, qdst, qdst, qdst) < 0) {
		script = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = run(s, name, "payload check", script, msg)) != CN_OK)
		goto out;
	*changed = true;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM && *msg == NULL &&
	    asprintf(msg, "%s: out of memory", name) < 0)
		*msg = NULL;
	free(rp);
	free(script);
	free(qtmp);
	free(qdst);
	return r;
}

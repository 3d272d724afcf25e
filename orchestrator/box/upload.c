/*
 * upload: put the payload on the box when it is missing (see upload.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "error.h"
#include "payload.h"
#include "script.h"
#include "session.h"
#include "upload.h"

static int
run(struct session *s, const char *what, char *script, char **msg)
{
	struct buf out = { 0 };
	int r, status = -1;

	if (script == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = script_run(s, script, &out, &status, 120, msg)) != CN_OK)
		goto out;
	if (status != 0) {
		r = CN_ERR_REMOTE;
		cn_msg(msg, "%s failed (exit %d)%s%.*s", what,
		    status, out.len > 0 ? ": " : "",
		    first_line_len(out.data, out.len),
		    out.data != NULL ? out.data : "");
		goto out;
	}
	r = CN_OK;
 out:
	free(script);
	buf_release(&out);
	return r;
}

char *
upload_prepare_script(const char *tmp)
{
	struct script *sc;

	if ((sc = script_create()) == NULL)
		return NULL;
	script_code(sc, "set -e\n"
	    "umask 077\n"
	    "mkdir -p " SCRIPT_PAYLOAD_DIR "\n"
	    "chmod 700 " SCRIPT_CNORCH_DIR " " SCRIPT_PAYLOAD_DIR "\n"
	    "find " SCRIPT_PAYLOAD_DIR " -mindepth 1 -maxdepth 1 "
	    "-name '.tmp-*' -mmin +10 -exec rm -rf {} + 2>/dev/null || :\n"
	    "mkdir -m 700");
	script_arg(sc, tmp);
	script_code(sc, "\n");
	return script_finish(sc);
}

/*
 * Check on the box, then rename into place.  Another cnorch may have won
 * the race: then its complete copy stays and ours goes.
 */
char *
upload_commit_script(const char *tmp, const char *payload_id)
{
	struct script *sc;

	if ((sc = script_create()) == NULL)
		return NULL;
	script_let(sc, "t", tmp);
	script_code(sc, "P=");
	script_payload_path(sc, payload_id, NULL);
	script_code(sc, "\n"
	    "if ! out=$(cd \"$t\" && sha256sum -c --quiet SHA256SUMS 2>&1); "
	    "then\n"
	    "\trm -rf \"$t\"\n"
	    "\techo \"sha256 mismatch: $(echo \"$out\" | tr '\\n' ' ')\" >&2\n"
	    "\texit 1\n"
	    "fi\n"
	    "chmod 700 \"$t\"\n"
	    /* A copy that does not check (a killed rm, a hand edit) goes. */
	    "if [ -d \"$P\" ] && ! (cd \"$P\" && sha256sum -c --quiet "
	    "SHA256SUMS) >/dev/null 2>&1; then rm -rf \"$P\"; fi\n"
	    "if ! mv -T \"$t\" \"$P\" 2>/dev/null; then\n"
	    "\trm -rf \"$t\"\n"
	    "\t[ -d \"$P\" ] || { echo 'cannot rename into place' >&2; "
	    "exit 1; }\n"
	    "fi\n");
	return script_finish(sc);
}

int
upload_payload(struct session *s, const char *home,
    bool present, bool *changed, char **msg)
{
	const struct payload_file *f;
	const char *id = payload_id();
	unsigned char rnd[6];
	char tmp[512], *rp = NULL;
	size_t i, n;
	int r;

	*msg = NULL;
	*changed = false;
	if (present)
		return CN_OK;
	if (home == NULL || home[0] != '/') {
		*msg = strdup("$HOME on the box is not an absolute path");
		return CN_ERR_INVALID;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		*msg = strdup("cannot get random bytes");
		return CN_ERR_SYSTEM;
	}
	snprintf(tmp, sizeof(tmp), "%s/" CNORCH_PAYLOAD_REL "/.tmp-%s-"
	    "%02x%02x%02x%02x%02x%02x", home, id, rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5]);
	if ((r = run(s, "preparing the payload directory",
	    upload_prepare_script(tmp), msg)) != CN_OK)
		goto out;

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
			cn_msg(msg, "cannot upload %s: %s", f[i].name,
			    session_errmsg(s));
			goto out;
		}
	}

	if ((r = run(s, "payload check",
	    upload_commit_script(tmp, id), msg)) != CN_OK)
		goto out;
	*changed = true;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM && *msg == NULL &&
	    (*msg = strdup("out of memory")) == NULL)
		*msg = NULL;
	free(rp);
	return r;
}

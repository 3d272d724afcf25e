/* cacheops: the agent's cache, verify and gc commands run on a box. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cacheops.h"
#include "error.h"
#include "script.h"
#include "session.h"

char *
cacheops_script(enum cacheops_cmd cmd, const char *payload_id,
    const char *data_dir, const char *const *args, size_t nargs)
{
	struct script *s;
	size_t i;

	if ((s = script_create()) == NULL)
		return NULL;
	script_let(s, "D", data_dir);
	script_code(s, "A=");
	script_payload_path(s, payload_id, "cnorch-agent");
	script_code(s, "\n\"$A\"");
	switch (cmd) {
	case CACHEOPS_CACHE:
		script_code(s, " cache --modelscope-dir \"$D/modelscope\"");
		break;
	case CACHEOPS_VERIFY:
		script_code(s, " verify");
		break;
	case CACHEOPS_GC:
		script_code(s, " gc");
		break;
	}
	script_code(s, " --cache-dir \"$D/hf/hub\" --json");
	for (i = 0; i < nargs; i++)
		script_arg(s, args[i]);
	script_code(s, " </dev/null\n");
	return script_finish(s);
}

struct lines {
	struct buf	 out;		/* stdout not yet a whole line */
	struct buf	 err;		/* stderr, the last bytes kept */
	char		*noise;		/* the first stdout line not JSON */
	cacheops_line_cb cb;
	void		*arg;
	int		 stop;
};

static int
one_line(struct lines *l, char *p, size_t n)
{
	json_t *o;
	int r;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return 0;
	if ((o = json_loadb(p, n, 0, NULL)) == NULL || !json_is_object(o)) {
		json_decref(o);
		if (l->noise == NULL)
			l->noise = strndup(p, n > 300 ? 300 : n);
		return 0;
	}
	r = l->cb(l->arg, o);
	json_decref(o);
	return r;
}

static int
on_data(void *arg, int stream, const char *p, size_t n)
{
	struct lines *l = arg;
	char *nl, *start;
	size_t used;
	int r;

	if (stream == 2) {
		/* Only the end matters: the last line says why. */
		if (l->err.len > 8192)
			l->err.len = 0;
		return buf_append(&l->err, p, n) == CN_OK ? 0 : CN_ERR_NOMEM;
	}
	if (buf_append(&l->out, p, n) != CN_OK)
		return CN_ERR_NOMEM;
	start = l->out.data;
	while ((nl = memchr(start, '\n', l->out.len - (size_t)(start -
	    l->out.data))) != NULL) {
		if ((r = one_line(l, start, (size_t)(nl - start))) != 0) {
			l->stop = r;
			return r;
		}
		start = nl + 1;
	}
	used = (size_t)(start - l->out.data);
	memmove(l->out.data, start, l->out.len - used);
	l->out.len -= used;
	l->out.data[l->out.len] = '\0';
	return 0;
}

/* The last non-empty line of b, malloc'd, or NULL. */
static char *
last_line(struct buf *b)
{
	char *p, *e;

	if (b->data == NULL || b->len == 0)
		return NULL;
	e = b->data + b->len;
	while (e > b->data && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	for (p = e; p > b->data && p[-1] != '\n'; p--)
		;
	return e > p ? strndup(p, (size_t)(e - p)) : NULL;
}

int
cacheops_run(struct session *s, const char *script, cacheops_line_cb cb,
    void *arg, int *status, int timeout_s, char **msg)
{
	struct lines l;
	int r;

	*msg = NULL;
	*status = -1;
	memset(&l, 0, sizeof(l));
	l.cb = cb;
	l.arg = arg;
	r = session_exec_stream(s, "sh -s", script, strlen(script), on_data,
	    &l, status, timeout_s);
	if (r == CN_OK && l.out.len > 0)
		r = one_line(&l, l.out.data, l.out.len);
	if (r != CN_OK) {
		if (l.stop == 0 && asprintf(msg, "%s", r == CN_ERR_NOMEM ?
		    cn_strerror(r) : session_errmsg(s)) < 0)
			*msg = NULL;
		goto out;
	}
	if (*status != 0 && (*msg = last_line(&l.err)) == NULL &&
	    l.noise != NULL) {
		*msg = l.noise;
		l.noise = NULL;
	}
 out:
	buf_release(&l.out);
	buf_release(&l.err);
	free(l.noise);
	return r;
}

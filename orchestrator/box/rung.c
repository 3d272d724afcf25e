/* rung: is huggingface.co reachable from the box through a proxy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "rung.h"
#include "script.h"
#include "session.h"

char *
rung_script(const char *upstream, const char *proxy, int timeout_s)
{
	struct script *s;

	if ((s = script_create()) == NULL)
		return NULL;
	script_code(s, "set -u\n");
	script_let(s, "U", upstream);
	script_let(s, "P", proxy);
	script_let_int(s, "W", timeout_s);
	script_code(s, "command -v curl >/dev/null 2>&1 || "
	    "{ echo '=rung nocurl'; exit 0; }\n"
	    /* -p: CONNECT even for http://, as the agent does; only this
	     * request sees the proxy, and no no_proxy can route around it. */
	    "o=$(https_proxy=\"$P\" HTTPS_PROXY=\"$P\" http_proxy=\"$P\" "
	    "all_proxy= ALL_PROXY= no_proxy= NO_PROXY= curl -s -p "
	    "-o /dev/null -w '%{http_code} %{time_total}' --max-time \"$W\" "
	    "\"${U%/}/\" 2>/dev/null)\n"
	    "echo \"=rung ${o:-000 0}\"\n");
	return script_finish(s);
}

int
rung_parse(const char *out, struct rung_result *res)
{
	const char *p;
	int code;
	double t;

	memset(res, 0, sizeof(*res));
	for (p = out; p != NULL && (p = strstr(p, "=rung ")) != NULL; p++)
		if (p == out || p[-1] == '\n')
			break;
	if (p == NULL)
		return CN_ERR_PARSE;
	p += 6;
	if (strncmp(p, "nocurl", 6) == 0)
		return CN_OK;
	if (sscanf(p, "%d %lf", &code, &t) != 2 || code < 0 || code > 999)
		return CN_ERR_PARSE;
	res->have_curl = true;
	res->http_code = code;
	res->seconds = t;
	res->reachable = code > 0;
	return CN_OK;
}

int
rung_check(struct session *s, const char *upstream, const char *proxy,
    int timeout_s, struct rung_result *res, char **msg)
{
	struct buf out = { 0 };
	char *script;
	int r, status = -1;

	*msg = NULL;
	memset(res, 0, sizeof(*res));
	if ((script = rung_script(upstream, proxy, timeout_s)) == NULL)
		return CN_ERR_NOMEM;
	if ((r = script_run(s, script, &out, &status, timeout_s + 15,
	    msg)) != CN_OK)
		goto out;
	if (buf_append(&out, "", 1) != CN_OK) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = rung_parse(out.data, res)) != CN_OK)
		cn_msg(msg, "cannot read the huggingface.co check (exit %d)",
		    status);
 out:
	free(script);
	buf_release(&out);
	return r;
}

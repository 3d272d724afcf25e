/* lend: --via-laptop-proxy for pull, provision and resume. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "error.h"
#include "forward.h"
#include "inventory.h"
#include "jobproxy.h"
#include "lend.h"
#include "proxy_dial.h"
#include "session.h"

#define UPSTREAM_DEFAULT	"https://huggingface.co"

struct lend {
	struct forward	*f;
	char		 box_url[64];
};

int
lend_check(const char *url, char **msg)
{
	char *laptop = NULL;
	int r;

	*msg = NULL;
	if (url == NULL)
		return CN_OK;
	r = proxy_url_pick(url, &laptop, msg);
	free(laptop);
	if (r == CN_ERR_NOT_FOUND || r == CN_ERR_UNSUPPORTED)
		return CN_ERR_USAGE;
	return r;
}

int
lend_open(const struct host *h, bool interactive, const char *url,
    struct lend **out, char **msg)
{
	struct lend *l = NULL;
	struct session *s = NULL;
	char *laptop = NULL, *m = NULL;
	int r, port;

	*out = NULL;
	*msg = NULL;
	if ((r = proxy_url_pick(url, &laptop, msg)) != CN_OK)
		goto out;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = host_connect(h, interactive, &s, &m)) != CN_OK) {
		if (asprintf(msg, "--via-laptop-proxy: %s", m != NULL ? m :
		    cn_strerror(r)) < 0)
			*msg = NULL;
		goto out;
	}
	r = forward_start(s, laptop, &l->f, &port, msg);
	s = NULL;	/* the forward's now, or gone */
	if (r != CN_OK)
		goto out;
	snprintf(l->box_url, sizeof(l->box_url), "http://127.0.0.1:%d",
	    port);
	*out = l;
	l = NULL;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM && *msg == NULL)
		*msg = strdup("out of memory");
	lend_close(l);
	session_destroy(s);
	free(laptop);
	free(m);
	return r;
}

const char *
lend_box_proxy(const struct lend *l)
{
	return l != NULL ? l->box_url : NULL;
}

const char *
lend_upstream(const struct host *h)
{
	return h->mirrors.huggingface != NULL ? h->mirrors.huggingface :
	    UPSTREAM_DEFAULT;
}

int
lend_attach(const struct lend *l, struct session *s, const char *job_id,
    char **msg)
{
	return lend_tell_job(s, job_id, l->box_url, msg);
}

void
lend_close(struct lend *l)
{
	if (l == NULL)
		return;
	forward_destroy(l->f);
	free(l);
}

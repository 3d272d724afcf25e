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
	/* to open it again (lend_revive) */
	const struct host *h;
	bool		 interactive;
	char		*laptop;	/* the laptop proxy's URL */
};

/* A forward to h lending laptop into l. */
static int
start(struct lend *l, char **msg)
{
	struct session *s = NULL;
	char *m = NULL;
	int r, port;

	if ((r = host_connect(l->h, l->interactive, &s, &m)) != CN_OK) {
		if (asprintf(msg, "--via-laptop-proxy: %s", m != NULL ? m :
		    cn_strerror(r)) < 0)
			*msg = NULL;
		free(m);
		return r;
	}
	if ((r = forward_start(s, l->laptop, &l->f, &port, msg)) != CN_OK)
		return r;	/* s went with it */
	snprintf(l->box_url, sizeof(l->box_url), "http://127.0.0.1:%d",
	    port);
	return CN_OK;
}

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
	int r;

	*out = NULL;
	*msg = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	l->h = h;
	l->interactive = interactive;
	if ((r = proxy_url_pick(url, &l->laptop, msg)) != CN_OK ||
	    (r = start(l, msg)) != CN_OK)
		goto out;
	*out = l;
	l = NULL;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM && *msg == NULL)
		*msg = strdup("out of memory");
	lend_close(l);
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

int
lend_revive(struct lend *l, const char *job_id, char **msg)
{
	struct session *s = NULL;
	char *m = NULL;
	int r;

	*msg = NULL;
	if (l == NULL || forward_alive(l->f))
		return CN_OK;
	forward_destroy(l->f);
	l->f = NULL;
	if ((r = start(l, msg)) != CN_OK)
		return r;
	if ((r = host_connect(l->h, l->interactive, &s, &m)) != CN_OK) {
		if (asprintf(msg, "--via-laptop-proxy: %s", m != NULL ? m :
		    cn_strerror(r)) < 0)
			*msg = NULL;
		free(m);
		return r;
	}
	r = lend_attach(l, s, job_id, msg);
	session_destroy(s);
	return r;
}

void
lend_close(struct lend *l)
{
	if (l == NULL)
		return;
	forward_destroy(l->f);
	free(l->laptop);
	free(l);
}

/*
 * Hugging Face Hub API (and mirrors speaking it, hf-mirror.com):
 *   GET {ep}/api/{models|datasets}/{repo}/revision/{rev}   -> "sha"
 *   GET {ep}/api/{type}s/{repo}/tree/{sha}?recursive=true  -> entries,
 *       paged by Link rel="next"
 * Files are fetched from {ep}[/datasets]/{repo}/resolve/{sha}/{path}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "error.h"
#include "hub.h"

#define HF_MAX_PAGES	100000

/* The path with every component percent-encoded, '/' kept. */
static char *
escape_path(const char *path)
{
	char *out = NULL, *part, *e, *t;
	const char *s = path, *slash;
	size_t n;

	if ((out = strdup("")) == NULL)
		return NULL;
	for (;;) {
		slash = strchr(s, '/');
		n = slash ? (size_t)(slash - s) : strlen(s);
		if ((part = strndup(s, n)) == NULL)
			goto fail;
		e = http_escape(part);
		free(part);
		if (e == NULL)
			goto fail;
		if (asprintf(&t, "%s%s%s", out, *out ? "/" : "", e) < 0) {
			free(e);
			goto fail;
		}
		free(e);
		free(out);
		out = t;
		if (slash == NULL)
			return out;
		s = slash + 1;
	}
 fail:
	free(out);
	return NULL;
}

int
hf_parse_commit(json_t *info, const char *url, char *commit, char **msg)
{
	json_t *sha;

	commit[0] = '\0';
	if (!json_is_object(info)) {
		hub_msg(msg, "reply from '%s' is not a JSON object", url);
		return CN_ERR_PARSE;
	}
	sha = json_object_get(info, "sha");
	if (!json_is_string(sha) ||
	    !hub_hex(json_string_value(sha), 40, commit)) {
		commit[0] = '\0';
		hub_msg(msg, "reply from '%s' has no commit sha", url);
		return CN_ERR_PARSE;
	}
	return CN_OK;
}

static int
get_u64(json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
hf_parse_tree(json_t *page, const struct hub_query *q, const char *commit,
    const char *url, struct plan *p, size_t *cap, char **msg)
{
	json_t *e, *type, *oid, *lfs, *loid;
	const char *path;
	char sha256[65], sha1[41], *epath = NULL, *furl;
	uint64_t size;
	size_t i;
	int r;

	if (!json_is_array(page)) {
		hub_msg(msg, "reply from '%s' is not a JSON array", url);
		return CN_ERR_PARSE;
	}
	json_array_foreach(page, i, e) {
		if (!json_is_object(e) ||
		    !json_is_string(type = json_object_get(e, "type"))) {
			hub_msg(msg, "listing from '%s': entry %zu is not "
			    "a file or directory", url, i);
			return CN_ERR_PARSE;
		}
		/* Directory paths are checked too: they are in the tree. */
		if ((r = hub_check_path(json_object_get(e, "path"), url, &path,
		    msg)) != 0)
			return r;
		if (strcmp(json_string_value(type), "file") != 0)
			continue;
		if (get_u64(json_object_get(e, "size"), &size) != 0) {
			hub_msg(msg, "listing from '%s': '%s' has no size",
			    url, path);
			return CN_ERR_PARSE;
		}
		sha1[0] = sha256[0] = '\0';
		oid = json_object_get(e, "oid");
		if (oid != NULL && (!json_is_string(oid) ||
		    !hub_hex(json_string_value(oid), 40, sha1))) {
			hub_msg(msg, "listing from '%s': '%s' has a bad oid",
			    url, path);
			return CN_ERR_PARSE;
		}
		lfs = json_object_get(e, "lfs");
		if (lfs != NULL && !json_is_null(lfs)) {
			loid = json_object_get(lfs, "oid");
			if (!json_is_object(lfs) || !json_is_string(loid) ||
			    !hub_hex(json_string_value(loid), 64, sha256)) {
				hub_msg(msg, "listing from '%s': '%s' has a "
				    "bad lfs oid", url, path);
				return CN_ERR_PARSE;
			}
			if (json_object_get(lfs, "size") != NULL &&
			    get_u64(json_object_get(lfs, "size"), &size) != 0) {
				hub_msg(msg, "listing from '%s': '%s' has a "
				    "bad lfs size", url, path);
				return CN_ERR_PARSE;
			}
		} else
			lfs = NULL;
		if ((epath = escape_path(path)) == NULL)
			return CN_ERR_NOMEM;
		if (asprintf(&furl, "%s%s/%s/resolve/%s/%s", q->endpoint,
		    q->repo_type == REPO_DATASET ? "/datasets" : "", q->repo,
		    commit, epath) < 0) {
			free(epath);
			return CN_ERR_NOMEM;
		}
		free(epath);
		if ((r = plan_push(p, cap, path, size, lfs != NULL, sha256,
		    sha1, furl)) != 0)
			return r;
		/* etag: sha256 for LFS, git sha1 else (huggingface_hub) */
		snprintf(p->files[p->nfiles - 1].etag,
		    sizeof(p->files[0].etag), "%s", lfs ? sha256 : sha1);
	}
	return CN_OK;
}

static int
origin_of(CURLU *u, char **scheme, char **host, char **port)
{
	*scheme = *host = *port = NULL;
	if (curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		return -1;
	return 0;
}

char *
hf_next_url(const char *endpoint, const char *cur, const char *link)
{
	CURLU *u = NULL, *ep = NULL;
	char *s1 = NULL, *h1 = NULL, *p1 = NULL, *s2 = NULL, *h2 = NULL;
	char *p2 = NULL, *path = NULL, *query = NULL, *full = NULL;
	char *ret = NULL;

	if ((u = curl_url()) == NULL || (ep = curl_url()) == NULL)
		goto out;
	/* link may be relative to the page it came with */
	if (curl_url_set(u, CURLUPART_URL, cur, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, link, 0) != CURLUE_OK ||
	    curl_url_set(ep, CURLUPART_URL, endpoint, 0) != CURLUE_OK)
		goto out;
	if (origin_of(u, &s1, &h1, &p1) != 0 ||
	    origin_of(ep, &s2, &h2, &p2) != 0)
		goto out;
	if (strcasecmp(s1, s2) == 0 && strcasecmp(h1, h2) == 0 &&
	    strcmp(p1, p2) == 0) {
		if (curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
			ret = strdup(full);
		goto out;
	}
	/* Another host (hf-mirror passes huggingface.co's Link through):
	 * the same path and query, on the endpoint. */
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
		query = NULL;
	if (asprintf(&ret, "%s%s%s%s", endpoint, path, query ? "?" : "",
	    query ? query : "") < 0)
		ret = NULL;
 out:
	curl_free(s1);
	curl_free(h1);
	curl_free(p1);
	curl_free(s2);
	curl_free(h2);
	curl_free(p2);
	curl_free(path);
	curl_free(query);
	curl_free(full);
	curl_url_cleanup(u);
	curl_url_cleanup(ep);
	return ret;
}

int
hf_error(int r, const struct http_resp *resp, const struct hub_query *q,
    bool have_token, const char *detail, char **msg)
{
	const char *what = q->repo_type == REPO_DATASET ? "dataset" : "repo";
	const char *ec = resp ? resp->error_code : NULL;

	switch (r) {
	case CN_ERR_ACCESS:
		if (have_token)
			hub_msg(msg, "%s '%s' is gated or private and the token "
			    "was refused at %s: request access on "
			    "huggingface.co", what, q->repo, q->endpoint);
		else
			hub_msg(msg, "%s '%s' is gated or private: pass a token "
			    "with HF_TOKEN or --token-file (mode 0600)", what,
			    q->repo);
		return CN_ERR_ACCESS;
	case CN_ERR_NOT_FOUND:
		if (ec != NULL && strcmp(ec, "RevisionNotFound") == 0)
			hub_msg(msg, "revision '%s' not found in %s '%s' at %s",
			    q->revision, what, q->repo, q->endpoint);
		else if (resp != NULL && resp->status == 401 && !have_token)
			hub_msg(msg, "%s '%s' not found at %s (if it is "
			    "private, pass a token with HF_TOKEN or "
			    "--token-file)", what, q->repo, q->endpoint);
		else
			hub_msg(msg, "%s '%s' not found at %s", what, q->repo,
			    q->endpoint);
		return CN_ERR_NOT_FOUND;
	default:
		hub_msg(msg, "%s '%s': %s", what, q->repo,
		    detail ? detail : cn_strerror(r));
		return r;
	}
}

/* Whether the token is sent to endpoint (http.c decides: origin, https). */
static bool
token_goes_to(const struct http_conf *c, const char *endpoint)
{
	return c != NULL && http_token_for(c, endpoint, false);
}

int
hf_plan(const struct hub_query *q, char *commit, struct plan **out,
    char **msg)
{
	struct http_resp resp = { 0 };
	struct plan *p = NULL;
	json_t *j = NULL;
	char *url = NULL, *erev = NULL, *next = NULL, *detail = NULL;
	bool tok = token_goes_to(q->http, q->endpoint);
	size_t cap = 0, pages;
	int r;

	*out = NULL;
	commit[0] = '\0';
	if ((erev = http_escape(q->revision)) == NULL ||
	    asprintf(&url, "%s/api/%s/%s/revision/%s", q->endpoint,
	    hub_type_plural(q->repo_type), q->repo, erev) < 0) {
		url = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = http_get_json(q->http, url, &j, &resp, &detail)) != 0) {
		r = hf_error(r, &resp, q, tok, detail, msg);
		goto out;
	}
	if ((r = hf_parse_commit(j, url, commit, msg)) != 0)
		goto out;
	json_decref(j);
	j = NULL;
	if ((r = plan_create(q, SOURCE_HF, &p)) != 0)
		goto out;
	if ((p->commit = strdup(commit)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	free(url);
	if (asprintf(&url, "%s/api/%s/%s/tree/%s?recursive=true",
	    q->endpoint, hub_type_plural(q->repo_type), q->repo, commit) < 0) {
		url = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	for (pages = 0;; pages++) {
		if (pages == HF_MAX_PAGES) {
			hub_msg(msg, "listing of '%s' has more than %d pages",
			    q->repo, HF_MAX_PAGES);
			r = CN_ERR_PROTOCOL;
			goto out;
		}
		http_resp_release(&resp);
		if ((r = http_get_json(q->http, url, &j, &resp, &detail)) !=
		    0) {
			r = hf_error(r, &resp, q, tok, detail, msg);
			goto out;
		}
		if ((r = hf_parse_tree(j, q, commit, url, p, &cap, msg)) != 0)
			goto out;
		json_decref(j);
		j = NULL;
		if (resp.next_link == NULL)
			break;
		if ((next = hf_next_url(q->endpoint, url,
		    resp.next_link)) == NULL) {
			hub_msg(msg, "listing from '%s' has a bad next link",
			    url);
			r = CN_ERR_PROTOCOL;
			goto out;
		}
		if (strcmp(next, url) == 0) {
			hub_msg(msg, "listing from '%s' links to itself", url);
			r = CN_ERR_PROTOCOL;
			goto out;
		}
		free(url);
		url = next;
		next = NULL;
	}
	if ((r = plan_finish(p, url, msg)) != 0)
		goto out;
	*out = p;
	p = NULL;
	r = CN_OK;
 out:
	json_decref(j);
	http_resp_release(&resp);
	plan_destroy(p);
	free(url);
	free(erev);
	free(next);
	free(detail);
	return r;
}

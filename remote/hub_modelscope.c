/*
 * ModelScope (modelscope_hub 2.0 _legacy_api.py / _download.py):
 *   models:   GET {ep}/api/v1/models/{repo}/repo/files?Revision={rev}
 *             &Recursive=True
 *   datasets: GET {ep}/api/v1/datasets/{repo}/repo/tree?Revision={rev}
 *             &Root=&Recursive=True&PageNumber={n}&PageSize=200, 1-based
 *             pages, a page shorter than PageSize is the last; a server
 *             that refuses the page parameters (the legacy tree, HTTP 400)
 *             is asked once without them
 *       -> {Code, Success, Message, Data: {Files: [{Path, Type, Size,
 *          Sha256, IsLFS, ...}]}}
 * Files are fetched from {ep}/api/v1/{models|datasets}/{repo}/repo
 * ?Revision=&FilePath=.  A token ($MODELSCOPE_API_TOKEN) rides as the
 * cookie m_session_id (http.c), as modelscope_hub sends it.
 *
 * Cache names: ModelScope gives sha256 for (nearly) every file and no git
 * sha1, so every blob is named by its sha256 (etag = Sha256); a file
 * without one gets etag "" and the engine names it by the sha256 it
 * computes.  ModelScope has no commit for a branch either: see
 * ms_commit_id().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "error.h"
#include "hub.h"

#define MS_PAGE_SIZE	200	/* what modelscope_hub asks for */
#define MS_MAX_PAGES	10000

int
ms_parse_files(json_t *j, const struct hub_query *q, const char *url,
    struct plan *p, size_t *cap, char **msg)
{
	json_t *code, *ok, *data, *files, *e, *type, *sz, *sha, *islfs, *m;
	const char *path;
	char sha256[65], *epath = NULL, *erev = NULL, *furl;
	size_t i;
	int r;

	if (!json_is_object(j)) {
		hub_msg(msg, "reply from '%s' is not a JSON object", url);
		return CN_ERR_PARSE;
	}
	code = json_object_get(j, "Code");
	ok = json_object_get(j, "Success");
	if ((code != NULL && !json_is_integer(code)) ||
	    (ok != NULL && !json_is_boolean(ok))) {
		hub_msg(msg, "reply from '%s' has a bad Code or Success", url);
		return CN_ERR_PARSE;
	}
	if ((code != NULL && json_integer_value(code) != 200) ||
	    json_is_false(ok)) {
		m = json_object_get(j, "Message");
		hub_msg(msg, "repo '%s' not found at %s%s%s", q->repo,
		    q->endpoint, json_is_string(m) ? ": " : "",
		    json_is_string(m) ? json_string_value(m) : "");
		return CN_ERR_NOT_FOUND;
	}
	data = json_object_get(j, "Data");
	files = json_object_get(data, "Files");
	if (!json_is_object(data) || (files != NULL && !json_is_null(files) &&
	    !json_is_array(files))) {
		hub_msg(msg, "reply from '%s' has no Data.Files list", url);
		return CN_ERR_PARSE;
	}
	if ((erev = http_escape(q->revision)) == NULL)
		return CN_ERR_NOMEM;
	r = CN_OK;
	json_array_foreach(files, i, e) {
		if (!json_is_object(e) ||
		    !json_is_string(type = json_object_get(e, "Type"))) {
			hub_msg(msg, "listing from '%s': entry %zu has no Type",
			    url, i);
			r = CN_ERR_PARSE;
			break;
		}
		if ((r = hub_check_path(json_object_get(e, "Path"), url, &path,
		    msg)) != 0)
			break;
		if (strcmp(json_string_value(type), "blob") != 0)
			continue;
		sz = json_object_get(e, "Size");
		if (!json_is_integer(sz) || json_integer_value(sz) < 0) {
			hub_msg(msg, "listing from '%s': '%s' has no Size",
			    url, path);
			r = CN_ERR_PARSE;
			break;
		}
		sha256[0] = '\0';
		sha = json_object_get(e, "Sha256");
		if (sha != NULL && !json_is_null(sha) &&
		    (!json_is_string(sha) || (json_string_length(sha) > 0 &&
		    !hub_hex(json_string_value(sha), 64, sha256)))) {
			hub_msg(msg, "listing from '%s': '%s' has a bad "
			    "Sha256", url, path);
			r = CN_ERR_PARSE;
			break;
		}
		islfs = json_object_get(e, "IsLFS");
		if (islfs != NULL && !json_is_null(islfs) &&
		    !json_is_boolean(islfs)) {
			hub_msg(msg, "listing from '%s': '%s' has a bad IsLFS",
			    url, path);
			r = CN_ERR_PARSE;
			break;
		}
		if ((epath = http_escape(path)) == NULL) {
			r = CN_ERR_NOMEM;
			break;
		}
		if (asprintf(&furl, "%s/api/v1/%s/%s/repo?Revision=%s"
		    "&FilePath=%s", q->endpoint, hub_type_plural(q->repo_type),
		    q->repo, erev, epath) < 0) {
			free(epath);
			r = CN_ERR_NOMEM;
			break;
		}
		free(epath);
		if ((r = plan_push(p, cap, path,
		    (uint64_t)json_integer_value(sz), json_is_true(islfs),
		    sha256, "", furl)) != 0)
			break;
		snprintf(p->files[p->nfiles - 1].etag,
		    sizeof(p->files[0].etag), "%s", sha256);
	}
	free(erev);
	return r;
}

int
ms_commit_id(const struct plan *p, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, k;
	char num[32];
	EVP_MD_CTX *ctx;
	size_t i;
	int r = CN_ERR_NOMEM;

	out[0] = '\0';
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return CN_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1)
		goto out;
	for (i = 0; i < p->nfiles; i++) {
		const struct plan_file *f = &p->files[i];

		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)f->size);
		if (EVP_DigestUpdate(ctx, f->path, strlen(f->path) + 1) != 1 ||
		    EVP_DigestUpdate(ctx, num, strlen(num) + 1) != 1 ||
		    EVP_DigestUpdate(ctx, f->sha256, strlen(f->sha256)) != 1 ||
		    EVP_DigestUpdate(ctx, "\n", 1) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 20)
		goto out;
	for (k = 0; k < mdlen; k++) {
		out[2 * k] = hex[md[k] >> 4];
		out[2 * k + 1] = hex[md[k] & 15];
	}
	out[2 * mdlen] = '\0';
	r = CN_OK;
 out:
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Entries (blobs and trees) in a reply's Data.Files, or -1. */
static long
ms_page_len(json_t *j)
{
	json_t *files = json_object_get(json_object_get(j, "Data"), "Files");

	return json_is_array(files) ? (long)json_array_size(files) : -1;
}

/* Path of the first entry of a reply, or NULL. */
static const char *
ms_first_path(json_t *j)
{
	json_t *files = json_object_get(json_object_get(j, "Data"), "Files");

	return json_string_value(json_object_get(json_array_get(files, 0),
	    "Path"));
}

static int
ms_get(const struct hub_query *q, const char *url, json_t **j,
    struct http_resp *resp, char **msg)
{
	char *detail = NULL;
	int r;

	http_resp_release(resp);
	if ((r = http_get_json(q->http, url, j, resp, &detail)) != 0) {
		if (r == CN_ERR_NOT_FOUND)
			hub_msg(msg, "%s '%s' (revision '%s') not found at %s",
			    q->repo_type == REPO_DATASET ? "dataset" : "repo",
			    q->repo, q->revision, q->endpoint);
		else if (r == CN_ERR_ACCESS)
			hub_msg(msg, "%s '%s' is private on ModelScope at %s%s",
			    q->repo_type == REPO_DATASET ? "dataset" : "repo",
			    q->repo, q->endpoint,
			    getenv("MODELSCOPE_API_TOKEN") != NULL ? "" :
			    ": pass a token with MODELSCOPE_API_TOKEN");
		else
			hub_msg(msg, "repo '%s': %s", q->repo,
			    detail ? detail : cn_strerror(r));
	}
	free(detail);
	return r;
}

/* The dataset tree, page by page (see the top of the file). */
static int
ms_list_dataset(const struct hub_query *q, const char *erev, struct plan *p,
    size_t *cap, char **msg)
{
	struct http_resp resp = { 0 };
	json_t *j = NULL;
	char *url = NULL, *first = NULL;
	const char *fp;
	long n, page;
	int r = CN_OK;

	for (page = 1; page <= MS_MAX_PAGES; page++) {
		free(url);
		if (asprintf(&url, "%s/api/v1/datasets/%s/repo/tree?Revision=%s"
		    "&Root=&Recursive=True&PageNumber=%ld&PageSize=%d",
		    q->endpoint, q->repo, erev, page, MS_PAGE_SIZE) < 0) {
			url = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
		json_decref(j);
		j = NULL;
		r = ms_get(q, url, &j, &resp, msg);
		if (r == CN_ERR_HTTP && page == 1 && resp.status == 400) {
			/* The legacy tree: everything in one reply. */
			free(url);
			if (asprintf(&url, "%s/api/v1/datasets/%s/repo/tree"
			    "?Revision=%s&Root=&Recursive=True", q->endpoint,
			    q->repo, erev) < 0) {
				url = NULL;
				r = CN_ERR_NOMEM;
				goto out;
			}
			if ((r = ms_get(q, url, &j, &resp, msg)) != 0 ||
			    (r = ms_parse_files(j, q, url, p, cap, msg)) != 0)
				goto out;
			if (msg != NULL) {
				free(*msg);
				*msg = NULL;
			}
			break;
		}
		if (r != 0)
			goto out;
		n = ms_page_len(j);
		fp = ms_first_path(j);
		/* A server ignoring PageNumber sends page 1 again: done. */
		if (page > 1 && n > 0 && fp != NULL && first != NULL &&
		    strcmp(fp, first) == 0)
			break;
		if (page == 1 && fp != NULL && (first = strdup(fp)) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		if ((r = ms_parse_files(j, q, url, p, cap, msg)) != 0)
			goto out;
		if (n < MS_PAGE_SIZE)
			break;
	}
	if (page > MS_MAX_PAGES) {
		hub_msg(msg, "listing of '%s' has more than %d pages", q->repo,
		    MS_MAX_PAGES);
		r = CN_ERR_PROTOCOL;
	}
 out:
	json_decref(j);
	http_resp_release(&resp);
	free(url);
	free(first);
	return r;
}

int
ms_plan(const struct hub_query *q, const char *commit_hint,
    struct plan **out, char **msg)
{
	struct http_resp resp = { 0 };
	struct plan *p = NULL;
	json_t *j = NULL;
	char *url = NULL, *erev = NULL, commit[41];
	size_t cap = 0;
	int r;

	*out = NULL;
	if ((erev = http_escape(q->revision)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = plan_create(q, SOURCE_MODELSCOPE, &p)) != 0)
		goto out;
	if (q->repo_type == REPO_DATASET) {
		if ((r = ms_list_dataset(q, erev, p, &cap, msg)) != 0)
			goto out;
		if (asprintf(&url, "%s/api/v1/datasets/%s/repo/tree",
		    q->endpoint, q->repo) < 0) {
			url = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
	} else {
		if (asprintf(&url, "%s/api/v1/models/%s/repo/files?Revision=%s"
		    "&Recursive=True", q->endpoint, q->repo, erev) < 0) {
			url = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
		if ((r = ms_get(q, url, &j, &resp, msg)) != 0 ||
		    (r = ms_parse_files(j, q, url, p, &cap, msg)) != 0)
			goto out;
	}
	if ((r = plan_finish(p, url, msg)) != 0)
		goto out;
	if (commit_hint != NULL && hub_hex(commit_hint, 40, commit))
		;
	else if (hub_hex(q->revision, 40, commit))
		;
	else if ((r = ms_commit_id(p, commit)) != 0)
		goto out;
	if ((p->commit = strdup(commit)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	*out = p;
	p = NULL;
	r = CN_OK;
 out:
	json_decref(j);
	http_resp_release(&resp);
	plan_destroy(p);
	free(url);
	free(erev);
	return r;
}

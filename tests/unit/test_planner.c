/*
 * Unit tests for the planner's pure parts (remote/planner.c, hub_hf.c,
 * hub_modelscope.c): JSON replies -> plan files, next-link rewriting,
 * error mapping, plan checks.  No HTTP.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "error.h"
#include "hub.h"
#include "planner.h"

#define EP	"http://127.0.0.1:8080"
#define SHA1A	"4e8afb6f1e55d20c6a9fd92a2ce91f95ec0dcbf1"
#define SHA1B	"78b2068b97936c6a66454355fb1d0643ef9dd418"
#define SHA256A	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256B	"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"

static const struct hub_query qmodel = {
	NULL, EP, REPO_MODEL, "org/name", "main", NULL,
};
static const struct hub_query qdata = {
	NULL, EP, REPO_DATASET, "org/data", "main", NULL,
};
static const struct hub_query qms = {
	NULL, EP, REPO_MODEL, "org/name", "master", NULL,
};

static json_t *
js(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_ALLOW_NUL, &e);

	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, s);
	return j;
}

/* Run hf_parse_tree on text; returns its code, *pp the plan. */
static int
hf_tree(const struct hub_query *q, const char *text, struct plan **pp,
    char **msg)
{
	json_t *j = js(text);
	size_t cap = 0;
	int r;

	assert_int_equal(plan_create(q, SOURCE_HF, pp), CN_OK);
	r = hf_parse_tree(j, q, SHA1A, "URL", *pp, &cap, msg);
	if (r == CN_OK)
		r = plan_finish(*pp, "URL", msg);
	json_decref(j);
	return r;
}

static int
ms_files(const struct hub_query *q, const char *text, struct plan **pp,
    char **msg)
{
	json_t *j = js(text);
	size_t cap = 0;
	int r;

	assert_int_equal(plan_create(q, SOURCE_MODELSCOPE, pp), CN_OK);
	r = ms_parse_files(j, q, "URL", *pp, &cap, msg);
	if (r == CN_OK)
		r = plan_finish(*pp, "URL", msg);
	json_decref(j);
	return r;
}

/* ---------------------------------------------------------------- HF */

static void
test_hf_commit(void **state)
{
	static const struct {
		const char *json;
		int r;
	} cases[] = {
		{ "{\"sha\": \"" SHA1A "\", \"siblings\": []}", CN_OK },
		{ "{\"sha\": \"4E8AFB6F1E55D20C6A9FD92A2CE91F95EC0DCBF1\"}", CN_OK },
		{ "{\"sha\": \"4e8afb\"}", CN_ERR_PARSE },
		{ "{\"sha\": \"../../../../../../../../../../../../../x\"}",
		    CN_ERR_PARSE },
		{ "{\"sha\": 12}", CN_ERR_PARSE },
		{ "{}", CN_ERR_PARSE },
		{ "[]", CN_ERR_PARSE },
	};
	char commit[41], *msg = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = js(cases[i].json);
		int r = hf_parse_commit(j, "URL", commit, &msg);

		if (r != cases[i].r)
			fail_msg("case %zu: %d", i, r);
		if (r == CN_OK)
			assert_string_equal(commit, SHA1A);
		else {
			assert_non_null(msg);
			assert_non_null(strstr(msg, "URL"));
			assert_string_equal(commit, "");
		}
		json_decref(j);
		free(msg);
		msg = NULL;
	}
}

static void
test_hf_tree_files(void **state)
{
	struct plan *p = NULL;
	char *msg = NULL;
	const struct plan_file *f;

	(void)state;
	assert_int_equal(hf_tree(&qmodel, "["
	    "{\"type\":\"directory\",\"oid\":\"" SHA1B "\",\"size\":0,"
	    "\"path\":\"sub\"},"
	    "{\"type\":\"file\",\"oid\":\"" SHA1B "\",\"size\":141,"
	    "\"path\":\"README.md\"},"
	    "{\"type\":\"file\",\"oid\":\"" SHA1A "\",\"size\":5000000000,"
	    "\"path\":\"model.safetensors\",\"lfs\":{\"oid\":\"" SHA256B
	    "\",\"size\":5000000000,\"pointerSize\":134}},"
	    "{\"type\":\"file\",\"oid\":\"" SHA1A "\",\"size\":3,"
	    "\"path\":\"sub/a b+c%.txt\"}"
	    "]", &p, &msg), CN_OK);
	assert_null(msg);
	assert_int_equal(p->nfiles, 3);
	assert_true(p->bytes_total == 5000000144ULL);

	f = &p->files[0];	/* sorted by path */
	assert_string_equal(f->path, "README.md");
	assert_false(f->lfs);
	assert_string_equal(f->git_sha1, SHA1B);
	assert_string_equal(f->sha256, "");
	assert_string_equal(f->etag, SHA1B);
	assert_string_equal(f->url, EP "/org/name/resolve/" SHA1A "/README.md");

	f = &p->files[1];
	assert_string_equal(f->path, "model.safetensors");
	assert_true(f->lfs);
	assert_true(f->size == 5000000000ULL);
	/* lowercased */
	assert_string_equal(f->sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(f->etag, f->sha256);

	f = &p->files[2];
	assert_string_equal(f->url, EP "/org/name/resolve/" SHA1A
	    "/sub/a%20b%2Bc%25.txt");
	plan_destroy(p);
}

static void
test_hf_tree_dataset_url(void **state)
{
	struct plan *p = NULL;
	char *msg = NULL;

	(void)state;
	assert_int_equal(hf_tree(&qdata, "[{\"type\":\"file\",\"oid\":\""
	    SHA1B "\",\"size\":1,\"path\":\"data/train.jsonl\"}]", &p, &msg),
	    CN_OK);
	assert_string_equal(p->files[0].url, EP "/datasets/org/data/resolve/"
	    SHA1A "/data/train.jsonl");
	plan_destroy(p);
}

static void
test_hf_tree_errors(void **state)
{
	static const struct {
		const char *json;
		int r;
		const char *in_msg;
	} cases[] = {
		{ "{}", CN_ERR_PARSE, "URL" },
		{ "[1]", CN_ERR_PARSE, "URL" },
		{ "[{\"path\":\"a\"}]", CN_ERR_PARSE, "URL" },
		{ "[{\"type\":\"file\",\"size\":1}]", CN_ERR_PARSE, "URL" },
		{ "[{\"type\":\"file\",\"path\":\"a\"}]", CN_ERR_PARSE, "'a'" },
		{ "[{\"type\":\"file\",\"path\":\"a\",\"size\":-1}]",
		    CN_ERR_PARSE, "'a'" },
		{ "[{\"type\":\"file\",\"path\":\"a\",\"size\":\"1\"}]",
		    CN_ERR_PARSE, "'a'" },
		{ "[{\"type\":\"file\",\"path\":\"a\",\"size\":1,"
		    "\"oid\":\"xyz\"}]", CN_ERR_PARSE, "oid" },
		{ "[{\"type\":\"file\",\"path\":\"a\",\"size\":1,"
		    "\"lfs\":{\"oid\":\"" SHA1A "\"}}]", CN_ERR_PARSE, "lfs" },
		{ "[{\"type\":\"file\",\"path\":\"a\",\"size\":1,"
		    "\"lfs\":[]}]", CN_ERR_PARSE, "lfs" },
		/* unsafe paths fail the whole listing, directories too */
		{ "[{\"type\":\"file\",\"path\":\"../../etc/evil\",\"size\":5}]",
		    CN_ERR_UNSAFE_PATH, "'../../etc/evil'" },
		{ "[{\"type\":\"file\",\"path\":\"/abs/path\",\"size\":5}]",
		    CN_ERR_UNSAFE_PATH, "'/abs/path'" },
		{ "[{\"type\":\"file\",\"path\":\"a\\\\b\",\"size\":5}]",
		    CN_ERR_UNSAFE_PATH, "'a\\b'" },
		{ "[{\"type\":\"file\",\"path\":\"a\\u0000b\",\"size\":5}]",
		    CN_ERR_UNSAFE_PATH, "'a?b'" },
		{ "[{\"type\":\"file\",\"path\":\"a\\nb\",\"size\":5}]",
		    CN_ERR_UNSAFE_PATH, "'a?b'" },
		{ "[{\"type\":\"directory\",\"path\":\"..\",\"size\":0}]",
		    CN_ERR_UNSAFE_PATH, "'..'" },
		/* duplicates, file and directory at once */
		{ "[{\"type\":\"file\",\"path\":\"a\",\"size\":1},"
		    "{\"type\":\"file\",\"path\":\"a\",\"size\":1}]",
		    CN_ERR_PROTOCOL, "twice" },
		{ "[{\"type\":\"file\",\"path\":\"a\",\"size\":1},"
		    "{\"type\":\"file\",\"path\":\"a/b\",\"size\":1}]",
		    CN_ERR_UNSAFE_PATH, "'a'" },
	};
	struct plan *p;
	char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		p = NULL;
		msg = NULL;
		r = hf_tree(&qmodel, cases[i].json, &p, &msg);
		if (r != cases[i].r)
			fail_msg("case %zu: %d (%s)", i, r, msg ? msg : "");
		if (msg == NULL || strstr(msg, cases[i].in_msg) == NULL)
			fail_msg("case %zu: message '%s' lacks \"%s\"", i,
			    msg ? msg : "(null)", cases[i].in_msg);
		free(msg);
		plan_destroy(p);
	}
}

static void
test_hf_next_url(void **state)
{
	static const struct {
		const char *endpoint, *cur, *link, *want;
	} cases[] = {
		/* same host: as is */
		{ EP, EP "/api/models/o/n/tree/x?recursive=true",
		  EP "/api/models/o/n/tree/x?recursive=true&cursor=abc",
		  EP "/api/models/o/n/tree/x?recursive=true&cursor=abc" },
		/* hf-mirror passes huggingface.co's link through */
		{ "https://hf-mirror.com",
		  "https://hf-mirror.com/api/models/o/n/tree/x?recursive=true",
		  "https://huggingface.co/api/models/o/n/tree/x?recursive=true"
		  "&cursor=ZXlKbWFXeGw%3D",
		  "https://hf-mirror.com/api/models/o/n/tree/x?recursive=true"
		  "&cursor=ZXlKbWFXeGw%3D" },
		{ EP, EP "/api/models/o/n/tree/x",
		  "https://huggingface.co/api/models/o/n/tree/x?cursor=1",
		  EP "/api/models/o/n/tree/x?cursor=1" },
		/* another port or scheme on the same host is another origin */
		{ EP, EP "/a", "http://127.0.0.1:9999/a?c=2",
		  EP "/a?c=2" },
		{ EP, EP "/a", "https://127.0.0.1:8080/a?c=2",
		  EP "/a?c=2" },
		/* default port spelled out is the same origin */
		{ "https://hf-mirror.com", "https://hf-mirror.com/a",
		  "https://hf-mirror.com:443/a?c=3",
		  "https://hf-mirror.com:443/a?c=3" },
		/* a path prefix on the endpoint is kept */
		{ "https://m.example/hf", "https://m.example/hf/api/x",
		  "https://huggingface.co/api/x?cursor=4",
		  "https://m.example/hf/api/x?cursor=4" },
		/* relative links resolve against the page */
		{ EP, EP "/api/models/o/n/tree/x?recursive=true",
		  "/api/models/o/n/tree/x?cursor=5",
		  EP "/api/models/o/n/tree/x?cursor=5" },
		/* no query */
		{ EP, EP "/a", "https://huggingface.co/b", EP "/b" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = hf_next_url(cases[i].endpoint, cases[i].cur,
		    cases[i].link);

		if (got == NULL || strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i,
			    got ? got : "(null)", cases[i].want);
		free(got);
	}
	assert_null(hf_next_url(EP, EP "/a", "http://[::1/x"));
}

static void
test_hf_error(void **state)
{
	static const struct {
		int r;
		long status;
		const char *ec;
		int token;
		int want;
		const char *in_msg;
	} cases[] = {
		{ CN_ERR_ACCESS, 401, "GatedRepo", 0, CN_ERR_ACCESS,
		  "repo 'org/name' is gated or private: pass a token with "
		  "HF_TOKEN or --token-file (mode 0600)" },
		{ CN_ERR_ACCESS, 403, NULL, 0, CN_ERR_ACCESS,
		  "is gated or private: pass a token" },
		{ CN_ERR_ACCESS, 403, "GatedRepo", 1, CN_ERR_ACCESS,
		  "token was refused" },
		{ CN_ERR_NOT_FOUND, 404, "RepoNotFound", 1, CN_ERR_NOT_FOUND,
		  "repo 'org/name' not found at " EP },
		{ CN_ERR_NOT_FOUND, 401, "RepoNotFound", 0, CN_ERR_NOT_FOUND,
		  "if it is private" },
		{ CN_ERR_NOT_FOUND, 404, "RevisionNotFound", 0,
		  CN_ERR_NOT_FOUND,
		  "revision 'main' not found in repo 'org/name' at " EP },
		{ CN_ERR_RETRIES, 503, NULL, 0, CN_ERR_RETRIES,
		  "repo 'org/name': DETAIL" },
		{ CN_ERR_PARSE, 200, NULL, 0, CN_ERR_PARSE, "DETAIL" },
	};
	struct http_resp resp;
	char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		memset(&resp, 0, sizeof(resp));
		resp.status = cases[i].status;
		resp.error_code = (char *)cases[i].ec;
		msg = NULL;
		r = hf_error(cases[i].r, &resp, &qmodel, cases[i].token,
		    "DETAIL", &msg);
		if (r != cases[i].want)
			fail_msg("case %zu: %d", i, r);
		if (msg == NULL || strstr(msg, cases[i].in_msg) == NULL)
			fail_msg("case %zu: message '%s' lacks \"%s\"", i,
			    msg ? msg : "(null)", cases[i].in_msg);
		free(msg);
	}
	/* datasets say so */
	msg = NULL;
	resp.status = 404;
	resp.error_code = NULL;
	hf_error(CN_ERR_NOT_FOUND, &resp, &qdata, 0, NULL, &msg);
	assert_string_equal(msg, "dataset 'org/data' not found at " EP);
	free(msg);
}

/* ---------------------------------------------------------------- MS */

#define MS_OK(files) "{\"Code\":200,\"Success\":true,\"Message\":\"ok\"," \
	"\"Data\":{\"Files\":" files "}}"

static void
test_ms_files(void **state)
{
	struct plan *p = NULL;
	char *msg = NULL;
	const struct plan_file *f;

	(void)state;
	assert_int_equal(ms_files(&qms, MS_OK("["
	    "{\"Name\":\"sub\",\"Path\":\"sub\",\"Type\":\"tree\",\"Size\":0},"
	    "{\"Name\":\"model.safetensors\",\"Path\":\"model.safetensors\","
	    "\"Type\":\"blob\",\"Size\":5000000000,\"Sha256\":\"" SHA256B "\","
	    "\"IsLFS\":true},"
	    "{\"Name\":\"c.json\",\"Path\":\"sub/c 1.json\",\"Type\":\"blob\","
	    "\"Size\":10,\"Sha256\":\"\",\"IsLFS\":false},"
	    "{\"Name\":\"r\",\"Path\":\"README.md\",\"Type\":\"blob\","
	    "\"Size\":3,\"Sha256\":\"" SHA256A "\"}"
	    "]"), &p, &msg), CN_OK);
	assert_null(msg);
	assert_int_equal(p->nfiles, 3);
	assert_true(p->bytes_total == 5000000013ULL);
	f = &p->files[0];
	assert_string_equal(f->path, "README.md");
	assert_false(f->lfs);
	assert_string_equal(f->sha256, SHA256A);
	assert_string_equal(f->etag, SHA256A);	/* sha256 for all */
	assert_string_equal(f->git_sha1, "");
	assert_string_equal(f->url,
	    EP "/api/v1/models/org/name/repo?Revision=master&FilePath=README.md");
	f = &p->files[1];
	assert_true(f->lfs);
	assert_string_equal(f->etag,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	f = &p->files[2];
	assert_string_equal(f->path, "sub/c 1.json");
	/* no hash published: an etag of its own (see test_unhashed) */
	assert_int_equal(strlen(f->etag), 64);
	assert_string_equal(f->url, EP "/api/v1/models/org/name/repo?"
	    "Revision=master&FilePath=sub%2Fc%201.json");
	plan_destroy(p);

	/* an empty repo */
	p = NULL;
	assert_int_equal(ms_files(&qms, MS_OK("null"), &p, &msg), CN_OK);
	assert_int_equal(p->nfiles, 0);
	plan_destroy(p);
}

/* Files without a published hash get their own etag (so their own
 * partial file and blob), stable across listings, distinct per path. */
static void
test_unhashed(void **state)
{
	static const char *const listing = MS_OK("["
	    "{\"Path\":\"a.json\",\"Type\":\"blob\",\"Size\":10},"
	    "{\"Path\":\"b.json\",\"Type\":\"blob\",\"Size\":10,"
	    "\"Sha256\":\"\"},"
	    "{\"Path\":\"c.json\",\"Type\":\"blob\",\"Size\":10,"
	    "\"Sha256\":null}]");
	struct plan *p = NULL, *p2 = NULL, *h = NULL;
	char *msg = NULL;
	size_t i, k;

	(void)state;
	assert_int_equal(ms_files(&qms, listing, &p, &msg), CN_OK);
	assert_int_equal(ms_files(&qms, listing, &p2, &msg), CN_OK);
	assert_int_equal(p->nfiles, 3);
	for (i = 0; i < p->nfiles; i++) {
		assert_int_equal(strlen(p->files[i].etag), 64);
		assert_int_equal(strspn(p->files[i].etag,
		    "0123456789abcdef"), 64);
		assert_string_equal(p->files[i].sha256, "");
		assert_string_equal(p->files[i].etag, p2->files[i].etag);
		for (k = 0; k < i; k++)
			assert_string_not_equal(p->files[i].etag,
			    p->files[k].etag);
	}
	/* an HF entry without oid, and one with: only the first changes */
	assert_int_equal(hf_tree(&qmodel, "["
	    "{\"type\":\"file\",\"path\":\"x\",\"size\":1},"
	    "{\"type\":\"file\",\"path\":\"y\",\"size\":1,"
	    "\"oid\":\"" SHA1A "\"}]", &h, &msg), CN_OK);
	assert_int_equal(strlen(h->files[0].etag), 64);
	assert_string_equal(h->files[1].etag, SHA1A);
	plan_destroy(p);
	plan_destroy(p2);
	plan_destroy(h);
}

/* The listing caps stop plan_push at the entry that passes one. */
static void
test_caps(void **state)
{
	static const struct {
		uint64_t max_files, max_bytes;
		size_t n;		/* entries pushed, 100 bytes each */
		size_t accepted;
		int r;
		enum plan_cap_hit hit;
	} t[] = {
		{ 0, 0, 50, 50, CN_OK, PLAN_CAP_NONE },	/* defaults */
		{ 10, 0, 10, 10, CN_OK, PLAN_CAP_NONE },	/* at the cap */
		{ 10, 0, 11, 10, CN_ERR_PROTOCOL, PLAN_CAP_FILES },
		{ 1, 0, 5, 1, CN_ERR_PROTOCOL, PLAN_CAP_FILES },
		{ 0, 1000, 10, 10, CN_OK, PLAN_CAP_NONE },
		{ 0, 999, 10, 9, CN_ERR_PROTOCOL, PLAN_CAP_BYTES },
		{ 0, 99, 1, 0, CN_ERR_PROTOCOL, PLAN_CAP_BYTES },
		{ 5, 250, 10, 2, CN_ERR_PROTOCOL, PLAN_CAP_BYTES },
	};
	size_t i, k, cap;
	int r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct plan_caps caps = { t[i].max_files, t[i].max_bytes,
		    PLAN_CAP_NONE };
		struct hub_query q = qmodel;
		struct plan *p = NULL;
		char path[32], *m;

		q.caps = &caps;
		assert_int_equal(plan_create(&q, SOURCE_HF, &p), CN_OK);
		cap = 0;
		r = CN_OK;
		for (k = 0; k < t[i].n && r == CN_OK; k++) {
			snprintf(path, sizeof(path), "f%05zu", k);
			r = plan_push(p, &cap, path, 100, false, "", SHA1A,
			    strdup("u"));
		}
		assert_int_equal(r, t[i].r);
		assert_int_equal(p->nfiles, t[i].accepted);
		assert_int_equal(caps.hit, t[i].hit);
		if (t[i].hit != PLAN_CAP_NONE) {
			m = plan_cap_message(&caps, "org/name", EP);
			assert_non_null(strstr(m, t[i].hit == PLAN_CAP_FILES ?
			    "--max-files" : "--max-bytes"));
			free(m);
		}
		plan_destroy(p);
	}
}

static void
test_ms_errors(void **state)
{
	static const struct {
		const char *json;
		int r;
		const char *in_msg;
	} cases[] = {
		{ "{\"Code\":10010205001,\"Message\":\"model not found\","
		  "\"Success\":false}", CN_ERR_NOT_FOUND,
		  "repo 'org/name' not found at " EP ": model not found" },
		{ "{\"Code\":200,\"Success\":false,\"Data\":{}}",
		  CN_ERR_NOT_FOUND, "not found" },
		{ "[]", CN_ERR_PARSE, "URL" },
		{ "{\"Code\":\"200\"}", CN_ERR_PARSE, "URL" },
		{ "{\"Code\":200,\"Success\":true}", CN_ERR_PARSE, "Data" },
		{ MS_OK("{}"), CN_ERR_PARSE, "Data" },
		{ MS_OK("[{\"Path\":\"a\"}]"), CN_ERR_PARSE, "Type" },
		{ MS_OK("[{\"Type\":\"blob\",\"Path\":\"a\"}]"), CN_ERR_PARSE,
		  "'a' has no Size" },
		{ MS_OK("[{\"Type\":\"blob\",\"Path\":\"a\",\"Size\":1,"
		  "\"Sha256\":\"abc\"}]"), CN_ERR_PARSE, "Sha256" },
		{ MS_OK("[{\"Type\":\"blob\",\"Path\":\"a\",\"Size\":1,"
		  "\"IsLFS\":\"yes\"}]"), CN_ERR_PARSE, "IsLFS" },
		{ MS_OK("[{\"Type\":\"blob\",\"Path\":\"../../etc/evil\","
		  "\"Size\":1}]"), CN_ERR_UNSAFE_PATH, "'../../etc/evil'" },
		{ MS_OK("[{\"Type\":\"blob\",\"Path\":\"/abs\",\"Size\":1}]"),
		  CN_ERR_UNSAFE_PATH, "'/abs'" },
		{ MS_OK("[{\"Type\":\"tree\",\"Path\":\"a/../..\",\"Size\":0}]"),
		  CN_ERR_UNSAFE_PATH, "unsafe" },
	};
	struct plan *p;
	char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		p = NULL;
		msg = NULL;
		r = ms_files(&qms, cases[i].json, &p, &msg);
		if (r != cases[i].r)
			fail_msg("case %zu: %d (%s)", i, r, msg ? msg : "");
		if (msg == NULL || strstr(msg, cases[i].in_msg) == NULL)
			fail_msg("case %zu: message '%s' lacks \"%s\"", i,
			    msg ? msg : "(null)", cases[i].in_msg);
		free(msg);
		plan_destroy(p);
	}
}

static void
test_ms_commit_id(void **state)
{
	struct plan *a = NULL, *b = NULL, *c = NULL;
	char ida[41], idb[41], idc[41], *msg = NULL;

	(void)state;
	/* same files in another order: same id */
	assert_int_equal(ms_files(&qms, MS_OK("["
	    "{\"Type\":\"blob\",\"Path\":\"a\",\"Size\":1,\"Sha256\":\""
	    SHA256A "\"},"
	    "{\"Type\":\"blob\",\"Path\":\"b\",\"Size\":2,\"Sha256\":\"\"}]"),
	    &a, &msg), CN_OK);
	assert_int_equal(ms_files(&qms, MS_OK("["
	    "{\"Type\":\"blob\",\"Path\":\"b\",\"Size\":2,\"Sha256\":\"\"},"
	    "{\"Type\":\"blob\",\"Path\":\"a\",\"Size\":1,\"Sha256\":\""
	    SHA256A "\"}]"), &b, &msg), CN_OK);
	/* one size differs: another id */
	assert_int_equal(ms_files(&qms, MS_OK("["
	    "{\"Type\":\"blob\",\"Path\":\"b\",\"Size\":3,\"Sha256\":\"\"},"
	    "{\"Type\":\"blob\",\"Path\":\"a\",\"Size\":1,\"Sha256\":\""
	    SHA256A "\"}]"), &c, &msg), CN_OK);
	assert_int_equal(ms_commit_id(a, ida), CN_OK);
	assert_int_equal(ms_commit_id(b, idb), CN_OK);
	assert_int_equal(ms_commit_id(c, idc), CN_OK);
	assert_int_equal(strlen(ida), 40);
	assert_string_equal(ida, idb);
	assert_string_not_equal(ida, idc);
	plan_destroy(a);
	plan_destroy(b);
	plan_destroy(c);
}

/* ---------------------------------------------------------------- planner */

static void
test_build_refuses_early(void **state)
{
	static const struct {
		const char *repo, *rev;
		enum hub_source src;
		enum repo_type type;
		int want;
		const char *ms_repo;
	} cases[] = {
		{ "../etc", NULL, SOURCE_HF, REPO_MODEL, CN_ERR_INVALID, NULL },
		{ "org/na/me", NULL, SOURCE_AUTO, REPO_MODEL, CN_ERR_INVALID,
		  NULL },
		{ NULL, NULL, SOURCE_HF, REPO_MODEL, CN_ERR_INVALID, NULL },
		{ "org/name", "../../x", SOURCE_HF, REPO_MODEL,
		  CN_ERR_UNSAFE_PATH, NULL },
		/* ModelScope datasets are listed now (issue 11); a bad
		 * ModelScope id is refused like a bad HF id */
		{ "org/name", NULL, SOURCE_MODELSCOPE, REPO_DATASET,
		  CN_ERR_INVALID, "ms/../x" },
		{ "org/name", NULL, SOURCE_AUTO, REPO_MODEL, CN_ERR_INVALID,
		  "no-slash" },
	};
	struct http_conf conf;
	struct planner_opts o;
	struct plan *p;
	char *msg;
	size_t i;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.repo = cases[i].repo;
		o.revision = cases[i].rev;
		o.source = cases[i].src;
		o.repo_type = cases[i].type;
		o.ms_repo = cases[i].ms_repo;
		o.http = &conf;
		/* never reached: refused before any request */
		o.hf_endpoint = o.ms_endpoint = "http://127.0.0.1:1";
		p = (struct plan *)1;
		msg = (char *)1;
		if (planner_build(&o, &p, &msg) != cases[i].want)
			fail_msg("case %zu", i);
		assert_null(p);
		assert_non_null(msg);
		free(msg);
	}
}

static void
test_source_names(void **state)
{
	enum hub_source s;

	(void)state;
	assert_int_equal(planner_source_parse("hf", &s), CN_OK);
	assert_int_equal(s, SOURCE_HF);
	assert_int_equal(planner_source_parse("modelscope", &s), CN_OK);
	assert_int_equal(s, SOURCE_MODELSCOPE);
	assert_int_equal(planner_source_parse("auto", &s), CN_OK);
	assert_int_equal(s, SOURCE_AUTO);
	assert_int_equal(planner_source_parse("huggingface", &s), CN_OK);
	assert_int_equal(s, SOURCE_HUGGINGFACE);
	assert_int_equal(planner_source_parse("HF", &s), CN_ERR_INVALID);
	assert_string_equal(planner_source_name(SOURCE_AUTO), "auto");
	assert_string_equal(planner_source_name(SOURCE_HUGGINGFACE),
	    "huggingface");
	assert_string_equal(plan_source_name(SOURCE_HUGGINGFACE),
	    "huggingface");
	assert_string_equal(plan_source_name(SOURCE_MODELSCOPE), "modelscope");
	assert_string_equal(plan_source_name(SOURCE_HF), "hf");
}

/* ---------------------------------------------------------------- auto */

#define SHA256C	"d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"

/* A finished plan of (path, size, sha256) triples from source src. */
static struct plan *
mkplan(enum hub_source src, const char *const (*files)[3], size_t n)
{
	struct plan *p;
	size_t cap = 0, i;
	char *url, *msg = NULL;

	assert_int_equal(plan_create(src == SOURCE_MODELSCOPE ? &qms :
	    &qmodel, src, &p), CN_OK);
	for (i = 0; i < n; i++) {
		assert_true(asprintf(&url, "%s://%s", plan_source_name(src),
		    files[i][0]) > 0);
		assert_int_equal(plan_push(p, &cap, files[i][0],
		    strtoull(files[i][1], NULL, 10), files[i][2][0] != '\0',
		    files[i][2], "", url), CN_OK);
		snprintf(p->files[i].etag, sizeof(p->files[i].etag), "%s",
		    files[i][2]);
	}
	assert_int_equal(plan_finish(p, "URL", &msg), CN_OK);
	if ((p->commit = strdup(SHA1A)) == NULL)
		fail();
	return p;
}

static void
test_pair(void **state)
{
	static const char *const hf[][3] = {
		{ "a.bin", "10", SHA256A },	/* same on both: paired */
		{ "b.bin", "10", SHA256A },	/* other sha256: one source */
		{ "c.json", "3", "" },		/* no sha256 here: one */
		{ "d.bin", "10", SHA256A },	/* not on ModelScope: one */
		{ "e.bin", "11", SHA256A },	/* other size: one */
	};
	static const char *const ms[][3] = {
		{ "a.bin", "10", SHA256A },
		{ "b.bin", "10", SHA256C },
		{ "c.json", "3", SHA256C },
		{ "e.bin", "10", SHA256A },
		{ "only-ms.bin", "1", SHA256A },	/* never added */
	};
	static const struct {
		const char *path;
		const char *alt;	/* NULL: no further source */
	} want[] = {
		{ "a.bin", "modelscope://a.bin" },
		{ "b.bin", NULL },
		{ "c.json", NULL },
		{ "d.bin", NULL },
		{ "e.bin", NULL },
	};
	struct plan *p = mkplan(SOURCE_HF, hf, 5);
	struct plan *o = mkplan(SOURCE_MODELSCOPE, ms, 5);
	size_t paired = 9, differ = 9, missing = 9, i;

	(void)state;
	o->files[0].ms_revision = strdup("abc123");
	assert_int_equal(planner_pair(p, o, &paired, &differ, &missing),
	    CN_OK);
	assert_int_equal(paired, 1);
	assert_int_equal(differ, 3);
	assert_int_equal(missing, 1);
	assert_int_equal(p->nfiles, 5);		/* ModelScope adds none */
	for (i = 0; i < 5; i++) {
		const struct plan_file *f = &p->files[i];

		assert_string_equal(f->path, want[i].path);
		if (want[i].alt == NULL) {
			assert_int_equal(f->nalts, 0);
			continue;
		}
		assert_int_equal(f->nalts, 1);
		assert_string_equal(f->alts[0].name, "modelscope");
		assert_string_equal(f->alts[0].url, want[i].alt);
		assert_string_equal(f->url, "hf://a.bin");	/* own first */
	}
	/* ModelScope's per-file Revision travels with the pairing */
	assert_string_equal(p->files[0].ms_revision, "abc123");
	/* where the engine asks again for a fresh signed URL */
	assert_string_equal(plan_file_refresh_url(&p->files[0], SOURCE_HF,
	    NULL), "hf://a.bin");
	assert_string_equal(plan_file_refresh_url(&p->files[0], SOURCE_HF,
	    "hf"), "hf://a.bin");
	assert_string_equal(plan_file_refresh_url(&p->files[0], SOURCE_HF,
	    "modelscope"), "modelscope://a.bin");
	assert_null(plan_file_refresh_url(&p->files[1], SOURCE_HF,
	    "modelscope"));
	plan_destroy(p);
	plan_destroy(o);
}

static void
test_rung(void **state)
{
	static const char *const hf[][3] = {
		{ "a.bin", "10", SHA256A },
		{ "dir/b c.bin", "10", SHA256A },
		{ "c.json", "3", "" },
	};
	struct plan *p = mkplan(SOURCE_HF, hf, 3), *q = NULL;
	bool ok[3] = { true, false, false };

	(void)state;
	/* sorted: a.bin, c.json, dir/b c.bin */
	assert_string_equal(p->files[2].path, "dir/b c.bin");
	assert_int_equal(plan_file_add_source(&p->files[2], "modelscope",
	    "ms://b", NULL, 0), CN_OK);
	/* ModelScope: only the failed files it has the same bytes of */
	assert_int_equal(planner_rung(p, ok, SOURCE_MODELSCOPE, NULL, &q),
	    CN_OK);
	assert_non_null(q);
	assert_int_equal(q->nfiles, 1);
	assert_string_equal(q->files[0].path, "dir/b c.bin");
	assert_string_equal(q->files[0].url, "ms://b");
	assert_string_equal(q->files[0].etag, SHA256A);	/* same blob */
	assert_string_equal(q->commit, SHA1A);
	assert_int_equal(q->source, SOURCE_MODELSCOPE);
	assert_true(q->bytes_total == 10);
	plan_destroy(q);
	/* huggingface.co: every failed file, at the mirror's commit */
	assert_int_equal(planner_rung(p, ok, SOURCE_HUGGINGFACE,
	    "https://huggingface.co", &q), CN_OK);
	assert_non_null(q);
	assert_int_equal(q->nfiles, 2);
	assert_string_equal(q->files[0].path, "c.json");
	assert_string_equal(q->files[0].url, "https://huggingface.co/org/name"
	    "/resolve/" SHA1A "/c.json");
	assert_string_equal(q->files[1].url, "https://huggingface.co/org/name"
	    "/resolve/" SHA1A "/dir/b%20c.bin");
	assert_string_equal(q->endpoint, "https://huggingface.co");
	assert_int_equal(q->source, SOURCE_HUGGINGFACE);
	plan_destroy(q);
	/* nothing left: no plan */
	ok[1] = ok[2] = true;
	q = (struct plan *)1;
	assert_int_equal(planner_rung(p, ok, SOURCE_HUGGINGFACE,
	    "https://huggingface.co", &q), CN_OK);
	assert_null(q);
	plan_destroy(p);
}

static void
test_ms_dataset_files(void **state)
{
	struct plan *p = NULL;
	char *msg = NULL;
	static const struct hub_query qmsdata = {
		NULL, EP, REPO_DATASET, "org/data", "master", NULL,
	};

	(void)state;
	assert_int_equal(ms_files(&qmsdata, MS_OK("["
	    "{\"Path\":\"data\",\"Type\":\"tree\",\"Size\":0},"
	    "{\"Path\":\"data/train.bin\",\"Type\":\"blob\","
	    "\"Size\":68719476736,\"Sha256\":\"" SHA256A "\","
	    "\"IsLFS\":true,\"Revision\":\"" SHA1B "\"},"
	    "{\"Path\":\"x.txt\",\"Type\":\"blob\",\"Size\":1,"
	    "\"Revision\":\"../evil\"}"
	    "]"), &p, &msg), CN_OK);
	assert_int_equal(p->nfiles, 2);
	/* 64 GiB: sizes are 64-bit all the way */
	assert_true(p->files[0].size == 68719476736ULL);
	assert_string_equal(p->files[0].url, EP "/api/v1/datasets/org/data/"
	    "repo?Revision=master&FilePath=data%2Ftrain.bin");
	assert_string_equal(p->files[0].ms_revision, SHA1B);
	/* an unsafe Revision is not kept (it names nothing we write) */
	assert_null(p->files[1].ms_revision);
	plan_destroy(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hf_commit),
		cmocka_unit_test(test_hf_tree_files),
		cmocka_unit_test(test_hf_tree_dataset_url),
		cmocka_unit_test(test_hf_tree_errors),
		cmocka_unit_test(test_hf_next_url),
		cmocka_unit_test(test_hf_error),
		cmocka_unit_test(test_ms_files),
		cmocka_unit_test(test_ms_errors),
		cmocka_unit_test(test_unhashed),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_ms_commit_id),
		cmocka_unit_test(test_build_refuses_early),
		cmocka_unit_test(test_source_names),
		cmocka_unit_test(test_pair),
		cmocka_unit_test(test_rung),
		cmocka_unit_test(test_ms_dataset_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

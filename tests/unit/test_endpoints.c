/* Unit tests for orchestrator/box/endpoints.c: probe URLs, the list, reading
 * `cnorch-agent probe` lines back, the best pick. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "endpoints.h"
#include "error.h"

static void
test_probe_urls(void **state)
{
	static const struct {
		const char *kind, *base, *repo, *rev, *want;
	} t[] = {
		{ "pypi", "https://pypi.tuna.tsinghua.edu.cn/simple", NULL,
		    NULL, "https://pypi.tuna.tsinghua.edu.cn/simple/pip/" },
		{ "pypi", "http://127.0.0.1:8/simple//", NULL, NULL,
		    "http://127.0.0.1:8/simple/pip/" },
		{ "conda", "https://mirrors.tuna.tsinghua.edu.cn/anaconda/",
		    NULL, NULL, "https://mirrors.tuna.tsinghua.edu.cn/anaconda/"
		    "pkgs/main/noarch/repodata.json" },
		{ "hf", "https://hf-mirror.com", "Qwen/Qwen2.5-7B", "v1",
		    "https://hf-mirror.com/api/models/Qwen/Qwen2.5-7B/"
		    "revision/v1" },
		{ "hf", "https://hf-mirror.com/", NULL, NULL,
		    "https://hf-mirror.com/api/models/" ENDPOINT_HF_REPO
		    "/revision/main" },
		{ "modelscope", "https://www.modelscope.cn", "org/m", "x",
		    "https://www.modelscope.cn/api/v1/models/org/m/revisions" },
		{ "modelscope", "https://www.modelscope.cn", NULL, NULL,
		    "https://www.modelscope.cn/api/v1/models/" ENDPOINT_MS_REPO
		    "/revisions" },
		/* Refused: unknown kind, not http(s), quotes or spaces. */
		{ "npm", "https://x", NULL, NULL, NULL },
		{ "pypi", "ftp://x/simple", NULL, NULL, NULL },
		{ "pypi", "https://x/si mple", NULL, NULL, NULL },
		{ "pypi", "https://x/'simple", NULL, NULL, NULL },
	};
	size_t i;
	char *u;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		u = endpoint_probe_url(t[i].kind, t[i].base, t[i].repo,
		    t[i].rev);
		if (t[i].want == NULL)
			assert_null(u);
		else {
			assert_non_null(u);
			assert_string_equal(u, t[i].want);
		}
		free(u);
	}
}

static void
test_list_dedupe(void **state)
{
	struct endpoint_list l = { 0 };

	(void)state;
	assert_int_equal(endpoint_add(&l, "pypi",
	    "https://pypi.tuna.tsinghua.edu.cn/simple", "tuna", false, NULL,
	    NULL), CN_OK);
	/* The same mirror configured: one entry, now configured. */
	assert_int_equal(endpoint_add(&l, "pypi",
	    "HTTPS://pypi.tuna.tsinghua.edu.cn/simple/", "configured", true,
	    NULL, NULL), CN_OK);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].configured);
	assert_string_equal(l.v[0].label, "tuna");
	/* Same base, another kind: its own entry. */
	assert_int_equal(endpoint_add(&l, "hf", "https://pypi.tuna.tsinghua"
	    ".edu.cn/simple", NULL, false, NULL, NULL), CN_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(endpoint_add(&l, "pypi", "file:///x", NULL, true,
	    NULL, NULL), CN_ERR_INVALID);
	assert_int_equal(endpoint_add(&l, "gems", "https://x", NULL, true,
	    NULL, NULL), CN_ERR_INVALID);
	assert_int_equal(l.n, 2);
	endpoint_list_release(&l);
	assert_null(l.v);
	endpoint_list_release(NULL);
}

static void
test_apply_and_best(void **state)
{
	struct endpoint_list l = { 0 };
	char *s;

	(void)state;
	assert_int_equal(endpoint_add(&l, "pypi", "http://a/simple", "a",
	    true, NULL, NULL), CN_OK);
	assert_int_equal(endpoint_add(&l, "pypi", "http://b/simple", "b",
	    false, NULL, NULL), CN_OK);
	assert_int_equal(endpoint_add(&l, "pypi", "http://c/simple", "c",
	    false, NULL, NULL), CN_OK);
	assert_int_equal(endpoint_add(&l, "hf", "http://a", NULL, true, NULL,
	    NULL), CN_OK);
	/* Lines as cnorch-agent probe prints them, best first. */
	assert_int_equal(endpoint_apply_line(&l, "{\"url\":\"http://b/simple/"
	    "pip/\",\"ok\":true,\"status\":206,\"dns_ms\":1.5,\"connect_ms\":2,"
	    "\"tls_ms\":0,\"ttfb_ms\":35,\"total_ms\":60,\"bytes\":131072,"
	    "\"rate_bps\":12897484.8,\"rank\":1}"), 1);
	assert_int_equal(endpoint_apply_line(&l, "{\"url\":\"http://a/simple/"
	    "pip/\",\"ok\":true,\"status\":200,\"ttfb_ms\":5,\"rate_bps\":1000,"
	    "\"rank\":2}"), 1);
	assert_int_equal(endpoint_apply_line(&l, "{\"url\":\"http://c/simple/"
	    "pip/\",\"ok\":false,\"status\":503,\"rate_bps\":1e9,\"rank\":3,"
	    "\"error\":\"HTTP 503\"}"), 1);
	/* Not ours: other URLs, noise, broken JSON. */
	assert_int_equal(endpoint_apply_line(&l, "{\"url\":\"http://z/\","
	    "\"ok\":true}"), 0);
	assert_int_equal(endpoint_apply_line(&l, "Welcome to the box"), 0);
	assert_int_equal(endpoint_apply_line(&l, "{\"url\":"), 0);
	assert_int_equal(endpoint_apply_line(&l, "{\"url\":\"http://a/\"}"),
	    0);

	assert_true(l.v[1].measured && l.v[1].ok);
	assert_int_equal(l.v[1].status, 206);
	assert_int_equal(l.v[1].bytes, 131072);
	assert_false(l.v[2].ok);
	assert_string_equal(l.v[2].error, "HTTP 503");
	assert_false(l.v[3].measured);

	assert_int_equal(endpoint_best(&l, "pypi", 0), 1);
	assert_int_equal(endpoint_best(&l, "pypi", ENDPOINT_BEST_CONFIGURED),
	    0);
	assert_int_equal(endpoint_best(&l, "hf", 0), -1);
	assert_int_equal(endpoint_best(&l, "conda", 0), -1);

	assert_non_null(s = endpoint_summary(&l.v[1]));
	assert_string_equal(s, "12.3 MiB/s, ttfb 35 ms");
	free(s);
	assert_non_null(s = endpoint_summary(&l.v[2]));
	assert_string_equal(s, "HTTP 503");
	free(s);
	assert_non_null(s = endpoint_summary(&l.v[3]));
	assert_string_equal(s, "not measured");
	free(s);
	/* A hub that answers "not here" works; a failing mirror does not. */
	assert_int_equal(endpoint_apply_line(&l, "{\"url\":\"http://a/api/"
	    "models/openai-community/gpt2/revision/main\",\"ok\":false,"
	    "\"status\":404,\"rank\":4}"), 1);
	assert_true(endpoint_reachable(&l.v[3]));
	assert_false(endpoint_reachable(&l.v[2]));
	assert_int_equal(endpoint_best(&l, "hf", 0), -1);
	assert_int_equal(endpoint_best(&l, "hf", ENDPOINT_BEST_REACHABLE), 3);
	assert_int_equal(endpoint_best(&l, "pypi", ENDPOINT_BEST_REACHABLE),
	    1);
	endpoint_list_release(&l);
}

static void
test_well_known(void **state)
{
	static const char *const kinds[] = { "pypi", "conda", "hf",
	    "modelscope" };
	const char *const *wk;
	size_t i, n;
	char *u;

	(void)state;
	assert_null(endpoint_well_known("npm"));
	assert_null(endpoint_well_known(NULL));
	for (i = 0; i < 4; i++) {
		assert_non_null(wk = endpoint_well_known(kinds[i]));
		for (n = 0; wk[0] != NULL; wk += 2, n++) {
			assert_non_null(wk[1]);
			assert_non_null(u = endpoint_probe_url(kinds[i], wk[1],
			    NULL, NULL));
			assert_int_equal(strncmp(u, "https://", 8), 0);
			free(u);
		}
		assert_true(n >= 1);
	}
	/* TUNA, Aliyun, USTC. */
	wk = endpoint_well_known("pypi");
	assert_string_equal(wk[0], "tuna");
	assert_string_equal(wk[2], "aliyun");
	assert_string_equal(wk[4], "ustc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_urls),
		cmocka_unit_test(test_list_dedupe),
		cmocka_unit_test(test_apply_and_best),
		cmocka_unit_test(test_well_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

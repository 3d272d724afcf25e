/*
 * Unit tests for the HTTP layer's pure parts (remote/http.c): Link and
 * Retry-After parsing, curl code translation, the token file rules, the
 * token bound to one host.  No network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "error.h"
#include "http.h"

static void
test_link_next(void **state)
{
	static const struct {
		const char *value, *want;
	} cases[] = {
		{ "<https://h/api?cursor=a>; rel=\"next\"", "https://h/api?cursor=a" },
		{ "<https://h/p>; rel=\"prev\", <https://h/n>; rel=\"next\"",
		  "https://h/n" },
		{ "<https://h/n>; rel=next", "https://h/n" },
		{ "<https://h/n>;rel=\"NEXT\"", "https://h/n" },
		{ "<https://h/n>; rel=\"last next\"", "https://h/n" },
		{ "<https://h/n>; title=\"x\"; rel=\"next\"", "https://h/n" },
		{ "<https://h/p>; rel=\"prev\"", NULL },
		{ "<https://h/p>; rel=\"nextpage\"", NULL },
		{ "<https://h/p>; xrel=\"next\"", NULL },
		{ "<https://h/p; rel=\"next\"", NULL },
		{ "", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = http_parse_link_next(cases[i].value);

		if ((got == NULL) != (cases[i].want == NULL) ||
		    (got != NULL && strcmp(got, cases[i].want) != 0))
			fail_msg("case %zu: got '%s'", i, got ? got : "(null)");
		free(got);
	}
	assert_null(http_parse_link_next(NULL));
}

static void
test_retry_after(void **state)
{
	char date[64];
	time_t t = time(NULL) + 100;
	long v;

	(void)state;
	assert_int_equal(http_parse_retry_after("5"), 5);
	assert_int_equal(http_parse_retry_after(" 120 "), 120);
	assert_int_equal(http_parse_retry_after("0"), 0);
	assert_int_equal(http_parse_retry_after("-3"), -1);
	assert_int_equal(http_parse_retry_after("5s"), -1);
	assert_int_equal(http_parse_retry_after("soon"), -1);
	assert_int_equal(http_parse_retry_after(NULL), -1);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
	v = http_parse_retry_after(date);
	assert_true(v >= 98 && v <= 100);
	assert_int_equal(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
	    0);
}

static void
test_curl_codes(void **state)
{
	(void)state;
	assert_int_equal(cn_err_from_curl(CURLE_OK), CN_OK);
	assert_int_equal(cn_err_from_curl(CURLE_OUT_OF_MEMORY), CN_ERR_NOMEM);
	assert_int_equal(cn_err_from_curl(CURLE_COULDNT_CONNECT),
	    CN_ERR_CONNECT);
	assert_int_equal(cn_err_from_curl(CURLE_COULDNT_RESOLVE_HOST),
	    CN_ERR_CONNECT);
	assert_int_equal(cn_err_from_curl(CURLE_OPERATION_TIMEDOUT),
	    CN_ERR_TIMEOUT);
	assert_int_equal(cn_err_from_curl(CURLE_WRITE_ERROR), CN_ERR_IO);
	assert_int_equal(cn_err_from_curl(CURLE_URL_MALFORMAT),
	    CN_ERR_INVALID);
	assert_int_equal(cn_err_from_curl(CURLE_PEER_FAILED_VERIFICATION),
	    CN_ERR_CURL);
	assert_int_equal(cn_err_from_curl(CURLE_RECV_ERROR), CN_ERR_CURL);
	assert_int_equal(cn_err_from_curl(CURLE_TOO_MANY_REDIRECTS),
	    CN_ERR_PROTOCOL);
}

static void
test_url_host_escape(void **state)
{
	char *s;

	(void)state;
	s = http_url_host("https://hf-mirror.com/api/models");
	assert_string_equal(s, "hf-mirror.com");
	free(s);
	s = http_url_host("http://127.0.0.1:8080/x");
	assert_string_equal(s, "127.0.0.1");
	free(s);
	assert_null(http_url_host("not a url"));
	assert_null(http_url_host(NULL));
	s = http_escape("refs/pr/1 a+b%~._-");
	assert_string_equal(s, "refs%2Fpr%2F1%20a%2Bb%25~._-");
	free(s);
}

/* A temporary token file with mode and content. */
static char *
token_file(mode_t mode, const char *content)
{
	char *path = strdup("/tmp/cnorch-test-token-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void
test_token_file(void **state)
{
	static const struct {
		mode_t mode;
		const char *content;
		int want;
		const char *token, *in_msg;
	} cases[] = {
		{ 0600, "hf_abc\n", CN_OK, "hf_abc", NULL },
		{ 0400, "  hf_abc  \n\n", CN_OK, "hf_abc", NULL },
		{ 0644, "hf_abc\n", CN_ERR_ACCESS, NULL, "has mode 0644" },
		{ 0640, "hf_abc\n", CN_ERR_ACCESS, NULL, "chmod 600" },
		{ 0604, "hf_abc\n", CN_ERR_ACCESS, NULL, "has mode 0604" },
		{ 0600, "\n", CN_ERR_INVALID, NULL, "is empty" },
		{ 0600, "hf_a\r\nX-Evil: 1", CN_ERR_INVALID, NULL,
		  "control characters" },
		{ 0600, "hf a", CN_ERR_INVALID, NULL, "spaces" },
	};
	struct http_conf c;
	char *msg, *path;
	size_t i;

	(void)state;
	unsetenv("HF_TOKEN");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		path = token_file(cases[i].mode, cases[i].content);
		msg = NULL;
		r = http_conf_init(&c, NULL, path, "http://127.0.0.1:1", &msg);
		if (r != cases[i].want)
			fail_msg("case %zu: %d (%s)", i, r, msg ? msg : "");
		if (r == CN_OK) {
			assert_string_equal(c.token, cases[i].token);
			assert_string_equal(c.token_host, "127.0.0.1");
			http_conf_release(&c);
		} else {
			/* names the file, never the token */
			assert_non_null(msg);
			assert_non_null(strstr(msg, path));
			assert_null(strstr(msg, "hf_a"));
			if (strstr(msg, cases[i].in_msg) == NULL)
				fail_msg("case %zu: '%s'", i, msg);
		}
		free(msg);
		unlink(path);
		free(path);
	}
	msg = NULL;
	assert_int_equal(http_conf_init(&c, NULL, "/nonexistent/token",
	    "http://127.0.0.1:1", &msg), CN_ERR_SYSTEM);
	assert_non_null(strstr(msg, "/nonexistent/token"));
	free(msg);
}

/*
 * Where each token may go: only its endpoint's scheme, host and port, and
 * only over https unless allow_http_token (local test hubs).
 */
static void
test_token_scope(void **state)
{
	static const struct {
		const char *endpoint;	/* HF and ModelScope alike */
		bool allow_http;
		const char *url;
		bool sent;
	} t[] = {
		{ "https://hf-mirror.com", false, "https://hf-mirror.com/api/x",
		    true },
		{ "https://hf-mirror.com", false,
		    "https://HF-Mirror.com:443/api/x", true },
		/* downgrade, other port, other host */
		{ "https://hf-mirror.com", true, "http://hf-mirror.com/api/x",
		    false },
		{ "https://hf-mirror.com", false,
		    "https://hf-mirror.com:8443/x", false },
		{ "https://hf-mirror.com", false, "https://cdn-lfs.hf.co/x",
		    false },
		{ "https://hf-mirror.com", false,
		    "https://hf-mirror.com.evil.example/x", false },
		/* plain http only with the explicit flag */
		{ "http://127.0.0.1:8080", false, "http://127.0.0.1:8080/x",
		    false },
		{ "http://127.0.0.1:8080", true, "http://127.0.0.1:8080/x",
		    true },
		{ "http://127.0.0.1:8080", true, "HTTP://127.0.0.1:8080/y",
		    true },
		{ "http://127.0.0.1:8080", true, "http://127.0.0.1:8081/x",
		    false },
		{ "http://127.0.0.1:8080", true, "http://127.0.0.2:8080/x",
		    false },
		{ "http://127.0.0.1:8080", true, "https://127.0.0.1:8080/x",
		    false },
	};
	struct curl_slist *hdrs = NULL;
	struct http_conf c;
	char *msg = NULL, *w;
	size_t i;
	CURL *h;

	(void)state;
	h = curl_easy_init();
	assert_non_null(h);
	setenv("HF_TOKEN", "hf_env", 1);
	setenv("MODELSCOPE_API_TOKEN", "ms_env", 1);
	unsetenv("CNORCH_ALLOW_HTTP_TOKEN");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(http_conf_init(&c, "/dev/null", NULL,
		    t[i].endpoint, &msg), CN_OK);
		assert_int_equal(http_conf_modelscope(&c, t[i].endpoint,
		    &msg), CN_OK);
		assert_string_equal(c.token, "hf_env");
		assert_string_equal(c.ms_token, "ms_env");
		c.allow_http_token = t[i].allow_http;
		if (http_token_for(&c, t[i].url, false) != t[i].sent ||
		    http_token_for(&c, t[i].url, true) != t[i].sent)
			fail_msg("case %zu: %s -> %s", i, t[i].endpoint,
			    t[i].url);
		/* ModelScope's token is a cookie header; HF's never a
		 * custom header (libcurl's Bearer auth carries it) */
		assert_int_equal(http_setup(h, &c, t[i].url, &hdrs), CN_OK);
		if (t[i].sent) {
			assert_non_null(hdrs);
			assert_string_equal(hdrs->data,
			    "Cookie: m_session_id=ms_env");
			assert_null(hdrs->next);
		} else
			assert_null(hdrs);
		curl_slist_free_all(hdrs);
		hdrs = NULL;
		/* a token kept back for plain http is said so */
		w = http_token_warning(&c);
		if (strncmp(t[i].endpoint, "http://", 7) == 0 &&
		    !t[i].allow_http) {
			assert_non_null(w);
			assert_non_null(strstr(w, "--allow-http-token"));
			assert_null(strstr(w, "hf_env"));
		} else
			assert_null(w);
		free(w);
		http_conf_release(&c);
	}
	/* the environment opt-in is the flag's twin, "1" only */
	setenv("CNORCH_ALLOW_HTTP_TOKEN", "1", 1);
	assert_int_equal(http_conf_init(&c, NULL, NULL,
	    "http://127.0.0.1:8080", &msg), CN_OK);
	assert_true(c.allow_http_token);
	http_conf_release(&c);
	setenv("CNORCH_ALLOW_HTTP_TOKEN", "yes", 1);
	assert_int_equal(http_conf_init(&c, NULL, NULL,
	    "http://127.0.0.1:8080", &msg), CN_OK);
	assert_false(c.allow_http_token);
	http_conf_release(&c);
	unsetenv("CNORCH_ALLOW_HTTP_TOKEN");
	/* a ModelScope token that would break the cookie is refused */
	setenv("MODELSCOPE_API_TOKEN", "a;b", 1);
	assert_int_equal(http_conf_init(&c, NULL, NULL,
	    "http://127.0.0.1:8080", &msg), CN_OK);
	assert_int_equal(http_conf_modelscope(&c, "http://127.0.0.1:8080",
	    &msg), CN_ERR_INVALID);
	assert_null(strstr(msg, "a;b"));
	free(msg);
	msg = NULL;
	http_conf_release(&c);
	unsetenv("MODELSCOPE_API_TOKEN");
	curl_easy_cleanup(h);
	/* no endpoint: never sent */
	assert_int_equal(http_conf_init(&c, NULL, NULL, NULL, &msg), CN_OK);
	assert_null(c.token_host);
	http_conf_release(&c);
	unsetenv("HF_TOKEN");
	assert_int_equal(http_conf_init(&c, NULL, NULL,
	    "http://127.0.0.1:8080", &msg), CN_OK);
	assert_null(c.token);
	http_conf_release(&c);
	assert_null(msg);
}

/* RFC 6761 names fail before any resolver is asked. */
static void
test_reserved_hosts(void **state)
{
	static const struct {
		const char *url;
		bool reserved;
	} t[] = {
		{ "http://nonexistent.invalid", true },
		{ "https://a.b.INVALID:8443/x", true },
		{ "http://invalid/", true },
		{ "http://x.invalid./", true },
		{ "http://invalid.example.com/", false },
		{ "http://notinvalid/", false },
		{ "https://www.modelscope.cn", false },
		{ "http://127.0.0.1:1", false },
	};
	struct curl_slist *hdrs = NULL;
	struct http_conf c;
	char *msg = NULL;
	size_t i;
	CURL *h;

	(void)state;
	assert_int_equal(http_conf_init(&c, "/dev/null", NULL, NULL, &msg),
	    CN_OK);
	h = curl_easy_init();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (http_host_reserved(t[i].url) != t[i].reserved)
			fail_msg("case %zu: %s", i, t[i].url);
		assert_int_equal(http_setup(h, &c, t[i].url, &hdrs),
		    t[i].reserved ? CN_ERR_CONNECT : CN_OK);
		curl_slist_free_all(hdrs);
		hdrs = NULL;
	}
	curl_easy_cleanup(h);
	http_conf_release(&c);
}

static void
test_cacert_opt(void **state)
{
	struct http_conf c;
	char *msg = NULL;

	(void)state;
	assert_int_equal(http_conf_init(&c, "/nonexistent/ca.pem", NULL,
	    "https://hf-mirror.com", &msg), CN_ERR_INVALID);
	assert_non_null(strstr(msg, "'/nonexistent/ca.pem'"));
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_next),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_curl_codes),
		cmocka_unit_test(test_url_host_escape),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_token_scope),
		cmocka_unit_test(test_reserved_hosts),
		cmocka_unit_test(test_cacert_opt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

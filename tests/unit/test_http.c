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

static void
test_token_env_and_host(void **state)
{
	struct curl_slist *hdrs = NULL;
	struct http_conf c;
	char *msg = NULL;
	CURL *h;

	(void)state;
	setenv("HF_TOKEN", "hf_env", 1);
	assert_int_equal(http_conf_init(&c, NULL, NULL,
	    "http://127.0.0.1:8080", &msg), CN_OK);
	assert_string_equal(c.token, "hf_env");
	assert_string_equal(c.token_host, "127.0.0.1");
	assert_int_equal(c.connect_timeout_s, 15);
	h = curl_easy_init();
	assert_non_null(h);
	/* the endpoint's host gets the header, another host does not */
	assert_int_equal(http_setup(h, &c, "http://127.0.0.1:8080/api/x",
	    &hdrs), CN_OK);
	assert_non_null(hdrs);
	assert_string_equal(hdrs->data, "Authorization: Bearer hf_env");
	assert_null(hdrs->next);
	curl_slist_free_all(hdrs);
	assert_int_equal(http_setup(h, &c, "http://cdn-lfs.example/x",
	    &hdrs), CN_OK);
	assert_null(hdrs);
	/* same host, other port or scheme: not the endpoint either */
	assert_int_equal(http_setup(h, &c, "http://127.0.0.1:8081/x",
	    &hdrs), CN_OK);
	assert_null(hdrs);
	assert_int_equal(http_setup(h, &c, "HTTP://127.0.0.1:8080/y",
	    &hdrs), CN_OK);
	assert_non_null(hdrs);
	curl_slist_free_all(hdrs);
	http_conf_release(&c);
	/* https endpoint: never over plain http (downgrade) */
	assert_int_equal(http_conf_init(&c, "/dev/null", NULL,
	    "https://hf-mirror.com", &msg), CN_OK);
	assert_string_equal(c.token_origin, "https://hf-mirror.com:443");
	assert_int_equal(http_setup(h, &c, "http://hf-mirror.com/api/x",
	    &hdrs), CN_OK);
	assert_null(hdrs);
	assert_int_equal(http_setup(h, &c,
	    "https://HF-Mirror.com:443/api/x", &hdrs), CN_OK);
	assert_non_null(hdrs);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	http_conf_release(&c);
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
		cmocka_unit_test(test_token_env_and_host),
		cmocka_unit_test(test_cacert_opt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for credential redaction (common/redact.c): one URL, and
 * every URL inside a line of text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "redact.h"

static const struct {
	const char	*in;
	const char	*url;	/* cn_url_redact */
	const char	*text;	/* cn_redact_text */
} cases[] = {
	{ "https://hf-mirror.com", "https://hf-mirror.com",
	    "https://hf-mirror.com" },
	{ "https://u:p@hf-mirror.com/x", "https://***@hf-mirror.com/x",
	    "https://***@hf-mirror.com/x" },
	{ "http://user@h:8080", "http://***@h:8080", "http://***@h:8080" },
	/* a password holding '@': the last one ends the userinfo */
	{ "http://u:p@ss@h/a@b", "http://***@h/a@b", "http://***@h/a@b" },
	/* '@' after the authority is not userinfo */
	{ "http://h/x?a=b@c", "http://h/x?a=b@c", "http://h/x?a=b@c" },
	{ "no url here", "no url here", "no url here" },
	{ "", "", "" },
	/* in text: quotes and spaces end a URL */
	{ "cannot fetch 'https://u:s3cret@m.cn/api': HTTP 500",
	    "cannot fetch 'https://***@m.cn/api': HTTP 500",
	    "cannot fetch 'https://***@m.cn/api': HTTP 500" },
	{ "a http://x:y@h1 b https://z@h2/p and 'ftp://h3'",
	    "a http://***@h1 b https://z@h2/p and 'ftp://h3'",
	    "a http://***@h1 b https://***@h2/p and 'ftp://h3'" },
	/* cn_url_redact takes all of s as one URL; text stops at quotes */
	{ "x@y 'http://h' z@w", "x@y 'http://***@w", "x@y 'http://h' z@w" },
	{ "://@", "://***@", "://***@" },
};

static void
test_redact(void **state)
{
	size_t i;
	char *u, *t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = cn_url_redact(cases[i].in);
		t = cn_redact_text(cases[i].in);
		assert_non_null(u);
		assert_non_null(t);
		assert_string_equal(u, cases[i].url);
		assert_string_equal(t, cases[i].text);
		free(u);
		free(t);
	}
	assert_null(cn_url_redact(NULL));
	assert_null(cn_redact_text(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

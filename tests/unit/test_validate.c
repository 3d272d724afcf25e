/*
 * Unit tests for inventory/validate.c and url.c: the value rules shared by
 * the inventory and the command line (repo ids, revisions, globs, job ids,
 * env names), their messages, and URL redaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "url.h"
#include "validate.h"

struct row {
	const char	*value;
	bool		 ok;
};

static const struct row repo_rows[] = {
	{ "Qwen/Qwen2.5-7B-Instruct", true },
	{ "org/x", true },
	{ "_org/n_", true },
	{ "BAAI/bge-m3", true },
	{ "org/x;id>/tmp/p;#", false },		/* the injection of issue 10 */
	{ "org/x$(id)", false },
	{ "org/x`id`", false },
	{ "org/x y", false },
	{ "org/x\nid", false },
	{ "noslash", false },
	{ "a/b/c", false },
	{ "/name", false },
	{ "org/", false },
	{ "org/-x", false },
	{ "-org/x", false },
	{ ".org/x", false },
	{ "org/x.", false },
	{ "org/x-", false },
	{ "org/a--b", false },			/* HF: no "--" */
	{ "org/a..b", false },			/* HF: no ".." */
	{ "org/x.git", false },
	{ "", false },
	{ NULL, false },
};

static const struct row revision_rows[] = {
	{ "main", true },
	{ "v1.0", true },
	{ "refs/pr/1", true },
	{ "0123456789abcdef0123456789abcdef01234567", true },
	{ "release_2024-01", true },
	{ "", false },
	{ "-rf", false },
	{ "/abs", false },
	{ "a/", false },
	{ "a//b", false },
	{ "a..b", false },
	{ "ma in", false },
	{ "main\t", false },
	{ "main;id", false },
	{ "$(id)", false },
	{ "a\x01" "b", false },
	{ NULL, false },
};

static const struct row glob_rows[] = {
	{ "*.safetensors", true },
	{ "onnx/*", true },
	{ "[abc]?.json", true },
	{ "a b*", true },		/* spaces are fine: always quoted */
	{ "", false },
	{ "a\nb", false },
	{ "a\x7f", false },
	{ NULL, false },
};

static const struct row job_rows[] = {
	{ "Qwen--Qwen2.5-7B@main", true },
	{ "datasets--org--d@main-hf-0a1b2c3d", true },
	{ "org--x@refs_pr_1-modelscope", true },
	{ "", false },
	{ ".hidden", false },
	{ "-rf", false },
	{ "a/b", false },
	{ "a;id", false },
	{ "a b", false },
	{ "..", false },
	{ NULL, false },
};

static const struct row env_rows[] = {
	{ "HF_TOKEN", true },
	{ "_X1", true },
	{ "1X", false },
	{ "A-B", false },
	{ "A B", false },
	{ "", false },
	{ NULL, false },
};

static void
run_table(const struct row *rows, size_t n, bool (*fn)(const char *))
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (fn(rows[i].value) != rows[i].ok)
			fail_msg("row %zu '%s': expected %s", i,
			    rows[i].value != NULL ? rows[i].value : "(null)",
			    rows[i].ok ? "accepted" : "refused");
	}
}

#define TABLE(rows, fn) run_table(rows, sizeof(rows) / sizeof(rows[0]), fn)

static void
test_tables(void **state)
{
	(void)state;
	TABLE(repo_rows, valid_repo_id);
	TABLE(revision_rows, valid_revision);
	TABLE(glob_rows, valid_glob);
	TABLE(job_rows, valid_job_id);
	TABLE(env_rows, valid_env_name);
}

static void
test_lengths(void **state)
{
	char buf[2048];

	(void)state;
	/* 96 per part is HF's limit, 97 is over. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "org/", 4);
	buf[4 + 96] = '\0';
	assert_true(valid_repo_id(buf));
	buf[4 + 96] = 'a';
	buf[4 + 97] = '\0';
	assert_false(valid_repo_id(buf));

	memset(buf, 'a', sizeof(buf));
	buf[REVISION_MAX] = '\0';
	assert_true(valid_revision(buf));
	buf[REVISION_MAX] = 'a';
	buf[REVISION_MAX + 1] = '\0';
	assert_false(valid_revision(buf));

	memset(buf, '*', sizeof(buf));
	buf[GLOB_MAX] = '\0';
	assert_true(valid_glob(buf));
	buf[GLOB_MAX] = '*';
	buf[GLOB_MAX + 1] = '\0';
	assert_false(valid_glob(buf));

	memset(buf, 'j', sizeof(buf));
	buf[JOB_ID_MAX + 1] = '\0';
	assert_false(valid_job_id(buf));
}

/* The command line's message names the value in the inventory's words. */
static void
test_messages(void **state)
{
	char *msg = (char *)1;

	(void)state;
	assert_int_equal(validate_repo_id("org/x;id>/tmp/p;#", &msg),
	    CN_ERR_INVALID);
	assert_string_equal(msg, "invalid repo id 'org/x;id>/tmp/p;#': "
	    "expected 'org/name' (letters, digits, '.', '_', '-')");
	free(msg);

	assert_int_equal(validate_revision("a\nb", &msg), CN_ERR_INVALID);
	assert_string_equal(msg, "invalid revision 'a?b': expected a branch, "
	    "tag or commit (letters, digits, '.', '_', '-', '/')");
	free(msg);

	assert_int_equal(validate_glob("", &msg), CN_ERR_INVALID);
	assert_non_null(strstr(msg, "invalid glob '': "));
	free(msg);

	assert_int_equal(validate_job_id("x;rm", &msg), CN_ERR_INVALID);
	assert_non_null(strstr(msg, "invalid job id 'x;rm': "));
	free(msg);

	assert_int_equal(validate_env_name("A-B", &msg), CN_ERR_INVALID);
	assert_non_null(strstr(msg, "invalid environment variable name"));
	free(msg);

	msg = (char *)1;
	assert_int_equal(validate_repo_id("org/x", &msg), CN_OK);
	assert_null(msg);
}

static void
test_url_redact(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
		bool		 creds;
	} rows[] = {
		{ "http://u:p@proxy:3128", "http://***@proxy:3128", true },
		{ "socks5h://user@127.0.0.1:1080/", "socks5h://***@127.0.0.1:1080/",
		  true },
		{ "http://u:p@ss@proxy:3128/x@y", "http://***@proxy:3128/x@y",
		  true },
		{ "https://hf-mirror.com", "https://hf-mirror.com", false },
		{ "https://h.example/a@b", "https://h.example/a@b", false },
		{ "not a url", "not a url", false },
	};
	size_t i;
	char *r;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = url_redact(rows[i].in);
		assert_non_null(r);
		assert_string_equal(r, rows[i].out);
		free(r);
		assert_int_equal(url_has_credentials(rows[i].in),
		    rows[i].creds);
	}
	assert_null(url_redact(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_url_redact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

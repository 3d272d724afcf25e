/* Unit tests for job ids, cache folder names and the job state check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "launch.h"

static void
test_job_id(void **state)
{
	static const char *const inc[] = { "*.json" }, *const inc2[] = {
	    "*.safetensors" };
	struct launch_pull p = { .repo = "Qwen/Qwen2.5-7B" };
	char *a, *b;

	(void)state;
	a = job_id(&p);
	assert_string_equal(a, "Qwen--Qwen2.5-7B@main");
	free(a);
	p.revision = "v1.0";
	p.source = "auto";
	a = job_id(&p);
	assert_string_equal(a, "Qwen--Qwen2.5-7B@v1.0");
	free(a);
	p.source = "modelscope";
	a = job_id(&p);
	assert_string_equal(a, "Qwen--Qwen2.5-7B@v1.0-modelscope");
	free(a);
	p.source = NULL;
	p.revision = "refs/pr/1";
	p.repo_type = "dataset";
	a = job_id(&p);
	assert_string_equal(a, "datasets--Qwen--Qwen2.5-7B@refs_pr_1");
	free(a);

	/* Filters make another job, deterministically. */
	p.revision = NULL;
	p.repo_type = NULL;
	p.include = inc;
	p.ninclude = 1;
	a = job_id(&p);
	b = job_id(&p);
	assert_string_equal(a, b);
	assert_int_equal(strncmp(a, "Qwen--Qwen2.5-7B@main-", 22), 0);
	assert_int_equal(strlen(a), 22 + 8);
	free(b);
	p.include = inc2;
	b = job_id(&p);
	assert_string_not_equal(a, b);
	free(a);
	free(b);

	/* A file name on the box: long ids end in a hash of the whole. */
	{
		char big[600];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		big[1] = '/';
		p.repo = big;
		p.include = NULL;
		p.ninclude = 0;
		a = job_id(&p);
		big[500] = 'b';
		b = job_id(&p);
		assert_int_equal(strlen(a), JOB_ID_MAX);
		assert_int_equal(strlen(b), JOB_ID_MAX);
		assert_string_not_equal(a, b);
		assert_int_equal(strncmp(a, "a--aaa", 6), 0);
		free(a);
		free(b);
		p.repo = "Qwen/Qwen2.5-7B";
	}

	/* Nothing the shell or the file system would read twice. */
	p.include = NULL;
	p.ninclude = 0;
	p.repo = "../x/$(y)";
	a = job_id(&p);
	assert_string_equal(a, "_.--x--__y_@main");
	free(a);
}

static void
test_folder(void **state)
{
	struct launch_pull p = { .repo = "test-org/tiny-model" };
	char *a;

	(void)state;
	a = repo_folder(&p);
	assert_string_equal(a, "models--test-org--tiny-model");
	free(a);
	p.repo_type = "dataset";
	a = repo_folder(&p);
	assert_string_equal(a, "datasets--test-org--tiny-model");
	free(a);
}

static void
test_state(void **state)
{
	struct box_job_state st;
	const char *none = "files_ok=0\ncheck=done\n";
	const char *running = "status_json=[{\"dir\":\"/j\",\"state\":"
	    "\"running\",\"bytes_done\":5,\"bytes_total\":10}]\n"
	    "state_json={\"state\":\"failed\"}\nalive=1\nfiles_ok=0\n"
	    "check=done\n";
	const char *reused = "status_json={\"state\":\"running\","
	    "\"alive\":false}\nalive=1\ncheck=done\n";
	const char *raw = "status_json=\nstate_json={ \"state\": \"done\", "
	    "\"pid\": 42, \"bytes_total\": 7 }\nalive=0\nfiles_ok=1\n"
	    "check=done\n";

	(void)state;
	assert_int_equal(box_job_state_parse("x=1\n", 4, &st), CN_ERR_PARSE);
	assert_int_equal(box_job_state_parse(none, strlen(none), &st), CN_OK);
	assert_string_equal(st.state, "");
	assert_false(st.files_ok);
	assert_int_equal(st.bytes_total, -1);
	/* The agent's status wins over the raw file. */
	assert_int_equal(box_job_state_parse(running, strlen(running), &st),
	    CN_OK);
	assert_string_equal(st.state, "running");
	assert_true(st.alive);
	assert_int_equal(st.bytes_done, 5);
	assert_int_equal(st.bytes_total, 10);
	/* The agent's "alive" (pid and start time) beats kill -0. */
	assert_int_equal(box_job_state_parse(reused, strlen(reused), &st), CN_OK);
	assert_string_equal(st.state, "running");
	assert_false(st.alive);
	assert_int_equal(box_job_state_parse(raw, strlen(raw), &st), CN_OK);
	assert_string_equal(st.state, "done");
	assert_false(st.alive);
	assert_true(st.files_ok);
	assert_int_equal(st.bytes_total, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_id),
		cmocka_unit_test(test_folder),
		cmocka_unit_test(test_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

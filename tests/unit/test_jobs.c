/* Unit tests for jobs.c: the listing's parser, the stalled rule, finding
 * a job by id or repo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "jobs.h"

static const char listing[] =
    "motd noise\n"
    "home=/home/u\n"
    "data_dir=/home/u/data\n"
    "df_path=/home/u/data\n"
    "df=2000 1500\n"
    "agent=present\n"
    "I a--m@main\n"
    "E 1 0 1048576 900\n"
    "Q {\"repo\":\"a/m\",\"revision\":\"main\",\"cache_dir\":\"/d/hf/hub\"}\n"
    "I b--n@v1-hf\n"
    "E 2 75 -1 100\n"
    "Q {\"repo\":\"b/n\",\"revision\":\"v1\"}\n"
    "I c--o@main\n"
    "S {\"dir\":\"/home/u/.cnorch/jobs/a--m@main\",\"state\":\"running\","
    "\"bytes_done\":10,\"bytes_total\":100,\"pid\":7,\"started\":1.5,"
    "\"ended\":null,\"error\":null}\n"
    "S {\"dir\":\"/home/u/.cnorch/jobs/b--n@v1-hf\",\"state\":\"running\","
    "\"bytes_done\":5,\"bytes_total\":50,\"pid\":8}\n"
    "S {\"dir\":\"/home/u/.cnorch/jobs/c--o@main\",\"state\":\"dead\","
    "\"error\":\"killed\"}\n"
    "jobs=done\n";

static void
test_parse(void **state)
{
	struct host_jobs hj;
	struct job_info *j;

	(void)state;
	assert_int_equal(jobs_parse(listing, strlen(listing), &hj), CN_OK);
	assert_true(hj.agent_present);
	assert_string_equal(hj.home, "/home/u");
	assert_string_equal(hj.data_dir, "/home/u/data");
	assert_int_equal(hj.disk_total_kb, 2000);
	assert_int_equal(hj.disk_avail_kb, 1500);
	assert_int_equal(hj.njobs, 3);
	j = &hj.jobs[0];
	assert_string_equal(j->id, "a--m@main");
	assert_string_equal(j->state, "running");
	assert_int_equal(j->bytes_done, 10);
	assert_int_equal(j->bytes_total, 100);
	assert_true(j->rate_bps == 1048576);
	assert_true(j->event_age_s == 1);
	assert_true(j->progress_age_s == 0);
	assert_int_equal(j->events_size, 900);
	assert_non_null(j->spec);
	assert_string_equal(hj.jobs[2].state, "dead");
	assert_string_equal(hj.jobs[2].error, "killed");
	assert_null(hj.jobs[2].spec);
	assert_true(hj.jobs[2].event_age_s == -1);
	jobs_release(&hj);
	jobs_release(&hj);	/* a released one is zeroed */
}

static void
test_parse_cut(void **state)
{
	struct host_jobs hj;
	size_t n = strlen(listing) - strlen("jobs=done\n");

	(void)state;
	/* Without the end marker the script did not finish. */
	assert_int_equal(jobs_parse(listing, n, &hj), CN_ERR_PARSE);
	assert_int_equal(hj.njobs, 0);
	assert_int_equal(jobs_parse("agent=absent\njobs=done\n", 23, &hj),
	    CN_OK);
	assert_false(hj.agent_present);
	jobs_release(&hj);
}

static void
test_stalled(void **state)
{
	struct host_jobs hj;

	(void)state;
	assert_int_equal(jobs_parse(listing, strlen(listing), &hj), CN_OK);
	/* Events flow but the bytes of b have not moved for 75 s. */
	assert_string_equal(job_display_state(&hj.jobs[0], 60), "running");
	assert_string_equal(job_display_state(&hj.jobs[1], 60), "stalled");
	assert_string_equal(job_display_state(&hj.jobs[1], 100), "running");
	/* Only a live job can stall. */
	assert_string_equal(job_display_state(&hj.jobs[2], 1), "dead");
	hj.jobs[0].event_age_s = 61;
	assert_string_equal(job_display_state(&hj.jobs[0], 60), "stalled");
	assert_true(job_is_live(&hj.jobs[0]));
	assert_false(job_is_live(&hj.jobs[2]));
	jobs_release(&hj);
}

static void
test_find(void **state)
{
	struct host_jobs hj;

	(void)state;
	assert_int_equal(jobs_parse(listing, strlen(listing), &hj), CN_OK);
	assert_ptr_equal(jobs_find(&hj, "b--n@v1-hf"), &hj.jobs[1]);
	assert_ptr_equal(jobs_find(&hj, "a/m"), &hj.jobs[0]);
	assert_ptr_equal(jobs_find(&hj, "b/n@v1"), &hj.jobs[1]);
	assert_null(jobs_find(&hj, "b/n@main"));
	assert_null(jobs_find(&hj, "nope"));
	assert_null(jobs_find(&hj, NULL));
	jobs_release(&hj);
}

static void
test_script(void **state)
{
	char *s;

	(void)state;
	assert_non_null(s = jobs_script("~/data", "abc123"));
	assert_non_null(strstr(s, "\"$HOME\"'/data'"));
	assert_non_null(strstr(s, "payload/\"'abc123'/'cnorch-agent'"));
	assert_non_null(strstr(s, "echo jobs=done"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_cut),
		cmocka_unit_test(test_stalled),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_script),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for jobs.c: the listing's parser, the stalled rule, finding
 * a job by id or repo, the per-source bytes the listing script sums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/*
 * The listing script itself, run by sh on a fake box (HOME a temporary
 * directory, an agent that says nothing) over events.jsonl files as the
 * agent writes them: the per-source bytes each job gets.
 */
static void
test_script_sources(void **state)
{
	static const struct {
		const char *events;
		const char *want;	/* JSON; NULL: no sources */
	} cases[] = {
		/* A running job: its finished files, a tally not twice. */
		{ "{\"ts\":1,\"event\":\"plan\",\"files\":2}\n"
		  "{\"ts\":2,\"event\":\"file_done\",\"path\":\"a\","
		  "\"sources\":{\"hf\":100,\"modelscope\":50}}\n"
		  "{\"ts\":3,\"event\":\"source\",\"path\":\"a\","
		  "\"sources\":{\"hf\":100,\"modelscope\":50}}\n"
		  "{\"ts\":4,\"event\":\"file_done\",\"path\":\"b\","
		  "\"sources\":{\"hf\":7}}\n",
		  "{\"hf\":107,\"modelscope\":50}" },
		/* Ended: every run's done, spaces allowed, odd names not. */
		{ "{\"ts\":2,\"event\":\"file_done\",\"path\":\"a\","
		  "\"sources\":{\"hf\":100}}\n"
		  "{\"ts\":5,\"event\":\"done\",\"status\":\"failed\","
		  "\"sources\":{\"hf\":10}}\n"
		  "{\"ts\":6,\"event\":\"done\",\"status\":\"ok\",\"sources\": "
		  "{\"hf\": 1000, \"modelscope\": 6442450944, \"b\\\"x\": 5}}\n",
		  "{\"hf\":1010,\"modelscope\":6442450944}" },
		/* An agent that does not say. */
		{ "{\"ts\":1,\"event\":\"plan\"}\n"
		  "{\"ts\":2,\"event\":\"done\",\"status\":\"ok\"}\n", NULL },
	};
	char dir[] = "/tmp/cnorch-test-jobs.XXXXXX", path[512], cmd[1024];
	char *script, out[8192];
	struct host_jobs hj;
	size_t i, n;
	json_t *want;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/.cnorch/payload/abc123' && "
	    "printf '#!/bin/sh\\nexit 0\\n' > "
	    "'%s/.cnorch/payload/abc123/cnorch-agent' && "
	    "chmod +x '%s/.cnorch/payload/abc123/cnorch-agent'", dir, dir,
	    dir);
	assert_int_equal(system(cmd), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/.cnorch/jobs/j%zu", dir, i);
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
		assert_int_equal(system(cmd), 0);
		strncat(path, "/events.jsonl", sizeof(path) - strlen(path) - 1);
		assert_non_null(fp = fopen(path, "w"));
		fputs(cases[i].events, fp);
		fclose(fp);
	}
	assert_non_null(script = jobs_script("~/data", "abc123"));
	snprintf(path, sizeof(path), "%s/list.sh", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(script, fp);
	fclose(fp);
	free(script);
	snprintf(cmd, sizeof(cmd), "HOME='%s' sh '%s'", dir, path);
	assert_non_null(fp = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, fp);
	assert_int_equal(pclose(fp), 0);
	out[n] = '\0';
	assert_int_equal(jobs_parse(out, n, &hj), CN_OK);
	assert_int_equal(hj.njobs, sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < hj.njobs; i++) {
		if (cases[i].want == NULL) {
			assert_null(hj.jobs[i].sources);
			continue;
		}
		want = json_loads(cases[i].want, 0, NULL);
		assert_non_null(want);
		assert_true(json_equal(want, hj.jobs[i].sources));
		json_decref(want);
	}
	jobs_release(&hj);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
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
		cmocka_unit_test(test_script_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

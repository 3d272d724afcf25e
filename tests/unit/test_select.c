/*
 * Unit tests for target selection (inventory_select() in
 * inventory/select.c): names, groups, all, comma lists, globs,
 * exclusions, @failed, ssh_config aliases, did-you-mean, order, de-dup.
 */
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
#include "inventory.h"

static char cfg[64];

static const char inventory_json[] =
    "{\"defaults\":{\"connect_timeout\":20},"
    " \"groups\":{\"train\":[\"feat-01\",\"autodl-01\"],"
    "             \"eval\":[\"autodl-03\",\"autodl-03\"],"
    "             \"empty\":[]},"
    " \"hosts\":{\"autodl-01\":{},\"autodl-02\":{},\"autodl-03\":{},"
    "            \"feat-01\":{\"platform\":\"featurize\"}}}";

static const char ssh_config_text[] =
    "Host mybox other\n"
    "  HostName 10.1.2.3\n"
    "  Port 2022\n"
    "  User ml\n"
    "Host *.wild\n"
    "  User w\n"
    "Host *\n"
    "  ServerAliveInterval 5\n";

static int
setup(void **state)
{
	FILE *fp;
	int fd;

	(void)state;
	snprintf(cfg, sizeof(cfg), "/tmp/cn-select-XXXXXX");
	if ((fd = mkstemp(cfg)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		return -1;
	fputs(ssh_config_text, fp);
	return fclose(fp) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return unlink(cfg);
}

static struct inventory *
load(void)
{
	struct inventory_opts opts = { .home = "/h", .ssh_config = cfg };
	struct inventory *inv;
	char *msg;

	if (inventory_load_string(inventory_json, "t.json", &opts, &inv,
	    &msg) != CN_OK)
		fail_msg("load: %s", msg);
	return inv;
}

/* "a,b,c" from the selected hosts' names. */
static char *
names(const struct host **h, size_t n)
{
	char *s = calloc(1, 1024);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, h[i]->name);
	}
	return s;
}

struct sel_case {
	const char	*target;
	int		 nfailed;	/* how many of failed_names to pass */
	int		 r;
	const char	*want;		/* names, or the message on error */
};

static const char *const failed_names[] = { "feat-01", "gone", "autodl-02" };

static const struct sel_case sel_cases[] = {
	{ "autodl-01",		0, CN_OK, "autodl-01" },
	{ "train",		0, CN_OK, "autodl-01,feat-01" },
	{ "eval",		0, CN_OK, "autodl-03" },
	{ "all",		0, CN_OK, "autodl-01,autodl-02,autodl-03,feat-01" },
	{ NULL,			0, CN_OK, "autodl-01,autodl-02,autodl-03,feat-01" },
	/* Inventory order and no duplicates, whatever the target says. */
	{ "feat-01,autodl-01",	0, CN_OK, "autodl-01,feat-01" },
	{ "autodl-01,train,autodl-01,feat-01", 0, CN_OK, "autodl-01,feat-01" },
	{ " autodl-02 , feat-01 ", 0, CN_OK, "autodl-02,feat-01" },
	{ "all,train",		0, CN_OK, "autodl-01,autodl-02,autodl-03,feat-01" },
	/* Globs. */
	{ "autodl-*",		0, CN_OK, "autodl-01,autodl-02,autodl-03" },
	{ "autodl-0[13]",	0, CN_OK, "autodl-01,autodl-03" },
	{ "*-01",		0, CN_OK, "autodl-01,feat-01" },
	{ "?eat-01",		0, CN_OK, "feat-01" },
	/* Exclusions, in any position. */
	{ "autodl-*,!autodl-02", 0, CN_OK, "autodl-01,autodl-03" },
	{ "!autodl-02,autodl-*", 0, CN_OK, "autodl-01,autodl-03" },
	{ "!autodl-02",		0, CN_OK, "autodl-01,autodl-03,feat-01" },
	{ "all,!train",		0, CN_OK, "autodl-02,autodl-03" },
	{ "!autodl-*",		0, CN_OK, "feat-01" },
	{ "!train,!eval",	0, CN_OK, "autodl-02" },
	/* @failed. */
	{ "@failed",		3, CN_OK, "autodl-02,feat-01" },
	{ "all,!@failed",	3, CN_OK, "autodl-01,autodl-03" },
	{ "@failed,autodl-01",	1, CN_OK, "autodl-01,feat-01" },
	{ "@failed",		0, CN_ERR_NOT_FOUND,
	  "target '@failed' matches no hosts" },
	/* Empty results. */
	{ "nomatch*",		0, CN_ERR_NOT_FOUND,
	  "target 'nomatch*' matches no hosts" },
	{ "autodl-01,!autodl-01", 0, CN_ERR_NOT_FOUND,
	  "target 'autodl-01,!autodl-01' matches no hosts" },
	{ "empty",		0, CN_ERR_NOT_FOUND,
	  "target 'empty' matches no hosts" },
	{ "!all",		0, CN_ERR_NOT_FOUND, "target '!all' matches no hosts" },
	/* Unknown names, with a suggestion when one is close. */
	{ "autodl-1",		0, CN_ERR_NOT_FOUND,
	  "unknown host or group 'autodl-1' (did you mean 'autodl-01'?)" },
	{ "trian",		0, CN_ERR_NOT_FOUND,
	  "unknown host or group 'trian' (did you mean 'train'?)" },
	{ "AUTODL-02",		0, CN_ERR_NOT_FOUND,
	  "unknown host or group 'AUTODL-02' (did you mean 'autodl-02'?)" },
	{ "alll",		0, CN_ERR_NOT_FOUND,
	  "unknown host or group 'alll' (did you mean 'all'?)" },
	{ "zzzzzzzz",		0, CN_ERR_NOT_FOUND,
	  "unknown host or group 'zzzzzzzz'" },
	{ "autodl-01,!nope",	0, CN_ERR_NOT_FOUND,
	  "unknown host or group 'nope'" },
	/* Only named by a wildcard Host line: not a host. */
	{ "x.wild",		0, CN_ERR_NOT_FOUND,
	  "unknown host or group 'x.wild'" },
	/* Names from concrete Host lines are suggested too. */
	{ "mybxo",		0, CN_ERR_NOT_FOUND,
	  "unknown host or group 'mybxo' (did you mean 'mybox'?)" },
	{ "@failure",		0, CN_ERR_NOT_FOUND,
	  "unknown host or group '@failure'" },
	/* Malformed targets. */
	{ "autodl-01,,feat-01",	0, CN_ERR_INVALID,
	  "empty name in target 'autodl-01,,feat-01'" },
	{ "",			0, CN_ERR_INVALID, "empty name in target ''" },
	{ "autodl-01,!",	0, CN_ERR_INVALID,
	  "empty name in target 'autodl-01,!'" },
	/* ssh_config aliases: appended after the file's hosts. */
	{ "mybox",		0, CN_OK, "mybox" },
	{ "mybox,autodl-02,other", 0, CN_OK, "autodl-02,mybox,other" },
	{ "!mybox",		0, CN_OK, "autodl-01,autodl-02,autodl-03,feat-01" },
};

static void
test_select_table(void **state)
{
	const struct sel_case *c;
	struct inventory *inv;
	const struct host **out;
	size_t n, i;
	char *msg, *got;
	int r;

	(void)state;
	for (i = 0; i < sizeof(sel_cases) / sizeof(sel_cases[0]); i++) {
		c = &sel_cases[i];
		inv = load();
		out = (const struct host **)&out;	/* must be reset */
		n = 99;
		msg = (char *)"unset";
		r = inventory_select(inv, c->target, failed_names,
		    (size_t)c->nfailed, &out, &n, &msg);
		if (r != c->r)
			fail_msg("case %zu '%s': r=%d want %d (%s)", i,
			    c->target, r, c->r, msg != NULL ? msg : "");
		if (r == CN_OK) {
			assert_null(msg);
			got = names(out, n);
			if (strcmp(got, c->want) != 0)
				fail_msg("case %zu '%s': got %s want %s", i,
				    c->target, got, c->want);
			free(got);
		} else {
			assert_null(out);
			assert_int_equal(n, 0);
			if (msg == NULL || strcmp(msg, c->want) != 0)
				fail_msg("case %zu '%s': got '%s' want '%s'", i,
				    c->target, msg != NULL ? msg : "(null)",
				    c->want);
			free(msg);
		}
		free(out);
		inventory_destroy(inv);
	}
}

static void
test_ssh_alias_host(void **state)
{
	struct inventory *inv;
	const struct host **out, *h;
	size_t n;
	char *msg;

	(void)state;
	inv = load();
	assert_int_equal(inventory_count(inv), 4);
	assert_null(inventory_find(inv, "mybox"));
	assert_int_equal(inventory_select(inv, "mybox", NULL, 0, &out, &n,
	    &msg), CN_OK);
	assert_int_equal(n, 1);
	h = out[0];
	free(out);
	assert_string_equal(h->name, "mybox");
	assert_string_equal(h->hostname, "10.1.2.3");
	assert_int_equal(h->port, 2022);
	assert_string_equal(h->user, "ml");
	assert_true(h->from_ssh_config);
	/* The inventory's defaults and the built-ins apply. */
	assert_int_equal(h->connect_timeout, 20);
	assert_string_equal(h->data_dir, "~/cnorch-data");
	assert_string_equal(h->known_hosts, "/h/.ssh/known_hosts");
	assert_int_equal(h->npulls, 0);
	/* Added to the inventory once, and the pointer stays valid. */
	assert_int_equal(inventory_count(inv), 5);
	assert_ptr_equal(inventory_find(inv, "mybox"), h);
	assert_int_equal(inventory_select(inv, "mybox,autodl-01", NULL, 0,
	    &out, &n, &msg), CN_OK);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[1], h);
	free(out);
	assert_int_equal(inventory_count(inv), 5);
	/* "all" is the inventory file's hosts, not what select added. */
	assert_int_equal(inventory_select(inv, "all", NULL, 0, &out, &n,
	    &msg), CN_OK);
	assert_int_equal(n, 4);
	free(out);
	/* Globs now see it. */
	assert_int_equal(inventory_select(inv, "my*", NULL, 0, &out, &n,
	    &msg), CN_OK);
	assert_int_equal(n, 1);
	assert_ptr_equal(out[0], h);
	free(out);
	/* @failed may name an alias too. */
	{
		const char *const f[] = { "other" };

		assert_int_equal(inventory_select(inv, "@failed", f, 1, &out,
		    &n, &msg), CN_OK);
		assert_int_equal(n, 1);
		assert_string_equal(out[0]->name, "other");
		assert_true(out[0]->from_ssh_config);
		free(out);
	}
	inventory_destroy(inv);
}

static void
test_no_ssh_config(void **state)
{
	struct inventory_opts opts = { .home = "/h", .ssh_config = "" };
	struct inventory *inv;
	const struct host **out;
	size_t n;
	char *msg;

	(void)state;
	assert_int_equal(inventory_load_string(inventory_json, "t.json", &opts,
	    &inv, &msg), CN_OK);
	assert_int_equal(inventory_select(inv, "mybox", NULL, 0, &out, &n,
	    &msg), CN_ERR_NOT_FOUND);
	assert_null(out);
	assert_string_equal(msg, "unknown host or group 'mybox'");
	free(msg);
	inventory_destroy(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_table),
		cmocka_unit_test(test_ssh_alias_host),
		cmocka_unit_test(test_no_ssh_config),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

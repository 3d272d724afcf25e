/*
 * Unit tests for inventory/inventory_edit.c (`cnorch add` / `rm-host`):
 * the host lands in the file with the rest kept in its order, a new file
 * is 0600, duplicates and bad values are refused without touching the
 * file, removal takes the host out of its groups, no temporary is left.
 */
#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "error.h"
#include "inventory.h"
#include "inventory_edit.h"

static char dir[64];

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cn-edit-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
slurp(const char *path)
{
	char *text = NULL;
	size_t n = 0;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return NULL;
	if (getdelim(&text, &n, '\0', fp) < 0) {
		free(text);
		text = strdup("");
	}
	fclose(fp);
	return text;
}

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Only the inventory itself in the directory: no temporaries left. */
static void
only_file(const char *d, const char *name)
{
	struct dirent *de;
	DIR *dp = opendir(d);

	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, name) != 0)
			fail_msg("left behind: %s", de->d_name);
	closedir(dp);
}

static void
test_create(void **state)
{
	struct host_entry e = { .name = "autodl-01",
	    .host = "region-9.autodl.com", .port = 41234, .user = "root",
	    .identity_file = "~/.ssh/k", .platform = "autodl",
	    .group = "train" };
	struct inventory *inv;
	const struct host *h;
	struct stat st;
	char path[128], sub[96], *msg = NULL;
	const struct inventory_opts o = { .home = "/h", .ssh_config = "" };

	(void)state;
	/* The directory is made too, as for ~/.config/cnorch/. */
	snprintf(sub, sizeof(sub), "%s/cfg/cnorch", dir);
	snprintf(path, sizeof(path), "%s/inventory.json", sub);
	assert_int_equal(inventory_add_host(path, &e, &msg), CN_OK);
	assert_null(msg);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	only_file(sub, "inventory.json");

	assert_int_equal(inventory_load(path, &o, &inv, &msg), CN_OK);
	h = inventory_find(inv, "autodl-01");
	assert_non_null(h);
	assert_string_equal(h->hostname, "region-9.autodl.com");
	assert_int_equal(h->port, 41234);
	assert_string_equal(h->identity_file, "/h/.ssh/k");
	assert_string_equal(h->platform, "autodl");
	inventory_destroy(inv);
	{
		const struct host **sel;
		size_t n;

		assert_int_equal(inventory_load(path, &o, &inv, &msg), CN_OK);
		assert_int_equal(inventory_select(inv, "train", NULL, 0, &sel,
		    &n, &msg), CN_OK);
		assert_int_equal(n, 1);
		free(sel);
		inventory_destroy(inv);
	}
}

static void
test_keep_rest(void **state)
{
	static const char before[] =
	    "{\"hosts\": {\"z-last\": {\"port\": 2, \"host\": \"z\"},\n"
	    "  \"a-first\": {\"data_dir\": \"/d\"}},\n"
	    " \"groups\": {\"g\": [\"z-last\"]},\n"
	    " \"defaults\": {\"user\": \"u\", \"connect_timeout\": 7}}\n";
	struct host_entry e = { .name = "new", .host = "10.0.0.9",
	    .password_env = "NEW_PW", .group = "g" };
	char path[128], *msg = NULL, *text;
	const char *z, *a, *g, *d, *n;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/inv.json", dir);
	put(path, before);
	chmod(path, 0640);
	assert_int_equal(inventory_add_host(path, &e, &msg), CN_OK);
	text = slurp(path);
	/* Key order as it was, the new host last in hosts and in g. */
	z = strstr(text, "\"z-last\": {");
	a = strstr(text, "\"a-first\"");
	n = strstr(text, "\"new\": {");
	g = strstr(text, "\"groups\"");
	d = strstr(text, "\"defaults\"");
	assert_true(z != NULL && a != NULL && n != NULL && g != NULL &&
	    d != NULL);
	assert_true(z < a && a < n && n < g && g < d);
	assert_non_null(strstr(text, "\"port\": 2,\n"));
	assert_non_null(strstr(text, "\"connect_timeout\": 7"));
	assert_non_null(strstr(text, "\"password_env\": \"NEW_PW\""));
	assert_non_null(strstr(g, "\"z-last\",\n      \"new\""));
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);	/* kept */

	/* Refusals leave the file as it was. */
	text = slurp(path);
	e.host = "10.0.0.10";
	assert_int_equal(inventory_add_host(path, &e, &msg), CN_ERR_EXISTS);
	assert_non_null(strstr(msg, "host 'new' exists already"));
	free(msg);
	msg = NULL;
	e.name = "g";
	assert_int_equal(inventory_add_host(path, &e, &msg), CN_ERR_EXISTS);
	free(msg);
	msg = NULL;
	e.name = "bad";
	e.host = "h;id";
	assert_int_equal(inventory_add_host(path, &e, &msg), CN_ERR_INVALID);
	assert_non_null(strstr(msg, "hosts.bad.host: expected a host name or "
	    "address"));
	free(msg);
	msg = NULL;
	e.host = "h";
	e.platform = "nosuch";
	assert_int_equal(inventory_add_host(path, &e, &msg), CN_ERR_INVALID);
	assert_non_null(strstr(msg, "hosts.bad.platform: unknown platform "
	    "'nosuch'"));
	free(msg);
	msg = NULL;
	{
		char *after = slurp(path);

		assert_string_equal(after, text);
		free(after);
	}
	free(text);
	only_file(dir, "inv.json");
}

static void
test_remove(void **state)
{
	char path[128], *msg = NULL, *text;

	(void)state;
	snprintf(path, sizeof(path), "%s/rm.json", dir);
	put(path, "{\"hosts\": {\"a\": {}, \"b\": {}}, \"groups\": "
	    "{\"g\": [\"a\", \"b\", \"a\"], \"h\": [\"a\"]}}");
	assert_int_equal(inventory_remove_host(path, "a", &msg), CN_OK);
	assert_null(msg);
	text = slurp(path);
	assert_null(strstr(text, "\"a\""));
	assert_non_null(strstr(text, "\"g\": [\n      \"b\"\n    ]"));
	assert_non_null(strstr(text, "\"h\": []"));
	free(text);
	assert_int_equal(inventory_remove_host(path, "a", &msg),
	    CN_ERR_NOT_FOUND);
	assert_string_equal(strstr(msg, "no host 'a'"), "no host 'a'");
	free(msg);
	msg = NULL;
	snprintf(path, sizeof(path), "%s/none.json", dir);
	assert_int_equal(inventory_remove_host(path, "a", &msg),
	    CN_ERR_NOT_FOUND);
	assert_non_null(strstr(msg, "No such file"));
	free(msg);
}

static void
test_ansible_refused(void **state)
{
	struct host_entry e = { .name = "x", .host = "h" };
	char path[128], *msg = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/hosts.ini", dir);
	put(path, "[web]\nh1\n");
	assert_int_equal(inventory_add_host(path, &e, &msg),
	    CN_ERR_UNSUPPORTED);
	assert_non_null(strstr(msg, "is an Ansible inventory"));
	free(msg);
	msg = NULL;
	snprintf(path, sizeof(path), "%s/broken.json", dir);
	put(path, "{\"hosts\": ");
	assert_int_equal(inventory_add_host(path, &e, &msg), CN_ERR_PARSE);
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_rest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ansible_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

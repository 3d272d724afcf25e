/*
 * Unit tests for Ansible inventories (inventory/ansible*.c): an INI and a
 * YAML inventory select the same hosts with the same fields as the
 * equivalent JSON one (tests/fixtures/inventories/), cnorch's inventory
 * written as Ansible YAML (whole or a selection) reads back the same,
 * the format guess, host
 * ranges, and refusals (ansible_password, malformed files).
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

#include "ansible.h"
#include "error.h"
#include "inventory.h"

#ifndef CN_FIXTURES
#error "CN_FIXTURES must name tests/fixtures/inventories"
#endif

static const struct inventory_opts no_ssh = { .home = "/h", .ssh_config = "" };

static struct inventory *
load(const char *path)
{
	struct inventory *inv = NULL;
	char *msg = NULL;

	if (inventory_load(path, &no_ssh, &inv, &msg) != CN_OK)
		fail_msg("load %s: %s", path, msg);
	assert_null(msg);
	return inv;
}

static void
same_str(const char *what, const char *name, const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		fail_msg("%s: %s: '%s' vs '%s'", name, what,
		    a != NULL ? a : "(null)", b != NULL ? b : "(null)");
}

/* Every field a user would check, compared one by one. */
static void
same_host(const struct host *a, const struct host *b)
{
	size_t i;

	same_str("hostname", a->name, a->hostname, b->hostname);
	assert_int_equal(a->port, b->port);
	same_str("user", a->name, a->user, b->user);
	same_str("identity_file", a->name, a->identity_file, b->identity_file);
	same_str("password_env", a->name, a->password_env, b->password_env);
	same_str("hf_token_env", a->name, a->hf_token_env, b->hf_token_env);
	same_str("platform", a->name, a->platform, b->platform);
	same_str("data_dir", a->name, a->data_dir, b->data_dir);
	same_str("mirrors.hf", a->name, a->mirrors.hf, b->mirrors.hf);
	same_str("proxy", a->name, a->proxy, b->proxy);
	assert_int_equal(a->proxy_in_shells, b->proxy_in_shells);
	assert_int_equal(a->connect_timeout, b->connect_timeout);
	same_str("known_hosts_policy", a->name, a->known_hosts_policy,
	    b->known_hosts_policy);
	assert_int_equal(a->npulls, b->npulls);
	for (i = 0; i < a->npulls; i++) {
		same_str("repo", a->name, a->pulls[i].repo, b->pulls[i].repo);
		same_str("revision", a->name, a->pulls[i].revision,
		    b->pulls[i].revision);
		same_str("source", a->name, a->pulls[i].source,
		    b->pulls[i].source);
	}
}

static void
same_selection(struct inventory *a, struct inventory *b, const char *target)
{
	const struct host **sa = NULL, **sb = NULL;
	size_t na = 0, nb = 0, i, k;
	char *msg = NULL;

	if (inventory_select(a, target, NULL, 0, &sa, &na, &msg) != CN_OK)
		fail_msg("select '%s' (json): %s", target, msg);
	if (inventory_select(b, target, NULL, 0, &sb, &nb, &msg) != CN_OK)
		fail_msg("select '%s' (ansible): %s", target, msg);
	if (na != nb)
		fail_msg("target '%s': %zu hosts vs %zu", target, na, nb);
	for (i = 0; i < na; i++) {
		for (k = 0; k < nb; k++)
			if (strcmp(sa[i]->name, sb[k]->name) == 0)
				break;
		if (k == nb)
			fail_msg("target '%s': %s missing", target,
			    sa[i]->name);
		same_host(sa[i], sb[k]);
	}
	free(sa);
	free(sb);
}

static const char *const targets[] = { "all", "train", "autodl",
    "!train", "fz-01,lab", "autodl-0*", "train,!autodl-02" };

static void
compare_to_json(const char *path)
{
	struct inventory *j = load(CN_FIXTURES "/fleet.json"), *a = load(path);
	size_t i;

	assert_int_equal(inventory_count(j), 4);
	assert_int_equal(inventory_count(a), 4);
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		same_selection(j, a, targets[i]);
	inventory_destroy(j);
	inventory_destroy(a);
}

static void
test_ini_same_as_json(void **state)
{
	(void)state;
	compare_to_json(CN_FIXTURES "/fleet.ini");
}

static void
test_yaml_same_as_json(void **state)
{
	(void)state;
	compare_to_json(CN_FIXTURES "/fleet.yml");
}

/* The fixtures really say what the comparison relies on. */
static void
test_fields(void **state)
{
	struct inventory *inv = load(CN_FIXTURES "/fleet.ini");
	const struct host *h;

	(void)state;
	h = inventory_find(inv, "autodl-02");
	assert_non_null(h);
	assert_string_equal(h->hostname, "region-9.autodl.com");
	assert_int_equal(h->port, 41235);
	assert_string_equal(h->data_dir, "/root/autodl-tmp/x");
	assert_int_equal(h->connect_timeout, 15);	/* child beats parent */
	h = inventory_find(inv, "autodl-01");
	assert_string_equal(h->data_dir, "/root/autodl-tmp");	/* host wins */
	assert_string_equal(h->identity_file, "/h/.ssh/id_ed25519");
	assert_int_equal(h->npulls, 1);
	assert_string_equal(h->pulls[0].repo, "Qwen/Qwen2.5-7B-Instruct");
	h = inventory_find(inv, "fz-01");
	assert_int_equal(h->port, 2222);
	assert_int_equal(h->connect_timeout, 30);
	assert_true(h->proxy_in_shells);
	assert_string_equal(h->user, "featurize");
	h = inventory_find(inv, "lab");
	assert_null(h->platform);
	assert_string_equal(h->user, "root");
	assert_string_equal(h->hf_token_env, "HF_TOKEN");
	inventory_destroy(inv);
}

static char *
write_tmp(const char *ext, const char *text)
{
	char *path;
	FILE *fp;

	if (asprintf(&path, "/tmp/cn-ansible-%d-%zu%s", (int)getpid(),
	    strlen(text), ext) < 0)
		fail();
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* JSON -> Ansible YAML -> the same hosts. */
static void
test_write_roundtrip(void **state)
{
	struct inventory *j = load(CN_FIXTURES "/fleet.json"), *a;
	char *msg = NULL, path[64], *text = NULL;
	size_t i, n = 0;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/cn-ansible-rt-%d.yml",
	    (int)getpid());
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(inventory_write_ansible(j, fp, &msg), CN_OK);
	assert_null(msg);
	fclose(fp);
	a = load(path);
	assert_int_equal(inventory_count(a), 4);
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		same_selection(j, a, targets[i]);
	/* What a person reads: Ansible's names, cnorch's under cnorch_. */
	assert_non_null(fp = fopen(path, "r"));
	assert_true(getdelim(&text, &n, '\0', fp) > 0);
	fclose(fp);
	assert_non_null(strstr(text, "ansible_host: region-9.autodl.com"));
	assert_non_null(strstr(text, "ansible_port: 41234"));
	assert_non_null(strstr(text, "cnorch_platform: autodl"));
	assert_non_null(strstr(text, "cnorch_pulls: '[{\"repo\":"));
	free(text);
	unlink(path);
	inventory_destroy(j);
	inventory_destroy(a);
}

/* A selection written: just those hosts, their groups cut down to them,
 * and each reads back with the same fields (`cnorch hosts --ansible T`). */
static void
test_write_selected(void **state)
{
	static const struct {
		const char	*target;
		size_t		 nhosts;
		const char	*groups;	/* that must select, "," list */
		const char	*absent;	/* group that must be gone */
	} cases[] = {
		{ "autodl-02,fz-01", 2, "autodl,train", NULL },
		{ "lab", 1, NULL, "train" },
		{ "autodl", 2, "autodl,train", NULL },
		{ "fz-01", 1, "train", "autodl" },
	};
	struct inventory *j = load(CN_FIXTURES "/fleet.json"), *a;
	const struct host **sel = NULL;
	const char **names;
	char *msg = NULL, path[64], *g, *gs, *save;
	size_t i, k, n;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/cn-ansible-sel-%d.yml",
	    (int)getpid());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(inventory_select(j, cases[i].target, NULL, 0,
		    &sel, &n, &msg), CN_OK);
		assert_int_equal(n, cases[i].nhosts);
		assert_non_null(names = calloc(n, sizeof(*names)));
		for (k = 0; k < n; k++)
			names[k] = sel[k]->name;
		assert_non_null(fp = fopen(path, "w"));
		assert_int_equal(inventory_write_ansible_hosts(j, names, n, fp,
		    &msg), CN_OK);
		fclose(fp);
		a = load(path);
		if (inventory_count(a) != n)
			fail_msg("%s: %zu hosts written, want %zu",
			    cases[i].target, inventory_count(a), n);
		for (k = 0; k < n; k++) {
			assert_non_null(inventory_find(a, names[k]));
			same_host(inventory_find(j, names[k]),
			    inventory_find(a, names[k]));
		}
		same_selection(j, a, cases[i].target);
		if (cases[i].groups != NULL) {
			assert_non_null(gs = strdup(cases[i].groups));
			for (g = strtok_r(gs, ",", &save); g != NULL;
			    g = strtok_r(NULL, ",", &save)) {
				const struct host **x = NULL;
				size_t nx = 0;

				if (inventory_select(a, g, NULL, 0, &x, &nx,
				    &msg) != CN_OK)
					fail_msg("%s: group %s: %s",
					    cases[i].target, g, msg);
				free(x);
			}
			free(gs);
		}
		if (cases[i].absent != NULL) {
			const struct host **x = NULL;
			size_t nx = 0;

			assert_int_not_equal(inventory_select(a,
			    cases[i].absent, NULL, 0, &x, &nx, &msg), CN_OK);
			free(msg);
			msg = NULL;
			free(x);
		}
		inventory_destroy(a);
		free(names);
		free(sel);
		sel = NULL;
	}
	unlink(path);
	inventory_destroy(j);
}

static void
test_format_guess(void **state)
{
	static const struct {
		const char		*path;
		const char		*text;
		enum inventory_format	 fmt;
	} rows[] = {
		{ "x.json", "[web]\n", INVENTORY_JSON },
		{ "x.ini", "{}", INVENTORY_INI },
		{ "x.yml", "", INVENTORY_YAML },
		{ "x.YAML", "", INVENTORY_YAML },
		{ "inventory", "{\"hosts\":{}}", INVENTORY_JSON },
		{ "inventory", "\n# c\n  {", INVENTORY_JSON },
		{ "hosts", "[web]\nh1\n", INVENTORY_INI },
		{ "hosts", "# x\nh1 ansible_host=1.2.3.4\n", INVENTORY_INI },
		{ "hosts", "all:\n  hosts:\n", INVENTORY_YAML },
		{ "hosts", "---\nall:\n", INVENTORY_YAML },
		{ "hosts", "[1, 2]", INVENTORY_JSON },
		{ "dir.d/hosts", "web:\n", INVENTORY_YAML },
		{ NULL, "", INVENTORY_JSON },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (inventory_format_guess(rows[i].path, rows[i].text,
		    strlen(rows[i].text)) != rows[i].fmt)
			fail_msg("row %zu: %s", i, rows[i].text);
}

static void
test_ranges(void **state)
{
	struct inventory *inv;
	char *path;

	(void)state;
	path = write_tmp(".ini", "[gpu]\nbox[01:03] ansible_port=2200\n"
	    "db-[a:b]\nw[1:9:4]\n");
	inv = load(path);
	assert_int_equal(inventory_count(inv), 8);	/* 3 + 2 + 3 */
	assert_non_null(inventory_find(inv, "box01"));
	assert_non_null(inventory_find(inv, "box03"));
	assert_int_equal(inventory_find(inv, "box02")->port, 2200);
	assert_non_null(inventory_find(inv, "db-b"));
	assert_non_null(inventory_find(inv, "w5"));
	assert_non_null(inventory_find(inv, "w9"));
	assert_null(inventory_find(inv, "w2"));
	inventory_destroy(inv);
	unlink(path);
	free(path);
}

/* YAML scalars typed as Ansible's PyYAML types them. */
static void
test_yaml_types(void **state)
{
	struct inventory *inv;
	const struct host *h;
	char *path;

	(void)state;
	path = write_tmp(".yaml", "---\nall:\n  hosts:\n    h1:\n"
	    "      ansible_host: 1234\n      ansible_port: \"2200\"\n"
	    "      cnorch_proxy_in_shells: yes\n"
	    "      cnorch_pulls: '[\"org/a\"]'\n"
	    "      other_var: [1, 2]\n");
	inv = load(path);
	h = inventory_find(inv, "h1");
	assert_non_null(h);
	assert_string_equal(h->hostname, "1234");
	assert_int_equal(h->port, 2200);
	assert_true(h->proxy_in_shells);
	assert_int_equal(h->npulls, 1);
	assert_string_equal(h->pulls[0].repo, "org/a");
	inventory_destroy(inv);
	unlink(path);
	free(path);
}

static void
test_refused(void **state)
{
	static const struct {
		const char	*ext;
		const char	*text;
		int		 r;
		const char	*msg;	/* after "inventory 'PATH': " */
	} rows[] = {
		{ ".ini", "h1 ansible_password=hunter2\n", CN_ERR_INVALID,
		  "host 'h1': ansible_password: passwords are never stored in "
		  "the inventory: put it in an environment variable and name "
		  "that in 'cnorch_password_env'" },
		{ ".yml", "all:\n  vars:\n    ansible_ssh_pass: x\n",
		  CN_ERR_INVALID, "all:vars: ansible_ssh_pass: passwords are "
		  "never stored in the inventory: put it in an environment "
		  "variable and name that in 'cnorch_password_env'" },
		{ ".ini", "[web\nh1\n", CN_ERR_PARSE,
		  "line 1: expected ']' to end the section name" },
		{ ".ini", "[web:hosts]\n", CN_ERR_PARSE, "line 1: unknown "
		  "section kind ':hosts' (expected ':vars' or ':children')" },
		{ ".ini", "[web]\nh1 port\n", CN_ERR_PARSE,
		  "line 2: expected key=value, not 'port'" },
		{ ".ini", "h1 a='x\n", CN_ERR_PARSE,
		  "line 1: unterminated quote" },
		{ ".ini", "box[3:1]\n", CN_ERR_PARSE, "line 1: host 'box[3:1]': "
		  "range start after its end, or too many hosts" },
		{ ".ini", "h1 cnorch_prot=22\n", CN_ERR_INVALID,
		  "hosts.h1.prot: unknown key (did you mean 'port'?)" },
		{ ".ini", "h1 ansible_port=http\n", CN_ERR_INVALID,
		  "hosts.h1.port: expected an integer 1-65535" },
		{ ".ini", "h1 cnorch_pulls='[{\"repo\": \"a/b;id\"}]'\n",
		  CN_ERR_INVALID, "hosts.h1.pulls[0].repo: expected 'org/name' "
		  "(letters, digits, '.', '_', '-')" },
		{ ".yml", "all:\n  hots:\n    h1:\n", CN_ERR_INVALID, "all.hots: "
		  "unknown key (expected 'hosts', 'vars' or 'children')" },
		{ ".yml", "all:\n  hosts: [h1]\n", CN_ERR_INVALID, "all.hosts: "
		  "expected a mapping of host names" },
		{ ".yml", "all:\n  hosts:\n  h1: {\n", CN_ERR_PARSE, NULL },
		{ ".yml", "- a\n", CN_ERR_INVALID, "(top): expected a mapping "
		  "of groups (such as 'all:')" },
		{ ".yml", "all:\n  hosts:\n    ? [a, b]\n    : x\n",
		  CN_ERR_INVALID, "(top): a mapping key that is not plain "
		  "text" },
	};
	struct inventory *inv;
	char *path, *msg, want[512];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		path = write_tmp(rows[i].ext, rows[i].text);
		inv = NULL;
		msg = NULL;
		r = inventory_load(path, &no_ssh, &inv, &msg);
		snprintf(want, sizeof(want), "inventory '%s': %s", path,
		    rows[i].msg != NULL ? rows[i].msg : "");
		if (r != rows[i].r || msg == NULL || (rows[i].msg != NULL ?
		    strcmp(msg, want) != 0 : strncmp(msg, want,
		    strlen(want)) != 0))
			fail_msg("row %zu: got %d '%s'\nwant %d '%s'", i, r,
			    msg != NULL ? msg : "(null)", rows[i].r, want);
		assert_null(inv);
		free(msg);
		unlink(path);
		free(path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_same_as_json),
		cmocka_unit_test(test_yaml_same_as_json),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_write_selected),
		cmocka_unit_test(test_format_guess),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_yaml_types),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

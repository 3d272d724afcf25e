/* Unit tests for the ssh_config reader (inventory/ssh_config.c). */
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
#include "ssh_config.h"

static char home[64];

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
	char ssh[128];

	(void)state;
	snprintf(home, sizeof(home), "/tmp/cn-sshcfg-XXXXXX");
	if (mkdtemp(home) == NULL)
		return -1;
	snprintf(ssh, sizeof(ssh), "%s/.ssh", home);
	return mkdir(ssh, 0700);
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(home, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write home/rel (parents must exist); returns the malloc'd path. */
static char *
put(const char *rel, const char *text)
{
	char *p;
	FILE *fp;

	assert_true(asprintf(&p, "%s/%s", home, rel) > 0);
	assert_non_null(fp = fopen(p, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	return p;
}

static void
mkdir_rel(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", home, rel);
	assert_int_equal(mkdir(p, 0700), 0);
}

static char *
in_home(const char *rel)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", home, rel) > 0);
	return p;
}

struct lookup_case {
	const char	*config;	/* text of ~/.ssh/config */
	const char	*alias;
	const char	*hostname;	/* expected; NULL = unset */
	int		 port;
	const char	*user;
	const char	*identity;	/* relative to home, or NULL */
	bool		 concrete;
};

static const struct lookup_case lookup_cases[] = {
	{ "Host a\n  HostName h.example\n  Port 2200\n  User bob\n"
	  "  IdentityFile ~/.ssh/id_a\n",
	  "a", "h.example", 2200, "bob", ".ssh/id_a", true },
	/* Not matched at all. */
	{ "Host a\n  HostName h.example\n", "b", NULL, 0, NULL, NULL, false },
	/* First obtained value wins; Host * is not concrete. */
	{ "Host a\n Port 1\nHost *\n Port 2\n User u\n",
	  "a", NULL, 1, "u", NULL, true },
	{ "Host a\n Port 1\nHost *\n Port 2\n User u\n",
	  "b", NULL, 2, "u", NULL, false },
	/* Several patterns on one line. */
	{ "Host x y z\n User yy\n", "y", NULL, 0, "yy", NULL, true },
	/* Negation. */
	{ "Host *.ex !bad.ex\n User u\n", "good.ex", NULL, 0, "u", NULL, false },
	{ "Host *.ex !bad.ex\n User u\n", "bad.ex", NULL, 0, NULL, NULL, false },
	{ "Host a !a\n User u\n", "a", NULL, 0, NULL, NULL, false },
	{ "Host ?b\n User q\n", "ab", NULL, 0, "q", NULL, false },
	/* Keywords and patterns are case-insensitive. */
	{ "HOST A\n HOSTNAME H\n user U\n", "a", "H", 0, "U", NULL, true },
	/* key=value forms. */
	{ "Host a\nPort=2222\nUser = bob\nHostName =h\n",
	  "a", "h", 2222, "bob", NULL, true },
	{ "Host=a\nUser=bob\n", "a", NULL, 0, "bob", NULL, true },
	/* Quotes, comments, backslash escapes. */
	{ "# a comment\nHost a # trailing\n  IdentityFile \"~/my keys/id a\"\n"
	  "  User 'bob' # who\n",
	  "a", NULL, 0, "bob", "my keys/id a", true },
	{ "Host a\n IdentityFile ~/x\\ y\n", "a", NULL, 0, NULL, "x y", true },
	/* %h and %% in HostName; %d %h %n %% in IdentityFile. */
	{ "Host *.short\n HostName %h.example.com\n", "a.short",
	  "a.short.example.com", 0, NULL, NULL, false },
	{ "Host a\n HostName h\n IdentityFile %d/.ssh/%h_%n_%%_%r\n", "a",
	  "h", 0, NULL, ".ssh/h_a_%_%r", true },
	/* Lines before the first Host apply to every host. */
	{ "User top\nHost a\n User u\n", "a", NULL, 0, "top", NULL, true },
	/* Match blocks are skipped, up to the next Host. */
	{ "Match host a\n User m\nHost a\n User u\n", "a", NULL, 0, "u", NULL,
	  true },
	{ "Host a\n Port 1\nMatch all\n User m\n", "a", NULL, 1, NULL, NULL,
	  true },
	/* Blank lines and other keywords are fine. */
	{ "\n\nHost a\n\n  ServerAliveInterval 5\n  ForwardAgent yes\n"
	  "  Port 7\n", "a", NULL, 7, NULL, NULL, true },
};

static void
test_lookup_table(void **state)
{
	const struct lookup_case *c;
	struct ssh_config_entry e;
	char *path, *msg, *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++) {
		c = &lookup_cases[i];
		path = put(".ssh/config", c->config);
		msg = (char *)"unset";
		if (ssh_config_lookup(path, home, c->alias, &e, &msg) != CN_OK)
			fail_msg("case %zu: %s", i, msg);
		assert_null(msg);
		if (c->hostname == NULL)
			assert_null(e.hostname);
		else
			assert_string_equal(e.hostname, c->hostname);
		assert_int_equal(e.port, c->port);
		if (c->user == NULL)
			assert_null(e.user);
		else
			assert_string_equal(e.user, c->user);
		if (c->identity == NULL)
			assert_null(e.identity_file);
		else {
			want = in_home(c->identity);
			assert_string_equal(e.identity_file, want);
			free(want);
		}
		if (e.concrete != c->concrete)
			fail_msg("case %zu: concrete %d", i, e.concrete);
		ssh_config_entry_release(&e);
		assert_null(e.user);
		free(path);
	}
}

static void
test_missing_and_none(void **state)
{
	struct ssh_config_entry e;
	char *msg, *p;

	(void)state;
	p = in_home(".ssh/nope");
	assert_int_equal(ssh_config_lookup(p, home, "a", &e, &msg), CN_OK);
	assert_null(e.hostname);
	assert_int_equal(e.port, 0);
	assert_false(e.concrete);
	ssh_config_entry_release(&e);
	assert_int_equal(ssh_config_lookup("", home, "a", &e, &msg), CN_OK);
	assert_null(e.user);
	assert_int_equal(ssh_config_lookup(NULL, home, "a", &e, NULL), CN_OK);
	ssh_config_entry_release(&e);
	ssh_config_entry_release(NULL);
	free(p);
}

static void
test_include(void **state)
{
	struct ssh_config_entry e;
	char *path, *msg, *abs, *text;

	(void)state;
	mkdir_rel(".ssh/conf.d");
	free(put(".ssh/conf.d/10-a.conf", "Host a\n Port 3\n"));
	free(put(".ssh/conf.d/20-b.conf", "Host a b\n User from-b\n"));
	free(put(".ssh/conf.d/ignored.txt", "Host a\n Port 9\n"));
	/* Relative to ~/.ssh, with a glob; the first file's Port wins. */
	path = put(".ssh/config", "Include conf.d/*.conf\nHost a\n Port 4\n");
	assert_int_equal(ssh_config_lookup(path, home, "a", &e, &msg), CN_OK);
	assert_int_equal(e.port, 3);
	assert_string_equal(e.user, "from-b");
	assert_true(e.concrete);
	ssh_config_entry_release(&e);
	free(path);

	/* Include inside a Host block that does not match: nothing. */
	free(put(".ssh/inc", "Host a\n User x\n"));
	path = put(".ssh/config", "Host other\n Include inc\n");
	assert_int_equal(ssh_config_lookup(path, home, "a", &e, &msg), CN_OK);
	assert_null(e.user);
	assert_false(e.concrete);
	ssh_config_entry_release(&e);
	free(path);

	/* Inside a matching block: included lines apply, and the block's
	 * state comes back after the include. */
	free(put(".ssh/inc2", "User y\n"));
	free(put(".ssh/inc3", "Host nomatch\n Port 9\n"));
	path = put(".ssh/config",
	    "Host a\n Include inc3 ~/.ssh/inc2\n Port 5\n");
	assert_int_equal(ssh_config_lookup(path, home, "a", &e, &msg), CN_OK);
	assert_string_equal(e.user, "y");
	assert_int_equal(e.port, 5);
	ssh_config_entry_release(&e);
	free(path);

	/* Absolute path; a glob that matches nothing is fine. */
	abs = in_home(".ssh/inc2");
	assert_true(asprintf(&text, "Include %s\nInclude none.d/*\n", abs) > 0);
	path = put(".ssh/config", text);
	assert_int_equal(ssh_config_lookup(path, home, "zz", &e, &msg), CN_OK);
	assert_string_equal(e.user, "y");
	ssh_config_entry_release(&e);
	free(path);
	free(text);
	free(abs);
}

struct bad_case {
	const char	*config;
	const char	*msg;		/* after "ssh config '<path>' " */
};

static const struct bad_case bad_cases[] = {
	{ "Host a\n Port abc\n", "line 2: bad port 'abc'" },
	{ "Host a\n Port 0\n", "line 2: bad port '0'" },
	{ "Host b\n Port 70000\n", "line 2: bad port '70000'" },
	{ "Host a\n User \"bob\n", "line 2: unterminated quote" },
	{ "Host\n", "line 1: Host needs at least one pattern" },
	{ "Host a\n HostName\n", "line 2: HostName needs a value" },
	{ "Include config\n", "line 1: includes nested too deeply" },
};

static void
test_bad(void **state)
{
	struct ssh_config_entry e;
	char *path, *msg, *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		path = put(".ssh/config", bad_cases[i].config);
		assert_int_equal(ssh_config_lookup(path, home, "a", &e, &msg),
		    CN_ERR_PARSE);
		assert_true(asprintf(&want, "ssh config '%s' %s", path,
		    bad_cases[i].msg) > 0);
		assert_non_null(msg);
		assert_string_equal(msg, want);
		ssh_config_entry_release(&e);
		free(want);
		free(msg);
		free(path);
	}
}

static void
test_names(void **state)
{
	char **names, *path, *msg;
	size_t n;

	(void)state;
	free(put(".ssh/names.inc", "Host inc-box *.inc\n User i\n"));
	path = put(".ssh/config",
	    "User top\n"
	    "Host a b *.wild ?x !neg\n Port 1\n"
	    "Match host c\n User m\n"
	    "Host B c\n"
	    "Host other\n Include names.inc\n");
	assert_int_equal(ssh_config_names(path, home, &names, &n, &msg),
	    CN_OK);
	assert_null(msg);
	assert_int_equal(n, 5);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");	/* "B" is a duplicate */
	assert_string_equal(names[2], "c");
	assert_string_equal(names[3], "other");
	assert_string_equal(names[4], "inc-box");
	ssh_config_names_free(names, n);
	free(path);

	assert_int_equal(ssh_config_names("", home, &names, &n, &msg), CN_OK);
	assert_null(names);
	assert_int_equal(n, 0);
	ssh_config_names_free(NULL, 0);

	path = put(".ssh/config", "Host a\n Port x\n");
	assert_int_equal(ssh_config_names(path, home, &names, &n, &msg),
	    CN_ERR_PARSE);
	assert_null(names);
	assert_non_null(msg);
	free(msg);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_table),
		cmocka_unit_test(test_missing_and_none),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * Unit tests for inventory/login_line.c: the login lines platforms show,
 * in every spelling `cnorch add` accepts, and the ones it refuses; the
 * platform guessed from a host name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "login_line.h"

static void
same(const char *what, const char *line, const char *got, const char *want)
{
	if ((got == NULL) != (want == NULL) ||
	    (got != NULL && strcmp(got, want) != 0))
		fail_msg("'%s': %s '%s', want '%s'", line, what,
		    got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}

static void
test_good(void **state)
{
	static const struct {
		const char	*line;
		const char	*user;
		const char	*host;
		int		 port;
		const char	*key;
	} rows[] = {
		{ "ssh -p 41234 root@region-9.autodl.com", "root",
		  "region-9.autodl.com", 41234, NULL },
		{ "ssh root@host.example -p 2222", "root", "host.example",
		  2222, NULL },
		{ "ssh://user@host.example:2200", "user", "host.example", 2200,
		  NULL },
		{ "ssh://host.example", NULL, "host.example", 0, NULL },
		{ "ssh://root@[::1]:2222/", "root", "::1", 2222, NULL },
		{ "ssh -i ~/.ssh/autodl -p 41234 root@region-9.autodl.com",
		  "root", "region-9.autodl.com", 41234, "~/.ssh/autodl" },
		{ "ssh root@h -i \"/k/my key\" -p2222", "root", "h", 2222,
		  "/k/my key" },
		{ "  ssh   -p41234  root@h  ", "root", "h", 41234, NULL },
		{ "root@h", "root", "h", 0, NULL },
		{ "h", NULL, "h", 0, NULL },
		{ "ssh -l featurize -p 22222 workspace.featurize.cn",
		  "featurize", "workspace.featurize.cn", 22222, NULL },
		{ "ssh -o Port=2022 -o User=ubuntu -o IdentityFile=/k 10.0.0.5",
		  "ubuntu", "10.0.0.5", 2022, "/k" },
		{ "ssh -CNg -L 6006:127.0.0.1:6006 root@connect.westb."
		  "seetacloud.com -p 17614", "root",
		  "connect.westb.seetacloud.com", 17614, NULL },
		{ "ssh -o StrictHostKeyChecking=no -p 2 root@h", "root", "h", 2,
		  NULL },
		{ "ssh -4 -A -J jump@j root@h", "root", "h", 0, NULL },
	};
	struct login l;
	char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		msg = NULL;
		if (login_parse(rows[i].line, &l, &msg) != CN_OK)
			fail_msg("'%s': %s", rows[i].line, msg);
		assert_null(msg);
		same("user", rows[i].line, l.user, rows[i].user);
		same("host", rows[i].line, l.host, rows[i].host);
		same("key", rows[i].line, l.identity_file, rows[i].key);
		if (l.port != rows[i].port)
			fail_msg("'%s': port %d, want %d", rows[i].line, l.port,
			    rows[i].port);
		login_release(&l);
	}
	login_release(NULL);
}

static void
test_bad(void **state)
{
	static const struct {
		const char	*line;
		const char	*msg;
	} rows[] = {
		{ "", "login line: no destination (expected [user@]host or "
		  "ssh://user@host:port)" },
		{ "ssh -p 41234", "login line: no destination (expected "
		  "[user@]host or ssh://user@host:port)" },
		{ "ssh -p x root@h", "login line: invalid port 'x' (expected "
		  "1-65535)" },
		{ "ssh -p 70000 root@h", "login line: invalid port '70000' "
		  "(expected 1-65535)" },
		{ "ssh root@h -p", "login line: option '-p' needs a value" },
		{ "ssh -Z root@h", "login line: unknown option '-Z'" },
		{ "ssh root@h uptime", "login line: unexpected 'uptime' after "
		  "the destination 'root@h' (a remote command?)" },
		{ "ssh root@h:2222", "login line: 'root@h:2222': ssh takes the "
		  "port as -p PORT or ssh://host:PORT" },
		{ "ssh 'root@h", "login line: unterminated quote or too many "
		  "words" },
		{ "ssh root@h;id", "login line: invalid host 'h;id'" },
		/* An option, as ssh reads it: nothing left to connect to. */
		{ "ssh '-oProxyCommand=x'@h", "login line: no destination "
		  "(expected [user@]host or ssh://user@host:port)" },
		{ "ssh 'ro ot'@h", "login line: invalid user 'ro ot'" },
		{ "ssh://u@h:0", "login line: invalid port '0' (expected "
		  "1-65535)" },
		{ "ssh://u@h/path", "login line: unexpected path in "
		  "'ssh://u@h/path'" },
	};
	struct login l;
	char *msg;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		msg = NULL;
		r = login_parse(rows[i].line, &l, &msg);
		if (r != CN_ERR_INVALID || msg == NULL ||
		    strcmp(msg, rows[i].msg) != 0)
			fail_msg("'%s': got %d '%s'\nwant '%s'", rows[i].line,
			    r, msg != NULL ? msg : "(null)", rows[i].msg);
		free(msg);
		login_release(&l);
	}
}

static void
test_platform_guess(void **state)
{
	static const struct {
		const char	*host;
		const char	*platform;
	} rows[] = {
		{ "region-9.autodl.com", "autodl" },
		{ "REGION-9.AUTODL.COM", "autodl" },
		{ "connect.westb.seetacloud.com", "autodl" },
		{ "workspace.featurize.cn", "featurize" },
		{ "featurize-gpu.example", "featurize" },
		{ "i-1.gpushare.com", "gpushare" },
		{ "hz.matpool.com", "matpool" },
		{ "notautodl.com", NULL },
		{ "autodl.com.evil.example", NULL },
		{ "10.0.0.5", NULL },
		{ NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		same("platform", rows[i].host != NULL ? rows[i].host : "(null)",
		    platform_guess(rows[i].host), rows[i].platform);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_platform_guess),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * known_hosts: host spec and lookup names, fingerprints, OpenSSH's
 * matching rules (plain, "[host]:port", hashed, comma lists, '*' and '?',
 * '!' negation, @revoked, @cert-authority, no bare-name fallback, keys of
 * another type), append-one-line (hashed when the file hashes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/evp.h>

#include "error.h"
#include "known_hosts.h"

/* Two ed25519 keys made with ssh-keygen; fingerprints from ssh-keygen -l. */
#define KEY_A	"AAAAC3NzaC1lZDI1NTE5AAAAIEJUWjRd4jB3y2KoGBLLtP8YxZ9oIOavvfMXjadI0wS+"
#define FP_A	"SHA256:NYDDjkVr2qw3bveP7qnEhhTZvVhewM6taDigcKsiTkM"
#define KEY_B	"AAAAC3NzaC1lZDI1NTE5AAAAIL/uKVHKnVBWdxxbSmqogDAC0MdtiLybHyNOgw488qu/"
#define FP_B	"SHA256:vZJnTjutTFmEvFDECINZAose9x7P3iaYWrLBO0auyNo"
#define KEY_ECDSA "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBC5ocedrB18yN/j5UWqujNdObJfXvuNo/W7jIS1ssGhSNsVWDQews1e4OiTMR5s2klyEPKJh8EkwlVVIHxyiKjI="
/* ssh-keygen -H of "[127.0.0.1]:2222 ssh-ed25519 KEY_A" and of
 * "example.org ssh-ed25519 KEY_A". */
#define HASHED_2222 \
	"|1|uewuRs4MaJ3FjhQtnBMe4Khvj4g=|a5eWFSiw3JMvvUUVgr6T24QBdvk= "
#define HASHED_EXAMPLE \
	"|1|lg2IKfXm2FinCzJnvBtOlotfZHg=|UHy2XmasV3b/rlnkNtiAyr3UxQk= "

struct fixture {
	char		 dir[64];
	char		 path[128];
	unsigned char	 a[128], b[128], e[256];
	size_t		 alen, blen, elen;
};

static size_t
decode(const char *b64, unsigned char *out)
{
	size_t len = strlen(b64), pad = 0;
	int n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);

	assert_true(n > 0);
	if (b64[len - 1] == '=')
		pad++;
	if (b64[len - 2] == '=')
		pad++;
	return (size_t)n - pad;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *d = calloc(1, 65536);

	assert_non_null(fp);
	assert_non_null(d);
	(void)!fread(d, 1, 65535, fp);
	fclose(fp);
	return d;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_known_hosts.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/known_hosts", f->dir);
	f->alen = decode(KEY_A, f->a);
	f->blen = decode(KEY_B, f->b);
	f->elen = decode(KEY_ECDSA, f->e);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	(void)!system(cmd);
	free(f);
	return 0;
}

static void
test_hostspec(void **state)
{
	static const struct {
		const char	*host;
		int		 port;
		size_t		 len;
		int		 r;
		const char	*want;
	} cases[] = {
		{ "127.0.0.1", 2222, 64, CN_OK, "[127.0.0.1]:2222" },
		{ "region-9.autodl.com", 41234, 64, CN_OK,
		    "[region-9.autodl.com]:41234" },
		{ "example.org", 22, 64, CN_OK, "example.org" },
		{ "::1", 2200, 64, CN_OK, "[::1]:2200" },
		{ "127.0.0.1", 2222, 16, CN_ERR_INVALID, NULL },
		{ "127.0.0.1", 0, 64, CN_ERR_INVALID, NULL },
		{ "127.0.0.1", 65536, 64, CN_ERR_INVALID, NULL },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(known_hosts_hostspec(cases[i].host,
		    cases[i].port, buf, cases[i].len), cases[i].r);
		if (cases[i].want != NULL)
			assert_string_equal(buf, cases[i].want);
	}
}

static void
test_fingerprint(void **state)
{
	struct fixture *f = *state;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char buf[64];

	assert_int_equal(known_hosts_fingerprint_blob(f->a, f->alen, buf,
	    sizeof(buf)), CN_OK);
	assert_string_equal(buf, FP_A);
	assert_int_equal(known_hosts_fingerprint_blob(f->b, f->blen, buf,
	    sizeof(buf)), CN_OK);
	assert_string_equal(buf, FP_B);
	/* From a digest, as libssh2_hostkey_hash() hands it over. */
	assert_int_equal(EVP_Digest(f->a, f->alen, md, &mdlen, EVP_sha256(),
	    NULL), 1);
	assert_int_equal(known_hosts_fingerprint(md, buf, sizeof(buf)), CN_OK);
	assert_string_equal(buf, FP_A);
	assert_int_equal(known_hosts_fingerprint(md, buf, 20),
	    CN_ERR_INVALID);
	assert_string_equal(known_hosts_keytype_label(
	    LIBSSH2_HOSTKEY_TYPE_ED25519), "ED25519");
	assert_string_equal(known_hosts_keyscan_type(
	    LIBSSH2_HOSTKEY_TYPE_ECDSA_256), "ecdsa");
}

/* use_b: 0 offers KEY_A, 1 KEY_B, 2 the ECDSA key. */
static enum known_hosts_result
check_alias(struct fixture *f, const char *host, int port,
    const char *alias, int use_b)
{
	struct known_hosts_verdict v;
	char name[256];
	const unsigned char *k = use_b == 0 ? f->a : use_b == 1 ? f->b : f->e;
	size_t klen = use_b == 0 ? f->alen : use_b == 1 ? f->blen : f->elen;

	assert_int_equal(known_hosts_lookup_name(host, port, alias, name,
	    sizeof(name)), CN_OK);
	assert_int_equal(known_hosts_check(f->path, name, k, klen, &v),
	    CN_OK);
	return v.result;
}

static enum known_hosts_result
check(struct fixture *f, const char *host, int port, int use_b)
{
	return check_alias(f, host, port, NULL, use_b);
}

static void
test_match(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char	*file;
		const char	*host;
		int		 port;
		int		 use_b;
		enum known_hosts_result want;
	} cases[] = {
		/* plain, port 22 */
		{ "example.org ssh-ed25519 " KEY_A "\n", "example.org", 22, 0,
		    KNOWN_HOSTS_MATCH },
		/* [host]:port */
		{ "[127.0.0.1]:2222 ssh-ed25519 " KEY_A "\n", "127.0.0.1",
		    2222, 0, KNOWN_HOSTS_MATCH },
		/* same host, other port: not known */
		{ "[127.0.0.1]:2222 ssh-ed25519 " KEY_A "\n", "127.0.0.1",
		    2223, 0, KNOWN_HOSTS_NOTFOUND },
		/* comma list of names */
		{ "a.example,[127.0.0.1]:2222 ssh-ed25519 " KEY_A " c\n",
		    "127.0.0.1", 2222, 0, KNOWN_HOSTS_MATCH },
		/* hashed entries */
		{ HASHED_2222 "ssh-ed25519 " KEY_A "\n", "127.0.0.1", 2222, 0,
		    KNOWN_HOSTS_MATCH },
		{ HASHED_EXAMPLE "ssh-ed25519 " KEY_A "\n", "example.org", 22,
		    0, KNOWN_HOSTS_MATCH },
		{ HASHED_2222 "ssh-ed25519 " KEY_A "\n", "127.0.0.2", 2222, 0,
		    KNOWN_HOSTS_NOTFOUND },
		/* changed keys */
		{ "[127.0.0.1]:2222 ssh-ed25519 " KEY_A "\n", "127.0.0.1",
		    2222, 1, KNOWN_HOSTS_MISMATCH },
		{ HASHED_2222 "ssh-ed25519 " KEY_A "\n", "127.0.0.1", 2222, 1,
		    KNOWN_HOSTS_MISMATCH },
		/* the right key anywhere in the file wins over a stale one */
		{ "[127.0.0.1]:2222 ssh-ed25519 " KEY_B "\n"
		  "[127.0.0.1]:2222 ssh-ed25519 " KEY_A "\n", "127.0.0.1",
		    2222, 0, KNOWN_HOSTS_MATCH },
		/* lines libssh2 cannot read do not hide the ones after */
		{ "# comment\n\n"
		  "@cert-authority *.example ssh-ed25519 " KEY_B "\n"
		  "odd.example sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1l\n"
		  "garbage\n"
		  "[127.0.0.1]:2222 ssh-ed25519 " KEY_A "\r\n", "127.0.0.1",
		    2222, 0, KNOWN_HOSTS_MATCH },
		/* empty file */
		{ "", "127.0.0.1", 2222, 0, KNOWN_HOSTS_NOTFOUND },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(f->path, cases[i].file);
		if (check(f, cases[i].host, cases[i].port, cases[i].use_b) !=
		    cases[i].want)
			fail_msg("case %zu: %s:%d", i, cases[i].host,
			    cases[i].port);
	}
	/* A missing file holds no hosts. */
	unlink(f->path);
	assert_int_equal(check(f, "127.0.0.1", 2222, 0),
	    KNOWN_HOSTS_NOTFOUND);
}

static void
test_append(void **state)
{
	struct fixture *f = *state;
	static const char before[] =
	    "# mine\n"
	    "example.org ssh-ed25519 " KEY_B "\n"
	    "other.example ssh-ed25519 " KEY_B;	/* no final newline */
	static const char hashed_before[] =
	    HASHED_EXAMPLE "ssh-ed25519 " KEY_B "\n";
	char *text, nested[256];
	struct stat st;

	write_file(f->path, before);
	assert_int_equal(check(f, "127.0.0.1", 2222, 0),
	    KNOWN_HOSTS_NOTFOUND);
	assert_int_equal(known_hosts_append(f->path, "[127.0.0.1]:2222",
	    f->a, f->alen), CN_OK);
	text = read_file(f->path);
	/* The user's lines untouched, ours one whole line after them. */
	assert_memory_equal(text, before, strlen(before));
	assert_string_equal(text + strlen(before),
	    "\n[127.0.0.1]:2222 ssh-ed25519 " KEY_A "\n");
	free(text);
	assert_int_equal(check(f, "127.0.0.1", 2222, 0), KNOWN_HOSTS_MATCH);
	assert_int_equal(check(f, "127.0.0.1", 2222, 1),
	    KNOWN_HOSTS_MISMATCH);
	assert_int_equal(check(f, "example.org", 22, 1), KNOWN_HOSTS_MATCH);

	/* Port 22 is written plain; missing directories are made 0700. */
	snprintf(nested, sizeof(nested), "%s/new/.ssh/known_hosts", f->dir);
	assert_int_equal(known_hosts_append(nested, "example.org", f->a,
	    f->alen), CN_OK);
	text = read_file(nested);
	assert_string_equal(text, "example.org ssh-ed25519 " KEY_A "\n");
	free(text);
	assert_int_equal(stat(nested, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(nested, sizeof(nested), "%s/new/.ssh", f->dir);
	assert_int_equal(stat(nested, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* A file that hashes its names gets a hashed line, as ssh with
	 * HashKnownHosts: the name is not readable, the key checks. */
	write_file(f->path, hashed_before);
	assert_int_equal(known_hosts_append(f->path, "[127.0.0.1]:2222",
	    f->a, f->alen), CN_OK);
	text = read_file(f->path);
	assert_memory_equal(text, hashed_before, strlen(hashed_before));
	assert_memory_equal(text + strlen(hashed_before), "|1|", 3);
	assert_null(strstr(text, "127.0.0.1"));
	assert_non_null(strstr(text + strlen(hashed_before),
	    " ssh-ed25519 " KEY_A "\n"));
	free(text);
	assert_int_equal(check(f, "127.0.0.1", 2222, 0), KNOWN_HOSTS_MATCH);
	assert_int_equal(check(f, "127.0.0.1", 2223, 0),
	    KNOWN_HOSTS_NOTFOUND);

	/* Names that would not read back as one name are refused. */
	assert_int_equal(known_hosts_append(f->path, "a b", f->a, f->alen),
	    CN_ERR_INVALID);
	assert_int_equal(known_hosts_append(f->path, "a,b", f->a, f->alen),
	    CN_ERR_INVALID);
	assert_int_equal(known_hosts_append(f->path, "!a", f->a, f->alen),
	    CN_ERR_INVALID);
	assert_true(known_hosts_recordable("region-9.autodl.com"));
	assert_false(known_hosts_recordable("*.autodl.com"));
	assert_false(known_hosts_recordable("a[b"));
}

static void
test_algorithms(void **state)
{
	struct fixture *f = *state;
	static const char dflt[] = "ssh-ed25519,ecdsa-sha2-nistp256,"
	    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa";
	char buf[256];

	/* Nothing known: OpenSSH's order. */
	unlink(f->path);
	assert_int_equal(known_hosts_algorithms(f->path, "[127.0.0.1]:2222",
	    buf, sizeof(buf)), CN_OK);
	assert_string_equal(buf, dflt);
	assert_int_equal(known_hosts_algorithms(NULL, NULL, buf, sizeof(buf)),
	    CN_OK);
	assert_string_equal(buf, dflt);

	/* An ECDSA key known for this host:port (hashed, too) goes first;
	 * another port's entry does not count. */
	write_file(f->path,
	    "[127.0.0.1]:2222 ecdsa-sha2-nistp256 " KEY_ECDSA "\n"
	    "[127.0.0.1]:2223 ssh-ed25519 " KEY_A "\n");
	assert_int_equal(known_hosts_algorithms(f->path, "[127.0.0.1]:2222",
	    buf, sizeof(buf)), CN_OK);
	assert_string_equal(buf, "ecdsa-sha2-nistp256,ssh-ed25519,"
	    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa");
	write_file(f->path, HASHED_2222 "ssh-ed25519 " KEY_A "\n"
	    "[127.0.0.1]:2222 ecdsa-sha2-nistp256 " KEY_ECDSA "\n");
	assert_int_equal(known_hosts_algorithms(f->path, "[127.0.0.1]:2222",
	    buf, sizeof(buf)), CN_OK);
	assert_string_equal(buf, "ssh-ed25519,ecdsa-sha2-nistp256,"
	    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa");
	assert_int_equal(known_hosts_algorithms(f->path, "[127.0.0.1]:2222",
	    buf, 10), CN_ERR_INVALID);
}

static void
test_lookup_name(void **state)
{
	static const struct {
		const char	*host;
		int		 port;
		const char	*alias;
		const char	*want;
	} cases[] = {
		{ "Region-9.AutoDL.com", 41234, NULL,
		    "[region-9.autodl.com]:41234" },
		{ "Example.org", 22, NULL, "example.org" },
		{ "127.0.0.1", 2222, "", "[127.0.0.1]:2222" },
		/* HostKeyAlias is the name, verbatim (lowercased), no port. */
		{ "127.0.0.1", 2222, "MyBox", "mybox" },
		{ "127.0.0.1", 22, "box.alias", "box.alias" },
	};
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(known_hosts_lookup_name(cases[i].host,
		    cases[i].port, cases[i].alias, buf, sizeof(buf)), CN_OK);
		assert_string_equal(buf, cases[i].want);
	}
	assert_int_equal(known_hosts_lookup_name("127.0.0.1", 2222, NULL, buf,
	    8), CN_ERR_INVALID);
}

/* match.c's match_hostname(), case by case. */
static void
test_patterns(void **state)
{
	static const struct {
		const char	*name;
		const char	*patterns;
		int		 want;
	} cases[] = {
		{ "example.org", "example.org", 1 },
		{ "example.org", "Example.ORG", 1 },
		{ "example.org", "example.com", 0 },
		{ "example.org", "a.example,example.org,b", 1 },
		{ "example.org", "*.org", 1 },
		{ "example.org", "*", 1 },
		{ "example.org", "ex?mple.org", 1 },
		{ "example.org", "ex?ample.org", 0 },
		{ "example.org", "*.com,*.net", 0 },
		/* a negated match excludes, whatever else matches */
		{ "example.org", "*.org,!example.org", -1 },
		{ "example.org", "!example.org,*", -1 },
		{ "other.org", "*.org,!example.org", 1 },
		{ "other.org", "!example.org", 0 },
		/* the port is part of the name */
		{ "[127.0.0.1]:2222", "[127.0.0.1]:2222", 1 },
		{ "[127.0.0.1]:2222", "127.0.0.1", 0 },
		{ "[127.0.0.1]:2222", "[127.0.0.1]:*", 1 },
		{ "[127.0.0.1]:2222", "[127.0.0.?]:2222", 1 },
		{ "[127.0.0.1]:2222", "[127.0.0.1]:22", 0 },
		{ "127.0.0.1", "[127.0.0.1]:22", 0 },
		{ "[127.0.0.1]:2222", "*", 1 },
		{ "", "*", 1 },
		{ "a", "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (known_hosts_match_patterns(cases[i].name,
		    cases[i].patterns) != cases[i].want)
			fail_msg("case %zu: '%s' vs '%s'", i, cases[i].name,
			    cases[i].patterns);
}

static void
test_hashed(void **state)
{
	(void)state;
	/* Entries made by ssh-keygen -H. */
	assert_int_equal(known_hosts_match_hashed("[127.0.0.1]:2222",
	    "|1|uewuRs4MaJ3FjhQtnBMe4Khvj4g=|a5eWFSiw3JMvvUUVgr6T24QBdvk="),
	    1);
	assert_int_equal(known_hosts_match_hashed("example.org",
	    "|1|lg2IKfXm2FinCzJnvBtOlotfZHg=|UHy2XmasV3b/rlnkNtiAyr3UxQk="),
	    1);
	assert_int_equal(known_hosts_match_hashed("127.0.0.1",
	    "|1|uewuRs4MaJ3FjhQtnBMe4Khvj4g=|a5eWFSiw3JMvvUUVgr6T24QBdvk="),
	    0);
	/* Malformed: no second bar, salt not 20 bytes, not |1|. */
	assert_int_equal(known_hosts_match_hashed("example.org",
	    "|1|lg2IKfXm2FinCzJnvBtOlotfZHg="), -1);
	assert_int_equal(known_hosts_match_hashed("example.org",
	    "|1|AAAA|UHy2XmasV3b/rlnkNtiAyr3UxQk="), -1);
	assert_int_equal(known_hosts_match_hashed("example.org",
	    "|2|lg2IKfXm2FinCzJnvBtOlotfZHg=|UHy2XmasV3b/rlnkNtiAyr3UxQk="),
	    -1);
}

/* Whole files, as ssh -o StrictHostKeyChecking=yes decides them. */
static void
test_openssh_rules(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char	*why;
		const char	*file;
		const char	*host;
		int		 port;
		const char	*alias;
		int		 use_b;
		enum known_hosts_result want;
	} cases[] = {
		{ "bare name does not cover another port (no fallback)",
		  "box.example ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_NOTFOUND },
		{ "a pinned [host]:port is not overruled by the bare name",
		  "box.example ssh-ed25519 " KEY_A "\n"
		  "[box.example]:41234 ssh-ed25519 " KEY_B "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MISMATCH },
		{ "... in either order",
		  "[box.example]:41234 ssh-ed25519 " KEY_B "\n"
		  "box.example ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MISMATCH },
		{ "the pinned key itself",
		  "box.example ssh-ed25519 " KEY_A "\n"
		  "[box.example]:41234 ssh-ed25519 " KEY_B "\n",
		  "box.example", 41234, NULL, 1, KNOWN_HOSTS_MATCH },
		{ "names match case-insensitively",
		  "[BOX.Example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.EXAMPLE", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "wildcard pattern",
		  "[*.example]:* ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "'*' covers every name, ports too",
		  "* ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 1, KNOWN_HOSTS_MISMATCH },
		{ "negation excludes the line",
		  "*,![box.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_NOTFOUND },
		{ "negation excludes only its name",
		  "*,![other.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "an excluded stale line does not make a mismatch",
		  "*,![box.example]:41234 ssh-ed25519 " KEY_B "\n"
		  "[box.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "comma list",
		  "a.example,[box.example]:41234,b ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "@revoked refuses the key though another line has it",
		  "[box.example]:41234 ssh-ed25519 " KEY_A "\n"
		  "@revoked * ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_REVOKED },
		{ "@revoked of another key changes nothing",
		  "[box.example]:41234 ssh-ed25519 " KEY_A "\n"
		  "@revoked * ssh-ed25519 " KEY_B "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "@revoked for another name changes nothing",
		  "[box.example]:41234 ssh-ed25519 " KEY_A "\n"
		  "@revoked other.example ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "@revoked alone",
		  "@revoked [box.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_REVOKED },
		{ "@cert-authority lines are not host keys",
		  "@cert-authority [box.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_NOTFOUND },
		{ "an unknown marker skips the line",
		  "@pinned [box.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_NOTFOUND },
		{ "two markers skip the line",
		  "@revoked @revoked * ssh-ed25519 " KEY_A "\n"
		  "[box.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "a known key of another type: refused",
		  "[box.example]:41234 ecdsa-sha2-nistp256 " KEY_ECDSA "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MISMATCH },
		{ "both types known, offered one matches",
		  "[box.example]:41234 ecdsa-sha2-nistp256 " KEY_ECDSA "\n"
		  "[box.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "line type disagrees with its key blob: skipped",
		  "[box.example]:41234 ssh-rsa " KEY_B "\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_NOTFOUND },
		{ "HostKeyAlias is looked up instead of [host]:port",
		  "mybox ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, "mybox", 0, KNOWN_HOSTS_MATCH },
		{ "HostKeyAlias: the [host]:port line no longer counts",
		  "[box.example]:41234 ssh-ed25519 " KEY_A "\n",
		  "box.example", 41234, "mybox", 0, KNOWN_HOSTS_NOTFOUND },
		{ "HostKeyAlias with another key",
		  "mybox ssh-ed25519 " KEY_B "\n",
		  "box.example", 41234, "mybox", 0, KNOWN_HOSTS_MISMATCH },
		{ "hashed [host]:port, wrong key",
		  HASHED_2222 "ssh-ed25519 " KEY_B "\n",
		  "127.0.0.1", 2222, NULL, 0, KNOWN_HOSTS_MISMATCH },
		{ "hashed bare name does not cover another port",
		  HASHED_EXAMPLE "ssh-ed25519 " KEY_A "\n",
		  "example.org", 2222, NULL, 0, KNOWN_HOSTS_NOTFOUND },
		{ "a bad hash skips the line",
		  "|1|AAAA|UHy2XmasV3b/rlnkNtiAyr3UxQk= ssh-ed25519 " KEY_B "\n"
		  "example.org ssh-ed25519 " KEY_A "\n",
		  "example.org", 22, NULL, 0, KNOWN_HOSTS_MATCH },
		{ "truncated line skipped",
		  "[box.example]:41234\n"
		  "[box.example]:41234 ssh-ed25519\n",
		  "box.example", 41234, NULL, 0, KNOWN_HOSTS_NOTFOUND },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(f->path, cases[i].file);
		if (check_alias(f, cases[i].host, cases[i].port,
		    cases[i].alias, cases[i].use_b) != cases[i].want)
			fail_msg("case %zu: %s", i, cases[i].why);
	}
}

static void
test_verdict_details(void **state)
{
	struct fixture *f = *state;
	struct known_hosts_verdict v;

	write_file(f->path,
	    "# 1\n"
	    "@cert-authority *.example ssh-ed25519 " KEY_B "\n"
	    "[box.example]:41234 ssh-ed25519 " KEY_B "\n"
	    "@revoked [box.example]:41234 ssh-ed25519 " KEY_A "\n");
	assert_int_equal(known_hosts_check(f->path, "[box.example]:41234",
	    f->a, f->alen, &v), CN_OK);
	assert_int_equal(v.result, KNOWN_HOSTS_REVOKED);
	assert_int_equal(v.line, 4);
	assert_int_equal(v.cert_authority, 0);	/* *.example: not a port */
	assert_int_equal(known_hosts_check(f->path, "[box.example]:41234",
	    f->e, f->elen, &v), CN_OK);
	assert_int_equal(v.result, KNOWN_HOSTS_MISMATCH);
	assert_int_equal(v.line, 3);
	assert_int_equal(known_hosts_check(f->path, "box.example", f->a,
	    f->alen, &v), CN_OK);
	assert_int_equal(v.result, KNOWN_HOSTS_NOTFOUND);
	assert_int_equal(v.cert_authority, 1);
	/* A blob without a key type is not checked at all. */
	assert_int_equal(known_hosts_check(f->path, "box.example",
	    (const unsigned char *)"xx", 2, &v), CN_ERR_INVALID);
	/* A file that exists but cannot be read is an error, not "new". */
	if (geteuid() != 0) {
		assert_int_equal(chmod(f->path, 0), 0);
		assert_int_equal(known_hosts_check(f->path, "box.example",
		    f->a, f->alen, &v), CN_ERR_IO);
		assert_int_equal(chmod(f->path, 0600), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostspec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_algorithms, setup,
		    teardown),
		cmocka_unit_test(test_lookup_name),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_hashed),
		cmocka_unit_test_setup_teardown(test_openssh_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verdict_details, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

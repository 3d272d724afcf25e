/*
 * known_hosts: host spec formatting, fingerprints, matching of plain,
 * "[host]:port" and hashed entries, mismatch, append-one-line.
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
	LIBSSH2_SESSION	*ssh;
	char		 dir[64];
	char		 path[128];
	unsigned char	 a[128], b[128];
	size_t		 alen, blen;
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
	assert_int_equal(libssh2_init(0), 0);
	assert_non_null(f->ssh = libssh2_session_init());
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_known_hosts.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/known_hosts", f->dir);
	f->alen = decode(KEY_A, f->a);
	f->blen = decode(KEY_B, f->b);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	libssh2_session_free(f->ssh);
	libssh2_exit();
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

static enum known_hosts_result
check(struct fixture *f, const char *host, int port, int use_b)
{
	enum known_hosts_result res = KNOWN_HOSTS_MATCH;

	assert_int_equal(known_hosts_check(f->ssh, f->path, host, port,
	    use_b ? f->b : f->a, use_b ? f->blen : f->alen,
	    LIBSSH2_HOSTKEY_TYPE_ED25519, &res), CN_OK);
	return res;
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
	    HASHED_EXAMPLE "ssh-ed25519 " KEY_B "\n"
	    "other.example ssh-ed25519 " KEY_B;	/* no final newline */
	char *text, nested[256];
	struct stat st;

	write_file(f->path, before);
	assert_int_equal(check(f, "127.0.0.1", 2222, 0),
	    KNOWN_HOSTS_NOTFOUND);
	assert_int_equal(known_hosts_append(f->ssh, f->path, "127.0.0.1",
	    2222, f->a, f->alen, LIBSSH2_HOSTKEY_TYPE_ED25519), CN_OK);
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
	assert_int_equal(known_hosts_append(f->ssh, nested, "example.org",
	    22, f->a, f->alen, LIBSSH2_HOSTKEY_TYPE_ED25519), CN_OK);
	text = read_file(nested);
	assert_string_equal(text, "example.org ssh-ed25519 " KEY_A "\n");
	free(text);
	assert_int_equal(stat(nested, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(nested, sizeof(nested), "%s/new/.ssh", f->dir);
	assert_int_equal(stat(nested, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
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
	assert_int_equal(known_hosts_algorithms(f->ssh, f->path, "127.0.0.1",
	    2222, buf, sizeof(buf)), CN_OK);
	assert_string_equal(buf, dflt);
	assert_int_equal(known_hosts_algorithms(NULL, NULL, NULL, 0, buf,
	    sizeof(buf)), CN_OK);
	assert_string_equal(buf, dflt);

	/* An ECDSA key known for this host:port (hashed, too) goes first;
	 * another port's entry does not count. */
	write_file(f->path,
	    "[127.0.0.1]:2222 ecdsa-sha2-nistp256 " KEY_ECDSA "\n"
	    "[127.0.0.1]:2223 ssh-ed25519 " KEY_A "\n");
	assert_int_equal(known_hosts_algorithms(f->ssh, f->path, "127.0.0.1",
	    2222, buf, sizeof(buf)), CN_OK);
	assert_string_equal(buf, "ecdsa-sha2-nistp256,ssh-ed25519,"
	    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa");
	write_file(f->path, HASHED_2222 "ssh-ed25519 " KEY_A "\n"
	    "[127.0.0.1]:2222 ecdsa-sha2-nistp256 " KEY_ECDSA "\n");
	assert_int_equal(known_hosts_algorithms(f->ssh, f->path, "127.0.0.1",
	    2222, buf, sizeof(buf)), CN_OK);
	assert_string_equal(buf, "ssh-ed25519,ecdsa-sha2-nistp256,"
	    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa");
	assert_int_equal(known_hosts_algorithms(f->ssh, f->path, "127.0.0.1",
	    2222, buf, 10), CN_ERR_INVALID);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

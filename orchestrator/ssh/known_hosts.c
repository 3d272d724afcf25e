/*
 * known_hosts: OpenSSH's known_hosts rules, read and written here (see
 * known_hosts.h; hostfile.c and match.c in openssh-portable).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "error.h"
#include "keyfile.h"
#include "known_hosts.h"

#define SHA1_LEN	20
#define HASH_MAGIC	"|1|"

enum marker { MRK_NONE, MRK_CA, MRK_REVOKE, MRK_ERROR };

int
known_hosts_hostspec(const char *host, int port, char *buf, size_t len)
{
	int n;

	if (host == NULL || buf == NULL || port < 1 || port > 65535)
		return CN_ERR_INVALID;
	if (port == 22)
		n = snprintf(buf, len, "%s", host);
	else
		n = snprintf(buf, len, "[%s]:%d", host, port);
	if (n < 0 || (size_t)n >= len)
		return CN_ERR_INVALID;
	return CN_OK;
}

int
known_hosts_fingerprint(const unsigned char sha256[32], char *buf,
    size_t len)
{
	unsigned char b64[4 * ((32 + 2) / 3) + 1];
	int n;

	if (sha256 == NULL || buf == NULL)
		return CN_ERR_INVALID;
	n = EVP_EncodeBlock(b64, sha256, 32);
	/* OpenSSH prints the base64 without its '=' padding. */
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	if ((size_t)n + sizeof("SHA256:") > len)
		return CN_ERR_INVALID;
	snprintf(buf, len, "SHA256:%s", (const char *)b64);
	return CN_OK;
}

int
known_hosts_fingerprint_blob(const void *blob, size_t bloblen, char *buf,
    size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (blob == NULL ||
	    EVP_Digest(blob, bloblen, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return CN_ERR_INVALID;
	return known_hosts_fingerprint(md, buf, len);
}

const char *
known_hosts_keytype_label(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return "RSA";
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return "DSA";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return "ECDSA";
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return "ED25519";
	}
	return "UNKNOWN";
}

const char *
known_hosts_keyscan_type(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return "rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return "dsa";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return "ecdsa";
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return "ed25519";
	}
	return "ed25519";
}

int
known_hosts_lookup_name(const char *host, int port, const char *alias,
    char *buf, size_t len)
{
	char *p;
	int r;

	if (buf == NULL || len == 0)
		return CN_ERR_INVALID;
	if (alias != NULL && *alias != '\0') {
		/* ssh uses HostKeyAlias verbatim, without the port. */
		if (strlen(alias) >= len)
			return CN_ERR_INVALID;
		snprintf(buf, len, "%s", alias);
	} else if ((r = known_hosts_hostspec(host, port, buf, len)) != CN_OK)
		return r;
	for (p = buf; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return CN_OK;
}

/* match.c's match_pattern(): '*' any run, '?' any one character. */
static bool
match_pattern(const char *s, const char *p)
{
	for (;;) {
		if (*p == '\0')
			return *s == '\0';
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return true;
			for (; *s != '\0'; s++)
				if ((*p == '?' || *p == *s) &&
				    match_pattern(s, p))
					return true;
			return false;
		}
		if (*s == '\0')
			return false;
		if (*p != '?' && *p != *s)
			return false;
		s++;
		p++;
	}
}

int
known_hosts_match_patterns(const char *name, const char *patterns)
{
	char sub[1024], lname[1100];
	size_t i, n, subi;
	bool negated, positive = false;

	if (name == NULL || patterns == NULL || strlen(name) >= sizeof(lname))
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		lname[i] = (char)tolower((unsigned char)name[i]);
	lname[i] = '\0';
	n = strlen(patterns);
	for (i = 0; i < n;) {
		negated = patterns[i] == '!';
		if (negated)
			i++;
		for (subi = 0; i < n && subi < sizeof(sub) - 1 &&
		    patterns[i] != ','; subi++, i++)
			sub[subi] = (char)tolower((unsigned char)patterns[i]);
		/* A subpattern too long matches nothing, as in match.c. */
		if (subi >= sizeof(sub) - 1)
			return 0;
		if (i < n && patterns[i] == ',')
			i++;
		sub[subi] = '\0';
		if (match_pattern(lname, sub)) {
			if (negated)
				return -1;
			positive = true;
		}
	}
	return positive ? 1 : 0;
}

/* HMAC-SHA1(salt, name) as "|1|salt|hash" into out. */
static int
hash_name(const char *name, const unsigned char *salt, char *out,
    size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char b64salt[64], b64md[64];

	if (HMAC(EVP_sha1(), salt, SHA1_LEN, (const unsigned char *)name,
	    strlen(name), md, &mdlen) == NULL || mdlen != SHA1_LEN)
		return CN_ERR_SSH;
	EVP_EncodeBlock((unsigned char *)b64salt, salt, SHA1_LEN);
	EVP_EncodeBlock((unsigned char *)b64md, md, SHA1_LEN);
	if ((size_t)snprintf(out, len, HASH_MAGIC "%s|%s", b64salt, b64md) >=
	    len)
		return CN_ERR_INVALID;
	return CN_OK;
}

int
known_hosts_match_hashed(const char *name, const char *entry)
{
	const char *salt, *bar;
	unsigned char *raw;
	size_t rawlen = 0;
	char want[128];
	int r;

	if (name == NULL || entry == NULL ||
	    strncmp(entry, HASH_MAGIC, strlen(HASH_MAGIC)) != 0)
		return -1;
	salt = entry + strlen(HASH_MAGIC);
	if ((bar = strchr(salt, '|')) == NULL)
		return -1;
	raw = keyfile_b64_decode(salt, (size_t)(bar - salt), &rawlen);
	/* extract_salt() wants exactly a SHA-1's worth of salt. */
	if (raw == NULL || rawlen != SHA1_LEN) {
		free(raw);
		return -1;
	}
	r = hash_name(name, raw, want, sizeof(want));
	free(raw);
	if (r != CN_OK)
		return -1;
	return strcmp(want, entry) == 0 ? 1 : 0;
}

/* hostfile.c's check_markers(): at most one of the two markers. */
static enum marker
check_marker(char **cpp)
{
	char *cp = *cpp, *sp;
	enum marker m = MRK_NONE;
	size_t n;

	while (*cp == '@') {
		if (m != MRK_NONE)
			return MRK_ERROR;
		for (sp = cp; *sp != '\0' && *sp != ' ' && *sp != '\t'; sp++)
			;
		if (*sp == '\0')
			return MRK_ERROR;
		n = (size_t)(sp - cp);
		if (n == strlen("@cert-authority") &&
		    memcmp(cp, "@cert-authority", n) == 0)
			m = MRK_CA;
		else if (n == strlen("@revoked") &&
		    memcmp(cp, "@revoked", n) == 0)
			m = MRK_REVOKE;
		else
			return MRK_ERROR;
		for (cp = sp; *cp == ' ' || *cp == '\t'; cp++)
			;
	}
	*cpp = cp;
	return m;
}

/* The key type a blob declares (its first SSH string), into buf. */
static bool
blob_type(const unsigned char *blob, size_t len, char *buf, size_t buflen)
{
	uint32_t n;

	if (len < 4)
		return false;
	n = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 |
	    (uint32_t)blob[2] << 8 | (uint32_t)blob[3];
	if (n == 0 || n > len - 4 || n >= buflen)
		return false;
	memcpy(buf, blob + 4, n);
	buf[n] = '\0';
	return strlen(buf) == n;
}

/* One parsed line that applies to the name looked up. */
struct entry {
	enum marker	 marker;
	char		 type[64];	/* from the key blob */
	unsigned char	*blob;
	size_t		 bloblen;
	unsigned long	 line;
};

typedef int (*entry_fn)(void *arg, const struct entry *e);

/*
 * hostkeys_foreach_file() with HKF_WANT_MATCH | HKF_WANT_PARSE_KEY: call
 * fn for every line whose host field matches name and whose key parses.
 * *hashed (may be NULL) says whether the file holds any hashed entry.
 */
static int
foreach_entry(const char *path, const char *name, entry_fn fn, void *arg,
    bool *hashed)
{
	FILE *fp;
	char *line = NULL, *cp, *hosts, *ktype, *b64;
	size_t cap = 0;
	unsigned long lineno = 0;
	struct entry e;
	int r = CN_OK, m;

	if (hashed != NULL)
		*hashed = false;
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return CN_OK;
		return CN_ERR_IO;
	}
	while (r == CN_OK && getline(&line, &cap, fp) != -1) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		for (cp = line; *cp == ' ' || *cp == '\t'; cp++)
			;
		if (*cp == '\0' || *cp == '#')
			continue;
		memset(&e, 0, sizeof(e));
		e.line = lineno;
		if ((e.marker = check_marker(&cp)) == MRK_ERROR)
			continue;
		hosts = cp;
		cp += strcspn(cp, " \t");
		if (*cp == '\0')
			continue;
		*cp++ = '\0';
		if (*hosts == '|') {
			if (hashed != NULL)
				*hashed = true;
			m = known_hosts_match_hashed(name, hosts);
		} else
			m = known_hosts_match_patterns(name, hosts);
		if (m != 1)
			continue;	/* no match, negated, or bad hash */
		/* "keytype base64 [comment]"; the blob must say the same
		 * type as the line (sshkey_read). */
		for (; *cp == ' ' || *cp == '\t'; cp++)
			;
		ktype = cp;
		cp += strcspn(cp, " \t");
		if (*cp == '\0')
			continue;
		*cp++ = '\0';
		for (; *cp == ' ' || *cp == '\t'; cp++)
			;
		b64 = cp;
		cp += strcspn(cp, " \t");
		*cp = '\0';
		if ((e.blob = keyfile_b64_decode(b64, strlen(b64),
		    &e.bloblen)) == NULL)
			continue;
		if (blob_type(e.blob, e.bloblen, e.type, sizeof(e.type)) &&
		    strcmp(e.type, ktype) == 0)
			r = fn(arg, &e);
		free(e.blob);
	}
	if (r == CN_OK && ferror(fp))
		r = CN_ERR_IO;
	free(line);
	fclose(fp);
	return r;
}

struct check_ctx {
	const unsigned char		*key;
	size_t				 keylen;
	struct known_hosts_verdict	*v;
	bool				 done;		/* found equal key */
	unsigned long			 revoked;	/* line, 0: none */
};

static int
check_cb(void *arg, const struct entry *e)
{
	struct check_ctx *c = arg;
	bool equal = e->bloblen == c->keylen &&
	    memcmp(e->blob, c->key, c->keylen) == 0;

	switch (e->marker) {
	case MRK_CA:
		c->v->cert_authority++;
		break;
	case MRK_REVOKE:
		if (equal && c->revoked == 0)
			c->revoked = e->line;
		break;
	default:
		if (c->done)
			break;
		if (equal) {
			c->v->result = KNOWN_HOSTS_MATCH;
			c->v->line = e->line;
			c->done = true;
		} else if (c->v->result != KNOWN_HOSTS_MISMATCH) {
			/* The first offending line, as ssh reports it. */
			c->v->result = KNOWN_HOSTS_MISMATCH;
			c->v->line = e->line;
		}
		break;
	}
	return CN_OK;
}

int
known_hosts_check(const char *path, const char *name, const void *key,
    size_t keylen, struct known_hosts_verdict *v)
{
	struct check_ctx c;
	char type[64];
	int r;

	if (path == NULL || name == NULL || key == NULL || v == NULL)
		return CN_ERR_INVALID;
	memset(v, 0, sizeof(*v));
	v->result = KNOWN_HOSTS_NOTFOUND;
	if (!blob_type(key, keylen, type, sizeof(type)))
		return CN_ERR_INVALID;
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.keylen = keylen;
	c.v = v;
	if ((r = foreach_entry(path, name, check_cb, &c, NULL)) != CN_OK)
		return r;
	if (c.revoked != 0) {
		v->result = KNOWN_HOSTS_REVOKED;
		v->line = c.revoked;
	}
	return CN_OK;
}

static const char *const algs[] = {
	"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "ssh-rsa",
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

static int
algs_cb(void *arg, const struct entry *e)
{
	bool *known = arg;
	size_t i;

	if (e->marker != MRK_NONE)
		return CN_OK;
	for (i = 0; i < NALGS; i++)
		if (strcmp(e->type, algs[i]) == 0)
			known[i] = true;
	return CN_OK;
}

int
known_hosts_algorithms(const char *path, const char *name, char *buf,
    size_t len)
{
	bool known[NALGS] = { false };
	size_t i, pass, off = 0;
	int r = CN_OK, n;

	if (buf == NULL || len == 0)
		return CN_ERR_INVALID;
	if (path != NULL && name != NULL)
		r = foreach_entry(path, name, algs_cb, known, NULL);
	buf[0] = '\0';
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < NALGS; i++) {
			if (known[i] != (pass == 0))
				continue;
			n = snprintf(buf + off, len - off, "%s%s",
			    off > 0 ? "," : "", algs[i]);
			if (n < 0 || (size_t)n >= len - off)
				return CN_ERR_INVALID;
			off += (size_t)n;
		}
	return r;
}

static int
nop_cb(void *arg, const struct entry *e)
{
	(void)arg;
	(void)e;
	return CN_OK;
}

int
known_hosts_recordable(const char *hostname)
{
	return hostname != NULL && *hostname != '\0' &&
	    strcspn(hostname, "@?*#[]|'\"\\") == strlen(hostname);
}

/* mkdir -p for the directory part of path; new directories get 0700. */
static int
make_parent(const char *path)
{
	char *dir, *p, c;
	int r = CN_OK;

	if ((dir = strdup(path)) == NULL)
		return CN_ERR_NOMEM;
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		goto out;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			r = CN_ERR_SYSTEM;
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
 out:
	free(dir);
	return r;
}

int
known_hosts_append(const char *path, const char *name, const void *key,
    size_t keylen)
{
	unsigned char salt[SHA1_LEN];
	char type[64], hostfield[128], *b64 = NULL, *line = NULL;
	size_t linelen, off;
	ssize_t w;
	struct stat st;
	bool hashed = false;
	char last;
	int fd = -1, r, saved, n;

	if (path == NULL || name == NULL || key == NULL || *name == '\0' ||
	    strcspn(name, " \t\r\n,#") != strlen(name) ||
	    strchr("!|@", *name) != NULL ||
	    !blob_type(key, keylen, type, sizeof(type)) ||
	    keylen > INT32_MAX / 2)
		return CN_ERR_INVALID;
	/* Hash the name when the file already does (HashKnownHosts). */
	if ((r = foreach_entry(path, name, nop_cb, NULL, &hashed)) != CN_OK) {
		r = CN_ERR_SYSTEM;
		goto out;
	}
	if (hashed) {
		if (RAND_bytes(salt, sizeof(salt)) != 1) {
			r = CN_ERR_SSH;
			goto out;
		}
		if ((r = hash_name(name, salt, hostfield,
		    sizeof(hostfield))) != CN_OK)
			goto out;
	} else if ((size_t)snprintf(hostfield, sizeof(hostfield), "%s",
	    name) >= sizeof(hostfield)) {
		r = CN_ERR_INVALID;
		goto out;
	}
	if ((b64 = malloc(4 * ((keylen + 2) / 3) + 1)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, key, (int)keylen);
	if ((n = asprintf(&line, "%s %s %s\n", hostfield, type, b64)) < 0) {
		line = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	linelen = (size_t)n;
	if ((r = make_parent(path)) != CN_OK)
		goto out;
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1 || fstat(fd, &st) == -1) {
		r = CN_ERR_SYSTEM;
		goto out;
	}
	/* A last line without its newline must not swallow ours. */
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
	    last != '\n' && write(fd, "\n", 1) != 1) {
		r = CN_ERR_SYSTEM;
		goto out;
	}
	/* One write of one whole line: O_APPEND keeps it in one piece. */
	for (off = 0; off < linelen; off += (size_t)w) {
		w = write(fd, line + off, linelen - off);
		if (w == -1) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			r = CN_ERR_SYSTEM;
			goto out;
		}
	}
	if (fsync(fd) == -1 && errno != EINVAL) {
		r = CN_ERR_SYSTEM;
		goto out;
	}
	r = CN_OK;
 out:
	saved = errno;
	if (fd != -1)
		close(fd);
	free(line);
	free(b64);
	errno = saved;
	return r;
}

/*
 * known_hosts: check and record host keys (see known_hosts.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/evp.h>

#include "error.h"
#include "known_hosts.h"

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

/* LIBSSH2_HOSTKEY_TYPE_* to LIBSSH2_KNOWNHOST_KEY_*, 0 when unknown. */
static int
knownhost_keybits(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	}
	return 0;
}

/*
 * Load path into kh one line at a time.  libssh2_knownhost_readfile()
 * stops at the first line it cannot parse (e.g. an sk-ssh-ed25519 key or
 * an @cert-authority marker), which would hide every entry below it.
 */
static int
load_file(LIBSSH2_KNOWNHOSTS *kh, const char *path)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	const char *p;
	int r;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return CN_OK;
		return CN_ERR_IO;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#' || *p == '@')
			continue;
		/* An unparseable line is skipped, as ssh does. */
		(void)libssh2_knownhost_readline(kh, p, strlen(p),
		    LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	}
	r = ferror(fp) ? CN_ERR_IO : CN_OK;
	free(line);
	fclose(fp);
	return r;
}

int
known_hosts_check(LIBSSH2_SESSION *session, const char *path,
    const char *host, int port, const void *key, size_t keylen,
    int hostkey_type, enum known_hosts_result *result)
{
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct libssh2_knownhost *found = NULL;
	int r, bits, rc;

	if (session == NULL || path == NULL || host == NULL || key == NULL ||
	    result == NULL)
		return CN_ERR_INVALID;
	if ((bits = knownhost_keybits(hostkey_type)) == 0)
		return CN_ERR_UNSUPPORTED;
	if ((kh = libssh2_knownhost_init(session)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = load_file(kh, path)) != CN_OK)
		goto out;
	/*
	 * checkp with the port looks up "[host]:port" (hashed or not); for
	 * port 22 libssh2 also tries the plain name, as OpenSSH writes it.
	 */
	rc = libssh2_knownhost_checkp(kh, host, port, key, keylen,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bits,
	    &found);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		*result = KNOWN_HOSTS_MATCH;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		*result = KNOWN_HOSTS_MISMATCH;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		*result = KNOWN_HOSTS_NOTFOUND;
		break;
	default:
		r = CN_ERR_SSH;
		goto out;
	}
	r = CN_OK;
 out:
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	return r;
}

int
known_hosts_algorithms(LIBSSH2_SESSION *session, const char *path,
    const char *host, int port, char *buf, size_t len)
{
	static const struct {
		const char	*name;
		int		 type;
	} algs[] = {
		{ "ssh-ed25519",		LIBSSH2_HOSTKEY_TYPE_ED25519 },
		{ "ecdsa-sha2-nistp256",	LIBSSH2_HOSTKEY_TYPE_ECDSA_256 },
		{ "ecdsa-sha2-nistp384",	LIBSSH2_HOSTKEY_TYPE_ECDSA_384 },
		{ "ecdsa-sha2-nistp521",	LIBSSH2_HOSTKEY_TYPE_ECDSA_521 },
		{ "ssh-rsa",			LIBSSH2_HOSTKEY_TYPE_RSA },
	};
	enum { N = sizeof(algs) / sizeof(algs[0]) };
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct libssh2_knownhost *found;
	bool known[N] = { false };
	size_t i, pass, off = 0;
	int r = CN_OK, n;

	if (buf == NULL || len == 0)
		return CN_ERR_INVALID;
	if (session != NULL && path != NULL && host != NULL &&
	    (kh = libssh2_knownhost_init(session)) != NULL &&
	    (r = load_file(kh, path)) == CN_OK) {
		/*
		 * A made-up key of each type: MISMATCH says the host has an
		 * entry of that type (libssh2 compares types before keys).
		 */
		for (i = 0; i < N; i++)
			known[i] = libssh2_knownhost_checkp(kh, host, port,
			    "x", 1, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
			    LIBSSH2_KNOWNHOST_KEYENC_RAW |
			    knownhost_keybits(algs[i].type), &found) ==
			    LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
	}
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	buf[0] = '\0';
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < N; i++) {
			if (known[i] != (pass == 0))
				continue;
			n = snprintf(buf + off, len - off, "%s%s",
			    off > 0 ? "," : "", algs[i].name);
			if (n < 0 || (size_t)n >= len - off)
				return CN_ERR_INVALID;
			off += (size_t)n;
		}
	return r;
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
known_hosts_append(LIBSSH2_SESSION *session, const char *path,
    const char *host, int port, const void *key, size_t keylen,
    int hostkey_type)
{
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct libssh2_knownhost *entry = NULL;
	char spec[1100], line[16384];
	size_t linelen = 0, off;
	ssize_t w;
	struct stat st;
	char last;
	int fd = -1, r, bits, saved;

	if (session == NULL || path == NULL || host == NULL || key == NULL)
		return CN_ERR_INVALID;
	if ((bits = knownhost_keybits(hostkey_type)) == 0)
		return CN_ERR_UNSUPPORTED;
	if ((r = known_hosts_hostspec(host, port, spec, sizeof(spec))) != 0)
		return r;
	if ((kh = libssh2_knownhost_init(session)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	/* Plain (unhashed) names, like ssh with HashKnownHosts no. */
	if (libssh2_knownhost_addc(kh, spec, NULL, key, keylen, NULL, 0,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bits,
	    &entry) != 0 ||
	    libssh2_knownhost_writeline(kh, entry, line, sizeof(line),
	    &linelen, LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
		r = CN_ERR_SSH;
		goto out;
	}
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
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	errno = saved;
	return r;
}

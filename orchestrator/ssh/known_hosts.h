/*
 * Host key verification against an OpenSSH known_hosts file, with
 * libssh2's knownhost API (plain, "[host]:port" and hashed "|1|" entries).
 *
 * The file is read line by line and lines libssh2 cannot parse (markers,
 * certificate authorities, key types it does not know) are skipped, so one
 * odd line never hides the entries after it.  New hosts are recorded by
 * appending exactly one line (O_APPEND): the user's file is never
 * rewritten.
 *
 * Who frees: nothing here allocates memory that outlives a call.
 */
#ifndef CN_KNOWN_HOSTS_H
#define CN_KNOWN_HOSTS_H

#include <stddef.h>

#include <libssh2.h>

enum known_hosts_result {
	KNOWN_HOSTS_MATCH = 0,		/* host known, key is the same */
	KNOWN_HOSTS_NOTFOUND,		/* host not in the file */
	KNOWN_HOSTS_MISMATCH,		/* host known with another key */
};

/*
 * The name OpenSSH writes for host:port: "host" for port 22, else
 * "[host]:port".  Returns CN_OK or CN_ERR_INVALID when it does not fit.
 */
int	known_hosts_hostspec(const char *host, int port, char *buf,
	    size_t len);

/*
 * "SHA256:<base64 without padding>" from a 32-byte SHA-256 digest, as
 * ssh-keygen -l prints it.  Returns CN_OK or CN_ERR_INVALID.
 */
int	known_hosts_fingerprint(const unsigned char sha256[32], char *buf,
	    size_t len);

/* Same, hashing a raw public key blob first. */
int	known_hosts_fingerprint_blob(const void *blob, size_t bloblen,
	    char *buf, size_t len);

/* For LIBSSH2_HOSTKEY_TYPE_*: "ED25519", "ECDSA", "RSA", "DSA" as
 * OpenSSH names them in messages, or "UNKNOWN". */
const char *known_hosts_keytype_label(int hostkey_type);

/* For LIBSSH2_HOSTKEY_TYPE_*: the ssh-keyscan -t name ("ed25519"...). */
const char *known_hosts_keyscan_type(int hostkey_type);

/*
 * Check host:port presenting key (raw blob, LIBSSH2_HOSTKEY_TYPE_*) against
 * the file at path.  A missing file holds no hosts.  session only serves
 * libssh2's allocator (an unconnected session will do).  *result is set on
 * CN_OK; CN_ERR_IO when the file exists but cannot be read,
 * CN_ERR_UNSUPPORTED for a key type libssh2 cannot check.
 */
int	known_hosts_check(LIBSSH2_SESSION *session, const char *path,
	    const char *host, int port, const void *key, size_t keylen,
	    int hostkey_type, enum known_hosts_result *result);

/*
 * Host key algorithms for libssh2_session_method_pref(), in OpenSSH's
 * order but with the types path already holds for host:port first, so
 * the server shows the key we can check (as ssh orders them).  Writes a
 * comma list into buf; CN_OK, or an error from reading the file (the
 * default order is written then too).
 */
int	known_hosts_algorithms(LIBSSH2_SESSION *session, const char *path,
	    const char *host, int port, char *buf, size_t len);

/*
 * Append one line for host:port and key to path.  The file is created
 * 0600 (its directory 0700) when missing; existing lines are untouched.
 * Returns CN_OK, CN_ERR_SYSTEM (see errno) or CN_ERR_SSH.
 */
int	known_hosts_append(LIBSSH2_SESSION *session, const char *path,
	    const char *host, int port, const void *key, size_t keylen,
	    int hostkey_type);

#endif

/*
 * Host keys decided as OpenSSH decides (hostfile.c, match.c and
 * sshconnect.c's check_host_key), read and written by cnorch itself;
 * libssh2 only hands over the key the server offered.
 *
 * The name looked up is "[host]:port" for ports other than 22 and the
 * plain host for 22 (lowercase), or HostKeyAlias verbatim when the user's
 * ssh_config sets one.  There is no fallback to the bare host name for
 * another port: ssh tries that when "[host]:port" is not in the file at
 * all, cnorch refuses instead (stricter, never looser; AutoDL-style
 * platforms put many tenants behind one name on different ports).
 *
 * A line applies when its host field matches the name: a hashed
 * "|1|salt|hash" entry (HMAC-SHA1 of the name keyed by the salt), or a
 * comma list of patterns with '*' and '?' where a matching "!pattern"
 * excludes the line.  Among applying lines without a marker, a key equal
 * to the offered one is a match; else any other key (of any type) makes
 * it a mismatch, as check_hostkeys_by_key_or_type() does (for a key of
 * another type ssh would refuse too: with its strict checking, a key of
 * a type it does not know for the host is refused).  An applying
 * "@revoked" line with the offered key refuses it whatever else says.
 * "@cert-authority" lines are not used (cnorch does not check host
 * certificates); they are counted so a refusal can say so.  Lines that
 * do not parse are skipped, as ssh skips them.
 *
 * Who frees: nothing here allocates memory that outlives a call.
 */
#ifndef CN_KNOWN_HOSTS_H
#define CN_KNOWN_HOSTS_H

#include <stddef.h>

enum known_hosts_result {
	KNOWN_HOSTS_MATCH = 0,		/* host known, key is the same */
	KNOWN_HOSTS_NOTFOUND,		/* no line for this name */
	KNOWN_HOSTS_MISMATCH,		/* known with another key */
	KNOWN_HOSTS_REVOKED,		/* the key is marked @revoked */
};

struct known_hosts_verdict {
	enum known_hosts_result result;
	unsigned long	 line;		/* the line matched, offending or
					   revoking; 0 when none */
	unsigned	 cert_authority; /* @cert-authority lines ignored */
};

/*
 * The name OpenSSH writes for host:port: "host" for port 22, else
 * "[host]:port".  Returns CN_OK or CN_ERR_INVALID when it does not fit.
 */
int	known_hosts_hostspec(const char *host, int port, char *buf,
	    size_t len);

/*
 * The name to look up: alias (HostKeyAlias) when non-empty, else the
 * hostspec of host:port; lowercased, as ssh does.  CN_OK or
 * CN_ERR_INVALID.
 */
int	known_hosts_lookup_name(const char *host, int port,
	    const char *alias, char *buf, size_t len);

/*
 * match.c's match_hostname(): name against a comma list of patterns
 * ('*', '?', "!negated"), patterns lowercased.  1: a pattern matched;
 * -1: a negated pattern matched (the line does not apply); 0: none.
 */
int	known_hosts_match_patterns(const char *name, const char *patterns);

/*
 * Does the hashed entry "|1|salt|hash" stand for name?  1 yes, 0 no, -1
 * when the entry is malformed.
 */
int	known_hosts_match_hashed(const char *name, const char *entry);

/*
 * Check the key the server offered (raw blob) for name (see
 * known_hosts_lookup_name) against the file at path; a missing file holds
 * no hosts.  Fills *v on CN_OK; CN_ERR_IO (errno set) when the file exists
 * but cannot be read; CN_ERR_INVALID for a blob without a key type.
 */
int	known_hosts_check(const char *path, const char *name,
	    const void *key, size_t keylen, struct known_hosts_verdict *v);

/*
 * Host key algorithms for libssh2_session_method_pref(), in OpenSSH's
 * order but with the types path already holds for name first, so the
 * server shows the key we can check (as ssh orders them).  Writes a comma
 * list into buf; CN_OK, or an error from reading the file (the default
 * order is written then too).  path or name NULL: the default order.
 */
int	known_hosts_algorithms(const char *path, const char *name, char *buf,
	    size_t len);

/*
 * Append one line "name keytype base64" for key to path, or with the name
 * hashed ("|1|salt|hash", as ssh's HashKnownHosts) when the file already
 * holds hashed entries.  The file is created 0600 (its directory 0700)
 * when missing; existing lines are untouched.  A name that would not read
 * back as one name (empty, whitespace, ',', '#', '!', '|' or '@' first) is
 * refused with CN_ERR_INVALID.  Returns CN_OK, CN_ERR_SYSTEM (see errno).
 *
 * known_hosts_recordable() says whether ssh would record a key for this
 * host name at all (none of @?*#[]|'"\ in it, sshconnect.c).
 */
int	known_hosts_append(const char *path, const char *name,
	    const void *key, size_t keylen);
int	known_hosts_recordable(const char *hostname);

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

#endif

/*
 * Just enough of OpenSSH's key files to choose and explain: the public
 * key blob of a .pub file, whether a private key is RSA or encrypted.
 * libssh2 does the actual key loading and signing.
 *
 * Who frees: returned buffers are malloc'd, the caller frees them.
 */
#ifndef CN_KEYFILE_H
#define CN_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Decode base64 (no whitespace) into a malloc'd buffer; NULL when it is
 * not base64 or on no memory. */
unsigned char *keyfile_b64_decode(const char *in, size_t inlen,
	    size_t *outlen);

/* The key blob of an OpenSSH .pub file ("type base64 comment"); sets
 * *is_rsa for an ssh-rsa key.  NULL when unreadable. */
unsigned char *keyfile_pub_blob(const char *pubpath, size_t *len,
	    bool *is_rsa);

/*
 * What the private key file is: RSA or not, passphrase-protected or not.
 * Reads PEM headers and the openssh-key-v1 header (cipher, first key
 * type); anything unknown leaves the flags alone.
 */
void	keyfile_info(const char *path, bool *is_rsa, bool *encrypted);

#endif

/* keyfile: the bits of OpenSSH key files cnorch reads itself (keyfile.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "keyfile.h"

unsigned char *
keyfile_b64_decode(const char *in, size_t inlen, size_t *outlen)
{
	unsigned char *out;
	size_t pad = 0;
	int n;

	if (inlen == 0 || inlen % 4 != 0 || inlen > INT32_MAX)
		return NULL;
	if ((out = malloc(inlen / 4 * 3 + 1)) == NULL)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0) {
		free(out);
		return NULL;
	}
	if (in[inlen - 1] == '=')
		pad++;
	if (in[inlen - 2] == '=')
		pad++;
	*outlen = (size_t)n - pad;
	return out;
}

static char *
read_small_file(const char *path, size_t max)
{
	FILE *fp;
	char *d;
	size_t n;

	if ((fp = fopen(path, "re")) == NULL)
		return NULL;
	if ((d = malloc(max + 1)) != NULL) {
		n = fread(d, 1, max, fp);
		d[n] = '\0';
	}
	fclose(fp);
	return d;
}

unsigned char *
keyfile_pub_blob(const char *pubpath, size_t *len, bool *is_rsa)
{
	char *text, *p, *e;
	unsigned char *blob = NULL;

	if ((text = read_small_file(pubpath, 16384)) == NULL)
		return NULL;
	if (strncmp(text, "ssh-rsa ", 8) == 0)
		*is_rsa = true;
	if ((p = strchr(text, ' ')) != NULL) {
		p++;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\n'; e++)
			;
		blob = keyfile_b64_decode(p, (size_t)(e - p), len);
	}
	free(text);
	return blob;
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Next SSH string at *p (within end): its start and length. */
static bool
get_str(const unsigned char **p, const unsigned char *end,
    const unsigned char **s, uint32_t *n)
{
	if (end - *p < 4)
		return false;
	*n = get_u32(*p);
	if ((size_t)(end - *p - 4) < *n)
		return false;
	*s = *p + 4;
	*p += 4 + *n;
	return true;
}

void
keyfile_info(const char *path, bool *is_rsa, bool *encrypted)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	char *text, *b64 = NULL, *p, *q;
	unsigned char *raw = NULL;
	const unsigned char *c, *end, *sv, *kv;
	uint32_t sn, kn;
	size_t rawlen, n = 0;

	if ((text = read_small_file(path, 65536)) == NULL)
		return;
	if (strstr(text, "BEGIN RSA PRIVATE KEY") != NULL)
		*is_rsa = true;
	/* PEM: "Proc-Type: 4,ENCRYPTED" (legacy), PKCS#8 "BEGIN ENCRYPTED". */
	if (strstr(text, "4,ENCRYPTED") != NULL ||
	    strstr(text, "BEGIN ENCRYPTED PRIVATE KEY") != NULL)
		*encrypted = true;
	if ((p = strstr(text, begin)) == NULL)
		goto out;
	p += sizeof(begin) - 1;
	if ((q = strstr(p, "-----END")) == NULL ||
	    (b64 = malloc((size_t)(q - p) + 1)) == NULL)
		goto out;
	for (; p < q; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			b64[n++] = *p;
	b64[n] = '\0';
	if ((raw = keyfile_b64_decode(b64, n, &rawlen)) == NULL ||
	    rawlen < sizeof(magic) ||
	    memcmp(raw, magic, sizeof(magic)) != 0)
		goto out;
	c = raw + sizeof(magic);
	end = raw + rawlen;
	if (!get_str(&c, end, &sv, &sn))		/* ciphername */
		goto out;
	if (!(sn == 4 && memcmp(sv, "none", 4) == 0))
		*encrypted = true;
	if (!get_str(&c, end, &sv, &sn) ||		/* kdfname */
	    !get_str(&c, end, &sv, &sn) ||		/* kdfoptions */
	    end - c < 4)
		goto out;
	c += 4;						/* nkeys */
	if (!get_str(&c, end, &sv, &sn))		/* public key */
		goto out;
	end = sv + sn;
	if (get_str(&sv, end, &kv, &kn) && kn == 7 &&
	    memcmp(kv, "ssh-rsa", 7) == 0)
		*is_rsa = true;
 out:
	free(raw);
	free(b64);
	free(text);
}

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "hash.h"

struct hasher {
	enum hash_kind	 kind;
	EVP_MD_CTX	*ctx;
};

enum hash_kind
hash_kind_for(const struct plan_file *f)
{
	if (f->sha256[0] != '\0')
		return HASH_SHA256;
	if (f->git_sha1[0] != '\0')
		return HASH_GIT_SHA1;
	return HASH_NONE;
}

const char *
hash_expected(const struct plan_file *f, enum hash_kind kind)
{
	switch (kind) {
	case HASH_SHA256:
		return f->sha256;
	case HASH_GIT_SHA1:
		return f->git_sha1;
	default:
		return "";
	}
}

const char *
hash_name(enum hash_kind kind)
{
	switch (kind) {
	case HASH_SHA256:
		return "sha256";
	case HASH_GIT_SHA1:
		return "git sha1";
	default:
		return "size";
	}
}

int
hasher_create(enum hash_kind kind, uint64_t size, struct hasher **out)
{
	struct hasher *h;
	const EVP_MD *md = NULL;
	char hdr[48];
	int n;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CN_ERR_NOMEM;
	h->kind = kind;
	if (kind == HASH_SHA256)
		md = EVP_sha256();
	else if (kind == HASH_GIT_SHA1)
		md = EVP_sha1();
	if (md != NULL) {
		if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
			hasher_destroy(h);
			return CN_ERR_NOMEM;
		}
	}
	if (kind == HASH_GIT_SHA1) {
		/* git hashes "blob <size>\0" + content. */
		n = snprintf(hdr, sizeof(hdr), "blob %llu",
		    (unsigned long long)size);
		if (EVP_DigestUpdate(h->ctx, hdr, (size_t)n + 1) != 1) {
			hasher_destroy(h);
			return CN_ERR_NOMEM;
		}
	}
	*out = h;
	return CN_OK;
}

int
hasher_update(struct hasher *h, const void *buf, size_t n)
{
	if (h->ctx == NULL || n == 0)
		return CN_OK;
	return EVP_DigestUpdate(h->ctx, buf, n) == 1 ? CN_OK : CN_ERR_NOMEM;
}

int
hasher_final(struct hasher *h, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	hex[0] = '\0';
	if (h->ctx == NULL)
		return CN_OK;
	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n > 32)
		return CN_ERR_NOMEM;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	return CN_OK;
}

void
hasher_destroy(struct hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int
hash_file(const char *path, enum hash_kind kind, uint64_t size, char hex[65])
{
	struct hasher *h = NULL;
	unsigned char *buf = NULL;
	uint64_t left = size;
	ssize_t n;
	int fd = -1, r;

	hex[0] = '\0';
	if ((r = hasher_create(kind, size, &h)) != CN_OK)
		goto out;
	r = CN_ERR_NOMEM;
	if ((buf = malloc(1 << 20)) == NULL)
		goto out;
	r = CN_ERR_SYSTEM;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (left > 0) {
		n = read(fd, buf, left < (1 << 20) ? (size_t)left : 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0) {
			r = CN_ERR_VERIFY;
			goto out;
		}
		if ((r = hasher_update(h, buf, (size_t)n)) != CN_OK)
			goto out;
		left -= (uint64_t)n;
	}
	r = hasher_final(h, hex);
 out:
	if (fd >= 0)
		close(fd);
	free(buf);
	hasher_destroy(h);
	return r;
}

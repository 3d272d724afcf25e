/*
 * Content hashes the hubs publish, on OpenSSL EVP: sha256 for LFS files
 * (and everything ModelScope lists) and the git blob sha1,
 * sha1("blob <size>\0" + data), for small files on Hugging Face.
 *
 * Who frees: hasher_destroy() (accepts NULL).
 */
#ifndef CN_HASH_H
#define CN_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

enum hash_kind {
	HASH_NONE = 0,		/* nothing to check but the size */
	HASH_SHA256,
	HASH_GIT_SHA1,
};

struct hasher;

/* What f can be checked against: sha256 when known, else git sha1. */
enum hash_kind hash_kind_for(const struct plan_file *f);
/* The expected hex digest of f for kind ("" for HASH_NONE). */
const char *hash_expected(const struct plan_file *f, enum hash_kind kind);
const char *hash_name(enum hash_kind kind);

/* size is the whole file's size (the git blob header needs it). */
int	hasher_create(enum hash_kind kind, uint64_t size, struct hasher **out);
int	hasher_update(struct hasher *h, const void *buf, size_t n);
/* Lowercase hex into hex (65 bytes); the hasher cannot be updated after. */
int	hasher_final(struct hasher *h, char hex[65]);
void	hasher_destroy(struct hasher *h);

/*
 * Hash the first size bytes of the file at path (streamed in 1 MiB
 * reads).  CN_ERR_VERIFY when the file is shorter.
 */
int	hash_file(const char *path, enum hash_kind kind, uint64_t size,
	    char hex[65]);

#endif

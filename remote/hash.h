/*
 * Content hashes the hubs publish, on OpenSSL EVP: sha256 for LFS files
 * (and everything ModelScope lists) and the git blob sha1,
 * sha1("blob <size>\0" + data), for small files on Hugging Face.
 *
 * The hashing pool follows files while they download: a thread of its
 * own reads each file's contiguous prefix back and hashes it, so SHA-256
 * never slows the transfer loop.
 *
 * Who frees: hasher_destroy(), hash_pool_destroy() (accept NULL).
 */
#ifndef CN_HASH_H
#define CN_HASH_H

#include <stdbool.h>
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
/* Which hash a lowercase hex digest is by its length (a blob's name in
 * the HF cache, an etag): 64 sha256, 40 git sha1, else HASH_NONE. */
enum hash_kind hash_kind_of_name(const char *hex);

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

/*
 * One file the hashing pool follows; its owner embeds it.  The digest
 * covers [0, hashed).  Between hash_pool_attach() and hash_pool_detach()
 * only the pool touches the hasher and reads fd; the owner reads the
 * progress through hash_pool_feed().
 */
struct hash_job {
	int		 fd;
	struct hasher	*hash;
	uint64_t	 hashed;
	uint64_t	 target;	/* contiguous prefix on disk */
	uint64_t	 synced;	/* [0, synced) waited out to disk */
	bool		 enabled;
	bool		 active;	/* the thread is inside a step */
	bool		 error;		/* pread or digest failed */
	bool		 wake;		/* the owner waits for the digest */
	struct hash_job	*next;		/* the pool's list */
};

struct hash_pool;

/*
 * Start the hashing thread.  wake(wake_arg) is called from the thread
 * when a job whose owner waits (see hash_pool_feed) caught up or failed.
 * Without a thread (pthread_create failed) the pool hashes inline, a
 * bounded amount per hash_pool_feed() call.
 */
int	hash_pool_create(void (*wake)(void *), void *wake_arg,
	    struct hash_pool **out);
/* Stop and join the thread; detach every job first. */
void	hash_pool_destroy(struct hash_pool *pool);
/* Start hashing fd from byte 0 into h. */
void	hash_pool_attach(struct hash_pool *pool, struct hash_job *j, int fd,
	    struct hasher *h);
/* Take j back: the pool is not hashing it when this returns. */
void	hash_pool_detach(struct hash_pool *pool, struct hash_job *j);
/*
 * Tell the pool j's file holds [0, prefix); with wait, the owner waits
 * for the digest (the thread calls wake when it gets there).  Returns how
 * far the digest is, or -1 after a read error.  Inline, hashes at most
 * *budget bytes (decremented) and sets *behind when not caught up.
 */
int64_t	hash_pool_feed(struct hash_pool *pool, struct hash_job *j,
	    uint64_t prefix, bool wait, size_t *budget, bool *behind);

#endif

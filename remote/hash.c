/* Content hashes on OpenSSL EVP and the hashing pool that follows downloads (hash.h). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "hash.h"

#define READBUF		(1u << 20)
#define HASH_STEP	(4u << 20)	/* hashing thread, per lock */

struct hash_pool {
	bool		 threaded;
	bool		 quit;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* owner -> thread: new bytes */
	pthread_cond_t	 step;		/* thread -> owner: a step ended */
	unsigned char	*buf;
	struct hash_job	*jobs;		/* attached, in attach order */
	void		(*wake)(void *);
	void		*wake_arg;
};

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

enum hash_kind
hash_kind_of_name(const char *hex)
{
	size_t n = strlen(hex), i;

	for (i = 0; i < n; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return HASH_NONE;
	return n == 64 ? HASH_SHA256 : n == 40 ? HASH_GIT_SHA1 : HASH_NONE;
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

/*
 * The hashing pool.  The digest follows each file's contiguous prefix,
 * read back with pread from the page cache (the bytes were written
 * moments ago), on a thread of its own; the thread also starts writeback
 * of the hashed prefix (sync_file_range), so the fdatasync before commit
 * has little left to do.
 */

/* Hash [from, to) of j's file; bytes hashed or -1. */
static ssize_t
hash_step(struct hash_job *j, unsigned char *buf, uint64_t from, uint64_t to)
{
	uint64_t at = from;
	size_t want;
	ssize_t n;

	while (at < to) {
		want = to - at > READBUF ? READBUF : (size_t)(to - at);
		n = pread(j->fd, buf, want, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (hasher_update(j->hash, buf, (size_t)n) != CN_OK)
			return -1;
		at += (uint64_t)n;
	}
	return (ssize_t)(at - from);
}

/*
 * Writeback behind the hashing front: start it for what was just hashed,
 * and wait for it (WAIT_BEFORE|WRITE|WAIT_AFTER) on what lies more than
 * SYNC_LAG behind, so the disk works while the download runs and the
 * fdatasync before commit finds little left.  Only this thread waits,
 * never the network loop.  j->synced is the thread's own field.
 */
#define SYNC_LAG	(8ULL << 20)
static void
sync_behind(struct hash_job *j, uint64_t from, uint64_t n, uint64_t behind)
{
	uint64_t upto;

	(void)sync_file_range(j->fd, (off_t)from, (off_t)n,
	    SYNC_FILE_RANGE_WRITE);
	/* The digest first: wait for the disk only when the hashing has
	 * caught up with the download (it would idle anyway). */
	if (behind > SYNC_LAG || from + n < j->synced + 2 * SYNC_LAG)
		return;
	upto = from + n - SYNC_LAG;
	(void)sync_file_range(j->fd, (off_t)j->synced, (off_t)(upto -
	    j->synced), SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
	    SYNC_FILE_RANGE_WAIT_AFTER);
	j->synced = upto;
}

static void *
hash_thread(void *arg)
{
	struct hash_pool *pool = arg;
	struct hash_job *j;
	uint64_t from, to, behind;
	ssize_t n;

	pthread_mutex_lock(&pool->mu);
	while (!pool->quit) {
		for (j = pool->jobs; j != NULL; j = j->next)
			if (j->enabled && !j->error && j->hashed < j->target)
				break;
		if (j == NULL) {
			pthread_cond_wait(&pool->work, &pool->mu);
			continue;
		}
		from = j->hashed;
		to = j->target - from > HASH_STEP ? from + HASH_STEP :
		    j->target;
		behind = j->target - to;
		j->active = true;
		pthread_mutex_unlock(&pool->mu);
		n = hash_step(j, pool->buf, from, to);
		if (n > 0)
			sync_behind(j, from, (uint64_t)n, behind);
		pthread_mutex_lock(&pool->mu);
		if (n < 0)
			j->error = true;
		else
			j->hashed += (uint64_t)n;
		j->active = false;
		pthread_cond_broadcast(&pool->step);
		/* Caught up with a file the owner waits to finish. */
		if (j->wake && (j->hashed == j->target || j->error) &&
		    pool->wake != NULL)
			pool->wake(pool->wake_arg);
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

int
hash_pool_create(void (*wake)(void *), void *wake_arg,
    struct hash_pool **out)
{
	struct hash_pool *pool;

	*out = NULL;
	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return CN_ERR_NOMEM;
	if ((pool->buf = malloc(READBUF)) == NULL) {
		free(pool);
		return CN_ERR_NOMEM;
	}
	pool->wake = wake;
	pool->wake_arg = wake_arg;
	/* Without the thread, hash_pool_feed hashes inline. */
	if (pthread_mutex_init(&pool->mu, NULL) == 0) {
		if (pthread_cond_init(&pool->work, NULL) == 0) {
			if (pthread_cond_init(&pool->step, NULL) == 0) {
				if (pthread_create(&pool->thread, NULL,
				    hash_thread, pool) == 0)
					pool->threaded = true;
				else
					pthread_cond_destroy(&pool->step);
			}
			if (!pool->threaded)
				pthread_cond_destroy(&pool->work);
		}
		if (!pool->threaded)
			pthread_mutex_destroy(&pool->mu);
	}
	*out = pool;
	return CN_OK;
}

void
hash_pool_destroy(struct hash_pool *pool)
{
	if (pool == NULL)
		return;
	if (pool->threaded) {
		pthread_mutex_lock(&pool->mu);
		pool->quit = true;
		pthread_cond_signal(&pool->work);
		pthread_mutex_unlock(&pool->mu);
		pthread_join(pool->thread, NULL);
		pthread_cond_destroy(&pool->step);
		pthread_cond_destroy(&pool->work);
		pthread_mutex_destroy(&pool->mu);
	}
	free(pool->buf);
	free(pool);
}

void
hash_pool_attach(struct hash_pool *pool, struct hash_job *j, int fd,
    struct hasher *h)
{
	struct hash_job **pp;

	if (pool->threaded)
		pthread_mutex_lock(&pool->mu);
	j->fd = fd;
	j->hash = h;
	j->hashed = 0;
	j->target = 0;
	j->synced = 0;
	j->error = false;
	j->wake = false;
	j->active = false;
	if (!j->enabled) {
		j->next = NULL;
		for (pp = &pool->jobs; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = j;
	}
	j->enabled = true;
	if (pool->threaded)
		pthread_mutex_unlock(&pool->mu);
}

void
hash_pool_detach(struct hash_pool *pool, struct hash_job *j)
{
	struct hash_job **pp;

	if (pool->threaded) {
		pthread_mutex_lock(&pool->mu);
		while (j->active)
			pthread_cond_wait(&pool->step, &pool->mu);
	}
	if (j->enabled)
		for (pp = &pool->jobs; *pp != NULL; pp = &(*pp)->next)
			if (*pp == j) {
				*pp = j->next;
				break;
			}
	j->enabled = false;
	j->next = NULL;
	if (pool->threaded)
		pthread_mutex_unlock(&pool->mu);
}

int64_t
hash_pool_feed(struct hash_pool *pool, struct hash_job *j, uint64_t prefix,
    bool wait, size_t *budget, bool *behind)
{
	uint64_t to;
	int64_t done;
	ssize_t n;

	if (pool->threaded) {
		pthread_mutex_lock(&pool->mu);
		j->wake = wait;
		if (prefix > j->target) {
			j->target = prefix;
			pthread_cond_signal(&pool->work);
		}
		done = j->error ? -1 : (int64_t)j->hashed;
		pthread_mutex_unlock(&pool->mu);
		return done;
	}
	j->target = prefix;
	if (j->hashed < prefix && *budget > 0) {
		to = prefix - j->hashed > *budget ? j->hashed + *budget :
		    prefix;
		if ((n = hash_step(j, pool->buf, j->hashed, to)) < 0)
			return -1;
		j->hashed += (uint64_t)n;
		*budget -= (size_t)n;
	}
	if (j->hashed < prefix)
		*behind = true;
	return (int64_t)j->hashed;
}

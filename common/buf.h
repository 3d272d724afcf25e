/*
 * A growable byte buffer, always NUL-terminated so text can be read in
 * place; used for command output, file contents and built strings.
 *
 * Who frees: the caller owns struct buf (zero it to start) and releases
 * its memory with buf_release(), which accepts NULL.
 */
#ifndef CN_BUF_H
#define CN_BUF_H

#include <stddef.h>

struct buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
};

/* Free b's memory and zero it; accepts NULL. */
void	buf_release(struct buf *b);

/* Append n bytes (p may be NULL when n is 0).  CN_OK, CN_ERR_NOMEM or
 * CN_ERR_INVALID; on failure b is unchanged. */
int	buf_append(struct buf *b, const void *p, size_t n);

#endif

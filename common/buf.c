/* buf: the growable byte buffer (see buf.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

void
buf_release(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	size_t need, cap;
	char *d;

	if (b == NULL || (p == NULL && n > 0))
		return CN_ERR_INVALID;
	if (n > SIZE_MAX - b->len - 1)
		return CN_ERR_NOMEM;
	need = b->len + n + 1;
	if (need > b->cap) {
		/* Doubling keeps appends amortized O(1). */
		cap = b->cap != 0 ? b->cap : 256;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return CN_ERR_NOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CN_OK;
}

/*
 * The payload embedded in cnorch: cnorch-agent, setup-china-mirrors.sh and
 * the SHA256SUMS file naming both.  Uploaded to ~/.cnorch/payload/<id>/
 * where <id> is payload_id().  All data is static; nothing to free.
 */
#ifndef CN_PAYLOAD_H
#define CN_PAYLOAD_H

#include <stddef.h>

struct payload_file {
	const char		*name;		/* file name on the box */
	const unsigned char	*data;
	size_t			 size;
	int			 mode;		/* e.g. 0700 */
	const char		*sha256;	/* lowercase hex */
};

/* sha256 (hex) of the SHA256SUMS text: the payload's identity. */
const char *payload_id(void);

/* The files to upload, SHA256SUMS last; *n receives the count. */
const struct payload_file *payload_files(size_t *n);

/* Look a file up by its name on the box, or NULL. */
const struct payload_file *payload_file(const char *name);

#endif

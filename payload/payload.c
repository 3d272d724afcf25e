/* The payload table (payload.h) over the blobs payload_blob.S embeds. */
#include <string.h>

#include "payload.h"
#include "payload_manifest.h"

/* Symbols from the generated payload_blob.S (.incbin). */
extern const unsigned char cn_payload_agent[], cn_payload_agent_end[];
extern const unsigned char cn_payload_setup[], cn_payload_setup_end[];

static const char sums[] = CN_PAYLOAD_SUMS;
static struct payload_file files[3];

static void
fill(void)
{
	if (files[0].name != NULL)
		return;
	files[0] = (struct payload_file){ CN_PAYLOAD_AGENT_NAME,
	    cn_payload_agent, (size_t)(cn_payload_agent_end - cn_payload_agent),
	    CN_PAYLOAD_AGENT_MODE, CN_PAYLOAD_AGENT_SHA256 };
	files[1] = (struct payload_file){ CN_PAYLOAD_SETUP_NAME,
	    cn_payload_setup, (size_t)(cn_payload_setup_end - cn_payload_setup),
	    CN_PAYLOAD_SETUP_MODE, CN_PAYLOAD_SETUP_SHA256 };
	files[2] = (struct payload_file){ "SHA256SUMS",
	    (const unsigned char *)sums, sizeof(sums) - 1, 0600, NULL };
}

const char *
payload_id(void)
{
	return CN_PAYLOAD_ID;
}

const struct payload_file *
payload_files(size_t *n)
{
	fill();
	*n = sizeof(files) / sizeof(files[0]);
	return files;
}

const struct payload_file *
payload_file(const char *name)
{
	size_t i, n;
	const struct payload_file *f = payload_files(&n);

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

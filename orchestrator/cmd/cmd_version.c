/* cnorch version: our version, the libraries linked in, the payload id. */
#include <curl/curl.h>
#include <jansson.h>
#include <libssh2.h>
#include <openssl/crypto.h>
#include <stdio.h>

#include "cmd.h"
#include "payload.h"

#include "error.h"

static int
version_exec(struct cmd_run *run)
{
	size_t i, n;
	const struct payload_file *f;

	(void)run;
	printf("cnorch %s\n", CN_VERSION);
	printf("libssh2 %s\n", libssh2_version(0));
	printf("libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
	printf("openssl %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("jansson %s\n", jansson_version_str());
	printf("payload %s\n", payload_id());
	f = payload_files(&n);
	for (i = 0; i < n; i++)
		if (f[i].sha256 != NULL)
			printf("  %s %s %zu bytes\n", f[i].sha256, f[i].name,
			    f[i].size);
	return CN_OK;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.synopsis = "version",
	.summary = "Show cnorch's version, its libraries and the payload id.",
	.target = CMD_TARGET_NONE,
	.exec = version_exec,
};

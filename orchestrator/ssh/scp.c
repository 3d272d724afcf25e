/* scp: upload one buffer to a path on the box over SCP (see session.h). */
#include <stdlib.h>

#include <libssh2.h>

#include "error.h"
#include "session.h"
#include "session_int.h"
#include "ssh_error.h"

int
session_scp_put(struct session *s, const char *remote_path,
    const void *data, size_t len, int mode)
{
	LIBSSH2_CHANNEL *ch = NULL;
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int r, rc;

	if (s == NULL || s->ssh == NULL || remote_path == NULL ||
	    (data == NULL && len > 0))
		return CN_ERR_INVALID;
	libssh2_session_set_blocking(s->ssh, 1);
	ch = libssh2_scp_send64(s->ssh, remote_path, mode & 0777,
	    (libssh2_int64_t)len, 0, 0);
	if (ch == NULL) {
		r = cn_err_from_libssh2(libssh2_session_last_errno(s->ssh));
		if (r == CN_OK || r == CN_ERR_AGAIN)
			r = CN_ERR_SSH;
		session_set_err(s, "cannot upload '%s': %s", remote_path,
		    session_lasterr(s));
		goto out;
	}
	while (off < len) {
		n = libssh2_channel_write(ch, p + off, len - off);
		if (n == LIBSSH2_ERROR_EAGAIN)
			continue;
		if (n < 0) {
			r = cn_err_from_libssh2((int)n);
			session_set_err(s, "cannot upload '%s': %s", remote_path,
			    session_lasterr(s));
			goto out;
		}
		off += (size_t)n;
	}
	if ((rc = libssh2_channel_send_eof(ch)) != 0 ||
	    (rc = libssh2_channel_wait_eof(ch)) != 0 ||
	    (rc = libssh2_channel_wait_closed(ch)) != 0) {
		r = cn_err_from_libssh2(rc);
		session_set_err(s, "cannot upload '%s': %s", remote_path,
		    session_lasterr(s));
		goto out;
	}
	r = CN_OK;
 out:
	if (ch != NULL)
		(void)libssh2_channel_free(ch);
	return r;
}

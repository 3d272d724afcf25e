/* ssh_error: libssh2 error codes into the CN_ERR_* range, in one place. */
#include <libssh2.h>

#include "error.h"
#include "ssh_error.h"

int
cn_err_from_libssh2(int rc)
{
	switch (rc) {
	case 0:
		return CN_OK;
	case LIBSSH2_ERROR_EAGAIN:
		return CN_ERR_AGAIN;
	case LIBSSH2_ERROR_ALLOC:
		return CN_ERR_NOMEM;
	case LIBSSH2_ERROR_TIMEOUT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
		return CN_ERR_TIMEOUT;
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
		return CN_ERR_CONNECT;
	case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
	case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
	case LIBSSH2_ERROR_PASSWORD_EXPIRED:
		return CN_ERR_AUTH;
	case LIBSSH2_ERROR_FILE:
		return CN_ERR_IO;
	case LIBSSH2_ERROR_HOSTKEY_INIT:
	case LIBSSH2_ERROR_HOSTKEY_SIGN:
	case LIBSSH2_ERROR_KEX_FAILURE:
	case LIBSSH2_ERROR_BANNER_RECV:
	case LIBSSH2_ERROR_BANNER_SEND:
	case LIBSSH2_ERROR_PROTO:
		return CN_ERR_PROTOCOL;
	}
	return CN_ERR_SSH;
}

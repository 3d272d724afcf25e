/* Translation of libssh2 error codes into the CN_ERR_* range. */
#ifndef CN_SSH_ERROR_H
#define CN_SSH_ERROR_H

/* LIBSSH2_ERROR_EAGAIN maps to CN_ERR_AGAIN: "would block", not a failure. */
int cn_err_from_libssh2(int rc);

#endif

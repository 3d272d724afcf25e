/* The CN_ERR_* range and its messages (error.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

const char *
cn_strerror(int r)
{
	switch (r) {
	case CN_OK:			return "success";
	case CN_ERR_SYSTEM:		return strerror(errno);
	case CN_ERR_NOMEM:		return "out of memory";
	case CN_ERR_INVALID:		return "invalid argument";
	case CN_ERR_PARSE:		return "malformed input";
	case CN_ERR_NOT_FOUND:		return "not found";
	case CN_ERR_EXISTS:		return "already exists";
	case CN_ERR_IO:			return "input/output error";
	case CN_ERR_TIMEOUT:		return "timed out";
	case CN_ERR_CONNECT:		return "cannot connect";
	case CN_ERR_HOSTKEY_UNKNOWN:	return "host key unknown";
	case CN_ERR_HOSTKEY_CHANGED:	return "host key changed";
	case CN_ERR_AUTH:		return "authentication failed";
	case CN_ERR_SSH:		return "ssh protocol error";
	case CN_ERR_REMOTE:		return "remote command failed";
	case CN_ERR_HTTP:		return "unexpected HTTP status";
	case CN_ERR_CURL:		return "transfer failed";
	case CN_ERR_VERIFY:		return "verification failed";
	case CN_ERR_NOSPACE:		return "not enough free space";
	case CN_ERR_UNSAFE_PATH:	return "unsafe path";
	case CN_ERR_LOCKED:		return "locked by another process";
	case CN_ERR_ACCESS:		return "access denied";
	case CN_ERR_STALL:		return "transfer stalled";
	case CN_ERR_RETRIES:		return "retry budget exhausted";
	case CN_ERR_AGAIN:		return "would block";
	case CN_ERR_INTERRUPTED:	return "interrupted";
	case CN_ERR_UNSUPPORTED:	return "not supported";
	case CN_ERR_USAGE:		return "usage error";
	case CN_ERR_PROTOCOL:		return "protocol error";
	}
	return "unknown error";
}

void
cn_msg(char **msg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(msg, fmt, ap) < 0)
		*msg = NULL;
	va_end(ap);
}

/*
 * exec: run one command over a channel, driven non-blocking from a poll()
 * loop so one call can watch the command's deadline, send keepalives and
 * notice a silent peer (see session.h).  Output goes to the caller in big
 * chunks (session_exec_stream) or into capped buffers (session_exec).
 *
 * On a command timeout the channel is closed; libssh2 1.10 cannot send a
 * signal over a channel, and sshd does not signal a command without a pty
 * when its channel closes.  A caller that needs the remote process group
 * ended wraps the command on the box (cmd_exec.c runs it under
 * `timeout --kill-after`, which signals its whole process group).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "buf.h"
#include "error.h"
#include "session.h"
#include "session_int.h"
#include "ssh_error.h"

/* One read's worth: big enough that a fast stream costs few callbacks
 * (and few writes downstream), small enough to live on the heap once. */
#define READ_CHUNK	(256 * 1024)

/* Wait until the socket can move what libssh2 waits for. */
static int
wait_socket(struct session *s, int ms, bool *got_input)
{
	struct pollfd pfd;
	int dir, pr;

	dir = libssh2_session_block_directions(s->ssh);
	pfd.fd = s->sock;
	pfd.events = POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		pfd.events |= POLLOUT;
	pfd.revents = 0;
	pr = poll(&pfd, 1, ms);
	if (pr == -1 && errno != EINTR)
		return CN_ERR_SYSTEM;
	if (pr > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		*got_input = true;
	return CN_OK;
}

/*
 * Close and free a channel.  Abandoning one (timeout, caller stop, error)
 * sends the close without waiting for the box's: sshd answers only once
 * the command has exited, which may be never.  libssh2 keeps such a
 * channel until the close comes in or the session is freed.
 */
static void
channel_end(struct session *s, LIBSSH2_CHANNEL *ch, bool abandon)
{
	if (ch == NULL)
		return;
	if (abandon) {
		libssh2_session_set_blocking(s->ssh, 0);
		(void)libssh2_channel_close(ch);
		(void)libssh2_channel_free(ch);
		libssh2_session_set_blocking(s->ssh, 1);
		return;
	}
	libssh2_session_set_blocking(s->ssh, 1);
	(void)libssh2_channel_close(ch);
	(void)libssh2_channel_wait_closed(ch);
	(void)libssh2_channel_free(ch);
}

/* Did a write fail only because the command's side is closed? */
static bool
input_gone(int rc, LIBSSH2_CHANNEL *ch)
{
	return rc == LIBSSH2_ERROR_CHANNEL_CLOSED ||
	    rc == LIBSSH2_ERROR_CHANNEL_EOF_SENT ||
	    (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN && libssh2_channel_eof(ch));
}

int
session_exec_stream(struct session *s, const char *cmd,
    const void *stdin_data, size_t stdin_len, session_data_cb on_data,
    void *arg, int *exit_status, int timeout_s)
{
	LIBSSH2_CHANNEL *ch = NULL;
	char *rbuf = NULL;
	const char *in = stdin_data;
	size_t in_off = 0;
	ssize_t n;
	double deadline, last_rx, t;
	bool eof_sent = false, progress, got_input, abandon = false;
	unsigned long queued;
	int r, rc, stream, next_ka = 0, ms, status;
	char *sig = NULL;

	if (s == NULL || s->ssh == NULL || cmd == NULL)
		return CN_ERR_INVALID;
	if (stdin_data == NULL)
		stdin_len = 0;
	if ((rbuf = malloc(READ_CHUNK)) == NULL) {
		session_set_err(s, "out of memory");
		return CN_ERR_NOMEM;
	}
	libssh2_session_set_blocking(s->ssh, 1);
	if ((ch = libssh2_channel_open_session(s->ssh)) == NULL) {
		r = cn_err_from_libssh2(libssh2_session_last_errno(s->ssh));
		session_set_err(s, "cannot open a channel: %s", session_lasterr(s));
		goto out;
	}
	if ((rc = libssh2_channel_exec(ch, cmd)) != 0) {
		r = cn_err_from_libssh2(rc);
		session_set_err(s, "cannot run a command: %s", session_lasterr(s));
		goto out;
	}
	libssh2_session_set_blocking(s->ssh, 0);
	deadline = timeout_s > 0 ? session_now() + timeout_s : 0;
	last_rx = session_now();
	for (;;) {
		progress = false;
		/* stdin first, then EOF so the command sees its end. */
		while (in_off < stdin_len) {
			n = libssh2_channel_write(ch, in + in_off,
			    stdin_len - in_off);
			if (n == LIBSSH2_ERROR_EAGAIN)
				break;
			if (input_gone((int)n, ch)) {
				/* The command ended without reading it all:
				 * its output and status still count. */
				in_off = stdin_len;
				eof_sent = true;
				break;
			}
			if (n < 0) {
				r = cn_err_from_libssh2((int)n);
				session_set_err(s, "cannot write to the command: %s",
				    session_lasterr(s));
				goto out;
			}
			in_off += (size_t)n;
			progress = true;
		}
		if (in_off == stdin_len && !eof_sent) {
			rc = libssh2_channel_send_eof(ch);
			if (rc == 0 || input_gone(rc, ch))
				eof_sent = true;
			else if (rc != LIBSSH2_ERROR_EAGAIN) {
				r = cn_err_from_libssh2(rc);
				session_set_err(s, "cannot write to the command: %s",
				    session_lasterr(s));
				goto out;
			}
		}
		for (stream = 0; stream <= 1; stream++) {
			for (;;) {
				n = libssh2_channel_read_ex(ch, stream, rbuf,
				    READ_CHUNK);
				if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
					break;
				if (n < 0) {
					r = cn_err_from_libssh2((int)n);
					session_set_err(s, "cannot read from the "
					    "command: %s", session_lasterr(s));
					goto out;
				}
				progress = true;
				last_rx = session_now();
				if (on_data != NULL && (r = on_data(arg,
				    stream + 1, rbuf, (size_t)n)) != 0) {
					abandon = true;
					goto out;
				}
			}
		}
		/* channel_eof() stays 0 while data is queued. */
		if (libssh2_channel_eof(ch))
			break;
		/* Reading one stream can queue packets of the other: read
		 * again before sleeping on the socket. */
		queued = 0;
		(void)libssh2_channel_window_read_ex(ch, &queued, NULL);
		if (progress || queued > 0)
			continue;
		rc = libssh2_keepalive_send(s->ssh, &next_ka);
		if (rc != 0 && rc != LIBSSH2_ERROR_EAGAIN) {
			r = cn_err_from_libssh2(rc);
			session_set_err(s, "connection lost: %s", session_lasterr(s));
			goto out;
		}
		t = session_now();
		if (deadline > 0 && t >= deadline) {
			r = CN_ERR_TIMEOUT;
			session_set_err(s, "command timed out after %d s", timeout_s);
			abandon = true;
			goto out;
		}
		if (t - last_rx > s->dead_peer_s) {
			r = CN_ERR_TIMEOUT;
			session_set_err(s, "connection lost: no answer for %d s",
			    s->dead_peer_s);
			abandon = true;
			goto out;
		}
		ms = 1000;
		if (next_ka > 0 && next_ka * 1000 < ms)
			ms = next_ka * 1000;
		if (deadline > 0 && (deadline - t) * 1000 < ms)
			ms = (int)((deadline - t) * 1000) + 1;
		got_input = false;
		if ((r = wait_socket(s, ms, &got_input)) != CN_OK) {
			session_set_err(s, "poll: %s", strerror(errno));
			goto out;
		}
		if (got_input)
			last_rx = session_now();
	}

	/* Output done: the exit status comes with (or before) the close. */
	libssh2_session_set_blocking(s->ssh, 1);
	if ((rc = libssh2_channel_close(ch)) != 0 ||
	    (rc = libssh2_channel_wait_closed(ch)) != 0) {
		r = cn_err_from_libssh2(rc);
		session_set_err(s, "connection lost: %s", session_lasterr(s));
		goto out;
	}
	status = libssh2_channel_get_exit_status(ch);
	if (libssh2_channel_get_exit_signal(ch, &sig, NULL, NULL, NULL, NULL,
	    NULL) == 0 && sig != NULL)
		status = 255;
	if (exit_status != NULL)
		*exit_status = status;
	r = CN_OK;
 out:
	if (sig != NULL)
		libssh2_free(s->ssh, sig);
	channel_end(s, ch, abandon || r != CN_OK);
	libssh2_session_set_blocking(s->ssh, 1);
	free(rbuf);
	return r;
}

struct collect {
	struct session	*s;
	struct buf	*out;
	struct buf	*err;
	size_t		 cap;
};

/* A box that answers with more than the cap stops the command: a
 * collected reply (JSON, a listing) never grows cnorch without bound. */
static int
collect_cb(void *arg, int stream, const char *p, size_t n)
{
	struct collect *c = arg;
	struct buf *b = stream == 1 ? c->out : c->err;
	int r;

	if (b == NULL)
		return 0;
	if (n > c->cap || b->len > c->cap - n) {
		if (c->cap >= ((size_t)1 << 20) && c->cap % ((size_t)1 << 20) == 0)
			session_set_err(c->s, "command output on %s went over "
			    "the %zu MiB cap for collected output; command "
			    "stopped", stream == 1 ? "stdout" : "stderr",
			    c->cap >> 20);
		else
			session_set_err(c->s, "command output on %s went over "
			    "the %zu byte cap for collected output; command "
			    "stopped", stream == 1 ? "stdout" : "stderr",
			    c->cap);
		return CN_ERR_PROTOCOL;
	}
	if ((r = buf_append(b, p, n)) != CN_OK)
		session_set_err(c->s, "out of memory collecting command "
		    "output");
	return r;
}

int
session_exec(struct session *s, const char *cmd, const void *stdin_data,
    size_t stdin_len, struct buf *out, struct buf *err, int *exit_status,
    int timeout_s)
{
	struct collect c = { s, out, err, 0 };

	if (s == NULL)
		return CN_ERR_INVALID;
	c.cap = s->collect_cap > 0 ? s->collect_cap : SESSION_COLLECT_CAP;

	return session_exec_stream(s, cmd, stdin_data, stdin_len, collect_cb,
	    &c, exit_status, timeout_s);
}

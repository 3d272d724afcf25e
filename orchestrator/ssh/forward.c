/* forward: a remote port forward bridged to the laptop's proxy, one loop. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh2.h>

#include "error.h"
#include "forward.h"
#include "proxy_dial.h"
#include "session.h"
#include "session_int.h"
#include "ssh_error.h"

/* Each direction's buffer per connection: a few SSH packets' worth. */
#define PIPE_BUF_SIZE	(128 * 1024)
/* A CONNECT head longer than this is not one. */
#define HEAD_MAX	8192
/* Connections the box's sshd queues before we accept them. */
#define LISTEN_QUEUE	64

enum conn_state {
	CONN_HEAD,	/* reading the CONNECT request */
	CONN_DIAL,	/* the laptop proxy's handshake */
	CONN_PIPE,	/* bytes both ways */
	CONN_FLUSH,	/* last words to the box, then close */
	CONN_CLOSING,	/* channel close and free, may take turns */
};

struct conn {
	LIBSSH2_CHANNEL	*ch;
	struct proxy_tunnel *t;
	enum conn_state	 state;
	char		 head[HEAD_MAX];
	size_t		 headlen;
	/* box -> far end */
	char		*up;
	size_t		 up_off, up_len;
	bool		 ch_eof, up_shut;
	/* far end -> box */
	char		*down;
	size_t		 down_off, down_len;
	bool		 far_eof, eof_sent;
	struct conn	*next;
};

/* What a half-sent packet belongs to (see held()). */
enum ssh_op {
	OP_NONE,
	OP_READ,
	OP_WRITE,
	OP_EOF,
	OP_FREE,
	OP_ACCEPT,
	OP_KEEPALIVE,
};

struct forward {
	struct session	*s;
	/* libssh2 keeps one outgoing packet per session: when a call
	 * returns EAGAIN with its packet half on the socket, the next
	 * sending call, whatever it is, finishes that packet and reports
	 * it as its own (libssh2 transport.c send_existing()).  So from
	 * then on only the same call on the same channel may run. */
	struct conn	*held_conn;
	enum ssh_op	 held_op;
	LIBSSH2_LISTENER *listener;
	struct proxy_dialer *dialer;
	int		 port;
	int		 wake[2];	/* destroy -> loop */
	pthread_t	 thread;
	bool		 started;
	atomic_bool	 alive;
	atomic_uint_fast64_t nconns, up_bytes, down_bytes;
	struct conn	*conns;
};

/* May op on c call libssh2 now?  Not while another call's packet is
 * half sent. */
static bool
may(const struct forward *f, const struct conn *c, enum ssh_op op)
{
	return f->held_op == OP_NONE || (f->held_conn == c &&
	    f->held_op == op);
}

/* After op on c returned rc: note whether it left its packet half sent. */
static void
held(struct forward *f, struct conn *c, enum ssh_op op, ssize_t rc)
{
	if (rc == LIBSSH2_ERROR_EAGAIN &&
	    (libssh2_session_block_directions(f->s->ssh) &
	    LIBSSH2_SESSION_BLOCK_OUTBOUND)) {
		f->held_conn = c;
		f->held_op = op;
	} else if (f->held_op == op && f->held_conn == c) {
		f->held_conn = NULL;
		f->held_op = OP_NONE;
	}
}

static ssize_t
ch_read(struct forward *f, struct conn *c, char *buf, size_t n)
{
	ssize_t r;

	if (!may(f, c, OP_READ))
		return LIBSSH2_ERROR_EAGAIN;
	r = libssh2_channel_read(c->ch, buf, n);
	held(f, c, OP_READ, r);
	return r;
}

static ssize_t
ch_write(struct forward *f, struct conn *c, const char *buf, size_t n)
{
	ssize_t r;

	if (!may(f, c, OP_WRITE))
		return LIBSSH2_ERROR_EAGAIN;
	r = libssh2_channel_write(c->ch, buf, n);
	held(f, c, OP_WRITE, r);
	return r;
}

static int
ch_send_eof(struct forward *f, struct conn *c)
{
	int r;

	if (!may(f, c, OP_EOF))
		return LIBSSH2_ERROR_EAGAIN;
	r = libssh2_channel_send_eof(c->ch);
	held(f, c, OP_EOF, r);
	return r;
}

static int
ch_free(struct forward *f, struct conn *c)
{
	int r;

	if (!may(f, c, OP_FREE))
		return LIBSSH2_ERROR_EAGAIN;
	r = libssh2_channel_free(c->ch);
	held(f, c, OP_FREE, r);
	return r;
}

int
forward_parse_connect(const char *p, size_t n, char *host, size_t hostsz,
    int *port)
{
	const char *end = NULL, *sp, *hs, *he, *colon;
	char *e;
	long v;
	size_t i, hl;

	for (i = 0; i + 3 < n; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0) {
			end = p + i;
			break;
		}
	if (end == NULL)
		return CN_ERR_AGAIN;
	if (end - p < 8 || strncmp(p, "CONNECT ", 8) != 0)
		return CN_ERR_UNSUPPORTED;
	hs = p + 8;
	if ((sp = memchr(hs, ' ', (size_t)(end - hs))) == NULL ||
	    (size_t)(end - sp) < 9 || strncmp(sp + 1, "HTTP/1.", 7) != 0)
		return CN_ERR_PARSE;
	if (*hs == '[') {	/* [v6]:port */
		if ((he = memchr(hs, ']', (size_t)(sp - hs))) == NULL ||
		    he + 1 >= sp || he[1] != ':')
			return CN_ERR_PARSE;
		colon = he + 1;
		hs++;
	} else {
		for (colon = NULL, he = hs; he < sp; he++)
			if (*he == ':')
				colon = he;
		if (colon == NULL)
			return CN_ERR_PARSE;
		he = colon;
	}
	hl = (size_t)(he - hs);
	if (hl == 0 || hl >= hostsz)
		return CN_ERR_PARSE;
	for (i = 0; i < hl; i++)
		if (!isalnum((unsigned char)hs[i]) && strchr(".-_:", hs[i]) ==
		    NULL)
			return CN_ERR_PARSE;
	if (colon + 1 >= sp || !isdigit((unsigned char)colon[1]))
		return CN_ERR_PARSE;
	errno = 0;
	v = strtol(colon + 1, &e, 10);
	if (errno != 0 || e != sp || v < 1 || v > 65535)
		return CN_ERR_PARSE;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	*port = (int)v;
	return CN_OK;
}

static struct conn *
conn_create(LIBSSH2_CHANNEL *ch)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->up = malloc(PIPE_BUF_SIZE)) == NULL ||
	    (c->down = malloc(PIPE_BUF_SIZE)) == NULL) {
		free(c->up);
		free(c);
		return NULL;
	}
	c->ch = ch;
	c->state = CONN_HEAD;
	return c;
}

/* Queue words for the box and close after them. */
static void
conn_answer(struct conn *c, const char *text)
{
	size_t n = strlen(text);

	memcpy(c->down, text, n);
	c->down_off = 0;
	c->down_len = n;
	c->state = CONN_FLUSH;
}

/* Write what is queued for the box; true when something moved. */
static bool
flush_down(struct forward *f, struct conn *c, bool *dead)
{
	ssize_t n;
	bool moved = false;

	while (c->down_off < c->down_len) {
		n = ch_write(f, c, c->down + c->down_off,
		    c->down_len - c->down_off);
		if (n == LIBSSH2_ERROR_EAGAIN)
			break;
		if (n < 0) {
			*dead = true;
			break;
		}
		c->down_off += (size_t)n;
		atomic_fetch_add(&f->down_bytes, (uint64_t)n);
		moved = true;
	}
	if (c->down_off == c->down_len)
		c->down_off = c->down_len = 0;
	return moved;
}

static bool
step_head(struct forward *f, struct conn *c)
{
	char host[256];
	ssize_t n;
	int port, r;

	n = ch_read(f, c, c->head + c->headlen,
	    sizeof(c->head) - c->headlen);
	if (n == LIBSSH2_ERROR_EAGAIN)
		return false;
	if (n <= 0) {
		c->state = CONN_CLOSING;
		return true;
	}
	c->headlen += (size_t)n;
	r = forward_parse_connect(c->head, c->headlen, host, sizeof(host),
	    &port);
	if (r == CN_ERR_AGAIN && c->headlen < sizeof(c->head))
		return true;
	if (r == CN_ERR_UNSUPPORTED) {
		conn_answer(c, "HTTP/1.1 405 Method Not Allowed\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		return true;
	}
	if (r != CN_OK) {
		conn_answer(c, "HTTP/1.1 400 Bad Request\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		return true;
	}
	if (proxy_tunnel_open(f->dialer, host, port, &c->t) != CN_OK) {
		conn_answer(c, "HTTP/1.1 502 Bad Gateway\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		return true;
	}
	/* A client that spoke before the 200 (it should not) keeps its
	 * bytes: they go through the tunnel first. */
	{
		const char *end = memmem(c->head, c->headlen, "\r\n\r\n", 4);
		size_t used = (size_t)(end - c->head) + 4;

		memcpy(c->up, c->head + used, c->headlen - used);
		c->up_len = c->headlen - used;
		c->up_off = 0;
	}
	c->state = CONN_DIAL;
	return true;
}

static bool
step_pipe(struct forward *f, struct conn *c, bool *dead)
{
	bool moved = false, eof;
	ssize_t n;

	/* box -> far end */
	if (c->up_len == 0 && !c->ch_eof) {
		n = ch_read(f, c, c->up, PIPE_BUF_SIZE);
		if (n > 0) {
			c->up_off = 0;
			c->up_len = (size_t)n;
			atomic_fetch_add(&f->up_bytes, (uint64_t)n);
			moved = true;
		} else if (n == 0 || (n != LIBSSH2_ERROR_EAGAIN &&
		    libssh2_channel_eof(c->ch))) {
			if (libssh2_channel_eof(c->ch)) {
				c->ch_eof = true;
				moved = true;
			}
		} else if (n != LIBSSH2_ERROR_EAGAIN) {
			*dead = true;
			return true;
		}
	}
	while (c->up_off < c->up_len) {
		n = proxy_tunnel_send(c->t, c->up + c->up_off,
		    c->up_len - c->up_off);
		if (n == -1)
			break;
		if (n < 0) {
			*dead = true;
			return true;
		}
		c->up_off += (size_t)n;
		moved = true;
	}
	if (c->up_off == c->up_len)
		c->up_off = c->up_len = 0;
	if (c->ch_eof && c->up_len == 0 && !c->up_shut) {
		proxy_tunnel_shutdown(c->t);
		c->up_shut = true;
	}

	/* far end -> box */
	if (c->down_len == 0 && !c->far_eof) {
		n = proxy_tunnel_recv(c->t, c->down, PIPE_BUF_SIZE, &eof);
		if (n > 0) {
			c->down_off = 0;
			c->down_len = (size_t)n;
			moved = true;
		} else if (n == 0 && eof) {
			c->far_eof = true;
			moved = true;
		} else if (n == -2) {
			*dead = true;
			return true;
		}
	}
	if (flush_down(f, c, dead))
		moved = true;
	if (*dead)
		return true;
	if (c->far_eof && c->down_len == 0 && !c->eof_sent) {
		n = ch_send_eof(f, c);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return moved;
		c->eof_sent = true;
		moved = true;
	}
	/* The far end said all it will: nothing more the box sends can be
	 * answered, so the channel closes. */
	if (c->eof_sent)
		c->state = CONN_CLOSING;
	return moved;
}

/* Move one connection on; true when anything happened. */
static bool
step(struct forward *f, struct conn *c)
{
	bool dead = false, moved = false;
	int rc;

	switch (c->state) {
	case CONN_HEAD:
		moved = step_head(f, c);
		break;
	case CONN_DIAL:
		if (proxy_tunnel_state(c->t) == TUNNEL_OPEN) {
			memcpy(c->down, "HTTP/1.1 200 Connection established"
			    "\r\n\r\n", 39);
			c->down_off = 0;
			c->down_len = 39;
			c->state = CONN_PIPE;
			moved = true;
		} else if (proxy_tunnel_state(c->t) == TUNNEL_FAILED) {
			conn_answer(c, "HTTP/1.1 502 Bad Gateway\r\n"
			    "Content-Length: 0\r\nConnection: close\r\n\r\n");
			moved = true;
		}
		break;
	case CONN_PIPE:
		moved = step_pipe(f, c, &dead);
		break;
	case CONN_FLUSH:
		moved = flush_down(f, c, &dead);
		if (c->down_len == 0)
			c->state = CONN_CLOSING;
		break;
	case CONN_CLOSING:
		break;
	}
	if (dead)
		c->state = CONN_CLOSING;
	if (c->state == CONN_CLOSING) {
		if (c->t != NULL) {
			proxy_tunnel_close(f->dialer, c->t);
			c->t = NULL;
		}
		/* libssh2_channel_free sends the close if need be. */
		rc = ch_free(f, c);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return moved;
		c->ch = NULL;
		moved = true;
	}
	return moved;
}

static void
conns_free(struct forward *f)
{
	struct conn *c, *next;

	for (c = f->conns; c != NULL; c = next) {
		next = c->next;
		if (c->t != NULL)
			proxy_tunnel_close(f->dialer, c->t);
		free(c->up);
		free(c->down);
		free(c);
	}
	f->conns = NULL;
}

static void *
loop(void *arg)
{
	struct forward *f = arg;
	struct pollfd *fds = NULL, *nf;
	struct conn *c, **pp;
	LIBSSH2_CHANNEL *ch;
	size_t cap = 0, n, nconn;
	int dir, next_ka = 0, err;
	bool progress, stop = false;
	char peek;

	while (!stop) {
		progress = false;
		/* New connections from the box. */
		while (may(f, NULL, OP_ACCEPT) &&
		    (ch = libssh2_channel_forward_accept(f->listener)) !=
		    NULL) {
			held(f, NULL, OP_ACCEPT, 0);
			if ((c = conn_create(ch)) == NULL) {
				(void)libssh2_channel_free(ch);
				continue;
			}
			c->next = f->conns;
			f->conns = c;
			atomic_fetch_add(&f->nconns, 1);
			progress = true;
		}
		if (may(f, NULL, OP_ACCEPT))
			held(f, NULL, OP_ACCEPT, libssh2_session_last_errno(
			    f->s->ssh));
		err = libssh2_session_last_errno(f->s->ssh);
		if (err != LIBSSH2_ERROR_EAGAIN && err != 0 &&
		    (err == LIBSSH2_ERROR_SOCKET_RECV ||
		    err == LIBSSH2_ERROR_SOCKET_SEND ||
		    err == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
		    err == LIBSSH2_ERROR_SOCKET_TIMEOUT ||
		    err == LIBSSH2_ERROR_TIMEOUT))
			break;	/* the box is gone */
		for (pp = &f->conns, nconn = 0; *pp != NULL;) {
			c = *pp;
			if (step(f, c))
				progress = true;
			if (c->state == CONN_CLOSING && c->ch == NULL) {
				*pp = c->next;
				free(c->up);
				free(c->down);
				free(c);
				continue;
			}
			nconn++;
			pp = &c->next;
		}
		if (may(f, NULL, OP_KEEPALIVE))
			held(f, NULL, OP_KEEPALIVE, libssh2_keepalive_send(
			    f->s->ssh, &next_ka) != 0 ?
			    libssh2_session_last_errno(f->s->ssh) : 0);

		/* Wait: the session's socket, the wake pipe, open tunnels. */
		if (cap < nconn + 2) {
			if ((nf = realloc(fds, (nconn + 2) * sizeof(*fds))) ==
			    NULL)
				break;
			fds = nf;
			cap = nconn + 2;
		}
		dir = libssh2_session_block_directions(f->s->ssh);
		fds[0].fd = f->s->sock;
		fds[0].events = POLLIN | (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND ?
		    POLLOUT : 0);
		fds[1].fd = f->wake[0];
		fds[1].events = POLLIN;
		n = 2;
		for (c = f->conns; c != NULL; c = c->next) {
			if (c->state != CONN_PIPE || proxy_tunnel_fd(c->t) < 0)
				continue;
			fds[n].fd = proxy_tunnel_fd(c->t);
			fds[n].events = (short)((c->down_len == 0 &&
			    !c->far_eof ? POLLIN : 0) | (c->up_len > 0 ?
			    POLLOUT : 0));
			if (fds[n].events != 0)
				n++;
		}
		/* Whatever libssh2 already read into its buffers is not on
		 * the socket any more: after progress, look again at once. */
		if (proxy_dialer_wait(f->dialer, fds, (unsigned)n,
		    progress ? 0 : 200) != CN_OK)
			break;
		if (fds[1].revents & POLLIN)
			stop = true;
		/* The box's end of the connection is gone (libssh2 reports
		 * that to accept() only as "channel not found"). */
		if ((fds[0].revents & (POLLHUP | POLLERR)) ||
		    ((fds[0].revents & POLLIN) && recv(f->s->sock, &peek, 1,
		    MSG_PEEK | MSG_DONTWAIT) == 0))
			break;
	}
	atomic_store(&f->alive, false);
	free(fds);
	return NULL;
}

int
forward_start(struct session *s, const char *proxy_url,
    struct forward **out, int *port, char **msg)
{
	struct forward *f = NULL;
	int r, bound = 0;

	*out = NULL;
	*msg = NULL;
	*port = 0;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		session_destroy(s);
		return CN_ERR_NOMEM;
	}
	f->s = s;
	f->wake[0] = f->wake[1] = -1;
	atomic_init(&f->alive, true);
	atomic_init(&f->nconns, 0);
	atomic_init(&f->up_bytes, 0);
	atomic_init(&f->down_bytes, 0);
	if ((r = proxy_dialer_create(proxy_url, &f->dialer)) != CN_OK)
		goto fail;
	if (pipe(f->wake) == -1) {
		r = CN_ERR_SYSTEM;
		goto fail;
	}
	libssh2_session_set_blocking(s->ssh, 1);
	/* Port 0: the box picks a free one; only its loopback hears it. */
	f->listener = libssh2_channel_forward_listen_ex(s->ssh, "127.0.0.1",
	    0, &bound, LISTEN_QUEUE);
	if (f->listener == NULL || bound <= 0) {
		r = cn_err_from_libssh2(libssh2_session_last_errno(s->ssh));
		if (r == CN_OK)
			r = CN_ERR_SSH;
		if (asprintf(msg, "cannot open a port forward on the box: %s "
		    "(is AllowTcpForwarding off in its sshd_config?)",
		    session_lasterr(s)) < 0)
			*msg = NULL;
		goto fail;
	}
	f->port = bound;
	libssh2_session_set_blocking(s->ssh, 0);
	if (pthread_create(&f->thread, NULL, loop, f) != 0) {
		r = CN_ERR_SYSTEM;
		goto fail;
	}
	f->started = true;
	*port = bound;
	*out = f;
	return CN_OK;
 fail:
	if (*msg == NULL && asprintf(msg, "cannot lend the proxy: %s",
	    cn_strerror(r)) < 0)
		*msg = NULL;
	forward_destroy(f);
	return r;
}

int
forward_port(const struct forward *f)
{
	return f != NULL ? f->port : 0;
}

bool
forward_alive(const struct forward *f)
{
	return f != NULL && atomic_load(&f->alive);
}

void
forward_stats(const struct forward *f, uint64_t *conns, uint64_t *up,
    uint64_t *down)
{
	*conns = atomic_load(&f->nconns);
	*up = atomic_load(&f->up_bytes);
	*down = atomic_load(&f->down_bytes);
}

void
forward_destroy(struct forward *f)
{
	struct conn *c;

	if (f == NULL)
		return;
	if (f->started) {
		(void)write(f->wake[1], "x", 1);
		pthread_join(f->thread, NULL);
	}
	/* From here this thread alone drives the session: abandon the
	 * channels without waiting, then the listener (the box's sshd also
	 * drops it with the connection). */
	if (f->s != NULL) {
		libssh2_session_set_blocking(f->s->ssh, 0);
		for (c = f->conns; c != NULL; c = c->next)
			if (c->ch != NULL)
				(void)libssh2_channel_free(c->ch);
		if (f->listener != NULL)
			(void)libssh2_channel_forward_cancel(f->listener);
	}
	conns_free(f);
	proxy_dialer_destroy(f->dialer);
	session_destroy(f->s);
	if (f->wake[0] != -1)
		close(f->wake[0]);
	if (f->wake[1] != -1)
		close(f->wake[1]);
	free(f);
}

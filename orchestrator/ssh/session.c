/*
 * session: one SSH connection to one box with libssh2 (see session.h):
 * TCP connect with a timeout, handshake, the host key check, the session
 * object and its messages.
 *
 * Connect, handshake, authentication and SCP use libssh2's blocking API
 * with libssh2_session_set_timeout() as the dead-peer bound; commands are
 * driven non-blocking from a poll() loop (exec.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>

#include "error.h"
#include "known_hosts.h"
#include "session.h"
#include "session_int.h"
#include "ssh_error.h"

#define DEFAULT_CONNECT_TIMEOUT_S	10
#define DEFAULT_KEEPALIVE_S		15
#define DEFAULT_DEAD_PEER_S		60

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void
global_init(void)
{
	init_rc = libssh2_init(0);
}

double
session_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
session_set_err(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) == -1)
		m = NULL;
	va_end(ap);
	free(s->errmsg);
	s->errmsg = m;
}

const char *
session_lasterr(struct session *s)
{
	char *m = NULL;

	if (s->ssh == NULL)
		return "no session";
	libssh2_session_last_error(s->ssh, &m, NULL, 0);
	return m != NULL && *m != '\0' ? m : "unknown libssh2 error";
}

char *
session_expand_home(const char *path)
{
	const char *home;
	struct passwd *pw;
	char *r = NULL;

	if (path == NULL)
		return NULL;
	if (strncmp(path, "~/", 2) != 0)
		return strdup(path);
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "/";
	}
	if (asprintf(&r, "%s/%s", home, path + 2) == -1)
		return NULL;
	return r;
}

/* ------------------------------------------------------------ connect */

/*
 * Non-blocking connect to every address of host:port in turn, all within
 * one deadline.  The returned socket is blocking again.
 */
static int
tcp_connect(struct session *s, const char *host, int port, int timeout_s,
    int *fdp)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	char portstr[16];
	double deadline;
	int fd = -1, r, e, err = 0, one = 1, ms, pr, flags;
	socklen_t elen;
	bool timed_out = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((e = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		session_set_err(s, "cannot resolve '%s': %s", host,
		    e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
		return CN_ERR_CONNECT;
	}
	deadline = session_now() + timeout_s;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		if (errno != EINPROGRESS) {
			err = errno;
			goto next;
		}
		for (;;) {
			ms = (int)((deadline - session_now()) * 1000);
			if (ms <= 0) {
				timed_out = true;
				break;
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pr = poll(&pfd, 1, ms);
			if (pr == -1 && errno == EINTR)
				continue;
			if (pr == -1) {
				err = errno;
				break;
			}
			if (pr == 0)
				continue;	/* deadline checked above */
			elen = sizeof(e);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
			    &elen) == -1)
				e = errno;
			if (e == 0)
				goto connected;
			err = e;
			break;
		}
 next:
		close(fd);
		fd = -1;
		if (timed_out)
			break;
	}
	if (timed_out)
		session_set_err(s, "cannot connect to %s port %d: timed out after "
		    "%d s", host, port, timeout_s);
	else
		session_set_err(s, "cannot connect to %s port %d: %s", host, port,
		    strerror(err != 0 ? err : ECONNREFUSED));
	r = CN_ERR_CONNECT;
	goto out;
 connected:
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		session_set_err(s, "cannot connect to %s port %d: %s", host, port,
		    strerror(errno));
		close(fd);
		r = CN_ERR_SYSTEM;
		goto out;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	*fdp = fd;
	r = CN_OK;
 out:
	freeaddrinfo(res);
	return r;
}

/* ----------------------------------------------------------- host key */

/* The known_hosts path as the user wrote it (for messages) and expanded. */
static const char *
khfile_shown(const struct session_opts *o)
{
	return o->known_hosts != NULL ? o->known_hosts : "~/.ssh/known_hosts";
}

/* A note for a refusal when @cert-authority lines were passed over. */
static const char *
ca_note(const struct known_hosts_verdict *v)
{
	return v->cert_authority > 0 ? "\nnote: @cert-authority lines for "
	    "this host are ignored (cnorch does not check host certificates)"
	    : "";
}

/*
 * The key is not known as [host]:port but is as the bare host name: ssh
 * would fall back to that line, cnorch does not (many tenants share one
 * name on AutoDL-style platforms).  Say so, so the refusal is not a riddle.
 */
static void
bare_note(const struct session_opts *o, const char *path, const void *key,
    size_t keylen, char *note, size_t len)
{
	struct known_hosts_verdict v;
	char bare[1100];

	note[0] = '\0';
	if (o->port == 22 || (o->host_key_alias != NULL &&
	    *o->host_key_alias != '\0') ||
	    known_hosts_lookup_name(o->hostname, 22, NULL, bare,
	    sizeof(bare)) != CN_OK ||
	    known_hosts_check(path, bare, key, keylen, &v) != CN_OK ||
	    v.result != KNOWN_HOSTS_MATCH)
		return;
	if ((size_t)snprintf(note, len, "\nnote: this key is known for '%s' (port 22) "
	    "only; cnorch checks [%s]:%d and does not fall back to the bare "
	    "name", bare, bare, o->port) >= len)
		note[0] = '\0';
}

static int
check_hostkey(struct session *s, const struct session_opts *o)
{
	const char *key, *hash, *shown;
	size_t keylen;
	int type, r;
	char name[1100], fp[64], note[2400];
	char *path = NULL, *m;
	struct known_hosts_verdict v;

	key = libssh2_session_hostkey(s->ssh, &keylen, &type);
	hash = libssh2_hostkey_hash(s->ssh, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (key == NULL || hash == NULL) {
		session_set_err(s, "cannot get the host key: %s",
		    session_lasterr(s));
		return CN_ERR_SSH;
	}
	if ((r = known_hosts_lookup_name(o->hostname, o->port,
	    o->host_key_alias, name, sizeof(name))) != CN_OK ||
	    (r = known_hosts_fingerprint((const unsigned char *)hash, fp,
	    sizeof(fp))) != CN_OK) {
		session_set_err(s, "host name '%s' too long", o->hostname);
		return r;
	}
	shown = khfile_shown(o);
	if ((path = session_expand_home(shown)) == NULL) {
		r = CN_ERR_NOMEM;
		session_set_err(s, "out of memory");
		goto out;
	}
	r = known_hosts_check(path, name, key, keylen, &v);
	if (r == CN_ERR_INVALID) {
		session_set_err(s, "host key for %s has no type cnorch can "
		    "read (%s); refusing to connect", name, fp);
		r = CN_ERR_HOSTKEY_UNKNOWN;
		goto out;
	}
	if (r != CN_OK) {
		session_set_err(s, "cannot read known hosts '%s': %s", shown,
		    r == CN_ERR_IO ? strerror(errno) : cn_strerror(r));
		goto out;
	}
	switch (v.result) {
	case KNOWN_HOSTS_MATCH:
		r = CN_OK;
		break;
	case KNOWN_HOSTS_REVOKED:
		session_set_err(s, "host key for %s is revoked (%s %s, "
		    "@revoked in '%s' line %lu); refusing to connect", name,
		    known_hosts_keytype_label(type), fp, shown, v.line);
		r = CN_ERR_HOSTKEY_CHANGED;
		break;
	case KNOWN_HOSTS_MISMATCH:
		session_set_err(s, "host key for %s changed (now %s %s; "
		    "'%s' line %lu has another key); refusing to connect",
		    name, known_hosts_keytype_label(type), fp, shown, v.line);
		r = CN_ERR_HOSTKEY_CHANGED;
		break;
	case KNOWN_HOSTS_NOTFOUND:
		if (o->policy == HOSTKEY_ACCEPT_NEW) {
			/* As ssh: a name with pattern or quoting characters
			 * is never written down. */
			if (!known_hosts_recordable(o->hostname)) {
				session_set_err(s, "host key for %s is not "
				    "known (%s %s) and host name '%s' cannot "
				    "be recorded; refusing to connect", name,
				    known_hosts_keytype_label(type), fp,
				    o->hostname);
				r = CN_ERR_HOSTKEY_UNKNOWN;
				break;
			}
			r = known_hosts_append(path, name, key, keylen);
			if (r != CN_OK)
				session_set_err(s, "cannot record host key for "
				    "%s in '%s': %s", name, shown,
				    r == CN_ERR_SYSTEM ? strerror(errno) :
				    cn_strerror(r));
			break;
		}
		bare_note(o, path, key, keylen, note, sizeof(note));
		if (o->host_key_alias != NULL && *o->host_key_alias != '\0')
			session_set_err(s, "host key for %s is not known (%s "
			    "%s)\ncheck the fingerprint, then add a line "
			    "\"%s <key>\" to %s (ssh-keyscan -p %d -t %s %s "
			    "prints the key; HostKeyAlias is set) or set "
			    "known_hosts_policy to accept-new%s", name,
			    known_hosts_keytype_label(type), fp, name, shown,
			    o->port, known_hosts_keyscan_type(type),
			    o->hostname, ca_note(&v));
		else
			session_set_err(s, "host key for %s is not known (%s "
			    "%s)\ncheck the fingerprint, then: ssh-keyscan -p "
			    "%d -t %s %s >> %s (or set known_hosts_policy to "
			    "accept-new)%s", name,
			    known_hosts_keytype_label(type), fp, o->port,
			    known_hosts_keyscan_type(type), o->hostname, shown,
			    ca_note(&v));
		if (note[0] != '\0' && s->errmsg != NULL &&
		    asprintf(&m, "%s%s", s->errmsg, note) != -1) {
			free(s->errmsg);
			s->errmsg = m;
		}
		r = CN_ERR_HOSTKEY_UNKNOWN;
		break;
	}
 out:
	free(path);
	return r;
}

/* ------------------------------------------------------------ session */

/*
 * The start session_open() and session_hostkey_probe() share: libssh2
 * initialized once per process, an empty session with no socket, the
 * connect bound.  NULL on ENOMEM.
 */
static struct session *
session_start(const struct session_opts *opts, int *timeout_s)
{
	struct session *s;

	pthread_once(&init_once, global_init);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->sock = -1;
	*timeout_s = opts->connect_timeout_s > 0 ? opts->connect_timeout_s :
	    DEFAULT_CONNECT_TIMEOUT_S;
	return s;
}

int
session_open(const struct session_opts *opts, struct session **out,
    char **msg)
{
	struct session *s = NULL;
	char *khpath = NULL, algs[256], name[1100];
	int r, rc, timeout_s;

	if (out != NULL)
		*out = NULL;
	if (msg != NULL)
		*msg = NULL;
	if (opts == NULL || out == NULL || opts->hostname == NULL ||
	    opts->user == NULL || opts->port < 1 || opts->port > 65535) {
		r = CN_ERR_INVALID;
		if (msg != NULL)
			*msg = strdup("session: invalid options");
		return r;
	}
	if ((s = session_start(opts, &timeout_s)) == NULL)
		return CN_ERR_NOMEM;
	if ((s->name = strdup(opts->name != NULL ? opts->name :
	    opts->hostname)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (init_rc != 0) {
		session_set_err(s, "cannot initialize libssh2");
		r = CN_ERR_SSH;
		goto out;
	}
	s->keepalive_s = opts->keepalive_s > 0 ? opts->keepalive_s :
	    DEFAULT_KEEPALIVE_S;
	s->dead_peer_s = opts->dead_peer_s > 0 ? opts->dead_peer_s :
	    DEFAULT_DEAD_PEER_S;
	s->collect_cap = opts->collect_cap > 0 ? opts->collect_cap :
	    SESSION_COLLECT_CAP;

	if ((r = tcp_connect(s, opts->hostname, opts->port, timeout_s,
	    &s->sock)) != CN_OK)
		goto out;
	if ((s->ssh = libssh2_session_init_ex(NULL, NULL, NULL, s)) == NULL) {
		session_set_err(s, "cannot create an ssh session");
		r = CN_ERR_NOMEM;
		goto out;
	}
	libssh2_session_set_blocking(s->ssh, 1);
	/* The handshake is bounded by the connect timeout, later blocking
	 * calls by the dead-peer bound. */
	libssh2_session_set_timeout(s->ssh, (long)timeout_s * 1000);
	/* Ask for a host key type known_hosts holds for this host, as ssh
	 * does; else OpenSSH's order (ed25519 first). */
	khpath = session_expand_home(khfile_shown(opts));
	if (known_hosts_lookup_name(opts->hostname, opts->port,
	    opts->host_key_alias, name, sizeof(name)) != CN_OK)
		name[0] = '\0';
	(void)known_hosts_algorithms(khpath, name[0] != '\0' ? name : NULL,
	    algs, sizeof(algs));
	free(khpath);
	(void)libssh2_session_method_pref(s->ssh, LIBSSH2_METHOD_HOSTKEY,
	    algs);
	if ((rc = libssh2_session_handshake(s->ssh, s->sock)) != 0) {
		r = cn_err_from_libssh2(rc);
		if (r == CN_ERR_TIMEOUT)
			session_set_err(s, "ssh handshake with %s port %d: no answer "
			    "within %d s", opts->hostname, opts->port,
			    timeout_s);
		else
			session_set_err(s, "ssh handshake with %s port %d failed: %s",
			    opts->hostname, opts->port, session_lasterr(s));
		goto out;
	}
	libssh2_session_set_timeout(s->ssh, (long)s->dead_peer_s * 1000);
	/* Nothing is authenticated, uploaded or run before this passes. */
	if ((r = check_hostkey(s, opts)) != CN_OK)
		goto out;
	if ((r = session_authenticate(s, opts)) != CN_OK)
		goto out;
	libssh2_keepalive_config(s->ssh, 1, (unsigned int)s->keepalive_s);
	*out = s;
	s = NULL;
	r = CN_OK;
 out:
	if (r != CN_OK && msg != NULL && s != NULL)
		*msg = strdup(s->errmsg != NULL ? s->errmsg : cn_strerror(r));
	session_destroy(s);
	return r;
}

void
session_destroy(struct session *s)
{
	if (s == NULL)
		return;
	if (s->ssh != NULL) {
		libssh2_session_set_blocking(s->ssh, 1);
		/* Do not wait long for a goodbye to a dead peer. */
		libssh2_session_set_timeout(s->ssh, 2000);
		(void)libssh2_session_disconnect(s->ssh, "bye");
		/* Channels abandoned on a timeout still wait for the box's
		 * close: a shut socket ends that wait at once. */
		if (s->sock != -1)
			(void)shutdown(s->sock, SHUT_RDWR);
		libssh2_session_free(s->ssh);
	}
	if (s->sock != -1)
		close(s->sock);
	free(s->name);
	free(s->errmsg);
	free(s);
}

const char *
session_errmsg(const struct session *s)
{
	if (s == NULL)
		return "no session";
	return s->errmsg != NULL ? s->errmsg : "no error";
}

const char *
session_name(const struct session *s)
{
	return s != NULL ? s->name : "";
}

/* ------------------------------------------------- first contact (add) */

int
session_hostkey_probe(const struct session_opts *opts, bool record,
    struct session_hostkey *hk, char **msg)
{
	struct session *s = NULL;
	struct known_hosts_verdict v;
	const char *key, *hash;
	char *path = NULL, algs[256];
	size_t keylen;
	int r, rc, type, timeout_s;

	*msg = NULL;
	memset(hk, 0, sizeof(*hk));
	if (opts->hostname == NULL || opts->port < 1 || opts->port > 65535)
		return CN_ERR_INVALID;
	if ((s = session_start(opts, &timeout_s)) == NULL)
		return CN_ERR_NOMEM;
	if (init_rc != 0) {
		session_set_err(s, "cannot initialize libssh2");
		r = CN_ERR_SSH;
		goto out;
	}
	if ((r = known_hosts_lookup_name(opts->hostname, opts->port,
	    opts->host_key_alias, hk->name, sizeof(hk->name))) != CN_OK) {
		session_set_err(s, "host name '%s' too long", opts->hostname);
		goto out;
	}
	if ((path = session_expand_home(khfile_shown(opts))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = tcp_connect(s, opts->hostname, opts->port, timeout_s,
	    &s->sock)) != CN_OK)
		goto out;
	if ((s->ssh = libssh2_session_init_ex(NULL, NULL, NULL, s)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	libssh2_session_set_blocking(s->ssh, 1);
	libssh2_session_set_timeout(s->ssh, (long)timeout_s * 1000);
	(void)known_hosts_algorithms(path, hk->name, algs, sizeof(algs));
	(void)libssh2_session_method_pref(s->ssh, LIBSSH2_METHOD_HOSTKEY,
	    algs);
	if ((rc = libssh2_session_handshake(s->ssh, s->sock)) != 0) {
		r = cn_err_from_libssh2(rc);
		session_set_err(s, "ssh handshake with %s port %d failed: %s",
		    opts->hostname, opts->port, session_lasterr(s));
		goto out;
	}
	key = libssh2_session_hostkey(s->ssh, &keylen, &type);
	hash = libssh2_hostkey_hash(s->ssh, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (key == NULL || hash == NULL || known_hosts_fingerprint(
	    (const unsigned char *)hash, hk->fingerprint,
	    sizeof(hk->fingerprint)) != CN_OK) {
		session_set_err(s, "cannot get the host key: %s",
		    session_lasterr(s));
		r = CN_ERR_SSH;
		goto out;
	}
	snprintf(hk->type, sizeof(hk->type), "%s",
	    known_hosts_keytype_label(type));
	snprintf(hk->keyscan_type, sizeof(hk->keyscan_type), "%s",
	    known_hosts_keyscan_type(type));
	if ((r = known_hosts_check(path, hk->name, key, keylen, &v)) !=
	    CN_OK) {
		session_set_err(s, "cannot read known hosts '%s': %s",
		    khfile_shown(opts), r == CN_ERR_IO ? strerror(errno) :
		    cn_strerror(r));
		goto out;
	}
	hk->result = v.result;
	hk->line = v.line;
	if (v.result == KNOWN_HOSTS_NOTFOUND && record) {
		if (!known_hosts_recordable(opts->hostname)) {
			session_set_err(s, "host name '%s' cannot be recorded "
			    "in known hosts", opts->hostname);
			r = CN_ERR_HOSTKEY_UNKNOWN;
			goto out;
		}
		if ((r = known_hosts_append(path, hk->name, key, keylen)) !=
		    CN_OK) {
			session_set_err(s, "cannot record host key for %s in "
			    "'%s': %s", hk->name, khfile_shown(opts),
			    r == CN_ERR_SYSTEM ? strerror(errno) :
			    cn_strerror(r));
			goto out;
		}
		hk->recorded = true;
	}
	r = CN_OK;
 out:
	if (r != CN_OK)
		*msg = strdup(s->errmsg != NULL ? s->errmsg : cn_strerror(r));
	free(path);
	session_destroy(s);
	return r;
}

/*
 * session: one SSH connection to one box with libssh2 (see session.h).
 *
 * Connect, handshake, authentication and SCP use libssh2's blocking API
 * with libssh2_session_set_timeout() as the dead-peer bound.  Commands
 * are driven non-blocking from a poll() loop so one call can watch the
 * command's own deadline, send keepalives and notice a silent peer.
 *
 * On a command timeout the channel is closed; libssh2 1.10 cannot send a
 * signal over a channel, and sshd does not signal a command without a pty
 * when its channel closes.  A caller that needs the remote process group
 * ended wraps the command on the box (cmd_exec.c runs it under
 * `timeout --kill-after`, which signals its whole process group).
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/evp.h>

#include "error.h"
#include "known_hosts.h"
#include "session.h"
#include "ssh_error.h"

#define DEFAULT_CONNECT_TIMEOUT_S	10
#define DEFAULT_KEEPALIVE_S		15
#define DEFAULT_DEAD_PEER_S		60
#define SECRET_MAX			1024

struct session {
	LIBSSH2_SESSION	*ssh;
	int		 sock;
	char		*name;
	char		*errmsg;
	int		 keepalive_s;
	int		 dead_peer_s;
	/* Only set during authentication, wiped right after. */
	const char	*kbd_password;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
/* One prompt on the terminal at a time, whatever the fleet does. */
static pthread_mutex_t tty_lock = PTHREAD_MUTEX_INITIALIZER;

static void
global_init(void)
{
	init_rc = libssh2_init(0);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Replace the session's message with "name: <fmt>". */
static void __attribute__((format(printf, 2, 3)))
set_err(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char *body = NULL, *m = NULL;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) == -1)
		body = NULL;
	va_end(ap);
	if (body == NULL || asprintf(&m, "%s: %s", s->name, body) == -1)
		m = NULL;
	free(body);
	free(s->errmsg);
	s->errmsg = m;
}

static const char *
ssh_lasterr(struct session *s)
{
	char *m = NULL;

	if (s->ssh == NULL)
		return "no session";
	libssh2_session_last_error(s->ssh, &m, NULL, 0);
	return m != NULL && *m != '\0' ? m : "unknown libssh2 error";
}

/* "~/x" to "$HOME/x"; anything else copied.  Caller frees. */
static char *
expand_home(const char *path)
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

/* ---------------------------------------------------------------- buf */

void
buf_release(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	size_t need, cap;
	char *d;

	if (b == NULL || (p == NULL && n > 0))
		return CN_ERR_INVALID;
	if (n > SIZE_MAX - b->len - 1)
		return CN_ERR_NOMEM;
	need = b->len + n + 1;
	if (need > b->cap) {
		cap = b->cap != 0 ? b->cap : 256;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return CN_ERR_NOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CN_OK;
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
		set_err(s, "cannot resolve '%s': %s", host,
		    e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
		return CN_ERR_CONNECT;
	}
	deadline = now_s() + timeout_s;
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
			ms = (int)((deadline - now_s()) * 1000);
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
		set_err(s, "cannot connect to %s port %d: timed out after "
		    "%d s", host, port, timeout_s);
	else
		set_err(s, "cannot connect to %s port %d: %s", host, port,
		    strerror(err != 0 ? err : ECONNREFUSED));
	r = CN_ERR_CONNECT;
	goto out;
 connected:
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		set_err(s, "cannot connect to %s port %d: %s", host, port,
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

static int
check_hostkey(struct session *s, const struct session_opts *o)
{
	const char *key, *hash;
	size_t keylen;
	int type, r;
	char spec[1100], fp[64];
	char *path = NULL;
	const char *shown;
	enum known_hosts_result res;

	key = libssh2_session_hostkey(s->ssh, &keylen, &type);
	hash = libssh2_hostkey_hash(s->ssh, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (key == NULL || hash == NULL) {
		set_err(s, "cannot get the host key: %s", ssh_lasterr(s));
		return CN_ERR_SSH;
	}
	if ((r = known_hosts_hostspec(o->hostname, o->port, spec,
	    sizeof(spec))) != CN_OK ||
	    (r = known_hosts_fingerprint((const unsigned char *)hash, fp,
	    sizeof(fp))) != CN_OK) {
		set_err(s, "host name '%s' too long", o->hostname);
		return r;
	}
	shown = o->known_hosts != NULL ? o->known_hosts : "~/.ssh/known_hosts";
	if ((path = expand_home(shown)) == NULL) {
		r = CN_ERR_NOMEM;
		set_err(s, "out of memory");
		goto out;
	}
	r = known_hosts_check(s->ssh, path, o->hostname, o->port, key,
	    keylen, type, &res);
	if (r == CN_ERR_UNSUPPORTED) {
		set_err(s, "host key for %s has a type libssh2 cannot check "
		    "(%s %s); refusing to connect", spec,
		    known_hosts_keytype_label(type), fp);
		r = CN_ERR_HOSTKEY_UNKNOWN;
		goto out;
	}
	if (r != CN_OK) {
		set_err(s, "cannot read known hosts '%s': %s", shown,
		    r == CN_ERR_IO ? strerror(errno) : cn_strerror(r));
		goto out;
	}
	switch (res) {
	case KNOWN_HOSTS_MATCH:
		r = CN_OK;
		break;
	case KNOWN_HOSTS_MISMATCH:
		set_err(s, "host key for %s changed (now %s %s); refusing to "
		    "connect", spec, known_hosts_keytype_label(type), fp);
		r = CN_ERR_HOSTKEY_CHANGED;
		break;
	case KNOWN_HOSTS_NOTFOUND:
		if (o->policy == HOSTKEY_ACCEPT_NEW) {
			r = known_hosts_append(s->ssh, path, o->hostname,
			    o->port, key, keylen, type);
			if (r != CN_OK)
				set_err(s, "cannot record host key for %s in "
				    "'%s': %s", spec, shown,
				    r == CN_ERR_SYSTEM ? strerror(errno) :
				    cn_strerror(r));
			break;
		}
		set_err(s, "host key for %s is not known (%s %s)\n"
		    "%s: check the fingerprint, then: ssh-keyscan -p %d -t %s "
		    "%s >> %s (or set known_hosts_policy to accept-new)",
		    spec, known_hosts_keytype_label(type), fp, s->name,
		    o->port, known_hosts_keyscan_type(type), o->hostname,
		    shown);
		r = CN_ERR_HOSTKEY_UNKNOWN;
		break;
	}
 out:
	free(path);
	return r;
}

/* --------------------------------------------------------------- auth */

/* Read a secret from /dev/tty with echo off.  CN_OK or CN_ERR_IO. */
static int
prompt_tty(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	size_t n = 0;
	ssize_t rd;
	char c;
	int fd, r = CN_ERR_IO;
	bool restore = false;

	pthread_mutex_lock(&tty_lock);
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		goto out;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = true;
	}
	if (write(fd, prompt, strlen(prompt)) == -1)
		goto out;
	for (;;) {
		rd = read(fd, &c, 1);
		if (rd == -1 && errno == EINTR)
			continue;
		if (rd != 1 || c == '\n' || c == '\r')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = '\0';
	c = 0;
	r = rd == 1 ? CN_OK : CN_ERR_IO;
	(void)!write(fd, "\n", 1);
 out:
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (fd != -1)
		close(fd);
	pthread_mutex_unlock(&tty_lock);
	return r;
}

/* Decode base64 (no whitespace) into a malloc'd buffer. */
static unsigned char *
b64_decode(const char *in, size_t inlen, size_t *outlen)
{
	unsigned char *out;
	size_t pad = 0;
	int n;

	if (inlen == 0 || inlen % 4 != 0 || inlen > INT32_MAX)
		return NULL;
	if ((out = malloc(inlen / 4 * 3 + 1)) == NULL)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0) {
		free(out);
		return NULL;
	}
	if (in[inlen - 1] == '=')
		pad++;
	if (in[inlen - 2] == '=')
		pad++;
	*outlen = (size_t)n - pad;
	return out;
}

static char *
read_small_file(const char *path, size_t max)
{
	FILE *fp;
	char *d;
	size_t n;

	if ((fp = fopen(path, "re")) == NULL)
		return NULL;
	if ((d = malloc(max + 1)) != NULL) {
		n = fread(d, 1, max, fp);
		d[n] = '\0';
	}
	fclose(fp);
	return d;
}

/* The key blob from an OpenSSH .pub file ("type base64 comment"). */
static unsigned char *
pub_blob(const char *pubpath, size_t *len, bool *is_rsa)
{
	char *text, *p, *e;
	unsigned char *blob = NULL;

	if ((text = read_small_file(pubpath, 16384)) == NULL)
		return NULL;
	if (strncmp(text, "ssh-rsa ", 8) == 0)
		*is_rsa = true;
	if ((p = strchr(text, ' ')) != NULL) {
		p++;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\n'; e++)
			;
		blob = b64_decode(p, (size_t)(e - p), len);
	}
	free(text);
	return blob;
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Next SSH string at *p (within end): its start and length. */
static bool
get_str(const unsigned char **p, const unsigned char *end,
    const unsigned char **s, uint32_t *n)
{
	if (end - *p < 4)
		return false;
	*n = get_u32(*p);
	if ((size_t)(end - *p - 4) < *n)
		return false;
	*s = *p + 4;
	*p += 4 + *n;
	return true;
}

/*
 * What the private key file is: RSA or not, passphrase-protected or not.
 * Reads PEM headers and the openssh-key-v1 header (cipher, first key
 * type); anything unknown leaves the flags alone.
 */
static void
key_file_info(const char *path, bool *is_rsa, bool *encrypted)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	char *text, *b64 = NULL, *p, *q;
	unsigned char *raw = NULL;
	const unsigned char *c, *end, *sv, *kv;
	uint32_t sn, kn;
	size_t rawlen, n = 0;

	if ((text = read_small_file(path, 65536)) == NULL)
		return;
	if (strstr(text, "BEGIN RSA PRIVATE KEY") != NULL)
		*is_rsa = true;
	/* PEM: "Proc-Type: 4,ENCRYPTED" (legacy), PKCS#8 "BEGIN ENCRYPTED". */
	if (strstr(text, "4,ENCRYPTED") != NULL ||
	    strstr(text, "BEGIN ENCRYPTED PRIVATE KEY") != NULL)
		*encrypted = true;
	if ((p = strstr(text, begin)) == NULL)
		goto out;
	p += sizeof(begin) - 1;
	if ((q = strstr(p, "-----END")) == NULL ||
	    (b64 = malloc((size_t)(q - p) + 1)) == NULL)
		goto out;
	for (; p < q; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			b64[n++] = *p;
	b64[n] = '\0';
	if ((raw = b64_decode(b64, n, &rawlen)) == NULL ||
	    rawlen < sizeof(magic) ||
	    memcmp(raw, magic, sizeof(magic)) != 0)
		goto out;
	c = raw + sizeof(magic);
	end = raw + rawlen;
	if (!get_str(&c, end, &sv, &sn))		/* ciphername */
		goto out;
	if (!(sn == 4 && memcmp(sv, "none", 4) == 0))
		*encrypted = true;
	if (!get_str(&c, end, &sv, &sn) ||		/* kdfname */
	    !get_str(&c, end, &sv, &sn) ||		/* kdfoptions */
	    end - c < 4)
		goto out;
	c += 4;						/* nkeys */
	if (!get_str(&c, end, &sv, &sn))		/* public key */
		goto out;
	end = sv + sn;
	if (get_str(&sv, end, &kv, &kn) && kn == 7 &&
	    memcmp(kv, "ssh-rsa", 7) == 0)
		*is_rsa = true;
 out:
	free(raw);
	free(b64);
	free(text);
}

static
LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(kbd_callback)
{
	struct session *s = *abstract;
	int i;

	(void)name;
	(void)name_len;
	(void)instruction;
	(void)instruction_len;
	for (i = 0; i < num_prompts; i++) {
		responses[i].text = NULL;
		responses[i].length = 0;
		/* Hidden prompts get the password: that is what the PAM
		 * conversation of a password-only box asks.  A prompt that
		 * echoes is not asking for a secret. */
		if (prompts[i].echo == 0 && s->kbd_password != NULL &&
		    (responses[i].text = strdup(s->kbd_password)) != NULL)
			responses[i].length =
			    (unsigned int)strlen(s->kbd_password);
	}
}

struct auth_state {
	char	 tried[128];
	char	 rsa_key[1100];		/* shown name of a rejected RSA key */
	char	 locked_key[1100];	/* encrypted key, no terminal to ask */
	char	 missing_key[1100];	/* identity_file we cannot read */
	int	 missing_errno;
	bool	 lost;			/* the connection went away */
	int	 lost_rc;
};

static void
note_tried(struct auth_state *a, const char *method)
{
	size_t n = strlen(a->tried);

	if (strstr(a->tried, method) != NULL)
		return;
	snprintf(a->tried + n, sizeof(a->tried) - n, "%s%s",
	    n > 0 ? ", " : "", method);
}

/* Did a failed attempt take the connection with it? */
static bool
auth_fatal(struct session *s, struct auth_state *a, int rc)
{
	int e = cn_err_from_libssh2(rc);

	if (e == CN_ERR_AUTH || e == CN_ERR_IO || e == CN_OK ||
	    e == CN_ERR_AGAIN || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED ||
	    rc == LIBSSH2_ERROR_PUBLICKEY_PROTOCOL)
		return false;
	a->lost = true;
	a->lost_rc = e;
	set_err(s, "connection lost during authentication: %s",
	    ssh_lasterr(s));
	return true;
}

/* ssh-agent, but only the identities asked for (MaxAuthTries). */
static bool
auth_agent(struct session *s, const char *user, char *const *keys,
    const char *const *shown, size_t nkeys, bool *tried,
    struct auth_state *a)
{
	LIBSSH2_AGENT *agent = NULL;
	struct libssh2_agent_publickey *id, *prev;
	unsigned char *blob;
	size_t bloblen, i;
	char *pub;
	bool rsa = false, ok = false;
	int rc;

	if (getenv("SSH_AUTH_SOCK") == NULL)
		return false;
	if ((agent = libssh2_agent_init(s->ssh)) == NULL)
		return false;
	if (libssh2_agent_connect(agent) != 0 ||
	    libssh2_agent_list_identities(agent) != 0)
		goto out;
	for (i = 0; i < nkeys && !ok && !a->lost; i++) {
		if (asprintf(&pub, "%s.pub", keys[i]) == -1)
			continue;
		rsa = false;
		blob = pub_blob(pub, &bloblen, &rsa);
		free(pub);
		if (blob == NULL)
			continue;
		for (prev = NULL; libssh2_agent_get_identity(agent, &id,
		    prev) == 0; prev = id) {
			if (id->blob_len != bloblen ||
			    memcmp(id->blob, blob, bloblen) != 0)
				continue;
			note_tried(a, "publickey");
			tried[i] = true;
			rc = libssh2_agent_userauth(agent, user, id);
			if (rc == 0)
				ok = true;
			else if (!auth_fatal(s, a, rc) && rsa &&
			    a->rsa_key[0] == '\0')
				snprintf(a->rsa_key, sizeof(a->rsa_key), "%s",
				    shown[i]);
			break;
		}
		free(blob);
	}
 out:
	libssh2_agent_disconnect(agent);
	libssh2_agent_free(agent);
	return ok;
}

static bool
auth_keyfile(struct session *s, const struct session_opts *o,
    const char *key, const char *shown, struct auth_state *a)
{
	char prompt[1200], pass[SECRET_MAX];
	bool is_rsa = false, encrypted = false, ok = false;
	char *pub = NULL;
	size_t bloblen;
	int rc;

	pass[0] = '\0';
	if (access(key, R_OK) != 0) {
		if (o->identity_file != NULL && a->missing_key[0] == '\0') {
			a->missing_errno = errno;
			snprintf(a->missing_key, sizeof(a->missing_key), "%s",
			    shown);
		}
		return false;
	}
	key_file_info(key, &is_rsa, &encrypted);
	if (asprintf(&pub, "%s.pub", key) == -1)
		pub = NULL;
	else if (access(pub, R_OK) != 0) {
		free(pub);
		pub = NULL;
	} else
		free(pub_blob(pub, &bloblen, &is_rsa));
	if (encrypted) {
		if (!o->interactive) {
			if (a->locked_key[0] == '\0')
				snprintf(a->locked_key, sizeof(a->locked_key),
				    "%s", shown);
			goto out;
		}
		snprintf(prompt, sizeof(prompt), "%s: enter passphrase for "
		    "key '%s': ", s->name, shown);
		if (prompt_tty(prompt, pass, sizeof(pass)) != CN_OK)
			goto out;
	}
	note_tried(a, "publickey");
	rc = libssh2_userauth_publickey_fromfile_ex(s->ssh, o->user,
	    (unsigned int)strlen(o->user), pub, key, pass);
	if (rc == 0) {
		ok = true;
		goto out;
	}
	if (auth_fatal(s, a, rc))
		goto out;
	if (is_rsa && a->rsa_key[0] == '\0')
		snprintf(a->rsa_key, sizeof(a->rsa_key), "%s", shown);
 out:
	explicit_bzero(pass, sizeof(pass));
	free(pub);
	return ok;
}

static int
authenticate(struct session *s, const struct session_opts *o)
{
	static const char *const defaults[] = {
		"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa",
	};
	struct auth_state a;
	char *keys[3] = { NULL, NULL, NULL };
	const char *shown[3] = { NULL, NULL, NULL };
	bool agent_tried[3] = { false, false, false };
	char pw[SECRET_MAX], prompt[1200], ver[16], *k;
	const char *methods, *password = NULL;
	size_t nkeys = 0, i, ulen = strlen(o->user);
	bool ok = false;
	int rc, r;

	memset(&a, 0, sizeof(a));
	pw[0] = '\0';
	methods = libssh2_userauth_list(s->ssh, o->user, (unsigned int)ulen);
	if (methods == NULL) {
		if (libssh2_userauth_authenticated(s->ssh))
			return CN_OK;
		rc = libssh2_session_last_errno(s->ssh);
		set_err(s, "authentication failed: %s", ssh_lasterr(s));
		r = cn_err_from_libssh2(rc);
		return r == CN_ERR_AGAIN || r == CN_OK ? CN_ERR_AUTH : r;
	}
	if (o->identity_file != NULL) {
		shown[0] = o->identity_file;
		if ((keys[0] = expand_home(o->identity_file)) != NULL)
			nkeys = 1;
	} else {
		for (i = 0; i < 3; i++) {
			k = expand_home(defaults[i]);
			if (k != NULL && access(k, R_OK) == 0) {
				shown[nkeys] = defaults[i];
				keys[nkeys++] = k;
			} else
				free(k);
		}
	}

	if (strstr(methods, "publickey") != NULL) {
		ok = auth_agent(s, o->user, keys, shown, nkeys, agent_tried,
		    &a);
		/* A key the server refused from the agent is not offered
		 * again from its file: every offer counts to MaxAuthTries. */
		for (i = 0; i < nkeys && !ok && !a.lost; i++)
			if (!agent_tried[i])
				ok = auth_keyfile(s, o, keys[i], shown[i],
				    &a);
	}
	if (!ok && !a.lost && (strstr(methods, "keyboard-interactive") !=
	    NULL || strstr(methods, "password") != NULL)) {
		password = o->password;
		if (password == NULL && o->interactive) {
			snprintf(prompt, sizeof(prompt), "%s: %s@%s's "
			    "password: ", s->name, o->user, o->hostname);
			if (prompt_tty(prompt, pw, sizeof(pw)) == CN_OK)
				password = pw;
		}
	}
	if (!ok && !a.lost && password != NULL &&
	    strstr(methods, "keyboard-interactive") != NULL) {
		note_tried(&a, "keyboard-interactive");
		s->kbd_password = password;
		rc = libssh2_userauth_keyboard_interactive_ex(s->ssh, o->user,
		    (unsigned int)ulen, kbd_callback);
		s->kbd_password = NULL;
		if (rc == 0)
			ok = true;
		else
			(void)auth_fatal(s, &a, rc);
	}
	if (!ok && !a.lost && password != NULL &&
	    strstr(methods, "password") != NULL) {
		note_tried(&a, "password");
		rc = libssh2_userauth_password_ex(s->ssh, o->user,
		    (unsigned int)ulen, password,
		    (unsigned int)strlen(password), NULL);
		if (rc == 0)
			ok = true;
		else
			(void)auth_fatal(s, &a, rc);
	}
	explicit_bzero(pw, sizeof(pw));

	if (ok) {
		r = CN_OK;
		goto out;
	}
	if (a.lost) {
		r = a.lost_rc;
		goto out;
	}
	r = CN_ERR_AUTH;
	if (a.tried[0] == '\0' && a.locked_key[0] != '\0') {
		set_err(s, "authentication failed (tried: none): key '%s' "
		    "needs a passphrase and there is no terminal to ask; "
		    "load it into ssh-agent", a.locked_key);
	} else if (a.tried[0] == '\0' && a.missing_key[0] != '\0') {
		set_err(s, "authentication failed (tried: none): cannot read "
		    "identity file '%s': %s", a.missing_key,
		    strerror(a.missing_errno));
	} else if (a.tried[0] == '\0') {
		set_err(s, "authentication failed (tried: none): no key or "
		    "password to offer (server accepts: %s)", methods);
	} else if (a.rsa_key[0] != '\0') {
		/* "1.10.0" -> "1.10", as people name the release. */
		snprintf(ver, sizeof(ver), "%s", libssh2_version(0));
		if (strchr(ver, '.') != NULL &&
		    strchr(strchr(ver, '.') + 1, '.') != NULL)
			*strchr(strchr(ver, '.') + 1, '.') = '\0';
		set_err(s, "authentication failed (tried: %s): libssh2 %s "
		    "cannot use RSA key '%s' with OpenSSH >= 8.8 (rsa-sha2); "
		    "use an ed25519 key: ssh-keygen -t ed25519", a.tried, ver,
		    a.rsa_key);
	} else
		set_err(s, "authentication failed (tried: %s)", a.tried);
 out:
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	return r;
}

/* ------------------------------------------------------------ session */

int
session_open(const struct session_opts *opts, struct session **out,
    char **msg)
{
	struct session *s = NULL;
	char *khpath = NULL, algs[256];
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
	pthread_once(&init_once, global_init);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CN_ERR_NOMEM;
	s->sock = -1;
	if ((s->name = strdup(opts->name != NULL ? opts->name :
	    opts->hostname)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (init_rc != 0) {
		set_err(s, "cannot initialize libssh2");
		r = CN_ERR_SSH;
		goto out;
	}
	timeout_s = opts->connect_timeout_s > 0 ? opts->connect_timeout_s :
	    DEFAULT_CONNECT_TIMEOUT_S;
	s->keepalive_s = opts->keepalive_s > 0 ? opts->keepalive_s :
	    DEFAULT_KEEPALIVE_S;
	s->dead_peer_s = opts->dead_peer_s > 0 ? opts->dead_peer_s :
	    DEFAULT_DEAD_PEER_S;

	if ((r = tcp_connect(s, opts->hostname, opts->port, timeout_s,
	    &s->sock)) != CN_OK)
		goto out;
	if ((s->ssh = libssh2_session_init_ex(NULL, NULL, NULL, s)) == NULL) {
		set_err(s, "cannot create an ssh session");
		r = CN_ERR_NOMEM;
		goto out;
	}
	libssh2_session_set_blocking(s->ssh, 1);
	/* The handshake is bounded by the connect timeout, later blocking
	 * calls by the dead-peer bound. */
	libssh2_session_set_timeout(s->ssh, (long)timeout_s * 1000);
	/* Ask for a host key type known_hosts holds for this host, as ssh
	 * does; else OpenSSH's order (ed25519 first). */
	if ((khpath = expand_home(opts->known_hosts != NULL ?
	    opts->known_hosts : "~/.ssh/known_hosts")) != NULL)
		(void)known_hosts_algorithms(s->ssh, khpath, opts->hostname,
		    opts->port, algs, sizeof(algs));
	else
		(void)known_hosts_algorithms(NULL, NULL, NULL, 0, algs,
		    sizeof(algs));
	free(khpath);
	(void)libssh2_session_method_pref(s->ssh, LIBSSH2_METHOD_HOSTKEY,
	    algs);
	if ((rc = libssh2_session_handshake(s->ssh, s->sock)) != 0) {
		r = cn_err_from_libssh2(rc);
		if (r == CN_ERR_TIMEOUT)
			set_err(s, "ssh handshake with %s port %d: no answer "
			    "within %d s", opts->hostname, opts->port,
			    timeout_s);
		else
			set_err(s, "ssh handshake with %s port %d failed: %s",
			    opts->hostname, opts->port, ssh_lasterr(s));
		goto out;
	}
	libssh2_session_set_timeout(s->ssh, (long)s->dead_peer_s * 1000);
	/* Nothing is authenticated, uploaded or run before this passes. */
	if ((r = check_hostkey(s, opts)) != CN_OK)
		goto out;
	if ((r = authenticate(s, opts)) != CN_OK)
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

/* --------------------------------------------------------------- exec */

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
	char rbuf[16384];
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
	libssh2_session_set_blocking(s->ssh, 1);
	if ((ch = libssh2_channel_open_session(s->ssh)) == NULL) {
		r = cn_err_from_libssh2(libssh2_session_last_errno(s->ssh));
		set_err(s, "cannot open a channel: %s", ssh_lasterr(s));
		goto out;
	}
	if ((rc = libssh2_channel_exec(ch, cmd)) != 0) {
		r = cn_err_from_libssh2(rc);
		set_err(s, "cannot run a command: %s", ssh_lasterr(s));
		goto out;
	}
	libssh2_session_set_blocking(s->ssh, 0);
	deadline = timeout_s > 0 ? now_s() + timeout_s : 0;
	last_rx = now_s();
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
				set_err(s, "cannot write to the command: %s",
				    ssh_lasterr(s));
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
				set_err(s, "cannot write to the command: %s",
				    ssh_lasterr(s));
				goto out;
			}
		}
		for (stream = 0; stream <= 1; stream++) {
			for (;;) {
				n = libssh2_channel_read_ex(ch, stream, rbuf,
				    sizeof(rbuf));
				if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
					break;
				if (n < 0) {
					r = cn_err_from_libssh2((int)n);
					set_err(s, "cannot read from the "
					    "command: %s", ssh_lasterr(s));
					goto out;
				}
				progress = true;
				last_rx = now_s();
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
			set_err(s, "connection lost: %s", ssh_lasterr(s));
			goto out;
		}
		t = now_s();
		if (deadline > 0 && t >= deadline) {
			r = CN_ERR_TIMEOUT;
			set_err(s, "command timed out after %d s", timeout_s);
			abandon = true;
			goto out;
		}
		if (t - last_rx > s->dead_peer_s) {
			r = CN_ERR_TIMEOUT;
			set_err(s, "connection lost: no answer for %d s",
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
			set_err(s, "poll: %s", strerror(errno));
			goto out;
		}
		if (got_input)
			last_rx = now_s();
	}

	/* Output done: the exit status comes with (or before) the close. */
	libssh2_session_set_blocking(s->ssh, 1);
	if ((rc = libssh2_channel_close(ch)) != 0 ||
	    (rc = libssh2_channel_wait_closed(ch)) != 0) {
		r = cn_err_from_libssh2(rc);
		set_err(s, "connection lost: %s", ssh_lasterr(s));
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
	return r;
}

struct collect {
	struct buf	*out;
	struct buf	*err;
};

static int
collect_cb(void *arg, int stream, const char *p, size_t n)
{
	struct collect *c = arg;
	struct buf *b = stream == 1 ? c->out : c->err;

	if (b == NULL)
		return 0;
	return buf_append(b, p, n);
}

int
session_exec(struct session *s, const char *cmd, const void *stdin_data,
    size_t stdin_len, struct buf *out, struct buf *err, int *exit_status,
    int timeout_s)
{
	struct collect c = { out, err };

	return session_exec_stream(s, cmd, stdin_data, stdin_len, collect_cb,
	    &c, exit_status, timeout_s);
}

/* ---------------------------------------------------------------- scp */

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
		set_err(s, "cannot upload '%s': %s", remote_path,
		    ssh_lasterr(s));
		goto out;
	}
	while (off < len) {
		n = libssh2_channel_write(ch, p + off, len - off);
		if (n == LIBSSH2_ERROR_EAGAIN)
			continue;
		if (n < 0) {
			r = cn_err_from_libssh2((int)n);
			set_err(s, "cannot upload '%s': %s", remote_path,
			    ssh_lasterr(s));
			goto out;
		}
		off += (size_t)n;
	}
	if ((rc = libssh2_channel_send_eof(ch)) != 0 ||
	    (rc = libssh2_channel_wait_eof(ch)) != 0 ||
	    (rc = libssh2_channel_wait_closed(ch)) != 0) {
		r = cn_err_from_libssh2(rc);
		set_err(s, "cannot upload '%s': %s", remote_path,
		    ssh_lasterr(s));
		goto out;
	}
	r = CN_OK;
 out:
	if (ch != NULL)
		(void)libssh2_channel_free(ch);
	return r;
}

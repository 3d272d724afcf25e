/*
 * auth: authenticate one session the way ssh would (see session.h):
 * ssh-agent (only the identities asked for, MaxAuthTries counts every
 * offer), key files (passphrase prompt on a terminal), then
 * keyboard-interactive and password.  A failure names what was tried.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "error.h"
#include "keyfile.h"
#include "prompt.h"
#include "session.h"
#include "session_int.h"
#include "ssh_error.h"

#define SECRET_MAX	1024

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
	int	 lost_rc;		/* also CN_ERR_INTERRUPTED: Ctrl-C
					   at a prompt, message set */
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
	session_set_err(s, "connection lost during authentication: %s",
	    session_lasterr(s));
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
		blob = keyfile_pub_blob(pub, &bloblen, &rsa);
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
	keyfile_info(key, &is_rsa, &encrypted);
	if (asprintf(&pub, "%s.pub", key) == -1)
		pub = NULL;
	else if (access(pub, R_OK) != 0) {
		free(pub);
		pub = NULL;
	} else
		free(keyfile_pub_blob(pub, &bloblen, &is_rsa));
	if (encrypted) {
		if (!o->interactive) {
			if (a->locked_key[0] == '\0')
				snprintf(a->locked_key, sizeof(a->locked_key),
				    "%s", shown);
			goto out;
		}
		snprintf(prompt, sizeof(prompt), "%s: enter passphrase for "
		    "key '%s': ", s->name, shown);
		rc = prompt_secret(prompt, pass, sizeof(pass));
		if (rc == CN_ERR_INTERRUPTED) {
			a->lost = true;
			a->lost_rc = CN_ERR_INTERRUPTED;
			session_set_err(s, "interrupted at the passphrase "
			    "prompt for key '%s'", shown);
		}
		if (rc != CN_OK)
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

int
session_authenticate(struct session *s, const struct session_opts *o)
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
		session_set_err(s, "authentication failed: %s", session_lasterr(s));
		r = cn_err_from_libssh2(rc);
		return r == CN_ERR_AGAIN || r == CN_OK ? CN_ERR_AUTH : r;
	}
	if (o->identity_file != NULL) {
		shown[0] = o->identity_file;
		if ((keys[0] = session_expand_home(o->identity_file)) != NULL)
			nkeys = 1;
	} else {
		for (i = 0; i < 3; i++) {
			k = session_expand_home(defaults[i]);
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
			rc = prompt_secret(prompt, pw, sizeof(pw));
			if (rc == CN_OK)
				password = pw;
			else if (rc == CN_ERR_INTERRUPTED) {
				a.lost = true;
				a.lost_rc = CN_ERR_INTERRUPTED;
				session_set_err(s, "interrupted at the password "
				    "prompt");
			}
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
		session_set_err(s, "authentication failed (tried: none): key '%s' "
		    "needs a passphrase and there is no terminal to ask; "
		    "load it into ssh-agent", a.locked_key);
	} else if (a.tried[0] == '\0' && a.missing_key[0] != '\0') {
		session_set_err(s, "authentication failed (tried: none): cannot read "
		    "identity file '%s': %s", a.missing_key,
		    strerror(a.missing_errno));
	} else if (a.tried[0] == '\0') {
		session_set_err(s, "authentication failed (tried: none): no key or "
		    "password to offer (server accepts: %s)", methods);
	} else if (a.rsa_key[0] != '\0') {
		/* "1.10.0" -> "1.10", as people name the release. */
		snprintf(ver, sizeof(ver), "%s", libssh2_version(0));
		if (strchr(ver, '.') != NULL &&
		    strchr(strchr(ver, '.') + 1, '.') != NULL)
			*strchr(strchr(ver, '.') + 1, '.') = '\0';
		session_set_err(s, "authentication failed (tried: %s): libssh2 %s "
		    "cannot use RSA key '%s' with OpenSSH >= 8.8 (rsa-sha2); "
		    "use an ed25519 key: ssh-keygen -t ed25519", a.tried, ver,
		    a.rsa_key);
	} else
		session_set_err(s, "authentication failed (tried: %s)", a.tried);
 out:
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	return r;
}

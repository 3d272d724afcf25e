/*
 * The inventory's schema: which keys may appear where, what type and range
 * each value must have, and errors that name the JSON path at fault with a
 * did-you-mean for unknown keys (see inventory.h for the wording).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "error.h"
#include "inventory_int.h"
#include "url.h"
#include "validate.h"

#define MAX_TIMEOUT		600


/* Where a key may appear. */
#define IN_HOST		0x1	/* hosts.NAME and defaults */
#define IN_PROFILE	0x2	/* profiles/NAME.json */

enum ftype {
	T_HOSTNAME, T_PORT, T_USER, T_LOCALPATH, T_ENVNAME, T_POLICY,
	T_PLATFORM, T_DATADIR, T_MIRRORS, T_PROXY, T_PULLS, T_TIMEOUT, T_TEXT,
	T_CANDIDATES, T_BOOL
};

static const struct field {
	const char	*key;
	enum ftype	 type;
	int		 in;
	int		 nullable;	/* null = "none", stops the lookup */
} fields[] = {
	{ "host",		T_HOSTNAME,	IN_HOST,		0 },
	{ "port",		T_PORT,		IN_HOST,		0 },
	{ "user",		T_USER,		IN_HOST | IN_PROFILE,	0 },
	{ "identity_file",	T_LOCALPATH,	IN_HOST,		1 },
	{ "password_env",	T_ENVNAME,	IN_HOST,		1 },
	{ "hf_token_env",	T_ENVNAME,	IN_HOST,		1 },
	{ "modelscope_token_env", T_ENVNAME,	IN_HOST,		1 },
	{ "known_hosts",	T_LOCALPATH,	IN_HOST,		0 },
	{ "known_hosts_policy",	T_POLICY,	IN_HOST | IN_PROFILE,	0 },
	{ "platform",		T_PLATFORM,	IN_HOST,		1 },
	{ "data_dir",		T_DATADIR,	IN_HOST | IN_PROFILE,	0 },
	{ "mirrors",		T_MIRRORS,	IN_HOST | IN_PROFILE,	0 },
	{ "proxy",		T_PROXY,	IN_HOST | IN_PROFILE,	1 },
	{ "proxy_in_shells",	T_BOOL,		IN_HOST | IN_PROFILE,	0 },
	{ "pulls",		T_PULLS,	IN_HOST,		0 },
	{ "connect_timeout",	T_TIMEOUT,	IN_HOST | IN_PROFILE,	0 },
	{ "mirror_candidates",	T_CANDIDATES,	IN_HOST | IN_PROFILE,	0 },
	{ "description",	T_TEXT,		IN_PROFILE,		0 },
	{ "docs",		T_TEXT,		IN_PROFILE,		0 },
};
#define NFIELDS		(sizeof(fields) / sizeof(fields[0]))

static const char *const proxy_schemes[] = { "http://", "https://",
    "socks5://", "socks5h://" };
static const char *const top_keys[] = { "defaults", "groups", "hosts" };
static const char *const mirror_keys[] = { "hf", "modelscope", "pypi",
    "conda", "huggingface" };
static const char *const pull_keys[] = { "repo", "revision", "source",
    "repo_type", "include", "exclude", "via_laptop_proxy",
    "modelscope_repo" };

/*
 * A mirror URL reaches box scripts, the agent's argv, job files and logs;
 * only a proxy may carry a password (it stays in the process environment).
 */
#define NO_CREDENTIALS	"credentials in a mirror URL are refused: it is " \
	"shown in job files, logs and 'hosts --json'; use a mirror that needs " \
	"none (only 'proxy' may carry user:password@)"

/* Common misnamings too far from the real key for the edit distance. */
static const struct {
	const char	*wrong;
	const char	*right;
} aliases[] = {
	{ "hostname",	"host" },
	{ "address",	"host" },
	{ "type",	"repo_type" },
	{ "key",	"identity_file" },
};

int
inv_vmsg(char **msg, int r, const char *head, const char *fmt, va_list ap)
{
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		return CN_ERR_NOMEM;
	if (msg != NULL && *msg == NULL &&
	    asprintf(msg, "%s: %s", head, text) < 0)
		*msg = NULL;
	free(text);
	return r;
}

int
inv_verr(const struct vctx *c, int r, const char *path, const char *fmt, ...)
{
	char head[PATHBUF + 256];
	va_list ap;

	if (path != NULL)
		snprintf(head, sizeof(head), "%s: %s", c->prefix, path);
	else
		snprintf(head, sizeof(head), "%s", c->prefix);
	va_start(ap, fmt);
	r = inv_vmsg(c->msg, r, head, fmt, ap);
	va_end(ap);
	return r;
}

void
inv_set_msg(char **msg, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || *msg != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(msg, fmt, ap) < 0)
		*msg = NULL;
	va_end(ap);
}

/*
 * Optimal string alignment distance, case-insensitive: a swapped pair of
 * letters ("prot") costs one edit, like git's help.c suggestions.
 */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[33][33], v;

	if (la > 32 || lb > 32)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int ne = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);

			v = d[i - 1][j - 1] + (size_t)ne;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
			    tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

void
inv_suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = 3;
}

void
inv_suggest_add(struct suggest *s, const char *cand)
{
	size_t d = distance(s->word, cand);

	if (d < s->dist) {
		s->dist = d;
		s->best = cand;
	}
}

static int
unknown_key(const struct vctx *c, const char *path, const char *key,
    const char *const *cands, size_t n)
{
	struct suggest s;
	size_t i, k;

	inv_suggest_init(&s, key);
	for (i = 0; i < n; i++)
		inv_suggest_add(&s, cands[i]);
	for (i = 0; s.best == NULL &&
	    i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(key, aliases[i].wrong) == 0)
			for (k = 0; k < n; k++)
				if (strcmp(cands[k], aliases[i].right) == 0)
					s.best = cands[k];
	if (s.best != NULL)
		return inv_verr(c, CN_ERR_INVALID, path,
		    "unknown key (did you mean '%s'?)", s.best);
	return inv_verr(c, CN_ERR_INVALID, path, "unknown key");
}

/* Paths longer than the buffer end in "..." (only absurd names do). */
static void
truncated(char *buf, int n)
{
	if (n < 0 || n >= PATHBUF)
		memcpy(buf + PATHBUF - 4, "...", 4);
}

void
inv_join_key(char *buf, const char *path, const char *key)
{
	if (path == NULL || *path == '\0')
		truncated(buf, snprintf(buf, PATHBUF, "%s", key));
	else
		truncated(buf, snprintf(buf, PATHBUF, "%s.%s", path, key));
}

void
inv_join_index(char *buf, const char *path, size_t i)
{
	truncated(buf, snprintf(buf, PATHBUF, "%s[%zu]", path, i));
}

const char *
inv_jstr(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
nonempty_string(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 &&
	    strlen(json_string_value(v)) == json_string_length(v);
}

static int
check_mirrors(const struct vctx *c, const char *path, json_t *obj)
{
	char kpath[PATHBUF];
	const char *key, *s;
	json_t *v;
	size_t i;
	int is_pkg;

	if (!json_is_object(obj))
		return inv_verr(c, CN_ERR_INVALID, path, "expected an object");
	json_object_foreach(obj, key, v) {
		inv_join_key(kpath, path, key);
		for (i = 0; i < sizeof(mirror_keys) / sizeof(mirror_keys[0]);
		    i++)
			if (strcmp(key, mirror_keys[i]) == 0)
				break;
		if (i == sizeof(mirror_keys) / sizeof(mirror_keys[0]))
			return unknown_key(c, kpath, key, mirror_keys,
			    sizeof(mirror_keys) / sizeof(mirror_keys[0]));
		is_pkg = strcmp(key, "pypi") == 0 || strcmp(key, "conda") == 0;
		s = nonempty_string(v) ? json_string_value(v) : NULL;
		if (s != NULL && is_pkg && strcmp(s, "auto") == 0)
			continue;
		if (s == NULL || !url_http_ok(s))
			return inv_verr(c, CN_ERR_INVALID, kpath, is_pkg ?
			    "expected an http:// or https:// URL or 'auto'" :
			    "expected an http:// or https:// URL");
		if (url_has_credentials(s))
			return inv_verr(c, CN_ERR_INVALID, kpath, "%s",
			    NO_CREDENTIALS);
	}
	return CN_OK;
}

/* mirror_candidates: {"pypi": [URL...], "conda": [URL...]}. */
static int
check_candidates(const struct vctx *c, const char *path, json_t *obj)
{
	static const char *const keys[] = { "pypi", "conda" };
	char kpath[PATHBUF], ipath[PATHBUF];
	const char *key;
	json_t *v, *e;
	size_t i;

	if (!json_is_object(obj))
		return inv_verr(c, CN_ERR_INVALID, path, "expected an object");
	json_object_foreach(obj, key, v) {
		inv_join_key(kpath, path, key);
		if (strcmp(key, "pypi") != 0 && strcmp(key, "conda") != 0)
			return unknown_key(c, kpath, key, keys, 2);
		if (!json_is_array(v))
			return inv_verr(c, CN_ERR_INVALID, kpath,
			    "expected an array of URLs");
		json_array_foreach(v, i, e) {
			inv_join_index(ipath, kpath, i);
			if (!nonempty_string(e) ||
			    !url_http_ok(json_string_value(e)))
				return inv_verr(c, CN_ERR_INVALID, ipath,
				    "expected an http:// or https:// URL");
			if (url_has_credentials(json_string_value(e)))
				return inv_verr(c, CN_ERR_INVALID, ipath, "%s",
				    NO_CREDENTIALS);
		}
	}
	return CN_OK;
}

static int
check_globs(const struct vctx *c, const char *path, json_t *arr)
{
	char ipath[PATHBUF];
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return inv_verr(c, CN_ERR_INVALID, path, "expected an array of globs");
	json_array_foreach(arr, i, v) {
		inv_join_index(ipath, path, i);
		if (!nonempty_string(v))
			return inv_verr(c, CN_ERR_INVALID, ipath,
			    "expected a non-empty string");
		if (!valid_glob(json_string_value(v)))
			return inv_verr(c, CN_ERR_INVALID, ipath, "%s",
			    GLOB_EXPECTED);
	}
	return CN_OK;
}

static int
check_pull(const struct vctx *c, const char *path, json_t *p)
{
	char kpath[PATHBUF];
	const char *key, *s;
	json_t *v;
	int r;

	if (json_is_string(p)) {	/* shorthand: just the repo */
		if (!valid_repo_id(json_string_value(p)))
			return inv_verr(c, CN_ERR_INVALID, path, "%s",
			    REPO_ID_EXPECTED);
		return CN_OK;
	}
	if (!json_is_object(p))
		return inv_verr(c, CN_ERR_INVALID, path,
		    "expected an object or an 'org/name' string");
	json_object_foreach(p, key, v) {
		inv_join_key(kpath, path, key);
		s = nonempty_string(v) ? json_string_value(v) : NULL;
		if (strcmp(key, "repo") == 0) {
			if (s == NULL || !valid_repo_id(s))
				return inv_verr(c, CN_ERR_INVALID, kpath,
				    "%s", REPO_ID_EXPECTED);
		} else if (strcmp(key, "revision") == 0) {
			if (s == NULL || !valid_revision(s))
				return inv_verr(c, CN_ERR_INVALID, kpath,
				    "%s", REVISION_EXPECTED);
		} else if (strcmp(key, "source") == 0) {
			if (s == NULL || (strcmp(s, "hf") != 0 &&
			    strcmp(s, "modelscope") != 0 &&
			    strcmp(s, "auto") != 0))
				return inv_verr(c, CN_ERR_INVALID, kpath,
				    "expected 'hf', 'modelscope' or 'auto'");
		} else if (strcmp(key, "repo_type") == 0) {
			if (s == NULL || (strcmp(s, "model") != 0 &&
			    strcmp(s, "dataset") != 0))
				return inv_verr(c, CN_ERR_INVALID, kpath,
				    "expected 'model' or 'dataset'");
		} else if (strcmp(key, "modelscope_repo") == 0) {
			if (s == NULL || !valid_repo_id(s))
				return inv_verr(c, CN_ERR_INVALID, kpath,
				    "%s", REPO_ID_EXPECTED);
		} else if (strcmp(key, "via_laptop_proxy") == 0) {
			if (!json_is_boolean(v) && (s == NULL ||
			    !url_ok(s, proxy_schemes, 4)))
				return inv_verr(c, CN_ERR_INVALID, kpath,
				    "expected true, false or an http://, "
				    "socks5:// or socks5h:// proxy URL");
		} else if (strcmp(key, "include") == 0 ||
		    strcmp(key, "exclude") == 0) {
			if ((r = check_globs(c, kpath, v)) != CN_OK)
				return r;
		} else
			return unknown_key(c, kpath, key, pull_keys,
			    sizeof(pull_keys) / sizeof(pull_keys[0]));
	}
	if (json_object_get(p, "repo") == NULL)
		return inv_verr(c, CN_ERR_INVALID, path, "missing 'repo'");
	return CN_OK;
}

static int
check_value(const struct vctx *c, const char *path, const struct field *f,
    json_t *v)
{
	char known[256], ipath[PATHBUF];
	const char *s = nonempty_string(v) ? json_string_value(v) : NULL;
	json_int_t n;
	size_t i;
	json_t *e;
	int r;

	switch (f->type) {
	case T_HOSTNAME:
		if (s == NULL || !valid_address(s))
			return inv_verr(c, CN_ERR_INVALID, path,
			    "expected a host name or address");
		break;
	case T_PORT:
	case T_TIMEOUT:
		n = json_is_integer(v) ? json_integer_value(v) : 0;
		if (n < 1 || n > (f->type == T_PORT ? 65535 : MAX_TIMEOUT))
			return inv_verr(c, CN_ERR_INVALID, path,
			    "expected an integer 1-%d",
			    f->type == T_PORT ? 65535 : MAX_TIMEOUT);
		break;
	case T_USER:
		if (s == NULL || !valid_user(s))
			return inv_verr(c, CN_ERR_INVALID, path, "expected a user "
			    "name (letters, digits, '.', '_', '-')");
		break;
	case T_LOCALPATH:
		if (s == NULL)
			return inv_verr(c, CN_ERR_INVALID, path,
			    "expected a non-empty path");
		if (s[0] == '~' && s[1] != '/' && s[1] != '\0')
			return inv_verr(c, CN_ERR_INVALID, path, "'~user' paths "
			    "are not supported, use an absolute path");
		break;
	case T_ENVNAME:
		if (s == NULL || !valid_env_name(s))
			return inv_verr(c, CN_ERR_INVALID, path, "%s",
			    ENV_NAME_EXPECTED);
		break;
	case T_POLICY:
		if (s == NULL || (strcmp(s, "strict") != 0 &&
		    strcmp(s, "accept-new") != 0))
			return inv_verr(c, CN_ERR_INVALID, path,
			    "expected 'strict' or 'accept-new'");
		break;
	case T_PLATFORM:
		inv_known_platforms(known, sizeof(known));
		if (s == NULL)
			return inv_verr(c, CN_ERR_INVALID, path,
			    "expected a platform name (known: %s)", known);
		if (inv_profile_index(s) < 0)
			return inv_verr(c, CN_ERR_INVALID, path,
			    "unknown platform '%s' (known: %s)", s, known);
		break;
	case T_DATADIR:
		if (s == NULL || !valid_data_dir(s))
			return inv_verr(c, CN_ERR_INVALID, path, "expected an "
			    "absolute path or one starting with '~/' or "
			    "'$HOME/', without spaces or shell metacharacters");
		break;
	case T_MIRRORS:
		return check_mirrors(c, path, v);
	case T_CANDIDATES:
		return check_candidates(c, path, v);
	case T_PROXY:
		if (s != NULL && strcmp(s, PROXY_PLATFORM) == 0)
			break;
		if (s == NULL || !url_ok(s, proxy_schemes, 4))
			return inv_verr(c, CN_ERR_INVALID, path, "expected an "
			    "http://, https://, socks5:// or socks5h:// URL, "
			    "\"" PROXY_PLATFORM "\" or null");
		break;
	case T_BOOL:
		if (!json_is_boolean(v))
			return inv_verr(c, CN_ERR_INVALID, path,
			    "expected true or false");
		break;
	case T_PULLS:
		if (!json_is_array(v))
			return inv_verr(c, CN_ERR_INVALID, path, "expected an array");
		json_array_foreach(v, i, e) {
			inv_join_index(ipath, path, i);
			if ((r = check_pull(c, ipath, e)) != CN_OK)
				return r;
		}
		break;
	case T_TEXT:
		if (!json_is_string(v))
			return inv_verr(c, CN_ERR_INVALID, path, "expected a string");
		break;
	}
	return CN_OK;
}

/* Check the keys and values of a host, of defaults, or of a profile. */
int
inv_check_fields(const struct vctx *c, const char *path, json_t *obj, int in)
{
	const char *cands[NFIELDS], *key;
	char kpath[PATHBUF];
	size_t i, n = 0;
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return inv_verr(c, CN_ERR_INVALID, path, "expected an object");
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].in & in)
			cands[n++] = fields[i].key;
	json_object_foreach(obj, key, v) {
		inv_join_key(kpath, path, key);
		if (strcasecmp(key, "password") == 0 ||
		    strcasecmp(key, "passphrase") == 0)
			return inv_verr(c, CN_ERR_INVALID, kpath, "passwords are "
			    "never stored in the inventory: put it in an "
			    "environment variable and name that in "
			    "'password_env'");
		if (strcasecmp(key, "hf_token") == 0 ||
		    strcasecmp(key, "token") == 0 ||
		    strcasecmp(key, "modelscope_token") == 0)
			return inv_verr(c, CN_ERR_INVALID, kpath, "tokens are "
			    "never stored in the inventory: put it in an "
			    "environment variable and name that in '%s'",
			    strncasecmp(key, "modelscope", 10) == 0 ?
			    "modelscope_token_env" : "hf_token_env");
		for (i = 0; i < NFIELDS; i++)
			if ((fields[i].in & in) &&
			    strcmp(fields[i].key, key) == 0)
				break;
		if (i == NFIELDS)
			return unknown_key(c, kpath, key, cands, n);
		if (json_is_null(v) && fields[i].nullable)
			continue;
		if ((r = check_value(c, kpath, &fields[i], v)) != CN_OK)
			return r;
	}
	return inv_check_platform_proxy(c, path,
	    json_string_value(json_object_get(obj, "proxy")),
	    json_is_true(json_object_get(obj, "proxy_in_shells")));
}

int
inv_check_platform_proxy(const struct vctx *c, const char *path,
    const char *proxy, bool in_shells)
{
	char kpath[PATHBUF];

	if (proxy == NULL || strcmp(proxy, PROXY_PLATFORM) != 0 || !in_shells)
		return CN_OK;
	inv_join_key(kpath, path, "proxy_in_shells");
	return inv_verr(c, CN_ERR_INVALID, kpath, "not with proxy \""
	    PROXY_PLATFORM "\": the platform's proxy is read from its file "
	    "at launch for the huggingface.co rung only and never written "
	    "into shells; drop proxy_in_shells or give a proxy URL");
}

int
inv_check_top(const struct vctx *c, json_t *root)
{
	const char *key;
	json_t *v;

	if (!json_is_object(root))
		return inv_verr(c, CN_ERR_INVALID, NULL,
		    "expected a JSON object at the top");
	json_object_foreach(root, key, v) {
		if (strcmp(key, "defaults") != 0 && strcmp(key, "groups") != 0 &&
		    strcmp(key, "hosts") != 0)
			return unknown_key(c, key, key, top_keys,
			    sizeof(top_keys) / sizeof(top_keys[0]));
	}
	return CN_OK;
}

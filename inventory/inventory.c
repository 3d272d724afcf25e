/*
 * Inventory loading, validation and target selection (see inventory.h).
 *
 * Loading is two passes over the JSON: first every object is checked
 * against the schema (so an error names the exact path), then each host
 * is resolved by looking its fields up through the layers host → defaults
 * → platform profile, with ssh_config and the built-in defaults below.
 * The JSON stays alive in the inventory so hosts that select adds later
 * from ssh_config get the same defaults.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"
#include "inventory.h"
#include "profiles_gen.h"
#include "ssh_config.h"

#define DEFAULT_PORT		22
#define DEFAULT_USER		"root"
#define DEFAULT_POLICY		"strict"
#define DEFAULT_DATA_DIR	"~/cnorch-data"
#define DEFAULT_TIMEOUT		10
#define DEFAULT_HF		"https://hf-mirror.com"
#define DEFAULT_MODELSCOPE	"https://www.modelscope.cn"
#define DEFAULT_PYPI		"https://pypi.tuna.tsinghua.edu.cn/simple"
#define DEFAULT_CONDA		"https://mirrors.tuna.tsinghua.edu.cn/anaconda"

#define MAX_NAME		128
#define MAX_TIMEOUT		600
#define PATHBUF			1024

#define NPROFILES	(sizeof(builtin_profiles) / sizeof(builtin_profiles[0]))

struct group {
	char	*name;
	size_t	*members;	/* indices into inventory.hosts */
	size_t	 nmembers;
};

struct inventory {
	char		*origin;
	char		*home;
	char		*ssh_config;	/* NULL: none */
	json_t		*root;
	json_t		*defaults;	/* borrowed from root, may be NULL */
	json_t		*profiles[NPROFILES];
	struct host	**hosts;
	size_t		 nhosts;
	size_t		 nfile;		/* hosts[0..nfile) came from the file */
	struct group	*groups;
	size_t		 ngroups;
};

/* Where a key may appear. */
#define IN_HOST		0x1	/* hosts.NAME and defaults */
#define IN_PROFILE	0x2	/* profiles/NAME.json */

enum ftype {
	T_HOSTNAME, T_PORT, T_USER, T_LOCALPATH, T_ENVNAME, T_POLICY,
	T_PLATFORM, T_DATADIR, T_MIRRORS, T_PROXY, T_PULLS, T_TIMEOUT, T_TEXT,
	T_CANDIDATES
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
	{ "known_hosts",	T_LOCALPATH,	IN_HOST,		0 },
	{ "known_hosts_policy",	T_POLICY,	IN_HOST | IN_PROFILE,	0 },
	{ "platform",		T_PLATFORM,	IN_HOST,		1 },
	{ "data_dir",		T_DATADIR,	IN_HOST | IN_PROFILE,	0 },
	{ "mirrors",		T_MIRRORS,	IN_HOST | IN_PROFILE,	0 },
	{ "proxy",		T_PROXY,	IN_HOST | IN_PROFILE,	1 },
	{ "pulls",		T_PULLS,	IN_HOST,		0 },
	{ "connect_timeout",	T_TIMEOUT,	IN_HOST | IN_PROFILE,	0 },
	{ "mirror_candidates",	T_CANDIDATES,	IN_HOST | IN_PROFILE,	0 },
	{ "description",	T_TEXT,		IN_PROFILE,		0 },
	{ "docs",		T_TEXT,		IN_PROFILE,		0 },
};
#define NFIELDS		(sizeof(fields) / sizeof(fields[0]))

static const char *const top_keys[] = { "defaults", "groups", "hosts" };
static const char *const mirror_keys[] = { "hf", "modelscope", "pypi",
    "conda" };
static const char *const pull_keys[] = { "repo", "revision", "source",
    "repo_type", "include", "exclude" };

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

/* The error sink of one validation run. */
struct vctx {
	const char	*prefix;	/* "inventory 'x.json'" */
	char		**msg;
};

static int
verr(const struct vctx *c, int r, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text == NULL)
		return CN_ERR_NOMEM;
	if (c->msg != NULL && *c->msg == NULL) {
		if ((path != NULL ? asprintf(c->msg, "%s: %s: %s", c->prefix,
		    path, text) : asprintf(c->msg, "%s: %s", c->prefix,
		    text)) < 0)
			*c->msg = NULL;
	}
	free(text);
	return r;
}

static void
set_msg(char **msg, const char *fmt, ...)
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

/* Collects the closest candidate within distance 2; first one wins ties. */
struct suggest {
	const char	*word;
	const char	*best;
	size_t		 dist;
};

static void
suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = 3;
}

static void
suggest_add(struct suggest *s, const char *cand)
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

	suggest_init(&s, key);
	for (i = 0; i < n; i++)
		suggest_add(&s, cands[i]);
	for (i = 0; s.best == NULL &&
	    i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(key, aliases[i].wrong) == 0)
			for (k = 0; k < n; k++)
				if (strcmp(cands[k], aliases[i].right) == 0)
					s.best = cands[k];
	if (s.best != NULL)
		return verr(c, CN_ERR_INVALID, path,
		    "unknown key (did you mean '%s'?)", s.best);
	return verr(c, CN_ERR_INVALID, path, "unknown key");
}

/* Paths longer than the buffer end in "..." (only absurd names do). */
static void
truncated(char *buf, int n)
{
	if (n < 0 || n >= PATHBUF)
		memcpy(buf + PATHBUF - 4, "...", 4);
}

static void
join_key(char *buf, const char *path, const char *key)
{
	if (path == NULL || *path == '\0')
		truncated(buf, snprintf(buf, PATHBUF, "%s", key));
	else
		truncated(buf, snprintf(buf, PATHBUF, "%s.%s", path, key));
}

static void
join_index(char *buf, const char *path, size_t i)
{
	truncated(buf, snprintf(buf, PATHBUF, "%s[%zu]", path, i));
}

/* Every character alphanumeric or in extra. */
static int
chars_ok(const char *s, const char *extra)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

/* Host and group names: must not clash with TARGET syntax (, ! @ * ?). */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= MAX_NAME && s[0] != '-' && s[0] != '.' &&
	    chars_ok(s, "._-");
}

static int
hostname_ok(const char *s)
{
	size_t n = strlen(s);

	/* DNS names, IPv4, bare IPv6 (with ':'). */
	return n > 0 && n <= 253 && s[0] != '-' && chars_ok(s, ".-_:");
}

static int
user_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && s[0] != '-' && chars_ok(s, "._-");
}

static int
envname_ok(const char *s)
{
	return (isalpha((unsigned char)s[0]) || s[0] == '_') &&
	    strlen(s) <= 128 && chars_ok(s, "_");
}

/*
 * data_dir goes into the box's shell unexpanded (the shell expands ~ and
 * $HOME), so allow only those prefixes and quiet characters after them.
 */
static int
datadir_ok(const char *s)
{
	static const char *const prefixes[] = { "${HOME}", "$HOME", "~", "/" };
	const char *rest = NULL;
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(s, prefixes[i], n) != 0)
			continue;
		rest = s + n;
		if (prefixes[i][0] != '/' && *rest != '\0' && *rest != '/')
			rest = NULL;	/* "~bob", "$HOMEX" */
		break;
	}
	return rest != NULL && strlen(s) < 4096 && chars_ok(rest, "/._-+@,:");
}

static int
url_ok(const char *s, const char *const *schemes, size_t nschemes)
{
	const char *rest = NULL;
	size_t i, n;

	for (i = 0; i < nschemes && rest == NULL; i++) {
		n = strlen(schemes[i]);
		if (strncasecmp(s, schemes[i], n) == 0)
			rest = s + n;
	}
	if (rest == NULL || *rest == '\0' || *rest == '/')
		return 0;
	for (; *rest != '\0'; rest++)
		if (!isgraph((unsigned char)*rest) ||
		    strchr("\"'`\\<>{}|^", *rest) != NULL)
			return 0;
	return 1;
}

static const char *const http_schemes[] = { "http://", "https://" };
static const char *const proxy_schemes[] = { "http://", "https://",
    "socks5://", "socks5h://" };

/* HF-style repo id "org/name". */
static int
repo_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t lo, ln;

	if (slash == NULL || strchr(slash + 1, '/') != NULL)
		return 0;
	lo = (size_t)(slash - s);
	ln = strlen(slash + 1);
	if (lo == 0 || ln == 0 || lo > 96 || ln > 96)
		return 0;
	if (!chars_ok(s, "/._-") || strstr(s, "..") != NULL)
		return 0;
	/* Neither part may start with '.' or '-' (no "-x" argv tricks). */
	return strchr(".-", s[0]) == NULL && strchr(".-", slash[1]) == NULL;
}

static int
revision_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 255 && s[0] != '-' && s[0] != '/' &&
	    strstr(s, "..") == NULL && chars_ok(s, "._-/");
}

static const char *
jstr(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
nonempty_string(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 &&
	    strlen(json_string_value(v)) == json_string_length(v);
}

static void
known_platforms(char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < NPROFILES && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i > 0 ? ", " : "", builtin_profiles[i].name);
}

static int
profile_index(const char *name)
{
	size_t i;

	for (i = 0; i < NPROFILES; i++)
		if (strcmp(builtin_profiles[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
check_mirrors(const struct vctx *c, const char *path, json_t *obj)
{
	char kpath[PATHBUF];
	const char *key, *s;
	json_t *v;
	int is_pkg;

	if (!json_is_object(obj))
		return verr(c, CN_ERR_INVALID, path, "expected an object");
	json_object_foreach(obj, key, v) {
		join_key(kpath, path, key);
		if (strcmp(key, "hf") != 0 && strcmp(key, "modelscope") != 0 &&
		    strcmp(key, "pypi") != 0 && strcmp(key, "conda") != 0)
			return unknown_key(c, kpath, key, mirror_keys,
			    sizeof(mirror_keys) / sizeof(mirror_keys[0]));
		is_pkg = strcmp(key, "pypi") == 0 || strcmp(key, "conda") == 0;
		s = nonempty_string(v) ? json_string_value(v) : NULL;
		if (s != NULL && is_pkg && strcmp(s, "auto") == 0)
			continue;
		if (s == NULL || !url_ok(s, http_schemes, 2))
			return verr(c, CN_ERR_INVALID, kpath, is_pkg ?
			    "expected an http:// or https:// URL or 'auto'" :
			    "expected an http:// or https:// URL");
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
		return verr(c, CN_ERR_INVALID, path, "expected an object");
	json_object_foreach(obj, key, v) {
		join_key(kpath, path, key);
		if (strcmp(key, "pypi") != 0 && strcmp(key, "conda") != 0)
			return unknown_key(c, kpath, key, keys, 2);
		if (!json_is_array(v))
			return verr(c, CN_ERR_INVALID, kpath,
			    "expected an array of URLs");
		json_array_foreach(v, i, e) {
			join_index(ipath, kpath, i);
			if (!nonempty_string(e) ||
			    !url_ok(json_string_value(e), http_schemes, 2))
				return verr(c, CN_ERR_INVALID, ipath,
				    "expected an http:// or https:// URL");
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
		return verr(c, CN_ERR_INVALID, path, "expected an array of globs");
	json_array_foreach(arr, i, v) {
		join_index(ipath, path, i);
		if (!nonempty_string(v))
			return verr(c, CN_ERR_INVALID, ipath,
			    "expected a non-empty string");
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
		if (!repo_ok(json_string_value(p)))
			return verr(c, CN_ERR_INVALID, path, "expected "
			    "'org/name' (letters, digits, '.', '_', '-')");
		return CN_OK;
	}
	if (!json_is_object(p))
		return verr(c, CN_ERR_INVALID, path,
		    "expected an object or an 'org/name' string");
	json_object_foreach(p, key, v) {
		join_key(kpath, path, key);
		s = nonempty_string(v) ? json_string_value(v) : NULL;
		if (strcmp(key, "repo") == 0) {
			if (s == NULL || !repo_ok(s))
				return verr(c, CN_ERR_INVALID, kpath, "expected "
				    "'org/name' (letters, digits, '.', '_', '-')");
		} else if (strcmp(key, "revision") == 0) {
			if (s == NULL || !revision_ok(s))
				return verr(c, CN_ERR_INVALID, kpath,
				    "expected a branch, tag or commit "
				    "(letters, digits, '.', '_', '-', '/')");
		} else if (strcmp(key, "source") == 0) {
			if (s == NULL || (strcmp(s, "hf") != 0 &&
			    strcmp(s, "modelscope") != 0 &&
			    strcmp(s, "auto") != 0))
				return verr(c, CN_ERR_INVALID, kpath,
				    "expected 'hf', 'modelscope' or 'auto'");
		} else if (strcmp(key, "repo_type") == 0) {
			if (s == NULL || (strcmp(s, "model") != 0 &&
			    strcmp(s, "dataset") != 0))
				return verr(c, CN_ERR_INVALID, kpath,
				    "expected 'model' or 'dataset'");
		} else if (strcmp(key, "include") == 0 ||
		    strcmp(key, "exclude") == 0) {
			if ((r = check_globs(c, kpath, v)) != CN_OK)
				return r;
		} else
			return unknown_key(c, kpath, key, pull_keys,
			    sizeof(pull_keys) / sizeof(pull_keys[0]));
	}
	if (json_object_get(p, "repo") == NULL)
		return verr(c, CN_ERR_INVALID, path, "missing 'repo'");
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
		if (s == NULL || !hostname_ok(s))
			return verr(c, CN_ERR_INVALID, path,
			    "expected a host name or address");
		break;
	case T_PORT:
	case T_TIMEOUT:
		n = json_is_integer(v) ? json_integer_value(v) : 0;
		if (n < 1 || n > (f->type == T_PORT ? 65535 : MAX_TIMEOUT))
			return verr(c, CN_ERR_INVALID, path,
			    "expected an integer 1-%d",
			    f->type == T_PORT ? 65535 : MAX_TIMEOUT);
		break;
	case T_USER:
		if (s == NULL || !user_ok(s))
			return verr(c, CN_ERR_INVALID, path, "expected a user "
			    "name (letters, digits, '.', '_', '-')");
		break;
	case T_LOCALPATH:
		if (s == NULL)
			return verr(c, CN_ERR_INVALID, path,
			    "expected a non-empty path");
		if (s[0] == '~' && s[1] != '/' && s[1] != '\0')
			return verr(c, CN_ERR_INVALID, path, "'~user' paths "
			    "are not supported, use an absolute path");
		break;
	case T_ENVNAME:
		if (s == NULL || !envname_ok(s))
			return verr(c, CN_ERR_INVALID, path, "expected the name "
			    "of an environment variable (letters, digits, '_')");
		break;
	case T_POLICY:
		if (s == NULL || (strcmp(s, "strict") != 0 &&
		    strcmp(s, "accept-new") != 0))
			return verr(c, CN_ERR_INVALID, path,
			    "expected 'strict' or 'accept-new'");
		break;
	case T_PLATFORM:
		known_platforms(known, sizeof(known));
		if (s == NULL)
			return verr(c, CN_ERR_INVALID, path,
			    "expected a platform name (known: %s)", known);
		if (profile_index(s) < 0)
			return verr(c, CN_ERR_INVALID, path,
			    "unknown platform '%s' (known: %s)", s, known);
		break;
	case T_DATADIR:
		if (s == NULL || !datadir_ok(s))
			return verr(c, CN_ERR_INVALID, path, "expected an "
			    "absolute path or one starting with '~/' or "
			    "'$HOME/', without spaces or shell metacharacters");
		break;
	case T_MIRRORS:
		return check_mirrors(c, path, v);
	case T_CANDIDATES:
		return check_candidates(c, path, v);
	case T_PROXY:
		if (s == NULL || !url_ok(s, proxy_schemes, 4))
			return verr(c, CN_ERR_INVALID, path, "expected an "
			    "http://, https://, socks5:// or socks5h:// URL, "
			    "or null");
		break;
	case T_PULLS:
		if (!json_is_array(v))
			return verr(c, CN_ERR_INVALID, path, "expected an array");
		json_array_foreach(v, i, e) {
			join_index(ipath, path, i);
			if ((r = check_pull(c, ipath, e)) != CN_OK)
				return r;
		}
		break;
	case T_TEXT:
		if (!json_is_string(v))
			return verr(c, CN_ERR_INVALID, path, "expected a string");
		break;
	}
	return CN_OK;
}

/* Check the keys and values of a host, of defaults, or of a profile. */
static int
check_fields(const struct vctx *c, const char *path, json_t *obj, int in)
{
	const char *cands[NFIELDS], *key;
	char kpath[PATHBUF];
	size_t i, n = 0;
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return verr(c, CN_ERR_INVALID, path, "expected an object");
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].in & in)
			cands[n++] = fields[i].key;
	json_object_foreach(obj, key, v) {
		join_key(kpath, path, key);
		if (strcasecmp(key, "password") == 0 ||
		    strcasecmp(key, "passphrase") == 0)
			return verr(c, CN_ERR_INVALID, kpath, "passwords are "
			    "never stored in the inventory: put it in an "
			    "environment variable and name that in "
			    "'password_env'");
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
	return CN_OK;
}

static char *
sdup(const char *s, int *nomem)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		*nomem = 1;
	return p;
}

/* ~ and ~/... against home; anything else as written. */
static char *
expand_tilde(const char *home, const char *s, int *nomem)
{
	char *p;

	if (s == NULL)
		return NULL;
	if (s[0] != '~' || (s[1] != '/' && s[1] != '\0'))
		return sdup(s, nomem);
	if (asprintf(&p, "%s%s", home, s + 1) < 0) {
		*nomem = 1;
		return NULL;
	}
	return p;
}

static void
pull_release(struct pull_spec *p)
{
	size_t i;

	free(p->repo);
	free(p->revision);
	free(p->source);
	free(p->repo_type);
	for (i = 0; i < p->ninclude; i++)
		free(p->include[i]);
	free(p->include);
	for (i = 0; i < p->nexclude; i++)
		free(p->exclude[i]);
	free(p->exclude);
}

static void
host_free(struct host *h)
{
	size_t i;

	if (h == NULL)
		return;
	free(h->name);
	free(h->hostname);
	free(h->user);
	free(h->identity_file);
	free(h->password_env);
	free(h->known_hosts);
	free(h->known_hosts_policy);
	free(h->host_key_alias);
	free(h->platform);
	free(h->data_dir);
	free(h->mirrors.hf);
	free(h->mirrors.modelscope);
	free(h->mirrors.pypi);
	free(h->mirrors.conda);
	free(h->proxy);
	for (i = 0; i < h->npulls; i++)
		pull_release(&h->pulls[i]);
	free(h->pulls);
	for (i = 0; i < h->mirror_candidates.npypi; i++)
		free(h->mirror_candidates.pypi[i]);
	free(h->mirror_candidates.pypi);
	for (i = 0; i < h->mirror_candidates.nconda; i++)
		free(h->mirror_candidates.conda[i]);
	free(h->mirror_candidates.conda);
	free(h);
}

static char **
dup_array(json_t *arr, size_t *n, int *nomem)
{
	char **out;
	size_t i, len = json_array_size(arr);

	*n = 0;
	if (len == 0)
		return NULL;
	if ((out = calloc(len, sizeof(*out))) == NULL) {
		*nomem = 1;
		return NULL;
	}
	for (i = 0; i < len; i++)
		out[i] = sdup(json_string_value(json_array_get(arr, i)), nomem);
	*n = len;
	return out;
}

/* p is validated; fills *ps, setting *nomem on allocation failure. */
static void
build_pull(json_t *p, struct pull_spec *ps, int *nomem)
{
	const char *s;

	if (json_is_string(p)) {
		ps->repo = sdup(json_string_value(p), nomem);
		p = NULL;
	} else
		ps->repo = sdup(jstr(json_object_get(p, "repo")), nomem);
	s = jstr(json_object_get(p, "revision"));
	ps->revision = sdup(s != NULL ? s : "main", nomem);
	s = jstr(json_object_get(p, "source"));
	ps->source = sdup(s != NULL ? s : "auto", nomem);
	s = jstr(json_object_get(p, "repo_type"));
	ps->repo_type = sdup(s != NULL ? s : "model", nomem);
	ps->include = dup_array(json_object_get(p, "include"), &ps->ninclude,
	    nomem);
	ps->exclude = dup_array(json_object_get(p, "exclude"), &ps->nexclude,
	    nomem);
}

/* The value of key in the first of n layers that has it (maybe null). */
static json_t *
layer_get(json_t *const *layers, size_t n, const char *key)
{
	json_t *v;
	size_t i;

	for (i = 0; i < n; i++)
		if ((v = json_object_get(layers[i], key)) != NULL)
			return v;
	return NULL;
}

static char *
layer_mirror(json_t *const *layers, size_t n, const char *key,
    const char *dflt, int *nomem)
{
	json_t *v;
	size_t i;

	for (i = 0; i < n; i++)
		if ((v = json_object_get(json_object_get(layers[i], "mirrors"),
		    key)) != NULL)
			return sdup(json_string_value(v), nomem);
	return sdup(dflt, nomem);
}

/*
 * Build host name from its (validated) object hobj, NULL for a host that
 * comes only from ssh_config.  See inventory.h for the precedence.
 */
static int
resolve_host(struct inventory *inv, const char *name, json_t *hobj,
    struct host **out, char **msg)
{
	struct ssh_config_entry e;
	json_t *layers[3], *v;
	struct host *h = NULL;
	size_t nl = 0, nconn, i;
	const char *alias;
	int nomem = 0, r, pi;

	*out = NULL;
	memset(&e, 0, sizeof(e));
	if (hobj != NULL)
		layers[nl++] = hobj;
	if (inv->defaults != NULL)
		layers[nl++] = inv->defaults;
	nconn = nl;	/* layers that may say how to connect */
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	h->name = sdup(name, &nomem);
	h->from_ssh_config = hobj == NULL;
	if ((v = layer_get(layers, nl, "platform")) != NULL &&
	    json_is_string(v)) {
		h->platform = sdup(json_string_value(v), &nomem);
		if ((pi = profile_index(json_string_value(v))) >= 0)
			layers[nl++] = inv->profiles[pi];
	}

	v = layer_get(layers, nconn, "host");
	alias = v != NULL ? json_string_value(v) : name;
	if ((r = ssh_config_lookup(inv->ssh_config, inv->home, alias, &e,
	    msg)) != CN_OK)
		goto out;
	h->hostname = sdup(v != NULL ? alias : e.hostname != NULL ?
	    e.hostname : name, &nomem);

	v = layer_get(layers, nconn, "port");
	h->port = v != NULL ? (int)json_integer_value(v) :
	    e.port != 0 ? e.port : DEFAULT_PORT;

	v = layer_get(layers, nl, "user");
	h->user = sdup(v != NULL ? json_string_value(v) : e.user != NULL ?
	    e.user : DEFAULT_USER, &nomem);

	if ((v = layer_get(layers, nconn, "identity_file")) != NULL)
		h->identity_file = expand_tilde(inv->home, jstr(v), &nomem);
	else
		h->identity_file = sdup(e.identity_file, &nomem);

	h->password_env = sdup(jstr(layer_get(layers, nconn, "password_env")),
	    &nomem);
	h->host_key_alias = sdup(e.host_key_alias, &nomem);

	v = layer_get(layers, nconn, "known_hosts");
	h->known_hosts = expand_tilde(inv->home, v != NULL ?
	    json_string_value(v) : "~/.ssh/known_hosts", &nomem);

	v = layer_get(layers, nl, "known_hosts_policy");
	h->known_hosts_policy = sdup(v != NULL ? json_string_value(v) :
	    DEFAULT_POLICY, &nomem);

	v = layer_get(layers, nl, "data_dir");
	h->data_dir = sdup(v != NULL ? json_string_value(v) : DEFAULT_DATA_DIR,
	    &nomem);

	h->mirrors.hf = layer_mirror(layers, nl, "hf", DEFAULT_HF, &nomem);
	h->mirrors.modelscope = layer_mirror(layers, nl, "modelscope",
	    DEFAULT_MODELSCOPE, &nomem);
	h->mirrors.pypi = layer_mirror(layers, nl, "pypi", DEFAULT_PYPI,
	    &nomem);
	h->mirrors.conda = layer_mirror(layers, nl, "conda", DEFAULT_CONDA,
	    &nomem);

	h->proxy = sdup(jstr(layer_get(layers, nl, "proxy")), &nomem);

	/* mirror_candidates merge key by key, like mirrors. */
	for (i = 0; i < nl; i++)
		if ((v = json_object_get(json_object_get(layers[i],
		    "mirror_candidates"), "pypi")) != NULL)
			break;
	h->mirror_candidates.pypi = v != NULL && i < nl ? dup_array(v,
	    &h->mirror_candidates.npypi, &nomem) : NULL;
	for (i = 0; i < nl; i++)
		if ((v = json_object_get(json_object_get(layers[i],
		    "mirror_candidates"), "conda")) != NULL)
			break;
	h->mirror_candidates.conda = v != NULL && i < nl ? dup_array(v,
	    &h->mirror_candidates.nconda, &nomem) : NULL;

	v = layer_get(layers, nconn, "pulls");
	if (v != NULL && json_array_size(v) > 0) {
		if ((h->pulls = calloc(json_array_size(v),
		    sizeof(*h->pulls))) == NULL)
			nomem = 1;
		else {
			h->npulls = json_array_size(v);
			for (i = 0; i < h->npulls; i++)
				build_pull(json_array_get(v, i), &h->pulls[i],
				    &nomem);
		}
	}

	v = layer_get(layers, nl, "connect_timeout");
	h->connect_timeout = v != NULL ? (int)json_integer_value(v) :
	    DEFAULT_TIMEOUT;

	if (nomem) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	*out = h;
	h = NULL;
	r = CN_OK;
 out:
	ssh_config_entry_release(&e);
	host_free(h);
	return r;
}

static int
add_host(struct inventory *inv, struct host *h)
{
	struct host **n;

	if ((n = reallocarray(inv->hosts, inv->nhosts + 1,
	    sizeof(*n))) == NULL)
		return CN_ERR_NOMEM;
	inv->hosts = n;
	inv->hosts[inv->nhosts++] = h;
	return CN_OK;
}

static int
host_index(const struct inventory *inv, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < inv->nhosts; i++)
		if (strcmp(inv->hosts[i]->name, name) == 0) {
			*idx = i;
			return 1;
		}
	return 0;
}

static const struct group *
find_group(const struct inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->ngroups; i++)
		if (strcmp(inv->groups[i].name, name) == 0)
			return &inv->groups[i];
	return NULL;
}

static int
load_profiles(struct inventory *inv, char **msg)
{
	struct vctx c;
	char prefix[128];
	json_error_t jerr;
	size_t i;
	int r;

	c.msg = msg;
	c.prefix = prefix;
	for (i = 0; i < NPROFILES; i++) {
		snprintf(prefix, sizeof(prefix), "built-in profile '%s'",
		    builtin_profiles[i].name);
		inv->profiles[i] = json_loads(builtin_profiles[i].json,
		    JSON_REJECT_DUPLICATES, &jerr);
		if (inv->profiles[i] == NULL)
			return verr(&c, CN_ERR_PARSE, NULL, "line %d column %d: "
			    "%s", jerr.line, jerr.column, jerr.text);
		if ((r = check_fields(&c, NULL, inv->profiles[i],
		    IN_PROFILE)) != CN_OK)
			return r;
	}
	return CN_OK;
}

static int
load_hosts(struct inventory *inv, const struct vctx *c, json_t *hosts)
{
	char path[PATHBUF];
	struct host *h;
	const char *name;
	json_t *v;
	int r;

	if (!json_is_object(hosts))
		return verr(c, CN_ERR_INVALID, "hosts", "expected an object");
	json_object_foreach(hosts, name, v) {
		join_key(path, "hosts", name);
		if (strcmp(name, "all") == 0)
			return verr(c, CN_ERR_INVALID, path, "'all' is reserved "
			    "(it selects every host)");
		if (!name_ok(name))
			return verr(c, CN_ERR_INVALID, path, "invalid host name "
			    "(use letters, digits, '.', '_', '-')");
		if ((r = check_fields(c, path, v, IN_HOST)) != CN_OK)
			return r;
		if ((r = resolve_host(inv, name, v, &h, c->msg)) != CN_OK)
			return r;
		if ((r = add_host(inv, h)) != CN_OK) {
			host_free(h);
			return r;
		}
	}
	inv->nfile = inv->nhosts;
	return CN_OK;
}

static int
load_groups(struct inventory *inv, const struct vctx *c, json_t *groups)
{
	char path[PATHBUF], ipath[PATHBUF];
	struct suggest s;
	struct group *g;
	const char *name, *m;
	json_t *v, *e;
	size_t i, k, idx;

	if (!json_is_object(groups))
		return verr(c, CN_ERR_INVALID, "groups", "expected an object");
	if ((inv->groups = calloc(json_object_size(groups) + 1,
	    sizeof(*inv->groups))) == NULL)
		return CN_ERR_NOMEM;
	json_object_foreach(groups, name, v) {
		join_key(path, "groups", name);
		if (strcmp(name, "all") == 0)
			return verr(c, CN_ERR_INVALID, path, "'all' is reserved "
			    "(it selects every host)");
		if (!name_ok(name))
			return verr(c, CN_ERR_INVALID, path, "invalid group name "
			    "(use letters, digits, '.', '_', '-')");
		if (host_index(inv, name, &idx))
			return verr(c, CN_ERR_INVALID, path,
			    "a host has the same name");
		if (!json_is_array(v))
			return verr(c, CN_ERR_INVALID, path,
			    "expected an array of host names");
		g = &inv->groups[inv->ngroups++];
		if ((g->name = strdup(name)) == NULL)
			return CN_ERR_NOMEM;
		if (json_array_size(v) > 0 && (g->members = calloc(
		    json_array_size(v), sizeof(*g->members))) == NULL)
			return CN_ERR_NOMEM;
		json_array_foreach(v, i, e) {
			join_index(ipath, path, i);
			if ((m = jstr(e)) == NULL)
				return verr(c, CN_ERR_INVALID, ipath,
				    "expected a host name");
			if (!host_index(inv, m, &idx)) {
				suggest_init(&s, m);
				for (k = 0; k < inv->nhosts; k++)
					suggest_add(&s, inv->hosts[k]->name);
				if (s.best != NULL)
					return verr(c, CN_ERR_INVALID, ipath,
					    "unknown host '%s' (did you mean "
					    "'%s'?)", m, s.best);
				return verr(c, CN_ERR_INVALID, ipath,
				    "unknown host '%s'", m);
			}
			g->members[g->nmembers++] = idx;
		}
	}
	return CN_OK;
}

static char *
get_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if ((h == NULL || *h == '\0') && (pw = getpwuid(getuid())) != NULL)
		h = pw->pw_dir;
	return strdup(h != NULL ? h : "");
}

/* Takes a reference to root. */
static int
load_root(json_t *root, const char *origin, const struct inventory_opts *opts,
    struct inventory **out, char **msg)
{
	struct inventory *inv = NULL;
	struct vctx c;
	char *prefix = NULL;
	const char *key;
	json_t *v;
	int r;

	if (asprintf(&prefix, "inventory '%s'", origin) < 0) {
		prefix = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	c.prefix = prefix;
	c.msg = msg;
	if ((inv = calloc(1, sizeof(*inv))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	inv->root = json_incref(root);
	if ((inv->origin = strdup(origin)) == NULL ||
	    (inv->home = opts != NULL && opts->home != NULL ?
	    strdup(opts->home) : get_home()) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (opts == NULL || opts->ssh_config == NULL) {
		if (asprintf(&inv->ssh_config, "%s/.ssh/config",
		    inv->home) < 0) {
			inv->ssh_config = NULL;
			r = CN_ERR_NOMEM;
			goto out;
		}
	} else if (*opts->ssh_config != '\0' &&
	    (inv->ssh_config = strdup(opts->ssh_config)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = load_profiles(inv, msg)) != CN_OK)
		goto out;

	if (!json_is_object(root)) {
		r = verr(&c, CN_ERR_INVALID, NULL,
		    "expected a JSON object at the top");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "defaults") != 0 && strcmp(key, "groups") != 0 &&
		    strcmp(key, "hosts") != 0) {
			r = unknown_key(&c, key, key, top_keys,
			    sizeof(top_keys) / sizeof(top_keys[0]));
			goto out;
		}
	}
	if ((v = json_object_get(root, "defaults")) != NULL) {
		if ((r = check_fields(&c, "defaults", v, IN_HOST)) != CN_OK)
			goto out;
		inv->defaults = v;
	}
	if ((v = json_object_get(root, "hosts")) != NULL &&
	    (r = load_hosts(inv, &c, v)) != CN_OK)
		goto out;
	if ((v = json_object_get(root, "groups")) != NULL &&
	    (r = load_groups(inv, &c, v)) != CN_OK)
		goto out;
	*out = inv;
	inv = NULL;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM)
		set_msg(msg, "%s: %s", prefix != NULL ? prefix : "inventory",
		    cn_strerror(r));
	inventory_destroy(inv);
	free(prefix);
	return r;
}

int
inventory_load_string(const char *json, const char *origin,
    const struct inventory_opts *opts, struct inventory **out, char **msg)
{
	json_error_t jerr;
	json_t *root;
	int r;

	*out = NULL;
	if (msg != NULL)
		*msg = NULL;
	if ((root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		set_msg(msg, "inventory '%s': line %d column %d: %s", origin,
		    jerr.line, jerr.column, jerr.text);
		return CN_ERR_PARSE;
	}
	r = load_root(root, origin, opts, out, msg);
	json_decref(root);
	return r;
}

int
inventory_load(const char *path, const struct inventory_opts *opts,
    struct inventory **out, char **msg)
{
	json_error_t jerr;
	json_t *root;
	FILE *fp;
	int r, e;

	*out = NULL;
	if (msg != NULL)
		*msg = NULL;
	/* Open it ourselves: jansson's open error has no errno to name. */
	if ((fp = fopen(path, "r")) == NULL) {
		e = errno;
		set_msg(msg, "cannot read inventory '%s': %s", path,
		    strerror(e));
		return e == ENOENT ? CN_ERR_NOT_FOUND : CN_ERR_IO;
	}
	root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL && ferror(fp)) {
		set_msg(msg, "cannot read inventory '%s': %s", path,
		    strerror(errno));
		fclose(fp);
		return CN_ERR_IO;
	}
	fclose(fp);
	if (root == NULL) {
		set_msg(msg, "inventory '%s': line %d column %d: %s", path,
		    jerr.line, jerr.column, jerr.text);
		return CN_ERR_PARSE;
	}
	r = load_root(root, path, opts, out, msg);
	json_decref(root);
	return r;
}

void
inventory_destroy(struct inventory *inv)
{
	size_t i;

	if (inv == NULL)
		return;
	for (i = 0; i < inv->nhosts; i++)
		host_free(inv->hosts[i]);
	free(inv->hosts);
	for (i = 0; i < inv->ngroups; i++) {
		free(inv->groups[i].name);
		free(inv->groups[i].members);
	}
	free(inv->groups);
	for (i = 0; i < NPROFILES; i++)
		json_decref(inv->profiles[i]);
	json_decref(inv->root);
	free(inv->origin);
	free(inv->home);
	free(inv->ssh_config);
	free(inv);
}

size_t
inventory_count(const struct inventory *inv)
{
	return inv == NULL ? 0 : inv->nhosts;
}

const struct host *
inventory_get(const struct inventory *inv, size_t i)
{
	return inv == NULL || i >= inv->nhosts ? NULL : inv->hosts[i];
}

const struct host *
inventory_find(const struct inventory *inv, const char *name)
{
	size_t i;

	return inv != NULL && host_index(inv, name, &i) ? inv->hosts[i] : NULL;
}

/* Selection state: one mark per host, grown as hosts are added. */
#define M_IN	0x1
#define M_OUT	0x2

struct sel {
	struct inventory	*inv;
	unsigned char		*mark;
	size_t			 nmark;
	char			**msg;
};

static int
sel_grow(struct sel *s)
{
	unsigned char *m;

	if (s->nmark == s->inv->nhosts)
		return CN_OK;
	if ((m = realloc(s->mark, s->inv->nhosts)) == NULL)
		return CN_ERR_NOMEM;
	memset(m + s->nmark, 0, s->inv->nhosts - s->nmark);
	s->mark = m;
	s->nmark = s->inv->nhosts;
	return CN_OK;
}

/*
 * Is name declared on a concrete Host line of the ssh_config?  Then add it
 * as a host (when add is set) and return its index in *idx.  Returns 1 if
 * known, 0 if not, or a CN_ERR_* code.
 */
static int
ssh_alias(struct sel *s, const char *name, int add, size_t *idx)
{
	struct ssh_config_entry e;
	struct host *h;
	int r;

	if (!name_ok(name))
		return 0;
	r = ssh_config_lookup(s->inv->ssh_config, s->inv->home, name, &e,
	    s->msg);
	if (r == CN_OK)
		r = e.concrete ? 1 : 0;
	ssh_config_entry_release(&e);
	if (r != 1 || !add)
		return r;
	if ((r = resolve_host(s->inv, name, NULL, &h, s->msg)) != CN_OK)
		return r;
	if ((r = add_host(s->inv, h)) != CN_OK) {
		host_free(h);
		return r;
	}
	*idx = s->inv->nhosts - 1;
	return 1;
}

static int
unknown_name(struct sel *s, const char *name)
{
	struct suggest sg;
	char **sshnames = NULL;
	size_t i, nssh = 0;

	suggest_init(&sg, name);
	for (i = 0; i < s->inv->nhosts; i++)
		suggest_add(&sg, s->inv->hosts[i]->name);
	for (i = 0; i < s->inv->ngroups; i++)
		suggest_add(&sg, s->inv->groups[i].name);
	suggest_add(&sg, "all");
	/* Best effort: a broken ssh_config was reported already. */
	if (ssh_config_names(s->inv->ssh_config, s->inv->home, &sshnames,
	    &nssh, NULL) == CN_OK)
		for (i = 0; i < nssh; i++)
			if (name_ok(sshnames[i]))
				suggest_add(&sg, sshnames[i]);
	if (sg.best != NULL)
		set_msg(s->msg, "unknown host or group '%s' (did you mean "
		    "'%s'?)", name, sg.best);
	else
		set_msg(s->msg, "unknown host or group '%s'", name);
	ssh_config_names_free(sshnames, nssh);
	return CN_ERR_NOT_FOUND;
}

/* Mark what one term (without its '!') names with bit. */
static int
sel_term(struct sel *s, const char *term, unsigned char bit,
    const char *const *failed, size_t nfailed)
{
	const struct group *g;
	size_t i, idx;
	int r;

	if (strcmp(term, "all") == 0) {
		for (i = 0; i < s->inv->nfile; i++)
			s->mark[i] |= bit;
		return CN_OK;
	}
	if (strcmp(term, "@failed") == 0) {
		for (i = 0; i < nfailed; i++) {
			if (failed[i] == NULL)
				continue;
			if (!host_index(s->inv, failed[i], &idx)) {
				r = ssh_alias(s, failed[i], bit == M_IN, &idx);
				if (r < 0)
					return r;
				if (r == 0 || bit != M_IN)
					continue;	/* gone since */
				if ((r = sel_grow(s)) != CN_OK)
					return r;
			}
			s->mark[idx] |= bit;
		}
		return CN_OK;
	}
	if (strpbrk(term, "*?[") != NULL) {
		for (i = 0; i < s->inv->nhosts; i++)
			if (fnmatch(term, s->inv->hosts[i]->name, 0) == 0)
				s->mark[i] |= bit;
		return CN_OK;
	}
	if ((g = find_group(s->inv, term)) != NULL) {
		for (i = 0; i < g->nmembers; i++)
			s->mark[g->members[i]] |= bit;
		return CN_OK;
	}
	if (host_index(s->inv, term, &idx)) {
		s->mark[idx] |= bit;
		return CN_OK;
	}
	/* Excluding an ssh_config alias nobody selected is a no-op. */
	r = ssh_alias(s, term, bit == M_IN, &idx);
	if (r < 0)
		return r;
	if (r == 0)
		return unknown_name(s, term);
	if (bit == M_IN) {
		if ((r = sel_grow(s)) != CN_OK)
			return r;
		s->mark[idx] |= bit;
	}
	return CN_OK;
}

int
inventory_select(struct inventory *inv, const char *target,
    const char *const *failed, size_t nfailed, const struct host ***out,
    size_t *nout, char **msg)
{
	struct sel s;
	const struct host **res = NULL;
	char *copy = NULL, *term, *next, *end;
	size_t i, n;
	int r, any_in = 0;

	*out = NULL;
	*nout = 0;
	if (msg != NULL)
		*msg = NULL;
	memset(&s, 0, sizeof(s));
	s.inv = inv;
	s.msg = msg;
	if (target == NULL)
		target = "all";
	if ((copy = strdup(target)) == NULL || (r = sel_grow(&s)) != CN_OK) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	for (term = copy; term != NULL; term = next) {
		if ((next = strchr(term, ',')) != NULL)
			*next++ = '\0';
		while (isspace((unsigned char)*term))
			term++;
		end = term + strlen(term);
		while (end > term && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*term == '\0' || strcmp(term, "!") == 0) {
			set_msg(msg, "empty name in target '%s'", target);
			r = CN_ERR_INVALID;
			goto out;
		}
		if (*term == '!')
			r = sel_term(&s, term + 1, M_OUT, failed, nfailed);
		else {
			any_in = 1;
			r = sel_term(&s, term, M_IN, failed, nfailed);
		}
		if (r != CN_OK)
			goto out;
	}
	if (!any_in)	/* only exclusions: from everything */
		for (i = 0; i < inv->nfile; i++)
			s.mark[i] |= M_IN;
	for (i = n = 0; i < s.nmark; i++)
		if (s.mark[i] == M_IN)
			n++;
	if (n == 0) {
		set_msg(msg, "target '%s' matches no hosts", target);
		r = CN_ERR_NOT_FOUND;
		goto out;
	}
	if ((res = calloc(n, sizeof(*res))) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	for (i = n = 0; i < s.nmark; i++)
		if (s.mark[i] == M_IN)
			res[n++] = inv->hosts[i];
	*out = res;
	*nout = n;
	r = CN_OK;
 out:
	if (r == CN_ERR_NOMEM)
		set_msg(msg, "%s", cn_strerror(r));
	free(s.mark);
	free(copy);
	return r;
}

char *
inventory_default_path(const char *flag_path)
{
	const char *env = getenv("CNORCH_INVENTORY");
	char *home, *p;

	if (flag_path != NULL)
		return strdup(flag_path);
	if (env != NULL && *env != '\0')
		return strdup(env);
	if ((home = get_home()) == NULL)
		return NULL;
	if (asprintf(&p, "%s/.config/cnorch/inventory.json", home) < 0)
		p = NULL;
	free(home);
	return p;
}

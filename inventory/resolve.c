/*
 * Host resolution: each host's values looked up through the layers host →
 * defaults → platform profile, then ~/.ssh/config and the built-in
 * defaults (the precedence is in inventory.h).  Input is JSON the schema
 * has checked already.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"
#include "inventory_int.h"
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
#define DEFAULT_HUGGINGFACE	"https://huggingface.co"

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
	free(p->laptop_proxy);
	free(p->modelscope_repo);
}

void
inv_host_free(struct host *h)
{
	size_t i;

	if (h == NULL)
		return;
	free(h->name);
	free(h->hostname);
	free(h->user);
	free(h->identity_file);
	free(h->password_env);
	free(h->hf_token_env);
	free(h->modelscope_token_env);
	free(h->known_hosts);
	free(h->known_hosts_policy);
	free(h->host_key_alias);
	free(h->platform);
	free(h->data_dir);
	free(h->mirrors.hf);
	free(h->mirrors.modelscope);
	free(h->mirrors.pypi);
	free(h->mirrors.conda);
	free(h->mirrors.huggingface);
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
	json_t *v;

	if (json_is_string(p)) {
		ps->repo = sdup(json_string_value(p), nomem);
		p = NULL;
	} else
		ps->repo = sdup(inv_jstr(json_object_get(p, "repo")), nomem);
	s = inv_jstr(json_object_get(p, "revision"));
	ps->revision = sdup(s != NULL ? s : "main", nomem);
	s = inv_jstr(json_object_get(p, "source"));
	ps->source = sdup(s != NULL ? s : "auto", nomem);
	s = inv_jstr(json_object_get(p, "repo_type"));
	ps->repo_type = sdup(s != NULL ? s : "model", nomem);
	ps->include = dup_array(json_object_get(p, "include"), &ps->ninclude,
	    nomem);
	ps->exclude = dup_array(json_object_get(p, "exclude"), &ps->nexclude,
	    nomem);
	v = json_object_get(p, "via_laptop_proxy");
	ps->via_laptop_proxy = json_is_true(v) || json_is_string(v);
	ps->laptop_proxy = sdup(inv_jstr(v), nomem);
	ps->modelscope_repo = sdup(inv_jstr(json_object_get(p,
	    "modelscope_repo")), nomem);
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
int
inv_resolve_host(struct inventory *inv, const char *name, json_t *hobj,
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
		if ((pi = inv_profile_index(json_string_value(v))) >= 0)
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
		h->identity_file = expand_tilde(inv->home, inv_jstr(v), &nomem);
	else
		h->identity_file = sdup(e.identity_file, &nomem);

	h->password_env = sdup(inv_jstr(layer_get(layers, nconn,
	    "password_env")), &nomem);
	h->host_key_alias = sdup(e.host_key_alias, &nomem);
	h->hf_token_env = sdup(inv_jstr(layer_get(layers, nconn,
	    "hf_token_env")), &nomem);
	h->modelscope_token_env = sdup(inv_jstr(layer_get(layers, nconn,
	    "modelscope_token_env")), &nomem);

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

	h->mirrors.huggingface = layer_mirror(layers, nl, "huggingface",
	    DEFAULT_HUGGINGFACE, &nomem);

	h->proxy = sdup(inv_jstr(layer_get(layers, nl, "proxy")), &nomem);
	h->proxy_in_shells = json_is_true(layer_get(layers, nl,
	    "proxy_in_shells"));

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
	inv_host_free(h);
	return r;
}

int
inv_load_profiles(struct inventory *inv, char **msg)
{
	struct vctx c;
	char prefix[128];
	json_error_t jerr;
	size_t i, n = inv_profile_count();
	int r;

	c.msg = msg;
	c.prefix = prefix;
	if ((inv->profiles = calloc(n, sizeof(*inv->profiles))) == NULL)
		return CN_ERR_NOMEM;
	inv->nprofiles = n;
	for (i = 0; i < n; i++) {
		snprintf(prefix, sizeof(prefix), "built-in profile '%s'",
		    inv_profile_name(i));
		inv->profiles[i] = json_loads(inv_profile_json(i),
		    JSON_REJECT_DUPLICATES, &jerr);
		if (inv->profiles[i] == NULL)
			return inv_verr(&c, CN_ERR_PARSE, NULL, "line %d column "
			    "%d: %s", jerr.line, jerr.column, jerr.text);
		if ((r = inv_check_fields(&c, NULL, inv->profiles[i],
		    IN_PROFILE)) != CN_OK)
			return r;
	}
	return CN_OK;
}

char *
inv_get_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if ((h == NULL || *h == '\0') && (pw = getpwuid(getuid())) != NULL)
		h = pw->pw_dir;
	return strdup(h != NULL ? h : "");
}


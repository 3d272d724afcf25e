/*
 * mirror_auto: pick a package mirror for "auto" by measuring the
 * candidates from the box (see mirror_auto.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "error.h"
#include "inventory.h"
#include "mirror_auto.h"

/* $CNORCH_PYPI_CANDIDATES for "pypi"; NULL when unset or empty. */
static const char *
env_candidates(const char *kind)
{
	char name[64], *p;
	const char *v;

	snprintf(name, sizeof(name), "CNORCH_%s_CANDIDATES", kind);
	for (p = name; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

bool
mirror_candidates_custom(const struct host *h, const char *kind)
{
	if (strcmp(kind, "pypi") == 0 && h->mirror_candidates.npypi > 0)
		return true;
	if (strcmp(kind, "conda") == 0 && h->mirror_candidates.nconda > 0)
		return true;
	return env_candidates(kind) != NULL;
}

int
mirror_candidates(const struct host *h, const char *kind,
    struct endpoint_list *l, bool configured, char **msg)
{
	const char *const *wk;
	const char *env;
	char *list = NULL, *tok, *save = NULL, label[32];
	char *const *inv = NULL;
	size_t ninv = 0, i;
	int r = CN_OK, k = 0;

	*msg = NULL;
	if (strcmp(kind, "pypi") == 0) {
		inv = h->mirror_candidates.pypi;
		ninv = h->mirror_candidates.npypi;
	} else if (strcmp(kind, "conda") == 0) {
		inv = h->mirror_candidates.conda;
		ninv = h->mirror_candidates.nconda;
	}
	if (ninv > 0) {
		for (i = 0; i < ninv; i++) {
			snprintf(label, sizeof(label), "candidate %zu", i + 1);
			if ((r = endpoint_add(l, kind, inv[i], label,
			    configured, NULL, NULL)) != CN_OK) {
				if (r == CN_ERR_INVALID && asprintf(msg,
				    "mirror_candidates.%s[%zu]: '%s' cannot be "
				    "probed", kind, i, inv[i]) < 0)
					*msg = NULL;
				return r;
			}
		}
		return CN_OK;
	}
	if ((env = env_candidates(kind)) != NULL) {
		if ((list = strdup(env)) == NULL)
			return CN_ERR_NOMEM;
		for (tok = strtok_r(list, ", ", &save); tok != NULL;
		    tok = strtok_r(NULL, ", ", &save)) {
			snprintf(label, sizeof(label), "candidate %d", ++k);
			if ((r = endpoint_add(l, kind, tok, label, configured,
			    NULL, NULL)) == CN_ERR_INVALID) {
				cn_msg(msg, "%s mirror candidate '%s' is "
				    "not an http:// or https:// URL", kind,
				    tok);
			}
			if (r != CN_OK)
				break;
		}
		free(list);
		return r;
	}
	if ((wk = endpoint_well_known(kind)) == NULL)
		return CN_ERR_INVALID;
	for (; wk[0] != NULL; wk += 2)
		if ((r = endpoint_add(l, kind, wk[1], wk[0], configured, NULL,
		    NULL)) != CN_OK)
			return r;
	return CN_OK;
}

int
mirror_auto_pick(struct session *s, const struct host *h, const char *kind,
    char **url, char **why)
{
	struct endpoint_list l = { 0 };
	char *msg = NULL, *sum = NULL, *failed = NULL, *tmp;
	size_t i, others = 0, nfailed = 0;
	int r, best;

	*url = NULL;
	*why = NULL;
	if ((r = mirror_candidates(h, kind, &l, true, &msg)) != CN_OK) {
		if (asprintf(why, "%s", msg != NULL ? msg :
		    cn_strerror(r)) < 0)
			*why = NULL;
		goto out;
	}
	if ((r = endpoints_measure(s, &l, MIRROR_AUTO_TIMEOUT_S,
	    MIRROR_AUTO_SAMPLE, &msg)) != CN_OK) {
		*why = msg;
		msg = NULL;
		goto out;
	}
	r = CN_ERR_NOMEM;
	best = endpoint_best(&l, kind, 0);
	for (i = 0; i < l.n; i++) {
		if ((int)i == best)
			continue;
		others++;
		if (l.v[i].measured && l.v[i].ok)
			continue;
		nfailed++;
		/* Name the first failure: it is what a person checks. */
		if (failed == NULL && (failed = endpoint_summary(&l.v[i])) ==
		    NULL)
			goto out;
	}
	if (best < 0) {
		if (asprintf(why, "%s mirror auto: none of %zu candidates "
		    "reachable (%s); kept the default", kind, l.n,
		    failed != NULL ? failed : "no answer") < 0)
			goto out;
		r = CN_OK;
		goto out;
	}
	if ((sum = endpoint_summary(&l.v[best])) == NULL ||
	    (*url = strdup(l.v[best].base)) == NULL)
		goto out;
	if (others == 0)
		r = asprintf(why, "%s mirror auto \u2192 %s (%s; the only "
		    "candidate)", kind, *url, sum);
	else if (nfailed == 0)
		r = asprintf(why, "%s mirror auto \u2192 %s (%s; %zu other%s "
		    "slower)", kind, *url, sum, others, others > 1 ? "s" : "");
	else if (nfailed == others)
		r = asprintf(why, "%s mirror auto \u2192 %s (%s; %zu other%s "
		    "failed: %s)", kind, *url, sum, others,
		    others > 1 ? "s" : "", failed);
	else
		r = asprintf(why, "%s mirror auto \u2192 %s (%s; %zu slower, "
		    "%zu failed: %s)", kind, *url, sum, others - nfailed,
		    nfailed, failed);
	if (r < 0) {
		*why = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	r = CN_OK;
 out:
	if (r != CN_OK) {
		tmp = *url;
		*url = NULL;
		free(tmp);
		if (*why == NULL && asprintf(why, "%s mirror auto: %s",
		    kind, cn_strerror(r)) < 0)
			*why = NULL;
	}
	endpoint_list_release(&l);
	free(msg);
	free(sum);
	free(failed);
	return r;
}

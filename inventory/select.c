/*
 * Target selection: a TARGET string (names, groups, all, globs, comma
 * lists, !exclusions, @failed given by the caller) to hosts, adding hosts
 * named only in ~/.ssh/config on the way.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inventory_int.h"
#include "ssh_config.h"
#include "validate.h"

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

	if (!valid_host_name(name))
		return 0;
	r = ssh_config_lookup(s->inv->ssh_config, s->inv->home, name, &e,
	    s->msg);
	if (r == CN_OK)
		r = e.concrete ? 1 : 0;
	ssh_config_entry_release(&e);
	if (r != 1 || !add)
		return r;
	if ((r = inv_resolve_host(s->inv, name, NULL, &h, s->msg)) != CN_OK)
		return r;
	if ((r = inv_add_host(s->inv, h)) != CN_OK) {
		inv_host_free(h);
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

	inv_suggest_init(&sg, name);
	for (i = 0; i < s->inv->nhosts; i++)
		inv_suggest_add(&sg, s->inv->hosts[i]->name);
	for (i = 0; i < s->inv->ngroups; i++)
		inv_suggest_add(&sg, s->inv->groups[i].name);
	inv_suggest_add(&sg, "all");
	/* Best effort: a broken ssh_config was reported already. */
	if (ssh_config_names(s->inv->ssh_config, s->inv->home, &sshnames,
	    &nssh, NULL) == CN_OK)
		for (i = 0; i < nssh; i++)
			if (valid_host_name(sshnames[i]))
				inv_suggest_add(&sg, sshnames[i]);
	if (sg.best != NULL)
		inv_set_msg(s->msg, "unknown host or group '%s' (did you mean "
		    "'%s'?)", name, sg.best);
	else
		inv_set_msg(s->msg, "unknown host or group '%s'", name);
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
			if (!inv_host_index(s->inv, failed[i], &idx)) {
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
	if ((g = inv_find_group(s->inv, term)) != NULL) {
		for (i = 0; i < g->nmembers; i++)
			s->mark[g->members[i]] |= bit;
		return CN_OK;
	}
	if (inv_host_index(s->inv, term, &idx)) {
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
			inv_set_msg(msg, "empty name in target '%s'", target);
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
		inv_set_msg(msg, "target '%s' matches no hosts", target);
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
		inv_set_msg(msg, "%s", cn_strerror(r));
	free(s.mark);
	free(copy);
	return r;
}


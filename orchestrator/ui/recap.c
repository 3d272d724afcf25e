/* recap: the fleet at a glance, identical hosts folded (clush -b). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "recap.h"

struct name {
	const char	*full;
	size_t		 plen;		/* prefix length, before the digits */
	unsigned long	 num;
	int		 width;		/* digits, 0 when no trailing number */
	int		 used;
};

static void
split(struct name *nm, const char *s)
{
	size_t len = strlen(s), i = len;

	while (i > 0 && isdigit((unsigned char)s[i - 1]))
		i--;
	nm->full = s;
	nm->used = 0;
	/* Trailing digits only; cap the width so the number fits. */
	if (i == len || len - i > 9) {
		nm->plen = len;
		nm->width = 0;
		nm->num = 0;
		return;
	}
	nm->plen = i;
	nm->width = (int)(len - i);
	nm->num = strtoul(s + i, NULL, 10);
}

static int
cmp_num(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Append printf output to a malloc'd string. */
static int
append(char **s, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
append(char **s, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = realloc(*s, *len + (size_t)n + 1)) == NULL)
		return CN_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(p + *len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*s = p;
	*len += (size_t)n;
	return CN_OK;
}

char *
hostlist_fold(const char *const *names, size_t n)
{
	struct name *v = NULL;
	unsigned long *nums = NULL;
	char *out = NULL;
	size_t len = 0, i, j, k, m, a;
	int r = CN_ERR_NOMEM;

	if ((out = strdup("")) == NULL)
		goto out;
	if (n == 0) {
		r = CN_OK;
		goto out;
	}
	if ((v = calloc(n, sizeof(*v))) == NULL ||
	    (nums = calloc(n, sizeof(*nums))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		split(&v[i], names[i]);
	for (i = 0; i < n; i++) {
		if (v[i].used)
			continue;
		if (len > 0 && append(&out, &len, ",") != 0)
			goto out;
		if (v[i].width == 0) {
			v[i].used = 1;
			if (append(&out, &len, "%s", v[i].full) != 0)
				goto out;
			continue;
		}
		/* Gather every name with the same prefix and width. */
		for (m = 0, j = i; j < n; j++) {
			if (v[j].used || v[j].width != v[i].width ||
			    v[j].plen != v[i].plen ||
			    strncmp(v[j].full, v[i].full, v[i].plen) != 0)
				continue;
			v[j].used = 1;
			nums[m++] = v[j].num;
		}
		if (m == 1) {
			if (append(&out, &len, "%s", v[i].full) != 0)
				goto out;
			continue;
		}
		qsort(nums, m, sizeof(*nums), cmp_num);
		if (append(&out, &len, "%.*s[", (int)v[i].plen, v[i].full) != 0)
			goto out;
		for (k = 0; k < m; k = a + 1) {
			/* nums[k..a] is a run of consecutive numbers. */
			for (a = k; a + 1 < m && nums[a + 1] <= nums[a] + 1; a++)
				;
			if (append(&out, &len, "%s%0*lu", k > 0 ? "," : "",
			    v[i].width, nums[k]) != 0)
				goto out;
			if (nums[a] != nums[k] && append(&out, &len, "-%0*lu",
			    v[i].width, nums[a]) != 0)
				goto out;
		}
		if (append(&out, &len, "]") != 0)
			goto out;
	}
	r = CN_OK;
 out:
	free(v);
	free(nums);
	if (r != CN_OK) {
		free(out);
		out = NULL;
	}
	return out;
}

struct recap_entry {
	char	*host;
	char	*result;
};

struct recap {
	struct recap_entry	*v;
	size_t			 n, cap;
};

struct recap *
recap_create(void)
{
	return calloc(1, sizeof(struct recap));
}

void
recap_destroy(struct recap *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].host);
		free(r->v[i].result);
	}
	free(r->v);
	free(r);
}

int
recap_add(struct recap *r, const char *host, const char *result)
{
	struct recap_entry *nv;
	size_t cap;

	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 16;
		if ((nv = realloc(r->v, cap * sizeof(*nv))) == NULL)
			return CN_ERR_NOMEM;
		r->v = nv;
		r->cap = cap;
	}
	r->v[r->n].host = strdup(host);
	r->v[r->n].result = strdup(result);
	if (r->v[r->n].host == NULL || r->v[r->n].result == NULL) {
		free(r->v[r->n].host);
		free(r->v[r->n].result);
		return CN_ERR_NOMEM;
	}
	r->n++;
	return CN_OK;
}

void
recap_print(const struct recap *r, FILE *fp)
{
	const char **names;
	char *done, *folded;
	size_t i, j, m;

	if (r->n == 0)
		return;
	names = calloc(r->n, sizeof(*names));
	done = calloc(r->n, 1);
	if (names == NULL || done == NULL) {
		/* Degrade to one line per host rather than lose the recap. */
		for (i = 0; i < r->n; i++)
			fprintf(fp, "%s: %s\n", r->v[i].host, r->v[i].result);
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		if (done[i])
			continue;
		for (m = 0, j = i; j < r->n; j++) {
			if (!done[j] &&
			    strcmp(r->v[j].result, r->v[i].result) == 0) {
				done[j] = 1;
				names[m++] = r->v[j].host;
			}
		}
		folded = hostlist_fold(names, m);
		fprintf(fp, "%s: %s\n", folded ? folded : r->v[i].host,
		    r->v[i].result);
		free(folded);
	}
 out:
	free(names);
	free(done);
}

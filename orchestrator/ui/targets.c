/* targets: a TARGET resolved to hosts, and @failed kept for next time. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inventory.h"
#include "runlog.h"
#include "targets.h"

int
targets_select(const char *inventory_path, const char *target,
    struct inventory **own,
    const struct host ***hosts, size_t *n, char **msg)
{
	struct inventory *inv;
	char *path = NULL, **failed = NULL;
	size_t nfailed = 0;
	int r;

	*own = NULL;
	*hosts = NULL;
	*n = 0;
	*msg = NULL;
	if ((path = inventory_default_path(inventory_path)) == NULL) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if ((r = inventory_load(path, NULL, own, msg)) != CN_OK)
		goto out;
	inv = *own;
	if (target != NULL && strstr(target, "@failed") != NULL &&
	    failed_load(&failed, &nfailed) != CN_OK) {
		failed = NULL;
		nfailed = 0;
	}
	r = inventory_select(inv, target, (const char *const *)failed,
	    nfailed, hosts, n, msg);
 out:
	if (r == CN_ERR_NOMEM && *msg == NULL)
		*msg = strdup("out of memory");
	if (failed != NULL)
		failed_free(failed, nfailed);
	free(path);
	return r;
}

void
targets_save_failed(const struct host *const *hosts, size_t n,
    const int *status)
{
	const char **names;
	size_t i, nf = 0;

	if ((names = calloc(n + 1, sizeof(*names))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if (status[i] != CN_OK)
			names[nf++] = hosts[i]->name;
	(void)failed_save(names, nf);
	free(names);
}

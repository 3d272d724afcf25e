/*
 * The end-of-run recap: hosts with identical results folded into one line,
 * names compressed the way clush -b / pdsh do ("autodl-[01-03,05]: ok").
 *
 * Who frees: recap_destroy() (accepts NULL); hostlist_fold() returns a
 * malloc'd string the caller frees.
 */
#ifndef CN_RECAP_H
#define CN_RECAP_H

#include <stddef.h>
#include <stdio.h>

/*
 * Fold names into a compact list: names that differ only in a trailing
 * number with the same prefix and width share brackets, runs become
 * ranges.  Order: first appearance of each prefix.  NULL on allocation
 * failure.
 */
char	*hostlist_fold(const char *const *names, size_t n);

struct recap;

struct recap *recap_create(void);
void	recap_destroy(struct recap *r);

/* Record one host's result line (e.g. "ok=3 changed=0 failed=0"). */
int	recap_add(struct recap *r, const char *host, const char *result);

/* Print one line per distinct result, hosts folded, in first-seen order. */
void	recap_print(const struct recap *r, FILE *fp);

#endif

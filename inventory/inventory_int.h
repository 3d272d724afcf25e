/*
 * Inside the inventory module: the loaded inventory's layout and the
 * helpers its files share (schema.c, resolve.c, select.c, inventory.c,
 * the Ansible readers, the editor and the login-line parser).
 * Not for callers outside inventory/: they use inventory.h.
 */
#ifndef CN_INVENTORY_INT_H
#define CN_INVENTORY_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "inventory.h"

#define PATHBUF		1024	/* JSON paths in messages */

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
	json_t		**profiles;	/* one per built-in profile */
	size_t		 nprofiles;
	struct host	**hosts;
	size_t		 nhosts;
	size_t		 nfile;		/* hosts[0..nfile) came from the file */
	struct group	*groups;
	size_t		 ngroups;
};

/* schema.c: where a key may appear. */
#define IN_HOST		0x1	/* hosts.NAME and defaults */
#define IN_PROFILE	0x2	/* profiles/NAME.json */

/* The error sink of one validation run. */
struct vctx {
	const char	*prefix;	/* "inventory 'x.json'" */
	char		**msg;
};

/*
 * schema.c.  inv_verr() sets *c->msg (if not set yet) to "prefix: path:
 * text" and returns r; inv_set_msg() sets *msg if not set yet.
 */
/*
 * Set *msg (if msg is not NULL and *msg not set yet) to "head: text" and
 * return r; CN_ERR_NOMEM if the text cannot be made.
 */
int	inv_vmsg(char **msg, int r, const char *head, const char *fmt,
	    va_list ap);
int	inv_verr(const struct vctx *c, int r, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	inv_set_msg(char **msg, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	inv_join_key(char *buf, const char *path, const char *key);
void	inv_join_index(char *buf, const char *path, size_t i);
/* Check the keys and values of a host or defaults (IN_HOST) or profile. */
int	inv_check_fields(const struct vctx *c, const char *path, json_t *obj,
	    int in);
/* Refuse proxy "platform" with proxy_in_shells (path: the object's). */
int	inv_check_platform_proxy(const struct vctx *c, const char *path,
	    const char *proxy, bool in_shells);
/* Check the top-level object: only defaults, groups, hosts. */
int	inv_check_top(const struct vctx *c, json_t *root);
const char *inv_jstr(const json_t *v);

/* Closest candidate within edit distance 2 (did-you-mean). */
struct suggest {
	const char	*word;
	const char	*best;
	size_t		 dist;
};
void	inv_suggest_init(struct suggest *s, const char *word);
void	inv_suggest_add(struct suggest *s, const char *cand);

/* profiles.c: the compiled-in platform profiles. */
size_t	inv_profile_count(void);
const char *inv_profile_name(size_t i);
const char *inv_profile_json(size_t i);
int	inv_profile_index(const char *name);	/* -1 if unknown */
void	inv_known_platforms(char *buf, size_t len);

/* resolve.c */
int	inv_load_profiles(struct inventory *inv, char **msg);
/*
 * Build host name from its validated object hobj (NULL for a host that
 * comes only from ssh_config).  *out is freed with inv_host_free().
 */
int	inv_resolve_host(struct inventory *inv, const char *name, json_t *hobj,
	    struct host **out, char **msg);
void	inv_host_free(struct host *h);
char	*inv_get_home(void);

/*
 * words.c: the next shell-like word of *sp into out (at most outlen - 1
 * bytes kept): quotes removed, a backslash outside single quotes takes
 * the next character literally; with comments, a '#' starting a word
 * ends the line.  Returns 1 for a word, 0 when none is left, -1 for an
 * unterminated quote.  *sp moves past the word.
 */
int	inv_word(const char **sp, char *out, size_t outlen, int comments);

/* inventory.c */
/* The whole of fp, NUL-terminated, in *buf (malloc'd); CN_ERR_IO/NOMEM. */
int	inv_read_all(FILE *fp, char **buf, size_t *len);
/* Check and resolve the document root (origin names it in messages). */
int	inv_load_root(json_t *root, const char *origin,
	    const struct inventory_opts *opts, struct inventory **out,
	    char **msg);
int	inv_add_host(struct inventory *inv, struct host *h);
int	inv_host_index(const struct inventory *inv, const char *name,
	    size_t *idx);
const struct group *inv_find_group(const struct inventory *inv,
	    const char *name);

#endif

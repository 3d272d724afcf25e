/*
 * Adding and removing one host in a JSON inventory file, checked like a
 * load and written atomically (see inventory_edit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ansible.h"
#include "error.h"
#include "inventory_edit.h"
#include "inventory_int.h"

#define NEW_FILE_MODE	0600
#define NEW_DIR_MODE	0700

/*
 * The document at path in *root; *mode is the file's permission bits, or
 * 0 when the file does not exist (then *root is an empty object).  *msg
 * (msg may be NULL) starts NULL here, the first step of both edits.
 */
static int
read_doc(const char *path, json_t **root, mode_t *mode, char **msg)
{
	json_error_t jerr;
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int r, e;

	if (msg != NULL)
		*msg = NULL;
	*root = NULL;
	*mode = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT) {
			*root = json_object();
			return *root != NULL ? CN_OK : CN_ERR_NOMEM;
		}
		e = errno;
		inv_set_msg(msg, "cannot read inventory '%s': %s", path,
		    strerror(e));
		return CN_ERR_IO;
	}
	if (fstat(fileno(fp), &st) == 0)
		*mode = st.st_mode & 07777;
	if ((r = inv_read_all(fp, &text, &len)) != CN_OK) {
		if (r == CN_ERR_IO)
			inv_set_msg(msg, "cannot read inventory '%s': %s",
			    path, strerror(errno));
		goto out;
	}
	if (len == 0) {
		*root = json_object();
		r = *root != NULL ? CN_OK : CN_ERR_NOMEM;
		goto out;
	}
	if (inventory_format_guess(path, text, len) != INVENTORY_JSON) {
		inv_set_msg(msg, "inventory '%s' is an Ansible inventory: "
		    "change it with Ansible's tools (cnorch edits only JSON "
		    "inventories)", path);
		r = CN_ERR_UNSUPPORTED;
		goto out;
	}
	if ((*root = json_loadb(text, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		inv_set_msg(msg, "inventory '%s': line %d column %d: %s", path,
		    jerr.line, jerr.column, jerr.text);
		r = CN_ERR_PARSE;
		goto out;
	}
	if (!json_is_object(*root)) {
		inv_set_msg(msg, "inventory '%s': expected a JSON object at "
		    "the top", path);
		json_decref(*root);
		*root = NULL;
		r = CN_ERR_INVALID;
		goto out;
	}
	r = CN_OK;
 out:
	free(text);
	fclose(fp);
	return r;
}

/* mkdir -p for the directory of a new inventory. */
static int
make_dirs(const char *dir)
{
	char *copy, *p;
	int r = CN_OK, last = 0;

	if ((copy = strdup(dir)) == NULL)
		return CN_ERR_NOMEM;
	for (p = copy + 1; !last && r == CN_OK; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		last = *p == '\0';
		*p = '\0';
		if (mkdir(copy, NEW_DIR_MODE) != 0 && errno != EEXIST)
			r = CN_ERR_SYSTEM;
		if (!last)
			*p = '/';
	}
	free(copy);
	return r;
}

/*
 * Write text to path through a temporary file in the same directory:
 * fsync, rename over path, fsync the directory.
 */
static int
write_atomic(const char *path, const char *text, mode_t mode, char **msg)
{
	char *tmp = NULL, *dcopy = NULL, *dir;
	size_t len = strlen(text), off = 0;
	ssize_t w;
	int fd = -1, dfd = -1, r, e;

	if ((dcopy = strdup(path)) == NULL ||
	    asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		r = CN_ERR_NOMEM;
		goto out;
	}
	dir = dirname(dcopy);
	if (make_dirs(dir) != CN_OK)
		goto fail;
	if ((fd = mkstemp(tmp)) < 0) {
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < len) {
		if ((w = write(fd, text + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	tmp = NULL;
	/* The rename itself must survive a crash. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	r = CN_OK;
	goto out;
 fail:
	e = errno;
	inv_set_msg(msg, "cannot write inventory '%s': %s", path,
	    strerror(e));
	r = CN_ERR_IO;
 out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dcopy);
	return r;
}

/* Check root as inventory_load() would, then write it to path. */
static int
check_and_write(const char *path, json_t *root, mode_t mode, char **msg)
{
	static const struct inventory_opts opts = { .ssh_config = "" };
	struct inventory *inv = NULL;
	char *text, *dump;
	int r;

	if ((r = inv_load_root(root, path, &opts, &inv, msg)) != CN_OK)
		return r;
	inventory_destroy(inv);
	if ((dump = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL)
		return CN_ERR_NOMEM;
	/* One trailing newline, as an editor leaves it. */
	r = asprintf(&text, "%s\n", dump);
	free(dump);
	if (r < 0)
		return CN_ERR_NOMEM;
	r = write_atomic(path, text, mode != 0 ? mode : NEW_FILE_MODE, msg);
	free(text);
	return r;
}

static int
set_opt_str(json_t *obj, const char *key, const char *v)
{
	if (v == NULL)
		return 0;
	return json_object_set_new(obj, key, json_string(v));
}

/* The object or a new empty one under key in parent. */
static json_t *
child_object(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);

	if (v != NULL)
		return v;
	if ((v = json_object()) == NULL ||
	    json_object_set_new(parent, key, v) != 0)
		return NULL;
	return v;
}

int
inventory_add_host(const char *path, const struct host_entry *e,
    char **msg)
{
	json_t *root = NULL, *hosts, *groups, *h = NULL, *g, *m;
	mode_t mode;
	size_t i;
	int r;

	if ((r = read_doc(path, &root, &mode, msg)) != CN_OK)
		goto out;
	hosts = json_object_get(root, "hosts");
	groups = json_object_get(root, "groups");
	if (json_object_get(hosts, e->name) != NULL) {
		inv_set_msg(msg, "inventory '%s': host '%s' exists already "
		    "(remove it first with 'cnorch rm-host %s')", path,
		    e->name, e->name);
		r = CN_ERR_EXISTS;
		goto out;
	}
	if (json_object_get(groups, e->name) != NULL) {
		inv_set_msg(msg, "inventory '%s': '%s' is a group's name",
		    path, e->name);
		r = CN_ERR_EXISTS;
		goto out;
	}
	if ((hosts = child_object(root, "hosts")) == NULL ||
	    (h = json_object()) == NULL ||
	    set_opt_str(h, "host", e->host) != 0 ||
	    (e->port != 0 && json_object_set_new(h, "port",
	    json_integer(e->port)) != 0) ||
	    set_opt_str(h, "user", e->user) != 0 ||
	    set_opt_str(h, "identity_file", e->identity_file) != 0 ||
	    set_opt_str(h, "password_env", e->password_env) != 0 ||
	    set_opt_str(h, "platform", e->platform) != 0 ||
	    json_object_set(hosts, e->name, h) != 0) {
		r = CN_ERR_NOMEM;
		goto out;
	}
	if (e->group != NULL) {
		if ((groups = child_object(root, "groups")) == NULL) {
			r = CN_ERR_NOMEM;
			goto out;
		}
		if ((g = json_object_get(groups, e->group)) == NULL) {
			if ((g = json_array()) == NULL ||
			    json_object_set_new(groups, e->group, g) != 0) {
				r = CN_ERR_NOMEM;
				goto out;
			}
		}
		/* A non-array is left for the schema check to name. */
		json_array_foreach(g, i, m)
			if (json_is_string(m) &&
			    strcmp(json_string_value(m), e->name) == 0)
				break;
		if (json_is_array(g) && i == json_array_size(g) &&
		    json_array_append_new(g, json_string(e->name)) != 0) {
			r = CN_ERR_NOMEM;
			goto out;
		}
	}
	r = check_and_write(path, root, mode, msg);
 out:
	if (r == CN_ERR_NOMEM)
		inv_set_msg(msg, "inventory '%s': %s", path, cn_strerror(r));
	json_decref(h);
	json_decref(root);
	return r;
}

int
inventory_remove_host(const char *path, const char *name, char **msg)
{
	json_t *root = NULL, *hosts, *g, *m;
	const char *gname;
	mode_t mode;
	size_t i;
	int r;

	if ((r = read_doc(path, &root, &mode, msg)) != CN_OK)
		goto out;
	hosts = json_object_get(root, "hosts");
	if (mode == 0) {
		inv_set_msg(msg, "cannot read inventory '%s': %s", path,
		    strerror(ENOENT));
		r = CN_ERR_NOT_FOUND;
		goto out;
	}
	if (json_object_get(hosts, name) == NULL) {
		inv_set_msg(msg, "inventory '%s': no host '%s'", path, name);
		r = CN_ERR_NOT_FOUND;
		goto out;
	}
	json_object_del(hosts, name);
	json_object_foreach(json_object_get(root, "groups"), gname, g)
		for (i = json_array_size(g); i-- > 0;)
			if ((m = json_array_get(g, i)) != NULL &&
			    json_is_string(m) &&
			    strcmp(json_string_value(m), name) == 0)
				json_array_remove(g, i);
	r = check_and_write(path, root, mode, msg);
 out:
	if (r == CN_ERR_NOMEM)
		inv_set_msg(msg, "inventory '%s': %s", path, cn_strerror(r));
	json_decref(root);
	return r;
}

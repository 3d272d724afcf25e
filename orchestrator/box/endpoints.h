/*
 * endpoints: mirrors and hubs measured from the box.  Builds a cheap URL
 * per endpoint kind, runs `cnorch-agent probe` (remote/measure.c: DNS,
 * connect, TLS, first byte and a short ranged sample, all in parallel
 * within one time bound) over an SSH session and reads its JSON lines
 * back.  Used by `cnorch doctor` and by mirrors "auto" in provision.
 *
 * Probe URLs, per kind (base without trailing slashes):
 *   pypi        BASE/pip/                                 (simple index page)
 *   conda       BASE/pkgs/main/noarch/repodata.json       (ranged)
 *   hf          BASE/api/models/REPO/revision/REV
 *   modelscope  BASE/api/v1/models/REPO/revisions
 *
 * Who frees: endpoint_list_release() frees every string of the list and
 * the array (the list itself is the caller's); messages through char
 * **msg and returned strings are malloc'd and the caller frees them.
 */
#ifndef CN_ENDPOINTS_H
#define CN_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session;

/* A small public repo for the hub probes when no pull names one. */
#define ENDPOINT_HF_REPO	"openai-community/gpt2"
#define ENDPOINT_MS_REPO	"Qwen/Qwen2.5-0.5B-Instruct"

struct endpoint {
	char		*kind;		/* "pypi" "conda" "hf" "modelscope" */
	char		*base;		/* the mirror as configured */
	char		*url;		/* what is measured */
	char		*label;		/* "tuna", "configured", ... */
	bool		 configured;	/* from the inventory (or "auto"
					 * candidates) */
	/* Filled by endpoints_measure(): */
	bool		 measured;	/* the agent reported on it */
	bool		 ok;
	long		 status;
	double		 dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms;
	double		 rate_bps;
	uint64_t	 bytes;
	char		*error;		/* why not ok, or NULL */
	int		 rank;		/* 1 = best of all measured, 0 none */
};

struct endpoint_list {
	struct endpoint	*v;
	size_t		 n;
};

void	endpoint_list_release(struct endpoint_list *l);

/*
 * Append an endpoint (duplicates by kind and base are merged: configured
 * wins, labels stay the first).  repo/rev name the repo for hub kinds
 * (NULL: the built-in small repo, "main").  Returns CN_OK, CN_ERR_INVALID
 * for an unknown kind or a base that is not http(s)://, CN_ERR_NOMEM.
 */
int	endpoint_add(struct endpoint_list *l, const char *kind,
	    const char *base, const char *label, bool configured,
	    const char *repo, const char *rev);

/* The probe URL for kind at base (malloc'd), NULL if invalid/ENOMEM. */
char	*endpoint_probe_url(const char *kind, const char *base,
	    const char *repo, const char *rev);

/* The well-known candidates of a kind, NULL-terminated: {label, url}
 * pairs flattened ({"tuna", "https://...", "aliyun", ..., NULL}). */
const char *const *endpoint_well_known(const char *kind);

/*
 * Apply one line of `cnorch-agent probe` output to the list (matched by
 * URL; every entry with that URL gets it).  Returns 1 when applied, 0
 * when the line is not a probe result or names no entry.
 */
int	endpoint_apply_line(struct endpoint_list *l, const char *line);

/*
 * Measure every endpoint of l from the box through the uploaded agent
 * (payload_id()'s cnorch-agent), bounded by timeout_s (the SSH command
 * gets a little more).  sample_bytes 0: the agent's default.  Entries the
 * agent did not report on stay measured = false.  Returns CN_OK or a
 * CN_ERR_* with an unprefixed message (CN_ERR_REMOTE: the agent failed;
 * session errors as session_exec()).
 */
/* That measuring script (sh -s), malloc'd; NULL on ENOMEM. */
char	*endpoints_script(const char *payload_id,
	    const struct endpoint_list *l, double timeout_s,
	    uint64_t sample_bytes);

int	endpoints_measure(struct session *s, struct endpoint_list *l,
	    double timeout_s, uint64_t sample_bytes, char **msg);

/*
 * Reachable: measured ok, or a hub that answered for the repo with "not
 * here" or "token needed" (the server works; the repo is another matter).
 */
bool	endpoint_reachable(const struct endpoint *e);

/* Limit endpoint_best()'s choice to configured entries. */
#define ENDPOINT_BEST_CONFIGURED	0x1
/* Count endpoint_reachable() entries, not only ok ones. */
#define ENDPOINT_BEST_REACHABLE		0x2

/*
 * The one choice of an endpoint, for doctor and mirrors "auto": the
 * index of the best (lowest rank) measured, ok entry of kind, or -1;
 * flags (ENDPOINT_BEST_*) widen or narrow what counts.
 */
int	endpoint_best(const struct endpoint_list *l, const char *kind,
	    unsigned flags);

/* "12.3 MiB/s, ttfb 35 ms" or the error, malloc'd (NULL on ENOMEM). */
char	*endpoint_summary(const struct endpoint *e);

#endif

/*
 * rung: can the box climb the ladder's last rung, huggingface.co (the
 * inventory's mirrors.huggingface) through a proxy, the box's own or one
 * lent by the laptop (cnorch doctor).  One request from the box with
 * curl through the proxy, tunnelled (CONNECT, as the agent does); the
 * proxy URL reaches curl through its environment, never its argv.
 *
 * Who frees: scripts and *msg are malloc'd for the caller.
 */
#ifndef CN_RUNG_H
#define CN_RUNG_H

#include <stdbool.h>

struct session;

struct rung_result {
	bool		 have_curl;	/* false: nothing was tried */
	bool		 reachable;	/* any HTTP answer came back */
	int		 http_code;	/* 0: none */
	double		 seconds;
};

/* The box script (sh -s), malloc'd; NULL on ENOMEM. */
char	*rung_script(const char *upstream, const char *proxy, int timeout_s);

/* Read the script's "=rung CODE SECONDS" or "=rung nocurl" line. */
int	rung_parse(const char *out, struct rung_result *res);

/* Run it over s; CN_OK or CN_ERR_* with an unprefixed *msg. */
int	rung_check(struct session *s, const char *upstream, const char *proxy,
	    int timeout_s, struct rung_result *res, char **msg);

#endif

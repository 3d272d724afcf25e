/*
 * Unit tests for remote/upstream.c: is the last rung's proxy there (a TCP
 * connect to its host and port, whatever the scheme, credentials never
 * sent).  Loopback only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "error.h"
#include "upstream.h"

/* A listening socket on 127.0.0.1; its port in *port. */
static int
listener(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static void
test_alive_and_gone(void **state)
{
	static const char *const schemes[] = {
		"http://", "socks5://", "socks5h://", "http://user:pw@",
	};
	char url[128];
	size_t i;
	int s, port;

	(void)state;
	s = listener(&port);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		snprintf(url, sizeof(url), "%s127.0.0.1:%d", schemes[i], port);
		if (upstream_proxy_alive(url, 2) != CN_OK)
			fail_msg("%s: not alive", url);
	}
	close(s);		/* the laptop went away */
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		snprintf(url, sizeof(url), "%s127.0.0.1:%d", schemes[i], port);
		if (upstream_proxy_alive(url, 2) != CN_ERR_CONNECT)
			fail_msg("%s: alive after close", url);
	}
}

static void
test_bad_url(void **state)
{
	(void)state;
	assert_int_equal(upstream_proxy_alive("not a url", 1), CN_ERR_INVALID);
	assert_int_equal(upstream_proxy_alive("", 1), CN_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alive_and_gone),
		cmocka_unit_test(test_bad_url),
	};
	int r;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}

/*
 * Unit tests for the lent proxy's pure parts: the CONNECT head the forward
 * serves, the laptop proxy URL's choice and redaction, the job's proxy
 * file script and what the launch gives the agent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "forward.h"
#include "jobproxy.h"
#include "launch.h"
#include "proxy_dial.h"
#include "rung.h"

static void
test_parse_connect(void **state)
{
	static const struct {
		const char	*head;
		int		 r;
		const char	*host;
		int		 port;
	} t[] = {
		{ "CONNECT huggingface.co:443 HTTP/1.1\r\nHost: huggingface.co:443"
		  "\r\n\r\n", CN_OK, "huggingface.co", 443 },
		{ "CONNECT 127.0.0.3:8080 HTTP/1.0\r\n\r\n", CN_OK, "127.0.0.3",
		  8080 },
		{ "CONNECT [::1]:443 HTTP/1.1\r\n\r\n", CN_OK, "::1", 443 },
		{ "CONNECT cdn-lfs.hf.co:443 HTTP/1.1\r\nProxy-Connection: "
		  "Keep-Alive\r\n", CN_ERR_AGAIN, NULL, 0 },
		{ "GET http://huggingface.co/ HTTP/1.1\r\n\r\n",
		  CN_ERR_UNSUPPORTED, NULL, 0 },
		{ "CONNECT huggingface.co HTTP/1.1\r\n\r\n", CN_ERR_PARSE, NULL,
		  0 },
		{ "CONNECT huggingface.co:0 HTTP/1.1\r\n\r\n", CN_ERR_PARSE,
		  NULL, 0 },
		{ "CONNECT huggingface.co:65536 HTTP/1.1\r\n\r\n", CN_ERR_PARSE,
		  NULL, 0 },
		{ "CONNECT huggingface.co:44x HTTP/1.1\r\n\r\n", CN_ERR_PARSE,
		  NULL, 0 },
		{ "CONNECT a;b:443 HTTP/1.1\r\n\r\n", CN_ERR_PARSE, NULL, 0 },
		{ "CONNECT :443 HTTP/1.1\r\n\r\n", CN_ERR_PARSE, NULL, 0 },
		{ "CONNECT h:443 SSH/2.0\r\n\r\n", CN_ERR_PARSE, NULL, 0 },
		{ "CONNECT [::1]443 HTTP/1.1\r\n\r\n", CN_ERR_PARSE, NULL, 0 },
	};
	char host[256];
	size_t i;
	int port, r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		port = -1;
		r = forward_parse_connect(t[i].head, strlen(t[i].head), host,
		    sizeof(host), &port);
		if (r != t[i].r)
			fail_msg("%zu: '%s': got %d, want %d", i, t[i].head, r,
			    t[i].r);
		if (r == CN_OK) {
			assert_string_equal(host, t[i].host);
			assert_int_equal(port, t[i].port);
		}
	}
}

/* A host name longer than the caller's buffer is refused, not cut. */
static void
test_parse_connect_long_host(void **state)
{
	char head[600], host[16];
	int port;

	(void)state;
	snprintf(head, sizeof(head), "CONNECT %s:443 HTTP/1.1\r\n\r\n",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example");
	assert_int_equal(forward_parse_connect(head, strlen(head), host,
	    sizeof(host), &port), CN_ERR_PARSE);
}

static void
test_url_pick(void **state)
{
	char *url, *msg;

	(void)state;
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	assert_int_equal(proxy_url_pick(NULL, &url, &msg), CN_ERR_NOT_FOUND);
	assert_null(url);
	assert_non_null(strstr(msg, "https_proxy"));
	free(msg);

	setenv("all_proxy", "socks5h://127.0.0.1:7891", 1);
	assert_int_equal(proxy_url_pick("", &url, &msg), CN_OK);
	assert_string_equal(url, "socks5h://127.0.0.1:7891");
	free(url);
	/* https_proxy first */
	setenv("https_proxy", "http://127.0.0.1:7890", 1);
	assert_int_equal(proxy_url_pick(NULL, &url, &msg), CN_OK);
	assert_string_equal(url, "http://127.0.0.1:7890");
	free(url);
	/* the flag's URL over the environment */
	assert_int_equal(proxy_url_pick("socks5://10.0.0.1:1080", &url, &msg),
	    CN_OK);
	assert_string_equal(url, "socks5://10.0.0.1:1080");
	free(url);
	/* an unsupported scheme is refused without its password */
	setenv("https_proxy", "https://u:secret@proxy:443", 1);
	assert_int_equal(proxy_url_pick(NULL, &url, &msg),
	    CN_ERR_UNSUPPORTED);
	assert_null(url);
	assert_null(strstr(msg, "secret"));
	assert_non_null(strstr(msg, "https://proxy:443"));
	assert_non_null(strstr(msg, "from https_proxy"));
	free(msg);
	unsetenv("https_proxy");
	unsetenv("all_proxy");
}

static void
test_url_public(void **state)
{
	char *p;

	(void)state;
	p = proxy_url_public("http://user:pa@ss@127.0.0.1:7890/");
	assert_string_equal(p, "http://127.0.0.1:7890/");
	free(p);
	p = proxy_url_public("http://user:pass@127.0.0.1:7890");
	assert_string_equal(p, "http://127.0.0.1:7890");
	free(p);
	p = proxy_url_public("socks5h://127.0.0.1:1080");
	assert_string_equal(p, "socks5h://127.0.0.1:1080");
	free(p);
	/* an @ after the authority is no user part */
	p = proxy_url_public("http://127.0.0.1:7890/a@b");
	assert_string_equal(p, "http://127.0.0.1:7890/a@b");
	free(p);
}

static void
test_tell_script(void **state)
{
	char *sc;

	(void)state;
	sc = lend_tell_script("Qwen--Qwen2.5-7B@main",
	    "http://127.0.0.1:41234");
	assert_non_null(sc);
	assert_non_null(strstr(sc, "u='http://127.0.0.1:41234'"));
	assert_non_null(strstr(sc, "'Qwen--Qwen2.5-7B@main'"));
	/* no job directory: nothing is written (the agent gets --proxy) */
	assert_non_null(strstr(sc, "[ -d \"$j\" ] || exit 0"));
	assert_non_null(strstr(sc, "mv -f \"$j/.proxy.tmp\" \"$j/proxy\""));
	free(sc);
	/* a quote in a value cannot end the word */
	sc = lend_tell_script("x@main", "http://127.0.0.1:1'; rm -rf ~; '");
	assert_non_null(sc);
	assert_null(strstr(sc, "u='http://127.0.0.1:1'; rm"));
	free(sc);
}

static void
test_launch_gives_proxy(void **state)
{
	struct launch_pull p = { .repo = "org/only-upstream" };
	struct launch_env le = { .payload_id = "abc", .data_dir = "/data",
	    .hf_endpoint = "https://hf-mirror.com" };
	char *sc;

	(void)state;
	sc = launch_script(&le, &p);
	assert_non_null(sc);
	assert_null(strstr(sc, "--proxy"));
	assert_null(strstr(sc, "no_proxy"));
	assert_null(strstr(sc, "--upstream-endpoint"));
	free(sc);
	le.lent_proxy = "http://127.0.0.1:40001";
	le.upstream_endpoint = "https://huggingface.co";
	sc = launch_script(&le, &p);
	assert_non_null(sc);
	assert_non_null(strstr(sc, " --proxy 'http://127.0.0.1:40001'"));
	assert_non_null(strstr(sc,
	    " --upstream-endpoint 'https://huggingface.co'"));
	/* The guide's list first; the configured mirrors may follow. */
	assert_non_null(strstr(sc, "no_proxy='" LAUNCH_NO_PROXY));
	assert_non_null(strstr(sc, "NO_PROXY='" LAUNCH_NO_PROXY));
	/* the guide's list: loopback both ways, domestic with leading dots */
	assert_non_null(strstr(LAUNCH_NO_PROXY, "127.0.0.1,localhost,"));
	assert_non_null(strstr(LAUNCH_NO_PROXY, ",.modelscope.cn,"));
	assert_null(strstr(LAUNCH_NO_PROXY, "*"));
	free(sc);
}

static void
test_rung(void **state)
{
	struct rung_result rr;
	char *sc;

	(void)state;
	assert_int_equal(rung_parse("noise\n=rung 200 0.512\n", &rr), CN_OK);
	assert_true(rr.have_curl);
	assert_true(rr.reachable);
	assert_int_equal(rr.http_code, 200);
	assert_true(rr.seconds > 0.5 && rr.seconds < 0.52);
	assert_int_equal(rung_parse("=rung 000 5.001\n", &rr), CN_OK);
	assert_true(rr.have_curl);
	assert_false(rr.reachable);
	assert_int_equal(rung_parse("=rung nocurl\n", &rr), CN_OK);
	assert_false(rr.have_curl);
	assert_false(rr.reachable);
	assert_int_equal(rung_parse("x=rung 200 1\n", &rr), CN_ERR_PARSE);
	assert_int_equal(rung_parse("=rung banana\n", &rr), CN_ERR_PARSE);
	assert_int_equal(rung_parse("", &rr), CN_ERR_PARSE);

	/* The proxy (maybe with a password) reaches curl through its
	 * environment, not its argv; the request is tunnelled (-p). */
	sc = rung_script("https://huggingface.co", "http://u:pw@10.0.0.1:3128",
	    5);
	assert_non_null(sc);
	assert_non_null(strstr(sc, "P='http://u:pw@10.0.0.1:3128'"));
	assert_null(strstr(sc, "curl -x"));
	assert_null(strstr(sc, "--proxy "));
	assert_non_null(strstr(sc, "https_proxy=\"$P\""));
	assert_non_null(strstr(sc, "curl -s -p "));
	assert_non_null(strstr(sc, "no_proxy= NO_PROXY="));
	free(sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_connect),
		cmocka_unit_test(test_parse_connect_long_host),
		cmocka_unit_test(test_url_pick),
		cmocka_unit_test(test_url_public),
		cmocka_unit_test(test_tell_script),
		cmocka_unit_test(test_launch_gives_proxy),
		cmocka_unit_test(test_rung),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

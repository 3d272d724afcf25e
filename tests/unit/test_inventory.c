/*
 * Unit tests for inventory loading and validation (inventory/inventory.c,
 * schema.c, resolve.c):
 * every malformed input gives its exact message naming the JSON path,
 * the precedence host > defaults > platform > ssh_config > built-in, ~
 * expansion, and every example and profile shipped in inventory/.
 */
#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "error.h"
#include "inventory.h"

#ifndef CN_INVENTORY_SRCDIR
#error "CN_INVENTORY_SRCDIR must name the inventory/ source directory"
#endif

static char home[64];

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int
setup(void **state)
{
	char ssh[128];

	(void)state;
	snprintf(home, sizeof(home), "/tmp/cn-inv-XXXXXX");
	if (mkdtemp(home) == NULL)
		return -1;
	snprintf(ssh, sizeof(ssh), "%s/.ssh", home);
	return mkdir(ssh, 0700);
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(home, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* No ssh_config: only the inventory and the built-ins. */
static const struct inventory_opts no_ssh = { .home = "/h", .ssh_config = "" };

struct bad_case {
	const char	*json;
	int		 r;
	const char	*msg;	/* after "inventory 'x.json': " */
};

#define H(body)	"{\"hosts\":{\"a\":{" body "}}}"
#define P(body)	H("\"pulls\":[" body "]")

static const struct bad_case bad_cases[] = {
	/* JSON syntax: jansson's text with line and column. */
	{ "{\"hosts\": {,}}", CN_ERR_PARSE,
	  "line 1 column 12: string or '}' expected near ','" },
	{ "{\n  \"hosts\": {}\n", CN_ERR_PARSE,
	  "line 3 column 0: '}' expected near end of file" },
	{ "{\"hosts\":{\"a\":{\"port\":1,\"port\":2}}}", CN_ERR_PARSE,
	  "line 1 column 30: duplicate object key near '\"port\"'" },
	{ "[]", CN_ERR_INVALID, "expected a JSON object at the top" },
	/* Top level. */
	{ "{\"host\":{}}", CN_ERR_INVALID,
	  "host: unknown key (did you mean 'hosts'?)" },
	{ "{\"defualts\":{}}", CN_ERR_INVALID,
	  "defualts: unknown key (did you mean 'defaults'?)" },
	{ "{\"version\":1}", CN_ERR_INVALID, "version: unknown key" },
	{ "{\"hosts\":[]}", CN_ERR_INVALID, "hosts: expected an object" },
	{ "{\"hosts\":{\"a\":1}}", CN_ERR_INVALID,
	  "hosts.a: expected an object" },
	{ "{\"hosts\":{\"all\":{}}}", CN_ERR_INVALID,
	  "hosts.all: 'all' is reserved (it selects every host)" },
	{ "{\"hosts\":{\"bad name\":{}}}", CN_ERR_INVALID, "hosts.bad name: "
	  "invalid host name (use letters, digits, '.', '_', '-')" },
	{ "{\"hosts\":{\"!x\":{}}}", CN_ERR_INVALID, "hosts.!x: "
	  "invalid host name (use letters, digits, '.', '_', '-')" },
	{ "{\"hosts\":{\"-x\":{}}}", CN_ERR_INVALID, "hosts.-x: "
	  "invalid host name (use letters, digits, '.', '_', '-')" },
	/* Unknown keys and did-you-mean. */
	{ H("\"prot\":22"), CN_ERR_INVALID,
	  "hosts.a.prot: unknown key (did you mean 'port'?)" },
	{ H("\"Port\":22"), CN_ERR_INVALID,
	  "hosts.a.Port: unknown key (did you mean 'port'?)" },
	{ H("\"usr\":\"x\""), CN_ERR_INVALID,
	  "hosts.a.usr: unknown key (did you mean 'user'?)" },
	{ H("\"hostname\":\"x\""), CN_ERR_INVALID,
	  "hosts.a.hostname: unknown key (did you mean 'host'?)" },
	{ H("\"datadir\":\"/x\""), CN_ERR_INVALID,
	  "hosts.a.datadir: unknown key (did you mean 'data_dir'?)" },
	{ H("\"flavour\":1"), CN_ERR_INVALID, "hosts.a.flavour: unknown key" },
	{ H("\"description\":\"x\""), CN_ERR_INVALID,
	  "hosts.a.description: unknown key" },
	{ H("\"password\":\"hunter2\""), CN_ERR_INVALID,
	  "hosts.a.password: passwords are never stored in the inventory: "
	  "put it in an environment variable and name that in "
	  "'password_env'" },
	{ "{\"defaults\":{\"password\":\"x\"}}", CN_ERR_INVALID,
	  "defaults.password: passwords are never stored in the inventory: "
	  "put it in an environment variable and name that in "
	  "'password_env'" },
	/* Types and values. */
	{ H("\"port\":0"), CN_ERR_INVALID,
	  "hosts.a.port: expected an integer 1-65535" },
	{ H("\"port\":65536"), CN_ERR_INVALID,
	  "hosts.a.port: expected an integer 1-65535" },
	{ H("\"port\":\"22\""), CN_ERR_INVALID,
	  "hosts.a.port: expected an integer 1-65535" },
	{ H("\"port\":22.0"), CN_ERR_INVALID,
	  "hosts.a.port: expected an integer 1-65535" },
	{ H("\"port\":null"), CN_ERR_INVALID,
	  "hosts.a.port: expected an integer 1-65535" },
	{ "{\"defaults\":{\"port\":true}}", CN_ERR_INVALID,
	  "defaults.port: expected an integer 1-65535" },
	{ H("\"host\":\"\""), CN_ERR_INVALID,
	  "hosts.a.host: expected a host name or address" },
	{ H("\"host\":\"a b\""), CN_ERR_INVALID,
	  "hosts.a.host: expected a host name or address" },
	{ H("\"host\":\"-oProxyCommand=x\""), CN_ERR_INVALID,
	  "hosts.a.host: expected a host name or address" },
	{ H("\"user\":\"bad user\""), CN_ERR_INVALID,
	  "hosts.a.user: expected a user name (letters, digits, '.', '_', '-')" },
	{ H("\"user\":[]"), CN_ERR_INVALID,
	  "hosts.a.user: expected a user name (letters, digits, '.', '_', '-')" },
	{ H("\"identity_file\":5"), CN_ERR_INVALID,
	  "hosts.a.identity_file: expected a non-empty path" },
	{ H("\"identity_file\":\"~bob/k\""), CN_ERR_INVALID,
	  "hosts.a.identity_file: '~user' paths are not supported, use an "
	  "absolute path" },
	{ H("\"known_hosts\":\"\""), CN_ERR_INVALID,
	  "hosts.a.known_hosts: expected a non-empty path" },
	{ H("\"known_hosts\":null"), CN_ERR_INVALID,
	  "hosts.a.known_hosts: expected a non-empty path" },
	{ H("\"password_env\":\"1PASS\""), CN_ERR_INVALID,
	  "hosts.a.password_env: expected the name of an environment variable "
	  "(letters, digits, '_')" },
	{ H("\"password_env\":\"A-B\""), CN_ERR_INVALID,
	  "hosts.a.password_env: expected the name of an environment variable "
	  "(letters, digits, '_')" },
	{ H("\"known_hosts_policy\":\"yes\""), CN_ERR_INVALID,
	  "hosts.a.known_hosts_policy: expected 'strict' or 'accept-new'" },
	{ H("\"platform\":\"vast\""), CN_ERR_INVALID,
	  "hosts.a.platform: unknown platform 'vast' (known: autodl, "
	  "featurize, generic, gpushare, matpool)" },
	{ "{\"defaults\":{\"platform\":3}}", CN_ERR_INVALID,
	  "defaults.platform: expected a platform name (known: autodl, "
	  "featurize, generic, gpushare, matpool)" },
	{ H("\"data_dir\":\"data\""), CN_ERR_INVALID,
	  "hosts.a.data_dir: expected an absolute path or one starting with "
	  "'~/' or '$HOME/', without spaces or shell metacharacters" },
	{ H("\"data_dir\":\"/x; rm -rf /\""), CN_ERR_INVALID,
	  "hosts.a.data_dir: expected an absolute path or one starting with "
	  "'~/' or '$HOME/', without spaces or shell metacharacters" },
	{ H("\"data_dir\":\"~bob/x\""), CN_ERR_INVALID,
	  "hosts.a.data_dir: expected an absolute path or one starting with "
	  "'~/' or '$HOME/', without spaces or shell metacharacters" },
	{ H("\"data_dir\":\"$(id)\""), CN_ERR_INVALID,
	  "hosts.a.data_dir: expected an absolute path or one starting with "
	  "'~/' or '$HOME/', without spaces or shell metacharacters" },
	{ H("\"connect_timeout\":0"), CN_ERR_INVALID,
	  "hosts.a.connect_timeout: expected an integer 1-600" },
	{ H("\"proxy\":\"127.0.0.1:7890\""), CN_ERR_INVALID,
	  "hosts.a.proxy: expected an http://, https://, socks5:// or "
	  "socks5h:// URL, \"platform\" or null" },
	{ H("\"proxy\":\"ftp://x\""), CN_ERR_INVALID,
	  "hosts.a.proxy: expected an http://, https://, socks5:// or "
	  "socks5h:// URL, \"platform\" or null" },
	/* mirrors "auto" candidates. */
	{ H("\"mirror_candidates\":[]"), CN_ERR_INVALID,
	  "hosts.a.mirror_candidates: expected an object" },
	{ H("\"mirror_candidates\":{\"pip\":[]}"), CN_ERR_INVALID,
	  "hosts.a.mirror_candidates.pip: unknown key (did you mean 'pypi'?)" },
	{ H("\"mirror_candidates\":{\"pypi\":\"https://x\"}"),
	  CN_ERR_INVALID,
	  "hosts.a.mirror_candidates.pypi: expected an array of URLs" },
	{ H("\"mirror_candidates\":{\"conda\":[\"https://x\",\"auto\"]}"),
	  CN_ERR_INVALID, "hosts.a.mirror_candidates.conda[1]: expected an "
	  "http:// or https:// URL" },
	/* Mirrors. */
	{ H("\"mirrors\":\"https://x\""), CN_ERR_INVALID,
	  "hosts.a.mirrors: expected an object" },
	{ H("\"mirrors\":{\"hf\":\"ftp://x\"}"), CN_ERR_INVALID,
	  "hosts.a.mirrors.hf: expected an http:// or https:// URL" },
	{ H("\"mirrors\":{\"hf\":\"auto\"}"), CN_ERR_INVALID,
	  "hosts.a.mirrors.hf: expected an http:// or https:// URL" },
	{ H("\"mirrors\":{\"modelscope\":\"https://\"}"), CN_ERR_INVALID,
	  "hosts.a.mirrors.modelscope: expected an http:// or https:// URL" },
	{ H("\"mirrors\":{\"pypi\":\"pypi.org\"}"), CN_ERR_INVALID,
	  "hosts.a.mirrors.pypi: expected an http:// or https:// URL or "
	  "'auto'" },
	{ H("\"mirrors\":{\"conda\":\"https://a b\"}"), CN_ERR_INVALID,
	  "hosts.a.mirrors.conda: expected an http:// or https:// URL or "
	  "'auto'" },
	{ H("\"mirrors\":{\"hff\":\"https://x\"}"), CN_ERR_INVALID,
	  "hosts.a.mirrors.hff: unknown key (did you mean 'hf'?)" },
	/* Pulls. */
	{ H("\"pulls\":{}"), CN_ERR_INVALID, "hosts.a.pulls: expected an array" },
	{ P("5"), CN_ERR_INVALID,
	  "hosts.a.pulls[0]: expected an object or an 'org/name' string" },
	{ P("{}"), CN_ERR_INVALID, "hosts.a.pulls[0]: missing 'repo'" },
	{ P("\"a/b\",\"noslash\""), CN_ERR_INVALID, "hosts.a.pulls[1]: "
	  "expected 'org/name' (letters, digits, '.', '_', '-')" },
	{ P("{\"repo\":\"a/b/c\"}"), CN_ERR_INVALID, "hosts.a.pulls[0].repo: "
	  "expected 'org/name' (letters, digits, '.', '_', '-')" },
	{ P("{\"repo\":\"../etc\"}"), CN_ERR_INVALID, "hosts.a.pulls[0].repo: "
	  "expected 'org/name' (letters, digits, '.', '_', '-')" },
	{ P("{\"repo\":\"a/-rf\"}"), CN_ERR_INVALID, "hosts.a.pulls[0].repo: "
	  "expected 'org/name' (letters, digits, '.', '_', '-')" },
	{ P("{\"repo\":\"a/b c\"}"), CN_ERR_INVALID, "hosts.a.pulls[0].repo: "
	  "expected 'org/name' (letters, digits, '.', '_', '-')" },
	{ P("{\"repo\":\"a/b\",\"revision\":\"a b\"}"), CN_ERR_INVALID,
	  "hosts.a.pulls[0].revision: expected a branch, tag or commit "
	  "(letters, digits, '.', '_', '-', '/')" },
	{ P("{\"repo\":\"a/b\",\"revision\":\"../x\"}"), CN_ERR_INVALID,
	  "hosts.a.pulls[0].revision: expected a branch, tag or commit "
	  "(letters, digits, '.', '_', '-', '/')" },
	{ P("{\"repo\":\"a/b\",\"source\":\"github\"}"), CN_ERR_INVALID,
	  "hosts.a.pulls[0].source: expected 'hf', 'modelscope' or 'auto'" },
	{ P("{\"repo\":\"a/b\",\"repo_type\":\"space\"}"), CN_ERR_INVALID,
	  "hosts.a.pulls[0].repo_type: expected 'model' or 'dataset'" },
	{ P("{\"repo\":\"a/b\",\"type\":\"model\"}"), CN_ERR_INVALID,
	  "hosts.a.pulls[0].type: unknown key (did you mean 'repo_type'?)" },
	{ P("{\"repo\":\"a/b\",\"revison\":\"main\"}"), CN_ERR_INVALID,
	  "hosts.a.pulls[0].revison: unknown key (did you mean 'revision'?)" },
	{ P("{\"repo\":\"a/b\",\"include\":\"*.json\"}"), CN_ERR_INVALID,
	  "hosts.a.pulls[0].include: expected an array of globs" },
	{ P("\"a/b\",{\"repo\":\"a/b\",\"exclude\":[\"x\",\"\"]}"),
	  CN_ERR_INVALID,
	  "hosts.a.pulls[1].exclude[1]: expected a non-empty string" },
	/* Tokens, the upstream hub, laptop proxies (issues 10 and 13). */
	{ H("\"hf_token_env\":\"HF-TOKEN\""), CN_ERR_INVALID,
	  "hosts.a.hf_token_env: expected the name of an environment "
	  "variable (letters, digits, '_')" },
	{ H("\"modelscope_token_env\":\"\""), CN_ERR_INVALID,
	  "hosts.a.modelscope_token_env: expected the name of an environment "
	  "variable (letters, digits, '_')" },
	{ H("\"hf_token\":\"hf_x\""), CN_ERR_INVALID,
	  "hosts.a.hf_token: tokens are never stored in the inventory: put it "
	  "in an environment variable and name that in 'hf_token_env'" },
	{ H("\"modelscope_token\":\"x\""), CN_ERR_INVALID,
	  "hosts.a.modelscope_token: tokens are never stored in the inventory: "
	  "put it in an environment variable and name that in "
	  "'modelscope_token_env'" },
	{ H("\"proxy_in_shells\":\"yes\""), CN_ERR_INVALID,
	  "hosts.a.proxy_in_shells: expected true or false" },
	{ H("\"proxy\":\"Platform\""), CN_ERR_INVALID,
	  "hosts.a.proxy: expected an http://, https://, socks5:// or "
	  "socks5h:// URL, \"platform\" or null" },
	/* The platform's proxy is never a shell's: in one object, and over
	 * the layers (the autodl profile's with the host's flag). */
	{ H("\"proxy\":\"platform\",\"proxy_in_shells\":true"),
	  CN_ERR_INVALID, "hosts.a.proxy_in_shells: not with proxy "
	  "\"platform\": the platform's proxy is read from its file at launch "
	  "for the huggingface.co rung only and never written into shells; "
	  "drop proxy_in_shells or give a proxy URL" },
	{ H("\"platform\":\"autodl\",\"proxy_in_shells\":true"),
	  CN_ERR_INVALID, "hosts.a.proxy_in_shells: not with proxy "
	  "\"platform\": the platform's proxy is read from its file at launch "
	  "for the huggingface.co rung only and never written into shells; "
	  "drop proxy_in_shells or give a proxy URL" },
	{ H("\"mirrors\":{\"huggingface\":\"huggingface.co\"}"),
	  CN_ERR_INVALID, "hosts.a.mirrors.huggingface: expected an http:// "
	  "or https:// URL" },
	{ H("\"mirrors\":{\"hf\":\"https://u:pw@mirror.example\"}"),
	  CN_ERR_INVALID, "hosts.a.mirrors.hf: credentials in a mirror URL are "
	  "refused: it is shown in job files, logs and 'hosts --json'; use a "
	  "mirror that needs none (only 'proxy' may carry user:password@)" },
	{ H("\"mirror_candidates\":{\"pypi\":[\"https://u@p.example\"]}"),
	  CN_ERR_INVALID, "hosts.a.mirror_candidates.pypi[0]: credentials in a "
	  "mirror URL are refused: it is shown in job files, logs and 'hosts "
	  "--json'; use a mirror that needs none (only 'proxy' may carry "
	  "user:password@)" },
	{ P("{\"repo\":\"a/b\",\"via_laptop_proxy\":\"127.0.0.1:7890\"}"),
	  CN_ERR_INVALID, "hosts.a.pulls[0].via_laptop_proxy: expected true, "
	  "false or an http://, socks5:// or socks5h:// proxy URL" },
	{ P("{\"repo\":\"a/b\",\"modelscope_repo\":\"a/b;id\"}"),
	  CN_ERR_INVALID, "hosts.a.pulls[0].modelscope_repo: expected "
	  "'org/name' (letters, digits, '.', '_', '-')" },
	{ P("{\"repo\":\"a/b\",\"include\":[\"x\\ny\"]}"),
	  CN_ERR_INVALID, "hosts.a.pulls[0].include[0]: expected a non-empty "
	  "glob without control characters (at most 1024 bytes)" },
	{ P("\"org/a--b\""), CN_ERR_INVALID, "hosts.a.pulls[0]: expected "
	  "'org/name' (letters, digits, '.', '_', '-')" },
	/* Groups. */
	{ "{\"hosts\":{\"autodl-01\":{}},\"groups\":{\"train\":[\"autodl-01\","
	  "\"autodl-1\"]}}", CN_ERR_INVALID,
	  "groups.train[1]: unknown host 'autodl-1' (did you mean "
	  "'autodl-01'?)" },
	{ "{\"hosts\":{\"a\":{}},\"groups\":{\"train\":[\"zzzzzz\"]}}",
	  CN_ERR_INVALID, "groups.train[0]: unknown host 'zzzzzz'" },
	{ "{\"hosts\":{\"a\":{}},\"groups\":{\"train\":[\"a\",1]}}",
	  CN_ERR_INVALID, "groups.train[1]: expected a host name" },
	{ "{\"hosts\":{\"a\":{}},\"groups\":{\"train\":\"a\"}}",
	  CN_ERR_INVALID, "groups.train: expected an array of host names" },
	{ "{\"hosts\":{\"a\":{}},\"groups\":{\"a\":[]}}",
	  CN_ERR_INVALID, "groups.a: a host has the same name" },
	{ "{\"groups\":{\"all\":[]}}", CN_ERR_INVALID,
	  "groups.all: 'all' is reserved (it selects every host)" },
	{ "{\"groups\":[]}", CN_ERR_INVALID, "groups: expected an object" },
	{ "{\"groups\":{\"a,b\":[]}}", CN_ERR_INVALID,
	  "groups.a,b: invalid group name (use letters, digits, '.', '_', '-')" },
};

static void
test_bad_table(void **state)
{
	struct inventory *inv;
	char *msg, want[512];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		inv = (struct inventory *)&inv;	/* must be reset */
		msg = (char *)"unset";
		r = inventory_load_string(bad_cases[i].json, "x.json", &no_ssh,
		    &inv, &msg);
		snprintf(want, sizeof(want), "inventory 'x.json': %s",
		    bad_cases[i].msg);
		if (r != bad_cases[i].r || msg == NULL ||
		    strcmp(msg, want) != 0)
			fail_msg("case %zu: %s\n got r=%d '%s'\nwant r=%d '%s'",
			    i, bad_cases[i].json, r, msg != NULL ? msg : "(null)",
			    bad_cases[i].r, want);
		assert_null(inv);
		free(msg);
	}
}

static struct inventory *
load_ok(const char *json, const struct inventory_opts *opts)
{
	struct inventory *inv;
	char *msg;
	int r;

	r = inventory_load_string(json, "t.json", opts, &inv, &msg);
	if (r != CN_OK)
		fail_msg("load: %s", msg);
	assert_null(msg);
	assert_non_null(inv);
	return inv;
}

static void
test_builtin_defaults(void **state)
{
	struct inventory *inv;
	const struct host *h;

	(void)state;
	inv = load_ok("{\"hosts\":{\"a\":{}}}", &no_ssh);
	assert_int_equal(inventory_count(inv), 1);
	h = inventory_get(inv, 0);
	assert_ptr_equal(h, inventory_find(inv, "a"));
	assert_null(inventory_find(inv, "b"));
	assert_null(inventory_get(inv, 1));
	assert_string_equal(h->name, "a");
	assert_string_equal(h->hostname, "a");
	assert_int_equal(h->port, 22);
	assert_string_equal(h->user, "root");
	assert_null(h->identity_file);
	assert_null(h->password_env);
	assert_string_equal(h->known_hosts, "/h/.ssh/known_hosts");
	assert_string_equal(h->known_hosts_policy, "strict");
	assert_null(h->platform);
	assert_string_equal(h->data_dir, "~/cnorch-data");
	assert_string_equal(h->mirrors.hf, "https://hf-mirror.com");
	assert_string_equal(h->mirrors.modelscope, "https://www.modelscope.cn");
	assert_string_equal(h->mirrors.pypi,
	    "https://pypi.tuna.tsinghua.edu.cn/simple");
	assert_string_equal(h->mirrors.conda,
	    "https://mirrors.tuna.tsinghua.edu.cn/anaconda");
	assert_null(h->proxy);
	assert_int_equal(h->npulls, 0);
	assert_null(h->pulls);
	assert_int_equal(h->connect_timeout, 10);
	assert_false(h->from_ssh_config);
	inventory_destroy(inv);

	/* Empty inventories are valid. */
	inv = load_ok("{}", &no_ssh);
	assert_int_equal(inventory_count(inv), 0);
	inventory_destroy(inv);
	inventory_destroy(NULL);
	assert_int_equal(inventory_count(NULL), 0);
}

/* The fields of issues 10 and 13: defaults, layering and pull options. */
static void
test_new_fields(void **state)
{
	struct inventory *inv;
	const struct host *h;

	(void)state;
	inv = load_ok("{\"hosts\":{\"a\":{}}}", &no_ssh);
	h = inventory_get(inv, 0);
	assert_null(h->hf_token_env);
	assert_null(h->modelscope_token_env);
	assert_string_equal(h->mirrors.huggingface, "https://huggingface.co");
	assert_false(h->proxy_in_shells);
	inventory_destroy(inv);

	inv = load_ok("{"
	    "\"defaults\":{\"hf_token_env\":\"HF_TOKEN\","
	    "  \"modelscope_token_env\":\"MODELSCOPE_API_TOKEN\","
	    "  \"proxy\":\"http://u:pw@10.0.0.1:3128\","
	    "  \"proxy_in_shells\":true,"
	    "  \"mirrors\":{\"huggingface\":\"http://127.0.0.1:9/\"}},"
	    "\"hosts\":{"
	    "  \"a\":{\"pulls\":[{\"repo\":\"org/x\",\"via_laptop_proxy\":true,"
	    "    \"modelscope_repo\":\"ms-org/x\"},"
	    "    {\"repo\":\"org/y\",\"via_laptop_proxy\":"
	    "    \"socks5h://127.0.0.1:1080\"},"
	    "    {\"repo\":\"org/z\",\"via_laptop_proxy\":false}]},"
	    "  \"b\":{\"hf_token_env\":null,\"proxy_in_shells\":false}}}",
	    &no_ssh);
	h = inventory_find(inv, "a");
	assert_string_equal(h->hf_token_env, "HF_TOKEN");
	assert_string_equal(h->modelscope_token_env, "MODELSCOPE_API_TOKEN");
	assert_string_equal(h->proxy, "http://u:pw@10.0.0.1:3128");
	assert_true(h->proxy_in_shells);
	assert_string_equal(h->mirrors.huggingface, "http://127.0.0.1:9/");
	assert_string_equal(h->mirrors.hf, "https://hf-mirror.com");
	assert_int_equal(h->npulls, 3);
	assert_true(h->pulls[0].via_laptop_proxy);
	assert_null(h->pulls[0].laptop_proxy);
	assert_string_equal(h->pulls[0].modelscope_repo, "ms-org/x");
	assert_true(h->pulls[1].via_laptop_proxy);
	assert_string_equal(h->pulls[1].laptop_proxy,
	    "socks5h://127.0.0.1:1080");
	assert_null(h->pulls[1].modelscope_repo);
	assert_false(h->pulls[2].via_laptop_proxy);
	assert_null(h->pulls[2].laptop_proxy);
	h = inventory_find(inv, "b");
	assert_null(h->hf_token_env);	/* null stops the lookup */
	assert_string_equal(h->modelscope_token_env, "MODELSCOPE_API_TOKEN");
	assert_false(h->proxy_in_shells);
	inventory_destroy(inv);
}

static void
test_precedence(void **state)
{
	struct inventory *inv;
	const struct host *h;

	(void)state;
	inv = load_ok("{"
	    "\"defaults\":{\"platform\":\"featurize\",\"password_env\":\"PW\","
	    "  \"connect_timeout\":20,\"proxy\":\"http://p:1\","
	    "  \"mirrors\":{\"hf\":\"https://d.example\",\"pypi\":\"auto\"},"
	    "  \"pulls\":[\"d/one\"]},"
	    "\"hosts\":{"
	    " \"plain\":{},"
	    " \"own\":{\"user\":\"me\",\"data_dir\":\"$HOME/x\","
	    "   \"password_env\":null,\"proxy\":null,\"connect_timeout\":5,"
	    "   \"mirrors\":{\"pypi\":\"https://p.example/simple\"},"
	    "   \"pulls\":[{\"repo\":\"o/two\",\"revision\":\"v1\","
	    "     \"source\":\"modelscope\",\"repo_type\":\"dataset\","
	    "     \"include\":[\"*.json\",\"*.txt\"],\"exclude\":[\"x/*\"]},"
	    "     \"o/three\"]},"
	    " \"noplat\":{\"platform\":null},"
	    " \"auto\":{\"platform\":\"autodl\"}"
	    "}}", &no_ssh);
	assert_int_equal(inventory_count(inv), 4);

	/* defaults, then the featurize profile, then built-ins. */
	h = inventory_find(inv, "plain");
	assert_string_equal(h->platform, "featurize");
	assert_string_equal(h->user, "featurize");
	assert_string_equal(h->data_dir, "/home/featurize/data");
	assert_string_equal(h->password_env, "PW");
	assert_int_equal(h->connect_timeout, 20);
	assert_string_equal(h->proxy, "http://p:1");
	assert_string_equal(h->mirrors.hf, "https://d.example");
	assert_string_equal(h->mirrors.pypi, "auto");
	assert_string_equal(h->mirrors.modelscope, "https://www.modelscope.cn");
	assert_int_equal(h->npulls, 1);
	assert_string_equal(h->pulls[0].repo, "d/one");
	assert_string_equal(h->pulls[0].revision, "main");
	assert_string_equal(h->pulls[0].source, "auto");
	assert_string_equal(h->pulls[0].repo_type, "model");
	assert_int_equal(h->pulls[0].ninclude, 0);
	assert_int_equal(h->pulls[0].nexclude, 0);

	/* The host beats defaults and profile; null means none; mirrors
	 * merge key by key; pulls replace. */
	h = inventory_find(inv, "own");
	assert_string_equal(h->user, "me");
	assert_string_equal(h->data_dir, "$HOME/x");
	assert_null(h->password_env);
	assert_null(h->proxy);
	assert_int_equal(h->connect_timeout, 5);
	assert_string_equal(h->mirrors.hf, "https://d.example");
	assert_string_equal(h->mirrors.pypi, "https://p.example/simple");
	assert_int_equal(h->npulls, 2);
	assert_string_equal(h->pulls[0].repo, "o/two");
	assert_string_equal(h->pulls[0].revision, "v1");
	assert_string_equal(h->pulls[0].source, "modelscope");
	assert_string_equal(h->pulls[0].repo_type, "dataset");
	assert_int_equal(h->pulls[0].ninclude, 2);
	assert_string_equal(h->pulls[0].include[1], "*.txt");
	assert_int_equal(h->pulls[0].nexclude, 1);
	assert_string_equal(h->pulls[0].exclude[0], "x/*");
	assert_string_equal(h->pulls[1].repo, "o/three");

	/* platform null drops the defaults' profile. */
	h = inventory_find(inv, "noplat");
	assert_null(h->platform);
	assert_string_equal(h->user, "root");
	assert_string_equal(h->data_dir, "~/cnorch-data");

	h = inventory_find(inv, "auto");
	assert_string_equal(h->platform, "autodl");
	assert_string_equal(h->user, "root");
	assert_string_equal(h->data_dir, "/root/autodl-tmp");
	inventory_destroy(inv);

	/* mirror_candidates: merged key by key, none by default. */
	inv = load_ok("{\"defaults\":{\"mirror_candidates\":{"
	    "  \"pypi\":[\"http://127.0.0.1:1/simple\"],"
	    "  \"conda\":[\"https://c.example/anaconda\"]}},"
	    "\"hosts\":{\"a\":{},\"b\":{\"mirror_candidates\":{"
	    "  \"pypi\":[\"http://127.0.0.1:2/simple\","
	    "  \"http://127.0.0.1:3/simple\"]}}}}", &no_ssh);
	h = inventory_find(inv, "a");
	assert_int_equal(h->mirror_candidates.npypi, 1);
	assert_string_equal(h->mirror_candidates.pypi[0],
	    "http://127.0.0.1:1/simple");
	assert_int_equal(h->mirror_candidates.nconda, 1);
	h = inventory_find(inv, "b");
	assert_int_equal(h->mirror_candidates.npypi, 2);
	assert_string_equal(h->mirror_candidates.pypi[1],
	    "http://127.0.0.1:3/simple");
	assert_int_equal(h->mirror_candidates.nconda, 1);
	assert_string_equal(h->mirror_candidates.conda[0],
	    "https://c.example/anaconda");
	inventory_destroy(inv);
	inv = load_ok("{\"hosts\":{\"a\":{}}}", &no_ssh);
	assert_int_equal(inventory_get(inv, 0)->mirror_candidates.npypi, 0);
	assert_null(inventory_get(inv, 0)->mirror_candidates.pypi);
	assert_int_equal(inventory_get(inv, 0)->mirror_candidates.nconda, 0);
	inventory_destroy(inv);

	/* defaults beat the profile. */
	inv = load_ok("{\"defaults\":{\"user\":\"root\"},\"hosts\":{\"f\":"
	    "{\"platform\":\"featurize\"}}}", &no_ssh);
	assert_string_equal(inventory_get(inv, 0)->user, "root");
	assert_string_equal(inventory_get(inv, 0)->data_dir,
	    "/home/featurize/data");
	inventory_destroy(inv);
}

static void
test_tilde(void **state)
{
	struct inventory *inv;
	const struct host *h;

	(void)state;
	inv = load_ok("{\"hosts\":{"
	    "\"a\":{\"identity_file\":\"~/.ssh/k\",\"known_hosts\":\"~\","
	    "  \"data_dir\":\"~/models\"},"
	    "\"b\":{\"identity_file\":\"/abs/k\",\"known_hosts\":\"rel/kh\","
	    "  \"data_dir\":\"~\"},"
	    "\"c\":{\"data_dir\":\"${HOME}/d\"}"
	    "}}", &no_ssh);
	h = inventory_find(inv, "a");
	assert_string_equal(h->identity_file, "/h/.ssh/k");
	assert_string_equal(h->known_hosts, "/h");
	assert_string_equal(h->data_dir, "~/models");	/* remote: kept */
	h = inventory_find(inv, "b");
	assert_string_equal(h->identity_file, "/abs/k");
	assert_string_equal(h->known_hosts, "rel/kh");
	assert_string_equal(h->data_dir, "~");
	assert_string_equal(inventory_find(inv, "c")->data_dir, "${HOME}/d");
	inventory_destroy(inv);
}

static char *
put(const char *rel, const char *text)
{
	char *p;
	FILE *fp;

	assert_true(asprintf(&p, "%s/%s", home, rel) > 0);
	assert_non_null(fp = fopen(p, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	return p;
}

static void
test_ssh_config_layer(void **state)
{
	struct inventory_opts opts = { .home = home, .ssh_config = NULL };
	struct inventory *inv;
	const struct host *h;
	char *cfg, want[256];

	(void)state;
	/* ssh_config defaults to <home>/.ssh/config. */
	cfg = put(".ssh/config",
	    "Host a\n HostName a.example\n Port 2200\n User bob\n"
	    " IdentityFile ~/.ssh/id_a\n"
	    "Host real.example\n User realuser\n Port 2300\n"
	    "Host *\n User star\n");
	inv = load_ok("{\"hosts\":{"
	    "\"a\":{},"
	    "\"a2\":{\"host\":\"a\"},"		/* looked up by its host */
	    "\"a3\":{\"host\":\"real.example\",\"port\":1},"
	    "\"f\":{\"platform\":\"featurize\"},"
	    "\"own\":{\"identity_file\":null,\"user\":\"u\"}"
	    "}}", &opts);
	h = inventory_find(inv, "a");
	assert_string_equal(h->hostname, "a.example");
	assert_int_equal(h->port, 2200);
	assert_string_equal(h->user, "bob");
	snprintf(want, sizeof(want), "%s/.ssh/id_a", home);
	assert_string_equal(h->identity_file, want);
	snprintf(want, sizeof(want), "%s/.ssh/known_hosts", home);
	assert_string_equal(h->known_hosts, want);
	assert_false(h->from_ssh_config);

	/* The inventory's host wins over HostName, but the alias's other
	 * values still apply. */
	h = inventory_find(inv, "a2");
	assert_string_equal(h->hostname, "a");
	assert_int_equal(h->port, 2200);
	assert_string_equal(h->user, "bob");

	h = inventory_find(inv, "a3");
	assert_string_equal(h->hostname, "real.example");
	assert_int_equal(h->port, 1);
	assert_string_equal(h->user, "realuser");
	assert_null(h->identity_file);

	/* The platform's user beats a catch-all User. */
	h = inventory_find(inv, "f");
	assert_string_equal(h->user, "featurize");
	assert_string_equal(h->hostname, "f");
	assert_int_equal(h->port, 22);

	h = inventory_find(inv, "own");
	assert_string_equal(h->user, "u");
	assert_null(h->identity_file);
	inventory_destroy(inv);

	/* A catch-all User beats the built-in root. */
	inv = load_ok("{\"hosts\":{\"z\":{}}}", &opts);
	assert_string_equal(inventory_get(inv, 0)->user, "star");
	inventory_destroy(inv);
	free(cfg);
}

static void
test_bad_ssh_config(void **state)
{
	struct inventory_opts opts = { .home = home, .ssh_config = NULL };
	struct inventory *inv;
	char *cfg, *msg, want[256];

	(void)state;
	opts.ssh_config = cfg = put("bad_config", "Host a\n Port x\n");
	assert_int_equal(inventory_load_string("{\"hosts\":{\"a\":{}}}",
	    "t.json", &opts, &inv, &msg), CN_ERR_PARSE);
	assert_null(inv);
	snprintf(want, sizeof(want), "ssh config '%s' line 2: bad port 'x'",
	    cfg);
	assert_string_equal(msg, want);
	free(msg);
	free(cfg);
}

static void
test_load_file(void **state)
{
	struct inventory *inv;
	char *msg, *path, want[256];

	(void)state;
	assert_int_equal(inventory_load("/nonexistent/x.json", &no_ssh, &inv,
	    &msg), CN_ERR_NOT_FOUND);
	assert_null(inv);
	assert_string_equal(msg, "cannot read inventory '/nonexistent/x.json': "
	    "No such file or directory");
	free(msg);

	path = put("bad.json", "{\n  \"hosts\": {\n    \"a\": {\"port\": 0}\n"
	    "  }\n}\n");
	assert_int_equal(inventory_load(path, &no_ssh, &inv, &msg),
	    CN_ERR_INVALID);
	snprintf(want, sizeof(want), "inventory '%s': hosts.a.port: expected "
	    "an integer 1-65535", path);
	assert_string_equal(msg, want);
	free(msg);
	free(path);

	path = put("syntax.json", "{\n  \"hosts\": {\n    \"a\": {\"port\" 0}\n"
	    "  }\n}\n");
	assert_int_equal(inventory_load(path, &no_ssh, &inv, &msg),
	    CN_ERR_PARSE);
	snprintf(want, sizeof(want), "inventory '%s': line 3 column 18: ':' "
	    "expected near '0'", path);
	assert_string_equal(msg, want);
	free(msg);
	free(path);

	path = put("ok.json", "{\"hosts\":{\"b\":{},\"a\":{}}}");
	assert_int_equal(inventory_load(path, &no_ssh, &inv, &msg), CN_OK);
	assert_null(msg);
	/* File order, not sorted. */
	assert_string_equal(inventory_get(inv, 0)->name, "b");
	assert_string_equal(inventory_get(inv, 1)->name, "a");
	inventory_destroy(inv);
	free(path);
}

/* Every example shipped must load. */
static void
test_examples(void **state)
{
	struct inventory *inv;
	struct dirent *d;
	DIR *dir;
	char path[1024], *msg;
	size_t n = 0, len;
	int r;

	(void)state;
	assert_non_null(dir = opendir(CN_INVENTORY_SRCDIR "/examples"));
	while ((d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (len < 6 || strcmp(d->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/examples/%s",
		    CN_INVENTORY_SRCDIR, d->d_name);
		r = inventory_load(path, &no_ssh, &inv, &msg);
		if (r != CN_OK)
			fail_msg("%s", msg);
		assert_true(inventory_count(inv) > 0);
		inventory_destroy(inv);
		n++;
	}
	closedir(dir);
	assert_true(n >= 3);
}

/* The compiled-in profiles say what the platforms' docs say. */
static void
test_profiles(void **state)
{
	static const struct {
		const char	*platform;
		const char	*user;
		const char	*data_dir;
	} want[] = {
		{ "autodl",	"root",		"/root/autodl-tmp" },
		{ "featurize",	"featurize",	"/home/featurize/data" },
		{ "gpushare",	"root",		"/hy-tmp" },
		{ "matpool",	"root",		"/mnt" },
		{ "generic",	"root",		"~/cnorch-data" },
	};
	struct inventory *inv;
	const struct host *h;
	char json[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(json, sizeof(json), "{\"hosts\":{\"h\":{\"platform\":"
		    "\"%s\"}}}", want[i].platform);
		inv = load_ok(json, &no_ssh);
		h = inventory_get(inv, 0);
		assert_string_equal(h->platform, want[i].platform);
		assert_string_equal(h->user, want[i].user);
		assert_string_equal(h->data_dir, want[i].data_dir);
		assert_string_equal(h->mirrors.hf, "https://hf-mirror.com");
		/* AutoDL's academic acceleration is its box proxy. */
		if (strcmp(want[i].platform, "autodl") == 0)
			assert_string_equal(h->proxy, PROXY_PLATFORM);
		else
			assert_null(h->proxy);
		inventory_destroy(inv);
	}
	/* A host's own proxy URL, or null, wins over the profile's. */
	inv = load_ok("{\"hosts\":{\"u\":{\"platform\":\"autodl\","
	    "\"proxy\":\"http://127.0.0.1:3128\",\"proxy_in_shells\":true},"
	    "\"n\":{\"platform\":\"autodl\",\"proxy\":null}}}", &no_ssh);
	h = inventory_find(inv, "u");
	assert_string_equal(h->proxy, "http://127.0.0.1:3128");
	assert_true(h->proxy_in_shells);
	h = inventory_find(inv, "n");
	assert_null(h->proxy);
	inventory_destroy(inv);
}

static void
test_default_path(void **state)
{
	char *p;

	(void)state;
	setenv("CNORCH_INVENTORY", "/env/inv.json", 1);
	setenv("HOME", "/home/t", 1);
	p = inventory_default_path("/flag.json");
	assert_string_equal(p, "/flag.json");
	free(p);
	p = inventory_default_path(NULL);
	assert_string_equal(p, "/env/inv.json");
	free(p);
	setenv("CNORCH_INVENTORY", "", 1);
	p = inventory_default_path(NULL);
	assert_string_equal(p, "/home/t/.config/cnorch/inventory.json");
	free(p);
	unsetenv("CNORCH_INVENTORY");
	p = inventory_default_path(NULL);
	assert_string_equal(p, "/home/t/.config/cnorch/inventory.json");
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_builtin_defaults),
		cmocka_unit_test(test_new_fields),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_tilde),
		cmocka_unit_test(test_ssh_config_layer),
		cmocka_unit_test(test_bad_ssh_config),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_default_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

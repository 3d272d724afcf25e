/*
 * Unit tests for the script builder (box/script.c) and every box script
 * built with it: each builder is driven with hostile values (quotes,
 * $(), backticks, newlines, ';', a leading '-', '*', a 4 KiB string), the
 * result is run with /bin/sh in a scratch HOME whose commands are shims
 * that record their argv and environment, and the test asserts that each
 * value arrives byte-exact and that nothing else ran: every hostile value
 * carries `touch pwned` in three shell spellings, and the file must never
 * appear.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "doctor.h"
#include "endpoints.h"
#include "error.h"
#include "facts.h"
#include "follow.h"
#include "inventory.h"
#include "jobs.h"
#include "launch.h"
#include "payload.h"
#include "script.h"
#include "setup.h"
#include "upload.h"

/* ------------------------------------------------------------ values */

#define NHOSTILE	10

/* Values that may be anything (arguments, exports). */
static char *hostile[NHOSTILE];
/* The same spirit, usable as one path component (no '/', < NAME_MAX). */
static char *hostile_name[NHOSTILE];

static char scratch[256], home[300], bin[300], rec[300];

static void
make_values(void)
{
	static const char *const fixed[] = {
		"it's a 'quoted' \"value\"; touch pwned",
		"$(touch pwned)",
		"`touch pwned`",
		"a\nb;touch pwned;#\n",
		"-rf --help",
		"*",
		"x'$(touch pwned)'y\\'\"$HOME\"",
		"${IFS}$((1+1))!#&|<>~ \t%s%n",
		"",	/* 4 KiB, made below */
		"-",
	};
	size_t i, k;
	char *big;

	big = malloc(4097);
	assert_non_null(big);
	for (k = 0; k < 4096; k++)
		big[k] = "'\"$(`touch pwned`);\n\\ *-x"[k % 24];
	big[4096] = '\0';
	for (i = 0; i < NHOSTILE; i++) {
		hostile[i] = i == 8 ? big : strdup(fixed[i]);
		assert_non_null(hostile[i]);
		/* As a path component: '/' cannot be, and at most 200. */
		hostile_name[i] = strndup(hostile[i], 200);
		assert_non_null(hostile_name[i]);
		for (k = 0; hostile_name[i][k] != '\0'; k++)
			if (hostile_name[i][k] == '/')
				hostile_name[i][k] = '_';
		if (hostile_name[i][0] == '\0' ||
		    strcmp(hostile_name[i], ".") == 0 ||
		    strcmp(hostile_name[i], "..") == 0) {
			free(hostile_name[i]);
			hostile_name[i] = strdup("empty-or-dot");
		}
	}
	/* Two names must not collide when used together. */
	free(hostile_name[9]);
	hostile_name[9] = strdup("-n");
}

/* ---------------------------------------------------------- scratch */

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static void
sh_c(const char *cmd)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
rm_rf(const char *dir)
{
	char *cmd;

	assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	sh_c(cmd);
	free(cmd);
}

/*
 * The shim: records argv ($0's base name first) NUL-separated in
 * $REC/<n>.argv and its environment (env -0) in $REC/<n>.env, then acts
 * a little like the command it stands for.
 */
static const char shim[] =
    "#!/bin/sh\n"
    "n=$(ls \"$REC\" | grep -c argv)\n"
    "b=${0##*/}\n"
    "printf '%s\\0' \"$b\" \"$@\" > \"$REC/$n.argv\"\n"
    "env -0 > \"$REC/$n.env\"\n"
    "case $b in\n"
    "cnorch-agent)\n"
    "\tcase $1 in\n"
    "\tplan) echo '{\"bytes_total\": 1}' ;;\n"
    "\tpull) echo 'started job' ;;\n"
    "\tesac ;;\n"
    "esac\n"
    "exit 0\n";

static void
fresh_home(void)
{
	char *p;

	rm_rf(home);
	rm_rf(rec);
	assert_int_equal(mkdir(home, 0700), 0);
	assert_int_equal(mkdir(rec, 0700), 0);
	assert_true(asprintf(&p, "%s/.cnorch", home) > 0);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	assert_true(asprintf(&p, "%s/.cnorch/payload", home) > 0);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	assert_true(asprintf(&p, "%s/.cnorch/jobs", home) > 0);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
}

/* HOME/.cnorch/<sub>/<name>[/<file>], made with plain syscalls, so the
 * names are exactly the bytes given. */
static char *
under_home(const char *sub, const char *name, const char *file)
{
	char *p;

	if (file != NULL)
		assert_true(asprintf(&p, "%s/.cnorch/%s/%s/%s", home, sub, name,
		    file) > 0);
	else
		assert_true(asprintf(&p, "%s/.cnorch/%s/%s", home, sub, name) >
		    0);
	return p;
}

/* A payload directory for id with an agent shim and a setup shim. */
static void
fake_payload(const char *id)
{
	char *d = under_home("payload", id, NULL), *f;

	assert_int_equal(mkdir(d, 0700), 0);
	f = under_home("payload", id, "cnorch-agent");
	write_file(f, shim, 0755);
	free(f);
	f = under_home("payload", id, "setup-china-mirrors.sh");
	write_file(f, shim, 0755);
	free(f);
	free(d);
}

static int
setup_group(void **state)
{
	char *p;

	(void)state;
	make_values();
	snprintf(scratch, sizeof(scratch), "/tmp/cnorch-test-script-XXXXXX");
	if (mkdtemp(scratch) == NULL)
		return -1;
	snprintf(home, sizeof(home), "%s/home", scratch);
	snprintf(bin, sizeof(bin), "%s/bin", scratch);
	snprintf(rec, sizeof(rec), "%s/rec", scratch);
	if (mkdir(bin, 0700) != 0)
		return -1;
	/* Commands a script may call that the test must see. */
	static const char *const shims[] = { "timeout-shim", "user-shell",
	    "df-shim" };
	for (size_t i = 0; i < sizeof(shims) / sizeof(shims[0]); i++) {
		if (asprintf(&p, "%s/%s", bin, shims[i]) < 0)
			return -1;
		write_file(p, shim, 0755);
		free(p);
	}
	return 0;
}

static int
teardown_group(void **state)
{
	size_t i;

	(void)state;
	rm_rf(scratch);
	for (i = 0; i < NHOSTILE; i++) {
		free(hostile[i]);
		free(hostile_name[i]);
	}
	return 0;
}

/* ------------------------------------------------------------ running */

struct run {
	char	*out;		/* stdout */
	size_t	 outlen;
	int	 status;
};

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0, k;

	if (f == NULL) {
		*len = 0;
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			b = realloc(b, cap);
			assert_non_null(b);
		}
		if ((k = fread(b + n, 1, 4096, f)) == 0)
			break;
		n += k;
	}
	fclose(f);
	b[n] = '\0';
	*len = n;
	return b;
}

/*
 * script on stdin of `shell -s` with HOME the scratch home, cwd HOME,
 * the shims first on PATH and SHELL a recording shim.
 */
static void
run_in(const char *shell, const char *script, struct run *r,
    const char *extra_path)
{
	char in[400], out[400], path[1200], sh[400];
	pid_t pid;
	int st, fd;

	snprintf(in, sizeof(in), "%s/script.in", scratch);
	snprintf(out, sizeof(out), "%s/script.out", scratch);
	write_file(in, script, 0600);
	snprintf(path, sizeof(path), "%s%s%s:/usr/bin:/bin", extra_path ?
	    extra_path : "", extra_path ? ":" : "", bin);
	snprintf(sh, sizeof(sh), "%s/user-shell", bin);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if ((fd = open(in, O_RDONLY)) < 0 || dup2(fd, 0) < 0)
			_exit(126);
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
		    dup2(fd, 1) < 0)
			_exit(126);
		if (chdir(home) != 0)
			_exit(126);
		setenv("HOME", home, 1);
		setenv("PATH", path, 1);
		setenv("REC", rec, 1);
		setenv("SHELL", sh, 1);
		unsetenv("HF_TOKEN");
		unsetenv("HF_ENDPOINT");
		execl(shell, shell, "-s", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->out = slurp(out, &r->outlen);
}

static void
run_sh(const char *script, struct run *r)
{
	run_in("/bin/sh", script, r, NULL);
}

static void
no_canary(void)
{
	char *p;
	struct stat sb;

	assert_true(asprintf(&p, "%s/pwned", home) > 0);
	if (stat(p, &sb) == 0)
		fail_msg("a hostile value ran as code (%s exists)", p);
	free(p);
	assert_true(asprintf(&p, "%s/pwned", scratch) > 0);
	assert_int_not_equal(stat(p, &sb), 0);
	free(p);
}

/* The argv of the k-th shim call (0-based), NULL-terminated, or NULL. */
static char **
recorded(int k, size_t *argc)
{
	char path[400], *data, **v, *p;
	size_t len, n = 0;

	snprintf(path, sizeof(path), "%s/%d.argv", rec, k);
	if ((data = slurp(path, &len)) == NULL)
		return NULL;
	for (p = data; p < data + len; p += strlen(p) + 1)
		n++;
	v = calloc(n + 2, sizeof(*v));
	assert_non_null(v);
	v[0] = data;	/* freed through v[0] */
	n = 0;
	for (p = data; p < data + len; p += strlen(p) + 1)
		v[n++] = p;
	*argc = n;
	return v;
}

static int
ncalls(void)
{
	int k = 0;
	char path[400];
	struct stat sb;

	for (;;) {
		snprintf(path, sizeof(path), "%s/%d.argv", rec, k);
		if (stat(path, &sb) != 0)
			return k;
		k++;
	}
}

/* The value of name in the k-th call's environment, or NULL. */
static char *
recorded_env(int k, const char *name)
{
	char path[400], *data, *p, *r = NULL;
	size_t len, nl = strlen(name);

	snprintf(path, sizeof(path), "%s/%d.env", rec, k);
	if ((data = slurp(path, &len)) == NULL)
		return NULL;
	for (p = data; p < data + len; p += strlen(p) + 1)
		if (strncmp(p, name, nl) == 0 && p[nl] == '=')
			r = strdup(p + nl + 1);
	free(data);
	return r;
}

/* Assert the k-th call was argv want[0..n) exactly. */
static void
assert_call(int k, const char *const *want, size_t n)
{
	size_t argc, i;
	char **v = recorded(k, &argc);

	if (v == NULL)
		fail_msg("call %d was not made", k);
	if (argc != n) {
		for (i = 0; i < argc; i++)
			fprintf(stderr, "argv[%zu] = <%s>\n", i, v[i]);
		fail_msg("call %d: %zu args, want %zu", k, argc, n);
	}
	for (i = 0; i < n; i++)
		if (strcmp(v[i], want[i]) != 0)
			fail_msg("call %d argv[%zu]: <%.80s> want <%.80s>", k,
			    i, v[i], want[i]);
	free(v[0]);
	free(v);
}

static char *
cat(const char *a, const char *b)
{
	char *r;

	assert_true(asprintf(&r, "%s%s", a, b) > 0);
	return r;
}

/* The value after "key=" up to "\nnext=" in out: exact even with
 * newlines in it. */
static char *
between(const char *out, const char *key, const char *next)
{
	char *k = cat(key, "="), *n = cat("\n", next), *p, *q, *r;

	p = strstr(out, k);
	assert_non_null(p);
	p += strlen(k);
	q = strstr(p, n);
	assert_non_null(q);
	r = strndup(p, (size_t)(q - p));
	free(k);
	free(n);
	return r;
}

/* -------------------------------------------------------- the builder */

static void
test_quote(void **state)
{
	static const struct {
		const char *in, *want;
	} q[] = {
		{ "", "''" },
		{ "abc", "'abc'" },
		{ "it's", "'it'\\''s'" },
		{ "$(rm -rf /) `x` \"y\"", "'$(rm -rf /) `x` \"y\"'" },
	}, path[] = {
		{ "/root/autodl-tmp", "'/root/autodl-tmp'" },
		{ "~", "\"$HOME\"" },
		{ "~/x y", "\"$HOME\"'/x y'" },
		{ "$HOME/a", "\"$HOME\"'/a'" },
		{ "${HOME}/a", "\"$HOME\"'/a'" },
		{ "~other/a", "'~other/a'" },
		{ "/a/$HOME", "'/a/$HOME'" },
	};
	struct script *s;
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		s = script_create();
		script_word(s, q[i].in);
		t = script_finish(s);
		assert_string_equal(t, q[i].want);
		free(t);
	}
	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		s = script_create();
		script_path(s, path[i].in);
		t = script_finish(s);
		assert_string_equal(t, path[i].want);
		free(t);
	}
	/* Names are checked: a bad one fails the whole script. */
	s = script_create();
	script_let(s, "a;b", "x");
	assert_null(script_finish(s));
	s = script_create();
	script_export(s, "1X", "x");
	assert_null(script_finish(s));
	s = script_create();
	script_opt(s, "--a b", "x");
	assert_null(script_finish(s));
	s = script_create();
	script_word(s, NULL);
	assert_null(script_finish(s));
	script_destroy(NULL);
	assert_null(script_finish(NULL));
}

static void
test_kv(void **state)
{
	const char *out = "a=1\nab=2\nb=\nb2\na=3";
	char *v;

	(void)state;
	v = kv_get(out, strlen(out), "a");
	assert_string_equal(v, "3");	/* the last one wins */
	free(v);
	v = kv_get(out, strlen(out), "b");
	assert_string_equal(v, "");
	free(v);
	assert_null(kv_get(out, strlen(out), "c"));
	assert_null(kv_get(out, 0, "a"));
	assert_int_equal(first_line_len("ab\ncd", 5), 2);
	assert_int_equal(first_line_len(NULL, 0), 0);
}

/* Every typed call, run: each value arrives as itself. */
static void
test_builder_runs(void **state)
{
	struct script *s;
	struct run r;
	char *t, *v;
	size_t i;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		s = script_create();
		script_let(s, "V", hostile[i]);
		script_export(s, "E", hostile[i]);
		script_code(s, "\"$HOME/../bin/df-shim\"");
		script_arg(s, hostile[i]);
		script_opt(s, "--opt", hostile[i]);
		script_code(s, " \"$V\" ");
		script_path(s, hostile[i]);
		script_code(s, " ");
		script_int(s, -42);
		script_code(s, "\n");
		assert_non_null(t = script_finish(s));
		run_sh(t, &r);
		assert_int_equal(r.status, 0);
		no_canary();
		{
			const char *want[] = { "df-shim", hostile[i], "--opt",
			    hostile[i], hostile[i], hostile[i], "-42" };
			/* Empty values are left out of options. */
			if (hostile[i][0] == '\0') {
				const char *w2[] = { "df-shim", "", "", "",
				    "-42" };
				assert_call(0, w2, 5);
			} else
				assert_call(0, want, 7);
		}
		v = recorded_env(0, "E");
		assert_non_null(v);
		assert_string_equal(v, hostile[i]);
		free(v);
		free(t);
		free(r.out);
	}
}

/* ------------------------------------------------------ every builder */

static void
test_facts_script(void **state)
{
	struct box_facts f;
	struct run r;
	char *t, *dd, *want, *p;
	size_t i;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		fake_payload(hostile_name[i]);
		/* A payload that checks: present. */
		p = under_home("payload", hostile_name[i], NULL);
		setenv("D", p, 1);
		sh_c("cd -- \"$D\" && sha256sum cnorch-agent > SHA256SUMS");
		unsetenv("D");
		free(p);
		dd = cat("~/", hostile[i]);
		assert_non_null(t = box_facts_script(dd, hostile_name[i]));
		run_sh(t, &r);
		no_canary();
		assert_int_equal(r.status, 0);
		want = cat(home, dd + 1);
		p = between(r.out, "data_dir", "data_dir_exists");
		assert_string_equal(p, want);
		free(p);
		assert_int_equal(box_facts_parse(r.out, r.outlen, &f), CN_OK);
		assert_true(f.payload_present);
		assert_string_equal(f.home, home);
		box_facts_release(&f);
		free(want);
		free(dd);
		free(t);
		free(r.out);
		/* An absolute data_dir is taken as it is. */
		fresh_home();
		dd = cat("/nonexistent/", hostile[i]);
		assert_non_null(t = box_facts_script(dd, hostile_name[i]));
		run_sh(t, &r);
		no_canary();
		p = between(r.out, "data_dir", "data_dir_exists");
		assert_string_equal(p, dd);
		free(p);
		free(dd);
		free(t);
		free(r.out);
	}
}

static void
test_jobs_scripts(void **state)
{
	struct run r;
	char *t, *d, *ev;
	const char *ids[2];
	struct follow_job fj[2];
	size_t i, k;
	int c;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		/* jobs_script: the listing sees the job by its name and asks
		 * the agent about its exact directory. */
		fresh_home();
		fake_payload(hostile_name[i]);
		d = under_home("jobs", hostile_name[i], NULL);
		assert_int_equal(mkdir(d, 0700), 0);
		assert_non_null(t = jobs_script(hostile[i], hostile_name[i]));
		run_sh(t, &r);
		no_canary();
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "agent=present\n"));
		{
			const char *want[] = { "cnorch-agent", "status",
			    "--json", d };
			assert_call(ncalls() - 1, want, 4);
		}
		free(t);
		free(r.out);

		/* jobs_stop_script: one stop per id, each its own. */
		fresh_home();
		fake_payload(hostile_name[i]);
		ids[0] = hostile_name[i];
		ids[1] = hostile_name[(i + 1) % NHOSTILE];
		assert_non_null(t = jobs_stop_script(hostile_name[i], ids, 2,
		    7));
		run_sh(t, &r);
		no_canary();
		assert_non_null(strstr(r.out, "R 0 0\nR 1 0\n"));
		for (k = 0; k < 2; k++) {
			char *jd = under_home("jobs", ids[k], NULL);
			const char *want[] = { "cnorch-agent", "stop",
			    "--timeout", "7", jd };
			assert_call((int)k, want, 5);
			free(jd);
		}
		free(t);
		free(r.out);

		/* jobs_replay_script and follow_script: the events of the
		 * job named exactly so. */
		fresh_home();
		assert_int_equal(mkdir(d, 0700), 0);
		ev = under_home("jobs", hostile_name[i], "events.jsonl");
		write_file(ev, "{\"a\":1}\n{\"b\":2}\n", 0600);
		free(ev);
		ev = under_home("jobs", hostile_name[i], "state.json");
		write_file(ev, "{\"state\": \"done\"}\n", 0600);
		free(ev);
		memset(fj, 0, sizeof(fj));
		fj[0].id = hostile_name[i];
		fj[0].offset = 8;
		assert_non_null(t = jobs_replay_script(fj, 1));
		run_sh(t, &r);
		no_canary();
		assert_string_equal(r.out, "F 1 8\n{\"b\":2}\nE\n");
		free(t);
		free(r.out);
		assert_non_null(t = follow_script(fj, 1));
		run_sh(t, &r);
		no_canary();
		assert_string_equal(r.out, "F 1 8\n{\"b\":2}\nX 1 done\nE\n");
		free(t);
		free(r.out);
		free(d);
		c = ncalls();
		assert_int_equal(c, 0);
	}
}

static void
test_setup_doctor_scripts(void **state)
{
	struct setup_opts o;
	struct doctor_inputs in;
	struct run r;
	char *t, *v, *pre;
	size_t i, n;
	static const char *const names[] = { "CNORCH_DATA_DIR",
	    "CNORCH_HF_ENDPOINT", "CNORCH_MODELSCOPE_ENDPOINT",
	    "CNORCH_PYPI_MIRROR", "CNORCH_CONDA_MIRROR", "CNORCH_PROXY" };

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		fake_payload(hostile_name[i]);
		o = (struct setup_opts){ .data_dir = hostile[i],
		    .hf = hostile[(i + 1) % NHOSTILE],
		    .modelscope = hostile[(i + 2) % NHOSTILE],
		    .pypi = hostile[(i + 3) % NHOSTILE],
		    .conda = hostile[(i + 4) % NHOSTILE],
		    .proxy = hostile[(i + 5) % NHOSTILE] };
		assert_non_null(t = setup_script(hostile_name[i], &o));
		run_sh(t, &r);
		no_canary();
		assert_int_equal(r.status, 0);
		{
			char *sp = under_home("payload", hostile_name[i],
			    "setup-china-mirrors.sh");
			const char *want[] = { "setup-china-mirrors.sh" };

			assert_call(0, want, 1);
			free(sp);
		}
		for (n = 0; n < 6; n++) {
			v = recorded_env(0, names[n]);
			assert_non_null(v);
			assert_string_equal(v, hostile[(i + n) % NHOSTILE]);
			free(v);
		}
		free(t);
		free(r.out);

		/* doctor_script: its preamble sets exactly these inputs;
		 * the embedded checks after it are code of the tree. */
		fresh_home();
		in = (struct doctor_inputs){ .data_dir = hostile[i],
		    .hf_endpoint = hostile[(i + 1) % NHOSTILE],
		    .mirror_hosts = hostile[(i + 2) % NHOSTILE],
		    .pull_bytes = 12345, .check_timeout_s = 3 };
		assert_non_null(t = doctor_script(&in));
		n = strlen(t);
		assert_true(n >= doctor_checks_sh_len);
		assert_memory_equal(t + n - doctor_checks_sh_len,
		    doctor_checks_sh, doctor_checks_sh_len);
		pre = strndup(t, n - doctor_checks_sh_len);
		v = cat(pre, "\"$HOME/../bin/df-shim\"\n");
		run_in("/bin/bash", v, &r, NULL);
		no_canary();
		free(v);
		v = recorded_env(0, "CNORCH_DATA_DIR");
		assert_string_equal(v, hostile[i]);
		free(v);
		v = recorded_env(0, "CNORCH_HF_ENDPOINT");
		assert_string_equal(v, hostile[(i + 1) % NHOSTILE]);
		free(v);
		v = recorded_env(0, "CNORCH_MIRROR_HOSTS");
		assert_string_equal(v, hostile[(i + 2) % NHOSTILE]);
		free(v);
		v = recorded_env(0, "CNORCH_PULL_BYTES");
		assert_string_equal(v, "12345");
		free(v);
		v = recorded_env(0, "CNORCH_CHECK_TIMEOUT");
		assert_string_equal(v, "3");
		free(v);
		free(pre);
		free(t);
		free(r.out);
	}
}

static void
test_doctor_pulls_script(void **state)
{
	struct pull_spec ps;
	struct host h;
	struct run r;
	char *t, *inc[1], *exc[1];
	size_t i;
	int k, found;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		fake_payload("whatever");
		memset(&ps, 0, sizeof(ps));
		memset(&h, 0, sizeof(h));
		ps.repo = hostile[i];
		ps.revision = hostile[(i + 1) % NHOSTILE];
		ps.source = hostile[(i + 2) % NHOSTILE];
		ps.repo_type = "dataset";
		inc[0] = hostile[(i + 3) % NHOSTILE];
		exc[0] = hostile[(i + 4) % NHOSTILE];
		ps.include = inc;
		ps.ninclude = 1;
		ps.exclude = exc;
		ps.nexclude = 1;
		h.pulls = &ps;
		h.npulls = 1;
		h.mirrors.hf = hostile[(i + 5) % NHOSTILE];
		h.mirrors.modelscope = hostile[(i + 6) % NHOSTILE];
		/* The payload id is this build's: make it the fake one. */
		{
			char *from = under_home("payload", "whatever", NULL);
			char *to = under_home("payload", payload_id(), NULL);

			assert_int_equal(rename(from, to), 0);
			free(from);
			free(to);
		}
		assert_non_null(t = doctor_pulls_script(&h, hostile[i], 5));
		run_sh(t, &r);
		no_canary();
		assert_non_null(strstr(r.out, "=plan 0 0\n"));
		assert_non_null(strstr(r.out, "=end\n"));
		found = 0;
		for (k = 0; k < ncalls(); k++) {
			size_t argc;
			char **v = recorded(k, &argc);

			if (v != NULL && argc > 1 &&
			    strcmp(v[0], "cnorch-agent") == 0)
				found = 1;
			if (v != NULL) {
				free(v[0]);
				free(v);
			}
		}
		assert_true(found);
		{
			const char *all[] = { "cnorch-agent", "plan", "--repo",
			    ps.repo, "--revision", ps.revision, "--source",
			    ps.source, "--dataset", "--endpoint", h.mirrors.hf,
			    "--ms-endpoint", h.mirrors.modelscope, "--include",
			    inc[0], "--exclude", exc[0], "--json" };
			const char *want[18];
			size_t n = 0, j;

			/* Empty values are left out with their option. */
			for (j = 0; j < 18; j++) {
				if (j + 1 < 18 && all[j][0] == '-' &&
				    all[j][1] == '-' && j > 1 &&
				    strcmp(all[j], "--dataset") != 0 &&
				    strcmp(all[j], "--json") != 0 &&
				    all[j + 1][0] == '\0') {
					j++;
					continue;
				}
				want[n++] = all[j];
			}
			assert_call(0, want, n);
		}
		free(t);
		free(r.out);
	}
}

static void
test_endpoints_script(void **state)
{
	struct endpoint_list l;
	struct endpoint v[2];
	struct run r;
	char *t;
	size_t i;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		fake_payload(hostile_name[i]);
		memset(v, 0, sizeof(v));
		v[0].url = hostile[i];
		v[1].url = hostile[(i + 1) % NHOSTILE];
		l.v = v;
		l.n = 2;
		assert_non_null(t = endpoints_script(hostile_name[i], &l, 2.5,
		    1000));
		run_sh(t, &r);
		no_canary();
		{
			const char *want[] = { "cnorch-agent", "probe",
			    "--timeout", "2.5", "--sample-bytes", "1000", "--",
			    v[0].url, v[1].url };
			assert_call(0, want, 9);
		}
		free(t);
		free(r.out);
	}
}

static void
test_upload_scripts(void **state)
{
	struct run r;
	char *t, *tmp, *p, *name;
	struct stat sb;
	size_t i;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		name = cat(".tmp-", hostile_name[i]);
		tmp = under_home("payload", name, NULL);
		assert_non_null(t = upload_prepare_script(tmp));
		run_sh(t, &r);
		no_canary();
		assert_int_equal(r.status, 0);
		assert_int_equal(stat(tmp, &sb), 0);
		assert_true(S_ISDIR(sb.st_mode));
		assert_int_equal(sb.st_mode & 0777, 0700);
		free(t);
		free(r.out);
		/* Files as SCP would leave them, then the check and rename. */
		p = cat(tmp, "/cnorch-agent");
		write_file(p, shim, 0755);
		free(p);
		setenv("D", tmp, 1);
		sh_c("cd -- \"$D\" && sha256sum cnorch-agent > SHA256SUMS");
		unsetenv("D");
		assert_non_null(t = upload_commit_script(tmp,
		    hostile_name[(i + 1) % NHOSTILE]));
		run_sh(t, &r);
		no_canary();
		assert_int_equal(r.status, 0);
		p = under_home("payload", hostile_name[(i + 1) % NHOSTILE],
		    "SHA256SUMS");
		assert_int_equal(stat(p, &sb), 0);
		assert_int_not_equal(stat(tmp, &sb), 0);
		free(p);
		free(t);
		free(r.out);
		free(tmp);
		free(name);
	}
}

/* The check alone (sizing before a launch): hostile values stay data, and
 * a job never run is one a launch would start. */
static void
test_launch_check_script(void **state)
{
	struct launch_env env;
	struct launch_pull lp;
	struct run r;
	char *t;
	size_t i;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		fake_payload(hostile_name[i]);
		memset(&lp, 0, sizeof(lp));
		memset(&env, 0, sizeof(env));
		lp.repo = hostile[i];
		lp.revision = hostile[(i + 1) % NHOSTILE];
		lp.source = hostile[(i + 2) % NHOSTILE];
		env.payload_id = hostile_name[i];
		env.data_dir = hostile[(i + 6) % NHOSTILE];
		assert_non_null(t = launch_check_script(&env, &lp));
		run_sh(t, &r);
		no_canary();
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "check=done\n"));
		assert_non_null(strstr(r.out, "launch=start\n"));
		assert_int_equal(ncalls(), 0);
		free(r.out);
		free(t);
	}
}

static void
test_launch_script(void **state)
{
	struct launch_env env;
	struct launch_pull lp;
	const char *inc[1], *exc[1];
	struct run r;
	char *t, *id, *jd, *cache, *v;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		fake_payload(hostile_name[i]);
		memset(&lp, 0, sizeof(lp));
		memset(&env, 0, sizeof(env));
		lp.repo = hostile[i];
		lp.revision = hostile[(i + 1) % NHOSTILE];
		lp.source = hostile[(i + 2) % NHOSTILE];
		lp.repo_type = hostile[(i + 3) % NHOSTILE];
		inc[0] = hostile[(i + 4) % NHOSTILE];
		exc[0] = hostile[(i + 5) % NHOSTILE];
		lp.include = inc;
		lp.ninclude = 1;
		lp.exclude = exc;
		lp.nexclude = 1;
		env.payload_id = hostile_name[i];
		env.data_dir = hostile[(i + 6) % NHOSTILE];
		env.hf_endpoint = hostile[(i + 7) % NHOSTILE];
		env.modelscope_endpoint = hostile[(i + 8) % NHOSTILE];
		env.hf_token = hostile[(i + 9) % NHOSTILE];
		env.modelscope_token = hostile[(i + 10) % NHOSTILE];
		env.proxy = hostile[(i + 11) % NHOSTILE];
		env.upstream_endpoint = hostile[(i + 13) % NHOSTILE];
		assert_non_null(t = launch_script(&env, &lp));
		run_sh(t, &r);
		no_canary();
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "check=done\n"));
		assert_non_null(strstr(r.out, "launch_rc=0\nstarted job\n"));
		id = job_id(&lp);
		jd = under_home("jobs", id, NULL);
		cache = cat(env.data_dir, "/hf/hub");
		{
			const char *all[] = { "cnorch-agent", "pull",
			    "--repo", lp.repo, "--revision", lp.revision,
			    "--repo-type", lp.repo_type, "--source", lp.source,
			    "--endpoint", env.hf_endpoint,
			    "--modelscope-endpoint", env.modelscope_endpoint,
			    "--cache-dir", cache, "--include", inc[0],
			    "--exclude", exc[0], "--detach", "--job-dir", jd };
			const char *want[23];
			size_t n = 0, j;

			for (j = 0; j < 23; j++) {
				if (j >= 2 && j < 20 && j % 2 == 0 &&
				    all[j + 1][0] == '\0' &&
				    strcmp(all[j], "--cache-dir") != 0) {
					j++;
					continue;
				}
				want[n++] = all[j];
			}
			k = ncalls() - 1;
			assert_call(k, want, n);
		}
		v = recorded_env(k, "HF_TOKEN");
		if (env.hf_token[0] != '\0') {
			assert_non_null(v);
			assert_string_equal(v, env.hf_token);
		} else
			assert_null(v);
		free(v);
		v = recorded_env(k, "MODELSCOPE_API_TOKEN");
		if (env.modelscope_token[0] != '\0') {
			assert_non_null(v);
			assert_string_equal(v, env.modelscope_token);
		} else
			assert_null(v);
		free(v);
		v = recorded_env(k, "HF_ENDPOINT");
		assert_non_null(v);
		assert_string_equal(v, env.hf_endpoint);
		free(v);
		/* The data disk and the proxy reach the agent directly, not
		 * only through env.sh (issue 10). */
		v = recorded_env(k, "HF_HUB_CACHE");
		assert_non_null(v);
		assert_string_equal(v, cache);
		free(v);
		v = recorded_env(k, "HF_HOME");
		assert_non_null(v);
		assert_int_equal(strlen(v), strlen(cache) - 4);
		assert_memory_equal(v, cache, strlen(v));
		free(v);
		v = recorded_env(k, "https_proxy");
		if (env.proxy[0] != '\0') {
			assert_non_null(v);
			assert_string_equal(v, env.proxy);
			free(v);
			v = recorded_env(k, "no_proxy");
			assert_non_null(v);
			assert_memory_equal(v, "127.0.0.1,localhost,", 20);
		} else
			assert_null(v);
		free(v);
		/* The box proxy is the huggingface.co rung's too, through the
		 * environment: the argv above (exact) has no --proxy, since
		 * the URL may carry a password and argv is public (ps). */
		v = recorded_env(k, "CNORCH_UPSTREAM_PROXY");
		if (env.proxy[0] != '\0') {
			assert_non_null(v);
			assert_string_equal(v, env.proxy);
		} else
			assert_null(v);
		free(v);
		v = recorded_env(k, "CNORCH_UPSTREAM_ENDPOINT");
		if (env.proxy[0] != '\0' && env.upstream_endpoint[0] != '\0') {
			assert_non_null(v);
			assert_string_equal(v, env.upstream_endpoint);
		} else
			assert_null(v);
		free(v);
		free(cache);
		free(jd);
		free(id);
		free(t);
		free(r.out);
	}
}

/* Launch lp with env; the agent's call index.  The notice a platform
 * file prints never reaches the output. */
static int
launch_platform(const struct launch_env *env, const struct launch_pull *lp)
{
	struct run r;
	char *t, *jd, *id;
	int k;

	assert_non_null(t = launch_script(env, lp));
	run_sh(t, &r);
	no_canary();
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "launch_rc=0\nstarted job\n"));
	assert_null(strstr(r.out, "academic acceleration"));
	k = ncalls() - 1;
	id = job_id(lp);
	jd = under_home("jobs", id, NULL);
	{
		const char *want[] = { "cnorch-agent", "pull", "--repo",
		    lp->repo, "--cache-dir", "/nonexistent/hf/hub", "--detach",
		    "--job-dir", jd };

		assert_call(k, want, sizeof(want) / sizeof(want[0]));
	}
	free(jd);
	free(id);
	free(t);
	free(r.out);
	return k;
}

/* recorded_env(k, name) equals want (NULL: absent). */
static void
assert_env(int k, const char *name, const char *want)
{
	char *v = recorded_env(k, name);

	if (want == NULL) {
		if (v != NULL)
			fail_msg("%s=<%.80s>, want none", name, v);
		return;
	}
	if (v == NULL)
		fail_msg("%s absent, want <%.80s>", name, want);
	assert_string_equal(v, want);
	free(v);
}

/*
 * proxy "platform": the file the platform gives (AutoDL's
 * /etc/network_turbo: a notice, then http_proxy and https_proxy
 * exported) is sourced in a subshell and its proxy reaches the agent for
 * the huggingface.co rung only: CNORCH_UPSTREAM_PROXY, never argv, never
 * http(s)_proxy for the rest of the pull.  Hostile paths and values stay
 * data; no file is no proxy; a lent proxy is not this code's.
 */
static void
test_launch_platform_proxy(void **state)
{
	struct launch_env env;
	struct launch_pull lp = { .repo = "org/name" };
	struct script *s;
	char *turbo, *body, *want;
	size_t i, n;
	int k;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		fake_payload("p");
		memset(&env, 0, sizeof(env));
		env.payload_id = "p";
		env.data_dir = "/nonexistent";
		env.proxy = PROXY_PLATFORM;
		env.upstream_endpoint = "http://127.0.0.1:9/hf";
		assert_true(asprintf(&turbo, "%s/%s", home, hostile_name[i]) > 0);
		assert_non_null(s = script_create());
		script_code(s, "echo 'academic acceleration on'\n");
		script_export(s, "http_proxy", hostile[i]);
		script_export(s, "https_proxy", hostile[i]);
		assert_non_null(body = script_finish(s));
		write_file(turbo, body, 0644);
		env.platform_proxy_file = turbo;
		k = launch_platform(&env, &lp);
		/* $(...) drops trailing newlines, as any shell reading it. */
		assert_non_null(want = strdup(hostile[i]));
		for (n = strlen(want); n > 0 && want[n - 1] == '\n'; n--)
			want[n - 1] = '\0';
		assert_env(k, "CNORCH_UPSTREAM_PROXY", want[0] != '\0' ?
		    want : NULL);
		assert_env(k, "CNORCH_UPSTREAM_ENDPOINT", env.upstream_endpoint);
		assert_env(k, "https_proxy", NULL);
		assert_env(k, "http_proxy", NULL);
		assert_env(k, "HTTPS_PROXY", NULL);
		free(want);
		free(body);
		free(turbo);
	}

	/* AutoDL's own shape: one line, http_proxy && https_proxy. */
	fresh_home();
	fake_payload("p");
	assert_true(asprintf(&turbo, "%s/network_turbo", home) > 0);
	write_file(turbo, "echo 'academic acceleration: on'\n"
	    "export http_proxy=http://172.20.0.113:12798 && "
	    "export https_proxy=http://172.20.0.113:12798\n", 0644);
	env.platform_proxy_file = turbo;
	k = launch_platform(&env, &lp);
	assert_env(k, "CNORCH_UPSTREAM_PROXY", "http://172.20.0.113:12798");
	body = recorded_env(k, "no_proxy");
	assert_non_null(body);
	assert_memory_equal(body, "127.0.0.1,localhost,", 20);
	free(body);

	/* Only http_proxy: that one. */
	write_file(turbo, "export http_proxy=http://10.0.0.1:1\n", 0644);
	k = launch_platform(&env, &lp);
	assert_env(k, "CNORCH_UPSTREAM_PROXY", "http://10.0.0.1:1");

	/* A file that fails (its own set -u, then exit): no proxy, and the
	 * launch goes on. */
	write_file(turbo, "set -u\nexport https_proxy=http://10.0.0.2:2\n"
	    "echo $undefined_here\nexit 3\n", 0644);
	k = launch_platform(&env, &lp);
	assert_env(k, "CNORCH_UPSTREAM_PROXY", NULL);

	/* The laptop's test-only override, when the env gives no path. */
	write_file(turbo, "export https_proxy=http://10.0.0.3:3\n", 0644);
	env.platform_proxy_file = NULL;
	assert_int_equal(setenv("CNORCH_NETWORK_TURBO", turbo, 1), 0);
	k = launch_platform(&env, &lp);
	assert_env(k, "CNORCH_UPSTREAM_PROXY", "http://10.0.0.3:3");
	assert_int_equal(unsetenv("CNORCH_NETWORK_TURBO"), 0);

	/* No file: no proxy (the agent then says the rung needs one). */
	env.platform_proxy_file = "/nonexistent/network_turbo";
	k = launch_platform(&env, &lp);
	assert_env(k, "CNORCH_UPSTREAM_PROXY", NULL);
	assert_env(k, "https_proxy", NULL);
	free(turbo);
}

/*
 * Where flock(1) is missing the launch takes a mkdir lock beside the job
 * and gives it back when the script ends.
 */
static void
test_launch_mkdir_lock(void **state)
{
	struct launch_env env = { .payload_id = "p", .data_dir = "/nonexistent" };
	struct launch_pull lp = { .repo = "org/name" };
	char nobin[400], *cmd, *t, *lk;
	struct run r;
	struct stat sb;

	(void)state;
	fresh_home();
	fake_payload("p");
	/* Every command of /usr/bin and /bin but flock. */
	snprintf(nobin, sizeof(nobin), "%s/noflock", scratch);
	rm_rf(nobin);
	assert_int_equal(mkdir(nobin, 0700), 0);
	assert_true(asprintf(&cmd, "for f in /bin/* /usr/bin/*; do "
	    "b=${f##*/}; [ \"$b\" = flock ] && continue; "
	    "[ -e '%s'/\"$b\" ] || ln -s \"$f\" '%s'/\"$b\"; done", nobin,
	    nobin) > 0);
	sh_c(cmd);
	free(cmd);
	assert_non_null(t = launch_script(&env, &lp));
	/* A lock left by a killed run an hour ago is taken over. */
	lk = under_home("jobs", ".locks", NULL);
	assert_int_equal(mkdir(lk, 0700), 0);
	free(lk);
	lk = under_home("jobs", ".locks", "org--name@main.d");
	assert_int_equal(mkdir(lk, 0700), 0);
	{
		struct timeval tv[2];

		gettimeofday(&tv[0], NULL);
		tv[0].tv_sec -= 3600;
		tv[1] = tv[0];
		assert_int_equal(utimes(lk, tv), 0);
	}
	free(lk);
	/* PATH is the shims, then only the farm. */
	{
		char *script;

		assert_true(asprintf(&script, "PATH='%s:%s'\n%s", bin, nobin,
		    t) > 0);
		run_sh(script, &r);
		free(script);
	}
	no_canary();
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "launch_rc=0\n"));
	lk = under_home("jobs", ".locks", "org--name@main.d");
	assert_int_not_equal(stat(lk, &sb), 0);
	free(lk);
	lk = under_home("jobs", ".locks", "org--name@main");
	assert_int_not_equal(stat(lk, &sb), 0);	/* no flock file either */
	free(lk);
	free(t);
	free(r.out);
	rm_rf(nobin);
}

static void
test_with_timeout(void **state)
{
	struct run r;
	char *t, *w;
	size_t i;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		fresh_home();
		assert_non_null(w = script_with_timeout(hostile[i], 10, 5));
		/* "timeout" is the shim here: its argv is what the real one
		 * would get. */
		t = cat("timeout() { \"$HOME/../bin/timeout-shim\" \"$@\"; }\n",
		    w);
		run_sh(t, &r);
		no_canary();
		{
			char *sh = cat(bin, "/user-shell");
			const char *want[] = { "timeout-shim", "-k", "5", "10",
			    sh, "-c", hostile[i] };
			assert_call(0, want, 7);
			free(sh);
		}
		free(w);
		free(t);
		free(r.out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_builder_runs),
		cmocka_unit_test(test_facts_script),
		cmocka_unit_test(test_jobs_scripts),
		cmocka_unit_test(test_setup_doctor_scripts),
		cmocka_unit_test(test_doctor_pulls_script),
		cmocka_unit_test(test_endpoints_script),
		cmocka_unit_test(test_upload_scripts),
		cmocka_unit_test(test_launch_check_script),
		cmocka_unit_test(test_launch_script),
		cmocka_unit_test(test_launch_platform_proxy),
		cmocka_unit_test(test_launch_mkdir_lock),
		cmocka_unit_test(test_with_timeout),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}

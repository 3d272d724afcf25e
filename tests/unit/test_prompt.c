/*
 * prompt: a secret prompt on a pty leaves the terminal as it found it on
 * every way out (Enter, Ctrl-C, Ctrl-\, EOF, a signal from outside), and
 * Ctrl-C reaches the program's own SIGINT handler only after echo is back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "prompt.h"

struct pty {
	int		 master;
	int		 slave;
	char		 buf[64];
	int		 r;
	pthread_t	 th;
};

static void *
prompt_thread(void *arg)
{
	struct pty *p = arg;

	p->r = prompt_secret_fd(p->slave, "passphrase: ", p->buf,
	    sizeof(p->buf));
	return NULL;
}

static bool
echo_on(int fd)
{
	struct termios t;

	assert_int_equal(tcgetattr(fd, &t), 0);
	return (t.c_lflag & ECHO) != 0;
}

/* Drain what the prompt wrote, so the pty never fills. */
static void
drain(int master)
{
	char b[256];

	while (read(master, b, sizeof(b)) > 0)
		;
}

static void
start(struct pty *p)
{
	struct termios t;
	int i;

	memset(p, 0, sizeof(*p));
	p->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(p->master >= 0);
	assert_int_equal(grantpt(p->master), 0);
	assert_int_equal(unlockpt(p->master), 0);
	p->slave = open(ptsname(p->master), O_RDWR | O_NOCTTY);
	assert_true(p->slave >= 0);
	assert_int_equal(fcntl(p->master, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(tcgetattr(p->slave, &t), 0);
	t.c_lflag |= ECHO | ICANON | ISIG;
	assert_int_equal(tcsetattr(p->slave, TCSANOW, &t), 0);
	assert_true(echo_on(p->slave));
	assert_int_equal(pthread_create(&p->th, NULL, prompt_thread, p), 0);
	/* Wait (bounded) until the prompt has turned echo off. */
	for (i = 0; i < 500 && echo_on(p->slave); i++) {
		drain(p->master);
		usleep(10000);
	}
	assert_false(echo_on(p->slave));
}

static void
finish(struct pty *p)
{
	assert_int_equal(pthread_join(p->th, NULL), 0);
	drain(p->master);
	close(p->slave);
	close(p->master);
}

static void
type(struct pty *p, const char *s)
{
	assert_int_equal(write(p->master, s, strlen(s)), (ssize_t)strlen(s));
}

static void
test_enter(void **state)
{
	struct pty p;

	(void)state;
	start(&p);
	type(&p, "s3cret phrase\n");
	finish(&p);
	assert_int_equal(p.r, CN_OK);
	assert_string_equal(p.buf, "s3cret phrase");
	/* finish() closed it: check on a fresh prompt's terminal state
	 * instead, below; here the value is what matters. */
}

static void
test_restored(void **state)
{
	static const struct {
		const char	*keys;
		int		 want;
		const char	*secret;
	} cases[] = {
		{ "typed\n", CN_OK, "typed" },
		{ "typed\r", CN_OK, "typed" },
		{ "abc\177d\n", CN_OK, "abd" },		/* Backspace */
		{ "wrong\025right\n", CN_OK, "right" },	/* Ctrl-U */
		{ "half\004", CN_OK, "half" },		/* Ctrl-D ends */
		{ "a\032b\n", CN_OK, "ab" },		/* Ctrl-Z: not kept */
		{ "half typed\003", CN_ERR_INTERRUPTED, "" },	/* Ctrl-C */
		{ "\034", CN_ERR_INTERRUPTED, "" },		/* Ctrl-\ */
		{ "\004", CN_ERR_IO, "" },			/* EOF */
	};
	struct pty p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start(&p);
		type(&p, cases[i].keys);
		assert_int_equal(pthread_join(p.th, NULL), 0);
		if (p.r != cases[i].want)
			fail_msg("case %zu: got %d", i, p.r);
		if (!echo_on(p.slave))
			fail_msg("case %zu: echo left off", i);
		if (strcmp(p.buf, cases[i].secret) != 0)
			fail_msg("case %zu: got '%s'", i, p.buf);
		drain(p.master);
		close(p.slave);
		close(p.master);
	}
}

static volatile sig_atomic_t got_int, got_term;
static bool echo_at_int;
static int int_fd = -1;

static void
on_int(int sig)
{
	struct termios t;

	(void)sig;
	got_int++;
	/* The program's handler must find the terminal usable. */
	echo_at_int = int_fd != -1 && tcgetattr(int_fd, &t) == 0 &&
	    (t.c_lflag & ECHO) != 0;
}

static void
on_term(int sig)
{
	(void)sig;
	got_term++;
}

static void
test_ctrl_c_reaches_handler(void **state)
{
	struct sigaction sa, old, cur;
	struct pty p;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_int;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGINT, &sa, &old), 0);
	got_int = 0;
	start(&p);
	int_fd = p.slave;
	type(&p, "\003");
	assert_int_equal(pthread_join(p.th, NULL), 0);
	assert_int_equal(p.r, CN_ERR_INTERRUPTED);
	assert_int_equal(got_int, 1);
	assert_true(echo_at_int);
	assert_true(echo_on(p.slave));
	/* Our handler is in place again. */
	assert_int_equal(sigaction(SIGINT, NULL, &cur), 0);
	assert_ptr_equal(cur.sa_handler, on_int);
	int_fd = -1;
	drain(p.master);
	close(p.slave);
	close(p.master);
	assert_int_equal(sigaction(SIGINT, &old, NULL), 0);
}

/* With SIGINT at its default, Ctrl-C fails the prompt, not the process. */
static void
test_ctrl_c_default_not_fatal(void **state)
{
	struct sigaction sa, old;
	struct pty p;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGINT, &sa, &old), 0);
	start(&p);
	type(&p, "x\003");
	finish(&p);
	assert_int_equal(p.r, CN_ERR_INTERRUPTED);	/* and we are alive */
	assert_int_equal(sigaction(SIGINT, &old, NULL), 0);
}

/* kill -TERM while echo is off: terminal restored, program's handler
 * runs, the prompt ends. */
static void
test_signal_from_outside(void **state)
{
	struct sigaction sa, old, cur;
	struct pty p;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGTERM, &sa, &old), 0);
	got_term = 0;
	start(&p);
	assert_int_equal(kill(getpid(), SIGTERM), 0);
	assert_int_equal(pthread_join(p.th, NULL), 0);
	assert_int_equal(p.r, CN_ERR_INTERRUPTED);
	assert_int_equal(got_term, 1);
	assert_true(echo_on(p.slave));
	assert_int_equal(sigaction(SIGTERM, NULL, &cur), 0);
	assert_ptr_equal(cur.sa_handler, on_term);
	drain(p.master);
	close(p.slave);
	close(p.master);
	assert_int_equal(sigaction(SIGTERM, &old, NULL), 0);
}

/* An ignored signal stays ignored: it does not end the prompt. */
static void
test_ignored_signal(void **state)
{
	struct sigaction sa, old, cur;
	struct pty p;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGTERM, &sa, &old), 0);
	start(&p);
	assert_int_equal(sigaction(SIGTERM, NULL, &cur), 0);
	assert_ptr_equal(cur.sa_handler, SIG_IGN);
	assert_int_equal(kill(getpid(), SIGTERM), 0);
	type(&p, "still\n");
	finish(&p);
	assert_int_equal(p.r, CN_OK);
	assert_string_equal(p.buf, "still");
	assert_int_equal(sigaction(SIGTERM, &old, NULL), 0);
}

static void
test_no_tty(void **state)
{
	char buf[16];
	int fd = open("/dev/null", O_RDWR);

	(void)state;
	assert_true(fd >= 0);
	/* Not a terminal: nothing to turn off, EOF ends it. */
	assert_int_equal(prompt_secret_fd(fd, "p: ", buf, sizeof(buf)),
	    CN_ERR_IO);
	close(fd);
	assert_int_equal(prompt_secret_fd(0, "p: ", NULL, 0), CN_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enter),
		cmocka_unit_test(test_restored),
		cmocka_unit_test(test_ctrl_c_reaches_handler),
		cmocka_unit_test(test_ctrl_c_default_not_fatal),
		cmocka_unit_test(test_signal_from_outside),
		cmocka_unit_test(test_ignored_signal),
		cmocka_unit_test(test_no_tty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

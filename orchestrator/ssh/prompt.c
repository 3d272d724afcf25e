/* prompt: secret prompts on the terminal, echo always restored (prompt.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "error.h"
#include "prompt.h"

static pthread_mutex_t tty_lock = PTHREAD_MUTEX_INITIALIZER;

/* What a user or the system sends to stop us.  Not SIGPIPE or SIGALRM:
 * another host's thread may raise those without anyone wanting out. */
static const int caught[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU,
};
#define NCAUGHT	(sizeof(caught) / sizeof(caught[0]))

/* The terminal being prompted on and how to put it back; read by the
 * signal handler, set only under tty_lock. */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_restore;
static volatile sig_atomic_t got_signal;
static struct sigaction old_act[NCAUGHT];

static void
on_signal(int sig)
{
	size_t i;
	int saved = errno;

	/* Only async-signal-safe calls: tcsetattr, sigaction, raise. */
	if (tty_restore && tty_fd != -1)
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	tty_restore = 0;
	got_signal = sig;
	for (i = 0; i < NCAUGHT; i++)
		if (caught[i] == sig) {
			/* The program's own disposition takes it from here
			 * (delivered when this handler returns). */
			(void)sigaction(sig, &old_act[i], NULL);
			(void)raise(sig);
		}
	errno = saved;
}

static void
catch_signals(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NCAUGHT; i++) {
		if (sigaction(caught[i], NULL, &old_act[i]) == -1 ||
		    old_act[i].sa_handler == SIG_IGN)
			continue;	/* ignored stays ignored */
		(void)sigaction(caught[i], &sa, NULL);
	}
}

static void
release_signals(void)
{
	struct sigaction cur;
	size_t i;

	for (i = 0; i < NCAUGHT; i++) {
		/* A handler that ran already put the old one back. */
		if (sigaction(caught[i], NULL, &cur) == 0 &&
		    cur.sa_handler == on_signal)
			(void)sigaction(caught[i], &old_act[i], NULL);
	}
}

/* Does the program handle SIGINT itself (not default, not ignored)? */
static bool
sigint_handled(void)
{
	size_t i;

	for (i = 0; i < NCAUGHT; i++)
		if (caught[i] == SIGINT)
			return old_act[i].sa_handler != SIG_DFL &&
			    old_act[i].sa_handler != SIG_IGN;
	return false;
}

int
prompt_secret_fd(int fd, const char *prompt, char *buf, size_t len)
{
	struct termios quiet;
	struct pollfd pfd;
	size_t n = 0;
	ssize_t rd;
	char c;
	int r = CN_ERR_IO, pr;
	bool restore = false, forward_int = false;

	if (buf == NULL || len == 0 || prompt == NULL)
		return CN_ERR_INVALID;
	buf[0] = '\0';
	pthread_mutex_lock(&tty_lock);
	got_signal = 0;
	catch_signals();
	if (tcgetattr(fd, &tty_saved) == 0) {
		quiet = tty_saved;
		/* Byte by byte (no ICANON) so Ctrl-C is seen at once; the
		 * line editing keys are handled below. */
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ISIG | ICANON);
		quiet.c_cc[VMIN] = 1;
		quiet.c_cc[VTIME] = 0;
		tty_fd = fd;
		tty_restore = 1;
		restore = true;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1)
			goto out;
	}
	if (write(fd, prompt, strlen(prompt)) == -1)
		goto out;
	for (;;) {
		if (got_signal) {
			r = CN_ERR_INTERRUPTED;
			goto out;
		}
		/* Short waits so a signal taken by another thread still
		 * ends this prompt soon. */
		pfd.fd = fd;
		pfd.events = POLLIN;
		pr = poll(&pfd, 1, 200);
		if (pr == -1 && errno != EINTR)
			goto out;
		if (pr <= 0)
			continue;
		rd = read(fd, &c, 1);
		if (rd == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (rd != 1)
			goto out;		/* EOF or error */
		if (c == '\n' || c == '\r')
			break;
		if (restore && (c == (char)tty_saved.c_cc[VINTR] ||
		    c == (char)tty_saved.c_cc[VQUIT])) {
			forward_int = c == (char)tty_saved.c_cc[VINTR];
			r = CN_ERR_INTERRUPTED;
			goto out;
		}
		if (restore && c == (char)tty_saved.c_cc[VEOF]) {
			if (n == 0)
				goto out;	/* EOF on an empty line */
			break;
		}
		if (restore && (c == (char)tty_saved.c_cc[VERASE] ||
		    c == '\b' || c == 0x7f)) {
			if (n > 0)
				buf[--n] = '\0';
			continue;
		}
		/* Job control keys are not part of a secret. */
		if (restore && (c == (char)tty_saved.c_cc[VSUSP] ||
		    c == (char)tty_saved.c_cc[VLNEXT]))
			continue;
		if (restore && c == (char)tty_saved.c_cc[VKILL]) {
			explicit_bzero(buf, len);
			n = 0;
			continue;
		}
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = '\0';
	r = CN_OK;
 out:
	c = 0;
	if (r != CN_OK) {
		explicit_bzero(buf, len);
		buf[0] = '\0';
	}
	(void)!write(fd, "\n", 1);
	if (restore && tty_restore)
		(void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_restore = 0;
	tty_fd = -1;
	forward_int = forward_int && sigint_handled();
	release_signals();
	pthread_mutex_unlock(&tty_lock);
	/* Echo is back: now the program's own Ctrl-C logic may run. */
	if (forward_int)
		(void)raise(SIGINT);
	return r;
}

int
prompt_secret(const char *prompt, char *buf, size_t len)
{
	int fd, r;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return CN_ERR_IO;
	r = prompt_secret_fd(fd, prompt, buf, len);
	close(fd);
	return r;
}

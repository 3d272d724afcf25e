/*
 * Secret prompts on the terminal (password, passphrase) with echo off,
 * and the terminal put back on every way out.
 *
 * While a prompt waits, the terminal is in non-canonical mode without
 * echo or signal keys (ISIG): Backspace, Ctrl-U and Ctrl-D are handled
 * here as the line discipline would, and Ctrl-C and Ctrl-\ arrive as bytes: the prompt restores the terminal and
 * returns CN_ERR_INTERRUPTED, and only that host's connect fails.  When
 * the program has its own SIGINT handler (a live follower), it is then
 * raised so that handler sees the Ctrl-C too; with the default action the
 * process is not killed.  A signal from outside (kill: INT, TERM, HUP,
 * QUIT, TSTP, TTIN, TTOU; unless ignored) restores the terminal in the handler
 * and is re-raised with the program's own disposition, as OpenSSH's
 * readpassphrase() does; the prompt then ends with CN_ERR_INTERRUPTED.
 *
 * One prompt at a time for the whole process (a mutex): a fleet never
 * interleaves two questions on one terminal.
 */
#ifndef CN_PROMPT_H
#define CN_PROMPT_H

#include <stddef.h>

/*
 * Write prompt to /dev/tty and read one line into buf (len bytes with the
 * NUL; longer input is cut).  CN_OK; CN_ERR_IO when there is no terminal
 * or it ended (EOF); CN_ERR_INTERRUPTED on Ctrl-C or a signal.
 */
int	prompt_secret(const char *prompt, char *buf, size_t len);

/* The same on an open terminal fd (for tests: a pty). */
int	prompt_secret_fd(int fd, const char *prompt, char *buf, size_t len);

#endif

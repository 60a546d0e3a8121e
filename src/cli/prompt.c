/*
 * prompt.c - reading passphrases: from the terminal with echo off, or one
 * line at a time from --passphrase-fd.  Never from argv or the environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "banned.h"

#define SECRET_CAP (CV_PASSPHRASE_MAX_BYTES + 2)

static int tty_fd = -1;
static struct termios tty_saved;

/* Puts the terminal back before dying of a signal mid-prompt. */
static void restore_and_reraise(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads up to '\n' one byte at a time, so that nothing after the line is
 * consumed (a note may follow on the same descriptor). */
static cv_status read_line(int fd, char *buf, size_t *len, cv_err *err)
{
	size_t n = 0;
	ssize_t r;
	char ch;

	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cv_err_set(err, CV_ERROR, _("cannot read the passphrase: %s"),
					  strerror(errno));
		if (r == 0) {
			if (n == 0) {
				cv_err_set(err, CV_EUSAGE,
					   _("no passphrase to read (end of input); give one "
					     "line per passphrase"));
				if (err)
					snprintf(err->code, sizeof(err->code),
						 "passphrase.missing");
				return CV_EUSAGE;
			}
			break;
		}
		if (ch == '\n')
			break;
		if (n + 1 >= SECRET_CAP) {
			cv_err_set(err, CV_EUSAGE,
				   _("passphrase is longer than %d bytes; choose a shorter one"),
				   CV_PASSPHRASE_MAX_BYTES);
			if (err)
				snprintf(err->code, sizeof(err->code), "passphrase.too-long");
			return CV_EUSAGE;
		}
		buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return CV_OK;
}

static cv_status tty_read(const char *prompt, char *buf, size_t *len, cv_err *err)
{
	struct sigaction sa = {0}, old_int, old_term, old_hup;
	struct termios noecho;
	cv_status st;

	tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_fd < 0)
		return cv_err_set(err, CV_EUSAGE,
				  _("no terminal to ask for the passphrase; give it with "
				    "--passphrase-fd N"));
	if (tcgetattr(tty_fd, &tty_saved) != 0) {
		close(tty_fd);
		tty_fd = -1;
		return cv_err_set(err, CV_ERROR, _("cannot turn off echo on the terminal"));
	}
	sa.sa_handler = restore_and_reraise;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	noecho = tty_saved;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	/* Echo off (and what was typed ahead discarded) before the prompt
	 * shows: whatever is typed once it is seen stays unechoed and read. */
	tcsetattr(tty_fd, TCSAFLUSH, &noecho);
	(void)!write(tty_fd, prompt, strlen(prompt));
	st = read_line(tty_fd, buf, len, err);
	tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	(void)!write(tty_fd, "\n", 1);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	close(tty_fd);
	tty_fd = -1;
	return st;
}

cv_status cli_secret(struct cli *c, const char *prompt, int confirm, char **out, size_t *len)
{
	char *buf = sodium_malloc(SECRET_CAP), *again = NULL;
	size_t alen = 0;
	cv_status st;

	prompt = cli_tr(prompt);
	*out = NULL;
	if (!buf)
		return cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	if (c->pass_fd >= 0) {
		st = read_line(c->pass_fd, buf, len, &c->err);
	} else {
		st = tty_read(prompt, buf, len, &c->err);
		if (st == CV_OK && confirm) {
			again = sodium_malloc(SECRET_CAP);
			if (!again)
				st = cv_err_set(&c->err, CV_ERROR, _("out of memory"));
			else
				st = tty_read(_("Repeat it: "), again, &alen, &c->err);
			if (st == CV_OK && (alen != *len || sodium_memcmp(again, buf, *len) != 0))
				st = cv_err_set(
				    &c->err, CV_EUSAGE,
				    _("the two passphrases differ; nothing was changed"));
		}
	}
	sodium_free(again);
	if (st != CV_OK) {
		sodium_free(buf);
		return st;
	}
	*out = buf;
	return CV_OK;
}

cv_status cli_recovery_code(struct cli *c, char **out)
{
	size_t len;

	return cli_secret(c, "Recovery code (from the paper copy): ", 0, out, &len);
}

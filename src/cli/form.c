/*
 * form.c - what a student's identity and free text come in by, so that
 * none of it is ever on the command line (other local users read argv in
 * /proc, and the shell keeps it in its history): a form of `key: value`
 * lines, questions asked at the terminal, and `-` for standard input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "banned.h"

/* A form is a few short lines; anything larger is not one. */
#define FORM_MAX 65536
/* One answer typed at the terminal, or one line of standard input. */
#define LINE_MAX_BYTES 4096

void cli_form_free(struct cli_form *f)
{
	if (!f)
		return;
	sodium_free(f->buf);
	memset(f, 0, sizeof(*f));
}

const char *cli_form_get(const struct cli_form *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->keys[i], key) == 0)
			return f->vals[i];
	return NULL;
}

/* Reads all of fd into a sodium_malloc buffer, NUL-terminated. */
static cv_status slurp(struct cli *c, int fd, const char *what, size_t cap, char **out, size_t *len)
{
	char *buf = sodium_malloc(cap + 1);
	size_t n = 0;
	ssize_t r;

	*out = NULL;
	if (!buf)
		return cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	while (n <= cap && (r = read(fd, buf + n, cap + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_free(buf);
			return cv_err_set(&c->err, CV_ERROR, _("cannot read %s: %s"), what,
					  strerror(errno));
		}
		n += (size_t)r;
		if (n > cap) {
			sodium_free(buf);
			return cv_err_set(&c->err, CV_EUSAGE, _("%s is longer than %zu bytes"),
					  what, cap);
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return CV_OK;
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

static int known(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return 1;
	return 0;
}

/* "a, b or c" */
static void list_keys(const char *const *keys, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; keys[i]; i++) {
		int r = snprintf(out + o, cap - o, "%s%s",
				 i == 0	       ? ""
				 : keys[i + 1] ? ", "
					       : _(" or "),
				 keys[i]);
		if (r < 0 || (size_t)r >= cap - o)
			return;
		o += (size_t)r;
	}
}

cv_status cli_form_read(struct cli *c, const char *path, const char *const *keys,
			struct cli_form *f)
{
	const char *what = strcmp(path, "-") == 0 ? _("the form on standard input") : path;
	char *p, *end, *next, names[256];
	size_t len, line = 0;
	cv_status st;
	int fd = STDIN_FILENO;

	memset(f, 0, sizeof(*f));
	if (strcmp(path, "-") != 0) {
		struct stat sb;

		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cv_err_set(&c->err, errno == ENOENT ? CV_ENOTFOUND : CV_ERROR,
					  _("cannot read the form '%s': %s"), path,
					  strerror(errno));
		if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			close(fd);
			return cv_err_set(&c->err, CV_EUSAGE,
					  _("'%s' is a directory; give the form's file"), path);
		}
	}
	st = slurp(c, fd, what, FORM_MAX, &f->buf, &len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (st != CV_OK)
		return st;
	list_keys(keys, names, sizeof(names));
	if (memchr(f->buf, '\0', len)) {
		for (const char *q = f->buf; *q; q++)
			line += *q == '\n';
		st = cv_err_set(&c->err, CV_EUSAGE,
				_("%s, line %zu: a NUL byte; save the form as plain UTF-8 text"),
				what, line + 1);
		cli_form_free(f);
		return st;
	}
	for (p = f->buf; p && *p; p = next) {
		char *colon, *key, *val;
		size_t run, n;

		line++;
		end = strchr(p, '\n');
		next = end ? end + 1 : NULL;
		if (!end)
			end = p + strlen(p);
		*end = '\0';
		/* Printable UTF-8 only (tabs aside): what is not is named, escaped. */
		n = (size_t)(end - p);
		for (run = 0; run < n; run++) {
			run += cv_text_safe_run(p + run, n - run, 0);
			if (run >= n || p[run] != '\t')
				break;
		}
		if (run < n) {
			char esc[CV_TEXT_ESC_MAX];

			cv_text_escape_one(p + run, n - run, esc);
			st = cv_err_set(
			    &c->err, CV_EUSAGE,
			    _("%s, line %zu: '%s' at byte %zu is not printable UTF-8 text "
			      "(a control, invisible or direction character, or not UTF-8); "
			      "remove it"),
			    what, line, esc, run + 1);
			break;
		}
		key = trim(p, end);
		if (!*key || *key == '#')
			continue;
		colon = strchr(key, ':');
		if (!colon) {
			st = cv_err_set(&c->err, CV_EUSAGE,
					_("%s, line %zu: not a 'key: value' line; the keys are %s"),
					what, line, names);
			break;
		}
		val = trim(colon + 1, key + strlen(key));
		key = trim(key, colon);
		if (!known(keys, key)) {
			st = cv_err_set(&c->err, CV_EUSAGE,
					_("%s, line %zu: unknown key '%.40s'; the keys are %s"),
					what, line, key, names);
			break;
		}
		if (cli_form_get(f, key)) {
			st = cv_err_set(&c->err, CV_EUSAGE,
					_("%s, line %zu: '%s' is given twice; give it once"), what,
					line, key);
			break;
		}
		if (f->n == CLI_FORM_MAX) {
			st = cv_err_set(&c->err, CV_EUSAGE, _("%s, line %zu: too many lines"), what,
					line);
			break;
		}
		f->keys[f->n] = key;
		f->vals[f->n] = val;
		f->lines[f->n] = line;
		f->n++;
	}
	if (st != CV_OK)
		cli_form_free(f);
	return st;
}

size_t cli_form_line(const struct cli_form *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->keys[i], key) == 0)
			return f->lines[i];
	return 0;
}

/* One line from fd, without its newline, into buf[cap]; -1 at the end of
 * input before anything was read. */
static int read_line(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	ssize_t r;
	char ch;

	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (n == 0)
				return -1;
			break;
		}
		if (ch == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

cv_status cli_ask(struct cli *c, const char *question, char **out)
{
	char *buf = sodium_malloc(LINE_MAX_BYTES);
	size_t len = 0;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	*out = NULL;
	question = cli_tr(question);
	if (!buf || fd < 0) {
		sodium_free(buf);
		if (fd >= 0)
			close(fd);
		return cv_err_set(&c->err, fd < 0 ? CV_EUSAGE : CV_ERROR,
				  fd < 0 ? _("no terminal to ask on") : _("out of memory"));
	}
	(void)!write(fd, question, strlen(question));
	if (read_line(fd, buf, LINE_MAX_BYTES, &len) != 0) {
		close(fd);
		sodium_free(buf);
		return cv_err_set(&c->err, CV_EUSAGE,
				  _("no answer (end of input); nothing was done"));
	}
	close(fd);
	{
		char *t = trim(buf, buf + len);
		memmove(buf, t, strlen(t) + 1);
	}
	*out = buf;
	return CV_OK;
}

cv_status cli_stdin_arg(struct cli *c, const char *what, const char **value, char **owned)
{
	size_t len;
	cv_status st;

	*owned = NULL;
	if (!*value || strcmp(*value, "-") != 0)
		return CV_OK;
	st = slurp(c, STDIN_FILENO, "standard input", LINE_MAX_BYTES, owned, &len);
	if (st != CV_OK)
		return st;
	/* The text is one line: its final newline is not part of it. */
	if (len > 0 && (*owned)[len - 1] == '\n')
		(*owned)[--len] = '\0';
	if (len > 0 && (*owned)[len - 1] == '\r')
		(*owned)[--len] = '\0';
	if (len == 0) {
		sodium_free(*owned);
		*owned = NULL;
		cv_err_set(&c->err, CV_EUSAGE, _("%s: standard input held nothing; give it there"),
			   cli_tr(what));
		snprintf(c->err.code, sizeof(c->err.code), "input.empty");
		return CV_EUSAGE;
	}
	*value = *owned;
	return CV_OK;
}

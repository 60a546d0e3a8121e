/*
 * input.c - reading a note's text: from a file, from standard input, or
 * from $EDITOR on a private file in memory-backed storage that is wiped.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "banned.h"

/* One byte more than the library accepts, so that it can say "too long". */
#define TEXT_CAP (CV_NOTE_MAX + 1)

static cv_status read_fd(struct cli *c, int fd, const char *what, char **out, size_t *len)
{
	char *buf = sodium_malloc(TEXT_CAP);
	size_t n = 0;
	ssize_t r = 0;

	*out = NULL;
	if (!buf)
		return cv_err_set(&c->err, CV_ERROR, "out of memory");
	while (n < TEXT_CAP && (r = read(fd, buf + n, TEXT_CAP - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_free(buf);
			return cv_err_set(&c->err, CV_ERROR, "cannot read %s: %s", what,
					  strerror(errno));
		}
		n += (size_t)r;
	}
	if (n >= TEXT_CAP) {
		sodium_free(buf);
		return cv_err_set(&c->err, CV_EUSAGE,
				  "%s is longer than %d bytes (1 MiB), the limit for a note; split "
				  "it",
				  what, CV_NOTE_MAX);
	}
	*out = buf;
	*len = n;
	return CV_OK;
}

static cv_status read_file(struct cli *c, const char *path, char **out, size_t *len)
{
	struct stat sb;
	cv_status st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cv_err_set(&c->err, errno == ENOENT ? CV_ENOTFOUND : CV_ERROR,
				  "cannot read '%s': %s", path, strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return cv_err_set(&c->err, CV_EUSAGE, "'%s' is a directory; give a text file",
				  path);
	}
	st = read_fd(c, fd, path, out, len);
	close(fd);
	return st;
}

/* Overwrites, syncs and removes the editor's file. */
static void wipe_file(const char *path)
{
	struct stat sb;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		if (fstat(fd, &sb) == 0 && sb.st_size > 0) {
			char zero[4096] = {0};
			for (off_t o = 0; o < sb.st_size; o += (off_t)sizeof(zero))
				(void)!write(fd, zero, sizeof(zero));
			fsync(fd);
		}
		close(fd);
	}
	unlink(path);
}

/* Wipes every file the editor left in dir (backups, swap files), then dir. */
static int wipe_dir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
			    sizeof(path))
				wipe_file(path);
		}
		closedir(d);
	}
	return rmdir(dir);
}

static volatile sig_atomic_t edit_signal;

static void note_signal(int sig)
{
	edit_signal = sig;
}

/* Runs $EDITOR on path with its swap, backup and undo files off.  A hang-up
 * or termination ends the editor and returns, so the caller still wipes. */
static int run_editor(const char *path)
{
	struct sigaction sa = {0}, old[3];
	static const int sigs[3] = {SIGHUP, SIGINT, SIGTERM};
	const char *editor = getenv("VISUAL");
	const char *base;
	pid_t pid;
	int status;

	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	base = strrchr(editor, '/');
	base = base ? base + 1 : editor;
	edit_signal = 0;
	sa.sa_handler = note_signal; /* no SA_RESTART: waitpid returns EINTR */
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			sigaction(sigs[i], &old[i], NULL);
		if (strcmp(base, "vi") == 0 || strcmp(base, "vim") == 0 ||
		    strcmp(base, "nvim") == 0)
			execlp(editor, editor, "-n", "-i", "NONE",
			       "+set nobackup nowritebackup noundofile viminfo=", path,
			       (char *)NULL);
		else if (strcmp(base, "nano") == 0)
			execlp(editor, editor, "--nohelp", "--ignorercfiles", path, (char *)NULL);
		else
			execlp(editor, editor, path, (char *)NULL);
		_exit(127);
	}
	status = -1;
	while (pid > 0 && waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			break;
		if (edit_signal == SIGHUP || edit_signal == SIGTERM)
			kill(pid, SIGTERM);
	}
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (pid < 0 || edit_signal)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static cv_status from_editor(struct cli *c, const char *initial, size_t initial_len, char **out,
			     size_t *len)
{
	char dir[] = "/dev/shm/casevault-XXXXXX";
	char path[sizeof(dir) + 16];
	cv_status st;
	int fd, rc;

	if (!mkdtemp(dir))
		return cv_err_set(&c->err, CV_ERROR,
				  "cannot make a private directory in /dev/shm (%s); give the text "
				  "with --file or on standard input",
				  strerror(errno));
	snprintf(path, sizeof(path), "%s/note.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		wipe_dir(dir);
		return cv_err_set(&c->err, CV_ERROR, "cannot create '%s': %s", path,
				  strerror(errno));
	}
	if (initial && initial_len && write(fd, initial, initial_len) != (ssize_t)initial_len) {
		close(fd);
		wipe_dir(dir);
		return cv_err_set(&c->err, CV_ERROR, "cannot write '%s'", path);
	}
	close(fd);
	rc = run_editor(path);
	if (rc != 0)
		st = cv_err_set(
		    &c->err, CV_ERROR,
		    "the editor failed or was interrupted (status %d); nothing was saved", rc);
	else
		st = read_file(c, path, out, len);
	if (wipe_dir(dir) != 0 && st == CV_OK) {
		sodium_free(*out);
		*out = NULL;
		st = cv_err_set(&c->err, CV_ERROR,
				"cannot remove the editor's directory '%s'; remove it yourself, "
				"nothing was saved",
				dir);
	}
	if (st == CV_OK && *len == 0) {
		sodium_free(*out);
		*out = NULL;
		st = cv_err_set(&c->err, CV_EUSAGE, "the note is empty; nothing was saved");
	}
	return st;
}

cv_status cli_text(struct cli *c, const char *file, const char *initial, size_t initial_len,
		   char **out, size_t *len)
{
	if (file)
		return read_file(c, file, out, len);
	if (!isatty(STDIN_FILENO))
		return read_fd(c, STDIN_FILENO, "standard input", out, len);
	return from_editor(c, initial, initial_len, out, len);
}

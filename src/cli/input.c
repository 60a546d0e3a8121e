/*
 * input.c - reading a note's text: from a file, from standard input, or
 * from the editor on a private file in memory-backed storage.
 *
 * The editor's file lives in a directory of its own under the user's
 * private directory ($XDG_RUNTIME_DIR/casevault, else
 * /dev/shm/casevault-UID; 0700, owned by the user), named after the
 * process.  It is wiped when the command ends; a small watcher process
 * wipes it if the command dies before that (even by SIGKILL), and every
 * start of casevault sweeps what a dead process left behind.  A text that
 * could not be saved is kept in that private directory, 0600, and the
 * message says how to resume.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "banned.h"

/* One byte more than the library accepts, so that it can say "too long". */
#define TEXT_CAP (CV_NOTE_MAX + 1)
/* Room for the private directory's path and a file in it. */
#define PATH_CAP 512
/* The longest $VISUAL or $EDITOR run. */
#define EDITOR_MAX 1024
/* The prefix of an editing directory: "edit-PID-XXXXXX". */
#define EDIT_PREFIX "edit-"

/* Everything below this line of the editor's file is removed. */
static const char scissors[] = "# ------------------------ >8 ------------------------";

static cv_status read_fd(struct cli *c, int fd, const char *what, char **out, size_t *len)
{
	char *buf = sodium_malloc(TEXT_CAP);
	size_t n = 0;
	ssize_t r = 0;

	*out = NULL;
	if (!buf)
		return cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	while (n < TEXT_CAP && (r = read(fd, buf + n, TEXT_CAP - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_free(buf);
			return cv_err_set(&c->err, CV_ERROR, _("cannot read %s: %s"), what,
					  strerror(errno));
		}
		n += (size_t)r;
	}
	if (n >= TEXT_CAP) {
		sodium_free(buf);
		return cv_err_set(
		    &c->err, CV_EUSAGE,
		    _("%s is longer than %d bytes (1 MiB), the limit for a note; split "
		      "it"),
		    what, CV_NOTE_MAX);
	}
	*out = buf;
	*len = n;
	return CV_OK;
}

static cv_status read_file(struct cli *c, const char *path, int nofollow, char **out, size_t *len)
{
	struct stat sb;
	cv_status st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));

	if (fd < 0)
		return cv_err_set(&c->err, errno == ENOENT ? CV_ENOTFOUND : CV_ERROR,
				  _("cannot read '%s': %s"), path, strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return cv_err_set(&c->err, CV_EUSAGE, _("'%s' is a directory; give a text file"),
				  path);
	}
	st = read_fd(c, fd, path, out, len);
	close(fd);
	return st;
}

/* Overwrites, syncs and removes a file. */
static void wipe_file(const char *path)
{
	struct stat sb;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
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
	char path[PATH_CAP];
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

/*
 * The user's private directory, made when missing: 0700, owned by the
 * user, not a symbolic link; anything else is refused (another user could
 * read or replace what goes in it).
 */
static cv_status private_dir(struct cli *c, char *out, size_t cap)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat sb;
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(out, cap, "%s/casevault", xdg);
	else
		n = snprintf(out, cap, "/dev/shm/casevault-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= cap - 64)
		return cv_err_set(&c->err, CV_ERROR, _("the private directory's path is too long"));
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return cv_err_set(&c->err, CV_ERROR,
				  _("cannot make the private directory '%s' (%s); give the text "
				    "with --file or on standard input"),
				  out, strerror(errno));
	if (lstat(out, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid() ||
	    (sb.st_mode & 077) != 0)
		return cv_err_set(&c->err, CV_ERROR,
				  _("'%s' is not a private directory of yours (a directory, mode "
				    "0700, owned by you); remove it or fix it, then try again"),
				  out);
	return CV_OK;
}

void cli_sweep_edits(void)
{
	char root[PATH_CAP], path[PATH_CAP * 2];
	struct dirent *e;
	struct stat sb;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	DIR *d;

	if (xdg && xdg[0] == '/')
		snprintf(root, sizeof(root), "%s/casevault", xdg);
	else
		snprintf(root, sizeof(root), "/dev/shm/casevault-%u", (unsigned)getuid());
	/* Only a directory that is ours and private is swept. */
	if (lstat(root, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid() ||
	    (sb.st_mode & 077) != 0)
		return;
	d = opendir(root);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid;

		if (strncmp(e->d_name, EDIT_PREFIX, strlen(EDIT_PREFIX)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(EDIT_PREFIX), &end, 10);
		if (pid <= 0 || *end != '-')
			continue;
		/* Its process is gone: whatever it was editing is wiped. */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, e->d_name) < sizeof(path))
			wipe_dir(path);
	}
	closedir(d);
}

static volatile sig_atomic_t edit_signal;

static void note_signal(int sig)
{
	edit_signal = sig;
}

/* The first word of the editor's command, without its directory. */
static void editor_base(const char *editor, char *out, size_t cap)
{
	size_t n = strcspn(editor, " \t");
	const char *p = editor;

	for (size_t i = 0; i < n; i++)
		if (editor[i] == '/')
			p = editor + i + 1;
	n -= (size_t)(p - editor);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/*
 * Runs $VISUAL, else $EDITOR, else vi, on path through /bin/sh -c as git
 * does (so the command may carry arguments: EDITOR="code --wait"); for
 * vi, vim and nvim with the swap, backup and undo files off.  A hang-up or
 * termination ends the editor and returns, so the caller still wipes.
 */
static int run_editor(struct cli *c, const char *path)
{
	struct sigaction sa = {0}, old[3];
	static const int sigs[3] = {SIGHUP, SIGINT, SIGTERM};
	const char *editor = getenv("VISUAL");
	char base[32], script[EDITOR_MAX + 128];
	const char *extra = "";
	pid_t pid;
	int status;

	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	if (strlen(editor) > EDITOR_MAX) {
		cv_err_set(&c->err, CV_EUSAGE, _("$VISUAL or $EDITOR is longer than %d bytes"),
			   EDITOR_MAX);
		return -2;
	}
	editor_base(editor, base, sizeof(base));
	if (strcmp(base, "vi") == 0 || strcmp(base, "vim") == 0 || strcmp(base, "nvim") == 0)
		extra = " -n -i NONE '+set nobackup nowritebackup noundofile viminfo='";
	snprintf(script, sizeof(script), "%s%s \"$@\"", editor, extra);
	edit_signal = 0;
	sa.sa_handler = note_signal; /* no SA_RESTART: waitpid returns EINTR */
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			sigaction(sigs[i], &old[i], NULL);
		execl("/bin/sh", "sh", "-c", script, editor, path, (char *)NULL);
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

/*
 * A watcher: a child that waits for the end of the pipe only this process
 * writes to, and then wipes dir.  The pipe ends when this process ends,
 * however it ends (SIGKILL included), so the editor's file does not
 * outlive the command.  Returns the write end (or -1: the sweep at the
 * next start is left).
 */
static int start_watcher(const char *dir, pid_t *watcher)
{
	int p[2];
	pid_t pid;

	*watcher = -1;
	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char b;

		close(p[1]);
		/* Signals for the terminal's job are for the command, not this. */
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGTSTP, SIG_IGN);
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		wipe_dir(dir);
		_exit(0);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	/* Not inherited by the editor. */
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	*watcher = pid;
	return p[1];
}

/* The context lines under the scissors line. */
static int write_context(int fd, const struct cli *c)
{
	const cv_case_context *x = &c->ctx;
	char buf[1024];
	int n;

	/* In the user's language; the scissors line itself never changes. */
	if (!c->have_ctx)
		n = snprintf(buf, sizeof(buf),
			     _("\n%s\n# Everything from the line above down is removed; do not "
			       "change it.\n# Write the note above it.  An empty note aborts: "
			       "nothing is saved.\n"),
			     scissors);
	else
		n = snprintf(
		    buf, sizeof(buf),
		    _("\n%s\n# Everything from the line above down is removed; do not change "
		      "it.\n# Write the note above it.  An empty note aborts: nothing is saved.\n"
		      "# case %s, note kind %s\n# consent: %s%s%s%s\n"),
		    scissors, x->case_id, cli_word(x->kind),
		    !x->scope[0]      ? _("none needed")
		    : x->under_crisis ? _("not in force for ")
				      : _("in force for "),
		    cli_word(x->scope),
		    !x->scope[0]      ? ""
		    : x->under_crisis ? _("; written under the crisis exception (--crisis)")
		    : x->minor	      ? _(" (student and guardian)")
				      : _(" (student)"),
		    "");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return write(fd, buf, (size_t)n) == (ssize_t)n ? 0 : -1;
}

/* Whether path is on a file system held in memory (tmpfs, ramfs): what is
 * written there never reaches a disk. */
static int in_memory(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
}
/* Writes text to a new file kept in the private directory, its name into
 * path (PATH_CAP + 64), *memory whether that is held in memory; 0, or -1
 * after saying on stderr that the text is lost (c->err is left as it was). */
static int keep_file(struct cli *c, const char *text, size_t len, char *path, int *memory)
{
	char root[PATH_CAP], stamp[32];
	cv_err saved = c->err;
	time_t now = time(NULL);
	struct tm tm;
	int fd;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (private_dir(c, root, sizeof(root)) != CV_OK) {
		c->err = saved;
		fprintf(stderr, _("error: the text could not be kept either; it is lost\n"));
		return -1;
	}
	c->err = saved;
	snprintf(path, PATH_CAP + 64, "%s/kept-%s-%ld.txt", root, stamp, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		if (fd >= 0) {
			close(fd);
			wipe_file(path);
		}
		fprintf(stderr, _("error: the text could not be kept either (%s); it is lost\n"),
			strerror(errno));
		return -1;
	}
	close(fd);
	*memory = in_memory(root);
	return 0;
}

static size_t strip_context(char *t, size_t n);

/* After an editor that failed: what it saved, when that is text other than
 * what it was given, is kept (keep_file) and said so; the error stands. */
static void keep_after_editor(struct cli *c, const char *path, const char *initial,
			      size_t initial_len, int status)
{
	cv_err saved = c->err;
	char kept[PATH_CAP + 64];
	char *t = NULL;
	size_t n = 0;
	int memory = 0;

	if (read_file(c, path, 1, &t, &n) != CV_OK) {
		c->err = saved;
		return;
	}
	n = strip_context(t, n);
	if (n > 0 && !(initial && n == initial_len && memcmp(t, initial, n) == 0) &&
	    keep_file(c, t, n, kept, &memory) == 0)
		fprintf(stderr,
			memory ? _("the editor failed (status %d) after saving text; it is kept "
				   "in %s (memory only, readable by you alone): give it with "
				   "--file %s, then remove it\n")
			       : _("the editor failed (status %d) after saving text; it is kept "
				   "in %s (readable by you alone, but on a disk): give it with "
				   "--file %s, then remove it\n"),
			status, kept, kept);
	sodium_free(t);
	c->err = saved;
}

/* Cuts the text at the scissors line, removes blanks at its end, and
 * blank lines at its start; the length that remains. */
static size_t strip_context(char *t, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i + sizeof(scissors) - 1 <= n; i++) {
		if ((i == 0 || t[i - 1] == '\n') &&
		    /* the note's text: compared in constant time */
		    sodium_memcmp(t + i, scissors, sizeof(scissors) - 1) == 0) {
			n = i;
			break;
		}
		while (i < n && t[i] != '\n')
			i++;
	}
	while (n > 0 &&
	       (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r'))
		n--;
	/* Leading blank lines (the editor may open on an empty first line). */
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\n')
			start = i + 1;
		else if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r')
			break;
	}
	if (start) {
		memmove(t, t + start, n - start);
		n -= start;
	}
	sodium_memzero(t + n, TEXT_CAP - n);
	return n;
}

static cv_status from_editor(struct cli *c, const char *initial, size_t initial_len, char **out,
			     size_t *len)
{
	char root[PATH_CAP], dir[PATH_CAP + 32], path[PATH_CAP + 48];
	cv_status st;
	pid_t watcher = -1;
	int fd, rc, wfd;

	*out = NULL;
	if (private_dir(c, root, sizeof(root)) != CV_OK)
		return c->err.status;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/" EDIT_PREFIX "%ld-XXXXXX", root,
			     (long)getpid()) >= sizeof(dir))
		return cv_err_set(&c->err, CV_ERROR, _("the private directory's path is too long"));
	if (!mkdtemp(dir))
		return cv_err_set(
		    &c->err, CV_ERROR,
		    _("cannot make a directory in '%s' (%s); give the text with --file "
		      "or on standard input"),
		    root, strerror(errno));
	wfd = start_watcher(dir, &watcher);
	snprintf(path, sizeof(path), "%s/note.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		st = cv_err_set(&c->err, CV_ERROR, _("cannot create '%s': %s"), path,
				strerror(errno));
		goto out;
	}
	if ((initial && initial_len && write(fd, initial, initial_len) != (ssize_t)initial_len) ||
	    write_context(fd, c) != 0) {
		close(fd);
		st = cv_err_set(&c->err, CV_ERROR, _("cannot write '%s'"), path);
		goto out;
	}
	close(fd);
	rc = run_editor(c, path);
	if (rc == -2)
		st = c->err.status;
	else if (rc != 0) {
		st = cv_err_set(
		    &c->err, CV_ERROR,
		    _("the editor failed or was interrupted (status %d); nothing was saved"), rc);
		keep_after_editor(c, path, initial, initial_len, rc);
	} else
		st = read_file(c, path, 1, out, len);
	if (st == CV_OK) {
		*len = strip_context(*out, *len);
		if (*len == 0) {
			sodium_free(*out);
			*out = NULL;
			st = cv_err_set(&c->err, CV_ERROR,
					_("the note is empty: aborted, nothing was saved"));
		}
	}
out:
	if (wipe_dir(dir) != 0 && errno != ENOENT && st == CV_OK) {
		sodium_free(*out);
		*out = NULL;
		st = cv_err_set(&c->err, CV_ERROR,
				_("cannot remove the editor's directory '%s'; remove it yourself, "
				  "nothing was saved"),
				dir);
	}
	if (wfd >= 0)
		close(wfd);
	if (watcher > 0)
		while (waitpid(watcher, NULL, 0) < 0 && errno == EINTR)
			;
	/* The private directory itself goes too when nothing else is in it. */
	rmdir(root);
	if (st == CV_OK)
		c->text_from_editor = 1;
	return st;
}

cv_status cli_text(struct cli *c, const char *file, const char *initial, size_t initial_len,
		   char **out, size_t *len)
{
	return cli_text_edit(c, file, 0, initial, initial_len, out, len);
}

cv_status cli_text_edit(struct cli *c, const char *file, int edit, const char *initial,
			size_t initial_len, char **out, size_t *len)
{
	if (file)
		return read_file(c, file, 0, out, len);
	if (!edit && !isatty(STDIN_FILENO))
		return read_fd(c, STDIN_FILENO, "standard input", out, len);
	return from_editor(c, initial, initial_len, out, len);
}

void cli_keep_text(struct cli *c, const char *text, size_t len, const char *resume)
{
	char path[PATH_CAP + 64];
	int memory;

	if (!c->text_from_editor || !text || !len || keep_file(c, text, len, path, &memory) != 0)
		return;
	if (memory)
		fprintf(stderr,
			_("your text is kept in %s (memory only, readable by you alone); resume "
			  "with 'casevault %s --file %s', then remove it\n"),
			path, resume, path);
	else
		fprintf(stderr,
			_("your text is kept in %s (readable by you alone, but on a disk: "
			  "$XDG_RUNTIME_DIR is not held in memory); resume with 'casevault %s "
			  "--file %s', then remove it\n"),
			path, resume, path);
}

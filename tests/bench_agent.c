/*
 * bench_agent.c - the warm-command benchmark behind `make bench`: how long
 * `casevault note show ID` takes with an unlocked agent, against the
 * sqlite3 program reading the same row, and where the command's time goes.
 *
 *     bench_agent [-n RUNS] [-o FILE] CASEVAULT SQLITE3 VAULT USER NOTE
 *
 * VAULT holds the note NOTE, readable by USER, whose agent is running (see
 * tests/bench_agent.sh, which sets this up and tears it down).  Two parts:
 *
 *   1. Whole processes, RUNS rounds, interleaved so that a busy machine
 *      slows all of them alike: each round runs, in turn,
 *        - `CASEVAULT --vault VAULT --user USER note show NOTE`,
 *        - `SQLITE3 VAULT "select * from records where id = 'NOTE'"` (the
 *          note's whole row, the bytes the command reads for it),
 *        - `CASEVAULT --version` (starting the program: loading it and its
 *          libraries, locale, nothing of a vault),
 *      each from fork to exit.  Reported: the median and the fastest of
 *      each, and the ratio note show / sqlite3 of the medians (the target:
 *      at most 2).
 *
 *   2. The same steps as the program's `note show`, in this process, RUNS
 *      times: vault open, attaching to the agent (which gives the
 *      signatures it knows to verify), the role check before the login,
 *      the login with the agent, the command itself, closing.  The program is linked with
 *      -Wl,--wrap for crypto_sign_verify_detached (signature checks),
 *      send and recv (round trips to the agent: counted by their
 *      requests), sqlite3_prepare_v2/_v3
 *      and sqlite3_step (SQL; with SQLite linked in from its static
 *      archive, also those sqlite3_exec makes, which the shared library
 *      kept from the wrappers), and a SQLite VFS in front of the default
 *      one times every xSync (the fsyncs that make log rows durable; they
 *      run inside sqlite3_step and are taken out of the SQL time).  The
 *      medians per step and per kind of work are reported, so that the
 *      split adds up to the whole.
 *
 * Speed is reported, never asserted: this is no test.
 *
 * Layer: tests.  Uses casevault.h, libsodium and sqlite3.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "casevault.h"

#define RUNS_DEFAULT 200
#define RUNS_MAX 100000
/* The target of the warm command, as a ratio to sqlite3. */
#define TARGET_RATIO 2.0
#define SQL_MAX 256

static FILE *results;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (results) {
		va_start(ap, fmt);
		vfprintf(results, fmt, ap);
		va_end(ap);
	}
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_agent: %s: %s\n", what, why);
	exit(1);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n) (sorts v). */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- part 1: whole processes ----------------------------------------------- */

/* Runs argv with standard input and output on /dev/null; the seconds
 * from fork to its exit.  A failed run ends the benchmark. */
static double run(char *const argv[])
{
	double t0 = now_s(), t;
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid", strerror(errno));
	t = now_s() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char what[128];

		snprintf(what, sizeof(what), "'%s %s' failed (status %d)", argv[0], argv[1],
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		die(what, "is the agent running and the note readable?");
	}
	return t;
}

enum { P_NOTE, P_SQLITE, P_START, P_N };
static const char *const p_names[P_N] = {"casevault note show (warm)", "sqlite3 reading the row",
					 "casevault --version"};

/* Part 1; the median of each kind into med[]. */
static void processes(int runs, char *note[], char *sql[], char *start[], double med[P_N])
{
	double *t[P_N];

	for (int k = 0; k < P_N; k++) {
		t[k] = calloc((size_t)runs, sizeof(double));
		if (!t[k])
			die("memory", strerror(errno));
	}
	/* One warm-up round: page cache, the agent's first use. */
	run(note), run(sql), run(start);
	for (int i = 0; i < runs; i++) {
		t[P_NOTE][i] = run(note);
		t[P_SQLITE][i] = run(sql);
		t[P_START][i] = run(start);
	}
	double fast[P_N];

	out("\n1. whole processes, %d interleaved rounds (ms)\n", runs);
	out("   %-32s %8s %8s\n", "", "median", "fastest");
	for (int k = 0; k < P_N; k++) {
		med[k] = median(t[k], runs);
		fast[k] = t[k][0];
		out("   %-32s %8.3f %8.3f\n", p_names[k], med[k] * 1e3, fast[k] * 1e3);
		free(t[k]);
	}
	out("   ratio note show / sqlite3: %.2f (target: at most %.1f)\n",
	    med[P_NOTE] / med[P_SQLITE], TARGET_RATIO);
	/* note show waits for fsyncs, sqlite3 writes nothing: a busy disk
	 * slows only the first; the fastest runs show it least. */
	out("   ratio of the fastest runs: %.2f\n", fast[P_NOTE] / fast[P_SQLITE]);
	out("   starting casevault alone / sqlite3: %.2f\n", med[P_START] / med[P_SQLITE]);
}

/* ---- part 2: inside the command -------------------------------------------- */

enum { W_SIG, W_AGENT, W_SQL, W_SYNC, W_N };
static const char *const w_names[W_N] = {"signature checks", "agent round trips",
					 "SQL (prepare, step)", "fsync (xSync)"};
static int counting;
static int64_t w_calls[W_N];
static double w_s[W_N];
static int sql_depth; /* inside a timed sqlite3 call */

#define WRAP_BEGIN(t0) (counting ? ((t0) = now_s(), 1) : 0)
#define WRAP_END(w, t0)                                                                            \
	do {                                                                                       \
		w_s[w] += now_s() - (t0);                                                          \
		w_calls[w]++;                                                                      \
	} while (0)

int __real_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk);
int __wrap_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk);
int __wrap_crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
				       unsigned long long mlen, const unsigned char *pk)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc = __real_crypto_sign_verify_detached(sig, m, mlen, pk);

	if (on)
		WRAP_END(W_SIG, t0);
	return rc;
}

/* A round trip is a send and the receives of its answer (agent.c). */
ssize_t __real_send(int fd, const void *b, size_t n, int flags);
ssize_t __wrap_send(int fd, const void *b, size_t n, int flags);
ssize_t __wrap_send(int fd, const void *b, size_t n, int flags)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	ssize_t r = __real_send(fd, b, n, flags);

	if (on)
		WRAP_END(W_AGENT, t0);
	return r;
}

ssize_t __real_recv(int fd, void *b, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *b, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *b, size_t n, int flags)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	ssize_t r = __real_recv(fd, b, n, flags);

	if (on)
		w_s[W_AGENT] += now_s() - t0;
	return r;
}

int __real_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc;

	sql_depth++;
	rc = __real_sqlite3_step(s);
	sql_depth--;
	if (on)
		WRAP_END(W_SQL, t0);
	return rc;
}

int __real_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **s,
			      const char **tail);
int __wrap_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **s,
			      const char **tail);
int __wrap_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **s,
			      const char **tail)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc = __real_sqlite3_prepare_v2(db, sql, n, s, tail);

	if (on)
		WRAP_END(W_SQL, t0);
	return rc;
}

int __real_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned flags, sqlite3_stmt **s,
			      const char **tail);
int __wrap_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned flags, sqlite3_stmt **s,
			      const char **tail);
int __wrap_sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned flags, sqlite3_stmt **s,
			      const char **tail)
{
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc = __real_sqlite3_prepare_v3(db, sql, n, flags, s, tail);

	if (on)
		WRAP_END(W_SQL, t0);
	return rc;
}

/* A VFS in front of the default one whose files time their xSync.  A
 * sync inside a timed sqlite3 call is taken out of that call's time. */
static sqlite3_vfs timed_vfs, *base_vfs;
static sqlite3_io_methods timed_io;
static const sqlite3_io_methods *base_io;

struct timed_file {
	sqlite3_file base;
	sqlite3_file *real; /* follows this struct in the same block */
};

static int timed_sync(sqlite3_file *f, int flags)
{
	struct timed_file *tf = (struct timed_file *)f;
	double t0 = 0;
	int on = WRAP_BEGIN(t0);
	int rc = tf->real->pMethods->xSync(tf->real, flags);

	if (on) {
		double dt = now_s() - t0;

		w_s[W_SYNC] += dt;
		w_calls[W_SYNC]++;
		if (sql_depth)
			w_s[W_SQL] -= dt;
	}
	return rc;
}

/* Every other method passes the inner file on. */
#define PASS(name, ret, params, args)                                                              \
	static ret timed_##name params                                                             \
	{                                                                                          \
		struct timed_file *tf = (struct timed_file *)f;                                    \
		return tf->real->pMethods->name args;                                              \
	}
PASS(xClose, int, (sqlite3_file * f), (tf->real))
PASS(xRead, int, (sqlite3_file * f, void *b, int n, sqlite3_int64 o), (tf->real, b, n, o))
PASS(xWrite, int, (sqlite3_file * f, const void *b, int n, sqlite3_int64 o), (tf->real, b, n, o))
PASS(xTruncate, int, (sqlite3_file * f, sqlite3_int64 n), (tf->real, n))
PASS(xFileSize, int, (sqlite3_file * f, sqlite3_int64 *n), (tf->real, n))
PASS(xLock, int, (sqlite3_file * f, int l), (tf->real, l))
PASS(xUnlock, int, (sqlite3_file * f, int l), (tf->real, l))
PASS(xCheckReservedLock, int, (sqlite3_file * f, int *r), (tf->real, r))
PASS(xFileControl, int, (sqlite3_file * f, int op, void *a), (tf->real, op, a))
PASS(xSectorSize, int, (sqlite3_file * f), (tf->real))
PASS(xDeviceCharacteristics, int, (sqlite3_file * f), (tf->real))
PASS(xShmMap, int, (sqlite3_file * f, int i, int sz, int e, void volatile **p),
     (tf->real, i, sz, e, p))
PASS(xShmLock, int, (sqlite3_file * f, int o, int n, int fl), (tf->real, o, n, fl))
PASS(xShmUnmap, int, (sqlite3_file * f, int d), (tf->real, d))
PASS(xFetch, int, (sqlite3_file * f, sqlite3_int64 o, int n, void **p), (tf->real, o, n, p))
PASS(xUnfetch, int, (sqlite3_file * f, sqlite3_int64 o, void *p), (tf->real, o, p))

static void timed_barrier(sqlite3_file *f)
{
	struct timed_file *tf = (struct timed_file *)f;

	tf->real->pMethods->xShmBarrier(tf->real);
}

static int timed_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *oflags)
{
	struct timed_file *tf = (struct timed_file *)f;
	int rc;

	(void)vfs;
	tf->real = (sqlite3_file *)(tf + 1);
	rc = base_vfs->xOpen(base_vfs, name, tf->real, flags, oflags);
	if (rc != SQLITE_OK || !tf->real->pMethods) {
		f->pMethods = NULL;
		return rc;
	}
	base_io = tf->real->pMethods;
	f->pMethods = &timed_io;
	return rc;
}

static void timed_vfs_install(void)
{
	base_vfs = sqlite3_vfs_find(NULL);
	if (!base_vfs)
		die("sqlite3", "no default VFS");
	timed_vfs = *base_vfs;
	timed_vfs.zName = "bench-timed";
	timed_vfs.szOsFile = (int)sizeof(struct timed_file) + base_vfs->szOsFile;
	timed_vfs.xOpen = timed_open;
	timed_io = (sqlite3_io_methods){.iVersion = 3,
					.xClose = timed_xClose,
					.xRead = timed_xRead,
					.xWrite = timed_xWrite,
					.xTruncate = timed_xTruncate,
					.xSync = timed_sync,
					.xFileSize = timed_xFileSize,
					.xLock = timed_xLock,
					.xUnlock = timed_xUnlock,
					.xCheckReservedLock = timed_xCheckReservedLock,
					.xFileControl = timed_xFileControl,
					.xSectorSize = timed_xSectorSize,
					.xDeviceCharacteristics = timed_xDeviceCharacteristics,
					.xShmMap = timed_xShmMap,
					.xShmLock = timed_xShmLock,
					.xShmBarrier = timed_barrier,
					.xShmUnmap = timed_xShmUnmap,
					.xFetch = timed_xFetch,
					.xUnfetch = timed_xUnfetch};
	if (sqlite3_vfs_register(&timed_vfs, 1) != SQLITE_OK)
		die("sqlite3", "cannot register the timing VFS");
}

enum { S_OPEN, S_ATTACH, S_MAY, S_LOGIN, S_SHOW, S_CLOSE, S_N };
static const char *const s_names[S_N] = {
    "vault open",	    "attach to the agent",	   "role check before login",
    "login with the agent", "note show (checks, log row)", "close (and the agent told)"};

static int note_seen(const cv_note_info *n, void *arg)
{
	(void)n;
	(*(int *)arg)++;
	return 0;
}

static void fail_if(cv_status st, const char *what, const cv_err *err)
{
	if (st != CV_OK)
		die(what, err->msg);
}

/* Part 2. */
static void inside(int runs, const char *vault, const char *user, const char *note)
{
	double *step[S_N], *work[W_N], *total = calloc((size_t)runs, sizeof(double));
	int64_t calls[W_N] = {0};

	for (int k = 0; k < S_N; k++)
		step[k] = calloc((size_t)runs, sizeof(double));
	for (int k = 0; k < W_N; k++)
		work[k] = calloc((size_t)runs, sizeof(double));
	for (int i = -1; i < runs; i++) { /* round -1 warms up */
		double t[S_N + 1];
		cv_err err = {0};
		cv_vault *v = NULL;
		cv_session *s = NULL;
		int seen = 0;

		memset(w_s, 0, sizeof(w_s));
		memset(w_calls, 0, sizeof(w_calls));
		counting = 1;
		t[0] = now_s();
		fail_if(cv_vault_open(vault, &v, &err), "vault open", &err);
		t[1] = now_s();
		fail_if(cv_agent_attach(v, user, &err), "attach to the agent", &err);
		t[2] = now_s();
		fail_if(cv_may(v, user, CV_ACT_NOTE_SHOW, note, &err), "role check", &err);
		t[3] = now_s();
		fail_if(cv_login_agent(v, user, &s, &err), "login with the agent", &err);
		t[4] = now_s();
		fail_if(cv_note_show(s, note, note_seen, &seen, &err), "note show", &err);
		t[5] = now_s();
		cv_session_close(s);
		cv_vault_close(v);
		t[6] = now_s();
		counting = 0;
		if (seen != 1)
			die("note show", "the note was not shown");
		if (i < 0)
			continue;
		for (int k = 0; k < S_N; k++)
			step[k][i] = t[k + 1] - t[k];
		for (int k = 0; k < W_N; k++) {
			work[k][i] = w_s[k];
			calls[k] += w_calls[k];
		}
		total[i] = t[S_N] - t[0];
	}
	out("\n2. inside one warm note show, %d runs in this process (ms, medians)\n", runs);
	out("   by step:\n");
	for (int k = 0; k < S_N; k++)
		out("     %-32s %8.3f\n", s_names[k], median(step[k], runs) * 1e3);
	out("     %-32s %8.3f\n", "all of it", median(total, runs) * 1e3);
	out("   by kind of work (calls per command):\n");
	for (int k = 0; k < W_N; k++)
		out("     %-32s %8.3f  (%.1f)\n", w_names[k], median(work[k], runs) * 1e3,
		    (double)calls[k] / runs);
	for (int k = 0; k < S_N; k++)
		free(step[k]);
	for (int k = 0; k < W_N; k++)
		free(work[k]);
	free(total);
}

int main(int argc, char **argv)
{
	int runs = RUNS_DEFAULT, ch;
	const char *outfile = NULL;
	char sql[SQL_MAX];
	double med[P_N];
	cv_err err = {0};

	while ((ch = getopt(argc, argv, "n:o:")) != -1) {
		if (ch == 'n')
			runs = atoi(optarg);
		else if (ch == 'o')
			outfile = optarg;
		else
			return 2;
	}
	if (argc - optind != 5 || runs < 1 || runs > RUNS_MAX) {
		fprintf(
		    stderr,
		    "usage: bench_agent [-n RUNS] [-o FILE] CASEVAULT SQLITE3 VAULT USER NOTE\n");
		return 2;
	}
	char *cv = argv[optind], *sqlite = argv[optind + 1], *vault = argv[optind + 2],
	     *user = argv[optind + 3], *note = argv[optind + 4];
	if (strspn(note, "ABCDEFGHJKMNPQRSTVWXYZ0123456789-") != strlen(note))
		die("note", "not a note id");
	snprintf(sql, sizeof(sql), "select * from records where id = '%s'", note);
	char *note_argv[] = {cv, "--vault", vault, "--user", user, "note", "show", note, NULL};
	char *sql_argv[] = {sqlite, vault, sql, NULL};
	char *start_argv[] = {cv, "--version", NULL};

	if (outfile && !(results = fopen(outfile, "w")))
		die(outfile, strerror(errno));
	out("warm command benchmark: a note of %s, %d runs (a shared machine: compare "
	    "ratios, not times)\n",
	    user, runs);
	processes(runs, note_argv, sql_argv, start_argv, med);
	timed_vfs_install();
	fail_if(cv_init(&err), "init", &err);
	inside(runs, vault, user, note);
	out("\n   starting the program (part 1, --version): %.3f ms of the %.3f ms of a "
	    "warm note show\n",
	    med[P_START] * 1e3, med[P_NOTE] * 1e3);
	if (results)
		fclose(results);
	return 0;
}

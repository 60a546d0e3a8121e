/*
 * helpers.h - what the unit tests share: a private temporary directory for
 * each fixture (mode 0700, under $TMPDIR or /tmp, removed with everything
 * in it at teardown), vaults made with the cheapest KDF parameters the
 * library accepts, logins that fail the test when refused (and are closed
 * at teardown), and raw sqlite3 access to vault files that goes around the
 * library: scalar and blob queries, edits as an attacker would make them,
 * and copies through the backup API.
 *
 * Layer: tests.  Uses only casevault.h, cmocka, libsodium and sqlite3.
 * It includes cmocka.h with the headers cmocka needs first; include it
 * before any internal header and before "banned.h".
 */
#ifndef CV_TEST_HELPERS_H
#define CV_TEST_HELPERS_H

/* Not every test program uses every helper. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-const-variable"

#include <errno.h>
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
#include <sodium.h>
#include <sqlite3.h>

#include "casevault.h"

/* Room for a temporary directory and a file name inside it. */
#define TEST_DIR_MAX 256
#define TEST_PATH_MAX (TEST_DIR_MAX + 64)
/* Sessions one test may hold open at once. */
#define TEST_SESSIONS_MAX 32

/* The cheapest parameters the library accepts (its floors), so that a
 * login costs milliseconds; one lane, as parallelism has no floor. */
static const cv_kdf_params cheap_kdf = {CV_KDF_T_MIN, CV_KDF_M_MIN, 1};

/* Fails the test showing the message when it lacks the substring. */
#define assert_msg_has(e, sub)                                                                     \
	do {                                                                                       \
		if (!strstr((e).msg, (sub)))                                                       \
			fail_msg("message '%s' does not contain '%s'", (e).msg, (sub));            \
	} while (0)

/* ---- temporary directories ---------------------------------------------- */

/*
 * tmpdir_make - create a fresh directory "cv-test-TAG-XXXXXX" under $TMPDIR
 * (or /tmp when it is unset, empty or not absolute), mode 0700, into dir
 * (cap bytes).  Returns 0, or -1 with a message on stderr: setup functions
 * call it, where cmocka's assertions cannot be used.
 */
static int tmpdir_make(char *dir, size_t cap, const char *tag)
{
	const char *base = getenv("TMPDIR");
	struct stat sb;
	int n;

	if (!base || base[0] != '/')
		base = "/tmp";
	n = snprintf(dir, cap, "%s/cv-test-%s-XXXXXX", base, tag);
	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "temporary directory name under '%s' is too long\n", base);
		dir[0] = '\0';
		return -1;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "cannot create '%s': %s\n", dir, strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	/* mkdtemp promises 0700 and a new directory; make sure of both. */
	if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || (sb.st_mode & 0777) != 0700 ||
	    sb.st_uid != geteuid()) {
		fprintf(stderr, "'%s' is not a private directory\n", dir);
		rmdir(dir);
		dir[0] = '\0';
		return -1;
	}
	return 0;
}

static int tmpdir_remove_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(p) != 0)
		fprintf(stderr, "cannot remove '%s': %s\n", p, strerror(errno));
	return 0;
}

/*
 * tmpdir_remove - remove dir and everything under it (a vault and its
 * -wal, -shm and -journal files, copies, checkpoints); symbolic links are
 * removed, never followed.  An empty dir (never made) is ignored.  Returns
 * 0, or -1 when something was left behind.
 */
static int tmpdir_remove(const char *dir)
{
	struct stat sb;

	if (!dir || !dir[0])
		return 0;
	nftw(dir, tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return lstat(dir, &sb) == 0 ? -1 : 0;
}

/*
 * tmpdir_file - the path of name inside dir, in out (cap bytes); fails the
 * test when it does not fit.
 */
static void tmpdir_file(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= cap)
		fail_msg("path '%s/%s' does not fit in %zu bytes", dir, name, cap);
}

/* ---- vaults and logins --------------------------------------------------- */

/*
 * create_vault - cv_vault_create with cheap_kdf.  The recovery code lives in
 * sodium_malloc memory only; when recovery is not NULL (at least
 * CV_RECOVERY_CODE_LEN + 1 bytes) it is copied there.
 */
static cv_status create_vault(const char *path, const char *admin, const char *pass, char *recovery,
			      cv_err *err)
{
	char *code = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	cv_status st;

	if (!code)
		return cv_err_set(err, CV_ERROR, "out of guarded memory");
	st = cv_vault_create(path, admin, pass, strlen(pass), &cheap_kdf, code, err);
	if (st == CV_OK && recovery)
		memcpy(recovery, code, CV_RECOVERY_CODE_LEN + 1);
	sodium_free(code);
	return st;
}

/*
 * add_user - the way every account is made: the admin's session adds
 * `name` with `role` (cv_user_add, the one-time enrolment code in guarded
 * memory only) and the user enrols with that code, choosing pass
 * (cv_user_enrol, with cheap_kdf).  The admin's call takes no passphrase;
 * pass reaches only the enrolment.
 */
static cv_status add_user(cv_vault *v, cv_session *admin, const char *name, cv_role role,
			  const char *pass, cv_err *err)
{
	char *code = sodium_malloc(CV_ENROL_CODE_LEN + 1);
	cv_status st;

	if (!code)
		return cv_err_set(err, CV_ERROR, "out of guarded memory");
	st = cv_user_add(admin, name, role, 0, code, err);
	if (st == CV_OK)
		st = cv_user_enrol(v, name, code, pass, strlen(pass), &cheap_kdf, err);
	sodium_free(code);
	return st;
}

/*
 * reset_user - the same after a reset: the admin (with the recovery code)
 * issues a new enrolment code and the user enrols with it, choosing pass.
 */
static cv_status reset_user(cv_vault *v, cv_session *admin, const char *name, const char *recovery,
			    const char *pass, cv_err *err)
{
	char *code = sodium_malloc(CV_ENROL_CODE_LEN + 1);
	cv_status st;

	if (!code)
		return cv_err_set(err, CV_ERROR, "out of guarded memory");
	st = cv_user_reset(admin, name, recovery, 0, code, err);
	if (st == CV_OK)
		st = cv_user_enrol(v, name, code, pass, strlen(pass), &cheap_kdf, err);
	sodium_free(code);
	return st;
}

/* Sessions opened by login_ok, so that teardown closes those a failed test
 * left open. */
static cv_session *sessions[TEST_SESSIONS_MAX];

/* login_ok - log in, failing the test when refused; the session is closed
 * by logout or logout_all. */
static cv_session *login_ok(cv_vault *v, const char *name, const char *pass)
{
	cv_session *s = NULL;
	cv_err err = {0};

	if (cv_login(v, name, pass, strlen(pass), &s, &err) != CV_OK)
		fail_msg("login as '%s' failed: %s", name, err.msg);
	assert_non_null(s);
	for (size_t i = 0; i < TEST_SESSIONS_MAX; i++) {
		if (!sessions[i]) {
			sessions[i] = s;
			return s;
		}
	}
	cv_session_close(s);
	fail_msg("more than %d sessions open", TEST_SESSIONS_MAX);
	return NULL;
}

/* logout - close s (NULL is fine, and so is a session login_ok did not
 * open). */
static void logout(cv_session *s)
{
	for (size_t i = 0; i < TEST_SESSIONS_MAX; i++)
		if (sessions[i] == s)
			sessions[i] = NULL;
	cv_session_close(s);
}

/* logout_all - close every session login_ok opened; for teardown. */
static void logout_all(void)
{
	for (size_t i = 0; i < TEST_SESSIONS_MAX; i++) {
		cv_session_close(sessions[i]);
		sessions[i] = NULL;
	}
}

/*
 * login_status - try a login and return its status; a session that opened
 * is closed at once, a refused login must leave none.
 */
static cv_status login_status(cv_vault *v, const char *name, const char *pass, cv_err *err)
{
	cv_session *s = (cv_session *)1;
	cv_status st = cv_login(v, name, pass, strlen(pass), &s, err);

	if (st == CV_OK)
		cv_session_close(s);
	else
		assert_null(s);
	return st;
}

/* ---- raw sqlite3 access (no casevault code) ------------------------------ */

static sqlite3 *raw_open(const char *path, int flags)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		fail_msg("cannot open '%s': %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void vfmt(char *sql, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vfmt(char *sql, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(sql, cap, fmt, ap);

	if (n < 0 || (size_t)n >= cap)
		fail_msg("sql longer than %zu bytes: '%.60s...'", cap, sql);
}

/* q_int - a scalar query (printf-style); -1 when there is no row. */
static int64_t q_int(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t q_int(const char *path, const char *fmt, ...)
{
	char sql[2048];
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	int64_t v = -1;
	va_list ap;

	va_start(ap, fmt);
	vfmt(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("sql '%s': %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* q_text - a text query (printf-style) into out; "" when there is no row
 * or the value is NULL. */
static void q_text(const char *path, char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void q_text(const char *path, char *out, size_t cap, const char *fmt, ...)
{
	char sql[2048];
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	va_list ap;

	out[0] = '\0';
	va_start(ap, fmt);
	vfmt(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("sql '%s': %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* q_blob - a blob query (printf-style) into out; returns its length, 0 when
 * there is no row. */
static size_t q_blob(const char *path, uint8_t *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t q_blob(const char *path, uint8_t *out, size_t cap, const char *fmt, ...)
{
	char sql[2048];
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	size_t n = 0;
	va_list ap;

	va_start(ap, fmt);
	vfmt(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("sql '%s': %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW) {
		n = (size_t)sqlite3_column_bytes(s, 0);
		assert_true(n <= cap);
		if (n)
			memcpy(out, sqlite3_column_blob(s, 0), n);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* Runs SQL (printf-style) on path; returns the rows the last INSERT,
 * UPDATE or DELETE changed. */
static int raw_run(const char *path, int flags, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int raw_run(const char *path, int flags, const char *fmt, va_list ap)
{
	char sql[4096];
	sqlite3 *db = raw_open(path, flags);
	char *msg = NULL;
	int changed;

	vfmt(sql, sizeof(sql), fmt, ap);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sql '%s' failed: %s", sql, msg ? msg : "?");
	changed = sqlite3_changes(db);
	sqlite3_free(msg);
	sqlite3_close(db);
	return changed;
}

/*
 * raw_exec - edit an existing vault file as an attacker would (printf-
 * style SQL); fails the test on an SQL error and when the last INSERT,
 * UPDATE or DELETE changed no row, so that a tampering test cannot pass
 * by tampering with nothing.
 */
static void raw_exec(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void raw_exec(const char *path, const char *fmt, ...)
{
	va_list ap;
	int changed;

	va_start(ap, fmt);
	changed = raw_run(path, SQLITE_OPEN_READWRITE, fmt, ap);
	va_end(ap);
	if (changed < 1)
		fail_msg("sql on '%s' changed nothing", path);
}

/*
 * raw_sql - SQL that need not change rows (schema, PRAGMA), on a file that
 * is created when missing; fails the test on an SQL error.
 */
static void raw_sql(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void raw_sql(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	raw_run(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, fmt, ap);
	va_end(ap);
}

/* copy_db - copy a closed vault file with the SQLite backup API. */
static void copy_db(const char *from, const char *to)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *bk;

	assert_int_equal(sqlite3_open_v2(from, &src, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	bk = sqlite3_backup_init(dst, "main", src, "main");
	assert_non_null(bk);
	assert_int_equal(sqlite3_backup_step(bk, -1), SQLITE_DONE);
	assert_int_equal(sqlite3_backup_finish(bk), SQLITE_OK);
	sqlite3_close(dst);
	sqlite3_close(src);
}

#pragma GCC diagnostic pop

#endif /* CV_TEST_HELPERS_H */

/*
 * case_fixture.h - the shared fixture of the case-work tests (test_case,
 * test_consent, test_note, test_record): a base vault made once per
 * program (alice admin, carol and dave counselors, sam supervisor), copied
 * for every test, logins, raw sqlite3 helpers for reading and tampering,
 * and helpers that open a case and record consent.  Include it once, after
 * defining FIXTURE_TAG (names the temporary directory).
 */
#ifndef CV_CASE_FIXTURE_H
#define CV_CASE_FIXTURE_H

#ifndef FIXTURE_TAG
#error "define FIXTURE_TAG before including case_fixture.h"
#endif

/* Not every test program uses every helper. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "casevault.h"

#define PW_ALICE "alice correct horse battery"
#define PW_CAROL "carol correct horse battery"
#define PW_DAVE "dave correct horse battery"
#define PW_SAM "sam correct horse battery"
#define PW_NEW "carol has a brand new passphrase"

static const cv_kdf_params kdf = {2, 19456, 1};

#define assert_msg_has(e, sub)                                                                     \
	do {                                                                                       \
		if (!strstr((e).msg, (sub)))                                                       \
			fail_msg("message '%s' does not contain '%s'", (e).msg, (sub));            \
	} while (0)

/* ---- helpers ------------------------------------------------------------ */

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int make_dir(char *dir, size_t cap)
{
	snprintf(dir, cap, "/tmp/cv-test-" FIXTURE_TAG "-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

/* Sessions a test has open, so that teardown closes them when it fails. */
static cv_session *sessions[16];

static cv_session *login_ok(cv_vault *v, const char *name, const char *pass)
{
	cv_session *s = NULL;
	cv_err err = {0};

	if (cv_login(v, name, pass, strlen(pass), &s, &err) != CV_OK)
		fail_msg("login as '%s' failed: %s", name, err.msg);
	assert_non_null(s);
	for (size_t i = 0; i < 16; i++) {
		if (!sessions[i]) {
			sessions[i] = s;
			return s;
		}
	}
	fail_msg("too many sessions open");
	return NULL;
}

static void logout(cv_session *s)
{
	for (size_t i = 0; i < 16; i++)
		if (sessions[i] == s)
			sessions[i] = NULL;
	cv_session_close(s);
}

static void logout_all(void)
{
	for (size_t i = 0; i < 16; i++) {
		cv_session_close(sessions[i]);
		sessions[i] = NULL;
	}
}

static sqlite3 *raw_open(const char *path, int flags)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		fail_msg("cannot open '%s': %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* A scalar query through a connection of our own (no casevault code). */
static int64_t q_int(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t q_int(const char *path, const char *fmt, ...)
{
	char sql[1024];
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	int64_t v = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("sql '%s': %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A blob query; returns its length (0 when there is no row). */
static size_t q_blob(const char *path, uint8_t *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t q_blob(const char *path, uint8_t *out, size_t cap, const char *fmt, ...)
{
	char sql[1024];
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	size_t n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
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

static void raw_exec(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void raw_exec(const char *path, const char *fmt, ...)
{
	char sql[2048];
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READWRITE);
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sql '%s' failed: %s", sql, msg ? msg : "?");
	if (sqlite3_changes(db) < 1)
		fail_msg("sql '%s' changed nothing", sql);
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* Audit rows with this actor, action, outcome and object. */
static int64_t audit_rows(const char *path, const char *actor, const char *action,
			  const char *outcome, const char *object)
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM audit WHERE actor = ?1 AND"
					    " action = ?2 AND outcome = ?3 AND object = ?4",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, object, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static int64_t case_rows(const char *path, const char *actor, const char *action,
			 const char *outcome, const char *case_id)
{
	char object[32];

	snprintf(object, sizeof(object), "case:%s", case_id);
	return audit_rows(path, actor, action, outcome, object);
}

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

static void assert_id_shape(const char *id, char prefix, size_t n)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

	if (strlen(id) != n + 2 || id[0] != prefix || id[1] != '-')
		fail_msg("id '%s' is not %c- and %zu characters", id, prefix, n);
	for (size_t i = 2; i < n + 2; i++)
		if (!strchr(alphabet, id[i]))
			fail_msg("id '%s' has '%c', not Crockford base32", id, id[i]);
}

/* ---- fixture: alice admin, carol and dave counselors, sam supervisor ---- */

static char base_dir[64];
static char base_path[128];
static char recovery[CV_RECOVERY_CODE_LEN + 1]; /* the base vault's recovery code */

struct fix {
	char dir[64];
	char path[128];
	cv_vault *v;
};

static int group_setup(void **state)
{
	char *code = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	cv_vault *v = NULL;
	cv_session *a = NULL;
	cv_err err = {0};
	cv_status st = CV_ERROR;

	(void)state;
	if (!code || make_dir(base_dir, sizeof(base_dir)) != 0)
		return -1;
	snprintf(base_path, sizeof(base_path), "%s/base.db", base_dir);
	st = cv_vault_create(base_path, "alice", PW_ALICE, strlen(PW_ALICE), &kdf, code, &err);
	if (st == CV_OK) {
		memcpy(recovery, code, sizeof(recovery));
		st = cv_vault_open(base_path, &v, &err);
	}
	if (st == CV_OK)
		st = cv_login(v, "alice", PW_ALICE, strlen(PW_ALICE), &a, &err);
	if (st == CV_OK)
		st = cv_user_add(a, "carol", CV_ROLE_COUNSELOR, PW_CAROL, strlen(PW_CAROL), &kdf,
				 &err);
	if (st == CV_OK)
		st =
		    cv_user_add(a, "dave", CV_ROLE_COUNSELOR, PW_DAVE, strlen(PW_DAVE), &kdf, &err);
	if (st == CV_OK)
		st = cv_user_add(a, "sam", CV_ROLE_SUPERVISOR, PW_SAM, strlen(PW_SAM), &kdf, &err);
	cv_session_close(a);
	cv_vault_close(v);
	sodium_free(code);
	if (st != CV_OK) {
		fprintf(stderr, "group setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	remove_tree(base_dir);
	return 0;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	cv_err err = {0};

	if (!f || make_dir(f->dir, sizeof(f->dir)) != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/vault.db", f->dir);
	copy_db(base_path, f->path);
	if (cv_vault_open(f->path, &f->v, &err) != CV_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	logout_all();
	cv_vault_close(f->v);
	remove_tree(f->dir);
	free(f);
	return 0;
}

/* ---- case helpers ----------------------------------------------------------- */

static cv_case_input student(const char *sid, const char *name)
{
	cv_case_input in = {sid, name, "F", 8, "8-3", "emotion", NULL, "Li Mei", "13800001111"};
	return in;
}

static void open_ok(cv_session *s, const cv_case_input *in, char id[CV_CASE_ID_MAX])
{
	cv_err err = {0};
	int dup = -1;

	if (cv_case_open(s, in, id, &dup, &err) != CV_OK)
		fail_msg("case open failed: %s", err.msg);
	assert_id_shape(id, 'C', 5);
}

static void open_new(cv_session *s, const char *sid, const char *name, char id[CV_CASE_ID_MAX])
{
	cv_case_input in = student(sid, name);

	open_ok(s, &in, id);
}

static void consent_ok(cv_session *s, const char *id, const char *by, const char *scopes)
{
	cv_consent_input in = {by, "written", "2024-09-02", scopes, NULL};
	cv_err err = {0};

	if (cv_consent_record(s, id, &in, &err) != CV_OK)
		fail_msg("consent record failed: %s", err.msg);
}

static void consent_all(cv_session *s, const char *id)
{
	static const char all[] = "individual,group,testing,guardian-contact,referral-disclosure";

	consent_ok(s, id, "student", all);
	consent_ok(s, id, "guardian", all);
}

#pragma GCC diagnostic pop

#endif

/*
 * case_fixture.h - the shared fixture of the case-work tests (test_case,
 * test_consent, test_note, test_record): a base vault made once per
 * program (alice admin, carol and dave counselors, sam supervisor, the
 * vault keys delivered to them with the recovery code), copied
 * for every test in a private temporary directory, audit-row counts, and
 * helpers that open a case and record consent; temporary directories,
 * logins and raw sqlite3 access come from helpers.h.  Include it once,
 * after defining FIXTURE_TAG (names the temporary directories).
 */
#ifndef CV_CASE_FIXTURE_H
#define CV_CASE_FIXTURE_H

#ifndef FIXTURE_TAG
#error "define FIXTURE_TAG before including case_fixture.h"
#endif

/* Not every test program uses every helper. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#include <time.h>

#include "helpers.h"

#define PW_ALICE "alice correct horse battery"
#define PW_CAROL "carol correct horse battery"
#define PW_DAVE "dave correct horse battery"
#define PW_SAM "sam correct horse battery"
#define PW_NEW "carol has a brand new passphrase"

/* ---- helpers ------------------------------------------------------------ */

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

static char base_dir[TEST_DIR_MAX];
static char base_path[TEST_PATH_MAX];
static char recovery[CV_RECOVERY_CODE_LEN + 1]; /* the base vault's recovery code */

struct fix {
	char dir[TEST_DIR_MAX];
	char path[TEST_PATH_MAX];
	cv_vault *v;
};

static int group_setup(void **state)
{
	cv_vault *v = NULL;
	cv_session *a = NULL;
	cv_err err = {0};
	cv_status st = CV_ERROR;
	int delivered = 0;

	(void)state;
	if (tmpdir_make(base_dir, sizeof(base_dir), FIXTURE_TAG) != 0)
		return -1;
	snprintf(base_path, sizeof(base_path), "%s/base.db", base_dir);
	st = create_vault(base_path, "alice", PW_ALICE, recovery, &err);
	if (st == CV_OK)
		st = cv_vault_open(base_path, &v, &err);
	if (st == CV_OK)
		st = cv_login(v, "alice", PW_ALICE, strlen(PW_ALICE), &a, &err);
	if (st == CV_OK)
		st = add_user(v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL, &err);
	if (st == CV_OK)
		st = add_user(v, a, "dave", CV_ROLE_COUNSELOR, PW_DAVE, &err);
	if (st == CV_OK)
		st = add_user(v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM, &err);
	/* The index key to carol and dave, the stats key to sam: admins hold
	 * neither, so they come from the recovery copies. */
	if (st == CV_OK)
		st = cv_vault_keys_deliver(a, recovery, &delivered, &err);
	if (st == CV_OK && delivered != 3)
		st = cv_fail(&err, CV_ERROR, "fixture", "delivered {1} keys, not 3", "?");
	cv_session_close(a);
	cv_vault_close(v);
	if (st != CV_OK) {
		fprintf(stderr, "group setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sodium_memzero(recovery, sizeof(recovery));
	return tmpdir_remove(base_dir);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	cv_err err = {0};

	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), FIXTURE_TAG) != 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/vault.db", f->dir);
	*state = f;
	copy_db(base_path, f->path);
	if (cv_vault_open(f->path, &f->v, &err) != CV_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int rc;

	logout_all();
	cv_vault_close(f->v);
	rc = tmpdir_remove(f->dir);
	free(f);
	return rc;
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

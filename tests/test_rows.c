/*
 * test_rows.c - the log commits to every stored row, whatever the schema:
 * take an earlier and a later copy of a vault, then, one change at a time,
 * delete each row of the later copy, put each changed row back to its
 * earlier version, and re-insert each row the later copy deleted.  Every
 * one must make `audit verify` an integrity failure.  The tables and
 * columns are read from the file itself, so a new table is covered without
 * touching this test.
 */
#define FIXTURE_TAG "rows"
#include "case_fixture.h"

#define EARLY_NAME "early.db"
#define LATE_NAME "late.db"
#define WORK_NAME "work.db"

struct paths {
	char early[TEST_PATH_MAX], late[TEST_PATH_MAX], work[TEST_PATH_MAX];
};

/* Counts of what was tried, so that the test cannot pass by trying
 * nothing. */
struct tally {
	int deleted, restored, reinserted;
};

/* The earlier and the later state of a vault with a little of everything:
 * between them rows are inserted, changed (a draft edited, a passphrase
 * changed, a setting changed, a case closed) and deleted (a user disabled:
 * their key copies; a case shredded: its records and grants). */
static void build(struct fix *f, struct paths *p)
{
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char c1[CV_CASE_ID_MAX], c2[CV_CASE_ID_MAX], n1[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX];
	char n3[CV_CASE_ID_MAX];
	cv_err err = {0};

	open_new(c, "S-100", "Zhang Wei", c1);
	consent_all(c, c1);
	open_new(c, "S-101", "Li Na", c2);
	consent_all(c, c2);
	assert_int_equal(cv_note_add(c, c1, "session", "first draft", 11, NULL, n1, &err), CV_OK);
	assert_int_equal(cv_note_add(c, c2, "session", "other case", 10, NULL, n2, &err), CV_OK);
	assert_int_equal(cv_case_share(c, c1, "dave", &err), CV_OK);
	assert_int_equal(cv_config_set(a, "archive_days", "9", &err), CV_OK);
	logout(c);
	logout(a);
	cv_vault_close(f->v);
	f->v = NULL;
	copy_db(f->path, p->early);

	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
	a = login_ok(f->v, "alice", PW_ALICE);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_note_edit(c, n1, "second draft", 12, NULL, &err), CV_OK);
	assert_int_equal(cv_note_finalize(c, n1, &err), CV_OK);
	assert_int_equal(cv_note_add(c, c1, "analysis", "analysis", 8, NULL, n3, &err), CV_OK);
	assert_int_equal(cv_note_finalize(c, n3, &err), CV_OK);
	assert_int_equal(cv_note_add(c, c1, "outcome", "outcome", 7, NULL, n3, &err), CV_OK);
	assert_int_equal(cv_note_finalize(c, n3, &err), CV_OK);
	assert_int_equal(cv_case_close(c, c1, &err), CV_OK);
	assert_int_equal(cv_user_passwd(c, PW_NEW, strlen(PW_NEW), &err), CV_OK);
	assert_int_equal(cv_config_set(a, "archive_days", "10", &err), CV_OK);
	assert_int_equal(cv_user_disable(a, "dave", &err), CV_OK);
	assert_int_equal(cv_case_shred(a, c2, "retention ended", recovery, &err), CV_OK);
	logout(c);
	logout(a);
	cv_vault_close(f->v);
	f->v = NULL;
	copy_db(f->path, p->late);
}

/* audit verify on path as sam (or alice, when sam's own record is what was
 * removed): the status of the first step that refuses. */
static cv_status verify(const char *path, const char *who, const char *pass)
{
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_audit_report rep;
	cv_err err = {0};
	cv_status st = cv_vault_open(path, &v, &err);

	if (st == CV_OK)
		st = cv_login(v, who, pass, strlen(pass), &s, &err);
	if (st == CV_OK)
		st = cv_audit_verify(s, NULL, &rep, &err);
	cv_session_close(s);
	cv_vault_close(v);
	return st;
}

static sqlite3 *open_rw(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return db;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("'%s': %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
}

/* The tables of path, the log included: read from the file, not known to
 * the test. */
static size_t tables_of(const char *path, char names[][64], size_t cap)
{
	sqlite3 *db = open_rw(path);
	sqlite3_stmt *s = NULL;
	size_t n = 0;

	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT name FROM sqlite_schema WHERE type = 'table'"
					    " AND name NOT LIKE 'sqlite%' ORDER BY name",
					    -1, &s, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(n < cap);
		snprintf(names[n++], 64, "%s", (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* Applies sql to a fresh copy of the later vault (the earlier one attached
 * as `early`), and expects verify to refuse it. */
static void expect_refused(const struct paths *p, const char *table, int64_t rowid,
			   const char *what, const char *sql)
{
	char q[512];
	sqlite3 *db;
	cv_status st;
	int sams_row;

	copy_db(p->late, p->work);
	db = open_rw(p->work);
	exec_ok(db, "PRAGMA foreign_keys = OFF");
	snprintf(q, sizeof(q), "ATTACH '%s' AS early", p->early);
	exec_ok(db, q);
	exec_ok(db, sql);
	assert_true(sqlite3_changes(db) > 0);
	sqlite3_close(db);
	sams_row = strcmp(table, "users") == 0 &&
		   rowid == q_int(p->late, "SELECT id FROM users WHERE name = 'sam'");
	st = sams_row ? verify(p->work, "alice", PW_ALICE) : verify(p->work, "sam", PW_SAM);
	if (st != CV_EINTEGRITY)
		fail_msg("%s row %lld of '%s': verify gave %s, expected an integrity failure", what,
			 (long long)rowid, table, cv_status_name(st));
	remove(p->work);
}

/* The rowids a query selects from the later copy (the earlier attached as
 * `early`). */
static size_t rowids(const struct paths *p, const char *query, int64_t *out, size_t cap)
{
	char q[512];
	sqlite3 *db = open_rw(p->late);
	sqlite3_stmt *s = NULL;
	size_t n = 0;

	snprintf(q, sizeof(q), "ATTACH '%s' AS early", p->early);
	exec_ok(db, q);
	assert_int_equal(sqlite3_prepare_v2(db, query, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(n < cap);
		out[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

#define ROWS_MAX 4096

static void test_every_row_is_committed(void **state)
{
	struct fix *f = *state;
	struct paths p;
	struct tally t = {0};
	char tables[32][64];
	static int64_t ids[ROWS_MAX];
	size_t ntables;

	snprintf(p.early, sizeof(p.early), "%s/" EARLY_NAME, f->dir);
	snprintf(p.late, sizeof(p.late), "%s/" LATE_NAME, f->dir);
	snprintf(p.work, sizeof(p.work), "%s/" WORK_NAME, f->dir);
	build(f, &p);
	/* Both copies verify as they are: the refusals below are the changes'. */
	assert_int_equal(verify(p.early, "sam", PW_SAM), CV_OK);
	assert_int_equal(verify(p.late, "sam", PW_SAM), CV_OK);

	ntables = tables_of(p.late, tables, 32);
	assert_true(ntables >= 9);
	for (size_t i = 0; i < ntables; i++) {
		const char *tb = tables[i];
		char sql[512];
		size_t n;

		/* 1. Delete each row of the later copy. */
		snprintf(sql, sizeof(sql), "SELECT rowid FROM main.\"%s\"", tb);
		n = rowids(&p, sql, ids, ROWS_MAX);
		for (size_t k = 0; k < n; k++, t.deleted++) {
			snprintf(sql, sizeof(sql), "DELETE FROM main.\"%s\" WHERE rowid = %lld", tb,
				 (long long)ids[k]);
			expect_refused(&p, tb, ids[k], "deleting", sql);
		}
		/* 2. Put each row that changed back to its earlier version. */
		snprintf(sql, sizeof(sql),
			 "SELECT rowid FROM (SELECT rowid, * FROM main.\"%s\" EXCEPT SELECT"
			 " rowid, * FROM early.\"%s\") WHERE rowid IN (SELECT rowid FROM"
			 " early.\"%s\")",
			 tb, tb, tb);
		n = rowids(&p, sql, ids, ROWS_MAX);
		for (size_t k = 0; k < n; k++, t.restored++) {
			snprintf(sql, sizeof(sql),
				 "DELETE FROM main.\"%s\" WHERE rowid = %lld; INSERT INTO"
				 " main.\"%s\" SELECT * FROM early.\"%s\" WHERE rowid = %lld",
				 tb, (long long)ids[k], tb, tb, (long long)ids[k]);
			expect_refused(&p, tb, ids[k], "putting back the earlier version of", sql);
		}
		/* 3. Re-insert each row the later copy deleted. */
		snprintf(sql, sizeof(sql),
			 "SELECT rowid FROM early.\"%s\" WHERE rowid NOT IN (SELECT rowid FROM"
			 " main.\"%s\")",
			 tb, tb);
		n = rowids(&p, sql, ids, ROWS_MAX);
		for (size_t k = 0; k < n; k++, t.reinserted++) {
			snprintf(sql, sizeof(sql),
				 "INSERT INTO main.\"%s\" SELECT * FROM early.\"%s\" WHERE rowid ="
				 " %lld",
				 tb, tb, (long long)ids[k]);
			expect_refused(&p, tb, ids[k], "re-inserting the deleted", sql);
		}
	}
	print_message("deleted %d rows, restored %d, re-inserted %d: each refused\n", t.deleted,
		      t.restored, t.reinserted);
	/* The changes between the copies include each kind. */
	assert_true(t.deleted > 50);
	assert_true(t.restored >= 5);
	assert_true(t.reinserted >= 3);
}

/* Copies tmpl into out with @C, @F and @D replaced by c, fin and d. */
static void fill(char *out, size_t cap, const char *tmpl, const char *c, const char *fin,
		 const char *d)
{
	size_t o = 0;

	for (const char *p = tmpl; *p && o + 1 < cap; p++) {
		const char *v = NULL;

		if (p[0] == '@' && (p[1] == 'C' || p[1] == 'F' || p[1] == 'D'))
			v = p[1] == 'C' ? c : p[1] == 'F' ? fin : d;
		if (v) {
			size_t n = strlen(v);

			assert_true(o + n + 1 < cap);
			memcpy(out + o, v, n);
			o += n;
			p++;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

/*
 * The changes an attacker with the file made and `audit verify` used to
 * report as intact, each by name: every one is now an integrity failure.
 */
static void test_named_attacks(void **state)
{
	static const struct {
		const char *what, *sql;
	} attacks[] = {
	    {"a case deleted", "DELETE FROM cases WHERE id = '@C'"},
	    {"a consent withdrawal deleted",
	     "DELETE FROM records WHERE case_id = '@C' AND type = 'consent' AND kind = 'withdraw'"},
	    {"a final note deleted", "DELETE FROM records WHERE id = '@F'"},
	    {"a crisis record deleted", "DELETE FROM records WHERE case_id = '@C' AND type ="
					" 'crisis'"},
	    {"a grant deleted", "DELETE FROM grants WHERE case_id = '@C' AND user_id = (SELECT id"
				" FROM users WHERE name = 'dave')"},
	    {"a signed note set back to draft",
	     "UPDATE records SET status = 'draft' WHERE id = '@F'"},
	    {"a draft rolled back (its version lowered)",
	     "UPDATE records SET version = 1 WHERE id = '@D'"},
	    {"a withdrawal's date moved",
	     "UPDATE records SET created_at = '2020-01-01T00:00:00Z' WHERE case_id = '@C' AND"
	     " type = 'consent' AND kind = 'withdraw'"},
	    {"a draft's author reassigned",
	     "UPDATE records SET author_id = (SELECT id FROM users WHERE name = 'dave') WHERE id"
	     " = '@D'"},
	    {"adult_age set to 0 outside the program",
	     "UPDATE settings SET value = '0' WHERE name = 'adult_age'"},
	    {"kdf_default weakened", "UPDATE meta SET value = x'000000020000080000000001' WHERE"
				     " key = 'kdf_default'"},
	    {"a planted row", "INSERT INTO meta (key, value) VALUES ('planted', x'00')"},
	};
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char cs[CV_CASE_ID_MAX], fin[CV_CASE_ID_MAX], draft[CV_CASE_ID_MAX];
	char good[TEST_PATH_MAX], work[TEST_PATH_MAX], sql[512];
	cv_err err = {0};

	open_new(c, "S-200", "Chen Jie", cs);
	consent_all(c, cs);
	assert_int_equal(cv_note_add(c, cs, "session", "kept", 4, NULL, fin, &err), CV_OK);
	assert_int_equal(cv_note_finalize(c, fin, &err), CV_OK);
	assert_int_equal(cv_note_add(c, cs, "session", "v1", 2, NULL, draft, &err), CV_OK);
	assert_int_equal(cv_note_edit(c, draft, "v2", 2, NULL, &err), CV_OK);
	assert_int_equal(cv_case_share(c, cs, "dave", &err), CV_OK);
	assert_int_equal(cv_consent_withdraw(c, cs, "student", "testing", NULL, &err), CV_OK);
	assert_int_equal(cv_test_add(c, cs, "SCL-90", "1.2", NULL, "risk of harm stated in session",
				     draft + 0, &err),
			 CV_OK);
	assert_int_equal(cv_note_add(c, cs, "session", "v1", 2, NULL, draft, &err), CV_OK);
	assert_int_equal(cv_note_edit(c, draft, "v2", 2, NULL, &err), CV_OK);
	assert_int_equal(cv_config_set(a, "adult_age", "16", &err), CV_OK);
	logout(c);
	logout(a);
	cv_vault_close(f->v);
	f->v = NULL;
	snprintf(good, sizeof(good), "%s/good.db", f->dir);
	snprintf(work, sizeof(work), "%s/" WORK_NAME, f->dir);
	copy_db(f->path, good);
	assert_int_equal(verify(good, "sam", PW_SAM), CV_OK);
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		sqlite3 *db;
		cv_status st;

		copy_db(good, work);
		db = open_rw(work);
		exec_ok(db, "PRAGMA foreign_keys = OFF");
		fill(sql, sizeof(sql), attacks[i].sql, cs, fin, draft);
		exec_ok(db, sql);
		assert_true(sqlite3_changes(db) > 0);
		sqlite3_close(db);
		st = verify(work, "sam", PW_SAM);
		if (st != CV_EINTEGRITY)
			fail_msg("%s: verify gave %s", attacks[i].what, cv_status_name(st));
		remove(work);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_every_row_is_committed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_named_attacks, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_chain.c - the log's commitments to the stored rows as chains of
 * versions (docs/FORMAT.md §7.6): every commitment names the row as it was
 * before the change (OLD) and, in cases and records, that version's
 * signer.  One with the file (and no key) changes a row outside the log
 * and lets the program change it again, rolls a row back to a version the
 * log once committed to, duplicates, deletes or plants rows, or edits the
 * commitments themselves; `audit verify` and the statistics export refuse
 * each with the finding §7.6 names (and the audit row it names), the
 * export records no release, and the same steps without the tampering
 * verify.
 */
#define FIXTURE_TAG "chain"
#include <time.h>

#include "case_fixture.h"

/* Every column of `records`, in schema order (§3.8): a version of a row
 * is copied back over it in place, keeping its rowid. */
#define RECORD_COLS                                                                                \
	"id, case_id, type, parent, kind, status, version, author_id, created_at, updated_at,"     \
	" due, nonce, box, stats_box, signer_id, mac, sig"

/* ---- helpers ------------------------------------------------------------ */

/* Closes the fixture's vault, so that the file can be copied and edited. */
static void close_vault(struct fix *f)
{
	logout_all();
	cv_vault_close(f->v);
	f->v = NULL;
}

static void reopen(struct fix *f)
{
	cv_err err = {0};

	if (cv_vault_open(f->path, &f->v, &err) != CV_OK)
		fail_msg("reopen: %s", err.msg);
}

/* A path in the fixture's directory. */
static void in_dir(const struct fix *f, char out[TEST_PATH_MAX], const char *name)
{
	tmpdir_file(out, TEST_PATH_MAX, f->dir, name);
}

/* A fresh copy of from at to (any earlier file there removed first). */
static void fresh_copy(const char *from, const char *to)
{
	unlink(to);
	copy_db(from, to);
}

/* audit verify (from the latest anchor) on path as who: its status, its
 * report in *rep and its finding in *err. */
static cv_status verify_as(const char *path, const char *who, const char *pass,
			   cv_audit_report *rep, cv_err *err)
{
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_status st;

	memset(rep, 0, sizeof(*rep));
	memset(err, 0, sizeof(*err));
	st = cv_vault_open(path, &v, err);
	if (st == CV_OK)
		st = cv_login(v, who, pass, strlen(pass), &s, err);
	if (st == CV_OK)
		st = cv_audit_verify(s, NULL, rep, err);
	cv_session_close(s);
	cv_vault_close(v);
	return st;
}

/* audit verify as sam must find code naming audit row seq (0: none). */
static void expect_finding(const char *path, const char *code, int64_t seq)
{
	cv_audit_report rep;
	cv_err err = {0};
	cv_status st = verify_as(path, "sam", PW_SAM, &rep, &err);

	if (st != CV_EINTEGRITY)
		fail_msg("verify gave %s (%s), expected %s", cv_status_name(st), err.msg, code);
	if (strcmp(err.code, code) != 0)
		fail_msg("verify found %s (%s), expected %s", err.code, err.msg, code);
	if (rep.bad_seq != seq)
		fail_msg("verify named audit row %lld (%s), expected %lld", (long long)rep.bad_seq,
			 err.msg, (long long)seq);
}

static void expect_verified(const char *path)
{
	cv_audit_report rep;
	cv_err err = {0};

	if (verify_as(path, "sam", PW_SAM, &rep, &err) != CV_OK)
		fail_msg("verify refused an untouched vault: %s %s", err.code, err.msg);
	assert_int_equal(rep.bad_seq, 0);
}

/* The largest seq of an ok audit row of action. */
static int64_t last_ok(const char *path, const char *action)
{
	return q_int(path, "SELECT max(seq) FROM audit WHERE action = '%s' AND outcome = 'ok'",
		     action);
}

/* The latest audit row whose commitments name row rowid of table. */
static int64_t last_commit(const char *path, const char *table, int64_t rowid)
{
	return q_int(path, "SELECT max(seq) FROM audit WHERE ' ' || rows LIKE '%% %s:%lld:%%'",
		     table, (long long)rowid);
}

static int64_t record_rowid(const char *path, const char *id)
{
	return q_int(path, "SELECT rowid FROM records WHERE id = '%s'", id);
}

/* The rowid of the grant of case id to user name. */
static int64_t grant_rowid(const char *path, const char *id, const char *name)
{
	return q_int(path,
		     "SELECT rowid FROM grants WHERE case_id = '%s' AND user_id = (SELECT id FROM"
		     " users WHERE name = '%s')",
		     id, name);
}

/* Puts record id of path back to the version early holds, in place (same
 * rowid, every column): bytes the log once committed to, validly signed. */
static void roll_back_record(const char *path, const char *early, const char *id)
{
	raw_exec(path,
		 "ATTACH '%s' AS early;"
		 " UPDATE main.records SET (" RECORD_COLS ") = (SELECT " RECORD_COLS
		 " FROM early.records WHERE id = '%s') WHERE id = '%s';",
		 early, id, id);
}

static void edit_ok(cv_session *c, const char *note, const char *text)
{
	cv_err err = {0};

	if (cv_note_edit(c, note, text, strlen(text), NULL, &err) != CV_OK)
		fail_msg("note edit: %s %s", err.code, err.msg);
}

static void config_ok(cv_session *a, const char *name, const char *value)
{
	cv_err err = {0};

	if (cv_config_set(a, name, value, &err) != CV_OK)
		fail_msg("config set: %s %s", err.code, err.msg);
}

static void share_ok(cv_session *c, const char *id, const char *to)
{
	cv_err err = {0};

	if (cv_case_share(c, id, to, &err) != CV_OK)
		fail_msg("case share: %s %s", err.code, err.msg);
}

/* ---- 1. a row changed outside the log, then by the program -------------- */

/*
 * A setting changed in the file, then set again by an admin: the program's
 * row overwrote the forged one, so the stored row is the one the log
 * committed to and is validly signed; only the commitment's OLD, which is
 * not what the previous commitment left, shows the forged version.  The
 * finding names the genuine change's audit row.
 */
static void test_setting_changed_then_set_again(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	char ctrl[TEST_PATH_MAX];
	int64_t rowid, seq;

	config_ok(a, "archive_days", "9");
	close_vault(f);
	in_dir(f, ctrl, "control.db");
	fresh_copy(f->path, ctrl);
	rowid = q_int(f->path, "SELECT rowid FROM settings WHERE name = 'archive_days'");
	assert_true(rowid > 0);

	raw_exec(f->path, "UPDATE settings SET value = '300' WHERE name = 'archive_days'");
	reopen(f);
	a = login_ok(f->v, "alice", PW_ALICE);
	config_ok(a, "archive_days", "10");
	close_vault(f);
	seq = last_ok(f->path, "config.set");
	assert_int_equal(last_commit(f->path, "settings", rowid), seq);
	expect_finding(f->path, "rows.changed", seq);

	/* The same change, on the file as the program left it, verifies. */
	assert_int_equal(cv_vault_open(ctrl, &f->v, &(cv_err){0}), CV_OK);
	a = login_ok(f->v, "alice", PW_ALICE);
	config_ok(a, "archive_days", "10");
	close_vault(f);
	expect_verified(ctrl);
}

/*
 * A grant (a case key's copy) changed in the file, then sealed again by
 * `case share` to the same holder (ON CONFLICT ... DO UPDATE): refused,
 * naming the share.
 */
static void test_grant_changed_then_resealed(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char id[CV_CASE_ID_MAX], ctrl[TEST_PATH_MAX];
	int64_t rowid, seq;

	open_new(c, "S-300", "Wang Fang", id);
	consent_all(c, id);
	share_ok(c, id, "dave");
	close_vault(f);
	in_dir(f, ctrl, "control.db");
	fresh_copy(f->path, ctrl);
	rowid = grant_rowid(f->path, id, "dave");
	assert_true(rowid > 0);

	raw_exec(f->path, "UPDATE grants SET sent_at = '2020-01-01T00:00:00Z' WHERE rowid = %lld",
		 (long long)rowid);
	reopen(f);
	c = login_ok(f->v, "carol", PW_CAROL);
	share_ok(c, id, "dave");
	close_vault(f);
	seq = last_commit(f->path, "grants", rowid);
	assert_true(seq > 0);
	assert_int_equal(seq, last_ok(f->path, "case.share"));
	expect_finding(f->path, "rows.changed", seq);

	assert_int_equal(cv_vault_open(ctrl, &f->v, &(cv_err){0}), CV_OK);
	c = login_ok(f->v, "carol", PW_CAROL);
	share_ok(c, id, "dave");
	close_vault(f);
	expect_verified(ctrl);
}

/*
 * A referral's `due` moved in the file, then the referral updated by its
 * counselor.  The program reads the record, signature and all, before it
 * updates it: the update itself is refused, as an integrity failure, and
 * changes nothing; `audit verify` names the version the log committed to
 * (the referral's own row).
 */
static void test_record_due_moved_then_updated(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_referral_input in = {"City Hospital", "hospital", "emotion", "routine", "basic", NULL};
	char id[CV_CASE_ID_MAX], ref[CV_CASE_ID_MAX], ctrl[TEST_PATH_MAX];
	cv_err err = {0};
	int64_t rowid, seq, rows_before;

	open_new(c, "S-301", "Zhao Lei", id);
	consent_all(c, id);
	assert_int_equal(cv_referral_add(c, id, &in, NULL, ref, &err), CV_OK);
	close_vault(f);
	in_dir(f, ctrl, "control.db");
	fresh_copy(f->path, ctrl);
	rowid = record_rowid(f->path, ref);
	seq = last_commit(f->path, "records", rowid);
	assert_true(seq > 0);

	raw_exec(f->path, "UPDATE records SET due = '2099-12-31' WHERE rowid = %lld",
		 (long long)rowid);
	reopen(f);
	c = login_ok(f->v, "carol", PW_CAROL);
	rows_before = q_int(f->path, "SELECT count(*) FROM audit WHERE rows <> ''");
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_referral_update(c, ref, "contacted", NULL, NULL, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "record.forged");
	close_vault(f);
	/* no commitment was written: the refusal changed nothing */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE rows <> ''"),
			 rows_before);
	assert_int_equal(last_commit(f->path, "records", rowid), seq);
	expect_finding(f->path, "rows.changed", seq);

	assert_int_equal(cv_vault_open(ctrl, &f->v, &(cv_err){0}), CV_OK);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_referral_update(c, ref, "contacted", NULL, NULL, &err), CV_OK);
	close_vault(f);
	expect_verified(ctrl);
}

/*
 * A grant planted in the file (a copy of carol's own, made out to dave),
 * then removed by the program: disabling dave deletes every grant of his
 * (§3.7), the planted one with them.  The file then holds exactly what the
 * log says it should; the deletion's OLD is a version no commitment left:
 * rows.changed naming the disable.  Without the planted row, the same
 * disable verifies.
 */
static void test_planted_row_then_deleted_by_the_program(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a;
	char id[CV_CASE_ID_MAX], ctrl[TEST_PATH_MAX];
	cv_err err = {0};
	int64_t disable;

	open_new(c, "S-302", "Guo Ming", id);
	consent_all(c, id);
	close_vault(f);
	in_dir(f, ctrl, "control.db");
	fresh_copy(f->path, ctrl);
	raw_exec(f->path,
		 "INSERT INTO grants (rowid, case_id, user_id, sender_id, sent_at, nonce, box,"
		 " sig) SELECT 1000, case_id, (SELECT id FROM users WHERE name = 'dave'),"
		 " sender_id, sent_at, nonce, box, sig FROM grants WHERE case_id = '%s'",
		 id);
	reopen(f);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_user_disable(a, "dave", &err), CV_OK);
	close_vault(f);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants WHERE rowid = 1000"), 0);
	disable = last_ok(f->path, "user.disable");
	assert_int_equal(last_commit(f->path, "grants", 1000), disable);
	expect_finding(f->path, "rows.changed", disable);

	assert_int_equal(cv_vault_open(ctrl, &f->v, &err), CV_OK);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_user_disable(a, "dave", &err), CV_OK);
	close_vault(f);
	expect_verified(ctrl);
}

/*
 * The rowids SQLite gives after a row planted at a large rowid: the next
 * note of a counselor at 10^18 (19 digits) after a row at 10^18 - 1, and
 * at a random rowid (negative half of the time) after one at 2^63 - 1.
 * With the planted row taken away again the file is as the log says, and
 * the log's commitments to those rowids, as the store writes them, verify:
 * a file-writer cannot make an honest counselor's row malformed.
 */
static void test_large_and_negative_rowids_verify(void **state)
{
	static const char *const planted[] = {"999999999999999999", "9223372036854775807"};
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char id[CV_CASE_ID_MAX], other[CV_CASE_ID_MAX], note[CV_CASE_ID_MAX];
	cv_err err = {0};

	open_new(c, "S-305", "Guo Ming", id);
	consent_all(c, id);
	/* the planted row: a copy of another case's record, which the note
	 * (on the first case) does not read */
	open_new(c, "S-306", "Guo Hua", other);
	consent_all(c, other);
	close_vault(f);
	for (size_t i = 0; i < 2; i++) {
		for (int k = 0; k < 3; k++) {
			raw_exec(
			    f->path,
			    "INSERT INTO records (rowid, " RECORD_COLS ") SELECT %s, 'N-PLANT',"
			    " case_id, type, parent, kind, status, version, author_id,"
			    " created_at, updated_at, due, nonce, box, stats_box, signer_id, mac,"
			    " sig FROM records WHERE case_id = '%s' LIMIT 1",
			    planted[i], other);
			reopen(f);
			c = login_ok(f->v, "carol", PW_CAROL);
			assert_int_equal(
			    cv_note_add(c, id, "session", "after", 5, NULL, note, &err), CV_OK);
			close_vault(f);
			raw_sql(f->path, "DELETE FROM records WHERE id = 'N-PLANT'");
			assert_true(record_rowid(f->path, note) > 999999999999999999LL ||
				    record_rowid(f->path, note) < 0 || i == 1);
			expect_verified(f->path);
		}
	}
	assert_true(
	    q_int(f->path, "SELECT count(*) FROM records WHERE rowid >= 1000000000000000000") >= 1);
	reopen(f);
}

/*
 * Two findings in one file: a grant deleted (the table `grants`), and a
 * setting changed and then set again (`settings`, after `grants` by name).
 * The chains are checked before the stored rows (§7.6): the setting's
 * broken chain is the finding, not the missing grant.
 */
static void test_chains_are_checked_before_rows(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	char id[CV_CASE_ID_MAX], one[TEST_PATH_MAX];
	int64_t grant, share;

	open_new(c, "S-303", "Deng Yi", id);
	consent_all(c, id);
	share_ok(c, id, "dave");
	config_ok(a, "archive_days", "9");
	close_vault(f);
	grant = grant_rowid(f->path, id, "dave");
	share = last_commit(f->path, "grants", grant);
	assert_int_equal(share, last_ok(f->path, "case.share"));
	/* the deletion alone is the missing grant */
	in_dir(f, one, "one.db");
	fresh_copy(f->path, one);
	raw_exec(one, "DELETE FROM grants WHERE rowid = %lld", (long long)grant);
	expect_finding(one, "rows.missing", share);

	raw_exec(f->path, "UPDATE settings SET value = '300' WHERE name = 'archive_days'");
	reopen(f);
	a = login_ok(f->v, "alice", PW_ALICE);
	config_ok(a, "archive_days", "10");
	close_vault(f);
	raw_exec(f->path, "DELETE FROM grants WHERE rowid = %lld", (long long)grant);
	expect_finding(f->path, "rows.changed", last_ok(f->path, "config.set"));
}

/* ---- 2. a row rolled back to a version the log committed to ------------- */

/*
 * A draft note edited (version 1, then 2); the file then gets version 1's
 * bytes back, a version the log did commit to and its author did sign.
 * Left as it is, the stored row is not the latest version: rows.changed
 * naming the edit.  Edited again by its author (who reads version 1 and
 * writes a new version over it), the stored row is the latest version, but
 * the second edit's OLD is version 1, not version 2: rows.changed naming
 * the second edit.  Without the rollback both verify.
 */
static void test_record_rolled_back(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char id[CV_CASE_ID_MAX], note[CV_CASE_ID_MAX], early[TEST_PATH_MAX];
	char late[TEST_PATH_MAX], work[TEST_PATH_MAX];
	cv_err err = {0};
	int64_t rowid, edit1, edit2;

	open_new(c, "S-310", "Sun Li", id);
	consent_all(c, id);
	assert_int_equal(cv_note_add(c, id, "session", "version one", 11, NULL, note, &err), CV_OK);
	close_vault(f);
	in_dir(f, early, "early.db");
	in_dir(f, late, "late.db");
	in_dir(f, work, "work.db");
	fresh_copy(f->path, early);
	reopen(f);
	c = login_ok(f->v, "carol", PW_CAROL);
	edit_ok(c, note, "version two");
	close_vault(f);
	fresh_copy(f->path, late);
	rowid = record_rowid(late, note);
	edit1 = last_ok(late, "note.edit");
	assert_int_equal(last_commit(late, "records", rowid), edit1);
	assert_int_equal(
	    q_int(late, "SELECT version FROM records WHERE rowid = %lld", (long long)rowid), 2);
	expect_verified(late);

	/* rolled back, left so */
	fresh_copy(late, work);
	roll_back_record(work, early, note);
	assert_int_equal(record_rowid(work, note), rowid);
	assert_int_equal(
	    q_int(work, "SELECT version FROM records WHERE rowid = %lld", (long long)rowid), 1);
	expect_finding(work, "rows.changed", edit1);

	/* rolled back, then edited again by its author */
	fresh_copy(late, work);
	roll_back_record(work, early, note);
	assert_int_equal(cv_vault_open(work, &f->v, &err), CV_OK);
	c = login_ok(f->v, "carol", PW_CAROL);
	edit_ok(c, note, "version three");
	close_vault(f);
	edit2 = last_ok(work, "note.edit");
	assert_true(edit2 > edit1);
	assert_int_equal(last_commit(work, "records", rowid), edit2);
	expect_finding(work, "rows.changed", edit2);

	/* control: the second edit without the rollback */
	fresh_copy(late, work);
	assert_int_equal(cv_vault_open(work, &f->v, &err), CV_OK);
	c = login_ok(f->v, "carol", PW_CAROL);
	edit_ok(c, note, "version three");
	close_vault(f);
	expect_verified(work);
}

/* ---- 3. rows duplicated, deleted, planted, put back ---------------------- */

/*
 * On one vault, each change on a fresh copy: a record duplicated under a
 * new id (so at a new rowid), a grant duplicated to another user, a grant
 * deleted, a release row planted in an existing table, a row planted in a
 * planted table, a shredded record put back at its rowid.  Each is the
 * finding §7.6 names, with the audit row it names (none for a planted
 * row).
 */
static void test_rows_duplicated_deleted_planted(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *a;
	char id[CV_CASE_ID_MAX], gone[CV_CASE_ID_MAX], note[CV_CASE_ID_MAX], gnote[CV_CASE_ID_MAX];
	char base[TEST_PATH_MAX], early[TEST_PATH_MAX], work[TEST_PATH_MAX];
	cv_err err = {0};
	int64_t note_row, grant_row, gnote_row, shred, dup_row;

	open_new(c, "S-320", "Qian Yu", id);
	consent_all(c, id);
	assert_int_equal(cv_note_add(c, id, "session", "kept", 4, NULL, note, &err), CV_OK);
	share_ok(c, id, "dave");
	open_new(c, "S-321", "Zhou Xin", gone);
	consent_all(c, gone);
	assert_int_equal(cv_note_add(c, gone, "session", "shredded", 8, NULL, gnote, &err), CV_OK);
	close_vault(f);
	in_dir(f, early, "early.db");
	fresh_copy(f->path, early);
	reopen(f);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_case_shred(a, gone, "retention ended", recovery, &err), CV_OK);
	close_vault(f);
	in_dir(f, base, "base.db");
	in_dir(f, work, "work.db");
	fresh_copy(f->path, base);
	expect_verified(base);
	note_row = record_rowid(base, note);
	grant_row = grant_rowid(base, id, "dave");
	gnote_row = record_rowid(early, gnote);
	shred = last_ok(base, "case.shred");
	assert_true(note_row > 0 && grant_row > 0 && gnote_row > 0 && shred > 0);
	assert_int_equal(record_rowid(base, gnote), -1);

	/* a record duplicated (under a new id) at a rowid the log never named */
	fresh_copy(base, work);
	raw_exec(work,
		 "INSERT INTO records (rowid, " RECORD_COLS ") SELECT 1000, 'N-DUPLICATE',"
		 " case_id, type, parent, kind, status, version, author_id, created_at,"
		 " updated_at, due, nonce, box, stats_box, signer_id, mac, sig FROM records"
		 " WHERE id = '%s'",
		 note);
	expect_finding(work, "rows.uncommitted", 0);

	/* the same at the rowid SQLite picks: the largest rowids were the
	 * shredded case's records, so the copy lands on one the log deleted */
	fresh_copy(base, work);
	raw_exec(work,
		 "INSERT INTO records SELECT 'N-DUPLICATE', case_id, type, parent, kind, status,"
		 " version, author_id, created_at, updated_at, due, nonce, box, stats_box,"
		 " signer_id, mac, sig FROM records WHERE id = '%s'",
		 note);
	dup_row = q_int(work, "SELECT rowid FROM records WHERE id = 'N-DUPLICATE'");
	assert_int_equal(q_int(early,
			       "SELECT count(*) FROM records WHERE rowid = %lld AND"
			       " case_id = '%s'",
			       (long long)dup_row, gone),
			 1);
	assert_int_equal(last_commit(base, "records", dup_row), shred);
	expect_finding(work, "rows.deleted", shred);

	/* a grant duplicated to another user (sam, who holds none) */
	fresh_copy(base, work);
	raw_exec(work,
		 "INSERT INTO grants (rowid, case_id, user_id, sender_id, sent_at, nonce, box,"
		 " sig) SELECT 1000, case_id, (SELECT id FROM users WHERE name = 'sam'),"
		 " sender_id, sent_at, nonce, box, sig FROM grants WHERE rowid = %lld",
		 (long long)grant_row);
	expect_finding(work, "rows.uncommitted", 0);

	/* a grant deleted: missing, naming the share that committed to it */
	fresh_copy(base, work);
	raw_exec(work, "DELETE FROM grants WHERE rowid = %lld", (long long)grant_row);
	expect_finding(work, "rows.missing", last_commit(base, "grants", grant_row));
	assert_int_equal(last_commit(base, "grants", grant_row), last_ok(base, "case.share"));

	/* a record deleted: missing, naming its latest commitment */
	fresh_copy(base, work);
	raw_exec(work, "DELETE FROM records WHERE rowid = %lld", (long long)note_row);
	expect_finding(work, "rows.missing", last_commit(base, "records", note_row));

	/* a row planted in an existing table (no program command writes it) */
	fresh_copy(base, work);
	raw_exec(work,
		 "INSERT INTO stats_releases (period_from, period_to, term_from, term_to, k,"
		 " epsilon, cells_hash, released_by, released_at) VALUES ('2024-09', '2025-01',"
		 " '', '', 5, 0, zeroblob(32), (SELECT id FROM users WHERE name = 'sam'),"
		 " '2025-02-01T00:00:00Z')");
	expect_finding(work, "rows.uncommitted", 0);

	/* a row in a planted table */
	fresh_copy(base, work);
	raw_sql(work, "CREATE TABLE planted (x TEXT)");
	raw_exec(work, "INSERT INTO planted VALUES ('hello')");
	expect_finding(work, "rows.uncommitted", 0);

	/* rows in planted tables whose names no commitment can hold: a ':'
	 * and a ' ' (the separators of §7.6), 40 bytes (more than the
	 * verifier keeps of a name, §7.6's limits), and 70 bytes, which the
	 * store refuses to read as a name at all (rows.table: not in §7.6) */
	{
		static const char *const names[] = {
		    "pl:1 x",
		    "p123456789012345678901234567890123456789",
		    "p12345678901234567890123456789012345678901234567890123456789012345678",
		};
		static const char *const codes[] = {"rows.uncommitted", "rows.uncommitted",
						    "rows.table"};

		for (size_t i = 0; i < 3; i++) {
			fresh_copy(base, work);
			raw_sql(work, "CREATE TABLE \"%s\" (x TEXT)", names[i]);
			raw_exec(work, "INSERT INTO \"%s\" VALUES ('hello')", names[i]);
			expect_finding(work, codes[i], 0);
		}
	}

	/* a column named rowid added to an existing table: the walk's
	 * `SELECT rowid, *` then reads that column (NULL: 0) as the rowid,
	 * so every row is one the log never named */
	fresh_copy(base, work);
	raw_sql(work, "ALTER TABLE grants ADD COLUMN rowid INTEGER");
	expect_finding(work, "vault.schema", 0);

	/* the shredded note put back at its rowid: deleted by the log, but back */
	fresh_copy(base, work);
	raw_exec(work,
		 "ATTACH '%s' AS early; INSERT INTO main.records (rowid, " RECORD_COLS
		 ") SELECT rowid, " RECORD_COLS " FROM early.records WHERE rowid = %lld",
		 early, (long long)gnote_row);
	expect_finding(work, "rows.deleted", shred);
	assert_int_equal(last_commit(base, "records", gnote_row), shred);

	/* control: the program itself reuses a rowid the shred freed (a new
	 * chain after a deletion, §7.6 rule 1), and that verifies */
	fresh_copy(base, work);
	assert_int_equal(cv_vault_open(work, &f->v, &err), CV_OK);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_note_add(c, id, "session", "new", 3, NULL, gnote, &err), CV_OK);
	close_vault(f);
	dup_row = record_rowid(work, gnote);
	assert_int_equal(last_commit(base, "records", dup_row), shred);
	expect_verified(work);
}

/* ---- 4. the statistics export on the same tampering ---------------------- */

/* The current month, as stats export takes it. */
static void this_month(char month[8])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(month, 8, "%Y-%m", &tm);
}

/* The export as sam on path: its status and finding; on a refusal no
 * result and no release row. */
static cv_status export_as_sam(const char *path, cv_err *err)
{
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_stats_result *res = NULL;
	char month[8];
	int64_t releases = q_int(path, "SELECT count(*) FROM stats_releases");
	cv_status st;

	this_month(month);
	memset(err, 0, sizeof(*err));
	st = cv_vault_open(path, &v, err);
	if (st == CV_OK)
		st = cv_login(v, "sam", PW_SAM, strlen(PW_SAM), &s, err);
	if (st == CV_OK)
		st = cv_stats_export(s, month, month, 3, NULL, &res, err);
	cv_stats_free(res);
	cv_session_close(s);
	cv_vault_close(v);
	if (st != CV_OK) {
		assert_null(res);
		assert_int_equal(q_int(path, "SELECT count(*) FROM stats_releases"), releases);
	} else {
		assert_int_equal(q_int(path, "SELECT count(*) FROM stats_releases"), releases + 1);
	}
	return st;
}

enum attack {
	SETTING_CHANGED_THEN_SET,
	GRANT_CHANGED_THEN_RESEALED,
	CASE_CHANGED,
	NOTE_ROLLED_BACK,
	NOTE_ROLLED_BACK_THEN_EDITED,
	NOTE_DUPLICATED,
	GRANT_DELETED,
	CONSENT_DELETED,
	TABLE_PLANTED,
	ATTACKS
};

static const char *const attack_name[ATTACKS] = {
    "a setting changed, then set again",
    "a grant changed, then sealed again",
    "a case's status changed",
    "a draft note rolled back",
    "a note rolled back, then edited",
    "a note duplicated",
    "a grant deleted",
    "a consent record deleted",
    "a row in a planted table",
};

struct export_vault {
	char base[TEST_PATH_MAX], early[TEST_PATH_MAX];
	char cases[6][CV_CASE_ID_MAX], note[CV_CASE_ID_MAX];
};

/* The program's own change that follows some attacks (none for others). */
static void genuine_change(struct fix *f, const struct export_vault *x, const char *path,
			   enum attack at)
{
	cv_session *s;
	cv_err err = {0};

	if (at != SETTING_CHANGED_THEN_SET && at != GRANT_CHANGED_THEN_RESEALED &&
	    at != NOTE_ROLLED_BACK_THEN_EDITED)
		return;
	assert_int_equal(cv_vault_open(path, &f->v, &err), CV_OK);
	if (at == SETTING_CHANGED_THEN_SET) {
		s = login_ok(f->v, "alice", PW_ALICE);
		config_ok(s, "archive_days", "11");
	} else if (at == GRANT_CHANGED_THEN_RESEALED) {
		s = login_ok(f->v, "carol", PW_CAROL);
		share_ok(s, x->cases[0], "dave");
	} else {
		s = login_ok(f->v, "carol", PW_CAROL);
		edit_ok(s, x->note, "version three");
	}
	close_vault(f);
}

static void tamper(const struct export_vault *x, const char *path, enum attack at)
{
	switch (at) {
	case SETTING_CHANGED_THEN_SET:
		raw_exec(path, "UPDATE settings SET value = '300' WHERE name = 'archive_days'");
		break;
	case GRANT_CHANGED_THEN_RESEALED:
		raw_exec(path,
			 "UPDATE grants SET sent_at = '2020-01-01T00:00:00Z' WHERE case_id = '%s'"
			 " AND user_id = (SELECT id FROM users WHERE name = 'dave')",
			 x->cases[0]);
		break;
	case CASE_CHANGED:
		raw_exec(path, "UPDATE cases SET status = 'closed' WHERE id = '%s'", x->cases[1]);
		break;
	case NOTE_ROLLED_BACK:
	case NOTE_ROLLED_BACK_THEN_EDITED:
		roll_back_record(path, x->early, x->note);
		break;
	case NOTE_DUPLICATED:
		raw_exec(path,
			 "INSERT INTO records SELECT 'N-DUPLICATE', case_id, type, parent, kind,"
			 " status, version, author_id, created_at, updated_at, due, nonce, box,"
			 " stats_box, signer_id, mac, sig FROM records WHERE id = '%s'",
			 x->note);
		break;
	case GRANT_DELETED:
		raw_exec(path,
			 "DELETE FROM grants WHERE case_id = '%s' AND user_id = (SELECT id FROM"
			 " users WHERE name = 'dave')",
			 x->cases[0]);
		break;
	case CONSENT_DELETED:
		raw_exec(path,
			 "DELETE FROM records WHERE rowid = (SELECT max(rowid) FROM records WHERE"
			 " case_id = '%s' AND type = 'consent')",
			 x->cases[2]);
		break;
	case TABLE_PLANTED:
		raw_sql(path, "CREATE TABLE planted (x TEXT); INSERT INTO planted VALUES ('hi')");
		break;
	case ATTACKS:
		break;
	}
}

/*
 * Six cases opened this month (so that k = 3 can protect the tables), one
 * shared, a setting set, a draft note edited once (the vault before the
 * edit kept as early).
 */
static void build_export_vault(struct fix *f, struct export_vault *x)
{
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_err err = {0};

	for (int i = 0; i < 6; i++) {
		char sid[24];

		snprintf(sid, sizeof(sid), "S-2024-%04d", 400 + i);
		open_new(c, sid, "Li Mei", x->cases[i]);
		consent_all(c, x->cases[i]);
	}
	share_ok(c, x->cases[0], "dave");
	config_ok(a, "archive_days", "9");
	assert_int_equal(
	    cv_note_add(c, x->cases[3], "session", "version one", 11, NULL, x->note, &err), CV_OK);
	close_vault(f);
	in_dir(f, x->early, "early.db");
	fresh_copy(f->path, x->early);
	reopen(f);
	c = login_ok(f->v, "carol", PW_CAROL);
	edit_ok(c, x->note, "version two");
	close_vault(f);
	in_dir(f, x->base, "base.db");
	fresh_copy(f->path, x->base);
}

/*
 * Each attack on two fresh copies: `audit verify` on one, the export on
 * the other.  The export is an integrity failure with the finding `audit
 * verify` gives (whether the rows were checked by the count, cases and
 * records, or by the comparison beside it), and records no release.  The
 * untouched vault, and the genuine changes alone, export.
 */
static void test_export_refuses_what_verify_refuses(void **state)
{
	static const char *const code[ATTACKS] = {
	    "rows.changed",	"rows.changed", "rows.changed", "rows.changed",	    "rows.changed",
	    "rows.uncommitted", "rows.missing", "rows.missing", "rows.uncommitted",
	};
	struct fix *f = *state;
	struct export_vault x;
	char one[TEST_PATH_MAX], two[TEST_PATH_MAX];
	cv_err err = {0};

	build_export_vault(f, &x);
	in_dir(f, one, "one.db");
	in_dir(f, two, "two.db");
	fresh_copy(x.base, one);
	assert_int_equal(export_as_sam(one, &err), CV_OK);

	for (int at = 0; at < ATTACKS; at++) {
		cv_audit_report rep;
		cv_err verr = {0};
		cv_status st;

		/* control: the genuine change alone exports */
		fresh_copy(x.base, one);
		genuine_change(f, &x, one, (enum attack)at);
		if (export_as_sam(one, &err) != CV_OK)
			fail_msg("%s, control: export refused: %s %s", attack_name[at], err.code,
				 err.msg);

		fresh_copy(x.base, one);
		tamper(&x, one, (enum attack)at);
		genuine_change(f, &x, one, (enum attack)at);
		fresh_copy(one, two);
		st = verify_as(one, "sam", PW_SAM, &rep, &verr);
		if (st != CV_EINTEGRITY || strcmp(verr.code, code[at]) != 0)
			fail_msg("%s: verify gave %s %s (%s), expected %s", attack_name[at],
				 cv_status_name(st), verr.code, verr.msg, code[at]);
		/* every finding but a planted row names the audit row of its
		 * commitment */
		if ((rep.bad_seq == 0) != (strcmp(code[at], "rows.uncommitted") == 0))
			fail_msg("%s: verify named audit row %lld (%s)", attack_name[at],
				 (long long)rep.bad_seq, verr.msg);
		st = export_as_sam(two, &err);
		if (st != CV_EINTEGRITY || strcmp(err.code, verr.code) != 0)
			fail_msg("%s: export gave %s %s (%s), verify %s", attack_name[at],
				 cv_status_name(st), err.code, err.msg, verr.code);
		/* the same finding, row and audit row named */
		assert_string_equal(err.msg, verr.msg);
		/* the refused export wrote no audit.verify row either */
		assert_int_equal(q_int(two, "SELECT count(*) FROM audit WHERE action ="
					    " 'audit.verify' AND outcome = 'ok'"),
				 q_int(x.base, "SELECT count(*) FROM audit WHERE action ="
					       " 'audit.verify' AND outcome = 'ok'"));
	}
}

/*
 * A planted table WITHOUT ROWID, holding a row.  Every table of the
 * vault's has a rowid (§3), and step 7 reads every table with `SELECT
 * rowid, *` (§7.6): one that cannot be read so was planted (rows.table,
 * status 5), for `audit verify` and the export alike; nothing is written
 * as verified or released.
 */
static void test_planted_without_rowid_table_is_not_passed(void **state)
{
	struct fix *f = *state;
	struct export_vault x;
	char work[TEST_PATH_MAX];
	cv_audit_report rep;
	cv_err err = {0};
	int64_t verified;

	build_export_vault(f, &x);
	in_dir(f, work, "work.db");
	fresh_copy(x.base, work);
	raw_sql(work, "CREATE TABLE planted (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID");
	raw_exec(work, "INSERT INTO planted VALUES ('a', 'b')");
	verified = q_int(work, "SELECT count(*) FROM audit WHERE action = 'audit.verify' AND"
			       " outcome = 'ok'");
	assert_int_equal(verify_as(work, "sam", PW_SAM, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "rows.table");
	assert_int_equal(export_as_sam(work, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "rows.table");
	assert_int_equal(q_int(work, "SELECT count(*) FROM audit WHERE action = 'audit.verify'"
				     " AND outcome = 'ok'"),
			 verified);
	/* the same vault without it exports */
	fresh_copy(x.base, work);
	assert_int_equal(export_as_sam(work, &err), CV_OK);
}

/* ---- 5. verification from an anchor -------------------------------------- */

/*
 * sam verifies (an anchor, §7.7); carol then writes more.  A row changed
 * after the anchor, one committed before it (whose commitment the anchor
 * covers), and one committed before it, rolled back and then changed by
 * the program after it: each is found, naming the commitment's row, though
 * the verification starts from the anchor.  Untouched, the vault verifies
 * from the anchor.
 */
static void test_anchor_does_not_hide_rows(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char id[CV_CASE_ID_MAX], before[CV_CASE_ID_MAX], after[CV_CASE_ID_MAX];
	char early[TEST_PATH_MAX], base[TEST_PATH_MAX], work[TEST_PATH_MAX];
	cv_audit_report rep;
	cv_err err = {0};
	int64_t anchor, before_row, after_row, before_seq, edit;

	open_new(c, "S-330", "Hu Jun", id);
	consent_all(c, id);
	assert_int_equal(cv_note_add(c, id, "session", "before one", 10, NULL, before, &err),
			 CV_OK);
	close_vault(f);
	in_dir(f, early, "early.db");
	fresh_copy(f->path, early);
	reopen(f);
	c = login_ok(f->v, "carol", PW_CAROL);
	edit_ok(c, before, "before two");
	logout(c);
	{
		cv_session *sam = login_ok(f->v, "sam", PW_SAM);

		assert_int_equal(cv_audit_verify(sam, NULL, &rep, &err), CV_OK);
		logout(sam);
	}
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_note_add(c, id, "session", "after", 5, NULL, after, &err), CV_OK);
	close_vault(f);
	in_dir(f, base, "base.db");
	in_dir(f, work, "work.db");
	fresh_copy(f->path, base);
	anchor = last_ok(base, "audit.verify");
	before_row = record_rowid(base, before);
	after_row = record_rowid(base, after);
	before_seq = last_commit(base, "records", before_row);
	assert_true(before_seq > 0 && before_seq < anchor);
	assert_true(last_commit(base, "records", after_row) > anchor);

	/* untouched: verified from the anchor */
	assert_int_equal(verify_as(base, "sam", PW_SAM, &rep, &err), CV_OK);
	assert_int_equal(rep.anchor_seq, anchor);
	assert_int_equal(rep.vouched, anchor - 1);

	/* a row committed after the anchor, changed */
	fresh_copy(base, work);
	raw_exec(work, "UPDATE records SET due = '2099-12-31' WHERE rowid = %lld",
		 (long long)after_row);
	expect_finding(work, "rows.changed", last_commit(base, "records", after_row));

	/* a row committed before the anchor, changed */
	fresh_copy(base, work);
	raw_exec(work, "UPDATE records SET due = '2099-12-31' WHERE rowid = %lld",
		 (long long)before_row);
	expect_finding(work, "rows.changed", before_seq);

	/* a row committed before the anchor, deleted */
	fresh_copy(base, work);
	raw_exec(work, "DELETE FROM records WHERE rowid = %lld", (long long)before_row);
	expect_finding(work, "rows.missing", before_seq);

	/* rolled back to a version before the anchor, then edited after it */
	fresh_copy(base, work);
	roll_back_record(work, early, before);
	assert_int_equal(cv_vault_open(work, &f->v, &err), CV_OK);
	c = login_ok(f->v, "carol", PW_CAROL);
	edit_ok(c, before, "before three");
	close_vault(f);
	edit = last_ok(work, "note.edit");
	assert_true(edit > anchor);
	expect_finding(work, "rows.changed", edit);
}

/* ---- 6. the commitments themselves --------------------------------------- */

/* Recomputes the hash chain (§7.1) from row seq on, as one without keys
 * can: the hashes are not keyed, the checkpoints' signatures are. */
static void rehash_from(const char *path, int64_t seq)
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READWRITE);
	sqlite3_stmt *rd = NULL, *wr = NULL;
	uint8_t prev[32];

	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT hash FROM audit WHERE seq = ?1", -1, &rd, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(rd, 1, seq - 1);
	assert_int_equal(sqlite3_step(rd), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(rd, 0), 32);
	memcpy(prev, sqlite3_column_blob(rd, 0), 32);
	sqlite3_finalize(rd);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT seq, time, actor, action, object, outcome,"
					    " detail, rows FROM audit WHERE seq >= ?1 ORDER BY seq",
					    -1, &rd, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE"
					    " seq = ?3",
					    -1, &wr, NULL),
			 SQLITE_OK);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_bind_int64(rd, 1, seq);
	while (sqlite3_step(rd) == SQLITE_ROW) {
		crypto_generichash_state h;
		int64_t s = sqlite3_column_int64(rd, 0);
		uint8_t be[8], out[32];

		crypto_generichash_init(&h, NULL, 0, 32);
		crypto_generichash_update(&h, prev, 32);
		for (int i = 0; i < 8; i++)
			be[i] = (uint8_t)((uint64_t)s >> (56 - 8 * i));
		crypto_generichash_update(&h, be, 8);
		for (int col = 1; col <= 7; col++) {
			uint32_t n = (uint32_t)sqlite3_column_bytes(rd, col);
			const uint8_t *x = sqlite3_column_text(rd, col);
			uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
					  (uint8_t)n};

			crypto_generichash_update(&h, len, 4);
			crypto_generichash_update(&h, x, n);
		}
		crypto_generichash_final(&h, out, 32);
		sqlite3_bind_blob(wr, 1, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(wr, 2, out, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(wr, 3, s);
		assert_int_equal(sqlite3_step(wr), SQLITE_DONE);
		sqlite3_reset(wr);
		memcpy(prev, out, 32);
	}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_finalize(rd);
	sqlite3_finalize(wr);
	sqlite3_close(db);
}

/*
 * The commitment of a note's edit rewritten in the audit row: its OLD
 * (and SIGNER) dropped, so that the entry is malformed, or replaced by `-`
 * (a well-formed entry that claims the row was new, which would hide a
 * rollback before the edit).  Edited alone, the row's hash no longer
 * covers it: log.row-altered at that row, the first check of the walk
 * that fails (§7.5 step 4.4).  With every later hash recomputed to match
 * (they are not keyed), the malformed entry is log.rows-malformed at that
 * row (step 4.8, reached before any later checkpoint); the well-formed one
 * passes every per-row check, and the checkpoint that signs the edit's
 * segment no longer verifies: log.checkpoint-signature.
 */
static void test_commitments_cannot_be_rewritten(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char id[CV_CASE_ID_MAX], note[CV_CASE_ID_MAX], base[TEST_PATH_MAX], work[TEST_PATH_MAX];
	char rows[1024], entry[256], *p, *end;
	char dropped[1024], dashed[1024];
	cv_err err = {0};
	int64_t edit, rowid, cp;
	size_t pre;

	open_new(c, "S-340", "Ma Tao", id);
	consent_all(c, id);
	assert_int_equal(cv_note_add(c, id, "session", "one", 3, NULL, note, &err), CV_OK);
	edit_ok(c, note, "two");
	close_vault(f);
	in_dir(f, base, "base.db");
	in_dir(f, work, "work.db");
	fresh_copy(f->path, base);
	expect_verified(base);
	edit = last_ok(base, "note.edit");
	rowid = record_rowid(base, note);
	assert_int_equal(last_commit(base, "records", rowid), edit);
	cp = q_int(base, "SELECT min(seq) FROM audit WHERE action = 'checkpoint' AND seq > %lld",
		   (long long)edit);
	assert_true(cp > edit);

	/* the entry "records:R:NEW:OLD:SIGNER" in the edit's rows */
	q_text(base, rows, sizeof(rows), "SELECT rows FROM audit WHERE seq = %lld",
	       (long long)edit);
	snprintf(entry, sizeof(entry), "records:%lld:", (long long)rowid);
	p = strstr(rows, entry);
	assert_non_null(p);
	end = strchr(p, ' ');
	if (!end)
		end = p + strlen(p);
	pre = (size_t)(p - rows) + strlen(entry) + 64 + 1; /* past "records:R:NEW:" */
	/* OLD: 64 hex digits, then ":SIGNER" */
	assert_true((size_t)(end - rows) > pre + 65);
	assert_int_equal(strspn(rows + pre, "0123456789abcdef"), 64);
	assert_int_equal(rows[pre + 64], ':');
	/* dropped: "records:R:NEW" + the rest */
	snprintf(dropped, sizeof(dropped), "%.*s%s", (int)(pre - 1), rows, end);
	/* dashed: "records:R:NEW:-:-" + the rest */
	snprintf(dashed, sizeof(dashed), "%.*s-:-%s", (int)pre, rows, end);

	fresh_copy(base, work);
	raw_exec(work, "UPDATE audit SET rows = '%s' WHERE seq = %lld", dropped, (long long)edit);
	expect_finding(work, "log.row-altered", edit);

	fresh_copy(base, work);
	raw_exec(work, "UPDATE audit SET rows = '%s' WHERE seq = %lld", dashed, (long long)edit);
	expect_finding(work, "log.row-altered", edit);

	fresh_copy(base, work);
	raw_exec(work, "UPDATE audit SET rows = '%s' WHERE seq = %lld", dropped, (long long)edit);
	rehash_from(work, edit);
	expect_finding(work, "log.rows-malformed", edit);

	fresh_copy(base, work);
	raw_exec(work, "UPDATE audit SET rows = '%s' WHERE seq = %lld", dashed, (long long)edit);
	rehash_from(work, edit);
	expect_finding(work, "log.checkpoint-signature", cp);

	/* control: the hashes recomputed over the rows as they were change
	 * nothing, so what refuses above is the rewritten entry */
	fresh_copy(base, work);
	rehash_from(work, edit);
	expect_verified(work);

	/* The same under an anchor: sam's verification (expect_verified, an
	 * anchor) covers the edit, so a verification from it checks no
	 * signature up to it.  The rewrite and the recomputed hashes run
	 * through the anchor's own row to sam's checkpoint after it, whose
	 * signature no longer verifies; the verification is then done again
	 * in full (§7.7), which names the first checkpoint that fails. */
	{
		cv_audit_report rep;
		int64_t anchor;

		fresh_copy(base, work);
		expect_verified(work);
		anchor = last_ok(work, "audit.verify");
		assert_true(anchor > cp);
		assert_int_equal(verify_as(work, "sam", PW_SAM, &rep, &err), CV_OK);
		assert_int_equal(rep.anchor_seq, anchor);
		fresh_copy(work, base);
		raw_exec(work, "UPDATE audit SET rows = '%s' WHERE seq = %lld", dashed,
			 (long long)edit);
		rehash_from(work, edit);
		expect_finding(work, "log.checkpoint-signature", cp);
		/* control: recomputed over the rows as they were */
		fresh_copy(base, work);
		rehash_from(work, edit);
		expect_verified(work);
	}
}

/*
 * The chain rules accept what the program itself does to rows written by
 * others (no false finding): a referral updated by the colleague it was
 * shared with (its signer changes), a register entry followed up by both,
 * a case handed over by an admin, closed and reopened, a user's keys
 * rotated and reset (their rows keep their user id), their drafts edited
 * after, a user disabled (their grants deleted), a case shredded (its
 * records deleted), and a freed rowid reused.  Every step verifies.
 */
static void test_genuine_flows_verify(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_session *d = login_ok(f->v, "dave", PW_DAVE);
	cv_referral_input in = {"City Hospital", "hospital", "emotion", "routine", "basic", NULL};
	char id[CV_CASE_ID_MAX], other[CV_CASE_ID_MAX], ref[CV_CASE_ID_MAX];
	char note[CV_CASE_ID_MAX], more[CV_CASE_ID_MAX], snap[TEST_PATH_MAX];
	cv_err err = {0};

	in_dir(f, snap, "snap.db");
	open_new(c, "S-360", "Xu Lan", id);
	consent_all(c, id);
	open_new(c, "S-361", "Yang Bo", other);
	consent_all(c, other);
	assert_int_equal(cv_referral_add(c, id, &in, NULL, ref, &err), CV_OK);
	assert_int_equal(cv_watch_add(c, id, "left-behind", 7, &err), CV_OK);
	assert_int_equal(cv_note_add(c, id, "session", "draft", 5, NULL, note, &err), CV_OK);
	share_ok(c, id, "dave");
	assert_int_equal(cv_referral_update(d, ref, "contacted", NULL, NULL, &err), CV_OK);
	assert_int_equal(cv_watch_done(d, id, NULL, &err), CV_OK);
	assert_int_equal(cv_referral_update(c, ref, "accepted", NULL, NULL, &err), CV_OK);
	assert_int_equal(cv_watch_done(c, id, NULL, &err), CV_OK);
	assert_int_equal(cv_note_write(c, other, "analysis", "a", 1, NULL, 1, more, &err), CV_OK);
	assert_int_equal(cv_note_write(c, other, "outcome", "o", 1, NULL, 1, more, &err), CV_OK);
	assert_int_equal(cv_case_close(c, other, &err), CV_OK);
	assert_int_equal(cv_case_reopen(c, other, &err), CV_OK);
	assert_int_equal(cv_case_handover(a, other, "dave", recovery, &err), CV_OK);
	close_vault(f);
	fresh_copy(f->path, snap);
	expect_verified(snap);

	reopen(f);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_user_rotate(c, PW_NEW, strlen(PW_NEW), &err), CV_OK);
	logout(c);
	c = login_ok(f->v, "carol", PW_NEW);
	edit_ok(c, note, "after the rotation");
	logout(c);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(reset_user(f->v, a, "carol", recovery, PW_CAROL, &err), CV_OK);
	c = login_ok(f->v, "carol", PW_CAROL);
	edit_ok(c, note, "after the reset");
	assert_int_equal(cv_referral_update(c, ref, "completed", NULL, NULL, &err), CV_OK);
	assert_int_equal(cv_user_disable(a, "dave", &err), CV_OK);
	assert_int_equal(cv_case_shred(a, other, "retention ended", recovery, &err), CV_OK);
	assert_int_equal(cv_note_add(c, id, "session", "reused", 6, NULL, more, &err), CV_OK);
	close_vault(f);
	fresh_copy(f->path, snap);
	expect_verified(snap);
	reopen(f);
}

/* ---- 7. many changes ------------------------------------------------------ */

/*
 * A sanity check of the comparison by sums on a longer log: the vault
 * verifies, then verifies again after 300 more changes of the same rows
 * (each a new version in its row's chain) and of new ones.  How much
 * memory and time the comparison takes is the benchmark's to measure, not
 * this test's.
 */
static void test_many_changes_verify(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	char id[CV_CASE_ID_MAX], notes[10][CV_CASE_ID_MAX], base[TEST_PATH_MAX];
	cv_audit_report rep;
	cv_err err = {0};
	int64_t committed, rows;

	open_new(c, "S-350", "Lin Hua", id);
	consent_all(c, id);
	for (int i = 0; i < 10; i++)
		assert_int_equal(cv_note_add(c, id, "session", "v", 1, NULL, notes[i], &err),
				 CV_OK);
	close_vault(f);
	in_dir(f, base, "base.db");
	fresh_copy(f->path, base);
	assert_int_equal(verify_as(base, "sam", PW_SAM, &rep, &err), CV_OK);
	committed = rep.rows_committed;
	rows = rep.rows;

	reopen(f);
	c = login_ok(f->v, "carol", PW_CAROL);
	a = login_ok(f->v, "alice", PW_ALICE);
	for (int i = 0; i < 300; i++) {
		char text[32];

		snprintf(text, sizeof(text), "version %d", i + 2);
		edit_ok(c, notes[i % 10], text);
		if (i % 30 == 0)
			config_ok(a, "archive_days", i % 60 ? "8" : "9");
		if (i % 50 == 0) {
			char more[CV_CASE_ID_MAX];

			assert_int_equal(cv_note_add(c, id, "session", "new", 3, NULL, more, &err),
					 CV_OK);
		}
	}
	close_vault(f);
	assert_int_equal(verify_as(f->path, "sam", PW_SAM, &rep, &err), CV_OK);
	assert_true(rep.rows > rows + 300);
	/* 6 new notes and the setting: the edits changed rows, added none */
	assert_int_equal(rep.rows_committed, committed + 6 + 1);
	reopen(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_setting_changed_then_set_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grant_changed_then_resealed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_record_due_moved_then_updated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_planted_row_then_deleted_by_the_program, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_chains_are_checked_before_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_and_negative_rowids_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_record_rolled_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rows_duplicated_deleted_planted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_refuses_what_verify_refuses, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_planted_without_rowid_table_is_not_passed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_anchor_does_not_hide_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commitments_cannot_be_rewritten, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_genuine_flows_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_changes_verify, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

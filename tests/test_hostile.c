/*
 * test_hostile.c - the library on a hostile vault file: records edited
 * through the sqlite3 library as an attacker with the file (and no keys)
 * would, and text typed to deceive.  `user list` marks a record that fails
 * verification instead of showing it as signed; a chain of 10,000 forged
 * identity records is refused after a bounded walk (no recursion, no stack
 * overflow) at login, by `audit verify` and by `user list`; KDF parameters
 * out of range in a users row are refused before Argon2id runs; a damaged
 * student index is an integrity error, not "no cases"; names and notes
 * refuse bidi controls and invisible format characters.
 */
#define FIXTURE_TAG "hostile"
#include <fcntl.h>
#include <pthread.h>
#include <time.h>

#include "case_fixture.h"
#include "access.h"
#include "cert.h"
#include "kdf.h"
#include "log.h"
#include "keyholder.h"
#include "session.h"
#include "store.h"
#include "user.h"
#include "verify.h"
#include "vocab.h"

/* U+202E RIGHT-TO-LEFT OVERRIDE, as UTF-8. */
#define RLO "\xe2\x80\xae"

/* ---- user list -------------------------------------------------------------- */

struct listed {
	char name[8][CV_NAME_MAX + 1];
	int verified[8];
	cv_role role[8];
	size_t n;
};

static int collect_user(const cv_user_info *u, void *arg)
{
	struct listed *l = arg;

	if (l->n < 8) {
		snprintf(l->name[l->n], sizeof(l->name[0]), "%s", u->name);
		l->verified[l->n] = u->verified;
		l->role[l->n] = u->role;
		l->n++;
	}
	return 0;
}

/* The listed entry of name; fails the test when it is missing. */
static size_t listed_at(const struct listed *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->name[i], name) == 0)
			return i;
	fail_msg("'%s' is not listed", name);
	return 0;
}

static void list_ok(cv_vault *v, struct listed *l)
{
	cv_session *a = login_ok(v, "alice", PW_ALICE);
	cv_err err = {0};

	memset(l, 0, sizeof(*l));
	if (cv_user_list(a, collect_user, l, &err) != CV_OK)
		fail_msg("user list failed: %s", err.msg);
	logout(a);
	assert_int_equal(l->n, 4);
}

static void test_user_list_all_verified(void **state)
{
	struct fix *f = *state;
	struct listed l;

	list_ok(f->v, &l);
	for (size_t i = 0; i < l.n; i++)
		if (!l.verified[i])
			fail_msg("'%s' is marked unverified in an untouched vault", l.name[i]);
}

/* A role raised in the file: the list still works, and marks the record. */
static void test_user_list_marks_tampered_role(void **state)
{
	struct fix *f = *state;
	struct listed l;

	raw_exec(f->path, "UPDATE users SET role = 'admin' WHERE name = 'carol'");
	list_ok(f->v, &l);
	assert_int_equal(l.role[listed_at(&l, "carol")], CV_ROLE_ADMIN); /* what the file says */
	assert_false(l.verified[listed_at(&l, "carol")]);
	assert_true(l.verified[listed_at(&l, "alice")]);
	assert_true(l.verified[listed_at(&l, "dave")]);
	assert_true(l.verified[listed_at(&l, "sam")]);
}

/* A status changed without an admin's signature is marked too. */
static void test_user_list_marks_tampered_status(void **state)
{
	struct fix *f = *state;
	struct listed l;

	raw_exec(f->path, "UPDATE users SET status = 'disabled' WHERE name = 'dave'");
	list_ok(f->v, &l);
	assert_false(l.verified[listed_at(&l, "dave")]);
	assert_true(l.verified[listed_at(&l, "carol")]);
}

/* ---- a chain of 10,000 forged identities ------------------------------------ */

#define CHAIN 10000

/*
 * Makes carol's identity the top of a chain of CHAIN forged identities:
 * key_history rows alternating between carol (2) and dave (3), each
 * claiming to be signed by the other's identity one row earlier, down to
 * their real records.  Recursing along it would take 10,000 frames.
 */
static void forge_chain(const char *path)
{
	int64_t carol = q_int(path, "SELECT id FROM users WHERE name = 'carol'");
	int64_t dave = q_int(path, "SELECT id FROM users WHERE name = 'dave'");
	const int64_t base = 1000; /* above every real cert_seq */
	int64_t before;

	assert_int_equal(carol, 2);
	assert_int_equal(dave, 3);
	/* cert_seq base+i belongs to carol when i is even, to dave when odd;
	 * its creator is the other one, whose identity at base+i-1 is the
	 * row before. */
	before = q_int(path, "SELECT count(*) FROM key_history");
	raw_exec(path,
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
		 " INSERT INTO key_history (user_id, cert_seq, role, box_pk, sign_pk, creator_id,"
		 " cert_sig, retired_seq, expires, self_sig)"
		 " SELECT CASE i %% 2 WHEN 0 THEN 2 ELSE 3 END, %lld + i, 'admin', zeroblob(32),"
		 " zeroblob(32), CASE i %% 2 WHEN 0 THEN 3 ELSE 2 END, zeroblob(64), %lld + i + 1,"
		 " '', zeroblob(64) FROM n",
		 CHAIN, (long long)base, (long long)base);
	assert_int_equal(q_int(path, "SELECT count(*) FROM key_history"), before + CHAIN);
	/* carol's current row: the next identity, signed by dave's last. */
	raw_exec(path, "UPDATE users SET cert_seq = %lld, creator_id = 3 WHERE id = 2",
		 (long long)(base + CHAIN + 2));
}

static void test_chain_refused_by_verify_of_the_record(void **state)
{
	struct fix *f = *state;
	cv_user_rec r;
	cv_err err = {0};

	forge_chain(f->path);
	assert_int_equal(cv_store_user_by_name(f->v->st, "carol", &r, &err), CV_OK);
	/* Refused, as an integrity failure, without walking the whole chain
	 * (a forged link is found first, or the length cap stops the walk). */
	assert_int_equal(cv_user_verify(f->v, &r, &err), CV_EINTEGRITY);
	if (strncmp(err.code, "user.cert", 9) != 0)
		fail_msg("code %s: %s", err.code, err.msg);
	/* The same through the identity check alone. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_user_cert_verify(f->v, &r, &err), CV_EINTEGRITY);
	if (strncmp(err.code, "user.cert", 9) != 0)
		fail_msg("code %s: %s", err.code, err.msg);
}

static void test_chain_refused_at_login(void **state)
{
	struct fix *f = *state;
	cv_err err = {0};

	forge_chain(f->path);
	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, CV_CODE_AUTH_UNVERIFIED);
	/* dave's own record is untouched (his forged identities are older
	 * history rows, never his current one): he still logs in. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(login_status(f->v, "dave", PW_DAVE, &err), CV_OK);
}

static void test_chain_refused_by_audit_verify_and_marked_in_list(void **state)
{
	struct fix *f = *state;
	cv_audit_report rep;
	struct listed l;
	cv_session *a;
	cv_err err = {0};

	forge_chain(f->path);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_audit_verify(a, NULL, &rep, &err), CV_EINTEGRITY);
	logout(a);
	list_ok(f->v, &l);
	assert_false(l.verified[listed_at(&l, "carol")]);
	assert_true(l.verified[listed_at(&l, "alice")]);
}

/* A real chain is far from the cap: an admin made by an admin made by the
 * first admin verifies, and so does a counselor that admin made. */
static void test_short_real_chain_verifies(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *b;
	cv_user_rec r;
	cv_err err = {0};

	assert_int_equal(add_user(f->v, a, "bob", CV_ROLE_ADMIN, "bob correct horse battery", &err),
			 CV_OK);
	logout(a);
	b = login_ok(f->v, "bob", "bob correct horse battery");
	assert_int_equal(
	    add_user(f->v, b, "erin", CV_ROLE_COUNSELOR, "erin correct horse battery", &err),
	    CV_OK);
	logout(b);
	assert_int_equal(cv_store_user_by_name(f->v->st, "erin", &r, &err), CV_OK);
	if (cv_user_verify(f->v, &r, &err) != CV_OK)
		fail_msg("erin does not verify: %s", err.msg);
	login_ok(f->v, "erin", "erin correct horse battery");
}

/* A forged signature on the middle admin of a chain: the user's record
 * is refused as an integrity failure of its certificate chain. */
static void test_chain_with_a_forged_link_refused(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *b;
	cv_user_rec r;
	cv_err err = {0};

	assert_int_equal(add_user(f->v, a, "bob", CV_ROLE_ADMIN, "bob correct horse battery", &err),
			 CV_OK);
	logout(a);
	b = login_ok(f->v, "bob", "bob correct horse battery");
	assert_int_equal(
	    add_user(f->v, b, "erin", CV_ROLE_COUNSELOR, "erin correct horse battery", &err),
	    CV_OK);
	logout(b);
	raw_exec(f->path, "UPDATE users SET cert_sig = zeroblob(64) WHERE name = 'bob'");
	assert_int_equal(cv_store_user_by_name(f->v->st, "erin", &r, &err), CV_OK);
	assert_int_equal(cv_user_verify(f->v, &r, &err), CV_EINTEGRITY);
	if (strncmp(err.code, "user.cert", 9) != 0)
		fail_msg("code %s: %s", err.code, err.msg);
}

/* ---- KDF parameters from the file ------------------------------------------ */

/*
 * carol's row edited to absurd parameters.  Were Argon2id run with them
 * (4 GiB of memory, or 1000 passes) the key would be wrong and the answer
 * "wrong passphrase" (CV_EAUTH) after minutes; the refusal must come first,
 * as an integrity failure.
 */
static void kdf_refused(struct fix *f, const char *set)
{
	cv_user_rec r;
	cv_keyholder *kh = NULL;
	cv_err err = {0};

	raw_exec(f->path, "UPDATE users SET %s WHERE name = 'carol'", set);
	assert_int_equal(cv_store_user_by_name(f->v->st, "carol", &r, &err), CV_OK);
	assert_int_equal(cv_user_unlock(f->v, &r, PW_CAROL, strlen(PW_CAROL), &kh, &err),
			 CV_EINTEGRITY);
	assert_null(kh);
	assert_string_equal(err.code, "user.cert-kdf");
	memset(&err, 0, sizeof(err));
	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, CV_CODE_AUTH_KEYS);
}

static void test_kdf_m_4gib_refused_before_the_kdf(void **state)
{
	kdf_refused(*state, "kdf_m = 4194304, kdf_t = 2, kdf_p = 4");
}

static void test_kdf_t_1000_refused_before_the_kdf(void **state)
{
	kdf_refused(*state, "kdf_t = 1000");
}

static void test_kdf_work_refused_before_the_kdf(void **state)
{
	/* Each value within its own ceiling, the product above the work one. */
	kdf_refused(*state, "kdf_t = 3, kdf_m = 1048576, kdf_p = 4");
}

static void test_kdf_p_zero_refused_before_the_kdf(void **state)
{
	kdf_refused(*state, "kdf_p = 0");
}

/* ---- a damaged student index ----------------------------------------------- */

static int count_case(const cv_case_info *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static cv_status find(cv_session *s, const char *sid, int *n, cv_err *err)
{
	*n = 0;
	return cv_case_find(s, sid, count_case, n, err);
}

static void test_index_wrong_length_is_integrity(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char id[CV_CASE_ID_MAX], other[CV_CASE_ID_MAX];
	cv_err err = {0};
	int n = 0;

	open_new(c, "S-2024-0042", "Li Mei", id);
	open_new(c, "S-2024-0043", "Wang Lei", other);
	assert_int_equal(find(c, "S-2024-0042", &n, &err), CV_OK);
	assert_int_equal(n, 1);
	logout(c);

	raw_exec(f->path, "UPDATE cases SET index_tag = x'0102' WHERE id = '%s'", id);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(find(c, "S-2024-0042", &n, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "case.index-malformed");
	assert_msg_has(err, id);
	assert_int_equal(n, 0);
	/* Any lookup: the damaged row could be anyone's. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(find(c, "S-2024-0043", &n, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "case.index-malformed");
	/* A tag one byte too long, and an empty one, are the same. */
	logout(c);
	raw_exec(f->path, "UPDATE cases SET index_tag = zeroblob(33) WHERE id = '%s'", id);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(find(c, "nobody", &n, &err), CV_EINTEGRITY);
	logout(c);
	raw_exec(f->path, "UPDATE cases SET index_tag = x'' WHERE id = '%s'", id);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(find(c, "nobody", &n, &err), CV_EINTEGRITY);
	/* The duplicate warning of case open reads the index too. */
	{
		cv_case_input in = student("S-2024-0099", "Zhao Yun");
		int dup = 0;

		memset(&err, 0, sizeof(err));
		assert_int_equal(cv_case_open(c, &in, id, &dup, &err), CV_EINTEGRITY);
		assert_string_equal(err.code, "case.index-malformed");
	}
}

/*
 * The schema of the vault's own tables is checked when the file is opened
 * (vault.schema), before anything is read: one with the file could
 * otherwise add a foreign key whose cascade makes an admin's honest 'user
 * disable' delete other counselors' grants, with every row then as the
 * log says; or an index, a trigger, or drop one.  A table planted beside
 * them is left to the verification (rows.uncommitted once it holds a
 * row).
 */
static void test_schema_edits_refused_at_open(void **state)
{
	static const char *const edits[] = {
	    "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql,"
	    " 'PRIMARY KEY (case_id, user_id)', 'PRIMARY KEY (case_id, user_id), FOREIGN KEY"
	    " (case_id, sender_id) REFERENCES grants (case_id, user_id) ON DELETE CASCADE')"
	    " WHERE name = 'grants'; PRAGMA writable_schema = OFF;",
	    "CREATE INDEX records_by_box ON records (box)",
	    "CREATE TRIGGER records_seen AFTER INSERT ON records BEGIN SELECT 1; END",
	    "DROP INDEX duty_by_start",
	};
	struct fix *f = *state;
	char copy[TEST_PATH_MAX];
	cv_vault *v = NULL;
	cv_err err = {0};

	cv_vault_close(f->v);
	f->v = NULL;
	tmpdir_file(copy, sizeof(copy), f->dir, "edited.db");
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		unlink(copy);
		copy_db(f->path, copy);
		raw_sql(copy, "%s", edits[i]);
		memset(&err, 0, sizeof(err));
		assert_int_equal(cv_vault_open(copy, &v, &err), CV_EINTEGRITY);
		assert_string_equal(err.code, "vault.schema");
		assert_null(v);
	}
	/* the cascade's edit does change the schema text */
	unlink(copy);
	copy_db(f->path, copy);
	raw_sql(copy, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql,"
		      " 'PRIMARY KEY (case_id, user_id)', 'PRIMARY KEY (case_id, user_id), FOREIGN"
		      " KEY (case_id, sender_id) REFERENCES grants (case_id, user_id) ON DELETE"
		      " CASCADE') WHERE name = 'grants'; PRAGMA writable_schema = OFF;");
	assert_int_equal(
	    q_int(copy, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%%CASCADE%%'"), 1);
	/* a table of its own beside the vault's: opened, and verified */
	unlink(copy);
	copy_db(f->path, copy);
	raw_sql(copy, "CREATE TABLE planted (x TEXT)");
	assert_int_equal(cv_vault_open(copy, &v, &err), CV_OK);
	cv_vault_close(v);
	/* the untouched file opens */
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
	unlink(copy);
}

/*
 * A NULL tag: the schema says NOT NULL, so the attacker rewrites the
 * schema first (writable_schema), as one with the file can: the file is
 * then refused when opened (vault.schema).  With the schema put back and
 * the NULL left in the row (SQLite checks NOT NULL on writing only), the
 * tag is malformed.
 */
static void test_index_null_is_integrity(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char id[CV_CASE_ID_MAX];
	cv_err err = {0};
	int n = 0;

	open_new(c, "S-2024-0042", "Li Mei", id);
	logout(c);
	cv_vault_close(f->v);
	f->v = NULL;
	raw_sql(f->path, "PRAGMA writable_schema = ON;"
			 " UPDATE sqlite_schema SET sql = replace(sql, 'index_tag BLOB NOT NULL',"
			 " 'index_tag BLOB') WHERE name = 'cases';"
			 " PRAGMA writable_schema = OFF;");
	raw_exec(f->path, "UPDATE cases SET index_tag = NULL WHERE id = '%s'", id);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases WHERE index_tag IS NULL"), 1);
	/* the schema is no longer the vault's: refused when the file is
	 * opened, before any row is read */
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "vault.schema");
	assert_null(f->v);
	/* the schema put back (the row still NULL, which the schema no
	 * longer allows but SQLite does not check on reading) */
	raw_sql(f->path, "PRAGMA writable_schema = ON;"
			 " UPDATE sqlite_schema SET sql = replace(sql, 'index_tag BLOB,',"
			 " 'index_tag BLOB NOT NULL,') WHERE name = 'cases';"
			 " PRAGMA writable_schema = OFF;");
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(find(c, "S-2024-0042", &n, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "case.index-malformed");
	assert_int_equal(n, 0);
}

/* A shredded case's zero tag is well formed: lookups go on working. */
static void test_index_after_shred_still_works(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a;
	char id[CV_CASE_ID_MAX], other[CV_CASE_ID_MAX];
	cv_err err = {0};
	int n = 0;

	open_new(c, "S-2024-0042", "Li Mei", id);
	open_new(c, "S-2024-0043", "Wang Lei", other);
	logout(c);
	a = login_ok(f->v, "alice", PW_ALICE);
	if (cv_case_shred(a, id, "end of retention", recovery, &err) != CV_OK)
		fail_msg("shred failed: %s", err.msg);
	logout(a);
	assert_int_equal(q_int(f->path, "SELECT length(index_tag) FROM cases WHERE id = '%s'", id),
			 32);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(find(c, "S-2024-0043", &n, &err), CV_OK);
	assert_int_equal(n, 1);
	assert_int_equal(find(c, "S-2024-0042", &n, &err), CV_OK);
	assert_int_equal(n, 0);
}

/* ---- an index that hides a row ----------------------------------------------- */

/* A supervisor verifies the log (its row is an anchor), then the vault is
 * closed, for one with the file to change it. */
static void anchor_and_close(struct fix *f)
{
	cv_session *sam = login_ok(f->v, "sam", PW_SAM);
	cv_audit_report rep;
	cv_err err = {0};

	assert_int_equal(cv_audit_verify(sam, NULL, &rep, &err), CV_OK);
	logout(sam);
	cv_vault_close(f->v);
	f->v = NULL;
}

static int note_add_plain(cv_session *s, const char *case_id, cv_err *err)
{
	char id[CV_CASE_ID_MAX];

	return cv_note_add(s, case_id, "session", "text", 4, NULL, id, err);
}

/*
 * One with the file rebuilds the index of a case's records without the
 * consent withdrawal (a partial index for a moment, then the schema's own
 * text put back): the table and every row are as the log committed them,
 * no page is left over, and the consent check, which finds a case's
 * records through that index, no longer sees the withdrawal.  Every
 * verification finds it: the index is not its table's.
 */
static void test_index_hiding_a_withdrawal_is_found(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *sam;
	char id[CV_CASE_ID_MAX];
	const char *def = "CREATE INDEX records_by_case ON records (case_id, type, created_at)";
	cv_audit_report rep;
	cv_stats_result *res = NULL;
	cv_err err = {0};

	open_new(c, "S-2024-0042", "Li Mei", id);
	consent_all(c, id);
	assert_int_equal(cv_consent_withdraw(c, id, NULL, NULL, NULL, &err), CV_OK);
	assert_int_equal(note_add_plain(c, id, &err), CV_EDENIED);
	logout(c);
	anchor_and_close(f);
	raw_sql(f->path,
		"PRAGMA writable_schema = ON;"
		" UPDATE sqlite_schema SET sql = '%s WHERE kind <> ''withdraw''' WHERE name ="
		" 'records_by_case';"
		" PRAGMA writable_schema = OFF;",
		def);
	raw_sql(f->path, "REINDEX records_by_case");
	raw_sql(f->path,
		"PRAGMA writable_schema = ON;"
		" UPDATE sqlite_schema SET sql = '%s' WHERE name = 'records_by_case';"
		" PRAGMA writable_schema = OFF;",
		def);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM records NOT INDEXED WHERE case_id = '%s' AND"
			       " kind = 'withdraw'",
			       id),
			 1);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM records WHERE case_id = '%s' AND kind ="
			       " 'withdraw'",
			       id),
			 0);
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
	/* Between verifications the file is read as it is: the withdrawal
	 * is hidden from the consent check. */
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(note_add_plain(c, id, &err), CV_OK);
	logout(c);
	/* Every verification finds it, and the export counts nothing. */
	sam = login_ok(f->v, "sam", PW_SAM);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_audit_verify(sam, NULL, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "vault.structure");
	assert_msg_has(err, "records_by_case");
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_audit_verify_full(sam, NULL, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "vault.structure");
	memset(&err, 0, sizeof(err));
	{
		char month[8];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(month, sizeof(month), "%Y-%m", &tm);
		assert_int_equal(cv_stats_export(sam, month, month, 3, NULL, &res, &err),
				 CV_EINTEGRITY);
	}
	assert_string_equal(err.code, "vault.structure");
	assert_null(res);
	logout(sam);
}

/* ---- rows changed under an export ------------------------------------------ */

/* The current month, as stats export takes it. */
static void this_month(char month[8])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(month, 8, "%Y-%m", &tm);
}

/*
 * The export counts the rows while their comparison with the log still
 * runs beside it (verify.h cv_verify_in_op_begin), and the cases and
 * records rows are checked by the count alone.  One with the file swaps
 * two cases' statistics, deletes a record, plants a copy of a case,
 * plants a record of no case (which no walk of the count reaches), or adds
 * a column to a table (which the count's hash does not take in): each
 * time the export gives the verification's finding (not what counting the
 * altered rows ran into), publishes nothing and records no release.
 */
static void test_export_refuses_rows_changed_while_counted(void **state)
{
	static const struct {
		const char *sql, *code;
	} attack[] = {
	    {"UPDATE cases SET stats_box = (SELECT stats_box FROM cases WHERE rowid = 2)"
	     " WHERE rowid = 1",
	     "rows.changed"},
	    {"DELETE FROM records WHERE rowid = (SELECT max(rowid) FROM records)", "rows.missing"},
	    {"INSERT INTO cases SELECT 'C-PLANTED', status, opened_by, opened_at, closed_at,"
	     " version, index_tag, key_commit, recovery_key, data_nonce, data_box, stats_box,"
	     " signer_id, mac, sig FROM cases WHERE rowid = 1",
	     "rows.uncommitted"},
	    {"INSERT INTO records SELECT 'R-PLANTED', 'C-ZZZZZZZZ', type, parent, kind, status,"
	     " version, author_id, created_at, updated_at, due, nonce, box, stats_box,"
	     " signer_id, mac, sig FROM records WHERE rowid = 1",
	     "rows.uncommitted"},
	    /* a column the count does not read: the schema is not the
	     * vault's, refused when the file is opened */
	    {"ALTER TABLE cases ADD COLUMN x TEXT", "vault.schema"},
	    {"ALTER TABLE records ADD COLUMN x TEXT DEFAULT 'hi'", "vault.schema"},
	};
	struct fix *f = *state;
	char month[8], ids[6][CV_CASE_ID_MAX];
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *sam;
	cv_err err = {0};

	this_month(month);
	for (int i = 0; i < 6; i++) {
		char sid[24];

		snprintf(sid, sizeof(sid), "S-2024-%04d", 100 + i);
		open_new(c, sid, "Li Mei", ids[i]);
		consent_all(c, ids[i]);
	}
	logout(c);
	anchor_and_close(f);
	for (size_t a = 0; a < sizeof(attack) / sizeof(attack[0]); a++) {
		char copy[TEST_PATH_MAX];
		cv_vault *v = NULL;
		cv_stats_result *res = NULL;

		tmpdir_file(copy, sizeof(copy), f->dir, "attacked.db");
		unlink(copy);
		copy_db(f->path, copy);
		raw_sql(copy, "%s", attack[a].sql);
		if (strcmp(attack[a].code, "vault.schema") == 0) {
			assert_int_equal(cv_vault_open(copy, &v, &err), CV_EINTEGRITY);
			assert_string_equal(err.code, attack[a].code);
			assert_null(v);
		} else {
			assert_int_equal(cv_vault_open(copy, &v, &err), CV_OK);
			sam = login_ok(v, "sam", PW_SAM);
			memset(&err, 0, sizeof(err));
			assert_int_equal(cv_stats_export(sam, month, month, 3, NULL, &res, &err),
					 CV_EINTEGRITY);
			assert_string_equal(err.code, attack[a].code);
			assert_null(res);
			logout(sam);
			cv_vault_close(v);
		}
		assert_int_equal(q_int(copy, "SELECT count(*) FROM stats_releases"), 0);
		/* the same vault, untouched, exports */
		unlink(copy);
		copy_db(f->path, copy);
		assert_int_equal(cv_vault_open(copy, &v, &err), CV_OK);
		sam = login_ok(v, "sam", PW_SAM);
		assert_int_equal(cv_stats_export(sam, month, month, 3, NULL, &res, &err), CV_OK);
		cv_stats_free(res);
		logout(sam);
		cv_vault_close(v);
		unlink(copy);
	}
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
}

/* Counts the cases of category "family" (the walk's callback). */
static int count_family(const cv_stats_attrs *a, void *arg)
{
	*(int *)arg += strcmp(a->category, "family") == 0;
	return 0;
}

/* Writes over path every page (of `page` bytes) in which from and to
 * differ, with to's, as one who can write the file can at any moment. */
static void put_pages(const char *path, const char *from, const char *to, long page)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "rb");
	int fd = open(path, O_WRONLY);
	char *x = malloc((size_t)page), *y = malloc((size_t)page);
	int changed = 0;

	assert_true(a && b && fd >= 0 && x && y);
	for (long n = 0; fread(x, 1, (size_t)page, a) == (size_t)page &&
			 fread(y, 1, (size_t)page, b) == (size_t)page;
	     n++)
		if (memcmp(x, y, (size_t)page) != 0 && n > 0) { /* page 1: the header */
			assert_int_equal(pwrite(fd, y, (size_t)page, n * page), page);
			changed++;
		}
	assert_true(changed > 0);
	fclose(a);
	fclose(b);
	close(fd);
	free(x);
	free(y);
}

/*
 * One who can write the file, and holds no key, changes a case's sealed
 * statistics in the file while an export runs: after its verification has
 * read the rows, before it counts them.  A box anyone can make (the stats
 * key is public), naming the right case and version, with another
 * category.  What is counted is what the log committed to, or nothing:
 * the row read for counting is compared with its commitment.
 */
static void test_rows_changed_after_the_verification_read_them(void **state)
{
	struct fix *f = *state;
	char ids[6][CV_CASE_ID_MAX], forged[TEST_PATH_MAX], honest[TEST_PATH_MAX];
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *sam;
	uint8_t epk[crypto_box_PUBLICKEYBYTES], esk[crypto_box_SECRETKEYBYTES];
	uint8_t box[2048];
	cv_verify_pending *pending = NULL;
	cv_audit_report rep = {0};
	cv_statsbox_case attrs;
	int beside;
	cv_buf text = CV_BUF_INIT;
	char hex[sizeof(box) * 2 + 1];
	size_t walked = 0, n;
	int family = 0;
	cv_status st;
	cv_err err = {0};

	for (int i = 0; i < 6; i++) {
		char sid[24];

		snprintf(sid, sizeof(sid), "S-2024-%04d", 200 + i);
		open_new(c, sid, "Li Mei", ids[i]);
	}
	logout(c);
	sam = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_audit_verify(sam, NULL, &rep, &err), CV_OK);
	/* the forged box: the first case's own attributes, another category */
	assert_int_equal(cv_access_case_stats(sam, ids[0], &attrs, &err), CV_OK);
	assert_string_not_equal(attrs.category, "family");
	attrs.category = "family";
	assert_int_equal(cv_statsbox_case_put(&text, &attrs), 0);
	assert_false(text.oom);
	n = text.len;
	crypto_box_keypair(epk, esk);
	memcpy(box, epk, sizeof(epk));
	randombytes_buf(box + sizeof(epk), crypto_box_NONCEBYTES);
	assert_int_equal(crypto_box_easy(box + sizeof(epk) + crypto_box_NONCEBYTES, text.data, n,
					 box + sizeof(epk), f->v->stats_pk, esk),
			 0);
	n += sizeof(epk) + crypto_box_NONCEBYTES + crypto_box_MACBYTES;
	sodium_bin2hex(hex, sizeof(hex), box, n);
	cv_buf_free(&text);
	logout(sam);
	cv_vault_close(f->v);
	f->v = NULL;
	/* the same file, with that box in the row */
	tmpdir_file(honest, sizeof(honest), f->dir, "honest.db");
	tmpdir_file(forged, sizeof(forged), f->dir, "forged.db");
	copy_db(f->path, honest);
	copy_db(f->path, forged);
	raw_sql(forged, "UPDATE cases SET stats_box = x'%s' WHERE id = '%s'", hex, ids[0]);
	raw_sql(honest, "PRAGMA journal_mode = DELETE");
	raw_sql(forged, "PRAGMA journal_mode = DELETE");
	/* the export's steps, with the change between the verification and
	 * the count */
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
	sam = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_op_begin(sam, &err), CV_OK);
	cv_vouch_begin(f->v);
	assert_int_equal(cv_verify_in_op_begin(sam, &pending, &rep, &err), CV_OK);
	beside = pending != NULL;
	put_pages(f->path, honest, forged, q_int(honest, "PRAGMA page_size"));
	st = cv_access_all_stats(sam, count_family, &family, &walked, &err);
	if (st != CV_OK)
		assert_true(strcmp(err.code, "rows.changed") == 0 ||
			    strcmp(err.code, "case.forged") == 0);
	{
		cv_err found = {0};
		cv_status vs = cv_verify_in_op_end(sam, pending, st, &rep, &found);

		/* refused (at the row, when what it holds fails a check of its
		 * own, or by the sums once every row was read: then nothing
		 * counted may be used), or counted as the log committed it:
		 * never the forgery */
		if (st == CV_OK && vs == CV_OK)
			assert_int_equal(family, 0);
		if (st == CV_OK && vs != CV_OK) {
			assert_int_equal(vs, CV_EINTEGRITY);
			assert_string_equal(found.code, "rows.changed");
		}
	}
	cv_vouch_end(f->v);
	cv_op_fail(sam, CV_ACT_STATS_EXPORT, "stats", &err);
	logout(sam);
	/* what is in the file now: the next verification finds it (with one
	 * processor the one connection may still read the honest page from
	 * the write-ahead log, which the forged page in the file is behind:
	 * then the file reads as the log says) */
	sam = login_ok(f->v, "sam", PW_SAM);
	memset(&err, 0, sizeof(err));
	if (beside) {
		assert_int_equal(cv_audit_verify(sam, NULL, &rep, &err), CV_EINTEGRITY);
		assert_string_equal(err.code, "rows.changed");
	}
	logout(sam);
}

/* Holds the write lock a little longer than the library waits for it. */
static void *hold_lock(void *arg)
{
	struct timespec t = {5, 600000000};

	nanosleep(&t, NULL);
	sqlite3_exec(arg, "ROLLBACK", NULL, NULL, NULL);
	return NULL;
}

/*
 * The export's walk of the log reads it on a connection of its own; the
 * rows the export then writes go on from the last row its own connection
 * read when the transaction began.  The two must be the same row: if one
 * who wrote the file had them differ (a page swapped between the reads,
 * shown here by changing the transaction's idea of its last row), the
 * verification would vouch for a log it never read.  Refused, and no
 * audit.verify row is written.
 */
static void test_walk_and_head_must_agree(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *sam;
	cv_verify_pending *pending = NULL;
	cv_audit_report rep = {0};
	char id[CV_CASE_ID_MAX];
	size_t walked = 0;
	int family = 0;
	cv_err err = {0};
	cv_status st;
	int64_t before;

	open_new(c, "S-2024-0312", "Li Mei", id);
	consent_all(c, id);
	logout(c);
	sam = login_ok(f->v, "sam", PW_SAM);
	before = q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'audit.verify'");
	for (int bent = 1; bent >= 0; bent--) {
		assert_int_equal(cv_op_begin(sam, &err), CV_OK);
		if (bent)
			sam->head.hash[0] ^= 1;
		cv_vouch_begin(f->v);
		assert_int_equal(cv_verify_in_op_begin(sam, &pending, &rep, &err), CV_OK);
		st = cv_access_all_stats(sam, count_family, &family, &walked, &err);
		assert_int_equal(st, CV_OK);
		memset(&err, 0, sizeof(err));
		st = cv_verify_in_op_end(sam, pending, st, &rep, &err);
		cv_vouch_end(f->v);
		if (!pending) { /* one processor: the walk ran on the one connection */
			if (bent)
				sam->head.hash[0] ^= 1;
			cv_store_rollback(f->v->st);
			continue;
		}
		if (bent) {
			assert_int_equal(st, CV_EINTEGRITY);
			assert_string_equal(err.code, "rows.changed");
			sam->head.hash[0] ^= 1;
			cv_store_rollback(f->v->st);
			assert_int_equal(
			    q_int(f->path,
				  "SELECT count(*) FROM audit WHERE action = 'audit.verify'"),
			    before);
		} else {
			assert_int_equal(st, CV_OK);
			assert_int_equal(cv_op_commit(sam, &err), CV_OK);
			assert_int_equal(
			    q_int(f->path,
				  "SELECT count(*) FROM audit WHERE action = 'audit.verify'"),
			    before + 1);
		}
	}
	logout(sam);
}

/*
 * A verification that left the cases and records rows to its caller's
 * count (verify.h cv_verify_in_op_begin) says the vault verified only when
 * the caller read and checked them all: told they were not, or told they
 * were when no walk of them ran (which it refuses, so that nothing counted
 * is used), it writes no audit.verify row, even in a transaction that then
 * commits.
 */
static void test_rows_left_to_the_count_unread_claim_nothing(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *sam;
	cv_verify_pending *pending = NULL;
	cv_audit_report rep = {0};
	char id[CV_CASE_ID_MAX];
	cv_err err = {0};
	int64_t before;

	open_new(c, "S-2024-0311", "Li Mei", id);
	logout(c);
	sam = login_ok(f->v, "sam", PW_SAM);
	before = q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'audit.verify'");
	for (int said = 0; said < 2; said++) {
		int left;

		assert_int_equal(cv_op_begin(sam, &err), CV_OK);
		cv_vouch_begin(f->v);
		assert_int_equal(cv_verify_in_op_begin(sam, &pending, &rep, &err), CV_OK);
		/* one processor: nothing was left to the caller, every check
		 * was done on the one connection, and the vault verified */
		left = pending != NULL;
		/* told of a failure: the caller's stands (CV_OK here); told
		 * the count succeeded when it read nothing: refused */
		assert_int_equal(
		    cv_verify_in_op_end(sam, pending, said ? CV_OK : CV_ERROR, &rep, &err),
		    said && left ? CV_ERROR : CV_OK);
		cv_vouch_end(f->v);
		assert_int_equal(cv_op_commit(sam, &err), CV_OK);
		before += !left;
		assert_int_equal(
		    q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'audit.verify'"),
		    before);
	}
	logout(sam);
}

/*
 * Another program holds the vault's write lock past the wait, then lets it
 * go: the export fails as busy before anything is verified, and writes no
 * audit.verify row afterwards (no verification ran).
 */
static void test_busy_export_claims_no_verification(void **state)
{
	struct fix *f = *state;
	cv_session *sam = login_ok(f->v, "sam", PW_SAM);
	sqlite3 *other = raw_open(f->path, SQLITE_OPEN_READWRITE);
	cv_stats_result *res = NULL;
	char month[8];
	int64_t before = q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'audit.verify'");
	pthread_t tid;
	cv_err err = {0};

	this_month(month);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(pthread_create(&tid, NULL, hold_lock, other), 0);
	assert_int_equal(cv_stats_export(sam, month, month, 3, NULL, &res, &err), CV_ERROR);
	assert_non_null(strstr(err.msg, "busy"));
	assert_null(res);
	pthread_join(tid, NULL);
	sqlite3_close(other);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'audit.verify'"),
			 before);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 0);
	logout(sam);
}

/* ---- an admin who swaps the stats key --------------------------------------- */

/*
 * The first admin signs the vault's public keys; with the file they could
 * put a stats key of their own in place of the vault's, sign it, and commit
 * the rows in a checkpoint of theirs, so that counselors' programs would
 * seal every new case's attributes to them.  The first log row commits to
 * the vault's pair: a counselor's program refuses to seal to another, and
 * audit verify refuses a row that commits to meta after the first.
 */
static void test_admin_stats_key_swap_refused(void **state)
{
	static const char domain[] = "casevault-vault-keys-v1";
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *c = NULL, *sam = NULL;
	uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	uint8_t commit[CV_HASH_LEN], sig[crypto_sign_BYTES];
	uint8_t msg[sizeof(domain) - 1 + CV_VAULT_ID_LEN + sizeof(pk) + CV_HASH_LEN];
	size_t o = sizeof(domain) - 1;
	cv_audit_report rep;
	cv_err err = {0};
	int64_t seq;

	/* alice's own program, her own keys: the new pair, signed by her */
	assert_int_equal(cv_store_meta_get(f->v->st, "index_commit", commit, sizeof(commit), &err),
			 CV_OK);
	crypto_box_keypair(pk, sk);
	memcpy(msg, domain, o);
	memcpy(msg + o, f->v->vault_id, CV_VAULT_ID_LEN);
	memcpy(msg + o + CV_VAULT_ID_LEN, pk, sizeof(pk));
	memcpy(msg + o + CV_VAULT_ID_LEN + sizeof(pk), commit, sizeof(commit));
	assert_int_equal(cv_keyholder_sign(a->kh, msg, sizeof(msg), sig, &err), CV_OK);
	logout(a);
	cv_vault_close(f->v);
	f->v = NULL;
	/* the last three rows of meta: put back in order, they keep their
	 * rowids, and only their contents differ from what row 1 committed */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM meta WHERE rowid > (SELECT rowid"
					" FROM meta WHERE key = 'stats_pk')"),
			 2);
	raw_exec(f->path, "DELETE FROM meta WHERE key IN ('stats_pk', 'index_commit',"
			  " 'vault_keys_sig')");
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_op_begin(a, &err), CV_OK);
	assert_int_equal(cv_store_meta_put(f->v->st, "stats_pk", pk, sizeof(pk), &err), CV_OK);
	assert_int_equal(cv_store_meta_put(f->v->st, "index_commit", commit, sizeof(commit), &err),
			 CV_OK);
	assert_int_equal(cv_store_meta_put(f->v->st, "vault_keys_sig", sig, sizeof(sig), &err),
			 CV_OK);
	assert_int_equal(cv_op_log(a, CV_ACT_AUDIT_CHECKPOINT, "audit", CV_OUT_OK, "", &err),
			 CV_OK);
	assert_int_equal(cv_op_commit(a, &err), CV_OK);
	seq = q_int(f->path, "SELECT max(seq) FROM audit WHERE actor = 'alice' AND rows LIKE "
			     "'%%meta:%%'");
	assert_true(seq > 1);
	logout(a);
	/* A counselor's program refuses it at login: nothing is sealed to it. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_login(f->v, "carol", PW_CAROL, strlen(PW_CAROL), &c, &err),
			 CV_EINTEGRITY);
	assert_string_equal(err.code, "vkey.public-replaced");
	assert_null(c);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases"), 0);
	/* The log check names alice's row (the supervisors cannot log in
	 * either: their copies are of the vault's pair, not of this one). */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_login(f->v, "sam", PW_SAM, strlen(PW_SAM), &sam, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "vkey.public-replaced");
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_verify_vault(f->v, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "log.rows-malformed");
	assert_int_equal(rep.bad_seq, seq);
}

/* ---- bidi controls in what is typed ------------------------------------------ */

static void test_case_fields_refuse_bidi(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	const char *fields[] = {"name", "class", "guardian", "student"};
	char id[CV_CASE_ID_MAX];
	int64_t before = q_int(f->path, "SELECT count(*) FROM cases");

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		cv_case_input in = student("S-1", "Li Mei");
		cv_err err = {0};
		int dup = 0;

		if (i == 0)
			in.name = "Li Mei" RLO "lanif";
		else if (i == 1)
			in.class_name = "8-3\xe2\x81\xa7";
		else if (i == 2)
			in.guardian = "\xe2\x80\x8fLi Hua";
		else
			in.student_id = "S-1\xef\xbb\xbf";
		if (cv_case_open(c, &in, id, &dup, &err) != CV_EUSAGE)
			fail_msg("%s with a bidi control accepted", fields[i]);
		assert_string_equal(err.code, "field.bidi");
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases"), before);
}

static void test_note_refuses_bidi_keeps_lines(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	static const char ok[] = "line one\n\tline two\r\nend";
	static const char bad[] = "seen today\n" RLO "gnitirw neddih";
	char id[CV_CASE_ID_MAX], note[CV_CASE_ID_MAX];
	cv_err err = {0};
	int64_t before;

	open_new(c, "S-2024-0042", "Li Mei", id);
	consent_all(c, id);
	before = q_int(f->path, "SELECT count(*) FROM records WHERE type = 'note'");
	assert_int_equal(cv_note_add(c, id, "session", bad, strlen(bad), NULL, note, &err),
			 CV_EUSAGE);
	assert_string_equal(err.code, "note.bidi");
	assert_msg_has(err, "byte offset 11");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE type = 'note'"),
			 before);
	if (cv_note_add(c, id, "session", ok, strlen(ok), NULL, note, &err) != CV_OK)
		fail_msg("a note with newlines and tabs refused: %s", err.msg);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_note_edit(c, note, bad, strlen(bad), NULL, &err), CV_EUSAGE);
	assert_string_equal(err.code, "note.bidi");
}

static void test_other_fields_refuse_bidi(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a;
	char id[CV_CASE_ID_MAX], rid[CV_CASE_ID_MAX];
	cv_referral_input in = {"City Hospital" RLO, "hospital", "emotion",
				"routine",	     "summary",	 NULL};
	cv_err err = {0};

	open_new(c, "S-2024-0042", "Li Mei", id);
	consent_all(c, id);
	assert_int_equal(cv_referral_add(c, id, &in, NULL, rid, &err), CV_EUSAGE);
	assert_string_equal(err.code, "field.bidi");
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_test_add(c, id, "SCL-90\xe2\x80\x8e", "1.2", NULL, NULL, rid, &err),
			 CV_EUSAGE);
	assert_string_equal(err.code, "field.bidi");
	logout(c);
	a = login_ok(f->v, "alice", PW_ALICE);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_config_set(a, "timezone", "Asia/Shanghai" RLO, &err), CV_EUSAGE);
	assert_string_equal(err.code, "field.bidi");
}

int main(void)
{
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_list_all_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_list_marks_tampered_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_list_marks_tampered_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_refused_by_verify_of_the_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_refused_at_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_refused_by_audit_verify_and_marked_in_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_real_chain_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_with_a_forged_link_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kdf_m_4gib_refused_before_the_kdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kdf_t_1000_refused_before_the_kdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kdf_work_refused_before_the_kdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kdf_p_zero_refused_before_the_kdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_wrong_length_is_integrity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_edits_refused_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_null_is_integrity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_hiding_a_withdrawal_is_found, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_export_refuses_rows_changed_while_counted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_changed_after_the_verification_read_them,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_export_claims_no_verification, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_walk_and_head_must_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_left_to_the_count_unread_claim_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_stats_key_swap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_after_shred_still_works, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_fields_refuse_bidi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_note_refuses_bidi_keeps_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_fields_refuse_bidi, setup, teardown),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

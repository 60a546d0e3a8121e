/*
 * test_verify.c - every rule of cv_audit_verify, in the library itself:
 * who may write a row (a user of the vault, not one already disabled),
 * who signs a segment of the log (the one who wrote its rows), which rows
 * may stand unsigned (failed logins, refusals by role before login), the
 * users table against the log (no old record put back), the identity and
 * status chains of every user record, and the signed settings.
 *
 * Each test copies a base vault made once, verifies the untouched copy
 * (the positive control), tampers with it through the sqlite3 library as
 * someone who controls the file would -- recomputing hashes and
 * signatures with the real keys of the vault's users, which the test
 * holds -- and expects CV_EINTEGRITY, the first bad row in the report
 * where the rule names one, and a message saying what was found.
 */
#include "helpers.h"
#include "cert.h"
#include "log.h"
#include "settings.h"
#include "user.h"

#define PW_ALICE "alice correct horse battery"
#define PW_SAM "sam correct horse battery"
#define PW_BOB "bob correct horse battery"
#define PW_BOB2 "bob changed his passphrase"
#define PW_CAROL "carol correct horse battery"
#define PW_DAVE "dave correct horse battery"
#define PW_EVE "eve correct horse battery"

/* ---- the base vault, made once ---------------------------------------------
 * alice (admin, the first user) adds sam (supervisor), bob and carol
 * (counselors), dave (counselor) and eve (admin).  bob lists the users,
 * then changes his passphrase; alice sets adult_age to 16, then to 17;
 * dave lists the users; alice disables eve, then dave; sam lists the
 * users.  Snapshots are kept from before bob's passphrase change, before
 * the second setting and before the disables. */

static char base_dir[TEST_DIR_MAX];
static char base_path[TEST_PATH_MAX];
static char pre_passwd[TEST_PATH_MAX];
static char pre_config[TEST_PATH_MAX];
static char pre_disable[TEST_PATH_MAX];

/* The users' secret keys, unwrapped with their passphrases: what lets the
 * tests re-sign as any of them. */
static struct holder {
	const char *name;
	const char *pass; /* as it is in the base vault */
	cv_keyholder *kh;
} holders[] = {
    {"alice", PW_ALICE, NULL}, {"sam", PW_SAM, NULL},	{"bob", PW_BOB2, NULL},
    {"carol", PW_CAROL, NULL}, {"dave", PW_DAVE, NULL}, {"eve", PW_EVE, NULL},
};

static int noop_user(const cv_user_info *u, void *arg)
{
	(void)u;
	(void)arg;
	return 0;
}

/* One command as one user on the vault at path: 'list' (user list),
 * 'passwd' (to arg), 'set' (adult_age to arg), 'disable' (user arg). */
static cv_status run_as(const char *path, const char *who, const char *pass, const char *cmd,
			const char *arg, cv_err *err)
{
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_status st = cv_vault_open(path, &v, err);

	if (st == CV_OK)
		st = cv_login(v, who, pass, strlen(pass), &s, err);
	if (st == CV_OK && strcmp(cmd, "list") == 0)
		st = cv_user_list(s, noop_user, NULL, err);
	else if (st == CV_OK && strcmp(cmd, "passwd") == 0)
		st = cv_user_passwd(s, arg, strlen(arg), err);
	else if (st == CV_OK && strcmp(cmd, "set") == 0)
		st = cv_config_set(s, "adult_age", arg, err);
	else if (st == CV_OK && strcmp(cmd, "disable") == 0)
		st = cv_user_disable(s, arg, err);
	cv_session_close(s);
	cv_vault_close(v);
	return st;
}

static cv_status add_users(const char *path, cv_err *err)
{
	static const struct {
		const char *name;
		cv_role role;
		const char *pass;
	} users[] = {
	    {"sam", CV_ROLE_SUPERVISOR, PW_SAM},    {"bob", CV_ROLE_COUNSELOR, PW_BOB},
	    {"carol", CV_ROLE_COUNSELOR, PW_CAROL}, {"dave", CV_ROLE_COUNSELOR, PW_DAVE},
	    {"eve", CV_ROLE_ADMIN, PW_EVE},
	};
	cv_vault *v = NULL;
	cv_session *a = NULL;
	cv_status st = cv_vault_open(path, &v, err);

	if (st == CV_OK)
		st = cv_login(v, "alice", PW_ALICE, strlen(PW_ALICE), &a, err);
	for (size_t i = 0; i < ARRAY_SIZE(users) && st == CV_OK; i++)
		st = add_user(v, a, users[i].name, users[i].role, users[i].pass, err);
	cv_session_close(a);
	cv_vault_close(v);
	return st;
}

/* Unwraps every holder's secret keys from the base vault. */
static cv_status load_holders(cv_err *err)
{
	cv_vault *v = NULL;
	cv_user_rec r;
	cv_status st = cv_vault_open(base_path, &v, err);

	for (size_t i = 0; i < ARRAY_SIZE(holders) && st == CV_OK; i++) {
		st = cv_store_user_by_name(v->st, holders[i].name, &r, err);
		if (st == CV_OK)
			st = cv_user_unlock(v, &r, holders[i].pass, strlen(holders[i].pass),
					    &holders[i].kh, err);
	}
	cv_vault_close(v);
	return st;
}

/* copy_db without cmocka's assertions, for the group setup. */
static cv_status snapshot(const char *from, const char *to, cv_err *err)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *bk = NULL;
	int rc = sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK && !(bk = sqlite3_backup_init(dst, "main", src, "main")))
		rc = SQLITE_ERROR;
	if (bk && sqlite3_backup_step(bk, -1) != SQLITE_DONE)
		rc = SQLITE_ERROR;
	if (bk && sqlite3_backup_finish(bk) != SQLITE_OK)
		rc = SQLITE_ERROR;
	sqlite3_close(dst);
	sqlite3_close(src);
	return rc == SQLITE_OK ? CV_OK : cv_err_set(err, CV_ERROR, "cannot copy '%s'", from);
}

static int group_setup(void **state)
{
	cv_err err = {0};
	cv_status st;

	(void)state;
	if (tmpdir_make(base_dir, sizeof(base_dir), "verify") != 0)
		return -1;
	snprintf(base_path, sizeof(base_path), "%s/base.db", base_dir);
	snprintf(pre_passwd, sizeof(pre_passwd), "%s/pre-passwd.db", base_dir);
	snprintf(pre_config, sizeof(pre_config), "%s/pre-config.db", base_dir);
	snprintf(pre_disable, sizeof(pre_disable), "%s/pre-disable.db", base_dir);
	st = create_vault(base_path, "alice", PW_ALICE, NULL, &err);
	if (st == CV_OK)
		st = add_users(base_path, &err);
	if (st == CV_OK)
		st = run_as(base_path, "bob", PW_BOB, "list", NULL, &err);
	if (st == CV_OK)
		st = snapshot(base_path, pre_passwd, &err);
	if (st == CV_OK)
		st = run_as(base_path, "bob", PW_BOB, "passwd", PW_BOB2, &err);
	if (st == CV_OK)
		st = run_as(base_path, "alice", PW_ALICE, "set", "16", &err);
	if (st == CV_OK)
		st = snapshot(base_path, pre_config, &err);
	if (st == CV_OK)
		st = run_as(base_path, "alice", PW_ALICE, "set", "17", &err);
	if (st == CV_OK)
		st = run_as(base_path, "dave", PW_DAVE, "list", NULL, &err);
	if (st == CV_OK)
		st = snapshot(base_path, pre_disable, &err);
	if (st == CV_OK)
		st = run_as(base_path, "alice", PW_ALICE, "disable", "eve", &err);
	if (st == CV_OK)
		st = run_as(base_path, "alice", PW_ALICE, "disable", "dave", &err);
	if (st == CV_OK)
		st = run_as(base_path, "sam", PW_SAM, "list", NULL, &err);
	if (st == CV_OK)
		st = load_holders(&err);
	if (st != CV_OK) {
		fprintf(stderr, "group setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(holders); i++) {
		cv_keyholder_free(holders[i].kh);
		holders[i].kh = NULL;
	}
	return tmpdir_remove(base_dir);
}

struct tfix {
	char dir[TEST_DIR_MAX];
	char path[TEST_PATH_MAX];
};

static int tsetup(void **state)
{
	struct tfix *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	*state = t;
	if (tmpdir_make(t->dir, sizeof(t->dir), "verify") != 0)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/copy.db", t->dir);
	return 0;
}

static int tteardown(void **state)
{
	struct tfix *t = *state;
	int rc;

	logout_all();
	rc = tmpdir_remove(t->dir);
	free(t);
	return rc;
}

/* ---- keys, rows and records, rewritten as an attacker would -------------- */

static cv_keyholder *kh_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(holders); i++)
		if (strcmp(holders[i].name, name) == 0)
			return holders[i].kh;
	fail_msg("the test holds no key of '%s'", name);
	return NULL;
}

static int64_t user_id(const char *path, const char *name)
{
	int64_t id = q_int(path, "SELECT id FROM users WHERE name = '%s'", name);

	if (id <= 0)
		fail_msg("no user '%s'", name);
	return id;
}

/* The first row matching where (SQL over the audit table) in the base. */
static int64_t seq_of(const char *where)
{
	int64_t seq = q_int(base_path, "SELECT min(seq) FROM audit WHERE %s", where);

	if (seq <= 0)
		fail_msg("no audit row where %s", where);
	return seq;
}

static void vault_id_of(sqlite3 *db, uint8_t vid[CV_VAULT_ID_LEN])
{
	sqlite3_stmt *s = NULL;

	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'vault_id'", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), CV_VAULT_ID_LEN);
	memcpy(vid, sqlite3_column_blob(s, 0), CV_VAULT_ID_LEN);
	sqlite3_finalize(s);
}

/* The recovery key the first log row committed to (FORMAT §10.3). */
static void recovery_pk_of(sqlite3 *db, uint8_t pk[32])
{
	sqlite3_stmt *s = NULL;
	const char *d;

	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT detail FROM audit WHERE seq = 1", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	d = strstr((const char *)sqlite3_column_text(s, 0), " recovery=");
	assert_non_null(d);
	assert_int_equal(sodium_hex2bin(pk, 32, d + 10, 64, NULL, NULL, NULL), 0);
	sqlite3_finalize(s);
}

/* One audit row's hashed fields, read with our own SQL. */
struct raw_row {
	char f[6][CV_LOG_DETAIL_MAX + 1]; /* time, actor, action, object, outcome, detail */
	char rows[16384];
	uint8_t hash[CV_HASH_LEN];
	uint8_t sig[crypto_sign_BYTES]; /* zero when NULL */
};

static int read_row(sqlite3 *db, int64_t seq, struct raw_row *r)
{
	sqlite3_stmt *s = NULL;
	int found = 0;

	memset(r, 0, sizeof(*r));
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT time, actor, action, object, outcome, detail,"
					    " hash, rows, sig FROM audit WHERE seq = ?1",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		found = 1;
		for (int i = 0; i < 6; i++)
			snprintf(r->f[i], sizeof(r->f[i]), "%s",
				 (const char *)sqlite3_column_text(s, i));
		assert_int_equal(sqlite3_column_bytes(s, 6), CV_HASH_LEN);
		memcpy(r->hash, sqlite3_column_blob(s, 6), CV_HASH_LEN);
		assert_true((size_t)sqlite3_column_bytes(s, 7) < sizeof(r->rows));
		snprintf(r->rows, sizeof(r->rows), "%s", (const char *)sqlite3_column_text(s, 7));
		if (sqlite3_column_bytes(s, 8) == crypto_sign_BYTES)
			memcpy(r->sig, sqlite3_column_blob(s, 8), crypto_sign_BYTES);
	}
	sqlite3_finalize(s);
	return found;
}

/*
 * reseal - recompute prev_hash and hash of every row from seq `from` to
 * the end, and re-sign every checkpoint among them with the real key of
 * its actor: after it the chain and every signature are sound, so what
 * verify refuses is the rule the tampering broke.
 */
static void reseal_with(const char *path, int64_t from, int sign)
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READWRITE);
	sqlite3_stmt *u = NULL;
	uint8_t vid[CV_VAULT_ID_LEN], prev[CV_HASH_LEN], msg[CV_CHECKPOINT_MSG_LEN];
	uint8_t sig[crypto_sign_BYTES], rpk[32];
	struct raw_row r;
	cv_audit_rec rec;
	cv_err err = {0};

	vault_id_of(db, vid);
	recovery_pk_of(db, rpk);
	if (from == 1) {
		cv_audit_genesis(vid, prev);
	} else {
		assert_true(read_row(db, from - 1, &r));
		memcpy(prev, r.hash, CV_HASH_LEN);
	}
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE audit SET prev_hash = ?2, hash = ?3,"
					    " sig = ?4 WHERE seq = ?1",
					    -1, &u, NULL),
			 SQLITE_OK);
	for (int64_t seq = from; read_row(db, seq, &r); seq++) {
		int checkpoint = strcmp(r.f[2], "checkpoint") == 0;

		memset(&rec, 0, sizeof(rec));
		rec.seq = seq;
		rec.time = r.f[0];
		rec.actor = r.f[1];
		rec.action = r.f[2];
		rec.object = r.f[3];
		rec.outcome = r.f[4];
		rec.detail = r.f[5];
		rec.rows = r.rows;
		memcpy(rec.prev_hash, prev, CV_HASH_LEN);
		cv_audit_hash(&rec, rec.hash);
		sqlite3_bind_int64(u, 1, seq);
		sqlite3_bind_blob(u, 2, prev, CV_HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_blob(u, 3, rec.hash, CV_HASH_LEN, SQLITE_TRANSIENT);
		if (checkpoint && !sign) {
			/* no key: the signature the row had is left as it was */
			sqlite3_bind_blob(u, 4, r.sig, sizeof(r.sig), SQLITE_TRANSIENT);
		} else if (checkpoint) {
			cv_checkpoint_msg(vid, rpk, seq, rec.hash, msg);
			assert_int_equal(
			    cv_keyholder_sign(kh_of(r.f[1]), msg, sizeof(msg), sig, &err), CV_OK);
			sqlite3_bind_blob(u, 4, sig, sizeof(sig), SQLITE_TRANSIENT);
		} else {
			sqlite3_bind_null(u, 4);
		}
		assert_int_equal(sqlite3_step(u), SQLITE_DONE);
		sqlite3_reset(u);
		memcpy(prev, rec.hash, CV_HASH_LEN);
	}
	sqlite3_finalize(u);
	sqlite3_close(db);
}

static void reseal(const char *path, int64_t from)
{
	reseal_with(path, from, 1);
}

/* rehash - the chain recomputed from seq `from` by someone who holds no
 * key: every hash consistent again, every signature the one it had. */
static void rehash(const char *path, int64_t from)
{
	reseal_with(path, from, 0);
}

/*
 * append - add a row at the end of the log (a checkpoint when action is
 * "checkpoint", signed with actor's real key), chained to the row before
 * it; returns its seq.
 */
static int64_t append_rows(const char *path, const char *actor, const char *action,
			   const char *object, const char *outcome, const char *detail,
			   const char *rows)
{
	int64_t seq = q_int(path, "SELECT max(seq) FROM audit") + 1;
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READWRITE);
	sqlite3_stmt *s = NULL;

	assert_int_equal(
	    sqlite3_prepare_v2(db,
			       "INSERT INTO audit (seq, time, actor, action, object,"
			       " outcome, detail, prev_hash, hash, sig, rows) SELECT ?1,"
			       " time, ?2, ?3, ?4, ?5, ?6, zeroblob(32), zeroblob(32),"
			       " NULL, ?7 FROM audit WHERE seq = ?1 - 1",
			       -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(s, 7, rows, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_text(s, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, detail, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
	reseal(path, seq);
	return seq;
}

static int64_t append(const char *path, const char *actor, const char *action, const char *object,
		      const char *outcome, const char *detail)
{
	return append_rows(path, actor, action, object, outcome, detail, "");
}

static int64_t append_checkpoint(const char *path, const char *actor)
{
	return append(path, actor, "checkpoint", "audit", "ok", "");
}

/* Re-signs the enrolment certificate user's keys descend from (the
 * key_history row of the identity held just before them) as issued by
 * creator (creator_id and cert_sig rewritten), with creator's real key. */
static void resign_identity(const char *path, const char *user, const char *creator)
{
	char hex[2 * crypto_sign_BYTES + 1];
	cv_vault *v = NULL;
	cv_user_rec r, e;
	cv_err err = {0};

	assert_int_equal(cv_vault_open(path, &v, &err), CV_OK);
	assert_int_equal(cv_store_user_by_name(v->st, user, &r, &err), CV_OK);
	assert_int_equal(cv_store_cert_at(v->st, r.id, r.cert_seq - 1, &e, &err), CV_OK);
	assert_true(cv_ident_is_enrolment(&e));
	e.creator_id = user_id(path, creator);
	assert_int_equal(cv_cert_sign(v, &e, CV_CERT_IDENTITY, kh_of(creator), &err), CV_OK);
	cv_vault_close(v);
	sodium_bin2hex(hex, sizeof(hex), e.cert_sig, sizeof(e.cert_sig));
	raw_exec(path,
		 "UPDATE key_history SET creator_id = %lld, cert_sig = X'%s'"
		 " WHERE user_id = %lld AND cert_seq = %lld",
		 (long long)e.creator_id, hex, (long long)r.id, (long long)e.cert_seq);
}

/* Re-signs user's status as set by signer (status_signer_id and
 * status_sig rewritten), with signer's real key. */
static void resign_status(const char *path, const char *user, const char *signer)
{
	char hex[2 * crypto_sign_BYTES + 1];
	cv_vault *v = NULL;
	cv_user_rec r;
	cv_err err = {0};

	assert_int_equal(cv_vault_open(path, &v, &err), CV_OK);
	assert_int_equal(cv_store_user_by_name(v->st, user, &r, &err), CV_OK);
	r.status_signer_id = user_id(path, signer);
	assert_int_equal(cv_cert_sign(v, &r, CV_CERT_STATUS, kh_of(signer), &err), CV_OK);
	cv_vault_close(v);
	sodium_bin2hex(hex, sizeof(hex), r.status_sig, sizeof(r.status_sig));
	raw_exec(path,
		 "UPDATE users SET status_signer_id = %lld, status_sig = X'%s'"
		 " WHERE name = '%s'",
		 (long long)r.status_signer_id, hex, user);
}

/* Puts back the row of `table` whose `key` column is `value` as it is in
 * the snapshot `from`. */
static void put_back(const char *path, const char *from, const char *table, const char *key,
		     const char *value)
{
	raw_exec(path,
		 "ATTACH '%s' AS old;"
		 "INSERT OR REPLACE INTO main.%s SELECT * FROM old.%s WHERE %s = '%s';",
		 from, table, table, key, value);
}

/* ---- verifying ----------------------------------------------------------- */

static cv_status verify_path(const char *path, cv_audit_report *rep, cv_err *err)
{
	cv_vault *v = NULL;
	cv_session *s;
	cv_status st;

	memset(err, 0, sizeof(*err));
	assert_int_equal(cv_vault_open(path, &v, err), CV_OK);
	s = login_ok(v, "sam", PW_SAM);
	st = cv_audit_verify(s, NULL, rep, err);
	logout(s);
	cv_vault_close(v);
	return st;
}

/* Verifies path as who (every signature when full). */
static cv_status verify_as(const char *path, const char *who, const char *pass, int full,
			   cv_audit_report *rep, cv_err *err)
{
	cv_vault *v = NULL;
	cv_session *s;
	cv_status st;

	memset(err, 0, sizeof(*err));
	assert_int_equal(cv_vault_open(path, &v, err), CV_OK);
	s = login_ok(v, who, pass);
	st = full ? cv_audit_verify_full(s, NULL, rep, err) : cv_audit_verify(s, NULL, rep, err);
	logout(s);
	cv_vault_close(v);
	return st;
}

/* The positive control: a copy of the base at t->path that verifies. */
static void fresh_copy(struct tfix *t)
{
	cv_audit_report rep;
	cv_err err;
	cv_status st;

	copy_db(base_path, t->path);
	st = verify_path(t->path, &rep, &err);
	if (st != CV_OK)
		fail_msg("the untampered copy gave %s: %s", cv_status_name(st), err.msg);
	assert_int_equal(rep.bad_seq, 0);
}

/* Expects verify to refuse path (after `what` was done to it) with
 * CV_EINTEGRITY, report bad as the first bad row (0: the finding is not a
 * row of the log), and say each of the (up to two) substrings. */
static void expect_refused(const char *path, const char *what, int64_t bad, const char *sub1,
			   const char *sub2)
{
	cv_audit_report rep;
	cv_err err;
	cv_status st = verify_path(path, &rep, &err);

	if (st != CV_EINTEGRITY)
		fail_msg("after '%s' verify gave %s, expected %s: %s", what, cv_status_name(st),
			 cv_status_name(CV_EINTEGRITY), err.msg);
	assert_int_equal(err.status, CV_EINTEGRITY);
	if (rep.bad_seq != bad)
		fail_msg("after '%s' rep.bad_seq is %lld, expected %lld (message: %s)", what,
			 (long long)rep.bad_seq, (long long)bad, err.msg);
	if (sub1)
		assert_msg_has(err, sub1);
	if (sub2)
		assert_msg_has(err, sub2);
}

/* Logs in on path and returns the status; the message goes to err. */
static cv_status login_on(const char *path, const char *who, const char *pass, cv_err *err)
{
	cv_vault *v = NULL;
	cv_status st;

	memset(err, 0, sizeof(*err));
	assert_int_equal(cv_vault_open(path, &v, err), CV_OK);
	st = login_status(v, who, pass, err);
	cv_vault_close(v);
	return st;
}

static int setting_cb(const cv_setting_info *i, void *arg)
{
	(void)i;
	(*(int *)arg)++;
	return 0;
}

/* cv_config_list on path as sam; the settings delivered go to *n. */
static cv_status list_settings(const char *path, int *n, cv_err *err)
{
	cv_vault *v = NULL;
	cv_session *s;
	cv_status st;

	*n = 0;
	memset(err, 0, sizeof(*err));
	assert_int_equal(cv_vault_open(path, &v, err), CV_OK);
	s = login_ok(v, "sam", PW_SAM);
	st = cv_config_list(s, setting_cb, n, err);
	logout(s);
	cv_vault_close(v);
	return st;
}

/* ---- the base itself ----------------------------------------------------- */

static void test_base_verifies(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err err;
	int64_t rows = q_int(base_path, "SELECT max(seq) FROM audit");

	copy_db(base_path, t->path);
	if (verify_path(t->path, &rep, &err) != CV_OK)
		fail_msg("the base does not verify: %s", err.msg);
	assert_int_equal(rep.rows, rows);
	assert_int_equal(rep.users, 6);
	assert_int_equal(rep.unsigned_tail, 0);
	assert_int_equal(rep.bad_seq, 0);
	assert_int_equal(
	    rep.checkpoints,
	    q_int(base_path, "SELECT count(*) FROM audit WHERE action = 'checkpoint'"));
	/* What the tests below rely on. */
	assert_int_equal(q_int(base_path, "SELECT count(*) FROM users WHERE status = 'disabled'"),
			 2);
	/* dave's enrolment and his list, each with its checkpoint. */
	assert_int_equal(q_int(base_path, "SELECT count(*) FROM audit WHERE actor = 'dave'"), 4);
	assert_true(seq_of("action = 'user.disable' AND object = 'user:eve'") <
		    seq_of("action = 'user.disable' AND object = 'user:dave'"));

	/* reseal over the whole log, with the keys the test holds, changes
	 * nothing that verify can see: the tools of the tests below are
	 * sound. */
	reseal(t->path, 1);
	if (verify_path(t->path, &rep, &err) != CV_OK)
		fail_msg("the base resealed does not verify: %s", err.msg);
}

/* ---- who may write a row ------------------------------------------------- */

static void test_row_by_unknown_actor(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("actor = 'sam' AND action = 'user.list'");

	fresh_copy(t);
	raw_exec(t->path, "UPDATE audit SET actor = 'mallory' WHERE seq = %lld", (long long)k);
	reseal(t->path, k);
	expect_refused(t->path, "a row's actor renamed", k, "'mallory'",
		       "who is not a user of this vault");
}

static void test_row_after_actor_disabled(void **state)
{
	struct tfix *t = *state;
	int64_t k;

	/* dave's own list before he was disabled is in the base, and fine;
	 * the same command, appended after it and signed with his real key,
	 * is not. */
	fresh_copy(t);
	k = append(t->path, "dave", "user.list", "users", "ok", "");
	append_checkpoint(t->path, "dave");
	expect_refused(t->path, "a row by dave after his disable", k, "'dave'",
		       "whose account was already disabled");
}

/* ---- who signs a segment ------------------------------------------------- */

static void test_segment_signed_by_another_actor(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("actor = 'bob' AND action = 'user.list'");
	char sub[96];

	/* bob's list and the checkpoint that ends it, which is then made
	 * sam's: the chain recomputed and every signature genuine. */
	assert_int_equal(q_int(base_path,
			       "SELECT count(*) FROM audit WHERE seq = %lld"
			       " AND actor = 'bob' AND action = 'checkpoint'",
			       (long long)(k + 1)),
			 1);
	fresh_copy(t);
	raw_exec(t->path, "UPDATE audit SET actor = 'sam' WHERE seq = %lld", (long long)(k + 1));
	reseal(t->path, k + 1);
	snprintf(sub, sizeof(sub), "audit rows %lld to %lld", (long long)k, (long long)(k + 1));
	expect_refused(t->path, "bob's checkpoint made sam's", k, sub,
		       "signed by 'sam' but were written by 'bob'");
}

static void test_row_of_another_actor_inside_segment(void **state)
{
	struct tfix *t = *state;
	int64_t k;

	fresh_copy(t);
	append(t->path, "bob", "user.list", "users", "ok", "");
	k = append(t->path, "sam", "user.list", "users", "ok", "");
	append_checkpoint(t->path, "bob");
	expect_refused(t->path, "sam's row among bob's", k, "by 'sam' sits among rows by 'bob'",
		       "spliced");
}

/* An insider with the file and her own keys deletes a row and signs, under
 * her own name, a row that commits to the deletion: only user.disable and
 * case.shred delete rows, so the claim itself is refused. */
static void test_deletion_claimed_by_other_action(void **state)
{
	struct tfix *t = *state;
	int64_t rowid = q_int(base_path, "SELECT min(rowid) FROM vault_keys");
	char rows[64];
	int64_t k;

	assert_true(rowid > 0);
	fresh_copy(t);
	raw_exec(t->path, "DELETE FROM vault_keys WHERE rowid = %lld", (long long)rowid);
	snprintf(rows, sizeof(rows), "vault_keys:%lld:-", (long long)rowid);
	k = append_rows(t->path, "bob", "user.list", "users", "ok", "", rows);
	append_checkpoint(t->path, "bob");
	expect_refused(t->path, "a deletion claimed by user.list", k, "row commitments", NULL);
	/* The same claim on a failed user.disable is no better. */
	fresh_copy(t);
	raw_exec(t->path, "DELETE FROM vault_keys WHERE rowid = %lld", (long long)rowid);
	k = append_rows(t->path, "alice", "user.disable", "user:sam", "failed", "", rows);
	append_checkpoint(t->path, "alice");
	expect_refused(t->path, "a deletion claimed by a failed disable", k, "row commitments",
		       NULL);
	/* A shred is an admin's: one signed by a supervisor is refused. */
	fresh_copy(t);
	raw_exec(t->path, "DELETE FROM vault_keys WHERE rowid = %lld", (long long)rowid);
	snprintf(rows, sizeof(rows), "grants:%lld:-", (long long)1);
	k = append_rows(t->path, "sam", "case.shred", "case:C-AAAAA", "ok", "", rows);
	append_checkpoint(t->path, "sam");
	expect_refused(t->path, "a shred signed by a supervisor", k, "row commitments", NULL);
}

/* ---- the users table against the log ------------------------------------- */

static void test_old_record_before_disable_put_back(void **state)
{
	struct tfix *t = *state;
	cv_err err;
	cv_status st;

	fresh_copy(t);
	assert_int_equal(login_on(t->path, "dave", PW_DAVE, &err), CV_EAUTH);
	/* dave's record as it was before alice disabled him: genuine, signed
	 * by alice, and 'active'. */
	put_back(t->path, pre_disable, "users", "name", "dave");
	assert_int_equal(q_int(t->path, "SELECT count(*) FROM users WHERE name = 'dave'"
					" AND status = 'active'"),
			 1);
	expect_refused(t->path, "dave's old record put back", 0, "'dave'",
		       "does not match the log");
	st = login_on(t->path, "dave", PW_DAVE, &err);
	if (st != CV_EINTEGRITY)
		fail_msg("dave's login on his old record gave %s: %s", cv_status_name(st), err.msg);
	assert_msg_has(err, "'dave'");
	assert_msg_has(err, "does not match the log");
}

static void test_old_record_before_passwd_put_back(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err verr, lerr;
	cv_status vst, lst;
	char now[80], was[80], put[80];

	fresh_copy(t);
	assert_int_equal(login_on(t->path, "bob", PW_BOB, &lerr), CV_EAUTH);
	/* bob's record as it was before he changed his passphrase: the old
	 * passphrase (which he may have changed because it leaked) would
	 * open his keys again. */
	put_back(t->path, pre_passwd, "users", "name", "bob");
	q_text(base_path, now, sizeof(now), "SELECT hex(kdf_salt) FROM users WHERE name = 'bob'");
	q_text(pre_passwd, was, sizeof(was), "SELECT hex(kdf_salt) FROM users WHERE name = 'bob'");
	q_text(t->path, put, sizeof(put), "SELECT hex(kdf_salt) FROM users WHERE name = 'bob'");
	assert_string_not_equal(now, was);
	assert_string_equal(put, was);
	vst = verify_path(t->path, &rep, &verr);
	lst = login_on(t->path, "bob", PW_BOB, &lerr);
	if (vst != CV_EINTEGRITY || lst != CV_EINTEGRITY)
		fail_msg("bob's record from before 'user.passwd' put back: verify gave %s (%s), "
			 "login with the old passphrase gave %s (%s); expected %s from both",
			 cv_status_name(vst), verr.msg, cv_status_name(lst), lerr.msg,
			 cv_status_name(CV_EINTEGRITY));
	assert_msg_has(verr, "'bob'");
	assert_msg_has(lerr, "'bob'");
}

/* ---- the identity chain -------------------------------------------------- */

static void test_identity_signed_by_non_admin(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err err;

	/* Re-signed by her real creator, carol's record verifies: the control
	 * for resign_identity itself. */
	fresh_copy(t);
	resign_identity(t->path, "carol", "alice");
	assert_int_equal(verify_path(t->path, &rep, &err), CV_OK);
	/* bob, a counselor who existed before carol, signs her identity. */
	resign_identity(t->path, "carol", "bob");
	expect_refused(t->path, "carol's identity signed by bob", 0, "'carol'",
		       "signed by a user who is not an admin");
	assert_int_equal(login_on(t->path, "carol", PW_CAROL, &err), CV_EINTEGRITY);
}

static void test_identity_signed_by_admin_who_did_not_exist(void **state)
{
	struct tfix *t = *state;
	cv_err err;

	/* eve, an admin, was added after carol. */
	fresh_copy(t);
	assert_true(user_id(base_path, "eve") > user_id(base_path, "carol"));
	resign_identity(t->path, "carol", "eve");
	expect_refused(t->path, "carol's identity signed by eve", 0, "'carol'",
		       "the admin who signed it did not exist then");
	assert_int_equal(login_on(t->path, "carol", PW_CAROL, &err), CV_EINTEGRITY);
}

static void test_identity_self_signed(void **state)
{
	struct tfix *t = *state;
	cv_err err;

	/* Only an admin issues an enrolment certificate: one its own user
	 * signed no longer certifies the keys enrolled under it. */
	fresh_copy(t);
	resign_identity(t->path, "carol", "carol");
	expect_refused(t->path, "carol's enrolment certificate self-signed", 0, "'carol'",
		       "identity signature does not match");
	assert_int_equal(login_on(t->path, "carol", PW_CAROL, &err), CV_EINTEGRITY);

	/* eve, an admin, self-signed. */
	fresh_copy(t);
	resign_identity(t->path, "eve", "eve");
	expect_refused(t->path, "eve's enrolment certificate self-signed", 0, "'eve'",
		       "identity signature does not match");

	/* A user's own keys with a made-up first row: only the first admin's
	 * first identity stands at row 1. */
	fresh_copy(t);
	raw_exec(t->path, "UPDATE users SET cert_seq = 1 WHERE name = 'carol'");
	expect_refused(t->path, "carol's keys claiming row 1", 0, "'carol'",
		       "claims to have signed itself");
}

static void test_identity_altered(void **state)
{
	struct tfix *t = *state;
	static const struct {
		const char *sql;
		const char *who; /* the name the record has afterwards */
	} edits[] = {
	    {"UPDATE users SET role = 'admin' WHERE name = 'carol'", "'carol'"},
	    {"UPDATE users SET role = 'supervisor' WHERE name = 'carol'", "'carol'"},
	    {"UPDATE users SET name = 'mallory' WHERE name = 'carol'", "'mallory'"},
	    {"UPDATE users SET sign_pk = (SELECT sign_pk FROM users WHERE name = 'bob')"
	     " WHERE name = 'carol'",
	     "'carol'"},
	    {"UPDATE users SET box_pk = (SELECT box_pk FROM users WHERE name = 'bob')"
	     " WHERE name = 'carol'",
	     "'carol'"},
	    {"UPDATE users SET role = 'counselor' WHERE name = 'eve'", "'eve'"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		fresh_copy(t);
		raw_exec(t->path, "%s", edits[i].sql);
		expect_refused(t->path, edits[i].sql, 0, edits[i].who,
			       "identity signature does not match");
	}
}

/* ---- the status chain ---------------------------------------------------- */

static void test_status_signed_by_itself(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err err;

	/* carol's 'active' is signed by her own key, at the row of the
	 * enrolment that made it: the control. */
	fresh_copy(t);
	resign_status(t->path, "carol", "carol");
	assert_int_equal(verify_path(t->path, &rep, &err), CV_OK);
	/* Anywhere else her own signature is no status: dave, disabled by
	 * alice, signs himself back in... */
	resign_status(t->path, "dave", "dave");
	expect_refused(t->path, "dave's status signed by dave", 0, "'dave'",
		       "its status is signed by itself");
	assert_int_equal(login_on(t->path, "dave", PW_DAVE, &err), CV_EINTEGRITY);
	/* ...or sets 'active' with his real key at another row. */
	fresh_copy(t);
	raw_exec(t->path, "UPDATE users SET status = 'active', status_seq = status_seq - 1"
			  " WHERE name = 'dave'");
	resign_status(t->path, "dave", "dave");
	expect_refused(t->path, "dave's 'active' signed by dave", 0, "'dave'",
		       "its status is not the one its enrolment set");
}

static void test_status_signed_by_non_admin(void **state)
{
	struct tfix *t = *state;
	cv_err err;

	/* sam, a supervisor, signs dave's 'disabled'... */
	fresh_copy(t);
	resign_status(t->path, "dave", "sam");
	expect_refused(t->path, "dave's status signed by sam", 0, "'dave'",
		       "status was signed by a user who is not an admin");
	/* ...or carol's 'active', which only her enrolment sets. */
	fresh_copy(t);
	resign_status(t->path, "carol", "sam");
	expect_refused(t->path, "carol's status signed by sam", 0, "'carol'",
		       "its status is not the one its enrolment set");
	assert_int_equal(login_on(t->path, "carol", PW_CAROL, &err), CV_EINTEGRITY);

	/* eve, an admin, who did not exist when carol's status was set. */
	fresh_copy(t);
	resign_status(t->path, "carol", "eve");
	expect_refused(t->path, "carol's status signed by eve", 0, "'carol'",
		       "the admin who set its status did not exist then");
}

static void test_status_signed_by_disabled_admin(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err err;

	/* dave's 'disabled' status, set by alice after eve was disabled,
	 * re-signed with eve's real key. */
	fresh_copy(t);
	resign_status(t->path, "dave", "alice"); /* the control: as it was */
	assert_int_equal(verify_path(t->path, &rep, &err), CV_OK);
	resign_status(t->path, "dave", "eve");
	expect_refused(t->path, "dave's status signed by eve", 0, "'dave'",
		       "set by an admin who was already disabled");
}

static void test_status_altered(void **state)
{
	struct tfix *t = *state;
	cv_err err;

	/* dave enabled again without an admin. */
	fresh_copy(t);
	raw_exec(t->path, "UPDATE users SET status = 'active' WHERE name = 'dave'");
	expect_refused(t->path, "dave enabled", 0, "'dave'", "status signature does not match");
	assert_int_equal(login_on(t->path, "dave", PW_DAVE, &err), CV_EINTEGRITY);

	/* carol locked out without an admin. */
	fresh_copy(t);
	raw_exec(t->path, "UPDATE users SET status = 'disabled' WHERE name = 'carol'");
	expect_refused(t->path, "carol disabled", 0, "'carol'", "status signature does not match");

	/* The status version bumped. */
	fresh_copy(t);
	raw_exec(t->path, "UPDATE users SET status_seq = status_seq + 1 WHERE name = 'carol'");
	expect_refused(t->path, "carol's status_seq bumped", 0, "'carol'",
		       "status signature does not match");
}

/* ---- signed settings ----------------------------------------------------- */

static void test_setting_value_altered(void **state)
{
	struct tfix *t = *state;
	cv_err err;
	int n;

	fresh_copy(t);
	assert_int_equal(list_settings(t->path, &n, &err), CV_OK);
	assert_int_equal(n, 13);
	raw_exec(t->path, "UPDATE settings SET value = '16' WHERE name = 'adult_age'");
	expect_refused(t->path, "adult_age's value changed", 0, "'adult_age' fails verification",
		       "its signature does not match");
	assert_int_equal(list_settings(t->path, &n, &err), CV_EINTEGRITY);
	assert_msg_has(err, "'adult_age'");
	assert_int_equal(n, 0);
}

static void test_setting_replayed(void **state)
{
	struct tfix *t = *state;
	cv_err err;
	int n;

	/* The value alice signed first (16), put back after she set 17: its
	 * signature is genuine, but the log's last config.set is not it. */
	fresh_copy(t);
	put_back(t->path, pre_config, "settings", "name", "adult_age");
	assert_int_equal(
	    q_int(t->path,
		  "SELECT count(*) FROM settings WHERE name = 'adult_age' AND value = '16'"),
	    1);
	expect_refused(t->path, "adult_age's older value put back", 0,
		       "'adult_age' fails verification", "not the value the log last recorded");
	assert_int_equal(list_settings(t->path, &n, &err), CV_EINTEGRITY);
	assert_msg_has(err, "not the value the log last recorded");
}

static void test_setting_unknown_name(void **state)
{
	struct tfix *t = *state;

	fresh_copy(t);
	raw_exec(t->path, "INSERT INTO settings (name, value, seq, signer_id, sig)"
			  " SELECT 'colour', value, seq, signer_id, sig FROM settings"
			  " WHERE name = 'adult_age'");
	expect_refused(t->path, "a setting named colour", 0, "'colour' fails verification",
		       "its name is not a setting");
}

/* The signed value deleted: reads fall back to the default, which the log
 * says is no longer in force. */
static void test_setting_deleted(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err verr, lerr;
	cv_status vst, lst;
	int n;

	fresh_copy(t);
	raw_exec(t->path, "DELETE FROM settings WHERE name = 'adult_age'");
	vst = verify_path(t->path, &rep, &verr);
	lst = list_settings(t->path, &n, &lerr);
	if (vst != CV_EINTEGRITY || lst != CV_EINTEGRITY)
		fail_msg("adult_age's signed row deleted (the log holds its config.set): verify "
			 "gave %s (%s), config list gave %s (%s); expected %s from both",
			 cv_status_name(vst), verr.msg, cv_status_name(lst), lerr.msg,
			 cv_status_name(CV_EINTEGRITY));
	assert_msg_has(verr, "'adult_age'");
}

/* ---- rows that may stand unsigned ---------------------------------------- */

static void test_unsigned_rows_accepted(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_vault *v = NULL;
	cv_err err = {0};
	int64_t before;

	fresh_copy(t);
	before = q_int(t->path, "SELECT max(seq) FROM audit");
	assert_int_equal(cv_vault_open(t->path, &v, &err), CV_OK);
	/* A failed login of a user the vault does not know, and a wrong
	 * passphrase: no key was at hand to sign either. */
	assert_int_equal(login_status(v, "nobody", PW_ALICE, &err), CV_EAUTH);
	assert_int_equal(login_status(v, "bob", PW_BOB, &err), CV_EAUTH);
	/* A refusal by role before login. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_may(v, "bob", CV_ACT_USER_ADD, "frank", &err), CV_EDENIED);
	assert_int_equal(err.status, CV_EDENIED);
	cv_vault_close(v);
	assert_int_equal(q_int(t->path, "SELECT max(seq) FROM audit"), before + 3);
	assert_int_equal(q_int(t->path,
			       "SELECT count(*) FROM audit WHERE seq = %lld"
			       " AND actor = 'bob' AND action = 'user.add'"
			       " AND object = 'user:frank' AND outcome = 'denied'"
			       " AND detail = 'policy.role' AND sig IS NULL",
			       (long long)(before + 3)),
			 1);
	assert_int_equal(q_int(t->path,
			       "SELECT count(*) FROM audit WHERE seq > %lld"
			       " AND sig IS NOT NULL",
			       (long long)before),
			 0);

	if (verify_path(t->path, &rep, &err) != CV_OK)
		fail_msg("unsigned failed logins and a role refusal: %s", err.msg);
	assert_int_equal(rep.unsigned_tail, 3);
	assert_int_equal(rep.bad_seq, 0);
}

static void test_unsigned_row_of_other_kind_refused(void **state)
{
	struct tfix *t = *state;
	static const char *const rows[][5] = {
	    /* actor, action, object, outcome, detail */
	    {"bob", "user.list", "users", "ok", ""},
	    {"bob", "login", "user:bob", "ok", ""},
	    {"bob", "login", "user:alice", "failed", "auth.wrong-passphrase"},
	    {"bob", "login", "user:bob", "failed", "error"},
	    {"bob", "case.read", "case:C-00000", "denied", "policy.role"},
	    {"bob", "user.add", "user:frank", "denied", "error"},
	    {"bob", "user.add", "user:frank", "failed", "policy.role"},
	};
	char sub[64];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		int64_t k;

		fresh_copy(t);
		k = append(t->path, rows[i][0], rows[i][1], rows[i][2], rows[i][3], rows[i][4]);
		snprintf(sub, sizeof(sub), "audit rows %lld to %lld", (long long)k, (long long)k);
		expect_refused(t->path, "an unsigned row appended", k, sub,
			       "signed by no checkpoint");
	}
}

/* ---- anchors (docs/FORMAT.md §7.7) ----------------------------------------- */

static int64_t checkpoints_in(const char *path, int64_t from, int64_t to)
{
	return q_int(path,
		     "SELECT count(*) FROM audit WHERE action = 'checkpoint'"
		     " AND seq >= %lld AND seq <= %lld",
		     (long long)from, (long long)to);
}

static void test_anchor_used(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err err;
	int64_t a, end;

	/* fresh_copy verified as sam: its audit.verify row is the anchor. */
	fresh_copy(t);
	a = q_int(t->path, "SELECT max(seq) FROM audit WHERE action = 'audit.verify'");
	assert_int_equal(q_int(t->path,
			       "SELECT count(*) FROM audit WHERE seq = %lld"
			       " AND actor = 'sam' AND detail LIKE 'rows=%lld %%'",
			       (long long)a, (long long)(a - 1)),
			 1);
	end = q_int(t->path, "SELECT max(seq) FROM audit");
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, 0, &rep, &err), CV_OK);
	assert_int_equal(rep.anchor_seq, a);
	assert_int_equal(rep.vouched, a - 1);
	assert_string_equal(rep.anchor_by, "sam");
	assert_int_equal(rep.rows, end);
	/* only the checkpoints after the anchor's rows were checked */
	assert_int_equal(rep.checkpoints, checkpoints_in(t->path, a, end));
	/* the row it wrote names the anchor */
	assert_int_equal(q_int(t->path,
			       "SELECT count(*) FROM audit WHERE seq = %lld"
			       " AND detail LIKE '%% anchor=%lld'",
			       (long long)(end + 1), (long long)a),
			 1);
	/* --full: every signature, no anchor */
	end = q_int(t->path, "SELECT max(seq) FROM audit");
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, 1, &rep, &err), CV_OK);
	assert_int_equal(rep.anchor_seq, 0);
	assert_int_equal(rep.vouched, 0);
	assert_int_equal(rep.checkpoints, checkpoints_in(t->path, 1, end));
}

/* The digest of the sig of every checkpoint of path, in seq order, as
 * hex (docs/FORMAT.md §7.7), computed here with our own SQL. */
static void sigs_hex(const char *path, char out[2 * CV_HASH_LEN + 1])
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *q = NULL;
	crypto_generichash_state h;
	uint8_t d[CV_HASH_LEN];

	crypto_generichash_init(&h, NULL, 0, sizeof(d));
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT sig FROM audit WHERE action = 'checkpoint'"
					    " ORDER BY seq",
					    -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		assert_int_equal(sqlite3_column_bytes(q, 0), crypto_sign_BYTES);
		crypto_generichash_update(&h, sqlite3_column_blob(q, 0), crypto_sign_BYTES);
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	crypto_generichash_final(&h, d, sizeof(d));
	sodium_bin2hex(out, 2 * CV_HASH_LEN + 1, d, sizeof(d));
}

/* sam, with his own key, appends an audit.verify row saying rows=N and
 * the digest hex, and its checkpoint; returns the row's seq. */
static int64_t append_verify(const char *path, int64_t n, const char *hex)
{
	char detail[160];
	int64_t k;

	snprintf(detail, sizeof(detail), "rows=%lld checkpoints=1 users=6 sigs=%s", (long long)n,
		 hex);
	k = append(path, "sam", "audit.verify", "audit", "ok", detail);
	append_checkpoint(path, "sam");
	return k;
}

/* Only a supervisor's verification vouches: an admin's, or a row whose
 * rows=N is not the rows just before it, is no anchor; one whose digest
 * is not the signatures' is an anchor that does not hold. */
static void test_anchor_only_supervisor_same_transaction(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err err;
	char hex[2 * CV_HASH_LEN + 1];
	int64_t k, n;

	copy_db(base_path, t->path);
	assert_int_equal(verify_as(t->path, "alice", PW_ALICE, 0, &rep, &err), CV_OK);
	assert_int_equal(rep.anchor_seq, 0);
	assert_int_equal(verify_as(t->path, "alice", PW_ALICE, 0, &rep, &err), CV_OK);
	assert_int_equal(rep.anchor_seq, 0); /* alice's first row was no anchor */
	/* rows=N fewer than the rows before it */
	copy_db(base_path, t->path);
	sigs_hex(t->path, hex);
	n = q_int(t->path, "SELECT max(seq) FROM audit");
	append_verify(t->path, n - 1, hex);
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, 0, &rep, &err), CV_OK);
	assert_int_equal(rep.anchor_seq, 0);
	/* rows=N right, the digest right: an anchor (sam holds his key) */
	copy_db(base_path, t->path);
	sigs_hex(t->path, hex);
	n = q_int(t->path, "SELECT max(seq) FROM audit");
	k = append_verify(t->path, n, hex);
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, 0, &rep, &err), CV_OK);
	assert_int_equal(rep.anchor_seq, k);
	assert_int_equal(rep.vouched, n);
	/* the digest wrong: refused, though every row verifies in full */
	copy_db(base_path, t->path);
	sigs_hex(t->path, hex);
	hex[0] = hex[0] == '0' ? '1' : '0';
	n = q_int(t->path, "SELECT max(seq) FROM audit");
	append_verify(t->path, n, hex);
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, 0, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "log.anchor");
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, 1, &rep, &err), CV_OK);
}

/* Someone without a key rewrites a row under the anchor and recomputes the
 * chain: the anchor's checkpoint no longer verifies, and the finding is the
 * first checkpoint the rewrite broke, as a full walk names it. */
static void test_anchor_rewrite_below_found(void **state)
{
	struct tfix *t = *state;
	int64_t j = seq_of("actor = 'bob' AND action = 'user.list'"), first;

	fresh_copy(t);
	first = q_int(t->path,
		      "SELECT min(seq) FROM audit WHERE action = 'checkpoint'"
		      " AND seq >= %lld",
		      (long long)j);
	raw_exec(t->path, "UPDATE audit SET detail = 'users=99' WHERE seq = %lld", (long long)j);
	rehash(t->path, j);
	expect_refused(t->path, "a row under the anchor rewritten, the chain recomputed", first,
		       "signature", NULL);
	/* The same, and a planted anchor on top: no better. */
	fresh_copy(t);
	raw_exec(t->path, "UPDATE audit SET detail = 'users=99' WHERE seq = %lld", (long long)j);
	{
		int64_t k = q_int(t->path, "SELECT max(seq) FROM audit") + 1;
		char detail[64];

		snprintf(detail, sizeof(detail), "rows=%lld checkpoints=1 users=6",
			 (long long)(k - 1));
		raw_exec(t->path,
			 "INSERT INTO audit (seq, time, actor, action, object, outcome, detail,"
			 " prev_hash, hash, sig, rows) SELECT %lld, time, 'sam', 'audit.verify',"
			 " 'audit', 'ok', '%s', zeroblob(32), zeroblob(32), NULL, '' FROM audit"
			 " WHERE seq = %lld;"
			 "INSERT INTO audit (seq, time, actor, action, object, outcome, detail,"
			 " prev_hash, hash, sig, rows) SELECT %lld, time, 'sam', 'checkpoint',"
			 " 'audit', 'ok', '', zeroblob(32), zeroblob(32), sig, '' FROM audit"
			 " WHERE seq = %lld",
			 (long long)k, detail, (long long)(k - 1), (long long)(k + 1),
			 (long long)(k - 1));
	}
	rehash(t->path, j);
	expect_refused(t->path, "a rewrite under a planted anchor", first, "signature", NULL);
}

/* A checkpoint's sig is not hashed (§7.1): overwritten under the anchor,
 * it is found by the digest of signatures the anchor names, and reported
 * at its row, as --full reports it (§7.7). */
static void test_anchor_sig_below_found(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("actor = 'bob' AND action = 'checkpoint'");
	cv_audit_report rep;
	cv_err err;

	fresh_copy(t);
	raw_exec(t->path, "UPDATE audit SET sig = zeroblob(64) WHERE seq = %lld", (long long)k);
	for (int full = 0; full < 2; full++) {
		assert_int_equal(verify_as(t->path, "sam", PW_SAM, full, &rep, &err),
				 CV_EINTEGRITY);
		assert_int_equal(rep.bad_seq, k);
		assert_msg_has(err, "does not verify");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_base_verifies, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_row_by_unknown_actor, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_row_after_actor_disabled, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_segment_signed_by_another_actor, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_deletion_claimed_by_other_action, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_row_of_another_actor_inside_segment, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_old_record_before_disable_put_back, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_old_record_before_passwd_put_back, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_identity_signed_by_non_admin, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_identity_signed_by_admin_who_did_not_exist, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_identity_self_signed, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_identity_altered, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_status_signed_by_itself, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_status_signed_by_non_admin, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_status_signed_by_disabled_admin, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_status_altered, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_setting_value_altered, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_setting_replayed, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_setting_unknown_name, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_setting_deleted, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_unsigned_rows_accepted, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_unsigned_row_of_other_kind_refused, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_anchor_used, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_anchor_only_supervisor_same_transaction, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_anchor_rewrite_below_found, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_anchor_sig_below_found, tsetup, tteardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

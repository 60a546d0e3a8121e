/*
 * test_audit.c - the audit log's hash chain and signed checkpoints, through
 * the public API (cv_audit_log, cv_audit_verify, cv_audit_checkpoint), with
 * the sqlite3 library used to tamper with copies of a real vault while no
 * cv_vault is open on them.  The chain and the checkpoint signatures are
 * also recomputed here from the documented formulas.
 */
#include "log.h"
#include "helpers.h"

#define PW_ALICE "alice correct horse battery"
#define PW_CAROL "carol correct horse battery"
#define PW_SAM "sam correct horse battery"

/* ---- the documented formulas, written out independently ------------------ */

static void put_u64be(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void lp(crypto_generichash_state *h, const char *s)
{
	size_t n = strlen(s);
	uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};

	crypto_generichash_update(h, len, 4);
	crypto_generichash_update(h, (const unsigned char *)s, n);
}

/* hash = BLAKE2b-256(prev_hash || u64be(seq) || lp(time) || lp(actor) ||
 * lp(action) || lp(object) || lp(outcome) || lp(detail)) */
static void doc_row_hash(const uint8_t prev[32], int64_t seq, const char *const f[6],
			 const char *rows, uint8_t out[32])
{
	crypto_generichash_state h;
	uint8_t s[8];

	put_u64be(s, (uint64_t)seq);
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, prev, 32);
	crypto_generichash_update(&h, s, 8);
	for (int i = 0; i < 6; i++)
		lp(&h, f[i]);
	lp(&h, rows);
	crypto_generichash_final(&h, out, 32);
}

/* BLAKE2b-256("casevault-audit-genesis-v1" || vault_id) */
static void doc_genesis(const uint8_t vid[16], uint8_t out[32])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const unsigned char *)"casevault-audit-genesis-v1", 26);
	crypto_generichash_update(&h, vid, 16);
	crypto_generichash_final(&h, out, 32);
}

/* "casevault-checkpoint-v1" || vault_id || recovery_pk || u64be(seq) ||
 * hash */
static void doc_checkpoint_msg(const uint8_t vid[16], const uint8_t rpk[32], int64_t seq,
			       const uint8_t hash[32], uint8_t out[23 + 16 + 32 + 8 + 32])
{
	memcpy(out, "casevault-checkpoint-v1", 23);
	memcpy(out + 23, vid, 16);
	memcpy(out + 39, rpk, 32);
	put_u64be(out + 71, (uint64_t)seq);
	memcpy(out + 79, hash, 32);
}

/* The recovery key row 1 (vault.init) commits to: " recovery=HEX". */
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

static void vault_id_of(sqlite3 *db, uint8_t vid[16])
{
	sqlite3_stmt *s = NULL;

	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'vault_id'", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), 16);
	memcpy(vid, sqlite3_column_blob(s, 0), 16);
	sqlite3_finalize(s);
}

/* One audit row read with our own SQL. */
struct raw_row {
	int64_t seq;
	char f[6][CV_LOG_DETAIL_MAX + 1]; /* time, actor, action, object, outcome, detail */
	char rows[16384];
	uint8_t prev[32], hash[32], sig[64];
	int has_sig;
};

static int read_raw_row(sqlite3 *db, int64_t seq, struct raw_row *r)
{
	sqlite3_stmt *s = NULL;
	int found = 0;

	memset(r, 0, sizeof(*r));
	assert_int_equal(
	    sqlite3_prepare_v2(db,
			       "SELECT seq, time, actor, action, object, outcome,"
			       " detail, prev_hash, hash, sig, rows FROM audit WHERE seq = ?1",
			       -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW) {
		found = 1;
		r->seq = sqlite3_column_int64(s, 0);
		for (int i = 0; i < 6; i++)
			snprintf(r->f[i], sizeof(r->f[i]), "%s",
				 (const char *)sqlite3_column_text(s, i + 1));
		assert_true((size_t)sqlite3_column_bytes(s, 10) < sizeof(r->rows));
		snprintf(r->rows, sizeof(r->rows), "%s", (const char *)sqlite3_column_text(s, 10));
		assert_int_equal(sqlite3_column_bytes(s, 7), 32);
		memcpy(r->prev, sqlite3_column_blob(s, 7), 32);
		assert_int_equal(sqlite3_column_bytes(s, 8), 32);
		memcpy(r->hash, sqlite3_column_blob(s, 8), 32);
		if (sqlite3_column_type(s, 9) == SQLITE_BLOB) {
			assert_int_equal(sqlite3_column_bytes(s, 9), 64);
			memcpy(r->sig, sqlite3_column_blob(s, 9), 64);
			r->has_sig = 1;
		}
	}
	sqlite3_finalize(s);
	return found;
}

/* Recomputes prev_hash and hash of every row from seq `from` on, as an
 * attacker who knows the formula would after editing the log. */
static void rechain(sqlite3 *db, int64_t from)
{
	uint8_t vid[16], prev[32];
	struct raw_row r;
	sqlite3_stmt *u = NULL;
	const char *f[6];

	vault_id_of(db, vid);
	if (from == 1) {
		doc_genesis(vid, prev);
	} else {
		assert_true(read_raw_row(db, from - 1, &r));
		memcpy(prev, r.hash, 32);
	}
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE audit SET prev_hash = ?2, hash = ?3"
					    " WHERE seq = ?1",
					    -1, &u, NULL),
			 SQLITE_OK);
	for (int64_t seq = from; read_raw_row(db, seq, &r); seq++) {
		for (int i = 0; i < 6; i++)
			f[i] = r.f[i];
		doc_row_hash(prev, seq, f, r.rows, r.hash);
		sqlite3_bind_int64(u, 1, seq);
		sqlite3_bind_blob(u, 2, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(u, 3, r.hash, 32, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(u), SQLITE_DONE);
		sqlite3_reset(u);
		memcpy(prev, r.hash, 32);
	}
	sqlite3_finalize(u);
}

/* ---- the base vault, made once ---------------------------------------------
 * alice (admin) adds carol (counselor) and sam (supervisor); carol mistypes
 * her passphrase, then is refused the log; sam writes an external
 * checkpoint; then sam and alice list users, so the log runs past it. */

static char base_dir[TEST_DIR_MAX];
static char base_path[TEST_PATH_MAX];
static char *cp_text;	/* sam's external checkpoint */
static int64_t cp_size; /* the size it covers */
static int64_t base_rows;

static int deny_cb(const cv_audit_row *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

static int noop_user(const cv_user_info *u, void *arg)
{
	(void)u;
	(void)arg;
	return 0;
}

static int group_setup(void **state)
{
	cv_vault *v = NULL;
	cv_session *a = NULL, *c = NULL, *s = NULL;
	cv_audit_filter all = {0};
	cv_err err = {0};
	cv_status st;

	(void)state;
	if (tmpdir_make(base_dir, sizeof(base_dir), "audit") != 0)
		return -1;
	snprintf(base_path, sizeof(base_path), "%s/base.db", base_dir);
	st = create_vault(base_path, "alice", PW_ALICE, NULL, &err);
	if (st == CV_OK)
		st = cv_vault_open(base_path, &v, &err);
	if (st == CV_OK)
		st = cv_login(v, "alice", PW_ALICE, strlen(PW_ALICE), &a, &err);
	if (st == CV_OK)
		st = add_user(v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL, &err);
	if (st == CV_OK)
		st = add_user(v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM, &err);
	if (st == CV_OK && cv_login(v, "carol", PW_SAM, strlen(PW_SAM), &c, &err) != CV_EAUTH)
		st = CV_ERROR;
	if (st == CV_OK)
		st = cv_login(v, "carol", PW_CAROL, strlen(PW_CAROL), &c, &err);
	if (st == CV_OK && cv_audit_log(c, &all, deny_cb, NULL, &err) != CV_EDENIED)
		st = CV_ERROR;
	if (st == CV_OK)
		st = cv_login(v, "sam", PW_SAM, strlen(PW_SAM), &s, &err);
	if (st == CV_OK)
		st = cv_audit_checkpoint(s, &cp_text, &err);
	if (st == CV_OK)
		st = cv_user_list(s, noop_user, NULL, &err);
	if (st == CV_OK)
		st = cv_user_list(s, noop_user, NULL, &err);
	if (st == CV_OK)
		st = cv_user_list(a, noop_user, NULL, &err);
	logout(a);
	logout(c);
	logout(s);
	cv_vault_close(v);
	if (st != CV_OK) {
		fprintf(stderr, "group setup: %s\n", err.msg);
		return -1;
	}
	if (sscanf(strstr(cp_text, "\nsize: ") + 7, "%lld", (long long *)&cp_size) != 1)
		return -1;
	base_rows = q_int(base_path, "SELECT max(seq) FROM audit");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(cp_text);
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
	if (tmpdir_make(t->dir, sizeof(t->dir), "audit") != 0)
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

/* Verifies path as sam; returns the status, the report and the message. */
static cv_status verify_as(const char *path, const char *who, const char *pass,
			   const char *checkpoint, cv_audit_report *rep, cv_err *err)
{
	cv_vault *v = NULL;
	cv_session *s;
	cv_status st;

	memset(err, 0, sizeof(*err));
	assert_int_equal(cv_vault_open(path, &v, err), CV_OK);
	s = login_ok(v, who, pass);
	st = cv_audit_verify(s, checkpoint, rep, err);
	logout(s);
	cv_vault_close(v);
	return st;
}

/* Expects verify on the (already tampered) copy to fail at row bad with
 * reason code `code`, a message naming the row and containing sub (if not
 * NULL), and a failed audit.verify row whose detail is the code with the
 * row as its first argument. */
static void expect_bad(const char *copy, const char *what, int64_t bad, const char *code,
		       const char *sub)
{
	cv_audit_report rep;
	cv_err err;
	cv_status st;
	char row[48];

	st = verify_as(copy, "sam", PW_SAM, NULL, &rep, &err);
	if (st != CV_EINTEGRITY)
		fail_msg("after '%s' verify gave %s: %s", what, cv_status_name(st), err.msg);
	snprintf(row, sizeof(row), "audit row %lld ", (long long)bad);
	assert_msg_has(err, row);
	if (sub)
		assert_msg_has(err, sub);
	if (rep.bad_seq != bad)
		fail_msg("after '%s' rep.bad_seq is %lld, expected %lld (message: %s)", what,
			 (long long)rep.bad_seq, (long long)bad, err.msg);
	if (strcmp(err.code, code) != 0)
		fail_msg("after '%s' the code is '%s', expected '%s' (message: %s)", what, err.code,
			 code, err.msg);
	/* The failed verification is itself logged, with the finding. */
	assert_int_equal(q_int(copy,
			       "SELECT count(*) FROM audit WHERE actor = 'sam'"
			       " AND action = 'audit.verify' AND outcome = 'failed'"
			       " AND detail LIKE '%s [\"%lld\"%%'",
			       code, (long long)bad),
			 1);
}

/* Copies the base vault to copy, applies sql, and expects verify to fail
 * at row bad with code. */
static void tamper_expect(const char *copy, const char *sql, int64_t bad, const char *code,
			  const char *sub)
{
	copy_db(base_path, copy);
	raw_exec(copy, "%s", sql);
	expect_bad(copy, sql, bad, code, sub);
}

static int64_t seq_of(const char *where)
{
	char sql[256];
	int64_t seq;

	snprintf(sql, sizeof(sql), "SELECT min(seq) FROM audit WHERE %s", where);
	seq = q_int(base_path, "%s", sql);
	if (seq <= 0)
		fail_msg("no row where %s", where);
	return seq;
}

/* ---- verification of untouched vaults -------------------------------------- */

static void test_fresh_vault_verifies(void **state)
{
	struct tfix *t = *state;
	cv_vault *v = NULL;
	cv_session *a, *s;
	cv_audit_report rep;
	cv_err err = {0};
	int64_t rows, cps;
	char detail[256], want[256];

	assert_int_equal(create_vault(t->path, "alice", PW_ALICE, NULL, &err), CV_OK);
	assert_int_equal(cv_vault_open(t->path, &v, &err), CV_OK);
	a = login_ok(v, "alice", PW_ALICE);
	assert_int_equal(add_user(v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM, &err), CV_OK);
	logout(a);
	s = login_ok(v, "sam", PW_SAM);

	rows = q_int(t->path, "SELECT count(*) FROM audit");
	cps = q_int(t->path, "SELECT count(*) FROM audit WHERE action = 'checkpoint'");
	/* vault.init, checkpoint, user.add, checkpoint, user.enrol, checkpoint */
	assert_int_equal(rows, 6);
	memset(&rep, 0xff, sizeof(rep));
	if (cv_audit_verify(s, NULL, &rep, &err) != CV_OK)
		fail_msg("fresh vault does not verify: %s", err.msg);
	assert_int_equal(rep.rows, rows);
	assert_int_equal(rep.checkpoints, cps);
	assert_int_equal(rep.users, 2);
	assert_int_equal(rep.unsigned_tail, 0);
	assert_int_equal(rep.bad_seq, 0);
	q_text(t->path, detail, sizeof(detail),
	       "SELECT detail FROM audit WHERE action = 'audit.verify'");
	{
		/* sigs=: the digest of the three checkpoints' signatures (§7.7) */
		char hex[2 * sizeof(rep.sigs) + 1];

		sodium_bin2hex(hex, sizeof(hex), rep.sigs, sizeof(rep.sigs));
		snprintf(want, sizeof(want), "rows=%lld checkpoints=%lld users=2 sigs=%s",
			 (long long)rows, (long long)cps, hex);
	}
	assert_string_equal(detail, want);

	/* The verification added its own row and checkpoint. */
	assert_int_equal(cv_audit_verify(s, NULL, &rep, &err), CV_OK);
	assert_int_equal(rep.rows, rows + 2);
	logout(s);

	/* A failed login is an unsigned row at the tail until the next
	 * checkpoint. */
	assert_int_equal(cv_login(v, "sam", "not sam's passphrase", 20, &s, &err), CV_EAUTH);
	s = login_ok(v, "alice", PW_ALICE);
	assert_int_equal(cv_audit_verify(s, NULL, &rep, &err), CV_OK);
	assert_int_equal(rep.unsigned_tail, 1);
	assert_int_equal(rep.rows, rows + 5);
	logout(s);
	cv_vault_close(v);
}

static void test_base_copy_verifies(void **state)
{
	struct tfix *t = *state;
	cv_audit_report rep;
	cv_err err;

	/* The control for every tamper test below: an untouched copy passes,
	 * with and without the external checkpoint. */
	copy_db(base_path, t->path);
	if (verify_as(t->path, "sam", PW_SAM, cp_text, &rep, &err) != CV_OK)
		fail_msg("untouched copy does not verify: %s", err.msg);
	assert_int_equal(rep.rows, base_rows);
	assert_int_equal(
	    rep.checkpoints,
	    q_int(base_path, "SELECT count(*) FROM audit WHERE action = 'checkpoint'"));
	assert_int_equal(rep.users, 3);
	assert_int_equal(rep.bad_seq, 0);
	assert_true(cp_size < base_rows);
	assert_int_equal(verify_as(t->path, "alice", PW_ALICE, NULL, &rep, &err), CV_OK);
}

/* ---- tampering ------------------------------------------------------------- */

static void test_tamper_detail_byte(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("action = 'user.add' AND object = 'user:carol'");
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET detail = 'X' || substr(detail, 2) WHERE seq = %lld",
		 (long long)k);
	tamper_expect(t->path, sql, k, "log.row-altered", "altered");
	/* One byte in the middle of the detail, too. */
	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET detail = substr(detail, 1, 5) || '#' || substr(detail, 7)"
		 " WHERE seq = %lld",
		 (long long)k);
	tamper_expect(t->path, sql, k, "log.row-altered", "altered");
}

static void test_tamper_time(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("action = 'login' AND outcome = 'failed'");
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET time = '2000-01-01T00:00:00Z' WHERE seq = %lld", (long long)k);
	tamper_expect(t->path, sql, k, "log.row-altered", "altered");
}

static void test_tamper_delete_middle_row(void **state)
{
	struct tfix *t = *state;
	/* A row that sam's own login does not depend on (deleting sam's
	 * user.add row is refused already at login: the record no longer
	 * matches the log). */
	int64_t k = seq_of("action = 'user.list'");
	char sql[96];

	snprintf(sql, sizeof(sql), "DELETE FROM audit WHERE seq = %lld", (long long)k);
	tamper_expect(t->path, sql, k, "log.row-missing", "missing");
}

static void test_tamper_swap_rows(void **state)
{
	struct tfix *t = *state;
	int64_t a = seq_of("action = 'user.add' AND object = 'user:carol'");
	int64_t b = seq_of("action = 'user.list'");
	char sql[640];

	snprintf(sql, sizeof(sql),
		 "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (%lld, %lld);"
		 "UPDATE audit SET (time, actor, action, object, outcome, detail, prev_hash,"
		 " hash, sig) = (SELECT time, actor, action, object, outcome, detail, prev_hash,"
		 " hash, sig FROM t WHERE t.seq = CASE audit.seq WHEN %lld THEN %lld ELSE %lld"
		 " END) WHERE seq IN (%lld, %lld);",
		 (long long)a, (long long)b, (long long)a, (long long)b, (long long)a, (long long)a,
		 (long long)b);
	tamper_expect(t->path, sql, a, "log.prev-hash", "prev_hash differs");
	/* The swap really happened. */
	assert_int_equal(q_int(t->path, "SELECT count(*) FROM audit WHERE action = 'user.add'"
					" AND object = 'user:carol'"),
			 1);
	assert_true(q_int(t->path, "SELECT seq FROM audit WHERE action = 'user.add'"
				   " AND object = 'user:carol'") == b);

	/* Swapping only the contents, keeping each row's hashes. */
	snprintf(sql, sizeof(sql),
		 "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (%lld, %lld);"
		 "UPDATE audit SET (time, actor, action, object, outcome, detail) ="
		 " (SELECT time, actor, action, object, outcome, detail"
		 " FROM t WHERE t.seq = CASE audit.seq WHEN %lld THEN %lld ELSE %lld"
		 " END) WHERE seq IN (%lld, %lld);",
		 (long long)a, (long long)b, (long long)a, (long long)b, (long long)a, (long long)a,
		 (long long)b);
	tamper_expect(t->path, sql, a, "log.row-altered", "altered");
}

static void test_tamper_delete_checkpoint(void **state)
{
	struct tfix *t = *state;
	int64_t k = q_int(base_path, "SELECT seq FROM audit WHERE action = 'checkpoint'"
				     " ORDER BY seq LIMIT 1 OFFSET 1");
	char sql[96];

	assert_true(k > 1 && k < base_rows);
	snprintf(sql, sizeof(sql), "DELETE FROM audit WHERE seq = %lld", (long long)k);
	tamper_expect(t->path, sql, k, "log.row-missing", "missing");
}

static void test_tamper_checkpoint_sig_replaced(void **state)
{
	struct tfix *t = *state;
	int64_t k = q_int(base_path, "SELECT seq FROM audit WHERE action = 'checkpoint'"
				     " ORDER BY seq LIMIT 1 OFFSET 1");
	int64_t o = q_int(base_path, "SELECT seq FROM audit WHERE action = 'checkpoint'"
				     " ORDER BY seq LIMIT 1 OFFSET 2");
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET sig = (SELECT sig FROM audit WHERE seq = %lld)"
		 " WHERE seq = %lld",
		 (long long)o, (long long)k);
	tamper_expect(t->path, sql, k, "log.checkpoint-signature", "signature");

	/* A checkpoint without its signature. */
	snprintf(sql, sizeof(sql), "UPDATE audit SET sig = NULL WHERE seq = %lld", (long long)k);
	tamper_expect(t->path, sql, k, "log.checkpoint-signature", "signature");
}

/* Checkpoint signatures are checked in batches, on every processor: a bad
 * one is still the finding when a later row is altered too (the first
 * problem is reported, as a row-by-row check would), and the later one
 * is the finding when the signature comes after it. */
static void test_tamper_first_problem_wins(void **state)
{
	struct tfix *t = *state;
	int64_t k = q_int(base_path, "SELECT seq FROM audit WHERE action = 'checkpoint'"
				     " ORDER BY seq LIMIT 1 OFFSET 1");
	int64_t last = q_int(base_path, "SELECT max(seq) FROM audit");
	int64_t late = q_int(base_path, "SELECT max(seq) FROM audit WHERE action = 'checkpoint'");
	char sql[320];

	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET sig = (SELECT sig FROM audit WHERE seq = %lld)"
		 " WHERE seq = %lld; UPDATE audit SET detail = 'x' WHERE seq = %lld",
		 (long long)late, (long long)k, (long long)last);
	tamper_expect(t->path, sql, k, "log.checkpoint-signature", "signature");

	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET sig = (SELECT sig FROM audit WHERE seq = %lld)"
		 " WHERE seq = %lld; UPDATE audit SET detail = 'x' WHERE seq = %lld",
		 (long long)k, (long long)late, (long long)k - 1);
	tamper_expect(t->path, sql, k - 1, "log.row-altered", "altered");
}

static void test_tamper_sig_on_plain_row(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("action = 'login' AND outcome = 'failed'");
	int64_t c = seq_of("action = 'checkpoint'");
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET sig = (SELECT sig FROM audit WHERE seq = %lld)"
		 " WHERE seq = %lld",
		 (long long)c, (long long)k);
	tamper_expect(t->path, sql, k, "log.stray-signature", "not a checkpoint");
}

static void test_tamper_malformed_columns(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("action = 'user.add' AND object = 'user:sam'");
	int64_t c = q_int(base_path, "SELECT seq FROM audit WHERE action = 'checkpoint'"
				     " ORDER BY seq LIMIT 1 OFFSET 1");
	const char *const set[] = {
	    "hash = substr(hash, 1, 31)",
	    "prev_hash = zeroblob(33)",
	    "sig = substr(sig, 1, 63)",
	};
	const int64_t rows[] = {k, k, c};
	char sql[160], bad[512] = "";
	cv_audit_report rep;
	cv_err err;
	char row[48];

	/* Each message must name the row; every report must too. */
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		snprintf(sql, sizeof(sql), "UPDATE audit SET %s WHERE seq = %lld", set[i],
			 (long long)rows[i]);
		copy_db(base_path, t->path);
		raw_exec(t->path, "%s", sql);
		assert_int_equal(verify_as(t->path, "sam", PW_SAM, NULL, &rep, &err),
				 CV_EINTEGRITY);
		snprintf(row, sizeof(row), "audit row %lld ", (long long)rows[i]);
		assert_msg_has(err, row);
		assert_string_equal(err.code, "log.row-malformed");
		if (rep.bad_seq != rows[i]) {
			size_t n = strlen(bad);
			snprintf(bad + n, sizeof(bad) - n, "\n  '%s': bad_seq %lld", sql,
				 (long long)rep.bad_seq);
		}
	}
	if (bad[0])
		fail_msg("malformed rows are not reported in rep.bad_seq:%s", bad);
}

/* Editing a row and recomputing the whole chain after it, as someone who
 * knows the formula would: the chain is consistent again, but the next
 * checkpoint's signature (over seq and hash) no longer verifies. */
static void test_tamper_rechained(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("action = 'user.add' AND object = 'user:carol'");
	int64_t c = seq_of("action = 'checkpoint' AND seq > (SELECT min(seq) FROM audit"
			   " WHERE action = 'user.add' AND object = 'user:carol')");
	int64_t d = seq_of("action = 'login' AND outcome = 'failed'");
	int64_t cd = seq_of("action = 'checkpoint' AND seq > (SELECT min(seq) FROM audit"
			    " WHERE action = 'login' AND outcome = 'failed')");
	sqlite3 *db = NULL;
	char sql[160];

	/* The role in a detail rewritten. */
	copy_db(base_path, t->path);
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET detail = replace(detail, 'counselor', 'admin')"
		 " WHERE seq = %lld",
		 (long long)k);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	rechain(db, k);
	sqlite3_close(db);
	expect_bad(t->path, "detail edited, chain recomputed", c, "log.checkpoint-signature",
		   "signature");

	/* The failed login deleted and the rows after it renumbered. */
	copy_db(base_path, t->path);
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "DELETE FROM audit WHERE seq = %lld", (long long)d);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	for (int64_t s = d + 1; s <= base_rows; s++) {
		snprintf(sql, sizeof(sql), "UPDATE audit SET seq = %lld WHERE seq = %lld",
			 (long long)(s - 1), (long long)s);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	rechain(db, d);
	sqlite3_close(db);
	expect_bad(t->path, "row deleted, renumbered, chain recomputed", cd - 1,
		   "log.checkpoint-signature", "signature");
}

/* The last checkpoint deleted: the rows it signed are signed by none. */
static void test_tamper_unsigned_tail(void **state)
{
	struct tfix *t = *state;
	int64_t k = base_rows - 1;
	cv_audit_report rep;
	cv_err err;
	char sql[96], want[96];

	assert_int_equal(q_int(base_path,
			       "SELECT count(*) FROM audit WHERE seq = %lld AND"
			       " action = 'checkpoint'",
			       (long long)base_rows),
			 1);
	assert_int_equal(q_int(base_path,
			       "SELECT count(*) FROM audit WHERE seq = %lld AND"
			       " action <> 'checkpoint'",
			       (long long)k),
			 1);
	snprintf(sql, sizeof(sql), "DELETE FROM audit WHERE seq = %lld", (long long)base_rows);
	copy_db(base_path, t->path);
	raw_exec(t->path, "%s", sql);
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, NULL, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "log.unsigned-tail");
	snprintf(want, sizeof(want), "audit rows %lld to %lld are signed by no checkpoint",
		 (long long)k, (long long)k);
	assert_msg_has(err, want);
	assert_int_equal(rep.bad_seq, k);
	assert_int_equal(
	    q_int(t->path,
		  "SELECT count(*) FROM audit WHERE action = 'audit.verify' AND"
		  " outcome = 'failed' AND detail = 'log.unsigned-tail [\"%lld\",\"%lld\"]'",
		  (long long)k, (long long)k),
	    1);
}

/* A row's actor renamed to no user, the chain recomputed after it: the
 * row is caught by its author before any signature is looked at. */
static void test_tamper_actor_unknown(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("action = 'user.list' AND actor = 'sam'");
	sqlite3 *db = NULL;
	char sql[128];

	copy_db(base_path, t->path);
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE audit SET actor = 'mallory' WHERE seq = %lld",
		 (long long)k);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	rechain(db, k);
	sqlite3_close(db);
	expect_bad(t->path, "actor renamed, chain recomputed", k, "log.actor-unknown",
		   "'mallory', who is not a user of this vault");
}

/* The first row renumbered below 1: the log starts out of order. */
static void test_tamper_row_order(void **state)
{
	struct tfix *t = *state;

	tamper_expect(t->path, "UPDATE audit SET seq = 0 WHERE seq = 2", 1, "log.row-order",
		      "out of order (found row 0)");
}

/* A row the external checkpoint covers edited and the whole chain
 * recomputed: the log is self-consistent, but not the one checkpointed. */
static void test_tamper_rewritten_before_checkpoint(void **state)
{
	struct tfix *t = *state;
	int64_t k = seq_of("action = 'user.add' AND object = 'user:carol'");
	cv_audit_report rep;
	sqlite3 *db = NULL;
	cv_err err;
	char sql[160], want[64];

	assert_true(k < cp_size);
	copy_db(base_path, t->path);
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "UPDATE audit SET detail = replace(detail, 'counselor', 'admin')"
		 " WHERE seq = %lld",
		 (long long)k);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	rechain(db, k);
	sqlite3_close(db);
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, cp_text, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "log.rewritten");
	snprintf(want, sizeof(want), "audit row %lld differs from the checkpoint",
		 (long long)cp_size);
	assert_msg_has(err, want);
}

static void test_truncation_needs_checkpoint(void **state)
{
	struct tfix *t = *state;
	int64_t keep = cp_size - 2, n = base_rows - keep;
	cv_audit_report rep;
	cv_err err;
	char sql[96];

	assert_true(keep > 0);
	copy_db(base_path, t->path);
	snprintf(sql, sizeof(sql), "DELETE FROM audit WHERE seq > %lld",
		 (long long)(base_rows - n));
	raw_exec(t->path, "%s", sql);
	assert_int_equal(q_int(t->path, "SELECT max(seq) FROM audit"), keep);

	/* Against the saved checkpoint: caught. */
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, cp_text, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "log.truncated");
	assert_msg_has(err, "truncated");
	/* Without it the shorter log is self-consistent. */
	if (verify_as(t->path, "sam", PW_SAM, NULL, &rep, &err) != CV_OK)
		fail_msg("truncated log without checkpoint: %s", err.msg);
	/* The log has grown past the cut again, still caught. */
	assert_true(q_int(t->path, "SELECT max(seq) FROM audit") >= cp_size);
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, cp_text, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "log.rewritten");
}

static void test_checkpoint_from_other_vault(void **state)
{
	struct tfix *t = *state;
	cv_vault *v = NULL;
	cv_session *a;
	cv_audit_report rep;
	cv_err err = {0};
	char other[TEST_PATH_MAX], *text = NULL;

	snprintf(other, sizeof(other), "%s/other.db", t->dir);
	assert_int_equal(create_vault(other, "alice", PW_ALICE, NULL, &err), CV_OK);
	assert_int_equal(cv_vault_open(other, &v, &err), CV_OK);
	a = login_ok(v, "alice", PW_ALICE);
	assert_int_equal(cv_audit_checkpoint(a, &text, &err), CV_OK);
	assert_non_null(text);
	logout(a);
	cv_vault_close(v);

	copy_db(base_path, t->path);
	/* Either the wrong file, or this vault was replaced: an integrity
	 * failure either way. */
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, text, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "checkpoint.vault");
	assert_msg_has(err, "another vault");
	free(text);
}

/* Changes the first character of the value on the line starting with label. */
static char *edit_line(const char *label, char (*change)(char))
{
	char *text = strdup(cp_text), *p;

	assert_non_null(text);
	p = strstr(text, label);
	assert_non_null(p);
	p += strlen(label);
	*p = change(*p);
	return text;
}

static char other_hex(char c)
{
	return c == '0' ? '1' : '0';
}

static char smaller_digit(char c)
{
	return c > '1' ? (char)(c - 1) : (char)(c + 1);
}

static void test_checkpoint_text_altered(void **state)
{
	struct tfix *t = *state;
	static const char *const hex_labels[] = {"\nsignature: ", "\nhead: ", "\nkey: "};
	cv_audit_report rep;
	cv_err err;
	char *text;

	copy_db(base_path, t->path);
	for (size_t i = 0; i < sizeof(hex_labels) / sizeof(hex_labels[0]); i++) {
		text = edit_line(hex_labels[i], other_hex);
		if (verify_as(t->path, "sam", PW_SAM, text, &rep, &err) != CV_EINTEGRITY)
			fail_msg("checkpoint with '%s' altered: %s", hex_labels[i] + 1, err.msg);
		assert_string_equal(err.code, "checkpoint.signature");
		free(text);
	}
	text = edit_line("\nsize: ", smaller_digit);
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, text, &rep, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "checkpoint.signature");
	free(text);

	/* Not a checkpoint at all. */
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, "hello\n", &rep, &err), CV_EUSAGE);
	assert_string_equal(err.code, "checkpoint.format");
	assert_msg_has(err, "not in the format");
	/* The unaltered text still verifies on the same copy. */
	assert_int_equal(verify_as(t->path, "sam", PW_SAM, cp_text, &rep, &err), CV_OK);
}

/* ---- roles and listing --------------------------------------------------------- */

static int count_cb(const cv_audit_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static void test_counselor_denied(void **state)
{
	struct tfix *t = *state;
	cv_vault *v = NULL;
	cv_session *c;
	cv_audit_filter all = {0};
	cv_audit_report rep;
	cv_err err = {0};
	char *text = (char *)1;
	int n = 0;

	copy_db(base_path, t->path);
	assert_int_equal(cv_vault_open(t->path, &v, &err), CV_OK);
	c = login_ok(v, "carol", PW_CAROL);
	assert_int_equal(cv_audit_log(c, &all, count_cb, &n, &err), CV_EDENIED);
	assert_int_equal(n, 0);
	assert_string_equal(err.code, "policy.role");
	assert_msg_has(err, "'carol'");
	assert_int_equal(cv_audit_verify(c, NULL, &rep, &err), CV_EDENIED);
	assert_int_equal(cv_audit_checkpoint(c, &text, &err), CV_EDENIED);
	assert_null(text);
	logout(c);
	cv_vault_close(v);
	assert_int_equal(q_int(t->path, "SELECT count(*) FROM audit WHERE actor = 'carol'"
					" AND outcome = 'denied' AND action IN ('audit.log',"
					" 'audit.verify', 'audit.checkpoint')"),
			 4); /* one from the base vault */
}

struct seqs {
	char list[1024];
	int n;
	int bad_flag; /* a row whose signed_checkpoint disagrees with its action */
};

static int seqs_cb(const cv_audit_row *r, void *arg)
{
	struct seqs *q = arg;
	size_t n = strlen(q->list);

	snprintf(q->list + n, sizeof(q->list) - n, "%s%lld", n ? "," : "", (long long)r->seq);
	q->n++;
	if ((strcmp(r->action, "checkpoint") == 0) != (r->signed_checkpoint != 0))
		q->bad_flag = 1;
	return 0;
}

/* Runs cv_audit_log with f and compares the seqs with those our own SQL
 * selects afterwards (the read's own rows included). */
static int log_matches(cv_session *s, const char *path, const cv_audit_filter *f, const char *where)
{
	struct seqs got = {0};
	char sql[256], want[1024];
	cv_err err = {0};

	if (cv_audit_log(s, f, seqs_cb, &got, &err) != CV_OK)
		fail_msg("audit log failed: %s", err.msg);
	assert_int_equal(got.bad_flag, 0);
	snprintf(sql, sizeof(sql),
		 "SELECT group_concat(seq, ',') FROM (SELECT seq FROM audit WHERE %s"
		 " ORDER BY seq)",
		 where);
	q_text(path, want, sizeof(want), "%s", sql);
	if (strcmp(got.list, want) != 0)
		fail_msg("filter (%s): got [%s], expected [%s]", where, got.list, want);
	return got.n;
}

static void test_log_filters(void **state)
{
	struct tfix *t = *state;
	cv_vault *v = NULL;
	cv_session *s;
	cv_audit_filter f;
	cv_err err = {0};
	struct seqs got = {0};

	/* Known times on the first rows (the chain breaks; listing does not
	 * verify it). */
	copy_db(base_path, t->path);
	raw_exec(t->path, "UPDATE audit SET time = '2020-01-15T10:00:00Z' WHERE seq <= 2;"
			  "UPDATE audit SET time = '2020-01-16T23:59:59Z' WHERE seq = 3;");
	assert_int_equal(cv_vault_open(t->path, &v, &err), CV_OK);
	s = login_ok(v, "sam", PW_SAM);

	memset(&f, 0, sizeof(f));
	assert_true(log_matches(s, t->path, &f, "1") > (int)base_rows);

	f.user = "carol";
	assert_int_equal(log_matches(s, t->path, &f, "actor = 'carol'"), 5);

	memset(&f, 0, sizeof(f));
	f.action = "user.add";
	assert_int_equal(log_matches(s, t->path, &f, "action = 'user.add'"), 2);
	f.action = "user.";
	assert_int_equal(log_matches(s, t->path, &f, "action LIKE 'user.%'"), 7);
	f.action = "user";
	assert_int_equal(log_matches(s, t->path, &f, "0"), 0);
	f.action = "checkpoint";
	assert_true(log_matches(s, t->path, &f, "action = 'checkpoint'") > 5);

	memset(&f, 0, sizeof(f));
	f.denied_only = 1;
	assert_int_equal(log_matches(s, t->path, &f, "outcome <> 'ok'"), 2);

	memset(&f, 0, sizeof(f));
	f.since = "2020-01-16";
	f.until = "2020-01-16"; /* the whole day */
	assert_int_equal(log_matches(s, t->path, &f, "seq = 3"), 1);
	f.since = NULL;
	f.until = "2020-01-15";
	assert_int_equal(log_matches(s, t->path, &f, "seq <= 2"), 2);
	f.since = "2020-01-15T10:00:01Z";
	f.until = "2020-01-16T23:59:59Z";
	assert_int_equal(log_matches(s, t->path, &f, "seq = 3"), 1);
	f.since = "2020-01-17";
	f.until = NULL;
	log_matches(s, t->path, &f, "seq > 3");

	memset(&f, 0, sizeof(f));
	f.user = "sam";
	f.action = "audit.";
	log_matches(s, t->path, &f, "actor = 'sam' AND action LIKE 'audit.%'");

	/* A malformed bound is refused before anything is read. */
	memset(&f, 0, sizeof(f));
	f.since = "2020-13-01";
	assert_int_equal(cv_audit_log(s, &f, seqs_cb, &got, &err), CV_EUSAGE);
	assert_int_equal(got.n, 0);
	logout(s);
	cv_vault_close(v);
}

/* ---- the formula --------------------------------------------------------------- */

static void test_hash_matches_documented_formula(void **state)
{
	sqlite3 *db = NULL;
	uint8_t vid[16], h[32], prev[32], msg[111], pk[32], rpk[32];
	struct raw_row r;
	cv_audit_rec rec;
	const char *f[6];
	int64_t k = seq_of("action = 'user.add' AND object = 'user:carol'");
	int64_t size = 0, checkpoints = 0;
	sqlite3_stmt *s = NULL;
	const char *p;
	char hex[130];

	(void)state;
	assert_int_equal(sqlite3_open_v2(base_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	vault_id_of(db, vid);
	recovery_pk_of(db, rpk);

	/* One row, three ways: the stored hash, our formula, cv_audit_hash. */
	assert_true(read_raw_row(db, k, &r));
	for (int i = 0; i < 6; i++)
		f[i] = r.f[i];
	doc_row_hash(r.prev, r.seq, f, r.rows, h);
	assert_memory_equal(h, r.hash, 32);
	memset(&rec, 0, sizeof(rec));
	rec.seq = r.seq;
	rec.time = r.f[0];
	rec.actor = r.f[1];
	rec.action = r.f[2];
	rec.object = r.f[3];
	rec.outcome = r.f[4];
	rec.detail = r.f[5];
	rec.rows = r.rows;
	memcpy(rec.prev_hash, r.prev, 32);
	cv_audit_hash(&rec, h);
	assert_memory_equal(h, r.hash, 32);
	/* And it covers the detail: one byte changed, another hash. */
	r.f[5][0] ^= 1;
	doc_row_hash(r.prev, r.seq, f, r.rows, h);
	assert_memory_not_equal(h, r.hash, 32);

	/* The whole chain from the genesis, and every checkpoint signature
	 * against its actor's key. */
	doc_genesis(vid, prev);
	cv_audit_genesis(vid, h);
	assert_memory_equal(h, prev, 32);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT sign_pk FROM users WHERE name = ?1", -1, &s, NULL),
	    SQLITE_OK);
	for (int64_t seq = 1; read_raw_row(db, seq, &r); seq++) {
		assert_memory_equal(r.prev, prev, 32);
		for (int i = 0; i < 6; i++)
			f[i] = r.f[i];
		doc_row_hash(prev, seq, f, r.rows, h);
		assert_memory_equal(h, r.hash, 32);
		assert_int_equal(r.has_sig, strcmp(r.f[2], "checkpoint") == 0);
		if (r.has_sig) {
			sqlite3_bind_text(s, 1, r.f[1], -1, SQLITE_TRANSIENT);
			assert_int_equal(sqlite3_step(s), SQLITE_ROW);
			memcpy(pk, sqlite3_column_blob(s, 0), 32);
			sqlite3_reset(s);
			doc_checkpoint_msg(vid, rpk, seq, r.hash, msg);
			assert_int_equal(crypto_sign_verify_detached(r.sig, msg, sizeof(msg), pk),
					 0);
			checkpoints++;
		}
		memcpy(prev, r.hash, 32);
		size = seq;
	}
	assert_int_equal(size, base_rows);
	assert_true(checkpoints >= 6);

	/* The external checkpoint: its head is row size's hash, its key is
	 * sam's, and its signature is over the documented message. */
	p = strstr(cp_text, "\nhead: ");
	assert_non_null(p);
	assert_true(read_raw_row(db, cp_size, &r));
	assert_string_equal(r.f[2], "checkpoint");
	sodium_bin2hex(hex, sizeof(hex), r.hash, 32);
	assert_memory_equal(p + 7, hex, 64);
	sqlite3_bind_text(s, 1, "sam", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	memcpy(pk, sqlite3_column_blob(s, 0), 32);
	sqlite3_finalize(s);
	sodium_bin2hex(hex, sizeof(hex), pk, 32);
	p = strstr(cp_text, "\nkey: ");
	assert_non_null(p);
	assert_memory_equal(p + 6, hex, 64);
	p = strstr(cp_text, "\nsignature: ");
	assert_non_null(p);
	assert_int_equal(sodium_hex2bin(r.sig, 64, p + 12, 128, NULL, NULL, NULL), 0);
	doc_checkpoint_msg(vid, rpk, cp_size, r.hash, msg);
	assert_int_equal(crypto_sign_verify_detached(r.sig, msg, sizeof(msg), pk), 0);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fresh_vault_verifies, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_base_copy_verifies, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_detail_byte, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_time, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_delete_middle_row, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_swap_rows, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_delete_checkpoint, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_checkpoint_sig_replaced, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_first_problem_wins, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_sig_on_plain_row, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_malformed_columns, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_rechained, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_unsigned_tail, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_actor_unknown, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_row_order, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_rewritten_before_checkpoint, tsetup,
					    tteardown),
	    cmocka_unit_test_setup_teardown(test_truncation_needs_checkpoint, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_checkpoint_from_other_vault, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_checkpoint_text_altered, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_counselor_denied, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_log_filters, tsetup, tteardown),
	    cmocka_unit_test(test_hash_matches_documented_formula),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

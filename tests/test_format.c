/*
 * test_format.c - docs/FORMAT.md checked by an independent reader.
 *
 * The public API (casevault.h) is used only to create a vault and some
 * activity in it.  Every check after that reads the file with raw SQL and
 * re-implements the format from FORMAT.md with sqlite3, libsodium and
 * libargon2 alone: the audit hash chain from the genesis hash, checkpoint,
 * user identity, user status and recovery key signatures, the external
 * checkpoint file, and unwrapping a user's secret keys from a passphrase.
 * Tampering with rows inside a rolled-back transaction shows that this
 * reader refuses what it must.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <sodium.h>
#include <sqlite3.h>

#include "casevault.h"

#define ALICE_PASS "alice passphrase one"
#define BOB_PASS "bob passphrase one"
#define BOB_NEW "bob passphrase two"
#define CAROL_PASS "carol passphrase one"
#define DAVE_PASS "dave passphrase one"
#define ERIN_PASS "erin passphrase one"

#define VID_LEN 16
#define HASH_LEN 32
#define PK_LEN 32
#define SIG_LEN 64
#define SALT_LEN 16
#define NONCE_LEN 24
#define SECRETS_LEN 96
#define BOX_LEN (SECRETS_LEN + 16)

static char dir[64];
static char path[128];
static char code[CV_RECOVERY_CODE_LEN + 1];
static char *checkpoint_text;
static sqlite3 *db;
static uint8_t vid[VID_LEN];

/* ---- encodings (FORMAT.md §1) ---------------------------------------- */

struct enc {
	uint8_t b[2048];
	size_t n;
};

static void put(struct enc *e, const void *p, size_t n)
{
	assert_true(e->n + n <= sizeof(e->b));
	memcpy(e->b + e->n, p, n);
	e->n += n;
}

static void put_u32(struct enc *e, uint32_t v)
{
	uint8_t o[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	put(e, o, 4);
}

static void put_u64(struct enc *e, uint64_t v)
{
	uint8_t o[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		o[i] = (uint8_t)v;
	put(e, o, 8);
}

static void put_lp(struct enc *e, const char *s)
{
	put_u32(e, (uint32_t)strlen(s));
	put(e, s, strlen(s));
}

static void put_str(struct enc *e, const char *s)
{
	put(e, s, strlen(s));
}

static void b2b256(uint8_t out[HASH_LEN], const struct enc *e)
{
	crypto_generichash(out, HASH_LEN, e->b, e->n, NULL, 0);
}

static void unhex(uint8_t *out, size_t len, const char *hex)
{
	size_t got = 0;

	assert_int_equal(strlen(hex), 2 * len);
	assert_int_equal(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got, NULL), 0);
	assert_int_equal(got, len);
}

/* §7.2 */
static void genesis(const uint8_t v[VID_LEN], uint8_t out[HASH_LEN])
{
	struct enc e = {.n = 0};

	put_str(&e, "casevault-audit-genesis-v1");
	put(&e, v, VID_LEN);
	b2b256(out, &e);
}

/* §7.1: f[] = time, actor, action, object, outcome, detail. */
static void row_hash(const uint8_t prev[HASH_LEN], int64_t seq, const char *const f[6],
		     uint8_t out[HASH_LEN])
{
	struct enc e = {.n = 0};

	put(&e, prev, HASH_LEN);
	put_u64(&e, (uint64_t)seq);
	for (int i = 0; i < 6; i++)
		put_lp(&e, f[i]);
	b2b256(out, &e);
}

/* §7.3 */
static void checkpoint_msg(const uint8_t v[VID_LEN], int64_t seq, const uint8_t hash[HASH_LEN],
			   struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-checkpoint-v1");
	put(e, v, VID_LEN);
	put_u64(e, (uint64_t)seq);
	put(e, hash, HASH_LEN);
}

/* ---- raw SQL helpers --------------------------------------------------- */

static sqlite3_stmt *prep(const char *sql)
{
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	return s;
}

/* 0 when column col is a BLOB of exactly len bytes (copied to out). */
static int blob(sqlite3_stmt *s, int col, void *out, size_t len)
{
	if (sqlite3_column_type(s, col) != SQLITE_BLOB ||
	    (size_t)sqlite3_column_bytes(s, col) != len)
		return -1;
	memcpy(out, sqlite3_column_blob(s, col), len);
	return 0;
}

/* The text of column col, or NULL when it is not TEXT without NUL bytes. */
static const char *text(sqlite3_stmt *s, int col)
{
	const char *p = (const char *)sqlite3_column_text(s, col);

	if (sqlite3_column_type(s, col) != SQLITE_TEXT || !p ||
	    strlen(p) != (size_t)sqlite3_column_bytes(s, col))
		return NULL;
	return p;
}

static int meta(const char *key, void *out, size_t len)
{
	sqlite3_stmt *s = prep("SELECT value FROM meta WHERE key = ?1");
	int rc = -1;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = blob(s, 0, out, len);
	sqlite3_finalize(s);
	return rc;
}

static int64_t scalar(const char *sql)
{
	sqlite3_stmt *s = prep(sql);
	int64_t v;

	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void exec(const char *sql)
{
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* ---- users (§3.2, §5) -------------------------------------------------- */

struct user {
	int64_t id;
	char name[33];
	char role[16];
	char status[16];
	uint8_t box_pk[PK_LEN];
	uint8_t sign_pk[PK_LEN];
	int64_t creator_id;
	uint8_t cert_sig[SIG_LEN];
	int64_t status_version;
	int64_t status_signer_id;
	uint8_t status_sig[SIG_LEN];
	int64_t kdf_alg, kdf_t, kdf_m, kdf_p;
	uint8_t salt[SALT_LEN];
	uint8_t nonce[NONCE_LEN];
	uint8_t box[BOX_LEN];
};

static int copy_text(sqlite3_stmt *s, int col, char *out, size_t cap)
{
	const char *p = text(s, col);

	if (!p || strlen(p) >= cap)
		return -1;
	memcpy(out, p, strlen(p) + 1);
	return 0;
}

/* Loads a users row by id (or by name when name is not NULL); -1 when
 * missing or malformed. */
static int load_user(int64_t id, const char *name, struct user *u)
{
	sqlite3_stmt *s = prep(
		name ? "SELECT id, name, role, status, box_pk, sign_pk, creator_id, cert_sig,"
		       " status_version, status_signer_id, status_sig, kdf_alg, kdf_t, kdf_m,"
		       " kdf_p, kdf_salt, key_nonce, key_box FROM users WHERE name = ?1"
		     : "SELECT id, name, role, status, box_pk, sign_pk, creator_id, cert_sig,"
		       " status_version, status_signer_id, status_sig, kdf_alg, kdf_t, kdf_m,"
		       " kdf_p, kdf_salt, key_nonce, key_box FROM users WHERE id = ?1");
	int rc = -1;

	memset(u, 0, sizeof(*u));
	if (name)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	u->id = sqlite3_column_int64(s, 0);
	if (copy_text(s, 1, u->name, sizeof(u->name)) || copy_text(s, 2, u->role, sizeof(u->role)) ||
	    copy_text(s, 3, u->status, sizeof(u->status)) || blob(s, 4, u->box_pk, PK_LEN) ||
	    blob(s, 5, u->sign_pk, PK_LEN) || blob(s, 7, u->cert_sig, SIG_LEN) ||
	    blob(s, 10, u->status_sig, SIG_LEN) || blob(s, 15, u->salt, SALT_LEN) ||
	    blob(s, 16, u->nonce, NONCE_LEN) || blob(s, 17, u->box, BOX_LEN))
		goto out;
	u->creator_id = sqlite3_column_int64(s, 6);
	u->status_version = sqlite3_column_int64(s, 8);
	u->status_signer_id = sqlite3_column_int64(s, 9);
	u->kdf_alg = sqlite3_column_int64(s, 11);
	u->kdf_t = sqlite3_column_int64(s, 12);
	u->kdf_m = sqlite3_column_int64(s, 13);
	u->kdf_p = sqlite3_column_int64(s, 14);
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* §5.1 */
static void cert_msg(const struct user *u, struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-user-cert-v1");
	put(e, vid, VID_LEN);
	put_u64(e, (uint64_t)u->id);
	put_lp(e, u->name);
	put_lp(e, u->role);
	put(e, u->box_pk, PK_LEN);
	put(e, u->sign_pk, PK_LEN);
	put_u64(e, (uint64_t)u->creator_id);
}

/* §5.2 */
static void status_msg(const struct user *u, struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-user-status-v1");
	put(e, vid, VID_LEN);
	put_u64(e, (uint64_t)u->id);
	put_lp(e, u->status);
	put_u64(e, (uint64_t)u->status_version);
	put_u64(e, (uint64_t)u->status_signer_id);
}

static int valid_name(const char *n)
{
	size_t len = strlen(n);

	if (len < 1 || len > 32 || n[0] < 'a' || n[0] > 'z')
		return 0;
	return strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

static int valid_role(const char *r)
{
	return !strcmp(r, "counselor") || !strcmp(r, "supervisor") || !strcmp(r, "admin");
}

/* §5.3 steps 1-3; 0 when the identity chain verifies. */
static int verify_identity(const struct user *u)
{
	struct user c;
	struct enc e;

	if (!valid_name(u->name) || !valid_role(u->role))
		return -1;
	cert_msg(u, &e);
	if (u->id == 1)
		return u->creator_id == 1 && !strcmp(u->role, "admin") &&
				       crypto_sign_verify_detached(u->cert_sig, e.b, e.n,
								   u->sign_pk) == 0
			       ? 0
			       : -1;
	if (u->creator_id < 1 || u->creator_id >= u->id || load_user(u->creator_id, NULL, &c) ||
	    verify_identity(&c) || strcmp(c.role, "admin"))
		return -1;
	return crypto_sign_verify_detached(u->cert_sig, e.b, e.n, c.sign_pk) == 0 ? 0 : -1;
}

/* §5.3 in full. */
static int verify_user(const struct user *u)
{
	struct user sg;
	struct enc e;

	if (verify_identity(u))
		return -1;
	if (strcmp(u->status, "active") && strcmp(u->status, "disabled"))
		return -1;
	if (u->status_signer_id == u->id) {
		if (u->id != 1)
			return -1;
		sg = *u;
	} else if (load_user(u->status_signer_id, NULL, &sg) || verify_identity(&sg)) {
		return -1;
	}
	if (strcmp(sg.role, "admin"))
		return -1;
	status_msg(u, &e);
	return crypto_sign_verify_detached(u->status_sig, e.b, e.n, sg.sign_pk) == 0 ? 0 : -1;
}

/* Verifies every users row in id order; returns the first bad id or 0. */
static int64_t verify_users(int *count)
{
	sqlite3_stmt *s = prep("SELECT id FROM users ORDER BY id");
	int64_t bad = 0;
	struct user u;

	*count = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		if (load_user(id, NULL, &u) || verify_user(&u)) {
			bad = id;
			break;
		}
		(*count)++;
	}
	sqlite3_finalize(s);
	return bad;
}

/* ---- the audit log (§7) ----------------------------------------------- */

struct log_stats {
	int64_t rows;
	int64_t checkpoints;
	int64_t unsigned_tail;
	uint8_t head[HASH_LEN];
};

/* §7.5; returns the seq of the first bad row (or the missing seq), 0 if intact. */
static int64_t verify_log(struct log_stats *st)
{
	sqlite3_stmt *s = prep("SELECT seq, time, actor, action, object, outcome, detail,"
			       " prev_hash, hash, sig FROM audit ORDER BY seq");
	uint8_t prev[HASH_LEN], ph[HASH_LEN], h[HASH_LEN], want[HASH_LEN], sig[SIG_LEN];
	int64_t expect = 1, bad = 0;
	struct enc msg;
	struct user u;

	memset(st, 0, sizeof(*st));
	genesis(vid, prev);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *f[6];
		int malformed = 0, has_sig = sqlite3_column_type(s, 9) != SQLITE_NULL;

		for (int i = 0; i < 6; i++)
			if (!(f[i] = text(s, i + 1)))
				malformed = 1;
		if (malformed || blob(s, 7, ph, HASH_LEN) || blob(s, 8, h, HASH_LEN) ||
		    (has_sig && blob(s, 9, sig, SIG_LEN))) {
			bad = seq;
			break;
		}
		if (seq != expect) {
			bad = expect;
			break;
		}
		row_hash(prev, seq, f, want);
		if (sodium_memcmp(ph, prev, HASH_LEN) || sodium_memcmp(want, h, HASH_LEN)) {
			bad = seq;
			break;
		}
		if (!strcmp(f[2], "checkpoint")) {
			checkpoint_msg(vid, seq, h, &msg);
			if (!has_sig || load_user(0, f[1], &u) ||
			    crypto_sign_verify_detached(sig, msg.b, msg.n, u.sign_pk)) {
				bad = seq;
				break;
			}
			st->checkpoints++;
			st->unsigned_tail = 0;
		} else {
			if (has_sig) {
				bad = seq;
				break;
			}
			st->unsigned_tail++;
		}
		memcpy(prev, h, HASH_LEN);
		expect++;
		st->rows++;
	}
	sqlite3_finalize(s);
	memcpy(st->head, prev, HASH_LEN);
	return bad;
}

/* ---- key unwrapping (§6) ------------------------------------------------ */

/* Unwraps u's secrets into out[96] (sodium_malloc'd by the caller) with
 * the AD of user ad_id; 0 on success, -1 when the tag does not verify. */
static int unwrap(const struct user *u, int64_t ad_id, const char *pass, uint8_t *out)
{
	uint8_t *key = sodium_malloc(32);
	struct enc ad = {.n = 0};
	int rc;

	assert_non_null(key);
	assert_int_equal(u->kdf_alg, 1);
	assert_true(u->kdf_t >= 2 && u->kdf_t <= 64);
	assert_true(u->kdf_m >= 19456 && u->kdf_m <= 4194304);
	assert_true(u->kdf_p >= 1 && u->kdf_p <= 64 && u->kdf_m >= 8 * u->kdf_p);
	assert_int_equal(argon2_hash((uint32_t)u->kdf_t, (uint32_t)u->kdf_m, (uint32_t)u->kdf_p,
				     pass, strlen(pass), u->salt, SALT_LEN, key, 32, NULL, 0,
				     Argon2_id, ARGON2_VERSION_13),
			 ARGON2_OK);
	put_str(&ad, "casevault-user-keys-v1");
	put(&ad, vid, VID_LEN);
	put_u64(&ad, (uint64_t)ad_id);
	assert_int_equal(ad.n, 46);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, u->box, BOX_LEN, ad.b,
							ad.n, u->nonce, key);
	sodium_free(key);
	return rc == 0 ? 0 : -1;
}

/* §6.4 step 4 and more: the secrets belong to u's public keys. */
static void check_secrets(const struct user *u, const uint8_t *sec)
{
	uint8_t pk[PK_LEN], sig[SIG_LEN];
	uint8_t *seedkp = sodium_malloc(64);
	static const uint8_t m[] = "format test";

	assert_non_null(seedkp);
	assert_int_equal(crypto_scalarmult_base(pk, sec), 0);
	assert_memory_equal(pk, u->box_pk, PK_LEN);
	assert_memory_equal(sec + 64, u->sign_pk, PK_LEN);
	assert_int_equal(crypto_sign_seed_keypair(pk, seedkp, sec + 32), 0);
	assert_memory_equal(pk, u->sign_pk, PK_LEN);
	assert_memory_equal(seedkp, sec + 32, 64);
	assert_int_equal(crypto_sign_detached(sig, NULL, m, sizeof(m), sec + 32), 0);
	assert_int_equal(crypto_sign_verify_detached(sig, m, sizeof(m), u->sign_pk), 0);
	sodium_free(seedkp);
}

/* ---- setup: a vault with some history, made through the public API ------ */

/* Logs in; a failure is reported only when want is CV_OK. */
static cv_session *login(cv_vault *v, const char *name, const char *pass, cv_status want)
{
	cv_session *s = NULL;
	cv_err err = {0};
	cv_status st = cv_login(v, name, pass, strlen(pass), &s, &err);

	if (st != want)
		fprintf(stderr, "login %s: status %d, wanted %d: %s\n", name, st, want, err.msg);
	return st == CV_OK ? s : NULL;
}

static int count_user(const cv_user_info *u, void *arg)
{
	(void)u;
	(*(int *)arg)++;
	return 0;
}

static int ignore_row(const cv_audit_row *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

#define TRY(x)                                                                                  \
	do {                                                                                    \
		if ((x) != CV_OK) {                                                             \
			fprintf(stderr, "setup failed at %s: %s\n", #x, err.msg);               \
			goto out;                                                               \
		}                                                                               \
	} while (0)

static int setup(void **state)
{
	cv_kdf_params kdf = {2, 19456, 1};
	cv_audit_filter f = {0};
	cv_audit_report rep;
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_err err = {0};
	int users = 0, ok = -1;

	(void)state;
	TRY(cv_init(&err));
	snprintf(dir, sizeof(dir), "/tmp/cv-format-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/vault.db", dir);
	TRY(cv_vault_create(path, "alice", ALICE_PASS, strlen(ALICE_PASS), &kdf, code, &err));
	TRY(cv_vault_open(path, &v, &err));

	/* alice (1) adds bob (2), carol (3) and dave (4, admin). */
	if (!(s = login(v, "alice", ALICE_PASS, CV_OK)))
		goto out;
	TRY(cv_user_add(s, "bob", CV_ROLE_COUNSELOR, BOB_PASS, strlen(BOB_PASS), NULL, &err));
	TRY(cv_user_add(s, "carol", CV_ROLE_SUPERVISOR, CAROL_PASS, strlen(CAROL_PASS), NULL,
			&err));
	TRY(cv_user_add(s, "dave", CV_ROLE_ADMIN, DAVE_PASS, strlen(DAVE_PASS), NULL, &err));
	cv_session_close(s);

	/* dave adds erin (5): a certificate chain of length two. */
	if (!(s = login(v, "dave", DAVE_PASS, CV_OK)))
		goto out;
	TRY(cv_user_add(s, "erin", CV_ROLE_COUNSELOR, ERIN_PASS, strlen(ERIN_PASS), NULL, &err));
	TRY(cv_user_list(s, count_user, &users, &err));
	cv_session_close(s);
	s = NULL;

	/* A wrong passphrase: one unsigned login row. */
	if (login(v, "bob", "not bobs passphrase", CV_EAUTH) != NULL)
		goto out;

	/* bob changes his passphrase, then is refused the audit log. */
	if (!(s = login(v, "bob", BOB_PASS, CV_OK)))
		goto out;
	TRY(cv_user_passwd(s, BOB_NEW, strlen(BOB_NEW), &err));
	if (cv_audit_log(s, &f, ignore_row, NULL, &err) != CV_EDENIED)
		goto out;
	cv_session_close(s);

	/* alice disables erin (status signer 1, creator 4). */
	if (!(s = login(v, "alice", ALICE_PASS, CV_OK)))
		goto out;
	TRY(cv_user_disable(s, "erin", &err));
	cv_session_close(s);
	s = NULL;
	if (login(v, "erin", ERIN_PASS, CV_EAUTH) != NULL)
		goto out;

	/* carol takes an external checkpoint and verifies. */
	if (!(s = login(v, "carol", CAROL_PASS, CV_OK)))
		goto out;
	TRY(cv_audit_checkpoint(s, &checkpoint_text, &err));
	TRY(cv_audit_verify(s, checkpoint_text, &rep, &err));
	TRY(cv_audit_log(s, &f, ignore_row, NULL, &err));
	ok = users == 5 ? 0 : -1;
out:
	cv_session_close(s);
	cv_vault_close(v);
	if (ok != 0)
		return -1;
	return sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
			       meta("vault_id", vid, VID_LEN) == 0
		       ? 0
		       : -1;
}

static int teardown(void **state)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[160];

	(void)state;
	sqlite3_close(db);
	free(checkpoint_text);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

/* ---- tests ---------------------------------------------------------------- */

/* §13: the documented vectors come out of this reader's code. */
static void test_vectors(void **state)
{
	static const char *const r1[6] = {"2024-01-02T03:04:05Z", "alice", "vault.init", "vault",
					  "ok", "admin=alice kdf=argon2id t=2 m=19456 p=1"};
	static const char *const r2[6] = {"2024-01-02T03:04:05Z", "alice", "checkpoint", "audit",
					  "ok", ""};
	uint8_t v[VID_LEN], g[HASH_LEN], h1[HASH_LEN], h2[HASH_LEN], want[HASH_LEN];
	uint8_t seed[16], chk[HASH_LEN], ks[HASH_LEN], pk[PK_LEN], sk[32], key[32], salt[16];
	struct enc e = {.n = 0};

	(void)state;
	for (int i = 0; i < 16; i++) {
		v[i] = (uint8_t)i;
		seed[i] = (uint8_t)i;
		salt[i] = (uint8_t)(0xa0 + i);
	}
	genesis(v, g);
	unhex(want, HASH_LEN, "84eee3efe2acd3c936e9d1d35419d9c3a041f672a80e0c7718d36534a18838d2");
	assert_memory_equal(g, want, HASH_LEN);
	row_hash(g, 1, r1, h1);
	unhex(want, HASH_LEN, "bcceb2520799ccb32040a3b53d38c72d89c579026cf3016dd3b46adb3bca7968");
	assert_memory_equal(h1, want, HASH_LEN);
	row_hash(h1, 2, r2, h2);
	unhex(want, HASH_LEN, "60d44662a26752db1d52c94a30a43b4822852d67cf0be915e03feb3bb89376f2");
	assert_memory_equal(h2, want, HASH_LEN);
	checkpoint_msg(v, 2, h2, &e);
	assert_int_equal(e.n, 79);

	e.n = 0;
	put_str(&e, "casevault-recovery-check-v1");
	put(&e, seed, 16);
	b2b256(chk, &e);
	assert_int_equal(chk[0], 0x01);
	assert_int_equal(chk[1], 0x09);
	e.n = 0;
	put_str(&e, "casevault-recovery-key-v1");
	put(&e, seed, 16);
	b2b256(ks, &e);
	assert_int_equal(crypto_box_seed_keypair(pk, sk, ks), 0);
	unhex(want, 32, "c0f8803abd348cc2a8a34866bfb6a06627152fa639fa8e1f5c4d25eeab9d6824");
	assert_memory_equal(pk, want, 32);
	unhex(want, 32, "e40117a0499137723e02cfd8c50edcbcaa88cc2d0199c9adfbc61af02d7195b4");
	assert_memory_equal(sk, want, 32);

	assert_int_equal(argon2id_hash_raw(2, 19456, 1, "correct horse battery staple", 28, salt,
					   16, key, 32),
			 ARGON2_OK);
	unhex(want, 32, "7d66e56edf52b232c967d2af5776633e0a01f76cca1f482feec7042298767d15");
	assert_memory_equal(key, want, 32);
}

/* §2: the SQLite header and settings. */
static void test_file_header(void **state)
{
	uint8_t hdr[100];
	FILE *fp = fopen(path, "rb");
	sqlite3_stmt *s;
	int strict = 0;

	(void)state;
	assert_non_null(fp);
	assert_int_equal(fread(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
	fclose(fp);
	assert_memory_equal(hdr, "SQLite format 3", 16);
	assert_memory_equal(hdr + 68, "CVLT", 4);
	assert_memory_equal(hdr + 60, "\0\0\0\1", 4);
	assert_int_equal(hdr[18], 2); /* WAL */
	assert_int_equal(hdr[19], 2);
	assert_int_equal(scalar("PRAGMA application_id"), 0x43564C54);
	assert_int_equal(scalar("PRAGMA user_version"), 1);
	s = prep("PRAGMA journal_mode");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(text(s, 0), "wal");
	sqlite3_finalize(s);
	s = prep("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name");
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_non_null(strstr(text(s, 1), ") STRICT"));
		strict++;
	}
	sqlite3_finalize(s);
	assert_int_equal(strict, 3);
	assert_int_equal(scalar("SELECT count(*) FROM meta"), 4);
}

/* §3.1, §10: meta values, the recovery code and the recovery key signature. */
static void test_meta_and_recovery(void **state)
{
	uint8_t kd[12], rpk[PK_LEN], rsig[SIG_LEN], raw[18], chk[HASH_LEN], ks[HASH_LEN];
	uint8_t pk[PK_LEN], sk[32];
	char hex[37];
	size_t n = 0;
	struct enc e = {.n = 0};
	struct user root;

	(void)state;
	assert_int_equal(meta("kdf_default", kd, sizeof(kd)), 0);
	assert_memory_equal(kd, "\0\0\0\2\0\0\x4c\0\0\0\0\1", 12); /* t=2 m=19456 p=1 */
	assert_int_equal(meta("recovery_pk", rpk, PK_LEN), 0);
	assert_int_equal(meta("recovery_sig", rsig, SIG_LEN), 0);

	/* 36 lowercase hex digits in 9 groups of 4. */
	assert_int_equal(strlen(code), 44);
	for (size_t i = 0; i < 44; i++) {
		if (i % 5 == 4) {
			assert_int_equal(code[i], '-');
		} else {
			assert_non_null(strchr("0123456789abcdef", code[i]));
			hex[n++] = code[i];
		}
	}
	hex[n] = '\0';
	unhex(raw, sizeof(raw), hex);
	put_str(&e, "casevault-recovery-check-v1");
	put(&e, raw, 16);
	b2b256(chk, &e);
	assert_memory_equal(chk, raw + 16, 2);
	e.n = 0;
	put_str(&e, "casevault-recovery-key-v1");
	put(&e, raw, 16);
	b2b256(ks, &e);
	crypto_box_seed_keypair(pk, sk, ks);
	assert_memory_equal(pk, rpk, PK_LEN);

	/* §10.3: signed by user 1, and only over this exact message. */
	assert_int_equal(load_user(1, NULL, &root), 0);
	e.n = 0;
	put_str(&e, "casevault-recovery-pk-v1");
	put(&e, vid, VID_LEN);
	put(&e, rpk, PK_LEN);
	assert_int_equal(e.n, 72);
	assert_int_equal(crypto_sign_verify_detached(rsig, e.b, e.n, root.sign_pk), 0);
	e.b[e.n - 1] ^= 1;
	assert_int_not_equal(crypto_sign_verify_detached(rsig, e.b, e.n, root.sign_pk), 0);
}

/* §5: every identity and status signature, and the chain shapes. */
static void test_user_certificates(void **state)
{
	struct user u, erin;
	struct enc e;
	int count;

	(void)state;
	assert_int_equal(verify_users(&count), 0);
	assert_int_equal(count, 5);

	assert_int_equal(load_user(0, "alice", &u), 0);
	assert_int_equal(u.id, 1);
	assert_int_equal(u.creator_id, 1);
	assert_int_equal(u.status_signer_id, 1);
	assert_int_equal(load_user(0, "erin", &erin), 0);
	assert_int_equal(erin.id, 5);
	assert_int_equal(erin.creator_id, 4);
	assert_string_equal(erin.status, "disabled");
	assert_int_equal(erin.status_version, 2);
	assert_int_equal(erin.status_signer_id, 1);

	/* The signatures cover what FORMAT.md says: change one field, it fails. */
	snprintf(erin.role, sizeof(erin.role), "admin");
	assert_int_not_equal(verify_identity(&erin), 0);
	assert_int_equal(load_user(5, NULL, &erin), 0);
	snprintf(erin.status, sizeof(erin.status), "active");
	assert_int_not_equal(verify_user(&erin), 0);
	assert_int_equal(load_user(5, NULL, &erin), 0);
	erin.status_version = 1;
	assert_int_not_equal(verify_user(&erin), 0);

	/* bob's identity is signed by alice, not by bob himself. */
	assert_int_equal(load_user(0, "bob", &u), 0);
	cert_msg(&u, &e);
	assert_int_not_equal(crypto_sign_verify_detached(u.cert_sig, e.b, e.n, u.sign_pk), 0);
}

static int count_rows(const char *where)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE %s", where);
	return (int)scalar(sql);
}

/* §7, §8: the chain, every checkpoint signature, and the vocabulary. */
static void test_audit_chain(void **state)
{
	static const char *const actions[] = {"vault.init",	 "user.add",	"user.list",
					      "user.passwd",	 "user.disable", "audit.log",
					      "audit.verify",	 "audit.checkpoint", "login",
					      "checkpoint"};
	struct log_stats st;
	sqlite3_stmt *s;
	int64_t n = scalar("SELECT count(*) FROM audit");

	(void)state;
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.rows, n);
	assert_int_equal(st.unsigned_tail, 0);
	assert_int_equal(scalar("SELECT max(seq) FROM audit"), n);
	/* Every row that is not a failed login is followed by its checkpoint. */
	assert_int_equal(st.checkpoints, count_rows("action <> 'checkpoint' AND action <> 'login'"));
	assert_int_equal(count_rows("sig IS NOT NULL"), st.checkpoints);

	s = prep("SELECT action, outcome FROM audit");
	while (sqlite3_step(s) == SQLITE_ROW) {
		size_t i;

		for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
			if (!strcmp(text(s, 0), actions[i]))
				break;
		assert_true(i < sizeof(actions) / sizeof(actions[0]));
		assert_true(!strcmp(text(s, 1), "ok") || !strcmp(text(s, 1), "denied") ||
			    !strcmp(text(s, 1), "failed"));
	}
	sqlite3_finalize(s);

	assert_int_equal(count_rows("seq = 1 AND actor = 'alice' AND action = 'vault.init' AND "
				    "detail = 'admin=alice kdf=argon2id t=2 m=19456 p=1'"),
			 1);
	assert_int_equal(count_rows("seq = 2 AND action = 'checkpoint' AND object = 'audit' "
				    "AND outcome = 'ok' AND detail = ''"),
			 1);
	assert_int_equal(count_rows("action = 'checkpoint' AND (object <> 'audit' OR outcome <> "
				    "'ok' OR detail <> '' OR sig IS NULL)"),
			 0);
	assert_int_equal(count_rows("action = 'user.add' AND object = 'user:erin' AND actor = "
				    "'dave' AND detail = 'role=counselor status=active v1'"),
			 1);
	assert_int_equal(count_rows("action = 'login' AND actor = 'bob' AND object = 'user:bob' "
				    "AND outcome = 'failed' AND detail = 'wrong passphrase' AND "
				    "sig IS NULL"),
			 1);
	assert_int_equal(count_rows("action = 'login' AND actor = 'erin' AND outcome = 'failed' "
				    "AND detail = 'account disabled'"),
			 1);
	assert_int_equal(count_rows("action = 'user.passwd' AND actor = 'bob' AND object = "
				    "'user:bob' AND outcome = 'ok'"),
			 1);
	assert_int_equal(count_rows("action = 'audit.log' AND actor = 'bob' AND outcome = "
				    "'denied'"),
			 1);
	assert_int_equal(count_rows("action = 'user.disable' AND object = 'user:erin' AND "
				    "detail = 'status=disabled v2'"),
			 1);
	assert_int_equal(count_rows("action = 'audit.verify' AND actor = 'carol' AND detail = "
				    "'rows=22 checkpoints=10 users=5 external=ok'"),
			 1);
	assert_int_equal(count_rows("action = 'user.list' AND object = 'users'"), 1);
	assert_int_equal(count_rows("action = 'audit.checkpoint' AND object = 'audit'"), 1);
	/* The last row is carol's signed checkpoint after her audit.log. */
	assert_int_equal(count_rows("seq = (SELECT max(seq) FROM audit) AND action = "
				    "'checkpoint' AND actor = 'carol'"),
			 1);
}

/* Reads "label: value\n" at *p into out (cap bytes); advances *p. */
static void line(const char **p, const char *label, char *out, size_t cap)
{
	size_t l = strlen(label);
	const char *end;

	assert_int_equal(strncmp(*p, label, l), 0);
	assert_int_equal((*p)[l], ':');
	assert_int_equal((*p)[l + 1], ' ');
	*p += l + 2;
	end = strchr(*p, '\n');
	assert_non_null(end);
	assert_true((size_t)(end - *p) < cap);
	memcpy(out, *p, (size_t)(end - *p));
	out[end - *p] = '\0';
	*p = end + 1;
}

/* §9: the external checkpoint file. */
static void test_external_checkpoint(void **state)
{
	char v[64], size[24], head[80], signer[40], key[80], sig[160];
	uint8_t xv[VID_LEN], xh[HASH_LEN], xk[PK_LEN], xs[SIG_LEN], rh[HASH_LEN], rs[SIG_LEN];
	const char *p = checkpoint_text;
	struct enc msg;
	struct user u;
	sqlite3_stmt *s;
	int64_t seq;

	(void)state;
	assert_non_null(p);
	assert_int_equal(strncmp(p, "casevault checkpoint v1\n", 24), 0);
	p += 24;
	line(&p, "vault", v, sizeof(v));
	line(&p, "size", size, sizeof(size));
	line(&p, "head", head, sizeof(head));
	line(&p, "signer", signer, sizeof(signer));
	line(&p, "key", key, sizeof(key));
	line(&p, "signature", sig, sizeof(sig));
	assert_int_equal(*p, '\0');
	unhex(xv, VID_LEN, v);
	unhex(xh, HASH_LEN, head);
	unhex(xk, PK_LEN, key);
	unhex(xs, SIG_LEN, sig);
	assert_true(size[0] >= '1' && size[0] <= '9');
	assert_int_equal(strspn(size, "0123456789"), strlen(size));
	seq = strtoll(size, NULL, 10);

	assert_memory_equal(xv, vid, VID_LEN);
	checkpoint_msg(xv, seq, xh, &msg);
	assert_int_equal(crypto_sign_verify_detached(xs, msg.b, msg.n, xk), 0);
	assert_string_equal(signer, "carol");
	assert_int_equal(load_user(0, signer, &u), 0);
	assert_memory_equal(u.sign_pk, xk, PK_LEN);

	/* Row `size` is carol's checkpoint: same hash, same signature. */
	s = prep("SELECT hash, sig, action, actor FROM audit WHERE seq = ?1");
	sqlite3_bind_int64(s, 1, seq);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(blob(s, 0, rh, HASH_LEN), 0);
	assert_int_equal(blob(s, 1, rs, SIG_LEN), 0);
	assert_string_equal(text(s, 2), "checkpoint");
	assert_string_equal(text(s, 3), "carol");
	sqlite3_finalize(s);
	assert_memory_equal(rh, xh, HASH_LEN);
	assert_memory_equal(rs, xs, SIG_LEN);
	assert_true(scalar("SELECT count(*) FROM audit") >= seq);
}

/* §6: derive the key from the passphrase and unwrap the secret keys. */
static void test_unwrap_keys(void **state)
{
	uint8_t *sec = sodium_malloc(SECRETS_LEN);
	struct user bob, alice, erin;

	(void)state;
	assert_non_null(sec);
	assert_int_equal(load_user(0, "bob", &bob), 0);
	assert_int_equal(bob.kdf_t, 2);
	assert_int_equal(bob.kdf_m, 19456);
	assert_int_equal(bob.kdf_p, 1);
	assert_int_equal(unwrap(&bob, bob.id, BOB_NEW, sec), 0);
	check_secrets(&bob, sec);
	/* The old passphrase no longer opens it; the AD binds the user id. */
	assert_int_not_equal(unwrap(&bob, bob.id, BOB_PASS, sec), 0);
	assert_int_not_equal(unwrap(&bob, 1, BOB_NEW, sec), 0);

	assert_int_equal(load_user(1, NULL, &alice), 0);
	assert_int_equal(unwrap(&alice, 1, ALICE_PASS, sec), 0);
	check_secrets(&alice, sec);
	/* A disabled user's keys are still wrapped the same way. */
	assert_int_equal(load_user(0, "erin", &erin), 0);
	assert_int_equal(unwrap(&erin, erin.id, ERIN_PASS, sec), 0);
	check_secrets(&erin, sec);
	sodium_free(sec);
}

/* The reader refuses tampered rows (changes rolled back afterwards). */
static void test_tamper_detected(void **state)
{
	struct log_stats st;
	int count;

	(void)state;
	exec("BEGIN");
	exec("UPDATE audit SET detail = 'role=admin status=active v1' WHERE seq = 3");
	assert_int_equal(verify_log(&st), 3);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("DELETE FROM audit WHERE seq = 5");
	assert_int_equal(verify_log(&st), 5);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("DELETE FROM audit WHERE seq > 10");
	assert_int_equal(verify_log(&st), 0); /* truncation: only §9 catches it */
	assert_int_equal(st.rows, 10);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("UPDATE audit SET sig = zeroblob(64) WHERE seq = 2");
	assert_int_equal(verify_log(&st), 2);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("UPDATE audit SET sig = (SELECT sig FROM audit WHERE seq = 2) WHERE seq = 1");
	assert_int_equal(verify_log(&st), 1);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("UPDATE users SET role = 'admin' WHERE name = 'bob'");
	assert_int_equal(verify_users(&count), 2);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("UPDATE users SET status_signer_id = 5 WHERE name = 'erin'");
	assert_int_equal(verify_users(&count), 5);
	exec("ROLLBACK");

	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(verify_users(&count), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_file_header),
		cmocka_unit_test(test_meta_and_recovery),
		cmocka_unit_test(test_user_certificates),
		cmocka_unit_test(test_audit_chain),
		cmocka_unit_test(test_external_checkpoint),
		cmocka_unit_test(test_unwrap_keys),
		cmocka_unit_test(test_tamper_detected),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

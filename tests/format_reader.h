/*
 * format_reader.h - docs/FORMAT.md re-implemented by an independent reader,
 * shared by the test_format_*.c programs (each includes it once).
 *
 * The public API (casevault.h) is used only to create a vault and a day of
 * activity in it: users, the vault keys delivered with the recovery code
 * and passed on by a counselor at login, a reset, a case with consent, notes (one edited,
 * one finalized before and three after the author's reset, one of them an
 * addendum), a test under the crisis exception, a referral and its
 * follow-up, a register entry, a share, a consent withdrawal, a counselor
 * disabled (revoking her keys), refusals that quote no typed text, the
 * case closed, and a second case that is shredded; what the program showed
 * about the notes is kept.  Every check after that reads the file with raw
 * SQL and re-implements the format from FORMAT.md with sqlite3, libsodium
 * and libargon2 alone: the encodings and hashes, identity chains through
 * key_history with the disabled-signer rule, the audit chain with its
 * actor, segment and users-against-log rules, the external checkpoint,
 * unwrapping keys from passphrases, opening authenticated copies of vault
 * and case keys (also with the recovery code) against their commitments,
 * the associated data of every kind of ciphertext, the JSON bodies, the
 * statistics sealed to the stats key, the signatures of case and record
 * rows, the blind index and ids.
 * The temporary directory and the cheap KDF parameters come from
 * helpers.h; nothing here uses the library's internal headers.
 *
 * Layer: tests.  setup/teardown make and remove the vault once per program;
 * no_open_transaction rolls back what a failed test left open.
 */
#ifndef CV_FORMAT_READER_H
#define CV_FORMAT_READER_H

/* Each program uses part of the reader. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#include <errno.h>
#include <time.h>

#include <argon2.h>

#include "helpers.h"

#define ALICE_PASS "alice passphrase one"
#define BOB_PASS "bob passphrase one"
#define BOB_NEW "bob passphrase two"
#define BOB_RESET "bob passphrase three"
#define CAROL_PASS "carol passphrase one"
#define DAVE_PASS "dave passphrase one"
#define ERIN_PASS "erin passphrase one"

#define STUDENT_ID "s-2024 0042"
#define STUDENT_NAME "\xe6\x9d\x8e\xe6\xa2\x85" /* 李梅, raw UTF-8 */
#define NOTE1 "Session 1: school and friends.\nSecond line \xe2\x80\x94 UTF-8 \xe2\x9c\x93\n"
#define NOTE2 "Analysis draft"
#define NOTE2B "Analysis and plan: weekly sessions for a month."
#define NOTE4 "Addendum: the plan starts after the exams."
#define NOTE5 "Outcome: attends regularly again."
#define TYPED "Li Mei" /* a name typed where an id belongs */
#define CRISIS "student described a plan to self-harm; testing now"
#define SHRED_REASON "retention period ended"

#define VID_LEN 16
#define HASH_LEN 32
#define PK_LEN 32
#define SIG_LEN 64
#define SALT_LEN 16
#define NONCE_LEN 24
#define TAG_LEN 16
#define KEY_LEN 32
#define SEALED_LEN 80
#define SECRETS_LEN 96
#define BOX_LEN (SECRETS_LEN + TAG_LEN)
#define ID_CAP 16

static char dir[TEST_DIR_MAX];
static char path[TEST_PATH_MAX];
static char code[CV_RECOVERY_CODE_LEN + 1];
/* The last enrolment code the API returned. */
static char enrol_code[CV_ENROL_CODE_LEN + 1];
static char *checkpoint_text;
static sqlite3 *db;
static uint8_t vid[VID_LEN];
/* §10.3: the recovery key the first log row committed to. */
static uint8_t rpk1[PK_LEN];
/* Ids the API returned during setup. */
static char case_id[ID_CAP], case2_id[ID_CAP], note1[ID_CAP], note2[ID_CAP], note3[ID_CAP];
static char note4[ID_CAP], note5[ID_CAP], test_id[ID_CAP], ref_id[ID_CAP];
/* What cv_case_show reported about each note of the case, after closing. */
static struct shown {
	char id[ID_CAP];
	int after_withdrawal, signature_ok;
} shown[8];
static int nshown;

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

/* A string of the statistics plaintexts (§12.2): u8(byte length) || s. */
static void put_lp8(struct enc *e, const char *s)
{
	uint8_t n = (uint8_t)strlen(s);

	assert_true(strlen(s) <= 255);
	put(e, &n, 1);
	put(e, s, n);
}

static void put_u8(struct enc *e, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(e, &x, 1);
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

static void assert_hex(const uint8_t *p, size_t len, const char *hex)
{
	uint8_t want[256];

	assert_true(len <= sizeof(want));
	unhex(want, len, hex);
	assert_memory_equal(p, want, len);
}

/* §7.2 */
static void genesis(const uint8_t v[VID_LEN], uint8_t out[HASH_LEN])
{
	struct enc e = {.n = 0};

	put_str(&e, "casevault-audit-genesis-v1");
	put(&e, v, VID_LEN);
	b2b256(out, &e);
}

/* §7.1: f[] = time, actor, action, object, outcome, detail; then rows
 * (may be long: hashed as a stream). */
static void row_hash(const uint8_t prev[HASH_LEN], int64_t seq, const char *const f[6],
		     const char *rows, uint8_t out[HASH_LEN])
{
	crypto_generichash_state h;
	uint8_t be[8];

	crypto_generichash_init(&h, NULL, 0, HASH_LEN);
	crypto_generichash_update(&h, prev, HASH_LEN);
	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
	crypto_generichash_update(&h, be, 8);
	for (int i = 0; i < 7; i++) {
		const char *x = i < 6 ? f[i] : rows;
		uint32_t n = (uint32_t)strlen(x);
		uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
				  (uint8_t)n};

		crypto_generichash_update(&h, len, 4);
		crypto_generichash_update(&h, (const uint8_t *)x, n);
	}
	crypto_generichash_final(&h, out, HASH_LEN);
}

/* §7.3 */
static void checkpoint_msg(const uint8_t v[VID_LEN], const uint8_t rpk[PK_LEN], int64_t seq,
			   const uint8_t hash[HASH_LEN], struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-checkpoint-v1");
	put(e, v, VID_LEN);
	put(e, rpk, PK_LEN);
	put_u64(e, (uint64_t)seq);
	put(e, hash, HASH_LEN);
}

/* §11.1 */
static void content_ad(const uint8_t v[VID_LEN], const char *type, const char *cid, const char *rid,
		       int64_t version, struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-ad-v1");
	put(e, v, VID_LEN);
	put_lp(e, type);
	put_lp(e, cid);
	put_lp(e, rid);
	put_u64(e, (uint64_t)version);
}

/* §14: the normalized student number. */
static void normalize(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in; in++) {
		char ch = *in;

		if (ch == ' ' || ch == '-')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		assert_true(o + 1 < cap);
		out[o++] = ch;
	}
	out[o] = '\0';
}

static void blind_index(const uint8_t key[KEY_LEN], const char *student, uint8_t out[HASH_LEN])
{
	char norm[80];
	struct enc e = {.n = 0};

	normalize(student, norm, sizeof(norm));
	put_str(&e, "casevault-student-v1");
	put_str(&e, norm);
	crypto_generichash(out, HASH_LEN, e.b, e.n, key, KEY_LEN);
}

/* XChaCha20-Poly1305 open; a malloc'd NUL-terminated plaintext or NULL. */
static char *aead_open(const uint8_t key[KEY_LEN], const uint8_t nonce[NONCE_LEN],
		       const uint8_t *box, size_t boxlen, const struct enc *ad, size_t *len)
{
	unsigned long long n = 0;
	char *pt;

	if (boxlen < TAG_LEN)
		return NULL;
	pt = malloc(boxlen - TAG_LEN + 1);
	assert_non_null(pt);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)pt, &n, NULL, box, boxlen, ad->b,
						       ad->n, nonce, key) != 0) {
		free(pt);
		return NULL;
	}
	pt[n] = '\0';
	if (len)
		*len = (size_t)n;
	return pt;
}

/* ---- raw SQL helpers --------------------------------------------------- */

static sqlite3_stmt *prep(const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("cannot prepare '%s': %s", sql, sqlite3_errmsg(db));
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

static int copy_text(sqlite3_stmt *s, int col, char *out, size_t cap)
{
	const char *p = text(s, col);

	if (!p || strlen(p) >= cap)
		return -1;
	memcpy(out, p, strlen(p) + 1);
	return 0;
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

/* scalar() with one text parameter ?1. */
static int64_t scalar1(const char *sql, const char *arg)
{
	sqlite3_stmt *s = prep(sql);
	int64_t v;

	sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("'%s' failed: %s", sql, sqlite3_errmsg(db));
}

/* ---- identities and users (§3.2, §3.3, §5) ---------------------------- */

struct ident {
	int64_t id;
	char name[33];
	char role[16];
	uint8_t box_pk[PK_LEN];
	uint8_t sign_pk[PK_LEN];
	int64_t cert_seq;
	int64_t creator_id;
	uint8_t cert_sig[SIG_LEN];
	char expires[21];	   /* enrolment certificates */
	uint8_t self_sig[SIG_LEN]; /* keys their owner made */
	int has_self_sig;
};

struct user {
	struct ident c;
	char status[16];
	int64_t status_seq;
	int64_t status_signer_id;
	uint8_t status_sig[SIG_LEN];
	int64_t kdf_alg, kdf_t, kdf_m, kdf_p;
	uint8_t salt[SALT_LEN];
	uint8_t nonce[NONCE_LEN];
	uint8_t box[BOX_LEN];
	char created[21];
	int64_t keys_seq;
};

#define USER_SQL                                                                                   \
	"SELECT id, name, role, status, box_pk, sign_pk, cert_seq, creator_id, cert_sig,"          \
	" status_seq, status_signer_id, status_sig, kdf_alg, kdf_t, kdf_m, kdf_p, kdf_salt,"       \
	" key_nonce, key_box, created, keys_seq, expires, self_sig FROM users"

/* §3.2: self_sig is a BLOB of 64 bytes, or an empty one. */
static int self_sig(sqlite3_stmt *s, int col, struct ident *c)
{
	c->has_self_sig = 0;
	if (sqlite3_column_type(s, col) == SQLITE_BLOB && sqlite3_column_bytes(s, col) == 0)
		return 0;
	if (blob(s, col, c->self_sig, SIG_LEN))
		return -1;
	c->has_self_sig = 1;
	return 0;
}

/* Loads a users row by id (or by name when name is not NULL); -1 when
 * missing or malformed (§3.2 types and sizes). */
static int load_user(int64_t id, const char *name, struct user *u)
{
	sqlite3_stmt *s = prep(name ? USER_SQL " WHERE name = ?1" : USER_SQL " WHERE id = ?1");
	int rc = -1;

	memset(u, 0, sizeof(*u));
	if (name)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	u->c.id = sqlite3_column_int64(s, 0);
	if (copy_text(s, 1, u->c.name, sizeof(u->c.name)) ||
	    copy_text(s, 2, u->c.role, sizeof(u->c.role)) ||
	    copy_text(s, 3, u->status, sizeof(u->status)) || blob(s, 4, u->c.box_pk, PK_LEN) ||
	    blob(s, 5, u->c.sign_pk, PK_LEN) || blob(s, 8, u->c.cert_sig, SIG_LEN) ||
	    blob(s, 11, u->status_sig, SIG_LEN) || blob(s, 16, u->salt, SALT_LEN) ||
	    blob(s, 17, u->nonce, NONCE_LEN) || blob(s, 18, u->box, BOX_LEN) ||
	    copy_text(s, 19, u->created, sizeof(u->created)) || strlen(u->created) != 20)
		goto out;
	u->c.cert_seq = sqlite3_column_int64(s, 6);
	u->c.creator_id = sqlite3_column_int64(s, 7);
	u->status_seq = sqlite3_column_int64(s, 9);
	u->status_signer_id = sqlite3_column_int64(s, 10);
	u->kdf_alg = sqlite3_column_int64(s, 12);
	u->kdf_t = sqlite3_column_int64(s, 13);
	u->kdf_m = sqlite3_column_int64(s, 14);
	u->kdf_p = sqlite3_column_int64(s, 15);
	if (sqlite3_column_type(s, 20) != SQLITE_INTEGER ||
	    copy_text(s, 21, u->c.expires, sizeof(u->c.expires)) || self_sig(s, 22, &u->c))
		goto out;
	u->keys_seq = sqlite3_column_int64(s, 20);
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Fills an identity from columns: name, role, box_pk, sign_pk, cert_seq,
 * creator_id, cert_sig, expires, self_sig. */
static int read_ident(sqlite3_stmt *s, int64_t id, struct ident *c)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	if (copy_text(s, 0, c->name, sizeof(c->name)) ||
	    copy_text(s, 1, c->role, sizeof(c->role)) || blob(s, 2, c->box_pk, PK_LEN) ||
	    blob(s, 3, c->sign_pk, PK_LEN) || blob(s, 6, c->cert_sig, SIG_LEN) ||
	    copy_text(s, 7, c->expires, sizeof(c->expires)) || self_sig(s, 8, c))
		return -1;
	c->cert_seq = sqlite3_column_int64(s, 4);
	c->creator_id = sqlite3_column_int64(s, 5);
	return 0;
}

/* §5.3: identity(id, at), from users and key_history; -1 when none. */
static int identity_at(int64_t id, int64_t at, struct ident *out)
{
	sqlite3_stmt *s;
	struct ident cur, old;
	int have_cur = 0, have_old = 0;

	s = prep("SELECT name, role, box_pk, sign_pk, cert_seq, creator_id, cert_sig, expires,"
		 " self_sig FROM users WHERE id = ?1 AND cert_seq <= ?2");
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	if (sqlite3_step(s) == SQLITE_ROW && read_ident(s, id, &cur) == 0)
		have_cur = 1;
	sqlite3_finalize(s);
	s = prep("SELECT u.name, h.role, h.box_pk, h.sign_pk, h.cert_seq, h.creator_id,"
		 " h.cert_sig, h.expires, h.self_sig FROM key_history h"
		 " JOIN users u ON u.id = h.user_id"
		 " WHERE h.user_id = ?1 AND h.cert_seq <= ?2 ORDER BY h.cert_seq DESC LIMIT 1");
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	if (sqlite3_step(s) == SQLITE_ROW && read_ident(s, id, &old) == 0)
		have_old = 1;
	sqlite3_finalize(s);
	if (have_cur && (!have_old || cur.cert_seq > old.cert_seq))
		*out = cur;
	else if (have_old)
		*out = old;
	else
		return -1;
	return 0;
}

/* §3.10: a settings row's message. */
static void setting_msg(const uint8_t v[VID_LEN], const char *name, const char *value, int64_t seq,
			int64_t signer, struct enc *e)
{
	put_str(e, "casevault-setting-v1");
	put(e, v, VID_LEN);
	put_lp(e, name);
	put_lp(e, value);
	put_u64(e, (uint64_t)seq);
	put_u64(e, (uint64_t)signer);
}

/* §5.1: the first admin's self-signed identity. */
static void cert_msg(const struct ident *c, struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-user-cert-v1");
	put(e, vid, VID_LEN);
	put_u64(e, (uint64_t)c->id);
	put_lp(e, c->name);
	put_lp(e, c->role);
	put(e, c->box_pk, PK_LEN);
	put(e, c->sign_pk, PK_LEN);
	put_u64(e, (uint64_t)c->cert_seq);
	put_u64(e, (uint64_t)c->creator_id);
}

/* §5.5: an enrolment certificate. */
static void enrol_cert_msg(const struct ident *c, struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-user-enrol-cert-v1");
	put(e, vid, VID_LEN);
	put_u64(e, (uint64_t)c->id);
	put_lp(e, c->name);
	put_lp(e, c->role);
	put(e, c->box_pk, PK_LEN);
	put(e, c->sign_pk, PK_LEN);
	put_lp(e, c->expires);
	put_u64(e, (uint64_t)c->cert_seq);
	put_u64(e, (uint64_t)c->creator_id);
}

/* §5.6: keys their owner made, after the identity prev (enrolled when
 * prev is an enrolment certificate, else rotated). */
static void keys_msg(const struct ident *c, const struct ident *prev, struct enc *e)
{
	e->n = 0;
	put_str(e, prev->creator_id != prev->id ? "casevault-user-enrolled-v1"
						: "casevault-user-rotated-v1");
	put(e, vid, VID_LEN);
	put_u64(e, (uint64_t)c->id);
	put_lp(e, c->name);
	put_lp(e, c->role);
	put(e, c->box_pk, PK_LEN);
	put(e, c->sign_pk, PK_LEN);
	put_u64(e, (uint64_t)prev->cert_seq);
	put_u64(e, (uint64_t)c->cert_seq);
}

/* §5.2 */
static void status_msg(const struct user *u, struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-user-status-v1");
	put(e, vid, VID_LEN);
	put_u64(e, (uint64_t)u->c.id);
	put_lp(e, u->status);
	put_u64(e, (uint64_t)u->status_seq);
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

/* §5.4 "disabled before": user id's current row says it was disabled (or
 * is pending) since a row before seq (a missing row counts as disabled). */
static int disabled_before(int64_t id, int64_t seq)
{
	sqlite3_stmt *s = prep("SELECT status, status_seq FROM users WHERE id = ?1");
	int disabled = 1;

	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW && text(s, 0))
		disabled = strcmp(text(s, 0), "active") != 0 && sqlite3_column_int64(s, 1) < seq;
	sqlite3_finalize(s);
	return disabled;
}

static int is_root(const struct ident *c)
{
	return c->id == 1 && c->cert_seq == 1;
}

static int is_enrolment(const struct ident *c)
{
	return c->creator_id != c->id;
}

/* §5.4 step 6: the log row an identity its owner made stands on: the first
 * ok user.enrol of the user after the enrolment certificate prev, no later
 * than it expired; or an ok user.rotate of the user at that row. */
static int made_at(const struct ident *c, const struct ident *prev)
{
	char obj[48];
	sqlite3_stmt *s;
	int64_t first = 0;
	int ok = 0;

	snprintf(obj, sizeof(obj), "user:%s", c->name);
	if (is_enrolment(prev)) {
		s = prep("SELECT min(seq) FROM audit WHERE object = ?1 AND outcome = 'ok' AND"
			 " action = 'user.enrol' AND seq > ?2");
		sqlite3_bind_text(s, 1, obj, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, prev->cert_seq);
		if (sqlite3_step(s) == SQLITE_ROW)
			first = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if (first != c->cert_seq)
			return -1;
		s = prep("SELECT time FROM audit WHERE seq = ?1");
		sqlite3_bind_int64(s, 1, first);
		ok = sqlite3_step(s) == SQLITE_ROW && text(s, 0) &&
		     strcmp(text(s, 0), prev->expires) <= 0;
		sqlite3_finalize(s);
		return ok ? 0 : -1;
	}
	s = prep("SELECT count(*) FROM audit WHERE seq = ?1 AND object = ?2 AND outcome = 'ok'"
		 " AND action = 'user.rotate'");
	sqlite3_bind_int64(s, 1, c->cert_seq);
	sqlite3_bind_text(s, 2, obj, -1, SQLITE_TRANSIENT);
	ok = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == 1;
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

/* §5.4 steps 1-6; 0 when the identity chain verifies.  An enrolment
 * certificate passes only where allowed (it signs nothing). */
static int verify_identity_as(const struct ident *c, int allow_enrolment)
{
	struct ident cr;
	struct enc e;

	if (!valid_name(c->name) || !valid_role(c->role))
		return -1;
	if (is_root(c)) {
		cert_msg(c, &e);
		return c->creator_id == 1 && !strcmp(c->role, "admin") && !c->expires[0] &&
			       !c->has_self_sig &&
			       crypto_sign_verify_detached(c->cert_sig, e.b, e.n, c->sign_pk) == 0
			   ? 0
			   : -1;
	}
	if (c->cert_seq < 2)
		return -1;
	if (is_enrolment(c)) {
		if (!allow_enrolment || strlen(c->expires) != 20 || c->has_self_sig ||
		    identity_at(c->creator_id, c->cert_seq - 1, &cr) ||
		    verify_identity_as(&cr, 0) || strcmp(cr.role, "admin") ||
		    disabled_before(cr.id, c->cert_seq))
			return -1;
		enrol_cert_msg(c, &e);
		return crypto_sign_verify_detached(c->cert_sig, e.b, e.n, cr.sign_pk) == 0 ? 0 : -1;
	}
	if (c->expires[0] || !c->has_self_sig || identity_at(c->id, c->cert_seq - 1, &cr) ||
	    verify_identity_as(&cr, 1) || strcmp(cr.role, c->role))
		return -1;
	keys_msg(c, &cr, &e);
	if (crypto_sign_verify_detached(c->cert_sig, e.b, e.n, cr.sign_pk) ||
	    crypto_sign_verify_detached(c->self_sig, e.b, e.n, c->sign_pk))
		return -1;
	return made_at(c, &cr);
}

/* An identity that signs: the first admin's, or keys a user made. */
static int verify_identity(const struct ident *c)
{
	return verify_identity_as(c, 0);
}

/* §5.4 in full. */
static int verify_user(const struct user *u)
{
	struct ident sg, before;
	struct enc e;
	int pending = !strcmp(u->status, "pending"), active = !strcmp(u->status, "active");

	if (verify_identity_as(&u->c, 1))
		return -1;
	if (!pending && !active && strcmp(u->status, "disabled"))
		return -1;
	if ((pending && !is_enrolment(&u->c)) || (active && is_enrolment(&u->c)))
		return -1;
	if (identity_at(u->status_signer_id, u->status_seq, &sg) || verify_identity(&sg))
		return -1;
	status_msg(u, &e);
	if (crypto_sign_verify_detached(u->status_sig, e.b, e.n, sg.sign_pk))
		return -1;
	if (active) /* set by the enrolment that made the identity at that row */
		return sg.id == u->c.id && sg.cert_seq == u->status_seq &&
			       (is_root(&sg) || (!identity_at(sg.id, sg.cert_seq - 1, &before) &&
						 is_enrolment(&before)))
			   ? 0
			   : -1;
	return sg.id != u->c.id && !strcmp(sg.role, "admin") &&
		       !disabled_before(sg.id, u->status_seq)
		   ? 0
		   : -1;
}

/* §7.5 step 1: every users row in id order; returns the first bad id or 0. */
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

/* §7.5 step 2 (and §10.3): 0 when recovery_pk is the one user 1 signed. */
static int verify_recovery_pk(uint8_t rpk[PK_LEN])
{
	uint8_t rsig[SIG_LEN];
	struct ident root;
	struct enc e = {.n = 0};

	if (meta("recovery_pk", rpk, PK_LEN) || meta("recovery_sig", rsig, SIG_LEN) ||
	    identity_at(1, 1, &root) || verify_identity(&root))
		return -1;
	put_str(&e, "casevault-recovery-pk-v1");
	put(&e, vid, VID_LEN);
	put(&e, rpk, PK_LEN);
	assert_int_equal(e.n, 72);
	return crypto_sign_verify_detached(rsig, e.b, e.n, root.sign_pk) == 0 ? 0 : -1;
}

/* ---- the audit log (§7) ----------------------------------------------- */

struct tracked {
	char name[33];
	int64_t id, cert_seq, status_seq, keys_seq;
	int disabled;
	int64_t log_cert, log_status, log_keys;
};

struct log_stats {
	int64_t rows;
	int64_t checkpoints;
	int64_t unsigned_tail;
	int64_t bad_user; /* §7.5 step 6: first user whose record the log contradicts */
	uint8_t head[HASH_LEN];
	const char *why;
};

static int load_tracked(struct tracked *t, size_t cap)
{
	sqlite3_stmt *s = prep("SELECT id, name, cert_seq, status_seq, status, keys_seq FROM users"
			       " ORDER BY id");
	int n = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true((size_t)n < cap);
		t[n].id = sqlite3_column_int64(s, 0);
		assert_int_equal(copy_text(s, 1, t[n].name, sizeof(t[n].name)), 0);
		t[n].cert_seq = sqlite3_column_int64(s, 2);
		t[n].status_seq = sqlite3_column_int64(s, 3);
		assert_non_null(text(s, 4));
		t[n].disabled = strcmp(text(s, 4), "active") != 0;
		t[n].keys_seq = sqlite3_column_int64(s, 5);
		t[n].log_cert = t[n].log_status = t[n].log_keys = 1;
		n++;
	}
	sqlite3_finalize(s);
	return n;
}

static struct tracked *find_tracked(struct tracked *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* §7.5: the actions a refusal by role before login may name: those of §8
 * after case.read, the ones a command asks for. */
static int role_refusable(const char *action)
{
	static const char *const acts[] = {
	    "user.add",		"user.list",	    "user.passwd",   "user.disable",
	    "user.reset",	"config.set",	    "config.get",    "case.open",
	    "case.list",	"case.find",	    "case.show",     "case.close",
	    "case.reopen",	"case.share",	    "case.handover", "case.shred",
	    "consent.record",	"consent.withdraw", "note.add",	     "note.edit",
	    "note.finalize",	"note.amend",	    "note.show",     "test.add",
	    "referral.add",	"referral.update",  "referral.list", "watch.add",
	    "watch.list",	"watch.done",	    "audit.log",     "audit.verify",
	    "audit.checkpoint", "vkey.share",	    "vault.keys",    "user.enrol",
	    "user.rotate",	"stats.export",	    "duty.start",    "duty.end",
	    "duty.add",		"duty.list",	    "duty.hours",    "due",
	    "report.compliance"};

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strcmp(action, acts[i]))
			return 1;
	return 0;
}

/* §7.5: a failed login or enrolment, or a refusal by role before login,
 * the only rows that need no checkpoint (and, for a failed login or
 * enrolment, no existing, active actor). */
static int failed_login(const char *const f[6])
{
	static const char *const why[] = {"auth.unknown-user",	    "auth.record-malformed",
					  "auth.record-unverified", "auth.disabled",
					  "auth.wrong-passphrase",  "auth.keys-mismatch",
					  "auth.pending",	    "auth.vault-key"};
	static const char *const enrol_why[] = {
	    "auth.unknown-user", "auth.record-malformed", "auth.record-unverified",
	    "auth.disabled",	 "enrol.mistyped",	  "enrol.code",
	    "enrol.expired",	 "enrol.not-pending",	  "enrol.failed"};
	int enrol = !strcmp(f[2], "user.enrol");

	/* A refusal by role before login: of an action after case.read in
	 * the action list (§8), the ones a session is needed for. */
	if (!strcmp(f[4], "denied") && !strcmp(f[5], "policy.role"))
		return role_refusable(f[2]);
	if ((strcmp(f[2], "login") && !enrol) || !strcmp(f[4], "ok") || strncmp(f[3], "user:", 5) ||
	    strcmp(f[3] + 5, f[1]))
		return 0;
	for (size_t i = 0; !enrol && i < sizeof(why) / sizeof(why[0]); i++)
		if (!strcmp(f[5], why[i]))
			return 1;
	for (size_t i = 0; enrol && i < sizeof(enrol_why) / sizeof(enrol_why[0]); i++)
		if (!strcmp(f[5], enrol_why[i]))
			return 1;
	return 0;
}

/* §7.6: the log's commitments to stored rows, the latest per row, with
 * the id of the user who wrote it. */
struct commit {
	char table[32];
	int64_t rowid, seq, writer;
	int deleted;
	uint8_t hash[HASH_LEN];
};
static struct commit *commits;
static size_t ncommits;

/* Whether the user named was an admin at audit row seq (§5.3). */
static int admin_at(const char *name, int64_t seq)
{
	sqlite3_stmt *s = prep("SELECT id FROM users WHERE name = ?1");
	struct ident i;
	int64_t id = -1;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return id > 0 && identity_at(id, seq, &i) == 0 && !strcmp(i.role, "admin");
}

/* §7.6: only a successful user.disable (vault_keys, grants) or case.shred
 * (records, grants), by an admin, may commit to deleting a row. */
static int may_delete(const char *const f[6], int64_t seq, const char *table)
{
	const char *action = f[2];

	if (strcmp(f[4], "ok") || !admin_at(f[1], seq))
		return 0;
	if (!strcmp(action, "user.disable"))
		return !strcmp(table, "vault_keys") || !strcmp(table, "grants");
	if (!strcmp(action, "case.shred"))
		return !strcmp(table, "records") || !strcmp(table, "grants");
	return 0;
}

/* A hash field of §7.6: 64 lowercase hex digits (1), "-" (0), else -1. */
static int commit_hash(const char *x, uint8_t out[HASH_LEN])
{
	if (!strcmp(x, "-"))
		return 0;
	if (strlen(x) != 2 * HASH_LEN || strspn(x, "0123456789abcdef") != 2 * HASH_LEN ||
	    sodium_hex2bin(out, HASH_LEN, x, 2 * HASH_LEN, NULL, NULL, NULL))
		return -1;
	return 1;
}

/* §7.6: a signed 64-bit decimal as %lld writes it (no '+', no leading
 * zero, no "-0"); 0 into *out, or -1. */
static int commit_int(const char *x, int64_t *out)
{
	const char *d = x[0] == '-' ? x + 1 : x;
	char back[32];

	if (!d[0] || strspn(d, "0123456789") != strlen(d) || strlen(d) > 19 ||
	    (d[0] == '0' && (d[1] || d != x)))
		return -1;
	errno = 0;
	*out = strtoll(x, NULL, 10);
	snprintf(back, sizeof(back), "%lld", (long long)*out);
	return errno || strcmp(back, x) ? -1 : 0;
}

static int64_t user_id_named(const char *name)
{
	sqlite3_stmt *s = prep("SELECT id FROM users WHERE name = ?1");
	int64_t id = 0;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return id;
}

/* §7.6: "TABLE:ROWID:NEW:OLD", with ":SIGNER" for cases and records; each
 * OLD must be what the row's previous commitment left ("-" when none, or
 * a deletion), and in cases and records, SIGNER that commitment's writer. */
static int add_commits(const char *rows, int64_t seq, const char *const f[6])
{
	const char *p = rows;
	int64_t writer = user_id_named(f[1]), last_rowid = 0, signer = 0;
	char last_table[32] = "";

	while (*p) {
		const char *end = strchr(p, ' ');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char item[32 + 24 + 4 * HASH_LEN + 32], *field[6];
		struct commit k = {0}, *prev = NULL;
		uint8_t old[HASH_LEN];
		int nf = 0, signed_table, has_new, has_old;

		if (n >= sizeof(item))
			return -1;
		memcpy(item, p, n);
		item[n] = '\0';
		field[nf++] = item;
		for (char *c = item; *c; c++)
			if (*c == ':') {
				if (nf == 6)
					return -1;
				*c = '\0';
				field[nf++] = c + 1;
			}
		if (strlen(field[0]) == 0 || strlen(field[0]) >= sizeof(k.table))
			return -1;
		snprintf(k.table, sizeof(k.table), "%s", field[0]);
		signed_table = !strcmp(k.table, "cases") || !strcmp(k.table, "records");
		if (nf != (signed_table ? 5 : 4))
			return -1;
		if (commit_int(field[1], &k.rowid))
			return -1;
		/* sorted by table name, then rowid; one entry a row */
		if (last_table[0] && (strcmp(k.table, last_table) < 0 ||
				      (!strcmp(k.table, last_table) && k.rowid <= last_rowid)))
			return -1;
		snprintf(last_table, sizeof(last_table), "%s", k.table);
		last_rowid = k.rowid;
		k.seq = seq;
		k.writer = writer;
		has_new = commit_hash(field[2], k.hash);
		has_old = commit_hash(field[3], old);
		if (has_new < 0 || has_old < 0 || (!has_new && !has_old))
			return -1;
		if (!has_new) {
			if (!may_delete(f, seq, k.table))
				return -1;
			k.deleted = 1;
		}
		for (size_t i = 0; i < ncommits; i++)
			if (!strcmp(commits[i].table, k.table) && commits[i].rowid == k.rowid)
				prev = &commits[i];
		if (has_old ? !prev || prev->deleted || sodium_memcmp(prev->hash, old, HASH_LEN)
			    : prev && !prev->deleted) {
			fprintf(stderr,
				"(reader) row %s:%s changed outside the log before row %lld\n",
				k.table, field[1], (long long)seq);
			return -1;
		}
		if (signed_table &&
		    (has_old ? commit_int(field[4], &signer) || signer != prev->writer
			     : strcmp(field[4], "-"))) {
			fprintf(stderr, "(reader) row %s:%s: signer is not its writer\n", k.table,
				field[1]);
			return -1;
		}
		if (prev) {
			*prev = k;
		} else {
			commits = realloc(commits, (ncommits + 1) * sizeof(*commits));
			assert_non_null(commits);
			commits[ncommits++] = k;
		}
		p += n;
		if (*p == ' ')
			p++;
	}
	return 0;
}

/* §7.6 row hash of the current row of s ("SELECT rowid, * FROM t"). */
static void stored_row_hash(sqlite3_stmt *s, const char *table, uint8_t out[HASH_LEN])
{
	crypto_generichash_state h;
	uint8_t u[8], len[4];

#define LP(n)                                                                                      \
	do {                                                                                       \
		len[0] = (uint8_t)((n) >> 24);                                                     \
		len[1] = (uint8_t)((n) >> 16);                                                     \
		len[2] = (uint8_t)((n) >> 8);                                                      \
		len[3] = (uint8_t)(n);                                                             \
		crypto_generichash_update(&h, len, 4);                                             \
	} while (0)
	crypto_generichash_init(&h, NULL, 0, HASH_LEN);
	crypto_generichash_update(&h, (const uint8_t *)"casevault-row-v1", 16);
	LP((uint32_t)strlen(table));
	crypto_generichash_update(&h, (const uint8_t *)table, strlen(table));
	for (int i = 0; i < 8; i++)
		u[i] = (uint8_t)((uint64_t)sqlite3_column_int64(s, 0) >> (56 - 8 * i));
	crypto_generichash_update(&h, u, 8);
	for (int c = 1; c < sqlite3_column_count(s); c++) {
		const char *name = sqlite3_column_name(s, c);
		int type = sqlite3_column_type(s, c);
		uint8_t tag = type == SQLITE_INTEGER ? 1
			      : type == SQLITE_TEXT  ? 3
			      : type == SQLITE_BLOB  ? 4
						     : 0;

		assert_true(type != SQLITE_FLOAT); /* the schema has no REAL column */
		LP((uint32_t)strlen(name));
		crypto_generichash_update(&h, (const uint8_t *)name, strlen(name));
		crypto_generichash_update(&h, &tag, 1);
		if (type == SQLITE_INTEGER) {
			for (int i = 0; i < 8; i++)
				u[i] =
				    (uint8_t)((uint64_t)sqlite3_column_int64(s, c) >> (56 - 8 * i));
			LP(8u);
			crypto_generichash_update(&h, u, 8);
		} else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
			const void *p = type == SQLITE_TEXT
					    ? (const void *)sqlite3_column_text(s, c)
					    : sqlite3_column_blob(s, c);
			uint32_t n = (uint32_t)sqlite3_column_bytes(s, c);

			LP(n);
			crypto_generichash_update(&h, p, n);
		} else {
			LP(0u);
		}
	}
#undef LP
	crypto_generichash_final(&h, out, HASH_LEN);
}

/* The signer_id column of the current row of s, or -1. */
static int64_t row_signer(sqlite3_stmt *s)
{
	for (int c = 1; c < sqlite3_column_count(s); c++)
		if (!strcmp(sqlite3_column_name(s, c), "signer_id") &&
		    sqlite3_column_type(s, c) == SQLITE_INTEGER)
			return sqlite3_column_int64(s, c);
	return -1;
}

/* §7.5 step 7 (after verify_log has read the commitments): every stored row
 * of every table but audit is at its latest commitment; every committed row
 * that the log did not delete exists.  0, or -1 after naming the row. */
static int verify_rows(void)
{
	sqlite3_stmt *t =
	    prep("SELECT name FROM sqlite_schema WHERE type = 'table' AND"
		 " name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'audit' ORDER BY name");
	size_t seen = 0;
	int rc = 0;

	while (!rc && sqlite3_step(t) == SQLITE_ROW) {
		char table[64], sql[128];
		sqlite3_stmt *s;

		assert_int_equal(copy_text(t, 0, table, sizeof(table)), 0);
		snprintf(sql, sizeof(sql), "SELECT rowid, * FROM \"%s\"", table);
		s = prep(sql);
		while (!rc && sqlite3_step(s) == SQLITE_ROW) {
			uint8_t h[HASH_LEN];
			int64_t rowid = sqlite3_column_int64(s, 0);
			size_t i;

			stored_row_hash(s, table, h);
			for (i = 0; i < ncommits; i++)
				if (!strcmp(commits[i].table, table) && commits[i].rowid == rowid)
					break;
			if (i == ncommits || commits[i].deleted ||
			    sodium_memcmp(commits[i].hash, h, HASH_LEN) ||
			    ((!strcmp(table, "cases") || !strcmp(table, "records")) &&
			     row_signer(s) != commits[i].writer)) {
				fprintf(stderr, "(reader) row %lld of %s: not as committed\n",
					(long long)rowid, table);
				rc = -1;
			}
			seen++;
		}
		sqlite3_finalize(s);
	}
	sqlite3_finalize(t);
	for (size_t i = 0; !rc && i < ncommits; i++)
		if (!commits[i].deleted)
			seen--;
	if (!rc && seen != 0) {
		fprintf(stderr, "(reader) a committed row is missing\n");
		rc = -1;
	}
	return rc;
}

/* §7.5 steps 4-6; returns the seq of the first bad row (or the missing
 * seq), 0 if the chain is intact; st->bad_user then reports step 6. */
static int64_t verify_log(struct log_stats *st)
{
	sqlite3_stmt *s = prep("SELECT seq, time, actor, action, object, outcome, detail,"
			       " prev_hash, hash, sig, rows FROM audit ORDER BY seq");
	uint8_t prev[HASH_LEN], ph[HASH_LEN], h[HASH_LEN], want[HASH_LEN], sig[SIG_LEN];
	struct tracked users[16];
	char seg_actor[40] = "";
	int64_t expect = 1, bad = 0, seg_start = 0;
	int nusers = load_tracked(users, 16);
	struct ident signer;
	struct enc msg;

	memset(st, 0, sizeof(*st));
	free(commits);
	commits = NULL;
	ncommits = 0;
	genesis(vid, prev);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *f[7];
		int malformed = 0, has_sig = sqlite3_column_type(s, 9) != SQLITE_NULL;

		for (int i = 0; i < 6; i++)
			if (!(f[i] = text(s, i + 1)))
				malformed = 1;
		if (!(f[6] = text(s, 10)))
			malformed = 1;
		if (malformed || blob(s, 7, ph, HASH_LEN) || blob(s, 8, h, HASH_LEN) ||
		    (has_sig && blob(s, 9, sig, SIG_LEN))) {
			st->why = "malformed";
			bad = seq;
			break;
		}
		if (seq != expect) {
			st->why = "seq";
			bad = expect;
			break;
		}
		row_hash(prev, seq, f, f[6], want);
		if (sodium_memcmp(ph, prev, HASH_LEN) || sodium_memcmp(want, h, HASH_LEN)) {
			st->why = "hash";
			bad = seq;
			break;
		}
		if (f[6][0] && (failed_login(f) || add_commits(f[6], seq, f) != 0)) {
			st->why = "row commitments where none may be, or malformed";
			bad = seq;
			break;
		}
		if (!failed_login(f)) {
			struct tracked *w = find_tracked(users, nusers, f[1]);

			if (!w || (w->disabled && w->status_seq < seq)) {
				st->why = w ? "actor already disabled" : "actor not a user";
				bad = seq;
				break;
			}
		}
		if (!strcmp(f[2], "checkpoint")) {
			struct tracked *t = find_tracked(users, nusers, f[1]);

			checkpoint_msg(vid, rpk1, seq, h, &msg);
			if (!has_sig || !t || identity_at(t->id, seq, &signer) ||
			    verify_identity(&signer) ||
			    crypto_sign_verify_detached(sig, msg.b, msg.n, signer.sign_pk)) {
				st->why = "checkpoint signature";
				bad = seq;
				break;
			}
			if (seg_actor[0] && strcmp(seg_actor, f[1])) {
				st->why = "segment signed by another actor";
				bad = seg_start;
				break;
			}
			seg_actor[0] = '\0';
			st->checkpoints++;
			st->unsigned_tail = 0;
		} else {
			struct tracked *t;

			if (has_sig) {
				st->why = "signature on a row that is not a checkpoint";
				bad = seq;
				break;
			}
			st->unsigned_tail++;
			if (!failed_login(f)) {
				if (!seg_actor[0]) {
					snprintf(seg_actor, sizeof(seg_actor), "%s", f[1]);
					seg_start = seq;
				} else if (strcmp(seg_actor, f[1])) {
					st->why = "row by another actor inside a segment";
					bad = seq;
					break;
				}
			}
			if (!strcmp(f[4], "ok") && !strncmp(f[3], "user:", 5) &&
			    (t = find_tracked(users, nusers, f[3] + 5))) {
				int add = !strcmp(f[2], "user.add"),
				    reset = !strcmp(f[2], "user.reset"),
				    enrol = !strcmp(f[2], "user.enrol");

				if (add || reset || enrol || !strcmp(f[2], "user.rotate"))
					t->log_cert = seq;
				if (add || reset || enrol || !strcmp(f[2], "user.disable"))
					t->log_status = seq;
				if (add || reset || enrol || !strcmp(f[2], "user.rotate") ||
				    !strcmp(f[2], "user.passwd"))
					t->log_keys = seq;
			}
		}
		memcpy(prev, h, HASH_LEN);
		expect++;
		st->rows++;
	}
	sqlite3_finalize(s);
	if (!bad && seg_actor[0]) {
		st->why = "rows signed by no checkpoint";
		bad = seg_start;
	}
	memcpy(st->head, prev, HASH_LEN);
	for (int i = 0; i < nusers && !bad && !st->bad_user; i++)
		if (users[i].cert_seq != users[i].log_cert ||
		    users[i].status_seq != users[i].log_status ||
		    users[i].keys_seq != users[i].log_keys)
			st->bad_user = users[i].id;
	if (bad)
		fprintf(stderr, "(reader) audit row %lld: %s\n", (long long)bad, st->why);
	return bad;
}

/* Reads "label: value\n" at *p into out (cap bytes); -1 when it does not. */
static int line(const char **p, const char *label, char *out, size_t cap)
{
	size_t l = strlen(label);
	const char *end;

	if (strncmp(*p, label, l) || (*p)[l] != ':' || (*p)[l + 1] != ' ')
		return -1;
	*p += l + 2;
	end = strchr(*p, '\n');
	if (!end || (size_t)(end - *p) >= cap)
		return -1;
	memcpy(out, *p, (size_t)(end - *p));
	out[end - *p] = '\0';
	*p = end + 1;
	return 0;
}

static int unhex_ok(uint8_t *out, size_t len, const char *hex)
{
	size_t got = 0;

	return strlen(hex) == 2 * len &&
		       sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got, NULL) == 0 &&
		       got == len
		   ? 0
		   : -1;
}

/* §9: returns 0, or the number of the first check that fails. */
static int check_external(const char *text_in, char *signer_out, size_t cap)
{
	char v[64], size[24], head[80], signer[40], key[80], sig[160];
	uint8_t xv[VID_LEN], xh[HASH_LEN], xk[PK_LEN], xs[SIG_LEN], rh[HASH_LEN];
	const char *p = text_in;
	struct tracked users[16];
	struct tracked *t;
	struct ident at;
	struct enc msg;
	sqlite3_stmt *s;
	int64_t seq;
	int n = load_tracked(users, 16), found;

	if (strncmp(p, "casevault checkpoint v1\n", 24))
		return 1;
	p += 24;
	if (line(&p, "vault", v, sizeof(v)) || line(&p, "size", size, sizeof(size)) ||
	    line(&p, "head", head, sizeof(head)) || line(&p, "signer", signer, sizeof(signer)) ||
	    line(&p, "key", key, sizeof(key)) || line(&p, "signature", sig, sizeof(sig)) || *p ||
	    unhex_ok(xv, VID_LEN, v) || unhex_ok(xh, HASH_LEN, head) || unhex_ok(xk, PK_LEN, key) ||
	    unhex_ok(xs, SIG_LEN, sig) || !(size[0] >= '1' && size[0] <= '9') ||
	    strspn(size, "0123456789") != strlen(size))
		return 1;
	seq = strtoll(size, NULL, 10);
	if (signer_out)
		snprintf(signer_out, cap, "%s", signer);
	if (sodium_memcmp(xv, vid, VID_LEN))
		return 2;
	checkpoint_msg(xv, rpk1, seq, xh, &msg);
	if (crypto_sign_verify_detached(xs, msg.b, msg.n, xk))
		return 3;
	t = find_tracked(users, n, signer);
	if (!t || identity_at(t->id, seq, &at) || sodium_memcmp(at.sign_pk, xk, PK_LEN))
		return 4;
	if (scalar("SELECT count(*) FROM audit") < seq)
		return 5;
	s = prep("SELECT hash FROM audit WHERE seq = ?1");
	sqlite3_bind_int64(s, 1, seq);
	found = sqlite3_step(s) == SQLITE_ROW && blob(s, 0, rh, HASH_LEN) == 0;
	sqlite3_finalize(s);
	return found && !sodium_memcmp(rh, xh, HASH_LEN) ? 0 : 6;
}

/* ---- keys (§4, §6, §10) ------------------------------------------------- */

/* Unwraps u's secrets into out[96] (sodium_malloc'd by the caller) with
 * the AD of user ad_id; 0 on success, -1 when the tag does not verify. */
static int unwrap(const struct user *u, int64_t ad_id, const char *pass, uint8_t *out)
{
	uint8_t *key = sodium_malloc(KEY_LEN);
	struct enc ad = {.n = 0};
	int rc;

	assert_non_null(key);
	assert_int_equal(u->kdf_alg, 1);
	assert_true(u->kdf_t >= 2 && u->kdf_t <= 64);
	assert_true(u->kdf_m >= 19456 && u->kdf_m <= 1048576 && u->kdf_t * u->kdf_m <= 2097152);
	assert_true(u->kdf_p >= 1 && u->kdf_p <= 64 && u->kdf_m >= 8 * u->kdf_p);
	assert_int_equal(argon2_hash((uint32_t)u->kdf_t, (uint32_t)u->kdf_m, (uint32_t)u->kdf_p,
				     pass, strlen(pass), u->salt, SALT_LEN, key, KEY_LEN, NULL, 0,
				     Argon2_id, ARGON2_VERSION_13),
			 ARGON2_OK);
	put_str(&ad, "casevault-user-keys-v1");
	put(&ad, vid, VID_LEN);
	put_u64(&ad, (uint64_t)ad_id);
	put_u64(&ad, (uint64_t)u->keys_seq);
	assert_int_equal(ad.n, 54);
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
	assert_memory_equal(pk, u->c.box_pk, PK_LEN);
	assert_memory_equal(sec + 64, u->c.sign_pk, PK_LEN);
	assert_int_equal(crypto_sign_seed_keypair(pk, seedkp, sec + 32), 0);
	assert_memory_equal(pk, u->c.sign_pk, PK_LEN);
	assert_memory_equal(seedkp, sec + 32, 64);
	assert_int_equal(crypto_sign_detached(sig, NULL, m, sizeof(m), sec + 32), 0);
	assert_int_equal(crypto_sign_verify_detached(sig, m, sizeof(m), u->c.sign_pk), 0);
	sodium_free(seedkp);
}

/* A user's unwrapped secrets (sodium_malloc'd; free with sodium_free). */
static uint8_t *secrets_of(const char *name, const char *pass, struct user *u)
{
	uint8_t *sec = sodium_malloc(SECRETS_LEN);

	assert_non_null(sec);
	assert_int_equal(load_user(0, name, u), 0);
	assert_int_equal(unwrap(u, u->c.id, pass, sec), 0);
	check_secrets(u, sec);
	return sec;
}

/* §4.5: crypto_box_seal_open of an 80-byte sealed key. */
static int unseal(const uint8_t sealed[SEALED_LEN], const uint8_t pk[PK_LEN], const uint8_t sk[32],
		  uint8_t key[KEY_LEN])
{
	return crypto_box_seal_open(key, sealed, SEALED_LEN, pk, sk) == 0 ? 0 : -1;
}

/* ---- authenticated key copies (§4.5) ------------------------------------ */

#define COPY_BOX_LEN (KEY_LEN + 16)

/* A row of vault_keys or grants. */
struct copy {
	int64_t user_id, sender_id;
	char sent_at[21];
	uint8_t nonce[NONCE_LEN], box[COPY_BOX_LEN], sig[SIG_LEN];
	int has_sig;
};

/* §4.5: BLAKE2b-256("casevault-key-commit-v1" || key). */
static void key_commit(const uint8_t key[KEY_LEN], uint8_t out[HASH_LEN])
{
	struct enc e = {.n = 0};

	put_str(&e, "casevault-key-commit-v1");
	put(&e, key, KEY_LEN);
	b2b256(out, &e);
}

/* Loads the copy of `place` held by holder from table (vault_keys: place
 * is the key name; grants: the case id); -1 when missing or malformed. */
static int load_copy(const char *table, const char *place, int64_t holder, struct copy *c)
{
	char sql[160];
	sqlite3_stmt *s;
	int rc = -1;

	snprintf(sql, sizeof(sql),
		 "SELECT user_id, sender_id, sent_at, nonce, box, sig FROM %s WHERE %s = ?1 AND"
		 " user_id = ?2",
		 table, strcmp(table, "grants") == 0 ? "case_id" : "name");
	s = prep(sql);
	memset(c, 0, sizeof(*c));
	sqlite3_bind_text(s, 1, place, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, holder);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER &&
	    sqlite3_column_type(s, 1) == SQLITE_INTEGER &&
	    !copy_text(s, 2, c->sent_at, sizeof(c->sent_at)) && strlen(c->sent_at) == 20 &&
	    !blob(s, 3, c->nonce, NONCE_LEN) && !blob(s, 4, c->box, COPY_BOX_LEN)) {
		c->user_id = sqlite3_column_int64(s, 0);
		c->sender_id = sqlite3_column_int64(s, 1);
		c->has_sig = sqlite3_column_type(s, 5) != SQLITE_NULL;
		rc = c->has_sig && blob(s, 5, c->sig, SIG_LEN) ? -1 : 0;
	}
	sqlite3_finalize(s);
	return rc;
}

/* §4.5: the message a copy's signature covers. */
static void copy_msg(const char *table, const char *place, const struct copy *c,
		     const uint8_t commit[HASH_LEN], struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-key-copy-v1");
	put(e, vid, VID_LEN);
	put_lp(e, table);
	put_lp(e, place);
	put_u64(e, (uint64_t)c->user_id);
	put_u64(e, (uint64_t)c->sender_id);
	put_lp(e, c->sent_at);
	put(e, c->nonce, NONCE_LEN);
	put(e, c->box, COPY_BOX_LEN);
	put(e, commit, HASH_LEN);
}

static int verify_recovery_pk(uint8_t rpk[PK_LEN]);
static int verify_identity(const struct ident *c);
static int identity_at(int64_t id, int64_t at, struct ident *out);

/* §4.5: opens copy c with the holder's X25519 secret sk into key: from the
 * recovery key (sender 0, no signature), or from an identity the sender
 * has held that verifies, whose box key opens it and whose signing key
 * verifies its signature; *sender gets that identity (or role "" for the
 * recovery key).  0, or -1 when none does. */
static int open_copy(const char *table, const char *place, const struct copy *c,
		     const uint8_t sk[32], uint8_t key[KEY_LEN], struct ident *sender)
{
	uint8_t rpk[PK_LEN], commit[HASH_LEN];
	struct enc e;
	int64_t at = INT64_MAX;

	memset(sender, 0, sizeof(*sender));
	if (c->sender_id == 0)
		return !c->has_sig && verify_recovery_pk(rpk) == 0 &&
			       crypto_box_open_easy(key, c->box, COPY_BOX_LEN, c->nonce, rpk, sk) ==
				   0
			   ? 0
			   : -1;
	if (!c->has_sig)
		return -1;
	while (identity_at(c->sender_id, at, sender) == 0) {
		if (verify_identity(sender) == 0 &&
		    crypto_box_open_easy(key, c->box, COPY_BOX_LEN, c->nonce, sender->box_pk, sk) ==
			0) {
			key_commit(key, commit);
			copy_msg(table, place, c, commit, &e);
			if (crypto_sign_verify_detached(c->sig, e.b, e.n, sender->sign_pk) == 0)
				return 0;
		}
		at = sender->cert_seq - 1;
	}
	return -1;
}

/* §4.3: the stats public key and index commitment, checked against the
 * first admin's signature; 0 when they verify. */
static int vault_keys_public(uint8_t stats_pk[PK_LEN], uint8_t index_commit[HASH_LEN])
{
	uint8_t sig[SIG_LEN];
	struct ident root;
	struct enc e = {.n = 0};

	if (meta("stats_pk", stats_pk, PK_LEN) || meta("index_commit", index_commit, HASH_LEN) ||
	    meta("vault_keys_sig", sig, SIG_LEN) || identity_at(1, 1, &root) ||
	    verify_identity(&root))
		return -1;
	put_str(&e, "casevault-vault-keys-v1");
	put(&e, vid, VID_LEN);
	put(&e, stats_pk, PK_LEN);
	put(&e, index_commit, HASH_LEN);
	assert_int_equal(e.n, 103);
	return crypto_sign_verify_detached(sig, e.b, e.n, root.sign_pk) == 0 ? 0 : -1;
}

/* §4.3: the vault key `name` held by holder (0 = recovery), opened with
 * that holder's secret sk and checked as casevault does: who sent it (the
 * first admin for a recovery copy; the recovery key or a holder of the
 * key's role otherwise) and that it is the vault's key (the index key's
 * commitment, the stats secret key's public half).  0 or -1. */
static int vault_key(const char *name, int64_t holder, const uint8_t sk[32], uint8_t key[KEY_LEN])
{
	uint8_t stats_pk[PK_LEN], commit[HASH_LEN], got[HASH_LEN];
	struct ident sender;
	struct copy c;

	if (load_copy("vault_keys", name, holder, &c) || c.user_id != holder ||
	    open_copy("vault_keys", name, &c, sk, key, &sender) ||
	    vault_keys_public(stats_pk, commit))
		return -1;
	if (holder == 0
		? c.sender_id != 1 || strcmp(sender.role, "admin")
		: c.sender_id != 0 &&
		      strcmp(sender.role, !strcmp(name, "index") ? "counselor" : "supervisor"))
		return -1;
	if (!strcmp(name, "index")) {
		key_commit(key, got);
		return memcmp(got, commit, HASH_LEN) == 0 ? 0 : -1;
	}
	assert_int_equal(crypto_scalarmult_base(got, key), 0);
	return memcmp(got, stats_pk, PK_LEN) == 0 ? 0 : -1;
}

/* §10.1-10.2: the recovery key pair from a typed code. */
static void recovery_keys(const char *typed, uint8_t pk[PK_LEN], uint8_t sk[32])
{
	uint8_t raw[18], chk[HASH_LEN], ks[HASH_LEN];
	char hex[40];
	size_t n = 0;
	struct enc e = {.n = 0};

	for (const char *p = typed; *p; p++)
		if (*p != '-' && *p != ' ') {
			assert_true(n + 1 < sizeof(hex));
			hex[n++] = *p;
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
	assert_int_equal(crypto_box_seed_keypair(pk, sk, ks), 0);
}

/* ---- cases and records (§3.6, §3.8, §11, §12) ---------------------------- */

struct kase {
	char id[ID_CAP];
	char status[12];
	int64_t opened_by, version, signer_id;
	char opened_at[21], closed_at[21];
	uint8_t index_tag[HASH_LEN], key_commit[HASH_LEN];
	uint8_t recovery_key[SEALED_LEN];
	size_t recovery_len;
	uint8_t data_nonce[NONCE_LEN];
	size_t nonce_len;
	uint8_t data_box[1024], stats_box[512];
	size_t data_len, stats_len;
	uint8_t mac[HASH_LEN], sig[SIG_LEN];
};

static int var_blob(sqlite3_stmt *s, int col, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	if (sqlite3_column_type(s, col) != SQLITE_BLOB || n > cap)
		return -1;
	if (n)
		memcpy(out, sqlite3_column_blob(s, col), n);
	*len = n;
	return 0;
}

/* Loads a case (§3.6 types and sizes; a tombstone's recovery copy, nonce
 * and boxes are empty); -1 if malformed. */
static int load_case(const char *id, struct kase *k)
{
	sqlite3_stmt *s = prep("SELECT id, status, opened_by, opened_at, closed_at, version,"
			       " index_tag, key_commit, recovery_key, data_nonce, data_box,"
			       " stats_box, signer_id, mac, sig FROM cases WHERE id = ?1");
	int rc = -1;

	memset(k, 0, sizeof(*k));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW && !copy_text(s, 0, k->id, sizeof(k->id)) &&
	    !copy_text(s, 1, k->status, sizeof(k->status)) &&
	    !copy_text(s, 3, k->opened_at, sizeof(k->opened_at)) &&
	    !copy_text(s, 4, k->closed_at, sizeof(k->closed_at)) &&
	    !blob(s, 6, k->index_tag, HASH_LEN) && !blob(s, 7, k->key_commit, HASH_LEN) &&
	    !var_blob(s, 8, k->recovery_key, SEALED_LEN, &k->recovery_len) &&
	    !var_blob(s, 9, k->data_nonce, NONCE_LEN, &k->nonce_len) &&
	    !var_blob(s, 10, k->data_box, sizeof(k->data_box), &k->data_len) &&
	    !var_blob(s, 11, k->stats_box, sizeof(k->stats_box), &k->stats_len) &&
	    !blob(s, 13, k->mac, HASH_LEN) && !blob(s, 14, k->sig, SIG_LEN) &&
	    (k->recovery_len == SEALED_LEN ? k->nonce_len == NONCE_LEN
					   : k->recovery_len == 0 && k->nonce_len == 0)) {
		k->opened_by = sqlite3_column_int64(s, 2);
		k->version = sqlite3_column_int64(s, 5);
		k->signer_id = sqlite3_column_int64(s, 12);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Appends BLAKE2b-256 of two byte strings (the second may be empty). */
static void put_hash2(struct enc *e, const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	uint8_t h[HASH_LEN];

	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, HASH_LEN);
	crypto_generichash_update(&st, a, na);
	crypto_generichash_update(&st, b, nb);
	crypto_generichash_final(&st, h, HASH_LEN);
	put(e, h, HASH_LEN);
}

/* §3.6: the message a case row's signature covers. */
static void case_msg(const struct kase *k, struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-case-v1");
	put(e, vid, VID_LEN);
	put_lp(e, k->id);
	put_lp(e, k->status);
	put_u64(e, (uint64_t)k->opened_by);
	put_lp(e, k->opened_at);
	put_lp(e, k->closed_at);
	put_u64(e, (uint64_t)k->version);
	put(e, k->index_tag, HASH_LEN);
	put(e, k->key_commit, HASH_LEN);
	put_hash2(e, k->recovery_key, k->recovery_len, NULL, 0);
	put_hash2(e, k->data_nonce, k->nonce_len, k->data_box, k->data_len);
	put_hash2(e, k->stats_box, k->stats_len, NULL, 0);
	put_u64(e, (uint64_t)k->signer_id);
}

/* §3.6, §13: a signed row: mac is BLAKE2b-256 keyed with the case key
 * over msg (checked when key is not NULL), sig the signer's Ed25519 over
 * msg || mac under an identity the signer has held that verifies (into
 * *signer).  0 or -1. */
static int row_verify(struct enc *msg, int64_t signer_id, const uint8_t mac[HASH_LEN],
		      const uint8_t sig[SIG_LEN], const uint8_t *key, struct ident *signer)
{
	uint8_t want[HASH_LEN];
	int64_t at = INT64_MAX;

	if (key) {
		crypto_generichash(want, HASH_LEN, msg->b, msg->n, key, KEY_LEN);
		if (memcmp(want, mac, HASH_LEN) != 0)
			return -1;
	}
	put(msg, mac, HASH_LEN);
	while (identity_at(signer_id, at, signer) == 0) {
		if (verify_identity(signer) == 0 &&
		    crypto_sign_verify_detached(sig, msg->b, msg->n, signer->sign_pk) == 0)
			return 0;
		at = signer->cert_seq - 1;
	}
	return -1;
}

/* §3.6: case row k verifies: signed by a counselor (the opener at version
 * 1) or, for a tombstone, an admin; the mac under key when key is not
 * NULL.  The signer's identity in *signer.  0 or -1. */
static int case_verify(const struct kase *k, const uint8_t *key, struct ident *signer)
{
	struct enc e;
	int tomb = !strcmp(k->status, "shredded");

	case_msg(k, &e);
	if (row_verify(&e, k->signer_id, k->mac, k->sig, key, signer))
		return -1;
	if (strcmp(signer->role, tomb ? "admin" : "counselor"))
		return -1;
	if (!tomb && k->recovery_len == 0)
		return -1;
	return k->version == 1 && k->signer_id != k->opened_by ? -1 : 0;
}

struct rec {
	char id[ID_CAP], case_id[ID_CAP], type[ID_CAP], parent[ID_CAP], kind[ID_CAP],
	    status[ID_CAP];
	int64_t version, author_id;
	char created_at[21], updated_at[21], due[21];
	uint8_t nonce[NONCE_LEN];
	uint8_t box[4096];
	size_t box_len;
	uint8_t stats_box[512];
	size_t stats_len;
	int64_t signer_id;
	uint8_t mac[HASH_LEN], sig[SIG_LEN];
};

/* Loads a records row (§3.8 types and sizes); -1 when missing or malformed. */
static int load_rec(const char *id, struct rec *r)
{
	sqlite3_stmt *s = prep("SELECT id, case_id, type, parent, kind, status, version,"
			       " author_id, created_at, updated_at, due, nonce, box, signer_id,"
			       " mac, sig, stats_box FROM records WHERE id = ?1");
	int rc = -1;

	memset(r, 0, sizeof(*r));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	if (copy_text(s, 0, r->id, sizeof(r->id)) ||
	    copy_text(s, 1, r->case_id, sizeof(r->case_id)) ||
	    copy_text(s, 2, r->type, sizeof(r->type)) ||
	    copy_text(s, 3, r->parent, sizeof(r->parent)) ||
	    copy_text(s, 4, r->kind, sizeof(r->kind)) ||
	    copy_text(s, 5, r->status, sizeof(r->status)) ||
	    copy_text(s, 8, r->created_at, sizeof(r->created_at)) ||
	    copy_text(s, 9, r->updated_at, sizeof(r->updated_at)) ||
	    copy_text(s, 10, r->due, sizeof(r->due)) || blob(s, 11, r->nonce, NONCE_LEN) ||
	    var_blob(s, 12, r->box, sizeof(r->box), &r->box_len) ||
	    sqlite3_column_type(s, 13) != SQLITE_INTEGER || blob(s, 14, r->mac, HASH_LEN) ||
	    blob(s, 15, r->sig, SIG_LEN) ||
	    var_blob(s, 16, r->stats_box, sizeof(r->stats_box), &r->stats_len))
		goto out;
	r->version = sqlite3_column_int64(s, 6);
	r->author_id = sqlite3_column_int64(s, 7);
	r->signer_id = sqlite3_column_int64(s, 13);
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* §13: the message a record's signature covers. */
static void record_msg(const struct rec *r, struct enc *e)
{
	e->n = 0;
	put_str(e, "casevault-record-v2");
	put(e, vid, VID_LEN);
	put_lp(e, r->id);
	put_lp(e, r->case_id);
	put_lp(e, r->type);
	put_lp(e, r->parent);
	put_lp(e, r->kind);
	put_lp(e, r->status);
	put_u64(e, (uint64_t)r->version);
	put_u64(e, (uint64_t)r->author_id);
	put_lp(e, r->created_at);
	put_lp(e, r->updated_at);
	put_lp(e, r->due);
	put_hash2(e, r->nonce, NONCE_LEN, r->box, r->box_len);
	put_hash2(e, r->stats_box, r->stats_len, NULL, 0);
	put_u64(e, (uint64_t)r->signer_id);
}

/* §13: record r verifies: signed by a counselor, its author unless it is
 * a referral or a register entry; the mac under key when key is not NULL.
 * The signer's identity in *signer.  0 or -1. */
static int record_verify(const struct rec *r, const uint8_t *key, struct ident *signer)
{
	struct enc e;

	record_msg(r, &e);
	if (row_verify(&e, r->signer_id, r->mac, r->sig, key, signer) ||
	    strcmp(signer->role, "counselor"))
		return -1;
	return r->signer_id == r->author_id || !strcmp(r->type, "referral") ||
		       !strcmp(r->type, "watch")
		   ? 0
		   : -1;
}

/* §11.2: a record's body under the case key; NULL when it does not open. */
static char *open_rec(const struct rec *r, const uint8_t key[KEY_LEN], size_t *len)
{
	struct enc ad;

	content_ad(vid, r->type, r->case_id, r->id, r->version, &ad);
	return aead_open(key, r->nonce, r->box, r->box_len, &ad, len);
}

/* The id of the n-th (0-based) record of a type on a case, in created_at
 * then insertion order. */
static void rec_id(const char *cid, const char *type, int n, char out[ID_CAP])
{
	sqlite3_stmt *s = prep("SELECT id FROM records WHERE case_id = ?1 AND type = ?2"
			       " ORDER BY created_at, rowid LIMIT 1 OFFSET ?3");

	sqlite3_bind_text(s, 1, cid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 3, n);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(copy_text(s, 0, out, ID_CAP), 0);
	sqlite3_finalize(s);
}

/* §15: P- and n Crockford base32 characters. */
static int valid_id(const char *id, char prefix, size_t n)
{
	return strlen(id) == n + 2 && id[0] == prefix && id[1] == '-' &&
	       strspn(id + 2, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") == n;
}

/* date + days, both YYYY-MM-DD. */
static void date_add(const char *date, int days, char out[11])
{
	struct tm tm = {0};
	time_t t;

	assert_int_equal(sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday), 3);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;
	t = timegm(&tm) + (time_t)days * 86400;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The case key of case_id, opened from bob's grant with bob's current keys
 * and checked against the case's commitment (§3.7, §4.4). */
static void bob_case_key(const char *cid, uint8_t key[KEY_LEN])
{
	struct user bob;
	struct copy g;
	struct ident sender;
	struct kase k;
	uint8_t commit[HASH_LEN];
	uint8_t *sec = secrets_of("bob", BOB_RESET, &bob);

	assert_int_equal(load_copy("grants", cid, bob.c.id, &g), 0);
	assert_int_equal(open_copy("grants", cid, &g, sec, key, &sender), 0);
	assert_int_equal(load_case(cid, &k), 0);
	key_commit(key, commit);
	assert_memory_equal(commit, k.key_commit, HASH_LEN);
	sodium_free(sec);
}

/* ---- setup: a vault with a day of history, made through the public API -- */

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

static int count_case(const cv_case_info *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int ignore_row(const cv_audit_row *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

static int ignore_note(const cv_note_info *n, void *arg)
{
	(void)n;
	(void)arg;
	return 0;
}

/* Keeps what the program showed about a note, for the reader to compare. */
static int keep_note(const cv_note_info *n, void *arg)
{
	(void)arg;
	if (nshown >= (int)(sizeof(shown) / sizeof(shown[0])))
		return 1;
	snprintf(shown[nshown].id, ID_CAP, "%s", n->id);
	shown[nshown].after_withdrawal = n->after_withdrawal;
	shown[nshown].signature_ok = n->signature_ok;
	nshown++;
	return 0;
}

#define TRY(x)                                                                                     \
	do {                                                                                       \
		if ((x) != CV_OK) {                                                                \
			fprintf(stderr, "setup failed at %s: %s\n", #x, err.msg);                  \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

#define AS(name, pass)                                                                             \
	do {                                                                                       \
		cv_session_close(s);                                                               \
		if (!(s = login(v, name, pass, CV_OK)))                                            \
			goto out;                                                                  \
	} while (0)

static int setup(void **state)
{
	cv_case_input in = {STUDENT_ID, STUDENT_NAME, "F",	    7, "7B", "family",
			    NULL,	"Wang Fang",  "13800000000"};
	cv_case_input in2 = {"S-2024-0099", "Zhao Lei",	  "M",	8,   "8A",
			     "academic",    "2000-01-01", NULL, NULL};
	cv_consent_input c1 = {"student", "written", "2024-09-02", "referral-disclosure,individual",
			       NULL};
	cv_consent_input c2 = {"guardian", "oral", "2024-09-03", "individual,referral-disclosure",
			       "carol"};
	cv_consent_input c3 = {"student", "written", "2024-09-04", "individual", NULL};
	cv_referral_input ri = {"City Youth Clinic",	   "mental-health", "emotion", "urgent",
				"summary of two sessions", "2024-09-05"};
	cv_case_visitor vis = {.on_note = keep_note};
	cv_audit_filter f = {0};
	cv_audit_report rep;
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_err err = {0};
	int users = 0, dup = 0, delivered = 0, ok = -1;

	(void)state;
	TRY(cv_init(&err));
	if (tmpdir_make(dir, sizeof(dir), "format") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/vault.db", dir);
	TRY(cv_vault_create(path, "alice", ALICE_PASS, strlen(ALICE_PASS), &cheap_kdf, code, &err));
	TRY(cv_vault_open(path, &v, &err));

	/* alice (1) adds bob (2, counselor), carol (3, supervisor), dave (4,
	 * admin); each enrols with the code alice was given, with the vault's
	 * default KDF parameters.  bob first types a wrong code. */
	AS("alice", ALICE_PASS);
	TRY(cv_user_add(s, "bob", CV_ROLE_COUNSELOR, 0, enrol_code, &err));
	if (cv_user_enrol(v, "bob", "00000-00000-00000-00000", BOB_PASS, strlen(BOB_PASS), NULL,
			  &err) != CV_EAUTH)
		goto out;
	TRY(cv_user_enrol(v, "bob", enrol_code, BOB_PASS, strlen(BOB_PASS), NULL, &err));
	TRY(cv_user_add(s, "carol", CV_ROLE_SUPERVISOR, 0, enrol_code, &err));
	TRY(cv_user_enrol(v, "carol", enrol_code, CAROL_PASS, strlen(CAROL_PASS), NULL, &err));
	TRY(cv_user_add(s, "dave", CV_ROLE_ADMIN, 0, enrol_code, &err));
	TRY(cv_user_enrol(v, "dave", enrol_code, DAVE_PASS, strlen(DAVE_PASS), NULL, &err));
	/* The index key to bob, the stats key to carol, from the recovery
	 * copies (admins hold neither). */
	TRY(cv_vault_keys_deliver(s, code, &delivered, &err));

	/* dave adds erin (5): a certificate chain of length two. */
	AS("dave", DAVE_PASS);
	TRY(cv_user_add(s, "erin", CV_ROLE_COUNSELOR, 0, enrol_code, &err));
	TRY(cv_user_enrol(v, "erin", enrol_code, ERIN_PASS, strlen(ERIN_PASS), NULL, &err));
	TRY(cv_user_list(s, count_user, &users, &err));
	cv_session_close(s);
	s = NULL;

	/* A wrong passphrase: one unsigned login row. */
	if (login(v, "bob", "not bobs passphrase", CV_EAUTH) != NULL)
		goto out;

	/* bob changes his passphrase and is refused the audit log; then a
	 * counselor's day on a minor's case. */
	AS("bob", BOB_PASS);
	TRY(cv_user_passwd(s, BOB_NEW, strlen(BOB_NEW), &err));
	if (cv_audit_log(s, &f, ignore_row, NULL, &err) != CV_EDENIED)
		goto out;
	TRY(cv_case_open(s, &in, case_id, &dup, &err));
	TRY(cv_consent_record(s, case_id, &c1, &err));
	TRY(cv_consent_record(s, case_id, &c2, &err));
	TRY(cv_note_add(s, case_id, "session", NOTE1, strlen(NOTE1), NULL, note1, &err));
	TRY(cv_note_finalize(s, note1, &err));
	/* No testing consent: under the crisis exception. */
	TRY(cv_test_add(s, case_id, "SCL-90", "1.9", "retest in a month", CRISIS, test_id, &err));
	TRY(cv_referral_add(s, case_id, &ri, NULL, ref_id, &err));
	TRY(cv_referral_update(s, ref_id, "contacted", "2024-09-06", "called the intake desk",
			       &err));
	TRY(cv_watch_add(s, case_id, "left-behind", 14, &err));
	TRY(cv_case_share(s, case_id, "erin", &err));
	TRY(cv_consent_withdraw(s, case_id, "guardian", "referral-disclosure", "2024-09-10", &err));
	/* A second case (an adult student), to be shredded. */
	TRY(cv_case_open(s, &in2, case2_id, &dup, &err));
	TRY(cv_consent_record(s, case2_id, &c3, &err));
	TRY(cv_note_add(s, case2_id, "session", "to be shredded", 14, NULL, note3, &err));

	/* alice disables erin, shreds the second case and resets bob; she sets
	 * two settings, one of them twice (§3.10). */
	AS("alice", ALICE_PASS);
	TRY(cv_config_set(s, "duty_hours", "8", &err));
	TRY(cv_config_set(s, "timezone", "Asia/Shanghai", &err));
	TRY(cv_config_set(s, "duty_hours", "12", &err));
	TRY(cv_user_disable(s, "erin", &err));
	TRY(cv_case_shred(s, case2_id, SHRED_REASON, code, &err));
	TRY(cv_user_reset(s, "bob", code, 0, enrol_code, &err));
	cv_session_close(s);
	s = NULL;
	/* bob enrols again with the new code: his grant, re-sealed by the
	 * recovery key to the code's key, reaches his new keys. */
	TRY(cv_user_enrol(v, "bob", enrol_code, BOB_RESET, strlen(BOB_RESET), NULL, &err));
	if (login(v, "erin", ERIN_PASS, CV_EAUTH) != NULL)
		goto out;

	/* bob, with his new keys: a note drafted, edited and finalized, an
	 * addendum to it and an outcome note, both finalized. */
	AS("bob", BOB_RESET);
	{
		int listed = 0; /* a list writes one case.read row per case (§7.4) */

		TRY(cv_case_list(s, 1, count_case, &listed, &err));
		if (listed != 1)
			goto out;
	}
	TRY(cv_note_add(s, case_id, "analysis", NOTE2, strlen(NOTE2), NULL, note2, &err));
	TRY(cv_note_edit(s, note2, NOTE2B, strlen(NOTE2B), NULL, &err));
	TRY(cv_note_finalize(s, note2, &err));
	TRY(cv_note_amend(s, note2, NOTE4, strlen(NOTE4), NULL, note4, &err));
	TRY(cv_note_finalize(s, note4, &err));
	TRY(cv_note_add(s, case_id, "outcome", NOTE5, strlen(NOTE5), NULL, note5, &err));
	TRY(cv_note_finalize(s, note5, &err));
	TRY(cv_note_show(s, note1, ignore_note, NULL, &err));
	/* Refused: a name typed where ids belong, a note already final, an
	 * unknown note. */
	if (cv_case_show(s, TYPED, 0, NULL, &vis, NULL, &err) != CV_ENOTFOUND ||
	    cv_referral_update(s, TYPED, "contacted", NULL, NULL, &err) != CV_ENOTFOUND ||
	    cv_note_finalize(s, note1, &err) != CV_EDENIED ||
	    cv_note_show(s, "N-000000", ignore_note, NULL, &err) != CV_ENOTFOUND) {
		fprintf(stderr, "setup: a refusal did not happen as expected: %s\n", err.msg);
		goto out;
	}
	/* R4: every note final and signed, so the case closes. */
	TRY(cv_case_close(s, case_id, &err));
	TRY(cv_case_show(s, case_id, 0, NULL, &vis, NULL, &err));

	/* carol makes new key pairs (same passphrase), then takes an external
	 * checkpoint, verifies, reads the log. */
	AS("carol", CAROL_PASS);
	TRY(cv_user_rotate(s, CAROL_PASS, strlen(CAROL_PASS), &err));
	TRY(cv_audit_checkpoint(s, &checkpoint_text, &err));
	TRY(cv_audit_verify(s, checkpoint_text, &rep, &err));
	TRY(cv_audit_log(s, &f, ignore_row, NULL, &err));
	ok = users == 5 && dup == 0 && nshown == 4 && delivered == 2 ? 0 : -1;
out:
	cv_session_close(s);
	cv_vault_close(v);
	if (ok != 0)
		return -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    meta("vault_id", vid, VID_LEN) != 0)
		return -1;
	{
		/* §10.3: row 1 (vault.init) ends with " recovery=HEX". */
		sqlite3_stmt *q = prep("SELECT detail FROM audit WHERE seq = 1 AND"
				       " action = 'vault.init'");
		const char *d = sqlite3_step(q) == SQLITE_ROW ? text(q, 0) : NULL;
		const char *r = d ? strstr(d, " recovery=") : NULL;
		int bad = !r || strlen(r + 10) != 2 * PK_LEN ||
			  sodium_hex2bin(rpk1, PK_LEN, r + 10, 2 * PK_LEN, NULL, NULL, NULL);

		sqlite3_finalize(q);
		return bad ? -1 : 0;
	}
}

/* Per test: rolls back what a failed test left open, so that one failure
 * stays one. */
static int no_open_transaction(void **state)
{
	(void)state;
	if (!sqlite3_get_autocommit(db))
		return sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	db = NULL;
	free(checkpoint_text);
	checkpoint_text = NULL;
	sodium_memzero(code, sizeof(code));
	sodium_memzero(enrol_code, sizeof(enrol_code));
	return tmpdir_remove(dir);
}

/* ---- shared by the tests ---------------------------------------------------- */

/* How many audit rows match where. */
static int count_rows(const char *where)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE %s", where);
	return (int)scalar(sql);
}

/* Exactly one audit row matches where, with ?1 bound to arg. */
static void one_row(const char *where, const char *arg)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE %s", where);
	if (scalar1(sql, arg) != 1)
		fail_msg("no single audit row where %s (?1 = %s)", where, arg);
}

#pragma GCC diagnostic pop

#endif /* CV_FORMAT_READER_H */

/*
 * test_format.c - docs/FORMAT.md checked by an independent reader.
 *
 * The public API (casevault.h) is used only to create a vault and a day of
 * activity in it: users, a reset, a case with consent, notes (one edited,
 * one finalized before and three after the author's reset, one of them an
 * addendum), a test under the crisis exception, a referral and its
 * follow-up, a register entry, a share, a consent withdrawal, a counselor
 * disabled (revoking her keys), refusals that quote no typed text, the
 * case closed, and a second case that is shredded; what the program showed
 * about the notes is kept.  Every check after that reads the file with raw
 * SQL and re-implements the format from FORMAT.md with sqlite3, libsodium
 * and libargon2 alone: the audit chain with its actor, segment and
 * users-against-log rules, identity chains through key_history with the
 * disabled-signer rule, the recovery key, the external checkpoint,
 * unwrapping keys from passphrases, unsealing vault and case keys (also
 * with the recovery code), decrypting every kind of ciphertext under its
 * documented associated data, the exact JSON bodies, note signatures over
 * kind and parent, the withdrawal marking, the blind index, ids and
 * shredding.  Tampering inside rolled-back transactions shows the reader
 * refuses what it must.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <argon2.h>
#include <sodium.h>
#include <sqlite3.h>

#include "casevault.h"

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

static char dir[64];
static char path[128];
static char code[CV_RECOVERY_CODE_LEN + 1];
static char *checkpoint_text;
static sqlite3 *db;
static uint8_t vid[VID_LEN];
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

/* §13: the message a final note's signature covers. */
static void note_final_msg(const uint8_t v[VID_LEN], const char *cid, const char *nid,
			   const char *kind, const char *parent, int64_t version,
			   const uint8_t nonce[NONCE_LEN], const uint8_t *box, size_t boxlen,
			   struct enc *e)
{
	uint8_t h[HASH_LEN];
	struct enc nb = {.n = 0};

	put(&nb, nonce, NONCE_LEN);
	put(&nb, box, boxlen);
	b2b256(h, &nb);
	e->n = 0;
	put_str(e, "casevault-note-final-v1");
	put(e, v, VID_LEN);
	put_lp(e, cid);
	put_lp(e, nid);
	put_lp(e, kind);
	put_lp(e, parent);
	put_u64(e, (uint64_t)version);
	put(e, h, HASH_LEN);
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
};

#define USER_SQL                                                                                   \
	"SELECT id, name, role, status, box_pk, sign_pk, cert_seq, creator_id, cert_sig,"          \
	" status_seq, status_signer_id, status_sig, kdf_alg, kdf_t, kdf_m, kdf_p, kdf_salt,"       \
	" key_nonce, key_box, created FROM users"

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
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* Fills an identity from columns: name, role, box_pk, sign_pk, cert_seq,
 * creator_id, cert_sig. */
static int read_ident(sqlite3_stmt *s, int64_t id, struct ident *c)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	if (copy_text(s, 0, c->name, sizeof(c->name)) ||
	    copy_text(s, 1, c->role, sizeof(c->role)) || blob(s, 2, c->box_pk, PK_LEN) ||
	    blob(s, 3, c->sign_pk, PK_LEN) || blob(s, 6, c->cert_sig, SIG_LEN))
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

	s = prep("SELECT name, role, box_pk, sign_pk, cert_seq, creator_id, cert_sig FROM users"
		 " WHERE id = ?1 AND cert_seq <= ?2");
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	if (sqlite3_step(s) == SQLITE_ROW && read_ident(s, id, &cur) == 0)
		have_cur = 1;
	sqlite3_finalize(s);
	s = prep("SELECT u.name, h.role, h.box_pk, h.sign_pk, h.cert_seq, h.creator_id,"
		 " h.cert_sig FROM key_history h JOIN users u ON u.id = h.user_id"
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

/* §5.1 */
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

/* §5.4 "disabled before": user id's current row says it was disabled at a
 * row before seq (a missing row counts as disabled). */
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

/* §5.4 steps 1-3; 0 when the identity chain verifies. */
static int verify_identity(const struct ident *c)
{
	struct ident cr;
	struct enc e;

	if (!valid_name(c->name) || !valid_role(c->role))
		return -1;
	cert_msg(c, &e);
	if (c->id == 1 && c->cert_seq == 1)
		return c->creator_id == 1 && !strcmp(c->role, "admin") &&
			       crypto_sign_verify_detached(c->cert_sig, e.b, e.n, c->sign_pk) == 0
			   ? 0
			   : -1;
	if (c->creator_id == c->id || c->cert_seq < 2 ||
	    identity_at(c->creator_id, c->cert_seq - 1, &cr) || verify_identity(&cr) ||
	    strcmp(cr.role, "admin") || disabled_before(cr.id, c->cert_seq))
		return -1;
	return crypto_sign_verify_detached(c->cert_sig, e.b, e.n, cr.sign_pk) == 0 ? 0 : -1;
}

/* §5.4 in full. */
static int verify_user(const struct user *u)
{
	struct ident sg;
	struct enc e;

	if (verify_identity(&u->c))
		return -1;
	if (strcmp(u->status, "active") && strcmp(u->status, "disabled"))
		return -1;
	if (identity_at(u->status_signer_id, u->status_seq, &sg))
		return -1;
	if (sg.id == u->c.id && !(u->c.id == 1 && u->status_seq == 1))
		return -1;
	if (verify_identity(&sg) || strcmp(sg.role, "admin"))
		return -1;
	if (sg.id != u->c.id && disabled_before(sg.id, u->status_seq))
		return -1;
	status_msg(u, &e);
	return crypto_sign_verify_detached(u->status_sig, e.b, e.n, sg.sign_pk) == 0 ? 0 : -1;
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
	int64_t id, cert_seq, status_seq;
	int disabled;
	int64_t log_cert, log_status;
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
	sqlite3_stmt *s = prep("SELECT id, name, cert_seq, status_seq, status FROM users"
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
		t[n].log_cert = t[n].log_status = 1;
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

/* §7.5: a failed login, the only row that needs no checkpoint and no
 * existing, active actor. */
static int failed_login(const char *const f[6])
{
	static const char *const why[] = {
	    "unknown user",	"user record malformed", "user record fails verification",
	    "account disabled", "wrong passphrase",	 "user keys fail verification"};

	if (strcmp(f[2], "login") || !strcmp(f[4], "ok") || strncmp(f[3], "user:", 5) ||
	    strcmp(f[3] + 5, f[1]))
		return 0;
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (!strcmp(f[5], why[i]))
			return 1;
	return 0;
}

/* §7.5 steps 4-6; returns the seq of the first bad row (or the missing
 * seq), 0 if the chain is intact; st->bad_user then reports step 6. */
static int64_t verify_log(struct log_stats *st)
{
	sqlite3_stmt *s = prep("SELECT seq, time, actor, action, object, outcome, detail,"
			       " prev_hash, hash, sig FROM audit ORDER BY seq");
	uint8_t prev[HASH_LEN], ph[HASH_LEN], h[HASH_LEN], want[HASH_LEN], sig[SIG_LEN];
	struct tracked users[16];
	char seg_actor[40] = "";
	int64_t expect = 1, bad = 0, seg_start = 0;
	int nusers = load_tracked(users, 16);
	struct ident signer;
	struct enc msg;

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
			st->why = "malformed";
			bad = seq;
			break;
		}
		if (seq != expect) {
			st->why = "seq";
			bad = expect;
			break;
		}
		row_hash(prev, seq, f, want);
		if (sodium_memcmp(ph, prev, HASH_LEN) || sodium_memcmp(want, h, HASH_LEN)) {
			st->why = "hash";
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

			checkpoint_msg(vid, seq, h, &msg);
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
				if (!strcmp(f[2], "user.add") || !strcmp(f[2], "user.reset"))
					t->log_cert = seq;
				if (!strcmp(f[2], "user.add") || !strcmp(f[2], "user.disable"))
					t->log_status = seq;
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
		    users[i].status_seq != users[i].log_status)
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
	checkpoint_msg(xv, seq, xh, &msg);
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
	assert_true(u->kdf_m >= 19456 && u->kdf_m <= 4194304);
	assert_true(u->kdf_p >= 1 && u->kdf_p <= 64 && u->kdf_m >= 8 * u->kdf_p);
	assert_int_equal(argon2_hash((uint32_t)u->kdf_t, (uint32_t)u->kdf_m, (uint32_t)u->kdf_p,
				     pass, strlen(pass), u->salt, SALT_LEN, key, KEY_LEN, NULL, 0,
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

/* One 80-byte BLOB from sql with ?1 text and ?2 integer; -1 if none. */
static int sealed_row(const char *sql, const char *a, int64_t b, uint8_t out[SEALED_LEN])
{
	sqlite3_stmt *s = prep(sql);
	int rc = -1;

	sqlite3_bind_text(s, 1, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, b);
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = blob(s, 0, out, SEALED_LEN);
	sqlite3_finalize(s);
	return rc;
}

/* The vault key `name` sealed to holder (0 = recovery), opened with pk/sk. */
static int vault_key(const char *name, int64_t holder, const uint8_t pk[PK_LEN],
		     const uint8_t sk[32], uint8_t key[KEY_LEN])
{
	uint8_t sealed[SEALED_LEN];

	if (sealed_row("SELECT sealed FROM vault_keys WHERE name = ?1 AND user_id = ?2", name,
		       holder, sealed))
		return -1;
	return unseal(sealed, pk, sk, key);
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
	int64_t opened_by, version;
	char opened_at[21], closed_at[21];
	uint8_t index_tag[HASH_LEN];
	uint8_t recovery_key[SEALED_LEN];
	uint8_t data_nonce[NONCE_LEN], stats_nonce[NONCE_LEN];
	uint8_t data_box[1024], stats_box[512];
	size_t data_len, stats_len;
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

/* Loads an open or closed case (§3.6 types and sizes); -1 if malformed. */
static int load_case(const char *id, struct kase *k)
{
	sqlite3_stmt *s = prep("SELECT id, status, opened_by, opened_at, closed_at, version,"
			       " index_tag, recovery_key, data_nonce, data_box, stats_nonce,"
			       " stats_box FROM cases WHERE id = ?1");
	int rc = -1;

	memset(k, 0, sizeof(*k));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW && !copy_text(s, 0, k->id, sizeof(k->id)) &&
	    !copy_text(s, 1, k->status, sizeof(k->status)) &&
	    !copy_text(s, 3, k->opened_at, sizeof(k->opened_at)) &&
	    !copy_text(s, 4, k->closed_at, sizeof(k->closed_at)) &&
	    !blob(s, 6, k->index_tag, HASH_LEN) && !blob(s, 7, k->recovery_key, SEALED_LEN) &&
	    !blob(s, 8, k->data_nonce, NONCE_LEN) &&
	    !var_blob(s, 9, k->data_box, sizeof(k->data_box), &k->data_len) &&
	    !blob(s, 10, k->stats_nonce, NONCE_LEN) &&
	    !var_blob(s, 11, k->stats_box, sizeof(k->stats_box), &k->stats_len)) {
		k->opened_by = sqlite3_column_int64(s, 2);
		k->version = sqlite3_column_int64(s, 5);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

struct rec {
	char id[ID_CAP], case_id[ID_CAP], type[ID_CAP], parent[ID_CAP], kind[ID_CAP],
	    status[ID_CAP];
	int64_t version, author_id;
	char created_at[21], updated_at[21], due[21];
	uint8_t nonce[NONCE_LEN];
	uint8_t box[4096];
	size_t box_len;
	int has_sig;
	uint8_t sig[SIG_LEN];
};

/* Loads a records row (§3.8 types and sizes); -1 when missing or malformed. */
static int load_rec(const char *id, struct rec *r)
{
	sqlite3_stmt *s = prep("SELECT id, case_id, type, parent, kind, status, version,"
			       " author_id, created_at, updated_at, due, nonce, box, sig"
			       " FROM records WHERE id = ?1");
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
	    var_blob(s, 12, r->box, sizeof(r->box), &r->box_len))
		goto out;
	r->version = sqlite3_column_int64(s, 6);
	r->author_id = sqlite3_column_int64(s, 7);
	if (sqlite3_column_type(s, 13) != SQLITE_NULL) {
		if (blob(s, 13, r->sig, SIG_LEN))
			goto out;
		r->has_sig = 1;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
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

/* The case key of case_id, opened from bob's grant with bob's current keys. */
static void bob_case_key(const char *cid, uint8_t key[KEY_LEN])
{
	struct user bob;
	uint8_t sealed[SEALED_LEN];
	uint8_t *sec = secrets_of("bob", BOB_RESET, &bob);

	assert_int_equal(sealed_row("SELECT sealed_key FROM grants WHERE case_id = ?1 AND"
				    " user_id = ?2",
				    cid, bob.c.id, sealed),
			 0);
	assert_int_equal(unseal(sealed, bob.c.box_pk, sec, key), 0);
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
	cv_kdf_params kdf = {2, 19456, 1};
	cv_case_input in = {STUDENT_ID, STUDENT_NAME, "F",	    7, "7B", "family",
			    NULL,	"Wang Fang",  "13800000000"};
	cv_case_input in2 = {"S-2024-0099", "Zhao Lei",	  "M",	8,   "8A",
			     "academic",    "2000-01-01", NULL, NULL};
	cv_consent_input c1 = {"student", "written", "2024-09-02", "referral-disclosure,individual",
			       NULL};
	cv_consent_input c2 = {"guardian", "oral", "2024-09-03", "individual,referral-disclosure",
			       "carol"};
	cv_consent_input c3 = {"student", "written", "2024-09-04", "individual", NULL};
	cv_referral_input ri = {"City Youth Clinic", "emotion", "urgent", "summary of two sessions",
				"2024-09-05"};
	cv_case_visitor vis = {.on_note = keep_note};
	cv_audit_filter f = {0};
	cv_audit_report rep;
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_err err = {0};
	int users = 0, dup = 0, ok = -1;

	(void)state;
	TRY(cv_init(&err));
	snprintf(dir, sizeof(dir), "/tmp/cv-format-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/vault.db", dir);
	TRY(cv_vault_create(path, "alice", ALICE_PASS, strlen(ALICE_PASS), &kdf, code, &err));
	TRY(cv_vault_open(path, &v, &err));

	/* alice (1) adds bob (2, counselor), carol (3, supervisor), dave (4, admin). */
	AS("alice", ALICE_PASS);
	TRY(cv_user_add(s, "bob", CV_ROLE_COUNSELOR, BOB_PASS, strlen(BOB_PASS), NULL, &err));
	TRY(cv_user_add(s, "carol", CV_ROLE_SUPERVISOR, CAROL_PASS, strlen(CAROL_PASS), NULL,
			&err));
	TRY(cv_user_add(s, "dave", CV_ROLE_ADMIN, DAVE_PASS, strlen(DAVE_PASS), NULL, &err));

	/* dave adds erin (5): a certificate chain of length two. */
	AS("dave", DAVE_PASS);
	TRY(cv_user_add(s, "erin", CV_ROLE_COUNSELOR, ERIN_PASS, strlen(ERIN_PASS), NULL, &err));
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

	/* alice disables erin, shreds the second case and resets bob. */
	AS("alice", ALICE_PASS);
	TRY(cv_user_disable(s, "erin", &err));
	TRY(cv_case_shred(s, case2_id, SHRED_REASON, code, &err));
	TRY(cv_user_reset(s, "bob", code, BOB_RESET, strlen(BOB_RESET), &err));
	cv_session_close(s);
	s = NULL;
	if (login(v, "erin", ERIN_PASS, CV_EAUTH) != NULL)
		goto out;

	/* bob, with his new keys: a note drafted, edited and finalized, an
	 * addendum to it and an outcome note, both finalized. */
	AS("bob", BOB_RESET);
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
	    cv_note_finalize(s, note1, &err) != CV_EUSAGE ||
	    cv_note_show(s, "N-000000", ignore_note, NULL, &err) != CV_ENOTFOUND) {
		fprintf(stderr, "setup: a refusal did not happen as expected: %s\n", err.msg);
		goto out;
	}
	/* R4: every note final and signed, so the case closes. */
	TRY(cv_case_close(s, case_id, &err));
	TRY(cv_case_show(s, case_id, 0, NULL, &vis, NULL, &err));

	/* carol takes an external checkpoint, verifies, reads the log. */
	AS("carol", CAROL_PASS);
	TRY(cv_audit_checkpoint(s, &checkpoint_text, &err));
	TRY(cv_audit_verify(s, checkpoint_text, &rep, &err));
	TRY(cv_audit_log(s, &f, ignore_row, NULL, &err));
	ok = users == 5 && dup == 0 && nshown == 4 ? 0 : -1;
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

/* §20: the documented vectors come out of this reader's code. */
static void test_vectors(void **state)
{
	static const char *const r1[6] = {"2024-01-02T03:04:05Z",
					  "alice",
					  "vault.init",
					  "vault",
					  "ok",
					  "admin=alice kdf=argon2id t=2 m=19456 p=1"};
	static const char *const r2[6] = {
	    "2024-01-02T03:04:05Z", "alice", "checkpoint", "audit", "ok", ""};
	uint8_t v[VID_LEN], g[HASH_LEN], h1[HASH_LEN], h2[HASH_LEN];
	uint8_t seed[16], chk[HASH_LEN], ks[HASH_LEN], pk[PK_LEN], sk[32], key[32], salt[16];
	uint8_t ck[KEY_LEN], nonce[NONCE_LEN], ik[KEY_LEN], box[5 + TAG_LEN], tag[HASH_LEN];
	unsigned long long blen = 0;
	struct enc e = {.n = 0}, ad;
	char *pt;

	(void)state;
	for (int i = 0; i < 16; i++) {
		v[i] = (uint8_t)i;
		seed[i] = (uint8_t)i;
		salt[i] = (uint8_t)(0xa0 + i);
	}
	genesis(v, g);
	assert_hex(g, HASH_LEN, "84eee3efe2acd3c936e9d1d35419d9c3a041f672a80e0c7718d36534a18838d2");
	row_hash(g, 1, r1, h1);
	assert_hex(h1, HASH_LEN,
		   "bcceb2520799ccb32040a3b53d38c72d89c579026cf3016dd3b46adb3bca7968");
	row_hash(h1, 2, r2, h2);
	assert_hex(h2, HASH_LEN,
		   "60d44662a26752db1d52c94a30a43b4822852d67cf0be915e03feb3bb89376f2");
	checkpoint_msg(v, 2, h2, &e);
	assert_int_equal(e.n, 79);

	e.n = 0;
	put_str(&e, "casevault-recovery-check-v1");
	put(&e, seed, 16);
	b2b256(chk, &e);
	assert_hex(chk, 2, "0109");
	e.n = 0;
	put_str(&e, "casevault-recovery-key-v1");
	put(&e, seed, 16);
	b2b256(ks, &e);
	assert_hex(ks, 32, "0ce1c028b7c8c0ae351acf98babd9f901b89b6a33b5d9d68dd9694a205297643");
	assert_int_equal(crypto_box_seed_keypair(pk, sk, ks), 0);
	assert_hex(pk, 32, "c0f8803abd348cc2a8a34866bfb6a06627152fa639fa8e1f5c4d25eeab9d6824");
	assert_hex(sk, 32, "e40117a0499137723e02cfd8c50edcbcaa88cc2d0199c9adfbc61af02d7195b4");

	assert_int_equal(
	    argon2id_hash_raw(2, 19456, 1, "correct horse battery staple", 28, salt, 16, key, 32),
	    ARGON2_OK);
	assert_hex(key, 32, "7d66e56edf52b232c967d2af5776633e0a01f76cca1f482feec7042298767d15");

	/* §11.1 content AD, the AEAD under it, §13 and §14. */
	content_ad(v, "note", "C-7KQ2M", "N-4F9QK2", 1, &ad);
	assert_int_equal(ad.n, 70);
	assert_hex(ad.b, ad.n,
		   "636173657661756c742d61642d7631000102030405060708090a0b0c0d0e0f000000046e6f74"
		   "6500000007432d374b51324d000000084e2d344639514b320000000000000001");
	for (int i = 0; i < 32; i++) {
		ck[i] = (uint8_t)(0x40 + i);
		ik[i] = (uint8_t)(0x80 + i);
	}
	for (int i = 0; i < NONCE_LEN; i++)
		nonce[i] = (uint8_t)(0x60 + i);
	crypto_aead_xchacha20poly1305_ietf_encrypt(box, &blen, (const uint8_t *)"hello", 5, ad.b,
						   ad.n, NULL, nonce, ck);
	assert_int_equal(blen, sizeof(box));
	assert_hex(box, sizeof(box), "fd1b9f091c1c2f23864e4e0ba37a25d6ea5ec7c88e");
	pt = aead_open(ck, nonce, box, sizeof(box), &ad, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "hello");
	free(pt);
	note_final_msg(v, "C-7KQ2M", "N-4F9QK2", "session", "", 1, nonce, box, sizeof(box), &e);
	assert_int_equal(e.n, 117);
	assert_hex(e.b, e.n,
		   "636173657661756c742d6e6f74652d66696e616c2d7631000102030405060708090a0b0c0d0e0f"
		   "00000007432d374b51324d000000084e2d344639514b320000000773657373696f6e00000000"
		   "0000000000000001a0713ae79b671dc3fa1ec286bddea28de70c43ced4c1ca5d26f65656895066"
		   "12");
	content_ad(v, "case-stats", "C-7KQ2M", "C-7KQ2M", 2, &ad);
	assert_int_equal(ad.n, 75);
	assert_hex(ad.b, ad.n,
		   "636173657661756c742d61642d7631000102030405060708090a0b0c0d0e0f0000000a63617365"
		   "2d737461747300000007432d374b51324d00000007432d374b51324d0000000000000002");
	blind_index(ik, "s-2024 0042", tag);
	assert_hex(tag, HASH_LEN,
		   "be82eb1fb8f4fada54d9d1c0c8e9060602b2b094cce6b4ab9dd7801723e19466");
}

/* §2, §3: the SQLite header, the tables and the meta keys. */
static void test_file_header(void **state)
{
	static const char *const tables[] = {"audit", "cases",	 "grants", "key_history",
					     "meta",  "records", "users",  "vault_keys"};
	static const char *const indexes[] = {"audit_by_object", "cases_by_tag", "grants_by_user",
					      "records_by_case"};
	uint8_t hdr[100];
	FILE *fp = fopen(path, "rb");
	sqlite3_stmt *s;
	size_t n = 0;

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
		assert_true(n < 8);
		assert_string_equal(text(s, 0), tables[n]);
		assert_non_null(strstr(text(s, 1), ") STRICT"));
		n++;
	}
	sqlite3_finalize(s);
	assert_int_equal(n, 8);
	n = 0;
	s = prep("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE"
		 " 'sqlite_%' ORDER BY name");
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(n < 4);
		assert_string_equal(text(s, 0), indexes[n++]);
	}
	sqlite3_finalize(s);
	assert_int_equal(n, 4);
	assert_int_equal(scalar("SELECT count(*) FROM sqlite_schema WHERE type IN ('view',"
				" 'trigger')"),
			 0);
	/* Foreign keys as documented. */
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('records')"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('grants')"), 2);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('cases')"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('key_history')"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('vault_keys')"), 0);

	/* §3.1: init writes exactly four keys; the settings are absent. */
	assert_int_equal(scalar("SELECT count(*) FROM meta"), 4);
	assert_int_equal(scalar("SELECT count(*) FROM meta WHERE key IN ('vault_id',"
				" 'kdf_default', 'recovery_pk', 'recovery_sig')"),
			 4);
}

/* §3.1, §10: meta values, the recovery code and the recovery key signature. */
static void test_meta_and_recovery(void **state)
{
	uint8_t kd[12], rpk[PK_LEN], rsig[SIG_LEN], pk[PK_LEN], sk[32];
	struct ident root;
	struct enc e = {.n = 0};

	(void)state;
	assert_int_equal(meta("kdf_default", kd, sizeof(kd)), 0);
	assert_memory_equal(kd, "\0\0\0\2\0\0\x4c\0\0\0\0\1", 12); /* t=2 m=19456 p=1 */
	assert_int_equal(meta("recovery_sig", rsig, SIG_LEN), 0);

	/* 36 lowercase hex digits in 9 groups of 4. */
	assert_int_equal(strlen(code), 44);
	for (size_t i = 0; i < 44; i++) {
		if (i % 5 == 4)
			assert_int_equal(code[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", code[i]));
	}
	recovery_keys(code, pk, sk);
	assert_int_equal(verify_recovery_pk(rpk), 0);
	assert_memory_equal(pk, rpk, PK_LEN);

	/* §10.3: signed by user 1's first identity, over this exact message;
	 * user 1 was never reset, so that is the users row. */
	assert_int_equal(identity_at(1, 1, &root), 0);
	assert_int_equal(root.cert_seq, 1);
	assert_int_equal(scalar("SELECT count(*) FROM key_history WHERE user_id = 1"), 0);
	put_str(&e, "casevault-recovery-pk-v1");
	put(&e, vid, VID_LEN);
	put(&e, rpk, PK_LEN);
	assert_int_equal(crypto_sign_verify_detached(rsig, e.b, e.n, root.sign_pk), 0);
	e.b[e.n - 1] ^= 1;
	assert_int_not_equal(crypto_sign_verify_detached(rsig, e.b, e.n, root.sign_pk), 0);
}

/* §3.2, §3.3, §5: identities, statuses, key_history and their seqs. */
static void test_user_certificates(void **state)
{
	struct user u, erin, bob;
	struct ident old, c;
	struct enc e;
	sqlite3_stmt *s;
	int64_t add_bob, reset_bob, add_erin, dis_erin;
	int count;

	(void)state;
	assert_int_equal(verify_users(&count), 0);
	assert_int_equal(count, 5);
	add_bob = scalar("SELECT seq FROM audit WHERE action = 'user.add' AND object = 'user:bob'"
			 " AND outcome = 'ok'");
	reset_bob = scalar("SELECT seq FROM audit WHERE action = 'user.reset' AND outcome = 'ok'");
	add_erin = scalar("SELECT seq FROM audit WHERE action = 'user.add' AND object ="
			  " 'user:erin' AND outcome = 'ok'");
	dis_erin = scalar("SELECT seq FROM audit WHERE action = 'user.disable' AND outcome = 'ok'");

	assert_int_equal(load_user(0, "alice", &u), 0);
	assert_int_equal(u.c.id, 1);
	assert_int_equal(u.c.cert_seq, 1);
	assert_int_equal(u.c.creator_id, 1);
	assert_int_equal(u.status_seq, 1);
	assert_int_equal(u.status_signer_id, 1);

	/* erin: created by dave, disabled by alice at the user.disable row. */
	assert_int_equal(load_user(0, "erin", &erin), 0);
	assert_int_equal(erin.c.id, 5);
	assert_int_equal(erin.c.creator_id, 4);
	assert_int_equal(erin.c.cert_seq, add_erin);
	assert_string_equal(erin.status, "disabled");
	assert_int_equal(erin.status_seq, dis_erin);
	assert_int_equal(erin.status_signer_id, 1);

	/* bob: reset by alice; his first identity is in key_history. */
	assert_int_equal(load_user(0, "bob", &bob), 0);
	assert_int_equal(bob.c.cert_seq, reset_bob);
	assert_int_equal(bob.c.creator_id, 1);
	assert_int_equal(bob.status_seq, add_bob);
	assert_int_equal(bob.status_signer_id, 1);
	assert_int_equal(scalar("SELECT count(*) FROM key_history"), 1);
	s = prep("SELECT user_id, cert_seq, role, creator_id, retired_seq FROM key_history");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(s, 0), 2);
	assert_int_equal(sqlite3_column_int64(s, 1), add_bob);
	assert_string_equal(text(s, 2), "counselor");
	assert_int_equal(sqlite3_column_int64(s, 3), 1);
	assert_int_equal(sqlite3_column_int64(s, 4), reset_bob);
	sqlite3_finalize(s);
	assert_int_equal(identity_at(2, reset_bob - 1, &old), 0);
	assert_int_equal(old.cert_seq, add_bob);
	assert_memory_not_equal(old.sign_pk, bob.c.sign_pk, PK_LEN);
	assert_int_equal(verify_identity(&old), 0);
	assert_int_equal(identity_at(2, reset_bob, &c), 0);
	assert_memory_equal(c.sign_pk, bob.c.sign_pk, PK_LEN);
	assert_int_not_equal(identity_at(2, add_bob - 1, &c), 0);

	/* The signatures cover what FORMAT.md says: change one field, it fails. */
	snprintf(erin.c.role, sizeof(erin.c.role), "admin");
	assert_int_not_equal(verify_identity(&erin.c), 0);
	assert_int_equal(load_user(5, NULL, &erin), 0);
	erin.c.cert_seq++;
	assert_int_not_equal(verify_identity(&erin.c), 0);
	assert_int_equal(load_user(5, NULL, &erin), 0);
	snprintf(erin.status, sizeof(erin.status), "active");
	assert_int_not_equal(verify_user(&erin), 0);
	assert_int_equal(load_user(5, NULL, &erin), 0);
	erin.status_seq = add_erin;
	assert_int_not_equal(verify_user(&erin), 0);

	/* bob's identity is signed by alice, not by bob himself. */
	cert_msg(&bob.c, &e);
	assert_int_not_equal(crypto_sign_verify_detached(bob.c.cert_sig, e.b, e.n, bob.c.sign_pk),
			     0);
	assert_int_equal(load_user(1, NULL, &u), 0);
	assert_int_equal(crypto_sign_verify_detached(bob.c.cert_sig, e.b, e.n, u.c.sign_pk), 0);
	assert_int_equal(e.n, 134 + strlen("bob") + strlen("counselor"));
	status_msg(&bob, &e);
	assert_int_equal(e.n, 68 + strlen("active"));
}

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

/* §7, §8: the chain, every checkpoint signature, and the vocabulary. */
static void test_audit_chain(void **state)
{
	static const char *const actions[] = {"vault.init",
					      "user.add",
					      "user.list",
					      "user.passwd",
					      "user.disable",
					      "user.reset",
					      "audit.log",
					      "audit.verify",
					      "audit.checkpoint",
					      "login",
					      "checkpoint",
					      "case.open",
					      "case.list",
					      "case.find",
					      "case.show",
					      "case.close",
					      "case.reopen",
					      "case.share",
					      "case.handover",
					      "case.shred",
					      "consent.record",
					      "consent.withdraw",
					      "note.add",
					      "note.edit",
					      "note.finalize",
					      "note.amend",
					      "note.show",
					      "test.add",
					      "referral.add",
					      "referral.update",
					      "referral.list",
					      "watch.add",
					      "watch.list",
					      "watch.done",
					      "crisis"};
	char obj[64], crisis_id[ID_CAP], detail[160], watch_id[ID_CAP], verify_detail[96];
	struct log_stats st;
	sqlite3_stmt *s;
	int64_t n = scalar("SELECT count(*) FROM audit"), vseq;

	(void)state;
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 0);
	assert_int_equal(st.rows, n);
	assert_int_equal(st.unsigned_tail, 0);
	assert_int_equal(scalar("SELECT max(seq) FROM audit"), n);
	/* One checkpoint per transaction: every row but failed logins is in one,
	 * and the crisis row shares its action's transaction. */
	assert_int_equal(st.checkpoints, count_rows("action NOT IN ('checkpoint', 'login',"
						    " 'crisis')"));
	assert_int_equal(count_rows("sig IS NOT NULL"), st.checkpoints);
	assert_int_equal(count_rows("action = 'checkpoint' AND (object <> 'audit' OR outcome <>"
				    " 'ok' OR detail <> '' OR sig IS NULL)"),
			 0);

	s = prep("SELECT action, outcome FROM audit");
	while (sqlite3_step(s) == SQLITE_ROW) {
		size_t i;

		for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
			if (!strcmp(text(s, 0), actions[i]))
				break;
		if (i == sizeof(actions) / sizeof(actions[0]))
			fail_msg("action '%s' is not in FORMAT.md §8", text(s, 0));
		assert_true(!strcmp(text(s, 1), "ok") || !strcmp(text(s, 1), "denied") ||
			    !strcmp(text(s, 1), "failed"));
	}
	sqlite3_finalize(s);

	/* Users. */
	assert_int_equal(count_rows("seq = 1 AND actor = 'alice' AND action = 'vault.init' AND"
				    " object = 'vault' AND detail = 'admin=alice kdf=argon2id t=2"
				    " m=19456 p=1'"),
			 1);
	assert_int_equal(count_rows("seq = 2 AND action = 'checkpoint' AND actor = 'alice'"), 1);
	assert_int_equal(count_rows("action = 'user.add' AND object = 'user:erin' AND actor ="
				    " 'dave' AND outcome = 'ok' AND detail = 'role=counselor'"),
			 1);
	assert_int_equal(count_rows("action = 'user.add' AND object = 'user:carol' AND detail ="
				    " 'role=supervisor'"),
			 1);
	assert_int_equal(count_rows("action = 'user.list' AND object = 'users' AND detail = ''"),
			 1);
	assert_int_equal(count_rows("action = 'login' AND actor = 'bob' AND object = 'user:bob'"
				    " AND outcome = 'failed' AND detail = 'wrong passphrase' AND"
				    " sig IS NULL"),
			 1);
	assert_int_equal(count_rows("action = 'login' AND actor = 'erin' AND outcome = 'failed'"
				    " AND detail = 'account disabled'"),
			 1);
	assert_int_equal(count_rows("action = 'user.passwd' AND actor = 'bob' AND object ="
				    " 'user:bob' AND outcome = 'ok' AND detail = ''"),
			 1);
	assert_int_equal(count_rows("action = 'audit.log' AND actor = 'bob' AND outcome ="
				    " 'denied' AND object = 'audit'"),
			 1);
	/* §8.1: a denial keeps its message (it names the user, role, command). */
	assert_int_equal(
	    count_rows("action = 'audit.log' AND actor = 'bob' AND outcome ="
		       " 'denied' AND detail NOT IN ('', 'invalid input', 'not found')"
		       " AND instr(detail, 'bob') > 0 AND instr(detail, 'audit log') > 0"),
	    1);
	assert_int_equal(count_rows("action = 'user.disable' AND object = 'user:erin' AND"
				    " actor = 'alice' AND detail = 'status=disabled'"),
			 1);
	assert_int_equal(count_rows("action = 'user.reset' AND object = 'user:bob' AND actor ="
				    " 'alice' AND detail = 'new keys; 1 cases re-sealed with the"
				    " recovery key'"),
			 1);

	/* Cases and records: students appear only as case ids. */
	snprintf(obj, sizeof(obj), "case:%s", case_id);
	one_row("action = 'case.open' AND object = ?1 AND actor = 'bob' AND detail = ''", obj);
	one_row("action = 'consent.record' AND object = ?1 AND detail = 'by=student"
		" scope=individual,referral-disclosure'",
		obj);
	one_row("action = 'consent.record' AND object = ?1 AND detail = 'by=guardian"
		" scope=individual,referral-disclosure'",
		obj);
	one_row("action = 'consent.withdraw' AND object = ?1 AND detail = 'by=guardian"
		" scope=referral-disclosure'",
		obj);
	one_row("action = 'case.share' AND object = ?1 AND detail = 'to=erin'", obj);
	rec_id(case_id, "crisis", 0, crisis_id);
	snprintf(detail, sizeof(detail),
		 "break-glass %s for test.add without testing consent; awaiting supervisor review",
		 crisis_id);
	assert_int_equal(scalar1("SELECT count(*) FROM audit a JOIN audit t ON t.seq = a.seq + 1"
				 " WHERE a.action = 'crisis' AND a.outcome = 'ok' AND a.detail ="
				 " ?1 AND t.action = 'test.add'",
				 detail),
			 1);
	one_row("action = 'crisis' AND object = ?1", obj);
	snprintf(obj, sizeof(obj), "test:%s", test_id);
	one_row("action = 'test.add' AND object = ?1 AND detail = ''", obj);
	snprintf(obj, sizeof(obj), "note:%s", note1);
	one_row("action = 'note.add' AND object = ?1 AND detail = 'session'", obj);
	one_row("action = 'note.finalize' AND object = ?1 AND detail = 'signed'", obj);
	one_row("action = 'note.show' AND object = ?1 AND actor = 'bob' AND detail = ''", obj);
	snprintf(obj, sizeof(obj), "note:%s", note2);
	one_row("action = 'note.add' AND object = ?1 AND detail = 'analysis'", obj);
	one_row("action = 'note.edit' AND object = ?1 AND detail = ''", obj);
	snprintf(obj, sizeof(obj), "referral:%s", ref_id);
	one_row("action = 'referral.add' AND object = ?1 AND detail = ''", obj);
	one_row("action = 'referral.update' AND object = ?1 AND detail = 'contacted'", obj);
	/* The urgency is nowhere in the log. */
	assert_int_equal(count_rows("instr(detail, 'urgen') > 0"), 0);
	snprintf(obj, sizeof(obj), "note:%s", note2);
	snprintf(detail, sizeof(detail), "addendum %s", note4);
	assert_int_equal(scalar1("SELECT count(*) FROM audit WHERE action = 'note.amend' AND"
				 " outcome = 'ok' AND detail = ?1 AND object = (SELECT 'note:' ||"
				 " parent FROM records WHERE id = substr(?1, 10))",
				 detail),
			 1);
	one_row("action = 'note.amend' AND object = ?1", obj);
	snprintf(obj, sizeof(obj), "note:%s", note5);
	one_row("action = 'note.add' AND object = ?1 AND detail = 'outcome'", obj);
	snprintf(obj, sizeof(obj), "case:%s", case_id);
	one_row("action = 'case.close' AND object = ?1 AND actor = 'bob' AND outcome = 'ok' AND"
		" detail = ''",
		obj);

	/* §8.1: refusals log the kind of failure; a typed name that is not an id
	 * becomes '?', and reaches no column of the log. */
	assert_int_equal(count_rows("action = 'case.show' AND object = 'case:?' AND actor = 'bob'"
				    " AND outcome = 'failed' AND detail = 'not found'"),
			 1);
	assert_int_equal(count_rows("action = 'referral.update' AND object = 'referral:?' AND"
				    " outcome = 'failed' AND detail = 'not found'"),
			 1);
	assert_int_equal(count_rows("action = 'note.show' AND object = 'note:N-000000' AND"
				    " outcome = 'failed' AND detail = 'not found'"),
			 1);
	snprintf(obj, sizeof(obj), "note:%s", note1);
	one_row("action = 'note.finalize' AND object = ?1 AND outcome = 'failed' AND detail ="
		" 'invalid input'",
		obj);
	assert_int_equal(scalar1("SELECT count(*) FROM audit WHERE instr(actor || action || object"
				 " || outcome || detail, ?1) > 0",
				 TYPED),
			 0);
	/* Every refusal's detail follows §8.1: never empty. */
	assert_int_equal(count_rows("outcome <> 'ok' AND detail = ''"), 0);
	rec_id(case_id, "watch", 0, watch_id);
	snprintf(obj, sizeof(obj), "watch:%s", watch_id);
	one_row("action = 'watch.add' AND object = ?1 AND detail = 'every 14d'", obj);
	snprintf(obj, sizeof(obj), "case:%s", case2_id);
	one_row("action = 'case.shred' AND object = ?1 AND actor = 'alice' AND detail = "
		"'reason: " SHRED_REASON "'",
		obj);

	/* carol's verify counted the rows and checkpoints before it. */
	vseq = scalar("SELECT seq FROM audit WHERE action = 'audit.verify'");
	snprintf(verify_detail, sizeof(verify_detail),
		 "rows=%lld checkpoints=%lld users=5"
		 " external=ok",
		 (long long)(vseq - 1),
		 (long long)scalar("SELECT count(*) FROM audit WHERE action = 'checkpoint' AND"
				   " seq < (SELECT seq FROM audit WHERE action = 'audit.verify')"));
	one_row("action = 'audit.verify' AND actor = 'carol' AND detail = ?1", verify_detail);
	assert_int_equal(count_rows("action = 'audit.checkpoint' AND object = 'audit'"), 1);
	/* The last row is carol's signed checkpoint after her audit.log. */
	assert_int_equal(count_rows("seq = (SELECT max(seq) FROM audit) AND action ="
				    " 'checkpoint' AND actor = 'carol'"),
			 1);
	assert_int_equal(count_rows("seq = (SELECT max(seq) - 1 FROM audit) AND action ="
				    " 'audit.log' AND actor = 'carol'"),
			 1);
}

/* §9: the external checkpoint file. */
static void test_external_checkpoint(void **state)
{
	char signer[40];
	struct user carol;
	int64_t seq;

	(void)state;
	assert_non_null(checkpoint_text);
	assert_int_equal(check_external(checkpoint_text, signer, sizeof(signer)), 0);
	assert_string_equal(signer, "carol");
	assert_int_equal(load_user(0, "carol", &carol), 0);
	assert_non_null(strstr(checkpoint_text, "\nsigner: carol\n"));
	/* Row `size` is carol's checkpoint after her audit.checkpoint row. */
	seq = strtoll(strstr(checkpoint_text, "\nsize: ") + 7, NULL, 10);
	assert_int_equal(scalar("SELECT seq FROM audit WHERE action = 'audit.checkpoint'") + 1,
			 seq);
	{
		char q[96];

		snprintf(q, sizeof(q), "seq = %lld AND action = 'checkpoint' AND actor = 'carol'",
			 (long long)seq);
		assert_int_equal(count_rows(q), 1);
	}
	/* Another vault id, or a changed head, is refused. */
	{
		char *t = strdup(checkpoint_text);
		char *p;

		assert_non_null(t);
		p = strstr(t, "vault: ") + 7;
		*p = *p == '0' ? '1' : '0';
		assert_int_equal(check_external(t, NULL, 0), 2);
		free(t);
		t = strdup(checkpoint_text);
		assert_non_null(t);
		p = strstr(t, "head: ") + 6;
		*p = *p == '0' ? '1' : '0';
		assert_int_equal(check_external(t, NULL, 0), 3);
		free(t);
	}
}

/* §6: derive the key from the passphrase and unwrap the secret keys. */
static void test_unwrap_keys(void **state)
{
	uint8_t *sec = sodium_malloc(SECRETS_LEN);
	struct user bob, alice, erin, carol;

	(void)state;
	assert_non_null(sec);
	assert_int_equal(load_user(0, "bob", &bob), 0);
	assert_int_equal(bob.kdf_t, 2);
	assert_int_equal(bob.kdf_m, 19456);
	assert_int_equal(bob.kdf_p, 1);
	assert_int_equal(unwrap(&bob, bob.c.id, BOB_RESET, sec), 0);
	check_secrets(&bob, sec);
	/* Earlier passphrases no longer open it; the AD binds the user id. */
	assert_int_not_equal(unwrap(&bob, bob.c.id, BOB_NEW, sec), 0);
	assert_int_not_equal(unwrap(&bob, bob.c.id, BOB_PASS, sec), 0);
	assert_int_not_equal(unwrap(&bob, 1, BOB_RESET, sec), 0);

	assert_int_equal(load_user(1, NULL, &alice), 0);
	assert_int_equal(unwrap(&alice, 1, ALICE_PASS, sec), 0);
	check_secrets(&alice, sec);
	assert_int_equal(load_user(0, "carol", &carol), 0);
	assert_int_equal(unwrap(&carol, carol.c.id, CAROL_PASS, sec), 0);
	check_secrets(&carol, sec);
	/* A disabled user's keys are still wrapped the same way. */
	assert_int_equal(load_user(0, "erin", &erin), 0);
	assert_int_equal(unwrap(&erin, erin.c.id, ERIN_PASS, sec), 0);
	check_secrets(&erin, sec);
	sodium_free(sec);
}

/* §3.5, §4.3: who holds which vault key, and they are the same keys; the
 * disabled counselor holds none. */
static void test_vault_keys(void **state)
{
	static const struct {
		const char *name;
		const char *pass;
		int index;
	} holders[] = {{"alice", ALICE_PASS, 1},
		       {"bob", BOB_RESET, 1},
		       {"carol", CAROL_PASS, 0},
		       {"dave", DAVE_PASS, 1}};
	uint8_t stats[KEY_LEN], index[KEY_LEN], k[KEY_LEN], rpk[PK_LEN], rsk[32];
	struct user u, erin;
	uint8_t *esec;

	(void)state;
	/* Recovery 2, alice 2, bob 2, carol 1 (stats), dave 2; erin's 2 deleted. */
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys"), 9);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE user_id = 0"), 2);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys v JOIN users u ON u.id ="
				" v.user_id WHERE u.status <> 'active'"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE user_id <> 0 AND user_id"
				" NOT IN (SELECT id FROM users)"),
			 0);
	esec = secrets_of("erin", ERIN_PASS, &erin);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE user_id = 5"), 0);
	assert_int_not_equal(vault_key("stats", erin.c.id, erin.c.box_pk, esec, k), 0);
	assert_int_not_equal(vault_key("index", erin.c.id, erin.c.box_pk, esec, k), 0);
	sodium_free(esec);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE name NOT IN ('stats',"
				" 'index') OR length(sealed) <> 80 OR typeof(sealed) <> 'blob'"),
			 0);
	recovery_keys(code, rpk, rsk);
	assert_int_equal(vault_key("stats", 0, rpk, rsk, stats), 0);
	assert_int_equal(vault_key("index", 0, rpk, rsk, index), 0);
	assert_memory_not_equal(stats, index, KEY_LEN);
	for (size_t i = 0; i < sizeof(holders) / sizeof(holders[0]); i++) {
		uint8_t *sec = secrets_of(holders[i].name, holders[i].pass, &u);

		assert_int_equal(vault_key("stats", u.c.id, u.c.box_pk, sec, k), 0);
		assert_memory_equal(k, stats, KEY_LEN);
		if (holders[i].index) {
			assert_int_equal(vault_key("index", u.c.id, u.c.box_pk, sec, k), 0);
			assert_memory_equal(k, index, KEY_LEN);
		} else {
			assert_int_equal(
			    scalar1("SELECT count(*) FROM vault_keys WHERE name ="
				    " 'index' AND user_id = (SELECT id FROM users WHERE"
				    " name = ?1)",
				    holders[i].name),
			    0);
		}
		/* One holder's row does not open with another's key. */
		assert_int_not_equal(vault_key("stats", 0, u.c.box_pk, sec, k), 0);
		sodium_free(sec);
	}
}

/* §3.7, §4.4: case keys from grants and from the recovery copy. */
static void test_case_keys(void **state)
{
	uint8_t key[KEY_LEN], k[KEY_LEN], sealed[SEALED_LEN], rpk[PK_LEN], rsk[32];
	struct kase c;
	struct user erin, bob;
	uint8_t *sec;

	(void)state;
	bob_case_key(case_id, key);
	assert_int_equal(load_case(case_id, &c), 0);
	/* The recovery code opens the recovery copy: the same key. */
	recovery_keys(code, rpk, rsk);
	assert_int_equal(unseal(c.recovery_key, rpk, rsk, k), 0);
	assert_memory_equal(k, key, KEY_LEN);
	/* erin was shared the case, then disabled: her grant went with the
	 * account, though her key pair still unwraps. */
	sec = secrets_of("erin", ERIN_PASS, &erin);
	assert_int_equal(erin.c.id, 5);
	assert_int_not_equal(sealed_row("SELECT sealed_key FROM grants WHERE case_id = ?1 AND"
					" user_id = ?2",
					case_id, erin.c.id, sealed),
			     0);
	assert_int_equal(scalar("SELECT count(*) FROM grants WHERE user_id = 5"), 0);
	sodium_free(sec);
	assert_int_equal(count_rows("action = 'case.share' AND detail = 'to=erin' AND outcome ="
				    " 'ok'"),
			 1);
	/* Grants: bob only (opened; re-sealed by alice at the reset). */
	assert_int_equal(load_user(0, "bob", &bob), 0);
	assert_int_equal(scalar1("SELECT count(*) FROM grants WHERE case_id = ?1", case_id), 1);
	assert_int_equal(scalar("SELECT count(*) FROM grants"), 1);
	assert_int_equal(scalar1("SELECT granted_by FROM grants WHERE case_id = ?1 AND user_id ="
				 " 2",
				 case_id),
			 1);
	assert_int_equal(scalar1("SELECT count(*) FROM grants WHERE case_id = ?1 AND"
				 " length(granted_at) = 20 AND length(sealed_key) = 80",
				 case_id),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM grants g JOIN users u ON u.id = g.user_id"
				" WHERE u.status <> 'active'"),
			 0);
	/* The old box key (bob before the reset) is gone from users. */
	assert_int_equal(scalar("SELECT count(*) FROM key_history h JOIN users u ON u.id ="
				" h.user_id WHERE h.box_pk = u.box_pk"),
			 0);
}

/* §12.1, §12.2, §14: the case data, its statistics and its blind index. */
static void test_case_data(void **state)
{
	uint8_t key[KEY_LEN], stats[KEY_LEN], index[KEY_LEN], tag[HASH_LEN];
	char want[512], opened[11], closed[11];
	struct kase c;
	struct user bob;
	struct enc ad;
	uint8_t *sec;
	char *pt;

	(void)state;
	assert_int_equal(load_case(case_id, &c), 0);
	assert_true(valid_id(c.id, 'C', 5));
	/* Closed by bob: version 2, closed_at a time, both boxes rewritten. */
	assert_string_equal(c.status, "closed");
	assert_int_equal(c.opened_by, 2);
	assert_int_equal(strlen(c.opened_at), 20);
	assert_int_equal(strlen(c.closed_at), 20);
	assert_int_equal(c.closed_at[10], 'T');
	assert_int_equal(c.closed_at[19], 'Z');
	assert_true(strcmp(c.closed_at, c.opened_at) >= 0);
	assert_int_equal(c.version, 2);

	bob_case_key(case_id, key);
	content_ad(vid, "case", case_id, case_id, c.version, &ad);
	pt = aead_open(key, c.data_nonce, c.data_box, c.data_len, &ad, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "{\"born\":\"\",\"category\":\"family\",\"class\":\"7B\","
				"\"gender\":\"F\",\"grade\":7,\"guardian\":\"Wang Fang\","
				"\"guardian_phone\":\"13800000000\",\"minor_at_open\":true,"
				"\"name\":\"" STUDENT_NAME "\",\"student_id\":\"" STUDENT_ID "\"}");
	free(pt);
	/* The AD binds version and type: neither other value opens it. */
	content_ad(vid, "case", case_id, case_id, c.version + 1, &ad);
	assert_null(aead_open(key, c.data_nonce, c.data_box, c.data_len, &ad, NULL));
	content_ad(vid, "case-stats", case_id, case_id, c.version, &ad);
	assert_null(aead_open(key, c.data_nonce, c.data_box, c.data_len, &ad, NULL));

	sec = secrets_of("bob", BOB_RESET, &bob);
	assert_int_equal(vault_key("stats", bob.c.id, bob.c.box_pk, sec, stats), 0);
	assert_int_equal(vault_key("index", bob.c.id, bob.c.box_pk, sec, index), 0);
	sodium_free(sec);
	memcpy(opened, c.opened_at, 10);
	opened[10] = '\0';
	memcpy(closed, c.closed_at, 10);
	closed[10] = '\0';
	/* §12.2: "closed" is the date only. */
	snprintf(want, sizeof(want),
		 "{\"category\":\"family\",\"closed\":\"%s\",\"gender\":\"F\",\"grade\":7,"
		 "\"minor\":true,\"opened\":\"%s\"}",
		 closed, opened);
	content_ad(vid, "case-stats", case_id, case_id, c.version, &ad);
	pt = aead_open(stats, c.stats_nonce, c.stats_box, c.stats_len, &ad, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, want);
	free(pt);
	/* The case key does not open the stats box; version 1 is gone. */
	assert_null(aead_open(key, c.stats_nonce, c.stats_box, c.stats_len, &ad, NULL));
	content_ad(vid, "case-stats", case_id, case_id, 1, &ad);
	assert_null(aead_open(stats, c.stats_nonce, c.stats_box, c.stats_len, &ad, NULL));

	/* §14: every spelling of the number gives the stored tag. */
	blind_index(index, STUDENT_ID, tag);
	assert_memory_equal(tag, c.index_tag, HASH_LEN);
	blind_index(index, "S20240042", tag);
	assert_memory_equal(tag, c.index_tag, HASH_LEN);
	blind_index(index, "S-2024-0042", tag);
	assert_memory_equal(tag, c.index_tag, HASH_LEN);
	blind_index(index, "S20240043", tag);
	assert_memory_not_equal(tag, c.index_tag, HASH_LEN);
	blind_index(stats, STUDENT_ID, tag);
	assert_memory_not_equal(tag, c.index_tag, HASH_LEN);
}

/* §3.8, §11, §12.3: every record on the case, clear columns and body. */
static void test_records(void **state)
{
	uint8_t key[KEY_LEN];
	char id[ID_CAP], crisis_id[ID_CAP], want[512], due[11];
	struct rec r;
	char *pt;

	(void)state;
	bob_case_key(case_id, key);
	/* 3 consent, 4 notes, test, crisis, referral, follow-up, register. */
	assert_int_equal(scalar1("SELECT count(*) FROM records WHERE case_id = ?1", case_id), 12);
	assert_int_equal(scalar("SELECT count(*) FROM records WHERE sig IS NOT NULL AND NOT"
				" (type = 'note' AND status = 'final')"),
			 0);

	/* Consent events, in order: two records and a withdrawal. */
	rec_id(case_id, "consent", 0, id);
	assert_int_equal(load_rec(id, &r), 0);
	assert_true(valid_id(r.id, 'K', 6));
	assert_string_equal(r.kind, "record");
	assert_string_equal(r.status, "");
	assert_string_equal(r.parent, "");
	assert_string_equal(r.due, "");
	assert_int_equal(r.version, 1);
	assert_int_equal(r.author_id, 2);
	assert_int_equal(r.has_sig, 0);
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "{\"action\":\"record\",\"by\":\"student\",\"date\":\"2024-09-02\","
				"\"method\":\"written\",\"scopes\":[\"individual\","
				"\"referral-disclosure\"],\"verified_by\":\"bob\"}");
	free(pt);
	rec_id(case_id, "consent", 1, id);
	assert_int_equal(load_rec(id, &r), 0);
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "{\"action\":\"record\",\"by\":\"guardian\",\"date\":"
				"\"2024-09-03\",\"method\":\"oral\",\"scopes\":[\"individual\","
				"\"referral-disclosure\"],\"verified_by\":\"carol\"}");
	free(pt);
	rec_id(case_id, "consent", 2, id);
	assert_int_equal(load_rec(id, &r), 0);
	assert_string_equal(r.kind, "withdraw");
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "{\"action\":\"withdraw\",\"by\":\"guardian\",\"date\":"
				"\"2024-09-10\",\"scopes\":[\"referral-disclosure\"]}");
	free(pt);

	/* The test result, taken under the crisis exception, and its crisis record. */
	assert_int_equal(load_rec(test_id, &r), 0);
	assert_true(valid_id(r.id, 'T', 6));
	assert_string_equal(r.type, "test");
	assert_string_equal(r.kind, "");
	assert_string_equal(r.status, "");
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "{\"crisis\":true,\"notes\":\"retest in a month\",\"scale\":"
				"\"SCL-90\",\"score\":\"1.9\"}");
	free(pt);
	rec_id(case_id, "crisis", 0, crisis_id);
	assert_int_equal(load_rec(crisis_id, &r), 0);
	assert_true(valid_id(r.id, 'X', 6));
	assert_string_equal(r.status, "unreviewed");
	assert_string_equal(r.kind, "");
	assert_int_equal(r.version, 1);
	snprintf(want, sizeof(want),
		 "{\"action\":\"test.add\",\"justification\":\"" CRISIS "\",\"object\":"
		 "\"test:%s\"}",
		 test_id);
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, want);
	free(pt);

	/* The referral: status in clear, the urgency only in the box; due 14
	 * days after the update. */
	assert_int_equal(load_rec(ref_id, &r), 0);
	assert_true(valid_id(r.id, 'R', 6));
	assert_string_equal(r.kind, "");
	assert_string_equal(r.parent, "");
	assert_int_equal(scalar("SELECT count(*) FROM records WHERE kind IN ('routine', 'urgent',"
				" 'emergency')"),
			 0);
	assert_string_equal(r.status, "contacted");
	assert_string_equal(r.due, "2024-09-20");
	assert_int_equal(r.version, 1);
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "{\"basis\":\"consent\",\"date\":\"2024-09-05\",\"disclosed\":"
				"\"summary of two sessions\",\"reason\":\"emotion\",\"to\":"
				"\"City Youth Clinic\",\"urgency\":\"urgent\"}");
	free(pt);
	rec_id(case_id, "followup", 0, id);
	assert_int_equal(load_rec(id, &r), 0);
	assert_true(valid_id(r.id, 'F', 6));
	assert_string_equal(r.parent, ref_id);
	assert_string_equal(r.status, "contacted");
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "{\"date\":\"2024-09-06\",\"note\":\"called the intake desk\"}");
	free(pt);

	/* The register entry: the tag only inside the box. */
	rec_id(case_id, "watch", 0, id);
	assert_int_equal(load_rec(id, &r), 0);
	assert_true(valid_id(r.id, 'W', 6));
	assert_string_equal(r.status, "active");
	assert_string_equal(r.kind, "");
	r.created_at[10] = '\0';
	date_add(r.created_at, 14, due);
	assert_string_equal(r.due, due);
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	assert_string_equal(pt, "{\"every_days\":14,\"last_done\":\"\",\"tag\":\"left-behind\"}");
	free(pt);
}

/* §13: the signature of a final note row, checked as note.c does: the
 * author's identities newest first, each verified (§5.4 steps 1-3); the
 * cert_seq of the identity that verifies, 0 if none. */
static int64_t note_signer(const struct rec *r)
{
	struct ident id;
	struct enc msg;
	int64_t at = INT64_MAX;

	if (!r->has_sig)
		return 0;
	note_final_msg(vid, r->case_id, r->id, r->kind, r->parent, r->version, r->nonce, r->box,
		       r->box_len, &msg);
	while (identity_at(r->author_id, at, &id) == 0) {
		if (crypto_sign_verify_detached(r->sig, msg.b, msg.n, id.sign_pk) == 0 &&
		    verify_identity(&id) == 0)
			return id.cert_seq;
		at = id.cert_seq - 1;
	}
	return 0;
}

/* §13, R4: whether a case may close: every note final with a good
 * signature, at least one analysis and one outcome among them. */
static int close_ok(const char *cid)
{
	sqlite3_stmt *s = prep("SELECT id FROM records WHERE case_id = ?1 AND type = 'note'");
	int analysis = 0, outcome = 0, drafts = 0;
	struct rec r;

	sqlite3_bind_text(s, 1, cid, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_int_equal(load_rec(text(s, 0), &r), 0);
		if (strcmp(r.status, "final") || !note_signer(&r)) {
			drafts++;
			continue;
		}
		analysis += !strcmp(r.kind, "analysis");
		outcome += !strcmp(r.kind, "outcome");
	}
	sqlite3_finalize(s);
	return analysis && outcome && !drafts;
}

/* §12.4: the notes that come before the case's last withdrawal in record
 * order (created_at, then rowid); marked[i] for the i-th note in that
 * order, ids in ids[i]; returns the number of notes. */
static int withdrawal_marks(const char *cid, const uint8_t key[KEY_LEN], char ids[][ID_CAP],
			    int *marked, int cap)
{
	sqlite3_stmt *s = prep("SELECT id, type FROM records WHERE case_id = ?1"
			       " ORDER BY created_at, rowid");
	int n = 0, before_last = 0;
	struct rec r;

	sqlite3_bind_text(s, 1, cid, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!strcmp(text(s, 1), "note")) {
			assert_true(n < cap);
			snprintf(ids[n], ID_CAP, "%s", text(s, 0));
			marked[n++] = 0;
		} else if (!strcmp(text(s, 1), "consent")) {
			char *pt;

			assert_int_equal(load_rec(text(s, 0), &r), 0);
			pt = open_rec(&r, key, NULL);
			assert_non_null(pt);
			if (strstr(pt, "\"action\":\"withdraw\""))
				before_last = n;
			free(pt);
		}
	}
	sqlite3_finalize(s);
	for (int i = 0; i < before_last; i++)
		marked[i] = 1;
	return n;
}

/* §12.3 notes, §13: raw UTF-8 text, versions, and final signatures over
 * kind and parent under the identity the author held (a retired one for
 * the first note); the close check and the withdrawal marking. */
static void test_notes_and_signatures(void **state)
{
	static const struct {
		const char *id;
		const char *kind;
		const char *text;
		int64_t version;
		int old_key;
	} want[] = {{note1, "session", NOTE1, 1, 1},
		    {note2, "analysis", NOTE2B, 2, 0},
		    {note4, "addendum", NOTE4, 1, 0},
		    {note5, "outcome", NOTE5, 1, 0}};
	uint8_t key[KEY_LEN];
	struct rec r;
	struct ident old, cur;
	struct enc msg;
	char ids[8][ID_CAP], q[160];
	int marked[8], n;
	size_t len;
	char *pt;
	int64_t reset_bob = scalar("SELECT cert_seq FROM users WHERE name = 'bob'");

	(void)state;
	bob_case_key(case_id, key);
	assert_int_equal(identity_at(2, reset_bob - 1, &old), 0);
	assert_int_equal(identity_at(2, reset_bob, &cur), 0);
	assert_int_equal(verify_identity(&old), 0);
	assert_int_equal(scalar1("SELECT count(*) FROM records WHERE case_id = ?1 AND type ="
				 " 'note'",
				 case_id),
			 4);

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ident *signer = want[i].old_key ? &old : &cur;
		const struct ident *other = want[i].old_key ? &cur : &old;

		assert_int_equal(load_rec(want[i].id, &r), 0);
		assert_true(valid_id(r.id, 'N', 6));
		assert_string_equal(r.type, "note");
		assert_string_equal(r.kind, want[i].kind);
		assert_string_equal(r.parent, !strcmp(want[i].kind, "addendum") ? note2 : "");
		assert_string_equal(r.status, "final");
		assert_string_equal(r.due, "");
		assert_int_equal(r.version, want[i].version);
		assert_int_equal(r.author_id, 2);
		assert_true(strcmp(r.updated_at, r.created_at) >= 0);
		pt = open_rec(&r, key, &len);
		assert_non_null(pt);
		assert_int_equal(len, strlen(want[i].text));
		assert_memory_equal(pt, want[i].text, len);
		free(pt);

		/* §13: this exact message, with the key the author held then. */
		assert_int_equal(r.has_sig, 1);
		note_final_msg(vid, r.case_id, r.id, r.kind, r.parent, r.version, r.nonce, r.box,
			       r.box_len, &msg);
		assert_int_equal(msg.n, 95 + strlen(r.case_id) + strlen(r.id) + strlen(r.kind) +
					    strlen(r.parent));
		assert_int_equal(crypto_sign_verify_detached(r.sig, msg.b, msg.n, signer->sign_pk),
				 0);
		assert_int_not_equal(
		    crypto_sign_verify_detached(r.sig, msg.b, msg.n, other->sign_pk), 0);
		assert_int_equal(note_signer(&r), signer->cert_seq);

		/* It covers kind, parent and version: change one, it fails. */
		note_final_msg(vid, r.case_id, r.id,
			       !strcmp(r.kind, "outcome") ? "analysis" : "outcome", r.parent,
			       r.version, r.nonce, r.box, r.box_len, &msg);
		assert_int_not_equal(
		    crypto_sign_verify_detached(r.sig, msg.b, msg.n, signer->sign_pk), 0);
		note_final_msg(vid, r.case_id, r.id, r.kind, r.parent[0] ? "" : note2, r.version,
			       r.nonce, r.box, r.box_len, &msg);
		assert_int_not_equal(
		    crypto_sign_verify_detached(r.sig, msg.b, msg.n, signer->sign_pk), 0);
		note_final_msg(vid, r.case_id, r.id, r.kind, r.parent, r.version + 1, r.nonce,
			       r.box, r.box_len, &msg);
		assert_int_not_equal(
		    crypto_sign_verify_detached(r.sig, msg.b, msg.n, signer->sign_pk), 0);
		/* The old form, without kind and parent, does not verify. */
		{
			uint8_t h[HASH_LEN];
			struct enc nb = {.n = 0};

			put(&nb, r.nonce, NONCE_LEN);
			put(&nb, r.box, r.box_len);
			b2b256(h, &nb);
			msg.n = 0;
			put_str(&msg, "casevault-note-final-v1");
			put(&msg, vid, VID_LEN);
			put_lp(&msg, r.case_id);
			put_lp(&msg, r.id);
			put_u64(&msg, (uint64_t)r.version);
			put(&msg, h, HASH_LEN);
			assert_int_not_equal(
			    crypto_sign_verify_detached(r.sig, msg.b, msg.n, signer->sign_pk), 0);
		}
	}

	/* R4: the case closed because every note is final and verifies; an
	 * edited clear kind or parent would undo that (rolled back). */
	assert_int_equal(close_ok(case_id), 1);
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE records SET kind = 'analysis' WHERE id = '%s'", note5);
	exec(q);
	assert_int_equal(close_ok(case_id), 0);
	exec("ROLLBACK");
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE records SET parent = '' WHERE id = '%s'", note4);
	exec(q);
	assert_int_equal(close_ok(case_id), 0);
	exec("ROLLBACK");
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE records SET status = 'draft', sig = NULL WHERE id = '%s'",
		 note4);
	exec(q);
	assert_int_equal(close_ok(case_id), 0);
	exec("ROLLBACK");
	assert_int_equal(close_ok(case_id), 1);

	/* §12.4: only note1 came before the (only) withdrawal; the program
	 * showed the same marks and good signatures for all four notes. */
	n = withdrawal_marks(case_id, key, ids, marked, 8);
	assert_int_equal(n, 4);
	assert_int_equal(nshown, 4);
	for (int i = 0; i < n; i++) {
		assert_string_equal(ids[i], shown[i].id);
		assert_int_equal(marked[i], !strcmp(ids[i], note1));
		assert_int_equal(shown[i].after_withdrawal, marked[i]);
		assert_int_equal(shown[i].signature_ok, 1);
	}
}

/* §16: what shredding leaves. */
static void test_shredded(void **state)
{
	sqlite3_stmt *s;
	uint8_t zero[HASH_LEN] = {0}, tag[HASH_LEN];
	char obj[64];

	(void)state;
	assert_true(valid_id(case2_id, 'C', 5));
	assert_true(valid_id(note3, 'N', 6));
	s = prep("SELECT status, version, opened_by, length(opened_at), index_tag,"
		 " typeof(recovery_key), length(recovery_key), length(data_nonce),"
		 " length(data_box), length(stats_nonce), length(stats_box) FROM cases"
		 " WHERE id = ?1");
	sqlite3_bind_text(s, 1, case2_id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(text(s, 0), "shredded");
	assert_int_equal(sqlite3_column_int64(s, 1), 2);
	assert_int_equal(sqlite3_column_int64(s, 2), 2);
	assert_int_equal(sqlite3_column_int64(s, 3), 20);
	assert_int_equal(blob(s, 4, tag, HASH_LEN), 0);
	assert_memory_equal(tag, zero, HASH_LEN);
	assert_string_equal(text(s, 5), "blob");
	for (int i = 6; i <= 10; i++)
		assert_int_equal(sqlite3_column_int64(s, i), 0);
	sqlite3_finalize(s);
	assert_int_equal(scalar1("SELECT count(*) FROM grants WHERE case_id = ?1", case2_id), 0);
	assert_int_equal(scalar1("SELECT count(*) FROM records WHERE case_id = ?1", case2_id), 0);
	assert_int_equal(scalar1("SELECT count(*) FROM records WHERE id = ?1", note3), 0);
	/* The log keeps that it happened, and the ids. */
	snprintf(obj, sizeof(obj), "note:%s", note3);
	assert_int_equal(scalar1("SELECT count(*) FROM audit WHERE object = ?1 AND action ="
				 " 'note.add'",
				 obj),
			 1);
}

#define T0 "2024-01-02T03:04:05Z"

/* Appends a row after the last one, hash-chained, and signed with sk when
 * sk is not NULL (a checkpoint), as a forger holding sk would. */
static void append_row(const char *const f[6], const uint8_t *sk)
{
	uint8_t prev[HASH_LEN], h[HASH_LEN], sig[SIG_LEN];
	int64_t seq = scalar("SELECT max(seq) FROM audit") + 1;
	sqlite3_stmt *s = prep("SELECT hash FROM audit WHERE seq = ?1");
	struct enc msg;

	sqlite3_bind_int64(s, 1, seq - 1);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(blob(s, 0, prev, HASH_LEN), 0);
	sqlite3_finalize(s);
	row_hash(prev, seq, f, h);
	s = prep("INSERT INTO audit VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	sqlite3_bind_int64(s, 1, seq);
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(s, i + 2, f[i], -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 8, prev, HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 9, h, HASH_LEN, SQLITE_TRANSIENT);
	if (sk) {
		checkpoint_msg(vid, seq, h, &msg);
		crypto_sign_detached(sig, NULL, msg.b, msg.n, sk);
		sqlite3_bind_blob(s, 10, sig, SIG_LEN, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(s, 10);
	}
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

/* The reader refuses a tampered log (changes rolled back afterwards). */
static void test_tamper_log(void **state)
{
	struct log_stats st;
	int64_t n = scalar("SELECT max(seq) FROM audit"), cp, bad;
	char q[256];

	(void)state;
	exec("BEGIN");
	exec("UPDATE audit SET detail = 'role=admin' WHERE seq = 3");
	assert_int_equal(verify_log(&st), 3);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("DELETE FROM audit WHERE seq = 5");
	assert_int_equal(verify_log(&st), 5);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("UPDATE audit SET sig = zeroblob(64) WHERE seq = 2");
	assert_int_equal(verify_log(&st), 2);
	exec("ROLLBACK");

	exec("BEGIN");
	exec("UPDATE audit SET sig = (SELECT sig FROM audit WHERE seq = 2) WHERE seq = 1");
	assert_int_equal(verify_log(&st), 1);
	exec("ROLLBACK");

	/* Truncated at a checkpoint after the last user change: the chain still
	 * verifies, only the external checkpoint catches it (§9 step 5). */
	cp = scalar("SELECT seq FROM audit WHERE action = 'audit.checkpoint'") - 1;
	snprintf(q, sizeof(q), "seq = %lld AND action = 'checkpoint'", (long long)cp);
	assert_int_equal(count_rows(q), 1);
	exec("BEGIN");
	snprintf(q, sizeof(q), "DELETE FROM audit WHERE seq > %lld", (long long)cp);
	exec(q);
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 0);
	assert_int_equal(st.rows, cp);
	assert_int_equal(check_external(checkpoint_text, NULL, 0), 5);
	exec("ROLLBACK");

	/* Truncated inside a transaction: rows signed by no checkpoint (§7.5 step 5). */
	exec("BEGIN");
	snprintf(q, sizeof(q), "DELETE FROM audit WHERE seq >= %lld", (long long)n);
	exec(q);
	assert_int_equal(verify_log(&st), n - 1);
	exec("ROLLBACK");

	/* Truncated before erin's disable: the users table contradicts the log. */
	exec("BEGIN");
	bad = scalar("SELECT seq FROM audit WHERE action = 'user.disable'");
	snprintf(q, sizeof(q), "DELETE FROM audit WHERE seq >= %lld", (long long)bad);
	exec(q);
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 2); /* bob: his reset row is gone too */
	exec("ROLLBACK");

	/* Rows appended at the end (§7.5 step 4.5 and the failed-login rule):
	 * a failed login may stand unsigned and name no user; nothing else. */
	{
		static const struct {
			const char *f[6];
			const char *why; /* NULL: the log still verifies */
		} tail[] = {
		    {{T0, "mallory", "login", "user:mallory", "failed", "unknown user"}, NULL},
		    {{T0, "erin", "login", "user:erin", "failed", "account disabled"}, NULL},
		    {{T0, "bob", "case.show", "case:C-00000", "ok", ""},
		     "rows signed by no checkpoint"},
		    {{T0, "mallory", "login", "user:alice", "failed", "wrong passphrase"},
		     "actor not a user"},
		    {{T0, "mallory", "login", "user:mallory", "failed", "locked out"},
		     "actor not a user"},
		    {{T0, "bob", "login", "user:bob", "failed", "locked out"},
		     "rows signed by no checkpoint"},
		    {{T0, "erin", "case.list", "cases", "ok", "cases=0"}, "actor already disabled"},
		};

		for (size_t k = 0; k < sizeof(tail) / sizeof(tail[0]); k++) {
			exec("BEGIN");
			append_row(tail[k].f, NULL);
			if (!tail[k].why) {
				assert_int_equal(verify_log(&st), 0);
				assert_int_equal(st.unsigned_tail, 1);
			} else {
				assert_int_equal(verify_log(&st), n + 1);
				assert_string_equal(st.why, tail[k].why);
			}
			exec("ROLLBACK");
		}
	}

	/* A whole transaction by erin after her disable, signed with her own
	 * (still valid) key: only the disabled-actor rule refuses it. */
	{
		static const char *const row[6] = {T0,	    "erin", "case.list",
						   "cases", "ok",   "cases=0"};
		static const char *const ecp[6] = {T0, "erin", "checkpoint", "audit", "ok", ""};
		struct user erin;
		struct ident id;
		uint8_t *esec = secrets_of("erin", ERIN_PASS, &erin);

		exec("BEGIN");
		append_row(row, NULL);
		append_row(ecp, esec + 32);
		assert_int_equal(identity_at(erin.c.id, n + 2, &id), 0);
		assert_int_equal(verify_identity(&id), 0);
		assert_true(erin.status_seq < n + 1);
		assert_int_equal(verify_log(&st), n + 1);
		assert_string_equal(st.why, "actor already disabled");
		exec("ROLLBACK");
		/* The same rows by bob, with his key, verify. */
		sodium_free(esec);
		esec = secrets_of("bob", BOB_RESET, &erin);
		exec("BEGIN");
		{
			const char *f[6], *g[6];

			memcpy(f, row, sizeof(f));
			memcpy(g, ecp, sizeof(g));
			f[1] = g[1] = "bob";
			append_row(f, NULL);
			append_row(g, esec + 32);
		}
		assert_int_equal(verify_log(&st), 0);
		assert_int_equal(st.rows, n + 2);
		exec("ROLLBACK");
		sodium_free(esec);
	}

	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 0);
}

/* Re-hashes rows from..to (rewritten in place) and re-signs the
 * checkpoints among them with sk, as a splicer holding that key would. */
static void rechain(int64_t from, int64_t to, const uint8_t *sk)
{
	sqlite3_stmt *s;
	uint8_t prev[HASH_LEN], h[HASH_LEN], sig[SIG_LEN];
	struct enc msg;

	for (int64_t seq = from; seq <= to; seq++) {
		const char *f[6];
		char buf[6][256];
		int cp;

		s = prep("SELECT p.hash, a.time, a.actor, a.action, a.object, a.outcome, a.detail"
			 " FROM audit a JOIN audit p ON p.seq = a.seq - 1 WHERE a.seq = ?1");
		sqlite3_bind_int64(s, 1, seq);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(blob(s, 0, prev, HASH_LEN), 0);
		for (int i = 0; i < 6; i++) {
			assert_int_equal(copy_text(s, i + 1, buf[i], sizeof(buf[i])), 0);
			f[i] = buf[i];
		}
		sqlite3_finalize(s);
		row_hash(prev, seq, f, h);
		cp = !strcmp(f[2], "checkpoint");
		s = prep(cp ? "UPDATE audit SET prev_hash = ?2, hash = ?3, sig = ?4 WHERE seq = ?1"
			    : "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1");
		sqlite3_bind_int64(s, 1, seq);
		sqlite3_bind_blob(s, 2, prev, HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_blob(s, 3, h, HASH_LEN, SQLITE_TRANSIENT);
		if (cp) {
			checkpoint_msg(vid, seq, h, &msg);
			crypto_sign_detached(sig, NULL, msg.b, msg.n, sk);
			sqlite3_bind_blob(s, 4, sig, SIG_LEN, SQLITE_TRANSIENT);
		}
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
	}
}

/* Rewrites the status columns of user name as signer_id would sign them at
 * row seq with secret key sk (a forgery, inside a rolled-back transaction). */
static void forge_status(const char *name, const char *status, int64_t seq, int64_t signer_id,
			 const uint8_t *sk)
{
	struct user u;
	struct enc e;
	sqlite3_stmt *s;

	assert_int_equal(load_user(0, name, &u), 0);
	snprintf(u.status, sizeof(u.status), "%s", status);
	u.status_seq = seq;
	u.status_signer_id = signer_id;
	status_msg(&u, &e);
	crypto_sign_detached(u.status_sig, NULL, e.b, e.n, sk);
	s = prep("UPDATE users SET status = ?1, status_seq = ?2, status_signer_id = ?3,"
		 " status_sig = ?4 WHERE id = ?5");
	sqlite3_bind_text(s, 1, u.status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_int64(s, 3, signer_id);
	sqlite3_bind_blob(s, 4, u.status_sig, SIG_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, u.c.id);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

/* The segment rule, the actor rule, the disabled-signer rule and the
 * users-against-log rule (§5.4, §7.5 steps 4.5-4.7, 6). */
static void test_tamper_segments_and_users(void **state)
{
	struct log_stats st;
	struct user carol, erin, dave;
	struct enc e;
	uint8_t *csec = secrets_of("carol", CAROL_PASS, &carol);
	uint8_t *dsec;
	int64_t n = scalar("SELECT max(seq) FROM audit"), add_erin;
	char q[160];
	int count;

	(void)state;
	/* Re-signing carol's own last transaction with her key keeps it valid... */
	exec("BEGIN");
	rechain(n - 1, n, csec + 32);
	assert_int_equal(verify_log(&st), 0);
	/* ...but a row by someone else inside her segment is refused, even with
	 * every hash and signature recomputed. */
	snprintf(q, sizeof(q), "UPDATE audit SET actor = 'alice' WHERE seq = %lld",
		 (long long)(n - 1));
	exec(q);
	rechain(n - 1, n, csec + 32);
	assert_int_equal(verify_log(&st), n - 1);
	exec("ROLLBACK");
	sodium_free(csec);

	/* Identity and status are checked by signature (§5.4)... */
	exec("BEGIN");
	exec("UPDATE users SET role = 'admin' WHERE name = 'bob'");
	assert_int_equal(verify_users(&count), 2);
	exec("ROLLBACK");
	exec("BEGIN");
	exec("UPDATE users SET status_signer_id = 5 WHERE name = 'erin'");
	assert_int_equal(verify_users(&count), 5);
	exec("ROLLBACK");
	exec("BEGIN");
	exec("UPDATE users SET cert_seq = cert_seq + 1 WHERE name = 'dave'");
	assert_int_equal(verify_users(&count), 4);
	exec("ROLLBACK");
	exec("BEGIN");
	exec("DELETE FROM key_history");
	assert_int_equal(verify_log(&st), scalar("SELECT min(seq) FROM audit WHERE action ="
						 " 'checkpoint' AND actor = 'bob'"));
	exec("ROLLBACK");

	/* ...and an old, validly signed record put back is caught by the log:
	 * erin "active" again, with a status dave really signed at her creation. */
	dsec = secrets_of("dave", DAVE_PASS, &dave);
	add_erin = scalar("SELECT cert_seq FROM users WHERE name = 'erin'");
	assert_int_equal(load_user(0, "erin", &erin), 0);
	snprintf(erin.status, sizeof(erin.status), "active");
	erin.status_seq = add_erin;
	erin.status_signer_id = 4;
	status_msg(&erin, &e);
	crypto_sign_detached(erin.status_sig, NULL, e.b, e.n, dsec + 32);
	sodium_free(dsec);
	exec("BEGIN");
	{
		sqlite3_stmt *s =
		    prep("UPDATE users SET status = 'active', status_seq = ?1,"
			 " status_signer_id = 4, status_sig = ?2 WHERE name = 'erin'");

		sqlite3_bind_int64(s, 1, add_erin);
		sqlite3_bind_blob(s, 2, erin.status_sig, SIG_LEN, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
	}
	assert_int_equal(verify_users(&count), 0);
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 5);
	exec("ROLLBACK");

	/* §5.4 disabled before: dave made erin at add_erin and never was
	 * disabled.  A status (validly signed by alice) saying dave was disabled
	 * at add_erin - 1 makes erin's identity fail; disabled at add_erin
	 * exactly, it still holds, but dave's rows after add_erin do not (§7.5
	 * step 4.5).  A status of erin's signed by dave after that fails too. */
	{
		struct user alice;
		uint8_t *asec = secrets_of("alice", ALICE_PASS, &alice);
		int64_t dis_erin = scalar("SELECT status_seq FROM users WHERE name = 'erin'");

		dsec = secrets_of("dave", DAVE_PASS, &dave);
		assert_true(add_erin + 2 < dis_erin);
		exec("BEGIN");
		forge_status("dave", "disabled", add_erin - 1, 1, asec + 32);
		assert_int_equal(verify_users(&count), 5);
		assert_int_equal(verify_log(&st), add_erin);
		assert_string_equal(st.why, "actor already disabled");
		exec("ROLLBACK");
		exec("BEGIN");
		forge_status("dave", "disabled", add_erin, 1, asec + 32);
		assert_int_equal(verify_users(&count), 0);
		assert_int_equal(verify_log(&st), add_erin + 1);
		assert_string_equal(st.why, "actor already disabled");
		exec("ROLLBACK");
		/* erin's disabling re-signed by dave: valid while dave is active... */
		exec("BEGIN");
		forge_status("erin", "disabled", dis_erin, 4, dsec + 32);
		assert_int_equal(verify_users(&count), 0);
		/* ...refused once dave was disabled before it (at add_erin). */
		forge_status("dave", "disabled", add_erin, 1, asec + 32);
		assert_int_equal(verify_users(&count), 5);
		exec("ROLLBACK");
		sodium_free(asec);
		sodium_free(dsec);
	}

	/* bob's retired identity put back over the current one: it verifies by
	 * itself, but his checkpoints since the reset no longer do. */
	exec("BEGIN");
	exec("UPDATE users SET (role, box_pk, sign_pk, cert_seq, creator_id, cert_sig) ="
	     " (SELECT role, box_pk, sign_pk, cert_seq, creator_id, cert_sig FROM key_history"
	     " WHERE user_id = 2) WHERE id = 2");
	assert_int_equal(verify_users(&count), 0);
	assert_int_equal(verify_log(&st),
			 scalar("SELECT min(seq) FROM audit WHERE action = 'checkpoint' AND actor ="
				" 'bob' AND seq > (SELECT retired_seq FROM key_history)"));
	exec("ROLLBACK");

	assert_int_equal(verify_users(&count), 0);
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 0);
}

/* Ciphertexts are bound to their place (§11) and notes to their signature. */
static void test_tamper_content(void **state)
{
	uint8_t key[KEY_LEN];
	struct ident old;
	struct kase c;
	struct rec r;
	struct enc msg;
	char q[256];
	char *pt;

	(void)state;
	bob_case_key(case_id, key);
	assert_int_equal(
	    identity_at(2, scalar("SELECT cert_seq FROM users WHERE id = 2") - 1, &old), 0);

	/* A note's ciphertext copied into another record's row. */
	exec("BEGIN");
	snprintf(q, sizeof(q),
		 "UPDATE records SET (nonce, box) = (SELECT nonce, box FROM records WHERE id ="
		 " '%s') WHERE id = '%s'",
		 note1, test_id);
	exec(q);
	assert_int_equal(load_rec(test_id, &r), 0);
	assert_null(open_rec(&r, key, NULL));
	snprintf(r.type, sizeof(r.type), "note"); /* even read as a note of that id */
	assert_null(open_rec(&r, key, NULL));
	exec("ROLLBACK");

	/* Moved to the other case, or given another version or type. */
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE records SET case_id = '%s' WHERE id = '%s'", case2_id,
		 note1);
	exec(q);
	assert_int_equal(load_rec(note1, &r), 0);
	assert_null(open_rec(&r, key, NULL));
	exec("ROLLBACK");
	assert_int_equal(load_rec(note1, &r), 0);
	r.version = 2;
	assert_null(open_rec(&r, key, NULL));
	assert_int_equal(load_rec(note1, &r), 0);
	snprintf(r.type, sizeof(r.type), "test");
	assert_null(open_rec(&r, key, NULL));
	assert_int_equal(load_rec(note1, &r), 0);
	pt = open_rec(&r, key, NULL);
	assert_non_null(pt);
	free(pt);

	/* One flipped bit: no longer decrypts, and the signature fails. */
	r.box[0] ^= 1;
	assert_null(open_rec(&r, key, NULL));
	note_final_msg(vid, r.case_id, r.id, r.kind, r.parent, r.version, r.nonce, r.box, r.box_len,
		       &msg);
	assert_int_not_equal(crypto_sign_verify_detached(r.sig, msg.b, msg.n, old.sign_pk), 0);
	r.box[0] ^= 1;
	note_final_msg(vid, r.case_id, r.id, r.kind, r.parent, r.version, r.nonce, r.box, r.box_len,
		       &msg);
	assert_int_equal(crypto_sign_verify_detached(r.sig, msg.b, msg.n, old.sign_pk), 0);

	/* The case data under a bumped version. */
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE cases SET version = version + 1 WHERE id = '%s'", case_id);
	exec(q);
	assert_int_equal(load_case(case_id, &c), 0);
	content_ad(vid, "case", case_id, case_id, c.version, &msg);
	assert_null(aead_open(key, c.data_nonce, c.data_box, c.data_len, &msg, NULL));
	exec("ROLLBACK");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_vectors, no_open_transaction),
	    cmocka_unit_test_setup(test_file_header, no_open_transaction),
	    cmocka_unit_test_setup(test_meta_and_recovery, no_open_transaction),
	    cmocka_unit_test_setup(test_user_certificates, no_open_transaction),
	    cmocka_unit_test_setup(test_audit_chain, no_open_transaction),
	    cmocka_unit_test_setup(test_external_checkpoint, no_open_transaction),
	    cmocka_unit_test_setup(test_unwrap_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_vault_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_case_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_case_data, no_open_transaction),
	    cmocka_unit_test_setup(test_records, no_open_transaction),
	    cmocka_unit_test_setup(test_notes_and_signatures, no_open_transaction),
	    cmocka_unit_test_setup(test_shredded, no_open_transaction),
	    cmocka_unit_test_setup(test_tamper_log, no_open_transaction),
	    cmocka_unit_test_setup(test_tamper_segments_and_users, no_open_transaction),
	    cmocka_unit_test_setup(test_tamper_content, no_open_transaction),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

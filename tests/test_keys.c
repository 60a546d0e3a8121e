/*
 * test_keys.c - least privilege for the vault-wide keys and authenticated
 * rows (docs/FORMAT.md §3.5-3.8, §4, §13): who holds the index and stats
 * keys (counselors the index key, supervisors the stats secret, admins
 * neither), how a copy reaches a new colleague (at a holder's login, or
 * from the recovery key), and every attack on the file that must now be
 * refused with CV_EINTEGRITY naming the row: a vault-key copy sealed with
 * an attacker's key, a substituted stats public key, a whole case planted
 * with consent "verified by" and a draft note "by" a real counselor,
 * grants swapped between users, a case turned into a tombstone, the
 * recovery copies replaced, and a due date edited to hide an overdue
 * referral.  The attacker writes the file with the
 * sqlite3 library, or with the store and his own keys through the
 * library's internal functions (an admin or a counselor who can write the
 * file): never with the victim's keys.
 */
#define FIXTURE_TAG "keys"
#include "case_fixture.h"
#include "access.h"
#include "cert.h"
#include "crypt.h"
#include "recovery.h"
#include "session.h"
#include "vkeys.h"

/* Fails unless err holds status st and reason code want. */
#define assert_code(e, st, want)                                                                   \
	do {                                                                                       \
		assert_int_equal((e).status, (st));                                                \
		if (strcmp((e).code, (want)) != 0)                                                 \
			fail_msg("code '%s', want '%s' (%s)", (e).code, (want), (e).msg);          \
	} while (0)

#define USER_ID(name) "(SELECT id FROM users WHERE name = '" name "')"

static int64_t user_id(const char *path, const char *name)
{
	return q_int(path, "SELECT id FROM users WHERE name = '%s'", name);
}

static int count_case(const cv_case_info *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static int no_note(const cv_note_info *n, void *arg)
{
	(void)n;
	(void)arg;
	fail_msg("a forged note was shown");
	return 1;
}

/* The stats of one case as a supervisor sees them. */
static cv_status stats_of(cv_session *s, const char *id, cv_statsbox_case *out, cv_err *err)
{
	return cv_access_case_stats(s, id, out, err);
}

/* ---- who holds what -------------------------------------------------------- */

/* Admins hold neither key; a counselor holds the index key only, a
 * supervisor the stats key only; cv_vkey_open refuses everyone else. */
static void test_holders_by_role(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *s = login_ok(f->v, "sam", PW_SAM);
	uint8_t *key = NULL;
	cv_err err = {0};

	assert_int_equal(
	    q_int(f->path, "SELECT count(*) FROM vault_keys WHERE user_id = " USER_ID("alice")), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM vault_keys v JOIN users u ON u.id ="
					" v.user_id WHERE u.role = 'admin'"),
			 0);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM vault_keys WHERE name = 'index' AND"
			       " user_id IN (SELECT id FROM users WHERE role <> 'counselor')"),
			 0);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM vault_keys WHERE name = 'stats' AND"
			       " user_id IN (SELECT id FROM users WHERE role <> 'supervisor')"),
			 0);
	/* The recovery key holds both, from the first admin at init. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM vault_keys WHERE user_id = 0 AND"
					" sender_id = 1"),
			 2);

	assert_int_equal(cv_vkey_open(a, CV_VKEY_INDEX, &key, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "vkey.not-held");
	assert_string_equal(err.msg, "an admin does not hold the index key");
	assert_int_equal(cv_vkey_open(a, CV_VKEY_STATS, &key, &err), CV_EDENIED);
	assert_null(key);
	assert_int_equal(cv_vkey_open(c, CV_VKEY_STATS, &key, &err), CV_EDENIED);
	assert_string_equal(err.msg, "a counselor does not hold the stats key");
	assert_int_equal(cv_vkey_open(s, CV_VKEY_INDEX, &key, &err), CV_EDENIED);
	assert_string_equal(err.msg, "a supervisor does not hold the index key");
	assert_null(key);

	assert_int_equal(cv_vkey_open(c, CV_VKEY_INDEX, &key, &err), CV_OK);
	sodium_free(key);
	assert_int_equal(cv_vkey_open(s, CV_VKEY_STATS, &key, &err), CV_OK);
	sodium_free(key);
	logout(a);
	logout(c);
	logout(s);
}

/* Counselors write the statistics and cannot read them back; a supervisor
 * reads them; an admin cannot. */
static void test_stats_only_supervisors(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *s, *a;
	char id[CV_CASE_ID_MAX];
	uint8_t box[512], *key = NULL, *pt = NULL;
	size_t n, ptlen = 0;
	cv_statsbox_case o;
	cv_err err = {0};

	open_new(c, "S-3001", "Stat Student", id);
	assert_int_equal(stats_of(c, id, &o, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "vkey.not-held");
	assert_string_equal(o.case_id, "");
	/* Not with her index key either, nor with the case key. */
	n = q_blob(f->path, box, sizeof(box), "SELECT stats_box FROM cases WHERE id = '%s'", id);
	assert_true(n > crypto_box_SEALBYTES);
	{
		uint8_t stats_pk[crypto_box_PUBLICKEYBYTES], commit[CV_HASH_LEN];

		assert_int_equal(cv_vkeys_public(f->v, stats_pk, commit, &err), CV_OK);
		assert_int_equal(cv_vkey_open(c, CV_VKEY_INDEX, &key, &err), CV_OK);
		assert_int_equal(cv_seal_open_bytes(stats_pk, key, box, n, &pt, &ptlen, &err),
				 CV_EINTEGRITY);
		assert_null(pt);
		sodium_free(key);
	}
	logout(c);

	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(stats_of(s, id, &o, &err), CV_OK);
	assert_string_equal(o.case_id, id);
	assert_string_equal(o.category, "emotion");
	assert_string_equal(o.gender, "F");
	assert_int_equal(o.grade, 8);
	assert_int_equal(o.version, 1);
	/* Nothing that names the student: the layout has no such field
	 * (docs/FORMAT.md §12.2; test_format_cases reads its exact bytes). */
	/* A stats box moved from another case is refused: it names its case. */
	{
		char other[CV_CASE_ID_MAX];

		logout(s);
		c = login_ok(f->v, "carol", PW_CAROL);
		open_new(c, "S-3002", "Other Student", other);
		logout(c);
		raw_exec(
		    f->path,
		    "UPDATE cases SET stats_box = (SELECT stats_box FROM cases WHERE id = '%s')"
		    " WHERE id = '%s'",
		    other, id);
		s = login_ok(f->v, "sam", PW_SAM);
		/* The row's signature covers the box: refused before it opens. */
		assert_int_equal(stats_of(s, id, &o, &err), CV_EINTEGRITY);
		assert_code(err, CV_EINTEGRITY, "case.forged");
		assert_string_equal(o.case_id, "");
	}
	logout(s);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(stats_of(a, id, &o, &err), CV_EDENIED);
	logout(a);
}

/* ---- how the keys travel --------------------------------------------------- */

/* A fresh vault: nobody holds a key until the admin delivers them with the
 * recovery code; afterwards a holder passes its key on at login, signed,
 * to colleagues of its role only, and logs each copy. */
static void test_delivery_and_sharing(void **state)
{
	struct fix *f = *state;
	char path[TEST_PATH_MAX], code[CV_RECOVERY_CODE_LEN + 1], wrong[CV_RECOVERY_CODE_LEN + 1];
	char id[CV_CASE_ID_MAX];
	cv_case_input in = student("S-3100", "First Student");
	cv_vault *v = NULL;
	cv_session *a, *c, *e, *s;
	cv_err err = {0};
	int n = -1, dup = 0, found = 0;

	tmpdir_file(path, sizeof(path), f->dir, "fresh.db");
	assert_int_equal(create_vault(path, "alice", PW_ALICE, code, &err), CV_OK);
	assert_int_equal(cv_vault_open(path, &v, &err), CV_OK);
	a = login_ok(v, "alice", PW_ALICE);
	assert_int_equal(add_user(v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL, &err), CV_OK);
	assert_int_equal(add_user(v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM, &err), CV_OK);
	assert_int_equal(q_int(path, "SELECT count(*) FROM vault_keys WHERE user_id <> 0"), 0);

	/* Without a key, no case: a refusal that says what to do. */
	c = login_ok(v, "carol", PW_CAROL);
	assert_int_equal(cv_case_open(c, &in, id, &dup, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "vkey.not-delivered");
	assert_msg_has(err, "vault keys --deliver");
	logout(c);

	/* Only an admin, only with the right code. */
	s = login_ok(v, "sam", PW_SAM);
	assert_int_equal(cv_vault_keys_deliver(s, code, &n, &err), CV_EDENIED);
	assert_int_equal(n, 0);
	logout(s);
	memcpy(wrong, code, sizeof(wrong));
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	assert_int_equal(cv_vault_keys_deliver(a, wrong, &n, &err), CV_EAUTH);
	assert_int_equal(q_int(path, "SELECT count(*) FROM vault_keys WHERE user_id <> 0"), 0);
	assert_int_equal(cv_vault_keys_deliver(a, code, &n, &err), CV_OK);
	assert_int_equal(n, 2);
	assert_int_equal(audit_rows(path, "alice", "vkey.share", "ok", "user:carol"), 1);
	assert_int_equal(audit_rows(path, "alice", "vkey.share", "ok", "user:sam"), 1);
	assert_int_equal(audit_rows(path, "alice", "vault.keys", "ok", "vault"), 1);
	assert_int_equal(q_int(path, "SELECT count(*) FROM vault_keys WHERE user_id <> 0 AND"
				     " sender_id = 0 AND sig IS NULL"),
			 2);
	/* Still none for the admin. */
	assert_int_equal(q_int(path, "SELECT count(*) FROM vault_keys WHERE user_id = 1"), 0);

	/* A counselor added later gets the index key from carol's next login,
	 * signed by carol; the supervisor's login gives her nothing. */
	assert_int_equal(add_user(v, a, "erin", CV_ROLE_COUNSELOR, PW_DAVE, &err), CV_OK);
	assert_int_equal(add_user(v, a, "sue", CV_ROLE_SUPERVISOR, PW_NEW, &err), CV_OK);
	logout(a);
	logout(login_ok(v, "sam", PW_SAM));
	assert_int_equal(q_int(path,
			       "SELECT count(*) FROM vault_keys WHERE name = 'stats' AND"
			       " user_id = " USER_ID("sue") " AND sender_id = " USER_ID("sam")),
			 1);
	assert_int_equal(
	    q_int(path, "SELECT count(*) FROM vault_keys WHERE user_id = " USER_ID("erin")), 0);
	c = login_ok(v, "carol", PW_CAROL);
	assert_int_equal(audit_rows(path, "carol", "vkey.share", "ok", "user:erin"), 1);
	assert_int_equal(q_int(path, "SELECT count(*) FROM vault_keys WHERE name = 'index' AND"
				     " user_id = " USER_ID("erin") " AND sender_id = " USER_ID(
					 "carol") " AND sig IS NOT NULL"),
			 1);
	open_ok(c, &in, id);
	logout(c);
	e = login_ok(v, "erin", PW_DAVE);
	assert_int_equal(cv_case_find(e, "S-3100", count_case, &found, &err), CV_OK);
	assert_int_equal(found, 0); /* carol's case is not erin's: find sees granted ones only */
	assert_int_equal(cv_case_open(e, &in, id, &dup, &err), CV_OK);
	assert_int_equal(dup, 1); /* the duplicate warning still works across counselors */
	logout(e);
	logout(login_ok(v, "carol", PW_CAROL));
	assert_int_equal(q_int(path, "SELECT count(*) FROM audit WHERE action = 'vkey.share'"), 4);
	logout_all();
	cv_vault_close(v);
	sodium_memzero(code, sizeof(code));
}

/* After a reset the user's key comes back from the recovery key. */
static void test_reset_reseals_vault_keys(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *c;
	char id[CV_CASE_ID_MAX];
	cv_err err = {0};

	assert_int_equal(reset_user(f->v, a, "carol", recovery, PW_NEW, &err), CV_OK);
	logout(a);
	/* Re-made from the recovery key to the enrolment code's key by the
	 * reset, then by carol's enrolment from her new key to itself. */
	assert_int_equal(q_int(f->path, "SELECT sender_id FROM vault_keys WHERE name = 'index' AND"
					" user_id = " USER_ID("carol")),
			 q_int(f->path, "SELECT id FROM users WHERE name = 'carol'"));
	c = login_ok(f->v, "carol", PW_NEW);
	open_new(c, "S-3200", "After Reset", id);
	logout(c);
}

/* ---- attacks on the vault keys --------------------------------------------- */

/* Replaces user's copy of key `name` by a crypto_box of attacker_key from
 * the X25519 secret `from_sk`, naming sender_id (with a random signature
 * when signed). */
static void plant_vkey(const char *path, const char *name, int64_t user, int64_t sender_id,
		       int signed_, const uint8_t *from_sk, const uint8_t *to_pk,
		       const uint8_t *attacker_key)
{
	uint8_t nonce[crypto_box_NONCEBYTES], box[32 + crypto_box_MACBYTES], sig[64];
	char nh[2 * sizeof(nonce) + 1], bh[2 * sizeof(box) + 1], sh[2 * sizeof(sig) + 1];

	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(sig, sizeof(sig));
	assert_int_equal(crypto_box_easy(box, attacker_key, 32, nonce, to_pk, from_sk), 0);
	sodium_bin2hex(nh, sizeof(nh), nonce, sizeof(nonce));
	sodium_bin2hex(bh, sizeof(bh), box, sizeof(box));
	sodium_bin2hex(sh, sizeof(sh), sig, sizeof(sig));
	raw_exec(path,
		 "UPDATE vault_keys SET sender_id = %lld, nonce = X'%s', box = X'%s', sig = %s%s%s"
		 " WHERE name = '%s' AND user_id = %lld",
		 (long long)sender_id, nh, bh, signed_ ? "X'" : "NULL", signed_ ? sh : "",
		 signed_ ? "'" : "", name, (long long)user);
}

/* Carol's index key replaced by one the attacker knows, sealed with the
 * attacker's key (named as from dave, or from the recovery key): carol's
 * login refuses it, naming the key and her, with exit 5, and logs that; no
 * tag is ever computed under the attacker's key. */
static void test_index_copy_from_attacker(void **state)
{
	struct fix *f = *state;
	uint8_t apk[crypto_box_PUBLICKEYBYTES], ask[crypto_box_SECRETKEYBYTES], k[32], cpk[32];
	int64_t carol = user_id(f->path, "carol"), dave = user_id(f->path, "dave");
	cv_session *s = NULL;
	cv_err err = {0};

	crypto_box_keypair(apk, ask);
	randombytes_buf(k, sizeof(k));
	assert_int_equal(q_blob(f->path, cpk, sizeof(cpk),
				"SELECT box_pk FROM users WHERE id ="
				" %lld",
				(long long)carol),
			 32);
	for (int variant = 0; variant < 2; variant++) {
		plant_vkey(f->path, "index", carol, variant ? 0 : dave, !variant, ask, cpk, k);
		assert_int_equal(cv_login(f->v, "carol", PW_CAROL, strlen(PW_CAROL), &s, &err),
				 CV_EINTEGRITY);
		assert_null(s);
		assert_code(err, CV_EINTEGRITY, "vkey.forged");
		assert_string_equal(err.msg,
				    "the copy of the index key held by 'carol' fails verification: "
				    "it was forged or swapped; run 'casevault audit verify' and "
				    "restore from a backup");
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
					" action = 'login' AND outcome = 'failed' AND detail ="
					" 'auth.vault-key'"),
			 2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases"), 0);
	/* Those refused logins are rows of the unsigned kind: audit verify
	 * names the planted copy, not the log rows that reported it. */
	{
		cv_session *v = login_ok(f->v, "sam", PW_SAM);
		cv_audit_report rep;

		assert_int_equal(cv_audit_verify(v, NULL, &rep, &err), CV_EINTEGRITY);
		if (strncmp(err.code, "rows.", 5) != 0)
			fail_msg("audit verify reported %s: %s", err.code, err.msg);
		logout(v);
	}
}

/* An admin who can write the file seals a stats key she knows to the
 * supervisor with her own, real keys: a validly signed copy, but from a
 * role that holds no stats key, of a key that is not the vault's: the
 * supervisor's login refuses it. */
static void test_stats_copy_from_admin(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *s = NULL;
	uint8_t pk[crypto_box_PUBLICKEYBYTES], *sk = sodium_malloc(32);
	cv_user_rec sam;
	cv_key_copy copy;
	cv_err err = {0};

	assert_non_null(sk);
	crypto_box_keypair(pk, sk);
	assert_int_equal(cv_store_user_by_name(f->v->st, "sam", &sam, &err), CV_OK);
	assert_int_equal(cv_copy_make(f->v, "vault_keys", CV_VKEY_STATS, sk, sam.id, sam.box_pk,
				      a->me.id, a->kh, &copy, &err),
			 CV_OK);
	assert_int_equal(cv_store_vkey_put(f->v->st, CV_VKEY_STATS, &copy, &err), CV_OK);
	logout(a);
	sodium_free(sk);
	assert_int_equal(cv_login(f->v, "sam", PW_SAM, strlen(PW_SAM), &s, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "vkey.forged");
	assert_msg_has(err, "the copy of the stats key held by 'sam'");
}

/* The stats public key swapped for the attacker's (so that new statistics
 * would be sealed to him): refused when a counselor would seal to it, and
 * already at her login, where her own index key is checked against the
 * same values: they are not row 1's.  The vault's own pair under a forged
 * signature is refused by the signature. */
static void test_stats_public_key_swapped(void **state)
{
	struct fix *f = *state;
	uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	char hex[2 * sizeof(pk) + 1], orig[2 * sizeof(pk) + 1], id[CV_CASE_ID_MAX];
	cv_case_input in = student("S-3300", "Swap Student");
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_err err = {0};
	int dup = 0;

	crypto_box_keypair(pk, sk);
	sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	assert_int_equal(cv_store_meta_get(f->v->st, "stats_pk", pk, sizeof(pk), &err), CV_OK);
	sodium_bin2hex(orig, sizeof(orig), pk, sizeof(pk));
	raw_exec(f->path, "UPDATE meta SET value = X'%s' WHERE key = 'stats_pk'", hex);
	assert_int_equal(cv_case_open(c, &in, id, &dup, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "vkey.public-replaced");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM cases"), 0);
	logout(c);
	c = (cv_session *)1;
	assert_int_equal(cv_login(f->v, "carol", PW_CAROL, strlen(PW_CAROL), &c, &err),
			 CV_EINTEGRITY);
	assert_null(c);
	assert_code(err, CV_EINTEGRITY, "vkey.public-replaced");
	/* The vault's own pair back, under another signature: the signature
	 * decides. */
	raw_exec(f->path, "UPDATE meta SET value = X'%s' WHERE key = 'stats_pk'", orig);
	raw_exec(f->path, "UPDATE meta SET value = zeroblob(64) WHERE key = 'vault_keys_sig'");
	c = (cv_session *)1;
	assert_int_equal(cv_login(f->v, "carol", PW_CAROL, strlen(PW_CAROL), &c, &err),
			 CV_EINTEGRITY);
	assert_null(c);
	assert_code(err, CV_EINTEGRITY, "vkey.public-signature");
}

/* The recovery key's copies replaced: a delivery refuses them. */
static void test_recovery_copy_replaced(void **state)
{
	struct fix *f = *state;
	uint8_t apk[crypto_box_PUBLICKEYBYTES], ask[crypto_box_SECRETKEYBYTES], k[32], rpk[32];
	cv_session *a;
	cv_err err = {0};
	int n = -1;

	crypto_box_keypair(apk, ask);
	randombytes_buf(k, sizeof(k));
	assert_int_equal(cv_recovery_pk(f->v, rpk, &err), CV_OK);
	plant_vkey(f->path, "index", 0, 1, 1, ask, rpk, k);
	raw_exec(f->path,
		 "DELETE FROM vault_keys WHERE name = 'index' AND user_id = " USER_ID("dave"));
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_vault_keys_deliver(a, recovery, &n, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "vkey.forged");
	assert_msg_has(err, "the copy of the index key held by 'recovery'");
	assert_int_equal(n, 0);
	assert_int_equal(audit_rows(f->path, "alice", "vault.keys", "failed", "vault"), 1);
	assert_int_equal(
	    q_int(f->path, "SELECT count(*) FROM vault_keys WHERE user_id = " USER_ID("dave")), 0);
	logout(a);
}

/* ---- a planted case ------------------------------------------------------------ */

/* What the attacker (session x, his own keys, write access to the file)
 * plants: a case "opened by" opener, signed as signer, granted to holder
 * by grant_sender, with a consent "verified by" the holder and a draft
 * note "by" author (records signed as rec_signer). */
struct plant {
	int64_t opener, signer, grant_sender, author, rec_signer;
	char id[CV_CASE_ID_MAX], consent[CV_ID_MAX], note[CV_ID_MAX];
};

static void plant_record(cv_session *x, const uint8_t *key, const char *case_id, const char *id,
			 const char *type, const char *kind, const char *body, int64_t author,
			 int64_t signer)
{
	cv_place at = {type, case_id, id, 1};
	cv_record r = {0};
	uint8_t *box = NULL;
	cv_err err = {0};

	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.case_id, sizeof(r.case_id), "%s", case_id);
	snprintf(r.type, sizeof(r.type), "%s", type);
	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	snprintf(r.status, sizeof(r.status), "%s", strcmp(type, "note") == 0 ? "draft" : "");
	r.version = 1;
	r.author_id = author;
	cv_time_now(r.created_at);
	snprintf(r.updated_at, sizeof(r.updated_at), "%s", r.created_at);
	assert_int_equal(cv_aead_seal(x->v, key, &at, (const uint8_t *)body, strlen(body), r.nonce,
				      &box, &r.box_len, &err),
			 CV_OK);
	r.box = box;
	assert_int_equal(cv_record_sign(x->v, &r, key, signer, x->kh, &err), CV_OK);
	assert_int_equal(cv_store_record_insert(x->v->st, &r, &err), CV_OK);
	free(box);
}

static void plant_case(cv_session *x, const cv_user_rec *holder, struct plant *p)
{
	uint8_t rpk[32], stats_pk[32], commit[CV_HASH_LEN], *key = NULL;
	const char *data =
	    "{\"born\":\"\",\"category\":\"family\",\"class\":\"7B\",\"gender\":\"F\","
	    "\"grade\":7,\"guardian\":\"\",\"guardian_phone\":\"\",\"minor_at_open\":"
	    "false,\"name\":\"Planted\",\"student_id\":\"S-666\"}";
	const char *stats = "{}";
	cv_place at;
	cv_case_rec rec = {0};
	cv_key_copy g;
	cv_err err = {0};

	assert_int_equal(cv_key_new(&key, &err), CV_OK);
	assert_int_equal(cv_new_id(x->v, 'C', 5, rec.id, &err), CV_OK);
	snprintf(p->id, sizeof(p->id), "%s", rec.id);
	snprintf(rec.status, sizeof(rec.status), "open");
	rec.opened_by = p->opener;
	cv_time_now(rec.opened_at);
	rec.version = 1;
	randombytes_buf(rec.index_tag, sizeof(rec.index_tag));
	assert_int_equal(cv_recovery_pk(x->v, rpk, &err), CV_OK);
	cv_seal_key(key, rpk, rec.recovery_key);
	cv_key_commit(key, rec.key_commit);
	at = (cv_place){"case", rec.id, rec.id, 1};
	assert_int_equal(cv_aead_seal(x->v, key, &at, (const uint8_t *)data, strlen(data),
				      rec.data_nonce, &rec.data_box, &rec.data_len, &err),
			 CV_OK);
	assert_int_equal(cv_vkeys_public(x->v, stats_pk, commit, &err), CV_OK);
	assert_int_equal(cv_seal_bytes(stats_pk, (const uint8_t *)stats, strlen(stats),
				       &rec.stats_box, &rec.stats_len, &err),
			 CV_OK);
	assert_int_equal(cv_case_sign(x->v, &rec, key, p->signer, x->kh, &err), CV_OK);
	assert_int_equal(cv_store_case_insert(x->v->st, &rec, &err), CV_OK);
	assert_int_equal(cv_copy_make(x->v, "grants", rec.id, key, holder->id, holder->box_pk,
				      p->grant_sender, x->kh, &g, &err),
			 CV_OK);
	assert_int_equal(cv_store_grant_put(x->v->st, rec.id, &g, &err), CV_OK);
	assert_int_equal(cv_new_id(x->v, 'K', 6, p->consent, &err), CV_OK);
	plant_record(
	    x, key, rec.id, p->consent, "consent", "record",
	    "{\"action\":\"record\",\"by\":\"student\",\"date\":\"2024-09-02\","
	    "\"method\":\"written\",\"scopes\":[\"individual\"],\"verified_by\":\"carol\"}",
	    p->author, p->rec_signer);
	assert_int_equal(cv_new_id(x->v, 'N', 6, p->note, &err), CV_OK);
	plant_record(x, key, rec.id, p->note, "note", "session", "she said everything is fine",
		     p->author, p->rec_signer);
	cv_case_rec_clear(&rec);
	sodium_free(key);
}

static cv_status show_case(cv_session *s, const char *id, int *cases, cv_err *err)
{
	cv_case_visitor vis = {.on_case = count_case};

	*cases = 0;
	return cv_case_show(s, id, 0, NULL, &vis, cases, err);
}

/* An admin (her own keys, the file) plants a whole case for carol: opened
 * "by carol", with consent "verified by" her and her draft note.  Whatever
 * she claims, carol's reads refuse it with exit 5 naming the row: the
 * grant is not from a counselor (or not from carol, whose signature she
 * cannot make), the case row not signed by its opener. */
static void test_planted_case_by_admin(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *c;
	cv_user_rec carol;
	struct plant p1, p2;
	char want[160];
	int cases = -1, listed = 0;
	cv_err err = {0};

	assert_int_equal(cv_store_user_by_name(f->v->st, "carol", &carol, &err), CV_OK);
	/* Everything claimed as carol's (the signatures are alice's). */
	p1 = (struct plant){carol.id, carol.id, carol.id, carol.id, carol.id, "", "", ""};
	plant_case(a, &carol, &p1);
	/* The same, with the grant honestly from alice (an admin). */
	p2 = (struct plant){carol.id, carol.id, a->me.id, carol.id, carol.id, "", "", ""};
	plant_case(a, &carol, &p2);
	logout(a);

	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(show_case(c, p1.id, &cases, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.grant-forged");
	snprintf(want, sizeof(want), "the key of case '%s' held by 'carol' fails verification",
		 p1.id);
	assert_msg_has(err, want);
	assert_int_equal(cases, 0);
	assert_int_equal(show_case(c, p2.id, &cases, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.grant-forged");
	assert_int_equal(cases, 0);
	/* Her list shows neither, and says why. */
	assert_int_equal(cv_case_list(c, 1, count_case, &listed, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.unverified");
	assert_int_equal(listed, 0);
	assert_int_equal(case_rows(f->path, "carol", "case.read", "failed", p1.id), 1);
	assert_int_equal(case_rows(f->path, "carol", "case.read", "failed", p2.id), 1);
	logout(c);
}

/* A counselor who can write the file (dave: his own keys, a genuine grant
 * he makes for carol) plants a case "opened by carol": its row is not
 * signed by its opener.  Opened by himself, with consent and a draft note
 * "by carol": those records are not signed by their author.  Carol's reads
 * refuse both, naming the case row, then the record. */
static void test_planted_case_by_counselor(void **state)
{
	struct fix *f = *state;
	cv_session *d = login_ok(f->v, "dave", PW_DAVE), *c;
	cv_user_rec carol;
	struct plant p1, p2, p3;
	char want[160];
	int cases = -1;
	cv_err err = {0};

	assert_int_equal(cv_store_user_by_name(f->v->st, "carol", &carol, &err), CV_OK);
	p1 = (struct plant){carol.id, carol.id, d->me.id, d->me.id, d->me.id, "", "", ""};
	plant_case(d, &carol, &p1);
	p2 = (struct plant){d->me.id, d->me.id, d->me.id, carol.id, carol.id, "", "", ""};
	plant_case(d, &carol, &p2);
	p3 = (struct plant){d->me.id, d->me.id, d->me.id, carol.id, d->me.id, "", "", ""};
	plant_case(d, &carol, &p3);
	logout(d);

	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(show_case(c, p1.id, &cases, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.forged");
	snprintf(want, sizeof(want), "the row of case '%s' is not signed by a counselor", p1.id);
	assert_msg_has(err, want);
	assert_int_equal(cases, 0);
	/* Signed "as carol" with dave's key. */
	assert_int_equal(show_case(c, p2.id, &cases, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "record.forged");
	snprintf(want, sizeof(want), "record '%s' of case '%s'", p2.consent, p2.id);
	assert_msg_has(err, want);
	assert_int_equal(cases, 0);
	/* Honestly signed by dave, but claimed as carol's writing. */
	assert_int_equal(show_case(c, p3.id, &cases, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "record.forged");
	assert_int_equal(cases, 0);
	/* Her "own" draft note is not shown either. */
	assert_int_equal(cv_note_show(c, p3.note, no_note, NULL, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "record.forged");
	logout(c);
}

/* ---- grants and tombstones ------------------------------------------------------ */

/* Grants swapped between two users of one case, and between two cases of
 * one user: each is refused naming the case and the holder. */
static void test_grants_swapped(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *d;
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], want[160];
	int cases = -1;
	cv_err err = {0};

	open_new(c, "S-3400", "Swap A", a);
	open_new(c, "S-3401", "Swap B", b);
	assert_int_equal(cv_case_share(c, a, "dave", &err), CV_OK);
	logout(c);
	/* carol's and dave's rows of case a exchange their copies. */
	raw_exec(
	    f->path,
	    "UPDATE grants SET user_id = -user_id WHERE case_id = '%s';"
	    " UPDATE grants SET user_id = " USER_ID(
		"dave") " WHERE case_id = '%s' AND user_id"
			" = -" USER_ID("carol") ";"
						" UPDATE grants SET user_id = " USER_ID(
						    "carol") " WHERE case_id = '%s' AND user_id"
							     " = -" USER_ID("dave"),
	    a, a, a);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(show_case(c, a, &cases, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.grant-forged");
	snprintf(want, sizeof(want), "the key of case '%s' held by 'carol'", a);
	assert_msg_has(err, want);
	d = login_ok(f->v, "dave", PW_DAVE);
	assert_int_equal(show_case(d, a, &cases, &err), CV_EINTEGRITY);
	snprintf(want, sizeof(want), "the key of case '%s' held by 'dave'", a);
	assert_msg_has(err, want);
	logout(d);
	/* carol's copies of a and b exchanged between the cases. */
	raw_exec(
	    f->path,
	    "UPDATE grants SET case_id = 'C-TMP00' WHERE case_id = '%s' AND user_id = " USER_ID(
		"carol") ";"
			 " UPDATE grants SET case_id = '%s' WHERE case_id = '%s' AND user_id "
			 "= " USER_ID(
			     "carol") ";"
				      " UPDATE grants SET case_id = '%s' WHERE case_id = 'C-TMP00'",
	    a, a, b, b);
	assert_int_equal(show_case(c, b, &cases, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.grant-forged");
	assert_int_equal(cases, 0);
	logout(c);
}

/* A live case's status set to 'shredded' would hide it as destroyed: a
 * tombstone counts only with the signature of the admin who shredded it. */
static void test_fake_tombstone(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX];
	int cases = -1;
	cv_err err = {0};

	open_new(c, "S-3500", "Hidden Student", a);
	raw_exec(f->path, "UPDATE cases SET status = 'shredded' WHERE id = '%s'", a);
	assert_int_equal(show_case(c, a, &cases, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.forged");
	raw_exec(f->path, "UPDATE cases SET status = 'open' WHERE id = '%s'", a);
	assert_int_equal(show_case(c, a, &cases, &err), CV_OK);
	assert_int_equal(cases, 1);
	logout(c);
}

static int count_referral(const cv_referral_info *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

/* An overdue referral's due date pushed into the future with sqlite3 would
 * drop it from the overdue list: the edited row is refused instead (due
 * dates do not choose which cases are read, and every record of a case
 * read is checked). */
static void test_due_date_edit_cannot_hide(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_referral_input ref = {"City Clinic", "hospital", "emotion",
				 "urgent",	"summary",  "2024-01-02"};
	char a[CV_CASE_ID_MAX], r[CV_CASE_ID_MAX];
	int n = 0;
	cv_err err = {0};

	open_new(c, "S-3600", "Due Student", a);
	consent_all(c, a);
	assert_int_equal(cv_referral_add(c, a, &ref, NULL, r, &err), CV_OK);
	assert_int_equal(cv_referral_list(c, 1, NULL, count_referral, &n, &err), CV_OK);
	assert_int_equal(n, 1);
	raw_exec(f->path, "UPDATE records SET due = '2099-01-01' WHERE id = '%s'", r);
	n = 0;
	assert_int_equal(cv_referral_list(c, 1, NULL, count_referral, &n, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "case.unverified");
	assert_int_equal(n, 0);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'case.read' AND"
			       " outcome = 'failed' AND object = 'case:%s' AND detail LIKE"
			       " 'record.forged%%'",
			       a),
			 1);
	logout(c);
}

/* ---- a stats box its writer signed ------------------------------------------- */

/* Boxes pt[0..n) from the session user's box key to the stats key: what
 * access.c writes (docs/FORMAT.md §1, statsbox), with any plaintext. */
static uint8_t *writer_box(cv_session *c, const uint8_t *pt, size_t n, size_t *len)
{
	uint8_t stats_pk[crypto_box_PUBLICKEYBYTES], commit[CV_HASH_LEN];
	uint8_t *box = malloc(n + 72);
	cv_err err = {0};

	assert_non_null(box);
	assert_int_equal(cv_vkeys_public(c->v, stats_pk, commit, &err), CV_OK);
	memcpy(box, c->kh->box_pk, crypto_box_PUBLICKEYBYTES);
	randombytes_buf(box + 32, crypto_box_NONCEBYTES);
	assert_int_equal(cv_keyholder_box(c->kh, pt, n, box + 32, stats_pk, box + 56, &err), CV_OK);
	*len = n + 72;
	return box;
}

/* The case row id with its stats box replaced by one boxing pt[0..n),
 * re-signed by the session's user (the mac's key is any key: without
 * the case key a reader checks the signature alone, §13). */
static void resign_case_stats(cv_session *c, const char *id, const cv_buf *pt)
{
	cv_case_rec rec = {0};
	uint8_t key[32];
	cv_err err = {0};

	assert_false(pt->oom);
	assert_int_equal(cv_store_case_get(c->v->st, id, &rec, &err), CV_OK);
	free(rec.stats_box);
	rec.stats_box = writer_box(c, pt->data, pt->len, &rec.stats_len);
	randombytes_buf(key, sizeof(key));
	assert_int_equal(cv_case_sign(c->v, &rec, key, c->me.id, c->kh, &err), CV_OK);
	assert_int_equal(cv_store_case_update(c->v->st, &rec, &err), CV_OK);
	cv_case_rec_clear(&rec);
}

/* The same for record id. */
static void resign_record_stats(cv_session *c, const char *id, const cv_buf *pt)
{
	cv_record r = {0};
	uint8_t key[32], *box;
	cv_err err = {0};

	assert_false(pt->oom);
	assert_int_equal(cv_store_record_get(c->v->st, id, &r, &err), CV_OK);
	box = writer_box(c, pt->data, pt->len, &r.stats_len);
	r.stats_box = box;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(cv_record_sign(c->v, &r, key, c->me.id, c->kh, &err), CV_OK);
	assert_int_equal(cv_store_record_update(c->v->st, &r, &err), CV_OK);
	free(box);
	r.stats_box = NULL;
	cv_record_clear(&r);
}

static int count_stats_case(const cv_stats_attrs *a, void *arg)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

/* The supervisor's walk refuses with code want, or counts every case
 * when want is "". */
static void walk_says(cv_vault *v, const char *want)
{
	cv_session *s = login_ok(v, "sam", PW_SAM);
	size_t cases = 0;
	int n = 0;
	cv_err err = {0};
	cv_status st = cv_access_all_stats(s, count_stats_case, &n, &cases, &err);

	assert_int_equal(st, *want ? CV_EINTEGRITY : CV_OK);
	assert_string_equal(st == CV_OK ? "" : err.code, want);
	logout(s);
}

/* carol re-signs case id (rid NULL) or record rid with the plaintext pt. */
static void carol_resigns(cv_vault *v, const char *id, const char *rid, const cv_buf *pt)
{
	cv_session *c = login_ok(v, "carol", PW_CAROL);

	if (rid)
		resign_record_stats(c, rid, pt);
	else
		resign_case_stats(c, id, pt);
	logout(c);
}

/* x's plaintext into b; a record's names case id and record rid. */
static void put_case(cv_buf *b, const cv_statsbox_case *x)
{
	b->len = 0;
	assert_int_equal(cv_statsbox_case_put(b, x), 0);
}

static void put_record(cv_buf *b, cv_statsbox_record x, const char *id, const char *rid)
{
	snprintf(x.record_id, sizeof(x.record_id), "%s", rid);
	snprintf(x.case_id, sizeof(x.case_id), "%s", id);
	b->len = 0;
	assert_int_equal(cv_statsbox_record_put(b, &x), 0);
}

/* A direct reading of case id's statistics by the supervisor refuses
 * with code. */
static void read_says(cv_vault *v, const char *id, const char *code)
{
	cv_session *s = login_ok(v, "sam", PW_SAM);
	cv_statsbox_case o;
	cv_err err = {0};

	assert_int_equal(stats_of(s, id, &o, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, code);
	logout(s);
}

/*
 * A counselor writes the stats boxes of her cases, and signs the rows: the
 * signature vouches for who wrote a box, not for what is inside.  The
 * supervisor's reading decodes every plaintext exactly and compares it
 * with its row: a plaintext that does not decode is malformed, one naming
 * another row (case id, version; record id, type) is tampered with; the
 * honest plaintext, re-signed the same way, is read.
 */
static void test_stats_plaintext_checked_after_signature(void **state)
{
	static const cv_statsbox_record watch = {"", "", "watch", 1,  "", "",		"",
						 0,  "", "",	  "", "", "left-behind"};
	static const cv_statsbox_record referral = {
	    "", "", "referral", 1, "", "", "", 0, "urgent", "emotion", "hospital", "consent", ""};
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *s;
	char id[CV_CASE_ID_MAX], rid[CV_ID_MAX];
	cv_statsbox_case good, other;
	cv_statsbox_record w = watch;
	cv_buf b = CV_BUF_INIT;
	cv_err err = {0};

	open_new(c, "S-3700", "Signed Student", id);
	assert_int_equal(cv_watch_add(c, id, "left-behind", 14, &err), CV_OK);
	q_text(f->path, rid, sizeof(rid),
	       "SELECT id FROM records WHERE case_id = '%s' AND type = "
	       "'watch'",
	       id);
	logout(c);
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(stats_of(s, id, &good, &err), CV_OK);
	logout(s);
	walk_says(f->v, "");

	/* one byte after the last field */
	put_case(&b, &good);
	cv_buf_raw(&b, "\x01", 1);
	carol_resigns(f->v, id, NULL, &b);
	read_says(f->v, id, "case.stats-malformed");
	walk_says(f->v, "case.stats-malformed");

	/* the JSON of version 5 */
	b.len = 0;
	cv_buf_raw(&b, "{\"case\":\"", 9);
	cv_buf_raw(&b, id, strlen(id));
	cv_buf_raw(&b, "\"}", 2);
	carol_resigns(f->v, id, NULL, &b);
	walk_says(f->v, "case.stats-malformed");

	/* well formed, naming another version, then another case */
	other = good;
	other.version = 2;
	put_case(&b, &other);
	carol_resigns(f->v, id, NULL, &b);
	walk_says(f->v, "case.stats-tampered");
	other = good;
	other.case_id[2] = other.case_id[2] == 'A' ? 'B' : 'A';
	put_case(&b, &other);
	carol_resigns(f->v, id, NULL, &b);
	read_says(f->v, id, "case.stats-tampered");

	/* the honest plaintext, re-signed the same way: read */
	put_case(&b, &good);
	carol_resigns(f->v, id, NULL, &b);
	walk_says(f->v, "");

	/* the register record: a tag outside its set, then another type's
	 * box, then its own again */
	w.tag = "orphan";
	put_record(&b, w, id, rid);
	carol_resigns(f->v, id, rid, &b);
	walk_says(f->v, "record.stats-malformed");
	put_record(&b, referral, id, rid);
	carol_resigns(f->v, id, rid, &b);
	walk_says(f->v, "record.stats-tampered");
	put_record(&b, watch, id, rid);
	carol_resigns(f->v, id, rid, &b);
	walk_says(f->v, "");
	cv_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_holders_by_role, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_only_supervisors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delivery_and_sharing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_reseals_vault_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_copy_from_attacker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_copy_from_admin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_public_key_swapped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recovery_copy_replaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_planted_case_by_admin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_planted_case_by_counselor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grants_swapped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fake_tombstone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_due_date_edit_cannot_hide, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats_plaintext_checked_after_signature, setup,
					    teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

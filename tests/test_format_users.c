/*
 * test_format_users.c - users and keys of docs/FORMAT.md read by the
 * independent reader (format_reader.h): the SQLite header, tables and meta
 * keys (§2, §3), the recovery code and key (§3.1, §10), identities
 * (enrolment certificates, enrolled and rotated keys), statuses and
 * key_history (§3.2, §3.3, §5), enrolment codes (§10.4), keys unwrapped
 * from passphrases (§6) and who holds which vault key (§3.5, §4.3).
 */
#include "format_reader.h"

/* §2, §3: the SQLite header, the tables and the meta keys. */
static void test_file_header(void **state)
{
	static const char *const tables[] = {
	    "audit",   "cases",	  "duty",     "grants",		"key_history", "meta",
	    "records", "reviews", "settings", "stats_releases", "users",       "vault_keys"};
	static const char *const indexes[] = {"audit_by_object", "cases_by_tag", "duty_by_start",
					      "grants_by_user", "records_by_case"};
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
	assert_memory_equal(hdr + 60, "\0\0\0\7", 4);
	assert_int_equal(hdr[18], 2); /* WAL */
	assert_int_equal(hdr[19], 2);
	assert_int_equal(scalar("PRAGMA application_id"), 0x43564C54);
	assert_int_equal(scalar("PRAGMA user_version"), 7);
	s = prep("PRAGMA journal_mode");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(text(s, 0), "wal");
	sqlite3_finalize(s);

	s = prep("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name");
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(n < sizeof(tables) / sizeof(tables[0]));
		assert_string_equal(text(s, 0), tables[n]);
		assert_non_null(strstr(text(s, 1), ") STRICT"));
		n++;
	}
	sqlite3_finalize(s);
	assert_int_equal(n, sizeof(tables) / sizeof(tables[0]));
	n = 0;
	s = prep("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE"
		 " 'sqlite_%' ORDER BY name");
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(n < sizeof(indexes) / sizeof(indexes[0]));
		assert_string_equal(text(s, 0), indexes[n++]);
	}
	sqlite3_finalize(s);
	assert_int_equal(n, sizeof(indexes) / sizeof(indexes[0]));
	assert_int_equal(scalar("SELECT count(*) FROM sqlite_schema WHERE type IN ('view',"
				" 'trigger')"),
			 0);
	/* Foreign keys as documented. */
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('records')"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('grants')"), 2);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('cases')"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('key_history')"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('vault_keys')"), 0);
	assert_int_equal(scalar("SELECT count(*) FROM pragma_foreign_key_list('duty')"), 1);

	/* §3.1: init writes exactly seven keys; the settings are absent. */
	assert_int_equal(scalar("SELECT count(*) FROM meta"), 7);
	assert_int_equal(scalar("SELECT count(*) FROM meta WHERE key IN ('vault_id',"
				" 'kdf_default', 'recovery_pk', 'recovery_sig', 'stats_pk',"
				" 'index_commit', 'vault_keys_sig')"),
			 7);
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
	assert_int_equal(crypto_sign_verify_detached(rsig, e.b, e.n, root.sign_pk), -1);
}

/* The seq of the n-th (0-based) ok row of action about user:name. */
static int64_t user_row(const char *action, const char *name, int n)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT seq FROM audit WHERE action = '%s' AND object = 'user:%s' AND"
		 " outcome = 'ok' ORDER BY seq LIMIT 1 OFFSET %d",
		 action, name, n);
	return scalar(sql);
}

/* §3.2, §3.3, §5: identities, statuses, key_history and their seqs. */
static void test_user_certificates(void **state)
{
	struct user u, erin, bob, carol;
	struct ident c, enrol_bob, enrolled_bob, reset_cert;
	struct enc e;
	int64_t add_bob, enrol1_bob, reset_bob, enrol2_bob, add_erin, enrol_erin, dis_erin;
	int64_t rot_carol;
	int count;

	(void)state;
	assert_int_equal(verify_users(&count), 0);
	assert_int_equal(count, 5);
	add_bob = user_row("user.add", "bob", 0);
	enrol1_bob = user_row("user.enrol", "bob", 0);
	reset_bob = user_row("user.reset", "bob", 0);
	enrol2_bob = user_row("user.enrol", "bob", 1);
	add_erin = user_row("user.add", "erin", 0);
	enrol_erin = user_row("user.enrol", "erin", 0);
	dis_erin = user_row("user.disable", "erin", 0);
	rot_carol = user_row("user.rotate", "carol", 0);
	assert_true(add_bob < enrol1_bob && enrol1_bob < reset_bob && reset_bob < enrol2_bob);

	assert_int_equal(load_user(0, "alice", &u), 0);
	assert_int_equal(u.c.id, 1);
	assert_int_equal(u.c.cert_seq, 1);
	assert_int_equal(u.c.creator_id, 1);
	assert_int_equal(u.status_seq, 1);
	assert_int_equal(u.status_signer_id, 1);
	assert_string_equal(u.c.expires, "");
	assert_int_equal(u.c.has_self_sig, 0);

	/* erin: enrolment certificate issued by dave, keys she made at her
	 * user.enrol row, disabled by alice at the user.disable row. */
	assert_int_equal(load_user(0, "erin", &erin), 0);
	assert_int_equal(erin.c.id, 5);
	assert_int_equal(erin.c.creator_id, 5);
	assert_int_equal(erin.c.cert_seq, enrol_erin);
	assert_int_equal(erin.c.has_self_sig, 1);
	assert_string_equal(erin.status, "disabled");
	assert_int_equal(erin.status_seq, dis_erin);
	assert_int_equal(erin.status_signer_id, 1);
	assert_int_equal(identity_at(5, enrol_erin - 1, &c), 0);
	assert_int_equal(c.cert_seq, add_erin);
	assert_int_equal(c.creator_id, 4);
	assert_int_equal(strlen(c.expires), 20);
	assert_int_equal(c.has_self_sig, 0);
	assert_int_equal(verify_identity_as(&c, 1), 0);
	/* An enrolment certificate is no signing identity. */
	assert_int_equal(verify_identity(&c), -1);

	/* bob: added, enrolled, reset by alice, enrolled again; his status is
	 * the one his second enrolment signed. */
	assert_int_equal(load_user(0, "bob", &bob), 0);
	assert_int_equal(bob.c.cert_seq, enrol2_bob);
	assert_int_equal(bob.c.creator_id, 2);
	assert_string_equal(bob.status, "active");
	assert_int_equal(bob.status_seq, enrol2_bob);
	assert_int_equal(bob.status_signer_id, 2);
	assert_int_equal(bob.keys_seq, enrol2_bob);
	assert_int_equal(scalar("SELECT count(*) FROM key_history WHERE user_id = 2"), 3);
	assert_int_equal(scalar("SELECT retired_seq FROM key_history WHERE user_id = 2"
				" ORDER BY cert_seq LIMIT 1"),
			 enrol1_bob);
	assert_int_equal(identity_at(2, enrol1_bob - 1, &enrol_bob), 0);
	assert_int_equal(enrol_bob.cert_seq, add_bob);
	assert_int_equal(enrol_bob.creator_id, 1);
	assert_int_equal(identity_at(2, reset_bob - 1, &enrolled_bob), 0);
	assert_int_equal(enrolled_bob.cert_seq, enrol1_bob);
	assert_int_equal(enrolled_bob.creator_id, 2);
	assert_memory_not_equal(enrolled_bob.sign_pk, bob.c.sign_pk, PK_LEN);
	assert_int_equal(verify_identity(&enrolled_bob), 0);
	assert_int_equal(identity_at(2, enrol2_bob - 1, &reset_cert), 0);
	assert_int_equal(reset_cert.cert_seq, reset_bob);
	assert_int_equal(reset_cert.creator_id, 1);
	assert_int_equal(identity_at(2, enrol2_bob, &c), 0);
	assert_memory_equal(c.sign_pk, bob.c.sign_pk, PK_LEN);
	assert_int_equal(identity_at(2, add_bob - 1, &c), -1);
	/* Every user but alice holds its enrolment certificate in key_history;
	 * bob his first keys and his reset's certificate too, carol the keys
	 * she rotated away from. */
	assert_int_equal(scalar("SELECT count(*) FROM key_history"), 7);
	assert_int_equal(scalar("SELECT count(*) FROM key_history WHERE creator_id <> user_id AND"
				" (length(expires) <> 20 OR length(self_sig) <> 0)"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM key_history WHERE creator_id = user_id AND"
				" (expires <> '' OR length(self_sig) <> 64)"),
			 0);

	/* carol rotated: her keys at the user.rotate row, certified by the
	 * keys she enrolled; what those signed still verifies. */
	assert_int_equal(load_user(0, "carol", &carol), 0);
	assert_int_equal(carol.c.cert_seq, rot_carol);
	assert_int_equal(carol.keys_seq, rot_carol);
	assert_int_equal(carol.status_seq, user_row("user.enrol", "carol", 0));
	assert_int_equal(identity_at(3, rot_carol - 1, &c), 0);
	assert_int_equal(c.cert_seq, carol.status_seq);
	assert_int_equal(verify_identity(&c), 0);
	keys_msg(&carol.c, &c, &e);
	assert_int_equal(e.n, 137 + strlen("carol") + strlen("supervisor"));
	assert_memory_equal(e.b, "casevault-user-rotated-v1", 25);
	assert_int_equal(crypto_sign_verify_detached(carol.c.cert_sig, e.b, e.n, c.sign_pk), 0);
	assert_int_equal(crypto_sign_verify_detached(carol.c.self_sig, e.b, e.n, carol.c.sign_pk),
			 0);

	/* The signatures cover what FORMAT.md says: change one field, it fails. */
	snprintf(erin.c.role, sizeof(erin.c.role), "admin");
	assert_int_equal(verify_identity(&erin.c), -1);
	assert_int_equal(load_user(5, NULL, &erin), 0);
	erin.c.cert_seq++;
	assert_int_equal(verify_identity(&erin.c), -1);
	assert_int_equal(load_user(5, NULL, &erin), 0);
	snprintf(erin.status, sizeof(erin.status), "active");
	assert_int_equal(verify_user(&erin), -1);
	assert_int_equal(load_user(5, NULL, &erin), 0);
	erin.status_seq = add_erin;
	assert_int_equal(verify_user(&erin), -1);
	assert_int_equal(identity_at(5, enrol_erin - 1, &c), 0);
	snprintf(c.expires, sizeof(c.expires), "2099-01-01T00:00:00Z");
	assert_int_equal(verify_identity_as(&c, 1), -1);

	/* bob's keys are certified by the code's key (his reset certificate's
	 * sign_pk) and by themselves, not by alice. */
	keys_msg(&bob.c, &reset_cert, &e);
	assert_int_equal(e.n, 138 + strlen("bob") + strlen("counselor"));
	assert_int_equal(crypto_sign_verify_detached(bob.c.cert_sig, e.b, e.n, reset_cert.sign_pk),
			 0);
	assert_int_equal(crypto_sign_verify_detached(bob.c.self_sig, e.b, e.n, bob.c.sign_pk), 0);
	assert_int_equal(load_user(1, NULL, &u), 0);
	assert_int_equal(crypto_sign_verify_detached(bob.c.cert_sig, e.b, e.n, u.c.sign_pk), -1);
	/* The reset certificate is alice's, over the code's public keys. */
	enrol_cert_msg(&reset_cert, &e);
	assert_int_equal(e.n, 164 + strlen("bob") + strlen("counselor"));
	assert_int_equal(crypto_sign_verify_detached(reset_cert.cert_sig, e.b, e.n, u.c.sign_pk),
			 0);
	status_msg(&bob, &e);
	assert_int_equal(e.n, 68 + strlen("active"));
	assert_int_equal(crypto_sign_verify_detached(bob.status_sig, e.b, e.n, bob.c.sign_pk), 0);
}

/* §10.4: an enrolment code's symbols, check and key pairs. */
static void code_keys(const char *typed, int64_t id, int64_t cert_seq, uint8_t box_pk[PK_LEN],
		      uint8_t sign_pk[PK_LEN])
{
	static const char alpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint8_t h[HASH_LEN], seed[HASH_LEN], sk[64];
	char sym[21];
	struct enc e = {.n = 0};
	size_t n = 0;

	for (const char *p = typed; *p; p++)
		if (*p != '-') {
			assert_true(n < 20);
			assert_non_null(strchr(alpha, *p));
			sym[n++] = *p;
		}
	assert_int_equal(n, 20);
	put_str(&e, "casevault-enrol-check-v1");
	put(&e, sym, 19);
	b2b256(h, &e);
	assert_int_equal(sym[19], alpha[h[0] & 31]);
	for (int k = 0; k < 2; k++) {
		e.n = 0;
		put_str(&e, k ? "casevault-enrol-sign-v1" : "casevault-enrol-box-v1");
		put(&e, vid, VID_LEN);
		put_u64(&e, (uint64_t)id);
		put_u64(&e, (uint64_t)cert_seq);
		put(&e, sym, 19);
		b2b256(seed, &e);
		if (k)
			assert_int_equal(crypto_sign_seed_keypair(sign_pk, sk, seed), 0);
		else
			assert_int_equal(crypto_box_seed_keypair(box_pk, sk, seed), 0);
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(seed, sizeof(seed));
}

static void test_enrolment_codes(void **state)
{
	uint8_t box_pk[PK_LEN], sign_pk[PK_LEN], saved[VID_LEN];
	struct ident cert;
	int64_t reset_bob = user_row("user.reset", "bob", 0);

	(void)state;
	/* The last code the API gave out was bob's reset code: it stands for
	 * his reset certificate's public keys. */
	assert_int_equal(strlen(enrol_code), 23);
	for (size_t i = 5; i < 23; i += 6)
		assert_int_equal(enrol_code[i], '-');
	code_keys(enrol_code, 2, reset_bob, box_pk, sign_pk);
	assert_int_equal(identity_at(2, reset_bob, &cert), 0);
	assert_int_equal(cert.cert_seq, reset_bob);
	assert_memory_equal(cert.box_pk, box_pk, PK_LEN);
	assert_memory_equal(cert.sign_pk, sign_pk, PK_LEN);
	/* Bound to the certificate: another row gives other keys. */
	code_keys(enrol_code, 2, reset_bob + 1, box_pk, sign_pk);
	assert_memory_not_equal(cert.sign_pk, sign_pk, PK_LEN);

	/* §20's vector. */
	memcpy(saved, vid, VID_LEN);
	for (int i = 0; i < VID_LEN; i++)
		vid[i] = (uint8_t)i;
	code_keys("01234-56789-ABCDE-FGHJR", 2, 5, box_pk, sign_pk);
	memcpy(vid, saved, VID_LEN);
	assert_hex(box_pk, PK_LEN,
		   "c71c6b55e5583b3190b4b1de9d1a03d331ede23a81e6291ba652ca0dac5a9b5c");
	assert_hex(sign_pk, PK_LEN,
		   "6f1814e898d9cf5ee5e0c7264b427528959ff66baf44a74aaf5a8109437bc042");
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
	assert_int_equal(unwrap(&bob, bob.c.id, BOB_NEW, sec), -1);
	assert_int_equal(unwrap(&bob, bob.c.id, BOB_PASS, sec), -1);
	assert_int_equal(unwrap(&bob, 1, BOB_RESET, sec), -1);

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
/* §3.10: each settings row is signed by an admin with the identity held at
 * its seq, and seq is the log's last config.set of that name. */
static void test_settings(void **state)
{
	uint8_t sig[SIG_LEN];
	sqlite3_stmt *s;
	int n = 0;

	(void)state;
	s = prep("SELECT name, value, seq, signer_id, sig FROM settings ORDER BY name");
	while (sqlite3_step(s) == SQLITE_ROW) {
		char name[32], value[128], q[160];
		int64_t seq = sqlite3_column_int64(s, 2), signer = sqlite3_column_int64(s, 3);
		struct enc e = {.n = 0};
		struct ident k;

		assert_int_equal(copy_text(s, 0, name, sizeof(name)), 0);
		assert_int_equal(copy_text(s, 1, value, sizeof(value)), 0);
		assert_int_equal(blob(s, 4, sig, SIG_LEN), 0);
		assert_int_equal(identity_at(signer, seq, &k), 0);
		assert_int_equal(verify_identity(&k), 0);
		assert_string_equal(k.role, "admin");
		setting_msg(vid, name, value, seq, signer, &e);
		assert_int_equal(crypto_sign_verify_detached(sig, e.b, e.n, k.sign_pk), 0);
		snprintf(q, sizeof(q),
			 "SELECT max(seq) FROM audit WHERE action = 'config.set' AND outcome = 'ok'"
			 " AND object = 'setting:%s'",
			 name);
		assert_int_equal(scalar(q), seq);
		n++;
	}
	sqlite3_finalize(s);
	assert_int_equal(n, 2);
	assert_int_equal(scalar("SELECT count(*) FROM settings WHERE name = 'duty_hours' AND"
				" value = '12'"),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM audit WHERE action = 'config.set' AND"
				" detail = 'value=8'"),
			 1);
}

/* §3.5, §4.3: each vault key held by one role only, in authenticated
 * copies: the recovery key's from the first admin at init; bob's index key
 * and carol's stats key from the recovery key ('vault keys --deliver',
 * and bob's again at his reset); erin's index key from bob, at his login,
 * deleted when she was disabled.  Admins hold none. */
static void test_vault_keys(void **state)
{
	uint8_t stats[KEY_LEN], index[KEY_LEN], k[KEY_LEN], rpk[PK_LEN], rsk[32];
	uint8_t stats_pk[PK_LEN], commit[HASH_LEN];
	struct user u, erin;
	struct copy c;
	struct ident sender;
	uint8_t *sec;

	(void)state;
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys"), 4);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE user_id = 0 AND"
				" sender_id = 1 AND sig IS NOT NULL"),
			 2);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys v JOIN users u ON u.id ="
				" v.user_id WHERE u.role = 'admin' OR u.status <> 'active'"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys v JOIN users u ON u.id ="
				" v.user_id WHERE (v.name = 'index') <> (u.role = 'counselor')"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE user_id <> 0 AND user_id"
				" NOT IN (SELECT id FROM users)"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE name NOT IN ('stats',"
				" 'index') OR length(box) <> 48 OR length(nonce) <> 24 OR"
				" length(sent_at) <> 20 OR (sig IS NULL) <> (sender_id = 0)"),
			 0);
	/* erin got hers from bob (a signed copy), then lost it. */
	assert_int_equal(count_rows("actor = 'bob' AND action = 'vkey.share' AND object ="
				    " 'user:erin' AND detail = 'key=index' AND outcome = 'ok'"),
			 1);
	assert_int_equal(count_rows("actor = 'alice' AND action = 'vault.keys' AND detail ="
				    " 'copies=2' AND outcome = 'ok'"),
			 1);
	sec = secrets_of("erin", ERIN_PASS, &erin);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE user_id = 5"), 0);
	assert_int_equal(vault_key("index", erin.c.id, sec, k), -1);
	sodium_free(sec);

	/* The recovery copies: the signed public values check both keys. */
	assert_int_equal(vault_keys_public(stats_pk, commit), 0);
	recovery_keys(code, rpk, rsk);
	assert_int_equal(vault_key("stats", 0, rsk, stats), 0);
	assert_int_equal(vault_key("index", 0, rsk, index), 0);
	assert_memory_not_equal(stats, index, KEY_LEN);
	assert_int_equal(crypto_scalarmult_base(k, stats), 0);
	assert_memory_equal(k, stats_pk, PK_LEN);

	/* bob: the index key, delivered from the recovery key, then re-made by
	 * his re-enrolment after the reset from his new key to itself. */
	sec = secrets_of("bob", BOB_RESET, &u);
	assert_int_equal(vault_key("index", u.c.id, sec, k), 0);
	assert_memory_equal(k, index, KEY_LEN);
	assert_int_equal(load_copy("vault_keys", "index", u.c.id, &c), 0);
	assert_int_equal(c.sender_id, u.c.id);
	assert_int_equal(vault_key("stats", u.c.id, sec, k), -1);
	/* His copy in the recovery's row does not open with his key. */
	assert_int_equal(vault_key("index", 0, sec, k), -1);
	sodium_free(sec);
	/* carol: the stats secret key, nothing else. */
	sec = secrets_of("carol", CAROL_PASS, &u);
	assert_int_equal(vault_key("stats", u.c.id, sec, k), 0);
	assert_memory_equal(k, stats, KEY_LEN);
	assert_int_equal(vault_key("index", u.c.id, sec, k), -1);
	/* Named as sent by the first admin, her copy fails: alice never
	 * signed it. */
	assert_int_equal(load_copy("vault_keys", "stats", u.c.id, &c), 0);
	c.sender_id = 1;
	c.has_sig = 1;
	assert_int_equal(open_copy("vault_keys", "stats", &c, sec, k, &sender), -1);
	sodium_free(sec);
	/* alice and dave (admins) hold nothing. */
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys WHERE user_id IN (1, 4)"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_file_header, no_open_transaction),
	    cmocka_unit_test_setup(test_meta_and_recovery, no_open_transaction),
	    cmocka_unit_test_setup(test_user_certificates, no_open_transaction),
	    cmocka_unit_test_setup(test_enrolment_codes, no_open_transaction),
	    cmocka_unit_test_setup(test_unwrap_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_vault_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_settings, no_open_transaction),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

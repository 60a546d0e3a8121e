/*
 * test_format_users.c - users and keys of docs/FORMAT.md read by the
 * independent reader (format_reader.h): the SQLite header, tables and meta
 * keys (§2, §3), the recovery code and key (§3.1, §10), identities,
 * statuses and key_history (§3.2, §3.3, §5), keys unwrapped from
 * passphrases (§6) and who holds which vault key (§3.5, §4.3).
 */
#include "format_reader.h"

/* §2, §3: the SQLite header, the tables and the meta keys. */
static void test_file_header(void **state)
{
	static const char *const tables[] = {"audit",	"cases",    "grants", "key_history", "meta",
					     "records", "settings", "users",  "vault_keys"};
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
	assert_memory_equal(hdr + 60, "\0\0\0\2", 4);
	assert_int_equal(hdr[18], 2); /* WAL */
	assert_int_equal(hdr[19], 2);
	assert_int_equal(scalar("PRAGMA application_id"), 0x43564C54);
	assert_int_equal(scalar("PRAGMA user_version"), 2);
	s = prep("PRAGMA journal_mode");
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal(text(s, 0), "wal");
	sqlite3_finalize(s);

	s = prep("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name");
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(n < 9);
		assert_string_equal(text(s, 0), tables[n]);
		assert_non_null(strstr(text(s, 1), ") STRICT"));
		n++;
	}
	sqlite3_finalize(s);
	assert_int_equal(n, 9);
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
	assert_int_equal(identity_at(2, add_bob - 1, &c), -1);

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

	/* bob's identity is signed by alice, not by bob himself. */
	cert_msg(&bob.c, &e);
	assert_int_equal(crypto_sign_verify_detached(bob.c.cert_sig, e.b, e.n, bob.c.sign_pk), -1);
	assert_int_equal(load_user(1, NULL, &u), 0);
	assert_int_equal(crypto_sign_verify_detached(bob.c.cert_sig, e.b, e.n, u.c.sign_pk), 0);
	assert_int_equal(e.n, 134 + strlen("bob") + strlen("counselor"));
	status_msg(&bob, &e);
	assert_int_equal(e.n, 68 + strlen("active"));
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

	/* bob: the index key from the recovery key (sender 0, no signature). */
	sec = secrets_of("bob", BOB_RESET, &u);
	assert_int_equal(vault_key("index", u.c.id, sec, k), 0);
	assert_memory_equal(k, index, KEY_LEN);
	assert_int_equal(load_copy("vault_keys", "index", u.c.id, &c), 0);
	assert_int_equal(c.sender_id, 0);
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
	    cmocka_unit_test_setup(test_unwrap_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_vault_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_settings, no_open_transaction),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_format_cases.c - cases of docs/FORMAT.md read by the independent
 * reader (format_reader.h): case keys from authenticated grants and from the
 * recovery copy, checked against the case's commitment (§3.7, §4.4, §4.5),
 * the case row's signature (§3.6), the case data, its statistics sealed to
 * the stats key and its blind index (§12.1, §12.2, §14), and what shredding
 * leaves (§16).
 */
#include "format_reader.h"

/* §3.7, §4.4, §4.5: case keys from grants and from the recovery copy. */
static void test_case_keys(void **state)
{
	uint8_t key[KEY_LEN], k[KEY_LEN], rpk[PK_LEN], rsk[32], commit[HASH_LEN];
	struct kase c;
	struct user erin, bob;
	struct copy g;
	struct ident sender;
	struct enc e;
	uint8_t *sec;

	(void)state;
	bob_case_key(case_id, key);
	assert_int_equal(load_case(case_id, &c), 0);
	key_commit(key, commit);
	assert_memory_equal(commit, c.key_commit, HASH_LEN);
	/* The recovery code opens the recovery copy: the same key. */
	recovery_keys(code, rpk, rsk);
	assert_int_equal(unseal(c.recovery_key, rpk, rsk, k), 0);
	assert_memory_equal(k, key, KEY_LEN);
	/* erin was shared the case, then disabled: her grant went with the
	 * account, though her key pair still unwraps. */
	sec = secrets_of("erin", ERIN_PASS, &erin);
	assert_int_equal(erin.c.id, 5);
	assert_int_equal(load_copy("grants", case_id, erin.c.id, &g), -1);
	assert_int_equal(scalar("SELECT count(*) FROM grants WHERE user_id = 5"), 0);
	sodium_free(sec);
	assert_int_equal(count_rows("action = 'case.share' AND detail = 'to=erin' AND outcome ="
				    " 'ok'"),
			 1);
	/* Grants: bob only (opened; re-made from the recovery key by alice's
	 * reset to his new enrolment code's key, then by bob's enrolment from
	 * his new key to itself: sender 2, signed). */
	assert_int_equal(load_user(0, "bob", &bob), 0);
	assert_int_equal(scalar1("SELECT count(*) FROM grants WHERE case_id = ?1", case_id), 1);
	assert_int_equal(scalar("SELECT count(*) FROM grants"), 1);
	assert_int_equal(load_copy("grants", case_id, bob.c.id, &g), 0);
	assert_int_equal(g.sender_id, bob.c.id);
	assert_int_equal(g.has_sig, 1);
	assert_int_equal(scalar1("SELECT count(*) FROM grants WHERE case_id = ?1 AND user_id = 2"
				 " AND length(sent_at) = 20 AND length(nonce) = 24 AND"
				 " length(box) = 48 AND length(sig) = 64",
				 case_id),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM grants g JOIN users u ON u.id = g.user_id"
				" WHERE u.status <> 'active'"),
			 0);
	/* bob's key opens it, and it is signed by bob's current identity. */
	sec = secrets_of("bob", BOB_RESET, &bob);
	assert_int_equal(open_copy("grants", case_id, &g, sec, k, &sender), 0);
	assert_int_equal(sender.id, bob.c.id);
	assert_memory_equal(k, key, KEY_LEN);
	/* The same copy claimed as from the recovery key (sender 0) opens for
	 * no one: the recovery key did not box it. */
	g.sender_id = 0;
	g.has_sig = 0;
	assert_int_equal(open_copy("grants", case_id, &g, sec, k, &sender), -1);
	g.sender_id = bob.c.id;
	g.has_sig = 1;
	sodium_free(sec);
	/* The signed message of a copy: its layout (§4.5). */
	copy_msg("grants", case_id, &g, commit, &e);
	assert_int_equal(e.n,
			 21 + 16 + 4 + 6 + 4 + strlen(case_id) + 8 + 8 + 4 + 20 + 24 + 48 + 32);
	/* The old box key (bob before the reset) is gone from users. */
	assert_int_equal(scalar("SELECT count(*) FROM key_history h JOIN users u ON u.id ="
				" h.user_id WHERE h.box_pk = u.box_pk"),
			 0);
}

/* §3.6: the case row is signed by the counselor who last changed it, with a
 * mac under the case key; any edited column fails. */
static void test_case_signature(void **state)
{
	uint8_t key[KEY_LEN], other[KEY_LEN];
	struct ident signer;
	struct kase c;
	char q[160];

	(void)state;
	bob_case_key(case_id, key);
	assert_int_equal(load_case(case_id, &c), 0);
	/* Closed by bob after his reset: his current identity signed it. */
	assert_int_equal(c.signer_id, 2);
	assert_int_equal(case_verify(&c, key, &signer), 0);
	assert_int_equal(signer.cert_seq, scalar("SELECT cert_seq FROM users WHERE id = 2"));
	assert_string_equal(signer.role, "counselor");
	/* Without the case key the signature still verifies (the mac is
	 * stored); another key's mac does not. */
	assert_int_equal(case_verify(&c, NULL, &signer), 0);
	randombytes_buf(other, sizeof(other));
	assert_int_equal(case_verify(&c, other, &signer), -1);
	/* An edited status, date, opener or version fails. */
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE cases SET status = 'open', closed_at = '' WHERE id = '%s'",
		 case_id);
	exec(q);
	assert_int_equal(load_case(case_id, &c), 0);
	assert_int_equal(case_verify(&c, key, &signer), -1);
	exec("ROLLBACK");
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE cases SET opened_by = 4 WHERE id = '%s'", case_id);
	exec(q);
	assert_int_equal(load_case(case_id, &c), 0);
	assert_int_equal(case_verify(&c, NULL, &signer), -1);
	exec("ROLLBACK");
	/* Another signer named (the same signature) fails. */
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE cases SET signer_id = 5 WHERE id = '%s'", case_id);
	exec(q);
	assert_int_equal(load_case(case_id, &c), 0);
	assert_int_equal(case_verify(&c, NULL, &signer), -1);
	exec("ROLLBACK");
	assert_int_equal(load_case(case_id, &c), 0);
	assert_int_equal(case_verify(&c, key, &signer), 0);
}

/* §12.1, §12.2, §14: the case data, its statistics and its blind index. */
static void test_case_data(void **state)
{
	uint8_t key[KEY_LEN], stats[KEY_LEN], index[KEY_LEN], tag[HASH_LEN];
	uint8_t stats_pk[PK_LEN], commit[HASH_LEN], plain[512];
	char opened[11], closed[11];
	struct enc want = {0};
	struct kase c;
	struct user bob, carol;
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
	content_ad(vid, "note", case_id, case_id, c.version, &ad);
	assert_null(aead_open(key, c.data_nonce, c.data_box, c.data_len, &ad, NULL));

	/* §4.3: bob (counselor) holds the index key only; carol (supervisor)
	 * the stats key only. */
	sec = secrets_of("bob", BOB_RESET, &bob);
	assert_int_equal(vault_key("index", bob.c.id, sec, index), 0);
	assert_int_equal(vault_key("stats", bob.c.id, sec, stats), -1);
	sodium_free(sec);
	sec = secrets_of("carol", CAROL_PASS, &carol);
	assert_int_equal(vault_key("stats", carol.c.id, sec, stats), 0);
	assert_int_equal(vault_key("index", carol.c.id, sec, tag), -1);
	sodium_free(sec);
	assert_int_equal(vault_keys_public(stats_pk, commit), 0);

	/* §12.2: boxed by its writer to the stats public key; the stats
	 * secret key opens it; "closed" is the date only; case and version bind it to the row.
	 * The plaintext, byte for byte: the tag, then the fields in order. */
	memcpy(opened, c.opened_at, 10);
	opened[10] = '\0';
	memcpy(closed, c.closed_at, 10);
	closed[10] = '\0';
	put_str(&want, "casevault-stats-case-v1");
	put_lp8(&want, case_id);
	put_u64(&want, 2); /* version */
	put_u8(&want, 7);  /* grade */
	put_lp8(&want, "F");
	put_lp8(&want, "family");
	put_lp8(&want, opened);
	put_lp8(&want, closed);
	put_u8(&want, 1); /* minor */
	/* statsbox (§1): writer_box_pk (32) || nonce (24) || crypto_box_easy */
	assert_true(c.stats_len > 72 && c.stats_len - 72 < sizeof(plain));
	{
		/* writer_box_pk: the box key of a user of the vault (the writer's) */
		sqlite3_stmt *q = prep("SELECT count(*) FROM users WHERE box_pk = ?1");

		sqlite3_bind_blob(q, 1, c.stats_box, 32, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(q, 0), 1);
		sqlite3_finalize(q);
	}
	assert_int_equal(crypto_box_open_easy(plain, c.stats_box + 56, c.stats_len - 56,
					      c.stats_box + 32, c.stats_box, stats),
			 0);
	assert_int_equal(c.stats_len - 72, want.n);
	assert_memory_equal(plain, want.b, want.n);
	/* Neither the case key nor the index key opens it. */
	assert_int_equal(crypto_box_open_easy(plain, c.stats_box + 56, c.stats_len - 56,
					      c.stats_box + 32, c.stats_box, key),
			 -1);
	assert_int_equal(crypto_box_open_easy(plain, c.stats_box + 56, c.stats_len - 56,
					      c.stats_box + 32, c.stats_box, index),
			 -1);

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

/* §16: what shredding leaves: a tombstone signed by the admin. */
static void test_shredded(void **state)
{
	sqlite3_stmt *s;
	uint8_t zero[HASH_LEN] = {0}, tag[HASH_LEN];
	struct ident signer;
	struct kase c;
	char obj[64];

	(void)state;
	assert_true(valid_id(case2_id, 'C', 5));
	assert_true(valid_id(note3, 'N', 6));
	s = prep("SELECT status, version, opened_by, length(opened_at), index_tag,"
		 " typeof(recovery_key), length(recovery_key), length(data_nonce),"
		 " length(data_box), length(stats_box), key_commit FROM cases"
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
	for (int i = 6; i <= 9; i++)
		assert_int_equal(sqlite3_column_int64(s, i), 0);
	assert_int_equal(blob(s, 10, tag, HASH_LEN), 0);
	assert_memory_equal(tag, zero, HASH_LEN);
	sqlite3_finalize(s);
	assert_int_equal(load_case(case2_id, &c), 0);
	assert_int_equal(c.signer_id, 1);
	assert_int_equal(case_verify(&c, NULL, &signer), 0);
	assert_string_equal(signer.name, "alice");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_case_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_case_signature, no_open_transaction),
	    cmocka_unit_test_setup(test_case_data, no_open_transaction),
	    cmocka_unit_test_setup(test_shredded, no_open_transaction),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

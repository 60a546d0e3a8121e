/*
 * test_format_cases.c - cases of docs/FORMAT.md read by the independent
 * reader (format_reader.h): case keys from grants and from the recovery
 * copy (§3.7, §4.4), the case data, its statistics and blind index (§12.1,
 * §12.2, §14), and what shredding leaves (§16).
 */
#include "format_reader.h"

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
	assert_int_equal(sealed_row("SELECT sealed_key FROM grants WHERE case_id = ?1 AND"
				    " user_id = ?2",
				    case_id, erin.c.id, sealed),
			 -1);
	assert_int_equal(scalar("SELECT count(*) FROM grants WHERE user_id = 5"), 0);
	sodium_free(sec);
	assert_int_equal(count_rows("action = 'case.share' AND detail = 'to=erin' AND outcome ="
				    " 'ok'"),
			 1);
	/* Grants: bob only (opened; re-sealed by alice's reset to his new
	 * enrolment code's key, then by bob's enrolment to his own). */
	assert_int_equal(load_user(0, "bob", &bob), 0);
	assert_int_equal(scalar1("SELECT count(*) FROM grants WHERE case_id = ?1", case_id), 1);
	assert_int_equal(scalar("SELECT count(*) FROM grants"), 1);
	assert_int_equal(scalar1("SELECT granted_by FROM grants WHERE case_id = ?1 AND user_id ="
				 " 2",
				 case_id),
			 2);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_case_keys, no_open_transaction),
	    cmocka_unit_test_setup(test_case_data, no_open_transaction),
	    cmocka_unit_test_setup(test_shredded, no_open_transaction),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

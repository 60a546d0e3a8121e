/*
 * test_format_log.c - the audit log of docs/FORMAT.md read by the
 * independent reader (format_reader.h): the documented vectors (§20), the
 * chain, every checkpoint signature and the action vocabulary (§7, §8),
 * the external checkpoint file (§9), and the reader refusing a tampered
 * log: edited, deleted and forged rows, the segment, actor and
 * disabled-signer rules and the users-against-log rule (§5.4, §7.5).
 */
#include "format_reader.h"

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
	row_hash(g, 1, r1,
		 "meta:1:abababababababababababababababababababababababababababababababab", h1);
	assert_hex(h1, HASH_LEN,
		   "612b0030b72027bf6fc0ac6be25754ac643b18c58c372a141c2f71fb5c0aaf00");
	row_hash(h1, 2, r2, "", h2);
	assert_hex(h2, HASH_LEN,
		   "80de157dd286be978a453daa7097aa8acf132691d9c9ee6bf17bd782158593b7");
	/* §7.6: the hash of a stored row, on a row made in a scratch database. */
	{
		sqlite3 *mem = NULL;
		sqlite3_stmt *q = NULL;
		uint8_t rh[HASH_LEN];

		assert_int_equal(sqlite3_open(":memory:", &mem), SQLITE_OK);
		assert_int_equal(
		    sqlite3_exec(mem,
				 "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT"
				 " NOT NULL, seq INTEGER NOT NULL, signer_id INTEGER NOT"
				 " NULL, sig BLOB NOT NULL) STRICT;"
				 "INSERT INTO settings VALUES ('adult_age', '16', 3, 1,"
				 " zeroblob(64));",
				 NULL, NULL, NULL),
		    SQLITE_OK);
		assert_int_equal(
		    sqlite3_prepare_v2(mem, "SELECT rowid, * FROM settings", -1, &q, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		stored_row_hash(q, "settings", rh);
		assert_hex(rh, HASH_LEN,
			   "c2543cbfae742ac111bc350af9f847b7f8fae94b719197ccf2565b7eae95b94a");
		sqlite3_finalize(q);
		sqlite3_close(mem);
	}
	{
		uint8_t rk[PK_LEN];

		for (int i = 0; i < PK_LEN; i++)
			rk[i] = (uint8_t)(0xc0 + i);
		checkpoint_msg(v, rk, 2, h2, &e);
		assert_int_equal(e.n, 111);
		assert_hex(e.b + 39, PK_LEN,
			   "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf");
	}

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
	{
		/* §13: that row as a final session note by user 2, and its mac. */
		struct rec r = {.version = 1, .author_id = 2, .signer_id = 2};
		uint8_t mac[HASH_LEN], commit[HASH_LEN], saved[VID_LEN];

		memcpy(saved, vid, VID_LEN); /* record_msg reads the vault's id */
		memcpy(vid, v, VID_LEN);
		snprintf(r.id, sizeof(r.id), "N-4F9QK2");
		snprintf(r.case_id, sizeof(r.case_id), "C-7KQ2M");
		snprintf(r.type, sizeof(r.type), "note");
		snprintf(r.kind, sizeof(r.kind), "session");
		snprintf(r.status, sizeof(r.status), "final");
		snprintf(r.created_at, sizeof(r.created_at), "2024-01-02T03:04:05Z");
		snprintf(r.updated_at, sizeof(r.updated_at), "2024-01-02T03:04:05Z");
		memcpy(r.nonce, nonce, NONCE_LEN);
		memcpy(r.box, box, sizeof(box));
		r.box_len = sizeof(box);
		record_msg(&r, &e);
		memcpy(vid, saved, VID_LEN);
		assert_int_equal(e.n, 230);
		assert_hex(e.b, e.n,
			   "636173657661756c742d7265636f72642d7632000102030405060708090a0b0c0d0e0f"
			   "000000084e2d344639514b3200000007432d374b51324d000000046e6f746500000000"
			   "0000000773657373696f6e0000000566696e616c000000000000000100000000000000"
			   "0200000014323032342d30312d30325430333a30343a30355a00000014323032342d30"
			   "312d30325430333a30343a30355a00000000a0713ae79b671dc3fa1ec286bddea28de7"
			   "0c43ced4c1ca5d26f65656895066120e5751c026e543b2e8ab2eb06099daa1d1e5df47"
			   "778f7787faab45cdf12fe3a80000000000000002");
		crypto_generichash(mac, HASH_LEN, e.b, e.n, ck, KEY_LEN);
		assert_hex(mac, HASH_LEN,
			   "b50a3ba511d267024ab55dae4e5d082a0071189638187e2733eab7b4297d3645");
		key_commit(ck, commit);
		assert_hex(commit, HASH_LEN,
			   "7f980b4ece1859b28bd2955f03068bb763da1f73004ee787225c6fee5e2d7e8d");
	}
	content_ad(v, "case", "C-7KQ2M", "C-7KQ2M", 2, &ad);
	assert_int_equal(ad.n, 69);
	assert_hex(ad.b, ad.n,
		   "636173657661756c742d61642d7631000102030405060708090a0b0c0d0e0f000000046361"
		   "736500000007432d374b51324d00000007432d374b51324d0000000000000002");
	blind_index(ik, "s-2024 0042", tag);
	assert_hex(tag, HASH_LEN,
		   "be82eb1fb8f4fada54d9d1c0c8e9060602b2b094cce6b4ab9dd7801723e19466");
}

/* §7, §8: the chain, every checkpoint signature, and the vocabulary. */
static void test_audit_chain(void **state)
{
	static const char *const actions[] = {
	    "vault.init",    "config.set",   "case.read",	 "user.add",
	    "user.list",     "user.passwd",  "user.disable",	 "user.reset",
	    "audit.log",     "audit.verify", "audit.checkpoint", "login",
	    "checkpoint",    "case.open",    "case.list",	 "case.find",
	    "case.show",     "case.close",   "case.reopen",	 "case.share",
	    "case.handover", "case.shred",   "consent.record",	 "consent.withdraw",
	    "note.add",	     "note.edit",    "note.finalize",	 "note.amend",
	    "note.show",     "test.add",     "referral.add",	 "referral.update",
	    "referral.list", "watch.add",    "watch.list",	 "watch.done",
	    "crisis",	     "vkey.share",   "vault.keys",	 "user.enrol",
	    "user.rotate"};
	char obj[64], crisis_id[ID_CAP], detail[160], watch_id[ID_CAP], verify_detail[192];
	struct log_stats st;
	sqlite3_stmt *s;
	int64_t n = scalar("SELECT count(*) FROM audit"), vseq;

	(void)state;
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 0);
	assert_int_equal(st.rows, n);
	/* §7.6: every stored row is the one the log last committed to. */
	assert_true(ncommits > 0);
	assert_int_equal(verify_rows(), 0);
	assert_int_equal(st.unsigned_tail, 0);
	assert_int_equal(scalar("SELECT max(seq) FROM audit"), n);
	/* One checkpoint per transaction: every row but failed logins and
	 * refused enrolments is in one, the crisis row shares its action's
	 * transaction, the case.read rows of a batch share one, and so do the
	 * vkey.share rows of one login or delivery (§7.4). */
	assert_int_equal(
	    st.checkpoints,
	    count_rows("action NOT IN ('checkpoint', 'login', 'crisis', 'case.read',"
		       " 'vkey.share') AND NOT (action = 'user.enrol' AND outcome <> 'ok')") +
		count_rows("action IN ('case.read', 'vkey.share') AND seq + 1 IN (SELECT seq"
			   " FROM audit WHERE action = 'checkpoint')"));
	assert_true(count_rows("action = 'case.read' AND outcome = 'ok'") > 0);
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
	/* §10.3, §4.3: row 1 commits to the recovery key, the stats public
	 * key and the index commitment meta holds. */
	{
		uint8_t meta_rpk[PK_LEN], meta_spk[PK_LEN], meta_ic[32];
		char want[512], hex[2 * PK_LEN + 1], shex[2 * PK_LEN + 1], ihex[65];

		assert_int_equal(meta("recovery_pk", meta_rpk, PK_LEN), 0);
		assert_memory_equal(meta_rpk, rpk1, PK_LEN);
		assert_int_equal(meta("stats_pk", meta_spk, PK_LEN), 0);
		assert_int_equal(meta("index_commit", meta_ic, sizeof(meta_ic)), 0);
		sodium_bin2hex(hex, sizeof(hex), rpk1, PK_LEN);
		sodium_bin2hex(shex, sizeof(shex), meta_spk, PK_LEN);
		sodium_bin2hex(ihex, sizeof(ihex), meta_ic, sizeof(meta_ic));
		snprintf(want, sizeof(want),
			 "seq = 1 AND actor = 'alice' AND action = 'vault.init' AND"
			 " object = 'vault' AND detail = 'admin=alice kdf=argon2id t=2"
			 " m=19456 p=1 stats=%s index=%s recovery=%s'",
			 shex, ihex, hex);
		assert_int_equal(count_rows(want), 1);
	}
	assert_int_equal(count_rows("seq = 2 AND action = 'checkpoint' AND actor = 'alice'"), 1);
	assert_int_equal(count_rows("action = 'user.add' AND object = 'user:erin' AND actor ="
				    " 'dave' AND outcome = 'ok' AND detail = 'role=counselor'"),
			 1);
	assert_int_equal(count_rows("action = 'user.add' AND object = 'user:carol' AND detail ="
				    " 'role=supervisor'"),
			 1);
	assert_int_equal(count_rows("action = 'user.list' AND object = 'users' AND detail = ''"),
			 1);
	assert_int_equal(
	    count_rows("action = 'login' AND actor = 'bob' AND object = 'user:bob'"
		       " AND outcome = 'failed' AND detail = 'auth.wrong-passphrase' AND"
		       " sig IS NULL"),
	    1);
	assert_int_equal(count_rows("action = 'login' AND actor = 'erin' AND outcome = 'failed'"
				    " AND detail = 'auth.disabled'"),
			 1);
	assert_int_equal(count_rows("action = 'user.passwd' AND actor = 'bob' AND object ="
				    " 'user:bob' AND outcome = 'ok' AND detail = ''"),
			 1);
	assert_int_equal(count_rows("action = 'audit.log' AND actor = 'bob' AND outcome ="
				    " 'denied' AND object = 'audit'"),
			 1);
	/* §8.1: a denial keeps its code and arguments (the user, role, who may,
	 * the command), never a sentence. */
	assert_int_equal(count_rows("action = 'audit.log' AND actor = 'bob' AND outcome ="
				    " 'denied' AND detail = 'policy.role'"
				    " || ' [\"bob\",\"a counselor\",\"supervisors and admins\","
				    "\"audit log\"]'"),
			 1);
	assert_int_equal(count_rows("action = 'user.disable' AND object = 'user:erin' AND"
				    " actor = 'alice' AND detail = 'status=disabled'"),
			 1);
	assert_int_equal(count_rows("action = 'user.reset' AND object = 'user:bob' AND actor ="
				    " 'alice' AND detail = 'cases=1'"),
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
	snprintf(detail, sizeof(detail), "record=%s action=test.add scope=testing", crisis_id);
	assert_int_equal(scalar1("SELECT count(*) FROM audit a JOIN audit t ON t.seq = a.seq + 1"
				 " WHERE a.action = 'crisis' AND a.outcome = 'ok' AND a.detail ="
				 " ?1 AND t.action = 'test.add'",
				 detail),
			 1);
	one_row("action = 'crisis' AND object = ?1", obj);
	snprintf(obj, sizeof(obj), "test:%s", test_id);
	one_row("action = 'test.add' AND object = ?1 AND detail = ''", obj);
	snprintf(obj, sizeof(obj), "note:%s", note1);
	one_row("action = 'note.add' AND object = ?1 AND detail = 'kind=session'", obj);
	one_row("action = 'note.finalize' AND object = ?1 AND detail = ''", obj);
	/* the read names the note's case */
	assert_int_equal(
	    scalar1("SELECT count(*) FROM audit WHERE action = 'note.show' AND object ="
		    " ?1 AND actor = 'bob' AND detail = 'case=' || (SELECT case_id FROM"
		    " records WHERE id = substr(?1, 6))",
		    obj),
	    1);
	snprintf(obj, sizeof(obj), "note:%s", note2);
	one_row("action = 'note.add' AND object = ?1 AND detail = 'kind=analysis'", obj);
	one_row("action = 'note.edit' AND object = ?1 AND detail = ''", obj);
	snprintf(obj, sizeof(obj), "referral:%s", ref_id);
	one_row("action = 'referral.add' AND object = ?1 AND detail = ''", obj);
	one_row("action = 'referral.update' AND object = ?1 AND detail = 'status=contacted'", obj);
	/* The urgency is nowhere in the log. */
	assert_int_equal(count_rows("instr(detail, 'urgen') > 0"), 0);
	snprintf(obj, sizeof(obj), "note:%s", note2);
	snprintf(detail, sizeof(detail), "addendum=%s", note4);
	assert_int_equal(scalar1("SELECT count(*) FROM audit WHERE action = 'note.amend' AND"
				 " outcome = 'ok' AND detail = ?1 AND object = (SELECT 'note:' ||"
				 " parent FROM records WHERE id = substr(?1, 10))",
				 detail),
			 1);
	one_row("action = 'note.amend' AND object = ?1", obj);
	snprintf(obj, sizeof(obj), "note:%s", note5);
	one_row("action = 'note.add' AND object = ?1 AND detail = 'kind=outcome'", obj);
	snprintf(obj, sizeof(obj), "case:%s", case_id);
	one_row("action = 'case.close' AND object = ?1 AND actor = 'bob' AND outcome = 'ok' AND"
		" detail = ''",
		obj);

	/* §8.1: refusals log the kind of failure; a typed name that is not an id
	 * becomes '?', and reaches no column of the log. */
	assert_int_equal(count_rows("action = 'case.show' AND object = 'case:?' AND actor = 'bob'"
				    " AND outcome = 'failed' AND detail = 'case.not-found'"),
			 1);
	assert_int_equal(count_rows("action = 'referral.update' AND object = 'referral:?' AND"
				    " outcome = 'failed' AND detail = 'referral.not-found'"),
			 1);
	assert_int_equal(count_rows("action = 'note.show' AND object = 'note:N-000000' AND"
				    " outcome = 'failed' AND detail = 'note.not-found'"),
			 1);
	snprintf(obj, sizeof(obj), "note:%s", note1);
	one_row("action = 'note.finalize' AND object = ?1 AND outcome = 'denied' AND detail ="
		" 'note.already-final [\"' || substr(?1, 6) || '\"]'",
		obj);
	assert_int_equal(scalar1("SELECT count(*) FROM audit WHERE instr(actor || action || object"
				 " || outcome || detail, ?1) > 0",
				 TYPED),
			 0);
	/* Every refusal's detail follows §8.1: never empty. */
	assert_int_equal(count_rows("outcome <> 'ok' AND detail = ''"), 0);
	rec_id(case_id, "watch", 0, watch_id);
	snprintf(obj, sizeof(obj), "watch:%s", watch_id);
	one_row("action = 'watch.add' AND object = ?1 AND detail = 'every=14'", obj);
	snprintf(obj, sizeof(obj), "case:%s", case2_id);
	/* §8.1: the shred reason is sealed to the recovery key. */
	one_row("action = 'case.shred' AND object = ?1 AND actor = 'alice' AND detail LIKE "
		"'reason=%'",
		obj);
	assert_int_equal(count_rows("instr(detail, '" SHRED_REASON "') > 0"), 0);

	/* carol's verify counted the rows and checkpoints before it. */
	vseq = scalar("SELECT seq FROM audit WHERE action = 'audit.verify'");
	{
		/* sigs=: BLAKE2b-256 of the sig of every checkpoint before it,
		 * in seq order (§7.7) */
		sqlite3_stmt *q = prep("SELECT sig FROM audit WHERE action = 'checkpoint' AND"
				       " seq < (SELECT seq FROM audit WHERE action ="
				       " 'audit.verify') ORDER BY seq");
		crypto_generichash_state hs;
		uint8_t d[32];
		char hex[65];

		crypto_generichash_init(&hs, NULL, 0, sizeof(d));
		while (sqlite3_step(q) == SQLITE_ROW) {
			assert_int_equal(sqlite3_column_bytes(q, 0), 64);
			crypto_generichash_update(&hs, sqlite3_column_blob(q, 0), 64);
		}
		sqlite3_finalize(q);
		crypto_generichash_final(&hs, d, sizeof(d));
		sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
		snprintf(verify_detail, sizeof(verify_detail),
			 "rows=%lld checkpoints=%lld users=5 sigs=%s external=ok",
			 (long long)(vseq - 1),
			 (long long)scalar("SELECT count(*) FROM audit WHERE action = 'checkpoint'"
					   " AND seq < (SELECT seq FROM audit WHERE action ="
					   " 'audit.verify')"),
			 hex);
	}
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
	row_hash(prev, seq, f, "", h);
	s = prep("INSERT INTO audit VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '')");
	sqlite3_bind_int64(s, 1, seq);
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(s, i + 2, f[i], -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 8, prev, HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 9, h, HASH_LEN, SQLITE_TRANSIENT);
	if (sk) {
		checkpoint_msg(vid, rpk1, seq, h, &msg);
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
		    {{T0, "mallory", "login", "user:mallory", "failed", "auth.unknown-user"}, NULL},
		    {{T0, "erin", "login", "user:erin", "failed", "auth.disabled"}, NULL},
		    {{T0, "bob", "case.show", "case:C-00000", "ok", ""},
		     "rows signed by no checkpoint"},
		    {{T0, "mallory", "login", "user:alice", "failed", "auth.wrong-passphrase"},
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
		char buf[6][512], rows[8192];
		int cp;

		s = prep("SELECT p.hash, a.time, a.actor, a.action, a.object, a.outcome, a.detail,"
			 " a.rows FROM audit a JOIN audit p ON p.seq = a.seq - 1 WHERE a.seq = ?1");
		sqlite3_bind_int64(s, 1, seq);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(blob(s, 0, prev, HASH_LEN), 0);
		for (int i = 0; i < 6; i++) {
			assert_int_equal(copy_text(s, i + 1, buf[i], sizeof(buf[i])), 0);
			f[i] = buf[i];
		}
		assert_int_equal(copy_text(s, 7, rows, sizeof(rows)), 0);
		sqlite3_finalize(s);
		row_hash(prev, seq, f, rows, h);
		cp = !strcmp(f[2], "checkpoint");
		s = prep(cp ? "UPDATE audit SET prev_hash = ?2, hash = ?3, sig = ?4 WHERE seq = ?1"
			    : "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1");
		sqlite3_bind_int64(s, 1, seq);
		sqlite3_bind_blob(s, 2, prev, HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_blob(s, 3, h, HASH_LEN, SQLITE_TRANSIENT);
		if (cp) {
			checkpoint_msg(vid, rpk1, seq, h, &msg);
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
	 * erin "active" again, with the status her enrolment really signed. */
	{
		uint8_t *esec = secrets_of("erin", ERIN_PASS, &erin);
		int64_t enrol_erin = erin.c.cert_seq;

		snprintf(erin.status, sizeof(erin.status), "active");
		erin.status_seq = enrol_erin;
		erin.status_signer_id = 5;
		status_msg(&erin, &e);
		crypto_sign_detached(erin.status_sig, NULL, e.b, e.n, esec + 32);
		sodium_free(esec);
	}
	add_erin = scalar("SELECT seq FROM audit WHERE action = 'user.add' AND object ="
			  " 'user:erin' AND outcome = 'ok'");
	exec("BEGIN");
	{
		sqlite3_stmt *s =
		    prep("UPDATE users SET status = 'active', status_seq = ?1,"
			 " status_signer_id = 5, status_sig = ?2 WHERE name = 'erin'");

		sqlite3_bind_int64(s, 1, erin.c.cert_seq);
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

	/* bob's first enrolled keys put back over his current ones: the status
	 * his second enrolment signed no longer stands on them, and his
	 * checkpoints since the reset no longer verify. */
	exec("BEGIN");
	exec("UPDATE users SET (role, box_pk, sign_pk, cert_seq, creator_id, cert_sig, expires,"
	     " self_sig) = (SELECT role, box_pk, sign_pk, cert_seq, creator_id, cert_sig,"
	     " expires, self_sig FROM key_history WHERE user_id = 2 AND creator_id = 2)"
	     " WHERE id = 2");
	assert_int_equal(verify_users(&count), 2);
	assert_int_equal(verify_log(&st),
			 scalar("SELECT min(seq) FROM audit WHERE action = 'checkpoint' AND actor ="
				" 'bob' AND seq > (SELECT seq FROM audit WHERE action ="
				" 'user.reset')"));
	exec("ROLLBACK");

	assert_int_equal(verify_users(&count), 0);
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_vectors, no_open_transaction),
	    cmocka_unit_test_setup(test_audit_chain, no_open_transaction),
	    cmocka_unit_test_setup(test_external_checkpoint, no_open_transaction),
	    cmocka_unit_test_setup(test_tamper_log, no_open_transaction),
	    cmocka_unit_test_setup(test_tamper_segments_and_users, no_open_transaction),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_format_records.c - records of docs/FORMAT.md read by the
 * independent reader (format_reader.h): every record of a case, its clear
 * columns and decrypted body (§3.8, §11, §12.3), every row signed by its
 * writer with a mac under the case key (§13), notes with their versions,
 * closing and the withdrawal marking (§12.4, §13), ciphertexts bound to
 * their place (§11), and a duty shift signed by its counselor (§23).
 */
#include "format_reader.h"

/* §3.8, §11, §12.3: every record on the case, clear columns and body. */
/* §12.5: record r's statistics box opened with the stats key (carol, a
 * supervisor, holds it), compared byte for byte with want. */
static void stats_plain_is(const struct rec *r, const struct enc *want)
{
	uint8_t stats[KEY_LEN], plain[512];
	struct user carol;
	uint8_t *sec = secrets_of("carol", CAROL_PASS, &carol);

	assert_int_equal(vault_key("stats", carol.c.id, sec, stats), 0);
	sodium_free(sec);
	/* statsbox (§1): writer_box_pk (32) || nonce (24) || crypto_box_easy */
	assert_true(r->stats_len > 72 && r->stats_len - 72 < sizeof(plain));
	assert_int_equal(crypto_box_open_easy(plain, r->stats_box + 56, r->stats_len - 56,
					      r->stats_box + 32, r->stats_box, stats),
			 0);
	assert_int_equal(r->stats_len - 72, want->n);
	assert_memory_equal(plain, want->b, want->n);
}

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
	/* §13: every row signed, by its author unless a referral or register
	 * entry, with a mac under the case key. */
	assert_int_equal(scalar("SELECT count(*) FROM records WHERE sig IS NULL OR length(sig) <>"
				" 64 OR length(mac) <> 32"),
			 0);
	{
		sqlite3_stmt *s = prep("SELECT id FROM records WHERE case_id = ?1");
		struct ident signer;
		int n = 0;

		sqlite3_bind_text(s, 1, case_id, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(s) == SQLITE_ROW) {
			assert_int_equal(load_rec(text(s, 0), &r), 0);
			assert_int_equal(record_verify(&r, key, &signer), 0);
			assert_int_equal(r.signer_id, 2);
			n++;
		}
		sqlite3_finalize(s);
		assert_int_equal(n, 12);
	}

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
	{
		/* its statistics: no method, the scopes as bits (16: referral-disclosure) */
		struct enc w = {0};

		put_str(&w, "casevault-stats-record-v1");
		put_lp8(&w, id);
		put_lp8(&w, case_id);
		put_lp8(&w, "consent");
		put_u64(&w, 1);
		put_lp8(&w, "withdraw");
		put_lp8(&w, "guardian");
		put_lp8(&w, "");
		put_u8(&w, 16);
		stats_plain_is(&r, &w);
	}

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
				"\"City Youth Clinic\",\"to_type\":\"mental-health\",\"urgency\":"
				"\"urgent\"}");
	free(pt);
	{
		/* its statistics: the four words, nothing of the free text */
		struct enc w = {0};

		put_str(&w, "casevault-stats-record-v1");
		put_lp8(&w, ref_id);
		put_lp8(&w, case_id);
		put_lp8(&w, "referral");
		put_u64(&w, 1);
		put_lp8(&w, "urgent");
		put_lp8(&w, "emotion");
		put_lp8(&w, "mental-health");
		put_lp8(&w, "consent");
		stats_plain_is(&r, &w);
	}
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

/* §13: the signer of a final note row, checked as cert.c does: signed by
 * its author, under one of the author's identities (newest first, each
 * verified); the cert_seq of that identity, 0 if none. */
static int64_t note_signer(const struct rec *r, const uint8_t *key)
{
	struct ident id;

	if (r->signer_id != r->author_id || record_verify(r, key, &id))
		return 0;
	return id.cert_seq;
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
		if (strcmp(r.status, "final") || !note_signer(&r, NULL)) {
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

/* §12.3 notes, §13: raw UTF-8 text, versions, and row signatures over
 * every clear column under the identity the author held (a retired one
 * for the first note); the close check and the withdrawal marking. */
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
	uint8_t key[KEY_LEN], mac[HASH_LEN];
	struct rec r;
	struct ident old, cur;
	struct enc msg;
	char ids[8][ID_CAP], q[160];
	int marked[8], n;
	size_t len;
	char *pt;
	int64_t reset_bob = scalar("SELECT seq FROM audit WHERE action = 'user.reset' AND"
				   " object = 'user:bob' AND outcome = 'ok'");

	(void)state;
	bob_case_key(case_id, key);
	/* The keys bob held before his reset, and those he enrolled after it. */
	assert_int_equal(identity_at(2, reset_bob - 1, &old), 0);
	assert_int_equal(identity_at(2, scalar("SELECT cert_seq FROM users WHERE id = 2"), &cur),
			 0);
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
		record_msg(&r, &msg);
		assert_int_equal(msg.n, 19 + 16 + 4 * 9 + strlen(r.id) + strlen(r.case_id) +
					    strlen(r.type) + strlen(r.parent) + strlen(r.kind) +
					    strlen(r.status) + 8 + 8 + strlen(r.created_at) +
					    strlen(r.updated_at) + strlen(r.due) + 32 + 32 + 8);
		crypto_generichash(mac, HASH_LEN, msg.b, msg.n, key, KEY_LEN);
		assert_memory_equal(mac, r.mac, HASH_LEN);
		put(&msg, r.mac, HASH_LEN);
		assert_int_equal(crypto_sign_verify_detached(r.sig, msg.b, msg.n, signer->sign_pk),
				 0);
		assert_int_equal(crypto_sign_verify_detached(r.sig, msg.b, msg.n, other->sign_pk),
				 -1);
		assert_int_equal(note_signer(&r, key), signer->cert_seq);

		/* It covers kind, parent, version and status: change one, it
		 * fails. */
		for (int f = 0; f < 4; f++) {
			struct rec x = r;

			if (f == 0)
				snprintf(x.kind, sizeof(x.kind), "%s",
					 !strcmp(r.kind, "outcome") ? "analysis" : "outcome");
			else if (f == 1)
				snprintf(x.parent, sizeof(x.parent), "%s",
					 r.parent[0] ? "" : note2);
			else if (f == 2)
				x.version++;
			else
				snprintf(x.status, sizeof(x.status), "draft");
			assert_int_equal(note_signer(&x, NULL), 0);
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
	snprintf(q, sizeof(q), "UPDATE records SET status = 'draft' WHERE id = '%s'", note4);
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

/* Ciphertexts are bound to their place (§11) and notes to their signature. */
static void test_tamper_content(void **state)
{
	uint8_t key[KEY_LEN], other[KEY_LEN];
	struct ident old;
	struct kase c;
	struct rec r;
	struct enc msg;
	char q[256];
	char *pt;

	(void)state;
	bob_case_key(case_id, key);
	assert_int_equal(identity_at(2,
				     scalar("SELECT seq FROM audit WHERE action = 'user.reset' AND"
					    " object = 'user:bob' AND outcome = 'ok'") -
					 1,
				     &old),
			 0);

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
	assert_int_equal(record_verify(&r, key, &old), -1);
	r.box[0] ^= 1;
	assert_int_equal(record_verify(&r, key, &old), 0);
	/* Another signer, or another case key's mac, fails. */
	r.signer_id = 4;
	assert_int_equal(record_verify(&r, NULL, &old), -1);
	r.signer_id = 2;
	randombytes_buf(other, sizeof(other));
	assert_int_equal(record_verify(&r, other, &old), -1);

	/* The case data under a bumped version. */
	exec("BEGIN");
	snprintf(q, sizeof(q), "UPDATE cases SET version = version + 1 WHERE id = '%s'", case_id);
	exec(q);
	assert_int_equal(load_case(case_id, &c), 0);
	content_ad(vid, "case", case_id, case_id, c.version, &msg);
	assert_null(aead_open(key, c.data_nonce, c.data_box, c.data_len, &msg, NULL));
	exec("ROLLBACK");
}

/* §23: a duty shift logged through the API, read with sqlite3 and its
 * signature checked with libsodium alone, against the identity its
 * counselor held at the row that wrote it. */
static void duty_msg(sqlite3_stmt *q, struct enc *msg)
{
	put_str(msg, "casevault-duty-v1");
	put(msg, vid, VID_LEN);
	put_u64(msg, (uint64_t)sqlite3_column_int64(q, 0));
	put_u64(msg, (uint64_t)sqlite3_column_int64(q, 1));
	put_lp(msg, text(q, 2));
	put_lp(msg, text(q, 3));
	for (int col = 4; col <= 6; col++)
		put_u64(msg, (uint64_t)sqlite3_column_int64(q, col));
	put_lp(msg, text(q, 7));
	put_u64(msg, (uint64_t)sqlite3_column_int64(q, 8));
	put_u64(msg, (uint64_t)sqlite3_column_int64(q, 9));
}

static void test_duty_shift(void **state)
{
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_err err = {0};
	struct enc msg = {0};
	struct ident who, other;
	uint8_t sig[SIG_LEN];
	sqlite3_stmt *q;
	int64_t id = 0, seq;
	char object[32];

	(void)state;
	assert_int_equal(cv_vault_open(path, &v, &err), CV_OK);
	assert_int_equal(cv_login(v, "bob", BOB_RESET, strlen(BOB_RESET), &s, &err), CV_OK);
	assert_int_equal(
	    cv_duty_add(s, "2024-09-02 08:00", "2024-09-02 12:30", "Room 1", 3, &id, &err), CV_OK);
	cv_session_close(s);
	cv_vault_close(v);

	q = prep("SELECT id, counselor_id, room, status, start_utc, end_utc, visits, created_at,"
		 " seq, signer_id, sig FROM duty");
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), id);
	assert_int_equal(sqlite3_column_int64(q, 1), 2);
	assert_string_equal(text(q, 2), "Room 1");
	assert_string_equal(text(q, 3), "closed");
	assert_int_equal(sqlite3_column_int64(q, 5) - sqlite3_column_int64(q, 4), 16200);
	assert_int_equal(sqlite3_column_int64(q, 6), 3);
	assert_int_equal(sqlite3_column_int64(q, 9), 2);
	assert_int_equal(blob(q, 10, sig, SIG_LEN), 0);
	seq = sqlite3_column_int64(q, 8);
	duty_msg(q, &msg);
	assert_int_equal(msg.n, 101 + strlen("Room 1") + strlen("closed") + 20);
	/* The seq is the ok duty.add row about this shift. */
	snprintf(object, sizeof(object), "duty:%lld", (long long)id);
	assert_int_equal(scalar1("SELECT max(seq) FROM audit WHERE outcome = 'ok' AND action IN"
				 " ('duty.start', 'duty.add', 'duty.end') AND object = ?1",
				 object),
			 seq);
	assert_int_equal(identity_at(2, seq, &who), 0);
	assert_string_equal(who.role, "counselor");
	assert_int_equal(crypto_sign_verify_detached(sig, msg.b, msg.n, who.sign_pk), 0);
	assert_int_equal(identity_at(3, seq, &other), 0);
	assert_int_equal(crypto_sign_verify_detached(sig, msg.b, msg.n, other.sign_pk), -1);
	/* Every column is covered: one byte more of the message fails. */
	msg.b[msg.n - 9] ^= 1;
	assert_int_equal(crypto_sign_verify_detached(sig, msg.b, msg.n, who.sign_pk), -1);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_records, no_open_transaction),
	    cmocka_unit_test_setup(test_notes_and_signatures, no_open_transaction),
	    cmocka_unit_test_setup(test_tamper_content, no_open_transaction),
	    cmocka_unit_test_setup(test_duty_shift, no_open_transaction),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_format_reviews.c - the review of a break-glass event as
 * docs/FORMAT.md §22 describes it, read by the independent reader
 * (format_reader.h): the row's columns, the review message and its
 * signature by the supervisor's identity at the row's seq, the log row it
 * names, the note sealed to the stats key with the event inside, and the
 * log and stored rows still verifying with the review in them.
 */
#include "format_reader.h"

#define REVIEW_NOTE "Reviewed with bob: the risk was stated; retest agreed."

static char event[ID_CAP];

/* The shared vault, then carol (supervisor) reviews its one break-glass
 * event through the API. */
static int review_setup(void **state)
{
	cv_vault *v = NULL;
	cv_session *s = NULL;
	cv_err err = {0};
	sqlite3_stmt *q;
	int rc = setup(state);

	if (rc != 0)
		return rc;
	q = prep("SELECT id FROM records WHERE type = 'crisis'");
	rc = sqlite3_step(q) == SQLITE_ROW ? copy_text(q, 0, event, sizeof(event)) : -1;
	sqlite3_finalize(q);
	if (rc != 0)
		return -1;
	if (cv_vault_open(path, &v, &err) != CV_OK ||
	    cv_login(v, "carol", CAROL_PASS, strlen(CAROL_PASS), &s, &err) != CV_OK ||
	    cv_audit_review(s, event, REVIEW_NOTE, &err) != CV_OK)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "review setup: %s\n", err.msg);
	cv_session_close(s);
	cv_vault_close(v);
	return rc;
}

struct review {
	char event[ID_CAP], case_id[ID_CAP], reviewed_at[21];
	int64_t reviewer_id, seq;
	uint8_t box[1024];
	size_t box_len;
	uint8_t sig[SIG_LEN];
};

static int load_review(const char *ev, struct review *r)
{
	sqlite3_stmt *q = prep("SELECT event, case_id, reviewer_id, reviewed_at, seq, note_box, sig"
			       " FROM reviews WHERE event = ?1");
	int rc = -1;

	sqlite3_bind_text(q, 1, ev, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && !copy_text(q, 0, r->event, sizeof(r->event)) &&
	    !copy_text(q, 1, r->case_id, sizeof(r->case_id)) &&
	    sqlite3_column_type(q, 2) == SQLITE_INTEGER &&
	    !copy_text(q, 3, r->reviewed_at, sizeof(r->reviewed_at)) &&
	    sqlite3_column_type(q, 4) == SQLITE_INTEGER &&
	    sqlite3_column_type(q, 5) == SQLITE_BLOB &&
	    (size_t)sqlite3_column_bytes(q, 5) <= sizeof(r->box) && !blob(q, 6, r->sig, SIG_LEN)) {
		r->reviewer_id = sqlite3_column_int64(q, 2);
		r->seq = sqlite3_column_int64(q, 4);
		r->box_len = (size_t)sqlite3_column_bytes(q, 5);
		memcpy(r->box, sqlite3_column_blob(q, 5), r->box_len);
		rc = 0;
	}
	sqlite3_finalize(q);
	return rc;
}

/* §22.1 */
static void review_msg(const struct review *r, struct enc *e)
{
	struct enc box = {.n = 0};
	uint8_t h[HASH_LEN];

	e->n = 0;
	put(&box, r->box, r->box_len);
	b2b256(h, &box);
	put_str(e, "casevault-review-v1");
	put(e, vid, VID_LEN);
	put_lp(e, r->event);
	put_lp(e, r->case_id);
	put_u64(e, (uint64_t)r->reviewer_id);
	put_lp(e, r->reviewed_at);
	put_u64(e, (uint64_t)r->seq);
	put(e, h, HASH_LEN);
}

static void test_review_row(void **state)
{
	struct review r;
	struct ident signer;
	struct user carol;
	struct enc e;
	char object[64];

	(void)state;
	assert_true(valid_id(event, 'X', 6));
	assert_int_equal(scalar("SELECT count(*) FROM reviews"), 1);
	assert_int_equal(load_review(event, &r), 0);
	assert_int_equal(load_user(0, "carol", &carol), 0);
	assert_int_equal(r.reviewer_id, carol.c.id);
	assert_string_equal(r.case_id, case_id);
	assert_int_equal(strlen(r.reviewed_at), 20);
	/* The seq is the ok audit.review row about crisis:EVENT, whose detail
	 * names the case. */
	snprintf(object, sizeof(object), "crisis:%s", event);
	assert_int_equal(scalar1("SELECT max(seq) FROM audit WHERE action = 'audit.review' AND"
				 " outcome = 'ok' AND object = ?1",
				 object),
			 r.seq);
	one_row("action = 'audit.review' AND outcome = 'ok' AND object = ?1", object);
	assert_int_equal(scalar1("SELECT count(*) FROM audit WHERE seq = (SELECT seq FROM reviews)"
				 " AND detail = 'case=' || ?1 AND actor = 'carol'",
				 case_id),
			 1);
	/* §22.1: signed by carol's identity at seq (her rotated keys), a
	 * supervisor's that verifies as a signer. */
	assert_int_equal(identity_at(r.reviewer_id, r.seq, &signer), 0);
	assert_int_equal(verify_identity(&signer), 0);
	assert_string_equal(signer.role, "supervisor");
	review_msg(&r, &e);
	assert_int_equal(e.n, 95 + strlen(r.event) + strlen(r.case_id) + strlen(r.reviewed_at));
	assert_int_equal(crypto_sign_verify_detached(r.sig, e.b, e.n, signer.sign_pk), 0);
	/* Any change to a signed part fails it. */
	r.seq++;
	review_msg(&r, &e);
	assert_int_equal(crypto_sign_verify_detached(r.sig, e.b, e.n, signer.sign_pk), -1);
	r.seq--;
	r.box[0] ^= 1;
	review_msg(&r, &e);
	assert_int_equal(crypto_sign_verify_detached(r.sig, e.b, e.n, signer.sign_pk), -1);
	/* §18: the domain string. */
	e.n = 0;
	put_str(&e, "casevault-review-v1");
	assert_hex(e.b, e.n, "636173657661756c742d7265766965772d7631");
}

static void test_review_note(void **state)
{
	uint8_t stats[KEY_LEN], stats_pk[PK_LEN], commit[HASH_LEN], plain[1024];
	char want[256];
	struct review r;
	struct user carol, bob;
	uint8_t *sec;

	(void)state;
	assert_int_equal(load_review(event, &r), 0);
	assert_int_equal(vault_keys_public(stats_pk, commit), 0);
	/* Sealed to the stats key: carol's copy opens it ... */
	sec = secrets_of("carol", CAROL_PASS, &carol);
	assert_int_equal(vault_key("stats", carol.c.id, sec, stats), 0);
	sodium_free(sec);
	assert_true(r.box_len > crypto_box_SEALBYTES);
	assert_int_equal(crypto_box_seal_open(plain, r.box, r.box_len, stats_pk, stats), 0);
	plain[r.box_len - crypto_box_SEALBYTES] = '\0';
	snprintf(want, sizeof(want), "{\"event\":\"%s\",\"note\":\"%s\"}", event, REVIEW_NOTE);
	assert_string_equal((char *)plain, want);
	/* ... a counselor holds no stats key, and neither does an admin. */
	sec = secrets_of("bob", BOB_RESET, &bob);
	assert_int_equal(vault_key("stats", bob.c.id, sec, stats), -1);
	sodium_free(sec);
	assert_int_equal(scalar("SELECT count(*) FROM vault_keys v JOIN users u ON u.id ="
				" v.user_id WHERE v.name = 'stats' AND u.role <> 'supervisor'"),
			 0);
	/* Nothing of the note is in clear, in the log or in the row. */
	assert_int_equal(scalar("SELECT count(*) FROM audit WHERE instr(detail, 'retest agreed')"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM reviews WHERE instr(note_box, CAST('retest"
				" agreed' AS BLOB))"),
			 0);
}

static void test_log_still_verifies(void **state)
{
	struct log_stats st = {0};

	(void)state;
	assert_int_equal(verify_log(&st), 0);
	assert_int_equal(st.bad_user, 0);
	assert_int_equal(verify_rows(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_review_row, no_open_transaction),
	    cmocka_unit_test_setup(test_review_note, no_open_transaction),
	    cmocka_unit_test_setup(test_log_still_verifies, no_open_transaction),
	};

	return cmocka_run_group_tests(tests, review_setup, teardown);
}

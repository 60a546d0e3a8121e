/*
 * test_note.c - counseling notes (R4) through the public API: kinds and
 * the default session kind, the 1 MiB limit, NUL bytes and invalid UTF-8
 * refused with their byte offset, drafts edited only by their author,
 * finalizing (the author's signature, then immutability: refused with
 * CV_EDENIED and a 'denied' row), signatures, statuses, times and
 * ciphertexts tampered with through the sqlite3 library (refused with
 * CV_EINTEGRITY naming the record), addenda, the note.show row committed before
 * any text is returned, and drafts overdue after the archive deadline.
 */
#define FIXTURE_TAG "note"
#include "case_fixture.h"

/* Fails unless err holds status st and reason code want. */
#define assert_code(e, st, want)                                                                   \
	do {                                                                                       \
		assert_int_equal((e).status, (st));                                                \
		if (strcmp((e).code, (want)) != 0)                                                 \
			fail_msg("code '%s', want '%s' (%s)", (e).code, (want), (e).msg);          \
	} while (0)

static void note_ok(cv_session *s, const char *case_id, const char *kind, const char *text,
		    char id[CV_CASE_ID_MAX])
{
	cv_err err = {0};

	if (cv_note_add(s, case_id, kind, text, strlen(text), NULL, id, &err) != CV_OK)
		fail_msg("note add failed: %s", err.msg);
	assert_id_shape(id, 'N', 6);
}

/* UTC date `days` from today, as YYYY-MM-DD. */
static void day_from_today(int days, char out[11])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Writes blobs into the statement's ?1 and ?2 (b2 may be NULL) through
 * our own connection. */
static void raw_blobs(const char *path, const char *sql, const uint8_t *b1, size_t n1,
		      const uint8_t *b2, size_t n2)
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READWRITE);
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("sql '%s': %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_blob(s, 1, b1, (int)n1, SQLITE_STATIC);
	if (b2)
		sqlite3_bind_blob(s, 2, b2, (int)n2, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* ---- what cv_note_show delivers --------------------------------------------------------- */

struct shown_note {
	int calls;
	char id[CV_CASE_ID_MAX], case_id[CV_CASE_ID_MAX], kind[16], status[16];
	char author[CV_NAME_MAX + 1], amends[CV_CASE_ID_MAX], created_at[32], updated_at[32];
	int64_t version;
	int signature_ok;
	char *text;
	size_t len;
	/* For checking the log from inside the callback. */
	const char *path, *actor;
	int64_t show_rows;
};

static int note_cb(const cv_note_info *n, void *arg)
{
	struct shown_note *r = arg;

	r->calls++;
	snprintf(r->id, sizeof(r->id), "%s", n->id);
	snprintf(r->case_id, sizeof(r->case_id), "%s", n->case_id);
	snprintf(r->kind, sizeof(r->kind), "%s", n->kind);
	snprintf(r->status, sizeof(r->status), "%s", n->status);
	snprintf(r->author, sizeof(r->author), "%s", n->author);
	snprintf(r->amends, sizeof(r->amends), "%s", n->amends);
	snprintf(r->created_at, sizeof(r->created_at), "%s", n->created_at);
	snprintf(r->updated_at, sizeof(r->updated_at), "%s", n->updated_at);
	r->version = n->version;
	r->signature_ok = n->signature_ok;
	assert_non_null(n->text);
	free(r->text);
	r->text = malloc(n->text_len + 1);
	assert_non_null(r->text);
	memcpy(r->text, n->text, n->text_len);
	r->text[n->text_len] = '\0';
	r->len = n->text_len;
	if (r->path) {
		char object[32];

		snprintf(object, sizeof(object), "note:%s", n->id);
		r->show_rows = audit_rows(r->path, r->actor, "note.show", "ok", object);
	}
	return 0;
}

static cv_status note_get(cv_session *s, const char *id, struct shown_note *r, cv_err *err)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
	return cv_note_show(s, id, note_cb, r, err);
}

static void note_get_ok(cv_session *s, const char *id, struct shown_note *r)
{
	cv_err err = {0};

	if (note_get(s, id, r, &err) != CV_OK)
		fail_msg("note show '%s' failed: %s", id, err.msg);
	assert_int_equal(r->calls, 1);
}

static void assert_text(cv_session *s, const char *id, const char *text)
{
	struct shown_note r = {0};

	note_get_ok(s, id, &r);
	assert_int_equal(r.len, strlen(text));
	assert_string_equal(r.text, text);
	free(r.text);
}

/* ---- what cv_case_show delivers about notes ------------------------------------------------ */

struct listed {
	int n;
	struct {
		char id[CV_CASE_ID_MAX], kind[16], status[16], amends[CV_CASE_ID_MAX];
		int overdue, signature_ok;
	} note[8];
};

static int list_cb(const cv_note_info *n, void *arg)
{
	struct listed *l = arg;

	assert_null(n->text);
	if (l->n < 8) {
		snprintf(l->note[l->n].id, CV_CASE_ID_MAX, "%s", n->id);
		snprintf(l->note[l->n].kind, 16, "%s", n->kind);
		snprintf(l->note[l->n].status, 16, "%s", n->status);
		snprintf(l->note[l->n].amends, CV_CASE_ID_MAX, "%s", n->amends);
		l->note[l->n].overdue = n->overdue;
		l->note[l->n].signature_ok = n->signature_ok;
	}
	l->n++;
	return 0;
}

static cv_status list_notes(cv_session *s, const char *case_id, const char *as_of, struct listed *l,
			    cv_err *err)
{
	cv_case_visitor vis = {.on_note = list_cb};

	memset(l, 0, sizeof(*l));
	return cv_case_show(s, case_id, 0, as_of, &vis, l, err);
}

static int overdue_of(const struct listed *l, const char *id)
{
	for (int i = 0; i < l->n && i < 8; i++)
		if (strcmp(l->note[i].id, id) == 0)
			return l->note[i].overdue;
	fail_msg("note '%s' is not listed", id);
	return -1;
}

static int64_t notes(const char *path, const char *case_id)
{
	return q_int(path, "SELECT count(*) FROM records WHERE case_id = '%s' AND type = 'note'",
		     case_id);
}

/* A case with consent, opened by carol. */
static void ready_case(cv_session *c, const char *sid, char id[CV_CASE_ID_MAX])
{
	open_new(c, sid, "Lin Xue", id);
	consent_all(c, id);
}

/* ---- adding ------------------------------------------------------------------------------------
 */

static void test_add_kinds(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	static const char *const kinds[] = {"analysis", "outcome", "contact"};
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX] = "junk";
	struct shown_note r = {0};
	cv_err err = {0};

	ready_case(c, "S-1", a);
	note_ok(c, a, NULL, "first session", n);
	note_get_ok(c, n, &r);
	assert_string_equal(r.id, n);
	assert_string_equal(r.case_id, a);
	assert_string_equal(r.kind, "session");
	assert_string_equal(r.status, "draft");
	assert_string_equal(r.author, "carol");
	assert_string_equal(r.amends, "");
	assert_int_equal(r.version, 1);
	assert_int_equal(r.signature_ok, 1); /* a draft is signed by its author too */
	assert_string_equal(r.text, "first session");
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'note.add' AND object = 'note:%s' AND"
			       " outcome = 'ok' AND detail = 'kind=session'",
			       n),
			 1);
	for (size_t i = 0; i < 3; i++) {
		note_ok(c, a, kinds[i], "some text", n);
		note_get_ok(c, n, &r);
		assert_string_equal(r.kind, kinds[i]);
	}
	/* Multi-line text with tabs is text. */
	note_ok(c, a, "session", "line one\n\tline two\r\n", n);
	assert_text(c, n, "line one\n\tline two\r\n");

	assert_int_equal(cv_note_add(c, a, "addendum", "x", 1, NULL, x, &err), CV_EUSAGE);
	assert_string_equal(err.code, "note.kind");
	assert_msg_has(err, "unknown note kind 'addendum'");
	assert_string_equal(x, "");
	assert_int_equal(cv_note_add(c, a, "diary", "x", 1, NULL, x, &err), CV_EUSAGE);
	assert_int_equal(cv_note_add(c, a, "", "x", 1, NULL, x, &err), CV_EUSAGE);
	assert_int_equal(notes(f->path, a), 5);
	/* A case that does not exist. */
	assert_int_equal(cv_note_add(c, "C-00000", NULL, "x", 1, NULL, x, &err), CV_ENOTFOUND);
	free(r.text);
	logout(c);
}

struct big_check {
	const char *want;
	size_t len;
	int same;
};

static int big_cb(const cv_note_info *n, void *arg)
{
	struct big_check *b = arg;

	b->same = n->text_len == b->len && memcmp(n->text, b->want, b->len) == 0;
	return 0;
}

static void test_text_limits(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	static const char chinese[] =
	    "\xe4\xbb\x8a\xe5\xa4\xa9\xe8\xb0\x88\xe4\xba\x86\xe5\xad"
	    "\xa6\xe4\xb9\xa0\xe5\x8e\x8b\xe5\x8a\x9b"; /* 今天谈了学习压力 */
	struct {
		const char *text;
		size_t len;
		const char *code;
		const char *msg;
	} bad[] = {
	    {"", 0, "note.empty", "the note is empty"},
	    {"hello\0world", 11, "note.nul", "NUL byte at byte offset 5"},
	    {"\0", 1, "note.nul", "NUL byte at byte offset 0"},
	    {"abcdefg\xff", 8, "note.utf8", "not valid UTF-8 at byte offset 7"},
	    {"ab\xc0\xaf"
	     "cd",
	     6, "note.utf8", "not valid UTF-8 at byte offset 2"}, /* overlong '/' */
	    {"x\xed\xa0\x80", 4, "note.utf8", "not valid UTF-8 at byte offset 1"}, /* a surrogate */
	    {"abc\xe4\xb8", 5, "note.utf8", "not valid UTF-8 at byte offset 3"},   /* cut short */
	    {"\xf4\x90\x80\x80", 4, "note.utf8",
	     "not valid UTF-8 at byte offset 0"}, /* above U+10FFFF */
	};
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], big_id[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	char *big = malloc(CV_NOTE_MAX + 1);
	struct big_check chk;
	cv_err err = {0};

	assert_non_null(big);
	ready_case(c, "S-2", a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cv_status st = cv_note_add(c, a, NULL, bad[i].text, bad[i].len, NULL, x, &err);

		if (st != CV_EUSAGE)
			fail_msg("bad text %zu: status %d (%s)", i, st, err.msg);
		assert_string_equal(err.code, bad[i].code);
		assert_msg_has(err, bad[i].msg);
	}
	assert_int_equal(cv_note_add(c, a, NULL, NULL, 0, NULL, x, &err), CV_EUSAGE);
	assert_string_equal(err.code, "note.empty");

	/* Exactly 1 MiB (ending in a three-byte character) is accepted... */
	memset(big, 'a', CV_NOTE_MAX + 1);
	memcpy(big + CV_NOTE_MAX - 3, "\xe5\xad\xa6", 3);
	assert_int_equal(cv_note_add(c, a, NULL, big, CV_NOTE_MAX, NULL, big_id, &err), CV_OK);
	chk = (struct big_check){big, CV_NOTE_MAX, 0};
	assert_int_equal(cv_note_show(c, big_id, big_cb, &chk, &err), CV_OK);
	assert_int_equal(chk.same, 1);
	/* ...one byte more is not. */
	big[CV_NOTE_MAX] = 'a';
	assert_int_equal(cv_note_add(c, a, NULL, big, CV_NOTE_MAX + 1, NULL, x, &err), CV_EUSAGE);
	assert_string_equal(err.code, "note.too-long");
	assert_msg_has(err, "1048577 bytes");
	assert_msg_has(err, "1 MiB");

	note_ok(c, a, NULL, chinese, n);
	assert_text(c, n, chinese);
	assert_int_equal(notes(f->path, a), 2);

	/* Edits and addenda are held to the same rules, and change nothing. */
	assert_int_equal(cv_note_edit(c, n, "bad\0text", 8, NULL, &err), CV_EUSAGE);
	assert_string_equal(err.code, "note.nul");
	assert_msg_has(err, "byte offset 3");
	assert_int_equal(cv_note_edit(c, n, big, CV_NOTE_MAX + 1, NULL, &err), CV_EUSAGE);
	assert_string_equal(err.code, "note.too-long");
	assert_text(c, n, chinese);
	assert_int_equal(cv_note_finalize(c, n, &err), CV_OK);
	assert_int_equal(cv_note_amend(c, n, "\xff", 1, NULL, x, &err), CV_EUSAGE);
	assert_string_equal(err.code, "note.utf8");
	assert_string_equal(x, "");
	assert_int_equal(notes(f->path, a), 2);
	free(big);
	logout(c);
}

/* ---- editing and finalizing ------------------------------------------------------------------ */

static void test_edit_only_drafts_by_author(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *d = login_ok(f->v, "dave", PW_DAVE);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], object[32];
	struct shown_note r = {0};
	cv_err err = {0};

	ready_case(c, "S-3", a);
	note_ok(c, a, NULL, "first words", n);
	snprintf(object, sizeof(object), "note:%s", n);
	assert_int_equal(cv_note_edit(c, n, "better words", 12, NULL, &err), CV_OK);
	assert_int_equal(audit_rows(f->path, "carol", "note.edit", "ok", object), 1);
	note_get_ok(c, n, &r);
	assert_int_equal(r.version, 2);
	assert_string_equal(r.text, "better words");
	assert_string_equal(r.status, "draft");

	/* Dave, not on the case. */
	assert_int_equal(cv_note_edit(d, n, "dave's words", 12, NULL, &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "dave", "note.edit", "denied", a), 1);
	/* Dave on the case, but not the author. */
	assert_int_equal(cv_case_share(c, a, "dave", &err), CV_OK);
	assert_int_equal(cv_note_edit(d, n, "dave's words", 12, NULL, &err), CV_EDENIED);
	assert_string_equal(err.code, "note.not-author");
	assert_msg_has(err, "another counselor's draft");
	assert_int_equal(audit_rows(f->path, "dave", "note.edit", "denied", object), 1);
	assert_int_equal(cv_note_finalize(d, n, &err), CV_EDENIED);
	assert_string_equal(err.code, "note.not-author");
	assert_msg_has(err, "only its author signs");
	assert_int_equal(audit_rows(f->path, "dave", "note.finalize", "denied", object), 1);
	/* A denial's row keeps its code and the note id it names. */
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'dave' AND"
			       " action = 'note.finalize' AND object = '%s' AND"
			       " detail = 'note.not-author [\"%s\"]'",
			       object, n),
			 1);
	/* He reads it; it is as carol left it. */
	note_get_ok(d, n, &r);
	assert_int_equal(r.version, 2);
	assert_string_equal(r.text, "better words");
	assert_string_equal(r.status, "draft");
	/* Unknown notes. */
	assert_int_equal(cv_note_edit(c, "N-000000", "x", 1, NULL, &err), CV_ENOTFOUND);
	free(r.text);
	logout(c);
	logout(d);
}

/* note add --finalize: one transaction, a note.add then a note.finalize
 * row, and the note final and signed from the start. */
static void test_add_finalized(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], object[32];
	struct shown_note r = {0};
	cv_err err = {0};

	ready_case(c, "S-40", a);
	assert_int_equal(cv_note_write(c, a, NULL, "final at once", 13, NULL, 1, n, &err), CV_OK);
	assert_id_shape(n, 'N', 6);
	snprintf(object, sizeof(object), "note:%s", n);
	assert_int_equal(audit_rows(f->path, "carol", "note.add", "ok", object), 1);
	assert_int_equal(audit_rows(f->path, "carol", "note.finalize", "ok", object), 1);
	/* The finalize row follows the add row, and one checkpoint ends both. */
	assert_int_equal(q_int(f->path,
			       "SELECT (SELECT seq FROM audit WHERE action = 'note.finalize' AND "
			       "object = '%s') - (SELECT seq FROM audit WHERE action = 'note.add' "
			       "AND object = '%s')",
			       object, object),
			 1);
	note_get_ok(c, n, &r);
	assert_string_equal(r.status, "final");
	assert_int_equal(r.signature_ok, 1);
	assert_int_equal(cv_note_edit(c, n, "changed", 7, NULL, &err), CV_EDENIED);
	/* Refused for want of consent: neither note nor rows. */
	open_new(c, "S-41", "Lin Xue", a);
	assert_int_equal(cv_note_write(c, a, NULL, "no consent", 10, NULL, 1, n, &err), CV_EDENIED);
	assert_string_equal(n, "");
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM records WHERE case_id = '%s' AND "
			       "type = 'note'",
			       a),
			 0);
	free(r.text);
	logout(c);
}

/* note finalize with several ids: all of them or none, the one that
 * failed named. */
static void test_finalize_many_all_or_nothing(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *d;
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], n1[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX],
	    n3[CV_CASE_ID_MAX], dn[CV_CASE_ID_MAX], object[32];
	const char *ids[4];
	struct shown_note r = {0};
	size_t failed = 99;
	cv_err err = {0};

	ready_case(c, "S-42", a);
	ready_case(c, "S-43", b);
	note_ok(c, a, NULL, "one", n1);
	note_ok(c, a, NULL, "two", n2);
	note_ok(c, b, NULL, "three", n3);
	assert_int_equal(cv_case_share(c, a, "dave", &err), CV_OK);
	logout(c);
	d = login_ok(f->v, "dave", PW_DAVE);
	note_ok(d, a, NULL, "dave's", dn);
	logout(d);
	c = login_ok(f->v, "carol", PW_CAROL);
	/* The third is dave's: nothing is finalized, the refusal names it. */
	ids[0] = n1, ids[1] = n3, ids[2] = dn;
	assert_int_equal(cv_note_finalize_many(c, ids, 3, &failed, &err), CV_EDENIED);
	assert_int_equal(failed, 2);
	assert_string_equal(err.code, "note.not-author");
	snprintf(object, sizeof(object), "note:%s", dn);
	assert_int_equal(audit_rows(f->path, "carol", "note.finalize", "denied", object), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = "
					"'note.finalize' AND outcome = 'ok'"),
			 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE status = 'final'"), 0);
	/* An unknown id, and one named twice, are refused the same way. */
	ids[0] = n1, ids[1] = "N-ZZZZZZ";
	assert_int_equal(cv_note_finalize_many(c, ids, 2, &failed, &err), CV_ENOTFOUND);
	assert_int_equal(failed, 1);
	ids[0] = n1, ids[1] = n2, ids[2] = n1;
	assert_int_equal(cv_note_finalize_many(c, ids, 3, &failed, &err), CV_EUSAGE);
	assert_int_equal(failed, 2);
	assert_string_equal(err.code, "note.repeated");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE status = 'final'"), 0);
	/* Three notes on two cases: all final, one row each. */
	ids[0] = n1, ids[1] = n2, ids[2] = n3;
	assert_int_equal(cv_note_finalize_many(c, ids, 3, &failed, &err), CV_OK);
	for (size_t i = 0; i < 3; i++) {
		snprintf(object, sizeof(object), "note:%s", ids[i]);
		assert_int_equal(audit_rows(f->path, "carol", "note.finalize", "ok", object), 1);
		note_get_ok(c, ids[i], &r);
		assert_string_equal(r.status, "final");
		assert_int_equal(r.signature_ok, 1);
	}
	free(r.text);
	logout(c);
}

static void test_finalize_signs_and_freezes(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *d;
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], object[32];
	struct shown_note r = {0};
	cv_err err = {0};

	ready_case(c, "S-4", a);
	note_ok(c, a, NULL, "the record as it stands", n);
	snprintf(object, sizeof(object), "note:%s", n);
	assert_int_equal(cv_note_finalize(c, n, &err), CV_OK);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'note.finalize' AND object = '%s' AND"
			       " outcome = 'ok' AND detail = ''",
			       object),
			 1);
	assert_int_equal(q_int(f->path, "SELECT length(sig) FROM records WHERE id = '%s'", n), 64);
	note_get_ok(c, n, &r);
	assert_string_equal(r.status, "final");
	assert_int_equal(r.signature_ok, 1);
	assert_int_equal(strlen(r.updated_at), 20);

	assert_int_equal(cv_note_edit(c, n, "rewritten", 9, NULL, &err), CV_EDENIED);
	assert_string_equal(err.code, "note.already-final");
	assert_msg_has(err, "is final and cannot be changed");
	assert_msg_has(err, "casevault note amend");
	assert_int_equal(audit_rows(f->path, "carol", "note.edit", "denied", object), 1);
	/* Finalizing it again is refused as editing it is: denied (status 4). */
	assert_int_equal(cv_note_finalize(c, n, &err), CV_EDENIED);
	assert_string_equal(err.code, "note.already-final");
	assert_msg_has(err, "already final");
	/* A denial's row holds its code and its argument, the note's id. */
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'note.finalize' AND object = '%s' AND"
			       " outcome = 'denied' AND detail = 'note.already-final [\"%s\"]'",
			       object, n),
			 1);
	note_get_ok(c, n, &r);
	assert_int_equal(r.version, 1);
	assert_string_equal(r.text, "the record as it stands");
	assert_int_equal(r.signature_ok, 1);
	logout(c);

	d = login_ok(f->v, "dave", PW_DAVE);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_case_share(c, a, "dave", &err), CV_OK);
	logout(c);
	assert_int_equal(cv_note_edit(d, n, "rewritten", 9, NULL, &err), CV_EDENIED);
	assert_int_equal(audit_rows(f->path, "dave", "note.edit", "denied", object), 1);
	/* Dave verifies carol's signature too. */
	note_get_ok(d, n, &r);
	assert_int_equal(r.signature_ok, 1);
	free(r.text);
	logout(d);
}

/* Every record carries its writer's signature over all its clear columns
 * and its ciphertext (docs/FORMAT.md §13): a changed signature, another
 * note's valid one, or a blank one refuses the note, naming it, with
 * exit 5; put back, the note reads again. */
static void test_tampered_signature(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n1[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX], n3[CV_CASE_ID_MAX];
	uint8_t sig[64], orig[64], zero[64] = {0};
	struct shown_note r = {0};
	cv_err err = {0};
	char sql[128], want[96];

	ready_case(c, "S-5", a);
	note_ok(c, a, NULL, "one", n1);
	note_ok(c, a, NULL, "two", n2);
	note_ok(c, a, NULL, "three", n3);
	assert_int_equal(cv_note_finalize(c, n1, &err), CV_OK);
	assert_int_equal(cv_note_finalize(c, n2, &err), CV_OK);
	assert_int_equal(cv_note_finalize(c, n3, &err), CV_OK);
	snprintf(sql, sizeof(sql), "UPDATE records SET sig = ?1 WHERE id = '%s'", n2);
	assert_int_equal(
	    q_blob(f->path, orig, sizeof(orig), "SELECT sig FROM records WHERE id = '%s'", n2), 64);

	/* One bit of the signature. */
	memcpy(sig, orig, sizeof(sig));
	sig[10] ^= 0x01;
	raw_blobs(f->path, sql, sig, sizeof(sig), NULL, 0);
	assert_int_equal(note_get(c, n1, &r, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "record.forged");
	snprintf(want, sizeof(want), "record '%s' of case '%s'", n2, a);
	assert_msg_has(err, want);
	assert_int_equal(r.calls, 0);
	/* Another note's valid signature. */
	assert_int_equal(
	    q_blob(f->path, sig, sizeof(sig), "SELECT sig FROM records WHERE id = '%s'", n3), 64);
	raw_blobs(f->path, sql, sig, sizeof(sig), NULL, 0);
	assert_int_equal(note_get(c, n2, &r, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "record.forged");
	/* No signature at all. */
	raw_blobs(f->path, sql, zero, sizeof(zero), NULL, 0);
	assert_int_equal(note_get(c, n3, &r, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "record.forged");
	/* Each refusal is in the log. */
	assert_int_equal(case_rows(f->path, "carol", "note.show", "failed", a), 3);
	/* The signature put back: every note reads, signed. */
	raw_blobs(f->path, sql, orig, sizeof(orig), NULL, 0);
	note_get_ok(c, n2, &r);
	assert_int_equal(r.signature_ok, 1);
	assert_string_equal(r.text, "two");
	free(r.text);
	logout(c);
}

/* A final note's status is covered by its author's signature: setting it
 * back to 'draft' with sqlite3 is a forged row, refused at once; the note
 * is neither edited nor shown until the row is put back (R4: immutable). */
static void test_final_note_status_tampered_stays_immutable(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX];
	struct shown_note r = {0};
	cv_err err = {0};

	ready_case(c, "S-6", a);
	note_ok(c, a, NULL, "signed words", n);
	assert_int_equal(cv_note_finalize(c, n, &err), CV_OK);
	raw_exec(f->path, "UPDATE records SET status = 'draft' WHERE id = '%s'", n);
	assert_int_equal(cv_note_edit(c, n, "quietly rewritten", 17, NULL, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "record.forged");
	assert_int_equal(cv_note_finalize(c, n, &err), CV_EINTEGRITY);
	assert_int_equal(note_get(c, n, &r, &err), CV_EINTEGRITY);
	raw_exec(f->path, "UPDATE records SET status = 'final' WHERE id = '%s'", n);
	assert_int_equal(cv_note_edit(c, n, "quietly rewritten", 17, NULL, &err), CV_EDENIED);
	assert_msg_has(err, "note amend");
	note_get_ok(c, n, &r);
	assert_string_equal(r.text, "signed words");
	assert_int_equal(r.signature_ok, 1);
	free(r.text);
	logout(c);
}

static void test_old_version_replayed(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX];
	uint8_t nonce[64], box[256];
	size_t nn, nb;
	struct shown_note r = {0};
	cv_err err = {0};
	char sql[128];

	ready_case(c, "S-7", a);
	note_ok(c, a, NULL, "version one words", n);
	nn = q_blob(f->path, nonce, sizeof(nonce), "SELECT nonce FROM records WHERE id = '%s'", n);
	nb = q_blob(f->path, box, sizeof(box), "SELECT box FROM records WHERE id = '%s'", n);
	assert_int_equal(nn, 24);
	assert_int_equal(nb, strlen("version one words") + 16);
	assert_int_equal(cv_note_edit(c, n, "version two words", 17, NULL, &err), CV_OK);
	snprintf(sql, sizeof(sql), "UPDATE records SET nonce = ?1, box = ?2 WHERE id = '%s'", n);
	raw_blobs(f->path, sql, nonce, nn, box, nb);
	assert_int_equal(note_get(c, n, &r, &err), CV_EINTEGRITY);
	assert_int_equal(r.calls, 0);
	free(r.text);
	logout(c);
}

/* ---- addenda ------------------------------------------------------------------------------------
 */

static void test_amend(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], add[CV_CASE_ID_MAX], dr[CV_CASE_ID_MAX];
	char x[CV_CASE_ID_MAX] = "junk", detail[64];
	struct shown_note r = {0};
	struct listed l;
	cv_err err = {0};

	ready_case(c, "S-8", a);
	note_ok(c, a, NULL, "the original", n);
	assert_int_equal(cv_note_finalize(c, n, &err), CV_OK);
	assert_int_equal(cv_note_amend(c, n, "a correction", 12, NULL, add, &err), CV_OK);
	assert_id_shape(add, 'N', 6);
	snprintf(detail, sizeof(detail), "addendum=%s", add);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'note.amend' AND object = 'note:%s' AND"
			       " outcome = 'ok' AND detail = '%s'",
			       n, detail),
			 1);
	note_get_ok(c, add, &r);
	assert_string_equal(r.kind, "addendum");
	assert_string_equal(r.amends, n);
	assert_string_equal(r.status, "draft");
	assert_string_equal(r.case_id, a);
	assert_string_equal(r.text, "a correction");
	/* The original is untouched. */
	assert_text(c, n, "the original");
	assert_int_equal(cv_note_finalize(c, add, &err), CV_OK);
	note_get_ok(c, add, &r);
	assert_int_equal(r.signature_ok, 1);
	assert_int_equal(list_notes(c, a, NULL, &l, &err), CV_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.note[1].id, add);
	assert_string_equal(l.note[1].amends, n);

	/* Drafts are edited, not amended. */
	note_ok(c, a, NULL, "a draft", dr);
	assert_int_equal(cv_note_amend(c, dr, "x", 1, NULL, x, &err), CV_EUSAGE);
	assert_string_equal(err.code, "note.draft");
	assert_msg_has(err, "still a draft");
	assert_string_equal(x, "");
	assert_int_equal(cv_note_amend(c, "N-000000", "x", 1, NULL, x, &err), CV_ENOTFOUND);
	assert_int_equal(notes(f->path, a), 3);
	free(r.text);
	logout(c);
}

/* ---- reading ------------------------------------------------------------------------------------
 */

static void test_show_logs_before_text(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *s;
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], t[CV_CASE_ID_MAX], object[32];
	struct shown_note r = {0};
	cv_err err = {0};

	ready_case(c, "S-9", a);
	note_ok(c, a, NULL, "read me", n);
	snprintf(object, sizeof(object), "note:%s", n);
	assert_int_equal(audit_rows(f->path, "carol", "note.show", "ok", object), 0);
	r.path = f->path;
	r.actor = "carol";
	r.show_rows = -1;
	assert_int_equal(cv_note_show(c, n, note_cb, &r, &err), CV_OK);
	assert_int_equal(r.calls, 1);
	/* The row was committed before the text reached the callback. */
	assert_int_equal(r.show_rows, 1);
	assert_string_equal(r.text, "read me");

	/* Ids that are not notes. */
	assert_int_equal(note_get(c, "N-000000", &r, &err), CV_ENOTFOUND);
	assert_int_equal(r.calls, 0);
	assert_int_equal(audit_rows(f->path, "carol", "note.show", "failed", "note:N-000000"), 1);
	assert_int_equal(cv_test_add(c, a, "PHQ-9", "3", NULL, NULL, t, &err), CV_OK);
	assert_int_equal(note_get(c, t, &r, &err), CV_ENOTFOUND);
	assert_int_equal(note_get(c, a, &r, &err), CV_ENOTFOUND);
	logout(c);

	/* A supervisor gets nothing, and the refusal is logged. */
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(note_get(s, n, &r, &err), CV_EDENIED);
	assert_int_equal(r.calls, 0);
	assert_int_equal(case_rows(f->path, "sam", "note.show", "denied", a), 1);
	assert_int_equal(audit_rows(f->path, "sam", "note.show", "ok", object), 0);
	free(r.text);
	logout(s);
}

static void test_overdue_drafts(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], d[CV_CASE_ID_MAX], fin[CV_CASE_ID_MAX];
	char today[11], d7[11], d8[11], d30[11];
	struct listed l;
	cv_err err = {0};

	day_from_today(0, today);
	day_from_today(7, d7);
	day_from_today(8, d8);
	day_from_today(30, d30);
	ready_case(c, "S-10", a);
	note_ok(c, a, NULL, "a draft", d);
	note_ok(c, a, NULL, "a final note", fin);
	assert_int_equal(cv_note_finalize(c, fin, &err), CV_OK);

	assert_int_equal(list_notes(c, a, today, &l, &err), CV_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(overdue_of(&l, d), 0);
	assert_int_equal(list_notes(c, a, d7, &l, &err), CV_OK);
	assert_int_equal(overdue_of(&l, d), 0);
	assert_int_equal(list_notes(c, a, d8, &l, &err), CV_OK);
	assert_int_equal(overdue_of(&l, d), 1);
	assert_int_equal(overdue_of(&l, fin), 0);
	assert_int_equal(list_notes(c, a, d30, &l, &err), CV_OK);
	assert_int_equal(overdue_of(&l, d), 1);
	assert_int_equal(overdue_of(&l, fin), 0);
	assert_int_equal(list_notes(c, a, "2024-13-01", &l, &err), CV_EUSAGE);
	assert_string_equal(err.code, "date.invalid");
	assert_int_equal(list_notes(c, a, "soon", &l, &err), CV_EUSAGE);
	assert_string_equal(err.code, "date.invalid");

	/* Without a date: as of today.  (A creation time is signed with the
	 * note, so a draft cannot be made older with sqlite3: a forged row.) */
	assert_int_equal(list_notes(c, a, NULL, &l, &err), CV_OK);
	assert_int_equal(overdue_of(&l, d), 0);
	raw_exec(f->path,
		 "UPDATE records SET created_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ',"
		 " 'now', '-10 days') WHERE id = '%s'",
		 d);
	assert_int_equal(list_notes(c, a, NULL, &l, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "record.forged");
	logout(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_kinds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_text_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edit_only_drafts_by_author, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_finalize_signs_and_freezes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampered_signature, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_final_note_status_tampered_stays_immutable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_old_version_replayed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_amend, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_finalized, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_finalize_many_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_show_logs_before_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overdue_drafts, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_import.c - onboarding existing records through the public API
 * (cv_import_*): a batch of case opens with the consent on file, and a
 * batch of notes, each row checked as the typed command checks it (case
 * fields, consent parties, method, dates against today and the birth
 * date, grants, consent in force, note kind and text); every refused row
 * reported and nothing written when any row is refused, the refusals
 * logged as the typed commands log theirs; a good batch written in one
 * transaction with one checkpoint and the rows of the typed commands.
 */
#define FIXTURE_TAG "import"
#include "case_fixture.h"

#define NBAD(a) (sizeof(a) / sizeof((a)[0]))

/* Fails unless err holds status st and reason code want. */
#define assert_code(e, st, want)                                                                   \
	do {                                                                                       \
		assert_int_equal((e).status, (st));                                                \
		if (strcmp((e).code, (want)) != 0)                                                 \
			fail_msg("code '%s', want '%s' (%s)", (e).code, (want), (e).msg);          \
	} while (0)

static const char all_scopes[] = "individual,group,testing,guardian-contact,referral-disclosure";

static int64_t count(const char *path, const char *sql)
{
	return q_int(path, "%s", sql);
}

static int64_t checkpoints(const char *path)
{
	return count(path, "SELECT count(*) FROM audit WHERE action = 'checkpoint'");
}

/* A case row: the fixture's student, with consent by `by` (NULL: none). */
static cv_import_case_row case_row(const char *sid, const char *by, const char *date)
{
	cv_import_case_row r = {0};

	r.in = student(sid, "Lin Xue");
	r.in.born = "2011-03-04";
	if (by) {
		r.consent.by = by;
		r.consent.method = "written";
		r.consent.date = date;
		r.consent.scopes = all_scopes;
	}
	return r;
}

/* UTC date `days` from today, as YYYY-MM-DD (a day away from the local
 * one at most: the tests use whole weeks). */
static void day_from_today(int days, char out[11])
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void test_cases_all_or_nothing(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_import_case_row rows[3];
	char id[3][CV_CASE_ID_MAX];
	cv_import *im = NULL;
	cv_err err = {0};
	int64_t cps;
	int dup = -1;

	rows[0] = case_row("S-1", NULL, NULL);
	rows[1] = case_row("S-2", "student,guardian", "2024-09-02");
	rows[2] = case_row("S-3", NULL, NULL);
	rows[2].in.grade = 13;
	cps = checkpoints(f->path);
	assert_int_equal(cv_import_begin(c, CV_IMPORT_CASES, &im, &err), CV_OK);
	assert_int_equal(cv_import_case(im, &rows[0], id[0], &dup, &err), CV_OK);
	assert_id_shape(id[0], 'C', 5);
	assert_int_equal(cv_import_case(im, &rows[1], id[1], &dup, &err), CV_OK);
	assert_int_equal(cv_import_case(im, &rows[2], id[2], &dup, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "case.grade-invalid");
	assert_string_equal(id[2], "");
	assert_int_equal(cv_import_done(im), 2);
	assert_int_equal(cv_import_refused(im), 1);
	/* One refused row: nothing is written, the refusal is logged as the
	 * typed case open logs it, and the status is the row's. */
	assert_int_equal(cv_import_end(im, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "import.refused");
	assert_msg_has(err, "1 of 3 rows refused; nothing was imported");
	cv_import_free(im);
	assert_int_equal(count(f->path, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(count(f->path, "SELECT count(*) FROM records"), 0);
	assert_int_equal(count(f->path, "SELECT count(*) FROM audit WHERE action = 'case.open' "
					"AND outcome = 'ok'"),
			 0);
	assert_int_equal(audit_rows(f->path, "carol", "case.open", "failed", "case:new"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'case.open' AND "
					"detail = 'case.grade-invalid'"),
			 1);
	assert_int_equal(checkpoints(f->path), cps + 1);

	/* The good rows alone: one transaction, one checkpoint, the rows of
	 * the typed commands (case.open, then consent.record per party). */
	cps = checkpoints(f->path);
	assert_int_equal(cv_import_begin(c, CV_IMPORT_CASES, &im, &err), CV_OK);
	assert_int_equal(cv_import_case(im, &rows[0], id[0], &dup, &err), CV_OK);
	assert_int_equal(dup, 0);
	assert_int_equal(cv_import_case(im, &rows[1], id[1], &dup, &err), CV_OK);
	/* The same student again: a warning, as for a typed open. */
	assert_int_equal(cv_import_case(im, &rows[0], id[2], &dup, &err), CV_OK);
	assert_int_equal(dup, 1);
	assert_int_equal(cv_import_end(im, &err), CV_OK);
	cv_import_free(im);
	assert_int_equal(checkpoints(f->path), cps + 1);
	assert_int_equal(count(f->path, "SELECT count(*) FROM cases"), 3);
	assert_int_equal(case_rows(f->path, "carol", "case.open", "ok", id[0]), 1);
	assert_int_equal(case_rows(f->path, "carol", "case.open", "ok", id[1]), 1);
	assert_int_equal(case_rows(f->path, "carol", "case.open", "ok", id[2]), 1);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'consent.record' AND "
			       "outcome = 'ok' AND object = 'case:%s'",
			       id[1]),
			 2);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'case.open' AND "
			       "object = 'case:%s' AND detail = 'duplicate=1'",
			       id[2]),
			 1);
	/* The consent imported is the consent in force: a note needs no
	 * crisis on the second case, and is refused on the first. */
	{
		char n[CV_CASE_ID_MAX];

		assert_int_equal(cv_note_add(c, id[1], NULL, "first", 5, NULL, n, &err), CV_OK);
		assert_int_equal(cv_note_add(c, id[0], NULL, "first", 5, NULL, n, &err),
				 CV_EDENIED);
		assert_code(err, CV_EDENIED, "consent.missing");
	}
	logout(c);
}

static void test_case_consent_rules(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char future[11], id[CV_CASE_ID_MAX];
	cv_import_case_row r;
	cv_import *im = NULL;
	cv_err err = {0};
	int dup;
	static const struct {
		const char *by, *method, *date, *scopes, *verifier;
		cv_status st;
		const char *code;
	} bad[] = {
	    {"student", "written", "FUTURE", all_scopes, NULL, CV_EUSAGE, "consent.date-future"},
	    {"student", "written", "2010-01-01", all_scopes, NULL, CV_EUSAGE,
	     "consent.date-before-birth"},
	    {"student", "written", "2024-13-01", all_scopes, NULL, CV_EUSAGE, "date.invalid"},
	    {"student", "by fax", "2024-09-02", all_scopes, NULL, CV_EUSAGE,
	     "consent.method-invalid"},
	    {"teacher", "written", "2024-09-02", all_scopes, NULL, CV_EUSAGE,
	     "consent.party-invalid"},
	    {"student", "written", "2024-09-02", "everything", NULL, CV_EUSAGE,
	     "consent.scope-unknown"},
	    {"student", "written", "2024-09-02", all_scopes, "nobody", CV_ENOTFOUND,
	     "consent.verifier-unknown"},
	    {NULL, "written", "2024-09-02", NULL, NULL, CV_EUSAGE, "import.consent-party"},
	};

	day_from_today(7, future);
	assert_int_equal(cv_import_begin(c, CV_IMPORT_CASES, &im, &err), CV_OK);
	for (size_t i = 0; i < NBAD(bad); i++) {
		r = case_row("S-9", NULL, NULL);
		r.consent.by = bad[i].by;
		r.consent.method = bad[i].method;
		r.consent.date = strcmp(bad[i].date, "FUTURE") == 0 ? future : bad[i].date;
		r.consent.scopes = bad[i].scopes;
		r.consent.verified_by = bad[i].verifier;
		err = (cv_err){0};
		if (cv_import_case(im, &r, id, &dup, &err) != bad[i].st ||
		    strcmp(err.code, bad[i].code) != 0)
			fail_msg("row %zu: code '%s' (%s), want '%s'", i, err.code, err.msg,
				 bad[i].code);
	}
	/* A good row after them changes nothing. */
	r = case_row("S-10", "guardian", NULL);
	assert_int_equal(cv_import_case(im, &r, id, &dup, &err), CV_OK);
	assert_int_equal(cv_import_refused(im), NBAD(bad));
	assert_int_equal(cv_import_end(im, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "import.refused");
	cv_import_free(im);
	assert_int_equal(count(f->path, "SELECT count(*) FROM cases"), 0);
	assert_int_equal(count(f->path, "SELECT count(*) FROM records"), 0);
	/* Logged as the typed consent record logs them (the row's shape check,
	 * made before any vault access, is not). */
	assert_int_equal(count(f->path, "SELECT count(*) FROM audit WHERE action = "
					"'consent.record' AND outcome = 'failed'"),
			 (int64_t)NBAD(bad) - 1);
	assert_int_equal(count(f->path, "SELECT count(*) FROM audit WHERE detail LIKE "
					"'import.%'"),
			 0);
	logout(c);
}

struct shown {
	char status[16], kind[16];
	char *text;
	size_t len;
};

static int show_cb(const cv_note_info *n, void *arg)
{
	struct shown *s = arg;

	snprintf(s->status, sizeof(s->status), "%s", n->status);
	snprintf(s->kind, sizeof(s->kind), "%s", n->kind);
	s->text = malloc(n->text_len + 1);
	assert_non_null(s->text);
	memcpy(s->text, n->text, n->text_len);
	s->text[n->text_len] = '\0';
	s->len = n->text_len;
	return 0;
}

static cv_import_note_row note_row(const char *case_id, const char *kind, const char *text,
				   int finalize)
{
	cv_import_note_row r = {case_id, NULL, kind, text, text ? strlen(text) : 0, finalize};
	return r;
}

static void test_notes(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *d;
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX], n[4][CV_CASE_ID_MAX];
	cv_import_note_row rows[7];
	cv_import *im = NULL;
	struct shown sh = {0};
	cv_err err = {0};
	char *big;
	size_t big_len = 0;
	int64_t cps;

	/* a: carol's, with consent; b: carol's, none; x: dave's alone. */
	open_new(c, "S-1", "Lin Xue", a);
	consent_all(c, a);
	open_new(c, "S-2", "Wang Fang", b);
	logout(c);
	d = login_ok(f->v, "dave", PW_DAVE);
	open_new(d, "S-3", "Zhao Lei", x);
	consent_all(d, x);
	logout(d);
	c = login_ok(f->v, "carol", PW_CAROL);

	/* Large Chinese text: 40,000 characters, 120,000 bytes. */
	big = malloc(3 * 40000 + 1);
	assert_non_null(big);
	for (size_t i = 0; i < 40000; i++) {
		memcpy(big + big_len, "谈", 3);
		big_len += 3;
	}
	big[big_len] = '\0';

	rows[0] = note_row(a, NULL, "first session, \"quoted\"\nsecond line", 0);
	rows[1] = note_row(a, "analysis", big, 1);
	rows[2] = note_row(b, NULL, "no consent here", 0);
	rows[3] = note_row(x, NULL, "not my case", 0);
	rows[4] = note_row("C-00000", NULL, "no such case", 0);
	rows[5] = note_row(a, "diary", "unknown kind", 0);
	rows[6] = note_row(a, NULL, "", 0);
	assert_int_equal(cv_import_begin(c, CV_IMPORT_NOTES, &im, &err), CV_OK);
	assert_int_equal(cv_import_note(im, &rows[0], n[0], &err), CV_OK);
	assert_id_shape(n[0], 'N', 6);
	assert_int_equal(cv_import_note(im, &rows[1], n[1], &err), CV_OK);
	assert_int_equal(cv_import_note(im, &rows[2], n[2], &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "consent.missing");
	assert_int_equal(cv_import_note(im, &rows[3], n[2], &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "case.not-shared");
	assert_int_equal(cv_import_note(im, &rows[4], n[2], &err), CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.not-found");
	assert_int_equal(cv_import_note(im, &rows[5], n[2], &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "note.kind");
	assert_int_equal(cv_import_note(im, &rows[6], n[2], &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "note.empty");
	assert_string_equal(n[2], "");
	/* The status is the first refused row's. */
	assert_int_equal(cv_import_end(im, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "import.refused");
	assert_msg_has(err, "5 of 7 rows refused");
	cv_import_free(im);
	assert_int_equal(count(f->path, "SELECT count(*) FROM records WHERE type = 'note'"), 0);
	assert_int_equal(count(f->path, "SELECT count(*) FROM audit WHERE action = 'note.add' AND "
					"outcome = 'ok'"),
			 0);
	assert_int_equal(case_rows(f->path, "carol", "note.add", "denied", b), 1);
	assert_int_equal(case_rows(f->path, "carol", "note.add", "denied", x), 1);
	assert_int_equal(audit_rows(f->path, "carol", "note.add", "failed", "case:C-00000"), 1);
	/* Kind and text are refused before the vault, as typed: no row. */
	assert_int_equal(case_rows(f->path, "carol", "note.add", "failed", a), 0);

	/* The good rows: one checkpoint, note.add (and note.finalize) rows. */
	cps = checkpoints(f->path);
	assert_int_equal(cv_import_begin(c, CV_IMPORT_NOTES, &im, &err), CV_OK);
	assert_int_equal(cv_import_note(im, &rows[0], n[0], &err), CV_OK);
	assert_int_equal(cv_import_note(im, &rows[1], n[1], &err), CV_OK);
	assert_int_equal(cv_import_end(im, &err), CV_OK);
	cv_import_free(im);
	assert_int_equal(checkpoints(f->path), cps + 1);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'note.add' AND "
			       "outcome = 'ok' AND object = 'note:%s' AND detail = 'kind=session'",
			       n[0]),
			 1);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'note.finalize' AND "
			       "outcome = 'ok' AND object = 'note:%s'",
			       n[1]),
			 1);
	assert_int_equal(cv_note_show(c, n[0], show_cb, &sh, &err), CV_OK);
	assert_string_equal(sh.status, "draft");
	assert_string_equal(sh.text, rows[0].text);
	free(sh.text);
	assert_int_equal(cv_note_show(c, n[1], show_cb, &sh, &err), CV_OK);
	assert_string_equal(sh.status, "final");
	assert_string_equal(sh.kind, "analysis");
	assert_int_equal(sh.len, big_len);
	assert_memory_equal(sh.text, big, big_len);
	free(sh.text);
	free(big);
	logout(c);
}

static void test_notes_by_student(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *d;
	char a[CV_CASE_ID_MAX], b1[CV_CASE_ID_MAX], b2[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	char n[CV_CASE_ID_MAX];
	cv_import_note_row row;
	cv_import *im = NULL;
	cv_err err = {0};

	open_new(c, "S-1", "Lin Xue", a);
	consent_all(c, a);
	open_new(c, "S-5", "Wang Fang", b1);
	open_new(c, "S-5", "Wang Fang", b2);
	logout(c);
	d = login_ok(f->v, "dave", PW_DAVE);
	open_new(d, "S-3", "Zhao Lei", x);
	consent_all(d, x);
	logout(d);
	c = login_ok(f->v, "carol", PW_CAROL);

	assert_int_equal(cv_import_begin(c, CV_IMPORT_NOTES, &im, &err), CV_OK);
	/* The number as case find compares it: spaces, dashes, letter case. */
	row = note_row(NULL, NULL, "by student number", 0);
	row.student_id = "s 1";
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_OK);
	/* Both given and the same case: fine. */
	row.case_id = a;
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_OK);
	/* Both given, another case: refused. */
	row.case_id = b1;
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "import.student-mismatch");
	/* Two cases of the student: ambiguous. */
	row = note_row(NULL, NULL, "which one?", 0);
	row.student_id = "S-5";
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "case.student-ambiguous");
	/* dave's student is no case of carol's: not found, as an unknown one. */
	row.student_id = "S-3";
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.student-not-found");
	row.student_id = "S-404";
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "case.student-not-found");
	assert_int_equal(cv_import_done(im), 2);
	assert_int_equal(cv_import_end(im, &err), CV_EUSAGE);
	cv_import_free(im);
	assert_int_equal(count(f->path, "SELECT count(*) FROM records WHERE type = 'note'"), 0);
	/* No student number reaches the log. */
	assert_int_equal(count(f->path, "SELECT count(*) FROM audit WHERE detail LIKE '%S-%' OR "
					"object LIKE '%S-%'"),
			 0);

	/* The good rows alone. */
	assert_int_equal(cv_import_begin(c, CV_IMPORT_NOTES, &im, &err), CV_OK);
	row = note_row(NULL, NULL, "by student number", 1);
	row.student_id = "S-1";
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_OK);
	assert_int_equal(cv_import_end(im, &err), CV_OK);
	cv_import_free(im);
	assert_int_equal(
	    q_int(f->path,
		  "SELECT count(*) FROM records WHERE type = 'note' AND case_id = '%s' "
		  "AND status = 'final'",
		  a),
	    1);
	logout(c);
}

static void test_roles_and_refused_shapes(void **state)
{
	struct fix *f = *state;
	cv_session *s = login_ok(f->v, "sam", PW_SAM), *c;
	cv_import_note_row row;
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX];
	cv_import *im = (cv_import *)1;
	cv_err err = {0}, why = {0};

	/* A supervisor imports nothing, and the refusal is logged. */
	assert_int_equal(cv_import_begin(s, CV_IMPORT_NOTES, &im, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "policy.role");
	assert_null(im);
	assert_int_equal(audit_rows(f->path, "sam", "note.add", "denied", "case:?"), 1);
	assert_int_equal(cv_import_begin(s, CV_IMPORT_CASES, &im, &err), CV_EDENIED);
	assert_int_equal(audit_rows(f->path, "sam", "case.open", "denied", "case:new"), 1);
	logout(s);

	/* A record the program could not read stops the batch from being
	 * written, whatever the other rows are. */
	c = login_ok(f->v, "carol", PW_CAROL);
	open_new(c, "S-1", "Lin Xue", a);
	consent_all(c, a);
	row = note_row(a, NULL, "fine", 0);
	assert_int_equal(cv_import_begin(c, CV_IMPORT_NOTES, &im, &err), CV_OK);
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_OK);
	cv_fail(&why, CV_EUSAGE, "csv.width", "line {1}: wrong width", "3");
	cv_import_refuse(im, &why);
	assert_int_equal(cv_import_refused(im), 1);
	assert_int_equal(cv_import_end(im, &err), CV_EUSAGE);
	assert_msg_has(err, "1 of 2 rows refused");
	/* The batch is over: a row after the end is an error. */
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_ERROR);
	cv_import_free(im);
	assert_int_equal(count(f->path, "SELECT count(*) FROM records WHERE type = 'note'"), 0);
	/* A batch freed without an end is rolled back. */
	assert_int_equal(cv_import_begin(c, CV_IMPORT_NOTES, &im, &err), CV_OK);
	assert_int_equal(cv_import_note(im, &row, n, &err), CV_OK);
	cv_import_free(im);
	assert_int_equal(count(f->path, "SELECT count(*) FROM records WHERE type = 'note'"), 0);
	/* And the vault is still fine for the next command. */
	assert_int_equal(cv_note_add(c, a, NULL, "typed", 5, NULL, n, &err), CV_OK);
	logout(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_cases_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_case_consent_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notes_by_student, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roles_and_refused_shapes, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_consent.c - informed consent (R1) and the crisis exception (R2)
 * through the public API: no note, test or referral disclosure without the
 * consent that covers it (exit status CV_EDENIED, a message naming what is
 * missing and how to record it, a 'denied' audit row); the guardian's
 * consent as well while the student is a minor (no birth date, or under
 * 18); withdrawal that stops new work at once and marks what exists; bad
 * consent input; and --crisis, which needs a justification, lets the work
 * through, and leaves a break-glass row without the justification.  Each
 * refusal is checked by status and reason code.
 */
#define FIXTURE_TAG "consent"
#include "case_fixture.h"
#include "consent_state.h"

/* Fails unless err holds status st and reason code want. */
#define assert_code(e, st, want)                                                                   \
	do {                                                                                       \
		assert_int_equal((e).status, (st));                                                \
		if (strcmp((e).code, (want)) != 0)                                                 \
			fail_msg("code '%s', want '%s' (%s)", (e).code, (want), (e).msg);          \
	} while (0)

/* Audit rows of this action and outcome on case_id whose detail is exactly
 * detail. */
static int64_t detail_rows(const char *path, const char *action, const char *outcome,
			   const char *case_id, const char *detail)
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;
	char object[32];
	int64_t n = -1;

	snprintf(object, sizeof(object), "case:%s", case_id);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM audit WHERE action = ?1 AND"
					    " outcome = ?2 AND object = ?3 AND detail = ?4",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, detail, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* What cv_note_show delivered. */
struct note_read {
	int calls;
	char text[512];
	size_t len;
	int signature_ok;
};

static int note_cb(const cv_note_info *n, void *arg)
{
	struct note_read *r = arg;

	r->calls++;
	assert_non_null(n->text);
	r->len = n->text_len;
	snprintf(r->text, sizeof(r->text), "%.*s", (int)n->text_len, n->text);
	r->signature_ok = n->signature_ok;
	return 0;
}

static cv_status note_read(cv_session *s, const char *id, struct note_read *r, cv_err *err)
{
	memset(r, 0, sizeof(*r));
	return cv_note_show(s, id, note_cb, r, err);
}

static void assert_note_text(cv_session *s, const char *id, const char *text)
{
	struct note_read r;
	cv_err err = {0};

	if (note_read(s, id, &r, &err) != CV_OK)
		fail_msg("note show '%s' failed: %s", id, err.msg);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.len, strlen(text));
	assert_string_equal(r.text, text);
}

/* ---- dates ---------------------------------------------------------------------- */

/* The date `years` years before today (UTC), moved by `days` days. */
static void years_ago(int years, int days, char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	tm.tm_year -= years;
	tm.tm_mday += days;
	tm.tm_hour = 12;
	(void)timegm(&tm); /* normalizes the day */
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* On 29 February "the same day 18 years ago" does not exist. */
static int today_is_feb29(void)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	return tm.tm_mon == 1 && tm.tm_mday == 29;
}

/* ---- what cv_case_show delivers ------------------------------------------------------ */

struct view {
	int cases;
	int minor;
	char sconsent[96], gconsent[96], withdrawn_on[16];
	int nconsent;
	struct {
		int64_t seq;
		char action[16], by[16], method[16], date[16], scopes[96];
		char verified_by[CV_NAME_MAX + 1], recorded_by[CV_NAME_MAX + 1];
	} consent[8];
	int nnotes;
	struct {
		char id[CV_CASE_ID_MAX];
		int after_withdrawal;
	} note[8];
	int ntests;
	struct {
		char id[CV_CASE_ID_MAX];
		int crisis;
	} test[8];
	int nrefs;
	struct {
		char id[CV_CASE_ID_MAX];
		int crisis;
	} ref[8];
};

static int v_case(const cv_case_info *c, void *arg)
{
	struct view *v = arg;

	v->cases++;
	v->minor = c->minor;
	snprintf(v->sconsent, sizeof(v->sconsent), "%s", c->student_consent);
	snprintf(v->gconsent, sizeof(v->gconsent), "%s", c->guardian_consent);
	snprintf(v->withdrawn_on, sizeof(v->withdrawn_on), "%s", c->withdrawn_on);
	return 0;
}

static int v_consent(const cv_consent_event *e, void *arg)
{
	struct view *v = arg;

	if (v->nconsent < 8) {
		v->consent[v->nconsent].seq = e->seq;
		snprintf(v->consent[v->nconsent].action, 16, "%s", e->action);
		snprintf(v->consent[v->nconsent].by, 16, "%s", e->by);
		snprintf(v->consent[v->nconsent].method, 16, "%s", e->method);
		snprintf(v->consent[v->nconsent].date, 16, "%s", e->date);
		snprintf(v->consent[v->nconsent].scopes, 96, "%s", e->scopes);
		snprintf(v->consent[v->nconsent].verified_by, CV_NAME_MAX + 1, "%s",
			 e->verified_by);
		snprintf(v->consent[v->nconsent].recorded_by, CV_NAME_MAX + 1, "%s",
			 e->recorded_by);
	}
	v->nconsent++;
	return 0;
}

static int v_note(const cv_note_info *n, void *arg)
{
	struct view *v = arg;

	if (v->nnotes < 8) {
		snprintf(v->note[v->nnotes].id, CV_CASE_ID_MAX, "%s", n->id);
		v->note[v->nnotes].after_withdrawal = n->after_withdrawal;
	}
	v->nnotes++;
	return 0;
}

static int v_test(const cv_test_info *t, void *arg)
{
	struct view *v = arg;

	if (v->ntests < 8) {
		snprintf(v->test[v->ntests].id, CV_CASE_ID_MAX, "%s", t->id);
		v->test[v->ntests].crisis = t->crisis;
	}
	v->ntests++;
	return 0;
}

static int v_ref(const cv_referral_info *r, void *arg)
{
	struct view *v = arg;

	if (v->nrefs < 8) {
		snprintf(v->ref[v->nrefs].id, CV_CASE_ID_MAX, "%s", r->id);
		v->ref[v->nrefs].crisis = r->crisis;
	}
	v->nrefs++;
	return 0;
}

static void view_ok(cv_session *s, const char *id, struct view *v)
{
	cv_case_visitor vis = {v_case, v_consent, v_note, v_test, v_ref, NULL, NULL};
	cv_err err = {0};

	memset(v, 0, sizeof(*v));
	if (cv_case_show(s, id, 1, NULL, &vis, v, &err) != CV_OK)
		fail_msg("case show '%s' failed: %s", id, err.msg);
	assert_int_equal(v->cases, 1);
}

static int after_withdrawal(const struct view *v, const char *note)
{
	for (int i = 0; i < v->nnotes && i < 8; i++)
		if (strcmp(v->note[i].id, note) == 0)
			return v->note[i].after_withdrawal;
	fail_msg("note '%s' is not shown", note);
	return -1;
}

static cv_status note_add(cv_session *s, const char *case_id, const char *kind, const char *crisis,
			  char id[CV_CASE_ID_MAX], cv_err *err)
{
	static const char text[] = "what was said today";

	return cv_note_add(s, case_id, kind, text, sizeof(text) - 1, crisis, id, err);
}

static cv_status test_add(cv_session *s, const char *case_id, const char *crisis,
			  char id[CV_CASE_ID_MAX], cv_err *err)
{
	return cv_test_add(s, case_id, "PHQ-9", "12", NULL, crisis, id, err);
}

static cv_status referral_add(cv_session *s, const char *case_id, const char *crisis,
			      char id[CV_CASE_ID_MAX], cv_err *err)
{
	cv_referral_input in = {
	    "City Youth Clinic", "mental-health", "emotion", "urgent", "sleep problems", NULL};

	return cv_referral_add(s, case_id, &in, crisis, id, err);
}

static int64_t records(const char *path, const char *case_id, const char *type)
{
	return q_int(path, "SELECT count(*) FROM records WHERE case_id = '%s' AND type = '%s'",
		     case_id, type);
}

/* ---- R1: no work without consent ------------------------------------------------------ */

static void test_note_without_consent_denied(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX] = "junk";
	cv_err err = {0};

	open_new(c, "S-1", "Wu Hao", a);
	assert_int_equal(note_add(c, a, NULL, NULL, n, &err), CV_EDENIED);
	assert_int_equal(err.status, CV_EDENIED);
	assert_msg_has(err, "has no recorded consent from the student or the guardian");
	assert_msg_has(err, "for individual counseling");
	assert_msg_has(err, "casevault consent record");
	assert_msg_has(err, "--scope individual");
	assert_code(err, CV_EDENIED, "consent.missing");
	{
		char want[400], detail[96];

		snprintf(
		    want, sizeof(want),
		    "case '%s' has no recorded consent from the student or the guardian (the "
		    "student is a minor) for individual counseling; record both with "
		    "'casevault consent record %s --by student,guardian --method written|oral "
		    "--scope individual', or act under --crisis \"justification\" if there is a "
		    "risk of harm",
		    a, a);
		assert_string_equal(err.msg, want);
		/* The denial keeps its arguments: the case, the scope's word and
		 * its prose. */
		snprintf(
		    detail, sizeof(detail),
		    "consent.missing [\"%s\",\"individual\",\"individual counseling\",\"student\"]",
		    a);
		assert_int_equal(detail_rows(f->path, "note.add", "denied", a, detail), 1);
	}
	assert_string_equal(n, "");
	assert_int_equal(case_rows(f->path, "carol", "note.add", "denied", a), 1);
	/* A contact note needs consent to contact the guardians. */
	assert_int_equal(note_add(c, a, "contact", NULL, n, &err), CV_EDENIED);
	assert_msg_has(err, "contact with guardians");
	assert_msg_has(err, "--scope guardian-contact");
	assert_code(err, CV_EDENIED, "consent.missing");
	/* Consent to group work is not consent to individual counseling. */
	consent_ok(c, a, "student", "group");
	consent_ok(c, a, "guardian", "group");
	assert_int_equal(note_add(c, a, NULL, NULL, n, &err), CV_EDENIED);
	assert_msg_has(err, "individual counseling");
	assert_int_equal(case_rows(f->path, "carol", "note.add", "denied", a), 3);
	assert_int_equal(records(f->path, a, "note"), 0);
	logout(c);
}

static void test_minor_without_birth_date_needs_guardian(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX];
	struct view v;
	cv_err err = {0};

	open_new(c, "S-2", "Wu Hao", a);
	consent_ok(c, a, "student", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n, &err), CV_EDENIED);
	assert_msg_has(err, "has no recorded consent from the guardian (the student is a minor) "
			    "for individual counseling; record it with 'casevault consent record");
	assert_msg_has(err, "--by guardian --method written|oral");
	assert_code(err, CV_EDENIED, "consent.missing");
	/* The log says whose consent was missing. */
	{
		char detail[128];

		snprintf(detail, sizeof(detail),
			 "consent.missing [\"%s\",\"individual\",\"individual counseling\","
			 "\"guardian\"]",
			 a);
		assert_int_equal(detail_rows(f->path, "note.add", "denied", a, detail), 1);
	}
	view_ok(c, a, &v);
	assert_int_equal(v.minor, 1);
	assert_string_equal(v.sconsent, "individual");
	assert_string_equal(v.gconsent, "");
	/* The guardian alone is not enough either: the student's assent. */
	{
		char b[CV_CASE_ID_MAX];

		open_new(c, "S-3", "Wu Hao", b);
		consent_ok(c, b, "guardian", "individual");
		assert_int_equal(note_add(c, b, NULL, NULL, n, &err), CV_EDENIED);
		assert_msg_has(err, "from the student");
	}
	consent_ok(c, a, "guardian", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n, &err), CV_OK);
	view_ok(c, a, &v);
	assert_string_equal(v.gconsent, "individual");
	logout(c);
}

static void test_minor_by_birth_date_needs_guardian(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char ten[11], almost[11], a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX];
	cv_case_input in = student("S-4", "Wu Hao");
	struct view v;
	cv_err err = {0};

	years_ago(10, 0, ten);
	years_ago(18, 1, almost); /* 18 tomorrow */
	in.born = ten;
	open_ok(c, &in, a);
	in.born = almost;
	in.student_id = "S-5";
	open_ok(c, &in, b);
	consent_ok(c, a, "student", "individual");
	consent_ok(c, b, "student", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n, &err), CV_EDENIED);
	assert_msg_has(err, "guardian");
	assert_int_equal(note_add(c, b, NULL, NULL, n, &err), CV_EDENIED);
	assert_msg_has(err, "guardian");
	view_ok(c, b, &v);
	assert_int_equal(v.minor, 1);
	consent_ok(c, b, "guardian", "individual");
	assert_int_equal(note_add(c, b, NULL, NULL, n, &err), CV_OK);
	logout(c);
}

static void test_adult_needs_only_student(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char eighteen[11], a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX];
	cv_case_input in = student("S-6", "Wu Hao");
	struct view v;
	cv_err err = {0};

	in.born = "2000-01-01";
	open_ok(c, &in, a);
	/* A guardian's consent does not stand in for an adult's own. */
	consent_ok(c, a, "guardian", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n, &err), CV_EDENIED);
	assert_msg_has(err, "from the student");
	consent_ok(c, a, "student", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n, &err), CV_OK);
	view_ok(c, a, &v);
	assert_int_equal(v.minor, 0);

	/* Eighteen today is an adult. */
	if (!today_is_feb29()) {
		years_ago(18, 0, eighteen);
		in.born = eighteen;
		in.student_id = "S-7";
		open_ok(c, &in, b);
		consent_ok(c, b, "student", "individual");
		assert_int_equal(note_add(c, b, NULL, NULL, n, &err), CV_OK);
		view_ok(c, b, &v);
		assert_int_equal(v.minor, 0);
	}
	logout(c);
}

static void test_testing_needs_testing_consent(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], t[CV_CASE_ID_MAX] = "junk";
	cv_err err = {0};

	open_new(c, "S-8", "Wu Hao", a);
	consent_ok(c, a, "student", "individual");
	consent_ok(c, a, "guardian", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n, &err), CV_OK);
	assert_int_equal(test_add(c, a, NULL, t, &err), CV_EDENIED);
	assert_msg_has(err, "psychological testing");
	assert_msg_has(err, "--scope testing");
	assert_string_equal(t, "");
	assert_int_equal(case_rows(f->path, "carol", "test.add", "denied", a), 1);
	assert_int_equal(records(f->path, a, "test"), 0);
	/* The student's alone is not enough for a minor. */
	consent_ok(c, a, "student", "testing");
	assert_int_equal(test_add(c, a, NULL, t, &err), CV_EDENIED);
	assert_msg_has(err, "guardian");
	consent_ok(c, a, "guardian", "testing");
	assert_int_equal(test_add(c, a, NULL, t, &err), CV_OK);
	assert_int_equal(records(f->path, a, "test"), 1);
	logout(c);
}

static void test_referral_needs_disclosure_consent(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], r[CV_CASE_ID_MAX] = "junk";
	cv_err err = {0};

	open_new(c, "S-9", "Wu Hao", a);
	consent_ok(c, a, "student", "individual,testing,guardian-contact");
	consent_ok(c, a, "guardian", "individual,testing,guardian-contact");
	assert_int_equal(referral_add(c, a, NULL, r, &err), CV_EDENIED);
	assert_msg_has(err, "disclosure to a referral institution");
	assert_msg_has(err, "--scope referral-disclosure");
	assert_string_equal(r, "");
	assert_int_equal(case_rows(f->path, "carol", "referral.add", "denied", a), 1);
	consent_ok(c, a, "student", "referral-disclosure");
	assert_int_equal(referral_add(c, a, NULL, r, &err), CV_EDENIED);
	assert_msg_has(err, "guardian");
	assert_int_equal(case_rows(f->path, "carol", "referral.add", "denied", a), 2);
	assert_int_equal(records(f->path, a, "referral"), 0);
	consent_ok(c, a, "guardian", "referral-disclosure");
	assert_int_equal(referral_add(c, a, NULL, r, &err), CV_OK);
	assert_int_equal(records(f->path, a, "referral"), 1);
	logout(c);
}

/* ---- withdrawal -------------------------------------------------------------------------- */

static void test_withdrawal_stops_new_work(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n1[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX], n3[CV_CASE_ID_MAX];
	char x[CV_CASE_ID_MAX];
	struct view v;
	cv_err err = {0};

	open_new(c, "S-10", "Wu Hao", a);
	consent_all(c, a);
	assert_int_equal(note_add(c, a, NULL, NULL, n1, &err), CV_OK);
	assert_int_equal(cv_note_finalize(c, n1, &err), CV_OK);
	assert_int_equal(note_add(c, a, NULL, NULL, n2, &err), CV_OK);
	/* Written before the withdrawal (see the next test for the same
	 * second). */

	assert_int_equal(cv_consent_withdraw(c, a, NULL, NULL, "2024-10-01", &err), CV_OK);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'consent.withdraw' AND object = 'case:%s' AND"
			       " outcome = 'ok' AND detail = 'by=both scope=individual,group,"
			       "testing,guardian-contact,referral-disclosure'",
			       a),
			 1);
	/* At once: no note, test, referral or edit. */
	assert_int_equal(note_add(c, a, NULL, NULL, x, &err), CV_EDENIED);
	assert_msg_has(err, "has no current (withdrawn) consent from the student or the guardian "
			    "(the student is a minor) for individual counseling");
	assert_msg_has(err, "casevault consent record");
	assert_code(err, CV_EDENIED, "consent.missing");
	{
		char detail[128];

		snprintf(detail, sizeof(detail),
			 "consent.missing [\"%s\",\"individual\",\"individual counseling\","
			 "\"student-withdrawn\"]",
			 a);
		assert_int_equal(detail_rows(f->path, "note.add", "denied", a, detail), 1);
	}
	assert_int_equal(test_add(c, a, NULL, x, &err), CV_EDENIED);
	assert_int_equal(referral_add(c, a, NULL, x, &err), CV_EDENIED);
	assert_int_equal(cv_note_edit(c, n2, "changed", 7, NULL, &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "carol", "note.add", "denied", a), 1);
	assert_int_equal(case_rows(f->path, "carol", "note.edit", "denied", a), 1);
	assert_int_equal(records(f->path, a, "note"), 2);

	/* What exists stays readable, can still be completed, and is marked. */
	assert_note_text(c, n1, "what was said today");
	assert_note_text(c, n2, "what was said today");
	assert_int_equal(cv_note_finalize(c, n2, &err), CV_OK);
	view_ok(c, a, &v);
	assert_string_equal(v.sconsent, "");
	assert_string_equal(v.gconsent, "");
	assert_string_equal(v.withdrawn_on, "2024-10-01");
	assert_int_equal(v.nnotes, 2);
	assert_int_equal(after_withdrawal(&v, n1), 1);
	assert_int_equal(after_withdrawal(&v, n2), 1);
	assert_int_equal(v.nconsent, 3);
	assert_int_equal(v.consent[0].seq, 1);
	assert_string_equal(v.consent[0].action, "record");
	assert_string_equal(v.consent[0].by, "student");
	assert_string_equal(v.consent[0].method, "written");
	assert_string_equal(v.consent[0].date, "2024-09-02");
	assert_string_equal(v.consent[0].scopes,
			    "individual,group,testing,guardian-contact,referral-disclosure");
	assert_string_equal(v.consent[0].verified_by, "carol");
	assert_string_equal(v.consent[0].recorded_by, "carol");
	assert_string_equal(v.consent[1].by, "guardian");
	assert_int_equal(v.consent[2].seq, 3);
	assert_string_equal(v.consent[2].action, "withdraw");
	assert_string_equal(v.consent[2].by, "both");
	assert_string_equal(v.consent[2].date, "2024-10-01");

	/* Consent given again: new work is allowed and not marked. */
	consent_ok(c, a, "student", "individual");
	consent_ok(c, a, "guardian", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n3, &err), CV_OK);
	view_ok(c, a, &v);
	assert_int_equal(after_withdrawal(&v, n3), 0);
	assert_int_equal(after_withdrawal(&v, n1), 1);
	logout(c);
}

/* A note written moments before the withdrawal is marked too, and one
 * written moments after consent is given again is not: the order of
 * events decides, not a clock with one-second steps. */
static void test_withdrawal_marks_notes_of_the_same_second(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n1[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX];
	struct view v;
	cv_err err = {0};

	open_new(c, "S-15", "Wu Hao", a);
	consent_ok(c, a, "student", "individual");
	consent_ok(c, a, "guardian", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n1, &err), CV_OK);
	assert_int_equal(cv_consent_withdraw(c, a, NULL, NULL, NULL, &err), CV_OK);
	consent_ok(c, a, "student", "individual");
	consent_ok(c, a, "guardian", "individual");
	assert_int_equal(note_add(c, a, NULL, NULL, n2, &err), CV_OK);
	view_ok(c, a, &v);
	assert_int_equal(after_withdrawal(&v, n1), 1);
	assert_int_equal(after_withdrawal(&v, n2), 0);
	logout(c);
}

static void test_withdraw_one_scope(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	cv_case_input in = student("S-12", "Wu Hao");
	struct view v;
	cv_err err = {0};

	open_new(c, "S-11", "Wu Hao", a);
	consent_all(c, a);
	assert_int_equal(cv_consent_withdraw(c, a, NULL, "testing", NULL, &err), CV_OK);
	assert_int_equal(test_add(c, a, NULL, x, &err), CV_EDENIED);
	assert_msg_has(err, "psychological testing");
	assert_int_equal(note_add(c, a, NULL, NULL, x, &err), CV_OK);
	assert_int_equal(referral_add(c, a, NULL, x, &err), CV_OK);
	view_ok(c, a, &v);
	assert_string_equal(v.sconsent, "individual,group,guardian-contact,referral-disclosure");
	assert_string_equal(v.gconsent, "individual,group,guardian-contact,referral-disclosure");

	/* The guardian withdraws individual counseling: for a minor that stops
	 * notes, though the student still agrees. */
	assert_int_equal(cv_consent_withdraw(c, a, "guardian", "individual", NULL, &err), CV_OK);
	assert_int_equal(note_add(c, a, NULL, NULL, x, &err), CV_EDENIED);
	assert_msg_has(err, "has no current (withdrawn) consent from the guardian (the student is "
			    "a minor) for individual counseling");
	assert_code(err, CV_EDENIED, "consent.missing");
	view_ok(c, a, &v);
	assert_string_equal(v.sconsent, "individual,group,guardian-contact,referral-disclosure");
	assert_string_equal(v.gconsent, "group,guardian-contact,referral-disclosure");

	/* For an adult only the student's withdrawal counts. */
	in.born = "2001-06-01";
	open_ok(c, &in, b);
	consent_ok(c, b, "student", "individual");
	assert_int_equal(cv_consent_withdraw(c, b, "guardian", "individual", NULL, &err), CV_OK);
	assert_int_equal(note_add(c, b, NULL, NULL, x, &err), CV_OK);
	assert_int_equal(cv_consent_withdraw(c, b, "student", "individual", NULL, &err), CV_OK);
	assert_int_equal(note_add(c, b, NULL, NULL, x, &err), CV_EDENIED);
	logout(c);
}

static void test_bad_consent_input(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX];
	/* code: this module's reason code, or NULL for a date check's. */
	struct {
		cv_consent_input in;
		const char *msg, *code;
	} bad[] = {
	    {{"teacher", "written", "2024-09-02", "individual", NULL},
	     "--by must be student or guardian",
	     "consent.party-invalid"},
	    {{"both", "written", "2024-09-02", "individual", NULL},
	     "--by must be",
	     "consent.party-invalid"},
	    {{NULL, "written", "2024-09-02", "individual", NULL},
	     "--by must be",
	     "consent.party-invalid"},
	    {{"student", "email", "2024-09-02", "individual", NULL},
	     "--method must be written or oral",
	     "consent.method-invalid"},
	    {{"student", NULL, "2024-09-02", "individual", NULL},
	     "--method must be",
	     "consent.method-invalid"},
	    {{"student", "oral", "2024-13-01", "individual", NULL}, "is not a date", NULL},
	    {{"student", "oral", "2024-02-30", "individual", NULL}, "is not a date", NULL},
	    {{"student", "oral", "02/09/2024", "individual", NULL}, "is not a date", NULL},
	    {{"student", "oral", "2024-09-02", "individual,swimming", NULL},
	     "unknown consent scope 'swimming'; use individual, group, testing, guardian-contact "
	     "or referral-disclosure",
	     "consent.scope-unknown"},
	    {{"student", "oral", "2024-09-02", "Individual", NULL},
	     "unknown consent scope 'Individual'",
	     "consent.scope-unknown"},
	    {{"student", "oral", "2024-09-02", "individual,,group", NULL},
	     "unknown consent scope ''",
	     "consent.scope-unknown"},
	    {{"student", "oral", "2024-09-02", "", NULL},
	     "no consent scope given; use one or more of individual, group, testing, "
	     "guardian-contact or referral-disclosure",
	     "consent.scope-missing"},
	    {{"student", "oral", "2024-09-02", NULL, NULL},
	     "no consent scope given",
	     "consent.scope-missing"},
	};
	struct view v;
	cv_err err = {0};

	open_new(c, "S-13", "Wu Hao", a);
	/* Nothing to withdraw yet. */
	assert_int_equal(cv_consent_withdraw(c, a, NULL, NULL, NULL, &err), CV_EUSAGE);
	assert_msg_has(err, "no consent to withdraw");
	assert_code(err, CV_EUSAGE, "consent.nothing-to-withdraw");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cv_status st = cv_consent_record(c, a, &bad[i].in, &err);

		if (st != CV_EUSAGE)
			fail_msg("bad consent %zu: status %d (%s)", i, st, err.msg);
		assert_msg_has(err, bad[i].msg);
		if (bad[i].code)
			assert_code(err, CV_EUSAGE, bad[i].code);
	}
	/* No such user: status 6, as for any user not found. */
	{
		cv_consent_input nobody = {"student", "oral", "2024-09-02", "individual", "nobody"};

		assert_int_equal(cv_consent_record(c, a, &nobody, &err), CV_ENOTFOUND);
		assert_code(err, CV_ENOTFOUND, "consent.verifier-unknown");
		assert_msg_has(err, "--verified-by names no user 'nobody'; give the name of the "
				    "colleague who verified the consent");
	}
	/* Usage and not-found refusals log their code alone: nothing typed
	 * reaches the log. */
	assert_int_equal(
	    detail_rows(f->path, "consent.record", "failed", a, "consent.scope-unknown"), 3);
	assert_int_equal(
	    detail_rows(f->path, "consent.record", "failed", a, "consent.verifier-unknown"), 1);
	assert_int_equal(
	    detail_rows(f->path, "consent.withdraw", "failed", a, "consent.nothing-to-withdraw"),
	    1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE instr(detail, 'swimming')"
					" OR instr(detail, 'nobody') OR instr(detail, 'teacher')"),
			 0);
	assert_int_equal(records(f->path, a, "consent"), 0);
	assert_int_equal(case_rows(f->path, "carol", "consent.record", "ok", a), 0);

	/* A colleague may verify. */
	{
		cv_consent_input in = {"student", "oral", "2024-09-03", "individual,testing",
				       "dave"};

		assert_int_equal(cv_consent_record(c, a, &in, &err), CV_OK);
		view_ok(c, a, &v);
		assert_int_equal(v.nconsent, 1);
		assert_string_equal(v.consent[0].method, "oral");
		assert_string_equal(v.consent[0].verified_by, "dave");
		assert_string_equal(v.consent[0].recorded_by, "carol");
		assert_string_equal(v.consent[0].scopes, "individual,testing");
	}
	assert_int_equal(cv_consent_withdraw(c, a, "teacher", NULL, NULL, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "consent.party-invalid");
	assert_int_equal(cv_consent_withdraw(c, a, NULL, "swimming", NULL, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "consent.scope-unknown");
	assert_int_equal(cv_consent_withdraw(c, a, NULL, NULL, "2024-02-30", &err), CV_EUSAGE);
	assert_int_equal(records(f->path, a, "consent"), 1);
	logout(c);
}

/* The scope list in the refusals is fixed text: it must name every scope
 * the vocabulary knows, in its order. */
static void test_scope_choices_follow_the_vocabulary(void **state)
{
	char choices[256];
	unsigned bits = 0;
	cv_err err = {0};

	(void)state;
	cv_word_choices(&cv_scopes, choices, sizeof(choices));
	assert_true(strlen(choices) > 0);
	assert_int_equal(cv_scope_parse("", &bits, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "consent.scope-missing");
	assert_msg_has(err, choices);
	assert_int_equal(cv_scope_parse("testing,hiking", &bits, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "consent.scope-unknown");
	assert_string_equal(err.args[0], "hiking");
	assert_msg_has(err, choices);
	for (size_t i = 1; i < cv_scopes.n; i++) {
		assert_int_equal(cv_scope_parse(cv_scopes.words[i], &bits, &err), CV_OK);
		assert_int_equal(bits, 1u << (i - 1));
	}
}

static void test_consent_only_by_granted_counselor(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	const char *who[] = {"dave", "sam", "alice"}, *pw[] = {PW_DAVE, PW_SAM, PW_ALICE};
	cv_consent_input in = {"student", "written", "2024-09-02", "individual", NULL};
	char a[CV_CASE_ID_MAX];
	cv_err err = {0};

	open_new(c, "S-14", "Wu Hao", a);
	consent_ok(c, a, "student", "individual");
	logout(c);
	for (int i = 0; i < 3; i++) {
		cv_session *s = login_ok(f->v, who[i], pw[i]);

		assert_int_equal(cv_consent_record(s, a, &in, &err), CV_EDENIED);
		assert_int_equal(cv_consent_withdraw(s, a, NULL, NULL, NULL, &err), CV_EDENIED);
		assert_int_equal(case_rows(f->path, who[i], "consent.record", "denied", a), 1);
		assert_int_equal(case_rows(f->path, who[i], "consent.withdraw", "denied", a), 1);
		logout(s);
	}
	assert_int_equal(records(f->path, a, "consent"), 1);
}

/* Both parties in one command: two records and two rows, one
 * transaction; the date defaults to today and is refused in the future
 * or before the student's birth. */
static void test_consent_both_and_dates(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_case_input sin = student("S-30", "Wu Hao");
	char a[CV_CASE_ID_MAX], today[11], tomorrow[11];
	time_t t = time(NULL);
	struct tm tm;
	struct view v;
	cv_err err = {0};

	gmtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	t += 86400;
	gmtime_r(&t, &tm);
	strftime(tomorrow, sizeof(tomorrow), "%Y-%m-%d", &tm);
	sin.born = "2012-05-01";
	open_ok(c, &sin, a);
	{
		cv_consent_input fut = {"student,guardian", "written", tomorrow, "individual",
					NULL};
		cv_consent_input early = {"student", "written", "2012-04-30", "individual", NULL};

		assert_int_equal(cv_consent_record(c, a, &fut, &err), CV_EUSAGE);
		assert_code(err, CV_EUSAGE, "consent.date-future");
		assert_msg_has(err, "is in the future");
		assert_int_equal(cv_consent_record(c, a, &early, &err), CV_EUSAGE);
		assert_code(err, CV_EUSAGE, "consent.date-before-birth");
		assert_msg_has(err, "before the student was born (2012-05-01)");
	}
	assert_int_equal(records(f->path, a, "consent"), 0);
	assert_int_equal(detail_rows(f->path, "consent.record", "failed", a, "consent.date-future"),
			 1);
	assert_int_equal(
	    detail_rows(f->path, "consent.record", "failed", a, "consent.date-before-birth"), 1);
	{
		/* The day of birth itself, and today, are fine; no date is today. */
		cv_consent_input both = {"guardian,student", "oral", NULL, "individual,testing",
					 NULL};

		assert_int_equal(cv_consent_record(c, a, &both, &err), CV_OK);
	}
	assert_int_equal(records(f->path, a, "consent"), 2);
	assert_int_equal(
	    detail_rows(f->path, "consent.record", "ok", a, "by=student scope=individual,testing"),
	    1);
	assert_int_equal(
	    detail_rows(f->path, "consent.record", "ok", a, "by=guardian scope=individual,testing"),
	    1);
	/* One transaction: the guardian's row right after the student's, and
	 * then the checkpoint. */
	assert_int_equal(
	    q_int(f->path,
		  "SELECT count(*) FROM audit a JOIN audit b ON b.seq = a.seq + 1 "
		  "JOIN audit k ON k.seq = a.seq + 2 WHERE a.detail LIKE 'by=student%%' "
		  "AND b.detail LIKE 'by=guardian%%' AND k.action = 'checkpoint' AND "
		  "a.object = 'case:%s'",
		  a),
	    1);
	view_ok(c, a, &v);
	assert_int_equal(v.nconsent, 2);
	assert_string_equal(v.consent[0].by, "student");
	assert_string_equal(v.consent[1].by, "guardian");
	assert_string_equal(v.consent[0].date, today);
	{
		cv_consent_input born_day = {"student", "oral", "2012-05-01", "group", NULL};

		assert_int_equal(cv_consent_record(c, a, &born_day, &err), CV_OK);
	}
	/* A withdrawal dated ahead would leave consent in force until then,
	 * one dated before the birth is a typo: both refused, as the date it
	 * was given, and nothing is recorded. */
	assert_int_equal(cv_consent_withdraw(c, a, "student", NULL, tomorrow, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "consent.date-future");
	assert_int_equal(cv_consent_withdraw(c, a, NULL, NULL, "2012-04-30", &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "consent.date-before-birth");
	assert_int_equal(records(f->path, a, "consent"), 3);
	assert_int_equal(
	    detail_rows(f->path, "consent.withdraw", "failed", a, "consent.date-future"), 1);
	assert_int_equal(
	    detail_rows(f->path, "consent.withdraw", "failed", a, "consent.date-before-birth"), 1);
	/* A withdrawal by both, named as a list. */
	assert_int_equal(cv_consent_withdraw(c, a, "student,guardian", NULL, NULL, &err), CV_OK);
	assert_int_equal(records(f->path, a, "consent"), 4);
	logout(c);
}

/* ---- R2: the crisis exception --------------------------------------------------------------- */

#define JUSTIFICATION "crisis: she spoke of the quarry ledge tonight"

static void test_crisis_needs_justification(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX] = "junk";
	cv_err err = {0}, first = {0}, ctl = {0};

	open_new(c, "S-20", "Wu Hao", a);
	assert_int_equal(note_add(c, a, NULL, "", x, &first), CV_EUSAGE);
	assert_msg_has(first, "--crisis needs a justification");
	assert_code(first, CV_EUSAGE, "crisis.justification");
	assert_string_equal(x, "");
	assert_int_equal(test_add(c, a, "", x, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "crisis.justification");
	assert_int_equal(referral_add(c, a, "", x, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "crisis.justification");
	assert_int_equal(note_add(c, a, NULL, "risk\nof harm", x, &ctl), CV_EUSAGE);
	assert_code(ctl, CV_EUSAGE, "crisis.justification");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE case_id = '%s'", a), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'crisis'"), 0);
	logout(c);
	/* The message says what is wrong with the justification. */
	assert_string_equal(first.msg, "--crisis needs a justification: say what risk of harm "
				       "makes acting without consent necessary (the justification "
				       "is empty; give a value)");
	assert_msg_has(ctl, "control character");
}

static void test_crisis_blank_justification_refused(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	cv_err err = {0};

	open_new(c, "S-21", "Wu Hao", a);
	/* Spaces are no justification. */
	assert_int_equal(note_add(c, a, NULL, "   ", x, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "crisis.justification");
	assert_string_equal(err.msg, "--crisis needs a justification of at least 8 characters, not "
				     "counting spaces (it has 0): say what risk of harm makes "
				     "acting without consent necessary");
	assert_int_equal(records(f->path, a, "note"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'crisis'"), 0);
	logout(c);
}

/* The justification is measured in characters (code points, not bytes,
 * not words) other than blanks: a Chinese sentence counts, and four
 * spaced letters, or three Chinese characters (nine bytes), do not. */
static void test_crisis_counts_characters(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	cv_err err = {0};

	open_new(c, "S-22", "Wu Hao", a);
	assert_int_equal(note_add(c, a, NULL, "a b c d", x, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "crisis.justification");
	assert_msg_has(err, "(it has 4)");
	assert_int_equal(note_add(c, a, NULL, "\u6709\u98ce\u9669", x, &err), CV_EUSAGE);
	assert_msg_has(err, "(it has 3)");
	/* Seven characters and ideographic spaces: still one short. */
	assert_int_equal(
	    note_add(c, a, NULL, "\u5b66\u751f\u3000\u8bf4\u4eca\u665a\u3000\u60f3\u8df3", x, &err),
	    CV_EUSAGE);
	assert_msg_has(err, "(it has 7)");
	assert_int_equal(records(f->path, a, "note"), 0);
	/* Eight Chinese characters: accepted, the crisis recorded. */
	assert_int_equal(
	    note_add(c, a, NULL, "\u5b66\u751f\u8bf4\u4eca\u665a\u60f3\u8df3\u697c", x, &err),
	    CV_OK);
	assert_int_equal(records(f->path, a, "note"), 1);
	assert_int_equal(records(f->path, a, "crisis"), 1);
	/* Eight Latin letters with spaces between words: accepted too. */
	assert_int_equal(note_add(c, a, NULL, "risk to life", x, &err), CV_OK);
	logout(c);
}

static void test_crisis_lets_work_through(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], t[CV_CASE_ID_MAX], r[CV_CASE_ID_MAX];
	struct view v;
	cv_err err = {0};

	open_new(c, "S-22", "Wu Hao", a);
	assert_int_equal(note_add(c, a, NULL, JUSTIFICATION, n, &err), CV_OK);
	assert_int_equal(test_add(c, a, JUSTIFICATION, t, &err), CV_OK);
	assert_int_equal(referral_add(c, a, JUSTIFICATION, r, &err), CV_OK);
	assert_note_text(c, n, "what was said today");

	/* Three break-glass rows, flagged for review, without the justification. */
	assert_int_equal(case_rows(f->path, "carol", "crisis", "ok", a), 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'crisis' AND"
					" detail LIKE 'record=X-%%' AND"
					" detail LIKE '%% action=%% scope=%%'"),
			 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'crisis' AND"
					" detail LIKE '%% action=note.add scope=individual'"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'crisis' AND"
					" detail LIKE '%% action=test.add scope=testing'"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'crisis' AND"
					" detail LIKE '%% action=referral.add"
					" scope=referral-disclosure'"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE instr(detail, 'quarry')"
					" OR instr(object, 'quarry') OR instr(action, 'quarry')"),
			 0);
	/* Each comes just before the row of the work it allowed. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit x JOIN audit y ON"
					" y.seq = x.seq + 1 WHERE x.action = 'crisis' AND"
					" y.action IN ('note.add', 'test.add', 'referral.add') AND"
					" y.outcome = 'ok'"),
			 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'referral.add'"
					" AND detail = 'basis=crisis'"),
			 1);
	/* The justification is kept, encrypted, with the case. */
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM records WHERE case_id = '%s' AND"
			       " type = 'crisis' AND status = 'unreviewed'",
			       a),
			 3);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE"
					" instr(CAST(box AS TEXT), 'quarry')"),
			 0);
	view_ok(c, a, &v);
	assert_int_equal(v.ntests, 1);
	assert_int_equal(v.test[0].crisis, 1);
	assert_int_equal(v.nrefs, 1);
	assert_int_equal(v.ref[0].crisis, 1);
	logout(c);
}

static void test_crisis_not_flagged_with_consent(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], t[CV_CASE_ID_MAX];
	struct view v;
	cv_err err = {0};

	open_new(c, "S-23", "Wu Hao", a);
	consent_all(c, a);
	assert_int_equal(note_add(c, a, NULL, JUSTIFICATION, n, &err), CV_OK);
	assert_int_equal(test_add(c, a, JUSTIFICATION, t, &err), CV_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'crisis'"), 0);
	assert_int_equal(records(f->path, a, "crisis"), 0);
	view_ok(c, a, &v);
	assert_int_equal(v.test[0].crisis, 0);
	logout(c);
}

static void test_crisis_does_not_bypass_grant_or_role(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	const char *who[] = {"dave", "sam", "alice"}, *pw[] = {PW_DAVE, PW_SAM, PW_ALICE};
	char a[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	cv_err err = {0};

	open_new(c, "S-24", "Wu Hao", a);
	logout(c);
	for (int i = 0; i < 3; i++) {
		cv_session *s = login_ok(f->v, who[i], pw[i]);

		assert_int_equal(note_add(s, a, NULL, JUSTIFICATION, x, &err), CV_EDENIED);
		assert_int_equal(test_add(s, a, JUSTIFICATION, x, &err), CV_EDENIED);
		assert_int_equal(case_rows(f->path, who[i], "note.add", "denied", a), 1);
		assert_int_equal(case_rows(f->path, who[i], "test.add", "denied", a), 1);
		logout(s);
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE case_id = '%s'", a), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'crisis'"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_note_without_consent_denied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_minor_without_birth_date_needs_guardian, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_minor_by_birth_date_needs_guardian, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_adult_needs_only_student, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_testing_needs_testing_consent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_referral_needs_disclosure_consent, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_withdrawal_stops_new_work, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_withdrawal_marks_notes_of_the_same_second, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_withdraw_one_scope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_consent_input, setup, teardown),
	    cmocka_unit_test(test_scope_choices_follow_the_vocabulary),
	    cmocka_unit_test_setup_teardown(test_consent_only_by_granted_counselor, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_consent_both_and_dates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crisis_needs_justification, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crisis_blank_justification_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_crisis_counts_characters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crisis_lets_work_through, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crisis_not_flagged_with_consent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crisis_does_not_bypass_grant_or_role, setup,
					    teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

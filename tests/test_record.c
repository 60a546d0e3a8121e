/*
 * test_record.c - the other records on a case through the public API:
 * psychological test results (R5: testing consent, hidden from case show
 * unless asked for), referrals and their follow-ups (R6: due dates, overdue
 * as of a date, declined and completed clear the due date), the key-student
 * register (R8: tags kept encrypted, follow-ups, due lists), bad input
 * refused with CV_EUSAGE, and refusals for anyone not on the case.
 */
#define FIXTURE_TAG "record"
#include "case_fixture.h"
#include "text.h"

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

static int64_t records(const char *path, const char *type)
{
	return q_int(path, "SELECT count(*) FROM records WHERE type = '%s'", type);
}

/* ---- what the visitors deliver --------------------------------------------------------------- */

struct seen {
	int ntests;
	struct {
		char id[CV_CASE_ID_MAX], scale[32], score[16], notes[64], author[CV_NAME_MAX + 1];
		int crisis;
	} test[4];
	int nrefs;
	struct {
		char id[CV_CASE_ID_MAX], case_id[CV_CASE_ID_MAX], date[16], to[64], reason[32];
		char urgency[16], disclosed[64], status[16], due[16];
		int overdue, crisis;
	} ref[4];
	int nfollow;
	struct {
		char referral_id[CV_CASE_ID_MAX], date[16], status[16], note[64];
		char author[CV_NAME_MAX + 1];
	} follow[4];
	int nwatch;
	struct {
		char case_id[CV_CASE_ID_MAX], name[64], tag[32], due[16], last_done[16];
		unsigned every;
		int overdue;
	} watch[4];
};

static int on_test(const cv_test_info *t, void *arg)
{
	struct seen *w = arg;

	if (w->ntests < 4) {
		snprintf(w->test[w->ntests].id, CV_CASE_ID_MAX, "%s", t->id);
		snprintf(w->test[w->ntests].scale, 32, "%s", t->scale);
		snprintf(w->test[w->ntests].score, 16, "%s", t->score);
		snprintf(w->test[w->ntests].notes, 64, "%s", t->notes);
		snprintf(w->test[w->ntests].author, CV_NAME_MAX + 1, "%s", t->author);
		w->test[w->ntests].crisis = t->crisis;
	}
	w->ntests++;
	return 0;
}

static int on_ref(const cv_referral_info *r, void *arg)
{
	struct seen *w = arg;

	if (w->nrefs < 4) {
		snprintf(w->ref[w->nrefs].id, CV_CASE_ID_MAX, "%s", r->id);
		snprintf(w->ref[w->nrefs].case_id, CV_CASE_ID_MAX, "%s", r->case_id);
		snprintf(w->ref[w->nrefs].date, 16, "%s", r->date);
		snprintf(w->ref[w->nrefs].to, 64, "%s", r->to);
		snprintf(w->ref[w->nrefs].reason, 32, "%s", r->reason);
		snprintf(w->ref[w->nrefs].urgency, 16, "%s", r->urgency);
		snprintf(w->ref[w->nrefs].disclosed, 64, "%s", r->disclosed);
		snprintf(w->ref[w->nrefs].status, 16, "%s", r->status);
		snprintf(w->ref[w->nrefs].due, 16, "%s", r->due);
		w->ref[w->nrefs].overdue = r->overdue;
		w->ref[w->nrefs].crisis = r->crisis;
	}
	w->nrefs++;
	return 0;
}

static int on_follow(const cv_followup_info *fu, void *arg)
{
	struct seen *w = arg;

	if (w->nfollow < 4) {
		snprintf(w->follow[w->nfollow].referral_id, CV_CASE_ID_MAX, "%s", fu->referral_id);
		snprintf(w->follow[w->nfollow].date, 16, "%s", fu->date);
		snprintf(w->follow[w->nfollow].status, 16, "%s", fu->status);
		snprintf(w->follow[w->nfollow].note, 64, "%s", fu->note);
		snprintf(w->follow[w->nfollow].author, CV_NAME_MAX + 1, "%s", fu->author);
	}
	w->nfollow++;
	return 0;
}

static int on_watch(const cv_watch_info *x, void *arg)
{
	struct seen *w = arg;

	if (w->nwatch < 4) {
		snprintf(w->watch[w->nwatch].case_id, CV_CASE_ID_MAX, "%s", x->case_id);
		snprintf(w->watch[w->nwatch].name, 64, "%s", x->name);
		snprintf(w->watch[w->nwatch].tag, 32, "%s", x->tag);
		snprintf(w->watch[w->nwatch].due, 16, "%s", x->due);
		snprintf(w->watch[w->nwatch].last_done, 16, "%s", x->last_done);
		w->watch[w->nwatch].every = x->every_days;
		w->watch[w->nwatch].overdue = x->overdue;
	}
	w->nwatch++;
	return 0;
}

static cv_status show_case(cv_session *s, const char *id, int include_tests, struct seen *w,
			   cv_err *err)
{
	cv_case_visitor vis = {NULL, NULL, NULL, on_test, on_ref, on_follow, on_watch};

	memset(w, 0, sizeof(*w));
	return cv_case_show(s, id, include_tests, NULL, &vis, w, err);
}

static cv_status ref_list(cv_session *s, int overdue_only, const char *as_of, struct seen *w,
			  cv_err *err)
{
	memset(w, 0, sizeof(*w));
	return cv_referral_list(s, overdue_only, as_of, on_ref, w, err);
}

static cv_status watch_list(cv_session *s, int due_only, const char *as_of, struct seen *w,
			    cv_err *err)
{
	memset(w, 0, sizeof(*w));
	return cv_watch_list(s, due_only, as_of, on_watch, w, err);
}

static void ref_ok(cv_session *s, const char *case_id, const char *date, char id[CV_CASE_ID_MAX])
{
	cv_referral_input in = {
	    "City Youth Clinic", "mental-health", "emotion", "urgent", "sleep problems", date};
	cv_err err = {0};

	if (cv_referral_add(s, case_id, &in, NULL, id, &err) != CV_OK)
		fail_msg("referral add failed: %s", err.msg);
	assert_id_shape(id, 'R', 6);
}

/* ---- test results (R5) ------------------------------------------------------------------------
 */

static void test_test_add_needs_testing_consent(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	const char *who[] = {"dave", "sam", "alice"}, *pw[] = {PW_DAVE, PW_SAM, PW_ALICE};
	char a[CV_CASE_ID_MAX], t[CV_CASE_ID_MAX] = "junk", object[32], longscore[80];
	char longnotes[2100];
	cv_err err = {0};

	memset(longscore, '9', sizeof(longscore) - 1);
	longscore[sizeof(longscore) - 1] = '\0';
	memset(longnotes, 'n', sizeof(longnotes) - 1);
	longnotes[sizeof(longnotes) - 1] = '\0';
	open_new(c, "S-1", "Lin Xue", a);
	consent_ok(c, a, "student", "individual,group,guardian-contact,referral-disclosure");
	consent_ok(c, a, "guardian", "individual,group,guardian-contact,referral-disclosure");
	assert_int_equal(cv_test_add(c, a, "PHQ-9", "14", NULL, NULL, t, &err), CV_EDENIED);
	assert_msg_has(err, "psychological testing");
	assert_msg_has(err, "--scope testing");
	assert_string_equal(t, "");
	assert_int_equal(case_rows(f->path, "carol", "test.add", "denied", a), 1);
	assert_int_equal(records(f->path, "test"), 0);

	consent_ok(c, a, "student", "testing");
	consent_ok(c, a, "guardian", "testing");
	/* Bad fields change nothing. */
	assert_int_equal(cv_test_add(c, a, "", "14", NULL, NULL, t, &err), CV_EUSAGE);
	assert_string_equal(err.code, "field.empty");
	assert_msg_has(err, "scale is empty");
	assert_int_equal(cv_test_add(c, a, "PHQ\t9", "14", NULL, NULL, t, &err), CV_EUSAGE);
	assert_string_equal(err.code, "field.control");
	assert_msg_has(err, "control character");
	assert_int_equal(cv_test_add(c, a, "PHQ-9", "", NULL, NULL, t, &err), CV_EUSAGE);
	assert_int_equal(cv_test_add(c, a, "PHQ-9", NULL, NULL, NULL, t, &err), CV_EUSAGE);
	assert_int_equal(cv_test_add(c, a, "PHQ-9", longscore, NULL, NULL, t, &err), CV_EUSAGE);
	assert_string_equal(err.code, "field.too-long");
	assert_int_equal(cv_test_add(c, a, "PHQ-9", "14", longnotes, NULL, t, &err), CV_EUSAGE);
	assert_int_equal(cv_test_add(c, a, "PHQ-9", "14", "bad\xff", NULL, t, &err), CV_EUSAGE);
	assert_string_equal(err.code, "field.utf8");
	assert_int_equal(records(f->path, "test"), 0);

	assert_int_equal(cv_test_add(c, a, "PHQ-9", "14", "moderate", NULL, t, &err), CV_OK);
	assert_id_shape(t, 'T', 6);
	snprintf(object, sizeof(object), "test:%s", t);
	assert_int_equal(audit_rows(f->path, "carol", "test.add", "ok", object), 1);
	assert_int_equal(records(f->path, "test"), 1);
	logout(c);

	/* Nobody else adds results to carol's case. */
	for (int i = 0; i < 3; i++) {
		cv_session *s = login_ok(f->v, who[i], pw[i]);

		assert_int_equal(cv_test_add(s, a, "PHQ-9", "1", NULL, NULL, t, &err), CV_EDENIED);
		assert_int_equal(case_rows(f->path, who[i], "test.add", "denied", a), 1);
		logout(s);
	}
	assert_int_equal(records(f->path, "test"), 1);
}

static void test_tests_hidden_unless_asked(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], t[CV_CASE_ID_MAX];
	struct seen w;
	cv_err err = {0};

	open_new(c, "S-2", "Lin Xue", a);
	consent_all(c, a);
	assert_int_equal(cv_test_add(c, a, "SCL-90", "2.35", "somatization high", NULL, t, &err),
			 CV_OK);
	assert_int_equal(show_case(c, a, 0, &w, &err), CV_OK);
	assert_int_equal(w.ntests, 0);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'case.show'"
			       " AND object = 'case:%s' AND detail = ''",
			       a),
			 1);
	assert_int_equal(show_case(c, a, 1, &w, &err), CV_OK);
	assert_int_equal(w.ntests, 1);
	assert_string_equal(w.test[0].id, t);
	assert_string_equal(w.test[0].scale, "SCL-90");
	assert_string_equal(w.test[0].score, "2.35");
	assert_string_equal(w.test[0].notes, "somatization high");
	assert_string_equal(w.test[0].author, "carol");
	assert_int_equal(w.test[0].crisis, 0);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'case.show'"
			       " AND object = 'case:%s' AND detail = 'tests=1'",
			       a),
			 1);
	/* Nothing of the result is in clear columns. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE type = 'test' AND"
					" (instr(kind || status || parent || due, 'SCL') OR"
					" instr(CAST(box AS TEXT), 'SCL'))"),
			 0);
	logout(c);
}

/* ---- referrals (R6) ---------------------------------------------------------------------------
 */

static void test_referral_add_update_list(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], r[CV_CASE_ID_MAX], r2[CV_CASE_ID_MAX], r3[CV_CASE_ID_MAX];
	char today[11], due[11], object[32];
	struct seen w;
	cv_err err = {0};

	open_new(c, "S-3", "Lin Xue", a);
	consent_all(c, a);
	ref_ok(c, a, "2024-03-01", r);
	snprintf(object, sizeof(object), "referral:%s", r);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'referral.add' AND object = '%s' AND"
			       " outcome = 'ok' AND detail = ''",
			       object),
			 1);

	/* Due fourteen days after the referral; overdue the day after. */
	assert_int_equal(ref_list(c, 0, "2024-03-15", &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 1);
	assert_string_equal(w.ref[0].id, r);
	assert_string_equal(w.ref[0].case_id, a);
	assert_string_equal(w.ref[0].date, "2024-03-01");
	assert_string_equal(w.ref[0].to, "City Youth Clinic");
	assert_string_equal(w.ref[0].reason, "emotion");
	assert_string_equal(w.ref[0].urgency, "urgent");
	assert_string_equal(w.ref[0].disclosed, "sleep problems");
	assert_string_equal(w.ref[0].status, "referred");
	assert_string_equal(w.ref[0].due, "2024-03-15");
	assert_int_equal(w.ref[0].overdue, 0);
	assert_int_equal(w.ref[0].crisis, 0);
	assert_int_equal(ref_list(c, 0, "2024-03-16", &w, &err), CV_OK);
	assert_int_equal(w.ref[0].overdue, 1);
	assert_int_equal(ref_list(c, 1, "2024-03-15", &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 0);
	assert_int_equal(ref_list(c, 1, "2024-03-16", &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 1);

	/* A follow-up moves the due date. */
	assert_int_equal(
	    cv_referral_update(c, r, "contacted", "2024-03-10", "called the clinic", &err), CV_OK);
	assert_int_equal(audit_rows(f->path, "carol", "referral.update", "ok", object), 1);
	assert_int_equal(ref_list(c, 0, "2024-03-20", &w, &err), CV_OK);
	assert_string_equal(w.ref[0].status, "contacted");
	assert_string_equal(w.ref[0].due, "2024-03-24");
	assert_int_equal(w.ref[0].overdue, 0);
	assert_int_equal(ref_list(c, 1, "2024-03-25", &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 1);
	assert_int_equal(w.ref[0].overdue, 1);
	assert_int_equal(cv_referral_update(c, r, "accepted", "2024-03-20", NULL, &err), CV_OK);
	assert_int_equal(ref_list(c, 0, "2024-03-20", &w, &err), CV_OK);
	assert_string_equal(w.ref[0].due, "2024-04-03");

	/* Completed: no due date, never overdue. */
	assert_int_equal(
	    cv_referral_update(c, r, "completed", "2024-04-01", "closed by clinic", &err), CV_OK);
	assert_int_equal(ref_list(c, 0, "2030-01-01", &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 1);
	assert_string_equal(w.ref[0].status, "completed");
	assert_string_equal(w.ref[0].due, "");
	assert_int_equal(w.ref[0].overdue, 0);
	assert_int_equal(ref_list(c, 1, "2030-01-01", &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 0);

	/* The follow-ups are on the case. */
	assert_int_equal(show_case(c, a, 0, &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 1);
	assert_int_equal(w.nfollow, 3);
	assert_string_equal(w.follow[0].referral_id, r);
	assert_string_equal(w.follow[0].date, "2024-03-10");
	assert_string_equal(w.follow[0].status, "contacted");
	assert_string_equal(w.follow[0].note, "called the clinic");
	assert_string_equal(w.follow[0].author, "carol");
	assert_string_equal(w.follow[2].status, "completed");

	/* Declined clears the due date too; no date means today. */
	ref_ok(c, a, NULL, r2);
	day_from_today(0, today);
	day_from_today(14, due);
	ref_ok(c, a, "2024-05-01", r3);
	assert_int_equal(cv_referral_update(c, r3, "declined", "2024-05-02", NULL, &err), CV_OK);
	assert_int_equal(ref_list(c, 0, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 3);
	for (int i = 0; i < 3; i++) {
		if (strcmp(w.ref[i].id, r2) == 0) {
			assert_string_equal(w.ref[i].date, today);
			assert_string_equal(w.ref[i].due, due);
			assert_int_equal(w.ref[i].overdue, 0);
		} else if (strcmp(w.ref[i].id, r3) == 0) {
			assert_string_equal(w.ref[i].status, "declined");
			assert_string_equal(w.ref[i].due, "");
			assert_int_equal(w.ref[i].overdue, 0);
		}
	}
	assert_int_equal(ref_list(c, 1, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 0);
	logout(c);
}

static void test_referral_bad_input(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	struct {
		cv_referral_input in;
		const char *code;
		const char *msg;
	} bad[] = {
	    {{"Clinic", "zoo", "emotion", "routine", "x", NULL},
	     "referral.to-type",
	     "unknown kind of institution 'zoo'"},
	    {{"Clinic", NULL, "emotion", "routine", "x", NULL},
	     "referral.to-type",
	     "kind of institution"},
	    {{"Clinic", "hospital", "money", "routine", "x", NULL},
	     "referral.reason",
	     "unknown reason 'money'"},
	    {{"Clinic", "hospital", NULL, "routine", "x", NULL},
	     "referral.reason",
	     "unknown reason"},
	    {{"Clinic", "hospital", "emotion", "asap", "x", NULL},
	     "referral.urgency",
	     "--urgency must be"},
	    {{"Clinic", "hospital", "emotion", NULL, "x", NULL},
	     "referral.urgency",
	     "--urgency must be"},
	    {{"Clinic", "hospital", "emotion", "routine", "x", "2024-02-30"},
	     "date.invalid",
	     "is not a date"},
	    {{"", "hospital", "emotion", "routine", "x", NULL},
	     "field.empty",
	     "institution is empty"},
	    {{"Clinic\n", "hospital", "emotion", "routine", "x", NULL},
	     "field.control",
	     "control character"},
	    {{"Clinic", "hospital", "emotion", "routine", "", NULL},
	     "field.empty",
	     "disclosed is empty"},
	    {{"Clinic", "hospital", "emotion", "routine", "\xc3\x28", NULL},
	     "field.utf8",
	     "not valid UTF-8"},
	};
	char a[CV_CASE_ID_MAX], r[CV_CASE_ID_MAX], n[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX];
	struct seen w;
	cv_err err = {0};

	open_new(c, "S-4", "Lin Xue", a);
	consent_all(c, a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cv_status st = cv_referral_add(c, a, &bad[i].in, NULL, x, &err);

		if (st != CV_EUSAGE)
			fail_msg("bad referral %zu: status %d (%s)", i, st, err.msg);
		assert_string_equal(err.code, bad[i].code);
		assert_msg_has(err, bad[i].msg);
	}
	assert_int_equal(records(f->path, "referral"), 0);

	ref_ok(c, a, "2024-03-01", r);
	assert_int_equal(cv_referral_update(c, r, "lost", NULL, NULL, &err), CV_EUSAGE);
	assert_string_equal(err.code, "referral.status");
	assert_msg_has(err, "--status must be");
	assert_int_equal(cv_referral_update(c, r, "referred", NULL, NULL, &err), CV_EUSAGE);
	assert_int_equal(cv_referral_update(c, r, NULL, NULL, NULL, &err), CV_EUSAGE);
	assert_int_equal(cv_referral_update(c, r, "contacted", "2024-3-10", NULL, &err), CV_EUSAGE);
	assert_string_equal(err.code, "date.invalid");
	assert_int_equal(cv_referral_update(c, r, "contacted", NULL,
					    "a\x01"
					    "b",
					    &err),
			 CV_EUSAGE);
	assert_int_equal(cv_referral_update(c, "R-000000", "contacted", NULL, NULL, &err),
			 CV_ENOTFOUND);
	note_ok(c, a, NULL, "a note", n);
	assert_int_equal(cv_referral_update(c, n, "contacted", NULL, NULL, &err), CV_ENOTFOUND);
	assert_int_equal(records(f->path, "followup"), 0);
	assert_int_equal(ref_list(c, 0, "2024-03-02", &w, &err), CV_OK);
	assert_string_equal(w.ref[0].status, "referred");
	assert_string_equal(w.ref[0].due, "2024-03-15");
	assert_int_equal(ref_list(c, 0, "2024-13-01", &w, &err), CV_EUSAGE);
	logout(c);
}

static void test_referrals_only_on_own_cases(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *d = login_ok(f->v, "dave", PW_DAVE);
	const char *who[] = {"sam", "alice"}, *pw[] = {PW_SAM, PW_ALICE};
	char a[CV_CASE_ID_MAX], r[CV_CASE_ID_MAX];
	struct seen w;
	cv_err err = {0};

	open_new(c, "S-5", "Lin Xue", a);
	consent_all(c, a);
	ref_ok(c, a, "2024-03-01", r);
	assert_int_equal(ref_list(d, 0, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 0);
	assert_int_equal(cv_referral_update(d, r, "contacted", NULL, NULL, &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "dave", "referral.update", "denied", a), 1);
	assert_int_equal(records(f->path, "followup"), 0);
	for (int i = 0; i < 2; i++) {
		cv_session *s = login_ok(f->v, who[i], pw[i]);

		assert_int_equal(ref_list(s, 0, NULL, &w, &err), CV_EDENIED);
		assert_int_equal(w.nrefs, 0);
		assert_int_equal(audit_rows(f->path, who[i], "referral.list", "denied", "referral"),
				 1);
		assert_int_equal(cv_referral_update(s, r, "contacted", NULL, NULL, &err),
				 CV_EDENIED);
		logout(s);
	}
	assert_int_equal(cv_case_share(c, a, "dave", &err), CV_OK);
	assert_int_equal(ref_list(d, 0, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nrefs, 1);
	assert_int_equal(cv_referral_update(d, r, "contacted", NULL, NULL, &err), CV_OK);
	logout(c);
	logout(d);
}

/* ---- key-student register (R8) -----------------------------------------------------------------
 */

static void test_watch_register(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], today[11], d14[11], d15[11];
	struct seen w;
	cv_err err = {0};

	day_from_today(0, today);
	day_from_today(14, d14);
	day_from_today(15, d15);
	/* The register needs no consent scope: it is the school's duty. */
	open_new(c, "S-6", "Lin Xue", a);
	open_new(c, "S-7", "Zhou Bo", b);
	assert_int_equal(cv_watch_add(c, a, "left-behind", 14, &err), CV_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
					" action = 'watch.add' AND object LIKE 'watch:W-%%' AND"
					" outcome = 'ok' AND detail = 'every=14'"),
			 1);
	assert_int_equal(watch_list(c, 0, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 1);
	assert_string_equal(w.watch[0].case_id, a);
	assert_string_equal(w.watch[0].name, "Lin Xue");
	assert_string_equal(w.watch[0].tag, "left-behind");
	assert_int_equal(w.watch[0].every, 14);
	assert_string_equal(w.watch[0].due, d14);
	assert_string_equal(w.watch[0].last_done, "");
	assert_int_equal(w.watch[0].overdue, 0);
	assert_int_equal(watch_list(c, 1, today, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 0);
	assert_int_equal(watch_list(c, 1, d14, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 0);
	assert_int_equal(watch_list(c, 1, d15, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 1);
	assert_int_equal(w.watch[0].overdue, 1);

	/* The tag is content: only in the ciphertext. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM records WHERE type = 'watch' AND"
					" (instr(kind || status || parent || due, 'left') OR"
					" instr(CAST(box AS TEXT), 'left'))"),
			 0);

	/* Following up today: next due in 14 days. */
	assert_int_equal(cv_watch_done(c, a, NULL, &err), CV_OK);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'watch.done' AND"
			       " object = 'case:%s' AND detail = 'entries=1'",
			       a),
			 1);
	assert_int_equal(watch_list(c, 0, NULL, &w, &err), CV_OK);
	assert_string_equal(w.watch[0].last_done, today);
	assert_string_equal(w.watch[0].due, d14);
	/* A follow-up dated long ago leaves it overdue now. */
	assert_int_equal(cv_watch_done(c, a, "2024-01-10", &err), CV_OK);
	assert_int_equal(watch_list(c, 1, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 1);
	assert_string_equal(w.watch[0].last_done, "2024-01-10");
	assert_string_equal(w.watch[0].due, "2024-01-24");
	assert_int_equal(w.watch[0].overdue, 1);

	/* Two entries on one case are both followed up. */
	assert_int_equal(cv_watch_add(c, b, "single-parent", 30, &err), CV_OK);
	assert_int_equal(cv_watch_add(c, b, "family-change", 7, &err), CV_OK);
	assert_int_equal(cv_watch_done(c, b, "2024-02-01", &err), CV_OK);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'watch.done' AND"
			       " object = 'case:%s' AND detail = 'entries=2'",
			       b),
			 1);
	assert_int_equal(show_case(c, b, 0, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 2);
	assert_string_equal(w.watch[0].name, "Zhou Bo");
	assert_string_equal(w.watch[0].last_done, "2024-02-01");
	assert_string_equal(w.watch[1].last_done, "2024-02-01");
	/* Each entry is next due its own interval after the follow-up (the
	 * order in which the two are shown is not part of the contract). */
	{
		int sp = strcmp(w.watch[0].tag, "single-parent") == 0 ? 0 : 1;

		assert_string_equal(w.watch[sp].tag, "single-parent");
		assert_string_equal(w.watch[sp].due, "2024-03-02");
		assert_string_equal(w.watch[1 - sp].tag, "family-change");
		assert_string_equal(w.watch[1 - sp].due, "2024-02-08");
	}
	assert_int_equal(watch_list(c, 0, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 3);
	logout(c);
}

static void test_watch_bad_input_and_others(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *d = login_ok(f->v, "dave", PW_DAVE);
	const char *who[] = {"sam", "alice"}, *pw[] = {PW_SAM, PW_ALICE};
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX];
	struct seen w;
	cv_err err = {0};

	open_new(c, "S-8", "Lin Xue", a);
	open_new(c, "S-9", "Zhou Bo", b);
	assert_int_equal(cv_watch_add(c, a, "orphan", 14, &err), CV_EUSAGE);
	assert_string_equal(err.code, "watch.tag");
	assert_msg_has(err, "unknown tag 'orphan'");
	assert_int_equal(cv_watch_add(c, a, "Left-Behind", 14, &err), CV_EUSAGE);
	assert_int_equal(cv_watch_add(c, a, NULL, 14, &err), CV_EUSAGE);
	assert_int_equal(cv_watch_add(c, a, "other", 0, &err), CV_EUSAGE);
	assert_string_equal(err.code, "watch.interval");
	assert_msg_has(err, "1 to 366 days");
	assert_int_equal(cv_watch_add(c, a, "other", 367, &err), CV_EUSAGE);
	assert_int_equal(records(f->path, "watch"), 0);
	assert_int_equal(cv_watch_add(c, a, "other", 366, &err), CV_OK);
	assert_int_equal(cv_watch_add(c, a, "left-behind", 1, &err), CV_OK);

	assert_int_equal(cv_watch_done(c, a, "2024-02-30", &err), CV_EUSAGE);
	assert_int_equal(cv_watch_done(c, b, NULL, &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "watch.not-found");
	assert_msg_has(err, "not on the key-student register");
	/* Logged with its code alone. */
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'watch.done' AND object = 'case:%s' AND"
			       " outcome = 'failed' AND detail = 'watch.not-found'",
			       b),
			 1);
	assert_int_equal(watch_list(c, 0, "tomorrow", &w, &err), CV_EUSAGE);

	/* Another counselor neither adds to nor sees carol's register. */
	assert_int_equal(cv_watch_add(d, a, "other", 14, &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "dave", "watch.add", "denied", a), 1);
	assert_int_equal(cv_watch_done(d, a, NULL, &err), CV_EDENIED);
	assert_int_equal(case_rows(f->path, "dave", "watch.done", "denied", a), 1);
	assert_int_equal(watch_list(d, 0, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 0);
	for (int i = 0; i < 2; i++) {
		cv_session *s = login_ok(f->v, who[i], pw[i]);

		assert_int_equal(watch_list(s, 0, NULL, &w, &err), CV_EDENIED);
		assert_int_equal(w.nwatch, 0);
		assert_int_equal(audit_rows(f->path, who[i], "watch.list", "denied", "watch"), 1);
		assert_int_equal(cv_watch_add(s, a, "other", 14, &err), CV_EDENIED);
		assert_int_equal(case_rows(f->path, who[i], "watch.add", "denied", a), 1);
		logout(s);
	}
	assert_int_equal(records(f->path, "watch"), 2);
	logout(c);
	logout(d);
}

/* ---- cross-case lists: each record once, each case read once ------------------------------- */

#define LISTED_MAX 16

/* The ids a cross-case list gave, in order (referrals' ids, or the
 * register entries' cases). */
struct listed {
	int n;
	char id[LISTED_MAX][CV_CASE_ID_MAX];
};

static void listed_add(struct listed *l, const char *id)
{
	if (l->n < LISTED_MAX)
		snprintf(l->id[l->n], CV_CASE_ID_MAX, "%s", id);
	l->n++;
}

static int listed_ref(const cv_referral_info *r, void *arg)
{
	listed_add(arg, r->id);
	return 0;
}

static int listed_watch(const cv_watch_info *w, void *arg)
{
	listed_add(arg, w->case_id);
	return 0;
}

static int listed_due(const cv_due_item *d, void *arg)
{
	listed_add(arg, d->id);
	return 0;
}

/* How many of the listed ids are id. */
static int listed_count(const struct listed *l, const char *id)
{
	int n = 0;

	for (int i = 0; i < l->n && i < LISTED_MAX; i++)
		n += strcmp(l->id[i], id) == 0;
	return n;
}

/* The newest row of `action`: its seq, and its detail in detail. */
static int64_t last_row(const char *path, const char *action, char *detail, size_t cap)
{
	q_text(path, detail, cap,
	       "SELECT detail FROM audit WHERE action = '%s' ORDER BY seq DESC LIMIT 1", action);
	return q_int(path, "SELECT max(seq) FROM audit WHERE action = '%s'", action);
}

/* case.read rows of case id after row seq (one list command's reads). */
static int64_t reads_after(const char *path, int64_t seq, const char *id)
{
	return q_int(path,
		     "SELECT count(*) FROM audit WHERE seq > %lld AND action = 'case.read' AND"
		     " object = 'case:%s' AND outcome = 'ok'",
		     (long long)seq, id);
}

/*
 * The store gives a counselor's records of a type oldest first, not case
 * by case: referrals made on B, A, B, B and register entries on B, A, B
 * come back with B's on both sides of A's.  Each list still shows every
 * record once, decrypts each case once, and logs one case.read per case
 * and cases=2 (a case read twice would count twice in `audit alerts` and
 * in the compliance report's reads).
 */
static void test_cross_lists_each_record_once(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char a[CV_CASE_ID_MAX], b[CV_CASE_ID_MAX], r[4][CV_CASE_ID_MAX], detail[64];
	const char *order[4];
	struct listed l;
	int64_t seq;
	cv_err err = {0};

	open_new(c, "S-20", "Lin Xue", a);
	open_new(c, "S-21", "Zhou Bo", b);
	consent_all(c, a);
	consent_all(c, b);
	order[0] = b, order[1] = a, order[2] = b, order[3] = b;
	for (int i = 0; i < 4; i++)
		ref_ok(c, order[i], "2024-03-01", r[i]);
	/* The walk's order is the one that tripped the lists: B before and after A. */
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM (SELECT case_id, lag(case_id) OVER"
			       " (ORDER BY created_at, rowid) AS prev FROM records WHERE"
			       " type = 'referral') WHERE prev IS NOT NULL AND prev <> case_id"),
			 2);

	for (int overdue = 0; overdue < 2; overdue++) {
		memset(&l, 0, sizeof(l));
		assert_int_equal(cv_referral_list(c, overdue, "2024-06-01", listed_ref, &l, &err),
				 CV_OK);
		assert_int_equal(l.n, 4);
		for (int i = 0; i < 4; i++)
			assert_int_equal(listed_count(&l, r[i]), 1);
		seq = last_row(f->path, "referral.list", detail, sizeof(detail));
		assert_string_equal(detail, "cases=2");
		assert_int_equal(reads_after(f->path, seq, a), 1);
		assert_int_equal(reads_after(f->path, seq, b), 1);
	}

	assert_int_equal(cv_watch_add(c, b, "left-behind", 14, &err), CV_OK);
	assert_int_equal(cv_watch_add(c, a, "single-parent", 14, &err), CV_OK);
	assert_int_equal(cv_watch_add(c, b, "other", 30, &err), CV_OK);
	for (int due = 0; due < 2; due++) {
		memset(&l, 0, sizeof(l));
		assert_int_equal(cv_watch_list(c, due, "2099-01-01", listed_watch, &l, &err),
				 CV_OK);
		assert_int_equal(l.n, 3);
		assert_int_equal(listed_count(&l, b), 2);
		assert_int_equal(listed_count(&l, a), 1);
		seq = last_row(f->path, "watch.list", detail, sizeof(detail));
		assert_string_equal(detail, "cases=2");
		assert_int_equal(reads_after(f->path, seq, a), 1);
		assert_int_equal(reads_after(f->path, seq, b), 1);
	}

	/* `due` walks the same records of all three types: the same. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(cv_due(c, "2099-01-01", listed_due, &l, &err), CV_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(listed_count(&l, r[i]), 1);
	seq = last_row(f->path, "due", detail, sizeof(detail));
	assert_string_equal(detail, "cases=2");
	assert_int_equal(reads_after(f->path, seq, a), 1);
	assert_int_equal(reads_after(f->path, seq, b), 1);
	logout(c);
}

/* "Today" is the local date in the vault's time zone: at 20:00 UTC on
 * 1 January it is already 2 January in Shanghai, so a referral made then
 * is dated the 2nd and its follow-up falls due 14 days after that. */
static void test_today_is_local(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *c;
	cv_referral_input in = {"Clinic", "hospital", "emotion", "routine", "summary", NULL};
	char id[CV_CASE_ID_MAX], r[CV_CASE_ID_MAX];
	struct seen w;
	cv_err err = {0};

	assert_int_equal(cv_config_set(a, "timezone", "Asia/Shanghai", &err), CV_OK);
	logout(a);
	c = login_ok(f->v, "carol", PW_CAROL);
	open_new(c, "S-7001", "Local Student", id);
	consent_all(c, id);
	cv_clock_fix(INT64_C(1798833600)); /* 2027-01-01T20:00:00Z */
	assert_int_equal(cv_referral_add(c, id, &in, NULL, r, &err), CV_OK);
	assert_int_equal(ref_list(c, 0, "2027-01-02", &w, &err), CV_OK);
	cv_clock_fix(0);
	assert_int_equal(w.nrefs, 1);
	assert_string_equal(w.ref[0].date, "2027-01-02");
	assert_string_equal(w.ref[0].due, "2027-01-16");
	logout(c);
}

/* A follow-up dated after the vault's local today would stay out of the
 * overdue lists until then, so a typo would hide it: referral add,
 * referral update and watch done refuse it (status 2, logged, nothing
 * changed), and a referral update dated before its referral is refused
 * too.  Today is local: at 20:00 UTC on 1 January it is 2 January in
 * Shanghai, and the 2nd is accepted. */
static void test_follow_up_dates(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *c;
	cv_referral_input late = {"Clinic",  "hospital", "emotion",
				  "routine", "summary",	 "2027-01-03"};
	cv_referral_input in = {"Clinic",  "hospital", "emotion",
				"routine", "summary",  "2026-12-20"};
	char id[CV_CASE_ID_MAX], r[CV_CASE_ID_MAX], x[CV_CASE_ID_MAX], object[32];
	struct seen w;
	cv_err err = {0};

	assert_int_equal(cv_config_set(a, "timezone", "Asia/Shanghai", &err), CV_OK);
	logout(a);
	c = login_ok(f->v, "carol", PW_CAROL);
	open_new(c, "S-7101", "Date Student", id);
	consent_all(c, id);
	assert_int_equal(cv_watch_add(c, id, "other", 14, &err), CV_OK);
	cv_clock_fix(INT64_C(1798833600)); /* 2027-01-01T20:00:00Z */

	/* referral add: the day after local today is refused. */
	assert_int_equal(cv_referral_add(c, id, &late, NULL, x, &err), CV_EUSAGE);
	assert_string_equal(err.code, "referral.date-future");
	assert_msg_has(err, "--date 2027-01-03 is in the future (today is 2027-01-02)");
	assert_int_equal(records(f->path, "referral"), 0);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE actor = 'carol' AND"
			       " action = 'referral.add' AND object = 'case:%s' AND"
			       " outcome = 'failed' AND detail = 'referral.date-future'",
			       id),
			 1);
	late.date = "2027-01-02";
	assert_int_equal(cv_referral_add(c, id, &late, NULL, x, &err), CV_OK);
	assert_int_equal(cv_referral_add(c, id, &in, NULL, r, &err), CV_OK);

	/* referral update: after today, or before the referral, is refused. */
	snprintf(object, sizeof(object), "referral:%s", r);
	assert_int_equal(cv_referral_update(c, r, "contacted", "2027-01-03", NULL, &err),
			 CV_EUSAGE);
	assert_string_equal(err.code, "referral.date-future");
	assert_int_equal(audit_rows(f->path, "carol", "referral.update", "failed", object), 1);
	assert_int_equal(cv_referral_update(c, r, "contacted", "2026-12-19", "a note", &err),
			 CV_EUSAGE);
	assert_string_equal(err.code, "referral.date-before-referral");
	assert_msg_has(err, "before referral");
	assert_msg_has(err, "was made (2026-12-20)");
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'referral.update' AND"
			       " object = '%s' AND outcome = 'failed' AND"
			       " detail = 'referral.date-before-referral'",
			       object),
			 1);
	assert_int_equal(records(f->path, "followup"), 0);
	assert_int_equal(ref_list(c, 0, NULL, &w, &err), CV_OK);
	for (int i = 0; i < w.nrefs && i < 4; i++)
		if (strcmp(w.ref[i].id, r) == 0) {
			assert_string_equal(w.ref[i].status, "referred");
			assert_string_equal(w.ref[i].due, "2027-01-03");
		}
	/* The referral's own day and today are fine. */
	assert_int_equal(cv_referral_update(c, r, "contacted", "2026-12-20", NULL, &err), CV_OK);
	assert_int_equal(cv_referral_update(c, r, "accepted", "2027-01-02", NULL, &err), CV_OK);
	assert_int_equal(records(f->path, "followup"), 2);

	/* watch done: the same rule. */
	assert_int_equal(cv_watch_done(c, id, "2099-01-01", &err), CV_EUSAGE);
	assert_string_equal(err.code, "watch.date-future");
	assert_msg_has(err, "--date 2099-01-01 is in the future (today is 2027-01-02)");
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'watch.done' AND"
			       " object = 'case:%s' AND outcome = 'failed' AND"
			       " detail = 'watch.date-future'",
			       id),
			 1);
	assert_int_equal(watch_list(c, 0, NULL, &w, &err), CV_OK);
	assert_int_equal(w.nwatch, 1);
	assert_string_equal(w.watch[0].last_done, "");
	assert_int_equal(cv_watch_done(c, id, "2027-01-02", &err), CV_OK);
	assert_int_equal(watch_list(c, 0, NULL, &w, &err), CV_OK);
	cv_clock_fix(0);
	assert_string_equal(w.watch[0].last_done, "2027-01-02");
	assert_string_equal(w.watch[0].due, "2027-01-16");
	logout(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_test_add_needs_testing_consent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tests_hidden_unless_asked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_referral_add_update_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_referral_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_referrals_only_on_own_cases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_register, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_bad_input_and_others, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cross_lists_each_record_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_today_is_local, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follow_up_dates, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

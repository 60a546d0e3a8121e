/*
 * test_report.c - the compliance report (report.c) on a term of generated
 * data with known answers.  The generator builds the spring term of 2027
 * through the library, week by week on a fixed clock (cv_clock_fix), in a
 * vault whose zone is Asia/Shanghai: cases, consents, notes, tests,
 * referrals, key-student entries, break-glass events and their reviews,
 * and the duty shifts of two counselors.  A seed chooses the duty plan of
 * each week and the weeks of extra case work; a flag plants one failure
 * per item (what a faulty program could have written: a test or a note
 * without consent, a case closed without its outcome note, a decrypting
 * read by a counselor without a grant).  The generator records what it
 * planted, and each item must come out met or not met, naming exactly the
 * weeks or cases behind it.
 */
#include <time.h>

#define FIXTURE_TAG "report"
#include "case_fixture.h"
#include "access.h"
#include "crypt.h"
#include "log.h"
#include "text.h"

#define SEED 20270201u
#define NWEEKS 26 /* 2027-W05 .. 2027-W30: the term 2027-02-01..2027-07-31 */
#define TERM "2027-spring"
#define ZONE "Asia/Shanghai"
#define HOUR 3600
#define DAY 86400
#define MAX_SUBJECTS 64

/* Monday 2027-02-01 00:00 UTC; local (UTC+8) Monday 00:00 is 8 hours before. */
static int64_t term_start;

/* The clock at day `day` (0 = Monday) of week w, hour h local time. */
static void clock_at(int w, int day, int h)
{
	cv_clock_fix(term_start + ((int64_t)w * 7 + day) * DAY + (int64_t)(h - 8) * HOUR);
}

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* What the generator planted: the answers. */
struct truth {
	int bad;
	int shift[NWEEKS]; /* 0 none, 1 six hours, 2 twelve hours (two counselors) */
	int worked[NWEEKS];
	char A[CV_CASE_ID_MAX], B[CV_CASE_ID_MAX], D[CV_CASE_ID_MAX], E[CV_CASE_ID_MAX];
	char F[CV_CASE_ID_MAX], G[CV_CASE_ID_MAX], H[CV_CASE_ID_MAX], J[CV_CASE_ID_MAX];
	char K[CV_CASE_ID_MAX], L[CV_CASE_ID_MAX], N[CV_CASE_ID_MAX];
	char X1[CV_CASE_ID_MAX], X2[CV_CASE_ID_MAX];
	char NA[CV_CASE_ID_MAX]; /* A's analysis note */
};

static void work(struct truth *t, int w, int day, int h)
{
	clock_at(w, day, h);
	t->worked[w] = 1;
}

static void ok(cv_status st, const cv_err *err, const char *what)
{
	if (st != CV_OK)
		fail_msg("%s: %s", what, err->msg);
}

static void note_final_id(cv_session *s, const char *id, const char *kind, char nid[CV_CASE_ID_MAX])
{
	cv_err err = {0};

	ok(cv_note_add(s, id, kind, "text", 4, NULL, nid, &err), &err, "note add");
	ok(cv_note_finalize(s, nid, &err), &err, "note finalize");
}

static void note_final(cv_session *s, const char *id, const char *kind)
{
	char nid[CV_CASE_ID_MAX];

	note_final_id(s, id, kind, nid);
}

static int no_note_cb(const cv_note_info *n, void *arg)
{
	(void)n;
	(void)arg;
	return 0;
}

/* The last crisis record's id (from the log's crisis row of the last
 * operation). */
static void last_crisis(const char *path, char out[CV_CASE_ID_MAX])
{
	char detail[128];

	q_text(path, detail, sizeof(detail),
	       "SELECT detail FROM audit WHERE action = 'crisis' ORDER BY seq DESC LIMIT 1");
	assert_true(strncmp(detail, "record=", 7) == 0);
	snprintf(out, CV_CASE_ID_MAX, "%.8s", detail + 7);
}

/* A record written without the consent check, as a faulty program could:
 * through the choke point with no scope asked, signed and logged. */
static void bypass_record(cv_session *s, const char *case_id, const char *type, char prefix,
			  const char *kind, cv_action action, char id[CV_CASE_ID_MAX])
{
	struct cv_case *c = NULL;
	cv_record r = {0};
	char object[CV_ID_MAX + 16];
	cv_err err = {0};
	json_t *body = NULL;

	ok(cv_access_enter(s, case_id, action, CV_NEED_CONTENT | CV_NEED_OPEN, 0, NULL, NULL, &c,
			   &err),
	   &err, "enter");
	ok(cv_new_id(s->v, prefix, 6, r.id, &err), &err, "id");
	snprintf(r.case_id, sizeof(r.case_id), "%s", case_id);
	snprintf(r.type, sizeof(r.type), "%s", type);
	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	snprintf(r.status, sizeof(r.status), "%s", prefix == 'N' ? "draft" : "");
	r.version = 1;
	r.author_id = s->me.id;
	cv_time_now(r.created_at);
	snprintf(r.updated_at, sizeof(r.updated_at), "%s", r.created_at);
	if (prefix == 'N')
		ok(cv_record_put(s, c, &r, NULL, "text", 4, 1, &err), &err, "put");
	else {
		body = json_pack("{s:s, s:s, s:s, s:b}", "scale", "SCL-90", "score", "1", "notes",
				 "", "crisis", 0);
		ok(cv_record_put(s, c, &r, body, NULL, 0, 1, &err), &err, "put");
		json_decref(body);
	}
	snprintf(object, sizeof(object), "%s:%s", type, r.id);
	ok(cv_access_leave(s, c, action, object, "", &err), &err, "leave");
	cv_case_free(c);
	snprintf(id, CV_CASE_ID_MAX, "%s", r.id);
}

/* A case closed without the R4 check. */
static void bypass_close(cv_session *s, const char *id)
{
	struct cv_case *c = NULL;
	char object[CV_ID_MAX + 8];
	cv_err err = {0};

	ok(cv_access_enter(s, id, CV_ACT_CASE_CLOSE, CV_NEED_CONTENT | CV_NEED_OPEN, 0, NULL, NULL,
			   &c, &err),
	   &err, "enter");
	snprintf(c->rec.status, sizeof(c->rec.status), "closed");
	cv_time_now(c->rec.closed_at);
	ok(cv_access_rewrite(s, c, &err), &err, "rewrite");
	snprintf(object, sizeof(object), "case:%s", id);
	ok(cv_access_leave(s, c, CV_ACT_CASE_CLOSE, object, "", &err), &err, "leave");
	cv_case_free(c);
}

/* A decrypting read (action, of object) logged for a counselor who holds
 * no copy of the key. */
static void forged_read(cv_session *s, cv_action action, const char *object)
{
	cv_err err = {0};

	ok(cv_op_begin(s, &err), &err, "begin");
	ok(cv_op_log(s, action, object, CV_OUT_OK, "", &err), &err, "log");
	ok(cv_op_commit(s, &err), &err, "commit");
}

/* The generator: the whole term into f's vault, its answers into t. */
static void build_term(struct fix *f, uint32_t seed, int bad, struct truth *t)
{
	cv_session *a, *carol, *dave, *sam;
	cv_err err = {0};
	char id[CV_CASE_ID_MAX], rid[CV_CASE_ID_MAX];
	cv_referral_input ref = {"City Clinic", "mental-health", "emotion",
				 "routine",	"a summary",	 NULL};
	cv_case_visitor vis = {0};

	memset(t, 0, sizeof(*t));
	t->bad = bad;
	rng_state = seed ? seed : 1;
	for (int w = 0; w < NWEEKS; w++)
		t->shift[w] = bad ? (int)(rng() % 3) : 2;
	if (bad) {
		t->shift[0] = 0; /* case work without a duty record */
		t->shift[1] = 1; /* a week under the threshold */
	}
	work(t, 0, 0, 9);
	a = login_ok(f->v, "alice", PW_ALICE);
	ok(cv_config_set(a, "timezone", ZONE, &err), &err, "timezone");
	carol = login_ok(f->v, "carol", PW_CAROL);
	dave = login_ok(f->v, "dave", PW_DAVE);
	sam = login_ok(f->v, "sam", PW_SAM);
	{
		char(*cases[])[CV_CASE_ID_MAX] = {&t->A, &t->B, &t->D, &t->E, &t->F, &t->G,
						  &t->H, &t->J, &t->K, &t->L, &t->N};
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			char sid[16];

			snprintf(sid, sizeof(sid), "S-%zu", i);
			open_new(carol, sid, "Student", *cases[i]);
			if (cases[i] == &t->J) {
				consent_ok(carol, t->J, "student", "individual");
				consent_ok(carol, t->J, "guardian", "individual");
			} else if (cases[i] != &t->K) {
				consent_all(carol, *cases[i]);
			}
		}
	}
	/* Week 1: A's notes and a test under consent; B's analysis. */
	work(t, 1, 1, 10);
	note_final_id(carol, t->A, "analysis", t->NA);
	note_final(carol, t->A, "outcome");
	ok(cv_test_add(carol, t->A, "SCL-90", "12", NULL, NULL, id, &err), &err, "test");
	note_final(carol, t->B, "analysis");
	/* Week 2: A closed complete; B closed (without an outcome note when
	 * bad); D's draft. */
	work(t, 2, 2, 10);
	ok(cv_case_close(carol, t->A, &err), &err, "close A");
	if (bad) {
		bypass_close(carol, t->B);
	} else {
		note_final(carol, t->B, "outcome");
		ok(cv_case_close(carol, t->B, &err), &err, "close B");
	}
	ok(cv_note_add(carol, t->D, "session", "draft", 5, NULL, id, &err), &err, "draft D");
	if (!bad)
		ok(cv_note_finalize(carol, id, &err), &err, "finalize D");
	/* Week 3: F's referral, completed unless bad. */
	work(t, 3, 3, 10);
	ok(cv_referral_add(carol, t->F, &ref, NULL, rid, &err), &err, "referral F");
	if (!bad)
		ok(cv_referral_update(carol, rid, "completed", NULL, NULL, &err), &err, "update F");
	/* Week 4: H on the register every 7 days. */
	work(t, 4, 1, 10);
	ok(cv_watch_add(carol, t->H, "left-behind", 7, &err), &err, "watch H");
	/* Week 5: a test on J under crisis (J has no testing consent). */
	work(t, 5, 2, 15);
	assert_int_equal(cv_test_add(carol, t->J, "SCL-90", "40", NULL, NULL, id, &err),
			 CV_EDENIED);
	ok(cv_test_add(carol, t->J, "SCL-90", "40", NULL, "risk of harm stated today", id, &err),
	   &err, "crisis test");
	last_crisis(f->path, t->X1);
	if (!bad) {
		work(t, 5, 3, 10);
		ok(cv_audit_review(sam, t->X1, "Justified by the risk stated.", &err), &err,
		   "review X1");
	}
	/* Week 6: a test on K, which has no consent at all, without crisis. */
	if (bad) {
		work(t, 6, 1, 10);
		bypass_record(carol, t->K, "test", 'T', "", CV_ACT_TEST_ADD, id);
	}
	/* Week 7: L's consent withdrawn; week 8: a note on L after it. */
	work(t, 7, 1, 10);
	ok(cv_consent_withdraw(carol, t->L, NULL, NULL, NULL, &err), &err, "withdraw L");
	work(t, 8, 1, 10);
	if (bad) {
		bypass_record(carol, t->L, "note", 'N', "session", CV_ACT_NOTE_ADD, id);
		ok(cv_note_finalize(carol, id, &err), &err, "finalize L");
	} else {
		ok(cv_note_add(carol, t->L, "contact", "called", 6, "student at risk tonight", id,
			       &err),
		   &err, "crisis note L");
		last_crisis(f->path, t->X2);
		ok(cv_note_finalize(carol, id, &err), &err, "finalize L");
		ok(cv_audit_review(sam, t->X2, "Justified: the guardian was called.", &err), &err,
		   "review X2");
	}
	/* Week 9: carol reads A and its analysis note; dave, never granted,
	 * is logged reading both. */
	work(t, 9, 2, 10);
	ok(cv_case_show(carol, t->A, 0, NULL, &vis, NULL, &err), &err, "show A");
	ok(cv_note_show(carol, t->NA, no_note_cb, NULL, &err), &err, "show A's note");
	if (bad) {
		char object[CV_ID_MAX + 8];

		snprintf(object, sizeof(object), "case:%s", t->A);
		forged_read(dave, CV_ACT_CASE_READ, object);
		snprintf(object, sizeof(object), "note:%s", t->NA);
		forged_read(dave, CV_ACT_NOTE_SHOW, object);
	}
	/* Extra case work in the weeks the seed picks, at 02:00 on Monday
	 * local time: still Sunday in UTC, so a week counted in UTC would be
	 * the one before. */
	for (int w = 10; w < 24; w++)
		if (rng() % 2) {
			work(t, w, 0, 2);
			note_final(carol, t->N, "session");
		}
	/* Week 25: a referral and a draft too recent to be late; H followed up
	 * in time unless bad. */
	work(t, 25, 0, 10);
	ok(cv_referral_add(carol, t->G, &ref, NULL, rid, &err), &err, "referral G");
	work(t, 25, 3, 10);
	ok(cv_note_add(carol, t->E, "session", "late", 4, NULL, id, &err), &err, "draft E");
	if (!bad)
		ok(cv_watch_done(carol, t->H, NULL, &err), &err, "watch done H");
	/* The duty shifts, logged after the fact (local times). */
	cv_clock_fix(term_start + (int64_t)NWEEKS * 7 * DAY + 10 * DAY);
	for (int w = 0; w < NWEEKS; w++) {
		char d[16], from[24], to[24];
		time_t day = (time_t)(term_start + ((int64_t)w * 7 + 1) * DAY);
		struct tm tm;
		int64_t sid = 0;

		gmtime_r(&day, &tm);
		strftime(d, sizeof(d), "%Y-%m-%d", &tm);
		if (t->shift[w] == 1) {
			snprintf(from, sizeof(from), "%s 09:00", d);
			snprintf(to, sizeof(to), "%s 15:00", d);
			ok(cv_duty_add(carol, from, to, NULL, 3, &sid, &err), &err, "short shift");
		} else if (t->shift[w] == 2) {
			snprintf(from, sizeof(from), "%s 08:00", d);
			snprintf(to, sizeof(to), "%s 14:00", d);
			ok(cv_duty_add(carol, from, to, NULL, 3, &sid, &err), &err, "shift carol");
			snprintf(from, sizeof(from), "%s 12:00", d);
			snprintf(to, sizeof(to), "%s 20:00", d);
			ok(cv_duty_add(dave, from, to, NULL, 3, &sid, &err), &err, "shift dave");
		}
	}
}

/* ---- checks ------------------------------------------------------------- */

static cv_report *report_ok(cv_vault *v, const char *term, const char *from, const char *to)
{
	cv_session *s = login_ok(v, "sam", PW_SAM);
	cv_report *r = NULL;
	cv_err err = {0};

	ok(cv_report_compliance(s, term, from, to, &r, &err), &err, "report");
	assert_non_null(r);
	return r;
}

/* Item i's subjects are exactly want (sorted), nothing more. */
static void subjects_are(const cv_report *r, size_t i, const char *const *want, size_t n)
{
	const cv_report_item *it = cv_report_item_at(r, i);

	if (it->nsubjects != n) {
		for (size_t j = 0; j < it->nsubjects; j++)
			fprintf(stderr, "item %zu subject: %s\n", i + 1, it->subjects[j]);
		fail_msg("item %zu: %zu subjects, not %zu", i + 1, it->nsubjects, n);
	}
	for (size_t j = 0; j < n; j++)
		assert_string_equal(it->subjects[j], want[j]);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void status_is(const cv_report *r, size_t i, cv_report_status want)
{
	const cv_report_item *it = cv_report_item_at(r, i);
	char fig[CV_ERRMSG_MAX];

	/* The figure is its template with its arguments put in: what a
	 * front end renders from a translation of the template. */
	assert_non_null(it->figure_parts);
	assert_non_null(it->figure_parts->tmpl);
	cv_err_render(it->figure_parts, it->figure_parts->tmpl, fig, sizeof(fig));
	assert_string_equal(fig, it->figure);
	if (it->status != want)
		fail_msg("item %zu (%s): status %d, not %d: %s", i + 1, it->code, it->status, want,
			 it->figure);
}

/* The weeks (2027-Www) of the term whose plan matches pick. */
static size_t weeks_where(const struct truth *t, int (*pick)(const struct truth *t, int w),
			  char out[][10], const char **ptr)
{
	size_t n = 0;

	for (int w = 0; w < NWEEKS; w++)
		if (pick(t, w)) {
			/* (w < NWEEKS: two digits; the mask tells the compiler) */
			snprintf(out[n], 10, "2027-W%02d", (w + 5) & 63);
			ptr[n] = out[n];
			n++;
		}
	return n;
}

static int short_week(const struct truth *t, int w)
{
	return t->shift[w] != 2;
}

static int unrecorded_week(const struct truth *t, int w)
{
	return t->worked[w] && t->shift[w] == 0;
}

static int worked_week(const struct truth *t, int w)
{
	return t->worked[w];
}

/* Items 1-8 against the truth (item 9 is checked by the callers). */
static void check_items(const cv_report *r, const struct truth *t)
{
	char weeks[NWEEKS][10];
	const char *want[MAX_SUBJECTS];
	const char *from, *to, *as_of;
	size_t n;

	cv_report_dates(r, &from, &to, &as_of);
	assert_string_equal(from, "2027-02-01");
	assert_string_equal(to, "2027-07-31");
	assert_string_equal(as_of, "2027-07-31");
	/* 1: every week of the term judged, the short ones named */
	n = weeks_where(t, short_week, weeks, want);
	status_is(r, 0, n ? CV_REPORT_NOT_MET : CV_REPORT_MET);
	assert_int_equal(cv_report_item_at(r, 0)->total, NWEEKS);
	assert_int_equal(cv_report_item_at(r, 0)->count, n);
	subjects_are(r, 0, want, n);
	/* 2: the weeks with case work and no shift */
	assert_int_equal(cv_report_item_at(r, 1)->total, weeks_where(t, worked_week, weeks, want));
	n = weeks_where(t, unrecorded_week, weeks, want);
	status_is(r, 1, n ? CV_REPORT_NOT_MET : CV_REPORT_MET);
	subjects_are(r, 1, want, n);
	/* 3: D's draft is late; E's is recent */
	status_is(r, 2, t->bad ? CV_REPORT_NOT_MET : CV_REPORT_MET);
	assert_int_equal(cv_report_item_at(r, 2)->total, t->bad ? 2 : 1);
	want[0] = t->D;
	subjects_are(r, 2, want, t->bad ? 1 : 0);
	/* 4: A and B closed in the term; B without its outcome note */
	status_is(r, 3, t->bad ? CV_REPORT_NOT_MET : CV_REPORT_MET);
	assert_int_equal(cv_report_item_at(r, 3)->total, 2);
	want[0] = t->B;
	subjects_are(r, 3, want, t->bad ? 1 : 0);
	/* 5: X1 reviewed unless bad; L worked on after its withdrawal when bad;
	 * X2 (a crisis note after the withdrawal, reviewed) is not work
	 * without consent */
	status_is(r, 4, t->bad ? CV_REPORT_NOT_MET : CV_REPORT_MET);
	assert_int_equal(cv_report_item_at(r, 4)->total, t->bad ? 1 : 2);
	want[0] = t->L;
	want[1] = t->X1;
	qsort(want, 2, sizeof(*want), cmp_str);
	subjects_are(r, 4, want, t->bad ? 2 : 0);
	/* 6: A's test under consent, J's under crisis; K's under neither */
	status_is(r, 5, t->bad ? CV_REPORT_NOT_MET : CV_REPORT_MET);
	assert_int_equal(cv_report_item_at(r, 5)->total, t->bad ? 3 : 2);
	want[0] = t->K;
	subjects_are(r, 5, want, t->bad ? 1 : 0);
	/* 7: F never followed up when bad; G's not yet due */
	status_is(r, 6, t->bad ? CV_REPORT_NOT_MET : CV_REPORT_MET);
	assert_int_equal(cv_report_item_at(r, 6)->total, 2);
	want[0] = t->F;
	subjects_are(r, 6, want, t->bad ? 1 : 0);
	/* 8: H followed up in time unless bad */
	status_is(r, 7, t->bad ? CV_REPORT_NOT_MET : CV_REPORT_MET);
	assert_int_equal(cv_report_item_at(r, 7)->total, 1);
	want[0] = t->H;
	subjects_are(r, 7, want, t->bad ? 1 : 0);
}

static void test_term_all_met(void **state)
{
	struct fix *f = *state;
	struct truth t;
	cv_report *r;
	char line[64];
	const char *want[1];

	build_term(f, SEED, 0, &t);
	r = report_ok(f->v, TERM, NULL, NULL);
	check_items(r, &t);
	status_is(r, 8, CV_REPORT_MET);
	snprintf(line, sizeof(line), "carol: %lld reads",
		 (long long)q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'carol' AND "
					   "action IN ('case.read', 'case.show', 'note.show') "
					   "AND outcome = 'ok'"));
	want[0] = line;
	subjects_are(r, 8, want, 1);
	cv_report_free(r);
	/* The report is logged, with its verdicts. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = "
					"'report.compliance' AND outcome = 'ok' AND object = "
					"'report' AND detail = 'from=2027-02-01 to=2027-07-31 "
					"met=9 not-met=0 na=0'"),
			 1);
	/* Grants are judged as they stood at each read: carol disabled
	 * afterwards (her key copies deleted) read A and its note while she
	 * held them. */
	{
		cv_session *a = login_ok(f->v, "alice", PW_ALICE);
		cv_err err = {0};

		ok(cv_user_disable(a, "carol", &err), &err, "disable carol");
		r = report_ok(f->v, TERM, NULL, NULL);
		status_is(r, 8, CV_REPORT_MET);
		subjects_are(r, 8, want, 1);
		cv_report_free(r);
	}
}

static void test_term_not_met(void **state)
{
	struct fix *f = *state;
	struct truth t;
	cv_report *r;
	char line[3][96];
	long long carol_reads;

	build_term(f, SEED, 1, &t);
	r = report_ok(f->v, TERM, NULL, NULL);
	check_items(r, &t);
	status_is(r, 8, CV_REPORT_NOT_MET);
	/* a note read is a decrypting read too: carol's count has hers */
	carol_reads = (long long)q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'carol' "
						"AND action IN ('case.read', 'case.show', "
						"'note.show') AND outcome = 'ok'");
	assert_true(carol_reads >= 2);
	snprintf(line[0], sizeof(line[0]), "%s read by dave without a grant", t.A);
	snprintf(line[1], sizeof(line[1]), "%s of %s read by dave without a grant", t.NA, t.A);
	snprintf(line[2], sizeof(line[2]), "carol: %lld reads", carol_reads);
	/* dave's two reads are counted as his, and both named */
	assert_int_equal(cv_report_item_at(r, 8)->count, 2);
	{
		const cv_report_item *it = cv_report_item_at(r, 8);
		int named[3] = {0}, dave = 0;

		for (size_t j = 0; j < it->nsubjects; j++) {
			for (int k = 0; k < 3; k++)
				named[k] += strcmp(it->subjects[j], line[k]) == 0;
			dave += strcmp(it->subjects[j], "dave: 2 reads") == 0;
		}
		assert_int_equal(named[0], 1);
		assert_int_equal(named[1], 1);
		assert_int_equal(named[2], 1);
		assert_int_equal(dave, 1);
		assert_int_equal(it->nsubjects, 4);
	}
	cv_report_free(r);
}

/* Other seeds: other duty plans and work weeks, the same rules. */
static void test_other_seeds(void **state)
{
	struct fix *f = *state;
	struct truth t;
	cv_report *r;

	build_term(f, SEED * 7u + 3u, 1, &t);
	r = report_ok(f->v, TERM, NULL, NULL);
	check_items(r, &t);
	cv_report_free(r);
}

static int same_item(const cv_report_item *a, const cv_report_item *b)
{
	if (a->status != b->status || a->count != b->count || a->total != b->total ||
	    strcmp(a->figure, b->figure) != 0 || a->nsubjects != b->nsubjects)
		return 0;
	for (size_t j = 0; j < a->nsubjects; j++)
		if (strcmp(a->subjects[j], b->subjects[j]) != 0)
			return 0;
	return 1;
}

/* The report needs no case key: with every grant row gone from a copy,
 * items 1-8 are the same, and item 9 says the file no longer matches its
 * log. */
static void test_no_case_key(void **state)
{
	struct fix *f = *state;
	struct truth t;
	cv_report *r1, *r2;
	char other[TEST_PATH_MAX];
	cv_vault *v = NULL;
	cv_err err = {0};
	const cv_report_item *it;
	int named = 0;

	build_term(f, SEED, 1, &t);
	r1 = report_ok(f->v, TERM, NULL, NULL);
	logout_all();
	tmpdir_file(other, sizeof(other), f->dir, "nokeys.db");
	copy_db(f->path, other);
	raw_sql(other, "DELETE FROM grants");
	assert_int_equal(q_int(other, "SELECT count(*) FROM grants"), 0);
	assert_int_equal(cv_vault_open(other, &v, &err), CV_OK);
	r2 = report_ok(v, TERM, NULL, NULL);
	for (size_t i = 0; i < CV_REPORT_ITEMS - 1; i++)
		assert_true(same_item(cv_report_item_at(r1, i), cv_report_item_at(r2, i)));
	check_items(r2, &t);
	it = cv_report_item_at(r2, 8);
	assert_int_equal(it->status, CV_REPORT_NOT_MET);
	assert_non_null(strstr(it->figure, "verification failed"));
	for (size_t j = 0; j < it->nsubjects; j++)
		named += strncmp(it->subjects[j], "rows.", 5) == 0;
	assert_int_equal(named, 1);
	cv_report_free(r1);
	cv_report_free(r2);
	logout_all();
	cv_vault_close(v);
}

/* A record whose statistics were tampered with stops the report: nothing
 * is judged from it, and the failure is logged. */
static void test_tampered_refused(void **state)
{
	struct fix *f = *state;
	struct truth t;
	cv_session *s;
	cv_report *r = NULL;
	cv_err err = {0};

	build_term(f, SEED, 0, &t);
	raw_sql(f->path, "UPDATE records SET stats_box = (SELECT stats_box FROM records WHERE "
			 "type = 'watch' LIMIT 1) WHERE id = (SELECT id FROM records WHERE type = "
			 "'referral' LIMIT 1)");
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_report_compliance(s, TERM, NULL, NULL, &r, &err), CV_EINTEGRITY);
	assert_null(r);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = "
					"'report.compliance' AND outcome = 'failed'"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = "
					"'report.compliance' AND outcome = 'ok'"),
			 0);
}

/* Who may, what is refused, and a period that has not begun. */
static void test_refusals_and_periods(void **state)
{
	struct fix *f = *state;
	cv_session *s;
	cv_report *r = NULL;
	cv_err err = {0};
	struct truth t;

	build_term(f, SEED, 0, &t);
	s = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_report_compliance(s, TERM, NULL, NULL, &r, &err), CV_EDENIED);
	assert_null(r);
	s = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_report_compliance(s, TERM, NULL, NULL, &r, &err), CV_EDENIED);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = "
					"'report.compliance' AND outcome = 'denied'"),
			 2);
	assert_int_equal(cv_report_period(NULL, NULL, NULL, &err), CV_EUSAGE);
	assert_string_equal(err.code, "report.period");
	assert_int_equal(cv_report_period("2027-winter", NULL, NULL, &err), CV_EUSAGE);
	assert_int_equal(cv_report_period(TERM, "2027-02-01", NULL, &err), CV_EUSAGE);
	assert_int_equal(cv_report_period(NULL, "2027-02-01", NULL, &err), CV_EUSAGE);
	assert_int_equal(cv_report_period(NULL, "2027-02-30", "2027-03-01", &err), CV_EUSAGE);
	assert_int_equal(cv_report_period(NULL, "2027-03-01", "2027-02-01", &err), CV_EUSAGE);
	assert_int_equal(cv_report_period(NULL, "2027-02-01", "2027-03-01", &err), CV_OK);
	assert_int_equal(cv_report_period(NULL, "2025-01-01", "2027-01-02", &err), CV_EUSAGE);
	assert_int_equal(cv_report_period(NULL, "2025-02-01", "2027-01-31", &err), CV_OK);
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_report_compliance(s, NULL, "2027-03-01", "2027-02-01", &r, &err),
			 CV_EUSAGE);
	/* The autumn term has not begun on the clock's day: nothing to judge
	 * of the weeks, and nothing closed or tested in it. */
	r = report_ok(f->v, "2027-autumn", NULL, NULL);
	status_is(r, 0, CV_REPORT_NA);
	status_is(r, 1, CV_REPORT_NA);
	status_is(r, 3, CV_REPORT_NA);
	status_is(r, 5, CV_REPORT_NA);
	cv_report_free(r);
	/* A range: one week of March, with the same known answers. */
	r = report_ok(f->v, NULL, "2027-03-01", "2027-03-07");
	assert_int_equal(cv_report_item_at(r, 0)->total, 1);
	status_is(r, 0, CV_REPORT_MET);
	cv_report_free(r);
}

/* The three forms: text lines, JSON parsed back, a page with no script
 * and nothing from elsewhere. */
static void test_formats(void **state)
{
	struct fix *f = *state;
	struct truth t;
	cv_report *r;
	char *mem = NULL;
	size_t len = 0;
	FILE *fp;
	cv_err err = {0};
	json_t *o;
	json_error_t jerr;

	build_term(f, SEED, 1, &t);
	r = report_ok(f->v, TERM, NULL, NULL);
	fp = open_memstream(&mem, &len);
	ok(cv_report_write(r, CV_REPORT_TEXT, fp, &err), &err, "text");
	fclose(fp);
	assert_non_null(strstr(mem, "compliance report 2027-02-01..2027-07-31"));
	assert_non_null(strstr(mem, "\n4. not met: 1 of 2 cases closed"));
	assert_non_null(strstr(mem, t.B));
	free(mem);
	fp = open_memstream(&mem, &len);
	ok(cv_report_write(r, CV_REPORT_JSON, fp, &err), &err, "json");
	fclose(fp);
	o = json_loadb(mem, len, 0, &jerr);
	assert_non_null(o);
	assert_int_equal(json_array_size(json_object_get(o, "items")), CV_REPORT_ITEMS);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(o, "items"), 3), "status")),
			    "not-met");
	json_decref(o);
	free(mem);
	fp = open_memstream(&mem, &len);
	ok(cv_report_write(r, CV_REPORT_HTML, fp, &err), &err, "html");
	fclose(fp);
	assert_non_null(strstr(mem, "合规报告"));
	assert_non_null(strstr(mem, "2027-02-01..2027-07-31"));
	assert_null(strstr(mem, "<script"));
	assert_null(strstr(mem, "src="));
	assert_null(strstr(mem, "href="));
	free(mem);
	cv_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_term_all_met, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_term_not_met, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_seeds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_case_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampered_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals_and_periods, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
	};
	struct tm tm = {0};

	tm.tm_year = 2027 - 1900;
	tm.tm_mon = 1;
	tm.tm_mday = 1;
	term_start = (int64_t)timegm(&tm);
	if (cv_init(NULL) != CV_OK)
		return 1;
	/* Everything happens on the generator's clock, the base vault too. */
	clock_at(0, 0, 9);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

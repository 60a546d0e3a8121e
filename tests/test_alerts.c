/*
 * test_alerts.c - the alert engine (alerts.h) on rows made up for the
 * purpose: each kind of alert when its threshold is reached and not
 * before, its window, the local hours in a zone with and without a change
 * of clocks, --since; local day bounds (localday.h); and, on a vault, the
 * review of a break-glass event (review.h): the flow, every refusal with
 * its status, and reviews tampered with in the file.
 */
#define FIXTURE_TAG "alerts"
#include "case_fixture.h"
#include "access.h"
#include "alerts.h"
#include "localday.h"
#include "review.h"
#include "settings.h"

#define MIN 60
#define HOUR 3600

/* ---- the engine on made-up rows ------------------------------------------ */

static const cv_alert_rules base_rules = {
    .denials = 3,
    .denial_secs = 10 * MIN,
    .logins = 3,
    .cases = 2,
    .hours_from = 0,
    .hours_to = 24 * 60, /* always inside: no off-hours alert */
    .tz = "UTC",
    .since = 0,
};

/* 2026-01-05T00:00:00Z, a Monday. */
#define T0 INT64_C(1767571200)

static cv_alert_engine *engine(const cv_alert_rules *r)
{
	cv_alert_engine *e = NULL;
	cv_err err = {0};

	if (cv_alert_engine_new(r, &e, &err) != CV_OK)
		fail_msg("engine: %s", err.msg);
	return e;
}

static int64_t next_seq = 1;

/* Feeds one row at UTC second t (feed: with no detail). */
static void feed_detail(cv_alert_engine *e, int64_t t, const char *actor, const char *action,
			const char *object, const char *outcome, const char *detail)
{
	char time[CV_TIME_LEN];
	cv_audit_row r = {next_seq++, time, actor, action, object, outcome, detail, 0};
	cv_err err = {0};

	cv_time_text(t, time);
	if (cv_alert_feed(e, &r, &err) != CV_OK)
		fail_msg("feed: %s", err.msg);
}

static void feed(cv_alert_engine *e, int64_t t, const char *actor, const char *action,
		 const char *object, const char *outcome)
{
	feed_detail(e, t, actor, action, object, outcome, "");
}

/* The i-th alert, which must exist. */
static cv_alert nth(const cv_alert_engine *e, size_t i)
{
	cv_alert a;

	assert_true(i < cv_alert_count(e));
	cv_alert_get(e, i, &a);
	return a;
}

static void test_denials(void **state)
{
	cv_alert_engine *e = engine(&base_rules);
	cv_alert a;

	(void)state;
	/* Two denials, then a third twelve minutes after the first: no three
	 * within ten minutes. */
	feed(e, T0, "carl", "audit.log", "audit", "denied");
	feed(e, T0 + 6 * MIN, "carl", "audit.log", "audit", "denied");
	feed(e, T0 + 12 * MIN, "carl", "audit.log", "audit", "denied");
	assert_int_equal(cv_alert_count(e), 0);
	/* Other users' denials do not add to carl's. */
	feed(e, T0 + 13 * MIN, "dora", "audit.log", "audit", "denied");
	feed(e, T0 + 13 * MIN, "dora", "audit.log", "audit", "denied");
	assert_int_equal(cv_alert_count(e), 0);
	/* The third within ten minutes of the second: an alert of three. */
	feed(e, T0 + 15 * MIN, "carl", "case.show", "case:C-7KQ2M", "denied");
	assert_int_equal(cv_alert_count(e), 1);
	a = nth(e, 0);
	assert_string_equal(a.code, "alert.denials");
	assert_string_equal(a.user, "carl");
	assert_int_equal(a.count, 3);
	/* A fourth soon after extends it; ok rows and failed ones do not. */
	feed(e, T0 + 20 * MIN, "carl", "audit.log", "audit", "ok");
	feed(e, T0 + 21 * MIN, "carl", "audit.log", "audit", "failed");
	feed(e, T0 + 22 * MIN, "carl", "audit.log", "audit", "denied");
	assert_int_equal(cv_alert_count(e), 1);
	assert_int_equal(nth(e, 0).count, 4);
	/* After a long pause, a lone denial opens nothing; a new burst opens
	 * a second alert. */
	feed(e, T0 + 2 * HOUR, "carl", "audit.log", "audit", "denied");
	feed(e, T0 + 2 * HOUR + MIN, "carl", "audit.log", "audit", "denied");
	assert_int_equal(cv_alert_count(e), 1);
	feed(e, T0 + 2 * HOUR + 2 * MIN, "carl", "audit.log", "audit", "denied");
	assert_int_equal(cv_alert_count(e), 2);
	assert_int_equal(nth(e, 1).count, 3);
	cv_alert_engine_free(e);
}

static void test_failed_logins(void **state)
{
	cv_alert_engine *e = engine(&base_rules);

	(void)state;
	/* Failed logins of two names never add up; three of one within an
	 * hour do. */
	feed(e, T0, "mallory", "login", "user:mallory", "failed");
	feed(e, T0 + 10 * MIN, "trudy", "login", "user:trudy", "failed");
	feed(e, T0 + 30 * MIN, "mallory", "login", "user:mallory", "failed");
	feed(e, T0 + 40 * MIN, "trudy", "login", "user:trudy", "failed");
	assert_int_equal(cv_alert_count(e), 0);
	/* mallory's third comes 61 minutes after the first: still two in the
	 * hour. */
	feed(e, T0 + 61 * MIN, "mallory", "login", "user:mallory", "failed");
	assert_int_equal(cv_alert_count(e), 0);
	feed(e, T0 + 62 * MIN, "mallory", "login", "user:mallory", "failed");
	assert_int_equal(cv_alert_count(e), 1);
	assert_string_equal(nth(e, 0).code, "alert.failed-logins");
	assert_string_equal(nth(e, 0).user, "mallory");
	assert_int_equal(nth(e, 0).count, 3);
	cv_alert_engine_free(e);
}

/* Note reads count by the case their row names (detail "case=ID"). */
static void test_many_cases_by_note_reads(void **state)
{
	cv_alert_engine *e = engine(&base_rules);
	cv_alert a;

	(void)state;
	/* Two notes of one case are one case; a row without its case (or a
	 * malformed one) counts for none. */
	feed_detail(e, T0, "bob", "note.show", "note:N-000001", "ok", "case=C-00001");
	feed_detail(e, T0 + MIN, "bob", "note.show", "note:N-000002", "ok", "case=C-00001");
	feed_detail(e, T0 + 2 * MIN, "bob", "note.show", "note:N-000003", "ok", "");
	feed_detail(e, T0 + 3 * MIN, "bob", "note.show", "note:N-000004", "ok", "case=x y");
	feed_detail(e, T0 + 4 * MIN, "bob", "note.show", "note:N-000005", "ok", "case=C-00002");
	assert_int_equal(cv_alert_count(e), 0);
	/* A third case, read through a note, within the hour: the alert. */
	feed_detail(e, T0 + 30 * MIN, "bob", "note.show", "note:N-000006", "ok", "case=C-00003");
	assert_int_equal(cv_alert_count(e), 1);
	a = nth(e, 0);
	assert_string_equal(a.code, "alert.many-cases");
	assert_string_equal(a.user, "bob");
	assert_int_equal(a.count, 3);
	/* Case reads and note reads of one case are one case. */
	feed(e, T0 + 31 * MIN, "bob", "case.show", "case:C-00003", "ok");
	assert_int_equal(nth(e, 0).count, 3);
	cv_alert_engine_free(e);
}

static void test_many_cases(void **state)
{
	cv_alert_engine *e = engine(&base_rules);
	cv_alert a;

	(void)state;
	/* One case read again and again is one case. */
	for (int i = 0; i < 10; i++)
		feed(e, T0 + i * MIN, "bob", "case.read", "case:C-00001", "ok");
	/* A second case: two distinct, not over the threshold of two. */
	feed(e, T0 + 20 * MIN, "bob", "case.show", "case:C-00002", "ok");
	assert_int_equal(cv_alert_count(e), 0);
	/* A third within the hour of the first reads: three, over it. */
	feed(e, T0 + 50 * MIN, "bob", "case.read", "case:C-00003", "ok");
	assert_int_equal(cv_alert_count(e), 1);
	a = nth(e, 0);
	assert_string_equal(a.code, "alert.many-cases");
	assert_string_equal(a.user, "bob");
	assert_int_equal(a.count, 3);
	/* A refused read and another user's reads are not bob's. */
	feed(e, T0 + 51 * MIN, "bob", "case.read", "case:C-00004", "denied");
	feed(e, T0 + 52 * MIN, "carol", "case.read", "case:C-00005", "ok");
	assert_int_equal(nth(e, 0).count, 3);
	feed(e, T0 + 53 * MIN, "bob", "case.read", "case:C-00006", "ok");
	assert_int_equal(cv_alert_count(e), 1);
	assert_int_equal(nth(e, 0).count, 4);
	cv_alert_engine_free(e);

	/* Three cases spread over more than an hour: no alert. */
	e = engine(&base_rules);
	feed(e, T0, "bob", "case.read", "case:C-00001", "ok");
	feed(e, T0 + 40 * MIN, "bob", "case.read", "case:C-00002", "ok");
	feed(e, T0 + 80 * MIN, "bob", "case.read", "case:C-00003", "ok");
	assert_int_equal(cv_alert_count(e), 0);
	cv_alert_engine_free(e);
}

static void test_exports_and_ignored_rows(void **state)
{
	cv_alert_engine *e = engine(&base_rules);
	cv_alert a;

	(void)state;
	feed(e, T0, "sue", "checkpoint", "audit", "ok");
	feed(e, T0, "sue", "audit.verify", "audit", "ok");
	feed(e, T0 + MIN, "sue", "stats.export", "stats:2026-01..2026-01", "ok");
	feed(e, T0 + 2 * MIN, "sue", "stats.export", "stats", "denied");
	assert_int_equal(cv_alert_count(e), 1);
	a = nth(e, 0);
	assert_string_equal(a.code, "alert.stats-export");
	assert_string_equal(a.object, "stats:2026-01..2026-01");
	feed(e, T0 + 3 * MIN, "sue", "stats.export", "stats:2026-02..2026-02", "ok");
	assert_int_equal(cv_alert_count(e), 2);
	cv_alert_engine_free(e);
}

static void test_malformed_time(void **state)
{
	cv_alert_engine *e = engine(&base_rules);
	cv_audit_row r = {7, "2026-01-05 00:00:00", "bob", "case.read", "case:C-00001", "ok", "",
			  0};
	cv_err err = {0};

	(void)state;
	assert_int_equal(cv_alert_feed(e, &r, &err), CV_EINTEGRITY);
	assert_msg_has(err, "audit row 7");
	cv_alert_engine_free(e);
}

static void test_off_hours(void **state)
{
	cv_alert_rules r = base_rules;
	cv_alert_engine *e;
	cv_alert a;

	(void)state;
	/* Asia/Shanghai is UTC+8: 07:00-19:00 local is 23:00-11:00 UTC. */
	r.tz = "Asia/Shanghai";
	r.hours_from = 7 * 60;
	r.hours_to = 19 * 60;
	e = engine(&r);
	feed(e, T0 + 30 * MIN, "bob", "case.show", "case:C-00001", "ok");	       /* 08:30 */
	feed(e, T0 + 10 * HOUR + 59 * MIN, "bob", "note.show", "note:N-000001", "ok"); /* 18:59 */
	assert_int_equal(cv_alert_count(e), 0);
	feed(e, T0 + 11 * HOUR, "bob", "note.add", "note:N-000002", "ok"); /* 19:00 */
	feed(e, T0 + 12 * HOUR, "bob", "case.show", "case:C-00001", "ok"); /* 20:00 */
	/* Not case work, or refused: not counted. */
	feed(e, T0 + 12 * HOUR, "bob", "user.passwd", "user:bob", "ok");
	feed(e, T0 + 12 * HOUR, "bob", "case.show", "case:C-00009", "denied");
	assert_int_equal(cv_alert_count(e), 1);
	a = nth(e, 0);
	assert_string_equal(a.code, "alert.off-hours");
	assert_string_equal(a.object, "2026-01-05");
	assert_int_equal(a.count, 2);
	/* 00:30 local is the next local day: a new alert. */
	feed(e, T0 + 16 * HOUR + 30 * MIN, "bob", "case.show", "case:C-00001", "ok");
	assert_int_equal(cv_alert_count(e), 2);
	assert_string_equal(nth(e, 1).object, "2026-01-06");
	cv_alert_engine_free(e);

	/* Hours that wrap past midnight: 22:00-06:00 is a night service. */
	r.tz = "UTC";
	r.hours_from = 22 * 60;
	r.hours_to = 6 * 60;
	e = engine(&r);
	feed(e, T0 + 23 * HOUR, "bob", "case.show", "case:C-00001", "ok");
	feed(e, T0 + 5 * HOUR, "bob", "case.show", "case:C-00001", "ok");
	assert_int_equal(cv_alert_count(e), 0);
	feed(e, T0 + 6 * HOUR, "bob", "case.show", "case:C-00001", "ok");
	assert_int_equal(cv_alert_count(e), 1);
	cv_alert_engine_free(e);
}

static void test_off_hours_clock_change(void **state)
{
	/* 2026-03-08: New York moves from UTC-5 to UTC-4 at 07:00Z. */
	const int64_t day = INT64_C(1772928000); /* 2026-03-08T00:00:00Z */
	cv_alert_rules r = base_rules;
	cv_alert_engine *e;

	(void)state;
	r.tz = "America/New_York";
	r.hours_from = 9 * 60;
	r.hours_to = 17 * 60;
	e = engine(&r);
	/* 13:30Z is 09:30 EDT (inside), though it would be 08:30 in EST. */
	feed(e, day + 13 * HOUR + 30 * MIN, "bob", "case.show", "case:C-00001", "ok");
	assert_int_equal(cv_alert_count(e), 0);
	/* 05:30Z is 00:30 EST, on the local 8th. */
	feed(e, day + 5 * HOUR + 30 * MIN, "bob", "case.show", "case:C-00001", "ok");
	assert_int_equal(cv_alert_count(e), 1);
	assert_string_equal(nth(e, 0).object, "2026-03-08");
	/* 21:30Z is 17:30 EDT: outside, the same local day. */
	feed(e, day + 21 * HOUR + 30 * MIN, "bob", "case.show", "case:C-00001", "ok");
	assert_int_equal(cv_alert_count(e), 1);
	assert_int_equal(nth(e, 0).count, 2);
	cv_alert_engine_free(e);
}

static void test_since_and_crisis(void **state)
{
	cv_alert_rules r = base_rules;
	cv_alert_engine *e;
	cv_err err = {0};
	cv_alert a;

	(void)state;
	r.since = T0 + HOUR;
	e = engine(&r);
	/* A burst before since is passed over. */
	for (int i = 0; i < 5; i++)
		feed(e, T0 + i * MIN, "carl", "audit.log", "audit", "denied");
	feed(e, T0 + 10 * MIN, "sue", "stats.export", "stats:2026-01..2026-01", "ok");
	assert_int_equal(cv_alert_count(e), 0);
	/* A break-glass event is given whatever its age, before the others. */
	feed(e, T0 + 2 * HOUR, "sue", "stats.export", "stats:2026-02..2026-02", "ok");
	assert_int_equal(cv_alert_crisis(e, "X-ABCDEF", "C-7KQ2M", "bob", "2025-12-30T10:00:00Z",
					 T0 + 2 * HOUR, &err),
			 CV_OK);
	assert_int_equal(cv_alert_count(e), 2);
	a = nth(e, 0);
	assert_string_equal(a.code, "alert.crisis-unreviewed");
	assert_string_equal(a.object, "X-ABCDEF");
	assert_string_equal(a.case_id, "C-7KQ2M");
	assert_string_equal(a.user, "bob");
	assert_int_equal(a.age_days, 5);
	assert_string_equal(nth(e, 1).code, "alert.stats-export");
	cv_alert_engine_free(e);
}

/* ---- local days and the hours setting ------------------------------------- */

static void test_local_days(void **state)
{
	char out[CV_TIME_LEN];
	cv_err err = {0};
	int64_t t = 0;
	int a, b;

	(void)state;
	assert_int_equal(cv_local_day_start("Asia/Shanghai", "2026-01-05", &t, &err), CV_OK);
	cv_time_text(t, out);
	assert_string_equal(out, "2026-01-04T16:00:00Z");
	assert_int_equal(cv_local_bound("Asia/Shanghai", "2026-01-05", 1, out, &err), CV_OK);
	assert_string_equal(out, "2026-01-05T15:59:59Z");
	assert_int_equal(cv_local_bound("UTC", "2026-01-05T01:02:03Z", 0, out, &err), CV_OK);
	assert_string_equal(out, "2026-01-05T01:02:03Z");
	/* Sao Paulo skipped its midnight on 2018-11-04: the day began at the
	 * jump, 01:00 local (UTC-2). */
	assert_int_equal(cv_local_day_start("America/Sao_Paulo", "2018-11-04", &t, &err), CV_OK);
	cv_time_text(t, out);
	assert_string_equal(out, "2018-11-04T03:00:00Z");
	assert_int_equal(cv_local_bound("UTC", "2026-02-30", 0, out, &err), CV_EUSAGE);
	assert_int_equal(cv_local_bound("UTC", "yesterday", 0, out, &err), CV_EUSAGE);

	assert_int_equal(cv_setting_hours("07:00-19:00", &a, &b), 0);
	assert_int_equal(a, 7 * 60);
	assert_int_equal(b, 19 * 60);
	assert_int_equal(cv_setting_hours("22:00-24:00", &a, &b), 0);
	assert_int_equal(b, 24 * 60);
	assert_int_equal(cv_setting_hours("24:00-06:00", &a, &b), -1);
	assert_int_equal(cv_setting_hours("07:00-07:00", &a, &b), -1);
	assert_int_equal(cv_setting_hours("7:00-19:00", &a, &b), -1);
	assert_int_equal(cv_setting_hours("07:60-19:00", &a, &b), -1);
	assert_int_equal(cv_setting_hours("07:00 19:00", &a, &b), -1);
	assert_int_equal(cv_setting_hours("07:00-19:00 ", &a, &b), -1);
}

static int no_setting(const cv_setting_info *i, void *arg)
{
	(void)i;
	(void)arg;
	return 0;
}

static void test_alert_settings(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *name, *value;
	} bad[] = {
	    {"alert_denials", "1"},	   {"alert_denials", "1001"},
	    {"alert_denial_minutes", "0"}, {"alert_denial_minutes", "1441"},
	    {"alert_logins", "1"},	   {"alert_cases", "0"},
	    {"alert_hours", "19:00"},	   {"alert_hours", "07:00-07:00"},
	    {"alert_hours", ""},
	};
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_err err = {0};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&err, 0, sizeof(err));
		if (cv_config_set(a, bad[i].name, bad[i].value, &err) != CV_EUSAGE)
			fail_msg("%s='%s' was not refused as a usage error", bad[i].name,
				 bad[i].value);
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM settings"), 0);
	assert_int_equal(cv_config_set(a, "alert_hours", "22:00-06:00", &err), CV_OK);
	assert_int_equal(cv_config_set(c, "alert_cases", "50", &err), CV_EDENIED);
	/* A threshold changed in the file is refused on read. */
	raw_exec(f->path, "UPDATE settings SET value = '23:00-06:00' WHERE name = 'alert_hours'");
	assert_int_equal(cv_config_list(a, no_setting, NULL, &err), CV_EINTEGRITY);
	assert_msg_has(err, "alert_hours");
}

/* ---- reviews on a vault ---------------------------------------------------------- */

/* carol opens a case without consent and writes a note under --crisis;
 * the crisis record's id goes to event. */
static void crisis_event(struct fix *f, char case_id[CV_CASE_ID_MAX], char event[CV_ID_MAX])
{
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	char note[CV_CASE_ID_MAX];
	cv_err err = {0};

	open_new(c, "S-1", "Wang Fang", case_id);
	if (cv_note_add(c, case_id, "session", "safety plan", 11, "risk of harm stated in session",
			note, &err) != CV_OK)
		fail_msg("crisis note: %s", err.msg);
	logout(c);
	q_text(f->path, event, CV_ID_MAX, "SELECT id FROM records WHERE type = 'crisis'");
	assert_id_shape(event, 'X', 6);
}

struct shown {
	char note[256];
	char reviewer[CV_NAME_MAX + 1];
	int n;
};

static int keep_shown(const cv_review_info *r, void *arg)
{
	struct shown *s = arg;

	snprintf(s->note, sizeof(s->note), "%s", r->note);
	snprintf(s->reviewer, sizeof(s->reviewer), "%s", r->reviewer);
	s->n++;
	return 0;
}

struct listed {
	char codes[16][40];
	char objects[16][48];
	size_t n;
};

static int keep_alert(const cv_alert *a, void *arg)
{
	struct listed *l = arg;

	if (l->n < 16) {
		snprintf(l->codes[l->n], sizeof(l->codes[0]), "%s", a->code);
		snprintf(l->objects[l->n], sizeof(l->objects[0]), "%s", a->object);
	}
	l->n++;
	return 0;
}

static size_t crisis_alerts(cv_session *s, const char *event)
{
	struct listed l = {0};
	cv_err err = {0};
	size_t n = 0;

	if (cv_audit_alerts(s, NULL, keep_alert, &l, &err) != CV_OK)
		fail_msg("alerts: %s", err.msg);
	for (size_t i = 0; i < l.n && i < 16; i++)
		n += strcmp(l.codes[i], "alert.crisis-unreviewed") == 0 &&
		     strcmp(l.objects[i], event) == 0;
	return n;
}

static void test_review_flow(void **state)
{
	struct fix *f = *state;
	char case_id[CV_CASE_ID_MAX], event[CV_ID_MAX], object[48];
	struct shown shown = {0};
	cv_session *sam, *carol, *alice;
	cv_err err = {0};

	crisis_event(f, case_id, event);
	sam = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(crisis_alerts(sam, event), 1);

	/* Refusals, each with its status and logged, none storing a row. */
	carol = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_audit_review(carol, event, "checked", &err), CV_EDENIED);
	assert_string_equal(err.code, "policy.role");
	alice = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_audit_review(alice, event, "checked", &err), CV_EDENIED);
	assert_int_equal(cv_audit_review(sam, "X-000000", "checked", &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "crisis.not-found");
	assert_int_equal(cv_audit_review(sam, case_id, "checked", &err), CV_ENOTFOUND);
	assert_int_equal(cv_audit_review(sam, "not an id", "checked", &err), CV_ENOTFOUND);
	assert_int_equal(cv_audit_review(sam, event, "", &err), CV_EUSAGE);
	assert_string_equal(err.code, "review.note-empty");
	assert_int_equal(cv_audit_review(sam, event, "a\001b", &err), CV_EUSAGE);
	assert_int_equal(cv_audit_review(sam, event,
					 "a\xe2\x80\xae"
					 "b",
					 &err),
			 CV_EUSAGE);
	assert_int_equal(cv_audit_review(sam, event, "\xff", &err), CV_EUSAGE);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM reviews"), 0);
	snprintf(object, sizeof(object), "crisis:%s", event);
	assert_int_equal(audit_rows(f->path, "sam", "audit.review", "failed", object), 4);
	assert_int_equal(audit_rows(f->path, "sam", "audit.review", "failed", "crisis:?"), 1);

	/* The review. */
	assert_int_equal(cv_audit_review(sam, event, "justified\nsecond line", &err), CV_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM reviews"), 1);
	assert_int_equal(audit_rows(f->path, "sam", "audit.review", "ok", object), 1);
	assert_int_equal(q_int(f->path,
			       "SELECT r.seq = a.seq FROM reviews r, audit a WHERE a.action ="
			       " 'audit.review' AND a.outcome = 'ok' AND a.object = 'crisis:' ||"
			       " r.event"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM reviews WHERE instr(note_box,"
					" 'justified') > 0"),
			 0);
	assert_int_equal(crisis_alerts(sam, event), 0);
	/* Never twice. */
	assert_int_equal(cv_audit_review(sam, event, "again", &err), CV_EDENIED);
	assert_string_equal(err.code, "review.already");
	assert_msg_has(err, "'sam'");

	/* Read back by a supervisor; a counselor and an admin may not. */
	assert_int_equal(cv_audit_review_show(sam, event, keep_shown, &shown, &err), CV_OK);
	assert_int_equal(shown.n, 1);
	assert_string_equal(shown.note, "justified\nsecond line");
	assert_string_equal(shown.reviewer, "sam");
	assert_int_equal(cv_audit_review_show(carol, event, keep_shown, &shown, &err), CV_EDENIED);
	assert_int_equal(cv_audit_review_show(alice, event, keep_shown, &shown, &err), CV_EDENIED);
	assert_int_equal(shown.n, 1);
	assert_int_equal(cv_reviews_verify(f->v, NULL, &err), CV_OK);

	/* sam makes new key pairs: the review, signed by the old ones, still
	 * verifies (the identity sam held at its row) and still opens. */
	assert_int_equal(cv_user_rotate(sam, PW_SAM, strlen(PW_SAM), &err), CV_OK);
	assert_int_equal(cv_reviews_verify(f->v, NULL, &err), CV_OK);
	assert_int_equal(cv_audit_review_show(sam, event, keep_shown, &shown, &err), CV_OK);
	assert_int_equal(shown.n, 2);
	assert_string_equal(shown.note, "justified\nsecond line");
}

/* A review made, then the file changed with sql; every read refuses it. */
typedef void (*mutation)(const char *path, const char *event, const char *other);

static void tampered(struct fix *f, mutation change, const char *names, const char *why)
{
	char case_id[CV_CASE_ID_MAX], event[CV_ID_MAX], other[CV_ID_MAX];
	struct shown shown = {0};
	struct listed l = {0};
	cv_session *sam;
	cv_err err = {0};

	crisis_event(f, case_id, event);
	sam = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_audit_review(sam, event, "justified", &err), CV_OK);
	logout(sam);
	/* A second event, not reviewed, for rows moved or planted onto it. */
	{
		cv_session *c = login_ok(f->v, "carol", PW_CAROL);
		char c2[CV_CASE_ID_MAX], note[CV_CASE_ID_MAX];

		open_new(c, "S-2", "Zhao Lei", c2);
		assert_int_equal(cv_note_add(c, c2, "session", "plan", 4,
					     "risk of harm stated again", note, &err),
				 CV_OK);
		logout(c);
		q_text(f->path, other, sizeof(other),
		       "SELECT id FROM records WHERE type = 'crisis' AND id <> '%s'", event);
	}
	change(f->path, event, other);
	sam = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_reviews_verify(f->v, NULL, &err), CV_EINTEGRITY);
	assert_msg_has(err, why);
	assert_msg_has(err, strcmp(names, "event") == 0 ? event : other);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_audit_alerts(sam, NULL, keep_alert, &l, &err), CV_EINTEGRITY);
	assert_int_equal(l.n, 0);
	assert_int_equal(audit_rows(f->path, "sam", "audit.alerts", "failed", "audit"), 1);
	/* Reading the review is refused the same way. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_audit_review_show(sam, strcmp(names, "event") == 0 ? event : other,
					      keep_shown, &shown, &err),
			 CV_EINTEGRITY);
	assert_msg_has(err, why);
	assert_int_equal(shown.n, 0);
}

static void box_changed(const char *path, const char *event, const char *other)
{
	(void)other;
	raw_exec(path,
		 "UPDATE reviews SET note_box = randomblob(length(note_box)) WHERE event = '%s'",
		 event);
}

static void moved(const char *path, const char *event, const char *other)
{
	raw_exec(path,
		 "UPDATE reviews SET event = '%s', case_id = (SELECT case_id FROM records WHERE"
		 " id = '%s') WHERE event = '%s'",
		 other, other, event);
}

static void planted(const char *path, const char *event, const char *other)
{
	raw_exec(path,
		 "INSERT INTO reviews SELECT '%s', (SELECT case_id FROM records WHERE id = '%s'),"
		 " reviewer_id, reviewed_at, seq, note_box, sig FROM reviews WHERE event = '%s'",
		 other, other, event);
}

static void deleted(const char *path, const char *event, const char *other)
{
	(void)other;
	raw_exec(path, "DELETE FROM reviews WHERE event = '%s'", event);
}

/* A row re-signed is out of reach without a key; a row whose reviewer is
 * changed to a counselor fails as not a supervisor's. */
static void reviewer_changed(const char *path, const char *event, const char *other)
{
	(void)other;
	raw_exec(path,
		 "UPDATE reviews SET reviewer_id = (SELECT id FROM users WHERE name = 'carol')"
		 " WHERE event = '%s'",
		 event);
}

static void test_review_box_changed(void **state)
{
	tampered(*state, box_changed, "event", "signature does not match");
}

static void test_review_moved(void **state)
{
	tampered(*state, moved, "other", "signature does not match");
}

static void test_review_planted(void **state)
{
	tampered(*state, planted, "other", "signature does not match");
}

static void test_review_deleted(void **state)
{
	tampered(*state, deleted, "event", "row is gone");
}

static void test_review_by_non_supervisor_refused(void **state)
{
	tampered(*state, reviewer_changed, "event", "not signed by a supervisor");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_denials),
	    cmocka_unit_test(test_failed_logins),
	    cmocka_unit_test(test_many_cases),
	    cmocka_unit_test(test_many_cases_by_note_reads),
	    cmocka_unit_test(test_exports_and_ignored_rows),
	    cmocka_unit_test(test_malformed_time),
	    cmocka_unit_test(test_off_hours),
	    cmocka_unit_test(test_off_hours_clock_change),
	    cmocka_unit_test(test_since_and_crisis),
	    cmocka_unit_test(test_local_days),
	    cmocka_unit_test_setup_teardown(test_alert_settings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_flow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_box_changed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_moved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_planted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_deleted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_by_non_supervisor_refused, setup, teardown),
	};

	if (cv_init(NULL) != CV_OK)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

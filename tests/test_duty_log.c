/*
 * test_duty_log.c - the duty log (R7) through the library: shifts are
 * stored in UTC from the vault's local time, signed by their counselor and
 * checked on every read; each refusal (overlap with the counselor's own
 * shift, the future, over 16 hours, a second open shift, no open shift,
 * bad input, the wrong role) has its status, reason code and audit row and
 * changes no shift; the weekly hours are the union of every counselor's
 * shifts in local ISO weeks; and a shift altered, planted, put back from
 * an older copy or deleted is refused on reading or by audit verify.
 */
#define FIXTURE_TAG "duty"
#include "case_fixture.h"
#include "cert.h"
#include "dutylog.h"
#include "banned.h"

#define assert_code(e, st, want)                                                                   \
	do {                                                                                       \
		assert_int_equal((e).status, (st));                                                \
		if (strcmp((e).code, (want)) != 0)                                                 \
			fail_msg("code '%s', want '%s' (%s)", (e).code, (want), (e).msg);          \
	} while (0)

#define ZONE "Asia/Shanghai"
#define HOUR 3600

/* The admin puts the vault in ZONE and the threshold at hours. */
static void configure(struct fix *f, const char *hours)
{
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_err err = {0};

	if (cv_config_set(a, "timezone", ZONE, &err) != CV_OK ||
	    (hours && cv_config_set(a, "duty_hours", hours, &err) != CV_OK))
		fail_msg("config set: %s", err.msg);
	logout(a);
}

static int64_t add_ok(cv_session *s, const char *from, const char *to, const char *room,
		      int64_t visits)
{
	cv_err err = {0};
	int64_t id = 0;

	if (cv_duty_add(s, from, to, room, visits, &id, &err) != CV_OK)
		fail_msg("duty add %s..%s: %s", from, to, err.msg);
	assert_true(id > 0);
	return id;
}

/* The local time now + delta seconds in ZONE, "YYYY-MM-DD HH:MM". */
static void local_at(int64_t delta, char out[CV_DUTY_LOCAL_LEN])
{
	cv_err err = {0};

	if (cv_duty_local_format(ZONE, (int64_t)time(NULL) + delta, out, &err) != CV_OK)
		fail_msg("local time: %s", err.msg);
}

#define SHIFTS_MAX 16
struct listed {
	cv_duty_info d[SHIFTS_MAX];
	char start[SHIFTS_MAX][CV_DUTY_TEXT_LEN], end[SHIFTS_MAX][CV_DUTY_TEXT_LEN];
	char who[SHIFTS_MAX][CV_NAME_MAX + 8], room[SHIFTS_MAX][CV_DUTY_ROOM_MAX + 1];
	char week[SHIFTS_MAX][CV_DUTY_WEEK_LEN]; /* d's strings live only in the callback */
	size_t n;
};

static int keep_shift(const cv_duty_info *d, void *arg)
{
	struct listed *l = arg;

	assert_true(l->n < SHIFTS_MAX);
	l->d[l->n] = *d;
	snprintf(l->start[l->n], CV_DUTY_TEXT_LEN, "%s", d->start);
	snprintf(l->end[l->n], CV_DUTY_TEXT_LEN, "%s", d->end);
	snprintf(l->who[l->n], sizeof(l->who[0]), "%s", d->counselor);
	snprintf(l->room[l->n], sizeof(l->room[0]), "%s", d->room);
	snprintf(l->week[l->n], sizeof(l->week[0]), "%s", d->week);
	l->n++;
	return 0;
}

static cv_status list(cv_session *s, const char *week, struct listed *l, cv_err *err)
{
	memset(l, 0, sizeof(*l));
	return cv_duty_list(s, week, keep_shift, l, err);
}

/* The minutes and under flag of week "YYYY-Www" among the weeks of
 * from..to, via the library function the export and the report call. */
static int64_t week_minutes(cv_session *s, const char *from, const char *to, const char *week,
			    int *under)
{
	cv_duty_date df, dt;
	cv_duty_week *w = NULL;
	size_t n = 0;
	int64_t minutes = -1, threshold = 0;
	cv_err err = {0};

	assert_int_equal(cv_duty_date_parse(from, &df, &err), CV_OK);
	assert_int_equal(cv_duty_date_parse(to, &dt, &err), CV_OK);
	if (cv_duty_hours(s, df, dt, &w, &n, &threshold, &err) != CV_OK)
		fail_msg("duty hours: %s", err.msg);
	for (size_t i = 0; i < n; i++) {
		cv_duty_isoweek iw = {w[i].iso_year, w[i].iso_week, w[i].monday};
		char name[CV_DUTY_WEEK_LEN];

		cv_duty_isoweek_format(&iw, name);
		if (strcmp(name, week) == 0) {
			minutes = w[i].minutes;
			if (under)
				*under = w[i].under;
		}
	}
	free(w);
	if (minutes < 0)
		fail_msg("week %s is not among the weeks of %s..%s", week, from, to);
	return minutes;
}

/* ---- storing and listing -------------------------------------------------- */

static void test_add_stores_utc_lists_local(void **state)
{
	struct fix *f = *state;
	cv_session *c;
	struct listed l;
	cv_err err = {0};
	int64_t id;

	configure(f, NULL);
	c = login_ok(f->v, "carol", PW_CAROL);
	id = add_ok(c, "2026-01-05 09:00", "2026-01-05 12:00", "Room 201", 2);
	/* 09:00 in Shanghai (UTC+8) is 01:00 UTC. */
	assert_int_equal(
	    q_int(f->path, "SELECT start_utc FROM duty WHERE id = %lld", (long long)id),
	    INT64_C(1767574800));
	assert_int_equal(
	    q_int(f->path, "SELECT end_utc - start_utc FROM duty WHERE id = %lld", (long long)id),
	    3 * HOUR);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM duty WHERE status = 'closed' AND"
					" visits = 2 AND room = 'Room 201' AND seq > 0"),
			 1);
	assert_int_equal(audit_rows(f->path, "carol", "duty.add", "ok", "duty:1"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'duty.add' AND"
					" detail = 'minutes=180 visits=2'"),
			 1);
	assert_int_equal(list(c, "2026-W02", &l, &err), CV_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.start[0], "2026-01-05 09:00");
	assert_string_equal(l.end[0], "2026-01-05 12:00");
	assert_string_equal(l.who[0], "carol");
	assert_string_equal(l.room[0], "Room 201");
	assert_int_equal(l.d[0].minutes, 180);
	assert_int_equal(l.d[0].visits, 2);
	assert_int_equal(l.d[0].open, 0);
	assert_string_equal(l.week[0], "2026-W02");
	assert_int_equal(audit_rows(f->path, "carol", "duty.list", "ok", "duty"), 1);
	/* Another week lists nothing. */
	assert_int_equal(list(c, "2026-W03", &l, &err), CV_OK);
	assert_int_equal(l.n, 0);
	logout(c);
}

/* Each refusal: its status and code, one audit row, no shift written. */
static void test_add_refusals(void **state)
{
	struct fix *f = *state;
	cv_session *c, *d;
	cv_err err = {0};
	int64_t id = 0;
	static const struct {
		const char *from, *to, *room;
		int64_t visits;
		cv_status st;
		const char *code;
	} bad[] = {
	    {"2026-01-05 10:00", "2026-01-05 11:00", NULL, 0, CV_EDENIED, "duty.overlap"},
	    {"2026-01-05 08:00", "2026-01-05 09:01", NULL, 0, CV_EDENIED, "duty.overlap"},
	    {"2099-01-05 08:00", "2099-01-05 09:00", NULL, 0, CV_EDENIED, "duty.future"},
	    {"2026-01-06 00:00", "2026-01-06 16:01", NULL, 0, CV_EDENIED, "duty.too-long"},
	    {"2026-01-06 10:00", "2026-01-06 09:00", NULL, 0, CV_EUSAGE, "duty.time"},
	    {"2026-01-06 10:00", "2026-01-06 10:00", NULL, 0, CV_EUSAGE, "duty.time"},
	    {"2026-13-06 10:00", "2026-01-06 11:00", NULL, 0, CV_EUSAGE, "duty.time"},
	    {"2026-01-06 10:00", "2026-01-06 25:00", NULL, 0, CV_EUSAGE, "duty.time"},
	    {"yesterday", "2026-01-06 11:00", NULL, 0, CV_EUSAGE, "duty.time"},
	    {"2026-01-06 10:00", "2026-01-06 11:00", "Room\x1b[2J", 0, CV_EUSAGE, "field.control"},
	    {"2026-01-06 10:00", "2026-01-06 11:00", NULL, CV_DUTY_VISITS_MAX + 1, CV_EUSAGE,
	     "duty.visits"},
	};

	configure(f, NULL);
	c = login_ok(f->v, "carol", PW_CAROL);
	d = login_ok(f->v, "dave", PW_DAVE);
	add_ok(c, "2026-01-05 09:00", "2026-01-05 12:00", NULL, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t before = q_int(f->path, "SELECT count(*) FROM audit WHERE action ="
						" 'duty.add' AND object = 'duty:new'");

		assert_int_equal(
		    cv_duty_add(c, bad[i].from, bad[i].to, bad[i].room, bad[i].visits, &id, &err),
		    bad[i].st);
		assert_code(err, bad[i].st, bad[i].code);
		assert_int_equal(id, 0);
		assert_int_equal(q_int(f->path, "SELECT count(*) FROM duty"), 1);
		assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action ="
						" 'duty.add' AND object = 'duty:new'"),
				 before + 1);
	}
	assert_int_equal(audit_rows(f->path, "carol", "duty.add", "denied", "duty:new"), 4);
	assert_int_equal(audit_rows(f->path, "carol", "duty.add", "failed", "duty:new"), 7);
	/* The overlap names the shift it meets, in local time. */
	assert_int_equal(cv_duty_add(c, "2026-01-05 11:00", "2026-01-05 13:00", NULL, 0, &id, &err),
			 CV_EDENIED);
	assert_msg_has(err, "shift 1, from '2026-01-05 09:00' to '2026-01-05 12:00'");
	/* Touching is not overlapping; another counselor may overlap. */
	add_ok(c, "2026-01-05 12:00", "2026-01-05 13:00", NULL, 0);
	add_ok(d, "2026-01-05 10:00", "2026-01-05 14:00", NULL, 0);
	/* Exactly 16 hours is allowed. */
	add_ok(c, "2026-01-06 00:00", "2026-01-06 16:00", NULL, 0);
	logout(c);
	logout(d);
}

static void test_roles(void **state)
{
	struct fix *f = *state;
	cv_session *sam = login_ok(f->v, "sam", PW_SAM);
	cv_session *alice = login_ok(f->v, "alice", PW_ALICE);
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	struct listed l;
	cv_err err = {0};
	int64_t id = 0;

	add_ok(c, "2026-02-02 09:00", "2026-02-02 11:00", NULL, 0);
	assert_int_equal(
	    cv_duty_add(sam, "2026-02-03 09:00", "2026-02-03 10:00", NULL, 0, &id, &err),
	    CV_EDENIED);
	assert_code(err, CV_EDENIED, "policy.role");
	assert_int_equal(cv_duty_start(sam, NULL, NULL, &id, &err), CV_EDENIED);
	assert_int_equal(cv_duty_end(sam, NULL, 0, &id, &err), CV_EDENIED);
	assert_int_equal(cv_duty_start(alice, NULL, NULL, &id, &err), CV_EDENIED);
	/* Supervisors see every counselor's shifts and the hours; admins do not. */
	assert_int_equal(list(sam, "2026-W06", &l, &err), CV_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.who[0], "carol");
	assert_int_equal(week_minutes(sam, "2026-02-02", "2026-02-08", "2026-W06", NULL), 120);
	assert_int_equal(list(alice, "2026-W06", &l, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "policy.role");
	assert_int_equal(
	    cv_duty_hours_list(alice, NULL, "2026-02-02", "2026-02-08", NULL, NULL, &err),
	    CV_EDENIED);
	assert_int_equal(audit_rows(f->path, "alice", "duty.list", "denied", "duty"), 1);
	assert_int_equal(audit_rows(f->path, "alice", "duty.hours", "denied", "duty"), 1);
	assert_int_equal(audit_rows(f->path, "sam", "duty.add", "denied", "duty:new"), 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM duty"), 1);
	/* cv_may refuses before any passphrase. */
	assert_int_equal(cv_may(f->v, "alice", CV_ACT_DUTY_LIST, NULL, &err), CV_EDENIED);
	assert_int_equal(cv_may(f->v, "sam", CV_ACT_DUTY_HOURS, NULL, &err), CV_OK);
	assert_int_equal(cv_may(f->v, "sam", CV_ACT_DUTY_START, NULL, &err), CV_EDENIED);
	/* A bad week or date is a usage error, logged with its code. */
	assert_int_equal(list(sam, "2026-W54", &l, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "duty.week");
	/* 2025 has 52 ISO weeks; 2026, which starts on a Thursday, has 53. */
	assert_int_equal(list(sam, "2025-W53", &l, &err), CV_EUSAGE);
	assert_int_equal(list(sam, "2026-W53", &l, &err), CV_OK);
	assert_int_equal(
	    cv_duty_hours_list(sam, NULL, "2026-02-30", "2026-03-01", NULL, NULL, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "duty.date");
	assert_int_equal(
	    cv_duty_hours_list(sam, NULL, "2026-03-01", "2026-02-01", NULL, NULL, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "duty.range");
	logout(sam);
	logout(alice);
	logout(c);
}

static void test_start_and_end(void **state)
{
	struct fix *f = *state;
	cv_session *c;
	char at[CV_DUTY_LOCAL_LEN], later[CV_DUTY_LOCAL_LEN];
	struct listed l;
	cv_err err = {0};
	int64_t id = 0, id2 = 0;

	configure(f, NULL);
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_duty_end(c, NULL, 0, &id, &err), CV_ENOTFOUND);
	assert_code(err, CV_ENOTFOUND, "duty.not-open");
	assert_int_equal(audit_rows(f->path, "carol", "duty.end", "failed", "duty"), 1);
	local_at(HOUR, later);
	assert_int_equal(cv_duty_start(c, NULL, later, &id, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "duty.future");
	local_at(-17 * HOUR, at);
	assert_int_equal(cv_duty_start(c, NULL, at, &id, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "duty.too-long");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM duty"), 0);

	local_at(-2 * HOUR, at);
	assert_int_equal(cv_duty_start(c, "Room 2", at, &id, &err), CV_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM duty WHERE status = 'open' AND"
					" end_utc = 0 AND room = 'Room 2'"),
			 1);
	assert_int_equal(audit_rows(f->path, "carol", "duty.start", "ok", "duty:1"), 1);
	assert_int_equal(cv_duty_start(c, NULL, NULL, &id2, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "duty.already-open");
	/* A shift logged after the fact may not overlap the open one. */
	local_at(-HOUR, later);
	assert_int_equal(cv_duty_add(c, at, later, NULL, 0, &id2, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "duty.overlap");
	assert_msg_has(err, "still open");
	/* Listed as open in its week. */
	assert_int_equal(list(c, NULL, &l, &err), CV_OK);
	assert_true(l.n >= 1);
	assert_int_equal(l.d[l.n - 1].open, 1);
	assert_string_equal(l.end[l.n - 1], "");
	/* An end before the start is refused; then it ends. */
	local_at(-3 * HOUR, later);
	assert_int_equal(cv_duty_end(c, later, 0, &id2, &err), CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "duty.time");
	assert_int_equal(cv_duty_end(c, NULL, 5, &id2, &err), CV_OK);
	assert_int_equal(id2, id);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM duty WHERE status = 'closed' AND"
			       " visits = 5 AND end_utc - start_utc BETWEEN 7200 AND 7500"),
			 1);
	assert_int_equal(audit_rows(f->path, "carol", "duty.end", "ok", "duty:1"), 1);
	assert_int_equal(cv_duty_end(c, NULL, 0, &id2, &err), CV_ENOTFOUND);
	logout(c);
}

/* An open shift that ran over 16 hours is ended with a time given. */
static void test_end_too_long(void **state)
{
	struct fix *f = *state;
	cv_session *c;
	char at[CV_DUTY_LOCAL_LEN], end[CV_DUTY_LOCAL_LEN];
	cv_err err = {0};
	int64_t id = 0;

	configure(f, NULL);
	c = login_ok(f->v, "carol", PW_CAROL);
	local_at(-15 * HOUR, at);
	assert_int_equal(cv_duty_start(c, NULL, at, &id, &err), CV_OK);
	/* Move the start back as if it had been left open: a forged row. */
	raw_exec(f->path, "UPDATE duty SET start_utc = start_utc - 7200");
	assert_int_equal(cv_duty_end(c, NULL, 0, &id, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "duty.forged");
	raw_exec(f->path, "UPDATE duty SET start_utc = start_utc + 7200");
	local_at(HOUR, end);
	assert_int_equal(cv_duty_end(c, end, 0, &id, &err), CV_EDENIED);
	assert_code(err, CV_EDENIED, "duty.future");
	local_at(-14 * HOUR, end);
	assert_int_equal(cv_duty_end(c, end, 1, &id, &err), CV_OK);
	logout(c);
}

/* ---- weekly hours --------------------------------------------------------- */

static void test_hours_union_weeks_zone(void **state)
{
	struct fix *f = *state;
	cv_session *c, *d, *sam;
	int under = -1;

	configure(f, "12");
	c = login_ok(f->v, "carol", PW_CAROL);
	d = login_ok(f->v, "dave", PW_DAVE);
	sam = login_ok(f->v, "sam", PW_SAM);
	/* W02: carol 09-12 and dave 11-14 on Monday: 5 hours, not 6. */
	add_ok(c, "2026-01-05 09:00", "2026-01-05 12:00", NULL, 0);
	add_ok(d, "2026-01-05 11:00", "2026-01-05 14:00", NULL, 0);
	/* Sunday 22:00 to Monday 02:00 local: 2 hours in each week. */
	add_ok(c, "2026-01-11 22:00", "2026-01-12 02:00", NULL, 0);
	/* Monday 07:00-09:00 in Shanghai is Sunday 23:00 UTC: all in W03. */
	add_ok(d, "2026-01-12 07:00", "2026-01-12 09:00", NULL, 0);
	assert_int_equal(week_minutes(sam, "2026-01-05", "2026-01-18", "2026-W02", &under), 7 * 60);
	assert_int_equal(under, 1);
	assert_int_equal(week_minutes(sam, "2026-01-05", "2026-01-18", "2026-W03", NULL), 4 * 60);
	/* A week at the threshold (12 h) is not under it; a shift inside
	 * another counts nothing more. */
	add_ok(c, "2026-01-19 08:00", "2026-01-19 16:00", NULL, 0);
	add_ok(d, "2026-01-19 10:00", "2026-01-19 12:00", NULL, 0);
	add_ok(d, "2026-01-20 08:00", "2026-01-20 12:00", NULL, 0);
	assert_int_equal(week_minutes(sam, "2026-01-19", "2026-01-19", "2026-W04", &under),
			 12 * 60);
	assert_int_equal(under, 0);
	/* Across the New Year: Sunday 2024-12-29 (2024-W52) 22:00 to Monday
	 * 2024-12-30 (2025-W01) 03:00. */
	add_ok(c, "2024-12-29 22:00", "2024-12-30 03:00", NULL, 0);
	assert_int_equal(week_minutes(sam, "2024-12-23", "2025-01-05", "2024-W52", NULL), 2 * 60);
	assert_int_equal(week_minutes(sam, "2024-12-23", "2025-01-05", "2025-W01", NULL), 3 * 60);
	/* 2026-01-01 (Thursday) is in 2026-W01, which starts 2025-12-29. */
	add_ok(d, "2025-12-31 20:00", "2026-01-01 01:00", NULL, 0);
	assert_int_equal(week_minutes(sam, "2026-01-01", "2026-01-01", "2026-W01", NULL), 5 * 60);
	/* The shifts themselves, for the report: those meeting a UTC range,
	 * oldest first, each counselor's. */
	{
		cv_duty_rec *r = NULL;
		size_t n = 0;
		cv_err err = {0};

		/* 2026-01-05T00:00Z .. 2026-01-12T00:00Z */
		assert_int_equal(cv_duty_shifts(sam, 1767571200, 1768176000, &r, &n, &err), CV_OK);
		assert_int_equal(n, 4);
		assert_int_equal(r[0].counselor_id, c->me.id);
		assert_int_equal(r[0].start_utc, 1767574800);
		assert_int_equal(r[1].counselor_id, d->me.id);
		assert_true(r[2].start_utc < r[3].start_utc);
		assert_int_equal(r[3].counselor_id, d->me.id); /* Sunday 23:00 UTC */
		free(r);
	}
	logout(c);
	logout(d);
	logout(sam);
}

struct weeks_seen {
	char week[8][CV_DUTY_WEEK_LEN];
	int64_t minutes[8], threshold;
	int under[8];
	size_t n;
};

static int keep_week(const cv_duty_week_info *w, void *arg)
{
	struct weeks_seen *ws = arg;

	assert_true(ws->n < 8);
	snprintf(ws->week[ws->n], CV_DUTY_WEEK_LEN, "%s", w->week);
	ws->minutes[ws->n] = w->minutes;
	ws->under[ws->n] = w->under;
	ws->threshold = w->threshold;
	ws->n++;
	return 0;
}

/* The first and last weeks of a long list, their number and minutes. */
struct span {
	char first[CV_DUTY_WEEK_LEN], last[CV_DUTY_WEEK_LEN];
	size_t n;
	int64_t minutes;
};

static int span_week(const cv_duty_week_info *w, void *arg)
{
	struct span *sp = arg;

	if (sp->n++ == 0)
		snprintf(sp->first, sizeof(sp->first), "%s", w->week);
	snprintf(sp->last, sizeof(sp->last), "%s", w->week);
	sp->minutes += w->minutes;
	return 0;
}

static void test_hours_list_logged(void **state)
{
	struct fix *f = *state;
	cv_session *c, *sam;
	struct span sp = {0};
	struct weeks_seen ws = {0};
	cv_err err = {0};

	configure(f, NULL);
	c = login_ok(f->v, "carol", PW_CAROL);
	sam = login_ok(f->v, "sam", PW_SAM);
	add_ok(c, "2026-03-02 08:00", "2026-03-02 18:00", NULL, 0);
	add_ok(c, "2026-03-10 08:00", "2026-03-10 17:59", NULL, 0);
	assert_int_equal(
	    cv_duty_hours_list(sam, NULL, "2026-03-02", "2026-03-15", keep_week, &ws, &err), CV_OK);
	assert_int_equal(ws.n, 2);
	assert_string_equal(ws.week[0], "2026-W10");
	assert_int_equal(ws.minutes[0], 600);
	assert_int_equal(ws.under[0], 0);
	assert_string_equal(ws.week[1], "2026-W11");
	assert_int_equal(ws.minutes[1], 599);
	assert_int_equal(ws.under[1], 1);
	assert_int_equal(ws.threshold, 600);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'sam' AND"
					" action = 'duty.hours' AND detail = 'from=2026-03-02"
					" to=2026-03-15 weeks=2 under=1'"),
			 1);
	/* A term is its whole months: 2026-autumn is 2026-09-01..2027-01-31,
	 * from the week of Monday 2026-08-31 to that of Monday 2027-01-25. */
	add_ok(c, "2026-09-07 08:00", "2026-09-07 10:30", NULL, 0);
	assert_int_equal(cv_duty_hours_list(sam, "2026-autumn", NULL, NULL, span_week, &sp, &err),
			 CV_OK);
	assert_string_equal(sp.first, "2026-W36");
	assert_string_equal(sp.last, "2027-W04");
	assert_int_equal(sp.n, 22);
	assert_int_equal(sp.minutes, 150);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'duty.hours' AND"
			       " detail = 'from=2026-09-01 to=2027-01-31 weeks=22 under=22'"),
			 1);
	assert_int_equal(cv_duty_hours_list(sam, "2026-winter", NULL, NULL, span_week, &sp, &err),
			 CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "duty.term");
	assert_int_equal(
	    cv_duty_hours_list(sam, "2026-autumn", "2026-09-01", NULL, span_week, &sp, &err),
	    CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "duty.term");
	assert_int_equal(cv_duty_hours_list(sam, NULL, "2026-09-01", NULL, span_week, &sp, &err),
			 CV_EUSAGE);
	assert_code(err, CV_EUSAGE, "duty.date");
	logout(c);
	logout(sam);
}

/* ---- signatures ------------------------------------------------------------ */

/* cv_duty_check: the counselor's own signature, and nobody else's. */
static void test_sign_and_check(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *sam = login_ok(f->v, "sam", PW_SAM);
	cv_duty_rec r = {.id = 5,
			 .counselor_id = c->me.id,
			 .room = "Room 1",
			 .status = "closed",
			 .start_utc = 1767574800,
			 .end_utc = 1767574800 + HOUR,
			 .visits = 1,
			 .created_at = "2026-01-05T02:00:00Z",
			 .seq = 40};
	cv_duty_rec x;
	cv_err err = {0};

	assert_int_equal(cv_duty_sign(f->v, &r, c->me.id, c->kh, &err), CV_OK);
	assert_int_equal(r.signer_id, c->me.id);
	assert_int_equal(cv_duty_check(f->v, &r, &err), CV_OK);
	/* Each column is covered. */
	for (int i = 0; i < 9; i++) {
		x = r;
		switch (i) {
		case 0:
			x.id++;
			break;
		case 1:
			x.room[0] = 'r';
			break;
		case 2:
			snprintf(x.status, sizeof(x.status), "open");
			break;
		case 3:
			x.start_utc--;
			break;
		case 4:
			x.end_utc++;
			break;
		case 5:
			x.visits++;
			break;
		case 6:
			x.created_at[3] = '7';
			break;
		case 7:
			x.seq++;
			break;
		default:
			x.sig[0] ^= 1;
			break;
		}
		assert_int_equal(cv_duty_check(f->v, &x, &err), CV_EINTEGRITY);
		assert_code(err, CV_EINTEGRITY, "duty.forged");
		assert_msg_has(err, i == 0 ? "shift 6 " : "shift 5 ");
	}
	/* Signed by carol for dave: not the counselor's own. */
	x = r;
	x.counselor_id = 3;
	assert_int_equal(cv_duty_sign(f->v, &x, c->me.id, c->kh, &err), CV_OK);
	assert_int_equal(cv_duty_check(f->v, &x, &err), CV_EINTEGRITY);
	/* A supervisor's own signature over a shift of theirs: not a counselor. */
	x = r;
	x.counselor_id = sam->me.id;
	assert_int_equal(cv_duty_sign(f->v, &x, sam->me.id, sam->kh, &err), CV_OK);
	assert_int_equal(cv_duty_check(f->v, &x, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "duty.forged");
	logout(c);
	logout(sam);
}

/* ---- tampering ------------------------------------------------------------ */

/* Every read refuses the shift: the list, the hours, and a new add. */
static void assert_refused(struct fix *f, cv_session *c, const char *code, const char *shift,
			   const char *day)
{
	char from[CV_DUTY_LOCAL_LEN], to[CV_DUTY_LOCAL_LEN];
	struct listed l;
	cv_err err = {0};
	char want[32];
	int64_t id = 0;
	cv_duty_date df, dt;
	cv_duty_week *w = NULL;
	size_t n = 0;

	snprintf(want, sizeof(want), "shift %s ", shift);
	assert_int_equal(list(c, "2026-W02", &l, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, code);
	assert_msg_has(err, want);
	assert_int_equal(l.n, 0);
	assert_int_equal(cv_duty_date_parse("2026-01-05", &df, &err), CV_OK);
	assert_int_equal(cv_duty_date_parse("2026-01-11", &dt, &err), CV_OK);
	assert_int_equal(cv_duty_hours(c, df, dt, &w, &n, NULL, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, code);
	assert_null(w);
	/* A new shift that day reads the counselor's shifts of that day. */
	snprintf(from, sizeof(from), "%s 06:00", day);
	snprintf(to, sizeof(to), "%s 20:00", day);
	assert_int_equal(cv_duty_add(c, from, to, NULL, 0, &id, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, code);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM duty WHERE start_utc >= 1767600000 AND"
			       " room = ''"),
			 0);
	assert_int_equal(audit_rows(f->path, "carol", "duty.list", "failed", "duty"), 1);
}

static cv_status verify(struct fix *f, cv_err *err)
{
	cv_session *sam = login_ok(f->v, "sam", PW_SAM);
	cv_audit_report rep;
	cv_status st = cv_audit_verify(sam, NULL, &rep, err);

	logout(sam);
	return st;
}

static cv_session *two_shifts(struct fix *f)
{
	cv_session *c;
	cv_err err = {0};

	c = login_ok(f->v, "carol", PW_CAROL);
	add_ok(c, "2026-01-05 09:00", "2026-01-05 12:00", "Room 1", 1);
	add_ok(c, "2026-01-06 09:00", "2026-01-06 12:00", "Room 1", 1);
	assert_int_equal(verify(f, &err), CV_OK);
	return c;
}

static void test_tamper_changed(void **state)
{
	struct fix *f = *state;
	cv_session *c = two_shifts(f);
	cv_err err = {0};

	raw_exec(f->path, "UPDATE duty SET end_utc = end_utc + 3600 WHERE id = 2");
	assert_refused(f, c, "duty.forged", "2", "2026-01-06");
	assert_int_equal(verify(f, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "rows.changed");
	assert_msg_has(err, "duty");
	logout(c);
}

static void test_tamper_room_and_signer(void **state)
{
	struct fix *f = *state;
	cv_session *c = two_shifts(f);

	raw_exec(f->path, "UPDATE duty SET room = 'Room 9' WHERE id = 1");
	assert_refused(f, c, "duty.forged", "1", "2026-01-05");
	raw_exec(f->path, "UPDATE duty SET room = 'Room 1', counselor_id = 3, signer_id = 3"
			  " WHERE id = 1");
	logout(c);
	c = login_ok(f->v, "dave", PW_DAVE);
	{
		struct listed l;
		cv_err err = {0};

		assert_int_equal(list(c, "2026-W02", &l, &err), CV_EINTEGRITY);
		assert_code(err, CV_EINTEGRITY, "duty.forged");
	}
	logout(c);
}

static void test_tamper_planted(void **state)
{
	struct fix *f = *state;
	cv_session *c = two_shifts(f);
	cv_err err = {0};

	/* A copy of a genuine row under a new id, moved to another week. */
	raw_exec(f->path, "INSERT INTO duty SELECT 7, counselor_id, room, status,"
			  " start_utc + 86400, end_utc + 86400, visits, created_at, seq,"
			  " signer_id, sig FROM duty WHERE id = 1");
	assert_refused(f, c, "duty.forged", "7", "2026-01-06");
	assert_int_equal(verify(f, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "rows.uncommitted");
	logout(c);
}

static void test_tamper_deleted(void **state)
{
	struct fix *f = *state;
	cv_session *c = two_shifts(f);
	struct listed l;
	cv_err err = {0};

	raw_exec(f->path, "DELETE FROM duty WHERE id = 2");
	/* A read cannot see what is gone; the log can. */
	assert_int_equal(list(c, "2026-W02", &l, &err), CV_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(verify(f, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "rows.missing");
	logout(c);
}

/* The open row, signed and genuine, put back after the shift ended. */
static void test_tamper_put_back(void **state)
{
	struct fix *f = *state;
	cv_session *c;
	char at[CV_DUTY_LOCAL_LEN], old[TEST_PATH_MAX];
	struct listed l;
	cv_err err = {0};
	int64_t id = 0;

	configure(f, NULL);
	c = login_ok(f->v, "carol", PW_CAROL);
	local_at(-2 * HOUR, at);
	assert_int_equal(cv_duty_start(c, NULL, at, &id, &err), CV_OK);
	tmpdir_file(old, sizeof(old), f->dir, "old.db");
	copy_db(f->path, old);
	assert_int_equal(cv_duty_end(c, NULL, 3, &id, &err), CV_OK);
	raw_exec(f->path,
		 "ATTACH '%s' AS old; UPDATE duty SET (status, end_utc, visits, seq, sig) ="
		 " (SELECT status, end_utc, visits, seq, sig FROM old.duty WHERE id = 1)"
		 " WHERE id = 1",
		 old);
	assert_int_equal(list(c, NULL, &l, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "duty.stale");
	assert_msg_has(err, "shift 1 ");
	assert_int_equal(cv_duty_end(c, NULL, 0, &id, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "duty.stale");
	logout(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_stores_utc_lists_local, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_and_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_end_too_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hours_union_weeks_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hours_list_logged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_and_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_changed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_room_and_signer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_planted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_deleted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_put_back, setup, teardown),
	};

	if (cv_init(NULL) != CV_OK)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

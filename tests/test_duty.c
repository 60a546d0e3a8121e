/*
 * test_duty.c - the duty log's time arithmetic (duty.c): zone names, local
 * time to UTC and back across the clock changes, ISO weeks around New Year,
 * the rules for a new shift and the open hours per local week.  Every
 * expected value is worked out by hand (UTC instants checked with
 * `date -u -d ... +%s`, the zones' changes with zdump).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "casevault.h"
#include "duty.h"
#include "banned.h"

#define HOUR 3600
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A UTC instant from its fields (timegm knows no zone). */
static int64_t U(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

static cv_duty_date D(int y, int m, int d)
{
	cv_duty_date out = {y, m, d};

	return out;
}

static cv_duty_shift S(int64_t counselor, int64_t start, int64_t end)
{
	cv_duty_shift s = {counselor, start, end};

	return s;
}

/* A local time in zone tz that must parse. */
static int64_t L(const char *tz, const char *local)
{
	cv_err err = {0};
	int64_t t = -1;

	if (cv_duty_local_parse(tz, local, &t, &err) != CV_OK)
		fail_msg("'%s' in %s: %s", local, tz, err.msg);
	return t;
}

#define EXPECT(call, want) expect_status((call), (want), &err, #call, __LINE__)

static void expect_status(cv_status got, cv_status want, const cv_err *err, const char *what,
			  int line)
{
	if (got != want)
		fail_msg("line %d: %s gave %d (%s), expected %d", line, what, (int)got, err->msg,
			 (int)want);
	if (want != CV_OK && err->msg[0] == '\0')
		fail_msg("line %d: %s refused without a message", line, what);
}

/* Checks one week of a result: ISO year and week, Monday, minutes, under. */
static void expect_week(const cv_duty_week *w, int iso_year, int iso_week, cv_duty_date monday,
			int64_t minutes, int under, int line)
{
	if (w->iso_year != iso_year || w->iso_week != iso_week)
		fail_msg("line %d: week %d-W%02d, expected %d-W%02d", line, w->iso_year,
			 w->iso_week, iso_year, iso_week);
	if (w->monday.year != monday.year || w->monday.month != monday.month ||
	    w->monday.day != monday.day)
		fail_msg("line %d: Monday %d-%02d-%02d, expected %d-%02d-%02d", line,
			 w->monday.year, w->monday.month, w->monday.day, monday.year, monday.month,
			 monday.day);
	if (w->minutes != minutes)
		fail_msg("line %d: %d-W%02d has %lld minutes, expected %lld", line, w->iso_year,
			 w->iso_week, (long long)w->minutes, (long long)minutes);
	if (w->under != under)
		fail_msg("line %d: %d-W%02d under is %d, expected %d", line, w->iso_year,
			 w->iso_week, w->under, under);
}

#define WEEK(w, y, n, mon, min, und) expect_week((w), (y), (n), (mon), (min), (und), __LINE__)

/* cv_duty_weeks that must succeed with want weeks. */
static cv_duty_week *weeks(const char *tz, const cv_duty_shift *all, size_t n, cv_duty_date from,
			   cv_duty_date to, int64_t threshold, size_t want)
{
	cv_duty_week *w = NULL;
	size_t got = 0;
	cv_err err = {0};

	if (cv_duty_weeks(tz, all, n, from, to, threshold, &w, &got, &err) != CV_OK)
		fail_msg("cv_duty_weeks: %s", err.msg);
	if (got != want)
		fail_msg("%zu weeks, expected %zu", got, want);
	return w;
}

/* ---- zones and dates ------------------------------------------------ */

static void test_tz_names(void **state)
{
	static const char *good[] = {
	    "Asia/Shanghai", "Europe/Berlin", "UTC", "Etc/GMT+8", "America/Argentina/Buenos_Aires",
	    "Cuba" /* a link */};
	static const char *bad[] = {
	    "Mars/Olympus",
	    "",
	    "asia/shanghai",
	    "Asia",	 /* a directory */
	    "zone.tab",	 /* in the directory, not a zone */
	    "right/UTC", /* leap-second clock */
	    "../../../etc/localtime",
	    "Asia/../Asia/Shanghai",
	    "./UTC",
	    "/usr/share/zoneinfo/UTC",
	    "Asia//Shanghai",
	    "Asia/Shanghai/",
	    "Asia/Shanghai\n",
	    "Asia/Shang hai",
	    "Asia/Shanghaiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	cv_err err = {0};
	cv_duty_week dummy;
	cv_duty_week *w = &dummy;
	size_t nw = 7;
	int64_t t = 7;
	char out[CV_DUTY_LOCAL_LEN];
	cv_duty_shift s = S(1, U(2026, 3, 2, 9, 0), U(2026, 3, 2, 10, 0));

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (cv_duty_tz_check(good[i], &err) != CV_OK)
			fail_msg("'%s' refused: %s", good[i], err.msg);
	EXPECT(cv_duty_tz_check(NULL, &err), CV_OK);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err.msg[0] = '\0';
		if (cv_duty_tz_check(bad[i], &err) != CV_EUSAGE)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err.msg, "is not known"));
	}
	/* Every entry point refuses an unknown zone. */
	EXPECT(cv_duty_local_parse("Mars/Olympus", "2026-03-02 06:00", &t, &err), CV_EUSAGE);
	assert_int_equal(t, 7);
	EXPECT(cv_duty_local_format("Mars/Olympus", 0, out, &err), CV_EUSAGE);
	EXPECT(cv_duty_check_new("Mars/Olympus", NULL, 0, &s, U(2026, 4, 1, 0, 0), NULL, &err),
	       CV_EUSAGE);
	EXPECT(
	    cv_duty_weeks("Mars/Olympus", &s, 1, D(2026, 3, 2), D(2026, 3, 8), 600, &w, &nw, &err),
	    CV_EUSAGE);
	assert_null(w);
	assert_int_equal(nw, 0);
}

/* Whole months as days: the first of the first, the last of the last,
 * leap years included. */
static void test_months(void **state)
{
	static const struct {
		const char *a, *b, *from, *to;
	} ok[] = {{"2026-09", "2027-01", "2026-09-01", "2027-01-31"},
		  {"2024-02", "2024-02", "2024-02-01", "2024-02-29"},
		  {"2026-02", "2026-04", "2026-02-01", "2026-04-30"},
		  {"2100-02", "2100-02", "2100-02-01", "2100-02-28"}};
	cv_duty_date f, t;
	char from[CV_DUTY_DATE_LEN], to[CV_DUTY_DATE_LEN];
	cv_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EXPECT(cv_duty_months(ok[i].a, ok[i].b, &f, &t, &err), CV_OK);
		cv_duty_date_format(f, from);
		cv_duty_date_format(t, to);
		assert_string_equal(from, ok[i].from);
		assert_string_equal(to, ok[i].to);
	}
	EXPECT(cv_duty_months("2026-13", "2027-01", &f, &t, &err), CV_EUSAGE);
	EXPECT(cv_duty_months("2026-09", "27-01", &f, &t, &err), CV_EUSAGE);
	EXPECT(cv_duty_months(NULL, "2027-01", &f, &t, &err), CV_EUSAGE);
}

static void test_dates(void **state)
{
	static const char *bad[] = {"2026-02-29", "2026-13-01",	 "2026-00-10", "2026-04-31",
				    "1969-12-31", "2026-3-1",	 "2026/03/01", "2026-03-01 ",
				    "",		  "10000-01-01", "2026-03-0a"};
	cv_duty_date d = {0, 0, 0};
	char out[CV_DUTY_DATE_LEN];
	cv_err err = {0};

	(void)state;
	EXPECT(cv_duty_date_parse("2024-02-29", &d, &err), CV_OK);
	assert_int_equal(d.year, 2024);
	assert_int_equal(d.month, 2);
	assert_int_equal(d.day, 29);
	cv_duty_date_format(d, out);
	assert_string_equal(out, "2024-02-29");
	EXPECT(cv_duty_date_parse("9999-12-31", &d, &err), CV_OK);
	EXPECT(cv_duty_date_parse("1970-01-01", &d, &err), CV_OK);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (cv_duty_date_parse(bad[i], &d, &err) != CV_EUSAGE)
			fail_msg("date '%s' accepted", bad[i]);
}

static void iso_case(cv_duty_date d, const char *want, cv_duty_date monday, int line)
{
	cv_duty_isoweek w;
	char out[CV_DUTY_WEEK_LEN];

	cv_duty_iso_week(d, &w);
	cv_duty_isoweek_format(&w, out);
	if (strcmp(out, want) != 0 || w.monday.year != monday.year ||
	    w.monday.month != monday.month || w.monday.day != monday.day)
		fail_msg("line %d: %d-%02d-%02d is %s from %d-%02d-%02d, expected %s", line, d.year,
			 d.month, d.day, out, w.monday.year, w.monday.month, w.monday.day, want);
}

#define ISO(d, want, mon) iso_case((d), (want), (mon), __LINE__)

static void test_iso_week(void **state)
{
	(void)state;
	/* 2026 starts on a Thursday, so its week 1 starts in December 2025
	 * and it has 53 weeks, the last ending on Sunday 2027-01-03. */
	ISO(D(2025, 12, 29), "2026-W01", D(2025, 12, 29));
	ISO(D(2026, 1, 1), "2026-W01", D(2025, 12, 29));
	ISO(D(2026, 1, 4), "2026-W01", D(2025, 12, 29));
	ISO(D(2026, 1, 5), "2026-W02", D(2026, 1, 5));
	ISO(D(2026, 3, 2), "2026-W10", D(2026, 3, 2));
	ISO(D(2026, 3, 29), "2026-W13", D(2026, 3, 23));
	ISO(D(2026, 12, 28), "2026-W53", D(2026, 12, 28));
	ISO(D(2026, 12, 31), "2026-W53", D(2026, 12, 28));
	ISO(D(2027, 1, 1), "2026-W53", D(2026, 12, 28));
	ISO(D(2027, 1, 3), "2026-W53", D(2026, 12, 28));
	ISO(D(2027, 1, 4), "2027-W01", D(2027, 1, 4));
	/* 2025 has 52 weeks; 2020 has 53. */
	ISO(D(2025, 12, 28), "2025-W52", D(2025, 12, 22));
	ISO(D(2024, 12, 30), "2025-W01", D(2024, 12, 30));
	ISO(D(2021, 1, 3), "2020-W53", D(2020, 12, 28));
	ISO(D(2024, 2, 29), "2024-W09", D(2024, 2, 26));
	ISO(D(1970, 1, 1), "1970-W01", D(1969, 12, 29));
}

static void test_iso_week_list(void **state)
{
	cv_duty_isoweek *w = NULL;
	size_t n = 0;
	cv_err err = {0};
	char s[CV_DUTY_WEEK_LEN];

	(void)state;
	/* Sunday 2026-12-20 to Sunday 2027-01-10. */
	EXPECT(cv_duty_iso_weeks(D(2026, 12, 20), D(2027, 1, 10), &w, &n, &err), CV_OK);
	assert_int_equal(n, 4);
	cv_duty_isoweek_format(&w[0], s);
	assert_string_equal(s, "2026-W51");
	assert_int_equal(w[0].monday.day, 14);
	cv_duty_isoweek_format(&w[1], s);
	assert_string_equal(s, "2026-W52");
	cv_duty_isoweek_format(&w[2], s);
	assert_string_equal(s, "2026-W53");
	assert_int_equal(w[2].monday.month, 12);
	assert_int_equal(w[2].monday.day, 28);
	cv_duty_isoweek_format(&w[3], s);
	assert_string_equal(s, "2027-W01");
	assert_int_equal(w[3].monday.year, 2027);
	assert_int_equal(w[3].monday.day, 4);
	free(w);

	EXPECT(cv_duty_iso_weeks(D(2026, 3, 4), D(2026, 3, 4), &w, &n, &err), CV_OK);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].week, 10);
	free(w);

	EXPECT(cv_duty_iso_weeks(D(2026, 3, 5), D(2026, 3, 4), &w, &n, &err), CV_EUSAGE);
	assert_null(w);
	EXPECT(cv_duty_iso_weeks(D(1970, 1, 1), D(1990, 1, 1), &w, &n, &err), CV_EUSAGE);
	assert_null(w);
	EXPECT(cv_duty_iso_weeks(D(2026, 2, 30), D(2026, 3, 4), &w, &n, &err), CV_EUSAGE);
	assert_null(w);
}

/* ---- local time ----------------------------------------------------- */

static void test_local_shanghai(void **state)
{
	static const char *bad[] = {"2026-03-02 24:00",	   "2026-03-02 6:00",  "2026-02-30 06:00",
				    "2026-03-02 06:00:00", "2026-03-02_06:00", "2026-03-02 06:60",
				    "2026-03-02",	   "1970-01-01 07:59"};
	char out[CV_DUTY_LOCAL_LEN];
	cv_duty_date d;
	cv_err err = {0};
	int64_t t = 0;

	(void)state;
	/* UTC+8 all year: 06:00 on Monday is 22:00 UTC on Sunday. */
	EXPECT(cv_duty_local_parse("Asia/Shanghai", "2026-03-02 06:00", &t, &err), CV_OK);
	assert_int_equal(t, 1772402400); /* 2026-03-01T22:00:00Z */
	assert_int_equal(t, U(2026, 3, 1, 22, 0));
	EXPECT(cv_duty_local_parse("Asia/Shanghai", "2026-03-02T06:00", &t, &err), CV_OK);
	assert_int_equal(t, 1772402400);
	EXPECT(cv_duty_local_format("Asia/Shanghai", 1772402400, out, &err), CV_OK);
	assert_string_equal(out, "2026-03-02 06:00");
	EXPECT(cv_duty_local_format("UTC", 1772402400, out, &err), CV_OK);
	assert_string_equal(out, "2026-03-01 22:00");
	EXPECT(cv_duty_local_date("Asia/Shanghai", 1772402400, &d, &err), CV_OK);
	assert_int_equal(d.day, 2);
	EXPECT(cv_duty_local_date("UTC", 1772402400, &d, &err), CV_OK);
	assert_int_equal(d.day, 1);
	/* Seconds are dropped when shown. */
	EXPECT(cv_duty_local_format("Asia/Shanghai", 1772402400 + 59, out, &err), CV_OK);
	assert_string_equal(out, "2026-03-02 06:00");
	/* The vault's stored time text, as the program shows it. */
	EXPECT(cv_time_local("Asia/Shanghai", "2026-03-01T22:00:59Z", out, &err), CV_OK);
	assert_string_equal(out, "2026-03-02 06:00");
	EXPECT(cv_time_local("UTC", "2026-03-01T22:00:59Z", out, &err), CV_OK);
	assert_string_equal(out, "2026-03-01 22:00");
	EXPECT(cv_time_local("Asia/Shanghai", "2026-03-01 22:00", out, &err), CV_EUSAGE);
	assert_string_equal(out, "");
	EXPECT(cv_time_local("Asia/Shanghai", "2026-02-30T22:00:00Z", out, &err), CV_EUSAGE);
	EXPECT(cv_time_local("Asia/Shanghai", NULL, out, &err), CV_EUSAGE);
	EXPECT(cv_time_local("Mars/Olympus", "2026-03-01T22:00:00Z", out, &err), CV_EUSAGE);
	assert_string_equal(out, "");

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		t = 7;
		if (cv_duty_local_parse("Asia/Shanghai", bad[i], &t, &err) != CV_EUSAGE)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(t, 7);
	}
	EXPECT(cv_duty_local_format("UTC", -1, out, &err), CV_EUSAGE);
	EXPECT(cv_duty_local_format("UTC", CV_DUTY_TIME_MAX + 1, out, &err), CV_EUSAGE);
	EXPECT(cv_duty_local_format("UTC", CV_DUTY_TIME_MAX, out, &err), CV_OK);
	assert_string_equal(out, "9999-12-31 23:59");
	/* Carried into the year 10000 by the offset. */
	EXPECT(cv_duty_local_format("Asia/Shanghai", CV_DUTY_TIME_MAX, out, &err), CV_EUSAGE);
}

static void test_local_berlin_dst(void **state)
{
	char out[CV_DUTY_LOCAL_LEN];
	cv_err err = {0};
	int64_t t = 7;

	(void)state;
	/* 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC. */
	assert_int_equal(L("Europe/Berlin", "2026-03-29 01:59"), U(2026, 3, 29, 0, 59));
	assert_int_equal(L("Europe/Berlin", "2026-03-29 03:00"), U(2026, 3, 29, 1, 0));
	EXPECT(cv_duty_local_parse("Europe/Berlin", "2026-03-29 02:00", &t, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "does not exist"));
	EXPECT(cv_duty_local_parse("Europe/Berlin", "2026-03-29 02:30", &t, &err), CV_EUSAGE);
	EXPECT(cv_duty_local_parse("Europe/Berlin", "2026-03-29 02:59", &t, &err), CV_EUSAGE);
	assert_int_equal(t, 7);

	/* 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC, so 02:30
	 * happens at 00:30 and at 01:30 UTC; the earlier is taken. */
	assert_int_equal(L("Europe/Berlin", "2026-10-25 02:30"), 1792888200); /* 00:30Z */
	assert_int_equal(L("Europe/Berlin", "2026-10-25 02:00"), U(2026, 10, 25, 0, 0));
	assert_int_equal(L("Europe/Berlin", "2026-10-25 01:59"), U(2026, 10, 24, 23, 59));
	assert_int_equal(L("Europe/Berlin", "2026-10-25 03:00"), U(2026, 10, 25, 2, 0));
	EXPECT(cv_duty_local_format("Europe/Berlin", 1792888200, out, &err), CV_OK);
	assert_string_equal(out, "2026-10-25 02:30");
	EXPECT(cv_duty_local_format("Europe/Berlin", 1792891800, out, &err), CV_OK); /* 01:30Z */
	assert_string_equal(out, "2026-10-25 02:30");

	/* Asia/Tehran 2021: 00:00 on Monday 03-22 was skipped (23:59:59
	 * +0330 was followed by 01:00 +0430). */
	EXPECT(cv_duty_local_parse("Asia/Tehran", "2021-03-22 00:00", &t, &err), CV_EUSAGE);
	EXPECT(cv_duty_local_parse("Asia/Tehran", "2021-03-22 00:30", &t, &err), CV_EUSAGE);
	assert_int_equal(L("Asia/Tehran", "2021-03-22 01:00"), 1616358600); /* 20:30Z */
}

/* The process's TZ is what it was before each call. */
static void test_tz_restored(void **state)
{
	struct tm tm;
	time_t probe = (time_t)1772402400;
	char out[CV_DUTY_LOCAL_LEN];
	cv_err err = {0};

	(void)state;
	assert_int_equal(setenv("TZ", "Asia/Tokyo", 1), 0);
	tzset();
	(void)L("Europe/Berlin", "2026-10-25 02:30");
	EXPECT(cv_duty_local_format("America/New_York", probe, out, &err), CV_OK);
	assert_string_equal(out, "2026-03-01 17:00");
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
	localtime_r(&probe, &tm);
	assert_int_equal(tm.tm_gmtoff, 9 * HOUR);
	assert_int_equal(tm.tm_hour, 7);

	/* NULL is the process's own zone: Tokyo here. */
	EXPECT(cv_duty_local_format(NULL, probe, out, &err), CV_OK);
	assert_string_equal(out, "2026-03-02 07:00");

	assert_int_equal(unsetenv("TZ"), 0);
	(void)L("Asia/Shanghai", "2026-03-02 06:00");
	assert_null(getenv("TZ"));
}

/* ---- open hours per week -------------------------------------------- */

/* 10 hours exactly is enough; 9:59 is under. */
static void test_week_threshold(void **state)
{
	cv_duty_shift all[] = {
	    /* 2026-W10: 4 h + 6 h = 600 minutes. */
	    S(1, U(2026, 3, 2, 8, 0), U(2026, 3, 2, 12, 0)),
	    S(1, U(2026, 3, 4, 13, 0), U(2026, 3, 4, 19, 0)),
	    /* 2026-W11: 5 h + 4:59 = 599 minutes. */
	    S(2, U(2026, 3, 9, 8, 0), U(2026, 3, 9, 13, 0)),
	    S(1, U(2026, 3, 15, 10, 0), U(2026, 3, 15, 14, 59)),
	};
	cv_duty_week *w = weeks("UTC", all, ARRAY_SIZE(all), D(2026, 3, 2), D(2026, 3, 15),
				CV_DUTY_THRESHOLD_DEFAULT, 2);

	(void)state;
	WEEK(&w[0], 2026, 10, D(2026, 3, 2), 600, 0);
	WEEK(&w[1], 2026, 11, D(2026, 3, 9), 599, 1);
	assert_int_equal(w[0].partial, 0);
	assert_int_equal(w[1].partial, 0);
	assert_int_equal(w[0].start_utc, U(2026, 3, 2, 0, 0));
	assert_int_equal(w[0].end_utc - w[0].start_utc, 168 * HOUR);
	free(w);

	/* One second short of 10 hours is under, and shows as 599 minutes. */
	all[0].end_utc -= 1;
	w = weeks("UTC", all, 2, D(2026, 3, 2), D(2026, 3, 8), 600, 1);
	WEEK(&w[0], 2026, 10, D(2026, 3, 2), 599, 1);
	free(w);
}

/* Two counselors on duty at once count once; the input order is free. */
static void test_union_two_counselors(void **state)
{
	cv_duty_shift all[] = {
	    S(2, U(2026, 3, 3, 11, 0), U(2026, 3, 3, 14, 0)),
	    S(1, U(2026, 3, 3, 9, 0), U(2026, 3, 3, 12, 0)),
	    /* Touching, not overlapping: 14:00 to 15:00 adds an hour. */
	    S(3, U(2026, 3, 3, 14, 0), U(2026, 3, 3, 15, 0)),
	    /* The same shift logged by two counselors. */
	    S(1, U(2026, 3, 5, 9, 0), U(2026, 3, 5, 10, 30)),
	    S(2, U(2026, 3, 5, 9, 0), U(2026, 3, 5, 10, 30)),
	};
	cv_duty_week *w = weeks("UTC", all, ARRAY_SIZE(all), D(2026, 3, 2), D(2026, 3, 8), 600, 1);

	(void)state;
	/* 09:00-15:00 (6 h) and 09:00-10:30 (1:30): 450, not 630. */
	WEEK(&w[0], 2026, 10, D(2026, 3, 2), 450, 1);
	free(w);
	/* Not changed by the call. */
	assert_int_equal(all[0].counselor, 2);
	assert_int_equal(all[0].start_utc, U(2026, 3, 3, 11, 0));
}

static void test_nested(void **state)
{
	cv_duty_shift all[] = {
	    S(1, U(2026, 3, 3, 10, 0), U(2026, 3, 3, 11, 0)),
	    S(2, U(2026, 3, 3, 8, 0), U(2026, 3, 3, 17, 0)),
	    S(3, U(2026, 3, 3, 8, 0), U(2026, 3, 3, 9, 0)),
	    S(1, U(2026, 3, 3, 16, 0), U(2026, 3, 3, 17, 0)),
	};
	cv_duty_week *w = weeks("UTC", all, ARRAY_SIZE(all), D(2026, 3, 2), D(2026, 3, 8), 600, 1);

	(void)state;
	WEEK(&w[0], 2026, 10, D(2026, 3, 2), 540, 1);
	free(w);
}

/* Sunday 22:00 to Monday 03:00: 2 hours in one week, 3 in the next. */
static void test_across_sunday_midnight(void **state)
{
	cv_duty_shift all[] = {S(1, U(2026, 3, 8, 22, 0), U(2026, 3, 9, 3, 0))};
	cv_duty_week *w = weeks("UTC", all, 1, D(2026, 3, 2), D(2026, 3, 15), 600, 2);

	(void)state;
	WEEK(&w[0], 2026, 10, D(2026, 3, 2), 120, 1);
	WEEK(&w[1], 2026, 11, D(2026, 3, 9), 180, 1);
	assert_int_equal(w[0].end_utc, w[1].start_utc);
	free(w);

	/* Only the second week asked for: the first part is not counted. */
	w = weeks("UTC", all, 1, D(2026, 3, 9), D(2026, 3, 9), 600, 1);
	WEEK(&w[0], 2026, 11, D(2026, 3, 9), 180, 1);
	assert_int_equal(w[0].partial, 1);
	free(w);
}

/* New Year inside ISO week 2026-W53, then into 2027-W01. */
static void test_year_boundary(void **state)
{
	cv_duty_shift all[] = {
	    S(1, U(2026, 12, 31, 20, 0), U(2027, 1, 1, 2, 0)),	  /* 6 h, all in W53 */
	    S(2, U(2027, 1, 3, 22, 0), U(2027, 1, 4, 1, 0)),	  /* 2 h W53, 1 h W01 */
	    S(1, U(2026, 12, 27, 23, 0), U(2026, 12, 28, 0, 30)), /* 1 h W52, 0:30 W53 */
	};
	cv_duty_week *w =
	    weeks("UTC", all, ARRAY_SIZE(all), D(2026, 12, 20), D(2027, 1, 10), 600, 4);

	(void)state;
	WEEK(&w[0], 2026, 51, D(2026, 12, 14), 0, 1);
	WEEK(&w[1], 2026, 52, D(2026, 12, 21), 60, 1);
	WEEK(&w[2], 2026, 53, D(2026, 12, 28), 360 + 120 + 30, 1);
	WEEK(&w[3], 2027, 1, D(2027, 1, 4), 60, 1);
	assert_int_equal(w[0].partial, 1); /* only Sunday 12-20 asked for */
	assert_int_equal(w[1].partial, 0);
	assert_int_equal(w[3].partial, 0); /* the range ends on its Sunday */
	free(w);
}

/* Shanghai: a Monday-morning shift is on Sunday in UTC but counts for the
 * local week starting Monday 2026-03-02. */
static void test_shanghai_week(void **state)
{
	cv_duty_shift all[] = {
	    S(1, L("Asia/Shanghai", "2026-03-02 06:00"), L("Asia/Shanghai", "2026-03-02 10:00"))};
	cv_duty_week *w = weeks("Asia/Shanghai", all, 1, D(2026, 2, 23), D(2026, 3, 8), 600, 2);

	(void)state;
	assert_int_equal(all[0].start_utc, 1772402400);
	WEEK(&w[0], 2026, 9, D(2026, 2, 23), 0, 1);
	WEEK(&w[1], 2026, 10, D(2026, 3, 2), 240, 1);
	assert_int_equal(w[1].start_utc, 1772380800); /* 2026-03-01T16:00:00Z */
	assert_int_equal(w[1].end_utc - w[1].start_utc, 168 * HOUR);
	free(w);

	/* The same shift counted in UTC weeks splits at UTC midnight. */
	w = weeks("UTC", all, 1, D(2026, 2, 23), D(2026, 3, 8), 600, 2);
	WEEK(&w[0], 2026, 9, D(2026, 2, 23), 120, 1);
	WEEK(&w[1], 2026, 10, D(2026, 3, 2), 120, 1);
	free(w);
}

/* Berlin's spring week has 167 hours and its autumn week 169. */
static void test_berlin_dst_weeks(void **state)
{
	cv_duty_shift spring[] = {
	    /* 01:00 CET to 04:00 CEST: two hours of real time. */
	    S(1, L("Europe/Berlin", "2026-03-29 01:00"), L("Europe/Berlin", "2026-03-29 04:00")),
	    /* Sunday 22:00 to Monday 02:00, both CEST: 2 h + 2 h. */
	    S(1, L("Europe/Berlin", "2026-03-29 22:00"), L("Europe/Berlin", "2026-03-30 02:00")),
	};
	cv_duty_shift autumn[] = {
	    /* 01:00 CEST to 04:00 CET: four hours. */
	    S(1, L("Europe/Berlin", "2026-10-25 01:00"), L("Europe/Berlin", "2026-10-25 04:00")),
	};
	cv_duty_shift full[14];
	cv_duty_week *w;

	(void)state;
	assert_int_equal(spring[0].end_utc - spring[0].start_utc, 2 * HOUR);
	w = weeks("Europe/Berlin", spring, ARRAY_SIZE(spring), D(2026, 3, 23), D(2026, 4, 5), 600,
		  2);
	WEEK(&w[0], 2026, 13, D(2026, 3, 23), 240, 1);
	WEEK(&w[1], 2026, 14, D(2026, 3, 30), 120, 1);
	assert_int_equal(w[0].start_utc, 1774220400); /* 2026-03-22T23:00:00Z */
	assert_int_equal(w[0].end_utc, 1774821600);   /* 2026-03-29T22:00:00Z */
	assert_int_equal(w[0].end_utc - w[0].start_utc, 167 * HOUR);
	assert_int_equal(w[1].end_utc - w[1].start_utc, 168 * HOUR);
	free(w);

	assert_int_equal(autumn[0].end_utc - autumn[0].start_utc, 4 * HOUR);
	w = weeks("Europe/Berlin", autumn, 1, D(2026, 10, 19), D(2026, 10, 25), 600, 1);
	WEEK(&w[0], 2026, 43, D(2026, 10, 19), 240, 1);
	assert_int_equal(w[0].start_utc, 1792360800); /* 2026-10-18T22:00:00Z */
	assert_int_equal(w[0].end_utc, 1792969200);   /* 2026-10-25T23:00:00Z */
	assert_int_equal(w[0].end_utc - w[0].start_utc, 169 * HOUR);

	/* Covered wall to wall by 14 twelve-hour shifts of two counselors
	 * (the last one 13 hours): 169 hours, none lost or doubled. */
	for (size_t i = 0; i < ARRAY_SIZE(full); i++) {
		int64_t a = w[0].start_utc + (int64_t)i * 12 * HOUR;

		full[i] = S(1 + (int64_t)(i % 2), a,
			    i + 1 < ARRAY_SIZE(full) ? a + 12 * HOUR : w[0].end_utc);
	}
	free(w);
	w = weeks("Europe/Berlin", full, ARRAY_SIZE(full), D(2026, 10, 12), D(2026, 11, 1), 600, 3);
	WEEK(&w[0], 2026, 42, D(2026, 10, 12), 0, 1);
	WEEK(&w[1], 2026, 43, D(2026, 10, 19), 169 * 60, 0);
	WEEK(&w[2], 2026, 44, D(2026, 10, 26), 0, 1);
	free(w);
}

/* Tehran 2021: Monday 03-22 00:00 never happened, so the week starts when
 * the clock jumped to 01:00 (20:30 UTC on Sunday). */
static void test_tehran_midnight_gap(void **state)
{
	cv_duty_shift all[] = {
	    /* 23:00 +0330 to 02:00 +0430: 19:30Z to 21:30Z. */
	    S(1, L("Asia/Tehran", "2021-03-21 23:00"), L("Asia/Tehran", "2021-03-22 02:00")),
	};
	cv_duty_week *w = weeks("Asia/Tehran", all, 1, D(2021, 3, 15), D(2021, 3, 28), 600, 2);

	(void)state;
	assert_int_equal(all[0].end_utc - all[0].start_utc, 2 * HOUR);
	WEEK(&w[0], 2021, 11, D(2021, 3, 15), 60, 1);
	WEEK(&w[1], 2021, 12, D(2021, 3, 22), 60, 1);
	assert_int_equal(w[0].start_utc, 1615753800); /* 2021-03-14T20:30:00Z */
	assert_int_equal(w[0].end_utc, 1616358600);   /* 2021-03-21T20:30:00Z */
	assert_int_equal(w[1].start_utc, 1616358600);
	assert_int_equal(w[1].end_utc, 1616959800); /* 2021-03-28T19:30:00Z */
	assert_int_equal(w[1].end_utc - w[1].start_utc, 167 * HOUR);
	free(w);
}

/* Weeks without shifts are listed; the threshold decides under. */
static void test_empty_weeks(void **state)
{
	cv_duty_week *w = weeks("UTC", NULL, 0, D(2026, 3, 4), D(2026, 3, 10), 600, 2);

	(void)state;
	WEEK(&w[0], 2026, 10, D(2026, 3, 2), 0, 1);
	WEEK(&w[1], 2026, 11, D(2026, 3, 9), 0, 1);
	assert_int_equal(w[0].partial, 1);
	assert_int_equal(w[1].partial, 1);
	free(w);
	w = weeks("UTC", NULL, 0, D(2026, 3, 4), D(2026, 3, 4), 0, 1);
	WEEK(&w[0], 2026, 10, D(2026, 3, 2), 0, 0);
	free(w);
}

static void test_weeks_refused(void **state)
{
	cv_duty_shift ok = S(1, U(2026, 3, 3, 9, 0), U(2026, 3, 3, 10, 0));
	cv_duty_shift backwards = S(1, U(2026, 3, 3, 10, 0), U(2026, 3, 3, 9, 0));
	cv_duty_shift early = S(1, -HOUR, U(2026, 3, 3, 9, 0));
	cv_duty_week *w = NULL;
	size_t n = 0;
	cv_err err = {0};

	(void)state;
	EXPECT(cv_duty_weeks("UTC", &ok, 1, D(2026, 3, 9), D(2026, 3, 2), 600, &w, &n, &err),
	       CV_EUSAGE);
	EXPECT(cv_duty_weeks("UTC", &ok, 1, D(2026, 3, 2), D(2026, 3, 8), -1, &w, &n, &err),
	       CV_EUSAGE);
	EXPECT(cv_duty_weeks("UTC", &ok, 1, D(2026, 3, 2), D(2026, 3, 8), 10081, &w, &n, &err),
	       CV_EUSAGE);
	EXPECT(cv_duty_weeks("UTC", &backwards, 1, D(2026, 3, 2), D(2026, 3, 8), 600, &w, &n, &err),
	       CV_EUSAGE);
	EXPECT(cv_duty_weeks("UTC", &early, 1, D(2026, 3, 2), D(2026, 3, 8), 600, &w, &n, &err),
	       CV_EUSAGE);
	EXPECT(cv_duty_weeks("UTC", &ok, 1, D(1970, 1, 1), D(1990, 1, 1), 600, &w, &n, &err),
	       CV_EUSAGE);
	assert_null(w);
	assert_int_equal(n, 0);
	EXPECT(cv_duty_weeks("UTC", &ok, 1, D(2026, 3, 2), D(2026, 3, 8), 10080, &w, &n, &err),
	       CV_OK);
	assert_int_equal(n, 1);
	free(w);
}

/* ---- a new shift ---------------------------------------------------- */

static void test_check_new(void **state)
{
	const int64_t now = U(2026, 3, 10, 0, 0);
	const cv_duty_shift existing[] = {
	    S(2, U(2026, 3, 2, 9, 0), U(2026, 3, 2, 12, 0)),
	    S(1, U(2026, 3, 2, 9, 0), U(2026, 3, 2, 12, 0)),
	};
	cv_duty_shift s;
	size_t at = 0;
	cv_err err = {0};

	(void)state;
	/* Overlapping counselor 2's shift is fine for counselor 3. */
	s = S(3, U(2026, 3, 2, 11, 0), U(2026, 3, 2, 13, 0));
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, &at, &err), CV_OK);
	assert_int_equal(at, (size_t)-1);
	/* Counselor 1 overlapping their own shift (index 1) is refused. */
	s.counselor = 1;
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, &at, &err), CV_EDENIED);
	assert_int_equal(at, 1);
	/* Nested inside it, and around it. */
	s = S(1, U(2026, 3, 2, 10, 0), U(2026, 3, 2, 11, 0));
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_EDENIED);
	s = S(1, U(2026, 3, 2, 8, 0), U(2026, 3, 2, 13, 0));
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_EDENIED);
	/* The message shows the other shift in local time. */
	EXPECT(cv_duty_check_new("Asia/Shanghai", existing, 2, &s, now, NULL, &err), CV_EDENIED);
	assert_non_null(strstr(err.msg, "'2026-03-02 17:00' to '2026-03-02 20:00'"));
	/* Touching at either end is not an overlap. */
	s = S(1, U(2026, 3, 2, 12, 0), U(2026, 3, 2, 13, 0));
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_OK);
	s = S(1, U(2026, 3, 2, 7, 0), U(2026, 3, 2, 9, 0));
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_OK);
	EXPECT(cv_duty_check_new("UTC", NULL, 0, &s, now, NULL, &err), CV_OK);

	/* 16 hours is the most. */
	s = S(1, U(2026, 3, 3, 6, 0), U(2026, 3, 3, 22, 0));
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_OK);
	s.end_utc += 60;
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_EDENIED);
	assert_non_null(strstr(err.msg, "16:01 long"));

	/* The end must come after the start. */
	s = S(1, U(2026, 3, 3, 10, 0), U(2026, 3, 3, 9, 0));
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_EUSAGE);
	s.end_utc = s.start_utc;
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_EUSAGE);

	/* Not in the future: ending now is fine, a minute later is not. */
	s = S(1, now - 2 * HOUR, now);
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_OK);
	s.end_utc = now + 60;
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_EDENIED);
	assert_non_null(strstr(err.msg, "future"));
	s = S(1, now + HOUR, now + 2 * HOUR);
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_EDENIED);

	/* Times out of range, and an unknown zone. */
	s = S(1, -HOUR, 0);
	EXPECT(cv_duty_check_new("UTC", existing, 2, &s, now, NULL, &err), CV_EUSAGE);
	s = S(1, U(2026, 3, 3, 9, 0), U(2026, 3, 3, 10, 0));
	EXPECT(cv_duty_check_new("Europe/Atlantis", existing, 2, &s, now, NULL, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "'Europe/Atlantis'"));
}

/* The checks a front end makes before asking for a passphrase: the form
 * alone, with the commands' codes and messages; a skipped local time is
 * well formed (only the vault's zone says it does not exist). */
static void test_checks_without_a_vault(void **state)
{
	static const char *bad_weeks[] = {"2026-W60", "2026-W00", "2025-W53", "2026W05",
					  "2026-w05", "1969-W52", "",	      "2026-W5"};
	static const char *bad_times[] = {"2026-11-24 25:00", "2026-11-24 23:60",
					  "2026-02-30 10:00", "2026-11-24",
					  "2026-11-24 9:00",  "x",
					  "1969-12-31 23:00", "2026-11-24 10:00:00"};
	static const char *bad_dates[] = {"2026-13-01", "2026-02-29", "26-01-01", ""};
	cv_err err = {0};

	(void)state;
	EXPECT(cv_duty_week_check("2026-W53", &err), CV_OK);
	EXPECT(cv_duty_week_check("2026-W05", &err), CV_OK);
	for (size_t i = 0; i < ARRAY_SIZE(bad_weeks); i++) {
		err = (cv_err){0};
		if (cv_duty_week_check(bad_weeks[i], &err) != CV_EUSAGE ||
		    strcmp(err.code, "duty.week") != 0)
			fail_msg("week '%s': code '%s'", bad_weeks[i], err.code);
	}
	EXPECT(cv_duty_week_check(NULL, &err), CV_EUSAGE);
	EXPECT(cv_duty_week_check("2026-W60", &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "week '2026-W60' is not valid; use YYYY-Www"));

	EXPECT(cv_duty_time_check("2026-11-24 23:59", &err), CV_OK);
	EXPECT(cv_duty_time_check("2026-11-24T00:00", &err), CV_OK);
	/* Skipped in Berlin (the clocks go from 02:00 to 03:00): well formed. */
	EXPECT(cv_duty_time_check("2026-03-29 02:30", &err), CV_OK);
	for (size_t i = 0; i < ARRAY_SIZE(bad_times); i++) {
		err = (cv_err){0};
		if (cv_duty_time_check(bad_times[i], &err) != CV_EUSAGE ||
		    strcmp(err.code, "duty.time") != 0)
			fail_msg("time '%s': code '%s'", bad_times[i], err.code);
	}
	EXPECT(cv_duty_time_check(NULL, &err), CV_EUSAGE);
	EXPECT(cv_duty_time_check("2026-11-24 25:00", &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "local time '2026-11-24 25:00' is not valid; use "
					"YYYY-MM-DD HH:MM (24-hour clock)"));

	EXPECT(cv_duty_date_check("2024-02-29", &err), CV_OK);
	for (size_t i = 0; i < ARRAY_SIZE(bad_dates); i++) {
		err = (cv_err){0};
		if (cv_duty_date_check(bad_dates[i], &err) != CV_EUSAGE ||
		    strcmp(err.code, "duty.date") != 0)
			fail_msg("date '%s': code '%s'", bad_dates[i], err.code);
	}
	/* A NULL error receiver is allowed, as everywhere in the API. */
	assert_int_equal(cv_duty_week_check("2026-W60", NULL), CV_EUSAGE);
	assert_int_equal(cv_duty_time_check("2026-11-24 25:00", NULL), CV_EUSAGE);
	assert_int_equal(cv_duty_date_check("2026-13-01", NULL), CV_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tz_names),	     cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_months),	     cmocka_unit_test(test_iso_week),
	    cmocka_unit_test(test_iso_week_list),    cmocka_unit_test(test_local_shanghai),
	    cmocka_unit_test(test_local_berlin_dst), cmocka_unit_test(test_tz_restored),
	    cmocka_unit_test(test_week_threshold),   cmocka_unit_test(test_union_two_counselors),
	    cmocka_unit_test(test_nested),	     cmocka_unit_test(test_across_sunday_midnight),
	    cmocka_unit_test(test_year_boundary),    cmocka_unit_test(test_shanghai_week),
	    cmocka_unit_test(test_berlin_dst_weeks), cmocka_unit_test(test_tehran_midnight_gap),
	    cmocka_unit_test(test_empty_weeks),	     cmocka_unit_test(test_weeks_refused),
	    cmocka_unit_test(test_check_new),	     cmocka_unit_test(test_checks_without_a_vault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

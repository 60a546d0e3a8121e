/*
 * duty.h - the duty log's time arithmetic (值班记录, R7): local time in the
 * vault's time zone, ISO weeks, the rules a new shift must pass and the open
 * hours of each week.  Layer: ground (pure computation over values the
 * caller passes in; no store, no keys).
 *
 * Times are stored as UTC seconds since the epoch (int64_t) and typed and
 * shown as local time in an IANA zone ("Asia/Shanghai") read from the
 * system's time zone database under CV_DUTY_ZONEINFO.  Every function that
 * takes a zone accepts NULL for the process's own local time (TZ from the
 * environment when set, else the system's /etc/localtime).
 *
 * Conversions use the C library's localtime_r: for the length of one call
 * the process's TZ is set to the zone's file and restored afterwards (with
 * tzset() both times).  That is safe in the single-threaded casevault
 * program; a threaded front end must not call these concurrently with
 * anything that reads the local time zone.
 *
 * Local times that a change of clock makes odd are resolved by one rule:
 * - a local time that does not exist (the hour skipped in spring) is
 *   refused when a person typed it;
 * - a local time that exists twice (the hour repeated in autumn) means the
 *   earlier instant;
 * - a week starts at the first instant whose local date is its Monday (so
 *   a Monday whose 00:00 is skipped starts when the clock jumps past it).
 * A week is thus 168 hours long, or 167 and 169 in the weeks the clocks
 * change, and the weeks partition time without gaps or overlaps.
 */
#ifndef CV_DUTY_H
#define CV_DUTY_H

#include <stddef.h>
#include <stdint.h>

#include "casevault.h"

/* Where zone names are looked up; TZDIR is deliberately not honoured. */
#define CV_DUTY_ZONEINFO "/usr/share/zoneinfo"
/* The longest zone name accepted (IANA's longest is about 30 bytes). */
#define CV_DUTY_TZ_MAX 64

/* The longest shift, in seconds (16 hours). */
#define CV_DUTY_SHIFT_MAX (16 * 3600)
/* The default weekly threshold of open hours, in minutes (10 hours). */
#define CV_DUTY_THRESHOLD_DEFAULT (10 * 60)
/* The most weeks one report covers (about 19 years). */
#define CV_DUTY_WEEKS_MAX 1000

/* Years a date may name, and the UTC range a stored time may take
 * (1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z). */
#define CV_DUTY_YEAR_MIN 1970
#define CV_DUTY_YEAR_MAX 9999
#define CV_DUTY_TIME_MAX INT64_C(253402300799)

/* "YYYY-MM-DD" plus NUL; "YYYY-MM-DD HH:MM" plus NUL; "YYYY-Www" plus NUL. */
#define CV_DUTY_DATE_LEN 11
#define CV_DUTY_LOCAL_LEN 17
#define CV_DUTY_WEEK_LEN 9

/* A calendar date (proleptic Gregorian); month 1..12, day 1..31. */
typedef struct cv_duty_date {
	int year;
	int month;
	int day;
} cv_duty_date;

/* An ISO 8601 week: its year (which differs from the calendar year of
 * some days around New Year), its number 1..53 and its Monday. */
typedef struct cv_duty_isoweek {
	int year;
	int week;
	cv_duty_date monday;
} cv_duty_isoweek;

/* One duty shift: a counselor's user id and the half-open interval
 * [start_utc, end_utc) it covers.  Shifts that only touch (one ends at
 * the minute the other starts) do not overlap. */
typedef struct cv_duty_shift {
	int64_t counselor;
	int64_t start_utc;
	int64_t end_utc;
} cv_duty_shift;

/* The open hours of one local ISO week. */
typedef struct cv_duty_week {
	int iso_year;
	int iso_week;
	cv_duty_date monday;
	int64_t start_utc; /* the week's first instant: Monday 00:00 local */
	int64_t end_utc;   /* the next week's first instant */
	int64_t minutes;   /* the union of all shifts in the week, whole minutes */
	int under;	   /* 1 when minutes is below the threshold */
	int partial;	   /* 1 when the requested dates cover only part of it */
} cv_duty_week;

/*
 * cv_duty_tz_check - tz must name a time zone file of the system's
 * database: 1..CV_DUTY_TZ_MAX bytes of [A-Za-z0-9_+-] in '/'-separated
 * components (no empty, "." or ".." component, no leading '/'), not under
 * "right/" (leap-second clocks), and CV_DUTY_ZONEINFO/tz must be a regular
 * file in the TZif format.  NULL (the process's own zone) passes.
 * Errors: CV_EUSAGE naming the zone.
 */
cv_status cv_duty_tz_check(const char *tz, cv_err *err);

/*
 * cv_duty_date_parse - "YYYY-MM-DD", a real date with the year in
 * CV_DUTY_YEAR_MIN..CV_DUTY_YEAR_MAX.  Errors: CV_EUSAGE.
 */
cv_status cv_duty_date_parse(const char *in, cv_duty_date *out, cv_err *err);

/*
 * cv_duty_months - the first day of month `first` and the last day of
 * month `last` (each "YYYY-MM", as the statistics name whole months) into
 * *from and *to.  Errors: CV_EUSAGE when either is not a month.
 */
cv_status cv_duty_months(const char *first, const char *last, cv_duty_date *from, cv_duty_date *to,
			 cv_err *err);

/* Writes d as "YYYY-MM-DD" (d must be valid, as from cv_duty_date_parse). */
void cv_duty_date_format(cv_duty_date d, char out[CV_DUTY_DATE_LEN]);

/* The ISO week a valid date falls in. */
void cv_duty_iso_week(cv_duty_date d, cv_duty_isoweek *out);

/* Writes w as "YYYY-Www", for example "2026-W01". */
void cv_duty_isoweek_format(const cv_duty_isoweek *w, char out[CV_DUTY_WEEK_LEN]);

/*
 * cv_duty_isoweek_parse - "YYYY-Www" (week 01..53, a week the year has),
 * with the year in CV_DUTY_YEAR_MIN..CV_DUTY_YEAR_MAX and a Monday in that
 * range.  Errors: CV_EUSAGE.
 */
cv_status cv_duty_isoweek_parse(const char *in, cv_duty_isoweek *out, cv_err *err);

/*
 * cv_duty_iso_weeks - every ISO week holding at least one day of
 * [from, to] (both inclusive), in order, into *out (malloc'd, free with
 * free()) and their number into *n.  Errors: CV_EUSAGE when a date is
 * invalid, from is after to, or the span is more than CV_DUTY_WEEKS_MAX
 * weeks; CV_ERROR when out of memory.  *out is NULL on failure.
 */
cv_status cv_duty_iso_weeks(cv_duty_date from, cv_duty_date to, cv_duty_isoweek **out, size_t *n,
			    cv_err *err);

/*
 * cv_duty_local_parse - a local time typed as "YYYY-MM-DD HH:MM" or
 * "YYYY-MM-DDTHH:MM" in zone tz, to UTC seconds.  A time the clocks skip
 * is refused; a time they repeat gives the earlier instant.  Errors:
 * CV_EUSAGE for an unknown zone, a malformed or impossible time, a
 * skipped time, or one outside 0..CV_DUTY_TIME_MAX once in UTC.
 */
cv_status cv_duty_local_parse(const char *tz, const char *in, int64_t *out_utc, cv_err *err);

/*
 * cv_duty_local_format - t (0..CV_DUTY_TIME_MAX) as local time in tz,
 * "YYYY-MM-DD HH:MM" (seconds are dropped, not rounded).  Errors:
 * CV_EUSAGE for an unknown zone or t out of range.
 */
cv_status cv_duty_local_format(const char *tz, int64_t t, char out[CV_DUTY_LOCAL_LEN], cv_err *err);

/*
 * cv_duty_local_date - the local date in tz of the instant t
 * (0..CV_DUTY_TIME_MAX).  Errors: as cv_duty_local_format.
 */
cv_status cv_duty_local_date(const char *tz, int64_t t, cv_duty_date *out, cv_err *err);

/*
 * cv_duty_check_new - may shift s join the log?  existing holds the shifts
 * already logged (any counselor's; n may be 0 and existing NULL); now is the
 * current UTC time; tz is used only to show times in messages.
 * Refusals:
 * - CV_EUSAGE: an unknown zone; a time outside 0..CV_DUTY_TIME_MAX; the end
 *   not after the start;
 * - CV_EDENIED: longer than CV_DUTY_SHIFT_MAX; ending after now (the
 *   future); overlapping another shift of the same counselor (shifts of
 *   other counselors may overlap: two people can be on duty at once).
 * When conflict is not NULL and the shift overlaps, *conflict receives the
 * index in existing of the first shift it overlaps, else (size_t)-1.
 */
cv_status cv_duty_check_new(const char *tz, const cv_duty_shift *existing, size_t n,
			    const cv_duty_shift *s, int64_t now, size_t *conflict, cv_err *err);

/*
 * cv_duty_weeks - the open hours of every local ISO week in zone tz that
 * holds at least one day of [from, to] (both inclusive): the union of all
 * shifts of all counselors (time covered by two shifts counts once), cut at
 * each week's first instant (Monday 00:00 local).  A week is counted whole
 * even when the dates cover part of it (partial is then 1); weeks without a
 * shift are listed with 0 minutes.  A week is under when its union is less
 * than threshold_minutes (0..10080) minutes; minutes is the union rounded
 * down to whole minutes, so under is exactly minutes < threshold_minutes.
 * all (NULL when n is 0) need not be sorted and is not changed.  The weeks go
 * to *out (malloc'd, free with free(); NULL on failure) and their number to
 * *nweeks.  Errors: CV_EUSAGE for an unknown zone, invalid dates, from after
 * to, more than CV_DUTY_WEEKS_MAX weeks, a threshold out of range or a shift
 * whose times are out of range or whose end is not after its start;
 * CV_ERROR when out of memory or the zone's clock misbehaves.
 */
cv_status cv_duty_weeks(const char *tz, const cv_duty_shift *all, size_t n, cv_duty_date from,
			cv_duty_date to, int64_t threshold_minutes, cv_duty_week **out,
			size_t *nweeks, cv_err *err);

#endif

/*
 * duty.c - the duty log's time arithmetic: zone names checked against the
 * system's time zone database, local time to UTC and back with one rule for
 * skipped and repeated hours, ISO weeks, the rules for a new shift and the
 * union of shifts per local week.  Layer: ground (no store, no keys).
 *
 * Calendar arithmetic is done on day numbers (days since 1970-01-01,
 * proleptic Gregorian) so that only the UTC offset of an instant comes from
 * the C library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "duty.h"
#include "err.h"
#include "banned.h"

_Static_assert(sizeof(time_t) >= 8, "time_t must hold years past 2038");

#define SECS_PER_DAY INT64_C(86400)
#define DAYS_PER_WEEK 7
#define MINUTES_PER_WEEK (7 * 24 * 60)
#define TZIF_MAGIC "TZif"
#define TZIF_MAGIC_LEN 4

/*
 * Finding the instants of a local time probes the zone's UTC offset every
 * PROBE_STEP across PROBE_SPAN either side: no UTC offset, local mean time
 * included, exceeds 16 hours, and no zone changes its offset twice within
 * 3 hours.
 */
#define PROBE_STEP (3 * 3600)
#define PROBE_SPAN (27 * 3600)
#define PROBES (2 * PROBE_SPAN / PROBE_STEP + 1)

/* ---- calendar ------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static cv_duty_date civil_from_days(int64_t z)
{
	cv_duty_date out;
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	out.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	out.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	out.year = (int)(yoe + era * 400 + (out.month <= 2));
	return out;
}

/* 0 for Monday .. 6 for Sunday; 1970-01-01 was a Thursday. */
static int weekday(int64_t z)
{
	return (int)(((z % DAYS_PER_WEEK) + DAYS_PER_WEEK + 3) % DAYS_PER_WEEK);
}

static int days_in_month(int y, int m)
{
	static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

static int date_valid(cv_duty_date d)
{
	return d.year >= CV_DUTY_YEAR_MIN && d.year <= CV_DUTY_YEAR_MAX && d.month >= 1 &&
	       d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month);
}

static int64_t date_days(cv_duty_date d)
{
	return days_from_civil(d.year, d.month, d.day);
}

/* The value of n decimal digits at s, or -1 when one is not a digit. */
static int digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "YYYY-MM-DD" at the start of s (the caller checked the length). */
static int date_scan(const char *s, cv_duty_date *d)
{
	if (s[4] != '-' || s[7] != '-')
		return 0;
	d->year = digits(s, 4);
	d->month = digits(s + 5, 2);
	d->day = digits(s + 8, 2);
	return date_valid(*d);
}

cv_status cv_duty_date_parse(const char *in, cv_duty_date *out, cv_err *err)
{
	cv_duty_date d;

	if (!in || strlen(in) != CV_DUTY_DATE_LEN - 1 || !date_scan(in, &d))
		return cv_fail(
		    err, CV_EUSAGE, "duty.date",
		    "date '{1}' is not valid; use YYYY-MM-DD, a real date in the years {2} to {3}",
		    in ? in : "", CV_NUM(CV_DUTY_YEAR_MIN), CV_NUM(CV_DUTY_YEAR_MAX));
	*out = d;
	return CV_OK;
}

cv_status cv_duty_months(const char *first, const char *last, cv_duty_date *from, cv_duty_date *to,
			 cv_err *err)
{
	char day[CV_DUTY_DATE_LEN];
	cv_status st;

	snprintf(day, sizeof(day), "%.7s-01", first ? first : "");
	st = cv_duty_date_parse(day, from, err);
	snprintf(day, sizeof(day), "%.7s-01", last ? last : "");
	if (st == CV_OK)
		st = cv_duty_date_parse(day, to, err);
	if (st == CV_OK)
		to->day = days_in_month(to->year, to->month);
	return st;
}

void cv_duty_date_format(cv_duty_date d, char out[CV_DUTY_DATE_LEN])
{
	snprintf(out, CV_DUTY_DATE_LEN, "%04u-%02u-%02u", (unsigned)d.year % 10000u,
		 (unsigned)d.month % 100u, (unsigned)d.day % 100u);
}

/* The ISO week of day number z: the week's Thursday decides its year. */
static void iso_week_of(int64_t z, cv_duty_isoweek *out)
{
	int64_t monday = z - weekday(z);
	int64_t thursday = monday + 3;
	int year = civil_from_days(thursday).year;

	out->year = year;
	out->week = (int)((thursday - days_from_civil(year, 1, 1)) / DAYS_PER_WEEK) + 1;
	out->monday = civil_from_days(monday);
}

void cv_duty_iso_week(cv_duty_date d, cv_duty_isoweek *out)
{
	iso_week_of(date_days(d), out);
}

void cv_duty_isoweek_format(const cv_duty_isoweek *w, char out[CV_DUTY_WEEK_LEN])
{
	snprintf(out, CV_DUTY_WEEK_LEN, "%04u-W%02u", (unsigned)w->year % 10000u,
		 (unsigned)w->week % 100u);
}

cv_status cv_duty_isoweek_parse(const char *in, cv_duty_isoweek *out, cv_err *err)
{
	cv_duty_isoweek w;
	int year, week;
	int64_t jan4, monday;

	if (!in || strlen(in) != CV_DUTY_WEEK_LEN - 1 || in[4] != '-' || in[5] != 'W')
		goto bad;
	year = digits(in, 4);
	week = digits(in + 6, 2);
	if (year < CV_DUTY_YEAR_MIN || year > CV_DUTY_YEAR_MAX || week < 1 || week > 53)
		goto bad;
	/* 4 January is always in week 1. */
	jan4 = days_from_civil(year, 1, 4);
	monday = jan4 - weekday(jan4) + (int64_t)(week - 1) * DAYS_PER_WEEK;
	iso_week_of(monday, &w);
	if (w.year != year || w.week != week || !date_valid(w.monday))
		goto bad;
	*out = w;
	return CV_OK;
bad:
	return cv_fail(
	    err, CV_EUSAGE, "duty.week",
	    "week '{1}' is not valid; use YYYY-Www, an ISO week the year has (such as 2026-W05)",
	    in ? in : "");
}

/* Checks [from, to] and finds the day number of its first Monday and the
 * number of weeks it touches. */
static cv_status week_span(cv_duty_date from, cv_duty_date to, int64_t *first_monday, size_t *count,
			   cv_err *err)
{
	char a[CV_DUTY_DATE_LEN], b[CV_DUTY_DATE_LEN];
	int64_t zf, zt, weeks;

	if (!date_valid(from) || !date_valid(to))
		return cv_fail(
		    err, CV_EUSAGE, "duty.range",
		    "a date of the range is not valid; use real dates in the years {1} to {2}",
		    CV_NUM(CV_DUTY_YEAR_MIN), CV_NUM(CV_DUTY_YEAR_MAX));
	zf = date_days(from);
	zt = date_days(to);
	cv_duty_date_format(from, a);
	cv_duty_date_format(to, b);
	if (zf > zt)
		return cv_fail(err, CV_EUSAGE, "duty.range",
			       "the range starts on '{1}', after it ends on '{2}'; swap the dates",
			       a, b);
	*first_monday = zf - weekday(zf);
	weeks = (zt - weekday(zt) - *first_monday) / DAYS_PER_WEEK + 1;
	if (weeks > CV_DUTY_WEEKS_MAX)
		return cv_fail(err, CV_EUSAGE, "duty.range",
			       "the range '{1}' to '{2}' spans {3} weeks; the limit is {4}, so ask "
			       "for a shorter range",
			       a, b, CV_NUM(weeks), CV_NUM(CV_DUTY_WEEKS_MAX));
	*count = (size_t)weeks;
	return CV_OK;
}

cv_status cv_duty_iso_weeks(cv_duty_date from, cv_duty_date to, cv_duty_isoweek **out, size_t *n,
			    cv_err *err)
{
	int64_t monday;
	size_t count;
	cv_status st;

	*out = NULL;
	*n = 0;
	st = week_span(from, to, &monday, &count, err);
	if (st != CV_OK)
		return st;
	*out = calloc(count, sizeof(**out));
	if (!*out)
		return cv_err_set(err, CV_ERROR, "out of memory listing %zu weeks", count);
	for (size_t k = 0; k < count; k++)
		iso_week_of(monday + (int64_t)k * DAYS_PER_WEEK, &(*out)[k]);
	*n = count;
	return CV_OK;
}

/* ---- time zones ----------------------------------------------------- */

static int tz_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '+' || c == '-';
}

/* The name's syntax: components of tz_char, none empty, "." or "..". */
static int tz_name_ok(const char *tz, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > CV_DUTY_TZ_MAX || strncmp(tz, "right/", 6) == 0)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && tz[i] != '/') {
			if (!tz_char(tz[i]))
				return 0;
			continue;
		}
		if (i == start || (i - start == 1 && tz[start] == '.') ||
		    (i - start == 2 && tz[start] == '.' && tz[start + 1] == '.'))
			return 0;
		start = i + 1;
	}
	return 1;
}

/* Whether path is a regular file that starts as a TZif file does. */
static int tzif_file(const char *path)
{
	char magic[TZIF_MAGIC_LEN];
	struct stat sb;
	ssize_t got;
	int fd, ok;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	if (ok) {
		do
			got = read(fd, magic, sizeof(magic));
		while (got < 0 && errno == EINTR);
		ok = got == (ssize_t)sizeof(magic) && memcmp(magic, TZIF_MAGIC, sizeof(magic)) == 0;
	}
	close(fd);
	return ok;
}

cv_status cv_duty_tz_check(const char *tz, cv_err *err)
{
	char path[sizeof(CV_DUTY_ZONEINFO) + CV_DUTY_TZ_MAX + 1];
	size_t n;

	if (!tz)
		return CV_OK;
	n = strlen(tz);
	if (!tz_name_ok(tz, n))
		goto bad;
	snprintf(path, sizeof(path), "%s/%s", CV_DUTY_ZONEINFO, tz);
	if (!tzif_file(path))
		goto bad;
	return CV_OK;
bad:
	return cv_fail(
	    err, CV_EUSAGE, "duty.timezone",
	    "time zone '{1}' is not known; use an IANA zone name such as 'Asia/Shanghai' (see {2})",
	    tz ? tz : "", CV_DUTY_ZONEINFO);
}

/*
 * The zone in force while a conversion runs.  TZ is process-wide, so
 * tz_enter saves it, points it at the zone's file and calls tzset();
 * tz_leave puts the old value back (or unsets it) and calls tzset() again.
 * Nothing between the two may call back into code that reads the zone.
 */
typedef struct tz_scope {
	char *saved;
	int had;
	int active;
} tz_scope;

static cv_status tz_enter(const char *tz, tz_scope *sc, cv_err *err)
{
	char val[sizeof(CV_DUTY_ZONEINFO) + CV_DUTY_TZ_MAX + 2];
	const char *old;
	cv_status st;

	memset(sc, 0, sizeof(*sc));
	st = cv_duty_tz_check(tz, err);
	if (st != CV_OK)
		return st;
	if (!tz) {
		tzset();
		return CV_OK;
	}
	old = getenv("TZ");
	if (old) {
		sc->saved = strdup(old);
		if (!sc->saved)
			return cv_err_set(err, CV_ERROR, "out of memory switching time zones");
		sc->had = 1;
	}
	/* A leading ':' and an absolute path: exactly the file checked above. */
	snprintf(val, sizeof(val), ":%s/%s", CV_DUTY_ZONEINFO, tz);
	if (setenv("TZ", val, 1) != 0) {
		free(sc->saved);
		sc->saved = NULL;
		return cv_fail(err, CV_ERROR, "error", "cannot switch to time zone '{1}': {2}", tz,
			       strerror(errno));
	}
	sc->active = 1;
	tzset();
	return CV_OK;
}

static void tz_leave(tz_scope *sc)
{
	if (!sc->active)
		return;
	if (sc->had)
		setenv("TZ", sc->saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(sc->saved);
	memset(sc, 0, sizeof(*sc));
}

/* The UTC offset in seconds at instant t in the zone in force. */
static int utc_offset(int64_t t, long *off)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return -1;
	*off = tm.tm_gmtoff;
	return 0;
}

enum resolved { RESOLVE_FAIL = -1, RESOLVE_GAP = 0, RESOLVE_FOUND = 1 };

/*
 * wall is a local date and time written as seconds as if it were UTC.
 * RESOLVE_FOUND: *t is the earliest instant t with t + offset(t) == wall.
 * RESOLVE_GAP: the clocks skip wall; *t is the instant they jump past it
 * (the first whose local time is later than wall).
 * RESOLVE_FAIL: the C library failed, or the zone's clock is not monotone
 * around wall in a way this cannot place.
 */
static enum resolved resolve(int64_t wall, int64_t *t)
{
	int64_t at[PROBES];
	long off[PROBES];
	int found = 0;

	for (int i = 0; i < PROBES; i++) {
		at[i] = wall - PROBE_SPAN + (int64_t)i * PROBE_STEP;
		if (utc_offset(at[i], &off[i]) != 0)
			return RESOLVE_FAIL;
	}
	for (int i = 0; i < PROBES; i++) {
		int64_t cand = wall - off[i];
		long o;

		if (i > 0 && off[i] == off[i - 1])
			continue;
		if (utc_offset(cand, &o) != 0)
			return RESOLVE_FAIL;
		if (o == off[i] && (!found || cand < *t)) {
			*t = cand;
			found = 1;
		}
	}
	if (found)
		return RESOLVE_FOUND;
	/* A gap: find the change of offset that skips wall. */
	for (int i = 0; i + 1 < PROBES; i++) {
		int64_t lo = at[i], hi = at[i + 1];
		long after;

		if (off[i] == off[i + 1])
			continue;
		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;
			long o;

			if (utc_offset(mid, &o) != 0)
				return RESOLVE_FAIL;
			if (o == off[i])
				lo = mid;
			else
				hi = mid;
		}
		if (utc_offset(hi, &after) != 0)
			return RESOLVE_FAIL;
		if (hi + off[i] <= wall && wall < hi + after) {
			*t = hi;
			return RESOLVE_GAP;
		}
	}
	return RESOLVE_FAIL;
}

/* Local fields of t in the zone in force. */
static int local_fields(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	return localtime_r(&tt, tm) ? 0 : -1;
}

static int time_in_range(int64_t t)
{
	return t >= 0 && t <= CV_DUTY_TIME_MAX;
}

/* "YYYY-MM-DD HH:MM" (or with 'T'): a real date and a clock time, as the
 * seconds of local wall time since the epoch's date; 0 when it is not. */
static int local_scan(const char *in, int64_t *wall)
{
	cv_duty_date d;
	int h, mi;

	if (!in || strlen(in) != CV_DUTY_LOCAL_LEN - 1 || !date_scan(in, &d) ||
	    (in[10] != ' ' && in[10] != 'T') || in[13] != ':')
		return 0;
	h = digits(in + 11, 2);
	mi = digits(in + 14, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59)
		return 0;
	*wall = date_days(d) * SECS_PER_DAY + h * 3600 + mi * 60;
	return 1;
}

static cv_status bad_local(const char *in, cv_err *err)
{
	return cv_fail(err, CV_EUSAGE, "duty.time",
		       "local time '{1}' is not valid; use YYYY-MM-DD HH:MM (24-hour clock)",
		       in ? in : "");
}

cv_status cv_duty_time_check(const char *local, cv_err *err)
{
	CV_ERR_GUARD(err);
	int64_t wall;

	return local_scan(local, &wall) ? CV_OK : bad_local(local, err);
}

cv_status cv_duty_week_check(const char *week, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_duty_isoweek w;

	return cv_duty_isoweek_parse(week, &w, err);
}

cv_status cv_duty_date_check(const char *date, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_duty_date d;

	return cv_duty_date_parse(date, &d, err);
}

cv_status cv_duty_local_parse(const char *tz, const char *in, int64_t *out_utc, cv_err *err)
{
	int64_t wall, t = 0;
	enum resolved r;
	tz_scope sc;
	cv_status st;

	if (!local_scan(in, &wall))
		return bad_local(in, err);

	st = tz_enter(tz, &sc, err);
	if (st != CV_OK)
		return st;
	r = resolve(wall, &t);
	tz_leave(&sc);
	if (r == RESOLVE_FAIL)
		return cv_fail(err, CV_ERROR, "duty.time", "cannot place '{1}' in time zone '{2}'",
			       in, tz ? tz : "local");
	if (r == RESOLVE_GAP)
		return cv_fail(err, CV_EUSAGE, "duty.time",
			       "local time '{1}' does not exist in time zone '{2}' (the clocks "
			       "skip it); give a time before or after the change",
			       in, tz ? tz : "local");
	if (!time_in_range(t))
		return cv_fail(err, CV_EUSAGE, "duty.time",
			       "local time '{1}' is outside the years {2} to {3} in UTC; give a "
			       "later or earlier time",
			       in, CV_NUM(CV_DUTY_YEAR_MIN), CV_NUM(CV_DUTY_YEAR_MAX));
	*out_utc = t;
	return CV_OK;
}

/* Local fields of t in zone tz, with the range checks the callers share. */
static cv_status local_tm(const char *tz, int64_t t, struct tm *tm, cv_err *err)
{
	tz_scope sc;
	cv_status st;
	int rc;

	if (!time_in_range(t))
		return cv_fail(err, CV_EUSAGE, "duty.time",
			       "time {1} is outside the years {2} to {3}; it cannot be shown",
			       CV_NUM(t), CV_NUM(CV_DUTY_YEAR_MIN), CV_NUM(CV_DUTY_YEAR_MAX));
	st = tz_enter(tz, &sc, err);
	if (st != CV_OK)
		return st;
	rc = local_fields(t, tm);
	tz_leave(&sc);
	if (rc != 0)
		return cv_fail(err, CV_ERROR, "error", "cannot convert time {1} to local time",
			       CV_NUM(t));
	/* A positive offset can carry 9999-12-31 into year 10000. */
	if (tm->tm_year + 1900 > CV_DUTY_YEAR_MAX)
		return cv_fail(err, CV_EUSAGE, "duty.time",
			       "time {1} is after the year {2} in local time; it cannot be shown",
			       CV_NUM(t), CV_NUM(CV_DUTY_YEAR_MAX));
	return CV_OK;
}

cv_status cv_duty_local_format(const char *tz, int64_t t, char out[CV_DUTY_LOCAL_LEN], cv_err *err)
{
	struct tm tm;
	cv_status st = local_tm(tz, t, &tm, err);

	if (st != CV_OK)
		return st;
	snprintf(out, CV_DUTY_LOCAL_LEN, "%04u-%02u-%02u %02u:%02u",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u);
	return CV_OK;
}

cv_status cv_duty_local_date(const char *tz, int64_t t, cv_duty_date *out, cv_err *err)
{
	struct tm tm;
	cv_status st = local_tm(tz, t, &tm, err);

	if (st != CV_OK)
		return st;
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	return CV_OK;
}

/* ---- shifts --------------------------------------------------------- */

/* t for a message: local time, or the raw number when it cannot be shown. */
static void show_time(const char *tz, int64_t t, char out[CV_DUTY_LOCAL_LEN + 8])
{
	char local[CV_DUTY_LOCAL_LEN];

	if (cv_duty_local_format(tz, t, local, NULL) == CV_OK)
		snprintf(out, CV_DUTY_LOCAL_LEN + 8, "%s", local);
	else
		snprintf(out, CV_DUTY_LOCAL_LEN + 8, "@%lld", (long long)t);
}

/* The shift on its own: in range, end after start, not too long, not in
 * the future. */
static cv_status check_shape(const char *tz, const cv_duty_shift *s, int64_t now, cv_err *err)
{
	char a[CV_DUTY_LOCAL_LEN + 8], b[CV_DUTY_LOCAL_LEN + 8];
	int64_t len;

	if (!time_in_range(s->start_utc) || !time_in_range(s->end_utc))
		return cv_fail(err, CV_EUSAGE, "duty.time",
			       "the shift's times are outside the years {1} to {2}; correct them",
			       CV_NUM(CV_DUTY_YEAR_MIN), CV_NUM(CV_DUTY_YEAR_MAX));
	len = s->end_utc - s->start_utc;
	if (len > 0 && len <= CV_DUTY_SHIFT_MAX && s->end_utc <= now)
		return CV_OK;
	show_time(tz, s->start_utc, a);
	show_time(tz, s->end_utc, b);
	if (len <= 0)
		return cv_fail(
		    err, CV_EUSAGE, "duty.time",
		    "the shift ends at '{1}', not after it starts at '{2}'; correct its times", b,
		    a);
	if (len > CV_DUTY_SHIFT_MAX) {
		char span[48];

		snprintf(span, sizeof(span), "%lld:%02lld", (long long)(len / 3600),
			 (long long)(len % 3600 / 60));
		return cv_fail(err, CV_EDENIED, "duty.too-long",
			       "the shift from '{1}' to '{2}' is {3} long; a shift is at most {4} "
			       "hours, so split it or correct its times",
			       a, b, span, CV_NUM(CV_DUTY_SHIFT_MAX / 3600));
	}
	return cv_fail(
	    err, CV_EDENIED, "duty.future",
	    "the shift ends at '{1}', which is in the future; log a shift once it has ended", b);
}

cv_status cv_duty_check_new(const char *tz, const cv_duty_shift *existing, size_t n,
			    const cv_duty_shift *s, int64_t now, size_t *conflict, cv_err *err)
{
	char a[CV_DUTY_LOCAL_LEN + 8], b[CV_DUTY_LOCAL_LEN + 8];
	cv_status st;

	if (conflict)
		*conflict = (size_t)-1;
	st = cv_duty_tz_check(tz, err);
	if (st != CV_OK)
		return st;
	st = check_shape(tz, s, now, err);
	if (st != CV_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		const cv_duty_shift *e = &existing[i];

		if (e->counselor != s->counselor || e->start_utc >= s->end_utc ||
		    s->start_utc >= e->end_utc)
			continue;
		if (conflict)
			*conflict = i;
		show_time(tz, e->start_utc, a);
		show_time(tz, e->end_utc, b);
		return cv_fail(err, CV_EDENIED, "duty.overlap",
			       "the shift overlaps the same counselor's shift from '{1}' to '{2}'; "
			       "correct its times",
			       a, b);
	}
	return CV_OK;
}

/* ---- weeks ---------------------------------------------------------- */

static int shift_cmp(const void *pa, const void *pb)
{
	const cv_duty_shift *a = pa, *b = pb;

	if (a->start_utc != b->start_utc)
		return a->start_utc < b->start_utc ? -1 : 1;
	if (a->end_utc != b->end_utc)
		return a->end_utc < b->end_utc ? -1 : 1;
	return 0;
}

/* Sets each week's start_utc and end_utc: the first instant of its Monday
 * and of the next, in the zone in force. */
static cv_status week_bounds(cv_duty_week *w, size_t count, int64_t first_monday, cv_err *err)
{
	int64_t prev = 0;

	for (size_t k = 0; k <= count; k++) {
		int64_t day = first_monday + (int64_t)k * DAYS_PER_WEEK, t = 0;

		if (resolve(day * SECS_PER_DAY, &t) == RESOLVE_FAIL || (k > 0 && t <= prev))
			return cv_err_set(err, CV_ERROR,
					  "cannot find where the week of day %lld starts in the "
					  "time zone",
					  (long long)day);
		if (k < count)
			w[k].start_utc = t;
		if (k > 0)
			w[k - 1].end_utc = t;
		prev = t;
	}
	return CV_OK;
}

/* Adds the seconds of [a, b) that fall in each week to its minutes field
 * (which holds seconds until the caller converts it), starting the search
 * at *from, which moves forward as the sorted intervals do. */
static void add_interval(cv_duty_week *w, size_t count, size_t *from, int64_t a, int64_t b)
{
	while (*from < count && w[*from].end_utc <= a)
		(*from)++;
	for (size_t k = *from; k < count && w[k].start_utc < b; k++) {
		int64_t lo = a > w[k].start_utc ? a : w[k].start_utc;
		int64_t hi = b < w[k].end_utc ? b : w[k].end_utc;

		if (hi > lo)
			w[k].minutes += hi - lo;
	}
}

cv_status cv_duty_weeks(const char *tz, const cv_duty_shift *all, size_t n, cv_duty_date from,
			cv_duty_date to, int64_t threshold_minutes, cv_duty_week **out,
			size_t *nweeks, cv_err *err)
{
	cv_duty_shift *v = NULL;
	cv_duty_week *w = NULL;
	int64_t first_monday, zf, zt;
	size_t count, next = 0;
	tz_scope sc;
	cv_status st;

	*out = NULL;
	*nweeks = 0;
	st = cv_duty_tz_check(tz, err);
	if (st != CV_OK)
		return st;
	st = week_span(from, to, &first_monday, &count, err);
	if (st != CV_OK)
		return st;
	if (threshold_minutes < 0 || threshold_minutes > MINUTES_PER_WEEK)
		return cv_fail(err, CV_EUSAGE, "duty.range",
			       "the weekly threshold of {1} minutes is not valid; give 0 to {2}",
			       CV_NUM(threshold_minutes), CV_NUM(MINUTES_PER_WEEK));
	for (size_t i = 0; i < n; i++)
		if (!time_in_range(all[i].start_utc) || !time_in_range(all[i].end_utc) ||
		    all[i].end_utc <= all[i].start_utc)
			return cv_fail(err, CV_EUSAGE, "duty.range",
				       "shift {1} of the list is not valid (its end must follow "
				       "its start within the years {2} to {3})",
				       CV_NUM((long long)i), CV_NUM(CV_DUTY_YEAR_MIN),
				       CV_NUM(CV_DUTY_YEAR_MAX));

	w = calloc(count, sizeof(*w));
	if (!w || (n > 0 && !(v = malloc(n * sizeof(*v))))) {
		st = cv_err_set(err, CV_ERROR, "out of memory counting %zu weeks", count);
		goto out;
	}
	st = tz_enter(tz, &sc, err);
	if (st != CV_OK)
		goto out;
	st = week_bounds(w, count, first_monday, err);
	tz_leave(&sc);
	if (st != CV_OK)
		goto out;

	/* Merge the sorted shifts into disjoint intervals, each added once. */
	if (n > 0) {
		memcpy(v, all, n * sizeof(*v));
		qsort(v, n, sizeof(*v), shift_cmp);
	}
	for (size_t i = 0; i < n;) {
		int64_t a = v[i].start_utc, b = v[i].end_utc;

		for (i++; i < n && v[i].start_utc <= b; i++)
			if (v[i].end_utc > b)
				b = v[i].end_utc;
		add_interval(w, count, &next, a, b);
	}

	zf = date_days(from);
	zt = date_days(to);
	for (size_t k = 0; k < count; k++) {
		cv_duty_isoweek iw;
		int64_t monday = first_monday + (int64_t)k * DAYS_PER_WEEK;

		iso_week_of(monday, &iw);
		w[k].iso_year = iw.year;
		w[k].iso_week = iw.week;
		w[k].monday = iw.monday;
		w[k].under = w[k].minutes < threshold_minutes * 60;
		w[k].minutes /= 60;
		w[k].partial = monday < zf || monday + DAYS_PER_WEEK - 1 > zt;
	}
	*out = w;
	*nweeks = count;
	w = NULL;
out:
	free(v);
	free(w);
	return st;
}

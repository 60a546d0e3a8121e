/*
 * localday.c - middle layer: local dates in the vault's time zone (see
 * localday.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "duty.h"
#include "err.h"
#include "localday.h"
#include "settings.h"
#include "text.h"
#include "banned.h"

/* How far past midnight a day's first instant may lie when the clocks
 * skip midnight (real zones skip at most an hour or two). */
#define GAP_MINUTES_MAX 180

_Static_assert(CV_LOCAL_TIME_LEN == CV_DUTY_LOCAL_LEN, "a local time is shown as duty.c writes it");
_Static_assert(CV_ZONE_MAX >= CV_LOCAL_TZ_CAP, "every zone the setting holds fits");
#define GAP_STEP_MINUTES 15

cv_status cv_local_zone(cv_vault *v, char *buf, const char **tz, cv_err *err)
{
	cv_status st = cv_setting_text(v, CV_SET_TIMEZONE, buf, NULL, NULL, err);

	*tz = st == CV_OK && buf[0] ? buf : NULL;
	return st;
}

cv_status cv_local_today(cv_vault *v, char out[11], cv_err *err)
{
	char buf[CV_LOCAL_TZ_CAP];
	const char *tz = NULL;
	cv_duty_date d;
	cv_status st = cv_local_zone(v, buf, &tz, err);

	if (st == CV_OK)
		st = cv_duty_local_date(tz, cv_clock(), &d, err);
	if (st == CV_OK)
		cv_duty_date_format(d, out);
	return st;
}

cv_status cv_local_day_start(const char *tz, const char *date, int64_t *utc, cv_err *err)
{
	char local[CV_DUTY_LOCAL_LEN];
	cv_status st = cv_date_check("date", date, err);

	for (int m = 0; st == CV_OK && m <= GAP_MINUTES_MAX; m += GAP_STEP_MINUTES) {
		cv_err ignored = {0};

		/* m is at most GAP_MINUTES_MAX: two digits of hours */
		snprintf(local, sizeof(local), "%.10s %02u:%02u", date, (unsigned)(m / 60) % 100u,
			 (unsigned)(m % 60) % 60u);
		st = cv_duty_local_parse(tz, local, utc, &ignored);
		if (st == CV_OK)
			return CV_OK;
		if (st != CV_EUSAGE) {
			if (err)
				*err = ignored;
			return st;
		}
		st = CV_OK; /* skipped by the clocks: try a little later */
	}
	if (st != CV_OK)
		return st;
	return cv_fail(err, CV_EUSAGE, "date.invalid",
		       "{1} '{2}' has no local midnight in this time zone; give another date",
		       "date", date);
}

cv_status cv_local_bound(const char *tz, const char *in, int upper, char out[CV_TIME_LEN],
			 cv_err *err)
{
	char next[11];
	int64_t t;
	cv_status st;

	if (!in || strlen(in) != 10)
		return cv_time_bound(in, upper, out, err);
	if (cv_date_check("date", in, err) != CV_OK)
		return CV_EUSAGE;
	if (upper) {
		cv_date_add_days(in, 1, next);
		st = cv_local_day_start(tz, next, &t, err);
		t -= 1;
	} else {
		st = cv_local_day_start(tz, in, &t, err);
	}
	if (st != CV_OK)
		return st;
	if (t < 0)
		t = 0;
	cv_time_text(t, out);
	return CV_OK;
}

cv_status cv_time_local(const char *zone, const char *utc, char out[CV_LOCAL_TIME_LEN], cv_err *err)
{
	int64_t t;
	cv_status st;

	CV_ERR_GUARD(err);
	out[0] = '\0';
	if (cv_time_secs(utc, &t) != 0)
		return cv_err_set(err, CV_EUSAGE, "'%s' is not a time of the vault",
				  utc ? utc : "");
	st = cv_duty_local_format(zone && *zone ? zone : NULL, t, out, err);
	if (st != CV_OK)
		out[0] = '\0';
	return st;
}

int cv_time_secs(const char *s, int64_t *out)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec;
	char tail;
	time_t t;

	if (!s || strlen(s) != CV_TIME_LEN - 1 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail) != 7 ||
	    tail != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || y < CV_DUTY_YEAR_MIN || tm.tm_mday != d || tm.tm_hour != h ||
	    tm.tm_min != mi || tm.tm_sec != sec || tm.tm_mon != mo - 1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

void cv_time_text(int64_t t, char out[CV_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || t > CV_DUTY_TIME_MAX || !gmtime_r(&tt, &tm)) {
		snprintf(out, CV_TIME_LEN, "1970-01-01T00:00:00Z");
		return;
	}
	strftime(out, CV_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

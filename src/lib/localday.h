/*
 * localday.h - middle layer: dates typed by users as local dates in the
 * vault's time zone (the signed `timezone` setting; empty: the system's
 * zone), turned into the UTC times the vault stores, and the UTC time
 * text of the log as seconds.  The arithmetic is duty.h's.
 */
#ifndef CV_LOCALDAY_H
#define CV_LOCALDAY_H

#include "session.h"

/* Holds a zone name (the setting's value). */
#define CV_LOCAL_TZ_CAP 128

/* The vault's time zone: *tz points into buf (CV_LOCAL_TZ_CAP bytes), or
 * is NULL for the system's own zone.  CV_EINTEGRITY when the setting fails
 * verification. */
cv_status cv_local_zone(cv_vault *v, char *buf, const char **tz, cv_err *err);

/* Today's local date (YYYY-MM-DD) in the vault's time zone, by the
 * library's clock (cv_clock).  CV_EINTEGRITY when the timezone setting
 * fails verification. */
cv_status cv_local_today(cv_vault *v, char out[11], cv_err *err);

/* The first instant (UTC seconds) of local date `date` (YYYY-MM-DD) in
 * zone tz: its 00:00, or, on a day whose midnight the clocks skip, the
 * instant they jump to.  CV_EUSAGE for a date that is not one. */
cv_status cv_local_day_start(const char *tz, const char *date, int64_t *utc, cv_err *err);

/*
 * cv_local_bound - a bound typed by a user: a date YYYY-MM-DD is a local
 * date in tz (an upper bound: up to the end of that day), a full UTC time
 * YYYY-MM-DDTHH:MM:SSZ is taken as it is; out receives the UTC time text.
 * CV_EUSAGE "date.invalid" for anything else.
 */
cv_status cv_local_bound(const char *tz, const char *in, int upper, char out[CV_TIME_LEN],
			 cv_err *err);

/* The vault's time text "YYYY-MM-DDTHH:MM:SSZ" as UTC seconds; -1 when
 * it is not one. */
int cv_time_secs(const char *s, int64_t *out);
/* UTC seconds (0..CV_DUTY_TIME_MAX) as the vault's time text. */
void cv_time_text(int64_t t, char out[CV_TIME_LEN]);

#endif

/*
 * dutylog.h - commands layer: the duty log (值班记录, R7).  The shifts in the
 * vault's duty table, each signed by the counselor who logged it and checked
 * on every read, and the open hours per local ISO week that the statistics
 * export and the compliance report need.  The public commands (duty start,
 * end, add, list, hours) are declared in casevault.h; this header holds what
 * other library modules call.
 */
#ifndef CV_DUTYLOG_H
#define CV_DUTYLOG_H

#include "duty.h"
#include "session.h"

/*
 * cv_duty_zone - the vault's `timezone` setting (verified) into tz
 * (CV_DUTY_TZ_MAX + 1 bytes); *zone is tz, or NULL when the setting is
 * empty (the system's zone), ready for the functions of duty.h.
 */
cv_status cv_duty_zone(cv_vault *v, char tz[CV_DUTY_TZ_MAX + 1], const char **zone, cv_err *err);

/*
 * cv_duty_shifts - every shift that meets [from_utc, to_utc) (an open one
 * meets every range after its start), oldest first, each verified
 * (signature, counselor, shape, and that it is the row the log last wrote
 * for it).  *out is malloc'd (free with free(); NULL when *n is 0).  No
 * policy check and no audit row: the caller checks and logs its own
 * action.  CV_EINTEGRITY "duty.forged", "duty.malformed" or "duty.stale"
 * naming the first shift that fails.
 */
cv_status cv_duty_shifts(cv_session *s, int64_t from_utc, int64_t to_utc, cv_duty_rec **out,
			 size_t *n, cv_err *err);

/*
 * cv_duty_hours - the open hours of every local ISO week (in the vault's
 * zone) that holds a day of [from, to]: the union of every counselor's
 * ended shifts, each week marked under the `duty_hours` threshold (see
 * cv_duty_weeks).  *threshold_minutes (may be NULL) receives the
 * threshold.  For the statistics export and the compliance report
 * (supervisors): like cv_duty_shifts, it checks no policy and writes no
 * row.  *weeks is malloc'd (free with free()).  Errors: CV_EUSAGE for a
 * range cv_duty_weeks refuses; CV_EINTEGRITY as cv_duty_shifts, or for a
 * setting that fails verification.
 */
cv_status cv_duty_hours(cv_session *s, cv_duty_date from, cv_duty_date to, cv_duty_week **weeks,
			size_t *n, int64_t *threshold_minutes, cv_err *err);

#endif

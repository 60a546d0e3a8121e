/*
 * alerts.h - commands: `audit alerts` and `audit review` (R2, R9), and
 * the alert engine behind them: a pure computation over audit rows fed in
 * log order (no store, no keys), so that its windows and thresholds can
 * be tested on rows made up for the purpose.
 */
#ifndef CV_ALERTS_H
#define CV_ALERTS_H

#include "session.h"

/* Alert kinds: the reason codes of docs/FORMAT.md §22.3. */
#define CV_ALERT_CRISIS "alert.crisis-unreviewed"
#define CV_ALERT_DENIALS "alert.denials"
#define CV_ALERT_LOGINS "alert.failed-logins"
#define CV_ALERT_HOURS "alert.off-hours"
#define CV_ALERT_CASES "alert.many-cases"
#define CV_ALERT_EXPORT "alert.stats-export"

/* The window of failed logins and of distinct cases decrypted. */
#define CV_ALERT_HOUR_SECS 3600

/* What the engine looks for (the signed settings, as numbers). */
typedef struct cv_alert_rules {
	int64_t denials;     /* this many denied rows by one user ... */
	int64_t denial_secs; /* ... within a span shorter than this */
	int64_t logins;	     /* this many failed logins of one name within an hour */
	int64_t cases;	     /* more distinct cases than this decrypted within an hour */
	int hours_from;	     /* ordinary access: local minutes of the day [from, to), */
	int hours_to;	     /* wrapping past midnight when from > to */
	const char *tz;	     /* the vault's zone (NULL: the system's) */
	int64_t since;	     /* UTC seconds: earlier rows are passed over */
} cv_alert_rules;

typedef struct cv_alert_engine cv_alert_engine;

/* A new engine for rules (copied; tz must outlive the engine). */
cv_status cv_alert_engine_new(const cv_alert_rules *rules, cv_alert_engine **out, cv_err *err);
void cv_alert_engine_free(cv_alert_engine *e);

/*
 * cv_alert_feed - one audit row, in log order.  CV_EINTEGRITY naming the
 * row when its time is not the vault's time text; CV_ERROR when out of
 * memory or the zone cannot be read.
 */
cv_status cv_alert_feed(cv_alert_engine *e, const cv_audit_row *row, cv_err *err);

/* A break-glass event not yet reviewed; now is the current UTC time. */
cv_status cv_alert_crisis(cv_alert_engine *e, const char *event, const char *case_id,
			  const char *author, const char *created_at, int64_t now, cv_err *err);

/* The alerts so far: crisis events first (in the order given), then the
 * others in the order of the row that opened them. */
size_t cv_alert_count(const cv_alert_engine *e);
void cv_alert_get(const cv_alert_engine *e, size_t i, cv_alert *out);

#endif

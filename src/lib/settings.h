/*
 * settings.h - middle layer: the vault's signed settings.  An admin sets
 * them (casevault config set); each stored value is signed by that admin
 * over its name, value and the audit row that records it, and is checked
 * on every read.  A setting never set has its default; a stored one that
 * fails verification is an integrity failure, never a silent default.
 */
#ifndef CV_SETTINGS_H
#define CV_SETTINGS_H

#include "session.h"

typedef enum cv_setting_id {
	CV_SET_ADULT_AGE = 1, /* R1: a guardian's consent is needed below it */
	CV_SET_ARCHIVE_DAYS,  /* R4: a draft older than this is overdue */
	CV_SET_REFERRAL_DAYS, /* R6: a referral without follow-up is overdue */
	CV_SET_DUTY_HOURS,    /* R7: open hours a week */
	CV_SET_TIMEZONE,      /* local time for dates and duty weeks */
	CV_SET_TERM_AUTUMN,   /* the months of the autumn term, "09..01" */
	CV_SET_TERM_SPRING,   /* the months of the spring term, "02..07" */
	CV_SET_SCHOOL,	      /* the school's name, for the printed reports; "" unset */
	/* R9: the thresholds of `audit alerts` */
	CV_SET_ALERT_DENIALS,	     /* denied rows by one user ... */
	CV_SET_ALERT_DENIAL_MINUTES, /* ... within this many minutes */
	CV_SET_ALERT_LOGINS,	     /* failed logins of one name within an hour */
	CV_SET_ALERT_CASES,	     /* more distinct cases than this decrypted within an hour */
	CV_SET_ALERT_HOURS,	     /* "HH:MM-HH:MM": the local hours of ordinary access */
} cv_setting_id;

/* The setting's name ("adult_age"), or NULL for an unknown id. */
const char *cv_setting_name(cv_setting_id id);
/* The id of a setting name, 0 when unknown. */
cv_setting_id cv_setting_parse(const char *name);

/* The verified value of a numeric setting (or its default). */
cv_status cv_setting_int(cv_vault *v, cv_setting_id id, long *out, cv_err *err);
/* The verified value of any setting as text (or its default); is_default
 * tells which; signer receives the signing admin's name ("" for a
 * default).  value and signer hold 128 and CV_NAME_MAX + 8 bytes. */
cv_status cv_setting_text(cv_vault *v, cv_setting_id id, char value[128], int *is_default,
			  char signer[CV_NAME_MAX + 8], cv_err *err);
/*
 * cv_setting_months - a term setting's value "MM..MM" (its first and last
 * month, 01..12; a term may run over New Year, "09..01") as month indexes
 * 0..11 into *first and *last.  -1 when value is not of that form.
 */
int cv_setting_months(const char *value, int *first, int *last);

/* CV_OK when value is allowed for setting id; CV_EUSAGE saying what is. */
cv_status cv_setting_check(cv_setting_id id, const char *value, cv_err *err);
/* Signs r (its name, value, seq and signer_id are set) into r->sig with kh. */
cv_status cv_setting_sign(cv_vault *v, cv_setting_rec *r, cv_keyholder *kh, cv_err *err);
/* The i-th setting in the fixed order, 0 past the last; its default. */
cv_setting_id cv_setting_at(size_t i);
const char *cv_setting_default(cv_setting_id id);

/* Parses an alert_hours value "HH:MM-HH:MM" (00:00..23:59, the end may
 * be 24:00; the two differ; a start after the end wraps past midnight)
 * into minutes of the day; -1 when it is not one. */
int cv_setting_hours(const char *value, int *from_min, int *to_min);

/* Checks every stored setting: known name, signature by an admin whose
 * identity verifies at its row, not set by one already disabled. */
cv_status cv_settings_verify(cv_vault *v, size_t *count, cv_err *err);

#endif

/*
 * settings.c - middle layer: signed settings (see settings.h and
 * docs/FORMAT.md, "settings").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cert.h"
#include "err.h"
#include "settings.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

static const char setting_domain[] = "casevault-setting-v1";

/* A numeric setting has [min, max]; a text one (min > max) is checked by
 * its own rule. */
static const struct def {
	cv_setting_id id;
	const char *name;
	const char *dflt;
	long min, max;
} defs[] = {
    {CV_SET_ADULT_AGE, "adult_age", "18", 1, 30},
    {CV_SET_ARCHIVE_DAYS, "archive_days", "7", 1, 365},
    {CV_SET_REFERRAL_DAYS, "referral_days", "14", 1, 365},
    {CV_SET_DUTY_HOURS, "duty_hours", "10", 1, 168},
    {CV_SET_TIMEZONE, "timezone", "", 1, 0},
    {CV_SET_TERM_AUTUMN, "term_autumn", "09..01", 1, 0},
    {CV_SET_TERM_SPRING, "term_spring", "02..07", 1, 0},
    {CV_SET_ALERT_DENIALS, "alert_denials", "5", 2, 1000},
    {CV_SET_ALERT_DENIAL_MINUTES, "alert_denial_minutes", "10", 1, 1440},
    {CV_SET_ALERT_LOGINS, "alert_logins", "5", 2, 1000},
    {CV_SET_ALERT_CASES, "alert_cases", "20", 1, 100000},
    {CV_SET_ALERT_HOURS, "alert_hours", "07:00-19:00", 1, 0},
    {CV_SET_SCHOOL, "school", "", 1, 0},
};

static const struct def *def_of(cv_setting_id id)
{
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		if (defs[i].id == id)
			return &defs[i];
	return NULL;
}

const char *cv_setting_name(cv_setting_id id)
{
	const struct def *d = def_of(id);

	return d ? d->name : NULL;
}

const char *const *cv_setting_names(size_t *n)
{
	static const char *names[ARRAY_SIZE(defs) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		names[i] = defs[i].name;
	names[ARRAY_SIZE(defs)] = NULL;
	if (n)
		*n = ARRAY_SIZE(defs);
	return names;
}

cv_setting_id cv_setting_parse(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(defs); i++)
		if (strcmp(defs[i].name, name) == 0)
			return defs[i].id;
	return 0;
}

static int parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s || strlen(s) > 9)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	v = strtol(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* A time-zone name: a regular file under the system's zone database,
 * written as an IANA name ("Asia/Shanghai"), or "" for the system's zone. */
static int tz_ok(const char *s)
{
	char path[192];
	struct stat sb;

	if (!*s)
		return 1;
	if (strlen(s) > 64 || s[0] == '/' || strstr(s, ".."))
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' || *p == '-' || *p == '+'))
			return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", s);
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int cv_setting_months(const char *value, int *first, int *last)
{
	int m[2];

	if (!value || strlen(value) != 6 || value[2] != '.' || value[3] != '.')
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *p = value + i * 4;

		if (p[0] < '0' || p[0] > '1' || p[1] < '0' || p[1] > '9')
			return -1;
		m[i] = (p[0] - '0') * 10 + (p[1] - '0');
		if (m[i] < 1 || m[i] > 12)
			return -1;
	}
	*first = m[0] - 1;
	*last = m[1] - 1;
	return 0;
}

/* "HH:MM" at s into minutes; max is the largest allowed (24:00 = 1440). */
static int hhmm(const char *s, int max)
{
	int h, m;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ':' || s[3] < '0' ||
	    s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	return h * 60 + m <= max ? h * 60 + m : -1;
}

int cv_setting_hours(const char *value, int *from_min, int *to_min)
{
	int a, b;

	if (!value || strlen(value) != 11 || value[5] != '-')
		return -1;
	a = hhmm(value, 23 * 60 + 59);
	b = hhmm(value + 6, 24 * 60);
	if (a < 0 || b < 0 || a == b)
		return -1;
	*from_min = a;
	*to_min = b;
	return 0;
}

/* The shortest term, in months. */
#define TERM_MONTHS_MIN 3
#define TERM_MONTHS_MIN_TEXT "3"

/* CV_OK when value is allowed for d; CV_EUSAGE saying what is. */
static cv_status check_value(const struct def *d, const char *value, cv_err *err)
{
	char lo[24], hi[24];
	int a, b;
	long n;

	if (d->id == CV_SET_TERM_AUTUMN || d->id == CV_SET_TERM_SPRING) {
		if (cv_setting_months(value, &a, &b) != 0)
			return cv_fail(err, CV_EUSAGE, "config.term",
				       "setting '{1}' takes the term's first and last month as "
				       "MM..MM, for example 09..01 (September to January)",
				       d->name);
		/* A term is the unit of the privacy budget (docs/STATISTICS.md):
		 * a term of a month or two would give each month its own. */
		if ((b - a + 12) % 12 < TERM_MONTHS_MIN - 1)
			return cv_fail(err, CV_EUSAGE, "config.term-short",
				       "a term is at least {1} months (the privacy budget of "
				       "noisy statistics is a term's); '{2}' is shorter",
				       TERM_MONTHS_MIN_TEXT, value);
		return CV_OK;
	}
	/* Any single-line text (config set checks it as such), or "". */
	if (d->id == CV_SET_SCHOOL)
		return CV_OK;
	if (d->id == CV_SET_ALERT_HOURS)
		return cv_setting_hours(value, &a, &b) == 0
			   ? CV_OK
			   : cv_fail(err, CV_EUSAGE, "config.hours",
				     "'{1}' is not a span of hours; use HH:MM-HH:MM, such as "
				     "07:00-19:00 (local time; the end may be 24:00)",
				     value);
	if (d->min > d->max)
		return tz_ok(value) ? CV_OK
				    : cv_fail(err, CV_EUSAGE, "config.timezone",
					      "'{1}' is not a time zone of this system; use a name "
					      "such as Asia/Shanghai (see /usr/share/zoneinfo)",
					      value);
	if (parse_long(value, &n) != 0 || n < d->min || n > d->max)
		return cv_fail(err, CV_EUSAGE, "config.range",
			       "setting '{1}' takes a whole number from {2} to {3}", d->name,
			       cv_num(lo, d->min), cv_num(hi, d->max));
	return CV_OK;
}

static void setting_msg(const cv_vault *v, const cv_setting_rec *r, cv_buf *b)
{
	cv_buf_raw(b, setting_domain, sizeof(setting_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_lp(b, r->name);
	cv_buf_lp(b, r->value);
	cv_buf_u64(b, (uint64_t)r->seq);
	cv_buf_u64(b, (uint64_t)r->signer_id);
}

static cv_status bad_setting(const cv_setting_rec *r, const char *why, cv_err *err)
{
	return cv_fail(err, CV_EINTEGRITY, "settings.unverified",
		       "the stored setting '{1}' fails verification: {2}; the vault was "
		       "tampered with (run 'casevault audit verify' and restore from a backup)",
		       r->name, why);
}

/* An older signed value put back is refused: the row must be the one the
 * log's last successful config.set of this setting recorded. */
/* The seq of the log's last successful config.set of setting name, 0 if
 * none. */
static cv_status last_set(cv_vault *v, const char *name, int64_t *seq, cv_err *err)
{
	const char *actions[] = {cv_action_name(CV_ACT_CONFIG_SET)};
	char object[48];

	snprintf(object, sizeof(object), "setting:%s", name);
	*seq = 0;
	return cv_store_audit_last_seq(v->st, object, cv_outcome_name(CV_OUT_OK), actions,
				       ARRAY_SIZE(actions), seq, err);
}

static cv_status matches_log(cv_vault *v, const cv_setting_rec *r, cv_err *err)
{
	int64_t seq = 0;
	cv_status st = last_set(v, r->name, &seq, err);

	if (st == CV_OK && seq != r->seq)
		st = bad_setting(r, CV_PHRASE("it is not the value the log last recorded"), err);
	return st;
}

/* Checks r's signature by an admin whose identity at r->seq verifies. */
static cv_status verify_rec(cv_vault *v, const cv_setting_rec *r, const struct def *d, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_user_rec signer, now;
	cv_status st;
	int ok;

	if (!d)
		return bad_setting(r, CV_PHRASE("its name is not a setting"), err);
	if (check_value(d, r->value, NULL) != CV_OK)
		return bad_setting(r, CV_PHRASE("its value is out of range"), err);
	st = cv_store_cert_at(v->st, r->signer_id, r->seq, &signer, err);
	if (st == CV_ENOTFOUND)
		return bad_setting(r, CV_PHRASE("its signer did not exist then"), err);
	if (st != CV_OK)
		return st;
	if (cv_user_cert_verify(v, &signer, NULL) != CV_OK ||
	    cv_user_role(&signer) != CV_ROLE_ADMIN)
		return bad_setting(r, CV_PHRASE("it was not signed by an admin"), err);
	st = cv_store_user_by_id(v->st, r->signer_id, &now, err);
	if (st != CV_OK)
		return st;
	if (cv_word_parse(&cv_user_states, now.status) != CV_USER_ACTIVE && now.status_seq < r->seq)
		return bad_setting(
		    r, CV_PHRASE("it was signed by an admin who was already disabled"), err);
	setting_msg(v, r, &b);
	ok = !b.oom && crypto_sign_verify_detached(r->sig, b.data, b.len, signer.sign_pk) == 0;
	cv_buf_free(&b);
	if (!ok)
		return bad_setting(r, CV_PHRASE("its signature does not match"), err);
	return matches_log(v, r, err);
}

cv_status cv_setting_text(cv_vault *v, cv_setting_id id, char value[128], int *is_default,
			  char signer[CV_NAME_MAX + 8], cv_err *err)
{
	const struct def *d = def_of(id);
	cv_setting_rec r;
	cv_status st;

	if (!d)
		return cv_err_set(err, CV_ERROR, "internal error: unknown setting %d", (int)id);
	st = cv_store_setting_get(v->st, d->name, &r, err);
	if (st == CV_ENOTFOUND) {
		int64_t seq = 0;

		/* No row: the default, unless the log says it was set (a deleted
		 * row must not bring the default back silently). */
		st = last_set(v, d->name, &seq, err);
		if (st != CV_OK)
			return st;
		if (seq)
			return cv_fail(err, CV_EINTEGRITY, "settings.deleted",
				       "the setting '{1}' was set (audit row {2}) but its row is "
				       "gone: the vault was tampered with (run 'casevault audit "
				       "verify' and restore from a backup)",
				       d->name, cv_num(value, seq));
		snprintf(value, 128, "%s", d->dflt);
		if (is_default)
			*is_default = 1;
		if (signer)
			signer[0] = '\0';
		return CV_OK;
	}
	if (st == CV_OK)
		st = verify_rec(v, &r, d, err);
	if (st != CV_OK)
		return st;
	snprintf(value, 128, "%s", r.value);
	if (is_default)
		*is_default = 0;
	if (signer)
		cv_user_name(v, r.signer_id, signer, CV_NAME_MAX + 8);
	return CV_OK;
}

cv_status cv_setting_int(cv_vault *v, cv_setting_id id, long *out, cv_err *err)
{
	char value[128];
	cv_status st = cv_setting_text(v, id, value, NULL, NULL, err);

	if (st == CV_OK && parse_long(value, out) != 0)
		st = cv_err_set(err, CV_ERROR, "internal error: setting %d is not a number",
				(int)id);
	return st;
}

struct collect {
	cv_setting_rec *v;
	size_t n;
	int oom;
};

static int collect(const cv_setting_rec *r, void *arg)
{
	struct collect *c = arg;
	cv_setting_rec *p = realloc(c->v, (c->n + 1) * sizeof(*p));

	if (!p) {
		c->oom = 1;
		return 1;
	}
	c->v = p;
	c->v[c->n++] = *r;
	return 0;
}

cv_status cv_settings_verify(cv_vault *v, size_t *count, cv_err *err)
{
	struct collect c = {0};
	cv_status st = cv_store_setting_each(v->st, collect, &c, err);

	if (st == CV_OK && c.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	for (size_t i = 0; i < c.n && st == CV_OK; i++)
		st = verify_rec(v, &c.v[i], def_of(cv_setting_parse(c.v[i].name)), err);
	/* Every known setting, stored or not: one set in the log must have
	 * its row. */
	for (size_t i = 0; i < ARRAY_SIZE(defs) && st == CV_OK; i++) {
		char value[128];

		st = cv_setting_text(v, defs[i].id, value, NULL, NULL, err);
	}
	if (count)
		*count = c.n;
	free(c.v);
	return st;
}

cv_status cv_setting_check(cv_setting_id id, const char *value, cv_err *err)
{
	const struct def *d = def_of(id);

	if (!d)
		return cv_err_set(err, CV_ERROR, "internal error: unknown setting %d", (int)id);
	if (!value)
		return cv_fail(err, CV_EUSAGE, "config.value", "give a value for '{1}'", d->name);
	return check_value(d, value, err);
}

cv_status cv_setting_sign(cv_vault *v, cv_setting_rec *r, cv_keyholder *kh, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	setting_msg(v, r, &b);
	st = b.oom ? cv_err_set(err, CV_ERROR, "out of memory")
		   : cv_keyholder_sign(kh, b.data, b.len, r->sig, err);
	cv_buf_free(&b);
	return st;
}

cv_setting_id cv_setting_at(size_t i)
{
	return i < ARRAY_SIZE(defs) ? defs[i].id : 0;
}

const char *cv_setting_default(cv_setting_id id)
{
	const struct def *d = def_of(id);

	return d ? d->dflt : NULL;
}

/*
 * config.c - commands: config set and config list, the signed settings
 * (settings.c checks and signs them; this file is the policy, the log and
 * the public API around them).
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "policy.h"
#include "settings.h"
#include "text.h"
#include "banned.h"

/* Whether month m (0..11) is in the term first..last (which may run over
 * New Year). */
static int in_term(int m, int first, int last)
{
	return ((m - first + 12) % 12) <= ((last - first + 12) % 12);
}

/* The two terms share no month: a month belongs to one term, whose
 * privacy budget it spends (docs/STATISTICS.md). */
static cv_status terms_apart(cv_session *s, cv_setting_id id, const char *value, cv_err *err)
{
	cv_setting_id other = id == CV_SET_TERM_AUTUMN ? CV_SET_TERM_SPRING : CV_SET_TERM_AUTUMN;
	char current[128], signer[CV_NAME_MAX + 8];
	int a, b, c, d, dflt = 0;
	cv_status st = cv_setting_text(s->v, other, current, &dflt, signer, err);

	if (st != CV_OK)
		return st;
	if (cv_setting_months(value, &a, &b) != 0 || cv_setting_months(current, &c, &d) != 0)
		return cv_fail(err, CV_EUSAGE, "config.term", "'{1}' is not a term", value);
	for (int m = 0; m < 12; m++)
		if (in_term(m, a, b) && in_term(m, c, d))
			return cv_fail(err, CV_EUSAGE, "config.term-overlap",
				       "the terms may not share a month: {1} is {2}; change "
				       "that one first",
				       cv_setting_name(other), current);
	return CV_OK;
}

cv_status cv_config_set(cv_session *s, const char *name, const char *value, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_setting_id id = cv_setting_parse(name);
	char object[48], detail[192];
	cv_setting_rec r = {0};
	cv_status st;

	snprintf(object, sizeof(object), "setting:%s", id ? cv_setting_name(id) : "?");
	st = cv_policy_check(s, CV_ACT_CONFIG_SET, object, err);
	if (st != CV_OK)
		return st;
	if (!id)
		st = cv_fail(err, CV_EUSAGE, "config.unknown",
			     "no setting '{1}'; see 'casevault config list'", name ? name : "");
	else if (!value)
		st = cv_fail(err, CV_EUSAGE, "field.empty", "{1} is empty; give a value", "value");
	/* An empty time zone puts the system's zone back; no other setting
	 * may be empty (cv_setting_check refuses it as out of range). */
	else if ((*value || (id != CV_SET_TIMEZONE && id != CV_SET_SCHOOL)) &&
		 (st = cv_field_check("value", value, sizeof(r.value) - 1, err)) != CV_OK)
		;
	else
		st = cv_setting_check(id, value, err);
	if (st == CV_OK && (id == CV_SET_TERM_AUTUMN || id == CV_SET_TERM_SPRING))
		st = terms_apart(s, id, value, err);
	if (st == CV_OK)
		st = cv_op_begin(s, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_CONFIG_SET, object, err);
	snprintf(r.name, sizeof(r.name), "%s", cv_setting_name(id));
	snprintf(r.value, sizeof(r.value), "%s", value);
	r.seq = s->head.seq + 1; /* the config.set row below */
	r.signer_id = s->me.id;
	st = cv_setting_sign(s->v, &r, s->kh, err);
	if (st == CV_OK)
		st = cv_store_setting_put(s->v->st, &r, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_CONFIG_SET, object, err);
	snprintf(detail, sizeof(detail), "value=%s", value);
	st = cv_op_log(s, CV_ACT_CONFIG_SET, object, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	return st;
}

cv_status cv_config_list(cv_session *s, cv_setting_cb cb, void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_status st = cv_policy_check(s, CV_ACT_CONFIG_GET, "settings", err);
	cv_setting_id id;

	for (size_t i = 0; st == CV_OK && (id = cv_setting_at(i)) != 0; i++) {
		char value[128], signer[CV_NAME_MAX + 8];
		cv_setting_info info = {cv_setting_name(id), value, cv_setting_default(id), 0,
					signer};

		st = cv_setting_text(s->v, id, value, &info.is_default, signer, err);
		if (st == CV_OK && cb(&info, arg))
			break;
	}
	return st;
}

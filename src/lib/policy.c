/*
 * policy.c - policy layer: the role x action table (see policy.h).
 */
#include <stdio.h>
#include <string.h>

#include "cert.h"
#include "crypt.h"
#include "err.h"
#include "log.h"
#include "policy.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

#define C (1u << CV_ROLE_COUNSELOR)
#define S (1u << CV_ROLE_SUPERVISOR)
#define A (1u << CV_ROLE_ADMIN)
#define ANY (C | S | A)

struct rule {
	cv_action action;
	unsigned roles;
	const char *who; /* for the message: who may */
};

static const struct rule rules[] = {
    {CV_ACT_USER_ADD, A, "an admin"},
    {CV_ACT_USER_LIST, ANY, "anyone"},
    {CV_ACT_USER_PASSWD, ANY, "anyone"},
    {CV_ACT_USER_DISABLE, A, "an admin"},
    {CV_ACT_USER_RESET, A, "an admin with the recovery code"},
    {CV_ACT_CONFIG_SET, A, "an admin"},
    {CV_ACT_CONFIG_GET, ANY, "anyone"},
    {CV_ACT_CASE_OPEN, C, "counselors"},
    {CV_ACT_CASE_LIST, C, "counselors"},
    {CV_ACT_CASE_FIND, C, "counselors"},
    {CV_ACT_CASE_READ, C, "counselors granted on a case"},
    {CV_ACT_CASE_SHOW, C, "counselors granted on a case"},
    {CV_ACT_CASE_CLOSE, C, "counselors granted on a case"},
    {CV_ACT_CASE_REOPEN, C, "counselors granted on a case"},
    {CV_ACT_CASE_SHARE, C, "counselors granted on a case"},
    {CV_ACT_CASE_HANDOVER, A, "an admin with the recovery code"},
    {CV_ACT_CASE_SHRED, A, "an admin with the recovery code"},
    {CV_ACT_CONSENT_RECORD, C, "counselors granted on a case"},
    {CV_ACT_CONSENT_WITHDRAW, C, "counselors granted on a case"},
    {CV_ACT_NOTE_ADD, C, "counselors granted on a case"},
    {CV_ACT_NOTE_EDIT, C, "counselors granted on a case"},
    {CV_ACT_NOTE_FINALIZE, C, "counselors granted on a case"},
    {CV_ACT_NOTE_AMEND, C, "counselors granted on a case"},
    {CV_ACT_NOTE_SHOW, C, "counselors granted on a case"},
    {CV_ACT_TEST_ADD, C, "counselors granted on a case"},
    {CV_ACT_REFERRAL_ADD, C, "counselors granted on a case"},
    {CV_ACT_REFERRAL_UPDATE, C, "counselors granted on a case"},
    {CV_ACT_REFERRAL_LIST, C, "counselors"},
    {CV_ACT_WATCH_ADD, C, "counselors granted on a case"},
    {CV_ACT_WATCH_LIST, C, "counselors"},
    {CV_ACT_WATCH_DONE, C, "counselors granted on a case"},
    {CV_ACT_AUDIT_LOG, S | A, "supervisors and admins"},
    {CV_ACT_AUDIT_VERIFY, S | A, "supervisors and admins"},
    {CV_ACT_AUDIT_CHECKPOINT, S | A, "supervisors and admins"},
    {CV_ACT_VKEY_SHARE, C | S, "counselors and supervisors who hold the key"},
    {CV_ACT_VAULT_KEYS, A, "an admin with the recovery code"},
    {CV_ACT_USER_ENROL, ANY, "the account's owner, with its enrolment code"},
    {CV_ACT_USER_ROTATE, ANY, "anyone"},
    {CV_ACT_STATS_EXPORT, S, "supervisors"},
    {CV_ACT_AUDIT_REVIEW, S, "supervisors"},
    {CV_ACT_AUDIT_ALERTS, S, "supervisors"},
    {CV_ACT_DUTY_START, C, "counselors"},
    {CV_ACT_DUTY_END, C, "counselors"},
    {CV_ACT_DUTY_ADD, C, "counselors"},
    {CV_ACT_DUTY_LIST, C | S, "counselors and supervisors"},
    {CV_ACT_DUTY_HOURS, C | S, "counselors and supervisors"},
    /* The counselor's day. */
    {CV_ACT_DUE, C | S, "counselors and supervisors"},
    {CV_ACT_REPORT_COMPLIANCE, S, "supervisors"},
};

static const struct rule *rule_of(cv_action action)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (rules[i].action == action)
			return &rules[i];
	return NULL;
}

const char *cv_policy_object_kind(cv_action action)
{
	const char *name = cv_action_name(action);

	if (action == CV_ACT_NOTE_EDIT || action == CV_ACT_NOTE_FINALIZE ||
	    action == CV_ACT_NOTE_AMEND || action == CV_ACT_NOTE_SHOW)
		return "note";
	if (action == CV_ACT_REFERRAL_UPDATE)
		return "referral";
	if (strncmp(name, "user.", 5) == 0)
		return "user";
	if (strncmp(name, "audit.", 6) == 0)
		return "audit";
	if (strncmp(name, "stats.", 6) == 0)
		return "stats";
	if (strncmp(name, "duty.", 5) == 0)
		return "duty";
	if (strncmp(name, "report.", 7) == 0)
		return "report";
	return "case";
}

int cv_policy_allows(cv_role role, cv_action action)
{
	const struct rule *r = rule_of(action);

	return r && role > 0 && (r->roles & (1u << role)) != 0;
}

static cv_status refuse(const char *name, cv_role role, cv_action action, cv_err *err)
{
	const struct rule *r = rule_of(action);
	char cmd[32];

	cv_command_words(cv_action_name(action), cmd, sizeof(cmd));
	return cv_fail(err, CV_EDENIED, CV_CODE_POLICY_ROLE, "'{1}' is {2}; only {3} may use '{4}'",
		       name, cv_role_a(role), r ? r->who : "the vault itself", cmd);
}

cv_status cv_policy_check(cv_session *s, cv_action action, const char *object, cv_err *err)
{
	if (cv_policy_allows(s->role, action))
		return CV_OK;
	refuse(s->me.name, s->role, action, err);
	return cv_op_fail(s, action, object, err);
}

cv_status cv_may(cv_vault *v, const char *user, cv_action action, const char *target, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 16];
	cv_user_rec u;
	cv_err lerr = {0};
	cv_role role;

	/* Anything but a verified, active record is login's to refuse (with
	 * the same answer whatever the reason): only the role is judged here. */
	if (!v || cv_name_check(user, NULL) != CV_OK ||
	    cv_store_user_by_name(v->st, user, &u, NULL) != CV_OK ||
	    cv_user_verify(v, &u, NULL) != CV_OK ||
	    cv_word_parse(&cv_user_states, u.status) != CV_USER_ACTIVE)
		return CV_OK;
	role = cv_user_role(&u);
	if (cv_policy_allows(role, action))
		return CV_OK;
	refuse(u.name, role, action, err);
	/* Logged unsigned, like a failed login: no key is at hand.  The
	 * object is the target when it is an id or a name, else the user. */
	if (target && cv_id_ok(target))
		cv_object_name(object, sizeof(object), cv_policy_object_kind(action), target);
	else if (target && cv_name_check(target, NULL) == CV_OK &&
		 strcmp(cv_policy_object_kind(action), "user") == 0)
		snprintf(object, sizeof(object), "user:%s", target);
	else if (strcmp(cv_policy_object_kind(action), "audit") == 0)
		snprintf(object, sizeof(object), "audit");
	else
		snprintf(object, sizeof(object), "user:%s", u.name);
	if (cv_audit_unsigned(v, u.name, action, object, CV_OUT_DENIED, CV_CODE_POLICY_ROLE,
			      &lerr) != CV_OK &&
	    err) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, " (and the audit row failed: %s)",
			 lerr.msg);
	}
	return CV_EDENIED;
}

/*
 * policy.h - policy layer: who may do what.  One table of role x action;
 * the front end asks cv_may (casevault.h) before it prompts for anything,
 * and every library operation checks the same table with
 * cv_policy_check, which logs a refusal.
 */
#ifndef CV_POLICY_H
#define CV_POLICY_H

#include "session.h"

/* Whether role may perform action (0 or 1). */
int cv_policy_allows(cv_role role, cv_action action);
/* CV_OK, or CV_EDENIED naming the role and who may, after logging the
 * refusal of `action` on `object` for the session's user. */
cv_status cv_policy_check(cv_session *s, cv_action action, const char *object, cv_err *err);

/* The kind of object an action's target names in the log: "case",
 * "note", "referral", "user", "audit" or "stats". */
const char *cv_policy_object_kind(cv_action action);

#endif

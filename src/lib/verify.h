/*
 * verify.h - commands: what `audit verify` checks, for the commands that
 * must trust the log before they compute from it (audit alerts).
 */
#ifndef CV_VERIFY_H
#define CV_VERIFY_H

#include "session.h"

/*
 * cv_verify_vault - inside the caller's transaction: every check of
 * `audit verify` without an external checkpoint (docs/FORMAT.md §7.5):
 * users, recovery key, settings, reviews, the hash chain and its
 * signatures, users and stored rows against the log.  CV_EINTEGRITY
 * naming the first problem; rep (not NULL) says what was read.
 */
cv_status cv_verify_vault(cv_vault *v, cv_audit_report *rep, cv_err *err);

#endif

/*
 * err.h - ground layer: filling a cv_err: the one way library code reports a failure.
 */
#ifndef CV_ERR_H
#define CV_ERR_H

#include "casevault.h"

/* Sets err (which may be NULL) to st and a printf-style message; returns st
 * so that callers can write `return cv_err_set(err, CV_EDENIED, ...)`. */
cv_status cv_err_set(cv_err *err, cv_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "a counselor", "a supervisor", "an admin": for messages. */
const char *cv_role_a(cv_role role);

/* "user.add" -> "user add": the command a person types for an action. */
void cv_command_words(const char *action, char *out, size_t cap);

/* Clears err to CV_OK and an empty message. */
void cv_err_clear(cv_err *err);

#endif

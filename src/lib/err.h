/*
 * err.h - ground layer: filling a cv_err: the one way library code reports a failure.
 */
#ifndef CV_ERR_H
#define CV_ERR_H

#include "casevault.h"

/* cv_fail (a reason code with arguments) and cv_err_set (a generic
 * failure) are declared in casevault.h; both return their status so that
 * callers can write `return cv_fail(err, CV_EDENIED, ...)`.  A number
 * becomes an argument through cv_num. */

/* The first statement of every public function: a caller may pass a NULL
 * cv_err, and the function then reports into one of its own, so no path
 * dereferences NULL (casevault.h: "every function taking a cv_err accepts
 * NULL"). */
#define CV_ERR_GUARD(err)                                                                          \
	cv_err err##_spare_;                                                                       \
	if (!(err))                                                                                \
	(err) = &err##_spare_

/* Marks a template that reaches cv_fail through a table rather than as
 * cv_fail's own literal, so that tests/check_catalog.sh takes it into the
 * catalog (the CLI translates templates; the library stays English). */
#define CV_TMPL(s) s
/* Marks an English phrase that goes into a message as an argument ("give
 * both dates of the period"): the CLI translates an argument the catalog
 * has, and tests/check_catalog.sh takes these into it. */
#define CV_PHRASE(s) s

/* Writes v in decimal into buf and returns buf. */
const char *cv_num(char buf[24], long long v);
/* A number as an argument of cv_fail, in a buffer that lives to the end
 * of the enclosing block: cv_fail(err, ..., "{1} weeks", CV_NUM(n)). */
#define CV_NUM(v) cv_num((char[24]){0}, (long long)(v))

/* "a counselor", "a supervisor", "an admin": for messages. */
const char *cv_role_a(cv_role role);

/* "user.add" -> "user add": the command a person types for an action. */
void cv_command_words(const char *action, char *out, size_t cap);

/* Clears err to CV_OK and an empty message. */
void cv_err_clear(cv_err *err);

#endif

/*
 * case.h - commands on cases, and the renderer of a decrypted case for
 * lists and case show.
 */
#ifndef CV_CASE_H
#define CV_CASE_H

#include "access.h"

/*
 * cv_case_open_in - cv_case_open inside a write transaction the caller
 * opened (cv_op_begin) and will end: every check of the input, the case
 * written and its case.open row logged.  object receives the row's object
 * ("case:new" until the id is drawn), for the caller's cv_op_fail.  On
 * failure nothing is rolled back or logged.
 */
cv_status cv_case_open_in(cv_session *s, const cv_case_input *in, char id[CV_CASE_ID_MAX],
			  int *already_open, char object[CV_ID_MAX + 8], cv_err *err);

/*
 * cv_case_of_student - the id of the one case granted to the acting
 * counselor whose student number is student_id (compared as case find
 * compares it, through the blind index).  CV_ENOTFOUND
 * "case.student-not-found" when there is none, CV_EUSAGE
 * "case.student-ambiguous" when there are several.  Nothing is logged:
 * the caller's operation on the case is.
 */
cv_status cv_case_of_student(cv_session *s, const char *student_id, char id[CV_CASE_ID_MAX],
			     cv_err *err);

/* Builds c's cv_case_info and passes it to cb; returns cb's result. */
int cv_case_emit(cv_session *s, struct cv_case *c, cv_case_cb cb, void *arg);

#endif

/*
 * case.h - commands on cases, and the renderer of a decrypted case for
 * lists and case show.
 */
#ifndef CV_CASE_H
#define CV_CASE_H

#include "access.h"

/* Builds c's cv_case_info and passes it to cb; returns cb's result. */
int cv_case_emit(cv_session *s, struct cv_case *c, cv_case_cb cb, void *arg);

#endif

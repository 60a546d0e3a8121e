/*
 * record.h - commands on test results (R5), referrals (R6) and the
 * key-student register (R8), and their renderers for show.c.
 */
#ifndef CV_RECORD_H
#define CV_RECORD_H

#include "access.h"

/* Build the public info of referral record r on case c (as of as_of for
 * the overdue mark) and pass it to cb; 1 with *st set on failure. */
int cv_referral_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		     int (*cb)(const cv_referral_info *n, void *arg), void *arg, cv_status *st,
		     cv_err *err);
/* The same for a register entry. */
int cv_watch_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		  int (*cb)(const cv_watch_info *w, void *arg), void *arg, cv_status *st,
		  cv_err *err);

#endif

/*
 * consent.h - commands: recording informed consent (R1) inside an
 * operation another command opened (an import of cases).
 */
#ifndef CV_CONSENT_H
#define CV_CONSENT_H

#include "access.h"

/*
 * cv_consent_record_in - cv_consent_record on case c, entered or joined in
 * a write transaction the caller opened and will end: every check of the
 * input (parties, method, date against today and the birth date, scopes,
 * verifier), one consent record and one consent.record row per party.  On
 * failure nothing is rolled back or logged.
 */
cv_status cv_consent_record_in(cv_session *s, struct cv_case *c, const cv_consent_input *in,
			       cv_err *err);

#endif

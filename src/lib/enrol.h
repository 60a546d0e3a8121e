/*
 * enrol.h - middle layer: one-time enrolment codes.  An admin's `user add`
 * or `user reset` makes a code and signs only the public keys derived from
 * it; the user types it at `casevault enrol`, whose process derives the
 * same keys, proves it holds the code with them, and makes the user's own
 * key pairs.  The code is never stored.
 */
#ifndef CV_ENROL_H
#define CV_ENROL_H

#include "session.h"

/* The random symbols of a code (95 bits); one check symbol follows. */
#define CV_ENROL_SYMBOLS 19

/*
 * cv_enrol_code_new - a fresh code for the enrolment certificate of user
 * id at audit row cert_seq: the code into code (CV_ENROL_CODE_LEN + 1
 * bytes, which the caller should sodium_malloc), and the public halves of
 * the two key pairs it stands for into box_pk and sign_pk.
 */
cv_status cv_enrol_code_new(const cv_vault *v, int64_t id, int64_t cert_seq, char *code,
			    uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
			    uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES], cv_err *err);

/*
 * cv_enrol_code_open - parse a typed code (dashes and spaces ignored, any
 * case, O read as 0 and I or L as 1) and derive the key pairs it stands
 * for, for user id's certificate at cert_seq, into a key holder.
 * CV_EAUTH with CV_CODE_ENROL_MISTYPED when it is not a code (wrong
 * length, a symbol outside the alphabet, or a check symbol that does not
 * match).  Whether the keys are the certificate's is the caller's check.
 */
cv_status cv_enrol_code_open(const cv_vault *v, int64_t id, int64_t cert_seq, const char *code,
			     cv_keyholder **out, cv_err *err);

#endif

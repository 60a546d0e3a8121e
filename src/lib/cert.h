/*
 * cert.h - middle layer: user certificates (an admin-signed identity and
 * status, checked along their signing chains) and the authors' signatures
 * on final notes.
 */
#ifndef CV_CERT_H
#define CV_CERT_H

#include "session.h"

/* The most identities (resets) one user may have held: a ceiling on work
 * that a hostile file could otherwise make unbounded. */
#define CV_IDENTITIES_MAX 1024
/* The most links of an identity's chain of signing admins, itself and the
 * first admin included: a longer chain is refused ("user.cert-chain"), so
 * the file cannot choose how much work or memory a verification takes. */
#define CV_CHAIN_MAX 256

/* The role of a record; 0 when its role text is unknown. */
cv_role cv_user_role(const cv_user_rec *r);

/*
 * cv_user_verify - check r's identity signature along the chain of
 * creating admins down to the vault's first admin (user 1, self-signed),
 * and its status signature by an admin whose own identity verifies.
 * CV_EINTEGRITY names the user and what failed.
 */
cv_status cv_user_verify(cv_vault *v, const cv_user_rec *r, cv_err *err);
/* Verifies one identity (current or retired) along its signing chain. */
cv_status cv_user_cert_verify(cv_vault *v, const cv_user_rec *cert, cv_err *err);

typedef enum cv_cert_part { CV_CERT_IDENTITY = 1, CV_CERT_STATUS } cv_cert_part;
/* Signs the identity (cert_sig) or the status (status_sig) of r with kh. */
cv_status cv_cert_sign(cv_vault *v, cv_user_rec *r, cv_cert_part part, cv_keyholder *kh,
		       cv_err *err);
/*
 * cv_cert_bad - CV_EINTEGRITY with reason code `code`: the record of r
 * fails verification, because of why.  why is a string literal, part of
 * the message's template (so that it is translated with it); r's name is
 * the template's one argument.
 */
#define cv_cert_bad(err, r, code, why)                                                             \
	cv_fail((err), CV_EINTEGRITY, (code),                                                      \
		"the record of user '{1}' fails verification: " why "; the vault was tampered "    \
		"with (run 'casevault audit verify' and restore from a backup)",                   \
		(r)->name)

/* Signs a final note r (its ciphertext, kind, parent and version) into
 * r->sig with its author's key holder. */
cv_status cv_note_sign(cv_vault *v, cv_record *r, cv_keyholder *kh, cv_err *err);
/* *ok: whether r's signature verifies under an identity its author has
 * held.  A signature that does not verify is *ok = 0 with CV_OK; a failure
 * to read the store is an error, never a "signature invalid". */
cv_status cv_note_signature(cv_vault *v, const cv_record *r, int *ok, cv_err *err);

/* The name of user id into buf ("#ID" when there is no such user). */
const char *cv_user_name(cv_vault *v, int64_t id, char *buf, size_t cap);

/* Every user record, in id order, into *out (malloc'd, free with free);
 * read before anything else is asked of the store. */
cv_status cv_user_all(cv_vault *v, cv_user_rec **out, size_t *n, cv_err *err);

#endif

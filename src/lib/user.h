/*
 * user.h - user accounts as certificates: an admin-signed identity (name,
 * role, public keys) and an admin-signed status, plus the passphrase-
 * wrapped secret keys.
 */
#ifndef CV_USER_H
#define CV_USER_H

#include "session.h"

/* The role of a record; 0 when its role text is unknown. */
cv_role cv_user_role(const cv_user_rec *r);

/*
 * cv_user_verify - check r's identity signature along the chain of
 * creating admins down to the vault's first admin (user 1, self-signed),
 * and its status signature by an admin whose own identity verifies.
 * CV_EINTEGRITY names the user and what failed.
 */
cv_status cv_user_verify(cv_vault *v, const cv_user_rec *r, cv_err *err);

/*
 * cv_user_create - inside an open write transaction, as of audit row
 * cert_seq (the row about to record it): make key pairs, wrap
 * the secrets under Argon2id(pass), sign the identity and status with
 * creator_kh (creator NULL: the record is the first admin, self-signed),
 * and insert it.  On success *out is the stored record and, if kh_out is
 * not NULL, *kh_out a key holder for the new user.
 */
cv_status cv_user_create(cv_vault *v, int64_t cert_seq, const char *name, cv_role role,
			 const char *pass, size_t passlen, const cv_kdf_params *kdf,
			 const cv_user_rec *creator, cv_keyholder *creator_kh, cv_user_rec *out,
			 cv_keyholder **kh_out, cv_err *err);

/* Verifies one identity (current or retired) along its signing chain. */
cv_status cv_user_cert_verify(cv_vault *v, const cv_user_rec *cert, cv_err *err);

/* The vault's default Argon2id parameters (meta kdf_default). */
cv_status cv_user_kdf_default(cv_vault *v, cv_kdf_params *kdf, cv_err *err);
cv_status cv_user_kdf_set_default(cv_vault *v, const cv_kdf_params *kdf, cv_err *err);

/*
 * cv_user_unlock - derive the key from pass and unwrap r's secret keys into
 * a key holder.  CV_EAUTH when the passphrase is wrong.
 */
cv_status cv_user_unlock(cv_vault *v, const cv_user_rec *r, const char *pass, size_t passlen,
			 cv_keyholder **out, cv_err *err);

#endif

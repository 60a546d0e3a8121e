/*
 * user.h - commands on user accounts, and the passphrase-wrapped secret
 * keys that cv_user_create makes and cv_user_unlock opens.
 */
#ifndef CV_USER_H
#define CV_USER_H

#include "cert.h"

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

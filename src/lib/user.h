/*
 * user.h - commands on user accounts, and the passphrase-wrapped secret
 * keys that cv_user_create and enrolment make and cv_user_unlock opens.
 */
#ifndef CV_USER_H
#define CV_USER_H

#include "cert.h"

/*
 * cv_user_create - inside init's open write transaction (audit row 1, the
 * vault.init row): the vault's first admin, user 1, with key pairs made
 * here, the secrets wrapped under Argon2id(pass), and a self-signed
 * identity and status.  On success *out is the stored record and *kh_out
 * a key holder for it.  Every other account is made by enrolment.
 */
cv_status cv_user_create(cv_vault *v, const char *name, const char *pass, size_t passlen,
			 const cv_kdf_params *kdf, cv_user_rec *out, cv_keyholder **kh_out,
			 cv_err *err);

/* The vault's default Argon2id parameters (meta kdf_default). */
cv_status cv_user_kdf_default(cv_vault *v, cv_kdf_params *kdf, cv_err *err);
cv_status cv_user_kdf_set_default(cv_vault *v, const cv_kdf_params *kdf, cv_err *err);

/*
 * cv_user_unlock - derive the key from pass and unwrap r's secret keys into
 * a key holder.  CV_EAUTH when the passphrase is wrong.
 */
cv_status cv_user_unlock(cv_vault *v, const cv_user_rec *r, const char *pass, size_t passlen,
			 cv_keyholder **out, cv_err *err);

/*
 * cv_user_match_log - r is the record the log last wrote: its cert_seq,
 * status_seq and keys_seq are the last ok rows about user:NAME that set
 * them (docs/FORMAT.md §17.1 step 3); an older copy put back is
 * CV_EINTEGRITY (users.mismatch).
 */
cv_status cv_user_match_log(cv_vault *v, const cv_user_rec *r, cv_err *err);

/*
 * cv_user_add_until, cv_user_reset_until - cv_user_add and cv_user_reset
 * with the code's expiry given as a time ("YYYY-MM-DDTHH:MM:SSZ") instead
 * of a number of days from now; any time is taken, so that a test can
 * issue a code that has already expired.
 */
cv_status cv_user_add_until(cv_session *s, const char *name, cv_role role, const char *expires,
			    char *code, cv_err *err);
cv_status cv_user_reset_until(cv_session *s, const char *name, const char *recovery_code,
			      const char *expires, char *code, cv_err *err);

#endif

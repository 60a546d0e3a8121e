/*
 * recovery.h - middle layer: the vault's recovery key: an X25519 key pair whose secret
 * exists only as the code printed once by `casevault init`.
 */
#ifndef CV_RECOVERY_H
#define CV_RECOVERY_H

#include "session.h"

/* Generates a code and its public key.  code: CV_RECOVERY_CODE_LEN + 1. */
cv_status cv_recovery_generate(char *code, uint8_t pk[crypto_box_PUBLICKEYBYTES], cv_err *err);

/* Parses a typed code (dashes and spaces ignored, any case) into an
 * unseal-only key holder.  CV_EAUTH for a mistyped code (the check digits
 * do not match) or one that is not this vault's. */
cv_status cv_recovery_open(cv_vault *v, const char *code, cv_keyholder **out, cv_err *err);

/* Stores pk with the first admin's signature over it (inside a transaction). */
cv_status cv_recovery_store(cv_vault *v, const uint8_t pk[crypto_box_PUBLICKEYBYTES],
			    cv_keyholder *root, cv_err *err);
/* Loads pk and checks that signature against user 1. */
cv_status cv_recovery_pk(cv_vault *v, uint8_t pk[crypto_box_PUBLICKEYBYTES], cv_err *err);

#endif

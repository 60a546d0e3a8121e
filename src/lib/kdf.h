/*
 * kdf.h - ground layer: passphrase to key: Argon2id through libargon2 (which, unlike
 * crypto_pwhash, computes with p > 1 lanes).
 */
#ifndef CV_KDF_H
#define CV_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "casevault.h"

#define CV_KDF_ALG_ARGON2ID13 1 /* Argon2id, version 0x13 */
#define CV_KDF_SALT_LEN 16
#define CV_KDF_KEY_LEN 32

/*
 * cv_kdf_derive - key = Argon2id(pass, salt, t, m, p), 32 bytes, after
 * checking alg and the parameters.  key should be sodium_malloc memory; it
 * is wiped on failure.
 */
cv_status cv_kdf_derive(uint32_t alg, const cv_kdf_params *kdf, const char *pass, size_t passlen,
			const uint8_t salt[CV_KDF_SALT_LEN], uint8_t key[CV_KDF_KEY_LEN],
			cv_err *err);

#endif

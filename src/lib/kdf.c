/*
 * kdf.c - ground layer: Argon2id key derivation with explicit, bounded cost parameters.
 */
#include <argon2.h>
#include <sodium.h>

#include "err.h"
#include "kdf.h"
#include "banned.h"

cv_status cv_kdf_params_check(const cv_kdf_params *kdf, cv_err *err)
{
	if (kdf->t_cost < CV_KDF_T_MIN || kdf->m_cost_kib < CV_KDF_M_MIN)
		return cv_err_set(err, CV_EUSAGE,
				  "Argon2id parameters t=%u m=%u KiB are below the floor "
				  "(t>=%u, m>=%u KiB); use stronger ones",
				  kdf->t_cost, kdf->m_cost_kib, CV_KDF_T_MIN, CV_KDF_M_MIN);
	if (kdf->t_cost > CV_KDF_T_MAX || kdf->m_cost_kib > CV_KDF_M_MAX ||
	    kdf->parallelism < 1 || kdf->parallelism > CV_KDF_P_MAX ||
	    kdf->m_cost_kib < 8 * kdf->parallelism)
		return cv_err_set(err, CV_EUSAGE,
				  "Argon2id parameters t=%u m=%u KiB p=%u are out of range "
				  "(t<=%u, m<=%u KiB, 1<=p<=%u)",
				  kdf->t_cost, kdf->m_cost_kib, kdf->parallelism, CV_KDF_T_MAX,
				  CV_KDF_M_MAX, CV_KDF_P_MAX);
	return CV_OK;
}

cv_status cv_kdf_derive(uint32_t alg, const cv_kdf_params *kdf, const char *pass, size_t passlen,
			const uint8_t salt[CV_KDF_SALT_LEN], uint8_t key[CV_KDF_KEY_LEN],
			cv_err *err)
{
	cv_status st;
	int rc;

	if (alg != CV_KDF_ALG_ARGON2ID13)
		return cv_err_set(err, CV_EINTEGRITY, "unknown key derivation algorithm %u", alg);
	st = cv_kdf_params_check(kdf, err);
	if (st != CV_OK)
		return st;
	rc = argon2id_hash_raw(kdf->t_cost, kdf->m_cost_kib, kdf->parallelism, pass, passlen, salt,
			       CV_KDF_SALT_LEN, key, CV_KDF_KEY_LEN);
	if (rc != ARGON2_OK) {
		sodium_memzero(key, CV_KDF_KEY_LEN);
		return cv_err_set(err, CV_ERROR,
				  "Argon2id failed: %s", argon2_error_message(rc));
	}
	return CV_OK;
}

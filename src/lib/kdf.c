/*
 * kdf.c - ground layer: Argon2id key derivation with explicit, bounded cost parameters.
 */
#include <argon2.h>
#include <sodium.h>
#include <stdio.h>

#include "err.h"
#include "kdf.h"
#include "banned.h"

cv_status cv_kdf_params_check(const cv_kdf_params *kdf, cv_err *err)
{
	CV_ERR_GUARD(err);
	char t[24], m[24], p[24], a[24], b[24], bounds[96];

	cv_num(t, kdf->t_cost);
	cv_num(m, kdf->m_cost_kib);
	if (kdf->t_cost < CV_KDF_T_MIN || kdf->m_cost_kib < CV_KDF_M_MIN)
		return cv_fail(err, CV_EUSAGE, "kdf.weak",
			       "Argon2id parameters t={1} m={2} KiB are below the floor "
			       "(t>={3}, m>={4} KiB); use stronger ones",
			       t, m, cv_num(a, CV_KDF_T_MIN), cv_num(b, CV_KDF_M_MIN));
	if (kdf->t_cost > CV_KDF_T_MAX || kdf->m_cost_kib > CV_KDF_M_MAX ||
	    (uint64_t)kdf->t_cost * kdf->m_cost_kib > CV_KDF_WORK_MAX || kdf->parallelism < 1 ||
	    kdf->parallelism > CV_KDF_P_MAX || kdf->m_cost_kib < 8 * kdf->parallelism) {
		/* Seven numbers, four arguments: the fixed ceilings travel as one. */
		snprintf(bounds, sizeof(bounds), "t<=%u, m<=%u KiB, t*m<=%u, 1<=p<=%u",
			 CV_KDF_T_MAX, CV_KDF_M_MAX, CV_KDF_WORK_MAX, CV_KDF_P_MAX);
		return cv_fail(err, CV_EUSAGE, "kdf.out-of-range",
			       "Argon2id parameters t={1} m={2} KiB p={3} are out of range ({4})",
			       t, m, cv_num(p, kdf->parallelism), bounds);
	}
	return CV_OK;
}

cv_status cv_kdf_derive(uint32_t alg, const cv_kdf_params *kdf, const char *pass, size_t passlen,
			const uint8_t salt[CV_KDF_SALT_LEN], uint8_t key[CV_KDF_KEY_LEN],
			cv_err *err)
{
	char a[24];
	cv_status st;
	int rc;

	if (alg != CV_KDF_ALG_ARGON2ID13)
		return cv_fail(err, CV_EINTEGRITY, "kdf.unknown-algorithm",
			       "unknown key derivation algorithm {1}", cv_num(a, alg));
	st = cv_kdf_params_check(kdf, err);
	if (st != CV_OK)
		return st;
	rc = argon2id_hash_raw(kdf->t_cost, kdf->m_cost_kib, kdf->parallelism, pass, passlen, salt,
			       CV_KDF_SALT_LEN, key, CV_KDF_KEY_LEN);
	if (rc != ARGON2_OK) {
		sodium_memzero(key, CV_KDF_KEY_LEN);
		return cv_fail(err, CV_ERROR, "error", "Argon2id failed: {1}",
			       argon2_error_message(rc));
	}
	return CV_OK;
}

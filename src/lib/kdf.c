/*
 * kdf.c - ground layer: Argon2id key derivation with explicit, bounded cost parameters.
 *
 * libargon2 is loaded when the first key is derived, not at every start:
 * a command run with an unlock agent derives none, and loading the
 * library was a measurable part of its time.  Its two functions are found
 * with dlsym in the library dlopen'ed by its soname, which the build reads
 * off the libargon2 it compiles against (as xmllazy.c does for libxml2);
 * the compiler holds their types to argon2.h's prototypes.  The program is
 * linked with --as-needed, so it does not list libargon2.
 */
#include <argon2.h>
#include <dlfcn.h>
#include <sodium.h>
#include <stdio.h>

#include "err.h"
#include "kdf.h"
#include "banned.h"

#ifndef CV_LIBARGON2_SONAME
#define CV_LIBARGON2_SONAME "libargon2.so.1"
#endif

typedef int (*hash_raw_fn)(const uint32_t t_cost, const uint32_t m_cost, const uint32_t parallelism,
			   const void *pwd, const size_t pwdlen, const void *salt,
			   const size_t saltlen, void *hash, const size_t hashlen);
typedef const char *(*error_message_fn)(int error_code);
_Static_assert(__builtin_types_compatible_p(__typeof__(&argon2id_hash_raw), hash_raw_fn),
	       "argon2id_hash_raw as argon2.h declares it");
_Static_assert(__builtin_types_compatible_p(__typeof__(&argon2_error_message), error_message_fn),
	       "argon2_error_message as argon2.h declares it");

/* libargon2's function name, or NULL (*why: dlerror's reason) when the
 * library or the function cannot be loaded. */
static void *argon2_fn(const char *name, const char **why)
{
	static void *lib;
	void *f = NULL;

	if (!lib)
		lib = dlopen(CV_LIBARGON2_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib)
		f = dlsym(lib, name);
	if (!f)
		*why = dlerror();
	return f;
}

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
	char a[24], what[160];
	const char *why = NULL;
	hash_raw_fn hash_raw;
	error_message_fn message;
	cv_status st;
	int rc;

	if (alg != CV_KDF_ALG_ARGON2ID13)
		return cv_fail(err, CV_EINTEGRITY, "kdf.unknown-algorithm",
			       "unknown key derivation algorithm {1}", cv_num(a, alg));
	st = cv_kdf_params_check(kdf, err);
	if (st != CV_OK)
		return st;
	*(void **)(&hash_raw) = argon2_fn("argon2id_hash_raw", &why);
	if (!hash_raw) {
		sodium_memzero(key, CV_KDF_KEY_LEN);
		snprintf(what, sizeof(what), "cannot load %s (%s)", CV_LIBARGON2_SONAME,
			 why ? why : "no reason given");
		return cv_fail(err, CV_ERROR, "error", "Argon2id failed: {1}", what);
	}
	rc = hash_raw(kdf->t_cost, kdf->m_cost_kib, kdf->parallelism, pass, passlen, salt,
		      CV_KDF_SALT_LEN, key, CV_KDF_KEY_LEN);
	if (rc != ARGON2_OK) {
		sodium_memzero(key, CV_KDF_KEY_LEN);
		*(void **)(&message) = argon2_fn("argon2_error_message", &why);
		snprintf(what, sizeof(what), "%s", message ? message(rc) : "an error");
		return cv_fail(err, CV_ERROR, "error", "Argon2id failed: {1}", what);
	}
	return CV_OK;
}

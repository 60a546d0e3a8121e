/*
 * test_kdf.c - passphrase to key (kdf.c).  First the RFC 9106 Argon2id test
 * vector through libargon2 itself, which proves the library we link
 * computes Argon2id; then cv_kdf_derive against libsodium's independent
 * Argon2id, its determinism and salt separation, and the parameter checks
 * that must refuse weak or absurd costs before any memory is spent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <argon2.h>
#include <sodium.h>

#include "kdf.h"
#include "banned.h"

/* The costs every test vault uses: the smallest the vault accepts. */
static const cv_kdf_params small = {2, 19456, 1};
static const uint8_t salt_a[CV_KDF_SALT_LEN] = {0, 1, 2,  3,  4,  5,  6,  7,
						8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t salt_b[CV_KDF_SALT_LEN] = {0, 1, 2,  3,  4,  5,  6,  7,
						8, 9, 10, 11, 12, 13, 14, 16};
static const char pass[] = "correct horse battery staple";

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

/* RFC 9106 section 5.3: Argon2id with secret and associated data. */
static void test_rfc9106_argon2id(void **state)
{
	static const uint8_t want[32] = {
	    0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37,
	    0xa3, 0x4a, 0x8b, 0x53, 0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75,
	    0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59,
	};
	uint8_t pwd[32], salt[16], secret[8], ad[12], tag[32];
	argon2_context ctx;

	(void)state;
	memset(pwd, 0x01, sizeof(pwd));
	memset(salt, 0x02, sizeof(salt));
	memset(secret, 0x03, sizeof(secret));
	memset(ad, 0x04, sizeof(ad));
	memset(tag, 0, sizeof(tag));
	memset(&ctx, 0, sizeof(ctx));
	ctx.out = tag;
	ctx.outlen = sizeof(tag);
	ctx.pwd = pwd;
	ctx.pwdlen = sizeof(pwd);
	ctx.salt = salt;
	ctx.saltlen = sizeof(salt);
	ctx.secret = secret;
	ctx.secretlen = sizeof(secret);
	ctx.ad = ad;
	ctx.adlen = sizeof(ad);
	ctx.t_cost = 3;
	ctx.m_cost = 32;
	ctx.lanes = 4;
	ctx.threads = 4;
	ctx.version = ARGON2_VERSION_13;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	assert_int_equal(argon2_ctx(&ctx, Argon2_id), ARGON2_OK);
	assert_memory_equal(tag, want, sizeof(want));
}

static uint8_t *key_new(void)
{
	uint8_t *k = sodium_malloc(CV_KDF_KEY_LEN);

	assert_non_null(k);
	memset(k, 0xaa, CV_KDF_KEY_LEN);
	return k;
}

static void derive_ok(const cv_kdf_params *kdf, const char *p, const uint8_t *salt, uint8_t *key)
{
	cv_err err = {0};

	if (cv_kdf_derive(CV_KDF_ALG_ARGON2ID13, kdf, p, strlen(p), salt, key, &err) != CV_OK)
		fail_msg("derive failed: %s", err.msg);
}

/* libsodium carries its own Argon2id (one lane only): with p=1 both must
 * agree, which ties cv_kdf_derive to the algorithm, not just to itself. */
static void test_derive_matches_libsodium(void **state)
{
	uint8_t *k1 = key_new(), *k2 = key_new();

	(void)state;
	derive_ok(&small, pass, salt_a, k1);
	assert_int_equal(crypto_pwhash(k2, CV_KDF_KEY_LEN, pass, strlen(pass), salt_a, small.t_cost,
				       (size_t)small.m_cost_kib * 1024,
				       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	assert_memory_equal(k1, k2, CV_KDF_KEY_LEN);
	sodium_free(k1);
	sodium_free(k2);
}

/* With several lanes, the parameters reach libargon2 unchanged. */
static void test_derive_lanes(void **state)
{
	const cv_kdf_params two = {2, 19456, 2};
	uint8_t *k1 = key_new(), *k2 = key_new(), *k3 = key_new();

	(void)state;
	derive_ok(&two, pass, salt_a, k1);
	assert_int_equal(argon2id_hash_raw(2, 19456, 2, pass, strlen(pass), salt_a, CV_KDF_SALT_LEN,
					   k2, CV_KDF_KEY_LEN),
			 ARGON2_OK);
	assert_memory_equal(k1, k2, CV_KDF_KEY_LEN);
	derive_ok(&small, pass, salt_a, k3);
	assert_memory_not_equal(k1, k3, CV_KDF_KEY_LEN);
	sodium_free(k1);
	sodium_free(k2);
	sodium_free(k3);
}

static void test_derive_deterministic(void **state)
{
	uint8_t *k1 = key_new(), *k2 = key_new();
	uint8_t zero[CV_KDF_KEY_LEN] = {0}, fill[CV_KDF_KEY_LEN];

	(void)state;
	memset(fill, 0xaa, sizeof(fill));
	derive_ok(&small, pass, salt_a, k1);
	memset(k2, 0x55, CV_KDF_KEY_LEN);
	derive_ok(&small, pass, salt_a, k2);
	assert_memory_equal(k1, k2, CV_KDF_KEY_LEN);
	assert_memory_not_equal(k1, zero, CV_KDF_KEY_LEN);
	assert_memory_not_equal(k1, fill, CV_KDF_KEY_LEN);
	sodium_free(k1);
	sodium_free(k2);
}

static void test_derive_salt_and_pass_matter(void **state)
{
	uint8_t *ka = key_new(), *kb = key_new(), *kc = key_new();

	(void)state;
	derive_ok(&small, pass, salt_a, ka);
	derive_ok(&small, pass, salt_b, kb); /* salts differ in one bit */
	derive_ok(&small, "correct horse battery stapler", salt_a, kc);
	assert_memory_not_equal(ka, kb, CV_KDF_KEY_LEN);
	assert_memory_not_equal(ka, kc, CV_KDF_KEY_LEN);
	assert_memory_not_equal(kb, kc, CV_KDF_KEY_LEN);
	sodium_free(ka);
	sodium_free(kb);
	sodium_free(kc);
}

/* Below the floor is "kdf.weak"; above a ceiling, or lanes the memory
 * cannot hold, "kdf.out-of-range". */
static const struct {
	cv_kdf_params p;
	const char *why;
	const char *code;
} refused[] = {
    {{1, 19456, 1}, "t below 2", "kdf.weak"},
    {{0, 19456, 1}, "t zero", "kdf.weak"},
    {{2, 19455, 1}, "m one KiB below 19 MiB", "kdf.weak"},
    {{2, 0, 1}, "m zero", "kdf.weak"},
    {{3, 8, 1}, "m tiny", "kdf.weak"},
    {{2, 19456, 0}, "p zero", "kdf.out-of-range"},
    {{2, 19456, 65}, "p above 64", "kdf.out-of-range"},
    {{2, 19456, UINT32_MAX}, "p huge", "kdf.out-of-range"},
    {{2, CV_KDF_M_MAX + 1, 1}, "m above 1 GiB", "kdf.out-of-range"},
    {{2, 4194304, 4}, "m = 4 GiB", "kdf.out-of-range"},
    {{CV_KDF_WORK_MAX / CV_KDF_M_MAX + 1, CV_KDF_M_MAX, 4},
     "t * m above the work ceiling",
     "kdf.out-of-range"},
    {{CV_KDF_T_MAX, CV_KDF_WORK_MAX / CV_KDF_T_MAX + 1, 1},
     "t = 64, m just too large",
     "kdf.out-of-range"},
    {{1000, CV_KDF_M_DEFAULT, CV_KDF_P_DEFAULT}, "t = 1000", "kdf.out-of-range"},
    {{2, UINT32_MAX, 4}, "m = 4 TiB", "kdf.out-of-range"},
    {{65, 19456, 1}, "t above 64", "kdf.out-of-range"},
    {{UINT32_MAX, 19456, 1}, "t huge", "kdf.out-of-range"},
    {{UINT32_MAX, UINT32_MAX, UINT32_MAX}, "everything huge", "kdf.out-of-range"},
};

static void test_params_check_refuses(void **state)
{
	cv_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (cv_kdf_params_check(&refused[i].p, &err) != CV_EUSAGE)
			fail_msg("%s: accepted", refused[i].why);
		assert_int_equal(err.status, CV_EUSAGE);
		if (strcmp(err.code, refused[i].code) != 0)
			fail_msg("%s: code '%s', expected '%s'", refused[i].why, err.code,
				 refused[i].code);
		assert_non_null(strstr(err.msg, "Argon2id parameters"));
	}
}

/* The messages name the values given and the bounds they broke. */
static void test_params_check_messages(void **state)
{
	static const cv_kdf_params weak = {1, 19456, 1}, wide = {2, 19456, 65};
	cv_err err = {0};

	(void)state;
	assert_int_equal(cv_kdf_params_check(&weak, &err), CV_EUSAGE);
	assert_string_equal(err.msg, "Argon2id parameters t=1 m=19456 KiB are below the floor "
				     "(t>=2, m>=19456 KiB); use stronger ones");
	assert_int_equal(cv_kdf_params_check(&wide, &err), CV_EUSAGE);
	assert_string_equal(err.msg, "Argon2id parameters t=2 m=19456 KiB p=65 are out of range "
				     "(t<=64, m<=1048576 KiB, t*m<=2097152, 1<=p<=64)");
}

static void test_params_check_accepts(void **state)
{
	static const cv_kdf_params ok[] = {
	    {2, 19456, 1},
	    {CV_KDF_T_DEFAULT, CV_KDF_M_DEFAULT, CV_KDF_P_DEFAULT},
	    /* checked, never run: each ceiling reached */
	    {CV_KDF_WORK_MAX / CV_KDF_M_MAX, CV_KDF_M_MAX, CV_KDF_P_MAX},
	    {CV_KDF_T_MAX, CV_KDF_WORK_MAX / CV_KDF_T_MAX, CV_KDF_P_MAX},
	    {2, 19456, 64},
	};
	cv_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (cv_kdf_params_check(&ok[i], &err) != CV_OK)
			fail_msg("params %zu refused: %s", i, err.msg);
}

/*
 * cv_kdf_derive refuses the same parameters before it runs Argon2id: were
 * the KDF run with m = 4 TiB or t = 2^32 - 1 this test would not finish (or
 * would fail to allocate and return CV_ERROR instead).
 */
static void test_derive_refuses_before_running(void **state)
{
	uint8_t *key = key_new();
	cv_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (cv_kdf_derive(CV_KDF_ALG_ARGON2ID13, &refused[i].p, pass, strlen(pass), salt_a,
				  key, &err) != CV_EUSAGE)
			fail_msg("%s: not refused (%s)", refused[i].why, err.msg);
		assert_int_equal(err.status, CV_EUSAGE);
	}
	sodium_free(key);
}

static void test_derive_unknown_algorithm(void **state)
{
	static const uint32_t algs[] = {0, 2, 3, 0x13, UINT32_MAX};
	static const cv_kdf_params huge = {UINT32_MAX, UINT32_MAX, UINT32_MAX};
	uint8_t *key = key_new();
	cv_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(
		    cv_kdf_derive(algs[i], &small, pass, strlen(pass), salt_a, key, &err),
		    CV_EINTEGRITY);
		assert_string_equal(err.code, "kdf.unknown-algorithm");
		assert_non_null(strstr(err.msg, "algorithm"));
		/* The id is checked first: absurd costs are never looked at. */
		assert_int_equal(
		    cv_kdf_derive(algs[i], &huge, pass, strlen(pass), salt_a, key, &err),
		    CV_EINTEGRITY);
	}
	sodium_free(key);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9106_argon2id),
		cmocka_unit_test(test_derive_matches_libsodium),
		cmocka_unit_test(test_derive_lanes),
		cmocka_unit_test(test_derive_deterministic),
		cmocka_unit_test(test_derive_salt_and_pass_matter),
		cmocka_unit_test(test_params_check_refuses),
		cmocka_unit_test(test_params_check_messages),
		cmocka_unit_test(test_params_check_accepts),
		cmocka_unit_test(test_derive_refuses_before_running),
		cmocka_unit_test(test_derive_unknown_algorithm),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, setup, NULL);
}

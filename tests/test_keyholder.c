/*
 * test_keyholder.c - the in-process key holder (keyholder.c): it signs so
 * that libsodium verifies, unseals what was sealed to it and nothing else,
 * wraps its secrets so that they decrypt under the same key and associated
 * data, refuses secrets that do not belong to the given public keys, a
 * box-only holder (the recovery key) cannot sign or wrap, and the shared
 * keys it keeps open each sender's copies and nothing else.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keyholder.h"
#include "banned.h"

#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define WRAPPED_LEN (CV_SECRETS_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)

/* One identity as user.c makes it: its public keys and the secret layout
 * X25519 sk (32) || Ed25519 sk (64), in guarded memory. */
struct ident {
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t *secrets;
};

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

static void ident_new(struct ident *id)
{
	id->secrets = sodium_malloc(CV_SECRETS_LEN);
	assert_non_null(id->secrets);
	assert_int_equal(crypto_box_keypair(id->box_pk, id->secrets), 0);
	assert_int_equal(crypto_sign_keypair(id->sign_pk, id->secrets + crypto_box_SECRETKEYBYTES),
			 0);
}

static void ident_free(struct ident *id)
{
	sodium_free(id->secrets);
	id->secrets = NULL;
}

static cv_keyholder *holder(const struct ident *id)
{
	cv_keyholder *kh = NULL;
	cv_err err = {0};

	if (cv_keyholder_local(id->secrets, id->box_pk, id->sign_pk, &kh, &err) != CV_OK)
		fail_msg("cv_keyholder_local: %s", err.msg);
	assert_non_null(kh);
	return kh;
}

static void test_local_public_keys(void **state)
{
	struct ident id;
	cv_keyholder *kh;

	(void)state;
	ident_new(&id);
	kh = holder(&id);
	assert_memory_equal(kh->box_pk, id.box_pk, sizeof(id.box_pk));
	assert_memory_equal(kh->sign_pk, id.sign_pk, sizeof(id.sign_pk));
	cv_keyholder_free(kh);
	ident_free(&id);
}

static void test_local_signs(void **state)
{
	static const uint8_t msg[] = "casevault-checkpoint-v1 test message";
	uint8_t sig[crypto_sign_BYTES], sig2[crypto_sign_BYTES], bad[sizeof(msg)];
	struct ident id, other;
	cv_keyholder *kh;
	cv_err err = {0};

	(void)state;
	ident_new(&id);
	ident_new(&other);
	kh = holder(&id);
	assert_int_equal(cv_keyholder_sign(kh, msg, sizeof(msg), sig, &err), CV_OK);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), id.sign_pk), 0);
	/* Not a constant: another message or another key does not verify. */
	memcpy(bad, msg, sizeof(msg));
	bad[0] ^= 1;
	assert_int_equal(crypto_sign_verify_detached(sig, bad, sizeof(bad), id.sign_pk), -1);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), other.sign_pk), -1);
	/* The keys are re-protected after each use: a second call works and
	 * Ed25519 is deterministic. */
	assert_int_equal(cv_keyholder_sign(kh, msg, sizeof(msg), sig2, &err), CV_OK);
	assert_memory_equal(sig, sig2, sizeof(sig));
	/* An empty message is a message. */
	assert_int_equal(cv_keyholder_sign(kh, msg, 0, sig2, &err), CV_OK);
	assert_int_equal(crypto_sign_verify_detached(sig2, msg, 0, id.sign_pk), 0);
	cv_keyholder_free(kh);
	ident_free(&id);
	ident_free(&other);
}

static void test_local_unseals(void **state)
{
	static const uint8_t msg[32] = "a 32-byte case key, for example";
	uint8_t c[sizeof(msg) + crypto_box_SEALBYTES], m[sizeof(msg)];
	struct ident id;
	cv_keyholder *kh;
	cv_err err = {0};

	(void)state;
	ident_new(&id);
	kh = holder(&id);
	assert_int_equal(crypto_box_seal(c, msg, sizeof(msg), id.box_pk), 0);
	memset(m, 0, sizeof(m));
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c), m, &err), CV_OK);
	assert_memory_equal(m, msg, sizeof(msg));
	/* Again, through the re-protected keys. */
	memset(m, 0, sizeof(m));
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c), m, &err), CV_OK);
	assert_memory_equal(m, msg, sizeof(msg));
	cv_keyholder_free(kh);
	ident_free(&id);
}

static void test_unseal_tampered(void **state)
{
	static const uint8_t msg[32] = "a 32-byte case key, for example";
	uint8_t c[sizeof(msg) + crypto_box_SEALBYTES], m[sizeof(msg)];
	/* The ephemeral public key, the MAC, the first and last ciphertext bytes. */
	static const size_t flip[] = {0, 31, 32, 47, 48, sizeof(msg) + crypto_box_SEALBYTES - 1};
	struct ident id, other;
	cv_keyholder *kh;
	cv_err err;

	(void)state;
	ident_new(&id);
	ident_new(&other);
	kh = holder(&id);
	assert_int_equal(crypto_box_seal(c, msg, sizeof(msg), id.box_pk), 0);
	for (size_t i = 0; i < sizeof(flip) / sizeof(flip[0]); i++) {
		c[flip[i]] ^= 0x01;
		memset(&err, 0, sizeof(err));
		if (cv_keyholder_unseal(kh, c, sizeof(c), m, &err) != CV_EINTEGRITY)
			fail_msg("flipped byte %zu accepted", flip[i]);
		assert_int_equal(err.status, CV_EINTEGRITY);
		assert_string_equal(err.code, "key.unseal");
		c[flip[i]] ^= 0x01;
	}
	/* Cut short by a byte; shorter than the seal overhead; empty. */
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c) - 1, m, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "key.unseal");
	assert_int_equal(cv_keyholder_unseal(kh, c, crypto_box_SEALBYTES - 1, m, &err),
			 CV_EINTEGRITY);
	assert_string_equal(err.code, "key.sealed-short");
	assert_int_equal(cv_keyholder_unseal(kh, c, 0, m, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "key.sealed-short");
	/* Sealed to someone else. */
	assert_int_equal(crypto_box_seal(c, msg, sizeof(msg), other.box_pk), 0);
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c), m, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "key.unseal");
	/* The untouched original still opens: the failures were not sticky. */
	assert_int_equal(crypto_box_seal(c, msg, sizeof(msg), id.box_pk), 0);
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c), m, &err), CV_OK);
	assert_memory_equal(m, msg, sizeof(msg));
	cv_keyholder_free(kh);
	ident_free(&id);
	ident_free(&other);
}

static void test_local_wraps(void **state)
{
	static const uint8_t ad[] = "casevault-user-keys-v1 0123456789abcdef 00000002";
	uint8_t nonce[NONCE_LEN], nonce2[NONCE_LEN], box[WRAPPED_LEN], box2[WRAPPED_LEN];
	uint8_t badad[sizeof(ad)];
	uint8_t *key = sodium_malloc(32), *key2 = sodium_malloc(32);
	uint8_t *out = sodium_malloc(CV_SECRETS_LEN);
	unsigned long long outlen = 0;
	struct ident id;
	cv_keyholder *kh;
	cv_err err = {0};

	(void)state;
	assert_non_null(key);
	assert_non_null(key2);
	assert_non_null(out);
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	crypto_aead_xchacha20poly1305_ietf_keygen(key2);
	ident_new(&id);
	kh = holder(&id);
	assert_int_equal(cv_keyholder_wrap(kh, key, ad, sizeof(ad), nonce, box, &err), CV_OK);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
			     out, &outlen, NULL, box, sizeof(box), ad, sizeof(ad), nonce, key),
			 0);
	assert_int_equal(outlen, CV_SECRETS_LEN);
	assert_memory_equal(out, id.secrets, CV_SECRETS_LEN);

	/* Bound to the associated data and the key. */
	memcpy(badad, ad, sizeof(ad));
	badad[sizeof(ad) - 2] ^= 1; /* another user id */
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
			     out, NULL, NULL, box, sizeof(box), badad, sizeof(badad), nonce, key),
			 -1);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
			     out, NULL, NULL, box, sizeof(box), ad, sizeof(ad), nonce, key2),
			 -1);

	/* A fresh nonce for every wrap. */
	assert_int_equal(cv_keyholder_wrap(kh, key, ad, sizeof(ad), nonce2, box2, &err), CV_OK);
	assert_memory_not_equal(nonce, nonce2, sizeof(nonce));
	assert_memory_not_equal(box, box2, sizeof(box));
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
			     out, NULL, NULL, box2, sizeof(box2), ad, sizeof(ad), nonce2, key),
			 0);
	assert_memory_equal(out, id.secrets, CV_SECRETS_LEN);

	/* The rewrapped secrets make a holder that works like the first. */
	cv_keyholder_free(kh);
	kh = NULL;
	assert_int_equal(cv_keyholder_local(out, id.box_pk, id.sign_pk, &kh, &err), CV_OK);
	cv_keyholder_free(kh);
	sodium_free(key);
	sodium_free(key2);
	sodium_free(out);
	ident_free(&id);
}

static void expect_refused(const uint8_t *secrets, const uint8_t *box_pk, const uint8_t *sign_pk,
			   const char *what)
{
	static cv_keyholder dummy;
	cv_keyholder *kh = &dummy; /* not NULL: a refusal must clear it */
	cv_err err = {0};

	if (cv_keyholder_local(secrets, box_pk, sign_pk, &kh, &err) != CV_EINTEGRITY) {
		if (kh != &dummy)
			cv_keyholder_free(kh);
		fail_msg("%s: accepted", what);
	}
	assert_null(kh);
	assert_int_equal(err.status, CV_EINTEGRITY);
	assert_string_equal(err.code, "auth.keys-mismatch");
	assert_non_null(strstr(err.msg, "do not match"));
}

static void test_local_refuses_mismatch(void **state)
{
	struct ident a, b;

	(void)state;
	ident_new(&a);
	ident_new(&b);
	expect_refused(a.secrets, b.box_pk, a.sign_pk, "another box key");
	expect_refused(a.secrets, a.box_pk, b.sign_pk, "another signing key");
	expect_refused(a.secrets, b.box_pk, b.sign_pk, "both keys of another");
	/* b's X25519 secret with a's Ed25519 secret, offered as a. */
	memcpy(b.secrets + crypto_box_SECRETKEYBYTES, a.secrets + crypto_box_SECRETKEYBYTES,
	       crypto_sign_SECRETKEYBYTES);
	expect_refused(b.secrets, a.box_pk, a.sign_pk, "swapped box secret");
	ident_free(&a);
	ident_free(&b);
}

/*
 * The Ed25519 secret key is seed || public key.  A secret whose seed
 * belongs to another key but which carries a's public key in its second
 * half is not a's key: it would sign with a key whose signatures do not
 * verify under a's public key.  The contract says the public keys are
 * derived from the secrets and compared.
 * EXPOSES A BUG in keyholder.c (only the copied public half is compared):
 * see the report.
 */
static void test_local_refuses_foreign_seed(void **state)
{
	struct ident a, b;

	(void)state;
	ident_new(&a);
	ident_new(&b);
	/* a's X25519 secret, b's Ed25519 seed, a's Ed25519 public key. */
	memcpy(a.secrets + crypto_box_SECRETKEYBYTES, b.secrets + crypto_box_SECRETKEYBYTES,
	       crypto_sign_SEEDBYTES);
	expect_refused(a.secrets, a.box_pk, a.sign_pk, "foreign Ed25519 seed");
	ident_free(&a);
	ident_free(&b);
}

static void test_box_only(void **state)
{
	static const uint8_t msg[] = "sealed to the recovery key";
	uint8_t pk[crypto_box_PUBLICKEYBYTES], c[sizeof(msg) + crypto_box_SEALBYTES],
	    m[sizeof(msg)], sig[crypto_sign_BYTES], nonce[NONCE_LEN], box[WRAPPED_LEN],
	    key[32] = {0};
	uint8_t *sk = sodium_malloc(crypto_box_SECRETKEYBYTES);
	cv_keyholder *kh = NULL;
	cv_err err;

	(void)state;
	assert_non_null(sk);
	assert_int_equal(crypto_box_keypair(pk, sk), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_keyholder_box_only(sk, &kh, &err), CV_OK);
	assert_non_null(kh);
	assert_memory_equal(kh->box_pk, pk, sizeof(pk));

	assert_int_equal(crypto_box_seal(c, msg, sizeof(msg), pk), 0);
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c), m, &err), CV_OK);
	assert_memory_equal(m, msg, sizeof(msg));
	c[sizeof(c) - 1] ^= 0x80;
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c), m, &err), CV_EINTEGRITY);

	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_keyholder_sign(kh, msg, sizeof(msg), sig, &err), CV_ERROR);
	assert_int_equal(err.status, CV_ERROR);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_keyholder_wrap(kh, key, msg, sizeof(msg), nonce, box, &err), CV_ERROR);
	assert_int_equal(err.status, CV_ERROR);

	/* Unsealing still works after the refused operations. */
	c[sizeof(c) - 1] ^= 0x80;
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c), m, &err), CV_OK);
	cv_keyholder_free(kh);
	sodium_free(sk);
}

/* A box of msg from sender (secret key sk) to pk, under nonce. */
static void box_to(uint8_t *c, const char *msg, const uint8_t *nonce, const uint8_t *pk,
		   const uint8_t *sk)
{
	assert_int_equal(crypto_box_easy(c, (const uint8_t *)msg, strlen(msg) + 1, nonce, pk, sk),
			 0);
}

/* Key copies from more senders than the holder keeps shared keys for
 * (keyholder.c SHARED_MAX, 32): each opens, first and again, the first
 * senders' after theirs were replaced; a copy that was altered, or made by
 * another sender than the one named, does not open, whether the named
 * sender's shared key is kept or not; and a sender key of low order (no
 * shared key) opens nothing and leaves nothing kept that could open a box
 * made with an all-zero key. */
static void test_unbox_shared_keys(void **state)
{
	enum { SENDERS = 40, MSG_MAX = 48 };
	struct ident a;
	uint8_t pk[SENDERS][crypto_box_PUBLICKEYBYTES], nonce[crypto_box_NONCEBYTES];
	uint8_t *sk = sodium_malloc((size_t)SENDERS * crypto_box_SECRETKEYBYTES);
	uint8_t c[MSG_MAX + crypto_box_MACBYTES], m[MSG_MAX],
	    zero_pk[crypto_box_PUBLICKEYBYTES] = {0};
	uint8_t k[crypto_box_BEFORENMBYTES], s0[32] = {0}, n0[16] = {0};
	char msg[MSG_MAX];
	cv_keyholder *kh;
	cv_err err;

	(void)state;
	assert_non_null(sk);
	ident_new(&a);
	kh = holder(&a);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < SENDERS; i++) {
			uint8_t *ski = sk + (size_t)i * crypto_box_SECRETKEYBYTES;

			if (round == 0)
				assert_int_equal(crypto_box_keypair(pk[i], ski), 0);
			snprintf(msg, sizeof(msg), "copy %d from sender %d", round, i);
			randombytes_buf(nonce, sizeof(nonce));
			box_to(c, msg, nonce, a.box_pk, ski);
			memset(m, 0, sizeof(m));
			memset(&err, 0, sizeof(err));
			assert_int_equal(cv_keyholder_unbox(kh, c,
							    strlen(msg) + 1 + crypto_box_MACBYTES,
							    nonce, pk[i], m, &err),
					 CV_OK);
			assert_string_equal((const char *)m, msg);
			/* altered */
			c[0] ^= 1;
			assert_int_equal(cv_keyholder_unbox(kh, c,
							    strlen(msg) + 1 + crypto_box_MACBYTES,
							    nonce, pk[i], m, &err),
					 CV_EINTEGRITY);
			c[0] ^= 1;
			/* named as from another sender (kept or not) */
			assert_int_equal(cv_keyholder_unbox(kh, c,
							    strlen(msg) + 1 + crypto_box_MACBYTES,
							    nonce, pk[(i + 1) % SENDERS], m, &err),
					 CV_EINTEGRITY);
			assert_int_equal(
			    cv_keyholder_unbox(kh, c, strlen(msg) + 1 + crypto_box_MACBYTES, nonce,
					       pk[(i + SENDERS - 1) % SENDERS], m, &err),
			    CV_EINTEGRITY);
		}
	/* A sender key of low order, twice: the all-zero key and the key an
	 * all-zero exchange would give open nothing. */
	snprintf(msg, sizeof(msg), "from nobody");
	randombytes_buf(nonce, sizeof(nonce));
	assert_int_equal(crypto_core_hsalsa20(k, n0, s0, NULL), 0);
	for (int round = 0; round < 2; round++) {
		static const uint8_t zero_k[crypto_box_BEFORENMBYTES] = {0};

		assert_int_equal(crypto_box_easy_afternm(c, (const uint8_t *)msg, strlen(msg) + 1,
							 nonce, zero_k),
				 0);
		assert_int_equal(cv_keyholder_unbox(kh, c, strlen(msg) + 1 + crypto_box_MACBYTES,
						    nonce, zero_pk, m, &err),
				 CV_EINTEGRITY);
		assert_int_equal(
		    crypto_box_easy_afternm(c, (const uint8_t *)msg, strlen(msg) + 1, nonce, k), 0);
		assert_int_equal(cv_keyholder_unbox(kh, c, strlen(msg) + 1 + crypto_box_MACBYTES,
						    nonce, zero_pk, m, &err),
				 CV_EINTEGRITY);
	}
	/* and the senders' copies still open after it */
	snprintf(msg, sizeof(msg), "after the refusals");
	box_to(c, msg, nonce, a.box_pk, sk);
	assert_int_equal(
	    cv_keyholder_unbox(kh, c, strlen(msg) + 1 + crypto_box_MACBYTES, nonce, pk[0], m, &err),
	    CV_OK);
	assert_string_equal((const char *)m, msg);
	cv_keyholder_free(kh);
	ident_free(&a);
	sodium_free(sk);
}

static void test_free_null(void **state)
{
	(void)state;
	cv_keyholder_free(NULL);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_public_keys),
		cmocka_unit_test(test_local_signs),
		cmocka_unit_test(test_local_unseals),
		cmocka_unit_test(test_unseal_tampered),
		cmocka_unit_test(test_local_wraps),
		cmocka_unit_test(test_local_refuses_mismatch),
		cmocka_unit_test(test_local_refuses_foreign_seed),
		cmocka_unit_test(test_box_only),
		cmocka_unit_test(test_unbox_shared_keys),
		cmocka_unit_test(test_free_null),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, setup, NULL);
}

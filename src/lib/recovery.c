/*
 * recovery.c - middle layer: the recovery code: 16 random bytes and 2 check bytes, shown
 * as nine dash-separated groups of four hex digits.  The X25519 key pair is
 * derived from the 16 bytes; its public half is stored signed by the first
 * admin, its secret half only on paper.
 */
#include <string.h>

#include "buf.h"
#include "cert.h"
#include "err.h"
#include "sigmemo.h"
#include "recovery.h"
#include "banned.h"

#define SEED_LEN 16
#define CHECK_LEN 2
static const char key_domain[] = "casevault-recovery-key-v1";
static const char check_domain[] = "casevault-recovery-check-v1";
static const char pk_domain[] = "casevault-recovery-pk-v1";

static void derive(const uint8_t seed[SEED_LEN], uint8_t pk[crypto_box_PUBLICKEYBYTES],
		   uint8_t sk[crypto_box_SECRETKEYBYTES])
{
	uint8_t kseed[CV_DIGEST_LEN];
	cv_bytes part = {seed, SEED_LEN};

	cv_hash(kseed, NULL, 0, key_domain, &part, 1);
	crypto_box_seed_keypair(pk, sk, kseed);
	sodium_memzero(kseed, sizeof(kseed));
}

static void check(const uint8_t seed[SEED_LEN], uint8_t out[CHECK_LEN])
{
	uint8_t h[CV_DIGEST_LEN];
	cv_bytes part = {seed, SEED_LEN};

	cv_hash(h, NULL, 0, check_domain, &part, 1);
	memcpy(out, h, CHECK_LEN);
	sodium_memzero(h, sizeof(h));
}

cv_status cv_recovery_generate(char *code, uint8_t pk[crypto_box_PUBLICKEYBYTES], cv_err *err)
{
	uint8_t *raw = sodium_malloc(SEED_LEN + CHECK_LEN + crypto_box_SECRETKEYBYTES);
	char *hex = sodium_malloc(2 * (SEED_LEN + CHECK_LEN) + 1);
	size_t o = 0;

	if (!raw || !hex) {
		sodium_free(raw);
		sodium_free(hex);
		return cv_err_set(err, CV_ERROR, "out of memory");
	}
	randombytes_buf(raw, SEED_LEN);
	check(raw, raw + SEED_LEN);
	derive(raw, pk, raw + SEED_LEN + CHECK_LEN);
	sodium_bin2hex(hex, 2 * (SEED_LEN + CHECK_LEN) + 1, raw, SEED_LEN + CHECK_LEN);
	for (size_t i = 0; i < 2 * (SEED_LEN + CHECK_LEN); i++) {
		if (i && i % 4 == 0)
			code[o++] = '-';
		code[o++] = hex[i];
	}
	code[o] = '\0';
	sodium_free(raw);
	sodium_free(hex);
	return CV_OK;
}

cv_status cv_recovery_open(cv_vault *v, const char *code, cv_keyholder **out, cv_err *err)
{
	uint8_t *raw = sodium_malloc(SEED_LEN + CHECK_LEN + crypto_box_SECRETKEYBYTES);
	char *lower = sodium_malloc(CV_RECOVERY_CODE_LEN * 2 + 1);
	uint8_t pk[crypto_box_PUBLICKEYBYTES], want[crypto_box_PUBLICKEYBYTES], chk[CHECK_LEN];
	size_t got = 0, n = strlen(code);
	cv_status st;

	*out = NULL;
	if (!raw || !lower) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	if (n > CV_RECOVERY_CODE_LEN * 2)
		goto bad;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (code[i] >= 'A' && code[i] <= 'F') ? (char)(code[i] + 32) : code[i];
	if (sodium_hex2bin(raw, SEED_LEN + CHECK_LEN, lower, n, "- ", &got, NULL) != 0 ||
	    got != SEED_LEN + CHECK_LEN)
		goto bad;
	check(raw, chk);
	if (sodium_memcmp(chk, raw + SEED_LEN, CHECK_LEN) != 0)
		goto bad;
	st = cv_recovery_pk(v, want, err);
	if (st != CV_OK)
		goto out;
	derive(raw, pk, raw + SEED_LEN + CHECK_LEN);
	if (sodium_memcmp(pk, want, sizeof(pk)) != 0) {
		st = cv_fail(err, CV_EAUTH, "recovery.other-vault",
			     "that recovery code belongs to another vault; use this vault's code");
		goto out;
	}
	st = cv_keyholder_box_only(raw + SEED_LEN + CHECK_LEN, out, err);
	goto out;
bad:
	st = cv_fail(err, CV_EAUTH, "recovery.mistyped",
		     "the recovery code is mistyped (it is 36 hex digits in groups of four); "
		     "check it against the paper copy");
out:
	sodium_free(raw);
	sodium_free(lower);
	return st;
}

static void pk_msg(const cv_vault *v, const uint8_t pk[crypto_box_PUBLICKEYBYTES],
		   uint8_t out[sizeof(pk_domain) - 1 + CV_VAULT_ID_LEN + crypto_box_PUBLICKEYBYTES])
{
	size_t o = sizeof(pk_domain) - 1;

	memcpy(out, pk_domain, o);
	memcpy(out + o, v->vault_id, CV_VAULT_ID_LEN);
	memcpy(out + o + CV_VAULT_ID_LEN, pk, crypto_box_PUBLICKEYBYTES);
}

#define PK_MSG_LEN (sizeof(pk_domain) - 1 + CV_VAULT_ID_LEN + crypto_box_PUBLICKEYBYTES)

cv_status cv_recovery_store(cv_vault *v, const uint8_t pk[crypto_box_PUBLICKEYBYTES],
			    cv_keyholder *root, cv_err *err)
{
	uint8_t msg[PK_MSG_LEN], sig[crypto_sign_BYTES];
	cv_status st;

	pk_msg(v, pk, msg);
	st = cv_keyholder_sign(root, msg, sizeof(msg), sig, err);
	if (st == CV_OK)
		st = cv_store_meta_put(v->st, "recovery_pk", pk, crypto_box_PUBLICKEYBYTES, err);
	if (st == CV_OK)
		st = cv_store_meta_put(v->st, "recovery_sig", sig, sizeof(sig), err);
	return st;
}

cv_status cv_recovery_pk(cv_vault *v, uint8_t pk[crypto_box_PUBLICKEYBYTES], cv_err *err)
{
	uint8_t msg[PK_MSG_LEN], sig[crypto_sign_BYTES];
	cv_user_rec root;
	cv_status st;

	st = cv_store_meta_get(v->st, "recovery_pk", pk, crypto_box_PUBLICKEYBYTES, err);
	if (st == CV_OK)
		st = cv_store_meta_get(v->st, "recovery_sig", sig, sizeof(sig), err);
	if (st == CV_OK)
		st = cv_store_cert_at(v->st, 1, 1, &root, err); /* user 1's first identity */
	if (st != CV_OK)
		return st == CV_ENOTFOUND ? cv_fail(err, CV_EINTEGRITY, "recovery.missing",
						    "the vault's recovery key or first admin "
						    "is missing: the vault was tampered with")
					  : st;
	st = cv_user_cert_verify(v, &root, err);
	if (st != CV_OK)
		return st;
	pk_msg(v, pk, msg);
	if (!cv_sig_verify(v->sigs, sig, msg, sizeof(msg), root.sign_pk))
		return cv_fail(err, CV_EINTEGRITY, "recovery.signature",
			       "the vault's recovery key is not the one the first admin signed: "
			       "the vault was tampered with");
	/* A signature is not enough: the first admin could sign another key.
	 * The key is the one the first log row committed to, for good. */
	if (sodium_memcmp(pk, v->recovery_pk, crypto_box_PUBLICKEYBYTES) != 0)
		return cv_fail(
		    err, CV_EINTEGRITY, "recovery.replaced",
		    "the vault's recovery key is not the one its first log row committed "
		    "to: it was replaced; run 'casevault audit verify' and restore from a "
		    "backup");
	return CV_OK;
}

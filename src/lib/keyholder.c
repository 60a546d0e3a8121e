/*
 * keyholder.c - ground layer: the in-process key holder: secret keys in guarded memory,
 * readable only for the duration of one operation.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "keyholder.h"
#include "vocab.h"
#include "banned.h"

/* How many senders' shared keys a holder keeps (see struct local_keys). */
#define SHARED_MAX 32

/* A sender's X25519 public key and the crypto_box shared key
 * (crypto_box_beforenm) of it and this holder's secret key. */
struct shared_key {
	uint8_t peer_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t k[crypto_box_BEFORENMBYTES];
};

/* box_sk || sign_sk is exactly the wrapped layout (CV_SECRETS_LEN bytes).
 * shared: the shared keys of the last SHARED_MAX senders whose key copies
 * opened (nshared used, next the one to replace), so that another copy
 * from one of them (a case key after the vault key, a list of cases
 * granted by one colleague, every command of an unlock agent) skips the
 * key exchange: crypto_box_open_easy is crypto_box_beforenm then
 * crypto_box_open_easy_afternm.  They are secrets of the same worth as
 * box_sk, kept beside it in the same guarded memory, wiped with it. */
struct local_keys {
	uint8_t box_sk[crypto_box_SECRETKEYBYTES];
	uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
	int can_sign;
	unsigned nshared, next;
	struct shared_key shared[SHARED_MAX];
};
_Static_assert(offsetof(struct local_keys, sign_sk) == crypto_box_SECRETKEYBYTES,
	       "secret keys must be contiguous");

static cv_status local_sign(cv_keyholder *kh, const uint8_t *msg, size_t len,
			    uint8_t sig[crypto_sign_BYTES], cv_err *err)
{
	struct local_keys *k = kh->impl;
	int rc;

	sodium_mprotect_readonly(k);
	rc = k->can_sign ? crypto_sign_detached(sig, NULL, msg, len, k->sign_sk) : -1;
	sodium_mprotect_noaccess(k);
	if (rc != 0)
		return cv_err_set(err, CV_ERROR, "signing failed");
	return CV_OK;
}

static cv_status local_unseal(cv_keyholder *kh, const uint8_t *c, size_t clen, uint8_t *m,
			      cv_err *err)
{
	struct local_keys *k = kh->impl;
	int rc;

	if (clen < crypto_box_SEALBYTES)
		return cv_fail(err, CV_EINTEGRITY, "key.sealed-short", "sealed key is too short");
	sodium_mprotect_readonly(k);
	rc = crypto_box_seal_open(m, c, clen, kh->box_pk, k->box_sk);
	sodium_mprotect_noaccess(k);
	if (rc != 0)
		return cv_fail(err, CV_EINTEGRITY, "key.unseal",
			       "a sealed key does not open with this key");
	return CV_OK;
}

static cv_status local_wrap(cv_keyholder *kh, const uint8_t *key, const uint8_t *ad, size_t adlen,
			    uint8_t *nonce, uint8_t *box, cv_err *err)
{
	struct local_keys *k = kh->impl;
	int rc;

	randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	sodium_mprotect_readonly(k);
	/* box_sk and sign_sk are adjacent in the struct, which is CV_SECRETS_LEN
	 * bytes of secrets followed by the flag: encrypt them in place order. */
	rc = k->can_sign ? crypto_aead_xchacha20poly1305_ietf_encrypt(box, NULL, (const uint8_t *)k,
								      CV_SECRETS_LEN, ad, adlen,
								      NULL, nonce, key)
			 : -1;
	sodium_mprotect_noaccess(k);
	if (rc != 0)
		return cv_err_set(err, CV_ERROR, "cannot wrap the secret keys");
	return CV_OK;
}

static cv_status local_box(cv_keyholder *kh, const uint8_t *m, size_t mlen, const uint8_t *nonce,
			   const uint8_t *peer_pk, uint8_t *c, cv_err *err)
{
	struct local_keys *k = kh->impl;
	int rc;

	sodium_mprotect_readonly(k);
	rc = crypto_box_easy(c, m, mlen, nonce, peer_pk, k->box_sk);
	sodium_mprotect_noaccess(k);
	if (rc != 0)
		return cv_err_set(err, CV_ERROR, "cannot encrypt a key copy");
	return CV_OK;
}

/* crypto_box_open_easy of c from peer_pk with k (readable and writable):
 * with the sender's shared key when k keeps it, else with a new one, kept
 * in place of the oldest.  A key of low order makes no shared key: the
 * box does not open, as with crypto_box_open_easy, and nothing is kept. */
static int open_from(struct local_keys *k, const uint8_t *c, size_t clen, const uint8_t *nonce,
		     const uint8_t *peer_pk, uint8_t *m)
{
	struct shared_key *sk = NULL;

	/* Public keys, but which shared key is held is not to be timed:
	 * compared in constant time, as the stats walk's cache does. */
	for (unsigned i = 0; i < k->nshared && !sk; i++)
		if (sodium_memcmp(k->shared[i].peer_pk, peer_pk, crypto_box_PUBLICKEYBYTES) == 0)
			sk = &k->shared[i];
	if (!sk) {
		uint8_t key[crypto_box_BEFORENMBYTES];
		int rc = crypto_box_beforenm(key, peer_pk, k->box_sk);

		if (rc == 0) {
			sk = &k->shared[k->next];
			memcpy(sk->k, key, sizeof(key));
			memcpy(sk->peer_pk, peer_pk, crypto_box_PUBLICKEYBYTES);
			if (k->nshared < SHARED_MAX)
				k->nshared++;
			k->next = (k->next + 1) % SHARED_MAX;
		}
		sodium_memzero(key, sizeof(key));
		if (rc != 0)
			return -1;
	}
	return crypto_box_open_easy_afternm(m, c, clen, nonce, sk->k);
}

static cv_status local_unbox(cv_keyholder *kh, const uint8_t *c, size_t clen, const uint8_t *nonce,
			     const uint8_t *peer_pk, uint8_t *m, cv_err *err)
{
	struct local_keys *k = kh->impl;
	int rc;

	if (clen < crypto_box_MACBYTES)
		return cv_fail(err, CV_EINTEGRITY, "key.box-short", "a key copy is too short");
	sodium_mprotect_readwrite(k);
	rc = open_from(k, c, clen, nonce, peer_pk, m);
	sodium_mprotect_noaccess(k);
	if (rc != 0)
		return cv_fail(err, CV_EINTEGRITY, "key.unbox",
			       "a key copy does not open with this key from its sender");
	return CV_OK;
}

static void local_destroy(cv_keyholder *kh)
{
	sodium_free(kh->impl); /* sodium_free wipes before unmapping */
	kh->impl = NULL;
}

static const struct cv_keyholder_ops local_ops = {
    local_sign, local_unseal, local_wrap, local_destroy, local_box, local_unbox, NULL, NULL};

static cv_status local_new(cv_keyholder **out, struct local_keys **keys, cv_err *err)
{
	cv_keyholder *kh = calloc(1, sizeof(*kh));
	struct local_keys *k = sodium_malloc(sizeof(*k));

	if (!kh || !k) {
		free(kh);
		sodium_free(k);
		return cv_err_set(err, CV_ERROR, "out of memory for keys");
	}
	sodium_memzero(k, sizeof(*k)); /* no shared key kept yet */
	kh->ops = &local_ops;
	kh->impl = k;
	*out = kh;
	*keys = k;
	return CV_OK;
}

cv_status cv_keyholder_local(const uint8_t *secrets, const uint8_t *box_pk, const uint8_t *sign_pk,
			     cv_keyholder **out, cv_err *err)
{
	uint8_t pk[crypto_box_PUBLICKEYBYTES], spk[crypto_sign_PUBLICKEYBYTES];
	uint8_t ssk[crypto_sign_SECRETKEYBYTES];
	struct local_keys *k;
	cv_keyholder *kh;
	cv_status st;
	int bad;

	*out = NULL;
	st = local_new(&kh, &k, err);
	if (st != CV_OK)
		return st;
	memcpy(k->box_sk, secrets, sizeof(k->box_sk));
	memcpy(k->sign_sk, secrets + sizeof(k->box_sk), sizeof(k->sign_sk));
	k->can_sign = 1;
	crypto_scalarmult_base(pk, k->box_sk);
	/* Re-derive the signing pair from its seed (the first 32 bytes), so a
	 * secret key whose seed and public half disagree is refused. */
	crypto_sign_seed_keypair(spk, ssk, k->sign_sk);
	bad = sodium_memcmp(pk, box_pk, sizeof(pk)) != 0 ||
	      sodium_memcmp(spk, sign_pk, sizeof(spk)) != 0 ||
	      sodium_memcmp(ssk, k->sign_sk, sizeof(ssk)) != 0;
	sodium_memzero(ssk, sizeof(ssk));
	if (bad) {
		cv_keyholder_free(kh);
		return cv_fail(err, CV_EINTEGRITY, CV_CODE_AUTH_KEYS,
			       "the unwrapped secret keys do not match the user record");
	}
	memcpy(kh->box_pk, box_pk, sizeof(kh->box_pk));
	memcpy(kh->sign_pk, sign_pk, sizeof(kh->sign_pk));
	sodium_mprotect_noaccess(k);
	*out = kh;
	return CV_OK;
}

cv_status cv_keyholder_box_only(const uint8_t sk[crypto_box_SECRETKEYBYTES], cv_keyholder **out,
				cv_err *err)
{
	struct local_keys *k;
	cv_keyholder *kh;
	cv_status st;

	*out = NULL;
	st = local_new(&kh, &k, err);
	if (st != CV_OK)
		return st;
	memcpy(k->box_sk, sk, sizeof(k->box_sk));
	sodium_memzero(k->sign_sk, sizeof(k->sign_sk));
	k->can_sign = 0;
	crypto_scalarmult_base(kh->box_pk, k->box_sk);
	sodium_mprotect_noaccess(k);
	*out = kh;
	return CV_OK;
}

void cv_keyholder_free(cv_keyholder *kh)
{
	if (!kh)
		return;
	if (kh->ops && kh->ops->destroy)
		kh->ops->destroy(kh);
	free(kh);
}

cv_status cv_keyholder_mlock(cv_keyholder *kh, cv_err *err)
{
	int rc;

	if (!kh || kh->ops != &local_ops || !kh->impl)
		return cv_err_set(err, CV_ERROR, "only keys held in this process can be locked");
	/* mlock wants the pages mapped; they are readable for the moment of
	 * the call only, as for an operation. */
	sodium_mprotect_readonly(kh->impl);
	rc = sodium_mlock(kh->impl, sizeof(struct local_keys));
	sodium_mprotect_noaccess(kh->impl);
	if (rc != 0)
		return cv_err_set(err, CV_ERROR,
				  "cannot lock the keys in memory (see RLIMIT_MEMLOCK, ulimit -l)");
	return CV_OK;
}

void cv_keyholder_prefetch(cv_keyholder *kh, const cv_unbox_item *items, size_t n)
{
	if (kh && kh->ops->prefetch)
		kh->ops->prefetch(kh, items, n);
}

int cv_keyholder_prefetches(const cv_keyholder *kh)
{
	return kh && kh->ops->prefetch != NULL;
}

cv_status cv_keyholder_unbox_many(cv_keyholder *kh, cv_unbox_item *items, size_t n, cv_err *err)
{
	if (kh->ops->unbox_many)
		return kh->ops->unbox_many(kh, items, n, err);
	for (size_t i = 0; i < n; i++)
		items[i].ok = kh->ops->unbox(kh, items[i].c, items[i].clen, items[i].nonce,
					     items[i].peer_pk, items[i].m, NULL) == CV_OK;
	return CV_OK;
}

cv_status cv_keyholder_sign(cv_keyholder *kh, const uint8_t *msg, size_t len,
			    uint8_t sig[crypto_sign_BYTES], cv_err *err)
{
	return kh->ops->sign(kh, msg, len, sig, err);
}

cv_status cv_keyholder_unseal(cv_keyholder *kh, const uint8_t *c, size_t clen, uint8_t *m,
			      cv_err *err)
{
	return kh->ops->unseal(kh, c, clen, m, err);
}

cv_status cv_keyholder_wrap(cv_keyholder *kh, const uint8_t *key, const uint8_t *ad, size_t adlen,
			    uint8_t *nonce, uint8_t *box, cv_err *err)
{
	return kh->ops->wrap(kh, key, ad, adlen, nonce, box, err);
}

cv_status cv_keyholder_box(cv_keyholder *kh, const uint8_t *m, size_t mlen, const uint8_t *nonce,
			   const uint8_t *peer_pk, uint8_t *c, cv_err *err)
{
	return kh->ops->box(kh, m, mlen, nonce, peer_pk, c, err);
}

cv_status cv_keyholder_unbox(cv_keyholder *kh, const uint8_t *c, size_t clen, const uint8_t *nonce,
			     const uint8_t *peer_pk, uint8_t *m, cv_err *err)
{
	return kh->ops->unbox(kh, c, clen, nonce, peer_pk, m, err);
}

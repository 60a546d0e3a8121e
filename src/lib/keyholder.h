/*
 * keyholder.h - ground layer: an unlocked identity: something that can sign, unseal
 * and box (to and from another X25519 key) with secret keys that callers
 * never see.  The keys sit in this process (cv_keyholder_local), or in
 * the unlock agent's (agent.h cv_agent_keyholder), which performs the same
 * operations over its socket, so callers do not change.
 */
#ifndef CV_KEYHOLDER_H
#define CV_KEYHOLDER_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "casevault.h"

typedef struct cv_keyholder cv_keyholder;

/* One box of a batch unbox (see unbox_many): c (clen bytes) from peer_pk
 * under nonce opens into m (clen - crypto_box_MACBYTES bytes); ok says
 * whether it did. */
typedef struct cv_unbox_item {
	const uint8_t *c;
	size_t clen;
	const uint8_t *nonce;
	const uint8_t *peer_pk;
	uint8_t *m;
	int ok;
} cv_unbox_item;

struct cv_keyholder_ops {
	/* Ed25519 detached signature over msg. */
	cv_status (*sign)(cv_keyholder *kh, const uint8_t *msg, size_t len,
			  uint8_t sig[crypto_sign_BYTES], cv_err *err);
	/* crypto_box_seal_open of c into m (clen - crypto_box_SEALBYTES bytes). */
	cv_status (*unseal)(cv_keyholder *kh, const uint8_t *c, size_t clen, uint8_t *m,
			    cv_err *err);
	/* Encrypts the secret keys under key (XChaCha20-Poly1305 with ad and
	 * a fresh random nonce) so that a new passphrase can protect them
	 * without the secrets leaving the holder. */
	cv_status (*wrap)(cv_keyholder *kh, const uint8_t *key, const uint8_t *ad, size_t adlen,
			  uint8_t *nonce, uint8_t *box, cv_err *err);
	void (*destroy)(cv_keyholder *kh);
	/* crypto_box_easy of m (mlen bytes) from this holder's X25519 key to
	 * peer_pk under nonce: c receives mlen + crypto_box_MACBYTES bytes.
	 * An authenticated key copy (docs/FORMAT.md §4.5). */
	cv_status (*box)(cv_keyholder *kh, const uint8_t *m, size_t mlen, const uint8_t *nonce,
			 const uint8_t *peer_pk, uint8_t *c, cv_err *err);
	/* crypto_box_open_easy of c (clen bytes) from peer_pk to this holder
	 * into m (clen - crypto_box_MACBYTES bytes); CV_EINTEGRITY when it does
	 * not open. */
	cv_status (*unbox)(cv_keyholder *kh, const uint8_t *c, size_t clen, const uint8_t *nonce,
			   const uint8_t *peer_pk, uint8_t *m, cv_err *err);
	/* unbox of n items at once (one round trip to the unlock agent
	 * instead of n): sets each item's ok; fails only when the holder
	 * cannot answer at all.  NULL: cv_keyholder_unbox_many calls unbox
	 * n times. */
	cv_status (*unbox_many)(cv_keyholder *kh, cv_unbox_item *items, size_t n, cv_err *err);
	/* Opens items (c, clen, nonce, peer_pk; m unused) ahead with
	 * unbox_many and keeps what opened for the unbox calls that follow,
	 * each answered once from it; n == 0 wipes what is kept.  NULL: a
	 * holder in this process, for which a round trip costs nothing. */
	void (*prefetch)(cv_keyholder *kh, const cv_unbox_item *items, size_t n);
};

struct cv_keyholder {
	const struct cv_keyholder_ops *ops;
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES];
	void *impl;
};

/* The secret half of an identity as it is wrapped in the vault:
 * X25519 secret key (32) || Ed25519 secret key (64, seed || public key). */
#define CV_SECRETS_LEN (crypto_box_SECRETKEYBYTES + crypto_sign_SECRETKEYBYTES)

/*
 * cv_keyholder_local - a key holder over secrets[CV_SECRETS_LEN].  The
 * secrets are copied into sodium_malloc memory that is kept PROT_NONE
 * between operations; the caller wipes its own copy.  Fails with
 * CV_EINTEGRITY when the public keys derived from the secrets do not match
 * box_pk and sign_pk (a record that was swapped).
 */
cv_status cv_keyholder_local(const uint8_t *secrets, const uint8_t *box_pk, const uint8_t *sign_pk,
			     cv_keyholder **out, cv_err *err);

/* A key holder for an unseal-only X25519 key (the vault's recovery key). */
cv_status cv_keyholder_box_only(const uint8_t sk[crypto_box_SECRETKEYBYTES], cv_keyholder **out,
				cv_err *err);

/* nonce: crypto_aead_xchacha20poly1305_ietf_NPUBBYTES; box: CV_SECRETS_LEN
 * plus crypto_aead_xchacha20poly1305_ietf_ABYTES. */
cv_status cv_keyholder_wrap(cv_keyholder *kh, const uint8_t *key, const uint8_t *ad, size_t adlen,
			    uint8_t *nonce, uint8_t *box, cv_err *err);

/* nonce: crypto_box_NONCEBYTES; peer_pk: crypto_box_PUBLICKEYBYTES (see
 * the box and unbox operations). */
cv_status cv_keyholder_box(cv_keyholder *kh, const uint8_t *m, size_t mlen, const uint8_t *nonce,
			   const uint8_t *peer_pk, uint8_t *c, cv_err *err);
cv_status cv_keyholder_unbox(cv_keyholder *kh, const uint8_t *c, size_t clen, const uint8_t *nonce,
			     const uint8_t *peer_pk, uint8_t *m, cv_err *err);

/*
 * cv_keyholder_prefetch - before n unbox calls that a walk will make one
 * by one (a list opening its cases' key copies), asks a holder that
 * answers over a socket to open them in one round trip; what opened is
 * kept (in guarded memory) for those calls, each answered once.  n == 0
 * wipes what is kept: call it when the walk is done.  Changes no result:
 * an unbox that was not prefetched, or did not open, is asked as usual.
 * cv_keyholder_prefetches says whether kh does anything with it.
 */
void cv_keyholder_prefetch(cv_keyholder *kh, const cv_unbox_item *items, size_t n);
int cv_keyholder_prefetches(const cv_keyholder *kh);

/* unbox_many, or unbox item by item for a holder without it. */
cv_status cv_keyholder_unbox_many(cv_keyholder *kh, cv_unbox_item *items, size_t n, cv_err *err);

/*
 * cv_keyholder_mlock - locks an in-process holder's secrets in memory
 * (sodium_mlock: never swapped, left out of core files).  sodium_malloc
 * does this already; a child made by fork(2) inherits no lock and calls
 * this again.  CV_ERROR when the holder is not an in-process one or the
 * lock is refused (RLIMIT_MEMLOCK).
 */
cv_status cv_keyholder_mlock(cv_keyholder *kh, cv_err *err);

/* Frees kh and wipes its secrets; kh may be NULL. */
void cv_keyholder_free(cv_keyholder *kh);

/* Convenience wrappers around kh->ops. */
cv_status cv_keyholder_sign(cv_keyholder *kh, const uint8_t *msg, size_t len,
			    uint8_t sig[crypto_sign_BYTES], cv_err *err);
cv_status cv_keyholder_unseal(cv_keyholder *kh, const uint8_t *c, size_t clen, uint8_t *m,
			      cv_err *err);

#endif

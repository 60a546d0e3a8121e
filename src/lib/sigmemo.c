/*
 * sigmemo.c - ground layer: Ed25519 signatures known to verify (see
 * sigmemo.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sigmemo.h"
#include "banned.h"

static const char tag_domain[] = "casevault-verified-signature-v1";

void cv_sigmemo_tag(const uint8_t pk[crypto_sign_PUBLICKEYBYTES],
		    const uint8_t sig[crypto_sign_BYTES], const uint8_t *msg, size_t len,
		    uint8_t tag[CV_SIGMEMO_TAG_LEN])
{
	crypto_generichash_state h;
	uint8_t n[8];

	/* The message's length first: no two inputs make the same bytes. */
	for (size_t i = 0; i < sizeof(n); i++)
		n[i] = (uint8_t)((uint64_t)len >> (8 * (7 - i)));
	crypto_generichash_init(&h, NULL, 0, CV_SIGMEMO_TAG_LEN);
	crypto_generichash_update(&h, (const uint8_t *)tag_domain, sizeof(tag_domain));
	crypto_generichash_update(&h, pk, crypto_sign_PUBLICKEYBYTES);
	crypto_generichash_update(&h, sig, crypto_sign_BYTES);
	crypto_generichash_update(&h, n, sizeof(n));
	crypto_generichash_update(&h, msg, len);
	crypto_generichash_final(&h, tag, CV_SIGMEMO_TAG_LEN);
}

int cv_sigmemo_known(const cv_sigmemo *m, const uint8_t tag[CV_SIGMEMO_TAG_LEN])
{
	for (size_t i = 0; m && i < m->n; i++)
		if (sodium_memcmp(m->tags[i], tag, CV_SIGMEMO_TAG_LEN) == 0)
			return 1;
	return 0;
}

void cv_sigmemo_add(cv_sigmemo *m, const uint8_t tag[CV_SIGMEMO_TAG_LEN])
{
	size_t at;

	if (!m || cv_sigmemo_known(m, tag))
		return;
	at = m->n < CV_SIGMEMO_MAX ? m->n++ : m->next++ % CV_SIGMEMO_MAX;
	memcpy(m->tags[at], tag, CV_SIGMEMO_TAG_LEN);
}

int cv_sig_verify(cv_sigmemo *m, const uint8_t sig[crypto_sign_BYTES], const uint8_t *msg,
		  size_t len, const uint8_t pk[crypto_sign_PUBLICKEYBYTES])
{
	uint8_t tag[CV_SIGMEMO_TAG_LEN];
	struct cv_sigmemo_fresh *f;

	if (!m)
		return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
	cv_sigmemo_tag(pk, sig, msg, len, tag);
	if (cv_sigmemo_known(m, tag))
		return 1;
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return 0;
	/* Known from now on in this command too. */
	cv_sigmemo_add(m, tag);
	if (len > CV_SIGMEMO_MSG_MAX || m->nfresh >= CV_SIGMEMO_FRESH_MAX)
		return 1;
	if (!m->fresh && !(m->fresh = calloc(CV_SIGMEMO_FRESH_MAX, sizeof(*m->fresh))))
		return 1;
	f = &m->fresh[m->nfresh++];
	memcpy(f->pk, pk, sizeof(f->pk));
	memcpy(f->sig, sig, sizeof(f->sig));
	memcpy(f->msg, msg, len);
	f->len = len;
	return 1;
}

void cv_sigmemo_free(cv_sigmemo *m)
{
	if (!m)
		return;
	free(m->fresh);
	free(m);
}

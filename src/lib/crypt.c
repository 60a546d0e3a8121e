/*
 * crypt.c - middle layer: authenticated encryption bound to a place, sealed keys and
 * boxes, key commitments, ids.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "crypt.h"
#include "err.h"
#include "banned.h"

static const char ad_domain[] = "casevault-ad-v1";

static void place_ad(const cv_vault *v, const cv_place *at, cv_buf *b)
{
	cv_buf_raw(b, ad_domain, sizeof(ad_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_lp(b, at->type);
	cv_buf_lp(b, at->case_id);
	cv_buf_lp(b, at->row_id);
	cv_buf_u64(b, (uint64_t)at->version);
}

cv_status cv_aead_seal(cv_vault *v, const uint8_t *key, const cv_place *at, const uint8_t *pt,
		       size_t ptlen, uint8_t nonce[CV_AEAD_NONCE_LEN], uint8_t **box,
		       size_t *boxlen, cv_err *err)
{
	cv_buf ad = CV_BUF_INIT;
	unsigned long long n = 0;
	cv_status st = CV_OK;

	*box = malloc(ptlen + CV_AEAD_TAG_LEN);
	place_ad(v, at, &ad);
	if (!*box || ad.oom) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	randombytes_buf(nonce, CV_AEAD_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(*box, &n, pt, ptlen, ad.data, ad.len, NULL,
						   nonce, key);
	*boxlen = (size_t)n;
out:
	if (st != CV_OK) {
		free(*box);
		*box = NULL;
	}
	cv_buf_free(&ad);
	return st;
}

cv_status cv_aead_open(cv_vault *v, const uint8_t *key, const cv_place *at,
		       const uint8_t nonce[CV_AEAD_NONCE_LEN], const uint8_t *box, size_t boxlen,
		       uint8_t **pt, size_t *ptlen, cv_err *err)
{
	cv_buf ad = CV_BUF_INIT;
	unsigned long long n = 0;
	cv_status st = CV_OK;

	*pt = NULL;
	if (boxlen < CV_AEAD_TAG_LEN)
		return cv_fail(err, CV_EINTEGRITY, "content.truncated",
			       "the {1} of case '{2}' is truncated", at->type, at->case_id);
	place_ad(v, at, &ad);
	*pt = sodium_malloc(boxlen - CV_AEAD_TAG_LEN + 1);
	if (!*pt || ad.oom) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(*pt, &n, NULL, box, boxlen, ad.data, ad.len,
						       nonce, key) != 0) {
		st =
		    cv_fail(err, CV_EINTEGRITY, "content.tampered",
			    "the {1} '{2}' of case '{3}' does not decrypt: it was altered or moved "
			    "from another place; run 'casevault audit verify'",
			    at->type, at->row_id, at->case_id);
		goto out;
	}
	(*pt)[n] = '\0';
	*ptlen = (size_t)n;
out:
	if (st != CV_OK) {
		sodium_free(*pt);
		*pt = NULL;
	}
	cv_buf_free(&ad);
	return st;
}

void cv_key_commit(const uint8_t key[CV_KEY_LEN], uint8_t out[CV_HASH_LEN])
{
	static const char commit_domain[] = "casevault-key-commit-v1";
	cv_bytes part = {key, CV_KEY_LEN};

	cv_hash(out, NULL, 0, commit_domain, &part, 1);
}

cv_status cv_seal_bytes(const uint8_t pk[crypto_box_PUBLICKEYBYTES], const uint8_t *pt,
			size_t ptlen, uint8_t **box, size_t *boxlen, cv_err *err)
{
	*box = malloc(ptlen + crypto_box_SEALBYTES);
	*boxlen = 0;
	if (!*box)
		return cv_err_set(err, CV_ERROR, "out of memory");
	if (crypto_box_seal(*box, pt, ptlen, pk) != 0) {
		free(*box);
		*box = NULL;
		return cv_err_set(err, CV_ERROR, "cannot seal to a public key");
	}
	*boxlen = ptlen + crypto_box_SEALBYTES;
	return CV_OK;
}

cv_status cv_seal_open_bytes(const uint8_t pk[crypto_box_PUBLICKEYBYTES], const uint8_t *sk,
			     const uint8_t *box, size_t boxlen, uint8_t **pt, size_t *ptlen,
			     cv_err *err)
{
	*pt = NULL;
	*ptlen = 0;
	if (boxlen < crypto_box_SEALBYTES)
		return cv_fail(err, CV_EINTEGRITY, "sealed.truncated", "a sealed box is truncated");
	*pt = sodium_malloc(boxlen - crypto_box_SEALBYTES + 1);
	if (!*pt)
		return cv_err_set(err, CV_ERROR, "out of memory");
	if (crypto_box_seal_open(*pt, box, boxlen, pk, sk) != 0) {
		sodium_free(*pt);
		*pt = NULL;
		return cv_fail(err, CV_EINTEGRITY, "sealed.tampered",
			       "a sealed box does not open: it was altered");
	}
	*ptlen = boxlen - crypto_box_SEALBYTES;
	(*pt)[*ptlen] = '\0';
	return CV_OK;
}

void cv_seal_key(const uint8_t key[CV_KEY_LEN], const uint8_t pk[crypto_box_PUBLICKEYBYTES],
		 uint8_t sealed[CV_SEALED_KEY_LEN])
{
	crypto_box_seal(sealed, key, CV_KEY_LEN, pk);
}

cv_status cv_key_new(uint8_t **key, cv_err *err)
{
	*key = sodium_malloc(CV_KEY_LEN);
	if (!*key)
		return cv_err_set(err, CV_ERROR, "out of memory");
	randombytes_buf(*key, CV_KEY_LEN);
	return CV_OK;
}

cv_status cv_key_unseal(cv_keyholder *kh, const uint8_t sealed[CV_SEALED_KEY_LEN], uint8_t **key,
			cv_err *err)
{
	cv_status st;

	*key = sodium_malloc(CV_KEY_LEN);
	if (!*key)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_keyholder_unseal(kh, sealed, CV_SEALED_KEY_LEN, *key, err);
	if (st != CV_OK) {
		sodium_free(*key);
		*key = NULL;
	}
	return st;
}

cv_status cv_case_key_unseal(cv_keyholder *kh, const uint8_t sealed[CV_SEALED_KEY_LEN],
			     uint8_t **key, cv_err *err)
{
	return cv_key_unseal(kh, sealed, key, err);
}

cv_status cv_new_id(cv_vault *v, char prefix, size_t n, char *out, cv_err *err)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; /* Crockford */
	cv_status st;
	int taken = 1;

	for (int tries = 0; tries < 32 && taken; tries++) {
		out[0] = prefix;
		out[1] = '-';
		for (size_t i = 0; i < n; i++)
			out[2 + i] = alphabet[randombytes_uniform(32)];
		out[2 + n] = '\0';
		st = cv_store_id_taken(v->st, out, &taken, err);
		if (st != CV_OK)
			return st;
	}
	if (taken)
		return cv_fail(err, CV_ERROR, "id.exhausted",
			       "cannot find a free id; the vault is too full");
	return CV_OK;
}

int cv_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 7 || n > 8 || s[0] < 'A' || s[0] > 'Z' || s[1] != '-')
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", s[i]) || !s[i])
			return 0;
	return 1;
}

void cv_object_name(char *out, size_t cap, const char *kind, const char *id)
{
	snprintf(out, cap, "%s:%s", kind, cv_id_ok(id) ? id : "?");
}

/* Each block starts with its size so that free can wipe it; the header
 * keeps malloc's alignment. */
typedef union wipe_hdr {
	size_t n;
	max_align_t align;
} wipe_hdr;

static void *wipe_malloc(size_t n)
{
	wipe_hdr *p = malloc(n + sizeof(wipe_hdr));

	if (!p)
		return NULL;
	p->n = n;
	return p + 1;
}

static void wipe_free(void *ptr)
{
	wipe_hdr *p;

	if (!ptr)
		return;
	p = (wipe_hdr *)ptr - 1;
	sodium_memzero(ptr, p->n);
	free(p);
}

void cv_json_secure_alloc(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

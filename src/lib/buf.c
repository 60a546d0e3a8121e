/*
 * buf.c - ground layer: canonical byte encodings (big-endian integers, length-prefixed
 * strings) as documented in docs/FORMAT.md.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "banned.h"

static int grow(cv_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->oom)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void cv_buf_raw(cv_buf *b, const void *p, size_t n)
{
	if (n == 0 || grow(b, n) < 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void cv_store_u64be(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

void cv_buf_u32(cv_buf *b, uint32_t v)
{
	uint8_t o[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	cv_buf_raw(b, o, sizeof(o));
}

void cv_buf_u64(cv_buf *b, uint64_t v)
{
	uint8_t o[8];

	cv_store_u64be(o, v);
	cv_buf_raw(b, o, sizeof(o));
}

void cv_buf_lp(cv_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	cv_buf_u32(b, (uint32_t)n);
	cv_buf_raw(b, s, n);
}

void cv_buf_free(cv_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void cv_hash(uint8_t out[CV_DIGEST_LEN], const uint8_t *key, size_t keylen, const char *domain,
	     const cv_bytes *parts, size_t n)
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, key, key ? keylen : 0, CV_DIGEST_LEN);
	if (domain)
		crypto_generichash_update(&h, (const uint8_t *)domain, strlen(domain));
	for (size_t i = 0; i < n; i++)
		crypto_generichash_update(&h, parts[i].p, parts[i].n);
	crypto_generichash_final(&h, out, CV_DIGEST_LEN);
	sodium_memzero(&h, sizeof(h));
}

/*
 * msum.c - sums of keyed hashes over multisets (msum.h).
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "msum.h"
#include "banned.h"

void cv_msum_add(cv_msum *s, const cv_msum *x)
{
	s->lo += x->lo;
	s->hi += x->hi + (s->lo < x->lo);
}

void cv_msum_sub(cv_msum *s, const cv_msum *x)
{
	uint64_t borrow = s->lo < x->lo;

	s->lo -= x->lo;
	s->hi -= x->hi + borrow;
}

int cv_msum_equal(const cv_msum *a, const cv_msum *b)
{
	return a->lo == b->lo && a->hi == b->hi;
}

int cv_msum_zero(const cv_msum *a)
{
	return a->lo == 0 && a->hi == 0;
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void cv_msum_member(const uint8_t key[CV_MSUM_KEY_LEN], int signers, const char *table,
		    int64_t rowid, const uint8_t hash[32], int64_t signer, cv_msum *out)
{
	uint8_t m[2 + 255 + 8 + 32 + 8], h[crypto_shorthash_siphashx24_BYTES];
	size_t tl = strlen(table), n = 0;

	if (tl > 255)
		tl = 255;
	m[n++] = signers ? 2 : 1;
	m[n++] = (uint8_t)tl;
	memcpy(m + n, table, tl);
	n += tl;
	cv_store_u64be(m + n, (uint64_t)rowid);
	n += 8;
	memcpy(m + n, hash, 32);
	n += 32;
	if (signers) {
		cv_store_u64be(m + n, (uint64_t)signer);
		n += 8;
	}
	crypto_shorthash_siphashx24(h, m, n, key);
	out->lo = load_le64(h);
	out->hi = load_le64(h + 8);
}

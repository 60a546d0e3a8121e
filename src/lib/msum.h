/*
 * msum.h - ground layer: sums of keyed hashes over multisets, with which a
 * verification compares the rows of the vault with the log's commitments
 * to them without keeping one per row (docs/FORMAT.md §7.6, "how casevault
 * compares").  The key is drawn for each verification and never stored:
 * whoever wrote the file cannot make two different multisets sum alike.
 */
#ifndef CV_MSUM_H
#define CV_MSUM_H

#include <stdint.h>

#define CV_MSUM_KEY_LEN 16

/* A sum mod 2^128 of members' hashes. */
typedef struct cv_msum {
	uint64_t lo, hi;
} cv_msum;

void cv_msum_add(cv_msum *s, const cv_msum *x);
void cv_msum_sub(cv_msum *s, const cv_msum *x);
int cv_msum_equal(const cv_msum *a, const cv_msum *b);
int cv_msum_zero(const cv_msum *a);

/* The keyed hash of one member: the version hash of the row at rowid of
 * table, and with signers, that version's signer: SipHash-2-4 with a
 * 128-bit output (libsodium crypto_shorthash_siphashx24) under key over
 * u8(1, or 2 with signers) || u8(len) || table || u64be(rowid) || hash (32)
 * [|| u64be(signer)].  table: at most 255 bytes. */
void cv_msum_member(const uint8_t key[CV_MSUM_KEY_LEN], int signers, const char *table,
		    int64_t rowid, const uint8_t hash[32], int64_t signer, cv_msum *out);

#endif

/*
 * test_msum.c - the sums of keyed hashes with which a verification
 * compares the stored rows with the log (msum.c, docs/FORMAT.md §7.6 "How
 * casevault compares"): the members' bytes as FORMAT gives them, the
 * arithmetic mod 2^128 with its carries, and that a difference between
 * multisets (a member missing, doubled, or swapped for another) shows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "casevault.h"
#include "msum.h"
#include "banned.h"

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

/* The member as §7.6 defines it, built byte by byte here. */
static void by_hand(const uint8_t key[16], int signers, const char *table, uint64_t rowid,
		    const uint8_t hash[32], uint64_t signer, cv_msum *out)
{
	uint8_t m[128], h[16];
	size_t n = 0;

	m[n++] = signers ? 0x02 : 0x01;
	m[n++] = (uint8_t)strlen(table);
	memcpy(m + n, table, strlen(table));
	n += strlen(table);
	for (int i = 7; i >= 0; i--)
		m[n++] = (uint8_t)(rowid >> (8 * i));
	memcpy(m + n, hash, 32);
	n += 32;
	if (signers)
		for (int i = 7; i >= 0; i--)
			m[n++] = (uint8_t)(signer >> (8 * i));
	crypto_shorthash_siphashx24(h, m, n, key);
	out->lo = out->hi = 0;
	for (int i = 7; i >= 0; i--) {
		out->lo = out->lo << 8 | h[i];
		out->hi = out->hi << 8 | h[8 + i];
	}
}

static void test_member_bytes(void **state)
{
	uint8_t key[16], hash[32];
	cv_msum a, b;

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 32; i++)
		hash[i] = (uint8_t)(0xa0 + i);
	cv_msum_member(key, 0, "records", 0x0102030405060708, hash, 99, &a);
	by_hand(key, 0, "records", 0x0102030405060708, hash, 0, &b);
	assert_true(cv_msum_equal(&a, &b));
	cv_msum_member(key, 1, "cases", 7, hash, 12, &a);
	by_hand(key, 1, "cases", 7, hash, 12, &b);
	assert_true(cv_msum_equal(&a, &b));
	/* each input counts: the kind, the table, the rowid, the hash, the
	 * signer (kind 2 only) and the key */
	by_hand(key, 1, "cases", 7, hash, 13, &b);
	assert_false(cv_msum_equal(&a, &b));
	cv_msum_member(key, 0, "cases", 7, hash, 12, &b);
	assert_false(cv_msum_equal(&a, &b));
	cv_msum_member(key, 1, "casex", 7, hash, 12, &b);
	assert_false(cv_msum_equal(&a, &b));
	cv_msum_member(key, 1, "cases", 8, hash, 12, &b);
	assert_false(cv_msum_equal(&a, &b));
	hash[31] ^= 1;
	cv_msum_member(key, 1, "cases", 7, hash, 12, &b);
	assert_false(cv_msum_equal(&a, &b));
	hash[31] ^= 1;
	key[0] ^= 1;
	cv_msum_member(key, 1, "cases", 7, hash, 12, &b);
	assert_false(cv_msum_equal(&a, &b));
}

static void test_arithmetic(void **state)
{
	cv_msum s = {UINT64_MAX, 5}, one = {1, 0}, x = {UINT64_MAX, UINT64_MAX};

	(void)state;
	/* the carry into the high half, and the borrow out of it */
	cv_msum_add(&s, &one);
	assert_true(s.lo == 0 && s.hi == 6);
	cv_msum_sub(&s, &one);
	assert_true(s.lo == UINT64_MAX && s.hi == 5);
	/* mod 2^128: adding 2^128 - 1 is subtracting 1 */
	cv_msum_add(&s, &x);
	assert_true(s.lo == UINT64_MAX - 1 && s.hi == 5);
	cv_msum_sub(&s, &x);
	assert_true(s.lo == UINT64_MAX && s.hi == 5);
	s = (cv_msum){0, 0};
	cv_msum_sub(&s, &one);
	assert_true(s.lo == UINT64_MAX && s.hi == UINT64_MAX);
	cv_msum_add(&s, &one);
	assert_true(cv_msum_zero(&s));
}

/* Sums a multiset of (rowid, hash byte) members; order does not count. */
static cv_msum sum_of(const uint8_t key[16], const int64_t *rowids, const uint8_t *bytes, size_t n)
{
	cv_msum s = {0, 0}, x;
	uint8_t hash[32] = {0};

	for (size_t i = 0; i < n; i++) {
		hash[0] = bytes[i];
		cv_msum_member(key, 0, "grants", rowids[i], hash, 0, &x);
		cv_msum_add(&s, &x);
	}
	return s;
}

static void test_multisets(void **state)
{
	static const int64_t rows[] = {1, 2, 3, 4};
	static const uint8_t v[] = {10, 20, 30, 40};
	static const int64_t rows_shuffled[] = {3, 1, 4, 2};
	static const uint8_t v_shuffled[] = {30, 10, 40, 20};
	static const int64_t rows_twice[] = {1, 2, 3, 3};
	static const uint8_t v_twice[] = {10, 20, 30, 30};
	static const int64_t rows_moved[] = {1, 2, 3, 5};
	static const uint8_t v_other[] = {10, 20, 30, 41};
	uint8_t key[16];
	cv_msum all, s, x;
	uint8_t hash[32] = {0};

	(void)state;
	randombytes_buf(key, sizeof(key));
	all = sum_of(key, rows, v, 4);
	s = sum_of(key, rows_shuffled, v_shuffled, 4);
	assert_true(cv_msum_equal(&all, &s));
	s = sum_of(key, rows, v, 3); /* one missing */
	assert_false(cv_msum_equal(&all, &s));
	s = sum_of(key, rows_twice, v_twice, 4); /* one twice, one never */
	assert_false(cv_msum_equal(&all, &s));
	s = sum_of(key, rows_moved, v, 4); /* one at another rowid */
	assert_false(cv_msum_equal(&all, &s));
	s = sum_of(key, rows, v_other, 4); /* one another version */
	assert_false(cv_msum_equal(&all, &s));
	/* a version added and then taken away (a change's old version)
	 * leaves the sum as it was */
	s = all;
	hash[0] = 99;
	cv_msum_member(key, 0, "grants", 9, hash, 0, &x);
	cv_msum_add(&s, &x);
	assert_false(cv_msum_equal(&all, &s));
	cv_msum_sub(&s, &x);
	assert_true(cv_msum_equal(&all, &s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_member_bytes),
	    cmocka_unit_test(test_arithmetic),
	    cmocka_unit_test(test_multisets),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

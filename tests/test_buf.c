/*
 * test_buf.c - the canonical byte encodings of buf.c, byte for byte:
 * big-endian u32/u64, length-prefixed strings, raw appends and growth.
 * These bytes are what the audit chain hashes and checkpoints sign, so a
 * change here silently breaks every existing vault.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "casevault.h"
#include "buf.h"
#include "banned.h"

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

static void test_u32(void **state)
{
	static const uint8_t want[] = {0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
				       0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x2c};
	cv_buf b = CV_BUF_INIT;

	(void)state;
	cv_buf_u32(&b, 0x01020304u);
	cv_buf_u32(&b, 0);
	cv_buf_u32(&b, 0xffffffffu);
	cv_buf_u32(&b, 300);
	assert_int_equal(b.oom, 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	cv_buf_free(&b);
}

static void test_u64(void **state)
{
	static const uint8_t want[] = {
	    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* 0x0102030405060708 */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* 1 */
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* UINT64_MAX */
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* 2^32: not truncated */
	};
	cv_buf b = CV_BUF_INIT;

	(void)state;
	cv_buf_u64(&b, 0x0102030405060708ull);
	cv_buf_u64(&b, 1);
	cv_buf_u64(&b, UINT64_MAX);
	cv_buf_u64(&b, 0x100000000ull);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	cv_buf_free(&b);
}

static void test_store_u64be(void **state)
{
	static const uint8_t want[8] = {0x80, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef};
	uint8_t out[8];

	(void)state;
	cv_store_u64be(out, 0x80000000deadbeefull);
	assert_memory_equal(out, want, sizeof(want));
	cv_store_u64be(out, 0);
	assert_memory_equal(out, "\0\0\0\0\0\0\0\0", 8);
}

static void test_lp(void **state)
{
	static const uint8_t want[] = {
	    0x00, 0x00, 0x00, 0x03, 'a',  'b',	'c',  /* "abc" */
	    0x00, 0x00, 0x00, 0x00,		      /* "" */
	    0x00, 0x00, 0x00, 0x00,		      /* NULL encodes as "" */
	    0x00, 0x00, 0x00, 0x03, 0xe4, 0xb8, 0xad, /* U+4E2D: bytes, not chars */
	};
	cv_buf b = CV_BUF_INIT;

	(void)state;
	cv_buf_lp(&b, "abc");
	cv_buf_lp(&b, "");
	cv_buf_lp(&b, NULL);
	cv_buf_lp(&b, "\xe4\xb8\xad");
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	cv_buf_free(&b);
}

static void test_lp_long(void **state)
{
	char s[301];
	cv_buf b = CV_BUF_INIT;

	(void)state;
	memset(s, 'x', 300);
	s[300] = '\0';
	cv_buf_lp(&b, s);
	assert_int_equal(b.len, 4 + 300);
	assert_memory_equal(b.data, "\x00\x00\x01\x2c", 4);
	assert_memory_equal(b.data + 4, s, 300);
	cv_buf_free(&b);
}

/* The fields of an audit row as audit.c hashes them, concatenated in order:
 * the lengths keep "ab","c" and "a","bc" apart. */
static void test_lp_unambiguous(void **state)
{
	cv_buf x = CV_BUF_INIT, y = CV_BUF_INIT;

	(void)state;
	cv_buf_lp(&x, "ab");
	cv_buf_lp(&x, "c");
	cv_buf_lp(&y, "a");
	cv_buf_lp(&y, "bc");
	assert_int_equal(x.len, y.len);
	assert_memory_not_equal(x.data, y.data, x.len);
	cv_buf_free(&x);
	cv_buf_free(&y);
}

static void test_row_encoding(void **state)
{
	uint8_t prev[32];
	uint8_t want[32 + 8 + 4 + 1 + 4 + 5 + 4 + 0];
	cv_buf b = CV_BUF_INIT;
	size_t o = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(prev); i++)
		prev[i] = (uint8_t)i;
	memcpy(want, prev, 32);
	o = 32;
	memcpy(want + o, "\x00\x00\x00\x00\x00\x00\x00\x2a", 8);
	o += 8;
	memcpy(want + o, "\0\0\0\1T", 5);
	o += 5;
	memcpy(want + o, "\0\0\0\5alice", 9);
	o += 9;
	memcpy(want + o, "\x00\x00\x00\x00", 4);
	o += 4;
	assert_int_equal(o, sizeof(want));

	cv_buf_raw(&b, prev, sizeof(prev));
	cv_buf_u64(&b, 42);
	cv_buf_lp(&b, "T");
	cv_buf_lp(&b, "alice");
	cv_buf_lp(&b, "");
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	cv_buf_free(&b);
}

static void test_raw_growth(void **state)
{
	cv_buf b = CV_BUF_INIT;
	uint8_t byte;

	(void)state;
	cv_buf_raw(&b, "", 0); /* nothing to append: nothing allocated */
	assert_int_equal(b.len, 0);
	for (unsigned i = 0; i < 10000; i++) {
		byte = (uint8_t)(i * 7);
		cv_buf_raw(&b, &byte, 1);
	}
	assert_int_equal(b.oom, 0);
	assert_int_equal(b.len, 10000);
	assert_true(b.cap >= b.len);
	for (unsigned i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], (uint8_t)(i * 7));
	cv_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* A freed buffer is empty and usable again. */
	cv_buf_u32(&b, 7);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\x00\x00\x00\x07", 4);
	cv_buf_free(&b);
}

static void test_free_null(void **state)
{
	cv_buf b = CV_BUF_INIT;

	(void)state;
	cv_buf_free(NULL);
	cv_buf_free(&b); /* never used */
	assert_null(b.data);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_store_u64be),
		cmocka_unit_test(test_lp),
		cmocka_unit_test(test_lp_long),
		cmocka_unit_test(test_lp_unambiguous),
		cmocka_unit_test(test_row_encoding),
		cmocka_unit_test(test_raw_growth),
		cmocka_unit_test(test_free_null),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, setup, NULL);
}

/*
 * test_statsbox.c - the plaintext of the statistics boxes (statsbox.c,
 * docs/FORMAT.md §12.2, §12.5), byte for byte: the encoding of a case
 * and of each record type, their round trips, and every refusal of the
 * decoder (truncated, trailing bytes, tag, length, NUL, UTF-8, boolean,
 * version, grade, date, word, scopes), each shown on an input that is
 * one change away from one the decoder accepts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "casevault.h"
#include "statsbox.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

/* ---- building plaintexts by hand --------------------------------------- */

/* u8(length) || bytes, the length given apart so that a test can lie. */
static void lp8n(cv_buf *b, const char *s, size_t n, unsigned len)
{
	uint8_t x = (uint8_t)len;

	cv_buf_raw(b, &x, 1);
	cv_buf_raw(b, s, n);
}

static void lp8(cv_buf *b, const char *s)
{
	lp8n(b, s, strlen(s), (unsigned)strlen(s));
}

static void u8(cv_buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	cv_buf_raw(b, &x, 1);
}

/* A case plaintext, field by field (any value, valid or not). */
struct kase {
	const char *tag, *id;
	uint64_t version;
	unsigned grade;
	const char *gender, *category, *opened, *closed;
	unsigned minor;
};

static const struct kase good_case = {
    "casevault-stats-case-v1", "C-7KQ2M", 1, 7, "F", "family", "2024-09-02", "", 1};

static void case_bytes(cv_buf *b, const struct kase *k)
{
	cv_buf_raw(b, k->tag, strlen(k->tag));
	lp8(b, k->id);
	cv_buf_u64(b, k->version);
	u8(b, k->grade);
	lp8(b, k->gender);
	lp8(b, k->category);
	lp8(b, k->opened);
	lp8(b, k->closed);
	u8(b, k->minor);
}

/* What the decoder says of the case k. */
static const char *case_why(const struct kase *k)
{
	cv_buf b = CV_BUF_INIT;
	cv_statsbox_case c;
	const char *why;

	case_bytes(&b, k);
	assert_false(b.oom);
	why = cv_statsbox_case_get(b.data, b.len, &c);
	cv_buf_free(&b);
	return why;
}

/* A record plaintext: the common fields, then up to four words and, for
 * a consent, the scope bits. */
struct rec {
	const char *tag, *id, *case_id, *type;
	uint64_t version;
	const char *w[4];
	size_t nw;
	int scopes; /* -1: none written */
};

static const struct rec good_consent = {"casevault-stats-record-v1",
					"K-4F9QK2",
					"C-7KQ2M",
					"consent",
					3,
					{"record", "guardian", "oral"},
					3,
					CV_SCOPE_INDIVIDUAL | CV_SCOPE_TESTING};
static const struct rec good_withdraw = {
    "casevault-stats-record-v1", "K-4F9QK3", "C-7KQ2M",	  "consent", 1,
    {"withdraw", "both", ""},	 3,	     CV_SCOPE_ALL};
static const struct rec good_referral = {"casevault-stats-record-v1",
					 "R-3MZ8QD",
					 "C-7KQ2M",
					 "referral",
					 1,
					 {"urgent", "emotion", "mental-health", "consent"},
					 4,
					 -1};
static const struct rec good_watch = {
    "casevault-stats-record-v1", "W-8M2K4Q", "C-7KQ2M", "watch", 2, {"left-behind"}, 1, -1};

static void rec_bytes(cv_buf *b, const struct rec *r)
{
	cv_buf_raw(b, r->tag, strlen(r->tag));
	lp8(b, r->id);
	lp8(b, r->case_id);
	lp8(b, r->type);
	cv_buf_u64(b, r->version);
	for (size_t i = 0; i < r->nw; i++)
		lp8(b, r->w[i]);
	if (r->scopes >= 0)
		u8(b, (unsigned)r->scopes);
}

static const char *rec_why(const struct rec *r)
{
	cv_buf b = CV_BUF_INIT;
	cv_statsbox_record x;
	const char *why;

	rec_bytes(&b, r);
	assert_false(b.oom);
	why = cv_statsbox_record_get(b.data, b.len, &x);
	cv_buf_free(&b);
	return why;
}

/* ---- the encoding, byte for byte ---------------------------------------- */

static void test_case_bytes(void **state)
{
	static const uint8_t want[] = {
	    'c', 'a', 's', 'e', 'v', 'a', 'u', 'l', 't', '-', 's', 't', 'a', 't', 's', '-',
	    'c', 'a', 's', 'e', '-', 'v', '1',					       /* tag */
	    7,	 'C', '-', '7', 'K', 'Q', '2', 'M',				       /* case */
	    0,	 0,   0,   0,	0,   0,	  0,   3,				       /* version */
	    12,									       /* grade */
	    1,	 'X',								       /* gender */
	    14,	 's', 'e', 'l', 'f', '-', 'h', 'a', 'r', 'm', '-', 'r', 'i', 's', 'k', /* category
											*/
	    10,	 '2', '0', '2', '4', '-', '0', '9', '-', '0', '2',		       /* opened */
	    10,	 '2', '0', '2', '5', '-', '0', '1', '-', '1', '5',		       /* closed */
	    0,									       /* minor */
	};
	cv_statsbox_case c = {"C-7KQ2M",    3, 12, "X", "self-harm-risk", "2024-09-02",
			      "2025-01-15", 0};
	cv_statsbox_case d;
	cv_buf b = CV_BUF_INIT;

	(void)state;
	assert_int_equal(cv_statsbox_case_put(&b, &c), 0);
	assert_false(b.oom);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_null(cv_statsbox_case_get(b.data, b.len, &d));
	assert_string_equal(d.case_id, "C-7KQ2M");
	assert_int_equal(d.version, 3);
	assert_int_equal(d.grade, 12);
	assert_string_equal(d.gender, "X");
	assert_string_equal(d.category, "self-harm-risk");
	assert_string_equal(d.opened, "2024-09-02");
	assert_string_equal(d.closed, "2025-01-15");
	assert_int_equal(d.minor, 0);
	/* the words are the vocabulary's own strings, not copies */
	assert_ptr_equal(d.gender, cv_word(&cv_genders, CV_GENDER_X));
	assert_ptr_equal(d.category, cv_word(&cv_categories, CV_CAT_SELF_HARM));
	cv_buf_free(&b);
}

static void test_record_bytes(void **state)
{
	static const uint8_t want[] = {
	    'c',
	    'a',
	    's',
	    'e',
	    'v',
	    'a',
	    'u',
	    'l',
	    't',
	    '-',
	    's',
	    't',
	    'a',
	    't',
	    's',
	    '-',
	    'r',
	    'e',
	    'c',
	    'o',
	    'r',
	    'd',
	    '-',
	    'v',
	    '1', /* tag */
	    8,
	    'K',
	    '-',
	    '4',
	    'F',
	    '9',
	    'Q',
	    'K',
	    '2', /* record */
	    7,
	    'C',
	    '-',
	    '7',
	    'K',
	    'Q',
	    '2',
	    'M', /* case */
	    7,
	    'c',
	    'o',
	    'n',
	    's',
	    'e',
	    'n',
	    't', /* type */
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    3, /* version */
	    6,
	    'r',
	    'e',
	    'c',
	    'o',
	    'r',
	    'd', /* action */
	    8,
	    'g',
	    'u',
	    'a',
	    'r',
	    'd',
	    'i',
	    'a',
	    'n', /* by */
	    4,
	    'o',
	    'r',
	    'a',
	    'l',				    /* method */
	    CV_SCOPE_INDIVIDUAL | CV_SCOPE_TESTING, /* scopes */
	};
	cv_statsbox_record r = {
	    "K-4F9QK2", "C-7KQ2M",  "consent", 3,
	    "record",	"guardian", "oral",    CV_SCOPE_INDIVIDUAL | CV_SCOPE_TESTING};
	cv_buf b = CV_BUF_INIT, h = CV_BUF_INIT;

	(void)state;
	r.urgency = r.reason = r.to_type = r.basis = r.tag = "";
	assert_int_equal(cv_statsbox_record_put(&b, &r), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	/* the hand-built one is the same bytes */
	rec_bytes(&h, &good_consent);
	assert_int_equal(h.len, b.len);
	assert_memory_equal(h.data, b.data, b.len);
	cv_buf_free(&b);
	cv_buf_free(&h);
}

/* The examples of docs/FORMAT.md §12.2 and §12.5, as printed there. */
static void test_format_examples(void **state)
{
	static const char case_hex[] = "636173657661756c742d73746174732d636173652d7631"
				       "07432d374b51324d"
				       "0000000000000001"
				       "07"
				       "0146"
				       "0666616d696c79"
				       "0a323032342d30392d3032"
				       "00"
				       "01";
	static const char record_hex[] = "636173657661756c742d73746174732d7265636f72642d7631"
					 "08522d334d5a385144"
					 "07432d374b51324d"
					 "08726566657272616c"
					 "0000000000000001"
					 "06757267656e74"
					 "07656d6f74696f6e"
					 "0d6d656e74616c2d6865616c7468"
					 "07636f6e73656e74";
	cv_statsbox_case c = {"C-7KQ2M", 1, 7, "F", "family", "2024-09-02", "", 1};
	cv_statsbox_record r = {"R-3MZ8QD", "C-7KQ2M", "referral",	1,	   "", "", "", 0,
				"urgent",   "emotion", "mental-health", "consent", ""};
	uint8_t want[sizeof(record_hex) / 2];
	size_t n;
	cv_buf b = CV_BUF_INIT;

	(void)state;
	assert_int_equal(cv_statsbox_case_put(&b, &c), 0);
	assert_int_equal(
	    sodium_hex2bin(want, sizeof(want), case_hex, strlen(case_hex), NULL, &n, NULL), 0);
	assert_int_equal(n, 62);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, want, n);
	b.len = 0;
	assert_int_equal(cv_statsbox_record_put(&b, &r), 0);
	assert_int_equal(
	    sodium_hex2bin(want, sizeof(want), record_hex, strlen(record_hex), NULL, &n, NULL), 0);
	assert_int_equal(n, 96);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, want, n);
	cv_buf_free(&b);
}

/* ---- round trips ---------------------------------------------------------- */

static void case_round_trip(const cv_statsbox_case *c)
{
	cv_buf b = CV_BUF_INIT;
	cv_statsbox_case d;

	assert_int_equal(cv_statsbox_case_put(&b, c), 0);
	assert_null(cv_statsbox_case_get(b.data, b.len, &d));
	assert_string_equal(d.case_id, c->case_id);
	assert_int_equal(d.version, c->version);
	assert_int_equal(d.grade, c->grade);
	assert_string_equal(d.gender, c->gender);
	assert_string_equal(d.category, c->category);
	assert_string_equal(d.opened, c->opened);
	assert_string_equal(d.closed, c->closed);
	assert_int_equal(d.minor, c->minor);
	cv_buf_free(&b);
}

/* Every gender, every category, both ends of the grades, open and
 * closed, minor or not, a large version. */
static void test_case_round_trip(void **state)
{
	cv_statsbox_case c = {"C-7KQ2M", 1, 1, "F", "academic", "2024-09-02", "", 1};

	(void)state;
	for (size_t g = 1; g < cv_genders.n; g++)
		for (size_t k = 1; k < cv_categories.n; k++) {
			c.gender = cv_word(&cv_genders, (int)g);
			c.category = cv_word(&cv_categories, (int)k);
			c.grade = (int)(1 + (g * k) % 12);
			c.minor = (int)(k % 2);
			case_round_trip(&c);
		}
	c.grade = 12;
	c.version = INT64_MAX;
	snprintf(c.closed, sizeof(c.closed), "2025-06-30");
	case_round_trip(&c);
}

static void record_round_trip(const cv_statsbox_record *r)
{
	cv_buf b = CV_BUF_INIT;
	cv_statsbox_record d;

	assert_int_equal(cv_statsbox_record_put(&b, r), 0);
	assert_null(cv_statsbox_record_get(b.data, b.len, &d));
	assert_string_equal(d.record_id, r->record_id);
	assert_string_equal(d.case_id, r->case_id);
	assert_string_equal(d.type, r->type);
	assert_int_equal(d.version, r->version);
	assert_string_equal(d.action, r->action);
	assert_string_equal(d.by, r->by);
	assert_string_equal(d.method, r->method);
	assert_int_equal(d.scopes, r->scopes);
	assert_string_equal(d.urgency, r->urgency);
	assert_string_equal(d.reason, r->reason);
	assert_string_equal(d.to_type, r->to_type);
	assert_string_equal(d.basis, r->basis);
	assert_string_equal(d.tag, r->tag);
	cv_buf_free(&b);
}

/* Every record type with statistics, every word of each of its sets. */
static void test_record_round_trip(void **state)
{
	static const char *const withdrawers[] = {"student", "guardian", "both"};
	cv_statsbox_record r = {"K-4F9QK2", "C-7KQ2M", "consent", 1,  "record",
				"student",  "written", 0,	  "", "",
				"",	    "",	       ""};

	(void)state;
	for (size_t p = 1; p < cv_parties.n; p++)
		for (size_t m = 1; m < cv_methods.n; m++)
			for (unsigned bits = 0; bits <= CV_SCOPE_ALL; bits++) {
				r.by = cv_word(&cv_parties, (int)p);
				r.method = cv_word(&cv_methods, (int)m);
				r.scopes = bits;
				record_round_trip(&r);
			}
	r.action = "withdraw";
	r.method = "";
	for (size_t i = 0; i < ARRAY_SIZE(withdrawers); i++) {
		r.by = withdrawers[i];
		r.scopes = CV_SCOPE_ALL;
		record_round_trip(&r);
	}
	r = (cv_statsbox_record){"R-3MZ8QD", "C-7KQ2M", "referral", 2,	"", "", "",
				 0,	     "",	"",	    "", "", ""};
	for (size_t u = 1; u < cv_urgencies.n; u++)
		for (size_t k = 1; k < cv_categories.n; k++)
			for (size_t d = 1; d < cv_destinations.n; d++) {
				r.urgency = cv_word(&cv_urgencies, (int)u);
				r.reason = cv_word(&cv_categories, (int)k);
				r.to_type = cv_word(&cv_destinations, (int)d);
				r.basis = (u + k + d) % 2 ? "crisis" : "consent";
				record_round_trip(&r);
			}
	r = (cv_statsbox_record){"W-8M2K4Q", "C-7KQ2M", "watch", 5,  "", "", "",
				 0,	     "",	"",	 "", "", ""};
	for (size_t t = 1; t < cv_tags.n; t++) {
		r.tag = cv_word(&cv_tags, (int)t);
		record_round_trip(&r);
	}
	/* the hand-built ones are accepted too */
	assert_null(rec_why(&good_consent));
	assert_null(rec_why(&good_withdraw));
	assert_null(rec_why(&good_referral));
	assert_null(rec_why(&good_watch));
	assert_null(case_why(&good_case));
}

/* ---- refusals ------------------------------------------------------------- */

/* Every strict prefix is truncated; one byte more is trailing; and on a
 * refusal the output holds nothing. */
static void cut_and_extend(const uint8_t *p, size_t n, int is_case)
{
	uint8_t more[512];
	cv_statsbox_case c;
	cv_statsbox_record r;

	for (size_t k = 0; k < n; k++) {
		const char *why =
		    is_case ? cv_statsbox_case_get(p, k, &c) : cv_statsbox_record_get(p, k, &r);

		assert_non_null(why);
		assert_string_equal(why, "truncated");
	}
	assert_true(n < sizeof(more));
	memcpy(more, p, n);
	for (unsigned x = 0; x < 256; x += 85) {
		more[n] = (uint8_t)x;
		if (is_case) {
			assert_string_equal(cv_statsbox_case_get(more, n + 1, &c),
					    "trailing bytes");
			assert_string_equal(c.case_id, "");
			assert_null(c.gender);
		} else {
			assert_string_equal(cv_statsbox_record_get(more, n + 1, &r),
					    "trailing bytes");
			assert_string_equal(r.record_id, "");
			assert_string_equal(r.type, "");
			assert_string_equal(r.by, "");
		}
	}
}

static void test_truncated_and_trailing(void **state)
{
	const struct rec *recs[] = {&good_consent, &good_withdraw, &good_referral, &good_watch};
	cv_buf b = CV_BUF_INIT;

	(void)state;
	case_bytes(&b, &good_case);
	cut_and_extend(b.data, b.len, 1);
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
		b.len = 0;
		rec_bytes(&b, recs[i]);
		cut_and_extend(b.data, b.len, 0);
	}
	cv_buf_free(&b);
}

static void test_tag_refused(void **state)
{
	struct kase k = good_case;
	struct rec r = good_referral;
	cv_buf b = CV_BUF_INIT;
	cv_statsbox_case c;
	cv_statsbox_record x;

	(void)state;
	k.tag = "casevault-stats-case-v2";
	assert_string_equal(case_why(&k), "tag");
	k.tag = "Casevault-stats-case-v1";
	assert_string_equal(case_why(&k), "tag");
	r.tag = "casevault-stats-record-v0";
	assert_string_equal(rec_why(&r), "tag");
	/* a case's plaintext is not a record's, nor the other way round */
	case_bytes(&b, &good_case);
	assert_string_equal(cv_statsbox_record_get(b.data, b.len, &x), "tag");
	b.len = 0;
	rec_bytes(&b, &good_watch);
	assert_string_equal(cv_statsbox_case_get(b.data, b.len, &c), "tag");
	cv_buf_free(&b);
}

static void test_boolean_refused(void **state)
{
	struct kase k = good_case;

	(void)state;
	k.minor = 0;
	assert_null(case_why(&k));
	for (unsigned v = 2; v < 256; v += 51) {
		k.minor = v;
		assert_string_equal(case_why(&k), "boolean");
	}
}

/* A length past the end of the input, and a length outside the field's
 * bounds within it. */
static void test_lengths_refused(void **state)
{
	struct kase k = good_case;
	cv_buf b = CV_BUF_INIT;
	cv_statsbox_case c;

	(void)state;
	/* the case id's length says 255: past the end */
	cv_buf_raw(&b, good_case.tag, strlen(good_case.tag));
	lp8n(&b, "C-7KQ2M", 7, 255);
	assert_string_equal(cv_statsbox_case_get(b.data, b.len, &c), "truncated");
	/* the category's length one past the end of the input */
	b.len = 0;
	cv_buf_raw(&b, good_case.tag, strlen(good_case.tag));
	lp8(&b, "C-7KQ2M");
	cv_buf_u64(&b, 1);
	u8(&b, 7);
	lp8(&b, "F");
	lp8n(&b, "family", 6, 7);
	assert_string_equal(cv_statsbox_case_get(b.data, b.len, &c), "truncated");
	cv_buf_free(&b);
	/* within the input but too long for the field: an id of 16 bytes */
	k.id = "C-7KQ2M-7KQ2M-77";
	assert_string_equal(case_why(&k), "length");
	k.id = "C-7KQ2M-7KQ2M-7"; /* 15: the longest id */
	assert_null(case_why(&k));
	k.id = "";
	assert_string_equal(case_why(&k), "length");
	k = good_case;
	k.opened = "";
	assert_string_equal(case_why(&k), "length");
	k.opened = "2024-09-021";
	assert_string_equal(case_why(&k), "length");
	k = good_case;
	k.gender = "a-word-of-thirty-three-bytes-long"; /* a word is one of its set or nothing */
	assert_string_equal(case_why(&k), "word");
}

static void test_nul_and_utf8_refused(void **state)
{
	struct kase k = good_case;
	struct rec r = good_watch;
	cv_buf b = CV_BUF_INIT;
	cv_statsbox_case c;

	(void)state;
	/* a NUL inside the case id, its length counting it */
	cv_buf_raw(&b, good_case.tag, strlen(good_case.tag));
	lp8n(&b, "C-7K\0Q2M", 8, 8);
	cv_buf_u64(&b, 1);
	u8(&b, 7);
	lp8(&b, "F");
	lp8(&b, "family");
	lp8(&b, "2024-09-02");
	lp8(&b, "");
	u8(&b, 1);
	assert_string_equal(cv_statsbox_case_get(b.data, b.len, &c), "nul");
	/* a word with a NUL after it is not the word */
	b.len = 0;
	cv_buf_raw(&b, good_case.tag, strlen(good_case.tag));
	lp8(&b, "C-7KQ2M");
	cv_buf_u64(&b, 1);
	u8(&b, 7);
	lp8n(&b, "F\0", 2, 2);
	assert_string_equal(cv_statsbox_case_get(b.data, b.len, &c), "word");
	cv_buf_free(&b);
	/* not UTF-8: a lone continuation byte, an overlong, a surrogate */
	k.id = "C-7\x80Q2M";
	assert_string_equal(case_why(&k), "utf-8");
	k.id = "C-\xc0\xafQ2M";
	assert_string_equal(case_why(&k), "utf-8");
	r.case_id = "C-\xed\xa0\x80";
	assert_string_equal(rec_why(&r), "utf-8");
	/* valid UTF-8 that is not an id is decoded (the row comparison in
	 * access.c refuses it) */
	k.id = "C-\xe6\x9d\x8e";
	assert_null(case_why(&k));
}

static void test_numbers_refused(void **state)
{
	struct kase k = good_case;
	struct rec r = good_referral;

	(void)state;
	k.version = 0;
	assert_string_equal(case_why(&k), "version");
	k.version = (uint64_t)INT64_MAX + 1;
	assert_string_equal(case_why(&k), "version");
	k.version = UINT64_MAX;
	assert_string_equal(case_why(&k), "version");
	r.version = 0;
	assert_string_equal(rec_why(&r), "version");
	k = good_case;
	k.grade = 0;
	assert_string_equal(case_why(&k), "grade");
	k.grade = 13;
	assert_string_equal(case_why(&k), "grade");
	k.grade = 255;
	assert_string_equal(case_why(&k), "grade");
	k = good_case;
	k.opened = "2024-13-01";
	assert_string_equal(case_why(&k), "date");
	k.opened = "2024-02-30";
	assert_string_equal(case_why(&k), "date");
	k = good_case;
	k.closed = "2024-9-02";
	assert_string_equal(case_why(&k), "date");
	k.closed = "2024/09/02";
	assert_string_equal(case_why(&k), "date");
}

/* The decoder's date check is cv_date_check's, over every day of years
 * around both ends, leap years and centuries, months 0..13, days 0..32,
 * and a few that are not digits. */
static void test_dates_as_cv_date_check(void **state)
{
	static const char *const odd[] = {"2024-0a-01", "+024-01-01", "2024 01-01", "2024-01-1 ",
					  "20240-1-01", "0000-01-01", "9999-12-31"};
	struct kase k = good_case;
	char d[40]; /* room for any three ints, as the compiler counts */
	size_t ok = 0;

	(void)state;
	for (int y = 1960; y <= 2110; y++)
		for (int m = 0; m <= 13; m++)
			for (int day = 0; day <= 32; day++) {
				snprintf(d, sizeof(d), "%04d-%02d-%02d", y, m, day);
				k.opened = d;
				assert_int_equal(case_why(&k) == NULL,
						 cv_date_check("d", d, NULL) == CV_OK);
				ok += case_why(&k) == NULL;
			}
	/* 1970..2110 have 51,499 days: the loop saw valid ones as well */
	assert_int_equal(ok, 51499);
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
		k.opened = odd[i];
		assert_int_equal(case_why(&k) == NULL, cv_date_check("d", odd[i], NULL) == CV_OK);
	}
	k.opened = "2000-02-29";
	assert_null(case_why(&k));
	k.opened = "2100-02-29";
	assert_string_equal(case_why(&k), "date");
}

/* Words outside their sets, for every field that holds a word; spelling
 * is exact (no case folding). */
static void test_words_refused(void **state)
{
	struct kase k = good_case;
	struct rec r;

	(void)state;
	k.gender = "Q";
	assert_string_equal(case_why(&k), "word");
	k.gender = "f";
	assert_string_equal(case_why(&k), "word");
	k.gender = "";
	assert_string_equal(case_why(&k), "word");
	k = good_case;
	k.category = "Family";
	assert_string_equal(case_why(&k), "word");

	/* record types without statistics, or unknown */
	r = good_watch;
	r.type = "note";
	assert_string_equal(rec_why(&r), "word");
	r.type = "crisis";
	assert_string_equal(rec_why(&r), "word");

	r = good_consent;
	r.w[0] = "revoke";
	assert_string_equal(rec_why(&r), "word");
	r = good_consent;
	r.w[1] = "both"; /* both only withdraw */
	assert_string_equal(rec_why(&r), "word");
	r = good_consent;
	r.w[2] = "";
	assert_string_equal(rec_why(&r), "word");
	r.w[2] = "email";
	assert_string_equal(rec_why(&r), "word");
	r = good_withdraw;
	r.w[1] = "teacher";
	assert_string_equal(rec_why(&r), "word");
	r = good_withdraw;
	r.w[2] = "written"; /* a withdrawal has no method */
	assert_string_equal(rec_why(&r), "word");

	for (size_t i = 0; i < 4; i++) {
		r = good_referral;
		r.w[i] = "other-thing";
		assert_string_equal(rec_why(&r), "word");
	}
	r = good_referral;
	r.w[2] = "police";
	assert_string_equal(rec_why(&r), "word");
	r = good_watch;
	r.w[0] = "orphan";
	assert_string_equal(rec_why(&r), "word");
}

static void test_scopes_refused(void **state)
{
	struct rec r = good_consent;

	(void)state;
	for (unsigned bit = 5; bit < 8; bit++) {
		r.scopes = (int)(CV_SCOPE_INDIVIDUAL | 1u << bit);
		assert_string_equal(rec_why(&r), "scopes");
	}
	r.scopes = 0;
	assert_null(rec_why(&r));
}

/* The encoder writes only what the layout can hold, and leaves the buffer
 * as it was when it cannot. */
static void test_encoder_refuses(void **state)
{
	char long_id[300];
	cv_statsbox_case c = {"C-7KQ2M", 1, 7, "F", "family", "2024-09-02", "", 1};
	cv_statsbox_record r = {"W-8M2K4Q", "C-7KQ2M", "watch", 1,  "", "",	"",
				0,	    "",	       "",	"", "", "other"};
	cv_buf b = CV_BUF_INIT;
	size_t n;

	(void)state;
	assert_int_equal(cv_statsbox_case_put(&b, &c), 0);
	n = b.len;
	c.version = 0;
	assert_int_equal(cv_statsbox_case_put(&b, &c), -1);
	assert_int_equal(b.len, n);
	c.version = 1;
	c.gender = NULL;
	assert_int_equal(cv_statsbox_case_put(&b, &c), -1);
	c.gender = "F";
	c.grade = 256;
	assert_int_equal(cv_statsbox_case_put(&b, &c), -1);
	c.grade = 7;
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	c.category = long_id;
	assert_int_equal(cv_statsbox_case_put(&b, &c), -1);
	assert_int_equal(b.len, n);
	assert_int_equal(cv_statsbox_record_put(&b, &r), 0);
	n = b.len;
	r.type = "note";
	assert_int_equal(cv_statsbox_record_put(&b, &r), -1);
	r.type = "consent";
	r.action = "record";
	r.by = "student";
	r.method = "oral";
	r.scopes = 32;
	assert_int_equal(cv_statsbox_record_put(&b, &r), -1);
	assert_int_equal(b.len, n);
	cv_buf_free(&b);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_bytes),
		cmocka_unit_test(test_record_bytes),
		cmocka_unit_test(test_format_examples),
		cmocka_unit_test(test_case_round_trip),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_tag_refused),
		cmocka_unit_test(test_boolean_refused),
		cmocka_unit_test(test_lengths_refused),
		cmocka_unit_test(test_nul_and_utf8_refused),
		cmocka_unit_test(test_numbers_refused),
		cmocka_unit_test(test_dates_as_cv_date_check),
		cmocka_unit_test(test_words_refused),
		cmocka_unit_test(test_scopes_refused),
		cmocka_unit_test(test_encoder_refuses),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, setup, NULL);
}

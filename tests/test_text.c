/*
 * test_text.c - validation of what users type (text.c): the UTF-8 checker
 * (offsets and code point counts), single-line fields, user names,
 * passphrases (length counted in characters, not bytes), the parsing
 * of audit time bounds, and what may reach a terminal as it is and how
 * the rest is shown (control characters, escape sequences, bidi
 * controls).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"
#include "banned.h"

#define VALID ((size_t)-1)

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

/* Checks s (a literal, its length taken with sizeof) against the expected
 * offset of the first bad byte and, when valid, the code point count. */
#define UTF8(lit, off, nchars) utf8_case(lit, sizeof(lit) - 1, off, nchars, __LINE__)

static void utf8_case(const char *s, size_t n, size_t want_off, size_t want_chars, int line)
{
	size_t chars = 12345;
	size_t off = cv_utf8_check(s, n, &chars);

	if (off != want_off)
		fail_msg("line %d: offset %zu, expected %zu", line, off, want_off);
	if (want_off == VALID && chars != want_chars)
		fail_msg("line %d: %zu chars, expected %zu", line, chars, want_chars);
}

static void test_utf8_valid(void **state)
{
	(void)state;
	UTF8("", VALID, 0);
	UTF8("hello, world", VALID, 12);
	UTF8("\x01\x7f", VALID, 2);		    /* controls are valid UTF-8 */
	UTF8("a\0b", VALID, 3);			    /* NUL too, with a length */
	UTF8("\xc2\x80", VALID, 1);		    /* U+0080, smallest 2-byte */
	UTF8("\xc3\xa9t\xc3\xa9", VALID, 3);	    /* "été" */
	UTF8("\xdf\xbf", VALID, 1);		    /* U+07FF */
	UTF8("\xe0\xa0\x80", VALID, 1);		    /* U+0800, smallest 3-byte */
	UTF8("\xe4\xb8\xad\xe6\x96\x87", VALID, 2); /* U+4E2D U+6587 */
	UTF8("\xed\x9f\xbf", VALID, 1);		    /* U+D7FF, below surrogates */
	UTF8("\xee\x80\x80", VALID, 1);		    /* U+E000, above surrogates */
	UTF8("\xef\xbf\xbf", VALID, 1);		    /* U+FFFF */
	UTF8("\xf0\x90\x80\x80", VALID, 1);	    /* U+10000, smallest 4-byte */
	UTF8("\xf0\x9f\x98\x80", VALID, 1);	    /* U+1F600 emoji */
	UTF8("\xf4\x8f\xbf\xbf", VALID, 1);	    /* U+10FFFF, the last one */
	UTF8("a\xe4\xb8\xad\xf0\x9f\x98\x80z", VALID, 4);
}

static void test_utf8_chars_optional(void **state)
{
	(void)state;
	assert_int_equal(cv_utf8_check("\xe4\xb8\xad", 3, NULL), VALID);
	assert_int_equal(cv_utf8_check("\xff", 1, NULL), 0);
	/* Only n bytes are looked at: the bad byte past n does not count. */
	assert_int_equal(cv_utf8_check("ab\xff", 2, NULL), VALID);
}

static void test_utf8_overlong(void **state)
{
	(void)state;
	UTF8("\xc0\x80", 0, 0); /* NUL in two bytes */
	UTF8("\xc0\xaf", 0, 0); /* '/' in two bytes */
	UTF8("\xc1\xbf", 0, 0); /* U+007F in two bytes */
	UTF8("ab\xc1\xbf", 2, 0);
	UTF8("\xe0\x80\x80", 0, 0); /* NUL in three bytes */
	UTF8("\xe0\x9f\xbf", 0, 0); /* U+07FF in three bytes */
	UTF8("xyz\xe0\x80\xaf", 3, 0);
	UTF8("\xf0\x80\x80\x80", 0, 0); /* NUL in four bytes */
	UTF8("\xf0\x8f\xbf\xbf", 0, 0); /* U+FFFF in four bytes */
	UTF8("\xe4\xb8\xad\xf0\x8f\xbf\xbf", 3, 0);
	UTF8("\xf8\x88\x80\x80\x80", 0, 0); /* five-byte forms do not exist */
	UTF8("\xfc\x84\x80\x80\x80\x80", 0, 0);
}

static void test_utf8_surrogates(void **state)
{
	(void)state;
	UTF8("\xed\xa0\x80", 0, 0);		   /* U+D800 */
	UTF8("\xed\xb0\x80", 0, 0);		   /* U+DC00 */
	UTF8("\xed\xbf\xbf", 0, 0);		   /* U+DFFF */
	UTF8("ok \xed\xa0\xbd\xed\xb8\x80", 3, 0); /* CESU-8 pair for U+1F600 */
}

static void test_utf8_above_max(void **state)
{
	(void)state;
	UTF8("\xf4\x90\x80\x80", 0, 0); /* U+110000 */
	UTF8("\xf4\xbf\xbf\xbf", 0, 0);
	UTF8("\xf5\x80\x80\x80", 0, 0); /* lead bytes F5..FF never occur */
	UTF8("\xf7\xbf\xbf\xbf", 0, 0);
	UTF8("a\xfe", 1, 0);
	UTF8("ab\xff", 2, 0);
}

static void test_utf8_truncated(void **state)
{
	(void)state;
	UTF8("\xc3", 0, 0);
	UTF8("ab\xe4\xb8", 2, 0); /* cut at the end */
	UTF8("\xf0\x9f\x98", 0, 0);
	UTF8("\xe4\xb8\xad\xf0", 3, 0);
	UTF8("\xe4\xb8z", 0, 0); /* cut by an ASCII byte */
	UTF8("\xf0\x9f\x98z", 0, 0);
	UTF8("\xc3\xc3\xa9", 0, 0); /* cut by another lead byte */
	UTF8("\xe4\xb8\xad\xe4\xe4\xb8\xad", 3, 0);
}

static void test_utf8_stray_continuation(void **state)
{
	(void)state;
	UTF8("\x80", 0, 0);
	UTF8("a\x80 b", 1, 0);
	UTF8("\xbf", 0, 0);
	UTF8("\xc3\xa9\xa9", 2, 0); /* one continuation too many */
	UTF8("\xe4\xb8\xad\x80", 3, 0);
	UTF8("\xf0\x9f\x98\x80\x80", 4, 0);
}

/* Expects cv_field_check to fail with CV_EUSAGE, reason code `code` and a
 * message holding every one of the given fragments. */
static void field_bad(const char *s, size_t max, const char *code, const char *frag1,
		      const char *frag2)
{
	cv_err err = {0};

	assert_int_equal(cv_field_check("reason", s, max, &err), CV_EUSAGE);
	assert_int_equal(err.status, CV_EUSAGE);
	assert_string_equal(err.code, code);
	assert_non_null(strstr(err.msg, "reason"));
	if (frag1 && !strstr(err.msg, frag1))
		fail_msg("message '%s' lacks '%s'", err.msg, frag1);
	if (frag2 && !strstr(err.msg, frag2))
		fail_msg("message '%s' lacks '%s'", err.msg, frag2);
}

static void test_field_ok(void **state)
{
	cv_err err = {0};

	(void)state;
	assert_int_equal(cv_field_check("reason", "x", 1, &err), CV_OK);
	assert_int_equal(cv_field_check("reason", "term review, room 2", 64, &err), CV_OK);
	/* Non-ASCII letters, a no-break space (U+00A0), an emoji. */
	assert_int_equal(cv_field_check("reason",
					"Gr\xc3\xbc\xc3\x9f"
					"e\xc2\xa0"
					"\xe4\xb8\xad \xf0\x9f\x98\x80",
					64, &err),
			 CV_OK);
	assert_int_equal(cv_field_check("reason", "abcde", 5, NULL), CV_OK);
}

static void test_field_empty(void **state)
{
	(void)state;
	field_bad("", 10, "field.empty", "empty", NULL);
	field_bad(NULL, 10, "field.empty", "empty", NULL);
	/* The error context is optional. */
	assert_int_equal(cv_field_check("reason", "", 10, NULL), CV_EUSAGE);
}

static void test_field_too_long(void **state)
{
	(void)state;
	field_bad("abcdef", 5, "field.too-long", "6 bytes", "5");
	/* The limit is in bytes: two CJK characters are six. */
	field_bad("\xe4\xb8\xad\xe6\x96\x87", 5, "field.too-long", "6 bytes", NULL);
}

static void test_field_control(void **state)
{
	(void)state;
	field_bad("ab\tc", 64, "field.control", "control", "byte offset 2");
	field_bad("\nx", 64, "field.control", "control", "byte offset 0");
	field_bad("line\r", 64, "field.control", "control", "byte offset 4");
	field_bad("abc\x1b[31m", 64, "field.control", "control", "byte offset 3");
	field_bad("abc\x7f", 64, "field.control", "control", "byte offset 3");	 /* DEL */
	field_bad("a\xc2\x80", 64, "field.control", "control", "byte offset 1"); /* U+0080, C1 */
	/* U+0085 NEL after a three-byte character: the offset is in bytes. */
	field_bad("\xe4\xb8\xad\xc2\x85", 64, "field.control", "control", "byte offset 3");
	field_bad("x\xc2\x9f", 64, "field.control", "control", "byte offset 1"); /* U+009F */
}

static void test_field_bad_utf8(void **state)
{
	(void)state;
	field_bad("abc\xff", 64, "field.utf8", "UTF-8", "byte offset 3");
	field_bad("\xc0\x80", 64, "field.utf8", "UTF-8", "byte offset 0");
	field_bad("ok\xed\xa0\x80", 64, "field.utf8", "UTF-8", "byte offset 2");
	field_bad("\xe4\xb8\xad\xe4\xb8", 64, "field.utf8", "UTF-8", "byte offset 3");
}

/* Every invisible direction or format character a single-line field
 * refuses, as UTF-8, with its code point. */
static const struct {
	const char *utf8;
	unsigned cp;
} invisible[] = {
    {"\xd8\x9c", 0x061c},				/* ARABIC LETTER MARK */
    {"\xe2\x80\x8e", 0x200e},				/* LRM */
    {"\xe2\x80\x8f", 0x200f},				/* RLM */
    {"\xe2\x80\xaa", 0x202a},				/* LRE */
    {"\xe2\x80\xab", 0x202b},				/* RLE */
    {"\xe2\x80\xac", 0x202c},				/* PDF */
    {"\xe2\x80\xad", 0x202d},				/* LRO */
    {"\xe2\x80\xae", 0x202e},				/* RLO */
    {"\xe2\x81\xa6", 0x2066},				/* LRI */
    {"\xe2\x81\xa7", 0x2067},				/* RLI */
    {"\xe2\x81\xa8", 0x2068},				/* FSI */
    {"\xe2\x81\xa9", 0x2069},				/* PDI */
    {"\xe2\x81\xaa", 0x206a},				/* deprecated format characters */
    {"\xe2\x81\xaf", 0x206f}, {"\xe2\x80\xa8", 0x2028}, /* LINE SEPARATOR */
    {"\xe2\x80\xa9", 0x2029},				/* PARAGRAPH SEPARATOR */
    {"\xef\xbb\xbf", 0xfeff},				/* BOM / ZWNBSP */
};

static void test_field_bidi(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++) {
		char s[32], cp[16];
		cv_err err = {0};

		/* After a three-byte CJK character: the offset is in bytes. */
		snprintf(s, sizeof(s), "\xe6\x9d\x8e%sabc", invisible[i].utf8);
		snprintf(cp, sizeof(cp), "U+%04X", invisible[i].cp);
		field_bad(s, 64, "field.bidi", "byte offset 3", cp);
		/* Alone, and at the end. */
		assert_int_equal(cv_field_check("name", invisible[i].utf8, 64, &err), CV_EUSAGE);
		assert_string_equal(err.code, "field.bidi");
		snprintf(s, sizeof(s), "Li Mei%s", invisible[i].utf8);
		field_bad(s, 64, "field.bidi", "byte offset 6", cp);
	}
	/* The classic: a name that reads "Li Mei" and hides a reversed tail. */
	field_bad("Li Mei\xe2\x80\xae"
		  "DILAVNI ERUTANGIS",
		  64, "field.bidi", "U+202E", "remove it");
}

/* Neighbours of the refused characters pass: the check is not a range
 * over all of General Punctuation. */
static void test_field_bidi_neighbours(void **state)
{
	static const char *const ok[] = {
	    "\xd8\x9b",	    /* U+061B ARABIC SEMICOLON */
	    "\xe2\x80\x8d", /* U+200D ZERO WIDTH JOINER (emoji, Indic scripts) */
	    "\xe2\x80\x90", /* U+2010 HYPHEN */
	    "\xe2\x80\xa7", /* U+2027 HYPHENATION POINT */
	    "\xe2\x80\xaf", /* U+202F NARROW NO-BREAK SPACE */
	    "\xe2\x81\xa5", /* U+2065 (unassigned, not a format character) */
	    "\xe2\x81\xb0", /* U+2070 SUPERSCRIPT ZERO */
	    "\xef\xbb\xbe", /* U+FEFE ARABIC LIGATURE */
	    "\xef\xbc\x8c", /* U+FF0C FULLWIDTH COMMA */
	};
	cv_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (cv_field_check("name", ok[i], 64, &err) != CV_OK)
			fail_msg("character %zu refused: %s", i, err.msg);
}

static void test_has_bidi(void **state)
{
	unsigned cp = 0;

	(void)state;
	assert_int_equal(cv_text_has_bidi("", 0, &cp), (size_t)-1);
	assert_int_equal(cv_text_has_bidi("plain text\nwith lines\t", 22, &cp), (size_t)-1);
	assert_int_equal(cv_text_has_bidi("ab\xe2\x80\xae", 5, &cp), 2);
	assert_int_equal(cp, 0x202e);
	/* The first one counts; the code point is optional. */
	assert_int_equal(cv_text_has_bidi("\xef\xbb\xbfx\xe2\x80\x8f", 7, NULL), 0);
	/* Bytes that are not UTF-8 are stepped over, not taken for one. */
	assert_int_equal(cv_text_has_bidi("\xff\xe2\x80\xe2\x81\xa6", 6, &cp), 3);
	assert_int_equal(cp, 0x2066);
	/* A truncated one at the end is not one. */
	assert_int_equal(cv_text_has_bidi("ab\xe2\x80", 4, &cp), (size_t)-1);
	/* The length is honoured: the character past n is not seen. */
	assert_int_equal(cv_text_has_bidi("ab\xe2\x80\xae", 2, &cp), (size_t)-1);
}

/* What a printer built on the two functions shows for s[0..n). */
static void shown(const char *s, size_t n, int keep_lines, char *out, size_t cap)
{
	size_t o = 0;

	while (n > 0) {
		char esc[CV_TEXT_ESC_MAX];
		size_t k = cv_text_safe_run(s, n, keep_lines), e;

		assert_true(k <= n);
		assert_true(o + k < cap);
		memcpy(out + o, s, k);
		o += k;
		s += k;
		n -= k;
		if (n == 0)
			break;
		k = cv_text_escape_one(s, n, esc);
		assert_true(k >= 1 && k <= 4 && k <= n);
		e = strlen(esc);
		assert_true(e >= 4 && e < CV_TEXT_ESC_MAX && esc[0] == '\\');
		assert_true(o + e < cap);
		memcpy(out + o, esc, e);
		o += e;
		s += k;
		n -= k;
	}
	out[o] = '\0';
}

#define SHOWN(lit, keep, want)                                                                     \
	do {                                                                                       \
		char got_[512];                                                                    \
		shown(lit, sizeof(lit) - 1, keep, got_, sizeof(got_));                             \
		if (strcmp(got_, want) != 0)                                                       \
			fail_msg("line %d: shown as '%s', expected '%s'", __LINE__, got_, want);   \
	} while (0)

static void test_escape_terminal_sequences(void **state)
{
	(void)state;
	SHOWN("plain: ASCII, caf\xc3\xa9, \xe6\x9d\x8e\xe6\xa2\x85 \xf0\x9f\x98\x80", 0,
	      "plain: ASCII, caf\xc3\xa9, \xe6\x9d\x8e\xe6\xa2\x85 \xf0\x9f\x98\x80");
	SHOWN("", 0, "");
	/* Clear the screen, retitle the window, hide text, move the cursor. */
	SHOWN("a\x1b[2Jb", 0, "a\\x1b[2Jb");
	SHOWN("\x1b]0;owned\x07", 0, "\\x1b]0;owned\\x07");
	SHOWN("ok\x1b[8mSIGNATURE INVALID\x1b[0m", 0, "ok\\x1b[8mSIGNATURE INVALID\\x1b[0m");
	SHOWN("x\rSIGNATURE OK", 0, "x\\x0dSIGNATURE OK");
	SHOWN("bs\x08\x08", 0, "bs\\x08\\x08");
	SHOWN("del\x7f", 0, "del\\x7f");
	/* C1 controls, CSI among them, as characters. */
	SHOWN("a\xc2\x9b"
	      "2J",
	      0, "a\\u009b2J");
	SHOWN("\xc2\x80\xc2\x85\xc2\x9f", 0, "\\u0080\\u0085\\u009f");
	/* A byte that is not UTF-8 (a raw 8-bit CSI), and a truncated one. */
	SHOWN("a\x9b"
	      "2J",
	      0, "a\\x9b2J");
	SHOWN("z\xe2\x80", 0, "z\\xe2\\x80");
	SHOWN("\xc0\xaf", 0, "\\xc0\\xaf"); /* overlong '/' */
}

static void test_escape_bidi(void **state)
{
	(void)state;
	SHOWN("Li Mei\xe2\x80\xae"
	      "DILAVNI",
	      0, "Li Mei\\u202eDILAVNI");
	SHOWN("\xe2\x81\xa6x\xe2\x81\xa9", 0, "\\u2066x\\u2069");
	SHOWN("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", 0, "\\u061c\\u200e\\u200f");
	SHOWN("\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf", 0, "\\u2028\\u2029\\ufeff");
	/* Every one in the refused list is shown escaped. */
	for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++) {
		char got[64], want[16];

		shown(invisible[i].utf8, strlen(invisible[i].utf8), 1, got, sizeof(got));
		snprintf(want, sizeof(want), "\\u%04x", invisible[i].cp);
		assert_string_equal(got, want);
	}
}

static void test_escape_lines(void **state)
{
	(void)state;
	/* Single-line: newline and tab are escaped, so no field can forge a
	 * line of its own. */
	SHOWN("a\nSIGNATURE OK\tb", 0, "a\\x0aSIGNATURE OK\\x09b");
	/* Text: they pass; carriage return and escape sequences do not. */
	SHOWN("line 1\n\tline 2\r\n\x1b[2J", 1, "line 1\n\tline 2\\x0d\n\\x1b[2J");
}

static void test_escape_one_forms(void **state)
{
	char esc[CV_TEXT_ESC_MAX];

	(void)state;
	assert_int_equal(cv_text_escape_one("\x1b[", 2, esc), 1);
	assert_string_equal(esc, "\\x1b");
	assert_int_equal(cv_text_escape_one("\xe2\x80\xae", 3, esc), 3);
	assert_string_equal(esc, "\\u202e");
	/* Above the BMP (called on a safe character it still escapes it). */
	assert_int_equal(cv_text_escape_one("\xf0\x9f\x98\x80", 4, esc), 4);
	assert_string_equal(esc, "\\U0001f600");
	/* Truncated: one byte at a time. */
	assert_int_equal(cv_text_escape_one("\xe2\x80", 2, esc), 1);
	assert_string_equal(esc, "\\xe2");
	assert_int_equal(cv_text_escape_one("", 0, esc), 0);
	assert_string_equal(esc, "");
	/* The safe run stops exactly at the first unsafe unit. */
	assert_int_equal(cv_text_safe_run("abc\xe6\x9d\x8e\x1b", 7, 0), 6);
	assert_int_equal(cv_text_safe_run("abc\xe6\x9d", 5, 0), 3);
	assert_int_equal(cv_text_safe_run("a\nb", 3, 0), 1);
	assert_int_equal(cv_text_safe_run("a\nb", 3, 1), 3);
}

static void test_name(void **state)
{
	static const char *const good[] = {
	    "a",	 "alice",
	    "bob.smith", "c_2",
	    "d-e",	 "z0123456789",
	    "m.__--..",	 "abcdefghijklmnopqrstuvwxyz012345", /* 32, the limit */
	};
	static const char *const bad[] = {
	    "",
	    "Alice",
	    "aLICE",
	    "1abc",
	    ".a",
	    "_a",
	    "-a",
	    "a b",
	    "a/b",
	    "a@b",
	    "a\tb",
	    "caf\xc3\xa9",
	    "\xc3\xa9t\xc3\xa9",
	    "a;drop",
	    "abcdefghijklmnopqrstuvwxyz0123456", /* 33 */
	};
	cv_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cv_name_check(good[i], &err) != CV_OK)
			fail_msg("'%s' refused: %s", good[i], err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (cv_name_check(bad[i], &err) != CV_EUSAGE)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(err.status, CV_EUSAGE);
		assert_string_equal(err.code, "user.name-invalid");
		assert_non_null(strstr(err.msg, "not valid"));
	}
	assert_int_equal(cv_name_check(NULL, &err), CV_EUSAGE);
	assert_int_equal(cv_name_check("Bad", NULL), CV_EUSAGE);
}

/* Builds count copies of the UTF-8 character ch into out (NUL-terminated)
 * and returns the byte length. */
static size_t repeat(char *out, size_t cap, const char *ch, size_t count)
{
	size_t n = strlen(ch), o = 0;

	assert_true(count * n < cap);
	for (size_t i = 0; i < count; i++, o += n)
		memcpy(out + o, ch, n);
	out[o] = '\0';
	return o;
}

static void test_passphrase_length_in_chars(void **state)
{
	char p[2048];
	cv_err err = {0};
	size_t n;

	(void)state;
	n = repeat(p, sizeof(p), "a", 11);
	assert_int_equal(cv_passphrase_check(p, n, &err), CV_EUSAGE);
	assert_string_equal(err.code, "passphrase.too-short");
	assert_non_null(strstr(err.msg, "too short"));
	assert_non_null(strstr(err.msg, "11 characters"));
	n = repeat(p, sizeof(p), "a", 12);
	assert_int_equal(cv_passphrase_check(p, n, &err), CV_OK);

	/* 12 Chinese characters (36 bytes) pass; 11 (33 bytes, more than
	 * 12) do not: the minimum counts characters, not bytes. */
	n = repeat(p, sizeof(p), "\xe4\xb8\xad", 12);
	assert_int_equal(n, 36);
	assert_int_equal(cv_passphrase_check(p, n, &err), CV_OK);
	n = repeat(p, sizeof(p), "\xe4\xb8\xad", 11);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_passphrase_check(p, n, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "11 characters"));

	n = repeat(p, sizeof(p), "\xf0\x9f\x98\x80", 11); /* 44 bytes */
	assert_int_equal(cv_passphrase_check(p, n, &err), CV_EUSAGE);
	n = repeat(p, sizeof(p), "\xf0\x9f\x98\x80", 12);
	assert_int_equal(cv_passphrase_check(p, n, &err), CV_OK);

	/* Spaces are ordinary characters: four words. */
	assert_int_equal(cv_passphrase_check("ab cd ef gh", 11, &err), CV_EUSAGE);
	assert_int_equal(cv_passphrase_check("ab cd ef ghi", 12, &err), CV_OK);
	assert_int_equal(cv_passphrase_check("", 0, &err), CV_EUSAGE);
}

static void test_passphrase_too_long(void **state)
{
	char p[CV_PASSPHRASE_MAX_BYTES + 64];
	cv_err err = {0};

	(void)state;
	memset(p, 'x', sizeof(p));
	assert_int_equal(cv_passphrase_check(p, CV_PASSPHRASE_MAX_BYTES, &err), CV_OK);
	assert_int_equal(cv_passphrase_check(p, CV_PASSPHRASE_MAX_BYTES + 1, &err), CV_EUSAGE);
	assert_string_equal(err.code, "passphrase.too-long");
	assert_non_null(strstr(err.msg, "longer than 1024 bytes"));
	/* The maximum is in bytes: 341 three-byte characters (1023 bytes)
	 * pass, 342 (1026 bytes) do not. */
	assert_int_equal(repeat(p, sizeof(p), "\xe4\xb8\xad", 341), 1023);
	assert_int_equal(cv_passphrase_check(p, 1023, &err), CV_OK);
	assert_int_equal(repeat(p, sizeof(p), "\xe4\xb8\xad", 342), 1026);
	assert_int_equal(cv_passphrase_check(p, 1026, &err), CV_EUSAGE);
}

static void test_passphrase_control(void **state)
{
	static const char *const bad[] = {
	    "correct horse\tbattery",	      "correct horse battery\n",
	    "correct\rhorse battery",	      "correct horse battery\x7f",
	    "correct horse \xc2\x85 battery", "\x1b[2Jcorrect horse battery",
	};
	cv_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (cv_passphrase_check(bad[i], strlen(bad[i]), &err) != CV_EUSAGE)
			fail_msg("passphrase %zu accepted", i);
		assert_string_equal(err.code, "passphrase.control");
		assert_non_null(strstr(err.msg, "control character"));
	}
	/* An embedded NUL is a control character too (the length is given). */
	assert_int_equal(cv_passphrase_check("correct horse\0battery", 21, &err), CV_EUSAGE);
	/* Invalid UTF-8, with its offset. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_passphrase_check("correct horse \xff battery",
					     sizeof("correct horse \xff battery") - 1, &err),
			 CV_EUSAGE);
	assert_string_equal(err.code, "passphrase.utf8");
	assert_non_null(strstr(err.msg, "UTF-8"));
	assert_non_null(strstr(err.msg, "byte offset 14"));
	assert_int_equal(cv_passphrase_check("correct horse battery staple", 28, NULL), CV_OK);
}

/* Expects in to be accepted and turned into want. */
static void bound_ok(const char *in, int upper, const char *want)
{
	char out[CV_TIME_LEN];
	cv_err err = {0};

	memset(out, '#', sizeof(out));
	if (cv_time_bound(in, upper, out, &err) != CV_OK)
		fail_msg("'%s' refused: %s", in, err.msg);
	assert_string_equal(out, want);
}

static void bound_bad(const char *in, int upper)
{
	char out[CV_TIME_LEN];
	cv_err err = {0};

	if (cv_time_bound(in, upper, out, &err) != CV_EUSAGE)
		fail_msg("'%s' accepted as %s", in ? in : "(null)", upper ? "upper" : "lower");
	assert_int_equal(err.status, CV_EUSAGE);
	assert_string_equal(err.code, "time.invalid");
	assert_non_null(strstr(err.msg, "YYYY-MM-DD"));
}

static void test_time_bound_valid(void **state)
{
	(void)state;
	bound_ok("2025-03-14", 0, "2025-03-14T00:00:00Z");
	bound_ok("2025-03-14", 1, "2025-03-14T23:59:59Z"); /* the whole day */
	bound_ok("2025-03-14T08:09:10Z", 0, "2025-03-14T08:09:10Z");
	bound_ok("2025-03-14T08:09:10Z", 1, "2025-03-14T08:09:10Z");
	bound_ok("2024-02-29", 1, "2024-02-29T23:59:59Z"); /* leap year */
	bound_ok("2000-02-29", 0, "2000-02-29T00:00:00Z"); /* 400-year rule */
	bound_ok("2025-12-31", 1, "2025-12-31T23:59:59Z");
	bound_ok("2025-01-01T00:00:00Z", 1, "2025-01-01T00:00:00Z");
	bound_ok("1999-12-31T23:59:59Z", 0, "1999-12-31T23:59:59Z");
}

/*
 * Years before 1000 are four digits typed, and must stay four digits in the
 * result: audit times are compared as strings, so "999-01-01T..." would sort
 * after "2025-..." and a --since bound would silently match nothing.  Either
 * refusing such a year or keeping it zero-padded is correct.
 * EXPOSES A BUG in text.c (strftime's %Y does not pad): see the report.
 */
static void test_time_bound_small_years(void **state)
{
	static const char *const in[] = {"0999-01-01", "0001-06-15", "0205-03-01"};
	char out[CV_TIME_LEN], want[CV_TIME_LEN];
	cv_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		memset(out, 0, sizeof(out));
		if (cv_time_bound(in[i], 0, out, &err) != CV_OK)
			continue; /* refusing is fine */
		memcpy(want, in[i], 10);
		memcpy(want + 10, "T00:00:00Z", 11);
		if (strcmp(out, want) != 0)
			fail_msg("'%s' became '%s', expected '%s' or a refusal", in[i], out, want);
	}
}

static void test_time_bound_invalid_dates(void **state)
{
	(void)state;
	for (int upper = 0; upper <= 1; upper++) {
		bound_bad("2025-02-30", upper);
		bound_bad("2025-02-29", upper); /* not a leap year */
		bound_bad("1900-02-29", upper); /* nor this one */
		bound_bad("2025-04-31", upper);
		bound_bad("2025-13-01", upper);
		bound_bad("2025-00-10", upper);
		bound_bad("2025-01-00", upper);
		bound_bad("2025-01-32", upper);
		bound_bad("2025-03-14T24:00:00Z", upper);
		bound_bad("2025-03-14T23:60:00Z", upper);
		bound_bad("2025-03-14T23:59:60Z", upper);
	}
}

static void test_time_bound_formats(void **state)
{
	static const char *const bad[] = {
	    "",
	    "2025",
	    "2025-03",
	    "2025/03/14",
	    "25-03-14",
	    "2025-3-14",
	    "2025-03-4",
	    "2025-03-14 ",
	    " 2025-03-14",
	    "2025-03-1a",
	    "+025-03-14",
	    "2025-03-14x",
	    "2025-03-14T08:09:10", /* no zone */
	    "2025-03-14T08:09:10z",
	    "2025-03-14 08:09:10Z",
	    "2025-03-14T08:09Z",
	    "2025-03-14T8:09:10Z",
	    "2025-03-14T08-09-10Z",
	    "2025-03-14T08:09:10+00:00",
	    "2025-03-14T08:09:10.5Z",
	    "today",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bound_bad(bad[i], 0);
		bound_bad(bad[i], 1);
	}
	bound_bad(NULL, 0);
}

/* The current time has the one format, and is a valid bound of its own. */
static void test_time_now_format(void **state)
{
	char now[CV_TIME_LEN], back[CV_TIME_LEN];

	(void)state;
	memset(now, '#', sizeof(now));
	cv_time_now(now);
	assert_int_equal(strlen(now), CV_TIME_LEN - 1);
	assert_int_equal(cv_time_bound(now, 1, back, NULL), CV_OK);
	assert_string_equal(back, now);
}

/* A date is YYYY-MM-DD exactly, a real day; a refusal names the field. */
/* Display width: CJK two columns, combining marks none, escapes their
 * length, whatever the locale. */
static void test_text_width(void **state)
{
	static const struct {
		const char *s;
		size_t w;
	} cases[] = {
	    {"", 0},
	    {"abc", 3},
	    {"\u738b\u5c0f\u7ea2", 6},	  /* three CJK ideographs */
	    {"\u521d\u4e8c(3)\u73ed", 9}, /* ideographs and ASCII */
	    {"\u3001\u3002", 4},	  /* CJK punctuation */
	    {"\uff21\uff22", 4},	  /* fullwidth letters */
	    {"\xf0\x9f\x98\x80", 2},	  /* an emoji */
	    {"e\u0301", 1},		  /* a combining accent */
	    {"\u00e9t\u00e9", 3},	  /* precomposed */
	    {"\xea\xb0\x80", 2},	  /* hangul */
	    {"a\x1b"
	     "b",
	     6},		 /* ESC shown as \x1b */
	    {"\xe2\x80\xae", 6}, /* U+202E shown as \u202e */
	    {"\xff", 4},	 /* not UTF-8: \xff */
	    {"x\ty", 6},	 /* a tab is escaped in a cell */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cv_text_width(cases[i].s, strlen(cases[i].s)) != cases[i].w)
			fail_msg("width of case %zu: %zu, want %zu", i,
				 cv_text_width(cases[i].s, strlen(cases[i].s)), cases[i].w);
}

/* Ids as people type them: any letter case, Crockford look-alikes. */
static void test_id_normalize(void **state)
{
	static const struct {
		const char *in, *out;
		int changed;
	} cases[] = {
	    {"c-7kq2m", "C-7KQ2M", 1},
	    {"C-7KQ2M", "C-7KQ2M", 1},
	    {"n-4f9qk2", "N-4F9QK2", 1},
	    {"N-O1ILl0", "N-011110", 1},
	    {"r-oooooo", "R-000000", 1},
	    {"x-abcdef", "X-ABCDEF", 1},
	    {"c-7kq2", "c-7kq2", 0},	 /* too short for a case */
	    {"c-7kq2mm", "c-7kq2mm", 0}, /* too long for a case */
	    {"n-4f9qk", "n-4f9qk", 0},	 /* too short for a record */
	    {"c-7kq2u", "c-7kq2u", 0},	 /* U is no Crockford character */
	    {"z-7kq2m0", "z-7kq2m0", 0}, /* no such prefix */
	    {"bob", "bob", 0},
	    {"", "", 0},
	    {"C_7KQ2M", "C_7KQ2M", 0},
	    {"c-7k q2", "c-7k q2", 0},
	    /* blanks around an id, as a copy and paste leaves them */
	    {" c-7kq2m", "C-7KQ2M", 1},
	    {"C-7KQ2M \n", "C-7KQ2M", 1},
	    {"\t n-4f9qk2\r\n", "N-4F9QK2", 1},
	    {" c-7kq2 ", " c-7kq2 ", 0},
	    {"  ", "  ", 0},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		assert_int_equal(cv_id_normalize(buf), cases[i].changed);
		assert_string_equal(buf, cases[i].out);
	}
	assert_int_equal(cv_id_normalize(NULL), 0);
}

static void test_date_check(void **state)
{
	static const char *const bad[] = {
	    "2025-02-30", "2025-3-14", "2025-03-14T08:09:10Z", "tomorrow", "", "14/03/2025",
	};
	cv_err err;

	(void)state;
	assert_int_equal(cv_date_check("--date", "2025-03-14", NULL), CV_OK);
	assert_int_equal(cv_date_check("--date", "2024-02-29", NULL), CV_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (cv_date_check("--date", bad[i], &err) != CV_EUSAGE)
			fail_msg("'%s' accepted as a date", bad[i]);
		assert_int_equal(err.status, CV_EUSAGE);
		assert_string_equal(err.code, "date.invalid");
		assert_non_null(strstr(err.msg, "--date '"));
		assert_non_null(strstr(err.msg, "is not a date; use YYYY-MM-DD"));
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_date_check("--as-of", NULL, &err), CV_EUSAGE);
	assert_string_equal(err.code, "date.invalid");
	assert_non_null(strstr(err.msg, "--as-of"));
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_chars_optional),
		cmocka_unit_test(test_utf8_overlong),
		cmocka_unit_test(test_utf8_surrogates),
		cmocka_unit_test(test_utf8_above_max),
		cmocka_unit_test(test_utf8_truncated),
		cmocka_unit_test(test_utf8_stray_continuation),
		cmocka_unit_test(test_field_ok),
		cmocka_unit_test(test_field_empty),
		cmocka_unit_test(test_field_too_long),
		cmocka_unit_test(test_field_control),
		cmocka_unit_test(test_field_bad_utf8),
		cmocka_unit_test(test_field_bidi),
		cmocka_unit_test(test_field_bidi_neighbours),
		cmocka_unit_test(test_has_bidi),
		cmocka_unit_test(test_escape_terminal_sequences),
		cmocka_unit_test(test_escape_bidi),
		cmocka_unit_test(test_escape_lines),
		cmocka_unit_test(test_escape_one_forms),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_passphrase_length_in_chars),
		cmocka_unit_test(test_passphrase_too_long),
		cmocka_unit_test(test_passphrase_control),
		cmocka_unit_test(test_time_bound_valid),
		cmocka_unit_test(test_time_bound_small_years),
		cmocka_unit_test(test_time_bound_invalid_dates),
		cmocka_unit_test(test_time_bound_formats),
		cmocka_unit_test(test_time_now_format),
		cmocka_unit_test(test_date_check),
		cmocka_unit_test(test_id_normalize),
		cmocka_unit_test(test_text_width),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, setup, NULL);
}

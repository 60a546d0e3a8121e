/*
 * text.c - ground layer: input validation (UTF-8, control characters, bidi
 * controls, names, passphrases), what of a text may reach a terminal as it
 * is and how the rest is shown, and time formatting.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "text.h"
#include "banned.h"

/* The length of the UTF-8 sequence at s[0..n) (n > 0) and its code point
 * in *cp, or 0 when it is not valid UTF-8 (overlong, surrogate, above
 * U+10FFFF, truncated, stray continuation byte). */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned char c = s[0];
	size_t len;
	unsigned v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[k] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

size_t cv_utf8_check(const char *str, size_t n, size_t *chars)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, count = 0;

	while (i < n) {
		unsigned cp;
		size_t len = utf8_decode(s + i, n - i, &cp);

		if (!len)
			return i;
		i += len;
		count++;
	}
	if (chars)
		*chars = count;
	return (size_t)-1;
}

/* Bidi controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI), the deprecated
 * format characters after them, the line and paragraph separators and
 * the byte order mark: invisible, and able to reorder or hide what a
 * terminal shows around them. */
static int is_format(unsigned cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x206f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff;
}

size_t cv_text_has_bidi(const char *str, size_t n, unsigned *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c;
		size_t len = utf8_decode(s + i, n - i, &c);

		if (!len) {
			i++;
			continue;
		}
		if (is_format(c)) {
			if (cp)
				*cp = c;
			return i;
		}
		i += len;
	}
	return (size_t)-1;
}

size_t cv_text_safe_run(const char *str, size_t n, int keep_lines)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c;
		size_t len;

		if (s[i] >= 0x20 && s[i] < 0x7f) { /* printable ASCII: the common case */
			i++;
			continue;
		}
		len = utf8_decode(s + i, n - i, &c);
		if (!len || (c < 0x20 && !(keep_lines && (c == '\n' || c == '\t'))) ||
		    (c >= 0x7f && c <= 0x9f) || is_format(c))
			break;
		i += len;
	}
	return i;
}

/* Columns a printable code point takes on a terminal: 2 for East Asian
 * wide and fullwidth characters (Unicode's EastAsianWidth W and F: CJK
 * ideographs, kana, hangul, fullwidth forms, CJK punctuation, emoji), 0
 * for combining marks and zero-width characters, else 1.  A small table
 * of the blocks, so the width does not depend on the locale. */
static int cp_width(unsigned c)
{
	static const struct {
		unsigned lo, hi;
	} wide[] = {{0x1100, 0x115F},	{0x231A, 0x231B},   {0x2329, 0x232A},	{0x23E9, 0x23EC},
		    {0x2E80, 0x303E},	{0x3041, 0x33FF},   {0x3400, 0x4DBF},	{0x4E00, 0x9FFF},
		    {0xA000, 0xA4CF},	{0xA960, 0xA97F},   {0xAC00, 0xD7A3},	{0xF900, 0xFAFF},
		    {0xFE10, 0xFE19},	{0xFE30, 0xFE6F},   {0xFF00, 0xFF60},	{0xFFE0, 0xFFE6},
		    {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}},
	  zero[] = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},
		    {0x200B, 0x200D}, {0x20D0, 0x20FF}, {0x302A, 0x302D},
		    {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}};

	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (c >= wide[i].lo && c <= wide[i].hi)
			return 2;
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (c >= zero[i].lo && c <= zero[i].hi)
			return 0;
	return 1;
}

size_t cv_text_width(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, w = 0;

	while (i < n) {
		size_t run = cv_text_safe_run(str + i, n - i, 0);
		char esc[CV_TEXT_ESC_MAX];

		for (size_t end = i + run; i < end;) {
			unsigned c;
			size_t len = s[i] < 0x80 ? 1 : utf8_decode(s + i, end - i, &c);

			w += s[i] < 0x80 ? 1 : (size_t)cp_width(c);
			i += len ? len : 1;
		}
		if (i < n) {
			i += cv_text_escape_one(str + i, n - i, esc);
			w += strlen(esc);
		}
	}
	return w;
}

size_t cv_text_escape_one(const char *str, size_t n, char out[CV_TEXT_ESC_MAX])
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c;
	size_t len;

	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	len = utf8_decode(s, n, &c);
	if (len <= 1) { /* an ASCII byte, or one that is not UTF-8 */
		snprintf(out, CV_TEXT_ESC_MAX, "\\x%02x", s[0]);
		return 1;
	}
	snprintf(out, CV_TEXT_ESC_MAX, c > 0xffff ? "\\U%08x" : "\\u%04x", c);
	return len;
}

/* Offset of the first control character (C0, DEL, or C1 as UTF-8), or -1. */
static long control_at(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return (long)i;
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return (long)i;
	}
	return -1;
}

cv_status cv_field_check(const char *what, const char *s, size_t max, cv_err *err)
{
	char a[24], b[24];
	size_t n, bad;
	unsigned cp = 0;
	long ctl;

	if (!s || !*s)
		return cv_fail(err, CV_EUSAGE, "field.empty", "{1} is empty; give a value", what);
	n = strlen(s);
	if (n > max)
		return cv_fail(err, CV_EUSAGE, "field.too-long",
			       "{1} is {2} bytes long; the limit is {3}", what,
			       cv_num(a, (long long)n), cv_num(b, (long long)max));
	bad = cv_utf8_check(s, n, NULL);
	if (bad != (size_t)-1)
		return cv_fail(err, CV_EUSAGE, "field.utf8",
			       "{1} is not valid UTF-8 (byte offset {2}); re-type it", what,
			       cv_num(a, (long long)bad));
	ctl = control_at(s, n);
	if (ctl >= 0)
		return cv_fail(err, CV_EUSAGE, "field.control",
			       "{1} has a control character at byte offset {2}; remove it", what,
			       cv_num(a, ctl));
	bad = cv_text_has_bidi(s, n, &cp);
	if (bad != (size_t)-1) {
		snprintf(b, sizeof(b), "U+%04X", cp);
		return cv_fail(err, CV_EUSAGE, "field.bidi",
			       "{1} has the invisible direction or format character {2} at byte "
			       "offset {3}; remove it",
			       what, b, cv_num(a, (long long)bad));
	}
	return CV_OK;
}

cv_status cv_name_check(const char *name, cv_err *err)
{
	CV_ERR_GUARD(err);
	size_t n = name ? strlen(name) : 0;
	char max[24];

	if (n == 0 || n > CV_NAME_MAX || name[0] < 'a' || name[0] > 'z')
		goto bad;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			goto bad;
	}
	return CV_OK;
bad:
	return cv_fail(err, CV_EUSAGE, "user.name-invalid",
		       "user name '{1}' is not valid; use 1 to {2} of a-z 0-9 . _ -, "
		       "starting with a letter",
		       name ? name : "", cv_num(max, CV_NAME_MAX));
}

cv_status cv_passphrase_check(const char *pass, size_t len, cv_err *err)
{
	CV_ERR_GUARD(err);
	size_t chars = 0, bad;
	char a[24], b[24];

	if (len > CV_PASSPHRASE_MAX_BYTES)
		return cv_fail(err, CV_EUSAGE, "passphrase.too-long",
			       "passphrase is longer than {1} bytes; choose a shorter one",
			       cv_num(a, CV_PASSPHRASE_MAX_BYTES));
	bad = cv_utf8_check(pass, len, &chars);
	if (bad != (size_t)-1)
		return cv_fail(err, CV_EUSAGE, "passphrase.utf8",
			       "passphrase is not valid UTF-8 (byte offset {1}); choose another",
			       cv_num(a, (long long)bad));
	if (control_at(pass, len) >= 0)
		return cv_fail(err, CV_EUSAGE, "passphrase.control",
			       "passphrase has a control character; choose another");
	if (chars < CV_PASSPHRASE_MIN_CHARS)
		return cv_fail(err, CV_EUSAGE, "passphrase.too-short",
			       "passphrase is too short ({1} characters); use at least {2}, "
			       "for example four unrelated words",
			       cv_num(a, (long long)chars), cv_num(b, CV_PASSPHRASE_MIN_CHARS));
	return CV_OK;
}

/* The fixed clock of cv_clock_fix; 0: the system's. */
static int64_t fixed_clock;

void cv_clock_fix(int64_t t)
{
	fixed_clock = t;
}

int64_t cv_clock(void)
{
	return fixed_clock ? fixed_clock : (int64_t)time(NULL);
}

void cv_time_now(char out[CV_TIME_LEN])
{
	time_t t = (time_t)cv_clock();
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, CV_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

cv_status cv_time_bound(const char *in, int upper, char out[CV_TIME_LEN], cv_err *err)
{
	size_t n = in ? strlen(in) : 0;
	int y, mo, d, h = 0, mi = 0, s = 0;
	struct tm tm = {0};
	time_t t;

	if (n != 10 && n != 20)
		goto bad;
	if (!digits(in, 4) || in[4] != '-' || !digits(in + 5, 2) || in[7] != '-' ||
	    !digits(in + 8, 2))
		goto bad;
	if (n == 20 &&
	    (in[10] != 'T' || !digits(in + 11, 2) || in[13] != ':' || !digits(in + 14, 2) ||
	     in[16] != ':' || !digits(in + 17, 2) || in[19] != 'Z'))
		goto bad;
	if (sscanf(in, "%4d-%2d-%2d", &y, &mo, &d) != 3)
		goto bad;
	if (n == 20 && sscanf(in + 11, "%2d:%2d:%2d", &h, &mi, &s) != 3)
		goto bad;
	if (y < 1970) /* also keeps strftime's %Y at four digits */
		goto bad;
	if (n == 10 && upper) {
		h = 23;
		mi = 59;
		s = 59;
	}
	/* Round-trip through timegm to reject 2024-02-30 and friends. */
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
	    tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != s)
		goto bad;
	strftime(out, CV_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return CV_OK;
bad:
	return cv_fail(err, CV_EUSAGE, "time.invalid",
		       "time '{1}' is not valid; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)",
		       in ? in : "");
}

/* ---- dates ---------------------------------------------------------- */

void cv_today(char out[11])
{
	time_t t = (time_t)cv_clock();
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

cv_status cv_date_check(const char *what, const char *d, cv_err *err)
{
	char full[CV_TIME_LEN];

	if (!d || strlen(d) != 10 || cv_time_bound(d, 0, full, NULL) != CV_OK)
		return cv_fail(err, CV_EUSAGE, "date.invalid",
			       "{1} '{2}' is not a date; use YYYY-MM-DD", what, d ? d : "");
	return CV_OK;
}

static time_t date_time(const char *d)
{
	struct tm tm = {0};

	if (sscanf(d, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;
	return timegm(&tm);
}

void cv_date_add_days(const char *d, int days, char out[11])
{
	time_t t = date_time(d) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

long cv_date_diff(const char *a, const char *b)
{
	return (long)((date_time(b) - date_time(a)) / 86400);
}

static int blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int cv_id_normalize(char *s)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	char prefix, out[8];
	size_t n, want, lead = 0;

	/* blanks around it, as a copy and paste leaves them */
	while (s && blank(s[lead]))
		lead++;
	if (!s || !s[lead] || s[lead + 1] != '-')
		return 0;
	prefix = (char)(s[lead] >= 'a' && s[lead] <= 'z' ? s[lead] - 'a' + 'A' : s[lead]);
	if (!strchr("CNKTRFWX", prefix))
		return 0;
	want = prefix == 'C' ? 5 : 6;
	n = strlen(s + lead + 2);
	while (n > 0 && blank(s[lead + 2 + n - 1]))
		n--;
	if (n != want)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[lead + 2 + i];

		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch == 'O')
			ch = '0';
		else if (ch == 'I' || ch == 'L')
			ch = '1';
		if (!ch || !strchr(alphabet, ch))
			return 0;
		out[i] = ch;
	}
	s[0] = prefix;
	s[1] = '-';
	memcpy(s + 2, out, n);
	s[2 + n] = '\0';
	return 1;
}

int cv_age_on(const char *born, const char *on)
{
	int by, bm, bd, y, m, d, age;

	if (sscanf(born, "%4d-%2d-%2d", &by, &bm, &bd) != 3 ||
	    sscanf(on, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

int cv_time_valid(const char *s, int time_too)
{
	char out[CV_TIME_LEN];

	if (!s || (!time_too && strlen(s) != 10))
		return 0;
	return cv_time_bound(s, 0, out, NULL) == CV_OK;
}

/*
 * statsbox.c - middle layer, pure functions: the binary plaintext of the
 * statistics boxes (see statsbox.h; docs/FORMAT.md §12.2, §12.5).
 */
#include <string.h>

#include <sodium.h>

#include "statsbox.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

/* The longest string of the layout: its length is one byte. */
#define STR_MAX 255
#define DATE_LEN (CV_STATSBOX_DATE - 1)
#define GRADE_MIN 1
#define GRADE_MAX 12

/* The sets of words only the statistics boxes name. */
#define SET(name, ...)                                                                             \
	static const char *const name##_words[] = {NULL, __VA_ARGS__, NULL};                       \
	static const cv_vocab name = {name##_words, ARRAY_SIZE(name##_words) - 1}

SET(stats_types, "consent", "referral", "watch");
SET(consent_actions, "record", "withdraw");
SET(withdraw_parties, "student", "guardian", "both");
SET(bases, "consent", "crisis");

enum { TYPE_CONSENT = 1, TYPE_REFERRAL, TYPE_WATCH };
enum { ACTION_RECORD = 1, ACTION_WITHDRAW };

/* ---- encoding ------------------------------------------------------------ */

/* u8(length) || bytes; -1 for a NULL or overlong string. */
static int put_str(cv_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : STR_MAX + 1;
	uint8_t len = (uint8_t)n;

	if (n > STR_MAX)
		return -1;
	cv_buf_raw(b, &len, 1);
	cv_buf_raw(b, s, n);
	return 0;
}

static void put_u8(cv_buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	cv_buf_raw(b, &x, 1);
}

/* Ends an encoding begun at b->len == from: when a value could not be
 * written, what was appended is wiped and taken back. */
static int put_done(cv_buf *b, size_t from, int bad)
{
	if (bad && !b->oom && b->len > from) {
		sodium_memzero(b->data + from, b->len - from);
		b->len = from;
	}
	return bad ? -1 : 0;
}

int cv_statsbox_case_put(cv_buf *b, const cv_statsbox_case *c)
{
	size_t from = b->len;
	int bad = c->version < 1 || c->grade < 0 || c->grade > UINT8_MAX;

	cv_buf_raw(b, CV_STATSBOX_CASE_TAG, strlen(CV_STATSBOX_CASE_TAG));
	bad |= put_str(b, c->case_id);
	cv_buf_u64(b, (uint64_t)c->version);
	put_u8(b, (unsigned)c->grade);
	bad |= put_str(b, c->gender);
	bad |= put_str(b, c->category);
	bad |= put_str(b, c->opened);
	bad |= put_str(b, c->closed);
	put_u8(b, c->minor ? 1 : 0);
	return put_done(b, from, bad);
}

int cv_statsbox_record_put(cv_buf *b, const cv_statsbox_record *r)
{
	size_t from = b->len;
	int type = cv_word_parse(&stats_types, r->type);
	int bad = type == 0 || r->version < 1 || (r->scopes & ~(unsigned)CV_SCOPE_ALL) != 0;

	cv_buf_raw(b, CV_STATSBOX_RECORD_TAG, strlen(CV_STATSBOX_RECORD_TAG));
	bad |= put_str(b, r->record_id);
	bad |= put_str(b, r->case_id);
	bad |= put_str(b, r->type);
	cv_buf_u64(b, (uint64_t)r->version);
	if (type == TYPE_CONSENT) {
		bad |= put_str(b, r->action);
		bad |= put_str(b, r->by);
		bad |= put_str(b, r->method);
		put_u8(b, r->scopes);
	} else if (type == TYPE_REFERRAL) {
		bad |= put_str(b, r->urgency);
		bad |= put_str(b, r->reason);
		bad |= put_str(b, r->to_type);
		bad |= put_str(b, r->basis);
	} else if (type == TYPE_WATCH) {
		bad |= put_str(b, r->tag);
	}
	return put_done(b, from, bad);
}

/* ---- decoding ------------------------------------------------------------ */

/* A reader of p[0..n): every read checks the end first; the first
 * refusal is kept in why and makes every later read a no-op. */
struct rd {
	const uint8_t *p;
	size_t n, at;
	const char *why;
};

static void refuse(struct rd *r, const char *why)
{
	if (!r->why)
		r->why = why;
}

/* The next k bytes, or NULL (refused as truncated) when fewer are left. */
static const uint8_t *take(struct rd *r, size_t k)
{
	const uint8_t *q;

	if (r->why)
		return NULL;
	if (k > r->n - r->at) {
		refuse(r, "truncated");
		return NULL;
	}
	q = r->p + r->at;
	r->at += k;
	return q;
}

static unsigned get_u8(struct rd *r)
{
	const uint8_t *q = take(r, 1);

	return q ? q[0] : 0;
}

static uint64_t get_u64(struct rd *r)
{
	const uint8_t *q = take(r, 8);
	uint64_t v = 0;

	for (int i = 0; q && i < 8; i++)
		v = v << 8 | q[i];
	return v;
}

static int get_bool(struct rd *r)
{
	unsigned v = get_u8(r);

	if (v > 1)
		refuse(r, "boolean");
	return v == 1;
}

/* A version: 1..INT64_MAX (a row's version is a signed integer). */
static int64_t get_version(struct rd *r)
{
	uint64_t v = get_u64(r);

	if (v < 1 || v > (uint64_t)INT64_MAX)
		refuse(r, "version");
	return r->why ? 0 : (int64_t)v;
}

static void get_tag(struct rd *r, const char *tag)
{
	size_t k = strlen(tag);
	const uint8_t *q = take(r, k);

	/* "truncated" for an input shorter than the tag */
	if (q && sodium_memcmp(q, tag, k) != 0)
		refuse(r, "tag");
}

/* A string of min..max bytes of valid UTF-8 without NUL into out[0..max]
 * (NUL-terminated; "" on a refusal). */
static void get_str(struct rd *r, char *out, size_t min, size_t max)
{
	size_t k = get_u8(r);
	const uint8_t *q;

	out[0] = '\0';
	if (r->why)
		return;
	if (k > r->n - r->at) {
		refuse(r, "truncated");
		return;
	}
	if (k < min || k > max) {
		refuse(r, "length");
		return;
	}
	q = take(r, k);
	if (memchr(q, '\0', k)) {
		refuse(r, "nul");
		return;
	}
	if (cv_utf8_check((const char *)q, k, NULL) != (size_t)-1) {
		refuse(r, "utf-8");
		return;
	}
	memcpy(out, q, k);
	out[k] = '\0';
}

/* A word of set v, as its static string, its index in *index when index
 * is not NULL; "" (and 0) when refused.  The bytes must be one of the
 * words exactly: as every word is ASCII without NUL, so is what matches,
 * and the empty string matches none. */
static const char *get_word(struct rd *r, const cv_vocab *v, int *index)
{
	size_t k = get_u8(r);
	const uint8_t *q;

	if (index)
		*index = 0;
	if (r->why)
		return "";
	if (k > r->n - r->at) {
		refuse(r, "truncated");
		return "";
	}
	q = take(r, k);
	for (size_t i = 1; i < v->n; i++)
		if (strlen(v->words[i]) == k && memcmp(v->words[i], q, k) == 0) {
			if (index)
				*index = (int)i;
			return v->words[i];
		}
	refuse(r, "word");
	return "";
}

static int two_digits(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'
		   ? (s[0] - '0') * 10 + s[1] - '0'
		   : -1;
}

/* Whether d (DATE_LEN bytes) is a date as docs/FORMAT.md §1 says: a valid
 * Gregorian YYYY-MM-DD, year >= 1970.  What cv_date_check accepts, without
 * its sscanf and timegm: a walk of many boxes checks two dates a case
 * (test_statsbox compares the two over every day of many years). */
static int date_ok(const char *d)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int hi = two_digits(d), lo = two_digits(d + 2), mo = two_digits(d + 5),
	    day = two_digits(d + 8), y, leap;

	if (hi < 0 || lo < 0 || mo < 1 || mo > 12 || day < 1 || d[4] != '-' || d[7] != '-')
		return 0;
	y = hi * 100 + lo;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return y >= 1970 && day <= days[mo - 1] + (mo == 2 && leap);
}

/* A date, YYYY-MM-DD, or "" when empty_ok. */
static void get_date(struct rd *r, char out[CV_STATSBOX_DATE], int empty_ok)
{
	get_str(r, out, empty_ok ? 0 : DATE_LEN, DATE_LEN);
	if (!r->why && *out && (strlen(out) != DATE_LEN || !date_ok(out)))
		refuse(r, "date");
}

static void get_end(struct rd *r)
{
	if (!r->why && r->at != r->n)
		refuse(r, "trailing bytes");
}

const char *cv_statsbox_case_get(const uint8_t *p, size_t n, cv_statsbox_case *c)
{
	struct rd r = {p, n, 0, NULL};

	memset(c, 0, sizeof(*c));
	get_tag(&r, CV_STATSBOX_CASE_TAG);
	get_str(&r, c->case_id, 1, CV_ID_MAX - 1);
	c->version = get_version(&r);
	c->grade = (int)get_u8(&r);
	if (!r.why && (c->grade < GRADE_MIN || c->grade > GRADE_MAX))
		refuse(&r, "grade");
	c->gender = get_word(&r, &cv_genders, NULL);
	c->category = get_word(&r, &cv_categories, NULL);
	get_date(&r, c->opened, 0);
	get_date(&r, c->closed, 1);
	c->minor = get_bool(&r);
	get_end(&r);
	if (r.why)
		memset(c, 0, sizeof(*c));
	return r.why;
}

const char *cv_statsbox_record_get(const uint8_t *p, size_t n, cv_statsbox_record *x)
{
	struct rd r = {p, n, 0, NULL};
	int type, action;

	memset(x, 0, sizeof(*x));
	x->action = x->by = x->method = "";
	x->urgency = x->reason = x->to_type = x->basis = x->tag = "";
	get_tag(&r, CV_STATSBOX_RECORD_TAG);
	get_str(&r, x->record_id, 1, CV_ID_MAX - 1);
	get_str(&r, x->case_id, 1, CV_ID_MAX - 1);
	x->type = get_word(&r, &stats_types, &type);
	x->version = get_version(&r);
	if (type == TYPE_CONSENT) {
		x->action = get_word(&r, &consent_actions, &action);
		if (action == ACTION_RECORD) {
			x->by = get_word(&r, &cv_parties, NULL);
			x->method = get_word(&r, &cv_methods, NULL);
		} else {
			x->by = get_word(&r, &withdraw_parties, NULL);
			if (get_u8(&r) != 0)
				refuse(&r, "word"); /* a withdrawal's method is empty */
		}
		x->scopes = get_u8(&r);
		if ((x->scopes & ~(unsigned)CV_SCOPE_ALL) != 0)
			refuse(&r, "scopes");
	} else if (type == TYPE_REFERRAL) {
		x->urgency = get_word(&r, &cv_urgencies, NULL);
		x->reason = get_word(&r, &cv_categories, NULL);
		x->to_type = get_word(&r, &cv_destinations, NULL);
		x->basis = get_word(&r, &bases, NULL);
	} else if (type == TYPE_WATCH) {
		x->tag = get_word(&r, &cv_tags, NULL);
	}
	get_end(&r);
	if (r.why) {
		memset(x, 0, sizeof(*x));
		x->type = x->action = x->by = x->method = "";
		x->urgency = x->reason = x->to_type = x->basis = x->tag = "";
	}
	return r.why;
}

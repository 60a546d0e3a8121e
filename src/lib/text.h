/*
 * text.h - ground layer: validation of what users type (UTF-8, control characters, bidi
 * controls, names), what may be shown on a terminal as it is (the display rule itself is
 * public: cv_text_safe_run, cv_text_escape_one in casevault.h) and the vault's one time
 * and date format.  Ground layer.
 */
#ifndef CV_TEXT_H
#define CV_TEXT_H

#include <stddef.h>
#include <time.h>

#include "casevault.h"

/* Returns the byte offset of the first byte that is not part of valid UTF-8
 * (overlongs, surrogates and code points above U+10FFFF included), or
 * (size_t)-1 when s[0..n) is valid.  *chars receives the number of code
 * points when chars is not NULL. */
size_t cv_utf8_check(const char *s, size_t n, size_t *chars);

/*
 * cv_text_has_bidi - the byte offset of the first bidi control (U+061C,
 * U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), deprecated format
 * character (U+206A..U+206F), line or paragraph separator (U+2028,
 * U+2029) or byte order mark (U+FEFF) in s[0..n), its code point in *cp
 * when cp is not NULL; (size_t)-1 when there is none.  Bytes that are
 * not UTF-8 are skipped (cv_utf8_check finds those).
 */
size_t cv_text_has_bidi(const char *s, size_t n, unsigned *cp);

/*
 * cv_field_check - a single-line field: valid UTF-8, no NUL, no control
 * characters (C0, DEL, C1), none of the invisible characters that
 * cv_text_has_bidi finds ("field.bidi"), 1..max bytes.  what names the
 * field in the message ("name", "reason", ...).
 */
cv_status cv_field_check(const char *what, const char *s, size_t max, cv_err *err);

/* Showing text on a terminal: cv_text_safe_run and cv_text_escape_one
 * (casevault.h). */

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL). */
#define CV_TIME_LEN 21
void cv_time_now(char out[CV_TIME_LEN]);

/*
 * cv_clock - the current UTC time in seconds since 1970, the one clock
 * every module reads (cv_time_now, cv_today, the duty log, enrolment
 * codes).  cv_clock_fix(t) makes it answer t until fixed again (0: the
 * system's clock): the test programs use it to build a term of records on
 * past dates through the library.  The program never calls it.
 */
int64_t cv_clock(void);
void cv_clock_fix(int64_t t);

/*
 * cv_time_bound - turn a user's "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" into
 * a full UTC time.  For an upper bound a bare date means the end of that day.
 */
cv_status cv_time_bound(const char *in, int upper, char out[CV_TIME_LEN], cv_err *err);

/* Today's date (UTC) as YYYY-MM-DD, and date arithmetic on that form. */
void cv_today(char out[11]);
/* CV_EUSAGE naming `what` unless d is a valid YYYY-MM-DD date. */
cv_status cv_date_check(const char *what, const char *d, cv_err *err);
void cv_date_add_days(const char *d, int days, char out[11]);
/* Whole days from a to b (b - a); both YYYY-MM-DD. */
long cv_date_diff(const char *a, const char *b);
/* Age in whole years on date `on` of someone born on `born` (both dates). */
int cv_age_on(const char *born, const char *on);

#endif

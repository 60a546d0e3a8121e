/*
 * review.h - middle layer: the review of a break-glass event (R2, R9):
 * one row of the reviews table per crisis record reviewed, its note
 * sealed to the stats public key (so that only supervisors, who alone
 * hold the stats secret key, can read it) with the event's id inside,
 * and the row signed by the reviewing supervisor (docs/FORMAT.md §22).
 * Every row is checked whenever it is read: signature, signer, and that
 * it is the one the log's audit.review row recorded.
 */
#ifndef CV_REVIEW_H
#define CV_REVIEW_H

#include "session.h"

/* The longest note, in bytes. */
#define CV_REVIEW_NOTE_MAX 4000

/* CV_OK when note is 1..CV_REVIEW_NOTE_MAX bytes of valid UTF-8 without
 * NUL, control characters other than newline and tab, or invisible
 * direction and format characters; CV_EUSAGE saying what is wrong. */
cv_status cv_review_note_check(const char *note, cv_err *err);

/* The object of a review's audit rows: "crisis:X-..." (write) or
 * "review:X-..." (reading the note); "...:?" when event is not an id. */
void cv_review_object(char *out, size_t cap, const char *kind, const char *event);

/* Seals {"event": r->event, "note": note} to the vault's stats public key
 * (verified) into r->box (malloc'd; free with cv_review_rec_clear). */
cv_status cv_review_seal(cv_vault *v, cv_review_rec *r, const char *note, cv_err *err);
/* Signs r (every column set but sig) with kh into r->sig. */
cv_status cv_review_sign(cv_vault *v, cv_review_rec *r, cv_keyholder *kh, cv_err *err);

/*
 * cv_review_check - r verifies: signed by the identity its reviewer held
 * at r->seq, which verifies as a signer and is a supervisor's, not yet
 * disabled then; and r->seq is the log's (the last ok audit.review row
 * about the event).  CV_EINTEGRITY "review.unverified" naming the event.
 */
cv_status cv_review_check(cv_vault *v, const cv_review_rec *r, cv_err *err);

/* Opens r's note with the stats secret key sk into *note (sodium_malloc'd,
 * NUL-terminated; sodium_free it).  CV_EINTEGRITY when it does not open
 * or names another event. */
cv_status cv_review_open(cv_vault *v, const cv_review_rec *r, const uint8_t *sk, char **note,
			 cv_err *err);

/* The seq of the log's last ok audit.review row about event (object
 * "crisis:EVENT"), 0 when the log records no review of it. */
cv_status cv_review_logged(cv_vault *v, const char *event, int64_t *seq, cv_err *err);

/*
 * cv_reviews_verify - every stored review verifies (cv_review_check),
 * and every event the log says was reviewed still has its row
 * (CV_EINTEGRITY "review.deleted" otherwise).  *count (may be NULL)
 * receives the number of rows.
 */
cv_status cv_reviews_verify(cv_vault *v, size_t *count, cv_err *err);

#endif

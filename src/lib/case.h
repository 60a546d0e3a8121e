/*
 * case.h - the one access function every operation on a case goes
 * through.  cv_case_enter opens the write transaction, loads the case,
 * checks role, grant (by unsealing the case key: without a sealed copy
 * there is no key, whatever the checks say), case state and informed
 * consent (R1) or the crisis exception (R2); any refusal is rolled back and
 * logged as a denied row.  cv_case_leave writes the audit rows and commits
 * before the caller shows anything.
 */
#ifndef CV_CASE_H
#define CV_CASE_H

#include <jansson.h>

#include "session.h"

/* Consent scopes (R1), as bits. */
enum {
	CV_SCOPE_INDIVIDUAL = 1,
	CV_SCOPE_GROUP = 2,
	CV_SCOPE_TESTING = 4,
	CV_SCOPE_GUARDIAN_CONTACT = 8,
	CV_SCOPE_REFERRAL = 16,
	CV_SCOPE_ALL = 31,
};

/* What an operation needs of the case. */
enum {
	CV_NEED_CONTENT = 1,  /* a counselor granted on the case */
	CV_NEED_OPEN = 2,     /* the case is open (not closed) */
	CV_NEED_RECOVERY = 4, /* an admin with the recovery key instead of a grant */
	CV_NEED_META = 8,     /* the case's clear metadata only (no key) */
};

struct cv_case {
	cv_case_rec rec;
	uint8_t *key;  /* case key, sodium_malloc; NULL with CV_NEED_META */
	json_t *data;  /* decrypted identity and attributes */
	unsigned student_scopes, guardian_scopes;
	int consent_events, withdrawn;
	char withdrawn_on[CV_TIME_LEN]; /* the date given for the last withdrawal */
	char withdrawn_at[CV_TIME_LEN]; /* when it was recorded */
	int minor;
	/* Notes in record order, and how many of them came before the last
	 * withdrawal: those are marked (R1: existing records stay). */
	char (*notes)[CV_ID_MAX];
	size_t nnotes, nnotes_withdrawn;
	const char *crisis; /* justification when acting under R2 */
	unsigned crisis_scope;
};

/* Whether note id was written before the last withdrawal of consent. */
int cv_case_note_before_withdrawal(const struct cv_case *c, const char *id);

/* Parses "individual,testing,..." into bits; CV_EUSAGE names a bad word. */
cv_status cv_scope_parse(const char *list, unsigned *bits, cv_err *err);
/* The words of bits, comma-separated, into out. */
void cv_scope_format(unsigned bits, char *out, size_t cap);

/*
 * cv_case_enter - begin an operation `action` (an audit action name such
 * as "note.add") on case_id.  scope is the consent the operation needs (0
 * for none); crisis, when not NULL, is the R2 justification that may stand
 * in for missing consent.  recovery is the recovery key holder for
 * CV_NEED_RECOVERY.  On success the transaction is open and *out holds the
 * case; on failure everything is rolled back and the refusal logged.
 */
cv_status cv_case_enter(cv_session *s, const char *case_id, const char *action, unsigned need,
			unsigned scope, const char *crisis, cv_keyholder *recovery,
			struct cv_case **out, cv_err *err);

/* Logs `action` on `object` (with detail), the break-glass row when the
 * crisis exception was used, a checkpoint, and commits.  The caller still
 * holds c (a read shows what it decrypted only after this) and frees it. */
cv_status cv_case_leave(cv_session *s, struct cv_case *c, const char *action, const char *object,
			const char *detail, cv_err *err);
/* Rolls back, logs the failure in err, frees c; returns err->status. */
cv_status cv_case_abort(cv_session *s, struct cv_case *c, const char *action, const char *object,
			cv_err *err);
void cv_case_free(struct cv_case *c);

/* Encrypts body (JSON, or raw text when text is not NULL) into r under the
 * case key at r's place, and inserts (insert) or updates r. */
cv_status cv_record_put(cv_session *s, struct cv_case *c, cv_record *r, json_t *body,
			const char *text, size_t textlen, int insert, cv_err *err);
/* Decrypts r: JSON into *body, or raw text into *text (sodium_malloc). */
cv_status cv_record_open_json(cv_session *s, struct cv_case *c, const cv_record *r, json_t **body,
			      cv_err *err);
cv_status cv_record_open_text(cv_session *s, struct cv_case *c, const cv_record *r,
			      uint8_t **text, size_t *len, cv_err *err);

/* Whether a final note's signature verifies (note.c): it covers the
 * ciphertext, kind and parent, so edited clear columns are caught. */
int cv_note_signature_ok(cv_session *s, const cv_record *r);

/* Today's date (UTC) as YYYY-MM-DD, and date arithmetic on that form. */
void cv_today(char out[11]);
cv_status cv_date_check(const char *what, const char *d, cv_err *err);
void cv_date_add_days(const char *d, int days, char out[11]);
/* Whole days from a to b (b - a); both YYYY-MM-DD. */
long cv_date_diff(const char *a, const char *b);

#endif

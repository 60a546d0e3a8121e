/*
 * access.h - policy layer: the one way to a case.  access is the only
 * module that unseals a case key or touches the case, grant and record
 * tables.  cv_access_enter opens the write transaction, loads the case,
 * checks role, grant (by opening the case key from the reader's
 * authenticated copy: without a copy there is no key, whatever the checks
 * say), the signatures of the case row and of every record on it (a forged
 * row is CV_EINTEGRITY naming it), case state and informed consent (R1) or
 * the crisis exception (R2); any refusal is rolled back and logged.  Every
 * row the access layer writes is signed by the acting user.  cv_access_leave writes the audit rows
 * and commits before the caller shows anything.  cv_access_each does the same for many cases, one
 * logged read per decrypted case.
 */
#ifndef CV_ACCESS_H
#define CV_ACCESS_H

#include <jansson.h>

#include "consent_state.h"
#include "crypt.h"
#include "log.h"
#include "statsbox.h"

/* What an operation needs of the case. */
enum {
	CV_NEED_CONTENT = 1,  /* a counselor granted on the case */
	CV_NEED_OPEN = 2,     /* the case is open (not closed) */
	CV_NEED_RECOVERY = 4, /* an admin with the recovery key instead of a grant */
};

struct cv_case {
	cv_case_rec rec;
	uint8_t *key; /* case key, sodium_malloc */
	json_t *data; /* decrypted identity and attributes */
	cv_consent_state consent;
	int minor;
	const char *crisis; /* justification when acting under R2 */
	unsigned crisis_scope;
};

/*
 * cv_access_enter - begin an operation `action` on case_id.  scope is the
 * consent the operation needs (0 for none); crisis, when not NULL, is the
 * R2 justification that may stand in for missing consent.  recovery is the
 * recovery key holder for CV_NEED_RECOVERY.  On success the transaction is
 * open and *out holds the case; on failure everything is rolled back and
 * the refusal logged.
 */
cv_status cv_access_enter(cv_session *s, const char *case_id, cv_action action, unsigned need,
			  unsigned scope, const char *crisis, cv_keyholder *recovery,
			  struct cv_case **out, cv_err *err);
/*
 * cv_access_enter_record - the same for an operation on record rec_id of
 * type `type`: finds its case, enters it (scope_of, when not NULL, gives
 * the consent scope from the record), and reads the record again inside
 * the write transaction into *r (free with cv_record_clear).  A missing
 * record or one of another type is CV_ENOTFOUND.
 */
cv_status cv_access_enter_record(cv_session *s, const char *rec_id, cv_rec_type type,
				 cv_action action, unsigned need,
				 unsigned (*scope_of)(const cv_record *r), const char *crisis,
				 cv_record *r, struct cv_case **c, cv_err *err);
/* Logs `action` on `object` (with detail), the break-glass row when the
 * crisis exception was used, a checkpoint, and commits.  The caller still
 * holds c (a read shows what it decrypted only after this) and frees it. */
cv_status cv_access_leave(cv_session *s, struct cv_case *c, cv_action action, const char *object,
			  const char *detail, cv_err *err);
/* One audit row of an operation: its action, object and detail. */
typedef struct cv_access_row {
	cv_action action;
	const char *object;
	const char *detail;
} cv_access_row;
/* cv_access_leave with n rows (n >= 1) in the one transaction, in order;
 * the break-glass row, when there is one, comes before rows[0], whose
 * action it names. */
cv_status cv_access_leave_rows(cv_session *s, struct cv_case *c, const cv_access_row *rows,
			       size_t n, cv_err *err);
/*
 * cv_access_join_record - inside a write transaction the caller opened
 * (cv_op_begin) and will end: loads record rec_id of `type` into *r (free
 * with cv_record_clear) and its case into *c (free with cv_case_free),
 * with every check of cv_access_enter_record but consent (operations that
 * need none).  On failure nothing is rolled back or logged: the caller
 * ends the transaction with cv_op_fail.
 */
cv_status cv_access_join_record(cv_session *s, const char *rec_id, cv_rec_type type,
				cv_action action, unsigned need, cv_record *r, struct cv_case **c,
				cv_err *err);
/*
 * cv_access_join - inside a write transaction the caller opened
 * (cv_op_begin) and will end: loads case_id into *out (free with
 * cv_case_free) with every check of cv_access_enter but the role (the
 * caller's cv_policy_check) and without the crisis exception: grant, row
 * signatures, state (need) and the consent scope needs.  On failure
 * nothing is rolled back or logged: the caller decides (an import goes on
 * with its next row, then rolls everything back).
 */
cv_status cv_access_join(cv_session *s, const char *case_id, cv_action action, unsigned need,
			 unsigned scope, struct cv_case **out, cv_err *err);
/* The state and consent checks of cv_access_join again on a case joined
 * earlier in the same transaction (for another scope). */
cv_status cv_access_recheck(struct cv_case *c, unsigned need, unsigned scope, cv_err *err);
/* Rolls back, logs the failure in err, frees c; returns err->status. */
cv_status cv_access_abort(cv_session *s, struct cv_case *c, cv_action action, const char *object,
			  cv_err *err);
void cv_case_free(struct cv_case *c);

/* R1: whether a student born on `born` (a date, or NULL or "" when not
 * given: treated as a minor) is under the vault's adult age today. */
cv_status cv_access_minor(cv_vault *v, const char *born, int *minor, cv_err *err);

/* ---- records of an entered case ---------------------------------------- */

/* Encrypts body (JSON, or raw text when text is not NULL) into r under the
 * case key at r's place, seals the record's statistical attributes to the
 * stats key (the types of cv_record_has_stats, docs/FORMAT.md §12.5), and
 * inserts (insert) or updates r. */
cv_status cv_record_put(cv_session *s, struct cv_case *c, cv_record *r, json_t *body,
			const char *text, size_t textlen, int insert, cv_err *err);
/* Whether records of type carry statistical attributes (a stats box). */
int cv_record_has_stats(const char *type);
/* Decrypts r: JSON into *body, or raw text into *text (sodium_malloc). */
cv_status cv_record_open_json(cv_session *s, struct cv_case *c, const cv_record *r, json_t **body,
			      cv_err *err);
cv_status cv_record_open_text(cv_session *s, struct cv_case *c, const cv_record *r, uint8_t **text,
			      size_t *len, cv_err *err);
/* A list of records read from a walk; boxes are owned (malloc'd). */
typedef struct cv_rec_list {
	cv_record *v;
	size_t n;
	int oom;
	const char *due_before; /* keep only records due before this date */
} cv_rec_list;
void cv_rec_list_free(cv_rec_list *l);
/* Appends the records of c of `type` (0: all) to l, oldest first. */
cv_status cv_access_collect(cv_session *s, struct cv_case *c, cv_rec_type type, cv_rec_list *l,
			    cv_err *err);
/* Rewrites r's clear columns (status, dates, signature) on case c; its
 * ciphertext is unchanged. */
cv_status cv_access_record_update(cv_session *s, struct cv_case *c, const cv_record *r,
				  cv_err *err);
/* Calls cb for each record of c of `type` (0: all), oldest first.  The
 * records are read first and cb runs after the store walk has ended, so cb
 * may use the store; a non-zero return stops. */
cv_status cv_access_records(cv_session *s, struct cv_case *c, cv_rec_type type,
			    int (*cb)(const cv_record *r, void *arg), void *arg, cv_err *err);

/* ---- the case row ------------------------------------------------------ */

/*
 * cv_access_create - inside an operation begun with cv_op_begin: store a
 * new case rec (id, status, dates, index tag set by the caller) with data
 * sealed under key, its statistical attributes sealed to the stats public
 * key, the key sealed to the recovery key and committed to, the row signed
 * by the acting counselor, and the key granted to them.
 */
cv_status cv_access_create(cv_session *s, cv_case_rec *rec, const uint8_t *key, json_t *data,
			   cv_err *err);
/* Re-seals c's data and attributes at the next version and stores them
 * with its (changed) status and dates, signed by the acting counselor. */
cv_status cv_access_rewrite(cv_session *s, struct cv_case *c, cv_err *err);
/* Copies c's key to counselor `to` (verified, active): from the acting
 * counselor, or from the recovery key when recovery is not NULL
 * (handover). */
cv_status cv_access_grant(cv_session *s, struct cv_case *c, const char *to, cv_keyholder *recovery,
			  cv_err *err);
/* R10: deletes every grant and record of c and blanks its ciphertexts; the
 * tombstone is signed by the acting admin. */
cv_status cv_access_shred(cv_session *s, struct cv_case *c, cv_err *err);
/*
 * cv_access_case_stats - a supervisor's view of one case's statistical
 * attributes (docs/FORMAT.md §12.2) into *out: the row's signature is
 * checked, the box opened with the supervisor's stats key, decoded (its
 * words checked against their sets) and its case id and version compared
 * with the row.  Nothing
 * is logged here: the export that calls it logs what it publishes.
 * CV_EDENIED for anyone but a supervisor who holds the stats key.
 */
cv_status cv_access_case_stats(cv_session *s, const char *case_id, cv_statsbox_case *out,
			       cv_err *err);

/* ---- many cases -------------------------------------------------------- */

/* One record of a case as the statistics see it: its clear columns and,
 * for the types that have one, its stats box (docs/FORMAT.md §12.5);
 * strings are "" where a type has no such attribute. */
typedef struct cv_stats_record {
	const char *id;
	const char *type;    /* cv_rec_types */
	const char *kind;    /* the clear kind (a note's kind) */
	const char *status;  /* the clear status */
	const char *created; /* YYYY-MM-DD of created_at */
	/* consent */
	const char *action; /* record, withdraw */
	const char *by;	    /* student, guardian, both */
	unsigned scopes;    /* CV_SCOPE_* bits */
	/* referral */
	const char *urgency;
	const char *reason;
	const char *to_type;
	const char *basis;
	/* watch */
	const char *tag;
	/* crisis: 1 when the event has a review that verifies (§22) */
	int reviewed;
	/* the clear columns the compliance report reads (docs/FORMAT.md §3.8) */
	const char *created_at; /* the full time of creation */
	const char *due;	/* YYYY-MM-DD, or "" */
	const char *parent;	/* the amended note, the followed-up referral, or "" */
	int64_t author_id;
} cv_stats_record;

/* One case's statistical attributes, valid during the callback. */
typedef struct cv_stats_attrs {
	const char *case_id;
	int grade;	      /* 1..12 */
	const char *gender;   /* cv_genders */
	const char *category; /* cv_categories */
	const char *opened;   /* YYYY-MM-DD */
	const char *closed;   /* YYYY-MM-DD, or "" while open */
	int minor;
	const uint8_t *index_tag;	/* the row's blind index: equal for one student's cases */
	const cv_stats_record *records; /* the case's records, in record order */
	size_t nrecords;
} cv_stats_attrs;

/*
 * cv_access_all_stats - a supervisor's walk over every case that is not
 * shredded: each case's row signature is checked and its statistics box
 * opened with the stats secret key alone (no case key is unsealed, no
 * content box read), compared with its row and checked against the
 * closed sets of its attributes; so is every record of the case (its
 * signature, and the stats box of the types that have one, §12.5); then
 * the case and its records are given to cb (a non-zero return stops).  *cases counts the cases
 * given.  Nothing is logged here: the export that calls it logs one row for what it publishes.
 * CV_EDENIED for anyone who does not hold the stats key; CV_EINTEGRITY, naming the case, when one
 * fails a check (the walk stops there).
 */
cv_status cv_access_all_stats(cv_session *s, int (*cb)(const cv_stats_attrs *a, void *arg),
			      void *arg, size_t *cases, cv_err *err);

/* Whether the cases and records tables, each counted on its own b-tree,
 * hold exactly cases and records rows (the rows the log keeps): a row no
 * walk of cv_access_all_stats reaches, such as a record of no case, was
 * planted (CV_EINTEGRITY "rows.uncommitted"). */
cv_status cv_access_rows_kept(cv_session *s, int64_t cases, int64_t records, cv_err *err);

/* The ids of the cases granted to the acting counselor (oldest first). */
cv_status cv_access_granted(cv_session *s, cv_id_list *ids, cv_err *err);
/*
 * cv_access_granted_clear - the ids and states of the cases granted to
 * `user`, from clear columns only (docs/FORMAT.md §3.9: case ids, states
 * and grants): no key is opened, no signature checked, nothing logged.
 * For offering ids to type (completion), never for showing a case; cb's
 * non-zero return stops.  CV_ENOTFOUND when there is no such user.
 */
cv_status cv_access_granted_clear(cv_vault *v, const char *user,
				  int (*cb)(const char *id, const char *status, void *arg),
				  void *arg, cv_err *err);
/* The ids of cases whose blind index is tag: all of them (granted_only 0,
 * only to count open ones) or those granted to the acting counselor. */
cv_status cv_access_by_index(cv_session *s, const uint8_t tag[CV_HASH_LEN], int granted_only,
			     cv_id_list *ids, int *open, cv_err *err);
/* The ids of granted cases holding records of `type`.  Due dates do not
 * narrow the choice: a clear column is trusted only once its record has
 * verified, when its case is read (an edited due date cannot hide a case
 * from an overdue list). */
cv_status cv_access_with_records(cv_session *s, cv_rec_type type, cv_id_list *ids, cv_err *err);

/*
 * cv_access_each - decrypt the cases in ids for `action` (a list or a
 * find): one "case.read" row per case decrypted goes into the log, and
 * commits, before cb sees that case.  A case that fails to open (tampered)
 * is skipped, logged as failed, and reported at the end with
 * CV_EINTEGRITY; the others are still shown.  Cases that were shredded or
 * not granted meanwhile are skipped.  A non-zero return from cb stops.
 */
cv_status cv_access_each(cv_session *s, const cv_id_list *ids, cv_action action,
			 int (*cb)(cv_session *s, struct cv_case *c, void *arg), void *arg,
			 cv_err *err);

/* ---- break-glass events (R2, R9) --------------------------------------- */

/* One break-glass event: the clear columns of a crisis record. */
typedef struct cv_crisis_event {
	char id[CV_ID_MAX];
	char case_id[CV_ID_MAX];
	int64_t author_id;
	char created_at[CV_TIME_LEN];
} cv_crisis_event;

/*
 * cv_access_crisis_events - every crisis record on every case, oldest
 * first, into *out (malloc'd, free with free(); *n of them).  Each row's
 * signature is checked without its case key (docs/FORMAT.md §13: no case
 * key is unsealed, no box opened); a forged one is CV_EINTEGRITY naming
 * it.  Nothing is logged here: the caller logs what it shows.
 */
cv_status cv_access_crisis_events(cv_session *s, cv_crisis_event **out, size_t *n, cv_err *err);
/* Whether break-glass event id has a review that verifies (§22); a review
 * the log recorded whose row is gone is CV_EINTEGRITY "review.deleted". */
cv_status cv_access_event_reviewed(cv_session *s, const char *id, int *reviewed, cv_err *err);
/* One crisis record by id, checked the same way.  CV_ENOTFOUND
 * "crisis.not-found" when no crisis record has that id. */
cv_status cv_access_crisis_event(cv_session *s, const char *id, cv_crisis_event *out, cv_err *err);

/* ---- users ------------------------------------------------------------- */

/* After a reset: re-seals every case granted to `to` (by id) to its new
 * key from the recovery copies; *cases counts them. */
cv_status cv_access_reseal_user(cv_session *s, cv_keyholder *recovery, const cv_user_rec *to,
				int64_t *cases, cv_err *err);
/* After an enrolment or a key rotation: re-seals every case granted to
 * `to` (by id) from the copy `from` opens (the enrolment code's key, or
 * the user's previous key) to to's new box key; *cases counts them. */
cv_status cv_access_rekey_user(cv_session *s, cv_keyholder *from, const cv_user_rec *to,
			       cv_keyholder *sender, int64_t *cases, cv_err *err);
/* On disable: deletes every sealed key user_id holds (vault and case keys). */
cv_status cv_access_revoke_user(cv_session *s, int64_t user_id, cv_err *err);

#endif

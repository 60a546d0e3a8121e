/*
 * statsbox.h - middle layer, pure functions: the plaintext inside a
 * statistics box (docs/FORMAT.md §12.2, §12.5), one fixed binary layout
 * for a case and one for a record: a domain tag, then the fields in a
 * fixed order.  The encoder appends to a cv_buf; the decoder checks every
 * read against the end and every value against its set.  No keys and no
 * rows: access.c boxes what is encoded here, opens the box, and compares
 * the decoded ids and version with the row.
 */
#ifndef CV_STATSBOX_H
#define CV_STATSBOX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

/* The domain tags that open the two plaintexts (docs/FORMAT.md §18). */
#define CV_STATSBOX_CASE_TAG "casevault-stats-case-v1"
#define CV_STATSBOX_RECORD_TAG "casevault-stats-record-v1"

/* A date, YYYY-MM-DD, and its terminating NUL. */
#define CV_STATSBOX_DATE 11

/* The statistical attributes of a case (docs/FORMAT.md §12.2). */
typedef struct cv_statsbox_case {
	char case_id[CV_ID_MAX];
	int64_t version;	       /* cases.version when it was sealed, >= 1 */
	int grade;		       /* 1..12 */
	const char *gender;	       /* a word of cv_genders */
	const char *category;	       /* a word of cv_categories */
	char opened[CV_STATSBOX_DATE]; /* YYYY-MM-DD */
	char closed[CV_STATSBOX_DATE]; /* YYYY-MM-DD, or "" while open */
	int minor;		       /* 0 or 1 */
} cv_statsbox_case;

/* The statistical attributes of a consent, referral or register record
 * (docs/FORMAT.md §12.5); the words of the other types are "". */
typedef struct cv_statsbox_record {
	char record_id[CV_ID_MAX];
	char case_id[CV_ID_MAX];
	const char *type; /* consent, referral or watch */
	int64_t version;  /* records.version when it was sealed, >= 1 */
	/* consent */
	const char *action; /* record, withdraw */
	const char *by;	    /* student, guardian; both for a withdrawal */
	const char *method; /* written, oral for a recorded consent; "" for a withdrawal */
	unsigned scopes;    /* CV_SCOPE_* bits */
	/* referral */
	const char *urgency; /* cv_urgencies */
	const char *reason;  /* cv_categories */
	const char *to_type; /* cv_destinations */
	const char *basis;   /* consent, crisis */
	/* watch */
	const char *tag; /* cv_tags */
} cv_statsbox_record;

/*
 * cv_statsbox_case_put, cv_statsbox_record_put - append the encoding of
 * c (r) to b.  -1, with nothing appended, when a value cannot be written
 * in the layout (a string longer than 255 bytes, a NULL word, a version
 * below 1, a grade outside 0..255, scope bits outside CV_SCOPE_ALL, or a
 * record type without statistics); 0 otherwise, b->oom telling whether
 * memory ran out.  The words are written as given: the decoder is what
 * checks them against their sets.
 */
int cv_statsbox_case_put(cv_buf *b, const cv_statsbox_case *c);
int cv_statsbox_record_put(cv_buf *b, const cv_statsbox_record *r);

/*
 * cv_statsbox_case_get, cv_statsbox_record_get - decode p[0..n) into
 * *c (*r).  NULL when it is exactly one well-formed plaintext; else a
 * short reason (for tests and diagnostics, not for users): "tag",
 * "truncated" (a field or a length past the end), "trailing bytes",
 * "length" (a string's length outside its bounds), "nul", "utf-8",
 * "boolean", "version", "grade", "date", "word" (a word outside its set)
 * or "scopes" (bits outside the five scopes).  Words point to the static
 * strings of vocab.h; on a refusal *c (*r) holds no partial values.
 */
const char *cv_statsbox_case_get(const uint8_t *p, size_t n, cv_statsbox_case *c);
const char *cv_statsbox_record_get(const uint8_t *p, size_t n, cv_statsbox_record *r);

#endif

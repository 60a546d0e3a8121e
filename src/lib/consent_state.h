/*
 * consent_state.h - policy layer, pure functions: consent scopes, the fold
 * of a case's consent events into the consent in force, and the R1 check
 * (with R2's crisis exception).  No storage, no keys: the access layer
 * decrypts the events and feeds them here in record order.
 */
#ifndef CV_CONSENT_STATE_H
#define CV_CONSENT_STATE_H

#include <jansson.h>

#include "store.h"
#include "vocab.h"

typedef struct cv_consent_state {
	unsigned student_scopes, guardian_scopes;
	int events, withdrawn;
	char withdrawn_on[CV_TIME_LEN]; /* the date given for the last withdrawal */
	char withdrawn_at[CV_TIME_LEN]; /* when it was recorded */
	/* Notes in record order, and how many of them came before the last
	 * withdrawal: those are marked (R1: existing records stay). */
	char (*notes)[CV_ID_MAX];
	size_t nnotes, nnotes_withdrawn;
} cv_consent_state;

/* Parses "individual,testing,..." into bits; CV_EUSAGE names a bad word. */
cv_status cv_scope_parse(const char *list, unsigned *bits, cv_err *err);
/* The words of bits, comma-separated, into out. */
void cv_scope_format(unsigned bits, char *out, size_t cap);
/* The bits of a JSON array of scope words (unknown words are ignored). */
unsigned cv_scope_json(json_t *array);
/* A JSON array of the words of bits; NULL when out of memory. */
json_t *cv_scope_array(unsigned bits);

/*
 * cv_consent_fold - apply one record of a case, in record order: a note
 * is remembered (for marking), a consent event (body: its decrypted JSON)
 * changes the scopes in force.  Other types are ignored.
 */
cv_status cv_consent_fold(cv_consent_state *cs, const cv_record *r, json_t *body, cv_err *err);
/* Whether note id was written before the last withdrawal of consent. */
int cv_consent_before_withdrawal(const cv_consent_state *cs, const char *id);
void cv_consent_state_free(cv_consent_state *cs);

/*
 * cv_consent_check - R1: CV_OK when the consent in force covers scope (the
 * student's always, a guardian's too for a minor); else CV_EDENIED naming
 * what is missing and how to record it.
 */
cv_status cv_consent_check(const cv_consent_state *cs, int minor, unsigned scope,
			   const char *case_id, cv_err *err);

/* The consent a note of this kind needs: guardian contact for a contact
 * note, individual counseling otherwise (also for an unknown kind). */
unsigned cv_note_kind_scope(const char *kind);

/* R2: a crisis justification must be valid single-line text that says
 * something (CV_EUSAGE otherwise). */
cv_status cv_crisis_check(const char *justification, cv_err *err);

#endif

/*
 * vocab.h - ground layer: the vault's fixed words.  Every value that is
 * stored or compared (roles, actions, outcomes, record types, states,
 * consent scopes, categories, tags, note kinds) is an enum here with one
 * string table, so stored data speaks in stable codes and the front end
 * alone turns them into prose.  A word's spelling is part of the format
 * (docs/FORMAT.md); a message can be reworded without changing it.
 */
#ifndef CV_VOCAB_H
#define CV_VOCAB_H

#include <stddef.h>

#include "casevault.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A closed set of words; index 0 is never a valid value. */
typedef struct cv_vocab {
	const char *const *words; /* words[0] is NULL */
	size_t n;		  /* entries, the NULL one included */
} cv_vocab;

/* The word of value i, or "?" when i is out of range. */
const char *cv_word(const cv_vocab *v, int i);
/* The value of word s, or 0 when s is NULL or not in v. */
int cv_word_parse(const cv_vocab *v, const char *s);
/* The words of v from index 1, joined by ", " with "or" before the last,
 * into out (for messages that list the choices). */
void cv_word_choices(const cv_vocab *v, char *out, size_t cap);

extern const cv_vocab cv_roles;		/* cv_role */
extern const cv_vocab cv_actions;	/* cv_action */
extern const cv_vocab cv_outcomes;	/* cv_outcome */
extern const cv_vocab cv_rec_types;	/* cv_rec_type */
extern const cv_vocab cv_case_states;	/* cv_case_state */
extern const cv_vocab cv_user_states;	/* cv_user_state */
extern const cv_vocab cv_note_kinds;	/* cv_note_kind */
extern const cv_vocab cv_note_states;	/* cv_note_state */
extern const cv_vocab cv_ref_states;	/* cv_ref_state */
extern const cv_vocab cv_urgencies;	/* cv_urgency */
extern const cv_vocab cv_categories;	/* cv_category */
extern const cv_vocab cv_destinations;	/* kinds of referral institution */
extern const cv_vocab cv_tags;		/* cv_tag */
extern const cv_vocab cv_parties;	/* cv_party */
extern const cv_vocab cv_methods;	/* cv_method */
extern const cv_vocab cv_genders;	/* cv_gender */
extern const cv_vocab cv_scopes;	/* bit positions + 1 of the CV_SCOPE_* */
extern const cv_vocab cv_watch_states;	/* cv_watch_state */
extern const cv_vocab cv_crisis_states; /* cv_crisis_state */
extern const cv_vocab cv_duty_states;	/* cv_duty_state */
extern const cv_vocab cv_seasons;	/* the terms of a school year */

typedef enum cv_outcome { CV_OUT_OK = 1, CV_OUT_DENIED, CV_OUT_FAILED } cv_outcome;

typedef enum cv_rec_type {
	CV_REC_CONSENT = 1,
	CV_REC_NOTE,
	CV_REC_TEST,
	CV_REC_REFERRAL,
	CV_REC_FOLLOWUP,
	CV_REC_WATCH,
	CV_REC_CRISIS,
} cv_rec_type;

typedef enum cv_case_state { CV_CASE_OPEN = 1, CV_CASE_CLOSED, CV_CASE_SHREDDED } cv_case_state;
typedef enum cv_user_state { CV_USER_ACTIVE = 1, CV_USER_DISABLED, CV_USER_PENDING } cv_user_state;

typedef enum cv_note_kind {
	CV_KIND_SESSION = 1,
	CV_KIND_ANALYSIS,
	CV_KIND_OUTCOME,
	CV_KIND_CONTACT,
	CV_KIND_ADDENDUM,
} cv_note_kind;

typedef enum cv_note_state { CV_NOTE_DRAFT = 1, CV_NOTE_FINAL } cv_note_state;

typedef enum cv_ref_state {
	CV_REF_REFERRED = 1,
	CV_REF_CONTACTED,
	CV_REF_ACCEPTED,
	CV_REF_DECLINED,
	CV_REF_COMPLETED,
} cv_ref_state;

typedef enum cv_urgency { CV_URG_ROUTINE = 1, CV_URG_URGENT, CV_URG_EMERGENCY } cv_urgency;

typedef enum cv_category {
	CV_CAT_ACADEMIC = 1,
	CV_CAT_EMOTION,
	CV_CAT_RELATIONSHIPS,
	CV_CAT_FAMILY,
	CV_CAT_ADOLESCENCE,
	CV_CAT_BEHAVIOR,
	CV_CAT_SELF_HARM,
	CV_CAT_OTHER,
} cv_category;

typedef enum cv_tag {
	CV_TAG_SINGLE_PARENT = 1,
	CV_TAG_LEFT_BEHIND,
	CV_TAG_FAMILY_CHANGE,
	CV_TAG_OTHER,
} cv_tag;

typedef enum cv_party { CV_PARTY_STUDENT = 1, CV_PARTY_GUARDIAN } cv_party;
typedef enum cv_method { CV_METHOD_WRITTEN = 1, CV_METHOD_ORAL } cv_method;
typedef enum cv_gender { CV_GENDER_F = 1, CV_GENDER_M, CV_GENDER_X } cv_gender;
typedef enum cv_watch_state { CV_WATCH_ACTIVE = 1, CV_WATCH_ENDED } cv_watch_state;
typedef enum cv_crisis_state { CV_CRISIS_UNREVIEWED = 1, CV_CRISIS_REVIEWED } cv_crisis_state;
typedef enum cv_duty_state { CV_DUTY_OPEN = 1, CV_DUTY_CLOSED } cv_duty_state;

/* Consent scopes (R1), as bits: bit (i - 1) is word i of cv_scopes. */
enum {
	CV_SCOPE_INDIVIDUAL = 1,
	CV_SCOPE_GROUP = 2,
	CV_SCOPE_TESTING = 4,
	CV_SCOPE_GUARDIAN_CONTACT = 8,
	CV_SCOPE_REFERRAL = 16,
	CV_SCOPE_ALL = 31,
};

/* Reason codes the log itself depends on (verification reads them): the
 * failed logins and role refusals that stand outside signed segments.
 * Every other code is written where it is raised (cv_fail). */
#define CV_CODE_AUTH_UNKNOWN "auth.unknown-user"
#define CV_CODE_AUTH_MALFORMED "auth.record-malformed"
#define CV_CODE_AUTH_UNVERIFIED "auth.record-unverified"
#define CV_CODE_AUTH_DISABLED "auth.disabled"
#define CV_CODE_AUTH_PASSPHRASE "auth.wrong-passphrase"
#define CV_CODE_AUTH_KEYS "auth.keys-mismatch"
#define CV_CODE_AUTH_VKEY "auth.vault-key"
#define CV_CODE_POLICY_ROLE "policy.role"
/* A login refused because the account awaits its enrolment. */
#define CV_CODE_AUTH_PENDING "auth.pending"
/* Failed enrolments (unsigned user.enrol rows, docs/FORMAT.md §7.5): the
 * code is mistyped, is not this account's, has expired; the account has
 * no enrolment pending; or the enrolment failed otherwise. */
#define CV_CODE_ENROL_MISTYPED "enrol.mistyped"
#define CV_CODE_ENROL_CODE "enrol.code"
#define CV_CODE_ENROL_EXPIRED "enrol.expired"
#define CV_CODE_ENROL_NOT_PENDING "enrol.not-pending"
#define CV_CODE_ENROL_FAILED "enrol.failed"

/* Shorthands for the common tables. */
#define cv_action_name(a) cv_word(&cv_actions, (int)(a))
#define cv_outcome_name(o) cv_word(&cv_outcomes, (int)(o))
#define cv_rec_type_name(t) cv_word(&cv_rec_types, (int)(t))
#define cv_case_state_name(s) cv_word(&cv_case_states, (int)(s))
#define cv_user_state_name(s) cv_word(&cv_user_states, (int)(s))
#define cv_note_state_name(s) cv_word(&cv_note_states, (int)(s))

/* The outcome of a status: ok, denied (CV_EDENIED) or failed. */
cv_outcome cv_outcome_of(cv_status st);

#endif

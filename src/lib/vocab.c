/*
 * vocab.c - ground layer: the string tables of the vault's fixed words
 * (see vocab.h).  The spellings are stored in the vault and in the log.
 */
#include <stdio.h>
#include <string.h>

#include "vocab.h"
#include "banned.h"

/* words[0] is NULL (no value 0) and a NULL ends the list, so that
 * words + 1 is a NULL-terminated list of the words. */
#define VOCAB(name, ...)                                                                           \
	static const char *const name##_words[] = {NULL, __VA_ARGS__, NULL};                       \
	const cv_vocab name = {name##_words, ARRAY_SIZE(name##_words) - 1}

VOCAB(cv_roles, "counselor", "supervisor", "admin");
VOCAB(cv_outcomes, "ok", "denied", "failed");
VOCAB(cv_rec_types, "consent", "note", "test", "referral", "followup", "watch", "crisis");
VOCAB(cv_case_states, "open", "closed", "shredded");
VOCAB(cv_user_states, "active", "disabled", "pending");
VOCAB(cv_note_kinds, "session", "analysis", "outcome", "contact", "addendum");
VOCAB(cv_note_states, "draft", "final");
VOCAB(cv_ref_states, "referred", "contacted", "accepted", "declined", "completed");
VOCAB(cv_urgencies, "routine", "urgent", "emergency");
VOCAB(cv_categories, "academic", "emotion", "relationships", "family", "adolescence", "behavior",
      "self-harm-risk", "other");
VOCAB(cv_destinations, "mental-health", "hospital", "counseling", "social-services", "other");
VOCAB(cv_tags, "single-parent", "left-behind", "family-change", "other");
VOCAB(cv_parties, "student", "guardian");
VOCAB(cv_methods, "written", "oral");
VOCAB(cv_genders, "F", "M", "X");
VOCAB(cv_scopes, "individual", "group", "testing", "guardian-contact", "referral-disclosure");
VOCAB(cv_watch_states, "active", "ended");
VOCAB(cv_crisis_states, "unreviewed", "reviewed");
VOCAB(cv_duty_states, "open", "closed");
VOCAB(cv_seasons, "autumn", "spring");

/* In cv_action order (casevault.h). */
VOCAB(cv_actions, "vault.init", "login", "checkpoint", "crisis", "case.read", "user.add",
      "user.list", "user.passwd", "user.disable", "user.reset", "config.set", "config.get",
      "case.open", "case.list", "case.find", "case.show", "case.close", "case.reopen", "case.share",
      "case.handover", "case.shred", "consent.record", "consent.withdraw", "note.add", "note.edit",
      "note.finalize", "note.amend", "note.show", "test.add", "referral.add", "referral.update",
      "referral.list", "watch.add", "watch.list", "watch.done", "audit.log", "audit.verify",
      "audit.checkpoint", "vkey.share", "vault.keys", "user.enrol", "user.rotate", "stats.export",
      "audit.review", "audit.alerts", "duty.start", "duty.end", "duty.add", "duty.list",
      "duty.hours", "due", "report.compliance");

const char *cv_word(const cv_vocab *v, int i)
{
	if (!v || i <= 0 || (size_t)i >= v->n)
		return "?";
	return v->words[i];
}

int cv_word_parse(const cv_vocab *v, const char *s)
{
	if (!v || !s)
		return 0;
	for (size_t i = 1; i < v->n; i++)
		if (strcmp(v->words[i], s) == 0)
			return (int)i;
	return 0;
}

void cv_word_choices(const cv_vocab *v, char *out, size_t cap)
{
	size_t o = 0;

	if (!cap)
		return;
	out[0] = '\0';
	for (size_t i = 1; i < v->n; i++) {
		const char *sep = i == 1 ? "" : i + 1 == v->n ? " or " : ", ";
		int n = snprintf(out + o, cap - o, "%s%s", sep, v->words[i]);

		if (n < 0 || (size_t)n >= cap - o)
			return;
		o += (size_t)n;
	}
}

cv_outcome cv_outcome_of(cv_status st)
{
	if (st == CV_OK)
		return CV_OUT_OK;
	return st == CV_EDENIED ? CV_OUT_DENIED : CV_OUT_FAILED;
}

const char *cv_role_name(cv_role role)
{
	return cv_word(&cv_roles, (int)role);
}

cv_role cv_role_parse(const char *s)
{
	return (cv_role)cv_word_parse(&cv_roles, s);
}

/* The words a user gives: a vocabulary from `from`, without the values
 * only the vault writes (the addendum kind, the referred status). */
static const char *const *tail(const cv_vocab *v, int from, size_t *n)
{
	if (n)
		*n = v->n - (size_t)from;
	return v->words + from;
}

const char *const *cv_words(cv_wordset set, size_t *n)
{
	/* session..contact, then NULL */
	static const char *kinds[CV_KIND_CONTACT - CV_KIND_SESSION + 2];
	size_t k = 0;

	switch (set) {
	case CV_WORDS_NOTE_KIND:
		for (int i = CV_KIND_SESSION; i <= CV_KIND_CONTACT; i++)
			kinds[k++] = cv_word(&cv_note_kinds, i);
		kinds[k] = NULL;
		if (n)
			*n = k;
		return kinds;
	case CV_WORDS_PARTY:
		return tail(&cv_parties, 1, n);
	case CV_WORDS_METHOD:
		return tail(&cv_methods, 1, n);
	case CV_WORDS_SCOPE:
		return tail(&cv_scopes, 1, n);
	case CV_WORDS_URGENCY:
		return tail(&cv_urgencies, 1, n);
	case CV_WORDS_FOLLOWUP:
		return tail(&cv_ref_states, CV_REF_CONTACTED, n);
	case CV_WORDS_CATEGORY:
		return tail(&cv_categories, 1, n);
	case CV_WORDS_TAG:
		return tail(&cv_tags, 1, n);
	case CV_WORDS_GENDER:
		return tail(&cv_genders, 1, n);
	case CV_WORDS_DESTINATION:
		return tail(&cv_destinations, 1, n);
	case CV_WORDS_ROLE:
		return tail(&cv_roles, 1, n);
	case CV_WORDS_OUTCOME:
		return tail(&cv_outcomes, 1, n);
	case CV_WORDS_ACTION:
		return tail(&cv_actions, 1, n);
	case CV_WORDS_SEASON:
		return tail(&cv_seasons, 1, n);
	}
	if (n)
		*n = 0;
	return tail(&cv_genders, (int)cv_genders.n, NULL); /* its ending NULL: no words */
}

/*
 * vocab.c - ground layer: the string tables of the vault's fixed words
 * (see vocab.h).  The spellings are stored in the vault and in the log.
 */
#include <stdio.h>
#include <string.h>

#include "vocab.h"
#include "banned.h"

#define VOCAB(name, ...)                                                                   \
	static const char *const name##_words[] = {NULL, __VA_ARGS__};                     \
	const cv_vocab name = {name##_words, ARRAY_SIZE(name##_words)}

VOCAB(cv_roles, "counselor", "supervisor", "admin");
VOCAB(cv_outcomes, "ok", "denied", "failed");
VOCAB(cv_rec_types, "consent", "note", "test", "referral", "followup", "watch", "crisis");
VOCAB(cv_case_states, "open", "closed", "shredded");
VOCAB(cv_user_states, "active", "disabled");
VOCAB(cv_note_kinds, "session", "analysis", "outcome", "contact", "addendum");
VOCAB(cv_note_states, "draft", "final");
VOCAB(cv_ref_states, "referred", "contacted", "accepted", "declined", "completed");
VOCAB(cv_urgencies, "routine", "urgent", "emergency");
VOCAB(cv_categories, "academic", "emotion", "relationships", "family", "adolescence", "behavior",
      "self-harm-risk", "other");
VOCAB(cv_tags, "single-parent", "left-behind", "family-change", "other");
VOCAB(cv_parties, "student", "guardian");
VOCAB(cv_methods, "written", "oral");
VOCAB(cv_genders, "F", "M", "X");
VOCAB(cv_scopes, "individual", "group", "testing", "guardian-contact", "referral-disclosure");
VOCAB(cv_watch_states, "active", "ended");
VOCAB(cv_crisis_states, "unreviewed", "reviewed");

/* In cv_action order (casevault.h). */
VOCAB(cv_actions, "vault.init", "login", "checkpoint", "crisis", "case.read", "user.add",
      "user.list", "user.passwd", "user.disable", "user.reset", "config.set", "config.get",
      "case.open", "case.list", "case.find", "case.show", "case.close", "case.reopen",
      "case.share", "case.handover", "case.shred", "consent.record", "consent.withdraw",
      "note.add", "note.edit", "note.finalize", "note.amend", "note.show", "test.add",
      "referral.add", "referral.update", "referral.list", "watch.add", "watch.list",
      "watch.done", "audit.log", "audit.verify", "audit.checkpoint");

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

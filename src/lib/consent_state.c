/*
 * consent_state.c - policy layer, pure functions: consent scopes, the fold
 * of consent events into the consent in force, and the R1/R2 checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent_state.h"
#include "err.h"
#include "text.h"
#include "banned.h"

#define CRISIS_MAX_BYTES 1000
/* The least a justification says, in characters (Unicode code points)
 * other than blanks: characters, not words, so that a sentence in a
 * language written without spaces counts as well as one with them. */
#define CRISIS_MIN_CHARS 8
#define CODE_CRISIS "crisis.justification"
#define CODE_CONSENT_MISSING "consent.missing"

/* The messages below list the words of cv_scopes as cv_word_choices puts
 * them (test_consent holds the two together): a template is fixed text,
 * and the list is longer than an argument may be.  Each template is
 * written out whole, as the message catalog finds it (a string pasted
 * from a macro is not seen by xgettext, and its translation not found). */

static const char *const scope_prose[] = {NULL,
					  "individual counseling",
					  "group counseling",
					  "psychological testing",
					  "contact with guardians",
					  "disclosure to a referral institution"};

cv_status cv_scope_parse(const char *list, unsigned *bits, cv_err *err)
{
	const char *p = list;

	*bits = 0;
	if (!list || !*list)
		return cv_fail(err, CV_EUSAGE, "consent.scope-missing",
			       "no consent scope given; use one or more of individual, group, "
			       "testing, guardian-contact or referral-disclosure");
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int found = 0;

		for (size_t i = 1; i < cv_scopes.n; i++) {
			if (strlen(cv_scopes.words[i]) == n &&
			    strncmp(p, cv_scopes.words[i], n) == 0) {
				*bits |= 1u << (i - 1);
				found = 1;
			}
		}
		if (!found) {
			char word[CV_ERR_ARG_MAX];

			snprintf(word, sizeof(word), "%.*s",
				 (int)(n < sizeof(word) ? n : sizeof(word) - 1), p);
			/* An empty argument would render as '?': an empty word
			 * ("a,,b") is shown as what it is. */
			return cv_fail(
			    err, CV_EUSAGE, "consent.scope-unknown",
			    n ? CV_TMPL("unknown consent scope '{1}'; use individual, "
					"group, testing, guardian-contact or "
					"referral-disclosure")
			      : CV_TMPL("unknown consent scope ''; use individual, group, "
					"testing, guardian-contact or referral-disclosure"),
			    word);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return CV_OK;
}

void cv_scope_format(unsigned bits, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 1; i < cv_scopes.n; i++) {
		if (bits & (1u << (i - 1))) {
			int n =
			    snprintf(out + o, cap - o, "%s%s", o ? "," : "", cv_scopes.words[i]);
			if (n < 0 || (size_t)n >= cap - o)
				return;
			o += (size_t)n;
		}
	}
}

unsigned cv_scope_json(json_t *array)
{
	unsigned bits = 0;
	size_t i;
	json_t *w;

	json_array_foreach(array, i, w)
	{
		int k = cv_word_parse(&cv_scopes, json_string_value(w));

		if (k)
			bits |= 1u << (k - 1);
	}
	return bits;
}

json_t *cv_scope_array(unsigned bits)
{
	json_t *a = json_array();

	for (size_t i = 1; a && i < cv_scopes.n; i++)
		if ((bits & (1u << (i - 1))) &&
		    json_array_append_new(a, json_string(cv_scopes.words[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int scope_index(unsigned bit)
{
	for (size_t i = 1; i < cv_scopes.n; i++)
		if (bit & (1u << (i - 1)))
			return (int)i;
	return CV_SCOPE_INDIVIDUAL;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

cv_status cv_consent_fold(cv_consent_state *cs, const cv_record *r, json_t *body, cv_err *err)
{
	int type = cv_word_parse(&cv_rec_types, r->type);
	unsigned bits;
	int by;

	if (type == CV_REC_NOTE) {
		char(*p)[CV_ID_MAX] = realloc(cs->notes, (cs->nnotes + 1) * sizeof(*p));

		if (!p)
			return cv_err_set(err, CV_ERROR, "out of memory");
		cs->notes = p;
		snprintf(p[cs->nnotes++], CV_ID_MAX, "%s", r->id);
		return CV_OK;
	}
	if (type != CV_REC_CONSENT)
		return CV_OK;
	bits = cv_scope_json(json_object_get(body, "scopes"));
	by = cv_word_parse(&cv_parties, jstr(body, "by"));
	if (strcmp(jstr(body, "action"), "record") == 0) {
		if (by == CV_PARTY_STUDENT)
			cs->student_scopes |= bits;
		else if (by == CV_PARTY_GUARDIAN)
			cs->guardian_scopes |= bits;
	} else {
		if (by != CV_PARTY_GUARDIAN)
			cs->student_scopes &= ~bits;
		if (by != CV_PARTY_STUDENT)
			cs->guardian_scopes &= ~bits;
		cs->withdrawn = 1;
		cs->nnotes_withdrawn = cs->nnotes;
		snprintf(cs->withdrawn_on, sizeof(cs->withdrawn_on), "%s", jstr(body, "date"));
		snprintf(cs->withdrawn_at, sizeof(cs->withdrawn_at), "%s", r->created_at);
	}
	cs->events++;
	return CV_OK;
}

int cv_consent_before_withdrawal(const cv_consent_state *cs, const char *id)
{
	for (size_t i = 0; i < cs->nnotes_withdrawn; i++)
		if (strcmp(cs->notes[i], id) == 0)
			return 1;
	return 0;
}

void cv_consent_state_free(cv_consent_state *cs)
{
	if (!cs)
		return;
	free(cs->notes);
	cs->notes = NULL;
	cs->nnotes = cs->nnotes_withdrawn = 0;
}

/* The R1 refusal, by [withdrawn][the student's consent is missing, a
 * minor's guardian's, or both]; the date of a consent recorded today need
 * not be given. */
static const char *const missing_tmpl[2][3] = {
    {CV_TMPL("case '{1}' has no recorded consent from the student for {3}; record it with "
	     "'casevault consent record {1} --by student --method written|oral --scope {2}', "
	     "or act under --crisis \"justification\" if there is a risk of harm"),
     CV_TMPL("case '{1}' has no recorded consent from the guardian (the student is a minor) for "
	     "{3}; record it with 'casevault consent record {1} --by guardian --method "
	     "written|oral --scope {2}', or act under --crisis \"justification\" if there is a "
	     "risk of harm"),
     CV_TMPL("case '{1}' has no recorded consent from the student or the guardian (the student "
	     "is a minor) for {3}; record both with 'casevault consent record {1} --by "
	     "student,guardian --method written|oral --scope {2}', or act under --crisis "
	     "\"justification\" if there is a risk of harm")},
    {CV_TMPL("case '{1}' has no current (withdrawn) consent from the student for {3}; record it "
	     "with 'casevault consent record {1} --by student --method written|oral --scope "
	     "{2}', or act under --crisis \"justification\" if there is a risk of harm"),
     CV_TMPL("case '{1}' has no current (withdrawn) consent from the guardian (the student is a "
	     "minor) for {3}; record it with 'casevault consent record {1} --by guardian "
	     "--method written|oral --scope {2}', or act under --crisis \"justification\" if "
	     "there is a risk of harm"),
     CV_TMPL("case '{1}' has no current (withdrawn) consent from the student or the guardian "
	     "(the student is a minor) for {3}; record both with 'casevault consent record {1} "
	     "--by student,guardian --method written|oral --scope {2}', or act under --crisis "
	     "\"justification\" if there is a risk of harm")},
};

cv_status cv_consent_check(const cv_consent_state *cs, int minor, unsigned scope,
			   const char *case_id, cv_err *err)
{
	unsigned missing_student = scope & ~cs->student_scopes;
	unsigned missing_guardian = minor ? scope & ~cs->guardian_scopes : 0;
	int k = scope_index(missing_student ? missing_student : missing_guardian);
	/* The fourth argument, for the log: whose consent is missing, and
	 * whether a withdrawal took it away. */
	static const char *const whose[2][2] = {{"student", "guardian"},
						{"student-withdrawn", "guardian-withdrawn"}};
	int both;

	if (!missing_student && !missing_guardian)
		return CV_OK;
	/* both: the student's and the guardian's, for the scope named */
	both = missing_student && (missing_guardian & (1u << (k - 1)));
	return cv_fail(err, CV_EDENIED, CODE_CONSENT_MISSING,
		       missing_tmpl[cs->withdrawn ? 1 : 0][both ? 2 : !missing_student], case_id,
		       cv_scopes.words[k], scope_prose[k],
		       whose[cs->withdrawn ? 1 : 0][missing_student ? 0 : 1]);
}

cv_status cv_crisis_check(const char *crisis, cv_err *err)
{
	cv_err why = {0};
	char a[24], b[24];
	size_t chars = 0;

	/* The field's own message goes in as an argument (cut to
	 * CV_ERR_ARG_MAX - 1 bytes, like any argument). */
	if (cv_field_check("the justification", crisis, CRISIS_MAX_BYTES, &why) != CV_OK)
		return cv_fail(err, CV_EUSAGE, CODE_CRISIS,
			       "--crisis needs a justification: say what risk of harm makes "
			       "acting without consent necessary ({1})",
			       why.msg);
	/* Count code points that are not blanks (space, tab, U+3000
	 * ideographic space); the field check made sure it is UTF-8. */
	for (const unsigned char *p = (const unsigned char *)crisis; *p; p++) {
		if ((*p & 0xC0) == 0x80 || *p == ' ' || *p == '\t')
			continue;
		if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
			p += 2;
			continue;
		}
		chars++;
	}
	if (chars < CRISIS_MIN_CHARS)
		return cv_fail(err, CV_EUSAGE, CODE_CRISIS,
			       "--crisis needs a justification of at least {1} characters, not "
			       "counting spaces (it has {2}): say what risk of harm makes acting "
			       "without consent necessary",
			       cv_num(a, CRISIS_MIN_CHARS), cv_num(b, (long long)chars));
	return CV_OK;
}

unsigned cv_note_kind_scope(const char *kind)
{
	return cv_word_parse(&cv_note_kinds, kind) == CV_KIND_CONTACT ? CV_SCOPE_GUARDIAN_CONTACT
								      : CV_SCOPE_INDIVIDUAL;
}

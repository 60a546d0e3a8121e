/*
 * consent.c - commands: informed, voluntary consent (R1): recording and withdrawing
 * it.  Consent is kept as encrypted events on the case; the state in force
 * is their fold (consent_state.c), checked by cv_access_enter for every
 * operation.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "consent.h"
#include "localday.h"
#include "crypt.h"
#include "err.h"
#include "text.h"
#include "user.h"
#include "banned.h"

static cv_status scope_array(unsigned bits, json_t **out, cv_err *err)
{
	*out = cv_scope_array(bits);
	return *out ? CV_OK : cv_err_set(err, CV_ERROR, "out of memory");
}

/* Recording and withdrawing refuse the same parties. */
static cv_status bad_party(cv_err *err)
{
	return cv_fail(err, CV_EUSAGE, "consent.party-invalid", "--by must be student or guardian");
}

static cv_status put_event(cv_session *s, struct cv_case *c, json_t *o, cv_err *err)
{
	char now[CV_TIME_LEN];
	cv_record r = {0};
	cv_status st;

	cv_time_now(now);
	st = cv_new_id(s->v, 'K', 6, r.id, err);
	if (st != CV_OK)
		return st;
	snprintf(r.case_id, sizeof(r.case_id), "%s", c->rec.id);
	snprintf(r.type, sizeof(r.type), "consent");
	snprintf(r.kind, sizeof(r.kind), "%s", json_string_value(json_object_get(o, "action")));
	r.version = 1;
	r.author_id = s->me.id;
	snprintf(r.created_at, sizeof(r.created_at), "%s", now);
	snprintf(r.updated_at, sizeof(r.updated_at), "%s", now);
	return cv_record_put(s, c, &r, o, NULL, 0, 1, err);
}

/* The parties `by` names: student, guardian, or both as a list
 * ("student,guardian", either order); 0 when it names none of these. */
static unsigned parse_parties(const char *by)
{
	if (!by)
		return 0;
	if (strcmp(by, "student,guardian") == 0 || strcmp(by, "guardian,student") == 0)
		return 3;
	switch (cv_word_parse(&cv_parties, by)) {
	case CV_PARTY_STUDENT:
		return 1;
	case CV_PARTY_GUARDIAN:
		return 2;
	default:
		return 0;
	}
}

/* The date consent was given or withdrawn: a date, not after today, not
 * before the student was born (when the case says when). */
static cv_status consent_date(struct cv_case *c, const char *date, const char *today, cv_err *err)
{
	json_t *b = json_object_get(c->data, "born");
	const char *born = json_is_string(b) ? json_string_value(b) : "";

	if (cv_date_check("--date", date, err) != CV_OK)
		return err->status;
	if (strcmp(date, today) > 0)
		return cv_fail(err, CV_EUSAGE, "consent.date-future",
			       "--date {1} is in the future (today is {2}); give the day the "
			       "consent was given or withdrawn",
			       date, today);
	if (born[0] && strcmp(date, born) < 0)
		return cv_fail(err, CV_EUSAGE, "consent.date-before-birth",
			       "--date {1} is before the student was born ({2}); give the day the "
			       "consent was given or withdrawn",
			       date, born);
	return CV_OK;
}

cv_status cv_consent_record_in(cv_session *s, struct cv_case *c, const cv_consent_input *in,
			       cv_err *err)
{
	static const char *const party[2] = {"student", "guardian"};
	char object[CV_ID_MAX + 8], detail[160], scopes[96], today[11];
	const char *verifier = in->verified_by ? in->verified_by : s->me.name;
	const char *date = in->date;
	unsigned parties = parse_parties(in->by);
	cv_user_rec u;
	unsigned bits = 0;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", c->rec.id);
	st = cv_local_today(s->v, today, err);
	if (st != CV_OK)
		return st;
	if (!date)
		date = today;
	if (!parties)
		st = cv_fail(err, CV_EUSAGE, "consent.party-invalid",
			     "--by must be student or guardian (or student,guardian for both)");
	else if (!cv_word_parse(&cv_methods, in->method))
		st = cv_fail(err, CV_EUSAGE, "consent.method-invalid",
			     "--method must be written or oral");
	else
		st = consent_date(c, date, today, err);
	if (st == CV_OK)
		st = cv_scope_parse(in->scopes, &bits, err);
	if (st == CV_OK) {
		st = cv_store_user_by_name(s->v->st, verifier, &u, err);
		if (st == CV_ENOTFOUND)
			st = cv_fail(err, CV_ENOTFOUND, "consent.verifier-unknown",
				     "--verified-by names no user '{1}'; give the name of the "
				     "colleague who verified the consent",
				     verifier);
	}
	cv_scope_format(bits, scopes, sizeof(scopes));
	/* One record, and one row, per party: the student's first. */
	for (unsigned k = 0; k < 2 && st == CV_OK; k++) {
		json_t *o = NULL, *arr = NULL;

		if (!(parties & (1u << k)))
			continue;
		st = scope_array(bits, &arr, err);
		if (st == CV_OK) {
			o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "action", "record", "by",
				      party[k], "method", in->method, "date", date, "scopes", arr,
				      "verified_by", verifier);
			arr = NULL;
			st = o ? put_event(s, c, o, err)
			       : cv_err_set(err, CV_ERROR, "out of memory");
		}
		json_decref(arr);
		json_decref(o);
		snprintf(detail, sizeof(detail), "by=%s scope=%s", party[k], scopes);
		if (st == CV_OK)
			st = cv_op_log(s, CV_ACT_CONSENT_RECORD, object, CV_OUT_OK, detail, err);
	}
	return st;
}

cv_status cv_consent_record(cv_session *s, const char *case_id, const cv_consent_input *in,
			    cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], today[11];
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", case_id);
	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	st = cv_access_enter(s, case_id, CV_ACT_CONSENT_RECORD, CV_NEED_CONTENT | CV_NEED_OPEN, 0,
			     NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	st = cv_consent_record_in(s, c, in, err);
	/* No crisis stands in for consent being recorded: its rows are all. */
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CONSENT_RECORD, object, err);
	cv_case_free(c);
	return st;
}

cv_status cv_consent_withdraw(cv_session *s, const char *case_id, const char *by,
			      const char *scopes, const char *date, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], detail[160], words[96], today[11];
	json_t *o = NULL, *arr = NULL;
	unsigned bits = CV_SCOPE_ALL;
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", case_id);
	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	/* Withdrawal is honoured on a closed case too: it marks the records. */
	st = cv_access_enter(s, case_id, CV_ACT_CONSENT_WITHDRAW, CV_NEED_CONTENT, 0, NULL, NULL,
			     &c, err);
	if (st != CV_OK)
		return st;
	/* Both parties named as a list is the same as naming none. */
	if (parse_parties(by) == 3)
		by = NULL;
	if (by && !cv_word_parse(&cv_parties, by))
		st = bad_party(err);
	if (st == CV_OK && scopes)
		st = cv_scope_parse(scopes, &bits, err);
	/* A withdrawal dated ahead would leave consent in force until then:
	 * the same rules as the date it was given. */
	if (st == CV_OK && date)
		st = consent_date(c, date, today, err);
	if (st == CV_OK && !c->consent.events)
		st = cv_fail(err, CV_EUSAGE, "consent.nothing-to-withdraw",
			     "case '{1}' has no consent to withdraw", case_id);
	if (st == CV_OK)
		st = scope_array(bits, &arr, err);
	if (st == CV_OK) {
		o = json_pack("{s:s, s:s, s:s, s:o}", "action", "withdraw", "by", by ? by : "both",
			      "date", date ? date : today, "scopes", arr);
		arr = NULL;
		st = o ? put_event(s, c, o, err) : cv_err_set(err, CV_ERROR, "out of memory");
	}
	json_decref(arr);
	json_decref(o);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CONSENT_WITHDRAW, object, err);
	cv_scope_format(bits, words, sizeof(words));
	snprintf(detail, sizeof(detail), "by=%s scope=%s", by ? by : "both", words);
	st = cv_access_leave(s, c, CV_ACT_CONSENT_WITHDRAW, object, detail, err);
	cv_case_free(c);
	return st;
}

/*
 * consent.c - commands: informed, voluntary consent (R1): recording and withdrawing
 * it.  Consent is kept as encrypted events on the case; the state in force
 * is their fold (consent_state.c), checked by cv_access_enter for every
 * operation.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
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

cv_status cv_consent_record(cv_session *s, const char *case_id, const cv_consent_input *in,
			    cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], detail[160], scopes[96];
	const char *verifier = in->verified_by ? in->verified_by : s->me.name;
	json_t *o = NULL, *arr = NULL;
	struct cv_case *c;
	cv_user_rec u;
	unsigned bits = 0;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", case_id);
	st = cv_access_enter(s, case_id, CV_ACT_CONSENT_RECORD, CV_NEED_CONTENT | CV_NEED_OPEN, 0,
			     NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	if (!cv_word_parse(&cv_parties, in->by))
		st = bad_party(err);
	else if (!cv_word_parse(&cv_methods, in->method))
		st = cv_fail(err, CV_EUSAGE, "consent.method-invalid",
			     "--method must be written or oral");
	else
		st = cv_date_check("--date", in->date, err);
	if (st == CV_OK)
		st = cv_scope_parse(in->scopes, &bits, err);
	if (st == CV_OK) {
		st = cv_store_user_by_name(s->v->st, verifier, &u, err);
		if (st == CV_ENOTFOUND)
			st = cv_fail(err, CV_EUSAGE, "consent.verifier-unknown",
				     "--verified-by names no user '{1}'; give the name of the "
				     "colleague who verified the consent",
				     verifier);
	}
	if (st == CV_OK)
		st = scope_array(bits, &arr, err);
	if (st == CV_OK) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "action", "record", "by", in->by,
			      "method", in->method, "date", in->date, "scopes", arr, "verified_by",
			      verifier);
		arr = NULL;
		st = o ? put_event(s, c, o, err) : cv_err_set(err, CV_ERROR, "out of memory");
	}
	json_decref(arr);
	json_decref(o);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CONSENT_RECORD, object, err);
	cv_scope_format(bits, scopes, sizeof(scopes));
	snprintf(detail, sizeof(detail), "by=%s scope=%s", in->by, scopes);
	st = cv_access_leave(s, c, CV_ACT_CONSENT_RECORD, object, detail, err);
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
	cv_today(today);
	/* Withdrawal is honoured on a closed case too: it marks the records. */
	st = cv_access_enter(s, case_id, CV_ACT_CONSENT_WITHDRAW, CV_NEED_CONTENT, 0, NULL, NULL,
			     &c, err);
	if (st != CV_OK)
		return st;
	if (by && !cv_word_parse(&cv_parties, by))
		st = bad_party(err);
	if (st == CV_OK && scopes)
		st = cv_scope_parse(scopes, &bits, err);
	if (st == CV_OK && date)
		st = cv_date_check("--date", date, err);
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

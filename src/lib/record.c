/*
 * record.c - commands: the other records on a case: psychological test results (R5),
 * referrals and their follow-ups (R6), and the key-student register (R8).
 * Their content is encrypted under the case key; only the dates that drive
 * the overdue lists (and a referral's status) are kept in clear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "localday.h"
#include "policy.h"
#include "record.h"
#include "settings.h"
#include "crypt.h"
#include "err.h"
#include "text.h"
#include "user.h"
#include "vocab.h"
#include "banned.h"

#define FIELD_MAX 200

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n && s; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

static void new_record(cv_session *s, struct cv_case *c, const char *type, cv_record *r)
{
	char now[CV_TIME_LEN];

	memset(r, 0, sizeof(*r));
	cv_time_now(now);
	snprintf(r->case_id, sizeof(r->case_id), "%s", c->rec.id);
	snprintf(r->type, sizeof(r->type), "%s", type);
	r->version = 1;
	r->author_id = s->me.id;
	snprintf(r->created_at, sizeof(r->created_at), "%s", now);
	snprintf(r->updated_at, sizeof(r->updated_at), "%s", now);
}

/* Stores o as a new record and logs `action`; frees c. */
static cv_status add_and_leave(cv_session *s, struct cv_case *c, cv_record *r, json_t *o,
			       cv_action action, const char *detail, char id[CV_CASE_ID_MAX],
			       cv_err *err)
{
	char object[CV_ID_MAX + 16];
	cv_status st;

	snprintf(object, sizeof(object), "case:%s", c->rec.id);
	st = o ? cv_record_put(s, c, r, o, NULL, 0, 1, err)
	       : cv_err_set(err, CV_ERROR, "out of memory");
	json_decref(o);
	if (st != CV_OK)
		return cv_access_abort(s, c, action, object, err);
	snprintf(object, sizeof(object), "%s:%s", r->type, r->id);
	st = cv_access_leave(s, c, action, object, detail, err);
	cv_case_free(c);
	if (st == CV_OK && id)
		snprintf(id, CV_CASE_ID_MAX, "%s", r->id);
	return st;
}

/* ---- test results (R5) --------------------------------------------------- */

cv_status cv_test_add(cv_session *s, const char *case_id, const char *scale, const char *score,
		      const char *notes, const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err)
{
	CV_ERR_GUARD(err);
	struct cv_case *c;
	cv_record r;
	cv_status st;

	id[0] = '\0';
	if (cv_field_check("scale", scale, FIELD_MAX, err) ||
	    cv_field_check("score", score, 64, err) ||
	    (notes && cv_field_check("notes", notes, 2000, err)))
		return err->status;
	st = cv_access_enter(s, case_id, CV_ACT_TEST_ADD, CV_NEED_CONTENT | CV_NEED_OPEN,
			     CV_SCOPE_TESTING, crisis, NULL, &c, err);
	if (st != CV_OK)
		return st;
	new_record(s, c, "test", &r);
	st = cv_new_id(s->v, 'T', 6, r.id, err);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_TEST_ADD, "test:new", err);
	return add_and_leave(s, c, &r,
			     json_pack("{s:s, s:s, s:s, s:b}", "scale", scale, "score", score,
				       "notes", notes ? notes : "", "crisis", c->crisis != NULL),
			     CV_ACT_TEST_ADD, "", id, err);
}

/* ---- referrals (R6) -------------------------------------------------------- */

static const char *const urgencies[] = {"routine", "urgent", "emergency"};
static const char *const reasons[] = {"academic",    "emotion",	 "relationships",  "family",
				      "adolescence", "behavior", "self-harm-risk", "other"};
static const char *const statuses[] = {"contacted", "accepted", "declined", "completed"};

static cv_status referral_days(cv_vault *v, int *days, cv_err *err)
{
	long d = 0;
	cv_status st = cv_setting_int(v, CV_SET_REFERRAL_DAYS, &d, err);

	*days = (int)d;
	return st;
}

/* A date typed after today would keep a follow-up out of the overdue
 * lists until then (a typo hides it): each is refused past the vault's
 * local today. */
static cv_status referral_not_future(const char *date, const char *today, cv_err *err)
{
	if (strcmp(date, today) <= 0)
		return CV_OK;
	return cv_fail(err, CV_EUSAGE, "referral.date-future",
		       "--date {1} is in the future (today is {2}); give the day the referral "
		       "or its follow-up was made",
		       date, today);
}

cv_status cv_referral_add(cv_session *s, const char *case_id, const cv_referral_input *in,
			  const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err)
{
	CV_ERR_GUARD(err);
	char today[11], detail[96], object[CV_ID_MAX + 8];
	struct cv_case *c;
	cv_record r;
	cv_status st;
	int days = 0;

	id[0] = '\0';
	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	if (cv_field_check("institution", in->to, FIELD_MAX, err) ||
	    cv_field_check("disclosed", in->disclosed, 2000, err))
		return err->status;
	if (!one_of(in->reason, reasons, 8))
		return cv_fail(err, CV_EUSAGE, "referral.reason",
			       "unknown reason '{1}'; use academic, emotion, relationships, "
			       "family, adolescence, behavior, self-harm-risk or other",
			       in->reason ? in->reason : "");
	if (!one_of(in->urgency, urgencies, 3))
		return cv_fail(err, CV_EUSAGE, "referral.urgency",
			       "--urgency must be routine, urgent or emergency");
	if (!cv_word_parse(&cv_destinations, in->to_type))
		return cv_fail(err, CV_EUSAGE, "referral.to-type",
			       "unknown kind of institution '{1}'; use mental-health, hospital, "
			       "counseling, social-services or other",
			       in->to_type ? in->to_type : "");
	if (in->date && cv_date_check("--date", in->date, err) != CV_OK)
		return err->status;
	st = cv_access_enter(s, case_id, CV_ACT_REFERRAL_ADD, CV_NEED_CONTENT | CV_NEED_OPEN,
			     CV_SCOPE_REFERRAL, crisis, NULL, &c, err);
	if (st != CV_OK)
		return st;
	if (in->date && referral_not_future(in->date, today, err) != CV_OK) {
		cv_object_name(object, sizeof(object), "case", c->rec.id);
		return cv_access_abort(s, c, CV_ACT_REFERRAL_ADD, object, err);
	}
	new_record(s, c, "referral", &r);
	st = cv_new_id(s->v, 'R', 6, r.id, err);
	if (st == CV_OK)
		st = referral_days(s->v, &days, err);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_REFERRAL_ADD, "referral:new", err);
	snprintf(r.status, sizeof(r.status), "referred");
	cv_date_add_days(in->date ? in->date : today, days, r.due);
	snprintf(detail, sizeof(detail), "%s", c->crisis ? "basis=crisis" : "");
	return add_and_leave(s, c, &r,
			     json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "date",
				       in->date ? in->date : today, "to", in->to, "to_type",
				       in->to_type, "reason", in->reason, "urgency", in->urgency,
				       "disclosed", in->disclosed, "basis",
				       c->crisis ? "crisis" : "consent"),
			     CV_ACT_REFERRAL_ADD, detail, id, err);
}

static unsigned referral_scope(const cv_record *r)
{
	(void)r;
	return CV_SCOPE_REFERRAL;
}

/* A follow-up's date: not after today, nor before the referral's own
 * date (in its encrypted body). */
static cv_status update_date(cv_session *s, struct cv_case *c, const cv_record *ref,
			     const char *date, const char *today, cv_err *err)
{
	json_t *o = NULL;
	cv_status st = referral_not_future(date, today, err);

	if (st == CV_OK)
		st = cv_record_open_json(s, c, ref, &o, err);
	if (st == CV_OK && strcmp(date, jstr(o, "date")) < 0)
		st = cv_fail(err, CV_EUSAGE, "referral.date-before-referral",
			     "--date {1} is before referral '{2}' was made ({3}); give the day "
			     "of the follow-up",
			     date, ref->id, jstr(o, "date"));
	json_decref(o);
	return st;
}

cv_status cv_referral_update(cv_session *s, const char *ref_id, const char *status,
			     const char *date, const char *note, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 16], today[11], detail[40];
	struct cv_case *c = NULL;
	cv_record ref, up;
	cv_status st;
	int days = 0;
	int final;

	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	cv_object_name(object, sizeof(object), "referral", ref_id);
	if (!one_of(status, statuses, 4))
		return cv_fail(err, CV_EUSAGE, "referral.status",
			       "--status must be contacted, accepted, declined or completed");
	if ((date && cv_date_check("--date", date, err)) ||
	    (note && cv_field_check("note", note, 2000, err)))
		return err->status;
	/* A status and date are archival follow-up on a referral already made;
	 * a note about it is new content and needs the disclosure consent. */
	st = cv_access_enter_record(s, ref_id, CV_REC_REFERRAL, CV_ACT_REFERRAL_UPDATE,
				    CV_NEED_CONTENT, note ? referral_scope : NULL, NULL, &ref, &c,
				    err);
	if (st != CV_OK)
		return st;
	if (date)
		st = update_date(s, c, &ref, date, today, err);
	if (st != CV_OK) {
		cv_record_clear(&ref);
		return cv_access_abort(s, c, CV_ACT_REFERRAL_UPDATE, object, err);
	}
	final = strcmp(status, "declined") == 0 || strcmp(status, "completed") == 0;
	new_record(s, c, "followup", &up);
	snprintf(up.parent, sizeof(up.parent), "%s", ref.id);
	snprintf(up.status, sizeof(up.status), "%s", status);
	st = cv_new_id(s->v, 'F', 6, up.id, err);
	if (st == CV_OK) {
		json_t *o =
		    json_pack("{s:s, s:s}", "date", date ? date : today, "note", note ? note : "");
		st = o ? cv_record_put(s, c, &up, o, NULL, 0, 1, err)
		       : cv_err_set(err, CV_ERROR, "out of memory");
		json_decref(o);
	}
	if (st == CV_OK) {
		/* The referral's clear status and next due date follow the update;
		 * its encrypted body is unchanged. */
		snprintf(ref.status, sizeof(ref.status), "%s", status);
		cv_time_now(ref.updated_at);
		if (final)
			ref.due[0] = '\0';
		else if ((st = referral_days(s->v, &days, err)) == CV_OK)
			cv_date_add_days(date ? date : today, days, ref.due);
		st = cv_access_record_update(s, c, &ref, err);
	}
	cv_record_clear(&ref);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_REFERRAL_UPDATE, object, err);
	snprintf(detail, sizeof(detail), "status=%s", status);
	st = cv_access_leave(s, c, CV_ACT_REFERRAL_UPDATE, object, detail, err);
	cv_case_free(c);
	return st;
}

int cv_referral_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		     int (*cb)(const cv_referral_info *n, void *arg), void *arg, cv_status *st,
		     cv_err *err)
{
	char updated[11] = "";
	cv_referral_info i;
	json_t *o = NULL;
	int stop;

	*st = cv_record_open_json(s, c, r, &o, err);
	if (*st != CV_OK)
		return 1;
	memcpy(updated, r->updated_at, 10);
	i = (cv_referral_info){r->id,
			       r->case_id,
			       jstr(o, "date"),
			       jstr(o, "to"),
			       jstr(o, "to_type"),
			       jstr(o, "reason"),
			       jstr(o, "urgency"),
			       jstr(o, "disclosed"),
			       r->status,
			       updated,
			       r->due,
			       r->due[0] && strcmp(r->due, as_of) < 0,
			       strcmp(jstr(o, "basis"), "crisis") == 0};
	stop = cb(&i, arg);
	json_decref(o);
	return stop;
}

/* ---- listing records across the counselor's cases ----------------------------- */

/* Collects the matching records first: decrypting needs other statements. */
typedef int (*emit_fn)(cv_session *, struct cv_case *, const cv_record *, const char *, void *,
		       void *, cv_status *, cv_err *);

static int emit_referral(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
			 void *cb, void *arg, cv_status *st, cv_err *err)
{
	return cv_referral_emit(s, c, r, as_of, (int (*)(const cv_referral_info *, void *))cb, arg,
				st, err);
}

static int emit_watch(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		      void *cb, void *arg, cv_status *st, cv_err *err)
{
	return cv_watch_emit(s, c, r, as_of, (int (*)(const cv_watch_info *, void *))cb, arg, st,
			     err);
}

struct cross {
	cv_rec_type type;
	int due_only;
	const char *as_of;
	emit_fn emit;
	void *cb, *arg;
	cv_err *err;
	cv_status st;
};

/* One decrypted case of a cross-case list: emits its records of the type. */
static int cross_case(cv_session *s, struct cv_case *c, void *arg)
{
	struct cross *x = arg;
	cv_rec_list l = {0};
	int stop = 0;

	l.due_before = x->due_only ? x->as_of : NULL;
	x->st = cv_access_collect(s, c, x->type, &l, x->err);
	for (size_t i = 0; i < l.n && x->st == CV_OK && !stop; i++)
		stop = x->emit(s, c, &l.v[i], x->as_of, x->cb, x->arg, &x->st, x->err);
	cv_rec_list_free(&l);
	return stop || x->st != CV_OK;
}

/* Lists records of `type` on the counselor's cases: every case it
 * decrypts is logged before its records are shown. */
static cv_status cross_list(cv_session *s, cv_rec_type type, cv_action action, int due_only,
			    const char *as_of, emit_fn emit, void *cb, void *arg, cv_err *err)
{
	struct cross x = {type, due_only, NULL, emit, cb, arg, err, CV_OK};
	cv_id_list ids = {0};
	char today[11];
	cv_status st;

	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	if (as_of && cv_date_check("--as-of", as_of, err) != CV_OK)
		return err->status;
	x.as_of = as_of ? as_of : today;
	st = cv_policy_check(s, action, cv_rec_type_name(type), err);
	if (st == CV_OK)
		st = cv_access_with_records(s, type, &ids, err);
	if (st == CV_OK)
		st = cv_access_each(s, &ids, action, cross_case, &x, err);
	if (st == CV_OK)
		st = x.st;
	cv_id_list_free(&ids);
	return st;
}

cv_status cv_referral_list(cv_session *s, int overdue_only, const char *as_of,
			   int (*cb)(const cv_referral_info *r, void *arg), void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	return cross_list(s, CV_REC_REFERRAL, CV_ACT_REFERRAL_LIST, overdue_only, as_of,
			  emit_referral, (void *)cb, arg, err);
}

/* ---- key-student register (R8) ---------------------------------------------- */

static const char *const tags[] = {"single-parent", "left-behind", "family-change", "other"};

cv_status cv_watch_add(cv_session *s, const char *case_id, const char *tag, unsigned every_days,
		       cv_err *err)
{
	CV_ERR_GUARD(err);
	char today[11], detail[32];
	struct cv_case *c;
	cv_record r;
	cv_status st;

	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	if (!one_of(tag, tags, 4))
		return cv_fail(err, CV_EUSAGE, "watch.tag",
			       "unknown tag '{1}'; use single-parent, left-behind, "
			       "family-change or other",
			       tag ? tag : "");
	if (every_days < CV_EVERY_MIN || every_days > CV_EVERY_MAX)
		return cv_fail(err, CV_EUSAGE, "watch.interval",
			       "the follow-up interval must be 1 to 366 days (e.g. --every 14d)");
	st = cv_access_enter(s, case_id, CV_ACT_WATCH_ADD, CV_NEED_CONTENT | CV_NEED_OPEN, 0, NULL,
			     NULL, &c, err);
	if (st != CV_OK)
		return st;
	new_record(s, c, "watch", &r);
	st = cv_new_id(s->v, 'W', 6, r.id, err);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_WATCH_ADD, "watch:new", err);
	snprintf(r.status, sizeof(r.status), "active");
	cv_date_add_days(today, (int)every_days, r.due);
	snprintf(detail, sizeof(detail), "every=%u", every_days);
	/* The tag is content (R8): it lives only in the encrypted body. */
	return add_and_leave(s, c, &r,
			     json_pack("{s:s, s:i, s:s}", "tag", tag, "every_days", (int)every_days,
				       "last_done", ""),
			     CV_ACT_WATCH_ADD, detail, NULL, err);
}

int cv_watch_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		  int (*cb)(const cv_watch_info *w, void *arg), void *arg, cv_status *st,
		  cv_err *err)
{
	cv_watch_info w;
	json_t *o = NULL;
	int stop;

	*st = cv_record_open_json(s, c, r, &o, err);
	if (*st != CV_OK)
		return 1;
	w = (cv_watch_info){r->case_id,
			    jstr(c->data, "name"),
			    jstr(o, "tag"),
			    (unsigned)json_integer_value(json_object_get(o, "every_days")),
			    r->due,
			    jstr(o, "last_done"),
			    r->due[0] && strcmp(r->due, as_of) < 0};
	stop = cb(&w, arg);
	json_decref(o);
	return stop;
}

cv_status cv_watch_list(cv_session *s, int due_only, const char *as_of,
			int (*cb)(const cv_watch_info *w, void *arg), void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	return cross_list(s, CV_REC_WATCH, CV_ACT_WATCH_LIST, due_only, as_of, emit_watch,
			  (void *)cb, arg, err);
}

cv_status cv_watch_done(cv_session *s, const char *case_id, const char *date, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], today[11], detail[48];
	cv_rec_list l = {0};
	struct cv_case *c;
	cv_status st;

	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	cv_object_name(object, sizeof(object), "case", case_id);
	if (date && cv_date_check("--date", date, err) != CV_OK)
		return err->status;
	st =
	    cv_access_enter(s, case_id, CV_ACT_WATCH_DONE, CV_NEED_CONTENT, 0, NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	if (date && strcmp(date, today) > 0)
		st = cv_fail(err, CV_EUSAGE, "watch.date-future",
			     "--date {1} is in the future (today is {2}); give the day of the "
			     "follow-up",
			     date, today);
	if (st == CV_OK)
		st = cv_access_collect(s, c, CV_REC_WATCH, &l, err);
	if (st == CV_OK && l.n == 0)
		st = cv_fail(err, CV_ENOTFOUND, "watch.not-found",
			     "case '{1}' is not on the key-student register; add it with "
			     "'casevault watch add {1} --tag TAG --every 14d'",
			     case_id);
	for (size_t i = 0; i < l.n && st == CV_OK; i++) {
		cv_record *r = &l.v[i];
		json_t *o = NULL;
		int every;

		st = cv_record_open_json(s, c, r, &o, err);
		if (st != CV_OK)
			break;
		every = (int)json_integer_value(json_object_get(o, "every_days"));
		json_object_set_new(o, "last_done", json_string(date ? date : today));
		cv_date_add_days(date ? date : today, every, r->due);
		free((void *)r->box);
		r->box = NULL;
		r->version++;
		cv_time_now(r->updated_at);
		st = cv_record_put(s, c, r, o, NULL, 0, 0, err);
		json_decref(o);
	}
	snprintf(detail, sizeof(detail), "entries=%zu", l.n);
	cv_rec_list_free(&l);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_WATCH_DONE, object, err);
	st = cv_access_leave(s, c, CV_ACT_WATCH_DONE, object, detail, err);
	cv_case_free(c);
	return st;
}

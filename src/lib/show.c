/*
 * show.c - command: case show, everything on one case in record order,
 * through the renderers of case.h, note.h and record.h.
 */
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "cert.h"
#include "err.h"
#include "localday.h"
#include "note.h"
#include "record.h"
#include "text.h"
#include "banned.h"

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

struct show_ctx {
	cv_session *s;
	struct cv_case *c;
	const cv_case_visitor *vis;
	void *arg;
	int include_tests;
	const char *as_of;
	int64_t consent_seq;
	cv_err *err;
	cv_status st;
};

static int show_record(const cv_record *r, void *arg)
{
	struct show_ctx *x = arg;
	char who[CV_NAME_MAX + 8], scopes[96];
	json_t *o = NULL;
	int stop = 0;

	if (strcmp(r->type, "note") == 0)
		return x->vis->on_note ? cv_note_emit(x->s, x->c, r, x->as_of,
						      (x->include_tests & CV_SHOW_NOTES) != 0,
						      x->vis->on_note, x->arg, &x->st, x->err)
				       : 0;
	if (strcmp(r->type, "referral") == 0)
		return x->vis->on_referral
			   ? cv_referral_emit(x->s, x->c, r, x->as_of, x->vis->on_referral, x->arg,
					      &x->st, x->err)
			   : 0;
	if (strcmp(r->type, "watch") == 0)
		return x->vis->on_watch ? cv_watch_emit(x->s, x->c, r, x->as_of, x->vis->on_watch,
							x->arg, &x->st, x->err)
					: 0;
	if (strcmp(r->type, "test") == 0 &&
	    !((x->include_tests & CV_SHOW_TESTS) && x->vis->on_test))
		return 0;
	if (strcmp(r->type, "consent") && strcmp(r->type, "test") && strcmp(r->type, "followup"))
		return 0;
	x->st = cv_record_open_json(x->s, x->c, r, &o, x->err);
	if (x->st != CV_OK)
		return 1;
	cv_user_name(x->s->v, r->author_id, who, sizeof(who));
	if (strcmp(r->type, "consent") == 0 && x->vis->on_consent) {
		cv_consent_event e = {++x->consent_seq,	      jstr(o, "action"),
				      jstr(o, "by"),	      jstr(o, "method"),
				      jstr(o, "date"),	      scopes,
				      jstr(o, "verified_by"), who};
		cv_scope_format(cv_scope_json(json_object_get(o, "scopes")), scopes,
				sizeof(scopes));
		stop = x->vis->on_consent(&e, x->arg);
	} else if (strcmp(r->type, "test") == 0) {
		cv_test_info t = {r->id,
				  r->created_at,
				  who,
				  jstr(o, "scale"),
				  jstr(o, "score"),
				  jstr(o, "notes"),
				  json_is_true(json_object_get(o, "crisis"))};
		stop = x->vis->on_test(&t, x->arg);
	} else if (strcmp(r->type, "followup") == 0 && x->vis->on_followup) {
		cv_followup_info f = {r->parent, jstr(o, "date"), r->status, jstr(o, "note"), who};
		stop = x->vis->on_followup(&f, x->arg);
	}
	json_decref(o);
	return stop;
}

cv_status cv_case_show(cv_session *s, const char *id, int include_tests, const char *as_of,
		       const cv_case_visitor *vis, void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], today[11];
	struct show_ctx x = {0};
	struct cv_case *c;
	cv_status st;

	if (as_of && cv_date_check("--as-of", as_of, err) != CV_OK)
		return err->status;
	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	cv_object_name(object, sizeof(object), "case", id);
	st = cv_access_enter(s, id, CV_ACT_CASE_SHOW, CV_NEED_CONTENT, 0, NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	{
		static const char *const details[] = {"", "tests=1", "notes=1", "tests=1 notes=1"};

		st = cv_access_leave(s, c, CV_ACT_CASE_SHOW, object,
				     details[include_tests & (CV_SHOW_TESTS | CV_SHOW_NOTES)], err);
	}
	if (st == CV_OK && vis->on_case && cv_case_emit(s, c, vis->on_case, arg)) {
		cv_case_free(c);
		return CV_OK;
	}
	x = (struct show_ctx){s, c, vis, arg, include_tests, as_of ? as_of : today, 0, err, CV_OK};
	if (st == CV_OK)
		st = cv_access_records(s, c, 0, show_record, &x, err);
	if (st == CV_OK)
		st = x.st;
	cv_case_free(c);
	return st;
}

/*
 * record.c - the other records on a case: psychological test results (R5),
 * referrals and their follow-ups (R6), and the key-student register (R8).
 * Their content is encrypted under the case key; only the dates that drive
 * the overdue lists (and a referral's status) are kept in clear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "case.h"
#include "crypt.h"
#include "err.h"
#include "text.h"
#include "user.h"
#include "banned.h"

#define FIELD_MAX 200
#define REFERRAL_DAYS_DEFAULT 14

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
			       const char *action, const char *detail, char id[CV_CASE_ID_MAX],
			       cv_err *err)
{
	char object[CV_ID_MAX + 16];
	cv_status st;

	snprintf(object, sizeof(object), "case:%s", c->rec.id);
	st = o ? cv_record_put(s, c, r, o, NULL, 0, 1, err)
	       : cv_err_set(err, CV_ERROR, "out of memory");
	json_decref(o);
	if (st != CV_OK)
		return cv_case_abort(s, c, action, object, err);
	snprintf(object, sizeof(object), "%s:%s", r->type, r->id);
	st = cv_case_leave(s, c, action, object, detail, err);
	cv_case_free(c);
	if (st == CV_OK && id)
		snprintf(id, CV_CASE_ID_MAX, "%s", r->id);
	return st;
}

/* ---- test results (R5) --------------------------------------------------- */

cv_status cv_test_add(cv_session *s, const char *case_id, const char *scale, const char *score,
		      const char *notes, const char *crisis, char id[CV_CASE_ID_MAX],
		      cv_err *err)
{
	struct cv_case *c;
	cv_record r;
	cv_status st;

	id[0] = '\0';
	if (cv_field_check("scale", scale, FIELD_MAX, err) ||
	    cv_field_check("score", score, 64, err) ||
	    (notes && cv_field_check("notes", notes, 2000, err)))
		return err->status;
	st = cv_case_enter(s, case_id, "test.add", CV_NEED_CONTENT | CV_NEED_OPEN,
			   CV_SCOPE_TESTING, crisis, NULL, &c, err);
	if (st != CV_OK)
		return st;
	new_record(s, c, "test", &r);
	st = cv_new_id(s->v, 'T', 6, r.id, err);
	if (st != CV_OK)
		return cv_case_abort(s, c, "test.add", "test:new", err);
	return add_and_leave(s, c, &r,
			     json_pack("{s:s, s:s, s:s, s:b}", "scale", scale, "score", score,
				       "notes", notes ? notes : "", "crisis", c->crisis != NULL),
			     "test.add", "", id, err);
}

/* ---- referrals (R6) -------------------------------------------------------- */

static const char *const urgencies[] = {"routine", "urgent", "emergency"};
static const char *const reasons[] = {"academic", "emotion",  "relationships",
				      "family",   "adolescence", "behavior",
				      "self-harm-risk", "other"};
static const char *const statuses[] = {"contacted", "accepted", "declined", "completed"};

static int referral_days(cv_vault *v)
{
	uint8_t d = REFERRAL_DAYS_DEFAULT;

	if (cv_store_meta_get(v->st, "referral_days", &d, 1, NULL) != CV_OK)
		return REFERRAL_DAYS_DEFAULT;
	return d;
}

cv_status cv_referral_add(cv_session *s, const char *case_id, const cv_referral_input *in,
			  const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err)
{
	char today[11], detail[96];
	struct cv_case *c;
	cv_record r;
	cv_status st;

	id[0] = '\0';
	cv_today(today);
	if (cv_field_check("institution", in->to, FIELD_MAX, err) ||
	    cv_field_check("disclosed", in->disclosed, 2000, err))
		return err->status;
	if (!one_of(in->reason, reasons, 8))
		return cv_err_set(err, CV_EUSAGE,
				  "unknown reason '%.40s'; use academic, emotion, relationships, "
				  "family, adolescence, behavior, self-harm-risk or other",
				  in->reason ? in->reason : "");
	if (!one_of(in->urgency, urgencies, 3))
		return cv_err_set(err, CV_EUSAGE, "--urgency must be routine, urgent or emergency");
	if (in->date && cv_date_check("--date", in->date, err) != CV_OK)
		return err->status;
	st = cv_case_enter(s, case_id, "referral.add", CV_NEED_CONTENT | CV_NEED_OPEN,
			   CV_SCOPE_REFERRAL, crisis, NULL, &c, err);
	if (st != CV_OK)
		return st;
	new_record(s, c, "referral", &r);
	st = cv_new_id(s->v, 'R', 6, r.id, err);
	if (st != CV_OK)
		return cv_case_abort(s, c, "referral.add", "referral:new", err);
	snprintf(r.status, sizeof(r.status), "referred");
	cv_date_add_days(in->date ? in->date : today, referral_days(s->v), r.due);
	snprintf(detail, sizeof(detail), "%s", c->crisis ? "disclosed under crisis" : "");
	return add_and_leave(
		s, c, &r,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "date", in->date ? in->date : today,
			  "to", in->to, "reason", in->reason, "urgency", in->urgency, "disclosed",
			  in->disclosed, "basis", c->crisis ? "crisis" : "consent"),
		"referral.add", detail, id, err);
}

cv_status cv_referral_update(cv_session *s, const char *ref_id, const char *status,
			     const char *date, const char *note, cv_err *err)
{
	char object[CV_ID_MAX + 16], today[11];
	struct cv_case *c = NULL;
	cv_record ref, up;
	cv_status st;
	int final;

	cv_today(today);
	cv_object_name(object, sizeof(object), "referral", ref_id);
	if (!one_of(status, statuses, 4))
		return cv_err_set(err, CV_EUSAGE,
				  "--status must be contacted, accepted, declined or completed");
	if ((date && cv_date_check("--date", date, err)) ||
	    (note && cv_field_check("note", note, 2000, err)))
		return err->status;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = cv_field_check("referral id", ref_id, CV_ID_MAX - 1, NULL) == CV_OK
		     ? cv_store_record_get(s->v->st, ref_id, &ref, err)
		     : CV_ENOTFOUND;
	if (st == CV_ENOTFOUND || (st == CV_OK && strcmp(ref.type, "referral") != 0)) {
		if (st == CV_OK)
			cv_record_clear(&ref);
		st = cv_err_set(err, CV_ENOTFOUND,
				"no referral '%.15s'; see 'casevault referral list'", ref_id);
	}
	cv_store_rollback(s->v->st);
	if (st != CV_OK)
		return cv_op_fail(s, "referral.update", object, err);
	/* A status and date are archival follow-up on a referral already made;
	 * a note about it is new content and needs the disclosure consent. */
	st = cv_case_enter(s, ref.case_id, "referral.update", CV_NEED_CONTENT,
			   note ? CV_SCOPE_REFERRAL : 0, NULL, NULL, &c, err);
	if (st == CV_OK) { /* read it again inside the write transaction */
		cv_record_clear(&ref);
		st = cv_store_record_get(s->v->st, ref_id, &ref, err);
		if (st != CV_OK)
			return cv_case_abort(s, c, "referral.update", object, err);
	}
	if (st != CV_OK) {
		cv_record_clear(&ref);
		return st;
	}
	final = strcmp(status, "declined") == 0 || strcmp(status, "completed") == 0;
	new_record(s, c, "followup", &up);
	snprintf(up.parent, sizeof(up.parent), "%s", ref.id);
	snprintf(up.status, sizeof(up.status), "%s", status);
	st = cv_new_id(s->v, 'F', 6, up.id, err);
	if (st == CV_OK) {
		json_t *o = json_pack("{s:s, s:s}", "date", date ? date : today, "note",
				      note ? note : "");
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
		else
			cv_date_add_days(date ? date : today, referral_days(s->v), ref.due);
		st = cv_store_record_update(s->v->st, &ref, err);
	}
	cv_record_clear(&ref);
	if (st != CV_OK)
		return cv_case_abort(s, c, "referral.update", object, err);
	st = cv_case_leave(s, c, "referral.update", object, status, err);
	cv_case_free(c);
	return st;
}

int cv_referral_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		     int (*cb)(const cv_referral_info *n, void *arg), void *arg, cv_status *st,
		     cv_err *err);

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

int cv_watch_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		  int (*cb)(const cv_watch_info *w, void *arg), void *arg, cv_status *st,
		  cv_err *err);

/* Collects the matching records first: decrypting needs other statements. */
struct rec_list {
	cv_record *v;
	size_t n;
	int oom;
	int due_only;
	const char *as_of;
};

static int collect_record(const cv_record *r, void *arg)
{
	struct rec_list *l = arg;
	cv_record *p;
	uint8_t *box;

	if (l->due_only && !(r->due[0] && strcmp(r->due, l->as_of) < 0))
		return 0;
	p = realloc(l->v, (l->n + 1) * sizeof(*p));
	box = malloc(r->box_len ? r->box_len : 1);
	if (!p || !box) {
		if (p)
			l->v = p;
		free(box);
		l->oom = 1;
		return 1;
	}
	l->v = p;
	l->v[l->n] = *r;
	if (r->box_len)
		memcpy(box, r->box, r->box_len);
	l->v[l->n].box = box;
	l->n++;
	return 0;
}

static void rec_list_free(struct rec_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((void *)l->v[i].box);
	free(l->v);
}

static cv_status load_case(cv_session *s, const char *case_id, struct cv_case **c, cv_err *err);

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

/* Lists records of `type` on the counselor's cases: logs the read, then
 * decrypts and emits each. */
static cv_status cross_list(cv_session *s, const char *type, const char *action, int due_only,
			    const char *as_of, emit_fn emit, void *cb, void *arg, cv_err *err)
{
	struct rec_list l = {0};
	struct cv_case *c = NULL;
	char today[11], detail[48];
	cv_status st;

	cv_today(today);
	if (as_of && cv_date_check("--as-of", as_of, err) != CV_OK)
		return err->status;
	l.due_only = due_only;
	l.as_of = as_of ? as_of : today;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	if (s->role != CV_ROLE_COUNSELOR) {
		cv_err_set(err, CV_EDENIED,
			   "'%s' is %s; only counselors read referrals and the register",
			   s->me.name, cv_role_a(s->role));
		return cv_op_fail(s, action, type, err);
	}
	st = cv_store_record_each_granted(s->v->st, s->me.id, type, collect_record, &l, err);
	if (st == CV_OK && l.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	snprintf(detail, sizeof(detail), "%zu listed%s", l.n, due_only ? " (due)" : "");
	if (st == CV_OK)
		st = cv_op_log(s, action, type, "ok", detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		cv_store_rollback(s->v->st);
	for (size_t i = 0; i < l.n && st == CV_OK; i++) {
		if (!c || strcmp(c->rec.id, l.v[i].case_id) != 0) {
			cv_case_free(c);
			c = NULL;
			st = load_case(s, l.v[i].case_id, &c, err);
			if (st != CV_OK)
				break;
		}
		if (emit(s, c, &l.v[i], l.as_of, cb, arg, &st, err))
			break;
	}
	cv_case_free(c);
	rec_list_free(&l);
	return st;
}

/* Opens a granted case for reading (no log row: the list was logged). */
static cv_status load_case(cv_session *s, const char *case_id, struct cv_case **c, cv_err *err)
{
	uint8_t sealed[CV_SEALED_KEY_LEN];
	cv_place at;
	uint8_t *pt = NULL;
	size_t n;
	cv_status st;

	*c = calloc(1, sizeof(**c));
	if (!*c)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_store_case_get(s->v->st, case_id, &(*c)->rec, err);
	if (st == CV_OK)
		st = cv_store_grant_get(s->v->st, case_id, s->me.id, sealed, err);
	if (st == CV_OK)
		st = cv_key_unseal(s->kh, sealed, &(*c)->key, err);
	if (st == CV_OK) {
		at = (cv_place){"case", (*c)->rec.id, (*c)->rec.id, (*c)->rec.version};
		st = cv_aead_open(s->v, (*c)->key, &at, (*c)->rec.data_nonce, (*c)->rec.data_box,
				  (*c)->rec.data_len, &pt, &n, err);
	}
	if (st == CV_OK) {
		(*c)->data = json_loadb((const char *)pt, n, 0, NULL);
		if (!(*c)->data)
			st = cv_err_set(err, CV_EINTEGRITY, "case '%s' holds no valid data", case_id);
	}
	sodium_free(pt);
	if (st != CV_OK) {
		cv_case_free(*c);
		*c = NULL;
	}
	return st;
}

cv_status cv_referral_list(cv_session *s, int overdue_only, const char *as_of,
			   int (*cb)(const cv_referral_info *r, void *arg), void *arg,
			   cv_err *err)
{
	return cross_list(s, "referral", "referral.list", overdue_only, as_of, emit_referral,
			  (void *)cb, arg, err);
}

/* ---- key-student register (R8) ---------------------------------------------- */

static const char *const tags[] = {"single-parent", "left-behind", "family-change", "other"};

cv_status cv_watch_add(cv_session *s, const char *case_id, const char *tag, unsigned every_days,
		       cv_err *err)
{
	char today[11], detail[32];
	struct cv_case *c;
	cv_record r;
	cv_status st;

	cv_today(today);
	if (!one_of(tag, tags, 4))
		return cv_err_set(err, CV_EUSAGE,
				  "unknown tag '%.40s'; use single-parent, left-behind, "
				  "family-change or other",
				  tag ? tag : "");
	if (every_days < 1 || every_days > 366)
		return cv_err_set(err, CV_EUSAGE,
				  "the follow-up interval must be 1 to 366 days (e.g. --every 14d)");
	st = cv_case_enter(s, case_id, "watch.add", CV_NEED_CONTENT | CV_NEED_OPEN, 0, NULL, NULL,
			   &c, err);
	if (st != CV_OK)
		return st;
	new_record(s, c, "watch", &r);
	st = cv_new_id(s->v, 'W', 6, r.id, err);
	if (st != CV_OK)
		return cv_case_abort(s, c, "watch.add", "watch:new", err);
	snprintf(r.status, sizeof(r.status), "active");
	cv_date_add_days(today, (int)every_days, r.due);
	snprintf(detail, sizeof(detail), "every %ud", every_days);
	/* The tag is content (R8): it lives only in the encrypted body. */
	return add_and_leave(s, c, &r,
			     json_pack("{s:s, s:i, s:s}", "tag", tag, "every_days", (int)every_days,
				       "last_done", ""),
			     "watch.add", detail, NULL, err);
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
	return cross_list(s, "watch", "watch.list", due_only, as_of, emit_watch, (void *)cb, arg,
			  err);
}

cv_status cv_watch_done(cv_session *s, const char *case_id, const char *date, cv_err *err)
{
	char object[CV_ID_MAX + 8], today[11], detail[48];
	struct rec_list l = {0};
	struct cv_case *c;
	cv_status st;

	cv_today(today);
	cv_object_name(object, sizeof(object), "case", case_id);
	if (date && cv_date_check("--date", date, err) != CV_OK)
		return err->status;
	st = cv_case_enter(s, case_id, "watch.done", CV_NEED_CONTENT, 0, NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	st = cv_store_record_each_case(s->v->st, c->rec.id, "watch", collect_record, &l, err);
	if (st == CV_OK && l.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK && l.n == 0)
		st = cv_err_set(err, CV_ENOTFOUND,
				"case '%s' is not on the key-student register; add it with "
				"'casevault watch add %s --tag TAG --every 14d'",
				case_id, case_id);
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
	snprintf(detail, sizeof(detail), "%zu entries followed up", l.n);
	rec_list_free(&l);
	if (st != CV_OK)
		return cv_case_abort(s, c, "watch.done", object, err);
	st = cv_case_leave(s, c, "watch.done", object, detail, err);
	cv_case_free(c);
	return st;
}

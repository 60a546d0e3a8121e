/*
 * due.c - commands: what needs doing today for the acting counselor (R4,
 * R6, R8): their drafts near or past the archive deadline, referrals
 * whose follow-up is due, and key-student register follow-ups due, on the
 * cases granted to them.  Like the other lists, the cases are found by
 * their records' clear metadata, and each is decrypted, verified and
 * logged (access.c cv_access_each) before anything of it is judged or
 * shown: a due date is trusted only once its record has verified.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "localday.h"
#include "cert.h"
#include "err.h"
#include "log.h"
#include "policy.h"
#include "settings.h"
#include "text.h"
#include "banned.h"

/* A draft this many days or fewer before its archive deadline is due. */
#define DRAFT_WARN_DAYS 2

struct due_walk {
	const char *today;
	long archive_days;
	int (*cb)(const cv_due_item *d, void *arg);
	void *arg;
	cv_err *err;
	cv_status st;
};

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* One record of a decrypted case: an item when something is due. */
static int due_record(cv_session *s, struct cv_case *c, const cv_record *r, struct due_walk *x)
{
	cv_due_item d = {0};
	char created[11] = "", deadline[11];
	json_t *o = NULL;
	int stop;

	d.case_id = c->rec.id;
	d.name = jstr(c->data, "name");
	d.id = r->id;
	if (strcmp(r->type, "note") == 0) {
		/* Only the author finalizes a draft: it is theirs to do. */
		if (strcmp(r->status, "draft") != 0 || r->author_id != s->me.id)
			return 0;
		memcpy(created, r->created_at, 10);
		cv_date_add_days(created, (int)x->archive_days, deadline);
		d.kind = CV_DUE_DRAFT;
		d.what = r->kind;
		d.due = deadline;
	} else if (strcmp(r->type, "referral") == 0 || strcmp(r->type, "watch") == 0) {
		if (!r->due[0] || strcmp(r->due, x->today) > 0)
			return 0;
		x->st = cv_record_open_json(s, c, r, &o, x->err);
		if (x->st != CV_OK)
			return 1;
		d.kind = r->type[0] == 'r' ? CV_DUE_REFERRAL : CV_DUE_WATCH;
		d.what = jstr(o, d.kind == CV_DUE_REFERRAL ? "to" : "tag");
		d.due = r->due;
	} else {
		return 0;
	}
	d.days = cv_date_diff(x->today, d.due);
	stop = d.kind == CV_DUE_DRAFT && d.days > DRAFT_WARN_DAYS ? 0 : x->cb(&d, x->arg);
	json_decref(o);
	return stop;
}

static int due_case(cv_session *s, struct cv_case *c, void *arg)
{
	struct due_walk *x = arg;
	cv_rec_list l = {0};
	int stop = 0;

	x->st = cv_access_collect(s, c, 0, &l, x->err);
	for (size_t i = 0; i < l.n && x->st == CV_OK && !stop; i++)
		stop = due_record(s, c, &l.v[i], x);
	cv_rec_list_free(&l);
	return stop || x->st != CV_OK;
}

/* A supervisor's due list: the break-glass events not yet reviewed, from
 * the crisis records' clear columns (no case is decrypted), logged before
 * any is shown. */
static cv_status due_crises(cv_session *s, const char *today,
			    int (*cb)(const cv_due_item *d, void *arg), void *arg, cv_err *err)
{
	cv_crisis_event *ev = NULL;
	size_t n = 0, open = 0;
	char detail[32];
	cv_status st = cv_access_crisis_events(s, &ev, &n, err);

	/* Keep the events not reviewed, in place. */
	for (size_t i = 0; i < n && st == CV_OK; i++) {
		int reviewed = 0;

		st = cv_access_event_reviewed(s, ev[i].id, &reviewed, err);
		if (st == CV_OK && !reviewed)
			ev[open++] = ev[i];
	}
	if (st == CV_OK)
		st = cv_op_begin(s, err);
	if (st == CV_OK) {
		snprintf(detail, sizeof(detail), "crises=%zu", open);
		st = cv_op_log(s, CV_ACT_DUE, "due", CV_OUT_OK, detail, err);
	}
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	for (size_t i = 0; i < open && st == CV_OK; i++) {
		char date[11] = "", who[CV_NAME_MAX + 8];
		cv_due_item d = {CV_DUE_CRISIS, ev[i].case_id, "", ev[i].id, NULL, date, 0};

		memcpy(date, ev[i].created_at, 10);
		d.what = cv_user_name(s->v, ev[i].author_id, who, sizeof(who));
		d.days = cv_date_diff(today, date);
		if (cb(&d, arg))
			break;
	}
	free(ev);
	return st == CV_OK ? CV_OK : cv_op_fail(s, CV_ACT_DUE, "due", err);
}

cv_status cv_due(cv_session *s, const char *as_of, int (*cb)(const cv_due_item *d, void *arg),
		 void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	static const cv_rec_type types[] = {CV_REC_NOTE, CV_REC_REFERRAL, CV_REC_WATCH};
	struct due_walk x = {NULL, 0, cb, arg, err, CV_OK};
	cv_id_list ids = {0}, all = {0};
	char today[11];
	cv_status st;

	if (cv_local_today(s->v, today, err) != CV_OK)
		return err->status;
	if (as_of && cv_date_check("--as-of", as_of, err) != CV_OK)
		return err->status;
	x.today = as_of ? as_of : today;
	st = cv_policy_check(s, CV_ACT_DUE, "due", err);
	if (st == CV_OK && s->role == CV_ROLE_SUPERVISOR)
		return due_crises(s, x.today, cb, arg, err);
	if (st == CV_OK)
		st = cv_setting_int(s->v, CV_SET_ARCHIVE_DAYS, &x.archive_days, err);
	/* The granted cases with notes, referrals or register entries, each
	 * once, in the order of the first list that names it. */
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]) && st == CV_OK; t++) {
		st = cv_access_with_records(s, types[t], &ids, err);
		for (size_t i = 0; i < ids.n && st == CV_OK; i++) {
			size_t k = 0;

			while (k < all.n && strcmp(all.ids[k], ids.ids[i]) != 0)
				k++;
			if (k == all.n)
				cv_id_list_add(ids.ids[i], &all);
		}
		cv_id_list_free(&ids);
	}
	if (st == CV_OK && all.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK)
		st = cv_access_each(s, &all, CV_ACT_DUE, due_case, &x, err);
	if (st == CV_OK)
		st = x.st;
	cv_id_list_free(&all);
	return st;
}

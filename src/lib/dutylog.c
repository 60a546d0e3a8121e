/*
 * dutylog.c - commands: the duty log (值班记录, R7): duty start, end, add,
 * list and hours, and the weekly open hours other modules read (see
 * dutylog.h).  duty.c does the time arithmetic (local time, ISO weeks, the
 * rules a new shift must pass, the union per week); cert.c signs and
 * checks the rows; this file is the policy, the reading and verifying of
 * the rows, and the log around them.  Layer: commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "dutylog.h"
#include "err.h"
#include "log.h"
#include "policy.h"
#include "settings.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

#define DUTY_OBJECT "duty"  /* lists, hours, and refusals that name no shift */
#define DUTY_NEW "duty:new" /* refusals of a shift not yet written */
#define OBJECT_MAX 32	    /* "duty:" and a decimal id */
#define MINUTE 60

/* The actions whose ok rows write a shift (the row's seq is one of them). */
static const char *const writers[] = {"duty.start", "duty.add", "duty.end"};

static void duty_object(char out[OBJECT_MAX], int64_t id)
{
	snprintf(out, OBJECT_MAX, "duty:%lld", (long long)id);
}

/* Replaces err's reason code (keeping its message), for a ground-layer
 * refusal that carries only the generic one. */
static cv_status recode(cv_err *err, const char *code)
{
	snprintf(err->code, sizeof(err->code), "%s", code);
	return err->status;
}

/* t as local time for a message ("@T" when it cannot be shown). */
static const char *show(const char *tz, int64_t t, char out[CV_DUTY_LOCAL_LEN + 8])
{
	char local[CV_DUTY_LOCAL_LEN];

	if (cv_duty_local_format(tz, t, local, NULL) == CV_OK)
		snprintf(out, CV_DUTY_LOCAL_LEN + 8, "%s", local);
	else
		snprintf(out, CV_DUTY_LOCAL_LEN + 8, "@%lld", (long long)t);
	return out;
}

static int64_t now_utc(void)
{
	return cv_clock();
}

cv_status cv_duty_zone(cv_vault *v, char tz[CV_DUTY_TZ_MAX + 1], const char **zone, cv_err *err)
{
	char value[128], signer[CV_NAME_MAX + 8];
	int is_default = 0;
	size_t n;
	cv_status st = cv_setting_text(v, CV_SET_TIMEZONE, value, &is_default, signer, err);

	if (st != CV_OK)
		return st;
	n = strlen(value);
	/* The setting's check keeps a zone name within CV_DUTY_TZ_MAX. */
	if (n > CV_DUTY_TZ_MAX)
		return cv_err_set(err, CV_EINTEGRITY, "the timezone setting is too long");
	memcpy(tz, value, n + 1);
	*zone = tz[0] ? tz : NULL;
	return CV_OK;
}

/* ---- reading and verifying shifts ------------------------------------- */

struct shift_list {
	cv_duty_rec *v;
	size_t n, cap;
	int oom;
};

static int collect(const cv_duty_rec *r, void *arg)
{
	struct shift_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		cv_duty_rec *p = realloc(l->v, cap * sizeof(*p));

		if (!p) {
			l->oom = 1;
			return 1;
		}
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
	return 0;
}

/* The shape every stored shift has: a known status, an open one without
 * an end, an ended one at most CV_DUTY_SHIFT_MAX long, visits in range. */
static int shape_ok(const cv_duty_rec *r)
{
	int status = cv_word_parse(&cv_duty_states, r->status);

	if (r->start_utc < 0 || r->start_utc > CV_DUTY_TIME_MAX || r->end_utc < 0 ||
	    r->end_utc > CV_DUTY_TIME_MAX || r->visits < 0 ||
	    r->visits > (int64_t)CV_DUTY_VISITS_MAX)
		return 0;
	if (status == CV_DUTY_OPEN)
		return r->end_utc == 0;
	return status == CV_DUTY_CLOSED && r->end_utc > r->start_utc &&
	       r->end_utc - r->start_utc <= CV_DUTY_SHIFT_MAX;
}

/* Shift r as the log last wrote it, signed by its counselor. */
static cv_status verify_shift(cv_vault *v, const cv_duty_rec *r, cv_err *err)
{
	char object[OBJECT_MAX], a[24], b[24], c[24];
	int64_t seq = 0;
	cv_status st;

	if (!shape_ok(r))
		return cv_fail(err, CV_EINTEGRITY, "duty.malformed",
			       "shift {1} of the duty log is malformed (tampered or damaged); run "
			       "'casevault audit verify' and restore from a backup",
			       cv_num(a, r->id));
	st = cv_duty_check(v, r, err);
	if (st != CV_OK)
		return st;
	duty_object(object, r->id);
	st = cv_store_audit_last_seq(v->st, object, cv_outcome_name(CV_OUT_OK), writers,
				     ARRAY_SIZE(writers), &seq, err);
	if (st != CV_OK)
		return st;
	if (seq != r->seq)
		return cv_fail(err, CV_EINTEGRITY, "duty.stale",
			       "shift {1} of the duty log was written at audit row {2}, but the "
			       "log last wrote it at row {3}: an older or planted copy was put in "
			       "the file; run 'casevault audit verify' and restore from a backup",
			       cv_num(a, r->id), cv_num(b, r->seq), cv_num(c, seq));
	return CV_OK;
}

/* The shifts q selects, every one verified (collected first: the walk
 * calls nothing). */
static cv_status read_shifts(cv_vault *v, const cv_store_duty_query *q, struct shift_list *out,
			     cv_err *err)
{
	cv_status st;

	memset(out, 0, sizeof(*out));
	st = cv_store_duty_each(v->st, q, collect, out, err);
	if (st == CV_OK && out->oom)
		st = cv_err_set(err, CV_ERROR, "out of memory reading the duty log");
	for (size_t i = 0; st == CV_OK && i < out->n; i++)
		st = verify_shift(v, &out->v[i], err);
	if (st != CV_OK) {
		free(out->v);
		memset(out, 0, sizeof(*out));
	}
	return st;
}

cv_status cv_duty_shifts(cv_session *s, int64_t from_utc, int64_t to_utc, cv_duty_rec **out,
			 size_t *n, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_store_duty_query q = {0, NULL, from_utc, to_utc};
	struct shift_list l;
	cv_status st = read_shifts(s->v, &q, &l, err);

	*out = st == CV_OK ? l.v : NULL;
	*n = st == CV_OK ? l.n : 0;
	return st;
}

cv_status cv_duty_hours(cv_session *s, cv_duty_date from, cv_duty_date to, cv_duty_week **weeks,
			size_t *n, int64_t *threshold_minutes, cv_err *err)
{
	CV_ERR_GUARD(err);
	char tzbuf[CV_DUTY_TZ_MAX + 1];
	const char *tz = NULL;
	cv_duty_week *bounds = NULL;
	cv_duty_shift *shifts = NULL;
	struct shift_list l = {0};
	size_t nb = 0, ns = 0;
	long hours = 0;
	cv_status st;

	*weeks = NULL;
	*n = 0;
	st = cv_duty_zone(s->v, tzbuf, &tz, err);
	if (st == CV_OK)
		st = cv_setting_int(s->v, CV_SET_DUTY_HOURS, &hours, err);
	/* The weeks' bounds first, so that only their shifts are read. */
	if (st == CV_OK)
		st = cv_duty_weeks(tz, NULL, 0, from, to, 0, &bounds, &nb, err);
	if (st == CV_OK) {
		cv_store_duty_query q = {0, cv_word(&cv_duty_states, CV_DUTY_CLOSED),
					 bounds[0].start_utc, bounds[nb - 1].end_utc};

		st = read_shifts(s->v, &q, &l, err);
	}
	if (st == CV_OK && l.n > 0 && !(shifts = calloc(l.n, sizeof(*shifts))))
		st = cv_err_set(err, CV_ERROR, "out of memory counting shifts");
	for (size_t i = 0; st == CV_OK && i < l.n; i++, ns++)
		shifts[i] = (cv_duty_shift){l.v[i].counselor_id, l.v[i].start_utc, l.v[i].end_utc};
	if (st == CV_OK)
		st =
		    cv_duty_weeks(tz, shifts, ns, from, to, (int64_t)hours * MINUTE, weeks, n, err);
	if (st == CV_OK && threshold_minutes)
		*threshold_minutes = (int64_t)hours * MINUTE;
	free(bounds);
	free(shifts);
	free(l.v);
	return st;
}

/* ---- writing shifts ----------------------------------------------------- */

/* The acting counselor's shifts that meet [from, to), open ones as
 * running until now, as cv_duty_shift values in *out; their records in
 * *recs. */
static cv_status own_shifts(cv_session *s, int64_t from, int64_t to, int64_t now,
			    struct shift_list *recs, cv_duty_shift **out, cv_err *err)
{
	cv_store_duty_query q = {s->me.id, NULL, from, to};
	cv_status st = read_shifts(s->v, &q, recs, err);

	*out = NULL;
	if (st != CV_OK || recs->n == 0)
		return st;
	*out = calloc(recs->n, sizeof(**out));
	if (!*out) {
		free(recs->v);
		memset(recs, 0, sizeof(*recs));
		return cv_err_set(err, CV_ERROR, "out of memory reading the duty log");
	}
	for (size_t i = 0; i < recs->n; i++) {
		const cv_duty_rec *r = &recs->v[i];
		int64_t end = r->end_utc;

		if (cv_word_parse(&cv_duty_states, r->status) == CV_DUTY_OPEN)
			end = now > r->start_utc ? now : r->start_utc + 1;
		(*out)[i] = (cv_duty_shift){r->counselor_id, r->start_utc, end};
	}
	return CV_OK;
}

/* The rules a new or ending shift must pass (cv_duty_check_new), as
 * refusals with reason codes.  existing are the counselor's other shifts,
 * recs their records. */
static cv_status check_shift(const char *tz, const struct shift_list *recs,
			     const cv_duty_shift *existing, const cv_duty_shift *sh, int64_t now,
			     cv_err *err)
{
	char a[CV_DUTY_LOCAL_LEN + 8], b[CV_DUTY_LOCAL_LEN + 8], num[24];
	size_t conflict = (size_t)-1;
	cv_err why = {0};
	cv_status st = cv_duty_check_new(tz, existing, recs->n, sh, now, &conflict, &why);

	if (st == CV_OK)
		return CV_OK;
	if (conflict != (size_t)-1) {
		const cv_duty_rec *r = &recs->v[conflict];
		int open = cv_word_parse(&cv_duty_states, r->status) == CV_DUTY_OPEN;

		return cv_fail(err, CV_EDENIED, "duty.overlap",
			       "the shift overlaps your shift {1}, from '{2}' to '{3}'; a "
			       "counselor is on one shift at a time, so correct its times",
			       cv_num(num, r->id), show(tz, r->start_utc, a),
			       open ? "now (still open)" : show(tz, r->end_utc, b));
	}
	if (st == CV_EUSAGE) {
		*err = why;
		return recode(err, "duty.time");
	}
	if (st != CV_EDENIED) {
		*err = why;
		return st;
	}
	show(tz, sh->start_utc, a);
	show(tz, sh->end_utc, b);
	if (sh->end_utc - sh->start_utc > CV_DUTY_SHIFT_MAX)
		return cv_fail(err, CV_EDENIED, "duty.too-long",
			       "the shift from '{1}' to '{2}' is longer than {3} hours; split it "
			       "or correct its times",
			       a, b, cv_num(num, CV_DUTY_SHIFT_MAX / 3600));
	return cv_fail(err, CV_EDENIED, "duty.future",
		       "the shift ends at '{1}', which is in the future; log a shift once it has "
		       "ended",
		       b);
}

/* room: NULL or "" for none, else a single-line field. */
static cv_status check_room(const char *room, cv_err *err)
{
	if (!room || !*room)
		return CV_OK;
	return cv_field_check("room", room, CV_DUTY_ROOM_MAX, err);
}

static cv_status check_visits(int64_t visits, cv_err *err)
{
	char a[24], b[24];

	if (visits <= (int64_t)CV_DUTY_VISITS_MAX)
		return CV_OK;
	return cv_fail(err, CV_EUSAGE, "duty.visits",
		       "{1} visits is more than one shift can record ({2}); correct the number",
		       cv_num(a, visits), cv_num(b, CV_DUTY_VISITS_MAX));
}

/* A local time typed by the user, to UTC. */
static cv_status parse_time(const char *tz, const char *in, int64_t *out, cv_err *err)
{
	cv_status st = cv_duty_local_parse(tz, in, out, err);

	return st == CV_OK ? CV_OK : recode(err, "duty.time");
}

/* Signs r (seq: the row the caller logs next) and inserts or updates it. */
static cv_status put_shift(cv_session *s, cv_duty_rec *r, int insert, cv_err *err)
{
	cv_status st;

	r->seq = s->head.seq + 1;
	st = cv_duty_sign(s->v, r, s->me.id, s->kh, err);
	if (st == CV_OK)
		st = insert ? cv_store_duty_insert(s->v->st, r, err)
			    : cv_store_duty_update(s->v->st, r, err);
	return st;
}

/* A new shift row of the acting counselor, inserted and logged as action
 * (the transaction is open); the caller commits. */
static cv_status insert_shift(cv_session *s, cv_action action, cv_duty_rec *r, const char *detail,
			      cv_err *err)
{
	char object[OBJECT_MAX];
	cv_status st = cv_store_duty_next_id(s->v->st, &r->id, err);

	if (st != CV_OK)
		return st;
	r->counselor_id = s->me.id;
	cv_time_now(r->created_at);
	st = put_shift(s, r, 1, err);
	duty_object(object, r->id);
	if (st == CV_OK)
		st = cv_op_log(s, action, object, CV_OUT_OK, detail, err);
	return st;
}

cv_status cv_duty_start(cv_session *s, const char *room, const char *at, int64_t *id, cv_err *err)
{
	CV_ERR_GUARD(err);
	char tzbuf[CV_DUTY_TZ_MAX + 1], a[CV_DUTY_LOCAL_LEN + 8], num[24];
	const char *tz = NULL;
	struct shift_list recs = {0};
	cv_duty_shift *own = NULL;
	cv_duty_rec r = {0};
	int64_t now = now_utc(), start = now;
	cv_status st;

	*id = 0;
	st = cv_policy_check(s, CV_ACT_DUTY_START, DUTY_NEW, err);
	if (st != CV_OK)
		return st;
	st = check_room(room, err);
	if (st == CV_OK)
		st = cv_duty_zone(s->v, tzbuf, &tz, err);
	if (st == CV_OK && at)
		st = parse_time(tz, at, &start, err);
	if (st == CV_OK && start > now)
		st = cv_fail(err, CV_EDENIED, "duty.future",
			     "the shift would start at '{1}', which is in the future; start it "
			     "when it begins",
			     show(tz, start, a));
	if (st == CV_OK && now - start > CV_DUTY_SHIFT_MAX)
		st = cv_fail(err, CV_EDENIED, "duty.too-long",
			     "a shift started at '{1}' would already be longer than {2} hours; log "
			     "it with 'casevault duty add' instead",
			     show(tz, start, a), cv_num(num, CV_DUTY_SHIFT_MAX / 3600));
	if (st == CV_OK)
		st = cv_op_begin(s, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_DUTY_START, DUTY_NEW, err);
	/* Every shift of the counselor from the start on: an open one, or
	 * one logged inside the time the new shift has already run. */
	st = own_shifts(s, start, INT64_MAX, now, &recs, &own, err);
	for (size_t i = 0; st == CV_OK && i < recs.n; i++) {
		const cv_duty_rec *o = &recs.v[i];

		if (cv_word_parse(&cv_duty_states, o->status) == CV_DUTY_OPEN)
			st = cv_fail(err, CV_EDENIED, "duty.already-open",
				     "you are already on shift {1}, started at '{2}'; end it with "
				     "'casevault duty end' first",
				     cv_num(num, o->id), show(tz, o->start_utc, a));
	}
	if (st == CV_OK) {
		cv_duty_shift sh = {s->me.id, start, now > start ? now : start + 1};

		st = check_shift(tz, &recs, own, &sh, now > start ? now : start + 1, err);
	}
	if (st == CV_OK) {
		snprintf(r.room, sizeof(r.room), "%s", room ? room : "");
		snprintf(r.status, sizeof(r.status), "%s", cv_word(&cv_duty_states, CV_DUTY_OPEN));
		r.start_utc = start;
		r.end_utc = 0;
		st = insert_shift(s, CV_ACT_DUTY_START, &r, "", err);
	}
	free(recs.v);
	free(own);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_DUTY_START, DUTY_NEW, err);
	*id = r.id;
	return CV_OK;
}

cv_status cv_duty_end(cv_session *s, const char *at, int64_t visits, int64_t *id, cv_err *err)
{
	CV_ERR_GUARD(err);
	char tzbuf[CV_DUTY_TZ_MAX + 1], object[OBJECT_MAX] = DUTY_OBJECT, detail[64];
	const char *tz = NULL;
	struct shift_list open = {0}, recs = {0};
	cv_duty_shift *own = NULL, *others = NULL;
	cv_store_duty_query q = {s->me.id, cv_word(&cv_duty_states, CV_DUTY_OPEN), 0, INT64_MAX};
	cv_duty_rec r = {0};
	int64_t now = now_utc(), end = now;
	size_t n = 0;
	cv_status st;

	*id = 0;
	if (visits < 0)
		visits = 0;
	st = cv_policy_check(s, CV_ACT_DUTY_END, DUTY_OBJECT, err);
	if (st != CV_OK)
		return st;
	st = check_visits(visits, err);
	if (st == CV_OK)
		st = cv_duty_zone(s->v, tzbuf, &tz, err);
	if (st == CV_OK && at)
		st = parse_time(tz, at, &end, err);
	if (st == CV_OK)
		st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = read_shifts(s->v, &q, &open, err);
	if (st == CV_OK && open.n == 0)
		st = cv_fail(err, CV_ENOTFOUND, "duty.not-open",
			     "you have no open shift to end; start one with 'casevault duty start' "
			     "or log one with 'casevault duty add'");
	if (st != CV_OK)
		goto out;
	r = open.v[0];
	duty_object(object, r.id);
	/* The counselor's other shifts it might overlap. */
	st = own_shifts(s, r.start_utc, end > r.start_utc ? end : r.start_utc + 1, now, &recs, &own,
			err);
	if (st == CV_OK && recs.n > 0 && !(others = calloc(recs.n, sizeof(*others))))
		st = cv_err_set(err, CV_ERROR, "out of memory reading the duty log");
	for (size_t i = 0; st == CV_OK && i < recs.n; i++)
		if (recs.v[i].id != r.id) {
			recs.v[n] = recs.v[i];
			others[n++] = own[i];
		}
	recs.n = n;
	if (st == CV_OK) {
		cv_duty_shift sh = {s->me.id, r.start_utc, end};

		st = check_shift(tz, &recs, others, &sh, now, err);
	}
	if (st == CV_OK) {
		snprintf(r.status, sizeof(r.status), "%s",
			 cv_word(&cv_duty_states, CV_DUTY_CLOSED));
		r.end_utc = end;
		r.visits = visits;
		st = put_shift(s, &r, 0, err);
	}
	snprintf(detail, sizeof(detail), "minutes=%lld visits=%lld",
		 (long long)((r.end_utc - r.start_utc) / MINUTE), (long long)visits);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_DUTY_END, object, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
out:
	free(open.v);
	free(recs.v);
	free(own);
	free(others);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_DUTY_END, object, err);
	*id = r.id;
	return CV_OK;
}

cv_status cv_duty_add(cv_session *s, const char *from, const char *to, const char *room,
		      int64_t visits, int64_t *id, cv_err *err)
{
	CV_ERR_GUARD(err);
	char tzbuf[CV_DUTY_TZ_MAX + 1], detail[64];
	const char *tz = NULL;
	struct shift_list recs = {0};
	cv_duty_shift *own = NULL, sh = {0};
	cv_duty_rec r = {0};
	int64_t now = now_utc();
	cv_status st;

	*id = 0;
	if (visits < 0)
		visits = 0;
	st = cv_policy_check(s, CV_ACT_DUTY_ADD, DUTY_NEW, err);
	if (st != CV_OK)
		return st;
	sh.counselor = s->me.id;
	st = check_room(room, err);
	if (st == CV_OK)
		st = check_visits(visits, err);
	if (st == CV_OK)
		st = cv_duty_zone(s->v, tzbuf, &tz, err);
	if (st == CV_OK)
		st = parse_time(tz, from, &sh.start_utc, err);
	if (st == CV_OK)
		st = parse_time(tz, to, &sh.end_utc, err);
	/* The shape first (no store needed), then the overlap inside the
	 * transaction. */
	if (st == CV_OK)
		st = check_shift(tz, &recs, NULL, &sh, now, err);
	if (st == CV_OK)
		st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = own_shifts(s, sh.start_utc, sh.end_utc, now, &recs, &own, err);
	if (st == CV_OK)
		st = check_shift(tz, &recs, own, &sh, now, err);
	if (st == CV_OK) {
		snprintf(r.room, sizeof(r.room), "%s", room ? room : "");
		snprintf(r.status, sizeof(r.status), "%s",
			 cv_word(&cv_duty_states, CV_DUTY_CLOSED));
		r.start_utc = sh.start_utc;
		r.end_utc = sh.end_utc;
		r.visits = visits;
		snprintf(detail, sizeof(detail), "minutes=%lld visits=%lld",
			 (long long)((r.end_utc - r.start_utc) / MINUTE), (long long)visits);
		st = insert_shift(s, CV_ACT_DUTY_ADD, &r, detail, err);
	}
	free(recs.v);
	free(own);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_DUTY_ADD, DUTY_NEW, err);
	*id = r.id;
	return CV_OK;
}

/* ---- lists ------------------------------------------------------------- */

/* The local ISO week named by week ("YYYY-Www"), or the current one. */
static cv_status pick_week(const char *tz, const char *week, int64_t now, cv_duty_isoweek *w,
			   cv_err *err)
{
	cv_duty_date today;
	cv_status st;

	if (week) {
		st = cv_duty_isoweek_parse(week, w, err);
		return st == CV_OK ? CV_OK : recode(err, "duty.week");
	}
	st = cv_duty_local_date(tz, now, &today, err);
	if (st == CV_OK)
		cv_duty_iso_week(today, w);
	return st;
}

/* One shift as it is shown: its record and its times in local time. */
struct shown {
	cv_duty_rec r;
	char name[CV_NAME_MAX + 8];
	char start[CV_DUTY_LOCAL_LEN];
	char end[CV_DUTY_LOCAL_LEN];
	char week[CV_DUTY_WEEK_LEN];
	int open;
};

static cv_status show_shift(cv_session *s, const char *tz, const cv_duty_rec *r, struct shown *out,
			    cv_err *err)
{
	cv_duty_isoweek iw;
	cv_duty_date day;
	cv_status st;

	out->r = *r;
	out->open = cv_word_parse(&cv_duty_states, r->status) == CV_DUTY_OPEN;
	out->end[0] = '\0';
	st = cv_duty_local_format(tz, r->start_utc, out->start, err);
	if (st == CV_OK && !out->open)
		st = cv_duty_local_format(tz, r->end_utc, out->end, err);
	if (st == CV_OK)
		st = cv_duty_local_date(tz, r->start_utc, &day, err);
	if (st != CV_OK)
		return st;
	cv_duty_iso_week(day, &iw);
	cv_duty_isoweek_format(&iw, out->week);
	cv_user_name(s->v, r->counselor_id, out->name, sizeof(out->name));
	return CV_OK;
}

cv_status cv_duty_list(cv_session *s, const char *week, int (*cb)(const cv_duty_info *d, void *arg),
		       void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	char tzbuf[CV_DUTY_TZ_MAX + 1], wname[CV_DUTY_WEEK_LEN], detail[64];
	const char *tz = NULL;
	cv_duty_week *bounds = NULL;
	struct shift_list l = {0};
	struct shown *shown = NULL;
	cv_duty_isoweek w = {0};
	int64_t now = now_utc();
	size_t nb = 0, kept = 0;
	cv_status st;

	st = cv_policy_check(s, CV_ACT_DUTY_LIST, DUTY_OBJECT, err);
	if (st != CV_OK)
		return st;
	st = cv_duty_zone(s->v, tzbuf, &tz, err);
	if (st == CV_OK)
		st = pick_week(tz, week, now, &w, err);
	if (st == CV_OK)
		st = cv_duty_weeks(tz, NULL, 0, w.monday, w.monday, 0, &bounds, &nb, err);
	if (st == CV_OK) {
		cv_store_duty_query q = {0, NULL, bounds[0].start_utc, bounds[0].end_utc};

		st = read_shifts(s->v, &q, &l, err);
	}
	/* An open shift runs until now: it is not in the weeks after this one. */
	for (size_t i = 0; st == CV_OK && i < l.n; i++)
		if (cv_word_parse(&cv_duty_states, l.v[i].status) != CV_DUTY_OPEN ||
		    now >= bounds[0].start_utc)
			l.v[kept++] = l.v[i];
	l.n = kept;
	if (st == CV_OK && l.n > 0 && !(shown = calloc(l.n, sizeof(*shown))))
		st = cv_err_set(err, CV_ERROR, "out of memory listing shifts");
	for (size_t i = 0; st == CV_OK && i < l.n; i++)
		st = show_shift(s, tz, &l.v[i], &shown[i], err);
	if (st == CV_OK) {
		cv_duty_isoweek_format(&w, wname);
		snprintf(detail, sizeof(detail), "week=%s shifts=%zu", wname, l.n);
		st = cv_op_begin(s, err);
	}
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_DUTY_LIST, DUTY_OBJECT, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	free(bounds);
	free(l.v);
	if (st != CV_OK) {
		free(shown);
		return cv_op_fail(s, CV_ACT_DUTY_LIST, DUTY_OBJECT, err);
	}
	for (size_t i = 0; i < kept; i++) {
		const struct shown *x = &shown[i];
		cv_duty_info info = {x->r.id,
				     x->name,
				     x->r.room,
				     x->start,
				     x->end,
				     x->week,
				     x->open ? 0 : (x->r.end_utc - x->r.start_utc) / MINUTE,
				     x->r.visits,
				     x->open};

		if (cb(&info, arg))
			break;
	}
	free(shown);
	return CV_OK;
}

/* The first and last days of a term (its whole months, as the vault's
 * term settings give them: cv_stats_term), or of from..to. */
static cv_status period_days(cv_vault *v, const char *term, const char *from, const char *to,
			     cv_duty_date *df, cv_duty_date *dt, cv_err *err)
{
	char a[CV_STATS_MONTH_LEN], b[CV_STATS_MONTH_LEN];
	cv_status st;

	if (!term) {
		if (!from || !to)
			return cv_fail(err, CV_EUSAGE, "duty.date",
				       "give a term or both dates of the range (YYYY-MM-DD)");
		st = cv_duty_date_parse(from, df, err);
		if (st == CV_OK)
			st = cv_duty_date_parse(to, dt, err);
		return st == CV_OK ? CV_OK : recode(err, "duty.date");
	}
	st = from || to ? cv_stats_period(term, from, to, a, b, err)
			: cv_stats_term(v, term, a, b, err);
	if (st == CV_EINTEGRITY)
		return st;
	if (st != CV_OK)
		return recode(err, "duty.term");
	return cv_duty_months(a, b, df, dt, err);
}

cv_status cv_duty_hours_list(cv_session *s, const char *term, const char *from, const char *to,
			     int (*cb)(const cv_duty_week_info *w, void *arg), void *arg,
			     cv_err *err)
{
	CV_ERR_GUARD(err);
	char detail[96], a[CV_DUTY_DATE_LEN], b[CV_DUTY_DATE_LEN];
	cv_duty_week *w = NULL;
	cv_duty_date df, dt;
	size_t n = 0, under = 0;
	int64_t threshold = 0;
	cv_status st;

	st = cv_policy_check(s, CV_ACT_DUTY_HOURS, DUTY_OBJECT, err);
	if (st != CV_OK)
		return st;
	st = period_days(s->v, term, from, to, &df, &dt, err);
	if (st == CV_OK)
		st = cv_duty_hours(s, df, dt, &w, &n, &threshold, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_DUTY_HOURS, DUTY_OBJECT, err);
	for (size_t i = 0; i < n; i++)
		under += w[i].under != 0;
	cv_duty_date_format(df, a);
	cv_duty_date_format(dt, b);
	snprintf(detail, sizeof(detail), "from=%s to=%s weeks=%zu under=%zu", a, b, n, under);
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_DUTY_HOURS, DUTY_OBJECT, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK) {
		free(w);
		return cv_op_fail(s, CV_ACT_DUTY_HOURS, DUTY_OBJECT, err);
	}
	for (size_t i = 0; i < n; i++) {
		char wk[CV_DUTY_WEEK_LEN], monday[CV_DUTY_DATE_LEN];
		cv_duty_isoweek iw = {w[i].iso_year, w[i].iso_week, w[i].monday};
		cv_duty_week_info info = {wk,	     monday,	 w[i].minutes,
					  threshold, w[i].under, w[i].partial};

		cv_duty_isoweek_format(&iw, wk);
		cv_duty_date_format(w[i].monday, monday);
		if (cb(&info, arg))
			break;
	}
	free(w);
	return CV_OK;
}

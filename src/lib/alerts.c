/*
 * alerts.c - commands: `audit alerts` (what a supervisor should look at,
 * computed from the verified log and the crisis records' clear columns)
 * and `audit review` (a supervisor's signed, sealed review of a
 * break-glass event), with the alert engine (see alerts.h and
 * docs/FORMAT.md §22).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "alerts.h"
#include "cert.h"
#include "duty.h"
#include "err.h"
#include "localday.h"
#include "log.h"
#include "policy.h"
#include "review.h"
#include "settings.h"
#include "text.h"
#include "verify.h"
#include "vkeys.h"
#include "banned.h"

#define SECS_PER_DAY 86400
#define MINUTES_PER_DAY 1440

/* ---- the engine ------------------------------------------------------- */

struct alert_rec {
	const char *code;
	char user[CV_NAME_MAX + 1];
	char object[48];
	char case_id[CV_ID_MAX];
	char first[CV_TIME_LEN], last[CV_TIME_LEN];
	int64_t count, seq, age_days;
	int64_t last_t;
};

/* A queue of rows (time, seq, and for decrypted cases the case id) in
 * arrival order. */
struct tq {
	int64_t *t, *seq;
	char (*id)[CV_ID_MAX];
	size_t head, n, cap;
};

/* A distinct case in a user's hour, with the rows of it in the window. */
struct cset {
	char id[CV_ID_MAX];
	size_t count;
};

struct actor {
	char name[CV_NAME_MAX + 1];
	struct tq deny, login, cases;
	long deny_alert, login_alert, cases_alert, hours_alert;
	char hours_date[CV_DUTY_DATE_LEN];
	struct cset *set; /* sorted by id */
	size_t nset, capset;
	size_t distinct;
};

struct cv_alert_engine {
	cv_alert_rules r;
	struct alert_rec *crisis, *log;
	size_t ncrisis, nlog, capcrisis, caplog;
	struct actor *actors;
	size_t nactors, capactors;
	int64_t cache_day; /* the UTC day whose offset is cached, or -1 */
	int cache_same;	   /* the offset is the same all day */
	long cache_off;
};

cv_status cv_alert_engine_new(const cv_alert_rules *rules, cv_alert_engine **out, cv_err *err)
{
	cv_alert_engine *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e)
		return cv_err_set(err, CV_ERROR, "out of memory");
	e->r = *rules;
	e->cache_day = -1;
	*out = e;
	return CV_OK;
}

static void tq_free(struct tq *q)
{
	free(q->t);
	free(q->seq);
	free(q->id);
}

void cv_alert_engine_free(cv_alert_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nactors; i++) {
		tq_free(&e->actors[i].deny);
		tq_free(&e->actors[i].login);
		tq_free(&e->actors[i].cases);
		free(e->actors[i].set);
	}
	free(e->actors);
	free(e->crisis);
	free(e->log);
	free(e);
}

static int tq_push(struct tq *q, int64_t t, int64_t seq, const char *id)
{
	if (q->head && q->head + q->n == q->cap) { /* slide to the front */
		memmove(q->t, q->t + q->head, q->n * sizeof(*q->t));
		memmove(q->seq, q->seq + q->head, q->n * sizeof(*q->seq));
		memmove(q->id, q->id + q->head, q->n * sizeof(*q->id));
		q->head = 0;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16;
		int64_t *tp = realloc(q->t, cap * sizeof(*tp));
		int64_t *sp = tp ? realloc(q->seq, cap * sizeof(*sp)) : NULL;
		char(*c)[CV_ID_MAX] = sp ? realloc(q->id, cap * sizeof(*c)) : NULL;

		if (tp)
			q->t = tp;
		if (sp)
			q->seq = sp;
		if (!c)
			return -1;
		q->id = c;
		q->cap = cap;
	}
	q->t[q->head + q->n] = t;
	q->seq[q->head + q->n] = seq;
	snprintf(q->id[q->head + q->n], CV_ID_MAX, "%s", id ? id : "");
	q->n++;
	return 0;
}

static void tq_pop(struct tq *q)
{
	q->head++;
	if (--q->n == 0)
		q->head = 0;
}

static struct actor *actor_of(cv_alert_engine *e, const char *name)
{
	struct actor *a;

	for (size_t i = 0; i < e->nactors; i++)
		if (strcmp(e->actors[i].name, name) == 0)
			return &e->actors[i];
	if (e->nactors == e->capactors) {
		size_t cap = e->capactors ? 2 * e->capactors : 8;
		struct actor *p = realloc(e->actors, cap * sizeof(*p));

		if (!p)
			return NULL;
		e->actors = p;
		e->capactors = cap;
	}
	a = &e->actors[e->nactors++];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->deny_alert = a->login_alert = a->cases_alert = a->hours_alert = -1;
	return a;
}

static struct alert_rec *new_alert(struct alert_rec **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;
		struct alert_rec *p = realloc(*v, c * sizeof(*p));

		if (!p)
			return NULL;
		*v = p;
		*cap = c;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

/* Opens a log alert of `code` for actor name at row (t, seq, time). */
static long open_alert(cv_alert_engine *e, const char *code, const char *name, int64_t t,
		       int64_t seq, const char *first, const char *last, int64_t count)
{
	struct alert_rec *a = new_alert(&e->log, &e->nlog, &e->caplog);

	if (!a)
		return -2;
	a->code = code;
	snprintf(a->user, sizeof(a->user), "%s", name);
	snprintf(a->first, sizeof(a->first), "%s", first);
	snprintf(a->last, sizeof(a->last), "%s", last);
	a->seq = seq;
	a->count = count;
	a->last_t = t;
	return (long)(e->nlog - 1);
}

/*
 * A burst: rows of one kind by one user, `need` of them within a span
 * shorter than `span` seconds.  The alert opens at the row that makes
 * the burst, counting every row of the window, and goes on taking each
 * next row less than `span` after the one before it; a longer pause
 * closes it.
 */
static cv_status burst(cv_alert_engine *e, struct tq *q, long *open, const char *code,
		       const char *name, int64_t t, int64_t seq, const char *time, int64_t need,
		       int64_t span, cv_err *err)
{
	if (tq_push(q, t, seq, NULL) != 0)
		return cv_err_set(err, CV_ERROR, "out of memory");
	while (q->n && t - q->t[q->head] >= span)
		tq_pop(q);
	if (*open >= 0 && t - e->log[*open].last_t < span) {
		struct alert_rec *a = &e->log[*open];

		a->count++;
		a->last_t = t;
		snprintf(a->last, sizeof(a->last), "%s", time);
		return CV_OK;
	}
	*open = -1;
	if ((int64_t)q->n >= need) {
		char first[CV_TIME_LEN];

		cv_time_text(q->t[q->head], first);
		*open = open_alert(e, code, name, t, q->seq[q->head], first, time, (int64_t)q->n);
		if (*open == -2)
			return cv_err_set(err, CV_ERROR, "out of memory");
	}
	return CV_OK;
}

static int cset_find(const struct actor *a, const char *id, size_t *at)
{
	size_t lo = 0, hi = a->nset;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(a->set[mid].id, id);

		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

static int cset_add(struct actor *a, const char *id)
{
	size_t at;

	if (!cset_find(a, id, &at)) {
		if (a->nset == a->capset) {
			size_t cap = a->capset ? 2 * a->capset : 16;
			struct cset *p = realloc(a->set, cap * sizeof(*p));

			if (!p)
				return -1;
			a->set = p;
			a->capset = cap;
		}
		memmove(&a->set[at + 1], &a->set[at], (a->nset - at) * sizeof(*a->set));
		snprintf(a->set[at].id, sizeof(a->set[at].id), "%s", id);
		a->set[at].count = 0;
		a->nset++;
	}
	a->set[at].count++;
	return 0;
}

static void cset_drop(struct actor *a, const char *id)
{
	size_t at;

	if (cset_find(a, id, &at) && --a->set[at].count == 0) {
		memmove(&a->set[at], &a->set[at + 1], (a->nset - at - 1) * sizeof(*a->set));
		a->nset--;
	}
}

/* One case decrypted by actor a at t: more than the threshold of distinct
 * cases within an hour opens an alert, which goes on while the user keeps
 * decrypting with pauses shorter than an hour; its count is the most
 * distinct cases seen within one hour. */
static cv_status many_cases(cv_alert_engine *e, struct actor *a, const char *case_id, int64_t t,
			    int64_t seq, const char *time, cv_err *err)
{
	struct tq *q = &a->cases;

	if (tq_push(q, t, seq, case_id) != 0 || cset_add(a, case_id) != 0)
		return cv_err_set(err, CV_ERROR, "out of memory");
	while (q->n && t - q->t[q->head] >= CV_ALERT_HOUR_SECS) {
		cset_drop(a, q->id[q->head]);
		tq_pop(q);
	}
	if (a->cases_alert >= 0 && t - e->log[a->cases_alert].last_t < CV_ALERT_HOUR_SECS) {
		struct alert_rec *r = &e->log[a->cases_alert];

		if ((int64_t)a->nset > r->count)
			r->count = (int64_t)a->nset;
		r->last_t = t;
		snprintf(r->last, sizeof(r->last), "%s", time);
		return CV_OK;
	}
	a->cases_alert = -1;
	if ((int64_t)a->nset > e->r.cases) {
		char first[CV_TIME_LEN];

		cv_time_text(q->t[q->head], first);
		a->cases_alert = open_alert(e, CV_ALERT_CASES, a->name, t, q->seq[q->head], first,
					    time, (int64_t)a->nset);
		if (a->cases_alert == -2)
			return cv_err_set(err, CV_ERROR, "out of memory");
	}
	return CV_OK;
}

/* The zone's offset from UTC at t, in seconds (whole minutes). */
static cv_status zone_offset(const cv_alert_engine *e, int64_t t, long *off, cv_err *err)
{
	char local[CV_DUTY_LOCAL_LEN];
	cv_duty_date d;
	struct tm tm = {0};
	cv_status st = cv_duty_local_format(e->r.tz, t, local, err);

	if (st != CV_OK)
		return st;
	local[10] = '\0';
	st = cv_duty_date_parse(local, &d, err);
	if (st != CV_OK)
		return st;
	tm.tm_year = d.year - 1900;
	tm.tm_mon = d.month - 1;
	tm.tm_mday = d.day;
	tm.tm_hour = (local[11] - '0') * 10 + (local[12] - '0');
	tm.tm_min = (local[14] - '0') * 10 + (local[15] - '0');
	*off = (long)((int64_t)timegm(&tm) - (t - t % 60));
	return CV_OK;
}

/* The local minute of the day and the local date of t.  The offset is
 * read at the start and the end of t's UTC day: equal, it holds all day
 * (the clocks change at most once a day), else t's own is read. */
static cv_status local_of(cv_alert_engine *e, int64_t t, int *minute, char date[CV_DUTY_DATE_LEN],
			  cv_err *err)
{
	int64_t day = t / SECS_PER_DAY, wall;
	long off = 0, end = 0;
	cv_duty_date d;
	cv_status st = CV_OK;
	time_t w;
	struct tm tm;

	if (e->cache_day != day) {
		st = zone_offset(e, day * SECS_PER_DAY, &e->cache_off, err);
		if (st == CV_OK)
			st = zone_offset(e, day * SECS_PER_DAY + SECS_PER_DAY - 1, &end, err);
		if (st != CV_OK)
			return st;
		e->cache_day = day;
		e->cache_same = end == e->cache_off;
	}
	off = e->cache_off;
	if (!e->cache_same && (st = zone_offset(e, t, &off, err)) != CV_OK)
		return st;
	wall = t + off;
	*minute = (int)((wall % SECS_PER_DAY + SECS_PER_DAY) % SECS_PER_DAY / 60);
	w = (time_t)wall;
	if (!gmtime_r(&w, &tm))
		return cv_err_set(err, CV_ERROR, "cannot convert a time to local time");
	d.year = tm.tm_year + 1900;
	d.month = tm.tm_mon + 1;
	d.day = tm.tm_mday;
	cv_duty_date_format(d, date);
	return CV_OK;
}

static int outside_hours(const cv_alert_rules *r, int minute)
{
	if (r->hours_from < r->hours_to)
		return minute < r->hours_from || minute >= r->hours_to;
	return minute < r->hours_from && minute >= r->hours_to;
}

/* Actions that reach a case (its content or its clear state). */
static int case_access(const char *action)
{
	static const char *const prefixes[] = {"case.",	    "consent.", "note.", "test.",
					       "referral.", "watch.",	"crisis"};

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(action, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static int is(const char *a, cv_action act)
{
	return strcmp(a, cv_action_name(act)) == 0;
}

static int outcome_is(const char *o, cv_outcome out)
{
	return strcmp(o, cv_outcome_name(out)) == 0;
}

static cv_status off_hours(cv_alert_engine *e, struct actor *a, const cv_audit_row *row, int64_t t,
			   cv_err *err)
{
	char date[CV_DUTY_DATE_LEN];
	int minute;
	cv_status st = local_of(e, t, &minute, date, err);

	if (st != CV_OK || !outside_hours(&e->r, minute))
		return st;
	if (a->hours_alert >= 0 && strcmp(a->hours_date, date) == 0) {
		struct alert_rec *r = &e->log[a->hours_alert];

		r->count++;
		r->last_t = t;
		snprintf(r->last, sizeof(r->last), "%s", row->time);
		return CV_OK;
	}
	a->hours_alert =
	    open_alert(e, CV_ALERT_HOURS, a->name, t, row->seq, row->time, row->time, 1);
	if (a->hours_alert == -2)
		return cv_err_set(err, CV_ERROR, "out of memory");
	snprintf(e->log[a->hours_alert].object, sizeof(e->log[a->hours_alert].object), "%s", date);
	snprintf(a->hours_date, sizeof(a->hours_date), "%s", date);
	return CV_OK;
}

cv_status cv_alert_feed(cv_alert_engine *e, const cv_audit_row *row, cv_err *err)
{
	struct actor *a;
	int64_t t;
	char seq[24];
	int ok = outcome_is(row->outcome, CV_OUT_OK);

	if (cv_time_secs(row->time, &t) != 0)
		return cv_fail(err, CV_EINTEGRITY, "log.row-malformed",
			       "audit row {1} has no valid time: the log was tampered with",
			       cv_num(seq, row->seq));
	if (t < e->r.since)
		return CV_OK;
	if (is(row->action, CV_ACT_CHECKPOINT))
		return CV_OK;
	if (!(a = actor_of(e, row->actor)))
		return cv_err_set(err, CV_ERROR, "out of memory");
	if (is(row->action, CV_ACT_LOGIN) && !ok)
		return burst(e, &a->login, &a->login_alert, CV_ALERT_LOGINS, a->name, t, row->seq,
			     row->time, e->r.logins, CV_ALERT_HOUR_SECS, err);
	if (outcome_is(row->outcome, CV_OUT_DENIED))
		return burst(e, &a->deny, &a->deny_alert, CV_ALERT_DENIALS, a->name, t, row->seq,
			     row->time, e->r.denials, e->r.denial_secs, err);
	if (!ok)
		return CV_OK;
	if (is(row->action, CV_ACT_STATS_EXPORT)) {
		long i =
		    open_alert(e, CV_ALERT_EXPORT, a->name, t, row->seq, row->time, row->time, 1);

		if (i == -2)
			return cv_err_set(err, CV_ERROR, "out of memory");
		snprintf(e->log[i].object, sizeof(e->log[i].object), "%s", row->object);
		return CV_OK;
	}
	if (!case_access(row->action))
		return CV_OK;
	if ((is(row->action, CV_ACT_CASE_READ) || is(row->action, CV_ACT_CASE_SHOW)) &&
	    strncmp(row->object, "case:", 5) == 0 && cv_id_ok(row->object + 5)) {
		cv_status st = many_cases(e, a, row->object + 5, t, row->seq, row->time, err);

		if (st != CV_OK)
			return st;
	}
	/* A note read names its case in the detail ("case=ID"). */
	if (is(row->action, CV_ACT_NOTE_SHOW) && strncmp(row->detail, "case=", 5) == 0 &&
	    cv_id_ok(row->detail + 5)) {
		cv_status st = many_cases(e, a, row->detail + 5, t, row->seq, row->time, err);

		if (st != CV_OK)
			return st;
	}
	return off_hours(e, a, row, t, err);
}

cv_status cv_alert_crisis(cv_alert_engine *e, const char *event, const char *case_id,
			  const char *author, const char *created_at, int64_t now, cv_err *err)
{
	struct alert_rec *a = new_alert(&e->crisis, &e->ncrisis, &e->capcrisis);
	int64_t t = 0;

	if (!a)
		return cv_err_set(err, CV_ERROR, "out of memory");
	a->code = CV_ALERT_CRISIS;
	snprintf(a->user, sizeof(a->user), "%s", author);
	snprintf(a->object, sizeof(a->object), "%s", event);
	snprintf(a->case_id, sizeof(a->case_id), "%s", case_id);
	snprintf(a->first, sizeof(a->first), "%s", created_at);
	snprintf(a->last, sizeof(a->last), "%s", created_at);
	a->count = 1;
	if (cv_time_secs(created_at, &t) == 0 && now > t)
		a->age_days = (now - t) / SECS_PER_DAY;
	return CV_OK;
}

size_t cv_alert_count(const cv_alert_engine *e)
{
	return e->ncrisis + e->nlog;
}

void cv_alert_get(const cv_alert_engine *e, size_t i, cv_alert *out)
{
	const struct alert_rec *a = i < e->ncrisis ? &e->crisis[i] : &e->log[i - e->ncrisis];

	out->code = a->code;
	out->user = a->user;
	out->object = a->object;
	out->case_id = a->case_id;
	out->first = a->first;
	out->last = a->last;
	out->count = a->count;
	out->seq = a->seq;
	out->age_days = a->age_days;
}

/* ---- audit alerts ------------------------------------------------------ */

/* The rules in force: the signed settings. */
static cv_status load_rules(cv_vault *v, cv_alert_rules *r, char *zone, cv_err *err)
{
	const struct {
		cv_setting_id id;
		int64_t *out;
		int64_t scale;
	} nums[] = {
	    {CV_SET_ALERT_DENIALS, &r->denials, 1},
	    {CV_SET_ALERT_DENIAL_MINUTES, &r->denial_secs, 60},
	    {CV_SET_ALERT_LOGINS, &r->logins, 1},
	    {CV_SET_ALERT_CASES, &r->cases, 1},
	};
	char hours[128];
	cv_status st = CV_OK;

	for (size_t i = 0; i < ARRAY_SIZE(nums) && st == CV_OK; i++) {
		long n = 0;

		st = cv_setting_int(v, nums[i].id, &n, err);
		*nums[i].out = (int64_t)n * nums[i].scale;
	}
	if (st == CV_OK)
		st = cv_setting_text(v, CV_SET_ALERT_HOURS, hours, NULL, NULL, err);
	if (st == CV_OK && cv_setting_hours(hours, &r->hours_from, &r->hours_to) != 0)
		st = cv_err_set(err, CV_ERROR, "internal error: alert_hours is not a span");
	if (st == CV_OK)
		st = cv_local_zone(v, zone, &r->tz, err);
	return st;
}

struct feed {
	cv_alert_engine *e;
	cv_err *err;
	cv_status st;
};

static int feed_row(const cv_audit_rec *r, void *arg)
{
	struct feed *f = arg;
	cv_audit_row row = {r->seq,    r->time,	   r->actor,  r->action,
			    r->object, r->outcome, r->detail, r->has_sig};

	f->st = cv_alert_feed(f->e, &row, f->err);
	return f->st != CV_OK;
}

static int keep_review(const cv_review_rec *r, void *arg)
{
	return cv_id_list_add(r->event, arg);
}

static int is_reviewed(const cv_id_list *l, const char *event)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->ids[i], event) == 0)
			return 1;
	return 0;
}

/* Everything the alerts are computed from, read in the caller's
 * transaction after the vault verified. */
static cv_status compute(cv_session *s, cv_alert_engine *e, const char *since_text, cv_err *err)
{
	cv_store_audit_query q = {0};
	cv_crisis_event *ev = NULL;
	cv_id_list done = {0};
	struct feed f = {e, err, CV_OK};
	cv_audit_report rep;
	char now_text[CV_TIME_LEN];
	int64_t now = 0;
	size_t nev = 0;
	cv_status st = cv_verify_vault(s->v, &rep, err);

	if (st == CV_OK)
		st = cv_access_crisis_events(s, &ev, &nev, err);
	if (st == CV_OK)
		st = cv_store_review_each(s->v->st, keep_review, &done, err);
	if (st == CV_OK && done.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	cv_time_now(now_text);
	cv_time_secs(now_text, &now);
	for (size_t i = 0; i < nev && st == CV_OK; i++) {
		char author[CV_NAME_MAX + 8];

		if (is_reviewed(&done, ev[i].id))
			continue;
		cv_user_name(s->v, ev[i].author_id, author, sizeof(author));
		st =
		    cv_alert_crisis(e, ev[i].id, ev[i].case_id, author, ev[i].created_at, now, err);
	}
	q.since = since_text;
	if (st == CV_OK)
		st = cv_store_audit_each(s->v->st, &q, feed_row, &f, err);
	if (st == CV_OK)
		st = f.st;
	free(ev);
	cv_id_list_free(&done);
	return st;
}

cv_status cv_audit_alerts(cv_session *s, const char *since, int (*cb)(const cv_alert *a, void *arg),
			  void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	char zone[CV_LOCAL_TZ_CAP], since_text[CV_TIME_LEN], detail[48];
	cv_alert_rules rules = {0};
	cv_alert_engine *e = NULL;
	cv_status st;

	st = cv_policy_check(s, CV_ACT_AUDIT_ALERTS, "audit", err);
	if (st != CV_OK)
		return st;
	st = load_rules(s->v, &rules, zone, err);
	if (st == CV_OK && since && strlen(since) != 10)
		st = cv_fail(err, CV_EUSAGE, "date.invalid",
			     "{1} '{2}' is not a date; use YYYY-MM-DD", "--since", since);
	if (st == CV_OK && since)
		st = cv_local_day_start(rules.tz, since, &rules.since, err);
	if (st == CV_OK)
		cv_time_text(rules.since, since_text);
	if (st == CV_OK)
		st = cv_alert_engine_new(&rules, &e, err);
	/* One snapshot: the verification and the reading see the same rows. */
	if (st == CV_OK && (st = cv_store_begin(s->v->st, err)) == CV_OK) {
		st = compute(s, e, since ? since_text : NULL, err);
		cv_store_rollback(s->v->st);
	}
	if (st != CV_OK) {
		cv_alert_engine_free(e);
		return cv_op_fail(s, CV_ACT_AUDIT_ALERTS, "audit", err);
	}
	snprintf(detail, sizeof(detail), "alerts=%zu", cv_alert_count(e));
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_AUDIT_ALERTS, "audit", CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	for (size_t i = 0; st == CV_OK && i < cv_alert_count(e); i++) {
		cv_alert a;

		cv_alert_get(e, i, &a);
		if (cb(&a, arg))
			break;
	}
	cv_alert_engine_free(e);
	return st;
}

/* ---- audit review ------------------------------------------------------- */

/* The log recorded a review of event, and its row is gone. */
static cv_status review_gone(const char *event, cv_err *err)
{
	return cv_fail(err, CV_EINTEGRITY, "review.deleted",
		       "the review of event '{1}' was recorded in the log but its row is gone: "
		       "the vault was tampered with (restore it from a backup)",
		       event);
}

cv_status cv_audit_review(cv_session *s, const char *event, const char *note, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], detail[CV_ID_MAX + 8], who[CV_NAME_MAX + 8];
	cv_review_rec r = {0}, old = {0};
	cv_crisis_event ev;
	int64_t logged = 0;
	cv_status st;

	cv_review_object(object, sizeof(object), "crisis", event);
	st = cv_policy_check(s, CV_ACT_AUDIT_REVIEW, object, err);
	if (st != CV_OK)
		return st;
	st = cv_review_note_check(note, err);
	if (st == CV_OK)
		st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_access_crisis_event(s, event, &ev, err);
	if (st == CV_OK && ev.author_id == s->me.id)
		st = cv_fail(err, CV_EDENIED, "review.own-event",
			     "'{1}' wrote break-glass event '{2}' and may not review it; another "
			     "supervisor must",
			     s->me.name, ev.id);
	if (st == CV_OK) {
		st = cv_store_review_get(s->v->st, ev.id, &old, err);
		if (st == CV_OK && (st = cv_review_check(s->v, &old, err)) == CV_OK)
			st = cv_fail(err, CV_EDENIED, "review.already",
				     "break-glass event '{1}' was already reviewed by '{2}' at "
				     "{3}; a review is never replaced",
				     ev.id, cv_user_name(s->v, old.reviewer_id, who, sizeof(who)),
				     old.reviewed_at);
		else if (st == CV_ENOTFOUND)
			st = cv_review_logged(s->v, ev.id, &logged, err);
		if (st == CV_OK && logged)
			st = review_gone(ev.id, err);
	}
	cv_review_rec_clear(&old);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_AUDIT_REVIEW, object, err);
	snprintf(r.event, sizeof(r.event), "%s", ev.id);
	snprintf(r.case_id, sizeof(r.case_id), "%s", ev.case_id);
	r.reviewer_id = s->me.id;
	cv_time_now(r.reviewed_at);
	r.seq = s->head.seq + 1; /* the audit.review row below */
	st = cv_review_seal(s->v, &r, note, err);
	if (st == CV_OK)
		st = cv_review_sign(s->v, &r, s->kh, err);
	if (st == CV_OK)
		st = cv_store_review_insert(s->v->st, &r, err);
	cv_review_rec_clear(&r);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_AUDIT_REVIEW, object, err);
	snprintf(detail, sizeof(detail), "case=%s", ev.case_id);
	st = cv_op_log(s, CV_ACT_AUDIT_REVIEW, object, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	return st;
}

cv_status cv_audit_review_show(cv_session *s, const char *event,
			       int (*cb)(const cv_review_info *r, void *arg), void *arg,
			       cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], who[CV_NAME_MAX + 8];
	cv_review_rec r = {0};
	int64_t logged = 0;
	uint8_t *sk = NULL;
	char *note = NULL;
	cv_status st;

	cv_review_object(object, sizeof(object), "review", event);
	st = cv_policy_check(s, CV_ACT_AUDIT_REVIEW, object, err);
	if (st != CV_OK)
		return st;
	st = cv_vkey_open(s, CV_VKEY_STATS, &sk, err);
	if (st == CV_OK)
		st = cv_id_ok(event) ? cv_store_review_get(s->v->st, event, &r, err) : CV_ENOTFOUND;
	/* No row: none was made, unless the log says one was. */
	if (st == CV_ENOTFOUND && cv_id_ok(event) &&
	    (st = cv_review_logged(s->v, event, &logged, err)) == CV_OK)
		st = logged ? review_gone(event, err) : CV_ENOTFOUND;
	if (st == CV_ENOTFOUND)
		st =
		    cv_fail(err, CV_ENOTFOUND, "review.not-found",
			    "break-glass event '{1}' has no review; 'casevault audit alerts' lists "
			    "the events awaiting one",
			    event ? event : "");
	if (st == CV_OK)
		st = cv_review_check(s->v, &r, err);
	if (st == CV_OK)
		st = cv_review_open(s->v, &r, sk, &note, err);
	sodium_free(sk);
	if (st != CV_OK) {
		cv_review_rec_clear(&r);
		return cv_op_fail(s, CV_ACT_AUDIT_REVIEW, object, err);
	}
	/* Logged before the note is shown. */
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_AUDIT_REVIEW, object, CV_OUT_OK, "", err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st == CV_OK) {
		cv_review_info info = {r.event, r.case_id,
				       cv_user_name(s->v, r.reviewer_id, who, sizeof(who)),
				       r.reviewed_at, note};

		cb(&info, arg);
	}
	sodium_free(note);
	cv_review_rec_clear(&r);
	return st;
}

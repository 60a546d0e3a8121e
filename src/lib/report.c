/*
 * report.c - commands layer: `report compliance`, the counseling room's
 * work judged item by item against the standard's checklist (duty hours
 * and records, prompt archiving, complete closed cases, consent and its
 * crisis exception, tests, referral and key-student follow-ups, the log),
 * by a supervisor, from what the vault holds in clear or seals to the
 * stats key: record metadata (types, kinds, states, dates, due dates),
 * the statistics boxes (consent scopes), the duty log, the reviews and
 * the audit log.  No case key is unsealed and no content box is opened:
 * the records are read through the access layer's statistics walk.  The
 * definitions are docs/FORMAT.md §24.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>

#include "access.h"
#include "duty.h"
#include "dutylog.h"
#include "err.h"
#include "localday.h"
#include "log.h"
#include "policy.h"
#include "settings.h"
#include "store.h"
#include "text.h"
#include "verify.h"
#include "vocab.h"
#include "banned.h"

#define REPORT_OBJECT "report"
#define REPORT_SCHEMA "casevault-compliance-1"
#define FIGURE_MAX 320
#define SUBJECT_MAX 96
/* The longest period: two years (a term is at most twelve months). */
#define PERIOD_DAYS_MAX 731

/* The items, in the standard's order (docs/FORMAT.md §24). */
enum {
	I_DUTY_HOURS = 0,
	I_DUTY_RECORDS,
	I_DRAFTS,
	I_CLOSED,
	I_CONSENT,
	I_TESTS,
	I_REFERRALS,
	I_WATCH,
	I_LOG,
};

static const struct {
	const char *code;
	const char *title;
	const char *title_zh;
} item_names[CV_REPORT_ITEMS] = {
    {"duty.hours", "open at least the duty_hours threshold every week",
     "每周开放时间不少于规定时数"},
    {"duty.records", "a duty record for every week with case work", "开放的每一周均有值班记录"},
    {"notes.archived", "no draft note older than the archive deadline",
     "记录及时归档（无超期草稿）"},
    {"cases.complete", "closed cases have a final analysis note and a final outcome note",
     "结案个案有分析与对策、辅导效果评价记录"},
    {"consent",
     "work without consent only under crisis, each event reviewed; none after a "
     "withdrawal",
     "知情自愿：无同意的工作仅限危机干预且均经复核；撤回同意后未继续工作"},
    {"tests", "tests only under testing consent or crisis, exported only as counts",
     "谨慎使用心理测试：均有测试同意或危机例外，仅以计数导出"},
    {"referrals.followup", "no referral follow-up past its due date", "转介按期跟进、记录在案"},
    {"watch.followup", "no key-student follow-up past its due date", "重点学生按期跟踪"},
    {"log", "the log verifies; every decrypting read by a granted counselor",
     "日志完整可验证；解密访问均由获授权的辅导员进行"},
};

struct item {
	char figure[FIGURE_MAX];
	cv_err parts; /* the figure's template and arguments */
	char **subj;
	size_t n, cap;
};

struct cv_report {
	char from[CV_DUTY_DATE_LEN], to[CV_DUTY_DATE_LEN], as_of[CV_DUTY_DATE_LEN];
	char school[128]; /* the school setting, "" when unset */
	char term[24];	  /* the term asked for ("2026-autumn"), "" for dates */
	struct item items[CV_REPORT_ITEMS];
	cv_report_item pub[CV_REPORT_ITEMS];
	int oom;
};

void cv_report_free(cv_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < CV_REPORT_ITEMS; i++) {
		for (size_t j = 0; j < r->items[i].n; j++)
			free(r->items[i].subj[j]);
		free(r->items[i].subj);
	}
	free(r);
}

/* Adds subject text to item i once (a case named twice is one subject). */
static void subject(cv_report *r, size_t i, const char *text)
{
	struct item *it = &r->items[i];
	char **grown;

	for (size_t j = 0; j < it->n; j++)
		if (strcmp(it->subj[j], text) == 0)
			return;
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 8;

		if (!(grown = realloc(it->subj, cap * sizeof(*grown)))) {
			r->oom = 1;
			return;
		}
		it->subj = grown;
		it->cap = cap;
	}
	if (!(it->subj[it->n] = strdup(text))) {
		r->oom = 1;
		return;
	}
	it->n++;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the period ----------------------------------------------------------- */

static cv_status period_bad(const char *what, cv_err *err)
{
	return cv_fail(err, CV_EUSAGE, "report.period",
		       "{1}; give --term YYYY-autumn|YYYY-spring, or --from YYYY-MM-DD --to "
		       "YYYY-MM-DD",
		       what);
}

cv_status cv_report_period(const char *term, const char *from, const char *to, cv_err *err)
{
	CV_ERR_GUARD(err);
	char a[CV_STATS_MONTH_LEN], b[CV_STATS_MONTH_LEN];
	cv_duty_date df, dt;

	if (term && (from || to))
		return period_bad(CV_PHRASE("give a term or dates, not both"), err);
	if (term)
		return cv_stats_period(term, NULL, NULL, a, b, err) == CV_OK
			   ? CV_OK
			   : period_bad(CV_PHRASE("the term is not YYYY-autumn or YYYY-spring"),
					err);
	if (!from || !to)
		return period_bad(CV_PHRASE("give both dates of the period"), err);
	if (cv_duty_date_parse(from, &df, NULL) != CV_OK || strlen(from) != 10)
		return period_bad(CV_PHRASE("--from is not a date"), err);
	if (cv_duty_date_parse(to, &dt, NULL) != CV_OK || strlen(to) != 10)
		return period_bad(CV_PHRASE("--to is not a date"), err);
	if (strcmp(from, to) > 0)
		return period_bad(CV_PHRASE("--to is before --from"), err);
	if (cv_date_diff(from, to) + 1 > PERIOD_DAYS_MAX)
		return period_bad(CV_PHRASE("the period is longer than two years"), err);
	return CV_OK;
}

/* The first and last days of the period: a term's whole months in the
 * vault's term settings, or from..to. */
static cv_status period_days(cv_vault *v, const char *term, const char *from, const char *to,
			     cv_report *r, cv_err *err)
{
	char a[CV_STATS_MONTH_LEN], b[CV_STATS_MONTH_LEN];
	cv_duty_date df, dt;
	cv_status st = cv_report_period(term, from, to, err);

	if (st != CV_OK || !term) {
		if (st == CV_OK) {
			snprintf(r->from, sizeof(r->from), "%s", from);
			snprintf(r->to, sizeof(r->to), "%s", to);
		}
		return st;
	}
	st = cv_stats_term(v, term, a, b, err);
	if (st != CV_OK)
		return st;
	st = cv_duty_months(a, b, &df, &dt, err);
	if (st == CV_OK) {
		cv_duty_date_format(df, r->from);
		cv_duty_date_format(dt, r->to);
	}
	return st;
}

/* ---- what the computation gathers ---------------------------------------- */

/* A counselor's decrypting reads in the period. */
struct reader {
	char name[CV_NAME_MAX + 1];
	long long reads;
};

/* A key copy of a case held by a user, as the log tells it: from the log
 * row that gave it up to (not including) the row that ended it. */
struct grant {
	char case_id[CV_ID_MAX];
	char user[CV_NAME_MAX + 1];
	int64_t from, to; /* log seqs; to = HELD while it is held */
};
#define HELD INT64_MAX

/* A note read (note.show) in the period: the log names the note, not its
 * case; the case comes from the records walk, and the grant is judged then
 * as it stood at the read. */
struct note_read {
	char note_id[CV_ID_MAX];
	char case_id[CV_ID_MAX]; /* "" until the records walk finds the note */
	char actor[CV_NAME_MAX + 1];
	int64_t seq;
};

struct ctx {
	cv_session *s;
	cv_report *r;
	const char *tz;
	int64_t from_utc, end_utc; /* [first instant of from, first instant after to) */
	int64_t asof_utc;	   /* first instant after as_of */
	long archive_days;
	cv_duty_week *weeks;
	size_t nweeks;
	unsigned char *worked; /* per week: an ok row of case work */
	/* from the log */
	cv_id_list crisis_objects; /* notes and tests done under --crisis ("note:N-ID") */
	int64_t crisis_seq;	   /* the last crisis row, awaiting its action's row */
	struct grant *grants;
	size_t ngrants, grants_cap;
	struct note_read *note_reads; /* sorted by note id once the log is read */
	size_t nnote_reads, note_reads_cap;
	struct reader *readers;
	size_t nreaders;
	long long reads, ungranted, exports;
	/* counts per item */
	long long count[CV_REPORT_ITEMS], total[CV_REPORT_ITEMS];
	long long crisis_events, withdrawn_work;
	int verify_failed;
	char verify_code[CV_ERR_CODE_MAX];
	int oom;
};

static int in_period(const struct ctx *x, const char *time)
{
	int64_t t;

	return cv_time_secs(time, &t) == 0 && t >= x->from_utc && t < x->end_utc;
}

/* ---- the log ------------------------------------------------------------- */

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Actions that are work on a case (as `audit alerts` counts them). */
static int case_work(const char *action)
{
	return starts(action, "case.") || starts(action, "consent.") || starts(action, "note.") ||
	       starts(action, "test.") || starts(action, "referral.") || starts(action, "watch.") ||
	       strcmp(action, "crisis") == 0;
}

/* Whether user held a grant of case_id at log row seq. */
static int has_grant(const struct ctx *x, const char *case_id, const char *user, int64_t seq)
{
	for (size_t i = 0; i < x->ngrants; i++)
		if (x->grants[i].from <= seq && seq < x->grants[i].to &&
		    strcmp(x->grants[i].case_id, case_id) == 0 &&
		    strcmp(x->grants[i].user, user) == 0)
			return 1;
	return 0;
}

static void grant_add(struct ctx *x, const char *case_id, const char *user, int64_t seq)
{
	if (has_grant(x, case_id, user, seq))
		return;
	if (x->ngrants == x->grants_cap) {
		size_t cap = x->grants_cap ? x->grants_cap * 2 : 32;
		struct grant *g = realloc(x->grants, cap * sizeof(*g));

		if (!g) {
			x->oom = 1;
			return;
		}
		x->grants = g;
		x->grants_cap = cap;
	}
	snprintf(x->grants[x->ngrants].case_id, CV_ID_MAX, "%s", case_id);
	snprintf(x->grants[x->ngrants].user, CV_NAME_MAX + 1, "%s", user);
	x->grants[x->ngrants].from = seq;
	x->grants[x->ngrants].to = HELD;
	x->ngrants++;
}

/* Ends, at log row seq, the grants of user (when not NULL) or of case_id. */
static void grant_drop(struct ctx *x, const char *case_id, const char *user, int64_t seq)
{
	for (size_t i = 0; i < x->ngrants; i++)
		if (x->grants[i].to == HELD && (user ? strcmp(x->grants[i].user, user) == 0
						     : strcmp(x->grants[i].case_id, case_id) == 0))
			x->grants[i].to = seq;
}

static void note_read_add(struct ctx *x, const char *note_id, const char *case_id,
			  const char *actor, int64_t seq)
{
	struct note_read *m;

	if (x->nnote_reads == x->note_reads_cap) {
		size_t cap = x->note_reads_cap ? x->note_reads_cap * 2 : 32;

		if (!(m = realloc(x->note_reads, cap * sizeof(*m)))) {
			x->oom = 1;
			return;
		}
		x->note_reads = m;
		x->note_reads_cap = cap;
	}
	m = &x->note_reads[x->nnote_reads++];
	snprintf(m->note_id, sizeof(m->note_id), "%s", note_id);
	snprintf(m->case_id, sizeof(m->case_id), "%s", case_id);
	snprintf(m->actor, sizeof(m->actor), "%s", actor);
	m->seq = seq;
}

static int by_note(const void *a, const void *b)
{
	const struct note_read *x = a, *y = b;
	int c = strcmp(x->note_id, y->note_id);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* The records walk found note_id in case_id: every read of it learns its
 * case. */
static void note_read_case(struct ctx *x, const char *note_id, const char *case_id)
{
	struct note_read key;
	size_t lo = 0, hi = x->nnote_reads;

	snprintf(key.note_id, sizeof(key.note_id), "%s", note_id);
	key.seq = INT64_MIN;
	while (lo < hi) { /* the first read of note_id */
		size_t mid = lo + (hi - lo) / 2;

		if (by_note(&x->note_reads[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < x->nnote_reads && strcmp(x->note_reads[lo].note_id, note_id) == 0; lo++)
		if (!x->note_reads[lo].case_id[0])
			snprintf(x->note_reads[lo].case_id, sizeof(x->note_reads[lo].case_id), "%s",
				 case_id);
}

/* Each note read whose case is known, against the grants at the read (a
 * note of a case shredded since is not in the records: its read is
 * counted, but cannot be judged). */
static void note_reads_judge(struct ctx *x)
{
	for (size_t i = 0; i < x->nnote_reads; i++) {
		const struct note_read *m = &x->note_reads[i];
		char line[SUBJECT_MAX];

		if (!m->case_id[0] || has_grant(x, m->case_id, m->actor, m->seq))
			continue;
		x->ungranted++;
		snprintf(line, sizeof(line), "%s of %s read by %s without a grant", m->note_id,
			 m->case_id, m->actor);
		subject(x->r, I_LOG, line);
	}
}

/* The value of key=VALUE (up to a space) in detail into out. */
static void detail_value(const char *detail, const char *key, char *out, size_t cap)
{
	const char *p = detail;
	size_t k = strlen(key), n = 0;

	out[0] = '\0';
	while (p && *p) {
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			p += k + 1;
			while (p[n] && p[n] != ' ')
				n++;
			snprintf(out, cap, "%.*s", (int)n, p);
			return;
		}
		p = strchr(p, ' ');
		if (p)
			p++;
	}
}

static void count_read(struct ctx *x, const char *actor)
{
	struct reader *g;

	x->reads++;
	for (size_t i = 0; i < x->nreaders; i++)
		if (strcmp(x->readers[i].name, actor) == 0) {
			x->readers[i].reads++;
			return;
		}
	if (!(g = realloc(x->readers, (x->nreaders + 1) * sizeof(*g)))) {
		x->oom = 1;
		return;
	}
	x->readers = g;
	snprintf(g[x->nreaders].name, sizeof(g[x->nreaders].name), "%s", actor);
	g[x->nreaders++].reads = 1;
}

/* The week of the period that holds instant t, or -1. */
static long week_of(const struct ctx *x, int64_t t)
{
	for (size_t i = 0; i < x->nweeks; i++)
		if (t >= x->weeks[i].start_utc && t < x->weeks[i].end_utc)
			return (long)i;
	return -1;
}

/* One log row, in seq order: the grants it makes or ends, the objects done
 * under --crisis, the weeks with case work, and the decrypting reads. */
static int log_row(const cv_audit_rec *a, void *arg)
{
	struct ctx *x = arg;
	const char *id = strchr(a->object, ':');
	int ok = strcmp(a->outcome, "ok") == 0;
	char who[CV_NAME_MAX + 1];
	int64_t t = 0;

	id = id ? id + 1 : "";
	if (strcmp(a->action, "checkpoint") == 0)
		return 0;
	/* The row just after a crisis row is the action it let through; the
	 * notes and tests are what items 5 and 6 look up. */
	if (x->crisis_seq && a->seq == x->crisis_seq + 1 && ok &&
	    (starts(a->object, "note:") || starts(a->object, "test:")) &&
	    cv_id_list_add(a->object, &x->crisis_objects) != 0)
		x->oom = 1;
	x->crisis_seq = ok && strcmp(a->action, "crisis") == 0 ? a->seq : 0;
	if (!ok)
		return x->oom;
	if (strcmp(a->action, "case.open") == 0)
		grant_add(x, id, a->actor, a->seq);
	else if (strcmp(a->action, "case.share") == 0 || strcmp(a->action, "case.handover") == 0) {
		detail_value(a->detail, "to", who, sizeof(who));
		grant_add(x, id, who, a->seq);
	} else if (strcmp(a->action, "case.shred") == 0)
		grant_drop(x, id, NULL, a->seq);
	else if (strcmp(a->action, "user.disable") == 0)
		grant_drop(x, NULL, id, a->seq);
	if (cv_time_secs(a->time, &t) != 0 || t < x->from_utc || t >= x->end_utc)
		return x->oom;
	if (case_work(a->action) && t < x->asof_utc) {
		long w = week_of(x, t);

		if (w >= 0)
			x->worked[w] = 1;
	}
	if (strcmp(a->action, "stats.export") == 0)
		x->exports++;
	if (strcmp(a->action, "case.read") == 0 || strcmp(a->action, "case.show") == 0) {
		count_read(x, a->actor);
		if (!has_grant(x, id, a->actor, a->seq)) {
			char line[SUBJECT_MAX];

			x->ungranted++;
			snprintf(line, sizeof(line), "%s read by %s without a grant", id, a->actor);
			subject(x->r, I_LOG, line);
		}
	} else if (strcmp(a->action, "note.show") == 0 && starts(a->object, "note:")) {
		/* The row names the note's case ("case=ID"); an older row does
		 * not, and the records walk finds it. */
		int named = starts(a->detail, "case=") && cv_id_ok(a->detail + 5);

		count_read(x, a->actor);
		note_read_add(x, id, named ? a->detail + 5 : "", a->actor, a->seq);
	}
	return x->oom;
}

static int listed(const cv_id_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->ids[i], id) == 0)
			return 1;
	return 0;
}

/* ---- the records (the statistics walk: clear columns and stats boxes) ---- */

/* The scope a note of kind needs (docs/FORMAT.md §12.4). */
static unsigned note_scope(const char *kind)
{
	return strcmp(kind, "contact") == 0 ? CV_SCOPE_GUARDIAN_CONTACT : CV_SCOPE_INDIVIDUAL;
}

/* The kind that decides an addendum's scope: its amended note's. */
static const char *note_kind(const cv_stats_attrs *a, const cv_stats_record *n)
{
	if (strcmp(n->kind, "addendum") != 0)
		return n->kind;
	for (size_t i = 0; i < a->nrecords; i++)
		if (strcmp(a->records[i].id, n->parent) == 0)
			return a->records[i].kind;
	return "";
}

static int one_case(const cv_stats_attrs *a, void *arg)
{
	struct ctx *x = arg;
	cv_report *r = x->r;
	const char *as_of = r->as_of;
	unsigned student = 0, guardian = 0;
	int withdrawn = 0, analysis = 0, outcome = 0;

	for (size_t i = 0; i < a->nrecords; i++) {
		const cv_stats_record *d = &a->records[i];
		char object[CV_ID_MAX + 16], created[CV_DUTY_DATE_LEN];
		int period = in_period(x, d->created_at);
		unsigned need;

		snprintf(created, sizeof(created), "%.10s", d->created_at);
		if (strcmp(d->type, "consent") == 0) {
			if (strcmp(d->action, "record") == 0) {
				if (strcmp(d->by, "guardian") == 0)
					guardian |= d->scopes;
				else
					student |= d->scopes;
			} else {
				if (strcmp(d->by, "guardian") != 0)
					student &= ~d->scopes;
				if (strcmp(d->by, "student") != 0)
					guardian &= ~d->scopes;
				withdrawn = 1;
			}
		} else if (strcmp(d->type, "note") == 0) {
			int draft = strcmp(d->status, "draft") == 0;

			need = note_scope(note_kind(a, d));
			if (draft && strcmp(created, as_of) <= 0) {
				x->total[I_DRAFTS]++;
				if (cv_date_diff(created, as_of) > x->archive_days) {
					x->count[I_DRAFTS]++;
					subject(r, I_DRAFTS, a->case_id);
				}
			}
			if (!draft && strcmp(d->kind, "analysis") == 0)
				analysis = 1;
			if (!draft && strcmp(d->kind, "outcome") == 0)
				outcome = 1;
			snprintf(object, sizeof(object), "note:%s", d->id);
			note_read_case(x, d->id, a->case_id);
			if (period && withdrawn &&
			    !((student & need) && (!a->minor || (guardian & need))) &&
			    !listed(&x->crisis_objects, object)) {
				x->withdrawn_work++;
				subject(r, I_CONSENT, a->case_id);
			}
		} else if (strcmp(d->type, "test") == 0 && period) {
			need = CV_SCOPE_TESTING;
			x->total[I_TESTS]++;
			snprintf(object, sizeof(object), "test:%s", d->id);
			if (!((student & need) && (!a->minor || (guardian & need))) &&
			    !listed(&x->crisis_objects, object)) {
				x->count[I_TESTS]++;
				subject(r, I_TESTS, a->case_id);
			}
		} else if (strcmp(d->type, "crisis") == 0 && period) {
			x->crisis_events++;
			if (!d->reviewed) {
				x->count[I_CONSENT]++;
				subject(r, I_CONSENT, d->id);
			}
		} else if ((strcmp(d->type, "referral") == 0 || strcmp(d->type, "watch") == 0) &&
			   strcmp(created, as_of) <= 0) {
			size_t it = d->type[0] == 'r' ? I_REFERRALS : I_WATCH;

			x->total[it]++;
			if (d->due[0] && strcmp(d->due, as_of) < 0) {
				x->count[it]++;
				subject(r, it, a->case_id);
			}
		}
	}
	if (a->closed[0] && strcmp(a->closed, r->from) >= 0 && strcmp(a->closed, r->to) <= 0) {
		x->total[I_CLOSED]++;
		if (!analysis || !outcome) {
			x->count[I_CLOSED]++;
			subject(r, I_CLOSED, a->case_id);
		}
	}
	return r->oom || x->oom;
}

/* ---- verdicts ------------------------------------------------------------ */

/* Item i's verdict; its figure is tmpl with the string arguments that
 * follow (NULL-terminated, at most CV_ERR_ARGS) put in, kept apart too so
 * that a front end can put them into a translation of tmpl. */
#define verdict(r, i, status, count, total, ...)                                                   \
	verdict_((r), (i), (status), (count), (total), __VA_ARGS__, (const char *)0)

static void verdict_(cv_report *r, size_t i, cv_report_status status, long long count,
		     long long total, const char *tmpl, ...)
{
	struct item *it = &r->items[i];
	const char *a[CV_ERR_ARGS] = {0};
	va_list ap;
	size_t n;

	r->pub[i].status = status;
	r->pub[i].count = count;
	r->pub[i].total = total;
	va_start(ap, tmpl);
	for (size_t k = 0; k < CV_ERR_ARGS; k++)
		if (!(a[k] = va_arg(ap, const char *)))
			break;
	va_end(ap);
	cv_fail(&it->parts, CV_OK, "report.figure", tmpl, a[0], a[1], a[2], a[3]);
	n = strnlen(it->parts.msg, sizeof(it->figure) - 1);
	memcpy(it->figure, it->parts.msg, n);
	it->figure[n] = '\0';
}

static void verdicts(struct ctx *x, int64_t threshold, int begun)
{
	cv_report *r = x->r;
	long long under = 0, worked = 0, unrecorded = 0;
	char line[SUBJECT_MAX];

	for (size_t i = 0; i < x->nweeks; i++) {
		char wk[CV_DUTY_WEEK_LEN];
		cv_duty_isoweek iw = {x->weeks[i].iso_year, x->weeks[i].iso_week,
				      x->weeks[i].monday};

		cv_duty_isoweek_format(&iw, wk);
		if (x->weeks[i].under) {
			under++;
			subject(r, I_DUTY_HOURS, wk);
		}
		if (x->worked[i]) {
			worked++;
			if (x->weeks[i].minutes == 0) {
				unrecorded++;
				subject(r, I_DUTY_RECORDS, wk);
			}
		}
	}
	if (!begun) {
		verdict(r, I_DUTY_HOURS, CV_REPORT_NA, 0, 0, CV_TMPL("the period has not begun"));
		verdict(r, I_DUTY_RECORDS, CV_REPORT_NA, 0, 0, CV_TMPL("the period has not begun"));
	} else {
		cv_report_status st = under ? CV_REPORT_NOT_MET : CV_REPORT_MET;

		if (threshold % 60)
			verdict(r, I_DUTY_HOURS, st, under, (long long)x->nweeks,
				CV_TMPL("{1} of {2} weeks open under {3} hours {4} minutes"),
				CV_NUM(under), CV_NUM(x->nweeks), CV_NUM(threshold / 60),
				CV_NUM(threshold % 60));
		else
			verdict(r, I_DUTY_HOURS, st, under, (long long)x->nweeks,
				CV_TMPL("{1} of {2} weeks open under {3} hours"), CV_NUM(under),
				CV_NUM(x->nweeks), CV_NUM(threshold / 60));
		verdict(r, I_DUTY_RECORDS,
			!worked	     ? CV_REPORT_NA
			: unrecorded ? CV_REPORT_NOT_MET
				     : CV_REPORT_MET,
			unrecorded, worked,
			CV_TMPL("{1} of {2} weeks with case work have no duty shift"),
			CV_NUM(unrecorded), CV_NUM(worked));
	}
	verdict(r, I_DRAFTS, x->count[I_DRAFTS] ? CV_REPORT_NOT_MET : CV_REPORT_MET,
		x->count[I_DRAFTS], x->total[I_DRAFTS],
		CV_TMPL("{1} of {2} draft notes older than {3} days on {4}"),
		CV_NUM(x->count[I_DRAFTS]), CV_NUM(x->total[I_DRAFTS]), CV_NUM(x->archive_days),
		r->as_of);
	verdict(r, I_CLOSED,
		!x->total[I_CLOSED]  ? CV_REPORT_NA
		: x->count[I_CLOSED] ? CV_REPORT_NOT_MET
				     : CV_REPORT_MET,
		x->count[I_CLOSED], x->total[I_CLOSED],
		CV_TMPL("{1} of {2} cases closed in the period lack a final analysis or outcome "
			"note"),
		CV_NUM(x->count[I_CLOSED]), CV_NUM(x->total[I_CLOSED]));
	verdict(r, I_CONSENT,
		x->count[I_CONSENT] || x->withdrawn_work ? CV_REPORT_NOT_MET : CV_REPORT_MET,
		x->count[I_CONSENT] + x->withdrawn_work, x->crisis_events,
		CV_TMPL("{1} break-glass events, {2} reviewed, {3} not; {4} notes written after a "
			"withdrawal without consent"),
		CV_NUM(x->crisis_events), CV_NUM(x->crisis_events - x->count[I_CONSENT]),
		CV_NUM(x->count[I_CONSENT]), CV_NUM(x->withdrawn_work));
	verdict(r, I_TESTS,
		!x->total[I_TESTS]  ? CV_REPORT_NA
		: x->count[I_TESTS] ? CV_REPORT_NOT_MET
				    : CV_REPORT_MET,
		x->count[I_TESTS], x->total[I_TESTS],
		CV_TMPL("{1} of {2} tests without testing consent or crisis; tests are in no "
			"export ({3} statistics exports in the period, counts only)"),
		CV_NUM(x->count[I_TESTS]), CV_NUM(x->total[I_TESTS]), CV_NUM(x->exports));
	verdict(r, I_REFERRALS,
		!x->total[I_REFERRALS]	? CV_REPORT_NA
		: x->count[I_REFERRALS] ? CV_REPORT_NOT_MET
					: CV_REPORT_MET,
		x->count[I_REFERRALS], x->total[I_REFERRALS],
		CV_TMPL("{1} of {2} referrals past their follow-up date on {3}"),
		CV_NUM(x->count[I_REFERRALS]), CV_NUM(x->total[I_REFERRALS]), r->as_of);
	verdict(r, I_WATCH,
		!x->total[I_WATCH]  ? CV_REPORT_NA
		: x->count[I_WATCH] ? CV_REPORT_NOT_MET
				    : CV_REPORT_MET,
		x->count[I_WATCH], x->total[I_WATCH],
		CV_TMPL("{1} of {2} key-student entries past their follow-up date on {3}"),
		CV_NUM(x->count[I_WATCH]), CV_NUM(x->total[I_WATCH]), r->as_of);
	for (size_t i = 0; i < x->nreaders; i++) {
		snprintf(line, sizeof(line), "%s: %lld reads", x->readers[i].name,
			 x->readers[i].reads);
		subject(r, I_LOG, line);
	}
	if (x->verify_failed)
		subject(r, I_LOG, x->verify_code);
	verdict(r, I_LOG, x->verify_failed || x->ungranted ? CV_REPORT_NOT_MET : CV_REPORT_MET,
		x->ungranted + x->verify_failed, x->reads,
		x->verify_failed
		    ? CV_TMPL("verification failed: {4}; {1} decrypting reads by {2} "
			      "users, {3} without a grant")
		    : CV_TMPL("verification passed; {1} decrypting reads by {2} users, "
			      "{3} without a grant"),
		CV_NUM(x->reads), CV_NUM(x->nreaders), CV_NUM(x->ungranted),
		x->verify_failed ? x->verify_code : "");
	for (size_t i = 0; i < CV_REPORT_ITEMS; i++) {
		struct item *it = &r->items[i];

		if (it->n > 1)
			qsort(it->subj, it->n, sizeof(*it->subj), by_text);
		r->pub[i].number = (int)i + 1;
		r->pub[i].code = item_names[i].code;
		r->pub[i].title = item_names[i].title;
		r->pub[i].title_zh = item_names[i].title_zh;
		r->pub[i].figure = it->figure;
		r->pub[i].figure_parts = &it->parts;
		r->pub[i].subjects = (const char *const *)it->subj;
		r->pub[i].nsubjects = it->n;
	}
}

/* Everything, in the caller's read transaction. */
static cv_status compute(cv_session *s, struct ctx *x, cv_err *err)
{
	cv_report *r = x->r;
	cv_store_audit_query q = {0};
	cv_audit_report rep;
	cv_duty_date df, dt;
	cv_err verr = {0};
	int64_t threshold = 0;
	size_t cases = 0;
	int begun = strcmp(r->from, r->as_of) <= 0;
	cv_status st;

	/* The verification's result is item 9; the rest is computed anyway,
	 * from rows each checked on its own (signatures, the review rows). */
	if (cv_verify_vault(s->v, &rep, &verr) != CV_OK) {
		if (verr.status != CV_EINTEGRITY) {
			*err = verr;
			return verr.status;
		}
		x->verify_failed = 1;
		snprintf(x->verify_code, sizeof(x->verify_code), "%s", verr.code);
	}
	st = cv_duty_date_parse(r->from, &df, err);
	if (st == CV_OK)
		st = cv_duty_date_parse(begun ? r->as_of : r->from, &dt, err);
	if (st == CV_OK)
		st = cv_duty_hours(s, df, dt, &x->weeks, &x->nweeks, &threshold, err);
	if (st == CV_OK && x->nweeks && !(x->worked = calloc(x->nweeks, 1)))
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK && !begun)
		x->nweeks = 0;
	if (st == CV_OK)
		st = cv_store_audit_each(s->v->st, &q, log_row, x, err);
	if (st == CV_OK && (x->oom || x->crisis_objects.oom))
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK && x->nnote_reads)
		qsort(x->note_reads, x->nnote_reads, sizeof(*x->note_reads), by_note);
	if (st == CV_OK)
		st = cv_access_all_stats(s, one_case, x, &cases, err);
	if (st == CV_OK)
		note_reads_judge(x);
	if (st == CV_OK)
		verdicts(x, threshold, begun);
	if (st == CV_OK && (r->oom || x->oom))
		st = cv_err_set(err, CV_ERROR, "out of memory");
	return st;
}

static cv_status prepare(cv_session *s, struct ctx *x, const char *term, const char *from,
			 const char *to, char tzbuf[CV_LOCAL_TZ_CAP], cv_err *err)
{
	cv_report *r = x->r;
	cv_duty_date today;
	char next[CV_DUTY_DATE_LEN];
	cv_status st = period_days(s->v, term, from, to, r, err);

	if (st == CV_OK && term)
		snprintf(r->term, sizeof(r->term), "%s", term);

	if (st == CV_OK)
		st = cv_local_zone(s->v, tzbuf, &x->tz, err);
	if (st == CV_OK)
		st = cv_setting_int(s->v, CV_SET_ARCHIVE_DAYS, &x->archive_days, err);
	if (st == CV_OK) {
		char signer[CV_NAME_MAX + 8];
		int dflt = 0;

		st = cv_setting_text(s->v, CV_SET_SCHOOL, r->school, &dflt, signer, err);
	}
	if (st == CV_OK)
		st = cv_duty_local_date(x->tz, cv_clock(), &today, err);
	if (st != CV_OK)
		return st;
	cv_duty_date_format(today, r->as_of);
	if (strcmp(r->to, r->as_of) < 0)
		snprintf(r->as_of, sizeof(r->as_of), "%s", r->to);
	st = cv_local_day_start(x->tz, r->from, &x->from_utc, err);
	cv_date_add_days(r->to, 1, next);
	if (st == CV_OK)
		st = cv_local_day_start(x->tz, next, &x->end_utc, err);
	cv_date_add_days(r->as_of, 1, next);
	if (st == CV_OK)
		st = cv_local_day_start(x->tz, next, &x->asof_utc, err);
	return st;
}

cv_status cv_report_compliance(cv_session *s, const char *term, const char *from, const char *to,
			       cv_report **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	char tzbuf[CV_LOCAL_TZ_CAP], detail[128];
	struct ctx x = {0};
	size_t met = 0, not_met = 0, na = 0;
	cv_status st;

	*out = NULL;
	st = cv_policy_check(s, CV_ACT_REPORT_COMPLIANCE, REPORT_OBJECT, err);
	if (st != CV_OK)
		return st;
	x.s = s;
	if (!(x.r = calloc(1, sizeof(*x.r))))
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK)
		st = prepare(s, &x, term, from, to, tzbuf, err);
	/* One snapshot: the verification and the reading see the same rows. */
	if (st == CV_OK && (st = cv_store_begin(s->v->st, err)) == CV_OK) {
		st = compute(s, &x, err);
		cv_store_rollback(s->v->st);
	}
	free(x.weeks);
	free(x.worked);
	free(x.grants);
	free(x.note_reads);
	free(x.readers);
	cv_id_list_free(&x.crisis_objects);
	if (st != CV_OK) {
		cv_report_free(x.r);
		return cv_op_fail(s, CV_ACT_REPORT_COMPLIANCE, REPORT_OBJECT, err);
	}
	for (size_t i = 0; i < CV_REPORT_ITEMS; i++) {
		met += x.r->pub[i].status == CV_REPORT_MET;
		not_met += x.r->pub[i].status == CV_REPORT_NOT_MET;
		na += x.r->pub[i].status == CV_REPORT_NA;
	}
	snprintf(detail, sizeof(detail), "from=%s to=%s met=%zu not-met=%zu na=%zu", x.r->from,
		 x.r->to, met, not_met, na);
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_REPORT_COMPLIANCE, REPORT_OBJECT, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK) {
		cv_report_free(x.r);
		return cv_op_fail(s, CV_ACT_REPORT_COMPLIANCE, REPORT_OBJECT, err);
	}
	*out = x.r;
	return CV_OK;
}

void cv_report_dates(const cv_report *r, const char **from, const char **to, const char **as_of)
{
	*from = r->from;
	*to = r->to;
	*as_of = r->as_of;
}

const char *cv_report_school(const cv_report *r)
{
	return r->school;
}

const cv_report_item *cv_report_item_at(const cv_report *r, size_t i)
{
	return i < CV_REPORT_ITEMS ? &r->pub[i] : NULL;
}

/* ---- output -------------------------------------------------------------- */

static const char *status_word(cv_report_status st)
{
	return st == CV_REPORT_MET ? "met" : st == CV_REPORT_NOT_MET ? "not met" : "not applicable";
}

static const char *status_code(cv_report_status st)
{
	return st == CV_REPORT_MET ? "met" : st == CV_REPORT_NOT_MET ? "not-met" : "not-applicable";
}

static const char *status_zh(cv_report_status st)
{
	return st == CV_REPORT_MET	 ? "达标 met"
	       : st == CV_REPORT_NOT_MET ? "未达标 not met"
					 : "不适用 not applicable";
}

static cv_status write_text(const cv_report *r, FILE *fp, cv_err *err)
{
	/* Single-line text without control characters (config set checks it),
	 * signed by an admin and verified on reading. */
	if (r->school[0])
		fprintf(fp, "%s\n", r->school);
	fprintf(fp, "compliance report %s..%s (judged on %s)\n", r->from, r->to, r->as_of);
	for (size_t i = 0; i < CV_REPORT_ITEMS; i++) {
		const cv_report_item *it = &r->pub[i];

		fprintf(fp, "%d. %s: %s (%s)\n", it->number, status_word(it->status), it->figure,
			it->code);
		for (size_t j = 0; j < it->nsubjects; j++)
			fprintf(fp, "     %s\n", it->subjects[j]);
	}
	if (ferror(fp))
		return cv_err_set(err, CV_ERROR, "cannot write the report");
	return CV_OK;
}

static json_t *json_report(const cv_report *r)
{
	json_t *o = json_object(), *items = json_array();

	if (!o || !items) {
		json_decref(o);
		json_decref(items);
		return NULL;
	}
	json_object_set_new(o, "schema", json_string(REPORT_SCHEMA));
	json_object_set_new(o, "term", r->term[0] ? json_string(r->term) : json_null());
	json_object_set_new(o, "from", json_string(r->from));
	json_object_set_new(o, "to", json_string(r->to));
	json_object_set_new(o, "as_of", json_string(r->as_of));
	json_object_set_new(o, "school", r->school[0] ? json_string(r->school) : json_null());
	json_object_set_new(o, "items", items);
	for (size_t i = 0; i < CV_REPORT_ITEMS; i++) {
		const cv_report_item *it = &r->pub[i];
		json_t *x = json_object(), *subj = json_array();

		if (!x || !subj || json_array_append_new(items, x) != 0) {
			json_decref(subj);
			json_decref(o);
			return NULL;
		}
		json_object_set_new(x, "number", json_integer(it->number));
		json_object_set_new(x, "code", json_string(it->code));
		json_object_set_new(x, "title", json_string(it->title));
		json_object_set_new(x, "title_zh", json_string(it->title_zh));
		json_object_set_new(x, "status", json_string(status_code(it->status)));
		json_object_set_new(x, "count", json_integer(it->count));
		json_object_set_new(x, "total", json_integer(it->total));
		json_object_set_new(x, "figure", json_string(it->figure));
		json_object_set_new(x, "subjects", subj);
		for (size_t j = 0; j < it->nsubjects; j++)
			json_array_append_new(subj, json_string(it->subjects[j]));
	}
	return o;
}

static const char html_title[] = "心理辅导室工作合规报告 Counseling room compliance report";
static const char html_note[] =
    "本报告仅依据保管库中的记录元数据、计数、日期与状态生成，不含任何学生身份或记录内容。 "
    "Computed from the vault's record metadata, counts, dates and states alone: no "
    "student's identity and no content.";
/* Printed as it is: no script, no link, no font or image from elsewhere. */
static const char html_style[] =
    "@page { size: A4; margin: 15mm; }\n"
    "body { font-family: \"Noto Sans CJK SC\", \"WenQuanYi Micro Hei\", "
    "\"WenQuanYi Zen Hei\", sans-serif; font-size: 10.5pt; color: #000; }\n"
    "h1 { font-size: 16pt; margin: 0 0 6pt; }\n"
    "dl { display: grid; grid-template-columns: max-content auto; gap: 2pt 12pt; margin: 0; }\n"
    "dt { font-weight: bold; }\n"
    "dd { margin: 0; }\n"
    "table { border-collapse: collapse; margin: 8pt 0; width: 100%; }\n"
    "th, td { border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; }\n"
    "tr { break-inside: avoid; }\n"
    "td.not-met { font-weight: bold; }\n"
    "td.met, td.not-met, td.not-applicable, li { white-space: nowrap; }\n"
    "ul { margin: 0; padding-left: 12pt; }\n";

static xmlNodePtr el(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
}

static void attr(xmlNodePtr node, const char *name, const char *value)
{
	xmlNewProp(node, (const xmlChar *)name, (const xmlChar *)value);
}

static void html_item(xmlNodePtr table, const cv_report_item *it)
{
	xmlNodePtr tr = el(table, "tr", NULL), td, ul;
	char n[16], title[512];

	snprintf(n, sizeof(n), "%d", it->number);
	el(tr, "td", n);
	snprintf(title, sizeof(title), "%s %s", it->title_zh, it->title);
	el(tr, "td", title);
	td = el(tr, "td", status_zh(it->status));
	attr(td, "class", status_code(it->status));
	el(tr, "td", it->figure);
	td = el(tr, "td", NULL);
	if (it->nsubjects) {
		ul = el(td, "ul", NULL);
		for (size_t j = 0; j < it->nsubjects; j++)
			el(ul, "li", it->subjects[j]);
	}
}

static cv_status write_html(const cv_report *r, FILE *fp, cv_err *err)
{
	htmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
	xmlNodePtr html = doc ? xmlNewNode(NULL, (const xmlChar *)"html") : NULL, head, body, meta,
		   dl, table, tr;
	static const char *const heads[] = {"序号 No.", "项目 Item", "结果 Status", "数据 Figure",
					    "依据 Weeks / cases"};
	char period[64], title[192];
	xmlOutputBufferPtr out = NULL;
	const xmlChar *mem = NULL;
	size_t size = 0;
	cv_status st = CV_OK;

	if (!html || !xmlCreateIntSubset(doc, (const xmlChar *)"html", NULL, NULL)) {
		xmlFreeNode(html);
		xmlFreeDoc(doc);
		return cv_err_set(err, CV_ERROR, "out of memory");
	}
	xmlDocSetRootElement(doc, html);
	attr(html, "lang", "zh-CN");
	head = el(html, "head", NULL);
	meta = el(head, "meta", NULL);
	attr(meta, "charset", "utf-8");
	snprintf(period, sizeof(period), "%s..%s", r->from, r->to);
	snprintf(title, sizeof(title), "%s %s", html_title, period);
	el(head, "title", title);
	el(head, "style", html_style);
	body = el(html, "body", NULL);
	el(body, "h1", html_title);
	dl = el(body, "dl", NULL);
	if (r->school[0]) {
		el(dl, "dt", "学校 School");
		el(dl, "dd", r->school);
	}
	if (r->term[0]) {
		el(dl, "dt", "学期 Term");
		el(dl, "dd", r->term);
	}
	el(dl, "dt", "期间 Period");
	el(dl, "dd", period);
	el(dl, "dt", "判定日期 Judged on");
	el(dl, "dd", r->as_of);
	el(body, "p", html_note);
	table = el(body, "table", NULL);
	tr = el(table, "tr", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(heads); i++)
		el(tr, "th", heads[i]);
	for (size_t i = 0; i < CV_REPORT_ITEMS; i++)
		html_item(table, &r->pub[i]);
	/* A buffer without an encoder keeps the text UTF-8, as the page
	 * declares, instead of numeric character references. */
	out = xmlAllocOutputBuffer(NULL);
	if (out) {
		htmlDocContentDumpFormatOutput(out, doc, "UTF-8", 1);
		xmlOutputBufferFlush(out);
		mem = xmlOutputBufferGetContent(out);
		size = xmlOutputBufferGetSize(out);
	}
	if (!out || out->error || !mem || size == 0)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	else if (fwrite(mem, 1, size, fp) != size)
		st = cv_err_set(err, CV_ERROR, "cannot write the report");
	xmlOutputBufferClose(out);
	xmlFreeDoc(doc);
	return st;
}

cv_status cv_report_write(const cv_report *r, cv_report_format format, FILE *fp, cv_err *err)
{
	CV_ERR_GUARD(err);
	json_t *o;
	int rc;

	if (format == CV_REPORT_TEXT)
		return write_text(r, fp, err);
	if (format == CV_REPORT_HTML)
		return write_html(r, fp, err);
	if (format != CV_REPORT_JSON)
		return cv_err_set(err, CV_EUSAGE, "unknown report format");
	if (!(o = json_report(r)))
		return cv_err_set(err, CV_ERROR, "out of memory");
	rc = json_dumpf(o, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc != 0 || fputc('\n', fp) == EOF)
		return cv_err_set(err, CV_ERROR, "cannot write the report");
	return CV_OK;
}

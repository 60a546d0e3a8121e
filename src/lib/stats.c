/*
 * stats.c - commands layer: `stats export`, anonymized term statistics
 * counted from the cases' statistical attributes alone and protected by
 * cell suppression before anything leaves the vault (see stats.h and
 * docs/STATISTICS.md).
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <sodium.h>

#include "access.h"
#include "buf.h"
#include "csv.h"
#include "dlap.h"
#include "dutylog.h"
#include "err.h"
#include "localday.h"
#include "log.h"
#include "policy.h"
#include "settings.h"
#include "stats.h"
#include "verify.h"
#include "store.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

#define CODE_STATS_PERIOD "stats.period"
#define CODE_STATS_UNFINISHED "stats.period-unfinished"
#define CODE_STATS_K "stats.k"
#define CODE_STATS_OVERLAP "stats.overlap"
#define CODE_STATS_EPSILON "stats.epsilon"
#define CODE_STATS_NOTHING "stats.nothing-published"

#define GRADE_BANDS 4
#define GRADES_PER_BAND 3
#define MAX_CATEGORIES 16
#define OBJECT_MAX 32 /* "stats:YYYY-MM..YYYY-MM" */

static const char *const band_labels[GRADE_BANDS] = {"primary 1-3", "primary 4-6", "junior 7-9",
						     "senior 10-12"};
static const char *const table_names[CV_STATS_NTABLES] = {"opened_by_month",
							  "grade_band_by_gender",
							  "category",
							  "closed_by_month",
							  "sessions_per_case",
							  "consent_coverage",
							  "referrals_by_urgency_and_status",
							  "referrals_by_institution",
							  "register_tags",
							  "crisis_events"};
static const cv_stats_population table_pop[CV_STATS_NTABLES] = {
    CV_STATS_POP_CASES,	   CV_STATS_POP_CASES, CV_STATS_POP_CASES,     CV_STATS_POP_CASES,
    CV_STATS_POP_CASES,	   CV_STATS_POP_CASES, CV_STATS_POP_REFERRALS, CV_STATS_POP_REFERRALS,
    CV_STATS_POP_REGISTER, CV_STATS_POP_CRISIS};
static const char *const pop_names[] = {"cases", "referrals", "register", "crisis"};

/* Break-glass events: reviewed by a supervisor (a review that verifies) or
 * not yet. */
#define CRISIS_CELLS 2
static const char *const crisis_labels[CRISIS_CELLS] = {"reviewed", "not reviewed"};

/* Session notes per case, in bands: 0, 1, 2-3, 4-6, 7 or more. */
#define SESSION_BANDS 5
static const char *const session_labels[SESSION_BANDS] = {"0", "1", "2-3", "4-6", "7+"};
static const int session_floor[SESSION_BANDS] = {0, 1, 2, 4, 7};

/* Consent coverage: each case in one cell. */
#define CONSENT_CELLS 4
static const char *const consent_labels[CONSENT_CELLS] = {
    "student assent and guardian consent", "student assent, adult",
    "student assent, guardian consent missing", "no student assent"};

#define URGENCIES 3
#define REF_STATES 5
#define DESTINATIONS 5
#define TAGS 4
static const char label_all[] = "all";
static const char label_total[] = "total";
static const char label_other[] = CV_STATS_FOLD_LABEL;
static const char label_not_closed[] = "not closed in the period";

struct cv_stats_result {
	char from[CV_STATS_MONTH_LEN];
	char to[CV_STATS_MONTH_LEN];
	int k;
	uint32_t eps;	/* asked for, grid units; 0: no noise */
	uint32_t spent; /* what the noise spent */
	size_t cases;
	cv_sdc_export *x;
	cv_buf csv; /* the published cells as written, hashed */
	uint8_t hash[CV_DIGEST_LEN];
	size_t merged_from;  /* 0: an export; else the releases a merge summed */
	uint32_t *input_eps; /* a merge's: each release's epsilon (0: exact) */
	char school[128];    /* the school setting ("" unset; a merge has none) */
	/* The vault the export comes from, hashed (CV_STATS_SOURCE_DOMAIN);
	 * a merge has none. */
	uint8_t source[CV_DIGEST_LEN];
	/* Per table: its last column took the categories under k (JSON
	 * "folded_into"). */
	unsigned char folded[CV_STATS_TABLES_MAX];
	cv_duty_week *duty; /* the open hours of each week; NULL: no shift */
	size_t nduty;
	int64_t duty_threshold; /* minutes */
};

/* The name under which the duty hours are written (CSV, JSON, HTML). */
static const char duty_name[] = "duty_hours_by_week";

/* ---- months ----------------------------------------------------------- */

/* YYYY-MM (or the first 7 characters of a date) as a month number, or -1. */
static long month_of(const char *s, int whole)
{
	long y = 0, m = 0;

	if (!s || strlen(s) < 7 || (whole && strlen(s) != 7) || s[4] != '-')
		return -1;
	for (int i = 0; i < 7; i++) {
		if (i == 4)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (i < 4)
			y = y * 10 + (s[i] - '0');
		else
			m = m * 10 + (s[i] - '0');
	}
	if (y < 1900 || m < 1 || m > 12)
		return -1;
	return y * 12 + (m - 1);
}

/* mo is a month number of month_of (non-negative). */
static void month_label(long mo, char out[CV_STATS_MONTH_LEN])
{
	unsigned y = (unsigned)(mo / 12) % 10000u, m = (unsigned)(mo % 12) + 1u;

	snprintf(out, CV_STATS_MONTH_LEN, "%04u-%02u", y, m % 100u);
}

/* The months of the two terms, as the vault's settings term_autumn and
 * term_spring give them (month indexes 0..11; a term may run over New
 * Year). */
struct terms {
	int first[2], last[2]; /* autumn, spring */
};

static const struct terms default_terms = {{8, 1}, {0, 6}};

/* The length of term i in months, minus one. */
static long term_span(const struct terms *t, int i)
{
	return ((t->last[i] - t->first[i]) % 12 + 12) % 12;
}

/* A term "YYYY-autumn" or "YYYY-spring" as its first and last month
 * (month numbers); the term starts in year YYYY.  -1 when it is neither. */
static int term_months(const struct terms *t, const char *term, long *a, long *b)
{
	long y = 0;

	if (strlen(term) < 6 || term[4] != '-')
		return -1;
	for (int i = 0; i < 4; i++) {
		if (term[i] < '0' || term[i] > '9')
			return -1;
		y = y * 10 + (term[i] - '0');
	}
	if (y < 1900)
		return -1;
	for (int i = 0; i < 2; i++)
		if (strcmp(term + 5, cv_word(&cv_seasons, i + 1)) == 0) {
			*a = y * 12 + t->first[i];
			*b = *a + term_span(t, i);
			return 0;
		}
	return -1;
}

/* The vault's terms, from its signed settings. */
static cv_status load_terms(cv_vault *v, struct terms *t, cv_err *err)
{
	static const cv_setting_id ids[2] = {CV_SET_TERM_AUTUMN, CV_SET_TERM_SPRING};
	char value[128], signer[CV_NAME_MAX + 8];
	int dflt = 0;
	cv_status st = CV_OK;

	*t = default_terms;
	for (int i = 0; i < 2 && st == CV_OK; i++) {
		st = cv_setting_text(v, ids[i], value, &dflt, signer, err);
		if (st == CV_OK && cv_setting_months(value, &t->first[i], &t->last[i]) != 0)
			st = cv_fail(err, CV_EINTEGRITY, "settings.unverified",
				     "the setting '{1}' is not a term", cv_setting_name(ids[i]));
	}
	return st;
}

static cv_status period(const struct terms *t, const char *term, const char *from, const char *to,
			char from_out[CV_STATS_MONTH_LEN], char to_out[CV_STATS_MONTH_LEN],
			cv_err *err);

cv_status cv_stats_term(cv_vault *v, const char *term, char from_out[CV_STATS_MONTH_LEN],
			char to_out[CV_STATS_MONTH_LEN], cv_err *err)
{
	CV_ERR_GUARD(err);
	struct terms t;
	cv_status st = load_terms(v, &t, err);

	return st == CV_OK ? period(&t, term, NULL, NULL, from_out, to_out, err) : st;
}

cv_status cv_stats_period(const char *term, const char *from, const char *to,
			  char from_out[CV_STATS_MONTH_LEN], char to_out[CV_STATS_MONTH_LEN],
			  cv_err *err)
{
	return period(&default_terms, term, from, to, from_out, to_out, err);
}

static cv_status period(const struct terms *t, const char *term, const char *from, const char *to,
			char from_out[CV_STATS_MONTH_LEN], char to_out[CV_STATS_MONTH_LEN],
			cv_err *err)
{
	char n[24];
	long a = -1, b = -1;

	if (term ? (from || to) : (!from || !to))
		return cv_fail(err, CV_EUSAGE, CODE_STATS_PERIOD,
			       "give a term (--term 2026-autumn) or both --from and --to "
			       "(YYYY-MM)");
	if (term && term_months(t, term, &a, &b) != 0)
		return cv_fail(err, CV_EUSAGE, CODE_STATS_PERIOD,
			       "term '{1}' is not a term; use YYYY-autumn or YYYY-spring", term);
	if (!term) {
		a = month_of(from, 1);
		b = month_of(to, 1);
		if (a < 0 || b < 0)
			return cv_fail(err, CV_EUSAGE, CODE_STATS_PERIOD,
				       "'{1}' is not a whole month; use YYYY-MM",
				       a < 0 ? from : to);
	}
	if (b < a)
		return cv_fail(err, CV_EUSAGE, CODE_STATS_PERIOD,
			       "the period ends before it begins; give --from before --to");
	if (b - a + 1 > CV_STATS_MONTHS_MAX)
		return cv_fail(err, CV_EUSAGE, CODE_STATS_PERIOD,
			       "an export covers at most {1} months",
			       cv_num(n, CV_STATS_MONTHS_MAX));
	month_label(a, from_out);
	month_label(b, to_out);
	return CV_OK;
}

/* ---- counting ----------------------------------------------------------- */

cv_stats_population cv_stats_table_population(size_t t)
{
	return t < CV_STATS_NTABLES ? table_pop[t] : CV_STATS_POP_CASES;
}

const char *cv_stats_population_name(cv_stats_population p)
{
	return (size_t)p < ARRAY_SIZE(pop_names) ? pop_names[p] : "?";
}

/* What orders one student's cases or records: a date, then an id. */
#define ORDER_LEN (10 + CV_ID_MAX)

/* One case opened in the period, as the walk saw it. */
struct entry {
	uint8_t tag[CV_HASH_LEN]; /* the student's blind index */
	char order[ORDER_LEN];	  /* opening date, then case id: a student's first */
	size_t opened, closed;	  /* month indexes; closed == months: not closed */
	size_t band, gender, category;
	size_t sessions, consent; /* a session band, a consent cell */
};

/* What a record of the period counts in. */
enum item_kind { ITEM_REFERRAL, ITEM_REGISTER, ITEM_CRISIS, ITEM_KINDS };

/* One referral made, register entry added or break-glass event, in the
 * period. */
struct item {
	uint8_t tag[CV_HASH_LEN]; /* the student's blind index */
	char order[ORDER_LEN];	  /* creation date, then record id */
	size_t a, b, c;		  /* referral: urgency, status, institution; register: tag;
				   * event: reviewed (0) or not (1) */
};

struct items {
	struct item *v;
	size_t n, cap;
};

struct counts {
	long first; /* month number of the period's first month */
	size_t months;
	/* With noise each student counts once: the cases and items are kept
	 * to find each student's first; without, they are counted as the
	 * walk gives them and nothing is kept (memory does not grow with the
	 * vault). */
	int once_per_student;
	struct entry *v; /* the cases opened in the period (once_per_student) */
	size_t n, cap;
	struct items items[ITEM_KINDS]; /* (once_per_student) */
	int oom;
	size_t cases; /* counted */
	int64_t opened[CV_STATS_MONTHS_MAX];
	int64_t closed[CV_STATS_MONTHS_MAX + 1]; /* the last: not closed in the period */
	int64_t grade[GRADE_BANDS][3];		 /* x cv_genders */
	int64_t category[MAX_CATEGORIES];	 /* x cv_categories */
	int64_t sessions[SESSION_BANDS];
	int64_t consent[CONSENT_CELLS];
	int64_t referrals[URGENCIES][REF_STATES];
	int64_t destination[DESTINATIONS];
	int64_t reg_tags[TAGS];
	int64_t crisis[CRISIS_CELLS];
	size_t nitems[ITEM_KINDS]; /* counted */
	int bad_status;		   /* a referral's clear status is not one of the set */
};

static void count_entry(struct counts *c, const struct entry *e)
{
	c->cases++;
	c->opened[e->opened]++;
	c->closed[e->closed]++;
	c->grade[e->band][e->gender]++;
	c->category[e->category]++;
	c->sessions[e->sessions]++;
	c->consent[e->consent]++;
}

static void count_item(struct counts *c, enum item_kind k, const struct item *e)
{
	c->nitems[k]++;
	if (k == ITEM_REFERRAL) {
		c->referrals[e->a][e->b]++;
		c->destination[e->c]++;
	} else if (k == ITEM_REGISTER) {
		c->reg_tags[e->a]++;
	} else {
		c->crisis[e->a]++;
	}
}

/* Grows a vector of size-byte elements by one; NULL (and c->oom) when out
 * of memory. */
static void *grow(struct counts *c, void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *nv = realloc(*v, ncap * size);

		if (!nv) {
			c->oom = 1;
			return NULL;
		}
		*v = nv;
		*cap = ncap;
	}
	return (char *)*v + (*n)++ * size;
}

static int item_add(struct counts *c, enum item_kind k, const cv_stats_attrs *a,
		    const cv_stats_record *x, size_t ia, size_t ib, size_t ic)
{
	struct item e, *slot;

	memcpy(e.tag, a->index_tag, sizeof(e.tag));
	snprintf(e.order, sizeof(e.order), "%.10s%s", x->created, x->id);
	e.a = ia;
	e.b = ib;
	e.c = ic;
	if (!c->once_per_student) {
		count_item(c, k, &e);
		return 0;
	}
	slot = grow(c, (void **)&c->items[k].v, &c->items[k].n, &c->items[k].cap, sizeof(e));
	if (!slot)
		return -1;
	*slot = e;
	return 0;
}

/* The records of a case: its referrals, register entries and break-glass
 * events of the period (whenever the case was opened), its session notes
 * and consent by the period's end. */
static int collect_records(struct counts *c, const cv_stats_attrs *a, struct entry *e)
{
	long last = c->first + (long)c->months - 1;
	int sessions = 0, student = 0, guardian = 0;

	for (size_t i = 0; i < a->nrecords; i++) {
		const cv_stats_record *x = &a->records[i];
		long m = month_of(x->created, 0);
		int in = m >= c->first && m <= last;

		if (m < 0 || m > last)
			continue;
		if (strcmp(x->type, "note") == 0 && strcmp(x->kind, "session") == 0)
			sessions++;
		if (strcmp(x->type, "consent") == 0 && strcmp(x->action, "record") == 0) {
			student |= strcmp(x->by, "student") == 0;
			guardian |= strcmp(x->by, "guardian") == 0;
		}
		if (in && strcmp(x->type, "referral") == 0 &&
		    item_add(c, ITEM_REFERRAL, a, x,
			     (size_t)cv_word_parse(&cv_urgencies, x->urgency) - 1,
			     (size_t)cv_word_parse(&cv_ref_states, x->status) - 1,
			     (size_t)cv_word_parse(&cv_destinations, x->to_type) - 1) != 0)
			return 1;
		if (in && strcmp(x->type, "crisis") == 0 &&
		    item_add(c, ITEM_CRISIS, a, x, x->reviewed ? 0 : 1, 0, 0) != 0)
			return 1;
		if (in && strcmp(x->type, "watch") == 0 &&
		    item_add(c, ITEM_REGISTER, a, x, (size_t)cv_word_parse(&cv_tags, x->tag) - 1, 0,
			     0) != 0)
			return 1;
	}
	if (e) {
		e->sessions = 0;
		for (size_t b = 0; b < SESSION_BANDS; b++)
			if (sessions >= session_floor[b])
				e->sessions = b;
		e->consent = !student ? 3 : guardian ? 0 : !a->minor ? 1 : 2;
	}
	return 0;
}

static int collect_case(const cv_stats_attrs *a, void *arg)
{
	struct counts *c = arg;
	long o = month_of(a->opened, 0) - c->first;
	long z = *a->closed ? month_of(a->closed, 0) - c->first : -1;
	struct entry e, *slot;

	for (size_t i = 0; i < a->nrecords; i++)
		if (strcmp(a->records[i].type, "referral") == 0 &&
		    !cv_word_parse(&cv_ref_states, a->records[i].status)) {
			c->bad_status = 1;
			return 1;
		}
	if (o < 0 || (size_t)o >= c->months)
		return collect_records(c, a, NULL);
	memcpy(e.tag, a->index_tag, sizeof(e.tag));
	snprintf(e.order, sizeof(e.order), "%.10s%s", a->opened, a->case_id);
	e.opened = (size_t)o;
	e.closed = z >= 0 && (size_t)z < c->months ? (size_t)z : c->months;
	e.band = (size_t)(a->grade - 1) / GRADES_PER_BAND;
	e.gender = (size_t)cv_word_parse(&cv_genders, a->gender) - 1;
	e.category = (size_t)cv_word_parse(&cv_categories, a->category) - 1;
	if (collect_records(c, a, &e) != 0)
		return 1;
	if (!c->once_per_student) {
		count_entry(c, &e);
		return 0;
	}
	slot = grow(c, (void **)&c->v, &c->n, &c->cap, sizeof(e));
	if (!slot)
		return 1;
	*slot = e;
	return 0;
}

static int by_student(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	/* Blind-index tags are keyed hashes: ordered in constant time. */
	int d = sodium_compare(x->tag, y->tag, sizeof(x->tag));

	return d ? d : strcmp(x->order, y->order);
}

static int item_by_student(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int d = sodium_compare(x->tag, y->tag, sizeof(x->tag));

	return d ? d : strcmp(x->order, y->order);
}

/* With noise: counts each student's first case, and first record of each
 * kind, of the period (the bound differential privacy needs). */
static void tally_once(struct counts *c)
{
	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), by_student);
	for (size_t i = 0; i < c->n; i++)
		if (i == 0 || sodium_memcmp(c->v[i].tag, c->v[i - 1].tag, CV_HASH_LEN) != 0)
			count_entry(c, &c->v[i]);
	for (int k = 0; k < ITEM_KINDS; k++) {
		struct items *l = &c->items[k];

		if (l->n)
			qsort(l->v, l->n, sizeof(*l->v), item_by_student);
		for (size_t i = 0; i < l->n; i++)
			if (i == 0 || sodium_memcmp(l->v[i].tag, l->v[i - 1].tag, CV_HASH_LEN) != 0)
				count_item(c, (enum item_kind)k, &l->v[i]);
	}
}

/*
 * Adds discrete Laplace noise of an equal share of eps (to the grid unit)
 * to every body cell of every table (each student counts once, in one cell of each table:
 * sensitivity 1), then sets negative counts to 0.  *spend is what the
 * release spent.
 */
static cv_status add_noise(struct counts *c, const cv_dlap_ledger *ledger, uint32_t eps,
			   uint32_t *spend, cv_err *err)
{
	static const cv_dlap_rng rng = CV_DLAP_RNG_SODIUM;
	uint32_t share = eps / CV_STATS_NTABLES;
	cv_dlap_table t[CV_STATS_NTABLES] = {
	    {c->opened, c->months, 1, share},
	    {&c->grade[0][0], GRADE_BANDS * 3, 1, share},
	    {c->category, cv_categories.n - 1, 1, share},
	    {c->closed, c->months + 1, 1, share},
	    {c->sessions, SESSION_BANDS, 1, share},
	    {c->consent, CONSENT_CELLS, 1, share},
	    {&c->referrals[0][0], URGENCIES * REF_STATES, 1, share},
	    {c->destination, DESTINATIONS, 1, share},
	    {c->reg_tags, TAGS, 1, share},
	    {c->crisis, CRISIS_CELLS, 1, share},
	};
	cv_status st;

	/* What eps / CV_STATS_NTABLES leaves goes, one unit each, to the
	 * first tables: the release spends exactly eps. */
	for (size_t i = 0; i < eps % CV_STATS_NTABLES; i++)
		t[i].eps++;
	st = cv_dlap_release(&rng, ledger, t, CV_STATS_NTABLES, spend, err);
	for (size_t i = 0; i < CV_STATS_NTABLES && st == CV_OK; i++)
		for (size_t j = 0; j < t[i].ncells; j++)
			if (t[i].cells[j] < 0)
				t[i].cells[j] = 0;
	return st;
}

/* ---- the tables ----------------------------------------------------------- */

/* A one-way table of n counts and their total. */
static cv_status add_oneway(cv_sdc_export *x, const char *name, const char *const *labels,
			    const int64_t *v, size_t n, cv_err *err)
{
	int64_t row[CV_STATS_MONTHS_MAX + 2] = {0};

	for (size_t i = 0; i < n; i++) {
		row[i] = v[i];
		row[n] += v[i];
	}
	return cv_sdc_add_table(x, name, 0, NULL, n, labels, row, NULL, err);
}

/* A two-way table of nrows x ncols counts (row-major) with its margins. */
static cv_status add_twoway(cv_sdc_export *x, const char *name, const char *const *rlabels,
			    size_t nrows, const char *const *clabels, size_t ncols,
			    const int64_t *v, cv_err *err)
{
	int64_t grid[(URGENCIES + 1) * (REF_STATES + 1)] = {0};

	if ((nrows + 1) * (ncols + 1) > ARRAY_SIZE(grid))
		return cv_err_set(err, CV_ERROR, "a statistics table is too large");
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			int64_t n = v[r * ncols + c];

			grid[r * (ncols + 1) + c] = n;
			grid[r * (ncols + 1) + ncols] += n;
			grid[nrows * (ncols + 1) + c] += n;
			grid[nrows * (ncols + 1) + ncols] += n;
		}
	return cv_sdc_add_table(x, name, nrows, rlabels, ncols, clabels, grid, NULL, err);
}

/* The words of a vocabulary from index 1, as labels. */
static void words_of(const cv_vocab *v, const char **out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = cv_word(v, (int)i + 1);
}

/* The tables counted from the cases' records. */
static cv_status build_records(cv_sdc_export *x, const struct counts *c, int linked, cv_err *err)
{
	const char *urg[URGENCIES], *states[REF_STATES], *dest[DESTINATIONS], *tags[TAGS];
	cv_status st;

	words_of(&cv_urgencies, urg, URGENCIES);
	words_of(&cv_ref_states, states, REF_STATES);
	words_of(&cv_destinations, dest, DESTINATIONS);
	words_of(&cv_tags, tags, TAGS);
	st = add_oneway(x, table_names[CV_STATS_T_SESSIONS], session_labels, c->sessions,
			SESSION_BANDS, err);
	if (st == CV_OK)
		st = add_oneway(x, table_names[CV_STATS_T_CONSENT], consent_labels, c->consent,
				CONSENT_CELLS, err);
	if (st == CV_OK)
		st = add_twoway(x, table_names[CV_STATS_T_REFERRALS], urg, URGENCIES, states,
				REF_STATES, &c->referrals[0][0], err);
	if (st == CV_OK)
		st = add_oneway(x, table_names[CV_STATS_T_DESTINATION], dest, c->destination,
				DESTINATIONS, err);
	if (st == CV_OK)
		st = add_oneway(x, table_names[CV_STATS_T_REGISTER], tags, c->reg_tags, TAGS, err);
	if (st == CV_OK)
		st = add_oneway(x, table_names[CV_STATS_T_CRISIS], crisis_labels, c->crisis,
				CRISIS_CELLS, err);
	if (st != CV_OK || !linked)
		return st;
	st = cv_sdc_add_link(x, CV_STATS_T_OPENED, 0, c->months, CV_STATS_T_SESSIONS, 0,
			     SESSION_BANDS, err);
	if (st == CV_OK)
		st = cv_sdc_add_link(x, CV_STATS_T_OPENED, 0, c->months, CV_STATS_T_CONSENT, 0,
				     CONSENT_CELLS, err);
	if (st == CV_OK)
		st = cv_sdc_add_link(x, CV_STATS_T_REFERRALS, URGENCIES, REF_STATES,
				     CV_STATS_T_DESTINATION, 0, DESTINATIONS, err);
	return st;
}

/*
 * A case closed by the end of a month was opened by then: for every first
 * m months of the period, the cases closed in them are at most the cases
 * opened in them.  The reader knows it, so the audit does too.
 */
static cv_status add_closed_orders(cv_sdc_export *x, const struct counts *c, cv_err *err)
{
	cv_sdc_term terms[2 * CV_STATS_MONTHS_MAX];
	int64_t opened = 0, closed = 0;
	cv_status st = CV_OK;

	for (size_t m = 0; m < c->months && st == CV_OK; m++) {
		terms[2 * m] = (cv_sdc_term){CV_STATS_T_CLOSED, 0, m, 1};
		terms[2 * m + 1] = (cv_sdc_term){CV_STATS_T_OPENED, 0, m, -1};
		opened += c->opened[m];
		closed += c->closed[m];
		/* A closing dated before its opening (a clock set back) breaks
		 * the rule; a reader relying on it is then misled, not helped. */
		if (closed <= opened)
			st = cv_sdc_add_order(x, terms, 2 * (m + 1), err);
	}
	return st;
}

static cv_status build(cv_sdc_export *x, const struct counts *c, int k, int linked, cv_err *err)
{
	char months[CV_STATS_MONTHS_MAX + 1][CV_STATS_MONTH_LEN];
	const char *mlabels[CV_STATS_MONTHS_MAX + 1];
	const char *genders[3], *cats[MAX_CATEGORIES + 1];
	int64_t grid[(GRADE_BANDS + 1) * 4] = {0}, cat[MAX_CATEGORIES + 1] = {0};
	size_t ncat = 0, ng = ARRAY_SIZE(genders);
	cv_status st;

	for (size_t i = 0; i < c->months; i++) {
		month_label(c->first + (long)i, months[i]);
		mlabels[i] = months[i];
	}
	st = add_oneway(x, table_names[CV_STATS_T_OPENED], mlabels, c->opened, c->months, err);

	for (size_t g = 0; g < ng; g++)
		genders[g] = cv_word(&cv_genders, (int)g + 1);
	for (size_t r = 0; r < GRADE_BANDS; r++)
		for (size_t g = 0; g < ng; g++) {
			grid[r * (ng + 1) + g] = c->grade[r][g];
			grid[r * (ng + 1) + ng] += c->grade[r][g];
			grid[GRADE_BANDS * (ng + 1) + g] += c->grade[r][g];
			grid[GRADE_BANDS * (ng + 1) + ng] += c->grade[r][g];
		}
	if (st == CV_OK)
		st = cv_sdc_add_table(x, table_names[CV_STATS_T_GRADE], GRADE_BANDS, band_labels,
				      ng, genders, grid, NULL, err);

	/* Categories with fewer than k cases in the whole export go into
	 * "other" before anything is protected: their names are not shown. */
	cats[MAX_CATEGORIES] = label_other;
	for (size_t i = 0; i + 1 < cv_categories.n && i < MAX_CATEGORIES; i++) {
		const char *name = cv_word(&cv_categories, (int)i + 1);

		if (c->category[i] >= k && strcmp(name, label_other) != 0) {
			cats[ncat] = name;
			cat[ncat++] = c->category[i];
		} else {
			cat[MAX_CATEGORIES] += c->category[i];
		}
	}
	cats[ncat] = label_other;
	cat[ncat] = cat[MAX_CATEGORIES];
	if (st == CV_OK)
		st = add_oneway(x, table_names[CV_STATS_T_CATEGORY], cats, cat, ncat + 1, err);
	/* The reader knows the rule: a category printed as its own column
	 * has at least k cases, hidden or not. */
	for (size_t i = 0; i < ncat && st == CV_OK; i++)
		st = cv_sdc_set_lower(x, CV_STATS_T_CATEGORY, 0, i, k, err);

	mlabels[c->months] = label_not_closed;
	if (st == CV_OK)
		st = add_oneway(x, table_names[CV_STATS_T_CLOSED], mlabels, c->closed,
				c->months + 1, err);
	if (st == CV_OK)
		st = build_records(x, c, linked, err);

	/* Every table of a population counts the same things: one grand
	 * total.  Noisy tables each have their own. */
	if (st == CV_OK && !linked)
		return st;
	if (st == CV_OK)
		st = cv_sdc_add_link(x, CV_STATS_T_OPENED, 0, c->months, CV_STATS_T_GRADE,
				     GRADE_BANDS, ng, err);
	if (st == CV_OK)
		st = cv_sdc_add_link(x, CV_STATS_T_OPENED, 0, c->months, CV_STATS_T_CATEGORY, 0,
				     ncat + 1, err);
	if (st == CV_OK)
		st = cv_sdc_add_link(x, CV_STATS_T_OPENED, 0, c->months, CV_STATS_T_CLOSED, 0,
				     c->months + 1, err);
	if (st == CV_OK)
		st = add_closed_orders(x, c, err);
	return st;
}

/* ---- writing ------------------------------------------------------------ */

static const char *row_label(const cv_sdc_table *t, size_t r)
{
	if (!t->nrows)
		return label_all;
	return r < t->nrows ? t->row_labels[r] : label_total;
}

static const char *col_label(const cv_sdc_table *t, size_t c)
{
	return c < t->ncols ? t->col_labels[c] : label_total;
}

/* One record per cell of every published table: table, row, column, and
 * the count or the marker. */
/* The duty section: one record per week (its minutes of open hours), then
 * the threshold; nothing without a shift in the period. */
static cv_status write_csv_duty(const cv_stats_result *r, cv_csv *w, cv_err *err)
{
	cv_status st = CV_OK;

	for (size_t i = 0; i <= r->nduty && r->nduty && st == CV_OK; i++) {
		/* "threshold" and its NUL are one byte more than a week's label */
		char week[CV_DUTY_WEEK_LEN + 8] = "threshold";

		if (i < r->nduty) {
			cv_duty_isoweek iw = {r->duty[i].iso_year, r->duty[i].iso_week,
					      r->duty[i].monday};

			cv_duty_isoweek_format(&iw, week);
		}
		st = cv_csv_str(w, duty_name, err);
		if (st == CV_OK)
			st = cv_csv_str(w, week, err);
		if (st == CV_OK)
			st = cv_csv_str(w, "minutes", err);
		if (st == CV_OK)
			st = cv_csv_int(w, i < r->nduty ? r->duty[i].minutes : r->duty_threshold,
					err);
		if (st == CV_OK)
			st = cv_csv_end(w, err);
	}
	return st;
}

/* One CSV record of four fields. */
static cv_status csv_record(cv_csv *w, const char *a, const char *b, const char *c, const char *d,
			    cv_err *err)
{
	cv_status st = cv_csv_str(w, a, err);

	if (st == CV_OK)
		st = cv_csv_str(w, b, err);
	if (st == CV_OK)
		st = cv_csv_str(w, c, err);
	if (st == CV_OK)
		st = cv_csv_str(w, d, err);
	if (st == CV_OK)
		st = cv_csv_end(w, err);
	return st;
}

/* What the cells are of, as records of the table "export": the period, k,
 * and the epsilon spent ("none" without noise), or a merge's files and
 * each noisy file's epsilon. */
static cv_status write_csv_params(const cv_stats_result *r, cv_csv *w, cv_err *err)
{
	char n[24], e[CV_DLAP_EPS_STRLEN], input[32];
	cv_status st = csv_record(w, "export", "period", "from", r->from, err);

	if (st == CV_OK)
		st = csv_record(w, "export", "period", "to", r->to, err);
	if (st == CV_OK)
		st = csv_record(w, "export", "k", "", cv_num(n, r->k), err);
	if (st == CV_OK && !r->merged_from) {
		cv_dlap_eps_format(r->spent, e);
		st = csv_record(w, "export", "epsilon", "", r->spent ? e : "none", err);
	}
	if (st == CV_OK && r->merged_from) {
		snprintf(n, sizeof(n), "%zu", r->merged_from);
		st = csv_record(w, "export", "merged", "", n, err);
	}
	for (size_t i = 0; r->merged_from && i < r->merged_from && st == CV_OK; i++) {
		if (!r->input_eps || !r->input_eps[i])
			continue;
		cv_dlap_eps_format(r->input_eps[i], e);
		snprintf(input, sizeof(input), "input %zu", i + 1);
		st = csv_record(w, "export", "epsilon", input, e, err);
	}
	return st;
}

static cv_status write_csv(const cv_stats_result *res, cv_csv *w, cv_err *err)
{
	const cv_sdc_export *x = res->x;
	cv_status st = csv_record(w, "table", "row", "column", "count", err);

	if (st == CV_OK)
		st = write_csv_params(res, w, err);
	for (size_t t = 0; t < x->ntables && st == CV_OK; t++) {
		const cv_sdc_table *tb = &x->tables[t];

		if (tb->withheld) {
			st = csv_record(w, tb->name, "all", "total", CV_STATS_WITHHELD, err);
			continue;
		}
		for (size_t r = 0; r < cv_sdc_rows(tb) && st == CV_OK; r++)
			for (size_t c = 0; c <= tb->ncols && st == CV_OK; c++) {
				st = cv_csv_str(w, tb->name, err);
				if (st == CV_OK)
					st = cv_csv_str(w, row_label(tb, r), err);
				if (st == CV_OK)
					st = cv_csv_str(w, col_label(tb, c), err);
				if (st == CV_OK)
					st = cv_sdc_flag_of(x, t, r, c) == CV_SDC_PUBLISHED
						 ? cv_csv_int(w, cv_sdc_value(x, t, r, c), err)
						 : cv_csv_str(w, CV_STATS_MARKER, err);
				if (st == CV_OK)
					st = cv_csv_end(w, err);
			}
	}
	return st;
}

/* Table t of x; folded: its last column took the categories under k. */
static json_t *json_table(const cv_sdc_export *x, size_t t, int folded)
{
	const cv_sdc_table *tb = &x->tables[t];
	json_t *o = json_object(), *cols = json_array(), *rows = json_array(),
	       *cells = json_array();

	for (size_t c = 0; c < tb->ncols; c++)
		json_array_append_new(cols, json_string(tb->col_labels[c]));
	for (size_t r = 0; r < tb->nrows; r++)
		json_array_append_new(rows, json_string(tb->row_labels[r]));
	for (size_t r = 0; !tb->withheld && r < cv_sdc_rows(tb); r++)
		for (size_t c = 0; c <= tb->ncols; c++) {
			int hidden = cv_sdc_flag_of(x, t, r, c) != CV_SDC_PUBLISHED;

			json_array_append_new(
			    cells,
			    json_pack("{s:s, s:s, s:o, s:b}", "row", row_label(tb, r), "column",
				      col_label(tb, c), "count",
				      hidden ? json_null() : json_integer(cv_sdc_value(x, t, r, c)),
				      "suppressed", hidden));
		}
	json_object_set_new(o, "name", json_string(tb->name));
	json_object_set_new(o, "population",
			    json_string(cv_stats_population_name(cv_stats_table_population(t))));
	json_object_set_new(o, "published", json_boolean(!tb->withheld));
	json_object_set_new(o, "rows", tb->nrows ? rows : json_null());
	if (!tb->nrows)
		json_decref(rows);
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "folded_into",
			    folded && tb->ncols ? json_string(tb->col_labels[tb->ncols - 1])
						: json_null());
	json_object_set_new(o, "cells", cells);
	return o;
}

/* A merge's input epsilons in input order (null for an exact release), or
 * null when every input was exact. */
static json_t *json_input_eps(const cv_stats_result *r)
{
	json_t *a;
	size_t noisy = 0;

	for (size_t i = 0; i < r->merged_from; i++)
		noisy += r->input_eps[i] > 0;
	if (!noisy)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < r->merged_from; i++) {
		char e[CV_DLAP_EPS_STRLEN];

		cv_dlap_eps_format(r->input_eps[i], e);
		json_array_append_new(a, r->input_eps[i] ? json_string(e) : json_null());
	}
	return a;
}

/* The duty section, or null without a shift in the period. */
static json_t *json_duty(const cv_stats_result *r)
{
	json_t *weeks = json_array();

	if (!r->nduty) {
		json_decref(weeks);
		return json_null();
	}
	for (size_t i = 0; i < r->nduty; i++) {
		const cv_duty_week *w = &r->duty[i];
		cv_duty_isoweek iw = {w->iso_year, w->iso_week, w->monday};
		char week[CV_DUTY_WEEK_LEN], monday[CV_DUTY_DATE_LEN];

		cv_duty_isoweek_format(&iw, week);
		cv_duty_date_format(w->monday, monday);
		json_array_append_new(weeks,
				      json_pack("{s:s, s:s, s:I, s:b, s:b}", "week", week, "monday",
						monday, "minutes", (json_int_t)w->minutes, "under",
						w->under, "partial", w->partial));
	}
	return json_pack("{s:s, s:I, s:o}", "name", duty_name, "threshold_minutes",
			 (json_int_t)r->duty_threshold, "weeks", weeks);
}

static json_t *json_export(const cv_stats_result *r)
{
	json_t *tables = json_array();
	char hex[CV_DIGEST_LEN * 2 + 1], src[CV_DIGEST_LEN * 2 + 1], e[CV_DLAP_EPS_STRLEN];

	for (size_t t = 0; t < r->x->ntables; t++)
		json_array_append_new(tables,
				      json_table(r->x, t, t < CV_STATS_TABLES_MAX && r->folded[t]));
	sodium_bin2hex(hex, sizeof(hex), r->hash, sizeof(r->hash));
	cv_dlap_eps_format(r->spent, e);
	if (r->merged_from)
		return json_pack("{s:s, s:i, s:{s:s, s:s}, s:i, s:I, s:o, s:s, s:s, s:o}", "schema",
				 CV_STATS_MERGE_SCHEMA, "version", CV_STATS_SCHEMA_VERSION,
				 "period", "from", r->from, "to", r->to, "k", r->k, "merged_from",
				 (json_int_t)r->merged_from, "input_epsilons", json_input_eps(r),
				 "marker", CV_STATS_MARKER, "cells_hash", hex, "tables", tables);
	sodium_bin2hex(src, sizeof(src), r->source, sizeof(r->source));
	return json_pack("{s:s, s:i, s:{s:s, s:s}, s:i, s:s?, s:s, s:s, s:s, s:o, s:o, s:o}",
			 "schema", CV_STATS_SCHEMA, "version", CV_STATS_SCHEMA_VERSION, "period",
			 "from", r->from, "to", r->to, "k", r->k, "epsilon", r->spent ? e : NULL,
			 "marker", CV_STATS_MARKER, "source", src, "cells_hash", hex, "tables",
			 tables, "duty", json_duty(r), "school",
			 r->school[0] ? json_string(r->school) : json_null());
}

/* ---- the HTML page -------------------------------------------------------- */

/* The page's headings and labels in Chinese, then English: the work
 * summary it is pasted into is written in Chinese. */
static const char *const table_titles[CV_STATS_NTABLES] = {
    "按月新开个案 Cases opened by month",
    "年级段 × 性别 Grade band × gender",
    "问题类别 Problem category",
    "按月结案 Cases closed by month",
    "每个个案的辅导次数 Counseling sessions per case",
    "知情同意情况 Consent coverage",
    "转介：紧急程度 × 状态 Referrals: urgency × status",
    "转介机构类别 Referrals by kind of institution",
    "重点学生登记类别 Key-student register entries by tag",
    "危机干预事件 Break-glass (crisis) events"};
static const struct {
	const char *code, *zh;
} label_zh[] = {
    {"primary 1-3", "小学 1-3 年级"},
    {"primary 4-6", "小学 4-6 年级"},
    {"junior 7-9", "初中 7-9 年级"},
    {"senior 10-12", "高中 10-12 年级"},
    {"F", "女"},
    {"M", "男"},
    {"X", "未说明"},
    {"academic", "学业"},
    {"emotion", "情绪"},
    {"relationships", "人际"},
    {"family", "家庭"},
    {"adolescence", "青春期"},
    {"behavior", "行为"},
    {"self-harm-risk", "自伤风险"},
    {"other", "其他"},
    {"total", "合计"},
    {"all", "全部"},
    {"not closed in the period", "期内未结案"},
    {"0", "0 次"},
    {"1", "1 次"},
    {"2-3", "2-3 次"},
    {"4-6", "4-6 次"},
    {"7+", "7 次及以上"},
    {"student assent and guardian consent", "学生与监护人均已同意"},
    {"student assent, adult", "学生已同意（已成年）"},
    {"student assent, guardian consent missing", "学生已同意，缺监护人同意"},
    {"no student assent", "无学生同意记录"},
    {"routine", "常规"},
    {"urgent", "紧急"},
    {"emergency", "危急"},
    {"referred", "已转介"},
    {"contacted", "已联系"},
    {"accepted", "已接收"},
    {"declined", "已拒绝"},
    {"completed", "已完成"},
    {"mental-health", "精神卫生机构"},
    {"hospital", "医院"},
    {"counseling", "心理咨询机构"},
    {"social-services", "社会服务机构"},
    {"single-parent", "单亲"},
    {"left-behind", "留守"},
    {"family-change", "家庭变故"},
    {"reviewed", "督导已复核"},
    {"not reviewed", "尚未复核"},
};
static const char html_lang[] = "zh-CN";
static const char html_title[] = "个案工作统计 Counseling case statistics";
static const char html_withheld[] = "不予公布：本表总数少于 k。 Withheld: the table's total is "
				    "under k.";
static const char html_marker_note[] =
    "x = 已抑制：1 至 k-1 的计数不公布，可由其他数推算出的计数也不公布；图中不画横条。 "
    "x = suppressed: a count from 1 to k-1, or one that could be worked out from the "
    "others, is not printed, and has no bar in the chart.";
static const char html_no_noise[] = "未加噪声 none (no noise)";
/* Printed as it is: no script, no link, no font or image from elsewhere. */
static const char html_style[] =
    "@page { size: A4; margin: 15mm; }\n"
    "body { font-family: \"Noto Sans CJK SC\", \"WenQuanYi Micro Hei\", "
    "\"WenQuanYi Zen Hei\", sans-serif; font-size: 10.5pt; color: #000; }\n"
    "h1 { font-size: 16pt; margin: 0 0 6pt; }\n"
    "h2 { font-size: 12pt; margin: 12pt 0 4pt; }\n"
    "dl { display: grid; grid-template-columns: max-content auto; gap: 2pt 12pt; margin: 0; }\n"
    "dt { font-weight: bold; }\n"
    "dd { margin: 0; }\n"
    "section { break-inside: avoid; }\n"
    "table { border-collapse: collapse; margin: 4pt 0; }\n"
    "th, td { border: 1px solid #000; padding: 1pt 6pt; }\n"
    "td { text-align: right; }\n"
    "svg { display: block; }\n"
    "svg text { font-size: 12px; fill: #000; }\n"
    "svg text.label { text-anchor: end; }\n"
    "svg rect { fill: #4a6fa5; }\n";

/* The bar chart's geometry, in pixels: one line per body cell. */
#define SVG_LINE 20
#define SVG_LABEL 320 /* the labels' column, right-aligned */
#define SVG_GAP 6
#define SVG_BAR 260 /* the longest bar */
#define SVG_VALUE 60
#define SVG_WIDTH (SVG_LABEL + SVG_GAP + SVG_BAR + SVG_VALUE)
#define SVG_PAD 4
#define SVG_BASELINE 14
#define HTML_LABEL_MAX 128
#define HTML_NUM_MAX 24 /* a count, in decimal */

/* A child element of parent with text (escaped by libxml2), or NULL. */
static xmlNodePtr el(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
}

static void attr(xmlNodePtr node, const char *name, const char *value)
{
	xmlNewProp(node, (const xmlChar *)name, (const xmlChar *)value);
}

static void attr_num(xmlNodePtr node, const char *name, long long value)
{
	char n[HTML_NUM_MAX];

	snprintf(n, sizeof(n), "%lld", value);
	attr(node, name, n);
}

/* A label of a table as "中文 English"; months have no translation. */
static const char *bilingual(const char *code, char out[HTML_LABEL_MAX])
{
	for (size_t i = 0; i < ARRAY_SIZE(label_zh); i++)
		if (strcmp(code, label_zh[i].code) == 0) {
			snprintf(out, HTML_LABEL_MAX, "%s %s", label_zh[i].zh, code);
			return out;
		}
	return code;
}

/* A cell as printed: its count, or the marker. */
static const char *cell_text(const cv_sdc_export *x, size_t t, size_t r, size_t c,
			     char n[HTML_NUM_MAX])
{
	if (cv_sdc_flag_of(x, t, r, c) != CV_SDC_PUBLISHED)
		return CV_STATS_MARKER;
	snprintf(n, HTML_NUM_MAX, "%lld", (long long)cv_sdc_value(x, t, r, c));
	return n;
}

/* A text of the chart at (x, y); a label is right-aligned on x (the style
 * says so). */
static void svg_text(xmlNodePtr svg, long long x, long long y, int label, const char *text)
{
	xmlNodePtr node = el(svg, "text", text);

	attr_num(node, "x", x);
	attr_num(node, "y", y);
	if (label)
		attr(node, "class", "label");
}

/*
 * A horizontal bar chart of the body cells of published table t (margins
 * are in the table only): one line per cell with its label, a bar as long
 * as its count relative to the table's largest printed count, and the
 * count.  A suppressed cell has no bar and the marker as its count; a zero
 * has no bar.
 */
static void html_chart(xmlNodePtr parent, const cv_sdc_export *x, size_t t)
{
	const cv_sdc_table *tb = &x->tables[t];
	size_t body = tb->nrows ? tb->nrows : 1, line = 0;
	int64_t max = 0;
	xmlNodePtr svg;

	for (size_t r = 0; r < body; r++)
		for (size_t c = 0; c < tb->ncols; c++)
			if (cv_sdc_flag_of(x, t, r, c) == CV_SDC_PUBLISHED &&
			    cv_sdc_value(x, t, r, c) > max)
				max = cv_sdc_value(x, t, r, c);
	svg = el(parent, "svg", NULL);
	attr_num(svg, "width", SVG_WIDTH);
	attr_num(svg, "height", (long long)(body * tb->ncols) * SVG_LINE + 2 * SVG_PAD);
	attr(svg, "role", "img");
	attr(svg, "aria-label", table_titles[t]);
	for (size_t r = 0; r < body; r++)
		for (size_t c = 0; c < tb->ncols; c++, line++) {
			char a[HTML_LABEL_MAX], b[HTML_LABEL_MAX], label[2 * HTML_LABEL_MAX],
			    n[HTML_NUM_MAX];
			long long y = SVG_PAD + (long long)line * SVG_LINE, w = 0;
			int shown = cv_sdc_flag_of(x, t, r, c) == CV_SDC_PUBLISHED;

			if (tb->nrows)
				snprintf(label, sizeof(label), "%s · %s",
					 bilingual(tb->row_labels[r], a),
					 bilingual(tb->col_labels[c], b));
			else
				snprintf(label, sizeof(label), "%s",
					 bilingual(tb->col_labels[c], a));
			svg_text(svg, SVG_LABEL, y + SVG_BASELINE, 1, label);
			if (shown && cv_sdc_value(x, t, r, c) > 0) {
				xmlNodePtr bar = el(svg, "rect", NULL);

				/* Integer lengths; a count of 1 or more shows at least 1px. */
				w = (long long)(cv_sdc_value(x, t, r, c) * SVG_BAR / max);
				w = w > 0 ? w : 1;
				attr_num(bar, "x", SVG_LABEL + SVG_GAP);
				attr_num(bar, "y", y + SVG_PAD);
				attr_num(bar, "width", w);
				attr_num(bar, "height", SVG_LINE - 2 * SVG_PAD);
			}
			svg_text(svg, SVG_LABEL + 2 * SVG_GAP + w, y + SVG_BASELINE, 0,
				 cell_text(x, t, r, c, n));
		}
}

static void html_table(xmlNodePtr body, const cv_sdc_export *x, size_t t)
{
	const cv_sdc_table *tb = &x->tables[t];
	xmlNodePtr section = el(body, "section", NULL), table, tr, h;
	char a[HTML_LABEL_MAX], n[HTML_NUM_MAX];

	h = el(section, "h2", table_titles[t]);
	attr(h, "id", tb->name);
	if (tb->withheld) {
		el(section, "p", html_withheld);
		return;
	}
	table = el(section, "table", NULL);
	tr = el(table, "tr", NULL);
	el(tr, "th", "");
	for (size_t c = 0; c <= tb->ncols; c++)
		el(tr, "th", bilingual(col_label(tb, c), a));
	for (size_t r = 0; r < cv_sdc_rows(tb); r++) {
		tr = el(table, "tr", NULL);
		el(tr, "th", bilingual(row_label(tb, r), a));
		for (size_t c = 0; c <= tb->ncols; c++)
			el(tr, "td", cell_text(x, t, r, c, n));
	}
	html_chart(section, x, t);
}

/* The duty log's open hours per week, a section after the tables: hours
 * of the counseling room, not counts of students, so nothing in it is
 * suppressed. */
static void html_duty(xmlNodePtr body, const cv_stats_result *r)
{
	xmlNodePtr section, table, tr, h;
	char n[HTML_NUM_MAX];

	if (!r->nduty)
		return;
	section = el(body, "section", NULL);
	h = el(section, "h2", "每周开放时长（值班记录） Open hours per week (duty log)");
	attr(h, "id", duty_name);
	snprintf(n, sizeof(n), "%lld", (long long)(r->duty_threshold / 60));
	{
		char line[192];

		snprintf(line, sizeof(line),
			 "标准：每周不少于 %s 小时。 The standard: at least %s hours a week.", n,
			 n);
		el(section, "p", line);
	}
	table = el(section, "table", NULL);
	tr = el(table, "tr", NULL);
	el(tr, "th", "周 Week");
	el(tr, "th", "周一 Monday");
	el(tr, "th", "小时 Hours");
	el(tr, "th", "");
	for (size_t i = 0; i < r->nduty; i++) {
		const cv_duty_week *w = &r->duty[i];
		cv_duty_isoweek iw = {w->iso_year, w->iso_week, w->monday};
		char week[CV_DUTY_WEEK_LEN], monday[CV_DUTY_DATE_LEN];

		cv_duty_isoweek_format(&iw, week);
		cv_duty_date_format(w->monday, monday);
		tr = el(table, "tr", NULL);
		el(tr, "th", week);
		el(tr, "td", monday);
		snprintf(n, sizeof(n), "%lld:%02lld", (long long)(w->minutes / 60),
			 (long long)(w->minutes % 60));
		el(tr, "td", n);
		el(tr, "td", w->under ? "不足 under" : "");
	}
}

/* A term-list entry of the page's head. */
static void html_fact(xmlNodePtr dl, const char *term, const char *value)
{
	el(dl, "dt", term);
	el(dl, "dd", value);
}

static cv_status write_html(const cv_stats_result *r, FILE *fp, cv_err *err)
{
	htmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
	xmlNodePtr html = doc ? xmlNewNode(NULL, (const xmlChar *)"html") : NULL, head, body, meta,
		   dl;
	char period[64], title[128], n[HTML_NUM_MAX], e[CV_DLAP_EPS_STRLEN];
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
	attr(html, "lang", html_lang);
	head = el(html, "head", NULL);
	meta = el(head, "meta", NULL);
	attr(meta, "charset", "utf-8");
	snprintf(period, sizeof(period), "%s..%s", r->from, r->to);
	snprintf(title, sizeof(title), "%s%s %s", html_title, r->merged_from ? " (merged)" : "",
		 period);
	el(head, "title", title);
	el(head, "style", html_style);
	body = el(html, "body", NULL);
	el(body, "h1", html_title);
	dl = el(body, "dl", NULL);
	if (r->school[0])
		html_fact(dl, "学校 School", r->school);
	html_fact(dl, "统计期间 Period", period);
	snprintf(n, sizeof(n), "%d", r->k);
	html_fact(dl, "阈值 k Threshold k", n);
	cv_dlap_eps_format(r->spent, e);
	html_fact(dl, "隐私参数 ε Epsilon", r->spent ? e : html_no_noise);
	if (r->merged_from) {
		char line[96];

		snprintf(n, sizeof(n), "%zu", r->merged_from);
		html_fact(dl, "合并学校数 Schools merged", n);
		for (size_t i = 0; i < r->merged_from; i++)
			if (r->input_eps[i]) {
				cv_dlap_eps_format(r->input_eps[i], e);
				snprintf(line, sizeof(line), "第 %zu 份 ε Input %zu epsilon", i + 1,
					 i + 1);
				html_fact(dl, line, e);
			}
	}
	html_fact(dl, "已抑制 suppressed", CV_STATS_MARKER);
	el(body, "p", html_marker_note);
	for (size_t t = 0; t < r->x->ntables; t++)
		html_table(body, r->x, t);
	html_duty(body, r);
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
		st = cv_err_set(err, CV_ERROR, "cannot write the export");
	xmlOutputBufferClose(out);
	xmlFreeDoc(doc);
	return st;
}

cv_status cv_stats_write(const cv_stats_result *r, cv_stats_format format, FILE *fp, cv_err *err)
{
	json_t *o;
	int rc;

	if (format == CV_STATS_CSV) {
		if (r->csv.len && fwrite(r->csv.data, 1, r->csv.len, fp) != r->csv.len)
			return cv_err_set(err, CV_ERROR, "cannot write the export");
		return CV_OK;
	}
	if (format == CV_STATS_HTML)
		return write_html(r, fp, err);
	if (format != CV_STATS_JSON)
		return cv_err_set(err, CV_EUSAGE, "unknown export format");
	o = json_export(r);
	if (!o)
		return cv_err_set(err, CV_ERROR, "out of memory");
	rc = json_dumpf(o, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc != 0 || fputc('\n', fp) == EOF)
		return cv_err_set(err, CV_ERROR, "cannot write the export");
	return CV_OK;
}

/* ---- the export ------------------------------------------------------------- */

void cv_stats_free(cv_stats_result *r)
{
	if (!r)
		return;
	cv_sdc_export_free(r->x);
	cv_buf_free(&r->csv);
	free(r->input_eps);
	free(r->duty);
	free(r);
}

const cv_sdc_export *cv_stats_model(const cv_stats_result *r)
{
	return r->x;
}

size_t cv_stats_cases(const cv_stats_result *r)
{
	return r->cases;
}

const uint8_t *cv_stats_hash(const cv_stats_result *r)
{
	return r->hash;
}

/* Writes the published cells of r's protected model as CSV and hashes them. */
static cv_status render(cv_stats_result *r, cv_err *err)
{
	cv_csv w;
	cv_bytes part;
	cv_status st;

	cv_csv_buf(&w, &r->csv, 0);
	st = write_csv(r, &w, err);
	if (st == CV_OK)
		st = write_csv_duty(r, &w, err);
	if (st == CV_OK)
		st = cv_csv_finish(&w, err);
	else
		cv_csv_free(&w);
	if (st == CV_OK && r->csv.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK) {
		part.p = r->csv.data;
		part.n = r->csv.len;
		cv_hash(r->hash, NULL, 0, CV_STATS_CELLS_DOMAIN, &part, 1);
	}
	return st;
}

cv_status cv_stats_merged(const char *from, const char *to, int k, cv_sdc_export *x,
			  const unsigned char *folded, uint32_t *input_eps, size_t n,
			  cv_stats_result **out, cv_err *err)
{
	cv_stats_result *r = calloc(1, sizeof(*r));
	cv_status st;

	*out = NULL;
	if (!r) {
		cv_sdc_export_free(x);
		free(input_eps);
		return cv_err_set(err, CV_ERROR, "out of memory");
	}
	snprintf(r->from, sizeof(r->from), "%s", from);
	snprintf(r->to, sizeof(r->to), "%s", to);
	r->k = k;
	r->x = x;
	r->input_eps = input_eps;
	r->merged_from = n;
	for (size_t t = 0; t < x->ntables && t < CV_STATS_TABLES_MAX; t++)
		r->folded[t] = folded[t];
	st = render(r, err);
	if (st != CV_OK) {
		cv_stats_free(r);
		return st;
	}
	*out = r;
	return CV_OK;
}

/* The open hours of the weeks of r's period from the duty log (first day
 * of its first month to the last of its last), kept only when some shift
 * falls in it. */
static cv_status duty_of(cv_session *s, cv_stats_result *r, cv_err *err)
{
	cv_duty_date df, dt;
	int64_t total = 0;
	cv_status st = cv_duty_months(r->from, r->to, &df, &dt, err);

	if (st == CV_OK)
		st = cv_duty_hours(s, df, dt, &r->duty, &r->nduty, &r->duty_threshold, err);
	for (size_t i = 0; st == CV_OK && i < r->nduty; i++)
		total += r->duty[i].minutes;
	if (st != CV_OK || total == 0) {
		free(r->duty);
		r->duty = NULL;
		r->nduty = 0;
	}
	return st;
}

/* Counts, builds, protects and renders r (inside the export's transaction);
 * ledger is what the noise may spend. */
static cv_status compute(cv_session *s, cv_stats_result *r, const cv_dlap_ledger *ledger,
			 cv_err *err)
{
	struct counts *c = calloc(1, sizeof(*c));
	size_t walked = 0;
	cv_status st = c ? CV_OK : cv_err_set(err, CV_ERROR, "out of memory");

	if (st == CV_OK) {
		c->first = month_of(r->from, 1);
		c->months = (size_t)(month_of(r->to, 1) - c->first + 1);
		c->once_per_student = r->eps > 0;
		st = cv_access_all_stats(s, collect_case, c, &walked, err);
	}
	if (st == CV_OK && c->oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st == CV_OK && c->bad_status)
		st = cv_fail(err, CV_EINTEGRITY, "record.stats-malformed",
			     "a referral's status is not one the vault writes: the vault was "
			     "tampered with");
	if (st == CV_OK) {
		if (c->once_per_student)
			tally_once(c);
		r->cases = c->cases;
		if (r->eps)
			st = add_noise(c, ledger, r->eps, &r->spent, err);
	}
	if (st == CV_OK)
		st = duty_of(s, r, err);
	if (st == CV_OK) {
		char signer[CV_NAME_MAX + 8];
		int dflt = 0;

		st = cv_setting_text(s->v, CV_SET_SCHOOL, r->school, &dflt, signer, err);
	}
	if (st == CV_OK) {
		/* Which vault the release comes from, without its vault_id: a
		 * merge counts each source once. */
		cv_bytes part = {s->v->vault_id, CV_VAULT_ID_LEN};

		cv_hash(r->source, NULL, 0, CV_STATS_SOURCE_DOMAIN, &part, 1);
	}
	if (st == CV_OK)
		st = cv_sdc_export_new(&r->x, err);
	if (st == CV_OK)
		st = build(r->x, c, r->k, !r->eps, err);
	if (st == CV_OK)
		st = cv_sdc_protect(r->x, r->k, err);
	if (st == CV_OK)
		st = render(r, err);
	if (c) {
		if (c->v)
			sodium_memzero(c->v, c->cap * sizeof(*c->v));
		free(c->v);
		for (int k = 0; k < ITEM_KINDS; k++) {
			if (c->items[k].v)
				sodium_memzero(c->items[k].v,
					       c->items[k].cap * sizeof(*c->items[k].v));
			free(c->items[k].v);
		}
		sodium_memzero(c, sizeof(*c));
	}
	free(c);
	return st;
}

/* The months of the term that month mo is in (the vault's autumn or
 * spring term), or mo alone when it is in neither (August, by default).
 * config set keeps the two terms apart. */
static void term_of(const struct terms *t, long mo, long *a, long *b)
{
	for (int i = 0; i < 2; i++)
		for (long y = mo / 12 - 1; y <= mo / 12; y++) {
			long start = y * 12 + t->first[i];

			if (mo >= start && mo <= start + term_span(t, i)) {
				*a = start;
				*b = start + term_span(t, i);
				return;
			}
		}
	*a = *b = mo;
}

/* *spent: the most that earlier releases spent in one of the terms that
 * r's period meets (a release counts against every term it meets, and
 * against every term that meets the terms it met when it was released:
 * terms set anew after a release do not give its months a fresh budget). */
static cv_status term_spent(cv_session *s, const cv_stats_result *r, uint32_t *spent, cv_err *err)
{
	long last = -1, to = month_of(r->to, 1);
	struct terms t;
	cv_status st = load_terms(s->v, &t, err);

	*spent = 0;
	for (long mo = month_of(r->from, 1); mo <= to && st == CV_OK; mo++) {
		char a[CV_STATS_MONTH_LEN], b[CV_STATS_MONTH_LEN];
		long ta, tb;
		int64_t sum = 0;

		term_of(&t, mo, &ta, &tb);
		if (ta == last)
			continue;
		last = ta;
		month_label(ta, a);
		month_label(tb, b);
		st = cv_store_release_spent(s->v->st, a, b, &sum, err);
		if (st == CV_OK && (sum < 0 || sum > CV_DLAP_EPS_MAX))
			st = cv_fail(err, CV_EINTEGRITY, "stats.ledger",
				     "the releases of {1}..{2} spent more than a release may: the "
				     "vault was tampered with",
				     a, b);
		if (st == CV_OK && (uint32_t)sum > *spent)
			*spent = (uint32_t)sum;
	}
	return st;
}

/* A period that goes past this month (the vault's local date) is refused:
 * its months to come have nothing to count yet, and a period is released
 * once, so they could never be released. */
static cv_status period_ended(cv_vault *v, const char *from, const char *to, cv_err *err)
{
	char today[11], month[CV_STATS_MONTH_LEN];
	cv_status st = cv_local_today(v, today, err);

	if (st != CV_OK)
		return st;
	snprintf(month, sizeof(month), "%.7s", today);
	if (month_of(to, 1) <= month_of(month, 1))
		return CV_OK;
	return cv_fail(err, CV_EUSAGE, CODE_STATS_UNFINISHED,
		       "the period {1}..{2} goes past this month ({3}): the months to come have "
		       "nothing to count yet, and a period is released once; export it when it "
		       "has ended, or give --from {1} --to {3}",
		       from, to, month);
}

static size_t published_tables(const cv_sdc_export *x)
{
	size_t n = 0;

	for (size_t t = 0; t < x->ntables; t++)
		n += !x->tables[t].withheld;
	return n;
}

/* Writes r to fp and flushes it (to the disk, for a file): the output is
 * whole before the release is committed. */
static cv_status write_before_commit(const cv_stats_result *r, cv_stats_format format, FILE *fp,
				     cv_err *err)
{
	struct stat sb;

	if (cv_stats_write(r, format, fp, err) != CV_OK || fflush(fp) != 0 || ferror(fp) ||
	    (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) && fsync(fileno(fp)) != 0))
		return cv_fail(err, CV_ERROR, "stats.write",
			       "the statistics could not be written; nothing is released");
	return CV_OK;
}

static cv_status export(cv_session *s, const char *from, const char *to, int k, const char *epsilon,
			cv_stats_format format, FILE *fp, cv_stats_result **out, cv_err *err)
{
	char object[OBJECT_MAX], detail[CV_LOG_DETAIL_MAX], n[24];
	cv_release_rec rel = {0};
	cv_verify_pending *pending = NULL;
	cv_audit_report rep = {0};
	int verifying = 0; /* begun: cv_verify_in_op_end is owed */
	uint32_t spent = 0;
	cv_dlap_ledger ledger = {CV_STATS_EPS_BUDGET, &spent, 0};
	cv_stats_result *r = NULL;
	int64_t overlap = 0;
	cv_status st;

	*out = NULL;
	snprintf(object, sizeof(object), "stats");
	st = cv_policy_check(s, CV_ACT_STATS_EXPORT, object, err);
	if (st != CV_OK)
		return st;
	r = calloc(1, sizeof(*r));
	if (!r)
		return cv_err_set(err, CV_ERROR, "out of memory");
	r->k = k;
	/* The category table's last column, "other", takes the categories
	 * with fewer than k cases (build). */
	r->folded[CV_STATS_T_CATEGORY] = 1;
	st = cv_stats_period(NULL, from, to, r->from, r->to, err);
	if (st == CV_OK)
		snprintf(object, sizeof(object), "stats:%s..%s", r->from, r->to);
	if (st == CV_OK)
		st = period_ended(s->v, r->from, r->to, err);
	if (st == CV_OK && k < CV_SDC_K_MIN)
		st = cv_fail(err, CV_EUSAGE, CODE_STATS_K,
			     "k {1} is too small; counts under 3 identify students, use --k 3 "
			     "or more",
			     cv_num(n, k));
	if (st == CV_OK && k > CV_SDC_MAX_COUNT)
		st = cv_fail(err, CV_EUSAGE, CODE_STATS_K, "k {1} is too large", cv_num(n, k));
	if (st == CV_OK && epsilon)
		st = cv_dlap_eps_parse(epsilon, &r->eps, err);
	if (st == CV_OK && epsilon && r->eps < CV_STATS_NTABLES) {
		char least[CV_DLAP_EPS_STRLEN];

		cv_dlap_eps_format(CV_STATS_NTABLES, least);
		st = cv_fail(err, CV_EUSAGE, CODE_STATS_EPSILON,
			     "epsilon '{1}' is too small to share among the tables; give at "
			     "least {2}",
			     epsilon, least);
	}
	if (st == CV_OK && epsilon) {
		const cv_dlap_ledger fresh = {CV_STATS_EPS_BUDGET, NULL, 0};

		st = cv_dlap_budget_check(&fresh, r->eps, NULL, err);
	}
	if (st != CV_OK) {
		cv_stats_free(r);
		return cv_op_fail(s, CV_ACT_STATS_EXPORT, object, err);
	}
	/* The releases that decide overlap and budget, and every row the
	 * tables count, are checked against the log first, in the export's
	 * own transaction: a release deleted or planted in the file is an
	 * integrity error here, not a period opened again or blocked, and
	 * nothing can change between the check and the count (the
	 * verification is logged as audit.verify). */
	st = cv_op_begin(s, err);
	if (st == CV_OK) {
		/* The rows the tables count are as the log committed them:
		 * a row's commitment by its own signer stands for its
		 * signature (verify.h), until the transaction ends.  The
		 * comparison of the rows with the log runs while they are
		 * counted; nothing counted is used before it has passed. */
		cv_vouch_begin(s->v);
		st = cv_verify_in_op_begin(s, &pending, &rep, err);
		if (st != CV_OK) {
			cv_vouch_end(s->v);
			cv_stats_free(r);
			cv_op_fail(s, CV_ACT_AUDIT_VERIFY, "audit", err);
			return cv_op_fail(s, CV_ACT_STATS_EXPORT, object, err);
		}
		verifying = 1;
	}
	if (st == CV_OK)
		st = cv_store_release_overlap(s->v->st, r->from, r->to, &overlap, err);
	if (st == CV_OK && overlap)
		st = cv_fail(err, CV_EDENIED, CODE_STATS_OVERLAP,
			     "{1} earlier release(s) cover months of {2}..{3}; a period is "
			     "released once (overlapping exports allow subtraction)",
			     cv_num(n, overlap), r->from, r->to);
	if (st == CV_OK && r->eps)
		st = term_spent(s, r, &spent, err);
	ledger.nspent = spent > 0;
	if (st == CV_OK && r->eps)
		st = cv_dlap_budget_check(&ledger, r->eps, NULL, err);
	if (st == CV_OK)
		st = compute(s, r, &ledger, err);
	if (verifying) {
		cv_err found = {0};
		cv_status vs = cv_verify_in_op_end(s, pending, st, &rep, &found);

		/* What the verification found comes first: it is why
		 * anything else may have failed. */
		if (vs != CV_OK) {
			*err = found;
			cv_vouch_end(s->v);
			cv_stats_free(r);
			cv_op_fail(s, CV_ACT_AUDIT_VERIFY, "audit", err);
			return cv_op_fail(s, CV_ACT_STATS_EXPORT, object, err);
		}
	}
	cv_vouch_end(s->v);
	/* Nothing would be published from exact counts: no release is
	 * recorded, so the period stays open for an export when it has enough
	 * cases.  The refusal says only what a release of withheld tables
	 * would (fewer than k cases in all), never the count.  A noisy export
	 * is recorded even then: a refusal would let noise be drawn again
	 * without spending budget. */
	if (st == CV_OK && !r->eps && published_tables(r->x) == 0)
		st = cv_fail(err, CV_EDENIED, CODE_STATS_NOTHING,
			     "fewer than k = {1} cases in {2}..{3}: every table would be "
			     "withheld; nothing is released, and the period stays open for a "
			     "later export",
			     cv_num(n, k), r->from, r->to);
	if (st == CV_OK) {
		struct terms t;
		long ta, tb, ua, ub;

		st = load_terms(s->v, &t, err);
		term_of(&t, month_of(r->from, 1), &ta, &tb);
		term_of(&t, month_of(r->to, 1), &ua, &ub);
		month_label(ta, rel.term_from);
		month_label(ub, rel.term_to);
	}
	if (st == CV_OK) {
		snprintf(rel.from, sizeof(rel.from), "%s", r->from);
		snprintf(rel.to, sizeof(rel.to), "%s", r->to);
		rel.k = k;
		rel.epsilon = r->spent;
		memcpy(rel.cells_hash, r->hash, sizeof(rel.cells_hash));
		rel.released_by = s->me.id;
		cv_time_now(rel.released_at);
		st = cv_store_release_insert(s->v->st, &rel, err);
	}
	if (st == CV_OK) {
		char e[CV_DLAP_EPS_STRLEN];

		cv_dlap_eps_format(r->spent, e);
		/* No count: the log is read by admins, and the true number of
		 * cases is what suppression and noise keep from the reader. */
		snprintf(detail, sizeof(detail), "k=%d tables=%zu%s%s", k, published_tables(r->x),
			 r->spent ? " epsilon=" : "", r->spent ? e : "");
		st = cv_op_log(s, CV_ACT_STATS_EXPORT, object, CV_OUT_OK, detail, err);
	}
	if (st == CV_OK && fp)
		st = write_before_commit(r, format, fp, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK) {
		cv_stats_free(r);
		return cv_op_fail(s, CV_ACT_STATS_EXPORT, object, err);
	}
	*out = r;
	return CV_OK;
}

cv_status cv_stats_export(cv_session *s, const char *from, const char *to, int k,
			  const char *epsilon, cv_stats_result **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	return export(s, from, to, k, epsilon, CV_STATS_CSV, NULL, out, err);
}

cv_status cv_stats_export_to(cv_session *s, const char *from, const char *to, int k,
			     const char *epsilon, cv_stats_format format, FILE *fp,
			     cv_stats_result **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	return export(s, from, to, k, epsilon, format, fp, out, err);
}

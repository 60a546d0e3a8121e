/*
 * stats.h - commands layer: anonymized term statistics (docs/STATISTICS.md).
 * The export counts the cases opened in a period from their statistical
 * attributes alone (the access layer's stats walk: no case key, no
 * content), builds linked count tables, protects them with sdc, records
 * the release and logs it.  The public entry points are in casevault.h;
 * this header gives tests the model behind an export.
 */
#ifndef CV_STATS_H
#define CV_STATS_H

#include "casevault.h"
#include "sdc.h"

/* The tables of an export, in the order they are built and written. */
enum {
	CV_STATS_T_OPENED = 0,	 /* one-way: cases opened by month */
	CV_STATS_T_GRADE = 1,	 /* two-way: grade band x gender */
	CV_STATS_T_CATEGORY = 2, /* one-way: problem category, small ones merged into "other" */
	CV_STATS_T_CLOSED = 3,	 /* one-way: closed by month, and "not closed" */
	CV_STATS_T_SESSIONS = 4, /* one-way: session notes per case, in bands */
	CV_STATS_T_CONSENT = 5,	 /* one-way: consent coverage of the cases */
	/* The referrals made in the period (a second population). */
	CV_STATS_T_REFERRALS = 6,   /* two-way: urgency x status */
	CV_STATS_T_DESTINATION = 7, /* one-way: kind of institution */
	/* The register entries added in the period (a third population). */
	CV_STATS_T_REGISTER = 8, /* one-way: register tag */
	/* The break-glass events of the period (a fourth population). */
	CV_STATS_T_CRISIS = 9, /* one-way: reviewed or not */
	CV_STATS_NTABLES = 10,
};

/* What a table counts: its population (tables of one population share
 * their grand total). */
typedef enum cv_stats_population {
	CV_STATS_POP_CASES = 0,	    /* cases opened in the period */
	CV_STATS_POP_REFERRALS = 1, /* referrals made in the period */
	CV_STATS_POP_REGISTER = 2,  /* register entries added in the period */
	CV_STATS_POP_CRISIS = 3,    /* break-glass events of the period */
} cv_stats_population;

/* The population of table t (t < CV_STATS_NTABLES). */
cv_stats_population cv_stats_table_population(size_t t);
/* A population's name as the JSON export writes it ("cases", ...). */
const char *cv_stats_population_name(cv_stats_population p);

#define CV_STATS_SCHEMA "casevault-stats-1"
#define CV_STATS_SCHEMA_VERSION 3
/* The domain string of an export's source: BLAKE2b-256 of it and the
 * vault_id, the vault's identity without its value (docs/STATISTICS.md). */
#define CV_STATS_SOURCE_DOMAIN "casevault-stats-source-v1"
/* A district table summed from schools' releases (stats_merge.c). */
#define CV_STATS_MERGE_SCHEMA "casevault-stats-merge-1"
/* The privacy budget of one release, in CV_DLAP_GRID units (epsilon 1). */
#define CV_STATS_EPS_BUDGET 1000u
/* The one marker of every suppressed cell, primary or secondary. */
#define CV_STATS_MARKER "x"
/* A withheld table's one CSV record, in the place of its cells. */
#define CV_STATS_WITHHELD "withheld"
/* The domain string of the hash of the published cells (docs/FORMAT.md). */
#define CV_STATS_CELLS_DOMAIN "casevault-stats-cells-v1"

/* The protected model of r (its tables, links and flags); r owns it. */
const cv_sdc_export *cv_stats_model(const cv_stats_result *r);

/* The number of cases the export counted (opened in its period). */
size_t cv_stats_cases(const cv_stats_result *r);

/* BLAKE2b-256 of the published cells, as recorded in the vault. */
const uint8_t *cv_stats_hash(const cv_stats_result *r);

/* The most tables an export (or a merge) may hold. */
#define CV_STATS_TABLES_MAX 16
/* The label of the column that takes the categories with fewer than k
 * cases (the JSON's "folded_into" of such a table). */
#define CV_STATS_FOLD_LABEL "other"

/*
 * cv_stats_merged - wraps a merge's protected model x (cv_sdc_protect done)
 * as a result that cv_stats_write writes with the merge schema; folded
 * flags, per table of x (at most CV_STATS_TABLES_MAX), the tables whose
 * last column took the small categories; input_eps holds the n inputs'
 * epsilons (0: exact).  Takes x and input_eps (freed on failure too).
 * CV_ERROR when out of memory.
 */
cv_status cv_stats_merged(const char *from, const char *to, int k, cv_sdc_export *x,
			  const unsigned char *folded, uint32_t *input_eps, size_t n,
			  cv_stats_result **out, cv_err *err);

#endif

/*
 * test_stats_merge.c - `stats merge` through the library, on exports
 * written here in the export's JSON schema: published cells are summed; a
 * cell suppressed in one school and a table withheld in one school stay
 * so; a sum in 1..k-1 is suppressed; the audit of every merge finds
 * nothing recoverable; the epsilons of noisy inputs are recorded; and
 * every input (labels with control or bidi characters included) that is not a matching, valid,
 * distinct export is refused with CV_EUSAGE "stats.merge" and no result; two
 * exports of one vault (its source) are refused, and two schools with the
 * same cells are summed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "casevault.h"
#include "sdc.h"
#include "stats.h"

#define MONTHS 2
#define GR 2 /* rows of the two-way table */
#define GC 2 /* columns of the two-way table */
#define ONEWAY_CELLS (MONTHS + 1)
#define TWOWAY_CELLS ((GR + 1) * (GC + 1))
#define HIDE_MAX 8

static const char *const months[MONTHS] = {"2026-09", "2026-10"};
static const char *const grow[GR] = {"junior 7-9", "senior 10-12"};
static const char *const gcol[GC] = {"F", "M"};

/* One school's release: the body counts, and which cells it suppressed
 * (indexes into the table's cells, margins included, row-major). */
struct school {
	int64_t month[MONTHS];
	int64_t grid[GR][GC];
	size_t hide_month[HIDE_MAX], nhide_month;
	size_t hide_grid[HIDE_MAX], nhide_grid;
	int withhold_grid;
	const char *epsilon;
	int k;
	const char *hash;   /* NULL: derived from the counts */
	const char *source; /* NULL: derived from the counts */
};

static int hidden(const size_t *v, size_t n, size_t i)
{
	for (size_t j = 0; j < n; j++)
		if (v[j] == i)
			return 1;
	return 0;
}

static json_t *cell(const char *row, const char *col, int64_t v, int hide)
{
	return json_pack("{s:s, s:s, s:o, s:b}", "row", row, "column", col, "count",
			 hide ? json_null() : json_integer(v), "suppressed", hide);
}

static json_t *labels(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The export of s as a JSON document. */
static json_t *export_of(const struct school *s)
{
	json_t *t1 = json_array(), *t2 = json_array(), *tables;
	int64_t total = 0, g[GR + 1][GC + 1] = {{0}};
	char hash[65], source[65];
	size_t i = 0;

	for (size_t m = 0; m < MONTHS; m++) {
		json_array_append_new(t1, cell("all", months[m], s->month[m],
					       hidden(s->hide_month, s->nhide_month, m)));
		total += s->month[m];
	}
	json_array_append_new(
	    t1, cell("all", "total", total, hidden(s->hide_month, s->nhide_month, MONTHS)));
	for (size_t r = 0; r < GR; r++)
		for (size_t c = 0; c < GC; c++) {
			g[r][c] = s->grid[r][c];
			g[r][GC] += s->grid[r][c];
			g[GR][c] += s->grid[r][c];
			g[GR][GC] += s->grid[r][c];
		}
	for (size_t r = 0; !s->withhold_grid && r <= GR; r++)
		for (size_t c = 0; c <= GC; c++, i++)
			json_array_append_new(t2, cell(r < GR ? grow[r] : "total",
						       c < GC ? gcol[c] : "total", g[r][c],
						       hidden(s->hide_grid, s->nhide_grid, i)));
	tables = json_pack("[{s:s, s:s, s:b, s:n, s:o, s:n, s:o}, {s:s, s:s, s:b, s:o, s:o, s:n, "
			   "s:o}]",
			   "name", "opened_by_month", "population", "cases", "published", 1, "rows",
			   "columns", labels(months, MONTHS), "folded_into", "cells", t1, "name",
			   "grade_band_by_gender", "population", "cases", "published",
			   !s->withhold_grid, "rows", labels(grow, GR), "columns", labels(gcol, GC),
			   "folded_into", "cells", t2);
	snprintf(hash, sizeof(hash), "%016llx%016llx%016llx%016llx",
		 (unsigned long long)s->month[0], (unsigned long long)s->month[1],
		 (unsigned long long)s->grid[0][0], (unsigned long long)s->grid[1][1]);
	snprintf(source, sizeof(source), "%016llx%016llx%016llx%016llx",
		 (unsigned long long)s->grid[1][1], (unsigned long long)s->grid[0][1],
		 (unsigned long long)s->grid[1][0], (unsigned long long)s->month[1] + 7);
	return json_pack("{s:s, s:i, s:{s:s, s:s}, s:i, s:s?, s:s, s:s, s:s, s:o}", "schema",
			 "casevault-stats-1", "version", CV_STATS_SCHEMA_VERSION, "period", "from",
			 "2026-09", "to", "2026-10", "k", s->k ? s->k : 5, "epsilon", s->epsilon,
			 "marker", "x", "source", s->source ? s->source : source, "cells_hash",
			 s->hash ? s->hash : hash, "tables", tables);
}

/* The text of doc (taken), in memory of malloc. */
static char *text_of(json_t *doc)
{
	json_malloc_t jm;
	json_free_t jf;
	char *t = json_dumps(doc, JSON_PRESERVE_ORDER), *copy;

	json_decref(doc);
	assert_non_null(t);
	copy = strdup(t);
	json_get_alloc_funcs(&jm, &jf);
	jf(t);
	assert_non_null(copy);
	return copy;
}

/* Merges n texts; on success *out holds the result. */
static cv_status merge_texts(char **texts, size_t n, cv_stats_result **out, cv_err *err)
{
	const char *names[8] = {"a.json", "b.json", "c.json", "d.json",
				"e.json", "f.json", "g.json", "h.json"};
	size_t lens[8];

	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(texts[i]);
	return cv_stats_merge(names, (const char *const *)texts, lens, n, out, err);
}

static cv_status merge_schools(const struct school *s, size_t n, cv_stats_result **out, cv_err *err)
{
	char *texts[8];
	cv_status st;

	for (size_t i = 0; i < n; i++)
		texts[i] = text_of(export_of(&s[i]));
	st = merge_texts(texts, n, out, err);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	return st;
}

/* The audit of r's model finds no cell recoverable and no singleton. */
static void assert_audit_clean(const cv_stats_result *r)
{
	cv_sdc_report rep = {0};

	assert_int_equal(cv_sdc_audit(cv_stats_model(r), CV_SDC_LOWER_PRODUCT, &rep, NULL), CV_OK);
	assert_int_equal(rep.nexposed, 0);
	assert_int_equal(rep.nsingletons, 0);
	cv_sdc_report_free(&rep);
}

static const struct school school_a = {{10, 12}, {{5, 6}, {5, 6}}};
static const struct school school_b = {{8, 9}, {{4, 5}, {0, 8}}};
static const struct school school_c = {{7, 0}, {{7, 0}, {0, 0}}};

static void test_sums(void **state)
{
	struct school s[3] = {school_a, school_b, school_c};
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;

	(void)state;
	assert_int_equal(merge_schools(s, 3, &r, NULL), CV_OK);
	x = cv_stats_model(r);
	assert_int_equal(x->ntables, 2);
	assert_int_equal(cv_sdc_value(x, 0, 0, 0), 25);
	assert_int_equal(cv_sdc_value(x, 0, 0, 1), 21);
	assert_int_equal(cv_sdc_value(x, 0, 0, 2), 46);
	assert_int_equal(cv_sdc_value(x, 1, 0, 0), 16);
	assert_int_equal(cv_sdc_value(x, 1, 1, 1), 14);
	assert_int_equal(cv_sdc_value(x, 1, 2, 2), 46);
	for (size_t c = 0; c <= MONTHS; c++)
		assert_int_equal(cv_sdc_flag_of(x, 0, 0, c), CV_SDC_PUBLISHED);
	for (size_t rr = 0; rr <= GR; rr++)
		for (size_t c = 0; c <= GC; c++)
			assert_int_equal(cv_sdc_flag_of(x, 1, rr, c), CV_SDC_PUBLISHED);
	assert_audit_clean(r);
	cv_stats_free(r);
}

static void test_suppressed_stays(void **state)
{
	struct school s[2] = {school_a, school_b};
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;

	(void)state;
	/* School b hid (junior, F) and (senior, F) and, to protect them,
	 * (junior, M) and (senior, M): the sums of those cells stay hidden. */
	s[1].grid[0][0] = 2;
	s[1].grid[1][0] = 2;
	s[1].hide_grid[0] = 0;
	s[1].hide_grid[1] = 1;
	s[1].hide_grid[2] = 3;
	s[1].hide_grid[3] = 4;
	s[1].nhide_grid = 4;
	assert_int_equal(merge_schools(s, 2, &r, NULL), CV_OK);
	x = cv_stats_model(r);
	assert_int_not_equal(cv_sdc_flag_of(x, 1, 0, 0), CV_SDC_PUBLISHED);
	assert_int_not_equal(cv_sdc_flag_of(x, 1, 0, 1), CV_SDC_PUBLISHED);
	assert_int_not_equal(cv_sdc_flag_of(x, 1, 1, 0), CV_SDC_PUBLISHED);
	assert_int_not_equal(cv_sdc_flag_of(x, 1, 1, 1), CV_SDC_PUBLISHED);
	assert_int_equal(cv_sdc_flag_of(x, 1, 2, 2), CV_SDC_PUBLISHED);
	assert_audit_clean(r);
	cv_stats_free(r);
}

static void test_small_sum_and_withheld(void **state)
{
	struct school s[2] = {school_a, school_b};
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;

	(void)state;
	/* A published 2 (below k) from a careless or altered input: the sum
	 * is 2, a primary cell, protected with its complements. */
	s[0].grid[1][0] = 0;
	s[0].grid[1][1] = 11;
	s[1].grid[1][0] = 2;
	s[1].grid[1][1] = 6;
	assert_int_equal(merge_schools(s, 2, &r, NULL), CV_OK);
	x = cv_stats_model(r);
	assert_int_equal(cv_sdc_flag_of(x, 1, 1, 0), CV_SDC_PRIMARY);
	assert_audit_clean(r);
	cv_stats_free(r);

	s[0] = school_a;
	s[1] = school_b;
	s[1].withhold_grid = 1;
	assert_int_equal(merge_schools(s, 2, &r, NULL), CV_OK);
	x = cv_stats_model(r);
	assert_false(x->tables[0].withheld);
	assert_true(x->tables[1].withheld);
	cv_stats_free(r);
}

static void test_epsilons_recorded(void **state)
{
	struct school s[2] = {school_a, school_b};
	cv_stats_result *r = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	json_t *doc, *eps;

	(void)state;
	s[1].epsilon = "0.5";
	assert_int_equal(merge_schools(s, 2, &r, NULL), CV_OK);
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(cv_stats_write(r, CV_STATS_JSON, fp, NULL), CV_OK);
	fclose(fp);
	doc = json_loads(buf, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")),
			    "casevault-stats-merge-1");
	assert_int_equal(json_integer_value(json_object_get(doc, "merged_from")), 2);
	eps = json_object_get(doc, "input_epsilons");
	assert_int_equal(json_array_size(eps), 2);
	assert_true(json_is_null(json_array_get(eps, 0)));
	assert_string_equal(json_string_value(json_array_get(eps, 1)), "0.5");
	json_decref(doc);
	free(buf);
	cv_stats_free(r);
}

/* text (or, when NULL, school t) given as the second input after school
 * a is refused with CV_EUSAGE "stats.merge" and a message holding want. */
static void assert_refused_text(const char *text, const char *want)
{
	char *texts[2] = {text_of(export_of(&school_a)), strdup(text)};
	cv_stats_result *r = (cv_stats_result *)&r;
	cv_err err = {0};

	assert_int_equal(merge_texts(texts, 2, &r, &err), CV_EUSAGE);
	assert_null(r);
	assert_string_equal(err.code, "stats.merge");
	assert_non_null(strstr(err.msg, want));
	free(texts[0]);
	free(texts[1]);
}

static void assert_refused_doc(json_t *doc, const char *want)
{
	char *t = text_of(doc);

	assert_refused_text(t, want);
	free(t);
}

static void test_refused_mismatch(void **state)
{
	struct school s = school_b;
	json_t *doc;

	(void)state;
	s.k = 7;
	assert_refused_doc(export_of(&s), "thresholds k differ");
	doc = export_of(&school_b);
	json_object_set_new(json_object_get(doc, "period"), "to", json_string("2026-11"));
	assert_refused_doc(doc, "periods differ");
	doc = export_of(&school_b);
	json_array_set_new(
	    json_object_get(json_array_get(json_object_get(doc, "tables"), 1), "columns"), 0,
	    json_string("X"));
	assert_refused_doc(doc, "column labels differ");
	doc = export_of(&school_b);
	json_object_set_new(json_array_get(json_object_get(doc, "tables"), 0), "name",
			    json_string("category"));
	assert_refused_doc(doc, "tables differ");
	doc = export_of(&school_b);
	json_array_remove(json_object_get(doc, "tables"), 1);
	assert_refused_doc(doc, "number of tables");
	doc = export_of(&school_b);
	json_object_set_new(doc, "schema", json_string("casevault-stats-2"));
	assert_refused_doc(doc, "schema is not");
	doc = export_of(&school_b);
	json_object_set_new(doc, "version", json_integer(CV_STATS_SCHEMA_VERSION + 1));
	assert_refused_doc(doc, "version");
	doc = export_of(&school_b);
	json_object_set_new(json_array_get(json_object_get(doc, "tables"), 1), "population",
			    json_string("referrals"));
	assert_refused_doc(doc, "tables differ in name, population or order");
	doc = export_of(&school_b);
	json_object_del(json_array_get(json_object_get(doc, "tables"), 1), "population");
	assert_refused_doc(doc, "lacks its name, its population");
	doc = export_of(&school_b);
	json_object_set_new(doc, "schema", json_string(CV_STATS_MERGE_SCHEMA));
	assert_refused_doc(doc, "already a merged table");
}

/* Tables of different populations count different things: their totals
 * are not linked, so they may differ; tables of one population must
 * agree. */
static void test_populations(void **state)
{
	struct school s[2] = {school_a, school_b};
	char *texts[2];
	json_t *docs[2];
	cv_stats_result *r = NULL;
	cv_err err = {0};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		s[i].grid[0][0] += 3;
		docs[i] = export_of(&s[i]);
		texts[i] = text_of(export_of(&s[i]));
	}
	/* One population: the totals differ, refused. */
	assert_int_equal(merge_texts(texts, 2, &r, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "grand totals differ"));
	for (size_t i = 0; i < 2; i++) {
		free(texts[i]);
		json_object_set_new(json_array_get(json_object_get(docs[i], "tables"), 1),
				    "population", json_string("referrals"));
		texts[i] = text_of(docs[i]);
	}
	/* Two populations: merged, not linked. */
	assert_int_equal(merge_texts(texts, 2, &r, &err), CV_OK);
	assert_int_equal(cv_stats_model(r)->nlinks, 0);
	assert_audit_clean(r);
	cv_stats_free(r);
	for (size_t i = 0; i < 2; i++)
		free(texts[i]);
}

static void test_refused_duplicate_and_count(void **state)
{
	char *texts[2] = {text_of(export_of(&school_a)), NULL};
	struct school s = school_b;
	cv_stats_result *r = NULL;
	cv_err err = {0};

	(void)state;
	assert_int_equal(merge_texts(texts, 1, &r, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "at least two"));
	assert_null(r);
	/* The same release twice: one source. */
	texts[1] = texts[0];
	assert_int_equal(merge_texts(texts, 2, &r, &err), CV_EUSAGE);
	assert_string_equal(err.code, "stats.merge");
	assert_non_null(strstr(err.msg, "'b.json' comes from the same vault as 'a.json'"));
	assert_null(r);
	free(texts[0]);
	/* Other cells from the same vault: counted once all the same. */
	s.source = "00000000000000000000000000000000000000000000000000000000000000aa";
	{
		struct school two[2] = {school_a, s};

		two[0].source = s.source;
		assert_int_equal(merge_schools(two, 2, &r, &err), CV_EUSAGE);
		assert_non_null(strstr(err.msg, "same vault"));
		assert_null(r);
	}
}

/* Two schools whose exports have the same cells (and so the same
 * cells_hash) are two schools: their sources differ, and they are summed. */
static void test_equal_cells_two_schools(void **state)
{
	struct school two[2] = {school_a, school_a};
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;
	cv_err err = {0};

	(void)state;
	two[0].source = "1111111111111111111111111111111111111111111111111111111111111111";
	two[1].source = "2222222222222222222222222222222222222222222222222222222222222222";
	assert_int_equal(merge_schools(two, 2, &r, &err), CV_OK);
	x = cv_stats_model(r);
	assert_int_equal(cv_sdc_value(x, 0, 0, 0), 20);
	assert_int_equal(cv_sdc_value(x, 0, 0, 2), 44);
	assert_int_equal(cv_sdc_value(x, 1, 2, 2), 44);
	assert_audit_clean(r);
	cv_stats_free(r);
}

/* Appends to doc a one-way table "category" of cases whose small
 * categories were folded into "other": n columns (the last is "other")
 * with their counts, the cells of hide (indexes, n: the total) suppressed. */
static json_t *with_category(json_t *doc, const char *const *cols, const int64_t *v, size_t n,
			     const size_t *hide, size_t nhide)
{
	json_t *cells = json_array();
	int64_t total = 0;

	for (size_t c = 0; c <= n; c++) {
		if (c < n)
			total += v[c];
		json_array_append_new(cells, cell("all", c < n ? cols[c] : "total",
						  c < n ? v[c] : total, hidden(hide, nhide, c)));
	}
	json_array_append_new(json_object_get(doc, "tables"),
			      json_pack("{s:s, s:s, s:b, s:n, s:o, s:s, s:o}", "name", "category",
					"population", "cases", "published", 1, "rows", "columns",
					labels(cols, n), "folded_into", "other", "cells", cells));
	return doc;
}

static cv_status merge_docs(json_t *a, json_t *b, cv_stats_result **out, cv_err *err)
{
	char *texts[2] = {text_of(a), text_of(b)};
	cv_status st = merge_texts(texts, 2, out, err);

	free(texts[0]);
	free(texts[1]);
	return st;
}

/* School b folded "emotion" (4 cases, under k) into "other"; school a
 * published it.  The district's columns are those both published as
 * their own (academic), then "other", the sum of a's emotion and other
 * and b's other: sums of published cells only. */
static void test_folded_categories(void **state)
{
	static const char *const ca[] = {"academic", "emotion", "other"};
	static const char *const cb[] = {"academic", "other"};
	static const int64_t va[] = {10, 7, 5}, vb[] = {12, 5};
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;
	const cv_sdc_table *t;
	cv_err err = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	json_t *doc, *cat;

	(void)state;
	assert_int_equal(merge_docs(with_category(export_of(&school_a), ca, va, 3, NULL, 0),
				    with_category(export_of(&school_b), cb, vb, 2, NULL, 0), &r,
				    &err),
			 CV_OK);
	x = cv_stats_model(r);
	assert_int_equal(x->ntables, 3);
	t = &x->tables[2];
	assert_int_equal(t->ncols, 2);
	assert_string_equal(t->col_labels[0], "academic");
	assert_string_equal(t->col_labels[1], "other");
	assert_int_equal(cv_sdc_value(x, 2, 0, 0), 22);
	assert_int_equal(cv_sdc_value(x, 2, 0, 1), 17);
	assert_int_equal(cv_sdc_value(x, 2, 0, 2), 39);
	for (size_t c = 0; c <= 2; c++)
		assert_int_equal(cv_sdc_flag_of(x, 2, 0, c), CV_SDC_PUBLISHED);
	/* The grand total is still the cases' total: linked, and it agrees. */
	assert_int_equal(cv_sdc_value(x, 0, 0, MONTHS), 39);
	assert_audit_clean(r);
	/* The merge says which column took the small categories. */
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(cv_stats_write(r, CV_STATS_JSON, fp, NULL), CV_OK);
	fclose(fp);
	doc = json_loads(buf, 0, NULL);
	assert_non_null(doc);
	cat = json_array_get(json_object_get(doc, "tables"), 2);
	assert_string_equal(json_string_value(json_object_get(cat, "folded_into")), "other");
	assert_true(json_is_null(
	    json_object_get(json_array_get(json_object_get(doc, "tables"), 1), "folded_into")));
	json_decref(doc);
	free(buf);
	cv_stats_free(r);
}

/* A column folded into "other" that was hidden in its school hides the
 * district's "other": never recomputed from the totals; the district is
 * protected and audited as an export is. */
static void test_folded_hidden(void **state)
{
	static const char *const ca[] = {"academic", "emotion", "other"};
	static const char *const cc[] = {"academic", "emotion", "family", "other"};
	static const int64_t va[] = {10, 7, 5}, vc[] = {9, 6, 5, 2};
	/* School c hid other (2) and, against subtraction, family. */
	static const size_t hc[] = {2, 3};
	struct school c = school_a;
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;
	cv_err err = {0};

	(void)state;
	c.source = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
	assert_int_equal(merge_docs(with_category(export_of(&school_a), ca, va, 3, NULL, 0),
				    with_category(export_of(&c), cc, vc, 4, hc, 2), &r, &err),
			 CV_OK);
	x = cv_stats_model(r);
	assert_int_equal(x->tables[2].ncols, 3); /* academic, emotion, other */
	assert_string_equal(x->tables[2].col_labels[2], "other");
	assert_int_equal(cv_sdc_flag_of(x, 2, 0, 2), CV_SDC_PRIMARY);
	/* other alone hidden in its sum would be given away: a second cell is
	 * hidden too. */
	assert_true(cv_sdc_flag_of(x, 2, 0, 0) != CV_SDC_PUBLISHED ||
		    cv_sdc_flag_of(x, 2, 0, 1) != CV_SDC_PUBLISHED ||
		    cv_sdc_flag_of(x, 2, 0, 3) != CV_SDC_PUBLISHED);
	for (size_t col = 0; col <= 3; col++)
		if (cv_sdc_flag_of(x, 2, 0, col) == CV_SDC_PUBLISHED)
			assert_true(cv_sdc_value(x, 2, 0, col) == 0 ||
				    cv_sdc_value(x, 2, 0, col) >= 5);
	assert_audit_clean(r);
	cv_stats_free(r);
}

/*
 * A folded table's own columns hold at least k in every school, and the
 * reader of the district table knows it: two schools each with academic
 * x, emotion x, other x, total 11 give the district academic >= 10 and
 * emotion >= 10 of 22, so other (2) would be exact.  The district must stay
 * safe under those bounds (the test's own reader: the published cells and
 * the fold rule, none of the merge's own bounds).
 */
static void test_folded_lower_bound(void **state)
{
	static const char *const cols[] = {"academic", "emotion", "other"};
	static const int64_t v[] = {5, 5, 1};
	static const size_t hide[] = {0, 1, 2};
	struct school a = {{5, 6}, {{5, 0}, {0, 6}}, .source = NULL}, b = a;
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;
	cv_sdc_export *y = NULL;
	cv_sdc_report rep = {0};
	size_t map[4];
	cv_err err = {0};

	(void)state;
	b.source = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	assert_int_equal(merge_docs(with_category(export_of(&a), cols, v, 3, hide, 3),
				    with_category(export_of(&b), cols, v, 3, hide, 3), &r, &err),
			 CV_OK);
	x = cv_stats_model(r);
	assert_int_equal(x->ntables, 3);
	assert_int_equal(x->tables[2].ncols, 3);
	assert_audit_clean(r);

	assert_int_equal(cv_sdc_export_new(&y, &err), CV_OK);
	for (size_t t = 0; t < x->ntables; t++) {
		const cv_sdc_table *tb = &x->tables[t];

		assert_false(tb->withheld);
		assert_int_equal(cv_sdc_add_table_fixed(
				     y, tb->name, tb->nrows, (const char *const *)tb->row_labels,
				     tb->ncols, (const char *const *)tb->col_labels, tb->count,
				     tb->fixed, &map[t], &err),
				 CV_OK);
		for (size_t row = 0; row < cv_sdc_rows(tb); row++)
			for (size_t c = 0; c <= tb->ncols; c++)
				assert_int_equal(cv_sdc_set_flag(y, map[t], row, c,
								 cv_sdc_flag_of(x, t, row, c),
								 &err),
						 CV_OK);
	}
	for (size_t l = 0; l < x->nlinks; l++) {
		const cv_sdc_link *k = &x->links[l];

		assert_int_equal(
		    cv_sdc_add_link(y, map[k->ta], k->ra, k->ca, map[k->tb], k->rb, k->cb, &err),
		    CV_OK);
	}
	/* each school's academic and emotion at least k, its other at least 1 */
	for (size_t c = 0; c < 3; c++)
		if (cv_sdc_flag_of(y, 2, 0, c) != CV_SDC_PUBLISHED)
			assert_int_equal(cv_sdc_set_lower(y, 2, 0, c, c < 2 ? 10 : 2, &err), CV_OK);
	assert_int_equal(cv_sdc_audit(y, CV_SDC_LOWER_PRODUCT, &rep, &err), CV_OK);
	for (size_t i = 0; i < rep.ncells; i++)
		if (rep.cells[i].exposed)
			fail_msg("table '%s': cell (%zu, %zu) is exact [%g, %g]",
				 y->tables[rep.cells[i].table].name, rep.cells[i].row,
				 rep.cells[i].col, rep.cells[i].ilo, rep.cells[i].ihi);
	assert_int_equal(rep.nexposed, 0);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(y);
	cv_stats_free(r);
}

/* Appends to doc the table "closed_by_month": the months, then not closed,
 * with their counts (MONTHS + 1), the cells of hide suppressed. */
static json_t *with_closed(json_t *doc, const int64_t *v, const size_t *hide, size_t nhide)
{
	static const char *const cols[MONTHS + 1] = {"2026-09", "2026-10",
						     "not closed in the period"};
	json_t *cells = json_array();
	int64_t total = 0;

	for (size_t c = 0; c <= MONTHS + 1; c++) {
		if (c <= MONTHS)
			total += v[c];
		json_array_append_new(cells,
				      cell("all", c <= MONTHS ? cols[c] : "total",
					   c <= MONTHS ? v[c] : total, hidden(hide, nhide, c)));
	}
	json_array_append_new(json_object_get(doc, "tables"),
			      json_pack("{s:s, s:s, s:b, s:n, s:o, s:n, s:o}", "name",
					"closed_by_month", "population", "cases", "published", 1,
					"rows", "columns", labels(cols, MONTHS + 1), "folded_into",
					"cells", cells));
	return doc;
}

/*
 * The district's cases closed by each month are at most those opened by
 * then: declared to the audit as in an export, and an input that breaks it
 * (more closed than opened in the first month) was altered.
 */
static void test_closed_order(void **state)
{
	static const int64_t ok[3] = {4, 5, 13}, bad[3] = {11, 0, 11};
	static const size_t hide[] = {0};
	struct school b = school_a;
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;
	cv_sdc_report rep = {0};
	cv_err err = {0};

	(void)state;
	b.source = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	/* school_a opened 10 and 12: closed 4 (hidden), 5, not closed 13 */
	assert_int_equal(merge_docs(with_closed(export_of(&school_a), ok, hide, 1),
				    with_closed(export_of(&b), ok, hide, 1), &r, &err),
			 CV_OK);
	x = cv_stats_model(r);
	assert_int_equal(x->norders, MONTHS);
	assert_int_equal(cv_sdc_audit(x, CV_SDC_LOWER_PRODUCT, &rep, &err), CV_OK);
	assert_int_equal(rep.nexposed, 0);
	/* closed in September: at most the 20 opened then */
	for (size_t i = 0; i < rep.ncells; i++)
		if (rep.cells[i].table == 2 && rep.cells[i].col == 0)
			assert_true(rep.cells[i].ihi <= 20.0);
	cv_sdc_report_free(&rep);
	cv_stats_free(r);

	assert_int_equal(merge_docs(with_closed(export_of(&school_a), bad, NULL, 0),
				    with_closed(export_of(&b), bad, NULL, 0), &r, &err),
			 CV_EUSAGE);
	assert_non_null(strstr(err.msg, "more cases are closed than opened"));
}

/* Only a table that says it folds may differ in its columns; a folded
 * table's columns are a set with its fold column in it. */
static void test_folded_refused(void **state)
{
	static const char *const ca[] = {"academic", "emotion", "other"};
	static const char *const cb[] = {"academic", "other"};
	static const char *const dup[] = {"academic", "academic", "other"};
	static const char *const nofold[] = {"academic", "emotion"};
	static const int64_t va[] = {10, 7, 5}, vb[] = {12, 5}, vd[] = {6, 6, 5};
	json_t *b;
	cv_stats_result *r = NULL;
	cv_err err = {0};

	(void)state;
	/* Folded in one, fixed in the other. */
	b = with_category(export_of(&school_b), cb, vb, 2, NULL, 0);
	json_object_set_new(json_array_get(json_object_get(b, "tables"), 2), "folded_into",
			    json_null());
	assert_int_equal(
	    merge_docs(with_category(export_of(&school_a), ca, va, 3, NULL, 0), b, &r, &err),
	    CV_EUSAGE);
	assert_string_equal(err.code, "stats.merge");
	assert_non_null(strstr(err.msg, "folded differently"));
	assert_null(r);
	/* Folded into another column. */
	b = with_category(export_of(&school_b), cb, vb, 2, NULL, 0);
	json_object_set_new(json_array_get(json_object_get(b, "tables"), 2), "folded_into",
			    json_string("academic"));
	assert_int_equal(
	    merge_docs(with_category(export_of(&school_a), ca, va, 3, NULL, 0), b, &r, &err),
	    CV_EUSAGE);
	assert_non_null(strstr(err.msg, "folded differently"));
	/* A label twice. */
	assert_int_equal(merge_docs(with_category(export_of(&school_a), ca, va, 3, NULL, 0),
				    with_category(export_of(&school_b), dup, vd, 3, NULL, 0), &r,
				    &err),
			 CV_EUSAGE);
	assert_non_null(strstr(err.msg, "'b.json' is not a statistics export: its column "
					"labels repeat a label"));
	/* No column of the fold label. */
	assert_int_equal(merge_docs(with_category(export_of(&school_a), ca, va, 3, NULL, 0),
				    with_category(export_of(&school_b), nofold, vb, 2, NULL, 0), &r,
				    &err),
			 CV_EUSAGE);
	assert_non_null(strstr(err.msg, "no column of the label it folds"));
	/* A fixed table still needs the same columns: the month table's
	 * labels differ. */
	b = with_category(export_of(&school_b), ca, va, 3, NULL, 0);
	json_array_set_new(
	    json_object_get(json_array_get(json_object_get(b, "tables"), 0), "columns"), 0,
	    json_string("2026-08"));
	assert_int_equal(
	    merge_docs(with_category(export_of(&school_a), ca, va, 3, NULL, 0), b, &r, &err),
	    CV_EUSAGE);
	assert_non_null(strstr(err.msg, "its column labels differ"));
	assert_null(r);
}

static void test_refused_hostile(void **state)
{
	json_t *doc, *cells, *cols;
	char big[200];

	(void)state;
	assert_refused_text("", "not valid JSON");
	assert_refused_text("{\"schema\": ", "not valid JSON");
	assert_refused_text("[1, 2, 3]", "not a JSON object");
	assert_refused_text("{\"schema\": \"casevault-stats-1\", \"schema\": \"x\"}",
			    "not valid JSON");
	doc = export_of(&school_b);
	json_object_del(doc, "source");
	assert_refused_doc(doc, "its source is not 64 hexadecimal digits");
	doc = export_of(&school_b);
	json_object_set_new(doc, "source", json_string("ABCDEF"));
	assert_refused_doc(doc, "its source is not 64 hexadecimal digits");
	doc = export_of(&school_b);
	json_object_set_new(doc, "k", json_string("5"));
	assert_refused_doc(doc, "its k");
	doc = export_of(&school_b);
	json_object_set_new(doc, "k", json_integer(-5));
	assert_refused_doc(doc, "its k");
	doc = export_of(&school_b);
	json_object_set_new(doc, "tables", json_string("many"));
	assert_refused_doc(doc, "1..16 tables");
	doc = export_of(&school_b);
	cells = json_object_get(json_array_get(json_object_get(doc, "tables"), 0), "cells");
	json_object_set_new(json_array_get(cells, 0), "count", json_integer(-3));
	assert_refused_doc(doc, "not a whole number");
	doc = export_of(&school_b);
	cells = json_object_get(json_array_get(json_object_get(doc, "tables"), 0), "cells");
	json_object_set_new(json_array_get(cells, 0), "count", json_real(8.5));
	assert_refused_doc(doc, "not a whole number");
	doc = export_of(&school_b);
	cells = json_object_get(json_array_get(json_object_get(doc, "tables"), 0), "cells");
	json_object_set_new(json_array_get(cells, 0), "count", json_integer(1LL << 40));
	assert_refused_doc(doc, "not a whole number");
	doc = export_of(&school_b);
	cells = json_object_get(json_array_get(json_object_get(doc, "tables"), 0), "cells");
	json_array_append_new(cells, json_integer(1));
	assert_refused_doc(doc, "one cell per row and column");
	doc = export_of(&school_b);
	cells = json_object_get(json_array_get(json_object_get(doc, "tables"), 0), "cells");
	json_object_set_new(json_array_get(cells, 1), "suppressed", json_string("no"));
	assert_refused_doc(doc, "whether it is suppressed");
	doc = export_of(&school_b);
	cols = json_array();
	for (int i = 0; i < CV_SDC_MAX_DIM + 1; i++)
		json_array_append_new(cols, json_integer(i));
	json_object_set_new(json_array_get(json_object_get(doc, "tables"), 1), "columns", cols);
	assert_refused_doc(doc, "1..1000 labels");
	doc = export_of(&school_b);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_array_set_new(
	    json_object_get(json_array_get(json_object_get(doc, "tables"), 1), "rows"), 0,
	    json_string(big));
	assert_refused_doc(doc, "not a label");
	doc = export_of(&school_b);
	json_array_set_new(
	    json_object_get(json_array_get(json_object_get(doc, "tables"), 1), "rows"), 0,
	    json_string("junior\x1b]0;title\x07"));
	assert_refused_doc(doc, "not a label");
	doc = export_of(&school_b);
	json_array_set_new(
	    json_object_get(json_array_get(json_object_get(doc, "tables"), 1), "columns"), 1,
	    json_string("M\xe2\x80\xae"));
	assert_refused_doc(doc, "not a label");
	doc = export_of(&school_b);
	json_object_set_new(doc, "tables", json_array());
	assert_refused_doc(doc, "1..16 tables");
	/* Margins that do not add up: the file is named. */
	doc = export_of(&school_b);
	cells = json_object_get(json_array_get(json_object_get(doc, "tables"), 0), "cells");
	json_object_set_new(json_array_get(cells, 0), "count", json_integer(100));
	assert_refused_doc(doc, "'b.json': the published cells of table 'opened_by_month' do "
				"not add up");
	/* Nested too deep for the parser: refused, not a crash. */
	{
		size_t depth = 100000;
		char *deep = malloc(depth + 1);

		assert_non_null(deep);
		memset(deep, '[', depth);
		deep[depth] = '\0';
		assert_refused_text(deep, "not valid JSON");
		free(deep);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sums),
	    cmocka_unit_test(test_suppressed_stays),
	    cmocka_unit_test(test_small_sum_and_withheld),
	    cmocka_unit_test(test_epsilons_recorded),
	    cmocka_unit_test(test_refused_mismatch),
	    cmocka_unit_test(test_populations),
	    cmocka_unit_test(test_refused_duplicate_and_count),
	    cmocka_unit_test(test_equal_cells_two_schools),
	    cmocka_unit_test(test_folded_categories),
	    cmocka_unit_test(test_folded_hidden),
	    cmocka_unit_test(test_folded_lower_bound),
	    cmocka_unit_test(test_closed_order),
	    cmocka_unit_test(test_folded_refused),
	    cmocka_unit_test(test_refused_hostile),
	};

	if (cv_init(NULL) != CV_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_sdc.c - statistical disclosure control (sdc.c): the audit's bounds
 * against published known answers (sdcTable's test table, the SDC
 * Handbook's example after Geurts 1992), protection of single and linked
 * tables (primary cells, zeros, withheld tables, the singleton rule, a cell
 * recoverable only across two tables), refusals, and a cross-check of every
 * bound against GLPK's exact-arithmetic simplex (glpsol --exact) run as a
 * separate program on CPLEX-LP files written here from the tables alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "casevault.h"
#include "sdc.h"
#include "banned.h"

extern char **environ;

#define K 5
#define MAXCELLS 64

static const char *const LABELS[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

/* ---- building tables ---- */

/* Adds an R x C table from its body (row-major), margins computed here. */
static size_t add2(cv_sdc_export *x, const char *name, size_t R, size_t C, const int64_t *body)
{
	int64_t cnt[MAXCELLS] = {0};
	size_t W = C + 1, t = 99;
	cv_err err;

	assert_true((R + 1) * W <= MAXCELLS);
	for (size_t i = 0; i < R; i++)
		for (size_t j = 0; j < C; j++) {
			int64_t v = body[i * C + j];

			cnt[i * W + j] = v;
			cnt[i * W + C] += v;
			cnt[R * W + j] += v;
			cnt[R * W + C] += v;
		}
	if (cv_sdc_add_table(x, name, R, LABELS, C, LABELS, cnt, &t, &err) != CV_OK)
		fail_msg("add table '%s': %s", name, err.msg);
	return t;
}

/* Adds a one-way table of C categories, its total computed here. */
static size_t add1(cv_sdc_export *x, const char *name, size_t C, const int64_t *cats)
{
	int64_t cnt[MAXCELLS] = {0};
	size_t t = 99;
	cv_err err;

	assert_true(C + 1 <= MAXCELLS);
	for (size_t j = 0; j < C; j++) {
		cnt[j] = cats[j];
		cnt[C] += cats[j];
	}
	if (cv_sdc_add_table(x, name, 0, NULL, C, LABELS, cnt, &t, &err) != CV_OK)
		fail_msg("add table '%s': %s", name, err.msg);
	return t;
}

static size_t last_row(const cv_sdc_export *x, size_t t)
{
	return cv_sdc_rows(&x->tables[t]) - 1;
}

/* Links the grand totals of tables a and b. */
static void link_totals(cv_sdc_export *x, size_t a, size_t b)
{
	cv_err err;

	if (cv_sdc_add_link(x, a, last_row(x, a), x->tables[a].ncols, b, last_row(x, b),
			    x->tables[b].ncols, &err) != CV_OK)
		fail_msg("link: %s", err.msg);
}

static void hide(cv_sdc_export *x, size_t t, size_t r, size_t c)
{
	cv_err err;

	assert_int_equal(cv_sdc_set_flag(x, t, r, c, CV_SDC_SECONDARY, &err), CV_OK);
}

static void audit(const cv_sdc_export *x, int64_t lower, cv_sdc_report *rep)
{
	cv_err err;

	if (cv_sdc_audit(x, lower, rep, &err) != CV_OK)
		fail_msg("audit: %s", err.msg);
}

static const cv_sdc_bounds *bounds_of(const cv_sdc_report *rep, size_t t, size_t r, size_t c)
{
	for (size_t i = 0; i < rep->ncells; i++)
		if (rep->cells[i].table == t && rep->cells[i].row == r && rep->cells[i].col == c)
			return &rep->cells[i];
	fail_msg("cell (%zu, %zu, %zu) is not in the audit report", t, r, c);
	return NULL;
}

static int is_hidden(cv_sdc_flag f)
{
	return f == CV_SDC_PRIMARY || f == CV_SDC_SECONDARY;
}

/* ---- (a) sdcTable's test table ---- */

static const int64_t SDCTABLE[16] = {30, 47,  64, 89, 90,  124, 5,   31,
				     92, 100, 59, 85, 800, 991, 651, 685};

static cv_sdc_export *sdctable_export(void)
{
	/* w|a w|b w|c x|a x|c y|b y|d z|b z|d */
	static const size_t hidden[][2] = {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 2},
					   {2, 1}, {2, 3}, {3, 1}, {3, 3}};
	cv_sdc_export *x = NULL;

	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add2(x, "sdctable", 4, 4, SDCTABLE);
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		hide(x, 0, hidden[i][0], hidden[i][1]);
	return x;
}

static void test_sdctable_known_answer(void **state)
{
	cv_sdc_export *x = sdctable_export();
	cv_sdc_report rep;
	const cv_sdc_bounds *wb;

	(void)state;
	/* the margins the published source lists */
	assert_int_equal(cv_sdc_value(x, 0, 0, 4), 230);
	assert_int_equal(cv_sdc_value(x, 0, 3, 4), 3127);
	assert_int_equal(cv_sdc_value(x, 0, 4, 1), 1262);
	assert_int_equal(cv_sdc_value(x, 0, 4, 4), 3943);

	/* two suppressions in every row and column, and still w|b = 47 */
	audit(x, 0, &rep);
	assert_int_equal(rep.ncells, 9);
	wb = bounds_of(&rep, 0, 0, 1);
	assert_true(wb->lo == 47.0 && wb->hi == 47.0);
	assert_true(wb->exposed);
	assert_int_equal(rep.nexposed, 1);
	cv_sdc_report_free(&rep);

	/* x|b as well: w|b in [0, 141], nothing exact */
	hide(x, 0, 1, 1);
	audit(x, 0, &rep);
	assert_int_equal(rep.ncells, 10);
	wb = bounds_of(&rep, 0, 0, 1);
	assert_int_equal(wb->value, 47);
	assert_true(wb->lo == 0.0);
	assert_true(wb->hi == 141.0);
	assert_false(wb->exposed);
	assert_int_equal(rep.nexposed, 0);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(x);
}

/* ---- (b) the SDC Handbook's example (Geurts 1992) ---- */

static cv_sdc_export *geurts_export(void)
{
	/* row totals 7, 3, 6; column totals 9, 7; row 3 published as 3 and 3 */
	static const int64_t body[6] = {4, 3, 2, 1, 3, 3};
	cv_sdc_export *x = NULL;

	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add2(x, "geurts", 3, 2, body);
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < 2; j++)
			hide(x, 0, i, j);
	return x;
}

static void test_geurts_handbook(void **state)
{
	cv_sdc_export *x = geurts_export();
	cv_sdc_report rep;
	const cv_sdc_bounds *b;

	(void)state;
	assert_int_equal(cv_sdc_value(x, 0, 0, 2), 7);
	assert_int_equal(cv_sdc_value(x, 0, 1, 2), 3);
	assert_int_equal(cv_sdc_value(x, 0, 2, 2), 6);
	assert_int_equal(cv_sdc_value(x, 0, 3, 0), 9);
	assert_int_equal(cv_sdc_value(x, 0, 3, 1), 7);
	audit(x, 0, &rep);
	b = bounds_of(&rep, 0, 0, 0);
	assert_true(b->lo == 3.0 && b->hi == 6.0);
	b = bounds_of(&rep, 0, 1, 1); /* x22 = x11 - 3 */
	assert_true(b->lo == 0.0 && b->hi == 3.0);
	assert_int_equal(rep.nexposed, 0);
	cv_sdc_report_free(&rep);

	/* with zeros published a hidden cell is >= 1: x11 in [4, 5] */
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	b = bounds_of(&rep, 0, 0, 0);
	assert_true(b->lo == 4.0 && b->hi == 5.0);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(x);
}

/*
 * Bounds for an attacker who knows that counts are whole numbers.  Two
 * categories linked as equal (a = b) make the sum 2a + c = 4: the LP lets
 * a be 1.5, but in whole numbers a = 1 and so c = 2, though the LP
 * interval of c, [1, 2], holds two integers.
 */
static cv_sdc_export *twins_export(void)
{
	static const int64_t cats[3] = {1, 1, 2};
	cv_sdc_export *x = NULL;

	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add1(x, "twins", 3, cats);
	assert_int_equal(cv_sdc_add_link(x, 0, 0, 0, 0, 0, 1, NULL), CV_OK);
	hide(x, 0, 0, 0);
	hide(x, 0, 0, 1);
	hide(x, 0, 0, 2);
	return x;
}

static void test_integer_bounds(void **state)
{
	cv_sdc_export *x = twins_export();
	cv_sdc_report rep;
	const cv_sdc_bounds *a, *c;

	(void)state;
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	a = bounds_of(&rep, 0, 0, 0);
	c = bounds_of(&rep, 0, 0, 2);
	assert_true(a->lo == 1.0 && fabs(a->hi - 1.5) < 1e-9);
	assert_true(a->ilo == 1.0 && a->ihi == 1.0);
	assert_true(a->exposed);
	assert_true(c->lo == 1.0 && c->hi == 2.0);
	assert_true(c->ilo == 2.0 && c->ihi == 2.0);
	assert_true(c->exposed);
	assert_int_equal(rep.nexposed, 3);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(x);
}

/* ---- (c) what protect guarantees ---- */

/*
 * The singleton rule checked from the tables alone: in every relation with
 * exactly two hidden cells, neither may be able to be 1, unless the two
 * are a part and its total with every other cell zero (the same number).
 */
static void check_singletons(const cv_sdc_export *x, size_t t, const cv_sdc_report *rep,
			     const size_t (*cells)[2], size_t n)
{
	size_t hid[2][2], nh = 0, total_at = n - 1;
	int64_t others = 0;
	int total_hidden = 0;

	for (size_t i = 0; i < n; i++) {
		size_t r = cells[i][0], c = cells[i][1];

		if (is_hidden(cv_sdc_flag_of(x, t, r, c))) {
			if (nh < 2) {
				hid[nh][0] = r;
				hid[nh][1] = c;
			}
			nh++;
			total_hidden |= i == total_at;
		} else {
			others += cv_sdc_value(x, t, r, c);
		}
	}
	if (nh != 2 || (total_hidden && others == 0))
		return;
	for (size_t k = 0; k < 2; k++) {
		const cv_sdc_bounds *b = bounds_of(rep, t, hid[k][0], hid[k][1]);

		if (b->ilo <= 1.0 && b->ihi >= 1.0)
			fail_msg("table '%s': cell (%zu, %zu) could be 1 beside one other hidden "
				 "cell",
				 x->tables[t].name, hid[k][0], hid[k][1]);
	}
}

static void check_table_singletons(const cv_sdc_export *x, size_t t, const cv_sdc_report *rep)
{
	const cv_sdc_table *tb = &x->tables[t];
	size_t cells[MAXCELLS][2], R = tb->nrows, C = tb->ncols;

	if (!R) {
		for (size_t j = 0; j <= C; j++)
			cells[j][0] = 0, cells[j][1] = j;
		check_singletons(x, t, rep, (const size_t(*)[2])cells, C + 1);
		return;
	}
	for (size_t i = 0; i <= R; i++) { /* the rows, then the column totals */
		for (size_t j = 0; j <= C; j++)
			cells[j][0] = i, cells[j][1] = j;
		check_singletons(x, t, rep, (const size_t(*)[2])cells, C + 1);
	}
	for (size_t j = 0; j <= C; j++) { /* the columns, then the row totals */
		for (size_t i = 0; i <= R; i++)
			cells[i][0] = i, cells[i][1] = j;
		check_singletons(x, t, rep, (const size_t(*)[2])cells, R + 1);
	}
}

/* Everything cv_sdc_protect promises, checked after it returned CV_OK. */
static void check_protected(const cv_sdc_export *x, int k)
{
	cv_sdc_report rep;
	size_t nhidden = 0;

	for (size_t t = 0; t < x->ntables; t++) {
		const cv_sdc_table *tb = &x->tables[t];
		size_t rows = cv_sdc_rows(tb);
		int64_t total = cv_sdc_value(x, t, rows - 1, tb->ncols);

		assert_int_equal(tb->withheld, total < k);
		for (size_t r = 0; r < rows; r++)
			for (size_t c = 0; c <= tb->ncols; c++) {
				int64_t v = cv_sdc_value(x, t, r, c);
				cv_sdc_flag f = cv_sdc_flag_of(x, t, r, c);

				if (tb->withheld) {
					assert_int_equal(f, CV_SDC_WITHHELD);
					continue;
				}
				if (v >= 1 && v < k && f != CV_SDC_PRIMARY)
					fail_msg(
					    "table '%s': cell (%zu, %zu) = %lld is not primary",
					    tb->name, r, c, (long long)v);
				if ((v == 0 || v >= k) && f == CV_SDC_PRIMARY)
					fail_msg("table '%s': cell (%zu, %zu) = %lld is primary",
						 tb->name, r, c, (long long)v);
				if (v == 0 && f != CV_SDC_PUBLISHED)
					fail_msg("table '%s': zero cell (%zu, %zu) is hidden",
						 tb->name, r, c);
				nhidden += is_hidden(f);
			}
	}
	/* one number, one fate: linked cells share their flag */
	for (size_t l = 0; l < x->nlinks; l++) {
		const cv_sdc_link *lk = &x->links[l];

		if (x->tables[lk->ta].withheld || x->tables[lk->tb].withheld)
			continue;
		assert_int_equal(is_hidden(cv_sdc_flag_of(x, lk->ta, lk->ra, lk->ca)),
				 is_hidden(cv_sdc_flag_of(x, lk->tb, lk->rb, lk->cb)));
	}
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_int_equal(rep.ncells, nhidden);
	for (size_t i = 0; i < rep.ncells; i++) {
		const cv_sdc_bounds *b = &rep.cells[i];

		if (b->exposed || !(b->ihi > b->ilo) || !(b->hi > b->lo))
			fail_msg("table '%s': cell (%zu, %zu) = %lld has interval [%g, %g]",
				 x->tables[b->table].name, b->row, b->col, (long long)b->value,
				 b->ilo, b->ihi);
		assert_true(b->lo <= (double)b->value && (double)b->value <= b->hi);
		assert_true(b->ilo >= (double)CV_SDC_LOWER_PRODUCT);
	}
	assert_int_equal(rep.nexposed, 0);
	assert_int_equal(rep.nsingletons, 0);
	for (size_t t = 0; t < x->ntables; t++)
		if (!x->tables[t].withheld)
			check_table_singletons(x, t, &rep);
	cv_sdc_report_free(&rep);
}

static void protect_ok(cv_sdc_export *x, int k)
{
	cv_err err;

	if (cv_sdc_protect(x, k, &err) != CV_OK)
		fail_msg("protect: %s", err.msg);
	check_protected(x, k);
}

static void test_protect_small_cells(void **state)
{
	/* grade band x problem category: small cells, zeros, a small margin */
	static const int64_t body[12] = {12, 3, 0, 9, 7, 15, 2, 11, 1, 2, 0, 1};
	cv_sdc_export *x = NULL;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add2(x, "grade x category", 3, 4, body);
	protect_ok(x, K);
	/* the whole third row is small: its total 4 is primary too */
	assert_int_equal(cv_sdc_flag_of(x, 0, 2, 4), CV_SDC_PRIMARY);
	assert_int_equal(cv_sdc_flag_of(x, 0, 0, 1), CV_SDC_PRIMARY);
	assert_int_equal(cv_sdc_flag_of(x, 0, 0, 2), CV_SDC_PUBLISHED); /* zero */
	assert_int_equal(cv_sdc_flag_of(x, 0, 3, 4), CV_SDC_PUBLISHED); /* 62 */
	cv_sdc_export_free(x);
}

static void test_protect_k_below_three_refused(void **state)
{
	static const int64_t cats[3] = {2, 9, 8};
	cv_sdc_export *x = NULL;
	cv_err err;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add1(x, "category", 3, cats);
	assert_int_equal(cv_sdc_protect(x, 2, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "k=2"));
	assert_int_equal(cv_sdc_protect(x, 0, &err), CV_EUSAGE);
	/* k = 3 is allowed: 2 is primary, and protected */
	protect_ok(x, 3);
	assert_int_equal(cv_sdc_flag_of(x, 0, 0, 0), CV_SDC_PRIMARY);
	cv_sdc_export_free(x);
}

static void test_protect_small_table_withheld(void **state)
{
	static const int64_t few[3] = {1, 0, 3}, many[3] = {20, 0, 14};
	cv_sdc_export *x = NULL;
	cv_sdc_report rep;
	size_t t0, t1;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	t0 = add1(x, "crisis events", 3, few); /* 4 in all: under k */
	t1 = add1(x, "referrals", 3, many);
	protect_ok(x, K);
	assert_true(x->tables[t0].withheld);
	assert_false(x->tables[t1].withheld);
	for (size_t c = 0; c <= 3; c++)
		assert_int_equal(cv_sdc_flag_of(x, t0, 0, c), CV_SDC_WITHHELD);
	for (size_t c = 0; c <= 3; c++)
		assert_int_equal(cv_sdc_flag_of(x, t1, 0, c), CV_SDC_PUBLISHED);
	/* a withheld table is no part of what the audit bounds */
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_int_equal(rep.ncells, 0);
	cv_sdc_report_free(&rep);
	/* exactly k is published */
	{
		static const int64_t five[2] = {5, 0};
		cv_sdc_export *y = NULL;

		assert_int_equal(cv_sdc_export_new(&y, NULL), CV_OK);
		add1(y, "five", 2, five);
		protect_ok(y, K);
		assert_false(y->tables[0].withheld);
		assert_int_equal(cv_sdc_flag_of(y, 0, 0, 0), CV_SDC_PUBLISHED);
		cv_sdc_export_free(y);
	}
	cv_sdc_export_free(x);
}

/* A fixed cell (hidden elsewhere, its count only a placeholder) stays
 * suppressed whatever its value, gets complements, and its placeholder is
 * not checked against the margins. */
static void test_protect_fixed_cells(void **state)
{
	static const char *const cols[3] = {"a", "b", "c"};
	static const int64_t counts[4] = {20, 1, 25, 75}, exact[4] = {20, 30, 25, 75};
	static const unsigned char fixed[4] = {0, 1, 0, 0};
	cv_sdc_export *x = NULL;
	cv_sdc_report rep;
	cv_err err;
	size_t nsup = 0;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	assert_int_equal(cv_sdc_add_table(x, "t", 0, NULL, 3, cols, counts, NULL, &err), CV_EUSAGE);
	assert_int_equal(
	    cv_sdc_add_table_fixed(x, "t", 0, NULL, 3, cols, counts, fixed, NULL, &err), CV_OK);
	protect_ok(x, K);
	assert_int_equal(cv_sdc_flag_of(x, 0, 0, 1), CV_SDC_PRIMARY);
	for (size_t c = 0; c <= 3; c++)
		nsup += cv_sdc_flag_of(x, 0, 0, c) != CV_SDC_PUBLISHED;
	assert_true(nsup >= 3); /* the singleton rule: two complements */
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_int_equal(rep.nexposed, 0);
	assert_int_equal(rep.nsingletons, 0);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(x);

	/* The same counts without fixed cells: all published. */
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	assert_int_equal(cv_sdc_add_table_fixed(x, "t", 0, NULL, 3, cols, exact, NULL, NULL, &err),
			 CV_OK);
	protect_ok(x, K);
	for (size_t c = 0; c <= 3; c++)
		assert_int_equal(cv_sdc_flag_of(x, 0, 0, c), CV_SDC_PUBLISHED);
	cv_sdc_export_free(x);

	/* A fixed cell is at least 1: zeros are published. */
	{
		static const int64_t zero[4] = {20, 0, 25, 45};

		assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
		assert_int_equal(
		    cv_sdc_add_table_fixed(x, "t", 0, NULL, 3, cols, zero, fixed, NULL, &err),
		    CV_EUSAGE);
		cv_sdc_export_free(x);
	}
}

static void test_singleton_rule(void **state)
{
	static const int64_t cats[3] = {2, 40, 45};
	static const int64_t row[4] = {3, 0, 30, 21};
	cv_sdc_export *x = NULL, *y = NULL;
	cv_sdc_report rep;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add1(x, "category", 3, cats);
	/* 2 and 40 hidden, 87 published: a student alone in the first cell
	 * would know the second */
	hide(x, 0, 0, 0);
	hide(x, 0, 0, 1);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_int_equal(rep.nexposed, 0);
	assert_int_equal(rep.nsingletons, 1);
	assert_int_equal(rep.singletons[0].table, 0);
	assert_int_equal(rep.singletons[0].kind, CV_SDC_REL_ONEWAY);
	cv_sdc_report_free(&rep);
	/* protect adds the third: the cheapest, 45 rather than the total 87 */
	protect_ok(x, K);
	assert_int_equal(cv_sdc_flag_of(x, 0, 0, 0), CV_SDC_PRIMARY);
	assert_int_equal(cv_sdc_flag_of(x, 0, 0, 1), CV_SDC_SECONDARY);
	assert_int_equal(cv_sdc_flag_of(x, 0, 0, 2), CV_SDC_SECONDARY);
	assert_int_equal(cv_sdc_flag_of(x, 0, 0, 3), CV_SDC_PUBLISHED);

	/* a row whose one non-zero cell and its total are hidden says only
	 * that they are equal: no singleton there */
	assert_int_equal(cv_sdc_export_new(&y, NULL), CV_OK);
	add2(y, "grade x gender", 2, 2, row);
	hide(y, 0, 0, 0); /* 3 */
	hide(y, 0, 0, 2); /* its row total 3 */
	hide(y, 0, 1, 0); /* 30 */
	hide(y, 0, 1, 2); /* 51 */
	hide(y, 0, 2, 0); /* 33 */
	audit(y, CV_SDC_LOWER_PRODUCT, &rep);
	for (size_t i = 0; i < rep.nsingletons; i++)
		assert_false(rep.singletons[i].kind == CV_SDC_REL_ROW &&
			     rep.singletons[i].index == 0);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(y);
	cv_sdc_export_free(x);
}

/*
 * A row total of A hidden in a pattern that is safe for A alone, but B
 * publishes the shared grand total, and G - R2 gives R1 away.
 */
static void test_cell_recoverable_only_across_tables(void **state)
{
	static const int64_t a[4] = {6, 7, 9, 11}; /* R1 13, R2 20, G 33 */
	static const int64_t b[3] = {10, 12, 11};
	cv_sdc_export *x = NULL;
	cv_sdc_report rep;
	const cv_sdc_bounds *r1;
	size_t ta, tb;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	ta = add2(x, "A", 2, 2, a);
	tb = add1(x, "B", 3, b);
	hide(x, ta, 0, 0); /* x11 */
	hide(x, ta, 0, 1); /* x12 */
	hide(x, ta, 0, 2); /* R1 */
	hide(x, ta, 2, 0); /* C1 */
	hide(x, ta, 2, 1); /* C2 */
	hide(x, ta, 2, 2); /* G */

	/* without the link (A and B unrelated) nothing in A is exact */
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_int_equal(rep.nexposed, 0);
	r1 = bounds_of(&rep, ta, 0, 2);
	assert_true(isinf(r1->hi));
	cv_sdc_report_free(&rep);

	/* with it, R1 = 33 - 20 exactly, and x11 + x12 = 13 */
	link_totals(x, ta, tb);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	r1 = bounds_of(&rep, ta, 0, 2);
	assert_true(r1->exposed);
	assert_true(r1->lo == 13.0 && r1->hi == 13.0);
	assert_true(bounds_of(&rep, ta, 2, 2)->exposed); /* G, published by B */
	assert_true(bounds_of(&rep, ta, 0, 0)->hi == 12.0);
	assert_false(bounds_of(&rep, ta, 0, 0)->exposed);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(x);
}

/*
 * Cases by gender (3 girls, 4 boys) and by month (all 7 in October) share
 * their total.  Protected one by one, gender hides its total (the third
 * cell its singleton rule needs) while month prints 7; together they give
 * the hidden total away.  Protected jointly, month hides it too.
 */
static void test_linked_tables_protected_jointly(void **state)
{
	static const int64_t gender[2] = {3, 4}, month[3] = {0, 7, 0};
	cv_sdc_export *g = NULL, *m = NULL, *x = NULL;
	cv_sdc_report rep;
	size_t tg, tm;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&g, NULL), CV_OK);
	assert_int_equal(cv_sdc_export_new(&m, NULL), CV_OK);
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add1(g, "gender", 2, gender);
	add1(m, "month", 3, month);
	protect_ok(g, K);
	protect_ok(m, K);
	assert_int_equal(cv_sdc_flag_of(g, 0, 0, 2), CV_SDC_SECONDARY);
	assert_int_equal(cv_sdc_flag_of(m, 0, 0, 3), CV_SDC_PUBLISHED);

	tg = add1(x, "gender", 2, gender);
	tm = add1(x, "month", 3, month);
	link_totals(x, tg, tm);
	for (size_t c = 0; c <= 2; c++)
		assert_int_equal(cv_sdc_set_flag(x, tg, 0, c, cv_sdc_flag_of(g, 0, 0, c), NULL),
				 CV_OK);
	for (size_t c = 0; c <= 3; c++)
		assert_int_equal(cv_sdc_set_flag(x, tm, 0, c, cv_sdc_flag_of(m, 0, 0, c), NULL),
				 CV_OK);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_true(rep.nexposed > 0);
	assert_true(bounds_of(&rep, tg, 0, 2)->exposed);
	assert_true(rep.nsingletons > 0); /* and 3 + 4 = 7 pins one for the other */
	cv_sdc_report_free(&rep);

	protect_ok(x, K);
	assert_int_equal(cv_sdc_flag_of(x, tm, 0, 3), CV_SDC_SECONDARY);
	assert_int_equal(cv_sdc_flag_of(x, tm, 0, 1), CV_SDC_SECONDARY);
	cv_sdc_export_free(g);
	cv_sdc_export_free(m);
	cv_sdc_export_free(x);
}

/* A term's summary: three tables of the same 63 cases. */
static void test_protect_term_export(void **state)
{
	static const int64_t grade_gender[8] = {9, 12, 2, 14, 7, 3, 8, 8};
	static const int64_t category[8] = {11, 19, 4, 7, 1, 6, 2, 13};
	static const int64_t month[5] = {8, 17, 21, 14, 3};
	cv_sdc_export *x = NULL;
	size_t t0, t1, t2;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	t0 = add2(x, "grade band x gender", 4, 2, grade_gender);
	t1 = add1(x, "problem category", 8, category);
	t2 = add1(x, "cases by month", 5, month);
	assert_int_equal(cv_sdc_value(x, t0, 4, 2), 63);
	link_totals(x, t0, t1);
	link_totals(x, t1, t2);
	protect_ok(x, K);
	cv_sdc_export_free(x);
}

/* Random tables and linked pairs from a fixed seed. */
static uint64_t rng_state;

static uint64_t rng(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/* A random table: one-way or two-way, about a third zeros, small values. */
static size_t add_random(cv_sdc_export *x, const char *name)
{
	int64_t body[MAXCELLS];
	size_t R = (size_t)rng(4), C = 2 + (size_t)rng(3);
	uint64_t top = 2 + rng(25);

	for (size_t i = 0; i < (R ? R : 1) * C; i++)
		body[i] = rng(3) == 0 ? 0 : (int64_t)rng(top);
	return R ? add2(x, name, R, C, body) : add1(x, name, C, body);
}

/* Two random tables with the same total (the second's last cell adjusted). */
static void add_random_pair(cv_sdc_export *x)
{
	size_t a = add_random(x, "first"), b, R, C;
	int64_t ga = cv_sdc_value(x, a, last_row(x, a), x->tables[a].ncols);
	int64_t body[MAXCELLS] = {0};

	R = (size_t)rng(3);
	C = 2 + (size_t)rng(3);
	/* spread ga over the body of the second table */
	for (int64_t left = ga; left > 0; left--)
		body[rng((R ? R : 1) * C)]++;
	b = R ? add2(x, "second", R, C, body) : add1(x, "second", C, body);
	link_totals(x, a, b);
}

/*
 * A folded category table: a category is its own column only with at least
 * k cases, and the reader knows it.  academic 5, emotion 5, other 1 (the one
 * self-harm-risk case), total 11: hiding the three cells and printing 11
 * gives each [1, 9] with the product's lower bound alone, but with academic
 * and emotion at least 5, other is exactly 1.  Protection with those bounds
 * must hide more (here the total: nothing else is left).
 */
static void test_lower_bound_folded(void **state)
{
	static const int64_t cats[3] = {5, 5, 1};
	cv_sdc_export *x = NULL;
	cv_sdc_report rep;
	const cv_sdc_bounds *b;
	cv_err err;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add1(x, "category", 3, cats);
	hide(x, 0, 0, 0);
	hide(x, 0, 0, 1);
	hide(x, 0, 0, 2);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	b = bounds_of(&rep, 0, 0, 2);
	assert_true(b->ilo == 1.0 && b->ihi == 9.0);
	assert_int_equal(rep.nexposed, 0);
	cv_sdc_report_free(&rep);

	assert_int_equal(cv_sdc_set_lower(x, 0, 0, 0, K, &err), CV_OK);
	assert_int_equal(cv_sdc_set_lower(x, 0, 0, 1, K, &err), CV_OK);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	b = bounds_of(&rep, 0, 0, 2);
	assert_true(b->exposed && b->ilo == 1.0 && b->ihi == 1.0);
	assert_true(bounds_of(&rep, 0, 0, 0)->exposed); /* academic: 5 */
	assert_int_equal(rep.nexposed, 3);
	cv_sdc_report_free(&rep);

	/* protection with the bounds: the total is hidden, and other has
	 * no upper bound */
	protect_ok(x, K);
	assert_true(is_hidden(cv_sdc_flag_of(x, 0, 0, 3)));
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_int_equal(rep.nexposed, 0);
	b = bounds_of(&rep, 0, 0, 2);
	assert_true(b->ilo == 1.0 && isinf(b->ihi));
	cv_sdc_report_free(&rep);

	/* a bound above the count, or negative, is refused */
	assert_int_equal(cv_sdc_set_lower(x, 0, 0, 2, 2, &err), CV_EUSAGE);
	assert_int_equal(cv_sdc_set_lower(x, 0, 0, 2, -1, &err), CV_EUSAGE);
	assert_int_equal(cv_sdc_set_lower(x, 0, 0, 9, 0, &err), CV_EUSAGE);
	cv_sdc_export_free(x);
}

/*
 * Linked to a table that prints the total, the folded table cannot hide it
 * there: protection must hide it in both, or whatever else makes every
 * hidden cell at least two values wide with the bounds.
 */
static void test_lower_bound_linked(void **state)
{
	static const int64_t cats[3] = {5, 5, 1}, months[2] = {6, 5};
	cv_sdc_export *x = NULL;
	cv_sdc_report rep;
	size_t tc, tm;
	cv_err err;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	tm = add1(x, "months", 2, months);
	tc = add1(x, "category", 3, cats);
	link_totals(x, tm, tc);
	assert_int_equal(cv_sdc_set_lower(x, tc, 0, 0, K, &err), CV_OK);
	assert_int_equal(cv_sdc_set_lower(x, tc, 0, 1, K, &err), CV_OK);
	protect_ok(x, K);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_int_equal(rep.nexposed, 0);
	assert_true(bounds_of(&rep, tc, 0, 2)->ihi > 1.0);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(x);
}

/* Cumulative closed <= cumulative opened, for the first m months. */
static void add_prefix_orders(cv_sdc_export *x, size_t to, size_t tc, size_t months)
{
	cv_sdc_term terms[16];
	cv_err err;

	for (size_t m = 0; m < months; m++) {
		terms[2 * m] = (cv_sdc_term){tc, 0, m, 1};
		terms[2 * m + 1] = (cv_sdc_term){to, 0, m, -1};
		if (cv_sdc_add_order(x, terms, 2 * (m + 1), &err) != CV_OK)
			fail_msg("order: %s", err.msg);
	}
}

/*
 * Opened 5, 6, 9 / 20; closed x, 8, x, not closed x / 20.  Alone the
 * equations give closed m1 [1, 10]; a case closed by month 2 was opened by
 * then, so closed m1 + 8 <= 11: [1, 3].
 */
static void test_order_relation(void **state)
{
	static const int64_t opened[3] = {5, 6, 9}, closed[4] = {2, 8, 4, 6};
	cv_sdc_export *x = NULL;
	cv_sdc_report rep;
	const cv_sdc_bounds *b;
	cv_sdc_term bad[2];
	size_t to, tc;
	cv_err err;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	to = add1(x, "opened", 3, opened);
	tc = add1(x, "closed", 4, closed);
	link_totals(x, to, tc);
	hide(x, tc, 0, 0);
	hide(x, tc, 0, 2);
	hide(x, tc, 0, 3);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	b = bounds_of(&rep, tc, 0, 0);
	assert_true(b->ilo == 1.0 && b->ihi == 10.0);
	cv_sdc_report_free(&rep);

	add_prefix_orders(x, to, tc, 3);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	b = bounds_of(&rep, tc, 0, 0);
	assert_true(b->ilo == 1.0 && b->ihi == 3.0);
	assert_true(b->lo == 1.0 && b->hi == 3.0);
	/* an order relation is not a sum of the singleton rule */
	for (size_t i = 0; i < rep.nsingletons; i++)
		assert_int_not_equal(rep.singletons[i].kind, CV_SDC_REL_ORDER);
	cv_sdc_report_free(&rep);

	/* counts that break it, a missing cell, a zero coefficient */
	bad[0] = (cv_sdc_term){tc, 0, 1, 1};
	bad[1] = (cv_sdc_term){to, 0, 0, -1}; /* 8 <= 5 is false */
	assert_int_equal(cv_sdc_add_order(x, bad, 2, &err), CV_EUSAGE);
	bad[1] = (cv_sdc_term){to, 0, 7, -1};
	assert_int_equal(cv_sdc_add_order(x, bad, 2, &err), CV_EUSAGE);
	bad[1] = (cv_sdc_term){to, 0, 2, 0};
	assert_int_equal(cv_sdc_add_order(x, bad, 2, &err), CV_EUSAGE);
	assert_int_equal(cv_sdc_add_order(x, bad, 0, &err), CV_EUSAGE);
	cv_sdc_export_free(x);
}

/*
 * Opened 5, 6, 9; closed 1, 10, 3, not closed 6.  The small closed m1 and
 * m3 are primary; with the order, closed m1 + 10 <= 11 pins closed m1 to 1
 * while every sum still has hidden cells enough.  Protection must hide more
 * so that closed m1 keeps two values.
 */
static void test_order_relation_protected(void **state)
{
	static const int64_t opened[3] = {5, 6, 9}, closed[4] = {1, 10, 3, 6};
	cv_sdc_export *x = NULL, *y = NULL;
	cv_sdc_report rep;
	size_t to, tc;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	to = add1(x, "opened", 3, opened);
	tc = add1(x, "closed", 4, closed);
	link_totals(x, to, tc);
	/* without the order, the pattern found leaves closed m2 and opened
	 * m1, m2 printed; with it, that pattern gives closed m1 away */
	assert_int_equal(cv_sdc_export_new(&y, NULL), CV_OK);
	add1(y, "opened", 3, opened);
	add1(y, "closed", 4, closed);
	link_totals(y, 0, 1);
	protect_ok(y, K);
	assert_int_equal(cv_sdc_flag_of(y, 1, 0, 1), CV_SDC_PUBLISHED);
	assert_int_equal(cv_sdc_flag_of(y, 0, 0, 0), CV_SDC_PUBLISHED);
	assert_int_equal(cv_sdc_flag_of(y, 0, 0, 1), CV_SDC_PUBLISHED);
	add_prefix_orders(y, 0, 1, 3);
	audit(y, CV_SDC_LOWER_PRODUCT, &rep);
	assert_true(bounds_of(&rep, 1, 0, 0)->exposed);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(y);

	add_prefix_orders(x, to, tc, 3);
	protect_ok(x, K);
	audit(x, CV_SDC_LOWER_PRODUCT, &rep);
	assert_int_equal(rep.nexposed, 0);
	assert_true(bounds_of(&rep, tc, 0, 0)->ihi > 1.0);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(x);
}

static void test_protect_random(void **state)
{
	(void)state;
	rng_state = 0x5dc0ffee12345ull;
	for (int i = 0; i < 300; i++) {
		cv_sdc_export *x = NULL;

		assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
		if (i % 3 == 2)
			add_random_pair(x);
		else
			add_random(x, "random");
		protect_ok(x, K);
		cv_sdc_export_free(x);
	}
}

/* Two cells of one sum linked as equal: a + a = T.  With a = 3 hidden,
 * T = 6 must go, and then a student alone in one a knows the other a;
 * nothing is left to hide. */
static void test_protect_refuses(void **state)
{
	static const int64_t cats[3] = {3, 3, 0};
	cv_sdc_export *x = NULL;
	cv_err err;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add1(x, "twins", 3, cats);
	assert_int_equal(cv_sdc_add_link(x, 0, 0, 0, 0, 0, 1, &err), CV_OK);
	assert_int_equal(cv_sdc_protect(x, K, &err), CV_EDENIED);
	assert_non_null(strstr(err.msg, "export refused"));
	assert_non_null(strstr(err.msg, "'twins'"));
	cv_sdc_export_free(x);
}

static void test_bad_input(void **state)
{
	static const int64_t wrong_total[3] = {2, 3, 6};
	static const int64_t negative[3] = {-1, 3, 2};
	static const int64_t wrong_margin[9] = {1, 2, 3, 4, 5, 9, 5, 7, 11};
	static const int64_t fine[3] = {9, 6, 15}, other[3] = {9, 7, 16};
	cv_sdc_export *x = NULL;
	cv_sdc_report rep;
	cv_err err;

	(void)state;
	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	assert_int_equal(cv_sdc_add_table(x, "t", 0, NULL, 2, LABELS, wrong_total, NULL, &err),
			 CV_EUSAGE);
	assert_int_equal(cv_sdc_add_table(x, "t", 0, NULL, 2, LABELS, negative, NULL, &err),
			 CV_EUSAGE);
	/* the grand total 11 is not 3 + 9 */
	assert_int_equal(cv_sdc_add_table(x, "t", 2, LABELS, 2, LABELS, wrong_margin, NULL, &err),
			 CV_EUSAGE);
	assert_int_equal(cv_sdc_add_table(x, "t", 0, NULL, 0, LABELS, fine, NULL, &err), CV_EUSAGE);
	assert_int_equal(x->ntables, 0);
	assert_int_equal(cv_sdc_add_table(x, "t", 0, NULL, 2, LABELS, fine, NULL, &err), CV_OK);
	assert_int_equal(cv_sdc_add_table(x, "u", 0, NULL, 2, LABELS, other, NULL, &err), CV_OK);
	/* 15 and 16 are not the same number */
	assert_int_equal(cv_sdc_add_link(x, 0, 0, 2, 1, 0, 2, &err), CV_EUSAGE);
	assert_int_equal(cv_sdc_add_link(x, 0, 1, 0, 1, 0, 0, &err), CV_EUSAGE);
	assert_int_equal(cv_sdc_add_link(x, 0, 0, 0, 1, 0, 0, &err), CV_OK); /* 9 = 9 */
	assert_int_equal(cv_sdc_set_flag(x, 0, 0, 3, CV_SDC_PRIMARY, &err), CV_EUSAGE);
	assert_int_equal(cv_sdc_set_flag(x, 0, 0, 0, CV_SDC_WITHHELD, &err), CV_EUSAGE);
	/* a hidden 6 cannot be audited with a lower bound of 7 */
	hide(x, 0, 0, 1);
	assert_int_equal(cv_sdc_audit(x, 7, &rep, &err), CV_EUSAGE);
	assert_int_equal(cv_sdc_audit(x, -1, &rep, &err), CV_EUSAGE);
	cv_sdc_export_free(x);
	cv_sdc_export_free(NULL);
	cv_sdc_report_free(NULL);
}

/* ---- (d) every bound against glpsol --exact ---- */

static char tmpdir[PATH_MAX];
static char lp_path[PATH_MAX + 8];
static char out_path[PATH_MAX + 8];
static char glpsol[PATH_MAX];
static size_t nglpsol;

static void remove_tmp_files(void)
{
	unlink(lp_path);
	unlink(out_path);
}

static int glpsol_setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	if (!base || !*base)
		base = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/casevault-sdc-XXXXXX", base);
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(lp_path, sizeof(lp_path), "%s/p.lp", tmpdir);
	snprintf(out_path, sizeof(out_path), "%s/p.out", tmpdir);
	return 0;
}

static int glpsol_teardown(void **state)
{
	(void)state;
	remove_tmp_files();
	return rmdir(tmpdir) == 0 ? 0 : -1;
}

/* glpsol's path from PATH, or a failure naming the package. */
static void find_glpsol(void)
{
	const char *path = getenv("PATH");
	char *dirs, *p, *save = NULL;

	if (glpsol[0])
		return;
	dirs = strdup(path ? path : "/usr/bin:/bin");
	assert_non_null(dirs);
	for (p = strtok_r(dirs, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		snprintf(glpsol, sizeof(glpsol), "%s/glpsol", p);
		if (access(glpsol, X_OK) == 0)
			break;
		glpsol[0] = '\0';
	}
	free(dirs);
	if (!glpsol[0])
		fail_msg("glpsol was not found in PATH: install the Debian package glpk-utils "
			 "('make deps' does)");
}

static void var_name(char *out, size_t cap, size_t t, size_t r, size_t c)
{
	snprintf(out, cap, "v_%zu_%zu_%zu", t, r, c);
}

/* Writes one relation (cells[0..n-2] sum to cells[n-1]) as an equation over
 * the hidden cells, the published ones moved to the right-hand side. */
static void write_relation(FILE *f, const cv_sdc_export *x, size_t t, const size_t (*cells)[2],
			   size_t n, size_t *nrow)
{
	char name[64];
	int64_t rhs = 0;
	int any = 0;

	for (size_t i = 0; i < n; i++)
		if (is_hidden(cv_sdc_flag_of(x, t, cells[i][0], cells[i][1])))
			any = 1;
	if (!any)
		return;
	fprintf(f, " r%zu:", (*nrow)++);
	for (size_t i = 0; i < n; i++) {
		int sign = i + 1 == n ? -1 : 1;
		size_t r = cells[i][0], c = cells[i][1];

		if (is_hidden(cv_sdc_flag_of(x, t, r, c))) {
			var_name(name, sizeof(name), t, r, c);
			fprintf(f, " %c %s", sign > 0 ? '+' : '-', name);
		} else {
			rhs -= sign * cv_sdc_value(x, t, r, c);
		}
	}
	fprintf(f, " = %lld\n", (long long)rhs);
}

/* The order relation example (test_order_relation), its pattern and
 * order relations set. */
static cv_sdc_export *order_export(void)
{
	static const int64_t opened[3] = {5, 6, 9}, closed[4] = {2, 8, 4, 6};
	cv_sdc_export *x = NULL;

	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add1(x, "opened", 3, opened);
	add1(x, "closed", 4, closed);
	link_totals(x, 0, 1);
	hide(x, 1, 0, 0);
	hide(x, 1, 0, 2);
	hide(x, 1, 0, 3);
	add_prefix_orders(x, 0, 1, 3);
	return x;
}

/* A folded category table linked to months, its named columns bounded by
 * k, a pattern hiding the categories and one month. */
static cv_sdc_export *folded_export(void)
{
	static const int64_t cats[4] = {7, 5, 6, 2}, months[2] = {9, 11};
	cv_sdc_export *x = NULL;
	cv_err err;

	assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
	add1(x, "months", 2, months);
	add1(x, "category", 4, cats);
	link_totals(x, 0, 1);
	for (size_t c = 0; c < 3; c++)
		assert_int_equal(cv_sdc_set_lower(x, 1, 0, c, K, &err), CV_OK);
	hide(x, 1, 0, 1);
	hide(x, 1, 0, 2);
	hide(x, 1, 0, 3);
	hide(x, 1, 0, 4);
	hide(x, 0, 0, 0);
	return x;
}

/* The min or max problem for cell (t0, r0, c0), written from the tables,
 * flags and links alone: one variable per hidden cell, links as equations. */
static void write_lp(const cv_sdc_export *x, int64_t lower, size_t t0, size_t r0, size_t c0,
		     int maximize)
{
	FILE *f = fopen(lp_path, "w");
	char name[64], other[64];
	size_t cells[MAXCELLS][2], nrow = 0;

	assert_non_null(f);
	var_name(name, sizeof(name), t0, r0, c0);
	fprintf(f, "%s\n obj: %s\nSubject To\n", maximize ? "Maximize" : "Minimize", name);
	for (size_t t = 0; t < x->ntables; t++) {
		const cv_sdc_table *tb = &x->tables[t];
		size_t R = tb->nrows, C = tb->ncols;

		if (tb->withheld)
			continue;
		if (!R) {
			for (size_t j = 0; j <= C; j++)
				cells[j][0] = 0, cells[j][1] = j;
			write_relation(f, x, t, (const size_t(*)[2])cells, C + 1, &nrow);
			continue;
		}
		for (size_t i = 0; i <= R; i++) {
			for (size_t j = 0; j <= C; j++)
				cells[j][0] = i, cells[j][1] = j;
			write_relation(f, x, t, (const size_t(*)[2])cells, C + 1, &nrow);
		}
		for (size_t j = 0; j <= C; j++) {
			for (size_t i = 0; i <= R; i++)
				cells[i][0] = i, cells[i][1] = j;
			write_relation(f, x, t, (const size_t(*)[2])cells, R + 1, &nrow);
		}
	}
	for (size_t l = 0; l < x->nlinks; l++) {
		const cv_sdc_link *k = &x->links[l];
		int ha = is_hidden(cv_sdc_flag_of(x, k->ta, k->ra, k->ca));
		int hb = is_hidden(cv_sdc_flag_of(x, k->tb, k->rb, k->cb));

		if (x->tables[k->ta].withheld || x->tables[k->tb].withheld || (!ha && !hb))
			continue;
		var_name(name, sizeof(name), k->ta, k->ra, k->ca);
		var_name(other, sizeof(other), k->tb, k->rb, k->cb);
		if (ha && hb)
			fprintf(f, " l%zu: %s - %s = 0\n", l, name, other);
		else
			fprintf(f, " l%zu: %s = %lld\n", l, ha ? name : other,
				(long long)cv_sdc_value(x, k->ta, k->ra, k->ca));
	}
	for (size_t o = 0; o < x->norders; o++) {
		const cv_sdc_order *od = &x->orders[o];
		int64_t rhs = 0;
		int any = 0;

		for (size_t i = 0; i < od->nterms; i++) {
			const cv_sdc_term *q = &od->terms[i];

			if (!is_hidden(cv_sdc_flag_of(x, q->table, q->row, q->col))) {
				rhs -= q->coef * cv_sdc_value(x, q->table, q->row, q->col);
				continue;
			}
			if (!any)
				fprintf(f, " o%zu:", o);
			any = 1;
			var_name(name, sizeof(name), q->table, q->row, q->col);
			fprintf(f, " %+d %s", q->coef, name);
		}
		if (any)
			fprintf(f, " <= %lld\n", (long long)rhs);
	}
	fprintf(f, "Bounds\n");
	for (size_t t = 0; t < x->ntables; t++)
		for (size_t r = 0; !x->tables[t].withheld && r < cv_sdc_rows(&x->tables[t]); r++)
			for (size_t c = 0; c <= x->tables[t].ncols; c++)
				if (is_hidden(cv_sdc_flag_of(x, t, r, c))) {
					const cv_sdc_table *tb = &x->tables[t];
					int64_t lo = lower;

					if (tb->lower && tb->lower[r * (tb->ncols + 1) + c] > lo)
						lo = tb->lower[r * (tb->ncols + 1) + c];
					var_name(name, sizeof(name), t, r, c);
					fprintf(f, " %s >= %lld\n", name, (long long)lo);
				}
	fprintf(f, "End\n");
	assert_int_equal(fclose(f), 0);
}

/* Runs glpsol --exact on the written problem; returns its optimum, or
 * INFINITY when it reports the problem unbounded. */
static double run_glpsol(void)
{
	char *argv[] = {glpsol, "--lp", lp_path, "--exact", "-o", out_path, NULL};
	posix_spawn_file_actions_t fa;
	char line[256], status[64] = "";
	double obj = NAN;
	pid_t pid;
	int ws;
	FILE *f;

	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, glpsol, &fa, NULL, argv, environ) != 0)
		fail_msg("cannot run %s", glpsol);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		fail_msg("glpsol failed on %s", lp_path);
	nglpsol++;
	f = fopen(out_path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *eq;

		if (strncmp(line, "Status:", 7) == 0)
			sscanf(line + 7, "%63s", status);
		else if (strncmp(line, "Objective:", 10) == 0 && (eq = strchr(line, '=')) != NULL)
			obj = strtod(eq + 1, NULL);
	}
	fclose(f);
	remove_tmp_files();
	if (strcmp(status, "UNBOUNDED") == 0)
		return INFINITY;
	if (strcmp(status, "OPTIMAL") != 0 || isnan(obj))
		fail_msg("glpsol: status '%s'", status);
	return obj;
}

static int same_bound(double lib, double ref)
{
	if (isinf(lib) || isinf(ref))
		return isinf(lib) && isinf(ref);
	return fabs(lib - ref) <= 1e-6 * (1.0 + fabs(ref));
}

/* Compares every suppressed cell's bounds with glpsol's. */
static void cross_check(const cv_sdc_export *x, int64_t lower, const char *what)
{
	cv_sdc_report rep;

	find_glpsol();
	audit(x, lower, &rep);
	for (size_t i = 0; i < rep.ncells; i++) {
		const cv_sdc_bounds *b = &rep.cells[i];
		double lo, hi;

		write_lp(x, lower, b->table, b->row, b->col, 0);
		lo = run_glpsol();
		write_lp(x, lower, b->table, b->row, b->col, 1);
		hi = run_glpsol();
		if (!same_bound(b->lo, lo) || !same_bound(b->hi, hi))
			fail_msg("%s: cell (%zu, %zu, %zu): lp_solve [%.9g, %.9g], glpsol [%.9g, "
				 "%.9g]",
				 what, b->table, b->row, b->col, b->lo, b->hi, lo, hi);
		/* integer bounds lie inside the LP ones */
		assert_true(b->ilo >= ceil(b->lo - 1e-6) && b->ihi <= floor(b->hi + 1e-6));
	}
	cv_sdc_report_free(&rep);
}

static void test_glpsol_known_answers(void **state)
{
	cv_sdc_export *x;

	(void)state;
	x = sdctable_export();
	cross_check(x, 0, "sdctable");
	hide(x, 0, 1, 1);
	cross_check(x, 0, "sdctable + x|b");
	cross_check(x, 1, "sdctable + x|b, lower 1");
	cv_sdc_export_free(x);
	x = geurts_export();
	cross_check(x, 0, "geurts");
	cross_check(x, 1, "geurts, lower 1");
	cv_sdc_export_free(x);
	x = twins_export();
	cross_check(x, 1, "twins");
	cv_sdc_export_free(x);
	x = order_export();
	cross_check(x, 1, "opened and closed by month, ordered");
	protect_ok(x, K);
	cross_check(x, 1, "opened and closed by month, protected");
	cv_sdc_export_free(x);
	x = folded_export();
	cross_check(x, 1, "folded categories, bounded");
	cv_sdc_export_free(x);
}

/* Random hand-made patterns (some with linked totals hidden on one side
 * only) and the patterns protect chooses. */
static void test_glpsol_random(void **state)
{
	size_t before = nglpsol;

	(void)state;
	rng_state = 0xc0ffee5dcull;
	for (int i = 0; i < 24; i++) {
		cv_sdc_export *x = NULL;
		int64_t lower = i % 2;

		assert_int_equal(cv_sdc_export_new(&x, NULL), CV_OK);
		if (i % 4 >= 2)
			add_random_pair(x);
		else
			add_random(x, "random");
		if (i % 3 == 0) {
			protect_ok(x, K);
			lower = CV_SDC_LOWER_PRODUCT;
		} else {
			for (size_t t = 0; t < x->ntables; t++)
				for (size_t r = 0; r < cv_sdc_rows(&x->tables[t]); r++)
					for (size_t c = 0; c <= x->tables[t].ncols; c++)
						if ((lower == 0 || cv_sdc_value(x, t, r, c) > 0) &&
						    rng(5) < 2)
							hide(x, t, r, c);
		}
		cross_check(x, lower, "random");
		cv_sdc_export_free(x);
	}
	/* the comparison really ran */
	assert_true(nglpsol - before >= 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sdctable_known_answer),
	    cmocka_unit_test(test_geurts_handbook),
	    cmocka_unit_test(test_integer_bounds),
	    cmocka_unit_test(test_protect_small_cells),
	    cmocka_unit_test(test_protect_k_below_three_refused),
	    cmocka_unit_test(test_protect_small_table_withheld),
	    cmocka_unit_test(test_protect_fixed_cells),
	    cmocka_unit_test(test_singleton_rule),
	    cmocka_unit_test(test_cell_recoverable_only_across_tables),
	    cmocka_unit_test(test_linked_tables_protected_jointly),
	    cmocka_unit_test(test_protect_term_export),
	    cmocka_unit_test(test_lower_bound_folded),
	    cmocka_unit_test(test_lower_bound_linked),
	    cmocka_unit_test(test_order_relation),
	    cmocka_unit_test(test_order_relation_protected),
	    cmocka_unit_test(test_protect_random),
	    cmocka_unit_test(test_protect_refuses),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test_setup_teardown(test_glpsol_known_answers, glpsol_setup,
					    glpsol_teardown),
	    cmocka_unit_test_setup_teardown(test_glpsol_random, glpsol_setup, glpsol_teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

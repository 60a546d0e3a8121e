/*
 * sdc.h - statistical disclosure control for the anonymized term tables:
 * primary and complementary cell suppression, and the audit that bounds
 * every suppressed cell by linear programming over all tables of an export.
 * Layer: ground (pure computation; no vault, no store, no I/O).
 *
 * An export holds several count tables that are published together, and
 * the equalities between their cells (the same grand total, a margin of
 * one table that is another table's body).  A table is one-way (categories
 * and a total) or two-way (rows x columns with row totals, column totals
 * and the grand total).  Cells are addressed (table, row, col):
 *   two-way: row 0..nrows (nrows is the row of column totals),
 *            col 0..ncols (ncols is the column of row totals);
 *   one-way: row 0 only, col 0..ncols (ncols is the total).
 * The structures below are readable by callers; change them only through
 * the functions.  docs/STATISTICS.md explains the method and its limits.
 */
#ifndef CV_SDC_H
#define CV_SDC_H

#include <stddef.h>
#include <stdint.h>

#include "casevault.h"

#define CV_SDC_K_DEFAULT 5
#define CV_SDC_K_MIN 3
#define CV_SDC_MAX_DIM 1000	  /* categories per dimension */
#define CV_SDC_MAX_COUNT 10000000 /* largest cell value accepted */
#define CV_SDC_LOWER_PRODUCT 1	  /* zeros are published: a hidden cell is >= 1 */

/* What happens to a cell. */
typedef enum cv_sdc_flag {
	CV_SDC_PUBLISHED = 0,
	CV_SDC_PRIMARY = 1,   /* its value is 1..k-1 */
	CV_SDC_SECONDARY = 2, /* hidden so that the primary cells cannot be derived */
	CV_SDC_WITHHELD = 3,  /* its table is not published at all (grand total under k) */
} cv_sdc_flag;

typedef struct cv_sdc_table {
	char *name;
	size_t nrows; /* body rows; 0 for a one-way table */
	size_t ncols; /* body columns (categories) */
	char **row_labels;
	char **col_labels;
	int64_t *count;	      /* rows x (ncols + 1), row-major; see cv_sdc_rows */
	unsigned char *flag;  /* a cv_sdc_flag per count */
	unsigned char *fixed; /* NULL, or per count: suppressed whatever its value */
	int64_t *lower;	      /* NULL, or per count: what the reader knows it is at least */
	int withheld;	      /* set by cv_sdc_protect when the table is not published */
} cv_sdc_table;

/* Cell a of table ta equals cell b of table tb. */
typedef struct cv_sdc_link {
	size_t ta, ra, ca;
	size_t tb, rb, cb;
} cv_sdc_link;

/* One term of an order relation: coef times cell (table, row, col). */
typedef struct cv_sdc_term {
	size_t table, row, col;
	int coef;
} cv_sdc_term;

/* An order relation the reader knows: the sum of its terms is <= 0. */
typedef struct cv_sdc_order {
	cv_sdc_term *terms;
	size_t nterms;
} cv_sdc_order;

#define CV_SDC_ORDER_TERMS_MAX 4096

typedef struct cv_sdc_export {
	cv_sdc_table *tables;
	size_t ntables;
	cv_sdc_link *links;
	size_t nlinks;
	cv_sdc_order *orders;
	size_t norders;
} cv_sdc_export;

/* The stored rows of a table: nrows + 1 for two-way, 1 for one-way. */
size_t cv_sdc_rows(const cv_sdc_table *t);

/* Creates an empty export in *out; free it with cv_sdc_export_free. */
cv_status cv_sdc_export_new(cv_sdc_export **out, cv_err *err);

/* Releases x and everything it holds (counts are wiped first); x may be NULL. */
void cv_sdc_export_free(cv_sdc_export *x);

/*
 * cv_sdc_add_table - copies a table into x.  nrows is 0 for a one-way table
 * (row_labels is then ignored and may be NULL).  counts holds
 * cv_sdc_rows() x (ncols + 1) values row-major, margins included, each in
 * 0..CV_SDC_MAX_COUNT; the margins must be the sums of what they total.
 * name and labels are copied.  Every cell starts published.  *index
 * (when index is not NULL) receives the table's number.  CV_EUSAGE for a
 * malformed table (sizes, negative or inconsistent counts), CV_ERROR when
 * out of memory.
 */
cv_status cv_sdc_add_table(cv_sdc_export *x, const char *name, size_t nrows,
			   const char *const *row_labels, size_t ncols,
			   const char *const *col_labels, const int64_t *counts, size_t *index,
			   cv_err *err);

/*
 * cv_sdc_add_table_fixed - cv_sdc_add_table for a table some of whose cells
 * are already hidden elsewhere (a district table summed from schools'
 * releases).  fixed (NULL: none) marks, per count, the cells that stay
 * suppressed (primary) through cv_sdc_protect whatever their value; their
 * counts are only placeholders (at least CV_SDC_LOWER_PRODUCT), so a margin
 * is checked only where neither it nor any cell it totals is fixed.
 */
cv_status cv_sdc_add_table_fixed(cv_sdc_export *x, const char *name, size_t nrows,
				 const char *const *row_labels, size_t ncols,
				 const char *const *col_labels, const int64_t *counts,
				 const unsigned char *fixed, size_t *index, cv_err *err);

/*
 * cv_sdc_add_link - records that cell (ta, ra, ca) and cell (tb, rb, cb) are the
 * same number (a total shared by two tables).  CV_EUSAGE when a cell does
 * not exist or the two values differ.
 */
cv_status cv_sdc_add_link(cv_sdc_export *x, size_t ta, size_t ra, size_t ca, size_t tb, size_t rb,
			  size_t cb, cv_err *err);

/*
 * cv_sdc_set_lower - records that the reader knows cell (t, r, c) is at
 * least `lower` (a category kept as its own column only when it has at
 * least k cases).  The audit bounds the cell from below by the larger of
 * this and its own lower bound.  CV_EUSAGE when the cell does not exist,
 * lower is negative or above the cell's value (or, for a fixed cell, its
 * placeholder).
 */
cv_status cv_sdc_set_lower(cv_sdc_export *x, size_t t, size_t r, size_t c, int64_t lower,
			   cv_err *err);

/*
 * cv_sdc_add_order - records an inequality the reader knows between cells:
 * the sum of coef x cell over the n terms is at most 0 (cases closed by a
 * month are at most the cases opened by then).  The audit adds it to its
 * linear program; an order relation is never a sum of the singleton rule.
 * An order naming a cell of a withheld table is left out.  CV_EUSAGE when
 * n is 0 or above CV_SDC_ORDER_TERMS_MAX, a cell does not exist, a
 * coefficient is 0 or beyond +-1000, or the counts break it (checked only
 * when no term is a fixed cell, whose count is a placeholder).
 */
cv_status cv_sdc_add_order(cv_sdc_export *x, const cv_sdc_term *terms, size_t n, cv_err *err);

/* The count and the flag of a cell; the cell must exist. */
int64_t cv_sdc_value(const cv_sdc_export *x, size_t t, size_t r, size_t c);
cv_sdc_flag cv_sdc_flag_of(const cv_sdc_export *x, size_t t, size_t r, size_t c);

/* Sets the flag of one cell, for a pattern chosen by hand (an audit of a
 * given pattern).  CV_EUSAGE when the cell does not exist. */
cv_status cv_sdc_set_flag(cv_sdc_export *x, size_t t, size_t r, size_t c, cv_sdc_flag f,
			  cv_err *err);

/*
 * cv_sdc_protect - chooses what to publish, with threshold k (>= CV_SDC_K_MIN;
 * CV_EUSAGE below).  Every flag is recomputed: a table whose grand total is
 * under k is withheld; in the others, every cell (margins included) with a
 * value in 1..k-1, and every fixed cell (cv_sdc_add_table_fixed), is primary; then secondary cells
 * are added, smallest cost first, until cv_sdc_audit with lower bound CV_SDC_LOWER_PRODUCT
 * (and each cell's own, cv_sdc_set_lower) finds no exposed cell and no singleton relation across
 * all tables and links together.  Zeros are always published.  CV_EDENIED, with the cell that
 * cannot be protected named, when no pattern passes: the export must then
 * be refused and the flags are meaningless.  CV_ERROR for a solver failure
 * or out of memory.
 */
cv_status cv_sdc_protect(cv_sdc_export *x, int k, cv_err *err);

/* The audited bounds of one suppressed cell. */
typedef struct cv_sdc_bounds {
	size_t table, row, col;
	int64_t value;
	double lo, hi;	 /* LP relaxation; hi is INFINITY when unbounded */
	double ilo, ihi; /* what an attacker who knows the counts are integers gets */
	int exposed;	 /* ilo == ihi: the cell can be recovered exactly */
} cv_sdc_bounds;

/* Which equation of a table a singleton finding names. */
typedef enum cv_sdc_rel_kind {
	CV_SDC_REL_ROW = 0,	   /* body row `index` sums to its row total */
	CV_SDC_REL_COL = 1,	   /* body column `index` sums to its column total */
	CV_SDC_REL_ROW_TOTALS = 2, /* the row totals sum to the grand total */
	CV_SDC_REL_COL_TOTALS = 3, /* the column totals sum to the grand total */
	CV_SDC_REL_ONEWAY = 4,	   /* the categories of a one-way table sum to its total */
	CV_SDC_REL_ORDER = 5,	   /* order relation `index` (cv_sdc_add_order); table is its
				      first term's */
} cv_sdc_rel_kind;

typedef struct cv_sdc_relation {
	size_t table;
	cv_sdc_rel_kind kind;
	size_t index;
} cv_sdc_relation;

typedef struct cv_sdc_report {
	cv_sdc_bounds *cells; /* one per suppressed cell of a published table */
	size_t ncells;
	size_t nexposed;
	cv_sdc_relation *singletons; /* relations breaking the singleton rule */
	size_t nsingletons;
} cv_sdc_report;

/*
 * cv_sdc_audit - bounds every suppressed cell (primary or secondary) given
 * everything the export publishes: every published cell of every published
 * table, every table's additive relations, every link, and that a
 * suppressed cell is at least `lower` (CV_SDC_LOWER_PRODUCT for the product,
 * where zeros are published; 0 for the textbook setting), or its own lower
 * bound (cv_sdc_set_lower) when larger, with no upper bound, and every
 * order relation (cv_sdc_add_order).  Also lists the relations that break the singleton rule:
 * exactly two suppressed cells of which one could be 1, unless the relation makes them the same
 * number.  The export passes when out->nexposed and out->nsingletons are both 0.  Fills *out (free
 * it with cv_sdc_report_free).  CV_EUSAGE when lower is negative or a suppressed cell's value is
 * below it, CV_ERROR for a solver failure or out of memory.
 */
cv_status cv_sdc_audit(const cv_sdc_export *x, int64_t lower, cv_sdc_report *out, cv_err *err);

/* Releases what an audit filled in; r may be NULL. */
void cv_sdc_report_free(cv_sdc_report *r);

#endif

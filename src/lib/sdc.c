/*
 * sdc.c - cell suppression for the anonymized term tables and its audit by
 * linear programming (lp_solve).  Layer: ground; no vault access.
 *
 * Inside, an export becomes a model: the cells of the published tables are
 * merged into classes (linked cells are one number), and every table
 * contributes its additive relations over the classes.  The audit bounds
 * each suppressed class by minimising and maximising it subject to those
 * relations, the published values and the attacker's lower bound;
 * protection adds suppressions until the audit passes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lpsolve/lp_lib.h>
#include <sodium.h>

#include "err.h"
#include "sdc.h"
#include "banned.h"

#define NONE ((size_t)-1)

/* ---- the export ---- */

size_t cv_sdc_rows(const cv_sdc_table *t)
{
	return t->nrows ? t->nrows + 1 : 1;
}

static size_t cell_count(const cv_sdc_table *t)
{
	return cv_sdc_rows(t) * (t->ncols + 1);
}

static size_t cell_at(const cv_sdc_table *t, size_t r, size_t c)
{
	return r * (t->ncols + 1) + c;
}

static int cell_exists(const cv_sdc_export *x, size_t t, size_t r, size_t c)
{
	return t < x->ntables && r < cv_sdc_rows(&x->tables[t]) && c <= x->tables[t].ncols;
}

cv_status cv_sdc_export_new(cv_sdc_export **out, cv_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return cv_err_set(err, CV_ERROR, "out of memory");
	return CV_OK;
}

static void free_labels(char **labels, size_t n)
{
	if (!labels)
		return;
	for (size_t i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
}

static void table_free(cv_sdc_table *t)
{
	free(t->name);
	free_labels(t->row_labels, t->nrows);
	free_labels(t->col_labels, t->ncols);
	if (t->count)
		sodium_memzero(t->count, cell_count(t) * sizeof(*t->count));
	free(t->count);
	free(t->flag);
	free(t->fixed);
	free(t->lower);
}

void cv_sdc_export_free(cv_sdc_export *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->ntables; i++)
		table_free(&x->tables[i]);
	free(x->tables);
	free(x->links);
	for (size_t i = 0; i < x->norders; i++)
		free(x->orders[i].terms);
	free(x->orders);
	free(x);
}

static char **copy_labels(const char *const *labels, size_t n)
{
	char **out = calloc(n ? n : 1, sizeof(*out));

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(labels[i]);
		if (!out[i]) {
			free_labels(out, i);
			return NULL;
		}
	}
	return out;
}

/* Whether cell i of t is fixed (its count only a placeholder). */
static int is_fixed(const cv_sdc_table *t, size_t i)
{
	return t->fixed && t->fixed[i];
}

/* Checks that every margin of t is the sum of what it totals; a margin
 * that is fixed, or totals a fixed cell, is not checked. */
static cv_status check_margins(const cv_sdc_table *t, const char *name, cv_err *err)
{
	size_t R = t->nrows, C = t->ncols, rows = cv_sdc_rows(t);
	int64_t s;
	int skip;

	for (size_t i = 0; i < rows; i++) {
		if (R && i == R)
			break;
		s = 0;
		skip = is_fixed(t, cell_at(t, i, C));
		for (size_t j = 0; j < C; j++) {
			s += t->count[cell_at(t, i, j)];
			skip |= is_fixed(t, cell_at(t, i, j));
		}
		if (!skip && s != t->count[cell_at(t, i, C)])
			return cv_err_set(err, CV_EUSAGE,
					  "table '%s': the total of row %zu is %lld, not the sum "
					  "%lld of its cells",
					  name, i, (long long)t->count[cell_at(t, i, C)],
					  (long long)s);
	}
	if (!R)
		return CV_OK;
	for (size_t j = 0; j <= C; j++) {
		s = 0;
		skip = is_fixed(t, cell_at(t, R, j));
		for (size_t i = 0; i < R; i++) {
			s += t->count[cell_at(t, i, j)];
			skip |= is_fixed(t, cell_at(t, i, j));
		}
		if (!skip && s != t->count[cell_at(t, R, j)])
			return cv_err_set(err, CV_EUSAGE,
					  "table '%s': the total of column %zu is %lld, not the "
					  "sum %lld of its cells",
					  name, j, (long long)t->count[cell_at(t, R, j)],
					  (long long)s);
	}
	return CV_OK;
}

cv_status cv_sdc_add_table(cv_sdc_export *x, const char *name, size_t nrows,
			   const char *const *row_labels, size_t ncols,
			   const char *const *col_labels, const int64_t *counts, size_t *index,
			   cv_err *err)
{
	return cv_sdc_add_table_fixed(x, name, nrows, row_labels, ncols, col_labels, counts, NULL,
				      index, err);
}

cv_status cv_sdc_add_table_fixed(cv_sdc_export *x, const char *name, size_t nrows,
				 const char *const *row_labels, size_t ncols,
				 const char *const *col_labels, const int64_t *counts,
				 const unsigned char *fixed, size_t *index, cv_err *err)
{
	cv_sdc_table t = {0}, *grown;
	size_t n;
	cv_status st;

	if (!name || !col_labels || !counts || (nrows && !row_labels))
		return cv_err_set(err, CV_EUSAGE, "a table needs a name, labels and counts");
	if (ncols == 0 || ncols > CV_SDC_MAX_DIM || nrows > CV_SDC_MAX_DIM)
		return cv_err_set(err, CV_EUSAGE,
				  "table '%s' has %zu x %zu categories; each dimension needs "
				  "1..%d",
				  name, nrows, ncols, CV_SDC_MAX_DIM);
	for (size_t i = 0; i < ncols; i++)
		if (!col_labels[i])
			return cv_err_set(err, CV_EUSAGE, "table '%s': column %zu has no label",
					  name, i);
	for (size_t i = 0; i < nrows; i++)
		if (!row_labels[i])
			return cv_err_set(err, CV_EUSAGE, "table '%s': row %zu has no label", name,
					  i);
	t.nrows = nrows;
	t.ncols = ncols;
	n = cell_count(&t);
	for (size_t i = 0; i < n; i++)
		if (counts[i] < 0 || counts[i] > CV_SDC_MAX_COUNT)
			return cv_err_set(err, CV_EUSAGE, "table '%s': count %lld is outside 0..%d",
					  name, (long long)counts[i], CV_SDC_MAX_COUNT);
	for (size_t i = 0; fixed && i < n; i++)
		if (fixed[i] && counts[i] < CV_SDC_LOWER_PRODUCT)
			return cv_err_set(err, CV_EUSAGE,
					  "table '%s': a fixed cell holds %lld, below %d (zeros "
					  "are published)",
					  name, (long long)counts[i], CV_SDC_LOWER_PRODUCT);
	t.count = malloc(n * sizeof(*t.count));
	t.flag = calloc(n, 1);
	t.name = strdup(name);
	t.col_labels = copy_labels(col_labels, ncols);
	t.row_labels = nrows ? copy_labels(row_labels, nrows) : NULL;
	t.fixed = fixed ? malloc(n) : NULL;
	if (!t.count || !t.flag || !t.name || !t.col_labels || (nrows && !t.row_labels) ||
	    (fixed && !t.fixed)) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	memcpy(t.count, counts, n * sizeof(*t.count));
	if (fixed)
		memcpy(t.fixed, fixed, n);
	st = check_margins(&t, name, err);
	if (st != CV_OK)
		goto out;
	grown = realloc(x->tables, (x->ntables + 1) * sizeof(*grown));
	if (!grown) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	x->tables = grown;
	x->tables[x->ntables] = t;
	if (index)
		*index = x->ntables;
	x->ntables++;
	return CV_OK;
out:
	table_free(&t);
	return st;
}

cv_status cv_sdc_add_link(cv_sdc_export *x, size_t ta, size_t ra, size_t ca, size_t tb, size_t rb,
			  size_t cb, cv_err *err)
{
	cv_sdc_link *grown;

	if (!cell_exists(x, ta, ra, ca) || !cell_exists(x, tb, rb, cb))
		return cv_err_set(err, CV_EUSAGE, "a link names a cell that does not exist");
	if (cv_sdc_value(x, ta, ra, ca) != cv_sdc_value(x, tb, rb, cb))
		return cv_err_set(
		    err, CV_EUSAGE, "linked cells of tables '%s' and '%s' differ (%lld and %lld)",
		    x->tables[ta].name, x->tables[tb].name, (long long)cv_sdc_value(x, ta, ra, ca),
		    (long long)cv_sdc_value(x, tb, rb, cb));
	grown = realloc(x->links, (x->nlinks + 1) * sizeof(*grown));
	if (!grown)
		return cv_err_set(err, CV_ERROR, "out of memory");
	x->links = grown;
	x->links[x->nlinks++] = (cv_sdc_link){ta, ra, ca, tb, rb, cb};
	return CV_OK;
}

cv_status cv_sdc_set_lower(cv_sdc_export *x, size_t t, size_t r, size_t c, int64_t lower,
			   cv_err *err)
{
	cv_sdc_table *tb;

	if (!cell_exists(x, t, r, c))
		return cv_err_set(err, CV_EUSAGE, "no such cell (%zu, %zu) in table %zu", r, c, t);
	tb = &x->tables[t];
	if (lower < 0 || lower > tb->count[cell_at(tb, r, c)])
		return cv_err_set(err, CV_EUSAGE,
				  "table '%s': a lower bound %lld is negative or above the cell's "
				  "count %lld",
				  tb->name, (long long)lower,
				  (long long)tb->count[cell_at(tb, r, c)]);
	if (!tb->lower) {
		tb->lower = calloc(cell_count(tb), sizeof(*tb->lower));
		if (!tb->lower)
			return cv_err_set(err, CV_ERROR, "out of memory");
	}
	tb->lower[cell_at(tb, r, c)] = lower;
	return CV_OK;
}

cv_status cv_sdc_add_order(cv_sdc_export *x, const cv_sdc_term *terms, size_t n, cv_err *err)
{
	cv_sdc_order *grown;
	cv_sdc_term *copy;
	int64_t sum = 0;
	int placeholder = 0;

	if (n == 0 || n > CV_SDC_ORDER_TERMS_MAX)
		return cv_err_set(err, CV_EUSAGE, "an order relation needs 1..%d terms",
				  CV_SDC_ORDER_TERMS_MAX);
	for (size_t i = 0; i < n; i++) {
		if (!cell_exists(x, terms[i].table, terms[i].row, terms[i].col))
			return cv_err_set(err, CV_EUSAGE,
					  "an order relation names a cell that does not exist");
		if (terms[i].coef == 0 || terms[i].coef > 1000 || terms[i].coef < -1000)
			return cv_err_set(err, CV_EUSAGE,
					  "an order relation's coefficient is 0 or out of range");
		sum += terms[i].coef * cv_sdc_value(x, terms[i].table, terms[i].row, terms[i].col);
		placeholder |=
		    is_fixed(&x->tables[terms[i].table],
			     cell_at(&x->tables[terms[i].table], terms[i].row, terms[i].col));
	}
	if (sum > 0 && !placeholder)
		return cv_err_set(err, CV_EUSAGE,
				  "the counts break an order relation (its sum is %lld, above 0)",
				  (long long)sum);
	copy = malloc(n * sizeof(*copy));
	grown = realloc(x->orders, (x->norders + 1) * sizeof(*grown));
	if (grown)
		x->orders = grown;
	if (!copy || !grown) {
		free(copy);
		return cv_err_set(err, CV_ERROR, "out of memory");
	}
	memcpy(copy, terms, n * sizeof(*copy));
	x->orders[x->norders++] = (cv_sdc_order){copy, n};
	return CV_OK;
}

int64_t cv_sdc_value(const cv_sdc_export *x, size_t t, size_t r, size_t c)
{
	return x->tables[t].count[cell_at(&x->tables[t], r, c)];
}

cv_sdc_flag cv_sdc_flag_of(const cv_sdc_export *x, size_t t, size_t r, size_t c)
{
	return (cv_sdc_flag)x->tables[t].flag[cell_at(&x->tables[t], r, c)];
}

cv_status cv_sdc_set_flag(cv_sdc_export *x, size_t t, size_t r, size_t c, cv_sdc_flag f,
			  cv_err *err)
{
	if (!cell_exists(x, t, r, c))
		return cv_err_set(err, CV_EUSAGE, "no such cell (%zu, %zu) in table %zu", r, c, t);
	if (f != CV_SDC_PUBLISHED && f != CV_SDC_PRIMARY && f != CV_SDC_SECONDARY)
		return cv_err_set(err, CV_EUSAGE,
				  "a single cell is published or suppressed; a whole table is "
				  "withheld by cv_sdc_protect");
	x->tables[t].flag[cell_at(&x->tables[t], r, c)] = (unsigned char)f;
	return CV_OK;
}

/* ---- the model: classes of equal cells and the relations between them ---- */

struct term {
	size_t cls;
	int coef; /* +1 for a summed cell, -1 for the total (merged when linked) */
};

struct rel {
	cv_sdc_relation ref;
	size_t off, len; /* into model.terms */
	int order;	 /* the terms sum to at most 0, not to 0 */
};

struct model {
	size_t ncells;	/* over all tables */
	size_t *base;	/* per table: its first global cell */
	size_t *cls_of; /* per global cell: its class, NONE in a withheld table */
	size_t ncls;
	int64_t *val;	    /* per class */
	int64_t *lo;	    /* per class: its own lower bound (cv_sdc_set_lower) */
	unsigned char *sup; /* per class: a cv_sdc_flag, PUBLISHED when known */
	size_t (*rep)[3];   /* per class: a cell (table, row, col) for messages */
	struct rel *rels;
	size_t nrel;
	struct term *terms;
	size_t nterms;
	size_t *cr_off; /* class -> relations, compressed rows */
	size_t *cr_rel;
};

struct cbound {
	double lo, hi, ilo, ihi;
	int exposed;
};

static void model_free(struct model *m)
{
	free(m->base);
	free(m->cls_of);
	if (m->val)
		sodium_memzero(m->val, m->ncls * sizeof(*m->val));
	free(m->val);
	free(m->lo);
	free(m->sup);
	free(m->rep);
	free(m->rels);
	free(m->terms);
	free(m->cr_off);
	free(m->cr_rel);
	memset(m, 0, sizeof(*m));
}

static size_t uf_find(size_t *parent, size_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

static int term_cmp(const void *a, const void *b)
{
	const struct term *x = a, *y = b;

	return x->cls < y->cls ? -1 : x->cls > y->cls;
}

/* Closes the relation whose n terms were written at the end of m->terms:
 * merges repeated classes and drops those that cancel. */
static void close_rel(struct model *m, size_t t, cv_sdc_rel_kind kind, size_t index, size_t n,
		      int order)
{
	struct rel *r = &m->rels[m->nrel];
	struct term *tm = &m->terms[m->nterms];
	size_t len = 0;

	qsort(tm, n, sizeof(*tm), term_cmp);
	for (size_t i = 0; i < n; i++) {
		if (len && tm[len - 1].cls == tm[i].cls)
			tm[len - 1].coef += tm[i].coef;
		else
			tm[len++] = tm[i];
		if (tm[len - 1].coef == 0)
			len--;
	}
	if (len == 0)
		return;
	r->ref = (cv_sdc_relation){t, kind, index};
	r->off = m->nterms;
	r->len = len;
	r->order = order;
	m->nterms += len;
	m->nrel++;
}

/* Appends a relation from the cells of table t listed in cells (the last is
 * the total). */
static void add_rel(struct model *m, size_t t, cv_sdc_rel_kind kind, size_t index,
		    const size_t *cells, size_t n)
{
	struct term *tm = &m->terms[m->nterms];

	for (size_t i = 0; i < n; i++) {
		tm[i].cls = m->cls_of[m->base[t] + cells[i]];
		tm[i].coef = i + 1 == n ? -1 : 1;
	}
	close_rel(m, t, kind, index, n, 0);
}

/* Appends order relation o (number i) unless it names a withheld table. */
static void add_order_rel(struct model *m, const cv_sdc_export *x, size_t i)
{
	const cv_sdc_order *o = &x->orders[i];
	struct term *tm = &m->terms[m->nterms];

	for (size_t j = 0; j < o->nterms; j++)
		if (x->tables[o->terms[j].table].withheld)
			return;
	for (size_t j = 0; j < o->nterms; j++) {
		const cv_sdc_term *q = &o->terms[j];

		tm[j].cls =
		    m->cls_of[m->base[q->table] + cell_at(&x->tables[q->table], q->row, q->col)];
		tm[j].coef = q->coef;
	}
	close_rel(m, o->terms[0].table, CV_SDC_REL_ORDER, i, o->nterms, 1);
}

static void table_rels(struct model *m, const cv_sdc_table *t, size_t ti, size_t *cells)
{
	size_t R = t->nrows, C = t->ncols, n;

	if (!R) {
		for (size_t j = 0; j <= C; j++)
			cells[j] = cell_at(t, 0, j);
		add_rel(m, ti, CV_SDC_REL_ONEWAY, 0, cells, C + 1);
		return;
	}
	for (size_t i = 0; i < R; i++) {
		for (size_t j = 0; j <= C; j++)
			cells[j] = cell_at(t, i, j);
		add_rel(m, ti, CV_SDC_REL_ROW, i, cells, C + 1);
	}
	for (size_t j = 0; j < C; j++) {
		for (size_t i = 0; i <= R; i++)
			cells[i] = cell_at(t, i, j);
		add_rel(m, ti, CV_SDC_REL_COL, j, cells, R + 1);
	}
	for (n = 0; n <= R; n++)
		cells[n] = cell_at(t, n, C);
	add_rel(m, ti, CV_SDC_REL_ROW_TOTALS, 0, cells, R + 1);
	for (n = 0; n <= C; n++)
		cells[n] = cell_at(t, R, n);
	add_rel(m, ti, CV_SDC_REL_COL_TOTALS, 0, cells, C + 1);
}

/*
 * Builds the model of the published tables of x.  A class is suppressed
 * only when none of its cells is published: a number printed anywhere in
 * the export is known.
 */
static cv_status model_build(const cv_sdc_export *x, struct model *m, cv_err *err)
{
	size_t *parent = NULL, *cells = NULL, *fill = NULL, maxterms = 0, maxrels = 0, maxdim = 0;
	cv_status st = CV_ERROR;

	memset(m, 0, sizeof(*m));
	m->base = calloc(x->ntables + 1, sizeof(*m->base));
	if (!m->base)
		goto out;
	for (size_t t = 0; t < x->ntables; t++) {
		const cv_sdc_table *tb = &x->tables[t];

		m->base[t] = m->ncells;
		m->ncells += cell_count(tb);
		maxrels += tb->nrows ? tb->nrows + tb->ncols + 2 : 1;
		maxterms += tb->nrows ? 3 * cell_count(tb) : cell_count(tb);
		maxdim = tb->nrows > maxdim ? tb->nrows : maxdim;
		maxdim = tb->ncols > maxdim ? tb->ncols : maxdim;
	}
	maxrels += x->norders;
	for (size_t i = 0; i < x->norders; i++)
		maxterms += x->orders[i].nterms;
	m->base[x->ntables] = m->ncells;
	parent = malloc((m->ncells ? m->ncells : 1) * sizeof(*parent));
	m->cls_of = malloc((m->ncells ? m->ncells : 1) * sizeof(*m->cls_of));
	cells = malloc((maxdim + 1) * sizeof(*cells));
	if (!parent || !m->cls_of || !cells)
		goto out;
	for (size_t i = 0; i < m->ncells; i++)
		parent[i] = i;
	for (size_t l = 0; l < x->nlinks; l++) {
		const cv_sdc_link *k = &x->links[l];
		size_t a, b;

		if (x->tables[k->ta].withheld || x->tables[k->tb].withheld)
			continue;
		a = uf_find(parent, m->base[k->ta] + cell_at(&x->tables[k->ta], k->ra, k->ca));
		b = uf_find(parent, m->base[k->tb] + cell_at(&x->tables[k->tb], k->rb, k->cb));
		if (a != b)
			parent[a > b ? a : b] = a < b ? a : b;
	}
	/* Number the classes in cell order; the root is the smallest cell. */
	for (size_t i = 0; i < m->ncells; i++)
		m->cls_of[i] = NONE;
	for (size_t t = 0; t < x->ntables; t++) {
		if (x->tables[t].withheld)
			continue;
		for (size_t i = m->base[t]; i < m->base[t + 1]; i++) {
			size_t root = uf_find(parent, i);

			if (root == i)
				m->cls_of[i] = m->ncls++;
		}
	}
	m->val = calloc(m->ncls ? m->ncls : 1, sizeof(*m->val));
	m->lo = calloc(m->ncls ? m->ncls : 1, sizeof(*m->lo));
	m->sup = malloc(m->ncls ? m->ncls : 1);
	m->rep = calloc(m->ncls ? m->ncls : 1, sizeof(*m->rep));
	m->rels = calloc(maxrels ? maxrels : 1, sizeof(*m->rels));
	m->terms = calloc(maxterms ? maxterms : 1, sizeof(*m->terms));
	if (!m->val || !m->lo || !m->sup || !m->rep || !m->rels || !m->terms)
		goto out;
	memset(m->sup, CV_SDC_PRIMARY, m->ncls);
	for (size_t t = 0; t < x->ntables; t++) {
		const cv_sdc_table *tb = &x->tables[t];

		if (tb->withheld)
			continue;
		for (size_t i = m->base[t]; i < m->base[t + 1]; i++) {
			size_t local = i - m->base[t], cls;

			cls = m->cls_of[i] = m->cls_of[uf_find(parent, i)];
			if (uf_find(parent, i) == i) {
				m->val[cls] = tb->count[local];
				m->rep[cls][0] = t;
				m->rep[cls][1] = local / (tb->ncols + 1);
				m->rep[cls][2] = local % (tb->ncols + 1);
			}
			if (tb->lower && tb->lower[local] > m->lo[cls])
				m->lo[cls] = tb->lower[local];
			if (tb->flag[local] == CV_SDC_PUBLISHED)
				m->sup[cls] = CV_SDC_PUBLISHED;
			else if (tb->flag[local] == CV_SDC_SECONDARY &&
				 m->sup[cls] == CV_SDC_PRIMARY)
				m->sup[cls] = CV_SDC_SECONDARY;
		}
	}
	for (size_t t = 0; t < x->ntables; t++)
		if (!x->tables[t].withheld)
			table_rels(m, &x->tables[t], t, cells);
	for (size_t i = 0; i < x->norders; i++)
		add_order_rel(m, x, i);
	/* class -> relations */
	m->cr_off = calloc(m->ncls + 1, sizeof(*m->cr_off));
	m->cr_rel = malloc((m->nterms ? m->nterms : 1) * sizeof(*m->cr_rel));
	if (!m->cr_off || !m->cr_rel)
		goto out;
	for (size_t i = 0; i < m->nterms; i++)
		m->cr_off[m->terms[i].cls + 1]++;
	for (size_t c = 0; c < m->ncls; c++)
		m->cr_off[c + 1] += m->cr_off[c];
	fill = calloc(m->ncls ? m->ncls : 1, sizeof(*fill));
	if (!fill)
		goto out;
	for (size_t r = 0; r < m->nrel; r++)
		for (size_t i = 0; i < m->rels[r].len; i++) {
			size_t c = m->terms[m->rels[r].off + i].cls;

			m->cr_rel[m->cr_off[c] + fill[c]++] = r;
		}
	st = CV_OK;
out:
	if (st != CV_OK)
		cv_err_set(err, CV_ERROR, "out of memory");
	free(parent);
	free(cells);
	free(fill);
	if (st != CV_OK)
		model_free(m);
	return st;
}

/* ---- naming cells and relations in messages ---- */

static const char *row_name(const cv_sdc_table *t, size_t r)
{
	return r < t->nrows ? t->row_labels[r] : "total";
}

static const char *col_name(const cv_sdc_table *t, size_t c)
{
	return c < t->ncols ? t->col_labels[c] : "total";
}

static cv_status deny_cell(const cv_sdc_export *x, const struct model *m, size_t cls, cv_err *err)
{
	const cv_sdc_table *t = &x->tables[m->rep[cls][0]];

	if (!t->nrows)
		return cv_fail(err, CV_EDENIED, "stats.unsafe",
			       "export refused: cell '{1}' of table '{2}' cannot be hidden so that "
			       "it is safe; publish fewer or coarser tables",
			       col_name(t, m->rep[cls][2]), t->name);
	return cv_fail(err, CV_EDENIED, "stats.unsafe",
		       "export refused: cell '{1}'/'{2}' of table '{3}' cannot be hidden so that "
		       "it is safe; publish fewer or coarser tables",
		       row_name(t, m->rep[cls][1]), col_name(t, m->rep[cls][2]), t->name);
}

static cv_status deny_rel(const cv_sdc_export *x, const struct rel *r, cv_err *err)
{
	const cv_sdc_table *t = &x->tables[r->ref.table];
	const char *what = "";

	switch (r->ref.kind) {
	case CV_SDC_REL_ROW:
		what = row_name(t, r->ref.index);
		break;
	case CV_SDC_REL_COL:
		what = col_name(t, r->ref.index);
		break;
	case CV_SDC_REL_ROW_TOTALS:
		what = "row totals";
		break;
	case CV_SDC_REL_COL_TOTALS:
		what = "column totals";
		break;
	case CV_SDC_REL_ONEWAY:
		what = "total";
		break;
	case CV_SDC_REL_ORDER:
		what = "order";
		break;
	}
	return cv_fail(err, CV_EDENIED, "stats.unsafe",
		       "export refused: the sum '{1}' of table '{2}' would let one student learn a "
		       "hidden cell and no cell is left to hide; publish fewer or coarser tables",
		       what, t->name);
}

/* ---- the audit ---- */

/* LP values of integral problems come back within rounding of an integer. */
static double snap(double v)
{
	double r = nearbyint(v);

	return fabs(v - r) <= 1e-6 + 1e-9 * fabs(v) ? r : v;
}

static int all_integral(lprec *lp, int nvar)
{
	REAL *v;

	if (!get_ptr_variables(lp, &v))
		return 0;
	for (int j = 0; j < nvar; j++)
		if (snap(v[j]) != nearbyint(v[j]))
			return 0;
	return 1;
}

/*
 * Minimises or maximises column col.  *lpv receives the LP optimum, *intv
 * the integer optimum: the LP one when its vertex is integral (always so
 * for a single table), else by branch and bound.
 */
static cv_status solve_bound(lprec *lp, int col, int nvar, int maximize, double *lpv, double *intv,
			     cv_err *err)
{
	REAL one = 1.0;
	int ret;

	if (!set_obj_fnex(lp, 1, &one, &col))
		return cv_err_set(err, CV_ERROR, "the audit's linear program could not be set up");
	if (maximize)
		set_maxim(lp);
	else
		set_minim(lp);
	ret = solve(lp);
	if (ret == UNBOUNDED && maximize) {
		*lpv = *intv = INFINITY;
		return CV_OK;
	}
	if (ret != OPTIMAL && ret != PRESOLVED)
		return cv_err_set(err, CV_ERROR,
				  "the audit's linear program failed (lp_solve status %d)", ret);
	*lpv = snap(get_objective(lp));
	if (all_integral(lp, nvar)) {
		*intv = nearbyint(*lpv);
		return CV_OK;
	}
	for (int j = 1; j <= nvar; j++)
		set_int(lp, j, TRUE);
	ret = solve(lp);
	for (int j = 1; j <= nvar; j++)
		set_int(lp, j, FALSE);
	if (ret != OPTIMAL && ret != PRESOLVED)
		return cv_err_set(err, CV_ERROR,
				  "the audit's integer program failed (lp_solve status %d)", ret);
	*intv = nearbyint(get_objective(lp));
	return CV_OK;
}

static int64_t rel_known(const struct model *m, const struct rel *r, size_t *nsup)
{
	int64_t known = 0;

	*nsup = 0;
	for (size_t i = 0; i < r->len; i++) {
		const struct term *tm = &m->terms[r->off + i];

		if (m->sup[tm->cls])
			(*nsup)++;
		else
			known += tm->coef * m->val[tm->cls];
	}
	return known;
}

static int could_be_one(const struct cbound *b)
{
	return b->ilo <= 1.0 && b->ihi >= 1.0;
}

/*
 * The singleton rule for relation r: two suppressed cells, one of which
 * could be 1, let that one student learn the other; unless the relation
 * only says that the two are the same number.
 */
static int rel_singleton(const struct model *m, const struct rel *r, const struct cbound *b)
{
	const struct term *pair[2];
	size_t n = 0;
	int64_t known = 0;

	for (size_t i = 0; i < r->len; i++) {
		const struct term *tm = &m->terms[r->off + i];

		if (!m->sup[tm->cls]) {
			known += tm->coef * m->val[tm->cls];
			continue;
		}
		if (n == 2)
			return 0;
		pair[n++] = tm;
	}
	if (n != 2 || r->order)
		return 0;
	if (known == 0 && pair[0]->coef == -pair[1]->coef)
		return 0;
	return could_be_one(&b[pair[0]->cls]) || could_be_one(&b[pair[1]->cls]);
}

static void log_nothing(lprec *lp, void *handle, char *buf)
{
	(void)lp;
	(void)handle;
	(void)buf;
}

/*
 * Bounds every suppressed class of m (b[] indexed by class; published
 * classes get their value) and marks in bad[] the relations breaking the
 * singleton rule.  *nfind receives the number of exposed classes plus bad
 * relations.
 */
static cv_status model_audit(const struct model *m, int64_t lower, struct cbound *b,
			     unsigned char *bad, size_t *nfind, cv_err *err)
{
	lprec *lp = NULL;
	int *col = NULL, *colno = NULL, nvar = 0;
	REAL *row = NULL;
	size_t maxlen = 1;
	cv_status st = CV_ERROR;

	*nfind = 0;
	col = calloc(m->ncls ? m->ncls : 1, sizeof(*col));
	for (size_t r = 0; r < m->nrel; r++)
		maxlen = m->rels[r].len > maxlen ? m->rels[r].len : maxlen;
	row = malloc(maxlen * sizeof(*row));
	colno = malloc(maxlen * sizeof(*colno));
	if (!col || !row || !colno) {
		cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	for (size_t c = 0; c < m->ncls; c++) {
		double v = (double)m->val[c];

		b[c] = (struct cbound){v, v, v, v, 0};
		if (m->sup[c])
			col[c] = ++nvar;
	}
	if (nvar > 0) {
		lp = make_lp(0, nvar);
		if (!lp) {
			cv_err_set(err, CV_ERROR, "out of memory");
			goto out;
		}
		set_verbose(lp, NEUTRAL);
		put_logfunc(lp, log_nothing, NULL);
		set_add_rowmode(lp, TRUE);
		for (size_t r = 0; r < m->nrel; r++) {
			const struct rel *rl = &m->rels[r];
			size_t nsup;
			int64_t known = rel_known(m, rl, &nsup);
			int cnt = 0;

			if (nsup == 0)
				continue;
			for (size_t i = 0; i < rl->len; i++) {
				const struct term *tm = &m->terms[rl->off + i];

				if (!m->sup[tm->cls])
					continue;
				row[cnt] = tm->coef;
				colno[cnt++] = col[tm->cls];
			}
			if (!add_constraintex(lp, cnt, row, colno, rl->order ? LE : EQ,
					      (REAL)-known)) {
				cv_err_set(err, CV_ERROR, "out of memory");
				goto out;
			}
		}
		set_add_rowmode(lp, FALSE);
		for (size_t c = 0; c < m->ncls; c++) {
			if (!col[c])
				continue;
			set_lowbo(lp, col[c], (REAL)(m->lo[c] > lower ? m->lo[c] : lower));
			set_upbo(lp, col[c], get_infinite(lp));
		}
		for (size_t c = 0; c < m->ncls; c++) {
			if (!col[c])
				continue;
			if (solve_bound(lp, col[c], nvar, 0, &b[c].lo, &b[c].ilo, err) != CV_OK ||
			    solve_bound(lp, col[c], nvar, 1, &b[c].hi, &b[c].ihi, err) != CV_OK)
				goto out;
			b[c].exposed = b[c].ihi - b[c].ilo < 0.5;
			*nfind += (size_t)b[c].exposed;
		}
	}
	for (size_t r = 0; r < m->nrel; r++) {
		bad[r] = (unsigned char)rel_singleton(m, &m->rels[r], b);
		*nfind += bad[r];
	}
	st = CV_OK;
out:
	if (lp)
		delete_lp(lp);
	free(col);
	free(row);
	free(colno);
	return st;
}

/* Checks lower and that every suppressed class can satisfy it. */
static cv_status check_lower(const cv_sdc_export *x, const struct model *m, int64_t lower,
			     cv_err *err)
{
	if (lower < 0)
		return cv_err_set(err, CV_EUSAGE, "the audit's lower bound %lld is negative",
				  (long long)lower);
	for (size_t c = 0; c < m->ncls; c++)
		if (m->sup[c] && (m->val[c] < lower || m->val[c] < m->lo[c]))
			return cv_err_set(err, CV_EUSAGE,
					  "a suppressed cell of table '%s' holds %lld, below the "
					  "audit's lower bound %lld (zeros are published)",
					  x->tables[m->rep[c][0]].name, (long long)m->val[c],
					  (long long)lower);
	return CV_OK;
}

void cv_sdc_report_free(cv_sdc_report *r)
{
	if (!r)
		return;
	free(r->cells);
	free(r->singletons);
	memset(r, 0, sizeof(*r));
}

cv_status cv_sdc_audit(const cv_sdc_export *x, int64_t lower, cv_sdc_report *out, cv_err *err)
{
	struct model m;
	struct cbound *b = NULL;
	unsigned char *bad = NULL;
	size_t nfind, nsup = 0, nbad = 0;
	cv_status st;

	memset(out, 0, sizeof(*out));
	st = model_build(x, &m, err);
	if (st != CV_OK)
		return st;
	st = check_lower(x, &m, lower, err);
	if (st != CV_OK)
		goto out;
	b = calloc(m.ncls ? m.ncls : 1, sizeof(*b));
	bad = calloc(m.nrel ? m.nrel : 1, 1);
	if (!b || !bad) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	st = model_audit(&m, lower, b, bad, &nfind, err);
	if (st != CV_OK)
		goto out;
	for (size_t t = 0; t < x->ntables; t++)
		for (size_t i = 0; !x->tables[t].withheld && i < cell_count(&x->tables[t]); i++)
			nsup += x->tables[t].flag[i] != CV_SDC_PUBLISHED;
	for (size_t r = 0; r < m.nrel; r++)
		nbad += bad[r];
	out->cells = calloc(nsup ? nsup : 1, sizeof(*out->cells));
	out->singletons = calloc(nbad ? nbad : 1, sizeof(*out->singletons));
	if (!out->cells || !out->singletons) {
		cv_sdc_report_free(out);
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	for (size_t t = 0; t < x->ntables; t++) {
		const cv_sdc_table *tb = &x->tables[t];

		for (size_t i = 0; !tb->withheld && i < cell_count(tb); i++) {
			const struct cbound *cb = &b[m.cls_of[m.base[t] + i]];
			cv_sdc_bounds *o;

			if (tb->flag[i] == CV_SDC_PUBLISHED)
				continue;
			o = &out->cells[out->ncells++];
			o->table = t;
			o->row = i / (tb->ncols + 1);
			o->col = i % (tb->ncols + 1);
			o->value = tb->count[i];
			o->lo = cb->lo;
			o->hi = cb->hi;
			o->ilo = cb->ilo;
			o->ihi = cb->ihi;
			/* a copy published elsewhere gives this one away */
			o->exposed = cb->exposed || !m.sup[m.cls_of[m.base[t] + i]];
			out->nexposed += (size_t)o->exposed;
		}
	}
	for (size_t r = 0; r < m.nrel; r++)
		if (bad[r])
			out->singletons[out->nsingletons++] = m.rels[r].ref;
out:
	free(b);
	free(bad);
	model_free(&m);
	return st;
}

/* ---- protection ---- */

static size_t rel_nsup(const struct model *m, size_t r)
{
	size_t n;

	rel_known(m, &m->rels[r], &n);
	return n;
}

/* The smallest published non-zero value in relation r other than class c,
 * or 0: what one more suppression there would cost at least. */
static int64_t rel_cheapest(const struct model *m, size_t r, size_t c)
{
	const struct rel *rl = &m->rels[r];
	int64_t best = 0;

	for (size_t i = 0; i < rl->len; i++) {
		size_t o = m->terms[rl->off + i].cls;

		if (o != c && !m->sup[o] && m->val[o] > 0 && (best == 0 || m->val[o] < best))
			best = m->val[o];
	}
	return best;
}

/*
 * The cost of suppressing class c to complete relation r: its value (small
 * cells carry least information), plus a look one step ahead at its other
 * relations, priced at their cheapest remaining cell.  A relation with no
 * suppression that gets one will need two more (one so that it is not its
 * own difference, one for the singleton rule): twice its cheapest.  One
 * with one or two moves towards the three it needs: less its cheapest.
 */
static int64_t cost(const struct model *m, size_t c, size_t r)
{
	int64_t v = m->val[c];

	for (size_t i = m->cr_off[c]; i < m->cr_off[c + 1]; i++) {
		size_t q = m->cr_rel[i], n;

		if (q == r || m->rels[q].order)
			continue;
		n = rel_nsup(m, q);
		if (n == 0)
			v += 2 * rel_cheapest(m, q, c);
		else if (n <= 2)
			v -= rel_cheapest(m, q, c);
	}
	return v;
}

/* Whether a (cost ca) is a better pick than b (cost cb): cost, then the
 * smaller value, then the class number for a deterministic choice. */
static int cheaper(const struct model *m, size_t a, int64_t ca, size_t b, int64_t cb)
{
	if (ca != cb)
		return ca < cb;
	if (m->val[a] != m->val[b])
		return m->val[a] < m->val[b];
	return a < b;
}

/* The cheapest published non-zero class of relation r, or *best when that
 * (of cost *best_cost) is cheaper; NONE when there is none. */
static size_t rel_candidate(const struct model *m, size_t r, size_t best, int64_t *best_cost)
{
	const struct rel *rl = &m->rels[r];

	for (size_t i = 0; i < rl->len; i++) {
		size_t c = m->terms[rl->off + i].cls;
		int64_t cc;

		if (m->sup[c] || m->val[c] == 0)
			continue;
		cc = cost(m, c, r);
		if (best == NONE || cheaper(m, c, cc, best, *best_cost)) {
			best = c;
			*best_cost = cc;
		}
	}
	return best;
}

/*
 * A class to suppress for exposed class e: the cheapest in the relations
 * holding e; when they have none, the relations one step further through
 * suppressed classes, and so on.  NONE when nothing is left.
 */
static size_t exposed_candidate(const struct model *m, size_t e, unsigned char *seen, size_t *queue)
{
	size_t head = 0, tail = 0, level_end, best = NONE;
	int64_t best_cost = 0;

	memset(seen, 0, m->nrel);
	for (size_t i = m->cr_off[e]; i < m->cr_off[e + 1]; i++)
		if (!seen[m->cr_rel[i]]) {
			seen[m->cr_rel[i]] = 1;
			queue[tail++] = m->cr_rel[i];
		}
	while (head < tail) {
		level_end = tail;
		for (; head < level_end; head++)
			best = rel_candidate(m, queue[head], best, &best_cost);
		if (best != NONE)
			return best;
		for (size_t q = 0; q < level_end; q++) {
			const struct rel *rl = &m->rels[queue[q]];

			for (size_t i = 0; i < rl->len; i++) {
				size_t c = m->terms[rl->off + i].cls;

				if (!m->sup[c])
					continue;
				for (size_t k = m->cr_off[c]; k < m->cr_off[c + 1]; k++)
					if (!seen[m->cr_rel[k]]) {
						seen[m->cr_rel[k]] = 1;
						queue[tail++] = m->cr_rel[k];
					}
			}
		}
	}
	return NONE;
}

/* Suppresses class c and marks its relations as changed in this round. */
static void suppress(struct model *m, size_t c, unsigned char *touched)
{
	m->sup[c] = CV_SDC_SECONDARY;
	for (size_t i = m->cr_off[c]; i < m->cr_off[c + 1]; i++)
		touched[m->cr_rel[i]] = 1;
}

/* No relation may hold a single suppressed cell: it would be its difference. */
static cv_status close_singles(const cv_sdc_export *x, struct model *m, unsigned char *touched,
			       cv_err *err)
{
	int changed = 1;

	while (changed) {
		changed = 0;
		for (size_t r = 0; r < m->nrel; r++) {
			size_t c;
			int64_t cc;

			if (m->rels[r].order || rel_nsup(m, r) != 1)
				continue;
			c = rel_candidate(m, r, NONE, &cc);
			if (c == NONE)
				return deny_rel(x, &m->rels[r], err);
			suppress(m, c, touched);
			changed = 1;
		}
	}
	return CV_OK;
}

struct ranked {
	int64_t val;
	size_t cls;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->val != y->val)
		return x->val > y->val ? -1 : 1;
	return x->cls < y->cls ? -1 : x->cls > y->cls;
}

/*
 * Gives back the secondary cells that the audit turns out not to need,
 * largest first: the greedy search can hide a cell early that later ones
 * made redundant.  Each is tried alone and kept published only when the
 * whole audit still passes.
 */
static cv_status prune(struct model *m, struct cbound *b, unsigned char *bad, cv_err *err)
{
	struct ranked *order;
	size_t n = 0, nfind;
	cv_status st = CV_OK;

	order = calloc(m->ncls ? m->ncls : 1, sizeof(*order));
	if (!order)
		return cv_err_set(err, CV_ERROR, "out of memory");
	for (size_t c = 0; c < m->ncls; c++)
		if (m->sup[c] == CV_SDC_SECONDARY)
			order[n++] = (struct ranked){m->val[c], c};
	qsort(order, n, sizeof(*order), ranked_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t c = order[i].cls, k;

		m->sup[c] = CV_SDC_PUBLISHED;
		for (k = m->cr_off[c]; k < m->cr_off[c + 1]; k++)
			if (!m->rels[m->cr_rel[k]].order && rel_nsup(m, m->cr_rel[k]) == 1)
				break;
		if (k == m->cr_off[c + 1]) {
			st = model_audit(m, CV_SDC_LOWER_PRODUCT, b, bad, &nfind, err);
			if (st != CV_OK)
				break;
			if (nfind == 0)
				continue;
		}
		m->sup[c] = CV_SDC_SECONDARY;
	}
	free(order);
	return st;
}

cv_status cv_sdc_protect(cv_sdc_export *x, int k, cv_err *err)
{
	struct model m;
	struct cbound *b = NULL;
	unsigned char *bad = NULL, *touched = NULL, *seen = NULL;
	size_t *queue = NULL, nfind;
	cv_status st;

	if (k < CV_SDC_K_MIN)
		return cv_fail(
		    err, CV_EUSAGE, "stats.k",
		    "threshold k={1} is below the minimum {2}; cells under 3 are never published",
		    CV_NUM(k), CV_NUM(CV_SDC_K_MIN));
	for (size_t t = 0; t < x->ntables; t++) {
		cv_sdc_table *tb = &x->tables[t];
		size_t n = cell_count(tb);

		tb->withheld = tb->count[n - 1] < k;
		for (size_t i = 0; i < n; i++)
			tb->flag[i] = tb->withheld ? CV_SDC_WITHHELD
				      : is_fixed(tb, i) || (tb->count[i] > 0 && tb->count[i] < k)
					  ? CV_SDC_PRIMARY
					  : CV_SDC_PUBLISHED;
	}
	st = model_build(x, &m, err);
	if (st != CV_OK)
		return st;
	b = calloc(m.ncls ? m.ncls : 1, sizeof(*b));
	bad = calloc(m.nrel ? m.nrel : 1, 1);
	touched = calloc(m.nrel ? m.nrel : 1, 1);
	seen = calloc(m.nrel ? m.nrel : 1, 1);
	queue = calloc(m.nrel ? m.nrel : 1, sizeof(*queue));
	if (!b || !bad || !touched || !seen || !queue) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	for (;;) {
		size_t nadded = 0, stuck_cls = NONE, stuck_rel = NONE;

		st = close_singles(x, &m, touched, err);
		if (st != CV_OK)
			goto out;
		st = model_audit(&m, CV_SDC_LOWER_PRODUCT, b, bad, &nfind, err);
		if (st != CV_OK)
			goto out;
		if (nfind == 0)
			break;
		/*
		 * One suppression per finding, skipping findings beside a cell
		 * just added (the next audit tells whether it sufficed).  A
		 * finding with nothing left to suppress only refuses the export
		 * when this round could add nothing at all.
		 */
		memset(touched, 0, m.nrel);
		for (size_t c = 0; c < m.ncls; c++) {
			size_t pick, i;

			if (!m.sup[c] || !b[c].exposed)
				continue;
			for (i = m.cr_off[c]; i < m.cr_off[c + 1]; i++)
				if (touched[m.cr_rel[i]])
					break;
			if (i < m.cr_off[c + 1])
				continue;
			pick = exposed_candidate(&m, c, seen, queue);
			if (pick == NONE) {
				stuck_cls = stuck_cls == NONE ? c : stuck_cls;
				continue;
			}
			suppress(&m, pick, touched);
			nadded++;
		}
		for (size_t r = 0; r < m.nrel; r++) {
			size_t pick;
			int64_t cc;

			if (!bad[r] || touched[r])
				continue;
			pick = rel_candidate(&m, r, NONE, &cc);
			if (pick == NONE) {
				stuck_rel = stuck_rel == NONE ? r : stuck_rel;
				continue;
			}
			suppress(&m, pick, touched);
			nadded++;
		}
		if (nadded == 0) {
			st = stuck_cls != NONE ? deny_cell(x, &m, stuck_cls, err)
					       : deny_rel(x, &m.rels[stuck_rel], err);
			goto out;
		}
	}
	st = prune(&m, b, bad, err);
	if (st != CV_OK)
		goto out;
	for (size_t t = 0; t < x->ntables; t++) {
		cv_sdc_table *tb = &x->tables[t];

		for (size_t i = 0; !tb->withheld && i < cell_count(tb); i++)
			tb->flag[i] = m.sup[m.cls_of[m.base[t] + i]];
	}
out:
	free(b);
	free(bad);
	free(touched);
	free(seen);
	free(queue);
	model_free(&m);
	return st;
}

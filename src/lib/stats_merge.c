/*
 * stats_merge.c - commands layer: `stats merge`, a district table summed
 * from schools' published JSON exports of one period and one k.  It reads
 * only what was published (no vault, no key): every input is checked
 * against the export schema with a bound on every size, a cell hidden in
 * any school stays hidden, a table withheld in any school stays withheld,
 * and the sums pass the export's own protection (cv_sdc_protect) before
 * anything is written.  A folded table (the categories, whose columns
 * depend on each school's data) keeps the columns every school published
 * and sums the rest into its fold column.  Two passes: every input is
 * checked (and the folded tables' columns settled), then added.  One
 * export per source (vault).  docs/STATISTICS.md says what a merge
 * guarantees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "dlap.h"
#include "err.h"
#include "sdc.h"
#include "stats.h"
#include "text.h"
#include "banned.h"

#define CODE_MERGE "stats.merge"

#define MERGE_TABLES_MAX CV_STATS_TABLES_MAX /* tables in one export */
#define MERGE_CELLS_MAX 65536		     /* cells of one table, margins included */
#define MERGE_LABEL_MAX 128		     /* bytes of a table name or a label */
#define HASH_HEX_LEN (CV_DIGEST_LEN * 2)
_Static_assert(MERGE_TABLES_MAX == 16, "the phrase of a bad list of tables says 1..16");

static const char label_all[] = "all";
static const char label_total[] = "total";

/* A label and its place, for finding labels by name (sorted by label). */
struct lab {
	const char *s;
	size_t i;
};

/* One table of the district: its layout (labels point into the first
 * input's document) and what the schools add up to.  A folded table
 * (its "folded_into" names the column that took the categories under k)
 * may have other columns in each school: the district keeps those that
 * every school published as their own and sums the rest into the fold
 * column, which comes last. */
struct mtable {
	const char *name;
	const char *population; /* tables of one population share their grand total */
	const char *fold;	/* the fold column's label; NULL: fixed labels */
	size_t nrows, ncols, ncells;
	const char **rows, **cols;
	const char **cols0; /* folded: the first input's columns */
	size_t ncols0;
	size_t *seen;	       /* folded: the inputs that have cols0[c] */
	struct lab *byname;    /* folded: the district's columns, sorted */
	int withheld;	       /* withheld in some school */
	int64_t *val;	       /* published sums; a hidden cell adds at least 1 */
	unsigned char *hidden; /* suppressed in some school */
};

struct merge {
	char from[CV_STATS_MONTH_LEN], to[CV_STATS_MONTH_LEN];
	int k;
	size_t ntables;
	struct mtable t[MERGE_TABLES_MAX];
	char (*sources)[HASH_HEX_LEN + 1]; /* each input's source (its vault, hashed) */
	uint32_t *eps;
	int sum; /* 0: the first pass checks every input; 1: the second adds them */
	/* Scratch for one input's table: its counts, hidden cells, column
	 * labels (sorted, for a folded table) and where each column goes. */
	int64_t *v;
	unsigned char *h;
	struct lab *lab;
	const char **own;
	size_t *dest;
};

static void merge_free(struct merge *m)
{
	for (size_t i = 0; i < m->ntables; i++) {
		free(m->t[i].rows);
		free(m->t[i].cols);
		free(m->t[i].cols0);
		free(m->t[i].seen);
		free(m->t[i].byname);
		free(m->t[i].val);
		free(m->t[i].hidden);
	}
	free(m->sources);
	free(m->v);
	free(m->h);
	free(m->lab);
	free(m->own);
	free(m->dest);
}

/* Whether s is HASH_HEX_LEN lowercase hexadecimal digits. */
static int hex64(const char *s)
{
	return s && strlen(s) == HASH_HEX_LEN && strspn(s, "0123456789abcdef") == HASH_HEX_LEN;
}

/* "'FILE' is not a statistics export: WHAT". */
static cv_status not_export(cv_err *err, const char *name, const char *what)
{
	return cv_fail(err, CV_EUSAGE, CODE_MERGE,
		       "'{1}' is not a statistics export: {2}; give files written by "
		       "'casevault stats export --format json'",
		       name, what);
}

/* "'FILE' does not match 'FIRST': WHAT". */
static cv_status differs(cv_err *err, const char *name, const char *first, const char *what)
{
	return cv_fail(err, CV_EUSAGE, CODE_MERGE,
		       "'{1}' does not match '{2}': {3}; merge only exports of the same "
		       "period, k and tables",
		       name, first, what);
}

/* The string of o, or NULL unless it is a single-line field of
 * 1..MERGE_LABEL_MAX bytes (no NUL, no control, bidi or invisible
 * character): labels are written to the output, which may be a terminal. */
static const char *label_of(const json_t *o)
{
	const char *s = json_string_value(o);
	cv_err scratch = {0};

	if (!s || strlen(s) != json_string_length(o) ||
	    cv_field_check("label", s, MERGE_LABEL_MAX, &scratch) != CV_OK)
		return NULL;
	return s;
}

/* A count: an integer in 0..CV_SDC_MAX_COUNT; -1 when o is not one. */
static int64_t count_of(const json_t *o)
{
	json_int_t v;

	if (!json_is_integer(o))
		return -1;
	v = json_integer_value(o);
	return v < 0 || v > CV_SDC_MAX_COUNT ? -1 : (int64_t)v;
}

/* The phrases about a table's labels, row labels first: whole phrases, so
 * that the CLI finds each in the catalog. */
_Static_assert(CV_SDC_MAX_DIM == 1000, "the phrases below say 1..1000 labels");
static const char *const labels_not_list[2] = {
    CV_PHRASE("its row labels are not a list of 1..1000 labels"),
    CV_PHRASE("its column labels are not a list of 1..1000 labels")};
static const char *const labels_differ[2] = {CV_PHRASE("its row labels differ"),
					     CV_PHRASE("its column labels differ")};
static const char *const labels_bad[2] = {
    CV_PHRASE("its row labels hold something that is not a label"),
    CV_PHRASE("its column labels hold something that is not a label")};

/* Checks the labels array a (1..CV_SDC_MAX_DIM labels; cols: column
 * labels, else row labels) and, for the first input, keeps them in *keep
 * (n in *n); for the others, compares. */
static cv_status labels(const json_t *a, int cols, const char ***keep, size_t *n, int first,
			const char *name, const char *name0, cv_err *err)
{
	size_t len = json_array_size(a);

	if (!json_is_array(a) || len == 0 || len > CV_SDC_MAX_DIM)
		return not_export(err, name, labels_not_list[cols]);
	if (first) {
		*keep = calloc(len, sizeof(**keep));
		if (!*keep)
			return cv_err_set(err, CV_ERROR, "out of memory");
		*n = len;
	} else if (len != *n) {
		return differs(err, name, name0, labels_differ[cols]);
	}
	for (size_t i = 0; i < len; i++) {
		const char *s = label_of(json_array_get(a, i));

		if (!s)
			return not_export(err, name, labels_bad[cols]);
		if (first)
			(*keep)[i] = s;
		else if (strcmp(s, (*keep)[i]) != 0)
			return differs(err, name, name0, labels_differ[cols]);
	}
	return CV_OK;
}

/* Orders labels by their bytes. */
static int lab_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lab *)a)->s, ((const struct lab *)b)->s);
}

/* Whether s is among the n labels l (sorted); its place in *at (may be
 * NULL). */
static int lab_find(const struct lab *l, size_t n, const char *s, size_t *at)
{
	const struct lab key = {s, 0};
	const struct lab *f = n ? bsearch(&key, l, n, sizeof(*l), lab_cmp) : NULL;

	if (f && at)
		*at = f->i;
	return f != NULL;
}

/* The column labels a of one input's folded table mt, into m->own (their
 * number in *n): 1..CV_SDC_MAX_DIM labels, none twice, the fold column
 * among them.  The first pass counts, for each of the first input's
 * columns, the inputs that have it; the second maps each column to the
 * district's (m->dest): its own, or the fold column. */
static cv_status own_columns(struct merge *m, struct mtable *mt, const json_t *a, size_t i,
			     size_t *n, const char *name, cv_err *err)
{
	size_t len = json_array_size(a);

	if (!json_is_array(a) || len == 0 || len > CV_SDC_MAX_DIM)
		return not_export(err, name, labels_not_list[1]);
	for (size_t c = 0; c < len; c++) {
		const char *s = label_of(json_array_get(a, c));

		if (!s)
			return not_export(err, name, labels_bad[1]);
		m->own[c] = s;
		m->lab[c] = (struct lab){s, c};
	}
	qsort(m->lab, len, sizeof(*m->lab), lab_cmp);
	for (size_t c = 1; c < len; c++)
		if (strcmp(m->lab[c - 1].s, m->lab[c].s) == 0)
			return not_export(err, name, CV_PHRASE("its column labels repeat a label"));
	if (!lab_find(m->lab, len, mt->fold, NULL))
		return not_export(
		    err, name,
		    CV_PHRASE("a table has no column of the label it folds small categories into"));
	*n = len;
	if (m->sum) {
		for (size_t c = 0; c < len; c++)
			if (!lab_find(mt->byname, mt->ncols, m->own[c], &m->dest[c]))
				m->dest[c] = mt->ncols - 1;
		return CV_OK;
	}
	if (i == 0) {
		mt->cols0 = calloc(len, sizeof(*mt->cols0));
		mt->seen = calloc(len, sizeof(*mt->seen));
		if (!mt->cols0 || !mt->seen)
			return cv_err_set(err, CV_ERROR, "out of memory");
		memcpy(mt->cols0, m->own, len * sizeof(*m->own));
		mt->ncols0 = len;
	}
	for (size_t c = 0; c < mt->ncols0; c++)
		mt->seen[c] += lab_find(m->lab, len, mt->cols0[c], NULL);
	return CV_OK;
}

/* The district's columns of the folded table mt, once every one of the n
 * inputs has been read: the first input's columns that every input has as
 * its own, in its order, then the fold column. */
static cv_status fold_layout(struct mtable *mt, size_t n, cv_err *err)
{
	size_t k = 0;

	mt->cols = calloc(mt->ncols0, sizeof(*mt->cols));
	mt->byname = calloc(mt->ncols0, sizeof(*mt->byname));
	if (!mt->cols || !mt->byname)
		return cv_err_set(err, CV_ERROR, "out of memory");
	for (size_t c = 0; c < mt->ncols0; c++)
		if (mt->seen[c] == n && strcmp(mt->cols0[c], mt->fold) != 0)
			mt->cols[k++] = mt->cols0[c];
	mt->cols[k++] = mt->fold;
	mt->ncols = k;
	for (size_t c = 0; c < k; c++)
		mt->byname[c] = (struct lab){mt->cols[c], c};
	qsort(mt->byname, k, sizeof(*mt->byname), lab_cmp);
	return CV_OK;
}

/* The sums of mt (its layout known): zero, nothing hidden. */
static cv_status alloc_sums(struct mtable *mt, cv_err *err)
{
	mt->ncells = (mt->nrows ? mt->nrows + 1 : 1) * (mt->ncols + 1);
	mt->val = calloc(mt->ncells, sizeof(*mt->val));
	mt->hidden = calloc(mt->ncells, 1);
	if (!mt->val || !mt->hidden)
		return cv_err_set(err, CV_ERROR, "out of memory");
	return CV_OK;
}

/* Whether the published cells v (h: hidden) of one input's table of R
 * rows (0: one-way) and C columns add up to its published margins
 * wherever a margin and all it totals are published. */
static int adds_up(size_t R, size_t C, const int64_t *v, const unsigned char *h)
{
	size_t W = C + 1;

	for (size_t r = 0; r < (R ? R : 1); r++) {
		int64_t sum = 0;
		int hid = h[r * W + C];

		for (size_t c = 0; c < C; c++) {
			sum += v[r * W + c];
			hid |= h[r * W + c];
		}
		if (!hid && sum != v[r * W + C])
			return 0;
	}
	for (size_t c = 0; R && c <= C; c++) {
		int64_t sum = 0;
		int hid = h[R * W + c];

		for (size_t r = 0; r < R; r++) {
			sum += v[r * W + c];
			hid |= h[r * W + c];
		}
		if (!hid && sum != v[R * W + c])
			return 0;
	}
	return 1;
}

/* Checks the cells (array cells) of one input's published table mt, whose
 * columns are the C labels cl, and in the second pass adds them to the
 * district: a column to its own or (a folded table) to the fold column
 * (m->dest), a margin to the margin.  A district cell is hidden when any
 * cell added to it is. */
static cv_status add_cells(struct merge *m, struct mtable *mt, const json_t *cells,
			   const char *const *cl, size_t C, const char *name, cv_err *err)
{
	size_t R = mt->nrows, W = C + 1, n = (R ? R + 1 : 1) * W, DW = mt->ncols + 1;
	int64_t *v = m->v;
	unsigned char *h = m->h;

	if (!json_is_array(cells) || json_array_size(cells) != n)
		return not_export(
		    err, name,
		    CV_PHRASE("a published table does not have one cell per row and column"));
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(cells, i), *count = json_object_get(c, "count"),
			     *sup = json_object_get(c, "suppressed");
		size_t r = i / W, col = i % W;
		const char *rl = !R ? label_all : r < R ? mt->rows[r] : label_total;
		const char *want = col < C ? cl[col] : label_total;
		const char *gr = json_string_value(json_object_get(c, "row"));
		const char *gc = json_string_value(json_object_get(c, "column"));

		if (!json_is_object(c) || !gr || !gc || strcmp(gr, rl) != 0 ||
		    strcmp(gc, want) != 0)
			return not_export(
			    err, name, CV_PHRASE("a cell is not where its table's labels put it"));
		if (!json_is_boolean(sup))
			return not_export(
			    err, name, CV_PHRASE("a cell does not say whether it is suppressed"));
		h[i] = json_is_true(sup);
		if (h[i] && !json_is_null(count))
			return not_export(err, name, CV_PHRASE("a suppressed cell has a count"));
		v[i] = h[i] ? 0 : count_of(count);
		if (v[i] < 0)
			return not_export(err, name,
					  CV_PHRASE("a count is not a whole number in range"));
	}
	if (!adds_up(R, C, v, h))
		return cv_fail(err, CV_EUSAGE, CODE_MERGE,
			       "'{1}': the published cells of table '{2}' do not add up to its "
			       "totals; the file was altered",
			       name, mt->name);
	if (!m->sum)
		return CV_OK;
	for (size_t i = 0; i < n; i++) {
		size_t r = i / W, col = i % W;
		size_t dc = col == C ? mt->ncols : mt->fold ? m->dest[col] : col;
		size_t d = r * DW + dc;

		mt->hidden[d] |= h[i];
		/* A hidden cell is at least 1: zeros are published; a folded
		 * table's own column (not the fold column) at least k. */
		mt->val[d] += !h[i] ? v[i]
			      : mt->fold && col < C && strcmp(cl[col], mt->fold) != 0
				  ? m->k
				  : CV_SDC_LOWER_PRODUCT;
		if (mt->val[d] > CV_SDC_MAX_COUNT)
			return cv_fail(err, CV_EUSAGE, CODE_MERGE,
				       "the sum of table '{1}' is too large to merge", mt->name);
	}
	return CV_OK;
}

/* Checks table t (o) of input i against the first input's and, in the
 * second pass, adds it.  The first input sets the table's name,
 * population, fold column and labels (a folded table's columns are
 * settled once every input has been read: fold_layout). */
static cv_status add_table(struct merge *m, size_t t, const json_t *o, size_t i, const char *name,
			   const char *name0, cv_err *err)
{
	struct mtable *mt = &m->t[t];
	const json_t *rows = json_object_get(o, "rows"), *pub = json_object_get(o, "published"),
		     *cells = json_object_get(o, "cells"),
		     *fold = json_object_get(o, "folded_into");
	const char *tname = label_of(json_object_get(o, "name"));
	const char *pop = label_of(json_object_get(o, "population"));
	const char *fl = label_of(fold);
	int first = i == 0 && !m->sum;
	size_t C = 0;
	cv_status st;

	if (!json_is_object(o) || !tname || !pop || !json_is_boolean(pub))
		return not_export(
		    err, name,
		    CV_PHRASE("a table lacks its name, its population or whether it is "
			      "published"));
	if (!json_is_null(fold) && !fl)
		return not_export(err, name,
				  CV_PHRASE("a table's folded_into is neither null nor a label"));
	if (first) {
		mt->name = tname;
		mt->population = pop;
		mt->fold = fl;
	} else if (strcmp(tname, mt->name) != 0 || strcmp(pop, mt->population) != 0) {
		return differs(err, name, name0,
			       CV_PHRASE("the tables differ in name, population or order"));
	} else if (!fl != !mt->fold || (fl && strcmp(fl, mt->fold) != 0)) {
		return differs(err, name, name0,
			       CV_PHRASE("a table's small categories are folded differently"));
	}
	if (!json_is_null(rows) && !json_is_array(rows))
		return not_export(err, name,
				  CV_PHRASE("a table's rows are neither null nor a list"));
	if (!first && json_is_null(rows) != !mt->nrows)
		return differs(err, name, name0,
			       CV_PHRASE("a table has rows in one and not in the other"));
	if (!json_is_null(rows)) {
		st = labels(rows, 0, &mt->rows, &mt->nrows, first, name, name0, err);
		if (st != CV_OK)
			return st;
	}
	if (mt->fold) {
		st = own_columns(m, mt, json_object_get(o, "columns"), i, &C, name, err);
	} else {
		st = labels(json_object_get(o, "columns"), 1, &mt->cols, &mt->ncols, first, name,
			    name0, err);
		C = mt->ncols;
	}
	if (st == CV_OK && (mt->nrows ? mt->nrows + 1 : 1) * (C + 1) > MERGE_CELLS_MAX)
		st = not_export(err, name, CV_PHRASE("a table has too many cells"));
	if (st == CV_OK && first && !mt->fold)
		st = alloc_sums(mt, err);
	if (st != CV_OK)
		return st;
	if (json_is_false(pub)) {
		if (!json_is_array(cells) || json_array_size(cells) != 0)
			return not_export(err, name, CV_PHRASE("a withheld table has cells"));
		mt->withheld = 1;
		return CV_OK;
	}
	return add_cells(m, mt, cells, mt->fold ? m->own : mt->cols, C, name, err);
}

/* Checks input i (doc, named names[i]) and, in the second pass, adds it
 * to m; the first input sets the period, k and the layout. */
static cv_status add_input(struct merge *m, size_t i, const json_t *doc, const char *const *names,
			   cv_err *err)
{
	const char *name = names[i], *name0 = names[0];
	const json_t *schema = json_object_get(doc, "schema"),
		     *ver = json_object_get(doc, "version"),
		     *period = json_object_get(doc, "period"), *k = json_object_get(doc, "k"),
		     *eps = json_object_get(doc, "epsilon"),
		     *tables = json_object_get(doc, "tables");
	const char *from = json_string_value(json_object_get(period, "from"));
	const char *to = json_string_value(json_object_get(period, "to"));
	const char *hash = json_string_value(json_object_get(doc, "cells_hash"));
	const char *source = json_string_value(json_object_get(doc, "source"));
	char a[CV_STATS_MONTH_LEN], b[CV_STATS_MONTH_LEN];
	cv_err scratch = {0};
	int64_t kv = count_of(k);
	size_t nt = json_array_size(tables);
	cv_status st;

	if (!json_is_object(doc))
		return not_export(err, name, CV_PHRASE("it is not a JSON object"));
	if (json_is_string(schema) && strcmp(json_string_value(schema), CV_STATS_MERGE_SCHEMA) == 0)
		return cv_fail(err, CV_EUSAGE, CODE_MERGE,
			       "'{1}' is already a merged table; merge the schools' own exports",
			       name);
	if (!json_is_string(schema) || strcmp(json_string_value(schema), CV_STATS_SCHEMA) != 0)
		return not_export(err, name, CV_PHRASE("its schema is not 'casevault-stats-1'"));
	if (!json_is_integer(ver) || json_integer_value(ver) != CV_STATS_SCHEMA_VERSION)
		return not_export(err, name,
				  CV_PHRASE("its schema version is not this casevault's"));
	if (!from || !to || strlen(from) != CV_STATS_MONTH_LEN - 1 ||
	    strlen(to) != CV_STATS_MONTH_LEN - 1 ||
	    cv_stats_period(NULL, from, to, a, b, &scratch) != CV_OK)
		return not_export(err, name, CV_PHRASE("its period is not two months YYYY-MM"));
	if (kv < CV_SDC_K_MIN)
		return not_export(err, name, CV_PHRASE("its k is not a whole number of 3 or more"));
	if (!json_is_null(eps) &&
	    !(json_is_string(eps) &&
	      cv_dlap_eps_parse(json_string_value(eps), &m->eps[i], &scratch) == CV_OK))
		return not_export(err, name, CV_PHRASE("its epsilon is not a decimal"));
	if (!hex64(hash))
		return not_export(err, name,
				  CV_PHRASE("its cells_hash is not 64 hexadecimal digits"));
	if (!hex64(source))
		return not_export(err, name, CV_PHRASE("its source is not 64 hexadecimal digits"));
	if (!json_is_array(tables) || nt == 0 || nt > MERGE_TABLES_MAX)
		return not_export(err, name,
				  CV_PHRASE("its tables are not a list of 1..16 tables"));
	/* One export per vault: the same release given twice, or two of one
	 * school, would count its cases twice.  Equal cells from two
	 * vaults are two schools. */
	for (size_t j = 0; j < i && !m->sum; j++)
		if (strcmp(m->sources[j], source) == 0)
			return cv_fail(err, CV_EUSAGE, CODE_MERGE,
				       "'{1}' comes from the same vault as '{2}': a school's "
				       "release is counted once; give each school's export once",
				       name, names[j]);
	memcpy(m->sources[i], source, HASH_HEX_LEN + 1);
	if (i == 0) {
		memcpy(m->from, a, sizeof(a));
		memcpy(m->to, b, sizeof(b));
		m->k = (int)kv;
	} else if (strcmp(a, m->from) != 0 || strcmp(b, m->to) != 0) {
		return differs(err, name, name0, CV_PHRASE("the periods differ"));
	} else if (kv != m->k) {
		return differs(err, name, name0, CV_PHRASE("the thresholds k differ"));
	} else if (nt != m->ntables) {
		return differs(err, name, name0, CV_PHRASE("the number of tables differs"));
	}
	for (size_t t = 0; t < nt; t++) {
		if (i == 0)
			m->ntables = t + 1;
		st = add_table(m, t, json_array_get(tables, t), i, name, name0, err);
		if (st != CV_OK)
			return st;
	}
	return CV_OK;
}

/* The number of table name in m, or m->ntables. */
static size_t table_named(const struct merge *m, const char *name)
{
	size_t t = 0;

	while (t < m->ntables && strcmp(m->t[t].name, name) != 0)
		t++;
	return t;
}

/*
 * The district's cases closed by the end of each month are at most those
 * opened by then, as in every school's: the same order relations as an
 * export (stats.c), when both tables are there with the same months
 * (closed_by_month has one column more: not closed in the period).
 */
static cv_status add_month_orders(const struct merge *m, cv_sdc_export *x, cv_err *err)
{
	size_t to = table_named(m, "opened_by_month"), tc = table_named(m, "closed_by_month"), n;
	cv_sdc_term *terms;
	cv_status st = CV_OK;

	if (to == m->ntables || tc == m->ntables || m->t[to].nrows || m->t[tc].nrows ||
	    m->t[tc].ncols != m->t[to].ncols + 1)
		return CV_OK;
	n = m->t[to].ncols;
	for (size_t i = 0; i < n; i++)
		if (strcmp(m->t[to].cols[i], m->t[tc].cols[i]) != 0)
			return CV_OK;
	terms = malloc(2 * n * sizeof(*terms));
	if (!terms)
		return cv_err_set(err, CV_ERROR, "out of memory");
	for (size_t i = 0; i < n && st == CV_OK; i++) {
		terms[2 * i] = (cv_sdc_term){tc, 0, i, 1};
		terms[2 * i + 1] = (cv_sdc_term){to, 0, i, -1};
		st = cv_sdc_add_order(x, terms, 2 * (i + 1), err);
	}
	free(terms);
	if (st == CV_EUSAGE)
		st = cv_fail(err, CV_EUSAGE, CODE_MERGE,
			     "more cases are closed than opened by a month; an input was altered");
	return st;
}

/* The district model: the sums, hidden cells fixed, withheld tables
 * emptied; the grand totals of the tables of one population linked to the
 * first of them when every input was exact and neither total is hidden
 * or withheld. */
static cv_status build(const struct merge *m, size_t n, cv_sdc_export **out, cv_err *err)
{
	cv_sdc_export *x = NULL;
	int exact = 1;
	cv_status st = cv_sdc_export_new(&x, err);

	for (size_t i = 0; i < n; i++)
		exact &= m->eps[i] == 0;
	for (size_t t = 0; t < m->ntables && st == CV_OK; t++) {
		const struct mtable *mt = &m->t[t];

		/* A table withheld in a school: zeros, so that it is withheld. */
		if (mt->withheld)
			memset(mt->val, 0, mt->ncells * sizeof(*mt->val));
		st = cv_sdc_add_table_fixed(x, mt->name, mt->nrows, mt->rows, mt->ncols, mt->cols,
					    mt->val, mt->withheld ? NULL : mt->hidden, NULL, err);
		/* A hidden district cell is a sum of published cells and hidden
		 * ones each known to be at least its bound: the reader of the
		 * schools' exports knows it is at least that sum. */
		for (size_t i = 0; i < mt->ncells && st == CV_OK && !mt->withheld; i++)
			if (mt->hidden[i])
				st = cv_sdc_set_lower(x, t, i / (mt->ncols + 1),
						      i % (mt->ncols + 1), mt->val[i], err);
		if (st == CV_EUSAGE)
			st = cv_fail(err, CV_EUSAGE, CODE_MERGE,
				     "the published cells of table '{1}' do not add up to its "
				     "totals; an input was altered",
				     mt->name);
	}
	for (size_t t = 1; t < m->ntables && st == CV_OK && exact; t++) {
		size_t f = 0;
		const cv_sdc_table *a, *b = &x->tables[t];

		while (strcmp(m->t[f].population, m->t[t].population) != 0)
			f++;
		a = &x->tables[f];
		if (f == t || m->t[f].withheld || m->t[f].hidden[m->t[f].ncells - 1] ||
		    m->t[t].withheld || m->t[t].hidden[m->t[t].ncells - 1])
			continue;
		st = cv_sdc_add_link(x, f, cv_sdc_rows(a) - 1, a->ncols, t, cv_sdc_rows(b) - 1,
				     b->ncols, err);
		if (st == CV_EUSAGE)
			st = cv_fail(err, CV_EUSAGE, CODE_MERGE,
				     "the tables' grand totals differ; an input was altered");
	}
	if (st == CV_OK && exact)
		st = add_month_orders(m, x, err);
	if (st != CV_OK) {
		cv_sdc_export_free(x);
		return st;
	}
	*out = x;
	return CV_OK;
}

cv_status cv_stats_merge(const char *const *names, const char *const *texts, const size_t *lens,
			 size_t n, cv_stats_result **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	struct merge m = {0};
	json_t **docs = NULL;
	cv_sdc_export *x = NULL;
	char num[24];
	cv_status st = CV_OK;

	*out = NULL;
	if (n < 2)
		return cv_fail(err, CV_EUSAGE, CODE_MERGE,
			       "a merge needs at least two exports; give one file per school");
	if (n > CV_STATS_MERGE_MAX)
		return cv_fail(err, CV_EUSAGE, CODE_MERGE, "a merge takes at most {1} exports",
			       cv_num(num, CV_STATS_MERGE_MAX));
	docs = calloc(n, sizeof(*docs));
	m.sources = calloc(n, sizeof(*m.sources));
	m.eps = calloc(n, sizeof(*m.eps));
	m.v = calloc(MERGE_CELLS_MAX, sizeof(*m.v));
	m.h = calloc(MERGE_CELLS_MAX, 1);
	m.lab = calloc(CV_SDC_MAX_DIM, sizeof(*m.lab));
	m.own = calloc(CV_SDC_MAX_DIM, sizeof(*m.own));
	m.dest = calloc(CV_SDC_MAX_DIM, sizeof(*m.dest));
	if (!docs || !m.sources || !m.eps || !m.v || !m.h || !m.lab || !m.own || !m.dest) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && st == CV_OK; i++) {
		json_error_t jerr;

		if (lens[i] > CV_STATS_MERGE_FILE_MAX) {
			st = not_export(err, names[i], CV_PHRASE("it is too large"));
			break;
		}
		docs[i] = json_loadb(texts[i], lens[i], JSON_REJECT_DUPLICATES, &jerr);
		if (!docs[i]) {
			st = not_export(err, names[i], CV_PHRASE("it is not valid JSON"));
			break;
		}
		st = add_input(&m, i, docs[i], names, err);
	}
	/* Every input is checked before anything is added: a folded table's
	 * district columns are those every input has. */
	for (size_t t = 0; t < m.ntables && st == CV_OK; t++)
		if (m.t[t].fold) {
			st = fold_layout(&m.t[t], n, err);
			if (st == CV_OK)
				st = alloc_sums(&m.t[t], err);
		}
	m.sum = 1;
	for (size_t i = 0; i < n && st == CV_OK; i++)
		st = add_input(&m, i, docs[i], names, err);
	if (st == CV_OK)
		st = build(&m, n, &x, err);
	if (st == CV_OK)
		st = cv_sdc_protect(x, m.k, err);
	if (st == CV_OK) {
		unsigned char folded[MERGE_TABLES_MAX] = {0};

		for (size_t t = 0; t < m.ntables; t++)
			folded[t] = m.t[t].fold != NULL;
		st = cv_stats_merged(m.from, m.to, m.k, x, folded, m.eps, n, out, err);
		x = NULL;
		m.eps = NULL;
	}
out:
	cv_sdc_export_free(x);
	free(m.eps);
	merge_free(&m);
	for (size_t i = 0; docs && i < n; i++)
		json_decref(docs[i]);
	free(docs);
	return st;
}

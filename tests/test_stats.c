/*
 * test_stats.c - `stats export` through the library: a vault of NCASES
 * (hundreds of) cases filled by a seeded generator (counselors open cases
 * with known attributes and close some), exported by the supervisor at
 * several thresholds.  No published cell holds 1..k-1;
 * every published cell is the true count; the audit finds no suppressed
 * cell recoverable; counselors and admins are refused, k under 3 is
 * refused, an overlapping period is refused; the release is recorded and
 * logged and the log still verifies; and the export needs no case key:
 * the same numbers come out after every key copy of every case is gone.
 */
#define FIXTURE_TAG "stats"
#include "case_fixture.h"
#include "buf.h"
#include "sdc.h"
#include "access.h"
#include "stats.h"
#include "cert.h"
#include "verify.h"
#include "localday.h"

#define NCASES 300
#define NCLOSED 6 /* the first NCLOSED cases opened are closed */
#define SEED 20261129u
#define BANDS 4
#define NGENDERS 3

static const char *const genders[NGENDERS] = {"F", "M", "X"};
static const char *const categories[] = {"academic",	"emotion",  "relationships",  "family",
					 "adolescence", "behavior", "self-harm-risk", "other"};
#define NCATS (sizeof(categories) / sizeof(categories[0]))

static const char *const urgencies[] = {"routine", "urgent", "emergency"};
static const char *const ref_states[] = {"referred", "contacted", "accepted", "declined",
					 "completed"};
static const char *const institutions[] = {"mental-health", "hospital", "counseling",
					   "social-services", "other"};
static const char *const tags[] = {"single-parent", "left-behind", "family-change", "other"};
#define NURG 3
#define NSTATES 5
#define NINST 5
#define NTAGS 4

/* The truth, as the generator made it. */
static struct {
	int64_t grade[BANDS][NGENDERS];
	int64_t category[NCATS];
	int64_t closed;
	int64_t sessions[5]; /* 0, 1, 2-3, 4-6, 7+ */
	int64_t consent[4];  /* both, adult, guardian missing, no assent */
	int64_t referrals[NURG][NSTATES], institution[NINST], nrefs;
	int64_t tags[NTAGS], nregs;
	int64_t crisis[2], ncrises; /* reviewed, not reviewed */
	char from[CV_STATS_MONTH_LEN], to[CV_STATS_MONTH_LEN];
} truth;
static char pop_path[TEST_PATH_MAX];

static uint32_t next_rand(uint32_t *x)
{
	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

static void close_case(cv_session *s, const char *id)
{
	char n1[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX];
	cv_err err = {0};

	if (cv_note_add(s, id, "analysis", "analysis", 8, NULL, n1, &err) != CV_OK ||
	    cv_note_finalize(s, n1, &err) != CV_OK ||
	    cv_note_add(s, id, "outcome", "outcome", 7, NULL, n2, &err) != CV_OK ||
	    cv_note_finalize(s, n2, &err) != CV_OK || cv_case_close(s, id, &err) != CV_OK)
		fail_msg("closing '%s': %s", id, err.msg);
}

static size_t session_band(int n)
{
	return n == 0 ? 0 : n == 1 ? 1 : n <= 3 ? 2 : n <= 6 ? 3 : 4;
}

/* The records of case id, from the generator: consent (none, the
 * student's, or both), session notes, a referral, a register entry. */
static void add_records(cv_session *s, const char *id, int closing, int adult, uint32_t *x,
			cv_session *sup)
{
	uint32_t r = next_rand(x) % 10;
	int consent = closing ? 2 : r < 2 ? 0 : r < 4 ? 1 : 2;
	/* a minor with the student's assent alone gets no session */
	int nsess = consent == 2 || (consent == 1 && adult) ? (int)(next_rand(x) % 9) : 0;
	cv_err err = {0};

	if (consent == 1)
		consent_ok(s, id, "student", "individual");
	/* Without consent: a test result under the crisis exception, a
	 * break-glass event; two in three are reviewed by the supervisor. */
	if (consent == 0) {
		char t[CV_CASE_ID_MAX], event[CV_ID_MAX];
		int review = next_rand(x) % 3 != 0;

		if (cv_test_add(s, id, "SCL-90", "1.0", NULL, "risk of harm reported today", t,
				&err) != CV_OK)
			fail_msg("crisis test: %s", err.msg);
		q_text(pop_path, event, sizeof(event),
		       "SELECT id FROM records WHERE type = 'crisis' AND case_id = '%s'", id);
		if (review &&
		    cv_audit_review(sup, event, "reviewed with the counselor", &err) != CV_OK)
			fail_msg("review: %s", err.msg);
		truth.crisis[review ? 0 : 1]++;
		truth.ncrises++;
	}
	if (consent == 2 && !closing)
		consent_all(s, id);
	for (int i = 0; i < nsess; i++) {
		char n[CV_CASE_ID_MAX];

		if (cv_note_add(s, id, "session", "session", 7, NULL, n, &err) != CV_OK ||
		    cv_note_finalize(s, n, &err) != CV_OK)
			fail_msg("session note: %s", err.msg);
	}
	truth.sessions[session_band(nsess)]++;
	truth.consent[consent == 0 ? 3 : consent == 2 ? 0 : adult ? 1 : 2]++;
	if (consent == 2 && next_rand(x) % 3 == 0) {
		size_t u = next_rand(x) % NURG, d = next_rand(x) % NINST, st = next_rand(x) % 3;
		cv_referral_input ri = {"Clinic",     institutions[d], "emotion",
					urgencies[u], "summary",       NULL};
		char rid[CV_CASE_ID_MAX];

		if (cv_referral_add(s, id, &ri, NULL, rid, &err) != CV_OK)
			fail_msg("referral: %s", err.msg);
		/* referred, or updated to contacted or completed */
		if (st && cv_referral_update(s, rid, ref_states[st == 1 ? 1 : 4], NULL, NULL,
					     &err) != CV_OK)
			fail_msg("referral update: %s", err.msg);
		truth.referrals[u][st == 0 ? 0 : st == 1 ? 1 : 4]++;
		truth.institution[d]++;
		truth.nrefs++;
	}
	if (consent && next_rand(x) % 3 == 0) {
		size_t t = next_rand(x) % NTAGS;

		if (cv_watch_add(s, id, tags[t], 30, &err) != CV_OK)
			fail_msg("watch: %s", err.msg);
		truth.tags[t]++;
		truth.nregs++;
	}
}

/* The base vault with NCASES cases opened by carol and dave from SEED. */
static int populate(void)
{
	uint32_t x = SEED;
	cv_vault *v = NULL;
	cv_session *c = NULL, *d = NULL, *sup = NULL;
	cv_err err = {0};

	snprintf(pop_path, sizeof(pop_path), "%s/populated.db", base_dir);
	copy_db(base_path, pop_path);
	if (cv_vault_open(pop_path, &v, &err) != CV_OK)
		return -1;
	c = login_ok(v, "carol", PW_CAROL);
	d = login_ok(v, "dave", PW_DAVE);
	sup = login_ok(v, "sam", PW_SAM);
	for (int i = 0; i < NCASES; i++) {
		char sid[16], name[32], id[CV_CASE_ID_MAX];
		unsigned grade = 1 + next_rand(&x) % 12;
		uint32_t g = next_rand(&x) % 10, r = next_rand(&x) % 20;
		size_t gi = g < 6 ? 0 : g < 9 ? 1 : 2;
		/* emotion and academic common, the rest rare */
		size_t ci = r < 7 ? 1 : r < 12 ? 0 : r < 15 ? 2 : r < 17 ? 3 : r < 18 ? 4 : 6;
		/* some seniors are adults */
		int adult = grade >= 10 && next_rand(&x) % 2 == 0;
		cv_case_input in = {sid,
				    name,
				    genders[gi],
				    grade,
				    "1-1",
				    categories[ci],
				    adult ? "2000-01-01" : NULL,
				    "Guardian",
				    "13800001111"};
		int dup = 0;

		snprintf(sid, sizeof(sid), "S%04d", i);
		snprintf(name, sizeof(name), "Student %d", i);
		if (cv_case_open(i % 2 ? d : c, &in, id, &dup, &err) != CV_OK) {
			fprintf(stderr, "populate: %s\n", err.msg);
			return -1;
		}
		truth.grade[(grade - 1) / 3][gi]++;
		truth.category[ci]++;
		if (i < NCLOSED)
			consent_all(i % 2 ? d : c, id);
		add_records(i % 2 ? d : c, id, i < NCLOSED, adult, &x, sup);
		if (i < NCLOSED) {
			close_case(i % 2 ? d : c, id);
			truth.closed++;
		}
	}
	logout_all();
	cv_vault_close(v);
	q_text(pop_path, truth.from, sizeof(truth.from),
	       "SELECT substr(min(opened_at), 1, 7) FROM cases");
	/* The last month anything was written in (a run across midnight at the
	 * end of a month writes records in the next one). */
	q_text(pop_path, truth.to, sizeof(truth.to),
	       "SELECT substr(max(t), 1, 7) FROM (SELECT max(opened_at) AS t FROM cases"
	       " UNION ALL SELECT max(created_at) FROM records)");
	return 0;
}

static int stats_group_setup(void **state)
{
	if (group_setup(state) != 0)
		return -1;
	return populate();
}

/* The per-test copy of the populated vault. */
static int pop_setup(void **state)
{
	struct fix *f;

	if (setup(state) != 0)
		return -1;
	f = *state;
	cv_vault_close(f->v);
	f->v = NULL;
	copy_db(pop_path, f->path);
	return cv_vault_open(f->path, &f->v, NULL) == CV_OK ? 0 : -1;
}

static cv_stats_result *export_ok(cv_vault *v, int k)
{
	cv_session *s = login_ok(v, "sam", PW_SAM);
	cv_stats_result *r = NULL;
	cv_err err = {0};

	if (cv_stats_export(s, truth.from, truth.to, k, NULL, &r, &err) != CV_OK)
		fail_msg("stats export failed: %s", err.msg);
	logout(s);
	return r;
}

/* A table by its name in the model. */
static size_t table_of(const cv_sdc_export *x, const char *name)
{
	for (size_t t = 0; t < x->ntables; t++)
		if (strcmp(x->tables[t].name, name) == 0)
			return t;
	fail_msg("no table '%s'", name);
	return 0;
}

/* The true count behind a cell of the export (months from the clear
 * date columns of path). */
static int64_t true_cell(const char *path, const cv_sdc_export *x, size_t t, size_t r, size_t c)
{
	const cv_sdc_table *tb = &x->tables[t];
	int64_t n = 0;

	if (c == tb->ncols && (tb->nrows == 0 || r == tb->nrows)) {
		/* every grand total: its population's */
		if (cv_stats_table_population(t) == CV_STATS_POP_REFERRALS)
			return truth.nrefs;
		if (cv_stats_table_population(t) == CV_STATS_POP_REGISTER)
			return truth.nregs;
		if (cv_stats_table_population(t) == CV_STATS_POP_CRISIS)
			return truth.ncrises;
		return NCASES;
	}
	if (t == CV_STATS_T_SESSIONS)
		return truth.sessions[c];
	if (t == CV_STATS_T_CONSENT)
		return truth.consent[c];
	if (t == CV_STATS_T_DESTINATION)
		return truth.institution[c];
	if (t == CV_STATS_T_REGISTER)
		return truth.tags[c];
	if (t == CV_STATS_T_CRISIS)
		return truth.crisis[c];
	if (t == CV_STATS_T_REFERRALS) {
		for (size_t u = 0; u < NURG; u++)
			for (size_t k = 0; k < NSTATES; k++)
				if ((r == tb->nrows || r == u) && (c == tb->ncols || c == k))
					n += truth.referrals[u][k];
		return n;
	}
	if (t == CV_STATS_T_OPENED)
		return q_int(path,
			     "SELECT count(*) FROM cases WHERE substr(opened_at, 1, 7) = '%s'",
			     tb->col_labels[c]);
	if (t == CV_STATS_T_GRADE) {
		for (size_t b = 0; b < BANDS; b++)
			for (size_t g = 0; g < NGENDERS; g++)
				if ((r == tb->nrows || r == b) && (c == tb->ncols || c == g))
					n += truth.grade[b][g];
		return n;
	}
	if (t == CV_STATS_T_CATEGORY) {
		int other = strcmp(tb->col_labels[c], "other") == 0;

		for (size_t i = 0; i < NCATS; i++) {
			int shown = 0;

			for (size_t k = 0; k < tb->ncols; k++)
				shown |= strcmp(tb->col_labels[k], categories[i]) == 0 &&
					 strcmp(categories[i], "other") != 0;
			if (other ? !shown : strcmp(tb->col_labels[c], categories[i]) == 0)
				n += truth.category[i];
		}
		return n;
	}
	/* closed_by_month: the months, then "not closed" */
	if (strcmp(tb->col_labels[c], "not closed in the period") == 0)
		return NCASES - truth.closed;
	return q_int(path, "SELECT count(*) FROM cases WHERE substr(closed_at, 1, 7) = '%s'",
		     tb->col_labels[c]);
}

/* §1: what is published is safe and true, and the audit agrees; at
 * threshold k, with *hidden the cells hidden. */
static cv_stats_result *check_protects(struct fix *f, int k, size_t *hidden)
{
	cv_stats_result *r;
	const cv_sdc_export *x;
	cv_sdc_report rep = {0};
	cv_err err = {0};
	size_t shown = 0;

	*hidden = 0;
	r = export_ok(f->v, k);
	x = cv_stats_model(r);
	assert_int_equal(x->ntables, CV_STATS_NTABLES);
	assert_int_equal(cv_stats_cases(r), NCASES);
	assert_int_equal(table_of(x, "grade_band_by_gender"), CV_STATS_T_GRADE);
	for (size_t t = 0; t < x->ntables; t++) {
		const cv_sdc_table *tb = &x->tables[t];

		/* withheld: its grand total is under k */
		if (tb->withheld) {
			assert_true(true_cell(f->path, x, t, tb->nrows, tb->ncols) < k);
			continue;
		}
		for (size_t row = 0; row < cv_sdc_rows(&x->tables[t]); row++)
			for (size_t c = 0; c <= x->tables[t].ncols; c++) {
				int64_t v = cv_sdc_value(x, t, row, c);

				assert_int_equal(v, true_cell(f->path, x, t, row, c));
				if (cv_sdc_flag_of(x, t, row, c) != CV_SDC_PUBLISHED) {
					(*hidden)++;
					continue;
				}
				shown++;
				if (v > 0 && v < k)
					fail_msg("table %zu cell (%zu, %zu) published as %lld", t,
						 row, c, (long long)v);
			}
	}
	assert_true(shown > 0);
	/* Categories under k are not named. */
	for (size_t c = 0; c < x->tables[CV_STATS_T_CATEGORY].ncols; c++) {
		const char *l = x->tables[CV_STATS_T_CATEGORY].col_labels[c];

		for (size_t i = 0; i < NCATS; i++)
			if (strcmp(l, categories[i]) == 0 && strcmp(l, "other") != 0)
				assert_true(truth.category[i] >= k);
	}
	assert_int_equal(cv_sdc_audit(x, CV_SDC_LOWER_PRODUCT, &rep, &err), CV_OK);
	assert_int_equal(rep.nexposed, 0);
	assert_int_equal(rep.nsingletons, 0);
	assert_int_equal(rep.ncells, *hidden);
	cv_sdc_report_free(&rep);
	/* The CSV says what it is of, and which tables are withheld. */
	{
		char *buf = NULL, line[96];
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);

		assert_non_null(mem);
		assert_int_equal(cv_stats_write(r, CV_STATS_CSV, mem, &err), CV_OK);
		assert_int_equal(fclose(mem), 0);
		snprintf(line, sizeof(line), "\r\nexport,period,from,%s\r\nexport,period,to,%s\r\n",
			 truth.from, truth.to);
		assert_non_null(strstr(buf, line));
		snprintf(line, sizeof(line), "\r\nexport,k,,%d\r\nexport,epsilon,,none\r\n", k);
		assert_non_null(strstr(buf, line));
		for (size_t t = 0; t < x->ntables; t++) {
			snprintf(line, sizeof(line), "\r\n%s,all,total,withheld\r\n",
				 x->tables[t].name);
			assert_int_equal(strstr(buf, line) != NULL, x->tables[t].withheld);
		}
		free(buf);
	}
	return r;
}

static void test_export_protects(void **state)
{
	size_t hidden;
	cv_stats_result *r = check_protects(*state, 5, &hidden);
	cv_err err = {0};

	/* The generator makes small cells (gender X, rare categories):
	 * something is hidden. */
	assert_true(hidden > 0);
	/* The HTML page: one marker, the grand total, four tables. */
	{
		char *buf = NULL, *p;
		size_t len = 0, tables = 0;
		FILE *mem = open_memstream(&buf, &len);
		char total[32];

		assert_non_null(mem);
		assert_int_equal(cv_stats_write(r, CV_STATS_HTML, mem, &err), CV_OK);
		assert_int_equal(fclose(mem), 0);
		assert_non_null(strstr(buf, "<td>x</td>"));
		snprintf(total, sizeof(total), "<td>%d</td>", NCASES);
		assert_non_null(strstr(buf, total));
		for (p = buf; (p = strstr(p, "<table>")); p++)
			tables++;
		assert_int_equal(tables, CV_STATS_NTABLES);
		/* Self-contained and bilingual: declared UTF-8 text, a chart per
		 * published table, nothing that runs or loads. */
		assert_non_null(strstr(buf, "<meta charset=\"utf-8\">"));
		assert_non_null(strstr(buf, "按月新开个案 Cases opened by month"));
		assert_non_null(strstr(buf, "已抑制 suppressed"));
		for (p = buf, tables = 0; (p = strstr(p, "<svg ")); p++)
			tables++;
		assert_int_equal(tables, CV_STATS_NTABLES);
		assert_null(strstr(buf, "<script"));
		assert_null(strstr(buf, "http"));
		free(buf);
	}
	cv_stats_free(r);
}

/* The same vault at higher thresholds: more is hidden, folded or
 * withheld, and what is published is still safe and true. */
static void test_export_protects_k10(void **state)
{
	size_t hidden;

	cv_stats_free(check_protects(*state, 10, &hidden));
	assert_true(hidden > 0);
}

static void test_export_protects_k70(void **state)
{
	size_t hidden, withheld = 0;
	cv_stats_result *r = check_protects(*state, 70, &hidden);
	const cv_sdc_export *x = cv_stats_model(r);

	assert_true(hidden > 0);
	for (size_t t = 0; t < x->ntables; t++)
		withheld += x->tables[t].withheld;
	assert_true(withheld > 0);
	cv_stats_free(r);
}

static size_t published_tables(const cv_sdc_export *x)
{
	size_t n = 0;

	for (size_t t = 0; t < x->ntables; t++)
		n += !x->tables[t].withheld;
	return n;
}

/* §2: the release row, its hash, the log row, and a log that verifies. */
static void test_release_recorded(void **state)
{
	struct fix *f = *state;
	cv_stats_result *r = export_ok(f->v, 5);
	uint8_t h[CV_DIGEST_LEN];
	char object[32], detail[64];
	cv_audit_report rep = {0};
	cv_session *s;
	cv_err err = {0};

	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 1);
	assert_int_equal(q_int(f->path, "SELECT k FROM stats_releases"), 5);
	assert_int_equal(q_int(f->path, "SELECT epsilon FROM stats_releases"), 0);
	assert_int_equal(q_blob(f->path, h, sizeof(h), "SELECT cells_hash FROM stats_releases"),
			 sizeof(h));
	assert_memory_equal(h, cv_stats_hash(r), sizeof(h));
	/* The hash is of the CSV as written. */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);
		uint8_t want[CV_DIGEST_LEN];
		cv_bytes part;

		assert_non_null(mem);
		assert_int_equal(cv_stats_write(r, CV_STATS_CSV, mem, &err), CV_OK);
		assert_int_equal(fclose(mem), 0);
		assert_true(len > 0);
		assert_memory_equal(buf, "table,row,column,count\r\n", 24);
		part.p = buf;
		part.n = len;
		cv_hash(want, NULL, 0, "casevault-stats-cells-v1", &part, 1);
		assert_memory_equal(want, h, sizeof(h));
		free(buf);
	}
	snprintf(object, sizeof(object), "stats:%s..%s", truth.from, truth.to);
	assert_int_equal(audit_rows(f->path, "sam", "stats.export", "ok", object), 1);
	snprintf(detail, sizeof(detail), "k=5 tables=%zu", published_tables(cv_stats_model(r)));
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'stats.export' AND"
			       " detail = '%s'",
			       detail),
			 1);
	/* No case was read: not one case.read row by the supervisor. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'sam' AND"
					" action = 'case.read'"),
			 0);
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_audit_verify(s, NULL, &rep, &err), CV_OK);
	cv_stats_free(r);
}

/* §2: a period that meets an earlier release is refused. */
static void test_overlap_refused(void **state)
{
	struct fix *f = *state;
	cv_stats_result *r = export_ok(f->v, 5), *r2 = NULL;
	cv_session *s = login_ok(f->v, "sam", PW_SAM);
	char object[32], earlier[32];
	cv_err err = {0};

	cv_stats_free(r);
	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 7, NULL, &r2, &err), CV_EDENIED);
	assert_string_equal(err.code, "stats.overlap");
	assert_null(r2);
	/* A longer period that contains it too: from a year before. */
	snprintf(earlier, sizeof(earlier), "%04d%.3s", atoi(truth.from) - 1, truth.from + 4);
	assert_int_equal(cv_stats_export(s, earlier, truth.to, 5, NULL, &r2, &err), CV_EDENIED);
	assert_string_equal(err.code, "stats.overlap");
	assert_int_equal(cv_stats_export(s, "2000-01", "2002-01", 5, NULL, &r2, &err), CV_EUSAGE);
	assert_string_equal(err.code, "stats.period"); /* over 24 months */
	/* A disjoint period with nothing in it would publish nothing: refused,
	 * not recorded, so it stays open; the refusal gives no count. */
	assert_int_equal(cv_stats_export(s, "2000-01", "2000-06", 5, NULL, &r2, &err), CV_EDENIED);
	assert_string_equal(err.code, "stats.nothing-published");
	assert_null(r2);
	assert_msg_has(err, "fewer than k = 5 cases in 2000-01..2000-06");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 1);
	assert_int_equal(
	    audit_rows(f->path, "sam", "stats.export", "denied", "stats:2000-01..2000-06"), 1);
	/* With noise it is released and recorded (noise is not drawn twice). */
	assert_int_equal(cv_stats_export(s, "2000-01", "2000-06", 5, "0.5", &r2, &err), CV_OK);
	assert_int_equal(cv_stats_cases(r2), 0);
	cv_stats_free(r2);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 2);
	snprintf(object, sizeof(object), "stats:%s..%s", truth.from, truth.to);
	assert_int_equal(audit_rows(f->path, "sam", "stats.export", "denied", object), 1);
}

/* A write that fails (a full disk) releases nothing: the period stays
 * open, and the next export of it is released. */
static void test_failed_write_releases_nothing(void **state)
{
	struct fix *f = *state;
	cv_session *s = login_ok(f->v, "sam", PW_SAM);
	FILE *full = fopen("/dev/full", "w");
	cv_stats_result *r = NULL;
	cv_err err = {0};

	assert_non_null(full);
	assert_int_equal(
	    cv_stats_export_to(s, truth.from, truth.to, 5, NULL, CV_STATS_HTML, full, &r, &err),
	    CV_ERROR);
	fclose(full);
	assert_string_equal(err.code, "stats.write");
	assert_null(r);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'stats.export'"
					" AND outcome = 'ok'"),
			 0);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'stats.export'"
					" AND outcome = 'failed' AND detail = 'stats.write'"),
			 1);
	logout(s);
	cv_stats_free(export_ok(f->v, 5));
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 1);
}

/* Only supervisors; k under 3 and malformed periods are usage errors. */
static void test_refusals(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_session *s = login_ok(f->v, "sam", PW_SAM);
	cv_stats_result *r = NULL;
	cv_err err = {0};

	assert_int_equal(cv_stats_export(c, truth.from, truth.to, 5, NULL, &r, &err), CV_EDENIED);
	assert_string_equal(err.code, "policy.role");
	assert_int_equal(cv_stats_export(a, truth.from, truth.to, 5, NULL, &r, &err), CV_EDENIED);
	assert_null(r);
	assert_int_equal(audit_rows(f->path, "carol", "stats.export", "denied", "stats"), 1);
	assert_int_equal(audit_rows(f->path, "alice", "stats.export", "denied", "stats"), 1);
	assert_int_equal(cv_may(f->v, "carol", CV_ACT_STATS_EXPORT, NULL, &err), CV_EDENIED);
	assert_int_equal(cv_may(f->v, "sam", CV_ACT_STATS_EXPORT, NULL, &err), CV_OK);

	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 2, NULL, &r, &err), CV_EUSAGE);
	assert_string_equal(err.code, "stats.k");
	assert_int_equal(cv_stats_export(s, "2026-13", truth.to, 5, NULL, &r, &err), CV_EUSAGE);
	assert_int_equal(cv_stats_export(s, truth.to, "2000-01", 5, NULL, &r, &err), CV_EUSAGE);
	assert_null(r);
	/* A period going past this month: its months to come could never be
	 * released; the months so far can. */
	{
		char today[11], next[24];
		int y, m;

		assert_int_equal(cv_local_today(f->v, today, &err), CV_OK);
		assert_int_equal(sscanf(today, "%4d-%2d", &y, &m), 2);
		snprintf(next, sizeof(next), "%04d-%02d", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
		memset(&err, 0, sizeof(err));
		assert_int_equal(cv_stats_export(s, truth.from, next, 5, NULL, &r, &err),
				 CV_EUSAGE);
		assert_string_equal(err.code, "stats.period-unfinished");
		assert_null(r);
		assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 0);
		{
			char object[40];

			snprintf(object, sizeof(object), "stats:%s..%s", truth.from, next);
			assert_int_equal(
			    audit_rows(f->path, "sam", "stats.export", "failed", object), 1);
		}
		today[7] = '\0';
		assert_int_equal(cv_stats_export(s, truth.from, today, 5, NULL, &r, &err), CV_OK);
		cv_stats_free(r);
		r = NULL;
	}
}

/* Terms and months. */
static void test_period(void **state)
{
	char a[CV_STATS_MONTH_LEN], b[CV_STATS_MONTH_LEN];
	cv_err err = {0};

	(void)state;
	assert_int_equal(cv_stats_period("2026-autumn", NULL, NULL, a, b, &err), CV_OK);
	assert_string_equal(a, "2026-09");
	assert_string_equal(b, "2027-01");
	assert_int_equal(cv_stats_period("2027-spring", NULL, NULL, a, b, &err), CV_OK);
	assert_string_equal(a, "2027-02");
	assert_string_equal(b, "2027-07");
	assert_int_equal(cv_stats_period(NULL, "2026-03", "2026-03", a, b, &err), CV_OK);
	assert_string_equal(a, "2026-03");
	assert_string_equal(b, "2026-03");
	assert_int_equal(cv_stats_period("2026-summer", NULL, NULL, a, b, &err), CV_EUSAGE);
	assert_int_equal(cv_stats_period("26-autumn", NULL, NULL, a, b, &err), CV_EUSAGE);
	assert_int_equal(cv_stats_period("2026-autumn", "2026-09", NULL, a, b, &err), CV_EUSAGE);
	assert_int_equal(cv_stats_period(NULL, "2026-09-01", "2026-10", a, b, &err), CV_EUSAGE);
	assert_int_equal(cv_stats_period(NULL, "2026-9", "2026-10", a, b, &err), CV_EUSAGE);
	assert_int_equal(cv_stats_period(NULL, "2026-09", NULL, a, b, &err), CV_EUSAGE);
	assert_int_equal(cv_stats_period(NULL, "2026-01", "2027-12", a, b, &err), CV_OK);
	assert_int_equal(cv_stats_period(NULL, "2026-01", "2028-01", a, b, &err), CV_EUSAGE);
}

/* The export never unseals a case key: the supervisor holds none, and the
 * same numbers come out when every counselor's copy of every case key is
 * gone from the file. */
static int count_attrs(const cv_stats_attrs *a, void *arg)
{
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

static void test_no_case_key(void **state)
{
	struct fix *f = *state;
	cv_stats_result *r1 = NULL, *r2 = NULL;
	char other[TEST_PATH_MAX];
	size_t seen = 0, cases = 0;
	cv_vault *v = NULL;
	cv_session *s;
	cv_err err = {0};

	assert_int_equal(q_int(f->path, "SELECT count(*) FROM grants g JOIN users u ON"
					" u.id = g.user_id WHERE u.name = 'sam'"),
			 0);
	assert_true(q_int(f->path, "SELECT count(*) FROM grants") >= NCASES);
	tmpdir_file(other, sizeof(other), f->dir, "nokeys.db");
	copy_db(f->path, other);
	raw_sql(other, "DELETE FROM grants");
	r1 = export_ok(f->v, 5);
	assert_int_equal(cv_stats_cases(r1), NCASES);
	cv_stats_free(r1);
	/* The walk the export counts with reads every case with no grant left
	 * in the file: it never unseals a case key. */
	assert_int_equal(cv_vault_open(other, &v, &err), CV_OK);
	s = login_ok(v, "sam", PW_SAM);
	assert_int_equal(cv_access_all_stats(s, count_attrs, &seen, &cases, &err), CV_OK);
	assert_int_equal(seen, NCASES);
	assert_int_equal(cases, NCASES);
	/* The export itself checks the file against the log first, and the
	 * deleted grants are found. */
	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 5, NULL, &r2, &err),
			 CV_EINTEGRITY);
	assert_null(r2);
	assert_msg_has(err, "table 'grants'");
	logout(s);
	logout_all();
	cv_vault_close(v);
}

/* A case whose statistics box was swapped for another's is refused. */
static void test_tampered_stats_refused(void **state)
{
	struct fix *f = *state;
	cv_session *s;
	cv_stats_result *r = NULL;
	cv_err err = {0};

	raw_sql(f->path, "UPDATE cases SET stats_box = (SELECT stats_box FROM cases ORDER BY id"
			 " DESC LIMIT 1) WHERE id = (SELECT min(id) FROM cases)");
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 5, NULL, &r, &err),
			 CV_EINTEGRITY);
	assert_null(r);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 0);
}

static int count_case(const cv_stats_attrs *a, void *arg)
{
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

/* A record's statistics box moved to another record, or planted on a
 * note, is refused twice over: the export's verification of the log
 * names the changed row, and the walk itself (what any reader of
 * statistics goes through) refuses the record's signature. */
static void test_record_stats_moved(void **state)
{
	static const char *const edits[] = {
	    "UPDATE records SET stats_box = (SELECT stats_box FROM records WHERE type ="
	    " 'referral' ORDER BY id DESC LIMIT 1) WHERE id = (SELECT min(id) FROM records"
	    " WHERE type = 'referral')",
	    "UPDATE records SET stats_box = (SELECT stats_box FROM records WHERE type ="
	    " 'watch' LIMIT 1) WHERE id = (SELECT min(id) FROM records WHERE type = 'note')",
	    "UPDATE records SET stats_box = zeroblob(0) WHERE id = (SELECT min(id) FROM"
	    " records WHERE type = 'consent')",
	};
	struct fix *f = *state;
	char path[TEST_PATH_MAX];

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		cv_vault *v = NULL;
		cv_session *s;
		cv_stats_result *r = NULL;
		cv_err err = {0};
		size_t n = 0, walked = 0;

		tmpdir_file(path, sizeof(path), f->dir, "moved.db");
		copy_db(f->path, path);
		raw_sql(path, "%s", edits[i]);
		assert_int_equal(cv_vault_open(path, &v, &err), CV_OK);
		s = login_ok(v, "sam", PW_SAM);
		assert_int_equal(cv_stats_export(s, truth.from, truth.to, 5, NULL, &r, &err),
				 CV_EINTEGRITY);
		assert_null(r);
		assert_int_equal(cv_access_all_stats(s, count_case, &n, &walked, &err),
				 CV_EINTEGRITY);
		assert_string_equal(err.code, "record.forged");
		logout(s);
		cv_vault_close(v);
		assert_int_equal(q_int(path, "SELECT count(*) FROM stats_releases"), 0);
		unlink(path);
	}
}

/* A shredded case is not counted; its tombstone is skipped, not refused. */
static void test_shredded_skipped(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_stats_result *r;
	char id[CV_CASE_ID_MAX];
	cv_err err = {0};

	q_text(f->path, id, sizeof(id), "SELECT max(id) FROM cases WHERE status = 'open'");
	assert_int_equal(cv_case_shred(a, id, "retention period ended", recovery, &err), CV_OK);
	r = export_ok(f->v, 5);
	assert_int_equal(cv_stats_cases(r), NCASES - 1);
	assert_int_equal(cv_sdc_value(cv_stats_model(r), CV_STATS_T_OPENED, 0,
				      cv_stats_model(r)->tables[CV_STATS_T_OPENED].ncols),
			 NCASES - 1);
	cv_stats_free(r);
}

/* A release row deleted to allow a second export of its period is caught
 * by the log's row commitments. */
static void test_deleted_release_detected(void **state)
{
	struct fix *f = *state;
	cv_stats_result *r = export_ok(f->v, 5);
	cv_audit_report rep = {0};
	cv_session *s;
	cv_err err = {0};

	cv_stats_free(r);
	raw_sql(f->path, "DELETE FROM stats_releases");
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_audit_verify(s, NULL, &rep, &err), CV_EINTEGRITY);
	/* Nor does the export take the period as open again: it checks the
	 * releases against the log first. */
	r = NULL;
	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 5, NULL, &r, &err),
			 CV_EINTEGRITY);
	assert_null(r);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 0);
	logout(s);
}

/* Every published cell of r is 0 or at least k, and the audit passes. */
static void assert_safe(const cv_stats_result *r, int k)
{
	const cv_sdc_export *x = cv_stats_model(r);
	cv_sdc_report rep = {0};
	cv_err err = {0};

	for (size_t t = 0; t < x->ntables; t++)
		for (size_t row = 0; !x->tables[t].withheld && row < cv_sdc_rows(&x->tables[t]);
		     row++)
			for (size_t c = 0; c <= x->tables[t].ncols; c++) {
				int64_t v = cv_sdc_value(x, t, row, c);

				if (cv_sdc_flag_of(x, t, row, c) == CV_SDC_PUBLISHED)
					assert_true(v == 0 || v >= k);
				assert_true(v >= 0);
			}
	assert_int_equal(cv_sdc_audit(x, CV_SDC_LOWER_PRODUCT, &rep, &err), CV_OK);
	assert_int_equal(rep.nexposed, 0);
	assert_int_equal(rep.nsingletons, 0);
	cv_sdc_report_free(&rep);
}

/* A copy of the published tables of x (flags, links, order relations),
 * with none of the lower bounds the export itself set. */
static cv_sdc_export *copy_published(const cv_sdc_export *x, size_t *map)
{
	cv_sdc_export *y = NULL;
	cv_err err = {0};

	assert_int_equal(cv_sdc_export_new(&y, &err), CV_OK);
	for (size_t t = 0; t < x->ntables; t++) {
		const cv_sdc_table *tb = &x->tables[t];

		map[t] = SIZE_MAX;
		if (tb->withheld)
			continue;
		assert_int_equal(cv_sdc_add_table(y, tb->name, tb->nrows,
						  (const char *const *)tb->row_labels, tb->ncols,
						  (const char *const *)tb->col_labels, tb->count,
						  &map[t], &err),
				 CV_OK);
		for (size_t r = 0; r < cv_sdc_rows(tb); r++)
			for (size_t c = 0; c <= tb->ncols; c++)
				assert_int_equal(cv_sdc_set_flag(y, map[t], r, c,
								 cv_sdc_flag_of(x, t, r, c), &err),
						 CV_OK);
	}
	for (size_t l = 0; l < x->nlinks; l++) {
		const cv_sdc_link *k = &x->links[l];

		if (map[k->ta] != SIZE_MAX && map[k->tb] != SIZE_MAX)
			assert_int_equal(cv_sdc_add_link(y, map[k->ta], k->ra, k->ca, map[k->tb],
							 k->rb, k->cb, &err),
					 CV_OK);
	}
	return y;
}

/*
 * §1 of the review: 5 cases F grade 8 academic, 5 M grade 8 emotion, 1 F
 * grade 8 self-harm-risk, k = 5.  The category table keeps academic and
 * emotion as their own columns (each has at least k) and folds self-harm-
 * risk into other.  A reader who knows that rule bounds the named columns
 * below by k; the export must stay safe under those bounds (the printed
 * `academic x, emotion x, other x, total 11` gave other = 1 away).
 */
static void test_fold_lower_bound(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *gender, *category;
		int n;
	} groups[] = {{"F", "academic", 5}, {"M", "emotion", 5}, {"F", "self-harm-risk", 1}};
	char from[CV_STATS_MONTH_LEN], to[CV_STATS_MONTH_LEN], id[CV_CASE_ID_MAX];
	size_t map[CV_STATS_TABLES_MAX], tc, n = 0;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *s;
	cv_stats_result *r = NULL;
	const cv_sdc_export *x;
	cv_sdc_export *y;
	cv_sdc_report rep = {0};
	cv_err err = {0};
	time_t now = time(NULL);

	strftime(from, sizeof(from), "%Y-%m", gmtime(&now));
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (int i = 0; i < groups[g].n; i++, n++) {
			char sid[16], name[32];
			cv_case_input in = student(sid, name);

			snprintf(sid, sizeof(sid), "F%04zu", n);
			snprintf(name, sizeof(name), "Fold %zu", n);
			in.gender = groups[g].gender;
			in.category = groups[g].category;
			open_ok(c, &in, id);
		}
	logout(c);
	now = time(NULL);
	strftime(to, sizeof(to), "%Y-%m", gmtime(&now));
	s = login_ok(f->v, "sam", PW_SAM);
	if (cv_stats_export(s, from, to, 5, NULL, &r, &err) != CV_OK)
		fail_msg("stats export failed: %s", err.msg);
	logout(s);
	x = cv_stats_model(r);
	tc = table_of(x, "category");
	assert_int_equal(x->tables[tc].ncols, 3);
	assert_string_equal(x->tables[tc].col_labels[0], "academic");
	assert_string_equal(x->tables[tc].col_labels[1], "emotion");
	assert_string_equal(x->tables[tc].col_labels[2], "other");
	assert_safe(r, 5);
	/* cases closed by the end of each month were opened by then */
	assert_int_equal(x->norders, strcmp(from, to) == 0 ? 1 : 2);

	/* the test's own reader: the published tables, and the fold rule */
	y = copy_published(x, map);
	assert_int_equal(cv_sdc_set_lower(y, map[tc], 0, 0, 5, &err), CV_OK);
	assert_int_equal(cv_sdc_set_lower(y, map[tc], 0, 1, 5, &err), CV_OK);
	assert_int_equal(cv_sdc_audit(y, CV_SDC_LOWER_PRODUCT, &rep, &err), CV_OK);
	for (size_t i = 0; i < rep.ncells; i++)
		if (rep.cells[i].exposed)
			fail_msg("table '%s': cell (%zu, %zu) = %lld is exact [%g, %g]",
				 y->tables[rep.cells[i].table].name, rep.cells[i].row,
				 rep.cells[i].col, (long long)rep.cells[i].value, rep.cells[i].ilo,
				 rep.cells[i].ihi);
	assert_int_equal(rep.nexposed, 0);
	cv_sdc_report_free(&rep);
	cv_sdc_export_free(y);
	cv_stats_free(r);
}

/* §4: --epsilon: noise within the budget, recorded and logged; each
 * student counts once; over the budget nothing is drawn or released. */
static void test_epsilon(void **state)
{
	struct fix *f = *state;
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *s;
	cv_stats_result *r = NULL;
	char id[CV_CASE_ID_MAX], other[TEST_PATH_MAX];
	cv_case_input in = student("S0010", "Student 10");
	cv_vault *v2 = NULL;
	cv_err err = {0};
	int dup = 0;

	/* A second case of student S0010. */
	assert_int_equal(cv_case_open(c, &in, id, &dup, &err), CV_OK);
	assert_int_equal(dup, 1);
	tmpdir_file(other, sizeof(other), f->dir, "plain.db");
	copy_db(f->path, other);

	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 5, "1.5", &r, &err), CV_EDENIED);
	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 5, "0.003", &r, &err), CV_EUSAGE);
	assert_string_equal(err.code, "stats.epsilon");
	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 5, "half", &r, &err), CV_EUSAGE);
	assert_null(r);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 0);

	assert_int_equal(cv_stats_export(s, truth.from, truth.to, 5, "0.5", &r, &err), CV_OK);
	assert_int_equal(cv_stats_cases(r), NCASES); /* S0010 once */
	assert_safe(r, 5);
	cv_stats_free(r);
	assert_int_equal(q_int(f->path, "SELECT epsilon FROM stats_releases"), 500);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE action = 'stats.export' AND"
			       " detail LIKE 'k=5 tables=%%' AND detail LIKE '%% epsilon=0.5'"),
			 1);

	/* Without noise both cases of S0010 count. */
	assert_int_equal(cv_vault_open(other, &v2, &err), CV_OK);
	r = export_ok(v2, 5);
	assert_int_equal(cv_stats_cases(r), NCASES + 1);
	assert_safe(r, 5);
	cv_stats_free(r);
	logout_all();
	cv_vault_close(v2);
}

/* Releases in one term share its budget (epsilon 1); disjoint months of
 * one term count against it together, another term has its own. */
static void test_term_budget(void **state)
{
	static const struct {
		const char *from, *to, *eps;
		cv_status want;
	} steps[] = {
	    {"2000-09", "2000-09", "0.6", CV_OK},
	    {"2000-10", "2000-10", "0.6", CV_EDENIED},	/* autumn 2000: 1.2 */
	    {"2000-10", "2000-11", "0.4", CV_OK},	/* autumn 2000: 1.0 */
	    {"2001-02", "2001-02", "0.6", CV_OK},	/* spring 2001 */
	    {"2001-01", "2001-01", "0.001", CV_EUSAGE}, /* too small to share */
	    {"2001-01", "2001-01", "0.01", CV_EDENIED}, /* January is autumn 2000's */
	    {"2001-03", "2001-08", "0.4", CV_OK},	/* spring 2001: 1.0, and August */
	    {"2001-08", "2001-09", "0.4", CV_EDENIED},	/* meets the release of August */
	};
	struct fix *f = *state;
	cv_session *s = login_ok(f->v, "sam", PW_SAM);
	size_t released = 0;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		cv_stats_result *r = NULL;
		cv_err err = {0};
		cv_status st =
		    cv_stats_export(s, steps[i].from, steps[i].to, 5, steps[i].eps, &r, &err);

		if (st != steps[i].want)
			fail_msg("step %zu (%s..%s at %s): status %d, want %d (%s)", i,
				 steps[i].from, steps[i].to, steps[i].eps, st, steps[i].want,
				 err.msg);
		if (st == CV_OK) {
			released++;
			assert_safe(r, 5);
		}
		cv_stats_free(r);
	}
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), released);
	assert_int_equal(q_int(f->path, "SELECT sum(epsilon) FROM stats_releases"), 2000);
}

/* Terms set anew after a noisy release do not give its months a fresh
 * budget: the release is charged against every term that meets the terms
 * it met when it was made; and a term is at least three months. */
static void test_term_budget_after_terms_reset(void **state)
{
	struct fix *f = *state;
	cv_session *s = login_ok(f->v, "sam", PW_SAM), *a;
	cv_stats_result *r = NULL;
	cv_err err = {0};

	assert_int_equal(cv_stats_export(s, "2000-11", "2000-11", 5, "1", &r, &err), CV_OK);
	cv_stats_free(r);
	r = NULL;
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases WHERE term_from ="
					" '2000-09' AND term_to = '2001-01'"),
			 1);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_config_set(a, "term_autumn", "11..12", &err), CV_EUSAGE);
	assert_string_equal(err.code, "config.term-short");
	assert_int_equal(cv_config_set(a, "term_spring", "03..07", &err), CV_OK);
	assert_int_equal(cv_config_set(a, "term_autumn", "12..02", &err), CV_OK);
	/* December is now in a term of its own, December to February, which
	 * meets the term November's release met: spent. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_stats_export(s, "2000-12", "2000-12", 5, "0.5", &r, &err), CV_EDENIED);
	assert_null(r);
	/* March was spring's then and is now: its own budget. */
	assert_int_equal(cv_stats_export(s, "2001-03", "2001-03", 5, "1", &r, &err), CV_OK);
	cv_stats_free(r);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM stats_releases"), 2);
	/* The log says no count of cases, noisy or not. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'stats.export'"
					" AND detail LIKE '%%cases=%%'"),
			 0);
}

/* The duty log's open hours go out with the tables, unsuppressed (they
 * count hours of the room, not students); without a shift there is no
 * duty section. */
static void test_duty_section(void **state)
{
	struct fix *f = *state;
	cv_session *c, *s;
	cv_stats_result *r = NULL;
	cv_vault *v2 = NULL;
	char from[20], to[20], month[CV_STATS_MONTH_LEN], other[TEST_PATH_MAX], *buf = NULL;
	time_t now = time(NULL);
	time_t a = now - 7200, b = now - 3600;
	struct tm ta, tb;
	size_t len = 0;
	FILE *mem;
	int64_t id = 0;
	cv_err err = {0};

	/* no shift: no section */
	r = export_ok(f->v, 5);
	mem = open_memstream(&buf, &len);
	assert_int_equal(cv_stats_write(r, CV_STATS_JSON, mem, &err), CV_OK);
	fclose(mem);
	assert_non_null(strstr(buf, "\"duty\": null"));
	free(buf);
	cv_stats_free(r);

	/* A fresh copy with a shift of one hour, ending an hour ago (local
	 * time). */
	tmpdir_file(other, sizeof(other), f->dir, "duty.db");
	copy_db(pop_path, other);
	assert_int_equal(cv_vault_open(other, &v2, &err), CV_OK);
	c = login_ok(v2, "carol", PW_CAROL);
	localtime_r(&a, &ta);
	localtime_r(&b, &tb);
	strftime(from, sizeof(from), "%Y-%m-%d %H:%M", &ta);
	strftime(to, sizeof(to), "%Y-%m-%d %H:%M", &tb);
	assert_int_equal(cv_duty_add(c, from, to, "Room 201", 2, &id, &err), CV_OK);
	logout(c);
	snprintf(month, sizeof(month), "%.7s", from);
	s = login_ok(v2, "sam", PW_SAM);
	assert_int_equal(cv_stats_export(s, strcmp(month, truth.from) < 0 ? month : truth.from,
					 truth.to, 5, NULL, &r, &err),
			 CV_OK);
	logout(s);
	mem = open_memstream(&buf, &len);
	assert_int_equal(cv_stats_write(r, CV_STATS_JSON, mem, &err), CV_OK);
	fclose(mem);
	{
		json_error_t je;
		json_t *doc = json_loads(buf, 0, &je), *duty = json_object_get(doc, "duty");
		json_int_t total = 0;
		size_t i;
		json_t *w;

		assert_non_null(duty);
		assert_int_equal(json_integer_value(json_object_get(duty, "threshold_minutes")),
				 600);
		json_array_foreach(json_object_get(duty, "weeks"), i, w)
		{
			total += json_integer_value(json_object_get(w, "minutes"));
			assert_true(json_is_true(json_object_get(w, "under")));
		}
		assert_int_equal(total, 60);
		json_decref(doc);
	}
	free(buf);
	/* The CSV (whose hash the release records) carries the same. */
	mem = open_memstream(&buf, &len);
	assert_int_equal(cv_stats_write(r, CV_STATS_CSV, mem, &err), CV_OK);
	fclose(mem);
	assert_non_null(strstr(buf, "duty_hours_by_week,threshold,minutes,600\r\n"));
	assert_non_null(strstr(buf, ",minutes,60\r\n"));
	free(buf);
	cv_stats_free(r);
	cv_vault_close(v2);
}

/* The budget follows the vault's terms: with autumn set to start in
 * August, August spends autumn's budget. */
static void test_term_budget_configured(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *s;
	cv_stats_result *r = NULL;
	cv_err err = {0};

	assert_int_equal(cv_config_set(a, "term_autumn", "08..12", &err), CV_OK);
	logout(a);
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_stats_export(s, "2000-08", "2000-08", 5, "0.6", &r, &err), CV_OK);
	cv_stats_free(r);
	r = NULL;
	assert_int_equal(cv_stats_export(s, "2000-09", "2000-09", 5, "0.6", &r, &err), CV_EDENIED);
	assert_null(r);
	/* January is no longer autumn's: a term of its own. */
	assert_int_equal(cv_stats_export(s, "2001-01", "2001-01", 5, "0.6", &r, &err), CV_OK);
	cv_stats_free(r);
	logout(s);
}

/* The first case row in id order, with its rowid (the walk's page). */
static int first_case(cv_case_rec *c, void *arg)
{
	cv_case_rec *out = arg;

	*out = *c;
	c->data_box = c->stats_box = NULL; /* taken */
	return 1;
}

/* Every cases and records row, as the store walks them (a walk of the
 * table in rowid order gives the same hashes as the pages). */
struct vrow {
	int records;
	int64_t rowid, signer;
	uint8_t hash[CV_HASH_LEN];
};

struct vrows {
	struct vrow v[4096];
	size_t n;
};

static int keep_vrow(const char *table, int64_t rowid, const uint8_t hash[CV_HASH_LEN],
		     int64_t signer, void *arg)
{
	struct vrows *l = arg;
	int records = strcmp(table, "records") == 0;

	if (!records && strcmp(table, "cases") != 0)
		return 0;
	assert_true(l->n < sizeof(l->v) / sizeof(l->v[0]));
	l->v[l->n] = (struct vrow){records, rowid, signer, {0}};
	memcpy(l->v[l->n].hash, hash, CV_HASH_LEN);
	l->n++;
	return 0;
}

/* Feeds the rows of l to the vouch as a walk would, from the start,
 * but row skip (-1: none), row twice (-1: none), and with row bent's
 * signer, hash or rowid changed (-1: none; what: 0 signer, 1 hash, 2
 * rowid); then what
 * cv_vouch_check says. */
static cv_status feed(cv_vault *v, const struct vrows *l, long skip, long twice, long bent,
		      int what)
{
	cv_err err = {0};
	int role;

	memset(v->vouch->got, 0, sizeof(v->vouch->got));
	memset(v->vouch->seen, 0, sizeof(v->vouch->seen));
	for (size_t i = 0; i < l->n; i++) {
		struct vrow r = l->v[i];

		if ((long)i == skip)
			continue;
		if ((long)i == bent && what == 0)
			r.signer = r.signer + 1;
		if ((long)i == bent && what == 1)
			r.hash[0] ^= 1;
		if ((long)i == bent && what == 2)
			r.rowid = 0;
		for (int k = 0; k < 1 + ((long)i == twice); k++)
			cv_vouch_row(v, r.records, r.rowid, r.hash, r.signer, &role);
	}
	return cv_vouch_check(v, &err);
}

/* While a verification in the open transaction vouches for the rows, a
 * case row read with its hash is taken as signed (the log's checkpoint
 * stands for its signature), and added to the walk's sums; once every row
 * was read, the sums say whether the rows were exactly the log's latest
 * versions, each by its signer, each once.  A row read another way (no
 * hash) still has its own signature checked. */
static void test_vouch_decides(void **state)
{
	struct fix *f = *state;
	cv_vault *v = f->v;
	cv_audit_report rep;
	cv_case_rec c = {0};
	cv_err err = {0};
	struct vrows *l = calloc(1, sizeof(*l));
	int64_t carol = q_int(f->path, "SELECT id FROM users WHERE name = 'carol'");
	size_t first_record = 0;
	int role = -1;

	assert_non_null(l);
	assert_int_equal(cv_store_begin(v->st, &err), CV_OK);
	cv_vouch_begin(v);
	assert_int_equal(cv_verify_vault(v, &rep, &err), CV_OK);
	assert_non_null(v->vouch);
	assert_true(v->vouch->filled);
	assert_int_equal(v->vouch->live[0], q_int(f->path, "SELECT count(*) FROM cases"));
	assert_int_equal(v->vouch->live[1], q_int(f->path, "SELECT count(*) FROM records"));
	assert_int_equal(cv_store_row_each(v->st, keep_vrow, l, &err), CV_OK);
	assert_true(l->n > 2);
	while (first_record < l->n && !l->v[first_record].records)
		first_record++;
	assert_true(first_record > 0 && first_record < l->n);
	/* every row, once, as stored: the log's */
	assert_int_equal(feed(v, l, -1, -1, -1, 0), CV_OK);
	/* a case or a record missing, a row read twice (an index pointed
	 * twice at it, and so never at another), a signer or a hash other
	 * than the log's: refused */
	assert_int_equal(feed(v, l, 0, -1, -1, 0), CV_EINTEGRITY);
	assert_int_equal(feed(v, l, (long)first_record, -1, -1, 0), CV_EINTEGRITY);
	assert_int_equal(feed(v, l, -1, 0, -1, 0), CV_EINTEGRITY);
	assert_int_equal(feed(v, l, (long)first_record, (long)first_record + 1, -1, 0),
			 CV_EINTEGRITY);
	assert_int_equal(feed(v, l, -1, -1, 1, 0), CV_EINTEGRITY);
	assert_int_equal(feed(v, l, -1, -1, (long)l->n - 1, 1), CV_EINTEGRITY);
	/* ... or a row's content at another rowid (0: none) */
	assert_int_equal(feed(v, l, -1, -1, 0, 2), CV_EINTEGRITY);
	/* a counselor's row is taken with the counselor's role */
	assert_int_equal(cv_vouch_row(v, 0, 1, l->v[0].hash, carol, &role), 1);
	assert_int_equal(role, CV_ROLE_COUNSELOR);
	assert_int_equal(cv_vouch_row(v, 0, 1, l->v[0].hash, 9999, &role), 0);

	assert_int_equal(cv_store_case_page(v->st, "", 1, first_case, &c, &err), CV_OK);
	assert_true(c.rowid > 0 && c.hashed);
	assert_int_equal(cv_case_check(v, &c, NULL, &err), CV_OK);
	/* its signature spoilt (in memory only: in the file it would change
	 * the row's hash, which the sums compare): still taken, the log
	 * vouches for the row */
	c.sig[0] ^= 1;
	assert_int_equal(cv_case_check(v, &c, NULL, &err), CV_OK);
	/* ... but not when read by another way than the walk (no hash): its
	 * own signature decides */
	c.hashed = 0;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_case_check(v, &c, NULL, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "case.forged");
	c.hashed = 1;
	c.sig[0] ^= 1;
	/* a row naming as signer someone who is no user: not taken, its own
	 * signature decides (a row naming another counselor is taken, and
	 * counted under that signer: the sums refuse it, above) */
	c.signer_id = 9999;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cv_case_check(v, &c, NULL, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "case.forged");
	/* after the transaction, nothing is vouched for */
	c.signer_id =
	    q_int(f->path, "SELECT signer_id FROM cases WHERE rowid = %lld", (long long)c.rowid);
	cv_vouch_end(v);
	assert_null(v->vouch);
	assert_int_equal(cv_case_check(v, &c, NULL, &err), CV_OK);
	c.sig[0] ^= 1;
	assert_int_equal(cv_case_check(v, &c, NULL, &err), CV_EINTEGRITY);
	cv_store_rollback(v->st);
	cv_case_rec_clear(&c);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_period),
	    cmocka_unit_test_setup_teardown(test_export_protects, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_protects_k10, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_protects_k70, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_recorded, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overlap_refused, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_write_releases_nothing, pop_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_case_key, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampered_stats_refused, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_record_stats_moved, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shredded_skipped, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_release_detected, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fold_lower_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_epsilon, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_term_budget, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_term_budget_configured, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_term_budget_after_terms_reset, pop_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_duty_section, pop_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vouch_decides, pop_setup, teardown),
	};

	if (cv_init(NULL) != CV_OK)
		return 1;
	return cmocka_run_group_tests(tests, stats_group_setup, group_teardown);
}

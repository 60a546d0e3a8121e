/*
 * test_dlap.c - the exact discrete Laplace sampler and the privacy budget of
 * dlap.c: draw for draw against the reference algorithm (tests/
 * dlap_reference.py, fed the same scripted draws), hand-traced known
 * answers, a chi-square goodness-of-fit test that passes the sampler and
 * rejects a rounded continuous Laplace, epsilon parsing, the ledger, and
 * the refusals at every bound.  Floating point appears only here, in the
 * statistics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "casevault.h"
#include "buf.h"
#include "dlap.h"
#include "err.h"
#include "banned.h"

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

/* ---- sources ---- */

/* A scripted source: the i-th draw below n is v[i] % n; every bound asked
 * for is written down.  Past the script it returns n, which the sampler
 * must refuse. */
typedef struct script {
	const uint64_t *v;
	size_t n, used;
	cv_buf bounds; /* "n1 n2 ..." */
} script;

static uint64_t script_uniform(void *ctx, uint64_t n)
{
	script *s = ctx;
	char num[24];
	int len = snprintf(num, sizeof(num), "%s%" PRIu64, s->bounds.len ? " " : "", n);

	cv_buf_raw(&s->bounds, num, (size_t)len);
	if (s->used >= s->n)
		return n;
	return s->v[s->used++] % n;
}

static const char *script_bounds(script *s)
{
	cv_buf_raw(&s->bounds, "", 1);
	s->bounds.len--;
	assert_int_equal(s->bounds.oom, 0);
	return (const char *)s->bounds.data;
}

/* SplitMix64: scripted values that look like random 64-bit words. */
static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A deterministic stream: ChaCha20 under a fixed key, block after block,
 * read as 64-bit words; uniform below n by rejecting words under 2^64 mod n. */
typedef struct stream {
	uint8_t key[crypto_stream_chacha20_KEYBYTES];
	uint64_t block;
	uint8_t buf[4096];
	size_t pos;
	uint64_t draws;
} stream;

static void stream_init(stream *s, uint8_t seed)
{
	memset(s, 0, sizeof(*s));
	memset(s->key, seed, sizeof(s->key));
	s->pos = sizeof(s->buf);
}

static uint64_t stream_u64(stream *s)
{
	uint64_t r;

	if (s->pos + sizeof(r) > sizeof(s->buf)) {
		uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];

		cv_store_u64be(nonce, s->block++);
		crypto_stream_chacha20(s->buf, sizeof(s->buf), nonce, s->key);
		s->pos = 0;
	}
	memcpy(&r, s->buf + s->pos, sizeof(r));
	s->pos += sizeof(r);
	return r;
}

static uint64_t stream_uniform(void *ctx, uint64_t n)
{
	stream *s = ctx;
	uint64_t r, min;

	s->draws++;
	if (n <= 1)
		return 0;
	min = (0 - n) % n;
	do
		r = stream_u64(s);
	while (r < min);
	return r % n;
}

/* A broken source: always 0, so every Bernoulli(p > 0) succeeds. */
static uint64_t zero_uniform(void *ctx, uint64_t n)
{
	(void)ctx;
	(void)n;
	return 0;
}

/* A broken source: out of range. */
static uint64_t over_uniform(void *ctx, uint64_t n)
{
	(void)ctx;
	return n;
}

/* ---- (a) draw for draw against the reference ---- */

static void reference_path(char *out, size_t cap)
{
	const char *f = __FILE__, *slash = strrchr(f, '/');
	int dir = slash ? (int)(slash - f + 1) : 0;

	snprintf(out, cap, "%.*sdlap_reference.py", dir, f);
}

/* Runs the reference for (mode, num/den, count) on values; returns its two
 * output lines (samples, bounds) without their newlines. */
static void run_reference(const char *mode, uint64_t num, uint64_t den, int count,
			  const uint64_t *v, size_t nv, char **samples, char **bounds)
{
	char path[512], num_s[64];
	cv_buf cmd = CV_BUF_INIT;
	size_t cap = 0;
	ssize_t len;
	FILE *p;

	reference_path(path, sizeof(path));
	cv_buf_raw(&cmd, "python3 ", 8);
	cv_buf_raw(&cmd, path, strlen(path));
	len =
	    snprintf(num_s, sizeof(num_s), " %s %" PRIu64 " %" PRIu64 " %d", mode, num, den, count);
	cv_buf_raw(&cmd, num_s, (size_t)len);
	for (size_t i = 0; i < nv; i++) {
		len = snprintf(num_s, sizeof(num_s), " %" PRIu64, v[i]);
		cv_buf_raw(&cmd, num_s, (size_t)len);
	}
	cv_buf_raw(&cmd, "", 1);
	assert_int_equal(cmd.oom, 0);
	p = popen((const char *)cmd.data, "r");
	assert_non_null(p);
	*samples = NULL;
	*bounds = NULL;
	len = getline(samples, &cap, p);
	assert_true(len > 0);
	(*samples)[len - 1] = '\0';
	cap = 0;
	len = getline(bounds, &cap, p);
	assert_true(len > 0);
	(*bounds)[len - 1] = '\0';
	assert_int_equal(pclose(p), 0);
	cv_buf_free(&cmd);
}

#define SCRIPT_VALUES 2400

typedef struct ref_case {
	const char *mode;
	uint64_t num, den;
	int count;
} ref_case;

static void compare_with_reference(const ref_case *rc, uint64_t seed)
{
	uint64_t *v = malloc(SCRIPT_VALUES * sizeof(*v));
	script s = {0};
	cv_dlap_rng rng = {script_uniform, &s};
	cv_buf mine = CV_BUF_INIT;
	char *ref_samples, *ref_bounds, num[24];
	cv_err err;

	assert_non_null(v);
	for (size_t i = 0; i < SCRIPT_VALUES; i++)
		v[i] = splitmix(&seed);
	s.v = v;
	s.n = SCRIPT_VALUES;
	for (int i = 0; i < rc->count; i++) {
		int64_t x;
		int b;
		int len;

		if (rc->mode[0] == 'b') {
			assert_int_equal(cv_dlap_bernoulli_exp(&rng, rc->num, rc->den, &b, &err),
					 CV_OK);
			x = b;
		} else {
			assert_int_equal(cv_dlap_sample(&rng, rc->num, rc->den, &x, &err), CV_OK);
		}
		len = snprintf(num, sizeof(num), "%s%" PRId64, i ? " " : "", x);
		cv_buf_raw(&mine, num, (size_t)len);
	}
	cv_buf_raw(&mine, "", 1);
	assert_int_equal(mine.oom, 0);
	run_reference(rc->mode, rc->num, rc->den, rc->count, v, s.used, &ref_samples, &ref_bounds);
	assert_string_equal((const char *)mine.data, ref_samples);
	assert_string_equal(script_bounds(&s), ref_bounds);
	free(ref_samples);
	free(ref_bounds);
	cv_buf_free(&mine);
	cv_buf_free(&s.bounds);
	free(v);
}

static void test_reference_bernoulli_exp(void **state)
{
	static const ref_case cases[] = {
	    {"bexp", 0, 1, 100},
	    {"bexp", 1, 1, 150},
	    {"bexp", 1, 2, 150},
	    {"bexp", 3, 7, 150},
	    {"bexp", 6, 4, 150},
	    {"bexp", 7, 3, 150},
	    {"bexp", 5, 1, 150},
	    {"bexp", 12345, 1000, 150},
	    {"bexp", UINT32_MAX, UINT32_MAX, 150},
	    {"bexp", 1, UINT32_MAX, 150},
	    {"bexp", UINT32_MAX - 2, UINT32_MAX, 150},
	    {"bexp", UINT32_MAX, 1, 150},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		compare_with_reference(&cases[i], 1000 + i);
}

static void test_reference_dlaplace(void **state)
{
	static const ref_case cases[] = {
	    {"dlap", 1, 1, 120},
	    {"dlap", 2, 1, 120},
	    {"dlap", 5, 1, 120},
	    {"dlap", 1, 3, 120},
	    {"dlap", 7, 3, 120},
	    {"dlap", 3000, 375, 120},
	    {"dlap", 1000, 7, 120},
	    {"dlap", 2000, 1500, 120},
	    {"dlap", UINT32_MAX, 1, 120},
	    {"dlap", 1, UINT32_MAX, 120},
	    {"dlap", UINT32_MAX, UINT32_MAX - 1, 120},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		compare_with_reference(&cases[i], 2000 + i);
}

/* Traces worked by hand from Algorithms 1 and 2, independent of Python. */
static void test_known_traces(void **state)
{
	static const struct {
		uint64_t num, den;
		uint64_t v[4];
		size_t nv;
		int want;
		const char *bounds;
	} bexp[] = {
	    /* gamma 0: one draw below 1, Bernoulli(0) fails, k = 1 is odd */
	    {0, 1, {5}, 1, 1, "1"},
	    /* gamma 1: Bernoulli(1) succeeds, Bernoulli(1/2) fails at k = 2 */
	    {1, 1, {0, 1}, 2, 0, "1 2"},
	    /* gamma 3/2: exp(-1) succeeds at k = 3, then exp(-1/2) at k = 1 */
	    {3, 2, {0, 0, 1, 1}, 4, 1, "1 2 3 2"},
	    /* gamma 3/2: exp(-1) fails at k = 4, nothing more is drawn */
	    {3, 2, {0, 2, 3, 1}, 4, 0, "1 2 3 4"},
	};
	/* Scale 1: a negative zero (rejected), then +1. */
	static const uint64_t dl[] = {0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2, 0, 1};
	cv_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bexp) / sizeof(bexp[0]); i++) {
		script s = {bexp[i].v, bexp[i].nv, 0, CV_BUF_INIT};
		cv_dlap_rng rng = {script_uniform, &s};
		int b = -1;

		assert_int_equal(cv_dlap_bernoulli_exp(&rng, bexp[i].num, bexp[i].den, &b, &err),
				 CV_OK);
		assert_int_equal(b, bexp[i].want);
		assert_int_equal(s.used, bexp[i].nv);
		assert_string_equal(script_bounds(&s), bexp[i].bounds);
		cv_buf_free(&s.bounds);
	}
	{
		script s = {dl, sizeof(dl) / sizeof(dl[0]), 0, CV_BUF_INIT};
		cv_dlap_rng rng = {script_uniform, &s};
		int64_t x = 0;

		assert_int_equal(cv_dlap_sample(&rng, 1, 1, &x, &err), CV_OK);
		assert_int_equal(x, 1);
		assert_int_equal(s.used, sizeof(dl) / sizeof(dl[0]));
		assert_string_equal(script_bounds(&s), "2 1 1 1 2 2 1 1 1 2 3 1 2");
		cv_buf_free(&s.bounds);
	}
}

/* ---- (b) chi-square goodness of fit ---- */

/* Regularized upper incomplete gamma Q(a, x) (series below a + 1,
 * continued fraction above). */
static double gamma_q(double a, double x)
{
	double gln = lgamma(a);

	if (x <= 0)
		return 1.0;
	if (x < a + 1) {
		double ap = a, sum = 1.0 / a, del = sum;

		for (int n = 0; n < 10000; n++) {
			ap += 1;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * 1e-15)
				break;
		}
		return 1.0 - sum * exp(-x + a * log(x) - gln);
	}
	{
		double b = x + 1 - a, c = 1.0 / 1e-300, d = 1.0 / b, h = d;

		for (int i = 1; i < 10000; i++) {
			double an = -i * (i - a), del;

			b += 2;
			d = an * d + b;
			if (fabs(d) < 1e-300)
				d = 1e-300;
			c = b + an / c;
			if (fabs(c) < 1e-300)
				c = 1e-300;
			d = 1.0 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1.0) < 1e-15)
				break;
		}
		return exp(-x + a * log(x) - gln) * h;
	}
}

/* The chi-square value exceeded with probability p at df degrees of freedom. */
static double chi2_critical(double p, size_t df)
{
	double lo = 0, hi = 10.0 * (double)df + 100;

	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (gamma_q((double)df / 2, mid / 2) > p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

static void test_chi2_critical_values(void **state)
{
	/* Published 0.999 quantiles of the chi-square distribution. */
	static const struct {
		size_t df;
		double x;
	} table[] = {{1, 10.828}, {2, 13.816}, {10, 29.588}, {30, 59.703}, {100, 149.449}};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_true(fabs(chi2_critical(0.001, table[i].df) - table[i].x) < 0.005);
}

#define DRAWS 120000
#define MAX_BINS 512

typedef int64_t (*draw_fn)(stream *s, uint64_t num, uint64_t den);

static int64_t draw_exact(stream *s, uint64_t num, uint64_t den)
{
	cv_dlap_rng rng = {stream_uniform, s};
	int64_t x = 0;
	cv_err err;

	assert_int_equal(cv_dlap_sample(&rng, num, den, &x, &err), CV_OK);
	return x;
}

/* The deliberately wrong sampler: a continuous Laplace of the same scale,
 * rounded to the nearest integer. */
static int64_t draw_rounded(stream *s, uint64_t num, uint64_t den)
{
	double t = (double)num / (double)den;
	double u = ((double)stream_uniform(s, 1ull << 53) + 1.0) / 9007199254740992.0;
	double sign = stream_uniform(s, 2) ? -1.0 : 1.0;

	return (int64_t)llround(sign * -t * log(u));
}

/*
 * Draws DRAWS values with the fixed seed and returns the chi-square
 * statistic against P(x) = (1-q)/(1+q) q^|x|, q = e^(-1/t); one bin per
 * value with |x| < K and the tails x >= K and x <= -K pooled, K the
 * largest value whose own expected count is at least 5 (so every bin's is).
 */
static double chi2_statistic(draw_fn draw, uint64_t num, uint64_t den, size_t *df)
{
	static uint64_t counts[MAX_BINS];
	double t = (double)num / (double)den, q = exp(-1.0 / t), p0 = (1 - q) / (1 + q);
	double stat = 0;
	stream s;
	int64_t k = 0;
	size_t nbins;

	while (DRAWS * p0 * pow(q, (double)(k + 1)) >= 5)
		k++;
	assert_true(k >= 1);
	nbins = (size_t)(2 * k + 1); /* -K (tail), -K+1 .. K-1, K (tail) */
	assert_true(nbins <= MAX_BINS);
	memset(counts, 0, sizeof(counts));
	stream_init(&s, 0x5a);
	for (int i = 0; i < DRAWS; i++) {
		int64_t x = draw(&s, num, den);

		if (x > k)
			x = k;
		if (x < -k)
			x = -k;
		counts[x + k]++;
	}
	for (int64_t x = -k; x <= k; x++) {
		double e = (x == -k || x == k) ? DRAWS * pow(q, (double)k) / (1 + q)
					       : DRAWS * p0 * pow(q, (double)llabs(x));
		double d = (double)counts[x + k] - e;

		assert_true(e >= 5);
		stat += d * d / e;
	}
	*df = nbins - 1;
	return stat;
}

static void test_chi_square(void **state)
{
	/* Scales 1/2, 1, 2, 7/3, 5: epsilon 2, 1, 0.5, 0.429, 0.2 at sensitivity 1. */
	static const struct {
		uint64_t num, den;
		int wrong_rejected; /* whether the rounded sampler is asserted rejected */
	} scales[] = {{1, 2, 1}, {1, 1, 1}, {2, 1, 1}, {7, 3, 1}, {5, 1, 0}};

	(void)state;
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		size_t df, df2;
		double good = chi2_statistic(draw_exact, scales[i].num, scales[i].den, &df);
		double bad = chi2_statistic(draw_rounded, scales[i].num, scales[i].den, &df2);
		double crit = chi2_critical(0.001, df);

		print_message("scale %" PRIu64 "/%" PRIu64 ": df %zu, critical %.1f, exact %.1f, "
			      "rounded %.1f\n",
			      scales[i].num, scales[i].den, df, crit, good, bad);
		assert_int_equal(df, df2);
		assert_true(good < crit);
		/*
		 * The rounded continuous Laplace differs from the discrete one
		 * mostly at 0 (1 - e^(-1/2t) against (1-q)/(1+q)); at scale 5
		 * the expected excess of the statistic over 120,000 draws is
		 * only about 27 against a critical value about 43 above the
		 * mean, so no fixed-size test has the power to reject it there
		 * and it is not asserted.  Where it is asserted the excess is
		 * 238 or more.
		 */
		if (scales[i].wrong_rejected)
			assert_true(bad > crit);
	}
}

/* ---- (c) epsilon ---- */

static void test_eps_parse(void **state)
{
	static const struct {
		const char *s;
		uint32_t want;
	} ok[] = {
	    {"0.5", 500},
	    {"1", 1000},
	    {"0.125", 125},
	    {"10", 10000},
	    {"0.001", 1},
	    {"0.0019", 1},
	    {"0.12345", 123},
	    {"1.0", 1000},
	    {"007", 7000},
	    {"10.0009", 10000},
	    {"2.5", 2500},
	    {"0.999999", 999},
	    {"000000000000000000000000000001", 1000},
	};
	static const struct {
		const char *s;
		const char *msg;
	} bad[] = {
	    {"", "epsilon is empty"},
	    {"0", "epsilon '0' rounds down to 0 on the grid of 0.001"},
	    {"0.0", "rounds down to 0"},
	    {"0.0009", "epsilon '0.0009' rounds down to 0"},
	    {"-0.5", "epsilon '-0.5' is negative"},
	    {"-1", "is negative"},
	    {"+0.5", "epsilon '+0.5' is not a decimal number"},
	    {".5", "epsilon '.5' is not a decimal number; write it like '0.5' or '1'"},
	    {"5.", "not a decimal number"},
	    {"1e-3", "epsilon is not a decimal number"},
	    {"0,5", "epsilon is not a decimal number"},
	    {" 0.5", "epsilon is not a decimal number"},
	    {"0.5 ", "epsilon is not a decimal number"},
	    {"1.2.3", "epsilon '1.2.3' is not a decimal number"},
	    {"nan", "not a decimal number"},
	    {"inf", "not a decimal number"},
	    {"0x10", "not a decimal number"},
	    {"\xef\xbc\x91", "epsilon is not a decimal number"}, /* fullwidth 1 */
	    {"1\x1b[31m", "epsilon is not a decimal number"},
	    {"10.001", "epsilon '10.001' is over the maximum of 10"},
	    {"11", "over the maximum of 10"},
	    {"99999999999999999999", "epsilon '99999999999999999999' is over the maximum"},
	    {"000000000000000000000000000000001", "epsilon is longer than 32 characters"},
	};
	cv_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint32_t e = 0;

		assert_int_equal(cv_dlap_eps_parse(ok[i].s, &e, &err), CV_OK);
		assert_int_equal(e, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t e = 4242;

		cv_err_clear(&err);
		assert_int_equal(cv_dlap_eps_parse(bad[i].s, &e, &err), CV_EUSAGE);
		assert_int_equal(err.status, CV_EUSAGE);
		assert_int_equal(e, 4242);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s': got '%s', want '%s'", bad[i].s, err.msg, bad[i].msg);
		assert_null(strchr(err.msg, '\x1b'));
	}
	{
		uint32_t e = 4242;

		assert_int_equal(cv_dlap_eps_parse(NULL, &e, &err), CV_EUSAGE);
		assert_int_equal(e, 4242);
	}
}

static void test_budget_parse(void **state)
{
	cv_err err;
	uint32_t b = 0;

	(void)state;
	assert_int_equal(cv_dlap_budget_parse("100", &b, &err), CV_OK);
	assert_int_equal(b, CV_DLAP_BUDGET_MAX);
	assert_int_equal(cv_dlap_budget_parse("12.5", &b, &err), CV_OK);
	assert_int_equal(b, 12500);
	assert_int_equal(cv_dlap_budget_parse("100.001", &b, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "privacy budget '100.001' is over the maximum of 100"));
	assert_int_equal(cv_dlap_budget_parse("0", &b, &err), CV_EUSAGE);
	assert_int_equal(b, 12500);
}

static void test_eps_format(void **state)
{
	static const struct {
		uint32_t e;
		const char *want;
	} cases[] = {{500, "0.5"},     {1000, "1"}, {125, "0.125"},  {1, "0.001"},
		     {10010, "10.01"}, {0, "0"},    {100000, "100"}, {UINT32_MAX, "4294967.295"}};
	char out[CV_DLAP_EPS_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cv_dlap_eps_format(cases[i].e, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_scale(void **state)
{
	uint64_t n = 0, d = 0;
	cv_err err;

	(void)state;
	assert_int_equal(cv_dlap_scale(1, 1000, &n, &d, &err), CV_OK); /* 1/1 */
	assert_true(n == 1 && d == 1);
	assert_int_equal(cv_dlap_scale(1, 500, &n, &d, &err), CV_OK); /* 1/0.5 */
	assert_true(n == 2 && d == 1);
	assert_int_equal(cv_dlap_scale(3, 125, &n, &d, &err), CV_OK); /* 3/0.125 */
	assert_true(n == 24 && d == 1);
	assert_int_equal(cv_dlap_scale(1, 3000, &n, &d, &err), CV_OK); /* 1/3 */
	assert_true(n == 1 && d == 3);
	assert_int_equal(cv_dlap_scale(2, 7, &n, &d, &err), CV_OK); /* 2/0.007 */
	assert_true(n == 2000 && d == 7);
	assert_int_equal(cv_dlap_scale(CV_DLAP_SENSITIVITY_MAX, 1, &n, &d, &err), CV_OK);
	assert_true(n == 1000000000ull && d == 1);
	assert_int_equal(cv_dlap_scale(1, CV_DLAP_EPS_MAX, &n, &d, &err), CV_OK);
	assert_true(n == 1 && d == 10);
	n = d = 77;
	assert_int_equal(cv_dlap_scale(0, 1000, &n, &d, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "sensitivity 0 is outside"));
	assert_int_equal(cv_dlap_scale(CV_DLAP_SENSITIVITY_MAX + 1, 1000, &n, &d, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_scale(1, 0, &n, &d, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_scale(1, CV_DLAP_EPS_MAX + 1, &n, &d, &err), CV_EUSAGE);
	assert_true(n == 77 && d == 77);
}

/* ---- (d) the ledger ---- */

static void test_budget_check(void **state)
{
	static const uint32_t half[] = {250, 250};
	static const uint32_t full[] = {600, 400};
	static const uint32_t zero[] = {250, 0};
	static const uint32_t huge[] = {250, CV_DLAP_EPS_MAX + 1};
	static const uint32_t max10[] = {10000, 10000, 10000, 10000, 10000,
					 10000, 10000, 10000, 10000, 9999};
	cv_dlap_ledger l = {1000, half, 2};
	uint32_t left = 7;
	cv_err err;

	(void)state;
	assert_int_equal(cv_dlap_budget_check(&l, 500, &left, &err), CV_OK);
	assert_int_equal(left, 0);
	assert_int_equal(cv_dlap_budget_check(&l, 125, &left, &err), CV_OK);
	assert_int_equal(left, 375);
	assert_int_equal(cv_dlap_budget_check(&l, 125, NULL, &err), CV_OK);
	left = 7;
	assert_int_equal(cv_dlap_budget_check(&l, 501, &left, &err), CV_EDENIED);
	assert_string_equal(err.msg, "epsilon 0.501 would exceed the term's privacy budget of 1 "
				     "(0.5 left); choose an epsilon of at most 0.5");
	assert_int_equal(left, 7);

	l.spent = full;
	assert_int_equal(cv_dlap_budget_check(&l, 1, &left, &err), CV_EDENIED);
	assert_non_null(strstr(err.msg, "privacy budget of 1 is spent"));
	l.budget = 800; /* lowered after the spending */
	assert_int_equal(cv_dlap_budget_check(&l, 1, &left, &err), CV_EDENIED);
	l.budget = 0;
	l.nspent = 0;
	assert_int_equal(cv_dlap_budget_check(&l, 1, &left, &err), CV_EDENIED);
	l.budget = 1000;
	assert_int_equal(cv_dlap_budget_check(&l, 1000, &left, &err), CV_OK);
	assert_int_equal(left, 0);

	l = (cv_dlap_ledger){CV_DLAP_BUDGET_MAX, max10, 10};
	assert_int_equal(cv_dlap_budget_check(&l, 1, &left, &err), CV_OK);
	assert_int_equal(left, 0);
	assert_int_equal(cv_dlap_budget_check(&l, 2, &left, &err), CV_EDENIED);
	assert_non_null(strstr(err.msg, "(0.001 left)"));

	/* damaged ledgers and bad requests */
	l = (cv_dlap_ledger){1000, zero, 2};
	assert_int_equal(cv_dlap_budget_check(&l, 1, &left, &err), CV_EINTEGRITY);
	assert_non_null(strstr(err.msg, "privacy ledger entry 2 spends 0/1000"));
	l.spent = huge;
	assert_int_equal(cv_dlap_budget_check(&l, 1, &left, &err), CV_EINTEGRITY);
	l.spent = NULL;
	assert_int_equal(cv_dlap_budget_check(&l, 1, &left, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_budget_check(NULL, 1, &left, &err), CV_EUSAGE);
	l = (cv_dlap_ledger){1000, half, 2};
	assert_int_equal(cv_dlap_budget_check(&l, 0, &left, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_budget_check(&l, CV_DLAP_EPS_MAX + 1, &left, &err), CV_EUSAGE);
	l.budget = CV_DLAP_BUDGET_MAX + 1;
	assert_int_equal(cv_dlap_budget_check(&l, 1, &left, &err), CV_EUSAGE);
	assert_int_equal(left, 0);
}

static void test_release(void **state)
{
	static const uint32_t spent[] = {600};
	int64_t a[3] = {10, 20, 30}, b[2] = {5, 0}, a2[3], b2[2];
	cv_dlap_table t[2] = {{a, 3, 1, 200}, {b, 2, 2, 200}};
	cv_dlap_ledger l = {1000, spent, 1};
	stream s, s2;
	cv_dlap_rng rng = {stream_uniform, &s};
	uint32_t spend = 0;
	cv_err err;

	(void)state;
	memcpy(a2, a, sizeof(a));
	memcpy(b2, b, sizeof(b));

	/* 0.6 spent, 0.4 asked for, 0.4 left: fits exactly */
	stream_init(&s, 7);
	assert_int_equal(cv_dlap_release(&rng, &l, t, 2, &spend, &err), CV_OK);
	assert_int_equal(spend, 400);
	/* the noise is that of independent draws, in table order, at d/e */
	stream_init(&s2, 7);
	{
		cv_dlap_rng rng2 = {stream_uniform, &s2};
		int changed = 0;

		for (int i = 0; i < 3; i++) {
			int64_t x;

			assert_int_equal(cv_dlap_sample(&rng2, 5, 1, &x, &err), CV_OK);
			assert_int_equal(a[i], a2[i] + x);
			changed |= x != 0;
		}
		for (int i = 0; i < 2; i++) {
			int64_t x;

			assert_int_equal(cv_dlap_sample(&rng2, 10, 1, &x, &err), CV_OK);
			assert_int_equal(b[i], b2[i] + x);
			changed |= x != 0;
		}
		assert_true(changed);
		assert_int_equal(s.draws, s2.draws);
	}

	/* over budget by 0.001: refused before any draw, cells untouched */
	memcpy(a2, a, sizeof(a));
	memcpy(b2, b, sizeof(b));
	t[1].eps = 201;
	stream_init(&s, 7);
	spend = 99;
	assert_int_equal(cv_dlap_release(&rng, &l, t, 2, &spend, &err), CV_EDENIED);
	assert_non_null(strstr(err.msg, "epsilon 0.401 would exceed"));
	assert_int_equal(s.draws, 0);
	assert_int_equal(spend, 99);
	assert_memory_equal(a, a2, sizeof(a));
	assert_memory_equal(b, b2, sizeof(b));

	/* bad tables: refused before any draw */
	l.nspent = 0;
	t[1].eps = 200;
	t[0].sensitivity = 0;
	assert_int_equal(cv_dlap_release(&rng, &l, t, 2, &spend, &err), CV_EUSAGE);
	t[0].sensitivity = 1;
	t[0].eps = 0;
	assert_int_equal(cv_dlap_release(&rng, &l, t, 2, &spend, &err), CV_EUSAGE);
	t[0].eps = CV_DLAP_EPS_MAX;
	t[1].eps = 1; /* together over the per-release maximum */
	l.budget = CV_DLAP_BUDGET_MAX;
	assert_int_equal(cv_dlap_release(&rng, &l, t, 2, &spend, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "spend epsilon 10.001 together"));
	t[0].eps = 200;
	t[1].cells = NULL;
	assert_int_equal(cv_dlap_release(&rng, &l, t, 2, &spend, &err), CV_EUSAGE);
	t[1].cells = b;
	assert_int_equal(cv_dlap_release(&rng, &l, t, 0, &spend, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_release(NULL, &l, t, 2, &spend, &err), CV_EUSAGE);
	assert_int_equal(s.draws, 0);
	assert_memory_equal(a, a2, sizeof(a));
	assert_memory_equal(b, b2, sizeof(b));
}

/* A failure part way leaves every cell as it was. */
static void test_release_all_or_nothing(void **state)
{
	/* Scale 1 draws: +1 (the hand trace above), then the script runs out. */
	static const uint64_t plus_one[] = {0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2, 0, 1};
	int64_t c[2] = {3, 4};
	int64_t m[1] = {INT64_MAX};
	cv_dlap_table t = {c, 2, 1, 1000};
	cv_dlap_ledger l = {CV_DLAP_BUDGET_MAX, NULL, 0};
	script s = {plus_one, sizeof(plus_one) / sizeof(plus_one[0]), 0, CV_BUF_INIT};
	cv_dlap_rng rng = {script_uniform, &s};
	cv_err err;

	(void)state;
	assert_int_equal(cv_dlap_release(&rng, &l, &t, 1, NULL, &err), CV_ERROR);
	assert_non_null(strstr(err.msg, "the random source returned"));
	assert_int_equal(c[0], 3);
	assert_int_equal(c[1], 4);
	cv_buf_free(&s.bounds);

	/* INT64_MAX + 1 */
	s = (script){plus_one, sizeof(plus_one) / sizeof(plus_one[0]), 0, CV_BUF_INIT};
	t = (cv_dlap_table){m, 1, 1, 1000};
	assert_int_equal(cv_dlap_release(&rng, &l, &t, 1, NULL, &err), CV_ERROR);
	assert_non_null(strstr(err.msg, "cell 1 of table 1 overflows"));
	assert_int_equal(m[0], INT64_MAX);
	cv_buf_free(&s.bounds);
}

/* ---- (e) bounds and broken sources ---- */

static void test_bounds(void **state)
{
	stream s;
	cv_dlap_rng rng = {stream_uniform, &s};
	cv_dlap_rng none = {NULL, NULL};
	int64_t x = 42;
	int b = 42;
	cv_err err;

	(void)state;
	stream_init(&s, 3);
	assert_int_equal(cv_dlap_sample(&rng, 0, 1, &x, &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "noise scale 0/1 is outside"));
	assert_int_equal(cv_dlap_sample(&rng, 1, 0, &x, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_sample(&rng, (uint64_t)UINT32_MAX + 1, 1, &x, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_sample(&rng, 1, (uint64_t)UINT32_MAX + 1, &x, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_sample(&rng, UINT64_MAX, UINT64_MAX, &x, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_sample(NULL, 1, 1, &x, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_sample(&none, 1, 1, &x, &err), CV_EUSAGE);
	assert_int_equal(x, 42);
	assert_int_equal(cv_dlap_bernoulli_exp(&rng, 1, 0, &b, &err), CV_EUSAGE);
	assert_int_equal(cv_dlap_bernoulli_exp(&rng, 1, (uint64_t)UINT32_MAX + 1, &b, &err),
			 CV_EUSAGE);
	assert_int_equal(cv_dlap_bernoulli_exp(&rng, (uint64_t)UINT32_MAX + 1, 1, &b, &err),
			 CV_EUSAGE);
	assert_int_equal(cv_dlap_bernoulli_exp(NULL, 1, 1, &b, &err), CV_EUSAGE);
	assert_int_equal(b, 42);
	assert_int_equal(s.draws, 0);

	/* the extremes of the range are sampled */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(cv_dlap_sample(&rng, UINT32_MAX, 1, &x, &err), CV_OK);
		assert_int_equal(cv_dlap_sample(&rng, 1, UINT32_MAX, &x, &err), CV_OK);
		assert_int_equal(x, 0); /* P(x != 0) = 2e^-(2^32-1)/(1+e^-...) */
		assert_int_equal(cv_dlap_sample(&rng, UINT32_MAX, UINT32_MAX - 1, &x, &err), CV_OK);
		assert_int_equal(cv_dlap_bernoulli_exp(&rng, UINT32_MAX, 1, &b, &err), CV_OK);
		assert_int_equal(b, 0); /* P = e^-(2^32-1) */
		assert_int_equal(cv_dlap_bernoulli_exp(&rng, 0, UINT32_MAX, &b, &err), CV_OK);
		assert_int_equal(b, 1); /* P = 1 */
	}
}

static void test_broken_sources(void **state)
{
	cv_dlap_rng zero = {zero_uniform, NULL}, over = {over_uniform, NULL};
	int64_t x = 42;
	int b = 42;
	cv_err err;

	(void)state;
	/* Every Bernoulli succeeds: Algorithm 1's k would grow for ever. */
	assert_int_equal(cv_dlap_sample(&zero, 3, 2, &x, &err), CV_ERROR);
	assert_non_null(strstr(err.msg, "the random source is not uniform"));
	assert_int_equal(cv_dlap_bernoulli_exp(&zero, 1, 2, &b, &err), CV_ERROR);
	assert_int_equal(cv_dlap_sample(&over, 3, 2, &x, &err), CV_ERROR);
	assert_non_null(strstr(err.msg, "the random source returned 2 for a draw below 2"));
	assert_int_equal(cv_dlap_bernoulli_exp(&over, 1, 2, &b, &err), CV_ERROR);
	assert_int_equal(x, 42);
	assert_int_equal(b, 42);
}

static void test_sodium_source(void **state)
{
	static const uint64_t bounds[] = {(1ull << 40) + 3, 1ull << 32, UINT32_MAX,
					  (1ull << 42) - 1, 3};
	cv_dlap_rng rng = CV_DLAP_RNG_SODIUM;
	cv_err err;

	(void)state;
	assert_int_equal(cv_dlap_uniform_sodium(NULL, 1), 0);
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		uint64_t high = 0;

		for (int j = 0; j < 1000; j++) {
			uint64_t v = cv_dlap_uniform_sodium(NULL, bounds[i]);

			assert_true(v < bounds[i]);
			if (v >= bounds[i] / 2)
				high++;
		}
		/* the upper half is reached (all in the lower: p = 2^-1000) */
		assert_true(high > 0);
	}
	for (int i = 0; i < 100; i++) {
		int64_t x;

		assert_int_equal(cv_dlap_sample(&rng, 5, 1, &x, &err), CV_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reference_bernoulli_exp),
	    cmocka_unit_test(test_reference_dlaplace),
	    cmocka_unit_test(test_known_traces),
	    cmocka_unit_test(test_chi2_critical_values),
	    cmocka_unit_test(test_chi_square),
	    cmocka_unit_test(test_eps_parse),
	    cmocka_unit_test(test_budget_parse),
	    cmocka_unit_test(test_eps_format),
	    cmocka_unit_test(test_scale),
	    cmocka_unit_test(test_budget_check),
	    cmocka_unit_test(test_release),
	    cmocka_unit_test(test_release_all_or_nothing),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_broken_sources),
	    cmocka_unit_test(test_sodium_source),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

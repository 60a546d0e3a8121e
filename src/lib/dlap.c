/*
 * dlap.c - exact discrete Laplace sampling from uniform integer draws,
 * epsilon on a decimal grid and the privacy budget, all in integers.
 * Ground layer: calls only err and libsodium.
 *
 * Rationals are kept as (numerator, denominator) pairs of uint64_t and
 * reduced before every Bernoulli draw, so that the sequence of draws is the
 * one the authors' reference code (Python fractions) makes.  With the
 * parameter bounds of dlap.h no value exceeds 2^42; the arithmetic is
 * checked all the same.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dlap.h"
#include "err.h"
#include "banned.h"

/* Longest decimal accepted for an epsilon. */
#define EPS_TEXT_MAX 32

uint64_t cv_dlap_uniform_sodium(void *ctx, uint64_t n)
{
	uint64_t r, min;

	(void)ctx;
	if (n <= 1)
		return 0;
	if (n <= UINT32_MAX)
		return randombytes_uniform((uint32_t)n);
	/* 2^64 mod n: dropping the words below it leaves a multiple of n. */
	min = (0 - n) % n;
	do
		randombytes_buf(&r, sizeof(r));
	while (r < min);
	return r % n;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static cv_status rounds_exceeded(cv_err *err)
{
	return cv_err_set(err, CV_ERROR,
			  "the random source is not uniform: a sampling loop ran %u rounds, "
			  "which a uniform source does with probability below 2^-1000",
			  CV_DLAP_MAX_ROUNDS);
}

static cv_status overflow(cv_err *err)
{
	return cv_err_set(err, CV_ERROR, "noise sampling overflowed 64-bit arithmetic");
}

static cv_status uniform(const cv_dlap_rng *rng, uint64_t n, uint64_t *out, cv_err *err)
{
	uint64_t v = rng->uniform(rng->ctx, n);

	if (v >= n)
		return cv_err_set(
		    err, CV_ERROR,
		    "the random source returned %" PRIu64 " for a draw below %" PRIu64, v, n);
	*out = v;
	return CV_OK;
}

/* Bernoulli(num/den) for 0 <= num <= den, den >= 1: one draw below the
 * reduced denominator. */
static cv_status bernoulli(const cv_dlap_rng *rng, uint64_t num, uint64_t den, int *out,
			   cv_err *err)
{
	uint64_t g = gcd64(num, den), m = 0;
	cv_status st;

	st = uniform(rng, den / g, &m, err);
	if (st != CV_OK)
		return st;
	*out = m < num / g;
	return CV_OK;
}

/* Bernoulli(exp(-num/den)) for 0 <= num <= den (Algorithm 1): count the
 * successes of Bernoulli(x/1), Bernoulli(x/2), ... up to the first failure
 * at k; the answer is k odd. */
static cv_status bernoulli_exp1(const cv_dlap_rng *rng, uint64_t num, uint64_t den, int *out,
				cv_err *err)
{
	uint64_t k, dk;
	cv_status st;
	int b;

	for (k = 1;; k++) {
		if (k > CV_DLAP_MAX_ROUNDS)
			return rounds_exceeded(err);
		if (__builtin_mul_overflow(den, k, &dk))
			return overflow(err);
		st = bernoulli(rng, num, dk, &b, err);
		if (st != CV_OK)
			return st;
		if (!b)
			break;
	}
	*out = (int)(k & 1);
	return CV_OK;
}

/* Bernoulli(exp(-num/den)) for any num/den >= 0: exp(-gamma) is
 * exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))). */
static cv_status bernoulli_exp(const cv_dlap_rng *rng, uint64_t num, uint64_t den, int *out,
			       cv_err *err)
{
	unsigned rounds = 0;
	cv_status st;
	int b;

	while (num > den) {
		if (rounds++ >= CV_DLAP_MAX_ROUNDS)
			return rounds_exceeded(err);
		st = bernoulli_exp1(rng, 1, 1, &b, err);
		if (st != CV_OK)
			return st;
		if (!b) {
			*out = 0;
			return CV_OK;
		}
		num -= den;
	}
	return bernoulli_exp1(rng, num, den, out, err);
}

/* The number of successes of Bernoulli(exp(-1)) before the first failure:
 * geometric with P(V = v) = (1 - 1/e) e^-v. */
static cv_status geometric_exp1(const cv_dlap_rng *rng, uint64_t *out, cv_err *err)
{
	uint64_t v;
	cv_status st;
	int b;

	for (v = 0;; v++) {
		if (v >= CV_DLAP_MAX_ROUNDS)
			return rounds_exceeded(err);
		st = bernoulli_exp(rng, 1, 1, &b, err);
		if (st != CV_OK)
			return st;
		if (!b)
			break;
	}
	*out = v;
	return CV_OK;
}

/* Geometric with P(Y = y) = (1 - e^(-r/s)) e^(-r y/s) for the reduced
 * fraction r/s = 1/scale: U uniform in [0, s) kept with probability
 * exp(-U/s), V ~ geometric_exp1, Y = floor((U + s V) / r). */
static cv_status geometric_exp(const cv_dlap_rng *rng, uint64_t r, uint64_t s, uint64_t *out,
			       cv_err *err)
{
	uint64_t u = 0, v = 0, x;
	unsigned rounds = 0;
	cv_status st;
	int b;

	for (;;) {
		if (rounds++ >= CV_DLAP_MAX_ROUNDS)
			return rounds_exceeded(err);
		st = uniform(rng, s, &u, err);
		if (st != CV_OK)
			return st;
		st = bernoulli_exp(rng, u, s, &b, err);
		if (st != CV_OK)
			return st;
		if (b)
			break;
	}
	st = geometric_exp1(rng, &v, err);
	if (st != CV_OK)
		return st;
	if (__builtin_mul_overflow(v, s, &x) || __builtin_add_overflow(x, u, &x))
		return overflow(err);
	*out = x / r;
	return CV_OK;
}

static cv_status check_rng(const cv_dlap_rng *rng, cv_err *err)
{
	if (!rng || !rng->uniform)
		return cv_err_set(err, CV_EUSAGE, "no random source for the noise sampler");
	return CV_OK;
}

cv_status cv_dlap_bernoulli_exp(const cv_dlap_rng *rng, uint64_t num, uint64_t den, int *out,
				cv_err *err)
{
	cv_status st = check_rng(rng, err);

	if (st != CV_OK)
		return st;
	if (den < 1 || den > CV_DLAP_PARAM_MAX || num > CV_DLAP_PARAM_MAX)
		return cv_err_set(err, CV_EUSAGE,
				  "Bernoulli parameter exp(-%" PRIu64 "/%" PRIu64
				  ") is outside the supported range (numerator 0..%" PRIu32
				  ", denominator 1..%" PRIu32 ")",
				  num, den, CV_DLAP_PARAM_MAX, CV_DLAP_PARAM_MAX);
	return bernoulli_exp(rng, num, den, out, err);
}

cv_status cv_dlap_sample(const cv_dlap_rng *rng, uint64_t scale_num, uint64_t scale_den,
			 int64_t *out, cv_err *err)
{
	uint64_t g, s, r, mag = 0;
	unsigned rounds = 0;
	cv_status st = check_rng(rng, err);
	int neg = 0;

	if (st != CV_OK)
		return st;
	if (scale_num < 1 || scale_num > CV_DLAP_PARAM_MAX || scale_den < 1 ||
	    scale_den > CV_DLAP_PARAM_MAX)
		return cv_err_set(err, CV_EUSAGE,
				  "noise scale %" PRIu64 "/%" PRIu64
				  " is outside the supported range (both parts 1..%" PRIu32 ")",
				  scale_num, scale_den, CV_DLAP_PARAM_MAX);
	g = gcd64(scale_num, scale_den);
	s = scale_num / g; /* 1/scale = r/s */
	r = scale_den / g;
	for (;;) {
		if (rounds++ >= CV_DLAP_MAX_ROUNDS)
			return rounds_exceeded(err);
		st = bernoulli(rng, 1, 2, &neg, err);
		if (st != CV_OK)
			return st;
		st = geometric_exp(rng, r, s, &mag, err);
		if (st != CV_OK)
			return st;
		if (!(neg && mag == 0))
			break;
	}
	if (mag > INT64_MAX)
		return overflow(err);
	*out = neg ? -(int64_t)mag : (int64_t)mag;
	return CV_OK;
}

cv_status cv_dlap_scale(uint32_t sensitivity, uint32_t eps, uint64_t *num, uint64_t *den,
			cv_err *err)
{
	uint64_t n, g;

	if (sensitivity < 1 || sensitivity > CV_DLAP_SENSITIVITY_MAX)
		return cv_fail(err, CV_EUSAGE, "stats.sensitivity",
			       "sensitivity {1} is outside 1..{2}; state how much one student can "
			       "change the table",
			       CV_NUM(sensitivity), CV_NUM(CV_DLAP_SENSITIVITY_MAX));
	if (eps < 1 || eps > CV_DLAP_EPS_MAX)
		return cv_fail(err, CV_EUSAGE, "stats.epsilon",
			       "epsilon of {1}/{2} is outside 0.001..{3}", CV_NUM(eps),
			       CV_NUM(CV_DLAP_GRID), CV_NUM(CV_DLAP_EPS_MAX / CV_DLAP_GRID));
	if (__builtin_mul_overflow((uint64_t)sensitivity, (uint64_t)CV_DLAP_GRID, &n))
		return overflow(err);
	g = gcd64(n, eps);
	*num = n / g;
	*den = eps / g;
	return CV_OK;
}

/* Whether s is short and made of characters that are safe to echo. */
static int echoable(const char *s)
{
	size_t n = strnlen(s, EPS_TEXT_MAX + 1);

	return n <= EPS_TEXT_MAX && strspn(s, "0123456789.-+") == n;
}

static cv_status parse_grid(const char *what, const char *s, uint32_t max, uint32_t *out,
			    cv_err *err)
{
	char maxs[CV_DLAP_EPS_STRLEN];
	uint64_t whole = 0, frac = 0, total;
	const char *p;
	unsigned places = 0;

	cv_dlap_eps_format(max, maxs);
	if (!s || !*s)
		return cv_fail(err, CV_EUSAGE, "stats.epsilon",
			       "{1} is empty; give a decimal such as '0.5'", what);
	if (strnlen(s, EPS_TEXT_MAX + 1) > EPS_TEXT_MAX)
		return cv_fail(err, CV_EUSAGE, "stats.epsilon",
			       "{1} is longer than {2} characters; give a decimal such as '0.5'",
			       what, CV_NUM(EPS_TEXT_MAX));
	if (s[0] == '-')
		return echoable(s)
			   ? cv_fail(err, CV_EUSAGE, "stats.epsilon",
				     "{1} '{2}' is negative; give a positive decimal such as '0.5'",
				     what, s)
			   : cv_fail(err, CV_EUSAGE, "stats.epsilon",
				     "{1} is negative; give a positive decimal such as '0.5'",
				     what);
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		/* Past max the value only has to stay over it. */
		if (whole <= max)
			whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		goto malformed;
	if (*p == '.') {
		const char *q = ++p;

		for (; *p >= '0' && *p <= '9'; p++) {
			/* The grid keeps three places; the rest rounds down. */
			if (places < 3) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				places++;
			}
		}
		if (p == q)
			goto malformed;
	}
	if (*p)
		goto malformed;
	for (; places < 3; places++)
		frac *= 10;
	total = whole * CV_DLAP_GRID + frac; /* whole <= 10 * max + 9: no overflow */
	if (total == 0)
		return cv_fail(
		    err, CV_EUSAGE, "stats.epsilon",
		    "{1} '{2}' rounds down to 0 on the grid of 0.001; the smallest is 0.001", what,
		    s);
	if (total > max)
		return cv_fail(err, CV_EUSAGE, "stats.epsilon",
			       "{1} '{2}' is over the maximum of {3}", what, s, maxs);
	*out = (uint32_t)total;
	return CV_OK;
malformed:
	if (echoable(s))
		return cv_fail(err, CV_EUSAGE, "stats.epsilon",
			       "{1} '{2}' is not a decimal number; write it like '0.5' or '1'",
			       what, s);
	return cv_fail(err, CV_EUSAGE, "stats.epsilon",
		       "{1} is not a decimal number; write it like '0.5' or '1'", what);
}

cv_status cv_dlap_eps_parse(const char *s, uint32_t *out, cv_err *err)
{
	return parse_grid("epsilon", s, CV_DLAP_EPS_MAX, out, err);
}

cv_status cv_dlap_budget_parse(const char *s, uint32_t *out, cv_err *err)
{
	return parse_grid("privacy budget", s, CV_DLAP_BUDGET_MAX, out, err);
}

void cv_dlap_eps_format(uint32_t eps, char out[CV_DLAP_EPS_STRLEN])
{
	uint32_t whole = eps / CV_DLAP_GRID, frac = eps % CV_DLAP_GRID;
	int len;

	if (frac == 0) {
		snprintf(out, CV_DLAP_EPS_STRLEN, "%" PRIu32, whole);
		return;
	}
	len = snprintf(out, CV_DLAP_EPS_STRLEN, "%" PRIu32 ".%03" PRIu32, whole, frac);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
}

cv_status cv_dlap_budget_check(const cv_dlap_ledger *ledger, uint32_t want, uint32_t *left,
			       cv_err *err)
{
	char a[CV_DLAP_EPS_STRLEN], b[CV_DLAP_EPS_STRLEN], c[CV_DLAP_EPS_STRLEN];
	uint64_t used = 0, after;

	if (!ledger || (ledger->nspent && !ledger->spent))
		return cv_err_set(err, CV_EUSAGE, "no privacy budget ledger given");
	if (ledger->budget > CV_DLAP_BUDGET_MAX)
		return cv_fail(err, CV_EUSAGE, "stats.budget",
			       "a privacy budget of {1}/{2} is over the maximum of {3}",
			       CV_NUM(ledger->budget), CV_NUM(CV_DLAP_GRID),
			       CV_NUM(CV_DLAP_BUDGET_MAX / CV_DLAP_GRID));
	if (want < 1 || want > CV_DLAP_EPS_MAX)
		return cv_fail(err, CV_EUSAGE, "stats.epsilon",
			       "epsilon of {1}/{2} is outside 0.001..{3}", CV_NUM(want),
			       CV_NUM(CV_DLAP_GRID), CV_NUM(CV_DLAP_EPS_MAX / CV_DLAP_GRID));
	for (size_t i = 0; i < ledger->nspent; i++) {
		uint32_t e = ledger->spent[i];

		if (e < 1 || e > CV_DLAP_EPS_MAX)
			return cv_fail(err, CV_EINTEGRITY, "stats.ledger",
				       "privacy ledger entry {1} spends {2}/{3}, outside "
				       "0.001..{4}: the ledger is damaged",
				       CV_NUM(i + 1), CV_NUM(e), CV_NUM(CV_DLAP_GRID),
				       CV_NUM(CV_DLAP_EPS_MAX / CV_DLAP_GRID));
		if (__builtin_add_overflow(used, (uint64_t)e, &used))
			return cv_err_set(
			    err, CV_EINTEGRITY,
			    "the privacy ledger's sum overflows: the ledger is damaged");
	}
	cv_dlap_eps_format(want, a);
	cv_dlap_eps_format(ledger->budget, b);
	if (used >= ledger->budget)
		return cv_fail(err, CV_EDENIED, "stats.budget-spent",
			       "epsilon {1} is refused: the term's privacy budget of {2} is spent; "
			       "no further noisy release is possible this term",
			       a, b);
	if (__builtin_add_overflow(used, (uint64_t)want, &after) || after > ledger->budget) {
		cv_dlap_eps_format((uint32_t)(ledger->budget - used), c);
		return cv_fail(err, CV_EDENIED, "stats.budget-over",
			       "epsilon {1} would exceed the term's privacy budget of {2} ({3} "
			       "left); choose an epsilon of at most {3}",
			       a, b, c);
	}
	if (left)
		*left = (uint32_t)(ledger->budget - after);
	return CV_OK;
}

cv_status cv_dlap_release(const cv_dlap_rng *rng, const cv_dlap_ledger *ledger,
			  cv_dlap_table *tables, size_t ntables, uint32_t *spend, cv_err *err)
{
	uint64_t total = 0, cells = 0, num, den;
	int64_t *noise = NULL;
	size_t at = 0;
	cv_status st = check_rng(rng, err);

	if (st != CV_OK)
		return st;
	if (ntables == 0 || !tables)
		return cv_err_set(err, CV_EUSAGE, "a noisy release needs at least one table");
	for (size_t i = 0; i < ntables; i++) {
		st = cv_dlap_scale(tables[i].sensitivity, tables[i].eps, &num, &den, err);
		if (st != CV_OK)
			return st;
		if (tables[i].ncells && !tables[i].cells)
			return cv_err_set(err, CV_EUSAGE, "table %zu of the release has no cells",
					  i + 1);
		if (__builtin_add_overflow(total, (uint64_t)tables[i].eps, &total) ||
		    __builtin_add_overflow(cells, (uint64_t)tables[i].ncells, &cells))
			return overflow(err);
	}
	if (total > CV_DLAP_EPS_MAX) {
		char t[CV_DLAP_EPS_STRLEN];

		cv_dlap_eps_format(total > UINT32_MAX ? UINT32_MAX : (uint32_t)total, t);
		return cv_fail(
		    err, CV_EUSAGE, "stats.epsilon",
		    "the tables of one release spend epsilon {1} together, over the maximum of {2}",
		    t, CV_NUM(CV_DLAP_EPS_MAX / CV_DLAP_GRID));
	}
	/* Refuse before drawing: a refused release must not consume noise. */
	st = cv_dlap_budget_check(ledger, (uint32_t)total, NULL, err);
	if (st != CV_OK)
		return st;
	if (cells > SIZE_MAX / sizeof(*noise))
		return overflow(err);
	noise = calloc(cells ? (size_t)cells : 1, sizeof(*noise));
	if (!noise)
		return cv_err_set(err, CV_ERROR, "out of memory for %" PRIu64 " noisy cells",
				  cells);
	for (size_t i = 0; i < ntables; i++) {
		cv_dlap_scale(tables[i].sensitivity, tables[i].eps, &num, &den, NULL);
		for (size_t j = 0; j < tables[i].ncells; j++) {
			st = cv_dlap_sample(rng, num, den, &noise[at], err);
			if (st != CV_OK)
				goto out;
			if (__builtin_add_overflow(tables[i].cells[j], noise[at], &(int64_t){0})) {
				st = cv_err_set(err, CV_ERROR,
						"cell %zu of table %zu overflows with its noise",
						j + 1, i + 1);
				goto out;
			}
			at++;
		}
	}
	at = 0;
	for (size_t i = 0; i < ntables; i++)
		for (size_t j = 0; j < tables[i].ncells; j++)
			tables[i].cells[j] += noise[at++];
	if (spend)
		*spend = (uint32_t)total;
	st = CV_OK;
out:
	/* The noise and a noisy cell together give the true count away. */
	sodium_memzero(noise, (size_t)cells * sizeof(*noise));
	free(noise);
	return st;
}

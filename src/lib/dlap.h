/*
 * dlap.h - differential privacy in integers: exact discrete Laplace noise
 * (Canonne, Kamath and Steinke 2020, "The Discrete Gaussian for Differential
 * Privacy", Algorithms 1 and 2), epsilon as a decimal on a grid of 1/1000,
 * and the arithmetic of a per-term privacy budget.  Ground layer: pure
 * computation, no vault access, no floating point anywhere.
 *
 * The unit of privacy is the student.  A table's sensitivity is the most
 * the sum of its cells' absolute changes (L1) can be when all records of one
 * student are added or removed: 1 for a table in which each student counts
 * in at most one cell, c for one in which a student counts in at most c
 * cells (or adds at most c to one cell).  A table released with epsilon e
 * and sensitivity d gets independent discrete Laplace noise of scale d/e in
 * every cell; the tables of one release spend the sum of their epsilons.
 */
#ifndef CV_DLAP_H
#define CV_DLAP_H

#include <stddef.h>
#include <stdint.h>

#include "casevault.h"

/* Epsilon is counted in units of 1/CV_DLAP_GRID, rounded down. */
#define CV_DLAP_GRID 1000u
/* One release spends at most epsilon 10. */
#define CV_DLAP_EPS_MAX 10000u
/* A term's budget is at most epsilon 100. */
#define CV_DLAP_BUDGET_MAX 100000u
/* A table's sensitivity is 1..CV_DLAP_SENSITIVITY_MAX. */
#define CV_DLAP_SENSITIVITY_MAX 1000000u
/* Numerator and denominator of a rational sampler parameter, at most. */
#define CV_DLAP_PARAM_MAX UINT32_MAX
/*
 * Every loop of the sampler is a rejection or a geometric count that a
 * uniform source ends within CV_DLAP_MAX_ROUNDS rounds except with
 * probability below 2^-1000.  Past it the sampler fails with CV_ERROR (the
 * source is broken) instead of looping on: it never returns a value that
 * is not an exact sample.  The bound also keeps every intermediate below
 * 2^42 (denominators CV_DLAP_PARAM_MAX * rounds, magnitudes likewise).
 */
#define CV_DLAP_MAX_ROUNDS 1000u
/* Room for "4294967.295" and the NUL. */
#define CV_DLAP_EPS_STRLEN 16

/*
 * A source of uniform integers: uniform(ctx, n) returns an integer drawn
 * uniformly from [0, n), for 1 <= n < 2^42.  All the sampler's randomness
 * comes from it.  A value >= n is refused as a broken source.
 */
typedef uint64_t (*cv_dlap_uniform_fn)(void *ctx, uint64_t n);

typedef struct cv_dlap_rng {
	cv_dlap_uniform_fn uniform;
	void *ctx;
} cv_dlap_rng;

/*
 * cv_dlap_uniform_sodium - the production source: libsodium's CSPRNG.
 * n <= 2^32 - 1 uses randombytes_uniform; a larger n draws 64-bit words
 * and rejects those below 2^64 mod n, so the result is unbiased for every
 * n.  ctx is unused.  Needs sodium_init (cv_init).
 */
uint64_t cv_dlap_uniform_sodium(void *ctx, uint64_t n);
#define CV_DLAP_RNG_SODIUM                                                                         \
	{                                                                                          \
		cv_dlap_uniform_sodium, NULL                                                       \
	}

/*
 * cv_dlap_bernoulli_exp - one draw from Bernoulli(exp(-num/den)) into *out
 * (0 or 1), exactly: Algorithm 1 of the paper for num/den <= 1, and for a
 * larger gamma the product of floor(gamma) draws of Bernoulli(exp(-1)) and
 * one of Bernoulli(exp(-(gamma - floor(gamma)))), stopping at the first 0.
 * 0 <= num <= CV_DLAP_PARAM_MAX, 1 <= den <= CV_DLAP_PARAM_MAX, or
 * CV_EUSAGE.  CV_ERROR when the source misbehaves.
 */
cv_status cv_dlap_bernoulli_exp(const cv_dlap_rng *rng, uint64_t num, uint64_t den, int *out,
				cv_err *err);

/*
 * cv_dlap_sample - one draw from the discrete Laplace distribution of scale
 * t = scale_num/scale_den into *out: P(x) = (1 - e^(-1/t)) / (1 + e^(-1/t))
 * * e^(-|x|/t) for every integer x.  Algorithm 2 of the paper with the
 * randomness consumed in the order of the authors' reference code: sign,
 * then U uniform in [0, s) accepted with Bernoulli(exp(-U/s)), V geometric
 * from Bernoulli(exp(-1)), magnitude floor((U + s*V) / r) where
 * s/r = t in lowest terms; (negative, 0) is rejected.  Both parts of the
 * scale are 1..CV_DLAP_PARAM_MAX, or CV_EUSAGE.  CV_ERROR when the source
 * misbehaves (*out is then untouched).
 */
cv_status cv_dlap_sample(const cv_dlap_rng *rng, uint64_t scale_num, uint64_t scale_den,
			 int64_t *out, cv_err *err);

/*
 * cv_dlap_scale - the noise scale for a table: sensitivity/epsilon as the
 * fraction *num/ *den in lowest terms, where epsilon = eps/CV_DLAP_GRID.
 * sensitivity 1..CV_DLAP_SENSITIVITY_MAX, eps 1..CV_DLAP_EPS_MAX, or
 * CV_EUSAGE.
 */
cv_status cv_dlap_scale(uint32_t sensitivity, uint32_t eps, uint64_t *num, uint64_t *den,
			cv_err *err);

/*
 * cv_dlap_eps_parse - read an export's epsilon typed as a decimal ("0.5",
 * "1", "0.125": digits, optionally a point and more digits) into grid units
 * (*out = floor(value * CV_DLAP_GRID)).  CV_EUSAGE, *out untouched, for an
 * empty, malformed or negative string, one that rounds down to 0, or a
 * value over CV_DLAP_EPS_MAX / CV_DLAP_GRID.
 */
cv_status cv_dlap_eps_parse(const char *s, uint32_t *out, cv_err *err);

/* cv_dlap_budget_parse - the same for a term's budget, up to
 * CV_DLAP_BUDGET_MAX / CV_DLAP_GRID. */
cv_status cv_dlap_budget_parse(const char *s, uint32_t *out, cv_err *err);

/* Grid units as a decimal without trailing zeros: 500 -> "0.5", 1000 -> "1". */
void cv_dlap_eps_format(uint32_t eps, char out[CV_DLAP_EPS_STRLEN]);

/* A term's budget and what earlier releases in the term spent, in grid
 * units, as kept in the vault's ledger. */
typedef struct cv_dlap_ledger {
	uint32_t budget;       /* 0..CV_DLAP_BUDGET_MAX */
	const uint32_t *spent; /* nspent entries, each 1..CV_DLAP_EPS_MAX */
	size_t nspent;
} cv_dlap_ledger;

/*
 * cv_dlap_budget_check - whether spending want (1..CV_DLAP_EPS_MAX) more fits
 * the ledger: sum(spent) + want <= budget.  CV_OK and *left (may be NULL)
 * set to what would remain; CV_EDENIED when it does not fit, with the
 * amount still available in the message; CV_EUSAGE for want or budget out of
 * range; CV_EINTEGRITY for a ledger entry out of range.
 */
cv_status cv_dlap_budget_check(const cv_dlap_ledger *ledger, uint32_t want, uint32_t *left,
			       cv_err *err);

/* One table of counts to release with noise. */
typedef struct cv_dlap_table {
	int64_t *cells; /* true counts in, noisy counts out */
	size_t ncells;
	uint32_t sensitivity; /* see the top of this file */
	uint32_t eps;	      /* epsilon for this table, in grid units */
} cv_dlap_table;

/*
 * cv_dlap_release - add noise to every cell of ntables tables, all or
 * nothing.  Every parameter is checked and the release's epsilon (the sum
 * of the tables', at most CV_DLAP_EPS_MAX) is checked against the ledger
 * before the first draw: a refusal draws nothing and leaves every cell as
 * it was, as does any failure.  On CV_OK *spend (may be NULL) is the
 * release's epsilon, to be added to the ledger.  Errors as for
 * cv_dlap_budget_check and cv_dlap_sample; CV_ERROR when memory runs out or
 * a noisy count would overflow.
 */
cv_status cv_dlap_release(const cv_dlap_rng *rng, const cv_dlap_ledger *ledger,
			  cv_dlap_table *tables, size_t ntables, uint32_t *spend, cv_err *err);

#endif

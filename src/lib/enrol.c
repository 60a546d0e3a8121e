/*
 * enrol.c - middle layer: one-time enrolment codes: 19 random Crockford
 * base32 symbols and a check symbol, shown in four groups of five; the
 * X25519 and Ed25519 key pairs derived from them (docs/FORMAT.md §10.4).
 */
#include <string.h>

#include "buf.h"
#include "enrol.h"
#include "err.h"
#include "vocab.h"
#include "banned.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char check_domain[] = "casevault-enrol-check-v1";
static const char sign_domain[] = "casevault-enrol-sign-v1";
static const char box_domain[] = "casevault-enrol-box-v1";

#define SYMBOLS_ALL (CV_ENROL_SYMBOLS + 1)
#define GROUP 5

static char check_symbol(const char sym[CV_ENROL_SYMBOLS])
{
	uint8_t h[CV_DIGEST_LEN];
	cv_bytes part = {sym, CV_ENROL_SYMBOLS};
	char c;

	cv_hash(h, NULL, 0, check_domain, &part, 1);
	c = alphabet[h[0] & 31];
	sodium_memzero(h, sizeof(h));
	return c;
}

/* secrets (CV_SECRETS_LEN, sodium_malloc'd by the caller) = box sk ||
 * sign sk; the public halves into box_pk and sign_pk. */
static void derive(const cv_vault *v, int64_t id, int64_t cert_seq,
		   const char sym[CV_ENROL_SYMBOLS], uint8_t *secrets,
		   uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
		   uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES])
{
	uint8_t seed[CV_DIGEST_LEN], uid[8], seq[8];
	const cv_bytes parts[] = {{v->vault_id, CV_VAULT_ID_LEN},
				  {uid, sizeof(uid)},
				  {seq, sizeof(seq)},
				  {sym, CV_ENROL_SYMBOLS}};

	cv_store_u64be(uid, (uint64_t)id);
	cv_store_u64be(seq, (uint64_t)cert_seq);
	cv_hash(seed, NULL, 0, box_domain, parts, ARRAY_SIZE(parts));
	crypto_box_seed_keypair(box_pk, secrets, seed);
	cv_hash(seed, NULL, 0, sign_domain, parts, ARRAY_SIZE(parts));
	crypto_sign_seed_keypair(sign_pk, secrets + crypto_box_SECRETKEYBYTES, seed);
	sodium_memzero(seed, sizeof(seed));
}

cv_status cv_enrol_code_new(const cv_vault *v, int64_t id, int64_t cert_seq, char *code,
			    uint8_t box_pk[crypto_box_PUBLICKEYBYTES],
			    uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES], cv_err *err)
{
	char *sym = sodium_malloc(SYMBOLS_ALL);
	uint8_t *secrets = sodium_malloc(CV_SECRETS_LEN);
	size_t o = 0;

	if (!sym || !secrets) {
		sodium_free(sym);
		sodium_free(secrets);
		return cv_err_set(err, CV_ERROR, "out of memory");
	}
	for (size_t i = 0; i < CV_ENROL_SYMBOLS; i++)
		sym[i] = alphabet[randombytes_uniform(32)];
	sym[CV_ENROL_SYMBOLS] = check_symbol(sym);
	for (size_t i = 0; i < SYMBOLS_ALL; i++) {
		if (i && i % GROUP == 0)
			code[o++] = '-';
		code[o++] = sym[i];
	}
	code[o] = '\0';
	derive(v, id, cert_seq, sym, secrets, box_pk, sign_pk);
	sodium_free(sym);
	sodium_free(secrets);
	return CV_OK;
}

/* The symbol c stands for, upper-cased and with O, I and L read as the
 * digits they resemble; 0 when it is none. */
static char symbol_of(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	return c && strchr(alphabet, c) ? c : 0;
}

cv_status cv_enrol_code_open(const cv_vault *v, int64_t id, int64_t cert_seq, const char *code,
			     cv_keyholder **out, cv_err *err)
{
	char *sym = sodium_malloc(SYMBOLS_ALL);
	uint8_t *secrets = sodium_malloc(CV_SECRETS_LEN);
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES], sign_pk[crypto_sign_PUBLICKEYBYTES];
	size_t n = 0;
	cv_status st;

	*out = NULL;
	if (!sym || !secrets) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	for (const char *p = code; *p; p++) {
		char c;

		if (*p == '-' || *p == ' ')
			continue;
		c = symbol_of(*p);
		if (!c || n == SYMBOLS_ALL)
			goto bad;
		sym[n++] = c;
	}
	if (n != SYMBOLS_ALL || check_symbol(sym) != sym[CV_ENROL_SYMBOLS])
		goto bad;
	derive(v, id, cert_seq, sym, secrets, box_pk, sign_pk);
	st = cv_keyholder_local(secrets, box_pk, sign_pk, out, err);
	goto out;
bad:
	st = cv_fail(err, CV_EAUTH, CV_CODE_ENROL_MISTYPED,
		     "the enrolment code is mistyped (it is 20 letters and digits in groups of "
		     "five); check it against the one your admin gave you");
out:
	sodium_free(sym);
	sodium_free(secrets);
	return st;
}

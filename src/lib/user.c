/*
 * user.c - commands: user accounts (add, enrol, list, passwd, rotate,
 * disable, reset), and the passphrase wrapping of a user's secret keys.
 * The certificates themselves are cert.c's, the enrolment codes enrol.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "policy.h"
#include "buf.h"
#include "err.h"
#include "text.h"
#include "cert.h"
#include "enrol.h"
#include "user.h"
#include "vkeys.h"
#include "recovery.h"
#include "crypt.h"
#include "banned.h"

static const char keys_domain[] = "casevault-user-keys-v1";

#define KEYS_AD_LEN (sizeof(keys_domain) - 1 + CV_VAULT_ID_LEN + 8 + 8)

/* The associated data of r's wrapped keys: they open only for this user
 * and as wrapped at r->keys_seq, so an older wrapping (an old passphrase)
 * put back fails to open or fails the check against the log. */
static void keys_ad(const cv_vault *v, const cv_user_rec *r, uint8_t ad[KEYS_AD_LEN])
{
	size_t o = sizeof(keys_domain) - 1;

	memcpy(ad, keys_domain, o);
	memcpy(ad + o, v->vault_id, CV_VAULT_ID_LEN);
	cv_store_u64be(ad + o + CV_VAULT_ID_LEN, (uint64_t)r->id);
	cv_store_u64be(ad + o + CV_VAULT_ID_LEN + 8, (uint64_t)r->keys_seq);
}

static void kdf_encode(const cv_kdf_params *k, uint8_t out[12])
{
	uint32_t v[3] = {k->t_cost, k->m_cost_kib, k->parallelism};

	for (int i = 0; i < 3; i++) {
		out[4 * i] = (uint8_t)(v[i] >> 24);
		out[4 * i + 1] = (uint8_t)(v[i] >> 16);
		out[4 * i + 2] = (uint8_t)(v[i] >> 8);
		out[4 * i + 3] = (uint8_t)v[i];
	}
}

cv_status cv_user_kdf_default(cv_vault *v, cv_kdf_params *kdf, cv_err *err)
{
	uint8_t b[12];
	uint32_t x[3];
	cv_status st = cv_store_meta_get(v->st, "kdf_default", b, sizeof(b), err);

	if (st != CV_OK)
		return st;
	for (int i = 0; i < 3; i++)
		x[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	kdf->t_cost = x[0];
	kdf->m_cost_kib = x[1];
	kdf->parallelism = x[2];
	return cv_kdf_params_check(kdf, err);
}

cv_status cv_user_kdf_set_default(cv_vault *v, const cv_kdf_params *kdf, cv_err *err)
{
	uint8_t b[12];

	kdf_encode(kdf, b);
	return cv_store_meta_put(v->st, "kdf_default", b, sizeof(b), err);
}

/* A code is good for CV_ENROL_DAYS_MAX days from the row that made it
 * (user add or user reset), to the day, whatever its certificate says:
 * only a modified program could sign a longer expiry.  Past that, it has
 * expired (the code of a refusal before any key is at hand, §7.4). */
static cv_status code_lifetime(cv_vault *v, const cv_user_rec *r, const char *now, cv_err *err)
{
	char made[CV_TIME_LEN], made_day[11], last[11], days[24];
	int ok = 0;
	cv_status st = cv_store_audit_time(v->st, r->cert_seq, made, &ok, err);

	if (st == CV_ENOTFOUND || (st == CV_OK && !ok))
		return cv_fail(err, CV_EINTEGRITY, CV_CODE_AUTH_UNVERIFIED,
			       "the log row that made the enrolment code of '{1}' is missing: the "
			       "vault was tampered with (run 'casevault audit verify')",
			       r->name);
	if (st != CV_OK)
		return st;
	snprintf(made_day, sizeof(made_day), "%.10s", made);
	cv_date_add_days(made_day, (int)CV_ENROL_DAYS_MAX, last);
	if (strncmp(now, last, 10) > 0)
		return cv_fail(err, CV_EAUTH, CV_CODE_ENROL_EXPIRED,
			       "the enrolment code of '{1}' was made on {2} and is good for {3} "
			       "days only; ask an admin for a new one ('casevault user reset')",
			       r->name, made_day, cv_num(days, CV_ENROL_DAYS_MAX));
	return CV_OK;
}

/* Wraps secrets for r under Argon2id(pass) with fresh salt and nonce. */
static cv_status wrap_new(cv_vault *v, cv_user_rec *r, const cv_kdf_params *kdf, const char *pass,
			  size_t passlen, cv_keyholder *kh, cv_err *err)
{
	uint8_t ad[KEYS_AD_LEN];
	uint8_t *key = sodium_malloc(CV_KDF_KEY_LEN);
	cv_status st;

	if (!key)
		return cv_err_set(err, CV_ERROR, "out of memory");
	r->kdf_alg = CV_KDF_ALG_ARGON2ID13;
	r->kdf = *kdf;
	randombytes_buf(r->salt, sizeof(r->salt));
	st = cv_kdf_derive(r->kdf_alg, &r->kdf, pass, passlen, r->salt, key, err);
	if (st == CV_OK) {
		keys_ad(v, r, ad);
		st = cv_keyholder_wrap(kh, key, ad, sizeof(ad), r->key_nonce, r->key_box, err);
	}
	sodium_free(key);
	return st;
}

cv_status cv_user_create(cv_vault *v, const char *name, const char *pass, size_t passlen,
			 const cv_kdf_params *kdf, cv_user_rec *out, cv_keyholder **kh_out,
			 cv_err *err)
{
	uint8_t *secrets = sodium_malloc(CV_SECRETS_LEN);
	cv_keyholder *kh = NULL;
	cv_user_rec r = {0};
	cv_status st;

	*kh_out = NULL;
	if (!secrets)
		return cv_err_set(err, CV_ERROR, "out of memory");
	r.id = 1;
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.role, sizeof(r.role), "%s", cv_role_name(CV_ROLE_ADMIN));
	snprintf(r.status, sizeof(r.status), "%s", cv_user_state_name(CV_USER_ACTIVE));
	cv_time_now(r.created);
	crypto_box_keypair(r.box_pk, secrets);
	crypto_sign_keypair(r.sign_pk, secrets + crypto_box_SECRETKEYBYTES);
	st = cv_keyholder_local(secrets, r.box_pk, r.sign_pk, &kh, err);
	if (st != CV_OK)
		goto out;
	r.cert_seq = r.keys_seq = r.status_seq = 1; /* the vault.init row */
	r.creator_id = r.status_signer_id = 1;
	st = wrap_new(v, &r, kdf, pass, passlen, kh, err);
	if (st == CV_OK)
		st = cv_cert_sign(v, &r, CV_CERT_IDENTITY, kh, err);
	if (st == CV_OK)
		st = cv_cert_sign(v, &r, CV_CERT_STATUS, kh, err);
	if (st == CV_OK)
		st = cv_store_user_insert(v->st, &r, err);
	if (st != CV_OK)
		goto out;
	*out = r;
	*kh_out = kh;
	kh = NULL;
out:
	sodium_free(secrets);
	cv_keyholder_free(kh);
	return st;
}

cv_status cv_user_unlock(cv_vault *v, const cv_user_rec *r, const char *pass, size_t passlen,
			 cv_keyholder **out, cv_err *err)
{
	uint8_t *key = sodium_malloc(CV_KDF_KEY_LEN);
	uint8_t *secrets = sodium_malloc(CV_SECRETS_LEN);
	uint8_t ad[KEYS_AD_LEN];
	cv_status st;

	*out = NULL;
	if (!key || !secrets) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	st = cv_kdf_derive(r->kdf_alg, &r->kdf, pass, passlen, r->salt, key, err);
	if (st == CV_EUSAGE) /* stored parameters out of range: an edited record */
		st = cv_cert_bad(
		    err, r, "user.cert-kdf",
		    CV_TMPL("the record of user '{1}' fails verification: its key derivation "
			    "parameters are out of range; the vault was tampered with (run "
			    "'casevault audit verify' and restore from a backup)"));
	if (st != CV_OK)
		goto out;
	keys_ad(v, r, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secrets, NULL, NULL, r->key_box,
						       sizeof(r->key_box), ad, sizeof(ad),
						       r->key_nonce, key) != 0) {
		st = cv_fail(err, CV_EAUTH, CV_CODE_AUTH_PASSPHRASE, "wrong passphrase for '{1}'",
			     r->name);
		goto out;
	}
	st = cv_keyholder_local(secrets, r->box_pk, r->sign_pk, out, err);
out:
	sodium_free(key);
	sodium_free(secrets);
	return st;
}

cv_status cv_user_match_log(cv_vault *v, const cv_user_rec *r, cv_err *err)
{
	const char *set_identity[] = {
	    cv_action_name(CV_ACT_USER_ADD), cv_action_name(CV_ACT_USER_RESET),
	    cv_action_name(CV_ACT_USER_ENROL), cv_action_name(CV_ACT_USER_ROTATE)};
	const char *set_status[] = {
	    cv_action_name(CV_ACT_USER_ADD), cv_action_name(CV_ACT_USER_RESET),
	    cv_action_name(CV_ACT_USER_ENROL), cv_action_name(CV_ACT_USER_DISABLE)};
	const char *set_keys[] = {
	    cv_action_name(CV_ACT_USER_ADD), cv_action_name(CV_ACT_USER_RESET),
	    cv_action_name(CV_ACT_USER_ENROL), cv_action_name(CV_ACT_USER_ROTATE),
	    cv_action_name(CV_ACT_USER_PASSWD)};
	const char *ok = cv_outcome_name(CV_OUT_OK);
	char object[CV_NAME_MAX + 8], at[24], logged[24];
	int64_t identity = 0, status = 0, keys = 0, mine = 0, theirs = 0;
	cv_status st;

	snprintf(object, sizeof(object), "user:%s", r->name);
	st = cv_store_audit_last_seq(v->st, object, ok, set_identity, ARRAY_SIZE(set_identity),
				     &identity, err);
	if (st == CV_OK)
		st = cv_store_audit_last_seq(v->st, object, ok, set_status, ARRAY_SIZE(set_status),
					     &status, err);
	if (st == CV_OK)
		st = cv_store_audit_last_seq(v->st, object, ok, set_keys, ARRAY_SIZE(set_keys),
					     &keys, err);
	if (st != CV_OK)
		return st;
	/* The first admin, made by vault.init (row 1), has no user.* row. */
	identity = identity ? identity : 1;
	status = status ? status : 1;
	keys = keys ? keys : 1;
	if (status != r->status_seq)
		mine = r->status_seq, theirs = status;
	else if (identity != r->cert_seq)
		mine = r->cert_seq, theirs = identity;
	else if (keys != r->keys_seq)
		mine = r->keys_seq, theirs = keys;
	if (mine || theirs)
		return cv_fail(err, CV_EINTEGRITY, "users.mismatch",
			       "the record of user '{1}' does not match the log (changed at row "
			       "{2}, the log says row {3}): an old copy of it was put back; run "
			       "'casevault audit verify' and restore from a backup",
			       r->name, cv_num(at, mine), cv_num(logged, theirs));
	return CV_OK;
}

/* ---- enrolment certificates --------------------------------------------- */

/* out = now + days, as a time. */
static void time_after_days(unsigned days, char out[CV_TIME_LEN])
{
	time_t t = (time_t)(cv_clock() + (int64_t)days * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, CV_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cv_status days_check(unsigned *days, cv_err *err)
{
	char n[24];

	if (*days == 0)
		*days = CV_ENROL_DAYS_DEFAULT;
	if (*days > CV_ENROL_DAYS_MAX)
		return cv_fail(err, CV_EUSAGE, "user.enrol-days",
			       "an enrolment code is valid for at most {1} days",
			       cv_num(n, CV_ENROL_DAYS_MAX));
	return CV_OK;
}

/*
 * Makes r (id, name, role and created set) a pending account as of audit
 * row cert_seq: an enrolment certificate for a fresh code (into code)
 * expiring at `expires`, signed by s's admin, with status pending and no
 * wrapped keys (all zero until the user enrols).
 */
static cv_status make_pending(cv_session *s, cv_user_rec *r, int64_t cert_seq, const char *expires,
			      char *code, cv_err *err)
{
	cv_status st;

	snprintf(r->expires, sizeof(r->expires), "%s", expires);
	st = cv_enrol_code_new(s->v, r->id, cert_seq, code, r->box_pk, r->sign_pk, err);
	if (st != CV_OK)
		return st;
	r->cert_seq = r->status_seq = r->keys_seq = cert_seq;
	r->creator_id = r->status_signer_id = s->me.id;
	r->has_self_sig = 0;
	sodium_memzero(r->self_sig, sizeof(r->self_sig));
	snprintf(r->status, sizeof(r->status), "%s", cv_user_state_name(CV_USER_PENDING));
	r->kdf_alg = 0;
	memset(&r->kdf, 0, sizeof(r->kdf));
	sodium_memzero(r->salt, sizeof(r->salt));
	sodium_memzero(r->key_nonce, sizeof(r->key_nonce));
	sodium_memzero(r->key_box, sizeof(r->key_box));
	st = cv_cert_sign(s->v, r, CV_CERT_IDENTITY, s->kh, err);
	if (st == CV_OK)
		st = cv_cert_sign(s->v, r, CV_CERT_STATUS, s->kh, err);
	if (st != CV_OK)
		sodium_memzero(code, CV_ENROL_CODE_LEN + 1);
	return st;
}

cv_status cv_user_add_until(cv_session *s, const char *name, cv_role role, const char *expires,
			    char *code, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8], detail[64];
	cv_user_rec r = {0}, existing;
	cv_status st;

	snprintf(object, sizeof(object), "user:%s",
		 cv_name_check(name, NULL) == CV_OK ? name : "?");
	st = cv_policy_check(s, CV_ACT_USER_ADD, object, err);
	if (st != CV_OK)
		return st;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = cv_name_check(name, err);
	if (st == CV_OK && role != CV_ROLE_COUNSELOR && role != CV_ROLE_SUPERVISOR &&
	    role != CV_ROLE_ADMIN)
		st = cv_fail(err, CV_EUSAGE, "user.role",
			     "unknown role; use counselor, supervisor or admin");
	if (st == CV_OK) {
		st = cv_store_user_by_name(s->v->st, name, &existing, err);
		if (st == CV_OK)
			st = cv_fail(err, CV_EUSAGE, "user.exists",
				     "user '{1}' already exists; choose another name", name);
		else if (st == CV_ENOTFOUND)
			st = cv_store_user_next_id(s->v->st, &r.id, err);
	}
	if (st == CV_OK) {
		snprintf(r.name, sizeof(r.name), "%s", name);
		snprintf(r.role, sizeof(r.role), "%s", cv_role_name(role));
		cv_time_now(r.created);
		st = make_pending(s, &r, s->head.seq + 1, expires, code, err);
	}
	if (st == CV_OK)
		st = cv_store_user_insert(s->v->st, &r, err);
	/* No vault key here: admins hold none.  The new user's come from a
	 * colleague of the same role, or from 'vault keys --deliver'. */
	if (st != CV_OK) {
		sodium_memzero(code, CV_ENROL_CODE_LEN + 1);
		return cv_op_fail(s, CV_ACT_USER_ADD, object, err);
	}
	snprintf(detail, sizeof(detail), "role=%s", cv_role_name(role));
	st = cv_op_log(s, CV_ACT_USER_ADD, object, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		sodium_memzero(code, CV_ENROL_CODE_LEN + 1);
	return st;
}

/* ---- public API --------------------------------------------------------- */

cv_status cv_user_add(cv_session *s, const char *name, cv_role role, unsigned days, char *code,
		      cv_err *err)
{
	CV_ERR_GUARD(err);
	char expires[CV_TIME_LEN];
	cv_status st = days_check(&days, err);

	if (st != CV_OK)
		return st;
	time_after_days(days, expires);
	return cv_user_add_until(s, name, role, expires, code, err);
}

/* The codes a failed enrolment's unsigned row may carry (docs/FORMAT.md
 * §7.5); anything else is logged as CV_CODE_ENROL_FAILED. */
static const char *enrol_reason(const cv_err *err)
{
	static const char *const known[] = {CV_CODE_AUTH_UNKNOWN,    CV_CODE_AUTH_MALFORMED,
					    CV_CODE_AUTH_UNVERIFIED, CV_CODE_AUTH_DISABLED,
					    CV_CODE_ENROL_MISTYPED,  CV_CODE_ENROL_CODE,
					    CV_CODE_ENROL_EXPIRED,   CV_CODE_ENROL_NOT_PENDING};

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(err->code, known[i]) == 0)
			return known[i];
	return CV_CODE_ENROL_FAILED;
}

/* Rolls back and logs a failed enrolment without a signature (no key of
 * the user's is at hand): one `user.enrol` row, detail its reason code,
 * with err's code set to why (NULL: keep it). */
static cv_status enrol_failed(cv_vault *v, const char *name, const char *why, cv_err *err)
{
	char object[CV_NAME_MAX + 8];
	cv_err lerr = {0};
	cv_status orig = err->status;

	cv_store_rollback(v->st);
	if (why)
		snprintf(err->code, sizeof(err->code), "%s", why);
	snprintf(object, sizeof(object), "user:%s", name);
	if (cv_audit_unsigned(v, name, CV_ACT_USER_ENROL, object, cv_outcome_of(orig),
			      enrol_reason(err), &lerr) != CV_OK) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, " (and the audit row failed: %s)",
			 lerr.msg);
	}
	err->status = orig;
	return orig;
}

/* New key pairs, made here, into a key holder; public halves into r. */
static cv_status new_keys(cv_user_rec *r, cv_keyholder **kh, cv_err *err)
{
	uint8_t *secrets = sodium_malloc(CV_SECRETS_LEN);
	cv_status st;

	*kh = NULL;
	if (!secrets)
		return cv_err_set(err, CV_ERROR, "out of memory");
	crypto_box_keypair(r->box_pk, secrets);
	crypto_sign_keypair(r->sign_pk, secrets + crypto_box_SECRETKEYBYTES);
	st = cv_keyholder_local(secrets, r->box_pk, r->sign_pk, kh, err);
	sodium_free(secrets);
	return st;
}

/* Checks a pending record and the typed code inside the enrolment's
 * transaction; *code_kh the code's key holder. */
static cv_status enrol_check(cv_vault *v, const char *name, const char *code, cv_user_rec *r,
			     cv_keyholder **code_kh, cv_err *err)
{
	char now[CV_TIME_LEN];
	cv_status st;

	st = cv_store_user_by_name(v->st, name, r, err);
	if (st == CV_ENOTFOUND)
		return cv_fail(err, CV_EAUTH, CV_CODE_AUTH_UNKNOWN,
			       "no user '{1}' in this vault; check the name with your admin", name);
	if (st == CV_EINTEGRITY)
		return cv_fail(err, CV_EINTEGRITY, CV_CODE_AUTH_MALFORMED,
			       "the record of user '{1}' is malformed (tampered or damaged); run "
			       "'casevault audit verify'",
			       name);
	if (st != CV_OK)
		return st;
	st = cv_user_verify(v, r, err);
	if (st == CV_OK)
		st = cv_user_match_log(v, r, err);
	if (st == CV_EINTEGRITY)
		snprintf(err->code, sizeof(err->code), "%s", CV_CODE_AUTH_UNVERIFIED);
	if (st != CV_OK)
		return st;
	switch (cv_word_parse(&cv_user_states, r->status)) {
	case CV_USER_PENDING:
		break;
	case CV_USER_DISABLED:
		return cv_fail(err, CV_EAUTH, CV_CODE_AUTH_DISABLED,
			       "user '{1}' is disabled; ask an admin", name);
	default:
		return cv_fail(err, CV_EAUTH, CV_CODE_ENROL_NOT_PENDING,
			       "user '{1}' has no enrolment pending (a code is good for one "
			       "enrolment); log in with your passphrase, or ask an admin for "
			       "'casevault user reset'",
			       name);
	}
	st = cv_enrol_code_open(v, r->id, r->cert_seq, code, code_kh, err);
	if (st != CV_OK)
		return st;
	if (sodium_memcmp((*code_kh)->sign_pk, r->sign_pk, sizeof(r->sign_pk)) != 0 ||
	    sodium_memcmp((*code_kh)->box_pk, r->box_pk, sizeof(r->box_pk)) != 0)
		return cv_fail(err, CV_EAUTH, CV_CODE_ENROL_CODE,
			       "that is not the enrolment code of '{1}'; use the latest code your "
			       "admin gave you",
			       name);
	cv_time_now(now);
	if (strcmp(now, r->expires) > 0)
		return cv_fail(err, CV_EAUTH, CV_CODE_ENROL_EXPIRED,
			       "the enrolment code of '{1}' expired at {2}; ask an admin for a new "
			       "one ('casevault user reset')",
			       name, r->expires);
	return code_lifetime(v, r, now, err);
}

cv_status cv_user_enrol(cv_vault *v, const char *name, const char *code, const char *pass,
			size_t passlen, const cv_kdf_params *kdf, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8], detail[48];
	cv_keyholder *code_kh = NULL;
	cv_session s = {0};
	cv_kdf_params params;
	cv_user_rec pending;
	int64_t cases = 0;
	cv_status st;

	if ((st = cv_name_check(name, err)) != CV_OK ||
	    (st = cv_passphrase_check(pass, passlen, err)) != CV_OK)
		return st;
	if (kdf)
		params = *kdf;
	else if ((st = cv_user_kdf_default(v, &params, err)) != CV_OK)
		return st;
	if ((st = cv_kdf_params_check(&params, err)) != CV_OK)
		return st;
	snprintf(object, sizeof(object), "user:%s", name);
	s.v = v;
	st = cv_op_begin(&s, err);
	if (st != CV_OK)
		return st;
	st = enrol_check(v, name, code, &pending, &code_kh, err);
	if (st != CV_OK)
		goto fail;
	/* The user's own key pairs, made in this process; certified by the
	 * code's key and by themselves at the user.enrol row. */
	s.me = pending;
	s.role = cv_user_role(&pending);
	st = new_keys(&s.me, &s.kh, err);
	s.me.cert_seq = s.me.status_seq = s.me.keys_seq = s.head.seq + 1;
	if (st == CV_OK)
		st = cv_cert_sign_keys(v, &s.me, &pending, code_kh, s.kh, err);
	snprintf(s.me.status, sizeof(s.me.status), "%s", cv_user_state_name(CV_USER_ACTIVE));
	s.me.status_signer_id = s.me.id;
	if (st == CV_OK)
		st = cv_cert_sign(v, &s.me, CV_CERT_STATUS, s.kh, err);
	if (st == CV_OK)
		st = wrap_new(v, &s.me, &params, pass, passlen, s.kh, err);
	if (st == CV_OK)
		st = cv_store_history_insert(v->st, &pending, s.me.cert_seq, err);
	if (st == CV_OK)
		st = cv_store_user_update_identity(v->st, &s.me, err);
	if (st == CV_OK)
		st = cv_store_user_update_status(v->st, &s.me, err);
	if (st == CV_OK)
		st = cv_store_user_update_keys(v->st, &s.me, err);
	/* What was sealed to the code (a reset's grants, vault keys) now
	 * goes to the user's own key. */
	if (st == CV_OK)
		st = cv_access_rekey_user(&s, code_kh, &s.me, s.kh, &cases, err);
	if (st == CV_OK)
		st = cv_vkeys_rekey(v, code_kh, &s.me, s.kh, err);
	snprintf(detail, sizeof(detail), "cases=%lld", (long long)cases);
	if (st == CV_OK)
		st = cv_op_log(&s, CV_ACT_USER_ENROL, object, CV_OUT_OK, detail, err);
	/* What was written verifies as any reader will check it (the row's
	 * time against the code's expiry among the rest). */
	if (st == CV_OK) {
		st = cv_user_verify(v, &s.me, err);
		if (st != CV_OK && strcmp(err->code, "user.cert-enrol-expired") == 0)
			st = cv_fail(err, CV_EAUTH, CV_CODE_ENROL_EXPIRED,
				     "the enrolment code of '{1}' expired at {2}; ask an admin "
				     "for a new one ('casevault user reset')",
				     name, pending.expires);
	}
	if (st != CV_OK)
		goto fail;
	st = cv_op_commit(&s, err);
	goto out;
fail:
	st = enrol_failed(v, name, NULL, err);
out:
	cv_keyholder_free(code_kh);
	cv_keyholder_free(s.kh);
	sodium_memzero(&s, sizeof(s));
	return st;
}

cv_status cv_user_list(cv_session *s, cv_user_cb cb, void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_user_rec *all = NULL;
	size_t n = 0;
	cv_status st = cv_policy_check(s, CV_ACT_USER_LIST, "users", err);

	if (st == CV_OK)
		st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_USER_LIST, "users", CV_OUT_OK, "", err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st == CV_OK)
		st = cv_user_all(s->v, &all, &n, err);
	for (size_t i = 0; i < n && st == CV_OK; i++) {
		const cv_user_rec *r = &all[i];
		int state = cv_word_parse(&cv_user_states, r->status);
		int64_t signer_id =
		    state == CV_USER_ACTIVE ? cv_user_certifier(s->v, r) : r->status_signer_id;
		char signer[CV_NAME_MAX + 8];
		cv_err why = {0};
		cv_status v_st = cv_user_verify(s->v, r, &why);
		cv_user_info u = {r->id,
				  r->name,
				  cv_user_role(r),
				  state != CV_USER_ACTIVE && state != CV_USER_PENDING,
				  cv_user_state_name(state),
				  state == CV_USER_PENDING ? r->expires : "",
				  r->created,
				  cv_user_name(s->v, signer_id, signer, sizeof(signer)),
				  v_st == CV_OK};

		if (v_st != CV_OK && v_st != CV_EINTEGRITY) { /* not a finding: an error */
			*err = why;
			st = v_st;
			break;
		}
		if (cb(&u, arg))
			break;
	}
	free(all);
	return st;
}

cv_status cv_user_passwd(cv_session *s, const char *newpass, size_t newlen, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8];
	cv_kdf_params params;
	cv_user_rec r = s->me;
	cv_status st;

	snprintf(object, sizeof(object), "user:%s", s->me.name);
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = cv_passphrase_check(newpass, newlen, err);
	if (st == CV_OK)
		st = cv_user_kdf_default(s->v, &params, err);
	r.keys_seq = s->head.seq + 1; /* the user.passwd row */
	if (st == CV_OK)
		st = wrap_new(s->v, &r, &params, newpass, newlen, s->kh, err);
	if (st == CV_OK)
		st = cv_store_user_update_keys(s->v->st, &r, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_USER_PASSWD, object, err);
	st = cv_op_log(s, CV_ACT_USER_PASSWD, object, CV_OUT_OK, "", err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st == CV_OK)
		s->me = r;
	return st;
}

cv_status cv_user_rotate(cv_session *s, const char *newpass, size_t newlen, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8], detail[48];
	cv_keyholder *nkh = NULL, *old_kh = s->kh;
	cv_user_rec r = s->me, old = s->me;
	cv_kdf_params params;
	int64_t cases = 0;
	cv_status st;

	snprintf(object, sizeof(object), "user:%s", s->me.name);
	st = cv_policy_check(s, CV_ACT_USER_ROTATE, object, err);
	if (st != CV_OK)
		return st;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = cv_passphrase_check(newpass, newlen, err);
	if (st == CV_OK)
		st = cv_user_kdf_default(s->v, &params, err);
	if (st == CV_OK)
		st = new_keys(&r, &nkh, err);
	r.cert_seq = r.keys_seq = s->head.seq + 1; /* the user.rotate row */
	if (st == CV_OK)
		st = cv_cert_sign_keys(s->v, &r, &old, old_kh, nkh, err);
	if (st == CV_OK)
		st = wrap_new(s->v, &r, &params, newpass, newlen, nkh, err);
	if (st == CV_OK)
		st = cv_store_history_insert(s->v->st, &old, r.cert_seq, err);
	if (st == CV_OK)
		st = cv_store_user_update_identity(s->v->st, &r, err);
	if (st == CV_OK)
		st = cv_store_user_update_keys(s->v->st, &r, err);
	/* The user holds their case and vault keys: re-seal them to the new
	 * box key from the copies the old one opens. */
	if (st == CV_OK)
		st = cv_access_rekey_user(s, old_kh, &r, nkh, &cases, err);
	if (st == CV_OK)
		st = cv_vkeys_rekey(s->v, old_kh, &r, nkh, err);
	if (st != CV_OK) {
		cv_keyholder_free(nkh);
		return cv_op_fail(s, CV_ACT_USER_ROTATE, object, err);
	}
	snprintf(detail, sizeof(detail), "cases=%lld", (long long)cases);
	st = cv_op_log(s, CV_ACT_USER_ROTATE, object, CV_OUT_OK, detail, err);
	/* The checkpoint is signed with the identity in force at its row: the
	 * new one. */
	s->kh = nkh;
	s->me = r;
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK) {
		s->kh = old_kh;
		s->me = old;
		cv_keyholder_free(nkh);
		return cv_op_fail(s, CV_ACT_USER_ROTATE, object, err);
	}
	cv_keyholder_free(old_kh);
	return CV_OK;
}

struct admins_ctx {
	int64_t except;
	int active;
};

static int count_admins(const cv_user_rec *r, void *arg)
{
	struct admins_ctx *c = arg;

	if (r->id != c->except && cv_user_role(r) == CV_ROLE_ADMIN &&
	    cv_word_parse(&cv_user_states, r->status) == CV_USER_ACTIVE)
		c->active++;
	return 0;
}

cv_status cv_user_disable(cv_session *s, const char *name, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8], detail[64];
	struct admins_ctx admins = {0};
	cv_user_rec r;
	cv_status st;

	snprintf(object, sizeof(object), "user:%s",
		 cv_name_check(name, NULL) == CV_OK ? name : "?");
	st = cv_policy_check(s, CV_ACT_USER_DISABLE, object, err);
	if (st != CV_OK)
		return st;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = cv_name_check(name, err);
	if (st == CV_OK)
		st = cv_store_user_by_name(s->v->st, name, &r, err);
	if (st == CV_OK && r.id == s->me.id)
		st = cv_fail(err, CV_EUSAGE, "user.disable-self",
			     "you cannot disable your own account; ask another admin");
	if (st == CV_OK && cv_word_parse(&cv_user_states, r.status) == CV_USER_DISABLED)
		st = cv_fail(err, CV_EUSAGE, "user.already-disabled",
			     "user '{1}' is already disabled", name);
	if (st == CV_OK && cv_user_role(&r) == CV_ROLE_ADMIN) {
		admins.except = r.id;
		st = cv_store_user_each(s->v->st, count_admins, &admins, err);
		if (st == CV_OK && admins.active == 0)
			st = cv_fail(err, CV_EUSAGE, "user.last-admin",
				     "'{1}' is the last active admin; add another admin first",
				     name);
	}
	if (st == CV_OK) {
		snprintf(r.status, sizeof(r.status), "%s", cv_user_state_name(CV_USER_DISABLED));
		r.status_seq = s->head.seq + 1;
		r.status_signer_id = s->me.id;
		st = cv_cert_sign(s->v, &r, CV_CERT_STATUS, s->kh, err);
	}
	if (st == CV_OK)
		st = cv_store_user_update_status(s->v->st, &r, err);
	/* Revocation: the sealed copies of the vault keys and of every case key
	 * go with the account (the recovery copies remain for handover). */
	if (st == CV_OK)
		st = cv_access_revoke_user(s, r.id, err);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_USER_DISABLE, object, err);
	snprintf(detail, sizeof(detail), "status=disabled");
	st = cv_op_log(s, CV_ACT_USER_DISABLE, object, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	return st;
}

/* Whether user `name` may be reset by this admin: it exists, is not the
 * admin's own account, is not disabled and verifies. */
static cv_status reset_target(cv_session *s, const char *name, cv_user_rec *r, cv_err *err)
{
	cv_status st = cv_store_user_by_name(s->v->st, name, r, err);

	if (st == CV_OK && r->id == s->me.id)
		st = cv_fail(err, CV_EUSAGE, "user.reset-self",
			     "an admin cannot reset their own account; change your passphrase "
			     "with 'user passwd' or ask another admin");
	if (st == CV_OK && cv_word_parse(&cv_user_states, r->status) == CV_USER_DISABLED)
		st = cv_fail(err, CV_EUSAGE, "user.disabled",
			     "user '{1}' is disabled; a disabled account gets no keys back", name);
	if (st == CV_OK)
		st = cv_user_verify(s->v, r, err);
	return st;
}

cv_status cv_may_reset(cv_session *s, const char *name, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8];
	cv_user_rec r;
	cv_status st = cv_name_check(name, err);

	if (st != CV_OK)
		return st;
	snprintf(object, sizeof(object), "user:%s", name);
	st = cv_policy_check(s, CV_ACT_USER_RESET, object, err);
	if (st != CV_OK)
		return st;
	st = reset_target(s, name, &r, err);
	return st == CV_OK ? CV_OK : cv_op_fail(s, CV_ACT_USER_RESET, object, err);
}

cv_status cv_user_reset_until(cv_session *s, const char *name, const char *recovery_code,
			      const char *expires, char *code, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8], detail[96];
	cv_keyholder *recovery = NULL;
	int64_t cases = 0;
	cv_user_rec r, old;
	cv_status st;

	st = cv_name_check(name, err);
	if (st != CV_OK)
		return st;
	snprintf(object, sizeof(object), "user:%s", name);
	st = cv_policy_check(s, CV_ACT_USER_RESET, object, err);
	if (st != CV_OK)
		return st;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = reset_target(s, name, &r, err);
	if (st == CV_OK)
		st = cv_recovery_open(s->v, recovery_code, &recovery, err);
	if (st != CV_OK)
		goto fail;
	/* Back to pending with a new code: the old secret keys are lost with
	 * the passphrase, and their wrapping is erased. */
	old = r;
	st = make_pending(s, &r, s->head.seq + 1, expires, code, err);
	if (st == CV_OK)
		st = cv_store_history_insert(s->v->st, &old, r.cert_seq, err);
	if (st == CV_OK)
		st = cv_store_user_update_identity(s->v->st, &r, err);
	if (st == CV_OK)
		st = cv_store_user_update_status(s->v->st, &r, err);
	if (st == CV_OK)
		st = cv_store_user_update_keys(s->v->st, &r, err);
	/* The recovery key re-seals the user's grants and vault keys to the
	 * code's key; the enrolment moves them to the user's own. */
	if (st == CV_OK)
		st = cv_vkeys_reseal(s->v, recovery, &r, err);
	if (st == CV_OK)
		st = cv_access_reseal_user(s, recovery, &r, &cases, err);
	if (st != CV_OK)
		goto fail;
	snprintf(detail, sizeof(detail), "cases=%lld", (long long)cases);
	st = cv_op_log(s, CV_ACT_USER_RESET, object, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		sodium_memzero(code, CV_ENROL_CODE_LEN + 1);
	goto out;
fail:
	sodium_memzero(code, CV_ENROL_CODE_LEN + 1);
	st = cv_op_fail(s, CV_ACT_USER_RESET, object, err);
out:
	cv_keyholder_free(recovery);
	return st;
}

cv_status cv_user_reset(cv_session *s, const char *name, const char *recovery_code, unsigned days,
			char *code, cv_err *err)
{
	CV_ERR_GUARD(err);
	char expires[CV_TIME_LEN];
	cv_status st = days_check(&days, err);

	if (st != CV_OK)
		return st;
	time_after_days(days, expires);
	return cv_user_reset_until(s, name, recovery_code, expires, code, err);
}

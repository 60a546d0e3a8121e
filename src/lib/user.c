/*
 * user.c - commands: user accounts (add, list, passwd, disable, reset),
 * and the passphrase wrapping of a user's secret keys.  The certificates
 * themselves are cert.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "policy.h"
#include "buf.h"
#include "err.h"
#include "text.h"
#include "cert.h"
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

cv_status cv_user_create(cv_vault *v, int64_t cert_seq, const char *name, cv_role role,
			 const char *pass, size_t passlen, const cv_kdf_params *kdf,
			 const cv_user_rec *creator, cv_keyholder *creator_kh, cv_user_rec *out,
			 cv_keyholder **kh_out, cv_err *err)
{
	uint8_t *secrets = sodium_malloc(CV_SECRETS_LEN);
	cv_keyholder *kh = NULL;
	cv_user_rec r = {0};
	cv_status st;

	if (kh_out)
		*kh_out = NULL;
	if (!secrets)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_store_user_next_id(v->st, &r.id, err);
	if (st != CV_OK)
		goto out;
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.role, sizeof(r.role), "%s", cv_role_name(role));
	snprintf(r.status, sizeof(r.status), "active");
	cv_time_now(r.created);
	crypto_box_keypair(r.box_pk, secrets);
	crypto_sign_keypair(r.sign_pk, secrets + crypto_box_SECRETKEYBYTES);
	st = cv_keyholder_local(secrets, r.box_pk, r.sign_pk, &kh, err);
	if (st != CV_OK)
		goto out;
	r.keys_seq = cert_seq;
	st = wrap_new(v, &r, kdf, pass, passlen, kh, err);
	if (st != CV_OK)
		goto out;
	r.cert_seq = cert_seq;
	r.creator_id = creator ? creator->id : r.id;
	r.status_seq = cert_seq;
	r.status_signer_id = r.creator_id;
	st = cv_cert_sign(v, &r, CV_CERT_IDENTITY, creator ? creator_kh : kh, err);
	if (st == CV_OK)
		st = cv_cert_sign(v, &r, CV_CERT_STATUS, creator ? creator_kh : kh, err);
	if (st == CV_OK)
		st = cv_store_user_insert(v->st, &r, err);
	if (st != CV_OK)
		goto out;
	*out = r;
	if (kh_out) {
		*kh_out = kh;
		kh = NULL;
	}
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
		st = cv_cert_bad(err, r, "user.cert-kdf",
				 "its key derivation parameters are out of range");
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

/* ---- public API --------------------------------------------------------- */

cv_status cv_user_add(cv_session *s, const char *name, cv_role role, const char *pass,
		      size_t passlen, const cv_kdf_params *kdf, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8], detail[64];
	cv_kdf_params params;
	cv_user_rec r, existing;
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
	if (st == CV_OK)
		st = cv_passphrase_check(pass, passlen, err);
	if (st == CV_OK) {
		if (kdf)
			params = *kdf;
		else
			st = cv_user_kdf_default(s->v, &params, err);
	}
	if (st == CV_OK)
		st = cv_kdf_params_check(&params, err);
	if (st == CV_OK) {
		st = cv_store_user_by_name(s->v->st, name, &existing, err);
		if (st == CV_OK)
			st = cv_fail(err, CV_EUSAGE, "user.exists",
				     "user '{1}' already exists; choose another name", name);
		else if (st == CV_ENOTFOUND)
			st = cv_user_create(s->v, s->head.seq + 1, name, role, pass, passlen,
					    &params, &s->me, s->kh, &r, NULL, err);
	}
	/* No vault key here: admins hold none.  The new user's come from a
	 * colleague of the same role, or from 'vault keys --deliver'. */
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_USER_ADD, object, err);
	snprintf(detail, sizeof(detail), "role=%s", cv_role_name(role));
	st = cv_op_log(s, CV_ACT_USER_ADD, object, CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
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
		char signer[CV_NAME_MAX + 8];
		cv_err why = {0};
		cv_status v_st = cv_user_verify(s->v, r, &why);
		cv_user_info u = {r->id,
				  r->name,
				  cv_user_role(r),
				  cv_word_parse(&cv_user_states, r->status) != CV_USER_ACTIVE,
				  r->created,
				  cv_user_name(s->v, r->status_signer_id, signer, sizeof(signer)),
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

struct admins_ctx {
	int64_t except;
	int active;
};

static int count_admins(const cv_user_rec *r, void *arg)
{
	struct admins_ctx *c = arg;

	if (r->id != c->except && cv_user_role(r) == CV_ROLE_ADMIN &&
	    strcmp(r->status, "active") == 0)
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
	if (st == CV_OK && strcmp(r.status, "disabled") == 0)
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
		snprintf(r.status, sizeof(r.status), "disabled");
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

cv_status cv_user_reset(cv_session *s, const char *name, const char *recovery_code,
			const char *newpass, size_t newlen, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_NAME_MAX + 8], detail[96];
	uint8_t *secrets = NULL;
	cv_keyholder *recovery = NULL, *nkh = NULL;
	int64_t cases = 0;
	cv_kdf_params params;
	cv_user_rec r, old;
	cv_status st;

	st = cv_name_check(name, err);
	if (st != CV_OK)
		return st;
	snprintf(object, sizeof(object), "user:%s", name);
	st = cv_policy_check(s, CV_ACT_USER_RESET, object, err);
	if (st != CV_OK)
		return st;
	st = cv_passphrase_check(newpass, newlen, err);
	if (st != CV_OK)
		return st;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = cv_store_user_by_name(s->v->st, name, &r, err);
	if (st == CV_OK && r.id == s->me.id)
		st = cv_fail(err, CV_EUSAGE, "user.reset-self",
			     "an admin cannot reset their own account; change your passphrase "
			     "with 'user passwd' or ask another admin");
	if (st == CV_OK && strcmp(r.status, "active") != 0)
		st = cv_fail(err, CV_EUSAGE, "user.disabled",
			     "user '{1}' is disabled; a disabled account gets no keys back", name);
	if (st == CV_OK)
		st = cv_user_verify(s->v, &r, err);
	if (st == CV_OK)
		st = cv_recovery_open(s->v, recovery_code, &recovery, err);
	if (st == CV_OK)
		st = cv_user_kdf_default(s->v, &params, err);
	if (st != CV_OK)
		goto fail;
	old = r;
	/* New key pairs: the old secrets are lost with the passphrase. */
	secrets = sodium_malloc(CV_SECRETS_LEN);
	if (!secrets) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto fail;
	}
	crypto_box_keypair(r.box_pk, secrets);
	crypto_sign_keypair(r.sign_pk, secrets + crypto_box_SECRETKEYBYTES);
	st = cv_keyholder_local(secrets, r.box_pk, r.sign_pk, &nkh, err);
	r.keys_seq = s->head.seq + 1; /* the user.reset row */
	if (st == CV_OK)
		st = wrap_new(s->v, &r, &params, newpass, newlen, nkh, err);
	if (st != CV_OK)
		goto fail;
	r.cert_seq = s->head.seq + 1;
	r.creator_id = s->me.id;
	st = cv_cert_sign(s->v, &r, CV_CERT_IDENTITY, s->kh, err);
	if (st == CV_OK)
		st = cv_store_history_insert(s->v->st, &old, r.cert_seq, err);
	if (st == CV_OK)
		st = cv_store_user_update_identity(s->v->st, &r, err);
	if (st == CV_OK)
		st = cv_store_user_update_keys(s->v->st, &r, err);
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
	goto out;
fail:
	st = cv_op_fail(s, CV_ACT_USER_RESET, object, err);
out:
	sodium_free(secrets);
	cv_keyholder_free(nkh);
	cv_keyholder_free(recovery);
	return st;
}

/*
 * vkeys.c - middle layer: the vault-wide index and stats keys: made at
 * init, copied from holder to holder of the same role (or from the
 * recovery key), and opened only after their copy and the key itself are
 * checked (see vkeys.h and docs/FORMAT.md §4.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "crypt.h"
#include "err.h"
#include "sigmemo.h"
#include "log.h"
#include "recovery.h"
#include "vkeys.h"
#include "banned.h"

#define VKEYS_TABLE "vault_keys"
static const char pub_domain[] = "casevault-vault-keys-v1";

#define PUB_MSG_LEN                                                                                \
	(sizeof(pub_domain) - 1 + CV_VAULT_ID_LEN + crypto_box_PUBLICKEYBYTES + CV_HASH_LEN)

static const char *const names[] = {CV_VKEY_INDEX, CV_VKEY_STATS};

/* The one role that holds key `name`. */
static cv_role holder_role(const char *name)
{
	return strcmp(name, CV_VKEY_INDEX) == 0 ? CV_ROLE_COUNSELOR : CV_ROLE_SUPERVISOR;
}

/* The key a role holds, or NULL (admins hold none). */
static const char *role_key(cv_role role)
{
	if (role == CV_ROLE_COUNSELOR)
		return CV_VKEY_INDEX;
	if (role == CV_ROLE_SUPERVISOR)
		return CV_VKEY_STATS;
	return NULL;
}

static void pub_msg(const cv_vault *v, const uint8_t stats_pk[crypto_box_PUBLICKEYBYTES],
		    const uint8_t index_commit[CV_HASH_LEN], uint8_t out[PUB_MSG_LEN])
{
	size_t o = sizeof(pub_domain) - 1;

	memcpy(out, pub_domain, o);
	memcpy(out + o, v->vault_id, CV_VAULT_ID_LEN);
	o += CV_VAULT_ID_LEN;
	memcpy(out + o, stats_pk, crypto_box_PUBLICKEYBYTES);
	memcpy(out + o + crypto_box_PUBLICKEYBYTES, index_commit, CV_HASH_LEN);
}

cv_status cv_vkeys_create(cv_vault *v, cv_keyholder *admin_kh,
			  const uint8_t recovery_pk[crypto_box_PUBLICKEYBYTES], cv_err *err)
{
	uint8_t stats_pk[crypto_box_PUBLICKEYBYTES], commit[CV_HASH_LEN];
	uint8_t msg[PUB_MSG_LEN], sig[crypto_sign_BYTES];
	uint8_t *keys = sodium_malloc(2 * CV_KEY_LEN); /* index key || stats secret key */
	cv_key_copy c;
	cv_status st;

	if (!keys)
		return cv_err_set(err, CV_ERROR, "out of memory");
	randombytes_buf(keys, CV_KEY_LEN);
	crypto_box_keypair(stats_pk, keys + CV_KEY_LEN);
	cv_key_commit(keys, commit);
	pub_msg(v, stats_pk, commit, msg);
	st = cv_keyholder_sign(admin_kh, msg, sizeof(msg), sig, err);
	if (st == CV_OK)
		st = cv_store_meta_put(v->st, "stats_pk", stats_pk, sizeof(stats_pk), err);
	if (st == CV_OK)
		st = cv_store_meta_put(v->st, "index_commit", commit, sizeof(commit), err);
	if (st == CV_OK)
		st = cv_store_meta_put(v->st, "vault_keys_sig", sig, sizeof(sig), err);
	for (size_t i = 0; i < ARRAY_SIZE(names) && st == CV_OK; i++) {
		st = cv_copy_make(v, VKEYS_TABLE, names[i], keys + i * CV_KEY_LEN, 0, recovery_pk,
				  1, admin_kh, &c, err);
		if (st == CV_OK)
			st = cv_store_vkey_put(v->st, names[i], &c, err);
	}
	sodium_free(keys);
	return st;
}

cv_status cv_vkeys_public(cv_vault *v, uint8_t stats_pk[crypto_box_PUBLICKEYBYTES],
			  uint8_t index_commit[CV_HASH_LEN], cv_err *err)
{
	uint8_t msg[PUB_MSG_LEN], sig[crypto_sign_BYTES];
	cv_user_rec root;
	cv_status st;

	st = cv_store_meta_get(v->st, "stats_pk", stats_pk, crypto_box_PUBLICKEYBYTES, err);
	if (st == CV_OK)
		st = cv_store_meta_get(v->st, "index_commit", index_commit, CV_HASH_LEN, err);
	if (st == CV_OK)
		st = cv_store_meta_get(v->st, "vault_keys_sig", sig, sizeof(sig), err);
	if (st == CV_OK)
		st = cv_store_cert_at(v->st, 1, 1, &root, err); /* user 1's first identity */
	if (st == CV_ENOTFOUND)
		return cv_fail(err, CV_EINTEGRITY, "vkey.public-missing",
			       "the vault's stats key or index commitment is missing: the vault "
			       "was tampered with");
	if (st == CV_OK)
		st = cv_user_cert_verify(v, &root, err);
	if (st != CV_OK)
		return st;
	/* The first admin could sign another pair: the first log row's is
	 * the vault's (docs/FORMAT.md §3.1). */
	if (sodium_memcmp(stats_pk, v->stats_pk, crypto_box_PUBLICKEYBYTES) != 0 ||
	    sodium_memcmp(index_commit, v->index_commit, CV_HASH_LEN) != 0)
		return cv_fail(err, CV_EINTEGRITY, "vkey.public-replaced",
			       "the vault's stats key or index commitment is not the one the first "
			       "log row committed to: it was replaced; nothing is sealed to it. "
			       "Restore the vault from a backup");
	pub_msg(v, stats_pk, index_commit, msg);
	if (!cv_sig_verify(v->sigs, sig, msg, sizeof(msg), root.sign_pk))
		return cv_fail(err, CV_EINTEGRITY, "vkey.public-signature",
			       "the vault's stats key or index commitment is not the one the first "
			       "admin signed: the vault was tampered with");
	return CV_OK;
}

/* Whether key is the vault's key `name`: the index key has the signed
 * commitment, the stats secret key the signed public half. */
static cv_status key_matches(cv_vault *v, const char *name, const uint8_t *key, int *ok,
			     cv_err *err)
{
	uint8_t stats_pk[crypto_box_PUBLICKEYBYTES], commit[CV_HASH_LEN];
	uint8_t
	    got[CV_HASH_LEN > crypto_box_PUBLICKEYBYTES ? CV_HASH_LEN : crypto_box_PUBLICKEYBYTES];
	cv_status st = cv_vkeys_public(v, stats_pk, commit, err);

	*ok = 0;
	if (st != CV_OK)
		return st;
	if (strcmp(name, CV_VKEY_INDEX) == 0) {
		cv_key_commit(key, got);
		*ok = sodium_memcmp(got, commit, CV_HASH_LEN) == 0;
	} else {
		crypto_scalarmult_base(got, key);
		*ok = sodium_memcmp(got, stats_pk, crypto_box_PUBLICKEYBYTES) == 0;
	}
	return CV_OK;
}

/*
 * Opens copy c of key `name` with kh (its holder's key, or the recovery
 * key's for holder 0) and checks who sent it: the recovery copies come
 * from the first admin at init; a user's copy from the recovery key or a
 * holder of the same role.  Then the key itself must be the vault's.
 * CV_EINTEGRITY "vkey.forged" naming the key and holder otherwise.
 */
static cv_status open_copy(cv_vault *v, const char *name, const char *holder, const cv_key_copy *c,
			   cv_keyholder *kh, uint8_t **key, cv_err *err)
{
	uint8_t rpk[crypto_box_PUBLICKEYBYTES];
	cv_role sender = 0;
	cv_err why = {0};
	cv_status st;
	int ok = 0;

	*key = NULL;
	st = cv_recovery_pk(v, rpk, err);
	if (st != CV_OK)
		return st;
	st = cv_copy_open(v, VKEYS_TABLE, name, c, kh, rpk, NULL, &sender, key, &why);
	if (st == CV_OK) {
		if (c->user_id == 0)
			ok = c->sender_id == 1 && sender == CV_ROLE_ADMIN;
		else
			ok = c->sender_id == 0 || sender == holder_role(name);
	}
	if (st == CV_OK && ok) {
		/* A failure here is the signed public values': passed on as is. */
		st = key_matches(v, name, *key, &ok, err);
		if (st != CV_OK) {
			sodium_free(*key);
			*key = NULL;
			return st;
		}
	} else if (st != CV_OK && st != CV_EINTEGRITY && err) {
		*err = why;
	}
	if (st == CV_OK && ok)
		return CV_OK;
	sodium_free(*key);
	*key = NULL;
	if (st != CV_OK && st != CV_EINTEGRITY)
		return st;
	return cv_fail(err, CV_EINTEGRITY, "vkey.forged",
		       "the copy of the {1} key held by '{2}' fails verification: it was forged or "
		       "swapped; run 'casevault audit verify' and restore from a backup",
		       name, holder);
}

cv_status cv_vkey_open(cv_session *s, const char *name, uint8_t **key, cv_err *err)
{
	cv_key_copy c;
	cv_status st;

	*key = NULL;
	if (role_key(s->role) == NULL || strcmp(role_key(s->role), name) != 0)
		return cv_fail(err, CV_EDENIED, "vkey.not-held", "{1} does not hold the {2} key",
			       cv_role_a(s->role), name);
	st = cv_store_vkey_get(s->v->st, name, s->me.id, &c, err);
	if (st == CV_ENOTFOUND)
		return cv_fail(err, CV_EDENIED, "vkey.not-delivered",
			       "'{1}' holds no copy of the {2} key yet; a colleague who holds it "
			       "passes it on when they next log in, or an admin delivers it with "
			       "'casevault vault keys --deliver' and the recovery code",
			       s->me.name, name);
	if (st != CV_OK)
		return st;
	return open_copy(s->v, name, s->me.name, &c, s->kh, key, err);
}

/* Copies key `name` (opened) to user `to` from sender_id with kh. */
static cv_status give(cv_vault *v, const char *name, const uint8_t *key, const cv_user_rec *to,
		      int64_t sender_id, cv_keyholder *kh, cv_err *err)
{
	cv_key_copy c;
	cv_status st =
	    cv_copy_make(v, VKEYS_TABLE, name, key, to->id, to->box_pk, sender_id, kh, &c, err);

	return st == CV_OK ? cv_store_vkey_put(v->st, name, &c, err) : st;
}

/* Opens the recovery key's copy of `name` with the recovery key holder. */
static cv_status open_recovery_copy(cv_vault *v, const char *name, cv_keyholder *recovery,
				    uint8_t **key, cv_err *err)
{
	cv_key_copy c;
	cv_status st = cv_store_vkey_get(v->st, name, 0, &c, err);

	if (st == CV_ENOTFOUND)
		return cv_fail(err, CV_EINTEGRITY, "vkey.recovery-missing",
			       "the recovery copy of the {1} key is missing: the vault was "
			       "tampered with",
			       name);
	if (st != CV_OK)
		return st;
	return open_copy(v, name, "recovery", &c, recovery, key, err);
}

cv_status cv_vkeys_reseal(cv_vault *v, cv_keyholder *recovery, const cv_user_rec *to, cv_err *err)
{
	const char *name = role_key(cv_user_role(to));
	uint8_t *key = NULL;
	cv_status st;

	if (!name)
		return CV_OK;
	st = open_recovery_copy(v, name, recovery, &key, err);
	if (st == CV_OK)
		st = give(v, name, key, to, 0, recovery, err);
	sodium_free(key);
	return st;
}

/* Users of `role` (any role when 0) who are active, verify, and hold no
 * copy of their role's key: into *out (malloc'd), *n of them. */
static cv_status waiting(cv_vault *v, cv_role role, cv_user_rec **out, size_t *n, cv_err *err)
{
	cv_user_rec *all = NULL;
	size_t total = 0;
	cv_status st = cv_user_all(v, &all, &total, err);

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < total && st == CV_OK; i++) {
		const cv_user_rec *u = &all[i];
		const char *name = role_key(cv_user_role(u));
		cv_key_copy c;

		if (!name || (role && cv_user_role(u) != role) ||
		    cv_word_parse(&cv_user_states, u->status) != CV_USER_ACTIVE)
			continue;
		st = cv_store_vkey_get(v->st, name, u->id, &c, NULL);
		if (st == CV_OK)
			continue;
		if (st != CV_ENOTFOUND && st != CV_EINTEGRITY)
			break;
		st = CV_OK;
		/* A record that does not verify gets nothing: its keys are not
		 * known to be its owner's. */
		if (cv_user_verify(v, u, NULL) == CV_OK)
			all[(*n)++] = *u;
	}
	if (st != CV_OK || !*n) {
		free(all);
		*n = 0;
		return st;
	}
	*out = all;
	return CV_OK;
}

static cv_status log_copy(cv_session *s, const cv_user_rec *to, const char *name, int recovery,
			  cv_err *err)
{
	char object[CV_NAME_MAX + 8], detail[48];

	snprintf(object, sizeof(object), "user:%s", to->name);
	snprintf(detail, sizeof(detail), "key=%s%s", name, recovery ? " from=recovery" : "");
	return cv_op_log(s, CV_ACT_VKEY_SHARE, object, CV_OUT_OK, detail, err);
}

cv_status cv_vkeys_share_pending(cv_session *s, int *shared, cv_err *err)
{
	const char *name = role_key(s->role);
	cv_user_rec *who = NULL;
	uint8_t *key = NULL;
	cv_key_copy mine;
	size_t n = 0;
	cv_status st;

	if (shared)
		*shared = 0;
	if (!name)
		return CV_OK;
	st = cv_store_vkey_get(s->v->st, name, s->me.id, &mine, err);
	if (st == CV_ENOTFOUND)
		return CV_OK; /* nothing to pass on yet */
	if (st == CV_OK)
		st = open_copy(s->v, name, s->me.name, &mine, s->kh, &key, err);
	if (st == CV_OK)
		st = waiting(s->v, s->role, &who, &n, err);
	if (st != CV_OK || !n)
		goto out;
	st = cv_op_begin(s, err);
	for (size_t i = 0; i < n && st == CV_OK; i++) {
		st = give(s->v, name, key, &who[i], s->me.id, s->kh, err);
		if (st == CV_OK)
			st = log_copy(s, &who[i], name, 0, err);
	}
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	else
		cv_store_rollback(s->v->st);
	if (st == CV_OK && shared)
		*shared = (int)n;
out:
	sodium_free(key);
	free(who);
	return st;
}

cv_status cv_vkeys_deliver(cv_session *s, cv_keyholder *recovery, int *delivered, cv_err *err)
{
	uint8_t *keys[ARRAY_SIZE(names)] = {NULL};
	cv_user_rec *who = NULL;
	size_t n = 0;
	cv_status st = waiting(s->v, 0, &who, &n, err);

	*delivered = 0;
	for (size_t i = 0; i < n && st == CV_OK; i++) {
		const char *name = role_key(cv_user_role(&who[i]));
		size_t k = strcmp(name, names[0]) == 0 ? 0 : 1;

		if (!keys[k])
			st = open_recovery_copy(s->v, name, recovery, &keys[k], err);
		if (st == CV_OK)
			st = give(s->v, name, keys[k], &who[i], 0, recovery, err);
		if (st == CV_OK)
			st = log_copy(s, &who[i], name, 1, err);
		if (st == CV_OK)
			(*delivered)++;
	}
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		sodium_free(keys[k]);
	free(who);
	return st;
}

cv_status cv_vkeys_rekey(cv_vault *v, cv_keyholder *from, const cv_user_rec *to,
			 cv_keyholder *sender, cv_err *err)
{
	const char *name = role_key(cv_user_role(to));
	uint8_t *key = NULL;
	cv_key_copy c;
	cv_status st;

	if (!name)
		return CV_OK;
	st = cv_store_vkey_get(v->st, name, to->id, &c, err);
	if (st == CV_ENOTFOUND) { /* not delivered yet: nothing to move */
		cv_err_clear(err);
		return CV_OK;
	}
	if (st == CV_OK)
		st = open_copy(v, name, to->name, &c, from, &key, err);
	if (st == CV_OK)
		st = give(v, name, key, to, to->id, sender, err);
	sodium_free(key);
	return st;
}

/*
 * vkeys.c - middle layer: sealing and opening the vault-wide stats and index keys.
 */
#include <string.h>

#include "cert.h"
#include "crypt.h"
#include "err.h"
#include "vkeys.h"
#include "banned.h"

/* Whether a role holds key `name`. */
static int role_holds(cv_role role, const char *name)
{
	if (strcmp(name, CV_VKEY_STATS) == 0)
		return role == CV_ROLE_COUNSELOR || role == CV_ROLE_SUPERVISOR ||
		       role == CV_ROLE_ADMIN;
	return role == CV_ROLE_COUNSELOR || role == CV_ROLE_ADMIN;
}

static const char *const names[] = {CV_VKEY_STATS, CV_VKEY_INDEX};

cv_status cv_vkeys_create(cv_vault *v, const cv_user_rec *admin,
			  const uint8_t recovery_pk[crypto_box_PUBLICKEYBYTES], cv_err *err)
{
	uint8_t sealed[CV_SEALED_KEY_LEN];
	uint8_t *key = NULL;
	cv_status st = CV_OK;

	for (size_t i = 0; i < 2 && st == CV_OK; i++) {
		st = cv_key_new(&key, err);
		if (st != CV_OK)
			break;
		cv_seal_key(key, recovery_pk, sealed);
		st = cv_store_vkey_put(v->st, names[i], 0, sealed, err);
		if (st == CV_OK) {
			cv_seal_key(key, admin->box_pk, sealed);
			st = cv_store_vkey_put(v->st, names[i], admin->id, sealed, err);
		}
		sodium_free(key);
		key = NULL;
	}
	return st;
}

cv_status cv_vkeys_provision(cv_session *s, const cv_user_rec *to, cv_err *err)
{
	uint8_t sealed[CV_SEALED_KEY_LEN];
	cv_role role = cv_user_role(to);
	uint8_t *key = NULL;
	cv_status st = CV_OK;

	for (size_t i = 0; i < 2 && st == CV_OK; i++) {
		if (!role_holds(role, names[i]))
			continue;
		st = cv_vkey_open(s, names[i], &key, err);
		if (st != CV_OK)
			break;
		cv_seal_key(key, to->box_pk, sealed);
		st = cv_store_vkey_put(s->v->st, names[i], to->id, sealed, err);
		sodium_free(key);
		key = NULL;
	}
	return st;
}

cv_status cv_vkeys_reseal(cv_vault *v, cv_keyholder *recovery, const cv_user_rec *to, cv_err *err)
{
	uint8_t sealed[CV_SEALED_KEY_LEN];
	cv_role role = cv_user_role(to);
	uint8_t *key = NULL;
	cv_status st = CV_OK;

	for (size_t i = 0; i < 2 && st == CV_OK; i++) {
		if (!role_holds(role, names[i]))
			continue;
		st = cv_store_vkey_get(v->st, names[i], 0, sealed, err);
		if (st == CV_OK)
			st = cv_key_unseal(recovery, sealed, &key, err);
		if (st != CV_OK)
			break;
		cv_seal_key(key, to->box_pk, sealed);
		st = cv_store_vkey_put(v->st, names[i], to->id, sealed, err);
		sodium_free(key);
		key = NULL;
	}
	return st;
}

cv_status cv_vkey_open(cv_session *s, const char *name, uint8_t **key, cv_err *err)
{
	uint8_t sealed[CV_SEALED_KEY_LEN];
	cv_status st;

	*key = NULL;
	if (!role_holds(s->role, name))
		return cv_fail(err, CV_EDENIED, "vkey.not-held", "a {1} does not hold the {2} key",
			       cv_role_name(s->role), name);
	st = cv_store_vkey_get(s->v->st, name, s->me.id, sealed, err);
	if (st == CV_ENOTFOUND)
		return cv_fail(err, CV_EINTEGRITY, "vkey.missing",
			       "the {1} key was never sealed to '{2}'; the vault was tampered "
			       "with or damaged",
			       name, s->me.name);
	if (st != CV_OK)
		return st;
	return cv_key_unseal(s->kh, sealed, key, err);
}

cv_status cv_vkeys_rekey(cv_vault *v, cv_keyholder *from, const cv_user_rec *to, cv_err *err)
{
	uint8_t sealed[CV_SEALED_KEY_LEN];
	uint8_t *key = NULL;
	cv_status st = CV_OK;

	for (size_t i = 0; i < 2 && st == CV_OK; i++) {
		st = cv_store_vkey_get(v->st, names[i], to->id, sealed, err);
		if (st == CV_ENOTFOUND) { /* not (yet) provisioned: nothing to move */
			cv_err_clear(err);
			st = CV_OK;
			continue;
		}
		if (st == CV_OK)
			st = cv_key_unseal(from, sealed, &key, err);
		if (st != CV_OK)
			break;
		cv_seal_key(key, to->box_pk, sealed);
		st = cv_store_vkey_put(v->st, names[i], to->id, sealed, err);
		sodium_free(key);
		key = NULL;
	}
	return st;
}

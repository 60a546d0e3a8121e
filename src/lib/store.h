/*
 * store.h - the storage module: the only code that speaks SQL.
 *
 * Everything above this layer deals in records and byte strings; a
 * PostgreSQL backend that holds only ciphertext can later implement the
 * same interface.  Every function sets err on failure; SQLITE_BUSY becomes
 * a message asking to try again.
 */
#ifndef CV_STORE_H
#define CV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "casevault.h"
#include "kdf.h"
#include "keyholder.h"
#include "text.h"

#define CV_HASH_LEN 32 /* BLAKE2b-256 */
#define CV_VAULT_ID_LEN 16
#define CV_AEAD_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define CV_AEAD_TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define CV_KEY_BOX_LEN (CV_SECRETS_LEN + CV_AEAD_TAG_LEN)

typedef struct cv_store cv_store;

/* A row of the users table (see docs/FORMAT.md). */
typedef struct cv_user_rec {
	int64_t id;
	char name[CV_NAME_MAX + 1];
	char role[16];
	char status[16];
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES];
	int64_t creator_id;                 /* the admin who signed the identity */
	uint8_t cert_sig[crypto_sign_BYTES]; /* over the identity, by creator */
	int64_t status_version;
	int64_t status_signer_id;              /* the admin who set the status */
	uint8_t status_sig[crypto_sign_BYTES]; /* over the status, by that admin */
	uint32_t kdf_alg;
	cv_kdf_params kdf;
	uint8_t salt[CV_KDF_SALT_LEN];
	uint8_t key_nonce[CV_AEAD_NONCE_LEN];
	uint8_t key_box[CV_KEY_BOX_LEN];
	char created[CV_TIME_LEN];
} cv_user_rec;

/* A row of the audit table.  In callbacks the strings point into the
 * current result row and are valid only during the call. */
typedef struct cv_audit_rec {
	int64_t seq;
	const char *time;
	const char *actor;
	const char *action;
	const char *object;
	const char *outcome;
	const char *detail;
	uint8_t prev_hash[CV_HASH_LEN];
	uint8_t hash[CV_HASH_LEN];
	uint8_t sig[crypto_sign_BYTES];
	int has_sig;
} cv_audit_rec;

/* Creates path (O_EXCL, 0600, no symlinks) and the schema in it. */
cv_status cv_store_create(const char *path, cv_store **out, cv_err *err);
/* Opens an existing vault file; checks application_id and user_version. */
cv_status cv_store_open(const char *path, cv_store **out, cv_err *err);
void cv_store_close(cv_store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Rollback is safe when no
 * transaction is open. */
cv_status cv_store_begin(cv_store *st, cv_err *err);
cv_status cv_store_commit(cv_store *st, cv_err *err);
void cv_store_rollback(cv_store *st);

/* The meta table: small named values. */
cv_status cv_store_meta_put(cv_store *st, const char *key, const void *val, size_t len,
			    cv_err *err);
/* Reads exactly len bytes; a missing key is CV_ENOTFOUND, a value of
 * another length CV_EINTEGRITY. */
cv_status cv_store_meta_get(cv_store *st, const char *key, void *val, size_t len, cv_err *err);

/* Users.  next_id is the id the next insert should use (inside the write
 * transaction that inserts it). */
cv_status cv_store_user_next_id(cv_store *st, int64_t *id, cv_err *err);
cv_status cv_store_user_insert(cv_store *st, const cv_user_rec *rec, cv_err *err);
/* Rewrites the status columns (status, version, signer, signature). */
cv_status cv_store_user_update_status(cv_store *st, const cv_user_rec *rec, cv_err *err);
/* Rewrites the wrapped secret keys and their KDF parameters. */
cv_status cv_store_user_update_keys(cv_store *st, const cv_user_rec *rec, cv_err *err);
/* CV_ENOTFOUND when absent; CV_EINTEGRITY when a column is malformed. */
cv_status cv_store_user_by_name(cv_store *st, const char *name, cv_user_rec *rec, cv_err *err);
cv_status cv_store_user_by_id(cv_store *st, int64_t id, cv_user_rec *rec, cv_err *err);
/* Calls cb for each user in id order; a non-zero return stops the walk. */
typedef int (*cv_store_user_cb)(const cv_user_rec *rec, void *arg);
cv_status cv_store_user_each(cv_store *st, cv_store_user_cb cb, void *arg, cv_err *err);

/* The audit table.  head returns seq 0 for an empty log. */
cv_status cv_store_audit_head(cv_store *st, int64_t *seq, uint8_t hash[CV_HASH_LEN],
			      cv_err *err);
cv_status cv_store_audit_insert(cv_store *st, const cv_audit_rec *rec, cv_err *err);
/* Reads one row; CV_ENOTFOUND when there is none with that seq. */
typedef int (*cv_store_audit_cb)(const cv_audit_rec *rec, void *arg);
cv_status cv_store_audit_get(cv_store *st, int64_t seq, cv_store_audit_cb cb, void *arg,
			     cv_err *err);
/* Streams rows in seq order.  NULL filter fields match everything; action
 * ending in '.' matches as a prefix; since/until are full UTC times. */
typedef struct cv_store_audit_query {
	const char *actor;
	const char *action;
	const char *since;
	const char *until;
	int not_ok_only;
} cv_store_audit_query;
cv_status cv_store_audit_each(cv_store *st, const cv_store_audit_query *q, cv_store_audit_cb cb,
			      void *arg, cv_err *err);

#endif

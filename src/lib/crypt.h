/*
 * crypt.h - middle layer: the vault's content encryption: XChaCha20-Poly1305 with
 * associated data that binds each ciphertext to its place, sealed 32-byte
 * keys and sealed boxes to a public key, key commitments, random record
 * ids, and wiping memory for the JSON library.
 */
#ifndef CV_CRYPT_H
#define CV_CRYPT_H

#include "session.h"

#define CV_KEY_LEN 32

/*
 * The place a ciphertext belongs to: its type ("case", "case-stats",
 * "note", ...), case id, row id and version.  The associated data is
 * "casevault-ad-v1" || vault_id || lp(type) || lp(case_id) || lp(row_id) ||
 * u64be(version), so a ciphertext copied anywhere else fails to open.
 */
typedef struct cv_place {
	const char *type;
	const char *case_id;
	const char *row_id;
	int64_t version;
} cv_place;

/* Encrypts pt under key for place; *box is malloc'd (ptlen + 16 bytes). */
cv_status cv_aead_seal(cv_vault *v, const uint8_t *key, const cv_place *at, const uint8_t *pt,
		       size_t ptlen, uint8_t nonce[CV_AEAD_NONCE_LEN], uint8_t **box,
		       size_t *boxlen, cv_err *err);
/* Decrypts into *pt, sodium_malloc'd with a NUL after the plaintext; the
 * caller frees it with sodium_free.  CV_EINTEGRITY when it does not open. */
cv_status cv_aead_open(cv_vault *v, const uint8_t *key, const cv_place *at,
		       const uint8_t nonce[CV_AEAD_NONCE_LEN], const uint8_t *box, size_t boxlen,
		       uint8_t **pt, size_t *ptlen, cv_err *err);

/* The commitment to a 32-byte key that signed rows and key copies carry:
 * BLAKE2b-256("casevault-key-commit-v1" || key) (docs/FORMAT.md §4.5). */
void cv_key_commit(const uint8_t key[CV_KEY_LEN], uint8_t out[CV_HASH_LEN]);

/* crypto_box_seal of pt (ptlen bytes) to pk: *box is malloc'd, ptlen +
 * crypto_box_SEALBYTES bytes.  For what a writer may seal but not read
 * back (the statistics, docs/FORMAT.md §12.2). */
cv_status cv_seal_bytes(const uint8_t pk[crypto_box_PUBLICKEYBYTES], const uint8_t *pt,
			size_t ptlen, uint8_t **box, size_t *boxlen, cv_err *err);
/* Opens such a box with the key pair (pk, sk) into *pt (sodium_malloc'd,
 * NUL after the plaintext); CV_EINTEGRITY when it does not open. */
cv_status cv_seal_open_bytes(const uint8_t pk[crypto_box_PUBLICKEYBYTES], const uint8_t *sk,
			     const uint8_t *box, size_t boxlen, uint8_t **pt, size_t *ptlen,
			     cv_err *err);

/* crypto_box_seal of a 32-byte key to pk. */
void cv_seal_key(const uint8_t key[CV_KEY_LEN], const uint8_t pk[crypto_box_PUBLICKEYBYTES],
		 uint8_t sealed[CV_SEALED_KEY_LEN]);
/* A new sodium_malloc'd key: random (sealed NULL) or unsealed by kh. */
cv_status cv_key_new(uint8_t **key, cv_err *err);
cv_status cv_key_unseal(cv_keyholder *kh, const uint8_t sealed[CV_SEALED_KEY_LEN], uint8_t **key,
			cv_err *err);
/* The same for a case key: only the access layer calls it (a check in
 * tests/check_boundaries.sh holds every other module to that). */
cv_status cv_case_key_unseal(cv_keyholder *kh, const uint8_t sealed[CV_SEALED_KEY_LEN],
			     uint8_t **key, cv_err *err);

/* A fresh id "P-" followed by n Crockford base32 characters, unused in the
 * vault.  out must hold n + 3 bytes. */
cv_status cv_new_id(cv_vault *v, char prefix, size_t n, char *out, cv_err *err);

/* Whether s is an id as cv_new_id makes them ("C-7KQ2M"). */
int cv_id_ok(const char *s);
/* "kind:ID" for the audit log, or "kind:?" when id is not an id: what a
 * user typed in its place (a name, say) must never reach the log. */
void cv_object_name(char *out, size_t cap, const char *kind, const char *id);

/* Routes jansson's allocations through functions that wipe on free, so
 * decrypted JSON leaves nothing behind.  Called by cv_init. */
void cv_json_secure_alloc(void);

#endif

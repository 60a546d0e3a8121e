/*
 * store.h - the storage module: records and byte strings in, records and
 * byte strings out; the only door to the vault file.
 *
 * Layer: storage, below every library module.  Each cv_store_* function
 * dispatches (store.c) to a backend's operations table (store_ops.h): SQLite
 * (store_sqlite.c, the only code that speaks SQL) by default; a PostgreSQL
 * backend holding only ciphertext can be linked beside it.  Every function
 * sets err on failure; a busy vault becomes a message asking to try again.
 *
 * Rules for callers:
 *   - words (action names, outcomes, states) are the caller's: the store
 *     stores and compares them as given;
 *   - a walk (cv_store_user_each, cv_store_audit_get, cv_store_audit_each,
 *     cv_store_case_find, cv_store_case_granted, cv_store_case_all, cv_store_case_page,
 *     cv_store_record_range, cv_store_grant_each_user,
 *     cv_store_record_each_*, cv_store_review_each, cv_store_duty_each) must not call the
 *     store from its callback:
 *     collect what the walk yields (cv_id_list), then act.  With strict walks
 *     on, such a call fails and so does the walk;
 *   - erasing content (cv_store_case_shred, cv_store_keys_delete_user,
 *     cv_store_user_update_keys) needs nothing more: once committed, the
 *     store leaves no old copy in its own journals.
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
	int64_t cert_seq;		       /* audit seq at which the identity was signed */
	int64_t creator_id;		       /* the admin who signed the identity */
	uint8_t cert_sig[crypto_sign_BYTES];   /* over the identity, by creator */
	int64_t status_seq;		       /* audit seq at which the status was set */
	int64_t status_signer_id;	       /* the admin who set the status */
	uint8_t status_sig[crypto_sign_BYTES]; /* over the status, by that admin */
	uint32_t kdf_alg;
	cv_kdf_params kdf;
	uint8_t salt[CV_KDF_SALT_LEN];
	uint8_t key_nonce[CV_AEAD_NONCE_LEN];
	uint8_t key_box[CV_KEY_BOX_LEN];
	char created[CV_TIME_LEN];
	int64_t keys_seq; /* audit seq of the row that last wrapped key_box */
	/* An enrolment identity's expiry (a time); "" for the other kinds. */
	char expires[CV_TIME_LEN];
	/* Enrolled and rotated identities: the signature of their own key
	 * over their identity (has_self_sig 1); stored empty otherwise. */
	uint8_t self_sig[crypto_sign_BYTES];
	int has_self_sig;
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
	const char *rows; /* the row commitments (docs/FORMAT.md §7.6), "" if none */
} cv_audit_rec;

/*
 * cv_store_row_commits - the commitments to every row the open
 * transaction inserted, changed or deleted since the last call, as text
 * (docs/FORMAT.md §7.6: "TABLE:ROWID:NEW:OLD", NEW and OLD a hash or "-",
 * with ":SIGNER" for cases and records; sorted, space-separated; "" when
 * nothing changed), and forgets them.  *out is malloc'd.  The log puts
 * them into the row it writes next.
 */
cv_status cv_store_row_commits(cv_store *st, char **out, cv_err *err);
typedef int (*cv_store_audit_cb)(const cv_audit_rec *rec, void *arg);

/* Calls cb for every row of every table but the log, with its hash
 * (§7.6) and its signer_id column (0 when the table has none or it is not
 * an integer), tables in name order and rows in rowid order (a walk). */
typedef int (*cv_store_row_cb)(const char *table, int64_t rowid, const uint8_t hash[CV_HASH_LEN],
			       int64_t signer, void *arg);
cv_status cv_store_row_each(cv_store *st, cv_store_row_cb cb, void *arg, cv_err *err);

/* Checks the file's own structure: every index holds exactly the entries
 * of its table's rows (a lookup through an index sees the rows the table
 * holds, no fewer, no other), and the pages are sound.  CV_EINTEGRITY
 * "vault.structure" naming the first fault.  A backend without indexes of
 * its own has nothing to check (NULL op: CV_OK). */
cv_status cv_store_structure_check(cv_store *st, cv_err *err);

/*
 * cv_store_structure_start - starts cv_store_structure_check's check on a
 * second, read-only connection to the same file, in a thread of its own,
 * so that the caller goes on reading through st meanwhile.  Only while st
 * holds the write lock (in a transaction cv_store_begin began: no one can
 * commit, so both connections read the same rows), with more than one
 * processor, and when the second connection provably opened the very files
 * st has open (a file renamed over the vault's path since st opened it is
 * not the vault st reads); otherwise *out is NULL and the caller checks
 * with cv_store_structure_check.  cv_store_structure_finish waits for the
 * check, gives its result as cv_store_structure_check would, and frees it
 * (NULL: CV_OK).
 */
typedef struct cv_store_check cv_store_check;
cv_status cv_store_structure_start(cv_store *st, cv_store_check **out, cv_err *err);
cv_status cv_store_structure_finish(cv_store_check *check, cv_err *err);

/*
 * cv_store_beside - fn(arg) in a thread of its own, which reads through a
 * third connection of check's (opened and proven with the second: the
 * same rows as st) with cv_store_check_audit_each (the whole log, in seq
 * order, as cv_store_audit_each with no filter gives it) and
 * cv_store_check_row_each (cv_store_row_each's walk but for the tables in
 * skip, NULL-terminated, NULL: none); fn must touch nothing the caller
 * does meanwhile, and keeps its own result.  0 when it started; -1
 * (nothing started) when check is NULL or cannot, or a thread is running
 * already: the caller then works on st.  cv_store_beside_wait waits for
 * fn (nothing when none was started), and cv_store_structure_finish does
 * too.
 */
int cv_store_beside(cv_store_check *check, void (*fn)(void *arg), void *arg);
void cv_store_beside_wait(cv_store_check *check);
cv_status cv_store_check_audit_each(cv_store_check *check, cv_store_audit_cb cb, void *arg,
				    cv_err *err);
cv_status cv_store_check_row_each(cv_store_check *check, const char *const *skip,
				  cv_store_row_cb cb, void *arg, cv_err *err);

/* The vault format this library reads and writes (PRAGMA user_version,
 * docs/FORMAT.md §1): bumped whenever the format changes. */
#define CV_VAULT_FORMAT 7

/* Creates path (O_EXCL, 0600, no symlinks) and the schema in it. */
cv_status cv_store_create(const char *path, cv_store **out, cv_err *err);
/* Opens an existing vault file; checks application_id and user_version. */
cv_status cv_store_open(const char *path, cv_store **out, cv_err *err);
void cv_store_close(cv_store *st);

/*
 * cv_store_generation - a pair that changes whenever what this store
 * reads may have changed since it was last taken: a commit by another
 * connection or process (or a file written behind the store's back
 * through SQLite), or any row written through this store, committed or
 * not.  Equal pairs mean the store reads exactly what it read before, so
 * a result computed from the store alone may be reused.  Returns 0 and
 * sets gen, or -1 when the backend cannot tell (reuse nothing then).
 */
int cv_store_generation(cv_store *st, uint64_t gen[2]);

/* on: a store call made while a walk is stepping fails (CV_ERROR, "internal
 * error: the store was called during a walk") and so does the walk, even
 * when its callback ignored that failure.  Off (the default): such a call
 * runs, interleaved with the walk. */
void cv_store_strict_walks(cv_store *st, int on);

/* Begin a write transaction / commit / roll back.  Rollback is safe when no
 * transaction is open.  A commit whose transaction erased content also
 * clears the backend's journal of it (SQLite: a TRUNCATE checkpoint of the
 * WAL; retried at the next commit and at close if a reader blocks it). */
cv_status cv_store_begin(cv_store *st, cv_err *err);
cv_status cv_store_commit(cv_store *st, cv_err *err);
void cv_store_rollback(cv_store *st);

/* The meta table: small named values. */
cv_status cv_store_meta_put(cv_store *st, const char *key, const void *val, size_t len,
			    cv_err *err);
/* Reads exactly len bytes; a missing key is CV_ENOTFOUND, a value of
 * another length CV_EINTEGRITY. */
cv_status cv_store_meta_get(cv_store *st, const char *key, void *val, size_t len, cv_err *err);

/* A signed setting (see settings.h and docs/FORMAT.md). */
typedef struct cv_setting_rec {
	char name[32];
	char value[128];
	int64_t seq;	   /* the audit row that recorded it */
	int64_t signer_id; /* the admin who signed it */
	uint8_t sig[crypto_sign_BYTES];
} cv_setting_rec;

/* Inserts or replaces the setting rec->name. */
cv_status cv_store_setting_put(cv_store *st, const cv_setting_rec *rec, cv_err *err);
/* CV_ENOTFOUND (without a message) when the setting was never set. */
cv_status cv_store_setting_get(cv_store *st, const char *name, cv_setting_rec *rec, cv_err *err);
/* Calls cb for each stored setting in name order (a walk). */
cv_status cv_store_setting_each(cv_store *st, int (*cb)(const cv_setting_rec *rec, void *arg),
				void *arg, cv_err *err);

/* Users.  next_id is the id the next insert should use (inside the write
 * transaction that inserts it). */
cv_status cv_store_user_next_id(cv_store *st, int64_t *id, cv_err *err);
cv_status cv_store_user_insert(cv_store *st, const cv_user_rec *rec, cv_err *err);
/* Rewrites the status columns (status, version, signer, signature). */
cv_status cv_store_user_update_status(cv_store *st, const cv_user_rec *rec, cv_err *err);
/* Rewrites the wrapped secret keys and their KDF parameters. */
cv_status cv_store_user_update_keys(cv_store *st, const cv_user_rec *rec, cv_err *err);
/* Replaces the identity (keys, cert) after a reset; the old identity must
 * first be kept with cv_store_history_insert. */
cv_status cv_store_user_update_identity(cv_store *st, const cv_user_rec *rec, cv_err *err);
/* Keeps a retired identity (from rec) so that what it signed still verifies. */
cv_status cv_store_history_insert(cv_store *st, const cv_user_rec *rec, int64_t retired_seq,
				  cv_err *err);
/* The identity user id held at audit seq `at` (the largest cert_seq <= at),
 * from users or key_history.  Only the identity fields of rec are filled
 * (id, name, role, keys, cert_seq, creator_id, cert_sig, expires,
 * self_sig).  CV_ENOTFOUND when the user had no identity then. */
cv_status cv_store_cert_at(cv_store *st, int64_t id, int64_t at, cv_user_rec *rec, cv_err *err);
/* CV_ENOTFOUND when absent; CV_EINTEGRITY when a column is malformed. */
cv_status cv_store_user_by_name(cv_store *st, const char *name, cv_user_rec *rec, cv_err *err);
cv_status cv_store_user_by_id(cv_store *st, int64_t id, cv_user_rec *rec, cv_err *err);
/* Calls cb for each user in id order; a non-zero return stops the walk. */
typedef int (*cv_store_user_cb)(const cv_user_rec *rec, void *arg);
cv_status cv_store_user_each(cv_store *st, cv_store_user_cb cb, void *arg, cv_err *err);

/* The audit table.  head returns seq 0 for an empty log. */
cv_status cv_store_audit_head(cv_store *st, int64_t *seq, uint8_t hash[CV_HASH_LEN], cv_err *err);
cv_status cv_store_audit_insert(cv_store *st, const cv_audit_rec *rec, cv_err *err);
/* The largest seq of a row about `object` whose outcome is `outcome` and
 * whose action is one of actions[0 .. n_actions - 1] (1 <= n_actions <=
 * CV_STORE_ACTIONS_MAX); 0 when there is none. */
#define CV_STORE_ACTIONS_MAX 6
cv_status cv_store_audit_last_seq(cv_store *st, const char *object, const char *outcome,
				  const char *const *actions, size_t n_actions, int64_t *seq,
				  cv_err *err);
/* The same, but the smallest such seq greater than `after`; 0 when none. */
cv_status cv_store_audit_next_seq(cv_store *st, const char *object, const char *outcome,
				  const char *const *actions, size_t n_actions, int64_t after,
				  int64_t *seq, cv_err *err);
/* Reads one row; CV_ENOTFOUND when there is none with that seq. */
cv_status cv_store_audit_get(cv_store *st, int64_t seq, cv_store_audit_cb cb, void *arg,
			     cv_err *err);
/* The time of log row seq into out; *ok when it is a well-formed time.
 * CV_ENOTFOUND when there is no such row. */
cv_status cv_store_audit_time(cv_store *st, int64_t seq, char out[CV_TIME_LEN], int *ok,
			      cv_err *err);
/* Streams rows in seq order.  NULL filter fields match everything; action
 * ending in '.' matches as a prefix; since/until are full UTC times;
 * outcome_not keeps only the rows whose outcome is another word. */
typedef struct cv_store_audit_query {
	const char *actor;
	const char *action;
	const char *since;
	const char *until;
	const char *outcome_not;
	const char *outcome; /* exactly this outcome, or NULL */
	const char *object;  /* exactly this object, or NULL */
} cv_store_audit_query;
cv_status cv_store_audit_each(cv_store *st, const cv_store_audit_query *q, cv_store_audit_cb cb,
			      void *arg, cv_err *err);

/* ---- key copies: vault keys and case keys -------------------------------- */

#define CV_COPY_NONCE_LEN crypto_box_NONCEBYTES
#define CV_COPY_BOX_LEN (32 + crypto_box_MACBYTES)
/* cases.recovery_key: an anonymous sealed box, covered by the case's
 * signature (docs/FORMAT.md §3.6). */
#define CV_SEALED_KEY_LEN (32 + crypto_box_SEALBYTES)

/*
 * One authenticated copy of a 32-byte key: a row of vault_keys or of
 * grants (docs/FORMAT.md §4.5).  box is crypto_box_easy of the key from
 * the sender's X25519 key to the holder's, under nonce; sig is the
 * sender's Ed25519 signature over the copy, its place and a commitment to
 * the key.  The recovery key (sender 0) signs nothing: its copies have no
 * sig (has_sig 0).
 */
typedef struct cv_key_copy {
	int64_t user_id;   /* the holder; 0 in vault_keys: the recovery key */
	int64_t sender_id; /* who made the copy; 0: the recovery key */
	char sent_at[CV_TIME_LEN];
	uint8_t nonce[CV_COPY_NONCE_LEN];
	uint8_t box[CV_COPY_BOX_LEN];
	uint8_t sig[crypto_sign_BYTES];
	int has_sig;
} cv_key_copy;

/* Inserts or replaces the copy of vault key `name` held by c->user_id. */
cv_status cv_store_vkey_put(cv_store *st, const char *name, const cv_key_copy *c, cv_err *err);
/* CV_ENOTFOUND when user_id holds no copy of `name`; CV_EINTEGRITY when
 * the row is malformed. */
cv_status cv_store_vkey_get(cv_store *st, const char *name, int64_t user_id, cv_key_copy *c,
			    cv_err *err);
/* Deletes every copy of a vault key and of a case key held by user_id (on
 * disable: the account keeps no key to anything); all or nothing. */
cv_status cv_store_keys_delete_user(cv_store *st, int64_t user_id, cv_err *err);

/* ---- cases and grants --------------------------------------------------- */

#define CV_ID_MAX 16 /* "C-7KQ2M", "N-4F9QK2", ... */

typedef struct cv_case_rec {
	char id[CV_ID_MAX];
	char status[12]; /* the caller's word: open, closed, shredded */
	int64_t opened_by;
	char opened_at[CV_TIME_LEN];
	char closed_at[CV_TIME_LEN]; /* "" while open */
	int64_t version;
	uint8_t index_tag[CV_HASH_LEN];
	uint8_t key_commit[CV_HASH_LEN]; /* commitment to the case key */
	uint8_t recovery_key[CV_SEALED_KEY_LEN];
	uint8_t data_nonce[CV_AEAD_NONCE_LEN];
	uint8_t *data_box; /* malloc'd by the store; cv_case_rec_clear frees */
	size_t data_len;
	uint8_t *stats_box; /* sealed to the stats public key */
	size_t stats_len;
	int blank;	   /* a tombstone: recovery_key, data_nonce and boxes are empty */
	int64_t signer_id; /* who signed the row as it is (opener, closer, shredder) */
	uint8_t mac[CV_HASH_LEN];
	uint8_t sig[crypto_sign_BYTES];
	int64_t rowid; /* set by cv_store_case_page only, else 0 */
	/* cv_store_case_page only: the row's hash as read (§7.6), the one its
	 * commitment names when the row is the log's */
	int hashed;
	uint8_t row_hash[CV_HASH_LEN];
} cv_case_rec;

void cv_case_rec_clear(cv_case_rec *c);
cv_status cv_store_case_insert(cv_store *st, const cv_case_rec *c, cv_err *err);
/* CV_ENOTFOUND when there is no such case. */
cv_status cv_store_case_get(cv_store *st, const char *id, cv_case_rec *c, cv_err *err);
/* Rewrites status, closed_at, version, index_tag, data_nonce, both boxes
 * and the signature columns (signer_id, mac, sig). */
cv_status cv_store_case_update(cv_store *st, const cv_case_rec *c, cv_err *err);
/* Calls cb with the ids of cases whose index tag matches. */
typedef int (*cv_store_id_cb)(const char *id, void *arg);
cv_status cv_store_case_find(cv_store *st, const uint8_t tag[CV_HASH_LEN], cv_store_id_cb cb,
			     void *arg, cv_err *err);
/* A list of ids gathered from a walk, for work that must not run while the
 * walk's statement is open.  cv_id_list_add is a cv_store_id_cb. */
typedef struct cv_id_list {
	char (*ids)[CV_ID_MAX];
	size_t n;
	int oom;
} cv_id_list;
int cv_id_list_add(const char *id, void *list);
void cv_id_list_free(cv_id_list *l);

/* Ids of the cases granted to user_id, oldest first. */
cv_status cv_store_case_granted(cv_store *st, int64_t user_id, cv_store_id_cb cb, void *arg,
				cv_err *err);
/* Crypto-shredding, all or nothing: deletes every grant and record of case
 * tomb->id, blanks its ciphertexts, key commitment, recovery copy and
 * index tag (index_tag and key_commit 32 zero bytes, the rest empty), and
 * sets its status, version and signature columns from tomb (the caller's
 * word for a tombstone, signed over the blanked row).  cv_store_case_get
 * reads a blanked case with blank set, zeroed keys and no boxes. */
cv_status cv_store_case_shred(cv_store *st, const cv_case_rec *tomb, cv_err *err);

/* Inserts or replaces c->user_id's copy of the key of case_id. */
cv_status cv_store_grant_put(cv_store *st, const char *case_id, const cv_key_copy *c, cv_err *err);
/* CV_ENOTFOUND when user_id holds no copy; CV_EINTEGRITY when malformed. */
cv_status cv_store_grant_get(cv_store *st, const char *case_id, int64_t user_id, cv_key_copy *c,
			     cv_err *err);
/* Every grant of user_id (for re-sealing after a reset). */
typedef int (*cv_store_grant_cb)(const char *case_id, void *arg);
cv_status cv_store_grant_each_user(cv_store *st, int64_t user_id, cv_store_grant_cb cb, void *arg,
				   cv_err *err);

/* ---- records: consents, notes, tests, referrals, watches, crisis -------- */

typedef struct cv_record {
	char id[CV_ID_MAX];
	char case_id[CV_ID_MAX];
	char type[16];		/* consent, note, test, referral, followup, watch, crisis */
	char parent[CV_ID_MAX]; /* amended note, followed-up referral; "" if none */
	char kind[16];		/* note kind, "" if none */
	char status[16];	/* draft/final, referral status, watch active/ended; "" */
	int64_t version;
	int64_t author_id;
	char created_at[CV_TIME_LEN];
	char updated_at[CV_TIME_LEN];
	char due[CV_TIME_LEN]; /* YYYY-MM-DD, "" if none */
	uint8_t nonce[CV_AEAD_NONCE_LEN];
	const uint8_t *box; /* in callbacks: valid during the call; from get: owned */
	size_t box_len;
	/* the statistical attributes sealed to the stats key (docs/FORMAT.md
	 * §12.5), empty for the types that have none; owned like box */
	const uint8_t *stats_box;
	size_t stats_len;
	int64_t signer_id; /* who signed the row as it is (docs/FORMAT.md §13) */
	uint8_t mac[CV_HASH_LEN];
	uint8_t sig[crypto_sign_BYTES];
	int64_t rowid; /* set by cv_store_record_range only, else 0 */
	/* cv_store_record_range only: the row's hash as read (§7.6) */
	int hashed;
	uint8_t row_hash[CV_HASH_LEN];
} cv_record;

cv_status cv_store_record_insert(cv_store *st, const cv_record *r, cv_err *err);
/* Rewrites parent..sig (and signer_id, mac) of an existing record (by id). */
cv_status cv_store_record_update(cv_store *st, const cv_record *r, cv_err *err);
/* Fills r with a malloc'd box; free it with cv_record_clear. */
cv_status cv_store_record_get(cv_store *st, const char *id, cv_record *r, cv_err *err);
void cv_record_clear(cv_record *r);
typedef int (*cv_store_record_cb)(const cv_record *r, void *arg);
/* The records of one case (type NULL: all types), oldest first. */
cv_status cv_store_record_each_case(cv_store *st, const char *case_id, const char *type,
				    cv_store_record_cb cb, void *arg, cv_err *err);
/* The records of a type on every case granted to user_id, oldest first. */
cv_status cv_store_record_each_granted(cv_store *st, int64_t user_id, const char *type,
				       cv_store_record_cb cb, void *arg, cv_err *err);
/* Whether an id is taken in cases or records (for fresh random ids). */
cv_status cv_store_id_taken(cv_store *st, const char *id, int *taken, cv_err *err);

/* Ids of every case, shredded ones included, oldest first (a walk). */
cv_status cv_store_case_all(cv_store *st, cv_store_id_cb cb, void *arg, cv_err *err);
/* Up to limit whole case rows with id > after ("" for the first), in id
 * order (a walk); cb may keep a row's boxes by taking them (setting the
 * pointers in *c to NULL); what it leaves is freed after it returns. */
typedef int (*cv_store_case_cb)(cv_case_rec *c, void *arg);
cv_status cv_store_case_page(cv_store *st, const char *after, size_t limit, cv_store_case_cb cb,
			     void *arg, cv_err *err);
/* The records of every case whose id is in first..last, by case id, then
 * oldest first (a walk). */
cv_status cv_store_record_range(cv_store *st, const char *first, const char *last,
				cv_store_record_cb cb, void *arg, cv_err *err);
/* How many rows the cases and the records tables hold, each counted on the
 * table itself, not on an index (a row no index leads to is counted);
 * CV_EINTEGRITY ("rows.changed") when either table has columns other than
 * the ones cv_store_case_page and cv_store_record_range hash, in order. */
cv_status cv_store_case_record_rows(cv_store *st, int64_t *cases, int64_t *records, cv_err *err);

/* One recorded statistics release (docs/FORMAT.md, stats_releases). */
typedef struct cv_release_rec {
	char from[8]; /* YYYY-MM, the first month */
	char to[8];   /* YYYY-MM, the last month */
	/* YYYY-MM..YYYY-MM: the terms the period met when it was released
	 * (from the first month's term to the last month's) */
	char term_from[8];
	char term_to[8];
	int64_t k;
	int64_t epsilon; /* grid units spent; 0 without noise */
	uint8_t cells_hash[CV_HASH_LEN];
	int64_t released_by;
	char released_at[CV_TIME_LEN];
} cv_release_rec;
cv_status cv_store_release_insert(cv_store *st, const cv_release_rec *r, cv_err *err);
/* *n: the releases whose months meet from..to (YYYY-MM, inclusive). */
cv_status cv_store_release_overlap(cv_store *st, const char *from, const char *to, int64_t *n,
				   cv_err *err);
/* *sum: the epsilon spent by the releases whose months, or the terms they
 * met when released, meet from..to. */
cv_status cv_store_release_spent(cv_store *st, const char *from, const char *to, int64_t *sum,
				 cv_err *err);

/* ---- reviews of break-glass events (docs/FORMAT.md §22) ------------------ */

/* The longest stored sealed note a reader accepts (bytes). */
#define CV_REVIEW_BOX_MAX 65536

/* One row of the reviews table.  box: in a walk's callback it points into
 * the row (valid during the call); from cv_store_review_get it is
 * malloc'd (free with cv_review_rec_clear). */
typedef struct cv_review_rec {
	char event[CV_ID_MAX];	 /* the crisis record reviewed, "X-..." */
	char case_id[CV_ID_MAX]; /* its case */
	int64_t reviewer_id;
	char reviewed_at[CV_TIME_LEN];
	int64_t seq; /* the audit.review row that recorded it */
	const uint8_t *box;
	size_t box_len;
	uint8_t sig[crypto_sign_BYTES];
} cv_review_rec;

cv_status cv_store_review_insert(cv_store *st, const cv_review_rec *r, cv_err *err);
/* CV_ENOTFOUND (without a message) when the event has no review;
 * CV_EINTEGRITY when the row is malformed. */
cv_status cv_store_review_get(cv_store *st, const char *event, cv_review_rec *r, cv_err *err);
void cv_review_rec_clear(cv_review_rec *r);
/* Every review, in event order (a walk). */
typedef int (*cv_store_review_cb)(const cv_review_rec *r, void *arg);
cv_status cv_store_review_each(cv_store *st, cv_store_review_cb cb, void *arg, cv_err *err);
/* The records of one type on every case, oldest first (a walk). */
cv_status cv_store_record_each_type(cv_store *st, const char *type, cv_store_record_cb cb,
				    void *arg, cv_err *err);
/* ---- the duty log (docs/FORMAT.md §3.11) --------------------------------- */

/* One duty shift.  An open shift (started, not yet ended) has end_utc 0
 * and the caller's word for it in status. */
typedef struct cv_duty_rec {
	int64_t id;
	int64_t counselor_id;
	char room[CV_DUTY_ROOM_MAX + 1];
	char status[12];   /* the caller's word: open, closed */
	int64_t start_utc; /* UTC seconds since the epoch */
	int64_t end_utc;   /* 0 while open */
	int64_t visits;
	char created_at[CV_TIME_LEN];
	int64_t seq;	   /* the audit row that wrote the row as it is */
	int64_t signer_id; /* who signed it: the counselor */
	uint8_t sig[crypto_sign_BYTES];
} cv_duty_rec;

/* Which shifts a walk yields: those of counselor (0: everyone's) whose
 * status is status (NULL: any) that meet [from_utc, to_utc): start before
 * to_utc, and end after from_utc or end_utc 0 (open). */
typedef struct cv_store_duty_query {
	int64_t counselor;
	const char *status;
	int64_t from_utc;
	int64_t to_utc;
} cv_store_duty_query;

/* The id the next insert should use (inside its write transaction). */
cv_status cv_store_duty_next_id(cv_store *st, int64_t *id, cv_err *err);
cv_status cv_store_duty_insert(cv_store *st, const cv_duty_rec *r, cv_err *err);
/* Rewrites every column but id and counselor_id of shift r->id. */
cv_status cv_store_duty_update(cv_store *st, const cv_duty_rec *r, cv_err *err);
/* Calls cb for each matching shift in (start_utc, id) order (a walk); a
 * malformed row is CV_EINTEGRITY naming it. */
typedef int (*cv_store_duty_cb)(const cv_duty_rec *r, void *arg);
cv_status cv_store_duty_each(cv_store *st, const cv_store_duty_query *q, cv_store_duty_cb cb,
			     void *arg, cv_err *err);

#endif

/*
 * cert.h - middle layer: user certificates (an admin-signed enrolment
 * certificate, the keys its owner made with the enrolment code or rotated
 * to, and an admin-signed status, checked along their signing chains), and
 * the signatures made with them: authenticated key copies, case rows and
 * records.
 */
#ifndef CV_CERT_H
#define CV_CERT_H

#include "session.h"

/* The most identities (resets, enrolments, rotations) one user may have
 * held: a ceiling on work that a hostile file could otherwise make
 * unbounded. */
#define CV_IDENTITIES_MAX 1024
/* The most links of an identity's chain of signing admins and
 * rotations, itself and the first admin included: a longer chain is
 * refused ("user.cert-chain"), so the file cannot choose how much work or
 * memory a verification takes. */
#define CV_CHAIN_MAX 1024

/* The role of a record; 0 when its role text is unknown. */
cv_role cv_user_role(const cv_user_rec *r);

/* Whether identity r is an enrolment certificate (signed by an admin over
 * the public keys of a one-time code; its account awaits enrolment), as
 * opposed to keys its owner made (or the first admin's). */
int cv_ident_is_enrolment(const cv_user_rec *r);

/*
 * cv_user_verify - check r's identity along its signing chain down to the
 * vault's first admin (user 1, self-signed), and its status: `pending`
 * exactly while the identity is an enrolment certificate, signed by an
 * admin; `active` signed by the enrolment that made the identity (user 1:
 * by itself at init); `disabled` signed by an admin.  CV_EINTEGRITY names
 * the user and what failed.
 */
cv_status cv_user_verify(cv_vault *v, const cv_user_rec *r, cv_err *err);
/* Verifies one identity (current or retired) as a signer: along its
 * chain, and not an enrolment certificate (which signs nothing but its
 * own enrolment).  Checkpoints, notes, settings and certificates are
 * checked with identities that pass this. */
cv_status cv_user_cert_verify(cv_vault *v, const cv_user_rec *cert, cv_err *err);

/*
 * cv_ident_cache_on / cv_ident_cache_off - between the two, the identities
 * the row checks (cv_case_check, cv_record_check) look up, and whether each
 * verified, are remembered, so a walk over many rows of few signers looks
 * up and verifies each identity once.  Only for a stretch in which nothing
 * writes users or key_history (a read-only walk); off frees it.  On, when
 * out of memory, simply does not cache.
 */
void cv_ident_cache_on(cv_vault *v);
void cv_ident_cache_off(cv_vault *v);
/*
 * Verifications are remembered while the store's generation
 * (cv_store_generation) stays the same: a user or identity that verified
 * is not verified again until a row is written or another process
 * commits, since the same rows give the same answer.  Only successes are
 * remembered; cv_verified_forget frees what is (cv_vault_close does).
 */
void cv_verified_forget(cv_vault *v);
/* How many verifications v remembers now (at any generation). */
size_t cv_verified_held(const cv_vault *v);
/* The same, but an enrolment certificate passes too (its own chain). */
cv_status cv_user_ident_verify(cv_vault *v, const cv_user_rec *cert, cv_err *err);

/* The admin who issued the enrolment certificate r's identity descends
 * from (for user 1's own keys, 1). */
int64_t cv_user_certifier(cv_vault *v, const cv_user_rec *r);

typedef enum cv_cert_part { CV_CERT_IDENTITY = 1, CV_CERT_STATUS } cv_cert_part;
/* Signs the identity (cert_sig: the first admin's self-signed identity, or
 * an enrolment certificate, creator_id != id) or the status (status_sig)
 * of r with kh. */
cv_status cv_cert_sign(cv_vault *v, cv_user_rec *r, cv_cert_part part, cv_keyholder *kh,
		       cv_err *err);
/* Certifies keys r's owner made (r->cert_seq the row that records it):
 * sets creator_id to r->id, signs r's identity into cert_sig with prev_kh
 * (the key of prev, the identity r replaces: the enrolment code's key or
 * the owner's previous key) and into self_sig with kh (r's own). */
cv_status cv_cert_sign_keys(cv_vault *v, cv_user_rec *r, const cv_user_rec *prev,
			    cv_keyholder *prev_kh, cv_keyholder *kh, cv_err *err);
/*
 * cv_cert_bad - CV_EINTEGRITY with reason code `code`: the record of r
 * fails verification.  tmpl is the whole message, written out at each use
 * ("the record of user '{1}' fails verification: WHY; the vault was
 * tampered with (run 'casevault audit verify' and restore from a
 * backup)") and marked CV_TMPL, so that the catalog has it; r's name is
 * its one argument.
 */
#define cv_cert_bad(err, r, code, tmpl) cv_fail((err), CV_EINTEGRITY, (code), (tmpl), (r)->name)

/* *ok: whether r is a final note whose row signature (docs/FORMAT.md
 * §13) is its author's and verifies under an identity the author has
 * held.  A signature that does not verify is *ok = 0 with CV_OK; a failure
 * to read the store is an error, never a "signature invalid". */
cv_status cv_note_signature(cv_vault *v, const cv_record *r, int *ok, cv_err *err);

/* The name of user id into buf ("#ID" when there is no such user). */
const char *cv_user_name(cv_vault *v, int64_t id, char *buf, size_t cap);

/* Every user record, in id order, into *out (malloc'd, free with free);
 * read before anything else is asked of the store. */
cv_status cv_user_all(cv_vault *v, cv_user_rec **out, size_t *n, cv_err *err);

/* ---- signed rows: key copies, cases, records (docs/FORMAT.md §4.5, §3.6, §13) ---- */

/*
 * cv_copy_make - an authenticated copy of key (32 bytes) for holder to_id
 * whose X25519 public key is to_pk (holder 0: the vault's recovery key)
 * at place (table "grants" or "vault_keys", and the case id or key name),
 * made by sender_id with its key holder kh (sender 0: the recovery key
 * holder, which signs nothing).
 */
cv_status cv_copy_make(cv_vault *v, const char *table, const char *place, const uint8_t *key,
		       int64_t to_id, const uint8_t *to_pk, int64_t sender_id, cv_keyholder *kh,
		       cv_key_copy *out, cv_err *err);
/*
 * cv_copy_open - open copy c (addressed to the holder of kh) at place:
 * its sender's signature verifies under an identity the sender has held
 * (an identity that verifies), the box opens from that identity's key (or
 * from recovery_pk, the vault's verified recovery key, for sender 0; NULL
 * refuses such copies), and, when commit is not NULL, the key's
 * commitment equals it.  *key: sodium_malloc'd; *sender_role: the role of
 * the sender's identity (0 for the recovery key).  CV_EINTEGRITY with
 * reason code "copy.forged" (or "copy.key-mismatch") when any of this
 * fails: the caller names the row.
 */
cv_status cv_copy_open(cv_vault *v, const char *table, const char *place, const cv_key_copy *c,
		       cv_keyholder *kh, const uint8_t *recovery_pk, const uint8_t *commit,
		       cv_role *sender_role, uint8_t **key, cv_err *err);

/* Signs case row c as signer_id with kh: fills c->signer_id, c->mac (keyed
 * with the case key) and c->sig. */
cv_status cv_case_sign(cv_vault *v, cv_case_rec *c, const uint8_t *key, int64_t signer_id,
		       cv_keyholder *kh, cv_err *err);
/*
 * cv_case_check - case row c is signed as docs/FORMAT.md §3.6 says: by a
 * counselor (the opener at version 1; an admin for a tombstone) under an
 * identity that verifies, and, when key (the case key) is not NULL, its
 * mac is that key's.  CV_EINTEGRITY "case.forged" naming the case.
 * Without a key, while a verified log vouches for the rows (verify.h
 * cv_vouch_begin), the row is added to the walk's sums (cv_vouch_row) and
 * taken as signed by its signer, with the role all their identities hold.
 */
cv_status cv_case_check(cv_vault *v, const cv_case_rec *c, const uint8_t *key, cv_err *err);

/* The vouch's side of cv_case_check and cv_record_check: adds the row
 * (records: a records row, else a cases row) with its hash and signer to
 * the walk's sums; 1 when it is taken as signed (*role: the signer's),
 * else 0.  cv_vouch_check, after a walk of every cases and records row:
 * whether what was read is exactly the log's latest versions, each
 * written by its signer and read once (else CV_EINTEGRITY "rows.changed";
 * CV_OK when nothing vouches). */
int cv_vouch_row(cv_vault *v, int records, int64_t rowid, const uint8_t *hash, int64_t signer,
		 int *role);
cv_status cv_vouch_check(cv_vault *v, cv_err *err);

/* Signs record r as signer_id with kh and the case key (fills signer_id,
 * mac, sig). */
cv_status cv_record_sign(cv_vault *v, cv_record *r, const uint8_t *key, int64_t signer_id,
			 cv_keyholder *kh, cv_err *err);
/*
 * cv_record_check - record r is signed as docs/FORMAT.md §13 says: by a
 * counselor under an identity that verifies, its author unless it is a
 * referral or a register entry, with a mac under key (the case key; NULL:
 * not checked).  CV_EINTEGRITY "record.forged" naming the record and case.
 * Without a key, vouched rows are taken as cv_case_check says.
 */
cv_status cv_record_check(cv_vault *v, const cv_record *r, const uint8_t *key, cv_err *err);

/* ---- signed rows: duty shifts (docs/FORMAT.md §3.11) ---- */

/* Signs shift r as signer_id with kh: fills r->signer_id and r->sig. */
cv_status cv_duty_sign(cv_vault *v, cv_duty_rec *r, int64_t signer_id, cv_keyholder *kh,
		       cv_err *err);
/*
 * cv_duty_check - shift r is signed as docs/FORMAT.md §3.11 says: by its
 * counselor (signer_id = counselor_id), under an identity the counselor has
 * held that verifies and has the role counselor.  CV_EINTEGRITY
 * "duty.forged" naming the shift.
 */
cv_status cv_duty_check(cv_vault *v, const cv_duty_rec *r, cv_err *err);

#endif

/*
 * vkeys.h - middle layer: the vault-wide keys, each held by one role only
 * (docs/FORMAT.md §4.3):
 *   - the index key (blind index of student numbers): counselors;
 *   - the stats key pair: its public half is stored, signed, and every
 *     counselor seals statistical attributes to it; its secret half is
 *     held by supervisors.
 * Admins hold neither.  The recovery key holds both, from init.  A copy
 * reaches a user from a colleague of the same role who holds it (at their
 * next login, cv_vkeys_share_pending) or from the recovery key
 * (cv_vkeys_deliver, cv_vkeys_reseal); every copy is authenticated by its
 * sender and checked against the signed commitments when opened.
 */
#ifndef CV_VKEYS_H
#define CV_VKEYS_H

#include "session.h"

#define CV_VKEY_STATS "stats" /* the secret half of the stats key pair */
#define CV_VKEY_INDEX "index"

/*
 * cv_vkeys_create - at init, inside the init transaction: makes the index
 * key and the stats key pair, stores the stats public key and the index
 * key's commitment signed by the first admin (admin_kh, user 1), and
 * copies both secrets to the recovery key only (sender: user 1).  The
 * admin's process forgets them.
 */
cv_status cv_vkeys_create(cv_vault *v, cv_keyholder *admin_kh,
			  const uint8_t recovery_pk[crypto_box_PUBLICKEYBYTES], cv_err *err);
/* The stats public key and the index key's commitment, checked against
 * the first admin's signature.  CV_EINTEGRITY when missing or altered. */
cv_status cv_vkeys_public(cv_vault *v, uint8_t stats_pk[crypto_box_PUBLICKEYBYTES],
			  uint8_t index_commit[CV_HASH_LEN], cv_err *err);
/* After an enrolment or a key rotation: re-makes to->id's copies of the
 * vault keys, opened with `from` (the enrolment code's key, or the user's
 * previous key), as copies to to's new box key sent by `sender` (to's new
 * key holder); a key with no copy is skipped. */
cv_status cv_vkeys_rekey(cv_vault *v, cv_keyholder *from, const cv_user_rec *to,
			 cv_keyholder *sender, cv_err *err);
/*
 * cv_vkey_open - open the session user's copy of key `name` (the index key
 * for a counselor, the stats secret key for a supervisor) into
 * sodium_malloc memory.  CV_EDENIED "vkey.not-held" for another role,
 * CV_EDENIED "vkey.not-delivered" while no copy has reached the user (the
 * message says how one does), CV_EINTEGRITY "vkey.forged" when the copy
 * fails verification (naming the key and the user).
 */
cv_status cv_vkey_open(cv_session *s, const char *name, uint8_t **key, cv_err *err);
/* Inside an open operation, after a reset: copies of the key `to`'s role
 * holds (none for an admin), from the recovery key. */
cv_status cv_vkeys_reseal(cv_vault *v, cv_keyholder *recovery, const cv_user_rec *to, cv_err *err);
/*
 * cv_vkeys_share_pending - after login: when the session user holds their
 * role's key, copy it to every active counselor (supervisor) whose record
 * verifies and who holds none, in one operation with one "vkey.share" row
 * per copy.  Nothing is written when no one is waiting.  *shared (may be
 * NULL) counts the copies.  The user's own copy is verified first.
 */
cv_status cv_vkeys_share_pending(cv_session *s, int *shared, cv_err *err);
/*
 * cv_vkeys_deliver - inside an open operation, with the recovery key:
 * copy the index key to every active counselor and the stats key to every
 * active supervisor whose record verifies and who holds none (sender: the
 * recovery key), logging one "vkey.share" row per copy.  *delivered counts
 * them.
 */
cv_status cv_vkeys_deliver(cv_session *s, cv_keyholder *recovery, int *delivered, cv_err *err);

#endif

/*
 * vkeys.h - middle layer: the vault-wide keys: the stats key (coarse statistical
 * attributes; held by counselors, supervisors and admins) and the index key
 * (blind index of student numbers; held by counselors and admins).  Each
 * is a random 32-byte key sealed to every holder's X25519 key and to the
 * recovery key (user_id 0).  Admins hold both so that they can provision
 * the users they add.
 */
#ifndef CV_VKEYS_H
#define CV_VKEYS_H

#include "session.h"

#define CV_VKEY_STATS "stats"
#define CV_VKEY_INDEX "index"

/* At init: makes both keys, sealed to the first admin and the recovery key. */
cv_status cv_vkeys_create(cv_vault *v, const cv_user_rec *admin,
			  const uint8_t recovery_pk[crypto_box_PUBLICKEYBYTES], cv_err *err);
/* Seals the keys the new user's role holds, from the acting admin's copies. */
cv_status cv_vkeys_provision(cv_session *s, const cv_user_rec *to, cv_err *err);
/* Re-seals to `to` (new keys after a reset) from the recovery copies. */
cv_status cv_vkeys_reseal(cv_vault *v, cv_keyholder *recovery, const cv_user_rec *to, cv_err *err);
/* After an enrolment or a key rotation: re-seals to->id's copies of the
 * vault keys from the key `from` opens (the enrolment code's key, or the
 * user's previous key) to to's new box key; a key with no copy is
 * skipped. */
cv_status cv_vkeys_rekey(cv_vault *v, cv_keyholder *from, const cv_user_rec *to, cv_err *err);
/* Opens the session user's copy of key `name` into sodium_malloc memory.
 * CV_EDENIED when the user's role does not hold it. */
cv_status cv_vkey_open(cv_session *s, const char *name, uint8_t **key, cv_err *err);

#endif

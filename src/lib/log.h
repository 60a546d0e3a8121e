/*
 * log.h - middle layer: the tamper-evident access log: its hash chain, the signed
 * checkpoints that end each command, and the transaction discipline that
 * makes every change commit together with its audit rows (fail-closed).
 *
 * The pattern every library operation follows:
 *
 *	st = cv_op_begin(s, err);             BEGIN IMMEDIATE
 *	... check role and inputs, change rows ...
 *	st = cv_op_log(s, action, object, "ok", detail, err);
 *	st = cv_op_commit(s, err);            signed checkpoint, COMMIT
 *	on any failure: return cv_op_fail(s, action, object, err);
 *
 * cv_op_fail rolls the change back and records the refusal in a
 * transaction of its own, so denials are logged even though nothing else
 * changed.
 */
#ifndef CV_LOG_H
#define CV_LOG_H

#include "session.h"
#include "vocab.h"

/* hash = BLAKE2b-256(prev_hash || canonical row); see docs/FORMAT.md. */
void cv_audit_hash(const cv_audit_rec *rec, uint8_t out[CV_HASH_LEN]);
/* The prev_hash of row 1: BLAKE2b-256("casevault-audit-genesis-v1" || vault_id). */
void cv_audit_genesis(const uint8_t vault_id[CV_VAULT_ID_LEN], uint8_t out[CV_HASH_LEN]);
/* The message a checkpoint signs ("casevault-checkpoint-v1" || vault_id ||
 * recovery_pk || u64be(seq) || hash): every checkpoint also commits to the
 * recovery key of the first log row.  out holds CV_CHECKPOINT_MSG_LEN. */
#define CV_CHECKPOINT_MSG_LEN (23 + CV_VAULT_ID_LEN + 32 + 8 + CV_HASH_LEN)
void cv_checkpoint_msg(const uint8_t vault_id[CV_VAULT_ID_LEN], const uint8_t recovery_pk[32],
		       int64_t seq, const uint8_t hash[CV_HASH_LEN],
		       uint8_t out[CV_CHECKPOINT_MSG_LEN]);

/* The detail of a failure's audit row: err's reason code, then (except
 * for usage and not-found failures, whose arguments may quote what was
 * typed) its arguments as a compact JSON array of strings. */
#define CV_LOG_DETAIL_MAX 320
void cv_log_detail(const cv_err *err, char *out, size_t cap);

cv_status cv_op_begin(cv_session *s, cv_err *err);
cv_status cv_op_log(cv_session *s, cv_action action, const char *object, cv_outcome outcome,
		    const char *detail, cv_err *err);
cv_status cv_op_commit(cv_session *s, cv_err *err);
/* Returns err->status after logging it; the message is kept (with a note
 * appended if the refusal itself could not be logged). */
cv_status cv_op_fail(cv_session *s, cv_action action, const char *object, cv_err *err);

/*
 * cv_audit_unsigned - append one row in its own transaction without a
 * checkpoint, for events with no key at hand (failed logins).  The next
 * signed checkpoint covers it through the chain.
 */
cv_status cv_audit_unsigned(cv_vault *v, const char *actor, cv_action action, const char *object,
			    cv_outcome outcome, const char *detail, cv_err *err);

#endif

/*
 * log.c - middle layer: the access log's hash chain, signed checkpoints,
 * and the fail-closed transaction helpers every operation uses.  Reading
 * and verifying the log are commands (verify.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "buf.h"
#include "err.h"
#include "text.h"
#include "banned.h"

#define CHECKPOINT_ACTION "checkpoint"
static const char checkpoint_domain[] = "casevault-checkpoint-v1";
static const char genesis_domain[] = "casevault-audit-genesis-v1";

void cv_audit_hash(const cv_audit_rec *r, uint8_t out[CV_HASH_LEN])
{
	const char *const fields[] = {
	    r->time, r->actor, r->action, r->object, r->outcome, r->detail, r->rows ? r->rows : ""};
	uint8_t seq[8], len[ARRAY_SIZE(fields)][4];
	cv_bytes parts[2 + 2 * ARRAY_SIZE(fields)];
	size_t n = 0;

	cv_store_u64be(seq, (uint64_t)r->seq);
	parts[n++] = (cv_bytes){r->prev_hash, CV_HASH_LEN};
	parts[n++] = (cv_bytes){seq, sizeof(seq)};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) { /* lp(field), docs/FORMAT.md §7.1 */
		uint32_t k = (uint32_t)strlen(fields[i]);

		len[i][0] = (uint8_t)(k >> 24);
		len[i][1] = (uint8_t)(k >> 16);
		len[i][2] = (uint8_t)(k >> 8);
		len[i][3] = (uint8_t)k;
		parts[n++] = (cv_bytes){len[i], 4};
		parts[n++] = (cv_bytes){fields[i], k};
	}
	cv_hash(out, NULL, 0, NULL, parts, n);
}

void cv_audit_genesis(const uint8_t vault_id[CV_VAULT_ID_LEN], uint8_t out[CV_HASH_LEN])
{
	cv_bytes part = {vault_id, CV_VAULT_ID_LEN};

	cv_hash(out, NULL, 0, genesis_domain, &part, 1);
}

void cv_checkpoint_msg(const uint8_t vault_id[CV_VAULT_ID_LEN], const uint8_t recovery_pk[32],
		       int64_t seq, const uint8_t hash[CV_HASH_LEN],
		       uint8_t out[CV_CHECKPOINT_MSG_LEN])
{
	size_t o = strlen(checkpoint_domain);

	memcpy(out, checkpoint_domain, o);
	memcpy(out + o, vault_id, CV_VAULT_ID_LEN);
	o += CV_VAULT_ID_LEN;
	memcpy(out + o, recovery_pk, 32);
	o += 32;
	cv_store_u64be(out + o, (uint64_t)seq);
	o += 8;
	memcpy(out + o, hash, CV_HASH_LEN);
}

static cv_status load_head(cv_vault *v, struct cv_audit_head *head, cv_err *err)
{
	cv_status st = cv_store_audit_head(v->st, &head->seq, head->hash, err);

	if (st == CV_OK && head->seq == 0)
		cv_audit_genesis(v->vault_id, head->hash);
	return st;
}

/* Appends one row after head and advances head.  With a signer the row is
 * a checkpoint and its signature is also copied to sig_out. */
static cv_status append(cv_vault *v, struct cv_audit_head *head, const char *actor,
			const char *action, const char *object, const char *outcome,
			const char *detail, cv_keyholder *signer, uint8_t *sig_out, cv_err *err)
{
	char now[CV_TIME_LEN], *rows = NULL;
	cv_audit_rec r = {0};
	cv_status st;

	/* The rows this transaction changed since the last row it logged:
	 * this row commits to them (docs/FORMAT.md §7.6). */
	st = cv_store_row_commits(v->st, &rows, err);
	if (st != CV_OK)
		return st;
	cv_time_now(now);
	r.rows = rows;
	r.seq = head->seq + 1;
	r.time = now;
	r.actor = actor;
	r.action = action;
	r.object = object;
	r.outcome = outcome;
	r.detail = detail ? detail : "";
	memcpy(r.prev_hash, head->hash, CV_HASH_LEN);
	cv_audit_hash(&r, r.hash);
	if (signer) {
		uint8_t msg[CV_CHECKPOINT_MSG_LEN];

		cv_checkpoint_msg(v->vault_id, v->recovery_pk, r.seq, r.hash, msg);
		st = cv_keyholder_sign(signer, msg, sizeof(msg), r.sig, err);
		if (st != CV_OK) {
			free(rows);
			return st;
		}
		r.has_sig = 1;
		memcpy(sig_out, r.sig, sizeof(r.sig));
	}
	st = cv_store_audit_insert(v->st, &r, err);
	free(rows);
	if (st != CV_OK)
		return st;
	head->seq = r.seq;
	memcpy(head->hash, r.hash, CV_HASH_LEN);
	return CV_OK;
}

cv_status cv_op_begin(cv_session *s, cv_err *err)
{
	cv_status st = cv_store_begin(s->v->st, err);

	if (st != CV_OK)
		return st;
	st = load_head(s->v, &s->head, err);
	if (st != CV_OK)
		cv_store_rollback(s->v->st);
	return st;
}

cv_status cv_op_log(cv_session *s, cv_action action, const char *object, cv_outcome outcome,
		    const char *detail, cv_err *err)
{
	return append(s->v, &s->head, s->me.name, cv_action_name(action), object,
		      cv_outcome_name(outcome), detail, NULL, NULL, err);
}

cv_status cv_op_commit(cv_session *s, cv_err *err)
{
	uint8_t sig[crypto_sign_BYTES];
	cv_status st = append(s->v, &s->head, s->me.name, CHECKPOINT_ACTION, "audit", "ok", "",
			      s->kh, sig, err);

	if (st == CV_OK)
		st = cv_store_commit(s->v->st, err);
	if (st != CV_OK) {
		cv_store_rollback(s->v->st);
		return st;
	}
	s->last.seq = s->head.seq;
	memcpy(s->last.hash, s->head.hash, CV_HASH_LEN);
	memcpy(s->last.sig, sig, sizeof(sig));
	return CV_OK;
}

void cv_log_detail(const cv_err *err, char *out, size_t cap)
{
	json_t *a = NULL;
	char *txt = NULL;
	int any = 0;

	/* Usage and not-found arguments may quote what was typed (a name where
	 * a case id belongs, a date field holding words), and those of a
	 * failure that is no refusal (the code "error": I/O, memory, the
	 * database) name paths and the system's words: the permanent log gets
	 * only the code.  Other refusals keep their arguments, which name only
	 * ids, users and rules. */
	if (err->status != CV_EUSAGE && err->status != CV_ENOTFOUND &&
	    strcmp(err->code, "error") != 0) {
		a = json_array();
		for (int i = 0; a && i < CV_ERR_ARGS; i++) {
			any |= err->args[i][0] != '\0';
			json_array_append_new(a, json_string(err->args[i]));
		}
		while (a && json_array_size(a) &&
		       !*json_string_value(json_array_get(a, json_array_size(a) - 1)))
			json_array_remove(a, json_array_size(a) - 1);
		txt = any && a ? json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	}
	if (txt && strlen(err->code) + 1 + strlen(txt) < cap)
		snprintf(out, cap, "%s %s", err->code, txt);
	else
		snprintf(out, cap, "%s", err->code[0] ? err->code : "error");
	if (txt) {
		json_free_t f;

		json_get_alloc_funcs(NULL, &f);
		f(txt);
	}
	json_decref(a);
}

cv_status cv_op_fail(cv_session *s, cv_action action, const char *object, cv_err *err)
{
	cv_status orig = err->status;
	cv_err lerr = {0};
	char detail[CV_LOG_DETAIL_MAX];
	cv_status st;

	cv_store_rollback(s->v->st);
	cv_log_detail(err, detail, sizeof(detail));
	st = cv_op_begin(s, &lerr);
	if (st == CV_OK)
		st = cv_op_log(s, action, object, cv_outcome_of(orig), detail, &lerr);
	if (st == CV_OK)
		st = cv_op_commit(s, &lerr);
	if (st != CV_OK) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, " (and the audit row failed: %s)",
			 lerr.msg);
	}
	err->status = orig;
	return orig;
}

cv_status cv_audit_unsigned(cv_vault *v, const char *actor, cv_action action, const char *object,
			    cv_outcome outcome, const char *detail, cv_err *err)
{
	struct cv_audit_head head;
	cv_status st = cv_store_begin(v->st, err);

	if (st != CV_OK)
		return st;
	st = load_head(v, &head, err);
	if (st == CV_OK)
		st = append(v, &head, actor, cv_action_name(action), object,
			    cv_outcome_name(outcome), detail, NULL, NULL, err);
	if (st == CV_OK)
		st = cv_store_commit(v->st, err);
	if (st != CV_OK)
		cv_store_rollback(v->st);
	return st;
}

/*
 * keys.c - commands: delivering the vault-wide keys with the recovery code
 * (`casevault vault keys --deliver`).  The keys themselves are vkeys.c's.
 */
#include <stdio.h>

#include "err.h"
#include "log.h"
#include "policy.h"
#include "recovery.h"
#include "vkeys.h"
#include "banned.h"

cv_status cv_vault_keys_deliver(cv_session *s, const char *recovery_code, int *delivered,
				cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_keyholder *recovery = NULL;
	char detail[32];
	int n = 0;
	cv_status st;

	*delivered = 0;
	st = cv_policy_check(s, CV_ACT_VAULT_KEYS, "vault", err);
	if (st != CV_OK)
		return st;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = cv_recovery_open(s->v, recovery_code ? recovery_code : "", &recovery, err);
	if (st == CV_OK)
		st = cv_vkeys_deliver(s, recovery, &n, err);
	cv_keyholder_free(recovery);
	if (st != CV_OK)
		return cv_op_fail(s, CV_ACT_VAULT_KEYS, "vault", err);
	snprintf(detail, sizeof(detail), "copies=%d", n);
	st = cv_op_log(s, CV_ACT_VAULT_KEYS, "vault", CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st == CV_OK)
		*delivered = n;
	return st;
}

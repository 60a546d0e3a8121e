/*
 * vault.c - commands: process hardening, creating and opening vaults, and logging in
 * (an account awaiting its enrolment is refused), with the passphrase or
 * with the keys of a running unlock agent.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "crypt.h"
#include "err.h"
#include "localday.h"
#include "recovery.h"
#include "text.h"
#include "user.h"
#include "vkeys.h"
#include "banned.h"

cv_status cv_init(cv_err *err)
{
	CV_ERR_GUARD(err);
	struct rlimit no_core = {0, 0};

	if (sodium_init() < 0)
		return cv_err_set(err, CV_ERROR, "libsodium failed to initialise");
	/* Secrets must never reach a core file or a ptrace-ing peer. */
	if (setrlimit(RLIMIT_CORE, &no_core) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return cv_err_set(err, CV_ERROR, "cannot disable core dumps");
	umask(077);
	cv_json_secure_alloc();
	return CV_OK;
}

static void remove_vault_files(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[4096];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix[i]) < sizeof(p))
			unlink(p);
	}
}

cv_status cv_vault_create(const char *path, const char *admin, const char *pass, size_t passlen,
			  const cv_kdf_params *kdf, char *recovery_code, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_kdf_params params = {CV_KDF_T_DEFAULT, CV_KDF_M_DEFAULT, CV_KDF_P_DEFAULT};
	uint8_t rpk[crypto_box_PUBLICKEYBYTES];
	cv_vault *v = NULL;
	cv_session s = {0};
	char detail[CV_LOG_DETAIL_MAX], hex[2 * crypto_box_PUBLICKEYBYTES + 1];
	char stats_hex[2 * crypto_box_PUBLICKEYBYTES + 1], index_hex[2 * CV_HASH_LEN + 1];
	cv_status st;

	if (kdf)
		params = *kdf;
	if ((st = cv_name_check(admin, err)) != CV_OK ||
	    (st = cv_passphrase_check(pass, passlen, err)) != CV_OK ||
	    (st = cv_kdf_params_check(&params, err)) != CV_OK)
		return st;
	v = calloc(1, sizeof(*v));
	if (!v)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_store_create(path, &v->st, err);
	if (st != CV_OK) {
		free(v);
		return st;
	}
	randombytes_buf(v->vault_id, sizeof(v->vault_id));
	s.v = v;
	s.role = CV_ROLE_ADMIN;
	st = cv_op_begin(&s, err);
	if (st != CV_OK)
		goto fail;
	st = cv_store_meta_put(v->st, "vault_id", v->vault_id, sizeof(v->vault_id), err);
	if (st == CV_OK)
		st = cv_user_kdf_set_default(v, &params, err);
	if (st == CV_OK)
		st = cv_user_create(v, admin, pass, passlen, &params, &s.me, &s.kh, err);
	if (st == CV_OK)
		st = cv_recovery_generate(recovery_code, rpk, err);
	memcpy(v->recovery_pk, rpk, sizeof(rpk));
	if (st == CV_OK)
		st = cv_recovery_store(v, rpk, s.kh, err);
	if (st == CV_OK)
		st = cv_vkeys_create(v, s.kh, rpk, err);
	/* The first row commits to the recovery key for good (every later
	 * checkpoint signs it too): docs/FORMAT.md §10.3; and to the stats
	 * key and the index commitment, which no later row may change (§3.1). */
	if (st == CV_OK)
		st = cv_store_meta_get(v->st, "stats_pk", v->stats_pk, sizeof(v->stats_pk), err);
	if (st == CV_OK)
		st = cv_store_meta_get(v->st, "index_commit", v->index_commit,
				       sizeof(v->index_commit), err);
	sodium_bin2hex(hex, sizeof(hex), rpk, sizeof(rpk));
	sodium_bin2hex(stats_hex, sizeof(stats_hex), v->stats_pk, sizeof(v->stats_pk));
	sodium_bin2hex(index_hex, sizeof(index_hex), v->index_commit, sizeof(v->index_commit));
	snprintf(detail, sizeof(detail),
		 "admin=%s kdf=argon2id t=%u m=%u p=%u stats=%s index=%s recovery=%s", admin,
		 params.t_cost, params.m_cost_kib, params.parallelism, stats_hex, index_hex, hex);
	if (st == CV_OK)
		st = cv_op_log(&s, CV_ACT_VAULT_INIT, "vault", CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(&s, err);
	if (st != CV_OK)
		goto fail;
	cv_keyholder_free(s.kh);
	cv_vault_close(v);
	return CV_OK;
fail:
	sodium_memzero(recovery_code, CV_RECOVERY_CODE_LEN + 1);
	cv_store_rollback(v->st);
	cv_keyholder_free(s.kh);
	cv_vault_close(v);
	remove_vault_files(path);
	return st;
}

struct first_row {
	uint8_t pk[crypto_box_PUBLICKEYBYTES];
	uint8_t stats_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t index_commit[CV_HASH_LEN];
	int found;
};

/* The len bytes of hex field " NAME=HEX" of detail (followed by a space
 * or the end) into out; 0, or -1 when it is missing or malformed. */
static int hex_field(const char *detail, const char *name, uint8_t *out, size_t len)
{
	char key[24];
	const char *p;

	snprintf(key, sizeof(key), " %s=", name);
	p = strstr(detail, key);
	if (!p)
		return -1;
	p += strlen(key);
	if (strspn(p, "0123456789abcdef") != 2 * len || (p[2 * len] && p[2 * len] != ' '))
		return -1;
	return sodium_hex2bin(out, len, p, 2 * len, NULL, NULL, NULL) == 0 ? 0 : -1;
}

static int read_first_row(const cv_audit_rec *r, void *arg)
{
	struct first_row *f = arg;
	const char *p = strstr(r->detail, " recovery=");

	/* recovery= ends the detail (§7.2) */
	if (strcmp(r->action, cv_action_name(CV_ACT_VAULT_INIT)) == 0 && p &&
	    strlen(p + 10) == 2 * sizeof(f->pk) &&
	    hex_field(r->detail, "recovery", f->pk, sizeof(f->pk)) == 0 &&
	    hex_field(r->detail, "stats", f->stats_pk, sizeof(f->stats_pk)) == 0 &&
	    hex_field(r->detail, "index", f->index_commit, sizeof(f->index_commit)) == 0)
		f->found = 1;
	return 0;
}

/* The recovery key the first log row committed to (docs/FORMAT.md §10.3):
 * the one every checkpoint signs, and the only one cv_recovery_pk accepts.
 * Whether row 1 itself is genuine is the chain's business (audit verify). */
static cv_status load_recovery_commitment(cv_vault *v, cv_err *err)
{
	struct first_row f = {{0}, {0}, {0}, 0};
	cv_status st = cv_store_audit_get(v->st, 1, read_first_row, &f, err);

	if (st == CV_OK && !f.found)
		st = CV_ENOTFOUND;
	if (st == CV_ENOTFOUND)
		return cv_fail(
		    err, CV_EINTEGRITY, "vault.no-recovery-commitment",
		    "audit row 1, the first of the log, is missing or does not commit to "
		    "the vault's recovery and statistics keys: the vault is damaged or was "
		    "tampered with, or was made by an older casevault; restore it from a "
		    "backup");
	if (st == CV_OK) {
		memcpy(v->recovery_pk, f.pk, sizeof(f.pk));
		memcpy(v->stats_pk, f.stats_pk, sizeof(f.stats_pk));
		memcpy(v->index_commit, f.index_commit, sizeof(f.index_commit));
	}
	return st;
}

cv_status cv_vault_open(const char *path, cv_vault **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_vault *v = calloc(1, sizeof(*v));
	cv_status st;

	*out = NULL;
	if (!v)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_store_open(path, &v->st, err);
	if (st == CV_OK) {
		st = cv_store_meta_get(v->st, "vault_id", v->vault_id, sizeof(v->vault_id), err);
		if (st == CV_ENOTFOUND)
			st = cv_fail(
			    err, CV_EINTEGRITY, "vault.no-id",
			    "'{1}' has no vault id: it is damaged or was never initialised", path);
	}
	if (st == CV_OK)
		st = load_recovery_commitment(v, err);
	if (st != CV_OK) {
		cv_vault_close(v);
		return st;
	}
	*out = v;
	return CV_OK;
}

int cv_vault_format(void)
{
	return CV_VAULT_FORMAT;
}

void cv_vault_close(cv_vault *v)
{
	if (!v)
		return;
	cv_agent_detach(v);
	cv_ident_cache_off(v);
	cv_verified_forget(v);
	cv_store_close(v->st);
	free(v);
}

/* Logs a failed login without a signature (the detail is the reason code
 * `why`) and returns the original error with err's code set to why. */
static cv_status login_failed(cv_vault *v, const char *name, const char *why, cv_err *err)
{
	char object[CV_NAME_MAX + 8];
	cv_err lerr = {0};
	cv_status orig = err->status;

	snprintf(err->code, sizeof(err->code), "%s", why);
	snprintf(object, sizeof(object), "user:%s", name);
	if (cv_audit_unsigned(v, name, CV_ACT_LOGIN, object, cv_outcome_of(orig), why, &lerr) !=
	    CV_OK) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, " (and the audit row failed: %s)",
			 lerr.msg);
	}
	err->status = orig;
	return orig;
}

/* docs/FORMAT.md §17.1 steps 2-4: the user's record, read into s->me,
 * exists, verifies, is the one the log last wrote, and is active. */
static cv_status login_record(cv_vault *v, const char *user, cv_session *s, cv_err *err)
{
	cv_status st = cv_store_user_by_name(v->st, user, &s->me, err);

	if (st == CV_ENOTFOUND) {
		cv_fail(err, CV_EAUTH, CV_CODE_AUTH_UNKNOWN,
			"no user '{1}' in this vault; check the name with 'casevault user list' or "
			"ask an admin",
			user);
		st = login_failed(v, user, CV_CODE_AUTH_UNKNOWN, err);
		goto out;
	}
	if (st == CV_EINTEGRITY) {
		st = login_failed(v, user, CV_CODE_AUTH_MALFORMED, err);
		goto out;
	}
	if (st != CV_OK)
		goto out;
	st = cv_user_verify(v, &s->me, err);
	/* A quick check that the record is the one the log last wrote: an
	 * older copy put back (say, "active" before a disable) is refused.
	 * The full chain is checked by `audit verify`. */
	if (st == CV_OK)
		st = cv_user_match_log(v, &s->me, err);
	if (st == CV_EINTEGRITY) {
		st = login_failed(v, user, CV_CODE_AUTH_UNVERIFIED, err);
		goto out;
	}
	if (st != CV_OK)
		goto out;
	if (cv_word_parse(&cv_user_states, s->me.status) == CV_USER_PENDING) {
		cv_fail(err, CV_EAUTH, CV_CODE_AUTH_PENDING,
			"user '{1}' has not enrolled yet; run 'casevault enrol' with the code "
			"from your admin",
			user);
		st = login_failed(v, user, CV_CODE_AUTH_PENDING, err);
		goto out;
	}
	if (cv_word_parse(&cv_user_states, s->me.status) != CV_USER_ACTIVE) {
		cv_fail(err, CV_EAUTH, CV_CODE_AUTH_DISABLED,
			"user '{1}' is disabled; ask an admin", user);
		st = login_failed(v, user, CV_CODE_AUTH_DISABLED, err);
		goto out;
	}
	s->role = cv_user_role(&s->me);
out:
	return st;
}

/* §17.1 step 6: the user's vault key copy is checked and passed on. */
static cv_status login_vkeys(cv_vault *v, const char *user, cv_session *s, cv_err *err)
{
	cv_status st = cv_vkeys_share_pending(s, NULL, err);

	if (st == CV_EINTEGRITY) {
		char why[CV_ERR_CODE_MAX];

		/* The row carries a code of the unsigned set (the session's
		 * keys sign nothing yet); the caller is told which copy
		 * failed. */
		snprintf(why, sizeof(why), "%s", err->code);
		st = login_failed(v, user, CV_CODE_AUTH_VKEY, err);
		snprintf(err->code, sizeof(err->code), "%s", why);
	}
	return st;
}

static cv_status session_new(cv_vault *v, const char *user, cv_session **s, cv_err *err)
{
	cv_status st = cv_name_check(user, err);

	*s = NULL;
	if (st != CV_OK)
		return st;
	*s = calloc(1, sizeof(**s));
	if (!*s)
		return cv_err_set(err, CV_ERROR, "out of memory");
	(*s)->v = v;
	return CV_OK;
}

cv_status cv_login(cv_vault *v, const char *user, const char *pass, size_t passlen,
		   cv_session **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_session *s;
	cv_status st;

	*out = NULL;
	st = session_new(v, user, &s, err);
	if (st != CV_OK)
		return st;
	st = login_record(v, user, s, err);
	if (st != CV_OK)
		goto fail;
	st = cv_user_unlock(v, &s->me, pass, passlen, &s->kh, err);
	if (st == CV_EAUTH) {
		st = login_failed(v, user, CV_CODE_AUTH_PASSPHRASE, err);
		goto fail;
	}
	if (st == CV_EINTEGRITY) {
		cv_fail(err, CV_EINTEGRITY, CV_CODE_AUTH_KEYS,
			"the record of user '{1}' fails verification: its wrapped keys do not "
			"match its public keys; the vault was tampered with (run 'casevault "
			"audit verify' and restore from a backup)",
			user);
		st = login_failed(v, user, CV_CODE_AUTH_KEYS, err);
		goto fail;
	}
	/* A vault key reaches colleagues from a holder of the same role; a
	 * copy of one's own that fails verification refuses the login. */
	if (st == CV_OK)
		st = login_vkeys(v, user, s, err);
	if (st != CV_OK)
		goto fail;
	*out = s;
	return CV_OK;
fail:
	cv_session_close(s);
	return st;
}

cv_status cv_login_agent(cv_vault *v, const char *user, cv_session **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	struct cv_agent_status as;
	cv_session *s;
	cv_status st;
	int fd = -1;

	*out = NULL;
	st = session_new(v, user, &s, err);
	if (st != CV_OK)
		return st;
	/* No agent: nothing is read or logged, the caller asks for the
	 * passphrase. */
	st = cv_agent_attached(v, user, &fd, &as, err);
	if (st == CV_OK)
		st = cv_agent_keyholder(fd, &as, &s->kh, err);
	if (st != CV_OK)
		goto fail;
	st = login_record(v, user, s, err);
	if (st != CV_OK)
		goto fail;
	/* In place of step 5: the agent's keys are the record's own (it was
	 * unlocked with the passphrase that unwraps them), else they were
	 * rotated since, and the passphrase is asked again. */
	if (sodium_memcmp(s->kh->box_pk, s->me.box_pk, sizeof(s->me.box_pk)) != 0 ||
	    sodium_memcmp(s->kh->sign_pk, s->me.sign_pk, sizeof(s->me.sign_pk)) != 0) {
		st = cv_fail(err, CV_EAUTH, CV_CODE_AGENT_KEYS,
			     "the unlock agent of '{1}' holds other keys than the vault's record "
			     "(they were changed since the unlock); 'casevault lock', then "
			     "unlock again",
			     user);
		goto fail;
	}
	st = login_vkeys(v, user, s, err);
	if (st != CV_OK)
		goto fail;
	*out = s;
	return CV_OK;
fail:
	cv_session_close(s);
	return st;
}

void cv_session_close(cv_session *s)
{
	if (!s)
		return;
	cv_store_rollback(s->v->st);
	cv_keyholder_free(s->kh);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

const char *cv_session_user(const cv_session *s)
{
	return s->me.name;
}

cv_role cv_session_role(const cv_session *s)
{
	return s->role;
}

cv_status cv_session_today(cv_session *s, char out[11], cv_err *err)
{
	CV_ERR_GUARD(err);
	return cv_local_today(s->v, out, err);
}

cv_status cv_vault_zone(cv_vault *v, char out[CV_ZONE_MAX], cv_err *err)
{
	char buf[CV_LOCAL_TZ_CAP];
	const char *tz = NULL;
	cv_status st;

	CV_ERR_GUARD(err);
	out[0] = '\0';
	st = cv_local_zone(v, buf, &tz, err);
	if (st == CV_OK && tz)
		snprintf(out, CV_ZONE_MAX, "%s", tz);
	return st;
}

cv_status cv_session_zone(cv_session *s, char out[CV_ZONE_MAX], cv_err *err)
{
	return cv_vault_zone(s->v, out, err);
}

/*
 * casevault.h - the public API of libcasevault.
 *
 * The library owns every rule of the vault: authentication, key handling,
 * role checks and the audit log.  Front ends (the casevault program) only
 * parse, prompt and print.  No function here prints or exits: each returns a
 * cv_status and, on failure, leaves a message in the caller's cv_err.
 *
 * Secrets passed in (passphrases, recovery codes) stay owned by the caller;
 * the library copies what it needs into guarded memory and wipes it.
 */
#ifndef CASEVAULT_H
#define CASEVAULT_H

#include <stddef.h>
#include <stdint.h>

#define CV_VERSION "0.1.0"

/* Status codes double as the program's exit codes (see casevault(1)). */
typedef enum cv_status {
	CV_OK = 0,
	CV_ERROR = 1,     /* anything else: I/O, database, out of memory */
	CV_EUSAGE = 2,    /* the request itself is malformed */
	CV_EAUTH = 3,     /* wrong passphrase, unknown or disabled user */
	CV_EDENIED = 4,   /* refused by policy: role, grant, consent */
	CV_EINTEGRITY = 5, /* tampering or failed verification */
	CV_ENOTFOUND = 6, /* the named object does not exist */
} cv_status;

#define CV_ERRMSG_MAX 512

/* The error context: the status and a message naming what failed and what
 * to do.  Messages never hold plaintext content or key material. */
typedef struct cv_err {
	cv_status status;
	char msg[CV_ERRMSG_MAX];
} cv_err;

/* Sets err (which may be NULL) to st and a printf-style message; returns
 * st.  Front ends use it for their own errors so that one printer serves. */
cv_status cv_err_set(cv_err *err, cv_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef enum cv_role {
	CV_ROLE_COUNSELOR = 1,
	CV_ROLE_SUPERVISOR = 2,
	CV_ROLE_ADMIN = 3,
} cv_role;

/* Argon2id cost parameters: t passes over m KiB with p lanes. */
typedef struct cv_kdf_params {
	uint32_t t_cost;
	uint32_t m_cost_kib;
	uint32_t parallelism;
} cv_kdf_params;

/* Defaults: RFC 9106's second recommended option. */
#define CV_KDF_T_DEFAULT 3u
#define CV_KDF_M_DEFAULT 65536u
#define CV_KDF_P_DEFAULT 4u
/* Floors (OWASP) and ceilings ("absurd") checked before the KDF runs. */
#define CV_KDF_T_MIN 2u
#define CV_KDF_M_MIN 19456u
#define CV_KDF_T_MAX 64u
#define CV_KDF_M_MAX 4194304u /* 4 GiB */
#define CV_KDF_P_MAX 64u

#define CV_PASSPHRASE_MIN_CHARS 12
#define CV_PASSPHRASE_MAX_BYTES 1024
#define CV_NAME_MAX 32

/* "xxxx-" nine times, minus the last dash: 36 hex digits, 8 dashes. */
#define CV_RECOVERY_CODE_LEN 44

typedef struct cv_vault cv_vault;
typedef struct cv_session cv_session;

/*
 * cv_init - prepare the process: initialise libsodium and turn core dumps
 * off (RLIMIT_CORE 0, PR_SET_DUMPABLE 0).  Call once before anything else.
 */
cv_status cv_init(cv_err *err);

/* The name of a status ("ok", "denied", ...) and of a role. */
const char *cv_status_name(cv_status st);
const char *cv_role_name(cv_role role);
/* Parses "counselor", "supervisor" or "admin"; returns 0 when unknown. */
cv_role cv_role_parse(const char *s);

/*
 * cv_kdf_params_check - refuse parameters below the floors or above the
 * ceilings, before any memory is spent on them.
 */
cv_status cv_kdf_params_check(const cv_kdf_params *kdf, cv_err *err);

/*
 * cv_passphrase_check - a new passphrase must be valid UTF-8 without control
 * characters, at least CV_PASSPHRASE_MIN_CHARS characters and at most
 * CV_PASSPHRASE_MAX_BYTES bytes.
 */
cv_status cv_passphrase_check(const char *pass, size_t len, cv_err *err);

/* A user name is 1..CV_NAME_MAX of [a-z0-9._-], starting with a letter. */
cv_status cv_name_check(const char *name, cv_err *err);

/*
 * cv_vault_create - create a new vault file at path (mode 0600; an existing
 * file is never overwritten) with its first admin account and the vault's
 * recovery key pair.  kdf may be NULL for the defaults.  The recovery code is
 * written to recovery_code (CV_RECOVERY_CODE_LEN + 1 bytes, which the caller
 * should allocate with sodium_malloc); it is never stored in the vault.
 */
cv_status cv_vault_create(const char *path, const char *admin, const char *pass, size_t passlen,
			  const cv_kdf_params *kdf, char *recovery_code, cv_err *err);

/*
 * cv_vault_open - open an existing vault.  Fails with CV_ENOTFOUND when the
 * file does not exist and CV_EINTEGRITY when it is not a casevault vault or
 * its format version is unknown.  Free with cv_vault_close (NULL is fine).
 */
cv_status cv_vault_open(const char *path, cv_vault **out, cv_err *err);
void cv_vault_close(cv_vault *v);

/*
 * cv_login - authenticate a user: verify their signed user record, refuse a
 * disabled account, derive the key from the passphrase and unwrap their
 * secret keys into a key holder.  Every failure is written to the audit log
 * (unsigned: no key is at hand) before it is returned: CV_EAUTH for a wrong
 * passphrase or a disabled or unknown user, CV_EINTEGRITY for a record that
 * fails verification.  The session borrows v; close it before v.
 */
cv_status cv_login(cv_vault *v, const char *user, const char *pass, size_t passlen,
		   cv_session **out, cv_err *err);
void cv_session_close(cv_session *s);

const char *cv_session_user(const cv_session *s);
cv_role cv_session_role(const cv_session *s);

/* ---- users ---------------------------------------------------------- */

typedef struct cv_user_info {
	int64_t id;
	const char *name;
	cv_role role;
	int disabled;
	const char *created; /* UTC, "YYYY-MM-DDTHH:MM:SSZ" */
	const char *signer;  /* the admin who signed the current record */
} cv_user_info;

typedef int (*cv_user_cb)(const cv_user_info *u, void *arg);

/* Admin only.  Creates a user whose record the acting admin signs.  kdf may
 * be NULL for the vault's defaults. */
cv_status cv_user_add(cv_session *s, const char *name, cv_role role, const char *pass,
		      size_t passlen, const cv_kdf_params *kdf, cv_err *err);
/* Any role.  Calls cb for each user in id order; a non-zero return stops. */
cv_status cv_user_list(cv_session *s, cv_user_cb cb, void *arg, cv_err *err);
/* Changes the acting user's own passphrase (the old one was given at login);
 * the secret keys are re-wrapped under a new salt. */
cv_status cv_user_passwd(cv_session *s, const char *newpass, size_t newlen, cv_err *err);
/* Admin only.  Disables an account; its record is re-signed by the admin. */
cv_status cv_user_disable(cv_session *s, const char *name, cv_err *err);

/*
 * cv_user_reset - admin, with the recovery code: give user `name` (who
 * forgot their passphrase) new keys under newpass.  Their old identity is
 * kept so that what they signed still verifies, and every case granted to
 * them and the vault keys their role holds are re-sealed to the new key
 * from the recovery copies: nothing is lost.
 */
cv_status cv_user_reset(cv_session *s, const char *name, const char *recovery_code,
			const char *newpass, size_t newlen, cv_err *err);

/* ---- audit log ------------------------------------------------------ */

typedef struct cv_audit_row {
	int64_t seq;
	const char *time;
	const char *actor;
	const char *action;
	const char *object;
	const char *outcome; /* "ok", "denied" or "failed" */
	const char *detail;
	int signed_checkpoint; /* this row is a checkpoint signed by its actor */
} cv_audit_row;

typedef struct cv_audit_filter {
	const char *user;   /* actor, or NULL */
	const char *action; /* exact action, or a prefix ending in '.', or NULL */
	const char *since;  /* "YYYY-MM-DD" or full UTC time, inclusive, or NULL */
	const char *until;  /* same, inclusive of that whole day, or NULL */
	int denied_only;    /* only rows whose outcome is not "ok" */
} cv_audit_filter;

typedef int (*cv_audit_cb)(const cv_audit_row *row, void *arg);

/* Supervisors and admins.  Streams the matching rows in order. */
cv_status cv_audit_log(cv_session *s, const cv_audit_filter *f, cv_audit_cb cb, void *arg,
		       cv_err *err);

/* What a verification saw. */
typedef struct cv_audit_report {
	int64_t rows;        /* rows checked */
	int64_t checkpoints; /* signatures checked */
	int64_t users;       /* user records checked */
	int64_t unsigned_tail; /* rows after the last signed checkpoint */
	int64_t bad_seq;     /* first bad row, or 0 */
} cv_audit_report;

/*
 * cv_audit_verify - recompute the hash chain, every checkpoint signature and
 * every user record signature; when checkpoint_text is not NULL, also check
 * that the log still holds that signed (size, head).  Returns CV_EINTEGRITY
 * naming the first problem.  Supervisors and admins; the outcome is logged.
 */
cv_status cv_audit_verify(cv_session *s, const char *checkpoint_text, cv_audit_report *rep,
			  cv_err *err);

/*
 * cv_audit_checkpoint - write a signed checkpoint row and return its
 * external form (a few lines of text, see docs/FORMAT.md) in *out, which the
 * caller frees with free().  Supervisors and admins.
 */
cv_status cv_audit_checkpoint(cv_session *s, char **out, cv_err *err);

#endif /* CASEVAULT_H */

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
#include <stdio.h>

#define CV_VERSION "0.1.0"

/* Status codes double as the program's exit codes (see casevault(1)). */
typedef enum cv_status {
	CV_OK = 0,
	CV_ERROR = 1,	   /* anything else: I/O, database, out of memory */
	CV_EUSAGE = 2,	   /* the request itself is malformed */
	CV_EAUTH = 3,	   /* wrong passphrase, unknown or disabled user */
	CV_EDENIED = 4,	   /* refused by policy: role, grant, consent */
	CV_EINTEGRITY = 5, /* tampering or failed verification */
	CV_ENOTFOUND = 6,  /* the named object does not exist */
} cv_status;

#define CV_ERRMSG_MAX 512
#define CV_ERR_ARGS 4
#define CV_ERR_ARG_MAX 64
#define CV_ERR_CODE_MAX 40

/*
 * The error context.  A failure is a stable reason code ("consent.missing")
 * with up to CV_ERR_ARGS string arguments and an English template that
 * places them ("case '{1}' has no consent ..."); the audit log stores the
 * code (and, for refusals, the arguments, which never hold content), never
 * the sentence.  The front end renders the sentence, translated, with
 * cv_err_render; msg holds the English rendering for library callers.
 * Messages never hold plaintext content or key material.  Every function
 * taking a cv_err accepts NULL.
 */
typedef struct cv_err {
	cv_status status;
	char code[CV_ERR_CODE_MAX];
	const char *tmpl; /* static English template, or NULL */
	char args[CV_ERR_ARGS][CV_ERR_ARG_MAX];
	char msg[CV_ERRMSG_MAX];
} cv_err;

/*
 * cv_fail - set err (which may be NULL) to st, reason code, template and
 * its arguments (strings, at most CV_ERR_ARGS, each cut to
 * CV_ERR_ARG_MAX - 1 bytes); returns st.  {1}..{4} in the template stand
 * for the arguments.  Use the macro, which ends the argument list.
 */
cv_status cv_fail_(cv_err *err, cv_status st, const char *code, const char *tmpl, ...);
#define cv_fail(err, st, code, ...) cv_fail_((err), (st), (code), __VA_ARGS__, (const char *)0)

/* Sets err to st with a printf-style English message and the generic
 * code "error"; for failures that are not refusals (I/O, memory). */
cv_status cv_err_set(cv_err *err, cv_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Renders tmpl (err's template, or a translation of it) with err's
 * arguments into out; {n} without an argument renders as "?".  A NULL
 * tmpl renders err->msg. */
void cv_err_render(const cv_err *err, const char *tmpl, char *out, size_t cap);

typedef enum cv_role {
	CV_ROLE_COUNSELOR = 1,
	CV_ROLE_SUPERVISOR = 2,
	CV_ROLE_ADMIN = 3,
} cv_role;

/* What a user may ask the vault to do; each is a row of the policy table
 * and the action code of its audit rows (spelled as in docs/FORMAT.md). */
typedef enum cv_action {
	CV_ACT_VAULT_INIT = 1,
	CV_ACT_LOGIN,
	CV_ACT_CHECKPOINT,
	CV_ACT_CRISIS,
	CV_ACT_CASE_READ, /* one case decrypted for a list or a find */
	CV_ACT_USER_ADD,
	CV_ACT_USER_LIST,
	CV_ACT_USER_PASSWD,
	CV_ACT_USER_DISABLE,
	CV_ACT_USER_RESET,
	CV_ACT_CONFIG_SET,
	CV_ACT_CONFIG_GET,
	CV_ACT_CASE_OPEN,
	CV_ACT_CASE_LIST,
	CV_ACT_CASE_FIND,
	CV_ACT_CASE_SHOW,
	CV_ACT_CASE_CLOSE,
	CV_ACT_CASE_REOPEN,
	CV_ACT_CASE_SHARE,
	CV_ACT_CASE_HANDOVER,
	CV_ACT_CASE_SHRED,
	CV_ACT_CONSENT_RECORD,
	CV_ACT_CONSENT_WITHDRAW,
	CV_ACT_NOTE_ADD,
	CV_ACT_NOTE_EDIT,
	CV_ACT_NOTE_FINALIZE,
	CV_ACT_NOTE_AMEND,
	CV_ACT_NOTE_SHOW,
	CV_ACT_TEST_ADD,
	CV_ACT_REFERRAL_ADD,
	CV_ACT_REFERRAL_UPDATE,
	CV_ACT_REFERRAL_LIST,
	CV_ACT_WATCH_ADD,
	CV_ACT_WATCH_LIST,
	CV_ACT_WATCH_DONE,
	CV_ACT_AUDIT_LOG,
	CV_ACT_AUDIT_VERIFY,
	CV_ACT_AUDIT_CHECKPOINT,
	CV_ACT_VKEY_SHARE,	  /* one copy of a vault key sealed to a colleague */
	CV_ACT_VAULT_KEYS,	  /* vault keys delivered with the recovery code */
	CV_ACT_USER_ENROL,	  /* a pending user sets their passphrase; their keys are made */
	CV_ACT_USER_ROTATE,	  /* a user replaces their own key pairs */
	CV_ACT_STATS_EXPORT,	  /* anonymized term statistics, from the stats key only */
	CV_ACT_AUDIT_REVIEW,	  /* a supervisor's review of a break-glass event, or reading one */
	CV_ACT_AUDIT_ALERTS,	  /* what the supervisor should look at, from the log */
	CV_ACT_DUTY_START,	  /* a counselor's shift begins (R7) */
	CV_ACT_DUTY_END,	  /* ... and ends */
	CV_ACT_DUTY_ADD,	  /* a shift logged after the fact */
	CV_ACT_DUTY_LIST,	  /* the shifts of a week */
	CV_ACT_DUTY_HOURS,	  /* open hours per week against the threshold */
	CV_ACT_DUE,		  /* what needs doing today, on the counselor's cases */
	CV_ACT_REPORT_COMPLIANCE, /* the room's work against the standard, item by item */
} cv_action;

/* The closed sets of words users type (the spellings are part of the
 * format; docs/FORMAT.md).  cv_words returns the words a user may give,
 * NULL-terminated, with their count in *n (n may be NULL). */
typedef enum cv_wordset {
	CV_WORDS_NOTE_KIND = 1, /* session, analysis, outcome, contact */
	CV_WORDS_PARTY,		/* student, guardian */
	CV_WORDS_METHOD,	/* written, oral */
	CV_WORDS_SCOPE,		/* individual, group, testing, guardian-contact, ... */
	CV_WORDS_URGENCY,	/* routine, urgent, emergency */
	CV_WORDS_FOLLOWUP,	/* contacted, accepted, declined, completed */
	CV_WORDS_CATEGORY,	/* academic, emotion, ..., other */
	CV_WORDS_TAG,		/* single-parent, left-behind, family-change, other */
	CV_WORDS_GENDER,	/* F, M, X */
	CV_WORDS_DESTINATION,	/* mental-health, hospital, counseling, social-services, other */
	CV_WORDS_ROLE,		/* counselor, supervisor, admin */
	CV_WORDS_OUTCOME,	/* ok, denied, failed (of a log row) */
	CV_WORDS_ACTION,	/* vault.init, login, ..., the actions of log rows */
	CV_WORDS_SEASON,	/* autumn, spring: the terms, "YYYY-autumn" */
} cv_wordset;
const char *const *cv_words(cv_wordset set, size_t *n);
/* The names of the signed settings (adult_age, ...), in their fixed
 * order, NULL-terminated; their count in *n (n may be NULL). */
const char *const *cv_setting_names(size_t *n);

#define CV_GRADE_MIN 1u
#define CV_GRADE_MAX 12u
#define CV_EVERY_MIN 1u /* register follow-up interval, days */
#define CV_EVERY_MAX 366u

/* Whether s is a date the vault accepts (YYYY-MM-DD, a real day, year
 * 1970 or later), or with time_too also a UTC time YYYY-MM-DDTHH:MM:SSZ. */
int cv_time_valid(const char *s, int time_too);

/*
 * cv_id_normalize - puts an id as a person may type it into the form the
 * vault stores (docs/FORMAT.md §15), in place: when s has an id's shape
 * (a prefix letter of §15, '-', then 5 characters for a case or 6 for a
 * record) and every character is a Crockford base32 one in either case
 * or a look-alike (O and o read as 0; I, i, L and l as 1), maybe with
 * blanks (spaces, tabs, line ends) around it, s becomes the upper-case id
 * alone and 1 is returned.  Anything else is left as it is
 * (a user name, a typo the lookup will call not found) and 0 returned.
 */
int cv_id_normalize(char *s);

/*
 * Showing text that came from the file on a terminal.  A unit is one
 * UTF-8 character, or one byte where the text is not UTF-8.
 *
 * cv_text_safe_run - how many leading bytes of s[0..n) may reach a
 * terminal as they are: printable characters only -- not a byte outside
 * UTF-8, not a control character (C0, DEL, C1; with keep_lines newline and
 * tab pass), not a bidi control or invisible format character (U+061C,
 * U+200E, U+200F, U+202A..U+202E, U+2028, U+2029, U+2066..U+206F,
 * U+FEFF), so that nothing stored can move the cursor, clear the screen,
 * retitle the window or reorder and hide what is shown around it.
 *
 * cv_text_escape_one - writes into out the visible form of the unit at
 * s[0] (n > 0): "\xNN" for an ASCII or non-UTF-8 byte, "\uNNNN" (or
 * "\UNNNNNNNN") for a character; returns the bytes of s it stands for.
 * A printer alternates the two until s is used up.
 */
#define CV_TEXT_ESC_MAX 12
size_t cv_text_safe_run(const char *s, size_t n, int keep_lines);
size_t cv_text_escape_one(const char *s, size_t n, char out[CV_TEXT_ESC_MAX]);
/*
 * cv_text_width - how many terminal columns s[0..n) takes when shown as
 * above (printable runs as they are, the rest escaped): East Asian wide
 * and fullwidth characters (CJK) count 2, combining and zero-width marks
 * 0, everything else 1, an escape its length.  From a table of Unicode
 * blocks, not from the locale.  For aligning tables.
 */
size_t cv_text_width(const char *s, size_t n);

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
/* Floors (OWASP) and ceilings ("absurd") checked before the KDF runs, at
 * creation and on every parameter read from the file.  The work ceiling
 * bounds t * m (KiB): two passes over 1 GiB, a few seconds, so a record
 * cannot make a login take minutes. */
#define CV_KDF_T_MIN 2u
#define CV_KDF_M_MIN 19456u
#define CV_KDF_T_MAX 64u
#define CV_KDF_M_MAX 1048576u	 /* 1 GiB */
#define CV_KDF_WORK_MAX 2097152u /* t * m */
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

/* The vault format this library reads and writes (docs/FORMAT.md); a vault
 * of another format is refused by cv_vault_open. */
int cv_vault_format(void);

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
/* Today's local date (YYYY-MM-DD) in the vault's time zone, as the library
 * judges deadlines; CV_EINTEGRITY when the timezone setting fails
 * verification. */
cv_status cv_session_today(cv_session *s, char out[11], cv_err *err);

/* A zone name as the `timezone` setting holds it, with its NUL. */
#define CV_ZONE_MAX 128
/* A local time as shown, "YYYY-MM-DD HH:MM", with its NUL. */
#define CV_LOCAL_TIME_LEN 17
/*
 * cv_session_zone - the vault's time zone, the signed `timezone` setting,
 * into out: a zone name ("Asia/Shanghai"), or "" for the system's own
 * zone.  Reading it is not logged (it is what every local date the
 * library judges already uses).  CV_EINTEGRITY when the setting fails
 * verification.
 */
cv_status cv_session_zone(cv_session *s, char out[CV_ZONE_MAX], cv_err *err);
/* cv_vault_zone - the same, on an open vault without a login (status,
 * unlock). */
cv_status cv_vault_zone(cv_vault *v, char out[CV_ZONE_MAX], cv_err *err);
/*
 * cv_time_local - the vault's time text utc ("YYYY-MM-DDTHH:MM:SSZ") as
 * local time "YYYY-MM-DD HH:MM" in zone (NULL or "": the system's), the
 * seconds dropped.  CV_EUSAGE when utc is not a time text or zone names
 * no time zone; out is "" then.
 */
cv_status cv_time_local(const char *zone, const char *utc, char out[CV_LOCAL_TIME_LEN],
			cv_err *err);

/* ---- the unlock agent ------------------------------------------------ */

/*
 * `casevault unlock` logs a user in once and leaves their secret keys with
 * an agent process of the same Unix user, which signs, unseals and boxes
 * for later commands over a private UNIX socket (the ssh-agent model: the
 * keys never leave it).  The agent ends after idle_s seconds without a use
 * of the keys (a status query is not a use), after cap_s seconds at most
 * (both counted on CLOCK_BOOTTIME, which counts suspend), on
 * cv_agent_lock, on SIGUSR1 (or SIGTERM, SIGINT, SIGHUP); it wipes its
 * keys and removes its socket as it ends.  Every rule and every log row of
 * a command stays in the library: only the key operations are the
 * agent's.
 */
#define CV_AGENT_IDLE_DEFAULT (15u * 60) /* seconds */
#define CV_AGENT_CAP_DEFAULT (8u * 3600) /* seconds */
#define CV_AGENT_TIME_MAX (24u * 3600)	 /* the longest idle time or cap */
#define CV_AGENT_VAULT_PATH_MAX 1024

typedef struct cv_agent_info {
	char user[CV_NAME_MAX + 1];
	char vault_id[33];			  /* hex */
	char vault_path[CV_AGENT_VAULT_PATH_MAX]; /* as given at unlock, made absolute */
	long pid;
	unsigned idle_s, cap_s;
	int64_t idle_until, cap_until; /* Unix time, milliseconds */
	int64_t idle_left, cap_left;   /* milliseconds, when asked */
	uint64_t uses;		       /* key operations served */
} cv_agent_info;

/*
 * cv_agent_start - after a login with the passphrase (cv_login): starts an
 * agent holding the session's keys for idle_s and cap_s seconds (1 to
 * CV_AGENT_TIME_MAX each, else CV_EUSAGE), reachable by the same Unix
 * user only, and fills *out with its status.  vault_path is what status
 * shows.  The session keeps working.  CV_ERROR "agent.running" when an
 * agent already serves this user and vault; "agent.unsafe" (status 5)
 * when the socket directory is not private; "agent.path" when it cannot be
 * made.
 */
cv_status cv_agent_start(cv_session *s, const char *vault_path, unsigned idle_s, unsigned cap_s,
			 cv_agent_info *out, cv_err *err);

/* The agent of user on v: CV_OK and *out, or CV_ENOTFOUND "agent.none"
 * when none runs (a stale socket is removed). */
cv_status cv_agent_query(cv_vault *v, const char *user, cv_agent_info *out, cv_err *err);

/* Calls cb for the agent of every user unlocked on v (a non-zero return
 * stops); none is not an error.  Asking does not restart an idle timer. */
cv_status cv_agent_list(cv_vault *v, int (*cb)(const cv_agent_info *a, void *arg), void *arg,
			cv_err *err);

/* Ends the agent of user on v (it wipes its keys and removes its socket
 * before this returns); CV_ENOTFOUND "agent.none" when none runs. */
cv_status cv_agent_lock(cv_vault *v, const char *user, cv_err *err);

/*
 * cv_agent_attach - before anything is checked for user on v (the role
 * check before a login included): connects v to user's agent, if one
 * runs, and takes the signatures the agent knows to verify, so that v's
 * checks skip the arithmetic of exactly those (the same key, signature
 * and bytes); every row is still read and every rule applied.  At
 * cv_vault_close the agent is told the signatures v verified that it did
 * not know, and verifies them itself before it keeps them.
 * cv_login_agent attaches when the caller has not.  Errors as
 * cv_login_agent's "agent." ones; none changes v.
 */
cv_status cv_agent_attach(cv_vault *v, const char *user, cv_err *err);

/*
 * cv_agent_case_ids - for completing case ids as they are typed: when an
 * agent of user runs on v (else CV_ENOTFOUND "agent.none", and nothing is
 * read), cb receives the id and state ("open", "closed") of every case
 * granted to user (a non-zero return stops).  Read from clear columns
 * only (docs/FORMAT.md §3.9): no key is used, nothing is logged, and the
 * agent's idle timer is not restarted.
 */
cv_status cv_agent_case_ids(cv_vault *v, const char *user,
			    int (*cb)(const char *id, const char *status, void *arg), void *arg,
			    cv_err *err);

/*
 * cv_login_agent - cv_login with the keys of a running agent instead of a
 * passphrase: the same checks of the user's record, in the same order and
 * logged the same way (docs/FORMAT.md §17.1), then the agent's public keys
 * must be exactly the record's.  Nothing is logged and a caller may ask
 * for the passphrase instead (cv_login) when it fails with a code that
 * starts with "agent.": CV_ENOTFOUND "agent.none" (no agent), "agent.keys"
 * (the agent holds other keys: they were rotated), "agent.unsafe" (a
 * directory or socket that is not private), "agent.io".
 */
cv_status cv_login_agent(cv_vault *v, const char *user, cv_session **out, cv_err *err);

/*
 * cv_may - asked by a front end before it prompts for a passphrase: may
 * `user` perform `action` at all?  The role is read from the user's
 * verified record (no secret needed).  CV_EDENIED, logged, when the role
 * may not (the row names target, the case, note or user the command
 * names, when it is one); CV_OK otherwise (an unknown, disabled or unverifiable user is
 * left to cv_login, which refuses it the same way whatever the reason).
 * Grant, case state and consent are checked after login, by
 * cv_may_case, before any text, editor or recovery code is asked for.
 */
cv_status cv_may(cv_vault *v, const char *user, cv_action action, const char *target, cv_err *err);

/*
 * cv_may_case - after login, before the front end opens an editor or asks
 * for a recovery code: would `action` on id (a case id, or the note or
 * referral id the action names) be refused for grant, case state or
 * consent?  kind is the note kind for note add (NULL: session); crisis the
 * R2 justification, if one was given.  A refusal is logged and returned
 * exactly as the action itself would; CV_OK changes nothing.
 */
cv_status cv_may_case(cv_session *s, cv_action action, const char *id, const char *kind,
		      const char *crisis, cv_err *err);

/* What cv_may_case_context tells a front end about an allowed action, for
 * the context lines of an editor: nothing a refusal would not say. */
typedef struct cv_case_context {
	char case_id[16]; /* CV_CASE_ID_MAX */
	char kind[16];	  /* the note's kind (note add: the one asked for) */
	char scope[32];	  /* the consent scope the action needs, or "" */
	int minor;	  /* the guardian's consent is needed too */
	int under_crisis; /* the scope is not in force: the crisis exception */
} cv_case_context;
/* cv_may_case, and on CV_OK (when ctx is not NULL) the context of the
 * action in *ctx. */
cv_status cv_may_case_context(cv_session *s, cv_action action, const char *id, const char *kind,
			      const char *crisis, cv_case_context *ctx, cv_err *err);

/*
 * cv_may_hand_over, cv_may_reset - after login, before the recovery code
 * is asked: would case handover of id to `to` be refused for the user it
 * names (unknown, not a counselor, disabled, failing verification), or
 * user reset of `name` (unknown, the admin's own account, disabled,
 * failing verification)?  A refusal is logged and returned exactly as the
 * action itself would; CV_OK changes nothing.
 */
cv_status cv_may_hand_over(cv_session *s, const char *id, const char *to, cv_err *err);
cv_status cv_may_reset(cv_session *s, const char *name, cv_err *err);

/* ---- users ---------------------------------------------------------- */

/*
 * Accounts are made by enrolment: an admin's `user add` (or `user reset`)
 * makes a pending account and a one-time enrolment code, and signs only
 * the public keys derived from the code; the user runs cv_user_enrol with
 * the code and a passphrase of their own, and their own process makes
 * their key pairs.  No admin types, sees or can derive a user's
 * passphrase or secret keys.
 *
 * An enrolment code is 20 Crockford base32 symbols (19 random, one check
 * symbol) in four groups of five, "XXXXX-XXXXX-XXXXX-XXXXX"; it is valid
 * for `days` days (0: CV_ENROL_DAYS_DEFAULT) and for one enrolment.
 */
#define CV_ENROL_CODE_LEN 23
#define CV_ENROL_DAYS_DEFAULT 7u
#define CV_ENROL_DAYS_MAX 30u

typedef struct cv_user_info {
	int64_t id;
	const char *name;
	cv_role role;
	int disabled;
	const char *status;  /* "active", "pending" (awaits enrolment) or "disabled" */
	const char *expires; /* pending: when its enrolment code expires (UTC); else "" */
	const char *created; /* UTC, "YYYY-MM-DDTHH:MM:SSZ" */
	/* The admin who signed the current record: who disabled it, who
	 * issued its pending enrolment, or who issued the enrolment its keys
	 * descend from. */
	const char *signer;
	int verified; /* the record verifies (identity and status chains) */
} cv_user_info;

typedef int (*cv_user_cb)(const cv_user_info *u, void *arg);

/*
 * cv_user_add - admin only.  Creates a pending account `name` with an
 * enrolment certificate signed by the acting admin, valid for `days` days
 * (0: the default; at most CV_ENROL_DAYS_MAX), and writes its one-time
 * enrolment code into code (CV_ENROL_CODE_LEN + 1 bytes; the caller
 * should allocate it with sodium_malloc and wipe it once shown).  Hand the
 * code over in person; it is never stored.  No passphrase: the user
 * chooses theirs with cv_user_enrol.
 */
cv_status cv_user_add(cv_session *s, const char *name, cv_role role, unsigned days, char *code,
		      cv_err *err);

/*
 * cv_user_enrol - no login: the pending user `name` proves they hold the
 * code and sets their passphrase.  Their X25519 and Ed25519 key pairs are
 * made here, in the caller's process; the secret keys are wrapped under
 * Argon2id(pass) with kdf (NULL: the vault's defaults), the public keys
 * are certified by the code's key and by themselves, and the key copies
 * sealed to the code (a reset's re-sealed grants, vault keys) are re-
 * sealed to the new key; one `user.enrol` row signed by the new key.
 * Every refusal is logged unsigned: CV_EAUTH for an unknown or disabled
 * user, a mistyped code (enrol.mistyped), another code (enrol.code), an
 * expired one (enrol.expired), or no enrolment pending (enrol.not-pending:
 * a code is good for one enrolment); CV_EINTEGRITY for a record that
 * fails verification.  A passphrase that breaks the rules is CV_EUSAGE,
 * before anything is read.
 */
cv_status cv_user_enrol(cv_vault *v, const char *name, const char *code, const char *pass,
			size_t passlen, const cv_kdf_params *kdf, cv_err *err);

/* Any role.  Calls cb for each user in id order; a non-zero return stops.
 * A record that fails verification is listed with verified = 0 (its fields
 * are then only what the file says); a store error is an error. */
cv_status cv_user_list(cv_session *s, cv_user_cb cb, void *arg, cv_err *err);
/* Changes the acting user's own passphrase (the old one was given at login);
 * the same secret keys are re-wrapped under a new salt. */
cv_status cv_user_passwd(cv_session *s, const char *newpass, size_t newlen, cv_err *err);
/*
 * cv_user_rotate - the acting user replaces their own key pairs: new ones
 * are made in the caller's process, certified by the old signing key and
 * by themselves, wrapped under newpass; every case key and vault key the
 * user holds is re-sealed to the new box key.  The old public keys stay in
 * the key history, so what they signed still verifies.  The session goes
 * on with the new keys.
 */
cv_status cv_user_rotate(cv_session *s, const char *newpass, size_t newlen, cv_err *err);
/* Admin only.  Disables an account (active or pending); its status is
 * re-signed by the admin and its key copies are deleted. */
cv_status cv_user_disable(cv_session *s, const char *name, cv_err *err);

/*
 * cv_user_reset - admin, with the recovery code: user `name` (who forgot
 * their passphrase, or lost an enrolment code) goes back to pending with
 * a new enrolment certificate and code (days and code as for
 * cv_user_add).  Their old identity is kept so that what they signed still
 * verifies.  The recovery key re-seals every case granted to them and the
 * vault keys their role holds to the new code's key, and their enrolment
 * re-seals them to the keys they then make: nothing is lost, and no admin
 * learns their new keys.
 */
cv_status cv_user_reset(cv_session *s, const char *name, const char *recovery_code, unsigned days,
			char *code, cv_err *err);

/*
 * cv_vault_keys_deliver - admin, with the recovery code: copy the index key
 * to every active counselor and the stats key to every active supervisor
 * who holds none yet (the first of each role after init, or after every
 * holder was disabled), from the recovery copies.  Admins hold neither key;
 * later colleagues receive theirs from a holder of the same role at the
 * holder's next login.  *delivered counts the copies; each is an audit row
 * ("vkey.share", then one "vkey.deliver").
 */
cv_status cv_vault_keys_deliver(cv_session *s, const char *recovery_code, int *delivered,
				cv_err *err);

/* ---- signed settings -------------------------------------------------------- */

typedef struct cv_setting_info {
	const char *name;   /* adult_age, archive_days, referral_days, duty_hours, timezone */
	const char *value;  /* in force */
	const char *dflt;   /* the default */
	int is_default;	    /* never set: the default is in force */
	const char *signer; /* the admin who set it, "" for a default */
} cv_setting_info;

typedef int (*cv_setting_cb)(const cv_setting_info *s, void *arg);

/* Admin.  Sets a setting, signed by the acting admin and logged. */
cv_status cv_config_set(cv_session *s, const char *name, const char *value, cv_err *err);
/* Anyone.  Every setting, verified, in a fixed order; CV_EINTEGRITY when a
 * stored one fails verification. */
cv_status cv_config_list(cv_session *s, cv_setting_cb cb, void *arg, cv_err *err);

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
	const char *user;    /* actor, or NULL */
	const char *action;  /* exact action, or a prefix ending in '.', or NULL */
	const char *since;   /* "YYYY-MM-DD" or full UTC time, inclusive, or NULL */
	const char *until;   /* same, inclusive of that whole day, or NULL */
	int denied_only;     /* only rows whose outcome is not "ok" */
	const char *outcome; /* "ok", "denied" or "failed", or NULL */
	const char *case_id; /* only rows whose object is this case, or NULL */
	/* Only the rows of the crisis exception: each `crisis` row and the
	 * row of the action it was used for (the next row); not with action. */
	int crisis;
} cv_audit_filter;

typedef int (*cv_audit_cb)(const cv_audit_row *row, void *arg);

/* Supervisors and admins.  Streams the matching rows in order. */
cv_status cv_audit_log(cv_session *s, const cv_audit_filter *f, cv_audit_cb cb, void *arg,
		       cv_err *err);

/* What a verification saw. */
typedef struct cv_audit_report {
	int64_t rows;		/* rows checked */
	int64_t checkpoints;	/* signatures checked */
	int64_t users;		/* user records checked */
	int64_t unsigned_tail;	/* rows after the last signed checkpoint */
	int64_t bad_seq;	/* first bad row, or 0 */
	int64_t rows_committed; /* stored rows checked against the log's commitments */
	/* Rows 1..vouched were verified in full by the supervisor anchor_by
	 * at anchor_at (UTC), in audit row anchor_seq: only their chain,
	 * hashes, segments and commitments were checked again.  0: none. */
	int64_t vouched;
	int64_t anchor_seq;
	char anchor_by[CV_NAME_MAX + 1];
	char anchor_at[24];
	/* BLAKE2b-256 of the sig of every checkpoint walked, in order: what
	 * an anchor vouches for (docs/FORMAT.md §7.7) */
	unsigned char sigs[32];
} cv_audit_report;

/*
 * cv_audit_verify - recompute the hash chain, the checkpoint signatures and
 * every user record signature; when checkpoint_text is not NULL, also check
 * that the log still holds that signed (size, head).  The signatures of the
 * rows a supervisor's earlier verification checked in full (its anchor,
 * docs/FORMAT.md §7.7) are not checked again: rep says which.  Returns
 * CV_EINTEGRITY naming the first problem.  Supervisors and admins; the
 * outcome is logged.  cv_audit_verify_full checks every signature.
 */
cv_status cv_audit_verify(cv_session *s, const char *checkpoint_text, cv_audit_report *rep,
			  cv_err *err);
cv_status cv_audit_verify_full(cv_session *s, const char *checkpoint_text, cv_audit_report *rep,
			       cv_err *err);

/*
 * cv_audit_checkpoint - write a signed checkpoint row and return its
 * external form (a few lines of text, see docs/FORMAT.md) in *out, which the
 * caller frees with free().  Supervisors and admins.
 */
cv_status cv_audit_checkpoint(cv_session *s, char **out, cv_err *err);

/*
 * Writing audit rows as CSV (RFC 4180, through the library's writer):
 * a header "seq,time,actor,action,object,outcome,detail,signed", then one
 * record per row.  cv_audit_csv_close flushes and frees (w may be NULL).
 */
/*
 * Writing any table as CSV (RFC 4180, through the library's writer, text
 * that a spreadsheet would take for a formula quoted as the audit log's
 * is): cv_csv_table_row writes one record of n cells (NULL: an empty
 * field); every record has the width of the first (else CV_EUSAGE).
 * cv_csv_table_close flushes and frees (t may be NULL).
 */
typedef struct cv_csv_table cv_csv_table;
cv_status cv_csv_table_open(FILE *fp, cv_csv_table **out, cv_err *err);
cv_status cv_csv_table_row(cv_csv_table *t, const char *const *cells, size_t n, cv_err *err);
cv_status cv_csv_table_close(cv_csv_table *t, cv_err *err);

typedef struct cv_audit_csv cv_audit_csv;
cv_status cv_audit_csv_open(FILE *fp, cv_audit_csv **out, cv_err *err);
cv_status cv_audit_csv_row(cv_audit_csv *w, const cv_audit_row *r, cv_err *err);
cv_status cv_audit_csv_close(cv_audit_csv *w, cv_err *err);

/* ---- supervision: break-glass reviews and alerts (R2, R9) ---------------- */

/*
 * cv_audit_review - supervisors: record the review of break-glass event
 * `event` (a crisis record id, "X-..."), with note (1..4000 bytes of
 * UTF-8 text; newlines and tabs allowed) sealed so that only supervisors
 * can read it, the row signed by the reviewer.  Refused: CV_EDENIED for
 * another role, for the event's own author, and for an event already
 * reviewed; CV_ENOTFOUND for no such event; CV_EUSAGE for an empty or
 * invalid note; CV_EINTEGRITY when the event's record, or a stored
 * review, fails verification.  Every outcome is logged.
 */
cv_status cv_audit_review(cv_session *s, const char *event, const char *note, cv_err *err);

typedef struct cv_review_info {
	const char *event;
	const char *case_id;
	const char *reviewer;
	const char *reviewed_at; /* UTC */
	const char *note;	 /* the reviewer's note */
} cv_review_info;

/* Supervisors who hold the stats key: the review of `event`, verified and
 * opened, to cb (after its row is logged).  CV_ENOTFOUND when the event
 * has no review. */
cv_status cv_audit_review_show(cv_session *s, const char *event,
			       int (*cb)(const cv_review_info *r, void *arg), void *arg,
			       cv_err *err);

/* One alert (reason codes in docs/FORMAT.md §22.3). */
typedef struct cv_alert {
	const char *code;    /* alert.crisis-unreviewed, alert.denials, alert.failed-logins,
				alert.off-hours, alert.many-cases, alert.stats-export */
	const char *user;    /* the actor (a crisis event: its author) */
	const char *object;  /* crisis: the event id; off-hours: the local date; export:
				its object; else "" */
	const char *case_id; /* crisis: the event's case; else "" */
	const char *first;   /* UTC time of the first row behind it (crisis: the event) */
	const char *last;    /* UTC time of the last row behind it */
	int64_t count;	     /* rows; many-cases: the most distinct cases in one hour */
	int64_t seq;	     /* the first audit row behind it; 0 for a crisis event */
	int64_t age_days;    /* crisis: whole days since the event; else 0 */
} cv_alert;

/*
 * cv_audit_alerts - supervisors: verify the log and the vault against it
 * (as audit verify; a failure is CV_EINTEGRITY and no alert is computed),
 * then list, from the log and the crisis records' clear columns (no key
 * is unsealed): every break-glass event not yet reviewed, whatever its
 * age; and, from the rows on or after local date since (NULL: the whole
 * log), bursts of denials and of failed logins, access outside the
 * configured hours, one user decrypting more than the threshold of
 * distinct cases within an hour, and every statistics export.  The
 * thresholds are signed settings.  Logged (audit.alerts) before cb sees
 * the first alert.
 */
cv_status cv_audit_alerts(cv_session *s, const char *since, int (*cb)(const cv_alert *a, void *arg),
			  void *arg, cv_err *err);

/* ---- CSV input (RFC 4180; csv.c) ------------------------------------------ */

/*
 * A CSV reader (RFC 4180) over a buffer the caller owns and lets it
 * change: fields are unquoted in place and NUL-terminated there, so no
 * copy of what the file holds is made (it may be a student's identity in
 * a buffer the caller wipes).  The buffer holds len bytes and one more
 * writable byte after them.
 *
 * Accepted: a UTF-8 byte order mark at the start (skipped); records ended
 * by CRLF or by LF alone (spreadsheets write both), the last one perhaps
 * without an end; fields in double quotes with inner quotes doubled,
 * holding commas, CR and LF.  Empty lines are skipped.  Refused, for the
 * record at hand only (the reader goes on with the next record): a
 * record with another number of fields than the first, a NUL byte, text
 * that is not UTF-8, a quote inside an unquoted field, text after a
 * closing quote.  A quote that is never closed ends the reading (what
 * follows cannot be told apart): every later call fails too.
 */
typedef struct cv_csv_reader {
	char *p, *end;	   /* what is left to read */
	size_t line;	   /* line number of p, from 1 */
	size_t width;	   /* fields per record, fixed by the first; 0 before */
	uint64_t nrecords; /* records returned so far, refused ones included */
	int broken;	   /* an unclosed quote: nothing more can be read */
	/* The record read last: nfields fields, each NUL-terminated. */
	char **fields;
	size_t *lens;
	size_t nfields, cap;
	size_t rec_line; /* the line its first field starts on */
} cv_csv_reader;

/* Starts r on the len bytes at data (data[len] must be writable too). */
void cv_csv_reader_init(cv_csv_reader *r, char *data, size_t len);

/*
 * cv_csv_read - reads the next record into r->fields/r->lens/r->nfields
 * (its first line in r->rec_line).  CV_OK with *eof set at the end of the
 * data.  CV_EUSAGE for a refused record, naming its line (r->rec_line);
 * unless r->broken the next call reads the record after it.  CV_ERROR
 * when memory runs out.
 */
cv_status cv_csv_read(cv_csv_reader *r, int *eof, cv_err *err);

/* cv_csv_reader_free - releases the reader's field table (not the data);
 * r may be NULL. */
void cv_csv_reader_free(cv_csv_reader *r);

/* ---- cases (R3, R4, R10) ------------------------------------------------ */

#define CV_CASE_ID_MAX 16

typedef struct cv_case_input {
	const char *student_id;
	const char *name;
	const char *gender; /* F, M or X */
	unsigned grade;	    /* 1..12 */
	const char *class_name;
	const char *category; /* academic, emotion, relationships, family,
				 adolescence, behavior, self-harm-risk, other */
	const char *born;     /* YYYY-MM-DD or NULL: treated as a minor */
	const char *guardian;
	const char *guardian_phone;
} cv_case_input;

/*
 * cv_case_open - counselors.  Encrypts the identity and attributes under a
 * fresh case key sealed to the counselor and the recovery key, writes the
 * coarse attributes under the stats key and a blind index of the student
 * number.  id receives the new case id; *already_open the number of other
 * open cases of the same student (a warning, not a refusal).
 */
cv_status cv_case_open(cv_session *s, const cv_case_input *in, char id[CV_CASE_ID_MAX],
		       int *already_open, cv_err *err);

typedef struct cv_case_info {
	const char *id;
	const char *status; /* open, closed */
	const char *opened_at;
	const char *closed_at; /* "" while open */
	const char *opened_by;
	const char *student_id;
	const char *name;
	const char *gender;
	unsigned grade;
	const char *class_name;
	const char *category;
	const char *born; /* "" when not given */
	const char *guardian;
	const char *guardian_phone;
	int minor;
	/* Consent in force, as scope words ("individual,testing"); "" none. */
	const char *student_consent;
	const char *guardian_consent;
	const char *withdrawn_on; /* date of the last withdrawal, "" if none */
} cv_case_info;

typedef int (*cv_case_cb)(const cv_case_info *c, void *arg);

/* Counselors: the cases granted to them (closed ones too when all). */
cv_status cv_case_list(cv_session *s, int all, cv_case_cb cb, void *arg, cv_err *err);
/* Counselors: the granted cases of a student number (by blind index). */
cv_status cv_case_find(cv_session *s, const char *student_id, cv_case_cb cb, void *arg,
		       cv_err *err);

/* Everything on one case, delivered in order to these callbacks (any may be
 * NULL).  Test results come only with include_tests (R5). */
typedef struct cv_consent_event {
	int64_t seq;	    /* 1, 2, ... in order */
	const char *action; /* record or withdraw */
	const char *by;	    /* student, guardian or both */
	const char *method; /* written, oral, "" for a withdrawal */
	const char *date;
	const char *scopes;
	const char *verified_by;
	const char *recorded_by;
} cv_consent_event;

typedef struct cv_note_info {
	const char *id;
	const char *case_id;
	const char *kind;   /* session, analysis, outcome, contact, addendum */
	const char *status; /* draft, final */
	const char *author;
	const char *created_at;
	const char *updated_at; /* finalized at, for a final note */
	const char *amends;	/* the note an addendum corrects, "" */
	int64_t version;
	int overdue;	      /* a draft older than the archive deadline (R4) */
	int signature_ok;     /* the author's row signature verifies (a draft's too) */
	int after_withdrawal; /* written before consent was withdrawn */
	const char *text;     /* NULL in lists */
	size_t text_len;
} cv_note_info;

typedef struct cv_test_info {
	const char *id;
	const char *created_at;
	const char *author;
	const char *scale;
	const char *score;
	const char *notes;
	int crisis;
} cv_test_info;

typedef struct cv_referral_info {
	const char *id;
	const char *case_id;
	const char *date;
	const char *to;
	const char *to_type; /* the kind of institution (CV_WORDS_DESTINATION) */
	const char *reason;
	const char *urgency;
	const char *disclosed;
	const char *status; /* referred, contacted, accepted, declined, completed */
	const char *last_update;
	const char *due; /* next follow-up due, "" when closed */
	int overdue;
	int crisis; /* disclosed under the crisis exception */
} cv_referral_info;

typedef struct cv_followup_info {
	const char *referral_id;
	const char *date;
	const char *status;
	const char *note;
	const char *author;
} cv_followup_info;

typedef struct cv_watch_info {
	const char *case_id;
	const char *name; /* the student's name, for the register */
	const char *tag;
	unsigned every_days;
	const char *due;
	const char *last_done; /* "" if never */
	int overdue;
} cv_watch_info;

typedef struct cv_case_visitor {
	cv_case_cb on_case;
	int (*on_consent)(const cv_consent_event *e, void *arg);
	int (*on_note)(const cv_note_info *n, void *arg);
	int (*on_test)(const cv_test_info *t, void *arg);
	int (*on_referral)(const cv_referral_info *r, void *arg);
	int (*on_followup)(const cv_followup_info *f, void *arg);
	int (*on_watch)(const cv_watch_info *w, void *arg);
} cv_case_visitor;

/* What cv_case_show's include argument adds to a case's records. */
enum {
	CV_SHOW_TESTS = 1, /* test results (R5: hidden by default) */
	CV_SHOW_NOTES = 2, /* the notes' text (cv_note_info.text) */
};
/* Counselors granted on the case.  One audit row (case.show), its
 * detail naming what include added.  include_tests: CV_SHOW_* bits. */
cv_status cv_case_show(cv_session *s, const char *id, int include_tests, const char *as_of,
		       const cv_case_visitor *vis, void *arg, cv_err *err);

/* R4: refused without a final analysis note and a final outcome note, or
 * while drafts remain. */
cv_status cv_case_close(cv_session *s, const char *id, cv_err *err);
cv_status cv_case_reopen(cv_session *s, const char *id, cv_err *err);
/* Seals the case key to another counselor. */
cv_status cv_case_share(cv_session *s, const char *id, const char *user, cv_err *err);
/* Admin with the recovery code: seals the case key to counselor `to`. */
cv_status cv_case_handover(cv_session *s, const char *id, const char *to, const char *recovery_code,
			   cv_err *err);
/* Admin with the recovery code (R10): destroys every copy of the case key
 * and every record of the case, then checkpoints the WAL.  The log keeps
 * that it happened, and why. */
cv_status cv_case_shred(cv_session *s, const char *id, const char *reason,
			const char *recovery_code, cv_err *err);

/* ---- consent (R1) and crisis (R2) ------------------------------------------ */

typedef struct cv_consent_input {
	const char *by;		 /* student, guardian, or student,guardian (both) */
	const char *method;	 /* written or oral */
	const char *date;	 /* YYYY-MM-DD, NULL: today */
	const char *scopes;	 /* individual,group,testing,guardian-contact,referral-disclosure */
	const char *verified_by; /* a user name, NULL: the acting counselor */
} cv_consent_input;

/*
 * cv_consent_record - records consent given on in->date: one consent
 * record and one consent.record row per party (the student's first), in
 * one transaction.  A date after today ("consent.date-future") or before
 * the student's birth date ("consent.date-before-birth") is refused.
 */
cv_status cv_consent_record(cv_session *s, const char *case_id, const cv_consent_input *in,
			    cv_err *err);
/* by: student, guardian, NULL or student,guardian (both); scopes NULL:
 * all; date NULL: today. */
cv_status cv_consent_withdraw(cv_session *s, const char *case_id, const char *by,
			      const char *scopes, const char *date, cv_err *err);

/* ---- import: onboarding existing records (import.c) --------------------------- */

/*
 * An import writes many case opens, or many note adds, in one store
 * transaction, each row checked exactly as the typed command checks it
 * (cv_case_open and cv_consent_record, cv_note_write) and logged with the
 * rows the typed command logs; one signed checkpoint ends the batch.  A
 * row refused is recorded and the batch goes on (so that every bad row is
 * reported); when any row was refused, cv_import_end writes nothing: the
 * transaction is rolled back and each refusal is logged as the typed
 * command logs its own.
 *
 *	cv_import_begin(s, CV_IMPORT_CASES, &im, err);
 *	for each row: cv_import_case(im, &row, id, &dup, err);
 *	cv_import_end(im, err);	   commit, or roll back and log the refusals
 *	cv_import_free(im);
 */
typedef struct cv_import cv_import;

typedef enum cv_import_kind {
	CV_IMPORT_CASES = 1, /* case open, and the consent on file */
	CV_IMPORT_NOTES = 2, /* note add (and finalize) on cases granted to the importer */
} cv_import_kind;

/* A row of a case import: the case, and the consent on file (consent.by
 * NULL: none is recorded; the other consent fields must then be NULL). */
typedef struct cv_import_case_row {
	cv_case_input in;
	cv_consent_input consent;
} cv_import_case_row;

/* A row of a note import.  No crisis exception: a note that needs one is
 * written by hand (`note add --crisis`). */
typedef struct cv_import_note_row {
	/* The case: its id, or the importer's one case of student_id (a
	 * student number, compared as case find compares it); both may be
	 * given, and must then name the same case. */
	const char *case_id;
	const char *student_id;
	const char *kind; /* NULL: session */
	const char *text;
	size_t len;
	int finalize; /* stored final and signed (note.add, then note.finalize) */
} cv_import_note_row;

/*
 * cv_import_begin - counselors.  The role is judged (case.open, or
 * note.add: a refusal is logged as the typed command's) and the write
 * transaction opened; *out holds the batch (free with cv_import_free).
 */
cv_status cv_import_begin(cv_session *s, cv_import_kind kind, cv_import **out, cv_err *err);
/*
 * cv_import_case, cv_import_note - one row.  CV_OK: the row is written in
 * the batch,
 * id holds the new case's or note's id (valid once the batch commits) and,
 * for a case, *already_open the other open cases of the same student.  A
 * refusal (CV_EUSAGE, CV_EDENIED, CV_ENOTFOUND: err says why, as the typed
 * command would) is recorded and the batch goes on.  Any other status
 * (CV_ERROR, CV_EINTEGRITY) ends the batch: everything is rolled back,
 * the failure logged, and only cv_import_free remains.
 */
cv_status cv_import_case(cv_import *im, const cv_import_case_row *row, char id[CV_CASE_ID_MAX],
			 int *already_open, cv_err *err);
cv_status cv_import_note(cv_import *im, const cv_import_note_row *row, char id[CV_CASE_ID_MAX],
			 cv_err *err);
/* A row the program refused before it reached the library (the file's
 * shape: a CSV record it could not read); why is its reason.  Recorded
 * like a refused row: nothing of the batch will be written. */
void cv_import_refuse(cv_import *im, const cv_err *why);
/* Rows written so far, and rows refused. */
size_t cv_import_done(const cv_import *im);
size_t cv_import_refused(const cv_import *im);
/*
 * cv_import_end - when no row was refused, commits the batch with one
 * signed checkpoint: CV_OK.  Else rolls everything back, logs each refused
 * row's refusal (its action, object, outcome and reason code), and
 * returns the status of the first refused row with "import.refused"
 * ("{1} of {2} rows refused; nothing was imported").  The batch is over
 * either way.
 */
cv_status cv_import_end(cv_import *im, cv_err *err);
/* Rolls back a batch not ended; frees it.  im may be NULL. */
void cv_import_free(cv_import *im);

/* ---- what needs doing today (R4, R6, R8) ---------------------------------- */

typedef enum cv_due_kind {
	CV_DUE_DRAFT = 1, /* the acting counselor's draft, near or past its archive deadline */
	CV_DUE_REFERRAL,  /* a referral whose follow-up is due */
	CV_DUE_WATCH,	  /* a key-student register follow-up due */
	CV_DUE_CRISIS,	  /* a break-glass event not yet reviewed (supervisors) */
} cv_due_kind;

typedef struct cv_due_item {
	cv_due_kind kind;
	const char *case_id;
	const char *name; /* the student's name ("" for a supervisor's item) */
	const char *id;	  /* the note, referral, register entry or break-glass event */
	const char *what; /* the note's kind, the referral's institution, the register tag,
			   * the counselor who wrote the event */
	const char *due;  /* YYYY-MM-DD: the archive deadline, the follow-up's due date, the
			   * event's date */
	long days;	  /* due minus today: negative when past */
} cv_due_item;

/*
 * cv_due - counselors: calls cb for what needs doing by as_of (NULL:
 * today) on the cases granted to them: their own drafts within 2 days of
 * the archive deadline or past it, referrals whose follow-up is due that
 * day or before, register follow-ups due that day or before.  Logged as
 * the lists are: a `due` row (cases=N), then one case.read per case
 * decrypted, before cb sees it.  Items come case by case, in record order.
 * Supervisors: the break-glass events not yet reviewed (no case is
 * decrypted; CV_DUE_CRISIS, oldest first), after a `due` row (crises=N).
 */
cv_status cv_due(cv_session *s, const char *as_of, int (*cb)(const cv_due_item *d, void *arg),
		 void *arg, cv_err *err);

/* ---- notes (R4) --------------------------------------------------------------- */

#define CV_NOTE_MAX (1024 * 1024)

/* crisis: NULL, or the R2 justification when consent is missing. */
cv_status cv_note_add(cv_session *s, const char *case_id, const char *kind, const char *text,
		      size_t len, const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err);
/* cv_note_add, then, when finalize is set, its finalization in the same
 * transaction (a note.add row, then a note.finalize row): the note is
 * stored final and signed, or not at all. */
cv_status cv_note_write(cv_session *s, const char *case_id, const char *kind, const char *text,
			size_t len, const char *crisis, int finalize, char id[CV_CASE_ID_MAX],
			cv_err *err);
/*
 * cv_note_finalize_many - finalizes the n notes ids[] (n >= 1) in one
 * transaction: all of them, one note.finalize row each, or none.  On a
 * refusal everything is rolled back, the refusal is logged against the
 * note that failed, and *failed holds its index in ids.
 */
cv_status cv_note_finalize_many(cv_session *s, const char *const *ids, size_t n, size_t *failed,
				cv_err *err);
/* Drafts only, by their author. */
cv_status cv_note_edit(cv_session *s, const char *note_id, const char *text, size_t len,
		       const char *crisis, cv_err *err);
/* Signs the note with the author's key; it is immutable from then on. */
cv_status cv_note_finalize(cv_session *s, const char *note_id, cv_err *err);
/* An addendum to a final note, itself a draft until finalized. */
cv_status cv_note_amend(cv_session *s, const char *note_id, const char *text, size_t len,
			const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err);
cv_status cv_note_show(cv_session *s, const char *note_id,
		       int (*cb)(const cv_note_info *n, void *arg), void *arg, cv_err *err);

/* ---- test results (R5), referrals (R6), key-student register (R8) ------------- */

cv_status cv_test_add(cv_session *s, const char *case_id, const char *scale, const char *score,
		      const char *notes, const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err);

typedef struct cv_referral_input {
	const char *to;	       /* institution */
	const char *to_type;   /* its kind: mental-health, hospital, counseling, ... */
	const char *reason;    /* a problem category */
	const char *urgency;   /* routine, urgent, emergency */
	const char *disclosed; /* what was disclosed */
	const char *date;      /* YYYY-MM-DD, NULL: today */
} cv_referral_input;

cv_status cv_referral_add(cv_session *s, const char *case_id, const cv_referral_input *in,
			  const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err);
/* status: contacted, accepted, declined, completed; note may be NULL. */
cv_status cv_referral_update(cv_session *s, const char *ref_id, const char *status,
			     const char *date, const char *note, cv_err *err);
/* Referrals on the acting counselor's cases; overdue_only: no follow-up
 * within the deadline as of as_of (NULL: today). */
cv_status cv_referral_list(cv_session *s, int overdue_only, const char *as_of,
			   int (*cb)(const cv_referral_info *r, void *arg), void *arg, cv_err *err);

/* tag: single-parent, left-behind, family-change, other. */
cv_status cv_watch_add(cv_session *s, const char *case_id, const char *tag, unsigned every_days,
		       cv_err *err);
cv_status cv_watch_list(cv_session *s, int due_only, const char *as_of,
			int (*cb)(const cv_watch_info *w, void *arg), void *arg, cv_err *err);
/* Records a follow-up (date NULL: today) on every register entry of a case. */
cv_status cv_watch_done(cv_session *s, const char *case_id, const char *date, cv_err *err);

/* ---- anonymized statistics (docs/STATISTICS.md) ------------------------- */

#define CV_STATS_MONTH_LEN 8   /* "YYYY-MM" and its NUL */
#define CV_STATS_MONTHS_MAX 24 /* the longest period of one export */

typedef enum cv_stats_format {
	CV_STATS_CSV = 1,
	CV_STATS_JSON = 2,
	CV_STATS_HTML = 3, /* a page for the work summary, built with libxml2 */
} cv_stats_format;

/* A protected export, ready to write; opaque. */
typedef struct cv_stats_result cv_stats_result;

/*
 * cv_stats_period - the whole months of an export into from_out..to_out
 * (YYYY-MM): a term with the default months ("2026-autumn" is
 * 2026-09..2027-01, "2027-spring" is 2027-02..2027-07) or from..to given
 * as YYYY-MM; exactly one of term and the pair.  CV_EUSAGE for anything
 * else, for to before from, or a period over CV_STATS_MONTHS_MAX months.
 * (A front end checks what the user typed with it before a passphrase is
 * asked, then resolves a term with cv_stats_term.)
 */
cv_status cv_stats_period(const char *term, const char *from, const char *to,
			  char from_out[CV_STATS_MONTH_LEN], char to_out[CV_STATS_MONTH_LEN],
			  cv_err *err);

/*
 * cv_stats_term - the months of term "YYYY-autumn" or "YYYY-spring" in
 * vault v: the term starts in year YYYY, in the first month of the signed
 * setting term_autumn or term_spring ("09..01" and "02..07" unless set),
 * and runs to its last month.  CV_EUSAGE for another name;
 * CV_EINTEGRITY when a stored setting fails verification.
 */
cv_status cv_stats_term(cv_vault *v, const char *term, char from_out[CV_STATS_MONTH_LEN],
			char to_out[CV_STATS_MONTH_LEN], cv_err *err);

/*
 * cv_stats_export - supervisors.  Counts the cases opened in from..to
 * (months, as cv_stats_period gives them) from their statistical
 * attributes alone (the stats key: no case key is unsealed, no content
 * read), builds the linked tables, protects them with threshold k
 * (CV_EUSAGE below 3) and, in one transaction, records the release and
 * logs it.  epsilon (NULL: none) is a decimal ("0.5"): each student then
 * counts once, discrete Laplace noise is added to every table with an
 * equal share of it, and suppression looks only at the noisy counts
 * (docs/STATISTICS.md); CV_EUSAGE when it is malformed, CV_EDENIED when
 * it exceeds the budget of a release.  *out receives the export (free
 * with cv_stats_free).  CV_EDENIED "stats.overlap" when an earlier
 * release meets the period; CV_EDENIED when the tables cannot be
 * protected; CV_EINTEGRITY when a case's row or attributes fail
 * verification (nothing is released).
 */
/*
 * cv_stats_export_to - cv_stats_export that also writes the export to fp
 * in format, flushed (and synced, for a regular file), before the release
 * is committed: a write that fails releases nothing (CV_ERROR
 * "stats.write").  Once it returns CV_OK, what fp holds is what was
 * released.
 */
cv_status cv_stats_export_to(cv_session *s, const char *from, const char *to, int k,
			     const char *epsilon, cv_stats_format format, FILE *fp,
			     cv_stats_result **out, cv_err *err);
cv_status cv_stats_export(cv_session *s, const char *from, const char *to, int k,
			  const char *epsilon, cv_stats_result **out, cv_err *err);

/* Writes r to fp as CSV (RFC 4180), JSON (schema "casevault-stats-1") or
 * an HTML page; CV_ERROR when fp cannot be written. */
cv_status cv_stats_write(const cv_stats_result *r, cv_stats_format format, FILE *fp, cv_err *err);

/* Releases r; r may be NULL. */
void cv_stats_free(cv_stats_result *r);

#define CV_STATS_MERGE_MAX 64		   /* exports in one merge */
#define CV_STATS_MERGE_FILE_MAX (4u << 20) /* bytes of one export read */

/*
 * cv_stats_merge - sums n (2..CV_STATS_MERGE_MAX) schools' JSON exports
 * (texts[i], lens[i] bytes, named names[i] in messages) into a district
 * table; needs no vault.  Every input must be a "casevault-stats-1"
 * version 1 export of the same period, k and tables; a cell suppressed in
 * any input is suppressed, a table withheld in any input is withheld, and
 * the sums are protected as an export is (docs/STATISTICS.md).  *out
 * receives the merge (written by cv_stats_write with the schema
 * "casevault-stats-merge-1"; free with cv_stats_free).  CV_EUSAGE "stats.merge"
 * naming the input for anything malformed, different or repeated;
 * CV_EDENIED when the sums cannot be protected.
 */
cv_status cv_stats_merge(const char *const *names, const char *const *texts, const size_t *lens,
			 size_t n, cv_stats_result **out, cv_err *err);

/* ---- the duty log (R7) -------------------------------------------------- */

/*
 * Shifts of the counseling room (值班记录): who was on duty, where, when,
 * and how many visits.  Times are typed and shown as local time in the
 * vault's `timezone` setting ("YYYY-MM-DD HH:MM"), stored in UTC; weeks are
 * local ISO weeks ("2026-W05").  Each shift is signed by the counselor
 * who logged it and checked on every read (CV_EINTEGRITY "duty.forged").
 * Counselors log their own shifts; counselors and supervisors list them
 * and see the weekly hours; admins do neither.
 */
#define CV_DUTY_ROOM_MAX 64	  /* bytes of a room name */
#define CV_DUTY_VISITS_MAX 10000u /* visits one shift may record */
#define CV_DUTY_TEXT_LEN 17	  /* "YYYY-MM-DD HH:MM" and its NUL */

typedef struct cv_duty_info {
	int64_t id;
	const char *counselor; /* user name */
	const char *room;      /* "" when none was given */
	const char *start;     /* local "YYYY-MM-DD HH:MM" */
	const char *end;       /* local, "" while the shift is open */
	const char *week;      /* the local ISO week of its start, "YYYY-Www" */
	int64_t minutes;       /* its length in whole minutes; 0 while open */
	int64_t visits;
	int open;
} cv_duty_info;

typedef struct cv_duty_week_info {
	const char *week;   /* "YYYY-Www" */
	const char *monday; /* "YYYY-MM-DD" */
	int64_t minutes;    /* open minutes: the union of every counselor's shifts */
	int64_t threshold;  /* the `duty_hours` setting, in minutes */
	int under;	    /* minutes < threshold */
	int partial;	    /* the dates asked for cover only part of the week */
} cv_duty_week_info;

/*
 * cv_duty_start - counselors: the acting counselor's shift begins now, or
 * at the local time at (NULL: now; not in the future, at most 16 hours
 * ago), in room (NULL or "": none; else single-line text of at most
 * CV_DUTY_ROOM_MAX bytes).  *id receives the shift's id.  CV_EDENIED
 * "duty.already-open" while the counselor has an open shift,
 * "duty.overlap" when it starts inside one of their logged shifts.
 */
cv_status cv_duty_start(cv_session *s, const char *room, const char *at, int64_t *id, cv_err *err);
/*
 * cv_duty_end - counselors: ends the acting counselor's open shift now, or
 * at the local time at (NULL: now), with visits (a negative value: 0)
 * recorded.  CV_ENOTFOUND "duty.not-open" when no shift is open; the shift
 * must then pass the rules of cv_duty_add (at most 16 hours, not in the
 * future, no overlap).
 */
cv_status cv_duty_end(cv_session *s, const char *at, int64_t visits, int64_t *id, cv_err *err);
/*
 * cv_duty_add - counselors: logs a shift of the acting counselor after the
 * fact, from..to in local time.  Refused: CV_EUSAGE for malformed or
 * impossible times or an end not after the start; CV_EDENIED
 * "duty.too-long" (over 16 hours), "duty.future" (ending after now),
 * "duty.overlap" (overlapping another shift of the same counselor, an
 * open one included; other counselors' shifts may overlap).
 */
cv_status cv_duty_add(cv_session *s, const char *from, const char *to, const char *room,
		      int64_t visits, int64_t *id, cv_err *err);
/*
 * cv_duty_list - counselors and supervisors: every counselor's shifts that
 * meet the local ISO week (NULL: the current one), oldest first; an open
 * shift is listed with the shifts of the week it started in.
 */
cv_status cv_duty_list(cv_session *s, const char *week, int (*cb)(const cv_duty_info *d, void *arg),
		       void *arg, cv_err *err);
/*
 * cv_duty_hours_list - counselors and supervisors: the open hours of every
 * local ISO week holding a day of a term (its whole months, as
 * cv_stats_period gives them: "2026-autumn" is 2026-09-01..2027-01-31) or,
 * when term is NULL, of from..to (local dates, "YYYY-MM-DD"; both
 * inclusive): the union of every counselor's ended shifts (two on duty at
 * once count once), each week marked when under the `duty_hours`
 * threshold.  Open shifts do not count until they end.  CV_EUSAGE
 * "duty.term", "duty.date" or "duty.range" for a bad period.
 */
cv_status cv_duty_hours_list(cv_session *s, const char *term, const char *from, const char *to,
			     int (*cb)(const cv_duty_week_info *w, void *arg), void *arg,
			     cv_err *err);

/*
 * cv_duty_week_check, cv_duty_time_check, cv_duty_date_check - the form of
 * a week as cv_duty_list takes it ("YYYY-Www", a week the year has), of a
 * local time as cv_duty_start, cv_duty_end and cv_duty_add take it
 * ("YYYY-MM-DD HH:MM", a real date and clock time) and of a date as
 * cv_duty_hours_list takes it ("YYYY-MM-DD"), checked without a vault, so
 * that a front end refuses a mistyped value before it asks for a
 * passphrase (nothing is logged).  The commands check again; whether a
 * local time exists in the vault's time zone (the clocks may skip it) only
 * they can say.  CV_EUSAGE "duty.week", "duty.time" or "duty.date", with
 * the commands' own messages.
 */
cv_status cv_duty_week_check(const char *week, cv_err *err);
cv_status cv_duty_time_check(const char *local, cv_err *err);
cv_status cv_duty_date_check(const char *date, cv_err *err);

/* ---- the compliance report (report compliance) ---------------------------- */

/* An item's verdict. */
typedef enum cv_report_status {
	CV_REPORT_NA = 0,  /* not applicable: nothing in the period to judge */
	CV_REPORT_MET = 1, /* met */
	CV_REPORT_NOT_MET = 2,
} cv_report_status;

typedef enum cv_report_format {
	CV_REPORT_TEXT = 1,
	CV_REPORT_JSON = 2,
	CV_REPORT_HTML = 3,
} cv_report_format;

/* The items, numbered as in the standard's checklist (docs/FORMAT.md
 * §24): CV_REPORT_ITEMS of them, 1..CV_REPORT_ITEMS. */
#define CV_REPORT_ITEMS 9

/* One item of a report, valid while the report lives.  subjects name what
 * is behind a figure: ISO weeks ("2026-W37"), case ids, record ids of
 * break-glass events, or for item 9 "USER=N" counts; never a student's
 * identity or any content. */
typedef struct cv_report_item {
	int number;		     /* 1..CV_REPORT_ITEMS */
	const char *code;	     /* "duty.hours", ... (stable, for machines) */
	const char *title;	     /* English */
	const char *title_zh;	     /* Chinese */
	cv_report_status status;     /* the verdict */
	long long count;	     /* how many fall short (weeks, cases, ...) */
	long long total;	     /* out of how many judged */
	const char *figure;	     /* the figure in a sentence (English) */
	const cv_err *figure_parts;  /* its template and arguments (cv_err_render) */
	const char *const *subjects; /* what falls short, or for item 9 the reads */
	size_t nsubjects;
} cv_report_item;

typedef struct cv_report cv_report;

/*
 * cv_report_period - checks what a user typed for a report's period
 * before any passphrase is asked: exactly one of term ("YYYY-autumn",
 * "YYYY-spring") and the pair from..to (local dates YYYY-MM-DD, from not
 * after to).  CV_EUSAGE "report.period" naming what is wrong.
 */
cv_status cv_report_period(const char *term, const char *from, const char *to, cv_err *err);

/*
 * cv_report_compliance - supervisors: the compliance report of a term (its
 * months in the vault's term settings) or of from..to, computed without a
 * case key from the clear columns of the records, their statistics boxes,
 * the duty log, the reviews and the log, after the vault's verification
 * (whose result is item 9: a failure is reported there, not refused).
 * Logged as report.compliance before it is returned.  *out receives the
 * report (free with cv_report_free).  CV_EDENIED for anyone but a
 * supervisor holding the stats key; CV_EUSAGE for a bad period;
 * CV_EINTEGRITY when a case or record fails its checks.
 */
cv_status cv_report_compliance(cv_session *s, const char *term, const char *from, const char *to,
			       cv_report **out, cv_err *err);
/* The period of r (local dates, inclusive) and the day it was judged on
 * (the period's end, or today when that is earlier). */
void cv_report_dates(const cv_report *r, const char **from, const char **to, const char **as_of);
/* The school setting r was made under, "" when unset. */
const char *cv_report_school(const cv_report *r);
/* Item i (0..CV_REPORT_ITEMS-1) of r. */
const cv_report_item *cv_report_item_at(const cv_report *r, size_t i);
/* Writes r as text, JSON or a self-contained HTML page to fp. */
cv_status cv_report_write(const cv_report *r, cv_report_format format, FILE *fp, cv_err *err);
void cv_report_free(cv_report *r);

#endif /* CASEVAULT_H */

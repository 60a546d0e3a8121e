/*
 * test_enrol.c - keys only their owners know (cv_user_add, cv_user_enrol,
 * cv_user_reset, cv_user_rotate): an added account is pending and cannot
 * log in; its enrolment takes the right code, once, before it expires,
 * and every refusal is logged; the admin's call takes no passphrase and
 * the keys it signs are the code's, never the user's; the enrolled
 * identity verifies, and tampering with the enrolment certificate or the
 * public keys is refused at login and by audit verify, as is a second
 * enrolment made with the same code; a reset loses nothing (the grants
 * reach the keys the user makes), and a rotation keeps old grants readable
 * and old signatures valid.
 */
#define FIXTURE_TAG "enrol"
#include "case_fixture.h"
#include "cert.h"
#include "enrol.h"
#include "localday.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "user.h"

#define PW_ERIN "erin chose this passphrase"
#define PW_ERIN2 "erin chose another one now"

/* cv_user_add takes no passphrase: an admin has nothing of the new user's
 * to type.  (A change of its parameters fails to compile here.) */
_Static_assert(__builtin_types_compatible_p(__typeof__(&cv_user_add),
					    cv_status (*)(cv_session *, const char *, cv_role,
							  unsigned, char *, cv_err *)),
	       "cv_user_add takes the admin's session, a name, a role, a lifetime and a buffer "
	       "for the code: no passphrase");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cv_user_reset),
					    cv_status (*)(cv_session *, const char *, const char *,
							  unsigned, char *, cv_err *)),
	       "cv_user_reset takes no passphrase either");

/* Fails unless err holds status st and reason code want. */
#define assert_code(e, st, want)                                                                   \
	do {                                                                                       \
		assert_int_equal((e).status, (st));                                                \
		if (strcmp((e).code, (want)) != 0)                                                 \
			fail_msg("code '%s', want '%s' (%s)", (e).code, (want), (e).msg);          \
	} while (0)

static void note_ok(cv_session *s, const char *case_id, const char *kind, const char *text,
		    char id[CV_CASE_ID_MAX])
{
	cv_err err = {0};

	if (cv_note_add(s, case_id, kind, text, strlen(text), NULL, id, &err) != CV_OK)
		fail_msg("note add failed: %s", err.msg);
}

static void final_note(cv_session *s, const char *case_id, const char *kind, const char *text,
		       char id[CV_CASE_ID_MAX])
{
	cv_err err = {0};

	note_ok(s, case_id, kind, text, id);
	if (cv_note_finalize(s, id, &err) != CV_OK)
		fail_msg("note finalize failed: %s", err.msg);
}

/* What cv_note_show delivered. */
struct note_read {
	char text[512];
	int signature_ok;
};

static int note_cb(const cv_note_info *n, void *arg)
{
	struct note_read *r = arg;

	snprintf(r->text, sizeof(r->text), "%.*s", (int)n->text_len, n->text);
	r->signature_ok = n->signature_ok;
	return 0;
}

static cv_status note_read(cv_session *s, const char *id, struct note_read *r, cv_err *err)
{
	memset(r, 0, sizeof(*r));
	return cv_note_show(s, id, note_cb, r, err);
}

/* The failed, unsigned user.enrol rows of who with this detail. */
static int64_t enrol_failures(const char *path, const char *who, const char *detail)
{
	return q_int(path,
		     "SELECT count(*) FROM audit WHERE actor = '%s' AND action = 'user.enrol'"
		     " AND object = 'user:%s' AND outcome = 'failed' AND sig IS NULL"
		     " AND detail = '%s'",
		     who, who, detail);
}

/* Adds `name` as alice, into code. */
static void add_pending(struct fix *f, const char *name, char code[CV_ENROL_CODE_LEN + 1])
{
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_err err = {0};

	if (cv_user_add(a, name, CV_ROLE_COUNSELOR, 0, code, &err) != CV_OK)
		fail_msg("user add '%s' failed: %s", name, err.msg);
	logout(a);
}

static cv_status enrol(struct fix *f, const char *name, const char *code, const char *pass,
		       cv_err *err)
{
	memset(err, 0, sizeof(*err));
	return cv_user_enrol(f->v, name, code, pass, strlen(pass), &cheap_kdf, err);
}

/* audit verify as sam on path; returns the status, message in err. */
static cv_status verify_as_sam(const char *path, cv_err *err)
{
	cv_audit_report rep;
	cv_vault *v = NULL;
	cv_session *s;
	cv_status st;

	memset(err, 0, sizeof(*err));
	assert_int_equal(cv_vault_open(path, &v, err), CV_OK);
	s = login_ok(v, "sam", PW_SAM);
	st = cv_audit_verify(s, NULL, &rep, err);
	logout(s);
	cv_vault_close(v);
	return st;
}

static void verify_ok(const char *path)
{
	cv_err err;

	if (verify_as_sam(path, &err) != CV_OK)
		fail_msg("audit verify failed: %s", err.msg);
}

static cv_status login_on(const char *path, const char *who, const char *pass, cv_err *err)
{
	cv_vault *v = NULL;
	cv_status st;

	memset(err, 0, sizeof(*err));
	assert_int_equal(cv_vault_open(path, &v, err), CV_OK);
	st = login_status(v, who, pass, err);
	cv_vault_close(v);
	return st;
}

struct listed {
	char status[16];
	char expires[CV_TIME_LEN];
	char signer[CV_NAME_MAX + 1];
};

static int find_user(const cv_user_info *u, void *arg)
{
	struct listed *l = arg;

	if (strcmp(u->name, "erin") == 0) {
		snprintf(l->status, sizeof(l->status), "%s", u->status);
		snprintf(l->expires, sizeof(l->expires), "%s", u->expires);
		snprintf(l->signer, sizeof(l->signer), "%s", u->signer);
	}
	return 0;
}

static void list_erin(struct fix *f, struct listed *l)
{
	cv_session *s = login_ok(f->v, "sam", PW_SAM);
	cv_err err = {0};

	memset(l, 0, sizeof(*l));
	assert_int_equal(cv_user_list(s, find_user, l, &err), CV_OK);
	logout(s);
}

/* ---- adding: a pending account, no key of the user's --------------------- */

static void test_add_makes_pending_account(void **state)
{
	struct fix *f = *state;
	char code[CV_ENROL_CODE_LEN + 1], now[CV_TIME_LEN], week[CV_TIME_LEN];
	uint8_t zero[CV_KEY_BOX_LEN] = {0}, box[CV_KEY_BOX_LEN];
	cv_keyholder *kh = NULL;
	cv_user_rec r;
	struct listed l;
	cv_err err = {0};
	time_t t;
	struct tm tm;

	add_pending(f, "erin", code);
	/* The latest the code can expire: a week from now, taken after the
	 * add (taken before it, a second boundary in between fails it). */
	t = time(NULL) + 7 * 86400;
	/* XXXXX-XXXXX-XXXXX-XXXXX in Crockford base32. */
	assert_int_equal(strlen(code), CV_ENROL_CODE_LEN);
	for (size_t i = 0; i < CV_ENROL_CODE_LEN; i++)
		if (i % 6 == 5)
			assert_int_equal(code[i], '-');
		else
			assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", code[i]));

	/* Pending, its code valid for a week, issued by alice. */
	list_erin(f, &l);
	assert_string_equal(l.status, "pending");
	assert_string_equal(l.signer, "alice");
	gmtime_r(&t, &tm);
	strftime(week, sizeof(week), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cv_time_now(now);
	assert_true(strcmp(l.expires, now) > 0 && strcmp(l.expires, week) <= 0);

	/* No wrapped keys at all, and the public keys are the code's: the
	 * admin's process made and signed nothing of the user's own. */
	assert_int_equal(
	    q_blob(f->path, box, sizeof(box), "SELECT key_box FROM users WHERE name = 'erin'"),
	    sizeof(box));
	assert_memory_equal(box, zero, sizeof(box));
	assert_int_equal(q_int(f->path, "SELECT kdf_alg FROM users WHERE name = 'erin'"), 0);
	assert_int_equal(cv_store_user_by_name(f->v->st, "erin", &r, &err), CV_OK);
	assert_true(cv_ident_is_enrolment(&r));
	assert_int_equal(cv_user_verify(f->v, &r, &err), CV_OK);
	assert_int_equal(cv_enrol_code_open(f->v, r.id, r.cert_seq, code, &kh, &err), CV_OK);
	assert_memory_equal(kh->sign_pk, r.sign_pk, sizeof(r.sign_pk));
	assert_memory_equal(kh->box_pk, r.box_pk, sizeof(r.box_pk));
	cv_keyholder_free(kh);
	/* An enrolment certificate signs nothing. */
	assert_int_equal(cv_user_cert_verify(f->v, &r, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "user.cert-pending");

	/* A pending user cannot log in, whatever passphrase is typed; the
	 * refusal is logged. */
	assert_int_equal(login_status(f->v, "erin", PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "auth.pending");
	assert_msg_has(err, "casevault enrol");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'erin' AND"
					" action = 'login' AND detail = 'auth.pending'"),
			 1);
	/* Nor be shared a case. */
	{
		cv_session *c = login_ok(f->v, "carol", PW_CAROL);
		char id[CV_CASE_ID_MAX];

		open_new(c, "S-1001", "Deng Qian", id);
		assert_int_equal(cv_case_share(c, id, "erin", &err), CV_EDENIED);
		logout(c);
	}
	sodium_memzero(code, sizeof(code));
	verify_ok(f->path);
}

static void test_enrol_then_login(void **state)
{
	struct fix *f = *state;
	char code[CV_ENROL_CODE_LEN + 1], lower[CV_ENROL_CODE_LEN + 1];
	cv_user_rec before, after;
	struct listed l;
	cv_session *e;
	cv_err err = {0};
	int64_t seq;

	add_pending(f, "erin", code);
	assert_int_equal(cv_store_user_by_name(f->v->st, "erin", &before, &err), CV_OK);
	/* Typed in lower case, with O for 0 and L for 1: the same code. */
	for (size_t i = 0; i <= CV_ENROL_CODE_LEN; i++)
		lower[i] = code[i] == '0'			? 'o'
			   : code[i] == '1'			? 'l'
			   : (code[i] >= 'A' && code[i] <= 'Z') ? (char)(code[i] + 32)
								: code[i];
	assert_int_equal(enrol(f, "erin", lower, PW_ERIN, &err), CV_OK);
	sodium_memzero(code, sizeof(code));
	sodium_memzero(lower, sizeof(lower));

	/* New keys, the user's own: certified by the code's key and by
	 * themselves at the user.enrol row; the enrolment certificate is in
	 * key_history. */
	assert_int_equal(cv_store_user_by_name(f->v->st, "erin", &after, &err), CV_OK);
	seq = q_int(f->path, "SELECT seq FROM audit WHERE action = 'user.enrol' AND outcome = 'ok'"
			     " AND object = 'user:erin'");
	assert_int_equal(after.cert_seq, seq);
	assert_int_equal(after.status_seq, seq);
	assert_int_equal(after.keys_seq, seq);
	assert_int_equal(after.creator_id, after.id);
	assert_int_equal(after.status_signer_id, after.id);
	assert_int_equal(after.has_self_sig, 1);
	assert_string_equal(after.status, "active");
	assert_memory_not_equal(after.sign_pk, before.sign_pk, sizeof(after.sign_pk));
	assert_memory_not_equal(after.box_pk, before.box_pk, sizeof(after.box_pk));
	assert_int_equal(cv_user_verify(f->v, &after, &err), CV_OK);
	assert_int_equal(cv_user_cert_verify(f->v, &after, &err), CV_OK);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM key_history WHERE user_id = %lld AND"
			       " cert_seq = %lld AND retired_seq = %lld",
			       (long long)after.id, (long long)before.cert_seq, (long long)seq),
			 1);
	/* The enrolment's rows are the user's, and its checkpoint is signed
	 * with the new key (audit verify checks it). */
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE seq = %lld AND actor = 'erin'"
			       " AND detail = 'cases=0'",
			       (long long)seq),
			 1);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM audit WHERE seq = %lld AND actor = 'erin' AND"
			       " action = 'checkpoint' AND sig IS NOT NULL",
			       (long long)seq + 1),
			 1);
	verify_ok(f->path);

	list_erin(f, &l);
	assert_string_equal(l.status, "active");
	assert_string_equal(l.expires, "");
	assert_string_equal(l.signer, "alice"); /* who issued her enrolment */
	/* The index key reaches her from a colleague who holds it, at the
	 * colleague's next login (no admin holds one). */
	logout(login_ok(f->v, "carol", PW_CAROL));
	e = login_ok(f->v, "erin", PW_ERIN);
	assert_int_equal(cv_session_role(e), CV_ROLE_COUNSELOR);
	{
		char id[CV_CASE_ID_MAX];

		open_new(e, "S-2001", "Gao Lin", id); /* holds the index key now */
	}
	logout(e);
	assert_int_equal(login_status(f->v, "erin", PW_ERIN2, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "auth.wrong-passphrase");
}

/* ---- refused enrolments ---------------------------------------------------- */

static void test_enrol_refusals(void **state)
{
	struct fix *f = *state;
	char code[CV_ENROL_CODE_LEN + 1], other[CV_ENROL_CODE_LEN + 1], typo[CV_ENROL_CODE_LEN + 1];
	cv_err err = {0};
	struct listed l;

	add_pending(f, "erin", code);
	add_pending(f, "gina", other);

	/* A mistyped code: its check symbol does not match; too short; a
	 * symbol outside the alphabet. */
	memcpy(typo, code, sizeof(typo));
	typo[CV_ENROL_CODE_LEN - 1] = typo[CV_ENROL_CODE_LEN - 1] == 'Z' ? 'Y' : 'Z';
	assert_int_equal(enrol(f, "erin", typo, PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "enrol.mistyped");
	assert_msg_has(err, "mistyped");
	assert_int_equal(enrol(f, "erin", "ABCDE", PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "enrol.mistyped");
	assert_int_equal(enrol(f, "erin", "U0000-00000-00000-00000", PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "enrol.mistyped");
	/* Another account's code. */
	assert_int_equal(enrol(f, "erin", other, PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "enrol.code");
	assert_msg_has(err, "not the enrolment code of 'erin'");
	assert_int_equal(enrol_failures(f->path, "erin", "enrol.mistyped"), 3);
	assert_int_equal(enrol_failures(f->path, "erin", "enrol.code"), 1);
	/* An unknown user, and one that never was pending. */
	assert_int_equal(enrol(f, "nobody", code, PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "auth.unknown-user");
	assert_int_equal(enrol_failures(f->path, "nobody", "auth.unknown-user"), 1);
	assert_int_equal(enrol(f, "carol", code, PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "enrol.not-pending");
	/* A passphrase that breaks the rules is refused before anything. */
	assert_int_equal(enrol(f, "erin", code, "too short", &err), CV_EUSAGE);
	assert_string_equal(err.code, "passphrase.too-short");

	/* Nothing changed: erin is pending, carol's keys are hers. */
	list_erin(f, &l);
	assert_string_equal(l.status, "pending");
	logout(login_ok(f->v, "carol", PW_CAROL));
	verify_ok(f->path);

	/* The right code works, once. */
	assert_int_equal(enrol(f, "erin", code, PW_ERIN, &err), CV_OK);
	assert_int_equal(enrol(f, "erin", code, PW_ERIN2, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "enrol.not-pending");
	assert_int_equal(enrol_failures(f->path, "erin", "enrol.not-pending"), 1);
	assert_int_equal(login_status(f->v, "erin", PW_ERIN2, &err), CV_EAUTH);
	logout(login_ok(f->v, "erin", PW_ERIN));

	/* A pending account an admin disabled cannot enrol. */
	{
		cv_session *a = login_ok(f->v, "alice", PW_ALICE);

		assert_int_equal(cv_user_disable(a, "gina", &err), CV_OK);
		logout(a);
	}
	assert_int_equal(enrol(f, "gina", other, PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "auth.disabled");
	sodium_memzero(code, sizeof(code));
	sodium_memzero(other, sizeof(other));
	verify_ok(f->path);
}

static void test_enrol_expired(void **state)
{
	struct fix *f = *state;
	char code[CV_ENROL_CODE_LEN + 1], now[CV_TIME_LEN];
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_err err = {0};
	struct listed l;

	/* A code that expired a minute ago... */
	{
		time_t t = time(NULL) - 60;
		struct tm tm;
		char past[CV_TIME_LEN];

		gmtime_r(&t, &tm);
		strftime(past, sizeof(past), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_int_equal(cv_user_add_until(a, "erin", CV_ROLE_COUNSELOR, past, code, &err),
				 CV_OK);
	}
	logout(a);
	assert_int_equal(enrol(f, "erin", code, PW_ERIN, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "enrol.expired");
	assert_msg_has(err, "expired");
	assert_int_equal(enrol_failures(f->path, "erin", "enrol.expired"), 1);
	list_erin(f, &l);
	assert_string_equal(l.status, "pending");
	cv_time_now(now);
	assert_true(strcmp(l.expires, now) < 0);

	/* ...is refused by the lifetime check of the public API before it is
	 * made (at most CV_ENROL_DAYS_MAX days), and a reset gives a new one. */
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_user_reset(a, "erin", recovery, CV_ENROL_DAYS_MAX + 1, code, &err),
			 CV_EUSAGE);
	assert_int_equal(cv_user_reset(a, "erin", recovery, 1, code, &err), CV_OK);
	logout(a);
	assert_int_equal(enrol(f, "erin", code, PW_ERIN, &err), CV_OK);
	sodium_memzero(code, sizeof(code));
	logout(login_ok(f->v, "erin", PW_ERIN));
	verify_ok(f->path);
}

/* ---- tampering --------------------------------------------------------------- */

/* A copy of the vault in which erin has enrolled; erin's code kept in code. */
static void enrolled_copy(struct fix *f, char *copy, size_t cap, char code[CV_ENROL_CODE_LEN + 1])
{
	cv_err err = {0};

	add_pending(f, "erin", code);
	assert_int_equal(enrol(f, "erin", code, PW_ERIN, &err), CV_OK);
	tmpdir_file(copy, cap, f->dir, "copy.db");
}

static void expect_tampered(const char *path, const char *what)
{
	cv_err err;
	cv_status st = login_on(path, "erin", PW_ERIN, &err);

	if (st != CV_EINTEGRITY)
		fail_msg("after %s erin's login gave %s: %s", what, cv_status_name(st), err.msg);
	assert_msg_has(err, "'erin'");
	st = verify_as_sam(path, &err);
	if (st != CV_EINTEGRITY)
		fail_msg("after %s audit verify gave %s: %s", what, cv_status_name(st), err.msg);
	assert_msg_has(err, "'erin'");
}

/*
 * An enrolment code made to live longer than a code may (60 days): its
 * certificate signed again by the admin, as a modified program of theirs
 * could.  The signature verifies; the code is good for 30 days from the
 * row that made it all the same.
 */
static void test_enrolment_code_lifetime_refused(void **state)
{
	struct fix *f = *state;
	char code[CV_ENROL_CODE_LEN + 1], made[CV_TIME_LEN], sig_hex[2 * crypto_sign_BYTES + 1];
	cv_user_rec u;
	cv_session *a;
	cv_err err = {0};
	int64_t t = 0;

	add_pending(f, "erin", code);
	assert_int_equal(cv_store_user_by_name(f->v->st, "erin", &u, &err), CV_OK);
	q_text(f->path, made, sizeof(made), "SELECT time FROM audit WHERE seq = %lld",
	       (long long)u.cert_seq);
	assert_int_equal(cv_time_secs(made, &t), 0);
	cv_time_text(t + 60 * 86400, u.expires);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_cert_sign(f->v, &u, CV_CERT_IDENTITY, a->kh, &err), CV_OK);
	logout(a);
	sodium_bin2hex(sig_hex, sizeof(sig_hex), u.cert_sig, sizeof(u.cert_sig));
	raw_exec(f->path, "UPDATE users SET expires = '%s', cert_sig = X'%s' WHERE name = 'erin'",
		 u.expires, sig_hex);
	/* 40 days on: the certificate says 60, the code is good for 30 */
	cv_clock_fix(t + 40 * 86400);
	assert_int_equal(enrol(f, "erin", code, PW_ERIN, &err), CV_EAUTH);
	assert_string_equal(err.code, "enrol.expired");
	assert_msg_has(err, "good for 30 days only");
	/* 20 days on, the same code and certificate enrol */
	cv_clock_fix(t + 20 * 86400);
	assert_int_equal(enrol(f, "erin", code, PW_ERIN, &err), CV_OK);
	cv_clock_fix(0);
}

static void test_tampered_enrolment_refused(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *what;
		const char *sql;
	} edits[] = {
	    /* each SQL ends where erin's id goes */
	    {"the certificate's expiry moved",
	     "UPDATE key_history SET expires = '2099-01-01T00:00:00Z' WHERE user_id = "},
	    {"the certificate's code keys replaced",
	     "UPDATE key_history SET sign_pk = (SELECT sign_pk FROM users WHERE name = 'carol')"
	     " WHERE user_id = "},
	    {"the certificate's role raised",
	     "UPDATE key_history SET role = 'admin' WHERE user_id = "},
	    {"the certificate deleted", "DELETE FROM key_history WHERE user_id = "},
	    {"the user's signing key replaced",
	     "UPDATE users SET sign_pk = (SELECT sign_pk FROM users WHERE name = 'dave')"
	     " WHERE id = "},
	    {"the user's box key replaced",
	     "UPDATE users SET box_pk = (SELECT box_pk FROM users WHERE name = 'dave')"
	     " WHERE id = "},
	    {"the self-signature dropped", "UPDATE users SET self_sig = zeroblob(0) WHERE id = "},
	    {"the role raised", "UPDATE users SET role = 'admin' WHERE id = "},
	    {"the enrolment row's time moved past the expiry",
	     "UPDATE audit SET time = '2099-01-01T00:00:00Z' WHERE action = 'user.enrol' AND"
	     " object = 'user:erin' AND 0 < "},
	};
	char copy[TEST_PATH_MAX], code[CV_ENROL_CODE_LEN + 1], sql[512];
	int64_t id;
	cv_err err;

	enrolled_copy(f, copy, sizeof(copy), code);
	sodium_memzero(code, sizeof(code));
	id = q_int(f->path, "SELECT id FROM users WHERE name = 'erin'");
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		copy_db(f->path, copy);
		assert_int_equal(login_on(copy, "erin", PW_ERIN, &err), CV_OK); /* the control */
		snprintf(sql, sizeof(sql), "%s%lld", edits[i].sql, (long long)id);
		raw_exec(copy, "%s", sql);
		expect_tampered(copy, edits[i].what);
	}
}

/*
 * The admin saw the code.  After erin enrolled, someone who holds the code
 * and the file (the admin, say) enrols "erin" again with keys of their
 * own: a certificate by the code's key, a self-signed 'active', a
 * user.enrol row and a checkpoint signed by the new key -- every
 * signature genuine, and at last the first keys removed from the history.
 * A code is good for one enrolment: the first one the log records.
 */
static void test_second_enrolment_with_the_code_refused(void **state)
{
	struct fix *f = *state;
	char copy[TEST_PATH_MAX], code[CV_ENROL_CODE_LEN + 1], object[] = "user:erin";
	cv_keyholder *code_kh = NULL;
	cv_user_rec legit, cert;
	cv_session s = {0};
	cv_vault *v = NULL;
	cv_err err = {0};

	enrolled_copy(f, copy, sizeof(copy), code);
	copy_db(f->path, copy);
	assert_int_equal(cv_vault_open(copy, &v, &err), CV_OK);
	assert_int_equal(cv_store_user_by_name(v->st, "erin", &legit, &err), CV_OK);
	assert_int_equal(cv_store_cert_at(v->st, legit.id, legit.cert_seq - 1, &cert, &err), CV_OK);
	assert_true(cv_ident_is_enrolment(&cert));
	assert_int_equal(cv_enrol_code_open(v, cert.id, cert.cert_seq, code, &code_kh, &err),
			 CV_OK);
	sodium_memzero(code, sizeof(code));

	/* The forgery, written as the library writes an enrolment. */
	s.v = v;
	s.me = legit;
	s.role = CV_ROLE_COUNSELOR;
	assert_int_equal(cv_op_begin(&s, &err), CV_OK);
	{
		uint8_t *sec = sodium_malloc(CV_SECRETS_LEN);

		assert_non_null(sec);
		crypto_box_keypair(s.me.box_pk, sec);
		crypto_sign_keypair(s.me.sign_pk, sec + crypto_box_SECRETKEYBYTES);
		assert_int_equal(cv_keyholder_local(sec, s.me.box_pk, s.me.sign_pk, &s.kh, &err),
				 CV_OK);
		sodium_free(sec);
	}
	s.me.cert_seq = s.me.status_seq = s.head.seq + 1;
	assert_int_equal(cv_cert_sign_keys(v, &s.me, &cert, code_kh, s.kh, &err), CV_OK);
	assert_int_equal(cv_cert_sign(v, &s.me, CV_CERT_STATUS, s.kh, &err), CV_OK);
	assert_int_equal(cv_store_history_insert(v->st, &legit, s.me.cert_seq, &err), CV_OK);
	assert_int_equal(cv_store_user_update_identity(v->st, &s.me, &err), CV_OK);
	assert_int_equal(cv_store_user_update_status(v->st, &s.me, &err), CV_OK);
	assert_int_equal(cv_op_log(&s, CV_ACT_USER_ENROL, object, CV_OUT_OK, "cases=0", &err),
			 CV_OK);
	assert_int_equal(cv_op_commit(&s, &err), CV_OK);
	cv_keyholder_free(s.kh);
	cv_keyholder_free(code_kh);
	cv_vault_close(v);

	/* With the first enrolment's keys kept in the history, the forged
	 * keys do not stand on the certificate; with them removed, they stand
	 * on it but are not its first enrolment. */
	assert_int_equal(verify_as_sam(copy, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "user.cert-signature");
	assert_msg_has(err, "'erin'");
	raw_exec(copy, "DELETE FROM key_history WHERE user_id = %lld AND cert_seq = %lld",
		 (long long)legit.id, (long long)legit.cert_seq);
	assert_int_equal(verify_as_sam(copy, &err), CV_EINTEGRITY);
	assert_code(err, CV_EINTEGRITY, "user.cert-enrol-row");
	assert_msg_has(err, "'erin'");
	assert_msg_has(err, "first enrolment");
	{
		cv_vault *w = NULL;
		cv_user_rec forged;

		assert_int_equal(cv_vault_open(copy, &w, &err), CV_OK);
		assert_int_equal(cv_store_user_by_name(w->st, "erin", &forged, &err), CV_OK);
		assert_int_equal(cv_user_verify(w, &forged, &err), CV_EINTEGRITY);
		assert_string_equal(err.code, "user.cert-enrol-row");
		cv_vault_close(w);
	}
}

/* ---- reset and rotation -------------------------------------------------------- */

static void test_reset_grants_reach_new_keys(void **state)
{
	struct fix *f = *state;
	char id[CV_CASE_ID_MAX], note[CV_CASE_ID_MAX], code[CV_ENROL_CODE_LEN + 1];
	static const char text[] = "a final note from before the reset";
	uint8_t zero[CV_KEY_BOX_LEN] = {0}, box[CV_KEY_BOX_LEN];
	cv_session *c = login_ok(f->v, "carol", PW_CAROL), *a;
	cv_case_visitor vis = {0};
	struct note_read r;
	cv_err err = {0};

	open_new(c, "S-3001", "Hu Jing", id);
	consent_all(c, id);
	final_note(c, id, NULL, text, note);
	logout(c);

	/* The reset re-seals with the recovery key, to the new code's key; the
	 * old wrapped keys are erased; carol is pending. */
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_user_reset(a, "carol", recovery, 0, code, &err), CV_OK);
	logout(a);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'user.reset'"
					" AND object = 'user:carol' AND detail = 'cases=1'"),
			 1);
	assert_int_equal(
	    q_blob(f->path, box, sizeof(box), "SELECT key_box FROM users WHERE name = 'carol'"),
	    sizeof(box));
	assert_memory_equal(box, zero, sizeof(box));
	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_EAUTH);
	assert_code(err, CV_EAUTH, "auth.pending");
	verify_ok(f->path);

	/* carol enrols, and her case is hers again, with the keys she made. */
	assert_int_equal(enrol(f, "carol", code, PW_NEW, &err), CV_OK);
	sodium_memzero(code, sizeof(code));
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'user.enrol'"
					" AND object = 'user:carol' AND outcome = 'ok' AND"
					" detail = 'cases=1'"),
			 1);
	c = login_ok(f->v, "carol", PW_NEW);
	assert_int_equal(cv_case_show(c, id, 0, NULL, &vis, NULL, &err), CV_OK);
	assert_int_equal(note_read(c, note, &r, &err), CV_OK);
	assert_string_equal(r.text, text);
	assert_int_equal(r.signature_ok, 1); /* signed with the keys of before */
	note_ok(c, id, NULL, "after the reset", note);
	logout(c);
	verify_ok(f->path);
}

static void test_rotate(void **state)
{
	struct fix *f = *state;
	char id[CV_CASE_ID_MAX], id2[CV_CASE_ID_MAX], note[CV_CASE_ID_MAX], n2[CV_CASE_ID_MAX];
	static const char text[] = "signed with carol's first keys";
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_user_rec before, after;
	cv_case_visitor vis = {0};
	struct note_read r;
	cv_err err = {0};
	int64_t seq;

	open_new(c, "S-4001", "Lu Yan", id);
	consent_all(c, id);
	final_note(c, id, NULL, text, note);
	assert_int_equal(cv_store_user_by_name(f->v->st, "carol", &before, &err), CV_OK);

	/* A passphrase that breaks the rules changes nothing. */
	assert_int_equal(cv_user_rotate(c, "short", 5, &err), CV_EUSAGE);
	assert_int_equal(cv_user_rotate(c, PW_NEW, strlen(PW_NEW), &err), CV_OK);
	assert_int_equal(cv_store_user_by_name(f->v->st, "carol", &after, &err), CV_OK);
	seq = q_int(f->path, "SELECT seq FROM audit WHERE action = 'user.rotate' AND outcome ="
			     " 'ok' AND object = 'user:carol' AND detail = 'cases=1'");
	assert_int_equal(after.cert_seq, seq);
	assert_int_equal(after.keys_seq, seq);
	assert_int_equal(after.status_seq, before.status_seq);
	assert_memory_not_equal(after.sign_pk, before.sign_pk, sizeof(after.sign_pk));
	assert_memory_not_equal(after.box_pk, before.box_pk, sizeof(after.box_pk));
	assert_int_equal(cv_user_verify(f->v, &after, &err), CV_OK);

	/* The session goes on with the new keys: the old grant was re-sealed. */
	assert_int_equal(cv_case_show(c, id, 0, NULL, &vis, NULL, &err), CV_OK);
	note_ok(c, id, NULL, "after the rotation", n2);
	assert_int_equal(cv_note_finalize(c, n2, &err), CV_OK);
	open_new(c, "S-4002", "Ma Li", id2); /* the vault keys too */
	logout(c);

	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_EAUTH);
	c = login_ok(f->v, "carol", PW_NEW);
	assert_int_equal(note_read(c, note, &r, &err), CV_OK);
	assert_string_equal(r.text, text);
	assert_int_equal(r.signature_ok, 1); /* the old key's signature still verifies */
	assert_int_equal(note_read(c, n2, &r, &err), CV_OK);
	assert_int_equal(r.signature_ok, 1);
	logout(c);
	assert_int_equal(q_int(f->path,
			       "SELECT count(*) FROM key_history WHERE user_id = %lld AND"
			       " cert_seq = %lld AND retired_seq = %lld",
			       (long long)before.id, (long long)before.cert_seq, (long long)seq),
			 1);
	verify_ok(f->path);

	/* A rotation the log does not record is refused. */
	{
		char copy[TEST_PATH_MAX];
		cv_status st;

		tmpdir_file(copy, sizeof(copy), f->dir, "copy.db");
		copy_db(f->path, copy);
		raw_exec(copy,
			 "UPDATE audit SET action = 'user.passwd' WHERE action = 'user.rotate'");
		st = login_on(copy, "carol", PW_NEW, &err);
		assert_int_equal(st, CV_EINTEGRITY);
		assert_msg_has(err, "'carol'");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_makes_pending_account, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enrol_then_login, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enrol_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enrol_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampered_enrolment_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enrolment_code_lifetime_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_enrolment_with_the_code_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reset_grants_reach_new_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

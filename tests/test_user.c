/*
 * test_user.c - user accounts through the public API (cv_vault_create,
 * cv_vault_open, cv_login, cv_user_add/enrol/list/passwd/disable): roles, admin-
 * only commands and their denial rows, passphrase rules, failed and
 * disabled logins and their audit rows, the self and last-admin guards,
 * passphrase changes, and user records tampered with through the sqlite3
 * library, which the next login must refuse as an integrity failure.
 */
#include "helpers.h"
#include "kdf.h"
#include "keyholder.h"

#define PW_ALICE "alice correct horse battery"
#define PW_BOB "bob correct horse battery"
#define PW_CAROL "carol correct horse battery"
#define PW_SAM "sam correct horse battery"
#define PW_DAVE "dave correct horse battery"
#define PW_NEW "a brand new passphrase here"

/* Adds and enrols a user (helpers.h add_user), failing the test if refused. */
static void add_ok(cv_vault *v, cv_session *s, const char *name, cv_role role, const char *pass)
{
	cv_err err = {0};

	if (add_user(v, s, name, role, pass, &err) != CV_OK)
		fail_msg("adding '%s' failed: %s", name, err.msg);
}

/* ---- fixture: a fresh vault whose first admin is alice ------------------- */

struct fix {
	char dir[TEST_DIR_MAX];
	char path[TEST_PATH_MAX];
	cv_vault *v;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	cv_err err = {0};

	if (!f)
		return -1;
	*state = f;
	if (tmpdir_make(f->dir, sizeof(f->dir), "user") != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/vault.db", f->dir);
	if (create_vault(f->path, "alice", PW_ALICE, NULL, &err) != CV_OK ||
	    cv_vault_open(f->path, &f->v, &err) != CV_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		tmpdir_remove(f->dir);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int rc;

	logout_all();
	cv_vault_close(f->v);
	rc = tmpdir_remove(f->dir);
	free(f);
	return rc;
}

/* ---- listing --------------------------------------------------------------- */

struct ulist {
	int n;
	struct {
		int64_t id;
		char name[CV_NAME_MAX + 1];
		cv_role role;
		int disabled;
		char status[16];
		char signer[CV_NAME_MAX + 1];
	} u[8];
};

static int list_cb(const cv_user_info *u, void *arg)
{
	struct ulist *l = arg;

	if (l->n < 8) {
		l->u[l->n].id = u->id;
		snprintf(l->u[l->n].name, sizeof(l->u[0].name), "%s", u->name);
		l->u[l->n].role = u->role;
		l->u[l->n].disabled = u->disabled;
		snprintf(l->u[l->n].status, sizeof(l->u[0].status), "%s", u->status);
		snprintf(l->u[l->n].signer, sizeof(l->u[0].signer), "%s", u->signer);
	}
	l->n++;
	return 0;
}

static void list_users(cv_session *s, struct ulist *l)
{
	cv_err err = {0};

	memset(l, 0, sizeof(*l));
	if (cv_user_list(s, list_cb, l, &err) != CV_OK)
		fail_msg("user list failed: %s", err.msg);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_admin_adds_counselor_and_supervisor(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *s;
	struct ulist l;

	assert_string_equal(cv_session_user(a), "alice");
	assert_int_equal(cv_session_role(a), CV_ROLE_ADMIN);
	add_ok(f->v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL);
	add_ok(f->v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM);
	list_users(a, &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.u[0].name, "alice");
	assert_int_equal(l.u[0].role, CV_ROLE_ADMIN);
	assert_string_equal(l.u[1].name, "carol");
	assert_int_equal(l.u[1].role, CV_ROLE_COUNSELOR);
	assert_string_equal(l.u[2].name, "sam");
	assert_int_equal(l.u[2].role, CV_ROLE_SUPERVISOR);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(l.u[i].disabled, 0);
		assert_string_equal(l.u[i].signer, "alice");
	}
	logout(a);

	s = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_session_role(s), CV_ROLE_COUNSELOR);
	/* Any role may list. */
	list_users(s, &l);
	assert_int_equal(l.n, 3);
	logout(s);
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_session_role(s), CV_ROLE_SUPERVISOR);
	logout(s);

	/* Each addition is in the log. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'alice'"
					" AND action = 'user.add' AND outcome = 'ok'"
					" AND object IN ('user:carol', 'user:sam')"),
			 2);
}

static void test_non_admin_denied(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *c, *s;
	char code[CV_ENROL_CODE_LEN + 1];
	cv_err err = {0};
	struct ulist l;

	add_ok(f->v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL);
	add_ok(f->v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM);
	logout(a);

	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_user_add(c, "eve", CV_ROLE_ADMIN, 0, code, &err), CV_EDENIED);
	assert_msg_has(err, "'carol'");
	assert_int_equal(cv_user_disable(c, "sam", &err), CV_EDENIED);
	logout(c);
	s = login_ok(f->v, "sam", PW_SAM);
	assert_int_equal(cv_user_add(s, "eve", CV_ROLE_COUNSELOR, 0, code, &err), CV_EDENIED);
	assert_int_equal(cv_user_disable(s, "carol", &err), CV_EDENIED);

	/* Nothing changed. */
	list_users(s, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.u[1].disabled, 0);
	assert_int_equal(l.u[2].disabled, 0);
	logout(s);
	assert_int_equal(login_status(f->v, "eve", PW_DAVE, &err), CV_EAUTH);

	/* Every refusal left a 'denied' row naming actor, action and object. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'carol'"
					" AND action = 'user.add' AND object = 'user:eve'"
					" AND outcome = 'denied'"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'carol'"
					" AND action = 'user.disable' AND object = 'user:sam'"
					" AND outcome = 'denied'"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'sam'"
					" AND outcome = 'denied'"
					" AND action IN ('user.add', 'user.disable')"),
			 2);
}

static void test_duplicate_name_refused(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	char code[CV_ENROL_CODE_LEN + 1];
	cv_err err = {0};
	struct ulist l;

	add_ok(f->v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL);
	assert_int_equal(cv_user_add(a, "carol", CV_ROLE_ADMIN, 0, code, &err), CV_EUSAGE);
	assert_string_equal(err.code, "user.exists");
	assert_msg_has(err, "'carol'");
	assert_msg_has(err, "already exists");
	assert_int_equal(cv_user_add(a, "alice", CV_ROLE_COUNSELOR, 0, code, &err), CV_EUSAGE);
	list_users(a, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.u[1].role, CV_ROLE_COUNSELOR); /* not replaced by the admin */
	logout(a);
	/* carol keeps her own passphrase. */
	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_OK);
	assert_int_equal(login_status(f->v, "carol", PW_SAM, &err), CV_EAUTH);
}

static void test_short_passphrase_refused(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	/* 11 characters in 22 bytes: characters count, not bytes. */
	static const char eleven_utf8[] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	char code[CV_ENROL_CODE_LEN + 1];
	cv_err err = {0};
	char other[TEST_PATH_MAX];
	struct stat sb;
	struct ulist l;

	/* A name that is not one, and a role that is not one. */
	assert_int_equal(cv_user_add(a, "Carol", CV_ROLE_COUNSELOR, 0, code, &err), CV_EUSAGE);
	assert_string_equal(err.code, "user.name-invalid");
	assert_int_equal(cv_user_add(a, "carol", (cv_role)7, 0, code, &err), CV_EUSAGE);
	assert_string_equal(err.code, "user.role");
	assert_msg_has(err, "unknown role");
	/* A code lives at most CV_ENROL_DAYS_MAX days. */
	assert_int_equal(
	    cv_user_add(a, "carol", CV_ROLE_COUNSELOR, CV_ENROL_DAYS_MAX + 1, code, &err),
	    CV_EUSAGE);
	assert_string_equal(err.code, "user.enrol-days");
	list_users(a, &l);
	assert_int_equal(l.n, 1);

	/* The passphrase is the enrolling user's, and checked there. */
	assert_int_equal(cv_user_add(a, "carol", CV_ROLE_COUNSELOR, 0, code, &err), CV_OK);
	assert_int_equal(cv_user_enrol(f->v, "carol", code, "elevenchars", 11, &cheap_kdf, &err),
			 CV_EUSAGE);
	assert_string_equal(err.code, "passphrase.too-short");
	assert_msg_has(err, "short");
	assert_int_equal(
	    cv_user_enrol(f->v, "carol", code, eleven_utf8, strlen(eleven_utf8), &cheap_kdf, &err),
	    CV_EUSAGE);
	list_users(a, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.u[1].status, "pending");
	/* Twelve characters are enough. */
	assert_int_equal(cv_user_enrol(f->v, "carol", code, "twelve chars", 12, &cheap_kdf, &err),
			 CV_OK);
	list_users(a, &l);
	assert_string_equal(l.u[1].status, "active");
	assert_int_equal(login_status(f->v, "carol", "twelve chars", &err), CV_OK);

	/* passwd refuses it and keeps the old passphrase. */
	assert_int_equal(cv_user_passwd(a, "short pass", 10, &err), CV_EUSAGE);
	assert_string_equal(err.code, "passphrase.too-short");
	logout(a);
	assert_int_equal(login_status(f->v, "alice", PW_ALICE, &err), CV_OK);

	/* And so does creating a vault, which leaves no file behind. */
	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	assert_int_equal(create_vault(other, "alice", "elevenchars", NULL, &err), CV_EUSAGE);
	assert_int_equal(lstat(other, &sb), -1);
}

static void test_wrong_passphrase(void **state)
{
	struct fix *f = *state;
	cv_err err = {0};

	assert_int_equal(login_status(f->v, "alice", "not the right passphrase", &err), CV_EAUTH);
	assert_int_equal(err.status, CV_EAUTH);
	assert_string_equal(err.code, "auth.wrong-passphrase");
	assert_msg_has(err, "wrong passphrase for 'alice'");
	/* The failure is logged, unsigned (no key was at hand), with its code. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'alice'"
					" AND action = 'login' AND object = 'user:alice'"
					" AND outcome = 'failed' AND sig IS NULL"
					" AND detail = 'auth.wrong-passphrase'"),
			 1);
	/* The right one still works. */
	assert_int_equal(login_status(f->v, "alice", PW_ALICE, &err), CV_OK);

	/* An unknown user is an authentication failure too, and logged. */
	assert_int_equal(login_status(f->v, "nobody", PW_ALICE, &err), CV_EAUTH);
	assert_string_equal(err.code, "auth.unknown-user");
	assert_msg_has(err, "no user 'nobody' in this vault");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'nobody'"
					" AND action = 'login' AND outcome = 'failed'"
					" AND detail = 'auth.unknown-user'"),
			 1);
}

static void test_disabled_user_cannot_login(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_err err = {0};
	struct ulist l;

	add_ok(f->v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL);
	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_OK);
	assert_int_equal(cv_user_disable(a, "carol", &err), CV_OK);
	list_users(a, &l);
	assert_int_equal(l.u[1].disabled, 1);
	assert_string_equal(l.u[1].signer, "alice");
	/* Disabling twice is refused. */
	assert_int_equal(cv_user_disable(a, "carol", &err), CV_EUSAGE);
	assert_string_equal(err.code, "user.already-disabled");
	assert_msg_has(err, "already disabled");
	/* An unknown user cannot be disabled. */
	assert_int_equal(cv_user_disable(a, "nobody", &err), CV_ENOTFOUND);
	assert_string_equal(err.code, "user.not-found");
	assert_msg_has(err, "no user 'nobody'");
	/* Logged with the code alone: a not-found may quote what was typed. */
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'alice'"
					" AND action = 'user.disable' AND object = 'user:nobody'"
					" AND outcome = 'failed' AND detail = 'user.not-found'"),
			 1);
	logout(a);

	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_EAUTH);
	assert_string_equal(err.code, "auth.disabled");
	assert_msg_has(err, "'carol'");
	assert_msg_has(err, "disabled");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'carol'"
					" AND action = 'login' AND outcome = 'failed'"
					" AND detail = 'auth.disabled'"),
			 1);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'alice'"
					" AND action = 'user.disable' AND object = 'user:carol'"
					" AND outcome = 'ok'"),
			 1);

	/* Still disabled after reopening the vault. */
	cv_vault_close(f->v);
	f->v = NULL;
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_EAUTH);
}

static void test_cannot_disable_self(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_err err = {0};

	assert_int_equal(cv_user_disable(a, "alice", &err), CV_EUSAGE);
	assert_string_equal(err.code, "user.disable-self");
	assert_msg_has(err, "own account");
	logout(a);
	assert_int_equal(login_status(f->v, "alice", PW_ALICE, &err), CV_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'alice'"
					" AND action = 'user.disable' AND object = 'user:alice'"
					" AND outcome = 'failed' AND detail = 'user.disable-self'"),
			 1);
}

static void test_cannot_disable_last_admin(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *b;
	cv_err err = {0};

	add_ok(f->v, a, "bob", CV_ROLE_ADMIN, PW_BOB);
	b = login_ok(f->v, "bob", PW_BOB);
	/* bob disables alice; alice's session, opened before, then tries to
	 * disable bob, the only active admin left. */
	assert_int_equal(cv_user_disable(b, "alice", &err), CV_OK);
	assert_int_equal(cv_user_disable(a, "bob", &err), CV_EUSAGE);
	assert_string_equal(err.code, "user.last-admin");
	assert_msg_has(err, "'bob'");
	assert_msg_has(err, "last active admin");
	logout(a);
	logout(b);
	assert_int_equal(login_status(f->v, "bob", PW_BOB, &err), CV_OK);
	assert_int_equal(login_status(f->v, "alice", PW_ALICE, &err), CV_EAUTH);
}

static void test_passwd(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE), *c;
	cv_err err = {0};

	add_ok(f->v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL);
	assert_int_equal(cv_user_passwd(a, PW_NEW, strlen(PW_NEW), &err), CV_OK);
	/* The session keeps working with its keys. */
	add_ok(f->v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM);
	logout(a);

	assert_int_equal(login_status(f->v, "alice", PW_ALICE, &err), CV_EAUTH);
	assert_msg_has(err, "wrong passphrase for 'alice'");
	assert_int_equal(login_status(f->v, "alice", PW_NEW, &err), CV_OK);
	cv_vault_close(f->v);
	f->v = NULL;
	assert_int_equal(cv_vault_open(f->path, &f->v, &err), CV_OK);
	a = login_ok(f->v, "alice", PW_NEW);
	assert_int_equal(cv_session_role(a), CV_ROLE_ADMIN);
	logout(a);

	/* Any role changes its own passphrase. */
	c = login_ok(f->v, "carol", PW_CAROL);
	assert_int_equal(cv_user_passwd(c, PW_DAVE, strlen(PW_DAVE), &err), CV_OK);
	logout(c);
	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_EAUTH);
	assert_int_equal(login_status(f->v, "carol", PW_DAVE, &err), CV_OK);
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE action = 'user.passwd'"
					" AND outcome = 'ok'"),
			 2);
}

/* ---- tampering -------------------------------------------------------------
 * A base vault (alice admin, carol counselor, sam supervisor, dave counselor
 * disabled) is made once; each test tampers with a copy of it while no
 * cv_vault is open on the copy. */

static char base_dir[TEST_DIR_MAX];
static char base_path[TEST_PATH_MAX];

/* dave's status columns as his enrolment signed them (active). */
static uint8_t dave_v1_sig[crypto_sign_BYTES];
static int64_t dave_v1_seq, dave_v1_signer;

static void read_dave_status_sig(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_open_v2(base_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
			       "SELECT status_sig, status_seq, status_signer_id FROM users"
			       " WHERE name = 'dave' AND status = 'active'",
			       -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), crypto_sign_BYTES);
	memcpy(dave_v1_sig, sqlite3_column_blob(s, 0), crypto_sign_BYTES);
	dave_v1_seq = sqlite3_column_int64(s, 1);
	dave_v1_signer = sqlite3_column_int64(s, 2);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static int group_setup(void **state)
{
	cv_vault *v = NULL;
	cv_session *a = NULL;
	cv_err err = {0};
	cv_status st;

	(void)state;
	if (tmpdir_make(base_dir, sizeof(base_dir), "user") != 0)
		return -1;
	snprintf(base_path, sizeof(base_path), "%s/base.db", base_dir);
	st = create_vault(base_path, "alice", PW_ALICE, NULL, &err);
	if (st == CV_OK)
		st = cv_vault_open(base_path, &v, &err);
	if (st == CV_OK)
		st = cv_login(v, "alice", PW_ALICE, strlen(PW_ALICE), &a, &err);
	if (st == CV_OK)
		st = add_user(v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL, &err);
	if (st == CV_OK)
		st = add_user(v, a, "sam", CV_ROLE_SUPERVISOR, PW_SAM, &err);
	if (st == CV_OK)
		st = add_user(v, a, "dave", CV_ROLE_COUNSELOR, PW_DAVE, &err);
	if (st == CV_OK) {
		read_dave_status_sig();
		st = cv_user_disable(a, "dave", &err);
	}
	logout(a);
	cv_vault_close(v);
	if (st != CV_OK) {
		fprintf(stderr, "group setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove(base_dir);
}

struct tfix {
	char dir[TEST_DIR_MAX];
	char path[TEST_PATH_MAX];
};

static int tsetup(void **state)
{
	struct tfix *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	*state = t;
	if (tmpdir_make(t->dir, sizeof(t->dir), "user") != 0)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/copy.db", t->dir);
	return 0;
}

static int tteardown(void **state)
{
	struct tfix *t = *state;
	int rc;

	logout_all();
	rc = tmpdir_remove(t->dir);
	free(t);
	return rc;
}

/* Logs in as who on the tampered copy and expects want, a message naming
 * who, no session, and a 'failed' login row for who. */
static void expect_login(const char *path, const char *who, const char *pass, cv_status want,
			 const char *code)
{
	cv_vault *v = NULL;
	cv_err err = {0};
	cv_status st;
	char quoted[64], sql[256];
	int64_t before;

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit WHERE actor = '%s' AND action = 'login'"
		 " AND outcome = 'failed'",
		 who);
	before = q_int(path, "%s", sql);
	assert_int_equal(cv_vault_open(path, &v, &err), CV_OK);
	st = login_status(v, who, pass, &err);
	cv_vault_close(v);
	if (st != want)
		fail_msg("login as '%s' gave %s, expected %s: %s", who, cv_status_name(st),
			 cv_status_name(want), err.msg);
	assert_int_equal(q_int(path, "%s", sql), before + 1);
	snprintf(quoted, sizeof(quoted), "'%s'", who);
	assert_msg_has(err, quoted);
	/* The code is the login failure's, which is also the row's detail. */
	assert_string_equal(err.code, code);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit WHERE actor = '%s' AND action = 'login'"
		 " AND outcome = 'failed' AND detail = '%s'",
		 who, code);
	assert_int_equal(q_int(path, "%s", sql), 1);
}

static void test_tamper_role(void **state)
{
	struct tfix *t = *state;
	cv_vault *v = NULL;
	cv_err err = {0};

	copy_db(base_path, t->path);
	raw_exec(t->path, "UPDATE users SET role = 'admin' WHERE name = 'carol'");
	expect_login(t->path, "carol", PW_CAROL, CV_EINTEGRITY, "auth.record-unverified");
	/* Others are unaffected. */
	assert_int_equal(cv_vault_open(t->path, &v, &err), CV_OK);
	assert_int_equal(login_status(v, "sam", PW_SAM, &err), CV_OK);
	cv_vault_close(v);

	/* A lowered role is caught as well. */
	copy_db(base_path, t->path);
	raw_exec(t->path, "UPDATE users SET role = 'counselor' WHERE name = 'sam'");
	expect_login(t->path, "sam", PW_SAM, CV_EINTEGRITY, "auth.record-unverified");
}

static void test_tamper_status(void **state)
{
	struct tfix *t = *state;

	copy_db(base_path, t->path);
	raw_exec(t->path, "UPDATE users SET status = 'active' WHERE name = 'dave'");
	expect_login(t->path, "dave", PW_DAVE, CV_EINTEGRITY, "auth.record-unverified");

	/* Flipped with a bumped version: still not signed by an admin. */
	copy_db(base_path, t->path);
	raw_exec(t->path, "UPDATE users SET status = 'active', status_seq = status_seq + 1"
			  " WHERE name = 'dave'");
	expect_login(t->path, "dave", PW_DAVE, CV_EINTEGRITY, "auth.record-unverified");
}

/*
 * Re-enabling dave by replaying the status his enrolment signed (active).
 * The signature is genuine, so only its row can reveal it: the log holds
 * alice's later "user.disable user:dave status=disabled".  A disabled user
 * must not get back in this way.
 */
static void test_tamper_status_replay(void **state)
{
	struct tfix *t = *state;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	cv_vault *v = NULL;
	cv_err err = {0};
	cv_status st;

	copy_db(base_path, t->path);
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE users SET status = 'active', status_seq = ?2,"
					    " status_signer_id = ?3, status_sig = ?1"
					    " WHERE name = 'dave'",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(s, 1, dave_v1_sig, sizeof(dave_v1_sig), SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, dave_v1_seq);
	sqlite3_bind_int64(s, 3, dave_v1_signer);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);

	assert_int_equal(cv_vault_open(t->path, &v, &err), CV_OK);
	st = login_status(v, "dave", PW_DAVE, &err);
	cv_vault_close(v);
	if (st != CV_EINTEGRITY)
		fail_msg("dave's replayed 'active v1' status record gave %s, expected %s: %s",
			 cv_status_name(st), cv_status_name(CV_EINTEGRITY), err.msg);
	assert_msg_has(err, "'dave'");
	assert_msg_has(err, "does not match the log");
}

static void test_tamper_swap_box_pk(void **state)
{
	struct tfix *t = *state;

	copy_db(base_path, t->path);
	raw_exec(t->path, "CREATE TEMP TABLE t AS SELECT name, box_pk FROM users;"
			  "UPDATE users SET box_pk = (SELECT box_pk FROM t WHERE t.name ="
			  " CASE users.name WHEN 'carol' THEN 'sam' ELSE 'carol' END)"
			  " WHERE name IN ('carol', 'sam');");
	assert_int_equal(q_int(t->path, "SELECT count(*) FROM users a, users b"
					" WHERE a.name = 'carol' AND b.name = 'sam'"
					" AND a.box_pk = b.box_pk"),
			 0);
	expect_login(t->path, "carol", PW_CAROL, CV_EINTEGRITY, "auth.record-unverified");
	expect_login(t->path, "sam", PW_SAM, CV_EINTEGRITY, "auth.record-unverified");
}

static void test_tamper_rename(void **state)
{
	struct tfix *t = *state;

	copy_db(base_path, t->path);
	raw_exec(t->path, "UPDATE users SET name = 'mallory' WHERE name = 'carol'");
	expect_login(t->path, "mallory", PW_CAROL, CV_EINTEGRITY, "auth.record-unverified");
}

/*
 * key_box copied from another user.  The keys are bound to the user id by
 * the AEAD's associated data, so the box does not open: the login is
 * refused.  It cannot be told apart from a wrong passphrase (no key check
 * value is stored), so the status is CV_EAUTH, not CV_EINTEGRITY.
 */
static void test_tamper_key_box_copied(void **state)
{
	struct tfix *t = *state;

	copy_db(base_path, t->path);
	raw_exec(t->path, "UPDATE users SET key_box = (SELECT key_box FROM users"
			  " WHERE name = 'sam') WHERE name = 'carol'");
	expect_login(t->path, "carol", PW_CAROL, CV_EAUTH, "auth.wrong-passphrase");

	/* The whole wrapping (salt, nonce, box, costs) copied, with sam's
	 * passphrase: still refused, the box is bound to sam's id. */
	copy_db(base_path, t->path);
	raw_exec(t->path, "CREATE TEMP TABLE t AS SELECT * FROM users WHERE name = 'sam';"
			  "UPDATE users SET (kdf_alg, kdf_t, kdf_m, kdf_p, kdf_salt, key_nonce,"
			  " key_box) = (SELECT kdf_alg, kdf_t, kdf_m, kdf_p, kdf_salt,"
			  " key_nonce, key_box FROM t) WHERE name = 'carol';");
	expect_login(t->path, "carol", PW_SAM, CV_EAUTH, "auth.wrong-passphrase");
}

/* Reads a blob column of one users row into out (exactly len bytes). */
static void user_blob(sqlite3 *db, const char *name, const char *col, uint8_t *out, size_t len)
{
	char sql[128];
	sqlite3_stmt *s = NULL;

	snprintf(sql, sizeof(sql), "SELECT %s FROM users WHERE name = ?1", col);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), (int)len);
	memcpy(out, sqlite3_column_blob(s, 0), len);
	sqlite3_finalize(s);
}

static int64_t user_int(sqlite3 *db, const char *name, const char *col)
{
	char sql[128];
	sqlite3_stmt *s = NULL;
	int64_t v;

	snprintf(sql, sizeof(sql), "SELECT %s FROM users WHERE name = ?1", col);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* "casevault-user-keys-v1" || vault_id || u64be(id) */
static void keys_ad(const uint8_t vid[16], int64_t id, int64_t keys_seq,
		    uint8_t ad[22 + 16 + 8 + 8])
{
	memcpy(ad, "casevault-user-keys-v1", 22);
	memcpy(ad + 22, vid, 16);
	for (int i = 0; i < 8; i++) {
		ad[38 + i] = (uint8_t)((uint64_t)id >> (56 - 8 * i));
		ad[46 + i] = (uint8_t)((uint64_t)keys_seq >> (56 - 8 * i));
	}
}

/*
 * The attack the key check exists for: sam, who controls the file, puts
 * his own secret keys into carol's record, wrapped for carol's id under his
 * own passphrase.  The box opens, but the keys are not carol's: the login
 * must fail as an integrity failure naming carol.  The unwrapping is done
 * here independently from the documented format.
 */
static void test_tamper_key_box_other_users_keys(void **state)
{
	struct tfix *t = *state;
	enum { BOX = CV_SECRETS_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES };
	const size_t nlen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	uint8_t vid[16], salt[CV_KDF_SALT_LEN], nonce[24], box[BOX], ad[54];
	uint8_t *key = sodium_malloc(CV_KDF_KEY_LEN), *secrets = sodium_malloc(CV_SECRETS_LEN);
	cv_kdf_params k;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	sqlite3_stmt *q = NULL;
	cv_err err = {0};
	unsigned long long mlen = 0;

	assert_non_null(key);
	assert_non_null(secrets);
	assert_int_equal(nlen, sizeof(nonce));
	copy_db(base_path, t->path);
	assert_int_equal(sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'vault_id'", -1, &q, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(q, 0), 16);
	memcpy(vid, sqlite3_column_blob(q, 0), 16);
	sqlite3_finalize(q);

	/* Unwrap sam's secrets with sam's passphrase. */
	assert_int_equal(user_int(db, "sam", "kdf_alg"), CV_KDF_ALG_ARGON2ID13);
	k.t_cost = (uint32_t)user_int(db, "sam", "kdf_t");
	k.m_cost_kib = (uint32_t)user_int(db, "sam", "kdf_m");
	k.parallelism = (uint32_t)user_int(db, "sam", "kdf_p");
	user_blob(db, "sam", "kdf_salt", salt, sizeof(salt));
	user_blob(db, "sam", "key_nonce", nonce, sizeof(nonce));
	user_blob(db, "sam", "key_box", box, sizeof(box));
	assert_int_equal(
	    cv_kdf_derive(CV_KDF_ALG_ARGON2ID13, &k, PW_SAM, strlen(PW_SAM), salt, key, &err),
	    CV_OK);
	keys_ad(vid, user_int(db, "sam", "id"), user_int(db, "sam", "keys_seq"), ad);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
			     secrets, &mlen, NULL, box, sizeof(box), ad, sizeof(ad), nonce, key),
			 0);
	assert_int_equal(mlen, CV_SECRETS_LEN);

	/* Wrap them for carol's id (same salt and costs, so the same key). */
	keys_ad(vid, user_int(db, "carol", "id"), user_int(db, "carol", "keys_seq"), ad);
	randombytes_buf(nonce, sizeof(nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(box, NULL, secrets, CV_SECRETS_LEN, ad,
						   sizeof(ad), NULL, nonce, key);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE users SET kdf_t = ?1, kdf_m = ?2, kdf_p = ?3,"
					    " kdf_salt = ?4, key_nonce = ?5, key_box = ?6"
					    " WHERE name = 'carol'",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(s, 1, k.t_cost);
	sqlite3_bind_int64(s, 2, k.m_cost_kib);
	sqlite3_bind_int64(s, 3, k.parallelism);
	sqlite3_bind_blob(s, 4, salt, sizeof(salt), SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, nonce, sizeof(nonce), SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, box, sizeof(box), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
	sodium_free(key);
	sodium_free(secrets);

	expect_login(t->path, "carol", PW_SAM, CV_EINTEGRITY, "auth.keys-mismatch");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_admin_adds_counselor_and_supervisor, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_non_admin_denied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_name_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_passphrase_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disabled_user_cannot_login, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cannot_disable_self, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cannot_disable_last_admin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_role, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_status, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_status_replay, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_swap_box_pk, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_rename, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_key_box_copied, tsetup, tteardown),
	    cmocka_unit_test_setup_teardown(test_tamper_key_box_other_users_keys, tsetup,
					    tteardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_verified.c - verifications remembered while the store is unchanged
 * (cert.c, cv_store_generation): a user whose chain verified is not
 * checked again in the same open vault, and never once anything the
 * check read may have changed: another process's commit (a user disabled,
 * a signature of the chain altered with the sqlite3 library), a row this
 * process wrote, a vault file replaced.  Each attack is one a stale memory
 * would let through.
 */
#include "helpers.h"
#include "cert.h"
#include "session.h"

#define PW_ALICE "alice correct horse battery"
#define PW_BOB "bob correct horse battery"
#define PW_CAROL "carol correct horse battery"

struct fix {
	char dir[TEST_DIR_MAX];
	char path[TEST_PATH_MAX];
	cv_vault *v;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	cv_session *a;
	cv_err err = {0};

	if (!f)
		return -1;
	*state = f;
	if (tmpdir_make(f->dir, sizeof(f->dir), "verified") != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/vault.db", f->dir);
	if (create_vault(f->path, "alice", PW_ALICE, NULL, &err) != CV_OK ||
	    cv_vault_open(f->path, &f->v, &err) != CV_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		tmpdir_remove(f->dir);
		return -1;
	}
	a = login_ok(f->v, "alice", PW_ALICE);
	if (add_user(f->v, a, "bob", CV_ROLE_COUNSELOR, PW_BOB, &err) != CV_OK ||
	    add_user(f->v, a, "carol", CV_ROLE_COUNSELOR, PW_CAROL, &err) != CV_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	logout(a);
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

static cv_user_rec user_rec(cv_vault *v, const char *name)
{
	cv_user_rec r;
	cv_err err = {0};

	if (cv_store_user_by_name(v->st, name, &r, &err) != CV_OK)
		fail_msg("reading '%s': %s", name, err.msg);
	return r;
}

/* The generation moves with another connection's commit and with every
 * row written here, and not with reads. */
static void test_generation(void **state)
{
	struct fix *f = *state;
	uint64_t g0[2], g1[2], g2[2], g3[2];
	cv_session *a;
	cv_err err = {0};

	assert_int_equal(cv_store_generation(f->v->st, g0), 0);
	(void)user_rec(f->v, "bob");
	assert_int_equal(cv_store_generation(f->v->st, g1), 0);
	assert_memory_equal(g0, g1, sizeof(g0));
	raw_exec(f->path, "INSERT INTO meta (key, value) VALUES ('elsewhere', x'01')");
	assert_int_equal(cv_store_generation(f->v->st, g2), 0);
	assert_memory_not_equal(g1, g2, sizeof(g1));
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_user_disable(a, "carol", &err), CV_OK);
	assert_int_equal(cv_store_generation(f->v->st, g3), 0);
	assert_memory_not_equal(g2, g3, sizeof(g2));
	logout(a);
}

/* A verified user is remembered; the same check again answers from it. */
static void test_remembered(void **state)
{
	struct fix *f = *state;
	cv_user_rec bob = user_rec(f->v, "bob");
	cv_err err = {0};

	cv_verified_forget(f->v);
	assert_int_equal(cv_verified_held(f->v), 0);
	assert_int_equal(cv_user_verify(f->v, &bob, &err), CV_OK);
	assert_true(cv_verified_held(f->v) > 0);
	size_t held = cv_verified_held(f->v);
	assert_int_equal(cv_user_verify(f->v, &bob, &err), CV_OK);
	assert_int_equal(cv_verified_held(f->v), held);
	/* A record that differs in one byte is another record: checked
	 * afresh, and its failure is not remembered as a success. */
	bob.status_sig[0] ^= 1;
	assert_int_equal(cv_user_verify(f->v, &bob, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "user.status-signature");
	assert_int_equal(cv_user_verify(f->v, &bob, &err), CV_EINTEGRITY);
	bob.status_sig[0] ^= 1;
	assert_int_equal(cv_user_verify(f->v, &bob, &err), CV_OK);
}

/* The first admin's signature, which bob's chain ends in, altered by
 * another process after bob verified: bob's unchanged record no longer
 * verifies, and a login is refused. */
static void test_chain_altered_elsewhere(void **state)
{
	struct fix *f = *state;
	cv_user_rec bob = user_rec(f->v, "bob");
	cv_err err = {0};

	assert_int_equal(cv_user_verify(f->v, &bob, &err), CV_OK);
	assert_int_equal(login_status(f->v, "bob", PW_BOB, &err), CV_OK);
	raw_exec(f->path, "UPDATE users SET cert_sig = zeroblob(64) WHERE id = 1");
	assert_int_equal(cv_user_verify(f->v, &bob, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "user.cert-signature");
	assert_int_equal(login_status(f->v, "bob", PW_BOB, &err), CV_EINTEGRITY);
}

/* Disabled by an admin in another process while this one remembers bob:
 * the next login here is refused and logged as such. */
static void test_disabled_elsewhere(void **state)
{
	struct fix *f = *state;
	cv_vault *other = NULL;
	cv_session *a;
	cv_err err = {0};

	assert_int_equal(login_status(f->v, "bob", PW_BOB, &err), CV_OK);
	assert_true(cv_verified_held(f->v) > 0);
	assert_int_equal(cv_vault_open(f->path, &other, &err), CV_OK);
	a = login_ok(other, "alice", PW_ALICE);
	assert_int_equal(cv_user_disable(a, "bob", &err), CV_OK);
	logout(a);
	cv_vault_close(other);
	assert_int_equal(login_status(f->v, "bob", PW_BOB, &err), CV_EAUTH);
	assert_string_equal(err.code, "auth.disabled");
	assert_int_equal(q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'bob' AND"
					" action = 'login' AND detail = 'auth.disabled'"),
			 1);
}

/* Disabled by this process: its own write forgets what was verified. */
static void test_disabled_here(void **state)
{
	struct fix *f = *state;
	cv_session *a;
	cv_err err = {0};

	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_OK);
	a = login_ok(f->v, "alice", PW_ALICE);
	assert_int_equal(cv_user_disable(a, "carol", &err), CV_OK);
	logout(a);
	assert_int_equal(login_status(f->v, "carol", PW_CAROL, &err), CV_EAUTH);
	assert_string_equal(err.code, "auth.disabled");
}

/* The vault file replaced by a copy whose chain is broken: a vault opened
 * on the path reads the new file and refuses; nothing of the old open
 * vault carries over. */
static void test_file_replaced(void **state)
{
	struct fix *f = *state;
	char copy[TEST_PATH_MAX];
	cv_vault *again = NULL;
	cv_err err = {0};

	assert_int_equal(login_status(f->v, "bob", PW_BOB, &err), CV_OK);
	tmpdir_file(copy, sizeof(copy), f->dir, "copy.db");
	copy_db(f->path, copy);
	raw_exec(copy, "UPDATE users SET cert_sig = zeroblob(64) WHERE id = 1");
	assert_int_equal(rename(copy, f->path), 0);
	assert_int_equal(cv_vault_open(f->path, &again, &err), CV_OK);
	assert_int_equal(cv_verified_held(again), 0);
	assert_int_equal(login_status(again, "bob", PW_BOB, &err), CV_EINTEGRITY);
	cv_vault_close(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remembered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_altered_elsewhere, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disabled_elsewhere, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disabled_here, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_replaced, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

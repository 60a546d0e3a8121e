/*
 * test_recovery.c - the vault's recovery key (recovery.c) on real vaults
 * made with cv_vault_create in a temporary directory: the printed code
 * opens an unseal-only holder (also typed in upper case or with spaces),
 * a mistyped code or another vault's code is refused, a key sealed to the
 * recovery public key opens with it, and a recovery_pk replaced in or
 * deleted from the meta table (with the sqlite3 library, as an attacker
 * would) is detected.  Each refusal is checked by status and reason code.
 */
#include "helpers.h"
#include "log.h"
#include "recovery.h"
#include "banned.h"

static const char pass[] = "correct horse battery staple";

/* The reason codes of the two refusals of a code. */
#define MISTYPED "recovery.mistyped"
#define OTHER_VAULT "recovery.other-vault"

struct fixture {
	char dir[TEST_DIR_MAX];
	char path_a[TEST_PATH_MAX], path_b[TEST_PATH_MAX];
	char *code_a, *code_b; /* sodium_malloc, CV_RECOVERY_CODE_LEN + 1 */
};

static struct fixture fx;

static void vault_path(char *out, size_t cap, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", fx.dir, name);

	assert_true(n > 0 && (size_t)n < cap);
}

static int make_vault(const char *path, char **code)
{
	cv_err err = {0};

	*code = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	if (!*code)
		return -1;
	if (create_vault(path, "admin", pass, *code, &err) != CV_OK) {
		fprintf(stderr, "cv_vault_create %s: %s\n", path, err.msg);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (cv_init(NULL) != CV_OK)
		return -1;
	if (tmpdir_make(fx.dir, sizeof(fx.dir), "recovery") != 0)
		return -1;
	snprintf(fx.path_a, sizeof(fx.path_a), "%s/a.db", fx.dir);
	snprintf(fx.path_b, sizeof(fx.path_b), "%s/b.db", fx.dir);
	if (make_vault(fx.path_a, &fx.code_a) != 0 || make_vault(fx.path_b, &fx.code_b) != 0)
		return -1;
	return 0;
}

/* Removes every file the vaults left (db, -wal, -shm) and the directory. */
static int teardown(void **state)
{
	(void)state;
	sodium_free(fx.code_a);
	sodium_free(fx.code_b);
	return tmpdir_remove(fx.dir);
}

static cv_vault *vault_open(const char *path)
{
	cv_vault *v = NULL;
	cv_err err = {0};

	if (cv_vault_open(path, &v, &err) != CV_OK)
		fail_msg("cv_vault_open %s: %s", path, err.msg);
	assert_non_null(v);
	return v;
}

/* Expects code to be refused on v with st, reason code want_code (NULL:
 * not checked) and a message holding frag. */
static void open_refused(cv_vault *v, const char *code, cv_status want, const char *want_code,
			 const char *frag)
{
	static cv_keyholder dummy;
	cv_keyholder *kh = &dummy;
	cv_err err = {0};
	cv_status st = cv_recovery_open(v, code, &kh, &err);

	if (st != want) {
		if (kh != &dummy)
			cv_keyholder_free(kh);
		fail_msg("code '%s': status %d (%s), expected %d", code, st, err.msg, want);
	}
	assert_null(kh);
	assert_int_equal(err.status, want);
	if (want_code && strcmp(err.code, want_code) != 0)
		fail_msg("code '%s': reason '%s' (%s), expected '%s'", code, err.code, err.msg,
			 want_code);
	if (frag && !strstr(err.msg, frag))
		fail_msg("code '%s': message '%s' lacks '%s'", code, err.msg, frag);
}

static cv_keyholder *open_ok(cv_vault *v, const char *code)
{
	cv_keyholder *kh = NULL;
	cv_err err = {0};

	if (cv_recovery_open(v, code, &kh, &err) != CV_OK)
		fail_msg("code '%s' refused: %s", code, err.msg);
	assert_non_null(kh);
	return kh;
}

static void test_code_format(void **state)
{
	const char *codes[] = {fx.code_a, fx.code_b};

	(void)state;
	for (size_t c = 0; c < 2; c++) {
		const char *code = codes[c];

		assert_int_equal(strlen(code), CV_RECOVERY_CODE_LEN);
		for (size_t i = 0; i < CV_RECOVERY_CODE_LEN; i++) {
			if (i % 5 == 4)
				assert_int_equal(code[i], '-');
			else if (!strchr("0123456789abcdef", code[i]))
				fail_msg("'%s': character %zu is not lower-case hex", code, i);
		}
	}
	assert_string_not_equal(fx.code_a, fx.code_b);
}

static void test_printed_code_opens(void **state)
{
	uint8_t pk[crypto_box_PUBLICKEYBYTES];
	cv_vault *v = vault_open(fx.path_a);
	cv_keyholder *kh;
	cv_err err = {0};

	(void)state;
	assert_int_equal(cv_recovery_pk(v, pk, &err), CV_OK);
	kh = open_ok(v, fx.code_a);
	assert_memory_equal(kh->box_pk, pk, sizeof(pk));
	cv_keyholder_free(kh);
	cv_vault_close(v);
}

static void test_code_as_typed(void **state)
{
	char *upper = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	char *spaced = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	char *bare = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	char *both = sodium_malloc(CV_RECOVERY_CODE_LEN + 3);
	cv_vault *v = vault_open(fx.path_a);
	size_t o = 0;

	(void)state;
	assert_non_null(upper);
	assert_non_null(spaced);
	assert_non_null(bare);
	assert_non_null(both);
	for (size_t i = 0; i <= CV_RECOVERY_CODE_LEN; i++) {
		char c = fx.code_a[i];

		upper[i] = (c >= 'a' && c <= 'f') ? (char)(c - 'a' + 'A') : c;
		spaced[i] = c == '-' ? ' ' : c;
		if (c != '-')
			bare[o++] = c;
	}
	/* Upper case with spaces, and a space before and after. */
	both[0] = ' ';
	for (size_t i = 0; i < CV_RECOVERY_CODE_LEN; i++)
		both[i + 1] = upper[i] == '-' ? ' ' : upper[i];
	both[CV_RECOVERY_CODE_LEN + 1] = ' ';
	both[CV_RECOVERY_CODE_LEN + 2] = '\0';

	cv_keyholder_free(open_ok(v, upper));
	cv_keyholder_free(open_ok(v, spaced));
	cv_keyholder_free(open_ok(v, bare));
	cv_keyholder_free(open_ok(v, both));
	cv_vault_close(v);
	sodium_free(upper);
	sodium_free(spaced);
	sodium_free(bare);
	sodium_free(both);
}

/* Position in the printed code of hex digit i (four digits, then a dash). */
static size_t digit_pos(size_t i)
{
	return i + i / 4;
}

static char next_hex(char c)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = strchr(hex, c);

	assert_non_null(p);
	return hex[(p - hex + 1) % 16];
}

static void test_mistyped_code(void **state)
{
	char *code = sodium_malloc(CV_RECOVERY_CODE_LEN * 3);
	cv_vault *v = vault_open(fx.path_a);
	cv_keyholder *kh;
	cv_err err;
	size_t mistyped = 0;

	(void)state;
	assert_non_null(code);
	/* One digit of the check group (the last four digits) changed: the
	 * check can never match. */
	for (size_t i = 32; i < 36; i++) {
		memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN + 1);
		code[digit_pos(i)] = next_hex(code[digit_pos(i)]);
		open_refused(v, code, CV_EAUTH, MISTYPED, "mistyped");
	}
	/* One digit of the key part changed: always refused; the check
	 * digits catch it as a typo except with probability 2^-16, when it
	 * is refused as another vault's code instead. */
	for (size_t i = 0; i < 32; i++) {
		memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN + 1);
		code[digit_pos(i)] = next_hex(code[digit_pos(i)]);
		kh = NULL;
		memset(&err, 0, sizeof(err));
		assert_int_equal(cv_recovery_open(v, code, &kh, &err), CV_EAUTH);
		assert_null(kh);
		if (strstr(err.msg, "mistyped")) {
			assert_string_equal(err.code, MISTYPED);
			mistyped++;
		} else {
			assert_string_equal(err.code, OTHER_VAULT);
		}
	}
	assert_true(mistyped >= 31);

	/* Wrong lengths and characters. */
	memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN + 1);
	code[CV_RECOVERY_CODE_LEN - 5] = '\0'; /* last group missing */
	open_refused(v, code, CV_EAUTH, MISTYPED, "mistyped");
	memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN + 1);
	code[CV_RECOVERY_CODE_LEN - 1] = '\0'; /* one digit missing */
	open_refused(v, code, CV_EAUTH, MISTYPED, "mistyped");
	memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN);
	memcpy(code + CV_RECOVERY_CODE_LEN, "-0000", 6); /* a group too many */
	open_refused(v, code, CV_EAUTH, MISTYPED, "mistyped");
	memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN + 1);
	code[0] = 'g';
	open_refused(v, code, CV_EAUTH, MISTYPED, "mistyped");
	memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN + 1);
	code[4] = '_'; /* only dashes and spaces separate */
	open_refused(v, code, CV_EAUTH, MISTYPED, "mistyped");
	memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN + 1);
	code[2] = '-'; /* a separator inside a byte */
	open_refused(v, code, CV_EAUTH, MISTYPED, "mistyped");
	open_refused(v, "", CV_EAUTH, MISTYPED, "mistyped");
	/* Far too long: the code twice. */
	memcpy(code, fx.code_a, CV_RECOVERY_CODE_LEN);
	memcpy(code + CV_RECOVERY_CODE_LEN, fx.code_a, CV_RECOVERY_CODE_LEN + 1);
	open_refused(v, code, CV_EAUTH, MISTYPED, "mistyped");

	/* Still opens with the right code afterwards. */
	cv_keyholder_free(open_ok(v, fx.code_a));
	cv_vault_close(v);
	sodium_free(code);
}

static void test_other_vaults_code(void **state)
{
	cv_vault *va = vault_open(fx.path_a), *vb = vault_open(fx.path_b);

	(void)state;
	open_refused(va, fx.code_b, CV_EAUTH, OTHER_VAULT,
		     "that recovery code belongs to another vault; use this vault's code");
	open_refused(vb, fx.code_a, CV_EAUTH, OTHER_VAULT, "another vault");
	cv_keyholder_free(open_ok(vb, fx.code_b));
	cv_vault_close(va);
	cv_vault_close(vb);
}

static void test_sealed_key_opens(void **state)
{
	static const uint8_t case_key[32] = "a case key sealed for recovery!";
	uint8_t pk[crypto_box_PUBLICKEYBYTES], c[sizeof(case_key) + crypto_box_SEALBYTES],
	    m[sizeof(case_key)], sig[crypto_sign_BYTES];
	cv_vault *va = vault_open(fx.path_a), *vb = vault_open(fx.path_b);
	cv_keyholder *kh, *khb;
	cv_err err = {0};

	(void)state;
	assert_int_equal(cv_recovery_pk(va, pk, &err), CV_OK);
	assert_int_equal(crypto_box_seal(c, case_key, sizeof(case_key), pk), 0);
	kh = open_ok(va, fx.code_a);
	memset(m, 0, sizeof(m));
	assert_int_equal(cv_keyholder_unseal(kh, c, sizeof(c), m, &err), CV_OK);
	assert_memory_equal(m, case_key, sizeof(case_key));
	/* The recovery holder unseals only: it has no signing key. */
	assert_int_equal(cv_keyholder_sign(kh, case_key, sizeof(case_key), sig, &err), CV_ERROR);
	/* The other vault's recovery key does not open it. */
	khb = open_ok(vb, fx.code_b);
	assert_int_equal(cv_keyholder_unseal(khb, c, sizeof(c), m, &err), CV_EINTEGRITY);
	cv_keyholder_free(kh);
	cv_keyholder_free(khb);
	cv_vault_close(va);
	cv_vault_close(vb);
}

/* Tampering, with the sqlite3 library and the vault closed. */
static void meta_set(const char *path, const char *key, const void *val, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "UPDATE meta SET value = ?1 WHERE key = ?2", -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(s, 1, val, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void meta_get(cv_vault *v, const char *key, void *val, size_t len)
{
	cv_err err = {0};

	/* Through the internal struct: the raw stored bytes, unverified. */
	if (cv_store_meta_get(v->st, key, val, len, &err) != CV_OK)
		fail_msg("meta '%s': %s", key, err.msg);
}

static void expect_pk_tampered(const char *path, const char *good_code, const char *other_code)
{
	uint8_t pk[crypto_box_PUBLICKEYBYTES];
	cv_vault *v = vault_open(path);
	cv_err err = {0};

	assert_int_equal(cv_recovery_pk(v, pk, &err), CV_EINTEGRITY);
	assert_non_null(strstr(err.msg, "tampered"));
	assert_string_equal(err.code, "recovery.signature");
	/* Neither the real code nor the one the attacker holds opens. */
	open_refused(v, good_code, CV_EINTEGRITY, "recovery.signature", "tampered");
	open_refused(v, other_code, CV_EINTEGRITY, "recovery.signature", "tampered");
	cv_vault_close(v);
}

static void test_replaced_recovery_pk(void **state)
{
	uint8_t pk_c[crypto_box_PUBLICKEYBYTES], sig_c[crypto_sign_BYTES];
	uint8_t pk_b[crypto_box_PUBLICKEYBYTES], sig_b[crypto_sign_BYTES];
	uint8_t junk[crypto_box_PUBLICKEYBYTES];
	char path_c[TEST_PATH_MAX], *code_c = NULL;
	cv_vault *v;
	cv_err err = {0};

	(void)state;
	/* A vault of its own, so that the other tests see untouched ones. */
	vault_path(path_c, sizeof(path_c), "c.db");
	assert_int_equal(make_vault(path_c, &code_c), 0);
	v = vault_open(path_c);
	meta_get(v, "recovery_pk", pk_c, sizeof(pk_c));
	meta_get(v, "recovery_sig", sig_c, sizeof(sig_c));
	assert_int_equal(cv_recovery_pk(v, junk, &err), CV_OK);
	assert_memory_equal(junk, pk_c, sizeof(pk_c));
	cv_vault_close(v);
	v = vault_open(fx.path_b);
	meta_get(v, "recovery_pk", pk_b, sizeof(pk_b));
	meta_get(v, "recovery_sig", sig_b, sizeof(sig_b));
	cv_vault_close(v);

	/* The attacker puts in a recovery key whose code they hold (b's). */
	meta_set(path_c, "recovery_pk", pk_b, sizeof(pk_b));
	expect_pk_tampered(path_c, code_c, fx.code_b);
	/* ... and its signature too: it is b's admin's, over b's vault id. */
	meta_set(path_c, "recovery_sig", sig_b, sizeof(sig_b));
	expect_pk_tampered(path_c, code_c, fx.code_b);
	meta_set(path_c, "recovery_sig", sig_c, sizeof(sig_c));

	/* One bit of the key flipped. */
	memcpy(junk, pk_c, sizeof(junk));
	junk[17] ^= 0x04;
	meta_set(path_c, "recovery_pk", junk, sizeof(junk));
	expect_pk_tampered(path_c, code_c, fx.code_b);
	/* One byte short: malformed. */
	meta_set(path_c, "recovery_pk", pk_c, sizeof(pk_c) - 1);
	v = vault_open(path_c);
	assert_int_equal(cv_recovery_pk(v, junk, &err), CV_EINTEGRITY);
	open_refused(v, code_c, CV_EINTEGRITY, NULL, NULL);
	cv_vault_close(v);

	/* Put back, it verifies and opens again: the refusals above came
	 * from the changed bytes, not from the test's handling. */
	meta_set(path_c, "recovery_pk", pk_c, sizeof(pk_c));
	v = vault_open(path_c);
	assert_int_equal(cv_recovery_pk(v, junk, &err), CV_OK);
	cv_keyholder_free(open_ok(v, code_c));
	cv_vault_close(v);
	sodium_free(code_c);
}

/*
 * The first admin replaces the recovery key with one whose code she
 * holds, and signs it with her real key: the signature verifies, but the
 * key is not the one the first log row committed to, so nothing seals a
 * case key to it, and verify refuses the vault.
 */
static void test_first_admin_replaces_recovery_key(void **state)
{
	uint8_t pk_b[crypto_box_PUBLICKEYBYTES], junk[crypto_box_PUBLICKEYBYTES];
	char path_e[TEST_PATH_MAX], *code_e = NULL;
	cv_audit_report rep;
	cv_session *s = NULL;
	cv_vault *v;
	cv_err err = {0};

	(void)state;
	vault_path(path_e, sizeof(path_e), "e.db");
	assert_int_equal(make_vault(path_e, &code_e), 0);
	v = vault_open(fx.path_b);
	meta_get(v, "recovery_pk", pk_b, sizeof(pk_b));
	cv_vault_close(v);

	v = vault_open(path_e);
	assert_int_equal(cv_login(v, "admin", pass, strlen(pass), &s, &err), CV_OK);
	assert_int_equal(cv_store_begin(v->st, &err), CV_OK);
	assert_int_equal(cv_recovery_store(v, pk_b, s->kh, &err), CV_OK);
	assert_int_equal(cv_store_commit(v->st, &err), CV_OK);
	cv_session_close(s);
	cv_vault_close(v);

	v = vault_open(path_e);
	assert_int_equal(cv_recovery_pk(v, junk, &err), CV_EINTEGRITY);
	assert_string_equal(err.code, "recovery.replaced");
	open_refused(v, fx.code_b, CV_EINTEGRITY, "recovery.replaced", "replaced");
	assert_int_equal(cv_login(v, "admin", pass, strlen(pass), &s, &err), CV_OK);
	assert_int_equal(cv_audit_verify(s, NULL, &rep, &err), CV_EINTEGRITY);
	cv_session_close(s);
	cv_vault_close(v);
	sodium_free(code_e);
}

/* A vault without its recovery key, or without the signature over it. */
static void test_missing_recovery_pk(void **state)
{
	static const char *const keys[] = {"recovery_sig", "recovery_pk"};
	uint8_t pk[crypto_box_PUBLICKEYBYTES];
	char path_d[TEST_PATH_MAX], *code_d = NULL;
	cv_vault *v;
	cv_err err = {0};

	(void)state;
	vault_path(path_d, sizeof(path_d), "d.db");
	assert_int_equal(make_vault(path_d, &code_d), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		raw_exec(path_d, "DELETE FROM meta WHERE key = '%s'", keys[i]);
		v = vault_open(path_d);
		assert_int_equal(cv_recovery_pk(v, pk, &err), CV_EINTEGRITY);
		assert_string_equal(err.code, "recovery.missing");
		assert_string_equal(err.msg, "the vault's recovery key or first admin is missing: "
					     "the vault was tampered with");
		open_refused(v, code_d, CV_EINTEGRITY, "recovery.missing", "is missing");
		cv_vault_close(v);
	}
	sodium_free(code_d);
}

/* cv_recovery_generate on its own: fresh codes, each opening to its pk. */
static void test_generate(void **state)
{
	char *c1 = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	char *c2 = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	uint8_t pk1[crypto_box_PUBLICKEYBYTES], pk2[crypto_box_PUBLICKEYBYTES];
	cv_err err = {0};

	(void)state;
	assert_non_null(c1);
	assert_non_null(c2);
	assert_int_equal(cv_recovery_generate(c1, pk1, &err), CV_OK);
	assert_int_equal(cv_recovery_generate(c2, pk2, &err), CV_OK);
	assert_int_equal(strlen(c1), CV_RECOVERY_CODE_LEN);
	assert_string_not_equal(c1, c2);
	assert_memory_not_equal(pk1, pk2, sizeof(pk1));
	sodium_free(c1);
	sodium_free(c2);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_format),
		cmocka_unit_test(test_printed_code_opens),
		cmocka_unit_test(test_code_as_typed),
		cmocka_unit_test(test_mistyped_code),
		cmocka_unit_test(test_other_vaults_code),
		cmocka_unit_test(test_sealed_key_opens),
		cmocka_unit_test(test_replaced_recovery_pk),
		cmocka_unit_test(test_first_admin_replaces_recovery_key),
		cmocka_unit_test(test_missing_recovery_pk),
		cmocka_unit_test(test_generate),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, setup, teardown);
}

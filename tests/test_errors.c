/*
 * test_errors.c - the error contract of the public API: every function
 * taking a cv_err accepts NULL and still returns the status it would
 * report, and a failure carries a reason code and a template that renders
 * to the English message.
 */
#define FIXTURE_TAG "errors"
#include "case_fixture.h"
#include "log.h"

static int no_setting(const cv_setting_info *i, void *arg)
{
	(void)i;
	(void)arg;
	return 0;
}

/* Each public entry point, refused or failing, with a NULL cv_err: no
 * crash, and the same status as with a real one. */
static void test_null_err_everywhere(void **state)
{
	struct fix *f = *state;
	cv_session *a = login_ok(f->v, "alice", PW_ALICE);
	cv_session *c = login_ok(f->v, "carol", PW_CAROL);
	cv_session *sam = login_ok(f->v, "sam", PW_SAM);
	cv_case_input bad = student("S-1", "Zhang Wei");
	cv_consent_input cin = {"nobody", "oral", "2024-09-02", "individual", NULL};
	cv_referral_input rin = {"Clinic", "hospital", "money", "routine", "x", NULL};
	char id[CV_CASE_ID_MAX] = "", code[CV_RECOVERY_CODE_LEN + 1] = "";
	cv_kdf_params weak = {1, 8, 1};
	cv_audit_report rep;
	cv_session *none = NULL;
	char *text = NULL;
	cv_vault *nv = NULL;
	int dup = 0;

	bad.gender = "Q";
	assert_int_equal(cv_kdf_params_check(&weak, NULL), CV_EUSAGE);
	assert_int_equal(cv_passphrase_check("short", 5, NULL), CV_EUSAGE);
	assert_int_equal(cv_name_check("Not A Name", NULL), CV_EUSAGE);
	assert_int_equal(cv_vault_open("/nonexistent/vault.db", &nv, NULL), CV_ENOTFOUND);
	assert_int_equal(
	    cv_vault_create(f->path, "zed", PW_ALICE, strlen(PW_ALICE), NULL, code, NULL),
	    CV_EUSAGE);
	assert_int_equal(cv_login(f->v, "carol", "wrong wrong wrong", 17, &none, NULL), CV_EAUTH);
	assert_null(none);
	assert_int_equal(cv_may(f->v, "sam", CV_ACT_CASE_OPEN, NULL, NULL), CV_EDENIED);
	assert_int_equal(cv_user_add(c, "zed", CV_ROLE_COUNSELOR, 0, code, NULL), CV_EDENIED);
	assert_int_equal(
	    cv_user_enrol(f->v, "zed", "not a code", PW_NEW, strlen(PW_NEW), NULL, NULL), CV_EAUTH);
	assert_int_equal(cv_user_disable(a, "alice", NULL), CV_EUSAGE);
	assert_int_equal(cv_user_passwd(c, "short", 5, NULL), CV_EUSAGE);
	assert_int_equal(cv_user_reset(a, "carol", "not a code", 0, code, NULL), CV_EAUTH);
	assert_int_equal(cv_config_set(a, "no_such_setting", "1", NULL), CV_EUSAGE);
	assert_int_equal(cv_config_set(c, "adult_age", "16", NULL), CV_EDENIED);
	assert_int_equal(cv_case_open(c, &bad, id, &dup, NULL), CV_EUSAGE);
	assert_int_equal(cv_case_open(sam, &bad, id, &dup, NULL), CV_EDENIED);
	assert_int_equal(cv_case_list(sam, 1, NULL, NULL, NULL), CV_EDENIED);
	assert_int_equal(cv_case_find(sam, "S-1", NULL, NULL, NULL), CV_EDENIED);
	assert_int_equal(cv_case_show(c, "C-00000", 0, NULL, NULL, NULL, NULL), CV_ENOTFOUND);
	assert_int_equal(cv_case_close(c, "not an id", NULL), CV_ENOTFOUND);
	assert_int_equal(cv_case_reopen(c, "C-00000", NULL), CV_ENOTFOUND);
	assert_int_equal(cv_case_share(c, "C-00000", "dave", NULL), CV_ENOTFOUND);
	assert_int_equal(cv_case_handover(c, "C-00000", "dave", "x", NULL), CV_EDENIED);
	assert_int_equal(cv_case_shred(a, "C-00000", "bad\nreason", "x", NULL), CV_EUSAGE);
	assert_int_equal(cv_consent_record(c, "C-00000", &cin, NULL), CV_ENOTFOUND);
	assert_int_equal(cv_consent_withdraw(c, "C-00000", NULL, NULL, "not a date", NULL),
			 CV_ENOTFOUND);
	assert_int_equal(cv_note_add(c, "C-00000", "session", "", 0, NULL, id, NULL), CV_EUSAGE);
	assert_int_equal(cv_note_edit(c, "N-000000", "text", 4, NULL, NULL), CV_ENOTFOUND);
	assert_int_equal(cv_note_finalize(c, "N-000000", NULL), CV_ENOTFOUND);
	assert_int_equal(cv_note_amend(c, "N-000000", "text", 4, NULL, id, NULL), CV_ENOTFOUND);
	assert_int_equal(cv_note_show(c, "N-000000", NULL, NULL, NULL), CV_ENOTFOUND);
	assert_int_equal(cv_may_case(c, CV_ACT_NOTE_ADD, "C-00000", NULL, NULL, NULL),
			 CV_ENOTFOUND);
	assert_int_equal(cv_test_add(c, "C-00000", "", "1", NULL, NULL, id, NULL), CV_EUSAGE);
	assert_int_equal(cv_referral_add(c, "C-00000", &rin, NULL, id, NULL), CV_EUSAGE);
	assert_int_equal(cv_referral_update(c, "R-000000", "lost", NULL, NULL, NULL), CV_EUSAGE);
	assert_int_equal(cv_referral_list(sam, 0, NULL, NULL, NULL, NULL), CV_EDENIED);
	assert_int_equal(cv_watch_add(c, "C-00000", "orphan", 14, NULL), CV_EUSAGE);
	assert_int_equal(cv_watch_list(c, 0, "not a date", NULL, NULL, NULL), CV_EUSAGE);
	assert_int_equal(cv_watch_done(c, "C-00000", NULL, NULL), CV_ENOTFOUND);
	assert_int_equal(cv_audit_log(c, &(cv_audit_filter){0}, NULL, NULL, NULL), CV_EDENIED);
	assert_int_equal(cv_audit_verify(c, NULL, &rep, NULL), CV_EDENIED);
	assert_int_equal(cv_audit_checkpoint(c, &text, NULL), CV_EDENIED);
	assert_null(text);
	/* A stored setting edited in the file: an integrity failure, through
	 * a NULL cv_err too. */
	assert_int_equal(cv_config_set(a, "adult_age", "16", NULL), CV_OK);
	raw_exec(f->path, "UPDATE settings SET value = '12' WHERE name = 'adult_age'");
	assert_int_equal(cv_config_list(sam, no_setting, NULL, NULL), CV_EINTEGRITY);
	logout(a);
	logout(c);
	logout(sam);
}

/* A refusal is a code, its arguments and a template; rendering the
 * template gives the message, and a reworded template changes no code. */
static void test_codes_and_rendering(void **state)
{
	struct fix *f = *state;
	cv_session *sam = login_ok(f->v, "sam", PW_SAM);
	cv_case_input in = student("S-2", "Wang Fang");
	char id[CV_CASE_ID_MAX], out[CV_ERRMSG_MAX];
	cv_err err = {0};
	int dup = 0;

	assert_int_equal(cv_case_open(sam, &in, id, &dup, &err), CV_EDENIED);
	assert_string_equal(err.code, "policy.role");
	assert_non_null(err.tmpl);
	assert_string_equal(err.args[0], "sam");
	cv_err_render(&err, err.tmpl, out, sizeof(out));
	assert_string_equal(out, err.msg);
	cv_err_render(&err, "{1} ({2}) may not use {4}; {9} {5}", out, sizeof(out));
	assert_string_equal(out, "sam (a supervisor) may not use case open; {9} {5}");
	/* The log holds the code and the arguments, not the sentence. */
	assert_int_equal(
	    q_int(f->path, "SELECT count(*) FROM audit WHERE actor = 'sam' AND action = 'case.open'"
			   " AND detail LIKE 'policy.role [%%' AND instr(detail, ' only ') = 0"),
	    1);
	/* The legacy setter is the generic code. */
	cv_err_set(&err, CV_ERROR, "disk %s", "full");
	assert_string_equal(err.code, "error");
	assert_null(err.tmpl);
	cv_err_render(&err, NULL, out, sizeof(out));
	assert_string_equal(out, "disk full");
	/* A failure that is no refusal keeps its arguments out of the log
	 * (a path, the system's words), whatever its status; a refusal's are
	 * logged. */
	cv_fail(&err, CV_ERROR, "error", "cannot open '{1}': {2}", "/home/li/v.db", "gone");
	cv_log_detail(&err, out, sizeof(out));
	assert_string_equal(out, "error");
	cv_fail(&err, CV_EINTEGRITY, "error", "damaged ({1})", "malformed");
	cv_log_detail(&err, out, sizeof(out));
	assert_string_equal(out, "error");
	cv_fail(&err, CV_EDENIED, "duty.future", "ends at '{1}'", "2030-01-01 08:00");
	cv_log_detail(&err, out, sizeof(out));
	assert_string_equal(out, "duty.future [\"2030-01-01 08:00\"]");
	logout(sam);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_null_err_everywhere, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_codes_and_rendering, setup, teardown),
	};
	cv_err err = {0};

	if (cv_init(&err) != CV_OK) {
		fprintf(stderr, "cv_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * cmd_user.c - `casevault user add|list|passwd|disable|reset`: accounts are
 * added and reset with one-time enrolment codes; no admin types a user's
 * passphrase.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

static int no_options(int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int ch;

	while ((ch = cli_getopt(argc, argv, "", none)) != -1)
		if (ch == -2)
			return -1;
	return 0;
}

/* --days N for a code's lifetime: 1..CV_ENROL_DAYS_MAX (0: the default). */
static int parse_code_days(const char *s, unsigned *days)
{
	if (cli_parse_u32(s, days) != 0 || *days < 1 || *days > CV_ENROL_DAYS_MAX)
		return cli_usage_code(cli_current, "usage.value",
				      "--days takes a number of days from 1 to %u, not '%.40s'",
				      CV_ENROL_DAYS_MAX, s);
	return 0;
}

/* Shows a new enrolment code once: the code alone on its own line of
 * stdout (or in the JSON result), how to hand it over on stderr.  role is 0
 * after a reset: the two say what was done in sentences of their own. */
static void show_code(struct cli *c, const char *name, cv_role role, unsigned days,
		      const char *code)
{
	if (c->json) {
		cli_json_result(
		    json_pack("{s:o, s:o, s:s, s:I, s:s}", "user", cli_json_str(name), "role",
			      role ? json_string(cv_role_name(role)) : json_null(), "status",
			      "pending", "valid_days", (json_int_t)days, "code", code));
		return;
	}
	if (role)
		printf(_("added %s '%s', pending enrolment; enrolment code:\n"),
		       cli_word(cv_role_name(role)), name);
	else
		printf(_("reset '%s', pending enrolment; enrolment code:\n"), name);
	printf("%s\n", code);
	fflush(stdout);
	fprintf(stderr,
		_("\nThe code is shown once and stored nowhere.  It is valid for %u days and for\n"
		  "one enrolment.  Give it to %s in person (never by mail or chat); %s then runs\n"
		  "  casevault --user %s enrol\n"
		  "on their own terminal and chooses their own passphrase: their keys are made\n"
		  "there, and no one else ever learns them.\n"),
		days, name, name, name);
}

int cmd_user_add(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"role", required_argument, NULL, 'r'},
	    {"days", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *role_s = NULL, *name;
	unsigned days = CV_ENROL_DAYS_DEFAULT;
	char *code = NULL;
	cv_role role;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'r')
			role_s = optarg;
		else if (parse_code_days(optarg, &days) != 0)
			return CV_EUSAGE;
	}
	if (cli_operands(argc, argv, optind, 1, "name the user to add") != 0)
		return CV_EUSAGE;
	name = argv[optind];
	if (!role_s)
		return cli_usage(cli_current, "give the new user's role with --role");
	/* cli_getopt took 督导 for supervisor and refused what is no role. */
	role = cv_role_parse(role_s);
	if (!role) {
		char list[160];

		cli_word_choices(cv_words(CV_WORDS_ROLE, NULL), list, sizeof(list));
		return cli_usage_code(cli_current, "usage.value", "unknown role '%s'; use %s",
				      role_s, list);
	}
	if (cv_name_check(name, &c->err) != CV_OK)
		return cli_fail(c);
	/* A non-admin was refused (and logged) by cv_may before any prompt.
	 * The only passphrase asked is the admin's own. */
	if (cli_setup(c, name, NULL, NULL) != CV_OK)
		return cli_fail(c);
	code = sodium_malloc(CV_ENROL_CODE_LEN + 1);
	if (!code)
		return CV_ERROR;
	st = cv_user_add(c->s, name, role, days, code, &c->err);
	if (st == CV_OK)
		show_code(c, name, role, days, code);
	sodium_free(code);
	if (st != CV_OK)
		return cli_fail(c);
	return CV_OK;
}

/* An account's status as shown ("active" is another word for a case on
 * the register): the "account" context of the catalog. */
static const char *account_status(const char *status)
{
	static const char *const words[] = {NC_("account", "active"), NC_("account", "pending"),
					    NC_("account", "disabled")};
	char key[48];

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(status, words[i]) == 0) {
			const char *t;

			snprintf(key, sizeof(key), "account\004%s", words[i]);
			t = _(key);
			return t == key ? status : t;
		}
	return status;
}

static int print_user(const cv_user_info *u, void *arg)
{
	struct cli *c = arg;
	char signer[128], detail[512], created[CLI_TIME_MAX], expires[CLI_TIME_MAX];

	if (c->json) {
		/* A role the file claims that is none of the three: null. */
		const char *role_name = cv_role_name(u->role);

		cli_list_add(c,
			     json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "id",
				       (json_int_t)u->id, "name", cli_json_opt(u->name), "role",
				       cli_json_opt(role_name), "status", cli_json_opt(u->status),
				       "created", cli_json_opt(u->created), "signed_by",
				       cli_json_opt(u->signer), "expires", cli_json_opt(u->expires),
				       "verified", u->verified));
		return 0;
	}
	/* A record that does not verify is shown as what the file claims,
	 * marked so that no one takes it for a signed one.  A table: the
	 * columns line up by display width (a Chinese word is two columns a
	 * character). */
	snprintf(signer, sizeof(signer), _("signed by %s"), u->signer);
	snprintf(detail, sizeof(detail), "%s%s%s%s%s", signer,
		 u->expires[0] ? _("  (code expires ") : "", cli_time(c, u->expires, expires),
		 u->expires[0] ? _(")") : "",
		 u->verified
		     ? ""
		     : _("  UNVERIFIED (fails verification: run 'casevault audit verify')"));
	{
		const char *cells[] = {u->name, cli_word(cv_role_name(u->role)),
				       account_status(u->status), cli_time(c, u->created, created),
				       detail};

		cli_table_row(c->table, cells);
	}
	return 0;
}

int cmd_user_list(struct cli *c, int argc, char **argv)
{
	struct cli_table t = {5};

	if (no_options(argc, argv) != 0)
		return CV_EUSAGE;
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	cli_list_begin(c, &t);
	if (cli_session(c) != CV_OK)
		return cli_list_end(c, c->err.status);
	cli_time_prepare(c);
	return cli_list_end(c, cv_user_list(c->s, print_user, c, &c->err));
}

int cmd_user_passwd(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"rotate", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	char *pass = NULL;
	size_t len = 0;
	int ch, rotate = 0;
	cv_status st;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		rotate = 1;
	}
	if (optind != argc)
		return cli_usage(cli_current,
				 "'user passwd' changes your own passphrase and takes no name; "
				 "an admin resets another user's with 'user reset'");
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	st = cli_secret(c, "New passphrase: ", 1, &pass, &len);
	if (st == CV_OK)
		st = rotate ? cv_user_rotate(c->s, pass, len, &c->err)
			    : cv_user_passwd(c->s, pass, len, &c->err);
	sodium_free(pass);
	if (st != CV_OK)
		return cli_fail(c);
	if (c->json) {
		/* An unlock agent holds the old keys, which open nothing any more. */
		int ended = rotate && cv_agent_lock(c->v, cv_session_user(c->s), NULL) == CV_OK;

		cli_json_result(json_pack("{s:o, s:b, s:b}", "user",
					  cli_json_str(cv_session_user(c->s)), "rotated", rotate,
					  "agent_ended", ended));
		return CV_OK;
	}
	if (rotate)
		printf(_("new keys and passphrase for '%s'; your cases were re-sealed to the new "
			 "key\n"),
		       cv_session_user(c->s));
	else
		printf(_("passphrase changed for '%s'\n"), cv_session_user(c->s));
	/* An unlock agent holds the old keys, which open nothing any more. */
	if (rotate && cv_agent_lock(c->v, cv_session_user(c->s), NULL) == CV_OK)
		puts(_("your unlock agent held the old keys and was ended; unlock again"));
	return CV_OK;
}

int cmd_user_disable(struct cli *c, int argc, char **argv)
{
	if (no_options(argc, argv) != 0)
		return CV_EUSAGE;
	if (cli_operands(argc, argv, optind, 1, "name the user to disable") != 0)
		return CV_EUSAGE;
	if (cv_name_check(argv[optind], &c->err) != CV_OK)
		return cli_fail(c);
	if (cli_setup(c, argv[optind], NULL, NULL) != CV_OK)
		return cli_fail(c);
	if (cv_user_disable(c->s, argv[optind], &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:o, s:s}", "user", cli_json_str(argv[optind]),
					  "status", "disabled"));
	else
		printf(_("disabled '%s'\n"), argv[optind]);
	return CV_OK;
}

int cmd_user_reset(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"days", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	unsigned days = CV_ENROL_DAYS_DEFAULT;
	char *recovery = NULL, *code = NULL;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (parse_code_days(optarg, &days) != 0)
			return CV_EUSAGE;
	}
	if (cli_operands(argc, argv, optind, 1, "name the user to reset") != 0)
		return CV_EUSAGE;
	if (cv_name_check(argv[optind], &c->err) != CV_OK)
		return cli_fail(c);
	st = cli_setup(c, argv[optind], NULL, NULL);
	/* The user named is checked before the recovery code is asked. */
	if (st == CV_OK)
		st = cv_may_reset(c->s, argv[optind], &c->err);
	if (st == CV_OK)
		st = cli_recovery_code(c, &recovery);
	code = sodium_malloc(CV_ENROL_CODE_LEN + 1);
	if (st == CV_OK && !code)
		st = cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	if (st == CV_OK)
		st = cv_user_reset(c->s, argv[optind], recovery, days, code, &c->err);
	sodium_free(recovery);
	if (st == CV_OK) {
		show_code(c, argv[optind], 0, days, code);
		if (!c->json)
			fprintf(stderr, _("Their cases stay theirs: they reach the new keys at "
					  "enrolment.\n"));
	}
	sodium_free(code);
	if (st != CV_OK)
		return cli_fail(c);
	return CV_OK;
}

/*
 * cmd_user.c - `casevault user add|list|passwd|disable`.
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

int cmd_user_add(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"role", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *role_s = NULL, *name;
	char *pass = NULL;
	size_t len = 0;
	cv_role role;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		role_s = optarg;
	}
	if (cli_operands(argc, argv, optind, 1, "name the user to add") != 0)
		return CV_EUSAGE;
	name = argv[optind];
	if (!role_s)
		return cli_usage(cli_current, "give the new user's role with --role");
	role = cv_role_parse(role_s);
	if (!role)
		return cli_usage(cli_current,
				 "unknown role '%s'; use counselor, supervisor or admin", role_s);
	if (cv_name_check(name, &c->err) != CV_OK)
		return cli_fail(c);
	/* A non-admin was refused (and logged) by cv_may before any prompt. */
	if (cli_setup(c, name, NULL, NULL) != CV_OK)
		return cli_fail(c);
	{
		char prompt[CV_NAME_MAX + 40];
		snprintf(prompt, sizeof(prompt), "New passphrase for %s: ", name);
		st = cli_secret(c, prompt, 1, &pass, &len);
	}
	if (st == CV_OK)
		st = cv_user_add(c->s, name, role, pass, len, NULL, &c->err);
	sodium_free(pass);
	if (st != CV_OK)
		return cli_fail(c);
	printf("added %s '%s'\n", cv_role_name(role), name);
	return CV_OK;
}

static int print_user(const cv_user_info *u, void *arg)
{
	struct cli *c = arg;

	if (c->json) {
		json_t *o = json_pack(
		    "{s:I, s:o, s:s, s:s, s:o, s:o, s:b}", "id", (json_int_t)u->id, "name",
		    cli_json_str(u->name), "role", cv_role_name(u->role), "status",
		    u->disabled ? "disabled" : "active", "created", cli_json_str(u->created),
		    "signed_by", cli_json_str(u->signer), "verified", u->verified);
		cli_json_line(o);
		return 0;
	}
	/* A record that does not verify is shown as what the file claims,
	 * marked so that no one takes it for a signed one. */
	cli_linef(stdout, "%-20s %-11s %-9s %s  signed by %s%s", u->name, cv_role_name(u->role),
		  u->disabled ? "disabled" : "active", u->created, u->signer,
		  u->verified ? ""
			      : "  UNVERIFIED (fails verification: run 'casevault audit verify')");
	return 0;
}

int cmd_user_list(struct cli *c, int argc, char **argv)
{
	if (no_options(argc, argv) != 0)
		return CV_EUSAGE;
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	if (cv_user_list(c->s, print_user, c, &c->err) != CV_OK)
		return cli_fail(c);
	return CV_OK;
}

int cmd_user_passwd(struct cli *c, int argc, char **argv)
{
	char *pass = NULL;
	size_t len = 0;
	cv_status st;

	if (no_options(argc, argv) != 0)
		return CV_EUSAGE;
	if (optind != argc)
		return cli_usage(cli_current,
				 "'user passwd' changes your own passphrase and takes no name; "
				 "an admin resets another user's with 'user reset'");
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	st = cli_secret(c, "New passphrase: ", 1, &pass, &len);
	if (st == CV_OK)
		st = cv_user_passwd(c->s, pass, len, &c->err);
	sodium_free(pass);
	if (st != CV_OK)
		return cli_fail(c);
	printf("passphrase changed for '%s'\n", cv_session_user(c->s));
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
	printf("disabled '%s'\n", argv[optind]);
	return CV_OK;
}

int cmd_user_reset(struct cli *c, int argc, char **argv)
{
	char *code = NULL, *pass = NULL;
	size_t len = 0;
	cv_status st;

	if (no_options(argc, argv) != 0)
		return CV_EUSAGE;
	if (cli_operands(argc, argv, optind, 1, "name the user to reset") != 0)
		return CV_EUSAGE;
	if (cv_name_check(argv[optind], &c->err) != CV_OK)
		return cli_fail(c);
	st = cli_setup(c, argv[optind], NULL, NULL);
	if (st == CV_OK)
		st = cli_recovery_code(c, &code);
	if (st == CV_OK) {
		char prompt[CV_NAME_MAX + 40];
		snprintf(prompt, sizeof(prompt), "New passphrase for %s: ", argv[optind]);
		st = cli_secret(c, prompt, 1, &pass, &len);
	}
	if (st == CV_OK)
		st = cv_user_reset(c->s, argv[optind], code, pass, len, &c->err);
	sodium_free(code);
	sodium_free(pass);
	if (st != CV_OK)
		return cli_fail(c);
	printf("reset '%s': new keys, every case re-sealed; give them the new passphrase in "
	       "person\n",
	       argv[optind]);
	return CV_OK;
}

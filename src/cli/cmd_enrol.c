/*
 * cmd_enrol.c - `casevault enrol`: a new (or reset) user types the one-time
 * code an admin gave them and chooses their own passphrase; their key
 * pairs are made in this process and never leave it unwrapped.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

int cmd_enrol(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"user", required_argument, NULL, 'u'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = c->user;
	char *code = NULL, *pass = NULL, prompt[CV_NAME_MAX + 40];
	size_t clen = 0, len = 0;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		name = optarg;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (!name || !*name)
		return cli_usage(cli_current, "name the user who enrols with --user NAME");
	if (cv_name_check(name, &c->err) != CV_OK)
		return cli_fail(c);
	if (cv_vault_open(c->vault_path, &c->v, &c->err) != CV_OK)
		return cli_fail(c);
	snprintf(prompt, sizeof(prompt), _("Enrolment code for %s: "), name);
	st = cli_secret(c, prompt, 0, &code, &clen);
	if (st == CV_OK) {
		snprintf(prompt, sizeof(prompt), _("Choose a passphrase for %s: "), name);
		st = cli_secret(c, prompt, 1, &pass, &len);
	}
	if (st == CV_OK)
		st = cv_user_enrol(c->v, name, code, pass, len, NULL, &c->err);
	sodium_free(code);
	sodium_free(pass);
	if (st != CV_OK)
		return cli_fail(c);
	if (c->json) {
		cli_json_result(
		    json_pack("{s:o, s:s}", "user", cli_json_str(name), "status", "active"));
	} else {
		printf(_("enrolled '%s': your keys were made on this computer and are protected by "
			 "your passphrase alone\n"),
		       name);
	}
	return CV_OK;
}

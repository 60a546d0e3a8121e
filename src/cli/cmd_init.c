/*
 * cmd_init.c - `casevault init`: create a vault and print its recovery code.
 */
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

int cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"admin", required_argument, NULL, 'a'},
	    {"kdf-t", required_argument, NULL, 't'},
	    {"kdf-m", required_argument, NULL, 'm'},
	    {"kdf-p", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	cv_kdf_params kdf = {CV_KDF_T_DEFAULT, CV_KDF_M_DEFAULT, CV_KDF_P_DEFAULT};
	const char *admin = NULL;
	char *pass = NULL, *code = NULL;
	size_t len = 0;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		unsigned *target = ch == 't'   ? &kdf.t_cost
				   : ch == 'm' ? &kdf.m_cost_kib
				   : ch == 'p' ? &kdf.parallelism
					       : NULL;
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'a') {
			admin = optarg;
		} else if (target && cli_parse_u32(optarg, target) != 0) {
			return cli_usage(cli_current, "'%s' is not a number", optarg);
		}
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (!admin)
		return cli_usage(cli_current, "name the first admin with --admin NAME");
	if (cv_name_check(admin, &c->err) != CV_OK || cv_kdf_params_check(&kdf, &c->err) != CV_OK)
		return cli_fail(c);
	code = sodium_malloc(CV_RECOVERY_CODE_LEN + 1);
	if (!code)
		return CV_ERROR;
	st = cli_secret(c, "New passphrase for the admin: ", 1, &pass, &len);
	if (st == CV_OK)
		st = cv_vault_create(c->vault_path, admin, pass, len, &kdf, code, &c->err);
	sodium_free(pass);
	if (st != CV_OK) {
		sodium_free(code);
		return cli_fail(c);
	}
	if (c->json) {
		/* The recovery code once, in the result: the script that asked
		 * for JSON takes care of it. */
		cli_json_result(json_pack("{s:o, s:o, s:s}", "vault", cli_json_str(c->vault_path),
					  "admin", cli_json_str(admin), "recovery_code", code));
		sodium_free(code);
		return CV_OK;
	}
	fprintf(stderr,
		_("created vault '%s' with admin '%s'\n\n"
		  "RECOVERY CODE (shown once, never stored in the vault):\n"),
		c->vault_path, admin);
	printf("%s\n", code);
	fflush(stdout);
	fprintf(stderr,
		_("\nWrite it on paper now and keep it offline, in the school safe. It is needed\n"
		  "to deliver the vault keys to the first counselor and supervisor, to hand over\n"
		  "a departed counselor's cases, to reset a forgotten passphrase and to destroy\n"
		  "records at the end of retention. Anyone who holds it and the vault file can\n"
		  "decrypt every case: never store it in a file, mail or chat.\n"));
	sodium_free(code);
	return CV_OK;
}

/*
 * cmd_vault.c - `casevault vault keys --deliver`: an admin with the
 * recovery code delivers the index key to counselors and the stats key to
 * supervisors who hold none yet.
 */
#include <stdio.h>

#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

int cmd_vault_keys(struct cli *c, int argc, char **argv)
{
	int deliver = 0, n = 0, ch;
	const struct option longopts[] = {{"deliver", no_argument, &deliver, 1},
					  {NULL, 0, NULL, 0}};
	char *code = NULL;
	cv_status st;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1)
		if (ch == -2)
			return CV_EUSAGE;
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (!deliver)
		return cli_usage(cli_current, "say what to do with the keys: --deliver");
	st = cli_setup(c, NULL, NULL, NULL);
	if (st == CV_OK)
		st = cli_recovery_code(c, &code);
	if (st == CV_OK)
		st = cv_vault_keys_deliver(c->s, code, &n, &c->err);
	sodium_free(code);
	if (st != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:i}", "delivered", n));
	else
		printf(dngettext(
			   CV_TEXTDOMAIN,
			   "delivered %d key copy to counselors and supervisors who had none\n",
			   "delivered %d key copies to counselors and supervisors who had none\n",
			   (unsigned long)n),
		       n);
	return CV_OK;
}

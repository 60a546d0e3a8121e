/*
 * cmd_record.c - `casevault test add`, `referral add|update|list` and
 * `watch add|list|done`.
 */
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

int cli_print_referral(const cv_referral_info *r, void *arg);
int cli_print_watch(const cv_watch_info *w, void *arg);

/*
 * Logs in, then reads the one free-text option given as "-" from standard
 * input (after the passphrase there); two of them is a usage error, as
 * standard input holds one.  n pairs of (what, value); *owned is freed by
 * the caller with sodium_free.
 */
static cv_status session_and_stdin(struct cli *c, const char *target, const char **what,
				   const char ***vals, size_t n, char **owned)
{
	size_t dashes = 0, k = 0;

	*owned = NULL;
	for (size_t i = 0; i < n; i++)
		if (*vals[i] && strcmp(*vals[i], "-") == 0) {
			dashes++;
			k = i;
		}
	if (dashes > 1)
		return cv_err_set(
		    &c->err, CV_EUSAGE,
		    _("only one option may read standard input ('-'); give the others "
		      "as text"));
	c->target = target; /* a refusal by role names it */
	if (cli_session(c) != CV_OK)
		return c->err.status;
	return dashes ? cli_stdin_arg(c, what[k], vals[k], owned) : CV_OK;
}

int cmd_test_add(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"scale", required_argument, NULL, 's'},
	    {"score", required_argument, NULL, 'S'},
	    {"notes", required_argument, NULL, 'n'},
	    {"crisis", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *scale = NULL, *score = NULL, *notes = NULL, *crisis = NULL;
	char id[CV_CASE_ID_MAX];
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 's')
			scale = optarg;
		else if (ch == 'S')
			score = optarg;
		else if (ch == 'n')
			notes = optarg;
		else
			crisis = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	if (!scale || !score)
		return cli_usage(cli_current, "--scale and --score are both needed");
	{
		const char *what[] = {"--notes -", "--crisis -"};
		const char **vals[] = {&notes, &crisis};
		char *owned = NULL;
		cv_status st = session_and_stdin(c, argv[optind], what, vals, 2, &owned);

		if (st == CV_OK)
			st = cli_setup(c, argv[optind], NULL, NULL);
		if (st == CV_OK)
			st = cv_test_add(c->s, argv[optind], scale, score, notes, crisis, id,
					 &c->err);
		sodium_free(owned);
		if (st != CV_OK)
			return cli_fail(c);
	}
	if (c->json)
		cli_json_result(json_pack("{s:s, s:s}", "id", id, "case", argv[optind]));
	else
		printf("%s\n", id);
	return CV_OK;
}

int cmd_referral_add(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"to", required_argument, NULL, 't'},	 {"to-type", required_argument, NULL, 'T'},
	    {"reason", required_argument, NULL, 'r'},	 {"urgency", required_argument, NULL, 'u'},
	    {"disclosed", required_argument, NULL, 'd'}, {"date", required_argument, NULL, 'D'},
	    {"crisis", required_argument, NULL, 'c'},	 {NULL, 0, NULL, 0},
	};
	cv_referral_input in = {0};
	const char *crisis = NULL;
	char id[CV_CASE_ID_MAX];
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (ch) {
		case -2:
			return CV_EUSAGE;
		case 't':
			in.to = optarg;
			break;
		case 'T':
			in.to_type = optarg;
			break;
		case 'r':
			in.reason = optarg;
			break;
		case 'u':
			in.urgency = optarg;
			break;
		case 'd':
			in.disclosed = optarg;
			break;
		case 'D':
			in.date = optarg;
			break;
		case 'c':
			crisis = optarg;
			break;
		}
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	if (!in.to || !in.to_type || !in.reason || !in.urgency || !in.disclosed)
		return cli_usage(cli_current,
				 "--to, --to-type, --reason, --urgency and --disclosed "
				 "are all needed");
	{
		const char *what[] = {"--disclosed -", "--crisis -"};
		const char **vals[] = {&in.disclosed, &crisis};
		char *owned = NULL;
		cv_status st = session_and_stdin(c, argv[optind], what, vals, 2, &owned);

		if (st == CV_OK)
			st = cli_setup(c, argv[optind], NULL, NULL);
		if (st == CV_OK)
			st = cv_referral_add(c->s, argv[optind], &in, crisis, id, &c->err);
		sodium_free(owned);
		if (st != CV_OK)
			return cli_fail(c);
	}
	if (c->json)
		cli_json_result(json_pack("{s:s, s:s}", "id", id, "case", argv[optind]));
	else
		printf("%s\n", id);
	return CV_OK;
}

int cmd_referral_update(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"status", required_argument, NULL, 's'},
	    {"date", required_argument, NULL, 'd'},
	    {"note", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	const char *status = NULL, *date = NULL, *note = NULL;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 's')
			status = optarg;
		else if (ch == 'd')
			date = optarg;
		else
			note = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one referral id") != 0)
		return CV_EUSAGE;
	if (!status)
		return cli_usage(cli_current, "give the follow-up's status with --status");
	{
		const char *what[] = {"--note -"};
		const char **vals[] = {&note};
		char *owned = NULL;
		cv_status st = session_and_stdin(c, argv[optind], what, vals, 1, &owned);

		if (st == CV_OK)
			st = cli_setup(c, argv[optind], NULL, NULL);
		if (st == CV_OK)
			st = cv_referral_update(c->s, argv[optind], status, date, note, &c->err);
		sodium_free(owned);
		if (st != CV_OK)
			return cli_fail(c);
	}
	if (c->json)
		cli_json_result(json_pack("{s:s, s:s}", "id", argv[optind], "status", status));
	else
		cli_linef(stdout, "referral %s: %s", argv[optind], cli_word(status));
	return CV_OK;
}

/* `--overdue`/`--due` and `--as-of DATE` for the two register lists. */
static int parse_list(int argc, char **argv, const char *flag, int *only, const char **as_of)
{
	const struct option longopts[] = {{flag, no_argument, NULL, 'o'},
					  {"as-of", required_argument, NULL, 'a'},
					  {NULL, 0, NULL, 0}};
	int ch;

	*only = 0;
	*as_of = NULL;
	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return -1;
		if (ch == 'o')
			*only = 1;
		else
			*as_of = optarg;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return -1;
	return 0;
}

int cmd_referral_list(struct cli *c, int argc, char **argv)
{
	const char *as_of;
	int only;

	struct cli_table t = {8};
	cv_status st;

	if (parse_list(argc, argv, "overdue", &only, &as_of) != 0)
		return CV_EUSAGE;
	cli_list_begin(c, &t);
	st = cli_session(c);
	if (st == CV_OK)
		st = cv_referral_list(c->s, only, as_of, cli_print_referral, c, &c->err);
	return cli_list_end_or(c, &t, st, only ? _("no overdue referrals") : _("no referrals"));
}

int cmd_watch_add(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"tag", required_argument, NULL, 't'},
	    {"every", required_argument, NULL, 'e'},
	    {NULL, 0, NULL, 0},
	};
	const char *tag = NULL, *every = NULL;
	unsigned days;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 't')
			tag = optarg;
		else
			every = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	if (!tag || !every)
		return cli_usage(cli_current, "--tag and --every are both needed");
	/* cli_getopt checked the form already. */
	if (cli_parse_days(every, &days) != 0)
		return cli_usage(cli_current, "--every takes days, like 14d, not '%s'", every);
	if (cli_setup(c, argv[optind], NULL, NULL) != CV_OK ||
	    cv_watch_add(c->s, argv[optind], tag, days, &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:s, s:s, s:i}", "id", argv[optind], "tag", tag,
					  "every_days", (int)days));
	else
		cli_linef(stdout, "%s is on the key-student register (%s, every %u days)",
			  argv[optind], cli_word(tag), days);
	return CV_OK;
}

int cmd_watch_list(struct cli *c, int argc, char **argv)
{
	const char *as_of;
	int only;

	struct cli_table t = {7};
	cv_status st;

	if (parse_list(argc, argv, "due", &only, &as_of) != 0)
		return CV_EUSAGE;
	cli_list_begin(c, &t);
	st = cli_session(c);
	if (st == CV_OK)
		st = cv_watch_list(c->s, only, as_of, cli_print_watch, c, &c->err);
	return cli_list_end_or(c, &t, st,
			       only ? _("no register follow-ups due")
				    : _("no students on the key-student register"));
}

int cmd_watch_done(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {{"date", required_argument, NULL, 'd'},
						 {NULL, 0, NULL, 0}};
	const char *date = NULL;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		date = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	if (cli_setup(c, argv[optind], NULL, NULL) != CV_OK ||
	    cv_watch_done(c->s, argv[optind], date, &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:s}", "id", argv[optind]));
	else
		cli_linef(stdout, "follow-up recorded on %s", argv[optind]);
	return CV_OK;
}

/*
 * main.c - the casevault program: global options, the command table, and
 * the mapping from library status to exit code.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "banned.h"

static const struct cmd commands[] = {
	{"init", NULL, cmd_init, CV_ACT_VAULT_INIT, 0,
	 "init --admin NAME [--kdf-t N] [--kdf-m KIB] [--kdf-p N]",
	 "create a vault and its first admin; print the recovery code once"},
	{"user", "add", cmd_user_add, CV_ACT_USER_ADD, RUN_SESSION, "user add NAME --role counselor|supervisor|admin",
	 "add a user (admin)"},
	{"user", "list", cmd_user_list, CV_ACT_USER_LIST, RUN_SESSION, "user list", "list the vault's users"},
	{"user", "passwd", cmd_user_passwd, CV_ACT_USER_PASSWD, RUN_SESSION, "user passwd", "change your own passphrase"},
	{"user", "disable", cmd_user_disable, CV_ACT_USER_DISABLE, RUN_SESSION, "user disable NAME", "disable an account (admin)"},
	{"user", "reset", cmd_user_reset, CV_ACT_USER_RESET, RUN_SESSION | RUN_RECOVERY, "user reset NAME",
	 "new keys and passphrase for a user who forgot theirs (admin, recovery code)"},
	{"config", "set", cmd_config_set, CV_ACT_CONFIG_SET, RUN_SESSION, "config set NAME VALUE",
	 "set a signed setting: adult_age, archive_days, referral_days, duty_hours, timezone (admin)"},
	{"config", "get", cmd_config_get, CV_ACT_CONFIG_GET, RUN_SESSION, "config get NAME",
	 "a setting's value in force"},
	{"config", "list", cmd_config_list, CV_ACT_CONFIG_GET, RUN_SESSION, "config list",
	 "every setting, its value, and who set it"},
	{"case", "open", cmd_case_open, CV_ACT_CASE_OPEN, RUN_SESSION,
	 "case open --student-id ID --name NAME --gender F|M|X --grade N --class C "
	 "--category CAT [--born YYYY-MM-DD] [--guardian NAME --guardian-phone P]",
	 "open a case; prints its id"},
	{"case", "list", cmd_case_list, CV_ACT_CASE_LIST, RUN_SESSION, "case list [--all]", "your open cases (--all: closed too)"},
	{"case", "show", cmd_case_show, CV_ACT_CASE_SHOW, RUN_SESSION, "case show CASE [--include-tests] [--as-of DATE]",
	 "a case: identity, consent, notes, referrals, register"},
	{"case", "find", cmd_case_find, CV_ACT_CASE_FIND, RUN_SESSION, "case find --student-id ID", "your cases of a student"},
	{"case", "close", cmd_case_close, CV_ACT_CASE_CLOSE, RUN_SESSION, "case close CASE",
	 "close a case (needs final analysis and outcome notes)"},
	{"case", "reopen", cmd_case_reopen, CV_ACT_CASE_REOPEN, RUN_SESSION, "case reopen CASE", "reopen a closed case"},
	{"case", "share", cmd_case_share, CV_ACT_CASE_SHARE, RUN_SESSION, "case share CASE USER", "grant a case to a counselor"},
	{"case", "handover", cmd_case_handover, CV_ACT_CASE_HANDOVER, RUN_SESSION | RUN_RECOVERY, "case handover CASE --to USER",
	 "give a departed counselor's case to another (admin, recovery code)"},
	{"case", "shred", cmd_case_shred, CV_ACT_CASE_SHRED, RUN_SESSION | RUN_RECOVERY, "case shred CASE --reason TEXT",
	 "destroy a case at the end of retention (admin, recovery code)"},
	{"consent", "record", cmd_consent_record, CV_ACT_CONSENT_RECORD, RUN_SESSION,
	 "consent record CASE --by student|guardian --method written|oral --date YYYY-MM-DD "
	 "--scope individual,group,testing,guardian-contact,referral-disclosure "
	 "[--verified-by USER]",
	 "record informed consent"},
	{"consent", "withdraw", cmd_consent_withdraw, CV_ACT_CONSENT_WITHDRAW, RUN_SESSION,
	 "consent withdraw CASE [--by student|guardian] [--scope LIST] [--date YYYY-MM-DD]",
	 "withdraw consent: new work stops, records stay"},
	{"consent", "show", cmd_consent_show, CV_ACT_CASE_SHOW, RUN_SESSION, "consent show CASE", "consent in force and its history"},
	{"note", "add", cmd_note_add, CV_ACT_NOTE_ADD, RUN_SESSION | RUN_TEXT,
	 "note add CASE [--kind session|analysis|outcome|contact] [--file F] [--crisis TEXT]",
	 "write a draft note (from --file, stdin or $EDITOR); prints its id"},
	{"note", "edit", cmd_note_edit, CV_ACT_NOTE_EDIT, RUN_SESSION | RUN_TEXT, "note edit NOTE [--file F] [--crisis TEXT]",
	 "rewrite a draft note"},
	{"note", "finalize", cmd_note_finalize, CV_ACT_NOTE_FINALIZE, RUN_SESSION, "note finalize NOTE",
	 "sign a note; it is immutable from then on"},
	{"note", "amend", cmd_note_amend, CV_ACT_NOTE_AMEND, RUN_SESSION | RUN_TEXT, "note amend NOTE [--file F] [--crisis TEXT]",
	 "add an addendum to a final note; prints its id"},
	{"note", "show", cmd_note_show, CV_ACT_NOTE_SHOW, RUN_SESSION, "note show NOTE", "print a note"},
	{"note", "list", cmd_note_list, CV_ACT_CASE_SHOW, RUN_SESSION, "note list CASE [--as-of DATE]", "the notes of a case"},
	{"test", "add", cmd_test_add, CV_ACT_TEST_ADD, RUN_SESSION,
	 "test add CASE --scale NAME --score S [--notes TEXT] [--crisis TEXT]",
	 "record a psychological test result (needs testing consent)"},
	{"test", "list", cmd_test_list, CV_ACT_CASE_SHOW, RUN_SESSION, "test list CASE", "the test results of a case"},
	{"referral", "add", cmd_referral_add, CV_ACT_REFERRAL_ADD, RUN_SESSION,
	 "referral add CASE --to INSTITUTION --reason CAT --urgency routine|urgent|emergency "
	 "--disclosed TEXT [--date YYYY-MM-DD] [--crisis TEXT]",
	 "refer a student; prints the referral id"},
	{"referral", "update", cmd_referral_update, CV_ACT_REFERRAL_UPDATE, RUN_SESSION,
	 "referral update REF --status contacted|accepted|declined|completed "
	 "[--date YYYY-MM-DD] [--note TEXT]",
	 "record a referral follow-up"},
	{"referral", "list", cmd_referral_list, CV_ACT_REFERRAL_LIST, RUN_SESSION, "referral list [--overdue] [--as-of DATE]",
	 "referrals on your cases"},
	{"watch", "add", cmd_watch_add, CV_ACT_WATCH_ADD, RUN_SESSION,
	 "watch add CASE --tag single-parent|left-behind|family-change|other --every 14d",
	 "put a student on the key-student register"},
	{"watch", "list", cmd_watch_list, CV_ACT_WATCH_LIST, RUN_SESSION, "watch list [--due] [--as-of DATE]",
	 "the key-student register"},
	{"watch", "done", cmd_watch_done, CV_ACT_WATCH_DONE, RUN_SESSION, "watch done CASE [--date YYYY-MM-DD]",
	 "record a register follow-up"},
	{"audit", "log", cmd_audit_log, CV_ACT_AUDIT_LOG, RUN_SESSION,
	 "audit log [--user NAME] [--action ACTION] [--since DATE] [--until DATE] [--denied]",
	 "show the access log (supervisor, admin)"},
	{"audit", "verify", cmd_audit_verify, CV_ACT_AUDIT_VERIFY, RUN_SESSION, "audit verify [--checkpoint FILE]",
	 "verify the log's hash chain and every signature (supervisor, admin)"},
	{"audit", "checkpoint", cmd_audit_checkpoint, CV_ACT_AUDIT_CHECKPOINT, RUN_SESSION, "audit checkpoint [-o FILE]",
	 "print a signed (size, head) to keep outside the vault (supervisor, admin)"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage_all(FILE *f)
{
	fputs("usage: casevault [--vault PATH] [--user NAME] [--passphrase-fd N] [--json] "
	      "COMMAND ...\n\ncommands:\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%s%s%s", commands[i].group,
			 commands[i].sub ? " " : "", commands[i].sub ? commands[i].sub : "");
		fprintf(f, "  %-19s %s\n", name, commands[i].summary);
	}
	fputs("\nGlobal options come before the command.  The vault is --vault, else\n"
	      "$CASEVAULT_VAULT, else ./casevault.db; the user is --user, else $CASEVAULT_USER.\n"
	      "'casevault COMMAND SUB -h' shows a command's usage.\n"
	      "Exit codes: 0 ok, 1 error, 2 usage, 3 authentication failed, 4 denied,\n"
	      "5 integrity failure, 6 not found.  See casevault(1).\n",
	      f);
}

/* Takes the global options that stand before the command word, so that a
 * command's own options (audit log --user) never collide with them. */
static int take_globals(struct cli *c, int *argc, char **argv)
{
	static const char *const with_value[] = {"--vault", "--user", "--passphrase-fd"};
	int i = 1, out = 1;

	for (; i < *argc && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]; i++) {
		const char *a = argv[i], *val = NULL, *name = NULL;

		if (strcmp(a, "--json") == 0) {
			c->json = 1;
			continue;
		}
		for (size_t k = 0; k < 3 && !name; k++) {
			size_t l = strlen(with_value[k]);
			if (strncmp(a, with_value[k], l) == 0 && (a[l] == '\0' || a[l] == '=')) {
				name = with_value[k];
				if (a[l] == '=')
					val = a + l + 1;
				else if (i + 1 < *argc)
					val = argv[++i];
			}
		}
		if (!name)
			break; /* --help, --version: handled by main */
		if (!val || !*val) {
			cli_usage(NULL, "option '%s' needs a value", name);
			return -1;
		}
		if (strcmp(name, "--vault") == 0) {
			c->vault_path = val;
		} else if (strcmp(name, "--user") == 0) {
			c->user = val;
		} else {
			unsigned fd;
			if (cli_parse_u32(val, &fd) != 0 || fd > 1024) {
				cli_usage(NULL, "--passphrase-fd takes a file descriptor number, "
						"not '%s'", val);
				return -1;
			}
			c->pass_fd = (int)fd;
		}
	}
	for (; i < *argc; i++)
		argv[out++] = argv[i];
	*argc = out;
	argv[out] = NULL;
	return 0;
}

static const struct cmd *find(int argc, char **argv, int *consumed)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct cmd *k = &commands[i];
		if (strcmp(argv[0], k->group) != 0)
			continue;
		if (!k->sub) {
			*consumed = 1;
			return k;
		}
		if (argc > 1 && strcmp(argv[1], k->sub) == 0) {
			*consumed = 2;
			return k;
		}
	}
	return NULL;
}

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

static void group_usage(FILE *f, const char *group)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].group, group) == 0)
			fprintf(f, "  casevault %s\n", commands[i].usage);
}

cv_status cli_session(struct cli *c)
{
	char *pass = NULL;
	size_t len = 0;
	cv_status st;

	if (c->s)
		return CV_OK;
	if (!c->user || !*c->user)
		return cv_err_set(&c->err, CV_EUSAGE,
				  "no user given; use --user NAME (or set CASEVAULT_USER)");
	st = cv_vault_open(c->vault_path, &c->v, &c->err);
	/* A refusal by role comes before the passphrase is asked. */
	if (st == CV_OK && cli_current)
		st = cv_may(c->v, c->user, cli_current->action, c->target, &c->err);
	if (st != CV_OK)
		return st;
	{
		char prompt[CV_NAME_MAX + 32];
		snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", c->user);
		st = cli_secret(c, prompt, 0, &pass, &len);
	}
	if (st == CV_OK)
		st = cv_login(c->v, c->user, pass, len, &c->s, &c->err);
	sodium_free(pass);
	return st;
}

cv_status cli_setup(struct cli *c, const char *target, const char *kind, const char *crisis)
{
	cv_status st;

	c->target = target;
	st = cli_session(c);
	/* Grant, case state and consent are judged before an editor opens or
	 * a recovery code is asked, so a refused command costs nothing. */
	if (st == CV_OK && target && (cli_current->flags & (RUN_TEXT | RUN_RECOVERY)))
		st = cv_may_case(c->s, cli_current->action, target, kind, crisis, &c->err);
	return st;
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	const struct cmd *cmd;
	int rc, used = 0;

	c.pass_fd = -1;
	if (cv_init(&c.err) != CV_OK)
		return cli_fail(&c);
	c.vault_path = getenv("CASEVAULT_VAULT");
	if (!c.vault_path || !*c.vault_path)
		c.vault_path = "./casevault.db";
	c.user = getenv("CASEVAULT_USER");
	if (take_globals(&c, &argc, argv) != 0)
		return CV_EUSAGE;
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage_all(argc < 2 ? stderr : stdout);
		return argc < 2 ? CV_EUSAGE : CV_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("casevault %s\n", CV_VERSION);
		return CV_OK;
	}
	cmd = find(argc - 1, argv + 1, &used);
	if (!cmd) {
		int known = 0;
		for (size_t i = 0; i < NCOMMANDS; i++)
			known |= strcmp(commands[i].group, argv[1]) == 0;
		if (known) {
			if (wants_help(argc - 1, argv + 1)) {
				group_usage(stdout, argv[1]);
				return CV_OK;
			}
			cli_usage(NULL, "'%s' needs a sub-command", argv[1]);
			group_usage(stderr, argv[1]);
		} else {
			cli_usage(NULL, "unknown command '%s'; see 'casevault help'", argv[1]);
		}
		return CV_EUSAGE;
	}
	if (wants_help(argc - used, argv + used)) {
		printf("usage: casevault %s\n%s\n", cmd->usage, cmd->summary);
		return CV_OK;
	}
	cli_current = cmd;
	/* Hand the command its own argv, its name first (for getopt). */
	rc = cmd->fn(&c, argc - used, argv + used);
	cv_session_close(c.s);
	cv_vault_close(c.v);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "error: cannot write the output\n");
		return rc ? rc : CV_ERROR;
	}
	return rc;
}

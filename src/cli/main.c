/*
 * main.c - the casevault program: global options, the command table, and
 * the mapping from library status to exit code.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

/* The highest descriptor --passphrase-fd accepts. */
#define PASS_FD_MAX 1024

static const struct cmd commands[] = {
    {"init", NULL, cmd_init, CV_ACT_VAULT_INIT, 0,
     "init --admin NAME [--kdf-t N] [--kdf-m KIB] [--kdf-p N]",
     N_("create a vault and its first admin; print the recovery code once")},
    {"enrol", NULL, cmd_enrol, CV_ACT_USER_ENROL, 0, "enrol [--user NAME]",
     N_("a new user types the code from their admin and chooses their own passphrase")},
    /* Unlock asks for the passphrase even with an agent running; lock and
     * status read only the vault's id and ask nothing. */
    {"unlock", NULL, cmd_unlock, CV_ACT_LOGIN, RUN_SESSION | RUN_PASSPHRASE,
     "unlock [--timeout 15m] [--max 8h]",
     N_("keep your keys unlocked for later commands (ends after --timeout without use, or --max)")},
    {"lock", NULL, cmd_lock, CV_ACT_LOGIN, 0, "lock",
     N_("end your unlock agent for this vault now: its keys are wiped")},
    {"status", NULL, cmd_status, CV_ACT_LOGIN, RUN_LIST, "status",
     N_("who is unlocked for this vault, and until when")},
    {"user", "add", cmd_user_add, CV_ACT_USER_ADD, RUN_SESSION | RUN_PASSPHRASE,
     "user add NAME --role counselor|supervisor|admin [--days N]",
     N_("add a user: prints a one-time enrolment code (admin)")},
    {"user", "list", cmd_user_list, CV_ACT_USER_LIST, RUN_SESSION | RUN_LIST, "user list",
     N_("list the vault's users")},
    {"user", "passwd", cmd_user_passwd, CV_ACT_USER_PASSWD, RUN_SESSION | RUN_PASSPHRASE,
     "user passwd [--rotate]", N_("change your own passphrase (--rotate: and make new key pairs)")},
    {"user", "disable", cmd_user_disable, CV_ACT_USER_DISABLE, RUN_SESSION, "user disable NAME",
     N_("disable an account (admin)")},
    {"user", "reset", cmd_user_reset, CV_ACT_USER_RESET,
     RUN_SESSION | RUN_RECOVERY | RUN_PASSPHRASE, "user reset NAME [--days N]",
     N_("a new enrolment code for a user who forgot their passphrase (admin, recovery code)")},
    {"config", "set", cmd_config_set, CV_ACT_CONFIG_SET, RUN_SESSION, "config set SETTING VALUE",
     N_("set a signed setting: adult_age, archive_days, referral_days, duty_hours, timezone, "
	"term_autumn, term_spring, school, alert_* (admin)")},
    {"config", "get", cmd_config_get, CV_ACT_CONFIG_GET, RUN_SESSION, "config get SETTING",
     N_("a setting's value in force")},
    {"config", "list", cmd_config_list, CV_ACT_CONFIG_GET, RUN_SESSION | RUN_LIST, "config list",
     N_("every setting, its value, and who set it")},
    {"case", "open", cmd_case_open, CV_ACT_CASE_OPEN, RUN_SESSION,
     "case open [--form FILE|-] [--gender F|M|X] [--grade N] [--category CAT]",
     N_("open a case (the identity from a form or asked at the terminal); prints its id")},
    {"case", "list", cmd_case_list, CV_ACT_CASE_LIST, RUN_SESSION | RUN_LIST, "case list [--all]",
     N_("your open cases (--all: closed too)")},
    {"case", "show", cmd_case_show, CV_ACT_CASE_SHOW, RUN_SESSION,
     "case show CASE [--notes] [--include-tests] [--as-of DATE]",
     N_("a case: identity, consent, notes, referrals, register")},
    {"case", "find", cmd_case_find, CV_ACT_CASE_FIND, RUN_SESSION | RUN_LIST, "case find",
     N_("your cases of a student (the number asked, or on standard input)")},
    {"case", "close", cmd_case_close, CV_ACT_CASE_CLOSE, RUN_SESSION, "case close CASE",
     N_("close a case (needs final analysis and outcome notes)")},
    {"case", "reopen", cmd_case_reopen, CV_ACT_CASE_REOPEN, RUN_SESSION, "case reopen CASE",
     N_("reopen a closed case")},
    {"case", "share", cmd_case_share, CV_ACT_CASE_SHARE, RUN_SESSION, "case share CASE USER",
     N_("grant a case to a counselor")},
    {"case", "handover", cmd_case_handover, CV_ACT_CASE_HANDOVER,
     RUN_SESSION | RUN_RECOVERY | RUN_PASSPHRASE, "case handover CASE --to USER",
     N_("give a departed counselor's case to another (admin, recovery code)")},
    {"case", "shred", cmd_case_shred, CV_ACT_CASE_SHRED,
     RUN_SESSION | RUN_RECOVERY | RUN_PASSPHRASE, "case shred CASE --reason TEXT|-",
     N_("destroy a case at the end of retention (admin, recovery code)")},
    {"consent", "record", cmd_consent_record, CV_ACT_CONSENT_RECORD, RUN_SESSION,
     "consent record CASE --by student|guardian|student,guardian --method written|oral "
     "[--date YYYY-MM-DD] "
     "--scope individual,group,testing,guardian-contact,referral-disclosure "
     "[--verified-by USER]",
     N_("record informed consent")},
    {"consent", "withdraw", cmd_consent_withdraw, CV_ACT_CONSENT_WITHDRAW, RUN_SESSION,
     "consent withdraw CASE [--by student|guardian|student,guardian] [--scope LIST] "
     "[--date YYYY-MM-DD]",
     N_("withdraw consent: new work stops, records stay")},
    {"consent", "show", cmd_consent_show, CV_ACT_CASE_SHOW, RUN_SESSION, "consent show CASE",
     N_("consent in force and its history")},
    {"note", "add", cmd_note_add, CV_ACT_NOTE_ADD, RUN_SESSION | RUN_TEXT,
     "note add CASE [--kind session|analysis|outcome|contact] [--file F|--edit] "
     "[--crisis TEXT|-] [--finalize]",
     N_("write a note (from --file, stdin or the editor), a draft unless --finalize; prints its "
	"id")},
    {"note", "edit", cmd_note_edit, CV_ACT_NOTE_EDIT, RUN_SESSION | RUN_TEXT,
     "note edit NOTE [--file F|--edit] [--crisis TEXT|-]", N_("rewrite a draft note")},
    {"note", "finalize", cmd_note_finalize, CV_ACT_NOTE_FINALIZE, RUN_SESSION,
     "note finalize NOTE...", N_("sign notes (all or none); they are immutable from then on")},
    {"note", "amend", cmd_note_amend, CV_ACT_NOTE_AMEND, RUN_SESSION | RUN_TEXT,
     "note amend NOTE [--file F|--edit] [--crisis TEXT|-]",
     N_("add an addendum to a final note; prints its id")},
    {"note", "show", cmd_note_show, CV_ACT_NOTE_SHOW, RUN_SESSION, "note show NOTE",
     N_("print a note")},
    {"note", "list", cmd_note_list, CV_ACT_CASE_SHOW, RUN_SESSION | RUN_LIST,
     "note list CASE [--as-of DATE]", N_("the notes of a case")},
    {"test", "add", cmd_test_add, CV_ACT_TEST_ADD, RUN_SESSION,
     "test add CASE --scale NAME --score S [--notes TEXT|-] [--crisis TEXT|-]",
     N_("record a psychological test result (needs testing consent)")},
    {"test", "list", cmd_test_list, CV_ACT_CASE_SHOW, RUN_SESSION | RUN_LIST, "test list CASE",
     N_("the test results of a case")},
    {"referral", "add", cmd_referral_add, CV_ACT_REFERRAL_ADD, RUN_SESSION,
     "referral add CASE --to INSTITUTION --to-type KIND --reason CAT "
     "--urgency routine|urgent|emergency "
     "--disclosed TEXT|- [--date YYYY-MM-DD] [--crisis TEXT|-]",
     N_("refer a student; prints the referral id")},
    {"referral", "update", cmd_referral_update, CV_ACT_REFERRAL_UPDATE, RUN_SESSION,
     "referral update REF --status contacted|accepted|declined|completed "
     "[--date YYYY-MM-DD] [--note TEXT|-]",
     N_("record a referral follow-up")},
    {"referral", "list", cmd_referral_list, CV_ACT_REFERRAL_LIST, RUN_SESSION | RUN_LIST,
     "referral list [--overdue] [--as-of DATE]", N_("referrals on your cases")},
    {"watch", "add", cmd_watch_add, CV_ACT_WATCH_ADD, RUN_SESSION,
     "watch add CASE --tag single-parent|left-behind|family-change|other --every 14d",
     N_("put a student on the key-student register")},
    {"watch", "list", cmd_watch_list, CV_ACT_WATCH_LIST, RUN_SESSION | RUN_LIST,
     "watch list [--due] [--as-of DATE]", N_("the key-student register")},
    {"watch", "done", cmd_watch_done, CV_ACT_WATCH_DONE, RUN_SESSION,
     "watch done CASE [--date YYYY-MM-DD]", N_("record a register follow-up")},
    {"audit", "log", cmd_audit_log, CV_ACT_AUDIT_LOG, RUN_SESSION,
     "audit log [--user NAME] [--action ACTION] [--case CASE] [--outcome ok|denied|failed]\n"
     "          [--denied] [--crisis] [--since DATE] [--until DATE] [--limit N]\n"
     "          [--format text|json|csv]",
     N_("show the access log (supervisor, admin)")},
    {"audit", "verify", cmd_audit_verify, CV_ACT_AUDIT_VERIFY, RUN_SESSION,
     "audit verify [--checkpoint FILE] [--full]",
     N_("verify the log's hash chain and stored rows, and the signatures since the last "
	"supervisor's verification (--full: all) (supervisor, admin)")},
    {"audit", "checkpoint", cmd_audit_checkpoint, CV_ACT_AUDIT_CHECKPOINT, RUN_SESSION,
     "audit checkpoint [-o FILE|--output FILE]",
     N_("print a signed (size, head) to keep outside the vault (supervisor, admin)")},
    {"audit", "review", cmd_audit_review, CV_ACT_AUDIT_REVIEW, RUN_SESSION,
     "audit review EVENT --note TEXT|-\n"
     "       casevault audit review --show EVENT",
     N_("record the review of a break-glass event, or read one (supervisor)")},
    {"audit", "alerts", cmd_audit_alerts, CV_ACT_AUDIT_ALERTS, RUN_SESSION | RUN_LIST,
     "audit alerts [--since DATE] [--json]",
     N_("what a supervisor should look at: unreviewed break-glass events, bursts of "
	"refusals, off-hours access (supervisor)")},
    {"vault", "keys", cmd_vault_keys, CV_ACT_VAULT_KEYS,
     RUN_SESSION | RUN_RECOVERY | RUN_PASSPHRASE, "vault keys --deliver",
     N_("give the index key to counselors and the stats key to supervisors who have none "
	"(admin, recovery code)")},
    {"stats", "export", cmd_stats_export, CV_ACT_STATS_EXPORT, RUN_SESSION,
     "stats export (--term YYYY-autumn|YYYY-spring | --from YYYY-MM --to YYYY-MM) [--k 5] "
     "[--epsilon E] --format csv|json|html [-o FILE|--output FILE]",
     N_("anonymized term statistics, small counts suppressed (supervisor)")},
    /* No setup: published files only, no vault opened, no passphrase; the
     * action is never judged. */
    {"stats", "merge", cmd_stats_merge, CV_ACT_STATS_EXPORT, 0,
     "stats merge FILE FILE... --format csv|json|html [-o FILE|--output FILE]",
     N_("sum schools' JSON exports of one period and k into a district table (no vault)")},
    {"duty", "start", cmd_duty_start, CV_ACT_DUTY_START, RUN_SESSION,
     "duty start [--room ROOM] [--at \"YYYY-MM-DD HH:MM\"]",
     N_("your duty shift begins (now, or at a local time today) (counselor)")},
    {"duty", "end", cmd_duty_end, CV_ACT_DUTY_END, RUN_SESSION,
     "duty end [--visits N] [--at \"YYYY-MM-DD HH:MM\"]",
     N_("your open duty shift ends (counselor)")},
    {"duty", "add", cmd_duty_add, CV_ACT_DUTY_ADD, RUN_SESSION,
     "duty add --from \"YYYY-MM-DD HH:MM\" --to \"YYYY-MM-DD HH:MM\" [--room ROOM] [--visits N]",
     N_("log a past duty shift, in local time (counselor)")},
    {"duty", "list", cmd_duty_list, CV_ACT_DUTY_LIST, RUN_SESSION | RUN_LIST,
     "duty list [--week YYYY-Www] [--json]",
     N_("every counselor's shifts in a local ISO week (default: this week)")},
    {"duty", "hours", cmd_duty_hours, CV_ACT_DUTY_HOURS, RUN_SESSION | RUN_LIST,
     "duty hours (--term YYYY-autumn|YYYY-spring | --from YYYY-MM-DD --to YYYY-MM-DD) [--json]",
     N_("open hours per local ISO week, weeks under the duty_hours threshold marked")},
    /* The counselor's day. */
    {"import", "cases", cmd_import_cases, CV_ACT_CASE_OPEN, RUN_SESSION, "import cases FILE.csv|-",
     N_("open cases from a CSV file, with the consent on file: every row or none")},
    {"import", "notes", cmd_import_notes, CV_ACT_NOTE_ADD, RUN_SESSION, "import notes FILE.csv|-",
     N_("add notes to your cases from a CSV file: every row or none")},
    {"due", NULL, cmd_due, CV_ACT_DUE, RUN_SESSION, "due [--as-of DATE]",
     N_("what needs doing today: drafts near their archive deadline, follow-ups due")},
    {"report", "compliance", cmd_report_compliance, CV_ACT_REPORT_COMPLIANCE, RUN_SESSION,
     "report compliance (--term YYYY-autumn|YYYY-spring | --from YYYY-MM-DD --to YYYY-MM-DD) "
     "[--format text|json|html] [-o FILE|--output FILE]",
     N_("the room's work against the standard, item by item, without content (supervisor)")},
};

#define NCOMMANDS ARRAY_SIZE(commands)

const struct cmd *cli_commands(size_t *n)
{
	*n = NCOMMANDS;
	return commands;
}

static void usage_all(FILE *f)
{
	fputs(_("usage: casevault [--vault PATH] [--user NAME] [--passphrase-fd N] [--json|--csv] "
		"COMMAND ...\n"
		"       casevault help [COMMAND [SUB-COMMAND]]\n"
		"       casevault --version | -V\n\ncommands:\n"),
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%s%s%s", commands[i].group,
			 commands[i].sub ? " " : "", commands[i].sub ? commands[i].sub : "");
		fprintf(f, "  %-19s %s\n", name, _(commands[i].summary));
	}
	fputs(_("\nGlobal options come before the command.  The vault is --vault, else\n"
		"$CASEVAULT_VAULT, else ./casevault.db; the user is --user, else $CASEVAULT_USER.\n"
		"Passphrases come from the terminal, or one a line from --passphrase-fd N.\n"
		"--json prints one JSON document (a list as one array) and errors on stderr as\n"
		"one JSON object; --csv prints a list as CSV, its columns the JSON keys.\n"
		"'casevault help COMMAND' or 'casevault COMMAND SUB -h' shows a command's usage;\n"
		"--version (-V) prints the version.\n"
		"Exit codes: 0 ok, 1 error, 2 usage, 3 authentication failed, 4 denied,\n"
		"5 integrity failure, 6 not found.  See casevault(1).\n"),
	      f);
}

/* Takes the global options that stand before the command word, so that a
 * command's own options (audit log --user) never collide with them. */
static int take_globals(struct cli *c, int *argc, char **argv)
{
	int i = 1, out = 1;

	for (; i < *argc && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]; i++) {
		const struct cli_global *g = cli_global(argv[i]);
		const char *a = argv[i], *val = NULL;
		size_t l;

		if (!g)
			break; /* --help, --version, or a misspelling: main says */
		l = strlen(g->name);
		if (!g->metavar) {
			if (a[l] == '=')
				return cli_usage_code(NULL, "usage.option",
						      "option '%s' takes no value", g->name);
			if (strcmp(g->name, "--csv") == 0) {
				/* the list is built as for --json, printed as CSV;
				 * errors stay text */
				c->csv = 1;
				continue;
			}
			c->json = 1;
			cli_json_errors(1);
			continue;
		}
		if (a[l] == '=')
			val = a + l + 1;
		else if (i + 1 < *argc)
			val = argv[++i];
		if (!val || !*val)
			return cli_usage_code(NULL, "usage.option", "option '%s' needs a value",
					      g->name);
		if (strcmp(g->name, "--vault") == 0) {
			c->vault_path = val;
		} else if (strcmp(g->name, "--user") == 0) {
			c->user = val;
		} else {
			unsigned fd;
			if (cli_parse_u32(val, &fd) != 0 || fd > PASS_FD_MAX)
				return cli_usage_code(
				    NULL, "usage.value",
				    "--passphrase-fd takes a file descriptor number, "
				    "not '%s'",
				    val);
			c->pass_fd = (int)fd;
		}
	}
	for (; i < *argc; i++)
		argv[out++] = argv[i];
	*argc = out;
	argv[out] = NULL;
	return 0;
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
	fputs(_("usage:\n"), f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].group, group) == 0)
			fprintf(f, "  casevault %s\n", commands[i].usage);
}

static void command_usage(const struct cmd *cmd)
{
	printf(_("usage: casevault %s\n"), cmd->usage);
	printf("%s\n", _(cmd->summary));
}

/* The table's row for word as a group, or NULL. */
static const struct cmd *group_row(const char *word)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].group, word) == 0)
			return &commands[i];
	return NULL;
}

static const struct cmd *sub_row(const char *group, const char *word)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].group, group) == 0 && commands[i].sub &&
		    strcmp(commands[i].sub, word) == 0)
			return &commands[i];
	return NULL;
}

/* A group's usage after an error, on stderr (not under --json, whose
 * stderr holds only the error's JSON line). */
static int group_error_usage(const struct cli *c, const char *group)
{
	if (!c->json)
		group_usage(stderr, group);
	return CV_EUSAGE;
}

/*
 * Finds the command argv (its first word the command) names; *used
 * receives how many words name it.  NULL after a usage error (*rc
 * CV_EUSAGE), or, for `help GROUP` (help set) and `GROUP -h`, after the
 * group's usage (*rc CV_OK).
 */
static const struct cmd *resolve(const struct cli *c, int argc, char **argv, int help, int *used,
				 int *rc)
{
	const struct cmd *g = group_row(argv[0]), *k;
	const char *names[NCOMMANDS + 1];
	char hint[160];
	size_t n = 0;

	*rc = CV_EUSAGE;
	if (!g) {
		for (size_t i = 0; i < NCOMMANDS; i++)
			names[n++] = commands[i].group;
		names[n++] = "help";
		cli_did_you_mean(hint, sizeof(hint), argv[0], names, n);
		if (hint[0])
			cli_usage_code(NULL, "usage.command", "unknown command '%s'%s", argv[0],
				       hint);
		else
			cli_usage_code(NULL, "usage.command",
				       "unknown command '%s'; see 'casevault help'", argv[0]);
		return NULL;
	}
	if (!g->sub) {
		*used = 1;
		return g;
	}
	if (argc < 2 || argv[1][0] == '-') {
		const struct cli_global *glob = argc < 2 ? NULL : cli_global(argv[1]);

		if (help || wants_help(argc, argv)) {
			group_usage(stdout, g->group);
			*rc = CV_OK;
			return NULL;
		}
		if (glob) {
			const char *sub = NULL;

			for (int i = 2; i < argc && !sub; i++)
				sub = sub_row(g->group, argv[i]) ? argv[i] : NULL;
			cli_global_misplaced(glob, g->group, sub);
			return NULL;
		}
		cli_usage_code(NULL, "usage.command", "'%s' needs a sub-command", g->group);
		group_error_usage(c, g->group);
		return NULL;
	}
	k = sub_row(g->group, argv[1]);
	if (k) {
		*used = 2;
		return k;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].group, g->group) == 0)
			names[n++] = commands[i].sub;
	cli_did_you_mean(hint, sizeof(hint), argv[1], names, n);
	if (hint[0]) {
		cli_usage_code(NULL, "usage.command", "'%s' has no sub-command '%s'%s", g->group,
			       argv[1], hint);
		return NULL;
	}
	cli_usage_code(NULL, "usage.command", "'%s' has no sub-command '%s'", g->group, argv[1]);
	group_error_usage(c, g->group);
	return NULL;
}

/* `casevault help [COMMAND [SUB]]`: argv holds what follows "help". */
static int help(const struct cli *c, int argc, char **argv)
{
	const struct cmd *cmd;
	int used = 0, rc;

	if (argc == 0) {
		usage_all(stdout);
		return CV_OK;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc > 1)
			return cli_usage_code(
			    NULL, "usage.arguments",
			    "unexpected argument '%s'; use 'casevault help COMMAND "
			    "[SUB-COMMAND]'",
			    argv[1]);
		puts(_("usage: casevault help [COMMAND [SUB-COMMAND]]"));
		puts(_("the commands, or a command's usage"));
		return CV_OK;
	}
	cmd = resolve(c, argc, argv, 1, &used, &rc);
	if (!cmd)
		return rc;
	if (used < argc)
		return cli_usage_code(NULL, "usage.arguments",
				      "unexpected argument '%s'; use 'casevault help COMMAND "
				      "[SUB-COMMAND]'",
				      argv[used]);
	command_usage(cmd);
	return CV_OK;
}

/* An option before the command that is not a global one. */
static int unknown_global(const char *arg)
{
	static const char *const names[] = {"--vault", "--user", "--passphrase-fd", "--json",
					    "--csv",   "--help", "--version"};
	char opt[48], hint[160];
	size_t len = strcspn(arg, "=");

	if (len >= sizeof(opt))
		len = sizeof(opt) - 1;
	memcpy(opt, arg, len);
	opt[len] = '\0';
	cli_did_you_mean(hint, sizeof(hint), opt, names, ARRAY_SIZE(names));
	if (hint[0])
		return cli_usage_code(NULL, "usage.option", "unknown option '%s'%s", opt, hint);
	return cli_usage_code(NULL, "usage.option",
			      "unknown option '%s'; the global options are --vault, --user, "
			      "--passphrase-fd, --json and --csv",
			      opt);
}

cv_status cli_session(struct cli *c)
{
	char *pass = NULL;
	size_t len = 0;
	cv_status st;

	if (c->s)
		return CV_OK;
	/* A handler run for its options (completion) never logs in. */
	if (cli_probe)
		return cv_err_set(&c->err, CV_EUSAGE, "%s",
				  _("no session while options are listed"));
	if (!c->user || !*c->user)
		return cv_err_set(&c->err, CV_EUSAGE,
				  _("no user given; use --user NAME (or set CASEVAULT_USER)"));
	st = c->v ? CV_OK : cv_vault_open(c->vault_path, &c->v, &c->err);
	/* With an agent, the checks from here on skip the signatures it knows
	 * to verify; without one (or one that cannot be used) nothing
	 * changes, and the login below says why. */
	if (st == CV_OK && c->pass_fd < 0 && cli_current &&
	    !(cli_current->flags & (RUN_PASSPHRASE | RUN_RECOVERY)))
		(void)cv_agent_attach(c->v, c->user, NULL);
	/* A refusal by role comes before the passphrase is asked (a login
	 * itself, unlock, is for every role). */
	if (st == CV_OK && cli_current && cli_current->action != CV_ACT_LOGIN)
		st = cv_may(c->v, c->user, cli_current->action, c->target, &c->err);
	if (st != CV_OK)
		return st;
	if (c->pass_fd < 0 && cli_current &&
	    !(cli_current->flags & (RUN_PASSPHRASE | RUN_RECOVERY))) {
		st = cv_login_agent(c->v, c->user, &c->s, &c->err);
		if (st == CV_OK || strncmp(c->err.code, "agent.", 6) != 0)
			return st;
		/* No agent, or one that cannot be used: the passphrase, as
		 * without one (saying why when one was there). */
		if (st != CV_ENOTFOUND && !c->json)
			fprintf(stderr, _("note: %s; asking for the passphrase\n"),
				cli_message(&c->err));
		c->err = (cv_err){0};
	}
	{
		char prompt[CV_NAME_MAX + 32];
		snprintf(prompt, sizeof(prompt), _("Passphrase for %s: "), c->user);
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
	if (st == CV_OK && target && (cli_current->flags & (RUN_TEXT | RUN_RECOVERY))) {
		st = cv_may_case_context(c->s, cli_current->action, target, kind, crisis, &c->ctx,
					 &c->err);
		c->have_ctx = st == CV_OK && (cli_current->flags & RUN_TEXT);
	}
	return st;
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	const struct cmd *cmd;
	int rc, used = 0;

	c.pass_fd = -1;
	cli_i18n();
	if (cv_init(&c.err) != CV_OK)
		return cli_fail(&c);
	/* The hidden query of the shell's completion (complete.c): no
	 * prompt, no sweep, nothing written. */
	if (argc >= 2 && strcmp(argv[1], CLI_COMPLETE_WORD) == 0)
		return cli_complete(argc - 2, argv + 2);
	/* What a killed command was editing does not outlive it. */
	cli_sweep_edits();
	c.vault_path = getenv("CASEVAULT_VAULT");
	if (!c.vault_path || !*c.vault_path)
		c.vault_path = "./casevault.db";
	c.user = getenv("CASEVAULT_USER");
	if (take_globals(&c, &argc, argv) != 0)
		return CV_EUSAGE;
	if (argc < 2) {
		usage_all(stderr);
		return CV_EUSAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage_all(stdout);
		return CV_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return help(&c, argc - 2, argv + 2);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf(_("casevault %s (vault format %d)\n"), CV_VERSION, cv_vault_format());
		return CV_OK;
	}
	if (argv[1][0] == '-')
		return unknown_global(argv[1]);
	cmd = resolve(&c, argc - 1, argv + 1, 0, &used, &rc);
	if (!cmd)
		return rc;
	if (wants_help(argc - used, argv + used)) {
		command_usage(cmd);
		return CV_OK;
	}
	if (c.csv && c.json)
		return cli_usage_code(NULL, "usage.option", "give --json or --csv, not both");
	/* audit log prints a list, as CSV through its own --format csv. */
	if (c.csv && cmd->fn == cmd_audit_log)
		return cli_usage_code(NULL, "usage.option",
				      "'audit log' prints CSV with its own option, not --csv; use "
				      "'casevault audit log --format csv'");
	if (c.csv && !(cmd->flags & RUN_LIST))
		return cli_usage_code(NULL, "usage.option",
				      "--csv prints a list, and '%s%s%s' prints none; use --json",
				      cmd->group, cmd->sub ? " " : "", cmd->sub ? cmd->sub : "");
	c.json |= c.csv;
	cli_csv_lists(c.csv);
	cli_current = cmd;
	/* Hand the command its own argv, its name first (for getopt). */
	rc = cmd->fn(&c, argc - used, argv + used);
	cv_session_close(c.s);
	cv_vault_close(c.v);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int wrc;

		cv_err_set(&c.err, CV_ERROR, "%s", _("cannot write the output"));
		wrc = cli_fail(&c);
		return rc ? rc : wrc;
	}
	return rc;
}

/*
 * cmd_note.c - `casevault note add|edit|finalize|amend|show` and
 * `casevault consent record|withdraw`.
 */
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

int cli_print_note(const cv_note_info *n, void *arg);

/* Options shared by the writing commands. */
struct write_opts {
	const char *kind;
	const char *file;
	const char *crisis;
	int edit;
	int finalize;
	char *crisis_owned; /* --crisis - read from standard input */
};

enum { WRITE_ADD, WRITE_EDIT, WRITE_AMEND };

static int parse_write(int argc, char **argv, int which, struct write_opts *o)
{
	static const struct option add[] = {
	    {"file", required_argument, NULL, 'f'}, {"crisis", required_argument, NULL, 'c'},
	    {"edit", no_argument, NULL, 'e'},	    {"kind", required_argument, NULL, 'k'},
	    {"finalize", no_argument, NULL, 'F'},   {NULL, 0, NULL, 0}};
	static const struct option other[] = {{"file", required_argument, NULL, 'f'},
					      {"crisis", required_argument, NULL, 'c'},
					      {"edit", no_argument, NULL, 'e'},
					      {NULL, 0, NULL, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = cli_getopt(argc, argv, "", which == WRITE_ADD ? add : other)) != -1) {
		if (ch == -2)
			return -1;
		if (ch == 'k')
			o->kind = optarg;
		else if (ch == 'f')
			o->file = optarg;
		else if (ch == 'e')
			o->edit = 1;
		else if (ch == 'F')
			o->finalize = 1;
		else
			o->crisis = optarg;
	}
	if (cli_id_operand(argc, argv, optind,
			   which == WRITE_ADD ? "give one case id" : "give one note id") != 0)
		return -1;
	if (o->file && o->edit)
		return cli_usage(cli_current, "--file and --edit exclude each other; give one"), -1;
	/* Standard input can carry one thing after the passphrase. */
	if (o->crisis && strcmp(o->crisis, "-") == 0 && !o->file && !o->edit &&
	    !isatty(STDIN_FILENO))
		return cli_usage(cli_current,
				 "--crisis - reads standard input, where the note would come "
				 "from too; give the note with --file or --edit"),
		       -1;
	return optind;
}

/* Logs in, reads --crisis - (after the passphrase), then judges the
 * action on target before any text is asked for. */
static cv_status write_setup(struct cli *c, char *target, struct write_opts *o)
{
	c->target = target; /* a refusal by role names it */
	if (cli_session(c) != CV_OK ||
	    cli_stdin_arg(c, "--crisis -", &o->crisis, &o->crisis_owned) != CV_OK)
		return c->err.status;
	return cli_setup(c, target, o->kind, o->crisis);
}

/* The command that resumes a write from a kept file: "note add C-... --kind K". */
static void resume_cmd(char *out, size_t cap, int which, const char *target,
		       const struct write_opts *o)
{
	static const char *const verbs[] = {"note add", "note edit", "note amend"};

	snprintf(out, cap, "%s %s%s%s%s%s", verbs[which], target, o->kind ? " --kind " : "",
		 o->kind ? o->kind : "", o->finalize ? " --finalize" : "",
		 o->crisis ? " --crisis -" : "");
}

struct capture {
	char *text;
	size_t len;
};

static int capture_text(const cv_note_info *n, void *arg)
{
	struct capture *k = arg;

	k->text = sodium_malloc(n->text_len + 1);
	if (k->text) {
		memcpy(k->text, n->text, n->text_len);
		k->len = n->text_len;
	}
	return 0;
}

static int write_note(struct cli *c, int argc, char **argv, int which)
{
	struct write_opts o;
	struct capture old = {0};
	char id[CV_CASE_ID_MAX] = "", *text = NULL, resume[128];
	size_t len = 0;
	cv_status st;
	int i = parse_write(argc, argv, which, &o);

	if (i < 0)
		return CV_EUSAGE;
	st = write_setup(c, argv[i], &o);
	/* In the editor, a draft is edited from its current text (a logged
	 * read). */
	if (st == CV_OK && which == WRITE_EDIT && !o.file && (o.edit || isatty(STDIN_FILENO)))
		st = cv_note_show(c->s, argv[i], capture_text, &old, &c->err);
	if (st == CV_OK)
		st = cli_text_edit(c, o.file, o.edit, old.text, old.len, &text, &len);
	if (st == CV_OK && which == WRITE_ADD)
		st = cv_note_write(c->s, argv[i], o.kind, text, len, o.crisis, o.finalize, id,
				   &c->err);
	else if (st == CV_OK && which == WRITE_EDIT)
		st = cv_note_edit(c->s, argv[i], text, len, o.crisis, &c->err);
	else if (st == CV_OK)
		st = cv_note_amend(c->s, argv[i], text, len, o.crisis, id, &c->err);
	if (st != CV_OK) {
		int rc = cli_fail(c);

		resume_cmd(resume, sizeof(resume), which, argv[i], &o);
		cli_keep_text(c, text, len, resume);
		sodium_free(text);
		sodium_free(old.text);
		sodium_free(o.crisis_owned);
		return rc;
	}
	sodium_free(text);
	sodium_free(old.text);
	sodium_free(o.crisis_owned);
	if (c->json)
		cli_json_result(json_pack("{s:s}", "id", which == WRITE_EDIT ? argv[i] : id));
	else if (which == WRITE_EDIT)
		cli_linef(stdout, "updated %s", argv[i]);
	else
		printf("%s\n", id);
	/* The id alone on stdout, for scripts; what became of it, for people. */
	if (!c->json && which == WRITE_ADD && o.finalize)
		cli_linef(stderr, "finalized %s: signed, and immutable from now on", id);
	return CV_OK;
}

int cmd_note_add(struct cli *c, int argc, char **argv)
{
	return write_note(c, argc, argv, WRITE_ADD);
}

int cmd_note_edit(struct cli *c, int argc, char **argv)
{
	return write_note(c, argc, argv, WRITE_EDIT);
}

int cmd_note_amend(struct cli *c, int argc, char **argv)
{
	return write_note(c, argc, argv, WRITE_AMEND);
}

int cmd_note_finalize(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	size_t n, failed = 0;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", none)) != -1)
		if (ch == -2)
			return CV_EUSAGE;
	if (optind >= argc)
		return cli_usage_code(cli_current, "usage.arguments", "give one or more note ids");
	n = (size_t)(argc - optind);
	for (int k = optind; k < argc; k++)
		cv_id_normalize(argv[k]);
	/* The role and the first note are judged as for one note; the
	 * library judges every one inside the transaction. */
	st = cli_setup(c, argv[optind], NULL, NULL);
	if (st == CV_OK)
		st = cv_note_finalize_many(c->s, (const char *const *)argv + optind, n, &failed,
					   &c->err);
	if (st != CV_OK) {
		int rc = cli_fail(c);

		if (n > 1 && !c->json)
			cli_linef(stderr,
				  "note %s could not be finalized, so none of the %zu notes was",
				  argv[optind + (int)failed], n);
		return rc;
	}
	if (c->json) {
		json_t *ids = json_array();

		for (size_t k = 0; k < n; k++)
			json_array_append_new(ids, json_string(argv[optind + (int)k]));
		cli_json_result(json_pack("{s:o}", "ids", ids));
		return CV_OK;
	}
	for (size_t k = 0; k < n; k++)
		cli_linef(stdout, "finalized %s: signed, and immutable from now on",
			  argv[optind + (int)k]);
	return CV_OK;
}

int cmd_note_show(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int ch;

	while ((ch = cli_getopt(argc, argv, "", none)) != -1)
		if (ch == -2)
			return CV_EUSAGE;
	if (cli_id_operand(argc, argv, optind, "give one note id") != 0)
		return CV_EUSAGE;
	if (cli_setup(c, argv[optind], NULL, NULL) != CV_OK)
		return cli_fail(c);
	cli_time_prepare(c);
	if (cv_note_show(c->s, argv[optind], cli_print_note, c, &c->err) != CV_OK)
		return cli_fail(c);
	return CV_OK;
}

int cmd_consent_record(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"by", required_argument, NULL, 'b'},	   {"method", required_argument, NULL, 'm'},
	    {"date", required_argument, NULL, 'd'},	   {"scope", required_argument, NULL, 's'},
	    {"verified-by", required_argument, NULL, 'v'}, {NULL, 0, NULL, 0},
	};
	cv_consent_input in = {0};
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (ch) {
		case -2:
			return CV_EUSAGE;
		case 'b':
			in.by = optarg;
			break;
		case 'm':
			in.method = optarg;
			break;
		case 'd':
			in.date = optarg;
			break;
		case 's':
			in.scopes = optarg;
			break;
		case 'v':
			in.verified_by = optarg;
			break;
		}
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	if (!in.by || !in.method || !in.scopes)
		return cli_usage(cli_current,
				 "--by, --method and --scope are all needed (--date defaults to "
				 "today)");
	if (cli_setup(c, argv[optind], NULL, NULL) != CV_OK ||
	    cv_consent_record(c->s, argv[optind], &in, &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json) {
		cli_json_result(json_pack("{s:s, s:s, s:s}", "id", argv[optind], "by", in.by,
					  "action", "record"));
	} else {
		char by[64];

		cli_word_list(by, sizeof(by), in.by);
		cli_linef(stdout, "recorded %s consent on %s", by, argv[optind]);
	}
	return CV_OK;
}

int cmd_consent_withdraw(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"by", required_argument, NULL, 'b'},
	    {"scope", required_argument, NULL, 's'},
	    {"date", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *by = NULL, *scopes = NULL, *date = NULL;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'b')
			by = optarg;
		else if (ch == 's')
			scopes = optarg;
		else
			date = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	if (cli_setup(c, argv[optind], NULL, NULL) != CV_OK ||
	    cv_consent_withdraw(c->s, argv[optind], by, scopes, date, &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:s, s:o, s:s}", "id", argv[optind], "by",
					  cli_json_opt(by), "action", "withdraw"));
	else
		cli_linef(stdout,
			  "consent withdrawn on %s: no new work until it is recorded again; "
			  "existing records stay",
			  argv[optind]);
	return CV_OK;
}

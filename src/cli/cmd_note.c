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
};

static int parse_write(int argc, char **argv, int with_kind, struct write_opts *o)
{
	static const struct option with[] = {{"kind", required_argument, NULL, 'k'},
					     {"file", required_argument, NULL, 'f'},
					     {"crisis", required_argument, NULL, 'c'},
					     {NULL, 0, NULL, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = cli_getopt(argc, argv, "", with_kind ? with : with + 1)) != -1) {
		if (ch == -2)
			return -1;
		if (ch == 'k')
			o->kind = optarg;
		else if (ch == 'f')
			o->file = optarg;
		else
			o->crisis = optarg;
	}
	if (cli_id_operand(argc, argv, optind,
			   with_kind ? "give one case id" : "give one note id") != 0)
		return -1;
	return optind;
}

/* Reads the acting user's passphrase first, then the text: both may come
 * from standard input, in that order. */
static cv_status session_and_text(struct cli *c, const char *target, const struct write_opts *o,
				  char **text, size_t *len)
{
	*text = NULL;
	if (cli_setup(c, target, o->kind, o->crisis) != CV_OK)
		return c->err.status;
	return cli_text(c, o->file, NULL, 0, text, len);
}

int cmd_note_add(struct cli *c, int argc, char **argv)
{
	struct write_opts o;
	char id[CV_CASE_ID_MAX], *text = NULL;
	size_t len = 0;
	cv_status st;
	int i = parse_write(argc, argv, 1, &o);

	if (i < 0)
		return CV_EUSAGE;
	st = session_and_text(c, argv[i], &o, &text, &len);
	if (st == CV_OK)
		st = cv_note_add(c->s, argv[i], o.kind, text, len, o.crisis, id, &c->err);
	sodium_free(text);
	if (st != CV_OK)
		return cli_fail(c);
	printf("%s\n", id);
	return CV_OK;
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

int cmd_note_edit(struct cli *c, int argc, char **argv)
{
	struct write_opts o;
	struct capture old = {0};
	char *text = NULL;
	size_t len = 0;
	cv_status st;
	int i = parse_write(argc, argv, 0, &o);

	if (i < 0)
		return CV_EUSAGE;
	st = cli_setup(c, argv[i], NULL, o.crisis);
	/* In the editor, start from the current draft (a logged read). */
	if (st == CV_OK && !o.file && isatty(STDIN_FILENO))
		st = cv_note_show(c->s, argv[i], capture_text, &old, &c->err);
	if (st == CV_OK)
		st = cli_text(c, o.file, old.text, old.len, &text, &len);
	if (st == CV_OK)
		st = cv_note_edit(c->s, argv[i], text, len, o.crisis, &c->err);
	sodium_free(old.text);
	sodium_free(text);
	if (st != CV_OK)
		return cli_fail(c);
	cli_linef(stdout, "updated %s", argv[i]);
	return CV_OK;
}

int cmd_note_finalize(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int ch;

	while ((ch = cli_getopt(argc, argv, "", none)) != -1)
		if (ch == -2)
			return CV_EUSAGE;
	if (cli_id_operand(argc, argv, optind, "give one note id") != 0)
		return CV_EUSAGE;
	if (cli_setup(c, argv[optind], NULL, NULL) != CV_OK ||
	    cv_note_finalize(c->s, argv[optind], &c->err) != CV_OK)
		return cli_fail(c);
	cli_linef(stdout, "finalized %s: signed, and immutable from now on", argv[optind]);
	return CV_OK;
}

int cmd_note_amend(struct cli *c, int argc, char **argv)
{
	struct write_opts o;
	char id[CV_CASE_ID_MAX], *text = NULL;
	size_t len = 0;
	cv_status st;
	int i = parse_write(argc, argv, 0, &o);

	if (i < 0)
		return CV_EUSAGE;
	st = session_and_text(c, argv[i], &o, &text, &len);
	if (st == CV_OK)
		st = cv_note_amend(c->s, argv[i], text, len, o.crisis, id, &c->err);
	sodium_free(text);
	if (st != CV_OK)
		return cli_fail(c);
	printf("%s\n", id);
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
	if (cli_setup(c, argv[optind], NULL, NULL) != CV_OK ||
	    cv_note_show(c->s, argv[optind], cli_print_note, c, &c->err) != CV_OK)
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
	cli_linef(stdout, "recorded %s consent on %s", in.by, argv[optind]);
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
	cli_linef(stdout,
		  "consent withdrawn on %s: no new work until it is recorded again; existing "
		  "records stay",
		  argv[optind]);
	return CV_OK;
}

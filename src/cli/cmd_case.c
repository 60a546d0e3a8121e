/*
 * cmd_case.c - `casevault case open|list|show|find|close|reopen|share|
 * handover|shred`.
 */
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

static json_t *case_json(const cv_case_info *i)
{
	return json_pack(
	    "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, "
	    "s:o}",
	    "id", cli_json_opt(i->id), "status", cli_json_opt(i->status), "opened_at",
	    cli_json_opt(i->opened_at), "closed_at", cli_json_opt(i->closed_at), "opened_by",
	    cli_json_opt(i->opened_by), "student_id", cli_json_opt(i->student_id), "name",
	    cli_json_opt(i->name), "gender", cli_json_opt(i->gender), "grade", (int)i->grade,
	    "class", cli_json_opt(i->class_name), "category", cli_json_opt(i->category), "born",
	    cli_json_opt(i->born), "guardian", cli_json_opt(i->guardian), "guardian_phone",
	    cli_json_opt(i->guardian_phone), "minor", i->minor, "student_consent",
	    cli_json_opt(i->student_consent), "guardian_consent", cli_json_opt(i->guardian_consent),
	    "consent_withdrawn_on", cli_json_opt(i->withdrawn_on));
}

static int print_case_line(const cv_case_info *i, void *arg)
{
	struct cli *c = arg;

	char grade[32], opened[48], day[CLI_TIME_MAX];

	if (c->json) {
		cli_list_add(c, case_json(i));
		return 0;
	}
	snprintf(grade, sizeof(grade), _("grade %u"), i->grade);
	snprintf(opened, sizeof(opened), _("opened %.10s"), cli_date(c, i->opened_at, day));
	{
		const char *cells[] = {i->id, cli_word(i->status),   i->name,
				       grade, cli_word(i->category), opened};

		cli_table_row(c->table, cells);
	}
	return 0;
}

/* The width of a label of case show (then one blank): the record lines'
 * labels ("  consent   ", in the catalog) are as wide. */
#define LABEL_COLS 9

static int print_case_full(const cv_case_info *i, void *arg)
{
	struct cli *c = arg;
	char student[256], guardian[256], label[64];
	char opened[CLI_TIME_MAX], closed[CLI_TIME_MAX];

	if (c->json)
		return 0; /* case show --json collects everything into one object */
	cli_linef(stdout, "%s  %s  opened %.10s by %s%s%.10s", i->id, cli_word(i->status),
		  cli_date(c, i->opened_at, opened), i->opened_by,
		  i->closed_at[0] ? _(", closed ") : "", cli_date(c, i->closed_at, closed));
	/* The labels padded by display width (a Chinese character is two
	 * columns), so the values line up with the record lines below. */
	cli_linef(stdout, "  %s %s (%s), %s, grade %u, class %s",
		  cli_pad(label, sizeof(label), _("student"), LABEL_COLS), i->name, i->student_id,
		  cli_word(i->gender), i->grade, i->class_name);
	cli_linef(stdout, "  %s %s%s", cli_pad(label, sizeof(label), _("born"), LABEL_COLS),
		  i->born[0] ? i->born : _("not given"),
		  i->minor ? _(" (minor: guardian consent needed too)") : "");
	cli_linef(stdout, "  %s %s", cli_pad(label, sizeof(label), _("category"), LABEL_COLS),
		  cli_word(i->category));
	if (i->guardian[0])
		cli_linef(stdout, "  %s %s %s",
			  cli_pad(label, sizeof(label), _("guardian"), LABEL_COLS), i->guardian,
			  i->guardian_phone);
	cli_word_list(student, sizeof(student), i->student_consent);
	cli_word_list(guardian, sizeof(guardian), i->guardian_consent);
	cli_linef(stdout, "  %s student: %s; guardian: %s%s%s",
		  cli_pad(label, sizeof(label), _("consent"), LABEL_COLS),
		  student[0] ? student : _("none"), guardian[0] ? guardian : _("none"),
		  i->withdrawn_on[0] ? _("; withdrawn on ") : "", i->withdrawn_on);
	return 0;
}

/* ---- case open: the identity from a form or the terminal ----------------- */

/* The keys of a case form, in the order the terminal asks them. */
static const char *const form_keys[] = {"student-id", "name", "class",	  "gender",	    "grade",
					"category",   "born", "guardian", "guardian-phone", NULL};

/* The fixed word a form value or an answer stands for (女 for F). */
static const char *canon(cv_wordset set, const char *v)
{
	const char *w = v ? cli_alias(set, v, strlen(v)) : NULL;

	return w ? w : v;
}

/* What a form value or an answer must be, and its message; NULL when it
 * is fine.  out receives the message. */
static const char *bad_value(const char *key, const char *v, char *out, size_t cap)
{
	static const struct {
		const char *key;
		cv_wordset set;
		const char *what;
	} words[] = {{"gender", CV_WORDS_GENDER, N_("gender")},
		     {"category", CV_WORDS_CATEGORY, N_("problem category")}};
	unsigned n;

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		const char *const *w = cv_words(words[i].set, NULL);
		char list[320];

		if (strcmp(key, words[i].key) != 0)
			continue;
		if (cli_alias(words[i].set, v, strlen(v)))
			return NULL; /* 情绪 for emotion: words.c */
		for (size_t k = 0; w[k]; k++)
			if (strcmp(w[k], v) == 0)
				return NULL;
		cli_word_choices(w, list, sizeof(list));
		snprintf(out, cap, _("'%.40s' is not a %s; use %s"), v, _(words[i].what), list);
		return out;
	}
	if (strcmp(key, "grade") == 0 &&
	    (cli_parse_u32(v, &n) != 0 || n < CV_GRADE_MIN || n > CV_GRADE_MAX)) {
		snprintf(out, cap, _("the grade is a number from %u to %u, not '%.40s'"),
			 CV_GRADE_MIN, CV_GRADE_MAX, v);
		return out;
	}
	if (strcmp(key, "born") == 0 && *v && !cv_time_valid(v, 0)) {
		snprintf(out, cap, _("'%.40s' is not a date; use YYYY-MM-DD"), v);
		return out;
	}
	return NULL;
}

static int required(const char *key)
{
	return strcmp(key, "born") != 0 && strcmp(key, "guardian") != 0 &&
	       strcmp(key, "guardian-phone") != 0;
}

/* The fields the options left open, read from the form. */
static cv_status fields_from_form(struct cli *c, const char *path, const char **val,
				  struct cli_form *f)
{
	const char *what = strcmp(path, "-") == 0 ? _("the form on standard input") : path;
	char why[512];

	if (cli_form_read(c, path, form_keys, f) != CV_OK)
		return c->err.status;
	for (size_t i = 0; form_keys[i]; i++) {
		const char *v = cli_form_get(f, form_keys[i]);

		if (v && val[i])
			return cv_err_set(
			    &c->err, CV_EUSAGE,
			    _("%s, line %zu: '%s' is given by --%s too; give it once"), what,
			    cli_form_line(f, form_keys[i]), form_keys[i], form_keys[i]);
		if (v && bad_value(form_keys[i], v, why, sizeof(why)))
			return cv_err_set(&c->err, CV_EUSAGE, _("%s, line %zu: %s"), what,
					  cli_form_line(f, form_keys[i]), why);
		if (v && !*v && required(form_keys[i]))
			return cv_err_set(&c->err, CV_EUSAGE, _("%s, line %zu: '%s' is empty"),
					  what, cli_form_line(f, form_keys[i]), form_keys[i]);
		if (v)
			val[i] = v;
	}
	for (size_t i = 0; form_keys[i]; i++)
		if (!val[i] && required(form_keys[i]))
			return cv_err_set(
			    &c->err, CV_EUSAGE,
			    _("%s has no '%s'; the form needs student-id, name, class, "
			      "gender, grade and category (born, guardian and "
			      "guardian-phone may follow)"),
			    what, form_keys[i]);
	return CV_OK;
}

/* The fields the options left open, asked at the terminal. */
static cv_status fields_from_terminal(struct cli *c, const char **val, char **owned)
{
	static const char *const questions[] = {
	    N_("Student number: "),
	    N_("Name: "),
	    N_("Class: "),
	    N_("Gender (F, M or X): "),
	    N_("Grade (1-12): "),
	    N_("Problem category (academic, emotion, relationships, family, adolescence, "
	       "behavior, self-harm-risk, other): "),
	    N_("Born (YYYY-MM-DD, empty if not known): "),
	    N_("Guardian (empty if none): "),
	    N_("Guardian's phone: ")};
	char why[512];

	for (size_t i = 0; form_keys[i]; i++) {
		if (val[i])
			continue;
		if (strcmp(form_keys[i], "guardian-phone") == 0 && !*val[i - 1])
			break;
		for (;;) {
			if (cli_ask(c, questions[i], &owned[i]) != CV_OK)
				return c->err.status;
			if (!*owned[i] && required(form_keys[i])) {
				fprintf(stderr, _("this one is needed\n"));
			} else if (bad_value(form_keys[i], owned[i], why, sizeof(why))) {
				fprintf(stderr, "%s\n", why);
			} else {
				val[i] = owned[i];
				break;
			}
			sodium_free(owned[i]);
			owned[i] = NULL;
		}
	}
	return CV_OK;
}

int cmd_case_open(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"gender", required_argument, NULL, 'g'},
	    {"grade", required_argument, NULL, 'G'},
	    {"category", required_argument, NULL, 'C'},
	    {"form", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	const char *val[ARRAY_SIZE(form_keys)] = {NULL}, *form = NULL;
	char *owned[ARRAY_SIZE(form_keys)] = {NULL};
	struct cli_form f = {0};
	cv_case_input in = {0};
	char id[CV_CASE_ID_MAX];
	cv_status st;
	int ch, dup = 0;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (ch) {
		case -2:
			return CV_EUSAGE;
		case 'g':
			val[3] = optarg;
			break;
		case 'G':
			val[4] = optarg;
			break;
		case 'C':
			val[5] = optarg;
			break;
		case 'f':
			form = optarg;
			break;
		}
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (!form && !isatty(STDIN_FILENO))
		return cli_usage(
		    cli_current,
		    "give the student's details in a form with --form FILE (or "
		    "--form - on standard input), or run it at a terminal to be asked; "
		    "they never go on the command line");
	/* A form in a file is checked before the passphrase is asked; one on
	 * standard input follows the passphrase there. */
	st = form && strcmp(form, "-") != 0 ? fields_from_form(c, form, val, &f) : CV_OK;
	if (st == CV_OK)
		st = cli_session(c);
	if (st == CV_OK && form && strcmp(form, "-") == 0)
		st = fields_from_form(c, form, val, &f);
	if (st == CV_OK && !form)
		st = fields_from_terminal(c, val, owned);
	if (st == CV_OK) {
		in.student_id = val[0];
		in.name = val[1];
		in.class_name = val[2];
		in.gender = canon(CV_WORDS_GENDER, val[3]);
		(void)cli_parse_u32(val[4], &in.grade); /* checked as an option or a field */
		in.category = canon(CV_WORDS_CATEGORY, val[5]);
		in.born = val[6] && *val[6] ? val[6] : NULL;
		in.guardian = val[7] && *val[7] ? val[7] : NULL;
		in.guardian_phone = val[8] && *val[8] ? val[8] : NULL;
		st = cv_case_open(c->s, &in, id, &dup, &c->err);
	}
	cli_form_free(&f);
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
		sodium_free(owned[i]);
	if (st != CV_OK)
		return cli_fail(c);
	if (c->json) {
		cli_json_result(json_pack("{s:s, s:i}", "id", id, "other_open_cases", dup));
		return CV_OK;
	}
	if (dup)
		fprintf(stderr,
			_("warning: this student already has %d other open case(s); see 'casevault "
			  "case find'\n"),
			dup);
	cli_linef(stdout, "%s", id);
	return CV_OK;
}

/* Parses a command taking exactly `npos` operands (missing: the error
 * when there are fewer) and the given flags (each a no-argument long
 * option setting an int); the index of the first operand, or -1. */
static int positional(int argc, char **argv, int npos, const char *missing,
		      const struct option *longopts)
{
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1)
		if (ch == -2)
			return -1;
	if (cli_operands(argc, argv, optind, npos, missing) != 0)
		return -1;
	/* The first operand is a case id in every command that uses this. */
	if (npos > 0)
		cv_id_normalize(argv[optind]);
	return optind;
}

int cmd_case_list(struct cli *c, int argc, char **argv)
{
	int all = 0;
	const struct option longopts[] = {{"all", no_argument, &all, 1}, {NULL, 0, NULL, 0}};

	struct cli_table t = {6};
	cv_status st;

	if (positional(argc, argv, 0, "", longopts) < 0)
		return CV_EUSAGE;
	cli_list_begin(c, &t);
	st = cli_session(c);
	if (st == CV_OK) {
		cli_time_prepare(c);
		st = cv_case_list(c->s, all, print_case_line, c, &c->err);
	}
	return cli_list_end_or(c, &t, st, all ? _("no cases") : _("no open cases"));
}

int cmd_case_find(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	const char *sid = "-";
	struct cli_table t = {6};
	char *owned = NULL;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", none)) != -1)
		if (ch == -2)
			return CV_EUSAGE;
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	/* The student's number is asked, or read from standard input (after
	 * the passphrase there): never an argument. */
	st = cli_session(c);
	if (st == CV_OK)
		cli_time_prepare(c);
	if (st == CV_OK && isatty(STDIN_FILENO)) {
		st = cli_ask(c, "Student number: ", &owned);
		sid = owned;
	} else if (st == CV_OK) {
		st = cli_stdin_arg(c, N_("the student number"), &sid, &owned);
	}
	cli_list_begin(c, &t);
	if (st == CV_OK)
		st = cv_case_find(c->s, sid, print_case_line, c, &c->err);
	sodium_free(owned);
	return cli_list_end_or(c, &t, st, _("no cases match"));
}

/* ---- case show: text, or one JSON object --------------------------------- */

struct show {
	struct cli *c;
	json_t *root, *consent, *notes, *tests, *referrals, *followups, *watch;
	size_t notes_seen, tests_seen; /* so that an empty list can say so */
};

static int show_case(const cv_case_info *i, void *arg)
{
	struct show *x = arg;

	if (x->c->json) {
		x->root = case_json(i);
		return 0;
	}
	return print_case_full(i, x->c);
}

static int show_consent(const cv_consent_event *e, void *arg)
{
	struct show *x = arg;
	char scopes[256];

	if (x->c->json) {
		json_array_append_new(
		    x->consent,
		    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "action",
			      cli_json_opt(e->action), "by", cli_json_opt(e->by), "method",
			      cli_json_opt(e->method), "date", cli_json_opt(e->date), "scopes",
			      cli_json_opt(e->scopes), "verified_by", cli_json_opt(e->verified_by),
			      "recorded_by", cli_json_opt(e->recorded_by)));
		return 0;
	}
	cli_word_list(scopes, sizeof(scopes), e->scopes);
	/* A withdrawal has no method. */
	if (e->method[0])
		cli_linef(stdout, "  consent   %s %s by %s, %s, %s (verified by %s)", e->date,
			  cli_word(e->action), cli_word(e->by), cli_word(e->method), scopes,
			  e->verified_by[0] ? e->verified_by : e->recorded_by);
	else
		cli_linef(stdout, "  consent   %s %s by %s, %s (verified by %s)", e->date,
			  cli_word(e->action), cli_word(e->by), scopes,
			  e->verified_by[0] ? e->verified_by : e->recorded_by);
	return 0;
}

static json_t *note_json(const cv_note_info *n)
{
	/* The text is null where it is not shown (note list, case show
	 * without --notes). */
	return json_pack(
	    "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:b, s:b, s:b, s:o}", "id",
	    cli_json_opt(n->id), "case", cli_json_opt(n->case_id), "kind", cli_json_opt(n->kind),
	    "status", cli_json_opt(n->status), "author", cli_json_opt(n->author), "created_at",
	    cli_json_opt(n->created_at), "updated_at", cli_json_opt(n->updated_at), "amends",
	    cli_json_opt(n->amends), "version", (json_int_t)n->version, "overdue", n->overdue,
	    "signature_ok", n->signature_ok, "before_consent_withdrawal", n->after_withdrawal,
	    "text", n->text ? cli_json_strn(n->text, n->text_len) : json_null());
}

static void note_line(struct cli *c, const cv_note_info *n)
{
	char day[CLI_TIME_MAX], kind[64], status[64];

	/* The kind and the status padded by display width: the widest in
	 * English, and no Chinese one is wider. */
	cli_linef(stdout, "  note      %s %s %s %.10s %s%s%s%s%s%s", n->id,
		  cli_pad(kind, sizeof(kind), cli_word(n->kind), 8),
		  cli_pad(status, sizeof(status), cli_word(n->status), 5),
		  cli_date(c, n->created_at, day), n->author, n->amends[0] ? _(" amends ") : "",
		  n->amends, n->overdue ? _(" OVERDUE (draft past the archive deadline)") : "",
		  !n->signature_ok ? _(" SIGNATURE INVALID") : "",
		  n->after_withdrawal ? _(" [written before consent was withdrawn]") : "");
}

static int show_note(const cv_note_info *n, void *arg)
{
	struct show *x = arg;

	x->notes_seen++;
	if (x->c->json) {
		json_array_append_new(x->notes, note_json(n));
		return 0;
	}
	note_line(x->c, n);
	/* case show --notes: the text, each line indented under its note. */
	for (size_t i = 0; n->text && i < n->text_len;) {
		const char *nl = memchr(n->text + i, '\n', n->text_len - i);
		size_t end = nl ? (size_t)(nl - n->text) : n->text_len;

		fputs("            | ", stdout);
		cli_put_text(stdout, n->text + i, end - i, 1);
		putchar('\n');
		i = end + 1;
	}
	return 0;
}

static int show_test(const cv_test_info *t, void *arg)
{
	struct show *x = arg;
	char day[CLI_TIME_MAX];

	x->tests_seen++;
	if (x->c->json) {
		json_array_append_new(
		    x->tests,
		    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "id", cli_json_opt(t->id),
			      "created_at", cli_json_opt(t->created_at), "author",
			      cli_json_opt(t->author), "scale", cli_json_opt(t->scale), "score",
			      cli_json_opt(t->score), "notes", cli_json_opt(t->notes),
			      "under_crisis", t->crisis));
		return 0;
	}
	/* TRANSLATORS: between a test's score and its notes in case show. */
	cli_linef(stdout, "  test      %s %.10s %s: %s%s%s", t->id,
		  cli_date(x->c, t->created_at, day), t->scale, t->score,
		  t->notes[0] ? _(" -- ") : "", t->notes);
	return 0;
}

static json_t *referral_json(const cv_referral_info *r)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "id",
			 cli_json_opt(r->id), "case", cli_json_opt(r->case_id), "date",
			 cli_json_opt(r->date), "to", cli_json_opt(r->to), "to_type",
			 cli_json_opt(r->to_type), "reason", cli_json_opt(r->reason), "urgency",
			 cli_json_opt(r->urgency), "disclosed", cli_json_opt(r->disclosed),
			 "status", cli_json_opt(r->status), "last_update",
			 cli_json_opt(r->last_update), "due", cli_json_opt(r->due), "overdue",
			 r->overdue, "under_crisis", r->crisis);
}

static void referral_line(const cv_referral_info *r, const char *indent)
{
	cli_linef(stdout, "%s%s %s %s %s [%s] (%s, %s) %s%s%s%s", indent, r->id, r->case_id,
		  r->date, r->to, cli_word(r->to_type), cli_word(r->reason), cli_word(r->urgency),
		  cli_word(r->status), r->due[0] ? _(", follow-up due ") : "", r->due,
		  r->overdue ? _(" OVERDUE") : "");
}

static int show_referral(const cv_referral_info *r, void *arg)
{
	struct show *x = arg;

	if (x->c->json) {
		json_array_append_new(x->referrals, referral_json(r));
		return 0;
	}
	/* TRANSLATORS: the label of a referral in case show, as wide as
	 * the other labels there ("  consent   "): ten columns after the
	 * indent, a Chinese character taking two. */
	referral_line(r, _("  referral  "));
	cli_linef(stdout, "            disclosed: %s%s", r->disclosed,
		  r->crisis ? _(" (under the crisis exception)") : "");
	return 0;
}

static int show_followup(const cv_followup_info *f, void *arg)
{
	struct show *x = arg;

	if (x->c->json) {
		json_array_append_new(
		    x->followups,
		    json_pack("{s:o, s:o, s:o, s:o, s:o}", "referral", cli_json_opt(f->referral_id),
			      "date", cli_json_opt(f->date), "status", cli_json_opt(f->status),
			      "note", cli_json_opt(f->note), "author", cli_json_opt(f->author)));
		return 0;
	}
	cli_linef(stdout, "  followup  %s %s %s %s", f->referral_id, f->date, cli_word(f->status),
		  f->note);
	return 0;
}

static json_t *watch_json(const cv_watch_info *w)
{
	return json_pack("{s:o, s:o, s:o, s:i, s:o, s:o, s:b}", "case", cli_json_opt(w->case_id),
			 "name", cli_json_opt(w->name), "tag", cli_json_opt(w->tag), "every_days",
			 (int)w->every_days, "due", cli_json_opt(w->due), "last_done",
			 cli_json_opt(w->last_done), "overdue", w->overdue);
}

static int show_watch(const cv_watch_info *w, void *arg)
{
	struct show *x = arg;

	if (x->c->json)
		json_array_append_new(x->watch, watch_json(w));
	else
		cli_linef(stdout, "  register  %s every %ud, next follow-up %s%s", cli_word(w->tag),
			  w->every_days, w->due, w->overdue ? _(" OVERDUE") : "");
	return 0;
}

/* What a reading of a case prints under --json: the case with every
 * list, its consent, or one of its lists alone. */
enum show_doc { DOC_CASE, DOC_CONSENT, DOC_NOTES, DOC_TESTS };

/* The JSON document of a reading: x's arrays are given, not copied. */
static json_t *show_doc(struct show *x, enum show_doc doc, int tests)
{
	json_t *o;

	if (doc == DOC_NOTES)
		return json_incref(x->notes);
	if (doc == DOC_TESTS)
		return json_incref(x->tests);
	if (!x->root)
		return NULL;
	if (doc == DOC_CONSENT) {
		/* The consent in force and its history: the keys of case
		 * show, the case named "case" as in a note or a referral. */
		o = json_pack(
		    "{s:O, s:O, s:O, s:O, s:O, s:O}", "case", json_object_get(x->root, "id"),
		    "minor", json_object_get(x->root, "minor"), "student_consent",
		    json_object_get(x->root, "student_consent"), "guardian_consent",
		    json_object_get(x->root, "guardian_consent"), "consent_withdrawn_on",
		    json_object_get(x->root, "consent_withdrawn_on"), "consent", x->consent);
		return o;
	}
	o = json_incref(x->root);
	json_object_set(o, "consent", x->consent);
	json_object_set(o, "notes", x->notes);
	/* Tests are read only when asked for: null, not an empty list. */
	json_object_set_new(o, "tests",
			    tests & CV_SHOW_TESTS ? json_incref(x->tests) : json_null());
	json_object_set(o, "referrals", x->referrals);
	json_object_set(o, "followups", x->followups);
	json_object_set(o, "register", x->watch);
	return o;
}

static int run_show(struct cli *c, const char *id, int tests, const char *as_of,
		    const cv_case_visitor *vis, enum show_doc doc)
{
	struct show x = {
	    c,		 NULL, json_array(), json_array(), json_array(), json_array(), json_array(),
	    json_array()};
	cv_status st = CV_OK;

	if (cli_setup(c, id, NULL, NULL) != CV_OK) {
		st = c->err.status;
	} else {
		cli_time_prepare(c);
		st = cv_case_show(c->s, id, tests, as_of, vis, &x, &c->err);
	}
	if (st == CV_OK && c->json) {
		json_t *o = show_doc(&x, doc, tests);

		if (o)
			cli_json_line(o);
		else
			st = cv_err_set(&c->err, CV_ERROR, "%s", _("out of memory"));
	}
	/* In text, an empty list says so (under --json: an empty array). */
	if (st == CV_OK && !c->json && doc == DOC_NOTES && x.notes_seen == 0)
		cli_linef(stdout, "no notes on case %s", id);
	if (st == CV_OK && !c->json && doc == DOC_TESTS && x.tests_seen == 0)
		cli_linef(stdout, "no test results on case %s", id);
	json_decref(x.root);
	json_decref(x.consent);
	json_decref(x.notes);
	json_decref(x.tests);
	json_decref(x.referrals);
	json_decref(x.followups);
	json_decref(x.watch);
	return st == CV_OK ? CV_OK : cli_fail(c);
}

int cmd_case_show(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {{"include-tests", no_argument, NULL, 't'},
						 {"notes", no_argument, NULL, 'n'},
						 {"as-of", required_argument, NULL, 'a'},
						 {NULL, 0, NULL, 0}};
	static const cv_case_visitor vis = {show_case,	   show_consent,  show_note, show_test,
					    show_referral, show_followup, show_watch};
	const char *as_of = NULL;
	int ch, tests = 0;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 't')
			tests |= CV_SHOW_TESTS;
		else if (ch == 'n')
			tests |= CV_SHOW_NOTES;
		else
			as_of = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	return run_show(c, argv[optind], tests, as_of, &vis, DOC_CASE);
}

int cmd_consent_show(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	static const cv_case_visitor vis = {show_case, show_consent};
	int i = positional(argc, argv, 1, N_("give one case id"), none);

	return i < 0 ? CV_EUSAGE : run_show(c, argv[i], 0, NULL, &vis, DOC_CONSENT);
}

int cmd_note_list(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {{"as-of", required_argument, NULL, 'a'},
						 {NULL, 0, NULL, 0}};
	static const cv_case_visitor vis = {NULL, NULL, show_note};
	const char *as_of = NULL;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		as_of = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	return run_show(c, argv[optind], 0, as_of, &vis, DOC_NOTES);
}

int cmd_test_list(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	static const cv_case_visitor vis = {NULL, NULL, NULL, show_test};
	int i = positional(argc, argv, 1, N_("give one case id"), none);

	return i < 0 ? CV_EUSAGE : run_show(c, argv[i], 1, NULL, &vis, DOC_TESTS);
}

int cli_print_note(const cv_note_info *n, void *arg);
int cli_print_referral(const cv_referral_info *r, void *arg);
int cli_print_watch(const cv_watch_info *w, void *arg);

int cli_print_note(const cv_note_info *n, void *arg)
{
	struct cli *c = arg;
	char written[CLI_TIME_MAX], signed_at[CLI_TIME_MAX];

	if (c->json) {
		cli_json_line(note_json(n));
		return 0;
	}
	cli_linef(stdout, "%s  case %s  %s  %s  by %s  written %s%s%s", n->id, n->case_id,
		  cli_word(n->kind), cli_word(n->status), n->author,
		  cli_time(c, n->created_at, written), n->amends[0] ? _("  amends ") : "",
		  n->amends);
	if (strcmp(n->status, "final") == 0)
		cli_linef(stdout, "signed %s: %s", cli_time(c, n->updated_at, signed_at),
			  n->signature_ok ? _("signature verified")
					  : _("SIGNATURE DOES NOT VERIFY"));
	if (n->after_withdrawal)
		printf(_("consent was withdrawn after this note was written\n"));
	putchar('\n');
	/* Another counselor's note must not drive this terminal. */
	cli_put_text(stdout, n->text, n->text_len, 1);
	if (n->text_len && n->text[n->text_len - 1] != '\n')
		putchar('\n');
	return 0;
}

int cli_print_referral(const cv_referral_info *r, void *arg)
{
	struct cli *c = arg;
	char why[96], due[40];

	if (c->json) {
		cli_list_add(c, referral_json(r));
		return 0;
	}
	/* TRANSLATORS: a referral's reason and urgency in referral list. */
	snprintf(why, sizeof(why), _("(%s, %s)"), cli_word(r->reason), cli_word(r->urgency));
	snprintf(due, sizeof(due), "%s%s", r->due[0] ? _("follow-up due ") : "", r->due);
	{
		const char *cells[] = {
		    r->id, r->case_id,		r->date, r->to,
		    why,   cli_word(r->status), due,	 r->overdue ? _("OVERDUE") : ""};

		cli_table_row(c->table, cells);
	}
	return 0;
}

int cli_print_watch(const cv_watch_info *w, void *arg)
{
	struct cli *c = arg;

	if (c->json) {
		cli_list_add(c, watch_json(w));
		return 0;
	}
	{
		char every[24], next[24], last[24];
		const char *cells[] = {w->case_id,
				       w->name,
				       cli_word(w->tag),
				       every,
				       next,
				       last,
				       w->overdue ? _("OVERDUE") : ""};

		snprintf(every, sizeof(every), _("every %ud"), w->every_days);
		snprintf(next, sizeof(next), _("next %s"), w->due);
		snprintf(last, sizeof(last), "%s%s", w->last_done[0] ? _("last ") : "",
			 w->last_done);
		cli_table_row(c->table, cells);
	}
	return 0;
}

/* ---- state changes -------------------------------------------------------- */

int cmd_case_close(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int i = positional(argc, argv, 1, N_("give one case id"), none);

	if (i < 0)
		return CV_EUSAGE;
	if (cli_setup(c, argv[i], NULL, NULL) != CV_OK ||
	    cv_case_close(c->s, argv[i], &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:s, s:s}", "id", argv[i], "status", "closed"));
	else
		cli_linef(stdout, "closed %s", argv[i]);
	return CV_OK;
}

int cmd_case_reopen(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int i = positional(argc, argv, 1, N_("give one case id"), none);

	if (i < 0)
		return CV_EUSAGE;
	if (cli_setup(c, argv[i], NULL, NULL) != CV_OK ||
	    cv_case_reopen(c->s, argv[i], &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:s, s:s}", "id", argv[i], "status", "open"));
	else
		cli_linef(stdout, "reopened %s", argv[i]);
	return CV_OK;
}

int cmd_case_share(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int i = positional(argc, argv, 2, N_("give a case id and the counselor to share it with"),
			   none);

	if (i < 0)
		return CV_EUSAGE;
	if (cli_setup(c, argv[i], NULL, NULL) != CV_OK ||
	    cv_case_share(c->s, argv[i], argv[i + 1], &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(
		    json_pack("{s:s, s:o}", "id", argv[i], "user", cli_json_str(argv[i + 1])));
	else
		cli_linef(stdout, "shared %s with '%s'", argv[i], argv[i + 1]);
	return CV_OK;
}

/* Logs in, then reads the recovery code (the next secret after the
 * admin's passphrase). */
static cv_status session_and_code(struct cli *c, const char *target, char **code)
{
	*code = NULL;
	if (cli_setup(c, target, NULL, NULL) != CV_OK)
		return c->err.status;
	return cli_recovery_code(c, code);
}

int cmd_case_handover(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {{"to", required_argument, NULL, 't'},
						 {NULL, 0, NULL, 0}};
	const char *to = NULL;
	char *code = NULL;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		to = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	if (!to)
		return cli_usage(cli_current,
				 "name the counselor who takes the case with --to USER");
	st = cli_setup(c, argv[optind], NULL, NULL);
	/* The counselor named is checked before the recovery code is asked. */
	if (st == CV_OK)
		st = cv_may_hand_over(c->s, argv[optind], to, &c->err);
	if (st == CV_OK)
		st = cli_recovery_code(c, &code);
	if (st == CV_OK)
		st = cv_case_handover(c->s, argv[optind], to, code, &c->err);
	sodium_free(code);
	if (st != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(
		    json_pack("{s:s, s:o}", "id", argv[optind], "user", cli_json_str(to)));
	else
		cli_linef(stdout, "handed %s over to '%s'", argv[optind], to);
	return CV_OK;
}

int cmd_case_shred(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {{"reason", required_argument, NULL, 'r'},
						 {NULL, 0, NULL, 0}};
	const char *reason = NULL;
	char *code = NULL, *owned = NULL;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		reason = optarg;
	}
	if (cli_id_operand(argc, argv, optind, "give one case id") != 0)
		return CV_EUSAGE;
	if (!reason)
		return cli_usage(cli_current,
				 "give the reason for destroying the case with --reason "
				 "TEXT");
	/* On standard input: the passphrase, the recovery code, then the
	 * reason when it is "-". */
	st = session_and_code(c, argv[optind], &code);
	if (st == CV_OK)
		st = cli_stdin_arg(c, "--reason -", &reason, &owned);
	if (st == CV_OK)
		st = cv_case_shred(c->s, argv[optind], reason, code, &c->err);
	sodium_free(code);
	sodium_free(owned);
	if (st != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:s, s:s}", "id", argv[optind], "status", "shredded"));
	else
		cli_linef(stdout, "shredded %s: every copy of its key is destroyed", argv[optind]);
	return CV_OK;
}

/*
 * cmd_due.c - `casevault due`: what needs doing today on the acting
 * counselor's cases, in three sections, each saying so when it is empty.
 */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

/*
 * The sections, in cv_due_kind order (index kind - 1).  date labels the
 * item's date, in the context "due" (label() translates it): "written"
 * is also a consent method, translated otherwise.  words says whether
 * the item's what is a fixed word (a note's kind, a register tag), shown
 * as cli_word shows it, or free text (an institution, a user's name).
 */
static const struct {
	const char *title, *none, *json, *date;
	int words;
} sections[] = {
    {N_("Drafts near or past the archive deadline"), N_("no drafts near the archive deadline"),
     "drafts", NC_("due", "deadline"), 1},
    {N_("Referrals awaiting follow-up"), N_("no overdue referrals"), "referrals",
     NC_("due", "follow-up due"), 0},
    {N_("Register follow-ups due"), N_("no register follow-ups due"), "register", NC_("due", "due"),
     1},
    {N_("Break-glass events not yet reviewed"), N_("no unreviewed break-glass events"), "crises",
     NC_("due", "written"), 0},
};

struct due_out {
	struct cli *c;
	struct cli_table t[4];
	json_t *j[4];
	int supervisor;
};

/* A date label of sections[], translated in its context "due". */
static const char *label(const char *word)
{
	char key[64];
	const char *t;

	if (strlen(word) + sizeof("due") + 1 > sizeof(key))
		return word;
	snprintf(key, sizeof(key), "due\004%s", word);
	t = _(key);
	return t == key ? word : t;
}

static void when(long days, char *out, size_t cap)
{
	if (days == 0)
		snprintf(out, cap, "%s", _("today"));
	else if (days > 0)
		snprintf(out, cap,
			 dngettext(CV_TEXTDOMAIN, "in %ld day", "in %ld days", (unsigned long)days),
			 days);
	else
		snprintf(out, cap,
			 dngettext(CV_TEXTDOMAIN, "%ld day overdue", "%ld days overdue",
				   (unsigned long)-days),
			 -days);
}

static int on_due(const cv_due_item *d, void *arg)
{
	struct due_out *x = arg;
	size_t k = (size_t)d->kind - 1;
	char date[48], late[40];

	if (k >= ARRAY_SIZE(sections))
		return 0;
	x->supervisor = d->kind == CV_DUE_CRISIS;
	if (x->c->json) {
		json_array_append_new(
		    x->j[k], json_pack("{s:o, s:o, s:o, s:o, s:o, s:I}", "case",
				       cli_json_opt(d->case_id), "name", cli_json_opt(d->name),
				       "id", cli_json_opt(d->id), "what", cli_json_opt(d->what),
				       "due", cli_json_opt(d->due), "days", (json_int_t)d->days));
		return 0;
	}
	snprintf(date, sizeof(date), "%s %s", label(sections[k].date), d->due);
	when(d->days, late, sizeof(late));
	{
		const char *cells[] = {d->case_id, d->name,
				       d->id,	   sections[k].words ? cli_word(d->what) : d->what,
				       date,	   late};

		cli_table_row(&x->t[k], cells);
	}
	return 0;
}

int cmd_due(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {{"as-of", required_argument, NULL, 'a'},
						 {NULL, 0, NULL, 0}};
	struct due_out x = {c, {{6}, {6}, {6}, {6}}, {NULL}, 0};
	const char *as_of = NULL;
	char today[11];
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		as_of = optarg;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	/* Made after the options, so that a usage error leaks nothing. */
	for (size_t k = 0; k < ARRAY_SIZE(x.j); k++)
		x.j[k] = json_array();
	st = cli_session(c);
	if (st == CV_OK)
		st = cv_due(c->s, as_of, on_due, &x, &c->err);
	if (st == CV_OK && !as_of) {
		st = cv_session_today(c->s, today, &c->err);
		as_of = today;
	}
	/* A supervisor's list has the one section; a counselor's the others. */
	if (st == CV_OK)
		x.supervisor = x.supervisor || cv_session_role(c->s) == CV_ROLE_SUPERVISOR;
	if (st == CV_OK && c->json) {
		json_t *o = json_pack("{s:s}", "as_of", as_of);

		/* Every section's key is there: a list, or null for the
		 * sections of the other role. */
		for (size_t k = 0; o && k < ARRAY_SIZE(sections); k++)
			json_object_set_new(o, sections[k].json,
					    (k == CV_DUE_CRISIS - 1) == x.supervisor
						? json_incref(x.j[k])
						: json_null());
		cli_json_line(o);
	} else if (st == CV_OK) {
		cli_linef(stdout, "What needs doing by %s, for %s:", as_of, c->user);
		for (size_t k = 0; k < ARRAY_SIZE(sections); k++) {
			if ((k == CV_DUE_CRISIS - 1) != x.supervisor)
				continue;
			printf(_("\n%s:\n"), _(sections[k].title));
			if (x.t[k].nrows == 0)
				printf("  %s\n", _(sections[k].none));
			cli_table_print(&x.t[k], stdout, "  ");
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(sections); k++) {
		if (x.t[k].nrows)
			cli_table_print(&x.t[k], stdout, "  ");
		json_decref(x.j[k]);
	}
	return st == CV_OK ? CV_OK : cli_fail(c);
}

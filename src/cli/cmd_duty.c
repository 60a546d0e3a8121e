/*
 * cmd_duty.c - `casevault duty start|end|add|list|hours`: the duty log
 * (值班记录, R7).  Times are typed and shown in the vault's local time
 * ("YYYY-MM-DD HH:MM"); the library checks them, signs and verifies the
 * shifts, counts the weekly hours and logs every command.
 */
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

/* --visits N: 0..CV_DUTY_VISITS_MAX; -1 after a usage error. */
static int parse_visits(const char *s, int64_t *out)
{
	unsigned n;

	if (cli_parse_u32(s, &n) != 0 || n > CV_DUTY_VISITS_MAX) {
		cli_usage_code(cli_current, "usage.value",
			       "--visits takes a number from 0 to %u, not '%.40s'",
			       CV_DUTY_VISITS_MAX, s);
		return -1;
	}
	*out = n;
	return 0;
}

/* A local time, week or date whose form is wrong is refused before the
 * passphrase is asked and without a row in the log (the library's own
 * check and message); 0 when v is NULL or well formed. */
static int early(struct cli *c, cv_status (*check)(const char *, cv_err *), const char *v)
{
	if (!v || check(v, &c->err) == CV_OK)
		return 0;
	cli_fail(c);
	return -1;
}

/* --json after the command word: the same as the global option. */
static void json_on(struct cli *c)
{
	c->json = 1;
	cli_json_errors(1);
}

static void print_done(struct cli *c, const char *verb, int64_t id)
{
	if (c->json) {
		cli_json_result(json_pack("{s:I}", "id", (json_int_t)id));
		return;
	}
	printf(_("%s shift %lld\n"), _(verb), (long long)id);
}

int cmd_duty_start(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"room", required_argument, NULL, 'r'},
	    {"at", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	const char *room = NULL, *at = NULL;
	int64_t id = 0;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'r')
			room = optarg;
		else
			at = optarg;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (early(c, cv_duty_time_check, at) != 0)
		return CV_EUSAGE;
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	if (cv_duty_start(c->s, room, at, &id, &c->err) != CV_OK)
		return cli_fail(c);
	print_done(c, N_("started"), id);
	return CV_OK;
}

int cmd_duty_end(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"at", required_argument, NULL, 'a'},
	    {"visits", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	const char *at = NULL;
	int64_t id = 0, visits = 0;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'a')
			at = optarg;
		else if (parse_visits(optarg, &visits) != 0)
			return CV_EUSAGE;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (early(c, cv_duty_time_check, at) != 0)
		return CV_EUSAGE;
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	if (cv_duty_end(c->s, at, visits, &id, &c->err) != CV_OK)
		return cli_fail(c);
	print_done(c, N_("ended"), id);
	return CV_OK;
}

int cmd_duty_add(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"room", required_argument, NULL, 'r'},
	    {"visits", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	const char *from = NULL, *to = NULL, *room = NULL;
	int64_t id = 0, visits = 0;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'f')
			from = optarg;
		else if (ch == 't')
			to = optarg;
		else if (ch == 'r')
			room = optarg;
		else if (parse_visits(optarg, &visits) != 0)
			return CV_EUSAGE;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (!from || !to)
		return cli_usage(cli_current,
				 "give the shift's local start and end times with --from and --to "
				 "(YYYY-MM-DD HH:MM)");
	if (early(c, cv_duty_time_check, from) != 0 || early(c, cv_duty_time_check, to) != 0)
		return CV_EUSAGE;
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	if (cv_duty_add(c->s, from, to, room, visits, &id, &c->err) != CV_OK)
		return cli_fail(c);
	print_done(c, N_("added"), id);
	return CV_OK;
}

struct shifts {
	struct cli *c;
	size_t n; /* shifts printed */
};

static int print_shift(const cv_duty_info *d, void *arg)
{
	struct cli *c = ((struct shifts *)arg)->c;

	((struct shifts *)arg)->n++;

	if (c->json) {
		json_t *o = json_pack(
		    "{s:I, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:b}", "id", (json_int_t)d->id,
		    "counselor", cli_json_opt(d->counselor), "room", cli_json_opt(d->room), "start",
		    cli_json_opt(d->start), "end", d->open ? json_null() : cli_json_opt(d->end),
		    "week", cli_json_opt(d->week), "minutes", (json_int_t)d->minutes, "visits",
		    (json_int_t)d->visits, "open", d->open);
		cli_list_add(c, o);
		return 0;
	}
	if (d->open) {
		char still[64];

		/* As wide as an end time, by display width. */
		cli_linef(stdout, "%-6lld %s  %s  %-20s %-5s visits %-4lld %s", (long long)d->id,
			  d->start, cli_pad(still, sizeof(still), _("(open)"), 16), d->counselor,
			  "", (long long)d->visits, d->room);
	} else {
		cli_linef(stdout, "%-6lld %s  %s  %-20s %2lld:%02lld visits %-4lld %s",
			  (long long)d->id, d->start, d->end, d->counselor,
			  (long long)(d->minutes / 60), (long long)(d->minutes % 60),
			  (long long)d->visits, d->room);
	}
	return 0;
}

int cmd_duty_list(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"week", required_argument, NULL, 'w'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	struct shifts x = {c, 0};
	const char *week = NULL;
	int ch, rc;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'w')
			week = optarg;
		else
			json_on(c);
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (early(c, cv_duty_week_check, week) != 0)
		return CV_EUSAGE;
	cli_list_begin(c, NULL);
	if (cli_session(c) != CV_OK)
		return cli_list_end(c, c->err.status);
	rc = cli_list_end(c, cv_duty_list(c->s, week, print_shift, &x, &c->err));
	/* In text, an empty week says so (under --json: [], --csv: nothing). */
	if (rc == 0 && x.n == 0 && !c->json) {
		if (week)
			cli_linef(stdout, "no duty shifts in week %s", week);
		else
			cli_linef(stdout, "no duty shifts this week");
	}
	return rc;
}

static int print_week(const cv_duty_week_info *w, void *arg)
{
	struct cli *c = arg;

	if (c->json) {
		cli_list_add(c, json_pack("{s:o, s:o, s:I, s:I, s:b, s:b}", "week",
					  cli_json_opt(w->week), "monday", cli_json_opt(w->monday),
					  "minutes", (json_int_t)w->minutes, "threshold_minutes",
					  (json_int_t)w->threshold, "under", w->under, "partial",
					  w->partial));
		return 0;
	}
	/* Hours as H:MM; a week under the threshold says so and by how much. */
	printf("%s  %s  %3lld:%02lld", w->week, w->monday, (long long)(w->minutes / 60),
	       (long long)(w->minutes % 60));
	if (w->under)
		printf(_("  UNDER %lld:%02lld"), (long long)(w->threshold / 60),
		       (long long)(w->threshold % 60));
	if (w->partial)
		printf(_("  (part of the week asked for)"));
	printf("\n");
	return 0;
}

int cmd_duty_hours(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"term", required_argument, NULL, 'T'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	const char *from = NULL, *to = NULL, *term = NULL;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'f')
			from = optarg;
		else if (ch == 't')
			to = optarg;
		else if (ch == 'T')
			term = optarg;
		else
			json_on(c);
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (term ? (from || to) : (!from || !to))
		return cli_usage(cli_current, "give --term YYYY-autumn|YYYY-spring, or the local "
					      "dates to count with --from and --to (YYYY-MM-DD)");
	if (early(c, cv_duty_date_check, from) != 0 || early(c, cv_duty_date_check, to) != 0)
		return CV_EUSAGE;
	cli_list_begin(c, NULL);
	if (cli_session(c) != CV_OK)
		return cli_list_end(c, c->err.status);
	return cli_list_end(c, cv_duty_hours_list(c->s, term, from, to, print_week, c, &c->err));
}

/*
 * cmd_config.c - `casevault config set|get|list`: the vault's signed
 * settings.
 */
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

static int no_options(int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int ch;

	while ((ch = cli_getopt(argc, argv, "", none)) != -1)
		if (ch == -2)
			return -1;
	return 0;
}

int cmd_config_set(struct cli *c, int argc, char **argv)
{
	if (no_options(argc, argv) != 0)
		return CV_EUSAGE;
	if (argc - optind != 2)
		return cli_usage(cli_current, "give a setting's name and its new value");
	if (cli_setup(c, NULL, NULL, NULL) != CV_OK ||
	    cv_config_set(c->s, argv[optind], argv[optind + 1], &c->err) != CV_OK)
		return cli_fail(c);
	if (c->json)
		cli_json_result(json_pack("{s:o, s:o}", "name", cli_json_str(argv[optind]), "value",
					  cli_json_opt(argv[optind + 1])));
	else
		cli_linef(stdout, "%s = %s", argv[optind], argv[optind + 1]);
	return CV_OK;
}

struct show {
	struct cli *c;
	const char *only; /* config get NAME */
	int found;
	json_t *list;
	struct cli_table *table; /* config list, as text */
};

/* A value as shown: an empty one is the system's zone, or no school name,
 * said as such (under --json it is null). */
static const char *shown(const cv_setting_info *i)
{
	if (*i->value)
		return i->value;
	return strcmp(i->name, "timezone") == 0 ? _("(system)") : _("(none)");
}

static int show_setting(const cv_setting_info *i, void *arg)
{
	struct show *x = arg;

	if (x->only && strcmp(x->only, i->name) != 0)
		return 0;
	x->found = 1;
	if (x->list) {
		json_array_append_new(
		    /* An empty value (the system's zone, no school name) is null. */
		    x->list, json_pack("{s:o, s:o, s:o, s:b, s:o}", "name", cli_json_opt(i->name),
				       "value", cli_json_opt(i->value), "default",
				       cli_json_opt(i->dflt), "is_default", i->is_default, "signer",
				       cli_json_opt(i->is_default ? NULL : i->signer)));
		return 0;
	}
	if (x->only) {
		cli_linef(stdout, "%s", shown(i));
		return 1;
	}
	{
		char source[128];
		const char *cells[] = {i->name, shown(i), source};

		if (i->is_default)
			snprintf(source, sizeof(source), "%s", _("(default)"));
		else
			snprintf(source, sizeof(source), _("(set by %s)"), i->signer);
		cli_table_row(x->table, cells);
	}
	return 0;
}

static int run(struct cli *c, const char *only)
{
	struct cli_table t = {3};
	struct show x = {c, only, 0, c->json ? json_array() : NULL, &t};
	cv_status st = cli_setup(c, NULL, NULL, NULL);

	if (st == CV_OK)
		st = cv_config_list(c->s, show_setting, &x, &c->err);
	/* The settings as a table, their values lined up by display width. */
	cli_table_print(&t, stdout, "");
	if (st != CV_OK) {
		json_decref(x.list);
		return cli_fail(c);
	}
	if (only && !x.found) {
		json_decref(x.list);
		cv_err_set(&c->err, CV_EUSAGE, _("no setting '%s'; see 'casevault config list'"),
			   only);
		return cli_fail(c);
	}
	if (x.list) {
		if (only) {
			json_t *one = json_incref(json_array_get(x.list, 0));

			json_decref(x.list);
			x.list = one;
		}
		cli_json_line(x.list);
	}
	return CV_OK;
}

int cmd_config_get(struct cli *c, int argc, char **argv)
{
	if (no_options(argc, argv) != 0)
		return CV_EUSAGE;
	if (argc - optind != 1)
		return cli_usage(cli_current, "give one setting's name");
	return run(c, argv[optind]);
}

int cmd_config_list(struct cli *c, int argc, char **argv)
{
	if (no_options(argc, argv) != 0)
		return CV_EUSAGE;
	if (argc != optind)
		return cli_usage(cli_current, "config list takes no arguments");
	return run(c, NULL);
}

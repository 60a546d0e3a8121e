/*
 * opts.c - option parsing shared by the commands: getopt_long with
 * casevault's own messages, every value checked as it is read (values.c),
 * and the global options, which stand before the command.
 */
#include <stdio.h>
#include <string.h>

#include "opts.h"
#include "banned.h"

/* More long options than any command has. */
#define OPTS_MAX 32
/* "--" and the longest option name, with room to spare. */
#define OPT_NAME_MAX 48

static const struct cli_global globals[] = {
    {"--vault", "PATH"}, {"--user", "NAME"}, {"--passphrase-fd", "N"},
    {"--json", NULL},	 {"--csv", NULL},
};

const struct cli_global *cli_global(const char *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(globals); i++) {
		size_t l = strlen(globals[i].name);

		if (strncmp(arg, globals[i].name, l) == 0 && (arg[l] == '\0' || arg[l] == '='))
			return &globals[i];
	}
	return NULL;
}

const struct cli_global *cli_globals(size_t *n)
{
	*n = ARRAY_SIZE(globals);
	return globals;
}

int cli_global_misplaced(const struct cli_global *g, const char *group, const char *sub)
{
	return cli_usage_code(NULL, "usage.global-option",
			      "global option '%s' must come before the command: casevault %s%s%s "
			      "%s%s%s",
			      g->name, g->name, g->metavar ? " " : "", g->metavar ? g->metavar : "",
			      group, sub ? " " : "", sub ? sub : "");
}

/* An option getopt_long did not take: a global option in the wrong
 * place, an ambiguous abbreviation, or a misspelling. */
static int unknown_option(const char *arg, const struct option *longopts)
{
	const struct cli_global *g = cli_global(arg);
	char opt[OPT_NAME_MAX], dashed[OPTS_MAX][OPT_NAME_MAX], hint[160];
	const char *names[OPTS_MAX];
	size_t n = 0, prefixed = 0, len;

	if (g && cli_current)
		return cli_global_misplaced(g, cli_current->group, cli_current->sub);
	/* "--name" or "--name=value": the name alone. */
	len = strcspn(arg, "=");
	if (len >= sizeof(opt))
		len = sizeof(opt) - 1;
	memcpy(opt, arg, len);
	opt[len] = '\0';
	for (const struct option *o = longopts; o && o->name && n < OPTS_MAX; o++) {
		snprintf(dashed[n], sizeof(dashed[n]), "--%s", o->name);
		names[n] = dashed[n];
		if (len > 2 && strncmp(dashed[n], opt, len) == 0)
			prefixed++;
		n++;
	}
	if (prefixed > 1) {
		char list[OPTS_MAX * OPT_NAME_MAX / 2];
		size_t o = 0, k = 0;

		list[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			int r;

			if (strncmp(names[i], opt, len) != 0)
				continue;
			k++;
			r = snprintf(list + o, sizeof(list) - o, "%s'%s'",
				     k == 1	     ? ""
				     : k == prefixed ? _(" or ")
						     : ", ",
				     names[i]);
			if (r < 0 || (size_t)r >= sizeof(list) - o)
				break;
			o += (size_t)r;
		}
		return cli_usage_code(cli_current, "usage.option",
				      "option '%s' is ambiguous; it could be %s", opt, list);
	}
	cli_did_you_mean(hint, sizeof(hint), opt, names, n);
	return cli_usage_code(cli_current, "usage.option", "unknown option '%s'%s", opt, hint);
}

struct cli_probe *cli_probe;

/* Records shortopts and longopts in cli_probe, once. */
static void probe(const char *shortopts, const struct option *longopts)
{
	if (cli_probe->seen++)
		return;
	snprintf(cli_probe->shortopts, sizeof(cli_probe->shortopts), "%s", shortopts);
	for (const struct option *o = longopts; o && o->name && cli_probe->n < CLI_PROBE_MAX; o++)
		cli_probe->opts[cli_probe->n++] = *o;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	if (cli_probe) {
		probe(shortopts, longopts);
		return -2;
	}
	char spec[64];
	const char *name = NULL;
	int ch, idx = -1;

	opterr = 0;
	/* A leading ':' makes getopt report a missing value as ':'. */
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	ch = getopt_long(argc, argv, spec, longopts, &idx);
	if (ch == '?') {
		unknown_option(argv[optind - 1], longopts);
		return -2;
	}
	if (ch == ':') {
		cli_usage_code(cli_current, "usage.option", "option '%s' needs a value",
			       argv[optind - 1]);
		return -2;
	}
	if (ch == -1 || !optarg)
		return ch;
	if (idx >= 0) {
		name = longopts[idx].name;
	} else {
		for (const struct option *o = longopts; o && o->name && !name; o++)
			if (!o->flag && o->val == ch)
				name = o->name;
	}
	/* A Chinese alias of a fixed word becomes the word (words.c); the
	 * commands read optarg after this call. */
	if (name)
		optarg = (char *)cli_canon(cli_current, name, optarg);
	if (name && cli_check_value(cli_current, name, optarg) != 0)
		return -2;
	return ch;
}

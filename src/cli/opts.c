/*
 * opts.c - option parsing shared by the commands.
 */
#include <string.h>

#include "opts.h"
#include "banned.h"

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char spec[64];
	int ch;

	opterr = 0;
	/* A leading ':' makes getopt report a missing value as ':'. */
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	ch = getopt_long(argc, argv, spec, longopts, NULL);
	if (ch == '?') {
		cli_usage(cli_current, "unknown option '%s'", argv[optind - 1]);
		return -2;
	}
	if (ch == ':') {
		cli_usage(cli_current, "option '%s' needs a value", argv[optind - 1]);
		return -2;
	}
	return ch;
}

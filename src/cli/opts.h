/*
 * opts.h - getopt_long with casevault's own error messages, and the
 * global options (--vault, --user, --passphrase-fd, --json).
 */
#ifndef CV_OPTS_H
#define CV_OPTS_H

#include <getopt.h>

#include "cli.h"

/* Like getopt_long, but returns -2 after printing a usage error: an
 * unknown or misplaced option, a missing value, or a value that
 * cli_check_value refuses. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* A global option: its spelling and what its value stands for (NULL for
 * a flag). */
struct cli_global {
	const char *name;
	const char *metavar;
};

/* The global option arg spells ("--vault" or "--vault=PATH"), or NULL. */
const struct cli_global *cli_global(const char *arg);
/* Every global option, *n of them (the table cli_global reads). */
const struct cli_global *cli_globals(size_t *n);

/* Prints "global option '--vault' must come before the command: casevault
 * --vault PATH GROUP SUB" (sub may be NULL) and returns CV_EUSAGE. */
int cli_global_misplaced(const struct cli_global *g, const char *group, const char *sub);

/*
 * While cli_probe is set, cli_getopt parses nothing: it copies the options
 * it was given (the first call only) into *cli_probe and returns -2, as
 * after a usage error, so that a command's handler returns before doing
 * anything (every handler parses its options first).  Completion learns a
 * command's options this way from the parser's own tables.
 */
#define CLI_PROBE_MAX 32
struct cli_probe {
	int seen;
	size_t n;
	struct option opts[CLI_PROBE_MAX]; /* long options; names are literals */
	char shortopts[16];
};
extern struct cli_probe *cli_probe;

#endif

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

/* Prints "global option '--vault' must come before the command: casevault
 * --vault PATH GROUP SUB" (sub may be NULL) and returns CV_EUSAGE. */
int cli_global_misplaced(const struct cli_global *g, const char *group, const char *sub);

#endif

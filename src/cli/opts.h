/*
 * opts.h - getopt_long with casevault's own error messages.
 */
#ifndef CV_OPTS_H
#define CV_OPTS_H

#include <getopt.h>

#include "cli.h"

/* Like getopt_long, but returns -2 after printing a usage error. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

#endif

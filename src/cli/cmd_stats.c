/*
 * cmd_stats.c - `casevault stats export`: anonymized term statistics for
 * the work summary, as CSV, JSON or HTML, by a supervisor.  The library counts,
 * protects, records and logs; this file parses, opens the output and
 * writes what the library returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

#define K_DIGITS_MAX 8

/* --k as a whole number of at most K_DIGITS_MAX digits; -1 when it is not. */
static int parse_k(const char *s)
{
	int k = 0;
	size_t n = strlen(s);

	if (n == 0 || n > K_DIGITS_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		k = k * 10 + (s[i] - '0');
	}
	return k;
}

static cv_stats_format parse_format(const char *s)
{
	if (!s)
		return 0;
	if (strcmp(s, "csv") == 0)
		return CV_STATS_CSV;
	if (strcmp(s, "json") == 0)
		return CV_STATS_JSON;
	if (strcmp(s, "html") == 0)
		return CV_STATS_HTML;
	return 0;
}

int cmd_stats_export(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"from", required_argument, NULL, 'f'},    {"to", required_argument, NULL, 't'},
	    {"term", required_argument, NULL, 'T'},    {"k", required_argument, NULL, 'k'},
	    {"format", required_argument, NULL, 'F'},  {"output", required_argument, NULL, 'o'},
	    {"epsilon", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0},
	};
	const char *from = NULL, *to = NULL, *term = NULL, *ktext = NULL, *ftext = NULL;
	const char *file = NULL, *epsilon = NULL;
	char a[CV_STATS_MONTH_LEN], b[CV_STATS_MONTH_LEN];
	cv_stats_result *r = NULL;
	cv_stats_format format;
	FILE *fp = stdout;
	int ch, k = 5, fd = -1;

	while ((ch = cli_getopt(argc, argv, "o:", longopts)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'T':
			term = optarg;
			break;
		case 'k':
			ktext = optarg;
			break;
		case 'F':
			ftext = optarg;
			break;
		case 'o':
			file = optarg;
			break;
		case 'e':
			epsilon = optarg;
			break;
		default:
			return CV_EUSAGE;
		}
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	format = parse_format(ftext);
	if (!format)
		return cli_usage_code(cli_current, "usage.value",
				      "give --format csv, json or html");
	if (ktext && (k = parse_k(ktext)) < 3)
		return cli_usage_code(cli_current, "usage.value",
				      "--k must be a whole number of 3 or more (counts under 3 "
				      "identify students)");
	if (cv_stats_period(term, from, to, a, b, &c->err) != CV_OK)
		return cli_fail(c);
	if (file) {
		/* Create the file first, so that a bad path releases nothing. */
		fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || !(fp = fdopen(fd, "w"))) {
			cv_err_set(&c->err, errno == EEXIST ? CV_EUSAGE : CV_ERROR,
				   "cannot create '%s': %s%s", file, strerror(errno),
				   errno == EEXIST ? " (exports are never overwritten; choose a "
						     "new name)"
						   : "");
			if (fd >= 0) {
				close(fd);
				unlink(file);
			}
			return cli_fail(c);
		}
	}
	if (cli_session(c) != CV_OK ||
	    cv_stats_export(c->s, a, b, k, epsilon, &r, &c->err) != CV_OK ||
	    cv_stats_write(r, format, fp, &c->err) != CV_OK) {
		cv_stats_free(r);
		if (file) {
			fclose(fp);
			unlink(file);
		}
		return cli_fail(c);
	}
	cv_stats_free(r);
	if (file) {
		int bad = fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0;

		bad |= fclose(fp) != 0;
		if (bad) {
			cv_err_set(&c->err, CV_ERROR, "cannot write '%s': %s", file,
				   strerror(errno));
			return cli_fail(c);
		}
		fprintf(stderr, "statistics for %s..%s written to '%s'\n", a, b, file);
	}
	return CV_OK;
}

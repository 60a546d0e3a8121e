/*
 * cmd_stats.c - `casevault stats export`: anonymized term statistics for
 * the work summary, as CSV, JSON or HTML, by a supervisor; and `stats
 * merge`: a district table from schools' JSON exports, which opens no
 * vault.  The library counts, merges, protects, records and logs; this
 * file parses, reads and opens the files and writes what the library
 * returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Standard output, or file created (0600, never overwritten). */
static cv_status open_output(struct cli *c, const char *file, FILE **fp)
{
	*fp = stdout;
	return file ? cli_create_output(c, file, 0600, fp) : CV_OK;
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
	char *mem = NULL;
	size_t memlen = 0;
	FILE *fp = stdout;
	int ch, k = 5;

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
	/* Under --json the export's own JSON, unless --format says otherwise. */
	format = parse_format(!ftext && c->json ? "json" : ftext);
	if (!format)
		return cli_usage_code(cli_current, "usage.value",
				      "give --format csv, json or html");
	if (ktext && (k = parse_k(ktext)) < 3)
		return cli_usage_code(cli_current, "usage.value",
				      "--k must be a whole number of 3 or more (counts under 3 "
				      "identify students)");
	if (cv_stats_period(term, from, to, a, b, &c->err) != CV_OK)
		return cli_fail(c);
	/* Create the file first, so that a bad path releases nothing. */
	if (open_output(c, file, &fp) != CV_OK)
		return cli_fail(c);
	/* Standard output gets the export only once it is released: the
	 * library writes it to memory before it commits the release. */
	if (!file && !(fp = open_memstream(&mem, &memlen))) {
		cv_err_set(&c->err, CV_ERROR, _("out of memory"));
		return cli_fail(c);
	}
	if (cli_session(c) != CV_OK ||
	    (term && cv_stats_term(c->v, term, a, b, &c->err) != CV_OK) ||
	    cv_stats_export_to(c->s, a, b, k, epsilon, format, fp, &r, &c->err) != CV_OK) {
		cv_stats_free(r);
		fclose(fp);
		if (file)
			unlink(file);
		free(mem);
		return cli_fail(c);
	}
	cv_stats_free(r);
	if (!file) {
		cv_status st = CV_OK;

		fclose(fp);
		/* Under --json the document is one line, as every --json output. */
		if (c->json && format == CV_STATS_JSON)
			st = cli_json_document(c, mem, memlen);
		else
			fwrite(mem, 1, memlen, stdout);
		free(mem);
		if (st != CV_OK)
			return cli_fail(c);
	} else {
		if (cli_close_output(c, file, fp) != CV_OK)
			return cli_fail(c);
		if (c->json)
			cli_json_result(json_pack("{s:o, s:s, s:s}", "file", cli_json_str(file),
						  "from", a, "to", b));
		else
			fprintf(stderr, _("statistics for %s..%s written to '%s'\n"), a, b, file);
	}
	return CV_OK;
}

/* Reads path whole into *out (malloc'd), at most CV_STATS_MERGE_FILE_MAX
 * bytes; a larger file is refused before it is parsed.  Each failure has
 * its reason code: merge.file-missing (status 6), merge.not-a-file,
 * merge.file-too-large (status 2), merge.file-unreadable (status 1). */
static cv_status read_export(struct cli *c, const char *path, char **out, size_t *len)
{
	size_t cap = CV_STATS_MERGE_FILE_MAX + 1, n = 0;
	struct stat sb;
	char *buf = NULL;
	ssize_t r = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rerr;

	*out = NULL;
	if (fd < 0 && errno == ENOENT)
		return cli_err_code(c, CV_ENOTFOUND, "merge.file-missing",
				    _("cannot read '%s': %s"), path, strerror(errno));
	if (fd < 0)
		return cli_err_code(c, CV_ERROR, "merge.file-unreadable", _("cannot read '%s': %s"),
				    path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return cli_err_code(c, CV_EUSAGE, "merge.not-a-file",
				    _("'%s' is not a file; give a JSON export"), path);
	}
	buf = malloc(cap);
	while (buf && n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	rerr = errno;
	close(fd);
	if (!buf)
		return cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	if (r < 0) {
		free(buf);
		return cli_err_code(c, CV_ERROR, "merge.file-unreadable", _("cannot read '%s': %s"),
				    path, strerror(rerr));
	}
	if (n == cap) {
		free(buf);
		return cli_err_code(c, CV_EUSAGE, "merge.file-too-large",
				    _("'%s' is larger than an export can be; give a JSON export"),
				    path);
	}
	*out = buf;
	*len = n;
	return CV_OK;
}

/* `stats merge FILE... --format F [-o FILE]`: no vault is opened and no
 * passphrase asked; the inputs are published files. */
int cmd_stats_merge(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	const char *ftext = NULL, *file = NULL;
	const char **names = NULL;
	char **texts = NULL;
	size_t *lens = NULL, n;
	cv_stats_result *r = NULL;
	cv_stats_format format;
	FILE *fp = stdout;
	char *mem = NULL;
	size_t memlen = 0;
	cv_status st = CV_OK;
	int ch, rc, to_mem;

	while ((ch = cli_getopt(argc, argv, "o:", longopts)) != -1) {
		switch (ch) {
		case 'F':
			ftext = optarg;
			break;
		case 'o':
			file = optarg;
			break;
		default:
			return CV_EUSAGE;
		}
	}
	format = parse_format(!ftext && c->json ? "json" : ftext);
	if (!format)
		return cli_usage_code(cli_current, "usage.value",
				      "give --format csv, json or html");
	to_mem = !file && c->json && format == CV_STATS_JSON;
	n = (size_t)(argc - optind);
	if (n < 2)
		return cli_usage_code(cli_current, "usage.arguments",
				      "give at least two exports, one file per school");
	if (n > CV_STATS_MERGE_MAX)
		return cli_usage_code(cli_current, "usage.arguments", "give at most %d exports",
				      CV_STATS_MERGE_MAX);
	names = calloc(n, sizeof(*names));
	texts = calloc(n, sizeof(*texts));
	lens = calloc(n, sizeof(*lens));
	if (!names || !texts || !lens)
		st = cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	for (size_t i = 0; i < n && st == CV_OK; i++) {
		names[i] = argv[optind + (int)i];
		st = read_export(c, names[i], &texts[i], &lens[i]);
	}
	if (st == CV_OK)
		st = cv_stats_merge(names, (const char *const *)texts, lens, n, &r, &c->err);
	/* Nothing is created until the merge has passed. */
	if (st == CV_OK)
		st = open_output(c, file, &fp);
	/* Under --json, standard output gets the document on one line. */
	if (st == CV_OK && to_mem && !(fp = open_memstream(&mem, &memlen))) {
		fp = stdout;
		st = cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	}
	if (st == CV_OK && cv_stats_write(r, format, fp, &c->err) != CV_OK) {
		st = c->err.status;
		if (file) {
			fclose(fp);
			unlink(file);
		}
	} else if (st == CV_OK && file) {
		st = cli_close_output(c, file, fp);
	}
	if (to_mem && fp != stdout) {
		fclose(fp);
		if (st == CV_OK)
			st = cli_json_document(c, mem, memlen);
		free(mem);
	}
	rc = st == CV_OK ? CV_OK : cli_fail(c);
	if (st == CV_OK && file && c->json)
		cli_json_result(
		    json_pack("{s:o, s:I}", "file", cli_json_str(file), "merged", (json_int_t)n));
	else if (st == CV_OK && file)
		fprintf(stderr, _("merged statistics of %zu exports written to '%s'\n"), n, file);
	cv_stats_free(r);
	for (size_t i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	free(names);
	free(lens);
	return rc;
}

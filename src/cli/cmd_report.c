/*
 * cmd_report.c - `casevault report compliance`: the counseling room's work
 * against the standard, item by item, as text, JSON or a printable HTML
 * page, by a supervisor.  The library computes and logs; this file parses,
 * opens the output and writes what the library returns.
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

static cv_report_format parse_format(const char *s)
{
	if (!s || strcmp(s, "text") == 0)
		return CV_REPORT_TEXT;
	if (strcmp(s, "json") == 0)
		return CV_REPORT_JSON;
	if (strcmp(s, "html") == 0)
		return CV_REPORT_HTML;
	return 0;
}

/* The text form as the library writes it, in the user's language: the
 * figures' templates translated before their numbers are put in. */
static cv_status write_text(struct cli *c, const cv_report *r, FILE *fp)
{
	static const char *const status_words[] = {N_("not applicable"), N_("met"), N_("not met")};
	const char *from, *to, *as_of, *school = cv_report_school(r);

	if (school[0])
		fprintf(fp, "%s\n", school);
	cv_report_dates(r, &from, &to, &as_of);
	fprintf(fp, _("compliance report %s..%s (judged on %s)\n"), from, to, as_of);
	for (size_t i = 0; i < CV_REPORT_ITEMS; i++) {
		const cv_report_item *it = cv_report_item_at(r, i);
		char fig[CV_ERRMSG_MAX];

		cv_err_render(it->figure_parts, cli_tr(it->figure_parts->tmpl), fig, sizeof(fig));
		fprintf(fp, _("%d. %s: %s (%s)\n"), it->number, _(status_words[it->status]), fig,
			it->code);
		for (size_t j = 0; j < it->nsubjects; j++) {
			char name[64], end;
			long long n;

			/* The log's item names each reader: "bob: 5 reads". */
			if (sscanf(it->subjects[j], "%63[^:]: %lld reads%c", name, &n, &end) == 2)
				fprintf(fp, _("     %s: %lld reads\n"), name, n);
			else
				fprintf(fp, "     %s\n", it->subjects[j]);
		}
	}
	if (ferror(fp))
		return cv_err_set(&c->err, CV_ERROR, _("cannot write the report"));
	return CV_OK;
}

/* Writes r in format to fp. */
static cv_status write_report(struct cli *c, const cv_report *r, cv_report_format format, FILE *fp)
{
	if (format == CV_REPORT_TEXT)
		return write_text(c, r, fp);
	return cv_report_write(r, format, fp, &c->err);
}

/* Writes r to file, flushed and synced; the file is removed on failure. */
static cv_status write_file(struct cli *c, const cv_report *r, cv_report_format format,
			    const char *file)
{
	FILE *fp = NULL;

	if (cli_create_output(c, file, 0600, &fp) != CV_OK)
		return c->err.status;
	if (write_report(c, r, format, fp) != CV_OK) {
		fclose(fp);
		unlink(file);
		return c->err.status;
	}
	return cli_close_output(c, file, fp);
}

/* Writes r to standard output; text goes through the terminal-safe
 * printer (it names users). */
static cv_status write_stdout(struct cli *c, const cv_report *r, cv_report_format format)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&mem, &len);
	cv_status st;

	if (!fp)
		return cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	st = write_report(c, r, format, fp);
	if (fclose(fp) != 0 && st == CV_OK)
		st = cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	if (st == CV_OK && format == CV_REPORT_TEXT)
		cli_put_text(stdout, mem, len, 1);
	else if (st == CV_OK && format == CV_REPORT_JSON && c->json)
		st = cli_json_document(c, mem, len); /* one line, as every --json output */
	else if (st == CV_OK)
		fwrite(mem, 1, len, stdout);
	free(mem);
	return st;
}

int cmd_report_compliance(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"from", required_argument, NULL, 'f'},   {"to", required_argument, NULL, 't'},
	    {"term", required_argument, NULL, 'T'},   {"format", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0},
	};
	const char *from = NULL, *to = NULL, *term = NULL, *ftext = NULL, *file = NULL;
	cv_report_format format;
	cv_report *r = NULL;
	int ch;

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
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	/* Under --json the report's own JSON, unless --format says otherwise. */
	format = parse_format(!ftext && c->json ? "json" : ftext);
	if (!format)
		return cli_usage_code(cli_current, "usage.value",
				      "give --format text, json or html");
	if (cv_report_period(term, from, to, &c->err) != CV_OK)
		return cli_fail(c);
	/* Refuse an existing file before the passphrase is asked. */
	if (file && access(file, F_OK) == 0) {
		cli_err_code(
		    c, CV_EUSAGE, "output.exists",
		    _("cannot create '%s': it exists (reports are never overwritten; choose a "
		      "new name)"),
		    file);
		return cli_fail(c);
	}
	if (cli_session(c) != CV_OK ||
	    cv_report_compliance(c->s, term, from, to, &r, &c->err) != CV_OK)
		return cli_fail(c);
	if ((file ? write_file(c, r, format, file) : write_stdout(c, r, format)) != CV_OK) {
		cv_report_free(r);
		return cli_fail(c);
	}
	if (file) {
		const char *a, *b, *d;

		cv_report_dates(r, &a, &b, &d);
		if (c->json)
			cli_json_result(json_pack("{s:o, s:s, s:s}", "file", cli_json_str(file),
						  "from", a, "to", b));
		else
			fprintf(stderr, _("compliance report for %s..%s written to '%s'\n"), a, b,
				file);
	}
	cv_report_free(r);
	return CV_OK;
}

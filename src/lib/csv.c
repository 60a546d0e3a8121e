/*
 * csv.c - RFC 4180 quoting, the formula guard and whole-record output for
 * CSV exports.  Ground layer: calls only err, text and buf.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "err.h"
#include "text.h"
#include "banned.h"

/* A field with one of these must be quoted (RFC 4180, 2.6). */
#define CSV_SPECIALS ",\"\r\n"
/* A cell beginning with one of these may be run as a formula. */
#define CSV_FORMULA_LEADS "=+-@\t\r"

static const uint8_t utf8_bom[] = {0xef, 0xbb, 0xbf};

static void init(cv_csv *w, FILE *fp, cv_buf *out, unsigned flags)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
	w->out = out;
	w->flags = flags;
}

void cv_csv_file(cv_csv *w, FILE *fp, unsigned flags)
{
	init(w, fp, NULL, flags);
}

void cv_csv_buf(cv_csv *w, cv_buf *out, unsigned flags)
{
	init(w, NULL, out, flags);
}

static cv_status broken(cv_err *err)
{
	return cv_err_set(err, CV_ERROR, "an earlier write of the CSV output failed");
}

/* Offset of the first control character other than TAB, CR and LF in
 * valid UTF-8 (C0, DEL, C1), or -1. */
static long control_at(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') || s[i] == 0x7f)
			return (long)i;
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return (long)i;
	}
	return -1;
}

static cv_status check_text(const cv_csv *w, const char *s, size_t n, cv_err *err)
{
	uint64_t rec = w->nrecords + 1;
	size_t field = w->nfields + 1, bad;
	const char *nul;
	long ctl;

	if (!s && n)
		return cv_err_set(err, CV_EUSAGE,
				  "no text given for CSV field %zu of record %" PRIu64, field, rec);
	if (n && (nul = memchr(s, '\0', n)))
		return cv_err_set(err, CV_EUSAGE,
				  "CSV field %zu of record %" PRIu64
				  " contains a NUL byte (byte %zu)",
				  field, rec, (size_t)(nul - s) + 1);
	if (n && (bad = cv_utf8_check(s, n, NULL)) != (size_t)-1)
		return cv_err_set(err, CV_EUSAGE,
				  "CSV field %zu of record %" PRIu64
				  " is not valid UTF-8 (byte %zu)",
				  field, rec, bad + 1);
	if (n && (ctl = control_at((const unsigned char *)s, n)) >= 0)
		return cv_err_set(err, CV_EUSAGE,
				  "CSV field %zu of record %" PRIu64
				  " contains a control character (byte %ld)",
				  field, rec, ctl + 1);
	return CV_OK;
}

/* Room for one more field, and the comma before it. */
static cv_status open_field(cv_csv *w, cv_err *err)
{
	if (w->broken)
		return broken(err);
	if (w->width && w->nfields >= w->width)
		return cv_err_set(err, CV_EUSAGE,
				  "CSV record %" PRIu64 " has more than %zu fields, as many as the "
				  "first record",
				  w->nrecords + 1, w->width);
	if (w->nfields)
		cv_buf_raw(&w->rec, ",", 1);
	return CV_OK;
}

cv_status cv_csv_field(cv_csv *w, const char *s, size_t n, cv_err *err)
{
	int guard, quote;
	cv_status st;

	if (w->broken)
		return broken(err);
	st = check_text(w, s, n, err);
	if (st != CV_OK)
		return st;
	st = open_field(w, err);
	if (st != CV_OK)
		return st;
	guard = !(w->flags & CV_CSV_NO_FORMULA_GUARD) && n && strchr(CSV_FORMULA_LEADS, s[0]);
	quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = strchr(CSV_SPECIALS, s[i]) != NULL;
	if (quote)
		cv_buf_raw(&w->rec, "\"", 1);
	if (guard)
		cv_buf_raw(&w->rec, "'", 1);
	if (quote) {
		const char *p = s, *end = s + n, *q;

		/* Each inner quote is written twice. */
		while ((q = memchr(p, '"', (size_t)(end - p)))) {
			cv_buf_raw(&w->rec, p, (size_t)(q - p) + 1);
			cv_buf_raw(&w->rec, "\"", 1);
			p = q + 1;
		}
		cv_buf_raw(&w->rec, p, (size_t)(end - p));
		cv_buf_raw(&w->rec, "\"", 1);
	} else {
		cv_buf_raw(&w->rec, s, n);
	}
	w->nfields++;
	return CV_OK;
}

cv_status cv_csv_str(cv_csv *w, const char *s, cv_err *err)
{
	if (!s)
		return cv_err_set(err, CV_EUSAGE,
				  "no text given for CSV field %zu of record %" PRIu64,
				  w->nfields + 1, w->nrecords + 1);
	return cv_csv_field(w, s, strlen(s), err);
}

cv_status cv_csv_int(cv_csv *w, int64_t v, cv_err *err)
{
	char num[24];
	int len = snprintf(num, sizeof(num), "%" PRId64, v);
	cv_status st = open_field(w, err);

	if (st != CV_OK)
		return st;
	cv_buf_raw(&w->rec, num, (size_t)len);
	w->nfields++;
	return CV_OK;
}

static cv_status emit(cv_csv *w, const void *p, size_t n, cv_err *err)
{
	if (w->out) {
		cv_buf_raw(w->out, p, n);
		if (w->out->oom) {
			w->broken = 1;
			return cv_err_set(err, CV_ERROR, "out of memory for the CSV output");
		}
		return CV_OK;
	}
	if (!w->fp) {
		w->broken = 1;
		return cv_err_set(err, CV_EUSAGE, "the CSV writer has no output");
	}
	if (n && fwrite(p, 1, n, w->fp) != n) {
		w->broken = 1;
		return cv_err_set(err, CV_ERROR, "cannot write the CSV output: %s",
				  strerror(errno));
	}
	return CV_OK;
}

cv_status cv_csv_end(cv_csv *w, cv_err *err)
{
	cv_status st;

	if (w->broken)
		return broken(err);
	if (w->nfields == 0)
		return cv_err_set(err, CV_EUSAGE, "CSV record %" PRIu64 " has no fields",
				  w->nrecords + 1);
	if (w->width && w->nfields != w->width) {
		size_t got = w->nfields;

		w->nfields = 0;
		w->rec.len = 0;
		return cv_err_set(err, CV_EUSAGE,
				  "CSV record %" PRIu64 " has %zu fields, the first record %zu; "
				  "the record is dropped",
				  w->nrecords + 1, got, w->width);
	}
	/* A lone empty field would be a blank line. */
	if (w->nfields == 1 && w->rec.len == 0)
		cv_buf_raw(&w->rec, "\"\"", 2);
	cv_buf_raw(&w->rec, "\r\n", 2);
	if (w->rec.oom) {
		w->broken = 1;
		return cv_err_set(err, CV_ERROR, "out of memory for a CSV record");
	}
	if (w->nrecords == 0 && (w->flags & CV_CSV_BOM)) {
		st = emit(w, utf8_bom, sizeof(utf8_bom), err);
		if (st != CV_OK)
			return st;
	}
	st = emit(w, w->rec.data, w->rec.len, err);
	if (st != CV_OK)
		return st;
	if (!w->width)
		w->width = w->nfields;
	w->nfields = 0;
	w->rec.len = 0;
	w->nrecords++;
	return CV_OK;
}

cv_status cv_csv_finish(cv_csv *w, cv_err *err)
{
	cv_status st = CV_OK;

	if (w->broken)
		st = broken(err);
	else if (w->nfields)
		st = cv_err_set(err, CV_EUSAGE,
				"CSV record %" PRIu64 " was not ended; end it or drop it",
				w->nrecords + 1);
	else if (w->fp && (fflush(w->fp) != 0 || ferror(w->fp))) {
		w->broken = 1;
		st = cv_err_set(err, CV_ERROR, "cannot write the CSV output: %s", strerror(errno));
	}
	cv_csv_free(w);
	return st;
}

void cv_csv_free(cv_csv *w)
{
	if (!w)
		return;
	cv_buf_free(&w->rec);
	w->nfields = 0;
}

/* ---- tables, for a front end --------------------------------------------- */

struct cv_csv_table {
	cv_csv w;
};

cv_status cv_csv_table_open(FILE *fp, cv_csv_table **out, cv_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return cv_err_set(err, CV_ERROR, "out of memory");
	cv_csv_file(&(*out)->w, fp, 0);
	return CV_OK;
}

cv_status cv_csv_table_row(cv_csv_table *t, const char *const *cells, size_t n, cv_err *err)
{
	cv_status st = CV_OK;

	for (size_t i = 0; i < n && st == CV_OK; i++)
		st = cells[i] ? cv_csv_str(&t->w, cells[i], err) : cv_csv_field(&t->w, "", 0, err);
	if (st == CV_OK)
		st = cv_csv_end(&t->w, err);
	return st;
}

cv_status cv_csv_table_close(cv_csv_table *t, cv_err *err)
{
	cv_status st;

	if (!t)
		return CV_OK;
	st = cv_csv_finish(&t->w, err);
	free(t);
	return st;
}

/* ---- reading ---------------------------------------------------------- */

void cv_csv_reader_init(cv_csv_reader *r, char *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = data;
	r->end = data + len;
	r->line = 1;
	if (len >= sizeof(utf8_bom) && memcmp(data, utf8_bom, sizeof(utf8_bom)) == 0)
		r->p += sizeof(utf8_bom);
}

void cv_csv_reader_free(cv_csv_reader *r)
{
	if (!r)
		return;
	free(r->fields);
	free(r->lens);
	r->fields = NULL;
	r->lens = NULL;
	r->nfields = r->cap = 0;
}

static cv_status push_field(cv_csv_reader *r, char *s, size_t n, cv_err *err)
{
	if (r->nfields == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		char **f = realloc(r->fields, cap * sizeof(*f));
		size_t *l;

		if (!f)
			return cv_err_set(err, CV_ERROR, "out of memory reading CSV");
		r->fields = f;
		l = realloc(r->lens, cap * sizeof(*l));
		if (!l)
			return cv_err_set(err, CV_ERROR, "out of memory reading CSV");
		r->lens = l;
		r->cap = cap;
	}
	r->fields[r->nfields] = s;
	r->lens[r->nfields] = n;
	r->nfields++;
	return CV_OK;
}

/* Whether q (before end) ends an unquoted field: a comma, LF or CRLF. */
static int field_end(const char *q, const char *end)
{
	return *q == ',' || *q == '\n' || (*q == '\r' && q + 1 < end && q[1] == '\n');
}

/* The first problem of a record, kept while the rest of it is read. */
enum { PB_NONE, PB_AFTER_QUOTE, PB_QUOTE, PB_NUL, PB_UTF8 };
struct csv_problem {
	int kind;
	size_t field;
};

static void problem(struct csv_problem *pb, int kind, size_t field)
{
	if (!pb->kind) {
		pb->kind = kind;
		pb->field = field;
	}
}

static cv_status refuse_problem(const struct csv_problem *pb, size_t line, cv_err *err)
{
	char a[24], b[24];

	cv_num(a, (long long)line);
	cv_num(b, (long long)pb->field);
	switch (pb->kind) {
	case PB_AFTER_QUOTE:
		return cv_fail(err, CV_EUSAGE, "csv.after-quote",
			       "line {1}, field {2}: text follows the closing quote; quote the "
			       "whole field and double the quotes inside it",
			       a, b);
	case PB_QUOTE:
		return cv_fail(err, CV_EUSAGE, "csv.quote",
			       "line {1}, field {2}: a quote inside a field that is not quoted; "
			       "quote the whole field and double the quotes inside it",
			       a, b);
	case PB_NUL:
		return cv_fail(err, CV_EUSAGE, "csv.nul",
			       "line {1}, field {2}: a NUL byte; the file must be text", a, b);
	default:
		return cv_fail(err, CV_EUSAGE, "csv.utf8",
			       "line {1}, field {2}: the text is not UTF-8; save the file as UTF-8 "
			       "(CSV UTF-8 in a spreadsheet)",
			       a, b);
	}
}

cv_status cv_csv_read(cv_csv_reader *r, int *eof, cv_err *err)
{
	struct csv_problem pb = {0};
	char a[24], b[24], c[24];
	char *q = r->p, *w, *start;
	cv_status st;

	*eof = 0;
	r->nfields = 0;
	if (r->broken)
		return cv_fail(err, CV_EUSAGE, "csv.unclosed",
			       "line {1}: a quoted field is never closed; every quote that opens a "
			       "field must close it (inner quotes are doubled: \"\")",
			       cv_num(a, (long long)r->rec_line));
	/* Empty lines are skipped. */
	while (q < r->end && (*q == '\n' || (*q == '\r' && q + 1 < r->end && q[1] == '\n'))) {
		q += *q == '\r' ? 2 : 1;
		r->line++;
	}
	if (q >= r->end) {
		r->p = q;
		*eof = 1;
		return CV_OK;
	}
	r->rec_line = r->line;
	for (;;) {
		size_t field = r->nfields + 1;
		char d;

		start = w = q;
		if (q < r->end && *q == '"') {
			q++;
			for (;;) {
				if (q >= r->end) {
					r->broken = 1;
					r->p = q;
					return cv_fail(
					    err, CV_EUSAGE, "csv.unclosed",
					    "line {1}: a quoted field is never closed; every "
					    "quote that opens a field must close it (inner "
					    "quotes are doubled: \"\")",
					    cv_num(a, (long long)r->rec_line));
				}
				if (*q == '"') {
					if (q + 1 < r->end && q[1] == '"') {
						*w++ = '"';
						q += 2;
						continue;
					}
					q++;
					break;
				}
				if (*q == '\n')
					r->line++;
				*w++ = *q++;
			}
			if (q < r->end && !field_end(q, r->end)) {
				problem(&pb, PB_AFTER_QUOTE, field);
				while (q < r->end && !field_end(q, r->end))
					q++;
			}
		} else {
			while (q < r->end && !field_end(q, r->end)) {
				if (*q == '"')
					problem(&pb, PB_QUOTE, field);
				q++;
			}
			w = q;
		}
		d = q < r->end ? *q : '\0';
		*w = '\0';
		st = push_field(r, start, (size_t)(w - start), err);
		if (st != CV_OK)
			return st;
		if (memchr(start, '\0', (size_t)(w - start)))
			problem(&pb, PB_NUL, field);
		else if (cv_utf8_check(start, (size_t)(w - start), NULL) != (size_t)-1)
			problem(&pb, PB_UTF8, field);
		if (d == ',') {
			q++;
			continue;
		}
		if (d == '\r')
			q++;
		if (q < r->end) {
			q++; /* the LF */
			r->line++;
		}
		break;
	}
	r->p = q;
	r->nrecords++;
	if (!r->width)
		r->width = r->nfields;
	else if (r->nfields != r->width)
		return cv_fail(err, CV_EUSAGE, "csv.width",
			       "line {1}: {2} fields, but the header has {3}; a field holding a "
			       "comma or a line break must be quoted",
			       cv_num(a, (long long)r->rec_line), cv_num(b, (long long)r->nfields),
			       cv_num(c, (long long)r->width));
	if (pb.kind)
		return refuse_problem(&pb, r->rec_line, err);
	return CV_OK;
}

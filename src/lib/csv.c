/*
 * csv.c - RFC 4180 quoting, the formula guard and whole-record output for
 * CSV exports.  Ground layer: calls only err, text and buf.
 */
#include <errno.h>
#include <inttypes.h>
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

/*
 * csv.h - a streaming CSV writer (RFC 4180) for exports, to a FILE* or to a
 * growing cv_buf, and a reader for imports.  Ground layer: no vault access.
 *
 * Records end in CRLF.  A field containing a comma, a double quote, CR or
 * LF is enclosed in double quotes with every inner quote doubled; other
 * fields are written as they are.  A record whose only field is empty is
 * written as "" so that it is not a blank line, which readers skip.  Every
 * record has the number of fields of the first.  Text must be valid UTF-8
 * without NUL or control characters other than TAB, CR and LF.
 *
 * Formula guard (on unless CV_CSV_NO_FORMULA_GUARD): a spreadsheet runs a
 * cell that begins with = + - or @ (and, in some, TAB or CR) as a formula,
 * so a text field beginning with one of these gets a leading apostrophe
 * ("=1+2" becomes "'=1+2"), which spreadsheets show as text.  Numbers
 * written with cv_csv_int are never changed: "-3" stays a number.
 *
 * Each record is assembled in memory and reaches the output only when it
 * is ended, whole: a refused field or record writes nothing.
 */
#ifndef CV_CSV_H
#define CV_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "casevault.h"

enum {
	CV_CSV_NO_FORMULA_GUARD = 1 << 0, /* write text fields exactly as given */
	CV_CSV_BOM = 1 << 1,		  /* begin with the UTF-8 byte order mark */
};

typedef struct cv_csv {
	FILE *fp;    /* the stream written to, or NULL */
	cv_buf *out; /* the buffer written to, or NULL */
	unsigned flags;
	cv_buf rec;	   /* the record being assembled */
	size_t nfields;	   /* fields in it so far */
	size_t width;	   /* fields per record, fixed by the first; 0 before */
	uint64_t nrecords; /* records written */
	int broken;	   /* a write failed: every later call fails */
} cv_csv;

/* Start a writer on fp or on out (appended to; the caller owns it and
 * frees it with cv_buf_free).  flags: CV_CSV_*. */
void cv_csv_file(cv_csv *w, FILE *fp, unsigned flags);
void cv_csv_buf(cv_csv *w, cv_buf *out, unsigned flags);

/*
 * cv_csv_field - add the n bytes at s (NULL when n is 0) as the next field
 * of the open record, quoted and guarded as above.  CV_EUSAGE, and nothing
 * added, for a NUL byte, invalid UTF-8, a control character other than
 * TAB, CR and LF, or a field past the width of the first record.
 */
cv_status cv_csv_field(cv_csv *w, const char *s, size_t n, cv_err *err);

/* cv_csv_str - cv_csv_field for a NUL-terminated string (not NULL). */
cv_status cv_csv_str(cv_csv *w, const char *s, cv_err *err);

/* cv_csv_int - add v in decimal as the next field; never guarded. */
cv_status cv_csv_int(cv_csv *w, int64_t v, cv_err *err);

/*
 * cv_csv_end - end the open record and write it with its CRLF.  CV_EUSAGE
 * for a record without fields, or with another number of fields than the
 * first record (the record is then dropped, nothing written).  CV_ERROR
 * when the output cannot be written or memory runs out; the writer is
 * then broken and refuses everything after.
 */
cv_status cv_csv_end(cv_csv *w, cv_err *err);

/*
 * cv_csv_finish - check that no record is open, flush a stream and check
 * it for errors, and release the writer's memory (the stream stays open).
 * CV_EUSAGE for an open record, CV_ERROR for a failed write, now or
 * earlier.  The writer is released in every case.
 */
cv_status cv_csv_finish(cv_csv *w, cv_err *err);

/* cv_csv_free - release the writer's memory without flushing; w may be NULL. */
void cv_csv_free(cv_csv *w);

/* The reader (cv_csv_reader, cv_csv_read) is declared in casevault.h: the
 * program parses the files it imports with it. */

#endif

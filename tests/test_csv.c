/*
 * test_csv.c - the CSV writer of csv.c: exact bytes for tricky fields
 * (empty, quotes, commas, line breaks, CJK, formulas), the refusals (NUL,
 * invalid UTF-8, control characters, ragged records), write failures, and
 * a round trip of generated records through Python's csv module; the
 * reader: quoting, line ends, BOM, line numbers, refusals, and reading back
 * what the writer wrote.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "casevault.h"
#include "buf.h"
#include "csv.h"
#include "err.h"
#include "vocab.h"
#include "banned.h"

static int setup(void **state)
{
	(void)state;
	return cv_init(NULL) == CV_OK ? 0 : -1;
}

/* What the buffer holds, as a string (the buffer keeps its length). */
static const char *text(cv_buf *b)
{
	cv_buf_raw(b, "", 1);
	b->len--;
	assert_int_equal(b->oom, 0);
	return (const char *)b->data;
}

/* One record of NUL-terminated fields, written alone with flags. */
static void one_record(unsigned flags, const char *const *fields, size_t n, const char *want)
{
	cv_buf out = CV_BUF_INIT;
	cv_csv w;
	cv_err err;

	cv_csv_buf(&w, &out, flags);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cv_csv_str(&w, fields[i], &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	assert_int_equal(cv_csv_finish(&w, &err), CV_OK);
	if (strcmp(text(&out), want) != 0)
		fail_msg("got '%s', want '%s'", text(&out), want);
	cv_buf_free(&out);
}

#define F(...)                                                                                     \
	(const char *const[]){__VA_ARGS__},                                                        \
	    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

static void test_known_answers(void **state)
{
	(void)state;
	one_record(0, F("a", "b", "c"), "a,b,c\r\n");
	one_record(0, F("", "x", ""), ",x,\r\n");
	one_record(0, F(""), "\"\"\r\n"); /* not a blank line */
	one_record(0, F("", ""), ",\r\n");
	one_record(0, F("say \"hi\""), "\"say \"\"hi\"\"\"\r\n");
	one_record(0, F("\""), "\"\"\"\"\r\n");
	one_record(0, F("\"\""), "\"\"\"\"\"\"\r\n");
	one_record(0, F("a,b", ","), "\"a,b\",\",\"\r\n");
	one_record(0, F("line1\nline2"), "\"line1\nline2\"\r\n");
	one_record(0, F("cr\rx", "crlf\r\n"), "\"cr\rx\",\"crlf\r\n\"\r\n");
	one_record(0, F(" padded ", "tab\tinside"), " padded ,tab\tinside\r\n");
	one_record(0, F("学业", "自伤风险", "情绪，人际"), "学业,自伤风险,情绪，人际\r\n");
	one_record(0, F("中,文", "“引号”"), "\"中,文\",“引号”\r\n");
	one_record(0, F("😀", "é"), "😀,é\r\n");
	one_record(0, F("it's", "a'"), "it's,a'\r\n");
}

static void test_formula_guard(void **state)
{
	(void)state;
	one_record(0, F("=1+2"), "'=1+2\r\n");
	one_record(0, F("+1", "-1", "@SUM(A1)"), "'+1,'-1,'@SUM(A1)\r\n");
	one_record(0, F("=HYPERLINK(\"http://x\",\"y\")"),
		   "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n");
	one_record(0, F("\tx"), "'\tx\r\n");
	one_record(0, F("\rx"), "\"'\rx\"\r\n");
	one_record(0, F("a=1", "1-2", " =1", "'=1"), "a=1,1-2, =1,'=1\r\n");
	one_record(CV_CSV_NO_FORMULA_GUARD, F("=1+2", "-1", "@x", "\tx"), "=1+2,-1,@x,\tx\r\n");
	one_record(CV_CSV_NO_FORMULA_GUARD, F("=a,b"), "\"=a,b\"\r\n");
}

static void test_integers(void **state)
{
	cv_buf out = CV_BUF_INIT;
	cv_csv w;
	cv_err err;

	(void)state;
	cv_csv_buf(&w, &out, 0); /* guarded: numbers are still numbers */
	assert_int_equal(cv_csv_str(&w, "cell", &err), CV_OK);
	assert_int_equal(cv_csv_int(&w, -3, &err), CV_OK);
	assert_int_equal(cv_csv_int(&w, 0, &err), CV_OK);
	assert_int_equal(cv_csv_int(&w, INT64_MIN, &err), CV_OK);
	assert_int_equal(cv_csv_int(&w, INT64_MAX, &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	assert_int_equal(cv_csv_finish(&w, &err), CV_OK);
	assert_string_equal(text(&out), "cell,-3,0,-9223372036854775808,9223372036854775807\r\n");
	cv_buf_free(&out);
}

static void test_records_and_bom(void **state)
{
	cv_buf out = CV_BUF_INIT;
	cv_csv w;
	cv_err err;

	(void)state;
	cv_csv_buf(&w, &out, CV_CSV_BOM);
	assert_int_equal(cv_csv_str(&w, "category", &err), CV_OK);
	assert_int_equal(cv_csv_str(&w, "cases", &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	assert_int_equal(cv_csv_str(&w, "家庭", &err), CV_OK);
	assert_int_equal(cv_csv_int(&w, 12, &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	assert_int_equal(cv_csv_field(&w, "abc", 2, &err), CV_OK); /* n bytes only */
	assert_int_equal(cv_csv_field(&w, NULL, 0, &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	assert_int_equal(w.nrecords, 3);
	assert_int_equal(cv_csv_finish(&w, &err), CV_OK);
	assert_string_equal(text(&out), "\xef\xbb\xbf"
					"category,cases\r\n家庭,12\r\nab,\r\n");
	cv_buf_free(&out);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		const char *msg;
	} bad[] = {
	    {"a\0b", 3, "CSV field 2 of record 1 contains a NUL byte (byte 2)"},
	    {"\0", 1, "contains a NUL byte (byte 1)"},
	    {"ok\xff", 3, "CSV field 2 of record 1 is not valid UTF-8 (byte 3)"},
	    {"\xc0\xaf", 2, "is not valid UTF-8 (byte 1)"},	/* overlong '/' */
	    {"\xed\xa0\x80", 3, "is not valid UTF-8 (byte 1)"}, /* surrogate */
	    {"\xe4\xb8", 2, "is not valid UTF-8 (byte 1)"},	/* cut short */
	    {"\xf4\x90\x80\x80", 4, "is not valid UTF-8"},	/* above U+10FFFF */
	    {"red\x1b[31m", 8, "contains a control character (byte 4)"},
	    {"\x7f", 1, "contains a control character (byte 1)"},
	    {"a\xc2\x9b", 3, "contains a control character (byte 2)"}, /* C1 CSI */
	    {"\x01", 1, "contains a control character"},
	    {"\f", 1, "contains a control character"},
	    {NULL, 1, "no text given for CSV field 2 of record 1"},
	};
	cv_buf out = CV_BUF_INIT;
	cv_csv w;
	cv_err err;

	(void)state;
	cv_csv_buf(&w, &out, 0);
	assert_int_equal(cv_csv_str(&w, "first", &err), CV_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cv_err_clear(&err);
		assert_int_equal(cv_csv_field(&w, bad[i].s, bad[i].n, &err), CV_EUSAGE);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("field %zu: got '%s', want '%s'", i, err.msg, bad[i].msg);
		assert_int_equal(w.nfields, 1);
	}
	assert_int_equal(cv_csv_str(&w, NULL, &err), CV_EUSAGE);
	/* the writer goes on; nothing refused reached the output */
	assert_int_equal(cv_csv_str(&w, "second", &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	assert_int_equal(cv_csv_finish(&w, &err), CV_OK);
	assert_string_equal(text(&out), "first,second\r\n");
	cv_buf_free(&out);
}

static void test_ragged_records(void **state)
{
	cv_buf out = CV_BUF_INIT;
	cv_csv w;
	cv_err err;

	(void)state;
	cv_csv_buf(&w, &out, 0);
	assert_int_equal(cv_csv_end(&w, &err), CV_EUSAGE);
	assert_string_equal(err.msg, "CSV record 1 has no fields");
	assert_int_equal(cv_csv_str(&w, "a", &err), CV_OK);
	assert_int_equal(cv_csv_str(&w, "b", &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	/* too many */
	assert_int_equal(cv_csv_str(&w, "1", &err), CV_OK);
	assert_int_equal(cv_csv_int(&w, 2, &err), CV_OK);
	assert_int_equal(cv_csv_str(&w, "3", &err), CV_EUSAGE);
	assert_non_null(strstr(err.msg, "CSV record 2 has more than 2 fields"));
	assert_int_equal(cv_csv_int(&w, 3, &err), CV_EUSAGE);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	/* too few: dropped whole */
	assert_int_equal(cv_csv_str(&w, "lonely", &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_EUSAGE);
	assert_string_equal(err.msg,
			    "CSV record 3 has 1 fields, the first record 2; the record is dropped");
	assert_int_equal(cv_csv_str(&w, "x", &err), CV_OK);
	assert_int_equal(cv_csv_str(&w, "y", &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	/* left open */
	assert_int_equal(cv_csv_str(&w, "open", &err), CV_OK);
	assert_int_equal(cv_csv_finish(&w, &err), CV_EUSAGE);
	assert_string_equal(err.msg, "CSV record 4 was not ended; end it or drop it");
	assert_string_equal(text(&out), "a,b\r\n1,2\r\nx,y\r\n");
	cv_buf_free(&out);
}

static void test_stream_and_write_failure(void **state)
{
	char *mem = NULL;
	size_t memlen = 0;
	FILE *fp = open_memstream(&mem, &memlen);
	cv_csv w;
	cv_err err;

	(void)state;
	assert_non_null(fp);
	cv_csv_file(&w, fp, 0);
	assert_int_equal(cv_csv_str(&w, "a b", &err), CV_OK);
	assert_int_equal(cv_csv_str(&w, "=x", &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	assert_int_equal(cv_csv_finish(&w, &err), CV_OK);
	assert_int_equal(fclose(fp), 0);
	assert_string_equal(mem, "a b,'=x\r\n");
	free(mem);

	/* buffered: the failure shows when the stream is flushed */
	fp = fopen("/dev/full", "w");
	assert_non_null(fp);
	cv_csv_file(&w, fp, 0);
	assert_int_equal(cv_csv_str(&w, "x", &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	assert_int_equal(cv_csv_finish(&w, &err), CV_ERROR);
	assert_non_null(strstr(err.msg, "cannot write the CSV output"));
	fclose(fp);

	/* unbuffered: at the record, and the writer stays broken */
	fp = fopen("/dev/full", "w");
	assert_non_null(fp);
	setvbuf(fp, NULL, _IONBF, 0);
	cv_csv_file(&w, fp, 0);
	assert_int_equal(cv_csv_str(&w, "x", &err), CV_OK);
	assert_int_equal(cv_csv_end(&w, &err), CV_ERROR);
	assert_non_null(strstr(err.msg, "cannot write the CSV output"));
	assert_int_equal(cv_csv_str(&w, "y", &err), CV_ERROR);
	assert_int_equal(cv_csv_int(&w, 1, &err), CV_ERROR);
	assert_int_equal(cv_csv_end(&w, &err), CV_ERROR);
	assert_int_equal(cv_csv_finish(&w, &err), CV_ERROR);
	assert_string_equal(err.msg, "an earlier write of the CSV output failed");
	fclose(fp);
	cv_csv_free(NULL);
}

/* ---- round trip through Python's csv module ---- */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define RT_RECORDS 300
#define RT_FIELDS 5

/* Pieces the generated fields are made of: every character that needs
 * quoting or guarding, CJK, emoji and plain text. */
static const char *const pieces[] = {
    "a", "Z",  " ",  ",", "\"", "\r",	"\n", "\r\n", "\t", "=", "+", "-",  "@",
    "'", "学", "业", "😀", "é",	"\"\"", ",,", "1",    "０", "“", "~", "\\", "\r\r",
};

static void append_hex(cv_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	cv_buf_raw(b, "x", 1);
	for (size_t i = 0; i < n; i++) {
		cv_buf_raw(b, &hex[(unsigned char)s[i] >> 4], 1);
		cv_buf_raw(b, &hex[(unsigned char)s[i] & 15], 1);
	}
}

/* Writes generated records to path and returns, in want, what Python
 * should read back: one line per record, each field as x<hex>. */
static void write_generated(const char *path, unsigned flags, cv_buf *want)
{
	FILE *fp = fopen(path, "wb");
	uint64_t seed = 0xc5f;
	cv_csv w;
	cv_err err;

	assert_non_null(fp);
	cv_csv_file(&w, fp, flags);
	for (int r = 0; r < RT_RECORDS; r++) {
		for (int f = 0; f < RT_FIELDS; f++) {
			cv_buf field = CV_BUF_INIT;
			size_t len = splitmix(&seed) % 9;

			for (size_t k = 0; k < len; k++) {
				const char *p =
				    pieces[splitmix(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];

				cv_buf_raw(&field, p, strlen(p));
			}
			assert_int_equal(
			    cv_csv_field(&w, (const char *)field.data, field.len, &err), CV_OK);
			if (f)
				cv_buf_raw(want, " ", 1);
			if (!(flags & CV_CSV_NO_FORMULA_GUARD) && field.len &&
			    strchr("=+-@\t\r", field.data[0])) {
				cv_buf guarded = CV_BUF_INIT;

				cv_buf_raw(&guarded, "'", 1);
				cv_buf_raw(&guarded, field.data, field.len);
				append_hex(want, (const char *)guarded.data, guarded.len);
				cv_buf_free(&guarded);
			} else {
				append_hex(want, (const char *)field.data, field.len);
			}
			cv_buf_free(&field);
		}
		assert_int_equal(cv_csv_end(&w, &err), CV_OK);
		cv_buf_raw(want, "\n", 1);
	}
	assert_int_equal(cv_csv_finish(&w, &err), CV_OK);
	assert_int_equal(fclose(fp), 0);
}

static void round_trip(unsigned flags, const char *encoding)
{
	static const char reader[] =
	    "import csv, sys\n"
	    "with open(sys.argv[1], newline='', encoding=sys.argv[2]) as f:\n"
	    "    for row in csv.reader(f, strict=True):\n"
	    "        print(' '.join('x' + c.encode('utf-8').hex() for c in row))\n";
	char dir[] = "/tmp/cv-test-csv-XXXXXX", path[64], cmd[256];
	cv_buf want = CV_BUF_INIT, got = CV_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *p;
	int rc;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.csv", dir);
	write_generated(path, flags, &want);
	snprintf(cmd, sizeof(cmd), "python3 -c \"$CV_CSV_READER\" %s %s", path, encoding);
	assert_int_equal(setenv("CV_CSV_READER", reader, 1), 0);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		cv_buf_raw(&got, chunk, n);
	rc = pclose(p);
	/* Removed before anything is asserted, so a failure leaves nothing. */
	unlink(path);
	rmdir(dir);
	assert_int_equal(rc, 0);
	assert_int_equal(got.len, want.len);
	assert_string_equal(text(&got), text(&want));
	cv_buf_free(&want);
	cv_buf_free(&got);
}

static void test_round_trip_python(void **state)
{
	(void)state;
	round_trip(CV_CSV_NO_FORMULA_GUARD, "utf-8");
	round_trip(CV_CSV_BOM, "utf-8-sig");
}

/* ---- the reader ------------------------------------------------------ */

/* A reader over a malloc'd copy of src (with the extra writable byte). */
static char *reader_on(cv_csv_reader *r, const char *src, size_t len)
{
	char *data = malloc(len + 1);

	assert_non_null(data);
	memcpy(data, src, len);
	cv_csv_reader_init(r, data, len);
	return data;
}

/* Reads the next record and checks its line and fields. */
static void expect_record(cv_csv_reader *r, size_t line, const char *const *want, size_t n)
{
	cv_err err = {0};
	int eof = 1;

	if (cv_csv_read(r, &eof, &err) != CV_OK)
		fail_msg("record at line %zu refused: %s", line, err.msg);
	assert_int_equal(eof, 0);
	assert_int_equal(r->rec_line, line);
	assert_int_equal(r->nfields, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r->lens[i], strlen(want[i]));
		assert_string_equal(r->fields[i], want[i]);
	}
}

static void expect_refusal(cv_csv_reader *r, size_t line, const char *code)
{
	cv_err err = {0};
	int eof = 1;
	char where[32];

	assert_int_equal(cv_csv_read(r, &eof, &err), CV_EUSAGE);
	assert_int_equal(eof, 0);
	assert_string_equal(err.code, code);
	snprintf(where, sizeof(where), "line %zu", line);
	if (strncmp(err.msg, where, strlen(where)) != 0)
		fail_msg("'%s' does not begin with '%s'", err.msg, where);
}

static void expect_eof(cv_csv_reader *r)
{
	cv_err err = {0};
	int eof = 0;

	assert_int_equal(cv_csv_read(r, &eof, &err), CV_OK);
	assert_int_equal(eof, 1);
}

static void test_read_known(void **state)
{
	static const char src[] = "\xef\xbb\xbf"
				  "case,kind,text\r\n"
				  "C-AAAAA,session,plain\r\n"
				  "\r\n"
				  "C-BBBBB,\"a, b\",\"she said \"\"no\"\"\"\n"
				  "C-CCCCC,,\"two\r\nlines\nthree\"\n"
				  "\n"
				  "C-DDDDD,\"\",学生说：“我很好”，但是\n"
				  "C-EEEEE,x,last without end";
	cv_csv_reader r;
	char *data = reader_on(&r, src, sizeof(src) - 1);

	(void)state;
	expect_record(&r, 1, F("case", "kind", "text"));
	expect_record(&r, 2, F("C-AAAAA", "session", "plain"));
	expect_record(&r, 4, F("C-BBBBB", "a, b", "she said \"no\""));
	expect_record(&r, 5, F("C-CCCCC", "", "two\r\nlines\nthree"));
	expect_record(&r, 9, F("C-DDDDD", "", "学生说：“我很好”，但是"));
	expect_record(&r, 10, F("C-EEEEE", "x", "last without end"));
	expect_eof(&r);
	expect_eof(&r);
	cv_csv_reader_free(&r);
	free(data);
}

static void test_read_refusals(void **state)
{
	static const char src[] = "a,b\n"
				  "1,2,3\n"	  /* too many fields */
				  "1\n"		  /* too few */
				  "x\"y,2\n"	  /* a quote in an unquoted field */
				  "\"x\"y,2\n"	  /* text after the closing quote */
				  "\xff\xfe,2\n"  /* not UTF-8 */
				  "ok,\"fine\"\n" /* the reader goes on */
				  "a\0b,2\n"	  /* a NUL */
				  "3,\"never closed\n"
				  "4,5\n";
	cv_csv_reader r;
	char *data = reader_on(&r, src, sizeof(src) - 1);

	(void)state;
	expect_record(&r, 1, F("a", "b"));
	expect_refusal(&r, 2, "csv.width");
	expect_refusal(&r, 3, "csv.width");
	expect_refusal(&r, 4, "csv.quote");
	expect_refusal(&r, 5, "csv.after-quote");
	expect_refusal(&r, 6, "csv.utf8");
	expect_record(&r, 7, F("ok", "fine"));
	expect_refusal(&r, 8, "csv.nul");
	expect_refusal(&r, 9, "csv.unclosed");
	assert_int_equal(r.broken, 1);
	/* Nothing after an unclosed quote can be read. */
	expect_refusal(&r, 9, "csv.unclosed");
	cv_csv_reader_free(&r);
	free(data);
}

/* What the writer writes, the reader reads back field for field. */
static void test_read_round_trip(void **state)
{
	static const char *const rows[][3] = {
	    {"id", "text", "n"},
	    {"", "\"", ","},
	    {"a\r\nb", "x\ny", "老师，您好"},
	    {"=1+2", " lead and trail ", "\"quoted\""},
	};
	cv_buf out = CV_BUF_INIT;
	cv_csv_reader r;
	cv_csv w;
	cv_err err;
	char *data;

	(void)state;
	cv_csv_buf(&w, &out, CV_CSV_NO_FORMULA_GUARD | CV_CSV_BOM);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		for (size_t k = 0; k < 3; k++)
			assert_int_equal(cv_csv_str(&w, rows[i][k], &err), CV_OK);
		assert_int_equal(cv_csv_end(&w, &err), CV_OK);
	}
	assert_int_equal(cv_csv_finish(&w, &err), CV_OK);
	data = reader_on(&r, (const char *)out.data, out.len);
	for (size_t i = 0, line = 1; i < ARRAY_SIZE(rows); i++) {
		expect_record(&r, line, rows[i], 3);
		for (size_t k = 0; k < 3; k++)
			for (const char *p = rows[i][k]; *p; p++)
				line += *p == '\n';
		line++;
	}
	expect_eof(&r);
	cv_csv_reader_free(&r);
	free(data);
	cv_buf_free(&out);
}

/* The public table writer: a header and records of one width, NULL an
 * empty field, quoting and the formula guard as everywhere; a record of
 * another width is refused. */
static void test_table_api(void **state)
{
	static const char *const head[] = {"id", "note", "n"};
	const char *row[] = {"C-1", "a, \"b\"\nc", NULL};
	const char *bad[] = {"=1+1", "x"};
	char *mem = NULL;
	size_t memlen = 0;
	FILE *fp = open_memstream(&mem, &memlen);
	cv_csv_table *t = NULL;
	cv_err err = {0};

	(void)state;
	assert_non_null(fp);
	assert_int_equal(cv_csv_table_open(fp, &t, &err), CV_OK);
	assert_int_equal(cv_csv_table_row(t, head, 3, &err), CV_OK);
	assert_int_equal(cv_csv_table_row(t, row, 3, &err), CV_OK);
	row[2] = "=SUM(A1)";
	assert_int_equal(cv_csv_table_row(t, row, 3, &err), CV_OK);
	assert_int_equal(cv_csv_table_row(t, bad, 2, &err), CV_EUSAGE);
	assert_int_equal(cv_csv_table_close(t, &err), CV_OK);
	assert_int_equal(cv_csv_table_close(NULL, &err), CV_OK);
	fclose(fp);
	assert_string_equal(mem, "id,note,n\r\nC-1,\"a, \"\"b\"\"\nc\",\r\n"
				 "C-1,\"a, \"\"b\"\"\nc\",'=SUM(A1)\r\n");
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answers),
	    cmocka_unit_test(test_formula_guard),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_records_and_bom),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_ragged_records),
	    cmocka_unit_test(test_stream_and_write_failure),
	    cmocka_unit_test(test_round_trip_python),
	    cmocka_unit_test(test_read_known),
	    cmocka_unit_test(test_read_refusals),
	    cmocka_unit_test(test_read_round_trip),
	    cmocka_unit_test(test_table_api),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

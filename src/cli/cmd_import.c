/*
 * cmd_import.c - `casevault import cases FILE` and `casevault import notes
 * FILE`: onboarding existing records from a CSV file (RFC 4180, UTF-8, a
 * header line naming the columns).  The program only reads the file, maps
 * its columns and prints; every row is checked, written and logged by the
 * library (cv_import_*), in one transaction: any refused row and nothing
 * is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

/* The largest file imported at once (a school's ten years of notes fit). */
#define IMPORT_MAX ((size_t)256 * 1024 * 1024)
/* How much standard input is read at a time. */
#define READ_CHUNK 65536
/* Width of the progress bar, in cells. */
#define BAR_CELLS 30

/* A column: its name in the header (with '-' or '_', any letter case),
 * the Chinese names a school's spreadsheet may use instead ('|' between
 * them), whether a row must fill it, the word set its values may be
 * Chinese aliases of (0: none), and whether a value is a list of them. */
struct column {
	const char *name;
	const char *zh;
	int required;
	cv_wordset words;
	int list;
};

/* Cases: the fields of `case open --form`, then the consent on file (as
 * `consent record` takes it; consent_by empty: none recorded). */
enum {
	C_STUDENT_ID,
	C_NAME,
	C_GENDER,
	C_GRADE,
	C_CLASS,
	C_CATEGORY,
	C_BORN,
	C_GUARDIAN,
	C_GUARDIAN_PHONE,
	C_CONSENT_BY,
	C_CONSENT_METHOD,
	C_CONSENT_DATE,
	C_CONSENT_SCOPE,
	C_CONSENT_VERIFIED_BY,
	C_NCOLS
};

static const struct column case_cols[C_NCOLS] = {
    {"student_id", "学号", 1, 0},
    {"name", "姓名", 1, 0},
    {"gender", "性别", 1, CV_WORDS_GENDER},
    {"grade", "年级", 1, 0},
    {"class", "班级", 1, 0},
    {"category", "类别|问题类别", 1, CV_WORDS_CATEGORY},
    {"born", "出生日期", 0, 0},
    {"guardian", "监护人", 0, 0},
    {"guardian_phone", "监护人电话", 0, 0},
    {"consent_by", "知情同意人|同意人", 0, CV_WORDS_PARTY, 1},
    {"consent_method", "同意方式", 0, CV_WORDS_METHOD},
    {"consent_date", "同意日期", 0, 0},
    {"consent_scope", "同意范围", 0, CV_WORDS_SCOPE, 1},
    {"consent_verified_by", "核实人", 0, 0},
};

/* Notes: the case (its id, or the student number of one of your cases,
 * or both), the kind (empty: session), the text, and whether it is
 * stored final at once (as `note add --finalize`). */
enum { N_CASE, N_STUDENT_ID, N_KIND, N_TEXT, N_FINALIZE, N_NCOLS };

static const struct column note_cols[N_NCOLS] = {
    {"case", "个案|个案编号", 0, 0},
    {"student_id", "学号", 0, 0},
    {"kind", "类型|记录类型", 0, CV_WORDS_NOTE_KIND},
    {"text", "内容|记录内容", 1, 0},
    {"finalize", "定稿", 0, 0},
};

/* A refused row, for the report. */
struct refused {
	size_t line;
	cv_status status;
	char code[CV_ERR_CODE_MAX];
	char *msg;
};

/* A row written, for the output once the batch commits. */
struct written {
	size_t line;
	char id[CV_CASE_ID_MAX];
	int other_open;
};

struct run {
	struct cli *c;
	cv_import_kind kind;
	const struct column *cols;
	size_t ncols;
	size_t field_of[C_NCOLS]; /* the file's field for each column, or SIZE_MAX */
	struct refused *ref;
	size_t nref, capref;
	struct written *ok;
	size_t nok, capok;
	int oom;
	int bar;      /* a progress bar is drawn */
	int last_pct; /* the percentage drawn last */
	char *data;   /* the file, sodium_malloc'd */
	size_t len;
};

/* ---- reading the file ------------------------------------------------ */

/* Reads fd to its end into a sodium_malloc buffer with a spare byte. */
static cv_status read_all(struct cli *c, int fd, const char *what, char **out, size_t *len)
{
	size_t cap = READ_CHUNK, n = 0;
	char *buf = sodium_malloc(cap + 1);
	struct stat sb;
	ssize_t r;

	*out = NULL;
	*len = 0;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size <= IMPORT_MAX &&
	    (size_t)sb.st_size + 1 > cap) {
		sodium_free(buf);
		cap = (size_t)sb.st_size + 1;
		buf = sodium_malloc(cap + 1);
	}
	if (!buf)
		return cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	for (;;) {
		if (n == cap) {
			char *more;

			if (cap >= IMPORT_MAX + 1) {
				sodium_free(buf);
				return cv_err_set(
				    &c->err, CV_EUSAGE,
				    _("%s is larger than %zu MiB; import it in parts"), what,
				    IMPORT_MAX >> 20);
			}
			more = sodium_malloc(2 * cap + 1);
			if (!more) {
				sodium_free(buf);
				return cv_err_set(&c->err, CV_ERROR, _("out of memory"));
			}
			memcpy(more, buf, n);
			sodium_free(buf);
			buf = more;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_free(buf);
			return cv_err_set(&c->err, CV_ERROR, _("cannot read %s: %s"), what,
					  strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > IMPORT_MAX) {
			sodium_free(buf);
			return cv_err_set(&c->err, CV_EUSAGE,
					  _("%s is larger than %zu MiB; import it in parts"), what,
					  IMPORT_MAX >> 20);
		}
	}
	*out = buf;
	*len = n;
	return CV_OK;
}

static cv_status read_file(struct cli *c, const char *path, char **out, size_t *len)
{
	struct stat sb;
	cv_status st;
	int fd;

	if (strcmp(path, "-") == 0)
		return read_all(c, STDIN_FILENO, _("standard input"), out, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cv_err_set(&c->err, errno == ENOENT ? CV_ENOTFOUND : CV_ERROR,
				  _("cannot read '%s': %s"), path, strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return cv_err_set(&c->err, CV_EUSAGE, _("'%s' is a directory; give a CSV file"),
				  path);
	}
	st = read_all(c, fd, path, out, len);
	close(fd);
	return st;
}

/* ---- the header -------------------------------------------------------- */

/* Whether header cell h names column k (h is trimmed already). */
static int names_column(const struct column *k, const char *h)
{
	const char *p = k->zh;
	size_t n = strlen(k->name);

	if (strlen(h) == n) {
		size_t i = 0;

		for (; i < n; i++) {
			char ch = h[i];

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (ch == '-' || ch == ' ')
				ch = '_';
			if (ch != k->name[i])
				break;
		}
		if (i == n)
			return 1;
	}
	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (strlen(h) == len && strncmp(h, p, len) == 0)
			return 1;
		p = bar ? bar + 1 : NULL;
	}
	return 0;
}

/* Blanks (space, tab) around a cell removed, in place. */
static char *trim(char *s, size_t *len)
{
	size_t n = *len;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	*len = n;
	return s;
}

/* "a, b or c": the columns' names. */
static void column_names(const struct column *cols, size_t n, int required, char *out, size_t cap)
{
	size_t o = 0, k = 0, total = 0;

	for (size_t i = 0; i < n; i++)
		total += !required || cols[i].required;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int r;

		if (required && !cols[i].required)
			continue;
		k++;
		r = snprintf(out + o, cap - o, "%s%s",
			     k == 1	 ? ""
			     : k < total ? ", "
					 : _(" and "),
			     cols[i].name);
		if (r < 0 || (size_t)r >= cap - o)
			return;
		o += (size_t)r;
	}
}

static cv_status map_header(struct run *u, cv_csv_reader *r, const char *what)
{
	struct cli *c = u->c;
	char names[512];
	int eof = 0;

	for (size_t k = 0; k < u->ncols; k++)
		u->field_of[k] = SIZE_MAX;
	if (cv_csv_read(r, &eof, &c->err) != CV_OK)
		return c->err.status == CV_ERROR ? CV_ERROR : CV_EUSAGE;
	if (eof)
		return cv_err_set(&c->err, CV_EUSAGE,
				  _("%s is empty; its first line names the columns"), what);
	for (size_t i = 0; i < r->nfields; i++) {
		size_t len = r->lens[i], k;
		char *h = trim(r->fields[i], &len);

		for (k = 0; k < u->ncols && !names_column(&u->cols[k], h); k++)
			;
		if (k == u->ncols) {
			column_names(u->cols, u->ncols, 0, names, sizeof(names));
			return cv_err_set(&c->err, CV_EUSAGE,
					  _("%s, line %zu: unknown column '%.60s'; the columns are "
					    "%s"),
					  what, r->rec_line, h, names);
		}
		if (u->field_of[k] != SIZE_MAX)
			return cv_err_set(&c->err, CV_EUSAGE,
					  _("%s, line %zu: the column '%s' is named twice"), what,
					  r->rec_line, u->cols[k].name);
		u->field_of[k] = i;
	}
	if (u->kind == CV_IMPORT_NOTES && u->field_of[N_CASE] == SIZE_MAX &&
	    u->field_of[N_STUDENT_ID] == SIZE_MAX)
		return cv_err_set(&c->err, CV_EUSAGE,
				  _("%s has no column 'case' or 'student_id'; the header must "
				    "name one of them, and text"),
				  what);
	for (size_t k = 0; k < u->ncols; k++)
		if (u->cols[k].required && u->field_of[k] == SIZE_MAX) {
			column_names(u->cols, u->ncols, 1, names, sizeof(names));
			return cv_err_set(&c->err, CV_EUSAGE,
					  _("%s has no column '%s'; the header must name %s"), what,
					  u->cols[k].name, names);
		}
	return CV_OK;
}

/* ---- one row ----------------------------------------------------------- */

/* Column k's cell of the record read last: trimmed (the note text is
 * kept as it is), NULL when the file has no such column or the cell is
 * empty. */
static char *cell(struct run *u, cv_csv_reader *r, size_t k, size_t *len)
{
	size_t i = u->field_of[k], n;
	char *s;

	if (len)
		*len = 0;
	if (i == SIZE_MAX || i >= r->nfields)
		return NULL;
	s = r->fields[i];
	n = r->lens[i];
	if (!(u->kind == CV_IMPORT_NOTES && k == N_TEXT))
		s = trim(s, &n);
	if (len)
		*len = n;
	return n ? s : NULL;
}

/* A fixed word's Chinese alias replaced by the word (女 for F); a list
 * of scopes word by word, joined with commas (Chinese list marks too).
 * The result lives in out, or is s itself. */
static const char *canon(const struct column *k, const char *s, char *out, size_t cap)
{
	const char *w;
	size_t o = 0;

	if (!s || !k->words)
		return s;
	if (!k->list) {
		w = cli_alias(k->words, s, strlen(s));
		return w ? w : s;
	}
	/* Lists: consent parties ("student,guardian"), consent scopes. */
	while (*s) {
		static const char *const seps[] = {",", ";", "，", "、", "；"};
		size_t n = strcspn(s, ",;"), skip = 0;
		const char *word;
		int r;

		for (size_t i = 0; i < ARRAY_SIZE(seps); i++) {
			const char *at = strstr(s, seps[i]);

			if (at && (size_t)(at - s) < n)
				n = (size_t)(at - s);
		}
		for (size_t i = 0; i < ARRAY_SIZE(seps); i++)
			if (strncmp(s + n, seps[i], strlen(seps[i])) == 0)
				skip = strlen(seps[i]);
		while (n && s[n - 1] == ' ')
			n--;
		word = cli_alias(k->words, s, n);
		r = word ? snprintf(out + o, cap - o, "%s%s", o ? "," : "", word)
			 : snprintf(out + o, cap - o, "%s%.*s", o ? "," : "", (int)n, s);
		if (r < 0 || (size_t)r >= cap - o)
			return s;
		o += (size_t)r;
		s += n;
		while (*s == ' ')
			s++;
		s += skip;
		while (*s == ' ')
			s++;
	}
	return out;
}

/* The finalize column: 1 (yes), 0 (no), -1 (neither). */
static int yes_no(const char *s)
{
	static const char *const yes[] = {"yes", "y", "true", "1", "是", "final"};
	static const char *const no[] = {"no", "n", "false", "0", "否", "draft"};

	if (!s)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

/* Keeps a refusal for the report; the message is the program's rendering
 * of err (translated). */
static void keep_refused(struct run *u, size_t line, const cv_err *err)
{
	struct refused *r;
	const char *msg = cli_message(err);

	if (u->nref == u->capref) {
		size_t cap = u->capref ? 2 * u->capref : 16;
		struct refused *n = realloc(u->ref, cap * sizeof(*n));

		if (!n) {
			u->oom = 1;
			return;
		}
		u->ref = n;
		u->capref = cap;
	}
	r = &u->ref[u->nref];
	r->line = line;
	r->status = err->status;
	snprintf(r->code, sizeof(r->code), "%s", err->code[0] ? err->code : "error");
	r->msg = strdup(msg);
	if (!r->msg) {
		u->oom = 1;
		return;
	}
	u->nref++;
}

static void keep_written(struct run *u, size_t line, const char *id, int other_open)
{
	if (u->nok == u->capok) {
		size_t cap = u->capok ? 2 * u->capok : 64;
		struct written *n = realloc(u->ok, cap * sizeof(*n));

		if (!n) {
			u->oom = 1;
			return;
		}
		u->ok = n;
		u->capok = cap;
	}
	u->ok[u->nok].line = line;
	snprintf(u->ok[u->nok].id, sizeof(u->ok[u->nok].id), "%s", id);
	u->ok[u->nok].other_open = other_open;
	u->nok++;
}

/* A row the program refuses itself: reported, and the batch told. */
static void refuse_row(struct run *u, cv_import *im, size_t line, cv_err *e, const char *code)
{
	if (code)
		snprintf(e->code, sizeof(e->code), "%s", code);
	keep_refused(u, line, e);
	cv_import_refuse(im, e);
}

/* The required cells that are empty: one refusal naming the first. */
static int empty_required(struct run *u, cv_import *im, cv_csv_reader *r)
{
	for (size_t k = 0; k < u->ncols; k++)
		if (u->cols[k].required && !cell(u, r, k, NULL)) {
			cv_err e = {0};

			cv_err_set(&e, CV_EUSAGE, _("the column '%s' is empty"), u->cols[k].name);
			refuse_row(u, im, r->rec_line, &e, "import.empty");
			return 1;
		}
	return 0;
}

/* The library's answer to one row: written, refused (reported), or the
 * end of the batch. */
static cv_status settle(struct run *u, size_t line, cv_status st, const char *id, int other_open)
{
	if (st == CV_OK) {
		keep_written(u, line, id, other_open);
		return CV_OK;
	}
	if (st == CV_EUSAGE || st == CV_EDENIED || st == CV_ENOTFOUND) {
		keep_refused(u, line, &u->c->err);
		return CV_OK;
	}
	return st;
}

static cv_status case_row(struct run *u, cv_import *im, cv_csv_reader *r)
{
	char words[C_NCOLS][160], id[CV_CASE_ID_MAX];
	const char *v[C_NCOLS];
	cv_import_case_row row = {0};
	unsigned grade = 0;
	int other = 0;
	cv_status st;

	if (empty_required(u, im, r))
		return CV_OK;
	for (size_t k = 0; k < C_NCOLS; k++)
		v[k] = canon(&case_cols[k], cell(u, r, k, NULL), words[k], sizeof(words[k]));
	/* A grade that is not a number is 0, which the library refuses with
	 * the rule. */
	(void)cli_parse_u32(v[C_GRADE], &grade);
	row.in.student_id = v[C_STUDENT_ID];
	row.in.name = v[C_NAME];
	row.in.gender = v[C_GENDER];
	row.in.grade = grade;
	row.in.class_name = v[C_CLASS];
	row.in.category = v[C_CATEGORY];
	row.in.born = v[C_BORN];
	row.in.guardian = v[C_GUARDIAN];
	row.in.guardian_phone = v[C_GUARDIAN_PHONE];
	row.consent.by = v[C_CONSENT_BY];
	row.consent.method = v[C_CONSENT_METHOD];
	row.consent.date = v[C_CONSENT_DATE];
	row.consent.scopes = v[C_CONSENT_SCOPE];
	row.consent.verified_by = v[C_CONSENT_VERIFIED_BY];
	st = cv_import_case(im, &row, id, &other, &u->c->err);
	return settle(u, r->rec_line, st, id, other);
}

static cv_status note_row(struct run *u, cv_import *im, cv_csv_reader *r)
{
	char kind[64], id[CV_CASE_ID_MAX], *case_id;
	cv_import_note_row row = {0};
	const char *fin;
	int final;
	cv_status st;

	if (empty_required(u, im, r))
		return CV_OK;
	fin = cell(u, r, N_FINALIZE, NULL);
	final = yes_no(fin);
	if (final < 0) {
		cv_err e = {0};

		cv_err_set(&e, CV_EUSAGE, _("finalize is yes or no (empty: no), not '%.40s'"), fin);
		refuse_row(u, im, r->rec_line, &e, "import.finalize");
		return CV_OK;
	}
	case_id = cell(u, r, N_CASE, NULL);
	row.student_id = cell(u, r, N_STUDENT_ID, NULL);
	if (!case_id && !row.student_id) {
		cv_err e = {0};

		cv_err_set(&e, CV_EUSAGE, _("the row names no case: fill 'case' or 'student_id'"));
		refuse_row(u, im, r->rec_line, &e, "import.empty");
		return CV_OK;
	}
	if (case_id)
		cv_id_normalize(case_id);
	row.case_id = case_id;
	row.kind = canon(&note_cols[N_KIND], cell(u, r, N_KIND, NULL), kind, sizeof(kind));
	row.text = cell(u, r, N_TEXT, &row.len);
	row.finalize = final;
	st = cv_import_note(im, &row, id, &u->c->err);
	return settle(u, r->rec_line, st, id, 0);
}

/* ---- progress and the report --------------------------------------------- */

static void progress(struct run *u, const cv_csv_reader *r)
{
	size_t done = (size_t)(r->p - u->data);
	int pct = u->len ? (int)((double)done * 100.0 / (double)u->len) : 100;
	char bar[BAR_CELLS + 1];
	int full = pct * BAR_CELLS / 100;

	if (!u->bar || pct == u->last_pct)
		return;
	u->last_pct = pct;
	for (int i = 0; i < BAR_CELLS; i++)
		bar[i] = i < full ? '#' : '-';
	bar[BAR_CELLS] = '\0';
	fputc('\r', stderr);
	fprintf(stderr, _("importing [%s] %3d%%  %zu rows"), bar, pct, (size_t)r->nrecords - 1);
	fflush(stderr);
}

static void progress_end(struct run *u)
{
	if (!u->bar || u->last_pct < 0)
		return;
	/* The bar's line is cleared: the report follows. */
	fputs("\r\033[K", stderr);
	fflush(stderr);
}

/* Under --json: the error object, with every refused row. */
static void report_json(struct run *u, const cv_err *err)
{
	json_t *rows = json_array(), *e;

	for (size_t i = 0; rows && i < u->nref; i++)
		json_array_append_new(
		    rows, json_pack("{s:I, s:s, s:s, s:o}", "line", (json_int_t)u->ref[i].line,
				    "status", cv_status_name(u->ref[i].status), "code",
				    u->ref[i].code, "message", cli_json_str(u->ref[i].msg)));
	/* The error object of every command (out.c), with the refused rows. */
	e = json_pack("{s:b, s:{s:s, s:s, s:i, s:o, s:o}}", "ok", 0, "error", "status",
		      cv_status_name(err->status), "code", err->code, "exit", (int)err->status,
		      "message", cli_json_str(cli_message(err)), "refused", rows);
	if (e) {
		char *s = json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_free_t release;

		json_get_alloc_funcs(NULL, &release);
		if (s) {
			fprintf(stderr, "%s\n", s);
			release(s);
		}
		json_decref(e);
	}
}

static int report_refused(struct run *u)
{
	struct cli *c = u->c;

	if (c->json) {
		report_json(u, &c->err);
		return (int)c->err.status;
	}
	for (size_t i = 0; i < u->nref; i++) {
		/* The reader's messages name their line already. */
		if (strncmp(u->ref[i].code, "csv.", 4) == 0)
			cli_linef(stderr, "%s", u->ref[i].msg);
		else
			cli_linef(stderr, _("line %zu: %s"), u->ref[i].line, u->ref[i].msg);
	}
	return cli_fail(c);
}

static void print_written(struct run *u)
{
	struct cli *c = u->c;

	if (c->json) {
		json_t *rows = json_array();

		for (size_t i = 0; rows && i < u->nok; i++) {
			json_t *o = json_pack("{s:I, s:s}", "line", (json_int_t)u->ok[i].line, "id",
					      u->ok[i].id);

			if (o && u->kind == CV_IMPORT_CASES)
				json_object_set_new(o, "other_open_cases",
						    json_integer(u->ok[i].other_open));
			json_array_append_new(rows, o);
		}
		cli_json_result(json_pack("{s:s, s:I, s:o}", "kind",
					  u->kind == CV_IMPORT_CASES ? "cases" : "notes",
					  "imported", (json_int_t)u->nok, "rows", rows));
		return;
	}
	for (size_t i = 0; i < u->nok; i++) {
		cli_linef(stdout, _("line %zu: %s"), u->ok[i].line, u->ok[i].id);
		if (u->ok[i].other_open)
			fprintf(stderr,
				_("warning: line %zu: this student already has %d other open "
				  "case(s); see 'casevault case find'\n"),
				u->ok[i].line, u->ok[i].other_open);
	}
	if (u->kind == CV_IMPORT_CASES)
		fprintf(stderr, _("imported %zu case(s)\n"), u->nok);
	else
		fprintf(stderr, _("imported %zu note(s)\n"), u->nok);
}

static void run_free(struct run *u)
{
	for (size_t i = 0; i < u->nref; i++)
		free(u->ref[i].msg);
	free(u->ref);
	free(u->ok);
	sodium_free(u->data);
}

/* ---- the command ------------------------------------------------------- */

static int import_file(struct cli *c, int argc, char **argv, cv_import_kind kind)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	struct run u = {0};
	cv_csv_reader r = {0};
	cv_import *im = NULL;
	const char *path, *what;
	cv_status st;
	int ch, eof = 0, rc;

	while ((ch = cli_getopt(argc, argv, "", none)) != -1)
		if (ch == -2)
			return CV_EUSAGE;
	if (cli_operands(argc, argv, optind, 1,
			 "give the CSV file to import (or - for standard input)") != 0)
		return CV_EUSAGE;
	path = argv[optind];
	what = strcmp(path, "-") == 0 ? _("standard input") : path;
	u.c = c;
	u.kind = kind;
	u.cols = kind == CV_IMPORT_CASES ? case_cols : note_cols;
	u.ncols = kind == CV_IMPORT_CASES ? C_NCOLS : N_NCOLS;
	u.bar = !c->json && isatty(STDERR_FILENO);
	u.last_pct = -1;
	/* A file is read, and its header checked, before the passphrase is
	 * asked; standard input after it (the passphrase may come first). */
	st = strcmp(path, "-") != 0 ? read_file(c, path, &u.data, &u.len) : CV_OK;
	if (st == CV_OK && u.data) {
		cv_csv_reader_init(&r, u.data, u.len);
		st = map_header(&u, &r, what);
	}
	if (st == CV_OK)
		st = cli_session(c);
	if (st == CV_OK && !u.data) {
		st = read_file(c, path, &u.data, &u.len);
		if (st == CV_OK) {
			cv_csv_reader_init(&r, u.data, u.len);
			st = map_header(&u, &r, what);
		}
	}
	if (st == CV_OK)
		st = cv_import_begin(c->s, kind, &im, &c->err);
	while (st == CV_OK && !u.oom) {
		cv_err e = {0};

		st = cv_csv_read(&r, &eof, &e);
		if (st == CV_OK && eof)
			break;
		if (st == CV_EUSAGE) {
			keep_refused(&u, r.rec_line, &e);
			cv_import_refuse(im, &e);
			st = CV_OK;
			if (r.broken)
				break;
			continue;
		}
		if (st != CV_OK) {
			c->err = e;
			break;
		}
		st = kind == CV_IMPORT_CASES ? case_row(&u, im, &r) : note_row(&u, im, &r);
		progress(&u, &r);
	}
	progress_end(&u);
	if (st == CV_OK && u.oom)
		st = cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	if (st == CV_OK && r.nrecords <= 1 && !u.nref)
		st = cv_err_set(&c->err, CV_EUSAGE, _("%s has no rows after its header"), what);
	if (st == CV_OK)
		st = cv_import_end(im, &c->err);
	cv_import_free(im);
	cv_csv_reader_free(&r);
	if (st == CV_OK)
		print_written(&u);
	if (st == CV_OK)
		rc = CV_OK;
	else if (u.nref && strcmp(c->err.code, "import.refused") == 0)
		rc = report_refused(&u);
	else
		rc = cli_fail(c);
	run_free(&u);
	return rc;
}

int cmd_import_cases(struct cli *c, int argc, char **argv)
{
	return import_file(c, argc, argv, CV_IMPORT_CASES);
}

int cmd_import_notes(struct cli *c, int argc, char **argv)
{
	return import_file(c, argc, argv, CV_IMPORT_NOTES);
}

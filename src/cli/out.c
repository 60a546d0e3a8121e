/*
 * out.c - small printing and parsing helpers shared by the commands, and
 * the one way errors reach the user (text, or JSON under --json).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "banned.h"

const struct cmd *cli_current;
static int json_errors;
static int csv_lists; /* --csv: cli_json_line prints an array as CSV */

#ifndef CV_LOCALEDIR
#define CV_LOCALEDIR "/usr/local/share/locale"
#endif

/* The first of the variables that set, non-empty, the messages' locale
 * (as setlocale reads them), or "" when none does. */
static const char *messages_locale(void)
{
	static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};

	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return v;
	}
	return "";
}

/* Whether name is the C locale (C, POSIX, C.UTF-8 and its spellings), for
 * which no catalog is made: every message is the program's own English. */
static int c_locale(const char *name)
{
	return !*name || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0 ||
	       strncmp(name, "C.", 2) == 0;
}

/*
 * Where the catalogs are: PREFIX/share/locale when the program runs as
 * PREFIX/bin/casevault and that directory exists (an install under any
 * prefix, DESTDIR staging included, finds its own catalogs without being
 * built for that prefix), else the directory it was built for.
 */
static const char *localedir(char *buf, size_t cap)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat sb;
	char *slash;

	if (n <= 0)
		return CV_LOCALEDIR;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash || slash - exe < 4 || strncmp(slash - 4, "/bin", 4) != 0)
		return CV_LOCALEDIR;
	slash[-4] = '\0'; /* PREFIX */
	if ((size_t)snprintf(buf, cap, "%s/share/locale", exe) >= cap || stat(buf, &sb) != 0 ||
	    !S_ISDIR(sb.st_mode))
		return CV_LOCALEDIR;
	return buf;
}

void cli_i18n(void)
{
	char installed[4200];
	const char *dir = getenv("CASEVAULT_LOCALEDIR"), *language = getenv("LANGUAGE");

	/* In the C locale with no LANGUAGE list, gettext would search and
	 * find no catalog: nothing is loaded (setlocale alone reads the
	 * locale archive, a tenth of a warm command's start), and every
	 * message is the English it would have given. */
	if ((!language || !*language) && c_locale(messages_locale()))
		return;
	/* Only the messages follow the locale: numbers, dates and the
	 * character classes the program relies on stay those of "C". */
	setlocale(LC_MESSAGES, "");
	bindtextdomain(CV_TEXTDOMAIN, dir && *dir ? dir : localedir(installed, sizeof(installed)));
	/* The catalog's UTF-8 as it is, whatever LC_CTYPE says. */
	bind_textdomain_codeset(CV_TEXTDOMAIN, "UTF-8");
	/* strerror's sentences too (an argument of our messages), which the C
	 * library would otherwise give in LC_CTYPE's charset: C, as '?'. */
	bind_textdomain_codeset("libc", "UTF-8");
}

const char *cli_tr(const char *s)
{
	return s && *s ? _(s) : s;
}

void cli_put_safe(FILE *f, const char *s)
{
	cli_put_text(f, s, strlen(s), 0);
}

void cli_put_text(FILE *f, const char *s, size_t n, int keep_lines)
{
	/* The library decides what is printable; here it is only written: a
	 * printable run as it is, then one unit escaped. */
	while (n > 0) {
		char esc[CV_TEXT_ESC_MAX];
		size_t k = cv_text_safe_run(s, n, keep_lines);

		fwrite(s, 1, k, f);
		s += k;
		n -= k;
		if (n == 0)
			break;
		k = cv_text_escape_one(s, n, esc);
		fputs(esc, f);
		s += k;
		n -= k;
	}
}

void cli_table_row(struct cli_table *t, const char *const *cells)
{
	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **more = realloc(t->cells, cap * t->ncols * sizeof(*more));

		if (!more) {
			t->oom = 1;
			return;
		}
		t->cells = more;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = strdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

void cli_table_print(struct cli_table *t, FILE *f, const char *indent)
{
	size_t width[16] = {0};

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols && i < ARRAY_SIZE(width); i++) {
			const char *c = t->cells[r * t->ncols + i];
			size_t w = c ? cv_text_width(c, strlen(c)) : 0;

			if (w > width[i])
				width[i] = w;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		/* no padding after the last cell with text: no trailing blanks */
		size_t last = 0;

		for (size_t i = 0; i < t->ncols; i++) {
			const char *c = t->cells[r * t->ncols + i];

			if (!c || *c)
				last = i;
		}
		fputs(indent, f);
		for (size_t i = 0; i < t->ncols; i++) {
			const char *c = t->cells[r * t->ncols + i];
			size_t len = c ? strlen(c) : 0;

			cli_put_text(f, c ? c : "?", c ? len : 1, 0);
			if (i < last && i < ARRAY_SIZE(width))
				for (size_t w = c ? cv_text_width(c, len) : 1; w < width[i] + 2;
				     w++)
					fputc(' ', f);
		}
		fputc('\n', f);
	}
	for (size_t k = 0; k < t->nrows * t->ncols; k++)
		free(t->cells[k]);
	free(t->cells);
	if (t->oom)
		fputs(_("error: out of memory; the table is incomplete\n"), stderr);
	memset(t, 0, sizeof(*t));
}

const char *cli_pad(char *buf, size_t cap, const char *s, size_t cols)
{
	size_t w = cv_text_width(s, strlen(s));

	snprintf(buf, cap, "%s%*s", s, w < cols ? (int)(cols - w) : 0, "");
	return buf;
}

void cli_linef(FILE *f, const char *fmt, ...)
{
	char small[512], *buf = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	fmt = cli_tr(fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		char *big = malloc((size_t)n + 1);

		if (big) {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)n + 1, fmt, ap);
			va_end(ap);
			buf = big;
		} else {
			n = (int)sizeof(small) - 1; /* the part that fits, still escaped */
		}
	}
	cli_put_text(f, buf, (size_t)n, 0);
	fputc('\n', f);
	/* The line may hold a student's name: leave no copy behind. */
	sodium_memzero(buf, buf == small ? sizeof(small) : (size_t)n + 1);
	if (buf != small)
		free(buf);
}

int cli_parse_u32(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 0xffffffffUL)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Prints one JSON value as a line on f and frees it. */
static void json_line_to(FILE *f, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_free_t release;

	/* jansson allocated s with the library's wiping allocator: free it
	 * through jansson, never with free(). */
	json_get_alloc_funcs(NULL, &release);
	if (s) {
		fprintf(f, "%s\n", s);
		release(s);
	}
	json_decref(o);
}

json_t *cli_json_strn(const char *s, size_t n)
{
	json_t *j;
	char *buf;
	size_t o = 0;

	if (!s)
		return NULL;
	j = json_stringn(s, n);
	if (j)
		return j;
	/* Not UTF-8: jansson refuses it, and the whole line would vanish.  It
	 * is written as a terminal would show it instead (at most 4 bytes for
	 * every byte: "\xNN"). */
	buf = malloc(n * 4 + 1);
	if (!buf)
		return NULL;
	while (n > 0) {
		char esc[CV_TEXT_ESC_MAX];
		size_t k = cv_text_safe_run(s, n, 1);

		memcpy(buf + o, s, k);
		o += k;
		s += k;
		n -= k;
		if (n == 0)
			break;
		k = cv_text_escape_one(s, n, esc);
		memcpy(buf + o, esc, strlen(esc));
		o += strlen(esc);
		s += k;
		n -= k;
	}
	j = json_stringn(buf, o);
	sodium_memzero(buf, o);
	free(buf);
	return j;
}

json_t *cli_json_str(const char *s)
{
	return s ? cli_json_strn(s, strlen(s)) : NULL;
}

/* Prints an error on stderr: "error: MESSAGE" with control characters
 * escaped, or one JSON line (jansson escapes them there). */
static void put_error(cv_status st, const char *code, const char *msg, const char *usage)
{
	if (json_errors) {
		/* What was typed, or what the vault holds, may not be UTF-8. */
		json_t *m = cli_json_str(msg), *e;

		e = json_pack("{s:s, s:s, s:i, s:o}", "status", cv_status_name(st), "code",
			      code && *code ? code : "error", "exit", (int)st, "message", m);

		if (e && usage) {
			char line[CV_ERRMSG_MAX];

			snprintf(line, sizeof(line), "casevault %s", usage);
			json_object_set_new(e, "usage", json_string(line));
		}
		json_line_to(stderr, json_pack("{s:b, s:o}", "ok", 0, "error", e));
		return;
	}
	/* Messages may quote what was typed or what a tampered vault holds:
	 * escape control characters so neither can drive the terminal. */
	fputs(_("error: "), stderr);
	cli_put_safe(stderr, msg);
	fputc('\n', stderr);
	if (usage)
		fprintf(stderr, _("usage: casevault %s\n"), usage);
}

void cli_json_errors(int on)
{
	json_errors = on;
}

static int usage_v(const struct cmd *cmd, const char *code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int usage_v(const struct cmd *cmd, const char *code, const char *fmt, va_list ap)
{
	char msg[CV_ERRMSG_MAX];

	vsnprintf(msg, sizeof(msg), cli_tr(fmt), ap);
	put_error(CV_EUSAGE, code, msg, cmd ? cmd->usage : NULL);
	return CV_EUSAGE;
}

int cli_usage(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = usage_v(cmd, "usage", fmt, ap);
	va_end(ap);
	return rc;
}

int cli_usage_code(const struct cmd *cmd, const char *code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = usage_v(cmd, code, fmt, ap);
	va_end(ap);
	return rc;
}

int cli_operands(int argc, char **argv, int first, int want, const char *missing)
{
	if (argc - first < want) {
		cli_usage_code(cli_current, "usage.arguments", "%s", cli_tr(missing));
		return -1;
	}
	if (argc - first > want) {
		cli_usage_code(cli_current, "usage.arguments", "unexpected argument '%s'",
			       argv[first + want]);
		return -1;
	}
	return 0;
}

int cli_id_operand(int argc, char **argv, int first, const char *missing)
{
	if (cli_operands(argc, argv, first, 1, missing) != 0)
		return -1;
	cv_id_normalize(argv[first]);
	return 0;
}

/* The status names (cv_status_name), for the catalog. */
static const char *const status_names[] = {
    N_("ok"),	     N_("error"),
    N_("usage"),     N_("authentication failed"),
    N_("denied"),    N_("integrity failure"),
    N_("not found"),
};

/* Who may do what, as a refusal by role says it ("'{1}' is {2}; only {3}
 * may use '{4}'": cv_role_a and the policy's table, policy.c); then the
 * other phrases of the library's arguments: the consent scopes of a
 * refusal for missing consent ("... for {3}": consent_state.c), what an
 * epsilon parse names (dlap.c) and the sums of a statistics refusal
 * (sdc.c). */
static const char *const role_phrases[] = {
    N_("a counselor"),
    N_("a supervisor"),
    N_("an admin"),
    N_("an admin with the recovery code"),
    N_("anyone"),
    N_("counselors and supervisors who hold the key"),
    N_("counselors and supervisors"),
    N_("counselors granted on a case"),
    N_("counselors"),
    N_("supervisors and admins"),
    N_("supervisors"),
    N_("the account's owner, with its enrolment code"),
    N_("individual counseling"),
    N_("group counseling"),
    N_("psychological testing"),
    N_("contact with guardians"),
    N_("disclosure to a referral institution"),
    N_("privacy budget"),
    N_("row totals"),
    N_("column totals"),
};

/* The phrases among an error's arguments, translated: any of several
 * words the catalog has (the library's CV_PHRASE and the phrases above:
 * no name or id has a space), and the one-word role phrases in a refusal
 * by role only.  Names, ids and commands stay as they are. */
static void role_args(cv_err *e)
{
	/* The vault keys by name, in a refusal about a key copy ("the {2}
	 * key"): the "key" context of the catalog. */
	static const char *const key_names[] = {NC_("key", "index"), NC_("key", "stats")};
	int by_role = strcmp(e->code, "policy.role") == 0;
	int by_key = strncmp(e->code, "vkey.", 5) == 0;

	for (size_t a = 0; a < CV_ERR_ARGS; a++) {
		if (strchr(e->args[a], ' ')) {
			const char *t = cli_tr(e->args[a]);

			if (t != e->args[a])
				snprintf(e->args[a], CV_ERR_ARG_MAX, "%s", t);
			continue;
		}
		for (size_t i = 0; by_key && i < ARRAY_SIZE(key_names); i++)
			if (strcmp(e->args[a], key_names[i]) == 0) {
				char key[32];
				const char *t;

				snprintf(key, sizeof(key), "key\004%s", key_names[i]);
				t = _(key);
				if (t != key)
					snprintf(e->args[a], CV_ERR_ARG_MAX, "%s", t);
			}
		for (size_t i = 0; by_role && i < ARRAY_SIZE(role_phrases); i++)
			if (strcmp(e->args[a], role_phrases[i]) == 0) {
				snprintf(e->args[a], CV_ERR_ARG_MAX, "%s", _(role_phrases[i]));
				break;
			}
	}
}

const char *cli_message(const cv_err *err)
{
	static char buf[CV_ERRMSG_MAX];
	cv_err e = *err;

	(void)status_names;
	role_args(&e);
	/* The template is translated, then its arguments put in: the
	 * library and the log stay English and keep the codes. */
	if (err->tmpl)
		cv_err_render(&e, cli_tr(err->tmpl), buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s", cli_tr(err->msg));
	if (!buf[0])
		snprintf(buf, sizeof(buf), "%s",
			 cli_tr(cv_status_name(err->status == CV_OK ? CV_ERROR : err->status)));
	return buf;
}

cv_status cli_err_code(struct cli *c, cv_status st, const char *code, const char *fmt, ...)
{
	char msg[CV_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cv_err_set(&c->err, st, "%s", msg);
	snprintf(c->err.code, sizeof(c->err.code), "%s", code);
	return st;
}

int cli_fail(struct cli *c)
{
	cv_status st = c->err.status == CV_OK ? CV_ERROR : c->err.status;

	put_error(st, c->err.code, cli_message(&c->err), NULL);
	return (int)st;
}

/* One cell of a list's object as CSV text: a string as it is, a number
 * (written into num), true or false, "" for null or absent, an array or
 * object as compact JSON (in *dumped, which the caller releases through
 * jansson). */
static const char *csv_cell(json_t *v, char num[32], char **dumped)
{
	*dumped = NULL;
	if (!v || json_is_null(v))
		return "";
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	if (json_is_integer(v)) {
		snprintf(num, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return num;
	}
	*dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return *dumped ? *dumped : "";
}

/* --csv: the list's objects as CSV records through the library's writer,
 * a header of the first object's keys (in their order), then one record
 * an object; an empty list prints nothing. */
static cv_status list_csv(json_t *list, cv_err *err)
{
	json_t *first = json_array_get(list, 0), *o;
	size_t n = json_object_size(first), k, i;
	const char **cells = NULL, **keys = NULL;
	char(*nums)[32] = NULL;
	char **dumped = NULL;
	cv_csv_table *t = NULL;
	cv_status st = CV_OK;
	json_free_t release;
	const char *key;
	json_t *v;

	if (!first)
		return CV_OK;
	json_get_alloc_funcs(NULL, &release);
	keys = calloc(n, sizeof(*keys));
	cells = calloc(n, sizeof(*cells));
	nums = calloc(n, sizeof(*nums));
	dumped = calloc(n, sizeof(*dumped));
	if (!keys || !cells || !nums || !dumped)
		st = cv_err_set(err, CV_ERROR, "%s", _("out of memory"));
	k = 0;
	if (st == CV_OK)
		json_object_foreach(first, key, v) keys[k++] = key;
	if (st == CV_OK)
		st = cv_csv_table_open(stdout, &t, err);
	if (st == CV_OK)
		st = cv_csv_table_row(t, keys, n, err);
	json_array_foreach(list, i, o)
	{
		if (st != CV_OK)
			break;
		for (k = 0; k < n; k++)
			cells[k] = csv_cell(json_object_get(o, keys[k]), nums[k], &dumped[k]);
		st = cv_csv_table_row(t, cells, n, err);
		for (k = 0; k < n; k++) {
			if (dumped[k])
				release(dumped[k]);
			dumped[k] = NULL;
		}
	}
	if (t) {
		cv_status fin = cv_csv_table_close(t, err);

		if (st == CV_OK)
			st = fin;
	}
	free(keys);
	free(cells);
	free(nums);
	free(dumped);
	return st;
}

void cli_csv_lists(int on)
{
	csv_lists = on;
}

void cli_json_line(json_t *o)
{
	if (csv_lists && json_is_array(o)) {
		cv_err err = {0};

		/* The exit status of a write that fails is main's, which
		 * checks stdout before it exits. */
		if (list_csv(o, &err) != CV_OK)
			put_error(err.status, err.code, cli_message(&err), NULL);
		json_decref(o);
		return;
	}
	json_line_to(stdout, o);
}

cv_status cli_json_document(struct cli *c, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!o)
		return cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	json_line_to(stdout, o);
	return CV_OK;
}

const char *cli_time(struct cli *c, const char *utc, char out[CLI_TIME_MAX])
{
	if (!utc || c->zone_state <= 0 || !cv_time_valid(utc, 1) || strchr(utc, 'T') == NULL)
		return utc ? utc : "";
	/* Switching zones costs tens of microseconds a time; the rows of a
	 * log come in runs of the same second. */
	if (strcmp(utc, c->last_utc) == 0) {
		memcpy(out, c->last_local, CLI_TIME_MAX);
		return out;
	}
	if (cv_time_local(c->zone, utc, out, NULL) != CV_OK)
		return utc; /* the stored text: never a wrong local time */
	if (strlen(utc) < sizeof(c->last_utc)) {
		memcpy(c->last_utc, utc, strlen(utc) + 1);
		memcpy(c->last_local, out, CLI_TIME_MAX);
	}
	return out;
}

void cli_time_prepare(struct cli *c)
{
	cv_err e = {0};

	if (c->zone_state != 0 || c->json || !c->s)
		return;
	c->zone_state = cv_session_zone(c->s, c->zone, &e) == CV_OK ? 1 : -1;
}

const char *cli_date(struct cli *c, const char *utc, char out[CLI_TIME_MAX])
{
	const char *t = cli_time(c, utc, out);

	if (t != out)
		return t; /* a date already, or a value shown as it is */
	out[10] = '\0';
	return out;
}

json_t *cli_json_opt(const char *s)
{
	json_t *j = s && *s ? cli_json_str(s) : NULL;

	return j ? j : json_null();
}

void cli_json_result(json_t *fields)
{
	json_t *o = json_pack("{s:b}", "ok", 1);

	if (o && fields)
		json_object_update(o, fields);
	json_decref(fields);
	cli_json_line(o);
}

void cli_list_begin(struct cli *c, struct cli_table *t)
{
	c->table = t;
	c->list = c->json ? json_array() : NULL;
}

void cli_list_add(struct cli *c, json_t *o)
{
	/* A row jansson could not build is a hole in the array: say so
	 * rather than print a list that looks complete. */
	if (!c->list || !o || json_array_append_new(c->list, o) != 0)
		c->list_oom = 1;
}

int cli_list_end(struct cli *c, cv_status st)
{
	json_t *list = c->list;

	c->list = NULL;
	if (st == CV_OK && list && c->list_oom)
		st = cv_err_set(&c->err, CV_ERROR, _("out of memory; the list is incomplete"));
	if (list && st == CV_OK)
		list = (cli_json_line(list), NULL); /* cli_json_line takes it */
	json_decref(list);
	/* What was shown before an error is printed, then the error; under
	 * --json stdout holds a whole list or nothing. */
	if (c->table && !c->json)
		cli_table_print(c->table, stdout, "");
	c->table = NULL;
	return st == CV_OK ? CV_OK : cli_fail(c);
}

int cli_list_end_or(struct cli *c, struct cli_table *t, cv_status st, const char *none)
{
	int empty = st == CV_OK && !c->json && t->nrows == 0 && !t->oom;
	int rc = cli_list_end(c, st);

	if (rc == 0 && empty)
		puts(none);
	return rc;
}

cv_status cli_create_output(struct cli *c, const char *file, mode_t mode, FILE **fp)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	*fp = fd < 0 ? NULL : fdopen(fd, "w");
	if (*fp)
		return CV_OK;
	if (errno == EEXIST)
		cli_err_code(c, CV_EUSAGE, "output.exists",
			     _("cannot create '%s': it exists, and a file is never overwritten; "
			       "choose a new name"),
			     file);
	else
		cli_err_code(c, CV_ERROR, "output.create", _("cannot create '%s': %s"), file,
			     strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(file);
	}
	return c->err.status;
}

cv_status cli_close_output(struct cli *c, const char *file, FILE *fp)
{
	int bad = fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0;

	bad |= fclose(fp) != 0;
	if (!bad)
		return CV_OK;
	unlink(file);
	return cli_err_code(c, CV_ERROR, "output.write", _("cannot write '%s': %s"), file,
			    strerror(errno));
}

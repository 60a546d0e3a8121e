/*
 * cmd_audit.c - `casevault audit log|verify|checkpoint|review|alerts`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

#define CHECKPOINT_FILE_MAX 4096
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* --limit N: the last N matching rows, copied into a ring (a row's strings
 * live only during its callback) until the walk ends. */
#define LIMIT_MAX 100000

struct kept {
	int64_t seq;
	char *s[6]; /* time, actor, action, object, outcome, detail */
	int signed_checkpoint;
};

enum log_format { FMT_TEXT = 1, FMT_JSON, FMT_CSV };

/* Where rows go: text lines, one JSON array, or CSV through the library. */
struct sink {
	struct cli *c;
	enum log_format fmt;
	cv_audit_csv *csv;
	cv_status st; /* the first failure to write a row */
};

struct ring {
	struct sink *out;
	struct kept *rows;
	size_t cap, n, next;
	int oom;
};

static int print_row(const cv_audit_row *r, void *arg);

static int keep_row(const cv_audit_row *r, void *arg)
{
	struct ring *g = arg;
	struct kept *k = &g->rows[g->next];
	const char *from[6] = {r->time, r->actor, r->action, r->object, r->outcome, r->detail};

	for (int i = 0; i < 6; i++) {
		free(k->s[i]);
		if (!(k->s[i] = strdup(from[i]))) {
			g->oom = 1;
			return 1;
		}
	}
	k->seq = r->seq;
	k->signed_checkpoint = r->signed_checkpoint;
	g->next = (g->next + 1) % g->cap;
	if (g->n < g->cap)
		g->n++;
	return 0;
}

static void print_ring(struct ring *g)
{
	size_t first = g->n < g->cap ? 0 : g->next;

	for (size_t i = 0; i < g->n; i++) {
		const struct kept *k = &g->rows[(first + i) % g->cap];
		cv_audit_row r = {k->seq,  k->s[0], k->s[1], k->s[2],
				  k->s[3], k->s[4], k->s[5], k->signed_checkpoint};

		if (print_row(&r, g->out))
			break;
	}
}

static void free_ring(struct ring *g)
{
	for (size_t i = 0; g->rows && i < g->cap; i++)
		for (int j = 0; j < 6; j++)
			free(g->rows[i].s[j]);
	free(g->rows);
}

static int print_row(const cv_audit_row *r, void *arg)
{
	struct sink *k = arg;

	if (k->fmt == FMT_CSV) {
		k->st = cv_audit_csv_row(k->csv, r, &k->c->err);
		return k->st != CV_OK;
	}
	if (k->fmt == FMT_JSON) {
		json_t *o =
		    json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "seq", (json_int_t)r->seq,
			      "time", cli_json_opt(r->time), "actor", cli_json_opt(r->actor),
			      "action", cli_json_opt(r->action), "object", cli_json_opt(r->object),
			      "outcome", cli_json_opt(r->outcome), "detail",
			      cli_json_opt(r->detail), "signed", r->signed_checkpoint);
		cli_list_add(k->c, o);
		return 0;
	}
	{
		char when[CLI_TIME_MAX];

		cli_linef(stdout, "%6lld %s %s %s %s %s%s%s", (long long)r->seq,
			  cli_time(k->c, r->time, when), r->actor, r->action, r->object,
			  cli_word(r->outcome), r->detail[0] ? " -- " : "", r->detail);
	}
	return 0;
}

int cmd_audit_log(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"user", required_argument, NULL, 'u'},
	    {"action", required_argument, NULL, 'a'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'U'},
	    {"denied", no_argument, NULL, 'd'},
	    {"outcome", required_argument, NULL, 'o'},
	    {"case", required_argument, NULL, 'c'},
	    {"limit", required_argument, NULL, 'l'},
	    {"crisis", no_argument, NULL, 'x'},
	    {"format", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	cv_audit_filter f = {0};
	struct sink out = {c, c->json ? FMT_JSON : FMT_TEXT, NULL, CV_OK};
	struct ring g = {&out, NULL, 0, 0, 0, 0};
	const char *limit = NULL, *format = NULL;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (ch) {
		case -2:
			return CV_EUSAGE;
		case 'u':
			f.user = optarg;
			break;
		case 'a':
			f.action = optarg;
			break;
		case 's':
			f.since = optarg;
			break;
		case 'U':
			f.until = optarg;
			break;
		case 'd':
			f.denied_only = 1;
			break;
		case 'o':
			f.outcome = optarg;
			break;
		case 'c':
			cv_id_normalize(optarg); /* any case, look-alikes */
			f.case_id = optarg;
			break;
		case 'l':
			limit = optarg;
			break;
		case 'x':
			f.crisis = 1;
			break;
		case 'f':
			format = optarg;
			break;
		}
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (format) {
		static const char *const names[] = {"text", "json", "csv"};
		size_t i = 0;

		while (i < ARRAY_LEN(names) && strcmp(names[i], format) != 0)
			i++;
		if (i == ARRAY_LEN(names))
			return cli_usage_code(cli_current, "usage.value",
					      "--format takes text, json or csv");
		out.fmt = (enum log_format)(i + 1);
	}
	if (limit) {
		size_t n = strspn(limit, "0123456789");

		if (!n || limit[n] || n > 6 || (g.cap = (size_t)atol(limit)) < 1 ||
		    g.cap > LIMIT_MAX)
			return cli_usage_code(cli_current, "usage.value",
					      "--limit takes a whole number from 1 to 100000");
	}
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	if (out.fmt == FMT_TEXT)
		cli_time_prepare(c); /* CSV and JSON keep the stored UTC */
	if (out.fmt == FMT_CSV && cv_audit_csv_open(stdout, &out.csv, &c->err) != CV_OK)
		return cli_fail(c);
	/* --format json is the array of --json, whether --json was given or not. */
	if (out.fmt == FMT_JSON)
		c->list = json_array();
	if (!limit)
		st = cv_audit_log(c->s, &f, print_row, &out, &c->err);
	else if (!(g.rows = calloc(g.cap, sizeof(*g.rows))))
		st = cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	else if ((st = cv_audit_log(c->s, &f, keep_row, &g, &c->err)) == CV_OK && g.oom)
		st = cv_err_set(&c->err, CV_ERROR, _("out of memory"));
	else if (st == CV_OK)
		print_ring(&g);
	free_ring(&g);
	if (st == CV_OK)
		st = out.st;
	if (out.csv) {
		cv_status cst = cv_audit_csv_close(out.csv, st == CV_OK ? &c->err : NULL);

		if (st == CV_OK)
			st = cst;
	}
	if (out.fmt == FMT_JSON)
		return cli_list_end(c, st);
	if (st != CV_OK)
		return cli_fail(c);
	return CV_OK;
}

/* Reads a small text file whole; refuses links and anything too large. */
static cv_status read_small(struct cli *c, const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return cv_err_set(&c->err, errno == ENOENT ? CV_ENOTFOUND : CV_ERROR,
				  _("cannot read checkpoint file '%s': %s"), path, strerror(errno));
	while ((r = read(fd, buf + n, cap - 1 - n)) > 0 && n < cap - 1)
		n += (size_t)r;
	close(fd);
	if (r < 0)
		return cv_err_set(&c->err, CV_ERROR, _("cannot read '%s': %s"), path,
				  strerror(errno));
	if (n >= cap - 1 || memchr(buf, '\0', n))
		return cv_err_set(&c->err, CV_EUSAGE,
				  _("'%s' is not a checkpoint file; give the file 'casevault audit "
				    "checkpoint' wrote"),
				  path);
	buf[n] = '\0';
	return CV_OK;
}

int cmd_audit_verify(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"checkpoint", required_argument, NULL, 'c'},
	    {"full", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	char text[CHECKPOINT_FILE_MAX];
	const char *file = NULL;
	cv_audit_report rep;
	cv_status st;
	int ch, full = 0;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'f')
			full = 1;
		else
			file = optarg;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (file && read_small(c, file, text, sizeof(text)) != CV_OK)
		return cli_fail(c);
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	st = full ? cv_audit_verify_full(c->s, file ? text : NULL, &rep, &c->err)
		  : cv_audit_verify(c->s, file ? text : NULL, &rep, &c->err);
	if (c->json) {
		/* A broken log is a result too: the object says where, and the
		 * error follows on stderr. */
		json_t *o = json_pack(
		    "{s:b, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "intact", st == CV_OK, "rows",
		    (json_int_t)rep.rows, "checkpoints", (json_int_t)rep.checkpoints, "users",
		    (json_int_t)rep.users, "stored_rows", (json_int_t)rep.rows_committed,
		    "unsigned_tail", (json_int_t)rep.unsigned_tail, "first_bad_row",
		    st == CV_OK || rep.bad_seq <= 0 ? json_null() : json_integer(rep.bad_seq),
		    "checkpoint_matched",
		    file && st == CV_OK ? json_true()
		    : file		? json_false()
					: json_null(),
		    "error", st == CV_OK ? json_null() : cli_json_opt(cli_message(&c->err)));

		/* The verification this one built on (audit verify --full: none). */
		if (o)
			json_object_set_new(o, "anchor",
					    st == CV_OK && rep.anchor_seq
						? json_pack("{s:I, s:o, s:o, s:I}", "row",
							    (json_int_t)rep.anchor_seq, "by",
							    cli_json_opt(rep.anchor_by), "at",
							    cli_json_opt(rep.anchor_at),
							    "rows_vouched", (json_int_t)rep.vouched)
						: json_null());
		cli_json_line(o);
	}
	if (st != CV_OK)
		return cli_fail(c);
	if (!c->json) {
		printf(_("audit log intact: %lld rows, %lld signed checkpoints, %lld user records "
			 "verified, %lld stored rows as the log committed them%s\n"),
		       (long long)rep.rows, (long long)rep.checkpoints, (long long)rep.users,
		       (long long)rep.rows_committed, file ? "; matches the saved checkpoint" : "");
		if (rep.unsigned_tail)
			printf(_("note: the last %lld rows before this check (failed logins, "
				 "refusals by role) were "
				 "covered by no signature until now\n"),
			       (long long)rep.unsigned_tail);
		if (rep.anchor_seq) {
			char at[CLI_TIME_MAX];

			cli_time_prepare(c);
			printf(
			    _("rows 1 to %lld were verified in full by '%s' at %s (audit row "
			      "%lld): "
			      "their chain, commitments and signature digest were checked again, "
			      "not each signature; --full checks every signature\n"),
			    (long long)rep.vouched, rep.anchor_by, cli_time(c, rep.anchor_at, at),
			    (long long)rep.anchor_seq);
		}
	}
	return CV_OK;
}

int cmd_audit_checkpoint(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	const char *file = NULL;
	char *text = NULL;
	int ch;
	FILE *fp = NULL;

	while ((ch = cli_getopt(argc, argv, "o:", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		file = optarg;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (file) {
		/* Create the file before the checkpoint, so a bad path changes nothing. */
		/* A checkpoint is public: 0644. */
		if (cli_create_output(c, file, 0644, &fp) != CV_OK)
			return cli_fail(c);
	}
	if (cli_session(c) != CV_OK || cv_audit_checkpoint(c->s, &text, &c->err) != CV_OK) {
		if (fp) {
			fclose(fp);
			unlink(file);
		}
		return cli_fail(c);
	}
	if (fp) {
		fputs(text, fp);
		if (cli_close_output(c, file, fp) != CV_OK) {
			free(text);
			return cli_fail(c);
		}
		if (c->json)
			cli_json_result(json_pack("{s:o}", "file", cli_json_str(file)));
		else
			fprintf(stderr,
				_("checkpoint written to '%s'; keep a copy outside the vault\n"),
				file);
	} else if (c->json) {
		cli_json_result(json_pack("{s:o}", "checkpoint", cli_json_str(text)));
	} else {
		cli_put_text(stdout, text, strlen(text), 1);
	}
	free(text);
	return CV_OK;
}

/* ---- audit review ---------------------------------------------------------- */

static int print_review(const cv_review_info *r, void *arg)
{
	struct cli *c = arg;

	if (c->json) {
		json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "event", cli_json_opt(r->event),
				      "case", cli_json_opt(r->case_id), "reviewer",
				      cli_json_opt(r->reviewer), "reviewed_at",
				      cli_json_opt(r->reviewed_at), "note", cli_json_opt(r->note));
		cli_json_line(o);
		return 0;
	}
	cli_linef(stdout, "event:    %s", r->event);
	cli_linef(stdout, "case:     %s", r->case_id);
	cli_linef(stdout, "reviewer: %s", r->reviewer);
	{
		char when[CLI_TIME_MAX];

		cli_linef(stdout, "reviewed: %s", cli_time(c, r->reviewed_at, when));
	}
	fputs("\n", stdout);
	cli_put_text(stdout, r->note, strlen(r->note), 1);
	if (r->note[0] && r->note[strlen(r->note) - 1] != '\n')
		fputs("\n", stdout);
	return 0;
}

int cmd_audit_review(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"note", required_argument, NULL, 'n'},
	    {"show", no_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *note = NULL, *event;
	char *text = NULL;
	size_t len = 0;
	int ch, show = 0;
	cv_status st;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 'n')
			note = optarg;
		else
			show = 1;
	}
	if (cli_operands(argc, argv, optind, 1, "the break-glass event (X-XXXXXX)") != 0)
		return CV_EUSAGE;
	cv_id_normalize(argv[optind]);
	event = argv[optind];
	if (show && note)
		return cli_usage_code(cli_current, "usage.option",
				      "--show reads a review; give it without --note");
	if (!show && !note)
		return cli_usage_code(cli_current, "usage.option",
				      "give the review with --note TEXT (or --note - to read it "
				      "from standard input), or read one with --show");
	c->target = event;
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	cli_time_prepare(c);
	if (show)
		st = cv_audit_review_show(c->s, event, print_review, c, &c->err);
	else if (strcmp(note, "-") != 0)
		st = cv_audit_review(c->s, event, note, &c->err);
	else if ((st = cli_text(c, NULL, NULL, 0, &text, &len)) == CV_OK) {
		/* The text as a string: a NUL inside would cut it short. */
		char *z = memchr(text, '\0', len) ? NULL : sodium_malloc(len + 1);

		if (!z) {
			st = cv_err_set(&c->err, CV_EUSAGE,
					_("the review note on standard input holds a NUL byte "
					  "(or memory ran out); give text"));
		} else {
			memcpy(z, text, len);
			z[len] = '\0';
			st = cv_audit_review(c->s, event, z, &c->err);
			sodium_memzero(z, len);
			sodium_free(z);
		}
	}
	if (text) {
		sodium_memzero(text, len);
		sodium_free(text);
	}
	if (st != CV_OK)
		return cli_fail(c);
	if (!show && c->json)
		cli_json_result(json_pack("{s:s}", "id", event));
	else if (!show)
		fprintf(stderr, _("break-glass event '%s' reviewed\n"), event);
	return CV_OK;
}

/* ---- audit alerts ------------------------------------------------------------ */

static int print_alert(const cv_alert *a, void *arg)
{
	struct cli *c = arg;
	const char *what = a->code;
	char first_buf[CLI_TIME_MAX], last_buf[CLI_TIME_MAX];
	const char *first = cli_time(c, a->first, first_buf),
		   *last = cli_time(c, a->last, last_buf);

	if (c->json) {
		json_t *o = json_pack(
		    "{s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}", "code", cli_json_opt(a->code),
		    "user", cli_json_opt(a->user), "object", cli_json_opt(a->object), "case",
		    cli_json_opt(a->case_id), "first", cli_json_opt(a->first), "last",
		    cli_json_opt(a->last), "count", (json_int_t)a->count, "seq", (json_int_t)a->seq,
		    "age_days", (json_int_t)a->age_days);
		cli_list_add(c, o);
		return 0;
	}
	if (strcmp(what, "alert.crisis-unreviewed") == 0)
		cli_linef(stdout,
			  "%s %s -- break-glass event on case %s by %s at %s, not reviewed "
			  "(%lld days old)",
			  what, a->object, a->case_id, a->user, first, (long long)a->age_days);
	else if (strcmp(what, "alert.denials") == 0)
		cli_linef(stdout, "%s %s -- %lld denied requests from %s to %s (row %lld)", what,
			  a->user, (long long)a->count, first, last, (long long)a->seq);
	else if (strcmp(what, "alert.failed-logins") == 0)
		cli_linef(stdout, "%s %s -- %lld failed logins from %s to %s (row %lld)", what,
			  a->user, (long long)a->count, first, last, (long long)a->seq);
	else if (strcmp(what, "alert.off-hours") == 0)
		cli_linef(stdout,
			  "%s %s -- %lld case accesses outside the configured hours on %s (local), "
			  "%s to %s (row %lld)",
			  what, a->user, (long long)a->count, a->object, first, last,
			  (long long)a->seq);
	else if (strcmp(what, "alert.many-cases") == 0)
		cli_linef(stdout,
			  "%s %s -- %lld distinct cases decrypted within an hour, %s to %s "
			  "(row %lld)",
			  what, a->user, (long long)a->count, first, last, (long long)a->seq);
	else
		cli_linef(stdout, "%s %s -- statistics export %s at %s (row %lld)", what, a->user,
			  a->object, first, (long long)a->seq);
	return 0;
}

struct counted {
	struct cli *c;
	size_t *n;
};

static int count_alert(const cv_alert *a, void *arg)
{
	struct counted *k = arg;

	(*k->n)++;
	return print_alert(a, k->c);
}

int cmd_audit_alerts(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"since", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	const char *since = NULL;
	size_t n = 0;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		if (ch == 's') {
			since = optarg;
		} else {
			/* The same as the global --json. */
			c->json = 1;
			cli_json_errors(1);
		}
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (since && strlen(since) != 10)
		return cli_usage_code(cli_current, "usage.value",
				      "--since takes a local date, YYYY-MM-DD");
	cli_list_begin(c, NULL);
	if (cli_session(c) != CV_OK)
		return cli_list_end(c, c->err.status);
	cli_time_prepare(c);
	if (cv_audit_alerts(c->s, since, count_alert, &(struct counted){c, &n}, &c->err) != CV_OK)
		return cli_list_end(c, c->err.status);
	/* In text, none says so in one line, as the other lists do. */
	if (!n && !c->json)
		fputs(_("no alerts\n"), stdout);
	return cli_list_end(c, CV_OK);
}

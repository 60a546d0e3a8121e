/*
 * cmd_audit.c - `casevault audit log|verify|checkpoint`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

#define CHECKPOINT_FILE_MAX 4096

/* --limit N: the last N matching rows, copied into a ring (a row's strings
 * live only during its callback) until the walk ends. */
#define LIMIT_MAX 100000

struct kept {
	int64_t seq;
	char *s[6]; /* time, actor, action, object, outcome, detail */
	int signed_checkpoint;
};

struct ring {
	struct cli *c;
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

		print_row(&r, g->c);
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
	struct cli *c = arg;

	if (c->json) {
		json_t *o =
		    json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "seq", (json_int_t)r->seq,
			      "time", cli_json_str(r->time), "actor", cli_json_str(r->actor),
			      "action", cli_json_str(r->action), "object", cli_json_str(r->object),
			      "outcome", cli_json_str(r->outcome), "detail",
			      cli_json_str(r->detail), "signed", r->signed_checkpoint);
		cli_json_line(o);
		return 0;
	}
	cli_linef(stdout, "%6lld %s %s %s %s %s%s%s", (long long)r->seq, r->time, r->actor,
		  r->action, r->object, r->outcome, r->detail[0] ? " -- " : "", r->detail);
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
	    {NULL, 0, NULL, 0},
	};
	cv_audit_filter f = {0};
	struct ring g = {c, NULL, 0, 0, 0, 0};
	const char *limit = NULL;
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
			f.case_id = optarg;
			break;
		case 'l':
			limit = optarg;
			break;
		}
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (limit) {
		size_t n = strspn(limit, "0123456789");

		if (!n || limit[n] || n > 6 || (g.cap = (size_t)atol(limit)) < 1 ||
		    g.cap > LIMIT_MAX)
			return cli_usage_code(cli_current, "usage.value",
					      "--limit takes a whole number from 1 to 100000");
	}
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	if (!limit)
		st = cv_audit_log(c->s, &f, print_row, c, &c->err);
	else if (!(g.rows = calloc(g.cap, sizeof(*g.rows))))
		st = cv_err_set(&c->err, CV_ERROR, "out of memory");
	else if ((st = cv_audit_log(c->s, &f, keep_row, &g, &c->err)) == CV_OK && g.oom)
		st = cv_err_set(&c->err, CV_ERROR, "out of memory");
	else if (st == CV_OK)
		print_ring(&g);
	free_ring(&g);
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
				  "cannot read checkpoint file '%s': %s", path, strerror(errno));
	while ((r = read(fd, buf + n, cap - 1 - n)) > 0 && n < cap - 1)
		n += (size_t)r;
	close(fd);
	if (r < 0)
		return cv_err_set(&c->err, CV_ERROR, "cannot read '%s': %s", path, strerror(errno));
	if (n >= cap - 1 || memchr(buf, '\0', n))
		return cv_err_set(&c->err, CV_EUSAGE,
				  "'%s' is not a checkpoint file; give the file 'casevault audit "
				  "checkpoint' wrote",
				  path);
	buf[n] = '\0';
	return CV_OK;
}

int cmd_audit_verify(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"checkpoint", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	char text[CHECKPOINT_FILE_MAX];
	const char *file = NULL;
	cv_audit_report rep;
	cv_status st;
	int ch;

	while ((ch = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		file = optarg;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (file && read_small(c, file, text, sizeof(text)) != CV_OK)
		return cli_fail(c);
	if (cli_session(c) != CV_OK)
		return cli_fail(c);
	st = cv_audit_verify(c->s, file ? text : NULL, &rep, &c->err);
	if (c->json) {
		json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:o?}", "intact", st == CV_OK,
				      "rows", (json_int_t)rep.rows, "checkpoints",
				      (json_int_t)rep.checkpoints, "users", (json_int_t)rep.users,
				      "stored_rows", (json_int_t)rep.rows_committed,
				      "first_bad_row", (json_int_t)rep.bad_seq, "error",
				      cli_json_str(st == CV_OK ? NULL : cli_message(&c->err)));
		cli_json_line(o);
	}
	if (st != CV_OK)
		return cli_fail(c);
	if (!c->json) {
		printf("audit log intact: %lld rows, %lld signed checkpoints, %lld user records "
		       "verified, %lld stored rows as the log committed them%s\n",
		       (long long)rep.rows, (long long)rep.checkpoints, (long long)rep.users,
		       (long long)rep.rows_committed, file ? "; matches the saved checkpoint" : "");
		if (rep.unsigned_tail)
			printf("note: the last %lld rows before this check (failed logins, "
			       "refusals by role) were "
			       "covered by no signature until now\n",
			       (long long)rep.unsigned_tail);
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
	int ch, fd = -1;

	while ((ch = cli_getopt(argc, argv, "o:", longopts)) != -1) {
		if (ch == -2)
			return CV_EUSAGE;
		file = optarg;
	}
	if (cli_operands(argc, argv, optind, 0, "") != 0)
		return CV_EUSAGE;
	if (file) {
		/* Create the file before the checkpoint, so a bad path changes nothing. */
		fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			cv_err_set(&c->err, errno == EEXIST ? CV_EUSAGE : CV_ERROR,
				   "cannot create '%s': %s%s", file, strerror(errno),
				   errno == EEXIST ? " (checkpoints are never overwritten; choose "
						     "a new name)"
						   : "");
			return cli_fail(c);
		}
	}
	if (cli_session(c) != CV_OK || cv_audit_checkpoint(c->s, &text, &c->err) != CV_OK) {
		if (fd >= 0) {
			close(fd);
			unlink(file);
		}
		return cli_fail(c);
	}
	if (fd >= 0) {
		size_t n = strlen(text);
		int bad = write(fd, text, n) != (ssize_t)n || fsync(fd) != 0;
		bad |= close(fd) != 0;
		if (bad) {
			free(text);
			cv_err_set(&c->err, CV_ERROR, "cannot write '%s': %s", file,
				   strerror(errno));
			return cli_fail(c);
		}
		fprintf(stderr, "checkpoint written to '%s'; keep a copy outside the vault\n",
			file);
	} else {
		cli_put_text(stdout, text, strlen(text), 1);
	}
	free(text);
	return CV_OK;
}

/*
 * complete.c - `casevault __complete WORD...`: what the shell may offer
 * for the word being typed (src/cli/casevault.bash asks).  Everything
 * comes from the program itself, so completion cannot drift from it: the
 * commands from the command table, each command's options from its own
 * option parser (cli_probe), fixed values from the library's words
 * (cli_value_words, cv_setting_names; a word begun in Chinese from its
 * Chinese aliases, cli_alias_at) or, for the few a command checks
 * itself (--format), from the alternatives of its usage line, and case
 * ids from the user's unlock agent (cv_agent_case_ids: only while it
 * runs; nothing is asked, used or logged).
 *
 * The answer: a first line ":words" and then the candidates that start
 * with the word typed, one a line; or ":files" alone when a file name is
 * wanted (the shell completes it).  The whole answer is written at the
 * end: the deadline (alarm) ends a slow query with nothing printed.
 */
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"
#include "banned.h"

/* The longest usage token kept, the most operands of a command, and the
 * most Chinese aliases of one set of words. */
#define TOKEN_MAX 64
#define OPERANDS_MAX 8
#define ALIASES_MAX 16

/* Room for the candidates: a few hundred case ids. */
#define ANSWER_MAX (1 << 16)

struct query {
	const char *vault;
	const char *user;
	const char *prefix; /* put before each candidate ("--kind=") */
	const char *typed;  /* what of the word the candidates must start with */
	int files;
	char answer[ANSWER_MAX]; /* the candidates, one a line */
	size_t len;
};

/* A candidate that starts with the word typed (ids: in any letter case). */
static void offer(struct query *q, const char *word, int anycase)
{
	size_t l = strlen(q->typed);
	int r;

	if (anycase ? strncasecmp(word, q->typed, l) != 0 : strncmp(word, q->typed, l) != 0)
		return;
	r = snprintf(q->answer + q->len, sizeof(q->answer) - q->len, "%s%s\n", q->prefix, word);
	if (r > 0 && (size_t)r < sizeof(q->answer) - q->len)
		q->len += (size_t)r;
	else
		q->answer[q->len] = '\0'; /* full: the rest is left out */
}

static void offer_words(struct query *q, const char *const *words)
{
	for (; words && *words; words++)
		offer(q, *words, 0);
}

/* ---- the command table ------------------------------------------------- */

static const struct cmd *find_group(const char *word)
{
	size_t n;
	const struct cmd *t = cli_commands(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].group, word) == 0)
			return &t[i];
	return NULL;
}

static const struct cmd *find_sub(const char *group, const char *word)
{
	size_t n;
	const struct cmd *t = cli_commands(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].group, group) == 0 && t[i].sub && strcmp(t[i].sub, word) == 0)
			return &t[i];
	return NULL;
}

static void offer_groups(struct query *q)
{
	size_t n;
	const struct cmd *t = cli_commands(&n);

	for (size_t i = 0; i < n; i++)
		if (find_group(t[i].group) == &t[i])
			offer(q, t[i].group, 0);
	offer(q, "help", 0);
}

static void offer_subs(struct query *q, const char *group)
{
	size_t n;
	const struct cmd *t = cli_commands(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].group, group) == 0 && t[i].sub)
			offer(q, t[i].sub, 0);
}

/* ---- a command's options, from its parser ------------------------------ */

/* Runs cmd's handler with cli_probe set: its first cli_getopt records
 * the options and stops it. */
static void probe_options(const struct cmd *cmd, struct cli_probe *p)
{
	struct cli c = {0};
	char name[TOKEN_MAX];
	char *argv[] = {name, NULL};

	memset(p, 0, sizeof(*p));
	snprintf(name, sizeof(name), "%s", cmd->sub ? cmd->sub : cmd->group);
	c.pass_fd = -1;
	cli_probe = p;
	cli_current = cmd;
	cmd->fn(&c, 1, argv);
	cli_probe = NULL;
	cv_session_close(c.s);
	cv_vault_close(c.v);
}

static const struct option *long_option(const struct cli_probe *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->opts[i].name) == len && strncmp(p->opts[i].name, name, len) == 0)
			return &p->opts[i];
	return NULL;
}

/* 1 when short option ch takes a value, 0 when not, -1 when unknown. */
static int short_takes_value(const struct cli_probe *p, char ch)
{
	const char *s = ch && ch != ':' ? strchr(p->shortopts, ch) : NULL;

	return !s ? -1 : s[1] == ':';
}

/* ---- the usage line ------------------------------------------------------ */

/*
 * The next token of a usage line at *pos: words split at blanks, a quoted
 * "..." kept whole.  0 at the end, or at a second form ("casevault
 * ...").
 */
static int next_token(const char **pos, char *tok)
{
	const char *s = *pos;
	size_t n = 0;
	int quoted = 0;

	while (*s == ' ' || *s == '\n')
		s++;
	if (!*s)
		return 0;
	while (*s && (quoted || (*s != ' ' && *s != '\n'))) {
		if (*s == '"')
			quoted = !quoted;
		if (n + 1 < TOKEN_MAX)
			tok[n++] = *s;
		s++;
	}
	tok[n] = '\0';
	*pos = s;
	return strcmp(tok, "casevault") != 0;
}

/* The bracket depth after tok, starting from depth. */
static int depth_after(const char *tok, int depth)
{
	for (; *tok; tok++)
		depth += (*tok == '[' || *tok == '(') - (*tok == ']' || *tok == ')');
	return depth;
}

/* tok without the brackets and parentheses around it, into out
 * (TOKEN_MAX bytes, cut short if need be). */
static void bare(const char *tok, char out[TOKEN_MAX])
{
	size_t n = 0;

	for (; *tok && n + 1 < TOKEN_MAX; tok++)
		if (!strchr("[]()", *tok))
			out[n++] = *tok;
	out[n] = '\0';
}

/* The command's words in its usage line (1 or 2), skipped. */
static const char *usage_body(const struct cmd *cmd)
{
	const char *s = cmd->usage;
	char tok[TOKEN_MAX];

	next_token(&s, tok);
	if (cmd->sub)
		next_token(&s, tok);
	return s;
}

/* The operands of cmd's usage line ("CASE", "NOTE...", "FILE"), in
 * order, into ops; their count. */
static size_t usage_operands(const struct cmd *cmd, const struct cli_probe *p,
			     char ops[OPERANDS_MAX][TOKEN_MAX])
{
	const char *s = usage_body(cmd);
	char tok[TOKEN_MAX];
	int depth = 0, skip = 0;
	size_t n = 0;

	while (next_token(&s, tok)) {
		int was = depth;

		depth = depth_after(tok, depth);
		if (skip) {
			skip = 0;
		} else if (was == 0 && tok[0] == '-') {
			const char *name = tok + 2;
			const struct option *o =
			    tok[1] == '-' ? long_option(p, name, strcspn(name, "=")) : NULL;

			skip = o ? o->has_arg != no_argument : short_takes_value(p, tok[1]) == 1;
		} else if (was == 0 && depth == 0 && n < OPERANDS_MAX) {
			bare(tok, ops[n++]);
		}
	}
	return n;
}

/* 1 when alternative alt of tok ("FILE|--output") is opt. */
static int has_alternative(const char *tok, const char *opt)
{
	size_t l = strlen(opt);

	for (const char *a = tok; a; a = strchr(a, '|') ? strchr(a, '|') + 1 : NULL)
		if (strncmp(a, opt, l) == 0 && (a[l] == '\0' || a[l] == '|'))
			return 1;
	return 0;
}

/* The value the usage line shows after option opt ("--format", "-o"):
 * "text|json|csv", "FILE", "F|-"; "" when it shows none. */
static void usage_value(const struct cmd *cmd, const char *opt, char value[TOKEN_MAX])
{
	const char *s = cmd->usage;
	char tok[TOKEN_MAX], b[TOKEN_MAX];
	int next = 0;

	value[0] = '\0';
	while (next_token(&s, tok)) {
		bare(tok, b);
		if (next) {
			snprintf(value, TOKEN_MAX, "%s", b);
			return;
		}
		next = has_alternative(b, opt);
	}
}

/* 1 when every alternative of value ("a|b|c") is a lowercase word. */
static int all_words(const char *value)
{
	if (!*value)
		return 0;
	for (const char *s = value; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' &&
		    !(*s == '|' && s != value && s[1] && s[1] != '|'))
			return 0;
	return islower((unsigned char)value[0]);
}

/* 1 when an alternative of value is a file name (FILE or F). */
static int is_file(const char *value)
{
	char v[TOKEN_MAX];

	snprintf(v, sizeof(v), "%s", value);
	for (char *alt = v, *end; alt; alt = end ? end + 1 : NULL) {
		end = strchr(alt, '|');
		if (end)
			*end = '\0';
		if (strcmp(alt, "FILE") == 0 || strcmp(alt, "F") == 0)
			return 1;
	}
	return 0;
}

/* ---- values ---------------------------------------------------------------- */

/* The words of a comma-separated list: what was typed before the last
 * comma stays, the last word is completed; a word already in the list is
 * not offered again. */
static void offer_list(struct query *q, const char *const *words)
{
	const char *typed = q->typed, *last = strrchr(typed, ',');
	size_t head = last ? (size_t)(last + 1 - typed) : 0;
	char word[TOKEN_MAX * 2];

	for (; *words; words++) {
		const char *w = *words;
		size_t l = strlen(w);
		int used = 0;

		for (const char *p = typed; p < typed + head; p += strcspn(p, ",") + 1)
			used |= strncmp(p, w, l) == 0 && p[l] == ',';
		if (used || strncmp(w, typed + head, strlen(typed + head)) != 0)
			continue;
		snprintf(word, sizeof(word), "%.*s%s", (int)head, typed, w);
		offer(q, word, 0);
	}
}

static void offer_value(struct query *q, const struct cmd *cmd, const char *opt)
{
	enum cli_value_kind kind = CLI_VALUE_WORD;
	cv_wordset set = 0;
	const char *const *words =
	    opt[1] == '-' ? cli_value_words(cmd, opt + 2, &set, &kind) : NULL;
	const char *alias[ALIASES_MAX + 1], *typed = strrchr(q->typed, ',');
	char value[TOKEN_MAX], word[TOKEN_MAX * 2];

	/* A word begun in Chinese: its Chinese aliases instead (words.c). */
	typed = typed ? typed + 1 : q->typed;
	if (words && kind != CLI_VALUE_TERM && (unsigned char)typed[0] >= 0x80) {
		size_t n = 0;

		while (n < ALIASES_MAX && (alias[n] = cli_alias_at(set, n)))
			n++;
		alias[n] = NULL;
		words = alias;
	}

	if (words && kind == CLI_VALUE_LIST) {
		offer_list(q, words);
	} else if (words && kind == CLI_VALUE_PARTY) {
		offer_words(q, words);
		for (size_t i = 0; words[i]; i++)
			for (size_t j = 0; words[j]; j++)
				if (i != j) {
					snprintf(word, sizeof(word), "%s,%s", words[i], words[j]);
					offer(q, word, 0);
				}
	} else if (words && kind == CLI_VALUE_TERM) {
		/* This school year's terms and last year's. */
		time_t now = time(NULL);
		struct tm tm;
		int year = localtime_r(&now, &tm) ? tm.tm_year + 1900 : 2000;

		for (int y = year; y >= year - 1; y--)
			for (size_t i = 0; words[i]; i++) {
				snprintf(word, sizeof(word), "%d-%s", y, words[i]);
				offer(q, word, 0);
			}
	} else if (words) {
		offer_words(q, words);
	} else {
		usage_value(cmd, opt, value);
		if (is_file(value)) {
			q->files = 1;
		} else if (all_words(value)) {
			for (char *alt = value, *end; alt; alt = end ? end + 1 : NULL) {
				end = strchr(alt, '|');
				if (end)
					*end = '\0';
				offer(q, alt, 0);
			}
		}
	}
}

struct ids {
	struct query *q;
	const char *state; /* the case state wanted, NULL for any */
};

static int offer_id(const char *id, const char *status, void *arg)
{
	struct ids *x = arg;

	if (!x->state || strcmp(x->state, status) == 0)
		offer(x->q, id, 1);
	return 0;
}

/* The user's case ids, while their unlock agent runs; nothing else. */
static void offer_cases(struct query *q, const struct cmd *cmd)
{
	/* A closed case is reopened; the other commands that only read a
	 * case take any; the rest work on open cases. */
	static const char *const any[] = {"show", "list", NULL};
	struct ids x = {q, "open"};
	cv_vault *v = NULL;

	if (!q->user || !*q->user || cv_vault_open(q->vault, &v, NULL) != CV_OK)
		return;
	if (cmd->sub && strcmp(cmd->sub, "reopen") == 0)
		x.state = "closed";
	for (size_t i = 0; cmd->sub && any[i]; i++)
		if (strcmp(cmd->sub, any[i]) == 0)
			x.state = NULL;
	cv_agent_case_ids(v, q->user, offer_id, &x, NULL);
	cv_vault_close(v);
}

static void offer_operand(struct query *q, const struct cmd *cmd, const char *op)
{
	if (strncmp(op, "CASE", 4) == 0)
		offer_cases(q, cmd);
	else if (strncmp(op, "FILE", 4) == 0)
		q->files = 1;
	else if (strncmp(op, "SETTING", 7) == 0)
		offer_words(q, cv_setting_names(NULL));
}

/* ---- the command line ------------------------------------------------------ */

/* The options of cmd not given yet in w[0..n), then --help. */
static void offer_options(struct query *q, const struct cli_probe *p, char **w, size_t n)
{
	char opt[TOKEN_MAX];

	for (size_t i = 0; i < p->n; i++) {
		size_t l = strlen(p->opts[i].name);
		int given = 0;

		for (size_t k = 0; k < n; k++)
			given |= strncmp(w[k], "--", 2) == 0 &&
				 strncmp(w[k] + 2, p->opts[i].name, l) == 0 &&
				 (w[k][l + 2] == '\0' || w[k][l + 2] == '=');
		snprintf(opt, sizeof(opt), "--%s", p->opts[i].name);
		if (!given)
			offer(q, opt, 0);
	}
	offer(q, "--help", 0);
}

/* Completes the word after cmd's words w[0..n) (w[n] is the one typed). */
static void complete_command(struct query *q, const struct cmd *cmd, char **w, size_t n)
{
	struct cli_probe p;
	char ops[OPERANDS_MAX][TOKEN_MAX], opt[TOKEN_MAX];
	const char *cur = w[n], *value_of = NULL;
	size_t nops, operand = 0;
	int dashdash = 0;

	probe_options(cmd, &p);
	for (size_t k = 0; k < n; k++) {
		const char *a = w[k];

		if (dashdash || a[0] != '-' || !a[1]) {
			operand++;
		} else if (strcmp(a, "--") == 0) {
			dashdash = 1;
		} else if (a[1] == '-') {
			const struct option *o = long_option(&p, a + 2, strcspn(a + 2, "="));

			if (o && o->has_arg != no_argument && !strchr(a, '=') && k++ == n - 1)
				value_of = a;
		} else if (short_takes_value(&p, a[1]) == 1 && !a[2] && k++ == n - 1) {
			value_of = a;
		}
	}
	if (value_of) {
		bare(value_of, opt);
		offer_value(q, cmd, opt);
		return;
	}
	if (!dashdash && strncmp(cur, "--", 2) == 0 && strchr(cur, '=')) {
		static char prefix[TOKEN_MAX];
		size_t l = (size_t)(strchr(cur, '=') - cur);

		snprintf(prefix, sizeof(prefix), "%.*s", (int)(l + 1), cur);
		snprintf(opt, sizeof(opt), "%.*s", (int)l, cur);
		if (long_option(&p, opt + 2, l - 2)) {
			q->prefix = prefix;
			q->typed = cur + l + 1;
			offer_value(q, cmd, opt);
		}
		return;
	}
	if (!dashdash && cur[0] == '-') {
		offer_options(q, &p, w, n);
		return;
	}
	nops = usage_operands(cmd, &p, ops);
	if (nops == 0)
		return;
	if (operand >= nops) {
		size_t l = strlen(ops[nops - 1]);

		/* "NOTE..." takes more than one. */
		if (l < 3 || strcmp(ops[nops - 1] + l - 3, "...") != 0)
			return;
		operand = nops - 1;
	}
	offer_operand(q, cmd, ops[operand]);
}

/* The global options not given yet in w[0..n) (--json and --csv exclude
 * each other), from the table the program parses them with, then what
 * stands alone before a command: --help, --version and -V. */
static void offer_globals(struct query *q, char **w, size_t n)
{
	static const char *const alone[] = {"--help", "--version", "-V", NULL};
	size_t ng;
	const struct cli_global *g = cli_globals(&ng);
	int output = 0;

	for (size_t k = 0; k < n; k++) {
		const struct cli_global *given = cli_global(w[k]);

		output |= given && !given->metavar;
	}
	for (size_t i = 0; i < ng; i++) {
		int given = 0;

		for (size_t k = 0; k < n; k++)
			given |= cli_global(w[k]) == &g[i];
		if (!given && !(output && !g[i].metavar))
			offer(q, g[i].name, 0);
	}
	offer_words(q, alone);
}

static void complete(struct query *q, char **w, size_t n)
{
	const char *cur = w[n - 1];
	const struct cmd *g, *cmd;
	size_t i = 0;

	q->typed = cur;
	/* The global options before the command, and their values. */
	while (i + 1 < n && strncmp(w[i], "--", 2) == 0 && w[i][2]) {
		const struct cli_global *glob = cli_global(w[i]);
		const char *val;

		if (!glob)
			return;
		if (glob->metavar && !strchr(w[i], '=')) {
			if (i + 2 == n) {
				q->files = strcmp(glob->name, "--vault") == 0;
				return;
			}
			val = w[i + 1];
			i += 2;
		} else {
			val = strchr(w[i], '=') ? strchr(w[i], '=') + 1 : NULL;
			i++;
		}
		if (strcmp(glob->name, "--vault") == 0)
			q->vault = val;
		else if (strcmp(glob->name, "--user") == 0)
			q->user = val;
	}
	if (i + 1 == n) {
		if (strncmp(cur, "--vault=", 8) == 0)
			q->files = 1;
		else if (cur[0] == '-')
			offer_globals(q, w, i);
		else
			offer_groups(q);
		return;
	}
	if (strcmp(w[i], "help") == 0) {
		g = i + 2 < n ? find_group(w[i + 1]) : NULL;
		if (i + 2 == n)
			offer_groups(q);
		else if (i + 3 == n && g && g->sub)
			offer_subs(q, g->group);
		return;
	}
	g = find_group(w[i]);
	if (!g)
		return;
	if (!g->sub) {
		complete_command(q, g, w + i + 1, n - i - 2);
		return;
	}
	if (i + 2 == n) {
		if (cur[0] == '-')
			offer(q, "--help", 0);
		else
			offer_subs(q, g->group);
		return;
	}
	cmd = find_sub(g->group, w[i + 1]);
	if (cmd)
		complete_command(q, cmd, w + i + 2, n - i - 3);
}

int cli_complete(int argc, char **argv)
{
	static struct query q;
	char *none[] = {(char *)"", NULL};

	/* Never a wait the user sees: a vault locked by a writer, or an
	 * agent that does not answer, ends the query at the deadline with
	 * nothing printed (the answer is printed at the end, at once). */
	signal(SIGALRM, SIG_DFL);
	alarm(CLI_COMPLETE_DEADLINE_S);
	q.vault = getenv("CASEVAULT_VAULT");
	if (!q.vault || !*q.vault)
		q.vault = "./casevault.db";
	q.user = getenv("CASEVAULT_USER");
	q.prefix = "";
	if (argc < 1) {
		argc = 1;
		argv = none;
	}
	complete(&q, argv, (size_t)argc);
	if (q.files)
		fputs(":files\n", stdout);
	else
		printf(":words\n%s", q.answer);
	fflush(stdout);
	return 0;
}

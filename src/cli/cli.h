/*
 * cli.h - shared state and helpers of the casevault program.  The program
 * only parses, prompts and prints; every rule lives in libcasevault.
 */
#ifndef CV_CLI_H
#define CV_CLI_H

#include <stdio.h>

#include <jansson.h>
#include <libintl.h>

#include "casevault.h"

/*
 * Messages: every sentence the program shows goes through gettext, in the
 * text domain "casevault" (po/zh_CN.po; English is the default).  _()
 * translates; N_() only marks a string for xgettext (`make pot`);
 * NC_(context, word) marks a fixed value word, translated by cli_word.
 * cli_usage, cli_usage_code, cli_linef, cli_operands, cli_ask and
 * cli_message translate what they are given themselves.
 */
#define CV_TEXTDOMAIN "casevault"
#define _(s) dgettext(CV_TEXTDOMAIN, s)
#define N_(s) s
#define NC_(ctx, s) s

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct cli_table;

struct cli {
	const char *vault_path;
	const char *user;
	int pass_fd; /* -1: the terminal */
	int json;
	int csv;	    /* --csv: a list's JSON objects are printed as CSV (cli_list_end) */
	const char *target; /* what the command names, for the policy check */
	cv_vault *v;
	cv_session *s;
	cv_err err;
	/* What cli_setup learnt of an allowed writing command, for the
	 * editor's context lines. */
	cv_case_context ctx;
	int have_ctx;
	int text_from_editor;	 /* the text was typed in the editor */
	struct cli_table *table; /* where a list's rows go (not under --json) */
	json_t *list;		 /* where they go under --json (cli_list_begin) */
	int list_oom;		 /* a row could not be added to list */
	/* The vault's time zone for cli_time, read once: 0 not yet, 1 read,
	 * -1 unreadable (times are then shown as stored, in UTC). */
	int zone_state;
	char zone[CV_ZONE_MAX];
	/* The last time converted: a command's log rows share their second. */
	char last_utc[24], last_local[CV_LOCAL_TIME_LEN];
};

/* What a command needs set up before it runs (git.c's RUN_SETUP). */
enum {
	RUN_SESSION = 1,    /* a logged-in user (asked for the passphrase) */
	RUN_RECOVERY = 2,   /* the recovery code, asked after the checks */
	RUN_TEXT = 4,	    /* text from a file, stdin or $EDITOR, read after the checks */
	RUN_PASSPHRASE = 8, /* always the passphrase: never the unlock agent's keys */
	RUN_LIST = 16,	    /* prints a list (cli_list_end): --csv may be given */
};

/* A command: name, sub-command (or NULL), handler, the action the policy
 * judges, setup flags and usage text. */
struct cmd {
	const char *group;
	const char *sub;
	int (*fn)(struct cli *c, int argc, char **argv);
	cv_action action;
	unsigned flags;
	const char *usage;
	const char *summary;
};

/*
 * cli_message - the sentence for a library error: its template rendered
 * with its arguments (err->msg when it has no template).  The one place a
 * library error becomes prose, so the one place to translate it.  Returns
 * a static buffer, valid until the next call.
 */
const char *cli_message(const cv_err *err);
/* Exit status of a command whose error is in c->err; prints the error
 * ("error: MESSAGE", or under --json one line
 * {"ok": false, "error": {"status", "code", "exit", "message"}}) on
 * stderr. */
int cli_fail(struct cli *c);
/* Sets c->err to st with reason code `code` (a stable name, such as
 * "output.exists") and a printf-style message already translated (_());
 * returns st.  For the CLI's own failures that a script tells apart. */
cv_status cli_err_code(struct cli *c, cv_status st, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prints a usage error (reason code "usage") and, when cmd is not NULL,
 * the command's usage line; returns CV_EUSAGE.  Under --json the error is
 * one JSON line on stderr, with the usage as "usage". */
int cli_usage(const struct cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cli_usage with a reason code ("usage.command", "usage.option",
 * "usage.global-option", "usage.value", "usage.date"). */
int cli_usage_code(const struct cmd *cmd, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The operands argv[first..argc) must be exactly `want`: when fewer,
 * prints the usage error `missing` ("give one case id"); when more, names
 * the first one too many.  0, or -1 after the error. */
int cli_operands(int argc, char **argv, int first, int want, const char *missing);
/* cli_operands for exactly one operand, an id: put in the vault's form
 * (cv_id_normalize: any letter case, O for 0, I and L for 1). */
int cli_id_operand(int argc, char **argv, int first, const char *missing);
/* Chooses the messages' language from the locale (LC_ALL, LC_MESSAGES,
 * LANG, LANGUAGE) and finds the catalogs: $CASEVAULT_LOCALEDIR when set
 * (for tests of an uninstalled build), else the installed directory. */
void cli_i18n(void);
/* The translation of a string from outside the program (a library
 * message, a usage line), or s itself; "" stays "". */
const char *cli_tr(const char *s) __attribute__((format_arg(1)));
/* Makes every later error a JSON line (set once --json is seen). */
void cli_json_errors(int on);
/* The command being run (for cli_usage from inside handlers). */
extern const struct cmd *cli_current;

/* The command table (main.c), in the order of 'casevault help'. */
const struct cmd *cli_commands(size_t *n);

/*
 * cli_complete - `casevault __complete WORD...`, the query behind the
 * bash completion (src/cli/casevault.bash): the words of the command line
 * after "casevault", the one being completed last.  Prints ":words" and
 * the candidates, one a line, or ":files" when a file name is wanted.
 * Options come from the commands' own parsers (cli_probe), fixed values
 * from the library's words, case ids from the user's unlock agent only;
 * never prompts, writes nothing to the vault or its log, and gives up
 * silently after
 * CLI_COMPLETE_DEADLINE_S seconds.  Always returns 0.
 */
#define CLI_COMPLETE_WORD "__complete"
#define CLI_COMPLETE_DEADLINE_S 2
int cli_complete(int argc, char **argv);

/* How the words of an option's value combine (cli_value_words). */
enum cli_value_kind {
	CLI_VALUE_WORD = 1, /* one of the words */
	CLI_VALUE_LIST,	    /* a comma-separated list of them */
	CLI_VALUE_PARTY,    /* one of them, or both as "a,b" */
	CLI_VALUE_TERM,	    /* a term: "YYYY-" and one of them */
};
/* The fixed words option (without "--") of cmd takes, from the library
 * (cv_words), in *set their set and in *kind how they combine; NULL when
 * it takes none. */
const char *const *cli_value_words(const struct cmd *cmd, const char *option, cv_wordset *set,
				   enum cli_value_kind *kind);

/*
 * cli_check_value - the value of long option `option` (without "--") of
 * command cmd (may be NULL), checked against the fixed words, dates and
 * numbers it may take.  0 when it passes or the option has no rule; -1
 * after printing a usage error.  cli_getopt calls it for every option.
 */
int cli_check_value(const struct cmd *cmd, const char *option, const char *value);
/*
 * cli_canon - the value as the library wants it: a Chinese alias of a
 * fixed word (情绪, 书面, 学生,监护人 ...) replaced by the word itself;
 * any other value unchanged.  The result stays valid to the end of the
 * run.  cli_getopt calls it before cli_check_value.
 */
const char *cli_canon(const struct cmd *cmd, const char *option, const char *value);
/* The fixed word of set that the first n bytes of s are an alias of, or
 * NULL (words.c). */
const char *cli_alias(cv_wordset set, const char *s, size_t n);
/* The i-th Chinese alias of the words of set (from 0), or NULL past the
 * last. */
const char *cli_alias_at(cv_wordset set, size_t i);
/* A fixed word as shown: its translation ("情绪" for "emotion" under
 * zh_CN), or the word itself. */
const char *cli_word(const char *word);
/* The translation of msgid in context ctx (a message marked NC_(ctx,
 * msgid)), or msgid itself. */
const char *cli_pgettext(const char *ctx, const char *msgid) __attribute__((format_arg(2)));
/* The words a value may be (NULL-terminated) for a message that lists
 * them: "session, analysis or contact"; where the catalog shows a word
 * otherwise, each with how it is shown, which may be typed too
 * ("session（会谈）、analysis（分析）或 contact（联系）").  Every "use one
 * of" message lists its words through it. */
void cli_word_choices(const char *const *words, char *out, size_t cap);
/* A comma-separated list of fixed words ("individual,testing") as shown:
 * each word through cli_word, joined by the catalog's "," (个体辅导、心理
 * 测评); cut at a whole word when out is full. */
void cli_word_list(char *out, size_t cap, const char *list);
/* Parses a follow-up interval ("14" or "14d", 1 to 366 days); -1 when
 * it is not one. */
int cli_parse_days(const char *s, unsigned *out);

/*
 * cli_did_you_mean - writes "; did you mean 'x'?" (or "'x' or 'y'" for
 * equally near ones) into out when some of the n candidates are within a
 * slip or two of word, else "".
 */
void cli_did_you_mean(char *out, size_t cap, const char *word, const char *const *cands, size_t n);

/* Opens the vault and logs the user in, once; CV_OK or a status in c->err.
 * The policy's role check (cv_may) comes before the passphrase prompt.
 * The keys of the user's unlock agent are used instead of a passphrase
 * unless the command is RUN_PASSPHRASE or RUN_RECOVERY, or
 * --passphrase-fd was given (a passphrase given is a passphrase used). */
/*
 * cli_create_output - creates file for writing with mode (0600 for
 * anything about the vault's work, 0644 for a public checkpoint), never
 * following a link and never overwriting: an existing file is a usage
 * error saying so (reason code "output.exists"; "output.create" when the
 * file cannot be made).  cli_close_output flushes, syncs and closes it; on
 * a failure it removes the file ("output.write").  Both leave the error in
 * c->err.
 */
cv_status cli_create_output(struct cli *c, const char *file, mode_t mode, FILE **fp);
cv_status cli_close_output(struct cli *c, const char *file, FILE *fp);

cv_status cli_session(struct cli *c);
/* cli_session, then for commands that read text or a recovery code the
 * library's grant, state and consent check on target (cv_may_case), so
 * that a refusal comes before anything else is asked.  kind and crisis
 * are the command's --kind and --crisis (may be NULL). */
cv_status cli_setup(struct cli *c, const char *target, const char *kind, const char *crisis);

/*
 * cli_secret - read one secret line: the next line of --passphrase-fd, or
 * from the terminal without echo (asked twice when confirm is set).  *out is
 * sodium_malloc memory the caller frees with sodium_free.
 */
cv_status cli_secret(struct cli *c, const char *prompt, int confirm, char **out, size_t *len);

/*
 * cli_put_safe - prints s with everything that could drive or deceive a
 * terminal shown escaped (cv_text_safe_run: control characters as \xNN,
 * bidi controls and invisible format characters as \uNNNN, bytes outside
 * UTF-8 as \xNN).  Every string that came from the vault reaches a
 * terminal through it (or through cli_linef).
 */
void cli_put_safe(FILE *f, const char *s);
/* The same for n bytes of text; keep_lines lets newlines and tabs through. */
void cli_put_text(FILE *f, const char *s, size_t n, int keep_lines);
/*
 * cli_linef - one line: fmt and its arguments formatted, then written
 * through cli_put_text (nothing in it passes unescaped, newlines and tabs
 * included), then a newline.  fmt itself must hold no newline.  The way to
 * print a line that mixes fixed words with strings from the vault.
 */
void cli_linef(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A table printed with its columns aligned by display width
 * (cv_text_width: a Chinese character takes two columns), every cell
 * escaped as cli_put_text does.  cli_table_row copies the ncols cells;
 * cli_table_print writes the rows, each after indent, the columns two
 * spaces apart (the last one unpadded), then frees them.
 */
struct cli_table {
	size_t ncols, nrows, cap;
	char **cells; /* nrows * ncols */
	int oom;
};
void cli_table_row(struct cli_table *t, const char *const *cells);
void cli_table_print(struct cli_table *t, FILE *f, const char *indent);
/* s, then blanks up to cols display columns (none when s is as wide),
 * in buf of cap bytes; returns buf.  For a label or a word in a line that
 * is not a table, lined up with the lines around it. */
const char *cli_pad(char *buf, size_t cap, const char *s, size_t cols);

/* Reads the recovery code like a passphrase (the next --passphrase-fd
 * line, or the terminal without echo); sodium_malloc'd. */
cv_status cli_recovery_code(struct cli *c, char **out);

/*
 * cli_text_edit - the text of a note: from file (when not NULL), else from
 * standard input when it is not a terminal and edit is not set, else from
 * the editor ($VISUAL, $EDITOR, vi; run through /bin/sh -c) on a 0600 file
 * in the private directory (input.c), wiped afterwards.  The file holds
 * initial (when not NULL), then a scissors line and commented context
 * lines (c->ctx), removed with everything after the scissors line when
 * it is read back; blanks at the end are dropped.  An empty note is
 * CV_ERROR ("aborted, nothing was saved").  *out is sodium_malloc'd; the
 * size limit is the library's.
 */
cv_status cli_text_edit(struct cli *c, const char *file, int edit, const char *initial,
			size_t initial_len, char **out, size_t *len);
/* cli_text_edit without --edit. */
cv_status cli_text(struct cli *c, const char *file, const char *initial, size_t initial_len,
		   char **out, size_t *len);
/*
 * cli_keep_text - after the library refused or failed to store text that
 * was typed in the editor (c->text_from_editor): keeps it, 0600, in the
 * private directory and says on stderr where, and that 'casevault
 * RESUME --file PATH' resumes.  Does nothing for text from a file or
 * standard input (it is still where it came from).
 */
void cli_keep_text(struct cli *c, const char *text, size_t len, const char *resume);
/* Wipes the editing directories of casevault processes that died (run at
 * every start). */
void cli_sweep_edits(void);

/*
 * cli_json_str - a JSON string of s for json_pack's "o" (NULL for NULL, so
 * "o?" writes null).  Text from the vault need not be UTF-8 (a damaged or
 * forged file): jansson would refuse it and the whole object would vanish
 * from the output, so such text is written with what is not printable
 * escaped (\xNN, \uNNNN) instead.  cli_json_strn: n bytes of s.
 */
json_t *cli_json_str(const char *s);
json_t *cli_json_strn(const char *s, size_t n);

/*
 * Under --json a command prints one JSON document on stdout, on one line
 * (docs/casevault.1.scd, JSON OUTPUT): a list is one array ([] when
 * empty), a record one object, and a command that only acts a result
 * object {"ok": true, ...}.  An absent value is null, never "" or a
 * missing key.  Errors are one object {"ok": false, "error": {...}} on
 * stderr (cli_fail).
 *
 * cli_json_line prints one JSON value as a line on stdout and frees it:
 * the one document of a command.
 */
void cli_json_line(json_t *o);
/* Under --json: the JSON document text (len bytes, as a library writer
 * made it, indented for a file) printed as the command's one line, as
 * cli_json_line prints.  CV_ERROR in c->err when it does not parse. */
cv_status cli_json_document(struct cli *c, const char *text, size_t len);
/* --csv: from now on cli_json_line prints an array (a list of objects) as
 * CSV through the library's writer, a header of the first object's keys,
 * then a record an object; an empty array prints nothing. */
void cli_csv_lists(int on);
/* A JSON string of s, or null when s is NULL or "" (an absent value). */
json_t *cli_json_opt(const char *s);
/* Prints the result of a command that only acts: {"ok": true} followed
 * by the members of fields (may be NULL), which it frees. */
void cli_json_result(json_t *fields);
/*
 * A list: cli_list_begin before the walk (t receives the rows as text;
 * under --json c->list, an array, receives them instead); the walk's
 * callback adds a row with cli_table_row(c->table, ...) or, under --json,
 * cli_list_add(c, object) (which takes the object).  cli_list_end(c, st)
 * prints the array (when st is CV_OK) or the table (what was read before
 * an error too), then returns the exit status, after printing the error
 * in c->err when st is not CV_OK.
 */
void cli_list_begin(struct cli *c, struct cli_table *t);
void cli_list_add(struct cli *c, json_t *o);
int cli_list_end(struct cli *c, cv_status st);
/* cli_list_end, then, in text, the line none when the table t got no row
 * (under --json the list is [], under --csv nothing). */
int cli_list_end_or(struct cli *c, struct cli_table *t, cv_status st, const char *none);

/*
 * cli_time - a time the vault stores (UTC, "YYYY-MM-DDTHH:MM:SSZ") as text
 * shows it: local "YYYY-MM-DD HH:MM" in the vault's time zone (the signed
 * `timezone` setting; the system's zone when it is empty), read by
 * cli_time_prepare.  Anything else (a date, "", a damaged value) is
 * returned as it is, and so is every time when the zone was not read (or
 * failed verification).  The result is out or utc.  cli_date: the local
 * date alone ("YYYY-MM-DD").  JSON keeps the stored UTC text.
 *
 * cli_time_prepare reads the zone once the session is open, in text
 * output only; call it before a walk over the store, whose callbacks may
 * not call the store.
 */
void cli_time_prepare(struct cli *c);
#define CLI_TIME_MAX CV_LOCAL_TIME_LEN
const char *cli_time(struct cli *c, const char *utc, char out[CLI_TIME_MAX]);
const char *cli_date(struct cli *c, const char *utc, char out[CLI_TIME_MAX]);

/* Parses a positive decimal number into *out; -1 when not one. */
int cli_parse_u32(const char *s, unsigned *out);

/* ---- forms, questions and standard input (form.c) ------------------- */

#define CLI_FORM_MAX 32

/* A form read by cli_form_read: its values point into buf. */
struct cli_form {
	char *buf; /* sodium_malloc'd, wiped by cli_form_free */
	const char *keys[CLI_FORM_MAX];
	const char *vals[CLI_FORM_MAX];
	size_t lines[CLI_FORM_MAX];
	size_t n;
};

/*
 * cli_form_read - reads a form from path ("-": standard input): UTF-8
 * text of `key: value` lines; blank lines and lines starting with '#' are
 * skipped, blanks around keys and values trimmed.  A line that is not
 * `key: value`, a key not in keys (NULL-terminated), a key given twice, or
 * text that is not printable UTF-8 is a usage error naming the line.  Free
 * with cli_form_free (which accepts an emptied form).
 */
cv_status cli_form_read(struct cli *c, const char *path, const char *const *keys,
			struct cli_form *f);
/* The value of key, or NULL; cli_form_line: its line number (0: absent). */
const char *cli_form_get(const struct cli_form *f, const char *key);
size_t cli_form_line(const struct cli_form *f, const char *key);
void cli_form_free(struct cli_form *f);

/* Asks question on the terminal (echo on) and reads one line, trimmed;
 * *out is sodium_malloc'd.  A usage error without a terminal or at the
 * end of input. */
cv_status cli_ask(struct cli *c, const char *question, char **out);

/*
 * cli_stdin_arg - when *value is "-", reads standard input to its end
 * (one line of free text; its final newline dropped) into *owned
 * (sodium_malloc'd, the caller frees it with sodium_free) and points
 * *value at it; else does nothing.  what names it in errors ("--crisis -").
 */
cv_status cli_stdin_arg(struct cli *c, const char *what, const char **value, char **owned);
/* (what is looked up in the catalog: mark a phrase N_().) */

int cmd_init(struct cli *c, int argc, char **argv);
int cmd_enrol(struct cli *c, int argc, char **argv);
int cmd_user_add(struct cli *c, int argc, char **argv);
int cmd_user_list(struct cli *c, int argc, char **argv);
int cmd_user_passwd(struct cli *c, int argc, char **argv);
int cmd_user_disable(struct cli *c, int argc, char **argv);
int cmd_user_reset(struct cli *c, int argc, char **argv);
int cmd_config_set(struct cli *c, int argc, char **argv);
int cmd_config_get(struct cli *c, int argc, char **argv);
int cmd_config_list(struct cli *c, int argc, char **argv);
int cmd_case_open(struct cli *c, int argc, char **argv);
int cmd_case_list(struct cli *c, int argc, char **argv);
int cmd_case_show(struct cli *c, int argc, char **argv);
int cmd_case_find(struct cli *c, int argc, char **argv);
int cmd_case_close(struct cli *c, int argc, char **argv);
int cmd_case_reopen(struct cli *c, int argc, char **argv);
int cmd_case_share(struct cli *c, int argc, char **argv);
int cmd_case_handover(struct cli *c, int argc, char **argv);
int cmd_case_shred(struct cli *c, int argc, char **argv);
int cmd_consent_record(struct cli *c, int argc, char **argv);
int cmd_consent_withdraw(struct cli *c, int argc, char **argv);
int cmd_consent_show(struct cli *c, int argc, char **argv);
int cmd_note_add(struct cli *c, int argc, char **argv);
int cmd_note_edit(struct cli *c, int argc, char **argv);
int cmd_note_finalize(struct cli *c, int argc, char **argv);
int cmd_note_amend(struct cli *c, int argc, char **argv);
int cmd_note_show(struct cli *c, int argc, char **argv);
int cmd_note_list(struct cli *c, int argc, char **argv);
int cmd_test_add(struct cli *c, int argc, char **argv);
int cmd_test_list(struct cli *c, int argc, char **argv);
int cmd_referral_add(struct cli *c, int argc, char **argv);
int cmd_referral_update(struct cli *c, int argc, char **argv);
int cmd_referral_list(struct cli *c, int argc, char **argv);
int cmd_watch_add(struct cli *c, int argc, char **argv);
int cmd_watch_list(struct cli *c, int argc, char **argv);
int cmd_watch_done(struct cli *c, int argc, char **argv);
int cmd_audit_log(struct cli *c, int argc, char **argv);
int cmd_audit_verify(struct cli *c, int argc, char **argv);
int cmd_audit_checkpoint(struct cli *c, int argc, char **argv);
int cmd_audit_review(struct cli *c, int argc, char **argv);
int cmd_audit_alerts(struct cli *c, int argc, char **argv);
int cmd_vault_keys(struct cli *c, int argc, char **argv);
int cmd_stats_export(struct cli *c, int argc, char **argv);
int cmd_stats_merge(struct cli *c, int argc, char **argv);
int cmd_duty_start(struct cli *c, int argc, char **argv);
int cmd_duty_end(struct cli *c, int argc, char **argv);
int cmd_duty_add(struct cli *c, int argc, char **argv);
int cmd_duty_list(struct cli *c, int argc, char **argv);
int cmd_duty_hours(struct cli *c, int argc, char **argv);
int cmd_unlock(struct cli *c, int argc, char **argv);
int cmd_lock(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_due(struct cli *c, int argc, char **argv);
int cmd_report_compliance(struct cli *c, int argc, char **argv);
int cmd_import_cases(struct cli *c, int argc, char **argv);
int cmd_import_notes(struct cli *c, int argc, char **argv);

#endif

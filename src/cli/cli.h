/*
 * cli.h - shared state and helpers of the casevault program.  The program
 * only parses, prompts and prints; every rule lives in libcasevault.
 */
#ifndef CV_CLI_H
#define CV_CLI_H

#include <stdio.h>

#include "casevault.h"

struct cli {
	const char *vault_path;
	const char *user;
	int pass_fd; /* -1: the terminal */
	int json;
	cv_vault *v;
	cv_session *s;
	cv_err err;
};

/* A command: name, sub-command (or NULL), handler and usage text. */
struct cmd {
	const char *group;
	const char *sub;
	int (*fn)(struct cli *c, int argc, char **argv);
	const char *usage;
	const char *summary;
};

/* Exit status of a command whose error is in c->err (prints it). */
int cli_fail(struct cli *c);
/* Prints a usage error naming the command and returns CV_EUSAGE. */
int cli_usage(const struct cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The command being run (for cli_usage from inside handlers). */
extern const struct cmd *cli_current;

/* Opens the vault and logs the user in, once; CV_OK or a status in c->err. */
cv_status cli_session(struct cli *c);

/*
 * cli_secret - read one secret line: the next line of --passphrase-fd, or
 * from the terminal without echo (asked twice when confirm is set).  *out is
 * sodium_malloc memory the caller frees with sodium_free.
 */
cv_status cli_secret(struct cli *c, const char *prompt, int confirm, char **out, size_t *len);

/* Prints s with control characters shown as \xNN, so that a tampered log
 * cannot drive the terminal. */
void cli_put_safe(FILE *f, const char *s);

/* Parses a positive decimal number into *out; -1 when not one. */
int cli_parse_u32(const char *s, unsigned *out);

int cmd_init(struct cli *c, int argc, char **argv);
int cmd_user_add(struct cli *c, int argc, char **argv);
int cmd_user_list(struct cli *c, int argc, char **argv);
int cmd_user_passwd(struct cli *c, int argc, char **argv);
int cmd_user_disable(struct cli *c, int argc, char **argv);
int cmd_audit_log(struct cli *c, int argc, char **argv);
int cmd_audit_verify(struct cli *c, int argc, char **argv);
int cmd_audit_checkpoint(struct cli *c, int argc, char **argv);

#endif

/*
 * out.c - small printing and parsing helpers shared by the commands.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

const struct cmd *cli_current;

void cli_put_safe(FILE *f, const char *s)
{
	cli_put_text(f, s, strlen(s), 0);
}

void cli_put_text(FILE *f, const char *s, size_t n, int keep_lines)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	for (; p < end; p++) {
		if (keep_lines && (*p == '\n' || *p == '\t')) {
			fputc(*p, f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
		} else if (*p == 0xc2 && p + 1 < end && p[1] >= 0x80 && p[1] <= 0x9f) { /* C1 */
			fprintf(f, "\\xc2\\x%02x", p[1]);
			p++;
		} else
			fputc(*p, f);
	}
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

int cli_usage(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	char msg[CV_ERRMSG_MAX];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fputs("error: ", stderr);
	cli_put_safe(stderr, msg);
	fputc('\n', stderr);
	if (cmd)
		fprintf(stderr, "usage: casevault %s\n", cmd->usage);
	return CV_EUSAGE;
}

int cli_fail(struct cli *c)
{
	cv_status st = c->err.status == CV_OK ? CV_ERROR : c->err.status;

	/* Messages may quote what was typed or what a tampered vault holds:
	 * escape control characters so neither can drive the terminal. */
	fputs("error: ", stderr);
	cli_put_safe(stderr, c->err.msg[0] ? c->err.msg : cv_status_name(st));
	fputc('\n', stderr);
	return (int)st;
}

void cli_json_line(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_free_t release;

	/* jansson allocated s with the library's wiping allocator: free it
	 * through jansson, never with free(). */
	json_get_alloc_funcs(NULL, &release);
	if (s) {
		printf("%s\n", s);
		release(s);
	}
	json_decref(o);
}

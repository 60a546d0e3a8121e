/*
 * out.c - small printing and parsing helpers shared by the commands.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "cli.h"
#include "banned.h"

const struct cmd *cli_current;

void cli_put_safe(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) { /* C1 controls */
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

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd)
		fprintf(stderr, "usage: casevault %s\n", cmd->usage);
	return CV_EUSAGE;
}

int cli_fail(struct cli *c)
{
	cv_status st = c->err.status == CV_OK ? CV_ERROR : c->err.status;

	fprintf(stderr, "error: %s\n", c->err.msg[0] ? c->err.msg : cv_status_name(st));
	return (int)st;
}

void cli_json_line(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

/*
 * err.c - ground layer: the error context shared by every library
 * function: reason codes, their arguments and the English rendering.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "banned.h"

#define GENERIC_CODE "error"

void cv_err_render(const cv_err *err, const char *tmpl, char *out, size_t cap)
{
	size_t o = 0;

	if (!cap)
		return;
	out[0] = '\0';
	if (!err)
		return;
	if (!tmpl) {
		snprintf(out, cap, "%s", err->msg);
		return;
	}
	for (const char *p = tmpl; *p && o + 1 < cap; p++) {
		if (p[0] == '{' && p[1] >= '1' && p[1] <= '0' + CV_ERR_ARGS && p[2] == '}') {
			const char *a = err->args[p[1] - '1'];
			int n = snprintf(out + o, cap - o, "%s", *a ? a : "?");

			o = n < 0 ? o : (size_t)n >= cap - o ? cap - 1 : o + (size_t)n;
			p += 2;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

cv_status cv_fail_(cv_err *err, cv_status st, const char *code, const char *tmpl, ...)
{
	const char *a;
	va_list ap;
	int i = 0;

	if (!err)
		return st;
	memset(err, 0, sizeof(*err));
	err->status = st;
	snprintf(err->code, sizeof(err->code), "%s", code ? code : GENERIC_CODE);
	err->tmpl = tmpl;
	va_start(ap, tmpl);
	while ((a = va_arg(ap, const char *)) != NULL)
		if (i < CV_ERR_ARGS)
			snprintf(err->args[i++], CV_ERR_ARG_MAX, "%s", a);
	va_end(ap);
	cv_err_render(err, tmpl, err->msg, sizeof(err->msg));
	return st;
}

cv_status cv_err_set(cv_err *err, cv_status st, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return st;
	memset(err, 0, sizeof(*err));
	err->status = st;
	snprintf(err->code, sizeof(err->code), "%s", GENERIC_CODE);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return st;
}

const char *cv_num(char buf[24], long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

void cv_err_clear(cv_err *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
}

const char *cv_status_name(cv_status st)
{
	switch (st) {
	case CV_OK:
		return "ok";
	case CV_ERROR:
		return "error";
	case CV_EUSAGE:
		return "usage";
	case CV_EAUTH:
		return "authentication failed";
	case CV_EDENIED:
		return "denied";
	case CV_EINTEGRITY:
		return "integrity failure";
	case CV_ENOTFOUND:
		return "not found";
	}
	return "unknown";
}

const char *cv_role_a(cv_role role)
{
	switch (role) {
	case CV_ROLE_COUNSELOR:
		return "a counselor";
	case CV_ROLE_SUPERVISOR:
		return "a supervisor";
	case CV_ROLE_ADMIN:
		return "an admin";
	}
	return "an unknown role";
}

void cv_command_words(const char *action, char *out, size_t cap)
{
	size_t i;

	for (i = 0; action[i] && i + 1 < cap; i++)
		out[i] = action[i] == '.' ? ' ' : action[i];
	out[i] = '\0';
}

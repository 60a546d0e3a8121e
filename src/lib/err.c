/*
 * err.c - ground layer: the error context shared by every library function.
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"
#include <stddef.h>
#include "banned.h"

cv_status cv_err_set(cv_err *err, cv_status st, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return st;
	err->status = st;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return st;
}

void cv_err_clear(cv_err *err)
{
	if (!err)
		return;
	err->status = CV_OK;
	err->msg[0] = '\0';
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

/*
 * err.c - the error context shared by every library function.
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"
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

/*
 * import.c - commands: onboarding existing records.  Many case opens (with
 * the consent on file), or many note adds, in one store transaction: each
 * row goes through the functions the typed commands use
 * (cv_case_open_in, cv_consent_record_in, cv_note_write_in), so it is
 * checked and logged as typed input is; a refused row is recorded and the
 * batch goes on, and any refusal rolls the whole batch back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "case.h"
#include "consent.h"
#include "err.h"
#include "log.h"
#include "note.h"
#include "policy.h"
#include "text.h"
#include "banned.h"

/* A refused row, kept to be logged once the batch is rolled back. */
struct refusal {
	cv_action action;
	cv_status status;
	int logged; /* the typed command logs this refusal */
	char object[CV_ID_MAX + 8];
	char detail[CV_LOG_DETAIL_MAX];
};

struct cv_import {
	cv_session *s;
	cv_import_kind kind;
	int open;	   /* the transaction is open */
	size_t rows, done; /* rows given, rows written */
	struct refusal *ref;
	size_t nref, capref;
	size_t unkept;	   /* refusals memory did not hold: the batch still fails */
	struct cv_case *c; /* the case of the last note row: rows of one case come together */
};

/* The action a refusal of the batch as a whole is logged under. */
static cv_action main_action(const cv_import *im)
{
	return im->kind == CV_IMPORT_CASES ? CV_ACT_CASE_OPEN : CV_ACT_NOTE_ADD;
}

cv_status cv_import_begin(cv_session *s, cv_import_kind kind, cv_import **out, cv_err *err)
{
	CV_ERR_GUARD(err);
	static const cv_action cases[] = {CV_ACT_CASE_OPEN, CV_ACT_CONSENT_RECORD};
	static const cv_action notes[] = {CV_ACT_NOTE_ADD, CV_ACT_NOTE_FINALIZE};
	const cv_action *need = kind == CV_IMPORT_CASES ? cases : notes;
	cv_import *im;
	cv_status st;

	*out = NULL;
	if (kind != CV_IMPORT_CASES && kind != CV_IMPORT_NOTES)
		return cv_err_set(err, CV_EUSAGE, "unknown kind of import");
	/* Every action a row may take is judged once, as the typed commands
	 * judge it (a refusal is logged under that action). */
	for (size_t i = 0; i < 2; i++)
		if (cv_policy_check(s, need[i], kind == CV_IMPORT_CASES ? "case:new" : "case:?",
				    err) != CV_OK)
			return err->status;
	im = calloc(1, sizeof(*im));
	if (!im)
		return cv_err_set(err, CV_ERROR, "out of memory");
	im->s = s;
	im->kind = kind;
	st = cv_op_begin(s, err);
	if (st != CV_OK) {
		free(im);
		return st;
	}
	im->open = 1;
	*out = im;
	return CV_OK;
}

static cv_status over(cv_err *err)
{
	return cv_err_set(err, CV_ERROR, "internal error: the import is over");
}

static void drop_case(cv_import *im)
{
	cv_case_free(im->c);
	im->c = NULL;
}

/* Records a refusal; CV_ERROR when memory runs out (the batch then
 * ends). */
static cv_status keep_refusal(cv_import *im, cv_action action, const char *object, int logged,
			      const cv_err *why)
{
	struct refusal *r;

	if (im->nref == im->capref) {
		size_t cap = im->capref ? 2 * im->capref : 16;
		struct refusal *n = realloc(im->ref, cap * sizeof(*n));

		if (!n)
			return CV_ERROR;
		im->ref = n;
		im->capref = cap;
	}
	r = &im->ref[im->nref++];
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->status = why->status;
	r->logged = logged;
	snprintf(r->object, sizeof(r->object), "%s", object);
	cv_log_detail(why, r->detail, sizeof(r->detail));
	return CV_OK;
}

/* What a row's status means for the batch: a refusal is kept and the
 * batch goes on; anything else ends it (rolled back and logged). */
static cv_status settle(cv_import *im, cv_action action, const char *object, int logged,
			cv_status st, cv_err *err)
{
	if (st == CV_OK) {
		im->done++;
		return CV_OK;
	}
	if (st == CV_EUSAGE || st == CV_EDENIED || st == CV_ENOTFOUND) {
		if (keep_refusal(im, action, object, logged, err) == CV_OK)
			return st;
		st = cv_err_set(err, CV_ERROR, "out of memory");
	}
	drop_case(im);
	im->open = 0;
	return cv_op_fail(im->s, action, object, err);
}

/* Consent fields given without the party who consented. */
static int consent_orphan(const cv_consent_input *k)
{
	return !k->by && (k->method || k->date || k->scopes || k->verified_by);
}

cv_status cv_import_case(cv_import *im, const cv_import_case_row *row, char id[CV_CASE_ID_MAX],
			 int *already_open, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8] = "case:new";
	cv_action action = CV_ACT_CASE_OPEN;
	struct cv_case *c = NULL;
	cv_status st;

	id[0] = '\0';
	*already_open = 0;
	if (!im->open || im->kind != CV_IMPORT_CASES)
		return over(err);
	im->rows++;
	/* A check of the row's shape, before anything is written: not logged,
	 * as the typed command's option checks are not. */
	if (consent_orphan(&row->consent)) {
		cv_fail(err, CV_EUSAGE, "import.consent-party",
			"consent details are given but not who consented; fill consent_by "
			"(student, guardian or student,guardian), or leave every consent "
			"column empty");
		return settle(im, action, object, 0, err->status, err);
	}
	st = cv_case_open_in(im->s, &row->in, id, already_open, object, err);
	if (st == CV_OK && row->consent.by) {
		action = CV_ACT_CONSENT_RECORD;
		st = cv_access_join(im->s, id, CV_ACT_CONSENT_RECORD,
				    CV_NEED_CONTENT | CV_NEED_OPEN, 0, &c, err);
		if (st == CV_OK)
			st = cv_consent_record_in(im->s, c, &row->consent, err);
		cv_case_free(c);
	}
	if (st != CV_OK) {
		id[0] = '\0';
		*already_open = 0;
	}
	return settle(im, action, object, 1, st, err);
}

cv_status cv_import_note(cv_import *im, const cv_import_note_row *row, char id[CV_CASE_ID_MAX],
			 cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], found[CV_CASE_ID_MAX];
	const char *case_id = row->case_id ? row->case_id : "";
	cv_status st;

	id[0] = '\0';
	if (!im->open || im->kind != CV_IMPORT_NOTES)
		return over(err);
	im->rows++;
	cv_object_name(object, sizeof(object), "case", row->case_id ? row->case_id : "");
	/* Kind and text are checked before any vault access, and such a
	 * refusal is not logged, as for `note add`. */
	st = cv_note_check(row->kind, row->text, row->len, err);
	if (st != CV_OK)
		return settle(im, CV_ACT_NOTE_ADD, object, 0, st, err);
	/* By student number: the importer's one case of that student; with a
	 * case id too, the two must name the same case. */
	if (row->student_id) {
		st = cv_case_of_student(im->s, row->student_id, found, err);
		if (st == CV_OK && row->case_id && strcmp(found, row->case_id) != 0)
			st = cv_fail(err, CV_EUSAGE, "import.student-mismatch",
				     "case '{1}' is not the case of this student number (that is "
				     "'{2}'); correct the case or the student number",
				     row->case_id, found);
		if (st != CV_OK)
			return settle(im, CV_ACT_NOTE_ADD, row->case_id ? object : "case:?", 1, st,
				      err);
		case_id = found;
		cv_object_name(object, sizeof(object), "case", case_id);
	}
	if (im->c && strcmp(im->c->rec.id, case_id) != 0)
		drop_case(im);
	if (!im->c)
		st = cv_access_join(im->s, case_id, CV_ACT_NOTE_ADD, CV_NEED_CONTENT | CV_NEED_OPEN,
				    0, &im->c, err);
	if (st == CV_OK)
		st = cv_note_write_in(im->s, im->c, row->kind, row->text, row->len, row->finalize,
				      id, err);
	return settle(im, CV_ACT_NOTE_ADD, object, 1, st, err);
}

void cv_import_refuse(cv_import *im, const cv_err *why)
{
	if (!im || !im->open)
		return;
	im->rows++;
	/* A refusal memory cannot hold is counted all the same: the batch
	 * must not commit. */
	if (keep_refusal(im, main_action(im), im->kind == CV_IMPORT_CASES ? "case:new" : "case:?",
			 0, why) != CV_OK)
		im->unkept++;
}

size_t cv_import_done(const cv_import *im)
{
	return im ? im->done : 0;
}

size_t cv_import_refused(const cv_import *im)
{
	return im ? im->nref + im->unkept : 0;
}

/* Logs each refusal the typed commands log, in a transaction of its own. */
static void log_refusals(cv_import *im, cv_err *err)
{
	cv_session *s = im->s;
	cv_err lerr = {0};
	cv_status st;
	size_t n = 0;

	for (size_t i = 0; i < im->nref; i++)
		n += im->ref[i].logged;
	if (!n)
		return;
	st = cv_op_begin(s, &lerr);
	for (size_t i = 0; i < im->nref && st == CV_OK; i++)
		if (im->ref[i].logged)
			st = cv_op_log(s, im->ref[i].action, im->ref[i].object,
				       cv_outcome_of(im->ref[i].status), im->ref[i].detail, &lerr);
	if (st == CV_OK)
		st = cv_op_commit(s, &lerr);
	if (st != CV_OK) {
		size_t k = strlen(err->msg);

		cv_store_rollback(s->v->st);
		snprintf(err->msg + k, sizeof(err->msg) - k, " (and the audit rows failed: %s)",
			 lerr.msg);
	}
}

cv_status cv_import_end(cv_import *im, cv_err *err)
{
	CV_ERR_GUARD(err);
	char a[24], b[24];
	cv_status st, first;

	if (!im || !im->open)
		return over(err);
	drop_case(im);
	im->open = 0;
	if (im->nref + im->unkept == 0) {
		st = cv_op_commit(im->s, err);
		if (st != CV_OK)
			return cv_op_fail(im->s, main_action(im), "case:new", err);
		return CV_OK;
	}
	cv_store_rollback(im->s->v->st);
	first = im->nref ? im->ref[0].status : CV_ERROR;
	cv_fail(err, first, "import.refused",
		"{1} of {2} rows refused; nothing was imported: correct them and import the "
		"whole file again",
		cv_num(a, (long long)(im->nref + im->unkept)), cv_num(b, (long long)im->rows));
	log_refusals(im, err);
	return first;
}

void cv_import_free(cv_import *im)
{
	if (!im)
		return;
	drop_case(im);
	if (im->open)
		cv_store_rollback(im->s->v->st);
	if (im->ref)
		sodium_memzero(im->ref, im->capref * sizeof(*im->ref));
	free(im->ref);
	free(im);
}

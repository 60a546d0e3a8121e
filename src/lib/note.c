/*
 * note.c - commands: counseling notes (R4): drafts, finalization (the author's
 * signature, then immutability), addenda, reading.  Note text is the raw
 * UTF-8 plaintext of the record, encrypted under the case key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "access.h"
#include "localday.h"
#include "note.h"
#include "policy.h"
#include "settings.h"
#include "crypt.h"
#include "err.h"
#include "text.h"
#include "cert.h"
#include "banned.h"

static cv_status check_text(const char *text, size_t len, cv_err *err)
{
	char a[24], b[24];
	size_t bad;

	if (!text || len == 0)
		return cv_fail(err, CV_EUSAGE, "note.empty",
			       "the note is empty; write something first");
	if (len > CV_NOTE_MAX)
		return cv_fail(err, CV_EUSAGE, "note.too-long",
			       "the note is {1} bytes; the limit is {2} (1 MiB)",
			       cv_num(a, (long long)len), cv_num(b, CV_NOTE_MAX));
	bad = cv_utf8_check(text, len, NULL);
	if (bad != (size_t)-1)
		return cv_fail(err, CV_EUSAGE, "note.utf8",
			       "the note is not valid UTF-8 at byte offset {1}; save it as UTF-8",
			       cv_num(a, (long long)bad));
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\0')
			return cv_fail(err, CV_EUSAGE, "note.nul",
				       "the note contains a NUL byte at byte offset {1}; it must "
				       "be text",
				       cv_num(a, (long long)i));
	if ((bad = cv_text_has_bidi(text, len, NULL)) != (size_t)-1)
		return cv_fail(err, CV_EUSAGE, "note.bidi",
			       "the note has an invisible direction or format character at byte "
			       "offset {1}; remove it",
			       cv_num(a, (long long)bad));
	return CV_OK;
}

/* *ok: whether the draft r's row signature is its author's and verifies
 * (cv_note_signature says it of a final note); a failure to read the store
 * is an error, never "signature invalid". */
static cv_status draft_signature(cv_vault *v, const cv_record *r, int *ok, cv_err *err)
{
	cv_err why = {0};
	cv_status st = cv_record_check(v, r, NULL, &why);

	*ok = st == CV_OK;
	if (st != CV_OK && st != CV_EINTEGRITY) {
		if (err)
			*err = why;
		return st;
	}
	return CV_OK;
}

int cv_note_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		 int with_text, int (*cb)(const cv_note_info *n, void *arg), void *arg,
		 cv_status *st, cv_err *err)
{
	char author[CV_NAME_MAX + 8] = "?", created[11] = "";
	cv_note_info n = {0};
	long archive_days = 0;
	cv_user_rec u;
	uint8_t *text = NULL;
	size_t len = 0;
	int stop;

	if (cv_store_user_by_id(s->v->st, r->author_id, &u, NULL) == CV_OK)
		snprintf(author, sizeof(author), "%s", u.name);
	memcpy(created, r->created_at, 10);
	n.id = r->id;
	n.case_id = r->case_id;
	n.kind = r->kind;
	n.status = r->status;
	n.author = author;
	n.created_at = r->created_at;
	n.updated_at = r->updated_at;
	n.amends = r->parent;
	n.version = r->version;
	*st = cv_setting_int(s->v, CV_SET_ARCHIVE_DAYS, &archive_days, err);
	if (*st != CV_OK)
		return 1;
	n.overdue = strcmp(r->status, "draft") == 0 && cv_date_diff(created, as_of) > archive_days;
	/* A draft is signed by its author at every write, as a final note is
	 * at finalizing (docs/FORMAT.md §13): both signatures are checked. */
	*st = strcmp(r->status, "final") == 0 ? cv_note_signature(s->v, r, &n.signature_ok, err)
					      : draft_signature(s->v, r, &n.signature_ok, err);
	if (*st != CV_OK)
		return 1;
	n.after_withdrawal = cv_consent_before_withdrawal(&c->consent, r->id);
	if (with_text) {
		*st = cv_record_open_text(s, c, r, &text, &len, err);
		if (*st != CV_OK)
			return 1;
		n.text = (const char *)text;
		n.text_len = len;
	}
	stop = cb(&n, arg);
	sodium_free(text);
	return stop;
}

/* A new note on c, a draft, or final at once (final set: `note add
 * --finalize`; the author's row signature covers the status). */
static cv_status new_note(cv_session *s, struct cv_case *c, const char *kind, const char *parent,
			  const char *text, size_t len, int final, char id[CV_CASE_ID_MAX],
			  cv_err *err)
{
	char now[CV_TIME_LEN];
	cv_record r = {0};
	cv_status st;

	cv_time_now(now);
	st = cv_new_id(s->v, 'N', 6, r.id, err);
	if (st != CV_OK)
		return st;
	snprintf(r.case_id, sizeof(r.case_id), "%s", c->rec.id);
	snprintf(r.type, sizeof(r.type), "note");
	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	snprintf(r.parent, sizeof(r.parent), "%s", parent ? parent : "");
	snprintf(r.status, sizeof(r.status), "%s", final ? "final" : "draft");
	r.version = 1;
	r.author_id = s->me.id;
	snprintf(r.created_at, sizeof(r.created_at), "%s", now);
	snprintf(r.updated_at, sizeof(r.updated_at), "%s", now);
	st = cv_record_put(s, c, &r, NULL, text, len, 1, err);
	if (st == CV_OK)
		snprintf(id, CV_CASE_ID_MAX, "%s", r.id);
	return st;
}

cv_status cv_note_add(cv_session *s, const char *case_id, const char *kind, const char *text,
		      size_t len, const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err)
{
	return cv_note_write(s, case_id, kind, text, len, crisis, 0, id, err);
}

/* The draft r on c becomes final: the author's signed final text. */
static cv_status finalize_record(cv_session *s, struct cv_case *c, cv_record *r, cv_err *err)
{
	if (strcmp(r->status, "draft") != 0)
		return cv_fail(err, CV_EDENIED, "note.already-final", "note '{1}' is already final",
			       r->id);
	if (r->author_id != s->me.id)
		return cv_fail(err, CV_EDENIED, "note.not-author",
			       "note '{1}' was written by another counselor; only its author "
			       "signs it",
			       r->id);
	/* The row signature (the author's, written by the access layer) covers
	 * the status. */
	snprintf(r->status, sizeof(r->status), "final");
	cv_time_now(r->updated_at);
	return cv_access_record_update(s, c, r, err);
}

/* The note kinds a counselor writes (an addendum is written by amend). */
static cv_status check_kind(const char *kind, cv_err *err)
{
	static const char *const kinds[] = {"session", "analysis", "outcome", "contact"};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return CV_OK;
	return cv_fail(err, CV_EUSAGE, "note.kind",
		       "unknown note kind '{1}'; use session, analysis, outcome or contact", kind);
}

cv_status cv_note_check(const char *kind, const char *text, size_t len, cv_err *err)
{
	if (check_kind(kind ? kind : "session", err) != CV_OK)
		return err->status;
	return check_text(text, len, err);
}

/* The rows of a note written: note.add (with its kind), then note.finalize
 * when it is stored final.  object and fobject receive the objects. */
static size_t note_rows(const char *id, const char *kind, int finalize, cv_access_row rows[2],
			char object[CV_ID_MAX + 8], char fobject[CV_ID_MAX + 8], char detail[40])
{
	snprintf(object, CV_ID_MAX + 8, "note:%s", id);
	snprintf(fobject, CV_ID_MAX + 8, "note:%s", id);
	snprintf(detail, 40, "kind=%s", kind);
	rows[0] = (cv_access_row){CV_ACT_NOTE_ADD, object, detail};
	rows[1] = (cv_access_row){CV_ACT_NOTE_FINALIZE, fobject, ""};
	return finalize ? 2 : 1;
}

cv_status cv_note_write_in(cv_session *s, struct cv_case *c, const char *kind, const char *text,
			   size_t len, int finalize, char id[CV_CASE_ID_MAX], cv_err *err)
{
	char object[CV_ID_MAX + 8], fobject[CV_ID_MAX + 8], detail[40];
	cv_access_row rows[2];
	size_t n;
	cv_status st;

	id[0] = '\0';
	kind = kind ? kind : "session";
	st = cv_note_check(kind, text, len, err);
	if (st == CV_OK)
		st = cv_access_recheck(c, CV_NEED_OPEN, cv_note_kind_scope(kind), err);
	if (st == CV_OK)
		st = new_note(s, c, kind, NULL, text, len, finalize, id, err);
	if (st != CV_OK) {
		id[0] = '\0';
		return st;
	}
	n = note_rows(id, kind, finalize, rows, object, fobject, detail);
	for (size_t i = 0; i < n && st == CV_OK; i++)
		st = cv_op_log(s, rows[i].action, rows[i].object, CV_OUT_OK, rows[i].detail, err);
	if (st != CV_OK)
		id[0] = '\0';
	return st;
}

cv_status cv_note_write(cv_session *s, const char *case_id, const char *kind, const char *text,
			size_t len, const char *crisis, int finalize, char id[CV_CASE_ID_MAX],
			cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], fobject[CV_ID_MAX + 8], detail[40];
	cv_access_row rows[2];
	struct cv_case *c;
	cv_status st;
	size_t n;

	id[0] = '\0';
	kind = kind ? kind : "session";
	if (cv_note_check(kind, text, len, err) != CV_OK)
		return err->status;
	cv_object_name(object, sizeof(object), "case", case_id);
	/* The role to finalize is judged before anything is written. */
	if (finalize && cv_policy_check(s, CV_ACT_NOTE_FINALIZE, object, err) != CV_OK)
		return err->status;
	st = cv_access_enter(s, case_id, CV_ACT_NOTE_ADD, CV_NEED_CONTENT | CV_NEED_OPEN,
			     cv_note_kind_scope(kind), crisis, NULL, &c, err);
	if (st != CV_OK)
		return st;
	st = new_note(s, c, kind, NULL, text, len, finalize, id, err);
	if (st != CV_OK) {
		id[0] = '\0';
		return cv_access_abort(s, c, CV_ACT_NOTE_ADD, object, err);
	}
	n = note_rows(id, kind, finalize, rows, object, fobject, detail);
	st = cv_access_leave_rows(s, c, rows, n, err);
	cv_case_free(c);
	if (st != CV_OK)
		id[0] = '\0';
	return st;
}

static unsigned note_scope(const cv_record *r)
{
	return cv_note_kind_scope(r->kind);
}

/* Loads note_id and enters its case; on failure everything is logged. */
static cv_status enter_note(cv_session *s, const char *note_id, cv_action action, unsigned need,
			    int scoped, const char *crisis, cv_record *r, struct cv_case **c,
			    cv_err *err)
{
	return cv_access_enter_record(s, note_id, CV_REC_NOTE, action, need,
				      scoped ? note_scope : NULL, crisis, r, c, err);
}

static cv_status refuse_final(const cv_record *r, cv_err *err)
{
	return cv_fail(err, CV_EDENIED, "note.already-final",
		       "note '{1}' is final and cannot be changed (R4); correct it with "
		       "'casevault note amend {1}'",
		       r->id);
}

cv_status cv_note_edit(cv_session *s, const char *note_id, const char *text, size_t len,
		       const char *crisis, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8];
	struct cv_case *c;
	cv_record r;
	cv_status st;

	if (check_text(text, len, err) != CV_OK)
		return err->status;
	cv_object_name(object, sizeof(object), "note", note_id);
	st = enter_note(s, note_id, CV_ACT_NOTE_EDIT, CV_NEED_CONTENT | CV_NEED_OPEN, 1, crisis, &r,
			&c, err);
	if (st != CV_OK)
		return st;
	if (strcmp(r.status, "draft") != 0)
		st = refuse_final(&r, err);
	else if (r.author_id != s->me.id)
		st = cv_fail(err, CV_EDENIED, "note.not-author",
			     "note '{1}' is another counselor's draft; only its author edits it "
			     "(add your own note, or amend it once final)",
			     r.id);
	if (st == CV_OK) {
		free((void *)r.box);
		r.box = NULL;
		r.version++;
		cv_time_now(r.updated_at);
		st = cv_record_put(s, c, &r, NULL, text, len, 0, err);
	}
	cv_record_clear(&r);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_NOTE_EDIT, object, err);
	st = cv_access_leave(s, c, CV_ACT_NOTE_EDIT, object, "", err);
	cv_case_free(c);
	return st;
}

cv_status cv_note_finalize(cv_session *s, const char *note_id, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8];
	cv_buf b = CV_BUF_INIT;
	struct cv_case *c;
	cv_record r;
	cv_status st;

	cv_object_name(object, sizeof(object), "note", note_id);
	/* Finalizing completes the record (archival duty): no consent needed. */
	st = enter_note(s, note_id, CV_ACT_NOTE_FINALIZE, CV_NEED_CONTENT, 0, NULL, &r, &c, err);
	if (st != CV_OK)
		return st;
	st = finalize_record(s, c, &r, err);
	cv_buf_free(&b);
	cv_record_clear(&r);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_NOTE_FINALIZE, object, err);
	st = cv_access_leave(s, c, CV_ACT_NOTE_FINALIZE, object, "", err);
	cv_case_free(c);
	return st;
}

cv_status cv_note_finalize_many(cv_session *s, const char *const *ids, size_t n, size_t *failed,
				cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8];
	struct cv_case *c = NULL;
	cv_record r;
	cv_status st;
	size_t i = 0;

	*failed = 0;
	if (n == 1)
		return cv_note_finalize(s, ids[0], err);
	cv_object_name(object, sizeof(object), "note", n ? ids[0] : "");
	if (n == 0)
		return cv_fail(err, CV_EUSAGE, "usage", "give one or more note ids");
	if (cv_policy_check(s, CV_ACT_NOTE_FINALIZE, object, err) != CV_OK)
		return err->status;
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	for (i = 0; i < n; i++) {
		cv_object_name(object, sizeof(object), "note", ids[i]);
		for (size_t k = 0; k < i && st == CV_OK; k++)
			if (strcmp(ids[k], ids[i]) == 0)
				st = cv_fail(err, CV_EUSAGE, "note.repeated",
					     "note '{1}' is named twice; name each note once",
					     ids[i]);
		if (st == CV_OK)
			st = cv_access_join_record(s, ids[i], CV_REC_NOTE, CV_ACT_NOTE_FINALIZE,
						   CV_NEED_CONTENT, &r, &c, err);
		if (st != CV_OK)
			break;
		st = finalize_record(s, c, &r, err);
		cv_record_clear(&r);
		cv_case_free(c);
		c = NULL;
		if (st == CV_OK)
			st = cv_op_log(s, CV_ACT_NOTE_FINALIZE, object, CV_OUT_OK, "", err);
		if (st != CV_OK)
			break;
	}
	if (st != CV_OK) {
		*failed = i;
		return cv_op_fail(s, CV_ACT_NOTE_FINALIZE, object, err);
	}
	st = cv_op_commit(s, err);
	if (st != CV_OK)
		cv_store_rollback(s->v->st);
	return st;
}

cv_status cv_note_amend(cv_session *s, const char *note_id, const char *text, size_t len,
			const char *crisis, char id[CV_CASE_ID_MAX], cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], detail[CV_ID_MAX + 16];
	struct cv_case *c;
	cv_record r;
	cv_status st;

	id[0] = '\0';
	if (check_text(text, len, err) != CV_OK)
		return err->status;
	cv_object_name(object, sizeof(object), "note", note_id);
	/* An addendum is new content: it needs the consent its note needed
	 * (or the crisis exception), like writing a note. */
	st = enter_note(s, note_id, CV_ACT_NOTE_AMEND, CV_NEED_CONTENT, 1, crisis, &r, &c, err);
	if (st != CV_OK)
		return st;
	if (strcmp(r.status, "final") != 0)
		st = cv_fail(err, CV_EUSAGE, "note.draft",
			     "note '{1}' is still a draft; edit it with 'casevault note edit {1}' "
			     "instead",
			     r.id);
	if (st == CV_OK)
		st = new_note(s, c, "addendum", r.id, text, len, 0, id, err);
	cv_record_clear(&r);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_NOTE_AMEND, object, err);
	snprintf(detail, sizeof(detail), "addendum=%s", id);
	st = cv_access_leave(s, c, CV_ACT_NOTE_AMEND, object, detail, err);
	cv_case_free(c);
	if (st != CV_OK)
		id[0] = '\0';
	return st;
}

cv_status cv_note_show(cv_session *s, const char *note_id,
		       int (*cb)(const cv_note_info *n, void *arg), void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], today[11], detail[CV_ID_MAX + 8];
	struct cv_case *c;
	cv_record r;
	cv_status st;

	cv_object_name(object, sizeof(object), "note", note_id);
	st = enter_note(s, note_id, CV_ACT_NOTE_SHOW, CV_NEED_CONTENT, 0, NULL, &r, &c, err);
	if (st != CV_OK)
		return st;
	/* The read is logged and committed before anything is decrypted for
	 * display; if the log cannot be written nothing is shown.  The row
	 * names the note's case, as a case's reads do, so that the reads of
	 * one user across cases can be counted from the log alone. */
	snprintf(detail, sizeof(detail), "case=%s", c->rec.id);
	st = cv_access_leave(s, c, CV_ACT_NOTE_SHOW, object, detail, err);
	if (st == CV_OK)
		st = cv_local_today(s->v, today, err);
	if (st == CV_OK)
		cv_note_emit(s, c, &r, today, 1, cb, arg, &st, err);
	cv_record_clear(&r);
	cv_case_free(c);
	return st;
}

/*
 * note.h - commands on counseling notes (R4), and the renderer that turns
 * a note record of an entered case into a cv_note_info for show.c.
 */
#ifndef CV_NOTE_H
#define CV_NOTE_H

#include "access.h"

/*
 * cv_note_emit - build the cv_note_info of note record r on case c (as of
 * date as_of for the overdue mark; with its decrypted text when with_text)
 * and pass it to cb.  Returns cb's result, or 1 with *st set on failure.
 */
int cv_note_emit(cv_session *s, struct cv_case *c, const cv_record *r, const char *as_of,
		 int with_text, int (*cb)(const cv_note_info *n, void *arg), void *arg,
		 cv_status *st, cv_err *err);

/* The checks of a new note's kind (NULL: session) and text, before any
 * vault access: "note.kind", "note.empty", "note.too-long", "note.utf8",
 * "note.nul", "note.bidi". */
cv_status cv_note_check(const char *kind, const char *text, size_t len, cv_err *err);

/*
 * cv_note_write_in - cv_note_write on case c, joined (cv_access_join with
 * CV_NEED_CONTENT) in a write transaction the caller opened and will end,
 * without the crisis exception: the kind and text checked, the case's
 * state and the consent the kind needs checked again, the note written
 * and its rows logged (note.add, and note.finalize when finalize).  The
 * caller has judged the roles (note.add, and note.finalize when
 * finalize).  On failure nothing is rolled back or logged.
 */
cv_status cv_note_write_in(cv_session *s, struct cv_case *c, const char *kind, const char *text,
			   size_t len, int finalize, char id[CV_CASE_ID_MAX], cv_err *err);

#endif

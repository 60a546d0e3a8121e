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

#endif

/*
 * verify.h - commands: what `audit verify` checks, for the commands that
 * must trust the log before they compute from it (audit alerts).
 */
#ifndef CV_VERIFY_H
#define CV_VERIFY_H

#include "session.h"

/*
 * cv_verify_vault - inside the caller's transaction: every check of
 * `audit verify` without an external checkpoint (docs/FORMAT.md §7.5),
 * from the log's anchor (§7.7):
 * users, recovery key, settings, reviews, the hash chain and its
 * signatures, users and stored rows against the log.  CV_EINTEGRITY
 * naming the first problem; rep (not NULL) says what was read.
 */
cv_status cv_verify_vault(cv_vault *v, cv_audit_report *rep, cv_err *err);

/*
 * cv_verify_in_op - inside the session's write transaction (cv_op_begin):
 * the checks of cv_verify_vault (every signature again when full, and the
 * external checkpoint when checkpoint_text is not NULL), then the
 * audit.verify row that reports them, which is an anchor (§7.7) when the
 * session's user is a supervisor.  Neither commits nor rolls back: on an
 * error the caller ends the transaction (cv_op_fail).  Until the caller's
 * transaction ends, every stored row is one the log committed to.
 */
cv_status cv_verify_in_op(cv_session *s, const char *checkpoint_text, int full,
			  cv_audit_report *rep, cv_err *err);

/*
 * cv_verify_in_op_begin - cv_verify_in_op from the anchor, in two halves,
 * so that a caller reading many rows does so while the checks run: begin
 * checks the users, the settings and the reviews, and, when the store can
 * (store.h cv_store_beside), leaves the walk of the log (§7.5 steps 4 to
 * 6), the comparison of the stored rows with it (step 7) and the
 * structure check (step 8) running in threads on connections of their
 * own, *pending holding them (else NULL: every check is done, on the one
 * connection).  cv_vouch_begin's vouch gets its key and the users' roles
 * from begin, its sums once the walk is done; the rows of the cases and
 * records tables are left to the caller, who must read every one as
 * access.c cv_access_all_stats does (the thread walks the other tables).
 * rep must be the same object for begin and end (the thread fills it).
 * Until cv_verify_in_op_end has returned CV_OK, nothing the caller read may
 * be trusted, published or written: end waits for the threads, checks that
 * the log the walk read ends at the session's last row (s->head), compares
 * what the caller's count summed with the log (cert.h cv_vouch_check, and
 * each table's own row count), reports the first finding as
 * cv_verify_in_op would, and only then writes the audit.verify row.
 * counted is the result of the caller's reading of the rows left to it:
 * unless it is CV_OK, and the walk marked the vouch as having read every
 * row (struct cv_vouch counted), no audit.verify row is written (CV_OK
 * with the vouch not marked is refused: CV_ERROR), and a failure is looked
 * into again, so that the finding returned is the one cv_verify_in_op
 * would report (CV_OK when that finds nothing: the caller's own failure
 * stands).  end must be called once after a begin that returned CV_OK,
 * whatever happened in between (it joins the threads).
 */
typedef struct cv_verify_pending cv_verify_pending;
cv_status cv_verify_in_op_begin(cv_session *s, cv_verify_pending **pending, cv_audit_report *rep,
				cv_err *err);
cv_status cv_verify_in_op_end(cv_session *s, cv_verify_pending *pending, cv_status counted,
			      cv_audit_report *rep, cv_err *err);

/*
 * cv_vouch_begin - the next verification in the caller's open transaction
 * (cv_verify_in_op_begin) keeps what the log says of the cases and records
 * rows (v->vouch): the sums their rows must have, with their signers
 * (docs/FORMAT.md §7.6).  Until cv_vouch_end, which the caller calls
 * before its transaction ends, a case or record row read without its case
 * key is added to the walk's sums (cv_vouch_row) and taken as signed by
 * its signer: the log's signed checkpoints then stand for the rows' own
 * signatures, and cv_vouch_check, once the walk has read every row of
 * both tables, says whether they do (CV_EINTEGRITY "rows.changed" when the
 * rows read are not exactly the log's latest versions, each written by
 * its signer, each read once).  Nothing the walk read may be used unless
 * that check passed.  Out of memory: nothing is kept, and every signature
 * is checked.
 */
void cv_vouch_begin(cv_vault *v);
void cv_vouch_end(cv_vault *v);

#endif

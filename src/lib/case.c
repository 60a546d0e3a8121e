/*
 * case.c - commands on cases: open, list, find, close, reopen, share,
 * handover, shred.  Every one goes through the access layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "localday.h"
#include "buf.h"
#include "case.h"
#include "cert.h"
#include "err.h"
#include "policy.h"
#include "recovery.h"
#include "text.h"
#include "vkeys.h"
#include "banned.h"

#define FIELD_MAX 200 /* single-line fields, in bytes */
#define SHRED_REASON_MAX 200

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Student numbers are compared after removing spaces and dashes and
 * upper-casing ASCII letters. */
static cv_status normalize_student(const char *in, char *out, size_t cap, cv_err *err)
{
	size_t o = 0;

	if (cv_field_check("student id", in, 64, err) != CV_OK)
		return err->status;
	for (const char *p = in; *p; p++) {
		char ch = *p;
		if (ch == ' ' || ch == '-')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		if (o + 1 >= cap)
			break;
		out[o++] = ch;
	}
	out[o] = '\0';
	if (!o)
		return cv_fail(err, CV_EUSAGE, "case.student-id-empty",
			       "student id is empty; give the school's number");
	return CV_OK;
}

static cv_status blind_index(cv_session *s, const char *student, uint8_t tag[CV_HASH_LEN],
			     cv_err *err)
{
	static const char domain[] = "casevault-student-v1";
	char norm[80];
	uint8_t *key = NULL;
	cv_bytes part;
	cv_status st;

	st = normalize_student(student, norm, sizeof(norm), err);
	if (st == CV_OK)
		st = cv_vkey_open(s, CV_VKEY_INDEX, &key, err);
	if (st != CV_OK)
		return st;
	part = (cv_bytes){norm, strlen(norm)};
	cv_hash(tag, key, CV_KEY_LEN, domain, &part, 1);
	sodium_free(key);
	sodium_memzero(norm, sizeof(norm));
	return CV_OK;
}

static cv_status check_input(const cv_case_input *in, cv_err *err)
{
	int cat = 0;

	if (cv_field_check("student id", in->student_id, 64, err) ||
	    cv_field_check("name", in->name, FIELD_MAX, err) ||
	    cv_field_check("class", in->class_name, FIELD_MAX, err))
		return err->status;
	if (!cv_word_parse(&cv_genders, in->gender))
		return cv_fail(err, CV_EUSAGE, "case.gender-invalid", "gender must be F, M or X");
	if (in->grade < 1 || in->grade > 12)
		return cv_fail(err, CV_EUSAGE, "case.grade-invalid",
			       "grade must be a number from 1 to 12");
	cat = cv_word_parse(&cv_categories, in->category);
	if (!cat)
		return cv_fail(err, CV_EUSAGE, "case.category-unknown",
			       "unknown category '{1}'; use academic, emotion, relationships, "
			       "family, adolescence, behavior, self-harm-risk or other",
			       in->category ? in->category : "");
	if (in->born && cv_date_check("birth date", in->born, err) != CV_OK)
		return err->status;
	if (in->guardian && cv_field_check("guardian", in->guardian, FIELD_MAX, err) != CV_OK)
		return err->status;
	if (in->guardian_phone &&
	    cv_field_check("guardian phone", in->guardian_phone, 40, err) != CV_OK)
		return err->status;
	return CV_OK;
}

cv_status cv_case_open_in(cv_session *s, const cv_case_input *in, char id[CV_CASE_ID_MAX],
			  int *already_open, char object[CV_ID_MAX + 8], cv_err *err)
{
	cv_case_rec rec = {0};
	int open_cases = 0, minor = 1;
	uint8_t *key = NULL;
	json_t *data = NULL;
	char today[11];
	cv_status st;

	*already_open = 0;
	id[0] = '\0';
	snprintf(object, CV_ID_MAX + 8, "case:new");
	st = check_input(in, err);
	if (st == CV_OK)
		st = cv_new_id(s->v, 'C', 5, rec.id, err);
	if (st == CV_OK)
		st = blind_index(s, in->student_id, rec.index_tag, err);
	if (st == CV_OK)
		st = cv_access_by_index(s, rec.index_tag, 0, NULL, &open_cases, err);
	if (st == CV_OK)
		st = cv_key_new(&key, err);
	if (st != CV_OK)
		goto out;
	snprintf(object, CV_ID_MAX + 8, "case:%s", rec.id);
	st = cv_local_today(s->v, today, err);
	if (st == CV_OK)
		st = cv_access_minor(s->v, in->born, &minor, err);
	if (st != CV_OK)
		goto out;
	data = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b}", "student_id",
			 in->student_id, "name", in->name, "gender", in->gender, "grade",
			 (int)in->grade, "class", in->class_name, "category", in->category, "born",
			 in->born ? in->born : "", "guardian", in->guardian ? in->guardian : "",
			 "guardian_phone", in->guardian_phone ? in->guardian_phone : "",
			 "minor_at_open", minor);
	if (!data) {
		st = cv_err_set(err, CV_ERROR, "out of memory");
		goto out;
	}
	snprintf(rec.status, sizeof(rec.status), "%s", cv_case_state_name(CV_CASE_OPEN));
	rec.opened_by = s->me.id;
	cv_time_now(rec.opened_at);
	rec.version = 1;
	st = cv_access_create(s, &rec, key, data, err);
	if (st == CV_OK)
		st = cv_op_log(s, CV_ACT_CASE_OPEN, object, CV_OUT_OK,
			       open_cases ? "duplicate=1" : "", err);
	if (st == CV_OK) {
		snprintf(id, CV_CASE_ID_MAX, "%s", rec.id);
		*already_open = open_cases;
	}
out:
	json_decref(data);
	sodium_free(key);
	cv_case_rec_clear(&rec);
	return st;
}

cv_status cv_case_open(cv_session *s, const cv_case_input *in, char id[CV_CASE_ID_MAX],
		       int *already_open, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8] = "case:new";
	cv_status st;

	*already_open = 0;
	id[0] = '\0';
	st = cv_policy_check(s, CV_ACT_CASE_OPEN, object, err);
	if (st == CV_OK)
		st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	st = cv_case_open_in(s, in, id, already_open, object, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK) {
		id[0] = '\0';
		*already_open = 0;
		return cv_op_fail(s, CV_ACT_CASE_OPEN, object, err);
	}
	return CV_OK;
}

cv_status cv_case_of_student(cv_session *s, const char *student_id, char id[CV_CASE_ID_MAX],
			     cv_err *err)
{
	uint8_t tag[CV_HASH_LEN];
	cv_id_list ids = {0};
	char n[24];
	cv_status st;

	id[0] = '\0';
	st = blind_index(s, student_id ? student_id : "", tag, err);
	if (st == CV_OK)
		st = cv_access_by_index(s, tag, 1, &ids, NULL, err);
	if (st == CV_OK && ids.n == 0)
		st = cv_fail(err, CV_ENOTFOUND, "case.student-not-found",
			     "no case of yours has this student number; open one first, or give "
			     "the case id");
	else if (st == CV_OK && ids.n > 1)
		st = cv_fail(err, CV_EUSAGE, "case.student-ambiguous",
			     "{1} of your cases have this student number; give the case id "
			     "instead (see 'casevault case find')",
			     cv_num(n, (long long)ids.n));
	if (st == CV_OK)
		snprintf(id, CV_CASE_ID_MAX, "%s", ids.ids[0]);
	cv_id_list_free(&ids);
	sodium_memzero(tag, sizeof(tag));
	return st;
}

/* ---- reading cases ---------------------------------------------------------- */

int cv_case_emit(cv_session *s, struct cv_case *c, cv_case_cb cb, void *arg)
{
	char sc[96], gc[96], opener[CV_NAME_MAX + 8];
	cv_case_info i = {0};

	cv_scope_format(c->consent.student_scopes, sc, sizeof(sc));
	cv_scope_format(c->consent.guardian_scopes, gc, sizeof(gc));
	i.id = c->rec.id;
	i.status = c->rec.status;
	i.opened_at = c->rec.opened_at;
	i.closed_at = c->rec.closed_at;
	i.opened_by = cv_user_name(s->v, c->rec.opened_by, opener, sizeof(opener));
	i.student_id = jstr(c->data, "student_id");
	i.name = jstr(c->data, "name");
	i.gender = jstr(c->data, "gender");
	i.grade = (unsigned)json_integer_value(json_object_get(c->data, "grade"));
	i.class_name = jstr(c->data, "class");
	i.category = jstr(c->data, "category");
	i.born = jstr(c->data, "born");
	i.guardian = jstr(c->data, "guardian");
	i.guardian_phone = jstr(c->data, "guardian_phone");
	i.minor = c->minor;
	i.student_consent = sc;
	i.guardian_consent = gc;
	i.withdrawn_on = c->consent.withdrawn ? c->consent.withdrawn_on : "";
	return cb(&i, arg);
}

/* ---- lists ------------------------------------------------------------------ */

struct emit_ctx {
	int all;
	cv_case_cb cb;
	void *arg;
};

static int emit_listed(cv_session *s, struct cv_case *c, void *arg)
{
	struct emit_ctx *e = arg;

	if (!e->all && cv_word_parse(&cv_case_states, c->rec.status) != CV_CASE_OPEN)
		return 0;
	return cv_case_emit(s, c, e->cb, e->arg);
}

cv_status cv_case_list(cv_session *s, int all, cv_case_cb cb, void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	struct emit_ctx e = {all, cb, arg};
	cv_id_list ids = {0};
	cv_status st = cv_policy_check(s, CV_ACT_CASE_LIST, "cases", err);

	if (st == CV_OK)
		st = cv_access_granted(s, &ids, err);
	if (st == CV_OK)
		st = cv_access_each(s, &ids, CV_ACT_CASE_LIST, emit_listed, &e, err);
	cv_id_list_free(&ids);
	return st;
}

cv_status cv_case_find(cv_session *s, const char *student_id, cv_case_cb cb, void *arg, cv_err *err)
{
	CV_ERR_GUARD(err);
	struct emit_ctx e = {1, cb, arg};
	uint8_t tag[CV_HASH_LEN];
	cv_id_list ids = {0};
	cv_status st = cv_policy_check(s, CV_ACT_CASE_FIND, "cases", err);

	if (st == CV_OK && blind_index(s, student_id, tag, err) != CV_OK)
		st = cv_op_fail(s, CV_ACT_CASE_FIND, "cases", err);
	if (st == CV_OK)
		st = cv_access_by_index(s, tag, 1, &ids, NULL, err);
	if (st == CV_OK)
		st = cv_access_each(s, &ids, CV_ACT_CASE_FIND, emit_listed, &e, err);
	cv_id_list_free(&ids);
	return st;
}

/* ---- close, reopen, share, handover, shred ------------------------------------ */

struct close_check {
	cv_session *s;
	int analysis, outcome, drafts;
	cv_err *err;
	cv_status st;
};

static int tally_note(const cv_record *r, void *arg)
{
	struct close_check *k = arg;
	int ok = 0;

	/* The clear kind and status count only with the author's signature,
	 * which covers them: an edited column cannot close a case. */
	if (cv_word_parse(&cv_note_states, r->status) == CV_NOTE_FINAL) {
		k->st = cv_note_signature(k->s->v, r, &ok, k->err);
		if (k->st != CV_OK)
			return 1;
	}
	if (!ok) {
		k->drafts++;
		return 0;
	}
	k->analysis += cv_word_parse(&cv_note_kinds, r->kind) == CV_KIND_ANALYSIS;
	k->outcome += cv_word_parse(&cv_note_kinds, r->kind) == CV_KIND_OUTCOME;
	return 0;
}

cv_status cv_case_close(cv_session *s, const char *id, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8];
	struct close_check k = {s, 0, 0, 0, err, CV_OK};
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	st = cv_access_enter(s, id, CV_ACT_CASE_CLOSE, CV_NEED_CONTENT | CV_NEED_OPEN, 0, NULL,
			     NULL, &c, err);
	if (st != CV_OK)
		return st;
	st = cv_access_records(s, c, CV_REC_NOTE, tally_note, &k, err);
	if (st == CV_OK)
		st = k.st;
	/* {2} is the note kind, a word of the vocabulary. */
	if (st == CV_OK && (!k.analysis || !k.outcome))
		st = cv_fail(
		    err, CV_EDENIED, "case.close-needs-note",
		    "case '{1}' cannot be closed without a final {2} note (R4: records "
		    "need an analysis and plan, and an evaluation of the outcome); add "
		    "one with 'casevault note add {1} --kind {2}' and finalize it",
		    id, cv_word(&cv_note_kinds, !k.analysis ? CV_KIND_ANALYSIS : CV_KIND_OUTCOME));
	if (st == CV_OK && k.drafts) {
		char n[24];

		st = cv_fail(err, CV_EDENIED, "case.close-drafts",
			     "case '{1}' has {2} note(s) that are drafts or whose signature does "
			     "not verify; finalize them before closing (see 'casevault note list "
			     "{1}')",
			     id, cv_num(n, k.drafts));
	}
	if (st == CV_OK) {
		snprintf(c->rec.status, sizeof(c->rec.status), "%s",
			 cv_case_state_name(CV_CASE_CLOSED));
		cv_time_now(c->rec.closed_at);
		st = cv_access_rewrite(s, c, err);
	}
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CASE_CLOSE, object, err);
	st = cv_access_leave(s, c, CV_ACT_CASE_CLOSE, object, "", err);
	cv_case_free(c);
	return st;
}

cv_status cv_case_reopen(cv_session *s, const char *id, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8];
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	st = cv_access_enter(s, id, CV_ACT_CASE_REOPEN, CV_NEED_CONTENT, 0, NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	if (cv_word_parse(&cv_case_states, c->rec.status) == CV_CASE_OPEN)
		st = cv_fail(err, CV_EUSAGE, "case.already-open", "case '{1}' is already open", id);
	if (st == CV_OK) {
		snprintf(c->rec.status, sizeof(c->rec.status), "%s",
			 cv_case_state_name(CV_CASE_OPEN));
		c->rec.closed_at[0] = '\0';
		st = cv_access_rewrite(s, c, err);
	}
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CASE_REOPEN, object, err);
	st = cv_access_leave(s, c, CV_ACT_CASE_REOPEN, object, "", err);
	cv_case_free(c);
	return st;
}

cv_status cv_case_share(cv_session *s, const char *id, const char *user, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], detail[CV_NAME_MAX + 8];
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	st = cv_access_enter(s, id, CV_ACT_CASE_SHARE, CV_NEED_CONTENT, 0, NULL, NULL, &c, err);
	if (st != CV_OK)
		return st;
	st = cv_access_grant(s, c, user, NULL, err);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CASE_SHARE, object, err);
	snprintf(detail, sizeof(detail), "to=%s", user);
	st = cv_access_leave(s, c, CV_ACT_CASE_SHARE, object, detail, err);
	cv_case_free(c);
	return st;
}

static cv_status need_admin_recovery(cv_session *s, cv_action action, const char *object,
				     const char *code, cv_keyholder **recovery, cv_err *err)
{
	cv_status st;

	*recovery = NULL;
	st = cv_policy_check(s, action, object, err);
	if (st != CV_OK)
		return st;
	st = cv_recovery_open(s->v, code ? code : "", recovery, err);
	if (st != CV_OK)
		return cv_op_fail(s, action, object, err);
	return CV_OK;
}

cv_status cv_case_handover(cv_session *s, const char *id, const char *to, const char *recovery_code,
			   cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], detail[CV_NAME_MAX + 8];
	cv_keyholder *recovery;
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	st = need_admin_recovery(s, CV_ACT_CASE_HANDOVER, object, recovery_code, &recovery, err);
	if (st != CV_OK)
		return st;
	st = cv_access_enter(s, id, CV_ACT_CASE_HANDOVER, CV_NEED_RECOVERY, 0, NULL, recovery, &c,
			     err);
	if (st != CV_OK) {
		cv_keyholder_free(recovery);
		return st;
	}
	/* The copy comes from the recovery key: the admin holds no case key. */
	st = cv_access_grant(s, c, to, recovery, err);
	cv_keyholder_free(recovery);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CASE_HANDOVER, object, err);
	snprintf(detail, sizeof(detail), "to=%s", to);
	st = cv_access_leave(s, c, CV_ACT_CASE_HANDOVER, object, detail, err);
	cv_case_free(c);
	return st;
}

/* The shred reason goes into the log sealed to the recovery key (no text a
 * user typed is in the log in clear): "reason=" and the base64 (URL-safe,
 * no padding) of crypto_box_seal(reason, recovery public key). */
static cv_status sealed_reason(cv_session *s, const char *reason, char *out, size_t cap,
			       cv_err *err)
{
	uint8_t rpk[crypto_box_PUBLICKEYBYTES], box[SHRED_REASON_MAX + crypto_box_SEALBYTES];
	size_t n = strlen(reason);
	cv_status st = cv_recovery_pk(s->v, rpk, err);
	const size_t prefix = sizeof("reason=") - 1;

	if (st != CV_OK)
		return st;
	if (n > SHRED_REASON_MAX ||
	    cap < prefix + sodium_base64_ENCODED_LEN(n + crypto_box_SEALBYTES,
						     sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return cv_err_set(err, CV_ERROR, "internal error: the shred reason does not fit");
	crypto_box_seal(box, (const uint8_t *)reason, n, rpk);
	memcpy(out, "reason=", prefix);
	sodium_bin2base64(out + prefix, cap - prefix, box, n + crypto_box_SEALBYTES,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(box, sizeof(box));
	return CV_OK;
}

cv_status cv_case_shred(cv_session *s, const char *id, const char *reason,
			const char *recovery_code, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8], detail[512];
	cv_keyholder *recovery;
	struct cv_case *c;
	cv_status st;

	cv_object_name(object, sizeof(object), "case", id);
	if (cv_field_check("reason", reason, SHRED_REASON_MAX, err) != CV_OK)
		return err->status;
	st = need_admin_recovery(s, CV_ACT_CASE_SHRED, object, recovery_code, &recovery, err);
	if (st != CV_OK)
		return st;
	/* Opening the recovery copy proves the code belongs to this case. */
	st =
	    cv_access_enter(s, id, CV_ACT_CASE_SHRED, CV_NEED_RECOVERY, 0, NULL, recovery, &c, err);
	cv_keyholder_free(recovery);
	if (st != CV_OK)
		return st;
	st = cv_access_shred(s, c, err);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CASE_SHRED, object, err);
	st = sealed_reason(s, reason, detail, sizeof(detail), err);
	if (st != CV_OK)
		return cv_access_abort(s, c, CV_ACT_CASE_SHRED, object, err);
	st = cv_access_leave(s, c, CV_ACT_CASE_SHRED, object, detail, err);
	cv_case_free(c);
	return st;
}

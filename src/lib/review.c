/*
 * review.c - middle layer: signed, sealed reviews of break-glass events
 * (see review.h and docs/FORMAT.md §22).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cert.h"
#include "crypt.h"
#include "err.h"
#include "review.h"
#include "text.h"
#include "vkeys.h"
#include "vocab.h"
#include "banned.h"

static const char review_domain[] = "casevault-review-v1";

cv_status cv_review_note_check(const char *note, cv_err *err)
{
	size_t n = note ? strlen(note) : 0;

	if (!n)
		return cv_fail(err, CV_EUSAGE, "review.note-empty",
			       "the review note is empty; say what was checked and decided");
	if (n > CV_REVIEW_NOTE_MAX) {
		char max[24];

		return cv_fail(err, CV_EUSAGE, "review.note-long",
			       "the review note is longer than {1} bytes; shorten it",
			       cv_num(max, CV_REVIEW_NOTE_MAX));
	}
	if (cv_utf8_check(note, n, NULL) != (size_t)-1)
		return cv_fail(err, CV_EUSAGE, "field.utf8",
			       "the review note is not valid UTF-8 text");
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)note[i];

		if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7f ||
		    (b == 0xc2 && i + 1 < n && (unsigned char)note[i + 1] >= 0x80 &&
		     (unsigned char)note[i + 1] <= 0x9f))
			return cv_fail(err, CV_EUSAGE, "field.control",
				       "the review note holds a control character; only newlines "
				       "and tabs are allowed");
	}
	if (cv_text_has_bidi(note, n, NULL) != (size_t)-1)
		return cv_fail(err, CV_EUSAGE, "field.bidi",
			       "the review note holds an invisible direction or format "
			       "character; remove it");
	return CV_OK;
}

void cv_review_object(char *out, size_t cap, const char *kind, const char *event)
{
	cv_object_name(out, cap, kind, event);
}

static void review_msg(const cv_vault *v, const cv_review_rec *r, cv_buf *b)
{
	cv_bytes box = {r->box, r->box_len};
	uint8_t h[CV_HASH_LEN];

	cv_hash(h, NULL, 0, NULL, &box, 1);
	cv_buf_raw(b, review_domain, sizeof(review_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_lp(b, r->event);
	cv_buf_lp(b, r->case_id);
	cv_buf_u64(b, (uint64_t)r->reviewer_id);
	cv_buf_lp(b, r->reviewed_at);
	cv_buf_u64(b, (uint64_t)r->seq);
	cv_buf_raw(b, h, sizeof(h));
}

cv_status cv_review_seal(cv_vault *v, cv_review_rec *r, const char *note, cv_err *err)
{
	uint8_t stats_pk[crypto_box_PUBLICKEYBYTES], commit[CV_HASH_LEN];
	json_t *o = json_pack("{s:s, s:s}", "event", r->event, "note", note);
	char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	uint8_t *box = NULL;
	size_t boxlen = 0;
	cv_status st;

	json_decref(o);
	if (!txt)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_vkeys_public(v, stats_pk, commit, err);
	if (st == CV_OK)
		st = cv_seal_bytes(stats_pk, (const uint8_t *)txt, strlen(txt), &box, &boxlen, err);
	if (st == CV_OK && boxlen > CV_REVIEW_BOX_MAX)
		st = cv_fail(err, CV_EUSAGE, "review.note-long",
			     "the review note is too long once sealed; shorten it");
	{
		json_free_t f;

		json_get_alloc_funcs(NULL, &f);
		sodium_memzero(txt, strlen(txt));
		f(txt);
	}
	if (st != CV_OK) {
		free(box);
		return st;
	}
	r->box = box;
	r->box_len = boxlen;
	return CV_OK;
}

cv_status cv_review_sign(cv_vault *v, cv_review_rec *r, cv_keyholder *kh, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	review_msg(v, r, &b);
	st = b.oom ? cv_err_set(err, CV_ERROR, "out of memory")
		   : cv_keyholder_sign(kh, b.data, b.len, r->sig, err);
	cv_buf_free(&b);
	return st;
}

static cv_status bad_review(const cv_review_rec *r, const char *why, cv_err *err)
{
	return cv_fail(err, CV_EINTEGRITY, "review.unverified",
		       "the review of event '{1}' fails verification: {2}; the vault was "
		       "tampered with (run 'casevault audit verify' and restore from a backup)",
		       r->event, why);
}

cv_status cv_review_logged(cv_vault *v, const char *event, int64_t *seq, cv_err *err)
{
	const char *actions[] = {cv_action_name(CV_ACT_AUDIT_REVIEW)};
	char object[CV_ID_MAX + 8];

	cv_review_object(object, sizeof(object), "crisis", event);
	*seq = 0;
	return cv_store_audit_last_seq(v->st, object, cv_outcome_name(CV_OUT_OK), actions,
				       ARRAY_SIZE(actions), seq, err);
}

cv_status cv_review_check(cv_vault *v, const cv_review_rec *r, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_user_rec signer, now;
	int64_t seq = 0;
	cv_status st;
	int ok;

	if (!cv_id_ok(r->event) || r->event[0] != 'X' || !cv_id_ok(r->case_id) ||
	    !cv_time_valid(r->reviewed_at, 1))
		return bad_review(r, CV_PHRASE("its event, case or time is not well formed"), err);
	st = cv_store_cert_at(v->st, r->reviewer_id, r->seq, &signer, err);
	if (st == CV_ENOTFOUND)
		return bad_review(r, CV_PHRASE("its reviewer did not exist then"), err);
	if (st != CV_OK)
		return st;
	if (cv_user_cert_verify(v, &signer, NULL) != CV_OK ||
	    cv_user_role(&signer) != CV_ROLE_SUPERVISOR)
		return bad_review(r, CV_PHRASE("it was not signed by a supervisor"), err);
	st = cv_store_user_by_id(v->st, r->reviewer_id, &now, err);
	if (st != CV_OK)
		return st;
	if (cv_word_parse(&cv_user_states, now.status) != CV_USER_ACTIVE && now.status_seq < r->seq)
		return bad_review(
		    r, CV_PHRASE("it was signed by a supervisor who was already disabled"), err);
	review_msg(v, r, &b);
	ok = !b.oom && crypto_sign_verify_detached(r->sig, b.data, b.len, signer.sign_pk) == 0;
	cv_buf_free(&b);
	if (!ok)
		return bad_review(r, CV_PHRASE("its signature does not match"), err);
	st = cv_review_logged(v, r->event, &seq, err);
	if (st == CV_OK && seq != r->seq)
		st = bad_review(r, CV_PHRASE("it is not the review the log recorded"), err);
	return st;
}

cv_status cv_review_open(cv_vault *v, const cv_review_rec *r, const uint8_t *sk, char **note,
			 cv_err *err)
{
	uint8_t stats_pk[crypto_box_PUBLICKEYBYTES], commit[CV_HASH_LEN];
	const char *ev, *txt;
	uint8_t *pt = NULL;
	json_error_t jerr;
	json_t *o = NULL;
	size_t n = 0;
	cv_status st;

	*note = NULL;
	st = cv_vkeys_public(v, stats_pk, commit, err);
	if (st == CV_OK &&
	    cv_seal_open_bytes(stats_pk, sk, r->box, r->box_len, &pt, &n, NULL) != CV_OK)
		st = bad_review(r, CV_PHRASE("its note does not open with the stats key"), err);
	if (st == CV_OK) {
		o = json_loadb((const char *)pt, n, 0, &jerr);
		ev = json_string_value(json_object_get(o, "event"));
		txt = json_string_value(json_object_get(o, "note"));
		if (!json_is_object(o) || !ev || !txt || strcmp(ev, r->event) != 0)
			st = bad_review(r, CV_PHRASE("its note belongs to another event"), err);
		else if (!(*note = sodium_malloc(strlen(txt) + 1)))
			st = cv_err_set(err, CV_ERROR, "out of memory");
		else
			memcpy(*note, txt, strlen(txt) + 1);
	}
	json_decref(o);
	sodium_free(pt);
	return st;
}

struct rows {
	cv_review_rec *v;
	size_t n;
	int oom;
};

/* Keeps a copy of each row (its box too) for checks after the walk. */
static int keep(const cv_review_rec *r, void *arg)
{
	struct rows *l = arg;
	cv_review_rec *p = realloc(l->v, (l->n + 1) * sizeof(*p));
	uint8_t *box = malloc(r->box_len ? r->box_len : 1);

	if (!p || !box) {
		free(box);
		if (p)
			l->v = p;
		l->oom = 1;
		return 1;
	}
	l->v = p;
	p[l->n] = *r;
	memcpy(box, r->box, r->box_len);
	p[l->n++].box = box;
	return 0;
}

struct logged {
	char (*events)[CV_ID_MAX];
	size_t n;
	int oom;
};

/* The events of the log's ok audit.review rows ("crisis:X-..."). */
static int keep_logged(const cv_audit_rec *a, void *arg)
{
	struct logged *l = arg;
	const char *ev = strncmp(a->object, "crisis:", 7) == 0 ? a->object + 7 : NULL;
	char(*p)[CV_ID_MAX];

	if (!ev || !cv_id_ok(ev))
		return 0;
	if (!(p = realloc(l->events, (l->n + 1) * sizeof(*p)))) {
		l->oom = 1;
		return 1;
	}
	l->events = p;
	snprintf(p[l->n++], CV_ID_MAX, "%s", ev);
	return 0;
}

cv_status cv_reviews_verify(cv_vault *v, size_t *count, cv_err *err)
{
	cv_store_audit_query q = {0};
	struct logged lg = {0};
	struct rows l = {0};
	cv_status st;

	st = cv_store_review_each(v->st, keep, &l, err);
	if (st == CV_OK && l.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	for (size_t i = 0; i < l.n && st == CV_OK; i++)
		st = cv_review_check(v, &l.v[i], err);
	q.action = cv_action_name(CV_ACT_AUDIT_REVIEW);
	q.outcome = cv_outcome_name(CV_OUT_OK);
	if (st == CV_OK)
		st = cv_store_audit_each(v->st, &q, keep_logged, &lg, err);
	if (st == CV_OK && lg.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	for (size_t i = 0; i < lg.n && st == CV_OK; i++) {
		cv_review_rec r;

		st = cv_store_review_get(v->st, lg.events[i], &r, err);
		if (st == CV_ENOTFOUND)
			st =
			    cv_fail(err, CV_EINTEGRITY, "review.deleted",
				    "the review of event '{1}' was recorded in the log but its row "
				    "is gone: the vault was tampered with (restore it from a "
				    "backup)",
				    lg.events[i]);
		cv_review_rec_clear(&r);
	}
	if (count)
		*count = l.n;
	for (size_t i = 0; i < l.n; i++)
		free((void *)l.v[i].box);
	free(l.v);
	free(lg.events);
	return st;
}

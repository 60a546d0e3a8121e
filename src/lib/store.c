/*
 * store.c - the store dispatcher: every cv_store_* call goes to the
 * backend's operations table (store_ops.h), SQLite by default; no SQL here.
 * It also keeps the walk discipline (no store call while a walk is
 * stepping, refused when strict) and the small record helpers.
 *
 * Layer: storage, above the backends and below every library module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"
#include "store_ops.h"
#include "banned.h"

/* walking: how many walks are stepping (more than one only when not strict);
 * walk_broken: a store call was made during the current walk. */
struct cv_store {
	const struct cv_store_ops *ops;
	void *be;
	int strict_walks;
	int walking;
	int walk_broken;
};

static const char walk_msg[] = "internal error: the store was called during a walk";

/* Whether a call must be refused because a walk is stepping (strict walks). */
static int refused(cv_store *st, cv_err *err)
{
	if (!st->walking)
		return 0;
	st->walk_broken = 1;
	if (!st->strict_walks)
		return 0;
	cv_err_set(err, CV_ERROR, "%s", walk_msg);
	return 1;
}

static void walk_start(cv_store *st)
{
	if (st->walking++ == 0)
		st->walk_broken = 0;
}

/* Ends a walk: a walk whose callback called the store fails (strict walks),
 * even when the callback went on or stopped without an error. */
static cv_status walk_end(cv_store *st, cv_status s, cv_err *err)
{
	st->walking--;
	if (s == CV_OK && st->strict_walks && st->walk_broken)
		return cv_err_set(err, CV_ERROR, "%s", walk_msg);
	return s;
}

static cv_status start(const struct cv_store_ops *ops, int create, const char *path, cv_store **out,
		       cv_err *err)
{
	cv_store *st;
	cv_status s;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st->ops = ops;
	/* No store call while a walk is stepping: a backend that cannot
	 * interleave queries must work (cv_store_strict_walks turns it off
	 * only for tests of the guard itself). */
	st->strict_walks = 1;
	s = create ? ops->create(path, &st->be, err) : ops->open(path, &st->be, err);
	if (s != CV_OK) {
		free(st);
		return s;
	}
	*out = st;
	return CV_OK;
}

cv_status cv_store_create_with(const struct cv_store_ops *ops, const char *path, cv_store **out,
			       cv_err *err)
{
	return start(ops, 1, path, out, err);
}

cv_status cv_store_open_with(const struct cv_store_ops *ops, const char *path, cv_store **out,
			     cv_err *err)
{
	return start(ops, 0, path, out, err);
}

cv_status cv_store_create(const char *path, cv_store **out, cv_err *err)
{
	return start(&cv_store_sqlite_ops, 1, path, out, err);
}

cv_status cv_store_open(const char *path, cv_store **out, cv_err *err)
{
	return start(&cv_store_sqlite_ops, 0, path, out, err);
}

void cv_store_close(cv_store *st)
{
	if (!st || refused(st, NULL))
		return;
	st->ops->close(st->be);
	free(st);
}

void cv_store_strict_walks(cv_store *st, int on)
{
	st->strict_walks = on != 0;
}

void cv_store_rollback(cv_store *st)
{
	if (st && !refused(st, NULL))
		st->ops->rollback(st->be);
}

cv_status cv_store_begin(cv_store *st, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->begin(st->be, err);
}

cv_status cv_store_commit(cv_store *st, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->commit(st->be, err);
}

cv_status cv_store_meta_put(cv_store *st, const char *key, const void *val, size_t len, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->meta_put(st->be, key, val, len, err);
}

cv_status cv_store_meta_get(cv_store *st, const char *key, void *val, size_t len, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->meta_get(st->be, key, val, len, err);
}

cv_status cv_store_user_next_id(cv_store *st, int64_t *id, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->user_next_id(st->be, id, err);
}

cv_status cv_store_user_insert(cv_store *st, const cv_user_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->user_insert(st->be, rec, err);
}

cv_status cv_store_user_update_status(cv_store *st, const cv_user_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->user_update_status(st->be, rec, err);
}

cv_status cv_store_user_update_keys(cv_store *st, const cv_user_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->user_update_keys(st->be, rec, err);
}

cv_status cv_store_user_update_identity(cv_store *st, const cv_user_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->user_update_identity(st->be, rec, err);
}

cv_status cv_store_history_insert(cv_store *st, const cv_user_rec *rec, int64_t retired_seq,
				  cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->history_insert(st->be, rec, retired_seq, err);
}

cv_status cv_store_cert_at(cv_store *st, int64_t id, int64_t at, cv_user_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->cert_at(st->be, id, at, rec, err);
}

int cv_store_generation(cv_store *st, uint64_t gen[2])
{
	if (!st || !st->ops->generation || st->walking)
		return -1;
	return st->ops->generation(st->be, gen);
}

cv_status cv_store_user_by_name(cv_store *st, const char *name, cv_user_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->user_by_name(st->be, name, rec, err);
}

cv_status cv_store_user_by_id(cv_store *st, int64_t id, cv_user_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->user_by_id(st->be, id, rec, err);
}

cv_status cv_store_row_commits(cv_store *st, char **out, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->row_commits(st->be, out, err);
}

cv_status cv_store_row_each(cv_store *st, cv_store_row_cb cb, void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->row_each(st->be, cb, arg, err), err);
}

cv_status cv_store_structure_check(cv_store *st, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	if (!st->ops->structure_check)
		return CV_OK;
	return st->ops->structure_check(st->be, err);
}

struct cv_store_check {
	const struct cv_store_ops *ops;
	void *be;
};

cv_status cv_store_structure_start(cv_store *st, cv_store_check **out, cv_err *err)
{
	cv_store_check *k;
	cv_status s;

	*out = NULL;
	if (refused(st, err))
		return CV_ERROR;
	if (!st->ops->structure_start || !st->ops->structure_finish)
		return CV_OK;
	if (!(k = calloc(1, sizeof(*k))))
		return CV_OK; /* the caller checks on its own */
	k->ops = st->ops;
	s = st->ops->structure_start(st->be, &k->be, err);
	if (s != CV_OK || !k->be) {
		free(k);
		return s;
	}
	*out = k;
	return CV_OK;
}

int cv_store_beside(cv_store_check *k, void (*fn)(void *arg), void *arg)
{
	if (!k || !k->ops->beside || !k->ops->beside_wait || !k->ops->check_audit_each ||
	    !k->ops->check_row_each)
		return -1;
	return k->ops->beside(k->be, fn, arg);
}

cv_status cv_store_check_audit_each(cv_store_check *k, cv_store_audit_cb cb, void *arg, cv_err *err)
{
	return k->ops->check_audit_each(k->be, cb, arg, err);
}

cv_status cv_store_check_row_each(cv_store_check *k, const char *const *skip, cv_store_row_cb cb,
				  void *arg, cv_err *err)
{
	return k->ops->check_row_each(k->be, skip, cb, arg, err);
}

void cv_store_beside_wait(cv_store_check *k)
{
	if (k && k->ops->beside_wait)
		k->ops->beside_wait(k->be);
}

cv_status cv_store_structure_finish(cv_store_check *k, cv_err *err)
{
	cv_status s;

	if (!k)
		return CV_OK;
	s = k->ops->structure_finish(k->be, err);
	free(k);
	return s;
}

cv_status cv_store_setting_put(cv_store *st, const cv_setting_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->setting_put(st->be, rec, err);
}

cv_status cv_store_setting_get(cv_store *st, const char *name, cv_setting_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->setting_get(st->be, name, rec, err);
}

cv_status cv_store_setting_each(cv_store *st, int (*cb)(const cv_setting_rec *rec, void *arg),
				void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->setting_each(st->be, cb, arg, err), err);
}

cv_status cv_store_user_each(cv_store *st, cv_store_user_cb cb, void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->user_each(st->be, cb, arg, err), err);
}

cv_status cv_store_audit_head(cv_store *st, int64_t *seq, uint8_t hash[CV_HASH_LEN], cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->audit_head(st->be, seq, hash, err);
}

cv_status cv_store_audit_insert(cv_store *st, const cv_audit_rec *rec, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->audit_insert(st->be, rec, err);
}

cv_status cv_store_audit_last_seq(cv_store *st, const char *object, const char *outcome,
				  const char *const *actions, size_t n_actions, int64_t *seq,
				  cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->audit_last_seq(st->be, object, outcome, actions, n_actions, seq, err);
}

cv_status cv_store_audit_next_seq(cv_store *st, const char *object, const char *outcome,
				  const char *const *actions, size_t n_actions, int64_t after,
				  int64_t *seq, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->audit_next_seq(st->be, object, outcome, actions, n_actions, after, seq,
				       err);
}

cv_status cv_store_audit_get(cv_store *st, int64_t seq, cv_store_audit_cb cb, void *arg,
			     cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->audit_get(st->be, seq, cb, arg, err), err);
}

struct row_time {
	char *out;
	int ok;
};

static int keep_time(const cv_audit_rec *rec, void *arg)
{
	struct row_time *t = arg;

	t->ok = snprintf(t->out, CV_TIME_LEN, "%s", rec->time) == CV_TIME_LEN - 1;
	return 0;
}

cv_status cv_store_audit_time(cv_store *st, int64_t seq, char out[CV_TIME_LEN], int *ok,
			      cv_err *err)
{
	struct row_time t = {out, 0};
	cv_status s;

	out[0] = '\0';
	s = cv_store_audit_get(st, seq, keep_time, &t, err);
	*ok = s == CV_OK && t.ok;
	return s;
}

cv_status cv_store_audit_each(cv_store *st, const cv_store_audit_query *q, cv_store_audit_cb cb,
			      void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->audit_each(st->be, q, cb, arg, err), err);
}

cv_status cv_store_vkey_put(cv_store *st, const char *name, const cv_key_copy *c, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->vkey_put(st->be, name, c, err);
}

cv_status cv_store_vkey_get(cv_store *st, const char *name, int64_t user_id, cv_key_copy *c,
			    cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->vkey_get(st->be, name, user_id, c, err);
}

cv_status cv_store_keys_delete_user(cv_store *st, int64_t user_id, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->keys_delete_user(st->be, user_id, err);
}

cv_status cv_store_case_insert(cv_store *st, const cv_case_rec *c, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->case_insert(st->be, c, err);
}

cv_status cv_store_case_get(cv_store *st, const char *id, cv_case_rec *c, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->case_get(st->be, id, c, err);
}

cv_status cv_store_case_update(cv_store *st, const cv_case_rec *c, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->case_update(st->be, c, err);
}

cv_status cv_store_case_find(cv_store *st, const uint8_t tag[CV_HASH_LEN], cv_store_id_cb cb,
			     void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->case_find(st->be, tag, cb, arg, err), err);
}

cv_status cv_store_case_granted(cv_store *st, int64_t user_id, cv_store_id_cb cb, void *arg,
				cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->case_granted(st->be, user_id, cb, arg, err), err);
}

cv_status cv_store_case_shred(cv_store *st, const cv_case_rec *tomb, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->case_shred(st->be, tomb, err);
}

cv_status cv_store_grant_put(cv_store *st, const char *case_id, const cv_key_copy *c, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->grant_put(st->be, case_id, c, err);
}

cv_status cv_store_grant_get(cv_store *st, const char *case_id, int64_t user_id, cv_key_copy *c,
			     cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->grant_get(st->be, case_id, user_id, c, err);
}

cv_status cv_store_grant_each_user(cv_store *st, int64_t user_id, cv_store_grant_cb cb, void *arg,
				   cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->grant_each_user(st->be, user_id, cb, arg, err), err);
}

cv_status cv_store_record_insert(cv_store *st, const cv_record *r, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->record_insert(st->be, r, err);
}

cv_status cv_store_record_update(cv_store *st, const cv_record *r, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->record_update(st->be, r, err);
}

cv_status cv_store_record_get(cv_store *st, const char *id, cv_record *r, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->record_get(st->be, id, r, err);
}

cv_status cv_store_record_each_case(cv_store *st, const char *case_id, const char *type,
				    cv_store_record_cb cb, void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->record_each_case(st->be, case_id, type, cb, arg, err), err);
}

cv_status cv_store_record_each_granted(cv_store *st, int64_t user_id, const char *type,
				       cv_store_record_cb cb, void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->record_each_granted(st->be, user_id, type, cb, arg, err), err);
}

cv_status cv_store_id_taken(cv_store *st, const char *id, int *taken, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->id_taken(st->be, id, taken, err);
}

cv_status cv_store_case_page(cv_store *st, const char *after, size_t limit, cv_store_case_cb cb,
			     void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->case_page(st->be, after, limit, cb, arg, err), err);
}

cv_status cv_store_record_range(cv_store *st, const char *first, const char *last,
				cv_store_record_cb cb, void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->record_range(st->be, first, last, cb, arg, err), err);
}

cv_status cv_store_case_record_rows(cv_store *st, int64_t *cases, int64_t *records, cv_err *err)
{
	*cases = *records = 0;
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->case_record_rows(st->be, cases, records, err);
}

cv_status cv_store_case_all(cv_store *st, cv_store_id_cb cb, void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->case_all(st->be, cb, arg, err), err);
}

cv_status cv_store_release_insert(cv_store *st, const cv_release_rec *r, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->release_insert(st->be, r, err);
}

cv_status cv_store_release_overlap(cv_store *st, const char *from, const char *to, int64_t *n,
				   cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->release_overlap(st->be, from, to, n, err);
}

cv_status cv_store_release_spent(cv_store *st, const char *from, const char *to, int64_t *sum,
				 cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->release_spent(st->be, from, to, sum, err);
}

cv_status cv_store_review_insert(cv_store *st, const cv_review_rec *r, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->review_insert(st->be, r, err);
}

cv_status cv_store_review_get(cv_store *st, const char *event, cv_review_rec *r, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->review_get(st->be, event, r, err);
}

cv_status cv_store_review_each(cv_store *st, cv_store_review_cb cb, void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->review_each(st->be, cb, arg, err), err);
}

cv_status cv_store_record_each_type(cv_store *st, const char *type, cv_store_record_cb cb,
				    void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->record_each_type(st->be, type, cb, arg, err), err);
}

cv_status cv_store_duty_next_id(cv_store *st, int64_t *id, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->duty_next_id(st->be, id, err);
}

cv_status cv_store_duty_insert(cv_store *st, const cv_duty_rec *r, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->duty_insert(st->be, r, err);
}

cv_status cv_store_duty_update(cv_store *st, const cv_duty_rec *r, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	return st->ops->duty_update(st->be, r, err);
}

cv_status cv_store_duty_each(cv_store *st, const cv_store_duty_query *q, cv_store_duty_cb cb,
			     void *arg, cv_err *err)
{
	if (refused(st, err))
		return CV_ERROR;
	walk_start(st);
	return walk_end(st, st->ops->duty_each(st->be, q, cb, arg, err), err);
}

/* ---- record helpers ------------------------------------------------------ */

void cv_case_rec_clear(cv_case_rec *c)
{
	if (!c)
		return;
	free(c->data_box);
	free(c->stats_box);
	memset(c, 0, sizeof(*c));
}

int cv_id_list_add(const char *id, void *list)
{
	cv_id_list *l = list;
	char(*p)[CV_ID_MAX] = realloc(l->ids, (l->n + 1) * sizeof(*p));

	if (!p) {
		l->oom = 1;
		return 1;
	}
	l->ids = p;
	snprintf(l->ids[l->n++], CV_ID_MAX, "%s", id);
	return 0;
}

void cv_id_list_free(cv_id_list *l)
{
	if (!l)
		return;
	free(l->ids);
	memset(l, 0, sizeof(*l));
}

void cv_record_clear(cv_record *r)
{
	if (!r)
		return;
	free((void *)r->box);
	memset(r, 0, sizeof(*r));
}

void cv_review_rec_clear(cv_review_rec *r)
{
	if (!r)
		return;
	free((void *)r->box);
	memset(r, 0, sizeof(*r));
}

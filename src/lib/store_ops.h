/*
 * store_ops.h - the storage backend interface: the operations table that a
 * backend fills and the store dispatcher (store.c) calls.
 *
 * Layer: storage, below store.h.  Callers use store.h; only a backend and
 * the dispatcher include this file.  Every operation takes the backend's own
 * state (be) and has the contract of the cv_store_* function of the same
 * name in store.h, with these rules for every backend:
 *   - no business words inside the backend: action names, outcomes and
 *     states arrive as arguments and are stored and compared as given;
 *   - a walk (setting_each, user_each, audit_get, audit_each, case_find, case_granted,
 *     case_all, case_page, record_range, duty_each,
 *     grant_each_user, record_each_*, review_each) is never interleaved with another
 *     call on the same store: the dispatcher refuses one made from a walk
 *     callback, so a backend that cannot run two queries at once works;
 *   - erasing content (case_shred, keys_delete_user, user_update_keys)
 *     leaves no old copy in the backend's own journals once committed.
 */
#ifndef CV_STORE_OPS_H
#define CV_STORE_OPS_H

#include "store.h"

struct cv_store_ops {
	const char *name; /* "sqlite", ... for messages */

	/* Fill *be with the backend's state for the vault at path. */
	cv_status (*create)(const char *path, void **be, cv_err *err);
	cv_status (*open)(const char *path, void **be, cv_err *err);
	void (*close)(void *be);

	cv_status (*begin)(void *be, cv_err *err);
	cv_status (*commit)(void *be, cv_err *err);
	void (*rollback)(void *be);

	cv_status (*meta_put)(void *be, const char *key, const void *val, size_t len, cv_err *err);
	cv_status (*meta_get)(void *be, const char *key, void *val, size_t len, cv_err *err);

	cv_status (*row_commits)(void *be, char **out, cv_err *err);
	cv_status (*row_each)(void *be, cv_store_row_cb cb, void *arg, cv_err *err);
	cv_status (*structure_check)(void *be, cv_err *err);
	cv_status (*structure_start)(void *be, void **check, cv_err *err);
	cv_status (*structure_finish)(void *check, cv_err *err);
	int (*beside)(void *check, void (*fn)(void *arg), void *arg);
	void (*beside_wait)(void *check);
	cv_status (*check_audit_each)(void *check, cv_store_audit_cb cb, void *arg, cv_err *err);
	cv_status (*check_row_each)(void *check, const char *const *skip, cv_store_row_cb cb,
				    void *arg, cv_err *err);

	cv_status (*setting_put)(void *be, const cv_setting_rec *rec, cv_err *err);
	cv_status (*setting_get)(void *be, const char *name, cv_setting_rec *rec, cv_err *err);
	cv_status (*setting_each)(void *be, int (*cb)(const cv_setting_rec *rec, void *arg),
				  void *arg, cv_err *err);

	cv_status (*user_next_id)(void *be, int64_t *id, cv_err *err);
	cv_status (*user_insert)(void *be, const cv_user_rec *rec, cv_err *err);
	cv_status (*user_update_status)(void *be, const cv_user_rec *rec, cv_err *err);
	cv_status (*user_update_keys)(void *be, const cv_user_rec *rec, cv_err *err);
	cv_status (*user_update_identity)(void *be, const cv_user_rec *rec, cv_err *err);
	cv_status (*history_insert)(void *be, const cv_user_rec *rec, int64_t retired_seq,
				    cv_err *err);
	cv_status (*cert_at)(void *be, int64_t id, int64_t at, cv_user_rec *rec, cv_err *err);
	cv_status (*user_by_name)(void *be, const char *name, cv_user_rec *rec, cv_err *err);
	cv_status (*user_by_id)(void *be, int64_t id, cv_user_rec *rec, cv_err *err);
	cv_status (*user_each)(void *be, cv_store_user_cb cb, void *arg, cv_err *err);

	cv_status (*audit_head)(void *be, int64_t *seq, uint8_t hash[CV_HASH_LEN], cv_err *err);
	cv_status (*audit_insert)(void *be, const cv_audit_rec *rec, cv_err *err);
	cv_status (*audit_last_seq)(void *be, const char *object, const char *outcome,
				    const char *const *actions, size_t n_actions, int64_t *seq,
				    cv_err *err);
	cv_status (*audit_next_seq)(void *be, const char *object, const char *outcome,
				    const char *const *actions, size_t n_actions, int64_t after,
				    int64_t *seq, cv_err *err);
	cv_status (*audit_get)(void *be, int64_t seq, cv_store_audit_cb cb, void *arg, cv_err *err);
	cv_status (*audit_each)(void *be, const cv_store_audit_query *q, cv_store_audit_cb cb,
				void *arg, cv_err *err);

	cv_status (*vkey_put)(void *be, const char *name, const cv_key_copy *c, cv_err *err);
	cv_status (*vkey_get)(void *be, const char *name, int64_t user_id, cv_key_copy *c,
			      cv_err *err);
	cv_status (*keys_delete_user)(void *be, int64_t user_id, cv_err *err);

	cv_status (*case_insert)(void *be, const cv_case_rec *c, cv_err *err);
	cv_status (*case_get)(void *be, const char *id, cv_case_rec *c, cv_err *err);
	cv_status (*case_update)(void *be, const cv_case_rec *c, cv_err *err);
	cv_status (*case_find)(void *be, const uint8_t tag[CV_HASH_LEN], cv_store_id_cb cb,
			       void *arg, cv_err *err);
	cv_status (*case_granted)(void *be, int64_t user_id, cv_store_id_cb cb, void *arg,
				  cv_err *err);
	cv_status (*case_shred)(void *be, const cv_case_rec *tomb, cv_err *err);

	cv_status (*grant_put)(void *be, const char *case_id, const cv_key_copy *c, cv_err *err);
	cv_status (*grant_get)(void *be, const char *case_id, int64_t user_id, cv_key_copy *c,
			       cv_err *err);
	cv_status (*grant_each_user)(void *be, int64_t user_id, cv_store_grant_cb cb, void *arg,
				     cv_err *err);

	cv_status (*record_insert)(void *be, const cv_record *r, cv_err *err);
	cv_status (*record_update)(void *be, const cv_record *r, cv_err *err);
	cv_status (*record_get)(void *be, const char *id, cv_record *r, cv_err *err);
	cv_status (*record_each_case)(void *be, const char *case_id, const char *type,
				      cv_store_record_cb cb, void *arg, cv_err *err);
	cv_status (*record_each_granted)(void *be, int64_t user_id, const char *type,
					 cv_store_record_cb cb, void *arg, cv_err *err);
	cv_status (*id_taken)(void *be, const char *id, int *taken, cv_err *err);

	cv_status (*case_all)(void *be, cv_store_id_cb cb, void *arg, cv_err *err);
	cv_status (*case_page)(void *be, const char *after, size_t limit, cv_store_case_cb cb,
			       void *arg, cv_err *err);
	cv_status (*record_range)(void *be, const char *first, const char *last,
				  cv_store_record_cb cb, void *arg, cv_err *err);
	cv_status (*case_record_rows)(void *be, int64_t *cases, int64_t *records, cv_err *err);
	cv_status (*release_insert)(void *be, const cv_release_rec *r, cv_err *err);
	cv_status (*release_overlap)(void *be, const char *from, const char *to, int64_t *n,
				     cv_err *err);
	cv_status (*release_spent)(void *be, const char *from, const char *to, int64_t *sum,
				   cv_err *err);
	cv_status (*review_insert)(void *be, const cv_review_rec *r, cv_err *err);
	cv_status (*review_get)(void *be, const char *event, cv_review_rec *r, cv_err *err);
	cv_status (*review_each)(void *be, cv_store_review_cb cb, void *arg, cv_err *err);
	cv_status (*record_each_type)(void *be, const char *type, cv_store_record_cb cb, void *arg,
				      cv_err *err);

	cv_status (*duty_next_id)(void *be, int64_t *id, cv_err *err);
	cv_status (*duty_insert)(void *be, const cv_duty_rec *r, cv_err *err);
	cv_status (*duty_update)(void *be, const cv_duty_rec *r, cv_err *err);
	cv_status (*duty_each)(void *be, const cv_store_duty_query *q, cv_store_duty_cb cb,
			       void *arg, cv_err *err);
	/* Optional (NULL: the store has no generations; see
	 * cv_store_generation). */
	int (*generation)(void *be, uint64_t gen[2]);
};

/* The SQLite backend (store_sqlite.c): one file, WAL, secure_delete. */
extern const struct cv_store_ops cv_store_sqlite_ops;

/* cv_store_create and cv_store_open on the backend ops instead of the
 * default (SQLite); ops must outlive the store. */
cv_status cv_store_create_with(const struct cv_store_ops *ops, const char *path, cv_store **out,
			       cv_err *err);
cv_status cv_store_open_with(const struct cv_store_ops *ops, const char *path, cv_store **out,
			     cv_err *err);

#endif

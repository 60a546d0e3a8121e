/*
 * access.c - policy layer: the only code that unseals a case key or
 * touches the case, grant and record tables (see access.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "localday.h"
#include "cert.h"
#include "consent_state.h"
#include "err.h"
#include "policy.h"
#include "recovery.h"
#include "review.h"
#include "settings.h"
#include "text.h"
#include "vkeys.h"
#include "banned.h"

#define EACH_BATCH 64 /* cases decrypted, logged and shown at a time */
#define CODE_CASE_NOT_FOUND "case.not-found"
#define CV_GRANTS_TABLE "grants" /* the place of a case key copy (docs/FORMAT.md §4.5) */

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

cv_status cv_access_minor(cv_vault *v, const char *born, int *minor, cv_err *err)
{
	char today[11];
	long adult = 0;
	cv_status st = cv_setting_int(v, CV_SET_ADULT_AGE, &adult, err);

	if (st == CV_OK)
		st = cv_local_today(v, today, err);
	*minor = !born || !*born || cv_age_on(born, today) < adult;
	return st;
}

void cv_case_free(struct cv_case *c)
{
	if (!c)
		return;
	cv_case_rec_clear(&c->rec);
	cv_consent_state_free(&c->consent);
	sodium_free(c->key);
	json_decref(c->data);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

/* ---- sealing ------------------------------------------------------------ */

static cv_status open_json(cv_session *s, const uint8_t *key, const cv_place *at,
			   const uint8_t *nonce, const uint8_t *box, size_t len, json_t **out,
			   cv_err *err)
{
	uint8_t *pt = NULL;
	size_t n = 0;
	json_error_t jerr;
	cv_status st = cv_aead_open(s->v, key, at, nonce, box, len, &pt, &n, err);

	*out = NULL;
	if (st != CV_OK)
		return st;
	*out = json_loadb((const char *)pt, n, 0, &jerr);
	sodium_free(pt);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return cv_fail(err, CV_EINTEGRITY, "content.not-json",
			       "the {1} of case '{2}' is not valid JSON", at->type, at->case_id);
	}
	return CV_OK;
}

/* Encrypts a JSON object; *box is malloc'd. */
static cv_status seal_json(cv_session *s, const uint8_t *key, const cv_place *at, json_t *o,
			   uint8_t nonce[CV_AEAD_NONCE_LEN], uint8_t **box, size_t *len,
			   cv_err *err)
{
	char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_free_t f;
	cv_status st;

	if (!txt)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_aead_seal(s->v, key, at, (const uint8_t *)txt, strlen(txt), nonce, box, len, err);
	json_get_alloc_funcs(NULL, &f);
	sodium_memzero(txt, strlen(txt));
	f(txt);
	return st;
}

/* A statistics box (docs/FORMAT.md §12.2): writer_pk (32) || nonce (24)
 * || crypto_box_easy(plaintext) from the writer's box key to the vault's
 * stats public key.  Only the writer and the stats key's holders can open
 * it, and a reader computes one shared key per writer, not one per box.
 * The plaintext is statsbox.c's binary layout. */
#define STATS_HDR (crypto_box_PUBLICKEYBYTES + crypto_box_NONCEBYTES)

/* Boxes pt[0..n) from the session's user to the stats key into *box
 * (malloc'd). */
static cv_status stats_box_make(cv_session *s, const uint8_t *pt, size_t n, uint8_t **box,
				size_t *len, cv_err *err)
{
	uint8_t stats_pk[crypto_box_PUBLICKEYBYTES], commit[CV_HASH_LEN];
	cv_status st = cv_vkeys_public(s->v, stats_pk, commit, err);

	*box = NULL;
	*len = 0;
	if (st != CV_OK)
		return st;
	*box = malloc(STATS_HDR + n + crypto_box_MACBYTES);
	if (!*box)
		return cv_err_set(err, CV_ERROR, "out of memory");
	memcpy(*box, s->kh->box_pk, crypto_box_PUBLICKEYBYTES);
	randombytes_buf(*box + crypto_box_PUBLICKEYBYTES, crypto_box_NONCEBYTES);
	st = cv_keyholder_box(s->kh, pt, n, *box + crypto_box_PUBLICKEYBYTES, stats_pk,
			      *box + STATS_HDR, err);
	if (st != CV_OK) {
		free(*box);
		*box = NULL;
		return st;
	}
	*len = STATS_HDR + n + crypto_box_MACBYTES;
	return CV_OK;
}

/* Boxes the encoding in b (put: what cv_statsbox_*_put returned) to the
 * stats key into *box (malloc'd); b is wiped and freed. */
/* A buffer for a statistics plaintext, grown once to more than any needs,
 * so that no copy of it is left behind in freed memory as it grows. */
static void stats_buf(cv_buf *b)
{
	static const uint8_t room[256];

	cv_buf_raw(b, room, sizeof(room));
	b->len = 0;
}

static cv_status stats_seal(cv_session *s, cv_buf *b, int put, uint8_t **box, size_t *len,
			    cv_err *err)
{
	cv_status st;

	*box = NULL;
	*len = 0;
	if (put != 0)
		st = cv_err_set(err, CV_ERROR,
				"internal error: the statistics do not fit their layout");
	else if (b->oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	else
		st = stats_box_make(s, b->data, b->len, box, len, err);
	if (b->data)
		sodium_memzero(b->data, b->len);
	cv_buf_free(b);
	return st;
}

/* Which record types carry coarse statistical attributes (docs/FORMAT.md
 * §12.5): never free text, only words of closed sets. */
int cv_record_has_stats(const char *type)
{
	return strcmp(type, "consent") == 0 || strcmp(type, "referral") == 0 ||
	       strcmp(type, "watch") == 0;
}

/* Boxes the statistical attributes of record r, taken from its body, to
 * the stats key into *box (malloc'd). */
static cv_status seal_record_stats(cv_session *s, const cv_record *r, json_t *body, uint8_t **box,
				   size_t *len, cv_err *err)
{
	cv_statsbox_record x = {0};
	cv_buf b = CV_BUF_INIT;

	snprintf(x.record_id, sizeof(x.record_id), "%s", r->id);
	snprintf(x.case_id, sizeof(x.case_id), "%s", r->case_id);
	x.type = r->type;
	x.version = r->version;
	x.action = jstr(body, "action");
	x.by = jstr(body, "by");
	x.method = jstr(body, "method");
	x.scopes = cv_scope_json(json_object_get(body, "scopes"));
	x.urgency = jstr(body, "urgency");
	x.reason = jstr(body, "reason");
	x.to_type = jstr(body, "to_type");
	x.basis = jstr(body, "basis");
	x.tag = jstr(body, "tag");
	stats_buf(&b);
	return stats_seal(s, &b, cv_statsbox_record_put(&b, &x), box, len, err);
}

cv_status cv_record_put(cv_session *s, struct cv_case *c, cv_record *r, json_t *body,
			const char *text, size_t textlen, int insert, cv_err *err)
{
	cv_place at = {r->type, c->rec.id, r->id, r->version};
	uint8_t *box = NULL, *stats = NULL;
	size_t len = 0, stats_len = 0;
	cv_status st;

	if (text)
		st = cv_aead_seal(s->v, c->key, &at, (const uint8_t *)text, textlen, r->nonce, &box,
				  &len, err);
	else
		st = seal_json(s, c->key, &at, body, r->nonce, &box, &len, err);
	if (st == CV_OK && !text && cv_record_has_stats(r->type))
		st = seal_record_stats(s, r, body, &stats, &stats_len, err);
	if (st != CV_OK) {
		free(box);
		return st;
	}
	r->box = box;
	r->box_len = len;
	r->stats_box = stats;
	r->stats_len = stats_len;
	st = cv_record_sign(s->v, r, c->key, s->me.id, s->kh, err);
	if (st == CV_OK)
		st = insert ? cv_store_record_insert(s->v->st, r, err)
			    : cv_store_record_update(s->v->st, r, err);
	free(box);
	free(stats);
	r->box = r->stats_box = NULL;
	r->box_len = r->stats_len = 0;
	return st;
}

cv_status cv_record_open_json(cv_session *s, struct cv_case *c, const cv_record *r, json_t **body,
			      cv_err *err)
{
	cv_place at = {r->type, c->rec.id, r->id, r->version};

	return open_json(s, c->key, &at, r->nonce, r->box, r->box_len, body, err);
}

cv_status cv_record_open_text(cv_session *s, struct cv_case *c, const cv_record *r, uint8_t **text,
			      size_t *len, cv_err *err)
{
	cv_place at = {r->type, c->rec.id, r->id, r->version};

	return cv_aead_open(s->v, c->key, &at, r->nonce, r->box, r->box_len, text, len, err);
}

/* ---- record walks: collect first, then act -------------------------------- */

static int collect_record(const cv_record *r, void *arg)
{
	cv_rec_list *l = arg;
	cv_record *p;
	uint8_t *box;

	if (l->due_before && !(r->due[0] && strcmp(r->due, l->due_before) < 0))
		return 0;
	p = realloc(l->v, (l->n + 1) * sizeof(*p));
	/* One allocation, as cv_store_record_get makes: box, then stats box. */
	box = malloc(r->box_len + r->stats_len + 1);
	if (!p || !box) {
		if (p)
			l->v = p;
		free(box);
		l->oom = 1;
		return 1;
	}
	l->v = p;
	l->v[l->n] = *r;
	if (r->box_len)
		memcpy(box, r->box, r->box_len);
	if (r->stats_len)
		memcpy(box + r->box_len, r->stats_box, r->stats_len);
	l->v[l->n].box = box;
	l->v[l->n].stats_box = box + r->box_len;
	l->n++;
	return 0;
}

void cv_rec_list_free(cv_rec_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((void *)l->v[i].box);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Every record of c of `type` (0: all), each checked against its
 * signature and the case key after the walk (docs/FORMAT.md §13). */
static cv_status read_records(cv_session *s, struct cv_case *c, cv_rec_type type, cv_rec_list *l,
			      cv_err *err)
{
	size_t from = l->n;
	cv_status st = cv_store_record_each_case(
	    s->v->st, c->rec.id, type ? cv_rec_type_name(type) : NULL, collect_record, l, err);

	if (st == CV_OK && l->oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	for (size_t i = from; i < l->n && st == CV_OK; i++)
		st = cv_record_check(s->v, &l->v[i], c->key, err);
	return st;
}

cv_status cv_access_collect(cv_session *s, struct cv_case *c, cv_rec_type type, cv_rec_list *l,
			    cv_err *err)
{
	return read_records(s, c, type, l, err);
}

cv_status cv_access_record_update(cv_session *s, struct cv_case *c, const cv_record *r, cv_err *err)
{
	cv_record w = *r;
	cv_status st;

	if (strcmp(r->case_id, c->rec.id) != 0)
		return cv_err_set(err, CV_ERROR, "internal error: record '%s' is not on case '%s'",
				  r->id, c->rec.id);
	st = cv_record_sign(s->v, &w, c->key, s->me.id, s->kh, err);
	return st == CV_OK ? cv_store_record_update(s->v->st, &w, err) : st;
}

cv_status cv_access_records(cv_session *s, struct cv_case *c, cv_rec_type type,
			    int (*cb)(const cv_record *r, void *arg), void *arg, cv_err *err)
{
	cv_rec_list l = {0};
	cv_status st = read_records(s, c, type, &l, err);

	for (size_t i = 0; i < l.n && st == CV_OK; i++)
		if (cb(&l.v[i], arg))
			break;
	cv_rec_list_free(&l);
	return st;
}

/* ---- loading a case ------------------------------------------------------ */

/* An unknown, shredded or malformed case id: one refusal, whichever. */
static cv_status no_case(const char *case_id, cv_err *err)
{
	return cv_fail(err, CV_ENOTFOUND, CODE_CASE_NOT_FOUND,
		       "no case '{1}'; case ids look like C-7KQ2M", case_id ? case_id : "");
}

/* No record of this type with this id; the code names the kind. */
static cv_status no_record(cv_rec_type type, const char *rec_id, cv_err *err)
{
	static const struct {
		cv_rec_type type;
		const char *code, *tmpl;
	} kinds[] = {
	    {CV_REC_CONSENT, "record.not-found", CV_TMPL("no consent '{1}'")},
	    {CV_REC_NOTE, "note.not-found", CV_TMPL("no note '{1}'")},
	    {CV_REC_TEST, "test.not-found", CV_TMPL("no test '{1}'")},
	    {CV_REC_REFERRAL, "referral.not-found", CV_TMPL("no referral '{1}'")},
	    {CV_REC_FOLLOWUP, "record.not-found", CV_TMPL("no followup '{1}'")},
	    {CV_REC_WATCH, "watch.not-found", CV_TMPL("no watch '{1}'")},
	    {CV_REC_CRISIS, "record.not-found", CV_TMPL("no crisis '{1}'")},
	};
	const char *id = rec_id ? rec_id : "";

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].type == type)
			return cv_fail(err, CV_ENOTFOUND, kinds[i].code, kinds[i].tmpl, id);
	return cv_fail(err, CV_ENOTFOUND, "record.not-found", "no record '{1}'", id);
}

static cv_status load_consent(cv_session *s, struct cv_case *c, cv_err *err)
{
	cv_rec_list l = {0};
	cv_status st = cv_access_minor(s->v, jstr(c->data, "born"), &c->minor, err);

	if (st == CV_OK)
		st = read_records(s, c, 0, &l, err);
	for (size_t i = 0; i < l.n && st == CV_OK; i++) {
		json_t *o = NULL;

		if (strcmp(l.v[i].type, cv_rec_type_name(CV_REC_CONSENT)) == 0)
			st = cv_record_open_json(s, c, &l.v[i], &o, err);
		if (st == CV_OK)
			st = cv_consent_fold(&c->consent, &l.v[i], o, err);
		json_decref(o);
	}
	cv_rec_list_free(&l);
	return st;
}

/* The verified recovery public key, for copies the recovery key sent. */
static cv_status recovery_pk(cv_session *s, uint8_t pk[crypto_box_PUBLICKEYBYTES], cv_err *err)
{
	return cv_recovery_pk(s->v, pk, err);
}

/*
 * Opens holder's copy of the key of case rec (their grant) with kh: made by
 * a counselor (who held the key: it matches the commitment the case row
 * carries) or by the recovery key, and addressed to this holder.
 * CV_ENOTFOUND when there is no grant; CV_EINTEGRITY naming the case and
 * the holder when the copy fails verification.
 */
static cv_status grant_open(cv_session *s, const cv_case_rec *rec, int64_t holder,
			    const char *holder_name, cv_keyholder *kh, uint8_t **key, cv_err *err)
{
	uint8_t rpk[crypto_box_PUBLICKEYBYTES];
	cv_key_copy g;
	cv_role sender = 0;
	cv_err why = {0};
	cv_status st;

	*key = NULL;
	st = cv_store_grant_get(s->v->st, rec->id, holder, &g, err);
	if (st == CV_OK)
		st = recovery_pk(s, rpk, err);
	if (st != CV_OK)
		return st;
	st = cv_copy_open(s->v, CV_GRANTS_TABLE, rec->id, &g, kh, rpk, rec->key_commit, &sender,
			  key, &why);
	if (st == CV_OK &&
	    (g.user_id != holder || (g.sender_id != 0 && sender != CV_ROLE_COUNSELOR))) {
		sodium_free(*key);
		*key = NULL;
		st = CV_EINTEGRITY;
	}
	if (st == CV_OK)
		return CV_OK;
	if (st != CV_EINTEGRITY) {
		if (err)
			*err = why;
		return st;
	}
	return cv_fail(err, CV_EINTEGRITY, "case.grant-forged",
		       "the key of case '{1}' held by '{2}' fails verification: it was not made "
		       "by a counselor on the case, or was swapped; run 'casevault audit verify' "
		       "and restore from a backup",
		       rec->id, holder_name);
}

/* The case key from the recovery copy of rec, checked against its
 * commitment. */
static cv_status recovery_key_open(cv_keyholder *recovery, const cv_case_rec *rec, uint8_t **key,
				   cv_err *err)
{
	uint8_t commit[CV_HASH_LEN];
	cv_status st = cv_case_key_unseal(recovery, rec->recovery_key, key, NULL);

	if (st == CV_OK) {
		cv_key_commit(*key, commit);
		if (sodium_memcmp(commit, rec->key_commit, CV_HASH_LEN) != 0) {
			sodium_free(*key);
			*key = NULL;
			st = CV_EINTEGRITY;
		}
	}
	if (st == CV_OK)
		return CV_OK;
	return cv_fail(err, CV_EINTEGRITY, "case.recovery-copy-tampered",
		       "the recovery copy of case '{1}' does not open or holds another key: it "
		       "was tampered with",
		       rec->id);
}

static cv_status case_load(cv_session *s, const char *case_id, unsigned need,
			   cv_keyholder *recovery, struct cv_case *c, cv_err *err)
{
	cv_place at;
	cv_status st;

	if (cv_field_check("case id", case_id, CV_ID_MAX - 1, NULL) != CV_OK)
		return no_case(case_id, err);
	st = cv_store_case_get(s->v->st, case_id, &c->rec, err);
	/* The refusal is the access layer's to name, whatever words the
	 * storage backend found for it. */
	if (st == CV_ENOTFOUND)
		return cv_fail(err, CV_ENOTFOUND, CODE_CASE_NOT_FOUND,
			       "no case '{1}'; see 'casevault case list' for your cases", case_id);
	if (st != CV_OK)
		return st;
	if (cv_word_parse(&cv_case_states, c->rec.status) == CV_CASE_SHREDDED) {
		/* A tombstone says so only with the signature of the admin who
		 * shredded the case: a live case cannot be hidden as one. */
		st = cv_case_check(s->v, &c->rec, NULL, err);
		if (st != CV_OK)
			return st;
		return cv_fail(err, CV_ENOTFOUND, "case.shredded",
			       "case '{1}' was shredded: nothing of it can be read any more",
			       case_id);
	}
	if (c->rec.blank || !c->rec.data_len || !c->rec.stats_len)
		return cv_fail(err, CV_EINTEGRITY, "case.malformed",
			       "the row of case '{1}' is malformed (its ciphertexts are empty "
			       "but it is not shredded): the vault was tampered with",
			       case_id);
	if (need & CV_NEED_RECOVERY) {
		st = recovery_key_open(recovery, &c->rec, &c->key, err);
	} else {
		st = grant_open(s, &c->rec, s->me.id, s->me.name, s->kh, &c->key, err);
		if (st == CV_ENOTFOUND)
			return cv_fail(err, CV_EDENIED, "case.not-shared",
				       "case '{1}' is not shared with '{2}'; a counselor on the "
				       "case can share it with 'casevault case share {1} {2}'",
				       case_id, s->me.name);
	}
	/* The row as it is was signed by a counselor who held the key. */
	if (st == CV_OK)
		st = cv_case_check(s->v, &c->rec, c->key, err);
	if (st != CV_OK)
		return st;
	at = (cv_place){"case", c->rec.id, c->rec.id, c->rec.version};
	st = open_json(s, c->key, &at, c->rec.data_nonce, c->rec.data_box, c->rec.data_len,
		       &c->data, err);
	if (st == CV_OK)
		st = load_consent(s, c, err);
	return st;
}

static cv_status enter_loaded(cv_session *s, const char *case_id, cv_action action, unsigned need,
			      unsigned scope, const char *crisis, cv_keyholder *recovery,
			      struct cv_case *c, cv_err *err);

cv_status cv_access_enter(cv_session *s, const char *case_id, cv_action action, unsigned need,
			  unsigned scope, const char *crisis, cv_keyholder *recovery,
			  struct cv_case **out, cv_err *err)
{
	char object[CV_ID_MAX + 8];
	struct cv_case *c;
	cv_status st;

	*out = NULL;
	cv_object_name(object, sizeof(object), "case", case_id ? case_id : "");
	if (crisis && cv_crisis_check(crisis, err) != CV_OK)
		return err->status;
	st = cv_policy_check(s, action, object, err);
	if (st != CV_OK)
		return st;
	c = calloc(1, sizeof(*c));
	if (!c)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = cv_op_begin(s, err);
	if (st != CV_OK) {
		free(c);
		return st;
	}
	st = enter_loaded(s, case_id, action, need, scope, crisis, recovery, c, err);
	if (st != CV_OK)
		return cv_access_abort(s, c, action, object, err);
	*out = c;
	return CV_OK;
}

/* The checks of cv_access_enter once the transaction is open: loads the
 * case into c, then its state and the consent scope needs. */
static cv_status enter_loaded(cv_session *s, const char *case_id, cv_action action, unsigned need,
			      unsigned scope, const char *crisis, cv_keyholder *recovery,
			      struct cv_case *c, cv_err *err)
{
	cv_status st;

	(void)action;
	st = case_load(s, case_id, need, recovery, c, err);
	if (st == CV_OK && (need & CV_NEED_OPEN) &&
	    cv_word_parse(&cv_case_states, c->rec.status) != CV_CASE_OPEN)
		st = cv_fail(
		    err, CV_EDENIED, "case.closed",
		    "case '{1}' is closed; reopen it with 'casevault case reopen {1}' first",
		    case_id);
	if (st == CV_OK && scope &&
	    cv_consent_check(&c->consent, c->minor, scope, c->rec.id, crisis ? NULL : err) !=
		CV_OK) {
		if (crisis) {
			c->crisis = crisis;
			c->crisis_scope = scope;
		} else {
			st = err->status;
		}
	}
	return st;
}

cv_status cv_access_join(cv_session *s, const char *case_id, cv_action action, unsigned need,
			 unsigned scope, struct cv_case **out, cv_err *err)
{
	struct cv_case *c;
	cv_status st;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = enter_loaded(s, case_id, action, need, scope, NULL, NULL, c, err);
	if (st != CV_OK) {
		cv_case_free(c);
		return st;
	}
	*out = c;
	return CV_OK;
}

cv_status cv_access_recheck(struct cv_case *c, unsigned need, unsigned scope, cv_err *err)
{
	if ((need & CV_NEED_OPEN) && cv_word_parse(&cv_case_states, c->rec.status) != CV_CASE_OPEN)
		return cv_fail(
		    err, CV_EDENIED, "case.closed",
		    "case '{1}' is closed; reopen it with 'casevault case reopen {1}' first",
		    c->rec.id);
	if (scope)
		return cv_consent_check(&c->consent, c->minor, scope, c->rec.id, err);
	return CV_OK;
}

cv_status cv_access_join_record(cv_session *s, const char *rec_id, cv_rec_type type,
				cv_action action, unsigned need, cv_record *r, struct cv_case **out,
				cv_err *err)
{
	const char *tname = cv_rec_type_name(type);
	struct cv_case *c;
	cv_status st;

	*out = NULL;
	memset(r, 0, sizeof(*r));
	if (cv_field_check("id", rec_id, CV_ID_MAX - 1, NULL) != CV_OK)
		st = CV_ENOTFOUND;
	else
		st = cv_store_record_get(s->v->st, rec_id, r, err);
	if (st == CV_ENOTFOUND || (st == CV_OK && strcmp(r->type, tname) != 0)) {
		cv_record_clear(r);
		return no_record(type, rec_id, err);
	}
	if (st != CV_OK)
		return st;
	c = calloc(1, sizeof(*c));
	if (!c) {
		cv_record_clear(r);
		return cv_err_set(err, CV_ERROR, "out of memory");
	}
	st = enter_loaded(s, r->case_id, action, need, 0, NULL, NULL, c, err);
	if (st == CV_OK)
		st = cv_record_check(s->v, r, c->key, err);
	if (st != CV_OK) {
		cv_record_clear(r);
		cv_case_free(c);
		return st;
	}
	*out = c;
	return CV_OK;
}

cv_status cv_access_enter_record(cv_session *s, const char *rec_id, cv_rec_type type,
				 cv_action action, unsigned need,
				 unsigned (*scope_of)(const cv_record *r), const char *crisis,
				 cv_record *r, struct cv_case **c, cv_err *err)
{
	const char *tname = cv_rec_type_name(type);
	char object[CV_ID_MAX + 16];
	cv_status st;

	*c = NULL;
	memset(r, 0, sizeof(*r));
	cv_object_name(object, sizeof(object), tname, rec_id ? rec_id : "");
	st = cv_op_begin(s, err);
	if (st != CV_OK)
		return st;
	if (cv_field_check("id", rec_id, CV_ID_MAX - 1, NULL) != CV_OK)
		st = CV_ENOTFOUND;
	else
		st = cv_store_record_get(s->v->st, rec_id, r, err);
	if (st == CV_ENOTFOUND || (st == CV_OK && strcmp(r->type, tname) != 0)) {
		cv_record_clear(r);
		st = no_record(type, rec_id, err);
	}
	cv_store_rollback(s->v->st);
	if (st != CV_OK)
		return cv_op_fail(s, action, object, err);
	st = cv_access_enter(s, r->case_id, action, need, scope_of ? scope_of(r) : 0, crisis, NULL,
			     c, err);
	cv_record_clear(r);
	if (st != CV_OK)
		return st;
	/* Read the record again inside the write transaction: another command
	 * may have changed it in between. */
	st = cv_store_record_get(s->v->st, rec_id, r, err);
	if (st == CV_OK)
		st = cv_record_check(s->v, r, (*c)->key, err);
	if (st != CV_OK) {
		cv_record_clear(r);
		st = cv_access_abort(s, *c, action, object, err);
		*c = NULL;
	}
	return st;
}

cv_status cv_access_leave(cv_session *s, struct cv_case *c, cv_action action, const char *object,
			  const char *detail, cv_err *err)
{
	cv_access_row row = {action, object, detail};

	return cv_access_leave_rows(s, c, &row, 1, err);
}

cv_status cv_access_leave_rows(cv_session *s, struct cv_case *c, const cv_access_row *rows,
			       size_t n, cv_err *err)
{
	char now[CV_TIME_LEN], scopes[96], cobj[CV_ID_MAX + 8], cdetail[256];
	cv_action action = rows[0].action;
	const char *object = rows[0].object;
	cv_status st = CV_OK;

	if (c->crisis) {
		/* R2: the justification is kept encrypted with the case; the log
		 * flags the event for supervisor review without its content. */
		json_t *o = json_pack("{s:s, s:s, s:s}", "justification", c->crisis, "action",
				      cv_action_name(action), "object", object);
		cv_record r = {0};

		cv_time_now(now);
		st = cv_new_id(s->v, 'X', 6, r.id, err);
		snprintf(r.case_id, sizeof(r.case_id), "%s", c->rec.id);
		snprintf(r.type, sizeof(r.type), "%s", cv_rec_type_name(CV_REC_CRISIS));
		snprintf(r.status, sizeof(r.status), "%s",
			 cv_word(&cv_crisis_states, CV_CRISIS_UNREVIEWED));
		r.version = 1;
		r.author_id = s->me.id;
		snprintf(r.created_at, sizeof(r.created_at), "%s", now);
		snprintf(r.updated_at, sizeof(r.updated_at), "%s", now);
		if (!o && st == CV_OK)
			st = cv_err_set(err, CV_ERROR, "out of memory");
		if (st == CV_OK)
			st = cv_record_put(s, c, &r, o, NULL, 0, 1, err);
		json_decref(o);
		cv_scope_format(c->crisis_scope, scopes, sizeof(scopes));
		snprintf(cobj, sizeof(cobj), "case:%s", c->rec.id);
		snprintf(cdetail, sizeof(cdetail), "record=%s action=%s scope=%s", r.id,
			 cv_action_name(action), scopes);
		if (st == CV_OK)
			st = cv_op_log(s, CV_ACT_CRISIS, cobj, CV_OUT_OK, cdetail, err);
	}
	for (size_t i = 0; i < n && st == CV_OK; i++)
		st = cv_op_log(s, rows[i].action, rows[i].object, CV_OUT_OK, rows[i].detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	if (st != CV_OK)
		cv_store_rollback(s->v->st);
	return st;
}

cv_status cv_access_abort(cv_session *s, struct cv_case *c, cv_action action, const char *object,
			  cv_err *err)
{
	cv_case_free(c);
	return cv_op_fail(s, action, object, err);
}

/* ---- the case row --------------------------------------------------------- */

/* The coarse attributes for statistics, boxed to the stats key: only its
 * holders and the counselor who wrote them, who knows them, can open them
 * (docs/FORMAT.md §12.2).  The case id and version inside bind them to
 * their row. */
static cv_status seal_stats(cv_session *s, cv_case_rec *rec, json_t *data, cv_err *err)
{
	cv_statsbox_case c = {0};
	cv_buf b = CV_BUF_INIT;

	snprintf(c.case_id, sizeof(c.case_id), "%s", rec->id);
	c.version = rec->version;
	c.grade = (int)json_integer_value(json_object_get(data, "grade"));
	c.gender = jstr(data, "gender");
	c.category = jstr(data, "category");
	memcpy(c.opened, rec->opened_at, CV_STATSBOX_DATE - 1);
	if (rec->closed_at[0]) /* dates only: coarse */
		memcpy(c.closed, rec->closed_at, CV_STATSBOX_DATE - 1);
	c.minor = json_is_true(json_object_get(data, "minor_at_open"));
	free(rec->stats_box);
	rec->stats_box = NULL;
	rec->stats_len = 0;
	stats_buf(&b);
	return stats_seal(s, &b, cv_statsbox_case_put(&b, &c), &rec->stats_box, &rec->stats_len,
			  err);
}

static cv_status seal_data(cv_session *s, cv_case_rec *rec, const uint8_t *key, json_t *data,
			   cv_err *err)
{
	cv_place at = {"case", rec->id, rec->id, rec->version};

	free(rec->data_box);
	rec->data_box = NULL;
	return seal_json(s, key, &at, data, rec->data_nonce, &rec->data_box, &rec->data_len, err);
}

/* An authenticated copy of case key `key` for user (id, box_pk), from the
 * session user or, when recovery is not NULL, from the recovery key. */
static cv_status grant_put(cv_session *s, const char *case_id, const uint8_t *key, int64_t to,
			   const uint8_t *to_pk, cv_keyholder *recovery, cv_err *err)
{
	cv_key_copy g;
	cv_status st = cv_copy_make(s->v, CV_GRANTS_TABLE, case_id, key, to, to_pk,
				    recovery ? 0 : s->me.id, recovery ? recovery : s->kh, &g, err);

	return st == CV_OK ? cv_store_grant_put(s->v->st, case_id, &g, err) : st;
}

cv_status cv_access_create(cv_session *s, cv_case_rec *rec, const uint8_t *key, json_t *data,
			   cv_err *err)
{
	uint8_t rpk[crypto_box_PUBLICKEYBYTES];
	cv_status st = recovery_pk(s, rpk, err);

	if (st != CV_OK)
		return st;
	cv_seal_key(key, rpk, rec->recovery_key);
	cv_key_commit(key, rec->key_commit);
	st = seal_data(s, rec, key, data, err);
	if (st == CV_OK)
		st = seal_stats(s, rec, data, err);
	if (st == CV_OK)
		st = cv_case_sign(s->v, rec, key, s->me.id, s->kh, err);
	if (st == CV_OK)
		st = cv_store_case_insert(s->v->st, rec, err);
	if (st == CV_OK)
		st = grant_put(s, rec->id, key, s->me.id, s->kh->box_pk, NULL, err);
	return st;
}

cv_status cv_access_rewrite(cv_session *s, struct cv_case *c, cv_err *err)
{
	cv_status st;

	c->rec.version++;
	st = seal_data(s, &c->rec, c->key, c->data, err);
	if (st == CV_OK)
		st = seal_stats(s, &c->rec, c->data, err);
	if (st == CV_OK)
		st = cv_case_sign(s->v, &c->rec, c->key, s->me.id, s->kh, err);
	if (st == CV_OK)
		st = cv_store_case_update(s->v->st, &c->rec, err);
	return st;
}

/* Whether `to` may be granted a case: an existing, verified, active
 * counselor. */
static cv_status grantee(cv_session *s, const char *to, cv_user_rec *u, cv_err *err)
{
	cv_status st = cv_name_check(to, err);

	if (st == CV_OK)
		st = cv_store_user_by_name(s->v->st, to, u, err);
	if (st == CV_OK)
		st = cv_user_verify(s->v, u, err);
	if (st != CV_OK)
		return st;
	if (cv_user_role(u) != CV_ROLE_COUNSELOR)
		return cv_fail(err, CV_EDENIED, "grant.not-counselor",
			       "'{1}' is {2}; cases are shared only with counselors", to,
			       cv_role_a(cv_user_role(u)));
	if (cv_word_parse(&cv_user_states, u->status) != CV_USER_ACTIVE)
		return cv_fail(err, CV_EDENIED, "grant.user-disabled",
			       "'{1}' is disabled; cases go to active counselors", to);
	return CV_OK;
}

cv_status cv_may_hand_over(cv_session *s, const char *id, const char *to, cv_err *err)
{
	CV_ERR_GUARD(err);
	char object[CV_ID_MAX + 8];
	cv_user_rec u;
	cv_status st = grantee(s, to, &u, err);

	cv_object_name(object, sizeof(object), "case", id ? id : "");
	return st == CV_OK ? CV_OK : cv_op_fail(s, CV_ACT_CASE_HANDOVER, object, err);
}

cv_status cv_access_grant(cv_session *s, struct cv_case *c, const char *to, cv_keyholder *recovery,
			  cv_err *err)
{
	cv_user_rec u;
	cv_status st = grantee(s, to, &u, err);

	if (st != CV_OK)
		return st;
	return grant_put(s, c->rec.id, c->key, u.id, u.box_pk, recovery, err);
}

cv_status cv_access_shred(cv_session *s, struct cv_case *c, cv_err *err)
{
	cv_case_rec tomb = c->rec;
	cv_status st;

	/* The row as case_shred leaves it, signed by the shredding admin. */
	snprintf(tomb.status, sizeof(tomb.status), "%s", cv_case_state_name(CV_CASE_SHREDDED));
	tomb.version++;
	tomb.blank = 1;
	memset(tomb.index_tag, 0, sizeof(tomb.index_tag));
	memset(tomb.key_commit, 0, sizeof(tomb.key_commit));
	memset(tomb.recovery_key, 0, sizeof(tomb.recovery_key));
	memset(tomb.data_nonce, 0, sizeof(tomb.data_nonce));
	tomb.data_box = tomb.stats_box = NULL;
	tomb.data_len = tomb.stats_len = 0;
	st = cv_case_sign(s->v, &tomb, c->key, s->me.id, s->kh, err);
	return st == CV_OK ? cv_store_case_shred(s->v->st, &tomb, err) : st;
}

static cv_status ids_checked(cv_status st, cv_id_list *ids, cv_err *err)
{
	if (st == CV_OK && ids && ids->oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	return st;
}

/* The stats key and the shared keys computed from it, one per writer
 * (crypto_box_beforenm), kept for a walk in one sodium_malloc'd block:
 * a walk of many boxes computes a handful of them, not one per box. */
#define STATS_WRITERS 64

struct stats_keys {
	const uint8_t *sk; /* the stats secret key (the caller's) */
	size_t n, next;
	struct {
		uint8_t pk[crypto_box_PUBLICKEYBYTES];
		uint8_t k[crypto_box_BEFORENMBYTES];
	} v[STATS_WRITERS];
};

static cv_status stats_keys_new(const uint8_t *sk, struct stats_keys **out, cv_err *err)
{
	*out = sodium_malloc(sizeof(**out));
	if (!*out)
		return cv_err_set(err, CV_ERROR, "out of memory");
	(*out)->sk = sk;
	(*out)->n = (*out)->next = 0;
	return CV_OK;
}

/* The shared key of the writer whose box key is pk, or NULL when pk is
 * not a key one can share with (a low-order point). */
static const uint8_t *stats_shared(struct stats_keys *ks, const uint8_t *pk)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (sodium_memcmp(ks->v[i].pk, pk, crypto_box_PUBLICKEYBYTES) == 0)
			return ks->v[i].k;
	/* A new writer takes the next slot, the oldest when all are used.
	 * A key that fails leaves the slot with a zero key, which no box
	 * can name to any use (beforenm refuses it). */
	i = ks->next;
	if (crypto_box_beforenm(ks->v[i].k, pk, ks->sk) != 0) {
		sodium_memzero(ks->v[i].k, sizeof(ks->v[i].k));
		memset(ks->v[i].pk, 0, sizeof(ks->v[i].pk));
		return NULL;
	}
	memcpy(ks->v[i].pk, pk, crypto_box_PUBLICKEYBYTES);
	ks->next = (ks->next + 1) % STATS_WRITERS;
	if (ks->n < STATS_WRITERS)
		ks->n++;
	return ks->v[i].k;
}

/* The largest plaintext of a statistics box a reader opens: a real one
 * is at most a couple of hundred bytes (statsbox.c). */
#define STATS_PLAIN_MAX 512

/* Opens a statistics box (STATS_HDR) with the stats key into
 * pt[0..*n), which the caller wipes.  CV_EINTEGRITY "sealed.tampered"
 * when it does not open. */
static cv_status stats_box_open(struct stats_keys *ks, const uint8_t *box, size_t len,
				uint8_t pt[STATS_PLAIN_MAX], size_t *n, cv_err *err)
{
	const uint8_t *k = NULL;

	*n = len > STATS_HDR + crypto_box_MACBYTES ? len - STATS_HDR - crypto_box_MACBYTES : 0;
	if (*n == 0 || *n > STATS_PLAIN_MAX || !(k = stats_shared(ks, box)) ||
	    crypto_box_open_easy_afternm(pt, box + STATS_HDR, len - STATS_HDR,
					 box + crypto_box_PUBLICKEYBYTES, k) != 0) {
		*n = 0;
		return cv_fail(err, CV_EINTEGRITY, "sealed.tampered",
			       "a sealed box does not open: it was altered");
	}
	return CV_OK;
}

/* Opens the stats box of rec (checked, not shredded) with the stats key,
 * decodes it into *out (its words checked against their sets) and
 * compares its case id and version with the row. */
static cv_status stats_open(cv_session *s, struct stats_keys *ks, const cv_case_rec *rec,
			    cv_statsbox_case *out, cv_err *err)
{
	uint8_t pt[STATS_PLAIN_MAX];
	size_t n = 0;
	/* Without the case key only the signature can be checked, not the mac. */
	cv_status st = cv_case_check(s->v, rec, NULL, err);

	memset(out, 0, sizeof(*out));
	if (st == CV_OK)
		st = stats_box_open(ks, rec->stats_box, rec->stats_len, pt, &n, err);
	if (st == CV_OK && cv_statsbox_case_get(pt, n, out) != NULL)
		st = cv_fail(err, CV_EINTEGRITY, "case.stats-malformed",
			     "the statistics of case '{1}' are malformed: the vault was "
			     "tampered with",
			     rec->id);
	else if (st == CV_OK &&
		 (strcmp(out->case_id, rec->id) != 0 || out->version != rec->version))
		st = cv_fail(err, CV_EINTEGRITY, "case.stats-tampered",
			     "the statistics of case '{1}' belong to another row: the vault "
			     "was tampered with",
			     rec->id);
	sodium_memzero(pt, n);
	if (st != CV_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

static int shredded(const cv_case_rec *rec)
{
	return rec->blank || cv_word_parse(&cv_case_states, rec->status) == CV_CASE_SHREDDED;
}

cv_status cv_access_case_stats(cv_session *s, const char *case_id, cv_statsbox_case *out,
			       cv_err *err)
{
	uint8_t *sk = NULL;
	struct stats_keys *ks = NULL;
	cv_case_rec rec = {0};
	cv_status st;

	memset(out, 0, sizeof(*out));
	st = cv_vkey_open(s, CV_VKEY_STATS, &sk, err);
	if (st == CV_OK)
		st = stats_keys_new(sk, &ks, err);
	if (st == CV_OK)
		st = cv_id_ok(case_id) ? cv_store_case_get(s->v->st, case_id, &rec, err)
				       : no_case(case_id, err);
	if (st == CV_OK && shredded(&rec))
		st = no_case(case_id, err);
	if (st == CV_OK)
		st = stats_open(s, ks, &rec, out, err);
	sodium_free(ks);
	sodium_free(sk);
	cv_case_rec_clear(&rec);
	return st;
}

/* The attributes of a case's stats box (decoded, so checked against
 * their sets), valid while c is. */
static void stats_attrs(const cv_statsbox_case *c, const char *case_id, cv_stats_attrs *a)
{
	a->case_id = case_id;
	a->grade = c->grade;
	a->gender = c->gender;
	a->category = c->category;
	a->opened = c->opened;
	a->closed = c->closed;
	a->minor = c->minor;
}

/* Whether break-glass event id has a review that verifies; one the log
 * recorded whose row is gone is an integrity failure. */
cv_status cv_access_event_reviewed(cv_session *s, const char *id, int *reviewed, cv_err *err)
{
	cv_review_rec r = {0};
	int64_t logged = 0;
	cv_status st = cv_store_review_get(s->v->st, id, &r, err);

	*reviewed = 0;
	if (st == CV_OK && (st = cv_review_check(s->v, &r, err)) == CV_OK)
		*reviewed = 1;
	cv_review_rec_clear(&r);
	if (st != CV_ENOTFOUND)
		return st;
	st = cv_review_logged(s->v, id, &logged, err);
	if (st == CV_OK && logged)
		st = cv_fail(err, CV_EINTEGRITY, "review.deleted",
			     "the review of break-glass event '{1}' is in the log but not in the "
			     "vault: the vault was tampered with",
			     id);
	return st;
}

/* The stats of one case's records: each record's signature (without the
 * case key), and the stats box of the types that have one (§12.5). */
struct stats_recs {
	const cv_record *d; /* the case's records (in a page's list) */
	size_t n;
	cv_stats_record *v; /* its words are vocab's static strings */
	char (*created)[11];
};

static void stats_recs_free(struct stats_recs *r)
{
	free(r->v);
	free(r->created);
	memset(r, 0, sizeof(*r));
}

static cv_status record_stats_bad(const cv_record *r, const char *code, cv_err *err)
{
	return cv_fail(err, CV_EINTEGRITY, code,
		       "the statistics of record '{1}' of case '{2}' do not belong to it or are "
		       "malformed: the vault was tampered with",
		       r->id, r->case_id);
}

/* Opens record r's stats box, decodes it (its words checked against the
 * sets its type allows), checks it names r, and fills x. */
static cv_status record_stats_open(struct stats_keys *ks, const cv_record *r, cv_stats_record *x,
				   cv_err *err)
{
	uint8_t pt[STATS_PLAIN_MAX];
	size_t n = 0;
	cv_statsbox_record o;
	const char *bad = NULL;

	if (stats_box_open(ks, r->stats_box, r->stats_len, pt, &n, NULL) != CV_OK)
		bad = "record.stats-tampered";
	else if (cv_statsbox_record_get(pt, n, &o) != NULL)
		bad = "record.stats-malformed";
	else if (strcmp(o.record_id, r->id) != 0 || strcmp(o.case_id, r->case_id) != 0 ||
		 strcmp(o.type, r->type) != 0 || o.version != r->version)
		bad = "record.stats-tampered";
	sodium_memzero(pt, n);
	if (bad) {
		sodium_memzero(&o, sizeof(o));
		return record_stats_bad(r, bad, err);
	}
	x->action = o.action;
	x->by = o.by;
	x->scopes = o.scopes;
	x->urgency = o.urgency;
	x->reason = o.reason;
	x->to_type = o.to_type;
	x->basis = o.basis;
	x->tag = o.tag;
	return CV_OK;
}

static cv_status stats_records(cv_session *s, struct stats_keys *ks, struct stats_recs *r,
			       cv_err *err)
{
	cv_status st = CV_OK;

	if (r->n) {
		r->v = calloc(r->n, sizeof(*r->v));
		r->created = calloc(r->n, sizeof(*r->created));
		if (!r->v || !r->created)
			st = cv_err_set(err, CV_ERROR, "out of memory");
	}
	for (size_t i = 0; i < r->n && st == CV_OK; i++) {
		const cv_record *d = &r->d[i];
		cv_stats_record *x = &r->v[i];

		st = cv_record_check(s->v, d, NULL, err);
		if (st != CV_OK)
			break;
		*x = (cv_stats_record){d->id, d->type, d->kind, d->status, r->created[i],
				       "",    "",      0,	"",	   "",
				       "",    "",      ""};
		memcpy(r->created[i], d->created_at, 10);
		x->created_at = d->created_at;
		x->due = d->due;
		x->parent = d->parent;
		x->author_id = d->author_id;
		if (cv_record_has_stats(d->type))
			st = record_stats_open(ks, d, x, err);
		else if (strcmp(d->type, "crisis") == 0)
			st = cv_access_event_reviewed(s, d->id, &x->reviewed, err);
		else if (d->stats_len != 0)
			st = record_stats_bad(d, "record.stats-tampered", err);
	}
	return st;
}

/* A page of whole case rows, in id order; the rows own their boxes. */
#define STATS_PAGE 256

struct case_page {
	cv_case_rec v[STATS_PAGE];
	size_t n;
};

static int keep_case(cv_case_rec *c, void *arg)
{
	struct case_page *p = arg;

	p->v[p->n++] = *c;
	c->data_box = c->stats_box = NULL; /* taken */
	return p->n == STATS_PAGE;
}

static void case_page_clear(struct case_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		cv_case_rec_clear(&p->v[i]);
	p->n = 0;
}

/* One case of a page and its records (l holds the page's records, by
 * case id; *next is where this case's begin). */
static cv_status stats_case(cv_session *s, struct stats_keys *ks, const cv_case_rec *rec,
			    const cv_rec_list *l, size_t *next,
			    int (*cb)(const cv_stats_attrs *a, void *arg), void *arg, int *stop,
			    size_t *cases, cv_err *err)
{
	struct stats_recs recs = {0};
	cv_stats_attrs a;
	cv_statsbox_case c;
	cv_status st = CV_OK;

	while (*next < l->n && strcmp(l->v[*next].case_id, rec->id) < 0)
		(*next)++; /* a shredded case's (none: shredding deletes them) */
	recs.d = l->v + *next;
	while (*next < l->n && strcmp(l->v[*next].case_id, rec->id) == 0) {
		(*next)++;
		recs.n++;
	}
	/* A tombstone counts nothing, but is the log's as every row read:
	 * checked (its signer, the admin who shredded), and it has no records. */
	if (shredded(rec)) {
		st = cv_case_check(s->v, rec, NULL, err);
		for (size_t i = 0; i < recs.n && st == CV_OK; i++)
			st = cv_record_check(s->v, &recs.d[i], NULL, err);
		return st;
	}
	st = stats_open(s, ks, rec, &c, err);
	if (st == CV_OK) {
		stats_attrs(&c, rec->id, &a);
		st = stats_records(s, ks, &recs, err);
	}
	if (st == CV_OK) {
		a.index_tag = rec->index_tag;
		a.records = recs.v;
		a.nrecords = recs.n;
		(*cases)++;
		*stop = cb(&a, arg);
	}
	stats_recs_free(&recs);
	sodium_memzero(&c, sizeof(c));
	return st;
}

cv_status cv_access_rows_kept(cv_session *s, int64_t cases, int64_t records, cv_err *err)
{
	int64_t ncases = 0, nrecords = 0;
	cv_status st = cv_store_case_record_rows(s->v->st, &ncases, &nrecords, err);

	if (st == CV_OK && (ncases != cases || nrecords != records))
		st = cv_fail(err, CV_EINTEGRITY, "rows.uncommitted",
			     "the vault holds case or record rows the log never committed to: "
			     "rows were planted; run 'casevault audit verify' and restore it from "
			     "a backup");
	return st;
}

cv_status cv_access_all_stats(cv_session *s, int (*cb)(const cv_stats_attrs *a, void *arg),
			      void *arg, size_t *cases, cv_err *err)
{
	struct case_page *page = calloc(1, sizeof(*page));
	char after[CV_ID_MAX] = "";
	uint8_t *sk = NULL;
	struct stats_keys *ks = NULL;
	int stop = 0, told_stop = 0; /* told: cb asked to stop */
	cv_status st = page ? cv_vkey_open(s, CV_VKEY_STATS, &sk, err)
			    : cv_err_set(err, CV_ERROR, "out of memory");

	if (st == CV_OK)
		st = stats_keys_new(sk, &ks, err);
	*cases = 0;
	/* Nothing below writes users or key_history: each signer's identities
	 * are looked up and verified once. */
	cv_ident_cache_on(s->v);
	/* A page of cases, then their records, each collected by one walk;
	 * then checked and given to cb outside the walks (the store is not
	 * called from inside a walk).  Memory holds one page at a time. */
	while (st == CV_OK && !stop) {
		cv_rec_list l = {0};
		size_t next = 0;

		st = cv_store_case_page(s->v->st, after, STATS_PAGE, keep_case, page, err);
		if (st != CV_OK || page->n == 0)
			break;
		st = cv_store_record_range(s->v->st, page->v[0].id, page->v[page->n - 1].id,
					   collect_record, &l, err);
		if (st == CV_OK && l.oom)
			st = cv_err_set(err, CV_ERROR, "out of memory");
		for (size_t i = 0; i < page->n && st == CV_OK && !stop; i++)
			st = stats_case(s, ks, &page->v[i], &l, &next, cb, arg, &stop, cases, err);
		told_stop = stop;
		snprintf(after, sizeof(after), "%s", page->v[page->n - 1].id);
		if (page->n < STATS_PAGE)
			stop = 1;
		cv_rec_list_free(&l);
		case_page_clear(page);
	}
	/* Every row read: what the walk summed is compared with the log once
	 * the verification's walk of it is done (verify.h
	 * cv_verify_in_op_end). */
	if (st == CV_OK && !told_stop && s->v->vouch && s->v->vouch->filled)
		s->v->vouch->counted = 1;
	case_page_clear(page);
	free(page);
	sodium_free(ks);
	sodium_free(sk);
	cv_ident_cache_off(s->v);
	return st;
}

/* ---- break-glass events ------------------------------------------------------ */

static void crisis_of(const cv_record *r, cv_crisis_event *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", r->id);
	snprintf(e->case_id, sizeof(e->case_id), "%s", r->case_id);
	e->author_id = r->author_id;
	snprintf(e->created_at, sizeof(e->created_at), "%s", r->created_at);
}

cv_status cv_access_crisis_events(cv_session *s, cv_crisis_event **out, size_t *n, cv_err *err)
{
	cv_rec_list l = {0};
	cv_status st;

	*out = NULL;
	*n = 0;
	/* Collect first: the store is not called from inside its walk. */
	st = cv_store_record_each_type(s->v->st, cv_rec_type_name(CV_REC_CRISIS), collect_record,
				       &l, err);
	if (st == CV_OK && l.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	/* Without the case key only the signature can be checked, not the mac. */
	for (size_t i = 0; i < l.n && st == CV_OK; i++)
		st = cv_record_check(s->v, &l.v[i], NULL, err);
	if (st == CV_OK && l.n && !(*out = calloc(l.n, sizeof(**out))))
		st = cv_err_set(err, CV_ERROR, "out of memory");
	for (size_t i = 0; i < l.n && st == CV_OK; i++)
		crisis_of(&l.v[i], &(*out)[(*n)++]);
	cv_rec_list_free(&l);
	return st;
}

cv_status cv_access_crisis_event(cv_session *s, const char *id, cv_crisis_event *out, cv_err *err)
{
	cv_record r = {0};
	cv_status st = cv_id_ok(id) ? cv_store_record_get(s->v->st, id, &r, err) : CV_ENOTFOUND;

	if (st == CV_OK && cv_word_parse(&cv_rec_types, r.type) != CV_REC_CRISIS)
		st = CV_ENOTFOUND;
	if (st == CV_ENOTFOUND)
		st = cv_fail(err, CV_ENOTFOUND, "crisis.not-found",
			     "no break-glass event '{1}'; 'casevault audit alerts' lists them "
			     "(X-XXXXXX)",
			     id ? id : "");
	if (st == CV_OK)
		st = cv_record_check(s->v, &r, NULL, err);
	if (st == CV_OK)
		crisis_of(&r, out);
	cv_record_clear(&r);
	return st;
}

/* ---- many cases ------------------------------------------------------------ */

cv_status cv_access_granted(cv_session *s, cv_id_list *ids, cv_err *err)
{
	return ids_checked(cv_store_case_granted(s->v->st, s->me.id, cv_id_list_add, ids, err), ids,
			   err);
}

cv_status cv_access_granted_clear(cv_vault *v, const char *user,
				  int (*cb)(const char *id, const char *status, void *arg),
				  void *arg, cv_err *err)
{
	cv_user_rec u = {0};
	cv_id_list ids = {0};
	cv_status st = cv_store_user_by_name(v->st, user, &u, err);

	if (st == CV_OK)
		st = ids_checked(cv_store_case_granted(v->st, u.id, cv_id_list_add, &ids, err),
				 &ids, err);
	for (size_t i = 0; st == CV_OK && i < ids.n; i++) {
		cv_case_rec r = {0};
		cv_status g = cv_store_case_get(v->st, ids.ids[i], &r, err);

		if (g == CV_OK && cb(r.id, r.status, arg))
			i = ids.n;
		else if (g != CV_OK && g != CV_ENOTFOUND)
			st = g;
		cv_case_rec_clear(&r);
	}
	cv_id_list_free(&ids);
	return st;
}

cv_status cv_access_by_index(cv_session *s, const uint8_t tag[CV_HASH_LEN], int granted_only,
			     cv_id_list *ids, int *open, cv_err *err)
{
	cv_id_list all = {0};
	cv_key_copy copy;
	cv_status st =
	    ids_checked(cv_store_case_find(s->v->st, tag, cv_id_list_add, &all, err), &all, err);

	if (open)
		*open = 0;
	for (size_t i = 0; i < all.n && st == CV_OK; i++) {
		cv_case_rec r = {0};

		if (granted_only) {
			cv_status g =
			    cv_store_grant_get(s->v->st, all.ids[i], s->me.id, &copy, err);

			if (g == CV_OK)
				cv_id_list_add(all.ids[i], ids);
			else if (g != CV_ENOTFOUND)
				st = g;
			continue;
		}
		st = cv_store_case_get(s->v->st, all.ids[i], &r, err);
		if (st == CV_OK && open)
			*open += cv_word_parse(&cv_case_states, r.status) == CV_CASE_OPEN;
		cv_case_rec_clear(&r);
	}
	cv_id_list_free(&all);
	return ids_checked(st, ids, err);
}

/*
 * A record walk's callback: adds the record's case to the id list (a
 * cv_id_list) unless the list names it already.  The store gives the
 * records oldest first, not case by case (B, A, B when B's second record
 * is the newest), so the whole list is searched, not only its last id: a
 * case named twice would be decrypted, logged and listed twice.
 */
static int collect_case_of(const cv_record *r, void *arg)
{
	cv_id_list *ids = arg;

	/* From the newest: a case's records mostly come together. */
	for (size_t k = ids->n; k-- > 0;)
		if (strcmp(ids->ids[k], r->case_id) == 0)
			return 0;
	return cv_id_list_add(r->case_id, ids);
}

/* Each case once, in the order of its oldest record of the type; ids
 * already in the list are not added again. */
cv_status cv_access_with_records(cv_session *s, cv_rec_type type, cv_id_list *ids, cv_err *err)
{
	return ids_checked(cv_store_record_each_granted(s->v->st, s->me.id, cv_rec_type_name(type),
							collect_case_of, ids, err),
			   ids, err);
}

/*
 * For a key holder behind a socket (the unlock agent): opens the copies of
 * the next EACH_BATCH cases' keys in one round trip instead of one each,
 * from their senders' current identities.  case_load's checks are not
 * changed: they find the copies opened (and ask for any other).
 */
static void prefetch_grants(cv_session *s, const cv_id_list *ids, size_t from)
{
	cv_key_copy g[EACH_BATCH];
	uint8_t pk[EACH_BATCH][crypto_box_PUBLICKEYBYTES], rpk[crypto_box_PUBLICKEYBYTES];
	cv_unbox_item items[EACH_BATCH];
	cv_user_rec u;
	size_t n = 0;

	if (!cv_keyholder_prefetches(s->kh) || cv_recovery_pk(s->v, rpk, NULL) != CV_OK)
		return;
	for (size_t i = from; i < ids->n && i - from < EACH_BATCH; i++) {
		if (cv_store_grant_get(s->v->st, ids->ids[i], s->me.id, &g[n], NULL) != CV_OK)
			continue;
		if (g[n].sender_id == 0)
			memcpy(pk[n], rpk, sizeof(rpk));
		else if (cv_store_user_by_id(s->v->st, g[n].sender_id, &u, NULL) == CV_OK)
			memcpy(pk[n], u.box_pk, sizeof(pk[n]));
		else
			continue;
		items[n] = (cv_unbox_item){g[n].box, sizeof(g[n].box), g[n].nonce, pk[n], NULL, 0};
		n++;
	}
	cv_keyholder_prefetch(s->kh, items, n);
}

/* Decrypts up to EACH_BATCH cases from ids[*next], logging one row for each
 * (ok, or failed when it does not open) in one transaction. */
static cv_status each_batch(cv_session *s, const cv_id_list *ids, size_t *next,
			    struct cv_case **got, size_t *ngot, size_t *bad, char *first_bad,
			    cv_err *err)
{
	cv_status st = cv_op_begin(s, err);

	*ngot = 0;
	if (st == CV_OK)
		prefetch_grants(s, ids, *next);
	for (; st == CV_OK && *next < ids->n && *ngot < EACH_BATCH; (*next)++) {
		char object[CV_ID_MAX + 8], detail[CV_LOG_DETAIL_MAX];
		struct cv_case *c = calloc(1, sizeof(*c));
		cv_err cerr = {0};
		cv_status cst;

		if (!c) {
			st = cv_err_set(err, CV_ERROR, "out of memory");
			break;
		}
		cv_object_name(object, sizeof(object), "case", ids->ids[*next]);
		cst = case_load(s, ids->ids[*next], CV_NEED_CONTENT, NULL, c, &cerr);
		if (cst == CV_OK) {
			got[(*ngot)++] = c;
			st = cv_op_log(s, CV_ACT_CASE_READ, object, CV_OUT_OK, "", err);
			continue;
		}
		cv_case_free(c);
		if (cst == CV_ENOTFOUND || cst == CV_EDENIED)
			continue; /* shredded, or no longer granted */
		if (cst != CV_EINTEGRITY) {
			/* Passed on whole: its code, template and arguments. */
			if (err)
				*err = cerr;
			st = cst;
			break;
		}
		if (!(*bad)++)
			snprintf(first_bad, CV_ID_MAX, "%s", ids->ids[*next]);
		cv_log_detail(&cerr, detail, sizeof(detail));
		st = cv_op_log(s, CV_ACT_CASE_READ, object, CV_OUT_FAILED, detail, err);
	}
	cv_keyholder_prefetch(s->kh, NULL, 0); /* what was not asked for is wiped */
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	else
		cv_store_rollback(s->v->st);
	return st;
}

cv_status cv_access_each(cv_session *s, const cv_id_list *ids, cv_action action,
			 int (*cb)(cv_session *s, struct cv_case *c, void *arg), void *arg,
			 cv_err *err)
{
	struct cv_case *got[EACH_BATCH];
	char first_bad[CV_ID_MAX] = "", detail[48];
	size_t next = 0, ngot = 0, bad = 0;
	int stop = 0;
	cv_status st = cv_policy_check(s, action, "cases", err);

	if (st != CV_OK)
		return st;
	snprintf(detail, sizeof(detail), "cases=%zu", ids->n);
	st = cv_op_begin(s, err);
	if (st == CV_OK)
		st = cv_op_log(s, action, "cases", CV_OUT_OK, detail, err);
	if (st == CV_OK)
		st = cv_op_commit(s, err);
	while (st == CV_OK && !stop && next < ids->n) {
		st = each_batch(s, ids, &next, got, &ngot, &bad, first_bad, err);
		for (size_t i = 0; i < ngot; i++) {
			if (st == CV_OK && !stop)
				stop = cb(s, got[i], arg);
			cv_case_free(got[i]);
		}
	}
	if (st == CV_OK && bad) {
		char n[24];

		st = cv_fail(err, CV_EINTEGRITY, "case.unverified",
			     "{1} case(s) failed verification and were not shown (first: '{2}'); "
			     "the vault was tampered with: run 'casevault audit verify'",
			     cv_num(n, (long long)bad), first_bad);
	}
	return st;
}

/* ---- users ------------------------------------------------------------------- */

cv_status cv_access_reseal_user(cv_session *s, cv_keyholder *recovery, const cv_user_rec *to,
				int64_t *cases, cv_err *err)
{
	cv_id_list ids = {0};
	cv_status st = ids_checked(
	    cv_store_grant_each_user(s->v->st, to->id, cv_id_list_add, &ids, err), &ids, err);

	*cases = 0;
	for (size_t i = 0; i < ids.n && st == CV_OK; i++) {
		uint8_t *key = NULL;
		cv_case_rec cr = {0};

		st = cv_store_case_get(s->v->st, ids.ids[i], &cr, err);
		if (st == CV_OK && cv_word_parse(&cv_case_states, cr.status) != CV_CASE_SHREDDED) {
			st = recovery_key_open(recovery, &cr, &key, err);
			if (st == CV_OK)
				st = cv_case_check(s->v, &cr, key, err);
			if (st == CV_OK)
				st = grant_put(s, cr.id, key, to->id, to->box_pk, recovery, err);
			if (st == CV_OK)
				(*cases)++;
		}
		sodium_free(key);
		cv_case_rec_clear(&cr);
	}
	cv_id_list_free(&ids);
	return st;
}

cv_status cv_access_rekey_user(cv_session *s, cv_keyholder *from, const cv_user_rec *to,
			       cv_keyholder *sender, int64_t *cases, cv_err *err)
{
	uint8_t rpk[crypto_box_PUBLICKEYBYTES];
	cv_id_list ids = {0};
	cv_status st = ids_checked(
	    cv_store_grant_each_user(s->v->st, to->id, cv_id_list_add, &ids, err), &ids, err);

	*cases = 0;
	if (st == CV_OK)
		st = recovery_pk(s, rpk, err);
	for (size_t i = 0; i < ids.n && st == CV_OK; i++) {
		cv_case_rec cr = {0};
		cv_key_copy g, fresh;
		cv_role role = 0;
		uint8_t *key = NULL;

		st = cv_store_case_get(s->v->st, ids.ids[i], &cr, err);
		if (st == CV_OK && cv_word_parse(&cv_case_states, cr.status) == CV_CASE_SHREDDED) {
			cv_case_rec_clear(&cr);
			continue;
		}
		if (st == CV_OK)
			st = cv_store_grant_get(s->v->st, cr.id, to->id, &g, err);
		/* The copy the old key (or the enrolment code) opens, checked
		 * against the case's key commitment, then made anew from the
		 * user's new key to itself. */
		if (st == CV_OK)
			st = cv_copy_open(s->v, CV_GRANTS_TABLE, cr.id, &g, from, rpk,
					  cr.key_commit, &role, &key, err);
		if (st == CV_OK)
			st = cv_copy_make(s->v, CV_GRANTS_TABLE, cr.id, key, to->id, to->box_pk,
					  to->id, sender, &fresh, err);
		if (st == CV_OK)
			st = cv_store_grant_put(s->v->st, cr.id, &fresh, err);
		if (st == CV_OK)
			(*cases)++;
		sodium_free(key);
		cv_case_rec_clear(&cr);
	}
	cv_id_list_free(&ids);
	return st;
}

cv_status cv_access_revoke_user(cv_session *s, int64_t user_id, cv_err *err)
{
	return cv_store_keys_delete_user(s->v->st, user_id, err);
}

/* ---- asking first ------------------------------------------------------------ */

/* What each case operation needs, for cv_may_case.  The commands pass the
 * same needs to cv_access_enter; tests run both on the same cases. */
static const struct case_rule {
	cv_action action;
	unsigned need;
	unsigned scope;	  /* consent needed; for notes, from the kind */
	cv_rec_type type; /* the id names a record of this type, or 0: a case */
} case_rules[] = {
    {CV_ACT_CASE_SHOW, CV_NEED_CONTENT, 0, 0},
    {CV_ACT_CASE_CLOSE, CV_NEED_CONTENT | CV_NEED_OPEN, 0, 0},
    {CV_ACT_CASE_REOPEN, CV_NEED_CONTENT, 0, 0},
    {CV_ACT_CASE_SHARE, CV_NEED_CONTENT, 0, 0},
    {CV_ACT_CASE_HANDOVER, CV_NEED_RECOVERY, 0, 0},
    {CV_ACT_CASE_SHRED, CV_NEED_RECOVERY, 0, 0},
    {CV_ACT_CONSENT_RECORD, CV_NEED_CONTENT | CV_NEED_OPEN, 0, 0},
    {CV_ACT_CONSENT_WITHDRAW, CV_NEED_CONTENT, 0, 0},
    {CV_ACT_NOTE_ADD, CV_NEED_CONTENT | CV_NEED_OPEN, CV_SCOPE_INDIVIDUAL, 0},
    {CV_ACT_NOTE_EDIT, CV_NEED_CONTENT | CV_NEED_OPEN, CV_SCOPE_INDIVIDUAL, CV_REC_NOTE},
    {CV_ACT_NOTE_FINALIZE, CV_NEED_CONTENT, 0, CV_REC_NOTE},
    {CV_ACT_NOTE_AMEND, CV_NEED_CONTENT, CV_SCOPE_INDIVIDUAL, CV_REC_NOTE},
    {CV_ACT_NOTE_SHOW, CV_NEED_CONTENT, 0, CV_REC_NOTE},
    {CV_ACT_TEST_ADD, CV_NEED_CONTENT | CV_NEED_OPEN, CV_SCOPE_TESTING, 0},
    {CV_ACT_REFERRAL_ADD, CV_NEED_CONTENT | CV_NEED_OPEN, CV_SCOPE_REFERRAL, 0},
    {CV_ACT_REFERRAL_UPDATE, CV_NEED_CONTENT, 0, CV_REC_REFERRAL},
    {CV_ACT_WATCH_ADD, CV_NEED_CONTENT | CV_NEED_OPEN, 0, 0},
    {CV_ACT_WATCH_DONE, CV_NEED_CONTENT, 0, 0},
};

static unsigned note_kind_scope(const cv_record *r)
{
	return cv_note_kind_scope(r->kind);
}

cv_status cv_may_case(cv_session *s, cv_action action, const char *id, const char *kind,
		      const char *crisis, cv_err *err)
{
	return cv_may_case_context(s, action, id, kind, crisis, NULL, err);
}

cv_status cv_may_case_context(cv_session *s, cv_action action, const char *id, const char *kind,
			      const char *crisis, cv_case_context *ctx, cv_err *err)
{
	CV_ERR_GUARD(err);
	const struct case_rule *k = NULL;
	struct cv_case *c = NULL;
	char object[CV_ID_MAX + 8];
	cv_record r = {0};
	cv_status st;

	for (size_t i = 0; i < ARRAY_SIZE(case_rules); i++)
		if (case_rules[i].action == action)
			k = &case_rules[i];
	if (!k)
		return cv_policy_check(s, action, "cases", err);
	if (k->need & CV_NEED_RECOVERY) {
		/* The key comes with the recovery code, asked next: here only
		 * the role and that the case can still be handed over or
		 * shredded. */
		cv_case_rec rec = {0};

		cv_object_name(object, sizeof(object), "case", id ? id : "");
		st = cv_policy_check(s, action, object, err);
		if (st != CV_OK)
			return st;
		st = cv_id_ok(id) ? cv_store_case_get(s->v->st, id, &rec, err) : CV_ENOTFOUND;
		if (st == CV_ENOTFOUND)
			no_case(id, err);
		/* A tombstone says so only with the shredding admin's signature. */
		if (st == CV_OK && cv_word_parse(&cv_case_states, rec.status) == CV_CASE_SHREDDED) {
			st = cv_case_check(s->v, &rec, NULL, err);
			if (st == CV_OK)
				st = cv_fail(err, CV_ENOTFOUND, "case.shredded",
					     "case '{1}' was shredded: nothing of it remains to "
					     "hand over or shred",
					     id);
		}
		cv_case_rec_clear(&rec);
		return st == CV_OK ? CV_OK : cv_op_fail(s, action, object, err);
	}
	if (k->type)
		st = cv_access_enter_record(s, id, k->type, action, k->need,
					    k->scope ? note_kind_scope : NULL, crisis, &r, &c, err);
	else
		st =
		    cv_access_enter(s, id, action, k->need,
				    action == CV_ACT_NOTE_ADD ? cv_note_kind_scope(kind) : k->scope,
				    crisis, NULL, &c, err);
	if (st != CV_OK)
		return st;
	if (ctx) {
		unsigned scope = k->type == CV_REC_NOTE && k->scope ? note_kind_scope(&r)
				 : action == CV_ACT_NOTE_ADD	    ? cv_note_kind_scope(kind)
								    : k->scope;
		int bit = 0;

		memset(ctx, 0, sizeof(*ctx));
		snprintf(ctx->case_id, sizeof(ctx->case_id), "%s", c->rec.id);
		/* An addendum is its own kind (it needs what the amended note
		 * needed). */
		snprintf(ctx->kind, sizeof(ctx->kind), "%s",
			 action == CV_ACT_NOTE_AMEND ? "addendum"
			 : k->type == CV_REC_NOTE    ? r.kind
			 : kind			     ? kind
						     : "session");
		while (scope && !(scope & (1u << bit)))
			bit++;
		if (scope)
			snprintf(ctx->scope, sizeof(ctx->scope), "%s", cv_scopes.words[bit + 1]);
		ctx->minor = c->minor;
		ctx->under_crisis = c->crisis != NULL;
	}
	/* Allowed: nothing was written; the command itself logs what it does. */
	cv_store_rollback(s->v->st);
	cv_record_clear(&r);
	cv_case_free(c);
	return CV_OK;
}

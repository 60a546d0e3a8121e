/*
 * cert.c - middle layer: certificates.  A user is an admin-signed identity
 * (name, role, public keys) and an admin-signed status; both chains are
 * checked down to the vault's first, self-signed admin.  Key copies are
 * boxed and signed by their sender; case rows and records are signed by
 * their writer, with a mac under the case key.  See docs/FORMAT.md for
 * every signed message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cert.h"
#include "crypt.h"
#include "err.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

static const char cert_domain[] = "casevault-user-cert-v1";
static const char status_domain[] = "casevault-user-status-v1";
static const char copy_domain[] = "casevault-key-copy-v1";
static const char case_domain[] = "casevault-case-v1";
static const char record_domain[] = "casevault-record-v1";

cv_role cv_user_role(const cv_user_rec *r)
{
	return cv_role_parse(r->role);
}

static void cert_msg(const cv_vault *v, const cv_user_rec *r, cv_buf *b)
{
	cv_buf_raw(b, cert_domain, sizeof(cert_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_u64(b, (uint64_t)r->id);
	cv_buf_lp(b, r->name);
	cv_buf_lp(b, r->role);
	cv_buf_raw(b, r->box_pk, sizeof(r->box_pk));
	cv_buf_raw(b, r->sign_pk, sizeof(r->sign_pk));
	cv_buf_u64(b, (uint64_t)r->cert_seq);
	cv_buf_u64(b, (uint64_t)r->creator_id);
}

static void status_msg(const cv_vault *v, const cv_user_rec *r, cv_buf *b)
{
	cv_buf_raw(b, status_domain, sizeof(status_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_u64(b, (uint64_t)r->id);
	cv_buf_lp(b, r->status);
	cv_buf_u64(b, (uint64_t)r->status_seq);
	cv_buf_u64(b, (uint64_t)r->status_signer_id);
}

typedef void (*msg_fn)(const cv_vault *, const cv_user_rec *, cv_buf *);

static cv_status sign_with(cv_vault *v, const cv_user_rec *r, msg_fn fn, cv_keyholder *kh,
			   uint8_t sig[crypto_sign_BYTES], cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	fn(v, r, &b);
	if (b.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	else
		st = cv_keyholder_sign(kh, b.data, b.len, sig, err);
	cv_buf_free(&b);
	return st;
}

static int verify_with(const cv_vault *v, const cv_user_rec *r, msg_fn fn,
		       const uint8_t sig[crypto_sign_BYTES],
		       const uint8_t pk[crypto_sign_PUBLICKEYBYTES])
{
	cv_buf b = CV_BUF_INIT;
	int ok;

	fn(v, r, &b);
	ok = !b.oom && crypto_sign_verify_detached(sig, b.data, b.len, pk) == 0;
	cv_buf_free(&b);
	return ok;
}

/* Whether user id was disabled before audit row seq (accounts are never
 * re-enabled, so a disabled status set earlier still holds then). */
static int disabled_before(cv_vault *v, int64_t id, int64_t seq)
{
	cv_user_rec u;

	if (cv_store_user_by_id(v->st, id, &u, NULL) != CV_OK)
		return 1;
	return strcmp(u.status, "active") != 0 && u.status_seq < seq;
}

/*
 * Identity chain: an identity (cert_seq c) is signed by its creator, an
 * admin, with the identity the creator held before c -- which must verify
 * in turn -- down to user 1's first identity (cert_seq 1), which signs
 * itself.  cert_seq strictly decreases along the chain, so it ends; but the
 * file chooses how long it is, so the walk is a loop over at most
 * CV_CHAIN_MAX links, never a recursion.
 *
 * The checks and their order are those of the recursive definition
 * (FORMAT.md 5.4): going down, each link's own fields and the existence of
 * its signer; at the bottom, the first admin; then coming back up, for
 * each link, its signer's role, the signer's status and the signature.
 */

/* Down one link: the checks made before the signer is verified, and the
 * signer into *creator.  *root is set at the first admin (no signer). */
static cv_status chain_down(cv_vault *v, const cv_user_rec *r, cv_user_rec *creator, int *root,
			    cv_err *err)
{
	cv_status st;

	*root = 0;
	if (cv_name_check(r->name, NULL) != CV_OK || !cv_user_role(r))
		return cv_cert_bad(err, r, "user.cert-fields", "its name or role is not valid");
	if (r->id == 1 && r->cert_seq == 1) {
		if (r->creator_id != 1 || cv_user_role(r) != CV_ROLE_ADMIN)
			return cv_cert_bad(err, r, "user.cert-first-admin",
					   "the first admin must be a self-signed admin");
		if (!verify_with(v, r, cert_msg, r->cert_sig, r->sign_pk))
			return cv_cert_bad(err, r, "user.cert-signature",
					   "its identity signature does not match (name, role or "
					   "keys were altered)");
		*root = 1;
		return CV_OK;
	}
	if (r->creator_id == r->id || r->cert_seq < 2)
		return cv_cert_bad(err, r, "user.cert-self-signed",
				   "it claims to have signed itself");
	st = cv_store_cert_at(v->st, r->creator_id, r->cert_seq - 1, creator, err);
	if (st == CV_ENOTFOUND)
		return cv_cert_bad(err, r, "user.cert-signer-unknown",
				   "the admin who signed it did not exist then");
	return st;
}

/* Up one link: r's checks once its signer (creator) has verified. */
static cv_status chain_up(cv_vault *v, const cv_user_rec *r, const cv_user_rec *creator,
			  cv_err *err)
{
	if (cv_user_role(creator) != CV_ROLE_ADMIN)
		return cv_cert_bad(err, r, "user.cert-signer-role",
				   "it was signed by a user who is not an admin");
	if (disabled_before(v, creator->id, r->cert_seq))
		return cv_cert_bad(err, r, "user.cert-signer-disabled",
				   "it was signed by an admin who was already disabled");
	if (!verify_with(v, r, cert_msg, r->cert_sig, creator->sign_pk))
		return cv_cert_bad(
		    err, r, "user.cert-signature",
		    "its identity signature does not match (name, role or keys were altered)");
	return CV_OK;
}

static cv_status verify_identity(cv_vault *v, const cv_user_rec *r, cv_err *err)
{
	/* chain[0] is r, chain[i + 1] the signer of chain[i]; a real chain is
	 * short, so it starts on the stack. */
	cv_user_rec local[8], *chain = local;
	size_t n = 0, cap = sizeof(local) / sizeof(local[0]);
	cv_status st = CV_OK;
	int root = 0;

	chain[n++] = *r;
	while (st == CV_OK && !root) {
		if (n == cap && cap < CV_CHAIN_MAX) {
			size_t more = cap * 2 < CV_CHAIN_MAX ? cap * 2 : CV_CHAIN_MAX;
			cv_user_rec *p = malloc(more * sizeof(*p));

			if (!p) {
				st = cv_err_set(err, CV_ERROR, "out of memory");
				break;
			}
			memcpy(p, chain, n * sizeof(*p));
			if (chain != local)
				free(chain);
			chain = p;
			cap = more;
		}
		if (n == CV_CHAIN_MAX) {
			char max[24];

			st =
			    cv_fail(err, CV_EINTEGRITY, "user.cert-chain",
				    "the record of user '{1}' fails verification: its chain of "
				    "signing admins is longer than {2}; the vault was tampered "
				    "with (run 'casevault audit verify' and restore from a backup)",
				    r->name, cv_num(max, CV_CHAIN_MAX));
			break;
		}
		st = chain_down(v, &chain[n - 1], &chain[n], &root, err);
		if (st == CV_OK && !root)
			n++;
	}
	/* chain[n - 1] is the first admin; every link above it, bottom up. */
	for (size_t i = n - 1; st == CV_OK && i > 0; i--)
		st = chain_up(v, &chain[i - 1], &chain[i], err);
	if (chain != local)
		free(chain);
	return st;
}

cv_status cv_user_verify(cv_vault *v, const cv_user_rec *r, cv_err *err)
{
	cv_user_rec signer;
	cv_status st;

	st = verify_identity(v, r, err);
	if (st != CV_OK)
		return st;
	if (strcmp(r->status, "active") != 0 && strcmp(r->status, "disabled") != 0)
		return cv_cert_bad(err, r, "user.status-invalid", "its status is not valid");
	/* The status is signed with the identity its signer held at status_seq
	 * (for user 1 at init, its own first identity). */
	st = cv_store_cert_at(v->st, r->status_signer_id, r->status_seq, &signer, err);
	if (st == CV_ENOTFOUND)
		return cv_cert_bad(err, r, "user.status-signer-unknown",
				   "the admin who set its status did not exist then");
	if (st != CV_OK)
		return st;
	if (signer.id == r->id && !(r->id == 1 && r->status_seq == 1))
		return cv_cert_bad(err, r, "user.status-self-signed",
				   "its status is signed by itself");
	st = verify_identity(v, &signer, err);
	if (st != CV_OK)
		return st;
	if (cv_user_role(&signer) != CV_ROLE_ADMIN)
		return cv_cert_bad(err, r, "user.status-signer-role",
				   "its status was signed by a user who is not an admin");
	if (signer.id != r->id && disabled_before(v, signer.id, r->status_seq))
		return cv_cert_bad(err, r, "user.status-signer-disabled",
				   "its status was set by an admin who was already disabled");
	if (!verify_with(v, r, status_msg, r->status_sig, signer.sign_pk))
		return cv_cert_bad(err, r, "user.status-signature",
				   "its status signature does not match (it was enabled or "
				   "disabled without an admin)");
	return CV_OK;
}

cv_status cv_user_cert_verify(cv_vault *v, const cv_user_rec *cert, cv_err *err)
{
	return verify_identity(v, cert, err);
}

cv_status cv_cert_sign(cv_vault *v, cv_user_rec *r, cv_cert_part part, cv_keyholder *kh,
		       cv_err *err)
{
	if (part == CV_CERT_IDENTITY)
		return sign_with(v, r, cert_msg, kh, r->cert_sig, err);
	return sign_with(v, r, status_msg, kh, r->status_sig, err);
}

cv_status cv_note_signature(cv_vault *v, const cv_record *r, int *ok, cv_err *err)
{
	cv_err why = {0};
	cv_status st;

	*ok = 0;
	if (cv_word_parse(&cv_note_states, r->status) != CV_NOTE_FINAL ||
	    r->signer_id != r->author_id)
		return CV_OK;
	st = cv_record_check(v, r, NULL, &why);
	if (st == CV_OK)
		*ok = 1;
	else if (st != CV_EINTEGRITY) { /* not a finding: an error */
		if (err)
			*err = why;
		return st;
	}
	return CV_OK;
}

const char *cv_user_name(cv_vault *v, int64_t id, char *buf, size_t cap)
{
	cv_user_rec u;

	if (cv_store_user_by_id(v->st, id, &u, NULL) == CV_OK)
		snprintf(buf, cap, "%s", u.name);
	else
		snprintf(buf, cap, "#%lld", (long long)id);
	return buf;
}

struct user_vec {
	cv_user_rec *v;
	size_t n;
	int oom;
};

static int collect_user(const cv_user_rec *r, void *arg)
{
	struct user_vec *u = arg;
	cv_user_rec *p = realloc(u->v, (u->n + 1) * sizeof(*p));

	if (!p) {
		u->oom = 1;
		return 1;
	}
	u->v = p;
	u->v[u->n++] = *r;
	return 0;
}

cv_status cv_user_all(cv_vault *v, cv_user_rec **out, size_t *n, cv_err *err)
{
	struct user_vec u = {0};
	cv_status st = cv_store_user_each(v->st, collect_user, &u, err);

	if (st == CV_OK && u.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	if (st != CV_OK) {
		free(u.v);
		u.v = NULL;
		u.n = 0;
	}
	*out = u.v;
	*n = u.n;
	return st;
}

/* ---- signed rows --------------------------------------------------------- */

/* Calls try(identity, arg) with every identity user id has held, newest
 * first, that verifies (at most CV_IDENTITIES_MAX: a hostile file cannot
 * make this loop long), until it returns 1; *found is then that identity.
 * An identity that fails verification is skipped; a store failure is an
 * error. */
static cv_status each_identity(cv_vault *v, int64_t id, int (*try)(const cv_user_rec *, void *),
			       void *arg, cv_user_rec *found, int *ok, cv_err *err)
{
	int64_t at = INT64_MAX;
	cv_status st = CV_OK;
	size_t tried = 0;

	*ok = 0;
	while (!*ok && tried++ < CV_IDENTITIES_MAX) {
		cv_err why = {0};
		cv_status v_st;

		st = cv_store_cert_at(v->st, id, at, found, err);
		if (st == CV_ENOTFOUND)
			return CV_OK;
		if (st != CV_OK)
			return st;
		v_st = cv_user_cert_verify(v, found, &why);
		if (v_st != CV_OK && v_st != CV_EINTEGRITY) {
			if (err)
				*err = why;
			return v_st;
		}
		*ok = v_st == CV_OK && try(found, arg);
		at = found->cert_seq - 1;
	}
	return CV_OK;
}

/* The message a key copy's signature covers (its box included). */
static void copy_msg(const cv_vault *v, const char *table, const char *place, const cv_key_copy *c,
		     const uint8_t commit[CV_HASH_LEN], cv_buf *b)
{
	cv_buf_raw(b, copy_domain, sizeof(copy_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_lp(b, table);
	cv_buf_lp(b, place);
	cv_buf_u64(b, (uint64_t)c->user_id);
	cv_buf_u64(b, (uint64_t)c->sender_id);
	cv_buf_lp(b, c->sent_at);
	cv_buf_raw(b, c->nonce, sizeof(c->nonce));
	cv_buf_raw(b, c->box, sizeof(c->box));
	cv_buf_raw(b, commit, CV_HASH_LEN);
}

static cv_status copy_forged(const char *place, cv_err *err)
{
	return cv_fail(err, CV_EINTEGRITY, "copy.forged",
		       "a copy of the key of '{1}' was not made by its sender: it was forged "
		       "or swapped",
		       place);
}

cv_status cv_copy_make(cv_vault *v, const char *table, const char *place, const uint8_t *key,
		       int64_t to_id, const uint8_t *to_pk, int64_t sender_id, cv_keyholder *kh,
		       cv_key_copy *out, cv_err *err)
{
	uint8_t commit[CV_HASH_LEN];
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	memset(out, 0, sizeof(*out));
	out->user_id = to_id;
	out->sender_id = sender_id;
	cv_time_now(out->sent_at);
	randombytes_buf(out->nonce, sizeof(out->nonce));
	st = cv_keyholder_box(kh, key, CV_KEY_LEN, out->nonce, to_pk, out->box, err);
	if (st != CV_OK || sender_id == 0)
		return st;
	cv_key_commit(key, commit);
	copy_msg(v, table, place, out, commit, &b);
	st = b.oom ? cv_err_set(err, CV_ERROR, "out of memory")
		   : cv_keyholder_sign(kh, b.data, b.len, out->sig, err);
	out->has_sig = st == CV_OK;
	cv_buf_free(&b);
	return st;
}

struct copy_try {
	cv_vault *v;
	const char *table, *place;
	const cv_key_copy *c;
	cv_keyholder *kh;
	uint8_t *key;
};

/* Whether the copy opens from this identity of its sender and carries
 * the sender's signature under it. */
static int copy_from(const cv_user_rec *id, void *arg)
{
	struct copy_try *t = arg;
	uint8_t commit[CV_HASH_LEN];
	cv_buf b = CV_BUF_INIT;
	int ok;

	if (cv_keyholder_unbox(t->kh, t->c->box, sizeof(t->c->box), t->c->nonce, id->box_pk, t->key,
			       NULL) != CV_OK)
		return 0;
	cv_key_commit(t->key, commit);
	copy_msg(t->v, t->table, t->place, t->c, commit, &b);
	ok = !b.oom && crypto_sign_verify_detached(t->c->sig, b.data, b.len, id->sign_pk) == 0;
	cv_buf_free(&b);
	return ok;
}

cv_status cv_copy_open(cv_vault *v, const char *table, const char *place, const cv_key_copy *c,
		       cv_keyholder *kh, const uint8_t *recovery_pk, const uint8_t *commit,
		       cv_role *sender_role, uint8_t **key, cv_err *err)
{
	struct copy_try t = {v, table, place, c, kh, NULL};
	uint8_t got[CV_HASH_LEN];
	cv_user_rec sender;
	cv_status st = CV_OK;
	int ok = 0;

	*key = NULL;
	*sender_role = 0;
	t.key = sodium_malloc(CV_KEY_LEN);
	if (!t.key)
		return cv_err_set(err, CV_ERROR, "out of memory");
	if (c->sender_id == 0) {
		/* The recovery key signs nothing: the box itself, which only the
		 * recovery key (or the holder) can have made, authenticates it. */
		ok = recovery_pk && !c->has_sig &&
		     cv_keyholder_unbox(kh, c->box, sizeof(c->box), c->nonce, recovery_pk, t.key,
					NULL) == CV_OK;
	} else if (c->has_sig) {
		st = each_identity(v, c->sender_id, copy_from, &t, &sender, &ok, err);
		if (ok)
			*sender_role = cv_user_role(&sender);
	}
	if (st == CV_OK && !ok)
		st = copy_forged(place, err);
	if (st == CV_OK && commit) {
		cv_key_commit(t.key, got);
		if (sodium_memcmp(got, commit, CV_HASH_LEN) != 0)
			st = cv_fail(err, CV_EINTEGRITY, "copy.key-mismatch",
				     "a copy of the key of '{1}' holds another key than the one "
				     "committed to: it was forged or swapped",
				     place);
	}
	if (st != CV_OK) {
		sodium_free(t.key);
		*sender_role = 0;
		return st;
	}
	*key = t.key;
	return CV_OK;
}

/* Hashes parts into a 32-byte digest appended to b. */
static void buf_hash(cv_buf *b, const cv_bytes *parts, size_t n)
{
	uint8_t h[CV_HASH_LEN];

	cv_hash(h, NULL, 0, NULL, parts, n);
	cv_buf_raw(b, h, sizeof(h));
}

/* The message a case row's signature covers, its signer included. */
static void case_msg(const cv_vault *v, const cv_case_rec *c, cv_buf *b)
{
	const cv_bytes recovery = {c->recovery_key, c->blank ? 0 : sizeof(c->recovery_key)};
	const cv_bytes data[] = {{c->data_nonce, c->blank ? 0 : sizeof(c->data_nonce)},
				 {c->data_box, c->data_len}};
	const cv_bytes stats = {c->stats_box, c->stats_len};

	cv_buf_raw(b, case_domain, sizeof(case_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_lp(b, c->id);
	cv_buf_lp(b, c->status);
	cv_buf_u64(b, (uint64_t)c->opened_by);
	cv_buf_lp(b, c->opened_at);
	cv_buf_lp(b, c->closed_at);
	cv_buf_u64(b, (uint64_t)c->version);
	cv_buf_raw(b, c->index_tag, sizeof(c->index_tag));
	cv_buf_raw(b, c->key_commit, sizeof(c->key_commit));
	buf_hash(b, &recovery, 1);
	buf_hash(b, data, 2);
	buf_hash(b, &stats, 1);
	cv_buf_u64(b, (uint64_t)c->signer_id);
}

/* The message a record's signature covers, its signer included. */
static void record_msg(const cv_vault *v, const cv_record *r, cv_buf *b)
{
	const cv_bytes box[] = {{r->nonce, sizeof(r->nonce)}, {r->box, r->box_len}};

	cv_buf_raw(b, record_domain, sizeof(record_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_lp(b, r->id);
	cv_buf_lp(b, r->case_id);
	cv_buf_lp(b, r->type);
	cv_buf_lp(b, r->parent);
	cv_buf_lp(b, r->kind);
	cv_buf_lp(b, r->status);
	cv_buf_u64(b, (uint64_t)r->version);
	cv_buf_u64(b, (uint64_t)r->author_id);
	cv_buf_lp(b, r->created_at);
	cv_buf_lp(b, r->updated_at);
	cv_buf_lp(b, r->due);
	buf_hash(b, box, 2);
	cv_buf_u64(b, (uint64_t)r->signer_id);
}

/* mac = BLAKE2b-256 keyed with the case key over msg; sig over msg || mac. */
static cv_status row_sign(cv_buf *msg, const uint8_t *key, cv_keyholder *kh,
			  uint8_t mac[CV_HASH_LEN], uint8_t sig[crypto_sign_BYTES], cv_err *err)
{
	cv_bytes part = {msg->data, msg->len};
	cv_status st;

	if (msg->oom)
		return cv_err_set(err, CV_ERROR, "out of memory");
	cv_hash(mac, key, CV_KEY_LEN, NULL, &part, 1);
	cv_buf_raw(msg, mac, CV_HASH_LEN);
	st = msg->oom ? cv_err_set(err, CV_ERROR, "out of memory")
		      : cv_keyholder_sign(kh, msg->data, msg->len, sig, err);
	msg->len -= CV_HASH_LEN;
	return st;
}

struct row_try {
	const cv_buf *msg; /* msg || mac */
	const uint8_t *sig;
};

static int row_from(const cv_user_rec *id, void *arg)
{
	struct row_try *t = arg;

	return crypto_sign_verify_detached(t->sig, t->msg->data, t->msg->len, id->sign_pk) == 0;
}

/* Whether sig over msg || mac verifies under an identity signer has held
 * (*role: that identity's role), and mac is key's when key is not NULL. */
static cv_status row_check(cv_vault *v, cv_buf *msg, int64_t signer, const uint8_t *key,
			   const uint8_t mac[CV_HASH_LEN], const uint8_t sig[crypto_sign_BYTES],
			   cv_role *role, int *ok, cv_err *err)
{
	struct row_try t = {msg, sig};
	uint8_t want[CV_HASH_LEN];
	cv_user_rec id;
	cv_status st;

	*ok = 0;
	*role = 0;
	if (msg->oom)
		return cv_err_set(err, CV_ERROR, "out of memory");
	if (key) {
		cv_bytes part = {msg->data, msg->len};

		cv_hash(want, key, CV_KEY_LEN, NULL, &part, 1);
		if (sodium_memcmp(want, mac, CV_HASH_LEN) != 0)
			return CV_OK;
	}
	cv_buf_raw(msg, mac, CV_HASH_LEN);
	if (msg->oom)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = each_identity(v, signer, row_from, &t, &id, ok, err);
	if (*ok)
		*role = cv_user_role(&id);
	return st;
}

cv_status cv_case_sign(cv_vault *v, cv_case_rec *c, const uint8_t *key, int64_t signer_id,
		       cv_keyholder *kh, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	c->signer_id = signer_id;
	case_msg(v, c, &b);
	st = row_sign(&b, key, kh, c->mac, c->sig, err);
	cv_buf_free(&b);
	return st;
}

cv_status cv_case_check(cv_vault *v, const cv_case_rec *c, const uint8_t *key, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_role role = 0, want = CV_ROLE_COUNSELOR;
	cv_status st;
	int ok = 0;

	case_msg(v, c, &b);
	st = row_check(v, &b, c->signer_id, key, c->mac, c->sig, &role, &ok, err);
	cv_buf_free(&b);
	if (st != CV_OK)
		return st;
	if (cv_word_parse(&cv_case_states, c->status) == CV_CASE_SHREDDED)
		want = CV_ROLE_ADMIN; /* a tombstone: signed by the admin who shredded */
	else if (c->blank)
		ok = 0;
	if (ok && (role != want || (c->version == 1 && c->signer_id != c->opened_by)))
		ok = 0;
	if (!ok)
		return cv_fail(err, CV_EINTEGRITY, "case.forged",
			       "the row of case '{1}' is not signed by a counselor who holds its "
			       "key: it was forged or altered; run 'casevault audit verify' and "
			       "restore from a backup",
			       c->id);
	return CV_OK;
}

cv_status cv_record_sign(cv_vault *v, cv_record *r, const uint8_t *key, int64_t signer_id,
			 cv_keyholder *kh, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	r->signer_id = signer_id;
	record_msg(v, r, &b);
	st = row_sign(&b, key, kh, r->mac, r->sig, err);
	cv_buf_free(&b);
	return st;
}

/* Records that any counselor on the case may rewrite (status, due date,
 * body): their signer is whoever wrote them last. */
static int shared_record(const char *type)
{
	int t = cv_word_parse(&cv_rec_types, type);

	return t == CV_REC_REFERRAL || t == CV_REC_WATCH;
}

cv_status cv_record_check(cv_vault *v, const cv_record *r, const uint8_t *key, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_role role = 0;
	cv_status st;
	int ok = 0;

	record_msg(v, r, &b);
	st = row_check(v, &b, r->signer_id, key, r->mac, r->sig, &role, &ok, err);
	cv_buf_free(&b);
	if (st != CV_OK)
		return st;
	if (ok && (role != CV_ROLE_COUNSELOR ||
		   (r->signer_id != r->author_id && !shared_record(r->type))))
		ok = 0;
	if (!ok)
		return cv_fail(err, CV_EINTEGRITY, "record.forged",
			       "record '{1}' of case '{2}' is not signed by the counselor who "
			       "wrote it: it was forged or altered; run 'casevault audit verify' "
			       "and restore from a backup",
			       r->id, r->case_id);
	return CV_OK;
}

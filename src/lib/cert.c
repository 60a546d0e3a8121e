/*
 * cert.c - middle layer: certificates.  A user is an admin-signed identity
 * (name, role, public keys) and an admin-signed status; both chains are
 * checked down to the vault's first, self-signed admin.  A final note is
 * signed by its author.  See docs/FORMAT.md for every signed message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cert.h"
#include "err.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

static const char cert_domain[] = "casevault-user-cert-v1";
static const char status_domain[] = "casevault-user-status-v1";
static const char note_domain[] = "casevault-note-final-v1";

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

/* The message a finalized note's signature covers. */
static void final_msg(cv_vault *v, const cv_record *r, cv_buf *b)
{
	uint8_t h[CV_HASH_LEN];
	const cv_bytes parts[] = {{r->nonce, sizeof(r->nonce)}, {r->box, r->box_len}};

	cv_hash(h, NULL, 0, NULL, parts, 2);
	cv_buf_raw(b, note_domain, sizeof(note_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_lp(b, r->case_id);
	cv_buf_lp(b, r->id);
	cv_buf_lp(b, r->kind);
	cv_buf_lp(b, r->parent);
	cv_buf_u64(b, (uint64_t)r->version);
	cv_buf_raw(b, h, sizeof(h));
}

/* Whether r's signature verifies under any identity its author has held. */
cv_status cv_note_signature(cv_vault *v, const cv_record *r, int *ok, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_user_rec cert;
	int64_t at = INT64_MAX;
	cv_status st = CV_OK;
	size_t tried = 0;

	*ok = 0;
	if (!r->has_sig)
		return CV_OK;
	final_msg(v, r, &b);
	if (b.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	/* Every identity the author has held, newest first (at most
	 * CV_IDENTITIES_MAX: a hostile file cannot make this loop long). */
	while (st == CV_OK && !*ok && tried++ < CV_IDENTITIES_MAX) {
		cv_err why = {0};
		cv_status v_st;

		st = cv_store_cert_at(v->st, r->author_id, at, &cert, err);
		if (st == CV_ENOTFOUND) {
			st = CV_OK;
			break;
		}
		if (st != CV_OK)
			break;
		v_st = cv_user_cert_verify(v, &cert, &why);
		if (v_st != CV_OK && v_st != CV_EINTEGRITY) { /* not a finding: an error */
			*err = why;
			st = v_st;
			break;
		}
		*ok = v_st == CV_OK &&
		      crypto_sign_verify_detached(r->sig, b.data, b.len, cert.sign_pk) == 0;
		at = cert.cert_seq - 1;
	}
	cv_buf_free(&b);
	return st;
}

cv_status cv_note_sign(cv_vault *v, cv_record *r, cv_keyholder *kh, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	final_msg(v, r, &b);
	st = b.oom ? cv_err_set(err, CV_ERROR, "out of memory")
		   : cv_keyholder_sign(kh, b.data, b.len, r->sig, err);
	r->has_sig = st == CV_OK;
	cv_buf_free(&b);
	return st;
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

/*
 * cert.c - middle layer: certificates.  A user's identity is an admin-
 * signed enrolment certificate (name, role, the public keys of a one-time
 * code, an expiry), then the key pairs the user made at enrolment,
 * certified by the code's key, and any they rotated to since, certified by
 * the key before; with a status signed by an admin (or, for `active`, by
 * the enrolment).  Every chain is checked down to the vault's first, self-
 * signed admin.  Key copies are boxed and signed by their sender; case
 * rows and records are signed by their writer, with a mac under the case
 * key.  See docs/FORMAT.md for every signed message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cert.h"
#include "crypt.h"
#include "err.h"
#include "sigmemo.h"
#include "text.h"
#include "vocab.h"
#include "banned.h"

static const char cert_domain[] = "casevault-user-cert-v1";
static const char enrol_cert_domain[] = "casevault-user-enrol-cert-v1";
static const char enrolled_domain[] = "casevault-user-enrolled-v1";
static const char rotated_domain[] = "casevault-user-rotated-v1";
static const char status_domain[] = "casevault-user-status-v1";
static const char copy_domain[] = "casevault-key-copy-v1";
static const char case_domain[] = "casevault-case-v1";
static const char record_domain[] = "casevault-record-v2";
static const char duty_domain[] = "casevault-duty-v1";

cv_role cv_user_role(const cv_user_rec *r)
{
	return cv_role_parse(r->role);
}

int cv_ident_is_enrolment(const cv_user_rec *r)
{
	return r->creator_id != r->id;
}

/* The first admin's first identity, self-signed at init. */
static int is_root(const cv_user_rec *r)
{
	return r->id == 1 && r->cert_seq == 1;
}

/* docs/FORMAT.md §5.1: the first admin's self-signed identity. */
static void root_msg(const cv_vault *v, const cv_user_rec *r, cv_buf *b)
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

/* §5.5: an enrolment certificate, signed by the admin who issued it. */
static void enrol_cert_msg(const cv_vault *v, const cv_user_rec *r, cv_buf *b)
{
	cv_buf_raw(b, enrol_cert_domain, sizeof(enrol_cert_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_u64(b, (uint64_t)r->id);
	cv_buf_lp(b, r->name);
	cv_buf_lp(b, r->role);
	cv_buf_raw(b, r->box_pk, sizeof(r->box_pk));
	cv_buf_raw(b, r->sign_pk, sizeof(r->sign_pk));
	cv_buf_lp(b, r->expires);
	cv_buf_u64(b, (uint64_t)r->cert_seq);
	cv_buf_u64(b, (uint64_t)r->creator_id);
}

/* §5.6: an identity made by its owner, certified by the identity before
 * it (prev_seq): the enrolment code's key (enrolled) or the owner's
 * previous key (rotated). */
static void keys_msg(const cv_vault *v, const cv_user_rec *r, const char *domain, size_t dlen,
		     int64_t prev_seq, cv_buf *b)
{
	cv_buf_raw(b, domain, dlen);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_u64(b, (uint64_t)r->id);
	cv_buf_lp(b, r->name);
	cv_buf_lp(b, r->role);
	cv_buf_raw(b, r->box_pk, sizeof(r->box_pk));
	cv_buf_raw(b, r->sign_pk, sizeof(r->sign_pk));
	cv_buf_u64(b, (uint64_t)prev_seq);
	cv_buf_u64(b, (uint64_t)r->cert_seq);
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

/* The message an identity's cert_sig (and self_sig) covers; prev is the
 * identity before r for the kinds its owner made (NULL otherwise). */
static void identity_msg(const cv_vault *v, const cv_user_rec *r, const cv_user_rec *prev,
			 cv_buf *b)
{
	if (is_root(r))
		root_msg(v, r, b);
	else if (cv_ident_is_enrolment(r))
		enrol_cert_msg(v, r, b);
	else if (prev && cv_ident_is_enrolment(prev))
		keys_msg(v, r, enrolled_domain, sizeof(enrolled_domain) - 1, prev->cert_seq, b);
	else
		keys_msg(v, r, rotated_domain, sizeof(rotated_domain) - 1,
			 prev ? prev->cert_seq : 0, b);
}

static cv_status sign_buf(cv_buf *b, cv_keyholder *kh, uint8_t sig[crypto_sign_BYTES], cv_err *err)
{
	if (b->oom)
		return cv_err_set(err, CV_ERROR, "out of memory");
	return cv_keyholder_sign(kh, b->data, b->len, sig, err);
}

/* With an unlock agent, a signature it knows to verify is not verified
 * again (sigmemo.h: the same bytes only). */
static int verify_buf(cv_vault *v, const cv_buf *b, const uint8_t sig[crypto_sign_BYTES],
		      const uint8_t pk[crypto_sign_PUBLICKEYBYTES])
{
	return !b->oom && cv_sig_verify(v->sigs, sig, b->data, b->len, pk);
}

/* Whether user id was disabled (or is awaiting enrolment) since before
 * audit row seq: its status is not active and was set before seq.  An
 * account is never re-enabled, and a pending one signs nothing until it
 * enrols, so the current row answers for any earlier row. */
static int disabled_before(cv_vault *v, int64_t id, int64_t seq)
{
	cv_user_rec u;

	if (cv_store_user_by_id(v->st, id, &u, NULL) != CV_OK)
		return 1;
	return strcmp(u.status, cv_user_state_name(CV_USER_ACTIVE)) != 0 && u.status_seq < seq;
}

/* The object of a user's audit rows. */
static void user_object(const cv_user_rec *r, char *out, size_t cap)
{
	snprintf(out, cap, "user:%s", r->name);
}

/* The log side of an identity its owner made at row r->cert_seq: that row
 * is the first ok `user.enrol` of the user after the enrolment certificate
 * prev (exactly one enrolment per code), written no later than the code
 * expired; or an ok `user.rotate` of the user. */
static cv_status check_made_at(cv_vault *v, const cv_user_rec *r, const cv_user_rec *prev,
			       cv_err *err)
{
	int enrolled = cv_ident_is_enrolment(prev);
	const char *action = cv_action_name(enrolled ? CV_ACT_USER_ENROL : CV_ACT_USER_ROTATE);
	char object[CV_NAME_MAX + 8];
	char when[CV_TIME_LEN];
	int ok = 0;
	int64_t seq = 0;
	cv_status st;

	user_object(r, object, sizeof(object));
	st = cv_store_audit_next_seq(v->st, object, cv_outcome_name(CV_OUT_OK), &action, 1,
				     enrolled ? prev->cert_seq : r->cert_seq - 1, &seq, err);
	if (st != CV_OK)
		return st;
	if (seq != r->cert_seq)
		return enrolled
			   ? cv_cert_bad(
				 err, r, "user.cert-enrol-row",
				 CV_TMPL("the record of user '{1}' fails verification: its keys "
					 "are not the first enrolment the log records for its "
					 "enrolment code; the vault was tampered with (run "
					 "'casevault audit verify' and restore from a backup)"))
			   : cv_cert_bad(
				 err, r, "user.cert-rotate-row",
				 CV_TMPL(
				     "the record of user '{1}' fails verification: the log records "
				     "no key rotation at its row; the vault was tampered with (run "
				     "'casevault audit verify' and restore from a backup)"));
	if (!enrolled)
		return CV_OK;
	st = cv_store_audit_time(v->st, seq, when, &ok, err);
	if (st != CV_OK)
		return st;
	if (!ok || strcmp(when, prev->expires) > 0)
		return cv_cert_bad(
		    err, r, "user.cert-enrol-expired",
		    CV_TMPL("the record of user '{1}' fails verification: it was enrolled with a "
			    "code that had expired; the vault was tampered with (run 'casevault "
			    "audit verify' and restore from a backup)"));
	return CV_OK;
}

/* ---- verifications made at this generation of the store ------------------ */

/* Remembered per kind: an identity as a signer, an identity that may be
 * an enrolment certificate, a user (identity and status). */
enum { MEMO_SIGNER, MEMO_ANY_IDENT, MEMO_USER };
#define VERIFIED_MAX 16

struct cv_verified {
	uint64_t gen[2];
	size_t n, next;
	struct {
		int kind;
		cv_user_rec rec;
	} e[VERIFIED_MAX];
};

void cv_verified_forget(cv_vault *v)
{
	free(v->verified);
	v->verified = NULL;
}

size_t cv_verified_held(const cv_vault *v)
{
	return v->verified ? v->verified->n : 0;
}

static int same_gen(const uint64_t a[2], const uint64_t b[2])
{
	return a[0] == b[0] && a[1] == b[1];
}

/* Whether r verified as kind at the store's current generation, which is
 * put in gen (*have: whether the store told it). */
static int verified_before(cv_vault *v, int kind, const cv_user_rec *r, uint64_t gen[2], int *have)
{
	struct cv_verified *m = v->verified;

	*have = cv_store_generation(v->st, gen) == 0;
	if (!*have || !m || !same_gen(m->gen, gen))
		return 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].kind == kind && sodium_memcmp(&m->e[i].rec, r, sizeof(*r)) == 0)
			return 1;
	return 0;
}

/* Remembers that r verified as kind at generation gen, unless the store
 * moved on while it was checked. */
static void verified_now(cv_vault *v, int kind, const cv_user_rec *r, const uint64_t gen[2])
{
	uint64_t after[2];
	struct cv_verified *m;
	size_t slot;

	if (cv_store_generation(v->st, after) != 0 || !same_gen(after, gen))
		return;
	if (!v->verified && !(v->verified = calloc(1, sizeof(*v->verified))))
		return;
	m = v->verified;
	if (!same_gen(m->gen, gen)) {
		m->n = m->next = 0;
		memcpy(m->gen, gen, sizeof(m->gen));
	}
	slot = m->n < VERIFIED_MAX ? m->n++ : m->next++ % VERIFIED_MAX;
	m->e[slot].kind = kind;
	m->e[slot].rec = *r;
}

/*
 * Identity chain, walked without recursion: every identity is signed by
 * the identity before it in the chain, down to user 1's first identity
 * (cert_seq 1), which signs itself:
 *   - an enrolment certificate (creator_id != id) by its creator, an
 *     admin, with the signing identity the creator held at cert_seq - 1;
 *   - an identity its owner made (creator_id == id) by the identity the
 *     owner held at cert_seq - 1: the enrolment certificate's code key
 *     (enrolled) or the owner's previous signing key (rotated), plus a
 *     self-signature by its own key.
 * cert_seq strictly decreases along the chain, and the walk stops after
 * CV_CHAIN_MAX links, so a hostile file cannot make it unbounded.
 * allow_enrolment: r may be an enrolment certificate (which signs nothing
 * itself: a signer must be a signing identity).
 */
static cv_status verify_identity(cv_vault *v, const cv_user_rec *r, int allow_enrolment,
				 cv_err *err)
{
	cv_user_rec cur = *r, next;
	cv_buf b = CV_BUF_INIT;
	cv_status st = CV_OK;
	size_t links = 0;
	/* Only whether r itself may be an enrolment certificate depends on
	 * allow_enrolment: the rest of the walk is the same. */
	int kind = allow_enrolment && cv_ident_is_enrolment(r) ? MEMO_ANY_IDENT : MEMO_SIGNER;
	int have = 0;
	uint64_t gen[2];

	if (verified_before(v, kind, r, gen, &have))
		return CV_OK;

	for (;; cur = next) {
		if (links++ >= CV_CHAIN_MAX) {
			st = cv_cert_bad(
			    err, r, "user.cert-chain-long",
			    CV_TMPL(
				"the record of user '{1}' fails verification: its signing chain is "
				"longer than the vault allows; the vault was tampered with (run "
				"'casevault audit verify' and restore from a backup)"));
			break;
		}
		if (cv_name_check(cur.name, NULL) != CV_OK || !cv_user_role(&cur)) {
			st = cv_cert_bad(
			    err, r, "user.cert-fields",
			    CV_TMPL("the record of user '{1}' fails verification: its name or role "
				    "is not valid; the vault was tampered with (run 'casevault "
				    "audit verify' and restore from a backup)"));
			break;
		}
		b.len = 0;
		if (is_root(&cur)) {
			root_msg(v, &cur, &b);
			if (cur.creator_id != 1 || cv_user_role(&cur) != CV_ROLE_ADMIN ||
			    cur.expires[0] || cur.has_self_sig)
				st = cv_cert_bad(
				    err, r, "user.cert-first-admin",
				    CV_TMPL("the record of user '{1}' fails verification: the "
					    "first admin must be a self-signed admin; the vault "
					    "was tampered with (run 'casevault audit verify' and "
					    "restore from a backup)"));
			else if (!verify_buf(v, &b, cur.cert_sig, cur.sign_pk))
				st = cv_cert_bad(
				    err, r, "user.cert-signature",
				    CV_TMPL("the record of user '{1}' fails verification: its "
					    "identity signature does not match (name, role or keys "
					    "were altered); the vault was tampered with (run "
					    "'casevault audit verify' and restore from a backup)"));
			break;
		}
		if (cur.cert_seq < 2) {
			st = cv_cert_bad(
			    err, r, "user.cert-self-signed",
			    CV_TMPL("the record of user '{1}' fails verification: it claims to "
				    "have signed itself; the vault was tampered with (run "
				    "'casevault audit verify' and restore from a backup)"));
			break;
		}
		if (cv_ident_is_enrolment(&cur)) {
			if (!allow_enrolment) {
				st = cv_cert_bad(
				    err, r, "user.cert-pending",
				    CV_TMPL(
					"the record of user '{1}' fails verification: it was "
					"signed with an enrolment code's key, which signs nothing "
					"but its own enrolment; the vault was tampered with (run "
					"'casevault audit verify' and restore from a backup)"));
				break;
			}
			if (strlen(cur.expires) != CV_TIME_LEN - 1 ||
			    !cv_time_valid(cur.expires, 1) || cur.has_self_sig) {
				st = cv_cert_bad(
				    err, r, "user.cert-fields",
				    CV_TMPL("the record of user '{1}' fails verification: its "
					    "enrolment certificate is malformed; the vault was "
					    "tampered with (run 'casevault audit verify' and "
					    "restore from a backup)"));
				break;
			}
			st = cv_store_cert_at(v->st, cur.creator_id, cur.cert_seq - 1, &next, err);
			if (st == CV_ENOTFOUND) {
				st = cv_cert_bad(
				    err, r, "user.cert-signer-unknown",
				    CV_TMPL("the record of user '{1}' fails verification: the "
					    "admin who signed it did not exist then; the vault was "
					    "tampered with (run 'casevault audit verify' and "
					    "restore from a backup)"));
				break;
			}
			if (st != CV_OK)
				break;
			if (cv_user_role(&next) != CV_ROLE_ADMIN) {
				st = cv_cert_bad(
				    err, r, "user.cert-signer-role",
				    CV_TMPL("the record of user '{1}' fails verification: it was "
					    "signed by a user who is not an admin; the vault was "
					    "tampered with (run 'casevault audit verify' and "
					    "restore from a backup)"));
				break;
			}
			if (disabled_before(v, next.id, cur.cert_seq)) {
				st = cv_cert_bad(
				    err, r, "user.cert-signer-disabled",
				    CV_TMPL("the record of user '{1}' fails verification: it was "
					    "signed by an admin who was already disabled; the "
					    "vault was tampered with (run 'casevault audit verify' "
					    "and restore from a backup)"));
				break;
			}
			identity_msg(v, &cur, NULL, &b);
			if (!verify_buf(v, &b, cur.cert_sig, next.sign_pk)) {
				st = cv_cert_bad(
				    err, r, "user.cert-signature",
				    CV_TMPL("the record of user '{1}' fails verification: its "
					    "identity signature does not match (name, role or keys "
					    "were altered); the vault was tampered with (run "
					    "'casevault audit verify' and restore from a backup)"));
				break;
			}
			allow_enrolment = 0; /* the admin's own identity must sign */
			continue;
		}
		/* Made by its owner: certified by the identity held just before. */
		st = cv_store_cert_at(v->st, cur.id, cur.cert_seq - 1, &next, err);
		if (st == CV_ENOTFOUND) {
			st = cv_cert_bad(
			    err, r, "user.cert-signer-unknown",
			    CV_TMPL("the record of user '{1}' fails verification: it claims a "
				    "previous key that does not exist; the vault was tampered with "
				    "(run 'casevault audit verify' and restore from a backup)"));
			break;
		}
		if (st != CV_OK)
			break;
		identity_msg(v, &cur, &next, &b);
		if (!cur.has_self_sig || !verify_buf(v, &b, cur.cert_sig, next.sign_pk) ||
		    !verify_buf(v, &b, cur.self_sig, cur.sign_pk)) {
			st = cv_cert_bad(
			    err, r, "user.cert-signature",
			    CV_TMPL("the record of user '{1}' fails verification: its identity "
				    "signature does not match (name, role or keys were altered); "
				    "the vault was tampered with (run 'casevault audit verify' and "
				    "restore from a backup)"));
			break;
		}
		if (cur.expires[0] || strcmp(cur.role, next.role) != 0) {
			st = cv_cert_bad(
			    err, r, "user.cert-fields",
			    CV_TMPL("the record of user '{1}' fails verification: its name or role "
				    "is not valid; the vault was tampered with (run 'casevault "
				    "audit verify' and restore from a backup)"));
			break;
		}
		st = check_made_at(v, &cur, &next, err);
		if (st != CV_OK)
			break;
		allow_enrolment = cv_ident_is_enrolment(&next);
	}
	cv_buf_free(&b);
	if (st == CV_OK && have)
		verified_now(v, kind, r, gen);
	return st;
}

static cv_status user_verify(cv_vault *v, const cv_user_rec *r, cv_err *err)
{
	int state = cv_word_parse(&cv_user_states, r->status);
	cv_buf b = CV_BUF_INIT;
	cv_user_rec signer;
	int self;
	cv_status st;

	st = verify_identity(v, r, 1, err);
	if (st != CV_OK)
		return st;
	/* pending while (and only while) the identity is an enrolment
	 * certificate; active only after it; disabled either way. */
	if (!state || (state == CV_USER_PENDING && !cv_ident_is_enrolment(r)) ||
	    (state == CV_USER_ACTIVE && cv_ident_is_enrolment(r)))
		return cv_cert_bad(err, r, "user.status-invalid",
				   CV_TMPL("the record of user '{1}' fails verification: its "
					   "status is not valid; the vault was tampered with (run "
					   "'casevault audit verify' and restore from a backup)"));
	/* The status is signed with the identity its signer held at
	 * status_seq: an admin's; or, for `active`, the user's own identity
	 * made by the enrolment at that row (for user 1, its first identity
	 * at init). */
	st = cv_store_cert_at(v->st, r->status_signer_id, r->status_seq, &signer, err);
	if (st == CV_ENOTFOUND)
		return cv_cert_bad(
		    err, r, "user.status-signer-unknown",
		    CV_TMPL("the record of user '{1}' fails verification: the admin who set its "
			    "status did not exist then; the vault was tampered with (run "
			    "'casevault audit verify' and restore from a backup)"));
	if (st != CV_OK)
		return st;
	self = signer.id == r->id;
	st = verify_identity(v, &signer, 0, err);
	if (st != CV_OK)
		return st;
	status_msg(v, r, &b);
	if (!verify_buf(v, &b, r->status_sig, signer.sign_pk))
		st = cv_cert_bad(
		    err, r, "user.status-signature",
		    CV_TMPL(
			"the record of user '{1}' fails verification: its status signature does "
			"not match (it was enabled or disabled without an admin); the vault was "
			"tampered with (run 'casevault audit verify' and restore from a backup)"));
	cv_buf_free(&b);
	if (st != CV_OK)
		return st;
	/* `active` is set only by the enrolment that made the identity in
	 * force at status_seq (user 1: by itself at init); `pending` and
	 * `disabled` only by an admin. */
	if (state == CV_USER_ACTIVE) {
		cv_user_rec before;

		if (!self || signer.cert_seq != r->status_seq ||
		    (!is_root(&signer) && signer.creator_id != signer.id))
			return cv_cert_bad(
			    err, r, "user.status-active",
			    CV_TMPL("the record of user '{1}' fails verification: its status is "
				    "not the one its enrolment set; the vault was tampered with "
				    "(run 'casevault audit verify' and restore from a backup)"));
		if (is_root(&signer))
			return CV_OK;
		st = cv_store_cert_at(v->st, r->id, signer.cert_seq - 1, &before, err);
		if (st == CV_ENOTFOUND || (st == CV_OK && !cv_ident_is_enrolment(&before)))
			return cv_cert_bad(
			    err, r, "user.status-active",
			    CV_TMPL("the record of user '{1}' fails verification: its status is "
				    "not the one its enrolment set; the vault was tampered with "
				    "(run 'casevault audit verify' and restore from a backup)"));
		return st;
	}
	if (self)
		return cv_cert_bad(
		    err, r, "user.status-self-signed",
		    CV_TMPL("the record of user '{1}' fails verification: its status is signed by "
			    "itself; the vault was tampered with (run 'casevault audit verify' and "
			    "restore from a backup)"));
	if (cv_user_role(&signer) != CV_ROLE_ADMIN)
		return cv_cert_bad(
		    err, r, "user.status-signer-role",
		    CV_TMPL("the record of user '{1}' fails verification: its status was signed by "
			    "a user who is not an admin; the vault was tampered with (run "
			    "'casevault audit verify' and restore from a backup)"));
	if (disabled_before(v, signer.id, r->status_seq))
		return cv_cert_bad(
		    err, r, "user.status-signer-disabled",
		    CV_TMPL("the record of user '{1}' fails verification: its status was set by an "
			    "admin who was already disabled; the vault was tampered with (run "
			    "'casevault audit verify' and restore from a backup)"));
	return CV_OK;
}

cv_status cv_user_verify(cv_vault *v, const cv_user_rec *r, cv_err *err)
{
	uint64_t gen[2];
	int have = 0;
	cv_status st;

	if (verified_before(v, MEMO_USER, r, gen, &have))
		return CV_OK;
	st = user_verify(v, r, err);
	if (st == CV_OK && have)
		verified_now(v, MEMO_USER, r, gen);
	return st;
}

cv_status cv_user_cert_verify(cv_vault *v, const cv_user_rec *cert, cv_err *err)
{
	return verify_identity(v, cert, 0, err);
}

cv_status cv_user_ident_verify(cv_vault *v, const cv_user_rec *cert, cv_err *err)
{
	return verify_identity(v, cert, 1, err);
}

cv_status cv_cert_sign(cv_vault *v, cv_user_rec *r, cv_cert_part part, cv_keyholder *kh,
		       cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	if (part == CV_CERT_IDENTITY) {
		identity_msg(v, r, NULL, &b);
		r->has_self_sig = 0;
		st = sign_buf(&b, kh, r->cert_sig, err);
	} else {
		status_msg(v, r, &b);
		st = sign_buf(&b, kh, r->status_sig, err);
	}
	cv_buf_free(&b);
	return st;
}

cv_status cv_cert_sign_keys(cv_vault *v, cv_user_rec *r, const cv_user_rec *prev,
			    cv_keyholder *prev_kh, cv_keyholder *kh, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	r->creator_id = r->id;
	r->expires[0] = '\0';
	identity_msg(v, r, prev, &b);
	st = sign_buf(&b, prev_kh, r->cert_sig, err);
	if (st == CV_OK)
		st = sign_buf(&b, kh, r->self_sig, err);
	r->has_self_sig = st == CV_OK;
	cv_buf_free(&b);
	return st;
}

int64_t cv_user_certifier(cv_vault *v, const cv_user_rec *r)
{
	cv_user_rec cur = *r;

	/* Back through the identities the user made, to the enrolment
	 * certificate they descend from (at most CV_IDENTITIES_MAX). */
	for (size_t i = 0; i < CV_IDENTITIES_MAX && !is_root(&cur); i++) {
		if (cv_ident_is_enrolment(&cur))
			return cur.creator_id;
		if (cur.cert_seq < 2 ||
		    cv_store_cert_at(v->st, cur.id, cur.cert_seq - 1, &cur, NULL) != CV_OK)
			break;
	}
	return cur.creator_id;
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

/* One identity lookup of each_identity: the identity user `id` held
 * before `at` (found 0: none), and whether it verified. */
struct ident_entry {
	int64_t id, at;
	int found;
	cv_status verified; /* CV_OK or CV_EINTEGRITY */
	cv_user_rec rec;
};

struct cv_ident_cache {
	struct ident_entry *v;
	size_t n, cap;
};

void cv_ident_cache_on(cv_vault *v)
{
	if (!v->idcache)
		v->idcache = calloc(1, sizeof(*v->idcache));
}

void cv_ident_cache_off(cv_vault *v)
{
	if (!v->idcache)
		return;
	free(v->idcache->v);
	free(v->idcache);
	v->idcache = NULL;
}

static struct ident_entry *ident_cached(cv_vault *v, int64_t id, int64_t at)
{
	struct cv_ident_cache *c = v->idcache;

	for (size_t i = 0; c && i < c->n; i++)
		if (c->v[i].id == id && c->v[i].at == at)
			return &c->v[i];
	return NULL;
}

static void ident_remember(cv_vault *v, int64_t id, int64_t at, int found, cv_status verified,
			   const cv_user_rec *rec)
{
	struct cv_ident_cache *c = v->idcache;
	struct ident_entry *e;

	if (!c || c->n >= CV_IDENTITIES_MAX * 64)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct ident_entry *p = realloc(c->v, cap * sizeof(*p));

		if (!p)
			return;
		c->v = p;
		c->cap = cap;
	}
	e = &c->v[c->n++];
	e->id = id;
	e->at = at;
	e->found = found;
	e->verified = verified;
	if (found)
		e->rec = *rec;
}

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
		const struct ident_entry *e = ident_cached(v, id, at);
		cv_err why = {0};
		cv_status v_st;

		if (e && !e->found)
			return CV_OK;
		if (e) {
			*found = e->rec;
			v_st = e->verified;
		} else {
			st = cv_store_cert_at(v->st, id, at, found, err);
			if (st == CV_ENOTFOUND)
				ident_remember(v, id, at, 0, CV_OK, NULL);
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
			ident_remember(v, id, at, 1, v_st, found);
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
	ok = !b.oom && cv_sig_verify(t->v->sigs, t->c->sig, b.data, b.len, id->sign_pk);
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
	const cv_bytes stats = {r->stats_box, r->stats_len};

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
	buf_hash(b, &stats, 1);
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
	cv_vault *v;
};

static int row_from(const cv_user_rec *id, void *arg)
{
	struct row_try *t = arg;

	return cv_sig_verify(t->v->sigs, t->sig, t->msg->data, t->msg->len, id->sign_pk);
}

/* Whether sig over msg || mac verifies under an identity signer has held
 * (*role: that identity's role), and mac is key's when key is not NULL. */
static cv_status row_check(cv_vault *v, cv_buf *msg, int64_t signer, const uint8_t *key,
			   const uint8_t mac[CV_HASH_LEN], const uint8_t sig[crypto_sign_BYTES],
			   cv_role *role, int *ok, cv_err *err)
{
	struct row_try t = {msg, sig, v};
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

/* What a walk of every cases and records row adds up while a verified
 * log vouches for them (verify.h cv_vouch_begin): the row's member, with
 * its signer, in the sums. */
int cv_vouch_row(cv_vault *v, int records, int64_t rowid, const uint8_t *hash, int64_t signer,
		 int *role)
{
	struct cv_vouch *w = v->vouch;
	cv_msum x;

	if (!w || !w->filled)
		return 0;
	cv_msum_member(w->key, 1, records ? "records" : "cases", rowid, hash, signer, &x);
	cv_msum_add(&w->got[records], &x);
	w->seen[records]++;
	for (size_t i = 0; i < w->nusers; i++)
		if (w->users[i].id == signer) {
			*role = w->users[i].role;
			return w->users[i].role >= 0;
		}
	return 0;
}

cv_status cv_vouch_check(cv_vault *v, cv_err *err)
{
	const struct cv_vouch *w = v->vouch;

	if (!w || !w->filled)
		return CV_OK;
	if (!w->summed)
		return cv_err_set(err, CV_ERROR, "the verification did not finish");
	for (int t = 0; t < 2; t++)
		if (w->seen[t] != w->live[t] || !cv_msum_equal(&w->got[t], &w->want[t]))
			return cv_fail(err, CV_EINTEGRITY, "rows.changed",
				       "the case and record rows the statistics read are not the "
				       "ones the log committed to: the vault was changed; run "
				       "'casevault audit verify' and restore it from a backup");
	return CV_OK;
}

/*
 * Whether a row read without a case key (key NULL) by rowid, with the hash
 * it was read with (hash NULL: read without one), is taken as signed by
 * signer while a verified log vouches for the rows (verify.h
 * cv_vouch_begin, in the open transaction): 1, and *role is the signer's
 * role; its signature is then the log's, which cv_vouch_check confirms
 * once every row was read.  0: the row's own signature decides.  records:
 * a records row, else a cases row.
 */
static int vouched(cv_vault *v, int records, int64_t rowid, int64_t signer, const uint8_t *hash,
		   const uint8_t *key, cv_role *role)
{
	int r = -1;

	if (key || !v->vouch || !v->vouch->filled || !hash)
		return 0;
	if (cv_vouch_row(v, records, rowid, hash, signer, &r) != 1)
		return 0;
	*role = (cv_role)r;
	return 1;
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

	int vr = vouched(v, 0, c->rowid, c->signer_id, c->hashed ? c->row_hash : NULL, key, &role);

	if (vr > 0) {
		ok = 1;
	} else {
		case_msg(v, c, &b);
		st = row_check(v, &b, c->signer_id, key, c->mac, c->sig, &role, &ok, err);
		cv_buf_free(&b);
		if (st != CV_OK)
			return st;
	}
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

	int vr = vouched(v, 1, r->rowid, r->signer_id, r->hashed ? r->row_hash : NULL, key, &role);

	if (vr > 0) {
		ok = 1;
	} else {
		record_msg(v, r, &b);
		st = row_check(v, &b, r->signer_id, key, r->mac, r->sig, &role, &ok, err);
		cv_buf_free(&b);
		if (st != CV_OK)
			return st;
	}
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

/* ---- duty shifts ----------------------------------------------------------- */

/* The message a shift's signature covers, its signer included. */
static void duty_msg(const cv_vault *v, const cv_duty_rec *r, cv_buf *b)
{
	cv_buf_raw(b, duty_domain, sizeof(duty_domain) - 1);
	cv_buf_raw(b, v->vault_id, CV_VAULT_ID_LEN);
	cv_buf_u64(b, (uint64_t)r->id);
	cv_buf_u64(b, (uint64_t)r->counselor_id);
	cv_buf_lp(b, r->room);
	cv_buf_lp(b, r->status);
	cv_buf_u64(b, (uint64_t)r->start_utc);
	cv_buf_u64(b, (uint64_t)r->end_utc);
	cv_buf_u64(b, (uint64_t)r->visits);
	cv_buf_lp(b, r->created_at);
	cv_buf_u64(b, (uint64_t)r->seq);
	cv_buf_u64(b, (uint64_t)r->signer_id);
}

cv_status cv_duty_sign(cv_vault *v, cv_duty_rec *r, int64_t signer_id, cv_keyholder *kh,
		       cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	cv_status st;

	r->signer_id = signer_id;
	duty_msg(v, r, &b);
	st = b.oom ? cv_err_set(err, CV_ERROR, "out of memory") : sign_buf(&b, kh, r->sig, err);
	cv_buf_free(&b);
	return st;
}

cv_status cv_duty_check(cv_vault *v, const cv_duty_rec *r, cv_err *err)
{
	cv_buf b = CV_BUF_INIT;
	struct row_try t = {&b, r->sig, v};
	cv_user_rec id;
	cv_status st = CV_OK;
	char num[24];
	int ok = 0;

	duty_msg(v, r, &b);
	if (b.oom)
		st = cv_err_set(err, CV_ERROR, "out of memory");
	else if (r->signer_id == r->counselor_id)
		st = each_identity(v, r->signer_id, row_from, &t, &id, &ok, err);
	cv_buf_free(&b);
	if (st != CV_OK)
		return st;
	if (!ok || cv_user_role(&id) != CV_ROLE_COUNSELOR)
		return cv_fail(err, CV_EINTEGRITY, "duty.forged",
			       "shift {1} of the duty log is not signed by the counselor who "
			       "logged it: it was forged or altered; run 'casevault audit verify' "
			       "and restore from a backup",
			       cv_num(num, r->id));
	return CV_OK;
}

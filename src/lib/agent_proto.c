/*
 * agent_proto.c - ground layer: the unlock agent's messages (see
 * agent_proto.h): building and reading them, and the agent's answer to
 * one request with its key holder.
 */
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"
#include "err.h"
#include "banned.h"

#define NONCE_LEN crypto_box_NONCEBYTES
#define PK_LEN crypto_box_PUBLICKEYBYTES

/* ---- reading and writing fields ----------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, at;
	int bad;
};

static const uint8_t *rd_bytes(struct rd *r, size_t len)
{
	const uint8_t *p;

	if (r->bad || len > r->n - r->at) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->at;
	r->at += len;
	return p;
}

static uint64_t rd_be(struct rd *r, size_t len)
{
	const uint8_t *p = rd_bytes(r, len);
	uint64_t v = 0;

	for (size_t i = 0; p && i < len; i++)
		v = v << 8 | p[i];
	return v;
}

/* Whether the whole input was read, and nothing was missing. */
static int rd_done(const struct rd *r)
{
	return !r->bad && r->at == r->n;
}

struct wr {
	uint8_t *p;
	size_t cap, at;
	int bad;
};

static void wr_bytes(struct wr *w, const void *b, size_t len)
{
	if (w->bad || len > w->cap - w->at) {
		w->bad = 1;
		return;
	}
	if (len)
		memcpy(w->p + w->at, b, len);
	w->at += len;
}

static void wr_be(struct wr *w, uint64_t v, size_t len)
{
	uint8_t b[8];

	for (size_t i = 0; i < len; i++)
		b[len - 1 - i] = (uint8_t)(v >> (8 * i));
	wr_bytes(w, b, len);
}

void cv_agent_hdr_put(uint8_t hdr[CV_AGENT_HDR_LEN], uint8_t op, uint32_t len)
{
	struct wr w = {hdr, CV_AGENT_HDR_LEN, 0, 0};

	wr_be(&w, CV_AGENT_MAGIC0, 1);
	wr_be(&w, CV_AGENT_MAGIC1, 1);
	wr_be(&w, CV_AGENT_PROTO, 1);
	wr_be(&w, op, 1);
	wr_be(&w, len, 4);
}

int cv_agent_hdr_get(const uint8_t hdr[CV_AGENT_HDR_LEN], uint8_t *op, uint32_t *len)
{
	if (hdr[0] != CV_AGENT_MAGIC0 || hdr[1] != CV_AGENT_MAGIC1)
		return CV_AGENT_R_MALFORMED;
	if (hdr[2] != CV_AGENT_PROTO)
		return CV_AGENT_R_VERSION;
	*op = hdr[3];
	*len = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
	if (*len > CV_AGENT_BODY_MAX)
		return CV_AGENT_R_TOO_LARGE;
	return CV_AGENT_R_OK;
}

/* ---- status ------------------------------------------------------------- */

size_t cv_agent_status_put(const struct cv_agent_status *s, uint8_t *out)
{
	struct wr w = {out, CV_AGENT_BODY_MAX, 0, 0};
	size_t ul = strnlen(s->user, CV_NAME_MAX),
	       pl = strnlen(s->vault_path, CV_AGENT_PATH_MAX - 1);

	wr_be(&w, ul, 1);
	wr_bytes(&w, s->user, ul);
	wr_bytes(&w, s->vault_id, sizeof(s->vault_id));
	wr_bytes(&w, s->box_pk, sizeof(s->box_pk));
	wr_bytes(&w, s->sign_pk, sizeof(s->sign_pk));
	wr_be(&w, s->idle_s, 4);
	wr_be(&w, s->cap_s, 4);
	wr_be(&w, (uint64_t)s->idle_until, 8);
	wr_be(&w, (uint64_t)s->cap_until, 8);
	wr_be(&w, (uint64_t)s->idle_left, 8);
	wr_be(&w, (uint64_t)s->cap_left, 8);
	wr_be(&w, s->uses, 8);
	wr_be(&w, s->pid, 4);
	wr_be(&w, pl, 2);
	wr_bytes(&w, s->vault_path, pl);
	return w.bad ? 0 : w.at;
}

int cv_agent_status_get(const uint8_t *body, size_t len, struct cv_agent_status *s)
{
	struct rd r = {body, len, 0, 0};
	size_t ul, pl;
	const uint8_t *p;

	memset(s, 0, sizeof(*s));
	ul = (size_t)rd_be(&r, 1);
	p = rd_bytes(&r, ul);
	if (!p || ul > CV_NAME_MAX || memchr(p, '\0', ul))
		return -1;
	memcpy(s->user, p, ul);
	if (cv_name_check(s->user, NULL) != CV_OK)
		return -1;
	if ((p = rd_bytes(&r, sizeof(s->vault_id))))
		memcpy(s->vault_id, p, sizeof(s->vault_id));
	if ((p = rd_bytes(&r, sizeof(s->box_pk))))
		memcpy(s->box_pk, p, sizeof(s->box_pk));
	if ((p = rd_bytes(&r, sizeof(s->sign_pk))))
		memcpy(s->sign_pk, p, sizeof(s->sign_pk));
	s->idle_s = (uint32_t)rd_be(&r, 4);
	s->cap_s = (uint32_t)rd_be(&r, 4);
	s->idle_until = (int64_t)rd_be(&r, 8);
	s->cap_until = (int64_t)rd_be(&r, 8);
	s->idle_left = (int64_t)rd_be(&r, 8);
	s->cap_left = (int64_t)rd_be(&r, 8);
	s->uses = rd_be(&r, 8);
	s->pid = (uint32_t)rd_be(&r, 4);
	pl = (size_t)rd_be(&r, 2);
	p = rd_bytes(&r, pl);
	if (!p || !rd_done(&r) || pl >= CV_AGENT_PATH_MAX || memchr(p, '\0', pl))
		return -1;
	memcpy(s->vault_path, p, pl);
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

/* Puts the header in front of a body of w->at - CV_AGENT_HDR_LEN bytes. */
static size_t finish(struct wr *w, uint8_t op)
{
	if (w->bad)
		return 0;
	cv_agent_hdr_put(w->p, op, (uint32_t)(w->at - CV_AGENT_HDR_LEN));
	return w->at;
}

static struct wr request(uint8_t *out)
{
	struct wr w = {out, CV_AGENT_MSG_MAX, CV_AGENT_HDR_LEN, 0};
	return w;
}

size_t cv_agent_req_simple(uint8_t *out, uint8_t op)
{
	struct wr w = request(out);
	return finish(&w, op);
}

size_t cv_agent_req_sign(uint8_t *out, const uint8_t *msg, size_t len)
{
	struct wr w = request(out);

	if (len == 0 || len > CV_AGENT_SIGN_MAX)
		return 0;
	wr_bytes(&w, msg, len);
	return finish(&w, CV_AGENT_OP_SIGN);
}

size_t cv_agent_req_unseal(uint8_t *out, const uint8_t *c, size_t clen)
{
	struct wr w = request(out);

	if (clen < crypto_box_SEALBYTES || clen > CV_AGENT_ITEM_MAX)
		return 0;
	wr_bytes(&w, c, clen);
	return finish(&w, CV_AGENT_OP_UNSEAL);
}

size_t cv_agent_req_box(uint8_t *out, uint8_t op, const uint8_t *nonce, const uint8_t *peer_pk,
			const uint8_t *m, size_t mlen)
{
	struct wr w = request(out);
	size_t min = op == CV_AGENT_OP_UNBOX ? crypto_box_MACBYTES : 1;

	if ((op != CV_AGENT_OP_BOX && op != CV_AGENT_OP_UNBOX) || mlen < min ||
	    mlen > CV_AGENT_ITEM_MAX)
		return 0;
	wr_bytes(&w, nonce, NONCE_LEN);
	wr_bytes(&w, peer_pk, PK_LEN);
	wr_bytes(&w, m, mlen);
	return finish(&w, op);
}

size_t cv_agent_req_unbox_many(uint8_t *out, const cv_unbox_item *items, size_t n)
{
	struct wr w = request(out);

	if (n == 0 || n > CV_AGENT_BATCH_MAX)
		return 0;
	wr_be(&w, n, 2);
	for (size_t i = 0; i < n; i++) {
		if (items[i].clen < crypto_box_MACBYTES || items[i].clen > CV_AGENT_ITEM_MAX)
			return 0;
		wr_bytes(&w, items[i].nonce, NONCE_LEN);
		wr_bytes(&w, items[i].peer_pk, PK_LEN);
		wr_be(&w, items[i].clen, 2);
		wr_bytes(&w, items[i].c, items[i].clen);
	}
	return finish(&w, CV_AGENT_OP_UNBOX_MANY);
}

size_t cv_agent_req_remember(uint8_t *out, const struct cv_sigmemo_fresh *fresh, size_t n)
{
	struct wr w = request(out);

	if (n == 0 || n > CV_SIGMEMO_FRESH_MAX)
		return 0;
	wr_be(&w, n, 2);
	for (size_t i = 0; i < n; i++) {
		if (fresh[i].len == 0 || fresh[i].len > CV_SIGMEMO_MSG_MAX)
			return 0;
		wr_bytes(&w, fresh[i].pk, sizeof(fresh[i].pk));
		wr_bytes(&w, fresh[i].sig, sizeof(fresh[i].sig));
		wr_be(&w, fresh[i].len, 2);
		wr_bytes(&w, fresh[i].msg, fresh[i].len);
	}
	return finish(&w, CV_AGENT_OP_REMEMBER);
}

int cv_agent_rep_verified(const uint8_t *body, size_t len, cv_sigmemo *m)
{
	struct rd r = {body, len, 0, 0};
	size_t n = (size_t)rd_be(&r, 2), start;

	if (r.bad || n > CV_SIGMEMO_MAX)
		return -1;
	start = r.at;
	rd_bytes(&r, n * CV_SIGMEMO_TAG_LEN);
	if (!rd_done(&r))
		return -1;
	for (size_t i = 0; i < n; i++)
		cv_sigmemo_add(m, body + start + i * CV_SIGMEMO_TAG_LEN);
	return 0;
}

int cv_agent_rep_unbox_many(const uint8_t *body, size_t len, cv_unbox_item *items, size_t n)
{
	struct rd r = {body, len, 0, 0};

	for (size_t i = 0; i < n; i++) {
		uint64_t ok = rd_be(&r, 1);
		const uint8_t *m = NULL;

		if (ok > 1)
			return -1;
		if (ok)
			m = rd_bytes(&r, items[i].clen - crypto_box_MACBYTES);
		if (r.bad)
			return -1;
		items[i].ok = (int)ok;
		if (m)
			memcpy(items[i].m, m, items[i].clen - crypto_box_MACBYTES);
	}
	return rd_done(&r) ? 0 : -1;
}

/* ---- the agent's side --------------------------------------------------- */

void cv_agent_start_clock(struct cv_agent_state *a, int64_t now_boot, int64_t now_real)
{
	a->idle_deadline = now_boot + (int64_t)a->info.idle_s * 1000;
	a->cap_deadline = now_boot + (int64_t)a->info.cap_s * 1000;
	a->info.idle_until = now_real + (int64_t)a->info.idle_s * 1000;
	a->info.cap_until = now_real + (int64_t)a->info.cap_s * 1000;
}

int cv_agent_expired(const struct cv_agent_state *a, int64_t now_boot)
{
	return now_boot >= a->idle_deadline || now_boot >= a->cap_deadline;
}

int64_t cv_agent_deadline(const struct cv_agent_state *a)
{
	return a->idle_deadline < a->cap_deadline ? a->idle_deadline : a->cap_deadline;
}

/* A use of the keys: the idle timer starts again (never past the cap). */
static void touch(struct cv_agent_state *a, int64_t now_boot, int64_t now_real)
{
	a->idle_deadline = now_boot + (int64_t)a->info.idle_s * 1000;
	a->info.idle_until = now_real + (int64_t)a->info.idle_s * 1000;
	a->info.uses++;
}

/* The reply: code and a body of len bytes already at rep + header. */
static void reply(uint8_t *rep, size_t *replen, int code, size_t len)
{
	cv_agent_hdr_put(rep, (uint8_t)code, (uint32_t)len);
	*replen = CV_AGENT_HDR_LEN + len;
}

/* UNBOX_MANY: every item is checked before any is opened. */
static int unbox_many(struct cv_agent_state *a, struct rd *r, uint8_t *out, size_t *outlen)
{
	struct wr w = {out, CV_AGENT_BODY_MAX, 0, 0};
	size_t n = (size_t)rd_be(r, 2), start = r->at, need = 0;

	if (r->bad || n == 0 || n > CV_AGENT_BATCH_MAX)
		return CV_AGENT_R_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		size_t clen;

		rd_bytes(r, NONCE_LEN + PK_LEN);
		clen = (size_t)rd_be(r, 2);
		rd_bytes(r, clen);
		if (r->bad || clen < crypto_box_MACBYTES || clen > CV_AGENT_ITEM_MAX)
			return CV_AGENT_R_MALFORMED;
		need += 1 + clen - crypto_box_MACBYTES;
	}
	if (!rd_done(r))
		return CV_AGENT_R_MALFORMED;
	if (need > CV_AGENT_BODY_MAX)
		return CV_AGENT_R_TOO_LARGE;
	r->at = start;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *nonce = rd_bytes(r, NONCE_LEN), *pk = rd_bytes(r, PK_LEN);
		size_t clen = (size_t)rd_be(r, 2);
		const uint8_t *c = rd_bytes(r, clen);
		uint8_t *m = out + w.at + 1;
		int ok = a->kh->ops->unbox(a->kh, c, clen, nonce, pk, m, NULL) == CV_OK;

		wr_be(&w, (uint64_t)ok, 1);
		if (ok)
			w.at += clen - crypto_box_MACBYTES;
	}
	*outlen = w.at;
	return CV_AGENT_R_OK;
}

/* VERIFIED: the tags a->sigs holds. */
static int verified(const struct cv_agent_state *a, size_t len, uint8_t *out, size_t *outlen)
{
	struct wr w = {out, CV_AGENT_BODY_MAX, 0, 0};
	size_t n = a->sigs ? a->sigs->n : 0;

	if (len != 0)
		return CV_AGENT_R_MALFORMED;
	wr_be(&w, n, 2);
	for (size_t i = 0; i < n; i++)
		wr_bytes(&w, a->sigs->tags[i], CV_SIGMEMO_TAG_LEN);
	*outlen = w.at;
	return w.bad ? CV_AGENT_R_FAILED : CV_AGENT_R_OK;
}

/* REMEMBER: the whole body is checked before anything is verified; only
 * a signature that verifies here is kept. */
static int remember(struct cv_agent_state *a, const uint8_t *body, size_t len, uint8_t *out,
		    size_t *outlen)
{
	struct rd r = {body, len, 0, 0};
	struct wr w = {out, CV_AGENT_BODY_MAX, 0, 0};
	size_t n = (size_t)rd_be(&r, 2), start = r.at, kept = 0;

	if (r.bad || n == 0 || n > CV_SIGMEMO_FRESH_MAX)
		return CV_AGENT_R_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		size_t mlen;

		rd_bytes(&r, crypto_sign_PUBLICKEYBYTES + crypto_sign_BYTES);
		mlen = (size_t)rd_be(&r, 2);
		rd_bytes(&r, mlen);
		if (r.bad || mlen == 0 || mlen > CV_SIGMEMO_MSG_MAX)
			return CV_AGENT_R_MALFORMED;
	}
	if (!rd_done(&r))
		return CV_AGENT_R_MALFORMED;
	if (!a->sigs && !(a->sigs = calloc(1, sizeof(*a->sigs))))
		return CV_AGENT_R_FAILED;
	r.at = start;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *pk = rd_bytes(&r, crypto_sign_PUBLICKEYBYTES),
			      *sig = rd_bytes(&r, crypto_sign_BYTES);
		size_t mlen = (size_t)rd_be(&r, 2);
		const uint8_t *msg = rd_bytes(&r, mlen);
		uint8_t tag[CV_SIGMEMO_TAG_LEN];

		if (crypto_sign_verify_detached(sig, msg, mlen, pk) != 0)
			continue;
		cv_sigmemo_tag(pk, sig, msg, mlen, tag);
		cv_sigmemo_add(a->sigs, tag);
		kept++;
	}
	wr_be(&w, kept, 2);
	*outlen = w.at;
	return CV_AGENT_R_OK;
}

/* One key operation on a well-framed body; the reply body goes to out. */
static int key_op(struct cv_agent_state *a, uint8_t op, const uint8_t *body, size_t len,
		  uint8_t *out, size_t *outlen)
{
	struct rd r = {body, len, 0, 0};
	cv_keyholder *kh = a->kh;
	const uint8_t *nonce, *pk;

	switch (op) {
	case CV_AGENT_OP_SIGN:
		if (len == 0 || len > CV_AGENT_SIGN_MAX)
			return CV_AGENT_R_MALFORMED;
		*outlen = crypto_sign_BYTES;
		return kh->ops->sign(kh, body, len, out, NULL) == CV_OK ? CV_AGENT_R_OK
									: CV_AGENT_R_FAILED;
	case CV_AGENT_OP_UNSEAL:
		if (len < crypto_box_SEALBYTES || len > CV_AGENT_ITEM_MAX)
			return CV_AGENT_R_MALFORMED;
		*outlen = len - crypto_box_SEALBYTES;
		return kh->ops->unseal(kh, body, len, out, NULL) == CV_OK ? CV_AGENT_R_OK
									  : CV_AGENT_R_FAILED;
	case CV_AGENT_OP_BOX:
	case CV_AGENT_OP_UNBOX:
		nonce = rd_bytes(&r, NONCE_LEN);
		pk = rd_bytes(&r, PK_LEN);
		if (r.bad)
			return CV_AGENT_R_MALFORMED;
		len -= r.at;
		body += r.at;
		if (op == CV_AGENT_OP_BOX) {
			if (len == 0 || len > CV_AGENT_ITEM_MAX)
				return CV_AGENT_R_MALFORMED;
			*outlen = len + crypto_box_MACBYTES;
			return kh->ops->box(kh, body, len, nonce, pk, out, NULL) == CV_OK
				   ? CV_AGENT_R_OK
				   : CV_AGENT_R_FAILED;
		}
		if (len < crypto_box_MACBYTES || len > CV_AGENT_ITEM_MAX)
			return CV_AGENT_R_MALFORMED;
		*outlen = len - crypto_box_MACBYTES;
		return kh->ops->unbox(kh, body, len, nonce, pk, out, NULL) == CV_OK
			   ? CV_AGENT_R_OK
			   : CV_AGENT_R_FAILED;
	default:
		return unbox_many(a, &r, out, outlen);
	}
}

int cv_agent_handle(struct cv_agent_state *a, const uint8_t *req, size_t reqlen, int64_t now_boot,
		    int64_t now_real, uint8_t *rep, size_t *replen)
{
	uint8_t *out = rep + CV_AGENT_HDR_LEN;
	size_t outlen = 0;
	uint32_t len = 0;
	uint8_t op = 0;
	int code;

	if (reqlen < CV_AGENT_HDR_LEN) {
		reply(rep, replen, CV_AGENT_R_MALFORMED, 0);
		return -1;
	}
	code = cv_agent_hdr_get(req, &op, &len);
	if (code == CV_AGENT_R_OK && len != reqlen - CV_AGENT_HDR_LEN)
		code = CV_AGENT_R_MALFORMED;
	if (code != CV_AGENT_R_OK) {
		reply(rep, replen, code, 0);
		return -1;
	}
	if (op < CV_AGENT_OP_STATUS || op > CV_AGENT_OP_REMEMBER) {
		reply(rep, replen, CV_AGENT_R_UNKNOWN, 0);
		return 0;
	}
	if (cv_agent_expired(a, now_boot)) {
		a->stop = 1;
		reply(rep, replen, CV_AGENT_R_ENDED, 0);
		return -1;
	}
	if (op == CV_AGENT_OP_STATUS || op == CV_AGENT_OP_LOCK) {
		if (len != 0) {
			reply(rep, replen, CV_AGENT_R_MALFORMED, 0);
			return 0;
		}
		if (op == CV_AGENT_OP_LOCK) {
			a->stop = 1;
			reply(rep, replen, CV_AGENT_R_OK, 0);
			return -1;
		}
		a->info.idle_left = a->idle_deadline - now_boot;
		a->info.cap_left = a->cap_deadline - now_boot;
		outlen = cv_agent_status_put(&a->info, out);
		reply(rep, replen, outlen ? CV_AGENT_R_OK : CV_AGENT_R_FAILED, outlen);
		return 0;
	}
	if (op == CV_AGENT_OP_VERIFIED || op == CV_AGENT_OP_REMEMBER) {
		/* Public signatures only: no use of the keys. */
		code = op == CV_AGENT_OP_VERIFIED
			   ? verified(a, len, out, &outlen)
			   : remember(a, req + CV_AGENT_HDR_LEN, len, out, &outlen);
		reply(rep, replen, code, code == CV_AGENT_R_OK ? outlen : 0);
		return 0;
	}
	code = key_op(a, op, req + CV_AGENT_HDR_LEN, len, out, &outlen);
	if (code == CV_AGENT_R_OK || code == CV_AGENT_R_FAILED)
		touch(a, now_boot, now_real);
	if (code != CV_AGENT_R_OK) {
		sodium_memzero(out, outlen);
		outlen = 0;
	}
	reply(rep, replen, code, outlen);
	return 0;
}

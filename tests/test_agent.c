/*
 * test_agent.c - the unlock agent's protocol (agent_proto.c) and client
 * (agent.c): headers with another magic, version or an oversized body are
 * refused; every operation answers as the in-process holder would, and a
 * malformed body (short, long, truncated batch, trailing bytes, a batch of
 * none or too many) is refused without a change; only key operations
 * restart the idle timer (status does not); a request after the time ran
 * out ends the agent; LOCK ends it; random requests never crash it.  The
 * client's holder, over a socket to a process that answers with
 * cv_agent_handle, signs, unseals, boxes and unboxes (batched too) like
 * the local one, with the same reason codes, and opens a list's key copies
 * ahead in one round trip.  The agent keeps only signatures it verified
 * itself (REMEMBER) and gives their tags (VERIFIED), neither a use of the
 * keys; a client skips exactly those, not one with a byte changed.  The
 * socket directory must be
 * a private directory of the caller's, the socket a socket of the
 * caller's; a stale socket is removed and reads as no agent.
 */
#include "helpers.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "agent.h"
#include "banned.h"

#define NOW_BOOT 1000000
#define NOW_REAL 1700000000000
#define IDLE_S 60
#define CAP_S 3600

struct fx {
	char dir[TEST_DIR_MAX];
	uint8_t *secrets;
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES];
	struct cv_agent_state a;
	uint8_t *req, *rep;
	size_t replen;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || cv_init(NULL) != CV_OK || tmpdir_make(f->dir, sizeof(f->dir), "agent") != 0)
		return -1;
	f->secrets = sodium_malloc(CV_SECRETS_LEN);
	f->req = sodium_malloc(CV_AGENT_MSG_MAX);
	f->rep = sodium_malloc(CV_AGENT_MSG_MAX);
	if (!f->secrets || !f->req || !f->rep)
		return -1;
	crypto_box_keypair(f->box_pk, f->secrets);
	crypto_sign_keypair(f->sign_pk, f->secrets + crypto_box_SECRETKEYBYTES);
	if (cv_keyholder_local(f->secrets, f->box_pk, f->sign_pk, &f->a.kh, NULL) != CV_OK)
		return -1;
	snprintf(f->a.info.user, sizeof(f->a.info.user), "dana");
	randombytes_buf(f->a.info.vault_id, sizeof(f->a.info.vault_id));
	memcpy(f->a.info.box_pk, f->box_pk, sizeof(f->box_pk));
	memcpy(f->a.info.sign_pk, f->sign_pk, sizeof(f->sign_pk));
	snprintf(f->a.info.vault_path, sizeof(f->a.info.vault_path), "/srv/school/v.db");
	f->a.info.idle_s = IDLE_S;
	f->a.info.cap_s = CAP_S;
	f->a.info.pid = 4242;
	cv_agent_start_clock(&f->a, NOW_BOOT, NOW_REAL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = tmpdir_remove(f->dir);

	cv_keyholder_free(f->a.kh);
	cv_sigmemo_free(f->a.sigs);
	sodium_free(f->secrets);
	sodium_free(f->req);
	sodium_free(f->rep);
	free(f);
	return rc;
}

/* Handles req (len bytes) at now_boot; returns cv_agent_handle's value. */
static int ask(struct fx *f, size_t len, int64_t now_boot)
{
	assert_true(len >= CV_AGENT_HDR_LEN);
	return cv_agent_handle(&f->a, f->req, len, now_boot, NOW_REAL + (now_boot - NOW_BOOT),
			       f->rep, &f->replen);
}

static uint8_t reply_code(const struct fx *f)
{
	assert_true(f->replen >= CV_AGENT_HDR_LEN);
	assert_int_equal(f->rep[0], CV_AGENT_MAGIC0);
	assert_int_equal(f->rep[1], CV_AGENT_MAGIC1);
	assert_int_equal(f->rep[2], CV_AGENT_PROTO);
	return f->rep[3];
}

static size_t reply_body(const struct fx *f)
{
	uint8_t op;
	uint32_t len;

	assert_int_equal(cv_agent_hdr_get(f->rep, &op, &len), CV_AGENT_R_OK);
	assert_int_equal(len, f->replen - CV_AGENT_HDR_LEN);
	return len;
}

/* A request with a raw body (for malformed ones). */
static size_t raw(struct fx *f, uint8_t op, const uint8_t *body, size_t len)
{
	cv_agent_hdr_put(f->req, op, (uint32_t)len);
	if (len)
		memcpy(f->req + CV_AGENT_HDR_LEN, body, len);
	return CV_AGENT_HDR_LEN + len;
}

/* ---- headers ------------------------------------------------------------ */

static void test_header(void **state)
{
	struct fx *f = *state;
	uint8_t hdr[CV_AGENT_HDR_LEN], op = 0;
	uint32_t len = 0;

	(void)f;
	cv_agent_hdr_put(hdr, CV_AGENT_OP_SIGN, 300);
	assert_int_equal(cv_agent_hdr_get(hdr, &op, &len), CV_AGENT_R_OK);
	assert_int_equal(op, CV_AGENT_OP_SIGN);
	assert_int_equal(len, 300);
	hdr[2] = CV_AGENT_PROTO + 1;
	assert_int_equal(cv_agent_hdr_get(hdr, &op, &len), CV_AGENT_R_VERSION);
	cv_agent_hdr_put(hdr, CV_AGENT_OP_SIGN, 0);
	hdr[0] = 'X';
	assert_int_equal(cv_agent_hdr_get(hdr, &op, &len), CV_AGENT_R_MALFORMED);
	cv_agent_hdr_put(hdr, CV_AGENT_OP_SIGN, CV_AGENT_BODY_MAX);
	assert_int_equal(cv_agent_hdr_get(hdr, &op, &len), CV_AGENT_R_OK);
	cv_agent_hdr_put(hdr, CV_AGENT_OP_SIGN, CV_AGENT_BODY_MAX + 1);
	assert_int_equal(cv_agent_hdr_get(hdr, &op, &len), CV_AGENT_R_TOO_LARGE);
}

/* A request of another version, magic, size or framing is refused, the
 * connection is to be closed, and nothing is used. */
static void test_refused_headers(void **state)
{
	struct fx *f = *state;
	size_t n = cv_agent_req_simple(f->req, CV_AGENT_OP_STATUS);

	f->req[2] = CV_AGENT_PROTO + 1;
	assert_int_equal(ask(f, n, NOW_BOOT), -1);
	assert_int_equal(reply_code(f), CV_AGENT_R_VERSION);
	n = cv_agent_req_simple(f->req, CV_AGENT_OP_STATUS);
	f->req[1] = 'B';
	assert_int_equal(ask(f, n, NOW_BOOT), -1);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	/* The header says 10 bytes, 9 came. */
	n = raw(f, CV_AGENT_OP_SIGN, (const uint8_t *)"123456789", 9);
	cv_agent_hdr_put(f->req, CV_AGENT_OP_SIGN, 10);
	assert_int_equal(ask(f, n, NOW_BOOT), -1);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	cv_agent_hdr_put(f->req, CV_AGENT_OP_SIGN, CV_AGENT_BODY_MAX + 1);
	assert_int_equal(ask(f, CV_AGENT_HDR_LEN, NOW_BOOT), -1);
	assert_int_equal(reply_code(f), CV_AGENT_R_TOO_LARGE);
	/* An op nobody knows: refused, the connection may go on. */
	n = raw(f, 99, NULL, 0);
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_UNKNOWN);
	n = raw(f, 0, NULL, 0);
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_UNKNOWN);
	assert_int_equal(f->a.info.uses, 0);
	assert_int_equal(f->a.stop, 0);
}

/* ---- status ------------------------------------------------------------- */

static void test_status(void **state)
{
	struct fx *f = *state;
	struct cv_agent_status s;
	int64_t deadline = f->a.idle_deadline;
	size_t n = cv_agent_req_simple(f->req, CV_AGENT_OP_STATUS);
	uint8_t body[4] = {0};

	assert_int_equal(ask(f, n, NOW_BOOT + 5000), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_int_equal(cv_agent_status_get(f->rep + CV_AGENT_HDR_LEN, reply_body(f), &s), 0);
	assert_string_equal(s.user, "dana");
	assert_memory_equal(s.vault_id, f->a.info.vault_id, sizeof(s.vault_id));
	assert_memory_equal(s.box_pk, f->box_pk, sizeof(s.box_pk));
	assert_memory_equal(s.sign_pk, f->sign_pk, sizeof(s.sign_pk));
	assert_string_equal(s.vault_path, "/srv/school/v.db");
	assert_int_equal(s.idle_s, IDLE_S);
	assert_int_equal(s.cap_s, CAP_S);
	assert_int_equal(s.pid, 4242);
	assert_int_equal(s.idle_until, NOW_REAL + IDLE_S * 1000);
	assert_int_equal(s.cap_until, NOW_REAL + CAP_S * 1000);
	assert_int_equal(s.idle_left, IDLE_S * 1000 - 5000);
	assert_int_equal(s.cap_left, CAP_S * 1000 - 5000);
	assert_int_equal(s.uses, 0);
	/* Asking is not using: the idle timer stands. */
	assert_int_equal(f->a.idle_deadline, deadline);
	assert_int_equal(ask(f, n, NOW_BOOT + 50000), 0);
	assert_int_equal(f->a.idle_deadline, deadline);
	/* STATUS and LOCK take no body. */
	n = raw(f, CV_AGENT_OP_STATUS, body, sizeof(body));
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	n = raw(f, CV_AGENT_OP_LOCK, body, sizeof(body));
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	assert_int_equal(f->a.stop, 0);
}

static void test_status_parse_refusals(void **state)
{
	struct fx *f = *state;
	struct cv_agent_status s;
	uint8_t body[CV_AGENT_BODY_MAX];
	size_t n = cv_agent_status_put(&f->a.info, body);

	assert_true(n > 0);
	assert_int_equal(cv_agent_status_get(body, n, &s), 0);
	/* Truncated anywhere, or with a byte more. */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(cv_agent_status_get(body, cut, &s), -1);
	body[n] = 0;
	assert_int_equal(cv_agent_status_get(body, n + 1, &s), -1);
	/* A user name that is not one. */
	body[1] = 'D';
	assert_int_equal(cv_agent_status_get(body, n, &s), -1);
	body[1] = 'd';
	body[2] = '\0';
	assert_int_equal(cv_agent_status_get(body, n, &s), -1);
	body[2] = 'a';
	/* A NUL in the path. */
	body[n - 3] = '\0';
	assert_int_equal(cv_agent_status_get(body, n, &s), -1);
}

/* ---- key operations ----------------------------------------------------- */

static void test_sign_restarts_idle(void **state)
{
	struct fx *f = *state;
	const uint8_t msg[] = "casevault-checkpoint test message";
	size_t n = cv_agent_req_sign(f->req, msg, sizeof(msg));

	assert_int_equal(ask(f, n, NOW_BOOT + 30000), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_int_equal(reply_body(f), crypto_sign_BYTES);
	assert_int_equal(
	    crypto_sign_verify_detached(f->rep + CV_AGENT_HDR_LEN, msg, sizeof(msg), f->sign_pk),
	    0);
	assert_int_equal(f->a.info.uses, 1);
	assert_int_equal(f->a.idle_deadline, NOW_BOOT + 30000 + IDLE_S * 1000);
	assert_int_equal(f->a.info.idle_until, NOW_REAL + 30000 + IDLE_S * 1000);
	/* Empty and oversized messages are not signed, and are not a use. */
	assert_int_equal(cv_agent_req_sign(f->req, msg, 0), 0);
	assert_int_equal(cv_agent_req_sign(f->req, msg, CV_AGENT_SIGN_MAX + 1), 0);
	n = raw(f, CV_AGENT_OP_SIGN, NULL, 0);
	assert_int_equal(ask(f, n, NOW_BOOT + 40000), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	assert_int_equal(reply_body(f), 0);
	assert_int_equal(f->a.info.uses, 1);
	assert_int_equal(f->a.idle_deadline, NOW_BOOT + 30000 + IDLE_S * 1000);
}

static void test_unseal(void **state)
{
	struct fx *f = *state;
	uint8_t key[32], sealed[32 + crypto_box_SEALBYTES];
	size_t n;

	randombytes_buf(key, sizeof(key));
	crypto_box_seal(sealed, key, sizeof(key), f->box_pk);
	n = cv_agent_req_unseal(f->req, sealed, sizeof(sealed));
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_int_equal(reply_body(f), sizeof(key));
	assert_memory_equal(f->rep + CV_AGENT_HDR_LEN, key, sizeof(key));
	/* Sealed to someone else: it does not open, and nothing comes back. */
	sealed[5] ^= 1;
	n = cv_agent_req_unseal(f->req, sealed, sizeof(sealed));
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_FAILED);
	assert_int_equal(reply_body(f), 0);
	/* Shorter than a seal: malformed. */
	n = raw(f, CV_AGENT_OP_UNSEAL, sealed, crypto_box_SEALBYTES - 1);
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
}

static void test_box_and_unbox(void **state)
{
	struct fx *f = *state;
	uint8_t peer_pk[crypto_box_PUBLICKEYBYTES], peer_sk[crypto_box_SECRETKEYBYTES];
	uint8_t nonce[crypto_box_NONCEBYTES], key[32], back[32], c[32 + crypto_box_MACBYTES];
	size_t n;

	crypto_box_keypair(peer_pk, peer_sk);
	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(key, sizeof(key));
	/* The agent boxes to the peer; the peer opens it. */
	n = cv_agent_req_box(f->req, CV_AGENT_OP_BOX, nonce, peer_pk, key, sizeof(key));
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_int_equal(reply_body(f), sizeof(c));
	assert_int_equal(crypto_box_open_easy(back, f->rep + CV_AGENT_HDR_LEN, sizeof(c), nonce,
					      f->box_pk, peer_sk),
			 0);
	assert_memory_equal(back, key, sizeof(key));
	/* The peer boxes to the agent; the agent opens it. */
	assert_int_equal(crypto_box_easy(c, key, sizeof(key), nonce, f->box_pk, peer_sk), 0);
	n = cv_agent_req_box(f->req, CV_AGENT_OP_UNBOX, nonce, peer_pk, c, sizeof(c));
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_memory_equal(f->rep + CV_AGENT_HDR_LEN, key, sizeof(key));
	/* From another sender: fails. */
	n = cv_agent_req_box(f->req, CV_AGENT_OP_UNBOX, nonce, f->box_pk, c, sizeof(c));
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_FAILED);
	/* Bodies cut inside the nonce or the key, or an empty plaintext. */
	n = raw(f, CV_AGENT_OP_UNBOX, nonce, sizeof(nonce) - 1);
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	memcpy(f->rep, nonce, sizeof(nonce));
	memcpy(f->rep + sizeof(nonce), peer_pk, sizeof(peer_pk));
	n = raw(f, CV_AGENT_OP_BOX, f->rep, sizeof(nonce) + sizeof(peer_pk));
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	memcpy(f->rep, nonce, sizeof(nonce));
	memcpy(f->rep + sizeof(nonce), peer_pk, sizeof(peer_pk));
	n = raw(f, CV_AGENT_OP_UNBOX, f->rep, sizeof(nonce) + sizeof(peer_pk) + 15);
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	sodium_memzero(peer_sk, sizeof(peer_sk));
}

/* n copies of key boxed from peer to the agent; every odd one names
 * another sender (it does not open). */
struct batch {
	uint8_t peer_pk[crypto_box_PUBLICKEYBYTES], peer_sk[crypto_box_SECRETKEYBYTES];
	uint8_t nonce[CV_AGENT_BATCH_MAX + 40][crypto_box_NONCEBYTES];
	uint8_t c[CV_AGENT_BATCH_MAX + 40][32 + crypto_box_MACBYTES];
	uint8_t m[CV_AGENT_BATCH_MAX + 40][32];
	uint8_t key[32];
	cv_unbox_item items[CV_AGENT_BATCH_MAX + 40];
};

static struct batch *batch_new(const struct fx *f, size_t n)
{
	struct batch *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	crypto_box_keypair(b->peer_pk, b->peer_sk);
	randombytes_buf(b->key, sizeof(b->key));
	for (size_t i = 0; i < n; i++) {
		randombytes_buf(b->nonce[i], sizeof(b->nonce[i]));
		assert_int_equal(crypto_box_easy(b->c[i], b->key, sizeof(b->key), b->nonce[i],
						 f->box_pk, b->peer_sk),
				 0);
		/* The odd ones name a sender that did not box them (32
		 * bytes of a ciphertext). */
		b->items[i] = (cv_unbox_item){b->c[i],	   sizeof(b->c[i]),
					      b->nonce[i], i % 2 ? b->c[0] : b->peer_pk,
					      b->m[i],	   -1};
	}
	return b;
}

static void test_unbox_many(void **state)
{
	struct fx *f = *state;
	struct batch *b = batch_new(f, 5);
	size_t n = cv_agent_req_unbox_many(f->req, b->items, 5);

	assert_true(n > 0);
	assert_int_equal(ask(f, n, NOW_BOOT + 1000), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_int_equal(
	    cv_agent_rep_unbox_many(f->rep + CV_AGENT_HDR_LEN, reply_body(f), b->items, 5), 0);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(b->items[i].ok, i % 2 == 0);
		if (i % 2 == 0)
			assert_memory_equal(b->m[i], b->key, sizeof(b->key));
	}
	assert_int_equal(f->a.info.uses, 1); /* one request, one use */
	/* A reply that does not match the request is refused by the client. */
	assert_int_equal(
	    cv_agent_rep_unbox_many(f->rep + CV_AGENT_HDR_LEN, reply_body(f) - 1, b->items, 5), -1);
	assert_int_equal(
	    cv_agent_rep_unbox_many(f->rep + CV_AGENT_HDR_LEN, reply_body(f), b->items, 4), -1);
	sodium_memzero(b->peer_sk, sizeof(b->peer_sk));
	free(b);
}

static void test_unbox_many_refusals(void **state)
{
	struct fx *f = *state;
	struct batch *b = batch_new(f, CV_AGENT_BATCH_MAX + 1);
	uint8_t body[8] = {0};
	size_t n;

	/* None, or more than the bound: not even built. */
	assert_int_equal(cv_agent_req_unbox_many(f->req, b->items, 0), 0);
	assert_int_equal(cv_agent_req_unbox_many(f->req, b->items, CV_AGENT_BATCH_MAX + 1), 0);
	/* ... and refused when sent anyway. */
	n = raw(f, CV_AGENT_OP_UNBOX_MANY, body, 2);
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	n = cv_agent_req_unbox_many(f->req, b->items, CV_AGENT_BATCH_MAX);
	assert_true(n > 0);
	f->req[CV_AGENT_HDR_LEN] = (CV_AGENT_BATCH_MAX + 1) >> 8;
	f->req[CV_AGENT_HDR_LEN + 1] = (CV_AGENT_BATCH_MAX + 1) & 0xff;
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	/* A count that promises one item more than the body holds. */
	n = cv_agent_req_unbox_many(f->req, b->items, 3);
	f->req[CV_AGENT_HDR_LEN + 1] = 4;
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	/* A byte after the last item. */
	n = cv_agent_req_unbox_many(f->req, b->items, 3);
	f->req[n] = 0;
	cv_agent_hdr_put(f->req, CV_AGENT_OP_UNBOX_MANY, (uint32_t)(n + 1 - CV_AGENT_HDR_LEN));
	assert_int_equal(ask(f, n + 1, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	/* An item shorter than a MAC. */
	b->items[1].clen = crypto_box_MACBYTES - 1;
	assert_int_equal(cv_agent_req_unbox_many(f->req, b->items, 3), 0);
	assert_int_equal(f->a.info.uses, 0);
	sodium_memzero(b->peer_sk, sizeof(b->peer_sk));
	free(b);
}

/* ---- signatures the agent knows to verify ------------------------------- */

/* n fresh signatures by a new key over distinct messages, the odd ones
 * with a byte of the signature changed (they do not verify). */
static struct cv_sigmemo_fresh *signed_msgs(size_t n)
{
	struct cv_sigmemo_fresh *fr = calloc(n, sizeof(*fr));
	uint8_t sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];

	assert_non_null(fr);
	crypto_sign_keypair(pk, sk);
	for (size_t i = 0; i < n; i++) {
		memcpy(fr[i].pk, pk, sizeof(pk));
		fr[i].len = (size_t)snprintf((char *)fr[i].msg, sizeof(fr[i].msg),
					     "casevault-user-cert-v1 identity %zu", i);
		crypto_sign_detached(fr[i].sig, NULL, fr[i].msg, fr[i].len, sk);
		if (i % 2)
			fr[i].sig[7] ^= 0x20;
	}
	sodium_memzero(sk, sizeof(sk));
	return fr;
}

/* VERIFIED into a client's memo; the number of tags the agent gave. */
static size_t ask_verified(struct fx *f, cv_sigmemo *m)
{
	size_t n = cv_agent_req_simple(f->req, CV_AGENT_OP_VERIFIED);

	assert_int_equal(ask(f, n, NOW_BOOT + 1000), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_int_equal(cv_agent_rep_verified(f->rep + CV_AGENT_HDR_LEN, reply_body(f), m), 0);
	return m->n;
}

/* REMEMBER keeps only what verifies in the agent itself; VERIFIED gives
 * those tags; neither is a use of the keys.  A client with those tags
 * skips exactly those signatures, and only while not a byte differs. */
static void test_remember_and_verified(void **state)
{
	struct fx *f = *state;
	struct cv_sigmemo_fresh *fr = signed_msgs(4);
	cv_sigmemo *m = calloc(1, sizeof(*m));
	uint8_t tag[CV_SIGMEMO_TAG_LEN];
	int64_t idle = f->a.idle_deadline;
	size_t n;

	assert_non_null(m);
	assert_int_equal(ask_verified(f, m), 0);
	n = cv_agent_req_remember(f->req, fr, 4);
	assert_true(n > 0);
	assert_int_equal(ask(f, n, NOW_BOOT + 2000), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_int_equal(reply_body(f), 2);
	assert_int_equal(f->rep[CV_AGENT_HDR_LEN] << 8 | f->rep[CV_AGENT_HDR_LEN + 1], 2);
	/* The same ones again are not kept twice. */
	assert_int_equal(ask(f, n, NOW_BOOT + 2000), 0);
	assert_int_equal(f->a.sigs->n, 2);
	assert_int_equal(ask_verified(f, m), 2);
	cv_sigmemo_tag(fr[0].pk, fr[0].sig, fr[0].msg, fr[0].len, tag);
	assert_true(cv_sigmemo_known(m, tag));
	cv_sigmemo_tag(fr[1].pk, fr[1].sig, fr[1].msg, fr[1].len, tag);
	assert_false(cv_sigmemo_known(m, tag)); /* the changed signature */
	assert_int_equal(f->a.info.uses, 0);
	assert_int_equal(f->a.idle_deadline, idle);
	/* The client: a known signature verifies with nothing new to report;
	 * the changed one fails; one byte of message, signature or key
	 * changed is another signature, verified afresh (and fails). */
	assert_true(cv_sig_verify(m, fr[0].sig, fr[0].msg, fr[0].len, fr[0].pk));
	assert_int_equal(m->nfresh, 0);
	assert_false(cv_sig_verify(m, fr[1].sig, fr[1].msg, fr[1].len, fr[1].pk));
	fr[0].msg[3] ^= 1;
	assert_false(cv_sig_verify(m, fr[0].sig, fr[0].msg, fr[0].len, fr[0].pk));
	fr[0].msg[3] ^= 1;
	fr[0].sig[0] ^= 1;
	assert_false(cv_sig_verify(m, fr[0].sig, fr[0].msg, fr[0].len, fr[0].pk));
	fr[0].sig[0] ^= 1;
	fr[0].pk[0] ^= 1;
	assert_false(cv_sig_verify(m, fr[0].sig, fr[0].msg, fr[0].len, fr[0].pk));
	fr[0].pk[0] ^= 1;
	assert_int_equal(m->nfresh, 0);
	/* A good signature it did not know is verified and kept to report. */
	assert_true(cv_sig_verify(m, fr[2].sig, fr[2].msg, fr[2].len, fr[2].pk));
	assert_int_equal(m->nfresh, 0); /* fr[2] was remembered: known */
	cv_sigmemo_free(m);
	free(fr);
}

/* What the client reports: new good signatures, once each. */
static void test_sig_verify_fresh(void **state)
{
	struct cv_sigmemo_fresh *fr = signed_msgs(CV_SIGMEMO_FRESH_MAX * 2 + 2);
	cv_sigmemo *m = calloc(1, sizeof(*m));
	uint8_t tag[CV_SIGMEMO_TAG_LEN];

	(void)state;
	assert_non_null(m);
	/* Without a memo: the plain check. */
	assert_true(cv_sig_verify(NULL, fr[0].sig, fr[0].msg, fr[0].len, fr[0].pk));
	assert_false(cv_sig_verify(NULL, fr[1].sig, fr[1].msg, fr[1].len, fr[1].pk));
	assert_true(cv_sig_verify(m, fr[0].sig, fr[0].msg, fr[0].len, fr[0].pk));
	assert_true(cv_sig_verify(m, fr[0].sig, fr[0].msg, fr[0].len, fr[0].pk));
	assert_false(cv_sig_verify(m, fr[1].sig, fr[1].msg, fr[1].len, fr[1].pk));
	assert_int_equal(m->nfresh, 1);
	assert_memory_equal(m->fresh[0].sig, fr[0].sig, crypto_sign_BYTES);
	/* Reported up to the bound; known all the same. */
	for (size_t i = 2; i < CV_SIGMEMO_FRESH_MAX * 2 + 2; i += 2)
		assert_true(cv_sig_verify(m, fr[i].sig, fr[i].msg, fr[i].len, fr[i].pk));
	assert_int_equal(m->nfresh, CV_SIGMEMO_FRESH_MAX);
	cv_sigmemo_tag(fr[CV_SIGMEMO_FRESH_MAX * 2].pk, fr[CV_SIGMEMO_FRESH_MAX * 2].sig,
		       fr[CV_SIGMEMO_FRESH_MAX * 2].msg, fr[CV_SIGMEMO_FRESH_MAX * 2].len, tag);
	assert_true(cv_sigmemo_known(m, tag));
	/* A full memo drops its oldest tag. */
	for (unsigned i = 0; i < CV_SIGMEMO_MAX; i++) {
		uint8_t t[CV_SIGMEMO_TAG_LEN] = {0};

		t[0] = (uint8_t)i;
		t[1] = (uint8_t)(i >> 8);
		t[2] = 0xee;
		cv_sigmemo_add(m, t);
	}
	assert_int_equal(m->n, CV_SIGMEMO_MAX);
	cv_sigmemo_tag(fr[0].pk, fr[0].sig, fr[0].msg, fr[0].len, tag);
	assert_false(cv_sigmemo_known(m, tag));
	cv_sigmemo_free(m);
	free(fr);
}

/* Malformed REMEMBER and VERIFIED requests and replies change nothing. */
static void test_remember_refusals(void **state)
{
	struct fx *f = *state;
	struct cv_sigmemo_fresh *fr = signed_msgs(CV_SIGMEMO_FRESH_MAX + 1);
	uint8_t body[4] = {0}, rep[2 + CV_SIGMEMO_TAG_LEN] = {0, 2};
	cv_sigmemo *m = calloc(1, sizeof(*m));
	size_t n;

	assert_non_null(m);
	/* None, too many, an empty message: not even built ... */
	assert_int_equal(cv_agent_req_remember(f->req, fr, 0), 0);
	assert_int_equal(cv_agent_req_remember(f->req, fr, CV_SIGMEMO_FRESH_MAX + 1), 0);
	fr[2].len = 0;
	assert_int_equal(cv_agent_req_remember(f->req, fr + 2, 1), 0);
	fr[2].len = 10;
	/* ... and refused when sent anyway. */
	n = raw(f, CV_AGENT_OP_REMEMBER, body, 2);
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	n = cv_agent_req_remember(f->req, fr, 3);
	f->req[CV_AGENT_HDR_LEN + 1] = 4; /* one more than the body holds */
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	n = cv_agent_req_remember(f->req, fr, 3);
	f->req[n] = 0; /* a byte after the last */
	cv_agent_hdr_put(f->req, CV_AGENT_OP_REMEMBER, (uint32_t)(n + 1 - CV_AGENT_HDR_LEN));
	assert_int_equal(ask(f, n + 1, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	n = cv_agent_req_remember(f->req, fr, 1);
	f->req[CV_AGENT_HDR_LEN + 2 + 96] = 0; /* a message length of 0 */
	f->req[CV_AGENT_HDR_LEN + 2 + 97] = 0;
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	n = raw(f, CV_AGENT_OP_VERIFIED, body, 1);
	assert_int_equal(ask(f, n, NOW_BOOT), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_MALFORMED);
	assert_true(f->a.sigs == NULL || f->a.sigs->n == 0);
	assert_int_equal(f->a.info.uses, 0);
	/* A VERIFIED reply promising more tags than it holds, or over the
	 * bound, adds none. */
	assert_int_equal(cv_agent_rep_verified(rep, sizeof(rep), m), -1);
	rep[0] = (CV_SIGMEMO_MAX + 1) >> 8;
	rep[1] = (CV_SIGMEMO_MAX + 1) & 0xff;
	assert_int_equal(cv_agent_rep_verified(rep, sizeof(rep), m), -1);
	assert_int_equal(m->n, 0);
	cv_sigmemo_free(m);
	free(fr);
}

/* ---- the end ------------------------------------------------------------ */

static void test_expiry(void **state)
{
	struct fx *f = *state;
	const uint8_t msg[] = "m";
	size_t n = cv_agent_req_sign(f->req, msg, sizeof(msg));

	assert_false(cv_agent_expired(&f->a, NOW_BOOT + IDLE_S * 1000 - 1));
	assert_true(cv_agent_expired(&f->a, NOW_BOOT + IDLE_S * 1000));
	assert_int_equal(cv_agent_deadline(&f->a), NOW_BOOT + IDLE_S * 1000);
	/* Used just in time: the idle timer moves, but never past the cap. */
	assert_int_equal(ask(f, n, NOW_BOOT + IDLE_S * 1000 - 1), 0);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_false(cv_agent_expired(&f->a, NOW_BOOT + IDLE_S * 1000));
	for (int64_t t = NOW_BOOT; t < NOW_BOOT + CAP_S * 1000; t += IDLE_S * 500)
		assert_int_equal(ask(f, n, t), 0);
	assert_true(cv_agent_expired(&f->a, NOW_BOOT + CAP_S * 1000));
	assert_int_equal(cv_agent_deadline(&f->a), NOW_BOOT + CAP_S * 1000);
	/* After the cap: refused, and the agent is to end. */
	assert_int_equal(ask(f, n, NOW_BOOT + CAP_S * 1000), -1);
	assert_int_equal(reply_code(f), CV_AGENT_R_ENDED);
	assert_int_equal(reply_body(f), 0);
	assert_int_equal(f->a.stop, 1);
}

static void test_lock(void **state)
{
	struct fx *f = *state;
	size_t n = cv_agent_req_simple(f->req, CV_AGENT_OP_LOCK);

	assert_int_equal(ask(f, n, NOW_BOOT), -1);
	assert_int_equal(reply_code(f), CV_AGENT_R_OK);
	assert_int_equal(f->a.stop, 1);
	assert_int_equal(f->a.info.uses, 0);
}

/* Random requests: every reply is a well-formed header, never a crash. */
static void test_random_requests(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 20000; i++) {
		size_t len = CV_AGENT_HDR_LEN + randombytes_uniform(300);
		uint8_t op = (uint8_t)randombytes_uniform(10);

		randombytes_buf(f->req + CV_AGENT_HDR_LEN, len - CV_AGENT_HDR_LEN);
		cv_agent_hdr_put(f->req, op, (uint32_t)(len - CV_AGENT_HDR_LEN));
		if (i % 7 == 0) /* a wholly random header now and then */
			randombytes_buf(f->req, CV_AGENT_HDR_LEN);
		if (op == CV_AGENT_OP_LOCK)
			continue;
		ask(f, len, NOW_BOOT);
		reply_body(f);
		assert_int_equal(f->a.stop, 0);
	}
}

/* ---- the client, over a socket ------------------------------------------ */

/* A process that answers requests on fd with cv_agent_handle until EOF
 * (other: the client's end, closed in it). */
static pid_t serve_on(struct fx *f, int fd, int other)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid)
		return pid;
	close(other);
	for (;;) {
		uint8_t op;
		uint32_t len = 0;
		size_t have = 0, want = CV_AGENT_HDR_LEN;

		while (have < want) {
			ssize_t r = read(fd, f->req + have, want - have);

			if (r <= 0)
				_exit(0);
			have += (size_t)r;
			if (have == CV_AGENT_HDR_LEN &&
			    cv_agent_hdr_get(f->req, &op, &len) == CV_AGENT_R_OK)
				want += len;
		}
		cv_agent_handle(&f->a, f->req, have, NOW_BOOT, NOW_REAL, f->rep, &f->replen);
		if (write(fd, f->rep, f->replen) != (ssize_t)f->replen)
			_exit(1);
	}
}

static void test_client_holder(void **state)
{
	struct fx *f = *state;
	int sv[2];
	pid_t pid;
	cv_keyholder *kh = NULL;
	struct cv_agent_status st;
	struct batch *b = batch_new(f, CV_AGENT_BATCH_MAX + 40);
	uint8_t sig[crypto_sign_BYTES], key[32], sealed[32 + crypto_box_SEALBYTES], m[32];
	uint8_t c[32 + crypto_box_MACBYTES];
	cv_err e = {0};
	int status = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = serve_on(f, sv[1], sv[0]);
	close(sv[1]);
	assert_int_equal(cv_agent_status_call(sv[0], &st, &e), CV_OK);
	assert_string_equal(st.user, "dana");
	assert_int_equal(cv_agent_keyholder(sv[0], &st, &kh, &e), CV_OK);
	assert_memory_equal(kh->box_pk, f->box_pk, sizeof(f->box_pk));
	assert_int_equal(cv_keyholder_sign(kh, (const uint8_t *)"abc", 3, sig, &e), CV_OK);
	assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)"abc", 3, f->sign_pk),
			 0);
	randombytes_buf(key, sizeof(key));
	crypto_box_seal(sealed, key, sizeof(key), f->box_pk);
	assert_int_equal(cv_keyholder_unseal(kh, sealed, sizeof(sealed), m, &e), CV_OK);
	assert_memory_equal(m, key, sizeof(key));
	/* The same refusals, with the same codes, as the local holder. */
	sealed[0] ^= 1;
	assert_int_equal(cv_keyholder_unseal(kh, sealed, sizeof(sealed), m, &e), CV_EINTEGRITY);
	assert_string_equal(e.code, "key.unseal");
	assert_int_equal(cv_keyholder_unseal(kh, sealed, crypto_box_SEALBYTES - 1, m, &e),
			 CV_EINTEGRITY);
	assert_string_equal(e.code, "key.sealed-short");
	assert_int_equal(cv_keyholder_box(kh, key, sizeof(key), b->nonce[0], b->peer_pk, c, &e),
			 CV_OK);
	assert_int_equal(crypto_box_open_easy(m, c, sizeof(c), b->nonce[0], f->box_pk, b->peer_sk),
			 0);
	assert_int_equal(
	    cv_keyholder_unbox(kh, b->c[0], sizeof(b->c[0]), b->nonce[0], b->peer_pk, m, &e),
	    CV_OK);
	assert_memory_equal(m, b->key, sizeof(b->key));
	assert_int_equal(
	    cv_keyholder_unbox(kh, b->c[1], sizeof(b->c[1]), b->nonce[1], b->peer_pk, m, &e),
	    CV_OK); /* item 1 was boxed from peer too: only its pk is wrong */
	assert_int_equal(
	    cv_keyholder_unbox(kh, b->c[0], sizeof(b->c[0]), b->nonce[1], b->peer_pk, m, &e),
	    CV_EINTEGRITY);
	assert_string_equal(e.code, "key.unbox");
	/* Never re-wrapped by the agent. */
	assert_int_equal(cv_keyholder_wrap(kh, key, key, 1, m, c, &e), CV_ERROR);
	/* More than one request's worth, in as few requests as fit. */
	assert_int_equal(cv_keyholder_unbox_many(kh, b->items, CV_AGENT_BATCH_MAX + 40, &e), CV_OK);
	for (size_t i = 0; i < CV_AGENT_BATCH_MAX + 40; i++) {
		assert_int_equal(b->items[i].ok, i % 2 == 0);
		if (i % 2 == 0)
			assert_memory_equal(b->m[i], b->key, sizeof(b->key));
	}
	cv_keyholder_free(kh); /* closes the socket: the server ends */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sodium_memzero(b->peer_sk, sizeof(b->peer_sk));
	free(b);
}

/* Copies opened ahead in one round trip answer the unbox calls that
 * follow, each once, with no round trip: they still open after the agent
 * is gone; what did not open, or was used, is asked (and then fails). */
static void test_client_prefetch(void **state)
{
	struct fx *f = *state;
	struct cv_agent_status st = f->a.info;
	struct batch *b = batch_new(f, 6);
	cv_keyholder *kh = NULL;
	uint8_t m[32];
	cv_err e = {0};
	int sv[2], status = 0;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = serve_on(f, sv[1], sv[0]);
	close(sv[1]);
	assert_int_equal(cv_agent_keyholder(sv[0], &st, &kh, &e), CV_OK);
	assert_true(cv_keyholder_prefetches(kh));
	cv_keyholder_prefetch(kh, b->items, 6);
	/* The agent goes away. */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	for (size_t i = 0; i < 6; i += 2) {
		memset(m, 0, sizeof(m));
		assert_int_equal(cv_keyholder_unbox(kh, b->items[i].c, b->items[i].clen,
						    b->items[i].nonce, b->items[i].peer_pk, m, &e),
				 CV_OK);
		assert_memory_equal(m, b->key, sizeof(m));
	}
	/* Used once only; one that did not open is asked again. */
	assert_int_equal(cv_keyholder_unbox(kh, b->items[0].c, b->items[0].clen, b->items[0].nonce,
					    b->items[0].peer_pk, m, &e),
			 CV_ERROR);
	assert_string_equal(e.code, CV_CODE_AGENT_IO);
	cv_keyholder_free(kh);
	sodium_memzero(b->peer_sk, sizeof(b->peer_sk));
	free(b);
}

/* Wiping what was opened ahead: the next unbox is asked of the agent. */
static void test_client_prefetch_wiped(void **state)
{
	struct fx *f = *state;
	struct cv_agent_status st = f->a.info;
	struct batch *b = batch_new(f, 2);
	cv_keyholder *kh = NULL;
	uint8_t m[32];
	cv_err e = {0};
	int sv[2], status = 0;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = serve_on(f, sv[1], sv[0]);
	close(sv[1]);
	assert_int_equal(cv_agent_keyholder(sv[0], &st, &kh, &e), CV_OK);
	cv_keyholder_prefetch(kh, b->items, 2);
	cv_keyholder_prefetch(kh, NULL, 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(cv_keyholder_unbox(kh, b->items[0].c, b->items[0].clen, b->items[0].nonce,
					    b->items[0].peer_pk, m, &e),
			 CV_ERROR);
	assert_string_equal(e.code, CV_CODE_AGENT_IO);
	cv_keyholder_free(kh);
	/* An in-process holder has nothing to gain, and ignores it. */
	assert_false(cv_keyholder_prefetches(f->a.kh));
	cv_keyholder_prefetch(f->a.kh, b->items, 2);
	sodium_memzero(b->peer_sk, sizeof(b->peer_sk));
	free(b);
}

/* The agent gone mid-command: an error, not a crash or a hang. */
static void test_client_agent_gone(void **state)
{
	struct fx *f = *state;
	struct cv_agent_status st = f->a.info;
	cv_keyholder *kh = NULL;
	uint8_t sig[crypto_sign_BYTES];
	cv_err e = {0};
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(cv_agent_keyholder(sv[0], &st, &kh, &e), CV_OK);
	close(sv[1]);
	assert_int_equal(cv_keyholder_sign(kh, (const uint8_t *)"abc", 3, sig, &e), CV_ERROR);
	assert_string_equal(e.code, CV_CODE_AGENT_IO);
	cv_keyholder_free(kh);
}

/* ---- the directory and the socket --------------------------------------- */

static void set_runtime(const struct fx *f, char *run, size_t cap)
{
	tmpdir_file(run, cap, f->dir, "run");
	assert_int_equal(setenv("XDG_RUNTIME_DIR", run, 1), 0);
}

static void test_dir_checks(void **state)
{
	struct fx *f = *state;
	char run[TEST_PATH_MAX], dir[CV_AGENT_SOCK_MAX], link[TEST_PATH_MAX];
	struct stat sb;
	cv_err e = {0};

	set_runtime(f, run, sizeof(run));
	assert_int_equal(mkdir(run, 0700), 0);
	/* Missing and not to be made: no agent, and nothing is made. */
	assert_int_equal(cv_agent_dir(0, dir, sizeof(dir), &e), CV_ENOTFOUND);
	assert_string_equal(e.code, CV_CODE_AGENT_NONE);
	assert_int_not_equal(lstat(dir, &sb), 0);
	/* Made, private. */
	assert_int_equal(cv_agent_dir(1, dir, sizeof(dir), &e), CV_OK);
	assert_int_equal(lstat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* Open to the group, or to others: refused, with create too. */
	assert_int_equal(chmod(dir, 0750), 0);
	assert_int_equal(cv_agent_dir(0, dir, sizeof(dir), &e), CV_EINTEGRITY);
	assert_string_equal(e.code, CV_CODE_AGENT_UNSAFE);
	assert_non_null(strstr(e.msg, "0750"));
	assert_int_equal(chmod(dir, 0701), 0);
	assert_int_equal(cv_agent_dir(1, dir, sizeof(dir), &e), CV_EINTEGRITY);
	assert_int_equal(chmod(dir, 0700), 0);
	/* A link to a private directory is not the directory. */
	tmpdir_file(link, sizeof(link), f->dir, "elsewhere");
	assert_int_equal(rename(dir, link), 0);
	assert_int_equal(symlink(link, dir), 0);
	assert_int_equal(cv_agent_dir(0, dir, sizeof(dir), &e), CV_EINTEGRITY);
	assert_string_equal(e.code, CV_CODE_AGENT_UNSAFE);
	/* A relative XDG_RUNTIME_DIR is not used. */
	assert_int_equal(setenv("XDG_RUNTIME_DIR", "run", 1), 0);
	assert_int_equal(cv_agent_dir(1, dir, sizeof(dir), &e), CV_ERROR);
	assert_string_equal(e.code, CV_CODE_AGENT_PATH);
	unsetenv("XDG_RUNTIME_DIR");
}

static void test_fallback_dir(void **state)
{
	struct fx *f = *state;
	char home[TEST_PATH_MAX], dir[CV_AGENT_SOCK_MAX], want[TEST_PATH_MAX + 32];
	const char *old = getenv("HOME");
	char *saved = old ? strdup(old) : NULL;
	struct stat sb;
	cv_err e = {0};

	tmpdir_file(home, sizeof(home), f->dir, "home");
	assert_int_equal(mkdir(home, 0755), 0);
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(setenv("HOME", home, 1), 0);
	assert_int_equal(cv_agent_dir(1, dir, sizeof(dir), &e), CV_OK);
	snprintf(want, sizeof(want), "%s/.cache/casevault/run", home);
	assert_string_equal(dir, want);
	assert_int_equal(lstat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	if (saved)
		setenv("HOME", saved, 1);
	free(saved);
}

static void test_socket_checks(void **state)
{
	struct fx *f = *state;
	char run[TEST_PATH_MAX], dir[CV_AGENT_SOCK_MAX], path[CV_AGENT_SOCK_MAX];
	struct sockaddr_un addr = {0};
	struct stat sb;
	cv_err e = {0};
	int fd = -1, s;
	FILE *fp;

	set_runtime(f, run, sizeof(run));
	assert_int_equal(mkdir(run, 0700), 0);
	assert_int_equal(cv_agent_dir(1, dir, sizeof(dir), &e), CV_OK);
	assert_int_equal(
	    cv_agent_sock_path(dir, f->a.info.vault_id, "dana", path, sizeof(path), &e), CV_OK);
	assert_non_null(strstr(path, "-dana.sock"));
	/* Nothing there. */
	assert_int_equal(cv_agent_connect(path, &fd, &e), CV_ENOTFOUND);
	assert_string_equal(e.code, CV_CODE_AGENT_NONE);
	/* A regular file is not a socket. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(cv_agent_connect(path, &fd, &e), CV_EINTEGRITY);
	assert_string_equal(e.code, CV_CODE_AGENT_UNSAFE);
	assert_int_equal(unlink(path), 0);
	/* A socket nobody listens on any more: stale, removed. */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(s);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(cv_agent_connect(path, &fd, &e), CV_ENOTFOUND);
	assert_string_equal(e.code, CV_CODE_AGENT_NONE);
	assert_int_not_equal(lstat(path, &sb), 0);
	assert_int_equal(fd, -1);
	/* A socket others may write to is not used. */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(cv_agent_connect(path, &fd, &e), CV_EINTEGRITY);
	assert_string_equal(e.code, CV_CODE_AGENT_UNSAFE);
	/* Made private: connected, and the peer is this uid. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(cv_agent_connect(path, &fd, &e), CV_OK);
	close(fd);
	close(s);
	unlink(path);
	/* A path too long for a UNIX socket is refused, not cut. */
	memset(run, 'a', 100);
	run[0] = '/';
	run[100] = '\0';
	assert_int_equal(
	    cv_agent_sock_path(run, f->a.info.vault_id, "dana", path, sizeof(path), &e), CV_ERROR);
	assert_string_equal(e.code, CV_CODE_AGENT_PATH);
	unsetenv("XDG_RUNTIME_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_headers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_parse_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sign_restarts_idle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unseal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_box_and_unbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unbox_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unbox_many_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remember_and_verified, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sig_verify_fresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remember_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_holder, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_agent_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_prefetch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_prefetch_wiped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fallback_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_socket_checks, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

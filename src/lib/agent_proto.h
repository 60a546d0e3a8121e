/*
 * agent_proto.h - ground layer: the unlock agent's wire protocol, and the
 * agent's answer to one request, apart from any socket (so that it can be
 * tested alone).
 *
 * Every message, request or reply, is an 8-byte header and a body:
 *
 *   "CA" (2) || version (1) || op or reply code (1) || u32be(body length)
 *
 * The version is CV_AGENT_PROTO; a message of another version, another
 * magic, or a body over CV_AGENT_BODY_MAX is refused (reply
 * CV_AGENT_R_VERSION, CV_AGENT_R_MALFORMED, CV_AGENT_R_TOO_LARGE) and the
 * connection closed.  Request bodies (u16be, u32be: big-endian; lp8(s):
 * u8 length then the bytes):
 *
 *   STATUS     empty
 *   SIGN       the message (1..CV_AGENT_SIGN_MAX bytes)
 *   UNSEAL     the sealed box (crypto_box_SEALBYTES..CV_AGENT_ITEM_MAX)
 *   BOX        nonce (24) || peer_pk (32) || the plaintext (1..CV_AGENT_ITEM_MAX)
 *   UNBOX      nonce (24) || peer_pk (32) || the box (16..CV_AGENT_ITEM_MAX)
 *   UNBOX_MANY u16be(n, 1..CV_AGENT_BATCH_MAX) || n times
 *              (nonce (24) || peer_pk (32) || u16be(len) || the box)
 *   LOCK       empty
 *   VERIFIED   empty
 *   REMEMBER   u16be(n, 1..CV_SIGMEMO_FRESH_MAX) || n times
 *              (public key (32) || signature (64) || u16be(len,
 *              1..CV_SIGMEMO_MSG_MAX) || the message)
 *
 * and reply bodies, under code CV_AGENT_R_OK:
 *
 *   STATUS     lp8(user) || vault_id (16) || box_pk (32) || sign_pk (32)
 *              || u32be(idle seconds) || u32be(cap seconds)
 *              || u64be(idle_until) || u64be(cap_until) (Unix time, ms)
 *              || u64be(idle ms left) || u64be(cap ms left)
 *              || u64be(key operations served) || u32be(pid)
 *              || u16be(len) || the vault's path
 *   SIGN       the signature (64)
 *   UNSEAL, BOX, UNBOX   the result
 *   UNBOX_MANY n times (u8 opened (0 or 1) || the plaintext when opened)
 *   LOCK       empty (the agent then ends)
 *   VERIFIED   u16be(n) || n tags (32 each): the signatures the agent
 *              knows to verify (sigmemo.h), at most CV_SIGMEMO_MAX
 *   REMEMBER   u16be(how many of the n verified): the agent verifies each
 *              signature itself and keeps the tags of those that verify
 *              (a client cannot make it keep one that does not)
 *
 * CV_AGENT_R_FAILED (empty body) says the operation itself failed (a box
 * that does not open); any other code says the request was refused.  Only
 * SIGN, UNSEAL, BOX, UNBOX and UNBOX_MANY, well formed, count as a use of
 * the keys and restart the idle timer; STATUS, LOCK, VERIFIED and
 * REMEMBER do not.  An agent older than VERIFIED and REMEMBER answers
 * them CV_AGENT_R_UNKNOWN, and commands then verify every signature.
 */
#ifndef CV_AGENT_PROTO_H
#define CV_AGENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "keyholder.h"
#include "sigmemo.h"

#define CV_AGENT_PROTO 1
#define CV_AGENT_MAGIC0 'C'
#define CV_AGENT_MAGIC1 'A'
#define CV_AGENT_HDR_LEN 8
#define CV_AGENT_BODY_MAX 32768u
#define CV_AGENT_MSG_MAX (CV_AGENT_HDR_LEN + CV_AGENT_BODY_MAX)
#define CV_AGENT_SIGN_MAX 16384u /* the longest message signed (a few hundred bytes) */
#define CV_AGENT_ITEM_MAX 1024u	 /* the longest box: key copies are 48 bytes */
#define CV_AGENT_BATCH_MAX 256u
#define CV_AGENT_VAULT_ID_LEN 16
#define CV_AGENT_PATH_MAX CV_AGENT_VAULT_PATH_MAX /* the vault path shown by status */

enum cv_agent_op {
	CV_AGENT_OP_STATUS = 1,
	CV_AGENT_OP_SIGN = 2,
	CV_AGENT_OP_UNSEAL = 3,
	CV_AGENT_OP_BOX = 4,
	CV_AGENT_OP_UNBOX = 5,
	CV_AGENT_OP_UNBOX_MANY = 6,
	CV_AGENT_OP_LOCK = 7,
	CV_AGENT_OP_VERIFIED = 8,
	CV_AGENT_OP_REMEMBER = 9,
};

enum cv_agent_reply {
	CV_AGENT_R_OK = 0,
	CV_AGENT_R_FAILED = 1,	  /* the operation failed: a box that does not open */
	CV_AGENT_R_MALFORMED = 2, /* a header or body that does not parse */
	CV_AGENT_R_UNKNOWN = 3,	  /* an op this agent does not know */
	CV_AGENT_R_VERSION = 4,	  /* another protocol version */
	CV_AGENT_R_TOO_LARGE = 5, /* a body over CV_AGENT_BODY_MAX */
	CV_AGENT_R_ENDED = 6,	  /* the agent's time is up: it is ending */
};

/* What an agent holds and until when; the body of a STATUS reply. */
struct cv_agent_status {
	char user[CV_NAME_MAX + 1];
	uint8_t vault_id[CV_AGENT_VAULT_ID_LEN];
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t sign_pk[crypto_sign_PUBLICKEYBYTES];
	uint32_t idle_s, cap_s;
	int64_t idle_until, cap_until; /* Unix time, ms */
	int64_t idle_left, cap_left;   /* ms */
	uint64_t uses;
	uint32_t pid;
	char vault_path[CV_AGENT_PATH_MAX];
};

/* The agent's side: its keys, what it tells, and its timers (ms on
 * CLOCK_BOOTTIME, which counts suspend). */
struct cv_agent_state {
	cv_keyholder *kh;
	struct cv_agent_status info; /* user, vault, keys, timeouts, pid, path */
	int64_t idle_deadline, cap_deadline;
	int stop;	  /* set by LOCK or by a request after the time ran out */
	cv_sigmemo *sigs; /* signatures verified here (REMEMBER), or NULL */
};

/* Writes a header for op (or a reply code) and a body of len bytes. */
void cv_agent_hdr_put(uint8_t hdr[CV_AGENT_HDR_LEN], uint8_t op, uint32_t len);

/*
 * cv_agent_hdr_get - checks a received header: CV_AGENT_R_OK and *op and
 * *len set, or the reply code that refuses it (CV_AGENT_R_MALFORMED for
 * another magic, CV_AGENT_R_VERSION, CV_AGENT_R_TOO_LARGE).
 */
int cv_agent_hdr_get(const uint8_t hdr[CV_AGENT_HDR_LEN], uint8_t *op, uint32_t *len);

/*
 * cv_agent_start_clock - sets the timers of a starts at now_boot and
 * now_real (ms on CLOCK_BOOTTIME and CLOCK_REALTIME): the idle timer to
 * info.idle_s, the cap to info.cap_s.
 */
void cv_agent_start_clock(struct cv_agent_state *a, int64_t now_boot, int64_t now_real);

/* Whether a's idle time or cap has run out at now_boot. */
int cv_agent_expired(const struct cv_agent_state *a, int64_t now_boot);

/* The earlier of a's two deadlines (ms on CLOCK_BOOTTIME). */
int64_t cv_agent_deadline(const struct cv_agent_state *a);

/*
 * cv_agent_handle - the agent's answer to one request (req: header and
 * body, reqlen bytes) at now_boot and now_real: the reply (header and
 * body) is written to rep (CV_AGENT_MSG_MAX bytes, sodium_malloc'd: it may
 * hold a key) and its length to *replen.  Anything malformed is refused
 * with its reply code and changes nothing; a request after the time ran
 * out is refused with CV_AGENT_R_ENDED and sets a->stop; LOCK sets a->stop.
 * Returns 0, or -1 when the connection must be closed after the reply (a
 * header that cannot be trusted to frame the next request).
 */
int cv_agent_handle(struct cv_agent_state *a, const uint8_t *req, size_t reqlen, int64_t now_boot,
		    int64_t now_real, uint8_t *rep, size_t *replen);

/* The body of a STATUS reply for s into out (CV_AGENT_BODY_MAX bytes);
 * returns its length. */
size_t cv_agent_status_put(const struct cv_agent_status *s, uint8_t *out);
/* Parses a STATUS reply body; 0, or -1 when it is malformed (a user
 * name that is not one, a wrong length, a path with a NUL). */
int cv_agent_status_get(const uint8_t *body, size_t len, struct cv_agent_status *s);

/*
 * Building requests: each writes a whole request (header and body) into
 * out (CV_AGENT_MSG_MAX bytes) and returns its length, or 0 when the
 * arguments are out of the protocol's bounds.
 */
size_t cv_agent_req_simple(uint8_t *out, uint8_t op); /* STATUS, LOCK */
size_t cv_agent_req_sign(uint8_t *out, const uint8_t *msg, size_t len);
size_t cv_agent_req_unseal(uint8_t *out, const uint8_t *c, size_t clen);
/* BOX (m, the plaintext) and UNBOX (m, the box). */
size_t cv_agent_req_box(uint8_t *out, uint8_t op, const uint8_t *nonce, const uint8_t *peer_pk,
			const uint8_t *m, size_t mlen);
size_t cv_agent_req_unbox_many(uint8_t *out, const cv_unbox_item *items, size_t n);
/* Reads an UNBOX_MANY reply body into items (m and ok); 0, or -1 when it
 * does not match the request. */
int cv_agent_rep_unbox_many(const uint8_t *body, size_t len, cv_unbox_item *items, size_t n);
/* REMEMBER with the n (1..CV_SIGMEMO_FRESH_MAX) signatures of fresh. */
size_t cv_agent_req_remember(uint8_t *out, const struct cv_sigmemo_fresh *fresh, size_t n);
/* Adds the tags of a VERIFIED reply body to m; 0, or -1 when it is
 * malformed (nothing is added then). */
int cv_agent_rep_verified(const uint8_t *body, size_t len, cv_sigmemo *m);

#endif

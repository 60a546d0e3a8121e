/*
 * sigmemo.h - ground layer: Ed25519 signatures known to verify, so that
 * a command with an unlock agent skips the arithmetic of those it (or an
 * earlier command) has checked, and nothing else.
 *
 * A signature is known by its tag, BLAKE2b-256 over a domain string, the
 * public key, the signature and the whole message: only the same key,
 * signature and message bytes find it, and those verify the same way
 * every time.  So a memo needs no invalidation: a changed row (a user
 * disabled, a key rotated, a file replaced) is a changed message, key or
 * signature, checked afresh.  The unlock agent keeps the tags of the
 * signatures it has itself verified (agent_proto.h, REMEMBER), and gives
 * them to each command (VERIFIED); the command reports those it verified
 * that the agent did not know.
 */
#ifndef CV_SIGMEMO_H
#define CV_SIGMEMO_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define CV_SIGMEMO_TAG_LEN 32
/* Tags an agent keeps (the oldest go first) and gives a command. */
#define CV_SIGMEMO_MAX 256
/* Newly verified signatures one command reports, and the longest message
 * reported (identities, statuses and rows are a few hundred bytes). */
#define CV_SIGMEMO_FRESH_MAX 32
#define CV_SIGMEMO_MSG_MAX 2048

struct cv_sigmemo_fresh {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sig[crypto_sign_BYTES];
	size_t len;
	uint8_t msg[CV_SIGMEMO_MSG_MAX];
};

typedef struct cv_sigmemo {
	uint8_t tags[CV_SIGMEMO_MAX][CV_SIGMEMO_TAG_LEN];
	size_t n, next;			/* tags held; where the next one goes once full */
	struct cv_sigmemo_fresh *fresh; /* CV_SIGMEMO_FRESH_MAX, or NULL */
	size_t nfresh;
} cv_sigmemo;

/* The tag of signature sig by pk over msg[0..len). */
void cv_sigmemo_tag(const uint8_t pk[crypto_sign_PUBLICKEYBYTES],
		    const uint8_t sig[crypto_sign_BYTES], const uint8_t *msg, size_t len,
		    uint8_t tag[CV_SIGMEMO_TAG_LEN]);
/* Whether m holds tag (m may be NULL: it holds nothing). */
int cv_sigmemo_known(const cv_sigmemo *m, const uint8_t tag[CV_SIGMEMO_TAG_LEN]);
/* Adds tag to m unless it is there; once m is full, over the oldest. */
void cv_sigmemo_add(cv_sigmemo *m, const uint8_t tag[CV_SIGMEMO_TAG_LEN]);

/*
 * cv_sig_verify - crypto_sign_verify_detached(sig, msg, len, pk) == 0,
 * answered from m when m knows the signature; a signature that verifies
 * and that m did not know is added to m's fresh list (for the agent; up
 * to CV_SIGMEMO_FRESH_MAX, messages up to CV_SIGMEMO_MSG_MAX bytes).  m
 * may be NULL: then it is crypto_sign_verify_detached alone.
 */
int cv_sig_verify(cv_sigmemo *m, const uint8_t sig[crypto_sign_BYTES], const uint8_t *msg,
		  size_t len, const uint8_t pk[crypto_sign_PUBLICKEYBYTES]);

/* Frees m (NULL is fine). */
void cv_sigmemo_free(cv_sigmemo *m);

#endif

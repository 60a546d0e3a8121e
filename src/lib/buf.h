/*
 * buf.h - ground layer: a growable byte buffer for building the canonical encodings that
 * are signed or hashed.  Not for secrets: it lives in ordinary heap memory.
 */
#ifndef CV_BUF_H
#define CV_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct cv_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int oom; /* set once an append failed; later appends do nothing */
} cv_buf;

#define CV_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void cv_buf_raw(cv_buf *b, const void *p, size_t n);
/* Big-endian fixed-width integers. */
void cv_buf_u32(cv_buf *b, uint32_t v);
void cv_buf_u64(cv_buf *b, uint64_t v);
/* A length-prefixed string: u32 big-endian byte length, then the bytes. */
void cv_buf_lp(cv_buf *b, const char *s);
/* Releases the memory; b may be NULL. */
void cv_buf_free(cv_buf *b);

/* One part of a message to hash. */
typedef struct cv_bytes {
	const void *p;
	size_t n;
} cv_bytes;

#define CV_DIGEST_LEN 32

/*
 * cv_hash - the vault's one hash: BLAKE2b-256, keyed with key (keylen
 * bytes; NULL for the unkeyed hash), over the ASCII domain string (NULL:
 * none) followed by the n parts.  The hash state is wiped, so parts may
 * be secret.  docs/FORMAT.md names every domain string.
 */
void cv_hash(uint8_t out[CV_DIGEST_LEN], const uint8_t *key, size_t keylen, const char *domain,
	     const cv_bytes *parts, size_t n);

/* Writes v big-endian into out[0..7]. */
void cv_store_u64be(uint8_t out[8], uint64_t v);

#endif

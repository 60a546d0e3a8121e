/*
 * agent.c - commands layer: the client's side of the unlock agent (see
 * agent.h): its private directory and socket, the checks on both, and a
 * key holder whose operations the agent performs; status, list and lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "agent.h"
#include "err.h"
#include "session.h"
#include "banned.h"

/* How long a command waits for one answer of its agent. */
#define REPLY_TIMEOUT_S 10
/* Hex digits of the vault id in a socket's name. */
#define VAULT_HEX 16
#define SOCK_SUFFIX ".sock"

_Static_assert(CV_AGENT_VAULT_ID_LEN == CV_VAULT_ID_LEN, "the agent carries the whole vault id");

/* ---- the directory and the socket --------------------------------------- */

static cv_status not_private(const char *what, const char *path, const struct stat *sb, cv_err *err)
{
	char mode[8], uid[24];

	snprintf(mode, sizeof(mode), "%04o", (unsigned)(sb->st_mode & 07777));
	snprintf(uid, sizeof(uid), "%lu", (unsigned long)sb->st_uid);
	return cv_fail(
	    err, CV_EINTEGRITY, CV_CODE_AGENT_UNSAFE,
	    "'{1}' is not a private {2} of yours (mode {3}, owner uid {4}), so no unlock "
	    "agent is used through it; it must be yours with mode 0700 (for a "
	    "directory: chmod 700 '{1}')",
	    path, what, mode, uid);
}

/* lstat-checks that path is a directory of the caller's with no access
 * for group or others. */
static cv_status check_dir(const char *path, cv_err *err)
{
	struct stat sb;

	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return cv_fail(err, CV_ENOTFOUND, CV_CODE_AGENT_NONE,
				       "no unlock agent is running ('{1}' does not exist)", path);
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH, "cannot read '{1}': {2}", path,
			       strerror(errno));
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != getuid() || (sb.st_mode & 077) != 0)
		return not_private("directory", path, &sb, err);
	return CV_OK;
}

/* mkdir with mode 0700; an existing entry is left to check_dir. */
static cv_status make_dir(const char *path, cv_err *err)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH, "cannot create '{1}': {2}", path,
			       strerror(errno));
	return CV_OK;
}

cv_status cv_agent_dir(int create, char *out, size_t cap, cv_err *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	cv_status st = CV_OK;

	if (xdg && *xdg) {
		if (xdg[0] != '/')
			return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH,
				       "XDG_RUNTIME_DIR ('{1}') is not an absolute path", xdg);
		if ((size_t)snprintf(out, cap, "%s/casevault", xdg) >= cap)
			return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH,
				       "XDG_RUNTIME_DIR is too long for the agent's socket");
		if (create)
			st = make_dir(out, err);
		return st == CV_OK ? check_dir(out, err) : st;
	}
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || home[0] != '/')
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH,
			       "neither XDG_RUNTIME_DIR nor a home directory is known for the "
			       "unlock agent's socket");
	/* The private fallback: ~/.cache/casevault/run, each level made 0700
	 * when missing (an existing ~/.cache keeps its mode). */
	if ((size_t)snprintf(out, cap, "%s/.cache", home) >= cap)
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH,
			       "the home directory's path is too long for the agent's socket");
	if (create)
		st = make_dir(out, err);
	if (st == CV_OK && (size_t)snprintf(out, cap, "%s/.cache/casevault", home) < cap && create)
		st = make_dir(out, err);
	if (st == CV_OK && (size_t)snprintf(out, cap, "%s/.cache/casevault/run", home) >= cap)
		st = cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH,
			     "the home directory's path is too long for the agent's socket");
	if (st == CV_OK && create)
		st = make_dir(out, err);
	return st == CV_OK ? check_dir(out, err) : st;
}

cv_status cv_agent_sock_path(const char *dir, const uint8_t vault_id[CV_AGENT_VAULT_ID_LEN],
			     const char *user, char *out, size_t cap, cv_err *err)
{
	char hex[2 * CV_AGENT_VAULT_ID_LEN + 1];
	size_t n;

	sodium_bin2hex(hex, sizeof(hex), vault_id, CV_AGENT_VAULT_ID_LEN);
	hex[VAULT_HEX] = '\0';
	n = (size_t)snprintf(out, cap, "%s/%s-%s%s", dir, hex, user, SOCK_SUFFIX);
	if (n >= cap || n >= CV_AGENT_SOCK_MAX)
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH,
			       "the unlock agent's socket path under '{1}' is too long for a UNIX "
			       "socket; set XDG_RUNTIME_DIR to a shorter directory",
			       dir);
	return CV_OK;
}

static void sock_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
}

cv_status cv_agent_connect(const char *path, int *fd, cv_err *err)
{
	struct timeval tv = {REPLY_TIMEOUT_S, 0};
	struct sockaddr_un addr;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct stat sb;
	int s;

	*fd = -1;
	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return cv_fail(err, CV_ENOTFOUND, CV_CODE_AGENT_NONE,
				       "no unlock agent is running");
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH, "cannot read '{1}': {2}", path,
			       strerror(errno));
	}
	if (!S_ISSOCK(sb.st_mode) || sb.st_uid != getuid() || (sb.st_mode & 077) != 0)
		return not_private("socket", path, &sb, err);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_IO, "cannot make a socket: {1}",
			       strerror(errno));
	sock_addr(&addr, path);
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;

		close(s);
		if (e == ECONNREFUSED || e == ENOENT) {
			/* Nobody listens: the agent died without removing it. */
			if (e == ECONNREFUSED)
				unlink(path);
			return cv_fail(err, CV_ENOTFOUND, CV_CODE_AGENT_NONE,
				       "no unlock agent is running (a stale socket was removed)");
		}
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_IO,
			       "cannot reach the unlock agent at '{1}': {2}", path, strerror(e));
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || cred.uid != getuid()) {
		char uid[24];

		close(s);
		snprintf(uid, sizeof(uid), "%ld", clen == sizeof(cred) ? (long)cred.uid : -1L);
		return cv_fail(err, CV_EINTEGRITY, CV_CODE_AGENT_UNSAFE,
			       "the process behind '{1}' runs as uid {2}, not as you; it is not "
			       "used",
			       path, uid);
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*fd = s;
	return CV_OK;
}

/* ---- calls -------------------------------------------------------------- */

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static cv_status io_failed(cv_err *err)
{
	return cv_fail(err, CV_ERROR, CV_CODE_AGENT_IO,
		       "the unlock agent stopped answering (it may have just ended); run the "
		       "command again, and unlock again if it asks for the passphrase");
}

/* Reads one reply (header and body) into buf. */
static cv_status reply_recv(int fd, uint8_t *buf, uint8_t *code, size_t *bodylen, cv_err *err)
{
	uint32_t len = 0;

	if (recv_all(fd, buf, CV_AGENT_HDR_LEN) != 0 ||
	    cv_agent_hdr_get(buf, code, &len) != CV_AGENT_R_OK ||
	    recv_all(fd, buf + CV_AGENT_HDR_LEN, len) != 0) {
		sodium_memzero(buf, CV_AGENT_MSG_MAX);
		return io_failed(err);
	}
	*bodylen = len;
	return CV_OK;
}

cv_status cv_agent_call(int fd, uint8_t *buf, size_t reqlen, uint8_t *code, size_t *bodylen,
			cv_err *err)
{
	if (reqlen < CV_AGENT_HDR_LEN || send_all(fd, buf, reqlen) != 0) {
		sodium_memzero(buf, CV_AGENT_MSG_MAX);
		return io_failed(err);
	}
	return reply_recv(fd, buf, code, bodylen, err);
}

static cv_status refused(uint8_t code, cv_err *err)
{
	char c[8];

	snprintf(c, sizeof(c), "%u", (unsigned)code);
	if (code == CV_AGENT_R_ENDED)
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_REFUSED,
			       "the unlock agent's time ran out while the command ran; run the "
			       "command again (it will ask for the passphrase)");
	return cv_fail(err, CV_ERROR, CV_CODE_AGENT_REFUSED,
		       "the unlock agent refused a request (reply {1}); 'casevault lock' and "
		       "unlock again with this version of casevault",
		       c);
}

/* STATUS; with_verified: VERIFIED sent in the same write after it, its
 * reply left on the socket for memo_load (a command that attaches saves a
 * round trip; the agent answers requests in order, and the tags of public
 * signatures it sends are taken only once its status passed). */
static cv_status status_call(int fd, int with_verified, struct cv_agent_status *out, cv_err *err)
{
	uint8_t buf[CV_AGENT_MSG_MAX];
	size_t len = cv_agent_req_simple(buf, CV_AGENT_OP_STATUS), body = 0;
	uint8_t code = 0;
	cv_status st;

	if (with_verified)
		len += cv_agent_req_simple(buf + len, CV_AGENT_OP_VERIFIED);
	st = cv_agent_call(fd, buf, len, &code, &body, err);

	if (st != CV_OK)
		return st;
	if (code != CV_AGENT_R_OK)
		return refused(code, err);
	if (cv_agent_status_get(buf + CV_AGENT_HDR_LEN, body, out) != 0)
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_REFUSED,
			       "the unlock agent's status does not parse");
	return CV_OK;
}

cv_status cv_agent_status_call(int fd, struct cv_agent_status *out, cv_err *err)
{
	return status_call(fd, 0, out, err);
}

/* cv_agent_open; with_verified as for status_call. */
static cv_status agent_open(const uint8_t vault_id[CV_AGENT_VAULT_ID_LEN], const char *user,
			    int with_verified, int *fd, struct cv_agent_status *st, cv_err *err)
{
	char dir[CV_AGENT_SOCK_MAX], path[CV_AGENT_SOCK_MAX];
	cv_status rc;

	*fd = -1;
	rc = cv_agent_dir(0, dir, sizeof(dir), err);
	if (rc == CV_OK)
		rc = cv_agent_sock_path(dir, vault_id, user, path, sizeof(path), err);
	if (rc == CV_OK)
		rc = cv_agent_connect(path, fd, err);
	if (rc == CV_OK)
		rc = status_call(*fd, with_verified, st, err);
	if (rc == CV_OK && (strcmp(st->user, user) != 0 ||
			    sodium_memcmp(st->vault_id, vault_id, CV_AGENT_VAULT_ID_LEN) != 0))
		rc = cv_fail(err, CV_EINTEGRITY, CV_CODE_AGENT_UNSAFE,
			     "the unlock agent at '{1}' serves another user or vault; it is not "
			     "used",
			     path);
	if (rc != CV_OK && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

cv_status cv_agent_open(const uint8_t vault_id[CV_AGENT_VAULT_ID_LEN], const char *user, int *fd,
			struct cv_agent_status *st, cv_err *err)
{
	return agent_open(vault_id, user, 0, fd, st, err);
}

/* ---- a key holder over the socket --------------------------------------- */

/* A key copy opened ahead (cv_keyholder_prefetch), until it is asked
 * for once. */
#define AHEAD_MAX CV_AGENT_BATCH_MAX
#define AHEAD_PLAIN 32 /* key copies: a 32-byte key */

struct ahead {
	uint8_t tag[CV_AGENT_TAG_LEN]; /* what was asked: see ahead_tag */
	uint8_t m[AHEAD_PLAIN];
	int full;
};

struct remote {
	int fd;
	uint8_t *buf;	     /* sodium_malloc'd: replies hold keys */
	struct ahead *ahead; /* sodium_malloc'd, AHEAD_MAX entries, or NULL */
	size_t nahead;
};

static cv_status remote_call(cv_keyholder *kh, size_t reqlen, uint8_t *code, size_t *body,
			     cv_err *err)
{
	struct remote *r = kh->impl;

	if (reqlen == 0)
		return cv_err_set(err, CV_ERROR, "a request too large for the unlock agent");
	return cv_agent_call(r->fd, r->buf, reqlen, code, body, err);
}

/* Copies a reply body of exactly want bytes to out, or fails. */
static cv_status take(cv_keyholder *kh, uint8_t code, size_t body, size_t want, uint8_t *out,
		      cv_err *err)
{
	struct remote *r = kh->impl;
	cv_status st = CV_OK;

	if (code != CV_AGENT_R_OK)
		st = refused(code, err);
	else if (body != want)
		st = cv_fail(err, CV_ERROR, CV_CODE_AGENT_REFUSED,
			     "the unlock agent's answer has the wrong length");
	else
		memcpy(out, r->buf + CV_AGENT_HDR_LEN, want);
	sodium_memzero(r->buf, CV_AGENT_MSG_MAX);
	return st;
}

static cv_status remote_sign(cv_keyholder *kh, const uint8_t *msg, size_t len,
			     uint8_t sig[crypto_sign_BYTES], cv_err *err)
{
	struct remote *r = kh->impl;
	size_t body = 0;
	uint8_t code = 0;
	cv_status st = remote_call(kh, cv_agent_req_sign(r->buf, msg, len), &code, &body, err);

	if (st == CV_OK && code == CV_AGENT_R_FAILED)
		return cv_err_set(err, CV_ERROR, "signing failed");
	return st == CV_OK ? take(kh, code, body, crypto_sign_BYTES, sig, err) : st;
}

static cv_status remote_unseal(cv_keyholder *kh, const uint8_t *c, size_t clen, uint8_t *m,
			       cv_err *err)
{
	struct remote *r = kh->impl;
	size_t body = 0;
	uint8_t code = 0;
	cv_status st;

	if (clen < crypto_box_SEALBYTES)
		return cv_fail(err, CV_EINTEGRITY, "key.sealed-short", "sealed key is too short");
	st = remote_call(kh, cv_agent_req_unseal(r->buf, c, clen), &code, &body, err);
	if (st == CV_OK && code == CV_AGENT_R_FAILED)
		return cv_fail(err, CV_EINTEGRITY, "key.unseal",
			       "a sealed key does not open with this key");
	return st == CV_OK ? take(kh, code, body, clen - crypto_box_SEALBYTES, m, err) : st;
}

static cv_status remote_wrap(cv_keyholder *kh, const uint8_t *key, const uint8_t *ad, size_t adlen,
			     uint8_t *nonce, uint8_t *box, cv_err *err)
{
	(void)kh, (void)key, (void)ad, (void)adlen, (void)nonce, (void)box;
	return cv_err_set(err, CV_ERROR,
			  "keys held by the unlock agent are never re-wrapped; a passphrase "
			  "change asks for the passphrase");
}

static cv_status remote_box(cv_keyholder *kh, const uint8_t *m, size_t mlen, const uint8_t *nonce,
			    const uint8_t *peer_pk, uint8_t *c, cv_err *err)
{
	struct remote *r = kh->impl;
	size_t body = 0;
	uint8_t code = 0;
	cv_status st =
	    remote_call(kh, cv_agent_req_box(r->buf, CV_AGENT_OP_BOX, nonce, peer_pk, m, mlen),
			&code, &body, err);

	if (st == CV_OK && code == CV_AGENT_R_FAILED)
		return cv_err_set(err, CV_ERROR, "cannot encrypt a key copy");
	return st == CV_OK ? take(kh, code, body, mlen + crypto_box_MACBYTES, c, err) : st;
}

/* The tag of an unbox: BLAKE2b-256 of nonce, peer_pk and the box. */
static void ahead_tag(const uint8_t *c, size_t clen, const uint8_t *nonce, const uint8_t *peer_pk,
		      uint8_t tag[CV_AGENT_TAG_LEN])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, CV_AGENT_TAG_LEN);
	crypto_generichash_update(&h, nonce, crypto_box_NONCEBYTES);
	crypto_generichash_update(&h, peer_pk, crypto_box_PUBLICKEYBYTES);
	crypto_generichash_update(&h, c, clen);
	crypto_generichash_final(&h, tag, CV_AGENT_TAG_LEN);
}

/* Answers an unbox from what was opened ahead (once); 0 when it was not. */
static int ahead_take(struct remote *r, const uint8_t *c, size_t clen, const uint8_t *nonce,
		      const uint8_t *peer_pk, uint8_t *m)
{
	uint8_t tag[CV_AGENT_TAG_LEN];

	if (!r->nahead || clen != AHEAD_PLAIN + crypto_box_MACBYTES)
		return 0;
	ahead_tag(c, clen, nonce, peer_pk, tag);
	for (size_t i = 0; i < r->nahead; i++) {
		struct ahead *a = &r->ahead[i];

		if (a->full && sodium_memcmp(a->tag, tag, sizeof(tag)) == 0) {
			memcpy(m, a->m, AHEAD_PLAIN);
			sodium_memzero(a, sizeof(*a));
			return 1;
		}
	}
	return 0;
}

static cv_status remote_unbox(cv_keyholder *kh, const uint8_t *c, size_t clen, const uint8_t *nonce,
			      const uint8_t *peer_pk, uint8_t *m, cv_err *err)
{
	struct remote *r = kh->impl;
	size_t body = 0;
	uint8_t code = 0;
	cv_status st;

	if (clen < crypto_box_MACBYTES)
		return cv_fail(err, CV_EINTEGRITY, "key.box-short", "a key copy is too short");
	if (ahead_take(r, c, clen, nonce, peer_pk, m))
		return CV_OK;
	st = remote_call(kh, cv_agent_req_box(r->buf, CV_AGENT_OP_UNBOX, nonce, peer_pk, c, clen),
			 &code, &body, err);
	if (st == CV_OK && code == CV_AGENT_R_FAILED)
		return cv_fail(err, CV_EINTEGRITY, "key.unbox",
			       "a key copy does not open with this key from its sender");
	return st == CV_OK ? take(kh, code, body, clen - crypto_box_MACBYTES, m, err) : st;
}

/* One request per run of items that fits the protocol's bounds. */
static cv_status remote_unbox_many(cv_keyholder *kh, cv_unbox_item *items, size_t n, cv_err *err)
{
	struct remote *r = kh->impl;
	size_t at = 0;

	while (at < n) {
		size_t k = 0, len = 0, body = 0;
		uint8_t code = 0;
		cv_status st;

		for (size_t i = at; i < n; i++)
			items[i].ok = 0;
		/* Too short a box is answered here, as unbox would. */
		while (at < n && items[at].clen < crypto_box_MACBYTES)
			at++;
		if (at == n)
			break;
		for (size_t size = 2; at + k < n && k < CV_AGENT_BATCH_MAX; k++) {
			const cv_unbox_item *it = &items[at + k];

			if (it->clen < crypto_box_MACBYTES || it->clen > CV_AGENT_ITEM_MAX)
				break;
			size += crypto_box_NONCEBYTES + crypto_box_PUBLICKEYBYTES + 2 + it->clen;
			if (size > CV_AGENT_BODY_MAX)
				break;
		}
		if (k == 0) /* a box over the protocol's bound: it opens nothing */
			return cv_err_set(err, CV_ERROR,
					  "a key copy too long for the unlock agent");
		len = cv_agent_req_unbox_many(r->buf, items + at, k);
		st = remote_call(kh, len, &code, &body, err);
		if (st == CV_OK && code != CV_AGENT_R_OK)
			st = refused(code, err);
		if (st == CV_OK &&
		    cv_agent_rep_unbox_many(r->buf + CV_AGENT_HDR_LEN, body, items + at, k) != 0)
			st = cv_fail(err, CV_ERROR, CV_CODE_AGENT_REFUSED,
				     "the unlock agent's answer does not match the request");
		sodium_memzero(r->buf, CV_AGENT_MSG_MAX);
		if (st != CV_OK)
			return st;
		at += k;
	}
	return CV_OK;
}

static void remote_prefetch(cv_keyholder *kh, const cv_unbox_item *items, size_t n)
{
	struct remote *r = kh->impl;
	cv_unbox_item *ask = NULL;
	size_t k = 0;

	if (r->ahead)
		sodium_memzero(r->ahead, AHEAD_MAX * sizeof(*r->ahead));
	r->nahead = 0;
	if (n == 0)
		return;
	if (!r->ahead)
		r->ahead = sodium_malloc(AHEAD_MAX * sizeof(*r->ahead));
	ask = calloc(n < AHEAD_MAX ? n : AHEAD_MAX, sizeof(*ask));
	if (!r->ahead || !ask) {
		free(ask);
		return; /* nothing opened ahead: each is asked as usual */
	}
	for (size_t i = 0; i < n && k < AHEAD_MAX; i++) {
		if (items[i].clen != AHEAD_PLAIN + crypto_box_MACBYTES)
			continue;
		ask[k] = items[i];
		ask[k].m = r->ahead[k].m;
		ahead_tag(items[i].c, items[i].clen, items[i].nonce, items[i].peer_pk,
			  r->ahead[k].tag);
		k++;
	}
	if (k && remote_unbox_many(kh, ask, k, NULL) == CV_OK) {
		for (size_t i = 0; i < k; i++)
			r->ahead[i].full = ask[i].ok;
		r->nahead = k;
	} else {
		sodium_memzero(r->ahead, AHEAD_MAX * sizeof(*r->ahead));
	}
	free(ask);
}

static void remote_destroy(cv_keyholder *kh)
{
	struct remote *r = kh->impl;

	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	sodium_free(r->ahead);
	sodium_free(r->buf);
	free(r);
	kh->impl = NULL;
}

static const struct cv_keyholder_ops remote_ops = {remote_sign,	      remote_unseal,  remote_wrap,
						   remote_destroy,    remote_box,     remote_unbox,
						   remote_unbox_many, remote_prefetch};

cv_status cv_agent_keyholder(int fd, const struct cv_agent_status *st, cv_keyholder **out,
			     cv_err *err)
{
	cv_keyholder *kh = calloc(1, sizeof(*kh));
	struct remote *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r)
		r->buf = sodium_malloc(CV_AGENT_MSG_MAX);
	if (!kh || !r || !r->buf) {
		if (r)
			sodium_free(r->buf);
		free(r);
		free(kh);
		close(fd);
		return cv_err_set(err, CV_ERROR, "out of memory");
	}
	r->fd = fd;
	kh->ops = &remote_ops;
	kh->impl = r;
	memcpy(kh->box_pk, st->box_pk, sizeof(kh->box_pk));
	memcpy(kh->sign_pk, st->sign_pk, sizeof(kh->sign_pk));
	*out = kh;
	return CV_OK;
}

/* ---- the agent a vault is attached to ----------------------------------- */

struct cv_vault_agent {
	int fd;
	struct cv_agent_status st;
};

/* VERIFIED, asked with the status (agent_open): the signatures the agent
 * knows, into v->sigs (left NULL when the agent does not answer it: an
 * older agent).  Its reply is read whatever happens, so that the next
 * reply on fd is the next request's. */
static cv_status memo_load(cv_vault *v, int fd)
{
	uint8_t *buf = malloc(CV_AGENT_MSG_MAX), code = 0;
	size_t body = 0;
	cv_sigmemo *m = calloc(1, sizeof(*m));
	cv_err e = {0};
	cv_status st = CV_ERROR;

	if (!buf)
		goto out;
	st = reply_recv(fd, buf, &code, &body, &e);
	if (st != CV_OK || !m || code != CV_AGENT_R_OK ||
	    cv_agent_rep_verified(buf + CV_AGENT_HDR_LEN, body, m) != 0)
		goto out;
	v->sigs = m;
	m = NULL;
out:
	cv_sigmemo_free(m);
	free(buf);
	return st;
}

/* REMEMBER: the signatures this command verified that the agent did not
 * know, in as many requests as the protocol's bounds take.  The agent
 * verifies them again itself; a failure here only loses the saving. */
static void memo_flush(const cv_sigmemo *m, int fd)
{
	uint8_t *buf = malloc(CV_AGENT_MSG_MAX), code = 0;
	size_t at = 0, body = 0;
	cv_err e = {0};

	while (buf && at < m->nfresh) {
		size_t k = 0, size = 2, len;

		while (at + k < m->nfresh && k < CV_SIGMEMO_FRESH_MAX) {
			size_t one = crypto_sign_PUBLICKEYBYTES + crypto_sign_BYTES + 2 +
				     m->fresh[at + k].len;

			if (size + one > CV_AGENT_BODY_MAX)
				break;
			size += one;
			k++;
		}
		len = k ? cv_agent_req_remember(buf, m->fresh + at, k) : 0;
		if (len == 0 || cv_agent_call(fd, buf, len, &code, &body, &e) != CV_OK)
			break;
		at += k;
	}
	free(buf);
}

cv_status cv_agent_attach(cv_vault *v, const char *user, cv_err *err)
{
	CV_ERR_GUARD(err);
	struct cv_vault_agent *a;
	cv_status st;

	if (v->agent && strcmp(v->agent->st.user, user) == 0)
		return CV_OK;
	cv_agent_detach(v);
	st = cv_name_check(user, err);
	if (st != CV_OK)
		return st;
	a = calloc(1, sizeof(*a));
	if (!a)
		return cv_err_set(err, CV_ERROR, "out of memory");
	st = agent_open(v->vault_id, user, 1, &a->fd, &a->st, err);
	if (st == CV_OK && memo_load(v, a->fd) != CV_OK) {
		/* the connection no longer frames replies: not used */
		close(a->fd);
		st = io_failed(err);
	}
	if (st != CV_OK) {
		free(a);
		return st;
	}
	v->agent = a;
	return CV_OK;
}

void cv_agent_detach(cv_vault *v)
{
	if (v->agent && v->sigs && v->sigs->nfresh)
		memo_flush(v->sigs, v->agent->fd);
	if (v->agent)
		close(v->agent->fd);
	free(v->agent);
	v->agent = NULL;
	cv_sigmemo_free(v->sigs);
	v->sigs = NULL;
}

cv_status cv_agent_attached(cv_vault *v, const char *user, int *fd, struct cv_agent_status *st,
			    cv_err *err)
{
	cv_status rc = cv_agent_attach(v, user, err);

	*fd = -1;
	if (rc != CV_OK)
		return rc;
	*fd = fcntl(v->agent->fd, F_DUPFD_CLOEXEC, 0);
	if (*fd < 0)
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_IO,
			       "cannot use the unlock agent's connection: {1}", strerror(errno));
	*st = v->agent->st;
	return CV_OK;
}

/* ---- status, list, lock ------------------------------------------------- */

static void info_of(const struct cv_agent_status *s, cv_agent_info *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->user, sizeof(out->user), "%s", s->user);
	sodium_bin2hex(out->vault_id, sizeof(out->vault_id), s->vault_id, sizeof(s->vault_id));
	snprintf(out->vault_path, sizeof(out->vault_path), "%s", s->vault_path);
	out->pid = (long)s->pid;
	out->idle_s = s->idle_s;
	out->cap_s = s->cap_s;
	out->idle_until = s->idle_until;
	out->cap_until = s->cap_until;
	out->idle_left = s->idle_left;
	out->cap_left = s->cap_left;
	out->uses = s->uses;
}

cv_status cv_agent_query(cv_vault *v, const char *user, cv_agent_info *out, cv_err *err)
{
	CV_ERR_GUARD(err);
	struct cv_agent_status s;
	int fd = -1;
	cv_status st = cv_name_check(user, err);

	if (st == CV_OK)
		st = cv_agent_open(v->vault_id, user, &fd, &s, err);
	if (st != CV_OK)
		return st;
	close(fd);
	info_of(&s, out);
	return CV_OK;
}

cv_status cv_agent_list(cv_vault *v, int (*cb)(const cv_agent_info *a, void *arg), void *arg,
			cv_err *err)
{
	CV_ERR_GUARD(err);
	char dir[CV_AGENT_SOCK_MAX], prefix[VAULT_HEX + 2], hex[2 * CV_VAULT_ID_LEN + 1];
	const size_t sl = strlen(SOCK_SUFFIX);
	struct dirent *e;
	DIR *d;
	cv_status st = cv_agent_dir(0, dir, sizeof(dir), err);

	if (st == CV_ENOTFOUND)
		return CV_OK; /* never unlocked: nobody is */
	if (st != CV_OK)
		return st;
	sodium_bin2hex(hex, sizeof(hex), v->vault_id, sizeof(v->vault_id));
	snprintf(prefix, sizeof(prefix), "%.*s-", VAULT_HEX, hex);
	d = opendir(dir);
	if (!d)
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH, "cannot read '{1}': {2}", dir,
			       strerror(errno));
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char user[CV_NAME_MAX + 1];
		cv_agent_info info;

		if (strncmp(e->d_name, prefix, VAULT_HEX + 1) != 0 || n <= VAULT_HEX + 1 + sl ||
		    strcmp(e->d_name + n - sl, SOCK_SUFFIX) != 0 ||
		    n - VAULT_HEX - 1 - sl > CV_NAME_MAX)
			continue;
		snprintf(user, sizeof(user), "%.*s", (int)(n - VAULT_HEX - 1 - sl),
			 e->d_name + VAULT_HEX + 1);
		/* A stale socket is removed on the way; one that is not
		 * private, or another vault's, is not listed. */
		if (cv_agent_query(v, user, &info, NULL) == CV_OK && cb(&info, arg))
			break;
	}
	closedir(d);
	return CV_OK;
}

cv_status cv_agent_lock(cv_vault *v, const char *user, cv_err *err)
{
	CV_ERR_GUARD(err);
	struct cv_agent_status s;
	uint8_t buf[CV_AGENT_MSG_MAX], code = 0;
	size_t body = 0;
	int fd = -1;
	cv_status st = cv_name_check(user, err);

	if (st == CV_OK)
		st = cv_agent_open(v->vault_id, user, &fd, &s, err);
	if (st != CV_OK)
		return st;
	/* The agent removes its socket before it answers, and wipes its keys
	 * as it ends. */
	st = cv_agent_call(fd, buf, cv_agent_req_simple(buf, CV_AGENT_OP_LOCK), &code, &body, err);
	close(fd);
	if (st == CV_OK && code != CV_AGENT_R_OK)
		st = refused(code, err);
	return st;
}

cv_status cv_agent_case_ids(cv_vault *v, const char *user,
			    int (*cb)(const char *id, const char *status, void *arg), void *arg,
			    cv_err *err)
{
	CV_ERR_GUARD(err);
	cv_agent_info info;
	/* A status query: it asks nothing of the keys and keeps no agent
	 * awake. */
	cv_status st = cv_agent_query(v, user, &info, err);

	if (st == CV_OK)
		st = cv_access_granted_clear(v, user, cb, arg, err);
	return st;
}

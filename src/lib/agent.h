/*
 * agent.h - commands layer: finding and talking to an unlock agent (the
 * client's side; the agent itself is agent_daemon.c).
 *
 * An agent serves one user of one vault on a UNIX socket at a fixed path,
 *
 *   DIR/VAULT-USER.sock   (VAULT: the first 16 hex digits of the vault id)
 *
 * where DIR is $XDG_RUNTIME_DIR/casevault, or, when XDG_RUNTIME_DIR is not
 * set, $HOME/.cache/casevault/run.  DIR must be a directory (not a link)
 * owned by the caller with no access for group or others, and the socket a
 * socket owned by the caller, else it is not used ("agent.unsafe"); the
 * agent process must run as the caller's uid (SO_PEERCRED), both ways.
 */
#ifndef CV_AGENT_H
#define CV_AGENT_H

#include "agent_proto.h"
#include "keyholder.h"

/* Reason codes; every one starts with "agent.". */
#define CV_CODE_AGENT_NONE "agent.none"	      /* no agent answers (stale socket removed) */
#define CV_CODE_AGENT_UNSAFE "agent.unsafe"   /* directory, socket or peer not private */
#define CV_CODE_AGENT_KEYS "agent.keys"	      /* the agent holds other keys than the record */
#define CV_CODE_AGENT_IO "agent.io"	      /* the agent stopped answering */
#define CV_CODE_AGENT_REFUSED "agent.refused" /* the agent refused a request */
#define CV_CODE_AGENT_PATH "agent.path"	      /* no usable directory for sockets */
#define CV_CODE_AGENT_RUNNING "agent.running" /* an agent already serves the user */

/* The tag by which an unbox opened ahead is found again. */
#define CV_AGENT_TAG_LEN 32

/* Longest socket path (sockaddr_un). */
#define CV_AGENT_SOCK_MAX 108

/*
 * cv_agent_dir - the directory of the caller's agent sockets into out
 * (cap bytes).  With create, it is made (mode 0700, with the fallback's
 * missing parents) when missing.  CV_ENOTFOUND "agent.none" when it does
 * not exist and create is 0; CV_EINTEGRITY "agent.unsafe" when it is not a
 * private directory of the caller; CV_ERROR "agent.path" otherwise.
 */
cv_status cv_agent_dir(int create, char *out, size_t cap, cv_err *err);

/* The socket path for user of the vault vault_id inside dir. */
cv_status cv_agent_sock_path(const char *dir, const uint8_t vault_id[CV_AGENT_VAULT_ID_LEN],
			     const char *user, char *out, size_t cap, cv_err *err);

/*
 * cv_agent_connect - connects to the agent at path after checking that it
 * is a socket of the caller's (lstat, owner) and, once connected, that the
 * agent runs as the caller's uid (SO_PEERCRED); *fd receives the
 * connection (close it).  CV_ENOTFOUND "agent.none" when there is no
 * socket or no agent listens on it (a stale socket is removed);
 * CV_EINTEGRITY "agent.unsafe" for a file that is not the caller's socket
 * or an agent of another uid.
 */
cv_status cv_agent_connect(const char *path, int *fd, cv_err *err);

/*
 * cv_agent_call - sends the request buf[0..reqlen) on fd and reads the
 * reply into buf (CV_AGENT_MSG_MAX bytes): *code receives its reply code,
 * *bodylen its body length (the body is at buf + CV_AGENT_HDR_LEN).
 * CV_ERROR "agent.io" when the agent does not answer in time, closes the
 * connection, or answers with another protocol.
 */
cv_status cv_agent_call(int fd, uint8_t *buf, size_t reqlen, uint8_t *code, size_t *bodylen,
			cv_err *err);

/* STATUS on fd into *out: CV_ERROR "agent.io" or "agent.refused". */
cv_status cv_agent_status_call(int fd, struct cv_agent_status *out, cv_err *err);

/*
 * cv_agent_keyholder - a key holder whose operations are done by the agent
 * on fd (which it takes over: closed by cv_keyholder_free, also on
 * failure), with the public keys st reported.  Its secrets never enter
 * this process; it does not wrap (a passphrase change asks for the
 * passphrase).
 */
cv_status cv_agent_keyholder(int fd, const struct cv_agent_status *st, cv_keyholder **out,
			     cv_err *err);

/*
 * cv_agent_open - the agent of user on vault_id, connected and asked its
 * status (which must name that user and vault): *fd and *st.  Errors as
 * cv_agent_dir (without creating) and cv_agent_connect.
 */
cv_status cv_agent_open(const uint8_t vault_id[CV_AGENT_VAULT_ID_LEN], const char *user, int *fd,
			struct cv_agent_status *st, cv_err *err);

/*
 * cv_agent_attached - cv_agent_attach (casevault.h), then a connection of
 * its own to that agent in *fd (a duplicate: close it) and the agent's
 * status in *st.  Errors as cv_agent_open.
 */
cv_status cv_agent_attached(cv_vault *v, const char *user, int *fd, struct cv_agent_status *st,
			    cv_err *err);
/* Reports to the attached agent the signatures v verified that it did
 * not know (it verifies them itself before it keeps them), then closes
 * the connection and forgets the signatures.  cv_vault_close calls it. */
void cv_agent_detach(cv_vault *v);

#endif

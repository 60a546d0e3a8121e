/*
 * agent_daemon.c - commands layer: the unlock agent process (cv_agent_start).
 *
 * The caller has logged in with the passphrase.  Its process binds the
 * socket (so that an unusable directory is its error), then forks; the
 * child takes the session's key holder, locks it in memory again (a fork
 * inherits no memory lock), turns core dumps and ptrace off, leaves the
 * terminal and every inherited descriptor (the vault's included: it never
 * touches the database), and serves the protocol of agent_proto.h until
 * its time runs out, LOCK, a signal, or its socket's removal (the runtime
 * directory is removed at logout).  It removes its socket and wipes
 * its keys on every way out it can catch; a crash leaves a stale socket
 * that the next command removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "err.h"
#include "session.h"
#include "banned.h"

#define CONNS_MAX 8	     /* commands served at once */
#define SEND_TIMEOUT_MS 2000 /* a client that does not read its answer is dropped */
#define READY_MSG_MAX CV_ERRMSG_MAX
/* How often the agent looks that its socket is still there (the runtime
 * directory is removed at logout): it ends when it is not. */
#define SOCKET_CHECK_MS 2000

struct conn {
	int fd;
	uint8_t *buf; /* sodium_malloc'd: requests may hold keys to box */
	size_t have;
};

struct daemon {
	struct cv_agent_state a;
	const char *path;
	dev_t dev;
	ino_t ino;
	int lfd, sfd, tfd;
	uint8_t *rep; /* sodium_malloc'd: replies hold keys */
	struct conn conns[CONNS_MAX];
};

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Removes the socket if it is still the one this agent bound. */
static void remove_socket(struct daemon *d)
{
	struct stat sb;

	if (d->path && lstat(d->path, &sb) == 0 && sb.st_dev == d->dev && sb.st_ino == d->ino)
		unlink(d->path);
	d->path = NULL;
}

/* Whether the socket this agent bound is gone or replaced: nobody can
 * reach the agent any more. */
static int socket_gone(const struct daemon *d)
{
	struct stat sb;

	return !d->path || lstat(d->path, &sb) != 0 || sb.st_dev != d->dev || sb.st_ino != d->ino;
}

/* Closes c's connection.  Its buffer is wiped of what it holds (a
 * request not answered: every answered one is wiped at once) and kept for
 * the slot's next connection, so that a command's first request does not
 * wait for guarded memory to be mapped and locked; conn_free releases it. */
static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->buf)
		sodium_memzero(c->buf, c->have);
	c->fd = -1;
	c->have = 0;
}

static void conn_free(struct conn *c)
{
	conn_close(c);
	sodium_free(c->buf); /* sodium_free wipes before unmapping */
	c->buf = NULL;
}

static void accept_one(struct daemon *d)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd = accept4(d->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct conn *slot = NULL;

	if (fd < 0)
		return;
	/* Only the agent's own uid; the directory's mode says so too. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || cred.uid != getuid()) {
		close(fd);
		return;
	}
	for (size_t i = 0; i < CONNS_MAX && !slot; i++)
		if (d->conns[i].fd < 0)
			slot = &d->conns[i];
	if (slot && !slot->buf)
		slot->buf = sodium_malloc(CV_AGENT_MSG_MAX);
	if (!slot || !slot->buf) {
		close(fd);
		return;
	}
	slot->fd = fd;
	slot->have = 0;
}

/* Sends the whole reply within SEND_TIMEOUT_MS; -1 when it cannot. */
static int send_reply(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		struct pollfd pf = {fd, POLLOUT, 0};
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    poll(&pf, 1, SEND_TIMEOUT_MS) == 1)
			continue;
		return -1;
	}
	return 0;
}

/* Reads what c has sent; answers a whole request.  Closes c when it is
 * done, broken, or sent what cannot be framed. */
static void serve(struct daemon *d, struct conn *c)
{
	size_t want = CV_AGENT_HDR_LEN, replen = 0;
	uint32_t len = 0;
	uint8_t op = 0;
	ssize_t r;
	int keep;

	if (c->have >= CV_AGENT_HDR_LEN && cv_agent_hdr_get(c->buf, &op, &len) == CV_AGENT_R_OK)
		want += len;
	r = read(c->fd, c->buf + c->have, want - c->have);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		conn_close(c);
		return;
	}
	c->have += (size_t)r;
	if (c->have == CV_AGENT_HDR_LEN && cv_agent_hdr_get(c->buf, &op, &len) == CV_AGENT_R_OK &&
	    len > 0)
		return; /* the body follows */
	if (c->have < want)
		return;
	keep = cv_agent_handle(&d->a, c->buf, c->have, clock_ms(CLOCK_BOOTTIME),
			       clock_ms(CLOCK_REALTIME), d->rep, &replen) == 0;
	sodium_memzero(c->buf, c->have);
	c->have = 0;
	/* After LOCK, nobody new may find the agent once `lock` is told. */
	if (d->a.stop)
		remove_socket(d);
	if (send_reply(c->fd, d->rep, replen) != 0)
		keep = 0;
	sodium_memzero(d->rep, replen);
	if (!keep)
		conn_close(c);
}

static void arm_timer(struct daemon *d)
{
	int64_t t = cv_agent_deadline(&d->a);
	struct itimerspec its = {{0, 0}, {t / 1000, (long)(t % 1000) * 1000000}};

	timerfd_settime(d->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void run(struct daemon *d)
{
	struct pollfd pf[3 + CONNS_MAX];

	while (!d->a.stop && !cv_agent_expired(&d->a, clock_ms(CLOCK_BOOTTIME))) {
		size_t n = 3;

		arm_timer(d);
		pf[0] = (struct pollfd){d->sfd, POLLIN, 0};
		pf[1] = (struct pollfd){d->tfd, POLLIN, 0};
		pf[2] = (struct pollfd){d->lfd, POLLIN, 0};
		for (size_t i = 0; i < CONNS_MAX; i++)
			pf[n++] = (struct pollfd){d->conns[i].fd, POLLIN, 0};
		if (poll(pf, n, SOCKET_CHECK_MS) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents)
			break; /* SIGUSR1, SIGTERM, SIGINT, SIGHUP: the end */
		if (socket_gone(d)) {
			d->path = NULL; /* whatever is there now is not ours */
			break;
		}
		if (pf[1].revents) {
			uint64_t ticks;
			(void)!read(d->tfd, &ticks, sizeof(ticks));
		}
		for (size_t i = 0; i < CONNS_MAX && !d->a.stop; i++)
			if (d->conns[i].fd >= 0 && pf[3 + i].revents)
				serve(d, &d->conns[i]);
		if (!d->a.stop && (pf[2].revents & POLLIN))
			accept_one(d);
	}
}

/* Tells the waiting parent how the start went: a status byte, then the
 * message when it failed. */
static void ready(int fd, const cv_err *e)
{
	uint8_t b = e ? (uint8_t)e->status : 0;

	(void)!write(fd, &b, 1);
	if (e)
		(void)!write(fd, e->msg, strnlen(e->msg, sizeof(e->msg)));
	close(fd);
}

/* Moves fd above the standard descriptors (which become /dev/null). */
static int above_std(int fd)
{
	int to = fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);

	return to;
}

/* Everything but the socket, the ready pipe and 0-2 (then /dev/null). */
static void close_inherited(int *lfd, int *rfd)
{
	int null, keep_lo, keep_hi;

	*lfd = above_std(*lfd);
	*rfd = above_std(*rfd);
	keep_lo = *lfd < *rfd ? *lfd : *rfd;
	keep_hi = *lfd < *rfd ? *rfd : *lfd;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (keep_lo > 3)
		close_range(3, (unsigned)keep_lo - 1, 0);
	if (keep_hi > keep_lo + 1)
		close_range((unsigned)keep_lo + 1, (unsigned)keep_hi - 1, 0);
	close_range((unsigned)keep_hi + 1, ~0u, 0);
}

static void child(cv_session *s, struct daemon *d, int rfd)
{
	struct rlimit no_core = {0, 0};
	cv_err e = {0};
	sigset_t set;

	setsid();
	close_inherited(&d->lfd, &rfd);
	if (chdir("/") != 0)
		cv_err_set(&e, CV_ERROR, "cannot change to '/'");
	d->a.kh = s->kh;
	s->kh = NULL;
	/* A fork inherits neither the lock nor (on every system) the
	 * dumpable flag: set both again. */
	if (e.status == CV_OK &&
	    (setrlimit(RLIMIT_CORE, &no_core) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0))
		cv_err_set(&e, CV_ERROR, "cannot disable core dumps for the agent");
	if (e.status == CV_OK)
		cv_keyholder_mlock(d->a.kh, &e);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (e.status == CV_OK && sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		cv_err_set(&e, CV_ERROR, "cannot block signals");
	if (e.status == CV_OK) {
		d->sfd = signalfd(-1, &set, SFD_CLOEXEC);
		d->tfd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC);
		d->rep = sodium_malloc(CV_AGENT_MSG_MAX);
		if (d->sfd < 0 || d->tfd < 0 || !d->rep)
			cv_err_set(&e, CV_ERROR, "cannot set up the agent's timer and signals");
	}
	if (e.status != CV_OK) {
		remove_socket(d);
		cv_keyholder_free(d->a.kh);
		ready(rfd, &e);
		_exit(1);
	}
	d->a.info.pid = (uint32_t)getpid();
	cv_agent_start_clock(&d->a, clock_ms(CLOCK_BOOTTIME), clock_ms(CLOCK_REALTIME));
	ready(rfd, NULL);
	run(d);
	remove_socket(d);
	close(d->lfd);
	for (size_t i = 0; i < CONNS_MAX; i++)
		conn_free(&d->conns[i]);
	cv_keyholder_free(d->a.kh); /* wipes the keys */
	cv_sigmemo_free(d->a.sigs);
	sodium_free(d->rep);
	sodium_memzero(&d->a, sizeof(d->a));
	_exit(0);
}

/* Binds and listens on path (mode 0600); records its inode. */
static cv_status bind_socket(struct daemon *d, const char *path, cv_err *err)
{
	struct sockaddr_un addr;
	struct stat sb;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	d->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->lfd < 0 || bind(d->lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		cv_status st = cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH,
				       "cannot make the unlock agent's socket '{1}': {2}", path,
				       strerror(errno));
		if (d->lfd >= 0)
			close(d->lfd);
		d->lfd = -1;
		return st;
	}
	if (chmod(path, 0600) != 0 || lstat(path, &sb) != 0 || listen(d->lfd, CONNS_MAX) != 0) {
		cv_status st = cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH,
				       "cannot listen on the unlock agent's socket '{1}': {2}",
				       path, strerror(errno));
		unlink(path);
		close(d->lfd);
		d->lfd = -1;
		return st;
	}
	d->path = path;
	d->dev = sb.st_dev;
	d->ino = sb.st_ino;
	return CV_OK;
}

/* The parent's side: waits until the child is serving, or for its error. */
static cv_status await_child(pid_t pid, int rfd, cv_err *err)
{
	uint8_t b = CV_ERROR;
	char msg[READY_MSG_MAX];
	size_t n = 0;
	ssize_t r;

	while ((r = read(rfd, &b, 1)) < 0 && errno == EINTR)
		;
	if (r == 1 && b == CV_OK)
		return CV_OK;
	while (n + 1 < sizeof(msg) && (r = read(rfd, msg + n, sizeof(msg) - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	msg[n] = '\0';
	waitpid(pid, NULL, 0);
	return cv_fail(err, CV_ERROR, CV_CODE_AGENT_PATH, "the unlock agent did not start: {1}",
		       n ? msg : "it ended at once");
}

cv_status cv_agent_start(cv_session *s, const char *vault_path, unsigned idle_s, unsigned cap_s,
			 cv_agent_info *out, cv_err *err)
{
	CV_ERR_GUARD(err);
	char dir[CV_AGENT_SOCK_MAX], path[CV_AGENT_SOCK_MAX], abs[PATH_MAX];
	struct daemon d;
	int pipefd[2], fd = -1;
	cv_status st;
	pid_t pid;

	memset(&d, 0, sizeof(d));
	d.lfd = d.sfd = d.tfd = -1;
	for (size_t i = 0; i < CONNS_MAX; i++)
		d.conns[i].fd = -1;
	if (idle_s < 1 || idle_s > CV_AGENT_TIME_MAX || cap_s < 1 || cap_s > CV_AGENT_TIME_MAX)
		return cv_fail(err, CV_EUSAGE, "agent.time",
			       "an unlock lasts from 1 second to 24 hours");
	if (!s->kh)
		return cv_err_set(err, CV_ERROR, "no keys to leave with the unlock agent");
	st = cv_agent_dir(1, dir, sizeof(dir), err);
	if (st == CV_OK)
		st = cv_agent_sock_path(dir, s->v->vault_id, s->me.name, path, sizeof(path), err);
	if (st != CV_OK)
		return st;
	st = cv_agent_connect(path, &fd, err);
	if (st == CV_OK) {
		close(fd);
		return cv_fail(err, CV_ERROR, CV_CODE_AGENT_RUNNING,
			       "'{1}' is already unlocked for this vault; 'casevault lock' first "
			       "to unlock again",
			       s->me.name);
	}
	if (st != CV_ENOTFOUND)
		return st;
	*err = (cv_err){0};
	snprintf(d.a.info.user, sizeof(d.a.info.user), "%s", s->me.name);
	memcpy(d.a.info.vault_id, s->v->vault_id, sizeof(d.a.info.vault_id));
	memcpy(d.a.info.box_pk, s->kh->box_pk, sizeof(d.a.info.box_pk));
	memcpy(d.a.info.sign_pk, s->kh->sign_pk, sizeof(d.a.info.sign_pk));
	/* A path too long to show is cut (it is only shown). */
	if (!realpath(vault_path, abs))
		snprintf(abs, sizeof(abs), "%s", vault_path);
	abs[sizeof(d.a.info.vault_path) - 1] = '\0';
	memcpy(d.a.info.vault_path, abs, strlen(abs) + 1);
	d.a.info.idle_s = idle_s;
	d.a.info.cap_s = cap_s;
	st = bind_socket(&d, path, err);
	if (st != CV_OK)
		return st;
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		remove_socket(&d);
		close(d.lfd);
		return cv_fail(err, CV_ERROR, "error", "cannot start the unlock agent: {1}",
			       strerror(errno));
	}
	fflush(NULL); /* nothing buffered is written twice */
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		child(s, &d, pipefd[1]);
	}
	close(pipefd[1]);
	close(d.lfd);
	if (pid < 0) {
		close(pipefd[0]);
		remove_socket(&d);
		return cv_fail(err, CV_ERROR, "error", "cannot start the unlock agent: {1}",
			       strerror(errno));
	}
	st = await_child(pid, pipefd[0], err);
	close(pipefd[0]);
	if (st == CV_OK)
		st = cv_agent_query(s->v, s->me.name, out, err);
	return st;
}

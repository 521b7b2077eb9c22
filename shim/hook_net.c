/*
 * hook_net.c — connect and listen.
 *
 * connect: TCP connects and UDP datagrams to inet addresses, including datagrams that name
 * their destination without a connect (sendto/sendmsg/sendmmsg on an unconnected socket) and
 * TCP Fast Open (sendto with MSG_FASTOPEN connects and sends in one call).
 * listen: a stream socket is checked when it starts listening (its bound address from
 * getsockname); a datagram socket when it binds to a port, since from then on it receives.
 * A stream socket's bind alone accepts nothing, so clients that bind before connecting are
 * not flagged.
 */
#include "check.h"
#include "lambda.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* A check's answer as a hook gives it: 1 with errno set when refused, else 0 with errno as it
 * was before the check (saved). */
static int refused(int err, int saved)
{
	errno = err ? err : saved;
	return err != 0;
}

/* fd: the socket of a connect, -1 for the other calls (check_sockaddr). check_sockaddr leaves
 * errno as it was: only a refusal sets it. Inline: with connect rules, every connect. */
static inline __attribute__((always_inline)) int denied(const char *call, enum fs_category c, int fd,
							const struct sockaddr *sa, socklen_t len)
{
	if (!sa || shim_ready() < 0)
		return 0;
	int err = check_sockaddr(call, c, fd, sa, len);
	if (err)
		errno = err;
	return err != 0;
}

/* The fast path of the connect-category hooks: connect unrestricted right now and no Runtime
 * API to follow (its connection is marked at connect, its requests seen at send). */
#define CONNECT_WATCHED(watch) ((watch) & ((1u << FS_CONNECT) | WATCH_RUNTIME_API))

/* Out of line, but not SLOW's cold: when connect has rules, every connect comes here, and
 * code placed and compiled for size would cost each of them. */
static __attribute__((noinline)) int slow_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (denied("connect", FS_CONNECT, fd, addr, len))
		return -1;
	if (!g_shim.have_runtime_api) /* no Runtime API connection to mark */
		return REAL(connect)(fd, addr, len);
	int r = REAL(connect)(fd, addr, len);
	if ((r == 0 || errno == EINPROGRESS) && check_is_runtime_api(addr, len))
		lambda_mark_api_fd(fd);
	return r;
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (__builtin_expect(!CONNECT_WATCHED(shim_watch()) && real_connect, 1))
		return real_connect(fd, addr, len);
	return slow_connect(fd, addr, len);
}

/* glibc's other exported name: the same checks, the same bookkeeping. */
EXPORT int __connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return connect(fd, addr, len);
}

/* When the backstop refuses inet sockets (connect and listen both blocked outright, outside
 * Lambda), the kernel refuses socket() before any connect could be logged: log it here. */
EXPORT int socket(int domain, int type, int protocol)
{
	if ((domain == AF_INET || domain == AF_INET6) && g_shim.inet_sockets_refused &&
	    shim_ready() == 0) {
		int saved = errno;
		if (refused(check_socket_refused("socket", domain, type), saved))
			return -1;
	}
	return REAL(socket)(domain, type, protocol);
}

static SLOW ssize_t slow_sendto(int fd, const void *buf, size_t n, int flags,
			       const struct sockaddr *addr, socklen_t len)
{
	if (denied("sendto", FS_CONNECT, -1, addr, len))
		return -1;
	if (!addr && lambda_is_api_fd(fd))
		lambda_saw_request(fd, buf, n);
	return REAL(sendto)(fd, buf, n, flags, addr, len);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
		      socklen_t len)
{
	if (__builtin_expect(!CONNECT_WATCHED(shim_watch()) && real_sendto, 1))
		return real_sendto(fd, buf, n, flags, addr, len);
	return slow_sendto(fd, buf, n, flags, addr, len);
}

static SLOW ssize_t slow_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	int saved = errno;
	if (shim_ready() == 0 && refused(check_message("sendmsg", msg), saved))
		return -1;
	if (msg && msg->msg_iovlen && lambda_is_api_fd(fd))
		lambda_saw_request(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len);
	return REAL(sendmsg)(fd, msg, flags);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (__builtin_expect(!CONNECT_WATCHED(shim_watch()) && real_sendmsg, 1))
		return real_sendmsg(fd, msg, flags);
	return slow_sendmsg(fd, msg, flags);
}

/* Messages go out in order up to the first one that is blocked; as with any partial
 * sendmmsg, the return value says how many were sent. */
EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	if (!(shim_watch() & (1u << FS_CONNECT)) || shim_ready() < 0)
		return REAL(sendmmsg)(fd, vec, vlen, flags);
	int saved = errno, err;
	unsigned int ok = check_messages("sendmmsg", vec, vlen, &err);
	if (refused(ok == 0 ? err : 0, saved))
		return -1;
	return REAL(sendmmsg)(fd, vec, err ? ok : vlen, flags); /* unrefused: as called (EFAULT…) */
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (addr && (shim_watch() & (1u << FS_LISTEN)) && shim_ready() == 0) {
		int saved = errno;
		if (refused(check_bind("bind", fd, addr, len), saved))
			return -1;
	}
	return REAL(bind)(fd, addr, len);
}

static SLOW int slow_listen(int fd, int backlog)
{
	int saved = errno;
	if (shim_ready() == 0 && refused(check_listen("listen", fd), saved))
		return -1;
	return REAL(listen)(fd, backlog);
}

EXPORT int listen(int fd, int backlog)
{
	if (__builtin_expect(!(shim_watch() & (1u << FS_LISTEN)) && real_listen, 1))
		return real_listen(fd, backlog);
	return slow_listen(fd, backlog);
}

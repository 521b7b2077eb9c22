/*
 * hook_io.c — the Runtime API conversation (lambda.h): requests the runtime client sends and
 * responses it reads on a Runtime API connection. Anything else passes after one bit test.
 */
#include "lambda.h"
#include "real.h"

#include <sys/socket.h>
#include <sys/uio.h>

#define EXPORT __attribute__((visibility("default")))

static void saw_response_iov(int fd, const struct iovec *iov, int iovcnt, ssize_t got)
{
	for (int i = 0; i < iovcnt && got > 0; i++) {
		size_t n = (size_t)got < iov[i].iov_len ? (size_t)got : iov[i].iov_len;
		lambda_saw_response(fd, iov[i].iov_base, n);
		got -= (ssize_t)n;
	}
}

/* Each hook: anything but a Runtime API connection goes straight to libc (a tail call); a
 * Runtime API connection takes the out-of-line path, which watches the bytes. */

/* Outgoing: the request line is at the start of the first buffer. */
#define SEND_HOOK(ret, name, params, args, first_buf, first_len)                               \
	static SLOW ret slow_##name params                                                        \
	{                                                                                         \
		if (lambda_is_api_fd(fd) && (first_len) > 0)                                     \
			lambda_saw_request(fd, (first_buf), (first_len));                         \
		return REAL(name) args;                                                           \
	}                                                                                         \
	EXPORT ret name params                                                                    \
	{                                                                                         \
		if (__builtin_expect(!lambda_watched_fd(fd) && real_##name, 1))                              \
			return real_##name args;                                                  \
		return slow_##name args;                                                          \
	}

/* Incoming: what was read, unless it was only peeked at. */
#define RECV_HOOK(ret, name, params, args, peeked, saw)                                        \
	static SLOW ret slow_##name params                                                        \
	{                                                                                         \
		ret r = REAL(name) args;                                                          \
		if (r > 0 && !(peeked) && lambda_is_api_fd(fd))                                   \
			saw;                                                                      \
		return r;                                                                         \
	}                                                                                         \
	EXPORT ret name params                                                                    \
	{                                                                                         \
		if (__builtin_expect(!lambda_watched_fd(fd) && real_##name, 1))                              \
			return real_##name args;                                                  \
		return slow_##name args;                                                          \
	}

SEND_HOOK(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags), buf, n)
SEND_HOOK(ssize_t, __send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags), buf, n)
SEND_HOOK(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n), buf, n)
SEND_HOOK(ssize_t, writev, (int fd, const struct iovec *iov, int iovcnt), (fd, iov, iovcnt),
	  iov[0].iov_base, iovcnt > 0 ? iov[0].iov_len : 0)

RECV_HOOK(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags),
	  flags & MSG_PEEK, lambda_saw_response(fd, buf, (size_t)r))
RECV_HOOK(ssize_t, recvfrom,
	  (int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len),
	  (fd, buf, n, flags, addr, len), flags & MSG_PEEK, lambda_saw_response(fd, buf, (size_t)r))
RECV_HOOK(ssize_t, recvmsg, (int fd, struct msghdr *msg, int flags), (fd, msg, flags),
	  flags & MSG_PEEK, saw_response_iov(fd, msg->msg_iov, (int)msg->msg_iovlen, r))
RECV_HOOK(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n), 0,
	  lambda_saw_response(fd, buf, (size_t)r))
RECV_HOOK(ssize_t, readv, (int fd, const struct iovec *iov, int iovcnt), (fd, iov, iovcnt), 0,
	  saw_response_iov(fd, iov, iovcnt, r))

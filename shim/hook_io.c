/*
 * hook_io.c — the Runtime API conversation (lambda.h): requests the runtime client sends and
 * responses it reads on a Runtime API connection. Anything else passes after one bit test.
 */
#include "lambda.h"
#include "real.h"

#include <sys/socket.h>
#include <sys/uio.h>

#define EXPORT __attribute__((visibility("default")))

/* Outgoing: the request line is at the start of the first buffer. */
#define SAW_REQUEST(fd, buf, n)                                  \
	do {                                                     \
		if (__builtin_expect(lambda_is_api_fd(fd), 0))   \
			lambda_saw_request((fd), (buf), (n));    \
	} while (0)

static void saw_response_iov(int fd, const struct iovec *iov, int iovcnt, ssize_t got)
{
	for (int i = 0; i < iovcnt && got > 0; i++) {
		size_t n = (size_t)got < iov[i].iov_len ? (size_t)got : iov[i].iov_len;
		lambda_saw_response(fd, iov[i].iov_base, n);
		got -= (ssize_t)n;
	}
}

EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	SAW_REQUEST(fd, buf, n);
	return REAL(send)(fd, buf, n, flags);
}

EXPORT ssize_t __send(int fd, const void *buf, size_t n, int flags)
{
	SAW_REQUEST(fd, buf, n);
	return REAL(__send)(fd, buf, n, flags);
}

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	SAW_REQUEST(fd, buf, n);
	return REAL(write)(fd, buf, n);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (iovcnt > 0)
		SAW_REQUEST(fd, iov[0].iov_base, iov[0].iov_len);
	return REAL(writev)(fd, iov, iovcnt);
}

EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	ssize_t r = REAL(recv)(fd, buf, n, flags);
	if (__builtin_expect(lambda_is_api_fd(fd), 0) && r > 0 && !(flags & MSG_PEEK))
		lambda_saw_response(fd, buf, (size_t)r);
	return r;
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
			socklen_t *len)
{
	ssize_t r = REAL(recvfrom)(fd, buf, n, flags, addr, len);
	if (__builtin_expect(lambda_is_api_fd(fd), 0) && r > 0 && !(flags & MSG_PEEK))
		lambda_saw_response(fd, buf, (size_t)r);
	return r;
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r = REAL(recvmsg)(fd, msg, flags);
	if (__builtin_expect(lambda_is_api_fd(fd), 0) && r > 0 && !(flags & MSG_PEEK))
		saw_response_iov(fd, msg->msg_iov, (int)msg->msg_iovlen, r);
	return r;
}

EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t r = REAL(read)(fd, buf, n);
	if (__builtin_expect(lambda_is_api_fd(fd), 0) && r > 0)
		lambda_saw_response(fd, buf, (size_t)r);
	return r;
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t r = REAL(readv)(fd, iov, iovcnt);
	if (__builtin_expect(lambda_is_api_fd(fd), 0) && r > 0)
		saw_response_iov(fd, iov, iovcnt, r);
	return r;
}

/*
 * hook_fd.c — keep the root's log descriptor alive (logfd.h).
 *
 * Only the root of a protected tree (and its fork/vfork children until they exec) has a log
 * descriptor; in every other process these hooks pass straight through. The root's original
 * stderr must survive an application that closes every descriptor (os.closerange, a close
 * loop over /proc/self/fd): close() of it reports success without closing; close_range and
 * closefrom close around it; dup2/dup3 onto its number move it out of the way first, so the
 * application gets exactly the descriptor number it asked for. It is close-on-exec already:
 * close_range(…, CLOSE_RANGE_CLOEXEC) changes nothing for it and goes through whole.
 */
#include "lambda.h"
#include "logfd.h"
#include "real.h"
#include "sys.h"

#include <errno.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static SLOW int slow_close(int fd)
{
	if (logfd_is(fd))
		return 0;
	lambda_forget_fd(fd);
	return REAL(close)(fd);
}

/* The fast path compares fd with logfd_current alone, without logfd_is's fd >= 0: any fd equal
 * to it takes the slow path, which asks logfd_is — so close(-1) in a process without a log
 * descriptor (logfd_current -1) still reaches libc and gets EBADF. One test less on every
 * other close. */
EXPORT int close(int fd)
{
	if (__builtin_expect(fd != atomic_load_explicit(&logfd_current, memory_order_relaxed) &&
				     !lambda_watched_fd(fd) && real_close,
			     1))
		return real_close(fd);
	return slow_close(fd);
}

EXPORT int __close(int fd)
{
	return close(fd);
}

static int close_range_raw(unsigned first, unsigned last, int flags)
{
	if (REAL(close_range))
		return REAL(close_range)(first, last, flags);
	return (int)sys_result(SYS6(SYS_close_range, first, last, flags, 0, 0, 0));
}

EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	int lfd = logfd_own();
	if (lfd < 0 || (unsigned)lfd < first || (unsigned)lfd > last || (flags & CLOSE_RANGE_CLOEXEC))
		return close_range_raw(first, last, flags);
	int r = 0;
	if ((unsigned)lfd > first)
		r = close_range_raw(first, (unsigned)lfd - 1, flags);
	if (r == 0 && (unsigned)lfd < last)
		r = close_range_raw((unsigned)lfd + 1, last, flags);
	return r;
}

EXPORT void closefrom(int lowfd)
{
	int saved = errno;
	if (lowfd < 0)
		lowfd = 0;
	if (close_range((unsigned)lowfd, UINT_MAX, 0) < 0 && REAL(closefrom)) {
		/* No close_range in this kernel: libc's own loop, then restore our descriptor
		 * is impossible — so only hand it the range below ours. */
		int lfd = logfd_own();
		if (lfd < lowfd)
			REAL(closefrom)(lowfd);
		else
			for (int fd = lowfd; fd < lfd; fd++)
				REAL(close)(fd);
	}
	errno = saved;
}

EXPORT int dup2(int oldfd, int newfd)
{
	if (oldfd != newfd && logfd_is(newfd))
		logfd_evacuate();
	return REAL(dup2)(oldfd, newfd);
}

EXPORT int __dup2(int oldfd, int newfd)
{
	return dup2(oldfd, newfd);
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	if (oldfd != newfd && logfd_is(newfd))
		logfd_evacuate();
	return REAL(dup3)(oldfd, newfd, flags);
}

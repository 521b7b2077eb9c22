/*
 * hook_syscall.c — the libc syscall() function (see hooks.def).
 *
 * Only what reaches the kernel through libc's syscall() is seen here; an inline `syscall`
 * instruction is not (the seccomp backstop's job). Each case does what the corresponding
 * libc hook does, and the result keeps syscall()'s convention: -1 with errno.
 */
#include "check.h"
#include "envprop.h"
#include "logfd.h"
#include "real.h"
#include "repeat.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* Could a ring do something the policy restricts? Then libuv must not get one. */
static int ring_would_bypass(void)
{
	return !check_unrestricted(FS_READ) || !check_unrestricted(FS_WRITE) ||
	       !check_unrestricted(FS_CONNECT) || !check_unrestricted(FS_LISTEN) ||
	       !check_unrestricted(FS_EXEC);
}

struct open_how_user {
	uint64_t flags, mode, resolve;
};

static long deny(int e)
{
	errno = e;
	return -1;
}

EXPORT long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (shim_ready() < 0)
		return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);

	switch (nr) {
	case SYS_io_uring_setup:
		if (ring_would_bypass())
			return deny(ENOSYS);
		break;
#ifdef SYS_open
	case SYS_open: {
		enum fs_category c = open_category((int)a[1]);
		if (!check_skippable(c, (const char *)a[0]))
			return checked_open((const char *)a[0], (int)a[1], (mode_t)a[2], AT_FDCWD, c,
					    "syscall");
		break;
	}
#endif
#ifdef SYS_creat
	case SYS_creat:
		if (!check_skippable(FS_WRITE, (const char *)a[0]))
			return checked_open((const char *)a[0], O_CREAT | O_WRONLY | O_TRUNC, (mode_t)a[1],
					    AT_FDCWD, FS_WRITE, "syscall");
		break;
#endif
	case SYS_openat: {
		enum fs_category c = open_category((int)a[2]);
		if (!check_skippable(c, (const char *)a[1]))
			return checked_open((const char *)a[1], (int)a[2], (mode_t)a[3], (int)a[0], c,
					    "syscall");
		break;
	}
	case SYS_openat2: {
		const struct open_how_user *how = (const void *)a[2];
		int err = 0;
		if (how) {
			enum fs_category c = open_category((int)how->flags);
			int tmpfile = (how->flags & __O_TMPFILE) == __O_TMPFILE;
			err = check_file("syscall", c, (int)a[0], (const char *)a[1], !(how->flags & O_NOFOLLOW),
					 ((how->flags & O_CREAT) || tmpfile ? CHECK_CREATES : 0) |
						 (c == FS_WRITE && !tmpfile ? CHECK_OPENS_FOR_WRITE : 0));
		}
		if (err)
			return deny(err);
		break;
	}
	case SYS_execve:
	case SYS_execveat: {
		int at = nr == SYS_execveat;
		int dirfd = at ? (int)a[0] : AT_FDCWD;
		const char *path = (const char *)a[at];
		char *const *argv = (char *const *)a[at + 1];
		char *const *envp = (char *const *)a[at + 2];
		int flags = at ? (int)a[4] : 0;
		int r = (at && path && !path[0] && (flags & AT_EMPTY_PATH))
				? check_exec_fd("syscall", dirfd, argv)
				: check_exec("syscall", dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), argv);
		if (r)
			return deny(r);
		CHILD_ENV(newenv, envp);
		repeat_flush();
		a[at + 2] = (long)newenv;
		/* made here, while newenv (on this block's stack) lives; the root's log descriptor
		 * is kept open across the exec (logfd.h) */
		logfd_before_exec();
		long ret = REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		logfd_exec_failed();
		return ret;
	}
	/* The log descriptor: as hook_fd.c does for the libc functions. */
	case SYS_close:
		if (logfd_is((int)a[0]))
			return 0;
		break;
	case SYS_close_range:
		return close_range((unsigned)a[0], (unsigned)a[1], (int)a[2]);
#ifdef SYS_dup2
	case SYS_dup2:
#endif
	case SYS_dup3:
		if (a[0] != a[1] && logfd_is((int)a[1]))
			logfd_evacuate();
		break;
	case SYS_connect:
		if (check_sockaddr("syscall", FS_CONNECT, (int)a[0], (const void *)a[1], (socklen_t)a[2]))
			return deny(EPERM);
		break;
	case SYS_sendto:
		if (a[4] && check_sockaddr("syscall", FS_CONNECT, -1, (const void *)a[4], (socklen_t)a[5]))
			return deny(EPERM);
		break;
	case SYS_sendmsg: {
		int err = check_message("syscall", (const struct msghdr *)a[1]);
		if (err)
			return deny(err);
		break;
	}
	case SYS_sendmmsg: { /* as the libc hook: the messages before the first refused one go */
		int err;
		unsigned ok = check_messages("syscall", (const struct mmsghdr *)a[1], (unsigned)a[2], &err);
		if (ok == 0 && err)
			return deny(err);
		if (err)
			a[2] = ok;
		break;
	}
	case SYS_bind: {
		int err = check_bind("syscall", (int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
		if (err)
			return deny(err);
		break;
	}
	case SYS_listen: {
		int err = check_listen("syscall", (int)a[0]);
		if (err)
			return deny(err);
		break;
	}
	default:
		break;
	}
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * sys.h — system calls for fnshield's own use.
 *
 * The shim's own I/O must not go through its own hooks (recursion), nor through anybody
 * else's (another preload library), and must leave the caller's errno alone. These wrappers
 * make the raw system call and return the result or -errno.
 * All are async-signal-safe and safe in a vfork child.
 */
#ifndef FNSHIELD_SYS_H
#define FNSHIELD_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * The raw system call instruction, not libc's syscall(): the library interposes syscall()
 * itself (hook_syscall.c), and its own system calls must never come back into a hook.
 */
static inline long sys_raw6(long nr, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
#else
#error "fnshield: add the system call instruction for this architecture"
#endif
}

/* The same for a call of at most four arguments: on x86_64 the fifth and sixth registers are
 * left alone instead of zeroed (two instructions on the open hooks' path). */
static inline long sys_raw4(long nr, long a, long b, long c, long d)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
#else
	return sys_raw6(nr, a, b, c, d, 0, 0);
#endif
}

/* Result or -errno; errno itself is never touched. */
static inline long sys_call6(long nr, long a, long b, long c, long d, long e, long f)
{
	return sys_raw6(nr, a, b, c, d, e, f);
}

/* syscall()'s convention for a raw result: -1 with errno. */
static inline long sys_result(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#define SYS6(nr, a, b, c, d, e, f) \
	sys_call6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static inline int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return (int)SYS6(SYS_openat, dirfd, path, flags, mode, 0, 0);
}

static inline int sys_close(int fd) { return (int)SYS6(SYS_close, fd, 0, 0, 0, 0, 0); }

static inline ssize_t sys_read(int fd, void *buf, size_t n)
{
	return SYS6(SYS_read, fd, buf, n, 0, 0, 0);
}

static inline ssize_t sys_write(int fd, const void *buf, size_t n)
{
	return SYS6(SYS_write, fd, buf, n, 0, 0, 0);
}

static inline ssize_t sys_readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
	return SYS6(SYS_readlinkat, dirfd, path, buf, n, 0, 0);
}

static inline long sys_getcwd(char *buf, size_t n) { return SYS6(SYS_getcwd, buf, n, 0, 0, 0, 0); }

/* 1 if the 8 bytes at addr can be read, without a fault and without changing anything:
 * rt_sigprocmask copies the new set in before it looks at `how`, so EFAULT means unreadable
 * and EINVAL (an invalid how) means readable. For walking memory that may be inconsistent
 * (a frame chain interrupted by a signal, JIT frames). */
static inline int sys_readable8(uintptr_t addr)
{
	if (addr < 4096 || addr > UINTPTR_MAX - 8)
		return 0;
	return SYS6(SYS_rt_sigprocmask, 0x7ffe, addr, 0, 8, 0, 0) == -EINVAL;
}

static inline int sys_getpid(void) { return (int)SYS6(SYS_getpid, 0, 0, 0, 0, 0, 0); }

static inline int sys_gettid(void) { return (int)SYS6(SYS_gettid, 0, 0, 0, 0, 0, 0); }

static inline int sys_fstat(int fd, struct stat *st)
{
	return (int)SYS6(SYS_fstat, fd, st, 0, 0, 0, 0);
}

static inline int sys_fcntl(int fd, int cmd, long arg)
{
	return (int)SYS6(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
}

static inline int sys_faccessat(int dirfd, const char *path, int mode)
{
	return (int)SYS6(SYS_faccessat, dirfd, path, mode, 0, 0, 0);
}

static inline int sys_newfstatat(int dirfd, const char *path, struct stat *st, int flags)
{
#ifdef SYS_newfstatat
	return (int)SYS6(SYS_newfstatat, dirfd, path, st, flags, 0, 0);
#else
	return (int)SYS6(SYS_fstatat64, dirfd, path, st, flags, 0, 0);
#endif
}

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct sys_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define SYS_RESOLVE_NO_SYMLINKS 0x04

static inline int sys_openat2(int dirfd, const char *path, const struct sys_open_how *how)
{
	return (int)sys_raw4(SYS_openat2, dirfd, (long)path, (long)how, sizeof *how);
}


#endif

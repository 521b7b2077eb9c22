/*
 * bypass.h — what every C bypass case shares: the targets (from the environment the harness
 * sets), the ATTEMPT / DONE protocol on stdout, and a raw system call that goes either through
 * libc's syscall() (the default) or, built with -DVIA_ASM, straight through an inline `syscall`
 * (x86_64) / `svc 0` (aarch64) instruction that no preload library can see.
 *
 * Protocol (read by tests/bypass/run.py):
 *   ATTEMPT <what>      printed (and flushed) right before the forbidden operation
 *   DONE <outcome>      printed when the operation returned (refused or performed)
 *   GOT <bytes>         what a read case managed to read
 * Setup failures exit with status 3 before ATTEMPT: the harness reports "error", not caught.
 */
#ifndef BYPASS_H
#define BYPASS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static inline const char *target(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		fprintf(stderr, "bypass case: %s not set\n", name);
		exit(3);
	}
	return v;
}

/* stdout is a pipe: keep every protocol line whole and flushed, and usable after fork. */
static inline void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	ssize_t w = (ssize_t)syscall(SYS_write, 1, buf, (size_t)n);
	(void)w;
}

#define ATTEMPT(...) say("ATTEMPT " __VA_ARGS__)
#define DONE(...) say("DONE " __VA_ARGS__)

static inline void setup_fail(const char *what)
{
	say("SETUP-FAILED %s: %s", what, strerror(errno));
	exit(3);
}

/* A raw system call: returns the kernel's value (-errno on failure). */
#if defined(VIA_ASM) && defined(__x86_64__)
static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define RAW_VIA "inline-asm"
#elif defined(VIA_ASM) && defined(__aarch64__)
static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
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
}
#define RAW_VIA "inline-asm"
#else
static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(n, a, b, c, d, e, f);
	return r == -1 ? -errno : r;
}
#define RAW_VIA "libc-syscall"
#endif

#define RAW(n, ...) raw6_va(n, __VA_ARGS__)
#define raw6_va(n, ...) raw6_n(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define raw6_n(n, a, b, c, d, e, f, ...) \
	raw6((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Print what was read from fd (up to 200 bytes). */
static inline void show_fd(int fd)
{
	char buf[201];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	say("GOT %s", buf);
}

/* The program the exec cases try to run: /usr/bin/touch $BYPASS_MARKER. */
#define TOUCH "/usr/bin/touch"

#endif

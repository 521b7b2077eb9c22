/*
 * backstop-probe.c — the seccomp backstop on a real arm64 kernel (tests/arm64/run.py).
 *
 * Started through fnshield-exec under a policy that blocks exec, connect and listen outright,
 * so the library loads into it and installs the backstop. Each call here is an inline `svc`:
 * it never reaches the C library, so only the kernel's filter can answer it. One JSON line per
 * call: its name, what the kernel returned (a negative errno) and what the backstop must say.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef __aarch64__
#error "an arm64 program: its system calls are made with svc"
#endif

static long raw(long nr, long a, long b, long c, long d, long e)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
	return x0;
}

static int failures;

/* want < 0: that errno; want == 0: the call is let through (any result but a refusal). */
static void expect(const char *name, long got, long want)
{
	int ok = want < 0 ? got == want : got != -EPERM && got != -EACCES && got != -ENOSYS;
	failures += !ok;
	printf("{\"check\":\"%s\",\"got\":%ld,\"want\":%ld,\"ok\":%s}\n", name, got, want,
	       ok ? "true" : "false");
}

int main(void)
{
	char *argv[] = {"sh", "-c", "exit 0", NULL}, *envp[] = {NULL};
	struct clone_args { unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal,
			    stack, stack_size, tls; } ca = {0};
	long fd;

	setvbuf(stdout, NULL, _IONBF, 0);
	expect("getpid", raw(SYS_getpid, 0, 0, 0, 0, 0), 0);
	expect("execve /bin/sh", raw(SYS_execve, (long)"/bin/sh", (long)argv, (long)envp, 0, 0), -EACCES);
	expect("execveat /bin/sh", raw(SYS_execveat, AT_FDCWD, (long)"/bin/sh", (long)argv, (long)envp, 0),
	       -EACCES);
	expect("socket AF_INET", raw(SYS_socket, AF_INET, SOCK_STREAM, 0, 0, 0), -EPERM);
	expect("socket AF_INET6", raw(SYS_socket, AF_INET6, SOCK_DGRAM, 0, 0, 0), -EPERM);
	fd = raw(SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0, 0);
	expect("socket AF_UNIX", fd, 0);
	if (fd >= 0)
		raw(SYS_close, fd, 0, 0, 0, 0);
	expect("ptrace TRACEME", raw(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0, 0), -EPERM);
	expect("process_vm_readv", raw(SYS_process_vm_readv, 1, 0, 0, 0, 0), -EPERM);
	expect("bpf", raw(SYS_bpf, 0, 0, 0, 0, 0), -EPERM);
	expect("mount", raw(SYS_mount, (long)"none", (long)"/mnt", (long)"tmpfs", 0, 0), -EPERM);
	expect("io_uring_setup", raw(SYS_io_uring_setup, 1, 0, 0, 0, 0), -ENOSYS);
	long r = raw(SYS_clone3, (long)&ca, sizeof ca, 0, 0, 0);
	if (r == 0) /* let through after all: the child leaves at once */
		raw(SYS_exit, 0, 0, 0, 0, 0);
	expect("clone3", r, -ENOSYS);
	return failures ? 1 : 0;
}

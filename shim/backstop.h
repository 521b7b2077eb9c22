/*
 * backstop.h — the names of the seccomp backstop's variants (see syscall_filter.h).
 *
 * The filter depends on the policy only through four yes/no questions, so there are sixteen
 * possible programs per architecture. They are built with libseccomp on the build machine
 * (tools/gen-seccomp.c, rules in tools/backstop-rules.c) and compiled into the library as
 * $(BUILD)/seccomp_programs.h; at load the library answers the four questions, which index
 * the table, and hands the program to the kernel. No filter is built in the process: that is
 * libseccomp's cost at every cold start (issue #5), for a result known in advance.
 *
 * This header is shared by the generator, the library and the unit test that checks the
 * embedded programs against libseccomp's.
 */
#ifndef FNSHIELD_BACKSTOP_H
#define FNSHIELD_BACKSTOP_H

#include <linux/filter.h>

/* One bit per question; a variant is their OR, 0 to BACKSTOP_VARIANTS - 1. Each bit adds
 * its own rules and nothing else; which combinations a policy can produce (exec and inet
 * only in block mode) is decided by the library, not here. */
enum {
	BACKSTOP_IO_URING = 1 << 0, /* io_uring_* → ENOSYS: the policy restricts something */
	BACKSTOP_BLOCK = 1 << 1,    /* the always-denied calls → EPERM: block mode */
	BACKSTOP_EXEC = 1 << 2,     /* execve, execveat → EACCES: exec blocked outright */
	BACKSTOP_INET = 1 << 3,     /* socket(AF_INET/AF_INET6) → EPERM: connect and listen blocked */
	BACKSTOP_VARIANTS = 1 << 4,
};

/* A classic BPF program, as struct sock_fprog will want it. */
struct backstop_program {
	const struct sock_filter *filter;
	unsigned short len;
};

#endif

/*
 * hook_tamper.c — ptrace and process_vm_readv/writev through libc (see hooks.def).
 *
 * Each lets code rewrite a process from outside the checks: a tracer can change a traced
 * child's execve path after the shim approved it, process_vm_writev can patch the shim's state.
 * No function needs them. In block mode they fail with EPERM, the same answer the seccomp
 * backstop gives, so the refusal does not depend on seccomp being available. They are not a
 * policy category (SPEC has none for them), so no violation line is written.
 */
#include "real.h"
#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#define EXPORT __attribute__((visibility("default")))

static int refused(void)
{
	if (shim_ready() < 0 || g_shim.mode != FS_MODE_BLOCK)
		return 0;
	errno = EPERM;
	return 1;
}

EXPORT long ptrace(enum __ptrace_request request, ...)
{
	va_list ap;
	va_start(ap, request);
	pid_t pid = va_arg(ap, pid_t);
	void *addr = va_arg(ap, void *);
	void *data = va_arg(ap, void *);
	va_end(ap);
	if (refused())
		return -1;
	return REAL(ptrace)(request, pid, addr, data);
}

EXPORT ssize_t process_vm_readv(pid_t pid, const struct iovec *local, unsigned long liovcnt,
				const struct iovec *remote, unsigned long riovcnt,
				unsigned long flags)
{
	if (refused())
		return -1;
	return REAL(process_vm_readv)(pid, local, liovcnt, remote, riovcnt, flags);
}

EXPORT ssize_t process_vm_writev(pid_t pid, const struct iovec *local, unsigned long liovcnt,
				 const struct iovec *remote, unsigned long riovcnt,
				 unsigned long flags)
{
	if (refused())
		return -1;
	return REAL(process_vm_writev)(pid, local, liovcnt, remote, riovcnt, flags);
}

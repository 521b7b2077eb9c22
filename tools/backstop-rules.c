/*
 * backstop-rules.c — what the seccomp backstop refuses, and how (see shim/syscall_filter.h).
 *
 * The one list of rules. The build turns it into BPF (tools/gen-seccomp.c); the library picks
 * the program for its policy. Changing a rule here changes the library at the next build.
 */
#include "backstop-rules.h"

#include "backstop.h"

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>

/* Each is a way around an in-process shim and none is needed by a function. */
static const char *const always_denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "bpf", "kexec_load", "kexec_file_load",
	"mount", "umount2", "pivot_root", "init_module", "finit_module", "delete_module",
	"swapon", "swapoff", "reboot", "open_by_handle_at",
};

/* io_uring would open, read, write and connect inside the kernel, unseen. */
static const char *const io_uring_calls[] = {
	"io_uring_setup", "io_uring_enter", "io_uring_register",
};

static const char *const exec_calls[] = { "execve", "execveat" };

#define N(a) (sizeof(a) / sizeof *(a))

/*
 * One rule. libseccomp takes the build machine's own system call number and translates it,
 * by name, for the filter's architecture; `arch` only decides whether the call exists there.
 * A call the target has and this machine lacks cannot be named that way: an error, at build
 * time, rather than a silently shorter filter.
 */
static int rule(scmp_filter_ctx ctx, uint32_t arch, uint32_t action, const char *name,
		unsigned argc, const struct scmp_arg_cmp *args)
{
	if (seccomp_syscall_resolve_name_arch(arch, name) == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return -EDOM;
	return seccomp_rule_add_array(ctx, action, nr, argc, args);
}

static int each(scmp_filter_ctx ctx, uint32_t arch, uint32_t action, const char *const *names,
		size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = rule(ctx, arch, action, names[i], 0, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

int backstop_rules(scmp_filter_ctx ctx, uint32_t arch, unsigned variant)
{
	int r = 0;
	/* Steering, in any mode: libuv falls back from io_uring to calls the hooks see, and
	 * glibc from clone3 (flags behind a pointer) to clone, whose flags a filter can read. */
	if (variant & BACKSTOP_IO_URING)
		r = each(ctx, arch, SCMP_ACT_ERRNO(ENOSYS), io_uring_calls, N(io_uring_calls));
	if (r == 0)
		r = rule(ctx, arch, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);

	if (r == 0 && (variant & BACKSTOP_BLOCK))
		r = each(ctx, arch, SCMP_ACT_ERRNO(EPERM), always_denied, N(always_denied));
	if (r == 0 && (variant & BACKSTOP_EXEC))
		r = each(ctx, arch, SCMP_ACT_ERRNO(EACCES), exec_calls, N(exec_calls));
	/* Address families only: a Unix socket (the log, a local helper) stays possible. */
	if (r == 0 && (variant & BACKSTOP_INET)) {
		const struct scmp_arg_cmp inet = SCMP_A0(SCMP_CMP_EQ, AF_INET);
		const struct scmp_arg_cmp inet6 = SCMP_A0(SCMP_CMP_EQ, AF_INET6);
		r = rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "socket", 1, &inet);
		if (r == 0)
			r = rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "socket", 1, &inet6);
	}
	return r;
}

scmp_filter_ctx backstop_filter(uint32_t arch, unsigned variant, int *err)
{
	/* Everything not named is allowed; a call made through another architecture's system
	 * call interface (x32, 32-bit compat) hits libseccomp's default bad-arch action. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	int r = 0;
	/* The build machine's architecture is in every new filter; a cross build wants only
	 * the target's. */
	if (arch != seccomp_arch_native()) {
		r = seccomp_arch_add(ctx, arch);
		if (r == 0)
			r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	}
	if (r == 0)
		r = backstop_rules(ctx, arch, variant);
	if (r < 0) {
		seccomp_release(ctx);
		*err = r;
		return NULL;
	}
	return ctx;
}

/*
 * syscall_filter.c — build and load the backstop filter with libseccomp (see syscall_filter.h).
 */
#include "syscall_filter.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
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

static int constant(const struct fs_policy *p, enum fs_category c)
{
	/* Both phases: a category is "blocked outright" only if it is during init too. */
	int a = fs_rules_constant(fs_policy_rules(p, c, 0));
	return a == fs_rules_constant(fs_policy_rules(p, c, 1)) ? a : -1;
}

int seccomp_refuses_inet_sockets(const struct fs_policy *p, int in_lambda)
{
	return fs_policy_mode(p) == FS_MODE_BLOCK && !in_lambda &&
	       constant(p, FS_CONNECT) == FS_BLOCK && constant(p, FS_LISTEN) == FS_BLOCK;
}

static int add(scmp_filter_ctx ctx, uint32_t action, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	return seccomp_rule_add(ctx, action, nr, 0);
}

static int build(scmp_filter_ctx ctx, const struct fs_policy *p, int in_lambda, int trampoline)
{
	int block = fs_policy_mode(p) == FS_MODE_BLOCK;
	int r = 0;
	int restricted = 0;
	for (int c = 0; c < FS_NCATEGORIES; c++)
		restricted |= constant(p, c) != FS_ALLOW;

	if (restricted)
		for (size_t i = 0; i < sizeof io_uring_calls / sizeof *io_uring_calls; i++)
			r |= add(ctx, SCMP_ACT_ERRNO(ENOSYS), io_uring_calls[i]);
	r |= add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3");
	if (!block)
		return r; /* alert mode refuses nothing */

	for (size_t i = 0; i < sizeof always_denied / sizeof *always_denied; i++)
		r |= add(ctx, SCMP_ACT_ERRNO(EPERM), always_denied[i]);
	/* A JVM runs every program through its jspawnhelper, where the shim checks and logs the
	 * real target: refusing the helper's own execve would lose that line. */
	if (constant(p, FS_EXEC) == FS_BLOCK && !trampoline) {
		r |= add(ctx, SCMP_ACT_ERRNO(EACCES), "execve");
		r |= add(ctx, SCMP_ACT_ERRNO(EACCES), "execveat");
	}
	/* The Runtime API must stay reachable, so under Lambda inet sockets stay too. */
	if (seccomp_refuses_inet_sockets(p, in_lambda)) {
		r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
				      SCMP_A0(SCMP_CMP_EQ, AF_INET));
		r |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
				      SCMP_A0(SCMP_CMP_EQ, AF_INET6));
	}
	return r;
}

int seccomp_install(const struct fs_policy *p, int in_lambda, int trampoline,
		    const char *inherited, const char *setting, char *status, size_t cap)
{
	if (inherited && !strcmp(inherited, "on")) {
		snprintf(status, cap, "inherited");
		return 1;
	}
	if (setting && !strcmp(setting, "off")) {
		snprintf(status, cap, "off");
		return 0;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(status, cap, "unavailable: seccomp_init failed");
		return 0;
	}
	/* Every thread that exists already, and a clear error when the kernel says no. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	int r = build(ctx, p, in_lambda, trampoline);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		snprintf(status, cap, "unavailable: %s", strerror(-r));
		return 0;
	}
	snprintf(status, cap, "on");
	return 1;
}

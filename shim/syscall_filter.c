/*
 * syscall_filter.c — choose the backstop's program for this policy and load it (see
 * syscall_filter.h).
 *
 * The programs are built at build time (shim/backstop.h); what is left here is the policy's
 * four answers and the two system calls libseccomp's seccomp_load would make with them.
 */
#include "syscall_filter.h"

#include "backstop.h"
#include "logline.h"
#include "seccomp_programs.h" /* generated: $(BUILD)/seccomp_programs.h */
#include "sys.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

/* Programs generated for another architecture would kill every system call (bad arch). */
#if defined(__x86_64__)
_Static_assert(BACKSTOP_PROGRAMS_ARCH == AUDIT_ARCH_X86_64, "seccomp_programs.h: not x86_64");
#elif defined(__aarch64__)
_Static_assert(BACKSTOP_PROGRAMS_ARCH == AUDIT_ARCH_AARCH64, "seccomp_programs.h: not aarch64");
#endif

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

/* The policy's answers to the four questions of shim/backstop.h. */
static unsigned variant(const struct fs_policy *p, int in_lambda, int trampoline)
{
	unsigned v = 0;
	for (int c = 0; c < FS_NCATEGORIES; c++)
		if (constant(p, c) != FS_ALLOW)
			v |= BACKSTOP_IO_URING;
	if (fs_policy_mode(p) != FS_MODE_BLOCK)
		return v; /* alert mode refuses nothing */
	v |= BACKSTOP_BLOCK;
	/* A JVM runs every program through its jspawnhelper, where the shim checks and logs the
	 * real target: refusing the helper's own execve would lose that line. */
	if (constant(p, FS_EXEC) == FS_BLOCK && !trampoline)
		v |= BACKSTOP_EXEC;
	/* The Runtime API must stay reachable, so under Lambda inet sockets stay too. */
	if (seccomp_refuses_inet_sockets(p, in_lambda))
		v |= BACKSTOP_INET;
	return v;
}

/*
 * What seccomp_load does with a filter that has SCMP_FLTATR_CTL_TSYNC set, and its results:
 * 0, -ESRCH when a thread could not be synchronised, -ECANCELED for any refusal by the
 * kernel (libseccomp's answer when the raw error is not asked for). The start line's
 * "unavailable: …" reads as it did when libseccomp loaded the filter. One difference, in a
 * case a library loading before the function's threads should not meet: on kernels >= 5.7
 * libseccomp also asked for TSYNC_ESRCH, and then reported an unsynchronised thread as
 * -ECANCELED; here it is -ESRCH ("No such process") on every kernel.
 */
static int load(const struct backstop_program *prog)
{
	struct sock_fprog fprog = {
		.len = prog->len,
		.filter = (struct sock_filter *)prog->filter, /* the kernel only reads it */
	};
	/* Unprivileged, a filter is only accepted from a process that cannot gain privileges. */
	long r = SYS6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	if (r < 0)
		return -ECANCELED;
	/* Every thread that exists already: one the filter missed would be a way around it. */
	r = SYS6(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog, 0, 0, 0);
	/* A kernel (or emulator) without seccomp(2) may still have the older prctl, for this
	 * thread alone; libseccomp falls back to it the same way. */
	if (r == -ENOSYS)
		r = SYS6(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0, 0);
	if (r > 0)
		return -ESRCH; /* TSYNC: the id of a thread that could not take the filter */
	return r < 0 ? -ECANCELED : 0;
}


int seccomp_install(const struct fs_policy *p, int in_lambda, int trampoline,
		    const char *inherited, const char *setting, char *status, size_t cap)
{
	if (inherited && !strcmp(inherited, "on")) {
		logline_copy(status, cap, "inherited");
		return 1;
	}
	if (setting && !strcmp(setting, "off")) {
		logline_copy(status, cap, "off");
		return 0;
	}
	int r = load(&backstop_programs[variant(p, in_lambda, trampoline)]);
	if (r < 0) {
		snprintf(status, cap, "unavailable: %s", strerror(-r));
		return 0;
	}
	logline_copy(status, cap, "on");
	return 1;
}

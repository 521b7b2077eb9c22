/*
 * kernel_without.c — runs a program as if the kernel lacked something the supervisor needs
 * (tests/integration/test_supervisor.py): a seccomp filter, installed here and inherited by
 * everything the program runs, answers those calls as such a kernel would.
 *
 *   kernel_without user-notification PROGRAM ARGS...
 *       seccomp(SECCOMP_SET_MODE_FILTER) with SECCOMP_FILTER_FLAG_NEW_LISTENER -> EINVAL,
 *       as before Linux 5.0; every other filter is still accepted
 *   kernel_without no-new-privs PROGRAM ARGS...
 *       prctl(PR_SET_NO_NEW_PRIVS) -> EPERM, as a sandbox that refuses it would
 *   kernel_without pidfd PROGRAM ARGS...
 *       pidfd_open -> ENOSYS, as before Linux 5.3
 *   kernel_without ptrace-access PROGRAM ARGS...
 *       process_vm_readv -> EPERM, as Yama's ptrace_scope 1 answers a process that is no
 *       ancestor of the one it reads
 *
 * Needs CAP_SYS_ADMIN (root): its own filter is installed without no_new_privs.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

/* What each mode refuses: a system call, with its first argument equal to arg0 (when >= 0)
 * and any of arg1_bits set in its second (when non-zero), answered with errno err. */
static const struct refusal {
	const char *mode;
	int nr;
	long arg0;
	unsigned arg1_bits;
	int err;
} REFUSALS[] = {
	{"user-notification", SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, EINVAL},
	{"no-new-privs", SYS_prctl, PR_SET_NO_NEW_PRIVS, 0, EPERM},
	{"pidfd", SYS_pidfd_open, -1, 0, ENOSYS},
	{"ptrace-access", SYS_process_vm_readv, -1, 0, EPERM},
};

#define INSN(x) ((struct sock_filter)x)
#define LOAD(off) INSN(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define NEXT_IF(test, k) INSN(BPF_JUMP(BPF_JMP | (test) | BPF_K, (k), 1, 0)) /* else the ALLOW after it */
#define ALLOW INSN(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW))

/* The filter: every call allowed but r's (another architecture's numbers are not this
 * program's concern). Returns its length. */
static unsigned short build(const struct refusal *r, struct sock_filter f[16])
{
	unsigned short n = 0;
	f[n++] = LOAD(offsetof(struct seccomp_data, arch));
	f[n++] = NEXT_IF(BPF_JEQ, ARCH);
	f[n++] = ALLOW;
	f[n++] = LOAD(offsetof(struct seccomp_data, nr));
	f[n++] = NEXT_IF(BPF_JEQ, (unsigned)r->nr);
	f[n++] = ALLOW;
	if (r->arg0 >= 0) {
		f[n++] = LOAD(offsetof(struct seccomp_data, args[0]));
		f[n++] = NEXT_IF(BPF_JEQ, (unsigned)r->arg0);
		f[n++] = ALLOW;
	}
	if (r->arg1_bits) {
		f[n++] = LOAD(offsetof(struct seccomp_data, args[1]));
		f[n++] = NEXT_IF(BPF_JSET, r->arg1_bits);
		f[n++] = ALLOW;
	}
	f[n++] = INSN(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)r->err));
	return n;
}

int main(int argc, char **argv)
{
	const struct refusal *r = NULL;
	for (size_t i = 0; argc >= 3 && i < sizeof REFUSALS / sizeof *REFUSALS; i++)
		if (!strcmp(argv[1], REFUSALS[i].mode))
			r = &REFUSALS[i];
	if (!r) {
		fprintf(stderr, "usage: kernel_without user-notification|no-new-privs|pidfd|ptrace-access PROGRAM ARGS...\n");
		return 2;
	}
	struct sock_filter f[16];
	struct sock_fprog prog = {build(r, f), f};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("kernel_without: seccomp");
		return 3;
	}
	execvp(argv[2], argv + 2);
	perror("kernel_without: exec");
	return 127;
}

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

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define ARG_LOW(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define FAIL(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e))

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: kernel_without user-notification|no-new-privs|pidfd|ptrace-access PROGRAM ARGS...\n");
		return 2;
	}
	struct sock_filter user_notification[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		ALLOW, /* another architecture's numbers: not this program's concern */
		LOAD(nr),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 1, 0),
		ALLOW,
		ARG_LOW(0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_SET_MODE_FILTER, 1, 0),
		ALLOW,
		ARG_LOW(1),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 1),
		FAIL(EINVAL),
		ALLOW,
	};
	struct sock_filter no_new_privs[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		ALLOW,
		LOAD(nr),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 1, 0),
		ALLOW,
		ARG_LOW(0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_NO_NEW_PRIVS, 0, 1),
		FAIL(EPERM),
		ALLOW,
	};
	struct sock_filter ptrace_access[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		ALLOW,
		LOAD(nr),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
		FAIL(EPERM),
		ALLOW,
	};
	struct sock_filter pidfd[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		ALLOW,
		LOAD(nr),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		FAIL(ENOSYS),
		ALLOW,
	};
	struct sock_fprog prog;
	if (!strcmp(argv[1], "user-notification"))
		prog = (struct sock_fprog){sizeof user_notification / sizeof *user_notification, user_notification};
	else if (!strcmp(argv[1], "no-new-privs"))
		prog = (struct sock_fprog){sizeof no_new_privs / sizeof *no_new_privs, no_new_privs};
	else if (!strcmp(argv[1], "pidfd"))
		prog = (struct sock_fprog){sizeof pidfd / sizeof *pidfd, pidfd};
	else if (!strcmp(argv[1], "ptrace-access"))
		prog = (struct sock_fprog){sizeof ptrace_access / sizeof *ptrace_access, ptrace_access};
	else
		return 2;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("kernel_without: seccomp");
		return 3;
	}
	execvp(argv[2], argv + 2);
	perror("kernel_without: exec");
	return 127;
}

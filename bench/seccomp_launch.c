/*
 * seccomp_launch.c — the seccomp-bpf alternative: install a filter, then exec the workload.
 *
 *   seccomp-launch PROGRAM ARG...
 *
 * The filter is what a seccomp-only protection can say about the benchmark policy (and the
 * usual hardening list with it): listening sockets, raw packet sockets, and the system calls a
 * function has no business making fail with EPERM; everything else is allowed. It cannot say
 * anything about *which* file is opened, *which* program is run or *which* address is
 * connected to: those are pointers or structures, and BPF sees only the registers. exec cannot
 * be denied either, since this launcher needs one to start the workload. So this measures what
 * the kernel charges for a filter of this size on every system call of the workload, for a
 * protection that is much weaker than fnshield's.
 *
 * Kernels since 5.11 cache, per system call, "this filter always allows it whatever the
 * arguments" in a bitmap and skip the BPF program for those: only system calls the filter
 * inspects (here socket, by its address family) still run it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: seccomp-launch PROGRAM ARG...\n");
		return 64;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		fprintf(stderr, "seccomp-launch: seccomp_init failed\n");
		return 78;
	}
	static const char *const denied[] = {
		"listen", "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2",
		"pivot_root", "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load",
		"init_module", "finit_module", "delete_module", "bpf", "perf_event_open", "userfaultfd",
		"add_key", "request_key", "keyctl", "unshare", "setns", NULL,
	};
	int rules = 0, rc;
	for (int i = 0; denied[i]; i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
			goto fail;
		rules++;
	}
	/* raw packet sockets: an argument test, so socket() keeps running the BPF program */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
				   SCMP_A0(SCMP_CMP_EQ, AF_PACKET))) < 0)
		goto fail;
	rules++;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("seccomp-launch: PR_SET_NO_NEW_PRIVS");
		return 78;
	}
	if ((rc = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	if (getenv("SECCOMP_LAUNCH_VERBOSE"))
		fprintf(stderr, "seccomp-launch: %d rules\n", rules);
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
fail:
	fprintf(stderr, "seccomp-launch: libseccomp: %s\n", strerror(-rc));
	return 78;
}

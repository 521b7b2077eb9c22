/*
 * syscall_filter.h — the system-call backstop (seccomp), for what an interposer cannot see.
 *
 * The hooks only see calls that go through the exported libc functions. Raw system calls, an
 * inline `syscall` instruction, static binaries and io_uring go around them. A seccomp filter,
 * installed once at load by the first protected process of a tree and inherited by every
 * descendant (dynamic or static), closes what can be closed by system call number alone:
 *
 *   always (block mode)   ptrace, process_vm_readv/writev, bpf, kexec_*, mount, umount2,
 *                         pivot_root, *_module, swapon/off, reboot, open_by_handle_at
 *                         → EPERM: no function needs them, and each is a way around the shim.
 *   steering (any mode)   io_uring_setup/enter/register → ENOSYS when the policy restricts
 *                         what a ring could do, so libuv falls back to calls the hooks see;
 *                         clone3 → ENOSYS (glibc falls back to clone, whose flags a filter
 *                         can read).
 *   categories (block)    exec blocked outright → execve/execveat → EACCES (not in a JVM,
 *                         whose jspawnhelper must start so the shim in it can log); connect and
 *                         listen both blocked outright outside Lambda → socket(AF_INET/6)
 *                         → EPERM.
 *
 * Refusals are SECCOMP_RET_ERRNO, not RET_TRAP: the filter outlives exec into programs that
 * have no SIGSYS handler (static binaries), which a trap would kill. What the filter refuses
 * is therefore refused without a log line; what reaches a hook is logged there first.
 *
 * The rules are in tools/backstop-rules.c; libseccomp turns them into BPF at build time, one
 * program per combination of the policy's answers (shim/backstop.h), and the library only
 * picks one and loads it.
 *
 * Lambda may refuse PR_SET_NO_NEW_PRIVS or seccomp itself: that is detected and reported in
 * the start line, never fatal. FNSHIELD_SECCOMP=off skips it (diagnosis, benchmarks).
 */
#ifndef FNSHIELD_SYSCALL_FILTER_H
#define FNSHIELD_SYSCALL_FILTER_H

#include "policy.h"

#include <stddef.h>

#define SECCOMP_ENV "_FNSHIELD_SECCOMP"

/* Install the filter for this policy unless the tree already has it (inherited: the value of
 * _FNSHIELD_SECCOMP) or FNSHIELD_SECCOMP=off. Writes the state for the start line into
 * status ("on", "inherited", "off", "unavailable: …"). Returns 1 when a filter is in force. */
int seccomp_install(const struct fs_policy *p, int in_lambda, int trampoline,
		    const char *inherited, const char *setting, char *status, size_t cap);

/* Whether the filter for this policy refuses inet sockets (for the socket() hook's line). */
int seccomp_refuses_inet_sockets(const struct fs_policy *p, int in_lambda);

#endif

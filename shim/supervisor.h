/*
 * supervisor.h — the kernel's check of what never reaches libc (issue #14): the opens, execs
 * and network calls of static programs, inline `syscall` instructions and shellcode.
 *
 * At the root's load, before its other filters, the library starts `fnshield supervise` (a
 * static program beside the library; cli/supervise.c), waits for its hello, and installs a
 * seccomp filter that sends it, as user notifications, the opens, execs and network calls
 * (connect, datagrams to an address, bind, listen) whose instruction pointer lies outside the C
 * library, the loader and this library. The supervisor judges each with the same decision
 * procedure (policy/decide.h, over facts/ gathered from its side, with the rules of the root's
 * Lambda phase, shared on a page), writes the same violation line ("interposition":"kernel"),
 * and refuses the call or lets it go on; an allowed open it makes itself and hands the
 * descriptor over (SECCOMP_IOCTL_NOTIF_ADDFD): a path changed by another thread after the check
 * changes nothing.
 *
 * Every descendant inherits the filter. A static program has no preloaded library: all its
 * calls are judged there. An exec'd dynamic child maps its C library elsewhere, so its calls
 * are sent too, and those from its own copy of the library go on at once.
 *
 * Opt-in (FNSHIELD_SUPERVISOR=on); the README says why and what it costs.
 */
#ifndef FNSHIELD_SUPERVISOR_H
#define FNSHIELD_SUPERVISOR_H

#include "policy.h"
#include "supervision.h"

#include <stddef.h>

/*
 * At the root's load, before the backstop: start the supervisor and install the filter when
 * `setting` (FNSHIELD_SUPERVISOR) is "on", the supervisor is not inherited, and the policy
 * restricts any category. lib_path: this library (the supervisor is looked for beside it).
 * Returns 1 when the filter is in force; status says "on", "inherited", "off" or
 * "unavailable: why" for the start line.
 */
int supervisor_start(const struct fs_policy *p, const char *lib_path, const char *setting,
		     const char *inherited, char *status, size_t cap);

/* The root entered a Lambda phase (enum shim_phase): tell the supervisor (supervision.h). */
void supervisor_set_phase(int phase);

#endif

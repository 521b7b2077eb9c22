/*
 * logfd.h — where log lines go.
 *
 * SPEC: lines go to the process's original standard error, so that a process or child that
 * redirects or closes its stdout/stderr does not capture or lose them; and under an allow-all
 * policy no descriptor fnshield added is visible to a protected program's children.
 *
 * The root of a protected tree keeps its original stderr on a high descriptor of its own,
 * close-on-exec: no child ever inherits it. Children are told, through _FNSHIELD_LOG_FD
 * (hidden from them at load, passed on by every exec hook), which stream that is: the root's
 * pid, the descriptor's number and the stream's identity (st_dev, st_ino). A child opens
 * nothing at load; when it has a line to write it fetches the root's stream for that one
 * write (pidfd_getfd, else /proc/PID/fd/N), checks its identity, writes, closes it. When that
 * cannot be done (the root is gone, no /proc, no permission), the line goes to the process's
 * own fd 2; when even that fails, to the kernel log (/dev/kmsg), then /dev/console.
 */
#ifndef FNSHIELD_LOGFD_H
#define FNSHIELD_LOGFD_H

#include <stdatomic.h>
#include <stddef.h>

#define LOGFD_ENV "_FNSHIELD_LOG_FD"

/* How long one line may wait for a full stream (a pipe whose reader is slow, Node's
 * non-blocking stdio) before the next destination is tried. */
#define LOGFD_WAIT_MS 2000
#define LOGFD_FALLBACK_WAIT_MS 500

/* A child of a protected tree when _FNSHIELD_LOG_FD names the root's stream (returns 1:
 * nothing is opened); else the root of a new tree: keep fd 2 on a descriptor of our own,
 * close-on-exec (returns 0). */
int logfd_setup(const char *inherited);

/* >= 0 when this process knows the tree's log stream (its own descriptor or the root's),
 * -1 when lines can only go to fd 2 (before setup, in the CLI). */
int logfd_get(void);

/* This process's own log descriptor (the root, and its fork/vfork children before exec), or
 * -1: the other processes of the tree have none. For the close/dup2 hooks. */
int logfd_own(void);

/* Is fd the log descriptor? For the close/dup2 hooks (inline: close is called often). */
#pragma GCC visibility push(hidden) /* read directly, not through the GOT (state.h) */
extern atomic_int logfd_current;
#pragma GCC visibility pop
static inline int logfd_is(int fd)
{
	return fd >= 0 && fd == atomic_load_explicit(&logfd_current, memory_order_relaxed);
}

/* Someone is about to dup2 onto our number: move the log descriptor elsewhere first. */
void logfd_evacuate(void);

/* "_FNSHIELD_LOG_FD=PID:FD:DEV:INO", for children's environments (stable storage), or "". */
const char *logfd_env_entry(void);

/* One whole line (see above for where). Retried on EINTR, partial writes and a full stream
 * (bounded wait). No allocation, no locks, raw system calls; errno preserved. */
void logfd_write(const char *buf, size_t len);

/* The root is about to exec itself into a new program (a shell's `exec`, a bootstrap script):
 * its descriptor is kept open across that one exec, so the new program, the root again, carries
 * on with the original stream even when fd 2 was redirected first (logfd_setup adopts it and
 * makes it close-on-exec again). Nothing outside the root itself. logfd_exec_failed undoes it
 * when the exec fails. Raw system calls; errno untouched. */
void logfd_before_exec(void);
void logfd_exec_failed(void);

#endif

/*
 * logfd.h — the descriptor that log lines go to.
 *
 * SPEC: lines go to the process's original standard error, on a descriptor of its own, so
 * that a process or child that redirects or closes its stdout/stderr does not capture or lose
 * them. The root process duplicates fd 2 to a high number (not close-on-exec); every child
 * inherits that descriptor and is told its number (and the identity of the file behind it)
 * through _FNSHIELD_LOG_FD, which the exec hooks always pass on. Node's execSync and Java's
 * ProcessBuilder give children pipes for stderr: their lines still reach the function's log.
 */
#ifndef FNSHIELD_LOGFD_H
#define FNSHIELD_LOGFD_H

#include <stdatomic.h>
#include <stddef.h>

#define LOGFD_ENV "_FNSHIELD_LOG_FD"

/* Take over the parent's descriptor if _FNSHIELD_LOG_FD names a valid one (returns 1: this
 * process is a child in a protected tree), else duplicate fd 2 (returns 0: a new tree). */
int logfd_setup(const char *inherited);

/* The descriptor, or -1 when there is nowhere to log. */
int logfd_get(void);

/* Is fd the log descriptor? For the close/dup2 hooks (inline: close is called often). */
extern atomic_int logfd_current;
static inline int logfd_is(int fd)
{
	return fd >= 0 && fd == atomic_load_explicit(&logfd_current, memory_order_relaxed);
}

/* Someone is about to dup2 onto our number: move the log descriptor elsewhere first. */
void logfd_evacuate(void);

/* "_FNSHIELD_LOG_FD=N:DEV:INO", for children's environments (stable storage). */
const char *logfd_env_entry(void);

/* One whole line, one write(2) (retried on EINTR and partial writes). errno preserved. */
void logfd_write(const char *buf, size_t len);

#endif

/*
 * logfd.c — the log descriptor (see logfd.h).
 */
#include "logfd.h"
#include "sys.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

atomic_int logfd_current = -1;
#define log_fd logfd_current

/* Two buffers for the environment entry, swapped atomically when the descriptor moves, so an
 * exec in another thread never reads a half-written entry. */
static char env_entry_buf[2][64];
static _Atomic(const char *) env_entry = "";

static void publish(int fd)
{
	struct stat st;
	static int which;
	if (fd < 0 || sys_fstat(fd, &st) < 0) {
		atomic_store(&log_fd, -1);
		atomic_store(&env_entry, "");
		return;
	}
	which ^= 1;
	snprintf(env_entry_buf[which], sizeof env_entry_buf[which], LOGFD_ENV "=%d:%lu:%lu", fd,
		 (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	atomic_store(&log_fd, fd);
	atomic_store(&env_entry, env_entry_buf[which]);
}

/* A number out of the way of applications: just under the usual 1024 descriptor limit (Node's
 * IPC channel, systemd's LISTEN_FDS and friends live at 3 and up). */
static int high_dup(int fd)
{
	struct rlimit rl;
	long want = 1023;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long)rl.rlim_cur - 1 < want)
		want = (long)rl.rlim_cur - 1;
	for (long min = want; min >= 3; min = min > 64 ? min / 2 : 3) {
		int r = sys_fcntl(fd, F_DUPFD, min);
		if (r >= 0)
			return r;
		if (min == 3)
			break;
	}
	return -1;
}

int logfd_setup(const char *inherited)
{
	if (inherited) {
		int fd;
		unsigned long dev, ino;
		struct stat st;
		if (sscanf(inherited, "%d:%lu:%lu", &fd, &dev, &ino) == 3 && fd > 2 &&
		    sys_fstat(fd, &st) == 0 && (unsigned long)st.st_dev == dev &&
		    (unsigned long)st.st_ino == ino) {
			publish(fd);
			return 1;
		}
		/* Named but not there (the parent's descriptor was closed on the way): still a
		 * child of a protected tree; log to our own stderr. */
		publish(high_dup(2));
		return 1;
	}
	publish(high_dup(2));
	return 0;
}

int logfd_get(void) { return atomic_load_explicit(&log_fd, memory_order_relaxed); }


void logfd_evacuate(void)
{
	int old = logfd_get();
	if (old < 0)
		return;
	int fd = sys_fcntl(old, F_DUPFD, old > 64 ? old / 2 : 3);
	if (fd < 0)
		fd = high_dup(old);
	publish(fd);
	if (fd >= 0 && fd != old)
		sys_close(old);
}

const char *logfd_env_entry(void) { return atomic_load(&env_entry); }

void logfd_write(const char *buf, size_t len)
{
	int fd = logfd_get();
	if (fd < 0)
		return;
	while (len) {
		ssize_t n = sys_write(fd, buf, len);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * logfd.c — where log lines go (see logfd.h).
 */
#include "logfd.h"
#include "state.h"
#include "sys.h"
#include "treefd.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

atomic_int logfd_current = -1;
#define log_fd logfd_current

/* The tree's log stream: the root's pid, its descriptor, the file behind it. Set at load;
 * the descriptor number changes only when the root evacuates it (same file). */
static struct {
	int pid;
	atomic_int fd;
	unsigned long dev, ino;
	int known;
} stream SHIM_LOAD_STATE;

/* Two buffers for the environment entry, swapped atomically when the descriptor moves, so an
 * exec in another thread never reads a half-written entry. */
static char env_entry_buf[2][96] SHIM_LOAD_STATE;
static _Atomic(const char *) env_entry = "";

/* The stream as treefd.h describes it (the number may move: read it once). */
static struct treefd stream_now(void)
{
	return (struct treefd){ .pid = stream.pid, .fd = atomic_load(&stream.fd), .dev = stream.dev,
				.ino = stream.ino };
}

/* Written without stdio: the dup2 hooks call it (through logfd_evacuate) in the root, from any
 * thread or signal handler. The buffer is taken with an atomic exchange. */
static void publish_entry(void)
{
	static atomic_int which SHIM_LOAD_STATE;
	char *buf = env_entry_buf[atomic_fetch_xor(&which, 1) ^ 1];
	struct treefd t = stream_now();
	treefd_entry(buf, LOGFD_ENV, &t);
	atomic_store(&env_entry, buf);
}

/* The root of a tree: keep fd 2 on a descriptor of our own. */
static void become_root(void)
{
	struct stat st;
	int fd = treefd_high_dup(2);
	if (fd >= 0 && sys_fstat(fd, &st) == 0) {
		stream.pid = sys_getpid();
		atomic_store(&stream.fd, fd);
		stream.dev = (unsigned long)st.st_dev;
		stream.ino = (unsigned long)st.st_ino;
		stream.known = 1;
		atomic_store(&log_fd, fd);
		publish_entry();
	} else if (fd >= 0) {
		sys_close(fd);
	}
}

static void adopt(const struct treefd *t)
{
	stream.pid = t->pid;
	atomic_store(&stream.fd, t->fd);
	stream.dev = t->dev;
	stream.ino = t->ino;
	stream.known = 1;
}

int logfd_setup(const char *inherited)
{
	if (inherited) {
		struct treefd t;
		int ok = treefd_parse(inherited, &t) == 0;
		/* The root itself exec'd a new program (a shell's `exec`, `env -i`, a bootstrap
		 * script): its descriptor was kept open for that exec (logfd_before_exec), so the
		 * new program carries on with the same stream even if fd 2 was redirected first;
		 * if it is not there (an exec fnshield did not see), its stderr is the stream. */
		if (ok && t.pid == sys_getpid()) {
			if (t.fd > 2 && treefd_same(t.fd, t.dev, t.ino)) {
				sys_fcntl(t.fd, F_SETFD, FD_CLOEXEC);
				adopt(&t);
				atomic_store(&log_fd, t.fd);
				publish_entry();
			} else {
				become_root();
			}
			return 1;
		}
		if (ok) {
			adopt(&t);
			publish_entry(); /* passed on as it came: the grandchildren log to the root */
		}
		/* Malformed (a hand-made environment): still a child of a protected tree; its lines
		 * go to its own stderr. */
		return 1;
	}
	become_root();
	return 0;
}

int logfd_own(void) { return atomic_load_explicit(&log_fd, memory_order_relaxed); }

void logfd_before_exec(void)
{
	int fd = logfd_own();
	if (fd >= 0 && sys_getpid() == stream.pid)
		sys_fcntl(fd, F_SETFD, 0);
}

void logfd_exec_failed(void)
{
	int fd = logfd_own();
	if (fd >= 0 && sys_getpid() == stream.pid)
		sys_fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int logfd_get(void) { return stream.known ? atomic_load(&stream.fd) : -1; }

void logfd_evacuate(void)
{
	int old = logfd_own();
	/* Only the root itself moves it: a vfork child shares our memory (its descriptor table is
	 * its own), a fork child loses nothing it cannot fetch again from the root. */
	if (old < 0 || sys_getpid() != stream.pid)
		return;
	int fd = sys_fcntl(old, F_DUPFD_CLOEXEC, old > 64 ? old / 2 : 3);
	if (fd < 0)
		fd = treefd_high_dup(old);
	if (fd < 0)
		return; /* the dup2 takes it: lines go to fd 2 from now on */
	atomic_store(&stream.fd, fd);
	atomic_store(&log_fd, fd);
	publish_entry();
	sys_close(old);
}

const char *logfd_env_entry(void) { return atomic_load(&env_entry); }

/* ---- writing one line: async-signal-safe, vfork-safe, no allocation ---------------------- */


static long now_ms(void)
{
	struct timespec ts;
	if (SYS6(SYS_clock_gettime, CLOCK_MONOTONIC, &ts, 0, 0, 0, 0) < 0)
		return 0;
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait until fd can take more (a full pipe, a non-blocking descriptor): 1 yes, 0 not in time. */
static int wait_writable(int fd, long deadline)
{
	for (;;) {
		long left = deadline - now_ms();
		if (left < 0)
			left = 0;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		struct timespec ts = {.tv_sec = left / 1000, .tv_nsec = left % 1000 * 1000000L};
		long r = SYS6(SYS_ppoll, &p, 1, &ts, 0, 0, 0);
		if (r == -EINTR)
			continue;
		if (r < 0 || (p.revents & (POLLERR | POLLNVAL)))
			return 0;
		if (r > 0 || left == 0)
			return r > 0;
	}
}

/* The whole line on fd: 1 written, 0 not (or only part of it). A pipe or socket is asked
 * first whether it can take more: a blocking write to a full pipe nobody reads would wait
 * forever (the shared open file's O_NONBLOCK flag is the application's, not ours to set). */
static int write_all(int fd, const char *buf, size_t len, int wait_ms)
{
	long deadline = now_ms() + wait_ms;
	struct stat st;
	int stream_like = sys_fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	while (len) {
		if (stream_like && !wait_writable(fd, deadline))
			return 0;
		/* A socket whose peer is gone: EPIPE, not a SIGPIPE that would kill the program. */
		ssize_t n = stream_like && S_ISSOCK(st.st_mode)
				    ? SYS6(SYS_sendto, fd, buf, len, MSG_NOSIGNAL, 0, 0)
				    : sys_write(fd, buf, len);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN) {
			if (!stream_like && !wait_writable(fd, deadline))
				return 0;
			continue;
		}
		if (n <= 0)
			return 0;
		buf += n;
		len -= (size_t)n;
	}
	return 1;
}


/* The root's stream, fetched for one write: a descriptor of our own (close it), or -1.
 * pidfd_getfd gives the very open file the root holds, as inheritance would have (a regular
 * file's offset is shared, a socket works); /proc/PID/fd/N reopens it (a pipe, a FIFO, a
 * terminal, a file — appending; O_NONBLOCK: opening a pipe whose reader is gone would wait for
 * one forever) where pidfd_getfd is missing or not permitted. */
static int fetch_root_stream(void)
{
	struct treefd t = stream_now();
	return treefd_fetch(&t, O_WRONLY | O_APPEND | O_NONBLOCK);
}

/* Nowhere else: the kernel log, then the console (root only, outside Lambda). A kernel log
 * record is at most about 1 KiB: a longer line is cut there. */
static int write_last_resort(const char *buf, size_t len)
{
	static const char *const where[] = {"/dev/kmsg", "/dev/console"};
	for (size_t i = 0; i < sizeof where / sizeof *where; i++) {
		int fd = sys_openat(AT_FDCWD, where[i], O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
		if (fd < 0)
			continue;
		int ok = write_all(fd, buf, i == 0 && len > 960 ? 960 : len, LOGFD_FALLBACK_WAIT_MS);
		sys_close(fd);
		if (ok)
			return 1;
	}
	return 0;
}

void logfd_write(const char *buf, size_t len)
{
	int saved = errno;
	int tried = 0; /* the stream was reached and did not take the line */

	/* 1. The tree's log stream: ours (the root, its fork and vfork children), else the
	 * root's, fetched for this line. */
	if (stream.known) {
		int fd = logfd_own();
		int own = fd >= 0 && treefd_same(fd, stream.dev, stream.ino);
		if (!own && sys_getpid() != stream.pid)
			fd = fetch_root_stream();
		else if (!own)
			fd = -1;
		if (fd >= 0) {
			int ok = write_all(fd, buf, len, LOGFD_WAIT_MS);
			if (!own)
				sys_close(fd);
			if (ok)
				goto out;
			tried = 1;
		}
	}
	/* 2. Our own stderr, unless it is the stream that just failed. */
	if (!(tried && treefd_same(2, stream.dev, stream.ino)) &&
	    write_all(2, buf, len, LOGFD_FALLBACK_WAIT_MS))
		goto out;
	/* 3. A refusal always has its line. */
	write_last_resort(buf, len);
out:
	errno = saved;
}

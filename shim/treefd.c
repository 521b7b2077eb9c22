/*
 * treefd.c — a descriptor the root of a protected tree keeps for the whole tree (treefd.h).
 */
#include "treefd.h"
#include "sys.h"

#include <string.h>
#include <sys/resource.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Just under the usual 1024 descriptor limit: Node's IPC channel, systemd's LISTEN_FDS and
 * friends live at 3 and up. */
int treefd_high_dup(int fd)
{
	struct rlimit rl;
	long want = 1023;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long)rl.rlim_cur - 1 < want)
		want = (long)rl.rlim_cur - 1;
	for (long min = want; min >= 3; min = min > 64 ? min / 2 : 3) {
		int r = sys_fcntl(fd, F_DUPFD_CLOEXEC, min);
		if (r >= 0)
			return r;
		if (min == 3)
			break;
	}
	return -1;
}

int treefd_same(int fd, unsigned long dev, unsigned long ino)
{
	struct stat st;
	return sys_fstat(fd, &st) == 0 && (unsigned long)st.st_dev == dev &&
	       (unsigned long)st.st_ino == ino;
}

int treefd_describe(int fd, struct treefd *t)
{
	struct stat st;
	if (sys_fstat(fd, &st) < 0)
		return -1;
	t->pid = sys_getpid();
	t->fd = fd;
	t->dev = (unsigned long)st.st_dev;
	t->ino = (unsigned long)st.st_ino;
	return 0;
}

static char *put_uint(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = tmp[--n];
	return p;
}

int treefd_fetch(const struct treefd *t, int open_flags)
{
	int pidfd = (int)SYS6(SYS_pidfd_open, t->pid, 0, 0, 0, 0, 0);
	if (pidfd >= 0) {
		int got = (int)SYS6(SYS_pidfd_getfd, pidfd, t->fd, 0, 0, 0, 0);
		sys_close(pidfd);
		if (got >= 0) {
			if (treefd_same(got, t->dev, t->ino))
				return got;
			sys_close(got);
		}
	}
	char path[64] = "/proc/", *p = path + 6;
	p = put_uint(p, (unsigned long)t->pid);
	memcpy(p, "/fd/", 4);
	p = put_uint(p + 4, (unsigned long)t->fd);
	*p = 0;
	int got = sys_openat(AT_FDCWD, path, open_flags | O_CLOEXEC | O_NOCTTY, 0);
	if (got < 0)
		return -1;
	if (treefd_same(got, t->dev, t->ino))
		return got;
	sys_close(got);
	return -1;
}

char *treefd_entry(char *buf, const char *name, const struct treefd *t)
{
	size_t n = strlen(name);
	memcpy(buf, name, n);
	char *p = buf + n;
	*p++ = '=';
	p = put_uint(p, (unsigned long)t->pid);
	*p++ = ':';
	p = put_uint(p, (unsigned long)t->fd);
	*p++ = ':';
	p = put_uint(p, t->dev);
	*p++ = ':';
	p = put_uint(p, t->ino);
	*p = 0;
	return buf;
}

/* One decimal number ending at `end` ('\0' for the last); the position after it, or NULL.
 * By hand rather than sscanf: at load, in every child, the first call to scanf costs more than
 * the rest of this file together (its locale set-up, faulted in). */
static const char *get_uint(const char *p, char end, unsigned long *v)
{
	unsigned long n = 0;
	const char *start = p;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (~0ul - 9) / 10)
			return NULL;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (p == start || *p != end)
		return NULL;
	*v = n;
	return end ? p + 1 : p;
}

int treefd_parse(const char *value, struct treefd *t)
{
	unsigned long pid, fd;
	const char *p = value;
	if (!p || !(p = get_uint(p, ':', &pid)) || !(p = get_uint(p, ':', &fd)) ||
	    !(p = get_uint(p, ':', &t->dev)) || !get_uint(p, 0, &t->ino) || pid == 0 ||
	    pid > 0x7fffffff || fd > 0x7fffffff)
		return -1;
	t->pid = (int)pid;
	t->fd = (int)fd;
	return 0;
}

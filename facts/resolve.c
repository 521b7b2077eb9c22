/*
 * resolve.c — lexical and canonical paths (see resolve.h).
 */
#include "resolve.h"
#include "policy.h"
#include "sys.h"

#include <string.h>

#ifndef O_PATH
#define O_PATH 010000000
#endif

#define MAX_SYMLINK_HOPS 40 /* the kernel's own limit */

static void fd_link_name(int fd, char *buf, size_t cap)
{
	/* "/proc/self/fd/" + decimal fd, without snprintf (not async-signal-safe). */
	static const char prefix[] = "/proc/self/fd/";
	char digits[12];
	int n = 0;
	unsigned v = (unsigned)fd;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t p = sizeof prefix - 1;
	if (cap < p + (size_t)n + 1) {
		buf[0] = 0;
		return;
	}
	memcpy(buf, prefix, p);
	while (n)
		buf[p++] = digits[--n];
	buf[p] = 0;
}

long path_of_fd(int fd, char *out, size_t cap)
{
	char link[32];
	fd_link_name(fd, link, sizeof link);
	ssize_t n = sys_readlinkat(AT_FDCWD, link, out, cap - 1);
	if (n < 0) {
		out[0] = 0;
		return -1;
	}
	out[n] = 0;
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof deleted - 1;
	if (out[0] != '/' || ((size_t)n >= dl && !memcmp(out + n - dl, deleted, dl)))
		return -1;
	return n;
}

long path_lexical(int dirfd, const char *path, char *out, size_t cap)
{
	if (!path)
		return -1;
	/* Most paths programs open are already normal: a scan and a copy instead of the
	 * normaliser's two passes. */
	long n = fs_path_normal_length(path, cap);
	if (n >= 0) {
		memcpy(out, path, (size_t)n + 1);
		return n;
	}
	if (path[0] == '/')
		return fs_path_normalise(NULL, path, out, cap);
	char base[FS_PATH_MAX];
	if (dirfd == AT_FDCWD) {
		if (sys_getcwd(base, sizeof base) < 0 || base[0] != '/')
			return -1;
	} else if (path_of_fd(dirfd, base, sizeof base) < 0) {
		return -1;
	}
	return fs_path_normalise(base, path, out, cap);
}

/* Split "a/b/c" into dir "a/b" and last "c" (in place; trailing slashes dropped). */
static void split_last(char *p, const char **dir, const char **last)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	char *slash = strrchr(p, '/');
	if (!slash) {
		*dir = ".";
		*last = p;
	} else if (slash == p) {
		*dir = "/";
		*last = p + 1;
	} else {
		*slash = 0;
		*dir = p;
		*last = slash + 1;
	}
}

long path_canonical(int dirfd, const char *path, int follow_last, char *out, size_t cap,
		    int *missing)
{
	if (missing)
		*missing = 0;
	char cur[FS_PATH_MAX], link[FS_PATH_MAX];
	size_t len = strlen(path);
	if (!len || len >= sizeof cur)
		return -ENAMETOOLONG;
	memcpy(cur, path, len + 1);

	for (int hop = 0; hop < MAX_SYMLINK_HOPS; hop++) {
		int fd = sys_openat(dirfd, cur, O_PATH | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW), 0);
		if (fd >= 0) {
			long n = path_of_fd(fd, out, cap);
			sys_close(fd);
			/* it exists, but has no path that can be read back (deeper than PATH_MAX,
			 * deleted): unresolvable, which is not "not there" */
			return n < 0 ? -ENAMETOOLONG : n;
		}
		if (fd != -ENOENT)
			return fd;

		/* The name does not exist (yet): resolve its directory, then see whether the last
		 * component is a dangling symbolic link that a creating open would follow. */
		const char *dir, *last;
		split_last(cur, &dir, &last);
		int dfd = sys_openat(dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		if (dfd < 0)
			return dfd;
		long dn = path_of_fd(dfd, out, cap);
		ssize_t ln = follow_last ? sys_readlinkat(dfd, last, link, sizeof link - 1) : -1;
		sys_close(dfd);
		if (dn < 0)
			return -ENAMETOOLONG;
		if (ln < 0) {
			if (missing)
				*missing = 1;
			long n = fs_path_normalise(out, last, link, sizeof link);
			if (n < 0 || (size_t)n >= cap)
				return -ENAMETOOLONG;
			memcpy(out, link, (size_t)n + 1);
			return n;
		}
		link[ln] = 0;
		/* Follow the dangling link: absolute, or relative to its directory. */
		if (link[0] == '/') {
			memcpy(cur, link, (size_t)ln + 1);
		} else if (fs_path_normalise(out, link, cur, sizeof cur) < 0) {
			return -ENAMETOOLONG;
		}
		dirfd = AT_FDCWD;
	}
	return -ELOOP;
}

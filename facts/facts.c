/*
 * facts.c — the facts of a call (see facts.h).
 */
#include "facts.h"
#include "sys.h"

#include <string.h>

#ifndef O_PATH
#define O_PATH 010000000
#endif

/* openat2(RESOLVE_NO_SYMLINKS) opens the file only if no symbolic link lies on the way, in the
 * same system call an open costs: then the lexical path IS the file, and the common case needs
 * no extra system call to rule out a link. 0 once the kernel lacks it (before 5.6, or a seccomp
 * policy of the host's that refuses it). */
atomic_int facts_openat2_usable = 1;

/* Is the path as written the file: 0 (it exists, no link on the way), -ENOENT / -ENOTDIR (it
 * does not, and no link lies on the part that does: the lexical path is where it would be),
 * or FACTS_LINK_ON_WAY / another -errno (resolve to know). */
static int reached_without_symlink(int dirfd, const char *path, int follow)
{
	int fd = facts_openat2_no_symlinks(dirfd, path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), 0);
	if (fd >= 0) {
		sys_close(fd);
		return 0;
	}
	return fd;
}

#ifndef SYS_faccessat2
#define SYS_faccessat2 439 /* the same number on x86_64 and aarch64 */
#endif

/* The errno an exec of an existing (dirfd, path) fails with on its own — a descriptor itself
 * with path "" and AT_EMPTY_PATH (fexecve): not open (EBADF), a link not to be followed (ELOOP),
 * a directory or other non-regular file, or no execute permission (the kernel's own checks, in
 * its order). faccessat2 (Linux 5.8) is what can ask it of a descriptor; before it, faccessat
 * for a path and the execute bits for a descriptor. */
static int exec_refused_by_kernel(int dirfd, const char *path, int at_flags)
{
	struct stat st;
	int r = sys_newfstatat(dirfd, path, &st, at_flags);
	if (r < 0)
		return -r;
	if (S_ISLNK(st.st_mode))
		return ELOOP; /* execveat(AT_SYMLINK_NOFOLLOW) of a link */
	if (!S_ISREG(st.st_mode))
		return EACCES;
	r = (int)SYS6(SYS_faccessat2, dirfd, path, X_OK, at_flags & AT_EMPTY_PATH, 0, 0);
	if (r == -ENOSYS)
		r = *path ? sys_faccessat(dirfd, path, X_OK) : st.st_mode & 0111 ? 0 : -EACCES;
	return r < 0 ? -r : 0;
}

void facts_of_path(int dirfd, const char *path, int follow, enum facts_intent intent,
		   struct facts_paths *b, struct fs_path_facts *f)
{
	memset(f, 0, sizeof *f);
	if (!path) {
		f->fails = EFAULT;
		return;
	}
	long llen = path_lexical(dirfd, path, b->lexical, sizeof b->lexical);
	if (llen >= 0) {
		f->lexical = b->lexical;
		f->lexical_len = llen;
	}
	int needs_file = intent != FACTS_CREATE;
	int probe = llen >= 0 && (size_t)llen < sizeof b->real ? reached_without_symlink(dirfd, path, follow)
							       : FACTS_LINK_ON_WAY;
	if (probe == 0 || probe == -ENOENT || probe == -ENOTDIR) {
		/* No link on the way: the lexical spelling is the real one. */
		f->real = f->lexical;
		f->real_len = llen;
		if (probe == -ENOTDIR || (probe == -ENOENT && needs_file))
			f->fails = -probe;
	} else {
		int missing = 0;
		long rlen = path_canonical(dirfd, path, follow, b->real, sizeof b->real, &missing);
		if (rlen >= 0) {
			f->real = b->real;
			f->real_len = rlen;
			if (missing && needs_file)
				f->fails = ENOENT;
		} else if (rlen == -ENOENT || rlen == -ENOTDIR || rlen == -ELOOP || rlen == -EBADF) {
			/* the directory is not there, links go round, or no such descriptor */
			f->fails = (int)-rlen;
		}
	}
	if (intent == FACTS_EXEC && !f->fails)
		f->fails = exec_refused_by_kernel(dirfd, path, follow ? 0 : AT_SYMLINK_NOFOLLOW);
}

void facts_confirm_fails(int dirfd, const char *path, int follow, enum facts_intent intent,
			 int opens_for_write, struct facts_paths *b, struct fs_path_facts *f)
{
	if (f->fails || !path)
		return;
	struct stat st;
	if (opens_for_write && sys_newfstatat(dirfd, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		f->fails = EISDIR; /* the kernel refuses to open a directory for writing */
		return;
	}
	if (intent != FACTS_CREATE)
		return;
	/* Only its directory must exist: path_canonical says -ENOENT / -ENOTDIR when it does not.
	 * Asked only when the real path is the lexical one (no link on the way, so b->real is
	 * free) or is known already: then it is copied back. */
	char *scratch = f->real == b->real ? NULL : b->real;
	if (!scratch)
		return; /* resolved through a link already: a missing directory was seen then */
	long rlen = path_canonical(dirfd, path, follow, scratch, sizeof b->real, NULL);
	if (rlen == -ENOENT || rlen == -ENOTDIR || rlen == -ELOOP)
		f->fails = (int)-rlen;
}

void facts_of_fd(int fd, struct facts_paths *b, struct fs_path_facts *f)
{
	memset(f, 0, sizeof *f);
	/* Its path, or the kernel's description of a memfd or deleted file; none at all without
	 * /proc, and then the call is judged as unresolved (the category's strictest rule). */
	if (path_of_fd(fd, b->real, sizeof b->real) >= 0 || b->real[0]) {
		f->lexical = b->real;
		f->lexical_len = (long)strlen(b->real);
	}
	f->fails = exec_refused_by_kernel(fd, "", AT_EMPTY_PATH);
}

int facts_exec_probe(void *ctx, const char *candidate)
{
	(void)ctx;
	return exec_refused_by_kernel(AT_FDCWD, candidate, 0);
}

int facts_tcp_peer_is(int fd, const uint8_t ip[16], uint16_t port)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer, ilen = sizeof(int);
	uint8_t peer_ip[16];
	uint16_t peer_port;
	int type = 0, proto = 0;
	if (SYS6(SYS_getpeername, fd, &peer, &plen, 0, 0, 0) < 0 ||
	    !facts_of_sockaddr((struct sockaddr *)&peer, plen, peer_ip, &peer_port) ||
	    peer_port != port || memcmp(peer_ip, ip, 16))
		return 0;
	if (SYS6(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &ilen, 0) < 0 || type != SOCK_STREAM)
		return 0;
	ilen = sizeof(int);
	return SYS6(SYS_getsockopt, fd, SOL_SOCKET, SO_PROTOCOL, &proto, &ilen, 0) == 0 &&
	       proto == IPPROTO_TCP;
}

/*
 * facts.h — the facts of a call, gathered from the file system as the call itself would meet
 * them: the path as written and as resolved, whether it exists, whether a program can run, what
 * an address is. One gatherer for the preload library (on the check path) and for `fnshield
 * explain` (describing a call), so that both hand policy/decide.h the same facts.
 *
 * Raw system calls only (sys.h): no allocation, no locks, errno untouched; usable in vfork
 * children and signal handlers.
 */
#ifndef FNSHIELD_FACTS_H
#define FNSHIELD_FACTS_H

#include "decide.h"
#include "resolve.h"
#include "sys.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* Which category an open with these flags falls in (SPEC: writing, creating, truncating or
 * appending is write; anything else reads — O_RDONLY | O_DIRECTORY too, though O_TMPFILE
 * contains O_DIRECTORY). Every open hook's fast path asks it, and so does the supervisor. */
static inline enum fs_category open_category(int flags)
{
	if ((flags & (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND)) || (flags & O_TMPFILE) == O_TMPFILE)
		return FS_WRITE;
	return FS_READ;
}

/* Storage for the two spellings a struct fs_path_facts points into (12 KB: on the stack). */
struct facts_paths {
	char lexical[FS_LEX_MAX];
	char real[FS_PATH_MAX];
};

enum facts_intent {
	FACTS_EXISTING, /* the call needs the file to exist (a read, an open without O_CREAT) */
	FACTS_CREATE,   /* the call may create it (O_CREAT, fopen "w", mkstemp, rename's target) */
	FACTS_EXEC,     /* the call runs it: it must exist, be a regular file and executable */
};

/*
 * The facts of (dirfd, path). follow: a final symbolic link is followed. What is cheap is
 * gathered here: both spellings, and `fails` where a probe already told (a file that does not
 * exist, for calls that need it). Whether the directory of a file to be created exists is left
 * to facts_confirm_fails, which a caller asks only when the answer matters (the decision would
 * log): creating calls are common and usually allowed.
 */
void facts_of_path(int dirfd, const char *path, int follow, enum facts_intent intent,
		   struct facts_paths *b, struct fs_path_facts *f);

/* Settle f->fails exactly: for a creating call, whether the directory exists; for an open for
 * writing (opens_for_write), whether the path is a directory (EISDIR). */
void facts_confirm_fails(int dirfd, const char *path, int follow, enum facts_intent intent,
			 int opens_for_write, struct facts_paths *b, struct fs_path_facts *f);

/* The program behind an open descriptor (fexecve, execveat with AT_EMPTY_PATH). A descriptor
 * that is not open fails with EBADF, one that is no regular file or cannot be executed with
 * EACCES, as the kernel would; a memfd or deleted file has no path: its description
 * ("/memfd:x (deleted)") is the lexical spelling, which matches no path rule, so the default
 * decides — an allow list never lets an anonymous program run. */
void facts_of_fd(int fd, struct facts_paths *b, struct fs_path_facts *f);

/* fs_probe_fn (decide.h) for the PATH search: 0 when the candidate can run, else the errno an
 * exec of it fails with. ctx unused. */
int facts_exec_probe(void *ctx, const char *candidate);

/* The address of an inet socket address: 16 bytes (IPv4 as IPv4-mapped IPv6) and the port.
 * 0 when it is not AF_INET / AF_INET6 (or too short). Inline: every checked connect. */
static inline int facts_of_sockaddr(const struct sockaddr *sa, socklen_t len, uint8_t ip[16],
				    uint16_t *port)
{
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return 0;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;
		fs_ip_from_v4(&in->sin_addr, ip);
		*port = ntohs(in->sin_port);
		return 1;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		memcpy(ip, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return 1;
	}
	return 0;
}

/* Is fd a TCP socket already connected to (ip, port)? A connect on it then only collects the
 * outcome of an earlier non-blocking connect to the same address (Ruby's Socket.tcp, any
 * connect_nonblock loop): the kernel answers 0 once, then EISCONN, and opens nothing. A
 * datagram socket's connect sets a new peer each time, so only TCP qualifies. Raw system
 * calls: errno is untouched. */
int facts_tcp_peer_is(int fd, const uint8_t ip[16], uint16_t port);

/*
 * The open hooks' common case in one system call: open (dirfd, path) with openat2 and
 * RESOLVE_NO_SYMLINKS, which succeeds only when the path as written is the file. Returns the
 * descriptor, or -errno of the open itself (ENOENT…), or FACTS_LINK_ON_WAY when a symbolic link
 * lies on the way or openat2 cannot be used: then resolve (facts_of_path) and open normally.
 * Inline: it is on every checked open.
 */
#define FACTS_LINK_ON_WAY (-100000)

/* 1 until openat2 is found missing (before Linux 5.6) or refused (a host's seccomp policy). */
#pragma GCC visibility push(hidden) /* read directly, not through the GOT (shim/state.h) */
extern atomic_int facts_openat2_usable;
#pragma GCC visibility pop

static inline int facts_openat2_no_symlinks(int dirfd, const char *path, int flags, mode_t mode)
{
	if (!atomic_load_explicit(&facts_openat2_usable, memory_order_relaxed))
		return FACTS_LINK_ON_WAY;
	struct sys_open_how how = {
		.flags = (uint64_t)(unsigned)flags,
		.mode = mode,
		.resolve = SYS_RESOLVE_NO_SYMLINKS,
	};
	int fd = sys_openat2(dirfd, path, &how);
	if (__builtin_expect(fd >= 0, 1))
		return fd;
	if (fd == -ENOSYS || fd == -EPERM) {
		atomic_store(&facts_openat2_usable, 0);
		return FACTS_LINK_ON_WAY;
	}
	/* ELOOP: a link on the way; the others: flags or a path openat2 takes differently from
	 * openat — resolve and open the ordinary way. */
	if (fd == -ELOOP || fd == -EINVAL || fd == -EXDEV || fd == -E2BIG || fd == -EAGAIN)
		return FACTS_LINK_ON_WAY;
	return fd;
}

#define FACTS_OPENAT2_FLAGS                                                                      \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |    \
	 O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC |    \
	 O_SYNC | O_PATH | __O_TMPFILE)

static inline int facts_open_if_no_symlink(int dirfd, const char *path, int flags, mode_t mode)
{
	/* openat2 refuses a mode the call does not use (openat ignores it), and flags openat
	 * ignores. The common open has neither O_CREAT nor O_TMPFILE nor such a flag: one test. */
	mode_t used = 0;
	if (__builtin_expect(flags & (~FACTS_OPENAT2_FLAGS | O_CREAT | __O_TMPFILE), 0)) {
		if (flags & ~FACTS_OPENAT2_FLAGS)
			return FACTS_LINK_ON_WAY;
		if ((flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE)
			used = mode & 07777;
	}
	return facts_openat2_no_symlinks(dirfd, path, flags, used);
}

#endif

/*
 * check.h — one call: gather its facts, ask the decision, write its line, say whether it may go.
 *
 * The hooks (hook_*.c) know the calls; check.c turns a call into facts (facts/facts.h), asks
 * policy/decide.h, the one decision procedure, and writes the line it calls for. Every function
 * here runs on the check path: no allocation, no locks, no stdio, errno preserved, safe in vfork
 * children and signal handlers.
 *
 * The checks return 0 when the call may go ahead, else the errno it must fail with — EACCES or
 * EPERM when the policy refuses it (its line is written), or the call's own error when it would
 * fail anyway (ENOENT: the program or file is not there; no line). In both cases the hook does
 * not make the call, so nothing created after the check can slip through.
 */
#ifndef FNSHIELD_CHECK_H
#define FNSHIELD_CHECK_H

#include "facts.h"
#include "policy.h"
#include "state.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Is the category left unrestricted right now? One bit of g_watch (state.h), which has every
 * bit set until the library is ready. */
static inline int check_unrestricted(enum fs_category c)
{
	return !((shim_watch() >> c) & 1);
}

/* Could a write by this path reach /proc/PID/mem, refused whatever the policy (check.c)? Any
 * spelling that names the file itself ends in "/mem" ("//proc/self/mem", "/tmp/../proc/1/mem");
 * a magic link under /proc ("/proc/self/fd/3") or one of /dev's links to them ("/dev/fd/3",
 * "/dev/stdout") reopens whatever a descriptor holds, a read-only one on mem included; and a
 * relative path may start in /proc (the working directory or dirfd). Those go to the checker,
 * which resolves them. A symbolic link of one's own to any of these is seen only when writes
 * are checked at all (README, Limitations). */
int check_may_write_proc_mem(const char *path);

/* The fast path of every hook that names a file: may a call in category c on path go to libc
 * without a check? Yes when c is unrestricted right now (one bit of g_watch) — unless it is a
 * write that could reach /proc/PID/mem. Before the library is ready every bit of g_watch is
 * set, so the answer is no and the slow path initialises. */
static inline int check_skippable(enum fs_category c, const char *path)
{
	if (!check_unrestricted(c))
		return 0;
	return c != FS_WRITE || !check_may_write_proc_mem(path);
}

/* exec of the program at path (absolute, or relative to dirfd), as given: a PATH search is the
 * hook's (fs_find_program). A program that does not exist, or cannot run, fails with the
 * kernel's errno and no line: CPython, the JDK and libuv try every PATH entry in turn. */
int check_exec(const char *call, int dirfd, const char *path, int follow, char *const argv[]);

/* exec of an open descriptor (fexecve, execveat with AT_EMPTY_PATH). */
int check_exec_fd(const char *call, int fd, char *const argv[]);

/* read/write of a path that libc itself will open (fopen, mkstemp, rename…). how: CHECK_CREATES
 * when the call may create the last component (then only a missing directory makes it fail by
 * itself), CHECK_OPENS_FOR_WRITE when it opens the file for writing (a directory fails). */
enum { CHECK_CREATES = 1, CHECK_OPENS_FOR_WRITE = 2 };
int check_file(const char *call, enum fs_category c, int dirfd, const char *path, int follow,
	       int how);

/* The open family: check and perform the open of path (relative to dirfd) with flags and mode;
 * c: open_category(flags), which the caller has asked already for its fast path
 * (check_skippable); call: the line's name for the call. open(2)'s own arguments come first, in
 * its order: the open hooks hand theirs on in the registers they arrived in. Returns the
 * descriptor, or -1 with errno (EACCES when refused; ENOENT/ENOTDIR, and no line, when the file
 * or directory is not there). An open that succeeds leaves errno as it was. */
int checked_open(const char *path, int flags, mode_t mode, int dirfd, enum fs_category c,
		 const char *call);

/* connect / sendto / listen / bind to an inet address (0 or EPERM). Other families pass.
 * fd: the socket of a connect, or -1. A connect that only collects the outcome of an earlier
 * non-blocking connect to the same address (the second call Ruby's Socket.tcp makes) is not
 * logged a second time in alert mode; a refusal refuses either way. */
int check_sockaddr(const char *call, enum fs_category c, int fd, const struct sockaddr *sa,
		   socklen_t len);

/* The network calls' own questions, for the libc hooks (hook_net.c) and syscall()
 * (hook_syscall.c) alike; call: the line's name for the call. Each is 0 or EPERM.
 *   check_message   a datagram's destination (sendmsg; none: nothing to judge)
 *   check_messages  sendmmsg's: how many of vec's first messages may go; *err for the first
 *                   that may not
 *   check_bind      a datagram socket bound to a port receives from then on (listen); a stream
 *                   socket's bind accepts nothing until check_listen
 *   check_listen    a stream socket's bound address as it starts listening (listen)
 * They leave errno as it was. */
struct msghdr;
struct mmsghdr;
int check_message(const char *call, const struct msghdr *msg);
unsigned check_messages(const char *call, const struct mmsghdr *vec, unsigned vlen, int *err);
int check_bind(const char *call, int fd, const struct sockaddr *addr, socklen_t len);
int check_listen(const char *call, int fd);

/* socket() of an inet domain that the backstop refuses outright: log it (connect category);
 * 0 or EPERM. */
int check_socket_refused(const char *call, int domain, int type);

/* Is this the Lambda Runtime API endpoint (always allowed, and watched by lambda.c)? */
int check_is_runtime_api(const struct sockaddr *sa, socklen_t len);

#endif

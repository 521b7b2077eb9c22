/*
 * check.c — the decision for one call (see check.h).
 */
#include "check.h"
#include "dnstable.h"
#include "logline.h"
#include "repeat.h"
#include "resolve.h"
#include "state.h"
#include "sys.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>

#ifndef O_PATH
#define O_PATH 010000000
#endif
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

/* What the mode makes of a verdict: in alert mode every block acts as alert (SPEC). */
static int effective(struct fs_verdict v)
{
	if (v.action == FS_BLOCK && g_shim.mode == FS_MODE_ALERT)
		return FS_ALERT;
	return v.action;
}

static struct fs_verdict match_path(enum fs_category c, const char *p, long len)
{
	return fs_match_path(shim_rules(c), p, (size_t)len);
}

/* /proc/PID/mem is never writable (fs_path_is_proc_mem): a write-open of it is blocked
 * whatever the rules say ("rule":"write.protected"). */
static struct fs_verdict protect_proc_mem(enum fs_category c, struct fs_verdict v,
					  const char *lex, const char *canon, long clen)
{
	if (c == FS_WRITE && (fs_path_is_proc_mem(lex) || (canon && clen > 0 && fs_path_is_proc_mem(canon))))
		return (struct fs_verdict){.action = FS_BLOCK, .list = FS_LIST_DEFAULT,
					   .index = FS_RULE_PROTECTED};
	return v;
}

/* The verdict for a path in both spellings: the stricter wins, so that a symlink neither
 * escapes a block rule on its target nor borrows an allow rule of its own name. */
static struct fs_verdict match_both(enum fs_category c, const char *lex, long llen,
				    const char *canon, long clen)
{
	struct fs_verdict v = match_path(c, lex, llen);
	if (clen > 0 && (clen != llen || memcmp(lex, canon, (size_t)llen)))
		v = fs_verdict_stricter(v, match_path(c, canon, clen));
	return protect_proc_mem(c, v, lex, canon, clen);
}

static int report(struct violation *ev)
{
	ev->action = effective(ev->verdict);
	if (ev->action == FS_ALLOW)
		return CHECK_PASS;
	repeat_log_violation(ev);
	return ev->action == FS_BLOCK ? CHECK_DENY : CHECK_PASS;
}

/* A path neither spelling of which can be computed (the working directory is deeper than
 * PATH_MAX, a directory descriptor that is no directory): no rule can be matched, so the call
 * is judged as the strictest rule of the category would judge it — an unknown path must not be
 * a way around a rule. The line's rule is CATEGORY.unresolved. */
static int report_unresolvable(const char *call, enum fs_category c, const char *path)
{
	struct violation ev = {
		.category = c,
		.call = call,
		.target = path,
		.verdict = {.action = FS_BLOCK, .list = FS_LIST_DEFAULT, .index = FS_RULE_UNRESOLVED},
	};
	return report(&ev);
}

/* ---- exec -------------------------------------------------------------------------------- */

/* CPython's subprocess and the JDK try execve on every PATH entry in turn and go on after
 * EACCES; on Debian and Amazon Linux /bin is /usr/bin, so one blocked spawn would log twice.
 * The last blocked exec of this thread is remembered with the pid that made it; a repeat from
 * the same process (the same vfork child) is blocked silently. The record is per thread and
 * holds no pointer, so a vfork child writing it (it shares its parent's memory) is harmless:
 * the parent's pid never matches it. */
static __thread __attribute__((tls_model("initial-exec"))) struct {
	int pid;
	uint64_t key;
} last_exec_block;

static uint64_t exec_key(const char *target, char *const argv[])
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = target; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (size_t i = 0; argv && argv[i] && i < 64; i++) {
		h = (h ^ 0xff) * 1099511628211ULL;
		for (const char *p = argv[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	}
	return h;
}

/* openat2(RESOLVE_NO_SYMLINKS) opens the file only if no symbolic link lies on the way, in
 * the same system call an open would cost: then the lexical path IS the file, and the common
 * case needs no extra system call to rule out a symlink. 0 once the kernel lacks it. */
static atomic_int openat2_usable = 1;

/* For a call that libc or the kernel will resolve itself (exec, fopen, mkstemp, rename…): is the
 * lexical path the file — no symbolic link on the way? One openat2(O_PATH, RESOLVE_NO_SYMLINKS)
 * and a close answer it, where the canonical spelling costs an open, a readlink of /proc and a
 * close (more when the file does not exist yet). ENOENT counts as yes: no link was met on the
 * part that exists, and the rest does not exist (mkstemp's template, a file to create), so the
 * lexical path is where the file would be. 0: a link, or no openat2: resolve the real path. */
static int reached_without_symlink(int dirfd, const char *path, int follow, int missing_ok)
{
	if (!atomic_load_explicit(&openat2_usable, memory_order_relaxed))
		return 0;
	struct sys_open_how how = {
		.flags = (uint64_t)(O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)),
		.resolve = SYS_RESOLVE_NO_SYMLINKS,
	};
	int fd = sys_openat2(dirfd, path, &how);
	if (fd >= 0) {
		sys_close(fd);
		return 1;
	}
	if (fd == -ENOSYS || fd == -EPERM)
		atomic_store(&openat2_usable, 0);
	return missing_ok && fd == -ENOENT;
}

/* Does s start with the literal lit? Compared byte by byte, so a shorter s stops at its NUL
 * and nothing past it is read. */
static inline int starts_with(const char *s, const char *lit)
{
	for (; *lit; s++, lit++)
		if (*s != *lit)
			return 0;
	return 1;
}

/* Out of line (check.h): only writes with writes unrestricted ask, and the open hooks' fast
 * path for reads then needs no stack frame. */
int check_may_write_proc_mem(const char *path)
{
	if (!path || path[0] != '/')
		return 1;
	switch (path[1]) { /* most paths are settled by their first letter */
	case 'p':
		if (starts_with(path + 2, "roc/"))
			return 1;
		break;
	case 'd':
		if (starts_with(path + 2, "ev/fd/") || starts_with(path + 2, "ev/std"))
			return 1;
		break;
	}
	size_t n = strlen(path);
	return n >= 4 && !memcmp(path + n - 4, "/mem", 4);
}

/* The real path of (dirfd, path) into canon, given its lexical one (llen < 0: unknown): the
 * lexical path itself when the probe finds no symbolic link on the way, else resolved. */
static long real_path(int dirfd, const char *path, int follow, int missing_ok, const char *lex,
		      long llen, char *canon, size_t cap)
{
	if (llen >= 0 && (size_t)llen < cap && reached_without_symlink(dirfd, path, follow, missing_ok)) {
		memcpy(canon, lex, (size_t)llen + 1);
		return llen;
	}
	return path_canonical(dirfd, path, follow, canon, cap);
}

static int decide_exec(struct violation *ev, const char *canon)
{
	ev->action = effective(ev->verdict);
	if (ev->action == FS_ALLOW)
		return CHECK_PASS;
	if (ev->action == FS_BLOCK) {
		int pid = sys_getpid();
		uint64_t key = exec_key(canon, ev->argv);
		if (last_exec_block.pid == pid && last_exec_block.key == key)
			return CHECK_DENY;
		last_exec_block.pid = pid;
		last_exec_block.key = key;
	}
	repeat_log_violation(ev);
	return ev->action == FS_BLOCK ? CHECK_DENY : CHECK_PASS;
}

int check_exec(const char *call, int dirfd, const char *path, int follow, char *const argv[])
{
	if (!path || check_unrestricted(FS_EXEC))
		return CHECK_PASS;
	char lex[FS_LEX_MAX], canon[FS_PATH_MAX];
	long llen = path_lexical(dirfd, path, lex, sizeof lex);
	long clen = real_path(dirfd, path, follow, 0, lex, llen, canon, sizeof canon);
	if (clen < 0)
		return CHECK_PASS; /* no such program: the exec fails on its own */
	if (g_shim.jspawnhelper[0] && !strcmp(canon, g_shim.jspawnhelper))
		return CHECK_PASS;
	if (llen < 0) {
		memcpy(lex, canon, (size_t)clen + 1);
		llen = clen;
	}
	struct violation ev = {
		.category = FS_EXEC,
		.call = call,
		.target = lex,
		.resolved = (clen != llen || memcmp(lex, canon, (size_t)llen)) ? canon : NULL,
		.argv = argv,
		.verdict = match_both(FS_EXEC, lex, llen, canon, clen),
	};
	return decide_exec(&ev, canon);
}

int check_exec_fd(const char *call, int fd, char *const argv[])
{
	if (check_unrestricted(FS_EXEC))
		return CHECK_PASS;
	char target[FS_PATH_MAX];
	long n = path_of_fd(fd, target, sizeof target);
	if (n < 0 && !target[0])
		return CHECK_PASS; /* not an open descriptor: the call fails on its own */
	/* A memfd or deleted file has no path: "/memfd:x (deleted)" matches no path rule, so the
	 * category's default decides — an allow list never lets an anonymous program run. */
	struct violation ev = {
		.category = FS_EXEC,
		.call = call,
		.target = target,
		.argv = argv,
		.verdict = match_path(FS_EXEC, target, (long)strlen(target)),
	};
	return decide_exec(&ev, target);
}

/* ---- files ------------------------------------------------------------------------------- */

int check_file(const char *call, enum fs_category c, int dirfd, const char *path, int follow)
{
	if (!path || (check_unrestricted(c) && !(c == FS_WRITE && check_may_write_proc_mem(path))))
		return CHECK_PASS;
	char lex[FS_LEX_MAX], canon[FS_PATH_MAX];
	long llen = path_lexical(dirfd, path, lex, sizeof lex);
	long clen = real_path(dirfd, path, follow, 1, lex, llen, canon, sizeof canon);
	if (llen < 0 && clen < 0)
		return report_unresolvable(call, c, path);
	if (llen < 0) {
		memcpy(lex, canon, (size_t)clen + 1);
		llen = clen;
	}
	struct violation ev = {
		.category = c,
		.call = call,
		.target = lex,
		.resolved = (clen > 0 && (clen != llen || memcmp(lex, canon, (size_t)llen))) ? canon : NULL,
		.verdict = match_both(c, lex, llen, canon, clen),
	};
	return report(&ev);
}


#define OPENAT2_FLAGS                                                                            \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |    \
	 O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC |    \
	 O_SYNC | O_PATH | O_TMPFILE)

static int finish_open(int r, int saved_errno)
{
	if (r < 0) {
		errno = -r;
		return -1;
	}
	errno = saved_errno;
	return r;
}

/* One open in progress: the call, and what its verdict and log line are made of. */
struct open_call {
	const char *call;
	int dirfd;
	const char *path;
	int flags;
	mode_t mode;
	int saved_errno;
	enum fs_category c;
};

static int refuse_open(void)
{
	errno = EACCES;
	return -1;
}

/* The line, built only when there is one to write: an allowed open, the common case, never
 * fills a struct violation. */
static int report_open(const struct open_call *o, const char *lex, const char *resolved,
		       struct fs_verdict v)
{
	if (effective(v) == FS_ALLOW)
		return CHECK_PASS;
	struct violation ev = {
		.category = o->c,
		.call = o->call,
		.target = lex,
		.resolved = resolved,
		.verdict = v,
	};
	return report(&ev);
}

/* A symbolic link on the way, no openat2, or no lexical path (lex NULL): decide on the real
 * path as well. Out of line: its buffer stays off the common path's stack frame. */
static __attribute__((noinline)) int open_resolved(const struct open_call *o, const char *lex,
						   long llen)
{
	char canon[FS_PATH_MAX];
	long clen = path_canonical(o->dirfd, o->path, !(o->flags & O_NOFOLLOW), canon, sizeof canon);
	if (llen < 0) {
		if (clen < 0) {
			if (report_unresolvable(o->call, o->c, o->path) == CHECK_DENY)
				return refuse_open();
			return finish_open(sys_openat(o->dirfd, o->path, o->flags, o->mode), o->saved_errno);
		}
		/* the real path is all there is to judge and to show */
		lex = canon;
		llen = clen;
	}
	struct fs_verdict v = match_both(o->c, lex, llen, canon, clen);
	int differs = clen > 0 && (clen != llen || memcmp(lex, canon, (size_t)llen));
	if (report_open(o, lex, differs ? canon : NULL, v) == CHECK_DENY)
		return refuse_open();
	return finish_open(sys_openat(o->dirfd, o->path, o->flags, o->mode), o->saved_errno);
}

/* Judged on its lexical path lex (the verdict v is on it): refused, or opened in one system
 * call when no symbolic link lies on the way, or handed to open_resolved. lex is also the
 * violation line's target. */
static int open_lexical(const struct open_call *o, const char *lex, long llen, struct fs_verdict v)
{
	v = protect_proc_mem(o->c, v, lex, NULL, -1);
	if (effective(v) == FS_BLOCK) {
		report_open(o, lex, NULL, v);
		return refuse_open();
	}
	int flags = o->flags;
	int needs_mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	if (atomic_load_explicit(&openat2_usable, memory_order_relaxed) && !(flags & ~OPENAT2_FLAGS)) {
		struct sys_open_how how = {
			.flags = (uint64_t)(unsigned)flags,
			.mode = needs_mode ? (o->mode & 07777) : 0,
			.resolve = SYS_RESOLVE_NO_SYMLINKS,
		};
		int fd = sys_openat2(o->dirfd, o->path, &how);
		if (fd == -ENOSYS || fd == -EPERM)
			atomic_store(&openat2_usable, 0);
		else if (fd != -ELOOP && fd != -EINVAL && fd != -EXDEV && fd != -E2BIG && fd != -EAGAIN) {
			/* No symlink on the way (or an error a plain open would give too). */
			report_open(o, lex, NULL, v);
			return finish_open(fd, o->saved_errno);
		}
	}
	return open_resolved(o, lex, llen);
}

/* The path as spelled is not normal, or not absolute: normalised into a buffer of its own,
 * out of line for the same reason as open_resolved. */
static __attribute__((noinline)) int open_abnormal(const struct open_call *o)
{
	char lex[FS_LEX_MAX];
	long llen = path_lexical(o->dirfd, o->path, lex, sizeof lex);
	if (llen < 0)
		return open_resolved(o, NULL, -1);
	return open_lexical(o, lex, llen, match_path(o->c, lex, llen));
}

int checked_open(const char *call, int dirfd, const char *path, int flags, mode_t mode)
{
	int saved_errno = errno;
	enum fs_category c = open_category(flags);
	if (!path)
		return finish_open(sys_openat(dirfd, path, flags, mode), saved_errno);
	struct open_call o = {call, dirfd, path, flags, mode, saved_errno, c};
	/* Most programs spell the path they open the way the rules are written: it is judged in
	 * one pass over their own string, which is then also the line's target — no copy. */
	struct fs_verdict v;
	long n = fs_match_normal_path(shim_rules(c), path, FS_LEX_MAX, &v);
	if (n >= 0)
		return open_lexical(&o, path, n, v);
	return open_abnormal(&o);
}

/* ---- network ----------------------------------------------------------------------------- */

/* The address as 16 bytes (IPv4 as IPv4-mapped IPv6) and a port; 0 if not inet. */
static int inet_of(const struct sockaddr *sa, socklen_t len, uint8_t ip[16], uint16_t *port)
{
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return 0;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &in->sin_addr, 4);
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

static void append_port(char *out, size_t cap, const char *host, int bracket, unsigned port)
{
	size_t n = 0, hl = strlen(host);
	if (hl + 10 > cap)
		hl = cap - 10;
	if (bracket)
		out[n++] = '[';
	memcpy(out + n, host, hl);
	n += hl;
	if (bracket)
		out[n++] = ']';
	out[n++] = ':';
	char d[6];
	int k = 0;
	do {
		d[k++] = (char)('0' + port % 10);
		port /= 10;
	} while (port);
	while (k)
		out[n++] = d[--k];
	out[n] = 0;
}

static int is_runtime_api(const uint8_t ip[16], uint16_t port)
{
	return g_shim.have_runtime_api && port == g_shim.runtime_api_port &&
	       !memcmp(ip, g_shim.runtime_api_ip, 16);
}

int check_is_runtime_api(const struct sockaddr *sa, socklen_t len)
{
	uint8_t ip[16];
	uint16_t port;
	return g_shim.have_runtime_api && inet_of(sa, len, ip, &port) && is_runtime_api(ip, port);
}

int check_sockaddr(const char *call, enum fs_category c, const struct sockaddr *sa,
		   socklen_t len)
{
	uint8_t ip[16];
	uint16_t port;
	if (check_unrestricted(c) || !inet_of(sa, len, ip, &port))
		return CHECK_PASS;
	if (c == FS_CONNECT && is_runtime_api(ip, port))
		return CHECK_PASS;

	/* The names this process resolved to the address: for name rules, and for the line. Without
	 * name rules they are looked up only when there is a line to write. */
	const struct fs_rules *rules = shim_rules(c);
	char names[DNS_LOOKUP_MAX][DNS_NAME_MAX];
	const char *name_ptrs[DNS_LOOKUP_MAX] = {0};
	int by_name = c == FS_CONNECT && fs_rules_have_names(rules);
	int nnames = by_name ? dns_lookup(ip, names) : 0;
	for (int i = 0; i < nnames; i++)
		name_ptrs[i] = names[i];

	struct violation ev = {.category = c, .call = call, .port = port};
	ev.verdict = fs_match_addr(rules, ip, port, name_ptrs, nnames);
	if (effective(ev.verdict) == FS_ALLOW)
		return CHECK_PASS;
	if (c == FS_CONNECT && !by_name)
		nnames = dns_lookup(ip, names);

	char iptext[INET6_ADDRSTRLEN], target[DNS_NAME_MAX + 16];
	fs_ip_text(ip, iptext, sizeof iptext);
	if (nnames) {
		ev.host = names[0];
		append_port(target, sizeof target, names[0], 0, port);
	} else {
		append_port(target, sizeof target, iptext, !fs_ip_is_v4(ip), port);
	}
	ev.ip = iptext;
	ev.target = target;
	return report(&ev);
}

int check_socket_refused(const char *call, int domain, int type)
{
	/* No destination yet: the line names the kind of socket that was refused. */
	int stream = (type & 0xf) == SOCK_STREAM;
	const char *target = domain == AF_INET6 ? (stream ? "inet6 stream socket" : "inet6 datagram socket")
						: (stream ? "inet stream socket" : "inet datagram socket");
	struct violation ev = {
		.category = FS_CONNECT,
		.call = call,
		.target = target,
		.verdict = fs_match_addr(shim_rules(FS_CONNECT), (const uint8_t[16]){0}, 0, NULL, 0),
	};
	return report(&ev);
}

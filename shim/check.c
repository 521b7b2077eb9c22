/*
 * check.c — one call: gather its facts (facts/), ask the decision (policy/decide.h), write the
 * line it calls for, say whether the call may go ahead (see check.h).
 */
#include "check.h"
#include "decide.h"
#include "dnstable.h"
#include "facts.h"
#include "logline.h"
#include "repeat.h"
#include "state.h"
#include "sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

static int in_init(void)
{
	return atomic_load_explicit(&g_phase, memory_order_relaxed) == PHASE_INIT;
}

static struct fs_decision decide_path(enum fs_category c, const struct fs_path_facts *pf)
{
	return fs_decide_path(g_shim.policy, c, in_init(), pf);
}

/* The line, when the decision calls for one, and the errno the call gets (0: it goes ahead). */
static int report(const struct fs_decision *d, struct violation *ev)
{
	if (d->logged) {
		ev->verdict = d->verdict;
		ev->action = d->action;
		repeat_log_violation(ev);
	}
	return d->err;
}

/* The line's target and resolved fields from a path's facts: the real path is shown when it
 * differs from the path as written, and stands in for it when that is unknown. */
static void path_fields(struct violation *ev, const struct fs_path_facts *pf, const char *as_given)
{
	ev->target = pf->lexical ? pf->lexical : pf->real ? pf->real : as_given;
	if (fs_spellings_differ(pf))
		ev->resolved = pf->real;
}

/* ---- exec -------------------------------------------------------------------------------- */

/* CPython's subprocess, libuv and the JDK try every PATH entry in turn and go on after EACCES;
 * on Debian and Amazon Linux /bin is /usr/bin, so one blocked spawn would log twice. The
 * candidates of one search are the same program, name and arguments in different directories
 * (/usr/bin/sh, /bin/sh); a new search, or the same call made again, starts again
 * from its first spelling. So a refused exec is logged unless the previous refusal of this
 * thread, in this process, was of the same program and arguments under another spelling than
 * the one the run of such refusals began with. (Two spellings of one program under the same name
 * with the same arguments, one right after the other, are taken for one search.) Runtimes that spawn from the parent
 * (posix_spawn: CPython 3.13, libuv 1.53) get a line for every spawn, as forked children do.
 * The record is per thread and holds no pointer, so a vfork child writing it (it shares its
 * parent's memory) is harmless: the parent's pid never matches it. */
static __thread __attribute__((tls_model("initial-exec"))) struct {
	int pid;
	uint64_t key;           /* the real program, the name it was called by, the arguments */
	uint64_t first_spelling; /* the path as written that began this run of refusals */
} last_exec_block;

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static uint64_t exec_key(const char *program, const char *spelling, char *const argv[])
{
	const char *name = strrchr(spelling, '/');
	uint64_t h = fnv1a(fnv1a(1469598103934665603ULL, program), name ? name : spelling);
	for (size_t i = 0; argv && argv[i] && i < 64; i++)
		h = fnv1a((h ^ 0xff) * 1099511628211ULL, argv[i]);
	return h;
}

/* Is this refusal a further candidate of the search whose first refusal was logged? */
static int next_candidate_of_search(const char *program, const char *spelling, char *const argv[])
{
	int pid = sys_getpid();
	uint64_t key = exec_key(program, spelling, argv), written = fnv1a(1469598103934665603ULL, spelling);
	if (last_exec_block.pid == pid && last_exec_block.key == key &&
	    last_exec_block.first_spelling != written)
		return 1;
	last_exec_block.pid = pid;
	last_exec_block.key = key;
	last_exec_block.first_spelling = written;
	return 0;
}

static int report_exec(const struct fs_decision *d, struct violation *ev, const char *program,
		       const char *spelling)
{
	if (d->outcome == FS_REFUSED && next_candidate_of_search(program, spelling, ev->argv))
		return d->err;
	return report(d, ev);
}

int check_exec(const char *call, int dirfd, const char *path, int follow, char *const argv[])
{
	if (!path || check_unrestricted(FS_EXEC))
		return 0;
	struct facts_paths b;
	struct fs_path_facts pf;
	facts_of_path(dirfd, path, follow, FACTS_EXEC, &b, &pf);
	/* The JDK's spawn helper is a trampoline: the program it starts is checked inside it. */
	if (pf.real && g_shim.jspawnhelper && !strcmp(pf.real, g_shim.jspawnhelper))
		return 0;
	struct fs_decision d = decide_path(FS_EXEC, &pf);
	struct violation ev = {.category = FS_EXEC, .call = call, .argv = argv};
	path_fields(&ev, &pf, path);
	return report_exec(&d, &ev, pf.real ? pf.real : ev.target, path);
}

int check_exec_fd(const char *call, int fd, char *const argv[])
{
	if (check_unrestricted(FS_EXEC))
		return 0;
	struct facts_paths b;
	struct fs_path_facts pf;
	facts_of_fd(fd, &b, &pf);
	struct fs_decision d = decide_path(FS_EXEC, &pf);
	struct violation ev = {.category = FS_EXEC, .call = call, .argv = argv};
	path_fields(&ev, &pf, "");
	return report_exec(&d, &ev, ev.target, ev.target);
}

/* ---- files ------------------------------------------------------------------------------- */

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

int check_file(const char *call, enum fs_category c, int dirfd, const char *path, int follow,
	       int how)
{
	if (!path || (check_unrestricted(c) && !(c == FS_WRITE && check_may_write_proc_mem(path))))
		return 0;
	enum facts_intent intent = how & CHECK_CREATES ? FACTS_CREATE : FACTS_EXISTING;
	struct facts_paths b;
	struct fs_path_facts pf;
	facts_of_path(dirfd, path, follow, intent, &b, &pf);
	struct fs_decision d = decide_path(c, &pf);
	if (d.logged) { /* a line is due: first be sure the call would not fail by itself */
		facts_confirm_fails(dirfd, path, follow, intent, !!(how & CHECK_OPENS_FOR_WRITE), &b, &pf);
		d = decide_path(c, &pf);
	}
	struct violation ev = {.category = c, .call = call};
	path_fields(&ev, &pf, path);
	return report(&d, &ev);
}

/* What an open returns: the descriptor, or -1 with the kernel's errno. Every system call on the
 * way is a raw one (sys.h), so an open that succeeds leaves errno as the caller had it, as
 * libc's would; only a failure sets it. */
static inline int finish_open(int r)
{
	if (__builtin_expect(r < 0, 0)) {
		errno = -r;
		return -1;
	}
	return r;
}

/* One open in progress, on the ways off the common path. */
struct open_call {
	const char *call;
	enum fs_category c;
	int dirfd;
	const char *path;
	int flags;
	mode_t mode;
};

/* The line of an open that went ahead (fd: what it returned) and whose decision calls for one,
 * unless the open failed by itself. Writing the line may touch errno; the caller gets it as the
 * open left it. */
static void open_line(const struct open_call *o, const struct fs_decision *d,
		      const struct fs_path_facts *pf, int fd)
{
	if (fd < 0 && fs_open_failed_by_itself(-fd))
		return;
	int saved = errno;
	struct violation ev = {.category = o->c, .call = o->call};
	path_fields(&ev, pf, o->path);
	report(d, &ev);
	errno = saved;
}

/* Everything known: both spellings and whether the file is there. Out of line: its buffers
 * stay off the common path's stack frame. */
static __attribute__((noinline)) int open_with_facts(const char *call, enum fs_category c,
						      int dirfd, const char *path, int flags,
						      mode_t mode)
{
	struct open_call o = {call, c, dirfd, path, flags, mode};
	enum facts_intent intent = (o.flags & (O_CREAT | __O_TMPFILE)) ? FACTS_CREATE : FACTS_EXISTING;
	struct facts_paths b;
	struct fs_path_facts pf;
	int follow = !(o.flags & O_NOFOLLOW);
	facts_of_path(o.dirfd, o.path, follow, intent, &b, &pf);
	struct fs_decision d = decide_path(o.c, &pf);
	if (d.outcome == FS_REFUSED) {
		facts_confirm_fails(o.dirfd, o.path, follow, intent,
				    o.c == FS_WRITE && (o.flags & __O_TMPFILE) != __O_TMPFILE, &b, &pf);
		d = decide_path(o.c, &pf);
	}
	if (d.outcome != FS_PROCEEDS) {
		struct violation ev = {.category = o.c, .call = o.call};
		path_fields(&ev, &pf, o.path);
		errno = report(&d, &ev);
		return -1;
	}
	int fd = sys_openat(o.dirfd, o.path, o.flags, o.mode);
	if (d.logged)
		open_line(&o, &d, &pf, fd);
	return finish_open(fd);
}

/* The facts of a path as spelled, normal and absolute (lex, with its verdict v from the
 * matcher's pass), taken to be the file: no link on the way. */
#define LEXICAL_FACTS(lex, llen, v)                                                               \
	{.lexical = (lex), .lexical_len = (llen), .real = (lex), .real_len = (llen),             \
	 .lexical_verdict = (v)}

/* An open_lexical that goes ahead with a line due (an alert): opened as there, then the line.
 * Out of line and cold: the decision is asked again here (pure, and nothing next to writing a
 * line), so that the common path keeps only the two answers it branches on. */
static __attribute__((noinline, cold)) int open_lexical_logged(const struct open_call *o,
							       const struct fs_rules *r,
							       const char *lex, long llen,
							       const struct fs_verdict *v)
{
	int fd = facts_open_if_no_symlink(o->dirfd, o->path, o->flags, o->mode);
	if (fd == FACTS_LINK_ON_WAY)
		return open_with_facts(o->call, o->c, o->dirfd, o->path, o->flags, o->mode);
	struct fs_path_facts pf = LEXICAL_FACTS(lex, llen, v);
	struct fs_decision d = fs_decide_path_in(r, g_shim.mode, o->c, &pf);
	open_line(o, &d, &pf, fd);
	return finish_open(fd);
}

/* The path as spelled is normal and absolute (lex, with its verdict v from the matcher's pass
 * under the rules r): decided as if no link lay on the way, then opened in one system call that
 * succeeds only if none does. A refusal, or a link on the way, takes the long way with every
 * fact. Always inline: it is the common case, and the call's arguments stay in registers (the
 * ways off it take them one by one, and build what they need themselves). */
static inline __attribute__((always_inline)) int
open_lexical(const char *call, enum fs_category c, int dirfd, const char *path, int flags,
	     mode_t mode, const struct fs_rules *r, const char *lex, long llen,
	     const struct fs_verdict *v)
{
	struct fs_path_facts pf = LEXICAL_FACTS(lex, llen, v);
	struct fs_decision d = fs_decide_path_in(r, g_shim.mode, c, &pf);
	if (__builtin_expect(d.outcome != FS_PROCEEDS, 0))
		return open_with_facts(call, c, dirfd, path, flags, mode);
	if (__builtin_expect(d.logged, 0)) {
		struct open_call o = {call, c, dirfd, path, flags, mode};
		return open_lexical_logged(&o, r, lex, llen, v);
	}
	int fd = facts_open_if_no_symlink(dirfd, path, flags, mode);
	if (__builtin_expect(fd == FACTS_LINK_ON_WAY, 0))
		return open_with_facts(call, c, dirfd, path, flags, mode);
	return finish_open(fd);
}

/* The path as spelled is not normal, or not absolute: normalised into a buffer of its own
 * (out of line, for the same reason as open_with_facts), then as open_lexical. */
static __attribute__((noinline)) int open_abnormal(const char *call, enum fs_category c, int dirfd,
						   const char *path, int flags, mode_t mode)
{
	if (!path) /* nothing to judge: the kernel says what is wrong (EFAULT) */
		return finish_open(sys_openat(dirfd, path, flags, mode));
	const struct fs_rules *r = shim_rules(c);
	char lex[FS_LEX_MAX];
	long llen = path_lexical(dirfd, path, lex, sizeof lex);
	if (llen < 0)
		return open_with_facts(call, c, dirfd, path, flags, mode);
	struct fs_verdict v = fs_match_path(r, lex, (size_t)llen);
	return open_lexical(call, c, dirfd, path, flags, mode, r, lex, llen, &v);
}

int checked_open(const char *path, int flags, mode_t mode, int dirfd, enum fs_category c,
		 const char *call)
{
	const struct fs_rules *r = shim_rules(c); /* in the phase the call began in */
	/* Most programs spell the path they open the way the rules are written: it is judged in
	 * one pass over their own string, which is then also the line's target — no copy. A NULL
	 * path is not normal: open_abnormal hands it to the kernel. */
	struct fs_verdict v;
	long n = fs_match_normal_path(r, path, FS_LEX_MAX, &v);
	if (__builtin_expect(n < 0, 0))
		return open_abnormal(call, c, dirfd, path, flags, mode);
	return open_lexical(call, c, dirfd, path, flags, mode, r, path, n, &v);
}

/* ---- network ----------------------------------------------------------------------------- */

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
	return g_shim.have_runtime_api && facts_of_sockaddr(sa, len, ip, &port) && is_runtime_api(ip, port);
}

/* The line of a connect, sendto or listen the decision logs, and the errno the call gets.
 * Out of line, off the path of the calls that go ahead unlogged; the decision is passed by
 * value, so that it is built only on this path. A connect that goes on with an alert line is
 * asked whether it only repeats one already made to that address (facts_tcp_peer_is): then
 * the first wrote the line. Only such calls pay. */
static __attribute__((noinline, cold)) int addr_line(const char *call, enum fs_category c, int fd,
						     const struct fs_addr_facts *a, struct fs_decision d,
						     char names[DNS_LOOKUP_MAX][DNS_NAME_MAX], int nnames)
{
	if (!d.err && fd >= 0 && facts_tcp_peer_is(fd, a->ip, a->port))
		return 0;
	int saved = errno; /* the hooks count on a check leaving it as it was (check.h) */
	if (c == FS_CONNECT && !a->names)
		nnames = dns_lookup(a->ip, names);
	char iptext[INET6_ADDRSTRLEN], target[DNS_NAME_MAX + 16];
	fs_ip_text(a->ip, iptext, sizeof iptext);
	struct violation ev = {.category = c, .call = call, .port = a->port, .ip = iptext,
			       .target = target};
	if (nnames) {
		ev.host = names[0];
		append_port(target, sizeof target, names[0], 0, a->port);
	} else {
		append_port(target, sizeof target, iptext, !fs_ip_is_v4(a->ip), a->port);
	}
	int err = report(&d, &ev);
	errno = saved;
	return err;
}

int check_sockaddr(const char *call, enum fs_category c, int fd, const struct sockaddr *sa,
		   socklen_t len)
{
	struct fs_addr_facts a;
	if (check_unrestricted(c) || !facts_of_sockaddr(sa, len, a.ip, &a.port))
		return 0;
	a.runtime_api = c == FS_CONNECT && is_runtime_api(a.ip, a.port);

	/* The names this process resolved to the address: for name rules (a.names set, even when
	 * none was found), and for the line. Without name rules, or without a name resolved at
	 * all, they are looked up only when there is a line to write. */
	const struct fs_rules *r = shim_rules(c);
	char names[DNS_LOOKUP_MAX][DNS_NAME_MAX];
	const char *name_ptrs[DNS_LOOKUP_MAX];
	a.names = NULL;
	a.nnames = 0;
	if (c == FS_CONNECT && dns_recorded() && fs_rules_have_names(r)) {
		a.nnames = dns_lookup(a.ip, names);
		for (int i = 0; i < a.nnames; i++)
			name_ptrs[i] = names[i];
		a.names = name_ptrs;
	}

	struct fs_decision d = fs_decide_addr_in(r, g_shim.mode, c, &a);
	if (__builtin_expect(!d.logged, 1)) /* it goes ahead, nothing to say: the common case */
		return d.err;
	return addr_line(call, c, fd, &a, d, names, a.nnames);
}

int check_message(const char *call, const struct msghdr *msg)
{
	return msg ? check_sockaddr(call, FS_CONNECT, -1, msg->msg_name, msg->msg_namelen) : 0;
}

unsigned check_messages(const char *call, const struct mmsghdr *vec, unsigned vlen, int *err)
{
	enum { UIO_MAXIOV = 1024 }; /* the kernel sends no more in one call */
	unsigned ok = 0, n = vlen < UIO_MAXIOV ? vlen : UIO_MAXIOV;
	*err = 0;
	while (vec && ok < n && !(*err = check_message(call, &vec[ok].msg_hdr)))
		ok++;
	return ok;
}

static int port_of(const struct sockaddr *sa, socklen_t len)
{
	uint8_t ip[16];
	uint16_t port = 0;
	return facts_of_sockaddr(sa, len, ip, &port) ? port : 0;
}

static int socket_type(int fd)
{
	int type = 0;
	socklen_t len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -1;
	return type;
}

int check_bind(const char *call, int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!addr || check_unrestricted(FS_LISTEN) || !port_of(addr, len))
		return 0;
	int saved = errno, type = socket_type(fd); /* the call's errno is the caller's business */
	errno = saved;
	return type == SOCK_DGRAM ? check_sockaddr(call, FS_LISTEN, -1, addr, len) : 0;
}

int check_listen(const char *call, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (check_unrestricted(FS_LISTEN))
		return 0;
	int saved = errno, got = getsockname(fd, (struct sockaddr *)&ss, &len);
	errno = saved;
	if (got < 0)
		return 0; /* no address to judge: the kernel says what is wrong with the socket */
	return check_sockaddr(call, FS_LISTEN, -1, (struct sockaddr *)&ss, len);
}

int check_socket_refused(const char *call, int domain, int type)
{
	/* No destination yet: the line names the kind of socket that was refused. The backstop
	 * refuses such a socket only when the connect category refuses every address. */
	int stream = (type & 0xf) == SOCK_STREAM;
	const char *target = domain == AF_INET6 ? (stream ? "inet6 stream socket" : "inet6 datagram socket")
						: (stream ? "inet stream socket" : "inet datagram socket");
	struct fs_call_facts f = {.category = FS_CONNECT, .in_init = in_init()};
	struct fs_decision d = fs_decide(g_shim.policy, &f);
	struct violation ev = {.category = FS_CONNECT, .call = call, .target = target};
	return report(&d, &ev);
}

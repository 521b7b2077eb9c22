/*
 * supervisor.c — start the supervisor and send it the calls libc does not make (see
 * supervisor.h).
 *
 * The filter is written here as BPF by hand: it compares the instruction pointer with ranges
 * known only at load (where this process's C library was mapped), which libseccomp cannot
 * express (it compares arguments). It is small: the architecture, the system call number (and
 * for sendto, whether it names a destination), then six instructions per range of executable
 * text.
 */
#include "supervisor.h"

#include "logline.h"
#include "state.h"
#include "sys.h"

#include <errno.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* What the library's hooks check: the opens, the execs, and the network calls (connect and
 * datagrams to an address: the connect category; bind and listen: the listen category). sendto
 * is sent only with a destination (below): on a connected socket it is a plain write. */
#define NET_SENT SYS_connect, SYS_sendmsg, SYS_sendmmsg, SYS_bind, SYS_listen
#if defined(__x86_64__)
#define FILTER_ARCH AUDIT_ARCH_X86_64
static const int SENT[] = {SYS_open,   SYS_openat,   SYS_openat2, SYS_creat,
			  SYS_execve, SYS_execveat, NET_SENT};
#elif defined(__aarch64__)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
static const int SENT[] = {SYS_openat, SYS_openat2, SYS_execve, SYS_execveat, NET_SENT};
#endif
#define NSENT (int)(sizeof SENT / sizeof *SENT)

/* ---- where the C library's system calls come from ------------------------------------------ */

#define MAX_RANGES 24
struct text_range {
	uint64_t lo, hi; /* [lo, hi) */
};
struct ranges {
	struct text_range r[MAX_RANGES];
	int n;
	int overflow;
};

/* glibc's objects (each may make system calls itself: the loader opens libraries, libpthread
 * had its own open and connect before 2.34) and this library. */
static int is_trusted_object(const struct dl_phdr_info *info)
{
	static const char *const GLIBC[] = {"libc.so.6", "ld-linux", "libpthread.so.0", "libdl.so.2",
					    "librt.so.1"};
	const char *base = strrchr(info->dlpi_name, '/');
	base = base ? base + 1 : info->dlpi_name;
	for (size_t i = 0; i < sizeof GLIBC / sizeof *GLIBC; i++)
		if (!strncmp(base, GLIBC[i], strlen(GLIBC[i])))
			return 1;
	uintptr_t self = (uintptr_t)&supervisor_start;
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && self >= lo && self < lo + ph->p_memsz)
			return 1;
	}
	return 0;
}

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct ranges *rs = arg;
	if (!info->dlpi_name[0] && info->dlpi_addr == 0)
		return 0; /* the main program: its own code is what may not go unchecked */
	if (!is_trusted_object(info))
		return 0;
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (rs->n == MAX_RANGES) {
			rs->overflow = 1;
			return 1;
		}
		rs->r[rs->n].lo = info->dlpi_addr + ph->p_vaddr;
		rs->r[rs->n].hi = rs->r[rs->n].lo + ph->p_memsz;
		rs->n++;
	}
	return 0;
}

/* ---- the filter ----------------------------------------------------------------------------- */

#define MAX_INSNS (16 + NSENT + 6 * 2 * MAX_RANGES)
#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)

struct prog {
	struct sock_filter f[MAX_INSNS];
	int n;
};

static void emit(struct prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	p->f[p->n++] = (struct sock_filter){code, jt, jf, k};
}

/* [lo, hi) within one 4 GB window: allow when the pointer is inside. */
static void emit_window(struct prog *p, uint64_t lo, uint64_t hi)
{
	uint32_t top = (uint32_t)(lo >> 32);
	uint64_t end = hi - ((uint64_t)top << 32); /* up to 1 << 32 */
	emit(p, BPF_LD | BPF_W | BPF_ABS, IP_HI, 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, top, 0, 4);
	emit(p, BPF_LD | BPF_W | BPF_ABS, IP_LO, 0, 0);
	emit(p, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 0, 2);
	if (end > UINT32_MAX) /* to the window's end: nothing above to compare with */
		emit(p, BPF_JMP | BPF_JA, 0, 0, 0);
	else
		emit(p, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)end, 1, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
}

static void build(struct prog *p, const struct ranges *rs)
{
	p->n = 0;
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0); /* another ABI: the backstop's */
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
	/* The sent calls jump to the ranges (their offsets set below, once the ranges' start is
	 * known); sendto to the test of its destination; the rest are allowed. */
	struct jump {
		int at, on_false; /* the jump instruction; which of its branches goes there */
	} to_ranges[NSENT + 2];
	int njumps = 0;
	for (int i = 0; i < NSENT; i++) {
		to_ranges[njumps++] = (struct jump){p->n, 0};
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)SENT[i], 0, 0);
	}
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, SYS_sendto, 1, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	/* sendto(fd, buf, len, flags, dest_addr, addrlen): a NULL dest_addr (both halves zero) is
	 * a plain write, let through; any other goes on to the ranges. */
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4]), 0, 0);
	to_ranges[njumps++] = (struct jump){p->n, 1};
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4]) + 4, 0, 0);
	to_ranges[njumps++] = (struct jump){p->n, 1};
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	/* the ranges start here: a jump's offset counts from the instruction after it */
	for (int j = 0; j < njumps; j++) {
		uint8_t off = (uint8_t)(p->n - to_ranges[j].at - 1);
		if (to_ranges[j].on_false)
			p->f[to_ranges[j].at].jf = off;
		else
			p->f[to_ranges[j].at].jt = off;
	}
	for (int i = 0; i < rs->n; i++)
		for (uint64_t lo = rs->r[i].lo; lo < rs->r[i].hi;) {
			uint64_t window_end = (lo | 0xffffffffull) + 1;
			uint64_t hi = rs->r[i].hi < window_end ? rs->r[i].hi : window_end;
			emit_window(p, lo, hi);
			lo = hi;
		}
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF, 0, 0);
}

/* ---- starting it ---------------------------------------------------------------------------- */

/* The supervisor beside the library: build/fnshield, or the layer's fnshield/bin/fnshield. */
static int find_program(const char *lib_path, char *out, size_t cap)
{
	const char *slash = strrchr(lib_path, '/');
	size_t dir = slash ? (size_t)(slash - lib_path) : 0;
	static const char *const TRY[] = {"/fnshield", "/../bin/fnshield"};
	for (size_t i = 0; i < sizeof TRY / sizeof *TRY; i++) {
		if (dir + strlen(TRY[i]) + 1 > cap)
			return -1;
		memcpy(out, lib_path, dir);
		memcpy(out + dir, TRY[i], strlen(TRY[i]) + 1);
		if (SYS6(SYS_faccessat, AT_FDCWD, out, X_OK, 0, 0, 0) == 0)
			return 0;
	}
	return -1;
}

/* A grandchild runs the supervisor, so that it is nobody's child here (the runtime reaps its
 * own children, and a shell's `wait` would wait for it; it never learns of this one) and
 * outlives whichever process exits first.
 *
 * Both are vfork-style clones (CLONE_VM | CLONE_VFORK, as glibc's posix_spawn): no copy of this
 * process's page tables to make, and none to tear down at the exec — a fork and its exec cost
 * the runtime more than a millisecond here. Each runs on a stack of its own, while the process
 * that made it waits; between the clone and the exec, raw system calls only (the memory, errno
 * included, is this process's). Every signal stays blocked from before the first clone to the
 * exec: no handler can run on the borrowed memory; `fnshield supervise` unblocks them. */
struct spawn_args {
	const char *program;
	int sock;
	char **env;
};
static char spawn_stacks[2][16384] __attribute__((aligned(16)));

static int exec_supervisor(void *arg)
{
	const struct spawn_args *a = arg;
	char *argv[] = {"fnshield", "supervise", NULL};
	long r = a->sock == SUPERVISOR_SOCKET_FD ? SYS6(SYS_fcntl, a->sock, F_SETFD, 0, 0, 0, 0)
						 : SYS6(SYS_dup3, a->sock, SUPERVISOR_SOCKET_FD, 0, 0, 0, 0);
	if (r >= 0)
		SYS6(SYS_execve, a->program, argv, a->env, 0, 0, 0);
	return 127;
}

/* Here glibc's clone() is called on the borrowed memory: it touches nothing but errno, on a
 * failure, which spawn() restores. A grandchild that could not be made is heard at once: the
 * socket hangs up, and there is no hello. */
static int start_grandchild(void *arg)
{
	/* SIGCHLD: the exit signal that lets init (or a subreaper) reap it as any other child */
	clone(exec_supervisor, spawn_stacks[1] + sizeof spawn_stacks[1], CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
	return 0;
}

static int spawn(const char *program, int sock)
{
	/* Its environment: this one (the policy's variables) without LD_PRELOAD: whatever runs
	 * there must not load this library and start a supervisor of its own. */
	extern char **environ;
	static char *env[1024];
	size_t n = 0;
	for (char **e = environ; e && *e && n < sizeof env / sizeof *env - 1; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11))
			env[n++] = *e;
	env[n] = NULL;
	struct spawn_args args = {program, sock, env};
	int saved_errno = errno;
	uint64_t all = ~0ull, old;
	SYS6(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all, 0, 0);
	int pid = clone(start_grandchild, spawn_stacks[0] + sizeof spawn_stacks[0],
			CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
	SYS6(SYS_rt_sigprocmask, SIG_SETMASK, &old, 0, sizeof old, 0, 0);
	errno = saved_errno;
	if (pid < 0)
		return -1;
	int st;
	SYS6(SYS_wait4, pid, &st, 0, 0, 0, 0);
	return 0;
}

/* The supervisor's first words, within two seconds (it is a static program just exec'd): 1 for
 * its hello, -1 when it says it cannot do its work (supervision.h), 0 for anything else. */
static int hears_hello(int sock)
{
	struct pollfd p = {sock, POLLIN, 0};
	struct timespec two_seconds = {2, 0};
	char buf[SUPERVISOR_WORDS_MAX];
	long r;
	do
		r = SYS6(SYS_ppoll, &p, 1, &two_seconds, 0, 0, 0);
	while (r == -EINTR);
	if (r != 1)
		return 0;
	r = SYS6(SYS_recvfrom, sock, buf, sizeof buf, MSG_DONTWAIT, 0, 0);
	if (r == (long)sizeof SUPERVISOR_HELLO && !memcmp(buf, SUPERVISOR_HELLO, sizeof SUPERVISOR_HELLO))
		return 1;
	if (r == (long)sizeof SUPERVISOR_NO_ACCESS &&
	    !memcmp(buf, SUPERVISOR_NO_ACCESS, sizeof SUPERVISOR_NO_ACCESS))
		return -1;
	return 0;
}

/* The listener and, when there is one, the phase page (supervision.h). */
static int send_fds(int sock, int listener, int phase_fd)
{
	struct supervision_msg s;
	int fds[2] = {listener, phase_fd};
	struct msghdr *m = supervision_msg(&s, fds, phase_fd >= 0 ? 2 : 1);
	return SYS6(SYS_sendmsg, sock, m, MSG_NOSIGNAL, 0, 0, 0) == 1 ? 0 : -1;
}

/* The phase the supervisor reads (supervision.h): a page shared with it, NULL without one. */
static _Atomic int *phase_page SHIM_LOAD_STATE;

static int make_phase_page(void)
{
	int fd = (int)SYS6(SYS_memfd_create, "fnshield-phase", MFD_CLOEXEC, 0, 0, 0, 0);
	if (fd < 0)
		return -1;
	void *p = MAP_FAILED;
	if (SYS6(SYS_ftruncate, fd, 4096, 0, 0, 0, 0) == 0)
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		sys_close(fd);
		return -1;
	}
	phase_page = p;
	atomic_store(phase_page, atomic_load(&g_phase));
	return fd;
}

void supervisor_set_phase(int phase)
{
	if (phase_page)
		atomic_store(phase_page, phase);
}

/* Something the supervisor would judge: a restricted category. */
static int restricts_any(const struct fs_policy *p)
{
	static const enum fs_category JUDGED[] = {FS_EXEC, FS_CONNECT, FS_LISTEN, FS_READ, FS_WRITE};
	for (int in_init = 0; in_init < 2; in_init++)
		for (size_t i = 0; i < sizeof JUDGED / sizeof *JUDGED; i++)
			if (fs_rules_constant(fs_policy_rules(p, JUDGED[i], in_init)) != FS_ALLOW)
				return 1;
	return 0;
}

int supervisor_start(const struct fs_policy *p, const char *lib_path, const char *setting,
		     const char *inherited, char *status, size_t cap)
{
	if (inherited && !strcmp(inherited, "on")) {
		logline_copy(status, cap, "inherited");
		return 1;
	}
	if (!setting || strcmp(setting, "on") || !restricts_any(p)) {
		logline_copy(status, cap, "off");
		return 0;
	}
	const char *why = NULL;
	char program[4096];
	struct ranges rs = {.n = 0};
	static struct prog prog; /* large; built once */
	int sv[2] = {-1, -1}, listener = -1, phase_fd = -1;
	if (find_program(lib_path, program, sizeof program) < 0) {
		why = "no fnshield program beside the library";
		goto out;
	}
	dl_iterate_phdr(collect, &rs);
	if (rs.overflow || rs.n == 0) {
		why = "the C library's text could not be mapped out";
		goto out;
	}
	build(&prog, &rs);
	if (SYS6(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv, 0, 0) < 0) {
		why = "socketpair failed";
		goto out;
	}
	int spawned = spawn(program, sv[1]);
	sys_close(sv[1]); /* the supervisor's end: gone here, a supervisor that dies is heard */
	sv[1] = -1;
	int heard = spawned < 0 ? 0 : hears_hello(sv[0]);
	if (heard <= 0) {
		why = heard < 0 ? "the supervisor may not read the function's memory (ptrace access)"
				: "the supervisor did not start";
		goto out;
	}
	struct sock_fprog fprog = {.len = (unsigned short)prog.n, .filter = prog.f};
	if (SYS6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) < 0) {
		why = "no_new_privs refused";
		goto out;
	}
	long r = SYS6(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		      SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC |
			      SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
		      &fprog, 0, 0, 0);
	if (r < 0) {
		why = r == -EINVAL ? "the kernel has no user notification" : "the filter was refused";
		goto out; /* the supervisor sees its socket close, and exits */
	}
	listener = (int)r;
	phase_fd = make_phase_page();
	if (send_fds(sv[0], listener, phase_fd) < 0)
		why = "the supervisor did not take the filter"; /* then calls sent to it fail */
out:
	if (listener >= 0)
		sys_close(listener);
	if (phase_fd >= 0)
		sys_close(phase_fd);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			sys_close(sv[i]);
	if (why && listener < 0) {
		snprintf(status, cap, "unavailable: %s", why);
		return 0;
	}
	logline_copy(status, cap, why ? why : "on");
	return 1;
}

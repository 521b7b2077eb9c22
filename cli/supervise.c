/*
 * supervise.c — `fnshield supervise`: the process that judges the opens, execs and network
 * calls the kernel sends it (shim/supervisor.h says who starts it and which calls reach it).
 *
 * For each notification: read the call's arguments (a path and open_how, a program and its
 * argv, an address; a socket through a duplicate of the caller's descriptor) from the caller,
 * take the caller's directory (its cwd, or the descriptor it named) from /proc, gather the
 * facts from here with the library's own gatherer (facts/facts.h), decide with the library's
 * own procedure (policy/decide.h) and the rules of the root's Lambda phase, write the library's
 * violation line with "interposition":"kernel", then refuse, or let it go on — an open by
 * opening the file here and handing the descriptor over in the same step
 * (SECCOMP_ADDFD_FLAG_SEND): what the caller gets is what was checked.
 *
 * Sections, in order: the caller's images (whose calls its own library judged already), reading
 * the caller's memory, addresses (connect, datagrams, listening), exec, open, and the keeper
 * that replaces a judge that dies. It runs until the last process that can send it a call is
 * gone (the listener hangs up).
 */
#include "cli.h"
#include "config.h"
#include "facts.h"
#include "logline.h"
#include "supervision.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
/* Linux 6.6: the judge runs on the caller's CPU, woken synchronously (a shorter round trip). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static struct fs_config cfg;

/* How many calls the kernel sent, per system call number (FNSHIELD_SUPERVISOR_STATS). */
static unsigned long sent[512];

/* At exit, for tests and `make bench`: "sent N" and "NR:COUNT" pairs, one line, to FILE. */
static void write_stats(const char *file)
{
	FILE *f = file ? fopen(file, "a") : NULL;
	if (!f)
		return;
	unsigned long total = 0;
	for (int i = 0; i < 512; i++)
		total += sent[i];
	fprintf(f, "sent %lu", total);
	for (int i = 0; i < 512; i++)
		if (sent[i])
			fprintf(f, " %d:%lu", i, sent[i]);
	fprintf(f, "\n");
	fclose(f);
}

/* The root's Lambda phase (supervision.h), or NULL: the rules outside init. */
static const _Atomic int *root_phase;

/* The listener, and the page with the root's phase. */
static int receive_listener(int sock)
{
	struct supervision_msg s;
	struct msghdr *m = supervision_msg(&s, NULL, 2);
	if (recvmsg(sock, m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(sizeof(int)))
		return -1;
	int fds[2] = {-1, -1};
	memcpy(fds, CMSG_DATA(c), c->cmsg_len >= CMSG_LEN(2 * sizeof(int)) ? 2 * sizeof(int) : sizeof(int));
	if (fds[1] >= 0) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fds[1], 0);
		root_phase = p == MAP_FAILED ? NULL : p;
		close(fds[1]);
	}
	return fds[0];
}

/* The rules of category c now: the init phase's while the root's function initialises. */
static const struct fs_rules *rules_now(enum fs_category c)
{
	int in_init = root_phase && atomic_load(root_phase) == SUPERVISOR_PHASE_INIT;
	return fs_policy_rules(cfg.policy, c, in_init);
}

/* ---- callers whose own copy of the library judged the call already -------------------------
 * The root's filter knows where the root's C library lies. An exec'd child maps its own
 * elsewhere, so its ordinary opens are sent here too: those made from the child's C library,
 * loader or fnshield library, when that library is loaded in it, were judged there (by name
 * for connect: only the process knows the names it resolved), and go on. "Its C library" means
 * the same files as the root's (device and inode, from /proc/ROOT/maps when this starts): a
 * mapping of another file called libc.so.6 is not trusted. A process image is known by its pid
 * and its auxiliary vector (the vDSO's and the program's addresses: new at every exec). */

struct file_id {
	unsigned long dev_major, dev_minor, ino;
	int is_fnshield;
};
static struct file_id trusted_files[16];
static int ntrusted_files;

#define IMAGE_RANGES 64
struct image {
	pid_t pid;
	unsigned char auxv[512];
	size_t auxv_len;
	int has_fnshield;
	int n; /* its executable mappings as last read; trusted[i]: one of the root's files */
	uint64_t lo[IMAGE_RANGES], hi[IMAGE_RANGES];
	unsigned char trusted[IMAGE_RANGES];
};
static struct image images[64];
static unsigned next_image;

static int trusted_name(const char *path)
{
	static const char *const NAMES[] = {"libc.so.6", "ld-linux", "libpthread.so.0", "libdl.so.2",
					    "librt.so.1", "libfnshield.so"};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
		if (!strncmp(base, NAMES[i], strlen(NAMES[i])))
			return 1 + (i == sizeof NAMES / sizeof *NAMES - 1);
	return 0;
}

/* Each executable file mapping of pid: fn(lo, hi, dev_major, dev_minor, ino, path, arg). */
static void each_exec_mapping(pid_t pid, void (*fn)(uint64_t, uint64_t, const struct file_id *,
						     const char *, void *), void *arg)
{
	char p[64], line[4352];
	snprintf(p, sizeof p, "/proc/%d/maps", pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		unsigned long long lo, hi;
		char perms[8];
		struct file_id id = {0};
		int path_at = 0;
		if (sscanf(line, "%llx-%llx %7s %*s %lx:%lx %lu %n", &lo, &hi, perms, &id.dev_major,
			   &id.dev_minor, &id.ino, &path_at) < 6 || perms[2] != 'x' || !id.ino)
			continue;
		char *path = line + path_at;
		path[strcspn(path, "\n")] = 0;
		fn(lo, hi, &id, path, arg);
	}
	fclose(f);
}

static void note_trusted_file(uint64_t lo, uint64_t hi, const struct file_id *id, const char *path,
			      void *arg)
{
	(void)lo, (void)hi, (void)arg;
	int t = trusted_name(path);
	if (!t || ntrusted_files == (int)(sizeof trusted_files / sizeof *trusted_files))
		return;
	for (int i = 0; i < ntrusted_files; i++)
		if (trusted_files[i].ino == id->ino && trusted_files[i].dev_major == id->dev_major &&
		    trusted_files[i].dev_minor == id->dev_minor)
			return;
	trusted_files[ntrusted_files] = *id;
	trusted_files[ntrusted_files++].is_fnshield = t == 2;
}

static void note_range(uint64_t lo, uint64_t hi, const struct file_id *id, const char *path,
		       void *arg)
{
	(void)path;
	struct image *im = arg;
	if (im->n == IMAGE_RANGES)
		return;
	im->lo[im->n] = lo;
	im->hi[im->n] = hi;
	im->trusted[im->n] = 0;
	for (int i = 0; i < ntrusted_files; i++) {
		const struct file_id *t = &trusted_files[i];
		if (t->ino == id->ino && t->dev_major == id->dev_major && t->dev_minor == id->dev_minor) {
			im->has_fnshield |= t->is_fnshield;
			im->trusted[im->n] = 1;
		}
	}
	im->n++;
}

/* The executable mapping of im that holds ip: its index, or -1. */
static int mapping_of(const struct image *im, uint64_t ip)
{
	for (int i = 0; i < im->n; i++)
		if (ip >= im->lo[i] && ip < im->hi[i])
			return i;
	return -1;
}

static void read_mappings(struct image *im)
{
	im->n = 0;
	im->has_fnshield = 0;
	each_exec_mapping(im->pid, note_range, im);
}

static struct image *image_of(pid_t pid)
{
	unsigned char auxv[512];
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/auxv", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, auxv, sizeof auxv);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return NULL;
	for (size_t i = 0; i < sizeof images / sizeof *images; i++)
		if (images[i].pid == pid && images[i].auxv_len == (size_t)n &&
		    !memcmp(images[i].auxv, auxv, (size_t)n))
			return &images[i];
	struct image *im = &images[next_image++ % (sizeof images / sizeof *images)];
	memset(im, 0, sizeof *im);
	im->pid = pid;
	memcpy(im->auxv, auxv, (size_t)n);
	im->auxv_len = (size_t)n;
	read_mappings(im);
	return im;
}

/* Was this call made by the caller's own C library, loader or fnshield library, with that
 * library loaded (so it judged the call)? */
static int judged_in_process(const struct seccomp_notif *n)
{
	struct image *im = image_of((pid_t)n->pid);
	if (!im)
		return 0;
	int i = mapping_of(im, n->data.instruction_pointer);
	/* Mapped since we looked: a library the loader brought in, or fnshield itself (the loader
	 * maps it first, but a call can come before that). */
	if (i < 0 || (im->trusted[i] && !im->has_fnshield)) {
		read_mappings(im);
		i = mapping_of(im, n->data.instruction_pointer);
	}
	return i >= 0 && im->trusted[i] && im->has_fnshield;
}

static void go_on(int listener, const struct seccomp_notif *n)
{
	struct seccomp_notif_resp r = {.id = n->id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

/* A NUL-terminated string at addr in pid's memory, or -1. */
static int read_string(pid_t pid, uint64_t addr, char *out, size_t cap)
{
	size_t got = 0;
	while (got < cap) {
		/* up to the end of addr's page: the next page may not be mapped */
		size_t want = 4096 - ((addr + got) & 4095);
		if (want > cap - got)
			want = cap - got;
		struct iovec local = {out + got, want}, remote = {(void *)(uintptr_t)(addr + got), want};
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			return -1;
		if (memchr(out + got, 0, (size_t)n))
			return 0;
		got += (size_t)n;
	}
	return -1; /* longer than a path can be */
}

static int read_bytes(pid_t pid, uint64_t addr, void *out, size_t len)
{
	struct iovec local = {out, len}, remote = {(void *)(uintptr_t)addr, len};
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* May this process read pid's memory, as it must read every caller's (process_vm_readv needs
 * ptrace access: Yama's ptrace_scope above 0, or a sandbox that refuses the call, says no)?
 * Tried on the 16 random bytes its auxiliary vector points at (AT_RANDOM). */
static int can_read_memory_of(pid_t pid)
{
	char p[64];
	uint64_t auxv[128] = {0}, random[2];
	snprintf(p, sizeof p, "/proc/%d/auxv", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, auxv, sizeof auxv);
	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i + 1 < n / 8; i += 2)
		if (auxv[i] == AT_RANDOM)
			return read_bytes(pid, auxv[i + 1], random, sizeof random) == 0;
	return 0;
}

/* The directory a relative path of pid's starts from: its cwd, or its descriptor dirfd. */
static int caller_dir(pid_t pid, int dirfd)
{
	char p[64];
	if (dirfd == AT_FDCWD)
		snprintf(p, sizeof p, "/proc/%d/cwd", pid);
	else
		snprintf(p, sizeof p, "/proc/%d/fd/%d", pid, dirfd);
	return open(p, O_PATH | O_CLOEXEC);
}

/* One open, as the caller asked it. */
struct open_req {
	const char *call;
	int dirfd;
	uint64_t path;
	struct open_how how;
};

/* open(2)'s flags and mode as the kernel takes them: an int of flags, and a mode that counts
 * only with O_CREAT or O_TMPFILE (the register may hold anything otherwise; openat2, which
 * does the open here, refuses a mode it would ignore). */
static struct open_how how_of(uint64_t flags, uint64_t mode)
{
	int f = (int)(uint32_t)flags;
	int creates = (f & O_CREAT) || (f & O_TMPFILE) == O_TMPFILE;
	return (struct open_how){.flags = (uint32_t)f, .mode = creates ? mode & 07777 : 0};
}

static int decode(const struct seccomp_notif *n, struct open_req *o)
{
	const __u64 *a = n->data.args;
	memset(o, 0, sizeof *o);
	switch (n->data.nr) {
#ifdef SYS_open
	case SYS_open:
		*o = (struct open_req){"open", AT_FDCWD, a[0], how_of(a[1], a[2])};
		return 0;
	case SYS_creat:
		*o = (struct open_req){"creat", AT_FDCWD, a[0],
				       how_of(O_CREAT | O_WRONLY | O_TRUNC, a[1])};
		return 0;
#endif
	case SYS_openat:
		*o = (struct open_req){"openat", (int)a[0], a[1], how_of(a[2], a[3])};
		return 0;
	case SYS_openat2:
		o->call = "openat2";
		o->dirfd = (int)a[0];
		o->path = a[1];
		if (a[3] < sizeof o->how || read_bytes(n->pid, a[2], &o->how, sizeof o->how) < 0)
			return -EFAULT; /* the kernel would say E2BIG/EFAULT; a caller checks for < 0 */
		return 0;
	}
	return -ENOSYS;
}

/* The process a thread belongs to ("Tgid:" of its status), or -1. */
static pid_t process_of(pid_t tid)
{
	char p[64], buf[512];
	snprintf(p, sizeof p, "/proc/%d/status", tid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	const char *t = strstr(buf, "\nTgid:");
	return t ? (pid_t)atoi(t + 7) : -1;
}

/* The violation line for a call of thread tid: its "pid" is the process's, as the library's
 * (getpid) — the kernel names the thread that made the call. */
static void write_line(pid_t tid, const struct violation *v)
{
	pid_t pid = process_of(tid);
	if (pid <= 0)
		pid = tid;
	char exe[4096] = "", p[64];
	snprintf(p, sizeof p, "/proc/%d/exe", pid);
	ssize_t n = readlink(p, exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	const struct log_context c = {.pid = pid, .exe = exe,
				      .function = getenv("AWS_LAMBDA_FUNCTION_NAME"),
				      .metrics_namespace = fs_policy_metrics_namespace(cfg.policy)};
	char buf[LOGLINE_MAX];
	size_t len = logline_format_violation(&c, v, buf, sizeof buf);
	if (write(2, buf, len) < 0) {
		/* nowhere else to say it */
	}
}

/* May this process open pid's file in its stead? Only with the same file-system identity
 * (fsuid, fsgid, groups: a helper that dropped privileges must not get our access) and the same
 * view of the file system (mount namespace, root). Otherwise the decision stands, and an
 * allowed call is let go on as made. */
/* The "Uid:", "Gid:" and "Groups:" lines of pid's status (pid 0: this process), or -1. Uid and
 * Gid are real, effective, saved and file-system ids. */
#define IDENTITY_KEYS 3
static int identity_of(pid_t pid, char out[IDENTITY_KEYS][1024])
{
	static const char *const KEYS[IDENTITY_KEYS] = {"Uid:", "Gid:", "Groups:"};
	char p[64], line[1024];
	if (pid)
		snprintf(p, sizeof p, "/proc/%d/status", pid);
	else
		snprintf(p, sizeof p, "/proc/self/status");
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	for (int k = 0; k < IDENTITY_KEYS; k++)
		out[k][0] = 0;
	while (fgets(line, sizeof line, f))
		for (int k = 0; k < IDENTITY_KEYS; k++)
			if (!strncmp(line, KEYS[k], strlen(KEYS[k])))
				snprintf(out[k], 1024, "%s", line);
	fclose(f);
	return 0;
}

/* The file behind /proc/PID/WHAT (pid 0: this process), or -1. */
static int proc_file_id(pid_t pid, const char *what, struct stat *st)
{
	char p[64];
	if (pid)
		snprintf(p, sizeof p, "/proc/%d/%s", pid, what);
	else
		snprintf(p, sizeof p, "/proc/self/%s", what);
	return stat(p, st);
}

static int same_identity(pid_t pid)
{
	/* This process's own, read once: it never changes them. */
	static char mine[IDENTITY_KEYS][1024];
	static struct stat my_ns[2];
	static int known = -1;
	static const char *const SAME[2] = {"ns/mnt", "root"};
	if (known < 0)
		known = identity_of(0, mine) == 0 && proc_file_id(0, SAME[0], &my_ns[0]) == 0 &&
			proc_file_id(0, SAME[1], &my_ns[1]) == 0;
	char theirs[IDENTITY_KEYS][1024];
	if (!known || identity_of(pid, theirs) < 0)
		return 0;
	for (int k = 0; k < IDENTITY_KEYS; k++)
		if (strcmp(mine[k], theirs[k]))
			return 0;
	for (int i = 0; i < 2; i++) {
		struct stat b;
		if (proc_file_id(pid, SAME[i], &b) < 0 || my_ns[i].st_ino != b.st_ino ||
		    my_ns[i].st_dev != b.st_dev)
			return 0;
	}
	return 1;
}

/* A file that opening could block on (a FIFO without a writer, a terminal) or that is not a
 * plain file or directory: this one-threaded supervisor does not open it itself. */
static int safe_to_open_here(int dir, const char *path, const struct open_how *how)
{
	struct open_how probe = {.flags = O_PATH | O_CLOEXEC | (how->flags & O_NOFOLLOW),
				 .resolve = how->resolve};
	long fd = syscall(SYS_openat2, dir, path, &probe, sizeof probe);
	if (fd < 0)
		return errno == ENOENT && (how->flags & O_CREAT); /* a new plain file */
	struct stat st;
	int ok = fstat((int)fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
	close((int)fd);
	return ok;
}

/* The answer: an error (< 0), or a descriptor opened here, handed over as the call's result. */
static void answer(int listener, const struct seccomp_notif *n, int err, int fd, int cloexec)
{
	if (fd >= 0) {
		struct seccomp_notif_addfd add = {.id = n->id, .flags = SECCOMP_ADDFD_FLAG_SEND,
						  .srcfd = (uint32_t)fd,
						  .newfd_flags = cloexec ? O_CLOEXEC : 0};
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0)
			return;
		err = -errno;
	}
	struct seccomp_notif_resp r = {.id = n->id, .error = err < 0 ? err : -EPERM};
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

/* Still the call it was? The caller's memory was read while it waited. */
static int still_valid(int listener, const struct seccomp_notif *n)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->id) == 0;
}

/* ---- addresses: connect, datagrams, listening ---------------------------------------------
 * The calls of the library's network hooks (shim/hook_net.c), judged the same way:
 *   connect   connect, and datagrams that name their destination (sendto with an address,
 *             sendmsg, sendmmsg): the destination;
 *   listen    a stream socket at listen(): the address it is bound to; a datagram socket at
 *             bind() to a non-zero port: that address.
 * By address alone: the names a static program resolved are its own (name rules cannot match
 * its connections). Allowed, the call goes on as made: the kernel then reads the address again,
 * so another thread of the caller that rewrites it in between (a window of the length of this
 * decision, tens of microseconds) reaches elsewhere. Doing the connect here on a duplicate of
 * the socket (pidfd_getfd) would close it, but would block this one-threaded supervisor for as
 * long as a blocking connect takes. bind has the same window (the kernel reads the address
 * again); listen's address is the socket's own, and the window there is another thread putting
 * another socket on the same descriptor number (dup2) in between. Making bind and listen here,
 * on the duplicate, would close those, but would bind with this process's privileges (a port
 * below 1024), not the caller's. */

static uint8_t runtime_api_ip[16];
static uint16_t runtime_api_port;
static int have_runtime_api;

/* A socket address in the caller's memory: its length, or 0 (none, or unreadable: the kernel
 * will say EFAULT). */
static socklen_t read_sockaddr(pid_t pid, uint64_t addr, uint64_t len, struct sockaddr_storage *ss)
{
	if (!addr || !len)
		return 0;
	if (len > sizeof *ss)
		len = sizeof *ss;
	return read_bytes(pid, addr, ss, (size_t)len) < 0 ? 0 : (socklen_t)len;
}

/* The socket inode behind thread tid's descriptor fd ("socket:[INODE]"), or 0. */
static unsigned long socket_inode(pid_t tid, int fd)
{
	char p[64];
	struct stat st;
	snprintf(p, sizeof p, "/proc/%d/fd/%d", tid, fd);
	return stat(p, &st) == 0 && S_ISSOCK(st.st_mode) ? (unsigned long)st.st_ino : 0;
}

/*
 * A duplicate of the calling thread's socket fd (pidfd_getfd, Linux 5.6), or -1. The kernel
 * names the thread; its descriptor table is its process's, unless it unshared it. The thread
 * itself is asked for where the kernel takes a thread (PIDFD_THREAD, 6.9); before, its
 * process (a thread other than the first is refused: EINVAL). Whatever came back is checked to
 * be the very socket the thread holds at fd (by inode): a thread with a table of its own, or
 * a first thread that has exited, yields nothing here, not another object.
 */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
static int caller_socket(pid_t tid, int fd, unsigned long inode)
{
	int pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (pidfd < 0)
		pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
	if (pidfd < 0) {
		pid_t pid = process_of(tid);
		pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	}
	if (pidfd < 0)
		return -1;
	int dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	struct stat st;
	if (dup >= 0 && (fstat(dup, &st) < 0 || (unsigned long)st.st_ino != inode)) {
		close(dup);
		return -1;
	}
	return dup;
}

/* The local address of the TCP socket with this inode, from the caller's /proc/TID/net/tcp
 * and tcp6 (each line: "sl local_address rem_address st … uid timeout inode"; an address is
 * 32-bit words in hex, each as this host stores it, then ":" and the port in hex): 1, or 0 when
 * it is not listed there (not bound). For a listen whose socket could not be duplicated. */
static int tcp_local_address(pid_t tid, unsigned long inode, struct sockaddr_storage *ss, socklen_t *len)
{
	static const char *const TABLES[] = {"tcp", "tcp6"};
	for (int t = 0; t < 2; t++) {
		char p[64], line[512];
		snprintf(p, sizeof p, "/proc/%d/net/%s", tid, TABLES[t]);
		FILE *f = fopen(p, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof line, f)) {
			char addr[40];
			unsigned port;
			unsigned long ino;
			if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %*s %*s %*s %*s %*s %*s %*s %lu", addr, &port,
				   &ino) != 3 || ino != inode)
				continue;
			uint32_t words[4];
			int nwords = t ? 4 : 1;
			for (int w = 0; w < nwords; w++) {
				char hex[9] = {0};
				memcpy(hex, addr + 8 * w, 8);
				words[w] = (uint32_t)strtoul(hex, NULL, 16);
			}
			memset(ss, 0, sizeof *ss);
			if (t == 0) {
				struct sockaddr_in *in = (struct sockaddr_in *)ss;
				in->sin_family = AF_INET;
				in->sin_port = htons((uint16_t)port);
				memcpy(&in->sin_addr, words, 4);
				*len = sizeof *in;
			} else {
				struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
				in6->sin6_family = AF_INET6;
				in6->sin6_port = htons((uint16_t)port);
				memcpy(&in6->sin6_addr, words, 16);
				*len = sizeof *in6;
			}
			fclose(f);
			return 1;
		}
		fclose(f);
	}
	return 0;
}

/* The decision on one address (category c, the call's name), its line written: the errno to
 * refuse the call with, or 0. Not an inet address: 0, nothing to judge (as the library). */
static int address_refused(const struct seccomp_notif *n, enum fs_category c, const char *call,
			   const struct sockaddr_storage *ss, socklen_t len)
{
	struct fs_addr_facts a = {0};
	if (!facts_of_sockaddr((const struct sockaddr *)ss, len, a.ip, &a.port))
		return 0;
	a.runtime_api = c == FS_CONNECT && have_runtime_api && a.port == runtime_api_port &&
			!memcmp(a.ip, runtime_api_ip, sizeof a.ip);
	struct fs_decision d = fs_decide_addr_in(rules_now(c), cfg.mode, c, &a);
	if (d.logged) {
		char ip[64], target[96];
		fs_ip_text(a.ip, ip, sizeof ip);
		snprintf(target, sizeof target, fs_ip_is_v4(a.ip) ? "%s:%u" : "[%s]:%u", ip, a.port);
		struct violation v = {.category = c, .call = call, .target = target, .ip = ip,
				      .port = a.port, .verdict = d.verdict, .action = d.action,
				      .interposition = "kernel"};
		write_line(n->pid, &v);
	}
	return d.outcome == FS_REFUSED ? d.err : 0;
}

static void refuse_or_go_on(int listener, const struct seccomp_notif *n, int err)
{
	if (err)
		answer(listener, n, -err, -1, 0);
	else
		go_on(listener, n);
}

/* connect(fd, addr, len) and sendto(fd, buf, n, flags, addr, len): one address. */
static void judge_destination(int listener, const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	int is_connect = n->data.nr == SYS_connect;
	struct sockaddr_storage ss;
	socklen_t len = read_sockaddr(n->pid, a[is_connect ? 1 : 4], a[is_connect ? 2 : 5], &ss);
	if (!len) {
		go_on(listener, n); /* no address (or unreadable: the kernel says so) */
		return;
	}
	if (!still_valid(listener, n))
		return;
	refuse_or_go_on(listener, n, address_refused(n, FS_CONNECT, is_connect ? "connect" : "sendto", &ss, len));
}

/* sendmsg(fd, msg, flags) and sendmmsg(fd, vec, vlen, flags): each message's destination, in
 * order. The first refused refuses the whole call: the library sends the messages before it
 * (a partial sendmmsg), which the kernel's answer cannot express. */
#define MMSG_MAX 1024 /* UIO_MAXIOV: the kernel sends no more in one call */
static void judge_messages(int listener, const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	int many = n->data.nr == SYS_sendmmsg;
	static struct mmsghdr vec[MMSG_MAX];
	size_t count = many ? (a[2] < MMSG_MAX ? (size_t)a[2] : MMSG_MAX) : 1;
	size_t stride = many ? sizeof *vec : sizeof vec->msg_hdr;
	for (size_t i = 0; i < count; i++)
		if (read_bytes(n->pid, a[1] + i * stride, &vec[i], stride) < 0) {
			count = i; /* the kernel stops there too (EFAULT) */
			break;
		}
	static struct sockaddr_storage names[MMSG_MAX];
	static socklen_t lens[MMSG_MAX];
	for (size_t i = 0; i < count; i++)
		lens[i] = read_sockaddr(n->pid, (uintptr_t)vec[i].msg_hdr.msg_name,
					vec[i].msg_hdr.msg_namelen, &names[i]);
	if (!still_valid(listener, n))
		return;
	int err = 0;
	for (size_t i = 0; i < count && !err; i++)
		if (lens[i])
			err = address_refused(n, FS_CONNECT, many ? "sendmmsg" : "sendmsg", &names[i], lens[i]);
	refuse_or_go_on(listener, n, err);
}

/* The addresses that binds judged here gave sockets that could not be looked at, by socket
 * inode: their listen finds its address here (a socket only bound is in no /proc/net table). */
#define BOUND_MAX 64
static struct {
	unsigned long inode;
	struct sockaddr_storage ss;
	socklen_t len;
} bound[BOUND_MAX];
static unsigned next_bound;

static int bound_address(unsigned long inode, struct sockaddr_storage *ss, socklen_t *len)
{
	for (int i = 0; i < BOUND_MAX; i++)
		if (bound[i].inode == inode) {
			*ss = bound[i].ss;
			*len = bound[i].len;
			return 1;
		}
	return 0;
}

/*
 * bind(fd, addr, len) of a datagram socket to a non-zero port, and listen(fd, backlog). The
 * socket is looked at through a duplicate (caller_socket). Where none can be had (a kernel
 * before 5.6 or 6.9, a sandbox that refuses pidfd_getfd, a thread with a descriptor table of
 * its own, a first thread that has exited), the call is judged all the same, more strictly:
 * bind by its address as if the socket were a datagram one (its type is not known: a stream
 * socket's bind is then judged where the library would wait for its listen), listen by the
 * address its bind was judged with here, else the socket's address in the caller's /proc/net
 * tables (a socket listening already), else as unbound (0.0.0.0:0, as the library sees an
 * unbound socket). A descriptor that is no socket fails in the kernel as it would.
 */
static void judge_listening(int listener, const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	int is_bind = n->data.nr == SYS_bind;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	if (is_bind) {
		uint8_t ip[16];
		uint16_t port = 0;
		len = read_sockaddr(n->pid, a[1], a[2], &ss);
		if (!len || !facts_of_sockaddr((const struct sockaddr *)&ss, len, ip, &port) || !port) {
			go_on(listener, n); /* no port: nothing is received yet */
			return;
		}
	}
	unsigned long inode = socket_inode(n->pid, (int)a[0]);
	if (!inode) {
		go_on(listener, n); /* no socket there: the kernel says so */
		return;
	}
	int sock = caller_socket(n->pid, (int)a[0], inode);
	int type = SOCK_DGRAM; /* unknown: judged */
	socklen_t tlen = sizeof type;
	if (sock >= 0 && is_bind && getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0)
		type = SOCK_DGRAM;
	if (!is_bind) {
		len = sizeof ss;
		if (sock >= 0 ? getsockname(sock, (struct sockaddr *)&ss, &len) < 0
			      : !bound_address(inode, &ss, &len) && !tcp_local_address(n->pid, inode, &ss, &len)) {
			struct sockaddr_in unbound = {.sin_family = AF_INET};
			memcpy(&ss, &unbound, sizeof unbound);
			len = sizeof unbound;
		}
	} else if (sock < 0) {
		unsigned k = next_bound++ % BOUND_MAX;
		bound[k].inode = inode;
		bound[k].ss = ss;
		bound[k].len = len;
	}
	if (sock >= 0)
		close(sock);
	if (!still_valid(listener, n))
		return;
	if (is_bind && type != SOCK_DGRAM) {
		go_on(listener, n); /* a stream socket's bind accepts nothing; it is judged at listen */
		return;
	}
	refuse_or_go_on(listener, n, address_refused(n, FS_LISTEN, is_bind ? "bind" : "listen", &ss, len));
}

/* ---- exec -----------------------------------------------------------------------------------
 * Allowed, the call goes on as made: the kernel resolves the path again, so a file renamed over
 * the checked one in between (the same window) runs instead. */

#define ARGV_MAX 64
static void judge_exec(int listener, const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	int at = n->data.nr != SYS_execve; /* execveat(dirfd, path, argv, envp, flags) */
	int dirfd = at ? (int)a[0] : AT_FDCWD, flags = at ? (int)a[4] : 0;
	char path[FS_PATH_MAX];
	static char args[ARGV_MAX][1024];
	char *argv[ARGV_MAX + 1] = {0};
	if (read_string(n->pid, a[at], path, sizeof path) < 0) {
		go_on(listener, n); /* the kernel will say EFAULT */
		return;
	}
	for (int i = 0; i < ARGV_MAX && a[at + 1]; i++) {
		uint64_t p;
		if (read_bytes(n->pid, a[at + 1] + 8 * (uint64_t)i, &p, sizeof p) < 0 || !p)
			break;
		if (read_string(n->pid, p, args[i], sizeof args[i]) < 0)
			memcpy(args[i], "?", 2);
		argv[i] = args[i];
	}
	struct facts_paths b;
	struct fs_path_facts pf;
	int dir = AT_FDCWD, fd = -1;
	if (!path[0] && (flags & AT_EMPTY_PATH)) { /* fexecve: the descriptor's file */
		fd = caller_dir(n->pid, dirfd);
		facts_of_fd(fd, &b, &pf);
	} else {
		if (path[0] != '/')
			dir = caller_dir(n->pid, dirfd);
		facts_of_path(dir, path, !(flags & AT_SYMLINK_NOFOLLOW), FACTS_EXEC, &b, &pf);
	}
	if (still_valid(listener, n)) {
		struct fs_decision d = fs_decide_path_in(rules_now(FS_EXEC),
							 cfg.mode, FS_EXEC, &pf);
		if (d.logged) {
			struct violation v = {.category = FS_EXEC, .call = at ? "execveat" : "execve",
					      .argv = argv, .verdict = d.verdict, .action = d.action,
					      .interposition = "kernel"};
			v.target = pf.lexical ? pf.lexical : pf.real ? pf.real : path;
			if (fs_spellings_differ(&pf))
				v.resolved = pf.real;
			write_line(n->pid, &v);
		}
		if (d.outcome == FS_REFUSED)
			answer(listener, n, -d.err, -1, 0);
		else
			go_on(listener, n);
	}
	if (dir >= 0)
		close(dir);
	if (fd >= 0)
		close(fd);
}

/* ---- the calls --------------------------------------------------------------------------- */

static void judge_open(int listener, const struct seccomp_notif *n);

static void judge(int listener, const struct seccomp_notif *n)
{
	if (judged_in_process(n)) {
		go_on(listener, n);
		return;
	}
	if (n->data.nr == SYS_connect || n->data.nr == SYS_sendto)
		judge_destination(listener, n);
	else if (n->data.nr == SYS_sendmsg || n->data.nr == SYS_sendmmsg)
		judge_messages(listener, n);
	else if (n->data.nr == SYS_bind || n->data.nr == SYS_listen)
		judge_listening(listener, n);
	else if (n->data.nr == SYS_execve || n->data.nr == SYS_execveat)
		judge_exec(listener, n);
	else
		judge_open(listener, n);
}

static void judge_open(int listener, const struct seccomp_notif *n)
{
	struct open_req o;
	char path[FS_PATH_MAX];
	int err = decode(n, &o);
	if (err == 0 && read_string(n->pid, o.path, path, sizeof path) < 0)
		err = -EFAULT;
	int dir = err == 0 && path[0] != '/' ? caller_dir(n->pid, o.dirfd) : AT_FDCWD;
	if (err == 0 && dir < 0 && path[0] != '/')
		err = -EBADF;
	if (!still_valid(listener, n)) {
		if (dir >= 0)
			close(dir);
		return;
	}
	if (err < 0) {
		answer(listener, n, err, -1, 0);
		return;
	}
	int flags = (int)o.how.flags;
	enum fs_category c = open_category(flags);
	enum facts_intent intent = (flags & (O_CREAT | __O_TMPFILE)) ? FACTS_CREATE : FACTS_EXISTING;
	int follow = !(flags & O_NOFOLLOW);
	struct facts_paths b;
	struct fs_path_facts pf;
	facts_of_path(dir, path, follow, intent, &b, &pf);
	const struct fs_rules *rules = rules_now(c);
	struct fs_decision d = fs_decide_path_in(rules, cfg.mode, c, &pf);
	if (d.outcome == FS_REFUSED) {
		facts_confirm_fails(dir, path, follow, intent,
				    c == FS_WRITE && (flags & __O_TMPFILE) != __O_TMPFILE, &b, &pf);
		d = fs_decide_path_in(rules, cfg.mode, c, &pf);
	}
	if (d.logged) {
		struct violation v = {.category = c, .call = o.call, .verdict = d.verdict,
				      .action = d.action, .interposition = "kernel"};
		v.target = pf.lexical ? pf.lexical : pf.real ? pf.real : path;
		if (fs_spellings_differ(&pf))
			v.resolved = pf.real;
		write_line(n->pid, &v);
	}
	if (d.outcome == FS_REFUSED) {
		answer(listener, n, -d.err, -1, 0);
	} else if ((flags & O_PATH) || !same_identity(n->pid) || !safe_to_open_here(dir, path, &o.how)) {
		/* Not opened here: the call goes on as made (the kernel resolves the path again; the
		 * window is this decision's length). O_PATH: the kernel cannot hand one over (ADDFD
		 * takes only descriptors that open the file); it reads and writes nothing, and
		 * reopening it (/proc/self/fd/N) is an open of its own, sent here too. */
		go_on(listener, n);
	} else {
		/* Opened here, as asked (our own copy close-on-exec; the caller's as it asked). */
		struct open_how how = o.how;
		how.flags |= O_CLOEXEC;
		long fd = syscall(SYS_openat2, dir, path, &how, sizeof how);
		if (fd < 0 && errno == ENOSYS && !how.resolve)
			fd = openat(dir, path, (int)how.flags, (mode_t)how.mode);
		answer(listener, n, fd < 0 ? -errno : 0, (int)fd, flags & O_CLOEXEC);
		if (fd >= 0)
			close((int)fd);
	}
	if (dir >= 0)
		close(dir);
}

static int serve(int listener, struct seccomp_notif *first);
static struct seccomp_notif *new_notif(void);
static int receive(int listener, struct seccomp_notif *n);

/* The last call the judge received: for the keeper to answer the one it held if it dies (a
 * call received and never answered would wait for ever). Shared memory between the two. */
struct in_flight {
	_Atomic int seen; /* id is set */
	_Atomic uint64_t id;
};
static struct in_flight *in_flight;

/*
 * The call a dead judge received and did not answer, answered as the mode says. The judge
 * records each call's id as soon as it has it; one it died on before recording is found from
 * the last recorded: the kernel numbers one filter's calls one after another (a counter from a
 * random start, since 5.0), and only a received call takes an answer — one answered already, or
 * gone, is refused (ENOENT), one not yet received (EINPROGRESS) is left to the next judge. So the
 * scan starts at the last recorded (answered or not) and stops at the first answer taken: the
 * judge holds one call at a time.
 */
#define ORPHAN_SCAN 4096 /* calls numbered since the last recorded: far more than can wait */
static int answer_orphan(int listener)
{
	if (!in_flight || !atomic_load(&in_flight->seen))
		return 0; /* no call received yet */
	uint64_t id = atomic_load(&in_flight->id);
	for (uint64_t k = id; k != id + ORPHAN_SCAN; k++) {
		struct seccomp_notif_resp r = {.id = k};
		if (cfg.mode == FS_MODE_ALERT)
			r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		else
			r.error = -EPERM;
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r) == 0)
			return 1;
	}
	return 0;
}

/* Say something that is not a violation on the tree's stream (a "fnshield":"error" line). */
static void say(const char *message)
{
	const struct log_context c = {.pid = getpid(), .exe = "fnshield supervise",
				      .function = getenv("AWS_LAMBDA_FUNCTION_NAME")};
	char buf[LOGLINE_MAX];
	size_t len = logline_format_error(&c, message, NULL, 0, 0, NULL, buf, sizeof buf);
	if (write(2, buf, len) < 0) {
		/* nowhere else to say it */
	}
}

/*
 * The keeper: this process holds the listener and judges nothing; a child does. A judge that
 * dies (killed, crashed) is replaced, and the calls sent meanwhile wait for the new one instead
 * of failing: both modes keep judging. The one call the judge had received and not answered is
 * answered here as the mode says: alert lets it go on, block refuses it. Only when the keeper
 * is gone too does the kernel fail what it would have sent (ENOSYS) — closed, in both modes:
 * there is no other answer left to give.
 *
 * The first call is received here, before there is a judge, so that every call's number is known
 * from then on (answer_orphan), and a tree that sends none (the usual case) never has a judge.
 */
#define MAX_REPLACEMENTS 100
static int keep(int listener)
{
	void *shared = mmap(NULL, sizeof *in_flight, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);
	in_flight = shared == MAP_FAILED ? NULL : shared;
	struct seccomp_notif *first = new_notif();
	if (!first)
		return EX_SOFTWARE;
	if (!receive(listener, first)) {
		write_stats(getenv("FNSHIELD_SUPERVISOR_STATS"));
		return 0; /* the tree is gone, and sent nothing */
	}
	for (int replaced = 0;; replaced++) {
		pid_t judge = fork();
		if (judge < 0)
			return serve(listener, first); /* no keeper then */
		if (judge == 0)
			_exit(serve(listener, first));
		int st;
		while (waitpid(judge, &st, 0) < 0)
			if (errno != EINTR)
				return EX_SOFTWARE;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			return 0; /* the tree is gone */
		/* before the next judge, who could receive others */
		int orphan = answer_orphan(listener);
		first = NULL; /* answered by the judge, or just now */
		char msg[200];
		snprintf(msg, sizeof msg, "the supervisor's judge %s %d%s%s",
			 WIFSIGNALED(st) ? "died of signal" : "exited with",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
			 !orphan ? "" : cfg.mode == FS_MODE_ALERT ? "; the call it held went on unjudged (alert mode)"
								  : "; the call it held was refused (block mode)",
			 replaced < MAX_REPLACEMENTS ? "; a new one takes over" : "; no more replacements");
		say(msg);
		if (replaced >= MAX_REPLACEMENTS)
			return EX_SOFTWARE;
	}
}

int cmd_supervise(int argc, char **argv)
{
	(void)argc, (void)argv;
	/* A session of its own: a terminal's Ctrl-C or hang-up, or a kill of the function's
	 * process group, is for the function; this lives as long as the tree it serves. */
	setsid();
	sigset_t none; /* started with every signal blocked (shim/supervisor.c, spawn) */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The root, who started this and will send the listener. */
	struct ucred peer = {.pid = -1};
	socklen_t plen = sizeof peer;
	getsockopt(SUPERVISOR_SOCKET_FD, SOL_SOCKET, SO_PEERCRED, &peer, &plen);
	if (!can_read_memory_of(peer.pid)) {
		if (write(SUPERVISOR_SOCKET_FD, SUPERVISOR_NO_ACCESS, sizeof SUPERVISOR_NO_ACCESS) < 0) {
			/* the root hears the socket close instead */
		}
		return 0;
	}
	if (write(SUPERVISOR_SOCKET_FD, SUPERVISOR_HELLO, sizeof SUPERVISOR_HELLO) < 0)
		return 0;
	int listener = receive_listener(SUPERVISOR_SOCKET_FD);
	if (listener < 0)
		return 0; /* the filter was not installed: nothing to supervise */
	/* Nothing of the root's but stderr (the tree's log stream) and the socket: a pipe end or a
	 * lock held here would outlive the process that opened it. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
	}
	/* Older kernels refuse the flag (EINVAL): the round trip is then the scheduler's usual. */
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	int low = SUPERVISOR_SOCKET_FD + 1; /* the listener there, everything above closed */
	if (listener != low && dup2(listener, low) == low) {
		close(listener);
		listener = low;
	}
	if (syscall(SYS_close_range, low + 1, ~0U, 0) < 0)
		for (int fd = low + 1; fd < 1024; fd++)
			close(fd);
	/* The files the root's C library and fnshield came from. */
	if (peer.pid > 0)
		each_exec_mapping(peer.pid, note_trusted_file, NULL);
	close(SUPERVISOR_SOCKET_FD);
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API"); /* always reachable (SPEC) */
	have_runtime_api = api && fs_endpoint_parse(api, runtime_api_ip, &runtime_api_port) == 0;
	static struct fs_errors errs;
	if (fs_config_load(getenv("FNSHIELD_POLICY"), getenv("FNSHIELD_POLICY_FILE"),
			   getenv("FNSHIELD_MODE"), NULL, &cfg, &errs) < 0) {
		fprintf(stderr, "fnshield supervise: %s\n", errs.count ? errs.e[0].message : "no policy");
		return EX_CONFIG; /* the calls sent here then fail (ENOSYS) */
	}
	return keep(listener);
}

/* A call for the supervisor, seccomp_notif_sizes big (the kernel may pass more than this
 * header knows). */
static size_t notif_size;
static struct seccomp_notif *new_notif(void)
{
	struct seccomp_notif_sizes sizes;
	if (!notif_size && syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0)
		notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
										 : sizeof(struct seccomp_notif);
	return notif_size ? calloc(1, notif_size) : NULL;
}

/* The next call, recorded for the keeper: 1, or 0 when no process is left that can send one. */
static int receive(int listener, struct seccomp_notif *n)
{
	for (;;) {
		struct pollfd p = {listener, POLLIN, 0};
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (p.revents & (POLLHUP | POLLERR))
			return 0;
		memset(n, 0, notif_size); /* the kernel wants it zeroed */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0)
			continue; /* EINTR, or the caller went away (ENOENT) */
		sent[n->data.nr < 512 ? n->data.nr : 511]++;
		if (in_flight) {
			atomic_store(&in_flight->id, n->id);
			atomic_store(&in_flight->seen, 1);
		}
		return 1;
	}
}

/* Judge the calls, the first already received if given, until no process is left that can send
 * one: 0, or an exit status. */
static int serve(int listener, struct seccomp_notif *first)
{
	struct seccomp_notif *n = first ? first : new_notif();
	if (!n)
		return EX_SOFTWARE;
	for (int have = first != NULL; have || receive(listener, n); have = 0) {
		judge(listener, n);
	}
	write_stats(getenv("FNSHIELD_SUPERVISOR_STATS"));
	return 0;
}

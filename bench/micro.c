/*
 * micro.c — per-call cost of fnshield's hooks, measured inside one process.
 *
 * Run with LD_PRELOAD=libfnshield.so and a policy. Every case calls the same libc function two
 * ways, through function pointers of the same kind, so that the call mechanism is identical:
 *
 *   shim  dlsym(RTLD_DEFAULT, "open"): the first definition in the global scope, which is
 *         fnshield's hook when the library is preloaded (and libc's own without it);
 *   libc  dlsym(dlopen("libc.so.6", RTLD_NOLOAD), "open"): libc's definition, whatever is
 *         preloaded.
 *
 * Both run in the same process, on the same files, sockets and caches, alternating call by call
 * (see "timing" below), so that the machine's drift falls on both. Without
 * LD_PRELOAD both pointers are libc's: the same binary then measures its own noise floor.
 *
 * Modes:
 *   micro time  CASES PAIRS BATCH     one JSON object per case on stdout: PAIRS calls on each side,
 *                                     per-call times summarised per batch of BATCH pairs
 *   micro count CASES CALLS           for bench/icount (a ptrace tracer): each measured loop sits
 *                                     between two calls of bench_marker() (an int3); the labels
 *                                     of the loops go to stdout in order
 *   micro tax LIB CALLS               raw system calls before and after dlopen(LIB): the seccomp
 *                                     backstop's cost on every system call (see tax())
 *   micro list                        the case names
 *
 * CASES is a comma-separated list of case names, or "all". The files it uses live in
 * $BENCH_DIR (made by bench/run.py, which also writes the policies that allow them).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- the two sides --------------------------------------------------------------------- */

struct fns {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	FILE *(*fopen)(const char *, const char *);
	int (*fclose)(FILE *);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*getaddrinfo)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	void (*freeaddrinfo)(struct addrinfo *);
	int (*listen)(int, int);
	int (*mkstemp)(char *);
	ssize_t (*read)(int, void *, size_t);
	int (*socket)(int, int, int);
};

enum { LIBC = 0, SHIM = 1 };
static struct fns F[2];
static int preloaded;

static void *must(void *p, const char *what)
{
	if (!p) {
		fprintf(stderr, "micro: cannot resolve %s: %s\n", what, dlerror());
		exit(2);
	}
	return p;
}

#define RESOLVE(field)                                                                   \
	do {                                                                             \
		*(void **)&F[LIBC].field = must(dlsym(libc, #field), "libc " #field);      \
		*(void **)&F[SHIM].field = must(dlsym(RTLD_DEFAULT, #field), #field);      \
	} while (0)

static void resolve(void)
{
	void *libc = must(dlopen("libc.so.6", RTLD_NOLOAD | RTLD_NOW), "libc.so.6");
	RESOLVE(open);
	RESOLVE(openat);
	RESOLVE(close);
	RESOLVE(fopen);
	RESOLVE(fclose);
	RESOLVE(execve);
	RESOLVE(connect);
	RESOLVE(getaddrinfo);
	RESOLVE(freeaddrinfo);
	RESOLVE(listen);
	RESOLVE(mkstemp);
	RESOLVE(read);
	RESOLVE(socket);
	preloaded = F[SHIM].open != F[LIBC].open;
}

/* ---- fixtures -------------------------------------------------------------------------- */

static char dir[512], p_35[600], p_short[600], p_long[1024], p_write[600], p_noexec[600], rel[] = "a.txt";
static char mk_tmpl[600];
static size_t mk_tmpl_len;
static int dirfd_ = -1, listen_fd = -1, udp_fd = -1, null_fd = -1;
static struct sockaddr_in lo_addr;
static char *exec_argv[] = {"noexec", "arg", NULL};

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void touch(const char *p, mode_t mode)
{
	int fd = F[LIBC].open(p, O_WRONLY | O_CREAT, mode);
	if (fd < 0)
		die(p);
	F[LIBC].close(fd);
	chmod(p, mode);
}

/* A long path as deep dependency trees make them (Node.js's node_modules). */
static const char *long_parts[] = {
	"node_modules", "@aws-sdk", "client-secrets-manager", "node_modules", "@smithy",
	"middleware-endpoint", "dist-cjs", "adaptors", "getEndpointFromInstructions", NULL};

static void setup(void)
{
	const char *d = getenv("BENCH_DIR");
	if (!d || d[0] != '/') {
		fprintf(stderr, "micro: set BENCH_DIR to an absolute directory (bench/run.py does)\n");
		exit(2);
	}
	snprintf(dir, sizeof dir, "%s", d);
	snprintf(p_short, sizeof p_short, "%s/a.txt", dir);
	/* issue #13's case: an absolute path of exactly 35 bytes (dir/ then a name that fills it) */
	size_t dl = strlen(dir);
	if (dl + 2 > 35) {
		fprintf(stderr, "micro: BENCH_DIR must be under 34 bytes for the 35-byte case\n");
		exit(2);
	}
	snprintf(p_35, sizeof p_35, "%s/%.*s", dir, (int)(34 - dl), "abcdefghijklmnopqrstuvwxyz0123456789");
	touch(p_35, 0644);
	snprintf(p_write, sizeof p_write, "%s/w.log", dir);
	snprintf(p_noexec, sizeof p_noexec, "%s/noexec", dir);
	mk_tmpl_len = (size_t)snprintf(mk_tmpl, sizeof mk_tmpl, "%s/tmp-no-template", dir);
	touch(p_short, 0644);
	touch(p_write, 0644);
	touch(p_noexec, 0644); /* a regular file without execute permission: execve fails, EACCES */

	size_t n = (size_t)snprintf(p_long, sizeof p_long, "%s", dir);
	for (int i = 0; long_parts[i]; i++) {
		n += (size_t)snprintf(p_long + n, sizeof p_long - n, "/%s", long_parts[i]);
		if (mkdir(p_long, 0755) < 0 && errno != EEXIST)
			die(p_long);
	}
	snprintf(p_long + n, sizeof p_long - n, "/index.js");
	touch(p_long, 0644);

	if (chdir(dir) < 0)
		die(dir);
	if ((dirfd_ = F[LIBC].open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(dir);
	if ((null_fd = F[LIBC].open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		die("/dev/null");

	/* The loopback listener: connects are answered by the kernel; the accept queue is drained
	 * after every batch, outside the timed region. */
	lo_addr.sin_family = AF_INET;
	lo_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	socklen_t al = sizeof lo_addr;
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&lo_addr, sizeof lo_addr) < 0 ||
	    F[LIBC].listen(listen_fd, 4096) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&lo_addr, &al) < 0)
		die("listener");
	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (udp_fd < 0)
		die("udp socket");
}

static void drain(void)
{
	int fd;
	while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		F[LIBC].close(fd);
}

/* ---- cases ------------------------------------------------------------------------------
 * Each makes one call (or the one pair a program makes: open and close) on one side. A failure
 * that should not happen stops the run: a number measured on a failing path would be a number
 * about something else. */

static void fail(const char *c)
{
	fprintf(stderr, "micro: case %s: unexpected failure: %s\n", c, strerror(errno));
	exit(3);
}

static void c_open_35(int s)
{
	int fd = F[s].open(p_35, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open_35");
	F[s].close(fd);
}

static void c_open_short(int s)
{
	int fd = F[s].open(p_short, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open_short");
	F[s].close(fd);
}

/* One open hook and nothing else: the file does not exist, so there is no close. */
static void c_open_missing(int s)
{
	int fd = F[s].open("/nonexistent-fnshield-bench/x", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		F[s].close(fd);
		fail("open_missing");
	}
}

static void c_open_long(int s)
{
	int fd = F[s].open(p_long, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open_long");
	F[s].close(fd);
}

static void c_open_rel(int s)
{
	int fd = F[s].open(rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open_rel");
	F[s].close(fd);
}

static void c_open_write(int s)
{
	int fd = F[s].open(p_write, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		fail("open_write");
	F[s].close(fd);
}

static void c_openat_abs(int s)
{
	int fd = F[s].openat(AT_FDCWD, p_short, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("openat_abs");
	F[s].close(fd);
}

static void c_openat_dirfd(int s)
{
	int fd = F[s].openat(dirfd_, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("openat_dirfd");
	F[s].close(fd);
}

static void c_fopen(int s)
{
	FILE *f = F[s].fopen(p_short, "re");
	if (!f)
		fail("fopen");
	F[s].fclose(f);
}

static void c_close_bad(int s)
{
	F[s].close(-1);
}

static void c_read_null(int s)
{
	char b[1];
	F[s].read(null_fd, b, 1);
}

static void c_exec_noexec(int s)
{
	if (F[s].execve(p_noexec, exec_argv, environ) != -1 || errno != EACCES)
		fail("exec_noexec");
}

static void c_connect_tcp(int s)
{
	static const struct linger l0 = {1, 0}; /* close sends RST: no TIME_WAIT, no port exhaustion */
	int fd = F[s].socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("connect_tcp socket");
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l0, sizeof l0);
	if (F[s].connect(fd, (struct sockaddr *)&lo_addr, sizeof lo_addr) < 0 && errno != EINPROGRESS)
		fail("connect_tcp");
	F[s].close(fd);
}

static void c_connect_udp(int s)
{
	if (F[s].connect(udp_fd, (struct sockaddr *)&lo_addr, sizeof lo_addr) < 0)
		fail("connect_udp");
}

static void c_getaddrinfo(int s)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
	if (F[s].getaddrinfo("localhost", "443", &hints, &res) != 0)
		fail("getaddrinfo");
	F[s].freeaddrinfo(res);
}

static void c_listen(int s)
{
	if (F[s].listen(listen_fd, 4096) < 0)
		fail("listen");
}

static void c_mkstemp_einval(int s)
{
	char t[600];
	memcpy(t, mk_tmpl, mk_tmpl_len + 1); /* no XXXXXX: EINVAL in libc, no system call */
	if (F[s].mkstemp(t) != -1 || errno != EINVAL)
		fail("mkstemp_einval");
}

/* Not a hook: the kernel's side of fnshield's open. "shim" = openat2(RESOLVE_NO_SYMLINKS), the
 * system call checked_open makes; "libc" = openat, the one libc makes. Raw system calls, so no
 * hook (fnshield also interposes syscall()) is on either side. */
static long raw_syscall4(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static void c_k_openat2(int s)
{
	struct {
		uint64_t flags, mode, resolve;
	} how = {O_RDONLY | O_CLOEXEC, 0, 0x04 /* RESOLVE_NO_SYMLINKS */};
	long fd = s == SHIM ? raw_syscall4(437 /* openat2 */, AT_FDCWD, (long)p_short, (long)&how, sizeof how)
			    : raw_syscall4(257 /* openat */, AT_FDCWD, (long)p_short, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		errno = (int)-fd;
		fail("k_openat2");
	}
	raw_syscall4(3 /* close */, fd, 0, 0, 0);
}

struct bcase {
	const char *name;
	const char *what;
	void (*one)(int side);
	long max_batch;           /* pairs between two after_batch() calls; 0: any */
	void (*after_batch)(void);
};

static const struct bcase cases[] = {
	{"open_short", "open(abs short, O_RDONLY)+close [read]", c_open_short, 0, NULL},
	{"open_35", "open(abs, 35 bytes, O_RDONLY)+close [read]", c_open_35, 0, NULL},
	{"open_long", "open(abs long, O_RDONLY)+close [read]", c_open_long, 0, NULL},
	{"open_missing", "open(missing file, O_RDONLY) -> ENOENT, one hook [read]", c_open_missing, 0, NULL},
	{"open_rel", "open(relative, O_RDONLY)+close [read]", c_open_rel, 0, NULL},
	{"open_write", "open(abs short, O_WRONLY|O_APPEND)+close [write]", c_open_write, 0, NULL},
	{"openat_abs", "openat(AT_FDCWD, abs short)+close [read]", c_openat_abs, 0, NULL},
	{"openat_dirfd", "openat(dirfd, relative)+close [read]", c_openat_dirfd, 0, NULL},
	{"fopen", "fopen(abs short, \"re\")+fclose [read]", c_fopen, 0, NULL},
	{"close_bad", "close(-1) [close hook, no category]", c_close_bad, 0, NULL},
	{"read_null", "read(/dev/null, 1) [read() hook, no category]", c_read_null, 0, NULL},
	{"exec_noexec", "execve(mode-0644 file) -> EACCES [exec]", c_exec_noexec, 0, NULL},
	{"connect_tcp", "socket+connect(127.0.0.1, non-blocking)+close [connect]", c_connect_tcp, 1000, drain},
	{"connect_udp", "connect(UDP socket, 127.0.0.1) [connect]", c_connect_udp, 0, NULL},
	{"getaddrinfo", "getaddrinfo(\"localhost\")+freeaddrinfo [dns]", c_getaddrinfo, 0, NULL},
	{"listen", "listen() again on a listener [listen: never restricted]", c_listen, 0, NULL},
	{"mkstemp_einval", "mkstemp(no XXXXXX) -> EINVAL, no system call [write]", c_mkstemp_einval, 0, NULL},
	{"k_openat2", "kernel only: openat2(RESOLVE_NO_SYMLINKS) vs openat, abs short, raw syscalls", c_k_openat2, 0, NULL},
	{NULL, NULL, NULL, 0, NULL},
};

static void run_n(const struct bcase *c, int s, long n)
{
	for (long i = 0; i < n; i++)
		c->one(s);
}

/* ---- timing ----------------------------------------------------------------------------
 * Every call is timed on its own with the time-stamp counter, and the two sides alternate call
 * by call (shim, libc, libc, shim, ...): a pair of neighbouring calls sees the same machine, so
 * another tenant's burst or an interrupt lands on one call, not on one side. Per batch of
 * pairs: the mean of each side (what a program pays on average, tails included), the median of
 * each side, and the median and the 10%-trimmed mean of the pairs' differences (robust against
 * the tails; the trimmed mean is the figure the targets are judged on, see trimmed_mean_i64).
 * The batches are the repetitions whose spread is reported. */

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static double median_i64(int64_t *v, long n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_i64);
	return n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
}

/* Mean of the middle 80% (v sorted by median_i64 first). This VM's time-stamp counter advances
 * in steps of about 10 ns, so a median of differences is a multiple of 10 ns; a mean is not
 * (the steps fall at random phases and average out), and trimming keeps it robust. */
static double trimmed_mean_i64(const int64_t *v, long n)
{
	long lo = n / 10, hi = n - n / 10;
	double sum = 0;
	for (long i = lo; i < hi; i++)
		sum += (double)v[i];
	return hi > lo ? sum / (double)(hi - lo) : 0;
}

static int selected(const char *list, const char *name)
{
	if (!strcmp(list, "all"))
		return 1;
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == n && !memcmp(p, name, n))
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

static void print_array(const char *key, const double *v, long n, double scale)
{
	printf(",\"%s\":[", key);
	for (long i = 0; i < n; i++)
		printf("%s%.2f", i ? "," : "", v[i] * scale);
	printf("]");
}

static void time_case(const struct bcase *c, long pairs, long batch)
{
	if (c->max_batch && batch > c->max_batch)
		batch = c->max_batch;
	long nb = (pairs + batch - 1) / batch;
	int64_t *d[2], *diff;
	d[0] = malloc((size_t)batch * sizeof(int64_t));
	d[1] = malloc((size_t)batch * sizeof(int64_t));
	diff = malloc((size_t)batch * sizeof(int64_t));
	double *mean[2], *med[2], *mdiff, *tdiff;
	for (int s = 0; s < 2; s++) {
		mean[s] = calloc((size_t)nb, sizeof(double));
		med[s] = calloc((size_t)nb, sizeof(double));
	}
	mdiff = calloc((size_t)nb, sizeof(double));
	tdiff = calloc((size_t)nb, sizeof(double));

	/* warm-up: caches, the dentry cache, lazy state on both sides */
	for (int s = 0; s < 2; s++) {
		run_n(c, s, batch / 10 + 10);
		if (c->after_batch)
			c->after_batch();
	}
	double w0 = now_ns();
	uint64_t c0 = tsc();
	for (long b = 0; b < nb; b++) {
		int64_t sum[2] = {0, 0};
		for (long i = 0; i < batch; i++) {
			int first = ((i ^ b) & 1) ? LIBC : SHIM, second = !first;
			uint64_t t0 = tsc();
			c->one(first);
			uint64_t t1 = tsc();
			c->one(second);
			uint64_t t2 = tsc();
			d[first][i] = (int64_t)(t1 - t0);
			d[second][i] = (int64_t)(t2 - t1);
			diff[i] = d[SHIM][i] - d[LIBC][i];
			sum[first] += d[first][i];
			sum[second] += d[second][i];
		}
		if (c->after_batch)
			c->after_batch();
		for (int s = 0; s < 2; s++) {
			mean[s][b] = (double)sum[s] / (double)batch;
			med[s][b] = median_i64(d[s], batch);
		}
		mdiff[b] = median_i64(diff, batch);
		tdiff[b] = trimmed_mean_i64(diff, batch);
	}
	uint64_t c1 = tsc();
	double w1 = now_ns();
	double ns_per_tick = (w1 - w0) / (double)(c1 - c0);

	printf("{\"case\":\"%s\",\"what\":\"", c->name);
	for (const char *p = c->what; *p; p++)
		printf(*p == '"' ? "\\\"" : "%c", *p);
	printf("\",\"preloaded\":%s,\"pairs\":%ld,\"batch\":%ld,\"batches\":%ld,\"ns_per_tick\":%.6f,"
	       "\"wall_s\":%.2f",
	       preloaded ? "true" : "false", nb * batch, batch, nb, ns_per_tick, (w1 - w0) / 1e9);
	print_array("shim_mean_ns", mean[SHIM], nb, ns_per_tick);
	print_array("libc_mean_ns", mean[LIBC], nb, ns_per_tick);
	print_array("shim_median_ns", med[SHIM], nb, ns_per_tick);
	print_array("libc_median_ns", med[LIBC], nb, ns_per_tick);
	print_array("diff_median_ns", mdiff, nb, ns_per_tick);
	print_array("diff_trimmed_ns", tdiff, nb, ns_per_tick);
	printf("}\n");
	fflush(stdout);
	for (int s = 0; s < 2; s++) {
		free(d[s]);
		free(mean[s]);
		free(med[s]);
	}
	free(diff);
	free(mdiff);
	free(tdiff);
}

/* ---- counting (bench/icount single-steps the loops between two markers) ----------------- */

/* MICRO_NO_MARKER=1 turns the markers off, for tools that count the whole run instead
 * (bench/run.py cross-checks bench/icount against valgrind's callgrind that way). */
static int no_marker;

__attribute__((noinline)) void bench_marker(void)
{
	if (!no_marker)
		__asm__ volatile("int3" ::: "memory");
}

static void count_case(const struct bcase *c, long calls)
{
	for (int s = 0; s < 2; s++) { /* warm-up outside the counted region */
		run_n(c, s, 3);
		if (c->after_batch)
			c->after_batch();
	}
	for (int s = SHIM; s >= LIBC; s--) {
		printf("%s %s %ld\n", c->name, s == SHIM ? "shim" : "libc", calls);
		fflush(stdout);
		bench_marker();
		run_n(c, s, calls);
		bench_marker();
		if (c->after_batch)
			c->after_batch();
	}
}

/* ---- the seccomp backstop's tax ----------------------------------------------------------
 * A filter applies to the whole process, to both sides of every comparison above, so those
 * cannot see it. Here the same raw system calls are timed before and after the library is
 * dlopen()ed into this (unpreloaded) process: its constructor compiles the policy and installs
 * the filter as it does at preload; its hooks are not interposed (nothing binds to them).
 * Before/after rather than alternating (a filter cannot be removed), in short batches. */
static void tax(const char *lib, long calls)
{
	enum { B = 20 };
	long per = calls / B > 0 ? calls / B : 1;
	const char *names[] = {"close(-1)", "getppid", "socket(AF_UNIX)+close", "openat2+close"};
	double t[2][4][B];
	for (int phase = 0; phase < 2; phase++) {
		if (phase == 1 && !dlopen(lib, RTLD_NOW | RTLD_GLOBAL)) {
			fprintf(stderr, "micro: dlopen %s: %s\n", lib, dlerror());
			exit(2);
		}
		for (int b = 0; b < B; b++)
			for (int k = 0; k < 4; k++) {
				double t0 = now_ns();
				for (long i = 0; i < per; i++) {
					if (k == 0) {
						raw_syscall4(3, -1, 0, 0, 0);
					} else if (k == 1) {
						raw_syscall4(110, 0, 0, 0, 0);
					} else if (k == 2) {
						long fd = raw_syscall4(41, AF_UNIX, SOCK_DGRAM, 0, 0);
						raw_syscall4(3, fd, 0, 0, 0);
					} else {
						c_k_openat2(SHIM);
					}
				}
				t[phase][k][b] = (now_ns() - t0) / (double)per;
			}
	}
	printf("{\"tax\":true,\"calls_per_phase\":%ld", per * B);
	for (int k = 0; k < 4; k++) {
		printf(",\"%s\":{\"before_ns\":[", names[k]);
		for (int b = 0; b < B; b++)
			printf("%s%.2f", b ? "," : "", t[0][k][b]);
		printf("],\"after_ns\":[");
		for (int b = 0; b < B; b++)
			printf("%s%.2f", b ? "," : "", t[1][k][b]);
		printf("]}");
	}
	printf("}\n");
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "tax")) {
		resolve();
		setup();
		tax(argv[2], atol(argv[3]));
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		for (const struct bcase *c = cases; c->name; c++)
			printf("%s\t%s\n", c->name, c->what);
		return 0;
	}
	if (argc < 4 || (strcmp(argv[1], "time") && strcmp(argv[1], "count")) ||
	    (!strcmp(argv[1], "time") && argc < 5)) {
		fprintf(stderr, "usage: micro time CASES PAIRS BATCH | micro count CASES CALLS | micro list\n");
		return 2;
	}
	resolve();
	setup();
	no_marker = getenv("MICRO_NO_MARKER") != NULL;
	for (const struct bcase *c = cases; c->name; c++) {
		if (!selected(argv[2], c->name))
			continue;
		if (!strcmp(argv[1], "time"))
			time_case(c, atoi(argv[3]), atol(argv[4]));
		else
			count_case(c, atol(argv[3]));
	}
	return 0;
}

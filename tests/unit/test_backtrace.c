/*
 * test_backtrace.c — native backtraces (shim/backtrace.c): names from a known call chain, the
 * byte and depth bounds, and capture from a signal handler, 8 threads at once, a vfork child,
 * a fork child while other threads capture, through code without unwind information (with a
 * garbage frame pointer), and through a library loaded after the first capture; errno and the
 * descriptor table untouched; the cost of one capture.
 *
 * The chain functions are exported (the unit-test binary is linked with -rdynamic) so that
 * their names are in .dynsym, where backtrace.c looks names up.
 */
#include "backtrace.h"
#include "jsonw.h"
#include "logline.h"
#include "policy.h"
#include "report.h"
#include "state.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))
#define BARRIER() __asm__ volatile("" ::: "memory")

/* ---- helpers ----------------------------------------------------------------------------------- */

/* Capture into buf as a bare array (key NULL), no frames skipped. */
static int capture_into(char *buf, size_t cap, size_t budget, int depth, unsigned flags)
{
	struct jsonw w;
	jw_init(&w, buf, cap - 1);
	int n = backtrace_jw(&w, NULL, budget, depth, flags);
	buf[w.len] = 0;
	return n;
}

/* Split a JSON array of simple strings (no escaped quotes) into frames. */
static int frames_of(const char *json, char out[][256], int max)
{
	int n = 0;
	const char *p = json;
	if (*p != '[')
		return -1;
	p++;
	while (*p == '"' && n < max) {
		const char *e = strchr(p + 1, '"');
		if (!e)
			return -1;
		size_t l = (size_t)(e - p - 1);
		if (l > 255)
			l = 255;
		memcpy(out[n], p + 1, l);
		out[n][l] = 0;
		n++;
		p = e + 1;
		if (*p == ',')
			p++;
	}
	return *p == ']' && p[1] == 0 ? n : -1;
}

/* Index of the first frame naming `sym` (as "... sym"), or -1. */
static int find_sym(char fr[][256], int n, const char *sym)
{
	for (int i = 0; i < n; i++) {
		const char *sp = strchr(fr[i], ' ');
		if (sp && !strcmp(sp + 1, sym))
			return i;
	}
	return -1;
}

/* ---- the known chain --------------------------------------------------------------------------- */

NOINLINE int bt_chain_c(char *buf, size_t cap)
{
	int n = capture_into(buf, cap, cap - 1, BACKTRACE_DEPTH, 0);
	BARRIER();
	return n;
}

NOINLINE int bt_chain_b(char *buf, size_t cap)
{
	int n = bt_chain_c(buf, cap);
	BARRIER();
	return n + 0 * (int)cap;
}

NOINLINE int bt_chain_a(char *buf, size_t cap)
{
	int n = bt_chain_b(buf, cap);
	BARRIER();
	return n;
}

static void expect_chain(const char *json)
{
	char fr[64][256];
	int n = frames_of(json, fr, 64);
	cr_assert_gt(n, 3, "frames: %s", json);
	int c = find_sym(fr, n, "bt_chain_c"), b = find_sym(fr, n, "bt_chain_b"),
	    a = find_sym(fr, n, "bt_chain_a");
	cr_assert(c >= 0 && b == c + 1 && a == b + 1, "want bt_chain_c, _b, _a in a row: %s", json);
	cr_assert(!strncmp(fr[c], "unit-tests+0x", 13), "module+offset: %s", fr[c]);
}

Test(backtrace, known_chain_has_the_function_names_innermost_first)
{
	char buf[4096];
	int n = bt_chain_a(buf, sizeof buf);
	cr_assert_gt(n, 0);
	expect_chain(buf);
}

Test(backtrace, own_frames_are_skipped)
{
	/* In this binary the test itself is "own" code: with BT_SKIP_OWN the first frame is the
	 * caller of the test, in Criterion's library. */
	char buf[4096], fr[64][256];
	capture_into(buf, sizeof buf, sizeof buf - 1, BACKTRACE_DEPTH, BT_SKIP_OWN);
	int n = frames_of(buf, fr, 64);
	cr_assert_gt(n, 0, "%s", buf);
	cr_assert(!strncmp(fr[0], "libcriterion.so", 15), "first frame %s: %s", fr[0], buf);
	char out[2048];
	size_t len = backtrace_json(out, sizeof out);
	cr_assert_eq(len, strlen(out));
	cr_assert(!strncmp(out, "[\"libcriterion.so", 17), "%s", out);
}

Test(backtrace, key_and_comma_in_a_line)
{
	char buf[1024];
	struct jsonw w;
	jw_init(&w, buf, sizeof buf - 1);
	jw_object_open(&w);
	jw_str(&w, "a", "b", 8);
	backtrace_jw(&w, "backtrace", 600, 4, 0);
	jw_str(&w, "rule", "x", 8);
	jw_object_close(&w);
	buf[w.len] = 0;
	cr_assert(!strncmp(buf, "{\"a\":\"b\",\"backtrace\":[\"unit-tests+0x", 35), "%s", buf);
	cr_assert(strstr(buf, "\"],\"rule\":\"x\"}"), "%s", buf);
}

/* ---- bounds ------------------------------------------------------------------------------------ */

Test(backtrace, depth_bound)
{
	char buf[4096], fr[64][256];
	int n = capture_into(buf, sizeof buf, sizeof buf - 1, 3, 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(frames_of(buf, fr, 64), 3, "%s", buf);
	cr_assert(!strstr(buf, "truncated"));
}

Test(backtrace, byte_budget_is_never_exceeded)
{
	for (size_t budget = 0; budget <= 700; budget += 7) {
		char buf[4096];
		struct jsonw w;
		jw_init(&w, buf, sizeof buf - 1);
		int n = backtrace_jw(&w, NULL, budget, BACKTRACE_DEPTH, 0);
		buf[w.len] = 0;
		cr_assert_leq(w.len, budget, "budget %zu: %zu bytes %s", budget, w.len, buf);
		if (n == 0) {
			cr_assert_eq(w.len, 0u, "nothing fits: nothing written (%s)", buf);
			continue;
		}
		char fr[64][256];
		int k = frames_of(buf, fr, 64);
		cr_assert_gt(k, 0, "not an array of strings: %s", buf);
		if (strstr(buf, JSONW_TRUNCATED_MARK)) {
			cr_assert_str_eq(fr[k - 1], JSONW_TRUNCATED_MARK);
			cr_assert(w.truncated);
		}
	}
	/* Also the writer's own cap: a budget larger than the room left. */
	char small[64];
	struct jsonw w;
	jw_init(&w, small, sizeof small - 1);
	backtrace_jw(&w, "backtrace", 4096, BACKTRACE_DEPTH, 0);
	cr_assert_leq(w.len, sizeof small - 1);
}

/* A violation line as the library writes it: the context from the process's state
 * (shim/report.c), which adds the backtrace when the policy asks. */
static size_t format_as_the_library(const struct violation *v, char *buf, size_t cap)
{
	struct log_context c;
	struct lambda_ids ids;
	report_context(&c, &ids);
	return logline_format_violation(&c, v, buf, cap);
}

/* A violation line with a backtrace and every variable field at its largest stays within 4096
 * bytes and is one JSON object (balanced, ends with "}\n"). */
Test(backtrace, violation_line_with_backtrace_stays_within_4096)
{
	struct fs_errors e;
	const char *text = "{\"version\":1,\"log\":{\"backtrace\":true}}";
	struct fs_policy *p = fs_policy_compile(text, strlen(text), NULL, &e);
	cr_assert(p);
	cr_assert(fs_policy_backtrace(p));
	g_shim.policy = p;
	static char big[6000];
	memset(big, 'x', sizeof big - 1);
	big[0] = '/';
	char *argv[200];
	for (int i = 0; i < 199; i++)
		argv[i] = big;
	argv[199] = NULL;
	struct violation v = {
		.category = FS_EXEC, .call = "execve", .target = big, .resolved = big, .argv = argv,
		.verdict = {.action = FS_BLOCK, .list = FS_LIST_DEFAULT, .index = -1},
		.action = FS_BLOCK,
	};
	char buf[LOGLINE_MAX + 1];
	size_t n = format_as_the_library(&v, buf, LOGLINE_MAX);
	buf[n] = 0;
	g_shim.policy = NULL;
	cr_assert_leq(n, (size_t)LOGLINE_MAX);
	cr_assert_eq(buf[n - 1], '\n');
	cr_assert_eq(buf[n - 2], '}');
	if (strstr(buf, "\"backtrace\":[")) {
		cr_assert(strstr(buf, "\"backtrace\":[\"") && strstr(buf, "\"],\"rule\":"), "%s", buf);
	}
	/* A short line has room for it. */
	struct violation s = {
		.category = FS_READ, .call = "open", .target = "/etc/passwd",
		.verdict = {.action = FS_BLOCK, .list = FS_LIST_DEFAULT, .index = -1},
		.action = FS_BLOCK,
	};
	g_shim.policy = p;
	n = format_as_the_library(&s, buf, LOGLINE_MAX);
	buf[n] = 0;
	/* Summary lines stand for many occurrences: no backtrace. */
	s.count = 5;
	char buf2[LOGLINE_MAX + 1];
	size_t n2 = format_as_the_library(&s, buf2, LOGLINE_MAX);
	buf2[n2] = 0;
	g_shim.policy = NULL;
	char plain[LOGLINE_MAX + 1];
	s.count = 0;
	size_t n3 = format_as_the_library(&s, plain, LOGLINE_MAX);
	plain[n3] = 0;
	fs_policy_free(p);
	cr_assert(strstr(buf, "\"backtrace\":[\"libcriterion.so"), "%s", buf);
	cr_assert(strstr(buf, "\"],\"rule\":\"read.default\""), "%s", buf);
	cr_assert(!strstr(buf2, "backtrace"), "%s", buf2);
	cr_assert(!strstr(plain, "backtrace"), "without the switch, no field: %s", plain);
}

/* ---- contexts ---------------------------------------------------------------------------------- */

static char sig_buf[4096];
static volatile sig_atomic_t sig_n;

NOINLINE void bt_sig_handler(int sig)
{
	(void)sig;
	sig_n = capture_into(sig_buf, sizeof sig_buf, sizeof sig_buf - 1, BACKTRACE_DEPTH, 0);
	BARRIER();
}

NOINLINE int bt_sig_raiser(void)
{
	int r = raise(SIGUSR1);
	BARRIER();
	return r;
}

Test(backtrace, from_a_signal_handler_through_the_signal_frame)
{
	struct sigaction sa = {.sa_handler = bt_sig_handler};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	bt_sig_raiser();
	cr_assert_gt(sig_n, 0);
	char fr[64][256];
	int n = frames_of(sig_buf, fr, 64);
	int h = find_sym(fr, n, "bt_sig_handler"), r = find_sym(fr, n, "bt_sig_raiser");
	cr_assert(h >= 0 && r > h, "handler, then (past the signal frame) the raiser: %s", sig_buf);
}

/* 8 threads capture in a loop while the main thread sends them signals whose handler captures
 * too: every capture is whole and names the chain. */
static atomic_int bad, done_threads;
static __thread char thr_sig_buf[4096];

static void thr_handler(int sig)
{
	(void)sig;
	int saved = errno;
	if (capture_into(thr_sig_buf, sizeof thr_sig_buf, sizeof thr_sig_buf - 1, 8, 0) > 0) {
		char fr[16][256];
		if (frames_of(thr_sig_buf, fr, 16) <= 0)
			atomic_fetch_add(&bad, 1);
	}
	errno = saved;
}

static void *thr_main(void *arg)
{
	(void)arg;
	char buf[4096];
	for (int i = 0; i < 200; i++) {
		buf[0] = 0;
		int n = bt_chain_a(buf, sizeof buf);
		char fr[64][256];
		int k = frames_of(buf, fr, 64);
		if (n <= 0 || k <= 0 || find_sym(fr, k, "bt_chain_a") < 0 || find_sym(fr, k, "thr_main") >= 0)
			atomic_fetch_add(&bad, 1); /* thr_main is static: never named */
	}
	atomic_fetch_add(&done_threads, 1);
	return NULL;
}

Test(backtrace, eight_threads_and_signals_at_once)
{
	struct sigaction sa = {.sa_handler = thr_handler};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, thr_main, NULL), 0);
	while (atomic_load(&done_threads) < 8) {
		for (int i = 0; i < 8; i++)
			pthread_kill(t[i], SIGUSR2);
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
		if (atomic_load(&done_threads) >= 8)
			break;
	}
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&bad), 0);
}

static char vfork_buf[4096];
static int vfork_n;

Test(backtrace, in_a_vfork_child)
{
	/* The child shares our memory: its capture lands in vfork_buf. */
	pid_t pid = vfork();
	if (pid == 0) {
		vfork_n = bt_chain_a(vfork_buf, sizeof vfork_buf);
		_exit(0);
	}
	cr_assert_gt(pid, 0);
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_gt(vfork_n, 0);
	expect_chain(vfork_buf);
	/* ... and the parent still captures afterwards (the lock was released). */
	char buf[4096];
	cr_assert_gt(bt_chain_a(buf, sizeof buf), 0);
}

static atomic_int stop_fork_threads;

static void *capture_loop(void *arg)
{
	(void)arg;
	char buf[4096];
	while (!atomic_load(&stop_fork_threads))
		bt_chain_a(buf, sizeof buf);
	return NULL;
}

Test(backtrace, fork_while_other_threads_capture)
{
	/* A fork child must never inherit the unwinder's lock held by a thread it does not have. */
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, capture_loop, NULL);
	int failures = 0;
	for (int i = 0; i < 40; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(5);
			char buf[4096];
			_exit(bt_chain_a(buf, sizeof buf) > 0 ? 0 : 1);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failures++;
	}
	atomic_store(&stop_fork_threads, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(failures, 0);
}

/* ---- code without unwind information ----------------------------------------------------------- */

#if defined(__x86_64__)
static char jit_buf[4096];
static int jit_n;

NOINLINE void bt_jit_callee(void)
{
	jit_n = capture_into(jit_buf, sizeof jit_buf, sizeof jit_buf - 1, BACKTRACE_DEPTH, 0);
	BARRIER();
}

/* push rbp; movabs rbp, FP; call rdi; pop rbp; ret — in an anonymous executable page, so no
 * module and no unwind information: the unwinder must fall back on the frame pointer, which
 * here points at unreadable memory, and stop there without faulting. */
static void run_jit(uintptr_t fp)
{
	unsigned char code[] = {0x55, 0x48, 0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xd7, 0x5d, 0xc3};
	memcpy(code + 3, &fp, 8);
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(page, MAP_FAILED);
	memcpy(page, code, sizeof code);
	mprotect(page, 4096, PROT_READ | PROT_EXEC);
	((void (*)(void (*)(void)))page)(bt_jit_callee);
	munmap(page, 4096);
	char fr[64][256];
	int n = frames_of(jit_buf, fr, 64);
	cr_assert_gt(n, 0, "%s", jit_buf);
	int c = find_sym(fr, n, "bt_jit_callee");
	cr_assert(c >= 0 && c + 1 < n, "%s", jit_buf);
	cr_assert(!strncmp(fr[c + 1], "0x", 2), "the JIT frame is a bare address: %s", jit_buf);
}

Test(backtrace, through_code_without_unwind_info_and_a_bad_frame_pointer)
{
	run_jit(0xdead0000);                  /* unmapped */
	void *none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	run_jit((uintptr_t)none + 64);        /* mapped, not readable (mincore would say fine) */
	run_jit(8);                           /* near NULL */
	munmap(none, 8192);
}
#endif

/* ---- a library loaded after the first capture -------------------------------------------------- */

typedef struct {
	const unsigned char *next_in;
	unsigned avail_in;
	unsigned long total_in;
	unsigned char *next_out;
	unsigned avail_out;
	unsigned long total_out;
	const char *msg;
	void *state;
	void *(*zalloc)(void *, unsigned, unsigned);
	void (*zfree)(void *, void *);
	void *opaque;
	int data_type;
	unsigned long adler, reserved;
} zstream;

static char z_buf[4096];
static int z_n;

NOINLINE void *bt_zalloc(void *opaque, unsigned items, unsigned size)
{
	(void)opaque;
	if (!z_n)
		z_n = capture_into(z_buf, sizeof z_buf, sizeof z_buf - 1, BACKTRACE_DEPTH, 0);
	return calloc(items, size);
}

static void bt_zfree(void *opaque, void *p)
{
	(void)opaque;
	free(p);
}

Test(backtrace, library_loaded_after_the_first_capture)
{
	char buf[4096];
	cr_assert_gt(bt_chain_a(buf, sizeof buf), 0); /* the module table is read now */
	void *z = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	cr_assert(z, "%s", dlerror());
	int (*deflate_init)(zstream *, int, const char *, int) =
		(int (*)(zstream *, int, const char *, int))dlsym(z, "deflateInit_");
	int (*deflate_end)(zstream *) = (int (*)(zstream *))dlsym(z, "deflateEnd");
	const char *(*zversion)(void) = (const char *(*)(void))dlsym(z, "zlibVersion");
	cr_assert(deflate_init && deflate_end && zversion);
	struct timespec ts = {0, 300000000}; /* past the table's refresh interval */
	nanosleep(&ts, NULL);
	zstream s;
	memset(&s, 0, sizeof s);
	s.zalloc = bt_zalloc;
	s.zfree = bt_zfree;
	cr_assert_eq(deflate_init(&s, 6, zversion(), (int)sizeof s), 0);
	deflate_end(&s);
	cr_assert_gt(z_n, 0);
	char fr[64][256];
	int n = frames_of(z_buf, fr, 64);
	int a = find_sym(fr, n, "bt_zalloc");
	cr_assert(a >= 0 && a + 1 < n, "%s", z_buf);
	cr_assert(!strncmp(fr[a + 1], "libz.so.1", 9), "the caller is in libz: %s", z_buf);
	cr_assert(strstr(z_buf, "deflateInit2_") || strstr(z_buf, "deflateInit_"), "%s", z_buf);
	dlclose(z);
}

/* ---- side effects and cost --------------------------------------------------------------------- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

Test(backtrace, errno_and_descriptors_untouched)
{
	int before = count_fds();
	char buf[4096];
	errno = 4242;
	bt_chain_a(buf, sizeof buf);
	cr_assert_eq(errno, 4242);
	cr_assert_eq(count_fds(), before, "libunwind's validation pipe must not exist");
}

Test(backtrace, cost_of_one_capture)
{
	char buf[4096];
	bt_chain_a(buf, sizeof buf); /* table and caches warm */
	enum { N = 2000 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < N; i++)
		bt_chain_a(buf, sizeof buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / N;
	char fr[64][256];
	int n = frames_of(buf, fr, 64);
	fprintf(stderr, "backtrace: %d frames, %zu bytes, %.0f ns per capture (warm)\n", n, strlen(buf), ns);
	cr_assert_lt(ns, 1e6, "a capture should take microseconds, took %.0f ns", ns);
}

/*
 * origin.c — the "stack" and "origin" of a violation line, whatever the runtime (origin.h).
 */
#include "origin.h"
#include "exe.h"
#include "fields.h"
#include "logline.h"
#include "state.h"
#include "sys.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum origin_runtime runtime SHIM_LOAD_STATE; /* this process's, fixed by origin_setup */
static long runtime_pid SHIM_LOAD_STATE;          /* the process whose runtime that is (not a forked child) */
static char task_root[256];         /* LAMBDA_TASK_ROOT, where a function's own code is */
static size_t task_root_len SHIM_LOAD_STATE;

/* A fragment carried into this process (jspawnhelper; a Node.js fork child). */
static char carried[ORIGIN_CARRY_MAX];
static size_t carried_len;

static const char *const RUNTIME_NAMES[] = {[ORIGIN_PYTHON] = "python", [ORIGIN_NODE] = "node",
					    [ORIGIN_JAVA] = "java"};

/* ---- packages, from a file's path ---------------------------------------------------------- */

/* The first path component at or after p, without a ".py" suffix (a module file directly under
 * site-packages is its own package). */
static size_t component(const char *p, size_t n, const char **start)
{
	*start = p;
	size_t k = 0;
	while (k < n && p[k] != '/')
		k++;
	if (k == n) /* a file, not a directory: a module */
		for (size_t dot = k; dot > 0; dot--)
			if (p[dot - 1] == '.') {
				k = dot - 1;
				break;
			}
	return k;
}

static const char *find(const char *s, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(s + i, lit, m))
			return s + i;
	return NULL;
}

static const char *find_last(const char *s, size_t n, const char *lit)
{
	const char *last = NULL;
	for (const char *p = find(s, n, lit); p; p = find(p + 1, n - (size_t)(p + 1 - s), lit))
		last = p;
	return last;
}

/* Python: the top-level package under site-packages, dist-packages, the task root or
 * /opt/python (a layer's code). */
static size_t python_package(const char *f, size_t n, const char **pkg)
{
	static const char *const DIRS[] = {"/site-packages/", "/dist-packages/"};
	for (size_t i = 0; i < sizeof DIRS / sizeof *DIRS; i++) {
		const char *d = find_last(f, n, DIRS[i]);
		if (d) {
			const char *p = d + strlen(DIRS[i]);
			return component(p, n - (size_t)(p - f), pkg);
		}
	}
	if (task_root_len && n > task_root_len + 1 && !memcmp(f, task_root, task_root_len) &&
	    f[task_root_len] == '/')
		return component(f + task_root_len + 1, n - task_root_len - 1, pkg);
	if (n > 12 && !memcmp(f, "/opt/python/", 12))
		return component(f + 12, n - 12, pkg);
	return 0;
}

/* Node.js: the name under the last node_modules, with its @scope. */
static size_t node_package(const char *f, size_t n, const char **pkg)
{
	const char *d = find_last(f, n, "/node_modules/");
	if (!d)
		return 0;
	const char *p = d + 14, *end = f + n;
	*pkg = p;
	const char *q = p;
	while (q < end && *q != '/')
		q++;
	if (*p == '@' && q < end)
		for (q++; q < end && *q != '/'; q++)
			;
	return q < end ? (size_t)(q - p) : 0; /* a file directly in node_modules is no package */
}

/* ---- writing -------------------------------------------------------------------------------- */

static void keep(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

int origin_frame(struct origin_out *o, const char *file, size_t file_len, const char *function,
		 size_t function_len, int line, int library)
{
	o->walked++;
	if (!library && !o->have_origin) {
		o->have_origin = 1;
		o->origin_line = line;
		keep(o->origin_file, sizeof o->origin_file, file, file_len);
		keep(o->origin_function, sizeof o->origin_function, function, function_len);
		const char *pkg = NULL;
		size_t k = o->runtime == ORIGIN_PYTHON ? python_package(file, file_len, &pkg) :
			   o->runtime == ORIGIN_NODE   ? node_package(file, file_len, &pkg) : 0;
		keep(o->origin_package, sizeof o->origin_package, pkg ? pkg : "", k);
	}
	if (!o->stack_full && o->written < ORIGIN_FRAMES) {
		struct jsonw *w = o->w;
		size_t mark = w->len;
		int comma = w->need_comma, cut = w->truncated;
		jw_object_open(w);
		jw_strn(w, LO_FILE, file, file_len, 300);
		jw_int(w, LO_LINE, line);
		jw_strn(w, LO_FUNCTION, function, function_len, 160);
		jw_object_close(w);
		/* A frame that does not fit whole, with the array's "]" after it, is not written. */
		if (w->len + 1 > o->stack_end || w->len + 1 >= w->cap) {
			w->len = mark;
			w->need_comma = comma;
			w->truncated = cut;
			o->stack_full = 1;
		} else {
			o->written++;
		}
	}
	if (o->written >= ORIGIN_FRAMES)
		o->stack_full = 1;
	return (o->stack_full && o->have_origin) || o->walked >= ORIGIN_WALK_MAX;
}

void origin_set_package(struct origin_out *o, const char *package, size_t len)
{
	if (o->have_origin)
		keep(o->origin_package, sizeof o->origin_package, package, len);
}

static int walk(struct origin_out *o)
{
	switch (runtime) {
	case ORIGIN_PYTHON:
		return origin_python_walk(o);
	case ORIGIN_NODE:
		/* V8 runs only in the process that owns it: never in a forked child. */
		return sys_getpid() == runtime_pid && origin_node_walk(o);
	case ORIGIN_JAVA:
		return sys_getpid() == runtime_pid && origin_java_walk(o);
	default:
		return 0;
	}
}

/* Append already formatted members when they fit. */
static int put_members(struct jsonw *w, const char *json, size_t n, size_t budget)
{
	if (n + 1 > budget || w->len + n + 1 >= w->cap)
		return 0;
	if (w->need_comma)
		w->buf[w->len++] = ',';
	memcpy(w->buf + w->len, json, n);
	w->len += n;
	w->need_comma = 1;
	return 1;
}

/* Taken by this thread just before it forked or vforked (per thread: two threads may fork at
 * once). A vfork child shares this memory, thread-local storage included, and reads it in
 * place; a fork child copies it into carried (in_child). */
static __thread __attribute__((tls_model("initial-exec"))) char prefork[ORIGIN_CARRY_MAX];
static __thread __attribute__((tls_model("initial-exec"))) size_t prefork_len;

int origin_jw(struct jsonw *w, size_t budget)
{
	if (carried_len)
		return put_members(w, carried, carried_len, budget);
	if (prefork_len && runtime == ORIGIN_JAVA && sys_getpid() != runtime_pid)
		return put_members(w, prefork, prefork_len, budget); /* a vfork child of the JVM */
	if (runtime == ORIGIN_NONE || budget < LOGLINE_ORIGIN_MAX)
		return 0;
	int saved = errno;
	struct origin_out o = {.w = w, .runtime = runtime};
	size_t mark = w->len;
	int comma = w->need_comma, cut = w->truncated;
	jw_array_open(w, LF_STACK);
	o.stack_end = mark + budget - LOGLINE_ORIGIN_MAX;
	int ok = walk(&o);
	if (!ok || o.walked == 0) {
		w->len = mark;
		w->need_comma = comma;
		w->truncated = cut;
		errno = saved;
		return 0;
	}
	jw_array_close(w);
	if (o.have_origin) {
		jw_object_open_key(w, LF_ORIGIN);
		jw_str(w, LO_RUNTIME, RUNTIME_NAMES[runtime], 8);
		jw_str(w, LO_FILE, o.origin_file, 300);
		jw_int(w, LO_LINE, o.origin_line);
		jw_str(w, LO_FUNCTION, o.origin_function, 170);
		if (o.origin_package[0])
			jw_str(w, LO_PACKAGE, o.origin_package, 140);
		jw_object_close(w);
	}
	errno = saved;
	return o.written;
}

size_t origin_capture(char *out, size_t cap)
{
	struct jsonw w;
	jw_init(&w, out, cap);
	if (carried_len)
		return put_members(&w, carried, carried_len, cap) ? w.len : 0;
	origin_jw(&w, cap - 1);
	out[w.len] = '\0';
	return w.len;
}

const char *origin_carry_entry(char *buf, size_t cap)
{
	static const char name[] = ORIGIN_CARRY_ENV "=";
	if (runtime == ORIGIN_NONE || cap < sizeof name + 64)
		return NULL;
	memcpy(buf, name, sizeof name - 1);
	size_t n = origin_capture(buf + sizeof name - 1, cap - (sizeof name - 1));
	return n ? buf : NULL;
}

/* ---- children: captured before the fork or vfork, written at the exec in the child --------- */

static int exec_watched(void)
{
	return !(g_shim.unrestricted[0] & g_shim.unrestricted[1] & (1u << FS_EXEC));
}

/* Node.js forks and execs in the child (libuv); JDK 11 vforks and execs in the child. The
 * capture runs only where the child's exec will be checked, and always resets: a child never
 * sees an earlier fork's stack. */
static void before_fork(void)
{
	prefork_len = 0;
	if ((runtime == ORIGIN_NODE || runtime == ORIGIN_JAVA) && exec_watched() &&
	    sys_getpid() == runtime_pid)
		prefork_len = origin_capture(prefork, sizeof prefork);
}

void origin_before_vfork(void)
{
	if (runtime == ORIGIN_JAVA)
		before_fork();
}

static void in_child(void)
{
	if (prefork_len) {
		memcpy(carried, prefork, prefork_len);
		carried_len = prefork_len;
	}
}

/* ---- setup ---------------------------------------------------------------------------------- */

/* Only the JDK's trampoline takes a carried origin: elsewhere the variable is only removed. */
static void take_carried_from_environment(void)
{
	const char *s = getenv(ORIGIN_CARRY_ENV);
	if (!s)
		return;
	const char *base = strrchr(shim_exe(), '/');
	size_t n = strlen(s);
	if (base && !strcmp(base + 1, "jspawnhelper") && n < sizeof carried) {
		memcpy(carried, s, n);
		carried_len = n;
	}
	unsetenv(ORIGIN_CARRY_ENV);
}

void origin_setup(const struct fs_policy *p, int jvm_launcher)
{
	take_carried_from_environment();
	if (!fs_policy_stack(p))
		return;
	const char *root = getenv("LAMBDA_TASK_ROOT");
	if (root && root[0] == '/' && strlen(root) < sizeof task_root) {
		task_root_len = strlen(root);
		while (task_root_len > 1 && root[task_root_len - 1] == '/')
			task_root_len--;
		memcpy(task_root, root, task_root_len);
	}
	runtime_pid = sys_getpid();
	if (origin_python_setup())
		runtime = ORIGIN_PYTHON;
	else if (origin_node_setup()) {
		runtime = ORIGIN_NODE;
		pthread_atfork(before_fork, NULL, in_child);
	} else if (jvm_launcher && origin_java_setup(shim_exe())) {
		runtime = ORIGIN_JAVA;
		pthread_atfork(before_fork, NULL, in_child);
	}
}

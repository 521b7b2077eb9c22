/* fnshield-exec — the exec wrapper that puts a Lambda function under fnshield.
 *
 *   AWS_LAMBDA_EXEC_WRAPPER=/opt/fnshield-exec
 *
 * Lambda runs this program with the runtime's whole command line as arguments
 * (/opt/fnshield-exec /var/lang/bin/python3.12 /var/runtime/bootstrap.py ...). It
 *   1. finds libfnshield.so from its own location (/proc/self/exe, links resolved):
 *      DIR/fnshield/lib/libfnshield.so — the layer, where this is /opt/fnshield-exec — or
 *      DIR/libfnshield.so — the repository, where this is build/fnshield-exec (and
 *      wrappers/fnshield-exec a link to it); or $FNSHIELD_HOME/lib/libfnshield.so, else
 *      $FNSHIELD_HOME/libfnshield.so, when FNSHIELD_HOME is set;
 *   2. makes sure the library can be loaded here: a readable, non-empty regular file, an ELF
 *      shared object for this machine (the dynamic loader would only warn about one it cannot
 *      load and start the runtime unprotected);
 *   3. puts the library first in LD_PRELOAD, keeping what other layers put there (and adding
 *      nothing if it is already listed);
 *   4. execs the runtime: argv[1..], searched in PATH when argv[1] has no '/' (like the
 *      shell's `exec`: execvpe).
 *
 * It is a static executable (no dynamic loader, no shared library: the cheapest process there
 * is to start, issue #5), built for one architecture: on a machine of the other one it does
 * not start at all, and Lambda reports the init error — the function never runs unprotected.
 * It was a POSIX sh script; on Amazon Linux /bin/sh is bash, whose start-up alone cost about a
 * millisecond of every cold start. Behaviour is the script's; error lines are the library's.
 *
 * The configuration (FNSHIELD_POLICY, FNSHIELD_POLICY_FILE, FNSHIELD_MODE) is validated by the
 * library itself as it loads into the runtime, before the runtime's own code runs: a bad policy
 * fails the function's init with one "fnshield":"error" line on stderr and exit status 78
 * (EX_CONFIG). The wrapper runs no program of its own on the way.
 *
 * Second wrapper (Lambda allows only one): FNSHIELD_NEXT_WRAPPER=/opt/other-wrapper runs that
 * wrapper first, as `other-wrapper /opt/fnshield-exec RUNTIME...` with FNSHIELD_NEXT_WRAPPER
 * removed from its environment; it does its setup and execs this program again, which then
 * protects and execs the runtime. The other wrapper thus runs before protection starts, so a
 * policy that blocks exec does not stop its own `exec "$@"`, and whatever it adds to
 * LD_PRELOAD is kept behind the library.
 *
 * Failures: one "fnshield":"error" line on stderr, written by the library's line writer
 * (log/, linked in: SPEC "Log lines": timestamp, level, message, pid, exe = argv[0], and
 * phase/function under Lambda) and
 *   64 (EX_USAGE)   no command to run;
 *   78 (EX_CONFIG)  protection cannot be set up (library missing, unreadable, not a library,
 *                   for another architecture; FNSHIELD_HOME or FNSHIELD_NEXT_WRAPPER wrong);
 *   127 / 126       the command (or the next wrapper) cannot be executed: not found / other
 *                   errors, the shell's statuses.
 * On success it prints nothing: stdout and stderr belong to the runtime.
 *
 * No allocation: fixed stack buffers for paths and the error line (every append bounded),
 * variable-length arrays sized from the arguments and environment for what is passed on.
 */
#include "fields.h"
#include "logline.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EX_USAGE 64
#define EX_CONFIG 78
#define LIBNAME "libfnshield.so"

#if defined(__x86_64__)
#define MY_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define MY_MACHINE EM_AARCH64
#else
#error "fnshield-exec: x86_64 or aarch64 only"
#endif

extern char **environ;

static const char *g_exe = "fnshield-exec"; /* argv[0], for the error line's "exe" */

/* ---- bounded text ----------------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap; /* cap includes the terminating NUL */
	int cut;         /* something did not fit */
};

static void put(struct buf *b, const char *s, size_t n)
{
	size_t room = b->cap - 1 - b->len;
	if (n > room) {
		n = room;
		b->cut = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* s concatenated: cat(&b, "a", "b", NULL). */
static void cat(struct buf *b, ...)
{
	va_list ap;
	va_start(ap, b);
	for (const char *s; (s = va_arg(ap, const char *));)
		puts_(b, s);
	va_end(ap);
}

/* ---- the error line --------------------------------------------------------------------- */

/* The value of NAME, the last one when the environment lists it twice (as a shell imports it,
 * and as ld.so reads LD_PRELOAD); NULL when absent. */
static const char *env_get(const char *name)
{
	size_t n = strlen(name);
	const char *v = NULL;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			v = *e + n + 1;
	return v;
}

static int set(const char *v) { return v && *v; }

/* {"fnshield":"error","timestamp":...,"level":"ERROR","message":...,"pid":N,"exe":...
 *  [,"phase":"init"][,"function":...]} on stderr (the library's writer, log/logline.c), then
 * exit STATUS. A message longer than a line allows is cut, marked, and the line says
 * "truncated". */
#define MSG_MAX (3 * PATH_MAX)

__attribute__((noreturn)) static void fail(int status, const char *msg)
{
	const struct log_context c = {
		.pid = getpid(),
		.exe = g_exe,
		.phase = set(env_get("AWS_LAMBDA_RUNTIME_API")) ? LP_INIT : NULL,
		.function = env_get("AWS_LAMBDA_FUNCTION_NAME"),
	};
	char line[LOGLINE_MAX];
	size_t len = logline_format_error(&c, msg, NULL, 0, 0, NULL, line, sizeof line);
	for (size_t off = 0; off < len;) { /* one write in practice: lines are not interleaved */
		ssize_t w = write(2, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	_exit(status);
}

/* fail() with the message as a NULL-terminated list of strings. */
#define FAIL(status, ...)                                         \
	do {                                                      \
		char m_[MSG_MAX];                                  \
		struct buf mb_ = {m_, 0, sizeof m_, 0};            \
		cat(&mb_, __VA_ARGS__, (const char *)NULL);        \
		fail(status, m_);                                  \
	} while (0)

/* ---- paths ------------------------------------------------------------------------------ */

/* a + b into out (PATH_MAX); 0, or -1 when too long. */
static int join(char *out, const char *a, const char *b)
{
	struct buf o = {out, 0, PATH_MAX, 0};
	cat(&o, a, b, (const char *)NULL);
	return o.cut ? -1 : 0;
}

/* The working directory as the shell's $PWD: the environment's PWD when it is absolute and
 * names this directory (it may go through links), else getcwd(). */
static int cwd(char *out)
{
	const char *pwd = env_get("PWD");
	struct stat a, d;
	if (pwd && pwd[0] == '/' && strlen(pwd) < PATH_MAX && stat(pwd, &a) == 0 &&
	    stat(".", &d) == 0 && a.st_dev == d.st_dev && a.st_ino == d.st_ino) {
		strcpy(out, pwd);
		return 0;
	}
	return getcwd(out, PATH_MAX) ? 0 : -1;
}

/* P made absolute by text, not resolved: ${PWD%/}/P when relative. */
static int absolute(char *out, const char *p)
{
	if (p[0] == '/')
		return join(out, p, "");
	char here[PATH_MAX];
	if (cwd(here) != 0)
		return -1;
	size_t n = strlen(here);
	if (n && here[n - 1] == '/')
		here[n - 1] = '\0';
	struct buf o = {out, 0, PATH_MAX, 0};
	cat(&o, here, "/", p, (const char *)NULL);
	return o.cut ? -1 : 0;
}

static int is_reg(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- the environment passed on ---------------------------------------------------------- */

/* environ without the entries named DROP, plus ADD (NULL: none). OUT has room for every
 * entry of environ plus two. */
static char **env_edit(char **out, const char *drop, char *add)
{
	size_t n = strlen(drop), k = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, drop, n) != 0 || (*e)[n] != '=')
			out[k++] = *e;
	if (add)
		out[k++] = add;
	out[k] = NULL;
	return out;
}

static size_t env_count(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	return n;
}

/* An exec failed (errno says why): the error line and the shell's status, 127 (not found) or
 * 126. */
__attribute__((noreturn)) static void cannot_run(const char *what, const char *file)
{
	int e = errno;
	FAIL(e == ENOENT || e == ENOTDIR ? 127 : 126, "fnshield-exec: cannot run ", what, " ", file,
	     ": ", strerror(e));
}

/* exec like the shell's `exec`: PATH search when FILE has no '/', a file without #! run by
 * /bin/sh. Returns only on failure. */
__attribute__((noreturn)) static void run(const char *what, char *const argv[], char *const envp[])
{
	execvpe(argv[0], argv, envp);
	cannot_run(what, argv[0]);
}

/* exec the file at exactly this path: no PATH search, so it is the file that was checked. */
__attribute__((noreturn)) static void run_file(const char *what, char *const argv[],
					       char *const envp[])
{
	execve(argv[0], argv, envp);
	cannot_run(what, argv[0]);
}

/* Is LIB one of LIST's entries (separated by ':' or ' ', as ld.so and the script split)? */
static int listed(const char *list, const char *lib)
{
	size_t n = strlen(lib);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ": ");
		if (len == n && memcmp(p, lib, n) == 0)
			return 1;
		p += len;
		if (*p)
			p++;
	}
	return 0;
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_X86_64: return "x86_64";
	case EM_AARCH64: return "arm64";
	case EM_386: return "i386";
	case EM_ARM: return "arm";
	default: return "another machine";
	}
}

/* The library must load: ld.so only warns about one it cannot load. */
static void check_library(const char *lib)
{
	struct stat st;
	Elf64_Ehdr h;
	int fd = -1;
	ssize_t got = -1;
	if (stat(lib, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (fd = open(lib, O_RDONLY | O_CLOEXEC)) >= 0) {
		got = read(fd, &h, sizeof h);
		close(fd);
	}
	if (got < 0)
		FAIL(EX_CONFIG, "fnshield-exec: cannot read ", lib,
		     " (missing, empty or not a readable file)");
	if ((size_t)got < sizeof h || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0 ||
	    h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_type != ET_DYN)
		FAIL(EX_CONFIG, "fnshield-exec: ", lib, " is not a 64-bit ELF shared library");
	if (h.e_machine != MY_MACHINE)
		FAIL(EX_CONFIG, "fnshield-exec: ", lib, " is built for another architecture (",
		     machine_name(h.e_machine), ") than this machine's (", machine_name(MY_MACHINE),
		     "): attach the layer built for the function's architecture");
}

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0])
		g_exe = argv[0];
	if (argc < 2)
		fail(EX_USAGE, "fnshield-exec: no command to run (usage: fnshield-exec COMMAND "
			       "[ARG...]; Lambda passes the runtime's command line)");

	/* Where this program is: its directory finds the layer's (or build/'s) library, its path
	 * is what a second wrapper execs to hand back. */
	char self[PATH_MAX], dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self);
	int have_self = n > 0 && (size_t)n < sizeof self && self[0] == '/';
	if (have_self)
		self[n] = '\0';
	else /* no /proc: argv[0] when it is a path */
		have_self = strchr(g_exe, '/') && absolute(self, g_exe) == 0;
	if (have_self) {
		strcpy(dir, self);
		*strrchr(dir, '/') = '\0'; /* "" when self is /fnshield-exec */
	}
#define NEED_SELF()                                                                          \
	do {                                                                                 \
		if (!have_self)                                                              \
			FAIL(EX_CONFIG, "fnshield-exec: cannot tell where it is (/proc/self/exe " \
					"unreadable and argv[0] is no path); set FNSHIELD_HOME");  \
	} while (0)

	size_t nenv = env_count();
	char *envp[nenv + 2];

	/* ---- a second wrapper runs first, unprotected, and hands back to us ---- */
	const char *next = env_get("FNSHIELD_NEXT_WRAPPER");
	if (set(next)) {
		if (!is_reg(next) || access(next, X_OK) != 0)
			FAIL(EX_CONFIG, "fnshield-exec: FNSHIELD_NEXT_WRAPPER=", next,
			     " is not an executable file");
		NEED_SELF();
		char *nargv[argc + 2];
		nargv[0] = (char *)next;
		nargv[1] = self;
		memcpy(nargv + 2, argv + 1, (size_t)argc * sizeof *argv); /* argv[1..argc] (NULL) */
		/* the second pass (and the function) must not see it: no loop */
		run_file("FNSHIELD_NEXT_WRAPPER", nargv, env_edit(envp, "FNSHIELD_NEXT_WRAPPER", NULL));
	}

	/* ---- where the library is ---- */
	/* Paths are made absolute by text, not resolved: ld.so takes any absolute path, and the
	 * library records its own canonical path for children. */
	char lib[PATH_MAX];
	const char *home = env_get("FNSHIELD_HOME");
	if (set(home)) {
		char h[PATH_MAX];
		struct stat st;
		if (absolute(h, home) != 0 || stat(h, &st) != 0 || !S_ISDIR(st.st_mode))
			FAIL(EX_CONFIG, "fnshield-exec: FNSHIELD_HOME=", home, " is not a directory");
		if (join(lib, h, "/lib/" LIBNAME) != 0 || !is_reg(lib))
			if (join(lib, h, "/" LIBNAME) != 0)
				FAIL(EX_CONFIG, "fnshield-exec: FNSHIELD_HOME=", home, " is too long");
	} else {
		NEED_SELF();
		if ((join(lib, dir, "/fnshield/lib/" LIBNAME) != 0 || !is_reg(lib)) && /* the layer */
		    (join(lib, dir, "/" LIBNAME) != 0 || !is_reg(lib)))                   /* build/ */
			FAIL(EX_CONFIG, "fnshield-exec: " LIBNAME " not found (looked in ", dir,
			     "/fnshield/lib and ", *dir ? dir : "/", "; set FNSHIELD_HOME)");
	}

	check_library(lib);
	if (strpbrk(lib, ": "))
		FAIL(EX_CONFIG, "fnshield-exec: library path ", lib,
		     " contains ':' or a space and cannot be preloaded");

	/* ---- preload: ours first, the other layers' entries kept ---- */
	const char *old = env_get("LD_PRELOAD");
	int keep = set(old) && listed(old, lib);
	size_t need = sizeof "LD_PRELOAD=" + strlen(lib) + 1 + (old ? strlen(old) : 0);
	char entry[need];
	struct buf e = {entry, 0, need, 0};
	if (keep)
		cat(&e, "LD_PRELOAD=", old, (const char *)NULL);
	else
		cat(&e, "LD_PRELOAD=", lib, set(old) ? ":" : "", set(old) ? old : "",
		    (const char *)NULL);
	/* LD_PRELOAD stays in the runtime's environment (README, "What a protected program can
	 * see"): a program the runtime starts by a raw system call, or from a static helper, with
	 * its own environment is still preloaded. */
	char **env = env_edit(envp, "LD_PRELOAD", entry);
	run("the command", argv + 1, env);
}

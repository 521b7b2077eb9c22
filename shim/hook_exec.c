/*
 * hook_exec.c — exec: every way glibc starts a program.
 *
 * Each hook (1) finds the program the call would run, resolving PATH the way the call itself
 * does, (2) asks check_exec, (3) hands the real function an environment that keeps the new
 * program protected (envprop.h). These hooks run inside vfork children (CPython's subprocess,
 * the JDK): everything they need lives on the stack — variable-length arrays sized from the
 * caller's argv and envp — and nothing here calls malloc, takes a lock or touches stdio.
 * None of them calls vfork itself: a wrapper that vforks and returns corrupts its caller.
 */
#include "check.h"
#include "decide.h"
#include "envprop.h"
#include "policy_share.h"
#include "facts.h"
#include "logfd.h"
#include "origin.h"
#include "real.h"
#include "repeat.h"
#include "state.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

/* An exec in place, of any kind: the root's log descriptor is kept open across it (logfd.h),
 * and made close-on-exec again when the exec fails. */
#define IN_PLACE(call_expr)                                                                     \
	({                                                                                      \
		logfd_before_exec();                                                            \
		int r_ = (call_expr);                                                           \
		logfd_exec_failed();                                                            \
		r_;                                                                             \
	})

/* ---- the exec family --------------------------------------------------------------------- */

static int exec_path(const char *call, const char *path, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return IN_PLACE(REAL(execve)(path, argv, envp));
	int saved = errno;
	int err = check_exec(call, AT_FDCWD, path, 1, argv);
	if (err) {
		errno = err;
		return -1;
	}
	CHILD_ENV(newenv, envp);
	repeat_flush(); /* the new program image will not have our counts */
	errno = saved;
	return IN_PLACE(REAL(execve)(path, argv, newenv));
}

/* glibc's execvp runs a file the kernel cannot execute (no "#!", ENOEXEC) with the shell. */
static int exec_with_shell(const char *prog, char *const argv[], char *const envp[])
{
	size_t argc = 0;
	while (argv && argv[argc])
		argc++;
	char *sh_argv[argc + 3];
	sh_argv[0] = (char *)FS_SHELL;
	sh_argv[1] = (char *)prog;
	size_t n = 2;
	for (size_t i = 1; i < argc; i++)
		sh_argv[n++] = argv[i];
	sh_argv[n] = NULL;
	int err = check_exec("execvp", AT_FDCWD, FS_SHELL, 1, sh_argv); /* the shell runs it */
	if (err) {
		errno = err;
		return -1;
	}
	return IN_PLACE(REAL(execve)(FS_SHELL, sh_argv, envp));
}

/* ---- PATH searches (execvp and its kin, posix_spawnp) ---------------------------------- */

/* The next program of a search of PATH (from path on) for file, found as the call would find
 * it and checked: 0 (prog holds it), or the errno the call fails with. */
static int next_program(const char *call, const char *file, const char *path, char *prog,
			size_t cap, char *const argv[])
{
	int err = fs_find_program(FS_SEARCH_PATH, file, path, facts_exec_probe, NULL, prog, cap);
	return err ? err : check_exec(call, AT_FDCWD, prog, 1, argv);
}

/* The kernel refused prog with err after all (a "#!" naming a missing interpreter): where the
 * search goes on, as glibc's does — the rest of PATH — or NULL when it ends. */
static const char *search_rest(const char *file, const char *path, const char *prog, int err)
{
	return strchr(file, '/') || !fs_search_goes_on(err) ? NULL : fs_path_rest(path, file, prog);
}

/* The errno a search ends with: EACCES when a candidate was refused for it, as glibc says. */
static int search_errno(int got_eacces, int err)
{
	return got_eacces && err != EACCES && fs_search_goes_on(err) ? EACCES : err;
}

/* execvp and its kin: the program is found as the call itself would find it (decide.h:
 * fs_find_program, with the probe `fnshield explain` uses), checked, and that very path is
 * exec'd: the call is never left to search again, so a file created in an earlier PATH
 * directory after the check cannot be what runs. */
static int exec_search(const char *call, const char *file, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return IN_PLACE(REAL(execvpe)(file, argv, envp));
	int saved = errno;
	if (check_unrestricted(FS_EXEC)) {
		CHILD_ENV(newenv, envp);
		repeat_flush();
		errno = saved;
		return IN_PLACE(REAL(execvpe)(file, argv, newenv));
	}
	const char *path = getenv("PATH");
	for (int got_eacces = 0;;) {
		char prog[4096];
		int err = next_program(call, file, path, prog, sizeof prog, argv);
		if (err) {
			errno = search_errno(got_eacces, err);
			return -1;
		}
		CHILD_ENV(newenv, envp);
		repeat_flush();
		errno = saved;
		IN_PLACE(REAL(execve)(prog, argv, newenv));
		err = errno;
		if (err == ENOEXEC) {
			exec_with_shell(prog, argv, newenv);
			return -1;
		}
		if (!(path = search_rest(file, path, prog, err))) {
			errno = search_errno(got_eacces, err);
			return -1;
		}
		got_eacces |= err == EACCES;
	}
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_path("execve", path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return exec_path("execv", path, argv, environ);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_search("execvp", file, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_search("execvpe", file, argv, envp);
}

/* execl, execlp, execle: gather the variadic arguments into an argv on the stack. */
#define VARARGS_TO_ARGV(argv, arg, with_envp, envp)                                              \
	size_t argc_ = 1;                                                                         \
	va_list ap_;                                                                              \
	va_start(ap_, arg);                                                                       \
	while (va_arg(ap_, const char *))                                                         \
		argc_++;                                                                          \
	va_end(ap_);                                                                              \
	char *argv[argc_ + 1];                                                                    \
	argv[0] = (char *)(arg);                                                                  \
	va_start(ap_, arg);                                                                       \
	for (size_t i_ = 1; i_ <= argc_; i_++)                                                    \
		argv[i_] = va_arg(ap_, char *);                                                   \
	if (with_envp)                                                                            \
		envp = va_arg(ap_, char *const *);                                                \
	va_end(ap_)

EXPORT int execl(const char *path, const char *arg, ...)
{
	char *const *envp = NULL;
	VARARGS_TO_ARGV(argv, arg, 0, envp);
	(void)envp;
	return exec_path("execl", path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *const *envp = NULL;
	VARARGS_TO_ARGV(argv, arg, 0, envp);
	(void)envp;
	return exec_search("execlp", file, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *const *envp = NULL;
	VARARGS_TO_ARGV(argv, arg, 1, envp);
	return exec_path("execle", path, argv, envp);
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	if (shim_ready() == 0) {
		int saved = errno, err;
		if (!path[0] && (flags & AT_EMPTY_PATH))
			err = check_exec_fd("execveat", dirfd, argv);
		else
			err = check_exec("execveat", dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), argv);
		if (err) {
			errno = err;
			return -1;
		}
		errno = saved;
	}
	CHILD_ENV(newenv, envp);
	repeat_flush();
	if (REAL(execveat)) /* glibc 2.34 and later */
		return IN_PLACE(REAL(execveat)(dirfd, path, argv, newenv, flags));
	return IN_PLACE((int)sys_result(SYS6(SYS_execveat, dirfd, path, argv, newenv, flags, 0)));
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return IN_PLACE(REAL(fexecve)(fd, argv, envp));
	int saved = errno;
	int err = check_exec_fd("fexecve", fd, argv);
	if (err) {
		errno = err;
		return -1;
	}
	CHILD_ENV(newenv, envp);
	repeat_flush();
	errno = saved;
	return IN_PLACE(REAL(fexecve)(fd, argv, newenv));
}

/* ---- posix_spawn: the error is the return value, errno is not used ----------------------- */

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
	policy_share_publish();
	int saved = errno;
	int err = check_exec("posix_spawn", AT_FDCWD, path, 1, argv);
	errno = saved;
	if (err)
		return err;
	CHILD_ENV(newenv, envp);
	/* The JVM starting its spawn helper: the Java code that asked goes with it (origin.h). */
	if (g_shim.jspawnhelper && !strcmp(path, g_shim.jspawnhelper)) {
		char carry[ORIGIN_CARRY_MAX + sizeof ORIGIN_CARRY_ENV + 1];
		if (origin_carry_entry(carry, sizeof carry)) {
			size_t n = envprop_count(newenv);
			char *with_origin[n + 2];
			memcpy(with_origin, newenv, n * sizeof *newenv);
			with_origin[n] = carry;
			with_origin[n + 1] = NULL;
			errno = saved;
			return REAL(posix_spawn)(pid, path, fa, attr, argv, with_origin);
		}
	}
	errno = saved;
	return REAL(posix_spawn)(pid, path, fa, attr, argv, newenv);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return REAL(posix_spawnp)(pid, file, fa, attr, argv, envp);
	policy_share_publish();
	int saved = errno;
	if (check_unrestricted(FS_EXEC)) {
		CHILD_ENV(newenv, envp);
		errno = saved;
		return REAL(posix_spawnp)(pid, file, fa, attr, argv, newenv);
	}
	const char *path = getenv("PATH");
	for (int got_eacces = 0;;) {
		char prog[4096];
		int err = next_program("posix_spawnp", file, path, prog, sizeof prog, argv);
		if (!err) {
			CHILD_ENV(newenv, envp);
			errno = saved;
			err = REAL(posix_spawn)(pid, prog, fa, attr, argv, newenv);
			const char *rest = err ? search_rest(file, path, prog, err) : NULL;
			if (rest) { /* refused by the kernel after all: on with the next entry */
				got_eacces |= err == EACCES;
				path = rest;
				continue;
			}
		}
		errno = saved;
		return err ? search_errno(got_eacces, err) : 0;
	}
}

/* ---- system and popen: glibc runs "/bin/sh -c COMMAND" with the process's environ -------- */

/* The shell's check: 0, or the errno the call fails with (EACCES refused, ENOENT no shell).
 * glibc starts the shell with the process's own environ, which no hook sees: when the call may
 * go, what the child needs is put back into environ if the program took it out
 * (envprop_repair_environ; it writes nothing when all is there). It is left there: taking it
 * out after the call would edit environ on every call, and setenv/unsetenv race with other
 * threads' getenv and spawns (a crash, or a shell started without the library). */
static int shell_check(const char *call, const char *command)
{
	char *argv[] = {"sh", "-c", (char *)command, NULL};
	int saved = errno;
	int err = check_exec(call, AT_FDCWD, FS_SHELL, 1, argv);
	if (!err) {
		policy_share_publish();
		envprop_repair_environ();
	}
	errno = err ? err : saved;
	return err;
}


/* What glibc's system returns when the shell cannot be started: the status of a shell that
 * exited with 127. */
#define SYSTEM_SHELL_FAILED (127 << 8)

/* Before glibc 2.34, libpthread exports a system() of its own that calls libc's exported
 * __libc_system, which is hooked too: a program linked with libpthread (CPython 3.9 on
 * glibc 2.31) would have one command checked, and logged, twice (found by the runtime matrix).
 * The command checked here is passed through by the __libc_system it reaches: the pass is per
 * thread, taken by the first hook that sees it, and withdrawn when the call returns. */
static __thread __attribute__((tls_model("initial-exec"))) const char *system_checked;

static int checked_system(const char *call, int (*real)(const char *), const char *command)
{
	/* system(NULL) only asks whether a shell exists. */
	if (!command || shim_ready() != 0)
		return real(command);
	if (system_checked == command) {
		system_checked = NULL;
		return real(command);
	}
	int err = shell_check(call, command);
	if (err == EACCES)
		return -1;
	if (err)
		return SYSTEM_SHELL_FAILED;
	system_checked = command;
	int status = real(command);
	system_checked = NULL;
	return status;
}

static FILE *checked_popen(const char *call, FILE *(*real)(const char *, const char *),
			   const char *command, const char *type)
{
	if (!command || shim_ready() != 0)
		return real(command, type);
	if (shell_check(call, command))
		return NULL;
	return real(command, type);
}

EXPORT int system(const char *command)
{
	return checked_system("system", REAL(system), command);
}

EXPORT int __libc_system(const char *command)
{
	return checked_system("__libc_system", REAL(__libc_system), command);
}

EXPORT FILE *popen(const char *command, const char *type)
{
	return checked_popen("popen", REAL(popen), command, type);
}

/* The same, under glibc's other exported name. */
EXPORT FILE *_IO_popen(const char *command, const char *type)
{
	return checked_popen("_IO_popen", REAL(_IO_popen), command, type);
}

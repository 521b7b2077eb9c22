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
#include "envprop.h"
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

/* The program execvp/posix_spawnp would run: `file` itself when it has a slash, else the first
 * PATH entry holding an executable regular file (execvp goes on past EACCES and ENOENT, so the
 * first one that can run is the one that runs). Both functions read PATH from the calling
 * process's environment, whatever envp they pass on. 0 when nothing would run. */
static int find_in_path(const char *file, char *out, size_t cap)
{
	size_t fl = strlen(file);
	if (strchr(file, '/')) {
		if (fl >= cap)
			return 0;
		memcpy(out, file, fl + 1);
		return 1;
	}
	if (!fl)
		return 0;
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin"; /* glibc's default search path */
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dl = (size_t)(end - p);
		if (dl + 1 + fl < cap) {
			if (dl) {
				memcpy(out, p, dl);
				out[dl] = '/';
				memcpy(out + dl + 1, file, fl + 1);
			} else {
				memcpy(out, file, fl + 1); /* empty entry: the current directory */
			}
			struct stat st;
			if (sys_newfstatat(AT_FDCWD, out, &st, 0) == 0 && S_ISREG(st.st_mode) &&
			    sys_faccessat(AT_FDCWD, out, X_OK) == 0)
				return 1;
		}
		if (!*end)
			return 0;
		p = end;
	}
}

/* ---- the exec family --------------------------------------------------------------------- */

static int exec_path(const char *call, const char *path, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return REAL(execve)(path, argv, envp);
	int saved = errno;
	if (check_exec(call, AT_FDCWD, path, 1, argv) == CHECK_DENY) {
		errno = EACCES;
		return -1;
	}
	CHILD_ENV(newenv, envp);
	repeat_flush(); /* the new program image will not have our counts */
	errno = saved;
	return REAL(execve)(path, argv, newenv);
}

static int exec_search(const char *call, const char *file, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return REAL(execvpe)(file, argv, envp);
	int saved = errno;
	char prog[4096];
	if (find_in_path(file, prog, sizeof prog) &&
	    check_exec(call, AT_FDCWD, prog, 1, argv) == CHECK_DENY) {
		errno = EACCES;
		return -1;
	}
	CHILD_ENV(newenv, envp);
	repeat_flush();
	errno = saved;
	return REAL(execvpe)(file, argv, newenv);
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
		int saved = errno, r;
		if (!path[0] && (flags & AT_EMPTY_PATH))
			r = check_exec_fd("execveat", dirfd, argv);
		else
			r = check_exec("execveat", dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), argv);
		if (r == CHECK_DENY) {
			errno = EACCES;
			return -1;
		}
		errno = saved;
	}
	CHILD_ENV(newenv, envp);
	repeat_flush();
	if (REAL(execveat)) /* glibc 2.34 and later */
		return REAL(execveat)(dirfd, path, argv, newenv, flags);
	return (int)sys_result(SYS6(SYS_execveat, dirfd, path, argv, newenv, flags, 0));
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return REAL(fexecve)(fd, argv, envp);
	int saved = errno;
	if (check_exec_fd("fexecve", fd, argv) == CHECK_DENY) {
		errno = EACCES;
		return -1;
	}
	CHILD_ENV(newenv, envp);
	repeat_flush();
	errno = saved;
	return REAL(fexecve)(fd, argv, newenv);
}

/* ---- posix_spawn: the error is the return value, errno is not used ----------------------- */

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
	int saved = errno;
	if (check_exec("posix_spawn", AT_FDCWD, path, 1, argv) == CHECK_DENY) {
		errno = saved;
		return EACCES;
	}
	CHILD_ENV(newenv, envp);
	errno = saved;
	return REAL(posix_spawn)(pid, path, fa, attr, argv, newenv);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (shim_ready() < 0)
		return REAL(posix_spawnp)(pid, file, fa, attr, argv, envp);
	int saved = errno;
	char prog[4096];
	if (find_in_path(file, prog, sizeof prog) &&
	    check_exec("posix_spawnp", AT_FDCWD, prog, 1, argv) == CHECK_DENY) {
		errno = saved;
		return EACCES;
	}
	CHILD_ENV(newenv, envp);
	errno = saved;
	return REAL(posix_spawnp)(pid, file, fa, attr, argv, newenv);
}

/* ---- system and popen: glibc runs "/bin/sh -c COMMAND" with the process's environ -------- */

static int shell_denied(const char *call, const char *command)
{
	char *argv[] = {"sh", "-c", (char *)command, NULL};
	int saved = errno;
	int r = check_exec(call, AT_FDCWD, "/bin/sh", 1, argv);
	errno = r == CHECK_DENY ? EACCES : saved;
	if (r != CHECK_DENY)
		envprop_repair_environ();
	errno = r == CHECK_DENY ? EACCES : saved;
	return r == CHECK_DENY;
}

EXPORT int system(const char *command)
{
	/* system(NULL) only asks whether a shell exists. */
	if (command && shim_ready() == 0 && shell_denied("system", command))
		return -1;
	return REAL(system)(command);
}

EXPORT FILE *popen(const char *command, const char *type)
{
	if (command && shim_ready() == 0 && shell_denied("popen", command))
		return NULL;
	return REAL(popen)(command, type);
}

/* The same, under glibc's other exported names. */
EXPORT FILE *_IO_popen(const char *command, const char *type)
{
	if (command && shim_ready() == 0 && shell_denied("_IO_popen", command))
		return NULL;
	return REAL(_IO_popen)(command, type);
}

EXPORT int __libc_system(const char *command)
{
	if (command && shim_ready() == 0 && shell_denied("__libc_system", command))
		return -1;
	return REAL(__libc_system)(command);
}

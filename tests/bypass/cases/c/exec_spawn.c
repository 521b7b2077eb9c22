/*
 * exec_spawn.c — new processes made without fork(): vfork, a raw clone and clone3, each
 * followed by execve of touch MARKER (through libc). The point is whether the child of a
 * process made behind libc's back still has a working shim.
 *
 *   exec_spawn vfork | clone | clone3
 */
#include "bypass.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/wait.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	char *args[] = {"touch", (char *)target("BYPASS_MARKER"), NULL};
	pid_t pid;
	ATTEMPT("%s then execve %s", op, TOUCH);
	if (!strcmp(op, "vfork")) {
		pid = vfork();
		if (pid == 0) {
			execve(TOUCH, args, environ);
			_exit(errno == EACCES ? 13 : 14);
		}
	} else if (!strcmp(op, "clone")) {
		/* Like fork(), but not through glibc: no atfork handlers run. */
		pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		if (pid == 0) {
			execve(TOUCH, args, environ);
			_exit(errno == EACCES ? 13 : 14);
		}
	} else if (!strcmp(op, "clone3")) {
		struct clone_args ca;
		memset(&ca, 0, sizeof ca);
		ca.exit_signal = SIGCHLD;
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
		if (pid < 0 && errno == ENOSYS) {
			/* What glibc does when clone3 is answered with ENOSYS: fall back to clone. */
			say("NOTE clone3 ENOSYS, falling back to clone");
			pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		}
		if (pid == 0) {
			execve(TOUCH, args, environ);
			_exit(errno == EACCES ? 13 : 14);
		}
	} else {
		fprintf(stderr, "exec_spawn: unknown op %s\n", op);
		return 3;
	}
	if (pid < 0) {
		DONE("%s refused errno=%d", op, errno);
		return 0;
	}
	int st = 0;
	waitpid(pid, &st, 0);
	DONE("child status %d (13 = execve refused with EACCES)",
	     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

/*
 * ptrace.c — change what a protected child executes after its shim said yes.
 *
 * The child calls execve("/usr/bin/true") — a program the policy allows — and its shim lets it
 * through. Stopped by ptrace at the entry of the execve system call, the tracer rewrites the
 * path in the child's memory to "/usr/bin/touch": the kernel runs the program the shim refused.
 *
 *   ptrace traceme   the child asks to be traced (PTRACE_TRACEME), the parent traces
 *   ptrace attach    the parent attaches to its running child (PTRACE_ATTACH)
 */
#include "bypass.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
#if !defined(__x86_64__)
	say("SETUP-FAILED x86_64 only");
	return 3;
#else
	const char *op = argc > 1 ? argv[1] : "";
	int traceme = !strcmp(op, "traceme");
	if (!traceme && strcmp(op, "attach")) {
		fprintf(stderr, "ptrace: unknown op %s\n", op);
		return 3;
	}
	const char *marker = target("BYPASS_MARKER");
	int go[2];
	if (pipe(go) < 0)
		setup_fail("pipe");
	ATTEMPT("%s: rewrite the path of an allowed execve at syscall entry", op);
	pid_t pid = fork();
	if (pid < 0)
		setup_fail("fork");
	if (pid == 0) {
		char path[64] = "/usr/bin/true";
		char *args[] = {"touch", (char *)marker, NULL};
		if (traceme) {
			if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
				_exit(20);
			raise(SIGSTOP);
		} else {
			char c;
			if (read(go[0], &c, 1) != 1)
				_exit(21);
		}
		execve(path, args, environ);
		_exit(errno == EACCES ? 13 : 14);
	}
	int st;
	if (!traceme && ptrace(PTRACE_ATTACH, pid, 0, 0) < 0) {
		DONE("PTRACE_ATTACH refused errno=%d", errno);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return 0;
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) {
		DONE("child did not stop (status %#x): tracing refused", st);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return 0;
	}
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
	if (!traceme && write(go[1], "x", 1) != 1)
		setup_fail("write");
	int sig = 0, rewritten = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, sig) < 0)
			break;
		sig = 0;
		if (waitpid(pid, &st, 0) < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (!WIFSTOPPED(st))
			continue;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(st) == SIGSTOP ? 0 : WSTOPSIG(st);
			continue;
		}
		struct user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
			break;
		if (regs.orig_rax == SYS_execve && (long)regs.rax == -ENOSYS) {
			const char repl[16] = "/usr/bin/touch";
			long words[2];
			memcpy(words, repl, sizeof words);
			ptrace(PTRACE_POKEDATA, pid, (void *)regs.rdi, (void *)words[0]);
			ptrace(PTRACE_POKEDATA, pid, (void *)(regs.rdi + 8), (void *)words[1]);
			rewritten = 1;
			ptrace(PTRACE_DETACH, pid, 0, 0);
			break;
		}
	}
	waitpid(pid, &st, 0);
	DONE("path rewritten=%d, child status %d", rewritten,
	     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
#endif
}

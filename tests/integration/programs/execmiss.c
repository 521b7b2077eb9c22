/*
 * execmiss: one exec entry point, called on a program that may not exist (test_exec_missing.py).
 *
 * Usage: execmiss CALL PROG [ARG]
 *   CALL: execve execv execvp execvpe execl execlp execle execveat execveat_empty fexecve
 *         syscall_execve posix_spawn posix_spawnp system popen
 *   PROG: the path or bare name handed to the call (system/popen: the command line, run with
 *         stdout to /dev/null).
 *
 * Exec-family calls run in a forked child whose stdout is /dev/null; a failing exec sends its
 * errno back through a close-on-exec pipe. Prints {"ok":true,"rc":N} (the program ran and
 * exited N) or {"ok":false,"errno":E,"at":"call"|"open"}, then {"after":true}; exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int status_rc(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void print_ok(int rc)
{
	printf("{\"ok\":true,\"rc\":%d}\n", rc);
}

static void print_err(int e, const char *at)
{
	printf("{\"ok\":false,\"errno\":%d,\"error\":\"%s\",\"at\":\"%s\"}\n", e, strerror(e), at);
}

/* In the child: the call; returns only when it failed (errno set), or -2 when a preliminary
 * open failed (errno set). */
static int child_call(const char *c, const char *prog, char **argv)
{
	char *arg1 = argv[1];
	if (!strcmp(c, "execve"))
		return execve(prog, argv, environ);
	if (!strcmp(c, "execv"))
		return execv(prog, argv);
	if (!strcmp(c, "execvp"))
		return execvp(prog, argv);
	if (!strcmp(c, "execvpe"))
		return execvpe(prog, argv, environ);
	if (!strcmp(c, "execl"))
		return execl(prog, prog, arg1, (char *)NULL);
	if (!strcmp(c, "execlp"))
		return execlp(prog, prog, arg1, (char *)NULL);
	if (!strcmp(c, "execle"))
		return execle(prog, prog, arg1, (char *)NULL, environ);
	if (!strcmp(c, "execveat"))
		return execveat(AT_FDCWD, prog, argv, environ, 0);
	if (!strcmp(c, "execveat_empty") || !strcmp(c, "fexecve")) {
		int fd = open(prog, c[0] == 'f' ? O_RDONLY : O_PATH);
		if (fd < 0)
			return -2;
		return c[0] == 'f' ? fexecve(fd, argv, environ)
				   : execveat(fd, "", argv, environ, AT_EMPTY_PATH);
	}
	if (!strcmp(c, "syscall_execve"))
		return (int)syscall(SYS_execve, prog, argv, environ);
	errno = EINVAL;
	return -1;
}

static void fork_exec(const char *c, const char *prog, char **argv)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		print_err(errno, "pipe");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		int r = child_call(c, prog, argv);
		int msg[2] = {errno, r == -2};
		if (write(p[1], msg, sizeof msg) != (ssize_t)sizeof msg)
			_exit(254);
		_exit(255);
	}
	close(p[1]);
	int msg[2];
	ssize_t n = read(p[0], msg, sizeof msg);
	close(p[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (n == (ssize_t)sizeof msg)
		print_err(msg[0], msg[1] ? "open" : "call");
	else
		print_ok(status_rc(st));
}

static void spawn(const char *c, const char *prog, char **argv)
{
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	int e = !strcmp(c, "posix_spawnp") ? posix_spawnp(&pid, prog, &fa, NULL, argv, environ)
					   : posix_spawn(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		print_err(e, "call");
		return;
	}
	int st = 0;
	waitpid(pid, &st, 0);
	print_ok(status_rc(st));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: execmiss CALL PROG [ARG]\n");
		return 2;
	}
	const char *c = argv[1], *prog = argv[2];
	char *pargv[] = {argv[2], argc > 3 ? argv[3] : NULL, NULL};
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "%s%s%s >/dev/null 2>/dev/null", prog, argc > 3 ? " " : "",
		 argc > 3 ? argv[3] : "");
	if (!strcmp(c, "posix_spawn") || !strcmp(c, "posix_spawnp")) {
		spawn(c, prog, pargv);
	} else if (!strcmp(c, "system")) {
		fflush(stdout);
		int st = system(cmd);
		if (st == -1)
			print_err(errno, "call");
		else
			print_ok(status_rc(st));
	} else if (!strcmp(c, "popen")) {
		fflush(stdout);
		FILE *f = popen(cmd, "r");
		if (!f) {
			print_err(errno, "call");
		} else {
			char buf[256];
			while (fread(buf, 1, sizeof buf, f) > 0)
				;
			print_ok(status_rc(pclose(f)));
		}
	} else {
		fork_exec(c, prog, pargv);
	}
	printf("{\"after\":true}\n");
	return 0;
}

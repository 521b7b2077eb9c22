/*
 * callprobe.c — make one call, as a program would, and say what it returned: for the
 * differential test (test_differential.py), which compares it with `fnshield explain`.
 *
 *   callprobe open PATH r|w [DIRFD_DIR]      openat(dirfd, PATH, O_RDONLY | O_WRONLY|O_CREAT)
 *   callprobe fopen PATH r|w                  fopen
 *   callprobe exec CALL PROG [DIRFD_DIR]      CALL: execve execv execvp execvpe execl execlp
 *                                             execveat posix_spawn posix_spawnp system popen
 *   callprobe connect NAME|ADDR PORT [v6]     getaddrinfo (a name), then connect; v6: an AF_INET6
 *                                             socket to the IPv4-mapped address
 *   callprobe listen ADDR PORT                bind + listen (TCP)
 *
 * Prints one JSON line: {"errno":"ENOENT"} when the call failed, {"errno":null} when it went
 * through (an exec: the program ran and exited 0). An exec is made in a child (fork), which
 * reports its errno through a pipe.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *name_of(int e)
{
	switch (e) {
	case 0: return NULL;
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case ELOOP: return "ELOOP";
	case EBADF: return "EBADF";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return "EOTHER";
	}
}

static int say(int e)
{
	const char *n = name_of(e);
	if (n)
		printf("{\"errno\":\"%s\",\"n\":%d}\n", n, e);
	else
		printf("{\"errno\":null}\n");
	return 0;
}

/* The directory descriptor: inherited, "fd:N" — opening it here would be a call of the
 * program's own, judged by the policy like any other. */
static int dir_fd(const char *dir)
{
	if (!dir)
		return AT_FDCWD;
	if (strncmp(dir, "fd:", 3)) {
		fprintf(stderr, "callprobe: a directory descriptor is given as fd:N\n");
		exit(2);
	}
	return atoi(dir + 3);
}

static int do_open(char **a)
{
	int flags = a[1][0] == 'w' ? O_WRONLY | O_CREAT : O_RDONLY;
	int fd = openat(dir_fd(a[2]), a[0], flags, 0644);
	return say(fd < 0 ? errno : 0);
}

static int do_fopen(char **a)
{
	FILE *f = fopen(a[0], a[1][0] == 'w' ? "w" : "r");
	return say(f ? 0 : errno);
}

/* In the child: make the call; on failure write errno to the pipe. */
static void child_exec(const char *call, const char *prog, const char *dir, int out)
{
	char *argv[] = {(char *)prog, NULL};
	int e = 0;
	if (!strcmp(call, "execve"))
		execve(prog, argv, environ);
	else if (!strcmp(call, "execv"))
		execv(prog, argv);
	else if (!strcmp(call, "execvp"))
		execvp(prog, argv);
	else if (!strcmp(call, "execvpe"))
		execvpe(prog, argv, environ);
	else if (!strcmp(call, "execl"))
		execl(prog, prog, (char *)NULL);
	else if (!strcmp(call, "execlp"))
		execlp(prog, prog, (char *)NULL);
	else if (!strcmp(call, "execveat"))
		syscall(SYS_execveat, dir_fd(dir), prog, argv, environ, 0);
	else if (!strcmp(call, "syscall"))
		syscall(SYS_execve, prog, argv, environ);
	else {
		fprintf(stderr, "callprobe: unknown exec call %s\n", call);
		_exit(2);
	}
	e = errno;
	if (write(out, &e, sizeof e) < 0)
		_exit(3);
	_exit(127);
}

static int do_exec(char **a)
{
	const char *call = a[0], *prog = a[1];
	char *argv[] = {(char *)prog, NULL};
	if (!strcmp(call, "posix_spawn") || !strcmp(call, "posix_spawnp")) {
		pid_t pid;
		int r = call[11] ? posix_spawnp(&pid, prog, NULL, NULL, argv, environ)
				 : posix_spawn(&pid, prog, NULL, NULL, argv, environ);
		if (r)
			return say(r);
		int st;
		waitpid(pid, &st, 0);
		return say(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : EIO);
	}
	if (!strcmp(call, "system")) {
		int st = system(prog);
		return say(st == -1 ? errno : WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : EIO);
	}
	if (!strcmp(call, "popen")) {
		FILE *f = popen(prog, "r");
		if (!f)
			return say(errno);
		int st = pclose(f);
		return say(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : EIO);
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return 2;
	pid_t pid = fork();
	if (pid == 0)
		child_exec(call, prog, a[2], p[1]);
	close(p[1]);
	int e = 0;
	ssize_t n = read(p[0], &e, sizeof e);
	int st;
	waitpid(pid, &st, 0);
	if (n == (ssize_t)sizeof e)
		return say(e);
	return say(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : EIO);
}

static int do_connect(char **a)
{
	const char *host = a[0];
	int port = atoi(a[1]), v6 = a[2] && !strcmp(a[2], "v6");
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) != 1) {
		struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
		if (getaddrinfo(host, NULL, &hints, &res))
			return say(ENOENT);
		a4 = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
		freeaddrinfo(res);
	}
	int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	int r;
	if (v6) {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		sa.sin6_addr.s6_addr[10] = sa.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sa.sin6_addr.s6_addr[12], &a4, 4);
		r = connect(s, (struct sockaddr *)&sa, sizeof sa);
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = a4};
		r = connect(s, (struct sockaddr *)&sa, sizeof sa);
	}
	return say(r < 0 ? errno : 0);
}

static int do_listen(char **a)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(a[1]))};
	inet_pton(AF_INET, a[0], &sa.sin_addr);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		return say(errno);
	return say(listen(s, 1) < 0 ? errno : 0);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	char *a[4] = {argv[2], argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL, NULL};
	if (!strcmp(argv[1], "open"))
		return do_open(a);
	if (!strcmp(argv[1], "fopen"))
		return do_fopen(a);
	if (!strcmp(argv[1], "exec"))
		return do_exec(a);
	if (!strcmp(argv[1], "connect"))
		return do_connect(a);
	if (!strcmp(argv[1], "listen"))
		return do_listen(a);
	return 2;
}

/*
 * diffprobe — the real call of one situation of the differential test (test_differential.py).
 *
 *   diffprobe file CALL r|w PATH [DIRFD]         CALL: open, openat, fopen
 *   diffprobe exec CALL PROG [DIRFD_DIR]         CALL: execve, execv, execvp, execvpe, execlp,
 *                                                  posix_spawn, posix_spawnp, system, popen,
 *                                                  execveat (PROG relative to DIRFD)
 *   diffprobe connect inet|inet6|name HOST PORT  name: HOST resolved by getaddrinfo (AF_INET),
 *                                                  inet6 also takes ::ffff:a.b.c.d (mapped)
 *   diffprobe listen ADDR PORT                   bind + listen of a TCP socket (IPv4)
 *   diffprobe                                    (as the program an exec runs: the tree's
 *                                                  programs are copies of this one) writes
 *                                                  its /proc/self/exe to $DIFFPROBE_REPORT_FD
 *
 * Writes "@@diff-begin" and "@@diff-end" on stderr (with write(2): in order with the library's
 * log lines, which go to the same pipe) around the call, so that only the call's own violation
 * lines are counted. Prints {"ok":true} or {"ok":false,"errno":"NAME"} on stdout; exits 0.
 * DIRFD: "@N", a descriptor the test opened on the directory and handed down, or a directory.
 * An exec runs in a forked child (stdout to /dev/null); its failure comes back through a
 * close-on-exec pipe, so "ok" means the program was started; "ran" then says which file ran,
 * when it was one of the tree's programs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *errno_name(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case ELOOP: return "ELOOP";
	case EISDIR: return "EISDIR";
	case ENOEXEC: return "ENOEXEC";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENETUNREACH: return "ENETUNREACH";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ETXTBSY: return "ETXTBSY";
	case EROFS: return "EROFS";
	case EIO: return "EIO";
	default: {
		static char buf[32];
		snprintf(buf, sizeof buf, "E%d", e);
		return buf;
	}
	}
}

static void mark(const char *s)
{
	ssize_t n = write(2, s, strlen(s));
	(void)n;
}

static char ran[4096]; /* exec: what the started program reported as its /proc/self/exe */

static void result(int err)
{
	mark("@@diff-end\n");
	if (err)
		printf("{\"ok\":false,\"errno\":\"%s\"}\n", errno_name(err));
	else if (ran[0])
		printf("{\"ok\":true,\"ran\":\"%s\"}\n", ran);
	else
		printf("{\"ok\":true}\n");
}

/* Run as an exec's program: say which file this is, on the descriptor the probe handed down. */
static int report_self(void)
{
	const char *fdtext = getenv("DIFFPROBE_REPORT_FD");
	if (!fdtext)
		return 2;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0 && write(atoi(fdtext), exe, (size_t)n) != n)
		return 1;
	return 0;
}

/* The read end of the report pipe: the started program writes its path into it. */
static int report_pipe(void)
{
	int p[2];
	char fdtext[16];
	if (pipe2(p, O_CLOEXEC) < 0)
		exit(2);
	int w = fcntl(p[1], F_DUPFD, 100); /* without close-on-exec: the program inherits it */
	close(p[1]);
	snprintf(fdtext, sizeof fdtext, "%d", w);
	setenv("DIFFPROBE_REPORT_FD", fdtext, 1);
	return p[0];
}

static void read_report(int r)
{
	const char *fdtext = getenv("DIFFPROBE_REPORT_FD");
	close(atoi(fdtext));
	ssize_t n = read(r, ran, sizeof ran - 1);
	ran[n > 0 ? n : 0] = 0;
	close(r);
}

/* "@N": descriptor N, opened on the directory by the test (an open made here would itself be
 * judged by the library, as a read of the directory); otherwise a directory to open. */
static int open_dir(const char *dir)
{
	if (!dir)
		return AT_FDCWD;
	if (dir[0] == '@')
		return atoi(dir + 1);
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "diffprobe: cannot open directory %s: %s\n", dir, strerror(errno));
		exit(2);
	}
	return fd;
}

static int do_file(const char *call, const char *rw, const char *path, const char *dir)
{
	int writing = rw[0] == 'w';
	int flags = writing ? O_WRONLY | O_CREAT : O_RDONLY;
	int dirfd = open_dir(dir);
	mark("@@diff-begin\n");
	if (!strcmp(call, "fopen")) {
		FILE *f = fopen(path, writing ? "w" : "r");
		int e = errno;
		if (!f)
			return e;
		fclose(f);
		return 0;
	}
	int fd = !strcmp(call, "openat") ? openat(dirfd, path, flags, 0644) : open(path, flags, 0644);
	int e = errno;
	if (fd < 0)
		return e;
	close(fd);
	return 0;
}

/* The exec-family call in a child; 0 when the program started, else the call's errno. */
static int do_exec_call(const char *call, const char *prog, const char *dir);

static int do_exec(const char *call, const char *prog, const char *dir)
{
	int r = report_pipe();
	int err = do_exec_call(call, prog, dir);
	read_report(r);
	return err;
}

static int do_exec_call(const char *call, const char *prog, const char *dir)
{
	char *argv[] = {(char *)prog, NULL};
	int dirfd = open_dir(dir);
	mark("@@diff-begin\n");
	if (!strcmp(call, "posix_spawn") || !strcmp(call, "posix_spawnp")) {
		pid_t pid;
		int rc = call[11] == 'p' ? posix_spawnp(&pid, prog, NULL, NULL, argv, environ)
					 : posix_spawn(&pid, prog, NULL, NULL, argv, environ);
		if (rc)
			return rc;
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (!strcmp(call, "system")) {
		int rc = system(prog);
		return rc == -1 ? errno : 0;
	}
	if (!strcmp(call, "popen")) {
		FILE *f = popen(prog, "r");
		if (!f)
			return errno;
		pclose(f);
		return 0;
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return errno;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		if (!strcmp(call, "execve"))
			execve(prog, argv, environ);
		else if (!strcmp(call, "execv"))
			execv(prog, argv);
		else if (!strcmp(call, "execvp"))
			execvp(prog, argv);
		else if (!strcmp(call, "execvpe"))
			execvpe(prog, argv, environ);
		else if (!strcmp(call, "execlp"))
			execlp(prog, prog, (char *)NULL);
		else if (!strcmp(call, "execveat"))
			execveat(dirfd, prog, argv, environ, 0);
		else
			errno = EINVAL;
		int e = errno;
		ssize_t n = write(pipefd[1], &e, sizeof e);
		(void)n;
		_exit(127);
	}
	close(pipefd[1]);
	int e = 0;
	ssize_t n = read(pipefd[0], &e, sizeof e);
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	return n == (ssize_t)sizeof e ? e : 0;
}

static int do_connect(const char *how, const char *host, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	int family;
	if (!strcmp(how, "name")) {
		struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
		int rc = getaddrinfo(host, port, &hints, &res);
		if (rc) {
			fprintf(stderr, "diffprobe: getaddrinfo %s: %s\n", host, gai_strerror(rc));
			exit(2);
		}
		memcpy(&ss, res->ai_addr, res->ai_addrlen);
		len = res->ai_addrlen;
		family = res->ai_family;
		freeaddrinfo(res);
	} else if (!strcmp(how, "inet6")) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = family = AF_INET6;
		a->sin6_port = htons((uint16_t)atoi(port));
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			exit(2);
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = family = AF_INET;
		a->sin_port = htons((uint16_t)atoi(port));
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			exit(2);
		len = sizeof *a;
	}
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		exit(2);
	mark("@@diff-begin\n");
	int rc = connect(s, (struct sockaddr *)&ss, len);
	int e = errno;
	close(s);
	return rc < 0 ? e : 0;
}

static int do_listen(const char *addr, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		exit(2);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	mark("@@diff-begin\n");
	int e = 0;
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 4) < 0)
		e = errno;
	close(s);
	return e;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "file"))
		result(do_file(argv[2], argv[3], argv[4], argc > 5 ? argv[5] : NULL));
	else if (argc >= 4 && !strcmp(argv[1], "exec"))
		result(do_exec(argv[2], argv[3], argc > 4 ? argv[4] : NULL));
	else if (argc == 5 && !strcmp(argv[1], "connect"))
		result(do_connect(argv[2], argv[3], argv[4]));
	else if (argc == 4 && !strcmp(argv[1], "listen"))
		result(do_listen(argv[2], argv[3]));
	else if (argc == 1)
		return report_self();
	else {
		fprintf(stderr, "usage: see diffprobe.c\n");
		return 2;
	}
	return 0;
}

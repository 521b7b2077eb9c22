/*
 * fnshield integration probe for plain libc: each glibc entry point the shim must catch,
 * called directly (the runtimes reach only some of them).
 *
 * Usage: probe CASE [ARGS...]   (argument conventions of probe.py: exec cases none, the
 * program is `id`; file cases DIR NAME; network cases PORT on 127.0.0.1)
 *
 * Prints {"ok":true,...} or {"ok":false,"errno":N,...}, then {"after":true}; exits 0.
 *
 * The network cases also run as syscall_CASE: the same calls through libc's syscall().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
/* the _FORTIFY_SOURCE entry points, called directly */
extern int __open_2(const char *path, int flags);
extern int __openat_2(int dirfd, const char *path, int flags);

static char *argv_id[] = {"id", NULL};

static void result_errno(int e)
{
	printf("{\"ok\":false,\"errno\":%d,\"error\":\"%s\",\"pid\":%d}\n", e, strerror(e), (int)getpid());
}

static void result_rc(int rc)
{
	printf("{\"ok\":%s,\"rc\":%d,\"pid\":%d}\n", rc == 0 ? "true" : "false", rc, (int)getpid());
}

static void result_ok(void)
{
	printf("{\"ok\":true,\"pid\":%d}\n", (int)getpid());
}

static int wait_rc(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run an exec-family call in a forked child (stdout to /dev/null); 200+errno when it fails. */
static void fork_exec(const char *c)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		char *envp[] = {"PATH=/usr/local/bin:/usr/bin", NULL};
		if (!strcmp(c, "execve"))
			execve("/usr/bin/id", argv_id, environ);
		else if (!strcmp(c, "execv"))
			execv("/usr/bin/id", argv_id);
		else if (!strcmp(c, "execvp"))
			execvp("id", argv_id);
		else if (!strcmp(c, "execvpe"))
			execvpe("id", argv_id, envp);
		else if (!strcmp(c, "execl"))
			execl("/usr/bin/id", "id", (char *)NULL);
		else if (!strcmp(c, "execlp"))
			execlp("id", "id", (char *)NULL);
		else if (!strcmp(c, "execle"))
			execle("/usr/bin/id", "id", (char *)NULL, environ);
		else if (!strcmp(c, "fexecve")) {
			int efd = open("/usr/bin/id", O_RDONLY | O_CLOEXEC);
			fexecve(efd, argv_id, environ);
		} else if (!strcmp(c, "execveat"))
			execveat(AT_FDCWD, "/usr/bin/id", argv_id, environ, 0);
		else
			_exit(198);
		_exit(200 + errno);
	}
	int rc = wait_rc(pid);
	if (rc >= 200)
		result_errno(rc - 200);
	else
		result_rc(rc);
}

static int udp_socket(struct sockaddr_in *sa, const char *port)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(port));
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return socket(AF_INET, SOCK_DGRAM, 0);
}

/* The network calls, through libc's entry points or, for syscall_CASE, its syscall(). */
static int via_syscall;

static long p_connect(int s, const struct sockaddr_in *sa)
{
	return via_syscall ? syscall(SYS_connect, (long)s, sa, (long)sizeof *sa)
			   : connect(s, (const struct sockaddr *)sa, sizeof *sa);
}

static long p_sendto(int s, const struct sockaddr_in *sa)
{
	return via_syscall ? syscall(SYS_sendto, (long)s, "ping", 4L, 0L, sa, (long)sizeof *sa)
			   : sendto(s, "ping", 4, 0, (const struct sockaddr *)sa, sizeof *sa);
}

static long p_sendmsg(int s, const struct msghdr *m)
{
	return via_syscall ? syscall(SYS_sendmsg, (long)s, m, 0L) : sendmsg(s, m, 0);
}

static long p_sendmmsg(int s, struct mmsghdr *mm)
{
	return via_syscall ? syscall(SYS_sendmmsg, (long)s, mm, 1L, 0L) : sendmmsg(s, mm, 1, 0);
}

static long p_bind_listen(int s, const struct sockaddr_in *sa)
{
	if (via_syscall)
		return syscall(SYS_bind, (long)s, sa, (long)sizeof *sa) < 0 ? -1 : syscall(SYS_listen, (long)s, 5L);
	return bind(s, (const struct sockaddr *)sa, sizeof *sa) < 0 ? -1 : listen(s, 5);
}

static void run(const char *c, int argc, char **a)
{
	if (!strncmp(c, "syscall_", 8)) {
		via_syscall = 1;
		c += 8;
	}
	char path[4096];
	if (argc >= 2)
		snprintf(path, sizeof path, "%s/%s", a[0], a[1]);

	/* ---- exec ---- */
	if (!strncmp(c, "exec", 4) || !strcmp(c, "fexecve"))
		return fork_exec(c);
	if (!strcmp(c, "system")) {
		int st = system("id >/dev/null");
		return result_rc(st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	if (!strcmp(c, "popen")) {
		FILE *f = popen("id", "r");
		if (!f)
			return result_errno(errno);
		char buf[256];
		while (fread(buf, 1, sizeof buf, f) > 0)
			;
		int st = pclose(f);
		return result_rc(WIFEXITED(st) ? WEXITSTATUS(st) : 128);
	}
	if (!strcmp(c, "posix_spawn") || !strcmp(c, "posix_spawnp")) {
		pid_t pid;
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		int e = c[11] == 'p' ? posix_spawnp(&pid, "id", &fa, NULL, argv_id, environ)
				     : posix_spawn(&pid, "/usr/bin/id", &fa, NULL, argv_id, environ);
		if (e)
			return result_errno(e);
		return result_rc(wait_rc(pid));
	}

	/* ---- read (DIR NAME) ---- */
	int fd = -2;
	FILE *f = (FILE *)1;
	if (!strcmp(c, "open_r"))
		fd = open(path, O_RDONLY);
	else if (!strcmp(c, "open64_r"))
		fd = open64(path, O_RDONLY);
	else if (!strcmp(c, "openat_r")) {
		int d = open(a[0], O_RDONLY | O_DIRECTORY);
		fd = openat(d, a[1], O_RDONLY);
	} else if (!strcmp(c, "openat64_r")) {
		int d = open(a[0], O_RDONLY | O_DIRECTORY);
		fd = openat64(d, a[1], O_RDONLY);
	} else if (!strcmp(c, "__open_2_r"))
		fd = __open_2(path, O_RDONLY);
	else if (!strcmp(c, "__openat_2_r"))
		fd = __openat_2(AT_FDCWD, path, O_RDONLY);
	else if (!strcmp(c, "fopen_r"))
		f = fopen(path, "r");
	else if (!strcmp(c, "fopen64_r"))
		f = fopen64(path, "r");
	else if (!strcmp(c, "freopen_r"))
		f = freopen(path, "r", stdin);
	/* ---- write (DIR NAME) ---- */
	else if (!strcmp(c, "open_w"))
		fd = open(path, O_WRONLY | O_TRUNC);
	else if (!strcmp(c, "open_rdwr"))
		fd = open(path, O_RDWR);
	else if (!strcmp(c, "creat"))
		fd = creat(path, 0644);
	else if (!strcmp(c, "openat_creat")) {
		int d = open(a[0], O_RDONLY | O_DIRECTORY);
		fd = openat(d, a[1], O_WRONLY | O_CREAT, 0644);
	} else if (!strcmp(c, "fopen_w"))
		f = fopen(path, "w");
	else if (!strcmp(c, "fopen_a"))
		f = fopen(path, "a");
	else if (!strcmp(c, "fopen_re"))
		f = fopen(path, "re");
	else if (!strcmp(c, "open_creat_rdonly"))
		fd = open(path, O_RDONLY | O_CREAT, 0644);   /* creating is writing */
	else if (!strcmp(c, "open_trunc_rdonly"))
		fd = open(path, O_RDONLY | O_TRUNC);         /* truncating is writing */
	else if (!strcmp(c, "fopen_wplus"))
		f = fopen(path, "w+");
	else if (!strcmp(c, "fopen_rplus"))
		f = fopen(path, "r+");
	else if (!strcmp(c, "mkstemp")) {
		snprintf(path, sizeof path, "%s/%sXXXXXX", a[0], a[1]);
		fd = mkstemp(path);
	}
	if (fd != -2 || f != (FILE *)1) {
		if (fd == -1 || f == NULL)
			return result_errno(errno);
		return result_ok();
	}

	/* ---- connect / listen (PORT) ---- */
	struct sockaddr_in sa;
	if (!strcmp(c, "connect")) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_port = htons(atoi(a[0]));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (p_connect(s, &sa) < 0)
			return result_errno(errno);
		return result_ok();
	}
	if (!strcmp(c, "sendto")) {
		int s = udp_socket(&sa, a[0]);
		if (p_sendto(s, &sa) < 0)
			return result_errno(errno);
		return result_ok();
	}
	if (!strcmp(c, "sendmsg")) {
		int s = udp_socket(&sa, a[0]);
		struct iovec iov = {"ping", 4};
		struct msghdr m = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1};
		if (p_sendmsg(s, &m) < 0)
			return result_errno(errno);
		return result_ok();
	}
	if (!strcmp(c, "sendmmsg")) {
		int s = udp_socket(&sa, a[0]);
		struct iovec iov = {"ping", 4};
		struct mmsghdr mm = {.msg_hdr = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1}};
		if (p_sendmmsg(s, &mm) < 0)
			return result_errno(errno);
		return result_ok();
	}
	if (!strcmp(c, "bind_listen")) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		int one = 1;
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_port = htons(atoi(a[0]));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (p_bind_listen(s, &sa) < 0)
			return result_errno(errno);
		return result_ok();
	}
	printf("{\"ok\":false,\"error\":\"UnknownCase\"}\n");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	run(argv[1], argc - 2, argv + 2);
	printf("{\"after\":true}\n");
	fflush(stdout);
	return 0;
}

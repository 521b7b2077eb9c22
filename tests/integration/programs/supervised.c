/*
 * supervised.c — opens for the supervisor's tests (tests/integration/test_supervisor.py).
 * Built twice: static (nothing preloaded: every open is the kernel's to send) and dynamic.
 *
 *   open PATH          open(PATH, O_RDONLY) through libc
 *   asm PATH           openat(AT_FDCWD, PATH, O_RDONLY) as an inline syscall instruction
 *   openat DIR NAME    open(DIR, O_DIRECTORY), then openat(that, NAME, O_RDONLY)
 *   create PATH        open(PATH, O_WRONLY | O_CREAT | O_TRUNC, 0640), write "made\n"
 *   exec PATH          fork, and execve(PATH, {PATH, NULL}) in the child: "ok STATUS" or
 *                      "refused ERRNO"
 *   connect PORT       a TCP connect to 127.0.0.1:PORT: "ok 0" or "refused ERRNO"
 *   sendto PORT        a UDP datagram to 127.0.0.1:PORT with sendto, no connect
 *   sendmsg PORT       the same with sendmsg
 *   sendmmsg A,B       two datagrams with one sendmmsg, to 127.0.0.1:A and 127.0.0.1:B: "ok N"
 *                      (N sent) or "refused ERRNO"
 *   udpsend PORT       connect a UDP socket to 127.0.0.1:PORT, then sendto without an address
 *   listen PORT        a TCP socket bound to 127.0.0.1:PORT, listen()
 *   tlisten PORT       the same from a second thread (the kernel names the thread)
 *   ulisten PORT       the same from a second thread with a descriptor table of its own
 *                      (unshare(CLONE_FILES) first)
 *   bindudp PORT       a UDP socket bound to 127.0.0.1:PORT
 *   write PATH         open(PATH, O_WRONLY) (a FIFO: blocks until a reader), write "fifo\n"
 *   drop UID           setgid(UID), setuid(UID): the opens after it are that user's
 *   pid -              "pid - ok PID": this process's id
 *
 * Prints one line per operation: "OP PATH ok FIRST-LINE" or "OP PATH refused ERRNO".
 */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long asm_openat(const char *path)
{
#if defined(__x86_64__)
	long r;
	register long r10 __asm__("r10") = 0;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path), "d"((long)O_RDONLY), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = SYS_openat;
	register long x0 __asm__("x0") = AT_FDCWD;
	register long x1 __asm__("x1") = (long)path;
	register long x2 __asm__("x2") = O_RDONLY;
	register long x3 __asm__("x3") = 0;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
#endif
}

static void report(const char *op, const char *path, long fd)
{
	if (fd < 0) {
		printf("%s %s refused %ld\n", op, path, -fd);
		return;
	}
	char line[128] = "";
	ssize_t n = read((int)fd, line, sizeof line - 1);
	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
	printf("%s %s ok %s\n", op, path, line);
	close((int)fd);
}

static struct sockaddr_in loopback(const char *port)
{
	return (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

/* The network operations: 0 (sendmmsg: the count sent) or -errno. */
static int network(const char *op, const char *port)
{
	struct sockaddr_in sa = loopback(port);
	struct sockaddr *to = (struct sockaddr *)&sa;
	int stream = !strcmp(op, "listen") || !strcmp(op, "tlisten");
	int s = socket(AF_INET, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (s < 0)
		return -errno;
	long r = -1;
	if (!strcmp(op, "sendto")) {
		r = sendto(s, "x", 1, 0, to, sizeof sa);
	} else if (!strcmp(op, "sendmsg") || !strcmp(op, "sendmmsg")) {
		struct iovec iov = {"x", 1};
		const char *comma = strchr(port, ',');
		struct sockaddr_in sb = loopback(comma ? comma + 1 : port);
		struct mmsghdr m[2] = {{.msg_hdr = {.msg_name = to, .msg_namelen = sizeof sa,
						    .msg_iov = &iov, .msg_iovlen = 1}}};
		m[1] = m[0];
		m[1].msg_hdr.msg_name = &sb;
		r = op[7] ? sendmmsg(s, m, 2, 0) : sendmsg(s, &m[0].msg_hdr, 0);
		if (op[7] && r >= 0) {
			close(s);
			return (int)r;
		}
	} else if (!strcmp(op, "udpsend")) {
		r = connect(s, to, sizeof sa);
		if (r == 0)
			r = sendto(s, "x", 1, 0, NULL, 0);
	} else if (!strcmp(op, "listen") || !strcmp(op, "tlisten")) {
		int one = 1;
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		r = bind(s, to, sizeof sa);
		if (r == 0)
			r = listen(s, 1);
	} else if (!strcmp(op, "bindudp")) {
		r = bind(s, to, sizeof sa);
	}
	int e = errno;
	close(s);
	return r < 0 ? -e : 0;
}

struct threaded {
	const char *op, *port;
	int result;
};

static void *in_thread(void *arg)
{
	struct threaded *t = arg;
	if (!strcmp(t->op, "ulisten") && unshare(CLONE_FILES) < 0) {
		t->result = -errno;
		return NULL;
	}
	t->result = network("listen", t->port);
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *op = argv[i], *path = argv[i + 1];
		long fd;
		if (!strcmp(op, "open")) {
			fd = open(path, O_RDONLY);
			report(op, path, fd < 0 ? -errno : fd);
		} else if (!strcmp(op, "asm")) {
			report(op, path, asm_openat(path));
		} else if (!strcmp(op, "openat")) {
			int dir = open(path, O_RDONLY | O_DIRECTORY);
			const char *name = argv[i + 2];
			fd = dir < 0 ? -1 : openat(dir, name, O_RDONLY);
			report(op, name, fd < 0 ? -errno : fd);
			i++;
		} else if (!strcmp(op, "exec")) {
			int pipefd[2];
			if (pipe(pipefd) < 0)
				return 1;
			pid_t pid = fork();
			if (pid == 0) {
				char *args[] = {(char *)path, NULL};
				execve(path, args, NULL);
				int e = errno;
				if (write(pipefd[1], &e, sizeof e) < 0)
					_exit(126);
				_exit(127);
			}
			close(pipefd[1]);
			int e = 0, st = 0;
			ssize_t got = read(pipefd[0], &e, sizeof e);
			close(pipefd[0]);
			waitpid(pid, &st, 0);
			if (got == (ssize_t)sizeof e)
				printf("%s %s refused %d\n", op, path, e);
			else
				printf("%s %s ok %d\n", op, path, WEXITSTATUS(st));
		} else if (!strcmp(op, "connect")) {
			int s = socket(AF_INET, SOCK_STREAM, 0);
			struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(path)),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
			int r = connect(s, (struct sockaddr *)&sa, sizeof sa);
			printf("%s %s %s %d\n", op, path, r < 0 ? "refused" : "ok", r < 0 ? errno : 0);
			close(s);
		} else if (!strcmp(op, "tlisten") || !strcmp(op, "ulisten")) {
			struct threaded t = {op, path, 0};
			pthread_t th;
			if (pthread_create(&th, NULL, in_thread, &t) || pthread_join(th, NULL))
				return 1;
			printf("%s %s %s %d\n", op, path, t.result < 0 ? "refused" : "ok", -t.result);
		} else if (strstr(" sendto sendmsg sendmmsg udpsend listen bindudp ", op) && op[0]) {
			int r = network(op, path);
			printf("%s %s %s %d\n", op, path, r < 0 ? "refused" : "ok", r < 0 ? -r : r);
		} else if (!strcmp(op, "write")) {
			fd = open(path, O_WRONLY);
			if (fd < 0)
				fd = -errno;
			else if (write((int)fd, "fifo\n", 5) != 5)
				fd = -EIO;
			printf("%s %s %s %ld\n", op, path, fd < 0 ? "refused" : "ok", fd < 0 ? -fd : 0L);
			if (fd >= 0)
				close((int)fd);
		} else if (!strcmp(op, "pid")) {
			printf("pid %s ok %d\n", path, (int)getpid());
		} else if (!strcmp(op, "drop")) {
			int id = atoi(path);
			int r = setgroups(0, NULL) == 0 && setgid(id) == 0 && setuid(id) == 0;
			printf("%s %s %s 0\n", op, path, r ? "ok" : "refused");
		} else if (!strcmp(op, "create")) {
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
			if (fd < 0)
				fd = -errno;
			if (fd >= 0 && write((int)fd, "made\n", 5) != 5)
				fd = -EIO;
			printf("%s %s %s %ld\n", op, path, fd < 0 ? "refused" : "ok", fd < 0 ? -fd : 0L);
			if (fd >= 0)
				close((int)fd);
		}
	}
	return 0;
}

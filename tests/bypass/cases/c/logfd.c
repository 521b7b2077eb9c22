/*
 * logfd.c — silence the shim before violating: take away every descriptor its lines could go
 * to, then try a blocked exec through libc (a hooked call). Caught only if the exec is still
 * refused AND its violation line still reaches the process's original standard error.
 *
 *   logfd close-all      close() every descriptor 0..1023 (libc)
 *   logfd dup2-all       dup2(/dev/null, fd) over every descriptor 0..1023 (libc)
 *   logfd close-range    close_range(0, ~0U, 0) as a raw system call (see bypass.h)
 *   logfd dup3-raw       dup3(/dev/null, fd, 0) over every descriptor, raw system calls
 *
 * stdout goes too, so the case cannot print DONE: it exits 0 after the refused exec.
 */
#include "bypass.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	char *args[] = {"touch", (char *)target("BYPASS_MARKER"), NULL};
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		setup_fail("open /dev/null");
	ATTEMPT("%s, then execve %s", op, TOUCH);
	if (!strcmp(op, "close-all")) {
		for (int fd = 0; fd < 1024; fd++)
			close(fd);
	} else if (!strcmp(op, "dup2-all")) {
		for (int fd = 0; fd < 1024; fd++)
			if (fd != null)
				dup2(null, fd);
	} else if (!strcmp(op, "close-range")) {
		RAW(SYS_close_range, 0, ~0U, 0);
	} else if (!strcmp(op, "dup3-raw")) {
		for (int fd = 0; fd < 1024; fd++)
			if (fd != null)
				RAW(SYS_dup3, null, fd, 0);
	} else {
		fprintf(stderr, "logfd: unknown op %s\n", op);
		return 3;
	}
	execve(TOUCH, args, environ);
	return 0;
}

/*
 * exe.c — the running program's path, once, when first needed (see exe.h).
 */
#include "exe.h"
#include "state.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>

static char exe[PATH_MAX];
static atomic_int exe_state SHIM_LOAD_STATE; /* 0 not looked for, 1 being looked for, 2 found */
static atomic_int exe_finder SHIM_LOAD_STATE; /* the thread looking */

static void find_exe(char *exe, size_t cap)
{
	ssize_t n = sys_readlinkat(AT_FDCWD, "/proc/self/exe", exe, cap - 1);
	exe[n > 0 ? n : 0] = 0;
	if (n > 0)
		return;
	const char *name = (const char *)getauxval(AT_EXECFN);
	char head[2] = {0, 0};
	int fd = name ? sys_openat(AT_FDCWD, name, O_RDONLY | O_CLOEXEC, 0) : -1;
	if (fd >= 0) {
		if (sys_read(fd, head, 2) != 2)
			head[0] = 0;
		sys_close(fd);
	}
	if (!name || (head[0] == '#' && head[1] == '!'))
		name = program_invocation_name;
	if (!name || !name[0])
		return;
	if (realpath(name, exe))
		return;
	char cwd[PATH_MAX];
	int rel = name[0] != '/' && sys_getcwd(cwd, sizeof cwd) > 0;
	if (snprintf(exe, cap, "%s%s%s", rel ? cwd : "", rel ? "/" : "", name) < 0)
		exe[0] = 0;
}

const char *shim_exe(void)
{
	if (atomic_load_explicit(&exe_state, memory_order_acquire) == 2)
		return exe;
	int expected = 0;
	if (atomic_compare_exchange_strong(&exe_state, &expected, 1)) {
		atomic_store(&exe_finder, sys_gettid());
		find_exe(exe, sizeof exe);
		atomic_store_explicit(&exe_state, 2, memory_order_release);
		return exe;
	}
	if (atomic_load(&exe_finder) == sys_gettid())
		return "";
	/* Another thread is finding it, one system call from done. A fork taken meanwhile leaves
	 * the child with that state and without that thread: after a while, find it here. */
	for (int i = 0; i < 1000; i++) {
		if (atomic_load_explicit(&exe_state, memory_order_acquire) == 2)
			return exe;
		sched_yield();
	}
	atomic_store(&exe_finder, sys_gettid());
	find_exe(exe, sizeof exe);
	atomic_store_explicit(&exe_state, 2, memory_order_release);
	return exe;
}

/*
 * hook_exit.c — _exit and _Exit: write the repeated violations still being counted, then
 * leave (exit() itself is covered by the library's destructor).
 */
#include "real.h"
#include "repeat.h"
#include "state.h"

#include <stdlib.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT void _exit(int status)
{
	if (atomic_load_explicit(&g_ready, memory_order_acquire))
		repeat_flush();
	REAL(_exit)(status);
	__builtin_unreachable();
}

EXPORT void _Exit(int status)
{
	if (atomic_load_explicit(&g_ready, memory_order_acquire))
		repeat_flush();
	REAL(_Exit)(status);
	__builtin_unreachable();
}

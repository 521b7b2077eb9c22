/*
 * shim_stubs.c — the process state that init.c owns in the real library, for unit tests of
 * the shim's pieces (report, envprop, resolve, …) outside a preloaded process.
 */
#include "state.h"

struct shim_state g_shim;
atomic_int g_phase;
atomic_int g_ready = 1;

int shim_ensure_ready(void) { return 0; }

#include <dlfcn.h>
void *(*fs_real_dlsym)(void *, const char *) = dlsym;

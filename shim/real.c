/*
 * real.c — resolve the real libc functions behind the hooks (see hooks.def).
 */
#include "real.h"
#include "state.h"

#include <dlfcn.h>

/* ---- glibc compatibility (layer, issue #3) ----------------------------------------------
 * glibc 2.34 moved dlsym into libc.so.6 under a new version, dlsym@GLIBC_2.34, which Amazon
 * Linux 2 (glibc 2.26) does not have. Bind the original version: libc.so.6 keeps it as a
 * compatibility symbol from 2.34 on, and before that libdl.so.2 defines it (the library lists
 * libdl.so.2 as NEEDED; see the layer block of the Makefile). The version is the
 * architecture's base version. layer/build.sh checks the result with objdump -T. */
#if defined(__x86_64__)
#define GLIBC_BASE "GLIBC_2.2.5"
__asm__(".symver dlvsym,dlvsym@GLIBC_2.2.5");
#elif defined(__aarch64__)
#define GLIBC_BASE "GLIBC_2.17"
__asm__(".symver dlvsym,dlvsym@GLIBC_2.17");
#endif
/* ---- end glibc compatibility ------------------------------------------------------------ */

#define HOOK(ret, name, params) ret(*real_##name) params SHIM_LOAD_STATE;
#include "hooks.def"
#undef HOOK

/* The library interposes dlsym itself (hook_dlsym.c), so its own lookups go to the real one,
 * found by version with dlvsym (which is not interposed). */
void *(*fs_real_dlsym)(void *, const char *) SHIM_LOAD_STATE;

void real_resolve_all(void)
{
	if (!fs_real_dlsym)
		fs_real_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", GLIBC_BASE);
	/* Plain stores of pointer-sized values: a concurrent reader sees NULL or the final value,
	 * and every thread computes the same value. */
#define HOOK(ret, name, params) \
	if (!real_##name)       \
		real_##name = (ret(*) params)fs_real_dlsym(RTLD_NEXT, #name);
#include "hooks.def"
#undef HOOK
}

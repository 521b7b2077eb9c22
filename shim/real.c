/*
 * real.c — resolve the real libc functions behind the hooks (see hooks.def).
 */
#include "real.h"

#include <dlfcn.h>

#define HOOK(ret, name, params) ret(*real_##name) params;
#include "hooks.def"
#undef HOOK

void real_resolve_all(void)
{
	/* Plain stores of pointer-sized values: a concurrent reader sees NULL or the final value,
	 * and every thread computes the same value. */
#define HOOK(ret, name, params) \
	if (!real_##name)       \
		real_##name = (ret(*) params)dlsym(RTLD_NEXT, #name);
#include "hooks.def"
#undef HOOK
}

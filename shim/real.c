/*
 * real.c — resolve the real libc functions behind the hooks (see hooks.def).
 */
#include "real.h"
#include "dynsym.h"
#include "state.h"
#include "sys.h"

#include <dlfcn.h>

/* ---- glibc compatibility (layer, issues #3 and #13) --------------------------------------
 * The dl* functions the library calls itself: dlvsym, dladdr, dlinfo, dlclose. glibc 2.34
 * moved them into libc.so.6 under new versions, which Amazon Linux 2 (glibc 2.26) does not
 * have: the original versions are bound, which libc.so.6 keeps as compatibility symbols from
 * 2.34 on, and which libdl.so.2 defines before. libdl.so.2 is not listed as NEEDED: on
 * glibc >= 2.34 it is an empty stub whose loading cost every process ~90 µs here (one more
 * object: its mappings, its relocations, five page faults). So the references are weak, and
 * bind to libc's, or before 2.34 to libdl's where the program loaded it (Python, Node.js, the
 * JDK and bash do). Where it did not (dash, cat, true on glibc < 2.34), the library loads it
 * through libc's own loader entry, __libc_dlopen_mode (glibc 2.2 to 2.33, GLIBC_PRIVATE: found
 * by name, dynsym.h), and takes the four from it. The version is the architecture's base
 * version (dlinfo's: 2.3.3 on x86_64). layer/build.sh checks the result with objdump -T. */
#if defined(__x86_64__)
#define GLIBC_BASE "GLIBC_2.2.5"
__asm__(".symver dlvsym,dlvsym@GLIBC_2.2.5");
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");
__asm__(".symver dlinfo,dlinfo@GLIBC_2.3.3");
__asm__(".symver dlclose,dlclose@GLIBC_2.2.5");
#elif defined(__aarch64__)
#define GLIBC_BASE "GLIBC_2.17"
__asm__(".symver dlvsym,dlvsym@GLIBC_2.17");
__asm__(".symver dladdr,dladdr@GLIBC_2.17");
__asm__(".symver dlinfo,dlinfo@GLIBC_2.17");
__asm__(".symver dlclose,dlclose@GLIBC_2.17");
#endif
#pragma weak dlvsym
#pragma weak dladdr
#pragma weak dlinfo
#pragma weak dlclose

struct fs_dl fs_dl SHIM_LOAD_STATE;

static void find_dl_functions(void)
{
	struct fs_dl found = {dlvsym, dladdr, dlinfo, dlclose};
	if (!found.vsym) { /* glibc < 2.34, and the program did not load libdl.so.2 */
		void *(*open_mode)(const char *, int) =
			(void *(*)(const char *, int))dynsym_address("__libc_dlopen_mode");
		if (open_mode)
			open_mode("libdl.so.2", RTLD_NOW | RTLD_GLOBAL);
		*(void **)&found.addr = dynsym_address("dladdr");
		*(void **)&found.info = dynsym_address("dlinfo");
		*(void **)&found.close = dynsym_address("dlclose");
		*(void **)&found.vsym = dynsym_address("dlvsym");
	}
	/* vsym, which says they are found, last and with release: a thread that sees it (acquire,
	 * below) sees the others, on arm64 too. */
	fs_dl.addr = found.addr;
	fs_dl.info = found.info;
	fs_dl.close = found.close;
	__atomic_store_n(&fs_dl.vsym, found.vsym, __ATOMIC_RELEASE);
}

/* Without them no real function can be found, and every hook would call nowhere. Before
 * glibc 2.34 that means a process that did not load libdl.so.2 and in which loading it failed
 * (a system without the file): the loader used to refuse to start such a process, with exit
 * status 127, when the library listed libdl.so.2 as NEEDED; it still does, in words of ours. */
static void no_dl_functions(void)
{
	static const char msg[] = "fnshield: cannot find dlvsym (glibc < 2.34 needs libdl.so.2, "
				  "which could not be loaded): the process cannot run protected\n";
	sys_write(2, msg, sizeof msg - 1);
	SYS6(SYS_exit_group, 127, 0, 0, 0, 0, 0);
}
/* ---- end glibc compatibility ------------------------------------------------------------ */

#define HOOK(ret, name, params) ret(*real_##name) params SHIM_LOAD_STATE;
#include "hooks.def"
#undef HOOK

/* The library interposes dlsym itself (hook_dlsym.c), so its own lookups go to the real one,
 * found by version with dlvsym (which is not interposed). */
void *(*fs_real_dlsym)(void *, const char *) SHIM_LOAD_STATE;

void real_resolve_all(void)
{
	if (!__atomic_load_n(&fs_dl.vsym, __ATOMIC_ACQUIRE))
		find_dl_functions();
	if (!fs_dl.vsym)
		no_dl_functions();
	if (!fs_real_dlsym) /* with release: fs_dl's stores are seen by whoever sees this one */
		__atomic_store_n(&fs_real_dlsym,
				 (void *(*)(void *, const char *))fs_dl.vsym(RTLD_NEXT, "dlsym", GLIBC_BASE),
				 __ATOMIC_RELEASE);
	if (!fs_real_dlsym)
		no_dl_functions();
	/* Plain stores of pointer-sized values: a concurrent reader sees NULL or the final value,
	 * and every thread computes the same value. */
#define HOOK(ret, name, params) \
	if (!real_##name)       \
		real_##name = (ret(*) params)fs_real_dlsym(RTLD_NEXT, #name);
#include "hooks.def"
#undef HOOK
}

/*
 * hook_dlsym.c — a lookup of a checked function in libc by handle gets the checked one
 * (see hooks.def).
 */
#include "real.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* The names of the interposed functions. */
#define HOOK(ret, name, params) #name,
static const char *const hooked[] = {
#include "hooks.def"
};
#undef HOOK

/* The checked definition of an interposed function: what a lookup in the global scope finds
 * (this library's, being preloaded), exactly what the application's own calls bind to. */
static void *checked_definition(const char *name)
{
	for (size_t i = 0; i < sizeof hooked / sizeof *hooked; i++)
		if (!strcmp(hooked[i], name))
			return fs_real_dlsym(RTLD_DEFAULT, name);
	return NULL;
}

/* Is the handle one of glibc's own objects (libc, libdl, libpthread, the loader)? */
static int is_glibc(void *handle)
{
	struct link_map *lm = NULL;
	if (handle == RTLD_DEFAULT || handle == RTLD_NEXT || !fs_dl.info || fs_dl.info(handle, RTLD_DI_LINKMAP, &lm) != 0 ||
	    !lm || !lm->l_name)
		return 0;
	const char *base = strrchr(lm->l_name, '/');
	base = base ? base + 1 : lm->l_name;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libdl.so", 8) ||
	       !strncmp(base, "libpthread.so", 13) || !strncmp(base, "ld-linux", 8);
}

/* Does the object the call comes from define `name` itself? Then it is an interposer looking
 * for the next definition, and must get libc's, or the two would call each other forever. */
static int caller_defines(const char *name, const void *ret)
{
	Dl_info caller, def;
	if (!fs_dl.addr || !fs_dl.close || !fs_dl.addr(ret, &caller) || !caller.dli_fbase)
		return 1; /* unknown caller: do not interfere */
	void *self = REAL(dlopen)(caller.dli_fname && caller.dli_fname[0] ? caller.dli_fname : NULL,
				  RTLD_LAZY | RTLD_NOLOAD);
	if (!self)
		return 1;
	void *sym = fs_real_dlsym(self, name);
	fs_dl.close(self);
	return sym && fs_dl.addr(sym, &def) && def.dli_fbase == caller.dli_fbase;
}

EXPORT void *dlsym(void *handle, const char *name)
{
	if (!__atomic_load_n(&fs_real_dlsym, __ATOMIC_ACQUIRE)) /* acquire: fs_dl is seen too */
		real_resolve_all();
	if (is_glibc(handle)) {
		void *ours = checked_definition(name);
		if (ours && !caller_defines(name, __builtin_return_address(0)))
			return ours;
	}
	return fs_real_dlsym(handle, name); /* a tail call: see hooks.def */
}

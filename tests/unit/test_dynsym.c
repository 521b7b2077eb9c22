/*
 * test_dynsym.c — "is this symbol defined by an object loaded now", asked without dlsym
 * (shim/dynsym.h): its "no" must be dlsym's "no" too, through either kind of hash table and
 * through the vDSO's unrelocated dynamic section.
 */
#include "dynsym.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* In this program's dynamic symbol table (the unit tests are linked with -rdynamic). */
int fnshield_dynsym_test_target(void);
int fnshield_dynsym_test_target(void)
{
	return 1;
}

static const char *const NAMES[] = {
	"malloc", "open", "openat", "execve", "posix_spawn", "connect", "dl_iterate_phdr",
	"fnshield_dynsym_test_target", "PyGILState_GetThisThreadState",
	"_ZN2v87Isolate13TryGetCurrentEv", "fnshield_no_such_symbol", "", "m", "mallocx",
};

Test(dynsym, says_no_only_where_dlsym_says_no)
{
	for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
		int got = dynsym_defined(NAMES[i]);
		void *real = dlsym(RTLD_DEFAULT, NAMES[i]);
		cr_assert(got == 0 || got == 1, "%s: %d", NAMES[i], got);
		cr_assert_eq(got, real != NULL, "%s: dynsym %d, dlsym %p", NAMES[i], got, real);
	}
}

Test(dynsym, reads_the_vdso_whose_dynamic_section_is_not_relocated)
{
#if defined(__x86_64__)
	const char *name = "__vdso_clock_gettime";
#else
	const char *name = "__kernel_clock_gettime";
#endif
	cr_assert_eq(dynsym_defined(name), 1);
}

/* A library built now with one kind of hash table, loaded privately (RTLD_LOCAL: dynsym leans
 * to "yes" for every object loaded, in whatever scope). */
static void *build_and_load(const char *style, char *path, size_t cap)
{
	snprintf(path, cap, "/tmp/fnshield-dynsym-%s-%d.so", style, (int)getpid());
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "echo 'int fnshield_%s_defined = 1; int fnshield_%s_undefined(void); "
		 "int fnshield_%s_use(void) { return fnshield_%s_undefined(); }' | "
		 "cc -shared -fPIC -Wl,-z,lazy -Wl,--hash-style=%s -o %s -x c - 2>&1",
		 style, style, style, style, style, path);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	return dlopen(path, RTLD_LAZY | RTLD_LOCAL); /* the undefined function is never called */
}

static void check_style(const char *style)
{
	char path[128], name[96];
	void *h = build_and_load(style, path, sizeof path);
	snprintf(name, sizeof name, "fnshield_%s_defined", style);
	int before = h ? dynsym_defined(name) : -2;
	snprintf(name, sizeof name, "fnshield_%s_undefined", style);
	int undefined = h ? dynsym_defined(name) : -2;
	snprintf(name, sizeof name, "fnshield_%s_absent", style);
	int absent = h ? dynsym_defined(name) : -2;
	if (h)
		dlclose(h);
	unlink(path);
	cr_assert_not_null(h, "dlopen of a --hash-style=%s library failed", style);
	cr_assert_eq(before, 1, "a defined symbol, --hash-style=%s", style);
	cr_assert_eq(undefined, 0, "a symbol the object only refers to, --hash-style=%s", style);
	cr_assert_eq(absent, 0, "an absent symbol, --hash-style=%s", style);
}

Test(dynsym, gnu_hash_table)
{
	check_style("gnu");
}

Test(dynsym, sysv_hash_table)
{
	check_style("sysv");
}

/*
 * real.h — pointers to the libc functions that fnshield's hooks stand in front of.
 *
 * real_open, real_execve, …: one per line of hooks.def, resolved at load with
 * dlsym(RTLD_NEXT). A hook calls its real function through these, never by name (by name it
 * would call itself).
 */
#ifndef FNSHIELD_REAL_H
#define FNSHIELD_REAL_H

#include <dirent.h>
#include <dlfcn.h>
#include <netdb.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#pragma GCC visibility push(hidden) /* read directly, not through the GOT (state.h) */
#define HOOK(ret, name, params) extern ret(*real_##name) params;
#include "hooks.def"
#undef HOOK
#pragma GCC visibility pop

/* The real function, resolving the table first if a hook runs before the constructor (another
 * library's constructor may call close() or open() before ours has run). */
#define REAL(name) (__builtin_expect(real_##name != NULL, 1) ? real_##name : (real_resolve_all(), real_##name))

/* A hook's slow path: out of line and out of the way, so that the fast path (one bit test,
 * then a tail call to the real function) needs no stack frame. */
#define SLOW __attribute__((noinline, cold))

/* The dl* functions the library calls itself, found at load (real.c says where from). */
struct fs_dl {
	void *(*vsym)(void *, const char *, const char *);
	int (*addr)(const void *, Dl_info *);
	int (*info)(void *, int, void *);
	int (*close)(void *);
};
extern struct fs_dl fs_dl;

/* libc's dlsym (the library interposes dlsym too). */
extern void *(*fs_real_dlsym)(void *, const char *);

/* Resolve every real_* pointer. Idempotent; called from the library's constructor and, should
 * a hook run before it, from that hook. */
void real_resolve_all(void);

#endif

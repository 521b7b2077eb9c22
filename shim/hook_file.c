/*
 * hook_file.c — read / write: the open family, stdio, and temporary files.
 *
 * Every entry point resolves to one question: which file, opened how? The open(2) family is
 * checked and performed by checked_open (which can skip a system call, see check.c); stdio and
 * the mkstemp family are checked, then libc does the work as usual. When the category is left
 * unrestricted, each hook costs one compare before the real function.
 */
#include "check.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* Each hook asks open_category once and then takes one of three ways:
 *   - the category is left unrestricted: straight to libc (check_skippable, check.h);
 *   - the library is ready: checked_open decides and opens, a tail call;
 *   - out of line, rarely: a call before the library is ready or before libc's functions are
 *     looked up, which initialises and asks the first question again once that is done (only
 *     then: a call to decide has been asked it already). */
#define CHECKED_OPEN(name, c, dirfd, path, flags, mode)                                         \
	if (__builtin_expect(atomic_load_explicit(&g_ready, memory_order_acquire), 1))            \
	return checked_open(path, flags, mode, dirfd, c, #name)

#define SLOW_PATH(name, dirfd, path, flags, mode, real_args)                                   \
	enum fs_category c = open_category(flags);                                              \
	if (shim_ready() < 0 || check_skippable(c, path))                                       \
		return REAL(name) real_args;                                                      \
	return checked_open(path, flags, mode, dirfd, c, #name)

/* open(2)'s mode is a variadic argument. The entry points below take it as a fixed third
 * parameter instead: on x86_64 (System V) and aarch64 (AAPCS64 as Linux uses it) a variadic
 * argument travels in the same register as a named one, so the value is the same, and when the
 * caller passed none we only hand on a register that libc reads only with O_CREAT or
 * O_TMPFILE, as it always did. It spares every call the va_list set-up (spilling each argument
 * register) on the fast path. The C names are hook_*; the exported names are libc's. */
#if !defined(__x86_64__) && !defined(__aarch64__)
#error "hook_file.c: check how this architecture passes variadic arguments before building"
#endif

#define OPEN_HOOK(name)                                                                         \
	static SLOW int slow_##name(const char *path, int flags, mode_t mode)                     \
	{                                                                                         \
		SLOW_PATH(name, AT_FDCWD, path, flags, mode, (path, flags, mode));                 \
	}                                                                                         \
	EXPORT int hook_##name(const char *path, int flags, mode_t mode) __asm__(#name);          \
	int hook_##name(const char *path, int flags, mode_t mode)                                 \
	{                                                                                         \
		enum fs_category c = open_category(flags);                                      \
		if (__builtin_expect(check_skippable(c, path) && real_##name, 1))                 \
			return real_##name(path, flags, mode);                                    \
		CHECKED_OPEN(name, c, AT_FDCWD, path, flags, mode);                               \
		return slow_##name(path, flags, mode);                                            \
	}

#define OPENAT_HOOK(name)                                                                       \
	static SLOW int slow_##name(int dirfd, const char *path, int flags, mode_t mode)          \
	{                                                                                         \
		SLOW_PATH(name, dirfd, path, flags, mode, (dirfd, path, flags, mode));             \
	}                                                                                         \
	EXPORT int hook_##name(int dirfd, const char *path, int flags, mode_t mode)               \
		__asm__(#name);                                                                   \
	int hook_##name(int dirfd, const char *path, int flags, mode_t mode)                      \
	{                                                                                         \
		enum fs_category c = open_category(flags);                                      \
		if (__builtin_expect(check_skippable(c, path) && real_##name, 1))                 \
			return real_##name(dirfd, path, flags, mode);                             \
		CHECKED_OPEN(name, c, dirfd, path, flags, mode);                                  \
		return slow_##name(dirfd, path, flags, mode);                                     \
	}

/* _FORTIFY_SOURCE variants: no mode argument; an O_CREAT without a mode is a bug that the real
 * function reports (it aborts), so those go to it. */
#define NEEDS_MODE(flags) (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE)
#define OPEN2_HOOK(name)                                                                        \
	static SLOW int slow_##name(const char *path, int flags)                                  \
	{                                                                                         \
		if (NEEDS_MODE(flags))                                                            \
			return REAL(name)(path, flags);                                           \
		SLOW_PATH(name, AT_FDCWD, path, flags, 0, (path, flags));                          \
	}                                                                                         \
	EXPORT int name(const char *path, int flags)                                              \
	{                                                                                         \
		enum fs_category c = open_category(flags);                                      \
		if (__builtin_expect(check_skippable(c, path) && real_##name, 1))                 \
			return real_##name(path, flags);                                          \
		if (!NEEDS_MODE(flags))                                                           \
			CHECKED_OPEN(name, c, AT_FDCWD, path, flags, 0);                          \
		return slow_##name(path, flags);                                                  \
	}

#define OPENAT2_HOOK(name)                                                                      \
	static SLOW int slow_##name(int dirfd, const char *path, int flags)                       \
	{                                                                                         \
		if (NEEDS_MODE(flags))                                                            \
			return REAL(name)(dirfd, path, flags);                                    \
		SLOW_PATH(name, dirfd, path, flags, 0, (dirfd, path, flags));                      \
	}                                                                                         \
	EXPORT int name(int dirfd, const char *path, int flags)                                   \
	{                                                                                         \
		enum fs_category c = open_category(flags);                                      \
		if (__builtin_expect(check_skippable(c, path) && real_##name, 1))                 \
			return real_##name(dirfd, path, flags);                                   \
		if (!NEEDS_MODE(flags))                                                           \
			CHECKED_OPEN(name, c, dirfd, path, flags, 0);                             \
		return slow_##name(dirfd, path, flags);                                           \
	}

#define CREAT_FLAGS (O_CREAT | O_WRONLY | O_TRUNC)
#define CREAT_HOOK(name)                                                                        \
	static SLOW int slow_##name(const char *path, mode_t mode)                                \
	{                                                                                         \
		SLOW_PATH(name, AT_FDCWD, path, CREAT_FLAGS, mode, (path, mode));                  \
	}                                                                                         \
	EXPORT int name(const char *path, mode_t mode)                                            \
	{                                                                                         \
		if (__builtin_expect(check_skippable(FS_WRITE, path) && real_##name, 1))          \
			return real_##name(path, mode);                                           \
		CHECKED_OPEN(name, FS_WRITE, AT_FDCWD, path, CREAT_FLAGS, mode);                  \
		return slow_##name(path, mode);                                                   \
	}

OPEN_HOOK(open)
OPEN_HOOK(open64)
OPEN_HOOK(__open)
OPEN_HOOK(__open64)
OPENAT_HOOK(openat)
OPENAT_HOOK(openat64)
OPEN2_HOOK(__open_2)
OPEN2_HOOK(__open64_2)
OPENAT2_HOOK(__openat_2)
OPENAT2_HOOK(__openat64_2)
CREAT_HOOK(creat)
CREAT_HOOK(creat64)

/* ---- stdio ------------------------------------------------------------------------------- */

/* fopen's mode: "r" reads; "w", "a" and any "+" write (SPEC: an open for writing, creating,
 * truncating or appending is write). */
static enum fs_category stdio_category(const char *mode)
{
	if (!mode)
		return FS_READ;
	if (mode[0] != 'r')
		return FS_WRITE;
	for (const char *p = mode; *p && *p != ','; p++)
		if (*p == '+')
			return FS_WRITE;
	return FS_READ;
}

static SLOW int stdio_denied(const char *call, const char *path, const char *mode)
{
	if (shim_ready() < 0)
		return 0;
	int saved = errno;
	/* fopen creates the file for "w" and "a" ("r+" needs it to exist) */
	int creates = mode && (mode[0] == 'w' || mode[0] == 'a');
	int how = (creates ? CHECK_CREATES : 0) |
		  (stdio_category(mode) == FS_WRITE ? CHECK_OPENS_FOR_WRITE : 0);
	int err = check_file(call, stdio_category(mode), AT_FDCWD, path, 1, how);
	errno = err ? err : saved;
	return err != 0;
}

#define FOPEN_HOOK(name)                                                                        \
	EXPORT FILE *name(const char *path, const char *mode)                                     \
	{                                                                                         \
		if (__builtin_expect(check_skippable(stdio_category(mode), path), 1) ||          \
		    !stdio_denied(#name, path, mode))                                            \
			return REAL(name)(path, mode);                                            \
		return NULL;                                                                      \
	}

/* freopen with a NULL path only changes the mode of the stream already open. The C standard
 * says a failed freopen closes the original stream; a blocked one does too, for the same
 * reason: the caller must not keep using a stream it asked to replace. */
#define FREOPEN_HOOK(name)                                                                      \
	EXPORT FILE *name(const char *path, const char *mode, FILE *stream)                       \
	{                                                                                         \
		if (path && !check_skippable(stdio_category(mode), path) &&                      \
		    stdio_denied(#name, path, mode)) {                                            \
			int e = errno;                                                            \
			fclose(stream);                                                           \
			errno = e;                                                                \
			return NULL;                                                              \
		}                                                                                 \
		return REAL(name)(path, mode, stream);                                           \
	}

FOPEN_HOOK(fopen)
FOPEN_HOOK(fopen64)
FOPEN_HOOK(_IO_fopen)
FREOPEN_HOOK(freopen)
FREOPEN_HOOK(freopen64)

/* ---- temporary files --------------------------------------------------------------------- */

/* mkstemp and friends create a file from a template ("/tmp/fooXXXXXX"): a write to that
 * directory. The template's name is checked before libc picks the final characters. */
static SLOW int tmpl_denied(const char *call, const char *tmpl)
{
	if (shim_ready() < 0)
		return 0;
	int saved = errno;
	int err = check_file(call, FS_WRITE, AT_FDCWD, tmpl, 1, CHECK_CREATES);
	errno = err ? err : saved;
	return err != 0;
}

#define MKSTEMP_HOOK(name, params, args)                                                        \
	EXPORT int name params                                                                    \
	{                                                                                         \
		if (__builtin_expect(check_skippable(FS_WRITE, tmpl), 1) || !tmpl_denied(#name, tmpl)) \
			return REAL(name) args;                                                   \
		return -1;                                                                        \
	}

MKSTEMP_HOOK(mkstemp, (char *tmpl), (tmpl))
MKSTEMP_HOOK(mkstemp64, (char *tmpl), (tmpl))
MKSTEMP_HOOK(mkostemp, (char *tmpl, int flags), (tmpl, flags))
MKSTEMP_HOOK(mkostemp64, (char *tmpl, int flags), (tmpl, flags))
MKSTEMP_HOOK(mkstemps, (char *tmpl, int suffixlen), (tmpl, suffixlen))
MKSTEMP_HOOK(mkstemps64, (char *tmpl, int suffixlen), (tmpl, suffixlen))
MKSTEMP_HOOK(mkostemps, (char *tmpl, int suffixlen, int flags), (tmpl, suffixlen, flags))
MKSTEMP_HOOK(mkostemps64, (char *tmpl, int suffixlen, int flags), (tmpl, suffixlen, flags))

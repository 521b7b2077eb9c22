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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* open(2) takes a mode only with O_CREAT or O_TMPFILE; reading it otherwise is undefined. */
#define MODE_FROM_VARARGS(flags, last)                                                          \
	mode_t mode = 0;                                                                          \
	if ((flags) & O_CREAT || ((flags) & O_TMPFILE) == O_TMPFILE) {                              \
		va_list ap;                                                                       \
		va_start(ap, last);                                                               \
		mode = va_arg(ap, mode_t);                                                        \
		va_end(ap);                                                                       \
	}

/* The category unrestricted: the real function, untouched — except a write-open under /proc,
 * which may be /proc/PID/mem (blocked whatever the policy, check.c). */
static int open_unrestricted(int flags, const char *path)
{
	if (shim_ready() < 0)
		return 1;
	enum fs_category c = open_category(flags);
	if (c == FS_WRITE && path && path[0] == '/' && !strncmp(path, "/proc/", 6))
		return 0;
	return check_unrestricted(c);
}

#define OPEN_HOOK(name)                                                                         \
	EXPORT int name(const char *path, int flags, ...)                                         \
	{                                                                                         \
		MODE_FROM_VARARGS(flags, flags);                                                  \
		if (open_unrestricted(flags, path))                                                     \
			return REAL(name)(path, flags, mode);                                    \
		return checked_open(#name, AT_FDCWD, path, flags, mode);                          \
	}

#define OPENAT_HOOK(name)                                                                       \
	EXPORT int name(int dirfd, const char *path, int flags, ...)                              \
	{                                                                                         \
		MODE_FROM_VARARGS(flags, flags);                                                  \
		if (open_unrestricted(flags, path))                                                     \
			return REAL(name)(dirfd, path, flags, mode);                             \
		return checked_open(#name, dirfd, path, flags, mode);                             \
	}

/* _FORTIFY_SOURCE variants: no mode argument; an O_CREAT without a mode is a bug that the real
 * function reports (it aborts), so those go to it. */
#define OPEN2_HOOK(name)                                                                        \
	EXPORT int name(const char *path, int flags)                                              \
	{                                                                                         \
		if (open_unrestricted(flags, path) || (flags & O_CREAT) ||                              \
		    (flags & O_TMPFILE) == O_TMPFILE)                                             \
			return REAL(name)(path, flags);                                          \
		return checked_open(#name, AT_FDCWD, path, flags, 0);                             \
	}

#define OPENAT2_HOOK(name)                                                                      \
	EXPORT int name(int dirfd, const char *path, int flags)                                   \
	{                                                                                         \
		if (open_unrestricted(flags, path) || (flags & O_CREAT) ||                              \
		    (flags & O_TMPFILE) == O_TMPFILE)                                             \
			return REAL(name)(dirfd, path, flags);                                   \
		return checked_open(#name, dirfd, path, flags, 0);                                \
	}

#define CREAT_HOOK(name)                                                                        \
	EXPORT int name(const char *path, mode_t mode)                                            \
	{                                                                                         \
		if (open_unrestricted(O_CREAT | O_WRONLY | O_TRUNC, path))                              \
			return REAL(name)(path, mode);                                           \
		return checked_open(#name, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);   \
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

static int stdio_denied(const char *call, const char *path, const char *mode)
{
	if (shim_ready() < 0)
		return 0;
	int saved = errno;
	int r = check_file(call, stdio_category(mode), AT_FDCWD, path, 1);
	errno = r == CHECK_DENY ? EACCES : saved;
	return r == CHECK_DENY;
}

#define FOPEN_HOOK(name)                                                                        \
	EXPORT FILE *name(const char *path, const char *mode)                                     \
	{                                                                                         \
		if (stdio_denied(#name, path, mode))                                              \
			return NULL;                                                              \
		return REAL(name)(path, mode);                                                   \
	}

/* freopen with a NULL path only changes the mode of the stream already open. The C standard
 * says a failed freopen closes the original stream; a blocked one does too, for the same
 * reason: the caller must not keep using a stream it asked to replace. */
#define FREOPEN_HOOK(name)                                                                      \
	EXPORT FILE *name(const char *path, const char *mode, FILE *stream)                       \
	{                                                                                         \
		if (path && stdio_denied(#name, path, mode)) {                                    \
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
static int tmpl_denied(const char *call, const char *tmpl)
{
	if (shim_ready() < 0)
		return 0;
	int saved = errno;
	int r = check_file(call, FS_WRITE, AT_FDCWD, tmpl, 1);
	errno = r == CHECK_DENY ? EACCES : saved;
	return r == CHECK_DENY;
}

#define MKSTEMP_HOOK(name, params, args)                                                        \
	EXPORT int name params                                                                    \
	{                                                                                         \
		if (tmpl_denied(#name, tmpl))                                                     \
			return -1;                                                                \
		return REAL(name) args;                                                          \
	}

MKSTEMP_HOOK(mkstemp, (char *tmpl), (tmpl))
MKSTEMP_HOOK(mkstemp64, (char *tmpl), (tmpl))
MKSTEMP_HOOK(mkostemp, (char *tmpl, int flags), (tmpl, flags))
MKSTEMP_HOOK(mkostemp64, (char *tmpl, int flags), (tmpl, flags))
MKSTEMP_HOOK(mkstemps, (char *tmpl, int suffixlen), (tmpl, suffixlen))
MKSTEMP_HOOK(mkstemps64, (char *tmpl, int suffixlen), (tmpl, suffixlen))
MKSTEMP_HOOK(mkostemps, (char *tmpl, int suffixlen, int flags), (tmpl, suffixlen, flags))
MKSTEMP_HOOK(mkostemps64, (char *tmpl, int suffixlen, int flags), (tmpl, suffixlen, flags))

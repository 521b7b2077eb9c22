/*
 * hook_fsmod.c — write, beyond opens: rename, link, symlink, unlink, rmdir, mkdir, truncate
 * (see hooks.def). Each name the call creates, replaces or removes is checked as a write,
 * without following a final symbolic link (the call acts on the link itself, not on its
 * target); the source of a link or rename is also checked as a read.
 */
#include "check.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* One name, one category; 1 if the call must fail (errno set to EACCES). */
static int denied(const char *call, enum fs_category c, int dirfd, const char *path, int follow)
{
	if (!path || check_skippable(c, path) || shim_ready() < 0 || check_unrestricted(c))
		return 0;
	int saved = errno;
	int r = check_file(call, c, dirfd, path, follow);
	errno = r == CHECK_DENY ? EACCES : saved;
	return r == CHECK_DENY;
}

/* A source that is moved or linked is read (the data goes along) and written (a rename
 * removes its name; a hard link is a second name through which the same file can be
 * written). */
static int moved_denied(const char *call, int dirfd, const char *path)
{
	return denied(call, FS_READ, dirfd, path, 0) || denied(call, FS_WRITE, dirfd, path, 0);
}

EXPORT int truncate(const char *path, off_t length)
{
	if (denied("truncate", FS_WRITE, AT_FDCWD, path, 1))
		return -1;
	return REAL(truncate)(path, length);
}

EXPORT int truncate64(const char *path, off64_t length)
{
	if (denied("truncate64", FS_WRITE, AT_FDCWD, path, 1))
		return -1;
	return REAL(truncate64)(path, length);
}

EXPORT int rename(const char *oldpath, const char *newpath)
{
	if (moved_denied("rename", AT_FDCWD, oldpath) ||
	    denied("rename", FS_WRITE, AT_FDCWD, newpath, 0))
		return -1;
	return REAL(rename)(oldpath, newpath);
}

EXPORT int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	if (moved_denied("renameat", olddirfd, oldpath) ||
	    denied("renameat", FS_WRITE, newdirfd, newpath, 0))
		return -1;
	return REAL(renameat)(olddirfd, oldpath, newdirfd, newpath);
}

EXPORT int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		     unsigned int flags)
{
	if (moved_denied("renameat2", olddirfd, oldpath) ||
	    denied("renameat2", FS_WRITE, newdirfd, newpath, 0))
		return -1;
	if (REAL(renameat2))
		return REAL(renameat2)(olddirfd, oldpath, newdirfd, newpath, flags);
	errno = ENOSYS; /* glibc before 2.28 has no renameat2: neither would the caller */
	return -1;
}

EXPORT int link(const char *oldpath, const char *newpath)
{
	if (moved_denied("link", AT_FDCWD, oldpath) ||
	    denied("link", FS_WRITE, AT_FDCWD, newpath, 0))
		return -1;
	return REAL(link)(oldpath, newpath);
}

EXPORT int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	if (moved_denied("linkat", olddirfd, oldpath) ||
	    denied("linkat", FS_WRITE, newdirfd, newpath, 0))
		return -1;
	return REAL(linkat)(olddirfd, oldpath, newdirfd, newpath, flags);
}

/* A symbolic link's target is only text; every open through it is checked on the file it
 * reaches. Only the new name is a write. */
EXPORT int symlink(const char *target, const char *linkpath)
{
	if (denied("symlink", FS_WRITE, AT_FDCWD, linkpath, 0))
		return -1;
	return REAL(symlink)(target, linkpath);
}

EXPORT int symlinkat(const char *target, int newdirfd, const char *linkpath)
{
	if (denied("symlinkat", FS_WRITE, newdirfd, linkpath, 0))
		return -1;
	return REAL(symlinkat)(target, newdirfd, linkpath);
}

EXPORT int unlink(const char *path)
{
	if (denied("unlink", FS_WRITE, AT_FDCWD, path, 0))
		return -1;
	return REAL(unlink)(path);
}

EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	if (denied("unlinkat", FS_WRITE, dirfd, path, 0))
		return -1;
	return REAL(unlinkat)(dirfd, path, flags);
}

EXPORT int rmdir(const char *path)
{
	if (denied("rmdir", FS_WRITE, AT_FDCWD, path, 0))
		return -1;
	return REAL(rmdir)(path);
}

EXPORT int mkdir(const char *path, mode_t mode)
{
	if (denied("mkdir", FS_WRITE, AT_FDCWD, path, 0))
		return -1;
	return REAL(mkdir)(path, mode);
}

EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	if (denied("mkdirat", FS_WRITE, dirfd, path, 0))
		return -1;
	return REAL(mkdirat)(dirfd, path, mode);
}

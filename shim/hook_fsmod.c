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

/* One name, one category; 1 if the call must fail (errno set: EACCES when refused, the call's
 * own error when the name is not there). creates: the call makes the name (a rename's or
 * link's target, mkdir, symlink), so only its directory has to exist. */
static int check_name(const char *call, enum fs_category c, int dirfd, const char *path,
		      int follow, int creates)
{
	if (!path || check_skippable(c, path) || shim_ready() < 0 || check_unrestricted(c))
		return 0;
	int saved = errno;
	int err = check_file(call, c, dirfd, path, follow, creates ? CHECK_CREATES : 0);
	errno = err ? err : saved;
	return err != 0;
}

static int denied(const char *call, enum fs_category c, int dirfd, const char *path, int follow)
{
	return check_name(call, c, dirfd, path, follow, 0);
}

static int denied_new(const char *call, int dirfd, const char *path)
{
	return check_name(call, FS_WRITE, dirfd, path, 0, 1);
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
	    denied_new("rename", AT_FDCWD, newpath))
		return -1;
	return REAL(rename)(oldpath, newpath);
}

EXPORT int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	if (moved_denied("renameat", olddirfd, oldpath) ||
	    denied_new("renameat", newdirfd, newpath))
		return -1;
	return REAL(renameat)(olddirfd, oldpath, newdirfd, newpath);
}

EXPORT int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		     unsigned int flags)
{
	if (moved_denied("renameat2", olddirfd, oldpath) ||
	    denied_new("renameat2", newdirfd, newpath))
		return -1;
	if (REAL(renameat2))
		return REAL(renameat2)(olddirfd, oldpath, newdirfd, newpath, flags);
	errno = ENOSYS; /* glibc before 2.28 has no renameat2: neither would the caller */
	return -1;
}

EXPORT int link(const char *oldpath, const char *newpath)
{
	if (moved_denied("link", AT_FDCWD, oldpath) ||
	    denied_new("link", AT_FDCWD, newpath))
		return -1;
	return REAL(link)(oldpath, newpath);
}

EXPORT int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	if (moved_denied("linkat", olddirfd, oldpath) ||
	    denied_new("linkat", newdirfd, newpath))
		return -1;
	return REAL(linkat)(olddirfd, oldpath, newdirfd, newpath, flags);
}

/* A symbolic link's target is only text; every open through it is checked on the file it
 * reaches. Only the new name is a write. */
EXPORT int symlink(const char *target, const char *linkpath)
{
	if (denied_new("symlink", AT_FDCWD, linkpath))
		return -1;
	return REAL(symlink)(target, linkpath);
}

EXPORT int symlinkat(const char *target, int newdirfd, const char *linkpath)
{
	if (denied_new("symlinkat", newdirfd, linkpath))
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
	if (denied_new("mkdir", AT_FDCWD, path))
		return -1;
	return REAL(mkdir)(path, mode);
}

EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	if (denied_new("mkdirat", dirfd, path))
		return -1;
	return REAL(mkdirat)(dirfd, path, mode);
}
